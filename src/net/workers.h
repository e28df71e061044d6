/* Worker pools: a fixed set of threads for work that may block (storage I/O
 * and fsync; password hashing in a pool of its own). Jobs carry a queue key
 * (a user; a client address for password checks): jobs with the same key
 * start in submission order, at most key_parallel of them at once (1: one
 * user's operations stay ordered), while different keys run in parallel,
 * taking turns. Each job's `done` runs afterwards on the event loop that
 * submitted it, never on the worker. */
#ifndef PETREL_NET_WORKERS_H
#define PETREL_NET_WORKERS_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct worker_pool;

/* Pending jobs beyond which submissions are refused: a flood of slow
 * requests must answer NO [UNAVAILABLE] rather than queue without bound. */
#define WORKER_QUEUE_MAX 100000

typedef void worker_run_fn(void *ctx);
typedef void worker_done_fn(void *ctx);

struct worker_pool_limits {
	unsigned int threads;
	unsigned int queue_max;       /* pending (queued or running) jobs in all */
	unsigned int key_queue_max;   /* pending jobs of one key */
	unsigned int key_parallel;    /* jobs of one key running at once, >= 1 */
	int nice;                     /* the threads' nice value (Linux); 0: unchanged */
	const char *name;             /* the threads' name (top -H, perf), <= 15 bytes; NULL: none */
};

/* threads, WORKER_QUEUE_MAX, no per-key bound, one job per key at a time. */
struct worker_pool *worker_pool_create(unsigned int threads, const char *name);
struct worker_pool *worker_pool_create_limited(const struct worker_pool_limits *limits);
/* Finishes queued jobs (their done callbacks are posted to their loops, which
 * must still exist), then joins the threads. */
void worker_pool_destroy(struct worker_pool **pool);

/* Blocks until no job is queued or running (their completions have all
 * been posted to their loops). For shutdown, after the loops stopped. */
void worker_pool_wait_idle(struct worker_pool *pool);

/* run(ctx) on a worker thread, then done(ctx) on `owner`'s thread. Returns
 * false (nothing queued) when the pool's or the key's queue is full. */
bool worker_pool_submit(struct worker_pool *pool, uint64_t key, struct loop *owner,
			worker_run_fn *run, worker_done_fn *done, void *ctx);

/* A key for a string (a user name): FNV-1a, 64 bits. */
uint64_t worker_key_string(const char *s);

#endif
