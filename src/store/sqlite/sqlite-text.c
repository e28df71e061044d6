/* The stored search text's encoding in search.db (text_store): a value
 * is either plain TEXT or, when zstd makes it smaller, a BLOB holding one
 * zstd frame of the text (its size in the frame header). Packing happens
 * in the indexer (an SQL function on its connection); unpacking in C for
 * SEARCH, and as an SQL function for the indexer's FTS5 'delete', which
 * needs the exact text it indexed. Never trusts a frame's claimed size
 * past SQ_TEXT_UNPACK_MAX. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
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

void sq_unpacker_free(struct sq_unpacker *u)
{
	ZSTD_freeDCtx(u->dctx);
	free(u->buf);
	memset(u, 0, sizeof(*u));
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
	n = ZSTD_decompressDCtx(u->dctx, u->buf, (size_t)size, data, len);
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

/* petrel_text_pack(text): a zstd frame (BLOB) when smaller, else the text. */
static void sq_pack_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
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
	n = ZSTD_compress(out, bound, text, len, SQ_TEXT_ZSTD_LEVEL);
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

bool sq_text_functions(sqlite3 *db, struct sq_unpacker *u)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;

	return sqlite3_create_function(db, "petrel_text_pack", 1, flags, NULL, sq_pack_fn,
				       NULL, NULL) == SQLITE_OK &&
		sqlite3_create_function(db, "petrel_text_unpack", 1, flags, u, sq_unpack_fn,
					NULL, NULL) == SQLITE_OK;
}
