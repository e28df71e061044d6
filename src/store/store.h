/* The mail store interface: what command code may ask of a user's mail, and
 * nothing about how it is kept. The embedded backend is one SQLite database
 * per user (store/sqlite/); a PostgreSQL backend shared by many petrel nodes
 * is planned and must fit this contract without changes to command code.
 * Each function here dispatches through a table of the backend chosen at
 * start (store-backend.h, struct store_backend; store_env_open() below).
 *
 * THE CONTRACT
 *
 * Threads. Every function here may block (disk, fsync, locks): call them
 * only from a worker, never from an event loop; store_append_limit() and
 * store_result_name() are the exceptions (they never block). One `struct store` is used
 * by one thread at a time; petrel guarantees that by queueing all of a
 * user's store work under the user's worker key, so jobs never overlap.
 * Other processes (`petrel deliver`) and, later, other nodes change the same
 * store concurrently: the backend serializes writers itself.
 *
 * Durability. A function that changes anything returns STORE_OK only once
 * the change is durable (committed with fsync). A crash at any moment
 * leaves each change either wholly done or not done at all.
 *
 * Changes are learnt by modseq, never by memory. Each mailbox has a
 * HIGHESTMODSEQ; every change to a message (new, flags, expunge) takes the
 * next value and records it on the message, or in the expunge record for a
 * removed one. store_mailbox_changes() returns everything after a modseq: it
 * is how a session learns what other sessions, processes and nodes did, so
 * no in-process state may ever be the only record of a change.
 *
 * Identity. A mailbox is addressed by name on every call (names are stable
 * only until a RENAME) and checked against the UIDVALIDITY the caller last
 * saw: a mailbox deleted and re-created under the same name gets a new
 * UIDVALIDITY and calls made with the old one answer STORE_NOT_FOUND.
 * UIDs are strictly ascending within a UIDVALIDITY and never reused; UID
 * 4294967295 is never assigned, so that UIDNEXT (one more than the last
 * UID) still fits the 32-bit nz-number of RFC 9051 §9.
 *
 * Names. Mailbox names given to the store are UTF-8 with '/' as the
 * hierarchy delimiter, already validated and normalized by the caller
 * (imap/mailbox-name.c: "INBOX" in upper case whatever its case in the
 * command, no empty levels, no control characters). The store checks them
 * again with the same rules and answers STORE_INVALID, so no name can ever
 * reach outside the user's store.
 *
 * Shared mailboxes (planned: RFC 4314 ACL). A session of user A will open
 * user B's store with store_open(B) and act with an identity; rights will be
 * checked by the store against an ACL kept in the store itself, so every
 * node sees the same rights. Functions will then take the acting user; the
 * present ones act as the owner.
 *
 * Errors. Results say what happened; the IMAP layer maps them in one place
 * (imap/store-error.c) to NO [NONEXISTENT], NO [TRYCREATE],
 * NO [ALREADYEXISTS], NO [CANNOT], NO [OVERQUOTA], NO [LIMIT],
 * NO [UNAVAILABLE] or NO [SERVERBUG]. Details of internal failures are
 * logged by the store, never put in replies.
 */
#ifndef PETREL_STORE_H
#define PETREL_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/acl.h"

struct store;
struct store_blob;
struct store_env;

/* Limits. */
#define STORE_MAILBOX_NAME_MAX 512    /* bytes of a full UTF-8 mailbox name */
#define STORE_MAILBOX_DEPTH_MAX 32    /* hierarchy levels */
#define STORE_KEYWORD_MAX 64          /* bytes of one keyword */
#define STORE_KEYWORDS_PER_MAILBOX 64 /* distinct keywords a mailbox can hold */
#define STORE_UID_MAX 4294967294u     /* see "Identity" above */

enum store_result {
	STORE_OK,
	STORE_NOT_FOUND,     /* mailbox (or message) does not exist */
	STORE_EXISTS,        /* mailbox already exists */
	STORE_INVALID,       /* a name or argument the store refuses */
	STORE_NOT_ALLOWED,   /* valid but forbidden: delete INBOX, select \Noselect, ... */
	STORE_LIMIT,         /* a limit reached: keywords, depth, UIDs exhausted */
	STORE_TOO_BIG,       /* message over the APPENDLIMIT */
	STORE_NO_SPACE,      /* the disk is full */
	STORE_BUSY,          /* could not get a lock in time: try again */
	STORE_CORRUPT,       /* integrity check failed; details logged */
	STORE_ERROR,         /* other I/O or database failure; details logged */
	STORE_MISSING,       /* the user had a store and it is gone or empty */
	STORE_READ_ONLY,     /* the store is damaged: reads only until repaired */
	STORE_OVER_QUOTA,    /* the change would take the user past a quota limit */
	STORE_NO_RIGHTS,     /* another user's mailbox: the ACL does not allow it */
};

