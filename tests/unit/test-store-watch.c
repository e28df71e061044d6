/* The store's watch (store.h "watching for other processes' changes"), as
 * the SQLite backend implements it: store_notify_changed() by another
 * writer makes the watch's descriptor readable, and a drain names exactly
 * the watched users whose stores changed, once each; adding and removing
 * users wakes nobody. */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store/store.h"
#include "unit.h"

/* Long enough for an inotify event on a loaded machine; it comes at once. */
#define EVENT_WAIT_MS 2000
/* How long "nothing happened" is watched for. */
#define QUIET_WAIT_MS 100

static char data_dir[] = "/tmp/petrel-test-store-watch-XXXXXX";

/* What the drain reported: ctx pointers in call order. */
static void *calls[8];
static unsigned int ncalls;

static void on_changed(void *ctx)
{
	if (ncalls < sizeof(calls) / sizeof(calls[0]))
		calls[ncalls] = ctx;
	ncalls++;
}

static bool readable(const struct store_watch *w, int ms)
{
	struct pollfd p = { store_watch_fd(w), POLLIN, 0 };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN) != 0;
}

/* Waits for the descriptor (up to ms), then drains: the drain's result. */
static bool drain_after(struct store_watch *w, int ms)
{
	ncalls = 0;
	(void)readable(w, ms);
	return store_watch_drain(w, on_changed);
}

static void make_user_dir(const char *user)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/users", data_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/users/%s", data_dir, user);
	mkdir(path, 0700);
}

static void remove_user_dir(const char *user)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/users/%s", data_dir, user);
	unit_remove_dir(path);
}

int main(void)
{
	struct store_watch *w = NULL;
	struct store_watch_user *wa = NULL, *wb = NULL, *wa2 = NULL, *wx = NULL;
	struct store_env *env = NULL;
	char err[256];
	int a, b, a2, x;

	if (mkdtemp(data_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CHECK_INT(store_env_open(NULL, data_dir, &env, err, sizeof(err)), STORE_OK);
	if (env == NULL)
		return unit_finish("store-watch");
	CHECK_INT(store_watch_open(env, &w), STORE_OK);
	if (w == NULL) {
		store_env_free(&env);
		return unit_finish("store-watch");
	}
	CHECK(store_watch_fd(w) >= 0);
	CHECK(!drain_after(w, 0));
	CHECK_INT(ncalls, 0);

	/* A user without a store directory cannot be watched (yet); a name
	 * the store refuses neither. */
	CHECK_INT(store_watch_add(w, "alice", &a, &wa), STORE_NOT_FOUND);
	CHECK(wa == NULL);
	CHECK(store_watch_add(w, "../x", &x, &wx) != STORE_OK);
	CHECK(wx == NULL);

	make_user_dir("alice");
	make_user_dir("bob");
	CHECK_INT(store_watch_add(w, "alice", &a, &wa), STORE_OK);
	CHECK_INT(store_watch_add(w, "bob", &b, &wb), STORE_OK);
	/* Adding opens (creates) the file read-only: no event. */
	CHECK(!readable(w, QUIET_WAIT_MS));
	CHECK(!drain_after(w, 0));
	CHECK_INT(ncalls, 0);

	/* Another process's change to alice's store: alice only, once. */
	store_notify_changed(env, "alice");
	CHECK(readable(w, EVENT_WAIT_MS));
	CHECK(drain_after(w, 0));
	CHECK_INT(ncalls, 1);
	CHECK(calls[0] == &a);
	CHECK(!drain_after(w, 0));
	CHECK_INT(ncalls, 0);

	/* Three changes before a drain: each user named once. */
	store_notify_changed(env, "alice");
	store_notify_changed(env, "bob");
	store_notify_changed(env, "alice");
	CHECK(drain_after(w, EVENT_WAIT_MS));
	/* The events may come in two reads' worth; drain whatever is left. */
	unsigned int first = ncalls;
	bool saw_a = false, saw_b = false;
	for (unsigned int i = 0; i < first && i < 8; i++) {
		saw_a |= calls[i] == &a;
		saw_b |= calls[i] == &b;
	}
	CHECK_INT(first, 2);
	CHECK(saw_a && saw_b);

	/* The same user twice (two entries of one name): both named, and
	 * removing one keeps the other's notifications. */
	CHECK_INT(store_watch_add(w, "alice", &a2, &wa2), STORE_OK);
	store_notify_changed(env, "alice");
	CHECK(drain_after(w, EVENT_WAIT_MS));
	CHECK_INT(ncalls, 2);
	store_watch_remove(w, &wa);
	CHECK(wa == NULL);
	store_notify_changed(env, "alice");
	CHECK(drain_after(w, EVENT_WAIT_MS));
	CHECK_INT(ncalls, 1);
	CHECK(calls[0] == &a2);

	/* Removed: alice's changes are no news any more (inotify's own
	 * IN_IGNORED for the removed watch names nobody). */
	store_watch_remove(w, &wa2);
	store_notify_changed(env, "alice");
	CHECK(!drain_after(w, QUIET_WAIT_MS));
	CHECK_INT(ncalls, 0);

	/* Bob's store directory goes: the unlink of his file is a change
	 * (IN_ATTRIB: its link count), his watch is then dropped by inotify,
	 * and a later remove is harmless. */
	remove_user_dir("bob");
	CHECK(drain_after(w, EVENT_WAIT_MS));
	CHECK_INT(ncalls, 1);
	CHECK(calls[0] == &b);
	CHECK(!drain_after(w, QUIET_WAIT_MS));
	store_watch_remove(w, &wb);
	CHECK(wb == NULL);

	store_watch_close(&w);
	CHECK(w == NULL);
	store_watch_close(&w);   /* twice is harmless */
	store_env_free(&env);
	remove_user_dir("alice");
	char users[4096];
	snprintf(users, sizeof(users), "%s/users", data_dir);
	rmdir(users);
	rmdir(data_dir);
	return unit_finish("store-watch");
}
