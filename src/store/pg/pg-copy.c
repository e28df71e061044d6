/* COPY and MOVE on PostgreSQL, as sq_messages_copy: one writing
 * transaction under the user's lock; the target takes one new modseq
 * (the source another for MOVE's expunges, RFC 6851 §3.3), keywords are
 * mapped by name, COPY adds a body reference (no bytes copied) and
 * counts against quota, MOVE hands the reference over. */
#include "store/pg/pg-store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "store/store-names.h"

struct pg_copy_row {
	uint32_t uid;
	uint32_t flags;            /* the owner's (messages.flags) */
	uint32_t viewer_flags;     /* as the viewer sees them */
	uint64_t keywords;
	int64_t blob_id;
	int64_t internaldate;
	int64_t zone;
	uint64_t size;
};

struct pg_copy {
	struct pg_mailbox from, to_mb;
	struct pg_mailbox *to;     /* &to_mb, or &from when copying into itself */
	char **from_kw, **to_kw;
	unsigned int from_kw_count, to_kw_count;
	bool same;                 /* to_kw is from_kw */
	int map[STORE_KEYWORDS_PER_MAILBOX];   /* source bit -> target bit, -1: not yet */
	struct pg_copy_row *rows;
	uint32_t count;
};

static void pg_names_free(char **names, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* The target's bit for a source keyword name, added when it has none. */
static enum store_result pg_copy_keyword_bit(struct pg_txn *t, struct pg_copy *c,
					     const char *name, unsigned int *bit_r)
{
	char ***names = c->same ? &c->from_kw : &c->to_kw;
	unsigned int *count = c->same ? &c->from_kw_count : &c->to_kw_count;
	char box[PG_NUM_LEN], num[PG_NUM_LEN];
	enum store_result r;

	for (unsigned int i = 0; i < *count; i++) {
		if (store_keyword_eq((*names)[i], name)) {
			*bit_r = i;
			return STORE_OK;
		}
	}
	if (*count >= STORE_KEYWORDS_PER_MAILBOX)
		return STORE_LIMIT;
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, c->to->id), pg_num(num, *count), PG_TEXT(name),
	};

	r = pg_q(t, "add keyword", "INSERT INTO keywords (store_id, mailbox_id, bit, name)"
		 " VALUES ($1, $2, $3, $4)", params, 4, 0, NULL);
	if (r != STORE_OK)
		return r;
	*names = xrealloc(*names, (*count + 1) * sizeof(**names));
	(*names)[*count] = xstrdup(name);
	*bit_r = (*count)++;
	return STORE_OK;
}

static enum store_result pg_copy_keywords(struct pg_txn *t, struct pg_copy *c, uint64_t in,
					  uint64_t *out)
{
	*out = 0;
	for (unsigned int bit = 0; in != 0 && bit < STORE_KEYWORDS_PER_MAILBOX; bit++) {
		uint64_t m = (uint64_t)1 << bit;

		if (!(in & m))
			continue;
		in &= ~m;
		if (bit >= c->from_kw_count)
			continue;     /* a bit with no name: nothing to carry */
		if (c->map[bit] < 0) {
			unsigned int tbit;
			enum store_result r = pg_copy_keyword_bit(t, c, c->from_kw[bit], &tbit);

			if (r != STORE_OK)
				return r;
			c->map[bit] = (int)tbit;
		}
		*out |= (uint64_t)1 << c->map[bit];
	}
	return STORE_OK;
}

static enum store_result pg_copy_rows(struct pg_txn *t, struct pg_copy *c, const uint32_t *uids,
				      uint32_t uid_count)
{
	char box[PG_NUM_LEN];
	char *array = pg_uid_array(uids, uid_count);
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, c->from.id), PG_TEXT(t->st->viewer),
		PG_TEXT(array),
	};
	struct pg_result *res;
	enum store_result r;

	r = pg_q(t, "read messages", "SELECT m.uid, m.flags, m.keywords, m.blob_id,"
		 " m.internaldate, m.internaldate_zone, b.size, " PG_FLAGS " FROM messages m"
		 " JOIN blobs b ON b.store_id = m.store_id AND b.id = m.blob_id WHERE"
		 " m.store_id = $1 AND m.mailbox_id = $2 AND m.uid = ANY ($4::bigint[])"
		 " ORDER BY m.uid", params, 4, 0, &res);
	free(array);
	if (r != STORE_OK)
		return r;
	c->rows = xmalloc((pg_result_rows(res) > 0 ? pg_result_rows(res) : 1) * sizeof(*c->rows));
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		struct pg_copy_row *row = &c->rows[c->count++];

		row->uid = (uint32_t)pg_col_int(res, i, 0);
		row->flags = (uint32_t)pg_col_int(res, i, 1);
		row->keywords = (uint64_t)pg_col_int(res, i, 2);
		row->blob_id = pg_col_int(res, i, 3);
		row->internaldate = pg_col_int(res, i, 4);
		row->zone = pg_col_int(res, i, 5);
		row->size = (uint64_t)pg_col_int(res, i, 6);
		row->viewer_flags = (uint32_t)pg_col_int(res, i, 7);
	}
	pg_result_free(&res);
	return STORE_OK;
}

