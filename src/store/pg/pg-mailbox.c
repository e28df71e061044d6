/* Mailboxes of a PostgreSQL store: LIST, CREATE, DELETE, RENAME,
 * SUBSCRIBE and STATUS (RFC 9051 §6.3), with sqlite-mailbox.c's semantics
 * statement for statement. STATUS reads the counters on the mailbox row
 * and never scans messages. Every parent of a mailbox exists as a row. */
#include "store/pg/pg-store.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/store-names.h"

/* Names between "name/" and "name0" ('0' follows '/' in ASCII) are the
 * descendants of name, in byte order (COLLATE "C", pg-schema.c). */
#define PG_CHILD_OF(col, parent) \
	col " > " parent " || '/' AND " col " < " parent " || '0'"

static bool pg_is_inbox(const char *name)
{
	return strcmp(name, "INBOX") == 0;
}

enum store_result pg_mailbox_list(struct store *store,
				  bool (*cb)(const struct store_mailbox_info *info, void *ctx),
				  void *ctx)
{
	struct pg_store *st = pg_store(store);
	const struct pg_param id = PG_TEXT(st->id_text);
	struct pg_txn t;
	struct pg_result *res = NULL;
	enum store_result r = pg_txn_open(st, false, &t);

	if (r != STORE_OK)
		return r;
	r = pg_q(&t, "list mailboxes", "SELECT m.name, m.special_use, m.noselect,"
		 " EXISTS (SELECT 1 FROM subscriptions s WHERE s.store_id = $1 AND s.name = m.name),"
		 " false, EXISTS (SELECT 1 FROM mailboxes c WHERE c.store_id = $1 AND "
		 PG_CHILD_OF("c.name", "m.name") ")"
		 " FROM mailboxes m WHERE m.store_id = $1 UNION ALL"
		 " SELECT s.name, 0, true, true, true,"
		 " EXISTS (SELECT 1 FROM mailboxes c WHERE c.store_id = $1 AND "
		 PG_CHILD_OF("c.name", "s.name") ")"
		 " FROM subscriptions s WHERE s.store_id = $1 AND NOT EXISTS (SELECT 1 FROM"
		 " mailboxes m WHERE m.store_id = $1 AND m.name = s.name) ORDER BY 1",
		 &id, 1, 0, &res);
	/* The callback runs with no connection held: it may use the handle. */
	r = pg_txn_close(&t, r);
	if (r != STORE_OK) {
		if (res != NULL)
			pg_result_free(&res);
		return r;
	}
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		struct store_mailbox_info info = {
			.name = pg_result_text(res, i, 0),
			.special_use = (unsigned int)pg_col_int(res, i, 1),
			.noselect = pg_col_bool(res, i, 2),
			.subscribed = pg_col_bool(res, i, 3),
			.nonexistent = pg_col_bool(res, i, 4),
			.has_children = pg_col_bool(res, i, 5),
		};

		if (!cb(&info, ctx))
			break;
	}
	pg_result_free(&res);
	return STORE_OK;
}

static enum store_result pg_has_children(struct pg_txn *t, const char *name, bool *yes_r)
{
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), PG_TEXT(name) };
	int64_t one;

	return pg_q_int(t, "children", "SELECT 1 FROM mailboxes WHERE store_id = $1 AND "
			PG_CHILD_OF("name", "$2") " LIMIT 1", params, 2, &one, yes_r);
}

/* Creates every missing parent of name as a selectable mailbox (RFC 9051
 * §6.3.4: the server SHOULD create them; Dovecot makes them real ones). */
static enum store_result pg_create_parents(struct pg_txn *t, const char *name)
{
	char buf[STORE_MAILBOX_NAME_MAX + 1];
	size_t len = strlen(name);

	if (len > STORE_MAILBOX_NAME_MAX)
		return STORE_INVALID;
	memcpy(buf, name, len + 1);
	for (size_t i = 0; i < len; i++) {
		struct pg_mailbox mb;
		enum store_result r;

		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		r = pg_mailbox_load(t, buf, &mb);
		if (r == STORE_NOT_FOUND) {
			int64_t id = 0;

			r = pg_mailbox_insert(t, buf, 0, &id);
			if (r == STORE_OK)
				r = pg_acl_inherit(t, buf, id);
		}
		buf[i] = '/';
		if (r != STORE_OK)
			return r;
	}
	return STORE_OK;
}

