/* Message bodies being received, the SQLite half: message-in.c does what
 * every backend does to a body (line ends, SHA-256, summary, search text,
 * compression) and hands this file the stored bytes. Up to SQ_INLINE_MAX
 * of them stay in memory (then one row); beyond that they are streamed to
 * blobs/tmp-*.eml (locked with flock while written), made durable by
 * store_blob_finish(), and renamed to its final name only inside the
 * write transaction that inserts its row. Never holds a large body in
 * memory; never leaves a partial file under a final name. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "mail/mail-summary.h"
#include "store/message-in.h"
#include "store/sqlite/sqlite-private.h"

#define SQ_BLOB_NAME_MAX 48

_Static_assert(SQ_DIGEST_LEN == MESSAGE_IN_DIGEST_LEN, "blobs.digest is message-in's SHA-256");

enum sq_blob_state { BLOB_WRITING, BLOB_FINISHED, BLOB_FAILED };

struct sq_blob {
	struct store_blob blob;    /* the base: store.c dispatches through it */
	struct sq_store *store;
	enum sq_blob_state state;
	struct message_in *in;     /* the body's front end (message-in.h) */
	uint64_t stored;           /* stored bytes so far */
	unsigned char *buf;        /* inline stored bytes while fd < 0 */
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
static void sq_blob_discard(struct sq_blob *b)
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
	message_in_destroy(&b->in);
}

