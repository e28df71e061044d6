/* The pool of libpq connections to one conninfo (pg-conn.h): made lazily
 * up to its size, handed to one thread at a time, waited for with a bound.
 * A broken connection is reset when it is next acquired, never fatal;
 * nothing here aborts or blocks without a bound (connect_timeout). */
#include "store/pg/pg-conn.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/pg/pg-lease.h"

/* Seconds libpq may take to connect when the conninfo does not say (its
 * own default waits forever): a server that does not answer makes the
 * operation fail instead of hanging a worker. */
#define PG_CONNECT_TIMEOUT_S "10"
/* Over TCP (ignored on a unix socket): a server that vanished without a
 * word (power cut, partition) is noticed while a statement waits, instead
 * of after the kernel's two hours: keepalives after 30 s idle, every 10 s,
 * 3 missed; 60 s for unacknowledged data. The conninfo may say otherwise. */
#define PG_KEEPALIVES_IDLE_S "30"
#define PG_KEEPALIVES_INTERVAL_S "10"
#define PG_KEEPALIVES_COUNT "3"
#define PG_TCP_USER_TIMEOUT_MS "60000"

struct pg_pool {
	char *conninfo;
	unsigned int size;
	unsigned int acquire_ms;
	pthread_mutex_t lock;
	pthread_cond_t returned;   /* signalled when a lease or a slot comes back */
	struct pg_lease *idle;     /* a stack: the most recently used first */
	unsigned int count;        /* connections made or being made */
};

/* Server notices (e.g. "relation ... already exists, skipping") go to the
 * log at debug level, not to stderr, where libpq prints them by default. */
static void pg_notice(void *arg, const char *message)
{
	size_t len = strlen(message);

	(void)arg;
	if (len > 0 && message[len - 1] == '\n')
		len--;
	log_debug("pg: %.*s", (int)len, message);
}

/* libpq's error message without its trailing newline, into err. */
static void pg_conn_error(PGconn *conn, char *err, size_t err_size)
{
	const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
	size_t len = strcspn(msg, "\n");

	snprintf(err, err_size, "cannot connect to PostgreSQL: %.*s", (int)len, msg);
}

PGconn *pg_connect(const char *conninfo, char *err, size_t err_size)
{
	/* Processed in order, later keys overriding: our defaults first, then
	 * whatever conninfo says, then what petrel needs (UTF-8 text). */
	static const char *const keys[] = {
		"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "application_name", "dbname", "client_encoding", NULL,
	};
	const char *values[] = {
		PG_CONNECT_TIMEOUT_S, PG_KEEPALIVES_IDLE_S, PG_KEEPALIVES_INTERVAL_S,
		PG_KEEPALIVES_COUNT, PG_TCP_USER_TIMEOUT_MS, "petrel", conninfo, "UTF8", NULL,
	};
	PGconn *conn = PQconnectdbParams(keys, values, 1);

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		pg_conn_error(conn, err, err_size);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, pg_notice, NULL);
	return conn;
}

