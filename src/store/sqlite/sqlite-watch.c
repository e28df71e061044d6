/* The SQLite backend's watch (store.h "watching for other processes'
 * changes"): a process that changes a store without being the server opens
 * users/USER/notify for writing and closes it; a server's watch is one
 * inotify instance with a watch on each watched user's file. Never blocks:
 * the descriptor is non-blocking and the files are opened O_NONBLOCK. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

/* users/USER/notify under the data directory: as long as any store path. */
#define SQ_WATCH_PATH_MAX 4096
/* What one read() takes from inotify: ~250 events of a notify file (no
 * name follows them); more wait for the next read of the same drain. */
#define SQ_WATCH_READ_MAX 4096
/* The events that mean "changed": closing after a write (the writer's
 * signal) and a change of attributes (touch(1), a writer that only
 * updates the time). Closing a read-only open is no event, so adding a
 * watch (which opens the file to create it) wakes nobody. */
#define SQ_WATCH_EVENTS (IN_CLOSE_WRITE | IN_ATTRIB)

struct store_watch_user {
	struct store_watch_user *next;
	int wd;             /* -1 once inotify dropped it (file removed) */
	void *ctx;
	bool changed;       /* inside one drain */
};

struct sq_watch {
	struct store_watch base;    /* first: store.c dispatches through it */
	int fd;
	char *data_dir;
	struct store_watch_user *users;
};

static struct sq_watch *sq_watch(struct store_watch *watch)
{
	return (struct sq_watch *)watch;
}

/* Opens (creating) users/USER/notify with flags and closes it again. */
static bool sq_notify_open(const char *data_dir, const char *user, int flags, char *out,
			   size_t size)
{
	int n, fd;

	if (!sq_user_ok(user))
		return false;
	n = snprintf(out, size, "%s/users/%s/notify", data_dir, user);
	if (n < 0 || (size_t)n >= size)
		return false;
	fd = open(out, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void sq_notify_changed(const struct store_env *env, const char *user)
{
	const char *data_dir = env->location;
	char path[SQ_WATCH_PATH_MAX];

	/* Opening for writing and closing is the event (IN_CLOSE_WRITE). */
	if (!sq_notify_open(data_dir, user, O_WRONLY, path, sizeof(path)))
		log_warn("store %s: cannot touch %s/users/%s/notify: running servers learn of "
			 "the change at their sessions' next command", user, data_dir, user);
}

enum store_result sq_watch_open(const struct store_env *env, struct store_watch **watch_r)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	*watch_r = NULL;
	if (fd < 0) {
		log_warn("store watch: inotify_init1: %s", strerror(errno));
		return STORE_ERROR;
	}
	struct sq_watch *w = xcalloc(1, sizeof(*w));

	w->base.v = env->v;
	w->fd = fd;
	w->data_dir = xstrdup(env->location);
	*watch_r = &w->base;
	return STORE_OK;
}

int sq_watch_fd(const struct store_watch *watch)
{
	return ((const struct sq_watch *)watch)->fd;
}

enum store_result sq_watch_add(struct store_watch *base, const char *user, void *ctx,
			       struct store_watch_user **wu_r)
{
	struct sq_watch *watch = sq_watch(base);
	char path[SQ_WATCH_PATH_MAX];
	int wd;

	*wu_r = NULL;
	/* Read-only: closing it must not be the very event watchers wait for
	 * (every session entering IDLE would wake all the others). */
	if (!sq_notify_open(watch->data_dir, user, O_RDONLY, path, sizeof(path)))
		return STORE_NOT_FOUND;   /* no store directory (yet) */
	wd = inotify_add_watch(watch->fd, path, SQ_WATCH_EVENTS);
	if (wd < 0) {
		log_warn("store %s: inotify_add_watch: %s (fs.inotify.max_user_watches?)",
			 user, strerror(errno));
		return STORE_ERROR;
	}
	struct store_watch_user *wu = xcalloc(1, sizeof(*wu));

	wu->wd = wd;
	wu->ctx = ctx;
	wu->next = watch->users;
	watch->users = wu;
	*wu_r = wu;
	return STORE_OK;
}

/* store.c has taken wu out of the caller's hands. */
void sq_watch_remove(struct store_watch *base, struct store_watch_user *wu)
{
	struct sq_watch *watch = sq_watch(base);
	bool shared = false;

	for (struct store_watch_user **pp = &watch->users; *pp != NULL;) {
		if (*pp == wu)
			*pp = wu->next;
		else {
			/* The same file added twice has one inotify watch. */
			shared |= (*pp)->wd == wu->wd;
			pp = &(*pp)->next;
		}
	}
	if (wu->wd >= 0 && !shared)
		inotify_rm_watch(watch->fd, wu->wd);   /* EINVAL if already gone */
	free(wu);
}

/* Marks the users an event is about; false if it names none. */
static bool sq_watch_event(struct sq_watch *watch, const struct inotify_event *ev)
{
	bool any = false;

	for (struct store_watch_user *wu = watch->users; wu != NULL; wu = wu->next) {
		/* A full queue lost events: everyone may have changed. */
		if ((ev->mask & IN_Q_OVERFLOW) != 0 ||
		    (wu->wd == ev->wd && (ev->mask & SQ_WATCH_EVENTS) != 0)) {
			wu->changed = true;
			any = true;
		}
		/* The file went (or its file system): the watch is gone and its
		 * number may be given to another file. */
		if (wu->wd == ev->wd && (ev->mask & IN_IGNORED) != 0)
			wu->wd = -1;
	}
	return any;
}

bool sq_watch_drain(struct store_watch *base, void (*changed)(void *ctx))
{
	struct sq_watch *watch = sq_watch(base);
	_Alignas(struct inotify_event) char buf[SQ_WATCH_READ_MAX];
	bool any = false;

	for (;;) {
		ssize_t n = read(watch->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				log_warn("store watch: read: %s", strerror(errno));
			break;
		}
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);

			any |= sq_watch_event(watch, ev);
			off += (ssize_t)sizeof(*ev) + ev->len;
		}
	}
	if (!any)
		return false;
	for (struct store_watch_user *wu = watch->users; wu != NULL; wu = wu->next) {
		if (wu->changed) {
			wu->changed = false;
			changed(wu->ctx);
		}
	}
	return true;
}

void sq_watch_close(struct store_watch *base)
{
	struct sq_watch *watch = sq_watch(base);

	while (watch->users != NULL) {
		struct store_watch_user *wu = watch->users;

		watch->users = wu->next;
		free(wu);
	}
	close(watch->fd);
	free(watch->data_dir);
	free(watch);
}
