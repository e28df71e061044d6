/* What the files of pg-base-test share (tests/pg/): checks print "ok NAME"
 * or "FAIL NAME: detail" and count failures. */
#ifndef PETREL_TESTS_PG_TEST_H
#define PETREL_TESTS_PG_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store-users.h"

extern int pg_test_failures;

void check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *rs(enum store_result r);

/* pg-exec-checks.c: pg_exec()'s SQLSTATE mapping and retries, the
 * transaction helpers, a lease released inside a transaction. */
int pg_test_exec(const char *conninfo);
/* pg-users-checks.c: every operation of the user database. */
int pg_test_users(const char *conninfo);
/* The same checks on the SQLite backend in data_dir (the reference). */
int pg_test_users_sqlite(const char *data_dir);
/* pg-store-checks.c: a user's store (pg-store.c); store-open and
 * store-mkbox print one line for the test's races and locks. */
int pg_test_store(const char *conninfo);
int pg_test_store_open(const char *conninfo, const char *user);
int pg_test_store_mkbox(const char *conninfo, const char *user);
/* Snapshot, \Recent claims, changes and messages_get (pg-snapshot.c). */
int pg_test_snapshot(const char *conninfo);
/* STORE and EXPUNGE (pg-flags.c) on the same rows. */
int pg_test_flags(const char *conninfo);
/* pg-body-checks.c: big bodies in chunks, read by range, kept for open
 * readers after EXPUNGE, swept later; abandoned blobs leave no row. */
int pg_test_bodies(const char *conninfo);
/* Quota limits and mailbox counts; the same on SQLite in data_dir. */
int pg_test_quota(const char *conninfo);
int pg_test_quota_sqlite(const char *data_dir);
/* pg-watch-checks.c: one node's change wakes another node's watch. */
int pg_test_watch(const char *conninfo);
/* A record whose every byte follows from seed (no SCRAM keys when
 * salt_len is 0). */
void pg_test_record(struct store_user_record *rec, const char *hash, unsigned char seed,
		    size_t salt_len, uint64_t iter);

#endif
