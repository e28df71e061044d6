/* Unit tests for SEARCH programs: every key of RFC 9051 / RFC 3501 §6.4.4
 * and the extensions parsed from real command text and evaluated against
 * three messages, the errors with their exact reasons, the limits, and the
 * SEARCH / ESEARCH responses byte for byte. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/parser.h"
#include "imap/search-query.h"
#include "store/store.h"
#include "unit.h"

static struct arena *arena;
static struct imap_parser *parser;

static const struct imap_parser_limits limits = {
	.max_line = 1 << 20, .max_command = 1 << 21, .max_depth = 200, .max_args = 100000,
};

/* "SEARCH ..." (without tag and CRLF) through the real parser; returns the
 * arguments after the command name, valid until the next call. */
static const struct imap_arg *parse_cmd(const char *cmd, unsigned int *count_r)
{
	size_t len = strlen(cmd);
	char *line = malloc(len + 8);
	size_t off = 0, total;
	const struct imap_arg *args = NULL;

	memcpy(line, "t ", 2);
	memcpy(line + 2, cmd, len);
	memcpy(line + 2 + len, "\r\n", 2);
	total = len + 4;
	*count_r = 0;
	for (;;) {
		size_t used = 0;
		enum imap_parse_result r = imap_parser_feed(parser, (const unsigned char *)line + off,
							    total - off, &used);

		off += used;
		if (r == IMAP_PARSE_LITERAL) {
			imap_parser_literal_accept(parser);
			continue;
		}
		if (r == IMAP_PARSE_DONE) {
			unsigned int count;

			args = imap_parser_args(parser, &count);
			*count_r = count - 1;
			args++;
		} else if (r == IMAP_PARSE_BAD) {
			printf("parser: %s: %s\n", imap_parser_error(parser), cmd);
		}
		if (r != IMAP_PARSE_NEED_MORE || off == total)
			break;
	}
	free(line);
	return args;
}

static enum search_parse_result parse(const char *cmd, struct search_query **q_r,
				      const char **error_r)
{
	unsigned int count;
	const struct imap_arg *args = parse_cmd(cmd, &count);

	*q_r = NULL;
	*error_r = NULL;
	if (args == NULL)
		return (enum search_parse_result)-1;
	return search_query_parse(args, count, arena, q_r, error_r);
}

static struct search_query *query(const char *cmd)
{
	struct search_query *q;
	const char *error;

	if (parse(cmd, &q, &error) != SEARCH_PARSE_OK) {
		printf("FAIL parse \"%s\": %s\n", cmd, error != NULL ? error : "?");
		unit_failed++;
		return NULL;
	}
	unit_passed++;
	return q;
}

static void check_bad(const char *cmd, const char *want)
{
	struct search_query *q;
	const char *error;
	enum search_parse_result r = parse(cmd, &q, &error);

	if (r != SEARCH_PARSE_BAD || error == NULL || strcmp(error, want) != 0)
		printf("  for \"%s\"\n", cmd);
	CHECK_INT(r, SEARCH_PARSE_BAD);
	CHECK_STR(error, want);
	CHECK(q == NULL);
}

/* ---- three messages ---- */

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi };

	return timegm(&tm);
}

static struct search_message msgs[3];
static const char *const mailbox_keywords[] = { "$Forwarded", "Work" };
static const uint32_t saved[] = { 10, 30 };
static unsigned int text_calls;

static void setup_messages(void)
{
	msgs[0] = (struct search_message){
		.seq = 1, .uid = 10, .flags = STORE_FLAG_SEEN | STORE_FLAG_ANSWERED,
		.keywords = 1, .modseq = 5, .internaldate = utc(2024, 3, 1, 12, 0),
		.has_savedate = true, .savedate = utc(2024, 3, 5, 12, 0), .size = 1000,
		.sent_day = search_day(utc(2024, 2, 28, 0, 0), 0),
		.emailid = "E1", .threadid = "T1",
	};
	/* 23:30 UTC at +0100 is 2 March for the client */
	msgs[1] = (struct search_message){
		.seq = 2, .uid = 20, .flags = STORE_FLAG_FLAGGED | STORE_FLAG_DELETED | STORE_FLAG_DRAFT,
		.keywords = 2, .recent = true, .modseq = 50,
		.internaldate = utc(2024, 3, 1, 23, 30), .internaldate_zone = 60,
		.size = 5000, .sent_day = SEARCH_DAY_NONE,
	};
	/* 00:30 UTC at -0100 is still 9 March */
	msgs[2] = (struct search_message){
		.seq = 3, .uid = 30, .recent = true, .modseq = 500,
		.internaldate = utc(2024, 3, 10, 0, 30), .internaldate_zone = -60,
		.size = 100, .sent_day = search_day(utc(2024, 3, 10, 8, 0), 0),
		.emailid = "E3", .threadid = "T1",
	};
}

