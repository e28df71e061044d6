/* A user's store on PostgreSQL (store.h "the store"): the stores row per
 * owner, made with the default mailboxes in one transaction only when the
 * caller may create it, and the transactions every operation runs in. A
 * handle holds no connection: each operation leases one from the env's
 * pool (pg-env.c) and gives it back before returning, so a node's idle
 * sessions cost the database nothing. Semantics as sqlite-store.c's. */
#include "store/pg/pg-store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store-names.h"

/* A user name the SQLite backend takes too (sq_user_ok(): a directory
 * name there): one rule for both, so a user moves between them. */
#define PG_USER_MAX 255

/* What a new store holds (RFC 6154 attributes), all subscribed: as
 * sqlite-store.c's sq_default_mailboxes. */
static const struct {
	const char *name;
	unsigned int special_use;
} pg_default_mailboxes[] = {
	{ "INBOX", 0 },
	{ "Sent", STORE_USE_SENT },
	{ "Drafts", STORE_USE_DRAFTS },
	{ "Trash", STORE_USE_TRASH },
	{ "Junk", STORE_USE_JUNK },
	{ "Archive", STORE_USE_ARCHIVE },
};

/* ---- values ---- */

struct pg_param pg_num(char buf[PG_NUM_LEN], int64_t v)
{
	snprintf(buf, PG_NUM_LEN, "%" PRId64, v);
	return PG_TEXT(buf);
}

int64_t pg_col_int(const struct pg_result *res, unsigned int row, unsigned int col)
{
	if (pg_result_null(res, row, col))
		return 0;
	return strtoll(pg_result_text(res, row, col), NULL, 10);
}

bool pg_col_bool(const struct pg_result *res, unsigned int row, unsigned int col)
{
	return strcmp(pg_result_text(res, row, col), "t") == 0;
}

/* ---- transactions ---- */

enum store_result pg_txn_open(struct pg_store *st, bool write, struct pg_txn *t)
{
	const struct pg_param id = PG_TEXT(st->id_text);
	enum store_result r;

	memset(t, 0, sizeof(*t));
	t->st = st;
	t->write = write;
	r = pg_pool_acquire(st->pool, &t->lease);
	if (r != STORE_OK)
		return r;
	/* A read sees one snapshot across its statements, as SQLite's
	 * deferred transaction does; it never waits for a writer. */
	r = pg_exec(t->lease, "begin", write ? "BEGIN" :
		    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, 0, 0, NULL);
	if (r == STORE_OK && write)
		r = pg_exec(t->lease, "lock store", "SELECT 1 FROM stores WHERE id = $1 FOR UPDATE",
			    &id, 1, 0, NULL);
	if (r != STORE_OK) {
		pg_txn_rollback(t->lease);
		pg_pool_release(st->pool, &t->lease);
	}
	return r;
}

enum store_result pg_txn_close(struct pg_txn *t, enum store_result r)
{
	const struct pg_param id = PG_TEXT(t->st->id_text);

	if (t->lease == NULL)
		return r;
	if (r == STORE_OK && t->write && t->visible)
		r = pg_exec(t->lease, "count change", "UPDATE stores SET changes = changes + 1"
			    " WHERE id = $1", &id, 1, 0, NULL);
	if (r == STORE_OK)
		r = pg_txn_commit(t->lease);
	else
		pg_txn_rollback(t->lease);
	pg_pool_release(t->st->pool, &t->lease);
	if (r == STORE_OK && t->write && t->visible) {
		t->st->change_count++;
		/* After the commit, never inside it (pg-notify.c says why). */
		pg_notify_changed(t->st->env, t->st->user);
	}
	return r;
}

enum store_result pg_q(struct pg_txn *t, const char *what, const char *sql,
		       const struct pg_param *params, unsigned int count, unsigned int flags,
		       struct pg_result **res_r)
{
	return pg_exec(t->lease, what, sql, params, count, flags, res_r);
}

enum store_result pg_q_int(struct pg_txn *t, const char *what, const char *sql,
			   const struct pg_param *params, unsigned int count, int64_t *value_r,
			   bool *found_r)
{
	struct pg_result *res;
	enum store_result r = pg_q(t, what, sql, params, count, 0, &res);

	*value_r = 0;
	if (found_r != NULL)
		*found_r = false;
	if (r != STORE_OK)
		return r;
	if (pg_result_rows(res) > 0) {
		*value_r = pg_col_int(res, 0, 0);
		if (found_r != NULL)
			*found_r = true;
	}
	pg_result_free(&res);
	return STORE_OK;
}

