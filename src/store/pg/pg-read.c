/* Reading messages on PostgreSQL for FETCH and SEARCH, as sqlite-read.c:
 * per-message metadata with the summary made at delivery (one read
 * transaction, rows read in batches of UIDs), mailbox handles, and
 * message bytes at any offset. A body of one chunk is copied at open; a
 * bigger one is read chunk by chunk as the reader asks (a partial FETCH
 * of a 20 MB body reads one or two 256 KiB rows, never the whole body).
 *
 * A body stays readable after its message is expunged and after its
 * store handle is closed (store.h): a copied body needs nothing more; a
 * chunked one holds the env's pool (which outlives every handle) and its
 * blob's id, and its rows outlive the last message by PG_BLOB_GRACE_S
 * (pg-store.h: deleted only by a later sweep, never by the expunge). */
#include "store/pg/pg-store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "mail/mail-summary.h"
#include "store/body-codec.h"
#include "store/message-in.h"
#include "store/store-dict.h"
#include "store/store-names.h"

/* UIDs per statement: bounds one result's memory (a summary is up to
 * MAIL_SUMMARY_MAX) while a FETCH 1:* of 100,000 messages still takes
 * few round trips; every batch runs in the one REPEATABLE READ snapshot. */
#define PG_READ_BATCH 256

bool pg_uids_ascending(const uint32_t *uids, uint32_t count)
{
	for (uint32_t i = 1; i < count; i++) {
		if (uids[i] <= uids[i - 1])
			return false;
	}
	return true;
}

/* store_dict_find: this backend trains no dictionaries yet. */
static struct store_dict *pg_dict_none(void *ctx, uint32_t id)
{
	(void)ctx;
	(void)id;
	return NULL;
}

/* ---- mailbox handles ---- */

/* As sq_box: the mailbox's row id and UIDVALIDITY, checked by each call. */
struct pg_box {
	struct store_mailbox box;  /* the base: store.c dispatches through it */
	char *user;                /* the store it belongs to */
	char *name;                /* as opened: for the log only */
	int64_t id;
	uint32_t uidvalidity;
};

static const struct pg_box *pg_box(const struct store_mailbox *box)
{
	return box != NULL && box->v == &store_backend_pg ? (const struct pg_box *)box : NULL;
}

static enum store_result pg_box_check(struct pg_txn *t, const struct pg_box *box)
{
	char num[PG_NUM_LEN];
	struct pg_result *res;
	enum store_result r;
	bool same = false;

	if (box == NULL || strcmp(t->st->user, box->user) != 0)
		return STORE_INVALID;
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), pg_num(num, box->id) };

	r = pg_q(t, "check mailbox", "SELECT uidvalidity, noselect FROM mailboxes WHERE"
		 " store_id = $1 AND id = $2", params, 2, 0, &res);
	if (r != STORE_OK)
		return r;
	if (pg_result_rows(res) == 1)
		same = (uint32_t)pg_col_int(res, 0, 0) == box->uidvalidity && !pg_col_bool(res, 0, 1);
	pg_result_free(&res);
	return same ? STORE_OK : STORE_NOT_FOUND;
}

enum store_result pg_mailbox_open(struct store *store, const char *name, uint32_t uidvalidity,
				  struct store_mailbox **box_r)
{
	struct pg_store *st = pg_store(store);
	struct pg_mailbox mb;
	struct pg_txn t;
	enum store_result r;

	*box_r = NULL;
	r = pg_txn_open(st, false, &t);
	if (r == STORE_OK)
		r = pg_txn_close(&t, pg_mailbox_load_checked(&t, name, uidvalidity, &mb));
	if (r != STORE_OK)
		return r;
	struct pg_box *box = xcalloc(1, sizeof(*box));

	box->box.v = &store_backend_pg;
	box->user = xstrdup(st->user);
	box->name = xstrdup(name);
	box->id = mb.id;
	box->uidvalidity = uidvalidity;
	*box_r = &box->box;
	return STORE_OK;
}

void pg_mailbox_close(struct store_mailbox *b)
{
	struct pg_box *box = (struct pg_box *)b;

	free(box->user);
	free(box->name);
	free(box);
}

