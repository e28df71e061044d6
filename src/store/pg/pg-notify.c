/* The sending side of the watch across nodes (pg-watch.c is the receiving
 * one). A NOTIFY inside a writing transaction takes PostgreSQL's one
 * cluster-wide notify lock until that commit is flushed: measured, 8
 * writers then get a third of their commits (docs/ARCHITECTURE.md,
 * "PostgreSQL backend: measured design decisions"). So a writing
 * transaction only posts its user here after it committed, and one
 * thread per env sends what was posted in the last PG_NOTIFY_WINDOW_US as
 * one pg_notify() per payload of names ('\n' between them), on a
 * connection of its own with synchronous_commit off (a notification needs
 * no flush of its own: a lost one costs a session its wake-up, never
 * data, since sessions re-read their mailboxes by modseq).
 *
 * Bounded: at most PG_NOTIFY_PENDING_MAX names wait; past that the batch
 * says "*", every user changed. A failure drops the connection and the
 * batch (logged); the next batch connects again. */
#include "store/pg/pg-notify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/pg/pg-lease.h"

/* How long a first post waits for others to join its batch. */
#define PG_NOTIFY_WINDOW_US 1000
/* Names waiting at once: a node's writers in one window, with room. */
#define PG_NOTIFY_PENDING_MAX 4096
/* PostgreSQL refuses a payload of 8,000 bytes or more. */
#define PG_NOTIFY_PAYLOAD_MAX 7999

struct pg_notifier {
	char *conninfo;
	pthread_mutex_t lock;
	pthread_cond_t posted;
	pthread_t thread;
	bool started, stop;
	char **pending;            /* PG_NOTIFY_PENDING_MAX slots */
	unsigned int count;
	bool overflow;             /* names were dropped: send "*" */
	PGconn *conn;              /* the thread's; NULL until needed */
};

struct pg_notifier *pg_notifier_new(const char *conninfo)
{
	struct pg_notifier *n = xcalloc(1, sizeof(*n));

	n->conninfo = xstrdup(conninfo);
	n->pending = xcalloc(PG_NOTIFY_PENDING_MAX, sizeof(*n->pending));
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->posted, NULL);
	return n;
}

static bool pg_notifier_connect(struct pg_notifier *n)
{
	char err[256];
	PGresult *res;

	if (n->conn != NULL)
		return true;
	n->conn = pg_connect(n->conninfo, err, sizeof(err));
	if (n->conn == NULL) {
		log_warn("store notify: %s: other nodes learn of changes at their sessions' "
			 "next command", err);
		return false;
	}
	res = PQexec(n->conn, "SET synchronous_commit = off");
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	if (!ok) {
		log_warn("store notify: %s", PQerrorMessage(n->conn));
		PQfinish(n->conn);
		n->conn = NULL;
	}
	return ok;
}

static bool pg_notifier_send(struct pg_notifier *n, const char *payload)
{
	const char *values[] = { PG_WATCH_CHANNEL, payload };
	PGresult *res = PQexecParams(n->conn, "SELECT pg_notify($1, $2)", 2, NULL, values, NULL,
				     NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	if (!ok) {
		log_warn("store notify: %s: dropping this batch", PQerrorMessage(n->conn));
		PQfinish(n->conn);
		n->conn = NULL;
	}
	return ok;
}

/* names[0..count) as payloads of at most PG_NOTIFY_PAYLOAD_MAX bytes. */
static void pg_notifier_flush(struct pg_notifier *n, char **names, unsigned int count,
			      bool overflow)
{
	char payload[PG_NOTIFY_PAYLOAD_MAX + 1];
	size_t len = 0;
	bool ok = pg_notifier_connect(n);

	if (ok && overflow)
		ok = pg_notifier_send(n, PG_WATCH_ALL);
	for (unsigned int i = 0; ok && !overflow && i < count; i++) {
		size_t nl = strlen(names[i]);

		if (len > 0 && len + 1 + nl > PG_NOTIFY_PAYLOAD_MAX) {
			ok = pg_notifier_send(n, payload);
			len = 0;
		}
		if (len > 0)
			payload[len++] = '\n';
		memcpy(payload + len, names[i], nl);   /* a user name: far shorter */
		len += nl;
		payload[len] = '\0';
	}
	if (ok && !overflow && len > 0)
		(void)pg_notifier_send(n, payload);
	for (unsigned int i = 0; i < count; i++)
		free(names[i]);
}

static void *pg_notifier_main(void *arg)
{
	struct pg_notifier *n = arg;
	char **batch = xcalloc(PG_NOTIFY_PENDING_MAX, sizeof(*batch));

	(void)pthread_setname_np(pthread_self(), "petrel-notify");
	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (!n->stop && n->count == 0 && !n->overflow)
			pthread_cond_wait(&n->posted, &n->lock);
		if (n->count == 0 && !n->overflow)
			break;   /* stopping, nothing left */
		if (!n->stop) {
			struct timespec window = { 0, PG_NOTIFY_WINDOW_US * 1000L };

			pthread_mutex_unlock(&n->lock);
			nanosleep(&window, NULL);   /* let the window's others join */
			pthread_mutex_lock(&n->lock);
		}
		unsigned int count = n->count;
		bool overflow = n->overflow;

		memcpy(batch, n->pending, count * sizeof(*batch));
		n->count = 0;
		n->overflow = false;
		pthread_mutex_unlock(&n->lock);
		pg_notifier_flush(n, batch, count, overflow);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	free(batch);
	return NULL;
}

void pg_notifier_post(struct pg_notifier *n, const char *user)
{
	pthread_mutex_lock(&n->lock);
	if (!n->started && !n->stop) {
		n->started = pthread_create(&n->thread, NULL, pg_notifier_main, n) == 0;
		if (!n->started)
			log_warn("store notify: cannot start its thread: other nodes learn of "
				 "changes at their sessions' next command");
	}
	bool known = false;

	for (unsigned int i = 0; i < n->count && !known; i++)
		known = strcmp(n->pending[i], user) == 0;
	if (!known && n->started && !n->stop) {
		if (n->count < PG_NOTIFY_PENDING_MAX)
			n->pending[n->count++] = xstrdup(user);
		else
			n->overflow = true;
		pthread_cond_signal(&n->posted);
	}
	pthread_mutex_unlock(&n->lock);
}

void pg_notifier_free(struct pg_notifier **np)
{
	struct pg_notifier *n = *np;

	if (n == NULL)
		return;
	*np = NULL;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_signal(&n->posted);
	bool started = n->started;

	pthread_mutex_unlock(&n->lock);
	if (started)
		pthread_join(n->thread, NULL);   /* it sends what was posted first */
	for (unsigned int i = 0; i < n->count; i++)
		free(n->pending[i]);
	if (n->conn != NULL)
		PQfinish(n->conn);
	pthread_cond_destroy(&n->posted);
	pthread_mutex_destroy(&n->lock);
	free(n->pending);
	free(n->conninfo);
	free(n);
}
