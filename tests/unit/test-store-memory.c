/* What one open SQLite store costs in memory (issue 13, "Memory per user"):
 * a store opened and used as a SELECT, a sync and a STATUS use it holds at
 * most STORE_OPEN_BYTES_MAX of SQLite's memory (page cache, schema,
 * prepared statements), and gives all of it back at close. Prints the
 * breakdown (sqlite3_db_status) as it goes. */
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/sqlite/sqlite-private.h"
#include "unit.h"

#define MESSAGES 100
/* One store's SQLite memory after a SELECT, a sync and a STATUS of a
 * 100-message INBOX. It was 405 KiB with every statement prepared
 * at open, SQLite's default lookaside (117 KiB) and its bulk page-cache
 * allocation; what is left is the pages read, the two schemas (store.db
 * and search.db) and the few statements used: 114 KB in 4 KiB pages, 163
 * KB in the 8 KiB pages new stores have had since (SQ_PAGE_BYTES says why). */
#define STORE_OPEN_BYTES_MAX (192 * 1024)

static char data_dir[] = "/tmp/petrel-test-store-memory-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void fill(void)
{
	char err[256], body[512];
	struct store *st = NULL;

	if (store_open(env, "alice", STORE_OPEN_CREATE, &st, err, sizeof(err)) != STORE_OK) {
		printf("store_open: %s\n", err);
		return;
	}
	for (int i = 0; i < MESSAGES; i++) {
		struct store_blob *b = NULL;
		uint32_t uidv, uid;
		int n = snprintf(body, sizeof(body), "From: a@example.org\r\nSubject: message %d\r\n"
				 "\r\nbody of message %d, with a few words to index.\r\n", i, i);

		if (store_blob_begin(st, (uint64_t)n, &b) != STORE_OK ||
		    store_blob_write(b, body, (size_t)n) != STORE_OK ||
		    store_blob_finish(b) != STORE_OK) {
			printf("blob %d failed\n", i);
			store_blob_free(&b);
			break;
		}
		struct store_append a = { .blob = b, .internaldate = 1700000000 };
		enum store_result r = store_messages_append(st, "INBOX", &a, 1, &uidv, &uid);

		store_blob_free(&b);
		if (r != STORE_OK) {
			printf("append %d: %s\n", i, store_result_name(r));
			break;
		}
	}
	store_close(&st);
}

static int64_t db_stat(sqlite3 *db, int op)
{
	int cur = 0, hi = 0;

	sqlite3_db_status(db, op, &cur, &hi, 0);
	return cur;
}

static void test_open_cost(void)
{
	char err[256];
	struct store *st = NULL;
	struct store_snapshot snap;
	struct store_changes changes;
	struct store_mailbox_status status;
	int64_t before = sqlite3_memory_used();

	CHECK(store_open(env, "alice", 0, &st, err, sizeof(err)) == STORE_OK);
	if (st == NULL)
		return;
	CHECK(store_mailbox_snapshot(st, "INBOX", false, &snap) == STORE_OK);
	CHECK_INT(snap.count, MESSAGES);
	CHECK(store_mailbox_changes(st, "INBOX", snap.uidvalidity, snap.highestmodseq,
				    &changes) == STORE_OK);
	CHECK(store_mailbox_status(st, "Sent", &status) == STORE_OK);
	store_changes_free(&changes);
	store_snapshot_free(&snap);

	int64_t used = sqlite3_memory_used() - before;
	int prepared = 0;

	for (sqlite3_stmt *s = sqlite3_next_stmt(sq_store(st)->db, NULL); s != NULL;
	     s = sqlite3_next_stmt(sq_store(st)->db, s))
		prepared++;
	printf("# one open store: %lld bytes of SQLite memory: page cache %lld, schema %lld,"
	       " statements %lld (%d prepared)\n", (long long)used,
	       (long long)db_stat(sq_store(st)->db, SQLITE_DBSTATUS_CACHE_USED),
	       (long long)db_stat(sq_store(st)->db, SQLITE_DBSTATUS_SCHEMA_USED),
	       (long long)db_stat(sq_store(st)->db, SQLITE_DBSTATUS_STMT_USED), prepared);
	CHECK(used <= STORE_OPEN_BYTES_MAX);
	store_close(&st);
	/* All of it back: nothing stays cached for a closed store. */
	CHECK_INT(sqlite3_memory_used() - before, 0);
}

/* What a close costs the next command: the open it then needs. Printed,
 * not checked (it depends on the machine). */
static void print_reopen_cost(void)
{
	enum { ROUNDS = 50 };
	struct timespec t0, t1;
	char err[256];
	bool ok = true;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < ROUNDS && ok; i++) {
		struct store *st = NULL;
		struct store_mailbox_status status;

		ok = store_open(env, "alice", 0, &st, err, sizeof(err)) == STORE_OK &&
			store_mailbox_status(st, "INBOX", &status) == STORE_OK;
		store_close(&st);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ok);
	printf("# open + STATUS + close: %.2f ms\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
	       ROUNDS);
}

int main(void)
{
	if (mkdtemp(data_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (store_env_open(NULL, data_dir, &env, NULL, 0) != STORE_OK) {
		printf("FAIL store_env_open\n");
		return 1;
	}
	fill();
	test_open_cost();
	print_reopen_cost();
	store_env_free(&env);
	nftw(data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return unit_finish("store-memory");
}
