/* A user's store handle: opened by the first job that needs it, closed by
 * the closer (a thread that queues the close of stores no job has used for
 * a while, and of the least recently used beyond a bound) and by the
 * entry's end. Never opens or closes a store outside a job under the
 * user's key. The closer's tick also queues the search indexers that
 * stepped aside for deliveries now over (user-index.c). */
#include "user/user-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/passdb.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/workers.h"
#include "store/store-users.h"

/* A store stays open this long after the last job that used it: a client's
 * next command mostly comes sooner (a reopen costs the embedded store a few
 * database opens and schema reads, about a millisecond), while a session
 * that only waits (in IDLE, or a client left open on the desk) holds no
 * database: an open store costs ~110 KiB of the embedded store's memory
 * (test-store-memory), the goal is 32 KiB per connected user. */
#define MAIL_USER_STORE_IDLE_MS 2000
/* Open stores at most, beyond which the least recently used are closed
 * even before MAIL_USER_STORE_IDLE_MS: a burst of thousands of users
 * logging in must not hold thousands of databases (and descriptors:
 * three files and two mappings each). 128 stores are ~14 MiB, and more
 * than the worker threads can use at once many times over. */
#define MAIL_USER_OPEN_STORES_MAX 128
/* How often the closer looks: stores close between IDLE_MS and IDLE_MS
 * plus this after their last use. */
#define MAIL_USER_CLOSER_TICK_MS 500

static unsigned int open_stores;    /* under user_registry_lock */

int64_t user_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum store_result mail_user_store_open(const struct store_env *env, const char *user,
				       struct store **store_r, char *err, size_t err_size)
{
	bool created = false;
	enum passdb_result pr = passdb_store_created(env, user, &created);
	enum store_result r;

	*store_r = NULL;
	if (pr != PASSDB_OK && pr != PASSDB_NO_USER) {
		snprintf(err, err_size, "cannot read users.db (see log)");
		return STORE_ERROR;
	}
	/* A user users.db does not know gets no new store either. */
	unsigned int flags = pr == PASSDB_OK && !created ? STORE_OPEN_CREATE : 0;

	if (strcmp(user, STORE_PUBLIC_OWNER) == 0)
		flags |= STORE_OPEN_BARE;   /* no Sent, Trash, ... of nobody's */
	r = store_open(env, user, flags, store_r, err, err_size);
	if (r == STORE_OK && pr == PASSDB_OK && !created &&
	    passdb_store_set_created(env, user) != PASSDB_OK) {
		/* Unrecorded, a lost store.db would be silently re-created. */
		snprintf(err, err_size, "cannot record the new store in users.db (see log)");
		store_close(store_r);
		return STORE_ERROR;
	}
	return r;
}

static void store_used(struct mail_user *mu, bool opened)
{
	pthread_mutex_lock(&user_registry_lock);
	mu->uses++;
	mu->last_used_ms = user_now_ms();
	if (opened) {
		mu->store_open = true;
		open_stores++;
	}
	pthread_mutex_unlock(&user_registry_lock);
}

struct store *mail_user_store(struct mail_user *mu, enum store_result *result_r)
{
	char err[256];

	*result_r = STORE_OK;
	if (mu->store != NULL) {
		store_used(mu, false);
		return mu->store;
	}
	*result_r = mail_user_store_open(mu->svc->env, mu->name, &mu->store, err,
					 sizeof(err));
	if (*result_r != STORE_OK) {
		log_error("user %s: cannot open store: %s", mu->name, err);
		mu->store = NULL;
		return NULL;
	}
	store_used(mu, true);
	return mu->store;
}

struct store *mail_user_store_existing(struct mail_user *mu, enum store_result *result_r)
{
	bool created = false;

	if (mu->store == NULL &&
	    (passdb_store_created(mu->svc->env, mu->name, &created) != PASSDB_OK || !created)) {
		*result_r = STORE_NOT_FOUND;   /* no user, or one who never had mail */
		return NULL;
	}
	return mail_user_store(mu, result_r);
}

void mail_user_jobs_at(struct mail_user *mu, struct loop *owner)
{
	pthread_mutex_lock(&user_registry_lock);
	mu->owner = owner;
	pthread_mutex_unlock(&user_registry_lock);
}

void user_store_forget(struct mail_user *mu)
{
	if (mu->store == NULL)
		return;
	pthread_mutex_lock(&user_registry_lock);
	open_stores--;
	mu->store_open = false;
	pthread_mutex_unlock(&user_registry_lock);
	store_close(&mu->store);
}

/* ---- the closer ---- */

static pthread_t closer_thread;
static pthread_cond_t closer_cond;
static bool closer_running, closer_stop;    /* under user_registry_lock */