enum store_result pg_pool_open(const char *conninfo, unsigned int size,
			       unsigned int acquire_ms, struct pg_pool **pool_r, char *err,
			       size_t err_size)
{
	struct pg_pool *pool;
	pthread_condattr_t attr;
	PGconn *conn;

	*pool_r = NULL;
	if (size == 0 || size > PG_POOL_SIZE_MAX) {
		snprintf(err, err_size, "store connections must be 1..%d", PG_POOL_SIZE_MAX);
		return STORE_INVALID;
	}
	conn = pg_connect(conninfo, err, err_size);
	if (conn == NULL)
		return STORE_ERROR;
	pool = xcalloc(1, sizeof(*pool));
	pool->conninfo = xstrdup(conninfo);
	pool->size = size;
	pool->acquire_ms = acquire_ms;
	pthread_mutex_init(&pool->lock, NULL);
	/* The wait's deadline is on the monotonic clock: a clock step must
	 * not stretch or cut it. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->returned, &attr);
	pthread_condattr_destroy(&attr);
	pool->idle = xcalloc(1, sizeof(*pool->idle));
	pool->idle->conn = conn;
	pool->count = 1;
	*pool_r = pool;
	return STORE_OK;
}

void pg_pool_close(struct pg_pool **poolp)
{
	struct pg_pool *pool = *poolp;

	if (pool == NULL)
		return;
	*poolp = NULL;
	while (pool->idle != NULL) {
		struct pg_lease *lease = pool->idle;

		pool->idle = lease->next_idle;
		PQfinish(lease->conn);
		free(lease);
	}
	pthread_cond_destroy(&pool->returned);
	pthread_mutex_destroy(&pool->lock);
	free(pool->conninfo);
	free(pool);
}

/* The slot of a connection that is gone, given back. */
static void pg_pool_drop(struct pg_pool *pool, struct pg_lease *lease)
{
	if (lease != NULL) {
		PQfinish(lease->conn);
		free(lease);
	}
	pthread_mutex_lock(&pool->lock);
	pool->count--;
	pthread_cond_signal(&pool->returned);
	pthread_mutex_unlock(&pool->lock);
}

/* A lease's connection usable again, or false (then it is dropped). */
static bool pg_lease_check(struct pg_pool *pool, struct pg_lease *lease)
{
	if (!lease->broken && PQstatus(lease->conn) == CONNECTION_OK)
		return true;
	PQreset(lease->conn);
	if (PQstatus(lease->conn) != CONNECTION_OK) {
		char err[256];

		pg_conn_error(lease->conn, err, sizeof(err));
		log_error("pg: reconnecting: %s", err);
		pg_pool_drop(pool, lease);
		return false;
	}
	log_info("pg: connection reset");
	lease->broken = false;
	return true;
}

enum store_result pg_pool_acquire(struct pg_pool *pool, struct pg_lease **lease_r)
{
	struct pg_lease *lease = NULL;
	struct timespec deadline;
	bool make = false;

	*lease_r = NULL;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += pool->acquire_ms / 1000;
	deadline.tv_nsec += (long)(pool->acquire_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		if (pool->idle != NULL) {
			lease = pool->idle;
			pool->idle = lease->next_idle;
			lease->next_idle = NULL;
			break;
		}
		if (pool->count < pool->size) {
			pool->count++;    /* the slot is ours while we connect */
			make = true;
			break;
		}
		if (pthread_cond_timedwait(&pool->returned, &pool->lock, &deadline) ==
		    ETIMEDOUT && pool->idle == NULL && pool->count >= pool->size) {
			pthread_mutex_unlock(&pool->lock);
			log_warn("pg: no free connection in %u ms (pool of %u)", pool->acquire_ms,
				 pool->size);
			return STORE_BUSY;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	if (make) {
		char err[256];
		PGconn *conn = pg_connect(pool->conninfo, err, sizeof(err));

		if (conn == NULL) {
			log_error("pg: %s", err);
			pg_pool_drop(pool, NULL);
			return STORE_ERROR;
		}
		lease = xcalloc(1, sizeof(*lease));
		lease->conn = conn;
	} else if (!pg_lease_check(pool, lease)) {
		return STORE_ERROR;
	}
	*lease_r = lease;
	return STORE_OK;
}

void pg_pool_release(struct pg_pool *pool, struct pg_lease **leasep)
{
	struct pg_lease *lease = *leasep;

	if (lease == NULL)
		return;
	*leasep = NULL;
	/* A holder that left a transaction open (a failure path) must not
	 * hand the next holder its locks or its aborted state. */
	if (!lease->broken && PQtransactionStatus(lease->conn) != PQTRANS_IDLE)
		pg_txn_rollback(lease);
	pthread_mutex_lock(&pool->lock);
	lease->next_idle = pool->idle;
	pool->idle = lease;
	pthread_cond_signal(&pool->returned);
	pthread_mutex_unlock(&pool->lock);
}

unsigned int pg_pool_connections(struct pg_pool *pool)
{
	unsigned int count;

	pthread_mutex_lock(&pool->lock);
	count = pool->count;
	pthread_mutex_unlock(&pool->lock);
	return count;
}

int pg_lease_backend_pid(const struct pg_lease *lease)
{
	return PQbackendPID(lease->conn);
}
