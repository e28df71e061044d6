/* Unit tests for SORT and THREAD (RFC 5256, RFC 5957, RFC 5267): base
 * subjects, message-id extraction, SORT and THREAD argument parsing, the
 * sort order, and both threading algorithms with exact response bytes,
 * including the RFC's own examples, loops, dummies and hostile sizes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/parser.h"
#include "imap/search-query.h"
#include "imap/sort-query.h"
#include "imap/thread.h"
#include "mail/base-subject.h"
#include "mail/msgid.h"
#include "unit.h"

static struct arena *arena;
static struct imap_parser *parser;

static const struct imap_parser_limits limits = {
	.max_line = 1 << 20, .max_command = 1 << 21, .max_depth = 200, .max_args = 100000,
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- base subject ---- */

static void check_subject(const char *in, size_t len, const char *want, bool want_refwd)
{
	bool refwd = !want_refwd;
	const char *got = base_subject(arena, in, len, &refwd);

	if (strcmp(got, want) != 0 || refwd != want_refwd)
		printf("  base subject of \"%s\"\n", in);
	CHECK_STR(got, want);
	CHECK_INT(refwd, want_refwd);
}

static void subj(const char *in, const char *want, bool want_refwd)
{
	check_subject(in, strlen(in), want, want_refwd);
}

/* A long subject from a repeated unit, in the arena. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len_r)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = arena_alloc(arena, hl + ul * n + tl + 1);
	size_t off = hl;

	memcpy(s, head, hl);
	for (size_t i = 0; i < n; i++, off += ul)
		memcpy(s + off, unit, ul);
	memcpy(s + off, tail, tl + 1);
	if (len_r != NULL)
		*len_r = off + tl;
	return s;
}

static void test_base_subject(void)
{
	subj("foo", "foo", false);
	subj("Re: foo", "foo", true);
	subj("RE: Re: re:foo", "foo", true);
	subj("Fwd: foo", "foo", true);
	subj("FW: foo", "foo", true);
	subj("fw:foo", "foo", true);
	subj("Re[2]: foo", "foo", true);
	subj("Re [2] : foo", "foo", true);
	subj("Re:  Fwd:\tRe:foo", "foo", true);
	subj("[list] Re: foo", "foo", true);
	subj("[list] foo", "foo", false);
	subj("[a][b] foo", "foo", false);
	subj("[a] [b] Re: [c] Fwd: foo", "foo", true);
	subj("[a] [b]", "[b]", false);
	subj("[a]", "[a]", false);
	subj("[a]b", "b", false);
	subj("Re: [a]", "[a]", true);
	subj("foo (fwd)", "foo", true);
	subj("foo (FWD) (fwd)  ", "foo", true);
	subj("foo(fwd)", "foo", true);
	subj("[fwd: foo]", "foo", true);
	subj("[Fwd: Re: foo (fwd)]", "foo", true);
	subj("[fwd: [fwd: foo]]", "foo", true);
	subj("Re: [fwd: [list] foo]", "foo", true);
	subj("[fwd: foo] bar", "bar", false);
	subj("[fwd:]", "", true);
	subj("  \t foo \r\n\tbar  ", "foo bar", false);
	subj("foo  \t bar", "foo bar", false);
	subj("Rename: x", "Rename: x", false);
	subj("Reply", "Reply", false);
	subj("re", "re", false);
	subj("Fwd", "Fwd", false);
	subj("Re:", "", true);
	subj("Re: (fwd)", "", true);
	subj("(fwd)", "", true);
	subj("", "", false);
	subj("   ", "", false);
	subj("Re: Re[1][2]: x", "Re[1][2]: x", true);
	subj("[unclosed foo", "[unclosed foo", false);
	subj("[a] [unclosed", "[unclosed", false);
	subj("[a]] b", "] b", false);
	subj("Re: \xc3\x9c" "n\xc3\xaf" "code", "\xc3\x9c" "n\xc3\xaf" "code", true);
	check_subject("a\0b", 3, "ab", false);
	CHECK_STR(base_subject(arena, "Re: x", 5, NULL), "x");

	/* linear on hostile input (a quadratic scan would take minutes) */
	double t0 = now_sec();
	size_t len;
	char *s = repeat("", "[a]", 200000, "x", &len);
	check_subject(s, len, "x", false);
	s = repeat("", "[a]", 200000, "", &len);
	check_subject(s, len, "[a]", false);
	s = repeat("", "Re: ", 200000, "x", &len);
	check_subject(s, len, "x", true);
	s = repeat("", "[fwd: ", 50000, "x", NULL);
	s = repeat(s, "]", 50000, "", &len);
	check_subject(s, len, "x", true);
	s = repeat("", "[fwd: Re [", 50000, "x", NULL);
	s = repeat(s, "]", 50000, "", &len);
	CHECK(base_subject(arena, s, len, NULL) != NULL);
	s = repeat("Re [", "a", 500000, "] x", &len);
	check_subject(s, len, s, false);
	s = repeat("", "x (fwd)", 100000, "", &len);
	CHECK(base_subject(arena, s, len, NULL) != NULL);
	s = repeat("", "[a] [", 100000, "", &len);
	CHECK(base_subject(arena, s, len, NULL) != NULL);
	double t = now_sec() - t0;
	if (t > 2.0)
		printf("base subject: hostile inputs took %.2f s\n", t);
	CHECK(t < 2.0);
}

