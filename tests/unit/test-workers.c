/* Worker pool: jobs of one key never overlap and run in submission order;
 * jobs of different keys run in parallel; every done() runs on the owning
 * loop's thread. A limited pool (the password checks' one): at most
 * key_parallel jobs of a key at once, its queues bounded per key and in
 * all, its threads niced. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"
#include "net/workers.h"
#include "unit.h"

#define KEYS 4
#define JOBS_PER_KEY 50

struct job_ctx {
	unsigned int key, seq;
	struct loop *loop;
	bool done_on_loop;
};

static atomic_int running[KEYS];
static atomic_int overlap;
static atomic_int max_parallel, now_parallel;
static unsigned int next_seq[KEYS];
static unsigned int order_errors;
static unsigned int dones;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct loop *test_loop;

static void job_run(void *arg)
{
	struct job_ctx *ctx = arg;

	if (atomic_fetch_add(&running[ctx->key], 1) != 0)
		atomic_fetch_add(&overlap, 1);
	int p = atomic_fetch_add(&now_parallel, 1) + 1;
	int m = atomic_load(&max_parallel);
	while (p > m && !atomic_compare_exchange_weak(&max_parallel, &m, p))
		;
	pthread_mutex_lock(&lock);
	if (next_seq[ctx->key] != ctx->seq)
		order_errors++;
	next_seq[ctx->key] = ctx->seq + 1;
	pthread_mutex_unlock(&lock);
	usleep(1000);
	atomic_fetch_sub(&now_parallel, 1);
	atomic_fetch_sub(&running[ctx->key], 1);
}

static void job_done(void *arg)
{
	struct job_ctx *ctx = arg;

	ctx->done_on_loop = loop_is_current(ctx->loop);
	if (++dones == KEYS * JOBS_PER_KEY)
		loop_stop(test_loop);
}

/* ---- the limited pool ---- */

#define GATE_WAIT_MAX_MS 5000   /* a held job gives up after this (a bug) */

static atomic_bool gate_open;
static atomic_int held_running, held_max, held_started, held_done;
static atomic_int held_nice;

static void held_run(void *arg)
{
	(void)arg;
	int p = atomic_fetch_add(&held_running, 1) + 1;
	int m = atomic_load(&held_max);

	while (p > m && !atomic_compare_exchange_weak(&held_max, &m, p))
		;
	atomic_fetch_add(&held_started, 1);
	errno = 0;
	atomic_store(&held_nice, getpriority(PRIO_PROCESS, (id_t)gettid()));
	for (int ms = 0; !atomic_load(&gate_open) && ms < GATE_WAIT_MAX_MS; ms++)
		usleep(1000);
	atomic_fetch_sub(&held_running, 1);
}

static void held_done_fn(void *arg)
{
	(void)arg;
	atomic_fetch_add(&held_done, 1);
}

static void wait_started(int n)
{
	for (int ms = 0; atomic_load(&held_started) < n && ms < GATE_WAIT_MAX_MS; ms++)
		usleep(1000);
}

static void test_limited_pool(void)
{
	const struct worker_pool_limits limits = {
		.threads = 4, .queue_max = 6, .key_queue_max = 4, .key_parallel = 2, .nice = 5,
	};
	struct worker_pool *pool = worker_pool_create_limited(&limits);
	struct loop *loop = loop_create(1);
	uint64_t a = worker_key_string("192.0.2.1"), b = worker_key_string("192.0.2.2");
	uint64_t c = worker_key_string("192.0.2.3");

	/* Key a: four accepted, two of them running (with four threads free),
	 * the fifth refused: the key's queue is full. */
	for (int i = 0; i < 4; i++)
		CHECK(worker_pool_submit(pool, a, loop, held_run, held_done_fn, NULL));
	wait_started(2);
	usleep(50 * 1000);   /* time for a third to start, if it wrongly could */
	CHECK_INT(atomic_load(&held_started), 2);
	CHECK_INT(atomic_load(&held_running), 2);
	CHECK(!worker_pool_submit(pool, a, loop, held_run, held_done_fn, NULL));
	/* Key b still gets the free threads; then the pool is full (6). */
	CHECK(worker_pool_submit(pool, b, loop, held_run, held_done_fn, NULL));
	CHECK(worker_pool_submit(pool, b, loop, held_run, held_done_fn, NULL));
	wait_started(4);
	CHECK_INT(atomic_load(&held_started), 4);
	CHECK(!worker_pool_submit(pool, c, loop, held_run, held_done_fn, NULL));
	CHECK_INT(atomic_load(&held_nice), 5);

	atomic_store(&gate_open, true);
	worker_pool_wait_idle(pool);
	CHECK_INT(atomic_load(&held_started), 6);
	CHECK_INT(atomic_load(&held_max), 4);
	/* Queues emptied: key a takes work again. */
	CHECK(worker_pool_submit(pool, a, loop, held_run, held_done_fn, NULL));
	worker_pool_wait_idle(pool);
	CHECK_INT(atomic_load(&held_started), 7);
	worker_pool_destroy(&pool);
	CHECK_INT(loop_run_leftovers(loop), 7);
	CHECK_INT(atomic_load(&held_done), 7);
	loop_destroy(&loop);
}

int main(void)
{
	static struct job_ctx jobs[KEYS * JOBS_PER_KEY];
	struct worker_pool *pool = worker_pool_create(4, "test-workers");

	test_loop = loop_create(0);
	for (unsigned int i = 0; i < JOBS_PER_KEY; i++) {
		for (unsigned int k = 0; k < KEYS; k++) {
			struct job_ctx *ctx = &jobs[i * KEYS + k];

			ctx->key = k;
			ctx->seq = i;
			ctx->loop = test_loop;
			CHECK(worker_pool_submit(pool, worker_key_string(k == 0 ? "alice" :
						 k == 1 ? "bob" : k == 2 ? "carol" : "dave"),
						 test_loop, job_run, job_done, ctx));
		}
	}
	CHECK_INT(loop_start_thread(test_loop), 0);
	loop_join(test_loop);
	worker_pool_destroy(&pool);
	loop_destroy(&test_loop);

	CHECK_INT(dones, KEYS * JOBS_PER_KEY);
	CHECK_INT(atomic_load(&overlap), 0);
	CHECK_INT(order_errors, 0);
	/* 4 threads and 4 keys: different users' jobs did run side by side. */
	CHECK(atomic_load(&max_parallel) >= 2);
	unsigned int on_loop = 0;
	for (unsigned int i = 0; i < KEYS * JOBS_PER_KEY; i++)
		on_loop += jobs[i].done_on_loop;
	CHECK_INT(on_loop, KEYS * JOBS_PER_KEY);
	CHECK(worker_key_string("alice") != worker_key_string("bob"));
	test_limited_pool();
	return unit_finish("workers");
}
