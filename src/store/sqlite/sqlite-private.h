/* Internals shared by the SQLite store's files (store/sqlite/): the handle,
 * its prepared statements, transactions and error mapping. Nothing outside
 * store/ may include this; the rest of petrel reaches these files only
 * through store_backend_sqlite (sqlite-backend.c). */
#ifndef PETREL_STORE_SQLITE_PRIVATE_H
#define PETREL_STORE_SQLITE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/message-in.h"
#include "store/store-backend.h"
#include "store/store-dict.h"
#include "store/store-names.h"

/* ---- the SQLite backend ---- */

/* Bodies stored (compressed: store/body-codec.h) in up to this many bytes
 * live in the database row (one write, no file, no extra fsync); larger
 * ones are files under blobs/ so the database stays small and a body is
 * never held whole in memory. */
#define SQ_INLINE_MAX (64 * 1024)
/* APPENDLIMIT (RFC 7889): large enough for any real message with
 * attachments (mail systems commonly cap at 25-50 MB of encoded data),
 * small enough that one client cannot fill the disk with one command. */
#define SQ_APPEND_LIMIT ((uint64_t)64 * 1024 * 1024)
#define SQ_BUSY_MS 5000            /* other processes (deliver) share the file */
#define SQ_ALL_FLAGS 0x1fu         /* enum store_flag */
#define SQ_ALL_SPECIAL_USE 0x7fu   /* enum store_special_use */

/* Every statement, prepared once per handle at its first use (sq_stmt()),
 * kept until the handle closes. INDEXED BY: without
 * ANALYZE statistics the planner prefers the primary key to the partial
 * indexes, which would scan every seen message to find the first unseen. */
/* A message's flags as the store's viewer sees them (store_view_as()):
 * the owner's as stored; another user's \Seen from the seen table. */
#define SQ_FLAGS(t) "(CASE WHEN petrel_viewer() IS NULL THEN " t ".flags ELSE (" t ".flags & ~1)" \
	" | EXISTS (SELECT 1 FROM seen s WHERE s.mailbox_id = " t ".mailbox_id AND" \
	" s.viewer = petrel_viewer() AND s.uid = " t ".uid) END)"

