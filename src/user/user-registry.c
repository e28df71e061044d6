/* The registry of logged-in users' stores: a mutex-protected list (users
 * with sessions in this process) of refcounted entries; and the closer, a
 * thread that queues the close of stores no job has used for a while. */
#include "imap/mail-user.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/passdb.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/loop.h"
#include "net/workers.h"

/* A session waiting in IDLE; refcounted: the list holds one reference, a
 * posted wake-up another. */
struct mail_user_watch {
	struct mail_user_watch *next;   /* in mu->watches; under registry_lock */
	struct loop *loop;
	void (*fn)(void *ctx);
	void *ctx;
	unsigned int refs;              /* under registry_lock */
	bool active, posted;            /* under registry_lock */
};

struct mail_user {
	struct mail_user *next;
	char *name;
	uint64_t key;
	uint64_t index_key;         /* the indexer's worker key */
	unsigned int refs;          /* sessions and index jobs; under registry_lock */
	bool close_queued;          /* under registry_lock */
	bool index_queued;          /* under registry_lock */
	struct store *store;        /* only inside jobs under `key` */
	struct mail_user_watch *watches;   /* under registry_lock */
	int notify_wd;              /* inotify watch while watches exist, else -1 */
	/* For the closer, under registry_lock: */
	bool store_open;            /* store != NULL */
	bool idle_close_queued;
	uint64_t uses;              /* mail_user_store() calls so far */
	int64_t last_used_ms;       /* the last one's time (CLOCK_MONOTONIC) */
	struct worker_pool *workers;   /* where the user's jobs run; NULL: unknown */
	struct loop *owner;         /* a loop for the close job's completion */
};

/* A store stays open this long after the last job that used it: a client's
 * next command mostly comes sooner (a reopen costs a few SQLite opens and
 * schema reads, about a millisecond), while a session that only waits (in
 * IDLE, or a client left open on the desk) holds no database: an open
 * store costs ~110 KiB of SQLite memory (test-store-memory), the goal is
 * 32 KiB per connected user. */
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

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mail_user *registry;
static unsigned int open_stores;    /* under registry_lock */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct mail_user *mail_user_acquire(const char *user)
{
	struct mail_user *mu;

	pthread_mutex_lock(&registry_lock);
	for (mu = registry; mu != NULL; mu = mu->next) {
		if (strcmp(mu->name, user) == 0)
			break;
	}
	if (mu == NULL) {
		mu = xcalloc(1, sizeof(*mu));
		mu->name = xstrdup(user);
		mu->key = worker_key_string(user);
		mu->notify_wd = -1;
		/* Any other value than key: the indexer runs beside the user's
		 * jobs, and two of its jobs never overlap. */
		mu->index_key = ~mu->key;
		mu->next = registry;
		registry = mu;
	}
	mu->refs++;
	pthread_mutex_unlock(&registry_lock);
	return mu;
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

	pthread_mutex_lock(&registry_lock);
	mu->close_queued = false;
	last = mu->refs == 0;
	if (last) {
		struct mail_user **pp = &registry;

		while (*pp != mu)
			pp = &(*pp)->next;
		*pp = mu->next;
	}
	pthread_mutex_unlock(&registry_lock);
	if (!last)
		return;   /* a new session came meanwhile and keeps the store */
	if (mu->store != NULL) {
		pthread_mutex_lock(&registry_lock);
		open_stores--;
		pthread_mutex_unlock(&registry_lock);
	}
	store_close(&mu->store);
	free(mu->name);
	free(mu);
	job->mu = NULL;
}

static void close_done(void *arg)
{
	free(arg);
}

void mail_user_release(struct mail_user **mup, struct worker_pool *workers,
		       struct loop *owner)
{
	struct mail_user *mu = *mup;
	bool queue = false;

	if (mu == NULL)
		return;
	*mup = NULL;
	pthread_mutex_lock(&registry_lock);
	if (--mu->refs == 0 && !mu->close_queued) {
		mu->close_queued = true;
		queue = true;
	}
	pthread_mutex_unlock(&registry_lock);
	if (!queue)
		return;
	struct close_job *job = xmalloc(sizeof(*job));
	job->mu = mu;
	if (!worker_pool_submit(workers, mu->key, owner, close_run, close_done, job)) {
		/* Queue full: keep the entry; the next release retries. */
		pthread_mutex_lock(&registry_lock);
		mu->close_queued = false;
		pthread_mutex_unlock(&registry_lock);
		free(job);
		log_warn("user %s: store close deferred (worker queue full)", mu->name);
	}
}

