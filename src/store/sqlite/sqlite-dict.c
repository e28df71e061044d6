/* The store's zstd dictionaries in store.db's dicts table
 * (store/store-dict.h): a handle's loaded set, found by id for readers
 * and the newest of each kind for writers, and their training by the
 * indexer once the store holds STORE_DICT_TRAIN_MESSAGES messages. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/body-codec.h"
#include "store/sqlite/sqlite-private.h"

/* More dictionaries than a store ever gets (two, or a few if indexers of
 * several processes trained at once): a longer table is damage, and a
 * handle never holds more than this many. */
#define SQ_DICTS_MAX 16

static struct store_dict *sq_dict_row(sqlite3_stmt *s, const char *who)
{
	int64_t id = sqlite3_column_int64(s, 0);
	int kind = sqlite3_column_int(s, 1);
	struct store_dict *d = NULL;

	if (id > 0 && id <= UINT32_MAX && (kind == STORE_DICT_BODY || kind == STORE_DICT_SUMMARY))
		d = store_dict_create((uint32_t)id, (enum store_dict_kind)kind,
				      sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
	if (d == NULL)
		log_error("store %s: dictionary %lld is damaged (run `petrel check`)", who,
			  (long long)id);
	return d;
}

/* Loads the rows the handle does not have yet. */
static enum store_result sq_dicts_load(struct sq_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT id, kind, dict FROM dicts ORDER BY id", -1, &s,
				    NULL);
	int64_t rows = 0;

	while (s != NULL && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint32_t id = (uint32_t)sqlite3_column_int64(s, 0);
		bool have = false;

		rows++;
		for (size_t i = 0; i < st->dict_count && !have; i++)
			have = store_dict_id(st->dicts[i]) == id;
		if (have || st->dict_count == SQ_DICTS_MAX)
			continue;
		struct store_dict *d = sq_dict_row(s, st->user);

		if (d != NULL) {
			if (st->dicts == NULL)
				st->dicts = xcalloc(SQ_DICTS_MAX, sizeof(*st->dicts));
			st->dicts[st->dict_count++] = d;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "load dictionaries");
	st->dict_rows = rows;
	return STORE_OK;
}

struct store_dict *sq_dict_find(void *ctx, uint32_t id)
{
	struct sq_store *st = ctx;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < st->dict_count; i++) {
			if (store_dict_id(st->dicts[i]) == id)
				return store_dict_ref(st->dicts[i]);
		}
		if (pass == 0 && sq_dicts_load(st) != STORE_OK)
			break;
	}
	return NULL;
}

void sq_dicts_for_writing(struct sq_store *st, struct message_in_dicts *out)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_DICT_COUNT);
	int64_t rows = -1;

	memset(out, 0, sizeof(*out));
	/* One cheap count per message: the indexer may have trained them
	 * since this handle looked. */
	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		rows = sqlite3_column_int64(s, 0);
	if (s != NULL)
		sqlite3_reset(s);
	if (rows > 0 && rows != st->dict_rows)
		(void)sq_dicts_load(st);    /* failing, the message is stored without */
	for (size_t i = 0; i < st->dict_count; i++) {
		struct store_dict *d = st->dicts[i];

		if (store_dict_kind(d) == STORE_DICT_BODY)
			out->body = d;
		else if (store_dict_kind(d) == STORE_DICT_SUMMARY)
			out->summary = d;
	}
}

void sq_dicts_free(struct sq_store *st)
{
	for (size_t i = 0; i < st->dict_count; i++)
		store_dict_unref(&st->dicts[i]);
	free(st->dicts);
	st->dicts = NULL;
	st->dict_count = 0;
	st->dict_rows = 0;
}

/* ---- training (the indexer's connection) ---- */

struct sq_dict_db {
	sqlite3 *db;
	const char *who;
};

