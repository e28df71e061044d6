/* The PostgreSQL backend's base against a real server (run by
 * tests/pg/test_pg.py, which starts one): the schema, the user database,
 * the pool's bound, a killed connection, a server that goes away.
 *
 *   pg-base-test CONNINFO schema    ensure the schema; prints "applied N"
 *                                   or "refused: ERR" / "error: RESULT ERR"
 *   pg-base-test CONNINFO open      store_users_open(); "open: OK" or
 *                                   "open: RESULT ERR"
 *   pg-base-test CONNINFO secret    the user database's secret in hex
 *   pg-base-test CONNINFO users     the user database's operations
 *   pg-base-test DIR users-sqlite   the same checks on SQLite in DIR
 *   pg-base-test CONNINFO exec      statements, SQLSTATEs, transactions
 *   pg-base-test CONNINFO pool      the pool's bound and waits
 *   pg-base-test CONNINFO kill      connections terminated by the server
 *   pg-base-test CONNINFO watch     a change on one node wakes another
 *   pg-base-test CONNINFO outage    talks with the test over stdin/stdout
 *                                   while it stops and restarts the server
 *   pg-base-test CONNINFO store     a user's store (pg-store-checks.c)
 *   pg-base-test CONNINFO snapshot  a selected mailbox's reads (the same)
 *   pg-base-test CONNINFO flags     STORE and EXPUNGE (the same)
 *   pg-base-test CONNINFO quota     quota limits without messages (the same)
 *   pg-base-test DIR quota-sqlite   the same checks on SQLite in DIR
 *   pg-base-test CONNINFO store-open USER   open (CREATE), print the list
 *   pg-base-test CONNINFO store-mkbox USER  open, create mailbox "Made"
 *
 * The checks print "ok NAME" or "FAIL NAME: detail"; the exit status is 1
 * when one failed. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/pg/pg-private.h"
#include "store/pg/pg-schema.h"
#include "store/store-users.h"
#include "pg-test.h"

/* Bounds of the waits the checks measure: generous for a loaded 2-core
 * machine running ASan, tight enough to tell a bounded wait from none. */
#define POOL_WAIT_MS 300            /* the pool test's acquire bound */
#define POOL_WAIT_SLACK_MS 1500     /* how late STORE_BUSY may come */
#define POOL_HANDOVER_MS 200        /* a waiter gets a lease released after this */
#define BACKEND_GONE_TRIES 100      /* x 50 ms: the killed backend exits */

int pg_test_failures;

void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
		return;
	}
	pg_test_failures++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

const char *rs(enum store_result r)
{
	return store_result_name(r);
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/* ---- schema, open, secret ---- */

static int cmd_schema(const char *conninfo)
{
	struct pg_pool *pool;
	struct pg_lease *lease;
	unsigned int applied;
	char err[256] = "";
	enum store_result r;

	r = pg_pool_open(conninfo, 1, PG_POOL_ACQUIRE_MS_DEFAULT, &pool, err, sizeof(err));
	if (r != STORE_OK) {
		printf("error: %s %s\n", rs(r), err);
		return 1;
	}
	r = pg_pool_acquire(pool, &lease);
	if (r == STORE_OK) {
		r = pg_schema_ensure(lease, &applied, err, sizeof(err));
		pg_pool_release(pool, &lease);
	}
	pg_pool_close(&pool);
	if (r == STORE_OK)
		printf("applied %u\n", applied);
	else if (r == STORE_INVALID)
		printf("refused: %s\n", err);
	else
		printf("error: %s %s\n", rs(r), err);
	return r == STORE_OK ? 0 : 1;
}

static int cmd_open(const char *conninfo, bool print_secret)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store_users *users;
	char err[256] = "";
	enum store_result r;

	r = store_users_open(env, &users, err, sizeof(err));
	if (r != STORE_OK) {
		printf("open: %s %s\n", rs(r), err);
	} else if (print_secret) {
		const unsigned char *s = store_users_secret(users);

		for (int i = 0; i < STORE_USERS_SECRET_LEN; i++)
			printf("%02x", s[i]);
		printf("\n");
	} else {
		printf("open: OK\n");
	}
	store_users_close(&users);
	store_env_free(&env);
	return r == STORE_OK ? 0 : 1;
}

