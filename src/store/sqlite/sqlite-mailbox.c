/* Mailboxes of the SQLite store: LIST, CREATE, DELETE, RENAME, SUBSCRIBE and
 * STATUS (RFC 9051 §6.3). STATUS reads the counters on the mailbox row and
 * never scans messages. Every parent of a mailbox always exists as a row. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

static enum store_result sq_name_check(const char *name)
{
	return store_mailbox_name_check(name);
}

static bool sq_is_inbox(const char *name)
{
	return strcmp(name, "INBOX") == 0;
}

enum store_result sq_mailbox_list(struct store *store,
				  bool (*cb)(const struct store_mailbox_info *info, void *ctx),
				  void *ctx)
{
	struct sq_store *st = sq_store(store);
	sqlite3_stmt *s = sq_stmt(st, SQ_MB_LIST);
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_mailbox_info info = {
			.name = (const char *)sqlite3_column_text(s, 0),
			.special_use = (unsigned int)sqlite3_column_int(s, 1),
			.noselect = sqlite3_column_int(s, 2) != 0,
			.subscribed = sqlite3_column_int(s, 3) != 0,
			.nonexistent = sqlite3_column_int(s, 4) != 0,
			.has_children = sqlite3_column_int(s, 5) != 0,
		};

		if (info.name == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (!cb(&info, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(st, rc, "list mailboxes");
}

static enum store_result sq_has_children(struct sq_store *st, const char *name, bool *yes_r)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_MB_HAS_CHILDREN);
	int rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	*yes_r = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : sq_fail(st, rc, "children");
}

/* Creates every missing parent of name as a selectable mailbox (RFC 9051
 * §6.3.4: the server SHOULD create them; Dovecot makes them real ones). */
static enum store_result sq_create_parents(struct sq_store *st, const char *name)
{
	char buf[STORE_MAILBOX_NAME_MAX + 1];
	size_t len = strlen(name);

	memcpy(buf, name, len + 1);
	for (size_t i = 0; i < len; i++) {
		struct sq_mailbox mb;
		enum store_result r;

		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		r = sq_mailbox_load(st, buf, &mb);
		if (r == STORE_NOT_FOUND) {
			int64_t id = 0;

			r = sq_mailbox_insert(st, buf, 0, &id);
			if (r == STORE_OK)
				r = sq_acl_inherit(st, buf, id);
		}
		buf[i] = '/';
		if (r != STORE_OK)
			return r;
	}
	return STORE_OK;
}

/* Gives a mailbox a fresh life: new UIDVALIDITY, no messages. Used when a
 * \Noselect placeholder is created again. */
static enum store_result sq_mailbox_reset(struct sq_store *st, int64_t id, bool noselect,
					  unsigned int special_use)
{
	uint32_t uidvalidity = 0;
	enum store_result r = sq_new_uidvalidity(st, &uidvalidity);
	sqlite3_stmt *s;

	if (r != STORE_OK)
		return r;
	st->txn_visible = true;   /* sessions in IDLE must learn of it */
	s = sq_stmt(st, SQ_MB_RESET);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, noselect);
	sqlite3_bind_int64(s, 3, uidvalidity);
	sqlite3_bind_int(s, 4, (int)special_use);
	return sq_run(st, s, "reset mailbox");
}

enum store_result sq_mailbox_create(struct store *store, const char *name,
				    unsigned int special_use)
{
	struct sq_store *st = sq_store(store);
	struct sq_mailbox mb;
	enum store_result r = sq_name_check(name);

	if (r != STORE_OK)
		return r;
	if ((special_use & ~SQ_ALL_SPECIAL_USE) != 0)
		return STORE_INVALID;
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	r = sq_mailbox_load(st, name, &mb);
	/* Either way a mailbox that can hold messages is added. */
	if ((r == STORE_OK && mb.noselect) || r == STORE_NOT_FOUND) {
		const uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MAILBOX] = 1 };
		enum store_result q = sq_quota_allows(st, add);

		if (q != STORE_OK)
			return sq_end(st, q);
	}
	if (r == STORE_OK && mb.noselect) {
		/* A \Noselect parent made a mailbox again is created like any
		 * other: with its parent's ACL (DELETE dropped its own). Else
		 * it would vanish for the user with k who created it, telling
		 * him it has children he may not see. */
		r = sq_mailbox_reset(st, mb.id, false, special_use);
		if (r == STORE_OK)
			r = sq_acl_inherit(st, name, mb.id);
	} else if (r == STORE_OK) {
		r = STORE_EXISTS;
	} else if (r == STORE_NOT_FOUND) {
		int64_t id = 0;

		r = sq_create_parents(st, name);
		if (r == STORE_OK)
			r = sq_mailbox_insert(st, name, special_use, &id);
		if (r == STORE_OK)
			r = sq_acl_inherit(st, name, id);
	}
	return sq_end(st, r);
}

