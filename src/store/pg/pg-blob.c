/* Message bodies being received, the PostgreSQL half (as sqlite-blob.c):
 * message-in.c does what every backend does to a body (line ends,
 * SHA-256, summary, search text, compression) and hands this file the
 * stored bytes. Up to PG_BLOB_CHUNK of them stay in memory; beyond that
 * they are spooled to an unlinked temporary file (O_TMPFILE under
 * $TMPDIR), never held whole. The blob row, its blob_chunks rows and its
 * search text are written only by the APPEND's own transaction
 * (pg_blob_insert()), not as the bytes arrive: a client that stops
 * mid-literal, a refused APPEND or a rolled-back group commit leave
 * nothing in the database to sweep, no connection is held while the
 * client sends, and a crash leaves no file (it was never linked). The
 * cost: the user's stores row stays locked while the chunks go up, at
 * most APPENDLIMIT (64 MiB) over a data-centre link. */
#include "store/pg/pg-store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/message-in.h"
#include "store/pg/pg-schema.h"

/* The most memory a blob takes before its bytes arrive (SQ_INLINE_MAX). */
#define PG_BLOB_PREALLOC_MAX (64 * 1024)

enum pg_blob_state { PG_BLOB_WRITING, PG_BLOB_FINISHED, PG_BLOB_FAILED };

struct pg_blob {
	struct store_blob blob;    /* the base: store.c dispatches through it */
	struct pg_store *store;
	enum pg_blob_state state;
	struct message_in *in;     /* the body's front end (message-in.h) */
	uint64_t stored;           /* stored bytes so far */
	unsigned char *buf;        /* the stored bytes while fd < 0 */
	size_t buf_alloc;
	int fd;                    /* the unlinked spool file once spilled */
	bool in_txn;               /* rows written by the open transaction */
	bool used;                 /* rows committed: the store owns the body */
};

struct pg_blob *pg_blob_of(struct store_blob *blob)
{
	return blob != NULL && blob->v == &store_backend_pg ? (struct pg_blob *)blob : NULL;
}

static enum store_result pg_errno_result(int e)
{
	return e == ENOSPC || e == EDQUOT ? STORE_NO_SPACE : STORE_ERROR;
}

