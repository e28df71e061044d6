/* The worker pool: a fixed set of threads for work that may block (password
 * hashing, storage I/O and fsync). Jobs carry a queue key (a user, or a
 * connection before login): jobs with the same key run one at a time in
 * submission order, so one user's operations stay ordered while different
 * users' run in parallel. Each job's `done` runs afterwards on the event
 * loop that submitted it, never on the worker. */
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

struct worker_pool *worker_pool_create(unsigned int threads);
/* Finishes queued jobs (their done callbacks are posted to their loops, which
 * must still exist), then joins the threads. */
void worker_pool_destroy(struct worker_pool **pool);

/* Blocks until no job is queued or running (their completions have all
 * been posted to their loops). For shutdown, after the loops stopped. */
void worker_pool_wait_idle(struct worker_pool *pool);

/* run(ctx) on a worker thread, then done(ctx) on `owner`'s thread. Returns
 * false (nothing queued) when the queue is full. */
bool worker_pool_submit(struct worker_pool *pool, uint64_t key, struct loop *owner,
			worker_run_fn *run, worker_done_fn *done, void *ctx);

/* A key for a string (a user name): FNV-1a, 64 bits. */
uint64_t worker_key_string(const char *s);

#endif