const char *store_result_name(enum store_result r);

/* The rules for a mailbox name (see "Names" above): valid UTF-8,
 * 1..STORE_MAILBOX_NAME_MAX bytes, at most STORE_MAILBOX_DEPTH_MAX levels,
 * no empty, "." or ".." level, no control characters (C0, DEL, C1), no '*'
 * or '%', and a first level spelt "inbox" in any case only as "INBOX". The
 * IMAP layer checks a decoded client name with this before it asks the
 * store anything; *error_r is a fixed text for the reply. */
bool store_mailbox_name_valid(const char *name, size_t len, const char **error_r);

/* System flags (RFC 9051 §2.3.2) as bits. \Recent is not stored: RFC 9051
 * drops it and for IMAP4rev1 clients the session derives it. */
enum store_flag {
	STORE_FLAG_SEEN = 1 << 0,
	STORE_FLAG_ANSWERED = 1 << 1,
	STORE_FLAG_FLAGGED = 1 << 2,
	STORE_FLAG_DELETED = 1 << 3,
	STORE_FLAG_DRAFT = 1 << 4,
};

/* SPECIAL-USE attributes (RFC 6154) as bits. */
enum store_special_use {
	STORE_USE_ALL = 1 << 0,
	STORE_USE_ARCHIVE = 1 << 1,
	STORE_USE_DRAFTS = 1 << 2,
	STORE_USE_FLAGGED = 1 << 3,
	STORE_USE_JUNK = 1 << 4,
	STORE_USE_SENT = 1 << 5,
	STORE_USE_TRASH = 1 << 6,
};

/* ---- the backend and its location ---- */

/* The backend is chosen once, at start: spec names it (the config key
 * `store`; NULL means "sqlite", the embedded backend) and location says
 * where it keeps its data (for "sqlite", the data directory). An unknown
 * name is STORE_INVALID with a line in err that lists the known ones. The
 * env is read-only once made and may be shared by every thread; free it
 * after every store opened from it is closed. */
#define STORE_BACKEND_DEFAULT "sqlite"
enum store_result store_env_open(const char *spec, const char *location,
				 struct store_env **env_r, char *err, size_t err_size);
void store_env_free(struct store_env **env);
/* The backend's name, as spec gave it. */
const char *store_env_backend(const struct store_env *env);

/* The largest message the store accepts (APPENDLIMIT, RFC 7889). A value
 * fixed when env was made: never blocks, so an event loop may ask (the
 * CAPABILITY line, LIST RETURN (STATUS), a literal's size check). */
uint64_t store_append_limit(const struct store_env *env);

/* ---- the store ---- */

/* Opens user's store in env. With STORE_OPEN_CREATE (the caller
 * knows, from users.db, that this user never had a store) a missing or
 * empty store is created with INBOX, Sent, Drafts, Trash, Junk and Archive
 * (with their special-use). Without it a store.db that is missing, empty
 * (0 bytes) or holds no schema is STORE_MISSING and nothing is created: a
 * store that vanished is never silently replaced by an empty one with new
 * UIDVALIDITYs. A file that is not an SQLite database is STORE_CORRUPT,
 * and is never re-initialized either way.
 *
 * Damage. store_open() runs PRAGMA quick_check once a day (and the full
 * integrity_check at every open while the store is marked damaged). A
 * store that fails it, or on which SQLite reports SQLITE_CORRUPT at any
 * time, is marked damaged (a file `damaged` beside store.db, and the log):
 * it stays readable, and every change answers STORE_READ_ONLY, until an
 * integrity check passes again after a repair.
 *
 * Orphan body files (a crash between writing a body and committing its
 * row, or between a commit and removing a freed body) are removed by the
 * same daily maintenance at open; see sqlite-orphan.c for why that never
 * races with an APPEND in another process.
 * On failure returns the result and writes one line into err. */
#define STORE_OPEN_CREATE (1u << 0)
/* With STORE_OPEN_CREATE: the new store holds INBOX alone (the public
 * mailboxes' store, whose names are the administrator's). */
#define STORE_OPEN_BARE (1u << 1)
enum store_result store_open(const struct store_env *env, const char *user, unsigned int flags,
			     struct store **store_r, char *err, size_t err_size);
/* True when the store is marked damaged (read-only). */
bool store_read_only(const struct store *store);
/* A handle may be closed between any two calls and another opened later
 * (a server closes idle users' handles): nothing but blobs depends on it
 * staying open. A body (store_body_open()) stays readable after its
 * handle is closed; a blob (store_blob_begin()) needs its handle until
 * store_blob_free(), and store_blob_count() says how many are left. */
void store_close(struct store **store);
unsigned int store_blob_count(const struct store *store);

