/* Unit tests for LIST patterns (RFC 9051 §6.3.9): reference + pattern
 * combination, INBOX case, decoding and limits, matching tables, a
 * cross-check against a plain dynamic-programming matcher, descendants
 * (match_parent) against brute force, and the time bound on hostile patterns. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "imap/list-match.h"
#include "unit.h"

static struct arena *arena;

static struct list_pattern *compile(const char *ref, const char *pat, bool utf8)
{
	struct list_pattern *p = NULL;
	const char *error = NULL;

	if (!list_pattern_compile(arena, ref, strlen(ref), pat, strlen(pat), utf8, &p, &error)) {
		printf("compile \"%s\" \"%s\": %s\n", ref, pat, error);
		return NULL;
	}
	return p;
}

/* The canonical pattern, or "ERR <message>". */
static const char *text(const char *ref, const char *pat, bool utf8)
{
	static char res[2048];
	struct list_pattern *p = NULL;
	const char *error = NULL;

	if (!list_pattern_compile(arena, ref, strlen(ref), pat, strlen(pat), utf8, &p, &error))
		snprintf(res, sizeof(res), "ERR %s", error);
	else
		snprintf(res, sizeof(res), "%s", list_pattern_text(p));
	return res;
}

static const char *const names[] = {
	"INBOX", "INBOX/Sub", "a", "a/b", "a/b/c", "ab", "axb", "b", "inboxes",
	"台北", "台北/日本語",
};

/* The names that match, space-separated, in the order of names[]. */
static const char *matches(const char *ref, const char *pat)
{
	static char res[1024];
	struct list_pattern *p = compile(ref, pat, false);
	size_t len = 0;

	res[0] = '\0';
	if (p == NULL)
		return "ERR";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (list_pattern_match(p, names[i]))
			len += (size_t)snprintf(res + len, sizeof(res) - len, "%s%s",
						len > 0 ? " " : "", names[i]);
	}
	return res;
}

static void test_match_table(void)
{
	CHECK_STR(matches("", "*"), "INBOX INBOX/Sub a a/b a/b/c ab axb b inboxes 台北 台北/日本語");
	CHECK_STR(matches("", "%"), "INBOX a ab axb b inboxes 台北");
	CHECK_STR(matches("", "INBOX"), "INBOX");
	CHECK_STR(matches("", "inbox"), "INBOX");
	CHECK_STR(matches("", "InBoX/%"), "INBOX/Sub");
	CHECK_STR(matches("", "inbox*"), "INBOX INBOX/Sub");
	CHECK_STR(matches("", "inbox%"), "INBOX");
	CHECK_STR(matches("", "inboxes"), "inboxes");
	CHECK_STR(matches("", "INBOXES"), "");
	CHECK_STR(matches("", "a/%"), "a/b");
	CHECK_STR(matches("", "a/*"), "a/b a/b/c");
	CHECK_STR(matches("", "%/%"), "INBOX/Sub a/b 台北/日本語");
	CHECK_STR(matches("", "%/%/%"), "a/b/c");
	CHECK_STR(matches("", "*b"), "INBOX/Sub a/b ab axb b");
	CHECK_STR(matches("", "a%b"), "ab axb");
	CHECK_STR(matches("", "a*b"), "a/b ab axb");
	CHECK_STR(matches("", "*/c"), "a/b/c");
	CHECK_STR(matches("", "%/c"), "");
	CHECK_STR(matches("", "a"), "a");
	CHECK_STR(matches("", "A"), "");
	CHECK_STR(matches("", "a/b/c/"), "");
	CHECK_STR(matches("", "&U,BTFw-/%"), "台北/日本語");
	CHECK_STR(matches("", "&U,BTFw-*"), "台北 台北/日本語");
	CHECK_STR(matches("", "**%%"), "INBOX INBOX/Sub a a/b a/b/c ab axb b inboxes 台北 台北/日本語");
	CHECK_STR(matches("", "%%"), "INBOX a ab axb b inboxes 台北");
	CHECK_STR(matches("", "*%*"), "INBOX INBOX/Sub a a/b a/b/c ab axb b inboxes 台北 台北/日本語");
	CHECK_STR(matches("", "%*b"), "INBOX/Sub a/b ab axb b");
	CHECK_STR(matches("", "%b"), "ab axb b");
	CHECK_STR(matches("", ""), "");
	/* Reference + pattern. */
	CHECK_STR(matches("a/", "%"), "a/b");
	CHECK_STR(matches("a/", "*"), "a/b a/b/c");
	CHECK_STR(matches("a", "/%"), "a/b");
	CHECK_STR(matches("a", "b"), "ab");
	CHECK_STR(matches("a", "%"), "a ab axb");
	CHECK_STR(matches("inbox/", "%"), "INBOX/Sub");
	CHECK_STR(matches("Inbox", ""), "INBOX");
	CHECK_STR(matches("&U,BTFw-/", "*"), "台北/日本語");
}