/* ---- message ids ---- */

static void check_first(const char *value, const char *want)
{
	const char *got = msgid_first(arena, value, value != NULL ? strlen(value) : 0);

	if (want == NULL) {
		if (got != NULL)
			printf("  first id of \"%s\": \"%s\"\n", value, got);
		CHECK(got == NULL);
	} else {
		CHECK_STR(got, want);
	}
}

static void test_msgid(void)
{
	check_first("<a@b>", "a@b");
	check_first("  <a@b>  ", "a@b");
	check_first("<\"a.b\"@x>", "a.b@x");
	check_first("<\"a\\\"b\"@x>", "a\"b@x");
	check_first("<\"01KF8JCEOCBS0045PS\"@xxx.yyy.com>", "01KF8JCEOCBS0045PS@xxx.yyy.com");
	check_first("(c <c@d>) <e@f>", "e@f");
	check_first("(nested (comment <x@y>) <q@r>) <z@w>", "z@w");
	check_first("\"q <q@r>\" <e@f>", "e@f");
	check_first("Your message of \"Mon\" <e@f>", "e@f");
	check_first("<a> <b@c>", "b@c");
	check_first("<a@b <c@d>", "c@d");
	check_first("<@b> <a@> <a@b>", "a@b");
	check_first("<a @ b>", "a@b");
	check_first("<a\r\n @b>", "a@b");
	check_first("<a(comment)@b>", "a@b");
	check_first("<a.b@[1.2.3.4]>", "a.b@[1.2.3.4]");
	check_first("<a\x01" "b@c> <d@e>", "d@e");
	check_first("<a@b@c>", "a@b@c");
	check_first("<\"x@y\"@z>", "x@y@z");
	check_first("<\"x@y\">", NULL);
	check_first("<a@b", NULL);
	check_first("junk", NULL);
	check_first("", NULL);
	check_first(NULL, NULL);
	check_first("<a@b>>", "a@b");
	check_first("<\xc3\xa4@b>", "\xc3\xa4@b");

	/* MSGID_MAX bytes fit, one more does not */
	size_t len;
	char *id = repeat("<", "x", MSGID_MAX - 2, "@y>", &len);
	char *want = arena_strndup(arena, id + 1, len - 2);
	check_first(id, want);
	id = repeat("<", "x", MSGID_MAX - 1, "@y> <ok@y>", &len);
	check_first(id, "ok@y");

	const char *refs = "<a@b>\r\n <c@d> junk <e@f>";
	CHECK_INT(msgid_count(refs, strlen(refs)), 3);
	CHECK_INT(msgid_count(NULL, 0), 0);
	CHECK_INT(msgid_count("<x>", 3), 0);

	struct buf b;
	const char *p = refs, *end = refs + strlen(refs);
	buf_init(&b, MSGID_MAX + 1);
	CHECK(msgid_next(&p, end, &b));
	CHECK_STR(b.data, "a@b");
	CHECK(msgid_next(&p, end, &b));
	CHECK_STR(b.data, "c@d");
	CHECK(msgid_next(&p, end, &b));
	CHECK_STR(b.data, "e@f");
	CHECK(!msgid_next(&p, end, &b));
	CHECK(p == end);
	CHECK_INT(b.len, 0);
	buf_free(&b);

	/* one long value: linear */
	double t0 = now_sec();
	char *many = repeat("", "<a@b> ", 200000, "", &len);
	CHECK_INT(msgid_count(many, len), 200000);
	many = repeat("", "<<<<", 200000, "a@b>", &len);
	CHECK_INT(msgid_count(many, len), 1);
	many = repeat("<", "(((", 100000, "", &len);
	CHECK_INT(msgid_count(many, len), 0);
	CHECK(now_sec() - t0 < 2.0);
}

/* ---- argument parsing ---- */

static const struct imap_arg *parse_cmd(const char *cmd, unsigned int *count_r)
{
	size_t len = strlen(cmd);
	char *line = malloc(len + 8);
	size_t off = 0, total = len + 4;
	const struct imap_arg *args = NULL;

	memcpy(line, "t ", 2);
	memcpy(line + 2, cmd, len);
	memcpy(line + 2 + len, "\r\n", 2);
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
		}
		if (r != IMAP_PARSE_NEED_MORE || off == total)
			break;
	}
	free(line);
	return args;
}