static void pg_blob_discard(struct pg_blob *b)
{
	if (b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
	free(b->buf);
	b->buf = NULL;
	b->buf_alloc = 0;
	message_in_destroy(&b->in);
}

static enum store_result pg_blob_fail(struct pg_blob *b, enum store_result r)
{
	pg_blob_discard(b);
	b->state = PG_BLOB_FAILED;
	return r;
}

static enum store_result pg_write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pg_errno_result(errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return STORE_OK;
}

/* An unlinked file of our own under $TMPDIR (else /tmp): gone with its
 * descriptor, whatever happens to the process. */
static int pg_spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	/* A file system without O_TMPFILE: a named file, unlinked at once. */
	if ((size_t)snprintf(path, sizeof(path), "%s/petrel-blob-XXXXXX", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static enum store_result pg_blob_spill(struct pg_blob *b)
{
	enum store_result r;

	b->fd = pg_spool_open();
	if (b->fd < 0) {
		log_error("store %s: blob spool file: %s", b->store->user, strerror(errno));
		return pg_errno_result(errno);
	}
	r = pg_write_all(b->fd, b->buf, (size_t)b->stored);
	if (r != STORE_OK) {
		log_msg(r == STORE_NO_SPACE ? LOG_WARN : LOG_ERROR, "store %s: blob spool: %s",
			b->store->user, strerror(errno));
		return r;
	}
	free(b->buf);
	b->buf = NULL;
	b->buf_alloc = 0;
	return STORE_OK;
}

/* body_codec_sink: the stored bytes, in memory up to one chunk, then in
 * the spool file. */
static enum store_result pg_blob_store_bytes(void *ctx, const void *data, size_t len)
{
	struct pg_blob *b = ctx;
	enum store_result r;

	if (b->fd < 0 && b->stored + len <= PG_BLOB_CHUNK) {
		if (b->stored + len > b->buf_alloc) {
			size_t want = b->buf_alloc < 4096 ? 4096 : b->buf_alloc * 2;

			if (want < b->stored + len)
				want = (size_t)b->stored + len;
			if (want > PG_BLOB_CHUNK)
				want = PG_BLOB_CHUNK;
			b->buf = xrealloc(b->buf, want);
			b->buf_alloc = want;
		}
		if (len > 0)
			memcpy(b->buf + b->stored, data, len);
		b->stored += len;
		return STORE_OK;
	}
	if (b->fd < 0) {
		r = pg_blob_spill(b);
		if (r != STORE_OK)
			return r;
	}
	r = pg_write_all(b->fd, data, len);
	if (r != STORE_OK) {
		log_msg(r == STORE_NO_SPACE ? LOG_WARN : LOG_ERROR, "store %s: blob spool: %s",
			b->store->user, strerror(errno));
		return r;
	}
	b->stored += len;
	return STORE_OK;
}

/* len stored bytes at offset, from memory or the spool file. */
static enum store_result pg_blob_read_back(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct pg_blob *b = ctx;

	if (offset > b->stored || len > b->stored - offset)
		return STORE_CORRUPT;
	if (b->fd < 0) {
		if (len > 0)
			memcpy(buf, b->buf + offset, len);
		return STORE_OK;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(b->fd, (char *)buf + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("store %s: blob spool read: %s", b->store->user,
				  n == 0 ? "short" : strerror(errno));
			return n == 0 ? STORE_CORRUPT : STORE_ERROR;
		}
		done += (size_t)n;
	}
	return STORE_OK;
}

enum store_result pg_blob_begin(struct store *base, uint64_t expected_size,
				struct store_blob **blob_r)
{
	struct pg_store *st = pg_store(base);
	struct message_in_sink sink = { .write = pg_blob_store_bytes, .read = pg_blob_read_back };
	struct pg_blob *b;

	*blob_r = NULL;
	if (expected_size > PG_APPEND_LIMIT)
		return STORE_TOO_BIG;
	b = xcalloc(1, sizeof(*b));
	b->blob.v = &store_backend_pg;
	b->store = st;
	st->blob_count++;
	b->fd = -1;
	b->state = PG_BLOB_WRITING;
	sink.ctx = b;
	/* No dictionaries yet (the dicts table is for train_dicts, not done
	 * on this backend): frames are compressed without one. */
	b->in = message_in_create(&sink, PG_APPEND_LIMIT, st->user, NULL);
	/* expected_size is a hint (0: unknown) that sizes the buffer of a
	 * small body, no more than SQLite's inline bound up front: a client
	 * announcing a literal and sending nothing costs little. */
	if (expected_size > 0 && expected_size <= PG_BLOB_PREALLOC_MAX) {
		b->buf_alloc = (size_t)expected_size;
		b->buf = xmalloc(b->buf_alloc);
	}
	*blob_r = &b->blob;
	return STORE_OK;
}

enum store_result pg_blob_write(struct store_blob *blob, const void *data, size_t len)
{
	struct pg_blob *b = pg_blob_of(blob);
	enum store_result r;

	if (b == NULL || b->state != PG_BLOB_WRITING || (data == NULL && len > 0))
		return STORE_INVALID;
	r = message_in_write(b->in, data, len);
	if (r != STORE_OK)
		return pg_blob_fail(b, r);
	return STORE_OK;
}

void pg_blob_keep_bytes(struct store_blob *blob)
{
	struct pg_blob *b = pg_blob_of(blob);

	if (b != NULL && b->in != NULL)
		message_in_keep_bytes(b->in);
}

enum store_result pg_blob_finish(struct store_blob *blob)
{
	struct pg_blob *b = pg_blob_of(blob);
	enum store_result r;

	if (b == NULL || b->state != PG_BLOB_WRITING)
		return STORE_INVALID;
	/* The spool file stays open: pg_blob_insert() reads it. It needs no
	 * fsync: the COMMIT of the rows is what makes the body durable. */
	r = message_in_finish(b->in);
	if (r != STORE_OK)
		return pg_blob_fail(b, r);
	b->state = PG_BLOB_FINISHED;
	return STORE_OK;
}

void pg_blob_free(struct store_blob *blob)
{
	struct pg_blob *b = pg_blob_of(blob);

	if (b == NULL)
		return;
	pg_blob_discard(b);
	b->store->blob_count--;
	free(b);
}

uint64_t pg_blob_size(const struct pg_blob *b)
{
	return b != NULL && b->state == PG_BLOB_FINISHED ? message_in_size(b->in) : 0;
}

bool pg_blob_usable(const struct pg_store *st, const struct pg_blob *b)
{
	return b != NULL && b->store == st && b->state == PG_BLOB_FINISHED && !b->used &&
		!b->in_txn;
}

/* ---- random identifiers (as sq_random_id: EMAILID, THREADID) ---- */

enum store_result pg_random_id(char *out, size_t size, char prefix)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char rnd[22];
	size_t got = 0;

	if (size < sizeof(rnd) + 2)
		return STORE_ERROR;
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("getrandom: %s", strerror(errno));
			return STORE_ERROR;
		}
		got += (size_t)n;
	}
	/* 22 characters of 6 random bits each: 132 bits. */
	out[0] = prefix;
	for (size_t i = 0; i < sizeof(rnd); i++)
		out[i + 1] = alphabet[rnd[i] & 63];
	out[sizeof(rnd) + 1] = '\0';
	return STORE_OK;
}

