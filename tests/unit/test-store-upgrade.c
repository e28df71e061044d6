/* Bodies across the schema 4 -> 5 upgrade and with compression:
 * 1. a store written by schema 4 (tests/unit/store-v4.sql, plus its one
 *    body file) opens as schema 5 in place; every message reads back byte
 *    for byte, whole, at offsets and as FETCH sections; store_check is
 *    clean; new messages are stored compressed beside the old plain ones;
 * 2. a compressed body file with one damaged frame: FETCH's read answers
 *    STORE_CORRUPT (never wrong bytes), the store gets its `damaged` mark,
 *    `petrel check` names the message, and frames before it still read. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/arena.h"
#include "core/log.h"
#include "imap/fetch-section.h"
#include "mail/mail-summary.h"
#include "store/body-codec.h"
#include "store/store-dict.h"
#include "store/store.h"
#include "store-v4-messages.h"
#include "unit.h"
#include "unit-store.h"

#define FIXTURE "tests/unit/store-v4.sql"

static char data_dir[] = "/tmp/petrel-test-upgrade-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */
static char user_dir[4200], db_path[4300];

static char *read_file(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		} else {
			data[n] = '\0';
			*len_r = (size_t)n;
		}
	}
	fclose(f);
	return data;
}

static int64_t db_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static char *db_text(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *v = NULL;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
			v = strdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

struct problems {
	unsigned int count;
	char first[512];
};

static void report_cb(const char *problem, void *ctx)
{
	struct problems *p = ctx;

	if (p->count++ == 0)
		snprintf(p->first, sizeof(p->first), "%s", problem);
}

static bool size_cb(const struct store_message_info *info, void *ctx)
{
	*(uint64_t *)ctx = info->size;
	return true;
}

static struct store *open_vera(void)
{
	struct store *st = NULL;
	char err[256] = "";

	if (store_open(env, "vera", 0, &st, err, sizeof(err)) != STORE_OK)
		printf("store_open: %s\n", err);
	return st;
}

/* A FETCH section of the message as the server's FETCH builds it. */
static bool fetch(struct store *st, const char *mailbox, uint32_t uid,
		  const struct fetch_section *sec, struct buf *out)
{
	struct store_snapshot snap;
	struct store_body *body = NULL;
	struct arena *arena = arena_create(4096);
	struct fetch_source src;
	struct mail_summary sum;
	char *summary = NULL;
	struct buf unpacked = { 0 };
	const void *plain;
	size_t plain_len;
	uint8_t *ctes = NULL;
	bool ok = false, done = false;
	uint32_t uidvalidity = 0;
	char sql[300];

	snprintf(sql, sizeof(sql), "SELECT hex(b.summary) FROM blobs b JOIN messages m ON"
		 " m.blob_id = b.id JOIN mailboxes x ON x.id = m.mailbox_id WHERE x.name = '%s'"
		 " AND m.uid = %u", mailbox, uid);
	summary = db_text(sql);
	if (summary == NULL || store_mailbox_snapshot(st, mailbox, false, &snap) != STORE_OK)
		goto out;
	uidvalidity = snap.uidvalidity;
	store_snapshot_free(&snap);
	{
		size_t n = strlen(summary) / 2;
		unsigned char *raw = malloc(n + 1);

		for (size_t i = 0; i < n; i++) {
			unsigned int v;

			sscanf(summary + 2 * i, "%2x", &v);
			raw[i] = (unsigned char)v;
		}
		free(summary);
		summary = (char *)raw;
		/* Stored packed (store-dict.h) when that is smaller. */
		buf_init(&unpacked, MAIL_SUMMARY_MAX);
		if (store_summary_unpack(raw, n, NULL, NULL, &unpacked, &plain, &plain_len) !=
		    STORE_OK || !mail_summary_decode(plain, plain_len, &sum))
			goto out;
	}
	struct message_part *tree = mail_summary_tree(&sum, arena, &ctes);

	if (store_body_open(st, mailbox, uidvalidity, uid, &body) != STORE_OK ||
	    fetch_section_source(sec, tree, ctes, body, &src) != STORE_OK)
		goto out;
	ok = true;
	while (ok && !done)
		ok = fetch_source_read(&src, body, 7000, out, &done) == STORE_OK;
	fetch_source_free(&src);
out:
	store_body_close(&body);
	free(summary);
	buf_free(&unpacked);
	arena_destroy(&arena);
	return ok;
}

static void check_message(struct store *st, const char *mailbox, uint32_t uid,
			  const char *want, size_t want_len)
{
	struct store_snapshot snap;
	struct store_body *body = NULL;
	uint64_t size = 0;
	char *got = malloc(want_len + 1);

	CHECK_INT(store_mailbox_snapshot(st, mailbox, false, &snap), STORE_OK);
	CHECK_INT(store_messages_read(st, mailbox, snap.uidvalidity, &uid, 1, 0, size_cb, &size),
		  STORE_OK);
	CHECK_INT(size, want_len);     /* RFC822.SIZE */
	CHECK_INT(store_body_open(st, mailbox, snap.uidvalidity, uid, &body), STORE_OK);
	if (body != NULL) {
		CHECK_INT(store_body_size(body), want_len);
		CHECK_INT(store_body_read(body, 0, got, want_len), STORE_OK);
		CHECK(memcmp(got, want, want_len) == 0);
		/* BODY[]<partial>: any offset, any length. */
		for (size_t off = 0; off < want_len; off += want_len / 37 + 1) {
			size_t n = want_len - off < 4099 ? want_len - off : 4099;

			CHECK_INT(store_body_read(body, off, got, n), STORE_OK);
			CHECK(memcmp(got, want + off, n) == 0);
		}
		CHECK_INT(store_body_read(body, want_len, got, 1), STORE_INVALID);
	}
	store_body_close(&body);
	store_snapshot_free(&snap);
	/* FETCH BODY.PEEK[]<5.100> through the server's section code. */
	struct fetch_section sec = { .kind = SECTION_BODY, .peek = true, .part = "",
				     .spec = SPEC_NONE, .partial = true, .origin = 5, .count = 100,
				     .response_name = "BODY[]" };
	struct buf out;

	buf_init(&out, 1024 * 1024);
	CHECK(fetch(st, mailbox, uid, &sec, &out));
	CHECK_INT(out.len, want_len - 5 < 100 ? want_len - 5 : 100);
	CHECK(out.len <= want_len && memcmp(out.data, want + 5, out.len) == 0);
	buf_free(&out);
	free(got);
}

static void check_all(struct store *st, char *big, size_t big_len)
{
	for (size_t i = 0; i < sizeof(v4_messages) / sizeof(v4_messages[0]); i++) {
		const char *t = v4_messages[i].text;

		check_message(st, v4_messages[i].mailbox, v4_messages[i].uid, t != NULL ? t : big,
			      t != NULL ? strlen(t) : big_len);
	}
}

static void test_upgrade_v4(void)
{
	static char big[V4_BIG_MAX];
	size_t big_len = v4_big_body(big, sizeof(big)), sql_len = 0;
	char *sql = read_file(FIXTURE, &sql_len), *file;
	char path[4400];
	sqlite3 *db;
	struct store *st;
	struct problems p = { 0 };

	CHECK(sql != NULL);
	if (sql == NULL) {
		printf("cannot read %s: %s (run from the repository root)\n", FIXTURE,
		       strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/users", data_dir);
	mkdir(path, 0700);
	mkdir(user_dir, 0700);
	snprintf(path, sizeof(path), "%s/blobs", user_dir);
	mkdir(path, 0700);
	CHECK_INT(sqlite3_open(db_path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(sql);
	CHECK_INT(db_int("PRAGMA user_version"), 4);
	/* The one body file, as schema 4 wrote it: the body's bytes. */
	file = db_text("SELECT file FROM blobs WHERE file IS NOT NULL");
	CHECK(file != NULL);
	if (file != NULL) {
		int fd;

		snprintf(path, sizeof(path), "%s/blobs/%s", user_dir, file);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		CHECK(fd >= 0 && write(fd, big, big_len) == (ssize_t)big_len);
		if (fd >= 0)
			close(fd);
		free(file);
	}

	st = open_vera();
	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK_INT(db_int("PRAGMA user_version"), 9);
	/* Version 7's METADATA table and version 8's ACL table, empty. */
	CHECK_INT(db_int("SELECT count(*) FROM metadata"), 0);
	CHECK_INT(db_int("SELECT count(*) FROM acl"), 0);
	CHECK_INT(db_int("SELECT count(*) FROM seen"), 0);
	CHECK_INT(db_int("SELECT count(*) FROM blobs WHERE codec = 0"), 5);
	check_all(st, big, big_len);
	CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
	CHECK_INT(p.count, 0);

	/* BODY[2] and BINARY[2] of the multipart one (RFC 9051 §6.4.5). */
	struct fetch_section sec = { .kind = SECTION_BODY, .peek = true, .part = "1",
				     .spec = SPEC_NONE, .response_name = "BODY[1]" };
	struct buf out;

	buf_init(&out, 65536);
	CHECK(fetch(st, "INBOX", 3, &sec, &out));
	CHECK_STR(out.data, "caf\xc3\xa9 au lait");
	buf_clear(&out);
	sec.kind = SECTION_BINARY;
	sec.part = "2";
	sec.response_name = "BINARY[2]";
	CHECK(fetch(st, "INBOX", 3, &sec, &out));
	CHECK_INT(out.len, 48);
	for (size_t i = 0; i < out.len && i < 48; i++)
		CHECK_INT((unsigned char)out.data[i], i);
	buf_free(&out);

	/* New messages beside the old ones: compressed (a small inline one
	 * and a file), old ones still plain; the store still checks clean and
	 * everything reads back after a reopen. */
	static char big2[V4_BIG_MAX + 100];
	size_t big2_len = v4_big_body(big2, sizeof(big2));
	const char *small = "From: new@example.com\r\nSubject: schema five\r\n\r\n"
		"compressed now, compressed now, compressed now, compressed now\r\n";
	struct store_blob *b;
	uint32_t uidv, uid;

	memcpy(big2 + 6, "new", 3);   /* "From: new..." */
	for (int i = 0; i < 2; i++) {
		const char *t = i == 0 ? small : big2;
		size_t len = i == 0 ? strlen(small) : big2_len;

		CHECK_INT(store_blob_begin(st, len, &b), STORE_OK);
		CHECK_INT(store_blob_write(b, t, len), STORE_OK);
		CHECK_INT(store_blob_finish(b), STORE_OK);
		struct store_append a = { .blob = b, .internaldate = 1 };

		CHECK_INT(store_messages_append(st, "INBOX", &a, 1, &uidv, &uid), STORE_OK);
		CHECK_INT(uid, 5 + (uint32_t)i);
		store_blob_free(&b);
	}
	CHECK_INT(db_int("SELECT count(*) FROM blobs WHERE codec = 1"), 2);
	/* 114,043 bytes of similar lines: a few KB, inline. */
	CHECK(db_int("SELECT length(data) FROM blobs WHERE codec = 1 AND size > 100000") <
	      (int64_t)big2_len / 4);
	store_close(&st);
	st = open_vera();
	CHECK(st != NULL);
	if (st == NULL)
		return;
	check_all(st, big, big_len);
	check_message(st, "INBOX", 5, small, strlen(small));
	check_message(st, "INBOX", 6, big2, big2_len);
	memset(&p, 0, sizeof(p));
	CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
	CHECK_INT(p.count, 0);
	store_close(&st);
}

/* A body file of compressible text big enough for several frames, then
 * one of its frames damaged on disk. */
static void test_damaged_frame(void)
{
	size_t len = 5 * BODY_FRAME_SIZE + 333, n = 0;
	char *body = malloc(len + 1), *got = malloc(len + 1);
	struct store *st = open_vera();
	struct store_snapshot snap;
	struct store_body *rb = NULL;
	struct store_blob *b;
	struct problems p = { 0 };
	uint32_t uidv, uid = 0, s = 1;
	char path[4400], *file;

	CHECK(st != NULL);
	if (st == NULL)
		goto out;
	n = (size_t)snprintf(body, len + 1, "Subject: frames\r\n\r\n");
	while (n < len) {
		/* Words that repeat, not a pattern: zstd saves ~60 %, not 99 %. */
		static const char *const w[] = { "alpha ", "beta ", "gamma ", "delta ", "\r\n" };

		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		for (const char *c = w[s % 5]; *c != '\0' && n < len; c++)
			body[n++] = *c;
	}
	CHECK_INT(store_blob_begin(st, len, &b), STORE_OK);
	CHECK_INT(store_blob_write(b, body, len), STORE_OK);
	CHECK_INT(store_blob_finish(b), STORE_OK);
	struct store_append a = { .blob = b, .internaldate = 1 };

	CHECK_INT(store_messages_append(st, "Archive", &a, 1, &uidv, &uid), STORE_OK);
	store_blob_free(&b);
	CHECK_INT(db_int("SELECT count(*) FROM blobs WHERE codec = 1 AND file IS NOT NULL"), 1);
	file = db_text("SELECT file FROM blobs WHERE codec = 1 AND file IS NOT NULL");
	snprintf(path, sizeof(path), "%s/blobs/%s", user_dir, file != NULL ? file : "none");
	free(file);

	/* Frame 3 starts after the first three: flip a byte in its middle
	 * (its stored offset, from the table, is past 3 * 20 KB surely and
	 * before the table). */
	struct stat sb;
	CHECK_INT(stat(path, &sb), 0);
	off_t victim = sb.st_size / 2 + sb.st_size / 8;   /* frame 3 of 6 */
	int fd = open(path, O_RDWR);
	unsigned char c = 0;

	CHECK(fd >= 0 && pread(fd, &c, 1, victim) == 1);
	c ^= 0x10;
	CHECK(fd >= 0 && pwrite(fd, &c, 1, victim) == 1);
	if (fd >= 0)
		close(fd);

	snprintf(path, sizeof(path), "%s/damaged", user_dir);
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(store_mailbox_snapshot(st, "Archive", false, &snap), STORE_OK);
	CHECK_INT(store_body_open(st, "Archive", snap.uidvalidity, uid, &rb), STORE_OK);
	if (rb != NULL) {
		enum store_result r = STORE_OK;
		size_t bad_at = len;

		CHECK_INT(store_body_size(rb), len);
		/* As FETCH BODY[] reads it: 64 KiB at a time, up to the damage. */
		for (size_t off = 0; off < len && r == STORE_OK; off += 65536) {
			size_t k = len - off < 65536 ? len - off : 65536;

			r = store_body_read(rb, off, got + off, k);
			if (r == STORE_OK)
				CHECK(memcmp(got + off, body + off, k) == 0);
			else
				bad_at = off;
		}
		CHECK_INT(r, STORE_CORRUPT);
		CHECK(bad_at >= 2 * BODY_FRAME_SIZE && bad_at < 5 * BODY_FRAME_SIZE);
		/* The frames before it still read; the damage stays damage. */
		CHECK_INT(store_body_read(rb, 10, got, 100), STORE_OK);
		CHECK(memcmp(got, body + 10, 100) == 0);
		CHECK_INT(store_body_read(rb, bad_at, got, 10), STORE_CORRUPT);
		CHECK_INT(store_body_read(rb, len - 10, got, 10), STORE_OK);
		CHECK(memcmp(got, body + len - 10, 10) == 0);
	}
	store_body_close(&rb);
	store_snapshot_free(&snap);
	CHECK(access(path, F_OK) == 0);   /* the damaged mark */
	CHECK_INT(store_check(st, report_cb, &p), STORE_CORRUPT);
	CHECK_INT(p.count, 1);
	char want[200];

	snprintf(want, sizeof(want), "body %u of mailbox \"Archive\": damaged (does not"
		 " decompress to its size and checksum)", uid);
	CHECK_STR(p.first, want);
	store_close(&st);
out:
	free(body);
	free(got);
}

int main(void)
{
	log_set_level(LOG_ALWAYS);
	if (!unit_store_setup(data_dir, &env))
		return 1;
	snprintf(user_dir, sizeof(user_dir), "%s/users/vera", data_dir);
	snprintf(db_path, sizeof(db_path), "%s/store.db", user_dir);
	test_upgrade_v4();
	test_damaged_frame();
	unit_store_teardown(data_dir, &env);
	return unit_finish("store-upgrade");
}
