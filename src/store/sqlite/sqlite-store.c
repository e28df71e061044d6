/* The SQLite store: one database per user at DATA/users/<user>/store.db with
 * large bodies as files in DATA/users/<user>/blobs/. This file opens and
 * closes it, owns the schema, the prepared statements and transactions. It
 * never leaves a transaction open between calls.
 *
 * Schema (user_version 9; versions 1-8 are upgraded at open):
 *
 *   meta(key PRIMARY KEY, value)       'last_uidvalidity': UIDVALIDITY is
 *       max(now, last + 1), so a re-created mailbox never reuses one
 *   mailboxes(id, name UNIQUE, uidvalidity, uidnext, highestmodseq,
 *       recent_uid, special_use, noselect,
 *       messages, unseen, deleted, size, recent)
 *       The last five are counters kept exact by every transaction that
 *       changes messages (STATUS never scans messages); store_check()
 *       recounts them. A \Noselect row keeps no messages, keywords or
 *       expunge records. Every parent of a mailbox exists as a row.
 *   subscriptions(name PRIMARY KEY)    names; they need not exist
 *   keywords(mailbox_id, bit, name NOCASE, PK(mailbox_id, bit),
 *       UNIQUE(mailbox_id, name))      bits 0..63, never reused in a mailbox
 *   blobs(id, size, refcount, data NULL, file NULL, emailid, summary,
 *       msgid, threadid, text_partial, digest, codec)
 *       exactly one of data (<= 64 KiB stored, inline) and file (a name in
 *       blobs/), holding the body as codec says (store/body-codec.h: 0
 *       plain, 1 zstd frames; version 5, 0 for every body stored before);
 *       size is the body's own size (RFC822.SIZE), not the stored one;
 *       refcount = messages pointing at it (COPY shares, never copies);
 *       emailid is the RFC 8474 EMAILID, so copies share it; threadid the
 *       THREADID, inherited through msgid (the Message-ID, indexed);
 *       summary is mail/mail-summary.h's encoding, made at delivery
 *       (NULL only if it could not be made); text_partial = 1 when the
 *       body text was too long to index whole; digest the body's SHA-256,
 *       uncompressed (version 4; NULL: stored before, not known)
 *   text_pending(blob_id, subject, hfrom, hto, hcc, hbcc, header, mime, body):
 *       the search text of a message (mime: the headers of MIME parts and
 *       nested messages, for TEXT) not yet in the index. Delivery writes
 *       one plain row here, in its own transaction; the indexer
 *       (sqlite-index.c) moves SQ_INDEX_BATCH rows at a time into
 *       search.db, which costs the FTS index far less per message than one
 *       small transaction each. SEARCH reads both, so results never depend
 *       on how far the indexer is.
 *   text_gone(blob_id): blobs deleted since the indexer last ran; it
 *       removes their rows from the index. Blob ids are never reused
 *       (meta blob_id_high), so a stale row matches no message meanwhile.
 *
 * search.db, the search index in a file of its own, so that indexing,
 * which costs more CPU than the rest of a delivery, runs beside delivery
 * (another worker, another core) instead of holding store.db's write lock:
 *   text_store(blob_id, the columns of text_pending): each message's
 *       search text, once, each value zstd-packed when that makes it
 *       smaller, with text_dict's dictionary once the store has 1,000
 *       messages to train it on (sqlite-text.c)
 *   text_index(rowid = blob id, the same columns): FTS5, contentless
 *       (content=''), without positions (detail=none), with the trigram
 *       tokenizer over text petrel has already case-folded (utf8proc full
 *       folding: FTS5's own folding is ASCII and simple folding only).
 *       It names candidates: messages holding every trigram of a needle
 *       of 3+ characters, anywhere; SEARCH verifies each against
 *       text_store (sqlite-search.c). search.db over jwz's 2,403
 *       messages: 0.93x the mail, where the first format (blob_text: the
 *       text inside FTS5, with positions) took 4.8x; 0.79x at 100,000.
 *   text_meta(key, value): 'upgrade_high' while a first-format blob_text
 *       is converted, 'vacuum_due' after that or a dictionary's training
 *       (sqlite-index.c)
 *   text_dict(id = zstd dictionary id, dict)
 *       The store's connection attaches search.db read-only (an IMMEDIATE
 *       transaction on store.db then never locks it), memory-mapped.
 *   messages(mailbox_id, uid, blob_id, flags, keywords, internaldate,
 *       internaldate_zone, savedate, modseq, PK(mailbox_id, uid))
 *       WITHOUT ROWID: clustered by UID, so SELECT reads one range;
 *       indexes (mailbox_id, modseq) for CONDSTORE, (blob_id) for the
 *       foreign key, partial (mailbox_id, uid) on unseen and on \Deleted for
 *       STATUS's first unseen and EXPUNGE
 *   expunged(mailbox_id, uid, modseq, PK(mailbox_id, uid)) + (mailbox_id,
 *       modseq): kept for QRESYNC (RFC 7162 §3.2.5.1) until the mailbox goes
 *   metadata(mailbox_id, owner, name, value): METADATA entries (RFC 5464),
 *       0 for the server's; owner '' for /shared, else the user's whose
 *       /private entry it is; removed with their mailbox (version 7)
 *   acl(mailbox_id, identifier, rights): ACL entries (RFC 4314), rights
 *       as letters; removed with their mailbox (version 8)
 *   seen(mailbox_id, viewer, uid): \Seen of users other than the owner
 *       (version 9)
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

#define SQ_SCHEMA_VERSION 9
/* store_open() runs PRAGMA quick_check when the last one is older than this.
 * It reads the whole file (bodies up to 64 KiB live inside it: 0.5 s for
 * 10,000 messages of 8 KiB, a 164 MB file), too much for every login of a user
 * whose sessions all ended; WAL with synchronous=FULL keeps a crash from
 * damaging the file, so the check is for the disk's own failures, and once
 * a day finds those. `petrel check` always runs the full check. */
