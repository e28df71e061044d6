/* Reading messages for FETCH and SEARCH: per-message metadata with the
 * summary made at delivery (one read transaction, rows read by UID ranges),
 * and message bytes at any offset (inline rows copied once, files read with
 * pread so a body of any size is never held whole). */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/body-codec.h"
#include "store/sqlite/sqlite-private.h"

/* UIDs closer than this are read with one range query (rows in between
 * that were not asked for are skipped) rather than one query each. */
#define SQ_READ_GAP_MAX 64

static const char *sq_column_str(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? (const char *)t : "";
}

/* The row's summary, unpacked into unpacked when it is packed. One that
 * cannot be unpacked is logged and read as none (FETCH then parses the
 * body again; `petrel check` names it). */
static void sq_info_summary(struct sq_store *st, sqlite3_stmt *s, int col,
			    struct store_message_info *m, struct buf *unpacked)
{
	const void *plain;
	size_t len;
	enum store_result r;

	m->summary = NULL;
	m->summary_size = 0;
	if (sqlite3_column_type(s, col) != SQLITE_BLOB)
		return;
	r = store_summary_unpack(sqlite3_column_blob(s, col), (size_t)sqlite3_column_bytes(s, col),
				 sq_dict_find, st, unpacked, &plain, &len);
	if (r != STORE_OK) {
		log_error("store %s: message UID %" PRIu32 ": its summary cannot be read (%s)",
			  st->user, m->uid, store_result_name(r));
		return;
	}
	m->summary = plain;
	m->summary_size = len;
}

static void sq_info_read(struct sq_store *st, sqlite3_stmt *s, struct store_message_info *m,
			 struct buf *unpacked)
{
	m->uid = (uint32_t)sqlite3_column_int64(s, 0);
	m->flags = (uint32_t)sqlite3_column_int64(s, 1);
	m->keywords = (uint64_t)sqlite3_column_int64(s, 2);
	m->modseq = (uint64_t)sqlite3_column_int64(s, 3);
	m->internaldate = (time_t)sqlite3_column_int64(s, 4);
	m->internaldate_zone_min = sqlite3_column_int(s, 5);
	m->savedate = (time_t)sqlite3_column_int64(s, 6);
	m->size = (uint64_t)sqlite3_column_int64(s, 7);
	m->emailid = sq_column_str(s, 8);
	m->threadid = sq_column_str(s, 9);
	sq_info_summary(st, s, 10, m, unpacked);
}

/* The columns of SQ_MSG_READ_FLAGS (STORE_READ_FLAGS_ONLY). */
static void sq_info_read_flags(sqlite3_stmt *s, struct store_message_info *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = (uint32_t)sqlite3_column_int64(s, 0);
	m->flags = (uint32_t)sqlite3_column_int64(s, 1);
	m->keywords = (uint64_t)sqlite3_column_int64(s, 2);
	m->modseq = (uint64_t)sqlite3_column_int64(s, 3);
}

/* A mailbox handle (store_mailbox_open()): the mailbox's row, not its
 * name, so a RENAME meanwhile changes nothing for it. Row ids can be
 * reused after a DELETE, and a \Noselect parent made selectable again
 * keeps its row with a new UIDVALIDITY: each call checks both by the row
 * (one primary-key lookup) inside its own transaction. */
struct sq_box {
	struct store_mailbox box;  /* the base: store.c dispatches through it */
	char *user;                /* the store it belongs to */
	char *name;                /* as opened: for the log only */
	int64_t id;
	uint32_t uidvalidity;
};

static const struct sq_box *sq_box(const struct store_mailbox *box)
{
	return box != NULL && box->v == &store_backend_sqlite ? (const struct sq_box *)box : NULL;
}

static enum store_result sq_box_check(struct sq_store *st, const struct sq_box *box)
{
	sqlite3_stmt *s;
	int rc;
	bool same = false;

