/* SORT arguments and the sort itself. The sort is a bottom-up merge sort
 * (stable, O(n log n) whatever the input, no recursion), since qsort()
 * promises neither stability nor a comparison context. */
#include "imap/sort-query.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xalloc.h"

static const struct {
	const char *name;
	enum sort_key key;
} sort_keys[] = {
	{ "ARRIVAL", SORT_ARRIVAL },
	{ "CC", SORT_CC },
	{ "DATE", SORT_DATE },
	{ "FROM", SORT_FROM },
	{ "SIZE", SORT_SIZE },
	{ "SUBJECT", SORT_SUBJECT },
	{ "TO", SORT_TO },
	{ "DISPLAYFROM", SORT_DISPLAYFROM },
	{ "DISPLAYTO", SORT_DISPLAYTO },
};

/* RFC 5256 §5: sort-criteria = "(" sort-criterion *(SP sort-criterion) ")",
 * sort-criterion = ["REVERSE" SP] sort-key. */
static bool parse_criteria(const struct imap_arg *list, struct sort_query *q,
			   const char **error_r)
{
	bool reverse = false;

	if (list->list_count == 0) {
		*error_r = "Empty sort criteria";
		return false;
	}
	for (unsigned int i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];
		size_t k;

		if (!reverse && imap_arg_is_atom(a, "REVERSE")) {
			reverse = true;
			continue;
		}
		for (k = 0; k < sizeof(sort_keys) / sizeof(sort_keys[0]); k++) {
			if (imap_arg_is_atom(a, sort_keys[k].name))
				break;
		}
		if (k == sizeof(sort_keys) / sizeof(sort_keys[0])) {
			*error_r = "Unknown sort criterion";
			return false;
		}
		if (q->count == SORT_CRITERIA_MAX) {
			*error_r = "Too many sort criteria";
			return false;
		}
		q->criteria[q->count].key = sort_keys[k].key;
		q->criteria[q->count].reverse = reverse;
		q->count++;
		reverse = false;
	}
	if (reverse) {
		*error_r = "REVERSE needs a sort criterion";
		return false;
	}
	return true;
}

enum search_parse_result sort_query_parse(const struct imap_arg *args, unsigned int count,
					  struct arena *arena, struct sort_query **query_r,
					  const char **error_r)
{
	struct sort_query *q = arena_alloc(arena, sizeof(*q));
	enum search_parse_result r;
	unsigned int pos = 0;

	*query_r = NULL;
	q->search = search_query_new(arena);
	/* RFC 5267 §3.2: sort = ["UID" SP] "SORT" [search-return-opts] SP
	 * sort-criteria SP search-criteria */
	r = search_query_parse_return(q->search, args, count, &pos, error_r);
	if (r != SEARCH_PARSE_OK)
		return r;
	if (pos >= count || args[pos].type != IMAP_ARG_LIST) {
		*error_r = "SORT needs a list of sort criteria";
		return SEARCH_PARSE_BAD;
	}
	if (!parse_criteria(&args[pos], q, error_r))
		return SEARCH_PARSE_BAD;
	pos++;
	r = search_query_parse_program(q->search, args + pos, count - pos, false, error_r);
	if (r == SEARCH_PARSE_OK)
		*query_r = q;
	return r;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int cmp_num(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_time(time_t a, time_t b)
{
	return a < b ? -1 : a > b;
}

static int sort_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sort_message *a = pa, *b = pb;
	const struct sort_query *q = ctx;

	for (unsigned int i = 0; i < q->count; i++) {
		int c = 0;

		switch (q->criteria[i].key) {
		case SORT_ARRIVAL:
			c = cmp_time(a->arrival, b->arrival);
			break;
		case SORT_CC:
			c = cmp_str(a->cc, b->cc);
			break;
		case SORT_DATE:
			c = cmp_time(a->sent, b->sent);
			break;
		case SORT_FROM:
			c = cmp_str(a->from, b->from);
			break;
		case SORT_SIZE:
			c = cmp_num(a->size, b->size);
			break;
		case SORT_SUBJECT:
			c = cmp_str(a->subject, b->subject);
			break;
		case SORT_TO:
			c = cmp_str(a->to, b->to);
			break;
		case SORT_DISPLAYFROM:
			c = cmp_str(a->display_from, b->display_from);
			break;
		case SORT_DISPLAYTO:
			c = cmp_str(a->display_to, b->display_to);
			break;
		}
		if (c != 0)
			return q->criteria[i].reverse ? -c : c;
	}
	/* Never reversed (RFC 5256 §3, REVERSE). */
	return cmp_num(a->number, b->number);
}

void sort_messages(struct sort_message *msgs, uint32_t count, const struct sort_query *q)
{
	sort_stable(msgs, count, sizeof(*msgs), sort_cmp, (void *)q);
}

void sort_stable(void *base, size_t count, size_t size,
		 int (*cmp)(const void *a, const void *b, void *ctx), void *ctx)
{
	if (count < 2 || size == 0)
		return;
	if (count > SIZE_MAX / size)
		abort();

	char *tmp = xmalloc(count * size);
	char *src = base, *dst = tmp;

	/* Runs of width 1, 2, 4, ... merged from src into dst, then swapped;
	 * ties take the left run's element first, which keeps the sort stable. */
	for (size_t width = 1; width < count; width = width > count / 2 ? count : width * 2) {
		for (size_t lo = 0; lo < count; lo += 2 * width) {
			size_t mid = lo + width < count ? lo + width : count;
			size_t hi = mid + width < count ? mid + width : count;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi) {
				if (cmp(src + j * size, src + i * size, ctx) < 0)
					memcpy(dst + k++ * size, src + j++ * size, size);
				else
					memcpy(dst + k++ * size, src + i++ * size, size);
			}
			memcpy(dst + k * size, src + i * size, (mid - i) * size);
			k += mid - i;
			memcpy(dst + k * size, src + j * size, (hi - j) * size);
			if (2 * width >= count - lo)
				break;
		}
		char *t = src;
		src = dst;
		dst = t;
	}
	if (src != base)
		memcpy(base, src, count * size);
	free(tmp);
}