static enum store_result sq_blob_fail(struct sq_blob *b, enum store_result r,
				      const char *what, int e)
{
	if (r != STORE_TOO_BIG && what != NULL)
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

static enum store_result sq_blob_spill(struct sq_blob *b)
{
	char id[32];   /* "B" + 22: see sq_random_id */
	enum store_result r = sq_random_id(id, sizeof(id), 'B');

	if (r != STORE_OK) {
		log_error("store %s: blob: no random name", b->store->user);
		return r;
	}
	snprintf(b->tmp_name, sizeof(b->tmp_name), "tmp-%s.eml", id);
	snprintf(b->final_name, sizeof(b->final_name), "%s.eml", id);
	b->fd = openat(b->store->blob_dir_fd, b->tmp_name,
		       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (b->fd < 0) {
		log_error("store %s: blob create: %s", b->store->user, strerror(errno));
		return sq_errno_result(errno);
	}
	b->has_tmp = true;
	/* Held until the file is finished: the orphan sweep of any process
	 * skips a locked tmp file, however long the client takes. */
	if (flock(b->fd, LOCK_EX) < 0) {
		log_error("store %s: blob flock: %s", b->store->user, strerror(errno));
		return STORE_ERROR;
	}
	if (b->stored > 0) {
		r = sq_write_all(b->fd, b->buf, (size_t)b->stored);
		if (r != STORE_OK) {
			log_msg(r == STORE_NO_SPACE ? LOG_WARN : LOG_ERROR, "store %s: blob write: %s",
				b->store->user, strerror(errno));
			return r;
		}
	}
	free(b->buf);
	b->buf = NULL;
	b->buf_alloc = 0;
	return STORE_OK;
}

/* body_codec_sink: the stored bytes, in memory up to SQ_INLINE_MAX, then
 * in the file. The caller fails the blob on an error (logged here). */
static enum store_result sq_blob_store_bytes(void *ctx, const void *data, size_t len)
{
	struct sq_blob *b = ctx;
	enum store_result r;

	if (b->fd < 0 && b->stored + len <= SQ_INLINE_MAX) {
		if (b->stored + len > b->buf_alloc) {
			size_t want = b->buf_alloc < 4096 ? 4096 : b->buf_alloc * 2;

			if (want < b->stored + len)
				want = (size_t)b->stored + len;
			if (want > SQ_INLINE_MAX)
				want = SQ_INLINE_MAX;
			b->buf = xrealloc(b->buf, want);
			b->buf_alloc = want;
		}
		if (len > 0)
			memcpy(b->buf + b->stored, data, len);
		b->stored += len;
		return STORE_OK;
	}
	if (b->fd < 0) {
		r = sq_blob_spill(b);
		if (r != STORE_OK)
			return r;
	}
	r = sq_write_all(b->fd, data, len);
	if (r != STORE_OK) {
		log_msg(r == STORE_NO_SPACE ? LOG_WARN : LOG_ERROR, "store %s: blob write: %s",
			b->store->user, strerror(errno));
		return r;
	}
	b->stored += len;
	return STORE_OK;
}

int sq_pread_exact(int fd, void *buf, size_t len, uint64_t offset)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* A range of stored bytes kept in memory (data) or in a file (fd >= 0). */
static enum store_result sq_read_range(const unsigned char *data, int fd, uint64_t size,
				       uint64_t offset, void *buf, size_t len)
{
	if (offset > size || len > size - offset)
		return STORE_CORRUPT;
	if (fd < 0) {
		if (len > 0)
			memcpy(buf, data + offset, len);
		return STORE_OK;
	}
	if (sq_pread_exact(fd, buf, len, offset) < 0)
		return errno == 0 ? STORE_CORRUPT : STORE_ERROR;
	return STORE_OK;
}

/* body_codec_pread over the blob being finished: memory, or its file. */
static enum store_result sq_blob_read_back(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct sq_blob *b = ctx;

	return sq_read_range(b->buf, b->fd, b->stored, offset, buf, len);
}

/* Space a new message must leave free on the data directory's file
 * system. Without it a full disk stopped reading too: a user whose store
 * had closed could not open it again (SQLite makes a 32 KiB -shm at the
 * first open, and any flag change writes a few pages), so another user's
 * SELECT answered NO [OVERQUOTA] once APPENDs had taken the last bytes. */
#define SQ_DISK_RESERVE (2 * 1024 * 1024)

/* Room for size more bytes and the reserve; true when it cannot tell
 * (the write itself then finds out). */
static bool sq_room_for(const struct sq_store *st, uint64_t size)
{
	struct statvfs vfs;

	if (fstatvfs(st->blob_dir_fd, &vfs) != 0)
		return true;
	return (uint64_t)vfs.f_bavail * vfs.f_frsize >= size + SQ_DISK_RESERVE;
}

enum store_result sq_blob_begin(struct store *base, uint64_t expected_size,
				struct store_blob **blob_r)
{
	struct sq_store *store = sq_store(base);
	struct sq_blob *b;
	struct message_in_sink sink = { .write = sq_blob_store_bytes, .read = sq_blob_read_back };
	struct message_in_dicts dicts;

	*blob_r = NULL;
	if (store->read_only)
		return STORE_READ_ONLY;   /* before the client sends the bytes */
	if (expected_size > SQ_APPEND_LIMIT)
		return STORE_TOO_BIG;
	if (!sq_room_for(store, expected_size)) {
		log_warn("store %s: under %d MiB free on the data directory's file system:"
			 " new mail refused", store->user, SQ_DISK_RESERVE >> 20);
		return STORE_NO_SPACE;
	}
	b = xcalloc(1, sizeof(*b));
	b->blob.v = &store_backend_sqlite;
	b->store = store;
	store->blob_count++;
	b->fd = -1;
	b->state = BLOB_WRITING;
	sink.ctx = b;
	sq_dicts_for_writing(store, &dicts);
	b->in = message_in_create(&sink, SQ_APPEND_LIMIT, store->user, &dicts);
	/* expected_size is a hint (0: unknown) that sizes the buffer of a
	 * small body; the stored (compressed) bytes decide memory or file. */
	if (expected_size > 0 && expected_size <= SQ_INLINE_MAX) {
		b->buf_alloc = (size_t)expected_size;
		b->buf = xmalloc(b->buf_alloc);
	}
	*blob_r = &b->blob;
	return STORE_OK;
}

enum store_result sq_blob_write(struct store_blob *blob, const void *data, size_t len)
{
	struct sq_blob *b = sq_blob(blob);
	enum store_result r;

	if (b == NULL || b->state != BLOB_WRITING || (data == NULL && len > 0))
		return STORE_INVALID;
	r = message_in_write(b->in, data, len);
	if (r != STORE_OK)
		return sq_blob_fail(b, r, NULL, 0);
	return STORE_OK;
}

void sq_blob_keep_bytes(struct store_blob *blob)
{
	struct sq_blob *b = sq_blob(blob);

	if (b != NULL && b->in != NULL)
		message_in_keep_bytes(b->in);
}

enum store_result sq_blob_finish(struct store_blob *blob)
{
	struct sq_blob *b = sq_blob(blob);
	enum store_result r;

	if (b == NULL || b->state != BLOB_WRITING)
		return STORE_INVALID;
	/* Before the file is closed: the summary reads text parts back from
	 * it (from the page cache: it was just written). */
	r = message_in_finish(b->in);
	if (r != STORE_OK)
		return sq_blob_fail(b, r, NULL, 0);
	if (b->fd >= 0) {
		/* Durable under its tmp-* name; sq_blob_insert() renames it in
		 * the transaction of its row, and sq_commit() makes the rename
		 * durable before COMMIT. Closing drops the flock: from here the
		 * file's age protects it (SQ_ORPHAN_AGE_S). */
		if (fsync(b->fd) < 0)
			return sq_blob_fail(b, sq_errno_result(errno), "fsync", errno);
		if (close(b->fd) < 0) {
			b->fd = -1;
			return sq_blob_fail(b, sq_errno_result(errno), "close", errno);
		}
		b->fd = -1;
	}
	b->state = BLOB_FINISHED;
	return STORE_OK;
}

void sq_blob_free(struct store_blob *blob)
{
	struct sq_blob *b = sq_blob(blob);

	if (b->used) {
		/* The store owns the file now. */
		b->has_tmp = b->has_final = false;
	}
	sq_blob_discard(b);
	b->store->blob_count--;
	free(b);
}

uint64_t sq_blob_size(const struct sq_blob *b)
{
	return b != NULL && b->state == BLOB_FINISHED ? message_in_size(b->in) : 0;
}

bool sq_blob_usable(const struct sq_store *st, const struct sq_blob *b)
{
	return b != NULL && b->store == st && b->state == BLOB_FINISHED && !b->used &&
		!b->in_txn;
}

/* message_in_find_thread: the backend's half of THREADID (message-in.h). */
static enum store_result sq_find_thread(void *ctx, const char *message_id, char *out,
					size_t size)
{
	struct sq_store *st = ctx;
	sqlite3_stmt *s = sq_stmt(st, SQ_BLOB_THREAD);
	int rc;

	sqlite3_bind_text(s, 1, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT &&
	    (size_t)sqlite3_column_bytes(s, 0) < size) {
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		return STORE_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "find thread");
	return STORE_NOT_FOUND;
}

/* The thread found through the summary's parents, else a new one. */
static enum store_result sq_thread_id(struct sq_store *st,
				      const struct mail_summary_builder *summary,
				      const struct message_in *in, char *out, size_t size)
{
	enum store_result r = in != NULL ?
		message_in_thread_id(in, sq_find_thread, st, out, size) :
		message_in_thread_of(summary, sq_find_thread, st, out, size);

	return r == STORE_NOT_FOUND ? sq_random_id(out, size, 'T') : r;
}

static void sq_bind_buf(sqlite3_stmt *s, int col, const struct buf *b)
{
	sqlite3_bind_text(s, col, b->len > 0 ? b->data : "", (int)b->len, SQLITE_STATIC);
}

/* The search text row (store_mailbox_search_text()), keyed by the blob. */
static enum store_result sq_blob_text_insert(struct sq_store *st, const struct mail_text *t,
					     int64_t id)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_TEXT_INSERT);

	sqlite3_bind_int64(s, 1, id);
	sq_bind_buf(s, 2, &t->subject);
	sq_bind_buf(s, 3, &t->from);
	sq_bind_buf(s, 4, &t->to);
	sq_bind_buf(s, 5, &t->cc);
	sq_bind_buf(s, 6, &t->bcc);
	sq_bind_buf(s, 7, &t->header);
	sq_bind_buf(s, 8, &t->part_headers);
	sq_bind_buf(s, 9, &t->body);
	st->index_backlog++;
	return sq_run(st, s, "index text");
}