/* A text key "mNN..." matches the messages whose seq digits it lists. */
static bool text_match(void *ctx, unsigned int index, const struct search_message *m)
{
	const struct search_query *q = ctx;
	const char *v = q->text_keys[index].value;

	text_calls++;
	if (v[0] != 'm')
		return false;
	for (v++; *v != '\0'; v++) {
		if ((uint32_t)(*v - '0') == m->seq)
			return true;
	}
	return false;
}

static struct search_context context(const struct search_query *q)
{
	return (struct search_context){
		.max_seq = 3, .max_uid = 30, .saved_uids = saved, .saved_count = 2,
		.now = utc(2024, 3, 10, 12, 0), .savedate_supported = true,
		.text_match = text_match, .text_ctx = (void *)q,
	};
}

/* The messages q matches as a bit mask (bit 0 = seq 1). */
static unsigned int matches(struct search_query *q)
{
	struct search_context ctx = context(q);
	unsigned int mask = 0;

	search_query_bind_keywords(q, mailbox_keywords, 2);
	search_query_prepare(q, &ctx);
	for (unsigned int i = 0; i < 3; i++) {
		if (search_query_match(q, &msgs[i], &ctx))
			mask |= 1u << i;
	}
	return mask;
}

static void check_match(const char *cmd, unsigned int want)
{
	struct search_query *q = query(cmd);

	if (q == NULL)
		return;
	unsigned int got = matches(q);
	if (got != want)
		printf("  for \"%s\"\n", cmd);
	CHECK_INT(got, want);
}

#define M1 1u
#define M2 2u
#define M3 4u
#define MALL 7u