	if (box == NULL || strcmp(st->user, box->user) != 0)
		return STORE_INVALID;
	s = sq_stmt(st, SQ_MB_CHECK);
	sqlite3_bind_int64(s, 1, box->id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		same = (uint32_t)sqlite3_column_int64(s, 0) == box->uidvalidity &&
			sqlite3_column_int(s, 1) == 0;
	sqlite3_reset(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return same ? STORE_OK : STORE_NOT_FOUND;
	return sq_fail(st, rc, "check mailbox");
}

enum store_result sq_mailbox_open(struct store *store, const char *name, uint32_t uidvalidity,
				  struct store_mailbox **box_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_mailbox mb;
	enum store_result r;

	*box_r = NULL;
	r = sq_begin(st, false);
	if (r == STORE_OK)
		r = sq_end(st, sq_mailbox_load_checked(st, name, uidvalidity, &mb));
	if (r != STORE_OK)
		return r;
	struct sq_box *box = xcalloc(1, sizeof(*box));

	box->box.v = &store_backend_sqlite;
	box->user = xstrdup(st->user);
	box->name = xstrdup(name);
	box->id = mb.id;
	box->uidvalidity = uidvalidity;
	*box_r = &box->box;
	return STORE_OK;
}

void sq_mailbox_close(struct store_mailbox *b)
{
	struct sq_box *box = (struct sq_box *)b;

	free(box->user);
	free(box->name);
	free(box);
}

static enum store_result sq_read(struct sq_store *st, int64_t mailbox_id, const char *name,
				 const uint32_t *uids, uint32_t count, unsigned int fields,
				 bool (*cb)(const struct store_message_info *info, void *ctx),
				 void *ctx)
{
	bool flags_only = (fields & (STORE_READ_FLAGS_ONLY | STORE_READ_SUMMARY)) ==
		STORE_READ_FLAGS_ONLY;
	enum sq_stmt id = flags_only ? SQ_MSG_READ_FLAGS :
		(fields & STORE_READ_SUMMARY) != 0 ? SQ_MSG_READ : SQ_MSG_READ_NOSUM;
	struct buf unpacked;
	enum store_result r = STORE_OK;

	buf_init(&unpacked, MAIL_SUMMARY_MAX);
	for (uint32_t i = 0; r == STORE_OK && i < count;) {
		uint32_t end = i + 1;
		sqlite3_stmt *s;
		bool stop = false;
		int rc;

		while (end < count && uids[end] - uids[end - 1] <= SQ_READ_GAP_MAX)
			end++;
		s = sq_stmt(st, id);
		sqlite3_bind_int64(s, 1, mailbox_id);
		sqlite3_bind_int64(s, 2, uids[i]);
		sqlite3_bind_int64(s, 3, uids[end - 1]);
		while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			uint32_t uid = (uint32_t)sqlite3_column_int64(s, 0);

			while (i < end && uids[i] < uid)
				i++;       /* asked for but gone */
			if (i < end && uids[i] == uid && !flags_only &&
			    sqlite3_column_int(s, 11) != 0) {
				/* Not expunged (the row is here): damage, which
				 * the reply must not pass off as EXPUNGEISSUED. */
				log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\""
					  " names body %lld, which has no row", st->user, uid, name,
					  (long long)sqlite3_column_int64(s, 12));
				r = STORE_CORRUPT;
				break;
			}
			if (i < end && uids[i] == uid) {
				struct store_message_info info;

				if (flags_only)
					sq_info_read_flags(s, &info);
				else
					sq_info_read(st, s, &info, &unpacked);
				stop = !cb(&info, ctx);
				i++;
			}
		}
		sqlite3_reset(s);
		if (r != STORE_OK || stop)
			break;
		if (rc != SQLITE_DONE)
			r = sq_fail(st, rc, "read messages");
		i = end;
	}
	buf_free(&unpacked);
	return r;
}

/* Inside a read transaction: the row id of the mailbox named (checked
 * against uidvalidity) or, with name NULL, of box (checked by its row);
 * *name_r is the name for the log. */
static enum store_result sq_target(struct sq_store *st, const char *name, uint32_t uidvalidity,
				   const struct sq_box *box, int64_t *id_r, const char **name_r)
{
	struct sq_mailbox mb = { .id = 0 };
	enum store_result r;

	if (name != NULL) {
		r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
		*id_r = mb.id;
		*name_r = name;
		return r;
	}
	r = sq_box_check(st, box);
	*id_r = box != NULL ? box->id : 0;
	*name_r = box != NULL ? box->name : "";
	return r;
}

/* One read transaction over the mailbox named (box NULL) or box. */
static enum store_result sq_read_txn(struct sq_store *st, const char *name, uint32_t uidvalidity,
				     const struct sq_box *box, const uint32_t *uids,
				     uint32_t uid_count, unsigned int fields,
				     bool (*cb)(const struct store_message_info *info, void *ctx),
				     void *ctx)
{
	int64_t id;
	enum store_result r;

	if ((uids == NULL && uid_count > 0) || cb == NULL || !sq_uids_ascending(uids, uid_count))
		return STORE_INVALID;
	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	r = sq_target(st, name, uidvalidity, box, &id, &name);
	if (r == STORE_OK)
		r = sq_read(st, id, name, uids, uid_count, fields, cb, ctx);
	return sq_end(st, r);
}