/* ---- mailbox rows ---- */

enum store_result pg_mailbox_load(struct pg_txn *t, const char *name, struct pg_mailbox *mb)
{
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), PG_TEXT(name) };
	struct pg_result *res;
	enum store_result r;

	memset(mb, 0, sizeof(*mb));
	r = pg_q(t, "load mailbox", "SELECT id, uidvalidity, uidnext, highestmodseq, recent_uid,"
		 " special_use, noselect, messages, unseen, deleted, size, recent FROM mailboxes"
		 " WHERE store_id = $1 AND name = $2", params, 2, 0, &res);
	if (r != STORE_OK)
		return r;
	if (pg_result_rows(res) == 0) {
		pg_result_free(&res);
		return STORE_NOT_FOUND;
	}
	mb->id = pg_col_int(res, 0, 0);
	mb->uidvalidity = (uint32_t)pg_col_int(res, 0, 1);
	mb->uidnext = (uint32_t)pg_col_int(res, 0, 2);
	mb->highestmodseq = (uint64_t)pg_col_int(res, 0, 3);
	mb->recent_uid = (uint32_t)pg_col_int(res, 0, 4);
	mb->special_use = (unsigned int)pg_col_int(res, 0, 5);
	mb->noselect = pg_col_bool(res, 0, 6);
	mb->messages = (uint32_t)pg_col_int(res, 0, 7);
	mb->unseen = (uint32_t)pg_col_int(res, 0, 8);
	mb->deleted = (uint32_t)pg_col_int(res, 0, 9);
	mb->size = (uint64_t)pg_col_int(res, 0, 10);
	mb->recent = (uint32_t)pg_col_int(res, 0, 11);
	pg_result_free(&res);
	return STORE_OK;
}

uint64_t pg_mailbox_next_modseq(struct pg_mailbox *mb)
{
	mb->changed = true;
	return mb->highestmodseq + 1;
}

enum store_result pg_mailbox_save(struct pg_txn *t, struct pg_mailbox *mb)
{
	char n[9][PG_NUM_LEN];

	if (mb->changed) {
		mb->highestmodseq++;
		mb->changed = false;
		t->visible = true;
	}
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(n[0], mb->id), pg_num(n[1], mb->uidnext),
		pg_num(n[2], (int64_t)mb->highestmodseq), pg_num(n[3], mb->recent_uid),
		pg_num(n[4], mb->messages), pg_num(n[5], mb->unseen), pg_num(n[6], mb->deleted),
		pg_num(n[7], (int64_t)mb->size), pg_num(n[8], mb->recent),
	};

	return pg_q(t, "save mailbox", "UPDATE mailboxes SET uidnext = $3, highestmodseq = $4,"
		    " recent_uid = $5, messages = $6, unseen = $7, deleted = $8, size = $9,"
		    " recent = $10 WHERE store_id = $1 AND id = $2", params, 10, 0, NULL);
}

enum store_result pg_new_uidvalidity(struct pg_txn *t, uint32_t *uidvalidity_r)
{
	char now[PG_NUM_LEN];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(now, (int64_t)time(NULL)),
	};
	int64_t next = 0;
	bool found;
	/* Under the stores row's lock (a writing transaction): max(now,
	 * last + 1), so a re-created mailbox never reuses one. The caller
	 * rolls back on STORE_LIMIT, so the value is never kept. */
	enum store_result r = pg_q_int(t, "new uidvalidity", "UPDATE stores SET last_uidvalidity ="
				       " greatest($2::bigint, last_uidvalidity + 1) WHERE id = $1"
				       " RETURNING last_uidvalidity", params, 2, &next, &found);

	*uidvalidity_r = 0;
	if (r != STORE_OK)
		return r;
	if (!found)
		return STORE_ERROR;
	if (next <= 0 || next > (int64_t)UINT32_MAX) {
		log_error("store %s: UIDVALIDITY values exhausted", t->st->user);
		return STORE_LIMIT;
	}
	*uidvalidity_r = (uint32_t)next;
	return STORE_OK;
}