static void test_every_key(void)
{
	static const struct { const char *cmd; unsigned int want; } cases[] = {
		{ "SEARCH ALL", MALL },
		{ "SEARCH all", MALL },
		{ "SEARCH ANSWERED", M1 },
		{ "SEARCH UNANSWERED", M2 | M3 },
		{ "SEARCH DELETED", M2 },
		{ "SEARCH UNDELETED", M1 | M3 },
		{ "SEARCH DRAFT", M2 },
		{ "SEARCH UNDRAFT", M1 | M3 },
		{ "SEARCH FLAGGED", M2 },
		{ "SEARCH UNFLAGGED", M1 | M3 },
		{ "SEARCH SEEN", M1 },
		{ "SEARCH UNSEEN", M2 | M3 },
		{ "SEARCH Seen", M1 },
		/* rev1 only */
		{ "SEARCH RECENT", M2 | M3 },
		{ "SEARCH NEW", M2 | M3 },
		{ "SEARCH OLD", M1 },
		/* keywords: case-insensitive; unknown never / always */
		{ "SEARCH KEYWORD $forwarded", M1 },
		{ "SEARCH KEYWORD WORK", M2 },
		{ "SEARCH KEYWORD Nope", 0 },
		{ "SEARCH UNKEYWORD Nope", MALL },
		{ "SEARCH UNKEYWORD work", M1 | M3 },
		{ "SEARCH KEYWORD \\Seen", 0 },
		/* sizes */
		{ "SEARCH LARGER 1000", M2 },
		{ "SEARCH SMALLER 1000", M3 },
		{ "SEARCH LARGER 0", MALL },
		{ "SEARCH SMALLER 0", 0 },
		{ "SEARCH LARGER 9223372036854775807", 0 },
		/* INTERNALDATE's date in its own zone */
		{ "SEARCH BEFORE 2-Mar-2024", M1 },
		{ "SEARCH ON 1-Mar-2024", M1 },
		{ "SEARCH ON 2-Mar-2024", M2 },
		{ "SEARCH ON \"02-mar-2024\"", M2 },
		{ "SEARCH SINCE 2-Mar-2024", M2 | M3 },
		{ "SEARCH ON 9-Mar-2024", M3 },
		{ "SEARCH ON 10-Mar-2024", 0 },
		{ "SEARCH SINCE 10-Mar-2024", 0 },
		{ "SEARCH BEFORE 1-Mar-2024", 0 },
		/* Date: header; none never matches */
		{ "SEARCH SENTBEFORE 1-Mar-2024", M1 | M2 },
		{ "SEARCH SENTON 28-Feb-2024", M1 },
		{ "SEARCH SENTON 10-Mar-2024", M3 },
		{ "SEARCH SENTSINCE 1-Jan-2000", M1 | M3 },
		{ "SEARCH NOT SENTSINCE 1-Jan-2000", M2 },
		/* M2 has no Date: it is the epoch, as in Dovecot */
		{ "SEARCH SENTON 1-Jan-1970", M2 },
		{ "SEARCH SENTBEFORE 2-Jan-1970", M2 },
		{ "SEARCH SENTSINCE 1-Jan-1970", M1 | M2 | M3 },
		{ "SEARCH SENTBEFORE 1-Jan-1970", 0 },
		{ "SEARCH SENTBEFORE 1-Jan-3000", M1 | M2 | M3 },
		/* SAVEDATE, with INTERNALDATE when there is none */
		{ "SEARCH SAVEDON 5-Mar-2024", M1 },
		{ "SEARCH SAVEDBEFORE 3-Mar-2024", M2 },
		{ "SEARCH SAVEDSINCE 9-Mar-2024", M3 },
		{ "SEARCH SAVEDATESUPPORTED", MALL },
		/* now = 10-Mar-2024 12:00 UTC */
		{ "SEARCH OLDER 86400", M1 | M2 },
		{ "SEARCH YOUNGER 86400", M3 },
		{ "SEARCH YOUNGER 41400", M3 },       /* exactly 11:30 old: within */
		{ "SEARCH OLDER 41400", M1 | M2 },
		{ "SEARCH YOUNGER 41399", 0 },
		{ "SEARCH OLDER 41399", MALL },
		/* CONDSTORE */
		{ "SEARCH MODSEQ 50", M2 | M3 },
		{ "SEARCH MODSEQ 0", MALL },
		{ "SEARCH MODSEQ \"/flags/\\\\Seen\" all 50", M2 | M3 },
		{ "SEARCH MODSEQ \"/flags/$Work\" priv 500", M3 },
		{ "SEARCH MODSEQ \"/flags/\\\\Draft\" SHARED 6", M2 | M3 },
		/* OBJECTID: exact, case-sensitive */
		{ "SEARCH EMAILID E1", M1 },
		{ "SEARCH EMAILID e1", 0 },
		{ "SEARCH THREADID T1", M1 | M3 },
		{ "SEARCH THREADID \"T1\"", M1 | M3 },
		/* sets */
		{ "SEARCH 1", M1 },
		{ "SEARCH 2:*", M2 | M3 },
		{ "SEARCH *", M3 },
		{ "SEARCH *:2", M2 | M3 },
		{ "SEARCH 1,3", M1 | M3 },
		{ "SEARCH 4:9", 0 },
		{ "SEARCH UID 20:*", M2 | M3 },
		{ "SEARCH UID *", M3 },
		{ "SEARCH UID 11:19", 0 },
		{ "SEARCH UID 10,30", M1 | M3 },
		{ "SEARCH UID 4294967295", 0 },         /* a number, not '*' (RFC 9051 §9) */
		{ "SEARCH UID 31:4294967295", 0 },
		{ "SEARCH UID 30:4294967295", M3 },
		{ "SEARCH $", M1 | M3 },
		{ "SEARCH UID $", M1 | M3 },
		/* composition */
		{ "SEARCH SEEN FLAGGED", 0 },
		{ "SEARCH OR SEEN FLAGGED", M1 | M2 },
		{ "SEARCH NOT SEEN", M2 | M3 },
		{ "SEARCH NOT NOT SEEN", M1 },
		{ "SEARCH (SEEN) (ANSWERED)", M1 },
		{ "SEARCH (SEEN ANSWERED)", M1 },
		{ "SEARCH OR (SEEN FLAGGED) DRAFT", M2 },
		{ "SEARCH OR OR SEEN FLAGGED RECENT", MALL },
		{ "SEARCH NOT (OR SEEN FLAGGED)", M3 },
		{ "SEARCH ((((SEEN))))", M1 },
		{ "SEARCH UNSEEN NOT 3", M2 },
		{ "SEARCH OR 1 UID 30 NOT DELETED", M1 | M3 },
		/* text keys through the callback */
		{ "SEARCH SUBJECT m1", M1 },
		{ "SEARCH BODY m23", M2 | M3 },
		{ "SEARCH TEXT m123", MALL },
		{ "SEARCH FROM \"m2\"", M2 },
		{ "SEARCH TO {2}\r\nm3", M3 },
		{ "SEARCH CC m1 BCC m12", M1 },
		{ "SEARCH HEADER X-Spam m2", M2 },
		{ "SEARCH HEADER Message-ID \"\"", 0 },
		{ "SEARCH NOT SUBJECT m1", M2 | M3 },
		{ "SEARCH CHARSET UTF-8 SUBJECT m3", M3 },
		{ "SEARCH CHARSET us-ascii SUBJECT m3", M3 },
		{ "SEARCH CHARSET \"utf-8\" SUBJECT m3", M3 },
		{ "SEARCH RETURN (COUNT) CHARSET UTF-8 SUBJECT m3", M3 },
	};

	setup_messages();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_match(cases[i].cmd, cases[i].want);
}