/* Inside a read transaction: the row id of the mailbox named (checked
 * against uidvalidity) or, with name NULL, of box. As sq_target. */
static enum store_result pg_target(struct pg_txn *t, const char *name, uint32_t uidvalidity,
				   const struct pg_box *box, int64_t *id_r, const char **name_r)
{
	struct pg_mailbox mb = { .id = 0 };
	enum store_result r;

	if (name != NULL) {
		r = pg_mailbox_load_checked(t, name, uidvalidity, &mb);
		*id_r = mb.id;
		*name_r = name;
		return r;
	}
	r = pg_box_check(t, box);
	*id_r = box != NULL ? box->id : 0;
	*name_r = box != NULL ? box->name : "";
	return r;
}

/* ---- message metadata ---- */

static int64_t pg_bin_int(const struct pg_result *res, unsigned int row, unsigned int col)
{
	int64_t v = 0;

	(void)pg_result_int64(res, row, col, &v);
	return v;
}

/* A binary text column as a C string (libpq ends every value with a NUL). */
static const char *pg_bin_str(const struct pg_result *res, unsigned int row, unsigned int col)
{
	size_t len;
	const unsigned char *p;

	if (pg_result_null(res, row, col))
		return "";
	p = pg_result_bytes(res, row, col, &len);
	return p != NULL ? (const char *)p : "";
}

static void pg_info_summary(struct pg_txn *t, const struct pg_result *res, unsigned int row,
			    struct store_message_info *m, struct buf *unpacked)
{
	const unsigned char *data;
	const void *plain;
	size_t len, plain_len;
	enum store_result r;

	m->summary = NULL;
	m->summary_size = 0;
	if (pg_result_null(res, row, 10))
		return;
	data = pg_result_bytes(res, row, 10, &len);
	r = store_summary_unpack(data, len, pg_dict_none, NULL, unpacked, &plain, &plain_len);
	if (r != STORE_OK) {
		log_error("store %s: message UID %" PRIu32 ": its summary cannot be read (%s)",
			  t->st->user, m->uid, store_result_name(r));
		return;
	}
	m->summary = plain;
	m->summary_size = plain_len;
}

/* Columns of the full read: uid, flags, keywords, modseq, internaldate,
 * zone, savedate, size, emailid, threadid, summary, no blob, blob_id. */
#define PG_READ_COLUMNS "m.uid, " PG_FLAGS ", m.keywords, m.modseq, m.internaldate," \
	" m.internaldate_zone, m.savedate, b.size, b.emailid, b.threadid, "
#define PG_READ_FROM " b.id IS NULL, m.blob_id FROM messages m LEFT JOIN blobs b ON" \
	" b.store_id = m.store_id AND b.id = m.blob_id WHERE m.store_id = $1 AND" \
	" m.mailbox_id = $2 AND m.uid = ANY ($4::bigint[]) ORDER BY m.uid"

static const char *pg_read_sql(unsigned int fields, bool flags_only)
{
	if (flags_only)
		return "SELECT m.uid, " PG_FLAGS ", m.keywords, m.modseq FROM messages m WHERE"
			" m.store_id = $1 AND m.mailbox_id = $2 AND m.uid = ANY ($4::bigint[])"
			" ORDER BY m.uid";
	if (fields & STORE_READ_SUMMARY)
		return "SELECT " PG_READ_COLUMNS "b.summary," PG_READ_FROM;
	return "SELECT " PG_READ_COLUMNS "NULL::bytea," PG_READ_FROM;
}