/* Full integrity check (`petrel check`): database structure, every message's
 * blob present with its recorded size and SHA-256 digest (where recorded),
 * UIDs below UIDNEXT, modseqs below HIGHESTMODSEQ, body files no row names.
 * Each problem is one line passed to report(). Changes nothing. */
enum store_result store_check(struct store *store,
			      void (*report)(const char *problem, void *ctx), void *ctx);

/* ---- mailboxes ---- */

struct store_mailbox_info {
	const char *name;          /* valid during the callback only */
	unsigned int special_use;  /* enum store_special_use bits */
	bool subscribed;
	bool noselect;             /* exists only as a parent (RFC 9051 §6.3.9) */
	bool has_children;
	bool nonexistent;          /* subscribed only: LIST shows \NonExistent (RFC 9051 §7.3.1) */
};

/* Every mailbox (and every subscribed name that does not exist, with
 * subscribed, noselect and nonexistent set), in name order (bytewise).
 * cb returns false to stop. */
enum store_result store_mailbox_list(struct store *store,
				     bool (*cb)(const struct store_mailbox_info *info, void *ctx),
				     void *ctx);

/* Creates name and any missing parents (RFC 9051 §6.3.4). A name that
 * exists only as a \Noselect parent becomes selectable. */
enum store_result store_mailbox_create(struct store *store, const char *name,
				       unsigned int special_use);
/* RFC 9051 §6.3.5: deleting a mailbox with children only removes its
 * messages and makes it \Noselect; deleting a \Noselect mailbox with
 * children is STORE_NOT_ALLOWED; INBOX is STORE_NOT_ALLOWED. */
enum store_result store_mailbox_delete(struct store *store, const char *name);
/* RFC 9051 §6.3.6: children move with it; missing parents of the new name
 * are created. A new name that exists only as a \Noselect parent is taken
 * over (the renamed mailbox goes above its children; a child that would
 * land on one of them is STORE_EXISTS). Renaming INBOX moves its messages
 * to a new mailbox and leaves INBOX empty (its children stay). */
enum store_result store_mailbox_rename(struct store *store, const char *from, const char *to);
/* Subscriptions are names: a name may be subscribed without existing. */
enum store_result store_mailbox_subscribe(struct store *store, const char *name, bool subscribe);

struct store_mailbox_status {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;
	uint32_t unseen;          /* messages without \Seen */
	uint32_t deleted;         /* messages with \Deleted */
	uint64_t size;            /* sum of RFC822.SIZE */
	uint64_t deleted_size;    /* sum of RFC822.SIZE of those with \Deleted */
	uint32_t recent;          /* messages with UID >= the recent boundary */
	uint32_t first_unseen_uid;/* 0 if none */
};

enum store_result store_mailbox_status(struct store *store, const char *name,
				       struct store_mailbox_status *status_r);

/* ---- a selected mailbox ---- */

struct store_message {
	uint32_t uid;
	uint32_t flags;            /* enum store_flag bits */
	uint64_t keywords;         /* bits into the mailbox's keyword list */
	uint64_t modseq;
};

/* The state of a mailbox as SELECT needs it: every message's UID, flags and
 * modseq in UID order, and the mailbox's keyword list. Arrays are owned by
 * the snapshot; free with store_snapshot_free().
 *
 * \Recent (IMAP4rev1 only): the mailbox keeps a boundary UID; messages at or
 * above it are recent. With claim_recent (a read-write SELECT) the snapshot
 * reports the boundary as it was and moves it to UIDNEXT, so exactly one
 * session sees each message as recent (RFC 3501 §2.3.2). */
struct store_snapshot {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t first_recent_uid;    /* messages with uid >= this are \Recent here */
	struct store_message *messages;
	uint32_t count;
	char **keywords;           /* keywords[i] is bit i */
	unsigned int keyword_count;
};

enum store_result store_mailbox_snapshot(struct store *store, const char *name,
					 bool claim_recent, struct store_snapshot *snapshot_r);
void store_snapshot_free(struct store_snapshot *snapshot);

/* \Recent for messages that arrive while a session has the mailbox selected
 * (RFC 3501 §2.3.2: the first session told of a message gets it): in one
 * write transaction, reports the recent boundary and UIDNEXT and moves the
 * boundary to UIDNEXT, so the caller alone shows UIDs first_r..next_r-1 as
 * \Recent (none when first_r == next_r; then nothing is written). Checked
 * against uidvalidity like store_mailbox_changes(). */
enum store_result store_mailbox_claim_recent(struct store *store, const char *name,
					     uint32_t uidvalidity, uint32_t *first_r,
					     uint32_t *next_r);

/* What changed in a mailbox after `since` (a modseq the caller has seen):
 * messages added or changed (with their current state), and UIDs expunged,
 * each in UID order; plus the mailbox's current UIDNEXT, HIGHESTMODSEQ and
 * keyword list. */
