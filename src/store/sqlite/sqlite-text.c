/* The stored search text's encoding in search.db (text_store): a value
 * is either plain TEXT or, when zstd makes it smaller, a BLOB holding one
 * zstd frame of the text (its size in the frame header), made with
 * search.db's dictionary (text_dict) once there is one (the frame names
 * its dictionary's id). Packing happens in the indexer (an SQL function on
 * its connection); unpacking in C for SEARCH, and as an SQL function for
 * the indexer's FTS5 'delete', which needs the exact text it indexed.
 * Never trusts a frame's claimed size past SQ_TEXT_UNPACK_MAX. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

/* Shorter text is stored as it is: a zstd frame's own header and the
 * few bytes it could save are not worth a decompression per read. */
#define SQ_TEXT_PACK_MIN 96
/* zstd level: the indexer packs in the background, SEARCH unpacks (whose
 * speed hardly depends on the level); 6 compresses mail text about 10%
 * better than the default 3 for twice its CPU, still a fraction of the
 * trigram indexing beside it. */
#define SQ_TEXT_ZSTD_LEVEL 6
/* A dictionary trained on a store's own first messages: mail headers
 * repeat (Received chains, list headers, DKIM), and a message's text is a
 * few KB, too little for zstd to learn from alone. On jwz's corpus it
 * packs the text 42% smaller and unpacks it 35% faster than without
 * (64 KiB; 32 KiB gives 7% less). Trained once SQ_DICT_TRAIN_ROWS
 * messages are stored, from at most SQ_DICT_SAMPLE_BYTES of their text
 * (zstd's advice: about 100 times the dictionary); those rows are then
 * packed again with it. */
#define SQ_DICT_BYTES (64 * 1024)
#define SQ_DICT_TRAIN_ROWS 1000
#define SQ_DICT_SAMPLE_BYTES (8 * 1024 * 1024)
/* The oldest rows packed again with the new dictionary: those it was
 * trained on and the batch or two stored meanwhile (training comes as
 * soon as there are SQ_DICT_TRAIN_ROWS); bounded, so a dictionary made
 * late (if zstd could not make one earlier) costs no long transaction. */
#define SQ_DICT_REPACK_ROWS (4 * SQ_DICT_TRAIN_ROWS)
/* Fields shorter than this teach the dictionary nothing. */
#define SQ_DICT_SAMPLE_MIN 16

void sq_unpacker_free(struct sq_unpacker *u)
{
	ZSTD_freeDCtx(u->dctx);
	ZSTD_freeDDict(u->ddict);
	free(u->buf);
	memset(u, 0, sizeof(*u));
}

/* The dictionary a frame names, from search.text_dict (kept while frames
 * name the same one). */
static enum store_result sq_unpacker_dict(struct sq_unpacker *u, uint32_t id)
{
	sqlite3_stmt *s = NULL;
	enum store_result r = STORE_CORRUPT;

	if (u->ddict != NULL && u->dict_id == id)
		return STORE_OK;
	ZSTD_freeDDict(u->ddict);
	u->ddict = NULL;
	if (u->db == NULL || sqlite3_prepare_v2(u->db, "SELECT dict FROM search.text_dict"
						 " WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		u->ddict = ZSTD_createDDict(sqlite3_column_blob(s, 0),
					    (size_t)sqlite3_column_bytes(s, 0));
		u->dict_id = id;
		r = u->ddict != NULL ? STORE_OK : STORE_ERROR;
	}
	sqlite3_finalize(s);
	return r;
}

enum store_result sq_text_unpack(struct sq_unpacker *u, const void *data, size_t len,
				 bool packed, const char **text_r, size_t *len_r)
{
	unsigned long long size;
	size_t n;

	*text_r = "";
	*len_r = 0;
	if (data == NULL)
		return STORE_OK;
	if (!packed) {
		*text_r = data;
		*len_r = len;
		return STORE_OK;
	}
	size = ZSTD_getFrameContentSize(data, len);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
	    size > SQ_TEXT_UNPACK_MAX)
		return STORE_CORRUPT;
	if (u->dctx == NULL) {
		u->dctx = ZSTD_createDCtx();
		if (u->dctx == NULL)
			return STORE_ERROR;
	}
	if (u->alloc < size + 1) {
		u->alloc = (size_t)size + 1;
		free(u->buf);
		u->buf = xmalloc(u->alloc);
	}
	unsigned int id = ZSTD_getDictID_fromFrame(data, len);

	if (id != 0) {
		enum store_result r = sq_unpacker_dict(u, id);

		if (r != STORE_OK)
			return r;
		n = ZSTD_decompress_usingDDict(u->dctx, u->buf, (size_t)size, data, len,
					       u->ddict);
	} else {
		n = ZSTD_decompressDCtx(u->dctx, u->buf, (size_t)size, data, len);
	}
	if (ZSTD_isError(n) || n != size)
		return STORE_CORRUPT;
	u->buf[n] = '\0';
	*text_r = u->buf;
	*len_r = n;
	return STORE_OK;
}