static void test_text_keys(void)
{
	struct search_query *q = query("SEARCH HEADER X-Spam \"caf\xc3\xa9 au lait\" SUBJECT \"\" "
				       "OR BODY m1 TEXT m2 KEYWORD Work UNKEYWORD $Junk");

	if (q == NULL)
		return;
	CHECK_INT(q->text_key_count, 4);
	CHECK_INT(q->text_keys[0].kind, SEARCH_TEXT_HEADER);
	CHECK_STR(q->text_keys[0].field, "X-Spam");
	CHECK_STR(q->text_keys[0].value, "caf\xc3\xa9 au lait");
	CHECK_INT(q->text_keys[0].value_len, 13);
	CHECK_INT(q->text_keys[1].kind, SEARCH_TEXT_SUBJECT);
	CHECK(q->text_keys[1].field == NULL);
	CHECK_STR(q->text_keys[1].value, "");
	CHECK_INT(q->text_keys[2].kind, SEARCH_TEXT_BODY);
	CHECK_INT(q->text_keys[3].kind, SEARCH_TEXT_TEXT);
	CHECK_INT(q->keyword_count, 2);
	CHECK_STR(q->keywords[0], "Work");
	CHECK_STR(q->keywords[1], "$Junk");
	CHECK_INT(q->needs, SEARCH_NEED_TEXT | SEARCH_NEED_KEYWORDS);
	CHECK(!q->uses_modseq);
	CHECK(!q->uses_saved);

	/* short-circuit: OR stops at the first true, AND at the first false */
	q = query("SEARCH OR SUBJECT m1 SUBJECT m1");
	if (q != NULL) {
		struct search_context ctx = context(q);

		search_query_prepare(q, &ctx);
		text_calls = 0;
		CHECK(search_query_match(q, &msgs[0], &ctx));
		CHECK_INT(text_calls, 1);
		text_calls = 0;
		CHECK(!search_query_match(q, &msgs[1], &ctx));
		CHECK_INT(text_calls, 2);
	}
	q = query("SEARCH SEEN SUBJECT m1");
	if (q != NULL) {
		struct search_context ctx = context(q);

		search_query_prepare(q, &ctx);
		text_calls = 0;
		CHECK(!search_query_match(q, &msgs[1], &ctx));
		CHECK_INT(text_calls, 0);
	}
}

static void test_flags_of_query(void)
{
	struct search_query *q;

	if ((q = query("SEARCH MODSEQ 5 $")) != NULL) {
		CHECK(q->uses_modseq);
		CHECK(q->uses_saved);
		CHECK_INT(q->needs, SEARCH_NEED_MODSEQ);
		CHECK(!q->return_given);
		CHECK_INT(q->return_opts, 0);
	}
	if ((q = query("SEARCH RETURN () ALL")) != NULL) {
		CHECK(q->return_given);
		CHECK_INT(q->return_opts, SEARCH_RETURN_ALL);
	}
	if ((q = query("SEARCH RETURN (min MAX Count ALL save) ALL")) != NULL)
		CHECK_INT(q->return_opts, SEARCH_RETURN_MIN | SEARCH_RETURN_MAX | SEARCH_RETURN_COUNT |
			  SEARCH_RETURN_ALL | SEARCH_RETURN_SAVE);
	if ((q = query("SEARCH RETURN (SAVE) ALL")) != NULL)
		CHECK_INT(q->return_opts, SEARCH_RETURN_SAVE);
	if ((q = query("SEARCH BEFORE 1-Jan-2020 SENTON 1-Jan-2020 SAVEDON 1-Jan-2020 LARGER 5 "
		       "NEW EMAILID a THREADID b")) != NULL)
		CHECK_INT(q->needs, SEARCH_NEED_INTERNALDATE | SEARCH_NEED_SENTDATE |
			  SEARCH_NEED_SAVEDATE | SEARCH_NEED_SIZE | SEARCH_NEED_RECENT |
			  SEARCH_NEED_FLAGS | SEARCH_NEED_EMAILID | SEARCH_NEED_THREADID);
	/* "$" in both places */
	if ((q = query("SEARCH UID $")) != NULL)
		CHECK(q->uses_saved);
}