/* Removes every message of a mailbox (dropping blob references), its
 * expunge records, its keywords and its METADATA entries. */
static enum store_result sq_mailbox_empty(struct sq_store *st, int64_t id)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_MSG_BLOBS);
	int64_t *blobs = NULL;
	size_t count = 0, alloc = 0;
	enum store_result r;
	int rc;

	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == alloc) {
			alloc = alloc == 0 ? 64 : alloc * 2;
			blobs = xrealloc(blobs, alloc * sizeof(*blobs));
		}
		blobs[count++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(blobs);
		return sq_fail(st, rc, "list blobs");
	}
	s = sq_stmt(st, SQ_SEEN_DROP_BOX);
	sqlite3_bind_int64(s, 1, id);
	r = sq_run(st, s, "delete seen");
	if (r != STORE_OK) {
		free(blobs);
		return r;
	}
	s = sq_stmt(st, SQ_MSG_CLEAR);
	sqlite3_bind_int64(s, 1, id);
	r = sq_run(st, s, "delete messages");
	for (size_t i = 0; r == STORE_OK && i < count; i++)
		r = sq_blob_unref(st, blobs[i]);
	free(blobs);
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_EXP_CLEAR);
		sqlite3_bind_int64(s, 1, id);
		r = sq_run(st, s, "delete expunge records");
	}
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_KW_CLEAR);
		sqlite3_bind_int64(s, 1, id);
		r = sq_run(st, s, "delete keywords");
	}
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_MD_DROP_BOX);
		sqlite3_bind_int64(s, 1, id);
		r = sq_run(st, s, "delete metadata");
	}
	if (r == STORE_OK) {
		s = sq_stmt(st, SQ_ACL_DROP_BOX);
		sqlite3_bind_int64(s, 1, id);
		r = sq_run(st, s, "delete acl");
	}
	return r;
}

static enum store_result sq_delete(struct sq_store *st, const char *name)
{
	struct sq_mailbox mb;
	bool children;
	enum store_result r = sq_mailbox_load(st, name, &mb);
	sqlite3_stmt *s;

	if (r != STORE_OK)
		return r;
	r = sq_has_children(st, name, &children);
	if (r != STORE_OK)
		return r;
	/* RFC 9051 §6.3.5: a \Noselect name with inferiors cannot go. */
	if (children && mb.noselect)
		return STORE_NOT_ALLOWED;
	r = sq_mailbox_empty(st, mb.id);
	if (r != STORE_OK)
		return r;
	if (children) {
		/* It stays as a \Noselect parent; creating it again gives it a
		 * new UIDVALIDITY (sq_mailbox_reset). */
		return sq_mailbox_reset(st, mb.id, true, 0);
	}
	st->txn_visible = true;   /* sessions in IDLE must learn of it */
	s = sq_stmt(st, SQ_MB_DELETE);
	sqlite3_bind_int64(s, 1, mb.id);
	return sq_run(st, s, "delete mailbox");
}

enum store_result sq_mailbox_delete(struct store *store, const char *name)
{
	struct sq_store *st = sq_store(store);
	enum store_result r = sq_name_check(name);

	if (r != STORE_OK)
		return r;
	if (sq_is_inbox(name))
		return STORE_NOT_ALLOWED;
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	return sq_end(st, sq_delete(st, name));
}

/* RENAME INBOX (RFC 9051 §6.3.6): its messages move to a new mailbox with
 * fresh UIDs in their order; INBOX keeps its UIDVALIDITY and UIDNEXT, its
 * children, and records the messages as expunged so sessions learn it. */
