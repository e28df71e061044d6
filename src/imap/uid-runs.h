/* The UIDs a session has numbered, as runs of consecutive UIDs: message
 * sequence number n is the n-th UID of the set. A dense mailbox is one run
 * (8 bytes, whatever its size); the worst case, every other UID gone, is
 * 8 bytes per message. Pure data; it never holds one entry per message. */
#ifndef PETREL_IMAP_UID_RUNS_H
#define PETREL_IMAP_UID_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* UIDs first, first + 1, ... up to the next run's first position. */
struct uid_run {
	uint32_t first;     /* lowest UID of the run */
	uint32_t before;    /* UIDs in earlier runs: the run's first position */
};

struct uid_runs {
	struct uid_run *runs;   /* first ascending, gaps between runs */
	uint32_t run_count, run_cap;
	uint32_t count;         /* UIDs in all runs */
};

void uid_runs_free(struct uid_runs *set);
/* The runs of uids[0..n), ascending, in exactly sized storage. */
void uid_runs_init_from(struct uid_runs *set, const uint32_t *uids, uint32_t n);
/* A read-only copy in arena (for a command's worker). */
void uid_runs_copy(const struct uid_runs *set, struct arena *arena, struct uid_runs *copy_r);
/* Bytes the set holds on the heap (its runs array). */
size_t uid_runs_heap_bytes(const struct uid_runs *set);

/* The UID at position pos (0-based, < count). */
uint32_t uid_runs_at(const struct uid_runs *set, uint32_t pos);
/* How many UIDs of the set are below uid (its position when present). */
uint32_t uid_runs_rank(const struct uid_runs *set, uint32_t uid);
/* uid's 1-based sequence number, 0 when not in the set. */
uint32_t uid_runs_seq(const struct uid_runs *set, uint32_t uid);
/* The highest UID, 0 when empty. */
uint32_t uid_runs_last(const struct uid_runs *set);
/* Writes the UIDs at positions pos .. pos + n - 1 to out (linear in n). */
void uid_runs_get(const struct uid_runs *set, uint32_t pos, uint32_t n, uint32_t *out);

/* Adds uid when it is above every UID in the set (else nothing). */
void uid_runs_append(struct uid_runs *set, uint32_t uid);
/* Gives back the room appends left unused. */
void uid_runs_trim(struct uid_runs *set);

/* Removes gone[0..n) (ascending, each in the set) in one pass over the
 * runs: linear in runs + n, however scattered. When seqs_r is not NULL it
 * receives, for each removed UID, its sequence number at the moment it is
 * removed (earlier removals already applied), as EXPUNGE needs. */
void uid_runs_remove(struct uid_runs *set, const uint32_t *gone, uint32_t n, uint32_t *seqs_r);

#endif
