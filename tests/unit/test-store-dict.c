/* A store's zstd dictionaries (store/store-dict.h, sqlite-dict.c): none
 * before STORE_DICT_TRAIN_MESSAGES messages; the indexer then trains one
 * for bodies and one for summaries; later mail is stored with them (the
 * body's trailer and the summary's frame name them) and smaller, reads
 * back byte for byte, and summarizes as before; `petrel check` passes, and
 * reports a damaged dictionary instead of serving what it cannot read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <zstd.h>

#include "core/log.h"
#include "mail/mail-summary.h"
#include "store/store-dict.h"
#include "store/store.h"
#include "unit.h"
#include "unit-store.h"

static char data_dir[] = "/tmp/petrel-test-dict-XXXXXX";
static struct store_env *env;
static char db_path[sizeof(data_dir) + 64];
static uint32_t inbox_uidvalidity;

static int64_t db_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A list's message: the headers repeat, the words vary. */
static int make_message(char *out, size_t size, unsigned int i)
{
	static const char *const words[] = { "store ", "frame ", "mailbox ", "reply ", "thread ",
					     "index ", "quota ", "\r\n" };
	int n = snprintf(out, size,
			 "Received: from mx%u.lists.example.org (mx%u.lists.example.org"
			 " [192.0.2.%u])\r\n\tby mail.example.net with ESMTPS id %08x\r\n"
			 "From: Member %u <member%u@example.org>\r\n"
			 "To: petrel-users@lists.example.org\r\n"
			 "Subject: [petrel-users] question %u about frames\r\n"
			 "Date: Mon, 7 Dec 2026 10:%02u:00 +0000\r\n"
			 "Message-ID: <q%u@example.org>\r\n"
			 "List-Id: <petrel-users.lists.example.org>\r\n"
			 "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
			 i % 7, i % 7, i % 250, i * 2654435761u, i % 40, i % 40, i, i % 60, i);
	uint32_t x = i * 7919 + 1;

	for (int w = 0; w < 120 && n < (int)size - 16; w++) {
		x = x * 1103515245 + 12345;
		n += snprintf(out + n, size - (size_t)n, "%s", words[(x >> 16) % 8]);
	}
	return n;
}

/* count messages from first, appended 200 to a transaction. */
static bool append_range(struct store *st, unsigned int first, unsigned int count)
{
	char msg[4096];

	for (unsigned int done = 0; done < count;) {
		struct store_append a[200];
		uint32_t uids[200], uidv;
		unsigned int k = count - done < 200 ? count - done : 200;

		for (unsigned int i = 0; i < k; i++) {
			int n = make_message(msg, sizeof(msg), first + done + i);
			struct store_blob *blob = NULL;

			if (store_blob_begin(st, (uint64_t)n, &blob) != STORE_OK ||
			    store_blob_write(blob, msg, (size_t)n) != STORE_OK ||
			    store_blob_finish(blob) != STORE_OK)
				return false;
			a[i] = (struct store_append){ .blob = blob, .internaldate = 1800000000 };
		}
		enum store_result r = store_messages_append(st, "INBOX", a, k, &uidv, uids);

		inbox_uidvalidity = uidv;
		for (unsigned int i = 0; i < k; i++)
			store_blob_free(&a[i].blob);
		if (r != STORE_OK)
			return false;
		done += k;
	}
	return true;
}

struct envelopes {
	uint32_t uid;
	char envelope[1024];
};

static bool envelope_cb(const struct store_message_info *info, void *ctx)
{
	struct envelopes *e = ctx;
	struct mail_summary sum;

	e->uid = info->uid;
	e->envelope[0] = '\0';
	if (info->summary != NULL && mail_summary_decode(info->summary, info->summary_size, &sum))
		snprintf(e->envelope, sizeof(e->envelope), "%.*s", (int)sum.envelope_len,
			 sum.envelope);
	return true;
}

static const char *envelope_of(struct store *st, uint32_t uid, struct envelopes *e)
{
	CHECK_INT(store_messages_read(st, "INBOX", inbox_uidvalidity, &uid, 1, STORE_READ_SUMMARY,
				      envelope_cb, e), STORE_OK);
	return e->envelope;
}

static bool body_is(struct store *st, uint32_t uid, const char *want, size_t len)
{
	struct store_body *body = NULL;
	char *got = malloc(len + 1);
	bool same = false;

	if (store_body_open(st, "INBOX", inbox_uidvalidity, uid, &body) == STORE_OK &&
	    store_body_read(body, 0, got, len) == STORE_OK)
		same = memcmp(got, want, len) == 0;
	store_body_close(&body);
	free(got);
	return same;
}

struct problems {
	unsigned int count;
};

static void report_cb(const char *problem, void *ctx)
{
	struct problems *p = ctx;

	printf("# check: %s\n", problem);
	p->count++;
}