enum store_result pg_mailbox_insert(struct pg_txn *t, const char *name,
				    unsigned int special_use, int64_t *id_r)
{
	char uv[PG_NUM_LEN], su[PG_NUM_LEN];
	uint32_t uidvalidity;
	int64_t id = 0;
	enum store_result r = pg_new_uidvalidity(t, &uidvalidity);

	if (r != STORE_OK)
		return r;
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), PG_TEXT(name), pg_num(uv, uidvalidity),
		pg_num(su, special_use),
	};

	r = pg_q_int(t, "insert mailbox", "INSERT INTO mailboxes (store_id, name, uidvalidity,"
		     " special_use) VALUES ($1, $2, $3, $4) RETURNING id", params, 4, &id, NULL);
	if (r == STORE_OK && id_r != NULL)
		*id_r = id;
	return r;
}

/* Loads a selectable mailbox the caller addresses with its UIDVALIDITY:
 * STORE_NOT_FOUND if it is gone, \Noselect, or re-created since. */
enum store_result pg_mailbox_load_checked(struct pg_txn *t, const char *name,
						 uint32_t uidvalidity, struct pg_mailbox *mb)
{
	enum store_result r = store_mailbox_name_check(name);

	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = pg_mailbox_load(t, name, mb);
	if (r != STORE_OK)
		return r;
	if (mb->noselect || mb->uidvalidity != uidvalidity)
		return STORE_NOT_FOUND;
	return STORE_OK;
}

/* ---- keyword lists ---- */

/* The mailbox's keywords, bit i at [i]; bits are given out densely from 0
 * and never taken back, so anything else is damage. */
enum store_result pg_keywords_load(struct pg_txn *t, int64_t mailbox_id,
					  char ***names_r, unsigned int *count_r)
{
	char box[PG_NUM_LEN];
	const struct pg_param params[] = { PG_TEXT(t->st->id_text), pg_num(box, mailbox_id) };
	struct pg_result *res;
	unsigned int rows;
	char **names = NULL;
	enum store_result r;

	*names_r = NULL;
	*count_r = 0;
	r = pg_q(t, "load keywords", "SELECT bit, name FROM keywords WHERE store_id = $1 AND"
		 " mailbox_id = $2 ORDER BY bit", params, 2, 0, &res);
	if (r != STORE_OK)
		return r;
	rows = pg_result_rows(res);
	if (rows > STORE_KEYWORDS_PER_MAILBOX)
		r = STORE_CORRUPT;
	for (unsigned int i = 0; r == STORE_OK && i < rows; i++) {
		if (pg_col_int(res, i, 0) != (int64_t)i)
			r = STORE_CORRUPT;
	}
	if (r == STORE_OK && rows > 0) {
		names = xmalloc(rows * sizeof(*names));
		for (unsigned int i = 0; i < rows; i++)
			names[i] = xstrdup(pg_result_text(res, i, 1));
		*names_r = names;
		*count_r = rows;
	}
	pg_result_free(&res);
	if (r == STORE_CORRUPT)
		log_error("store %s: keyword list of mailbox %lld is damaged", t->st->user,
			  (long long)mailbox_id);
	return r;
}

/* ---- UID lists ---- */

/* The digits of one UID and its comma, in a {..} array literal. */
#define PG_UID_TEXT 11

char *pg_uid_array(const uint32_t *uids, uint32_t count)
{
	char *array = xmalloc((size_t)count * PG_UID_TEXT + 3);
	size_t len = 0;

	array[len++] = '{';
	for (uint32_t i = 0; i < count; i++)
		len += (size_t)snprintf(array + len, PG_UID_TEXT + 1, "%s%u", i > 0 ? "," : "",
					uids[i]);
	array[len++] = '}';
	array[len] = '\0';
	return array;
}

static int pg_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t *pg_uids_sorted(const uint32_t *uids, uint32_t count, uint32_t *count_r)
{
	uint32_t *out = xmalloc((count > 0 ? count : 1) * sizeof(*out));
	uint32_t n = 0;

	if (count > 0)
		memcpy(out, uids, count * sizeof(*out));
	qsort(out, count, sizeof(*out), pg_uid_cmp);
	for (uint32_t i = 0; i < count; i++) {
		if (n == 0 || out[n - 1] != out[i])
			out[n++] = out[i];
	}
	*count_r = n;
	return out;
}

/* ---- message rows ---- */

