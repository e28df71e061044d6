/* METADATA of a PostgreSQL store (store.h "METADATA"), as
 * sqlite-metadata.c: one metadata row per entry with a value (NIL deletes
 * it), named by mailbox id (0: the server's), so RENAME keeps the entries
 * and DELETE drops them (pg-mailbox.c); owner '' for /shared, the
 * setter's name for /private. */
#include "store/pg/pg-store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/store-names.h"

/* A lower-case copy of a valid name (ASCII only: store_metadata_name_valid). */
static char *pg_md_lower(const char *name)
{
	char *copy = xstrdup(name);

	for (char *p = copy; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

static const char *pg_md_owner(const char *lower_name, const char *user)
{
	return strncmp(lower_name, "/private/", 9) == 0 ? user : "";
}

/* The mailbox's row id, 0 for the server (mailbox NULL). */
static enum store_result pg_md_box(struct pg_txn *t, const char *mailbox, int64_t *id_r)
{
	struct pg_mailbox mb;
	enum store_result r;

	*id_r = 0;
	if (mailbox == NULL)
		return STORE_OK;
	r = store_mailbox_name_check(mailbox);
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = pg_mailbox_load(t, mailbox, &mb);
	if (r == STORE_OK)
		*id_r = mb.id;
	return r;
}

struct pg_md_list {
	struct store_metadata_entry *e;
	unsigned int count, alloc;
};

static void pg_md_push(struct pg_md_list *l, char *name, const void *value, size_t len)
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
static enum store_result pg_md_get_one(struct pg_txn *t, int64_t box, const char *user,
				       const char *name, enum store_metadata_depth depth,
				       struct pg_md_list *out)
{
	char boxnum[PG_NUM_LEN];
	char *lower = pg_md_lower(name);
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(boxnum, box), PG_TEXT(pg_md_owner(lower, user)),
		PG_TEXT(lower),
	};
	struct pg_result *res;
	size_t len;
	enum store_result r;

	r = pg_q(t, "metadata", "SELECT value FROM metadata WHERE store_id = $1 AND"
		 " mailbox_id = $2 AND owner = $3 AND name = $4", params, 4, PG_EXEC_BINARY, &res);
	if (r != STORE_OK) {
		free(lower);
		return r;
	}
	if (pg_result_rows(res) > 0) {
		const unsigned char *v = pg_result_bytes(res, 0, 0, &len);

		pg_md_push(out, xstrdup(lower), v, len);
	} else {
		pg_md_push(out, xstrdup(lower), NULL, 0);
	}
	pg_result_free(&res);
	if (depth != STORE_METADATA_DEPTH_0) {
		size_t base = strlen(lower);

		r = pg_q(t, "metadata", "SELECT name, value FROM metadata WHERE store_id = $1 AND"
			 " mailbox_id = $2 AND owner = $3 AND name > $4 || '/' AND"
			 " name < $4 || '0' ORDER BY name", params, 4, PG_EXEC_BINARY, &res);
		for (unsigned int i = 0; r == STORE_OK && i < pg_result_rows(res); i++) {
			const char *child = pg_result_text(res, i, 0);
			const unsigned char *v = pg_result_bytes(res, i, 1, &len);

			if (strlen(child) <= base || (depth == STORE_METADATA_DEPTH_1 &&
						      strchr(child + base + 1, '/') != NULL))
				continue;
			pg_md_push(out, xstrdup(child), v, len);
		}
		if (r == STORE_OK)
			pg_result_free(&res);
	}
	free(lower);
	return r;
}

enum store_result pg_metadata_get(struct store *store, const char *mailbox, const char *user,
				  const char *const *names, unsigned int count,
				  enum store_metadata_depth depth,
				  struct store_metadata_entry **entries_r, unsigned int *count_r)
{
	struct pg_md_list out = { 0 };
	struct pg_txn t;
	int64_t box;
	enum store_result r = pg_txn_open(pg_store(store), false, &t);

	if (r != STORE_OK)
		return r;
	r = pg_md_box(&t, mailbox, &box);
	for (unsigned int i = 0; r == STORE_OK && i < count; i++)
		r = pg_md_get_one(&t, box, user, names[i], depth, &out);
	r = pg_txn_close(&t, r);
	if (r != STORE_OK) {
		store_metadata_free(out.e, out.count);
		return r;
	}
	*entries_r = out.e;
	*count_r = out.count;
	return STORE_OK;
}

static enum store_result pg_md_set(struct pg_txn *t, int64_t box, const char *user,
				   const struct store_metadata_entry *entries, unsigned int count)
{
	char boxnum[PG_NUM_LEN];
	enum store_result r = STORE_OK;
	int64_t n = 0, bytes = 0;

	pg_num(boxnum, box);
	for (unsigned int i = 0; r == STORE_OK && i < count; i++) {
		const struct store_metadata_entry *e = &entries[i];
		char *lower = pg_md_lower(e->name);
		const struct pg_param params[] = {
			PG_TEXT(t->st->id_text), PG_TEXT(boxnum), PG_TEXT(pg_md_owner(lower, user)),
			PG_TEXT(lower), PG_BYTES(e->value != NULL ? (const void *)e->value : "", e->len),
		};

		r = pg_q(t, "set metadata", e->value != NULL ?
			 "INSERT INTO metadata (store_id, mailbox_id, owner, name, value)"
			 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (store_id, mailbox_id, owner,"
			 " name) DO UPDATE SET value = EXCLUDED.value" :
			 "DELETE FROM metadata WHERE store_id = $1 AND mailbox_id = $2 AND"
			 " owner = $3 AND name = $4", params, e->value != NULL ? 5 : 4, 0, NULL);
		free(lower);
	}
	/* The bounds, after the changes, inside the transaction: a SET that
	 * removes as much as it adds is always allowed. */
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), PG_TEXT(boxnum) };

	if (r == STORE_OK)
		r = pg_q_int(t, "metadata count", "SELECT count(*) FROM metadata WHERE"
			     " store_id = $1 AND mailbox_id = $2", params, 2, &n, NULL);
	if (r == STORE_OK && n > STORE_METADATA_ENTRIES_MAX)
		r = STORE_LIMIT;
	if (r == STORE_OK)
		r = pg_q_int(t, "metadata bytes", "SELECT coalesce(sum(length(value)), 0) FROM"
			     " metadata WHERE store_id = $1", params, 1, &bytes, NULL);
	if (r == STORE_OK && bytes > (int64_t)STORE_METADATA_BYTES_MAX)
		r = STORE_LIMIT;
	return r;
}

enum store_result pg_metadata_set(struct store *store, const char *mailbox, const char *user,
				  const struct store_metadata_entry *entries, unsigned int count)
{
	struct pg_txn t;
	int64_t box;
	enum store_result r = pg_txn_open(pg_store(store), true, &t);

	if (r != STORE_OK)
		return r;
	r = pg_md_box(&t, mailbox, &box);
	if (r == STORE_OK)
		r = pg_md_set(&t, box, user, entries, count);
	return pg_txn_close(&t, r);
}
