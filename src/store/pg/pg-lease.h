/* One pooled connection as pg-conn.c (the pool) and pg-exec.c (the
 * statements) both see it. Private to those two files and pg-watch.c (its
 * connection of its own): everything else holds a struct pg_lease only
 * through pg-conn.h. */
#ifndef PETREL_STORE_PG_LEASE_H
#define PETREL_STORE_PG_LEASE_H

#include <stdbool.h>

#include <libpq-fe.h>

struct pg_lease {
	PGconn *conn;
	/* The connection was lost (or left in a state we cannot trust):
	 * every statement on it fails until pg_pool_acquire() resets it. */
	bool broken;
	struct pg_lease *next_idle;
};

/* A new connection with petrel's defaults (connect timeout, keepalives,
 * UTF-8) under conninfo's own settings; NULL with err set on failure. */
PGconn *pg_connect(const char *conninfo, char *err, size_t err_size);

#endif