static struct sort_query *sort_parse(const char *cmd, enum search_parse_result want,
				     const char *want_error)
{
	unsigned int count;
	const struct imap_arg *args = parse_cmd(cmd, &count);
	struct sort_query *q = NULL;
	const char *error = NULL;

	CHECK(args != NULL);
	if (args == NULL)
		return NULL;
	enum search_parse_result r = sort_query_parse(args, count, arena, &q, &error);
	if (r != want)
		printf("  for \"%s\": %s\n", cmd, error != NULL ? error : "");
	CHECK_INT(r, want);
	if (want_error != NULL)
		CHECK_STR(error, want_error);
	CHECK((q != NULL) == (r == SEARCH_PARSE_OK));
	return q;
}

static struct thread_query *thread_parse(const char *cmd, enum search_parse_result want,
					 const char *want_error)
{
	unsigned int count;
	const struct imap_arg *args = parse_cmd(cmd, &count);
	struct thread_query *q = NULL;
	const char *error = NULL;

	CHECK(args != NULL);
	if (args == NULL)
		return NULL;
	enum search_parse_result r = thread_query_parse(args, count, arena, &q, &error);
	if (r != want)
		printf("  for \"%s\": %s\n", cmd, error != NULL ? error : "");
	CHECK_INT(r, want);
	if (want_error != NULL)
		CHECK_STR(error, want_error);
	CHECK((q != NULL) == (r == SEARCH_PARSE_OK));
	return q;
}

static void test_sort_parse(void)
{
	struct sort_query *q;

	q = sort_parse("SORT (SUBJECT REVERSE DATE) UTF-8 ALL", SEARCH_PARSE_OK, NULL);
	if (q != NULL) {
		CHECK_INT(q->count, 2);
		CHECK_INT(q->criteria[0].key, SORT_SUBJECT);
		CHECK(!q->criteria[0].reverse);
		CHECK_INT(q->criteria[1].key, SORT_DATE);
		CHECK(q->criteria[1].reverse);
		CHECK(!q->search->return_given);
	}
	q = sort_parse("SORT (arrival cc date from size subject to displayfrom displayto "
		       "reverse ARRIVAL) us-ascii SEEN", SEARCH_PARSE_OK, NULL);
	if (q != NULL) {
		static const enum sort_key want[] = {
			SORT_ARRIVAL, SORT_CC, SORT_DATE, SORT_FROM, SORT_SIZE, SORT_SUBJECT,
			SORT_TO, SORT_DISPLAYFROM, SORT_DISPLAYTO, SORT_ARRIVAL,
		};
		CHECK_INT(q->count, 10);
		for (unsigned int i = 0; i < 10 && i < q->count; i++)
			CHECK_INT(q->criteria[i].key, want[i]);
		CHECK(q->criteria[9].reverse);
		CHECK_INT(q->search->needs, SEARCH_NEED_FLAGS);
	}
	q = sort_parse("SORT RETURN (MIN COUNT) (ARRIVAL) UTF-8 MODSEQ 5 $", SEARCH_PARSE_OK, NULL);
	if (q != NULL) {
		CHECK(q->search->return_given);
		CHECK_INT(q->search->return_opts, SEARCH_RETURN_MIN | SEARCH_RETURN_COUNT);
		CHECK(q->search->uses_modseq);
		CHECK(q->search->uses_saved);
	}
	q = sort_parse("SORT RETURN () (SIZE) UTF-8 ALL", SEARCH_PARSE_OK, NULL);
	if (q != NULL)
		CHECK_INT(q->search->return_opts, SEARCH_RETURN_ALL);

	sort_parse("SORT", SEARCH_PARSE_BAD, "SORT needs a list of sort criteria");
	sort_parse("SORT DATE UTF-8 ALL", SEARCH_PARSE_BAD, "SORT needs a list of sort criteria");
	sort_parse("SORT () UTF-8 ALL", SEARCH_PARSE_BAD, "Empty sort criteria");
	sort_parse("SORT (REVERSE) UTF-8 ALL", SEARCH_PARSE_BAD, "REVERSE needs a sort criterion");
	sort_parse("SORT (DATE REVERSE) UTF-8 ALL", SEARCH_PARSE_BAD,
		   "REVERSE needs a sort criterion");
	sort_parse("SORT (REVERSE REVERSE DATE) UTF-8 ALL", SEARCH_PARSE_BAD,
		   "Unknown sort criterion");
	sort_parse("SORT (FOO) UTF-8 ALL", SEARCH_PARSE_BAD, "Unknown sort criterion");
	sort_parse("SORT ((DATE)) UTF-8 ALL", SEARCH_PARSE_BAD, "Unknown sort criterion");
	sort_parse("SORT (\"DATE\") UTF-8 ALL", SEARCH_PARSE_BAD, "Unknown sort criterion");
	sort_parse("SORT (DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE "
		   "DATE DATE DATE DATE) UTF-8 ALL", SEARCH_PARSE_BAD, "Too many sort criteria");
	sort_parse("SORT (DATE)", SEARCH_PARSE_BAD, "Missing charset");
	sort_parse("SORT (DATE) UTF-8", SEARCH_PARSE_BAD, "Missing search key");
	sort_parse("SORT (DATE) UTF-8 FOO", SEARCH_PARSE_BAD, "Unknown search key");
	sort_parse("SORT RETURN (FOO) (DATE) UTF-8 ALL", SEARCH_PARSE_BAD, "Unknown RETURN option");
	sort_parse("SORT RETURN (MIN) UTF-8 ALL", SEARCH_PARSE_BAD,
		   "SORT needs a list of sort criteria");
	sort_parse("SORT (DATE) US-ASCII SUBJECT \"caf\xc3\xa9\"", SEARCH_PARSE_BAD,
		   "8-bit data in US-ASCII search string");
	/* the charset is mandatory and takes the place of the first key */
	sort_parse("SORT (DATE) ALL", SEARCH_PARSE_BADCHARSET, NULL);
	sort_parse("SORT (DATE) CHARSET UTF-8 ALL", SEARCH_PARSE_BADCHARSET, NULL);
	sort_parse("SORT (DATE) ISO-8859-1 ALL", SEARCH_PARSE_BADCHARSET, NULL);
}

