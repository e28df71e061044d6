/* APPEND and group commit on PostgreSQL, as sqlite-message.c's: one
 * writing transaction under the user's stores row lock (so UIDs and the
 * modseq are taken in order across nodes), quota checked inside it, the
 * bodies' rows written with their messages. */
#include "store/pg/pg-store.h"

#include <string.h>
#include <time.h>

#include "store/store-names.h"

/* *wrote_r: a row was written (a failure after it spoils the transaction;
 * one before it leaves the transaction as it was). As sq_append. */
static enum store_result pg_append(struct pg_txn *t, const char *name,
				   const struct store_append *msgs, unsigned int count,
				   uint32_t *uidvalidity_r, uint32_t *uids_r, bool *wrote_r)
{
	struct pg_store *st = t->st;
	struct pg_mailbox mb;
	char now[PG_NUM_LEN], modseq_text[PG_NUM_LEN];
	uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MESSAGE] = count };
	enum store_result r = pg_mailbox_load(t, name, &mb);

	if (r != STORE_OK)
		return r;
	if (mb.noselect)
		return STORE_NOT_ALLOWED;
	if ((uint64_t)mb.uidnext + count - 1 > STORE_UID_MAX)
		return STORE_LIMIT;
	for (unsigned int i = 0; i < count; i++)
		add[STORE_QUOTA_STORAGE] += pg_blob_size(pg_blob_of(msgs[i].blob));
	r = pg_quota_allows(t, add);
	if (r != STORE_OK)
		return r;
	pg_num(now, (int64_t)time(NULL));
	pg_num(modseq_text, (int64_t)pg_mailbox_next_modseq(&mb));
	*wrote_r = true;   /* keywords, blobs, messages from here on */
	for (unsigned int i = 0; r == STORE_OK && i < count; i++) {
		const struct store_append *m = &msgs[i];
		struct pg_blob *b = pg_blob_of(m->blob);
		char n[7][PG_NUM_LEN];
		uint64_t keywords, size;
		int64_t blob_id;

		/* The same blob twice in one call: refuse rather than share. */
		if (!pg_blob_usable(st, b)) {
			r = STORE_INVALID;
			break;
		}
		r = pg_keywords_mask(t, mb.id, m->keywords, m->keyword_count, true, &keywords);
		if (r == STORE_OK)
			r = pg_blob_insert(t, b, &blob_id, &size);
		if (r != STORE_OK)
			break;
		/* Another user's \Seen on what they append is theirs. */
		uint32_t raw = st->viewer != NULL ? m->flags & ~(uint32_t)STORE_FLAG_SEEN : m->flags;
		const struct pg_param params[] = {
			PG_TEXT(st->id_text), pg_num(n[0], mb.id), pg_num(n[1], mb.uidnext),
			pg_num(n[2], blob_id), pg_num(n[3], raw), pg_num(n[4], (int64_t)keywords),
			pg_num(n[5], (int64_t)m->internaldate),
			pg_num(n[6], m->internaldate_zone_min), PG_TEXT(now),
			PG_TEXT(modseq_text), PG_TEXT(st->viewer),
		};

		if (st->viewer != NULL && (m->flags & STORE_FLAG_SEEN)) {
			r = pg_q(t, "seen", "INSERT INTO seen (store_id, mailbox_id, viewer, uid)"
				 " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
				 (const struct pg_param[]){ params[0], params[1], params[10],
							     params[2] }, 4, 0, NULL);
			if (r != STORE_OK)
				break;
		}
		r = pg_q(t, "insert message", "INSERT INTO messages (store_id, mailbox_id, uid,"
			 " blob_id, flags, keywords, internaldate, internaldate_zone, savedate,"
			 " modseq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			 params, 10, 0, NULL);
		if (r != STORE_OK)
			break;
		pg_count_add(&mb, mb.uidnext, raw, size);
		uids_r[i] = mb.uidnext++;
	}
	if (r == STORE_OK)
		r = pg_mailbox_save(t, &mb);
	*uidvalidity_r = mb.uidvalidity;
	return r;
}