#define SQ_QUICK_CHECK_INTERVAL_S (24 * 60 * 60)
#define SQ_USER_MAX 255            /* a directory name component */
/* Page cache per connection, in KiB (negative: SQLite's unit for KiB).
 * SQLite's default is 2 MiB; a handle lives only while its user's
 * commands run (imap/mail-user.c closes idle ones), and the pages a
 * command reads again (mailbox rows, the messages table of one mailbox,
 * index interiors) fit in 256 KiB; bodies are read once. */
#define SQ_CACHE_KIB_NEG -256
/* Lookaside (SQLite's per-connection pool for small allocations): its
 * default, 100 slots of 1,200 bytes, is 117 KiB per connection; 64 slots of
 * 256 bytes keep most of the speed-up for 16 KiB. */
#define SQ_LOOKASIDE_SLOT 256
#define SQ_LOOKASIDE_SLOTS 64
#define SQ_PATH_MAX 4096

/* What version 2 added, also run on a version 1 store to upgrade it. */
#define SQ_SCHEMA_V2 \
	"ALTER TABLE blobs ADD COLUMN summary BLOB;" \
	"ALTER TABLE blobs ADD COLUMN msgid TEXT;" \
	"ALTER TABLE blobs ADD COLUMN threadid TEXT;" \
	"ALTER TABLE blobs ADD COLUMN text_partial INTEGER NOT NULL DEFAULT 0;" \
	"CREATE INDEX blobs_msgid ON blobs (msgid) WHERE msgid IS NOT NULL;" \
	"CREATE VIRTUAL TABLE blob_text USING fts5(subject, hfrom, hto, hcc, hbcc, header," \
	" mime, body, tokenize = 'trigram case_sensitive 1');" \
	"CREATE TABLE text_pending (blob_id INTEGER PRIMARY KEY, subject, hfrom, hto, hcc," \
	" hbcc, header, mime, body);"

/* Version 3: the index moves to search.db. Its text goes back to
 * text_pending, for the indexer to put there. */
#define SQ_SCHEMA_V3 \
	"INSERT INTO text_pending SELECT rowid, subject, hfrom, hto, hcc, hbcc, header, mime," \
	" body FROM blob_text;" \
	"DROP TABLE blob_text;" \
	"CREATE TABLE text_gone (blob_id INTEGER PRIMARY KEY);"

/* Version 4: each body's SHA-256 (NULL: stored before, not known). */
#define SQ_SCHEMA_V4 \
	"ALTER TABLE blobs ADD COLUMN digest BLOB;"

/* Version 5: compressed bodies; those stored before stay plain (0). */
#define SQ_SCHEMA_V5 \
	"ALTER TABLE blobs ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;"

/* Version 6: the store's zstd dictionaries (store/store-dict.h), trained
 * by the indexer; id is the dictionary's own zstd id, which the bodies
 * and summaries made with it name. A row is never changed or deleted. */
#define SQ_SCHEMA_V6 \
	"CREATE TABLE dicts (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL," \
	" dict BLOB NOT NULL);"

/* Version 7: METADATA (RFC 5464, sqlite-metadata.c): mailbox_id 0 for the
 * server's entries, owner '' for /shared ones and the user who set them
 * for /private ones, name in lower case. */
#define SQ_SCHEMA_V7 \
	"CREATE TABLE metadata (mailbox_id INTEGER NOT NULL, owner TEXT NOT NULL," \
	" name TEXT NOT NULL, value BLOB NOT NULL," \
	" PRIMARY KEY (mailbox_id, owner, name)) WITHOUT ROWID;"

/* Version 8: ACL entries (RFC 4314, sqlite-acl.c), rights as their
 * letters (store/acl.h acl_rights_store_format()). */
#define SQ_SCHEMA_V8 \
	"CREATE TABLE acl (mailbox_id INTEGER NOT NULL, identifier TEXT NOT NULL," \
	" rights TEXT NOT NULL, PRIMARY KEY (mailbox_id, identifier)) WITHOUT ROWID;"

/* Version 9: \Seen of users other than the owner (sqlite-seen.c), a row
 * while the message is \Seen for them. */
#define SQ_SCHEMA_V9 \
	"CREATE TABLE seen (mailbox_id INTEGER NOT NULL, viewer TEXT NOT NULL," \
	" uid INTEGER NOT NULL, PRIMARY KEY (mailbox_id, viewer, uid)) WITHOUT ROWID;"