struct store_changes {
	uint32_t uidnext;
	uint64_t highestmodseq;
	struct store_message *changed;
	uint32_t changed_count;
	uint32_t *expunged;
	uint32_t expunged_count;
	char **keywords;
	unsigned int keyword_count;
};

enum store_result store_mailbox_changes(struct store *store, const char *name,
					uint32_t uidvalidity, uint64_t since,
					struct store_changes *changes_r);
void store_changes_free(struct store_changes *changes);

/* The current state of the listed messages, whatever their modseq: what
 * STORE answers with (RFC 9051 §6.4.6: FETCH FLAGS for every message of the
 * set, changed or not). Filled like store_mailbox_changes() and freed with
 * store_changes_free(): `changed` holds each listed UID that still exists,
 * in UID order (UIDs gone are left out); expunged is always empty; uidnext,
 * HIGHESTMODSEQ and the keyword list are the mailbox's as of that same
 * read, so a caller that also syncs can tell whether anything happened in
 * between. uids are ascending as a resolved set gives them (any order and
 * duplicates are accepted, at the cost of a sorted copy). One read
 * transaction; cost grows with uid_count, not with the mailbox's size. */
enum store_result store_messages_get(struct store *store, const char *name,
				     uint32_t uidvalidity, const uint32_t *uids,
				     uint32_t uid_count, struct store_changes *messages_r);

/* ---- changing messages ---- */

enum store_flag_op { STORE_FLAGS_SET, STORE_FLAGS_ADD, STORE_FLAGS_REMOVE };

/* STORE (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE): applies the op to each
 * listed UID that still exists. Keywords are names (created in the mailbox's
 * keyword list as needed: STORE_LIMIT past STORE_KEYWORDS_PER_MAILBOX).
 * With conditional, messages whose modseq is above unchangedsince are left
 * alone and their UIDs reported in *modified_r (unchangedsince 0 leaves
 * every message alone, RFC 7162 §3.1.3).
 * Only messages whose flags actually change get a new modseq. */
struct store_flag_change {
	enum store_flag_op op;
	uint32_t flags;
	const char *const *keywords;
	unsigned int keyword_count;
	bool conditional;          /* UNCHANGEDSINCE given */
	uint64_t unchangedsince;
};

enum store_result store_messages_set_flags(struct store *store, const char *name,
					   uint32_t uidvalidity, const uint32_t *uids,
					   uint32_t uid_count,
					   const struct store_flag_change *change,
					   uint32_t **modified_r, uint32_t *modified_count_r);

/* EXPUNGE / UID EXPUNGE: removes the messages that have \Deleted and, when
 * uids is not NULL, are among uids. *expunged_r lists the removed UIDs in
 * order (free()). */
enum store_result store_messages_expunge(struct store *store, const char *name,
					 uint32_t uidvalidity, const uint32_t *uids,
					 uint32_t uid_count, uint32_t **expunged_r,
					 uint32_t *expunged_count_r);

/* COPY / MOVE (RFC 9051 §6.4.7, RFC 6851): the messages listed (those that
 * still exist) are added to `to` in UID order, sharing their bodies (no
 * copy of the bytes), keeping flags, keywords and INTERNALDATE; with move
 * they are expunged from `from` in the same transaction. The target's
 * UIDVALIDITY and the source/destination UID pairs are returned for
 * COPYUID (RFC 4315). STORE_NOT_FOUND with *to_missing_r set means the
 * target does not exist (TRYCREATE). */
struct store_copy_result {
	uint32_t dest_uidvalidity;
	uint32_t *src_uids;
	uint32_t *dest_uids;
	uint32_t count;
	bool to_missing;
};

enum store_result store_messages_copy(struct store *store, const char *from,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, const char *to, bool move,
				      struct store_copy_result *result_r);
void store_copy_result_free(struct store_copy_result *result);

/* ---- adding messages ---- */

/* A message body being received. Bytes are written as they arrive (large
 * bodies go to a file, never wholly into memory); store_blob_finish() makes
 * them durable. A bare LF is stored as CRLF (RFC 5322 line endings), so
 * the stored size can exceed the bytes written (not after
 * store_blob_keep_bytes()). A blob not used by an append is removed by store_blob_free(). */
enum store_result store_blob_begin(struct store *store, uint64_t expected_size,
				   struct store_blob **blob_r);
enum store_result store_blob_write(struct store_blob *blob, const void *data, size_t len);
/* Before the first write: store the bytes exactly as written, bare LFs
 * included. A message APPENDed as literal8 (RFC 3516 §4.4) may carry binary
 * parts, whose LFs are data: BINARY[] must give them back unchanged. */
void store_blob_keep_bytes(struct store_blob *blob);
enum store_result store_blob_finish(struct store_blob *blob);
void store_blob_free(struct store_blob **blob);

