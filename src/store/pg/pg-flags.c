/* STORE and EXPUNGE on PostgreSQL, as sqlite-message.c's: each one
 * writing transaction under the user's lock that takes one new modseq for
 * its mailbox and keeps the mailbox's counters exact. The messages are
 * read with one statement and written with one (arrays of UIDs), not one
 * round trip per message. */
#include "store/pg/pg-store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/store-names.h"


/* ---- lists ---- */

struct pg_uid_list {
	uint32_t *uids;
	uint32_t count, alloc;
};

static void pg_uid_push(struct pg_uid_list *l, uint32_t uid)
{
	if (l->count == l->alloc) {
		l->alloc = l->alloc == 0 ? 64 : l->alloc * 2;
		l->uids = xrealloc(l->uids, l->alloc * sizeof(*l->uids));
	}
	l->uids[l->count++] = uid;
}

/* An array literal of int64 values, growing ("{1,-2}" when closed). */
struct pg_int_array {
	char *text;
	size_t len, alloc;
	unsigned int count;
};

static void pg_int_array_push(struct pg_int_array *a, int64_t v)
{
	if (a->alloc - a->len < PG_NUM_LEN + 2) {
		a->alloc = a->alloc == 0 ? 256 : a->alloc * 2;
		a->text = xrealloc(a->text, a->alloc);
	}
	a->len += (size_t)snprintf(a->text + a->len, a->alloc - a->len, "%c%" PRId64,
				   a->count == 0 ? '{' : ',', v);
	a->count++;
}

static const char *pg_int_array_close(struct pg_int_array *a)
{
	if (a->count == 0)
		return "{}";
	snprintf(a->text + a->len, a->alloc - a->len, "}");   /* push left room for it */
	return a->text;
}

/* ---- counters (as sq_count_flags, sq_count_remove) ---- */

static void pg_count_flags(struct pg_mailbox *mb, uint32_t old_flags, uint32_t new_flags)
{
	uint32_t diff = old_flags ^ new_flags;

	if (diff & STORE_FLAG_SEEN) {
		if (new_flags & STORE_FLAG_SEEN)
			mb->unseen--;
		else
			mb->unseen++;
	}
	if (diff & STORE_FLAG_DELETED) {
		if (new_flags & STORE_FLAG_DELETED)
			mb->deleted++;
		else
			mb->deleted--;
	}
}

void pg_count_add(struct pg_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size)
{
	mb->messages++;
	mb->size += size;
	if ((flags & STORE_FLAG_SEEN) == 0)
		mb->unseen++;
	if ((flags & STORE_FLAG_DELETED) != 0)
		mb->deleted++;
	if (uid >= mb->recent_uid)
		mb->recent++;
}

void pg_count_remove(struct pg_mailbox *mb, uint32_t uid, uint32_t flags, uint64_t size)
{
	mb->messages--;
	mb->size -= size;
	if ((flags & STORE_FLAG_SEEN) == 0)
		mb->unseen--;
	if ((flags & STORE_FLAG_DELETED) != 0)
		mb->deleted--;
	if (uid >= mb->recent_uid)
		mb->recent--;
}

/* ---- keywords ---- */

/* The mask for names; with create, unknown ones are added to the
 * mailbox (STORE_LIMIT past STORE_KEYWORDS_PER_MAILBOX), otherwise left
 * out (nothing has them). As sq_keywords_mask. */
enum store_result pg_keywords_mask(struct pg_txn *t, int64_t mailbox_id,
					  const char *const *names, unsigned int count,
					  bool create, uint64_t *mask_r)
{
	char **kw = NULL;
	unsigned int kw_count = 0;
	enum store_result r = pg_keywords_load(t, mailbox_id, &kw, &kw_count);

	*mask_r = 0;
	for (unsigned int i = 0; r == STORE_OK && i < count; i++) {
		unsigned int bit = 0;

		while (bit < kw_count && !store_keyword_eq(kw[bit], names[i]))
			bit++;
		if (bit == kw_count && !create)
			continue;
		if (bit == kw_count) {
			char box[PG_NUM_LEN], num[PG_NUM_LEN];
			const struct pg_param params[] = {
				PG_TEXT(t->st->id_text), pg_num(box, mailbox_id), pg_num(num, bit),
				PG_TEXT(names[i]),
			};

			if (kw_count >= STORE_KEYWORDS_PER_MAILBOX) {
				r = STORE_LIMIT;
				break;
			}
			r = pg_q(t, "add keyword", "INSERT INTO keywords (store_id, mailbox_id, bit,"
				 " name) VALUES ($1, $2, $3, $4)", params, 4, 0, NULL);
			if (r != STORE_OK)
				break;
			kw = xrealloc(kw, (kw_count + 1) * sizeof(*kw));
			kw[kw_count++] = xstrdup(names[i]);
		}
		*mask_r |= (uint64_t)1 << bit;
	}
	for (unsigned int i = 0; i < kw_count; i++)
		free(kw[i]);
	free(kw);
	return r;
}