/* Gives a mailbox a fresh life: new UIDVALIDITY, no messages. Used when a
 * \Noselect placeholder is created again, and when DELETE leaves one. */
static enum store_result pg_mailbox_reset(struct pg_txn *t, int64_t id, bool noselect,
					  unsigned int special_use)
{
	char n[3][PG_NUM_LEN];
	uint32_t uidvalidity = 0;
	enum store_result r = pg_new_uidvalidity(t, &uidvalidity);

	if (r != STORE_OK)
		return r;
	t->visible = true;   /* sessions in IDLE must learn of it */
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(n[0], id), PG_TEXT(noselect ? "t" : "f"),
		pg_num(n[1], uidvalidity), pg_num(n[2], special_use),
	};

	return pg_q(t, "reset mailbox", "UPDATE mailboxes SET noselect = $3, uidvalidity = $4,"
		    " special_use = $5, uidnext = 1, highestmodseq = 1, recent_uid = 1,"
		    " messages = 0, unseen = 0, deleted = 0, size = 0, recent = 0"
		    " WHERE store_id = $1 AND id = $2", params, 5, 0, NULL);
}

enum store_result pg_mailbox_create(struct store *store, const char *name,
				    unsigned int special_use)
{
	struct pg_store *st = pg_store(store);
	struct pg_mailbox mb;
	struct pg_txn t;
	enum store_result r = store_mailbox_name_check(name);

	if (r != STORE_OK)
		return r;
	if ((special_use & ~PG_ALL_SPECIAL_USE) != 0)
		return STORE_INVALID;
	r = pg_txn_open(st, true, &t);
	if (r != STORE_OK)
		return r;
	r = pg_mailbox_load(&t, name, &mb);
	/* Either way a mailbox that can hold messages is added. */
	if ((r == STORE_OK && mb.noselect) || r == STORE_NOT_FOUND) {
		const uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MAILBOX] = 1 };
		enum store_result q = pg_quota_allows(&t, add);

		if (q != STORE_OK)
			return pg_txn_close(&t, q);
	}
	if (r == STORE_OK && mb.noselect) {
		/* As sq_mailbox_create: a \Noselect parent made a mailbox again
		 * gets its parent's ACL (DELETE dropped its own). */
		r = pg_mailbox_reset(&t, mb.id, false, special_use);
		if (r == STORE_OK)
			r = pg_acl_inherit(&t, name, mb.id);
	} else if (r == STORE_OK) {
		r = STORE_EXISTS;
	} else if (r == STORE_NOT_FOUND) {
		int64_t id = 0;

		r = pg_create_parents(&t, name);
		if (r == STORE_OK)
			r = pg_mailbox_insert(&t, name, special_use, &id);
		if (r == STORE_OK)
			r = pg_acl_inherit(&t, name, id);
	}
	return pg_txn_close(&t, r);
}

/* Removes every message of a mailbox (dropping blob references, and the
 * blobs no message names any more), its expunge records, keywords, other
 * users' \Seen, METADATA entries and ACL. */
static enum store_result pg_mailbox_empty(struct pg_txn *t, int64_t id)
{
	char box[PG_NUM_LEN];
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), pg_num(box, id) };
	static const char *const clear[] = {
		"DELETE FROM seen WHERE store_id = $1 AND mailbox_id = $2",
		"DELETE FROM expunged WHERE store_id = $1 AND mailbox_id = $2",
		"DELETE FROM keywords WHERE store_id = $1 AND mailbox_id = $2",
		"DELETE FROM metadata WHERE store_id = $1 AND mailbox_id = $2",
		"DELETE FROM acl WHERE store_id = $1 AND mailbox_id = $2",
	};
	enum store_result r = pg_messages_delete(t, id, NULL);

	for (size_t i = 0; r == STORE_OK && i < sizeof(clear) / sizeof(clear[0]); i++)
		r = pg_q(t, "empty mailbox", clear[i], params, 2, 0, NULL);
	return r;
}

static enum store_result pg_mailbox_drop(struct pg_txn *t, int64_t id)
{
	char box[PG_NUM_LEN];
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), pg_num(box, id) };

	t->visible = true;   /* sessions in IDLE must learn of it */
	return pg_q(t, "delete mailbox", "DELETE FROM mailboxes WHERE store_id = $1 AND id = $2",
		    params, 2, 0, NULL);
}

static enum store_result pg_delete(struct pg_txn *t, const char *name)
{
	struct pg_mailbox mb;
	bool children;
	enum store_result r = pg_mailbox_load(t, name, &mb);

