/* The indexer: moves delivered search text from store.db's text_pending
 * into search.db's FTS5 table, and drops the rows of deleted blobs
 * (text_gone), on a connection of its own so it runs beside the user's
 * store jobs. Trigram indexing costs more CPU than the rest of a delivery
 * (about 0.5 ms for a 3 KB message); done inside delivery it halved the
 * APPEND rate, done here it uses another core.
 *
 * One batch is two transactions:
 *   1. search.db: delete the rows of the batch's gone and pending ids
 *      (pending ones are there only if a crash came between 1 and 2), then
 *      insert the pending rows; commit;
 *   2. store.db: delete exactly those pending and gone rows; commit.
 * A crash between them repeats the batch, which gives the same index.
 * Ids are never reused (sqlite-private.h BLOB_INSERT), so a row found in
 * both places for a moment, or a gone blob's row not yet dropped, can
 * never stand for another message; SEARCH reads both tables. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

#define IX_STATEMENTS(X) \
	X(GONE, "SELECT blob_id FROM main.text_gone ORDER BY blob_id LIMIT ?1") \
	X(PENDING, "SELECT blob_id FROM main.text_pending ORDER BY blob_id LIMIT ?1") \
	X(DROP, "DELETE FROM search.blob_text WHERE rowid = ?1") \
	X(ADD, "INSERT INTO search.blob_text (rowid, subject, hfrom, hto, hcc, hbcc, header," \
	  " mime, body) SELECT blob_id, subject, hfrom, hto, hcc, hbcc, header, mime, body" \
	  " FROM main.text_pending WHERE blob_id >= ?1 AND blob_id <= ?2") \
	X(PENDING_DONE, "DELETE FROM main.text_pending WHERE blob_id = ?1") \
	X(GONE_DONE, "DELETE FROM main.text_gone WHERE blob_id = ?1") \
	X(LEFT, "SELECT (SELECT count(*) FROM (SELECT 1 FROM main.text_pending LIMIT ?1))," \
	  " EXISTS (SELECT 1 FROM main.text_gone)")

#define IX_ENUM(id, sql) IX_##id,
enum ix_stmt { IX_STATEMENTS(IX_ENUM) IX_COUNT };
#undef IX_ENUM

struct indexer {
	sqlite3 *db;
	const char *user;
	sqlite3_stmt *stmts[IX_COUNT];
	int64_t gone[SQ_INDEX_BATCH], pending[SQ_INDEX_BATCH];
	unsigned int gone_count, pending_count;
};

static enum store_result ix_fail(struct indexer *ix, int rc, const char *what)
{
	enum store_result r;

	if ((rc & 0xff) == SQLITE_INTERRUPT)
		return STORE_BUSY;   /* stopped on purpose (store_index_text()) */
	r = sq_map_db(ix->db, rc);
	log_error("store %s: indexer: %s: %s", ix->user, what,
		  ix->db != NULL ? sqlite3_errmsg(ix->db) : sqlite3_errstr(rc));
	return r == STORE_OK ? STORE_ERROR : r;
}

static enum store_result ix_exec(struct indexer *ix, const char *sql)
{
	int rc = sqlite3_exec(ix->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : ix_fail(ix, rc, sql);
}

static sqlite3_stmt *ix_stmt(struct indexer *ix, enum ix_stmt id)
{
	sqlite3_reset(ix->stmts[id]);
	sqlite3_clear_bindings(ix->stmts[id]);
	return ix->stmts[id];
}

/* Runs a statement binding ?1 (and ?2 when b >= 0) to the end. */
static enum store_result ix_run(struct indexer *ix, enum ix_stmt id, int64_t a, int64_t b)
{
	sqlite3_stmt *s = ix_stmt(ix, id);
	int rc;