bool pg_keywords_valid(const char *const *names, unsigned int count)
{
	if (count > 0 && names == NULL)
		return false;
	for (unsigned int i = 0; i < count; i++) {
		if (!store_keyword_valid(names[i]))
			return false;
	}
	return true;
}

/* ---- STORE ---- */

struct pg_flag_writes {
	struct pg_int_array uids, flags, keywords;
	struct pg_int_array seen_add, seen_remove;   /* the viewer's \Seen */
};

static void pg_flag_writes_free(struct pg_flag_writes *w)
{
	free(w->uids.text);
	free(w->flags.text);
	free(w->keywords.text);
	free(w->seen_add.text);
	free(w->seen_remove.text);
}

static enum store_result pg_flag_writes_run(struct pg_txn *t, int64_t mailbox_id,
					    uint64_t modseq, struct pg_flag_writes *w)
{
	char box[PG_NUM_LEN], num[PG_NUM_LEN];
	enum store_result r = STORE_OK;

	if (w->seen_add.count > 0 || w->seen_remove.count > 0) {
		const struct pg_param params[] = {
			PG_TEXT(t->st->id_text), pg_num(box, mailbox_id), PG_TEXT(t->st->viewer),
			PG_TEXT(pg_int_array_close(&w->seen_add)),
			PG_TEXT(pg_int_array_close(&w->seen_remove)),
		};

		r = pg_q(t, "seen", "INSERT INTO seen (store_id, mailbox_id, viewer, uid)"
			 " SELECT $1, $2, $3, unnest($4::bigint[]) ON CONFLICT DO NOTHING",
			 params, 4, 0, NULL);
		if (r == STORE_OK)
			r = pg_q(t, "seen", "DELETE FROM seen WHERE store_id = $1 AND"
				 " mailbox_id = $2 AND viewer = $3 AND uid = ANY ($4::bigint[])",
				 (const struct pg_param[]){ params[0], params[1], params[2],
							     params[4] }, 4, 0, NULL);
	}
	if (r != STORE_OK || w->uids.count == 0)
		return r;
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, mailbox_id), pg_num(num, (int64_t)modseq),
		PG_TEXT(pg_int_array_close(&w->uids)), PG_TEXT(pg_int_array_close(&w->flags)),
		PG_TEXT(pg_int_array_close(&w->keywords)),
	};

	return pg_q(t, "write flags", "UPDATE messages m SET flags = u.flags, keywords ="
		    " u.keywords, modseq = $3 FROM unnest($4::bigint[], $5::integer[],"
		    " $6::bigint[]) AS u (uid, flags, keywords) WHERE m.store_id = $1 AND"
		    " m.mailbox_id = $2 AND m.uid = u.uid", params, 6, 0, NULL);
}

static enum store_result pg_set_flags(struct pg_txn *t, struct pg_mailbox *mb,
				      const uint32_t *uids, uint32_t uid_count,
				      const struct store_flag_change *c,
				      struct pg_uid_list *modified)
{
	struct pg_store *st = t->st;
	char box[PG_NUM_LEN];
	char *array = pg_uid_array(uids, uid_count);
	const struct pg_param params[] = {
		PG_TEXT(st->id_text), pg_num(box, mb->id), PG_TEXT(st->viewer), PG_TEXT(array),
	};
	struct pg_flag_writes w = { 0 };
	struct pg_result *res = NULL;
	uint64_t kmask, modseq = mb->highestmodseq + 1;
	enum store_result r;

