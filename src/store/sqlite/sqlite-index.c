/* The indexer: moves delivered search text from store.db's text_pending
 * into search.db (text_store, packed, and the FTS5 text_index), and drops
 * the rows of deleted blobs (text_gone), and converts a first-format
 * search.db before anything else, on a connection of its own so it runs
 * beside the user's store jobs. Trigram indexing costs more CPU than the rest of a delivery
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

/* What FTS5 supports on this table (SQLite 3.40, Debian 12; checked, and
 * in the FTS5 documentation): with detail=none a phrase of more than one
 * token is refused ("phrase queries are not supported (detail!=full)"),
 * and so is a column filter ("column queries are not supported
 * (detail=none)"), so SEARCH asks for each of the needle's trigrams
 * anywhere in the message (AND) and verifies the candidates against
 * text_store (sqlite-search.c). With content='' the columns read back as
 * NULL, so LIKE and GLOB find nothing. A contentless table forgets a row
 * only through the 'delete' command given the very values it indexed
 * (contentless_delete=1 needs SQLite 3.43): they are unpacked from
 * text_store for it, which must therefore change only together with the
 * index, in this file. */
#define IX_UNPACKED "petrel_text_unpack(subject), petrel_text_unpack(hfrom)," \
	" petrel_text_unpack(hto), petrel_text_unpack(hcc), petrel_text_unpack(hbcc)," \
	" petrel_text_unpack(header), petrel_text_unpack(mime), petrel_text_unpack(body)"
#define IX_PACKED "petrel_text_pack(subject), petrel_text_pack(hfrom)," \
	" petrel_text_pack(hto), petrel_text_pack(hcc), petrel_text_pack(hbcc)," \
	" petrel_text_pack(header), petrel_text_pack(mime), petrel_text_pack(body)"

#define IX_STATEMENTS(X) \
	X(GONE, "SELECT blob_id FROM main.text_gone ORDER BY blob_id LIMIT ?1") \
	X(PENDING, "SELECT blob_id FROM main.text_pending ORDER BY blob_id LIMIT ?1") \
	X(DROP_INDEX, "INSERT INTO search.text_index (text_index, rowid, " SQ_TEXT_COLUMNS ")" \
	  " SELECT 'delete', blob_id, " IX_UNPACKED " FROM search.text_store WHERE blob_id = ?1") \
	X(DROP_STORE, "DELETE FROM search.text_store WHERE blob_id = ?1") \
	X(ADD_STORE, "INSERT INTO search.text_store (blob_id, " SQ_TEXT_COLUMNS ")" \
	  " SELECT blob_id, " IX_PACKED " FROM main.text_pending" \
	  " WHERE blob_id >= ?1 AND blob_id <= ?2") \
	X(ADD_INDEX, "INSERT INTO search.text_index (rowid, " SQ_TEXT_COLUMNS ")" \
	  " SELECT blob_id, " SQ_TEXT_COLUMNS " FROM main.text_pending" \
	  " WHERE blob_id >= ?1 AND blob_id <= ?2") \
	X(PENDING_DONE, "DELETE FROM main.text_pending WHERE blob_id = ?1") \
	X(GONE_DONE, "DELETE FROM main.text_gone WHERE blob_id = ?1") \
	X(LEFT, "SELECT (SELECT count(*) FROM (SELECT 1 FROM main.text_pending LIMIT ?1))," \
	  " EXISTS (SELECT 1 FROM main.text_gone)") \
	X(VACUUM_DUE, "SELECT count(*) FROM search.text_meta WHERE key = 'vacuum_due'")

/* The conversion of a first-format index (blob_text: the text inside
 * FTS5, with positions), prepared only while it exists. Its rows are
 * copied in rowid order, UPGRADE_BATCH at a time, 'upgrade_high' the last
 * one copied; blob_text is dropped at the end (then search.db is vacuumed
 * to give its pages back). Meanwhile SEARCH reads blob_text as before for
 * the rows not yet copied (sqlite-search.c), and the batches above drop
 * a row from both tables. */