static const char sq_schema[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE mailboxes ("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL DEFAULT 1,"
	" highestmodseq INTEGER NOT NULL DEFAULT 1, recent_uid INTEGER NOT NULL DEFAULT 1,"
	" special_use INTEGER NOT NULL DEFAULT 0, noselect INTEGER NOT NULL DEFAULT 0,"
	" messages INTEGER NOT NULL DEFAULT 0, unseen INTEGER NOT NULL DEFAULT 0,"
	" deleted INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
	" recent INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE subscriptions (name TEXT PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE keywords ("
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id), bit INTEGER NOT NULL,"
	" name TEXT NOT NULL COLLATE NOCASE,"
	" PRIMARY KEY (mailbox_id, bit), UNIQUE (mailbox_id, name)) WITHOUT ROWID;"
	"CREATE TABLE blobs ("
	" id INTEGER PRIMARY KEY, size INTEGER NOT NULL, refcount INTEGER NOT NULL,"
	" data BLOB, file TEXT, emailid TEXT NOT NULL,"
	" CHECK ((data IS NULL) != (file IS NULL)));"
	SQ_SCHEMA_V2
	"CREATE TABLE messages ("
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id), uid INTEGER NOT NULL,"
	" blob_id INTEGER NOT NULL REFERENCES blobs (id), flags INTEGER NOT NULL,"
	" keywords INTEGER NOT NULL, internaldate INTEGER NOT NULL,"
	" internaldate_zone INTEGER NOT NULL, savedate INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL, PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
	"CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);"
	"CREATE INDEX messages_blob ON messages (blob_id);"
	"CREATE INDEX messages_unseen ON messages (mailbox_id, uid) WHERE flags & 1 = 0;"
	"CREATE INDEX messages_deleted ON messages (mailbox_id, uid) WHERE flags & 8 != 0;"
	"CREATE TABLE expunged ("
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id), uid INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL, PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
	"CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);"
	SQ_SCHEMA_V3
	SQ_SCHEMA_V4
	SQ_SCHEMA_V5
	SQ_SCHEMA_V6
	SQ_SCHEMA_V7
	SQ_SCHEMA_V8
	SQ_SCHEMA_V9;

/* What a new store holds (RFC 6154 attributes), all subscribed. */
static const struct {
	const char *name;
	unsigned int special_use;
} sq_default_mailboxes[] = {
	{ "INBOX", 0 },
	{ "Sent", STORE_USE_SENT },
	{ "Drafts", STORE_USE_DRAFTS },
	{ "Trash", STORE_USE_TRASH },
	{ "Junk", STORE_USE_JUNK },
	{ "Archive", STORE_USE_ARCHIVE },
};

static const char *const sq_sql[SQ_STMT_COUNT] = {
#define SQ_STMT_SQL(id, sql) [SQ_##id] = sql,
	SQ_STATEMENTS(SQ_STMT_SQL)
#undef SQ_STMT_SQL
};

/* SQLite's global settings, before its first use in the process (hence a
 * constructor: the password database opens SQLite before any store). No
 * bulk allocation of page cache at each connection's first read (SQLite's
 * default is 20 pages, 85 KiB, per attached file): pages are allocated as
 * read, up to SQ_CACHE_KIB_NEG. */
__attribute__((constructor)) static void sq_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

/* ---- errors and statements ---- */

enum store_result sq_map_db(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_FULL:
		return STORE_NO_SPACE;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_CORRUPT;
	case SQLITE_IOERR: {
		int e = db != NULL ? sqlite3_system_errno(db) : 0;

		return e == ENOSPC || e == EDQUOT ? STORE_NO_SPACE : STORE_ERROR;
	}
	default:
		return STORE_ERROR;
	}
}

enum store_result sq_fail(struct sq_store *st, int rc, const char *what)
{
	enum store_result r = sq_map_db(st->db, rc);

	if (r == STORE_OK)
		r = STORE_ERROR;
	log_msg(r == STORE_BUSY || r == STORE_NO_SPACE ? LOG_WARN : LOG_ERROR,
		"store %s: %s: %s (%d)", st->user, what,
		st->db != NULL ? sqlite3_errmsg(st->db) : "no database", rc);
	/* Whenever SQLite finds damage, not only at open's check. Not for the
	 * search index (an FTS5 table in search.db, derived data that SEARCH
	 * can do without): mail must not stop for it. */
	if (r == STORE_CORRUPT && st->db != NULL && rc != SQLITE_CORRUPT_VTAB)
		sq_mark_damaged(st, what);
	return r;
}

void sq_mark_damaged(struct sq_store *st, const char *why)
{
	if (st->read_only)
		return;
	st->read_only = true;
	log_error("store %s: damaged (%s): read-only until repaired; run `petrel check`",
		  st->user, why);
	sq_mark_damaged_dir(st->user, st->dir, why);
}