enum store_result pg_messages_delete(struct pg_txn *t, int64_t mailbox_id, const char *uids)
{
	char box[PG_NUM_LEN];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, mailbox_id), PG_TEXT(uids),
	};
	struct pg_result *res;
	enum store_result r;

	/* Each body loses as many references as it had messages going, as
	 * sq_blob_unref. One left with none goes at once if it is small (a
	 * reader copied it whole at store_body_open()); a bigger one is read
	 * chunk by chunk while its body is open, so it waits PG_BLOB_GRACE_S
	 * (unreferenced: since when) and goes with a later sweep. Either way
	 * its search text goes now, and its chunks with its row. */
	r = pg_q(t, "delete messages", "WITH gone AS (DELETE FROM messages WHERE store_id = $1"
		 " AND mailbox_id = $2 AND ($3::bigint[] IS NULL OR uid = ANY ($3::bigint[]))"
		 " RETURNING blob_id), n AS (SELECT blob_id, count(*) AS c FROM gone GROUP BY"
		 " blob_id), u AS (UPDATE blobs b SET refcount = b.refcount - n.c FROM n WHERE"
		 " b.store_id = $1 AND b.id = n.blob_id RETURNING b.id, b.refcount, b.stored_size)"
		 " SELECT coalesce(array_agg(id) FILTER (WHERE stored_size <= " PG_STR(PG_BODY_COPY_MAX)
		 "), '{}'), coalesce(array_agg(id) FILTER (WHERE stored_size > "
		 PG_STR(PG_BODY_COPY_MAX) "), '{}') FROM u WHERE refcount <= 0",
		 params, 3, 0, &res);
	if (r != STORE_OK)
		return r;
	if (strcmp(pg_result_text(res, 0, 0), "{}") != 0) {
		const struct pg_param del[] = {
			PG_TEXT(t->st->id_text), PG_TEXT(pg_result_text(res, 0, 0)),
		};

		r = pg_q(t, "delete blobs", "DELETE FROM blobs WHERE store_id = $1 AND"
			 " id = ANY ($2::bigint[])", del, 2, 0, NULL);
	}
	if (r == STORE_OK && strcmp(pg_result_text(res, 0, 1), "{}") != 0) {
		char now[PG_NUM_LEN];
		const struct pg_param later[] = {
			PG_TEXT(t->st->id_text), PG_TEXT(pg_result_text(res, 0, 1)),
			pg_num(now, (int64_t)time(NULL)),
		};

		r = pg_q(t, "unreferenced blobs", "UPDATE blobs SET unreferenced = $3 WHERE"
			 " store_id = $1 AND id = ANY ($2::bigint[])", later, 3, 0, NULL);
		if (r == STORE_OK)
			r = pg_q(t, "delete text", "DELETE FROM text_store WHERE store_id = $1 AND"
				 " blob_id = ANY ($2::bigint[])", later, 2, 0, NULL);
	}
	if (r == STORE_OK)
		r = pg_blob_sweep(t);
	pg_result_free(&res);
	return r;
}

enum store_result pg_blob_sweep(struct pg_txn *t)
{
	char before[PG_NUM_LEN];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(before, (int64_t)time(NULL) - PG_BLOB_GRACE_S),
	};

	/* blobs_unreferenced: finds them without reading the user's blobs. */
	return pg_q(t, "sweep blobs", "DELETE FROM blobs WHERE store_id = $1 AND refcount <= 0"
		    " AND unreferenced < $2", params, 2, 0, NULL);
}

/* ---- open and close ---- */

static bool pg_user_ok(const char *user)
{
	size_t len;

	if (user == NULL || user[0] == '\0' || user[0] == '.')
		return false;
	len = strnlen(user, PG_USER_MAX + 1);
	return len <= PG_USER_MAX && strchr(user, '/') == NULL;
}

static void pg_store_set_id(struct pg_store *st, int64_t id)
{
	st->id = id;
	snprintf(st->id_text, sizeof(st->id_text), "%" PRId64, id);
}

/* The owner's stores row id; found_r false when there is none. */
static enum store_result pg_store_find(struct pg_store *st, bool *found_r)
{
	const struct pg_param param = PG_TEXT(st->user);
	struct pg_lease *lease;
	struct pg_result *res;
	enum store_result r;

	*found_r = false;
	r = pg_pool_acquire(st->pool, &lease);
	if (r != STORE_OK)
		return r;
	r = pg_exec(lease, "find store", "SELECT id FROM stores WHERE owner = $1", &param, 1, 0,
		    &res);
	pg_pool_release(st->pool, &lease);
	if (r != STORE_OK)
		return r;
	if (pg_result_rows(res) == 1) {
		pg_store_set_id(st, pg_col_int(res, 0, 0));
		*found_r = true;
	}
	pg_result_free(&res);
	return STORE_OK;
}