static void test_compile(void)
{
	const char *error = NULL;
	struct list_pattern *p = NULL;

	CHECK_STR(text("~smith/Mail/", "foo.*", false), "~smith/Mail/foo.*");
	CHECK_STR(text("archive/", "%", false), "archive/%");
	CHECK_STR(text("", "%*%", false), "*");
	CHECK_STR(text("", "a%%b**c%*d", false), "a%b*c*d");
	CHECK_STR(text("a*", "*b", false), "a*b");           /* runs across the join */
	CHECK_STR(text("inbox", "/%", false), "INBOX/%");
	CHECK_STR(text("", "iNbOx*", false), "INBOX*");
	CHECK_STR(text("", "inbox%/x", false), "INBOX%/x");
	CHECK_STR(text("", "inboxes", false), "inboxes");
	CHECK_STR(text("", "in%", false), "in%");
	CHECK_STR(text("x/", "inbox", false), "x/inbox");
	CHECK_STR(text("", "~peter/mail/&U,BTFw-/&ZeVnLIqe-", false), "~peter/mail/台北/日本語");
	CHECK_STR(text("", "&-*", false), "&*");
	CHECK_STR(text("", "台北/*", true), "台北/*");
	CHECK_STR(text("", "&U,BTFw-", true), "&U,BTFw-");
	CHECK_STR(text("", "", false), "");

	CHECK_STR(text("", "&U,BTFw", false),
		  "ERR Mailbox name has an unterminated modified UTF-7 sequence");
	CHECK_STR(text("&", "x", false),
		  "ERR Mailbox name has an unterminated modified UTF-7 sequence");
	CHECK_STR(text("", "&AGE-*", false), "ERR Mailbox name has non-canonical modified UTF-7");
	CHECK_STR(text("", "a\x01*", false), "ERR Mailbox name has control characters");
	CHECK_STR(text("", "a\x01*", true), "ERR Mailbox name has control characters");
	CHECK_STR(text("", "caf\xc3\xa9*", false),
		  "ERR Mailbox name has 8-bit characters (modified UTF-7 expected)");
	CHECK_STR(text("", "\xc0\xaf", true), "ERR Mailbox name is not valid UTF-8");

	/* LIST_PATTERN_MAX bytes, reference and pattern together. */
	char ref[LIST_PATTERN_MAX + 8], pat[LIST_PATTERN_MAX + 8];
	memset(pat, 'a', LIST_PATTERN_MAX);
	pat[LIST_PATTERN_MAX] = '\0';
	CHECK_INT(strlen(text("", pat, false)), LIST_PATTERN_MAX);
	pat[LIST_PATTERN_MAX] = 'a';
	pat[LIST_PATTERN_MAX + 1] = '\0';
	CHECK_STR(text("", pat, false), "ERR Mailbox name is too long");
	memset(ref, 'r', 600);
	ref[600] = '\0';
	pat[LIST_PATTERN_MAX - 600] = '\0';
	CHECK_INT(strlen(text(ref, pat, true)), LIST_PATTERN_MAX);
	pat[LIST_PATTERN_MAX - 600] = 'a';
	pat[LIST_PATTERN_MAX - 599] = '\0';
	CHECK_STR(text(ref, pat, true), "ERR Mailbox name is too long");

	/* LIST_PATTERN_WILDCARDS_MAX wildcards, counted after collapsing. */
	size_t n = 0;
	for (int i = 0; i < LIST_PATTERN_WILDCARDS_MAX; i++) {
		pat[n++] = 'a';
		pat[n++] = i % 2 ? '*' : '%';
	}
	pat[n] = '\0';
	CHECK(strcmp(text("", pat, false), pat) == 0);
	CHECK_STR(text("x%", pat, false), "ERR Too many wildcards in LIST pattern");
	memset(pat, '*', 200);
	pat[200] = '\0';
	CHECK_STR(text("", pat, false), "*");

	CHECK(list_pattern_is_delimiter_query("", 0));
	CHECK(!list_pattern_is_delimiter_query("%", 1));
	CHECK(!list_pattern_is_delimiter_query("\"\"", 2));

	/* The output parameter is untouched on failure. */
	CHECK(!list_pattern_compile(arena, "", 0, "&", 1, false, &p, &error));
	CHECK(p == NULL);
}