#define SQ_STATEMENTS(X) \
	X(MB_GET, "SELECT id, uidvalidity, uidnext, highestmodseq, recent_uid, special_use," \
	  " noselect, messages, unseen, deleted, size, recent FROM mailboxes WHERE name = ?1") \
	X(MB_CHECK, "SELECT uidvalidity, noselect FROM mailboxes WHERE id = ?1") \
	X(DICT_COUNT, "SELECT count(*) FROM dicts") \
	X(MB_SAVE, "UPDATE mailboxes SET uidnext = ?2, highestmodseq = ?3, recent_uid = ?4," \
	  " messages = ?5, unseen = ?6, deleted = ?7, size = ?8, recent = ?9 WHERE id = ?1") \
	X(MB_INSERT, "INSERT INTO mailboxes (name, uidvalidity, special_use) VALUES (?1, ?2, ?3)") \
	X(MB_RESET, "UPDATE mailboxes SET noselect = ?2, uidvalidity = ?3, special_use = ?4," \
	  " uidnext = 1, highestmodseq = 1, recent_uid = 1, messages = 0, unseen = 0," \
	  " deleted = 0, size = 0, recent = 0 WHERE id = ?1") \
	X(MB_DELETE, "DELETE FROM mailboxes WHERE id = ?1") \
	X(MB_HAS_CHILDREN, "SELECT 1 FROM mailboxes WHERE name > ?1 || '/' AND name < ?1 || '0'" \
	  " LIMIT 1") \
	X(MB_FAMILY, "SELECT id, name FROM mailboxes WHERE name = ?1 OR" \
	  " (name > ?1 || '/' AND name < ?1 || '0')") \
	X(MB_RENAME, "UPDATE mailboxes SET name = ?2 WHERE id = ?1") \
	X(MB_LIST, "SELECT m.name, m.special_use, m.noselect," \
	  " EXISTS (SELECT 1 FROM subscriptions s WHERE s.name = m.name), 0," \
	  " EXISTS (SELECT 1 FROM mailboxes c WHERE c.name > m.name || '/' AND c.name < m.name || '0')" \
	  " FROM mailboxes m UNION ALL" \
	  " SELECT s.name, 0, 1, 1, 1," \
	  " EXISTS (SELECT 1 FROM mailboxes c WHERE c.name > s.name || '/' AND c.name < s.name || '0')" \
	  " FROM subscriptions s WHERE NOT EXISTS (SELECT 1 FROM mailboxes m WHERE m.name = s.name)" \
	  " ORDER BY 1") \
	X(META_GET, "SELECT value FROM meta WHERE key = ?1") \
	X(META_SET, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)") \
	X(META_DELETE, "DELETE FROM meta WHERE key = ?1") \
	/* sqlite-metadata.c: ?1 mailbox id (0: server), ?2 owner, ?3 name. */ \
	X(MD_GET, "SELECT value FROM metadata WHERE mailbox_id = ?1 AND owner = ?2 AND" \
	  " name = ?3") \
	X(MD_UNDER, "SELECT name, value FROM metadata WHERE mailbox_id = ?1 AND owner = ?2" \
	  " AND name > ?3 || '/' AND name < ?3 || '0' ORDER BY name") \
	X(MD_SET, "INSERT OR REPLACE INTO metadata (mailbox_id, owner, name, value)" \
	  " VALUES (?1, ?2, ?3, ?4)") \
	X(MD_DELETE, "DELETE FROM metadata WHERE mailbox_id = ?1 AND owner = ?2 AND name = ?3") \
	X(MD_COUNT, "SELECT count(*) FROM metadata WHERE mailbox_id = ?1") \
	X(MD_BYTES, "SELECT coalesce(sum(length(value)), 0) FROM metadata") \
	X(MD_DROP_BOX, "DELETE FROM metadata WHERE mailbox_id = ?1") \
	/* sqlite-acl.c: ?1 mailbox id, ?2 identifier, ?3 rights (letters). */ \
	X(ACL_LIST, "SELECT identifier, rights FROM acl WHERE mailbox_id = ?1" \
	  " ORDER BY identifier") \
	X(ACL_GET, "SELECT rights FROM acl WHERE mailbox_id = ?1 AND identifier = ?2") \
	X(ACL_SET, "INSERT OR REPLACE INTO acl (mailbox_id, identifier, rights)" \
	  " VALUES (?1, ?2, ?3)") \
	X(ACL_DELETE, "DELETE FROM acl WHERE mailbox_id = ?1 AND identifier = ?2") \
	X(ACL_COUNT, "SELECT count(*) FROM acl WHERE mailbox_id = ?1") \
	X(ACL_DROP_BOX, "DELETE FROM acl WHERE mailbox_id = ?1") \
	X(ACL_GRANTS, "SELECT 1 FROM acl WHERE identifier = ?1 LIMIT 1") \
	X(ACL_FORGET, "DELETE FROM acl WHERE identifier = ?1 OR identifier = '-' || ?1") \
	X(ACL_INHERIT, "INSERT OR IGNORE INTO acl (mailbox_id, identifier, rights)" \
	  " SELECT ?1, identifier, rights FROM acl WHERE mailbox_id =" \
	  " (SELECT id FROM mailboxes WHERE name = ?2)") \
	/* store.h "quota": STORAGE, MESSAGE, MAILBOX in use. */ \
	X(QUOTA_USAGE, "SELECT coalesce(sum(size), 0), coalesce(sum(messages), 0)," \
	  " coalesce(sum(noselect = 0), 0) FROM mailboxes") \
	X(SUB_ADD, "INSERT OR IGNORE INTO subscriptions (name) VALUES (?1)") \
	X(SUB_DEL, "DELETE FROM subscriptions WHERE name = ?1") \
	X(KW_LIST, "SELECT bit, name FROM keywords WHERE mailbox_id = ?1 ORDER BY bit") \
	X(KW_ADD, "INSERT INTO keywords (mailbox_id, bit, name) VALUES (?1, ?2, ?3)") \
	X(KW_CLEAR, "DELETE FROM keywords WHERE mailbox_id = ?1") \
	X(KW_COPY, "INSERT INTO keywords (mailbox_id, bit, name)" \
	  " SELECT ?2, bit, name FROM keywords WHERE mailbox_id = ?1") \
	X(MSG_ALL, "SELECT uid, " SQ_FLAGS("messages") ", keywords, modseq FROM messages" \
	  " WHERE mailbox_id = ?1" \
	  " ORDER BY uid") \
	X(MSG_SINCE, "SELECT uid, " SQ_FLAGS("messages") ", keywords, modseq FROM messages" \
	  " WHERE mailbox_id = ?1 AND modseq > ?2") \
	X(MSG_RANGE, "SELECT uid, " SQ_FLAGS("messages") ", keywords, modseq FROM messages" \
	  " WHERE mailbox_id = ?1 AND uid >= ?2 AND uid <= ?3 ORDER BY uid") \
	X(MSG_FLAGS_GET, "SELECT " SQ_FLAGS("messages") ", keywords, modseq, flags FROM messages" \
	  " WHERE mailbox_id = ?1 AND uid = ?2") \
	X(MSG_FLAGS_SET, "UPDATE messages SET flags = ?3, keywords = ?4, modseq = ?5" \
	  " WHERE mailbox_id = ?1 AND uid = ?2") \
	X(MSG_GET, "SELECT m.flags, m.keywords, m.blob_id, m.internaldate, m.internaldate_zone," \
	  " b.size, " SQ_FLAGS("m") " FROM messages m JOIN blobs b ON b.id = m.blob_id" \
	  " WHERE m.mailbox_id = ?1 AND m.uid = ?2") \
	X(MSG_DELETED, "SELECT uid FROM messages INDEXED BY messages_deleted" \
	  " WHERE mailbox_id = ?1 AND flags & 8 != 0" \
	  " ORDER BY uid") \
	X(MSG_DELETED_SIZE, "SELECT coalesce(sum(b.size), 0) FROM messages m INDEXED BY" \
	  " messages_deleted JOIN blobs b ON b.id = m.blob_id" \
	  " WHERE m.mailbox_id = ?1 AND m.flags & 8 != 0") \
	X(MSG_FIRST_UNSEEN, "SELECT uid FROM messages INDEXED BY messages_unseen" \
	  " WHERE mailbox_id = ?1 AND flags & 1 = 0" \
	  " ORDER BY uid LIMIT 1") \
	/* The viewer's (store_view_as()): ?1 mailbox id. */ \
	X(SEEN_FIRST_UNSEEN, "SELECT m.uid FROM messages m WHERE m.mailbox_id = ?1 AND NOT" \
	  " EXISTS (SELECT 1 FROM seen s WHERE s.mailbox_id = m.mailbox_id AND" \
	  " s.viewer = petrel_viewer() AND s.uid = m.uid) ORDER BY m.uid LIMIT 1") \
	X(SEEN_COUNT, "SELECT count(*) FROM seen s JOIN messages m ON m.mailbox_id =" \
	  " s.mailbox_id AND m.uid = s.uid WHERE s.mailbox_id = ?1 AND s.viewer = petrel_viewer()") \
	X(SEEN_ADD, "INSERT OR IGNORE INTO seen (mailbox_id, viewer, uid)" \
	  " VALUES (?1, petrel_viewer(), ?2)") \
	X(SEEN_REMOVE, "DELETE FROM seen WHERE mailbox_id = ?1 AND viewer = petrel_viewer()" \
	  " AND uid = ?2") \
	X(SEEN_DROP_UID, "DELETE FROM seen WHERE mailbox_id = ?1 AND uid = ?2") \
	X(SEEN_DROP_BOX, "DELETE FROM seen WHERE mailbox_id = ?1") \
	X(MSG_INSERT, "INSERT INTO messages (mailbox_id, uid, blob_id, flags, keywords," \
	  " internaldate, internaldate_zone, savedate, modseq)" \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
	X(MSG_DELETE, "DELETE FROM messages WHERE mailbox_id = ?1 AND uid = ?2") \
	X(MSG_BLOBS, "SELECT blob_id FROM messages WHERE mailbox_id = ?1") \
	X(MSG_CLEAR, "DELETE FROM messages WHERE mailbox_id = ?1") \
	X(MSG_RENUMBER, "INSERT INTO messages (mailbox_id, uid, blob_id, flags, keywords," \
	  " internaldate, internaldate_zone, savedate, modseq)" \
	  " SELECT ?2, row_number() OVER (ORDER BY uid), blob_id, flags, keywords," \
	  " internaldate, internaldate_zone, savedate, ?3 FROM messages WHERE mailbox_id = ?1") \
	X(EXP_SINCE, "SELECT uid FROM expunged WHERE mailbox_id = ?1 AND modseq > ?2") \
	X(EXP_INSERT, "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq)" \
	  " VALUES (?1, ?2, ?3)") \
	X(EXP_ALL, "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq)" \
	  " SELECT mailbox_id, uid, ?2 FROM messages WHERE mailbox_id = ?1") \
	X(EXP_CLEAR, "DELETE FROM expunged WHERE mailbox_id = ?1") \
	/* Blob ids are never reused (blob_id_high: the highest ever deleted),
	 * so the search index, updated apart (sqlite-index.c), never mistakes
	 * a new message for a deleted one. */ \
	X(BLOB_INSERT, "INSERT INTO blobs (id, size, refcount, data, file, emailid, summary," \
	  " msgid, threadid, text_partial, digest, codec) VALUES ((SELECT max(coalesce((SELECT" \
	  " max(id) FROM blobs), 0), coalesce((SELECT value FROM meta WHERE key =" \
	  " 'blob_id_high'), 0)) + 1), ?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)") \
	X(BLOB_HIGH, "INSERT INTO meta (key, value) VALUES ('blob_id_high', ?1)" \
	  " ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)") \
	X(BLOB_BODY, "SELECT size, data, file FROM blobs WHERE id = ?1") \
	X(BLOB_UNSUMMARIZED, "SELECT id FROM blobs WHERE summary IS NULL AND threadid IS NULL") \
	X(BLOB_SET_SUMMARY, "UPDATE blobs SET summary = ?2, msgid = ?3, threadid = ?4," \
	  " text_partial = ?5 WHERE id = ?1") \
	X(BLOB_THREAD, "SELECT threadid FROM blobs WHERE msgid = ?1 LIMIT 1") \
	X(TEXT_INSERT, "INSERT INTO text_pending (blob_id, subject, hfrom, hto, hcc, hbcc," \
	  " header, mime, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
	X(TEXT_PENDING_DELETE, "DELETE FROM text_pending WHERE blob_id = ?1") \
	X(TEXT_GONE_INSERT, "INSERT OR IGNORE INTO text_gone (blob_id) VALUES (?1)") \
	X(TEXT_BACKLOG, "SELECT (SELECT count(*) FROM text_pending)," \
	  " (SELECT count(*) FROM text_gone)") \
	X(MSG_READ, "SELECT m.uid, " SQ_FLAGS("m") ", m.keywords, m.modseq, m.internaldate," \
	  " m.internaldate_zone, m.savedate, b.size, b.emailid, b.threadid, b.summary," \
	  " b.id IS NULL, m.blob_id FROM messages m LEFT JOIN blobs b ON b.id = m.blob_id" \
	  " WHERE m.mailbox_id = ?1 AND m.uid >= ?2 AND m.uid <= ?3 ORDER BY m.uid") \
	X(MSG_READ_NOSUM, "SELECT m.uid, " SQ_FLAGS("m") ", m.keywords, m.modseq, m.internaldate," \
	  " m.internaldate_zone, m.savedate, b.size, b.emailid, b.threadid, NULL," \
	  " b.id IS NULL, m.blob_id FROM messages m LEFT JOIN blobs b ON b.id = m.blob_id" \
	  " WHERE m.mailbox_id = ?1 AND m.uid >= ?2 AND m.uid <= ?3 ORDER BY m.uid") \
	X(MSG_READ_FLAGS, "SELECT m.uid, " SQ_FLAGS("m") ", m.keywords, m.modseq" \
	  " FROM messages m WHERE m.mailbox_id = ?1 AND m.uid >= ?2 AND m.uid <= ?3" \
	  " ORDER BY m.uid") \
	X(MSG_BY_BLOB, "SELECT uid FROM messages WHERE blob_id = ?1 AND mailbox_id = ?2") \
	X(MSG_UID_BLOB, "SELECT uid, blob_id FROM messages WHERE mailbox_id = ?1") \
	X(MSG_BODY, "SELECT b.id, b.size, b.data IS NOT NULL, b.file, b.digest, m.blob_id," \
	  " b.codec" \
	  " FROM messages m LEFT JOIN blobs b ON b.id = m.blob_id" \
	  " WHERE m.mailbox_id = ?1 AND m.uid = ?2") \
	X(BLOB_REF, "UPDATE blobs SET refcount = refcount + 1 WHERE id = ?1") \
	X(BLOB_UNREF, "UPDATE blobs SET refcount = refcount - 1 WHERE id = ?1" \
	  " RETURNING refcount, file") \
	X(BLOB_DELETE, "DELETE FROM blobs WHERE id = ?1")

#define SQ_STMT_ENUM(id, sql) SQ_##id,
enum sq_stmt { SQ_STATEMENTS(SQ_STMT_ENUM) SQ_STMT_COUNT };
#undef SQ_STMT_ENUM

struct sq_store {
	struct store store;        /* the base: store.c dispatches through it */
	sqlite3 *db;
	char *user;
	char *dir;                 /* DATA/users/<user> */
	int blob_dir_fd;           /* DATA/users/<user>/blobs, for openat and fsync */
	sqlite3_stmt *stmts[SQ_STMT_COUNT];
	/* Blob files whose rows this transaction deleted: unlinked only after
	 * COMMIT succeeds (a crash leaves an orphan file, never a row without
	 * its file), forgotten on ROLLBACK. */
	char **unlink_names;
	size_t unlink_count, unlink_alloc;
	/* Rows this handle added to text_pending and text_gone since
	 * store_index_due() last said yes (other processes add some too). */
	unsigned int index_backlog;
	/* Body files this transaction renamed from tmp-* to their final
	 * names (sq_blob_insert): renamed back on ROLLBACK, still under the
	 * write lock, so a final name without a row exists only inside a
	 * write transaction (sqlite-orphan.c relies on it). */
	struct sq_blob **renamed;
	size_t renamed_count, renamed_alloc;
	bool blob_dir_dirty;       /* a rename to fsync before COMMIT */
	unsigned int blob_count;   /* begun and not yet freed (store_blob_count()) */
	bool read_only;            /* damaged: changes answer STORE_READ_ONLY */
	bool txn_write;            /* the open transaction is IMMEDIATE */
	bool txn_visible;          /* it moved a modseq or removed/renamed a mailbox */
	/* The connection is at synchronous=NORMAL: the last write transaction
	 * was begun by sq_begin_lazy(); the next sq_begin(st, true) sets FULL
	 * again before it writes. */
	bool sync_lazy;
	uint64_t change_count;     /* such transactions committed (store_change_count) */
	/* The store's dictionaries loaded so far (sqlite-dict.c): added when
	 * a write finds more rows than dict_rows or a read names an id not
	 * here; freed only with the handle. */
	struct store_dict **dicts;
	size_t dict_count;
	int64_t dict_rows;
	/* The env's quota limits for users without their own (store.h). */
	uint64_t quota_default[STORE_QUOTA_RESOURCES];
	const struct store_env *env;   /* opened from; outlives the handle */
	/* store_view_as(): whose \Seen reads and writes are (NULL: the
	 * owner's, in messages.flags; else that user's rows in seen). */
	char *viewer;
};

/* The SQLite handle behind a struct store of this backend. */
static inline struct sq_store *sq_store(struct store *store)
{
	return (struct sq_store *)store;
}

static inline const struct sq_store *sq_store_const(const struct store *store)
{
	return (const struct sq_store *)store;
}

/* The SQLite blob behind a struct store_blob; NULL for none, or for
 * another backend's. */
static inline struct sq_blob *sq_blob(struct store_blob *blob)
{
	return blob != NULL && blob->v == &store_backend_sqlite ? (struct sq_blob *)blob : NULL;
}

/* A mailbox row as loaded in a transaction, changed in memory and written
 * back with sq_mailbox_save(). */
struct sq_mailbox {
	int64_t id;
	uint32_t uidvalidity, uidnext, recent_uid;
	uint64_t highestmodseq;
	unsigned int special_use;
	bool noselect;
	uint32_t messages, unseen, deleted, recent;
	uint64_t size;
	bool changed;              /* a message changed: highestmodseq moves on save */
};

/* An SQLite result code as a store result (db, may be NULL, tells a full
 * disk from other I/O errors). */
enum store_result sq_map_db(sqlite3 *db, int rc);
/* A user name usable as a directory name under DATA/users. */
bool sq_user_ok(const char *user);

/* The statement, reset and ready for binding. */
sqlite3_stmt *sq_stmt(struct sq_store *st, enum sq_stmt id);
/* Logs the failure of `what` and maps an SQLite code to a result. */
enum store_result sq_fail(struct sq_store *st, int rc, const char *what);
/* Runs one statement to completion (reset afterwards). */
enum store_result sq_run(struct sq_store *st, sqlite3_stmt *stmt, const char *what);
enum store_result sq_exec(struct sq_store *st, const char *sql);

/* Transactions: every mutating call is one IMMEDIATE transaction (so it
 * never fails half-way on a lock upgrade); reads use a deferred one so
 * several statements see one snapshot. */
enum store_result sq_begin(struct sq_store *st, bool write);
/* A write transaction whose commit waits for no fsync: for what a crash
 * may lose harmlessly (a \Recent claim). Its frames become durable with
 * the next durable commit's WAL fsync; a crash before that loses them and
 * nothing after them (the WAL is replayed only up to its last good frame). */
enum store_result sq_begin_lazy(struct sq_store *st);
enum store_result sq_commit(struct sq_store *st);
void sq_rollback(struct sq_store *st);
/* Ends a transaction: commits when r is STORE_OK, else rolls back. */
enum store_result sq_end(struct sq_store *st, enum store_result r);

/* Beside store.db while the store is damaged (sq_mark_damaged()). */
#define SQ_DAMAGED_FILE "damaged"
/* Marks the store damaged (SQLITE_CORRUPT, a failed integrity check):
 * read-only from now on, a `damaged` file beside store.db so later opens
 * know it too, and an error in the log. */
void sq_mark_damaged(struct sq_store *st, const char *why);
/* Only the `damaged` file in dir (a store's directory), for damage found
 * where no handle is at hand (a body read after its handle closed): the
 * next open runs the full check (sq_open_check). */
void sq_mark_damaged_dir(const char *user, const char *dir, const char *why);

/* Queues a blob file to unlink after commit. */
void sq_unlink_after_commit(struct sq_store *st, const char *file);

/* STORE_NOT_FOUND when the name does not exist. */
enum store_result sq_mailbox_load(struct sq_store *st, const char *name, struct sq_mailbox *mb_r);
/* Loads a selectable mailbox the caller addresses with its UIDVALIDITY:
 * STORE_NOT_FOUND if it is gone, \Noselect, or re-created since. */
enum store_result sq_mailbox_load_checked(struct sq_store *st, const char *name,
					  uint32_t uidvalidity, struct sq_mailbox *mb_r);
enum store_result sq_mailbox_save(struct sq_store *st, struct sq_mailbox *mb);
/* The modseq every message this transaction touches in mb gets. */
uint64_t sq_mailbox_next_modseq(struct sq_mailbox *mb);
/* A UIDVALIDITY never used before in this store. */
enum store_result sq_new_uidvalidity(struct sq_store *st, uint32_t *uidvalidity_r);
/* Inserts a new selectable mailbox (parents must exist). */
enum store_result sq_mailbox_insert(struct sq_store *st, const char *name,
				    unsigned int special_use, int64_t *id_r);

/* Drops one reference to a blob, deleting its row (and, after commit, its
 * file) at zero. */
enum store_result sq_blob_unref(struct sq_store *st, int64_t blob_id);
/* A finished blob of this store not yet given to an append. */
bool sq_blob_usable(const struct sq_store *st, const struct sq_blob *blob);
/* A finished blob's RFC822.SIZE (0 for NULL or one not finished). */
uint64_t sq_blob_size(const struct sq_blob *blob);
/* Inserts the blob's row (refcount 1) in the current transaction. The blob
 * stays the caller's until sq_blob_committed() says the row is durable. */
enum store_result sq_blob_insert(struct sq_store *st, struct sq_blob *blob,
				 int64_t *id_r, uint64_t *size_r);
/* Delivered text waits in text_pending until this many rows are there,
 * then goes into the FTS index in one transaction (sqlite-index.c). */
#define SQ_INDEX_BATCH 256
/* Page size of a new store.db and search.db. A body row (compressed body
 * and summary, 1-3 KB for ordinary mail) fits a page whole and rows do not
 * span leaf pages, so a page holds few rows and the rest of it is unused.
 * Measured on jwz's mail at 100,000 messages (store.db, after VACUUM into
 * each size): 233 MB at SQLite's default 4 KiB, 209 MB at 8 KiB, 200 MB
 * at 16 KiB (search.db: 282, -, 270 MB). What a page costs in memory:
 * one open store after a SELECT held 114 KB of SQLite memory at 4 KiB,
 * 163 KB at 8 KiB, 244 KB at 16 KiB (tests/unit/test-store-memory.c).
 * 8 KiB takes most of the disk for a third of the memory. Larger pages
 * also write more bytes per commit to the WAL, which the fsync dwarfs. */
#define SQ_PAGE_BYTES 8192

/* The WALs' size: a checkpoint every SQ_WAL_CHECKPOINT_PAGES pages
 * written (SQLite's default, 1,000 pages, was 4 MB at its default page
 * size; SQ_PAGE_BYTES makes it 8 MB; 512 pages keep it 4 MB), and a WAL longer
 * than SQ_WAL_KEEP_BYTES cut back to it after a checkpoint (SQLite keeps a
 * WAL at its longest otherwise: disk held for nothing). wal_autocheckpoint
 * is the connection's, journal_size_limit each attached file's. */
#define SQ_WAL_CHECKPOINT_PAGES 512
#define SQ_WAL_KEEP_BYTES 4194304   /* 4 MiB, a literal for SQL */
#define SQ_STR_(x) #x
#define SQ_STR(x) SQ_STR_(x)
#define SQ_WAL_LIMITS(schema) \
	"PRAGMA wal_autocheckpoint=" SQ_STR(SQ_WAL_CHECKPOINT_PAGES) ";" \
	" PRAGMA " schema ".journal_size_limit=" SQ_STR(SQ_WAL_KEEP_BYTES) ";"

/* The search index's file beside store.db, attached read-only to the
 * store's connection as "search" (sqlite-index.c writes it). */
#define SQ_SEARCH_DB "search.db"
/* search.db (sqlite-store.c's header says what each table is for):
 * text_store keeps each message's search text once, packed
 * (sqlite-text.c); text_index is a contentless trigram index without
 * positions over the same columns, which gives candidates that SEARCH
 * verifies against text_store (sqlite-search.c); text_meta holds
 * 'upgrade_high' while an index of the first format (blob_text, the
 * text inside FTS5 with positions) is converted (sqlite-index.c). */
#define SQ_SEARCH_SCHEMA \
	"CREATE TABLE IF NOT EXISTS text_store (blob_id INTEGER PRIMARY KEY, subject, hfrom," \
	" hto, hcc, hbcc, header, mime, body);" \
	"CREATE VIRTUAL TABLE IF NOT EXISTS text_index USING fts5(subject, hfrom, hto, hcc," \
	" hbcc, header, mime, body, content = '', detail = none," \
	" tokenize = 'trigram case_sensitive 1');" \
	"CREATE TABLE IF NOT EXISTS text_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS text_dict (id INTEGER PRIMARY KEY, dict BLOB NOT NULL)"
/* The text columns of text_pending, text_store and text_index, in order. */
#define SQ_TEXT_COLUMNS "subject, hfrom, hto, hcc, hbcc, header, mime, body"
/* A packed text claiming more than this is damage: the extractor's limits
 * (mail-text.h) keep every field far below it. */
#define SQ_TEXT_UNPACK_MAX (64u * 1024 * 1024)

/* Unpacks text_store values (sqlite-text.c), reusing its buffer, zstd
 * context and dictionary: one per search or indexer. db: the connection
 * that has search.db attached as "search" (its text_dict). */
struct sq_unpacker {
	sqlite3 *db;
	void *dctx;                /* ZSTD_DCtx */
	void *ddict;               /* ZSTD_DDict of dict_id, loaded when met */
	uint32_t dict_id;
	char *buf;
	size_t alloc;
};
void sq_unpacker_free(struct sq_unpacker *u);
/* The text of a stored value (packed: a BLOB), valid until the next call;
 * NULL data is the empty text. STORE_CORRUPT for a damaged frame. */
enum store_result sq_text_unpack(struct sq_unpacker *u, const void *data, size_t len,
				 bool packed, const char **text_r, size_t *len_r);
enum store_result sq_text_unpack_column(struct sq_unpacker *u, sqlite3_stmt *s, int col,
					const char **text_r, size_t *len_r);
/* Packs for the indexer: with search.db's dictionary once there is one. */
struct sq_packer {
	void *cctx;                /* ZSTD_CCtx */
	void *cdict;               /* ZSTD_CDict, NULL: none yet */
};
void sq_packer_free(struct sq_packer *p);
/* Gives p search.db's dictionary, training one first from text_store's
 * oldest rows (and repacking those) when there is none and enough text
 * to train on (*trained_r: it tried); nothing when it cannot yet. In the
 * caller's write transaction on search.db. */
enum store_result sq_text_dict(sqlite3 *db, struct sq_unpacker *u, struct sq_packer *p,
			       bool *trained_r);
/* Registers petrel_text_pack(text) and petrel_text_unpack(value) on db
 * (u and p must outlive db's use of them). */
bool sq_text_functions(sqlite3 *db, struct sq_unpacker *u, struct sq_packer *p);

/* ---- dictionaries (sqlite-dict.c) ---- */

/* store_dict_find over a handle (ctx: struct sq_store). */
struct store_dict *sq_dict_find(void *ctx, uint32_t id);
/* The newest body and summary dictionaries (borrowed: valid while the
 * handle is open), NULL while there are none. */
void sq_dicts_for_writing(struct sq_store *st, struct message_in_dicts *out);
void sq_dicts_free(struct sq_store *st);
/* On the indexer's connection (store.db as main): trains each kind of
 * dictionary the store lacks, once it holds STORE_DICT_TRAIN_MESSAGES
 * messages; a kind zstd cannot train on them is not tried again. */
enum store_result sq_dicts_train(sqlite3 *db, const char *who);
/* Whether every kind of dictionary exists or is marked untrainable. */
enum store_result sq_dicts_settled(sqlite3 *db, bool *settled_r);
/* 1 while search.db still holds an index of the first format (blob_text)
 * that the indexer has not finished converting, 0 if not, -1: cannot tell. */
int sq_search_upgrading(struct sq_store *st);
/* path as an SQLite URI ("file:" + percent-encoded path + query). */
bool sq_uri(char *out, size_t size, const char *path, const char *query);

/* Schema upgrade: makes the summary and search text of every blob that has
 * none (in the caller's transaction). */
enum store_result sq_blob_summarize_all(struct sq_store *st);
/* After the transaction: committed (the row owns the file now) or not. */
void sq_blob_settle(struct sq_blob *blob, bool committed);
/* ROLLBACK: gives a body file sq_blob_insert() renamed its tmp-* name back. */
void sq_blob_unrename(struct sq_blob *blob);

/* SHA-256 (blobs.digest): NULL in a row means "not known" (stored before
 * digests were kept). */
#define SQ_DIGEST_LEN 32
/* The digest of len bytes; false if OpenSSL fails (logged). */
bool sq_digest(const void *data, size_t len, unsigned char out[SQ_DIGEST_LEN]);

/* ---- sqlite-orphan.c ---- */

/* Body files in blobs/ that no row names and no APPEND can still commit.
 * Takes the write lock (BEGIN IMMEDIATE) while it lists them. With remove
 * they are unlinked, else each is passed to report (size in bytes). */
enum store_result sq_orphans(struct sq_store *st, bool remove,
			     void (*report)(const char *name, uint64_t size, void *ctx),
			     void *ctx);
/* A tmp-* body file of an APPEND under way is locked (flock) while it is
 * written, and kept at least this long after its last write: an
 * unlocked one younger than this may be a finished body waiting for the
 * rest of a MULTIAPPEND (RFC 3502), so it is left alone. An hour is
 * longer than any wait between two messages of one command (the session's
 * idle timeout, 30 minutes by RFC 9051 §5.4). */
#define SQ_ORPHAN_AGE_S (60 * 60)
/* Fills out with "M" + 22 random characters (RFC 8474 objectid). */
enum store_result sq_random_id(char *out, size_t size, char prefix);

/* Exactly len bytes of fd at offset: 0, or -1 with errno set (0 when the
 * file is shorter than that). */
int sq_pread_exact(int fd, void *buf, size_t len, uint64_t offset);

/* Strictly ascending (a resolved set's order, no duplicates). */
bool sq_uids_ascending(const uint32_t *uids, uint32_t count);

/* Message counters kept on the mailbox row, updated by every change. */
void sq_count_add(struct sq_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size);
void sq_count_remove(struct sq_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size);
void sq_count_flags(struct sq_mailbox *mb, uint32_t old_flags, uint32_t new_flags);

/* ---- the entry points of store_backend_sqlite (sqlite-backend.c) ---- */

/* sqlite-store.c */
enum store_result sq_open(const struct store_env *env, const char *user, unsigned int flags,
			  struct store **store_r, char *err, size_t err_size);
void sq_close(struct store *store);
bool sq_read_only(const struct store *store);
unsigned int sq_blob_count(const struct store *store);
uint64_t sq_change_count(const struct store *store);
/* sqlite-watch.c: store.h's watch and store_notify_changed(). */
enum store_result sq_watch_open(const struct store_env *env, struct store_watch **watch_r);
int sq_watch_fd(const struct store_watch *watch);
enum store_result sq_watch_add(struct store_watch *watch, const char *user, void *ctx,
			       struct store_watch_user **wu_r);
void sq_watch_remove(struct store_watch *watch, struct store_watch_user *wu);
bool sq_watch_drain(struct store_watch *watch, void (*changed)(void *ctx));
void sq_watch_close(struct store_watch *watch);
void sq_notify_changed(const struct store_env *env, const char *user);
/* sqlite-seen.c */
void sq_view_as(struct store *store, const char *viewer);
/* Registers petrel_viewer() on the handle's connection. */
bool sq_seen_register(struct sq_store *st);
/* Inside a write transaction, with a viewer: uid's \Seen for them. */
enum store_result sq_seen_set(struct sq_store *st, int64_t mailbox_id, uint32_t uid, bool seen);

/* sqlite-acl.c */
/* Inside a write transaction: a new mailbox (name, row id) takes the ACL
 * entries of its parent, as Cyrus's do (store.h "ACL"). */
enum store_result sq_acl_inherit(struct sq_store *st, const char *name, int64_t id);
enum store_result sq_acl_get(struct store *store, const char *mailbox,
			     struct acl_entry **entries_r, unsigned int *count_r);
enum store_result sq_acl_update(struct store *store, const char *mailbox,
				const char *identifier, enum store_acl_mode mode,
				acl_rights rights, acl_rights *rights_r);
enum store_result sq_acl_forget(struct store *store, const char *identifier);

/* sqlite-metadata.c */
enum store_result sq_metadata_get(struct store *store, const char *mailbox, const char *user,
				  const char *const *names, unsigned int count,
				  enum store_metadata_depth depth,
				  struct store_metadata_entry **entries_r, unsigned int *count_r);
enum store_result sq_metadata_set(struct store *store, const char *mailbox, const char *user,
				  const struct store_metadata_entry *entries, unsigned int count);
/* sqlite-quota.c */
enum store_result sq_quota_get(struct store *store, struct store_quota *quota_r);
enum store_result sq_quota_set(struct store *store, const uint64_t own[STORE_QUOTA_RESOURCES]);
/* In a write transaction: STORE_OVER_QUOTA when adding add[] (bytes for
 * STORAGE) would take a resource past its limit. */
enum store_result sq_quota_allows(struct sq_store *st, const uint64_t add[STORE_QUOTA_RESOURCES]);
/* sqlite-check.c */
enum store_result sq_store_check(struct store *store,
				 void (*report)(const char *problem, void *ctx), void *ctx);
/* sqlite-mailbox.c */
enum store_result sq_mailbox_list(struct store *store,
				  bool (*cb)(const struct store_mailbox_info *info, void *ctx),
				  void *ctx);
enum store_result sq_mailbox_create(struct store *store, const char *name,
				    unsigned int special_use);
enum store_result sq_mailbox_delete(struct store *store, const char *name);
enum store_result sq_mailbox_rename(struct store *store, const char *from, const char *to);
enum store_result sq_mailbox_subscribe(struct store *store, const char *name, bool subscribe);
enum store_result sq_mailbox_status(struct store *store, const char *name,
				    struct store_mailbox_status *status_r);
/* sqlite-message.c */
enum store_result sq_mailbox_snapshot(struct store *store, const char *name,
				      bool claim_recent, struct store_snapshot *snapshot_r);
enum store_result sq_mailbox_claim_recent(struct store *store, const char *name,
					  uint32_t uidvalidity, uint32_t *first_r,
					  uint32_t *next_r);
enum store_result sq_mailbox_changes(struct store *store, const char *name,
				     uint32_t uidvalidity, uint64_t since,
				     struct store_changes *changes_r);
enum store_result sq_messages_get(struct store *store, const char *name,
				  uint32_t uidvalidity, const uint32_t *uids,
				  uint32_t uid_count, struct store_changes *messages_r);
enum store_result sq_messages_set_flags(struct store *store, const char *name,
					uint32_t uidvalidity, const uint32_t *uids,
					uint32_t uid_count, const struct store_flag_change *change,
					uint32_t **modified_r, uint32_t *modified_count_r);
enum store_result sq_messages_expunge(struct store *store, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, uint32_t **expunged_r,
				      uint32_t *expunged_count_r);
enum store_result sq_messages_copy(struct store *store, const char *from,
				   uint32_t uidvalidity, const uint32_t *uids,
				   uint32_t uid_count, const char *to, bool move,
				   struct store_copy_result *result_r);
enum store_result sq_messages_append(struct store *store, const char *name,
				     const struct store_append *messages, unsigned int count,
				     uint32_t *uidvalidity_r, uint32_t *uids_r);
/* sqlite-blob.c */
enum store_result sq_blob_begin(struct store *store, uint64_t expected_size,
				struct store_blob **blob_r);
enum store_result sq_blob_write(struct store_blob *blob, const void *data, size_t len);
void sq_blob_keep_bytes(struct store_blob *blob);
enum store_result sq_blob_finish(struct store_blob *blob);
void sq_blob_free(struct store_blob *blob);
/* sqlite-read.c */
enum store_result sq_messages_read(struct store *store, const char *name,
				   uint32_t uidvalidity, const uint32_t *uids,
				   uint32_t uid_count, unsigned int fields,
				   bool (*cb)(const struct store_message_info *info, void *ctx),
				   void *ctx);
enum store_result sq_message_body_open(struct store *store, const char *name,
				       uint32_t uidvalidity, uint32_t uid,
				       struct store_body **body_r);
uint64_t sq_body_size(const struct store_body *body);
enum store_result sq_body_read(struct store_body *body, uint64_t offset, void *buf,
			       size_t len);
void sq_body_close(struct store_body *body);
enum store_result sq_messages_append_many(struct store *store, struct store_append_set *sets,
					  unsigned int count);
enum store_result sq_mailbox_open(struct store *store, const char *name, uint32_t uidvalidity,
				  struct store_mailbox **box_r);
void sq_mailbox_close(struct store_mailbox *box);
enum store_result sq_messages_read_in(struct store *store, const struct store_mailbox *box,
				      const uint32_t *uids, uint32_t uid_count,
				      unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx);
enum store_result sq_body_open_in(struct store *store, const struct store_mailbox *box,
				  uint32_t uid, struct store_body **body_r);
/* sqlite-search.c */
enum store_result sq_mailbox_search_text(struct store *store, const char *name,
					 uint32_t uidvalidity, enum store_text_field field,
					 const char *header_name, const char *needle,
					 uint32_t **uids_r, uint32_t *count_r);
/* sqlite-index.c */
bool sq_index_due(struct store *store);
enum store_result sq_train_dicts(const struct store_env *env, const char *user,
				 bool *settled_r);
enum store_result sq_index_text(const struct store_env *env, const char *user,
				unsigned int max_batches, const atomic_bool *stop,
				bool *more_r);
/* sqlite-users.c */
/* The env's idle users.db connections (sqlite-users.c). */
enum store_result sq_env_init(struct store_env *env, char *err, size_t err_size);
void sq_env_free(struct store_env *env);
enum store_result sq_users_open(const struct store_env *env, struct store_users **users_r,
				char *err, size_t err_size);
void sq_users_close(struct store_users *users);
const unsigned char *sq_users_secret(const struct store_users *users);
enum store_result sq_users_write(struct store_users *users, const char *name,
				 const struct store_user_record *record, bool add);
enum store_result sq_users_delete(struct store_users *users, const char *name);
enum store_result sq_users_list(struct store_users *users,
				void (*cb)(const char *name, void *ctx), void *ctx);
enum store_result sq_users_get(struct store_users *users, const char *name,
			       struct store_user_record *record_r);
enum store_result sq_users_store_created(const struct store_env *env, const char *name,
					 bool *created_r);
enum store_result sq_users_set_store_created(const struct store_env *env, const char *name);
enum store_result sq_users_share_set(const struct store_env *env, const char *owner,
				     const char *grantee, bool shares);
enum store_result sq_users_sharing_with(const struct store_env *env, const char *user,
					void (*cb)(const char *owner, void *ctx), void *ctx);

#endif
