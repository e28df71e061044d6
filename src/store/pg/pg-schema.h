/* The PostgreSQL backend's schema (pg-schema.c): created on first use and
 * upgraded in place by whichever node or command comes first, serialized
 * by one advisory lock; a node refuses a schema newer than it knows. */
#ifndef PETREL_STORE_PG_SCHEMA_H
#define PETREL_STORE_PG_SCHEMA_H

#include <stddef.h>

#include "store/pg/pg-conn.h"

/* The version this petrel writes and understands (schema_version.version). */
#define PG_SCHEMA_VERSION 1
/* The key of the transaction-level advisory lock every schema change runs
 * under (pg_advisory_xact_lock, a bigint): "petrel" in ASCII in the high
 * six bytes, 0x0001 in the low two: 0x7065747265_6c0001. It must never
 * change, and no other application of the database may use it. An
 * operator may take it by hand (pg_advisory_lock) to hold upgrades off. */
#define PG_SCHEMA_LOCK_KEY "8099007539572375553"

/* Stored body bytes per blob_chunks row (the last one shorter). Two of
 * body-codec.c's 128 KiB frames, uncompressed, so a partial FETCH reads
 * one or two rows; a 50 MB body is 200 rows; far under bytea's 1 GB. */
#define PG_BLOB_CHUNK (256 * 1024)

/* Brings the database's schema to PG_SCHEMA_VERSION: nothing when it is
 * there (one SELECT, no lock), else the missing steps in one transaction
 * under the advisory lock. *applied_r (may be NULL): the steps this call
 * applied (0 when another node had). A schema newer than this petrel's is
 * STORE_INVALID with err "store schema version N is newer than this
 * petrel (knows M)"; other failures STORE_ERROR (details logged, a line
 * in err). */
enum store_result pg_schema_ensure(struct pg_lease *lease, unsigned int *applied_r, char *err,
				   size_t err_size);

#endif