	if (r != STORE_OK)
		return r;
	r = pg_has_children(t, name, &children);
	if (r != STORE_OK)
		return r;
	/* RFC 9051 §6.3.5: a \Noselect name with inferiors cannot go. */
	if (children && mb.noselect)
		return STORE_NOT_ALLOWED;
	r = pg_mailbox_empty(t, mb.id);
	if (r != STORE_OK)
		return r;
	if (children)
		return pg_mailbox_reset(t, mb.id, true, 0);
	return pg_mailbox_drop(t, mb.id);
}

enum store_result pg_mailbox_delete(struct store *store, const char *name)
{
	struct pg_txn t;
	enum store_result r = store_mailbox_name_check(name);

	if (r != STORE_OK)
		return r;
	if (pg_is_inbox(name))
		return STORE_NOT_ALLOWED;
	r = pg_txn_open(pg_store(store), true, &t);
	if (r != STORE_OK)
		return r;
	return pg_txn_close(&t, pg_delete(&t, name));
}

/* RENAME INBOX (RFC 9051 §6.3.6), as sq_rename_inbox: its messages move
 * to a new mailbox with fresh UIDs in their order; INBOX keeps its
 * UIDVALIDITY and UIDNEXT and its children, and records the messages as
 * expunged so sessions learn it. */
static enum store_result pg_rename_inbox(struct pg_txn *t, const char *to)
{
	char n[3][PG_NUM_LEN];
	struct pg_mailbox inbox, dest;
	int64_t dest_id = 0;
	const uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MAILBOX] = 1 };
	enum store_result r = pg_mailbox_load(t, "INBOX", &inbox);

	if (r == STORE_OK)
		r = pg_quota_allows(t, add);   /* INBOX stays: one mailbox more */
	if (r == STORE_OK)
		r = pg_create_parents(t, to);
	if (r == STORE_OK)
		r = pg_mailbox_insert(t, to, 0, &dest_id);
	if (r == STORE_OK)
		r = pg_mailbox_load(t, to, &dest);
	if (r != STORE_OK || inbox.messages == 0)
		return r;
	const struct pg_param move[] = {
		PG_TEXT(t->st->id_text), pg_num(n[0], inbox.id), pg_num(n[1], dest_id),
		pg_num(n[2], (int64_t)pg_mailbox_next_modseq(&dest)),
	};

	r = pg_q(t, "copy keywords", "INSERT INTO keywords (store_id, mailbox_id, bit, name)"
		 " SELECT store_id, $3, bit, name FROM keywords WHERE store_id = $1 AND"
		 " mailbox_id = $2", move, 3, 0, NULL);
	if (r == STORE_OK)
		r = pg_q(t, "move messages", "INSERT INTO messages (store_id, mailbox_id, uid,"
			 " blob_id, flags, keywords, internaldate, internaldate_zone, savedate,"
			 " modseq) SELECT store_id, $3, row_number() OVER (ORDER BY uid), blob_id,"
			 " flags, keywords, internaldate, internaldate_zone, savedate, $4"
			 " FROM messages WHERE store_id = $1 AND mailbox_id = $2", move, 4, 0, NULL);
	if (r != STORE_OK)
		return r;
	char modseq[PG_NUM_LEN];
	const struct pg_param expunge[] = {
		PG_TEXT(t->st->id_text), pg_num(n[0], inbox.id),
		pg_num(modseq, (int64_t)pg_mailbox_next_modseq(&inbox)),
	};

	r = pg_q(t, "record expunges", "INSERT INTO expunged (store_id, mailbox_id, uid, modseq)"
		 " SELECT store_id, mailbox_id, uid, $3 FROM messages WHERE store_id = $1 AND"
		 " mailbox_id = $2 ON CONFLICT (store_id, mailbox_id, uid) DO UPDATE SET"
		 " modseq = EXCLUDED.modseq", expunge, 3, 0, NULL);
	/* Other users' \Seen of INBOX's messages does not follow their new
	 * UIDs (INBOX is seldom shared). */
	if (r == STORE_OK)
		r = pg_q(t, "delete seen", "DELETE FROM seen WHERE store_id = $1 AND"
			 " mailbox_id = $2", expunge, 2, 0, NULL);
	if (r == STORE_OK)
		r = pg_q(t, "empty INBOX", "DELETE FROM messages WHERE store_id = $1 AND"
			 " mailbox_id = $2", expunge, 2, 0, NULL);
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
	r = pg_mailbox_save(t, &dest);
	if (r == STORE_OK)
		r = pg_mailbox_save(t, &inbox);
	return r;
}