static enum store_result sq_rename_inbox(struct sq_store *st, const char *to)
{
	struct sq_mailbox inbox, dest;
	int64_t dest_id;
	enum store_result r = sq_mailbox_load(st, "INBOX", &inbox);
	const uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MAILBOX] = 1 };
	sqlite3_stmt *s;

	/* INBOX stays: one mailbox more. */
	if (r == STORE_OK)
		r = sq_quota_allows(st, add);
	if (r == STORE_OK)
		r = sq_create_parents(st, to);
	if (r == STORE_OK)
		r = sq_mailbox_insert(st, to, 0, &dest_id);
	if (r == STORE_OK)
		r = sq_mailbox_load(st, to, &dest);
	if (r != STORE_OK || inbox.messages == 0)
		return r;
	s = sq_stmt(st, SQ_KW_COPY);
	sqlite3_bind_int64(s, 1, inbox.id);
	sqlite3_bind_int64(s, 2, dest_id);
	r = sq_run(st, s, "copy keywords");
	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_MSG_RENUMBER);
	sqlite3_bind_int64(s, 1, inbox.id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)sq_mailbox_next_modseq(&dest));
	r = sq_run(st, s, "move messages");
	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_EXP_ALL);
	sqlite3_bind_int64(s, 1, inbox.id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)sq_mailbox_next_modseq(&inbox));
	r = sq_run(st, s, "record expunges");
	if (r != STORE_OK)
		return r;
	/* Other users' \Seen of INBOX's messages does not follow their new
	 * UIDs (INBOX is seldom shared). */
	s = sq_stmt(st, SQ_SEEN_DROP_BOX);
	sqlite3_bind_int64(s, 1, inbox.id);
	r = sq_run(st, s, "delete seen");
	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_MSG_CLEAR);
	sqlite3_bind_int64(s, 1, inbox.id);
	r = sq_run(st, s, "empty INBOX");
	if (r != STORE_OK)
		return r;
	dest.uidnext = inbox.messages + 1;
	dest.messages = inbox.messages;
	dest.unseen = inbox.unseen;
	dest.deleted = inbox.deleted;
	dest.size = inbox.size;
	dest.recent = inbox.messages;     /* every UID >= recent_uid (1) */
	inbox.messages = inbox.unseen = inbox.deleted = inbox.recent = 0;
	inbox.size = 0;
	r = sq_mailbox_save(st, &dest);
	if (r == STORE_OK)
		r = sq_mailbox_save(st, &inbox);
	return r;
}

struct sq_family_member {
	int64_t id;
	char *name;
};

static enum store_result sq_rename(struct sq_store *st, const char *from, const char *to)
{
	size_t from_len = strlen(from), to_len = strlen(to);
	struct sq_family_member *family = NULL;
	size_t count = 0, alloc = 0;
	struct sq_mailbox mb;
	enum store_result r;
	sqlite3_stmt *s;
	int rc;

	r = sq_mailbox_load(st, from, &mb);
	if (r != STORE_OK)
		return r;
	r = sq_mailbox_load(st, to, &mb);
	if (r == STORE_OK && mb.noselect) {
		/* A name that is only a parent is no mailbox: the renamed one
		 * takes its place above its children, as CREATE would make it
		 * selectable. So a parent kept only for a child the renaming
		 * user may not see answers as a free name (RFC 4314 §4). */
		st->txn_visible = true;
		r = sq_mailbox_empty(st, mb.id);   /* its ACL, metadata, records */
		if (r == STORE_OK) {
			s = sq_stmt(st, SQ_MB_DELETE);
			sqlite3_bind_int64(s, 1, mb.id);
			r = sq_run(st, s, "take a parent's place");
		}
		if (r != STORE_OK)
			return r;
	} else if (r != STORE_NOT_FOUND) {
		return r == STORE_OK ? STORE_EXISTS : r;
	}
	if (sq_is_inbox(from))
		return sq_rename_inbox(st, to);

	s = sq_stmt(st, SQ_MB_FAMILY);
	sqlite3_bind_text(s, 1, from, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == alloc) {
			alloc = alloc == 0 ? 8 : alloc * 2;
			family = xrealloc(family, alloc * sizeof(*family));
		}
		family[count].id = sqlite3_column_int64(s, 0);
		family[count].name = xstrdup((const char *)sqlite3_column_text(s, 1));
		count++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = sq_fail(st, rc, "list mailboxes to rename");
	else if (count == 0)
		r = STORE_NOT_FOUND;
	else
		r = sq_create_parents(st, to);
	for (size_t i = 0; r == STORE_OK && i < count; i++) {
		/* Its children keep their tail: "from/x" becomes "to/x". */
		size_t tail = strlen(family[i].name) - from_len;
		char *name;

		if (to_len + tail > STORE_MAILBOX_NAME_MAX) {
			r = STORE_INVALID;
			break;
		}
		name = xmalloc(to_len + tail + 1);
		memcpy(name, to, to_len);
		memcpy(name + to_len, family[i].name + from_len, tail + 1);
		r = sq_name_check(name);
		/* Under a parent taken over, a child of the same name stays:
		 * this one cannot move onto it. */
		if (r == STORE_OK)
			r = sq_mailbox_load(st, name, &mb) == STORE_NOT_FOUND ? STORE_OK : STORE_EXISTS;
		if (r == STORE_OK) {
			st->txn_visible = true;   /* sessions in IDLE must learn of it */
			s = sq_stmt(st, SQ_MB_RENAME);
			sqlite3_bind_int64(s, 1, family[i].id);
			sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
			r = sq_run(st, s, "rename mailbox");
		}
		free(name);
	}
	for (size_t i = 0; i < count; i++)
		free(family[i].name);
	free(family);
	return r;
}

