/* Quota (store.h "quota"): usage from the mailboxes' counters, which every
 * writing transaction keeps exact, and the user's own limits in meta
 * ('quota_storage' in KiB, 'quota_message', 'quota_mailbox'; -1: none;
 * no row: the env's default). Both are read inside the transaction that
 * would change them, so two writers (two processes) never both fit under
 * a limit that only one of them fits under: the write lock orders them. */
#include "store/store.h"

#include <string.h>

#include "core/log.h"
#include "store/sqlite/sqlite-private.h"

static const char *const sq_quota_keys[STORE_QUOTA_RESOURCES] = {
	[STORE_QUOTA_STORAGE] = "quota_storage",
	[STORE_QUOTA_MESSAGE] = "quota_message",
	[STORE_QUOTA_MAILBOX] = "quota_mailbox",
};

/* In a transaction: the user's own limits and those in force. */
static enum store_result sq_quota_limits(struct sq_store *st, struct store_quota *q)
{
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		sqlite3_stmt *s = sq_stmt(st, SQ_META_GET);
		int rc;

		q->own[i] = STORE_QUOTA_DEFAULT;
		sqlite3_bind_text(s, 1, sq_quota_keys[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			sqlite3_int64 v = sqlite3_column_int64(s, 0);

			if (sqlite3_column_type(s, 0) != SQLITE_INTEGER || v < -1 ||
			    (v >= 0 && (uint64_t)v > STORE_QUOTA_LIMIT_MAX)) {
				sqlite3_reset(s);
				log_error("store %s: meta %s is not a quota limit", st->user,
					  sq_quota_keys[i]);
				return STORE_CORRUPT;
			}
			q->own[i] = v < 0 ? STORE_QUOTA_NONE : (uint64_t)v;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sq_fail(st, rc, "quota limit");
		q->limit[i] = q->own[i] == STORE_QUOTA_DEFAULT ? st->quota_default[i] : q->own[i];
	}
	return STORE_OK;
}

static enum store_result sq_quota_usage(struct sq_store *st, struct store_quota *q)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_QUOTA_USAGE);
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
			q->usage[i] = (uint64_t)sqlite3_column_int64(s, i);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? STORE_OK : sq_fail(st, rc, "quota usage");
}

enum store_result sq_quota_allows(struct sq_store *st, const uint64_t add[STORE_QUOTA_RESOURCES])
{
	struct store_quota q;
	bool limited = false;
	enum store_result r = sq_quota_limits(st, &q);

	if (r != STORE_OK)
		return r;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		limited = limited || (add[i] > 0 && q.limit[i] != STORE_QUOTA_NONE);
	if (!limited)
		return STORE_OK;
	r = sq_quota_usage(st, &q);
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

enum store_result sq_quota_get(struct store *store, struct store_quota *quota_r)
{
	struct sq_store *st = sq_store(store);
	enum store_result r;

	memset(quota_r, 0, sizeof(*quota_r));
	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	r = sq_quota_limits(st, quota_r);
	if (r == STORE_OK)
		r = sq_quota_usage(st, quota_r);
	return sq_end(st, r);
}

enum store_result sq_quota_set(struct store *store, const uint64_t own[STORE_QUOTA_RESOURCES])
{
	struct sq_store *st = sq_store(store);
	enum store_result r = sq_begin(st, true);

	if (r != STORE_OK)
		return r;
	for (int i = 0; r == STORE_OK && i < STORE_QUOTA_RESOURCES; i++) {
		sqlite3_stmt *s;

		if (own[i] == STORE_QUOTA_DEFAULT) {
			s = sq_stmt(st, SQ_META_DELETE);
		} else {
			s = sq_stmt(st, SQ_META_SET);
			sqlite3_bind_int64(s, 2, own[i] == STORE_QUOTA_NONE ? -1 :
					   (sqlite3_int64)own[i]);
		}
		sqlite3_bind_text(s, 1, sq_quota_keys[i], -1, SQLITE_STATIC);
		r = sq_run(st, s, "set quota");
	}
	return sq_end(st, r);
}