/* The stores row and its default mailboxes (INBOX alone when bare), all
 * subscribed, in one transaction. Two processes creating the same store
 * at once: the second's INSERT waits on the first's row and does nothing
 * (ON CONFLICT), and it then uses the store the first made. */
static enum store_result pg_store_create(struct pg_store *st, bool bare)
{
	const struct pg_param owner = PG_TEXT(st->user);
	size_t count = bare ? 1 : sizeof(pg_default_mailboxes) / sizeof(pg_default_mailboxes[0]);
	struct pg_txn t = { .st = st };
	int64_t id = 0;
	bool made = false;
	enum store_result r = pg_pool_acquire(st->pool, &t.lease);

	if (r != STORE_OK)
		return r;
	r = pg_txn_begin(t.lease);
	if (r == STORE_OK)
		r = pg_q_int(&t, "create store", "INSERT INTO stores (owner, created) VALUES ($1,"
			     " extract(epoch FROM now())::bigint) ON CONFLICT (owner) DO NOTHING"
			     " RETURNING id", &owner, 1, &id, &made);
	if (r == STORE_OK && made) {
		pg_store_set_id(st, id);
		for (size_t i = 0; r == STORE_OK && i < count; i++) {
			const struct pg_param sub[] = {
				PG_TEXT(st->id_text), PG_TEXT(pg_default_mailboxes[i].name),
			};

			r = pg_mailbox_insert(&t, pg_default_mailboxes[i].name,
					      pg_default_mailboxes[i].special_use, NULL);
			if (r == STORE_OK)
				r = pg_q(&t, "subscribe default", "INSERT INTO subscriptions"
					 " (store_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
					 sub, 2, 0, NULL);
		}
	}
	if (r == STORE_OK)
		r = pg_txn_commit(t.lease);
	else
		pg_txn_rollback(t.lease);
	pg_pool_release(st->pool, &t.lease);
	if (r == STORE_OK && made)
		log_info("store %s: created", st->user);
	if (r == STORE_OK && !made) {
		bool found;

		r = pg_store_find(st, &found);
		if (r == STORE_OK && !found)
			r = STORE_ERROR;   /* made and gone at once: nothing deletes stores */
	}
	return r;
}

enum store_result pg_open(const struct store_env *env, const char *user, unsigned int flags,
			  struct store **store_r, char *err, size_t err_size)
{
	struct pg_store *st;
	enum store_result r;
	bool found = false;

	*store_r = NULL;
	if (err_size > 0)
		err[0] = '\0';
	if (!pg_user_ok(user)) {
		snprintf(err, err_size, "invalid user name");
		return STORE_INVALID;
	}
	st = xcalloc(1, sizeof(*st));
	st->store.v = &store_backend_pg;
	st->env = env;
	st->user = xstrdup(user);
	memcpy(st->quota_default, env->quota, sizeof(st->quota_default));
	r = pg_env_pool(env, &st->pool, err, err_size);
	if (r == STORE_OK)
		r = pg_store_find(st, &found);
	if (r == STORE_OK && !found) {
		if ((flags & STORE_OPEN_CREATE) == 0) {
			snprintf(err, err_size, "the database holds no store for %s, and the user"
				 " database says this user had one: not creating a new one"
				 " (restore it)", user);
			r = STORE_MISSING;
		} else {
			r = pg_store_create(st, (flags & STORE_OPEN_BARE) != 0);
		}
	}
	if (r != STORE_OK) {
		if (err_size > 0 && err[0] == '\0')
			snprintf(err, err_size, "cannot open the store of %s: %s (see log)", user,
				 store_result_name(r));
		pg_close(&st->store);
		return r;
	}
	*store_r = &st->store;
	return STORE_OK;
}

void pg_close(struct store *store)
{
	struct pg_store *st = pg_store(store);

	free(st->viewer);
	free(st->user);
	free(st);
}

/* Nothing marks a PostgreSQL store damaged: the server keeps its pages
 * checksummed and replicated, and reports damage as errors. */
bool pg_read_only(const struct store *store)
{
	(void)store;
	return false;
}

unsigned int pg_blob_count(const struct store *store)
{
	return ((const struct pg_store *)store)->blob_count;
}

uint64_t pg_change_count(const struct store *store)
{
	return ((const struct pg_store *)store)->change_count;
}

void pg_view_as(struct store *store, const char *viewer)
{
	struct pg_store *st = pg_store(store);

	free(st->viewer);
	st->viewer = viewer != NULL ? xstrdup(viewer) : NULL;
}