struct store_append {
	struct store_blob *blob;            /* finished */
	uint32_t flags;
	const char *const *keywords;
	unsigned int keyword_count;
	time_t internaldate;
	int internaldate_zone_min;          /* the client's zone, kept for FETCH */
};

/* APPEND and MULTIAPPEND (RFC 3502): all messages are added in one
 * transaction, or none. *uidvalidity_r and uids_r (count entries, caller
 * allocated) give APPENDUID (RFC 4315). STORE_NOT_FOUND when the mailbox
 * does not exist (the caller answers TRYCREATE). */
enum store_result store_messages_append(struct store *store, const char *name,
					const struct store_append *messages, unsigned int count,
					uint32_t *uidvalidity_r, uint32_t *uids_r);

/* Group commit: several APPENDs (of any sessions or deliveries of this
 * user) made durable by one commit. Each set is what one
 * store_messages_append() call would take and gets that call's answer in
 * result (STORE_OK: uidvalidity and uids are filled); one set's failure
 * never fails another. Returns STORE_OK when every set got its answer. */
struct store_append_set {
	const char *mailbox;
	const struct store_append *messages;
	unsigned int count;
	uint32_t *uids;                     /* count entries, caller allocated */
	uint32_t uidvalidity;
	enum store_result result;
};

enum store_result store_messages_append_many(struct store *store, struct store_append_set *sets,
					     unsigned int count);

/* ---- reading messages ---- */

/* What FETCH knows of one message. Pointers are valid during the callback
 * only. */
struct store_message_info {
	uint32_t uid;
	uint32_t flags;
	uint64_t keywords;
	uint64_t modseq;
	time_t internaldate;
	int internaldate_zone_min;
	time_t savedate;                    /* RFC 8514 */
	uint64_t size;                      /* RFC822.SIZE */
	const char *emailid;                /* RFC 8474 */
	const char *threadid;
	/* With STORE_READ_SUMMARY: the summary computed at delivery
	 * (mail/mail-summary.h encoding), or NULL with size 0 if it could not
	 * be made (the message is then treated as opaque text/plain). */
	const void *summary;
	size_t summary_size;
};

enum store_read_fields {
	STORE_READ_SUMMARY = 1 << 0,
	/* Only uid, flags, keywords and modseq are wanted (FETCH of FLAGS,
	 * UID, MODSEQ): the rest may be left 0 / NULL, sparing the backend a
	 * lookup of the message's body row. Not with STORE_READ_SUMMARY. */
	STORE_READ_FLAGS_ONLY = 1 << 1,
};

/* Calls cb for each listed UID that still exists, in UID order, within one
 * read transaction (so all see one state). uids ascending as a resolved set
 * gives them. cb returns false to stop early (not an error). */
enum store_result store_messages_read(struct store *store, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx);

/* A message's bytes, read at any offset (BODY[section], BINARY, partial
 * fetches). Stays readable after the message is expunged (an open file
 * keeps its data), until closed. */
struct store_body;

/* STORE_NOT_FOUND if the message (or the mailbox) is gone. */
enum store_result store_body_open(struct store *store, const char *name, uint32_t uidvalidity,
				  uint32_t uid, struct store_body **body_r);
uint64_t store_body_size(const struct store_body *body);
/* Exactly len bytes at offset (offset + len <= size). */
enum store_result store_body_read(struct store_body *body, uint64_t offset, void *buf,
				  size_t len);
void store_body_close(struct store_body **body);

/* ---- a mailbox handle ---- */

/* A mailbox opened once for a command's many calls (FETCH of many
 * messages), instead of addressing it by name and UIDVALIDITY on every
 * call. Rules:
 * - It names one mailbox of one user's store by identity, not by name: a
 *   RENAME meanwhile changes nothing for it; once the mailbox is deleted,
 *   or deleted and re-created under the same name (a new UIDVALIDITY),
 *   every call through it answers STORE_NOT_FOUND.
 * - It holds no resource of the store handle it was opened with: it stays
 *   valid across store_close() and may be used with any store handle of
 *   the same user opened later (a server closes idle users' handles
 *   between a command's steps). With another user's store: STORE_INVALID.
 * - Calls through it follow the store's thread rule (the thread that owns
 *   the store handle passed in); store_mailbox_close() may run on any
 *   thread, after the last call through it has returned.
 * - Each call is still one read transaction of its own and checks the
 *   mailbox's identity there (cheaply: no name lookup). */
struct store_mailbox;

/* STORE_NOT_FOUND when the mailbox does not exist, is \Noselect or has
 * another UIDVALIDITY; STORE_INVALID for a name the store refuses. */
enum store_result store_mailbox_open(struct store *store, const char *name,
				     uint32_t uidvalidity, struct store_mailbox **box_r);
