/* The search indexer's scheduling: at most one job per user queued on the
 * index workers (a pool at a lower CPU priority), each doing a few batches
 * and queueing its successor while work is left, until the shutdown. */
#include "user/user-private.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/loop.h"
#include "net/workers.h"

/* Batches per job (about 0.1 s of CPU each): the job ends between them so
 * a shutdown never waits for a long backlog; its completion queues the
 * next while work is left. */
#define INDEX_BATCHES_PER_JOB 2
/* The index pool's threads run at this nice value (Linux: per thread), so
 * a delivery's or a command's thread gets the CPU first when both want it:
 * indexing a 3 KB message costs about twice the rest of its delivery, and
 * at equal priority it halved APPEND throughput on two cores. Idle CPU
 * still goes to the indexer in full. */
#define INDEX_NICE 10

struct index_job {
	struct mail_user *mu;
	struct loop *owner;
	enum store_result result;
	bool more;
};

static void index_run(void *arg)
{
	struct index_job *job = arg;
	static _Thread_local bool niced;

	if (!niced) {
		/* Only the index workers' threads run this; failing is harmless. */
		if (setpriority(PRIO_PROCESS, (id_t)gettid(), INDEX_NICE) < 0)
			log_warn("indexer thread: setpriority: %m");
		niced = true;
	}
	job->result = store_index_text(job->mu->svc->env, job->mu->name,
				       INDEX_BATCHES_PER_JOB, &user_stopping, &job->more);
	if (job->result != STORE_OK && job->result != STORE_NOT_FOUND &&
	    !atomic_load(&user_stopping))
		log_warn("user %s: search indexing failed (%s); left for the next delivery",
			 job->mu->name, store_result_name(job->result));
}

static void index_done(void *arg)
{
	struct index_job *job = arg;

	pthread_mutex_lock(&user_registry_lock);
	job->mu->index_queued = false;
	pthread_mutex_unlock(&user_registry_lock);
	/* Not once shutdown began, nor after the loop stopped (leftovers run
	 * elsewhere): what is left waits for the next start. */
	if (job->result == STORE_OK && job->more && loop_is_current(job->owner) &&
	    !atomic_load(&user_stopping))
		mail_user_index_kick(job->mu, job->owner);
	mail_user_release(&job->mu, job->owner);
	free(job);
}

void mail_user_index_kick(struct mail_user *mu, struct loop *owner)
{
	struct index_job *job;

	pthread_mutex_lock(&user_registry_lock);
	if (mu->index_queued) {
		pthread_mutex_unlock(&user_registry_lock);
		return;
	}
	mu->index_queued = true;
	user_ref_locked(mu);
	pthread_mutex_unlock(&user_registry_lock);
	job = xcalloc(1, sizeof(*job));
	job->mu = mu;
	job->owner = owner;
	if (!worker_pool_submit(mu->svc->index_workers, mu->index_key, owner, index_run,
				index_done, job)) {
		log_warn("user %s: search indexing deferred (worker queue full)", mu->name);
		pthread_mutex_lock(&user_registry_lock);
		mu->index_queued = false;
		pthread_mutex_unlock(&user_registry_lock);
		mail_user_release(&job->mu, owner);
		free(job);
	}
}