#define IX_UPGRADE_STATEMENTS(X) \
	X(OLD_DROP, "DELETE FROM search.blob_text WHERE rowid = ?1") \
	X(UP_HIGH, "SELECT coalesce((SELECT value FROM search.text_meta" \
	  " WHERE key = 'upgrade_high'), 0)") \
	X(UP_NEXT, "SELECT max(rowid) FROM (SELECT rowid FROM search.blob_text" \
	  " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2)") \
	X(UP_STORE, "INSERT INTO search.text_store (blob_id, " SQ_TEXT_COLUMNS ")" \
	  " SELECT rowid, " IX_PACKED " FROM search.blob_text WHERE rowid > ?1 AND rowid <= ?2") \
	X(UP_INDEX, "INSERT INTO search.text_index (rowid, " SQ_TEXT_COLUMNS ")" \
	  " SELECT rowid, " SQ_TEXT_COLUMNS " FROM search.blob_text" \
	  " WHERE rowid > ?1 AND rowid <= ?2") \
	X(UP_SET, "INSERT OR REPLACE INTO search.text_meta (key, value)" \
	  " VALUES ('upgrade_high', ?1)")

/* Rows of blob_text copied per conversion batch: a few times the
 * indexer's batch (copying reads one table instead of two and writes no
 * positions); one batch of jwz's mail takes well under a second. */
#define IX_UPGRADE_BATCH (4 * SQ_INDEX_BATCH)

#define IX_ENUM(id, sql) IX_##id,
/* IX_COUNT: the statements always prepared; the conversion's follow. */
enum ix_stmt { IX_STATEMENTS(IX_ENUM) IX_UPGRADE_STATEMENTS(IX_ENUM) IX_ALL,
	IX_COUNT = IX_OLD_DROP, IX_UPGRADE_FIRST = IX_OLD_DROP };
#undef IX_ENUM

struct indexer {
	sqlite3 *db;
	const char *user;
	sqlite3_stmt *stmts[IX_ALL];
	struct sq_unpacker unpacker;  /* petrel_text_unpack()'s */
	struct sq_packer packer;      /* petrel_text_pack()'s */
	bool dict_tried;              /* sq_text_dict() trained in this run */
	bool upgrading;               /* blob_text exists: IX_UPGRADE_* prepared */
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

/* 1 when search.db has the table, 0 if not, -1 on error. */
static int ix_has_table(struct indexer *ix, const char *name)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(ix->db, "SELECT count(*) FROM search.sqlite_master WHERE name = ?1",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0) > 0;
		sqlite3_finalize(s);
	}
	return n;
}

static enum store_result ix_prepare(struct indexer *ix, int first, int end)
{
	static const char *const sqls[] = {
#define IX_SQL(id, sql) [IX_##id] = sql,
		IX_STATEMENTS(IX_SQL)
		IX_UPGRADE_STATEMENTS(IX_SQL)
#undef IX_SQL
	};

	for (int i = first; i < end; i++) {
		int rc = sqlite3_prepare_v3(ix->db, sqls[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &ix->stmts[i], NULL);

		if (rc != SQLITE_OK)
			return ix_fail(ix, rc, sqls[i]);
	}
	return STORE_OK;
}

static void ix_finalize(struct indexer *ix, int first, int end)
{
	for (int i = first; i < end; i++) {
		sqlite3_finalize(ix->stmts[i]);
		ix->stmts[i] = NULL;
	}
}

static enum store_result ix_open(struct indexer *ix, const char *data_dir, const char *user,
				 const atomic_bool *stop)
{
	char dir[4096], path[4200], uri[3 * 4200 + 16], sql[3 * 4200 + 64];
	int n = snprintf(dir, sizeof(dir), "%s/users/%s", data_dir, user);
	int rc, old;

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
	if (!sq_text_functions(ix->db, &ix->unpacker, &ix->packer))
		return ix_fail(ix, sqlite3_errcode(ix->db), "text functions");
	snprintf(path, sizeof(path), "%s/" SQ_SEARCH_DB, dir);
	if (!sq_uri(uri, sizeof(uri), path, "mode=rw"))
		return STORE_INVALID;
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS search", uri);
	/* search.db's rows are the only copy of the text once text_pending
	 * lets go of it: synchronous=FULL on both files. */
	enum store_result r = ix_exec(ix, sql);
	if (r == STORE_OK)
		r = ix_exec(ix, "PRAGMA main.synchronous=FULL; PRAGMA search.synchronous=FULL; "
			    SQ_WAL_LIMITS("main") " " SQ_WAL_LIMITS("search"));
	/* store_open() made search.db's tables (it runs before any indexer:
	 * text waits only in a store that was opened). */
	if (r == STORE_OK && ix_has_table(ix, "text_store") != 1) {
		log_error("store %s: indexer: search.db has no text_store", user);
		r = STORE_ERROR;
	}
	if (r == STORE_OK)
		r = ix_prepare(ix, 0, IX_COUNT);
	old = r == STORE_OK ? ix_has_table(ix, "blob_text") : 0;
	if (old < 0)
		r = ix_fail(ix, sqlite3_errcode(ix->db), "search.db tables");
	ix->upgrading = old == 1;
	if (r == STORE_OK && ix->upgrading)
		r = ix_prepare(ix, IX_UPGRADE_FIRST, IX_ALL);
	return r;
}

static void ix_close(struct indexer *ix)
{
	ix_finalize(ix, 0, IX_ALL);
	sqlite3_close_v2(ix->db);
	sq_unpacker_free(&ix->unpacker);
	sq_packer_free(&ix->packer);
}

/* Forgets one blob's text: its index entries (the 'delete' command with
 * the stored text), its stored text, and its first-format row. */
static enum store_result ix_drop(struct indexer *ix, int64_t id)
{
	enum store_result r = ix_run(ix, IX_DROP_INDEX, id, -1);

