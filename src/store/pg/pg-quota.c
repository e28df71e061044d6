/* Quota of a PostgreSQL store (store.h "quota"), as sqlite-quota.c: usage
 * from the mailboxes' counters, the user's own limits in the stores row
 * (quota_storage in KiB, quota_message, quota_mailbox; -1: none; NULL:
 * the env's default). Read inside the writing transaction that would
 * change usage, under the stores row's lock, so two nodes never both fit
 * under a limit only one of them fits under. */
#include "store/pg/pg-store.h"

#include <string.h>

#include "core/log.h"

static const char *const pg_quota_columns[STORE_QUOTA_RESOURCES] = {
	[STORE_QUOTA_STORAGE] = "quota_storage",
	[STORE_QUOTA_MESSAGE] = "quota_message",
	[STORE_QUOTA_MAILBOX] = "quota_mailbox",
};

static enum store_result pg_quota_limits(struct pg_txn *t, struct store_quota *q)
{
	const struct pg_param id = PG_TEXT(t->st->id_text);
	struct pg_result *res;
	enum store_result r = pg_q(t, "quota limits", "SELECT quota_storage, quota_message,"
				   " quota_mailbox FROM stores WHERE id = $1", &id, 1, 0, &res);

	if (r != STORE_OK)
		return r;
	if (pg_result_rows(res) != 1) {
		pg_result_free(&res);
		return STORE_ERROR;
	}
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		int64_t v = pg_col_int(res, 0, (unsigned int)i);

		q->own[i] = STORE_QUOTA_DEFAULT;
		if (!pg_result_null(res, 0, (unsigned int)i)) {
			if (v < -1 || (v >= 0 && (uint64_t)v > STORE_QUOTA_LIMIT_MAX)) {
				log_error("store %s: stores.%s is not a quota limit", t->st->user,
					  pg_quota_columns[i]);
				pg_result_free(&res);
				return STORE_CORRUPT;
			}
			q->own[i] = v < 0 ? STORE_QUOTA_NONE : (uint64_t)v;
		}
		q->limit[i] = q->own[i] == STORE_QUOTA_DEFAULT ? t->st->quota_default[i] :
			q->own[i];
	}
	pg_result_free(&res);
	return STORE_OK;
}

static enum store_result pg_quota_usage(struct pg_txn *t, struct store_quota *q)
{
	const struct pg_param id = PG_TEXT(t->st->id_text);
	struct pg_result *res;
	enum store_result r = pg_q(t, "quota usage", "SELECT coalesce(sum(size), 0),"
				   " coalesce(sum(messages), 0), count(*) FILTER (WHERE NOT noselect)"
				   " FROM mailboxes WHERE store_id = $1", &id, 1, 0, &res);

	if (r != STORE_OK)
		return r;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		q->usage[i] = (uint64_t)pg_col_int(res, 0, (unsigned int)i);
	pg_result_free(&res);
	return STORE_OK;
}

enum store_result pg_quota_allows(struct pg_txn *t, const uint64_t add[STORE_QUOTA_RESOURCES])
{
	struct store_quota q;
	bool limited = false;
	enum store_result r = pg_quota_limits(t, &q);

	if (r != STORE_OK)
		return r;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		limited = limited || (add[i] > 0 && q.limit[i] != STORE_QUOTA_NONE);
	if (!limited)
		return STORE_OK;
	r = pg_quota_usage(t, &q);
	if (r != STORE_OK)
		return r;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		uint64_t limit = q.limit[i];

		if (add[i] == 0 || limit == STORE_QUOTA_NONE)
			continue;
		if (i == STORE_QUOTA_STORAGE)
			limit *= 1024;   /* <= 2^62: STORE_QUOTA_LIMIT_MAX */
		if (q.usage[i] > limit || add[i] > limit - q.usage[i])
			return STORE_OVER_QUOTA;
	}
	return STORE_OK;
}

enum store_result pg_quota_get(struct store *store, struct store_quota *quota_r)
{
	struct pg_txn t;
	enum store_result r;

	memset(quota_r, 0, sizeof(*quota_r));
	r = pg_txn_open(pg_store(store), false, &t);
	if (r != STORE_OK)
		return r;
	r = pg_quota_limits(&t, quota_r);
	if (r == STORE_OK)
		r = pg_quota_usage(&t, quota_r);
	return pg_txn_close(&t, r);
}

enum store_result pg_quota_set(struct store *store, const uint64_t own[STORE_QUOTA_RESOURCES])
{
	struct pg_store *st = pg_store(store);
	char n[STORE_QUOTA_RESOURCES][PG_NUM_LEN];
	struct pg_param params[1 + STORE_QUOTA_RESOURCES] = { PG_TEXT(st->id_text) };
	struct pg_txn t;
	enum store_result r;

	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		params[1 + i] = own[i] == STORE_QUOTA_DEFAULT ? PG_TEXT(NULL) :
			pg_num(n[i], own[i] == STORE_QUOTA_NONE ? -1 : (int64_t)own[i]);
	r = pg_txn_open(st, true, &t);
	if (r != STORE_OK)
		return r;
	r = pg_q(&t, "set quota", "UPDATE stores SET quota_storage = $2, quota_message = $3,"
		 " quota_mailbox = $4 WHERE id = $1", params, 1 + STORE_QUOTA_RESOURCES, 0, NULL);
	return pg_txn_close(&t, r);
}