	r = pg_keywords_mask(t, mb->id, c->keywords, c->keyword_count,
			     c->op != STORE_FLAGS_REMOVE, &kmask);
	if (r == STORE_OK)
		r = pg_q(t, "read flags", "SELECT m.uid, " PG_FLAGS ", m.keywords, m.modseq,"
			 " m.flags FROM messages m WHERE m.store_id = $1 AND m.mailbox_id = $2"
			 " AND m.uid = ANY ($4::bigint[]) ORDER BY m.uid", params, 4, 0, &res);
	free(array);
	/* UIDs not found were expunged meanwhile: RFC 9051 §6.4.6 ignores them. */
	for (unsigned int i = 0; r == STORE_OK && i < pg_result_rows(res); i++) {
		uint32_t uid = (uint32_t)pg_col_int(res, i, 0);
		uint32_t flags = (uint32_t)pg_col_int(res, i, 1);      /* as the viewer sees them */
		uint64_t keywords = (uint64_t)pg_col_int(res, i, 2);
		uint64_t old_modseq = (uint64_t)pg_col_int(res, i, 3);
		uint32_t raw = (uint32_t)pg_col_int(res, i, 4), nflags, nraw;   /* the owner's */
		uint64_t nkeywords;

		/* RFC 7162 §3.1.3: changed since the client looked: leave it. */
		if (c->conditional && old_modseq > c->unchangedsince) {
			pg_uid_push(modified, uid);
			continue;
		}
		switch (c->op) {
		case STORE_FLAGS_SET:
			nflags = c->flags;
			nkeywords = kmask;
			break;
		case STORE_FLAGS_ADD:
			nflags = flags | c->flags;
			nkeywords = keywords | kmask;
			break;
		default:
			nflags = flags & ~c->flags;
			nkeywords = keywords & ~kmask;
			break;
		}
		if (nflags == flags && nkeywords == keywords)
			continue;
		/* Another user's \Seen is theirs; the owner's stays. The modseq
		 * moves either way. */
		nraw = nflags;
		if (st->viewer != NULL) {
			nraw = (nflags & ~(uint32_t)STORE_FLAG_SEEN) | (raw & STORE_FLAG_SEEN);
			if ((nflags ^ flags) & STORE_FLAG_SEEN)
				pg_int_array_push((nflags & STORE_FLAG_SEEN) != 0 ? &w.seen_add :
						  &w.seen_remove, uid);
		}
		pg_int_array_push(&w.uids, uid);
		pg_int_array_push(&w.flags, nraw);
		pg_int_array_push(&w.keywords, (int64_t)nkeywords);
		pg_count_flags(mb, raw, nraw);
		pg_mailbox_next_modseq(mb);
	}
	if (res != NULL)
		pg_result_free(&res);
	if (r == STORE_OK)
		r = pg_flag_writes_run(t, mb->id, modseq, &w);
	pg_flag_writes_free(&w);
	if (r == STORE_OK && mb->changed)
		r = pg_mailbox_save(t, mb);
	return r;
}

enum store_result pg_messages_set_flags(struct store *store, const char *name,
					uint32_t uidvalidity, const uint32_t *uids,
					uint32_t uid_count,
					const struct store_flag_change *change,
					uint32_t **modified_r, uint32_t *modified_count_r)
{
	struct pg_uid_list modified = { 0 };
	struct pg_mailbox mb;
	struct pg_txn t;
	uint32_t *sorted, count;
	enum store_result r;

	*modified_r = NULL;
	*modified_count_r = 0;
	if (change == NULL || (uids == NULL && uid_count > 0) ||
	    (change->op != STORE_FLAGS_SET && change->op != STORE_FLAGS_ADD &&
	     change->op != STORE_FLAGS_REMOVE) ||
	    (change->flags & ~PG_ALL_FLAGS) != 0 ||
	    !pg_keywords_valid(change->keywords, change->keyword_count))
		return STORE_INVALID;
	r = pg_txn_open(pg_store(store), true, &t);
	if (r != STORE_OK)
		return r;
	r = pg_mailbox_load_checked(&t, name, uidvalidity, &mb);
	if (r != STORE_OK)
		return pg_txn_close(&t, r);
	sorted = pg_uids_sorted(uids, uid_count, &count);
	r = pg_txn_close(&t, pg_set_flags(&t, &mb, sorted, count, change, &modified));
	free(sorted);
	if (r != STORE_OK) {
		free(modified.uids);
		return r;
	}
	*modified_r = modified.uids;
	*modified_count_r = modified.count;
	return STORE_OK;
}

