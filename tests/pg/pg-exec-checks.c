/* pg-base-test exec: pg_exec() against a real server. SQLSTATEs are
 * raised on purpose by PL/pgSQL functions, with sequences (which no
 * rollback undoes) counting how many times each ran, so the retry rule
 * (once, only outside a transaction) is checked exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg-conn.h"
#include "pg-test.h"

static const char *const setup[] = {
	"DROP TABLE IF EXISTS t_exec",
	"CREATE TABLE t_exec (k text PRIMARY KEY, n bigint, b bytea)",
	"DROP SEQUENCE IF EXISTS t_flaky",
	"DROP SEQUENCE IF EXISTS t_always",
	"CREATE SEQUENCE t_flaky",
	"CREATE SEQUENCE t_always",
	/* Fails with serialization_failure every other call. */
	"CREATE OR REPLACE FUNCTION t_flaky_fn() RETURNS int LANGUAGE plpgsql AS $$"
	" BEGIN IF nextval('t_flaky') % 2 = 1 THEN"
	" RAISE EXCEPTION 'flaky' USING ERRCODE = '40001'; END IF; RETURN 1; END $$",
	/* Always fails, with the SQLSTATE it is given. */
	"CREATE OR REPLACE FUNCTION t_always_fn(code text) RETURNS int LANGUAGE plpgsql AS $$"
	" BEGIN PERFORM nextval('t_always');"
	" RAISE EXCEPTION 'raised %', code USING ERRCODE = code; END $$",
	NULL,
};

/* The first column of sql's one row as a number (-1 on failure). */
static long long value_of(struct pg_lease *lease, const char *sql)
{
	struct pg_result *res;
	long long v = -1;

	if (pg_exec(lease, "test", sql, NULL, 0, 0, &res) != STORE_OK)
		return -1;
	if (pg_result_rows(res) == 1)
		v = atoll(pg_result_text(res, 0, 0));
	pg_result_free(&res);
	return v;
}

static void check_mapping(void)
{
	check(pg_sqlstate_result("23505", true) == STORE_EXISTS &&
	      pg_sqlstate_result("23505", false) == STORE_ERROR &&
	      pg_sqlstate_result("40001", false) == STORE_BUSY &&
	      pg_sqlstate_result("40P01", false) == STORE_BUSY &&
	      pg_sqlstate_result("53100", false) == STORE_NO_SPACE &&
	      pg_sqlstate_result("42P01", true) == STORE_ERROR &&
	      pg_sqlstate_result(NULL, true) == STORE_ERROR,
	      "SQLSTATE map", "differs");
}

static void check_params(struct pg_lease *lease)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0xff };
	const struct pg_param row[] = { PG_TEXT("a"), PG_TEXT("-5"), PG_BYTES(bytes, 3) };
	const struct pg_param key = PG_TEXT("a");
	struct pg_result *res;
	enum store_result r;
	int64_t n = 0;
	size_t len = 0;

	r = pg_exec(lease, "test", "INSERT INTO t_exec VALUES ($1, $2, $3)", row, 3, 0, &res);
	check(r == STORE_OK && pg_exec_changed(res) == 1, "insert with text and binary params",
	      "%s", rs(r));
	if (r == STORE_OK)
		pg_result_free(&res);
	r = pg_exec(lease, "test", "INSERT INTO t_exec VALUES ($1, $2, $3)", row, 3,
		    PG_EXEC_EXISTS, NULL);
	check(r == STORE_EXISTS, "a duplicate key is EXISTS where asked", "%s", rs(r));
	r = pg_exec(lease, "test", "INSERT INTO t_exec VALUES ($1, $2, $3)", row, 3, 0, NULL);
	check(r == STORE_ERROR, "and ERROR where not", "%s", rs(r));
	r = pg_exec(lease, "test", "SELECT n, b FROM t_exec WHERE k = $1", &key, 1,
		    PG_EXEC_BINARY, &res);
	if (r == STORE_OK) {
		const unsigned char *b = pg_result_bytes(res, 0, 1, &len);

		check(pg_result_rows(res) == 1 && pg_result_int64(res, 0, 0, &n) && n == -5 &&
		      len == 3 && memcmp(b, bytes, 3) == 0, "binary results read back",
		      "n=%lld len=%zu", (long long)n, len);
		pg_result_free(&res);
	} else {
		check(false, "binary results read back", "%s", rs(r));
	}
	r = pg_exec(lease, "test", "SELECT 1 FROM t_missing", NULL, 0, PG_EXEC_NO_TABLE, NULL);
	check(r == STORE_NOT_FOUND, "a missing table is NOT_FOUND where asked", "%s", rs(r));
	r = pg_exec(lease, "test", "SELECT 1 FROM t_missing", NULL, 0, 0, NULL);
	check(r == STORE_ERROR, "and ERROR where not", "%s", rs(r));
}

