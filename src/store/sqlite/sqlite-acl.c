/* ACL (store.h "ACL"): the acl table, one row per identifier with rights,
 * the rights as their letters. The mailbox is named by its row id, so
 * RENAME keeps its entries and DELETE drops them (sqlite-mailbox.c). */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"
#include "store/store-names.h"
#include "store/store-users.h"

static enum store_result sq_acl_box(struct sq_store *st, const char *mailbox, int64_t *id_r)
{
	struct sq_mailbox mb;
	enum store_result r = store_mailbox_name_check(mailbox);

	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = sq_mailbox_load(st, mailbox, &mb);
	if (r == STORE_OK)
		*id_r = mb.id;
	return r;
}

/* A row's rights; false when the letters are not rights (store_check()
 * reports such a row; readers take it as none). */
static bool sq_acl_rights(sqlite3_stmt *s, int col, acl_rights *rights_r)
{
	const char *letters = (const char *)sqlite3_column_text(s, col);

	*rights_r = 0;
	return letters != NULL && acl_rights_parse(letters, rights_r);
}

enum store_result sq_acl_get(struct store *store, const char *mailbox,
			     struct acl_entry **entries_r, unsigned int *count_r)
{
	struct sq_store *st = sq_store(store);
	struct acl_entry *entries = NULL;
	unsigned int count = 0, alloc = 0;
	int64_t box = 0;
	int rc = SQLITE_DONE;
	enum store_result r = sq_begin(st, false);

	if (r != STORE_OK)
		return r;
	r = sq_acl_box(st, mailbox, &box);
	if (r == STORE_OK) {
		sqlite3_stmt *s = sq_stmt(st, SQ_ACL_LIST);

		sqlite3_bind_int64(s, 1, box);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW && count < ACL_ENTRIES_MAX) {
			const char *id = (const char *)sqlite3_column_text(s, 0);
			acl_rights rights;

			if (id == NULL || !acl_identifier_valid(id) || !sq_acl_rights(s, 1, &rights))
				continue;
			if (count == alloc) {
				alloc = alloc == 0 ? 4 : alloc * 2;
				entries = xrealloc(entries, alloc * sizeof(*entries));
			}
			memset(&entries[count], 0, sizeof(entries[count]));
			memcpy(entries[count].identifier, id, strlen(id) + 1);
			entries[count++].rights = rights;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = sq_fail(st, rc, "acl");
	}
	r = sq_end(st, r);
	if (r != STORE_OK) {
		free(entries);
		return r;
	}
	*entries_r = entries;
	*count_r = count;
	return STORE_OK;
}

static enum store_result sq_acl_change(struct sq_store *st, int64_t box, const char *identifier,
				       enum store_acl_mode mode, acl_rights rights,
				       acl_rights *rights_r)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_ACL_GET);
	acl_rights old = 0, now;
	bool existed;
	int rc;

	sqlite3_bind_int64(s, 1, box);
	sqlite3_bind_text(s, 2, identifier, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	existed = rc == SQLITE_ROW;
	if (existed)
		(void)sq_acl_rights(s, 0, &old);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "acl");
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
		s = sq_stmt(st, SQ_ACL_DELETE);
		sqlite3_bind_int64(s, 1, box);
		sqlite3_bind_text(s, 2, identifier, -1, SQLITE_STATIC);
		return sq_run(st, s, "delete acl");
	}
	if (!existed) {
		s = sq_stmt(st, SQ_ACL_COUNT);
		sqlite3_bind_int64(s, 1, box);
		rc = sqlite3_step(s);
		int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;

		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			return sq_fail(st, rc, "acl count");
		if (n >= ACL_ENTRIES_MAX)
			return STORE_LIMIT;
	}
	char letters[ACL_RIGHTS_STR_MAX];

	s = sq_stmt(st, SQ_ACL_SET);
	sqlite3_bind_int64(s, 1, box);
	sqlite3_bind_text(s, 2, identifier, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, acl_rights_store_format(now, letters), -1, SQLITE_TRANSIENT);
	return sq_run(st, s, "set acl");
}

/* Whether identifier still has rights on any mailbox of the store. */
static enum store_result sq_acl_grants(struct sq_store *st, const char *identifier, bool *any_r)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_ACL_GRANTS);
	int rc;

	sqlite3_bind_text(s, 1, identifier, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*any_r = rc == SQLITE_ROW;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : sq_fail(st, rc, "acl grants");
}

/* The shares index (store-users.h) is added to before the entry that
 * needs it commits, and taken from after the last one is gone: a crash
 * in between leaves a row too many, never one missing. */
enum store_result sq_acl_update(struct store *store, const char *mailbox,
				const char *identifier, enum store_acl_mode mode,
				acl_rights rights, acl_rights *rights_r)
{
	struct sq_store *st = sq_store(store);
	bool grants = !acl_identifier_negative(identifier), any = true;
	acl_rights now = 0;
	int64_t box = 0;
	enum store_result r = sq_begin(st, true);

	if (r != STORE_OK)
		return r;
	r = sq_acl_box(st, mailbox, &box);
	if (r == STORE_OK)
		r = sq_acl_change(st, box, identifier, mode, rights, &now);
	if (r == STORE_OK && grants && now != 0)
		r = store_users_share_set(st->env, st->user, identifier, true);
	if (r == STORE_OK && grants && now == 0)
		r = sq_acl_grants(st, identifier, &any);
	r = sq_end(st, r);
	if (r == STORE_OK && !any)
		r = store_users_share_set(st->env, st->user, identifier, false);
	if (rights_r != NULL)
		*rights_r = now;
	return r;
}

enum store_result sq_acl_inherit(struct sq_store *st, const char *name, int64_t id)
{
	const char *slash = strrchr(name, '/');
	sqlite3_stmt *s;

	if (slash == NULL)
		return STORE_OK;   /* a top-level mailbox starts with an empty list */
	s = sq_stmt(st, SQ_ACL_INHERIT);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, name, (int)(slash - name), SQLITE_STATIC);
	return sq_run(st, s, "inherit acl");
}

enum store_result sq_acl_forget(struct store *store, const char *identifier)
{
	struct sq_store *st = sq_store(store);
	enum store_result r = sq_begin(st, true);
	sqlite3_stmt *s;

	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_ACL_FORGET);
	sqlite3_bind_text(s, 1, identifier, -1, SQLITE_STATIC);
	r = sq_end(st, sq_run(st, s, "forget acl"));
	if (r == STORE_OK)
		r = store_users_share_set(st->env, st->user, identifier, false);
	return r;
}
