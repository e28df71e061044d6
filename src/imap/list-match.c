/* LIST pattern matching (RFC 9051 §6.3.9). A pattern of k bytes is an NFA
 * with states 0..k ("the first i pattern bytes are matched"), run on a name
 * as bit sets of at most LIST_WORDS 64-bit words: O(name × k/64), with no
 * backtracking whatever the pattern, so "*a*a*a*a*b" costs what "*" does. */
#include "imap/list-match.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/mailbox-name.h"

/* States 0..LIST_PATTERN_MAX: one bit each. */
#define LIST_WORDS ((LIST_PATTERN_MAX + 1 + 63) / 64)

struct list_pattern {
	char *text;          /* canonical pattern, NUL-terminated */
	size_t tokens;       /* k = strlen(text); state k accepts */
	unsigned int words;  /* words per state set: (k + 1 + 63) / 64 */
	/* State i (< k) with text[i] a literal byte c moves to i + 1 on c:
	 * lit + row[c] * words holds those i. Row 0 stays zero, for bytes the
	 * pattern does not have. */
	uint16_t row[256];
	uint64_t *lit;
	uint64_t *loop_any;   /* i + 1 for each '*' at i: stays on any byte */
	uint64_t *loop_level; /* i + 1 for each '%' at i: stays on any byte but '/' */
	uint64_t *eps;        /* i for each wildcard at i: i + 1 without a byte */
};

static const char err_wildcards[] = "Too many wildcards in LIST pattern";

bool list_pattern_is_delimiter_query(const char *pattern, size_t pattern_len)
{
	(void)pattern;
	return pattern_len == 0;
}

static bool is_wildcard(char c)
{
	return c == '*' || c == '%';
}

static void set_bit(uint64_t *set, size_t i)
{
	set[i / 64] |= (uint64_t)1 << (i % 64);
}

static bool has_bit(const uint64_t *set, size_t i)
{
	return (set[i / 64] >> (i % 64)) & 1;
}

/* Collapses wildcard runs in place ("%*%" → "*", "%%" → "%"); returns the
 * new length and the number of wildcards left. */
static size_t collapse_wildcards(char *s, size_t len, unsigned int *wildcards_r)
{
	size_t out = 0;
	unsigned int wildcards = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_wildcard(s[i]) && out > 0 && is_wildcard(s[out - 1])) {
			if (s[i] == '*')
				s[out - 1] = '*';
			continue;
		}
		if (is_wildcard(s[i]))
			wildcards++;
		s[out++] = s[i];
	}
	*wildcards_r = wildcards;
	return out;
}

static void build(struct arena *arena, struct list_pattern *p)
{
	size_t k = p->tokens;
	unsigned int rows = 1;

	p->words = (unsigned int)((k + 1 + 63) / 64);
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p->text[i];

		if (!is_wildcard((char)c) && p->row[c] == 0)
			p->row[c] = (uint16_t)rows++;
	}
	p->lit = arena_alloc(arena, (size_t)rows * p->words * sizeof(uint64_t));
	p->loop_any = arena_alloc(arena, 3 * (size_t)p->words * sizeof(uint64_t));
	p->loop_level = p->loop_any + p->words;
	p->eps = p->loop_level + p->words;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p->text[i];

		if (c == '*' || c == '%') {
			set_bit(p->eps, i);
			set_bit(c == '*' ? p->loop_any : p->loop_level, i + 1);
		} else {
			set_bit(p->lit + (size_t)p->row[c] * p->words, i);
		}
	}
}

bool list_pattern_compile(struct arena *arena, const char *reference, size_t reference_len,
			  const char *pattern, size_t pattern_len, bool utf8_mode,
			  struct list_pattern **pattern_r, const char **error_r)
{
	struct buf b;
	unsigned int wildcards = 0;

	buf_init(&b, LIST_PATTERN_MAX);
	if (!mailbox_name_decode(reference, reference_len, utf8_mode, LIST_PATTERN_MAX,
				 &b, error_r) ||
	    !mailbox_name_decode(pattern, pattern_len, utf8_mode, LIST_PATTERN_MAX - b.len,
				 &b, error_r)) {
		buf_free(&b);
		return false;
	}
	size_t len = b.len == 0 ? 0 : collapse_wildcards(b.data, b.len, &wildcards);
	if (wildcards > LIST_PATTERN_WILDCARDS_MAX) {
		buf_free(&b);
		*error_r = err_wildcards;
		return false;
	}
	/* RFC 9051 §6.3.9: INBOX is found by "INBOX" in any case; the store's
	 * name is upper case, so the pattern's first level is made so too. */
	if (len >= 5 && strncasecmp(b.data, "INBOX", 5) == 0 &&
	    (len == 5 || b.data[5] == MAILBOX_NAME_DELIM || is_wildcard(b.data[5])))
		memcpy(b.data, "INBOX", 5);

	struct list_pattern *p = arena_alloc(arena, sizeof(*p));
	p->text = arena_strndup(arena, len == 0 ? "" : b.data, len);
	p->tokens = len;
	buf_free(&b);
	build(arena, p);
	*pattern_r = p;
	return true;
}

const char *list_pattern_text(const struct list_pattern *p)
{
	return p->text;
}

/* Follows wildcards that match nothing. One step is enough: collapsing left
 * no wildcard right after another. */
static void closure(const struct list_pattern *p, uint64_t *s)
{
	uint64_t carry = 0;

	for (unsigned int w = 0; w < p->words; w++) {
		uint64_t e = s[w] & p->eps[w];

		s[w] |= (e << 1) | carry;
		carry = e >> 63;
	}
}

/* Consumes byte c; false when no state is left (no match is possible). */
static bool step(const struct list_pattern *p, uint64_t *s, unsigned char c)
{
	const uint64_t *lit = p->lit + (size_t)p->row[c] * p->words;
	uint64_t carry = 0, any = 0;

	for (unsigned int w = 0; w < p->words; w++) {
		uint64_t m = s[w] & lit[w];
		uint64_t next = (m << 1) | carry | (s[w] & p->loop_any[w]);

		if (c != MAILBOX_NAME_DELIM)
			next |= s[w] & p->loop_level[w];
		carry = m >> 63;
		s[w] = next;
		any |= next;
	}
	closure(p, s);
	return any != 0;
}

/* The states after name; false if none. */
static bool run(const struct list_pattern *p, const char *name, uint64_t s[LIST_WORDS])
{
	memset(s, 0, LIST_WORDS * sizeof(uint64_t));
	s[0] = 1;
	closure(p, s);
	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
		if (!step(p, s, *c))
			return false;
	}
	return true;
}

bool list_pattern_match(const struct list_pattern *p, const char *name)
{
	uint64_t s[LIST_WORDS];

	return run(p, name, s) && has_bit(s, p->tokens);
}

bool list_pattern_match_parent(const struct list_pattern *p, const char *name)
{
	uint64_t s[LIST_WORDS];
	size_t k = p->tokens;

	if (!run(p, name, s) || !step(p, s, MAILBOX_NAME_DELIM))
		return false;
	/* A state before k can reach k by a non-empty s: choose s's bytes to
	 * be the pattern's literals. State k itself only if a wildcard ends
	 * the pattern (and can take more). */
	bool at_end = has_bit(s, k);
	if (at_end && (has_bit(p->loop_any, k) || has_bit(p->loop_level, k)))
		return true;
	if (at_end)
		s[k / 64] &= ~((uint64_t)1 << (k % 64));
	for (unsigned int w = 0; w < p->words; w++) {
		if (s[w] != 0)
			return true;
	}
	return false;
}