static enum store_result pg_copy_insert(struct pg_txn *t, struct pg_copy *c,
					const struct pg_copy_row *row, uint32_t uid,
					uint64_t keywords, const char *now, const char *modseq,
					bool move)
{
	char n[7][PG_NUM_LEN];
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(n[0], c->to->id), pg_num(n[1], uid),
		pg_num(n[2], row->blob_id), pg_num(n[3], row->flags),
		pg_num(n[4], (int64_t)keywords), pg_num(n[5], row->internaldate),
		pg_num(n[6], row->zone), PG_TEXT(now), PG_TEXT(modseq), PG_TEXT(t->st->viewer),
	};
	enum store_result r;

	/* SAVEDATE (RFC 8514) is now; the rest is the source's. */
	r = pg_q(t, "copy message", "INSERT INTO messages (store_id, mailbox_id, uid, blob_id,"
		 " flags, keywords, internaldate, internaldate_zone, savedate, modseq) VALUES"
		 " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", params, 10, 0, NULL);
	/* The copy keeps the viewer's \Seen as well as the owner's. */
	if (r == STORE_OK && t->st->viewer != NULL && (row->viewer_flags & STORE_FLAG_SEEN))
		r = pg_q(t, "seen", "INSERT INTO seen (store_id, mailbox_id, viewer, uid)"
			 " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
			 (const struct pg_param[]){ params[0], params[1], params[10], params[2] },
			 4, 0, NULL);
	/* MOVE hands the reference over; COPY adds one (no bytes copied). */
	if (r == STORE_OK && !move)
		r = pg_q(t, "reference blob", "UPDATE blobs SET refcount = refcount + 1 WHERE"
			 " store_id = $1 AND id = $2", (const struct pg_param[]){ params[0], params[3] },
			 2, 0, NULL);
	return r;
}

/* MOVE's source side: the rows go (their bodies now the target's), each
 * recorded as expunged at modseq. */
static enum store_result pg_copy_remove(struct pg_txn *t, struct pg_copy *c, uint64_t modseq)
{
	char box[PG_NUM_LEN], num[PG_NUM_LEN];
	uint32_t *uids = xmalloc(c->count * sizeof(*uids));
	char *array;
	enum store_result r;

	for (uint32_t i = 0; i < c->count; i++) {
		uids[i] = c->rows[i].uid;
		pg_count_remove(&c->from, c->rows[i].uid, c->rows[i].flags, c->rows[i].size);
	}
	array = pg_uid_array(uids, c->count);
	free(uids);
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, c->from.id), PG_TEXT(array),
		pg_num(num, (int64_t)modseq),
	};

	r = pg_q(t, "move messages", "DELETE FROM messages WHERE store_id = $1 AND"
		 " mailbox_id = $2 AND uid = ANY ($3::bigint[])", params, 3, 0, NULL);
	if (r == STORE_OK)
		r = pg_q(t, "delete seen", "DELETE FROM seen WHERE store_id = $1 AND"
			 " mailbox_id = $2 AND uid = ANY ($3::bigint[])", params, 3, 0, NULL);
	if (r == STORE_OK)
		r = pg_q(t, "record expunges", "INSERT INTO expunged (store_id, mailbox_id, uid,"
			 " modseq) SELECT $1, $2, unnest($3::bigint[]), $4 ON CONFLICT (store_id,"
			 " mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq", params, 4, 0,
			 NULL);
	free(array);
	return r;
}