enum store_result sq_blob_insert(struct sq_store *st, struct sq_blob *b,
				 int64_t *id_r, uint64_t *size_r)
{
	char emailid[32], threadid[32];
	sqlite3_stmt *s;
	enum store_result r = sq_random_id(emailid, sizeof(emailid), 'M');
	static const unsigned char empty[1];
	const struct buf *summary = message_in_summary(b->in);
	const char *msgid = message_in_message_id(b->in);
	const unsigned char *digest = message_in_digest(b->in);
	bool partial;
	const struct mail_text *text = message_in_text(b->in, &partial);
	uint64_t size = message_in_size(b->in);

	if (r == STORE_OK)
		r = sq_thread_id(st, NULL, b->in, threadid, sizeof(threadid));
	if (r != STORE_OK)
		return r;
	if (b->has_tmp) {
		/* Under the write lock: until COMMIT no other process looks for
		 * orphans, and a ROLLBACK renames it back (sq_rollback). */
		if (renameat(st->blob_dir_fd, b->tmp_name, st->blob_dir_fd, b->final_name) < 0) {
			log_error("store %s: cannot rename blobs/%s: %s", st->user, b->tmp_name,
				  strerror(errno));
			return sq_errno_result(errno);
		}
		b->has_tmp = false;
		b->has_final = true;
		st->blob_dir_dirty = true;
		if (st->renamed_count == st->renamed_alloc) {
			st->renamed_alloc = st->renamed_alloc == 0 ? 8 : st->renamed_alloc * 2;
			st->renamed = xrealloc(st->renamed, st->renamed_alloc * sizeof(*st->renamed));
		}
		st->renamed[st->renamed_count++] = b;
	}
	s = sq_stmt(st, SQ_BLOB_INSERT);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)size);
	if (b->has_final) {
		sqlite3_bind_null(s, 2);
		sqlite3_bind_text(s, 3, b->final_name, -1, SQLITE_STATIC);
	} else {
		/* A NULL pointer would bind NULL: an empty body is an empty BLOB. */
		sqlite3_bind_blob(s, 2, b->stored > 0 ? b->buf : empty, (int)b->stored,
				  SQLITE_STATIC);
		sqlite3_bind_null(s, 3);
	}
	sqlite3_bind_text(s, 4, emailid, -1, SQLITE_TRANSIENT);
	if (summary != NULL)
		sqlite3_bind_blob(s, 5, summary->data, (int)summary->len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	if (msgid != NULL)
		sqlite3_bind_text(s, 6, msgid, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_text(s, 7, threadid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 8, partial);
	if (digest != NULL)
		sqlite3_bind_blob(s, 9, digest, SQ_DIGEST_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_int(s, 10, (int)message_in_codec(b->in));
	r = sq_run(st, s, "insert blob");
	if (r != STORE_OK)
		return r;
	b->in_txn = true;
	*id_r = sqlite3_last_insert_rowid(st->db);
	*size_r = size;
	if (text != NULL)
		r = sq_blob_text_insert(st, text, *id_r);
	return r;
}

void sq_blob_settle(struct sq_blob *b, bool committed)
{
	if (!b->in_txn)
		return;
	b->in_txn = false;
	if (committed) {
		b->used = true;
		free(b->buf);
		b->buf = NULL;
		b->buf_alloc = 0;
		message_in_drop_summary(b->in);
	}
}

void sq_blob_unrename(struct sq_blob *b)
{
	if (!b->has_final || b->used)
		return;
	if (renameat(b->store->blob_dir_fd, b->final_name, b->store->blob_dir_fd,
		     b->tmp_name) < 0) {
		/* Left under its final name without a row: an orphan the next
		 * sweep removes; this blob can no longer be appended. */
		log_error("store %s: cannot rename blobs/%s back: %s", b->store->user,
			  b->final_name, strerror(errno));
		b->state = BLOB_FAILED;
		return;
	}
	b->has_final = false;
	b->has_tmp = true;
}

bool sq_digest(const void *data, size_t len, unsigned char out[SQ_DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != SQ_DIGEST_LEN) {
		log_error("store: SHA-256 failed");
		return false;
	}
	return true;
}

enum store_result sq_blob_unref(struct sq_store *st, int64_t blob_id)
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
	/* The index drops its row later (sqlite-index.c); until then the id
	 * matches no message, and it is never given to another blob. */
	s = sq_stmt(st, SQ_TEXT_PENDING_DELETE);
	sqlite3_bind_int64(s, 1, blob_id);
	r = sq_run(st, s, "delete pending text");
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_TEXT_GONE_INSERT);
		sqlite3_bind_int64(s, 1, blob_id);
		r = sq_run(st, s, "record removed text");
		st->index_backlog++;
	}
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_BLOB_HIGH);
		sqlite3_bind_int64(s, 1, blob_id);
		r = sq_run(st, s, "record blob id");
	}
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_BLOB_DELETE);
		sqlite3_bind_int64(s, 1, blob_id);
		r = sq_run(st, s, "delete blob");
	}
	if (r == STORE_OK && file != NULL)
		sq_unlink_after_commit(st, file);
	free(file);
	return r;
}