static enum store_result pg_read_rows(struct pg_txn *t, const char *name, bool flags_only,
				      const struct pg_result *res, struct buf *unpacked,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx, bool *stop_r)
{
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		struct store_message_info info;

		memset(&info, 0, sizeof(info));
		info.uid = (uint32_t)pg_bin_int(res, i, 0);
		info.flags = (uint32_t)pg_bin_int(res, i, 1);
		info.keywords = (uint64_t)pg_bin_int(res, i, 2);
		info.modseq = (uint64_t)pg_bin_int(res, i, 3);
		if (!flags_only) {
			size_t len;
			const unsigned char *missing = pg_result_bytes(res, i, 11, &len);

			if (missing != NULL && len == 1 && missing[0] != 0) {
				/* Not expunged (the row is here): damage, which the
				 * reply must not pass off as EXPUNGEISSUED. */
				log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\" names"
					  " body %" PRId64 ", which has no row", t->st->user, info.uid,
					  name, pg_bin_int(res, i, 12));
				return STORE_CORRUPT;
			}
			info.internaldate = (time_t)pg_bin_int(res, i, 4);
			info.internaldate_zone_min = (int)pg_bin_int(res, i, 5);
			info.savedate = (time_t)pg_bin_int(res, i, 6);
			info.size = (uint64_t)pg_bin_int(res, i, 7);
			info.emailid = pg_bin_str(res, i, 8);
			info.threadid = pg_bin_str(res, i, 9);
			pg_info_summary(t, res, i, &info, unpacked);
		}
		if (!cb(&info, ctx)) {
			*stop_r = true;
			break;
		}
	}
	return STORE_OK;
}

static enum store_result pg_read(struct pg_txn *t, int64_t mailbox_id, const char *name,
				 const uint32_t *uids, uint32_t count, unsigned int fields,
				 bool (*cb)(const struct store_message_info *info, void *ctx),
				 void *ctx)
{
	bool flags_only = (fields & (STORE_READ_FLAGS_ONLY | STORE_READ_SUMMARY)) ==
		STORE_READ_FLAGS_ONLY;
	const char *sql = pg_read_sql(fields, flags_only);
	struct buf unpacked;
	enum store_result r = STORE_OK;
	bool stop = false;

	buf_init(&unpacked, MAIL_SUMMARY_MAX);
	for (uint32_t i = 0; r == STORE_OK && !stop && i < count; i += PG_READ_BATCH) {
		uint32_t n = count - i < PG_READ_BATCH ? count - i : PG_READ_BATCH;
		char box[PG_NUM_LEN];
		char *array = pg_uid_array(uids + i, n);
		const struct pg_param params[] = {
			PG_TEXT(t->st->id_text), pg_num(box, mailbox_id), PG_TEXT(t->st->viewer),
			PG_TEXT(array),
		};
		struct pg_result *res;

		r = pg_q(t, "read messages", sql, params, 4, PG_EXEC_BINARY, &res);
		free(array);
		if (r != STORE_OK)
			break;
		r = pg_read_rows(t, name, flags_only, res, &unpacked, cb, ctx, &stop);
		pg_result_free(&res);
	}
	buf_free(&unpacked);
	return r;
}

static enum store_result pg_read_txn(struct pg_store *st, const char *name, uint32_t uidvalidity,
				     const struct pg_box *box, const uint32_t *uids,
				     uint32_t uid_count, unsigned int fields,
				     bool (*cb)(const struct store_message_info *info, void *ctx),
				     void *ctx)
{
	struct pg_txn t;
	int64_t id;
	enum store_result r;

	if ((uids == NULL && uid_count > 0) || cb == NULL || !pg_uids_ascending(uids, uid_count))
		return STORE_INVALID;
	r = pg_txn_open(st, false, &t);
	if (r != STORE_OK)
		return r;
	r = pg_target(&t, name, uidvalidity, box, &id, &name);
	if (r == STORE_OK)
		r = pg_read(&t, id, name, uids, uid_count, fields, cb, ctx);
	return pg_txn_close(&t, r);
}

enum store_result pg_messages_read(struct store *store, const char *name,
				   uint32_t uidvalidity, const uint32_t *uids,
				   uint32_t uid_count, unsigned int fields,
				   bool (*cb)(const struct store_message_info *info, void *ctx),
				   void *ctx)
{
	return pg_read_txn(pg_store(store), name, uidvalidity, NULL, uids, uid_count, fields, cb,
			   ctx);
}

enum store_result pg_messages_read_in(struct store *store, const struct store_mailbox *box,
				      const uint32_t *uids, uint32_t uid_count,
				      unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx)
{
	return pg_read_txn(pg_store(store), NULL, 0, pg_box(box), uids, uid_count, fields, cb,
			   ctx);
}

