/* The search indexer's scheduling: at most one job per user queued on the
 * index workers (a pool at a lower CPU priority), each doing a few batches
 * and queueing its successor while work is left, until the shutdown.
 *
 * Stepping aside: indexing a message costs about twice the CPU of the
 * rest of its delivery (0.45 ms against 0.2 for jwz's mail), so beside a
 * stream of deliveries to the same user (an import, a pipelining client,
 * a mailing list through LMTP) it takes the core they need: on two cores
 * it held one session's pipelined APPENDs under 4,000 msg/s, and 6,000
 * without it. So a job that finds the user's deliveries under way, or
 * ended less than INDEX_QUIET_MS ago (a pipelining client's deliveries
 * come in waves: its next ones are read while a group commit runs), does
 * nothing and leaves the user waiting; the closer's tick (user-store.c)
 * queues it again once the deliveries have been quiet that long. SEARCH
 * stays exact meanwhile (it reads the text where it waits), only slower.
 * This is bounded: once the user's indexer has stepped aside for
 * index_delay_max_ms, it runs beside the deliveries until it has caught
 * up, as it would without this. A job that steps aside still has the
 * store's compression dictionaries trained once they are due (a second
 * of CPU, once per store): without them, the 100,000 messages of an
 * import stored meanwhile took 0.26x the raw mail more disk. */
#include "user/user-private.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/loop.h"
#include "net/workers.h"
#include "store/deliver.h"

/* Batches per job (about 0.1 s of CPU each): the job ends between them so
 * a shutdown never waits for a long backlog; its completion queues the
 * next while work is left. */
#define INDEX_BATCHES_PER_JOB 2
/* Deliveries that ended less than this ago still count as under way. */
#define INDEX_QUIET_MS 200

static unsigned int waiting_users;   /* entries with index_waiting; under the lock */

struct index_job {
	struct mail_user *mu;
	struct loop *owner;
	enum store_result result;
	bool more;
	bool aside;         /* stepped aside for deliveries: nothing done */
};

static bool deliveries_quiet(struct mail_user *mu)
{
	return store_deliver_queue_idle_ms(mu->deliveries) >= INDEX_QUIET_MS;
}

/* Index job: whether to step aside now (the start of a run of such
 * decisions is remembered in the entry, which only index jobs touch). */
static bool index_steps_aside(struct mail_user *mu)
{
	int64_t max_ms = mu->svc->index_delay_max_ms;

	if (max_ms <= 0 || deliveries_quiet(mu))
		return false;
	/* Only the closer's tick queues a waiting indexer again. */
	pthread_mutex_lock(&user_registry_lock);
	bool ticking = user_store_closer_running_locked();
	pthread_mutex_unlock(&user_registry_lock);
	if (!ticking)
		return false;
	int64_t now = user_now_ms();

	if (mu->index_aside_since_ms == 0)
		mu->index_aside_since_ms = now;
	return now - mu->index_aside_since_ms < max_ms;
}

static void index_run(void *arg)
{
	struct index_job *job = arg;

	if (index_steps_aside(job->mu)) {
		job->aside = true;
		job->result = STORE_OK;
		/* Not the dictionaries, though: mail stored before them is
		 * compressed without them (store_train_dicts()). */
		if (!job->mu->dicts_settled &&
		    store_train_dicts(job->mu->svc->env, job->mu->name,
				      &job->mu->dicts_settled) != STORE_OK &&
		    !atomic_load(&user_stopping))
			log_warn("user %s: compression dictionaries not trained (see above)",
				 job->mu->name);
		return;
	}
	job->result = store_index_text(job->mu->svc->env, job->mu->name,
				       INDEX_BATCHES_PER_JOB, &user_stopping, &job->more);
	if (job->result != STORE_OK && job->result != STORE_NOT_FOUND &&
	    !atomic_load(&user_stopping))
		log_warn("user %s: search indexing failed (%s); left for the next delivery",
			 job->mu->name, store_result_name(job->result));
	/* Caught up (or failed): the next deliveries may have it step aside
	 * again for as long. */
	if (!job->more)
		job->mu->index_aside_since_ms = 0;
}

static void index_done(void *arg)
{
	struct index_job *job = arg;
	struct mail_user *mu = job->mu;

	pthread_mutex_lock(&user_registry_lock);
	mu->index_queued = false;
	if (job->aside && !atomic_load(&user_stopping)) {
		mu->index_waiting = true;
		mu->index_owner = job->owner;
		waiting_users++;
	}
	pthread_mutex_unlock(&user_registry_lock);
	/* Not once shutdown began, nor after the loop stopped (leftovers run
	 * elsewhere): what is left waits for the next start. */
	if (!job->aside && job->result == STORE_OK && job->more &&
	    loop_is_current(job->owner) && !atomic_load(&user_stopping))
		mail_user_index_kick(mu, job->owner);
	mail_user_release(&job->mu, job->owner);
	free(job);
}

/* Under user_registry_lock. */
static void index_kick_locked(struct mail_user *mu, struct loop *owner)
{
	struct index_job *job;

	if (mu->index_queued)
		return;
	user_index_forget_locked(mu);
	mu->index_queued = true;
	user_ref_locked(mu);
	job = xcalloc(1, sizeof(*job));
	job->mu = mu;
	job->owner = owner;
	if (!worker_pool_submit(mu->svc->index_workers, mu->index_key, owner, index_run,
				index_done, job)) {
		log_warn("user %s: search indexing deferred (worker queue full)", mu->name);
		mu->index_queued = false;
		free(job);
		if (--mu->refs == 0 && !mu->close_queued)
			user_final_close_queue_locked(mu, owner);
	}
}

void mail_user_index_kick(struct mail_user *mu, struct loop *owner)
{
	pthread_mutex_lock(&user_registry_lock);
	index_kick_locked(mu, owner);
	pthread_mutex_unlock(&user_registry_lock);
}

void user_index_forget_locked(struct mail_user *mu)
{
	if (mu->index_waiting) {
		mu->index_waiting = false;
		waiting_users--;
	}
}

void user_index_resume_locked(void)
{
	if (waiting_users == 0 || atomic_load(&user_stopping))
		return;
	for (struct mail_user *mu = user_registry; mu != NULL; mu = mu->next) {
		if (mu->index_waiting && deliveries_quiet(mu))
			index_kick_locked(mu, mu->index_owner);
	}
}
