/* What keeps a store from losing mail silently (issue 12): a store is
 * created only with STORE_OPEN_CREATE, and a missing, empty or foreign
 * store.db is never re-initialized; a store failing its integrity check, or
 * on which SQLite reports SQLITE_CORRUPT, turns read-only (reads go on);
 * orphan body files are reported by store_check() and removed by the
 * maintenance at open, never one an APPEND may still commit; each body's
 * SHA-256 is kept and verified. */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"
#include "unit.h"

static char data_dir[] = "/tmp/petrel-test-store-safety-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void path_of(char *out, size_t size, const char *user, const char *file)
{
	snprintf(out, size, "%s/users/%s/%s", data_dir, user, file);
}

static bool exists(const char *user, const char *file)
{
	char p[4200];

	path_of(p, sizeof(p), user, file);
	return access(p, F_OK) == 0;
}

static int64_t db_int(const char *user, const char *sql)
{
	char p[4200];
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	path_of(p, sizeof(p), user, "store.db");
	if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	} else {
		printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return v;
}

static void db_exec(const char *user, const char *sql)
{
	char p[4200];
	sqlite3 *db;

	path_of(p, sizeof(p), user, "store.db");
	if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static struct store *open_as(const char *user, unsigned int flags, enum store_result want)
{
	struct store *st = NULL;
	char err[512] = "";
	enum store_result r = store_open(env, user, flags, &st, err, sizeof(err));

	CHECK_INT(r, want);
	if (r != want)
		printf("  store_open(%s): %s: %s\n", user, store_result_name(r), err);
	return st;
}

static struct store_blob *blob_of(struct store *st, const void *body, size_t len)
{
	struct store_blob *b = NULL;

	if (store_blob_begin(st, len, &b) != STORE_OK ||
	    store_blob_write(b, body, len) != STORE_OK || store_blob_finish(b) != STORE_OK)
		printf("  blob failed\n");
	return b;
}

static enum store_result append_blob(struct store *st, struct store_blob **b)
{
	struct store_append a = { .blob = *b, .internaldate = 1700000000 };
	uint32_t uidv, uid;
	enum store_result r = store_messages_append(st, "INBOX", &a, 1, &uidv, &uid);

	store_blob_free(b);
	return r;
}

static enum store_result append_text(struct store *st, const char *body)
{
	struct store_blob *b = blob_of(st, body, strlen(body));

	return append_blob(st, &b);
}

/* A body over the inline limit (a file in blobs/). */
#define BIG_SIZE (100 * 1024)
static char big[BIG_SIZE];

struct problems {
	unsigned int count;
	char lines[8][256];
};

static void report_cb(const char *problem, void *ctx)
{
	struct problems *p = ctx;

	if (p->count < 8)
		snprintf(p->lines[p->count], sizeof(p->lines[0]), "%s", problem);
	p->count++;
}

static bool has_line(const struct problems *p, const char *line)
{
	for (unsigned int i = 0; i < p->count && i < 8; i++) {
		if (strcmp(p->lines[i], line) == 0)
			return true;
	}
	return false;
}

/* Files in blobs/ whose names start with prefix. */
static int count_prefix(const char *user, const char *prefix)
{
	char p[4200];
	DIR *d;
	struct dirent *e;
	int n = 0;

	path_of(p, sizeof(p), user, "blobs");
	d = opendir(p);
	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' && strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

static void make_file(const char *user, const char *file, const void *data, size_t len,
		      time_t mtime)
{
	char p[4200];
	FILE *f;

	path_of(p, sizeof(p), user, file);
	f = fopen(p, "wb");
	if (f != NULL) {
		if (len > 0)
			fwrite(data, 1, len, f);
		fclose(f);
	}
	if (mtime != 0) {
		struct timespec t[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

		utimensat(AT_FDCWD, p, t, 0);
	}
}

static bool file_is(const char *user, const char *file, const void *data, size_t len)
{
	char p[4200], buf[8192];
	FILE *f;
	size_t n;

	path_of(p, sizeof(p), user, file);
	f = fopen(p, "rb");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n == len && memcmp(buf, data, len) == 0;
}

/* ---- 1. a store is created only for a user who never had one ---- */

static void test_create_only_when_told(void)
{
	struct store *st;
	char p[4200];

	/* Without STORE_OPEN_CREATE nothing is made, not even directories. */
	st = open_as("ann", 0, STORE_MISSING);
	CHECK(st == NULL);
	snprintf(p, sizeof(p), "%s/users/ann", data_dir);
	CHECK(access(p, F_OK) != 0);

	st = open_as("ann", STORE_OPEN_CREATE, STORE_OK);
	CHECK_INT(append_text(st, "Subject: one\r\n\r\nkeep me\r\n"), STORE_OK);
	store_close(&st);
	int64_t uidvalidity = db_int("ann", "SELECT uidvalidity FROM mailboxes WHERE name = 'INBOX'");

	st = open_as("ann", 0, STORE_OK);
	store_close(&st);

	/* Removed: refused, and still absent. */
	path_of(p, sizeof(p), "ann", "store.db");
	char kept[4300];
	snprintf(kept, sizeof(kept), "%s.kept", p);
	CHECK_INT(rename(p, kept), 0);
	st = open_as("ann", 0, STORE_MISSING);
	CHECK(st == NULL);
	CHECK(!exists("ann", "store.db"));

	/* Emptied to 0 bytes: refused, and left at 0 bytes. */
	make_file("ann", "store.db", NULL, 0, 0);
	st = open_as("ann", 0, STORE_MISSING);
	struct stat sb;
	CHECK(stat(p, &sb) == 0 && sb.st_size == 0);

	/* An SQLite file with no schema (a crash before the first commit):
	 * a store for a user who never had one, no store otherwise. */
	sqlite3 *db;
	CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(stat(p, &sb) == 0 && sb.st_size > 0);
	st = open_as("ann", 0, STORE_MISSING);
	CHECK_INT(db_int("ann", "SELECT count(*) FROM sqlite_master"), 0);

	/* Tables but no schema version: not ours, never overwritten. */
	db_exec("ann", "CREATE TABLE precious (x); INSERT INTO precious VALUES (42)");
	st = open_as("ann", STORE_OPEN_CREATE, STORE_CORRUPT);
	CHECK_INT(db_int("ann", "SELECT x FROM precious"), 42);
	CHECK_INT(db_int("ann", "SELECT count(*) FROM sqlite_master"), 1);

	/* Not an SQLite database: never re-initialized, even when told. */
	static const char junk[] = "this is not an SQLite database, it is somebody's mail";
	char wal[4300];
	snprintf(wal, sizeof(wal), "%s-wal", p);
	unlink(wal);
	make_file("ann", "store.db", junk, sizeof(junk) - 1, 0);
	st = open_as("ann", STORE_OPEN_CREATE, STORE_CORRUPT);
	CHECK(file_is("ann", "store.db", junk, sizeof(junk) - 1));
	unlink(p);
	snprintf(wal, sizeof(wal), "%s/users/ann/damaged", data_dir);
	unlink(wal);

	/* Put back: the same store, same UIDVALIDITY. */
	CHECK_INT(rename(kept, p), 0);
	st = open_as("ann", 0, STORE_OK);
	CHECK(st != NULL && !store_read_only(st));
	struct store_mailbox_status status;
	CHECK_INT(store_mailbox_status(st, "INBOX", &status), STORE_OK);
	CHECK_INT(status.messages, 1);
	CHECK_INT(status.uidvalidity, uidvalidity);
	store_close(&st);

	/* 0 bytes for a user who never had a store: a new one. */
	snprintf(p, sizeof(p), "%s/users", data_dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/users/newbie", data_dir);
	mkdir(p, 0700);
	make_file("newbie", "store.db", NULL, 0, 0);
	st = open_as("newbie", STORE_OPEN_CREATE, STORE_OK);
	CHECK(st != NULL);
	store_close(&st);
	CHECK_INT(db_int("newbie", "SELECT count(*) FROM mailboxes"), 6);
}

/* ---- 2. a damaged store turns read-only ---- */

static uint32_t page_size_of(const char *user)
{
	return (uint32_t)db_int(user, "PRAGMA page_size");
}

/* Overwrites one page of store.db (closed, checkpointed) with garbage. */
static void smash_page(const char *user, int64_t page)
{
	char p[4200], junk[65536];
	uint32_t size = page_size_of(user);
	int fd;

	path_of(p, sizeof(p), user, "store.db");
	memset(junk, 0xA5, sizeof(junk));
	fd = open(p, O_WRONLY);
	CHECK(fd >= 0 && size > 0 && size <= sizeof(junk));
	if (fd >= 0 && pwrite(fd, junk, size, (off_t)(page - 1) * size) != (ssize_t)size)
		printf("  pwrite failed\n");
	if (fd >= 0)
		close(fd);
}

static bool read_cb(const struct store_message_info *info, void *ctx)
{
	(*(unsigned int *)ctx)++;
	(void)info;
	return true;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	while (in != NULL && out != NULL && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
}

static void test_damaged_read_only(void)
{
	struct store *st = open_as("dan", STORE_OPEN_CREATE, STORE_OK);
	struct store_blob *b = NULL;
	char p[4200], kept[4300];

	if (st == NULL)
		return;
	for (int i = 0; i < 200; i++) {
		char body[128];

		snprintf(body, sizeof(body), "Subject: m%d\r\n\r\nbody %d\r\n", i, i);
		CHECK_INT(append_text(st, body), STORE_OK);
	}
	store_close(&st);
	path_of(p, sizeof(p), "dan", "store.db");
	snprintf(kept, sizeof(kept), "%s.kept", p);
	copy_file(p, kept);
	/* The modseq index (CONDSTORE's): reads by UID never touch it. */
	smash_page("dan", db_int("dan", "SELECT rootpage FROM sqlite_master"
				 " WHERE name = 'messages_modseq'"));

	/* The check is not due (it ran at creation): the store opens
	 * writable, until SQLite meets the damage. */
	st = open_as("dan", 0, STORE_OK);
	if (st == NULL)
		return;
	CHECK(!store_read_only(st));
	struct store_changes ch;
	struct store_snapshot snap;
	CHECK_INT(store_mailbox_snapshot(st, "INBOX", false, &snap), STORE_OK);
	uint32_t uidvalidity = snap.uidvalidity;
	store_snapshot_free(&snap);
	CHECK_INT(store_mailbox_changes(st, "INBOX", uidvalidity, 1, &ch), STORE_CORRUPT);
	CHECK(store_read_only(st));
	CHECK(exists("dan", "damaged"));
	CHECK_INT(store_mailbox_create(st, "After", 0), STORE_READ_ONLY);
	store_close(&st);

	/* Marked: every open runs integrity_check, and it still fails. */
	st = open_as("dan", 0, STORE_OK);
	if (st == NULL)
		return;
	CHECK(store_read_only(st));
	CHECK_INT(store_blob_begin(st, 10, &b), STORE_READ_ONLY);
	CHECK_INT(store_mailbox_create(st, "New", 0), STORE_READ_ONLY);
	static const uint32_t uids[] = { 1, 2, 3 };
	struct store_flag_change seen = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN };
	uint32_t *modified = NULL, modified_count = 0;
	CHECK_INT(store_messages_set_flags(st, "INBOX", uidvalidity, uids, 3, &seen, &modified,
					   &modified_count), STORE_READ_ONLY);
	free(modified);
	/* Reads go on: SELECT (claiming no \Recent), FETCH, bodies. */
	CHECK_INT(store_mailbox_snapshot(st, "INBOX", true, &snap), STORE_OK);
	CHECK_INT(snap.count, 200);
	store_snapshot_free(&snap);
	unsigned int seen_count = 0;
	CHECK_INT(store_messages_read(st, "INBOX", uidvalidity, uids, 3, STORE_READ_SUMMARY,
				      read_cb, &seen_count), STORE_OK);
	CHECK_INT(seen_count, 3);
	struct store_body *body = NULL;
	char buf[16];
	CHECK_INT(store_body_open(st, "INBOX", uidvalidity, 2, &body), STORE_OK);
	CHECK_INT(store_body_read(body, 0, buf, 12), STORE_OK);
	CHECK(memcmp(buf, "Subject: m1\r", 12) == 0);
	store_body_close(&body);
	store_close(&st);

	/* Repaired (here: the copy from before): writable again, unmarked. */
	CHECK_INT(rename(kept, p), 0);
	st = open_as("dan", 0, STORE_OK);
	if (st == NULL)
		return;
	CHECK(!store_read_only(st));
	CHECK(!exists("dan", "damaged"));
	CHECK_INT(append_text(st, "Subject: yes\r\n\r\nwelcome back\r\n"), STORE_OK);
	store_close(&st);

	/* Damage found by the daily quick_check at open: opened read-only. */
	smash_page("dan", db_int("dan", "SELECT rootpage FROM sqlite_master"
				 " WHERE name = 'messages_modseq'"));
	db_exec("dan", "UPDATE meta SET value = 0 WHERE key = 'last_quick_check'");
	st = open_as("dan", 0, STORE_OK);
	CHECK(st != NULL && store_read_only(st));
	CHECK(exists("dan", "damaged"));
	store_close(&st);
}

/* ---- 3. orphan body files ---- */

static void test_orphans(void)
{
	struct store *st = open_as("olga", STORE_OPEN_CREATE, STORE_OK);
	struct store *other;
	struct store_blob *b, *writing = NULL;
	struct problems p = { 0 };
	time_t old = time(NULL) - 2 * 60 * 60;
	char path[4200];

	if (st == NULL)
		return;
	b = blob_of(st, big, sizeof(big));
	CHECK_INT(append_blob(st, &b), STORE_OK);
	CHECK_INT(count_prefix("olga", "B"), 1);
	CHECK_INT(count_prefix("olga", "tmp-"), 0);

	/* Crash leftovers: a final name no row gives, an old unlocked tmp. */
	make_file("olga", "blobs/Bcrashedbetweenrenameandcommit.eml", "x", 1, 0);
	make_file("olga", "blobs/tmp-Bkilledwhilewriting.eml", "yy", 2, old);
	/* Not leftovers: a young tmp (a MULTIAPPEND's finished body), and an
	 * old one whose writer holds its lock (a slow client). */
	make_file("olga", "blobs/tmp-Bfinishedwaiting.eml", "zzz", 3, 0);
	make_file("olga", "blobs/tmp-Bslowclient.eml", "wwww", 4, old);
	path_of(path, sizeof(path), "olga", "blobs/tmp-Bslowclient.eml");
	int lock_fd = open(path, O_RDONLY);
	CHECK(lock_fd >= 0 && flock(lock_fd, LOCK_EX) == 0);

	CHECK_INT(store_check(st, report_cb, &p), STORE_CORRUPT);
	CHECK_INT(p.count, 2);
	CHECK(has_line(&p, "orphan body file blobs/Bcrashedbetweenrenameandcommit.eml (1 bytes)"
		       " that no message names"));
	CHECK(has_line(&p, "orphan body file blobs/tmp-Bkilledwhilewriting.eml (2 bytes)"
		       " that no message names"));
	CHECK_INT(count_prefix("olga", ""), 5);   /* check removes nothing */

	/* A body being written right now by this handle, its file made old
	 * (past one frame of store/body-codec.h, so its first frame is in
	 * the file). */
	CHECK_INT(store_blob_begin(st, 2 * sizeof(big), &writing), STORE_OK);
	CHECK_INT(store_blob_write(writing, big, sizeof(big)), STORE_OK);
	CHECK_INT(store_blob_write(writing, big, sizeof(big) / 2), STORE_OK);
	CHECK_INT(count_prefix("olga", "tmp-"), 4);
	{
		DIR *d;
		struct dirent *e;

		path_of(path, sizeof(path), "olga", "blobs");
		d = opendir(path);
		while (d != NULL && (e = readdir(d)) != NULL) {
			struct timespec t[2] = { { .tv_sec = old }, { .tv_sec = old } };

			if (strncmp(e->d_name, "tmp-", 4) == 0 &&
			    strstr(e->d_name, "Bkilled") == NULL && strstr(e->d_name, "Bfinished") == NULL &&
			    strstr(e->d_name, "Bslow") == NULL)
				utimensat(dirfd(d), e->d_name, t, 0);
		}
		if (d != NULL)
			closedir(d);
	}

	/* Another handle (another process, in life) whose daily maintenance
	 * is due removes exactly the two leftovers. */
	db_exec("olga", "UPDATE meta SET value = 0 WHERE key = 'last_quick_check'");
	other = open_as("olga", 0, STORE_OK);
	store_close(&other);
	CHECK(!exists("olga", "blobs/Bcrashedbetweenrenameandcommit.eml"));
	CHECK(!exists("olga", "blobs/tmp-Bkilledwhilewriting.eml"));
	CHECK(exists("olga", "blobs/tmp-Bfinishedwaiting.eml"));
	CHECK(exists("olga", "blobs/tmp-Bslowclient.eml"));
	CHECK_INT(count_prefix("olga", "B"), 1);
	CHECK_INT(count_prefix("olga", "tmp-"), 3);

	/* The body being written survived: it completes and reads back. */
	CHECK_INT(store_blob_write(writing, big + sizeof(big) / 2, sizeof(big) - sizeof(big) / 2),
		  STORE_OK);
	CHECK_INT(store_blob_finish(writing), STORE_OK);
	CHECK_INT(append_blob(st, &writing), STORE_OK);
	CHECK_INT(count_prefix("olga", "B"), 2);
	flock(lock_fd, LOCK_UN);
	close(lock_fd);
	unlink(path);
	path_of(path, sizeof(path), "olga", "blobs/tmp-Bfinishedwaiting.eml");
	unlink(path);
	path_of(path, sizeof(path), "olga", "blobs/tmp-Bslowclient.eml");
	unlink(path);

	/* A rolled-back append gives the body its tmp name back (under the
	 * write lock), so no final name without a row outlives a
	 * transaction; the body can still be appended. */
	b = blob_of(st, big, sizeof(big));
	struct store_append twice[2] = { { .blob = b }, { .blob = b } };
	uint32_t uidv, uids[2];
	CHECK_INT(store_messages_append(st, "INBOX", twice, 2, &uidv, uids), STORE_INVALID);
	CHECK_INT(count_prefix("olga", "tmp-"), 1);
	CHECK_INT(count_prefix("olga", "B"), 2);
	CHECK_INT(append_blob(st, &b), STORE_OK);
	CHECK_INT(count_prefix("olga", "tmp-"), 0);
	CHECK_INT(count_prefix("olga", "B"), 3);
	memset(&p, 0, sizeof(p));
	CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
	CHECK_INT(p.count, 0);
	store_close(&st);
}

/* ---- 4. a SHA-256 per body ---- */

static void sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

static void test_digests(void)
{
	struct store *st = open_as("dora", STORE_OPEN_CREATE, STORE_OK);
	static const char small[] = "Subject: s\r\n\r\nsmall body\r\n";
	unsigned char want[32];
	struct problems p = { 0 };
	struct store_body *body = NULL;
	struct store_snapshot snap;
	char path[4200], sql[256];

	if (st == NULL)
		return;
	CHECK_INT(append_text(st, small), STORE_OK);
	struct store_blob *b = blob_of(st, big, sizeof(big));
	CHECK_INT(append_blob(st, &b), STORE_OK);
	/* A bare LF stored as CRLF: the digest is of what is stored. */
	CHECK_INT(append_text(st, "Subject: lf\n\nline\n"), STORE_OK);
	store_close(&st);

	sha256(small, strlen(small), want);
	CHECK_INT(db_int("dora", "SELECT count(*) FROM blobs WHERE length(digest) = 32"), 3);
	{
		sqlite3 *db;
		sqlite3_stmt *s;
		unsigned char want_big[32], want_lf[32];
		static const char lf[] = "Subject: lf\r\n\r\nline\r\n";
		int matched = 0;

		sha256(big, sizeof(big), want_big);
		sha256(lf, strlen(lf), want_lf);
		path_of(path, sizeof(path), "dora", "store.db");
		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT digest FROM blobs ORDER BY id", -1, &s,
				       NULL) == SQLITE_OK) {
			const unsigned char *const wants[] = { want, want_big, want_lf };

			for (int i = 0; i < 3 && sqlite3_step(s) == SQLITE_ROW; i++)
				matched += sqlite3_column_bytes(s, 0) == 32 &&
					memcmp(sqlite3_column_blob(s, 0), wants[i], 32) == 0;
			sqlite3_finalize(s);
		}
		sqlite3_close(db);
		CHECK_INT(matched, 3);
	}

	/* A flipped byte in a body file: check finds it; serving does not
	 * look (it would read a whole 64 MB body for a partial FETCH). */
	st = open_as("dora", 0, STORE_OK);
	if (st == NULL)
		return;
	CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
	CHECK_INT(p.count, 0);
	{
		DIR *d;
		struct dirent *e;

		path_of(path, sizeof(path), "dora", "blobs");
		d = opendir(path);
		while (d != NULL && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == 'B') {
				int fd = openat(dirfd(d), e->d_name, O_WRONLY);

				CHECK(fd >= 0 && pwrite(fd, "!", 1, 5000) == 1);
				if (fd >= 0)
					close(fd);
			}
		}
		if (d != NULL)
			closedir(d);
	}
	CHECK_INT(store_check(st, report_cb, &p), STORE_CORRUPT);
	CHECK_INT(p.count, 1);
	CHECK_STR(p.lines[0], "body 2 of mailbox \"INBOX\": checksum mismatch");
	CHECK_INT(store_mailbox_snapshot(st, "INBOX", false, &snap), STORE_OK);
	CHECK_INT(store_body_open(st, "INBOX", snap.uidvalidity, 2, &body), STORE_OK);
	store_body_close(&body);

	/* A changed byte in an inline body: found by check, and refused by
	 * FETCH (verified on serving: read whole anyway, ~0.1 ms). */
	db_exec("dora", "UPDATE blobs SET data = CAST(replace(CAST(data AS TEXT), 'small',"
		" 'smalL') AS BLOB) WHERE id = 1");
	memset(&p, 0, sizeof(p));
	CHECK_INT(store_check(st, report_cb, &p), STORE_CORRUPT);
	CHECK_INT(p.count, 2);
	CHECK(has_line(&p, "body 1 of mailbox \"INBOX\": checksum mismatch"));
	CHECK_INT(store_body_open(st, "INBOX", snap.uidvalidity, 1, &body), STORE_CORRUPT);
	CHECK(body == NULL);
	CHECK_INT(store_body_open(st, "INBOX", snap.uidvalidity, 3, &body), STORE_OK);
	store_body_close(&body);

	/* A digest not known (a body stored before they were kept): not
	 * checked, not a problem. */
	db_exec("dora", "UPDATE blobs SET digest = NULL WHERE id IN (1, 2)");
	memset(&p, 0, sizeof(p));
	CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
	CHECK_INT(p.count, 0);
	CHECK_INT(store_body_open(st, "INBOX", snap.uidvalidity, 1, &body), STORE_OK);
	store_body_close(&body);

	/* A message whose body row is gone: damage, not "expunged". */
	snprintf(sql, sizeof(sql), "DELETE FROM blobs WHERE id = 3");
	db_exec("dora", sql);
	CHECK_INT(store_body_open(st, "INBOX", snap.uidvalidity, 3, &body), STORE_CORRUPT);
	static const uint32_t all[] = { 1, 2, 3 };
	unsigned int n = 0;
	CHECK_INT(store_messages_read(st, "INBOX", snap.uidvalidity, all, 3, 0, read_cb, &n),
		  STORE_CORRUPT);
	CHECK_INT(store_messages_read(st, "INBOX", snap.uidvalidity, all, 2, 0, read_cb, &n),
		  STORE_OK);
	memset(&p, 0, sizeof(p));
	CHECK_INT(store_check(st, report_cb, &p), STORE_CORRUPT);
	CHECK(has_line(&p, "body 3 of mailbox \"INBOX\": missing (blob 3 has no row)"));
	store_snapshot_free(&snap);
	store_close(&st);
}

int main(void)
{
	log_set_level(LOG_ALWAYS);
	if (mkdtemp(data_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (store_env_open(NULL, data_dir, &env, NULL, 0) != STORE_OK) {
		printf("FAIL store_env_open\n");
		return 1;
	}
	/* Lines of bytes zstd cannot shrink by 1/4 (0x20-0xff, ~7.8 bits
	 * each): stored plain (store/body-codec.h), so the body file holds the
	 * body's own bytes for the tests that damage them. */
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(big); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' : (char)(0x20 + x % 224);
	}
	test_create_only_when_told();
	test_damaged_read_only();
	test_orphans();
	test_digests();
	store_env_free(&env);
	nftw(data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return unit_finish("store-safety");
}
