/* The search index's format: text kept once, packed, and a contentless
 * trigram index without positions whose candidates are verified
 * (sqlite-search.c); a search.db of the first format (blob_text: the text
 * inside FTS5, with positions), built here from SQL, converted in place
 * by the indexer while SEARCH keeps giving the same answers. */
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <zstd.h>

#include "core/log.h"
#include "store/store.h"
#include "unit.h"
#include "unit-store.h"

static char data_dir[] = "/tmp/petrel-test-store-search-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */
static char db_path[4096], search_path[4096];

/* The first column of the first row of sql on the database at path (-1:
 * no row or an error, printed). */
static int64_t db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return -2;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		int rc = sqlite3_step(s);

		if (rc == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		else if (rc != SQLITE_DONE)
			printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
		sqlite3_finalize(s);
	} else {
		printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return v;
}

static void db_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		printf("sql error: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static struct store *open_store(void)
{
	struct store *st = NULL;
	char err[256] = "";
	enum store_result r = store_open(env, "bob", STORE_OPEN_CREATE, &st, err, sizeof(err));

	if (r != STORE_OK)
		printf("store_open: %s: %s\n", store_result_name(r), err);
	return st;
}

static uint32_t uidvalidity(struct store *st)
{
	struct store_mailbox_status s = { 0 };

	store_mailbox_status(st, "INBOX", &s);
	return s.uidvalidity;
}

static uint32_t append(struct store *st, const char *msg)
{
	struct store_blob *b = NULL;
	uint32_t uidv, uid = 0;

	if (store_blob_begin(st, strlen(msg), &b) != STORE_OK ||
	    store_blob_write(b, msg, strlen(msg)) != STORE_OK || store_blob_finish(b) != STORE_OK) {
		printf("blob failed\n");
		store_blob_free(&b);
		return 0;
	}
	struct store_append a = { .blob = b, .internaldate = 1700000000 };

	if (store_messages_append(st, "INBOX", &a, 1, &uidv, &uid) != STORE_OK)
		printf("append failed\n");
	store_blob_free(&a.blob);
	return uid;
}

static void expunge(struct store *st, uint32_t uid)
{
	struct store_flag_change del = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED };
	uint32_t *mod = NULL, mod_count = 0, *exp = NULL, exp_count = 0;

	CHECK_INT(store_messages_set_flags(st, "INBOX", uidvalidity(st), &uid, 1, &del, &mod,
					   &mod_count), STORE_OK);
	CHECK_INT(store_messages_expunge(st, "INBOX", uidvalidity(st), &uid, 1, &exp, &exp_count),
		  STORE_OK);
	free(mod);
	free(exp);
}

static const char *search(struct store *st, enum store_text_field field, const char *header,
			  const char *needle)
{
	static char out[256];
	uint32_t *uids = NULL, n = 0;
	size_t len = 0;
	enum store_result r = store_mailbox_search_text(st, "INBOX", uidvalidity(st), field, header,
							needle, &uids, &n);

	if (r != STORE_OK)
		return store_result_name(r);
	out[0] = '\0';
	for (uint32_t i = 0; i < n && len < sizeof(out) - 16; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", i ? "," : "", uids[i]);
	free(uids);
	return out;
}

/* Every search below, with the answers for the messages left. */
static void check_answers(struct store *st, bool expunged)
{
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "quokka"), expunged ? "1,6,7" : "1,3,4,6,7");
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "qu"), expunged ? "1,6,7" : "1,3,4,6,7");
	CHECK_STR(search(st, STORE_TEXT_TEXT, NULL, "wallaby"), "5");
	/* In the body only: a SUBJECT search must not take it. */
	CHECK_STR(search(st, STORE_TEXT_SUBJECT, NULL, "wallaby"), "");
	CHECK_STR(search(st, STORE_TEXT_SUBJECT, NULL, "late"), expunged ? "5,6" : "4,5,6");
	CHECK_STR(search(st, STORE_TEXT_HEADER, "subject", "early"), expunged ? "1,2" : "1,2,3");
	/* Every trigram present, the needle not: verification drops it. */
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "quokka three six"), "");
	CHECK_STR(search(st, STORE_TEXT_TEXT, NULL, "stra\xc3\x9f" "e"), "");
}