static void test_thread_parse(void)
{
	struct thread_query *q;

	q = thread_parse("THREAD REFERENCES UTF-8 ALL", SEARCH_PARSE_OK, NULL);
	if (q != NULL)
		CHECK_INT(q->algorithm, THREAD_REFERENCES);
	q = thread_parse("THREAD orderedsubject US-ASCII SINCE 5-MAR-2000", SEARCH_PARSE_OK, NULL);
	if (q != NULL) {
		CHECK_INT(q->algorithm, THREAD_ORDEREDSUBJECT);
		CHECK_INT(q->search->needs, SEARCH_NEED_INTERNALDATE);
	}
	thread_parse("THREAD", SEARCH_PARSE_BAD, "THREAD needs an algorithm");
	thread_parse("THREAD FOO UTF-8 ALL", SEARCH_PARSE_BAD, "Unknown threading algorithm");
	thread_parse("THREAD (REFERENCES) UTF-8 ALL", SEARCH_PARSE_BAD,
		     "Unknown threading algorithm");
	thread_parse("THREAD \"REFERENCES\" UTF-8 ALL", SEARCH_PARSE_BAD,
		     "Unknown threading algorithm");
	thread_parse("THREAD REFERENCES", SEARCH_PARSE_BAD, "Missing charset");
	thread_parse("THREAD REFERENCES UTF-8", SEARCH_PARSE_BAD, "Missing search key");
	thread_parse("THREAD REFERENCES UTF-8 NOT", SEARCH_PARSE_BAD,
		     "Missing operand of NOT or OR");
	thread_parse("THREAD REFERENCES KOI8-R ALL", SEARCH_PARSE_BADCHARSET, NULL);
}

/* ---- sorting ---- */

static const char *order_of(const struct sort_message *m, uint32_t n)
{
	static char s[512];
	size_t len = 0;

	s[0] = '\0';
	for (uint32_t i = 0; i < n && len < sizeof(s) - 16; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s%u", i ? " " : "",
					(unsigned int)m[i].number);
	return s;
}

static void check_sort(const char *criteria, const char *want)
{
	/* number, arrival, sent, size, subject, from, to, cc, displayfrom, displayto */
	struct sort_message base[] = {
		{ 1, 100, 300, 10, "b", "x@a", "b@b", NULL, "zed", "", 0, 0 },
		{ 2, 200, 100, 30, "a", "a@a", "", "c@c", "amy", "bob", 0, 0 },
		{ 3, 300, 350, 20, "b", "x@a", "a@b", "", "", "al", 0, 0 },
		{ 4, 400, 100, 10, "a", "", "c@b", "a@c", "bea", NULL, 0, 0 },
		{ 5, 50, 400, 30, "", NULL, NULL, "b@c", "amy", "cy", 0, 0 },
	};
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "SORT %s UTF-8 ALL", criteria);
	struct sort_query *q = sort_parse(cmd, SEARCH_PARSE_OK, NULL);
	if (q == NULL)
		return;
	sort_messages(base, 5, q);
	if (strcmp(order_of(base, 5), want) != 0)
		printf("  for %s\n", criteria);
	CHECK_STR(order_of(base, 5), want);
}

static int int_cmp(const void *a, const void *b, void *ctx)
{
	int x = *(const int *)a / 10000, y = *(const int *)b / 10000;

	(void)ctx;
	return x < y ? -1 : x > y;
}

