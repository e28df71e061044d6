/* Sessions waiting in IDLE: each user's list of watches, woken by this
 * process's store jobs (mail_user_notify()) and, through the store's watch
 * (store.h), by other processes' changes, which a thread of its own
 * drains. A watch never holds a store open. */
#include "user/user-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/loop.h"

/* A session waiting in IDLE; refcounted: the list holds one reference, a
 * posted wake-up another. */
struct mail_user_watch {
	struct mail_user_watch *next;   /* in mu->watches; under user_registry_lock */
	struct loop *loop;
	void (*fn)(void *ctx);
	void *ctx;
	unsigned int refs;              /* under user_registry_lock */
	bool active, posted;            /* under user_registry_lock */
};

/* Serializes the calls on store_watch (store.h asks it) and guards each
 * entry's watch_count and store_watch. Taken before user_registry_lock. */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store_watch *store_watch;   /* NULL: not started, or no watch */
static int stop_pipe[2] = { -1, -1 };
static pthread_t watch_thread;

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

	pthread_mutex_lock(&user_registry_lock);
	w->posted = false;
	active = w->active;
	pthread_mutex_unlock(&user_registry_lock);
	if (active)
		w->fn(w->ctx);
	pthread_mutex_lock(&user_registry_lock);
	watch_unref_locked(w);
	pthread_mutex_unlock(&user_registry_lock);
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
	pthread_mutex_lock(&user_registry_lock);
	notify_watches_locked(mu);
	pthread_mutex_unlock(&user_registry_lock);
}

/* store_watch_drain()'s callback, under watch_lock: mu is alive, since an
 * entry's store watch is removed (under watch_lock) before its last
 * session drops its reference. */
static void watch_changed(void *ctx)
{
	mail_user_notify(ctx);
}

static void *watch_main(void *arg)
{
	int fd = store_watch_fd(store_watch);

	(void)arg;
	(void)pthread_setname_np(pthread_self(), "petrel-watch");
	for (;;) {
		struct pollfd fds[2] = { { fd, POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("watch thread: poll: %s", strerror(errno));
			return NULL;
		}
		if (fds[1].revents != 0)
			return NULL;
		pthread_mutex_lock(&watch_lock);
		store_watch_drain(store_watch, watch_changed);
		pthread_mutex_unlock(&watch_lock);
	}
}

bool user_watch_start(const struct user_services *svc)
{
	if (store_watch_open(svc->env, &store_watch) != STORE_OK)
		goto fail;
	if (pipe2(stop_pipe, O_CLOEXEC) < 0)
		goto fail;
	if (pthread_create(&watch_thread, NULL, watch_main, NULL) != 0) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		goto fail;
	}
	return true;
fail:
	log_warn("no store watch (%s): sessions in IDLE learn of other processes' "
		 "deliveries at their next command", strerror(errno));
	store_watch_close(&store_watch);
	stop_pipe[0] = stop_pipe[1] = -1;
	return false;
}

void user_watch_stop(void)
{
	if (store_watch == NULL)
		return;
	if (write(stop_pipe[1], "x", 1) < 0)
		log_warn("watch thread: stop: %s", strerror(errno));
	pthread_join(watch_thread, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
	pthread_mutex_lock(&watch_lock);
	store_watch_close(&store_watch);
	pthread_mutex_unlock(&watch_lock);
}

struct mail_user_watch *mail_user_watch_add(struct mail_user *mu, struct loop *loop,
					    void (*fn)(void *ctx), void *ctx)
{
	struct mail_user_watch *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->fn = fn;
	w->ctx = ctx;
	w->refs = 1;
	w->active = true;
	pthread_mutex_lock(&user_registry_lock);
	w->next = mu->watches;
	mu->watches = w;
	pthread_mutex_unlock(&user_registry_lock);
	/* The user's first watch asks the store's watch for other processes'
	 * changes too (a file open: small I/O on the loop, as before). */
	pthread_mutex_lock(&watch_lock);
	if (mu->watch_count++ == 0 && store_watch != NULL)
		(void)store_watch_add(store_watch, mu->name, mu, &mu->store_watch);
	pthread_mutex_unlock(&watch_lock);
	return w;
}

void mail_user_watch_remove(struct mail_user *mu, struct mail_user_watch **wp)
{
	struct mail_user_watch *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	pthread_mutex_lock(&user_registry_lock);
	for (struct mail_user_watch **pp = &mu->watches; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->active = false;
	watch_unref_locked(w);
	pthread_mutex_unlock(&user_registry_lock);
	pthread_mutex_lock(&watch_lock);
	if (--mu->watch_count == 0 && store_watch != NULL)
		store_watch_remove(store_watch, &mu->store_watch);
	pthread_mutex_unlock(&watch_lock);
}
