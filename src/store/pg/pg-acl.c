/* ACL of a PostgreSQL store (store.h "ACL"), as sqlite-acl.c: an acl row
 * per identifier with rights, as their letters, named by mailbox id, so
 * RENAME keeps the entries and DELETE drops them (pg-mailbox.c). The
 * shares index of the user database (store-users.h) is kept as there. */
#include "store/pg/pg-store.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/store-names.h"
#include "store/store-users.h"

static enum store_result pg_acl_box(struct pg_txn *t, const char *mailbox, int64_t *id_r)
{
	struct pg_mailbox mb;
	enum store_result r = store_mailbox_name_check(mailbox);

	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = pg_mailbox_load(t, mailbox, &mb);
	if (r == STORE_OK)
		*id_r = mb.id;
	return r;
}

enum store_result pg_acl_get(struct store *store, const char *mailbox,
			     struct acl_entry **entries_r, unsigned int *count_r)
{
	struct acl_entry *entries = NULL;
	unsigned int count = 0, alloc = 0;
	char boxnum[PG_NUM_LEN];
	struct pg_result *res;
	struct pg_txn t;
	int64_t box = 0;
	enum store_result r = pg_txn_open(pg_store(store), false, &t);

	if (r != STORE_OK)
		return r;
	r = pg_acl_box(&t, mailbox, &box);
	if (r == STORE_OK) {
		const struct pg_param params[] = { PG_TEXT(t.st->id_text), pg_num(boxnum, box) };

		r = pg_q(&t, "acl", "SELECT identifier, rights FROM acl WHERE store_id = $1 AND"
			 " mailbox_id = $2 ORDER BY identifier", params, 2, 0, &res);
		for (unsigned int i = 0; r == STORE_OK && i < pg_result_rows(res) &&
		     count < ACL_ENTRIES_MAX; i++) {
			const char *id = pg_result_text(res, i, 0);
			acl_rights rights = 0;

			/* A damaged row (store_check() reports it) is taken as none. */
			if (!acl_identifier_valid(id) ||
			    !acl_rights_parse(pg_result_text(res, i, 1), &rights))
				continue;
			if (count == alloc) {
				alloc = alloc == 0 ? 4 : alloc * 2;
				entries = xrealloc(entries, alloc * sizeof(*entries));
			}
			memset(&entries[count], 0, sizeof(entries[count]));
			memcpy(entries[count].identifier, id, strlen(id) + 1);
			entries[count++].rights = rights;
		}
		if (r == STORE_OK)
			pg_result_free(&res);
	}
	r = pg_txn_close(&t, r);
	if (r != STORE_OK) {
		free(entries);
		return r;
	}
	*entries_r = entries;
	*count_r = count;
	return STORE_OK;
}

static enum store_result pg_acl_change(struct pg_txn *t, int64_t box, const char *identifier,
				       enum store_acl_mode mode, acl_rights rights,
				       acl_rights *rights_r)
{
	char boxnum[PG_NUM_LEN], letters[ACL_RIGHTS_STR_MAX];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(boxnum, box), PG_TEXT(identifier), PG_TEXT(letters),
	};
	struct pg_result *res;
	acl_rights old = 0, now;
	bool existed;
	int64_t n = 0;
	enum store_result r;

	r = pg_q(t, "acl", "SELECT rights FROM acl WHERE store_id = $1 AND mailbox_id = $2 AND"
		 " identifier = $3", params, 3, 0, &res);
	if (r != STORE_OK)
		return r;
	existed = pg_result_rows(res) > 0;
	if (existed && !acl_rights_parse(pg_result_text(res, 0, 0), &old))
		old = 0;
	pg_result_free(&res);
	switch (mode) {
	case STORE_ACL_ADD: now = old | rights; break;
	case STORE_ACL_REMOVE: now = old & (acl_rights)~rights; break;
	case STORE_ACL_REPLACE: default: now = rights; break;
	}
	if (rights_r != NULL)
		*rights_r = now;
	if (now == 0) {
		if (!existed)
			return STORE_OK;
		return pg_q(t, "delete acl", "DELETE FROM acl WHERE store_id = $1 AND"
			    " mailbox_id = $2 AND identifier = $3", params, 3, 0, NULL);
	}
	if (!existed) {
		r = pg_q_int(t, "acl count", "SELECT count(*) FROM acl WHERE store_id = $1 AND"
			     " mailbox_id = $2", params, 2, &n, NULL);
		if (r != STORE_OK)
			return r;
		if (n >= ACL_ENTRIES_MAX)
			return STORE_LIMIT;
	}
	acl_rights_store_format(now, letters);
	return pg_q(t, "set acl", "INSERT INTO acl (store_id, mailbox_id, identifier, rights)"
		    " VALUES ($1, $2, $3, $4) ON CONFLICT (store_id, mailbox_id, identifier)"
		    " DO UPDATE SET rights = EXCLUDED.rights", params, 4, 0, NULL);
}