/* The arguments store_messages_append() refuses before any transaction. */
static enum store_result pg_append_valid(const struct pg_store *st, const char *name,
					 const struct store_append *messages, unsigned int count,
					 const uint32_t *uids_r)
{
	enum store_result r = store_mailbox_name_check(name);

	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	if (messages == NULL || count == 0 || uids_r == NULL)
		return STORE_INVALID;
	for (unsigned int i = 0; i < count; i++) {
		const struct store_append *m = &messages[i];

		if (!pg_blob_usable(st, pg_blob_of(m->blob)) || (m->flags & ~PG_ALL_FLAGS) != 0 ||
		    m->internaldate_zone_min < -PG_ZONE_MAX ||
		    m->internaldate_zone_min > PG_ZONE_MAX ||
		    !pg_keywords_valid(m->keywords, m->keyword_count))
			return STORE_INVALID;
	}
	return STORE_OK;
}

static void pg_settle_all(const struct store_append *messages, unsigned int count,
			  bool committed)
{
	for (unsigned int i = 0; i < count; i++)
		pg_blob_settle(pg_blob_of(messages[i].blob), committed);
}

enum store_result pg_messages_append(struct store *store, const char *name,
				     const struct store_append *messages, unsigned int count,
				     uint32_t *uidvalidity_r, uint32_t *uids_r)
{
	struct pg_store *st = pg_store(store);
	enum store_result r = pg_append_valid(st, name, messages, count, uids_r);
	struct pg_txn t;
	bool wrote = false;

	*uidvalidity_r = 0;
	if (r != STORE_OK)
		return r;
	r = pg_txn_open(st, true, &t);
	if (r != STORE_OK)
		return r;
	r = pg_txn_close(&t, pg_append(&t, name, messages, count, uidvalidity_r, uids_r,
				       &wrote));
	pg_settle_all(messages, count, r == STORE_OK);
	if (r != STORE_OK)
		*uidvalidity_r = 0;
	return r;
}

/* Group commit, as sq_messages_append_many: every set in one transaction
 * (one COMMIT, one WAL flush). A set refused before it wrote a row gets
 * its result and the rest go on; a failure after a row was written rolls
 * everything back and each set is tried again alone, so one bad set never
 * fails the others. A statement that failed inside the transaction
 * aborts it in PostgreSQL (no savepoints here), so "refused before
 * writing" means refused before any statement failed: pg_append's early
 * returns only read. */
enum store_result pg_messages_append_many(struct store *store, struct store_append_set *sets,
					  unsigned int count)
{
	struct pg_store *st = pg_store(store);
	struct pg_txn t;
	enum store_result r;
	unsigned int spoiler = count;   /* the set that failed after writing */

	for (unsigned int i = 0; i < count; i++) {
		sets[i].uidvalidity = 0;
		sets[i].result = pg_append_valid(st, sets[i].mailbox, sets[i].messages,
						 sets[i].count, sets[i].uids);
	}
	r = pg_txn_open(st, true, &t);
	if (r != STORE_OK) {
		for (unsigned int i = 0; i < count; i++) {
			if (sets[i].result == STORE_OK)
				sets[i].result = r;
		}
		return r;
	}
	for (unsigned int i = 0; i < count && spoiler == count; i++) {
		struct store_append_set *set = &sets[i];
		bool wrote = false;

		if (set->result != STORE_OK)
			continue;
		set->result = pg_append(&t, set->mailbox, set->messages, set->count,
					&set->uidvalidity, set->uids, &wrote);
		/* A failed statement (not one of pg_append's refusals) leaves
		 * the transaction aborted: it spoils it as a write does. */
		if (set->result != STORE_OK && (wrote || set->result == STORE_ERROR ||
						set->result == STORE_BUSY ||
						set->result == STORE_NO_SPACE))
			spoiler = i;
	}
	r = pg_txn_close(&t, spoiler < count ? STORE_ERROR : STORE_OK);
	for (unsigned int i = 0; i < count; i++) {
		if (sets[i].result != STORE_INVALID || i == spoiler)
			pg_settle_all(sets[i].messages, sets[i].count, r == STORE_OK);
	}
	if (r == STORE_OK)
		return STORE_OK;
	/* Rolled back: the sets it held, and those after the one that spoiled
	 * it, are tried again one by one, each in its own transaction. */
	for (unsigned int i = 0; i < count; i++) {
		struct store_append_set *set = &sets[i];

		if (set->result == STORE_OK || i == spoiler)
			set->result = pg_messages_append(store, set->mailbox, set->messages,
							 set->count, &set->uidvalidity,
							 set->uids);
		else
			set->uidvalidity = 0;
	}
	return STORE_OK;
}