void sq_mark_damaged_dir(const char *user, const char *dir, const char *why)
{
	char path[SQ_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/" SQ_DAMAGED_FILE, dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fsync(fd) < 0)
		log_error("store %s: cannot create %s (%s): %s (the damage is known to this"
			  " process only)", user, path, why, strerror(errno));
	if (fd >= 0)
		close(fd);
}

bool sq_read_only(const struct store *store)
{
	return sq_store_const(store)->read_only;
}

sqlite3_stmt *sq_stmt(struct sq_store *st, enum sq_stmt id)
{
	sqlite3_stmt *stmt = st->stmts[id];

	if (stmt == NULL) {
		/* Prepared at first use: a session that only SELECTs and IDLEs
		 * uses a handful of the fifty, at 2-8 KiB each. */
		int rc = sqlite3_prepare_v3(st->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmts[id], NULL);

		if (rc != SQLITE_OK) {
			/* NULL makes the caller's step fail (SQLITE_MISUSE),
			 * which it reports as any failed statement. */
			sq_fail(st, rc, sq_sql[id]);
			st->stmts[id] = NULL;
			return NULL;
		}
		return st->stmts[id];
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

enum store_result sq_run(struct sq_store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(st, rc, what);
}

enum store_result sq_exec(struct sq_store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : sq_fail(st, rc, sql);
}

/* ---- transactions ---- */

static void sq_unlink_forget(struct sq_store *st)
{
	for (size_t i = 0; i < st->unlink_count; i++)
		free(st->unlink_names[i]);
	st->unlink_count = 0;
}

void sq_unlink_after_commit(struct sq_store *st, const char *file)
{
	if (st->unlink_count == st->unlink_alloc) {
		st->unlink_alloc = st->unlink_alloc == 0 ? 8 : st->unlink_alloc * 2;
		st->unlink_names = xrealloc(st->unlink_names,
					    st->unlink_alloc * sizeof(*st->unlink_names));
	}
	st->unlink_names[st->unlink_count++] = xstrdup(file);
}

/* write: 0 read, 1 durable write, 2 lazy write (sq_begin_lazy). */
static enum store_result sq_begin_as(struct sq_store *st, int write)
{
	sq_unlink_forget(st);
	st->renamed_count = 0;
	st->blob_dir_dirty = false;
	if (write && st->read_only)
		return STORE_READ_ONLY;
	/* synchronous is the connection's, read at each commit: switched only
	 * when the kind of write changes, outside any transaction. */
	if (write && st->sync_lazy != (write == 2)) {
		enum store_result r = sq_exec(st, write == 2 ? "PRAGMA synchronous=NORMAL"
					      : "PRAGMA synchronous=FULL");

		if (r != STORE_OK)
			return r;
		st->sync_lazy = write == 2;
	}
	st->txn_write = write != 0;
	st->txn_visible = false;
	return sq_exec(st, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

enum store_result sq_begin(struct sq_store *st, bool write)
{
	return sq_begin_as(st, write ? 1 : 0);
}

enum store_result sq_begin_lazy(struct sq_store *st)
{
	return sq_begin_as(st, 2);
}

void sq_rollback(struct sq_store *st)
{
	sq_unlink_forget(st);
	/* Before ROLLBACK releases the write lock (see struct sq_store). */
	for (size_t i = 0; i < st->renamed_count; i++)
		sq_blob_unrename(st->renamed[i]);
	st->renamed_count = 0;
	st->blob_dir_dirty = false;
	/* SQLite may already have rolled back (SQLITE_FULL, IOERR). */
	if (!sqlite3_get_autocommit(st->db) &&
	    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		log_error("store %s: ROLLBACK: %s", st->user, sqlite3_errmsg(st->db));
}

enum store_result sq_commit(struct sq_store *st)
{
	int rc;

	/* A row may name a body file only once its name is durable. */
	if (st->blob_dir_dirty && fsync(st->blob_dir_fd) < 0) {
		int e = errno;

		log_error("store %s: fsync blobs/: %s", st->user, strerror(e));
		sq_rollback(st);
		return e == ENOSPC || e == EDQUOT ? STORE_NO_SPACE : STORE_ERROR;
	}
	st->blob_dir_dirty = false;
	rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		enum store_result r = sq_fail(st, rc, "COMMIT");

		sq_rollback(st);
		return r;
	}
	st->renamed_count = 0;
	if (st->txn_write && st->txn_visible)
		st->change_count++;
	/* The rows are gone for good: now their files may go. */
	for (size_t i = 0; i < st->unlink_count; i++) {
		if (unlinkat(st->blob_dir_fd, st->unlink_names[i], 0) < 0 && errno != ENOENT)
			log_warn("store %s: cannot remove blobs/%s: %s", st->user,
				 st->unlink_names[i], strerror(errno));
	}
	sq_unlink_forget(st);
	return STORE_OK;
}

enum store_result sq_end(struct sq_store *st, enum store_result r)
{
	if (r == STORE_OK)
		return sq_commit(st);
	sq_rollback(st);
	return r;
}

/* ---- mailbox rows ---- */

static void sq_mailbox_read(sqlite3_stmt *s, struct sq_mailbox *mb)
{
	memset(mb, 0, sizeof(*mb));
	mb->id = sqlite3_column_int64(s, 0);
	mb->uidvalidity = (uint32_t)sqlite3_column_int64(s, 1);
	mb->uidnext = (uint32_t)sqlite3_column_int64(s, 2);
	mb->highestmodseq = (uint64_t)sqlite3_column_int64(s, 3);
	mb->recent_uid = (uint32_t)sqlite3_column_int64(s, 4);
	mb->special_use = (unsigned int)sqlite3_column_int(s, 5);
	mb->noselect = sqlite3_column_int(s, 6) != 0;
	mb->messages = (uint32_t)sqlite3_column_int64(s, 7);
	mb->unseen = (uint32_t)sqlite3_column_int64(s, 8);
	mb->deleted = (uint32_t)sqlite3_column_int64(s, 9);
	mb->size = (uint64_t)sqlite3_column_int64(s, 10);
	mb->recent = (uint32_t)sqlite3_column_int64(s, 11);
}

enum store_result sq_mailbox_load(struct sq_store *st, const char *name, struct sq_mailbox *mb_r)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_MB_GET);
	int rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		sq_mailbox_read(s, mb_r);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_fail(st, rc, "load mailbox");
}

enum store_result sq_mailbox_load_checked(struct sq_store *st, const char *name,
					  uint32_t uidvalidity, struct sq_mailbox *mb_r)
{
	enum store_result r = store_mailbox_name_check(name);

	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = sq_mailbox_load(st, name, mb_r);
	if (r != STORE_OK)
		return r;
	if (mb_r->noselect || mb_r->uidvalidity != uidvalidity)
		return STORE_NOT_FOUND;
	return STORE_OK;
}

uint64_t sq_mailbox_next_modseq(struct sq_mailbox *mb)
{
	mb->changed = true;
	return mb->highestmodseq + 1;
}

enum store_result sq_mailbox_save(struct sq_store *st, struct sq_mailbox *mb)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_MB_SAVE);

	if (mb->changed) {
		mb->highestmodseq++;
		mb->changed = false;
		st->txn_visible = true;
	}
	sqlite3_bind_int64(s, 1, mb->id);
	sqlite3_bind_int64(s, 2, mb->uidnext);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)mb->highestmodseq);
	sqlite3_bind_int64(s, 4, mb->recent_uid);
	sqlite3_bind_int64(s, 5, mb->messages);
	sqlite3_bind_int64(s, 6, mb->unseen);
	sqlite3_bind_int64(s, 7, mb->deleted);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)mb->size);
	sqlite3_bind_int64(s, 9, mb->recent);
	return sq_run(st, s, "save mailbox");
}

