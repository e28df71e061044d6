/* What a session reads of a selected mailbox on PostgreSQL, as
 * sqlite-message.c's: the SELECT snapshot (and its \Recent claim), the
 * CONDSTORE/QRESYNC changes since a modseq, chosen messages' flags, and
 * the mailbox's keyword list with each. One snapshot per call (a
 * REPEATABLE READ transaction), or the user's write lock for a claim. */
#include "store/pg/pg-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store-names.h"

/* ---- messages ---- */

/* The rows of res (uid, flags, keywords, modseq) appended to *messages. */
static void pg_snapshot_rows(const struct pg_result *res, struct store_message **messages,
			     uint32_t *count)
{
	unsigned int rows = pg_result_rows(res);

	if (rows == 0)
		return;
	*messages = xrealloc(*messages, ((size_t)*count + rows) * sizeof(**messages));
	for (unsigned int i = 0; i < rows; i++) {
		struct store_message *m = &(*messages)[(*count)++];

		m->uid = (uint32_t)pg_col_int(res, i, 0);
		m->flags = (uint32_t)pg_col_int(res, i, 1);
		m->keywords = (uint64_t)pg_col_int(res, i, 2);
		m->modseq = (uint64_t)pg_col_int(res, i, 3);
	}
}

/* Messages of mailbox id by where (a condition on m, with $4 its value),
 * in UID order, as the viewer sees them. */
static enum store_result pg_messages_where(struct pg_txn *t, int64_t id, const char *where,
					   const char *value, struct store_message **messages,
					   uint32_t *count)
{
	char box[PG_NUM_LEN], sql[512];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, id), PG_TEXT(t->st->viewer), PG_TEXT(value),
	};
	struct pg_result *res;
	enum store_result r;

	snprintf(sql, sizeof(sql), "SELECT m.uid, " PG_FLAGS ", m.keywords, m.modseq"
		 " FROM messages m WHERE m.store_id = $1 AND m.mailbox_id = $2%s%s"
		 " ORDER BY m.uid", where[0] != '\0' ? " AND " : "", where);
	r = pg_q(t, "read messages", sql, params, value != NULL ? 4 : 3, 0, &res);
	if (r != STORE_OK)
		return r;
	pg_snapshot_rows(res, messages, count);
	pg_result_free(&res);
	return STORE_OK;
}

static enum store_result pg_snapshot(struct pg_txn *t, const char *name, bool claim_recent,
				     struct store_snapshot *snap)
{
	struct pg_mailbox mb;
	enum store_result r = pg_mailbox_load(t, name, &mb);

	if (r != STORE_OK)
		return r;
	if (mb.noselect)
		return STORE_NOT_ALLOWED;
	snap->uidvalidity = mb.uidvalidity;
	snap->uidnext = mb.uidnext;
	snap->highestmodseq = mb.highestmodseq;
	snap->first_recent_uid = mb.recent_uid;
	r = pg_messages_where(t, mb.id, "", NULL, &snap->messages, &snap->count);
	if (r == STORE_OK && snap->messages == NULL)
		snap->messages = xmalloc(sizeof(*snap->messages));   /* as SQLite's: never NULL */
	if (r == STORE_OK)
		r = pg_keywords_load(t, mb.id, &snap->keywords, &snap->keyword_count);
	if (r == STORE_OK && claim_recent && mb.recent_uid != mb.uidnext) {
		/* RFC 3501 §2.3.2: only this session sees them as \Recent. */
		mb.recent_uid = mb.uidnext;
		mb.recent = 0;
		r = pg_mailbox_save(t, &mb);
	}
	return r;
}

/* A claim of \Recent is a write whose loss to a crash only shows messages
 * as \Recent again: committed without waiting for the WAL's flush, as
 * SQLite's sq_begin_lazy (synchronous_commit is per transaction here). */
static enum store_result pg_txn_open_lazy(struct pg_store *st, struct pg_txn *t)
{
	enum store_result r = pg_txn_open(st, true, t);

	if (r == STORE_OK) {
		r = pg_q(t, "lazy commit", "SET LOCAL synchronous_commit TO off", NULL, 0, 0, NULL);
		if (r != STORE_OK)
			r = pg_txn_close(t, r);
	}
	return r;
}

enum store_result pg_mailbox_snapshot(struct store *store, const char *name,
				      bool claim_recent, struct store_snapshot *snapshot_r)
{
	struct pg_store *st = pg_store(store);
	struct pg_txn t;
	enum store_result r = store_mailbox_name_check(name);

	memset(snapshot_r, 0, sizeof(*snapshot_r));
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	r = claim_recent ? pg_txn_open_lazy(st, &t) : pg_txn_open(st, false, &t);
	if (r == STORE_OK) {
		r = pg_txn_close(&t, pg_snapshot(&t, name, claim_recent, snapshot_r));
		if (r != STORE_OK)
			store_snapshot_free(snapshot_r);
	}
	/* A full disk: the claim cannot commit. SELECT still works, claiming
	 * nothing, as on SQLite. */
	if (r == STORE_NO_SPACE && claim_recent) {
		log_warn("store %s: disk full: \\Recent not claimed for a SELECT of \"%s\"",
			 st->user, name);
		r = pg_txn_open(st, false, &t);
		if (r == STORE_OK)
			r = pg_txn_close(&t, pg_snapshot(&t, name, false, snapshot_r));
		if (r != STORE_OK)
			store_snapshot_free(snapshot_r);
	}
	return r;
}