static void test_sort(void)
{
	check_sort("(SUBJECT)", "5 2 4 1 3");
	check_sort("(SUBJECT REVERSE DATE)", "5 2 4 3 1");
	/* RFC 5256 §3: REVERSE leaves the final tie-break ascending */
	check_sort("(REVERSE SUBJECT)", "1 3 2 4 5");
	check_sort("(ARRIVAL)", "5 1 2 3 4");
	check_sort("(REVERSE ARRIVAL)", "4 3 2 1 5");
	check_sort("(DATE)", "2 4 1 3 5");
	check_sort("(REVERSE DATE)", "5 3 1 2 4");
	check_sort("(SIZE)", "1 4 3 2 5");
	check_sort("(REVERSE SIZE DATE)", "2 5 3 4 1");
	/* absent ("" or NULL) sorts first */
	check_sort("(FROM)", "4 5 2 1 3");
	check_sort("(TO)", "2 5 3 1 4");
	check_sort("(CC)", "1 3 4 5 2");
	check_sort("(REVERSE CC)", "2 5 4 1 3");
	check_sort("(DISPLAYFROM)", "3 2 5 4 1");
	check_sort("(DISPLAYFROM REVERSE ARRIVAL)", "3 2 5 4 1");
	check_sort("(DISPLAYFROM ARRIVAL)", "3 5 2 4 1");
	check_sort("(DISPLAYTO)", "1 4 3 2 5");
	check_sort("(FROM SUBJECT SIZE)", "5 4 2 1 3");
	check_sort("(SIZE SIZE REVERSE SIZE)", "1 4 3 2 5");

	/* stability of the merge sort on many ties, every length up to 300:
	 * key = value / 10000, the rest records the original position */
	int b[300];
	bool ok = true;
	for (size_t n = 0; n <= 300; n++) {
		for (size_t i = 0; i < n; i++)
			b[i] = (int)((i * 7919) % 31) * 10000 + (int)i;
		sort_stable(b, n, sizeof(int), int_cmp, NULL);
		for (size_t i = 1; i < n; i++) {
			if (b[i - 1] / 10000 > b[i] / 10000 ||
			    (b[i - 1] / 10000 == b[i] / 10000 && b[i - 1] % 10000 > b[i] % 10000))
				ok = false;
		}
	}
	CHECK(ok);

	/* a big array: sorted, ties in number order */
	uint32_t n = 100003;
	struct sort_message *big = calloc(n, sizeof(*big));
	for (uint32_t i = 0; i < n; i++) {
		big[i].number = i + 1;
		big[i].size = (i * 2654435761u) % 1000;
	}
	struct sort_query *q = sort_parse("SORT (SIZE) UTF-8 ALL", SEARCH_PARSE_OK, NULL);
	if (q != NULL) {
		double t0 = now_sec();
		sort_messages(big, n, q);
		CHECK(now_sec() - t0 < 2.0);
		ok = true;
		for (uint32_t i = 1; i < n; i++) {
			if (big[i - 1].size > big[i].size ||
			    (big[i - 1].size == big[i].size && big[i - 1].number > big[i].number))
				ok = false;
		}
		CHECK(ok);
	}
	free(big);
}

/* ---- threading ---- */

struct tmsg {
	uint32_t number;
	time_t sent;
	const char *subject;       /* raw: base_subject() applied here */
	const char *message_id, *references, *in_reply_to;
};

static void check_thread(enum thread_algorithm alg, const struct tmsg *in, uint32_t n,
			 const char *want)
{
	struct thread_message *m = calloc(n + 1, sizeof(*m));
	struct buf out;

	for (uint32_t i = 0; i < n; i++) {
		m[i].number = in[i].number;
		m[i].sent_date = in[i].sent;
		if (in[i].subject != NULL)
			m[i].base_subject = base_subject(arena, in[i].subject, strlen(in[i].subject),
							 &m[i].subject_is_reply);
		m[i].message_id = in[i].message_id;
		m[i].references = in[i].references;
		m[i].in_reply_to = in[i].in_reply_to;
	}
	buf_init(&out, 1 << 24);
	CHECK(thread_format(alg, m, n, &out));
	const char *got = out.data != NULL ? out.data : "";
	if (strcmp(got, want) != 0)
		printf("  thread: got \"%.200s\" want \"%.200s\"\n", got, want);
	CHECK(strcmp(got, want) == 0);
	buf_free(&out);
	free(m);
}

#define REFS(...) ((const struct tmsg[]){ __VA_ARGS__ })
#define NMSG(arr) (uint32_t)(sizeof(arr) / sizeof((arr)[0]))