	sqlite3_bind_int64(s, 1, a);
	if (b >= 0)
		sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : ix_fail(ix, rc, "index statement");
}

static enum store_result ix_ids(struct indexer *ix, enum ix_stmt id, int64_t *ids,
				unsigned int *count_r)
{
	sqlite3_stmt *s = ix_stmt(ix, id);
	int rc;

	*count_r = 0;
	sqlite3_bind_int(s, 1, SQ_INDEX_BATCH);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *count_r < SQ_INDEX_BATCH)
		ids[(*count_r)++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : ix_fail(ix, rc, "list text");
}

/* SQLite's progress callback: non-zero interrupts the statement. */
static int ix_progress(void *arg)
{
	return atomic_load((const atomic_bool *)arg) ? 1 : 0;
}

static enum store_result ix_open(struct indexer *ix, const char *data_dir, const char *user,
				 const atomic_bool *stop)
{
	char dir[4096], path[4200], uri[3 * 4200 + 16], sql[3 * 4200 + 64];
	int n = snprintf(dir, sizeof(dir), "%s/users/%s", data_dir, user);
	int rc;

	ix->user = user;
	if (n < 0 || (size_t)n >= sizeof(dir) || !sq_user_ok(user))
		return STORE_INVALID;
	/* A damaged store is read-only (store.h "Damage"), for the indexer too. */
	snprintf(path, sizeof(path), "%s/" SQ_DAMAGED_FILE, dir);
	if (access(path, F_OK) == 0)
		return STORE_READ_ONLY;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	/* No SQLITE_OPEN_CREATE: only a store that exists has text to index. */
	rc = sqlite3_open_v2(path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK)
		return (rc & 0xff) == SQLITE_CANTOPEN ? STORE_NOT_FOUND : ix_fail(ix, rc, "open");
	sqlite3_extended_result_codes(ix->db, 1);
	sqlite3_busy_timeout(ix->db, SQ_BUSY_MS);
	if (stop != NULL)
		sqlite3_progress_handler(ix->db, 1000, ix_progress, (void *)stop);
	snprintf(path, sizeof(path), "%s/" SQ_SEARCH_DB, dir);
	if (!sq_uri(uri, sizeof(uri), path, "mode=rw"))
		return STORE_INVALID;
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS search", uri);
	/* search.db's rows are the only copy of the text once text_pending
	 * lets go of it: synchronous=FULL on both files. */
	enum store_result r = ix_exec(ix, sql);
	if (r == STORE_OK)
		r = ix_exec(ix, "PRAGMA main.synchronous=FULL; PRAGMA search.synchronous=FULL");
	for (int i = 0; r == STORE_OK && i < IX_COUNT; i++) {
		static const char *const sqls[] = {
#define IX_SQL(id, sql) sql,
			IX_STATEMENTS(IX_SQL)
#undef IX_SQL
		};
		rc = sqlite3_prepare_v3(ix->db, sqls[i], -1, SQLITE_PREPARE_PERSISTENT,
					&ix->stmts[i], NULL);
		if (rc != SQLITE_OK)
			r = ix_fail(ix, rc, sqls[i]);
	}
	return r;
}

static void ix_close(struct indexer *ix)
{
	for (int i = 0; i < IX_COUNT; i++)
		sqlite3_finalize(ix->stmts[i]);
	sqlite3_close_v2(ix->db);
}

/* One batch (the header's two transactions). *did_r: there was work. */
static enum store_result ix_batch(struct indexer *ix, bool partial, bool *did_r)
{
	enum store_result r = ix_exec(ix, "BEGIN");

	*did_r = false;
	if (r != STORE_OK)
		return r;
	r = ix_ids(ix, IX_GONE, ix->gone, &ix->gone_count);
	if (r == STORE_OK)
		r = ix_ids(ix, IX_PENDING, ix->pending, &ix->pending_count);
	if (r == STORE_OK && ix->pending_count < SQ_INDEX_BATCH && !partial)
		ix->pending_count = 0;
	if (r != STORE_OK || (ix->gone_count == 0 && ix->pending_count == 0)) {
		ix_exec(ix, "ROLLBACK");
		return r;
	}
	for (unsigned int i = 0; r == STORE_OK && i < ix->gone_count; i++)
		r = ix_run(ix, IX_DROP, ix->gone[i], -1);
	for (unsigned int i = 0; r == STORE_OK && i < ix->pending_count; i++)
		r = ix_run(ix, IX_DROP, ix->pending[i], -1);
	/* The ids were read ascending in this snapshot: the range is the set. */
	if (r == STORE_OK && ix->pending_count > 0)
		r = ix_run(ix, IX_ADD, ix->pending[0], ix->pending[ix->pending_count - 1]);
	r = ix_exec(ix, r == STORE_OK ? "COMMIT" : "ROLLBACK") == STORE_OK ? r : STORE_ERROR;
	if (r != STORE_OK)
		return r;
	r = ix_exec(ix, "BEGIN IMMEDIATE");
	for (unsigned int i = 0; r == STORE_OK && i < ix->pending_count; i++)
		r = ix_run(ix, IX_PENDING_DONE, ix->pending[i], -1);
	for (unsigned int i = 0; r == STORE_OK && i < ix->gone_count; i++)
		r = ix_run(ix, IX_GONE_DONE, ix->gone[i], -1);
	if (r == STORE_OK)
		r = ix_exec(ix, "COMMIT");
	if (r != STORE_OK)
		ix_exec(ix, "ROLLBACK");
	*did_r = r == STORE_OK;
	return r;
}

enum store_result sq_index_text(const struct store_env *env, const char *user,
				unsigned int max_batches, const atomic_bool *stop, bool *more_r)
{
	struct indexer *ix = xcalloc(1, sizeof(*ix));
	enum store_result r = ix_open(ix, env->location, user, stop);
	unsigned int batches = 0;
	bool did = true;

	*more_r = false;
	while (r == STORE_OK && did && (max_batches == 0 || batches < max_batches)) {
		if (stop != NULL && atomic_load(stop)) {
			r = STORE_BUSY;
			break;
		}
		r = ix_batch(ix, max_batches == 0, &did);
		batches += did;
	}
	if (r == STORE_OK && did) {
		/* Stopped at max_batches: is a full batch or a removal left? */
		sqlite3_stmt *s = ix_stmt(ix, IX_LEFT);

		sqlite3_bind_int(s, 1, SQ_INDEX_BATCH);
		if (sqlite3_step(s) == SQLITE_ROW)
			*more_r = sqlite3_column_int(s, 0) >= SQ_INDEX_BATCH ||
				sqlite3_column_int(s, 1) != 0;
		sqlite3_reset(s);
	}
	ix_close(ix);
	free(ix);
	return r;
}

bool sq_index_due(struct store *store)
{
	struct sq_store *st = sq_store(store);

	if (st->index_backlog < SQ_INDEX_BATCH)
		return false;
	st->index_backlog = 0;
	return true;
}