/* ---- upgrading a store made before summaries ---- */

struct sq_stored_body {
	const unsigned char *data;   /* inline, or */
	int fd;                      /* the file */
	uint64_t size;
};

static bool sq_stored_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct sq_stored_body *body = ctx;

	return sq_read_range(body->data, body->fd, body->size, offset, buf, len) == STORE_OK;
}

/* Summarizes one stored body; false (logged) when it cannot be read. */
static bool sq_summarize_body(struct sq_store *st, struct mail_summary_builder *summary,
			      struct sq_stored_body *body)
{
	unsigned char chunk[64 * 1024];

	for (uint64_t off = 0; off < body->size;) {
		size_t n = body->size - off < sizeof(chunk) ? (size_t)(body->size - off) :
			sizeof(chunk);

		if (!sq_stored_read(body, off, chunk, n))
			return false;
		mail_summary_builder_feed(summary, chunk, n);
		off += n;
	}
	if (!mail_summary_builder_finish(summary, sq_stored_read, body)) {
		log_warn("store %s: cannot read a body back to summarize it", st->user);
		return false;
	}
	return true;
}

static enum store_result sq_blob_summarize(struct sq_store *st, int64_t id)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_BLOB_BODY);
	struct sq_stored_body body = { .fd = -1 };
	struct mail_summary_builder *summary;
	unsigned char *data = NULL;
	char threadid[32];
	enum store_result r = STORE_OK;
	bool ok = false;
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		body.size = (uint64_t)sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 2) == SQLITE_TEXT) {
			body.fd = openat(st->blob_dir_fd, (const char *)sqlite3_column_text(s, 2),
					 O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (body.fd < 0)
				log_warn("store %s: blob %lld: cannot open its file: %s", st->user,
					 (long long)id, strerror(errno));
		} else if ((uint64_t)sqlite3_column_bytes(s, 1) == body.size) {
			data = xmalloc(body.size + 1);
			if (body.size > 0)
				memcpy(data, sqlite3_column_blob(s, 1), (size_t)body.size);
			body.data = data;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "read blob");
	if (rc == SQLITE_DONE)
		return STORE_OK;
	summary = mail_summary_builder_create();
	if (body.fd >= 0 || body.data != NULL)
		ok = sq_summarize_body(st, summary, &body);
	if (body.fd >= 0)
		close(body.fd);
	free(data);
	if (ok) {
		const struct buf *enc = mail_summary_builder_encoded(summary);
		const char *msgid = mail_summary_builder_message_id(summary);

		r = sq_thread_id(st, summary, NULL, threadid, sizeof(threadid));
		if (r == STORE_OK) {
			s = sq_stmt(st, SQ_BLOB_SET_SUMMARY);
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_blob(s, 2, enc->data, (int)enc->len, SQLITE_STATIC);
			if (msgid != NULL)
				sqlite3_bind_text(s, 3, msgid, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(s, 3);
			sqlite3_bind_text(s, 4, threadid, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(s, 5, !mail_summary_builder_text(summary)->body_complete);
			r = sq_run(st, s, "store summary");
		}
		if (r == STORE_OK)
			r = sq_blob_text_insert(st, mail_summary_builder_text(summary), id);
	} else {
		/* Unreadable: store_check() reports the blob; give it a thread. */
		r = sq_random_id(threadid, sizeof(threadid), 'T');
		if (r == STORE_OK) {
			s = sq_stmt(st, SQ_BLOB_SET_SUMMARY);
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_null(s, 2);
			sqlite3_bind_null(s, 3);
			sqlite3_bind_text(s, 4, threadid, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(s, 5, 1);
			r = sq_run(st, s, "store summary");
		}
	}
	mail_summary_builder_destroy(&summary);
	return r;
}

enum store_result sq_blob_summarize_all(struct sq_store *st)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_BLOB_UNSUMMARIZED);
	int64_t *ids = NULL;
	size_t count = 0, alloc = 0;
	enum store_result r = STORE_OK;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == alloc) {
			alloc = alloc == 0 ? 256 : alloc * 2;
			ids = xrealloc(ids, alloc * sizeof(*ids));
		}
		ids[count++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = sq_fail(st, rc, "list blobs");
	for (size_t i = 0; r == STORE_OK && i < count; i++)
		r = sq_blob_summarize(st, ids[i]);
	free(ids);
	return r;
}