/* ---- writing the rows ---- */

/* message_in_find_thread: a body of this store with that Message-ID.
 * Bodies waiting for deletion (refcount 0) are gone, as in SQLite. */
static enum store_result pg_find_thread(void *ctx, const char *message_id, char *out,
					size_t size)
{
	struct pg_txn *t = ctx;
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), PG_TEXT(message_id) };
	struct pg_result *res;
	enum store_result r = pg_q(t, "find thread", "SELECT threadid FROM blobs WHERE"
				   " store_id = $1 AND msgid = $2 AND refcount > 0 AND"
				   " threadid IS NOT NULL LIMIT 1", params, 2, 0, &res);

	if (r != STORE_OK)
		return r;
	r = STORE_NOT_FOUND;
	if (pg_result_rows(res) == 1 && strlen(pg_result_text(res, 0, 0)) < size) {
		snprintf(out, size, "%s", pg_result_text(res, 0, 0));
		r = STORE_OK;
	}
	pg_result_free(&res);
	return r;
}

static const char *pg_buf_text(const struct buf *b)
{
	return b->len > 0 ? b->data : "";
}

static enum store_result pg_blob_text_insert(struct pg_txn *t, const struct mail_text *x,
					     int64_t id)
{
	char num[PG_NUM_LEN];
	/* The search text is NUL-free UTF-8 (mail/mail-text.h), so it goes
	 * as text. */
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(num, id), PG_TEXT(pg_buf_text(&x->subject)),
		PG_TEXT(pg_buf_text(&x->from)), PG_TEXT(pg_buf_text(&x->to)),
		PG_TEXT(pg_buf_text(&x->cc)), PG_TEXT(pg_buf_text(&x->bcc)),
		PG_TEXT(pg_buf_text(&x->header)), PG_TEXT(pg_buf_text(&x->part_headers)),
		PG_TEXT(pg_buf_text(&x->body)),
	};

	return pg_q(t, "index text", "INSERT INTO text_store (store_id, blob_id, subject, hfrom,"
		    " hto, hcc, hbcc, header, mime, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
		    " $9, $10)", params, 10, 0, NULL);
}

/* The stored bytes as blob_chunks rows of PG_BLOB_CHUNK. */
static enum store_result pg_blob_chunks_insert(struct pg_txn *t, struct pg_blob *b, int64_t id)
{
	unsigned char *chunk = b->fd >= 0 ? xmalloc(PG_BLOB_CHUNK) : NULL;
	enum store_result r = STORE_OK;
	uint64_t off = 0;