/* store_dict_find over a connection without a handle: one row by id. */
static struct store_dict *sq_dict_find_db(void *ctx, uint32_t id)
{
	struct sq_dict_db *dd = ctx;
	sqlite3_stmt *s = NULL;
	struct store_dict *d = NULL;

	if (sqlite3_prepare_v2(dd->db, "SELECT id, kind, dict FROM dicts WHERE id = ?1", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW)
			d = sq_dict_row(s, dd->who);
	}
	sqlite3_finalize(s);
	return d;
}

/* Samples for one kind, appended into samples/sizes. */
struct sq_samples {
	unsigned char *data;
	size_t used, max;
	size_t *sizes;
	unsigned int count;
};

static void sq_sample_add(struct sq_samples *sm, const void *data, size_t len)
{
	if (len == 0 || len > sm->max - sm->used || sm->count >= STORE_DICT_TRAIN_MESSAGES)
		return;
	memcpy(sm->data + sm->used, data, len);
	sm->used += len;
	sm->sizes[sm->count++] = len;
}

/* The first STORE_DICT_BODY_SAMPLE bytes of the oldest inline bodies, or
 * the oldest summaries (unpacked). */
static int sq_samples_read(struct sq_dict_db *dd, enum store_dict_kind kind,
			   struct sq_samples *sm)
{
	const char *sql = kind == STORE_DICT_BODY ?
		"SELECT size, codec, data FROM blobs WHERE data IS NOT NULL ORDER BY id LIMIT ?1" :
		"SELECT summary FROM blobs WHERE summary IS NOT NULL ORDER BY id LIMIT ?1";
	sqlite3_stmt *s = NULL;
	unsigned char *chunk = kind == STORE_DICT_BODY ? xmalloc(STORE_DICT_BODY_SAMPLE) : NULL;
	struct buf unpacked;
	int rc = sqlite3_prepare_v2(dd->db, sql, -1, &s, NULL);

	buf_init(&unpacked, MAIL_SUMMARY_MAX);
	if (rc == SQLITE_OK)
		sqlite3_bind_int(s, 1, STORE_DICT_TRAIN_MESSAGES);
	while (s != NULL && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (kind == STORE_DICT_SUMMARY) {
			const void *plain;
			size_t len;

			if (store_summary_unpack(sqlite3_column_blob(s, 0),
						 (size_t)sqlite3_column_bytes(s, 0), sq_dict_find_db,
						 dd, &unpacked, &plain, &len) == STORE_OK)
				sq_sample_add(sm, plain, len);
			continue;
		}
		uint64_t size = (uint64_t)sqlite3_column_int64(s, 0);
		int codec = sqlite3_column_int(s, 1);
		size_t want = size < STORE_DICT_BODY_SAMPLE ? (size_t)size : STORE_DICT_BODY_SAMPLE;
		struct body_codec_reader *reader = NULL;

		if (!body_codec_known(codec) ||
		    body_codec_reader_open((enum body_codec)codec, size,
					   (uint64_t)sqlite3_column_bytes(s, 2),
					   sqlite3_column_blob(s, 2), NULL, NULL, sq_dict_find_db, dd,
					   dd->who, &reader) != STORE_OK)
			continue;       /* logged; `petrel check` reports it */
		if (body_codec_read(reader, 0, chunk, want) == STORE_OK)
			sq_sample_add(sm, chunk, want);
		body_codec_reader_free(&reader);
	}
	sqlite3_finalize(s);
	free(chunk);
	buf_free(&unpacked);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_OK : rc;
}

/* Trains and stores one kind's dictionary. *stored_r: one was stored (by
 * this call, or by another process meanwhile). */
static enum store_result sq_dict_train_kind(struct sq_dict_db *dd, enum store_dict_kind kind)
{
	size_t max = kind == STORE_DICT_BODY ? STORE_DICT_BODY_BYTES : STORE_DICT_SUMMARY_BYTES;
	/* zstd's advice: about 100 times the dictionary's size to learn from. */
	struct sq_samples sm = { .max = 100 * max };
	sqlite3_stmt *s = NULL;
	void *dict = NULL;
	size_t len = 0;
	int rc;

