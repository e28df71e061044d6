/* A user's store on PostgreSQL as the pg-*.c files of the mail entries
 * share it: the handle, its transactions (each leasing a connection from
 * the env's pool for one operation, never pinning one), and the mailbox
 * rows. Only src/store/pg/ includes this. */
#ifndef PETREL_STORE_PG_STORE_H
#define PETREL_STORE_PG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/pg/pg-private.h"
#include "store/pg/pg-schema.h"

#define PG_ALL_SPECIAL_USE 0x7fu   /* enum store_special_use, as SQ_ALL_SPECIAL_USE */
#define PG_NUM_LEN 24              /* an int64 in decimal, its sign and NUL */
#define PG_ALL_FLAGS 0x1fu         /* enum store_flag, as SQ_ALL_FLAGS */
/* store_append_limit(): the largest body, as SQ_APPEND_LIMIT, so a user
 * moved between backends keeps what it could APPEND (RFC 7889). */
#define PG_APPEND_LIMIT ((uint64_t)64 * 1024 * 1024)
#define PG_ZONE_MAX (100 * 60 - 1) /* RFC 9051 zone: +/-HHMM, as SQ_ZONE_MAX */

struct pg_store {
	struct store store;        /* the base: store.c dispatches through it */
	const struct store_env *env;   /* opened from; outlives the handle */
	struct pg_pool *pool;      /* the env's (pg-env.c), not ours to close */
	char *user;
	int64_t id;                /* stores.id */
	char id_text[PG_NUM_LEN];  /* the same, as the $1 of every statement */
	uint64_t change_count;     /* store_change_count(), as sq_store's */
	unsigned int blob_count;   /* begun and not yet freed */
	uint64_t quota_default[STORE_QUOTA_RESOURCES];
	/* store_view_as(): whose \Seen (NULL: the owner's, in messages.flags). */
	char *viewer;
};

static inline struct pg_store *pg_store(struct store *store)
{
	return (struct pg_store *)store;
}

/* One operation's transaction on one leased connection. A writing one
 * has locked the stores row (SELECT ... FOR UPDATE) first: one user's
 * writes are serialized across nodes, so modseqs and UIDs are assigned in
 * order, as SQLite's BEGIN IMMEDIATE does on one machine. */
struct pg_txn {
	struct pg_store *st;
	struct pg_lease *lease;
	bool write;
	/* It moved a modseq or removed/renamed a mailbox: stores.changes and
	 * the handle's change_count move at commit (store_change_count()). */
	bool visible;
};

enum store_result pg_txn_open(struct pg_store *st, bool write, struct pg_txn *t);
/* Commits when r is STORE_OK, else rolls back; gives the connection back. */
enum store_result pg_txn_close(struct pg_txn *t, enum store_result r);
/* A statement of the transaction ($1 is usually t->st->id_text). */
enum store_result pg_q(struct pg_txn *t, const char *what, const char *sql,
		       const struct pg_param *params, unsigned int count, unsigned int flags,
		       struct pg_result **res_r);
/* A statement of the transaction whose first column of its first row is
 * an integer (0 with no row). */
enum store_result pg_q_int(struct pg_txn *t, const char *what, const char *sql,
			   const struct pg_param *params, unsigned int count, int64_t *value_r,
			   bool *found_r);

/* v in decimal into buf, as a text parameter. */
struct pg_param pg_num(char buf[PG_NUM_LEN], int64_t v);
/* A text-format integer column (0 for NULL or junk). */
int64_t pg_col_int(const struct pg_result *res, unsigned int row, unsigned int col);
bool pg_col_bool(const struct pg_result *res, unsigned int row, unsigned int col);

/* ---- mailbox rows (pg-store.c), as sqlite-store.c's ---- */
struct pg_mailbox {
	int64_t id;
	uint32_t uidvalidity, uidnext, recent_uid;
	uint64_t highestmodseq;
	unsigned int special_use;
	bool noselect;
	uint32_t messages, unseen, deleted, recent;
	uint64_t size;
	bool changed;              /* a message changed: highestmodseq moves on save */
};

/* STORE_NOT_FOUND when the name does not exist. */
enum store_result pg_mailbox_load(struct pg_txn *t, const char *name, struct pg_mailbox *mb_r);
enum store_result pg_mailbox_save(struct pg_txn *t, struct pg_mailbox *mb);
uint64_t pg_mailbox_next_modseq(struct pg_mailbox *mb);
/* A UIDVALIDITY never used before in this store (stores.last_uidvalidity). */
enum store_result pg_new_uidvalidity(struct pg_txn *t, uint32_t *uidvalidity_r);
/* Inserts a new selectable mailbox (parents must exist). */
enum store_result pg_mailbox_insert(struct pg_txn *t, const char *name,
				    unsigned int special_use, int64_t *id_r);

