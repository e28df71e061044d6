/* RFC 5322 dates (mail-date.h). */
#include "mail/mail-date.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

struct date_reader {
	const char *p, *end;
};

/* CFWS: whitespace and (nested, bounded) comments. */
static void skip_cfws(struct date_reader *r)
{
	while (r->p < r->end) {
		if (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n') {
			r->p++;
		} else if (*r->p == '(') {
			unsigned int depth = 0;

			do {
				if (*r->p == '\\' && r->p + 1 < r->end)
					r->p++;
				else if (*r->p == '(')
					depth++;
				else if (*r->p == ')')
					depth--;
				r->p++;
			} while (r->p < r->end && depth > 0);
		} else {
			break;
		}
	}
}

static bool read_int(struct date_reader *r, unsigned int max_digits, int *v_r,
		     unsigned int *digits_r)
{
	unsigned int n = 0;
	int v = 0;

	while (r->p < r->end && isdigit((unsigned char)*r->p) && n < max_digits) {
		v = v * 10 + (*r->p++ - '0');
		n++;
	}
	if (n == 0)
		return false;
	*v_r = v;
	if (digits_r != NULL)
		*digits_r = n;
	return true;
}

static size_t read_word(struct date_reader *r, char *out, size_t max)
{
	size_t n = 0;

	while (r->p < r->end && isalpha((unsigned char)*r->p)) {
		if (n + 1 < max)
			out[n++] = *r->p;
		r->p++;
	}
	out[n] = '\0';
	return n;
}

static int month_number(const char *w)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec" };

	if (strlen(w) < 3)
		return -1;
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(w, months[i], 3) == 0)
			return i;
	}
	return -1;
}

/* RFC 5322 §4.3 obs-zone; military zones are ambiguous in practice and,
 * like unknown names, mean -0000. */
static int named_zone(const char *w)
{
	static const struct {
		const char *name;
		int min;
	} zones[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
	};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (strcasecmp(w, zones[i].name) == 0)
			return zones[i].min;
	}
	return 0;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	/* Howard Hinnant's algorithm, proleptic Gregorian; m is 1..12. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 1 && leap ? 29 : days[month];
}

bool mail_date_parse(const char *value, size_t len, time_t *t_r, int *zone_min_r)
{
	struct date_reader r = { value, value + len };
	char word[16];
	int day, month, year, hour, min, sec = 0, zone = 0;
	unsigned int year_digits;

	skip_cfws(&r);
	/* [day-of-week ","] */
	if (r.p < r.end && isalpha((unsigned char)*r.p)) {
		read_word(&r, word, sizeof(word));
		skip_cfws(&r);
		if (r.p < r.end && *r.p == ',')
			r.p++;
		skip_cfws(&r);
	}
	if (!read_int(&r, 2, &day, NULL))
		return false;
	skip_cfws(&r);
	if (r.p < r.end && *r.p == '-')
		r.p++;   /* "1-Jan-2020", seen in the wild */
	read_word(&r, word, sizeof(word));
	month = month_number(word);
	if (month < 0)
		return false;
	skip_cfws(&r);
	if (r.p < r.end && *r.p == '-')
		r.p++;
	if (!read_int(&r, 4, &year, &year_digits))
		return false;
	/* RFC 5322 §4.3: 2 digits: 00-49 is 20xx, 50-99 is 19xx; 3 digits add 1900. */
	if (year_digits == 2)
		year += year < 50 ? 2000 : 1900;
	else if (year_digits == 3)
		year += 1900;
	skip_cfws(&r);
	if (!read_int(&r, 2, &hour, NULL))
		return false;
	skip_cfws(&r);
	if (r.p >= r.end || *r.p != ':')
		return false;
	r.p++;
	skip_cfws(&r);
	if (!read_int(&r, 2, &min, NULL))
		return false;
	const char *time_end = r.p;
	skip_cfws(&r);
	if (r.p < r.end && *r.p == ':') {
		r.p++;
		skip_cfws(&r);
		if (!read_int(&r, 2, &sec, NULL))
			return false;
		time_end = r.p;
	}
	skip_cfws(&r);
	/* RFC 5322 §3.3: FWS before the zone; "00:01+0000" is not a date
	 * (Dovecot does not read it either, and SORT must agree). */
	if (r.p < r.end && (*r.p == '+' || *r.p == '-') && r.p == time_end)
		return false;
	if (r.p < r.end && (*r.p == '+' || *r.p == '-')) {
		int sign = *r.p == '-' ? -1 : 1;
		int hhmm;
		unsigned int n;

		r.p++;
		if (!read_int(&r, 4, &hhmm, &n) || n != 4 || hhmm % 100 >= 60)
			zone = 0;
		else
			zone = sign * ((hhmm / 100) * 60 + hhmm % 100);
	} else if (r.p < r.end && isalpha((unsigned char)*r.p)) {
		read_word(&r, word, sizeof(word));
		zone = named_zone(word);
	}
	if (day < 1 || day > days_in_month(year, month) || hour > 23 || min > 59 || sec > 60)
		return false;
	int64_t t = days_from_civil(year, month + 1, day) * 86400 + hour * 3600 + min * 60 +
		(sec == 60 ? 59 : sec) - (int64_t)zone * 60;
	*t_r = (time_t)t;
	*zone_min_r = zone;
	return true;
}
