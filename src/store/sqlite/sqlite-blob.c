/* Message bodies being received: up to SQ_INLINE_MAX bytes in memory (then
 * one row), beyond that streamed to blobs/tmp-*.eml, made durable and
 * renamed by store_blob_finish() before any row can name it. Never holds a
 * large body in memory; never leaves a partial file under a final name. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

#define SQ_BLOB_NAME_MAX 48

enum sq_blob_state { BLOB_WRITING, BLOB_FINISHED, BLOB_FAILED };

struct store_blob {
	struct store *store;
	enum sq_blob_state state;
	uint64_t size;
	unsigned char *buf;        /* inline body while fd < 0 */
	size_t buf_alloc;
	int fd;                    /* the temporary file once spilled */
	char tmp_name[SQ_BLOB_NAME_MAX];
	char final_name[SQ_BLOB_NAME_MAX];
	bool has_tmp, has_final;   /* which file exists on disk */
	bool in_txn;               /* row inserted by the open transaction */
	bool used;                 /* row committed: the file belongs to the store */
};

static enum store_result sq_errno_result(int e)
{
	return e == ENOSPC || e == EDQUOT ? STORE_NO_SPACE : STORE_ERROR;
}

/* Drops the body and any file: nothing half-written stays on disk. */
static void sq_blob_discard(struct store_blob *b)
{
	if (b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
	if (b->has_tmp && unlinkat(b->store->blob_dir_fd, b->tmp_name, 0) < 0 && errno != ENOENT)
		log_warn("store %s: cannot remove blobs/%s: %s", b->store->user, b->tmp_name,
			 strerror(errno));
	if (b->has_final && unlinkat(b->store->blob_dir_fd, b->final_name, 0) < 0 &&
	    errno != ENOENT)
		log_warn("store %s: cannot remove blobs/%s: %s", b->store->user, b->final_name,
			 strerror(errno));
	b->has_tmp = b->has_final = false;
	free(b->buf);
	b->buf = NULL;
	b->buf_alloc = 0;
}

static enum store_result sq_blob_fail(struct store_blob *b, enum store_result r,
				      const char *what, int e)
{
	if (r != STORE_TOO_BIG)
		log_msg(r == STORE_NO_SPACE ? LOG_WARN : LOG_ERROR, "store %s: blob %s: %s",
			b->store->user, what, strerror(e));
	sq_blob_discard(b);
	b->state = BLOB_FAILED;
	return r;
}

static enum store_result sq_write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sq_errno_result(errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return STORE_OK;
}

static enum store_result sq_blob_spill(struct store_blob *b)
{
	char id[32];   /* "B" + 22: see sq_random_id */
	enum store_result r = sq_random_id(id, sizeof(id), 'B');

	if (r != STORE_OK)
		return sq_blob_fail(b, r, "random name", EIO);
	snprintf(b->tmp_name, sizeof(b->tmp_name), "tmp-%s.eml", id);
	snprintf(b->final_name, sizeof(b->final_name), "%s.eml", id);
	b->fd = openat(b->store->blob_dir_fd, b->tmp_name,
		       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (b->fd < 0)
		return sq_blob_fail(b, sq_errno_result(errno), "create", errno);
	b->has_tmp = true;
	if (b->size > 0) {
		r = sq_write_all(b->fd, b->buf, (size_t)b->size);
		if (r != STORE_OK)
			return sq_blob_fail(b, r, "write", errno);
	}
	free(b->buf);
	b->buf = NULL;
	b->buf_alloc = 0;
	return STORE_OK;
}

enum store_result store_blob_begin(struct store *store, uint64_t expected_size,
				   struct store_blob **blob_r)
{
	struct store_blob *b;

	*blob_r = NULL;
	if (expected_size > SQ_APPEND_LIMIT)
		return STORE_TOO_BIG;
	b = xcalloc(1, sizeof(*b));
	b->store = store;
	b->fd = -1;
	b->state = BLOB_WRITING;
	/* expected_size is a hint (0: unknown): it picks memory or file early
	 * and sizes the buffer; the bytes written decide the blob's size. */
	if (expected_size > SQ_INLINE_MAX) {
		enum store_result r = sq_blob_spill(b);

		if (r != STORE_OK) {
			free(b);
			return r;
		}
	} else if (expected_size > 0) {
		b->buf_alloc = (size_t)expected_size;
		b->buf = xmalloc(b->buf_alloc);
	}
	*blob_r = b;
	return STORE_OK;
}

enum store_result store_blob_write(struct store_blob *b, const void *data, size_t len)
{
	if (b == NULL || b->state != BLOB_WRITING || (data == NULL && len > 0))
		return STORE_INVALID;
	if (len > SQ_APPEND_LIMIT - b->size)
		return sq_blob_fail(b, STORE_TOO_BIG, "", 0);
	if (b->fd < 0 && b->size + len <= SQ_INLINE_MAX) {
		if (b->size + len > b->buf_alloc) {
			size_t want = b->buf_alloc < 4096 ? 4096 : b->buf_alloc * 2;

			if (want < b->size + len)
				want = (size_t)b->size + len;
			if (want > SQ_INLINE_MAX)
				want = SQ_INLINE_MAX;
			b->buf = xrealloc(b->buf, want);
			b->buf_alloc = want;
		}
		if (len > 0)
			memcpy(b->buf + b->size, data, len);
		b->size += len;
		return STORE_OK;
	}
	if (b->fd < 0) {
		enum store_result r = sq_blob_spill(b);

		if (r != STORE_OK)
			return r;
	}
	enum store_result r = sq_write_all(b->fd, data, len);

	if (r != STORE_OK)
		return sq_blob_fail(b, r, "write", errno);
	b->size += len;
	return STORE_OK;
}

enum store_result store_blob_finish(struct store_blob *b)
{
	if (b == NULL || b->state != BLOB_WRITING)
		return STORE_INVALID;
	if (b->fd >= 0) {
		/* Durable under its final name before any row can name it: data,
		 * then the rename, then the directory entry. */
		if (fsync(b->fd) < 0)
			return sq_blob_fail(b, sq_errno_result(errno), "fsync", errno);
		if (close(b->fd) < 0) {
			b->fd = -1;
			return sq_blob_fail(b, sq_errno_result(errno), "close", errno);
		}
		b->fd = -1;
		if (renameat(b->store->blob_dir_fd, b->tmp_name, b->store->blob_dir_fd,
			     b->final_name) < 0)
			return sq_blob_fail(b, sq_errno_result(errno), "rename", errno);
		b->has_tmp = false;
		b->has_final = true;
		if (fsync(b->store->blob_dir_fd) < 0)
			return sq_blob_fail(b, sq_errno_result(errno), "fsync blobs/", errno);
	}
	b->state = BLOB_FINISHED;
	return STORE_OK;
}

void store_blob_free(struct store_blob **blobp)
{
	struct store_blob *b = *blobp;

	if (b == NULL)
		return;
	*blobp = NULL;
	if (b->used) {
		/* The store owns the file now. */
		b->has_tmp = b->has_final = false;
	}
	sq_blob_discard(b);
	free(b);
}

bool sq_blob_usable(const struct store *st, const struct store_blob *b)
{
	return b != NULL && b->store == st && b->state == BLOB_FINISHED && !b->used &&
		!b->in_txn;
}

enum store_result sq_blob_insert(struct store *st, struct store_blob *b,
				 int64_t *id_r, uint64_t *size_r)
{
	char emailid[32];
	sqlite3_stmt *s;
	enum store_result r = sq_random_id(emailid, sizeof(emailid), 'M');
	static const unsigned char empty[1];

	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_BLOB_INSERT);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)b->size);
	if (b->has_final) {
		sqlite3_bind_null(s, 2);
		sqlite3_bind_text(s, 3, b->final_name, -1, SQLITE_STATIC);
	} else {
		/* A NULL pointer would bind NULL: an empty body is an empty BLOB. */
		sqlite3_bind_blob(s, 2, b->size > 0 ? b->buf : empty, (int)b->size,
				  SQLITE_STATIC);
		sqlite3_bind_null(s, 3);
	}
	sqlite3_bind_text(s, 4, emailid, -1, SQLITE_TRANSIENT);
	r = sq_run(st, s, "insert blob");
	if (r != STORE_OK)
		return r;
	b->in_txn = true;
	*id_r = sqlite3_last_insert_rowid(st->db);
	*size_r = b->size;
	return STORE_OK;
}

void sq_blob_settle(struct store_blob *b, bool committed)
{
	if (!b->in_txn)
		return;
	b->in_txn = false;
	if (committed) {
		b->used = true;
		free(b->buf);
		b->buf = NULL;
		b->buf_alloc = 0;
	}
}

enum store_result sq_blob_unref(struct store *st, int64_t blob_id)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_BLOB_UNREF);
	int64_t refs = -1;
	char *file = NULL;
	enum store_result r;
	int rc;

	sqlite3_bind_int64(s, 1, blob_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		refs = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) == SQLITE_TEXT)
			file = xstrdup((const char *)sqlite3_column_text(s, 1));
		rc = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(file);
		return sq_fail(st, rc, "unref blob");
	}
	if (refs != 0) {
		free(file);
		if (refs > 0)
			return STORE_OK;
		log_error("store %s: blob %lld has a negative refcount", st->user,
			  (long long)blob_id);
		return STORE_CORRUPT;
	}
	s = sq_stmt(st, SQ_BLOB_DELETE);
	sqlite3_bind_int64(s, 1, blob_id);
	r = sq_run(st, s, "delete blob");
	if (r == STORE_OK && file != NULL)
		sq_unlink_after_commit(st, file);
	free(file);
	return r;
}