/* ---- the pool ---- */

struct waiter {
	struct pg_pool *pool;
	enum store_result result;
	long waited_ms;
};

static void *wait_for_lease(void *arg)
{
	struct waiter *w = arg;
	struct pg_lease *lease;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	w->result = pg_pool_acquire(w->pool, &lease);
	w->waited_ms = elapsed_ms(&start);
	if (w->result == STORE_OK)
		pg_pool_release(w->pool, &lease);
	return NULL;
}

static int cmd_pool(const char *conninfo)
{
	struct pg_pool *pool, *slow;
	struct pg_lease *a, *b, *c;
	struct timespec start;
	struct waiter w;
	pthread_t thread;
	char err[256] = "";
	enum store_result r;
	long ms;

	r = pg_pool_open(conninfo, 0, POOL_WAIT_MS, &pool, err, sizeof(err));
	check(r == STORE_INVALID, "a pool of 0 is refused", "%s %s", rs(r), err);
	r = pg_pool_open("host=/nonexistent/petrel dbname=x", 2, POOL_WAIT_MS, &pool, err,
			 sizeof(err));
	check(r == STORE_ERROR && strncmp(err, "cannot connect to PostgreSQL: ", 30) == 0,
	      "an unreachable server is reported at open", "%s %s", rs(r), err);
	r = pg_pool_open(conninfo, 2, POOL_WAIT_MS, &pool, err, sizeof(err));
	check(r == STORE_OK, "open a pool of 2", "%s %s", rs(r), err);
	if (r != STORE_OK)
		return 1;
	check(pg_pool_acquire(pool, &a) == STORE_OK && pg_pool_acquire(pool, &b) == STORE_OK,
	      "acquire 2", "failed");
	check(pg_pool_connections(pool) == 2, "2 connections", "%u",
	      pg_pool_connections(pool));
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = pg_pool_acquire(pool, &c);
	ms = elapsed_ms(&start);
	check(r == STORE_BUSY && c == NULL, "the third acquire is BUSY", "%s", rs(r));
	check(ms >= POOL_WAIT_MS && ms < POOL_WAIT_MS + POOL_WAIT_SLACK_MS,
	      "after the bound", "%ld ms (bound %d)", ms, POOL_WAIT_MS);
	pg_pool_release(pool, &a);
	check(a == NULL, "release clears the pointer", "%p", (void *)a);
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = pg_pool_acquire(pool, &c);
	ms = elapsed_ms(&start);
	check(r == STORE_OK && ms < POOL_WAIT_MS, "a released one is handed out at once",
	      "%s %ld ms", rs(r), ms);
	check(pg_pool_connections(pool) == 2, "still 2 connections", "%u",
	      pg_pool_connections(pool));
	pg_pool_release(pool, &c);
	pg_pool_release(pool, &b);
	pg_pool_close(&pool);

	/* A waiter gets the lease released while it waits. */
	r = pg_pool_open(conninfo, 1, 10000, &slow, err, sizeof(err));
	check(r == STORE_OK, "open a pool of 1", "%s %s", rs(r), err);
	if (r != STORE_OK)
		return 1;
	pg_pool_acquire(slow, &a);
	w = (struct waiter){ .pool = slow, .result = STORE_ERROR };
	pthread_create(&thread, NULL, wait_for_lease, &w);
	usleep(POOL_HANDOVER_MS * 1000);
	pg_pool_release(slow, &a);
	pthread_join(thread, NULL);
	check(w.result == STORE_OK && w.waited_ms >= POOL_HANDOVER_MS - 20 &&
	      w.waited_ms < POOL_HANDOVER_MS + POOL_WAIT_SLACK_MS,
	      "a waiter gets the connection released meanwhile", "%s after %ld ms",
	      rs(w.result), w.waited_ms);
	pg_pool_close(&slow);
	return pg_test_failures > 0;
}

/* ---- killed connections ---- */

