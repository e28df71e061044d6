/* METADATA (store.h "METADATA"): the metadata table, one row per entry
 * with a value (an entry set to NIL is a row deleted). The mailbox is
 * named by its row id, so RENAME keeps its entries and DELETE drops them
 * (sqlite-mailbox.c); the server's entries have id 0, which no mailbox
 * has. /shared rows have owner '', /private ones the user's name. */
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"
#include "store/store-names.h"

/* A lower-case copy of a valid name (ASCII only: store_metadata_name_valid). */
static char *sq_md_lower(const char *name)
{
	char *copy = xstrdup(name);

	for (char *p = copy; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

static const char *sq_md_owner(const char *lower_name, const char *user)
{
	return strncmp(lower_name, "/private/", 9) == 0 ? user : "";
}

/* The mailbox's row id, 0 for the server (mailbox NULL). */
static enum store_result sq_md_box(struct sq_store *st, const char *mailbox, int64_t *id_r)
{
	struct sq_mailbox mb;
	enum store_result r;

	*id_r = 0;
	if (mailbox == NULL)
		return STORE_OK;
	r = store_mailbox_name_check(mailbox);
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = sq_mailbox_load(st, mailbox, &mb);
	if (r == STORE_OK)
		*id_r = mb.id;
	return r;
}

struct sq_md_list {
	struct store_metadata_entry *e;
	unsigned int count, alloc;
};

/* A row's value: SQLite gives NULL for an empty blob, which is a value. */
static const void *sq_md_value(sqlite3_stmt *s, int col)
{
	const void *v = sqlite3_column_blob(s, col);

	return v != NULL ? v : "";
}

static void sq_md_push(struct sq_md_list *l, char *name, const void *value, size_t len)
{
	if (l->count == l->alloc) {
		l->alloc = l->alloc == 0 ? 8 : l->alloc * 2;
		l->e = xrealloc(l->e, l->alloc * sizeof(*l->e));
	}
	struct store_metadata_entry *e = &l->e[l->count++];

	e->name = name;
	e->len = len;
	e->value = NULL;
	if (value != NULL) {
		e->value = xmalloc(len > 0 ? len : 1);
		memcpy(e->value, value, len);
	}
}

/* The entry named (value NULL if none), then those under it to depth. */
static enum store_result sq_md_get_one(struct sq_store *st, int64_t box, const char *user,
				       const char *name, enum store_metadata_depth depth,
				       struct sq_md_list *out)
{
	char *lower = sq_md_lower(name);
	const char *owner = sq_md_owner(lower, user);
	sqlite3_stmt *s = sq_stmt(st, SQ_MD_GET);
	int rc;

	sqlite3_bind_int64(s, 1, box);
	sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, lower, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		sq_md_push(out, xstrdup(lower), sq_md_value(s, 0),
			   (size_t)sqlite3_column_bytes(s, 0));
	else if (rc == SQLITE_DONE)
		sq_md_push(out, xstrdup(lower), NULL, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(lower);
		return sq_fail(st, rc, "metadata");
	}
	if (depth != STORE_METADATA_DEPTH_0) {
		size_t base = strlen(lower);

		s = sq_stmt(st, SQ_MD_UNDER);
		sqlite3_bind_int64(s, 1, box);
		sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, lower, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *child = (const char *)sqlite3_column_text(s, 0);

			if (child == NULL || (depth == STORE_METADATA_DEPTH_1 &&
					      strchr(child + base + 1, '/') != NULL))
				continue;
			sq_md_push(out, xstrdup(child), sq_md_value(s, 1),
				   (size_t)sqlite3_column_bytes(s, 1));
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			free(lower);
			return sq_fail(st, rc, "metadata");
		}
	}
	free(lower);
	return STORE_OK;
}

enum store_result sq_metadata_get(struct store *store, const char *mailbox, const char *user,
				  const char *const *names, unsigned int count,
				  enum store_metadata_depth depth,
				  struct store_metadata_entry **entries_r, unsigned int *count_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_md_list out = { 0 };
	int64_t box;
	enum store_result r = sq_begin(st, false);

	if (r != STORE_OK)
		return r;
	r = sq_md_box(st, mailbox, &box);
	for (unsigned int i = 0; r == STORE_OK && i < count; i++)
		r = sq_md_get_one(st, box, user, names[i], depth, &out);
	r = sq_end(st, r);
	if (r != STORE_OK) {
		store_metadata_free(out.e, out.count);
		return r;
	}
	*entries_r = out.e;
	*count_r = out.count;
	return STORE_OK;
}

static enum store_result sq_md_count(struct sq_store *st, enum sq_stmt id, int64_t box,
				     int64_t *n_r)
{
	sqlite3_stmt *s = sq_stmt(st, id);
	int rc;

	if (id == SQ_MD_COUNT)
		sqlite3_bind_int64(s, 1, box);
	rc = sqlite3_step(s);
	*n_r = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? STORE_OK : sq_fail(st, rc, "metadata count");
}

static enum store_result sq_md_set(struct sq_store *st, int64_t box, const char *user,
				   const struct store_metadata_entry *entries, unsigned int count)
{
	enum store_result r = STORE_OK;
	int64_t n, bytes;

	for (unsigned int i = 0; r == STORE_OK && i < count; i++) {
		const struct store_metadata_entry *e = &entries[i];
		char *lower = sq_md_lower(e->name);
		sqlite3_stmt *s = sq_stmt(st, e->value != NULL ? SQ_MD_SET : SQ_MD_DELETE);

		sqlite3_bind_int64(s, 1, box);
		sqlite3_bind_text(s, 2, sq_md_owner(lower, user), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, lower, -1, SQLITE_STATIC);
		if (e->value != NULL)
			sqlite3_bind_blob64(s, 4, e->value, e->len, SQLITE_STATIC);
		r = sq_run(st, s, "set metadata");
		free(lower);
	}
	/* The bounds, after the changes, inside the transaction: a SET that
	 * removes as much as it adds is always allowed. */
	if (r == STORE_OK)
		r = sq_md_count(st, SQ_MD_COUNT, box, &n);
	if (r == STORE_OK && n > STORE_METADATA_ENTRIES_MAX)
		r = STORE_LIMIT;
	if (r == STORE_OK)
		r = sq_md_count(st, SQ_MD_BYTES, box, &bytes);
	if (r == STORE_OK && bytes > (int64_t)STORE_METADATA_BYTES_MAX)
		r = STORE_LIMIT;
	return r;
}

enum store_result sq_metadata_set(struct store *store, const char *mailbox, const char *user,
				  const struct store_metadata_entry *entries, unsigned int count)
{
	struct sq_store *st = sq_store(store);
	int64_t box;
	enum store_result r = sq_begin(st, true);

	if (r != STORE_OK)
		return r;
	r = sq_md_box(st, mailbox, &box);
	if (r == STORE_OK)
		r = sq_md_set(st, box, user, entries, count);
	return sq_end(st, r);
}