	if (r == STORE_OK)
		r = ix_run(ix, IX_DROP_STORE, id, -1);
	if (r == STORE_OK && ix->upgrading)
		r = ix_run(ix, IX_OLD_DROP, id, -1);
	return r;
}

static bool ix_vacuum_due(struct indexer *ix)
{
	sqlite3_stmt *s = ix_stmt(ix, IX_VACUUM_DUE);
	bool due = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;

	sqlite3_reset(s);
	return due;
}

/* The packer's dictionary, trained when there is text enough (once a
 * run: training costs a second, and failing says there is not enough). */
static enum store_result ix_dict(struct indexer *ix)
{
	enum store_result r;
	bool trained = false;

	if (ix->packer.cdict != NULL || ix->dict_tried)
		return STORE_OK;
	r = ix_exec(ix, "BEGIN");
	if (r != STORE_OK)
		return r;
	r = sq_text_dict(ix->db, &ix->unpacker, &ix->packer, &trained);
	if (r != STORE_OK)
		log_error("store %s: indexer: cannot make the text dictionary: %s", ix->user,
			  sqlite3_errmsg(ix->db));
	ix->dict_tried = trained;
	return ix_exec(ix, r == STORE_OK ? "COMMIT" : "ROLLBACK") == STORE_OK ? r : STORE_ERROR;
}

/* One step of converting a first-format index (IX_UPGRADE_STATEMENTS):
 * a batch of rows copied, or blob_text dropped once all are, or search.db
 * vacuumed after that. *did_r: there was such work. */
static enum store_result ix_upgrade(struct indexer *ix, bool *did_r)
{
	enum store_result r;
	sqlite3_stmt *s;
	int64_t high = 0, next = 0;
	int rc;