void store_mailbox_close(struct store_mailbox **box);
/* store_messages_read() and store_body_open() through a handle. */
enum store_result store_messages_read_in(struct store *store, const struct store_mailbox *box,
					 const uint32_t *uids, uint32_t uid_count,
					 unsigned int fields,
					 bool (*cb)(const struct store_message_info *info,
						    void *ctx),
					 void *ctx);
enum store_result store_body_open_in(struct store *store, const struct store_mailbox *box,
				     uint32_t uid, struct store_body **body_r);

/* ---- searching ---- */

/* The text SEARCH matches against, kept per message at delivery
 * (mail/mail-text.h): header fields decoded and case-folded, the body's text
 * parts decoded, converted and case-folded. */
enum store_text_field {
	STORE_TEXT_SUBJECT,
	STORE_TEXT_FROM,
	STORE_TEXT_TO,
	STORE_TEXT_CC,
	STORE_TEXT_BCC,
	STORE_TEXT_HEADER,   /* every header field, "name: value\n" */
	STORE_TEXT_BODY,
	STORE_TEXT_TEXT,     /* header or body */
};

/* UIDs (ascending, malloc()ed) of the mailbox's messages whose field
 * contains needle, a case-folded UTF-8 string (casefold.h). Served by a
 * substring index for needles of 3 or more characters, by reading the
 * stored text for shorter ones; the same text either way. A body's text is
 * kept up to mail-text.h's limit: text past it is not searched. With
 * header_name (STORE_TEXT_HEADER only, case-folded), only fields of that
 * name count and an empty needle matches every message that has one. */
enum store_result store_mailbox_search_text(struct store *store, const char *name,
					    uint32_t uidvalidity, enum store_text_field field,
					    const char *header_name, const char *needle,
					    uint32_t **uids_r, uint32_t *count_r);

/* ---- watching for other processes' changes ---- */

/* A server learns of changes that other processes (petrel deliver) make
 * to its users' stores through a watch: one descriptor to poll for any
 * number of users, and a drain call that names the users whose stores
 * changed (each backend its own way: SQLite, a file per user and one
 * inotify instance, sqlite-watch.c; Linux allows 128 instances per uid by
 * default, far fewer than a server's users). The server's own writes wake
 * its sessions without it. Calls on one watch must not overlap (the
 * caller serializes them); none blocks for long. */
struct store_watch;
/* One user's store being watched. */
struct store_watch_user;
enum store_result store_watch_open(const struct store_env *env, struct store_watch **watch_r);
/* A descriptor that polls readable (POLLIN) when drain has news. */
int store_watch_fd(const struct store_watch *watch);
/* Starts watching user's store; drain passes ctx for it. A second add of
 * the same user is allowed (each is removed on its own). */
enum store_result store_watch_add(struct store_watch *watch, const char *user, void *ctx,
				  struct store_watch_user **wu_r);
void store_watch_remove(struct store_watch *watch, struct store_watch_user **wu);
/* Consumes what is pending, without blocking: changed(ctx) once for each
 * watched user whose store changed since the last drain. True if any. */
bool store_watch_drain(struct store_watch *watch, void (*changed)(void *ctx));
void store_watch_close(struct store_watch **watch);
/* A process that changed user's store without being the server (petrel
 * deliver) calls this afterwards, to wake the server's watches. Failure
 * is logged: servers then learn of it at their sessions' next command. */
void store_notify_changed(const struct store_env *env, const char *user);

/* Write transactions this handle has committed that other sessions can
 * see: a mailbox's HIGHESTMODSEQ moved (messages added, flags, expunges)
 * or a mailbox was removed or renamed. Not a SELECT's \Recent claim: with
 * 10,000 sessions in IDLE, each new SELECT would otherwise wake them all.
 * Two readings tell a caller that its own call changed something (to wake
 * other sessions of the same process); what changed is learnt by modseq,
 * as always. */
uint64_t store_change_count(const struct store *store);

/* ---- quota (RFC 9208) ----
 *
 * One quota root per user, over all of the user's mailboxes, with three
 * resources: STORAGE (the sum of the messages' RFC822.SIZE, \Deleted ones
 * included until expunged; limits in KiB, as the RFC counts), MESSAGE
 * (messages) and MAILBOX (mailboxes that can hold messages; a \Noselect
 * parent is not one). A change that would take a resource past its limit
 * is refused whole, with STORE_OVER_QUOTA and nothing written: APPEND (each
 * delivery of a group commit on its own), COPY, CREATE. A change that adds
 * nothing to a resource (MOVE within the user's mailboxes, EXPUNGE, a
 * RENAME) is never refused, so a user over a lowered limit can always
 * clean up. Usage is read from the mailboxes' counters in the writing
 * transaction itself, so it is exact under concurrent writers and after a
 * crash (store_check() recounts the counters). The limits are the user's
 * own (kept in the store, so a change is seen by the next transaction of
 * every process) or else the env's defaults (store_env_set_quota()). */
