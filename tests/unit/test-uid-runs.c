/* The view's UIDs as runs: every lookup agrees with a plain sorted array
 * (the model), a dense set is one run, and removing half of a large set's
 * UIDs, scattered, is one linear pass with the EXPUNGE numbers right. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/sorted.h"
#include "imap/uid-runs.h"
#include "unit.h"

/* Deterministic, so a failure replays. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

#define MODEL_MAX 4000

/* Every position and every UID up to past the last, against the model. */
static void check_against(const struct uid_runs *set, const uint32_t *model, uint32_t n)
{
	static uint32_t got[MODEL_MAX];
	uint32_t last = n > 0 ? model[n - 1] : 0;
	bool ok = set->count == n && uid_runs_last(set) == last;

	for (uint32_t i = 0; ok && i < n; i++)
		ok = uid_runs_at(set, i) == model[i];
	for (uint32_t uid = 0; ok && uid <= last + 2; uid++) {
		uint32_t rank = sorted_u32_lower_bound(model, n, uid);
		uint32_t seq = rank < n && model[rank] == uid ? rank + 1 : 0;

		ok = uid_runs_rank(set, uid) == rank && uid_runs_seq(set, uid) == seq;
	}
	if (ok && n > 2) {
		uint32_t from = rng() % n, len = rng() % (n - from) + 1;

		uid_runs_get(set, from, len, got);
		ok = memcmp(got, model + from, len * sizeof(uint32_t)) == 0;
	}
	CHECK(ok);
}

static void model_test(void)
{
	static uint32_t model[MODEL_MAX], gone[MODEL_MAX], seqs[MODEL_MAX], want[MODEL_MAX];
	struct uid_runs set = { 0 };
	uint32_t n = 0, next = 1;

	for (unsigned int round = 0; round < 40; round++) {
		/* Arrivals: dense stretches and gaps. */
		for (uint32_t k = rng() % 100; k > 0 && n < MODEL_MAX; k--) {
			next += rng() % 3 == 0 ? 1 + rng() % 5 : 0;
			model[n++] = next;
			uid_runs_append(&set, next);
			next++;
		}
		check_against(&set, model, n);
		/* Expunges: a random subset, plus UIDs not in the set (ignored). */
		uint32_t g = 0, kept = 0, removed = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (i > 0 && model[i] > model[i - 1] + 1 && rng() % 4 == 0) {
				gone[g] = model[i] - 1;   /* in a gap */
				want[g++] = 0;
			}
			if (rng() % 3 == 0) {
				gone[g] = model[i];
				want[g++] = i + 1 - removed++;
			} else {
				model[kept++] = model[i];
			}
		}
		uid_runs_remove(&set, gone, g, seqs);
		CHECK(memcmp(seqs, want, g * sizeof(uint32_t)) == 0);
		n = kept;
		check_against(&set, model, n);
	}
	uid_runs_free(&set);
}

int main(void)
{
	model_test();

	/* A dense 100,000-message mailbox is one run: 8 bytes, where the
	 * UID array was 400,000. */
	struct uid_runs dense = { 0 };
	for (uint32_t uid = 1; uid <= 100000; uid++)
		uid_runs_append(&dense, uid);
	uid_runs_trim(&dense);
	CHECK_INT(dense.run_count, 1);
	CHECK_INT(uid_runs_heap_bytes(&dense), 8);
	CHECK_INT(uid_runs_at(&dense, 99999), 100000);
	CHECK_INT(uid_runs_seq(&dense, 54321), 54321);
	uid_runs_append(&dense, 100001);            /* an arrival extends it */
	CHECK_INT(uid_runs_heap_bytes(&dense), 8);
	uid_runs_append(&dense, 5);                 /* not above: ignored */
	CHECK_INT(dense.count, 100001);
	struct arena *arena = arena_create(4096);
	struct uid_runs copy;
	uid_runs_copy(&dense, arena, &copy);
	CHECK_INT(copy.count, 100001);
	CHECK_INT(uid_runs_last(&copy), 100001);
	arena_destroy(&arena);
	uid_runs_free(&dense);

	/* Hostile: every other UID of 2,000,000 expunged at once. One pass
	 * (a memmove per UID would be 10^12 bytes moved and never finish);
	 * the n-th EXPUNGE names message n, each removal shifting the rest. */
	enum { BIG = 2000000 };
	uint32_t *gone = malloc(BIG / 2 * sizeof(uint32_t));
	uint32_t *seqs = malloc(BIG / 2 * sizeof(uint32_t));
	struct uid_runs big = { 0 };
	bool ok = true;
	for (uint32_t uid = 1; uid <= BIG; uid++)
		uid_runs_append(&big, uid);
	for (uint32_t i = 0; i < BIG / 2; i++)
		gone[i] = 2 * i + 2;
	uid_runs_remove(&big, gone, BIG / 2, seqs);
	CHECK_INT(big.count, BIG / 2);
	CHECK_INT(big.run_count, BIG / 2);
	CHECK_INT(uid_runs_heap_bytes(&big), (size_t)BIG / 2 * 8);
	for (uint32_t i = 0; ok && i < BIG / 2; i++)
		ok = seqs[i] == i + 2 && uid_runs_at(&big, i) == 2 * i + 1;
	CHECK(ok);
	/* ... and the rest, which joins nothing: the set ends empty. */
	for (uint32_t i = 0; i < BIG / 2; i++)
		gone[i] = 2 * i + 1;
	uid_runs_remove(&big, gone, BIG / 2, seqs);
	CHECK_INT(big.count, 0);
	CHECK_INT(uid_runs_last(&big), 0);
	CHECK_INT(uid_runs_heap_bytes(&big), 0);
	uid_runs_append(&big, 7);
	CHECK_INT(uid_runs_seq(&big, 7), 1);
	uid_runs_free(&big);
	free(gone);
	free(seqs);
	return unit_finish("uid-runs");
}