	*did_r = false;
	if (!ix->upgrading) {
		if (!ix_vacuum_due(ix))
			return STORE_OK;
		/* Outside a transaction, as VACUUM must be; interrupted, it is
		 * simply done again next time. */
		r = ix_exec(ix, "VACUUM search");
		if (r == STORE_OK)
			r = ix_exec(ix, "DELETE FROM search.text_meta WHERE key = 'vacuum_due'");
		*did_r = r == STORE_OK;
		return r;
	}
	/* Deferred: BEGIN IMMEDIATE would take store.db's write lock too. */
	r = ix_exec(ix, "BEGIN");
	if (r != STORE_OK)
		return r;
	s = ix_stmt(ix, IX_UP_HIGH);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		high = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW) {
		s = ix_stmt(ix, IX_UP_NEXT);
		sqlite3_bind_int64(s, 1, high);
		sqlite3_bind_int(s, 2, IX_UPGRADE_BATCH);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			next = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 :
				sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	r = rc == SQLITE_ROW ? STORE_OK : ix_fail(ix, rc, "upgrade position");
	if (r == STORE_OK && next > high) {
		r = ix_run(ix, IX_UP_STORE, high, next);
		if (r == STORE_OK)
			r = ix_run(ix, IX_UP_INDEX, high, next);
		if (r == STORE_OK)
			r = ix_run(ix, IX_UP_SET, next, -1);
	} else if (r == STORE_OK) {
		/* Every row copied: the statements naming blob_text go first
		 * (DROP TABLE refuses while they exist). */
		ix_finalize(ix, IX_UPGRADE_FIRST, IX_ALL);
		ix->upgrading = false;
		r = ix_exec(ix, "DROP TABLE search.blob_text;"
			    " DELETE FROM search.text_meta WHERE key = 'upgrade_high';"
			    " INSERT OR REPLACE INTO search.text_meta (key, value)"
			    " VALUES ('vacuum_due', 1)");
		if (r == STORE_OK)
			log_info("store %s: search index converted to the compact format",
				 ix->user);
	}
	r = ix_exec(ix, r == STORE_OK ? "COMMIT" : "ROLLBACK") == STORE_OK ? r : STORE_ERROR;
	*did_r = r == STORE_OK;
	return r;
}

/* The text just moved out of store.db's text_pending leaves its pages free:
 * a store that waited for the indexer through a big import would keep the
 * whole import's text as free pages (43 % of a 100,000-message store.db).
 * Past this many bytes of free pages, they go back to the file system
 * (auto_vacuum=INCREMENTAL, set when the store is made; a no-op on stores
 * made before it). Below it they are left for the next deliveries, which
 * would take them again at once. */
#define IX_FREE_BYTES_KEEP (1024 * 1024)

static int64_t ix_pragma_int(struct indexer *ix, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void ix_give_back(struct indexer *ix)
{
	int64_t free_pages = ix_pragma_int(ix, "PRAGMA main.freelist_count");

	if (free_pages > 0 &&
	    free_pages * ix_pragma_int(ix, "PRAGMA main.page_size") > IX_FREE_BYTES_KEEP)
		(void)ix_exec(ix, "PRAGMA main.incremental_vacuum");   /* logged if it fails */
}

/* search.db's WAL, emptied once the indexer has nothing left: the
 * store's connection attaches search.db read-only, so no close of it
 * checkpoints or removes the WAL, which would otherwise hold the last
 * batches' pages on disk until the next start (5.8 MB after a
 * 1,000-message load). TRUNCATE waits for readers of older snapshots:
 * only briefly here, a SEARCH may be running; the next run retries. */
#define IX_TRUNCATE_WAIT_MS 100

static void ix_truncate_wal(struct indexer *ix)
{
	sqlite3_busy_timeout(ix->db, IX_TRUNCATE_WAIT_MS);
	(void)sqlite3_wal_checkpoint_v2(ix->db, "search", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
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
		r = ix_drop(ix, ix->gone[i]);
	for (unsigned int i = 0; r == STORE_OK && i < ix->pending_count; i++)
		r = ix_drop(ix, ix->pending[i]);
	/* The ids were read ascending in this snapshot: the range is the set. */
	if (r == STORE_OK && ix->pending_count > 0)
		r = ix_run(ix, IX_ADD_STORE, ix->pending[0], ix->pending[ix->pending_count - 1]);
	if (r == STORE_OK && ix->pending_count > 0)
		r = ix_run(ix, IX_ADD_INDEX, ix->pending[0], ix->pending[ix->pending_count - 1]);
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
	if (r == STORE_OK)
		ix_give_back(ix);
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
	/* The store's dictionaries, once it has mail enough to learn from
	 * (sqlite-dict.c): a failure leaves mail stored without them. */
	if (r == STORE_OK && (stop == NULL || !atomic_load(stop)) &&
	    sq_dicts_train(ix->db, user) != STORE_OK)
		log_warn("store %s: dictionaries not trained (see above)", user);
	while (r == STORE_OK && did && (max_batches == 0 || batches < max_batches)) {
		if (stop != NULL && atomic_load(stop)) {
			r = STORE_BUSY;
			break;
		}
		r = ix_dict(ix);
		if (r == STORE_OK)
			r = ix_upgrade(ix, &did);
		if (r == STORE_OK && !did)
			r = ix_batch(ix, max_batches == 0, &did);
		batches += did;
	}
	if (r == STORE_OK && did && (ix->upgrading || ix_vacuum_due(ix))) {
		*more_r = true;
	} else if (r == STORE_OK && did) {
		/* Stopped at max_batches: is a full batch or a removal left? */
		sqlite3_stmt *s = ix_stmt(ix, IX_LEFT);

		sqlite3_bind_int(s, 1, SQ_INDEX_BATCH);
		if (sqlite3_step(s) == SQLITE_ROW)
			*more_r = sqlite3_column_int(s, 0) >= SQ_INDEX_BATCH ||
				sqlite3_column_int(s, 1) != 0;
		sqlite3_reset(s);
	}
	if (r == STORE_OK && !*more_r)
		ix_truncate_wal(ix);
	ix_close(ix);
	free(ix);
	return r;
}

enum store_result sq_train_dicts(const struct store_env *env, const char *user,
				 bool *settled_r)
{
	struct indexer *ix = xcalloc(1, sizeof(*ix));
	enum store_result r = ix_open(ix, env->location, user, NULL);

	if (r == STORE_OK)
		r = sq_dicts_train(ix->db, user);
	if (r == STORE_OK)
		r = sq_dicts_settled(ix->db, settled_r);
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