static void test_errors(void)
{
	check_bad("SEARCH", "Missing search key");
	check_bad("SEARCH FOO", "Unknown search key");
	check_bad("SEARCH SEEN FOO", "Unknown search key");
	check_bad("SEARCH \"SEEN\"", "Invalid search key");
	check_bad("SEARCH {4}\r\nSEEN", "Invalid search key");
	check_bad("SEARCH NOT", "Missing operand of NOT or OR");
	check_bad("SEARCH OR SEEN", "Missing operand of NOT or OR");
	check_bad("SEARCH (NOT) SEEN", "Missing operand of NOT or OR");
	check_bad("SEARCH (OR SEEN) FLAGGED", "Missing operand of NOT or OR");
	check_bad("SEARCH ()", "Empty search key list");
	check_bad("SEARCH SEEN (ALL ())", "Empty search key list");
	check_bad("SEARCH BEFORE", "Missing search key argument");
	check_bad("SEARCH (BEFORE) 1-Jan-2020", "Missing search key argument");
	check_bad("SEARCH HEADER Subject", "Missing search key argument");
	check_bad("SEARCH SUBJECT", "Missing search key argument");
	check_bad("SEARCH MODSEQ", "Missing search key argument");
	check_bad("SEARCH MODSEQ \"/flags/\\\\Seen\"", "Missing search key argument");
	check_bad("SEARCH MODSEQ \"/flags/\\\\Seen\" all", "Missing search key argument");
	check_bad("SEARCH BEFORE 32-Jan-2024", "Invalid date");
	check_bad("SEARCH BEFORE 29-Feb-2023", "Invalid date");
	check_bad("SEARCH SINCE 1-Foo-2024", "Invalid date");
	check_bad("SEARCH ON 1-Jan-24", "Invalid date");
	check_bad("SEARCH ON (1-Jan-2024)", "Invalid date");
	check_bad("SEARCH SENTON 1-Jan-2024x", "Invalid date");
	check_bad("SEARCH LARGER -1", "Invalid number");
	check_bad("SEARCH LARGER abc", "Invalid number");
	check_bad("SEARCH LARGER 9223372036854775808", "Invalid number");
	check_bad("SEARCH SMALLER \"5\"", "Invalid number");
	check_bad("SEARCH OLDER 0", "Invalid number");
	check_bad("SEARCH OLDER 01", "Invalid number");
	check_bad("SEARCH YOUNGER 4294967296", "Invalid number");
	check_bad("SEARCH 0", "Invalid sequence set");
	check_bad("SEARCH 1:", "Invalid sequence set");
	check_bad("SEARCH 1,,2", "Invalid sequence set");
	check_bad("SEARCH $1", "Invalid sequence set");
	check_bad("SEARCH UID 0", "Invalid sequence set");
	check_bad("SEARCH UID SEEN", "Invalid sequence set");
	check_bad("SEARCH UID \"1\"", "Invalid sequence set");
	check_bad("SEARCH MODSEQ x", "Invalid MODSEQ value");
	check_bad("SEARCH MODSEQ 9223372036854775808", "Invalid MODSEQ value");
	check_bad("SEARCH MODSEQ \"/flags/\\\\Seen\" bogus 5", "Invalid MODSEQ entry type");
	check_bad("SEARCH MODSEQ \"/foo/bar\" all 5", "Invalid MODSEQ entry name");
	check_bad("SEARCH MODSEQ \"/flags/\" all 5", "Invalid MODSEQ entry name");
	check_bad("SEARCH EMAILID a.b", "Invalid object id");
	check_bad("SEARCH THREADID \"\"", "Invalid object id");
	check_bad("SEARCH HEADER \"\" x", "Invalid header field name");
	check_bad("SEARCH HEADER \"a:b\" x", "Invalid header field name");
	check_bad("SEARCH HEADER \"a b\" x", "Invalid header field name");
	check_bad("SEARCH SUBJECT (a)", "Invalid search string");
	check_bad("SEARCH SUBJECT ~{3}\r\nabc", "Invalid search string");
	check_bad("SEARCH KEYWORD (a)", "Invalid search string");
	check_bad("SEARCH SUBJECT {2}\r\n\xff\xfe", "Invalid UTF-8 in search string");
	check_bad("SEARCH CHARSET UTF-8 BODY {3}\r\n\xc3\x28x", "Invalid UTF-8 in search string");
	check_bad("SEARCH CHARSET US-ASCII SUBJECT \"caf\xc3\xa9\"",
		  "8-bit data in US-ASCII search string");
	check_bad("SEARCH CHARSET US-ASCII HEADER X-A {1}\r\n\x80",
		  "8-bit data in US-ASCII search string");
	check_bad("SEARCH CHARSET", "Missing charset");
	check_bad("SEARCH CHARSET (UTF-8) ALL", "Invalid charset");
	check_bad("SEARCH CHARSET UTF-8", "Missing search key");
	check_bad("SEARCH RETURN (FOO) ALL", "Unknown RETURN option");
	check_bad("SEARCH RETURN (PARTIAL 1:10) ALL", "Unknown RETURN option");
	check_bad("SEARCH RETURN ((MIN)) ALL", "Unknown RETURN option");
	check_bad("SEARCH RETURN ALL", "RETURN needs a list of options");
	check_bad("SEARCH RETURN", "RETURN needs a list of options");
	check_bad("SEARCH RETURN (MIN)", "Missing search key");
	check_bad("SEARCH ALL RETURN (MIN)", "Unknown search key");
	check_bad("SEARCH ALL CHARSET UTF-8", "Unknown search key");

	struct search_query *q;
	const char *error;
	CHECK_INT(parse("SEARCH CHARSET KOI8-R ALL", &q, &error), SEARCH_PARSE_BADCHARSET);
	CHECK(q == NULL);
	CHECK_INT(parse("SEARCH RETURN (COUNT) CHARSET \"ISO-8859-1\" FOO", &q, &error),
		  SEARCH_PARSE_BADCHARSET);
	CHECK_INT(parse("SEARCH CHARSET utf8 ALL", &q, &error), SEARCH_PARSE_BADCHARSET);
}

/* A command of n repetitions of unit between head and tail. */
static char *repeat(const char *head, const char *unit, unsigned int n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * n + tl + 1);
	size_t off = hl;

	memcpy(s, head, hl);
	for (unsigned int i = 0; i < n; i++, off += ul)
		memcpy(s + off, unit, ul);
	memcpy(s + off, tail, tl + 1);
	return s;
}