/* ---- bodies ---- */

struct pg_body {
	struct store_body body;    /* the base: store.c dispatches through it */
	char *user;                /* for the log: the body outlives its handle */
	struct pg_pool *pool;      /* the env's: outlives every handle */
	char store_id[PG_NUM_LEN];
	int64_t blob_id;
	uint64_t size;             /* the body's own (uncompressed) size */
	uint64_t stored;           /* its stored bytes */
	uint64_t chunk_size;       /* blobs.chunk_size */
	unsigned char *data;       /* a copied body's stored bytes, or */
	unsigned char *chunk;      /* the last chunk read, */
	int64_t chunk_seq;         /* its seq (-1: none), */
	size_t chunk_len;          /* and its length */
	struct body_codec_reader *reader;
};

/* Chunks first..last of the blob, in order (rows missing: STORE_CORRUPT). */
static enum store_result pg_chunks_get(struct pg_body *body, struct pg_lease *lease,
				       int64_t first, int64_t last, struct pg_result **res_r)
{
	char id[PG_NUM_LEN], a[PG_NUM_LEN], z[PG_NUM_LEN];
	const struct pg_param params[] = {
		PG_TEXT(body->store_id), pg_num(id, body->blob_id), pg_num(a, first),
		pg_num(z, last),
	};
	enum store_result r = pg_exec(lease, "read chunks", "SELECT seq, data FROM blob_chunks"
				      " WHERE store_id = $1 AND blob_id = $2 AND seq BETWEEN $3"
				      " AND $4 ORDER BY seq", params, 4, PG_EXEC_BINARY, res_r);

	if (r != STORE_OK)
		return r;
	if (pg_result_rows(*res_r) != (unsigned int)(last - first + 1)) {
		log_error("store %s: body %" PRId64 ": chunks %" PRId64 "-%" PRId64 " missing"
			  " (deleted, or damaged)", body->user, body->blob_id, first, last);
		pg_result_free(res_r);
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

/* Chunks one statement fetches at most: a read of a whole big body
 * (BODY[] of 64 MiB, plain) holds 2 MiB of result at a time. */
#define PG_READ_CHUNKS 8

/* Up to PG_READ_CHUNKS whole chunks from one statement on a connection
 * leased for it alone; the last one kept, since the codec reads a frame
 * table, then frames near each other. */
static enum store_result pg_body_pread_some(struct pg_body *body, uint64_t offset, void *buf,
					    size_t len)
{
	uint64_t cs = body->chunk_size;
	int64_t first = (int64_t)(offset / cs), last;
	struct pg_lease *lease;
	struct pg_result *res;
	enum store_result r;
	size_t done = 0;

	if (offset > body->stored || len > body->stored - offset)
		return STORE_CORRUPT;
	if (len == 0)
		return STORE_OK;
	last = (int64_t)((offset + len - 1) / cs);
	if (first == last && first == body->chunk_seq) {
		uint64_t at = offset - (uint64_t)first * cs;

		if (at + len > body->chunk_len)
			return STORE_CORRUPT;
		memcpy(buf, body->chunk + at, len);
		return STORE_OK;
	}
	r = pg_pool_acquire(body->pool, &lease);
	if (r != STORE_OK)
		return r;
	r = pg_chunks_get(body, lease, first, last, &res);
	pg_pool_release(body->pool, &lease);
	if (r != STORE_OK)
		return r;
	for (unsigned int i = 0; r == STORE_OK && i < pg_result_rows(res); i++) {
		size_t n;
		const unsigned char *p = pg_result_bytes(res, i, 1, &n);
		uint64_t start = (uint64_t)(first + i) * cs;
		uint64_t from = offset + done - start;
		size_t take = len - done;

		if (n != cs && first + i != (int64_t)((body->stored - 1) / cs)) {
			r = STORE_CORRUPT;   /* only the last chunk is short */
			break;
		}
		if (from >= n || take > n - from) {
			if (from >= n || first + i == last) {
				r = STORE_CORRUPT;
				break;
			}
			take = n - (size_t)from;
		}
		memcpy((char *)buf + done, p + from, take);
		done += take;
		if (first + i == last) {
			body->chunk = xrealloc(body->chunk, n > 0 ? n : 1);
			memcpy(body->chunk, p, n);
			body->chunk_len = n;
			body->chunk_seq = last;
		}
	}
	pg_result_free(&res);
	if (r == STORE_OK && done != len)
		r = STORE_CORRUPT;
	if (r == STORE_CORRUPT)
		log_error("store %s: body %" PRId64 ": chunks do not match its stored size",
			  body->user, body->blob_id);
	return r;
}

/* body_codec_pread over the chunks. */
static enum store_result pg_body_pread(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct pg_body *body = ctx;
	enum store_result r = STORE_OK;

	if (offset > body->stored || len > body->stored - offset)
		return STORE_CORRUPT;
	while (r == STORE_OK && len > 0) {
		uint64_t room = PG_READ_CHUNKS * body->chunk_size - offset % body->chunk_size;
		size_t n = len < room ? len : (size_t)room;

		r = pg_body_pread_some(body, offset, buf, n);
		offset += n;
		buf = (char *)buf + n;
		len -= n;
	}
	return r;
}

/* A body small enough to copy: its chunk(s), inside the transaction. */
static enum store_result pg_body_copy(struct pg_txn *t, struct pg_body *body)
{
	int64_t last = body->stored == 0 ? 0 : (int64_t)((body->stored - 1) / body->chunk_size);
	struct pg_result *res;
	size_t at = 0;
	enum store_result r = pg_chunks_get(body, t->lease, 0, last, &res);

	if (r != STORE_OK)
		return r;
	body->data = xmalloc(body->stored + 1);
	for (unsigned int i = 0; r == STORE_OK && i < pg_result_rows(res); i++) {
		size_t n;
		const unsigned char *p = pg_result_bytes(res, i, 1, &n);

		if (n > body->stored - at) {
			r = STORE_CORRUPT;
			break;
		}
		memcpy(body->data + at, p, n);
		at += n;
	}
	pg_result_free(&res);
	if (r == STORE_OK && at != body->stored)
		r = STORE_CORRUPT;
	if (r == STORE_CORRUPT)
		log_error("store %s: body %" PRId64 ": its chunks do not hold its stored size",
			  body->user, body->blob_id);
	return r;
}

static bool pg_digest_matches(const void *data, size_t len, const unsigned char *want)
{
	unsigned char got[MESSAGE_IN_DIGEST_LEN];
	unsigned int n = 0;

	if (EVP_Digest(data, len, got, &n, EVP_sha256(), NULL) != 1 ||
	    n != MESSAGE_IN_DIGEST_LEN)
		return true;   /* cannot tell: not damage */
	return memcmp(got, want, MESSAGE_IN_DIGEST_LEN) == 0;
}

static enum store_result pg_body_open_row(struct pg_txn *t, int64_t mailbox_id,
					  const char *name, uint32_t uid, struct pg_body *body)
{
	char box[PG_NUM_LEN], num[PG_NUM_LEN];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, mailbox_id), pg_num(num, uid),
	};
	unsigned char want[MESSAGE_IN_DIGEST_LEN];
	bool have_digest = false;
	struct pg_result *res;
	size_t len;
	int64_t codec, chunk_size;
	enum store_result r;

	r = pg_q(t, "open body", "SELECT b.id, b.size, b.stored_size, b.codec, b.chunk_size,"
		 " b.digest, m.blob_id FROM messages m LEFT JOIN blobs b ON b.store_id ="
		 " m.store_id AND b.id = m.blob_id WHERE m.store_id = $1 AND m.mailbox_id = $2"
		 " AND m.uid = $3", params, 3, PG_EXEC_BINARY, &res);
	if (r != STORE_OK)
		return r;
	if (pg_result_rows(res) == 0) {
		pg_result_free(&res);
		return STORE_NOT_FOUND;
	}
	if (pg_result_null(res, 0, 0)) {
		log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\" names body %" PRId64
			  ", which has no row", t->st->user, uid, name, pg_bin_int(res, 0, 6));
		pg_result_free(&res);
		return STORE_CORRUPT;
	}
	body->blob_id = pg_bin_int(res, 0, 0);
	body->size = (uint64_t)pg_bin_int(res, 0, 1);
	body->stored = (uint64_t)pg_bin_int(res, 0, 2);
	codec = pg_bin_int(res, 0, 3);
	chunk_size = pg_bin_int(res, 0, 4);
	if (!pg_result_null(res, 0, 5)) {
		const unsigned char *d = pg_result_bytes(res, 0, 5, &len);

		if (d != NULL && len == MESSAGE_IN_DIGEST_LEN) {
			memcpy(want, d, len);
			have_digest = true;
		}
	}
	pg_result_free(&res);
	if (!body_codec_known((int)codec) || chunk_size <= 0 ||
	    (codec == BODY_CODEC_PLAIN && body->stored != body->size)) {
		log_error("store %s: blob %" PRId64 ": codec %" PRId64 ", chunk size %" PRId64
			  " or stored size not valid", t->st->user, body->blob_id, codec, chunk_size);
		return STORE_CORRUPT;
	}
	body->chunk_size = (uint64_t)chunk_size;
	if (body->stored <= PG_BODY_COPY_MAX) {
		r = pg_body_copy(t, body);
		if (r != STORE_OK)
			return r;
		/* Read whole anyway: a plain one's digest costs ~0.1 ms at 64
		 * KiB; a compressed one is checked frame by frame by zstd. */
		if (codec == BODY_CODEC_PLAIN && have_digest &&
		    !pg_digest_matches(body->data, (size_t)body->stored, want)) {
			log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\": body %" PRId64
				  " fails its checksum", t->st->user, uid, name, body->blob_id);
			return STORE_CORRUPT;
		}
	}
	return body_codec_reader_open((enum body_codec)codec, body->size, body->stored,
				      body->data, pg_body_pread, body, pg_dict_none, NULL,
				      body->user, &body->reader);
}

