/* The PostgreSQL backend's connections: a bounded pool of libpq connections
 * to one conninfo, and the helpers every pg-*.c runs its SQL through
 * (parameterized statements only, SQLSTATE mapped to enum store_result,
 * transactions). A lost connection is reset, never fatal: the operation
 * that saw it fails with STORE_ERROR and the next one reconnects.
 *
 * This header does not include libpq-fe.h (struct pg_result is libpq's
 * PGresult, declared opaquely), so tests can drive the pool; only the
 * .c files of src/store/pg/ include libpq. */
#ifndef PETREL_STORE_PG_CONN_H
#define PETREL_STORE_PG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The default size of a node's pool (issue 15: config `store_connections`,
 * small). Each connection is a PostgreSQL backend process (~10 MB of the
 * server's memory); 8 keeps a node's workers (cores) busy while many
 * nodes stay under the server's max_connections of 100. */
#define PG_POOL_SIZE_DEFAULT 8
#define PG_POOL_SIZE_MAX 256       /* a bound on the table, far above any use */
/* How long pg_pool_acquire() waits for a free connection before
 * STORE_BUSY: longer than any one transaction should take, short enough
 * that a session answers NO instead of hanging behind a stuck pool. */
#define PG_POOL_ACQUIRE_MS_DEFAULT 5000

struct pg_pool;
struct pg_lease;                  /* one connection, held by one thread */
struct pg_result;                 /* libpq's PGresult */

/* Makes a pool of up to size connections to conninfo (a libpq connection
 * string or URI) and connects one now, so that a wrong conninfo or an
 * unreachable server is reported here, in err. acquire_ms bounds
 * pg_pool_acquire()'s wait. */
enum store_result pg_pool_open(const char *conninfo, unsigned int size,
			       unsigned int acquire_ms, struct pg_pool **pool_r, char *err,
			       size_t err_size);
/* Closes every connection; no lease may be outstanding. */
void pg_pool_close(struct pg_pool **pool);

/* A connection for the caller alone until pg_pool_release(): an idle one,
 * else a new one while the pool has fewer than its size, else waits up to
 * the pool's acquire_ms for one to come back (STORE_BUSY after that). A
 * connection found broken is reset first; STORE_ERROR when that fails
 * (the server is down). */
enum store_result pg_pool_acquire(struct pg_pool *pool, struct pg_lease **lease_r);
/* Gives the connection back (rolled back first if the holder left a
 * transaction open), *lease set to NULL. */
void pg_pool_release(struct pg_pool *pool, struct pg_lease **lease);
/* Connections made and not closed; for tests and diagnostics. */
unsigned int pg_pool_connections(struct pg_pool *pool);

/* The server process of the lease's connection (pg_terminate_backend()). */
int pg_lease_backend_pid(const struct pg_lease *lease);

/* ---- running statements (pg-exec.c) ---- */

/* One parameter: a NUL-terminated text value, or len bytes sent in
 * binary (bytea; integers as big-endian). value NULL is SQL NULL. */
struct pg_param {
	const void *value;
	size_t len;
	bool binary;
};

#define PG_TEXT(s) ((struct pg_param){ .value = (s) })
#define PG_BYTES(p, n) ((struct pg_param){ .value = (p), .len = (n), .binary = true })

enum pg_exec_flags {
	/* unique_violation (23505) is STORE_EXISTS, not an error to log. */
	PG_EXEC_EXISTS = 1 << 0,
	/* The result columns in binary (bytea as bytes, int8 big-endian);
	 * read them with pg_result_bytes() and pg_result_int64(). */
	PG_EXEC_BINARY = 1 << 1,
	/* undefined_table (42P01) is STORE_NOT_FOUND, not an error to log:
	 * a probe for a table that may not exist yet (pg-schema.c). */
	PG_EXEC_NO_TABLE = 1 << 2,
};

/* Runs sql ($1..$n bound to params, never spliced into the text). On
 * STORE_OK *res_r (if not NULL) holds the result, freed with
 * pg_result_free(). Failures: a lost connection is STORE_ERROR (the
 * connection is reset on its next acquire); serialization_failure
 * (40001) and deadlock_detected (40P01) are retried once when the
 * statement ran on its own (no transaction open), else, or when the retry
 * fails too, STORE_BUSY (the caller rolls back and may run the
 * transaction again); disk_full (53100) is STORE_NO_SPACE; anything else
 * STORE_ERROR with the server's message logged under what. */
enum store_result pg_exec(struct pg_lease *lease, const char *what, const char *sql,
			  const struct pg_param *params, unsigned int count, unsigned int flags,
			  struct pg_result **res_r);
/* Rows a command changed (UPDATE/DELETE/INSERT), from its result. */
uint64_t pg_exec_changed(const struct pg_result *res);

/* Transactions: BEGIN (READ COMMITTED, the default isolation), COMMIT,
 * ROLLBACK. A failed COMMIT is mapped as pg_exec() maps errors (a
 * serialization failure at commit: STORE_BUSY). Rollback cannot fail in
 * a way that matters: a connection that cannot roll back is marked for
 * reset. */
enum store_result pg_txn_begin(struct pg_lease *lease);
enum store_result pg_txn_commit(struct pg_lease *lease);
void pg_txn_rollback(struct pg_lease *lease);

/* ---- reading results ---- */
unsigned int pg_result_rows(const struct pg_result *res);
bool pg_result_null(const struct pg_result *res, unsigned int row, unsigned int col);
/* A text column's value ("" for NULL); valid until pg_result_free(). */
const char *pg_result_text(const struct pg_result *res, unsigned int row, unsigned int col);
/* A binary-format column (PG_EXEC_BINARY): its bytes and length. */
const unsigned char *pg_result_bytes(const struct pg_result *res, unsigned int row,
				     unsigned int col, size_t *len_r);
/* A binary-format int8/int4/int2 column; false when NULL or of another size. */
bool pg_result_int64(const struct pg_result *res, unsigned int row, unsigned int col,
		     int64_t *value_r);
void pg_result_free(struct pg_result **res);

/* The store result a SQLSTATE stands for (see pg_exec()); exists_ok maps
 * unique_violation to STORE_EXISTS. For tests and pg-exec.c. */
enum store_result pg_sqlstate_result(const char *sqlstate, bool exists_ok);

#endif
