/* Unit tests for IMAP date and date-time parsing and formatting
 * (RFC 9051 §9 date, date-time); expected times computed independently. */
#include <string.h>
#include <time.h>

#include "imap/datetime.h"
#include "unit.h"

static void check_date(const char *in, long long want)
{
	time_t t = 12345;

	if (!imap_date_parse(in, strlen(in), &t))
		printf("date not parsed: \"%s\"\n", in);
	CHECK_INT(t, want);
}

static void check_date_bad(const char *in, size_t len)
{
	time_t t = 12345;

	if (imap_date_parse(in, len, &t))
		printf("date parsed: \"%.*s\"\n", (int)len, in);
	CHECK(!imap_date_parse(in, len, &t));
	CHECK_INT(t, 12345);
}

static void check_dt(const char *in, long long want, int want_zone)
{
	time_t t = 12345;
	int zone = 12345;

	if (!imap_datetime_parse(in, strlen(in), &t, &zone))
		printf("date-time not parsed: \"%s\"\n", in);
	CHECK_INT(t, want);
	CHECK_INT(zone, want_zone);
}

static void check_dt_bad(const char *in)
{
	time_t t = 12345;
	int zone = 12345;

	if (imap_datetime_parse(in, strlen(in), &t, &zone))
		printf("date-time parsed: \"%s\"\n", in);
	CHECK(!imap_datetime_parse(in, strlen(in), &t, &zone));
	CHECK_INT(t, 12345);
}

static void check_format(long long t, int zone, const char *want)
{
	char out[32];

	memset(out, 'X', sizeof(out));
	imap_datetime_format((time_t)t, zone, out);
	CHECK_STR(out, want);
	CHECK_INT(strlen(out), 26);
}