	sm.data = xmalloc(sm.max);
	sm.sizes = xcalloc(STORE_DICT_TRAIN_MESSAGES, sizeof(*sm.sizes));
	rc = sq_samples_read(dd, kind, &sm);
	if (rc == SQLITE_OK)
		store_dict_train(sm.data, sm.sizes, sm.count, max, &dict, &len);
	free(sm.data);
	free(sm.sizes);
	if (rc != SQLITE_OK)
		return sq_map_db(dd->db, rc) == STORE_OK ? STORE_ERROR : sq_map_db(dd->db, rc);
	/* None to be made from this mail (zstd needs more, or more varied,
	 * text): said once, so the first messages are not read again at
	 * every indexer run. Their mail is stored without this dictionary. */
	if (dict == NULL)
		rc = sqlite3_prepare_v2(dd->db, "INSERT OR REPLACE INTO meta (key, value)"
					" VALUES ('dict_untrainable_' || ?1, 1)", -1, &s, NULL);
	else
		rc = sqlite3_prepare_v2(dd->db, "INSERT INTO dicts (id, kind, dict) SELECT ?2, ?1, ?3"
					" WHERE NOT EXISTS (SELECT 1 FROM dicts WHERE kind = ?1)"
					" AND NOT EXISTS (SELECT 1 FROM dicts WHERE id = ?2)", -1,
					&s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(s, 1, kind);
		if (dict != NULL) {
			sqlite3_bind_int64(s, 2, store_dict_bytes_id(dict, len));
			sqlite3_bind_blob(s, 3, dict, (int)len, SQLITE_STATIC);
		}
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	free(dict);
	if (rc != SQLITE_DONE)
		return sq_map_db(dd->db, rc) == STORE_OK ? STORE_ERROR : sq_map_db(dd->db, rc);
	if (dict != NULL)
		log_info("store %s: trained a %s dictionary (%zu bytes)", dd->who,
			 kind == STORE_DICT_BODY ? "body" : "summary", len);
	return STORE_OK;
}

enum store_result sq_dicts_settled(sqlite3 *db, bool *settled_r)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT (SELECT count(DISTINCT kind) FROM dicts) +"
				    " (SELECT count(*) FROM meta WHERE key LIKE 'dict_untrainable_%')",
				    -1, &s, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	*settled_r = rc == SQLITE_ROW && sqlite3_column_int(s, 0) >= 2;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

enum store_result sq_dicts_train(sqlite3 *db, const char *who)
{
	static const enum store_dict_kind kinds[] = { STORE_DICT_BODY, STORE_DICT_SUMMARY };
	struct sq_dict_db dd = { .db = db, .who = who };
	enum store_result r = STORE_OK;

	for (size_t i = 0; r == STORE_OK && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		sqlite3_stmt *s = NULL;
		bool due = false;
		int rc = sqlite3_prepare_v2(db, "SELECT NOT EXISTS (SELECT 1 FROM dicts WHERE kind = ?1)"
					    " AND NOT EXISTS (SELECT 1 FROM meta WHERE key ="
					    " 'dict_untrainable_' || ?1) AND (SELECT count(*) FROM"
					    " (SELECT 1 FROM blobs LIMIT ?2)) >= ?2", -1, &s, NULL);

		if (rc == SQLITE_OK) {
			sqlite3_bind_int(s, 1, kinds[i]);
			sqlite3_bind_int(s, 2, STORE_DICT_TRAIN_MESSAGES);
			rc = sqlite3_step(s);
			due = rc == SQLITE_ROW && sqlite3_column_int(s, 0) != 0;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_ROW)
			return sq_map_db(db, rc) == STORE_OK ? STORE_ERROR : sq_map_db(db, rc);
		if (due)
			r = sq_dict_train_kind(&dd, kinds[i]);
	}
	return r;
}
