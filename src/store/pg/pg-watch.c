/* The PostgreSQL backend's watch (store.h "watching for other processes'
 * changes"). With many nodes on one database every other node is "another
 * process": a writer says which users' stores changed with pg_notify() on
 * PG_WATCH_CHANNEL, after its commit, through the env's notifier
 * (pg-notify.c, which batches names per millisecond), and each node's
 * watch LISTENs on a connection of its own (LISTEN needs a session, so
 * this is the one connection that must bypass a pooler such as pgbouncer
 * in transaction mode).
 *
 * The descriptor the caller polls is an epoll instance holding that
 * connection's socket and a timer: the socket changes at each reconnect,
 * the epoll descriptor never does. A connection lost may have lost
 * notifications with it, so every watched user is reported changed when it
 * is lost and again once it is back (a session then re-reads its mailbox by
 * modseq, which is exact); while it is down the timer retries every
 * PG_WATCH_RETRY_MS. Nothing here blocks for long but a reconnect, which
 * libpq bounds by the connect timeout (pg-conn.c). */
#include "store/pg/pg-private.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/pg/pg-lease.h"
#include "store/pg/pg-notify.h"

/* How often a lost LISTEN connection is tried again. */
#define PG_WATCH_RETRY_MS 1000
/* Buckets of watched users by name: a node watches every user with a
 * session in IDLE, thousands; a notification finds its user in O(1). */
#define PG_WATCH_BUCKETS 1024
/* Reads of the socket per drain while it stays readable: a server's last
 * message before it closes comes apart from the close, and a flood of
 * notifications is left for the next drain (the descriptor stays
 * readable) rather than holding the watch thread. */
#define PG_WATCH_READS_MAX 8

struct store_watch_user {
	struct store_watch_user *next;           /* in its bucket */
	struct store_watch_user *next_changed;   /* within one drain */
	char *name;
	void *ctx;
	bool changed;
};

struct pg_watch {
	struct store_watch base;   /* first: store.c dispatches through it */
	char *conninfo;
	int epfd;
	int timerfd;
	PGconn *conn;              /* NULL while lost */
	int conn_fd;               /* its socket, as added to epfd */
	struct store_watch_user *buckets[PG_WATCH_BUCKETS];
};

static struct pg_watch *pg_watch(struct store_watch *watch)
{
	return (struct pg_watch *)watch;
}

/* FNV-1a: names are ours (passdb_valid_username()), not chosen to collide
 * by whoever sends the notification (only petrel nodes can). */
static unsigned int pg_watch_bucket(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h % PG_WATCH_BUCKETS;
}

static void pg_watch_arm(struct pg_watch *w)
{
	struct itimerspec t = {
		.it_value = { .tv_sec = PG_WATCH_RETRY_MS / 1000,
			      .tv_nsec = (PG_WATCH_RETRY_MS % 1000) * 1000000L },
	};

	if (timerfd_settime(w->timerfd, 0, &t, NULL) < 0)
		log_warn("store watch: timerfd_settime: %s", strerror(errno));
}

static void pg_watch_disconnect(struct pg_watch *w)
{
	if (w->conn == NULL)
		return;
	(void)epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->conn_fd, NULL);
	PQfinish(w->conn);
	w->conn = NULL;
	w->conn_fd = -1;
	pg_watch_arm(w);
}

/* Connects and LISTENs; on failure, logs and arms the retry timer. */
static bool pg_watch_connect(struct pg_watch *w)
{
	char err[256];
	PGconn *conn = pg_connect(w->conninfo, err, sizeof(err));
	PGresult *res;

	if (conn == NULL) {
		log_warn("store watch: %s: retrying every %d ms", err, PG_WATCH_RETRY_MS);
		pg_watch_arm(w);
		return false;
	}
	res = PQexec(conn, "LISTEN " PG_WATCH_CHANNEL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = PQsocket(conn);

	ev.data.fd = fd;
	if (!ok || fd < 0 || PQsetnonblocking(conn, 1) != 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("store watch: LISTEN failed: %s", PQerrorMessage(conn));
		PQfinish(conn);
		pg_watch_arm(w);
		return false;
	}
	w->conn = conn;
	w->conn_fd = fd;
	return true;
}

enum store_result pg_watch_open(const struct store_env *env, struct store_watch **watch_r)
{
	struct pg_watch *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	*watch_r = NULL;
	w->base.v = env->v;
	w->conninfo = xstrdup(env->location);
	w->conn_fd = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.data.fd = w->timerfd;
	if (w->epfd < 0 || w->timerfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->timerfd, &ev) < 0) {
		log_warn("store watch: epoll/timerfd: %s", strerror(errno));
		pg_watch_close(&w->base);
		return STORE_ERROR;
	}
	/* A database not reachable yet is no failure: the timer retries. */
	(void)pg_watch_connect(w);
	*watch_r = &w->base;
	return STORE_OK;
}