enum store_result sq_mailbox_rename(struct store *store, const char *from, const char *to)
{
	struct sq_store *st = sq_store(store);
	size_t from_len;
	enum store_result r = sq_name_check(from);

	if (r == STORE_LIMIT)
		r = STORE_INVALID;
	if (r != STORE_OK)
		return r;
	r = sq_name_check(to);
	if (r != STORE_OK)
		return r;
	if (strcmp(from, to) == 0)
		return STORE_EXISTS;
	/* A mailbox cannot become its own descendant (INBOX can: its children
	 * stay where they are). */
	from_len = strlen(from);
	if (!sq_is_inbox(from) && strncmp(to, from, from_len) == 0 && to[from_len] == '/')
		return STORE_INVALID;
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	return sq_end(st, sq_rename(st, from, to));
}

enum store_result sq_mailbox_subscribe(struct store *store, const char *name, bool subscribe)
{
	struct sq_store *st = sq_store(store);
	sqlite3_stmt *s;
	enum store_result r = sq_name_check(name);

	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, subscribe ? SQ_SUB_ADD : SQ_SUB_DEL);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	/* One statement: its own (autocommit) transaction. */
	r = sq_run(st, s, subscribe ? "subscribe" : "unsubscribe");
	if (r == STORE_OK && !subscribe && sqlite3_changes(st->db) == 0)
		r = STORE_NOT_FOUND;
	return r;
}

/* The first column of stmt's first row for mailbox id; 0 with no row. */
static enum store_result sq_mailbox_value(struct sq_store *st, enum sq_stmt id, int64_t box,
					  uint64_t *value_r, const char *what)
{
	sqlite3_stmt *s = sq_stmt(st, id);
	int rc;

	sqlite3_bind_int64(s, 1, box);
	rc = sqlite3_step(s);
	*value_r = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : sq_fail(st, rc, what);
}

enum store_result sq_mailbox_status(struct store *store, const char *name,
				    struct store_mailbox_status *status_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_mailbox mb;
	enum store_result r = sq_name_check(name);

	memset(status_r, 0, sizeof(*status_r));
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	r = sq_mailbox_load(st, name, &mb);
	if (r == STORE_OK && mb.noselect)
		r = STORE_NOT_ALLOWED;
	if (r != STORE_OK)
		return sq_end(st, r);
	status_r->uidvalidity = mb.uidvalidity;
	status_r->uidnext = mb.uidnext;
	status_r->highestmodseq = mb.highestmodseq;
	status_r->messages = mb.messages;
	status_r->unseen = mb.unseen;
	status_r->deleted = mb.deleted;
	status_r->size = mb.size;
	status_r->recent = mb.recent;
	/* Both over partial indexes (on \Deleted, on unseen): at once. */
	if (mb.deleted > 0)    /* RFC 9208 §4.2 DELETED-STORAGE */
		r = sq_mailbox_value(st, SQ_MSG_DELETED_SIZE, mb.id, &status_r->deleted_size,
				     "deleted size");
	if (r == STORE_OK && st->viewer != NULL) {
		/* Another user's \Seen (sqlite-seen.c). */
		uint64_t seen = 0, uid = 0;

		r = sq_mailbox_value(st, SQ_SEEN_COUNT, mb.id, &seen, "seen");
		status_r->unseen = seen < mb.messages ? mb.messages - (uint32_t)seen : 0;
		if (r == STORE_OK && status_r->unseen > 0)
			r = sq_mailbox_value(st, SQ_SEEN_FIRST_UNSEEN, mb.id, &uid, "first unseen");
		status_r->first_unseen_uid = (uint32_t)uid;
	} else if (r == STORE_OK && mb.unseen > 0) {
		uint64_t uid = 0;

		r = sq_mailbox_value(st, SQ_MSG_FIRST_UNSEEN, mb.id, &uid, "first unseen");
		status_r->first_unseen_uid = (uint32_t)uid;
	}
	return sq_end(st, r);
}