enum store_result sq_messages_read(struct store *store, const char *name,
				   uint32_t uidvalidity, const uint32_t *uids,
				   uint32_t uid_count, unsigned int fields,
				   bool (*cb)(const struct store_message_info *info, void *ctx),
				   void *ctx)
{
	return sq_read_txn(sq_store(store), name, uidvalidity, NULL, uids, uid_count, fields, cb,
			   ctx);
}

enum store_result sq_messages_read_in(struct store *store, const struct store_mailbox *box,
				      const uint32_t *uids, uint32_t uid_count,
				      unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx)
{
	return sq_read_txn(sq_store(store), NULL, 0, sq_box(box), uids, uid_count, fields, cb,
			   ctx);
}

/* ---- bodies ---- */

struct sq_body {
	struct store_body body;    /* the base: store.c dispatches through it */
	char *user;                /* for the log: the body outlives its handle */
	char *dir;                 /* the store's directory, for the damaged mark */
	uint64_t size;             /* the body's own (uncompressed) size */
	unsigned char *data;       /* an inline body's stored bytes, copied */
	int fd;                    /* or its file */
	int codec;                 /* enum body_codec */
	struct body_codec_reader *reader;
};

/* body_codec_pread over a body file. */
static enum store_result sq_body_pread(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct sq_body *body = ctx;

	if (sq_pread_exact(body->fd, buf, len, offset) < 0) {
		int e = errno;

		log_error("store %s: reading a body file: %s", body->user,
			  e != 0 ? strerror(e) : "shorter than its recorded size");
		return e != 0 ? STORE_ERROR : STORE_CORRUPT;
	}
	return STORE_OK;
}

/* A compressed body that fails its frame table or a frame's checksum is
 * damage SQLite cannot see: the store is marked (the next open runs the
 * full check; `petrel check` names the body). A plain body short of its
 * size answers STORE_CORRUPT as it always did. */
static void sq_body_damaged(struct sq_body *body, const char *why)
{
	if (body->codec != BODY_CODEC_PLAIN)
		sq_mark_damaged_dir(body->user, body->dir, why);
}

static enum store_result sq_body_reader(struct sq_store *st, struct sq_body *body, int codec,
				     uint64_t stored)
{
	enum store_result r;

	body->codec = codec;
	r = body_codec_reader_open((enum body_codec)codec, body->size, stored,
				   body->fd < 0 ? body->data : NULL, sq_body_pread, body,
				   sq_dict_find, st, body->user, &body->reader);
	if (r == STORE_CORRUPT)
		sq_body_damaged(body, "a body's frame table is damaged");
	return r;
}