static enum store_result pg_body_open_txn(struct pg_store *st, const char *name,
					  uint32_t uidvalidity, const struct pg_box *box,
					  uint32_t uid, struct store_body **body_r)
{
	struct pg_body *body = xcalloc(1, sizeof(*body));
	struct pg_txn t;
	enum store_result r;

	*body_r = NULL;
	body->body.v = &store_backend_pg;
	body->user = xstrdup(st->user);
	body->pool = st->pool;
	body->chunk_seq = -1;
	snprintf(body->store_id, sizeof(body->store_id), "%s", st->id_text);
	r = pg_txn_open(st, false, &t);
	if (r == STORE_OK) {
		int64_t id;

		r = pg_target(&t, name, uidvalidity, box, &id, &name);
		if (r == STORE_OK)
			r = pg_body_open_row(&t, id, name, uid, body);
		r = pg_txn_close(&t, r);
	}
	if (r != STORE_OK) {
		pg_body_close(&body->body);
		return r;
	}
	*body_r = &body->body;
	return STORE_OK;
}

enum store_result pg_body_open(struct store *store, const char *name, uint32_t uidvalidity,
			       uint32_t uid, struct store_body **body_r)
{
	return pg_body_open_txn(pg_store(store), name, uidvalidity, NULL, uid, body_r);
}

enum store_result pg_body_open_in(struct store *store, const struct store_mailbox *box,
				  uint32_t uid, struct store_body **body_r)
{
	return pg_body_open_txn(pg_store(store), NULL, 0, pg_box(box), uid, body_r);
}

uint64_t pg_body_size(const struct store_body *b)
{
	return ((const struct pg_body *)b)->size;
}

/* Bounded: at most one frame is decompressed into the reader's buffer,
 * and at most the chunks under the range are fetched. */
enum store_result pg_body_read(struct store_body *b, uint64_t offset, void *buf, size_t len)
{
	struct pg_body *body = (struct pg_body *)b;

	if (offset > body->size || len > body->size - offset)
		return STORE_INVALID;
	return body_codec_read(body->reader, offset, buf, len);
}

void pg_body_close(struct store_body *b)
{
	struct pg_body *body = (struct pg_body *)b;

	body_codec_reader_free(&body->reader);
	free(body->data);
	free(body->chunk);
	free(body->user);
	free(body);
}
