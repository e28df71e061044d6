/* Sequence sets (RFC 9051 §9 sequence-set): "1,3:5,7:*" and "$" (RFC 5182).
 * Parsing only checks syntax and bounds; resolving against the mailbox's
 * current largest number turns '*' into a value and normalises the ranges. */
#ifndef PETREL_IMAP_SEQSET_H
#define PETREL_IMAP_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* seq_range.star bits: which end was '*' (before resolution only). */
#define SEQ_LO_STAR 1u
#define SEQ_HI_STAR 2u

struct seq_range {
	uint32_t lo, hi;      /* lo <= hi after resolution */
	uint8_t star;         /* SEQ_LO_STAR / SEQ_HI_STAR; 0 after resolution */
};

struct seqset {
	struct seq_range *ranges;
	unsigned int count;
	bool dollar;          /* the set is "$" (search result reference) */
};

enum seqset_result { SEQSET_OK, SEQSET_BAD, SEQSET_TOO_BIG };

/* s[0..len) must be the whole set. Numbers are 1..4294967295 (nz-number);
 * "0", leading zeros, empty parts and overflow give SEQSET_BAD. More than
 * max_ranges comma-separated parts gives SEQSET_TOO_BIG (counted before the
 * syntax is checked). '*' is kept apart from the number 4294967295, which is
 * an ordinary nz-number (RFC 9051 §9): "UID FETCH 4294967295" names no
 * message unless one has that UID, it never means the last one.
 * "$" gives dollar=true and count=0: the caller substitutes the saved result. */
enum seqset_result seqset_parse(const char *s, size_t len, unsigned int max_ranges,
				struct arena *arena, struct seqset *set_r);

/* Replace each '*' by max (the largest number in use; 0 when the mailbox is
 * empty), put each range in lo<=hi order, sort, and merge overlapping or
 * adjacent ranges. A range entirely above max is kept as is (callers clamp);
 * "*" on an empty mailbox resolves to 0 and the range stays (0:0, or 0:n for
 * "n:*"), so the set is never emptied; no message has number 0, so it
 * matches nothing there. A "$" set is left untouched. */
void seqset_resolve(struct seqset *set, uint32_t max);

/* Binary search; false for a "$" set (it has no ranges). */
bool seqset_contains(const struct seqset *resolved, uint32_t n);

struct buf;
/* Appends uids (n of them, in the order given) as a compact set, runs of
 * consecutive ascending numbers as ranges: 1,2,3,7 -> "1:3,7" (the uid-set
 * of APPENDUID and COPYUID, RFC 4315 §3). */
void seqset_format_uids(const uint32_t *uids, uint32_t n, struct buf *out);
/* RFC 4315 "COPYUID uidvalidity src-set dst-set" into out; false when a
 * set is longer than set_max bytes (the response is then sent without). */
bool seqset_format_copyuid(uint32_t uidvalidity, const uint32_t *src, const uint32_t *dst,
			   uint32_t n, size_t set_max, struct buf *out);

#endif