int pg_watch_fd(const struct store_watch *watch)
{
	return ((const struct pg_watch *)watch)->epfd;
}

enum store_result pg_watch_add(struct store_watch *watch, const char *user, void *ctx,
			       struct store_watch_user **wu_r)
{
	struct pg_watch *w = pg_watch(watch);
	struct store_watch_user *wu = xcalloc(1, sizeof(*wu));
	unsigned int b = pg_watch_bucket(user);

	wu->name = xstrdup(user);
	wu->ctx = ctx;
	wu->next = w->buckets[b];
	w->buckets[b] = wu;
	*wu_r = wu;
	return STORE_OK;
}

/* store.c has taken wu out of the caller's hands. */
void pg_watch_remove(struct store_watch *watch, struct store_watch_user *wu)
{
	struct pg_watch *w = pg_watch(watch);

	for (struct store_watch_user **pp = &w->buckets[pg_watch_bucket(wu->name)]; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == wu) {
			*pp = wu->next;
			break;
		}
	}
	free(wu->name);
	free(wu);
}

/* Every entry for name (a user added twice has two) onto *list, once. */
static void pg_watch_mark(struct pg_watch *w, const char *name,
			  struct store_watch_user **list)
{
	for (struct store_watch_user *wu = w->buckets[pg_watch_bucket(name)]; wu != NULL;
	     wu = wu->next) {
		if (!wu->changed && strcmp(wu->name, name) == 0) {
			wu->changed = true;
			wu->next_changed = *list;
			*list = wu;
		}
	}
}

static void pg_watch_mark_all(struct pg_watch *w, struct store_watch_user **list)
{
	for (unsigned int b = 0; b < PG_WATCH_BUCKETS; b++) {
		for (struct store_watch_user *wu = w->buckets[b]; wu != NULL; wu = wu->next) {
			if (!wu->changed) {
				wu->changed = true;
				wu->next_changed = *list;
				*list = wu;
			}
		}
	}
}

/* A payload: names, '\n' between them (pg-notify.h), or PG_WATCH_ALL. */
static void pg_watch_payload(struct pg_watch *w, char *payload, struct store_watch_user **list)
{
	if (strcmp(payload, PG_WATCH_ALL) == 0) {
		pg_watch_mark_all(w, list);
		return;
	}
	for (char *save = NULL, *name = strtok_r(payload, "\n", &save); name != NULL;
	     name = strtok_r(NULL, "\n", &save))
		pg_watch_mark(w, name, list);
}

bool pg_watch_drain(struct store_watch *watch, void (*changed)(void *ctx))
{
	struct pg_watch *w = pg_watch(watch);
	struct store_watch_user *list = NULL;
	uint64_t ticks = 0;
	bool any = false;

	if (read(w->timerfd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
		ticks = 0;   /* not due (EAGAIN) */
	if (w->conn == NULL) {
		if (ticks > 0 && pg_watch_connect(w)) {
			log_info("store watch: LISTEN connection back");
			pg_watch_mark_all(w, &list);
		}
	} else {
		for (int i = 0; i < PG_WATCH_READS_MAX; i++) {
			struct pollfd p = { .fd = w->conn_fd, .events = POLLIN };
			PGnotify *n;

			if (PQconsumeInput(w->conn) == 0 || PQstatus(w->conn) != CONNECTION_OK) {
				log_warn("store watch: LISTEN connection lost: %s",
					 PQerrorMessage(w->conn));
				pg_watch_disconnect(w);
				pg_watch_mark_all(w, &list);
				break;
			}
			/* All of them: what was read no longer wakes epoll. */
			while ((n = PQnotifies(w->conn)) != NULL) {
				if (n->extra != NULL)
					pg_watch_payload(w, n->extra, &list);
				PQfreemem(n);
			}
			if (poll(&p, 1, 0) != 1)
				break;
		}
	}
	while (list != NULL) {
		struct store_watch_user *wu = list;

		list = wu->next_changed;
		wu->changed = false;
		wu->next_changed = NULL;
		changed(wu->ctx);
		any = true;
	}
	return any;
}

void pg_watch_close(struct store_watch *watch)
{
	struct pg_watch *w = pg_watch(watch);

	if (w->conn != NULL)
		PQfinish(w->conn);
	for (unsigned int b = 0; b < PG_WATCH_BUCKETS; b++) {
		while (w->buckets[b] != NULL) {
			struct store_watch_user *wu = w->buckets[b];

			w->buckets[b] = wu->next;
			free(wu->name);
			free(wu);
		}
	}
	if (w->timerfd >= 0)
		close(w->timerfd);
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->conninfo);
	free(w);
}

void pg_notify_changed(const struct store_env *env, const char *user)
{
	pg_notifier_post(pg_env_notifier(env), user);
}
