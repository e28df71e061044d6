/* The watch across nodes (pg-watch.c): a change notified through one env
 * (another node) wakes the watch of another and names exactly the users
 * watched under that name, each entry once; a user not watched wakes
 * nobody; a lost LISTEN connection reports every watched user, and again
 * once it is back, after which notifications flow again. Waits are
 * bounded (poll with a timeout), never timed as a figure. */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "pg-test.h"
#include "store/pg/pg-conn.h"
#include "store/pg/pg-private.h"

/* How long a notification or a reconnect may take to show on a loaded
 * machine running ASan: generous; the retry itself is 1 s. */
#define WATCH_WAIT_MS 10000

struct seen {
	char text[256];
	size_t len;
};

/* The changed() callback appends its ctx's tag to the seen buffer the
 * ctx points into: ctx is a struct tag. */
struct tag {
	const char *name;
	struct seen *seen;
};

static void tag_changed(void *ctx)
{
	struct tag *t = ctx;
	struct seen *s = t->seen;

	if (s->len < sizeof(s->text))
		s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s;",
					   t->name);
}

/* Polls the watch's descriptor up to WATCH_WAIT_MS and drains once
 * readable; the tags seen, in the buffer. */
static bool wait_drain(struct store_watch *watch, struct seen *seen)
{
	struct pollfd p = { .fd = store_watch_fd(watch), .events = POLLIN };

	seen->len = 0;
	seen->text[0] = '\0';
	if (poll(&p, 1, WATCH_WAIT_MS) != 1)
		return false;
	return store_watch_drain(watch, tag_changed);
}

/* Sorted tags make the comparison independent of the drain's order. */
static void sort_tags(struct seen *seen)
{
	char *parts[16];
	unsigned int n = 0;
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", seen->text);
	for (char *save = NULL, *p = strtok_r(copy, ";", &save); p != NULL && n < 16;
	     p = strtok_r(NULL, ";", &save))
		parts[n++] = p;
	for (unsigned int i = 1; i < n; i++) {
		for (unsigned int j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
			char *t = parts[j];

			parts[j] = parts[j - 1];
			parts[j - 1] = t;
		}
	}
	seen->len = 0;
	seen->text[0] = '\0';
	for (unsigned int i = 0; i < n; i++)
		seen->len += (size_t)snprintf(seen->text + seen->len, sizeof(seen->text) - seen->len,
					      "%s;", parts[i]);
}

/* Drains until the descriptor stays quiet for 200 ms: what a check saw
 * before must not leak into the next. */
static void drain_quiet(struct store_watch *watch)
{
	struct pollfd p = { .fd = store_watch_fd(watch), .events = POLLIN };
	struct seen ignored;

	for (int i = 0; i < 50 && poll(&p, 1, 200) == 1; i++)
		(void)wait_drain(watch, &ignored);
}

/* Drains until one drain names every watched user (alice-1 and bob),
 * at most a few wakes. */
static bool wait_all(struct store_watch *watch, struct seen *seen)
{
	for (int i = 0; i < 4; i++) {
		if (!wait_drain(watch, seen))
			continue;
		sort_tags(seen);
		if (strcmp(seen->text, "alice-1;bob;") == 0)
			return true;
	}
	return false;
}

static void kill_listener(const struct store_env *env)
{
	struct pg_pool *pool;
	struct pg_lease *lease;
	char err[256];

	if (pg_env_pool(env, &pool, err, sizeof(err)) != STORE_OK ||
	    pg_pool_acquire(pool, &lease) != STORE_OK) {
		check(false, "watch: a lease to kill the listener", "%s", err);
		return;
	}
	enum store_result r = pg_exec(lease, "kill", "SELECT pg_terminate_backend(pid) FROM"
				      " pg_stat_activity WHERE query = 'LISTEN petrel_change'",
				      NULL, 0, 0, NULL);

	check(r == STORE_OK, "watch: the listener is terminated", "%s", rs(r));
	pg_pool_release(pool, &lease);
}