/* The shares index (store-users.h) lives in the same database here, so it
 * changes in the entry's own transaction, on its connection: atomic, and
 * an ACL change never waits for a second connection from the pool while
 * holding the first (8 at once would have exhausted a pool of 8). */
static enum store_result pg_acl_share(struct pg_txn *t, const char *identifier, bool shares)
{
	const struct pg_param params[] = { PG_TEXT(t->st->user), PG_TEXT(identifier) };

	return pg_q(t, "shares", shares ? "INSERT INTO shares (owner, grantee) VALUES ($1, $2)"
		    " ON CONFLICT DO NOTHING" :
		    "DELETE FROM shares WHERE owner = $1 AND grantee = $2", params, 2, 0, NULL);
}

enum store_result pg_acl_update(struct store *store, const char *mailbox,
				const char *identifier, enum store_acl_mode mode,
				acl_rights rights, acl_rights *rights_r)
{
	struct pg_store *st = pg_store(store);
	bool grants = !acl_identifier_negative(identifier), any = true;
	acl_rights now = 0;
	struct pg_txn t;
	int64_t box = 0, one;
	enum store_result r = pg_txn_open(st, true, &t);

	if (r != STORE_OK)
		return r;
	r = pg_acl_box(&t, mailbox, &box);
	if (r == STORE_OK)
		r = pg_acl_change(&t, box, identifier, mode, rights, &now);
	if (r == STORE_OK && grants && now != 0)
		r = pg_acl_share(&t, identifier, true);
	if (r == STORE_OK && grants && now == 0) {
		const struct pg_param params[] = { PG_TEXT(st->id_text), PG_TEXT(identifier) };

		r = pg_q_int(&t, "acl grants", "SELECT 1 FROM acl WHERE store_id = $1 AND"
			     " identifier = $2 LIMIT 1", params, 2, &one, &any);
	}
	if (r == STORE_OK && !any)
		r = pg_acl_share(&t, identifier, false);
	r = pg_txn_close(&t, r);
	if (rights_r != NULL)
		*rights_r = now;
	return r;
}

enum store_result pg_acl_inherit(struct pg_txn *t, const char *name, int64_t id)
{
	const char *slash = strrchr(name, '/');
	char boxnum[PG_NUM_LEN];
	char *parent;
	enum store_result r;

	if (slash == NULL)
		return STORE_OK;   /* a top-level mailbox starts with an empty list */
	parent = xstrndup(name, (size_t)(slash - name));
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(boxnum, id), PG_TEXT(parent),
	};

	r = pg_q(t, "inherit acl", "INSERT INTO acl (store_id, mailbox_id, identifier, rights)"
		 " SELECT $1, $2, identifier, rights FROM acl WHERE store_id = $1 AND"
		 " mailbox_id = (SELECT id FROM mailboxes WHERE store_id = $1 AND name = $3)"
		 " ON CONFLICT DO NOTHING", params, 3, 0, NULL);
	free(parent);
	return r;
}

enum store_result pg_acl_forget(struct store *store, const char *identifier)
{
	struct pg_store *st = pg_store(store);
	const struct pg_param params[] = { PG_TEXT(st->id_text), PG_TEXT(identifier) };
	struct pg_txn t;
	enum store_result r = pg_txn_open(st, true, &t);

	if (r != STORE_OK)
		return r;
	r = pg_q(&t, "forget acl", "DELETE FROM acl WHERE store_id = $1 AND"
		 " (identifier = $2 OR identifier = '-' || $2)", params, 2, 0, NULL);
	if (r == STORE_OK)
		r = pg_acl_share(&t, identifier, false);
	return pg_txn_close(&t, r);
}