static void test_dictionaries(void)
{
	struct store *st = NULL;
	char err[256], msg[4096];
	struct envelopes e;
	struct problems p = { 0 };
	bool more;

	snprintf(db_path, sizeof(db_path), "%s/users/dora/store.db", data_dir);
	CHECK_INT(store_open(env, "dora", STORE_OPEN_CREATE, &st, err, sizeof(err)), STORE_OK);
	if (st == NULL)
		return;
	/* One short of the training point: nothing to train yet. */
	CHECK(append_range(st, 0, STORE_DICT_TRAIN_MESSAGES - 1));
	CHECK_INT(store_index_text(env, "dora", 0, NULL, &more), STORE_OK);
	CHECK_INT(db_int("SELECT count(*) FROM dicts"), 0);
	/* Without a dictionary, summaries are still packed (plain zstd). */
	CHECK_INT(db_int("SELECT count(*) FROM blobs WHERE substr(summary, 1, 4) = x'50535A31'"),
		  STORE_DICT_TRAIN_MESSAGES - 1);
	CHECK(append_range(st, STORE_DICT_TRAIN_MESSAGES - 1, 1));
	CHECK_INT(store_index_text(env, "dora", 0, NULL, &more), STORE_OK);
	CHECK_INT(db_int("SELECT count(*) FROM dicts WHERE kind = 1"), 1);
	CHECK_INT(db_int("SELECT count(*) FROM dicts WHERE kind = 2"), 1);
	int64_t body_id = db_int("SELECT id FROM dicts WHERE kind = 1");
	int64_t summary_id = db_int("SELECT id FROM dicts WHERE kind = 2");

	/* The same message again, now with the dictionaries: the body's
	 * trailer names its dictionary ("PZF2" after the id), the summary's
	 * frame names the other, both smaller than the first copy's. */
	CHECK(append_range(st, 5, 1));
	uint32_t uid = STORE_DICT_TRAIN_MESSAGES + 1;
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT hex(substr(data, -4)) = '505A4632' AND"
		 " hex(substr(data, -8, 4)) = '%02X%02X%02X%02X' FROM blobs WHERE id = %u",
		 (unsigned int)(body_id & 0xff), (unsigned int)((body_id >> 8) & 0xff),
		 (unsigned int)((body_id >> 16) & 0xff), (unsigned int)((body_id >> 24) & 0xff), uid);
	CHECK_INT(db_int(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT (SELECT length(data) FROM blobs WHERE id = %u) <"
		 " (SELECT length(data) FROM blobs WHERE id = 6)", uid);
	CHECK_INT(db_int(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT (SELECT length(summary) FROM blobs WHERE id = %u) <"
		 " (SELECT length(summary) FROM blobs WHERE id = 6)", uid);
	CHECK_INT(db_int(sql), 1);
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *s = NULL;
		unsigned int frame_dict = 0;

		snprintf(sql, sizeof(sql), "SELECT summary FROM blobs WHERE id = %u", uid);
		if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) > 4)
			frame_dict = ZSTD_getDictID_fromFrame((const char *)sqlite3_column_blob(s, 0) +
							      4, (size_t)sqlite3_column_bytes(s, 0) - 4);
		sqlite3_finalize(s);
		sqlite3_close(db);
		CHECK_INT(frame_dict, summary_id);
	}
	/* Read back: the same bytes and the same ENVELOPE as the first copy. */
	int n = make_message(msg, sizeof(msg), 5);
	char first[1024];

	CHECK(body_is(st, uid, msg, (size_t)n));
	CHECK(body_is(st, 6, msg, (size_t)n));
	snprintf(first, sizeof(first), "%s", envelope_of(st, 6, &e));
	CHECK(strstr(first, "question 5 about frames") != NULL);
	CHECK_STR(envelope_of(st, uid, &e), first);
	CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
	CHECK_INT(p.count, 0);
	store_close(&st);

	/* A damaged dictionary: reported by `petrel check`; the body made
	 * with it cannot be read (damage, not wrong bytes). */
	CHECK_INT(db_int("UPDATE dicts SET dict = zeroblob(length(dict)) WHERE kind = 1"), -1);
	CHECK_INT(db_int("SELECT count(*) FROM dicts WHERE dict = zeroblob(length(dict))"), 1);
	CHECK_INT(store_open(env, "dora", 0, &st, err, sizeof(err)), STORE_OK);
	if (st == NULL)
		return;
	p.count = 0;
	CHECK_INT(store_check(st, report_cb, &p), STORE_CORRUPT);
	CHECK(p.count >= 2);       /* the dictionary and the body */
	struct store_body *body = NULL;

	CHECK_INT(store_body_open(st, "INBOX", inbox_uidvalidity, uid, &body), STORE_CORRUPT);
	store_body_close(&body);
	store_close(&st);
}

int main(void)
{
	log_set_level(LOG_ALWAYS);
	if (!unit_store_setup(data_dir, &env))
		return 1;
	test_dictionaries();
	unit_store_teardown(data_dir, &env);
	return unit_finish("store-dict");
}
