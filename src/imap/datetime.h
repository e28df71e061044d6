/* IMAP dates: date ("1-Feb-1994", RFC 9051 §9 date) and date-time
 * ("17-Jul-1996 02:44:25 -0700", quoted) parsing and formatting. */
#ifndef PETREL_IMAP_DATETIME_H
#define PETREL_IMAP_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* date: day 1-2 digits, month name case-insensitive, 4-digit year; the value
 * is midnight UTC of that day. Rejects impossible days (31-Feb-2020). */
bool imap_date_parse(const char *s, size_t len, time_t *t_r);
/* date-time without the surrounding quotes: "dd-Mon-yyyy hh:mm:ss +zzzz",
 * day may be " 1" (space-padded) or "1" for leniency; zone required, at most
 * 14 hours and 59 minutes either way; seconds may be 60 (a leap second, read
 * as the next minute). *t_r is UTC seconds; *zone_min_r the zone offset in
 * minutes. On false the outputs are untouched. */
bool imap_datetime_parse(const char *s, size_t len, time_t *t_r, int *zone_min_r);
/* Writes "17-Jul-1996 02:44:25 -0700" (26 chars + NUL) into out; the day is
 * space-padded (" 7-Jul-1996 ..."), RFC 9051 date-day-fixed. A zone beyond
 * +-99:59 is written as +0000, and a time outside years 0000-9999 as the
 * epoch, so the output is always 26 chars. */
void imap_datetime_format(time_t t, int zone_min, char out[32]);

#endif