enum store_result sq_new_uidvalidity(struct sq_store *st, uint32_t *uidvalidity_r)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_META_GET);
	int64_t last = 0, next, now = (int64_t)time(NULL);
	int rc;

	sqlite3_bind_text(s, 1, "last_uidvalidity", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		last = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "read last uidvalidity");
	next = now > last ? now : last + 1;
	if (next <= 0 || next > (int64_t)UINT32_MAX) {
		log_error("store %s: UIDVALIDITY values exhausted", st->user);
		return STORE_LIMIT;
	}
	s = sq_stmt(st, SQ_META_SET);
	sqlite3_bind_text(s, 1, "last_uidvalidity", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, next);
	*uidvalidity_r = (uint32_t)next;
	return sq_run(st, s, "write last uidvalidity");
}

enum store_result sq_mailbox_insert(struct sq_store *st, const char *name,
				    unsigned int special_use, int64_t *id_r)
{
	uint32_t uidvalidity;
	enum store_result r = sq_new_uidvalidity(st, &uidvalidity);
	sqlite3_stmt *s;

	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_MB_INSERT);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, uidvalidity);
	sqlite3_bind_int(s, 3, (int)special_use);
	r = sq_run(st, s, "insert mailbox");
	if (r == STORE_OK && id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return r;
}

/* ---- counters ---- */

void sq_count_add(struct sq_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size)
{
	mb->messages++;
	mb->size += size;
	if ((flags & STORE_FLAG_SEEN) == 0)
		mb->unseen++;
	if ((flags & STORE_FLAG_DELETED) != 0)
		mb->deleted++;
	if (uid >= mb->recent_uid)
		mb->recent++;
}

void sq_count_remove(struct sq_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size)
{
	mb->messages--;
	mb->size -= size;
	if ((flags & STORE_FLAG_SEEN) == 0)
		mb->unseen--;
	if ((flags & STORE_FLAG_DELETED) != 0)
		mb->deleted--;
	if (uid >= mb->recent_uid)
		mb->recent--;
}

void sq_count_flags(struct sq_mailbox *mb, uint32_t old_flags, uint32_t new_flags)
{
	uint32_t diff = old_flags ^ new_flags;

	if (diff & STORE_FLAG_SEEN) {
		if (new_flags & STORE_FLAG_SEEN)
			mb->unseen--;
		else
			mb->unseen++;
	}
	if (diff & STORE_FLAG_DELETED) {
		if (new_flags & STORE_FLAG_DELETED)
			mb->deleted++;
		else
			mb->deleted--;
	}
}

/* ---- random identifiers ---- */

enum store_result sq_random_id(char *out, size_t size, char prefix)
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

/* ---- open and close ---- */

bool sq_user_ok(const char *user)
{
	size_t len;

	if (user == NULL || user[0] == '\0' || user[0] == '.')
		return false;
	len = strnlen(user, SQ_USER_MAX + 1);
	return len <= SQ_USER_MAX && strchr(user, '/') == NULL;
}

/* Creates a directory and makes its entry durable, so a blob made durable
 * in it right after cannot vanish with it on power loss. */