static void test_limits(void)
{
	char *s;
	struct search_query *q;

	/* SEARCH_DEPTH_MAX levels of NOT, OR and lists together */
	s = repeat("SEARCH ", "NOT ", SEARCH_DEPTH_MAX, "SEEN");
	q = query(s);
	if (q != NULL)
		CHECK_INT(matches(q), M1);   /* an even number of NOTs */
	free(s);
	s = repeat("SEARCH ", "NOT ", SEARCH_DEPTH_MAX + 1, "SEEN");
	check_bad(s, "Search keys nested too deeply");
	free(s);
	s = repeat("SEARCH ", "OR SEEN ", SEARCH_DEPTH_MAX, "DRAFT");
	q = query(s);
	if (q != NULL)
		CHECK_INT(matches(q), M1 | M2);
	free(s);
	s = repeat("SEARCH ", "OR SEEN ", SEARCH_DEPTH_MAX + 1, "DRAFT");
	check_bad(s, "Search keys nested too deeply");
	free(s);
	s = repeat("SEARCH ", "NOT (", SEARCH_DEPTH_MAX / 2, "SEEN");
	char *t = repeat(s, ")", SEARCH_DEPTH_MAX / 2, "");
	q = query(t);
	if (q != NULL)
		CHECK_INT(matches(q), M1);
	free(s);
	free(t);
	s = repeat("SEARCH ", "NOT (", SEARCH_DEPTH_MAX / 2 + 1, "SEEN");
	t = repeat(s, ")", SEARCH_DEPTH_MAX / 2 + 1, "");
	check_bad(t, "Search keys nested too deeply");
	free(s);
	free(t);
	/* OR OR OR ... a b c ...: the left-deep form of the same limit */
	s = repeat("SEARCH ", "OR ", SEARCH_DEPTH_MAX, "");
	t = repeat(s, "DRAFT ", SEARCH_DEPTH_MAX, "SEEN");
	q = query(t);
	if (q != NULL)
		CHECK_INT(matches(q), M1 | M2);
	free(s);
	free(t);

	/* SEARCH_KEYS_MAX nodes, the implicit top-level list included */
	s = repeat("SEARCH ALL", " SEEN", SEARCH_KEYS_MAX - 2, "");
	q = query(s);
	if (q != NULL)
		CHECK_INT(matches(q), M1);
	free(s);
	s = repeat("SEARCH ALL", " SEEN", SEARCH_KEYS_MAX - 1, "");
	check_bad(s, "Too many search keys");
	free(s);
	s = repeat("SEARCH ALL", " (SEEN)", SEARCH_KEYS_MAX / 2, "");
	check_bad(s, "Too many search keys");
	free(s);

	s = repeat("SEARCH ALL", " SUBJECT m1", SEARCH_TEXT_KEYS_MAX, "");
	q = query(s);
	if (q != NULL) {
		CHECK_INT(q->text_key_count, SEARCH_TEXT_KEYS_MAX);
		CHECK_INT(matches(q), M1);
	}
	free(s);
	s = repeat("SEARCH ALL", " SUBJECT m1", SEARCH_TEXT_KEYS_MAX + 1, "");
	check_bad(s, "Too many text search keys");
	free(s);

	char head[64];
	snprintf(head, sizeof(head), "SEARCH SUBJECT {%d}\r\n", SEARCH_STRING_MAX);
	s = repeat(head, "m", SEARCH_STRING_MAX, "");
	q = query(s);
	if (q != NULL)
		CHECK_INT(q->text_keys[0].value_len, SEARCH_STRING_MAX);
	free(s);
	snprintf(head, sizeof(head), "SEARCH SUBJECT {%d}\r\n", SEARCH_STRING_MAX + 1);
	s = repeat(head, "m", SEARCH_STRING_MAX + 1, "");
	check_bad(s, "Search string too long");
	free(s);
	s = repeat("SEARCH HEADER ", "X", SEARCH_HEADER_NAME_MAX + 1, " a");
	check_bad(s, "Search string too long");
	free(s);
	s = repeat("SEARCH HEADER ", "X", SEARCH_HEADER_NAME_MAX, " m3");
	q = query(s);
	if (q != NULL)
		CHECK_INT(matches(q), M3);
	free(s);
	s = repeat("SEARCH EMAILID ", "a", 256, "");
	check_bad(s, "Invalid object id");
	free(s);
	s = repeat("SEARCH 1", ",1", SEARCH_SEQSET_RANGES_MAX, "");
	check_bad(s, "Sequence set too long");
	free(s);
	s = repeat("SEARCH 3", ",3", SEARCH_SEQSET_RANGES_MAX - 1, "");
	q = query(s);
	if (q != NULL)
		CHECK_INT(matches(q), M3);
	free(s);
}

static void test_prepare(void)
{
	struct search_query *q = query("SEARCH OR * UID *");
	struct search_context ctx = { 0 };

	/* empty mailbox: '*' is 0, nothing matches */
	if (q != NULL) {
		search_query_prepare(q, &ctx);
		CHECK(!search_query_match(q, &msgs[0], &ctx));
	}
	/* "$" without a saved result matches nothing */
	q = query("SEARCH OR $ UID $");
	if (q != NULL) {
		search_query_prepare(q, &ctx);
		CHECK(!search_query_match(q, &msgs[0], &ctx));
	}
	CHECK_INT(search_day(0, 0), 0);
	CHECK_INT(search_day(-1, 0), -1);
	CHECK_INT(search_day(-86400, 0), -1);
	CHECK_INT(search_day(-86401, 0), -2);
	CHECK_INT(search_day(86399, 0), 0);
	CHECK_INT(search_day(86399, 1), 1);
	CHECK_INT(search_day(0, -1), -1);
	CHECK_INT(search_day(utc(2024, 3, 1, 0, 0), 0), 19783);
}