static enum store_result pg_rename(struct pg_txn *t, const char *from, const char *to)
{
	const struct pg_param family_params[] = { PG_TEXT(t->st->id_text), PG_TEXT(from) };
	size_t from_len = strlen(from), to_len = strlen(to);
	struct pg_result *family = NULL;
	struct pg_mailbox mb;
	unsigned int count;
	enum store_result r;

	r = pg_mailbox_load(t, from, &mb);
	if (r != STORE_OK)
		return r;
	r = pg_mailbox_load(t, to, &mb);
	if (r == STORE_OK && mb.noselect) {
		/* As sq_rename: a name that is only a parent is no mailbox; the
		 * renamed one takes its place above its children. */
		t->visible = true;
		r = pg_mailbox_empty(t, mb.id);   /* its ACL, metadata, records */
		if (r == STORE_OK)
			r = pg_mailbox_drop(t, mb.id);
		if (r != STORE_OK)
			return r;
	} else if (r != STORE_NOT_FOUND) {
		return r == STORE_OK ? STORE_EXISTS : r;
	}
	if (pg_is_inbox(from))
		return pg_rename_inbox(t, to);

	r = pg_q(t, "list mailboxes to rename", "SELECT id, name FROM mailboxes WHERE"
		 " store_id = $1 AND (name = $2 OR (" PG_CHILD_OF("name", "$2") "))",
		 family_params, 2, 0, &family);
	if (r != STORE_OK)
		return r;
	count = pg_result_rows(family);
	if (count == 0)
		r = STORE_NOT_FOUND;
	else
		r = pg_create_parents(t, to);
	for (unsigned int i = 0; r == STORE_OK && i < count; i++) {
		/* Its children keep their tail: "from/x" becomes "to/x". */
		const char *old = pg_result_text(family, i, 1);
		size_t tail = strlen(old) - from_len;
		char *name;

		if (to_len + tail > STORE_MAILBOX_NAME_MAX) {
			r = STORE_INVALID;
			break;
		}
		name = xmalloc(to_len + tail + 1);
		memcpy(name, to, to_len);
		memcpy(name + to_len, old + from_len, tail + 1);
		r = store_mailbox_name_check(name);
		/* Under a parent taken over, a child of the same name stays:
		 * this one cannot move onto it. */
		if (r == STORE_OK) {
			r = pg_mailbox_load(t, name, &mb);
			r = r == STORE_NOT_FOUND ? STORE_OK : r == STORE_OK ? STORE_EXISTS : r;
		}
		if (r == STORE_OK) {
			const struct pg_param params[] = {
				PG_TEXT(t->st->id_text), PG_TEXT(pg_result_text(family, i, 0)),
				PG_TEXT(name),
			};

			t->visible = true;   /* sessions in IDLE must learn of it */
			r = pg_q(t, "rename mailbox", "UPDATE mailboxes SET name = $3 WHERE"
				 " store_id = $1 AND id = $2", params, 3, 0, NULL);
		}
		free(name);
	}
	pg_result_free(&family);
	return r;
}

enum store_result pg_mailbox_rename(struct store *store, const char *from, const char *to)
{
	struct pg_txn t;
	size_t from_len;
	enum store_result r = store_mailbox_name_check(from);

	if (r == STORE_LIMIT)
		r = STORE_INVALID;
	if (r != STORE_OK)
		return r;
	r = store_mailbox_name_check(to);
	if (r != STORE_OK)
		return r;
	if (strcmp(from, to) == 0)
		return STORE_EXISTS;
	/* A mailbox cannot become its own descendant (INBOX can: its children
	 * stay where they are). */
	from_len = strlen(from);
	if (!pg_is_inbox(from) && strncmp(to, from, from_len) == 0 && to[from_len] == '/')
		return STORE_INVALID;
	r = pg_txn_open(pg_store(store), true, &t);
	if (r != STORE_OK)
		return r;
	return pg_txn_close(&t, pg_rename(&t, from, to));
}

enum store_result pg_mailbox_subscribe(struct store *store, const char *name, bool subscribe)
{
	struct pg_store *st = pg_store(store);
	const struct pg_param params[] = { PG_TEXT(st->id_text), PG_TEXT(name) };
	struct pg_lease *lease;
	struct pg_result *res;
	enum store_result r = store_mailbox_name_check(name);