static bool sq_mkdir(const char *path, char *err, size_t err_size)
{
	char parent[SQ_PATH_MAX];
	char *slash;
	int fd;

	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return true;
		snprintf(err, err_size, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		snprintf(err, err_size, "cannot sync %s: %s", parent, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* SQLite gives -wal and -shm the database file's mode: create it 0600. */
static bool sq_create_file(const char *path, char *err, size_t err_size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		snprintf(err, err_size, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* When the last quick_check passed (0: never, or a store without meta). */
static int64_t sq_last_quick_check(struct sq_store *st)
{
	sqlite3_stmt *s;
	int64_t when = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'last_quick_check'",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		when = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return when;
}

/* pragma: "quick_check" or "integrity_check". STORE_CORRUPT when it finds
 * problems (each logged). */
static enum store_result sq_quick_check(struct sq_store *st, const char *pragma, char *err,
					size_t err_size)
{
	char sql[64];
	sqlite3_stmt *s;
	unsigned int problems = 0;
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA %s", pragma);
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "cannot check store: %s", sqlite3_errmsg(st->db));
		return sq_fail(st, rc, "quick_check");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(s, 0);

		if (line != NULL && strcmp(line, "ok") == 0)
			continue;
		problems++;
		log_error("store %s: %s: %s", st->user, pragma, line != NULL ? line : "?");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		snprintf(err, err_size, "cannot check store: %s", sqlite3_errstr(rc));
		return sq_fail(st, rc, pragma);
	}
	if (problems > 0) {
		snprintf(err, err_size, "store of %s is corrupt (%u problems, see log)",
			 st->user, problems);
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

/* bare: INBOX alone (STORE_OPEN_BARE). */
static enum store_result sq_create_defaults(struct sq_store *st, bool bare)
{
	enum store_result r = STORE_OK;
	size_t count = bare ? 1 : sizeof(sq_default_mailboxes) / sizeof(sq_default_mailboxes[0]);

	for (size_t i = 0; r == STORE_OK && i < count; i++) {
		sqlite3_stmt *s;

		r = sq_mailbox_insert(st, sq_default_mailboxes[i].name,
				      sq_default_mailboxes[i].special_use, NULL);
		if (r != STORE_OK)
			break;
		s = sq_stmt(st, SQ_SUB_ADD);
		sqlite3_bind_text(s, 1, sq_default_mailboxes[i].name, -1, SQLITE_STATIC);
		r = sq_run(st, s, "subscribe default");
	}
	return r;
}

static int sq_user_version(struct sq_store *st)
{
	sqlite3_stmt *s;
	int version = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			version = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return version;
}

/* Whether store.db holds no page yet (a file just made). */
static bool sq_empty_file(struct sq_store *st)
{
	sqlite3_stmt *s;
	bool empty = false;

	if (sqlite3_prepare_v2(st->db, "PRAGMA main.page_count", -1, &s, NULL) == SQLITE_OK) {
		empty = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == 0;
		sqlite3_finalize(s);
	}
	return empty;
}

/* Tables in the main database (-1 on error): a version 0 file with none
 * is a store never set up, one with some is not ours to overwrite. */
static int sq_table_count(struct sq_store *st)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM main.sqlite_master", -1, &s,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return n;
}

/* Creates the schema and the default mailboxes in one transaction, unless
 * another process did it first (create: the caller may make a new store),
 * or upgrades an older schema. A damaged store is only opened as it is. */
static enum store_result sq_setup(struct sq_store *st, bool create, bool bare, char *err,
				  size_t err_size)
{
	enum store_result r;
	int version;

	if (st->read_only) {
		version = sq_user_version(st);
		if (version == SQ_SCHEMA_VERSION)
			return STORE_OK;
		snprintf(err, err_size, "damaged store of schema version %d cannot be upgraded",
			 version);
		return STORE_CORRUPT;
	}
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	version = sq_user_version(st);
	if (version >= 1 && version <= 8) {
		log_info("store %s: upgrading the store from version %d to %d", st->user,
			 version, SQ_SCHEMA_VERSION);
		/* 2: summaries and search text for the messages already there. */
		if (version == 1)
			r = sq_exec(st, SQ_SCHEMA_V2);
		if (r == STORE_OK && version <= 2)
			r = sq_exec(st, SQ_SCHEMA_V3);
		if (r == STORE_OK && version <= 3)
			r = sq_exec(st, SQ_SCHEMA_V4);
		if (r == STORE_OK && version <= 4)
			r = sq_exec(st, SQ_SCHEMA_V5);
		if (r == STORE_OK && version <= 5)
			r = sq_exec(st, SQ_SCHEMA_V6);
		if (r == STORE_OK && version <= 6)
			r = sq_exec(st, SQ_SCHEMA_V7);
		if (r == STORE_OK && version <= 7)
			r = sq_exec(st, SQ_SCHEMA_V8);
		if (r == STORE_OK)
			r = sq_exec(st, SQ_SCHEMA_V9 "PRAGMA user_version = " SQ_STR(SQ_SCHEMA_VERSION));
		if (r == STORE_OK && version == 1)
			r = sq_blob_summarize_all(st);
		return sq_end(st, r);
	}
	if (version == 0) {
		int tables = sq_table_count(st);

		if (tables != 0) {
			sq_rollback(st);
			snprintf(err, err_size, "store.db has %d tables but no schema version:"
				 " not initializing it", tables);
			log_error("store %s: %s", st->user, err);
			return tables < 0 ? STORE_ERROR : STORE_CORRUPT;
		}
		if (!create) {
			sq_rollback(st);
			snprintf(err, err_size, "store.db holds no store, and users.db says this"
				 " user had one: not creating a new one (restore it)");
			return STORE_MISSING;
		}
		r = sq_exec(st, sq_schema);
		if (r == STORE_OK)
			r = sq_exec(st, "PRAGMA user_version = " SQ_STR(SQ_SCHEMA_VERSION));
		if (r == STORE_OK)
			r = sq_create_defaults(st, bare);
		if (r == STORE_OK)
			log_info("store %s: created", st->user);
		return sq_end(st, r);
	}
	sq_rollback(st);
	if (version != SQ_SCHEMA_VERSION) {
		log_error("store %s: unknown schema version %d", st->user, version);
		snprintf(err, err_size, "unknown schema version %d", version);
		return version < 0 ? STORE_ERROR : STORE_CORRUPT;
	}
	return STORE_OK;
}

bool sq_uri(char *out, size_t size, const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (size < 6)
		return false;
	memcpy(out, "file:", 5);
	n = 5;
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("/-._~", *p) != NULL;

		if (n + 4 > size)
			return false;
		if (plain) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	if (n + 2 + strlen(query) > size)
		return false;
	out[n++] = '?';
	strcpy(out + n, query);
	return true;
}

/* 1 when the attached search.db has the table `name`, 0 if not, -1:
 * cannot tell. */
static int sq_search_has(struct sq_store *st, const char *name)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM search.sqlite_master"
			       " WHERE name = ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0) > 0;
		sqlite3_finalize(s);
	}
	return n;
}

/* Its newest table there: an older search.db gets the tables it lacks. */
static int sq_search_ready(struct sq_store *st)
{
	return sq_search_has(st, "text_dict");
}

int sq_search_upgrading(struct sq_store *st)
{
	return sq_search_has(st, "blob_text");
}

/* Creates search.db's tables (a connection of its own: the store's
 * attaches it read-only). In a search.db of the first format, beside its
 * blob_text, which the indexer then converts (sqlite-index.c). */
static enum store_result sq_search_setup(struct sq_store *st, const char *path, char *err,
					 size_t err_size)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
				 SQLITE_OPEN_NOFOLLOW, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, SQ_BUSY_MS);
		rc = sqlite3_exec(db, "PRAGMA page_size=" SQ_STR(SQ_PAGE_BYTES) ";"
				  " PRAGMA journal_mode=WAL; " SQ_SEARCH_SCHEMA, NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "cannot set up %s: %s", path,
			 msg != NULL ? msg : db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_free(msg);
		sqlite3_close_v2(db);
		return sq_fail(st, rc, "set up search.db");
	}
	sqlite3_close_v2(db);
	return STORE_OK;
}