static void check_bounds(const char *cmd, uint32_t slo, uint32_t shi, uint32_t ulo, uint32_t uhi,
			 bool empty)
{
	struct search_query *q = query(cmd);
	struct search_bounds b;

	if (q == NULL)
		return;
	struct search_context ctx = context(q);
	search_query_prepare(q, &ctx);
	search_query_bounds(q, &ctx, &b);
	if (b.seq_lo != slo || b.seq_hi != shi || b.uid_lo != ulo || b.uid_hi != uhi ||
	    b.empty != empty)
		printf("  bounds of \"%s\": %u:%u %u:%u %d\n", cmd, b.seq_lo, b.seq_hi, b.uid_lo,
		       b.uid_hi, b.empty);
	CHECK_INT(b.seq_lo, slo);
	CHECK_INT(b.seq_hi, shi);
	CHECK_INT(b.uid_lo, ulo);
	CHECK_INT(b.uid_hi, uhi);
	CHECK_INT(b.empty, empty);
}

static void test_bounds(void)
{
	check_bounds("SEARCH ALL", 1, UINT32_MAX, 1, UINT32_MAX, false);
	check_bounds("SEARCH UID 20:25 SEEN", 1, UINT32_MAX, 20, 25, false);
	check_bounds("SEARCH UID 25:20", 1, UINT32_MAX, 20, 25, false);
	check_bounds("SEARCH UID 20:*", 1, UINT32_MAX, 20, 30, false);
	check_bounds("SEARCH 2,5:6 (UID 10:20 (1:5))", 2, 5, 10, 20, false);
	check_bounds("SEARCH OR UID 5 UID 100", 1, UINT32_MAX, 1, UINT32_MAX, false);
	check_bounds("SEARCH NOT UID 5", 1, UINT32_MAX, 1, UINT32_MAX, false);
	check_bounds("SEARCH $", 1, UINT32_MAX, 10, 30, false);
	check_bounds("SEARCH UID 40:50 UID 1:10", 1, UINT32_MAX, 40, 10, true);
	check_bounds("SEARCH 3 1", 3, 1, 1, UINT32_MAX, true);
}

static void check_format(const char *cmd, const struct search_format *f, const uint32_t *numbers,
			 const uint64_t *modseqs, uint32_t count, const char *want)
{
	struct search_query *q = query(cmd);
	struct buf out;

	if (q == NULL)
		return;
	struct resp_out ro;

	buf_init(&out, 4096);
	resp_out_init_buf(&ro, &out);
	bool sent = search_query_format(q, f, numbers, modseqs, count, &ro);
	if (want == NULL) {
		CHECK(!sent);
		CHECK_INT(out.len, 0);
	} else {
		CHECK(sent);
		CHECK_STR(out.data, want);
	}
	buf_free(&out);
}

