/* RFC 5322 dates as SENT* and SORT DATE read them (mail/mail-date.h). */
#include <stdio.h>
#include <string.h>

#include "mail/mail-date.h"
#include "unit.h"

static const char *parse(const char *s)
{
	static char out[64];
	time_t t;
	int zone;

	if (!mail_date_parse(s, strlen(s), &t, &zone))
		return "none";
	snprintf(out, sizeof(out), "%lld %d", (long long)t, zone);
	return out;
}

int main(void)
{
	/* RFC 5322 §A.1.1 and friends. */
	CHECK_STR(parse("Fri, 21 Nov 1997 09:55:06 -0600"), "880127706 -360");
	CHECK_STR(parse("21 Nov 1997 09:55:06 -0600"), "880127706 -360");
	CHECK_STR(parse("Tue, 1 Jul 2003 10:52:37 +0200"), "1057049557 120");
	CHECK_STR(parse("  Thu,\r\n 13\r\n  Feb\r\n    1969\r\n  23:32\r\n   -0330 (Newfoundland Time)"),
		  "-27723480 -210");
	/* Obsolete forms (RFC 5322 §4.3): two-digit years, names, no seconds. */
	CHECK_STR(parse("Mon, 7 Feb 94 21:52:25 PST"), "760686745 -480");
	CHECK_STR(parse("7 Feb 49 21:52 GMT"), "2496347520 0");
	CHECK_STR(parse("1 Jan 2000 00:00:00 UT"), "946684800 0");
	CHECK_STR(parse("1 Jan 2000 00:00:00 XYZ"), "946684800 0");
	CHECK_STR(parse("1 Jan 2000 00:00:00"), "946684800 0");
	CHECK_STR(parse("Fri, 6 Apr 2001 09:23:06 -0800 (GMT-0800)"), "986577786 -480");
	/* Leap second kept within the minute. */
	CHECK_STR(parse("31 Dec 2016 23:59:60 +0000"), "1483228799 0");
	/* Not dates. */
	CHECK_STR(parse(""), "none");
	CHECK_STR(parse("yesterday"), "none");
	CHECK_STR(parse("31 Feb 2001 00:00:00 +0000"), "none");
	CHECK_STR(parse("1 Foo 2001 00:00:00 +0000"), "none");
	CHECK_STR(parse("1 Jan 2001 24:00:00 +0000"), "none");
	CHECK_STR(parse("01 Jan 2001 00:01+0000"), "none");   /* no FWS before the zone */
	CHECK_STR(parse("1 Jan 2001 00"), "none");
	/* Unterminated comment: bounded, no read past the end. */
	CHECK_STR(parse("1 Jan 2001 00:00 (((("), "978307200 0");
	return unit_finish("mail-date");
}
