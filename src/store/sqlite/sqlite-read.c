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
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

/* UIDs closer than this are read with one range query (rows in between
 * that were not asked for are skipped) rather than one query each. */
#define SQ_READ_GAP_MAX 64

static const char *sq_column_str(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? (const char *)t : "";
}

static void sq_info_read(sqlite3_stmt *s, struct store_message_info *m)
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
	if (sqlite3_column_type(s, 10) == SQLITE_BLOB) {
		m->summary = sqlite3_column_blob(s, 10);
		m->summary_size = (size_t)sqlite3_column_bytes(s, 10);
	} else {
		m->summary = NULL;
		m->summary_size = 0;
	}
}

/* A mailbox handle (store_mailbox_open()): the mailbox's row, not its
 * name, so a RENAME meanwhile changes nothing for it. Row ids can be
 * reused after a DELETE, and a \Noselect parent made selectable again
 * keeps its row with a new UIDVALIDITY: each call checks both by the row
 * (one primary-key lookup) inside its own transaction. */
struct store_mailbox {
	char *user;                /* the store it belongs to */
	char *name;                /* as opened: for the log only */
	int64_t id;
	uint32_t uidvalidity;
};

static enum store_result sq_box_check(struct store *st, const struct store_mailbox *box)
{
	sqlite3_stmt *s;
	int rc;
	bool same = false;

	if (strcmp(st->user, box->user) != 0)
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

enum store_result store_mailbox_open(struct store *st, const char *name, uint32_t uidvalidity,
				     struct store_mailbox **box_r)
{
	struct sq_mailbox mb;
	enum store_result r;

	*box_r = NULL;
	r = sq_begin(st, false);
	if (r == STORE_OK)
		r = sq_end(st, sq_mailbox_load_checked(st, name, uidvalidity, &mb));
	if (r != STORE_OK)
		return r;
	struct store_mailbox *box = xcalloc(1, sizeof(*box));

	box->user = xstrdup(st->user);
	box->name = xstrdup(name);
	box->id = mb.id;
	box->uidvalidity = uidvalidity;
	*box_r = box;
	return STORE_OK;
}

void store_mailbox_close(struct store_mailbox **boxp)
{
	struct store_mailbox *box = *boxp;

	if (box == NULL)
		return;
	*boxp = NULL;
	free(box->user);
	free(box->name);
	free(box);
}

static enum store_result sq_read(struct store *st, int64_t mailbox_id, const char *name,
				 const uint32_t *uids, uint32_t count, unsigned int fields,
				 bool (*cb)(const struct store_message_info *info, void *ctx),
				 void *ctx)
{
	enum sq_stmt id = (fields & STORE_READ_SUMMARY) != 0 ? SQ_MSG_READ : SQ_MSG_READ_NOSUM;

	for (uint32_t i = 0; i < count;) {
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
			if (i < end && uids[i] == uid && sqlite3_column_int(s, 11) != 0) {
				/* Not expunged (the row is here): damage, which
				 * the reply must not pass off as EXPUNGEISSUED. */
				log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\""
					  " names body %lld, which has no row", st->user, uid, name,
					  (long long)sqlite3_column_int64(s, 12));
				sqlite3_reset(s);
				return STORE_CORRUPT;
			}
			if (i < end && uids[i] == uid) {
				struct store_message_info info;

				sq_info_read(s, &info);
				stop = !cb(&info, ctx);
				i++;
			}
		}
		sqlite3_reset(s);
		if (stop)
			return STORE_OK;
		if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "read messages");
		i = end;
	}
	return STORE_OK;
}

enum store_result store_messages_read(struct store *st, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx)
{
	enum store_result r;

	if ((uids == NULL && uid_count > 0) || cb == NULL || !sq_uids_ascending(uids, uid_count))
		return STORE_INVALID;
	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	struct sq_mailbox mb;

	r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
	if (r == STORE_OK)
		r = sq_read(st, mb.id, name, uids, uid_count, fields, cb, ctx);
	return sq_end(st, r);
}

enum store_result store_messages_read_in(struct store *st, const struct store_mailbox *box,
					 const uint32_t *uids, uint32_t uid_count,
					 unsigned int fields,
					 bool (*cb)(const struct store_message_info *info,
						    void *ctx),
					 void *ctx)
{
	enum store_result r;

	if ((uids == NULL && uid_count > 0) || cb == NULL || !sq_uids_ascending(uids, uid_count))
		return STORE_INVALID;
	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	r = sq_box_check(st, box);
	if (r == STORE_OK)
		r = sq_read(st, box->id, box->name, uids, uid_count, fields, cb, ctx);
	return sq_end(st, r);
}

/* ---- bodies ---- */

struct store_body {
	char *user;                /* for the log: the body outlives its handle */
	uint64_t size;
	unsigned char *data;       /* an inline body, copied */
	int fd;                    /* or its file */
};