enum store_quota_resource {
	STORE_QUOTA_STORAGE,
	STORE_QUOTA_MESSAGE,
	STORE_QUOTA_MAILBOX,
	STORE_QUOTA_RESOURCES
};

#define STORE_QUOTA_NONE UINT64_MAX          /* no limit */
#define STORE_QUOTA_DEFAULT (UINT64_MAX - 1) /* the user's own: the env's default */
/* A limit above this is refused (STORE_INVALID): far past any disk, and
 * the STORAGE limit in bytes still fits in 63 bits. */
#define STORE_QUOTA_LIMIT_MAX (UINT64_C(1) << 52)

/* Its name in IMAP (RFC 9208 §5): "STORAGE", "MESSAGE", "MAILBOX". */
const char *store_quota_resource_name(enum store_quota_resource res);

struct store_quota {
	/* STORAGE in bytes (store_quota_kib() for IMAP), the others counts. */
	uint64_t usage[STORE_QUOTA_RESOURCES];
	/* In force: KiB for STORAGE; STORE_QUOTA_NONE where there is none. */
	uint64_t limit[STORE_QUOTA_RESOURCES];
	/* The user's own setting: a limit, STORE_QUOTA_NONE or STORE_QUOTA_DEFAULT. */
	uint64_t own[STORE_QUOTA_RESOURCES];
};

/* At start, before any store is opened from env: the limits of users who
 * have none of their own (STORE_QUOTA_NONE: none; KiB for STORAGE). */
void store_env_set_quota(struct store_env *env, const uint64_t limit[STORE_QUOTA_RESOURCES]);

/* STORAGE usage as IMAP shows it: KiB, rounded up (as Dovecot does, so a
 * mailbox holding anything never shows 0). */
static inline uint64_t store_quota_kib(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}

/* Usage and limits, read in one transaction. */
enum store_result store_quota_get(struct store *store, struct store_quota *quota_r);
/* Sets the user's own limits (each a limit up to STORE_QUOTA_LIMIT_MAX,
 * STORE_QUOTA_NONE or STORE_QUOTA_DEFAULT), all in one transaction. A
 * limit below the usage is allowed: the user can then only remove. */
enum store_result store_quota_set(struct store *store,
				  const uint64_t own[STORE_QUOTA_RESOURCES]);

/* ---- METADATA (RFC 5464) ----
 *
 * Entries of a mailbox, or of the server (mailbox NULL), each named by a
 * path under /shared (one value for everyone who sees the mailbox) or
 * /private (one per user: `user` is whose). Names are valid per
 * store_metadata_name_valid() and kept in lower case (RFC 5464 §3.2:
 * compared without regard to case). A mailbox's entries go with it
 * (RENAME keeps them, DELETE drops them). Bounded: a value of at most
 * STORE_METADATA_VALUE_MAX bytes, STORE_METADATA_ENTRIES_MAX entries on a
 * mailbox (or the server) for all users together, STORE_METADATA_BYTES_MAX
 * bytes of values in a store. */
#define STORE_METADATA_NAME_MAX 256
#define STORE_METADATA_VALUE_MAX (16u * 1024)
#define STORE_METADATA_ENTRIES_MAX 128
#define STORE_METADATA_BYTES_MAX (1024u * 1024)

/* RFC 5464 §3.2: "/private/..." or "/shared/..." with at least one more
 * component, printable ASCII without '*' and '%', no "//", no trailing '/',
 * at most STORE_METADATA_NAME_MAX bytes. Any case. */
bool store_metadata_name_valid(const char *name, size_t len);

struct store_metadata_entry {
	char *name;              /* lower case */
	unsigned char *value;    /* NULL: no such entry (get), remove it (set) */
	size_t len;
};

/* How deep store_metadata_get() looks under each name asked for
 * (RFC 5464 §4.2.2): the name only, its children too, or every
 * descendant. */
enum store_metadata_depth {
	STORE_METADATA_DEPTH_0,
	STORE_METADATA_DEPTH_1,
	STORE_METADATA_DEPTH_INFINITY,
};

/* Each name asked for (valid, any case), in order: its entry (value NULL
 * when there is none), then, with depth, the entries that exist under it,
 * in name order. *entries_r is freed with store_metadata_free().
 * STORE_NOT_FOUND when the mailbox does not exist. */
enum store_result store_metadata_get(struct store *store, const char *mailbox, const char *user,
				     const char *const *names, unsigned int count,
				     enum store_metadata_depth depth,
				     struct store_metadata_entry **entries_r,
				     unsigned int *count_r);