static void test_format(void)
{
	struct store *st = open_store();
	bool more;

	if (st == NULL)
		return;
	/* A new store's search.db has the compact tables only. */
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM sqlite_master WHERE name IN"
			 " ('text_store', 'text_index', 'text_meta')"), 3);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM sqlite_master"
			 " WHERE name = 'blob_text'"), 0);
	/* A body long enough to pack, with the needle at its end. */
	char msg[4096];
	int n = snprintf(msg, sizeof(msg), "Subject: long one\r\n\r\n");

	for (int i = 0; i < 60; i++)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "line %d of a text that repeats\r\n", i);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "Numbat at the end\r\n");
	CHECK_INT(append(st, msg), 1);
	CHECK_INT(store_index_text(env, "bob", 0, NULL, &more), STORE_OK);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_store WHERE typeof(body) = 'blob'"
			 " AND length(body) < 400"), 1);
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "numbat at the end"), "1");
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "at"), "1");
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "line 59 of"), "1");
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "line 60 of"), "");
	/* A long needle: a sample of its trigrams asks the index, the text
	 * decides (one character off anywhere: not found). */
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "line 10 of a text that repeats\nline 11 of"
			 " a text that repeats\nline 12 of a text that repeats\nline 13"), "1");
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "line 10 of a text that repeats\nline 11 of"
			 " a text that repeatz\nline 12 of a text that repeats\nline 13"), "");
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "line 10 of a text that repeats\nline 11 of"
			 " a text that repeats\nline 12 of a text that repeats\nline 14"), "");
	expunge(st, 1);
	CHECK_INT(store_index_text(env, "bob", 0, NULL, &more), STORE_OK);
	/* Its text and its index entries are gone (the 'delete' command with
	 * the unpacked text: a wrong text would fail the integrity check). */
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_store"), 0);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_index('\"bat\"')"), 0);
	CHECK_INT(db_int(search_path, "INSERT INTO text_index (text_index)"
			 " VALUES ('integrity-check')"), -1);
	store_close(&st);
	/* The next test starts from an empty store. */
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/users", data_dir);
	unit_remove_tree(dir);
}

/* Packed values of text_store's header column: how many, and how many
 * name a dictionary. */
static void count_packed(int64_t *packed_r, int64_t *with_dict_r)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	*packed_r = *with_dict_r = 0;
	if (sqlite3_open_v2(search_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT header FROM text_store WHERE typeof(header) = 'blob'",
			       -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			(*packed_r)++;
			*with_dict_r += ZSTD_getDictID_fromFrame(sqlite3_column_blob(s, 0),
					(size_t)sqlite3_column_bytes(s, 0)) != 0;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* Once 1,000 messages are stored, the indexer trains a zstd dictionary on
 * them, packs them again with it and everything after. */
static void test_dictionary(void)
{
	enum { BATCH = 100, MESSAGES = 1100 };
	struct store *st = open_store();
	int64_t packed, with_dict;
	bool more;

	if (st == NULL)
		return;
	for (int done = 0; done < MESSAGES; done += BATCH) {
		struct store_append a[BATCH];
		uint32_t uids[BATCH], uidv;

		for (int i = 0; i < BATCH; i++) {
			char msg[1024];
			int n = done + i;

			snprintf(msg, sizeof(msg), "Received: from relay%d.example.org (relay%d"
				 " [192.0.2.%d]) by mx.example.net with ESMTPS id %x\r\n"
				 "From: Sender %d <sender%d@example.org>\r\nTo: list@example.net\r\n"
				 "Subject: weekly report %d\r\nList-Id: <reports.example.net>\r\n\r\n"
				 "The weekly report number %d is attached; %s.\r\n", n % 7, n % 7,
				 n % 250, n * 2654435761u, n % 13, n % 13, n, n,
				 n == 1050 ? "the numbat moved" : "nothing moved");
			struct store_blob *b = NULL;

			if (store_blob_begin(st, strlen(msg), &b) != STORE_OK ||
			    store_blob_write(b, msg, strlen(msg)) != STORE_OK ||
			    store_blob_finish(b) != STORE_OK)
				printf("blob failed\n");
			a[i] = (struct store_append){ .blob = b, .internaldate = 1700000000 };
		}
		CHECK_INT(store_messages_append(st, "INBOX", a, BATCH, &uidv, uids), STORE_OK);
		for (int i = 0; i < BATCH; i++)
			store_blob_free(&a[i].blob);
	}
	CHECK_INT(store_index_text(env, "bob", 0, NULL, &more), STORE_OK);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_dict"), 1);
	count_packed(&packed, &with_dict);
	CHECK_INT(packed, MESSAGES);
	CHECK_INT(with_dict, MESSAGES);
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "numbat moved"), "1051");
	CHECK_STR(search(st, STORE_TEXT_TEXT, NULL, "relay3 [192.0.2.10]"), "11");
	uint32_t *uids = NULL, count = 0;

	CHECK_INT(store_mailbox_search_text(st, "INBOX", uidvalidity(st), STORE_TEXT_HEADER,
					    "list-id", "reports", &uids, &count), STORE_OK);
	CHECK_INT(count, MESSAGES);
	free(uids);
	expunge(st, 1051);
	CHECK_INT(store_index_text(env, "bob", 0, NULL, &more), STORE_OK);
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "numbat"), "");
	CHECK_INT(db_int(search_path, "INSERT INTO text_index (text_index)"
			 " VALUES ('integrity-check')"), -1);
	store_close(&st);
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/users", data_dir);
	unit_remove_tree(dir);
}

