/* Runs of consecutive UIDs with each run's first position kept, so a
 * position or a UID is found by one binary search over the runs, and an
 * expunge of any number of scattered UIDs is one merge pass (never a
 * memmove per UID). */
#include "imap/uid-runs.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xalloc.h"

/* Room for runs when a set first grows past its exact size (arrivals one
 * at a time); doubled after that. */
#define UID_RUNS_FIRST_CAP 4

static uint32_t run_len(const struct uid_runs *set, uint32_t i)
{
	uint32_t end = i + 1 < set->run_count ? set->runs[i + 1].before : set->count;

	return end - set->runs[i].before;
}

/* Index of the last run whose first UID is <= uid; run_count when none. */
static uint32_t run_of_uid(const struct uid_runs *set, uint32_t uid)
{
	uint32_t lo = 0, hi = set->run_count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (set->runs[mid].first <= uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? set->run_count : lo - 1;
}

/* Index of the run holding position pos (< count). */
static uint32_t run_of_pos(const struct uid_runs *set, uint32_t pos)
{
	uint32_t lo = 0, hi = set->run_count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (set->runs[mid].before <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;   /* runs[0].before is 0, so lo >= 1 */
}

void uid_runs_free(struct uid_runs *set)
{
	free(set->runs);
	memset(set, 0, sizeof(*set));
}

void uid_runs_init_from(struct uid_runs *set, const uint32_t *uids, uint32_t n)
{
	uint32_t runs = 0, k = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (i == 0 || uids[i] != uids[i - 1] + 1)
			runs++;
	}
	memset(set, 0, sizeof(*set));
	if (runs == 0)
		return;
	set->runs = xmalloc(runs * sizeof(*set->runs));
	set->run_cap = runs;
	for (uint32_t i = 0; i < n; i++) {
		if (i == 0 || uids[i] != uids[i - 1] + 1)
			set->runs[k++] = (struct uid_run){ .first = uids[i], .before = i };
	}
	set->run_count = runs;
	set->count = n;
}

void uid_runs_copy(const struct uid_runs *set, struct arena *arena, struct uid_runs *copy_r)
{
	*copy_r = *set;
	copy_r->runs = arena_alloc(arena, (set->run_count + 1) * sizeof(*set->runs));
	if (set->run_count > 0)
		memcpy(copy_r->runs, set->runs, set->run_count * sizeof(*set->runs));
	copy_r->run_cap = set->run_count;
}

size_t uid_runs_heap_bytes(const struct uid_runs *set)
{
	return (size_t)set->run_cap * sizeof(*set->runs);
}

uint32_t uid_runs_at(const struct uid_runs *set, uint32_t pos)
{
	const struct uid_run *r = &set->runs[run_of_pos(set, pos)];

	return r->first + (pos - r->before);
}

uint32_t uid_runs_rank(const struct uid_runs *set, uint32_t uid)
{
	uint32_t i = run_of_uid(set, uid), len;

	if (i == set->run_count)
		return 0;
	len = run_len(set, i);
	if (uid - set->runs[i].first < len)
		return set->runs[i].before + (uid - set->runs[i].first);
	return set->runs[i].before + len;
}

uint32_t uid_runs_seq(const struct uid_runs *set, uint32_t uid)
{
	uint32_t i = run_of_uid(set, uid);

	if (i == set->run_count || uid - set->runs[i].first >= run_len(set, i))
		return 0;
	return set->runs[i].before + (uid - set->runs[i].first) + 1;
}

uint32_t uid_runs_last(const struct uid_runs *set)
{
	if (set->count == 0)
		return 0;
	return set->runs[set->run_count - 1].first + run_len(set, set->run_count - 1) - 1;
}

void uid_runs_get(const struct uid_runs *set, uint32_t pos, uint32_t n, uint32_t *out)
{
	uint32_t i, k = 0;

	if (n == 0)
		return;
	i = run_of_pos(set, pos);
	while (k < n) {
		uint32_t off = pos + k - set->runs[i].before;
		uint32_t avail = run_len(set, i) - off;

		for (uint32_t j = 0; j < avail && k < n; j++)
			out[k++] = set->runs[i].first + off + j;
		i++;
	}
}

void uid_runs_append(struct uid_runs *set, uint32_t uid)
{
	uint32_t last = uid_runs_last(set);

	if (set->count > 0 && uid <= last)
		return;         /* not above the set: the runs would lie */
	if (set->count > 0 && (uint64_t)last + 1 == uid) {
		set->count++;   /* the last run grows */
		return;
	}
	if (set->run_count == set->run_cap) {
		set->run_cap = set->run_cap ? set->run_cap * 2 : UID_RUNS_FIRST_CAP;
		set->runs = xrealloc(set->runs, set->run_cap * sizeof(*set->runs));
	}
	set->runs[set->run_count++] = (struct uid_run){ .first = uid, .before = set->count };
	set->count++;
}

void uid_runs_trim(struct uid_runs *set)
{
	if (set->run_cap == set->run_count)
		return;
	if (set->run_count == 0) {
		free(set->runs);
		set->runs = NULL;
		set->run_cap = 0;
		return;
	}
	set->runs = xrealloc(set->runs, set->run_count * sizeof(*set->runs));
	set->run_cap = set->run_count;
}

void uid_runs_remove(struct uid_runs *set, const uint32_t *gone, uint32_t n, uint32_t *seqs_r)
{
	/* Each removal splits at most one run in two. */
	struct uid_run *out = xmalloc(((size_t)set->run_count + n + 1) * sizeof(*out));
	uint32_t out_count = 0, kept = 0, j = 0;

	for (uint32_t i = 0; i < set->run_count; i++) {
		uint64_t cur = set->runs[i].first;
		uint64_t end = cur + run_len(set, i);

		for (; j < n && gone[j] < end; j++) {
			uint32_t g = gone[j];

			if (g < cur) {   /* not in the set (a gap, or repeated) */
				if (seqs_r != NULL)
					seqs_r[j] = 0;
				continue;
			}
			if (g > cur) {
				out[out_count++] = (struct uid_run){ .first = (uint32_t)cur,
								     .before = kept };
				kept += (uint32_t)(g - cur);
			}
			/* Numbered as the client has it now: the kept UIDs below. */
			if (seqs_r != NULL)
				seqs_r[j] = kept + 1;
			cur = (uint64_t)g + 1;
		}
		if (cur < end) {
			out[out_count++] = (struct uid_run){ .first = (uint32_t)cur, .before = kept };
			kept += (uint32_t)(end - cur);
		}
	}
	for (; seqs_r != NULL && j < n; j++)
		seqs_r[j] = 0;
	free(set->runs);
	set->runs = out;
	set->run_cap = set->run_count + n + 1;
	set->run_count = out_count;
	set->count = kept;
	uid_runs_trim(set);
}