	if (r != STORE_OK)
		return r;
	r = pg_pool_acquire(st->pool, &lease);
	if (r != STORE_OK)
		return r;
	/* One statement: its own transaction, as SQLite's autocommit. */
	r = pg_exec(lease, subscribe ? "subscribe" : "unsubscribe", subscribe ?
		    "INSERT INTO subscriptions (store_id, name) VALUES ($1, $2)"
		    " ON CONFLICT DO NOTHING" :
		    "DELETE FROM subscriptions WHERE store_id = $1 AND name = $2",
		    params, 2, 0, &res);
	pg_pool_release(st->pool, &lease);
	if (r != STORE_OK)
		return r;
	if (!subscribe && pg_exec_changed(res) == 0)
		r = STORE_NOT_FOUND;
	pg_result_free(&res);
	return r;
}

enum store_result pg_mailbox_status(struct store *store, const char *name,
				    struct store_mailbox_status *status_r)
{
	struct pg_store *st = pg_store(store);
	char box[PG_NUM_LEN];
	struct pg_mailbox mb;
	struct pg_txn t;
	int64_t v;
	enum store_result r = store_mailbox_name_check(name);

	memset(status_r, 0, sizeof(*status_r));
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = pg_txn_open(st, false, &t);
	if (r != STORE_OK)
		return r;
	r = pg_mailbox_load(&t, name, &mb);
	if (r == STORE_OK && mb.noselect)
		r = STORE_NOT_ALLOWED;
	if (r != STORE_OK)
		return pg_txn_close(&t, r);
	status_r->uidvalidity = mb.uidvalidity;
	status_r->uidnext = mb.uidnext;
	status_r->highestmodseq = mb.highestmodseq;
	status_r->messages = mb.messages;
	status_r->unseen = mb.unseen;
	status_r->deleted = mb.deleted;
	status_r->size = mb.size;
	status_r->recent = mb.recent;
	const struct pg_param params[] = {
		PG_TEXT(st->id_text), pg_num(box, mb.id), PG_TEXT(st->viewer),
	};

	/* Both over partial indexes (on \Deleted, on unseen): at once. */
	if (mb.deleted > 0) {    /* RFC 9208 §4.2 DELETED-STORAGE */
		r = pg_q_int(&t, "deleted size", "SELECT coalesce(sum(b.size), 0) FROM messages m"
			     " JOIN blobs b ON b.store_id = m.store_id AND b.id = m.blob_id"
			     " WHERE m.store_id = $1 AND m.mailbox_id = $2 AND m.flags & 8 <> 0",
			     params, 2, &v, NULL);
		status_r->deleted_size = (uint64_t)v;
	}
	if (r == STORE_OK && st->viewer != NULL) {
		/* Another user's \Seen (the seen table). */
		r = pg_q_int(&t, "seen", "SELECT count(*) FROM seen s JOIN messages m ON"
			     " m.store_id = s.store_id AND m.mailbox_id = s.mailbox_id AND"
			     " m.uid = s.uid WHERE s.store_id = $1 AND s.mailbox_id = $2 AND"
			     " s.viewer = $3", params, 3, &v, NULL);
		status_r->unseen = (uint64_t)v < mb.messages ? mb.messages - (uint32_t)v : 0;
		if (r == STORE_OK && status_r->unseen > 0) {
			r = pg_q_int(&t, "first unseen", "SELECT m.uid FROM messages m WHERE"
				     " m.store_id = $1 AND m.mailbox_id = $2 AND NOT EXISTS (SELECT 1"
				     " FROM seen s WHERE s.store_id = m.store_id AND s.mailbox_id ="
				     " m.mailbox_id AND s.viewer = $3 AND s.uid = m.uid)"
				     " ORDER BY m.uid LIMIT 1", params, 3, &v, NULL);
			status_r->first_unseen_uid = (uint32_t)v;
		}
	} else if (r == STORE_OK && mb.unseen > 0) {
		r = pg_q_int(&t, "first unseen", "SELECT uid FROM messages WHERE store_id = $1 AND"
			     " mailbox_id = $2 AND flags & 1 = 0 ORDER BY uid LIMIT 1", params, 2,
			     &v, NULL);
		status_r->first_unseen_uid = (uint32_t)v;
	}
	r = pg_txn_close(&t, r);
	if (r != STORE_OK)
		memset(status_r, 0, sizeof(*status_r));
	return r;
}