bool user_store_closer_running_locked(void)
{
	return closer_running;
}

struct idle_close_job {
	struct mail_user *mu;
	struct loop *owner;
	uint64_t uses;          /* mu->uses when queued */
};

/* Under the user's key, so no other job of the user runs: closes the
 * store unless a job used it since this was queued, or a blob begun on
 * it waits for the rest of its message (an APPEND literal arriving). */
static void idle_close_run(void *arg)
{
	struct idle_close_job *job = arg;
	struct mail_user *mu = job->mu;
	bool unused;

	pthread_mutex_lock(&user_registry_lock);
	mu->idle_close_queued = false;
	unused = mu->uses == job->uses;
	pthread_mutex_unlock(&user_registry_lock);
	if (!unused || mu->store == NULL || store_blob_count(mu->store) > 0)
		return;
	user_store_forget(mu);
}

static void idle_close_done(void *arg)
{
	struct idle_close_job *job = arg;

	mail_user_release(&job->mu, job->owner);
	free(job);
}

static void idle_close_queue_locked(struct mail_user *mu)
{
	struct idle_close_job *job = xmalloc(sizeof(*job));

	job->mu = mu;
	job->owner = mu->owner;
	job->uses = mu->uses;
	user_ref_locked(mu);
	mu->idle_close_queued = true;
	/* Under user_registry_lock: user_services_shutdown() takes it too, so
	 * once that returns nothing more is queued for the shutdown to wait
	 * for. */
	if (!worker_pool_submit(mu->svc->workers, mu->key, mu->owner, idle_close_run,
				idle_close_done, job)) {
		mu->refs--;     /* not the last: the session holds one */
		mu->idle_close_queued = false;
		free(job);
	}
}

static int by_last_use(const void *a, const void *b)
{
	const struct mail_user *x = *(struct mail_user *const *)a;
	const struct mail_user *y = *(struct mail_user *const *)b;

	return x->last_used_ms < y->last_used_ms ? -1 : x->last_used_ms > y->last_used_ms;
}

/* Queues the close of every store idle for MAIL_USER_STORE_IDLE_MS, and of
 * the least recently used beyond MAIL_USER_OPEN_STORES_MAX. */
static void closer_scan_locked(void)
{
	int64_t now = user_now_ms();
	struct mail_user **open;
	size_t n = 0, excess;

	if (atomic_load(&user_stopping) || open_stores == 0)
		return;
	open = malloc(open_stores * sizeof(*open));
	if (open == NULL)
		return;   /* the next tick tries again */
	for (struct mail_user *mu = user_registry; mu != NULL && n < open_stores; mu = mu->next) {
		/* refs == 0: lingering after its last release (see
		 * mail_user_release()), unless its final close is queued. */
		if (mu->store_open && !mu->idle_close_queued && !mu->close_queued &&
		    mu->owner != NULL)
			open[n++] = mu;
	}
	excess = open_stores > MAIL_USER_OPEN_STORES_MAX ?
		open_stores - MAIL_USER_OPEN_STORES_MAX : 0;
	if (excess > 0)
		qsort(open, n, sizeof(*open), by_last_use);
	for (size_t i = 0; i < n; i++) {
		if (i >= excess && now - open[i]->last_used_ms < MAIL_USER_STORE_IDLE_MS)
			continue;
		if (open[i]->refs == 0)
			user_final_close_queue_locked(open[i], open[i]->owner);
		else
			idle_close_queue_locked(open[i]);
	}
	free(open);
}

static void *closer_main(void *arg)
{
	(void)arg;
	(void)pthread_setname_np(pthread_self(), "petrel-closer");
	pthread_mutex_lock(&user_registry_lock);
	while (!closer_stop) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += MAIL_USER_CLOSER_TICK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&closer_cond, &user_registry_lock, &until);
		if (!closer_stop) {
			closer_scan_locked();
			user_index_resume_locked();
		}
	}
	pthread_mutex_unlock(&user_registry_lock);
	return NULL;
}

bool user_store_closer_start(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&closer_cond, &attr);
	pthread_condattr_destroy(&attr);
	closer_stop = false;
	if (pthread_create(&closer_thread, NULL, closer_main, NULL) != 0) {
		log_warn("no store closer thread: stores stay open until their users' "
			 "sessions end");
		pthread_cond_destroy(&closer_cond);
		return false;
	}
	closer_running = true;
	return true;
}

void user_store_closer_stop(void)
{
	if (!closer_running)
		return;
	pthread_mutex_lock(&user_registry_lock);
	closer_stop = true;
	pthread_cond_signal(&closer_cond);
	pthread_mutex_unlock(&user_registry_lock);
	pthread_join(closer_thread, NULL);
	pthread_cond_destroy(&closer_cond);
	closer_running = false;
}