static enum store_result pg_claim_recent(struct pg_txn *t, const char *name,
					 uint32_t uidvalidity, uint32_t *first_r, uint32_t *next_r)
{
	struct pg_mailbox mb;
	enum store_result r = pg_mailbox_load_checked(t, name, uidvalidity, &mb);

	if (r != STORE_OK)
		return r;
	*first_r = mb.recent_uid;
	*next_r = mb.uidnext;
	if (mb.recent_uid == mb.uidnext)
		return STORE_OK;
	mb.recent_uid = mb.uidnext;
	mb.recent = 0;
	return pg_mailbox_save(t, &mb);
}

enum store_result pg_mailbox_claim_recent(struct store *store, const char *name,
					  uint32_t uidvalidity, uint32_t *first_r,
					  uint32_t *next_r)
{
	struct pg_txn t;
	enum store_result r;

	*first_r = *next_r = 0;
	r = pg_txn_open_lazy(pg_store(store), &t);
	if (r != STORE_OK)
		return r;
	return pg_txn_close(&t, pg_claim_recent(&t, name, uidvalidity, first_r, next_r));
}

static enum store_result pg_changes(struct pg_txn *t, const char *name, uint32_t uidvalidity,
				    uint64_t since, struct store_changes *ch)
{
	char num[PG_NUM_LEN];
	struct pg_mailbox mb;
	enum store_result r = pg_mailbox_load_checked(t, name, uidvalidity, &mb);

	if (r != STORE_OK)
		return r;
	ch->uidnext = mb.uidnext;
	ch->highestmodseq = mb.highestmodseq;
	if (since < mb.highestmodseq) {
		char box[PG_NUM_LEN];
		const struct pg_param params[] = {
			PG_TEXT(t->st->id_text), pg_num(box, mb.id), pg_num(num, (int64_t)since),
		};
		struct pg_result *res;

		r = pg_messages_where(t, mb.id, "m.modseq > $4", num, &ch->changed,
				      &ch->changed_count);
		if (r != STORE_OK)
			return r;
		r = pg_q(t, "read expunges", "SELECT uid FROM expunged WHERE store_id = $1 AND"
			 " mailbox_id = $2 AND modseq > $3 ORDER BY uid", params, 3, 0, &res);
		if (r != STORE_OK)
			return r;
		ch->expunged_count = pg_result_rows(res);
		if (ch->expunged_count > 0) {
			ch->expunged = xmalloc(ch->expunged_count * sizeof(*ch->expunged));
			for (uint32_t i = 0; i < ch->expunged_count; i++)
				ch->expunged[i] = (uint32_t)pg_col_int(res, i, 0);
		}
		pg_result_free(&res);
	}
	return pg_keywords_load(t, mb.id, &ch->keywords, &ch->keyword_count);
}

enum store_result pg_mailbox_changes(struct store *store, const char *name,
				     uint32_t uidvalidity, uint64_t since,
				     struct store_changes *changes_r)
{
	struct pg_txn t;
	enum store_result r;

	memset(changes_r, 0, sizeof(*changes_r));
	r = pg_txn_open(pg_store(store), false, &t);
	if (r != STORE_OK)
		return r;
	r = pg_txn_close(&t, pg_changes(&t, name, uidvalidity, since, changes_r));
	if (r != STORE_OK)
		store_changes_free(changes_r);
	return r;
}

static enum store_result pg_get(struct pg_txn *t, const char *name, uint32_t uidvalidity,
				const char *uid_array, struct store_changes *out)
{
	struct pg_mailbox mb;
	enum store_result r = pg_mailbox_load_checked(t, name, uidvalidity, &mb);

	if (r != STORE_OK)
		return r;
	out->uidnext = mb.uidnext;
	out->highestmodseq = mb.highestmodseq;
	r = pg_messages_where(t, mb.id, "m.uid = ANY ($4::bigint[])", uid_array, &out->changed,
			      &out->changed_count);
	if (r == STORE_OK)
		r = pg_keywords_load(t, mb.id, &out->keywords, &out->keyword_count);
	return r;
}

enum store_result pg_messages_get(struct store *store, const char *name,
				  uint32_t uidvalidity, const uint32_t *uids,
				  uint32_t uid_count, struct store_changes *messages_r)
{
	struct pg_txn t;
	char *array;
	enum store_result r;

	memset(messages_r, 0, sizeof(*messages_r));
	if (uids == NULL && uid_count > 0)
		return STORE_INVALID;
	/* The UIDs as one array parameter: one statement however many, the
	 * rows come back in UID order and once each (duplicates match once). */
	array = pg_uid_array(uids, uid_count);
	r = pg_txn_open(pg_store(store), false, &t);
	if (r == STORE_OK)
		r = pg_txn_close(&t, pg_get(&t, name, uidvalidity, array, messages_r));
	free(array);
	if (r != STORE_OK)
		store_changes_free(messages_r);
	return r;
}