static enum store_result sq_body_open(struct sq_store *st, int64_t mailbox_id, const char *name,
				      uint32_t uid, struct sq_body *body)
{
	sqlite3_stmt *s;
	struct stat sb;
	int rc, codec;

	s = sq_stmt(st, SQ_MSG_BODY);
	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return STORE_NOT_FOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return sq_fail(st, rc, "open body");
	}
	if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
		log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\" names body %lld,"
			  " which has no row", st->user, uid, name,
			  (long long)sqlite3_column_int64(s, 5));
		sqlite3_reset(s);
		return STORE_CORRUPT;
	}
	int64_t blob_id = sqlite3_column_int64(s, 0);
	unsigned char want[SQ_DIGEST_LEN];
	bool have_digest = sqlite3_column_bytes(s, 4) == SQ_DIGEST_LEN;

	codec = sqlite3_column_int(s, 6);
	if (!body_codec_known(codec)) {
		log_error("store %s: blob %lld: unknown codec %d", st->user, (long long)blob_id,
			  codec);
		sqlite3_reset(s);
		return STORE_CORRUPT;
	}
	if (have_digest)
		memcpy(want, sqlite3_column_blob(s, 4), SQ_DIGEST_LEN);
	body->size = (uint64_t)sqlite3_column_int64(s, 1);
	if (sqlite3_column_int(s, 2)) {
		sqlite3_blob *blob;
		uint64_t stored;

		sqlite3_reset(s);
		/* Incremental blob I/O: no copy through a statement's row. */
		rc = sqlite3_blob_open(st->db, "main", "blobs", "data", blob_id, 0, &blob);
		if (rc != SQLITE_OK)
			return sq_fail(st, rc, "open inline body");
		stored = (uint64_t)sqlite3_blob_bytes(blob);
		if (codec == BODY_CODEC_PLAIN && stored != body->size) {
			sqlite3_blob_close(blob);
			log_error("store %s: blob %lld: size does not match its data", st->user,
				  (long long)blob_id);
			return STORE_CORRUPT;
		}
		body->data = xmalloc(stored + 1);
		rc = stored > 0 ? sqlite3_blob_read(blob, body->data, (int)stored, 0) : SQLITE_OK;
		sqlite3_blob_close(blob);
		if (rc != SQLITE_OK)
			return sq_fail(st, rc, "read inline body");
		/* A plain inline body is read whole anyway, and SQLite keeps no
		 * checksum of its pages: its digest costs ~0.1 ms at 64 KiB. A
		 * compressed one is checked frame by frame (zstd's checksums) as
		 * it is read; a body file is not verified here (a partial FETCH
		 * of a 64 MB body would read all of it); `petrel check` verifies
		 * those. */
		unsigned char got[SQ_DIGEST_LEN];

		if (codec == BODY_CODEC_PLAIN && have_digest &&
		    sq_digest(body->data, (size_t)body->size, got) &&
		    memcmp(got, want, SQ_DIGEST_LEN) != 0) {
			log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\": body %lld"
				  " fails its checksum", st->user, uid, name, (long long)blob_id);
			return STORE_CORRUPT;
		}
		return sq_body_reader(st, body, codec, stored);
	}
	body->fd = openat(st->blob_dir_fd, sq_column_str(s, 3), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	sqlite3_reset(s);
	if (body->fd < 0) {
		log_error("store %s: blob %lld: cannot open its file: %s", st->user,
			  (long long)blob_id, strerror(errno));
		return errno == ENOENT ? STORE_CORRUPT : STORE_ERROR;
	}
	if (fstat(body->fd, &sb) < 0) {
		log_error("store %s: blob %lld: fstat: %s", st->user, (long long)blob_id,
			  strerror(errno));
		return STORE_ERROR;
	}
	/* A plain file shorter than its size is found when read (as before):
	 * a FETCH of its first bytes still works. */
	if (codec == BODY_CODEC_PLAIN)
		return sq_body_reader(st, body, codec, body->size);
	return sq_body_reader(st, body, codec, (uint64_t)sb.st_size);
}

/* The body of uid in the mailbox named, or in box when name is NULL. */
static enum store_result sq_body_open_txn(struct sq_store *st, const char *name,
					  uint32_t uidvalidity, const struct sq_box *box,
					  uint32_t uid, struct store_body **body_r)
{
	struct sq_body *body = xcalloc(1, sizeof(*body));
	enum store_result r;

	*body_r = NULL;
	body->body.v = &store_backend_sqlite;
	body->user = xstrdup(st->user);
	body->dir = xstrdup(st->dir);
	body->fd = -1;
	r = sq_begin(st, false);
	if (r == STORE_OK) {
		int64_t id;

		r = sq_target(st, name, uidvalidity, box, &id, &name);
		if (r == STORE_OK)
			r = sq_body_open(st, id, name, uid, body);
		r = sq_end(st, r);
	}
	if (r != STORE_OK) {
		sq_body_close(&body->body);
		return r;
	}
	*body_r = &body->body;
	return STORE_OK;
}

enum store_result sq_message_body_open(struct store *store, const char *name,
				       uint32_t uidvalidity, uint32_t uid,
				       struct store_body **body_r)
{
	return sq_body_open_txn(sq_store(store), name, uidvalidity, NULL, uid, body_r);
}

enum store_result sq_body_open_in(struct store *store, const struct store_mailbox *box,
				  uint32_t uid, struct store_body **body_r)
{
	return sq_body_open_txn(sq_store(store), NULL, 0, sq_box(box), uid, body_r);
}

uint64_t sq_body_size(const struct store_body *b)
{
	const struct sq_body *body = (const struct sq_body *)b;

	return body->size;
}

/* Bounded: at most one frame (store/body-codec.h) is decompressed into the
 * reader's buffer; a read of whole frames goes straight into buf. */
enum store_result sq_body_read(struct store_body *b, uint64_t offset, void *buf, size_t len)
{
	struct sq_body *body = (struct sq_body *)b;
	enum store_result r;

	if (offset > body->size || len > body->size - offset)
		return STORE_INVALID;
	r = body_codec_read(body->reader, offset, buf, len);
	if (r == STORE_CORRUPT)
		sq_body_damaged(body, "a body's frame is damaged");
	return r;
}

void sq_body_close(struct store_body *b)
{
	struct sq_body *body = (struct sq_body *)b;

	body_codec_reader_free(&body->reader);
	if (body->fd >= 0)
		close(body->fd);
	free(body->data);
	free(body->user);
	free(body->dir);
	free(body);
}
