/* RFC 5322 §3.3 date-time in a Date: header, read leniently as mail
 * readers do: the obsolete forms of §4.3 (two- and three-digit years,
 * named zones such as GMT, EST or UT, comments, missing seconds, missing
 * day of week), and any case. Used for SENTBEFORE/SENTON/SENTSINCE and
 * SORT DATE. */
#ifndef PETREL_MAIL_MAIL_DATE_H
#define PETREL_MAIL_MAIL_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* *t_r is UTC seconds; *zone_min_r the written zone in minutes east of UTC
 * (0 for "-0000" and unknown zone names, as RFC 5322 §4.3 says). False when
 * no date can be read (the message then has no sent date). */
bool mail_date_parse(const char *value, size_t len, time_t *t_r, int *zone_min_r);

#endif