static void test_references(void)
{
	/* chain and siblings */
	static const struct tmsg chain[] = {
		{ 1, 1, "a", "<1@x>", NULL, NULL },
		{ 2, 2, "Re: a", "<2@x>", "<1@x>", NULL },
		{ 3, 3, "Re: a", "<3@x>", "<1@x> <2@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, chain, 3, "(1 2 3)");
	static const struct tmsg siblings[] = {
		{ 1, 1, "a", "<1@x>", NULL, NULL },
		{ 2, 2, "Re: a", "<2@x>", "<1@x>", NULL },
		{ 3, 3, "Re: a", "<3@x>", "<1@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, siblings, 3, "(1 (2)(3))");

	/* RFC 5256 §4's example response */
	static const struct tmsg rfc[] = {
		{ 2, 2, "two", "<2@x>", NULL, NULL },
		{ 3, 3, "three", "<3@x>", NULL, NULL },
		{ 4, 4, "Re: three", "<4@x>", "<3@x> <6@x>", NULL },
		{ 6, 6, "Re: three", "<6@x>", "<3@x>", NULL },
		{ 7, 7, "Re: three", "<7@x>", "<3@x> <6@x> <44@x>", NULL },
		{ 23, 23, "Re: three", "<23@x>", "<3@x> <6@x> <4@x>", NULL },
		{ 44, 44, "Re: three", "<44@x>", "<3@x> <6@x>", NULL },
		{ 96, 96, "Re: three", "<96@x>", "<3@x> <6@x> <44@x> <7@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, rfc, NMSG(rfc), "(2)(3 6 (4 23)(44 7 96))");

	/* RFC 5256 §4: a dummy parent of two messages, "((3)(5))" */
	static const struct tmsg dummy2[] = {
		{ 3, 3, "x", "<3@x>", "<gone@x>", NULL },
		{ 5, 5, "y", "<5@x>", "<gone@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, dummy2, 2, "((3)(5))");
	/* a top-level dummy with one child is replaced by it */
	static const struct tmsg dummy1[] = {
		{ 3, 3, "x", "<3@x>", "<gone@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, dummy1, 1, "(3)");
	/* dummies under dummies: the children rise to the one kept */
	static const struct tmsg nested[] = {
		{ 4, 4, "x", "<4@x>", "<m1@x> <m2@x>", NULL },
		{ 5, 5, "y", "<5@x>", "<m1@x> <m3@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, nested, 2, "((4)(5))");
	/* a dummy under a message goes, its children take its place */
	static const struct tmsg under[] = {
		{ 1, 1, "a", "<1@x>", NULL, NULL },
		{ 2, 2, "b", "<2@x>", "<1@x> <gone@x>", NULL },
		{ 3, 3, "c", "<3@x>", "<1@x> <gone@x>", NULL },
		{ 4, 4, "d", "<4@x>", "<1@x> <gone2@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, under, 4, "(1 (2)(3)(4))");
	/* a chain of 5000 dummies above one message */
	struct buf b;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "<d%d@x> ", i);
	struct tmsg deep[] = { { 9, 9, "x", "<9@x>", arena_strdup(arena, b.data), NULL } };
	buf_free(&b);
	check_thread(THREAD_REFERENCES, deep, 1, "(9)");

	/* loops: A's parent is B and B's is A; a message naming itself */
	static const struct tmsg loop[] = {
		{ 1, 1, "a", "<a@x>", "<b@x>", NULL },
		{ 2, 2, "b", "<b@x>", "<a@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, loop, 2, "(2 1)");
	static const struct tmsg self[] = {
		{ 1, 1, "a", "<a@x>", "<a@x>", NULL },
		{ 2, 2, "b", "<b@x>", "<b@x> <a@x> <b@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, self, 2, "(2 1)");
	static const struct tmsg cycle[] = {
		{ 1, 1, "a", "<a@x>", "<c@x> <b@x>", NULL },
		{ 2, 2, "b", "<b@x>", "<a@x> <c@x>", NULL },
		{ 3, 3, "c", "<c@x>", "<b@x> <a@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, cycle, 3, "(3 2 1)");

	/* duplicate Message-ID: the first message keeps it */
	static const struct tmsg dup[] = {
		{ 1, 1, "a", "<a@x>", NULL, NULL },
		{ 2, 2, "b", "<a@x>", NULL, NULL },
		{ 3, 3, "c", "<c@x>", "<a@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, dup, 3, "(1 3)(2)");
	/* no Message-ID at all */
	static const struct tmsg noid[] = {
		{ 1, 1, "a", NULL, NULL, NULL },
		{ 2, 2, "b", "junk", NULL, NULL },
		{ 3, 3, "c", NULL, "<a@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, noid, 3, "(1)(2)(3)");

	/* In-Reply-To when References has no valid id; References wins */
	static const struct tmsg irt[] = {
		{ 1, 1, "a", "<a@x>", NULL, NULL },
		{ 2, 2, "b", "<b@x>", NULL, NULL },
		{ 3, 3, "c", "<c@x>", NULL, "<a@x> <b@x>" },
		{ 4, 4, "d", "<d@x>", "junk <nope>", "\"Your message\" <b@x>" },
		{ 5, 5, "e", "<e@x>", "<a@x>", "<b@x>" },
	};
	check_thread(THREAD_REFERENCES, irt, 5, "(1 (3)(5))(2 4)");

	/* (1A) an existing parent is kept; (1B) the message's own last
	 * reference replaces a link made from someone else's References */
	static const struct tmsg keep[] = {
		{ 1, 1, "a", "<a@x>", NULL, NULL },
		{ 2, 2, "b", "<b@x>", NULL, NULL },
		{ 3, 3, "c", "<c@x>", "<b@x>", NULL },
		{ 4, 4, "d", "<d@x>", "<a@x> <c@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, keep, 4, "(1)(2 3 4)");
	static const struct tmsg rebind[] = {
		{ 1, 1, "a", "<a@x>", NULL, NULL },
		{ 2, 2, "b", "<b@x>", NULL, NULL },
		{ 3, 3, "c", "<e@x>", "<a@x> <c@x>", NULL },
		{ 4, 4, "d", "<c@x>", "<b@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, rebind, 4, "(1)(2 4 3)");

	/* siblings and the top level by sent date, not by number; equal
	 * dates in mailbox order */
	static const struct tmsg dates[] = {
		{ 1, 50, "a", "<a@x>", NULL, NULL },
		{ 2, 30, "b", "<b@x>", "<a@x>", NULL },
		{ 3, 20, "c", "<c@x>", "<a@x>", NULL },
		{ 4, 40, "d", "<d@x>", NULL, NULL },
		{ 5, 40, "e", "<e@x>", NULL, NULL },
		{ 6, 10, "f", "<f@x>", "<gone@x>", NULL },
		{ 7, 60, "g", "<g@x>", "<gone@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, dates, 7, "((6)(7))(4)(5)(1 (3)(2))");

	/* (5) subjects: a reply joins the original; two originals get a
	 * dummy; the original wins over a reply; empty subjects never join */
	static const struct tmsg s1[] = {
		{ 1, 1, "foo", "<1@x>", NULL, NULL },
		{ 2, 2, "Re: foo", "<2@x>", NULL, NULL },
	};
	check_thread(THREAD_REFERENCES, s1, 2, "(1 2)");
	static const struct tmsg s2[] = {
		{ 1, 1, "foo", "<1@x>", NULL, NULL },
		{ 2, 2, "foo", "<2@x>", NULL, NULL },
		{ 3, 3, "[list] foo", "<3@x>", NULL, NULL },
	};
	check_thread(THREAD_REFERENCES, s2, 3, "((1)(2)(3))");
	static const struct tmsg s3[] = {
		{ 1, 1, "Re: foo", "<1@x>", NULL, NULL },
		{ 2, 2, "foo", "<2@x>", NULL, NULL },
	};
	check_thread(THREAD_REFERENCES, s3, 2, "(2 1)");
	static const struct tmsg s4[] = {
		{ 1, 1, "", "<1@x>", NULL, NULL },
		{ 2, 2, "Re:", "<2@x>", NULL, NULL },
		{ 3, 3, NULL, "<3@x>", NULL, NULL },
	};
	check_thread(THREAD_REFERENCES, s4, 3, "(1)(2)(3)");
	/* a thread under a dummy (same subject) collects a later thread */
	static const struct tmsg s5[] = {
		{ 1, 1, "foo", "<1@x>", "<gone@x>", NULL },
		{ 2, 2, "Re: foo", "<2@x>", "<gone@x>", NULL },
		{ 3, 3, "Re: foo", "<3@x>", NULL, NULL },
		{ 4, 4, "foo", "<4@x>", "<gone2@x>", NULL },
		{ 5, 5, "Fwd: foo", "<5@x>", "<gone2@x>", NULL },
	};
	check_thread(THREAD_REFERENCES, s5, 5, "((1)(2)(3)(4)(5))");
	/* both replies, neither original: a dummy */
	static const struct tmsg s6[] = {
		{ 1, 1, "Re: foo", "<1@x>", NULL, NULL },
		{ 2, 2, "Re: foo", "<2@x>", NULL, NULL },
		{ 3, 3, "bar", "<3@x>", NULL, NULL },
	};
	check_thread(THREAD_REFERENCES, s6, 3, "((1)(2))(3)");

	/* References past THREAD_REFS_MAX: only the last ones count */
	buf_init(&b, 1 << 20);
	buf_append_str(&b, "<a@x>");
	for (int i = 0; i < THREAD_REFS_MAX; i++)
		buf_printf(&b, " <j%d@x>", i);
	char *many = arena_strdup(arena, b.data);
	buf_clear(&b);
	buf_append_str(&b, "<a@x>");
	for (int i = 0; i < THREAD_REFS_MAX - 1; i++)
		buf_printf(&b, " <j%d@x>", i);
	char *fits = arena_strdup(arena, b.data);
	buf_free(&b);
	struct tmsg trunc[] = {
		{ 1, 1, "a", "<a@x>", NULL, NULL },
		{ 2, 2, "b", "<b@x>", many, NULL },
	};
	check_thread(THREAD_REFERENCES, trunc, 2, "(1)(2)");
	trunc[1].references = fits;
	check_thread(THREAD_REFERENCES, trunc, 2, "(1 2)");

	check_thread(THREAD_REFERENCES, NULL, 0, "");
}

static void test_big_threads(void)
{
	uint32_t n = 20000;
	struct tmsg *m = calloc(n, sizeof(*m));
	struct buf want;
	double t0 = now_sec();

	/* a reply chain 20,000 deep (In-Reply-To only) */
	buf_init(&want, 1 << 24);
	buf_append_char(&want, '(');
	for (uint32_t i = 0; i < n; i++) {
		m[i].number = i + 1;
		m[i].sent = i;
		m[i].subject = "Re: long";
		m[i].message_id = arena_printf(arena, "<%u@x>", i + 1);
		m[i].in_reply_to = i == 0 ? NULL : arena_printf(arena, "<%u@x>", i);
		buf_printf(&want, "%s%u", i ? " " : "", i + 1);
	}
	buf_append_char(&want, ')');
	check_thread(THREAD_REFERENCES, m, n, want.data);
	/* the same chain given newest first in the mailbox: each message
	 * names the next one as its parent */
	buf_clear(&want);
	for (uint32_t i = 0; i < n; i++) {
		m[i].message_id = arena_printf(arena, "<%u@x>", i + 1);
		m[i].in_reply_to = arena_printf(arena, "<%u@x>", i + 2);
		m[i].sent = n - i;
	}
	buf_append_char(&want, '(');
	for (uint32_t i = n; i-- > 0;)
		buf_printf(&want, "%s%u", i + 1 == n ? "" : " ", i + 1);
	buf_append_char(&want, ')');
	check_thread(THREAD_REFERENCES, m, n, want.data);
	/* 20,000 replies to one message, out of date order */
	buf_clear(&want);
	for (uint32_t i = 0; i < n; i++) {
		m[i].message_id = arena_printf(arena, "<%u@x>", i + 1);
		m[i].in_reply_to = i == 0 ? NULL : "<1@x>";
		m[i].references = NULL;
		m[i].sent = i == 0 ? 0 : (time_t)(n - i);
	}
	buf_append_str(&want, "(1 ");
	for (uint32_t i = n; i-- > 1;)
		buf_printf(&want, "(%u)", i + 1);
	buf_append_char(&want, ')');
	check_thread(THREAD_REFERENCES, m, n, want.data);
	/* every message a loop with the next */
	for (uint32_t i = 0; i < n; i++) {
		m[i].message_id = arena_printf(arena, "<%u@x>", i);
		m[i].references = arena_printf(arena, "<%u@x> <%u@x>", (i + 1) % n, (i + 2) % n);
		m[i].in_reply_to = NULL;
		m[i].subject = "x";
		m[i].sent = i;
	}
	struct thread_message *tm = calloc(n, sizeof(*tm));
	for (uint32_t i = 0; i < n; i++) {
		tm[i].number = i + 1;
		tm[i].message_id = m[i].message_id;
		tm[i].references = m[i].references;
		tm[i].base_subject = "x";
	}
	buf_clear(&want);
	CHECK(thread_format(THREAD_REFERENCES, tm, n, &want));
	CHECK(want.len > 0);
	CHECK(thread_format(THREAD_ORDEREDSUBJECT, tm, n, &want));
	free(tm);
	buf_free(&want);
	free(m);
	double t = now_sec() - t0;
	if (t > 5.0)
		printf("big threads took %.2f s\n", t);
	CHECK(t < 5.0);

	/* output bounded by the buffer */
	struct thread_message two[2] = { { .number = 1 }, { .number = 2 } };
	struct buf small;
	buf_init(&small, 4);
	CHECK(!thread_format(THREAD_ORDEREDSUBJECT, two, 2, &small));
	buf_free(&small);
}

static void test_orderedsubject(void)
{
	static const struct tmsg m[] = {
		{ 1, 10, "a", NULL, NULL, NULL },
		{ 2, 5, "b", NULL, NULL, NULL },
		{ 3, 20, "Re: a", NULL, NULL, NULL },
		{ 4, 15, "[x] a", NULL, NULL, NULL },
		{ 5, 1, "b", NULL, NULL, NULL },
		{ 6, 12, "c", NULL, NULL, NULL },
		{ 7, 12, "", NULL, NULL, NULL },
		{ 8, 3, NULL, NULL, NULL, NULL },
	};
	check_thread(THREAD_ORDEREDSUBJECT, m, NMSG(m), "(5 2)(8 7)(1 (4)(3))(6)");
	check_thread(THREAD_ORDEREDSUBJECT, m, 1, "(1)");
	check_thread(THREAD_ORDEREDSUBJECT, m, 0, "");
	/* equal dates: mailbox order */
	static const struct tmsg same[] = {
		{ 1, 5, "a", NULL, NULL, NULL },
		{ 2, 5, "b", NULL, NULL, NULL },
		{ 3, 5, "a", NULL, NULL, NULL },
		{ 4, 5, "a", NULL, NULL, NULL },
	};
	check_thread(THREAD_ORDEREDSUBJECT, same, 4, "(1 (3)(4))(2)");
}

int main(void)
{
	arena = arena_create(1 << 16);
	parser = imap_parser_create(&limits);
	test_base_subject();
	test_msgid();
	test_sort_parse();
	test_thread_parse();
	test_sort();
	test_references();
	test_big_threads();
	test_orderedsubject();
	imap_parser_destroy(&parser);
	arena_destroy(&arena);
	return unit_finish("sort-thread");
}
