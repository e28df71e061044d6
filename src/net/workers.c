/* Worker pool with per-key FIFO ordering. A key's queue is "ready" when it
 * has jobs and none of them is running; workers take the oldest ready queue,
 * run its first job, and put the queue back at the end if it has more. So no
 * key can starve the others and no two jobs of one key ever overlap. */
#include "net/workers.h"

#include <pthread.h>
#include <stdlib.h>

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
	bool running;
};

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;            /* signalled when pending reaches 0 */
	struct key_queue *buckets[WORKER_BUCKETS];
	struct key_queue *ready_head, **ready_tail;
	unsigned int pending;
	bool stopping;
	unsigned int thread_count;
	pthread_t *threads;
};

static struct key_queue **bucket_of(struct worker_pool *pool, uint64_t key)
{
	return &pool->buckets[key % WORKER_BUCKETS];
}

static void ready_push(struct worker_pool *pool, struct key_queue *q)
{
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
		q->running = true;
		pthread_mutex_unlock(&pool->lock);

		job->run(job->ctx);
		loop_post(job->owner, job_done_on_loop, job);

		pthread_mutex_lock(&pool->lock);
		if (--pool->pending == 0)
			pthread_cond_broadcast(&pool->idle);
		q->running = false;
		if (q->head != NULL) {
			ready_push(pool, q);
			pthread_cond_signal(&pool->cond);
		} else {
			queue_forget(pool, q);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct worker_pool *worker_pool_create(unsigned int threads)
{
	struct worker_pool *pool = xcalloc(1, sizeof(*pool));

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pthread_cond_init(&pool->idle, NULL);
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
	if (pool->pending >= WORKER_QUEUE_MAX || pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	for (q = *bucket_of(pool, key); q != NULL; q = q->hash_next) {
		if (q->key == key)
			break;
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
	bool was_idle = q->head == NULL && !q->running;
	*q->tail = job;
	q->tail = &job->next;
	pool->pending++;
	if (was_idle) {
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