	/* An empty body still has its one (empty) row: the reader finds its
	 * chunks by seq and never guesses. */
	for (int64_t seq = 0; r == STORE_OK && (off < b->stored || seq == 0); seq++) {
		size_t n = b->stored - off < PG_BLOB_CHUNK ? (size_t)(b->stored - off) :
			PG_BLOB_CHUNK;
		const unsigned char *p = b->buf != NULL ? b->buf + off : chunk;
		char idn[PG_NUM_LEN], seqn[PG_NUM_LEN];
		static const unsigned char empty[1];

		if (b->fd >= 0)
			r = pg_blob_read_back(b, off, chunk, n);
		if (r != STORE_OK)
			break;
		if (n == 0)
			p = empty;
		const struct pg_param params[] = {
			PG_TEXT(t->st->id_text), pg_num(idn, id), pg_num(seqn, seq), PG_BYTES(p, n),
		};

		r = pg_q(t, "insert chunk", "INSERT INTO blob_chunks (store_id, blob_id, seq, data)"
			 " VALUES ($1, $2, $3, $4)", params, 4, 0, NULL);
		off += n;
	}
	free(chunk);
	return r;
}

enum store_result pg_blob_insert(struct pg_txn *t, struct pg_blob *b, int64_t *id_r,
				 uint64_t *size_r)
{
	char emailid[32], threadid[32], n[4][PG_NUM_LEN];
	const struct buf *summary = message_in_summary(b->in);
	const char *msgid = message_in_message_id(b->in);
	const unsigned char *digest = message_in_digest(b->in);
	bool partial;
	const struct mail_text *text = message_in_text(b->in, &partial);
	uint64_t size = message_in_size(b->in);
	struct pg_result *res;
	enum store_result r = pg_random_id(emailid, sizeof(emailid), 'M');

	if (r == STORE_OK) {
		r = message_in_thread_id(b->in, pg_find_thread, t, threadid, sizeof(threadid));
		if (r == STORE_NOT_FOUND)
			r = pg_random_id(threadid, sizeof(threadid), 'T');
	}
	if (r != STORE_OK)
		return r;
	if (b->stored != message_in_stored_size(b->in)) {
		log_error("store %s: blob: %llu bytes stored of %llu", t->st->user,
			  (unsigned long long)b->stored,
			  (unsigned long long)message_in_stored_size(b->in));
		return STORE_ERROR;
	}
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(n[0], (int64_t)size),
		pg_num(n[1], (int64_t)b->stored), pg_num(n[2], (int64_t)message_in_codec(b->in)),
		pg_num(n[3], PG_BLOB_CHUNK), PG_TEXT(emailid),
		summary != NULL ? PG_BYTES(summary->data, summary->len) : PG_TEXT(NULL),
		PG_TEXT(msgid), PG_TEXT(threadid), PG_TEXT(partial ? "t" : "f"),
		digest != NULL ? PG_BYTES(digest, MESSAGE_IN_DIGEST_LEN) : PG_TEXT(NULL),
	};

	r = pg_q(t, "insert blob", "INSERT INTO blobs (store_id, size, stored_size, codec,"
		 " chunk_size, refcount, emailid, summary, msgid, threadid, text_partial, digest)"
		 " VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11) RETURNING id",
		 params, 11, 0, &res);
	if (r != STORE_OK)
		return r;
	*id_r = pg_col_int(res, 0, 0);
	pg_result_free(&res);
	b->in_txn = true;
	*size_r = size;
	r = pg_blob_chunks_insert(t, b, *id_r);
	if (r == STORE_OK && text != NULL)
		r = pg_blob_text_insert(t, text, *id_r);
	return r;
}

void pg_blob_settle(struct pg_blob *b, bool committed)
{
	if (b == NULL || !b->in_txn)
		return;
	b->in_txn = false;
	if (committed) {
		b->used = true;
		if (b->fd >= 0) {
			close(b->fd);
			b->fd = -1;
		}
		free(b->buf);
		b->buf = NULL;
		b->buf_alloc = 0;
		message_in_drop_summary(b->in);
	}
}