static enum store_result sq_body_open(struct store *st, int64_t mailbox_id, const char *name,
				      uint32_t uid, struct store_body *body)
{
	sqlite3_stmt *s;
	int rc;

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

	if (have_digest)
		memcpy(want, sqlite3_column_blob(s, 4), SQ_DIGEST_LEN);
	body->size = (uint64_t)sqlite3_column_int64(s, 1);
	if (sqlite3_column_int(s, 2)) {
		sqlite3_blob *blob;

		sqlite3_reset(s);
		/* Incremental blob I/O: no copy through a statement's row. */
		rc = sqlite3_blob_open(st->db, "main", "blobs", "data", blob_id, 0, &blob);
		if (rc != SQLITE_OK)
			return sq_fail(st, rc, "open inline body");
		if ((uint64_t)sqlite3_blob_bytes(blob) != body->size) {
			sqlite3_blob_close(blob);
			log_error("store %s: blob %lld: size does not match its data", st->user,
				  (long long)blob_id);
			return STORE_CORRUPT;
		}
		body->data = xmalloc(body->size + 1);
		rc = body->size > 0 ? sqlite3_blob_read(blob, body->data, (int)body->size, 0) :
			SQLITE_OK;
		sqlite3_blob_close(blob);
		if (rc != SQLITE_OK)
			return sq_fail(st, rc, "read inline body");
		/* An inline body is read whole anyway, and SQLite keeps no
		 * checksum of its pages: its digest costs ~0.1 ms at 64 KiB. A
		 * body file is not verified here (a partial FETCH of a 64 MB
		 * body would read all of it); `petrel check` verifies those. */
		unsigned char got[SQ_DIGEST_LEN];

		if (have_digest && sq_digest(body->data, (size_t)body->size, got) &&
		    memcmp(got, want, SQ_DIGEST_LEN) != 0) {
			log_error("store %s: message UID %" PRIu32 " of mailbox \"%s\": body %lld"
				  " fails its checksum", st->user, uid, name, (long long)blob_id);
			return STORE_CORRUPT;
		}
		return STORE_OK;
	}
	body->fd = openat(st->blob_dir_fd, sq_column_str(s, 3), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	sqlite3_reset(s);
	if (body->fd < 0) {
		log_error("store %s: blob %lld: cannot open its file: %s", st->user,
			  (long long)blob_id, strerror(errno));
		return errno == ENOENT ? STORE_CORRUPT : STORE_ERROR;
	}
	return STORE_OK;
}

/* The body of uid in the mailbox named, or in box when name is NULL. */
static enum store_result sq_body_open_txn(struct store *st, const char *name,
					  uint32_t uidvalidity, const struct store_mailbox *box,
					  uint32_t uid, struct store_body **body_r)
{
	struct store_body *body = xcalloc(1, sizeof(*body));
	enum store_result r;

	*body_r = NULL;
	body->user = xstrdup(st->user);
	body->fd = -1;
	r = sq_begin(st, false);
	if (r == STORE_OK) {
		struct sq_mailbox mb;

		if (name != NULL) {
			r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
		} else {
			r = sq_box_check(st, box);
			mb.id = box->id;
			name = box->name;
		}
		if (r == STORE_OK)
			r = sq_body_open(st, mb.id, name, uid, body);
		r = sq_end(st, r);
	}
	if (r != STORE_OK) {
		store_body_close(&body);
		return r;
	}
	*body_r = body;
	return STORE_OK;
}

enum store_result store_body_open(struct store *st, const char *name, uint32_t uidvalidity,
				  uint32_t uid, struct store_body **body_r)
{
	return sq_body_open_txn(st, name, uidvalidity, NULL, uid, body_r);
}

enum store_result store_body_open_in(struct store *st, const struct store_mailbox *box,
				     uint32_t uid, struct store_body **body_r)
{
	return sq_body_open_txn(st, NULL, 0, box, uid, body_r);
}

uint64_t store_body_size(const struct store_body *body)
{
	return body->size;
}

enum store_result store_body_read(struct store_body *body, uint64_t offset, void *buf,
				  size_t len)
{
	if (offset > body->size || len > body->size - offset)
		return STORE_INVALID;
	if (body->fd < 0) {
		if (len > 0)
			memcpy(buf, body->data + offset, len);
		return STORE_OK;
	}
	if (sq_pread_exact(body->fd, buf, len, offset) < 0) {
		int e = errno;

		log_error("store %s: reading a body file: %s", body->user,
			  e != 0 ? strerror(e) : "shorter than its recorded size");
		return e != 0 ? STORE_ERROR : STORE_CORRUPT;
	}
	return STORE_OK;
}

void store_body_close(struct store_body **bodyp)
{
	struct store_body *body = *bodyp;

	if (body == NULL)
		return;
	*bodyp = NULL;
	if (body->fd >= 0)
		close(body->fd);
	free(body->data);
	free(body->user);
	free(body);
}
