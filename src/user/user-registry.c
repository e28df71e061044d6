/* The registry of users with sessions or deliveries in this process: a
 * mutex-protected list of refcounted entries, one per user name. The last
 * reference queues the entry's end on the user's worker key, where it
 * closes the store (no job of the user can be running then). */
#include "user/user-private.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/workers.h"
#include "store/deliver.h"

pthread_mutex_t user_registry_lock = PTHREAD_MUTEX_INITIALIZER;
struct mail_user *user_registry;

struct mail_user *mail_user_acquire(const struct user_services *svc, const char *user)
{
	struct mail_user *mu;

	pthread_mutex_lock(&user_registry_lock);
	for (mu = user_registry; mu != NULL; mu = mu->next) {
		if (strcmp(mu->name, user) == 0)
			break;
	}
	if (mu == NULL) {
		size_t len = strlen(user);

		mu = xcalloc(1, sizeof(*mu) + len + 1);
		memcpy(mu->name, user, len + 1);
		mu->svc = svc;
		mu->key = worker_key_string(user);
		/* Any other value than key: the indexer runs beside the user's
		 * jobs, and two of its jobs never overlap. */
		mu->index_key = ~mu->key;
		mu->deliveries = store_deliver_queue_create();
		mu->next = user_registry;
		user_registry = mu;
	}
	mu->refs++;
	pthread_mutex_unlock(&user_registry_lock);
	return mu;
}

void user_ref_locked(struct mail_user *mu)
{
	mu->refs++;
}

struct close_job {
	struct mail_user *mu;
};

/* Runs under the user's key: no other job of this user is running. */
static void close_run(void *arg)
{
	struct close_job *job = arg;
	struct mail_user *mu = job->mu;
	bool last;

	pthread_mutex_lock(&user_registry_lock);
	mu->close_queued = false;
	last = mu->refs == 0;
	if (last) {
		struct mail_user **pp = &user_registry;

		while (*pp != mu)
			pp = &(*pp)->next;
		*pp = mu->next;
		user_index_forget_locked(mu);
	}
	pthread_mutex_unlock(&user_registry_lock);
	if (!last)
		return;   /* a new session came meanwhile and keeps the store */
	user_store_forget(mu);
	store_deliver_queue_destroy(&mu->deliveries);
	free(mu);
	job->mu = NULL;
}

static void close_done(void *arg)
{
	free(arg);
}

void user_final_close_queue_locked(struct mail_user *mu, struct loop *owner)
{
	struct close_job *job = xmalloc(sizeof(*job));

	job->mu = mu;
	mu->close_queued = true;
	if (!worker_pool_submit(mu->svc->workers, mu->key, owner, close_run, close_done, job)) {
		/* Queue full: keep the entry; the next release (or the
		 * closer) retries. */
		mu->close_queued = false;
		free(job);
		log_warn("user %s: store close deferred (worker queue full)", mu->name);
	}
}

/* The last reference going does not close an open store at once: the
 * entry lingers, store open, and the closer closes it once idle for
 * MAIL_USER_STORE_IDLE_MS, as for a session that only waits. A client
 * that logs out and in again (imaptest's sessions, a phone's app) then
 * finds it open: closing a store's last connection costs the embedded
 * backend a checkpoint, and the next open makes its files again. */
void mail_user_release(struct mail_user **mup, struct loop *owner)
{
	struct mail_user *mu = *mup;

	if (mu == NULL)
		return;
	*mup = NULL;
	pthread_mutex_lock(&user_registry_lock);
	if (--mu->refs == 0 && !mu->close_queued) {
		bool linger = mu->store_open && user_store_closer_running_locked() &&
			mu->owner != NULL && !atomic_load(&user_stopping);

		if (!linger)
			user_final_close_queue_locked(mu, owner);
	}
	pthread_mutex_unlock(&user_registry_lock);
}

struct store_deliver_queue *mail_user_deliveries(struct mail_user *mu)
{
	return mu->deliveries;
}

const char *mail_user_name(const struct mail_user *mu)
{
	return mu->name;
}

uint64_t mail_user_key(const struct mail_user *mu)
{
	return mu->key;
}