const char *mail_user_name(const struct mail_user *mu)
{
	return mu->name;
}

uint64_t mail_user_key(const struct mail_user *mu)
{
	return mu->key;
}

enum store_result mail_user_store_open(const char *data_dir, const char *user,
				       struct store **store_r, char *err, size_t err_size)
{
	bool created = false;
	enum passdb_result pr = passdb_store_created(data_dir, user, &created);
	enum store_result r;

	*store_r = NULL;
	if (pr != PASSDB_OK && pr != PASSDB_NO_USER) {
		snprintf(err, err_size, "cannot read users.db (see log)");
		return STORE_ERROR;
	}
	/* A user users.db does not know gets no new store either. */
	r = store_open(data_dir, user, pr == PASSDB_OK && !created ? STORE_OPEN_CREATE : 0,
		       store_r, err, err_size);
	if (r == STORE_OK && pr == PASSDB_OK && !created &&
	    passdb_store_set_created(data_dir, user) != PASSDB_OK) {
		/* Unrecorded, a lost store.db would be silently re-created. */
		snprintf(err, err_size, "cannot record the new store in users.db (see log)");
		store_close(store_r);
		return STORE_ERROR;
	}
	return r;
}

static void store_used(struct mail_user *mu, bool opened)
{
	pthread_mutex_lock(&registry_lock);
	mu->uses++;
	mu->last_used_ms = now_ms();
	if (opened) {
		mu->store_open = true;
		open_stores++;
	}
	pthread_mutex_unlock(&registry_lock);
}

struct store *mail_user_store(struct mail_user *mu, const char *data_dir,
			      enum store_result *result_r)
{
	char err[256];

	*result_r = STORE_OK;
	if (mu->store != NULL) {
		store_used(mu, false);
		return mu->store;
	}
	*result_r = mail_user_store_open(data_dir, mu->name, &mu->store, err, sizeof(err));
	if (*result_r != STORE_OK) {
		log_error("user %s: cannot open store: %s", mu->name, err);
		mu->store = NULL;
		return NULL;
	}
	store_used(mu, true);
	return mu->store;
}

void mail_user_jobs_at(struct mail_user *mu, struct worker_pool *workers, struct loop *owner)
{
	pthread_mutex_lock(&registry_lock);
	mu->workers = workers;
	mu->owner = owner;
	pthread_mutex_unlock(&registry_lock);
}

/* ---- the closer ---- */

static atomic_bool index_stopping;
static pthread_t closer_thread;
static pthread_cond_t closer_cond;
static bool closer_running, closer_stop;    /* under registry_lock */

struct idle_close_job {
	struct mail_user *mu;
	struct worker_pool *workers;
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

	pthread_mutex_lock(&registry_lock);
	mu->idle_close_queued = false;
	unused = mu->uses == job->uses;
	pthread_mutex_unlock(&registry_lock);
	if (!unused || mu->store == NULL || store_blob_count(mu->store) > 0)
		return;
	store_close(&mu->store);
	pthread_mutex_lock(&registry_lock);
	mu->store_open = false;
	open_stores--;
	pthread_mutex_unlock(&registry_lock);
}

static void idle_close_done(void *arg)
{
	struct idle_close_job *job = arg;

	mail_user_release(&job->mu, job->workers, job->owner);
	free(job);
}

static void idle_close_queue_locked(struct mail_user *mu)
{
	struct idle_close_job *job = xmalloc(sizeof(*job));

	job->mu = mu;
	job->workers = mu->workers;
	job->owner = mu->owner;
	job->uses = mu->uses;
	mu->refs++;
	mu->idle_close_queued = true;
	/* Under registry_lock: mail_user_index_stop() takes it too, so once
	 * that returns nothing more is queued for the shutdown to wait for. */
	if (!worker_pool_submit(mu->workers, mu->key, mu->owner, idle_close_run,
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
	int64_t now = now_ms();
	struct mail_user **open;
	size_t n = 0, excess;

	if (atomic_load(&index_stopping) || open_stores == 0)
		return;
	open = malloc(open_stores * sizeof(*open));
	if (open == NULL)
		return;   /* the next tick tries again */
	for (struct mail_user *mu = registry; mu != NULL && n < open_stores; mu = mu->next) {
		/* refs == 0: the last release queued the final close. */
		if (mu->store_open && !mu->idle_close_queued && mu->workers != NULL &&
		    mu->refs > 0)
			open[n++] = mu;
	}
	excess = open_stores > MAIL_USER_OPEN_STORES_MAX ?
		open_stores - MAIL_USER_OPEN_STORES_MAX : 0;
	if (excess > 0)
		qsort(open, n, sizeof(*open), by_last_use);
	for (size_t i = 0; i < n; i++) {
		if (i < excess || now - open[i]->last_used_ms >= MAIL_USER_STORE_IDLE_MS)
			idle_close_queue_locked(open[i]);
	}
	free(open);
}

static void *closer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&registry_lock);
	while (!closer_stop) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += MAIL_USER_CLOSER_TICK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&closer_cond, &registry_lock, &until);
		if (!closer_stop)
			closer_scan_locked();
	}
	pthread_mutex_unlock(&registry_lock);
	return NULL;
}

