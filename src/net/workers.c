/* Worker pool with per-key FIFO ordering. A key's queue is "ready" when it
 * has waiting jobs and fewer than key_parallel of them running; workers take
 * the oldest ready queue, start its first job, and put the queue back at the
 * end if it is still ready. So no key can starve the others, and with
 * key_parallel 1 no two jobs of one key ever overlap. */
#include "net/workers.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/loop.h"

#define WORKER_BUCKETS 1024   /* key hash buckets; queues exist only while they have jobs */

struct worker_job {
	struct worker_job *next;
	worker_run_fn *run;
	worker_done_fn *done;
	void *ctx;
	struct loop *owner;
};

struct key_queue {
	struct key_queue *hash_next;
	struct key_queue *ready_next;
	uint64_t key;
	struct worker_job *head, **tail;
	unsigned int running;           /* jobs of this key on a worker now */
	unsigned int pending;           /* waiting + running */
	bool in_ready;                  /* linked in the ready list */
};

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;            /* signalled when pending reaches 0 */
	struct key_queue *buckets[WORKER_BUCKETS];
	struct key_queue *ready_head, **ready_tail;
	unsigned int pending;
	struct worker_pool_limits limits;
	bool stopping;
	unsigned int thread_count;
	pthread_t *threads;
};

static struct key_queue **bucket_of(struct worker_pool *pool, uint64_t key)
{
	return &pool->buckets[key % WORKER_BUCKETS];
}

static bool queue_is_ready(const struct worker_pool *pool, const struct key_queue *q)
{
	return q->head != NULL && q->running < pool->limits.key_parallel;
}

static void ready_push(struct worker_pool *pool, struct key_queue *q)
{
	q->in_ready = true;
	q->ready_next = NULL;
	*pool->ready_tail = q;
	pool->ready_tail = &q->ready_next;
}

static struct key_queue *ready_pop(struct worker_pool *pool)
{
	struct key_queue *q = pool->ready_head;

	if (q != NULL) {
		pool->ready_head = q->ready_next;
		if (pool->ready_head == NULL)
			pool->ready_tail = &pool->ready_head;
		q->in_ready = false;
	}
	return q;
}

static void queue_forget(struct worker_pool *pool, struct key_queue *q)
{
	struct key_queue **pp = bucket_of(pool, q->key);

	while (*pp != q)
		pp = &(*pp)->hash_next;
	*pp = q->hash_next;
	free(q);
}

static void job_done_on_loop(void *arg)
{
	struct worker_job *job = arg;

	job->done(job->ctx);
	free(job);
}

static void *worker_main(void *arg)
{
	struct worker_pool *pool = arg;

	/* Linux: the nice value is per thread. Failing only loses the priority. */
	if (pool->limits.nice != 0 &&
	    setpriority(PRIO_PROCESS, (id_t)gettid(), pool->limits.nice) < 0)
		log_warn("worker thread: setpriority: %m");
	/* Only for people watching: a name too long is refused, harmlessly. */
	if (pool->limits.name != NULL)
		(void)pthread_setname_np(pthread_self(), pool->limits.name);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct key_queue *q;

		while ((q = ready_pop(pool)) == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->lock);
		if (q == NULL)
			break;
		struct worker_job *job = q->head;
		q->head = job->next;
		if (q->head == NULL)
			q->tail = &q->head;
		q->running++;
		if (queue_is_ready(pool, q)) {
			/* Another job of this key may start, after the other keys' turns. */
			ready_push(pool, q);
			pthread_cond_signal(&pool->cond);
		}
		pthread_mutex_unlock(&pool->lock);

		job->run(job->ctx);
		loop_post(job->owner, job_done_on_loop, job);

		pthread_mutex_lock(&pool->lock);
		if (--pool->pending == 0)
			pthread_cond_broadcast(&pool->idle);
		q->running--;
		q->pending--;
		if (q->pending == 0) {
			queue_forget(pool, q);
		} else if (!q->in_ready && queue_is_ready(pool, q)) {
			ready_push(pool, q);
			pthread_cond_signal(&pool->cond);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct worker_pool *worker_pool_create(unsigned int threads, const char *name)
{
	const struct worker_pool_limits limits = {
		.threads = threads,
		.name = name,
		.queue_max = WORKER_QUEUE_MAX,
		.key_queue_max = WORKER_QUEUE_MAX,
		.key_parallel = 1,
	};

	return worker_pool_create_limited(&limits);
}

struct worker_pool *worker_pool_create_limited(const struct worker_pool_limits *limits)
{
	struct worker_pool *pool = xcalloc(1, sizeof(*pool));
	unsigned int threads = limits->threads;

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pthread_cond_init(&pool->idle, NULL);
	pool->limits = *limits;
	if (pool->limits.key_parallel == 0)
		pool->limits.key_parallel = 1;
	pool->ready_tail = &pool->ready_head;
	pool->threads = xcalloc(threads, sizeof(pthread_t));
	for (unsigned int i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
			log_error("cannot start worker thread %u", i);
			break;
		}
		pool->thread_count++;
	}
	if (pool->thread_count == 0)
		abort();
	return pool;
}

void worker_pool_destroy(struct worker_pool **poolp)
{
	struct worker_pool *pool = *poolp;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	/* Workers drain the ready queues before they see `stopping` with nothing left. */
	for (unsigned int i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);
	pthread_cond_destroy(&pool->cond);
	pthread_cond_destroy(&pool->idle);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
	*poolp = NULL;
}

void worker_pool_wait_idle(struct worker_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	while (pool->pending > 0)
		pthread_cond_wait(&pool->idle, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
}

bool worker_pool_submit(struct worker_pool *pool, uint64_t key, struct loop *owner,
			worker_run_fn *run, worker_done_fn *done, void *ctx)
{
	struct worker_job *job;
	struct key_queue *q;

	pthread_mutex_lock(&pool->lock);
	if (pool->pending >= pool->limits.queue_max || pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	for (q = *bucket_of(pool, key); q != NULL; q = q->hash_next) {
		if (q->key == key)
			break;
	}
	if (q != NULL && q->pending >= pool->limits.key_queue_max) {
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	if (q == NULL) {
		q = xcalloc(1, sizeof(*q));
		q->key = key;
		q->tail = &q->head;
		q->hash_next = *bucket_of(pool, key);
		*bucket_of(pool, key) = q;
	}
	job = xmalloc(sizeof(*job));
	job->next = NULL;
	job->run = run;
	job->done = done;
	job->ctx = ctx;
	job->owner = owner;
	*q->tail = job;
	q->tail = &job->next;
	q->pending++;
	pool->pending++;
	if (!q->in_ready && queue_is_ready(pool, q)) {
		ready_push(pool, q);
		pthread_cond_signal(&pool->cond);
	}
	pthread_mutex_unlock(&pool->lock);
	return true;
}

uint64_t worker_key_string(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}