static enum store_result pg_copy(struct pg_txn *t, struct pg_copy *c, const uint32_t *uids,
				 uint32_t uid_count, bool move, struct store_copy_result *res)
{
	char now[PG_NUM_LEN], dmodseq[PG_NUM_LEN];
	enum store_result r;

	for (int i = 0; i < STORE_KEYWORDS_PER_MAILBOX; i++)
		c->map[i] = -1;
	r = pg_copy_rows(t, c, uids, uid_count);
	if (r != STORE_OK)
		return r;
	res->dest_uidvalidity = c->to->uidvalidity;
	if (c->count == 0)
		return STORE_OK;
	if ((uint64_t)c->to->uidnext + c->count - 1 > STORE_UID_MAX)
		return STORE_LIMIT;
	if (!move) {
		/* COPY adds messages (MOVE within the store adds none). */
		uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MESSAGE] = c->count };

		for (uint32_t i = 0; i < c->count; i++)
			add[STORE_QUOTA_STORAGE] += c->rows[i].size;
		r = pg_quota_allows(t, add);
		if (r != STORE_OK)
			return r;
	}
	r = pg_keywords_load(t, c->from.id, &c->from_kw, &c->from_kw_count);
	if (r != STORE_OK)
		return r;
	c->same = c->to == &c->from;
	if (!c->same) {
		r = pg_keywords_load(t, c->to->id, &c->to_kw, &c->to_kw_count);
		if (r != STORE_OK)
			return r;
	}
	res->src_uids = xmalloc(c->count * sizeof(uint32_t));
	res->dest_uids = xmalloc(c->count * sizeof(uint32_t));
	pg_num(now, (int64_t)time(NULL));
	pg_num(dmodseq, (int64_t)pg_mailbox_next_modseq(c->to));
	for (uint32_t i = 0; i < c->count; i++) {
		const struct pg_copy_row *row = &c->rows[i];
		uint32_t uid = c->to->uidnext++;
		uint64_t keywords;

		r = pg_copy_keywords(t, c, row->keywords, &keywords);
		if (r == STORE_OK)
			r = pg_copy_insert(t, c, row, uid, keywords, now, dmodseq, move);
		if (r != STORE_OK)
			return r;
		pg_count_add(c->to, uid, row->flags, row->size);
		res->src_uids[i] = row->uid;
		res->dest_uids[i] = uid;
		res->count = i + 1;
	}
	if (move) {
		/* RFC 6851 §3.3: the source learns of it as an expunge. */
		r = pg_copy_remove(t, c, pg_mailbox_next_modseq(&c->from));
		if (r != STORE_OK)
			return r;
	}
	r = pg_mailbox_save(t, c->to);
	if (r == STORE_OK && c->to != &c->from && c->from.changed)
		r = pg_mailbox_save(t, &c->from);
	return r;
}

enum store_result pg_messages_copy(struct store *store, const char *from, uint32_t uidvalidity,
				   const uint32_t *uids, uint32_t uid_count, const char *to,
				   bool move, struct store_copy_result *result_r)
{
	struct pg_copy c;
	struct pg_txn t;
	uint32_t *sorted, count;
	enum store_result r;

	memset(result_r, 0, sizeof(*result_r));
	if (uids == NULL && uid_count > 0)
		return STORE_INVALID;
	r = store_mailbox_name_check(to);
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	memset(&c, 0, sizeof(c));
	r = pg_txn_open(pg_store(store), true, &t);
	if (r != STORE_OK)
		return r;
	r = pg_mailbox_load_checked(&t, from, uidvalidity, &c.from);
	if (r != STORE_OK)
		return pg_txn_close(&t, r);
	r = pg_mailbox_load(&t, to, &c.to_mb);
	if (r == STORE_NOT_FOUND)
		result_r->to_missing = true;
	else if (r == STORE_OK && c.to_mb.noselect)
		r = STORE_NOT_ALLOWED;
	if (r != STORE_OK)
		return pg_txn_close(&t, r);
	c.to = c.to_mb.id == c.from.id ? &c.from : &c.to_mb;
	sorted = pg_uids_sorted(uids, uid_count, &count);
	r = pg_txn_close(&t, pg_copy(&t, &c, sorted, count, move, result_r));
	free(sorted);
	free(c.rows);
	pg_names_free(c.from_kw, c.from_kw_count);
	pg_names_free(c.to_kw, c.to_kw_count);
	if (r != STORE_OK) {
		bool missing = result_r->to_missing;

		store_copy_result_free(result_r);
		result_r->to_missing = missing;
	}
	return r;
}