static void test_match_parent(void)
{
	struct {
		const char *pattern, *name;
		bool parent;
	} cases[] = {
		{ "%", "a", false },
		{ "*", "a", true },
		{ "a/%", "a", true },
		{ "a/%", "b", false },
		{ "a/%", "a/b", false },
		{ "a/*", "a/b", true },
		{ "%/%", "a", true },
		{ "%/%", "a/b", false },
		{ "a/", "a", false },          /* the child would be empty */
		{ "a/b", "a", true },
		{ "a/b", "ab", false },
		{ "*b", "x/y", true },
		{ "INBOX", "INBOX", false },
		{ "inbox/%", "INBOX", true },
		{ "a%", "a", false },
		{ "a/%/c", "a", true },
		{ "a/%/c", "a/x", true },
		{ "a/%/c", "a/x/y", false },
		{ "", "a", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct list_pattern *p = compile("", cases[i].pattern, false);

		if (p == NULL || list_pattern_match_parent(p, cases[i].name) != cases[i].parent) {
			unit_failed++;
			printf("FAIL match_parent(\"%s\", \"%s\") should be %s\n", cases[i].pattern,
			       cases[i].name, cases[i].parent ? "true" : "false");
		} else {
			unit_passed++;
		}
	}
}

/* Reference matcher: the textbook O(n·m) table, no cleverness. */
static bool dp_match(const char *pat, const char *name)
{
	size_t m = strlen(pat), n = strlen(name);
	static bool t[64][64];   /* t[i][j]: pat[0..i) matches name[0..j) */

	memset(t, 0, sizeof(t));
	t[0][0] = true;
	for (size_t i = 1; i <= m; i++) {
		char c = pat[i - 1];

		for (size_t j = 0; j <= n; j++) {
			bool v = false;

			if (c == '*' || c == '%') {
				v = t[i - 1][j] ||
				    (j > 0 && t[i][j - 1] && (c == '*' || name[j - 1] != '/'));
			} else if (j > 0) {
				v = t[i - 1][j - 1] && name[j - 1] == c;
			}
			t[i][j] = v;
		}
	}
	return t[m][n];
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static unsigned int rng(unsigned int bound)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned int)((rng_state >> 16) % bound);
}

static void random_string(char *s, size_t max, const char *alphabet)
{
	size_t n = rng((unsigned int)max + 1), k = strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[rng((unsigned int)k)];
	s[n] = '\0';
}

/* Every compiled pattern agrees with dp_match on random small inputs. */
static void test_against_dp(void)
{
	unsigned int runs = 30000, agree = 0;

	for (unsigned int r = 0; r < runs; r++) {
		char pat[24], name[40];

		random_string(pat, 12, "ab/*%");
		random_string(name, 24, "ab/");
		struct list_pattern *p = compile("", pat, false);
		/* dp_match sees the collapsed pattern: collapsing must not
		 * change the meaning, which the next check covers too. */
		if (p != NULL && list_pattern_match(p, name) == dp_match(pat, name) &&
		    dp_match(list_pattern_text(p), name) == dp_match(pat, name))
			agree++;
		else
			printf("disagree: pattern \"%s\" name \"%s\"\n", pat, name);
		if (r % 1000 == 999)
			arena_reset(arena);
	}
	CHECK_INT(agree, runs);
}

/* match_parent against a search for a child: s over the pattern's
 * alphabet, up to one byte longer than the pattern (enough to pass every
 * literal and take one more byte in a final wildcard). */