/* search.db read through a memory map: SEARCH verifies each candidate
 * of the index against its stored text (sqlite-search.c), thousands of
 * rows spread over the file for a common word, and a read() per page cost
 * more than the verification itself. The map is address space, not heap:
 * the pages are the kernel's page cache, shared and reclaimable. Larger
 * than any search.db SQLite would map anyway (its own cap is 2 GB). */
#define SQ_SEARCH_MMAP_BYTES 2000000000

static enum store_result sq_search_map(struct sq_store *st)
{
	return sq_exec(st, "PRAGMA search.mmap_size=" SQ_STR(SQ_SEARCH_MMAP_BYTES));
}

/* Attaches search.db as "search", creating its tables first when
 * missing: only then (a new store, a first-format index, or a crash
 * during that set-up), since
 * a server reopens a user's store after every idle pause (mail-user.c)
 * and the set-up costs a connection of its own. */
static enum store_result sq_search_attach(struct sq_store *st, char *err, size_t err_size)
{
	char path[SQ_PATH_MAX], uri[3 * SQ_PATH_MAX + 16], sql[3 * SQ_PATH_MAX + 64];
	int ready;

	snprintf(path, sizeof(path), "%s/" SQ_SEARCH_DB, st->dir);
	if (!sq_create_file(path, err, err_size))
		return STORE_ERROR;
	/* Read-only: this connection only reads it, and so never removes
	 * search.db's WAL and -shm at its last close: a store opened again on
	 * a full disk needs no new file for search.db (attached read-write,
	 * the two files were removed at every close and made again at every
	 * open, and on a full disk SELECT failed). The indexer empties the
	 * WAL once it has nothing left to do (sqlite-index.c). */
	if (!sq_uri(uri, sizeof(uri), path, "mode=ro")) {
		snprintf(err, err_size, "data directory path too long");
		return STORE_INVALID;
	}
	/* The URI as an SQL string literal: it holds no quote (encoded). */
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS search", uri);
	if (sq_exec(st, sql) != STORE_OK) {
		snprintf(err, err_size, "cannot attach %s (see log)", path);
		return STORE_ERROR;
	}
	ready = sq_search_ready(st);
	if (ready == 1)
		return sq_search_map(st);
	if (sq_exec(st, "DETACH search") != STORE_OK) {
		snprintf(err, err_size, "cannot detach %s (see log)", path);
		return STORE_ERROR;
	}
	enum store_result r = sq_search_setup(st, path, err, err_size);
	if (r != STORE_OK)
		return r;
	if (sq_exec(st, sql) != STORE_OK) {
		snprintf(err, err_size, "cannot attach %s (see log)", path);
		return STORE_ERROR;
	}
	return sq_search_map(st);
}

/* The daily check at open (or the full one while marked damaged): a store
 * that fails it is opened read-only; one that passes again is repaired. */
static enum store_result sq_open_check(struct sq_store *st, bool *check_due_r, char *err,
				       size_t err_size)
{
	char path[SQ_PATH_MAX];
	int64_t now = (int64_t)time(NULL), last = sq_last_quick_check(st);
	bool marked;
	enum store_result r = STORE_OK;

	snprintf(path, sizeof(path), "%s/" SQ_DAMAGED_FILE, st->dir);
	marked = access(path, F_OK) == 0;
	*check_due_r = last > now || now - last >= SQ_QUICK_CHECK_INTERVAL_S;
	if (marked)
		r = sq_quick_check(st, "integrity_check", err, err_size);
	else if (*check_due_r)
		r = sq_quick_check(st, "quick_check", err, err_size);
	if (r == STORE_CORRUPT) {
		/* Open it anyway: what can be read still is (store.h "Damage"). */
		if (!st->read_only)
			sq_mark_damaged(st, marked ? "still fails integrity_check" :
					"quick_check failed");
		st->read_only = true;
		if (marked)
			log_error("store %s: still damaged: read-only until repaired", st->user);
		return STORE_OK;
	}
	if (r == STORE_OK && marked) {
		if (unlink(path) < 0 && errno != ENOENT) {
			log_error("store %s: cannot remove %s: %s", st->user, path, strerror(errno));
			st->read_only = true;
		} else {
			log_info("store %s: passes integrity_check again: writable", st->user);
		}
	}
	return r;
}

enum store_result sq_open(const struct store_env *env, const char *user, unsigned int flags,
			  struct store **store_r, char *err, size_t err_size)
{
	const char *data_dir = env->location;
	char path[SQ_PATH_MAX];
	struct stat sb;
	struct sq_store *st;
	enum store_result r;
	bool create = (flags & STORE_OPEN_CREATE) != 0, check_due = false;
	int n, rc;

