/* Worker pool: jobs of one key never overlap and run in submission order;
 * jobs of different keys run in parallel; every done() runs on the owning
 * loop's thread. */
#include <pthread.h>
#include <stdatomic.h>
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

int main(void)
{
	static struct job_ctx jobs[KEYS * JOBS_PER_KEY];
	struct worker_pool *pool = worker_pool_create(4);

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
	return unit_finish("workers");
}