static void test_format(void)
{
	static const uint32_t nums[] = { 1, 2, 3, 9 };
	static const uint64_t mods[] = { 7, 12, 3, 9 };
	static const uint32_t sorted[] = { 9, 2, 3, 4 };
	struct search_format plain = { .tag = "a1" };
	struct search_format uid = { .tag = "a1", .uid = true };
	struct search_format rev2 = { .tag = "A285", .imap4rev2 = true };
	struct search_format sort = { .tag = "s", .sort = true, .imap4rev2 = true };

	check_format("SEARCH ALL", &plain, nums, NULL, 4, "* SEARCH 1 2 3 9");
	check_format("SEARCH ALL", &plain, nums, NULL, 0, "* SEARCH");
	check_format("SEARCH MODSEQ 1", &plain, nums, mods, 4, "* SEARCH 1 2 3 9 (MODSEQ 12)");
	check_format("SEARCH MODSEQ 1", &plain, nums, mods, 0, "* SEARCH");
	check_format("SEARCH ALL", &sort, sorted, NULL, 4, "* SORT 9 2 3 4");
	check_format("SEARCH MODSEQ 1", &sort, sorted, mods, 1, "* SORT 9 (MODSEQ 7)");
	/* RFC 4731 §3.1 */
	check_format("SEARCH RETURN (MIN MAX COUNT ALL) ALL", &uid, nums, NULL, 4,
		     "* ESEARCH (TAG \"a1\") UID MIN 1 MAX 9 COUNT 4 ALL 1:3,9");
	check_format("SEARCH RETURN () ALL", &plain, nums, NULL, 4,
		     "* ESEARCH (TAG \"a1\") ALL 1:3,9");
	check_format("SEARCH RETURN (MIN COUNT) ALL", &plain, nums + 1, NULL, 3,
		     "* ESEARCH (TAG \"a1\") MIN 2 COUNT 3");
	check_format("SEARCH RETURN (COUNT) ALL", &plain, nums, NULL, 0,
		     "* ESEARCH (TAG \"a1\") COUNT 0");
	check_format("SEARCH RETURN (MIN MAX ALL) ALL", &uid, nums, NULL, 0,
		     "* ESEARCH (TAG \"a1\") UID");
	check_format("SEARCH RETURN (SAVE) ALL", &plain, nums, NULL, 4, NULL);
	check_format("SEARCH RETURN (SAVE MIN) ALL", &plain, nums, NULL, 4,
		     "* ESEARCH (TAG \"a1\") MIN 1");
	/* RFC 9051: SEARCH answers ESEARCH ALL without RETURN */
	check_format("SEARCH ALL", &rev2, nums, NULL, 4, "* ESEARCH (TAG \"A285\") ALL 1:3,9");
	check_format("SEARCH ALL", &rev2, nums, NULL, 0, "* ESEARCH (TAG \"A285\")");
	/* RFC 7162 §3.1.5 */
	check_format("SEARCH RETURN (ALL) MODSEQ 1", &plain, nums, mods, 4,
		     "* ESEARCH (TAG \"a1\") ALL 1:3,9 MODSEQ 12");
	check_format("SEARCH RETURN (COUNT) MODSEQ 1", &plain, nums, mods, 4,
		     "* ESEARCH (TAG \"a1\") COUNT 4 MODSEQ 12");
	check_format("SEARCH RETURN (MIN) MODSEQ 1", &plain, nums, mods, 4,
		     "* ESEARCH (TAG \"a1\") MIN 1 MODSEQ 7");
	check_format("SEARCH RETURN (MIN MAX) MODSEQ 1", &plain, nums, mods, 4,
		     "* ESEARCH (TAG \"a1\") MIN 1 MAX 9 MODSEQ 9");
	check_format("SEARCH RETURN (MAX) MODSEQ 1", &plain, nums, mods, 3,
		     "* ESEARCH (TAG \"a1\") MAX 3 MODSEQ 3");
	check_format("SEARCH RETURN (COUNT) MODSEQ 1", &plain, nums, mods, 0,
		     "* ESEARCH (TAG \"a1\") COUNT 0");
	/* ESORT (RFC 5267 §3.2): first and last in sort order, ALL in order */
	check_format("SEARCH RETURN (MIN MAX ALL COUNT) ALL", &sort, sorted, NULL, 4,
		     "* ESEARCH (TAG \"s\") MIN 9 MAX 4 COUNT 4 ALL 9,2:4");
	struct search_format odd = { .tag = "a\"b\\" };
	check_format("SEARCH RETURN (COUNT) ALL", &odd, nums, NULL, 1,
		     "* ESEARCH (TAG \"a\\\"b\\\\\") COUNT 1");
}

static void check_save(const char *cmd, const uint32_t *uids, uint32_t count, const char *want)
{
	struct search_query *q = query(cmd);
	uint32_t saved_r[16];
	char got[256] = "";
	size_t len = 0;

	if (q == NULL)
		return;
	uint32_t n = search_query_save(q, uids, count, saved_r);
	for (uint32_t i = 0; i < n; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%u", i ? "," : "",
					(unsigned int)saved_r[i]);
	CHECK_STR(got, want);
}

static void test_save(void)
{
	static const uint32_t uids[] = { 10, 20, 30, 40 };
	static const uint32_t sorted[] = { 40, 10, 30, 20 };

	check_save("SEARCH ALL", uids, 4, "");
	check_save("SEARCH RETURN (ALL) ALL", uids, 4, "");
	check_save("SEARCH RETURN (SAVE) ALL", uids, 4, "10,20,30,40");
	check_save("SEARCH RETURN (SAVE MIN) ALL", uids, 4, "10");
	check_save("SEARCH RETURN (SAVE MAX) ALL", uids, 4, "40");
	check_save("SEARCH RETURN (SAVE MIN MAX) ALL", uids, 4, "10,40");
	check_save("SEARCH RETURN (SAVE MIN MAX) ALL", uids, 1, "10");
	check_save("SEARCH RETURN (SAVE MIN COUNT) ALL", uids, 4, "10,20,30,40");
	check_save("SEARCH RETURN (SAVE MAX ALL) ALL", uids, 4, "10,20,30,40");
	check_save("SEARCH RETURN (SAVE MIN) ALL", uids, 0, "");
	/* sort order in, ascending out */
	check_save("SEARCH RETURN (SAVE) ALL", sorted, 4, "10,20,30,40");
	check_save("SEARCH RETURN (SAVE MIN MAX) ALL", sorted, 4, "20,40");
}

int main(void)
{
	arena = arena_create(4096);
	parser = imap_parser_create(&limits);
	setup_messages();
	test_every_key();
	test_text_keys();
	test_flags_of_query();
	test_errors();
	test_limits();
	test_prepare();
	test_bounds();
	test_format();
	test_save();
	imap_parser_destroy(&parser);
	arena_destroy(&arena);
	return unit_finish("search-query");
}
