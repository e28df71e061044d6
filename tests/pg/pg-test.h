/* What the files of pg-base-test share (tests/pg/): checks print "ok NAME"
 * or "FAIL NAME: detail" and count failures. */
#ifndef PETREL_TESTS_PG_TEST_H
#define PETREL_TESTS_PG_TEST_H

#include <stdbool.h>

#include "store/store.h"

extern int pg_test_failures;

void check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *rs(enum store_result r);

/* pg-exec-checks.c: pg_exec()'s SQLSTATE mapping and retries, the
 * transaction helpers, a lease released inside a transaction. */
int pg_test_exec(const char *conninfo);

#endif