int pg_test_watch(const char *conninfo)
{
	struct store_env *node_a = pg_env_new(conninfo), *node_b = pg_env_new(conninfo);
	struct store_watch *watch = NULL;
	struct store_watch_user *a1 = NULL, *a2 = NULL, *b = NULL;
	struct seen seen = { .len = 0 };
	struct tag ta1 = { "alice-1", &seen }, ta2 = { "alice-2", &seen }, tb = { "bob", &seen };
	enum store_result r;

	r = store_watch_open(node_a, &watch);
	check(r == STORE_OK, "watch: open", "%s", rs(r));
	if (watch == NULL)
		goto out;
	check(store_watch_add(watch, "alice", &ta1, &a1) == STORE_OK, "watch: add alice", "-");
	check(store_watch_add(watch, "alice", &ta2, &a2) == STORE_OK, "watch: add alice again",
	      "-");
	check(store_watch_add(watch, "bob", &tb, &b) == STORE_OK, "watch: add bob", "-");

	/* Another node's change of alice's store: both of alice's entries,
	 * once each, and not bob. */
	store_notify_changed(node_b, "alice");
	check(wait_drain(watch, &seen), "watch: a change on node B wakes node A", "nothing");
	sort_tags(&seen);
	check(strcmp(seen.text, "alice-1;alice-2;") == 0, "watch: alice's entries, once each",
	      "%s", seen.text);
	check(!store_watch_drain(watch, tag_changed), "watch: nothing more to drain", "-");

	/* Twice before a drain: still once each. A user nobody watches. */
	store_notify_changed(node_b, "bob");
	store_notify_changed(node_b, "bob");
	store_notify_changed(node_b, "carol");
	check(wait_drain(watch, &seen), "watch: bob's change wakes", "nothing");
	drain_quiet(watch);   /* the second notification may come in its own read */
	check(strstr(seen.text, "carol") == NULL && strstr(seen.text, "alice") == NULL,
	      "watch: only bob", "%s", seen.text);

	/* A removed entry is not named. */
	store_watch_remove(watch, &a2);
	check(a2 == NULL, "watch: remove clears the caller's handle", "-");
	store_notify_changed(node_b, "alice");
	check(wait_drain(watch, &seen), "watch: alice again", "nothing");
	check(strcmp(seen.text, "alice-1;") == 0, "watch: the removed entry is gone", "%s",
	      seen.text);

	/* The listener killed: everyone is reported, then again when the
	 * connection is back; then notifications flow as before. */
	drain_quiet(watch);
	kill_listener(node_b);
	/* The server's last word and its close may wake two drains: the
	 * first may name nobody. */
	check(wait_all(watch, &seen), "watch: a loss reports every user", "%s", seen.text);
	check(wait_all(watch, &seen), "watch: reconnected, every user is reported again", "%s",
	      seen.text);
	store_notify_changed(node_b, "bob");
	check(wait_drain(watch, &seen) && strcmp(seen.text, "bob;") == 0,
	      "watch: notifications flow after the reconnect", "%s", seen.text);

	/* A change made through a store on node B: its commit notifies. */
	struct store *st = NULL;
	char err[256] = "";

	r = store_open(node_b, "alice", STORE_OPEN_CREATE, &st, err, sizeof(err));
	check(r == STORE_OK, "watch: open alice's store on node B", "%s %s", rs(r), err);
	if (st != NULL) {
		drain_quiet(watch);
		r = store_mailbox_create(st, "Watched", 0);
		check(r == STORE_OK, "watch: create a mailbox", "%s", rs(r));
		drain_quiet(watch);
		r = store_mailbox_delete(st, "Watched");
		check(r == STORE_OK, "watch: delete it", "%s", rs(r));
		check(wait_drain(watch, &seen) && strcmp(seen.text, "alice-1;") == 0,
		      "watch: a committed change on node B wakes node A", "%s", seen.text);
		store_close(&st);
	}

	/* Two users in one window: one payload of two names, or two; both. */
	drain_quiet(watch);
	store_notify_changed(node_b, "alice");
	store_notify_changed(node_b, "bob");
	struct seen both = { .len = 0 };

	for (int i = 0; i < 4 && (strstr(both.text, "alice") == NULL ||
				  strstr(both.text, "bob") == NULL); i++) {
		if (wait_drain(watch, &seen) && both.len < sizeof(both.text) - seen.len)
			both.len += (size_t)snprintf(both.text + both.len,
						     sizeof(both.text) - both.len, "%s", seen.text);
	}
	sort_tags(&both);
	check(strcmp(both.text, "alice-1;bob;") == 0, "watch: two names in one window", "%s",
	      both.text);

	/* A name with characters SQL would care about is only a payload. */
	struct tag tq = { "quote", &seen };
	struct store_watch_user *q = NULL;

	check(store_watch_add(watch, "o'brien\"x", &tq, &q) == STORE_OK, "watch: add o'brien",
	      "-");
	store_notify_changed(node_b, "o'brien\"x");
	check(wait_drain(watch, &seen) && strcmp(seen.text, "quote;") == 0,
	      "watch: a quoted name round trips", "%s", seen.text);
	store_watch_remove(watch, &q);
	store_watch_remove(watch, &a1);
	store_watch_remove(watch, &b);
out:
	store_watch_close(&watch);
	store_env_free(&node_a);
	store_env_free(&node_b);
	return pg_test_failures > 0;
}