static void closer_start(void)
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
		return;
	}
	closer_running = true;
}

static void closer_end(void)
{
	if (!closer_running)
		return;
	pthread_mutex_lock(&registry_lock);
	closer_stop = true;
	pthread_cond_signal(&closer_cond);
	pthread_mutex_unlock(&registry_lock);
	pthread_join(closer_thread, NULL);
	pthread_cond_destroy(&closer_cond);
	closer_running = false;
}

/* ---- the search indexer ---- */

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

void mail_user_index_stop(void)
{
	/* Under the lock: see idle_close_queue_locked(). */
	pthread_mutex_lock(&registry_lock);
	atomic_store(&index_stopping, true);
	pthread_mutex_unlock(&registry_lock);
}

struct index_job {
	struct mail_user *mu;
	struct worker_pool *workers, *index_workers;
	struct loop *owner;
	const char *data_dir;
	enum store_result result;
	bool more;
};

static void index_run(void *arg)
{
	struct index_job *job = arg;
	static _Thread_local bool niced;

	if (!niced) {
		/* Only index_workers' threads run this; failing is harmless. */
		if (setpriority(PRIO_PROCESS, (id_t)gettid(), INDEX_NICE) < 0)
			log_warn("indexer thread: setpriority: %m");
		niced = true;
	}
	job->result = store_index_text(job->data_dir, job->mu->name, INDEX_BATCHES_PER_JOB,
				       &index_stopping, &job->more);
	if (job->result != STORE_OK && job->result != STORE_NOT_FOUND &&
	    !atomic_load(&index_stopping))
		log_warn("user %s: search indexing failed (%s); left for the next delivery",
			 job->mu->name, store_result_name(job->result));
}

static void index_done(void *arg)
{
	struct index_job *job = arg;

	pthread_mutex_lock(&registry_lock);
	job->mu->index_queued = false;
	pthread_mutex_unlock(&registry_lock);
	/* Not once shutdown began, nor after the loop stopped (leftovers run
	 * elsewhere): what is left waits for the next start. */
	if (job->result == STORE_OK && job->more && loop_is_current(job->owner) &&
	    !atomic_load(&index_stopping))
		mail_user_index_kick(job->mu, job->workers, job->index_workers, job->owner,
				     job->data_dir);
	mail_user_release(&job->mu, job->workers, job->owner);
	free(job);
}

void mail_user_index_kick(struct mail_user *mu, struct worker_pool *workers,
			  struct worker_pool *index_workers, struct loop *owner,
			  const char *data_dir)
{
	struct index_job *job;

	pthread_mutex_lock(&registry_lock);
	if (mu->index_queued) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	mu->index_queued = true;
	mu->refs++;
	pthread_mutex_unlock(&registry_lock);
	job = xcalloc(1, sizeof(*job));
	job->mu = mu;
	job->workers = workers;
	job->index_workers = index_workers;
	job->owner = owner;
	job->data_dir = data_dir;
	if (!worker_pool_submit(index_workers, mu->index_key, owner, index_run, index_done,
				job)) {
		log_warn("user %s: search indexing deferred (worker queue full)", mu->name);
		pthread_mutex_lock(&registry_lock);
		mu->index_queued = false;
		pthread_mutex_unlock(&registry_lock);
		mail_user_release(&job->mu, workers, owner);
		free(job);
	}
}

/* ---- watches (IDLE) ---- */

static void watch_unref_locked(struct mail_user_watch *w)
{
	if (--w->refs == 0)
		free(w);
}

/* On the watch's loop: the session is still there if the watch is active,
 * since removal happens on this same loop before the session goes. */
static void watch_fire(void *arg)
{
	struct mail_user_watch *w = arg;
	bool active;

	pthread_mutex_lock(&registry_lock);
	w->posted = false;
	active = w->active;
	pthread_mutex_unlock(&registry_lock);
	if (active)
		w->fn(w->ctx);
	pthread_mutex_lock(&registry_lock);
	watch_unref_locked(w);
	pthread_mutex_unlock(&registry_lock);
}