static bool brute_parent(const char *pat, const char *name)
{
	char full[64], *s;
	size_t base = strlen(name) + 1, maxlen = strlen(pat) + 1;
	static const char alphabet[] = "ab/";

	snprintf(full, sizeof(full), "%s/", name);
	s = full + base;
	for (size_t len = 1; len <= maxlen; len++) {
		size_t total = 1;
		for (size_t i = 0; i < len; i++)
			total *= 3;
		for (size_t v = 0; v < total; v++) {
			size_t x = v;
			for (size_t i = 0; i < len; i++, x /= 3)
				s[i] = alphabet[x % 3];
			s[len] = '\0';
			if (dp_match(pat, full))
				return true;
		}
	}
	return false;
}

static void test_parent_against_brute(void)
{
	unsigned int runs = 3000, agree = 0;

	for (unsigned int r = 0; r < runs; r++) {
		char pat[16], name[16];

		random_string(pat, 6, "ab/*%");
		random_string(name, 4, "ab/");
		struct list_pattern *p = compile("", pat, false);
		if (p != NULL && list_pattern_match_parent(p, name) == brute_parent(pat, name))
			agree++;
		else
			printf("parent disagrees: pattern \"%s\" name \"%s\"\n", pat, name);
		if (r % 1000 == 999)
			arena_reset(arena);
	}
	CHECK_INT(agree, runs);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The patterns that make backtracking matchers exponential (a backtracking
 * matcher would not finish), against a 500-byte name that almost matches:
 * one round of all of them must take under 50 ms. The fastest of 20 rounds
 * is taken so a preempted round does not fail the test; it passes under
 * valgrind too. */
static void test_time_bound(void)
{
	char name[512], pat1[128], pat2[128], pat3[LIST_PATTERN_MAX + 1];
	size_t n = 0;

	memset(name, 'a', 500);
	name[500] = '\0';
	for (int i = 0; i < 31; i++) {
		pat1[n] = '*';
		pat1[n + 1] = 'a';
		n += 2;
	}
	memcpy(pat1 + n, "*b", 3);
	n = 0;
	for (int i = 0; i < 31; i++) {
		pat2[n] = i % 2 ? '*' : '%';
		pat2[n + 1] = 'a';
		n += 2;
	}
	memcpy(pat2 + n, "%b", 3);
	/* The longest pattern: 1024 bytes, 32 wildcards, many literals. */
	memset(pat3, 'a', LIST_PATTERN_MAX);
	for (int i = 0; i < 32; i++)
		pat3[i * 31] = '*';
	pat3[LIST_PATTERN_MAX - 1] = 'b';
	pat3[LIST_PATTERN_MAX] = '\0';

	struct list_pattern *p1 = compile("", pat1, false);
	struct list_pattern *p2 = compile("", pat2, false);
	struct list_pattern *p3 = compile("", pat3, false);
	CHECK(p1 != NULL && p2 != NULL && p3 != NULL);
	if (p1 == NULL || p2 == NULL || p3 == NULL)
		return;
	unsigned int matched = 0;
	double best = 1e9;
	for (int i = 0; i < 20; i++) {
		double start = now_ms();

		matched += list_pattern_match(p1, name);
		matched += list_pattern_match(p2, name);
		matched += list_pattern_match(p3, name);
		matched += list_pattern_match_parent(p1, name) ? 0 : 1;
		double ms = now_ms() - start;
		if (ms < best)
			best = ms;
	}
	CHECK_INT(matched, 0);   /* no 'b': nothing matches; '*' children could */
	CHECK(best < 50.0);
	printf("time bound: 4 hostile matches of a 500-byte name in %.3f ms\n", best);

	name[499] = 'b';
	CHECK(list_pattern_match(p1, name));
	CHECK(list_pattern_match(p2, name));
	CHECK(!list_pattern_match(p3, name));   /* 992 literals > 500 bytes */
}

int main(void)
{
	arena = arena_create(4096);
	test_match_table();
	test_compile();
	test_match_parent();
	test_against_dp();
	test_parent_against_brute();
	test_time_bound();
	arena_destroy(&arena);
	return unit_finish("list-match");
}