static bool backend_gone(struct pg_lease *admin, int pid)
{
	char text[16];
	const struct pg_param param = PG_TEXT(text);

	snprintf(text, sizeof(text), "%d", pid);
	for (int i = 0; i < BACKEND_GONE_TRIES; i++) {
		struct pg_result *res;
		bool gone;

		if (pg_exec(admin, "test", "SELECT 1 FROM pg_stat_activity WHERE pid = $1::integer",
			    &param, 1, 0, &res) != STORE_OK)
			return false;
		gone = pg_result_rows(res) == 0;
		pg_result_free(&res);
		if (gone)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static bool terminate(struct pg_lease *admin, int pid)
{
	char text[16];
	const struct pg_param param = PG_TEXT(text);

	snprintf(text, sizeof(text), "%d", pid);
	return pg_exec(admin, "test", "SELECT pg_terminate_backend($1::integer)", &param, 1, 0,
		       NULL) == STORE_OK && backend_gone(admin, pid);
}

static int cmd_kill(const char *conninfo)
{
	struct pg_pool *pool, *admin_pool;
	struct pg_lease *lease, *admin;
	struct store_env *env;
	struct store_users *users;
	struct store_user_record rec;
	char err[256] = "";
	enum store_result r;
	int pid1, pid2;

	if (pg_pool_open(conninfo, 1, PG_POOL_ACQUIRE_MS_DEFAULT, &pool, err, sizeof(err)) !=
	    STORE_OK ||
	    pg_pool_open(conninfo, 1, PG_POOL_ACQUIRE_MS_DEFAULT, &admin_pool, err,
			 sizeof(err)) != STORE_OK ||
	    pg_pool_acquire(admin_pool, &admin) != STORE_OK) {
		printf("FAIL setup: %s\n", err);
		return 1;
	}
	pg_pool_acquire(pool, &lease);
	pid1 = pg_lease_backend_pid(lease);
	pg_pool_release(pool, &lease);
	check(terminate(admin, pid1), "terminate the pool's backend", "pid %d", pid1);
	pg_pool_acquire(pool, &lease);
	r = pg_exec(lease, "test", "SELECT 1", NULL, 0, 0, NULL);
	check(r == STORE_ERROR, "the statement on the killed connection is ERROR", "%s",
	      rs(r));
	r = pg_exec(lease, "test", "SELECT 1", NULL, 0, 0, NULL);
	check(r == STORE_ERROR, "and every one after it on that lease", "%s", rs(r));
	pg_pool_release(pool, &lease);
	r = pg_pool_acquire(pool, &lease);
	check(r == STORE_OK, "the next acquire resets it", "%s", rs(r));
	if (r == STORE_OK) {
		pid2 = pg_lease_backend_pid(lease);
		r = pg_exec(lease, "test", "SELECT 1", NULL, 0, 0, NULL);
		check(r == STORE_OK && pid2 != pid1, "and the next statement succeeds",
		      "%s pid %d -> %d", rs(r), pid1, pid2);
		pg_pool_release(pool, &lease);
	}
	check(pg_pool_connections(pool) == 1, "still one connection", "%u",
	      pg_pool_connections(pool));
	pg_pool_close(&pool);

	/* The same through the user database, on the env's pool. */
	env = pg_env_new(conninfo);
	r = store_users_open(env, &users, err, sizeof(err));
	check(r == STORE_OK, "open the user database", "%s %s", rs(r), err);
	if (r == STORE_OK) {
		struct pg_result *res;
		bool all = true;

		pg_test_record(&rec, "$y$j9T$k$k", 5, 16, 4096);
		r = store_users_write(users, "killed", &rec, true);
		check(r == STORE_OK, "add a user", "%s", rs(r));

		r = pg_exec(admin, "test", "SELECT pid FROM pg_stat_activity WHERE"
			    " application_name = 'petrel' AND pid <> pg_backend_pid()", NULL, 0, 0,
			    &res);
		for (unsigned int i = 0; r == STORE_OK && i < pg_result_rows(res); i++)
			all = terminate(admin, atoi(pg_result_text(res, i, 0))) && all;
		check(r == STORE_OK && all && pg_result_rows(res) >= 1,
		      "terminate the env pool's backends", "%s", rs(r));
		if (r == STORE_OK)
			pg_result_free(&res);
		r = store_users_get(users, "killed", &rec);
		check(r == STORE_ERROR, "a lookup on the killed connection is ERROR", "%s",
		      rs(r));
		r = store_users_get(users, "killed", &rec);
		check(r == STORE_OK && strcmp(rec.hash, "$y$j9T$k$k") == 0,
		      "the next lookup reconnects", "%s", rs(r));
		store_users_close(&users);
	}
	store_env_free(&env);
	pg_pool_release(admin_pool, &admin);
	pg_pool_close(&admin_pool);
	return pg_test_failures > 0;
}

/* ---- the server goes away and comes back ---- */

/* Waits for the test's next line on stdin (it stopped or started the
 * server); false at EOF. */
static bool wait_line(void)
{
	char line[64];

	fflush(stdout);
	return fgets(line, sizeof(line), stdin) != NULL;
}

static int cmd_outage(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store_users *users;
	struct store_user_record rec;
	enum store_result r1, r2, r3;
	char err[256] = "";

	if (store_users_open(env, &users, err, sizeof(err)) != STORE_OK) {
		printf("open failed: %s\n", err);
			store_env_free(&env);
		return 1;
	}
	pg_test_record(&rec, "$y$j9T$o$o", 1, 16, 4096);
	r1 = store_users_write(users, "outage", &rec, true);
	printf("before: %s\n", rs(r1));
	if (wait_line()) {
		r1 = store_users_get(users, "outage", &rec);
		r2 = store_users_get(users, "outage", &rec);
		r3 = store_users_store_created(env, "outage", &(bool){ false });
		printf("stopped: %s %s %s\n", rs(r1), rs(r2), rs(r3));
		if (wait_line()) {
			r1 = store_users_get(users, "outage", &rec);
			printf("restarted: %s %s\n", rs(r1), rec.hash);
		}
	}
	fflush(stdout);
	store_users_close(&users);
	store_env_free(&env);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[2], "store-open") == 0)
		return pg_test_store_open(argv[1], argv[3]);
	if (argc == 4 && strcmp(argv[2], "store-mkbox") == 0)
		return pg_test_store_mkbox(argv[1], argv[3]);
	if (argc != 3) {
		fprintf(stderr, "usage: pg-base-test CONNINFO {schema|open|secret|users|"
			"users-sqlite|exec|pool|kill|watch|outage|store|snapshot|flags|quota|"
			"quota-sqlite|store-open USER|store-mkbox USER}\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_level(LOG_WARN);
	if (strcmp(argv[2], "schema") == 0)
		return cmd_schema(argv[1]);
	if (strcmp(argv[2], "open") == 0)
		return cmd_open(argv[1], false);
	if (strcmp(argv[2], "secret") == 0)
		return cmd_open(argv[1], true);
	if (strcmp(argv[2], "users") == 0)
		return pg_test_users(argv[1]);
	if (strcmp(argv[2], "users-sqlite") == 0)
		return pg_test_users_sqlite(argv[1]);
	if (strcmp(argv[2], "exec") == 0)
		return pg_test_exec(argv[1]);
	if (strcmp(argv[2], "pool") == 0)
		return cmd_pool(argv[1]);
	if (strcmp(argv[2], "kill") == 0)
		return cmd_kill(argv[1]);
	if (strcmp(argv[2], "watch") == 0)
		return pg_test_watch(argv[1]);
	if (strcmp(argv[2], "outage") == 0)
		return cmd_outage(argv[1]);
	if (strcmp(argv[2], "store") == 0)
		return pg_test_store(argv[1]);
	if (strcmp(argv[2], "snapshot") == 0)
		return pg_test_snapshot(argv[1]);
	if (strcmp(argv[2], "flags") == 0)
		return pg_test_flags(argv[1]);
	if (strcmp(argv[2], "quota") == 0)
		return pg_test_quota(argv[1]);
	if (strcmp(argv[2], "bodies") == 0)
		return pg_test_bodies(argv[1]);
	if (strcmp(argv[2], "quota-sqlite") == 0)
		return pg_test_quota_sqlite(argv[1]);
	fprintf(stderr, "pg-base-test: unknown command %s\n", argv[2]);
	return 2;
}