enum store_result sq_text_unpack_column(struct sq_unpacker *u, sqlite3_stmt *s, int col,
					const char **text_r, size_t *len_r)
{
	int type = sqlite3_column_type(s, col);
	const void *data = type == SQLITE_BLOB ? sqlite3_column_blob(s, col) :
		type == SQLITE_NULL ? NULL : (const void *)sqlite3_column_text(s, col);

	return sq_text_unpack(u, data, (size_t)sqlite3_column_bytes(s, col), type == SQLITE_BLOB,
			      text_r, len_r);
}

void sq_packer_free(struct sq_packer *p)
{
	ZSTD_freeCCtx(p->cctx);
	ZSTD_freeCDict(p->cdict);
	memset(p, 0, sizeof(*p));
}

/* petrel_text_pack(text): a zstd frame (BLOB) when smaller, else the text. */
static void sq_pack_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq_packer *p = sqlite3_user_data(ctx);
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]), bound, n;
	void *out;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (text == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (len < SQ_TEXT_PACK_MIN || len > SQ_TEXT_UNPACK_MAX) {
		sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
		return;
	}
	bound = ZSTD_compressBound(len);
	out = sqlite3_malloc64(bound);
	if (out == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (p->cctx == NULL)
		p->cctx = ZSTD_createCCtx();
	if (p->cctx == NULL)
		n = (size_t)-1;
	else if (p->cdict != NULL)
		n = ZSTD_compress_usingCDict(p->cctx, out, bound, text, len, p->cdict);
	else
		n = ZSTD_compressCCtx(p->cctx, out, bound, text, len, SQ_TEXT_ZSTD_LEVEL);
	if (ZSTD_isError(n) || n >= len) {
		sqlite3_free(out);
		sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
		return;
	}
	sqlite3_result_blob(ctx, out, (int)n, sqlite3_free);
}

/* petrel_text_unpack(value): the text petrel_text_pack() was given. */
static void sq_unpack_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sq_unpacker *u = sqlite3_user_data(ctx);
	int type = sqlite3_value_type(argv[0]);
	const void *data = type == SQLITE_BLOB ? sqlite3_value_blob(argv[0]) :
		type == SQLITE_NULL ? NULL : (const void *)sqlite3_value_text(argv[0]);
	const char *text;
	size_t len;
	enum store_result r;

	(void)argc;
	if (type == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	r = sq_text_unpack(u, data, (size_t)sqlite3_value_bytes(argv[0]), type == SQLITE_BLOB,
			   &text, &len);
	if (r != STORE_OK) {
		sqlite3_result_error(ctx, "petrel_text_unpack: damaged text", -1);
		sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
		return;
	}
	sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
}

static bool sq_packer_set(struct sq_packer *p, const void *dict, size_t len)
{
	ZSTD_freeCDict(p->cdict);
	p->cdict = ZSTD_createCDict(dict, len, SQ_TEXT_ZSTD_LEVEL);
	return p->cdict != NULL;
}

/* Trains a dictionary on the text of text_store's oldest rows. *dict_r:
 * malloc()ed, NULL when zstd could not make one from what there is. */
static enum store_result sq_dict_train(sqlite3 *db, struct sq_unpacker *u, void **dict_r,
				       size_t *len_r)
{
	sqlite3_stmt *s = NULL;
	char *samples = xmalloc(SQ_DICT_SAMPLE_BYTES);
	size_t *sizes = NULL, count = 0, alloc = 0, used = 0;
	enum store_result r = STORE_OK;
	int rc = sqlite3_prepare_v2(db, "SELECT " SQ_TEXT_COLUMNS " FROM search.text_store"
				    " ORDER BY blob_id LIMIT ?1", -1, &s, NULL);

	*dict_r = NULL;
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(s, 1, SQ_DICT_TRAIN_ROWS);
		while (r == STORE_OK && used < SQ_DICT_SAMPLE_BYTES &&
		       (rc = sqlite3_step(s)) == SQLITE_ROW) {
			for (int col = 0; r == STORE_OK && col < 8; col++) {
				const char *text;
				size_t len;

				r = sq_text_unpack_column(u, s, col, &text, &len);
				if (r != STORE_OK || len < SQ_DICT_SAMPLE_MIN ||
				    len > SQ_DICT_SAMPLE_BYTES - used)
					continue;
				if (count == alloc) {
					alloc = alloc == 0 ? 1024 : 2 * alloc;
					sizes = xrealloc(sizes, alloc * sizeof(*sizes));
				}
				memcpy(samples + used, text, len);
				used += len;
				sizes[count++] = len;
			}
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (r == STORE_OK && rc != SQLITE_OK)
		r = sq_map_db(db, rc) == STORE_OK ? STORE_ERROR : sq_map_db(db, rc);
	if (r == STORE_OK && count > 0) {
		void *dict = xmalloc(SQ_DICT_BYTES);
		size_t n = ZDICT_trainFromBuffer(dict, SQ_DICT_BYTES, samples, sizes,
						 (unsigned int)count);

		if (ZDICT_isError(n) || ZDICT_getDictID(dict, n) == 0) {
			free(dict);
		} else {
			*dict_r = dict;
			*len_r = n;
		}
	}
	free(samples);
	free(sizes);
	return r;
}

enum store_result sq_text_dict(sqlite3 *db, struct sq_unpacker *u, struct sq_packer *p,
			       bool *trained_r)
{
	sqlite3_stmt *s = NULL;
	enum store_result r = STORE_OK;
	void *dict = NULL;
	size_t len = 0;
	int64_t rows = 0;
	int rc;

	*trained_r = false;
	if (p->cdict != NULL)
		return STORE_OK;
	/* Any dictionary will do (two indexers may each have trained one:
	 * frames name theirs). */
	rc = sqlite3_prepare_v2(db, "SELECT dict, (SELECT count(*) FROM (SELECT 1 FROM"
				" search.text_store LIMIT ?1)) FROM (SELECT NULL) LEFT JOIN"
				" (SELECT dict FROM search.text_dict ORDER BY id LIMIT 1)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(s, 1, SQ_DICT_TRAIN_ROWS);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB &&
		    !sq_packer_set(p, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0)))
			r = STORE_ERROR;
		if (rc == SQLITE_ROW)
			rows = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return STORE_ERROR;
	if (r != STORE_OK || p->cdict != NULL || rows < SQ_DICT_TRAIN_ROWS)
		return r;
	*trained_r = true;
	r = sq_dict_train(db, u, &dict, &len);
	if (r != STORE_OK || dict == NULL)
		return r;
	rc = sqlite3_prepare_v2(db, "INSERT INTO search.text_dict (id, dict) VALUES (?1, ?2)", -1,
				&s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, ZDICT_getDictID(dict, len));
		sqlite3_bind_blob(s, 2, dict, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE && !sq_packer_set(p, dict, len))
		r = STORE_ERROR;
	free(dict);
	if (rc != SQLITE_DONE)
		return STORE_ERROR;
	if (r != STORE_OK)
		return r;
	/* The rows it learnt from, packed again with it. */
	rc = sqlite3_prepare_v2(db, "UPDATE search.text_store SET"
				" subject = petrel_text_pack(petrel_text_unpack(subject)),"
				" hfrom = petrel_text_pack(petrel_text_unpack(hfrom)),"
				" hto = petrel_text_pack(petrel_text_unpack(hto)),"
				" hcc = petrel_text_pack(petrel_text_unpack(hcc)),"
				" hbcc = petrel_text_pack(petrel_text_unpack(hbcc)),"
				" header = petrel_text_pack(petrel_text_unpack(header)),"
				" mime = petrel_text_pack(petrel_text_unpack(mime)),"
				" body = petrel_text_pack(petrel_text_unpack(body))"
				" WHERE blob_id IN (SELECT blob_id FROM search.text_store"
				" ORDER BY blob_id LIMIT ?1)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(s, 1, SQ_DICT_REPACK_ROWS);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	/* Rows shrunk in place leave their pages part empty (40% of jwz's
	 * corpus at 2,403 messages): the indexer vacuums search.db next. */
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec(db, "INSERT OR REPLACE INTO search.text_meta (key, value)"
				  " VALUES ('vacuum_due', 1)", NULL, NULL, NULL) == SQLITE_OK ?
			SQLITE_DONE : SQLITE_ERROR;
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

bool sq_text_functions(sqlite3 *db, struct sq_unpacker *u, struct sq_packer *p)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;

	u->db = db;
	return sqlite3_create_function(db, "petrel_text_pack", 1, flags, p,
				       sq_pack_fn, NULL, NULL) == SQLITE_OK &&
		sqlite3_create_function(db, "petrel_text_unpack", 1, flags, u, sq_unpack_fn,
					NULL, NULL) == SQLITE_OK;
}