/* TEXT reads a candidate's columns (body, header, MIME part headers) in
 * the order a sample of the candidates makes cheapest, stopping at the
 * first that holds the needle: here the header, which holds it in all
 * but two messages. The two whose needle is only in the body or only in
 * a part's header are found all the same. The candidates are most of the
 * stored rows, so the first column is read by one scan of the rows: the
 * row between them that is no candidate is stepped over. */
static void test_column_order(void)
{
	enum { HEADER_HITS = 150 };
	struct store *st = open_store();
	uint32_t *uids = NULL, count = 0;
	bool more;

	if (st == NULL)
		return;
	for (int i = 0; i < HEADER_HITS; i++) {
		char msg[256];

		snprintf(msg, sizeof(msg), "Subject: %s report %d\r\n\r\nnothing to see %d\r\n",
			 i == HEADER_HITS / 2 ? "monthly" : "wombat", i, i);
		append(st, msg);
	}
	CHECK_INT(append(st, "Subject: other\r\n\r\nthe wombat is in the body\r\n"),
		  HEADER_HITS + 1);
	CHECK_INT(append(st, "Subject: other\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
			 " boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
			 "Content-Description: wombat notes\r\n\r\nno animal here\r\n--b--\r\n"),
		  HEADER_HITS + 2);
	CHECK_INT(append(st, "Subject: other\r\n\r\nno animal in this one\r\n"), HEADER_HITS + 3);
	CHECK_INT(store_index_text(env, "bob", 0, NULL, &more), STORE_OK);
	CHECK_INT(store_mailbox_search_text(st, "INBOX", uidvalidity(st), STORE_TEXT_TEXT, NULL,
					    "wombat", &uids, &count), STORE_OK);
	CHECK_INT(count, HEADER_HITS + 1);
	if (count == HEADER_HITS + 1) {
		CHECK_INT(uids[0], 1);
		CHECK_INT(uids[HEADER_HITS / 2 - 1], HEADER_HITS / 2);
		CHECK_INT(uids[HEADER_HITS / 2], HEADER_HITS / 2 + 2);
		CHECK_INT(uids[HEADER_HITS - 1], HEADER_HITS + 1);
		CHECK_INT(uids[HEADER_HITS], HEADER_HITS + 2);
	}
	free(uids);
	CHECK_STR(search(st, STORE_TEXT_BODY, NULL, "wombat"), "151");
	store_close(&st);
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/users", data_dir);
	unit_remove_tree(dir);
}