/* ---- other processes' changes: inotify on each watched user's notify
 * file (store_notify_touch()), read by a thread of its own ---- */

static void notify_watches_locked(struct mail_user *mu);

static int notify_fd = -1;          /* inotify; -1 when not started */
static int notify_stop_pipe[2] = { -1, -1 };
static pthread_t notify_thread;

static void notify_users_locked(int wd)
{
	for (struct mail_user *mu = registry; mu != NULL; mu = mu->next) {
		if (mu->notify_wd == wd)
			notify_watches_locked(mu);
	}
}

static void *notify_main(void *arg)
{
	_Alignas(struct inotify_event) char buf[4096];

	(void)arg;
	for (;;) {
		struct pollfd fds[2] = { { notify_fd, POLLIN, 0 }, { notify_stop_pipe[0], POLLIN, 0 } };

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("notify thread: poll: %s", strerror(errno));
			return NULL;
		}
		if (fds[1].revents != 0)
			return NULL;
		ssize_t n = read(notify_fd, buf, sizeof(buf));

		if (n <= 0)
			continue;   /* EAGAIN, EINTR */
		pthread_mutex_lock(&registry_lock);
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);

			if ((ev->mask & (IN_CLOSE_WRITE | IN_ATTRIB)) != 0)
				notify_users_locked(ev->wd);
			off += (ssize_t)sizeof(*ev) + ev->len;
		}
		pthread_mutex_unlock(&registry_lock);
	}
}

bool mail_user_notify_start(void)
{
	closer_start();
	notify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (notify_fd < 0 || pipe2(notify_stop_pipe, O_CLOEXEC) < 0 ||
	    pthread_create(&notify_thread, NULL, notify_main, NULL) != 0) {
		log_warn("no inotify (%s): sessions in IDLE learn of other processes' "
			 "deliveries at their next command", strerror(errno));
		if (notify_fd >= 0)
			close(notify_fd);
		notify_fd = -1;
		return false;
	}
	return true;
}

void mail_user_notify_stop(void)
{
	closer_end();
	if (notify_fd < 0)
		return;
	if (write(notify_stop_pipe[1], "x", 1) < 0)
		log_warn("notify thread: stop: %s", strerror(errno));
	pthread_join(notify_thread, NULL);
	close(notify_stop_pipe[0]);
	close(notify_stop_pipe[1]);
	close(notify_fd);
	notify_fd = -1;
}

struct mail_user_watch *mail_user_watch_add(struct mail_user *mu, const char *data_dir,
					    struct loop *loop, void (*fn)(void *ctx), void *ctx)
{
	struct mail_user_watch *w = xcalloc(1, sizeof(*w));
	char path[4200];
	int wd = -1;

	w->loop = loop;
	w->fn = fn;
	w->ctx = ctx;
	w->refs = 1;
	w->active = true;
	/* The file is made and watched outside the lock (I/O); one watch per
	 * file, so a second add returns the same descriptor. */
	if (notify_fd >= 0 && store_notify_path(data_dir, mu->name, path, sizeof(path)))
		wd = inotify_add_watch(notify_fd, path, IN_CLOSE_WRITE | IN_ATTRIB);
	pthread_mutex_lock(&registry_lock);
	w->next = mu->watches;
	mu->watches = w;
	if (wd >= 0)
		mu->notify_wd = wd;
	pthread_mutex_unlock(&registry_lock);
	return w;
}

void mail_user_watch_remove(struct mail_user *mu, struct mail_user_watch **wp)
{
	struct mail_user_watch *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	pthread_mutex_lock(&registry_lock);
	for (struct mail_user_watch **pp = &mu->watches; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->active = false;
	watch_unref_locked(w);
	int wd = -1;
	if (mu->watches == NULL && mu->notify_wd >= 0) {
		wd = mu->notify_wd;
		mu->notify_wd = -1;
	}
	pthread_mutex_unlock(&registry_lock);
	if (wd >= 0 && notify_fd >= 0)
		inotify_rm_watch(notify_fd, wd);
}

static void notify_watches_locked(struct mail_user *mu)
{
	for (struct mail_user_watch *w = mu->watches; w != NULL; w = w->next) {
		if (w->posted)
			continue;   /* one wake-up pending is enough */
		w->posted = true;
		w->refs++;
		loop_post(w->loop, watch_fire, w);
	}
}

void mail_user_notify(struct mail_user *mu)
{
	pthread_mutex_lock(&registry_lock);
	notify_watches_locked(mu);
	pthread_mutex_unlock(&registry_lock);
}