/* A message's flags as the handle's viewer sees them (store_view_as()),
 * $3 the viewer: the owner's as stored; another user's \Seen (bit 1) from
 * the seen table. As SQ_FLAGS. */
#define PG_FLAGS "CASE WHEN $3::text IS NULL THEN m.flags ELSE (m.flags & ~1) |" \
	" (EXISTS (SELECT 1 FROM seen s WHERE s.store_id = m.store_id AND" \
	" s.mailbox_id = m.mailbox_id AND s.viewer = $3 AND s.uid = m.uid))::integer END"

/* The digits of one UID and its comma, in a {..} array literal. */
#define PG_UID_TEXT 11

/* Loads a selectable mailbox the caller addresses with its UIDVALIDITY:
 * STORE_NOT_FOUND if it is gone, \Noselect, or re-created since. */
enum store_result pg_mailbox_load_checked(struct pg_txn *t, const char *name,
					  uint32_t uidvalidity, struct pg_mailbox *mb);
/* The mailbox's keywords, bit i at [i] (STORE_CORRUPT unless dense). */
enum store_result pg_keywords_load(struct pg_txn *t, int64_t mailbox_id, char ***names_r,
				   unsigned int *count_r);
/* uids as a PostgreSQL array literal ("{1,2}"), to free. */
char *pg_uid_array(const uint32_t *uids, uint32_t count);
/* A sorted copy of uids without duplicates. */
uint32_t *pg_uids_sorted(const uint32_t *uids, uint32_t count, uint32_t *count_r);
/* A body whose stored bytes fit one chunk is copied whole by
 * store_body_open() (one row, what the read needs anyway); a bigger one
 * is read chunk by chunk while open, so its rows must outlive its last
 * message: once unreferenced it is kept PG_BLOB_GRACE_S, longer than any
 * FETCH holds a body open (a 64 MiB body at 1 Mbit/s takes ~9 minutes),
 * then swept by a later expunge of the same user (pg_blob_sweep()). */
#define PG_BODY_COPY_MAX PG_BLOB_CHUNK
#define PG_BLOB_GRACE_S 3600
#define PG_STR_(x) #x
#define PG_STR(x) PG_STR_(x)
/* Deletes the user's bodies unreferenced for over PG_BLOB_GRACE_S. */
enum store_result pg_blob_sweep(struct pg_txn *t);
/* Deletes the messages of uids (an array literal; NULL: all) from a
 * mailbox, dropping their bodies' references and the bodies left with
 * none. Expunge records, \Seen rows and counters are the caller's. */
enum store_result pg_messages_delete(struct pg_txn *t, int64_t mailbox_id, const char *uids);

/* ---- counters and keywords (pg-flags.c), as sq_count_*, sq_keywords_* ---- */
void pg_count_add(struct pg_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size);
void pg_count_remove(struct pg_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size);
/* The mask for names; with create, unknown ones are added to the mailbox
 * (STORE_LIMIT past STORE_KEYWORDS_PER_MAILBOX), otherwise left out. */
enum store_result pg_keywords_mask(struct pg_txn *t, int64_t mailbox_id,
				   const char *const *names, unsigned int count, bool create,
				   uint64_t *mask_r);
bool pg_keywords_valid(const char *const *names, unsigned int count);
bool pg_uids_ascending(const uint32_t *uids, uint32_t count);

/* ---- blobs being received (pg-blob.c) ---- */
struct pg_blob;
/* NULL unless blob is one of this backend's. */
struct pg_blob *pg_blob_of(struct store_blob *blob);
/* RFC822.SIZE of a finished blob (0 otherwise). */
uint64_t pg_blob_size(const struct pg_blob *b);
/* Finished, of this store, and not appended yet (nor in the open txn). */
bool pg_blob_usable(const struct pg_store *st, const struct pg_blob *b);
/* The blob's row (refcount 1), its chunks and search text, in t. */
enum store_result pg_blob_insert(struct pg_txn *t, struct pg_blob *b, int64_t *id_r,
				 uint64_t *size_r);
/* After the transaction of pg_blob_insert(): committed or rolled back. */
void pg_blob_settle(struct pg_blob *b, bool committed);
/* prefix and 22 random URL-safe characters (EMAILID, THREADID). */
enum store_result pg_random_id(char *out, size_t size, char prefix);

/* ---- quota (pg-quota.c) ---- */
/* STORE_OVER_QUOTA when adding add would pass a limit in force. */
enum store_result pg_quota_allows(struct pg_txn *t, const uint64_t add[STORE_QUOTA_RESOURCES]);

/* ---- ACL (pg-acl.c) ---- */
/* A new mailbox's entries: its parent's (none at the top level). */
enum store_result pg_acl_inherit(struct pg_txn *t, const char *name, int64_t id);

#endif