static void check_retries(struct pg_lease *lease)
{
	enum store_result r;

	r = pg_exec(lease, "test", "SELECT t_flaky_fn()", NULL, 0, 0, NULL);
	check(r == STORE_OK && value_of(lease, "SELECT last_value FROM t_flaky") == 2,
	      "a statement alone is retried once after a serialization failure", "%s %lld",
	      rs(r), value_of(lease, "SELECT last_value FROM t_flaky"));
	r = pg_exec(lease, "test", "SELECT t_always_fn('40P01')", NULL, 0, 0, NULL);
	check(r == STORE_BUSY && value_of(lease, "SELECT last_value FROM t_always") == 2,
	      "a deadlock twice is BUSY after exactly one retry", "%s %lld", rs(r),
	      value_of(lease, "SELECT last_value FROM t_always"));
	r = pg_exec(lease, "test", "SELECT t_always_fn('53100')", NULL, 0, 0, NULL);
	check(r == STORE_NO_SPACE, "disk_full is NO_SPACE", "%s", rs(r));
	r = pg_txn_begin(lease);
	if (r == STORE_OK)
		r = pg_exec(lease, "test", "SELECT t_always_fn('40001')", NULL, 0, 0, NULL);
	check(r == STORE_BUSY, "in a transaction a serialization failure is BUSY", "%s",
	      rs(r));
	r = pg_txn_commit(lease);
	check(r == STORE_ERROR, "commit of the failed transaction is ERROR", "%s", rs(r));
	check(value_of(lease, "SELECT last_value FROM t_always") == 4,
	      "and was not retried (and the connection works after)", "%lld",
	      value_of(lease, "SELECT last_value FROM t_always"));
}

static void check_transactions(struct pg_pool *pool, struct pg_lease **lease)
{
	const struct pg_param b = PG_TEXT("b"), c = PG_TEXT("c"), d = PG_TEXT("d");
	enum store_result r;

	r = pg_txn_begin(*lease);
	if (r == STORE_OK)
		r = pg_exec(*lease, "test", "INSERT INTO t_exec (k) VALUES ($1)", &b, 1, 0, NULL);
	if (r == STORE_OK)
		r = pg_txn_commit(*lease);
	check(r == STORE_OK && value_of(*lease, "SELECT count(*) FROM t_exec WHERE k = 'b'") == 1,
	      "a committed row is there", "%s", rs(r));
	r = pg_txn_begin(*lease);
	if (r == STORE_OK)
		r = pg_exec(*lease, "test", "INSERT INTO t_exec (k) VALUES ($1)", &c, 1, 0, NULL);
	pg_txn_rollback(*lease);
	check(r == STORE_OK && value_of(*lease, "SELECT count(*) FROM t_exec WHERE k = 'c'") == 0,
	      "a rolled back row is not", "%s", rs(r));
	r = pg_txn_begin(*lease);
	if (r == STORE_OK)
		r = pg_exec(*lease, "test", "INSERT INTO t_exec (k) VALUES ($1)", &d, 1, 0, NULL);
	pg_pool_release(pool, lease);
	/* The pool hands the same connection back (the most recent first):
	 * had its transaction stayed open, it would see its own row. */
	if (pg_pool_acquire(pool, lease) != STORE_OK) {
		check(false, "re-acquire", "failed");
		return;
	}
	check(r == STORE_OK && value_of(*lease, "SELECT count(*) FROM t_exec WHERE k = 'd'") == 0,
	      "a transaction left open at release is rolled back", "%s", rs(r));
}

int pg_test_exec(const char *conninfo)
{
	struct pg_pool *pool;
	struct pg_lease *lease;
	char err[256] = "";
	enum store_result r = STORE_OK;

	check_mapping();
	if (pg_pool_open(conninfo, 1, PG_POOL_ACQUIRE_MS_DEFAULT, &pool, err, sizeof(err)) !=
	    STORE_OK || pg_pool_acquire(pool, &lease) != STORE_OK) {
		check(false, "open a pool", "%s", err);
		return 1;
	}
	for (const char *const *sql = setup; r == STORE_OK && *sql != NULL; sql++)
		r = pg_exec(lease, "setup", *sql, NULL, 0, 0, NULL);
	check(r == STORE_OK, "setup", "%s", rs(r));
	if (r == STORE_OK) {
		check_params(lease);
		check_retries(lease);
		check_transactions(pool, &lease);
		pg_exec(lease, "cleanup", "DROP TABLE t_exec", NULL, 0, 0, NULL);
	}
	pg_pool_release(pool, &lease);
	pg_pool_close(&pool);
	return pg_test_failures > 0;
}