static void test_date(void)
{
	check_date("1-Feb-1994", 760060800);
	check_date("01-Feb-1994", 760060800);
	check_date("1-feb-1994", 760060800);
	check_date("1-FEB-1994", 760060800);
	check_date("29-Feb-2020", 1582934400);
	check_date("29-Feb-2000", 951782400);
	check_date("31-Dec-9999", 253402214400);
	check_date("1-Jan-0001", -62135596800);
	check_date("1-Jan-1970", 0);

	static const char *bad[] = {
		"31-Feb-2020", "30-Feb-2020", "29-Feb-2019", "29-Feb-1900", "31-Apr-2021",
		"0-Jan-2000", "00-Jan-2000", "32-Jan-2000", "1-Foo-2000", "1-Ja-2000",
		"1-Jan-99", "1-Jan-19999", "1 Jan 2000", "001-Jan-2000", " 1-Jan-2000",
		"1-Jan-2000x", "1-Jan-200x", "a1-Jan-2000", "1/Jan/2000", "1-Jan_2000",
		"\"1-Jan-2000\"", "", "1", "1-Jan-2000 ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_date_bad(bad[i], strlen(bad[i]));
	/* only len bytes count */
	check_date_bad("1-Feb-1994", 9);
	time_t t = 0;
	CHECK(imap_date_parse("1-Feb-1994 trailing", 10, &t));
	CHECK_INT(t, 760060800);
}

static void test_datetime(void)
{
	/* RFC 9051 §6.3.12 and §9 examples */
	check_dt("17-Jul-1996 02:44:25 -0700", 837596665, -420);
	check_dt(" 7-Jul-1996 02:44:25 -0700", 836732665, -420);
	check_dt("7-Jul-1996 02:44:25 -0700", 836732665, -420);
	check_dt("07-Jul-1996 02:44:25 -0700", 836732665, -420);
	check_dt("07-JUL-1996 09:44:25 +0000", 836732665, 0);
	check_dt("07-jul-1996 09:44:25 -0000", 836732665, 0);
	check_dt("10-Mar-2024 01:02:03 +1400", 1709982123, 840);
	check_dt("10-Mar-2024 01:02:03 -1400", 1710082923, -840);
	check_dt("10-Mar-2024 01:02:03 +0530", 1710032523 - 330 * 60, 330);
	check_dt("10-Mar-2024 01:02:03 -0959", 1710032523 + 9 * 3600 + 59 * 60, -599);
	/* a leap second is accepted and lands on the next minute */
	check_dt("31-Dec-2016 23:59:60 +0000", 1483228800, 0);
	check_dt("01-Jan-1970 00:00:00 +0000", 0, 0);

	static const char *bad[] = {
		"17-Jul-1996 02:44:25",
		"17-Jul-1996 02:44:25 0700",
		"17-Jul-1996 02:44:25 +1500",
		"17-Jul-1996 02:44:25 -1500",
		"17-Jul-1996 02:44:25 +0060",
		"17-Jul-1996 02:44:25 +07000",
		"17-Jul-1996 24:00:00 +0000",
		"17-Jul-1996 23:60:00 +0000",
		"17-Jul-1996 23:59:61 +0000",
		"17-Jul-1996 2:44:25 -0700",
		"17-Jul-1996 02:44:25  -0700",
		"17-Jul-1996T02:44:25 -0700",
		"17-Jul-1996 02-44-25 -0700",
		"17-Jul-96 02:44:25 -0700",
		"31-Jun-1996 02:44:25 -0700",
		"29-Feb-2100 02:44:25 -0700",
		"00-Jul-1996 02:44:25 -0700",
		"  7-Jul-1996 02:44:25 -0700",
		"7 -Jul-1996 02:44:25 -0700",
		"x7-Jul-1996 02:44:25 -0700",
		"17-Xyz-1996 02:44:25 -0700",
		"17-Jul-1996 02:44:25 -07a0",
		"\"17-Jul-1996 02:44:25 -0700\"",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_dt_bad(bad[i]);
	time_t t = 0;
	int zone = 1;
	CHECK(imap_datetime_parse("17-Jul-1996 02:44:25 -0700 junk", 26, &t, &zone));
	CHECK_INT(t, 837596665);
	CHECK(!imap_datetime_parse("17-Jul-1996 02:44:25 -0700", 25, &t, &zone));
}

static void test_format(void)
{
	check_format(837596665, -420, "17-Jul-1996 02:44:25 -0700");
	check_format(836732665, -420, " 7-Jul-1996 02:44:25 -0700");
	check_format(0, 0, " 1-Jan-1970 00:00:00 +0000");
	check_format(0, 330, " 1-Jan-1970 05:30:00 +0530");
	check_format(0, -599, "31-Dec-1969 14:01:00 -0959");
	check_format(1709982123, 840, "10-Mar-2024 01:02:03 +1400");
	check_format(253402300799LL, 0, "31-Dec-9999 23:59:59 +0000");
	/* unrepresentable input falls back to the epoch / +0000 */
	check_format(0, 6000, " 1-Jan-1970 00:00:00 +0000");
	check_format(0, -6000, " 1-Jan-1970 00:00:00 +0000");
	check_format(253402300800LL, 0, " 1-Jan-1970 00:00:00 +0000");
	check_format(253402300799LL, 60, " 1-Jan-1970 00:00:00 +0000");
	check_format(-62167219201LL, 0, " 1-Jan-1970 00:00:00 +0000");
	check_format(-62167219200LL, 0, " 1-Jan-0000 00:00:00 +0000");

	/* parse(format(t, z)) gives back t and z */
	static const long long times[] = { 0, 1, 837596665, 1709982123, 951782400, 4102444799LL };
	static const int zones[] = { 0, -420, 330, 840, -840, -599, 59 };
	unsigned int wrong = 0;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		for (size_t j = 0; j < sizeof(zones) / sizeof(zones[0]); j++) {
			char out[32];
			time_t t;
			int z;

			imap_datetime_format((time_t)times[i], zones[j], out);
			if (!imap_datetime_parse(out, strlen(out), &t, &z) ||
			    t != (time_t)times[i] || z != zones[j]) {
				printf("round trip %lld %d: \"%s\"\n", times[i], zones[j], out);
				wrong++;
			}
		}
	}
	CHECK_INT(wrong, 0);
}

int main(void)
{
	test_date();
	test_datetime();
	test_format();
	return unit_finish("datetime");
}
