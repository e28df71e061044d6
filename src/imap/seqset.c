/* Sequence sets (RFC 9051 §9 sequence-set, RFC 5182 "$"): strict parsing into
 * ranges, resolution of '*' and normalisation, and lookup by binary search.
 * It never allocates more than max_ranges ranges and never reads past len. */
#include "imap/seqset.h"

#include <inttypes.h>

#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/resp.h"

/* RFC 9051 §9 seq-number = nz-number / "*"; nz-number = digit-nz *DIGIT,
 * at most 4294967295. Advances *pos past the number; '*' sets *star_r. */
static bool parse_seq_number(const char *s, size_t len, size_t *pos, uint32_t *n_r,
			     bool *star_r)
{
	size_t i = *pos;
	uint64_t n = 0;

	*star_r = false;
	if (i < len && s[i] == '*') {
		*n_r = 0;
		*star_r = true;
		*pos = i + 1;
		return true;
	}
	if (i >= len || s[i] < '1' || s[i] > '9')
		return false;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > UINT32_MAX)
			return false;
	}
	*n_r = (uint32_t)n;
	*pos = i;
	return true;
}

enum seqset_result seqset_parse(const char *s, size_t len, unsigned int max_ranges,
				struct arena *arena, struct seqset *set_r)
{
	size_t parts = 1, pos = 0;
	unsigned int count = 0;

	set_r->ranges = NULL;
	set_r->count = 0;
	set_r->dollar = false;
	if (len == 1 && s[0] == '$') {
		set_r->dollar = true;
		return SEQSET_OK;
	}
	if (len == 0)
		return SEQSET_BAD;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ',')
			parts++;
	}
	if (parts > max_ranges)
		return SEQSET_TOO_BIG;

	struct seq_range *ranges = arena_alloc(arena, parts * sizeof(*ranges));
	for (;;) {
		struct seq_range *r = &ranges[count++];
		bool lo_star, hi_star;

		if (!parse_seq_number(s, len, &pos, &r->lo, &lo_star))
			return SEQSET_BAD;
		r->hi = r->lo;
		hi_star = lo_star;
		if (pos < len && s[pos] == ':') {
			pos++;
			if (!parse_seq_number(s, len, &pos, &r->hi, &hi_star))
				return SEQSET_BAD;
		}
		r->star = (uint8_t)((lo_star ? SEQ_LO_STAR : 0) | (hi_star ? SEQ_HI_STAR : 0));
		if (pos == len)
			break;
		if (s[pos] != ',')
			return SEQSET_BAD;
		pos++;
	}
	set_r->ranges = ranges;
	set_r->count = count;
	return SEQSET_OK;
}

static int range_cmp(const void *a, const void *b)
{
	const struct seq_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

void seqset_resolve(struct seqset *set, uint32_t max)
{
	unsigned int out = 0;

	if (set->dollar || set->count == 0)
		return;
	for (unsigned int i = 0; i < set->count; i++) {
		struct seq_range *r = &set->ranges[i];

		if (r->star & SEQ_LO_STAR)
			r->lo = max;
		if (r->star & SEQ_HI_STAR)
			r->hi = max;
		r->star = 0;
		/* RFC 9051 §9: "4:2" means the same as "2:4" */
		if (r->lo > r->hi) {
			uint32_t t = r->lo;

			r->lo = r->hi;
			r->hi = t;
		}
	}
	qsort(set->ranges, set->count, sizeof(set->ranges[0]), range_cmp);
	for (unsigned int i = 1; i < set->count; i++) {
		struct seq_range *cur = &set->ranges[out];
		const struct seq_range *next = &set->ranges[i];

		/* overlapping or adjacent (widened: hi + 1 may overflow) */
		if ((uint64_t)next->lo <= (uint64_t)cur->hi + 1) {
			if (next->hi > cur->hi)
				cur->hi = next->hi;
		} else {
			set->ranges[++out] = *next;
		}
	}
	set->count = out + 1;
}

bool seqset_contains(const struct seqset *resolved, uint32_t n)
{
	unsigned int lo = 0, hi = resolved->count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct seq_range *r = &resolved->ranges[mid];

		if (n < r->lo)
			hi = mid;
		else if (n > r->hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void seqset_format_uids(const uint32_t *uids, uint32_t n, struct buf *out)
{
	struct resp_out sink;

	/* One formatter of UID sets: the response writer's, into a buffer. */
	resp_out_init_buf(&sink, out);
	resp_uid_set(&sink, uids, n);
}

bool seqset_format_copyuid(uint32_t uidvalidity, const uint32_t *src, const uint32_t *dst,
			   uint32_t n, size_t set_max, struct buf *out)
{
	struct buf s, d;
	bool ok;

	buf_init(&s, set_max);
	buf_init(&d, set_max);
	seqset_format_uids(src, n, &s);
	seqset_format_uids(dst, n, &d);
	ok = !s.overflow && !d.overflow &&
	     buf_printf(out, "COPYUID %" PRIu32 " %s %s", uidvalidity, s.data, d.data);
	buf_free(&s);
	buf_free(&d);
	return ok;
}