void store_metadata_free(struct store_metadata_entry *entries, unsigned int count);
/* Sets (value) or removes (value NULL) each entry, all in one transaction
 * or none: STORE_NOT_FOUND no such mailbox, STORE_INVALID a name,
 * STORE_TOO_BIG a value over STORE_METADATA_VALUE_MAX, STORE_LIMIT past
 * STORE_METADATA_ENTRIES_MAX or STORE_METADATA_BYTES_MAX. */
enum store_result store_metadata_set(struct store *store, const char *mailbox, const char *user,
				     const struct store_metadata_entry *entries,
				     unsigned int count);

/* ---- whose \Seen ----
 *
 * In a mailbox shared with others, \Seen is kept per user (as Cyrus
 * does): a team mailbox shows each member their own read state, while
 * the other flags are shared. Until the handle is given another viewer,
 * \Seen is the owner's. With a viewer, every read of flags (snapshots,
 * changes, FETCH, SEARCH, STATUS UNSEEN) gives that user's \Seen, and
 * every write of \Seen (STORE, APPEND, COPY) sets theirs, bumping the
 * message's modseq (a change the others see as one that changed nothing
 * of theirs, which RFC 7162 allows). A job that serves another user sets
 * it and clears it (NULL) when done. */
void store_view_as(struct store *store, const char *viewer);

/* ---- ACL (RFC 4314) ----
 *
 * A mailbox's access control list (store/acl.h says what it means): its
 * entries are kept by the store that holds the mailbox, named by the
 * mailbox's id, so RENAME keeps them and DELETE drops them. A mailbox
 * created under a parent starts with its parent's entries (as Cyrus's:
 * a folder made in a shared folder is shared alike). At most
 * ACL_ENTRIES_MAX entries per mailbox; identifiers as
 * acl_identifier_valid(). An entry with no rights is no entry. */
enum store_acl_mode {
	STORE_ACL_REPLACE,   /* the identifier's rights become these */
	STORE_ACL_ADD,       /* these are added to its rights */
	STORE_ACL_REMOVE,    /* these are taken from its rights */
};

/* The mailbox's entries, in identifier order (byte order). *entries_r is
 * freed with free(). STORE_NOT_FOUND when the mailbox does not exist. */
enum store_result store_acl_get(struct store *store, const char *mailbox,
				struct acl_entry **entries_r, unsigned int *count_r);
/* Changes one entry in one transaction (read, change, write: two writers
 * adding rights never lose one); *rights_r (may be NULL) the rights it
 * has after. STORE_NOT_FOUND no such mailbox, STORE_INVALID a bad
 * identifier, STORE_LIMIT a new entry past ACL_ENTRIES_MAX. */
enum store_result store_acl_update(struct store *store, const char *mailbox,
				   const char *identifier, enum store_acl_mode mode,
				   acl_rights rights, acl_rights *rights_r);

/* Removes every entry naming identifier, or the negative of it, from
 * every mailbox of the store (a user deleted: a new user of the same name
 * must not inherit them), and the store's row for it in the shares index. */
enum store_result store_acl_forget(struct store *store, const char *identifier);

/* ---- the search index ---- */

/* Delivery leaves each message's search text for an indexer, which puts
 * it into the substring index in batches, apart from delivery: indexing
 * costs more CPU than the rest of a delivery, so it runs on another
 * worker, beside the user's store jobs. Until then SEARCH reads the text
 * where it waits: the answers are the same, only slower. */

/* True, once, when this handle has left a batch's worth of work for the
 * indexer since it last said so (or found it waiting at open). */
bool store_index_due(struct store *store);

/* Indexes what waits, in batches of a few hundred messages: at most
 * max_batches full batches, or with max_batches 0 everything (the last
 * batch partial). Uses a connection of its own, so it may run on any
 * thread while the user's store handle is in use on another; any number
 * of indexers may run at once. *more_r: a full batch or a removal is
 * left. STORE_NOT_FOUND when the user has no store. When *stop (may be
 * NULL) becomes true, from any thread, the batch under way is abandoned
 * (rolled back, left for next time) and STORE_BUSY returned: a shutdown
 * never waits for the indexer. */
enum store_result store_index_text(const struct store_env *env, const char *user,
				   unsigned int max_batches, const atomic_bool *stop,
				   bool *more_r);
/* The store's compression dictionaries (store-dict.h), trained from its
 * first messages once it holds enough, as store_index_text() also does
 * first: apart from indexing, for an indexer that steps aside while
 * deliveries go on (user-index.c), since mail stored before they exist
 * is compressed without them (bodies a third larger on jwz's mail). Uses a
 * connection of its own, like store_index_text(). *settled_r: every kind
 * exists or cannot be trained on this store; nothing more to do. */
enum store_result store_train_dicts(const struct store_env *env, const char *user,
				    bool *settled_r);


#endif