static void test_upgrade(void)
{
	static const char *const early[] = {
		"Subject: early one\r\n\r\nquokka one\r\n",
		"Subject: early two\r\n\r\nplain two\r\n",
		"Subject: early three\r\n\r\nquokka three\r\n",
	};
	static const char *const late[] = {
		"Subject: late four\r\n\r\nquokka four\r\n",
		"Subject: late five\r\n\r\nwallaby five\r\n",
		"Subject: late six\r\n\r\nquokka six\r\n",
	};
	struct store *st = open_store();
	char sql[9000];
	bool more;

	if (st == NULL)
		return;
	for (int i = 0; i < 3; i++)
		CHECK_INT(append(st, early[i]), i + 1);
	/* The later messages' blob ids come after the first format's rows of
	 * deleted blobs below (ids are never reused: blob_id_high). */
	db_exec(db_path, "INSERT OR REPLACE INTO meta (key, value) VALUES ('blob_id_high', 5000)");
	for (int i = 0; i < 3; i++)
		CHECK_INT(append(st, late[i]), i + 4);
	store_close(&st);

	/* search.db as the first format left it: everything indexed in
	 * blob_text, among rows of 1,100 blobs deleted since (each holding
	 * the needle: none may ever be an answer). */
	static const char *const exts[] = { "", "-wal", "-shm" };
	char path[4300];

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", search_path, exts[i]);
		unlink(path);
	}
	snprintf(sql, sizeof(sql),
		 "PRAGMA journal_mode=WAL;"
		 "CREATE VIRTUAL TABLE blob_text USING fts5(subject, hfrom, hto, hcc, hbcc, header,"
		 " mime, body, tokenize = 'trigram case_sensitive 1');"
		 "ATTACH '%s' AS st;"
		 "INSERT INTO blob_text (rowid, subject, hfrom, hto, hcc, hbcc, header, mime, body)"
		 " SELECT * FROM st.text_pending;"
		 "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 1199)"
		 " INSERT INTO blob_text (rowid, subject, header, body)"
		 " SELECT i, 'late filler', 'subject: early filler', 'quokka wallaby ' || i FROM n;"
		 "DELETE FROM st.text_pending;", db_path);
	db_exec(search_path, sql);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM blob_text"), 1106);

	st = open_store();
	if (st == NULL)
		return;
	/* One more message, its text waiting for the indexer. */
	CHECK_INT(append(st, "Subject: pending seven\r\n\r\nquokka seven\r\n"), 7);
	CHECK(store_index_due(st));
	/* Before any conversion: the first format answers. */
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_store"), 0);
	check_answers(st, false);

	/* One step: 1,024 rows copied (three messages and 1,021 of the
	 * deleted blobs'), the rest still in blob_text only. */
	CHECK_INT(store_index_text(env, "bob", 1, NULL, &more), STORE_OK);
	CHECK(more);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_store"), 1024);
	CHECK_INT(db_int(search_path, "SELECT value FROM text_meta WHERE key = 'upgrade_high'"),
		  1120);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM blob_text"), 1106);
	check_answers(st, false);
	/* Deleted meanwhile: a converted message and one not yet. */
	expunge(st, 3);
	expunge(st, 4);
	check_answers(st, true);

	/* The rest: conversion, deletions, the pending text; blob_text
	 * dropped and search.db vacuumed. */
	CHECK_INT(store_index_text(env, "bob", 0, NULL, &more), STORE_OK);
	CHECK(!more);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM sqlite_master"
			 " WHERE name = 'blob_text'"), 0);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_meta"), 0);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_store"), 1106 - 2 + 1);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_store WHERE blob_id IN (3, 5001)"),
		  0);
	CHECK_INT(db_int(search_path, "SELECT count(*) FROM text_index('\"kka\" AND \"six\"')"), 1);
	CHECK_INT(db_int(search_path, "INSERT INTO text_index (text_index)"
			 " VALUES ('integrity-check')"), -1);
	CHECK_INT(db_int(db_path, "SELECT count(*) FROM text_pending"), 0);
	check_answers(st, true);
	struct problems { int n; } p = { 0 };
	CHECK_INT(store_check(st, NULL, &p), STORE_OK);
	store_close(&st);
	/* Nothing left for the next open. */
	st = open_store();
	CHECK(st != NULL && !store_index_due(st));
	if (st != NULL)
		check_answers(st, true);
	store_close(&st);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	if (!unit_store_setup(data_dir, &env))
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/users/bob/store.db", data_dir);
	snprintf(search_path, sizeof(search_path), "%s/users/bob/search.db", data_dir);
	test_format();
	test_dictionary();
	test_column_order();
	test_upgrade();
	unit_store_teardown(data_dir, &env);
	return unit_finish("store-search");
}