	*store_r = NULL;
	if (err_size > 0)
		err[0] = '\0';
	if (!sq_user_ok(user)) {
		snprintf(err, err_size, "invalid user name");
		return STORE_INVALID;
	}
	n = snprintf(path, sizeof(path), "%s/users/%s/blobs", data_dir, user);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, err_size, "data directory path too long");
		return STORE_INVALID;
	}
	/* Only a user who never had a store gets a new one (store.h). */
	snprintf(path, sizeof(path), "%s/users/%s/store.db", data_dir, user);
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT) {
			snprintf(err, err_size, "cannot stat %s: %s", path, strerror(errno));
			return STORE_ERROR;
		}
		if (!create) {
			snprintf(err, err_size, "%s is missing, and users.db says this user had"
				 " a store: not creating a new one (restore it)", path);
			return STORE_MISSING;
		}
	} else if (sb.st_size == 0 && !create) {
		snprintf(err, err_size, "%s is empty, and users.db says this user had a"
			 " store: not creating a new one (restore it)", path);
		return STORE_MISSING;
	}
	snprintf(path, sizeof(path), "%s/users", data_dir);
	if (!sq_mkdir(path, err, err_size))
		return STORE_ERROR;
	snprintf(path, sizeof(path), "%s/users/%s", data_dir, user);
	if (!sq_mkdir(path, err, err_size))
		return STORE_ERROR;
	st = xcalloc(1, sizeof(*st));
	st->store.v = &store_backend_sqlite;
	memcpy(st->quota_default, env->quota, sizeof(st->quota_default));
	st->env = env;
	st->user = xstrdup(user);
	st->dir = xstrdup(path);
	st->blob_dir_fd = -1;
	snprintf(path, sizeof(path), "%s/blobs", st->dir);
	if (!sq_mkdir(path, err, err_size)) {
		r = STORE_ERROR;
		goto fail;
	}
	st->blob_dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->blob_dir_fd < 0) {
		snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
		r = STORE_ERROR;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/store.db", st->dir);
	if (create && !sq_create_file(path, err, err_size)) {
		r = STORE_ERROR;
		goto fail;
	}
	/* One thread at a time per handle (store.h "Threads"): no mutex. */
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "cannot open %s: %s", path,
			 st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		r = sq_fail(st, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (!sq_seen_register(st)) {
		snprintf(err, err_size, "cannot register petrel_viewer()");
		r = STORE_ERROR;
		goto fail;
	}
	/* The WAL and -shm stay in place at the last close (the WAL emptied:
	 * journal_size_limit is set), so opening the store again needs no new
	 * file: on a full disk a user whose store had closed could not log in
	 * and read mail, since making the -shm needs 32 KiB. */
	int persist = 1;

	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	sqlite3_busy_timeout(st->db, SQ_BUSY_MS);
	/* Before the first statement, while no lookaside slot is in use. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, SQ_LOOKASIDE_SLOT,
			  SQ_LOOKASIDE_SLOTS);
	/* WAL with synchronous=NORMAL may lose the last commits on power
	 * loss; FULL syncs the WAL at every commit, as store.h promises. */
	/* auto_vacuum: a new store's free pages can be given back (the
	 * indexer does, sqlite-index.c); on a store made before, where it is
	 * NONE, it would change nothing (that would take a VACUUM) and its
	 * free pages are reused by later writes. page_size, likewise only for
	 * a new store: SQ_PAGE_BYTES says why. Both are set on an empty file
	 * only: on an existing one, auto_vacuum rewrites page 1 in a
	 * transaction of its own, two fsyncs at every open. */
	r = sq_empty_file(st) ? sq_exec(st, "PRAGMA page_size=" SQ_STR(SQ_PAGE_BYTES) ";"
					 " PRAGMA auto_vacuum=INCREMENTAL;") : STORE_OK;
	if (r == STORE_OK)
		r = sq_exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			    SQ_WAL_LIMITS("main") " PRAGMA foreign_keys=ON;"
			    " PRAGMA main.cache_size=" SQ_STR(SQ_CACHE_KIB_NEG) ";");
	if (r == STORE_OK)
		r = sq_search_attach(st, err, err_size);
	else
		snprintf(err, err_size, "cannot set up %s (see log)", path);
	if (r == STORE_OK)
		r = sq_open_check(st, &check_due, err, err_size);
	if (r == STORE_OK) {
		r = sq_setup(st, create, (flags & STORE_OPEN_BARE) != 0, err, err_size);
		if (r != STORE_OK && r != STORE_MISSING && err[0] == '\0')
			snprintf(err, err_size, "cannot initialize %s: %s", path,
				 store_result_name(r));
	}
	if (r == STORE_OK && check_due && !st->read_only) {
		char sql[128];

		/* A day's crash leftovers: body files no row names. */
		if (sq_orphans(st, true, NULL, NULL) != STORE_OK)
			log_warn("store %s: orphan body files not removed (see above)", st->user);
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta (key, value) "
			 "VALUES ('last_quick_check', %lld)", (long long)time(NULL));
		r = sq_exec(st, sql);
	}
	if (r != STORE_OK)
		goto fail;
	/* Text left for the indexer by earlier runs or other processes (an
	 * upgrade puts every message there): store_index_due() says so. */
	sqlite3_stmt *s = sq_stmt(st, SQ_TEXT_BACKLOG);
	if (sqlite3_step(s) == SQLITE_ROW)
		st->index_backlog = (unsigned int)(sqlite3_column_int64(s, 0) +
						   sqlite3_column_int64(s, 1));
	sqlite3_reset(s);
	/* A first-format index to convert: the indexer's work too. */
	if (sq_search_upgrading(st) == 1)
		st->index_backlog += SQ_INDEX_BATCH;
	*store_r = &st->store;
	return STORE_OK;
fail:
	sq_close(&st->store);
	return r;
}

void sq_close(struct store *store)
{
	struct sq_store *st = sq_store(store);

	for (int i = 0; i < SQ_STMT_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	if (st->db != NULL)
		sqlite3_close_v2(st->db);
	if (st->blob_dir_fd >= 0)
		close(st->blob_dir_fd);
	sq_unlink_forget(st);
	free(st->unlink_names);
	free(st->renamed);
	free(st->viewer);
	sq_dicts_free(st);
	free(st->user);
	free(st->dir);
	free(st);
}

unsigned int sq_blob_count(const struct store *store)
{
	return sq_store_const(store)->blob_count;
}

uint64_t sq_change_count(const struct store *store)
{
	return sq_store_const(store)->change_count;
}
