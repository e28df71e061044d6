/* IMAP date and date-time (RFC 9051 §9 date, date-time) parsing and
 * formatting. Parsing validates every field before calling timegm(), so no
 * input can produce a normalised (wrapped) date; nothing here reads past len. */
#include "imap/datetime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Years are 4DIGIT, so time_t must hold year 9999. */
_Static_assert(sizeof(time_t) >= 8, "64-bit time_t required");

/* RFC 9051 §9 zone = ("+" / "-") 4DIGIT. Real offsets run from -12:00 to
 * +14:00; allowing 14 hours either way keeps the check simple. */
#define DATETIME_MAX_ZONE_HOURS 14

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the 4DIGIT year range. */
#define DATETIME_MIN_T ((time_t)-62167219200LL)
#define DATETIME_MAX_T ((time_t)253402300799LL)

static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s (exactly), as a number. */
static bool digits(const char *s, size_t n, int *v_r)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return true;
}

static int month_parse(const char *s)
{
	for (int m = 0; m < 12; m++) {
		if (lower(s[0]) == lower(month_names[m][0]) &&
		    lower(s[1]) == lower(month_names[m][1]) &&
		    lower(s[2]) == lower(month_names[m][2]))
			return m;
	}
	return -1;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 1 && leap ? 29 : days[month];
}

/* "Mon-yyyy" at s, 8 bytes; fills tm month and year, checks the day. */
static bool month_year(const char *s, int day, struct tm *tm)
{
	int month = month_parse(s), year;

	if (month < 0 || s[3] != '-' || !digits(s + 4, 4, &year))
		return false;
	if (day < 1 || day > days_in_month(year, month))
		return false;
	tm->tm_mday = day;
	tm->tm_mon = month;
	tm->tm_year = year - 1900;
	return true;
}

/* RFC 9051 §9 date-text = date-day "-" date-month "-" date-year,
 * date-day = 1*2DIGIT. */
bool imap_date_parse(const char *s, size_t len, time_t *t_r)
{
	struct tm tm = { 0 };
	size_t dlen = len == 10 ? 1 : 2;   /* "1-Feb-1994" or "01-Feb-1994" */
	int day;

	if ((len != 10 && len != 11) || !digits(s, dlen, &day) || s[dlen] != '-')
		return false;
	if (!month_year(s + dlen + 1, day, &tm))
		return false;
	*t_r = timegm(&tm);
	return true;
}

/* RFC 9051 §9 date-time = DQUOTE date-day-fixed "-" date-month "-" date-year
 * SP time SP zone DQUOTE; date-day-fixed = (SP DIGIT) / 2DIGIT. A single digit
 * day without the space is accepted too. */
bool imap_datetime_parse(const char *s, size_t len, time_t *t_r, int *zone_min_r)
{
	struct tm tm = { 0 };
	int day, zh, zm;

	if (len == 25) {
		if (!digits(s, 1, &day))
			return false;
	} else if (len == 26) {
		if (s[0] == ' ') {
			if (!digits(s + 1, 1, &day))
				return false;
		} else if (!digits(s, 2, &day)) {
			return false;
		}
	} else {
		return false;
	}
	s += len - 24;   /* now at "-Mon-yyyy hh:mm:ss +zzzz" */
	if (s[0] != '-' || !month_year(s + 1, day, &tm) || s[9] != ' ')
		return false;
	/* time = 2DIGIT ":" 2DIGIT ":" 2DIGIT; 60 allows a leap second */
	if (!digits(s + 10, 2, &tm.tm_hour) || s[12] != ':' ||
	    !digits(s + 13, 2, &tm.tm_min) || s[15] != ':' ||
	    !digits(s + 16, 2, &tm.tm_sec) || s[18] != ' ')
		return false;
	if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	if ((s[19] != '+' && s[19] != '-') || !digits(s + 20, 2, &zh) ||
	    !digits(s + 22, 2, &zm) || zh > DATETIME_MAX_ZONE_HOURS || zm > 59)
		return false;
	int zone = (zh * 60 + zm) * (s[19] == '-' ? -1 : 1);
	/* the fields are local time at the zone: UTC = local - offset */
	*t_r = timegm(&tm) - (time_t)zone * 60;
	*zone_min_r = zone;
	return true;
}

/* n decimal digits of v, zero-padded, at p; returns the end. */
static char *put_digits(char *p, unsigned int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void imap_datetime_format(time_t t, int zone_min, char out[32])
{
	struct tm tm;
	int zabs;

	/* An offset that cannot be written as +hhmm is written as +0000. */
	if (zone_min <= -100 * 60 || zone_min >= 100 * 60)
		zone_min = 0;
	/* Outside years 0..9999 the field widths break: write the epoch. The
	 * first test also keeps t + offset from overflowing. */
	if (t < DATETIME_MIN_T || t > DATETIME_MAX_T)
		t = 0;
	zabs = abs(zone_min);
	time_t local = t + (time_t)zone_min * 60;
	if (gmtime_r(&local, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		local = 0;
		zone_min = 0;
		zabs = 0;
		gmtime_r(&local, &tm);
	}
	/* Written digit by digit: every field is in range here, and the
	 * compiler cannot prove that for snprintf's widths. */
	char *w = out;
	if (tm.tm_mday < 10)
		*w++ = ' ';
	w = put_digits(w, (unsigned int)tm.tm_mday, tm.tm_mday < 10 ? 1 : 2);
	*w++ = '-';
	memcpy(w, month_names[tm.tm_mon], 3);
	w += 3;
	*w++ = '-';
	w = put_digits(w, (unsigned int)(tm.tm_year + 1900), 4);
	*w++ = ' ';
	w = put_digits(w, (unsigned int)tm.tm_hour, 2);
	*w++ = ':';
	w = put_digits(w, (unsigned int)tm.tm_min, 2);
	*w++ = ':';
	w = put_digits(w, (unsigned int)tm.tm_sec, 2);
	*w++ = ' ';
	*w++ = zone_min < 0 ? '-' : '+';
	w = put_digits(w, (unsigned int)(zabs / 60), 2);
	w = put_digits(w, (unsigned int)(zabs % 60), 2);
	*w = '\0';
}