/* ---- EXPUNGE ---- */

static enum store_result pg_expunge(struct pg_txn *t, struct pg_mailbox *mb,
				    const uint32_t *uids, uint32_t uid_count,
				    struct pg_uid_list *out)
{
	char box[PG_NUM_LEN], num[PG_NUM_LEN];
	char *array = uids != NULL ? pg_uid_array(uids, uid_count) : NULL;
	const struct pg_param params[] = {
		PG_TEXT(t->st->id_text), pg_num(box, mb->id), PG_TEXT(array),
	};
	struct pg_result *res;
	char *gone;
	enum store_result r;

	if (mb->deleted == 0) {
		free(array);
		return STORE_OK;
	}
	/* The owner's \Deleted decides (as sq_expunge). */
	r = pg_q(t, "find deleted", "SELECT m.uid, m.flags, coalesce(b.size, 0) FROM messages m"
		 " LEFT JOIN blobs b ON b.store_id = m.store_id AND b.id = m.blob_id"
		 " WHERE m.store_id = $1 AND m.mailbox_id = $2 AND m.flags & 8 <> 0 AND"
		 " ($3::bigint[] IS NULL OR m.uid = ANY ($3::bigint[])) ORDER BY m.uid",
		 params, 3, 0, &res);
	free(array);
	if (r != STORE_OK)
		return r;
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		uint32_t uid = (uint32_t)pg_col_int(res, i, 0);

		pg_count_remove(mb, uid, (uint32_t)pg_col_int(res, i, 1),
				(uint64_t)pg_col_int(res, i, 2));
		pg_mailbox_next_modseq(mb);
		pg_uid_push(out, uid);
	}
	pg_result_free(&res);
	if (out->count == 0)
		return STORE_OK;
	gone = pg_uid_array(out->uids, out->count);
	const struct pg_param rec[] = {
		PG_TEXT(t->st->id_text), pg_num(box, mb->id), PG_TEXT(gone),
		pg_num(num, (int64_t)mb->highestmodseq + 1),
	};

	r = pg_messages_delete(t, mb->id, gone);
	if (r == STORE_OK)
		r = pg_q(t, "delete seen", "DELETE FROM seen WHERE store_id = $1 AND"
			 " mailbox_id = $2 AND uid = ANY ($3::bigint[])", rec, 3, 0, NULL);
	if (r == STORE_OK)
		r = pg_q(t, "record expunges", "INSERT INTO expunged (store_id, mailbox_id, uid,"
			 " modseq) SELECT $1, $2, unnest($3::bigint[]), $4 ON CONFLICT (store_id,"
			 " mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq", rec, 4, 0, NULL);
	free(gone);
	if (r == STORE_OK)
		r = pg_mailbox_save(t, mb);
	return r;
}

enum store_result pg_messages_expunge(struct store *store, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, uint32_t **expunged_r,
				      uint32_t *expunged_count_r)
{
	struct pg_uid_list out = { 0 };
	struct pg_mailbox mb;
	struct pg_txn t;
	uint32_t *sorted = NULL, count = 0;
	enum store_result r;

	*expunged_r = NULL;
	*expunged_count_r = 0;
	r = pg_txn_open(pg_store(store), true, &t);
	if (r != STORE_OK)
		return r;
	r = pg_mailbox_load_checked(&t, name, uidvalidity, &mb);
	if (r != STORE_OK)
		return pg_txn_close(&t, r);
	if (uids != NULL)
		sorted = pg_uids_sorted(uids, uid_count, &count);
	r = pg_txn_close(&t, pg_expunge(&t, &mb, sorted, count, &out));
	free(sorted);
	if (r != STORE_OK) {
		free(out.uids);
		return r;
	}
	*expunged_r = out.uids;
	*expunged_count_r = out.count;
	return STORE_OK;
}
