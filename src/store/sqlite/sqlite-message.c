/* Messages of the SQLite store: the SELECT snapshot, CONDSTORE/QRESYNC
 * changes, STORE, EXPUNGE, COPY/MOVE and APPEND. Each change is one
 * IMMEDIATE transaction that takes one new modseq for its mailbox and keeps
 * the mailbox's counters exact; nothing is remembered between calls. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

#define SQ_ZONE_MAX (100 * 60 - 1)   /* RFC 9051 zone: +/-HHMM */

/* ---- keyword lists ---- */

struct sq_keywords {
	int64_t mailbox_id;
	char *names[STORE_KEYWORDS_PER_MAILBOX];
	unsigned int count;
};

static void sq_keywords_free(struct sq_keywords *kw)
{
	for (unsigned int i = 0; i < kw->count; i++)
		free(kw->names[i]);
	kw->count = 0;
}

static enum store_result sq_keywords_load(struct sq_store *st, int64_t mailbox_id,
					  struct sq_keywords *kw)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_KW_LIST);
	int rc;

	memset(kw, 0, sizeof(*kw));
	kw->mailbox_id = mailbox_id;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t bit = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);

		/* Bits are given out densely from 0 and never taken back. */
		if (bit != (int64_t)kw->count || bit >= STORE_KEYWORDS_PER_MAILBOX || name == NULL) {
			sqlite3_reset(s);
			sq_keywords_free(kw);
			log_error("store %s: keyword list of mailbox %lld is damaged", st->user,
				  (long long)mailbox_id);
			return STORE_CORRUPT;
		}
		kw->names[kw->count++] = xstrdup(name);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		sq_keywords_free(kw);
		return sq_fail(st, rc, "load keywords");
	}
	return STORE_OK;
}

static int sq_keywords_find(const struct sq_keywords *kw, const char *name)
{
	for (unsigned int i = 0; i < kw->count; i++) {
		if (store_keyword_eq(kw->names[i], name))
			return (int)i;
	}
	return -1;
}

static enum store_result sq_keywords_add(struct sq_store *st, struct sq_keywords *kw,
					 const char *name, unsigned int *bit_r)
{
	int bit = sq_keywords_find(kw, name);
	sqlite3_stmt *s;
	enum store_result r;

	if (bit >= 0) {
		*bit_r = (unsigned int)bit;
		return STORE_OK;
	}
	if (kw->count >= STORE_KEYWORDS_PER_MAILBOX)
		return STORE_LIMIT;
	s = sq_stmt(st, SQ_KW_ADD);
	sqlite3_bind_int64(s, 1, kw->mailbox_id);
	sqlite3_bind_int(s, 2, (int)kw->count);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	r = sq_run(st, s, "add keyword");
	if (r != STORE_OK)
		return r;
	*bit_r = kw->count;
	kw->names[kw->count++] = xstrdup(name);
	return STORE_OK;
}

/* The mask for a list of keyword names; with create, unknown ones are
 * added to the mailbox, otherwise they are left out (nothing has them). */
static enum store_result sq_keywords_mask(struct sq_store *st, struct sq_keywords *kw,
					  const char *const *names, unsigned int count,
					  bool create, uint64_t *mask_r)
{
	*mask_r = 0;
	for (unsigned int i = 0; i < count; i++) {
		unsigned int bit;

		if (create) {
			enum store_result r = sq_keywords_add(st, kw, names[i], &bit);

			if (r != STORE_OK)
				return r;
		} else {
			int found = sq_keywords_find(kw, names[i]);

			if (found < 0)
				continue;
			bit = (unsigned int)found;
		}
		*mask_r |= (uint64_t)1 << bit;
	}
	return STORE_OK;
}

static bool sq_keywords_valid(const char *const *names, unsigned int count)
{
	if (count > 0 && names == NULL)
		return false;
	for (unsigned int i = 0; i < count; i++) {
		if (!store_keyword_valid(names[i]))
			return false;
	}
	return true;
}

/* Hands the names over to a caller's array (keywords[i] is bit i). */
static void sq_keywords_give(struct sq_keywords *kw, char ***names_r, unsigned int *count_r)
{
	*count_r = kw->count;
	*names_r = NULL;
	if (kw->count > 0) {
		*names_r = xmalloc(kw->count * sizeof(char *));
		memcpy(*names_r, kw->names, kw->count * sizeof(char *));
	}
	kw->count = 0;
}

/* ---- UID lists ---- */

static int sq_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int sq_message_cmp(const void *a, const void *b)
{
	return sq_uid_cmp(&((const struct store_message *)a)->uid,
			  &((const struct store_message *)b)->uid);
}

/* A sorted copy of uids without duplicates. */
static uint32_t *sq_uids_sorted(const uint32_t *uids, uint32_t count, uint32_t *count_r)
{
	uint32_t *out = xmalloc((count > 0 ? count : 1) * sizeof(*out));
	uint32_t n = 0;

	if (count > 0)
		memcpy(out, uids, count * sizeof(*out));
	qsort(out, count, sizeof(*out), sq_uid_cmp);
	for (uint32_t i = 0; i < count; i++) {
		if (n == 0 || out[n - 1] != out[i])
			out[n++] = out[i];
	}
	*count_r = n;
	return out;
}

struct sq_uid_list {
	uint32_t *uids;
	uint32_t count, alloc;
};

static void sq_uid_push(struct sq_uid_list *l, uint32_t uid)
{
	if (l->count == l->alloc) {
		l->alloc = l->alloc == 0 ? 64 : l->alloc * 2;
		l->uids = xrealloc(l->uids, l->alloc * sizeof(*l->uids));
	}
	l->uids[l->count++] = uid;
}

/* ---- reading ---- */

static void sq_message_read(sqlite3_stmt *s, struct store_message *m)
{
	m->uid = (uint32_t)sqlite3_column_int64(s, 0);
	m->flags = (uint32_t)sqlite3_column_int64(s, 1);
	m->keywords = (uint64_t)sqlite3_column_int64(s, 2);
	m->modseq = (uint64_t)sqlite3_column_int64(s, 3);
}

static enum store_result sq_snapshot(struct sq_store *st, const char *name, bool claim_recent,
				     struct store_snapshot *snap)
{
	struct sq_mailbox mb;
	struct sq_keywords kw;
	uint32_t alloc;
	sqlite3_stmt *s;
	enum store_result r = sq_mailbox_load(st, name, &mb);
	int rc;

	if (r != STORE_OK)
		return r;
	if (mb.noselect)
		return STORE_NOT_ALLOWED;
	snap->uidvalidity = mb.uidvalidity;
	snap->uidnext = mb.uidnext;
	snap->highestmodseq = mb.highestmodseq;
	snap->first_recent_uid = mb.recent_uid;
	alloc = mb.messages > 0 ? mb.messages : 1;
	snap->messages = xmalloc(alloc * sizeof(*snap->messages));
	s = sq_stmt(st, SQ_MSG_ALL);
	sqlite3_bind_int64(s, 1, mb.id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (snap->count == alloc) {   /* only if the counter is wrong */
			alloc *= 2;
			snap->messages = xrealloc(snap->messages, alloc * sizeof(*snap->messages));
		}
		sq_message_read(s, &snap->messages[snap->count++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "read messages");
	r = sq_keywords_load(st, mb.id, &kw);
	if (r != STORE_OK)
		return r;
	sq_keywords_give(&kw, &snap->keywords, &snap->keyword_count);
	if (claim_recent && mb.recent_uid != mb.uidnext) {
		/* RFC 3501 §2.3.2: only this session sees them as \Recent. */
		mb.recent_uid = mb.uidnext;
		mb.recent = 0;
		r = sq_mailbox_save(st, &mb);
	}
	return r;
}

enum store_result sq_mailbox_snapshot(struct store *store, const char *name,
				      bool claim_recent, struct store_snapshot *snapshot_r)
{
	struct sq_store *st = sq_store(store);
	enum store_result r = store_mailbox_name_check(name);

	memset(snapshot_r, 0, sizeof(*snapshot_r));
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	/* A damaged store is read-only: SELECT still works, claiming nothing. */
	if (st->read_only)
		claim_recent = false;
	r = claim_recent ? sq_begin_lazy(st) : sq_begin(st, false);
	if (r == STORE_OK) {
		r = sq_end(st, sq_snapshot(st, name, claim_recent, snapshot_r));
		if (r != STORE_OK)
			store_snapshot_free(snapshot_r);
	}
	/* A full disk: the claim is a write and cannot commit. SELECT still
	 * works, as on a damaged store, claiming nothing (another session
	 * may claim the messages once there is room). */
	if (r == STORE_NO_SPACE && claim_recent) {
		log_warn("store %s: disk full: \\Recent not claimed for a SELECT of \"%s\"",
			 st->user, name);
		r = sq_begin(st, false);
		if (r == STORE_OK)
			r = sq_end(st, sq_snapshot(st, name, false, snapshot_r));
		if (r != STORE_OK)
			store_snapshot_free(snapshot_r);
	}
	return r;
}

static enum store_result sq_claim_recent(struct sq_store *st, const char *name,
					 uint32_t uidvalidity, uint32_t *first_r, uint32_t *next_r)
{
	struct sq_mailbox mb;
	enum store_result r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);

	if (r != STORE_OK)
		return r;
	*first_r = mb.recent_uid;
	*next_r = mb.uidnext;
	if (mb.recent_uid == mb.uidnext)
		return STORE_OK;
	mb.recent_uid = mb.uidnext;
	mb.recent = 0;
	return sq_mailbox_save(st, &mb);
}

enum store_result sq_mailbox_claim_recent(struct store *store, const char *name,
					  uint32_t uidvalidity, uint32_t *first_r,
					  uint32_t *next_r)
{
	struct sq_store *st = sq_store(store);
	enum store_result r;

	*first_r = *next_r = 0;
	/* A claim lost to a crash shows the messages as \Recent again: no
	 * fsync for it (imaptest's mix spent 2.4 % of the CPU on this one). */
	r = sq_begin_lazy(st);
	if (r != STORE_OK)
		return r;
	return sq_end(st, sq_claim_recent(st, name, uidvalidity, first_r, next_r));
}


static enum store_result sq_changes(struct sq_store *st, const char *name, uint32_t uidvalidity,
				    uint64_t since, struct store_changes *ch)
{
	struct sq_mailbox mb;
	struct sq_keywords kw;
	struct sq_uid_list exp = { 0 };
	uint32_t alloc = 0;
	sqlite3_stmt *s;
	enum store_result r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
	int rc;

	if (r != STORE_OK)
		return r;
	ch->uidnext = mb.uidnext;
	ch->highestmodseq = mb.highestmodseq;
	if (since < mb.highestmodseq) {
		s = sq_stmt(st, SQ_MSG_SINCE);
		sqlite3_bind_int64(s, 1, mb.id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (ch->changed_count == alloc) {
				alloc = alloc == 0 ? 64 : alloc * 2;
				ch->changed = xrealloc(ch->changed, alloc * sizeof(*ch->changed));
			}
			sq_message_read(s, &ch->changed[ch->changed_count++]);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "read changes");
		if (ch->changed_count > 0)
			qsort(ch->changed, ch->changed_count, sizeof(*ch->changed), sq_message_cmp);

		s = sq_stmt(st, SQ_EXP_SINCE);
		sqlite3_bind_int64(s, 1, mb.id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			sq_uid_push(&exp, (uint32_t)sqlite3_column_int64(s, 0));
		sqlite3_reset(s);
		ch->expunged = exp.uids;
		ch->expunged_count = exp.count;
		if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "read expunges");
		if (ch->expunged_count > 0)
			qsort(ch->expunged, ch->expunged_count, sizeof(*ch->expunged), sq_uid_cmp);
	}
	r = sq_keywords_load(st, mb.id, &kw);
	if (r == STORE_OK)
		sq_keywords_give(&kw, &ch->keywords, &ch->keyword_count);
	return r;
}

enum store_result sq_mailbox_changes(struct store *store, const char *name,
				     uint32_t uidvalidity, uint64_t since,
				     struct store_changes *changes_r)
{
	struct sq_store *st = sq_store(store);
	enum store_result r;

	memset(changes_r, 0, sizeof(*changes_r));
	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	r = sq_end(st, sq_changes(st, name, uidvalidity, since, changes_r));
	if (r != STORE_OK)
		store_changes_free(changes_r);
	return r;
}

/* store_messages_get() reads runs of requested UIDs with one range scan
 * each, merged against the request: a run continues while the next UID is
 * at most this far above the last. Stepping a row costs far less than a
 * new statement (reset, bind, B-tree descent), so a few skipped rows are
 * cheaper than another seek; wider gaps start a new run, so a sparse set
 * does not walk the whole mailbox. test-store's bench (10,000 UIDs of
 * 100,000, every 10th or scattered): 1 → ~17 ms, 8 → ~10 ms, 16 or one
 * scan of the whole span → ~20-25 ms. */
#define SQ_GET_GAP_MAX 8

bool sq_uids_ascending(const uint32_t *uids, uint32_t count)
{
	for (uint32_t i = 1; i < count; i++) {
		if (uids[i] <= uids[i - 1])
			return false;
	}
	return true;
}

static enum store_result sq_get(struct sq_store *st, const char *name, uint32_t uidvalidity,
				const uint32_t *uids, uint32_t count, struct store_changes *out)
{
	struct sq_mailbox mb;
	struct sq_keywords kw;
	enum store_result r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);

	if (r != STORE_OK)
		return r;
	out->uidnext = mb.uidnext;
	out->highestmodseq = mb.highestmodseq;
	if (count > 0)
		out->changed = xmalloc(count * sizeof(*out->changed));
	for (uint32_t i = 0; i < count;) {
		uint32_t end = i + 1;
		sqlite3_stmt *s;
		int rc;

		while (end < count && uids[end] - uids[end - 1] <= SQ_GET_GAP_MAX)
			end++;
		s = sq_stmt(st, SQ_MSG_RANGE);
		sqlite3_bind_int64(s, 1, mb.id);
		sqlite3_bind_int64(s, 2, uids[i]);
		sqlite3_bind_int64(s, 3, uids[end - 1]);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			uint32_t uid = (uint32_t)sqlite3_column_int64(s, 0);

			while (i < end && uids[i] < uid)
				i++;       /* requested but gone */
			if (i < end && uids[i] == uid) {
				sq_message_read(s, &out->changed[out->changed_count++]);
				i++;
			}
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "read messages");
		i = end;
	}
	r = sq_keywords_load(st, mb.id, &kw);
	if (r == STORE_OK)
		sq_keywords_give(&kw, &out->keywords, &out->keyword_count);
	return r;
}

enum store_result sq_messages_get(struct store *store, const char *name,
				  uint32_t uidvalidity, const uint32_t *uids,
				  uint32_t uid_count, struct store_changes *messages_r)
{
	struct sq_store *st = sq_store(store);
	uint32_t *sorted = NULL, count = uid_count;
	enum store_result r;

	memset(messages_r, 0, sizeof(*messages_r));
	if (uids == NULL && uid_count > 0)
		return STORE_INVALID;
	if (!sq_uids_ascending(uids, uid_count)) {
		sorted = sq_uids_sorted(uids, uid_count, &count);
		uids = sorted;
	}
	r = sq_begin(st, false);
	if (r == STORE_OK)
		r = sq_end(st, sq_get(st, name, uidvalidity, uids, count, messages_r));
	free(sorted);
	if (r != STORE_OK)
		store_changes_free(messages_r);
	return r;
}


/* ---- STORE ---- */

static enum store_result sq_set_flags(struct sq_store *st, struct sq_mailbox *mb,
				      const uint32_t *uids, uint32_t uid_count,
				      const struct store_flag_change *c,
				      struct sq_uid_list *modified)
{
	struct sq_keywords kw;
	uint64_t kmask, modseq = mb->highestmodseq + 1;
	enum store_result r = sq_keywords_load(st, mb->id, &kw);

	if (r != STORE_OK)
		return r;
	r = sq_keywords_mask(st, &kw, c->keywords, c->keyword_count,
			     c->op != STORE_FLAGS_REMOVE, &kmask);
	sq_keywords_free(&kw);
	for (uint32_t i = 0; r == STORE_OK && i < uid_count; i++) {
		sqlite3_stmt *s = sq_stmt(st, SQ_MSG_FLAGS_GET);
		uint32_t flags, nflags;
		uint64_t keywords, nkeywords, old_modseq;
		int rc;

		sqlite3_bind_int64(s, 1, mb->id);
		sqlite3_bind_int64(s, 2, uids[i]);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				r = sq_fail(st, rc, "read flags");
			continue;     /* expunged meanwhile: RFC 9051 §6.4.6 ignores it */
		}
		flags = (uint32_t)sqlite3_column_int64(s, 0);   /* as the viewer sees them */
		keywords = (uint64_t)sqlite3_column_int64(s, 1);
		old_modseq = (uint64_t)sqlite3_column_int64(s, 2);
		uint32_t raw = (uint32_t)sqlite3_column_int64(s, 3);   /* the owner's */
		sqlite3_reset(s);
		/* RFC 7162 §3.1.3: changed since the client looked: leave it. */
		if (c->conditional && old_modseq > c->unchangedsince) {
			sq_uid_push(modified, uids[i]);
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
		/* Another user's \Seen is theirs (sqlite-seen.c); the owner's
		 * stays. The modseq moves either way. */
		uint32_t nraw = nflags;

		if (st->viewer != NULL) {
			nraw = (nflags & ~(uint32_t)STORE_FLAG_SEEN) | (raw & STORE_FLAG_SEEN);
			if ((nflags ^ flags) & STORE_FLAG_SEEN)
				r = sq_seen_set(st, mb->id, uids[i], nflags & STORE_FLAG_SEEN);
			if (r != STORE_OK)
				break;
		}
		s = sq_stmt(st, SQ_MSG_FLAGS_SET);
		sqlite3_bind_int64(s, 1, mb->id);
		sqlite3_bind_int64(s, 2, uids[i]);
		sqlite3_bind_int64(s, 3, nraw);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)nkeywords);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)modseq);
		r = sq_run(st, s, "write flags");
		sq_count_flags(mb, raw, nraw);
		sq_mailbox_next_modseq(mb);
	}
	if (r == STORE_OK && mb->changed)
		r = sq_mailbox_save(st, mb);
	return r;
}

enum store_result sq_messages_set_flags(struct store *store, const char *name,
					uint32_t uidvalidity, const uint32_t *uids,
					uint32_t uid_count,
					const struct store_flag_change *change,
					uint32_t **modified_r, uint32_t *modified_count_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_uid_list modified = { 0 };
	struct sq_mailbox mb;
	uint32_t *sorted, count;
	enum store_result r;

	*modified_r = NULL;
	*modified_count_r = 0;
	if (change == NULL || (uids == NULL && uid_count > 0) ||
	    (change->op != STORE_FLAGS_SET && change->op != STORE_FLAGS_ADD &&
	     change->op != STORE_FLAGS_REMOVE) ||
	    (change->flags & ~SQ_ALL_FLAGS) != 0 ||
	    !sq_keywords_valid(change->keywords, change->keyword_count))
		return STORE_INVALID;
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
	if (r != STORE_OK)
		return sq_end(st, r);
	/* Sorted and unique: walks the B-tree in order, and a UID listed twice
	 * is not reported as modified by its own first update. */
	sorted = sq_uids_sorted(uids, uid_count, &count);
	r = sq_end(st, sq_set_flags(st, &mb, sorted, count, change, &modified));
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

struct sq_msg_row {
	uint32_t uid;
	uint32_t flags;            /* the owner's (messages.flags) */
	uint32_t viewer_flags;     /* as the viewer sees them (sqlite-seen.c) */
	uint64_t keywords;
	int64_t blob_id;
	int64_t internaldate;
	int zone;
	uint64_t size;
};

/* STORE_NOT_FOUND if there is no such message. */
static enum store_result sq_message_get(struct sq_store *st, int64_t mailbox_id, uint32_t uid,
					struct sq_msg_row *row)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_MSG_GET);
	int rc;

	sqlite3_bind_int64(s, 1, mailbox_id);
	sqlite3_bind_int64(s, 2, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row->uid = uid;
		row->flags = (uint32_t)sqlite3_column_int64(s, 0);
		row->keywords = (uint64_t)sqlite3_column_int64(s, 1);
		row->blob_id = sqlite3_column_int64(s, 2);
		row->internaldate = sqlite3_column_int64(s, 3);
		row->zone = sqlite3_column_int(s, 4);
		row->size = (uint64_t)sqlite3_column_int64(s, 5);
		row->viewer_flags = (uint32_t)sqlite3_column_int64(s, 6);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	return rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_fail(st, rc, "read message");
}

/* Removes one message and records its expunge with modseq. */
static enum store_result sq_message_remove(struct sq_store *st, struct sq_mailbox *mb,
					   const struct sq_msg_row *row, uint64_t modseq,
					   bool drop_blob)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_MSG_DELETE);
	enum store_result r;

	sqlite3_bind_int64(s, 1, mb->id);
	sqlite3_bind_int64(s, 2, row->uid);
	r = sq_run(st, s, "delete message");
	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_SEEN_DROP_UID);
	sqlite3_bind_int64(s, 1, mb->id);
	sqlite3_bind_int64(s, 2, row->uid);
	r = sq_run(st, s, "delete seen");
	if (r != STORE_OK)
		return r;
	s = sq_stmt(st, SQ_EXP_INSERT);
	sqlite3_bind_int64(s, 1, mb->id);
	sqlite3_bind_int64(s, 2, row->uid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)modseq);
	r = sq_run(st, s, "record expunge");
	if (r == STORE_OK && drop_blob)
		r = sq_blob_unref(st, row->blob_id);
	sq_count_remove(mb, row->uid, row->flags, row->size);
	return r;
}

static enum store_result sq_expunge(struct sq_store *st, struct sq_mailbox *mb,
				    const uint32_t *uids, uint32_t uid_count,
				    struct sq_uid_list *out)
{
	struct sq_uid_list cand = { 0 };
	uint64_t modseq = mb->highestmodseq + 1;
	enum store_result r = STORE_OK;

	if (mb->deleted == 0)
		return STORE_OK;
	if (uids == NULL) {
		sqlite3_stmt *s = sq_stmt(st, SQ_MSG_DELETED);
		int rc;

		sqlite3_bind_int64(s, 1, mb->id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			sq_uid_push(&cand, (uint32_t)sqlite3_column_int64(s, 0));
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			r = sq_fail(st, rc, "find deleted");
		uids = cand.uids;
		uid_count = cand.count;
	}
	for (uint32_t i = 0; r == STORE_OK && i < uid_count; i++) {
		struct sq_msg_row row;

		r = sq_message_get(st, mb->id, uids[i], &row);
		if (r == STORE_NOT_FOUND || (r == STORE_OK && !(row.flags & STORE_FLAG_DELETED))) {
			r = STORE_OK;
			continue;
		}
		if (r == STORE_OK)
			r = sq_message_remove(st, mb, &row, modseq, true);
		sq_mailbox_next_modseq(mb);
		sq_uid_push(out, uids[i]);
	}
	free(cand.uids);
	if (r == STORE_OK && mb->changed)
		r = sq_mailbox_save(st, mb);
	return r;
}

enum store_result sq_messages_expunge(struct store *store, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, uint32_t **expunged_r,
				      uint32_t *expunged_count_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_uid_list out = { 0 };
	struct sq_mailbox mb;
	uint32_t *sorted = NULL, count = 0;
	enum store_result r;

	*expunged_r = NULL;
	*expunged_count_r = 0;
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
	if (r != STORE_OK)
		return sq_end(st, r);
	if (uids != NULL)
		sorted = sq_uids_sorted(uids, uid_count, &count);
	r = sq_end(st, sq_expunge(st, &mb, sorted, count, &out));
	free(sorted);
	if (r != STORE_OK) {
		free(out.uids);
		return r;
	}
	*expunged_r = out.uids;
	*expunged_count_r = out.count;
	return STORE_OK;
}

/* ---- COPY and MOVE ---- */

struct sq_copy {
	struct sq_mailbox from, to_mb;
	struct sq_mailbox *to;       /* &to_mb, or &from when copying into itself */
	struct sq_keywords from_kw, to_kw_own;
	struct sq_keywords *to_kw;
	int map[STORE_KEYWORDS_PER_MAILBOX];   /* source bit -> target bit, -1: not yet */
	struct sq_msg_row *rows;
	uint32_t count;
};

static enum store_result sq_copy_keywords(struct sq_store *st, struct sq_copy *c,
					  uint64_t in, uint64_t *out)
{
	*out = 0;
	for (unsigned int bit = 0; in != 0 && bit < STORE_KEYWORDS_PER_MAILBOX; bit++) {
		uint64_t m = (uint64_t)1 << bit;

		if (!(in & m))
			continue;
		in &= ~m;
		if (bit >= c->from_kw.count)
			continue;     /* a bit with no name: nothing to carry */
		if (c->map[bit] < 0) {
			unsigned int tbit;
			enum store_result r = sq_keywords_add(st, c->to_kw,
							      c->from_kw.names[bit], &tbit);

			if (r != STORE_OK)
				return r;
			c->map[bit] = (int)tbit;
		}
		*out |= (uint64_t)1 << c->map[bit];
	}
	return STORE_OK;
}

static enum store_result sq_copy(struct sq_store *st, struct sq_copy *c, const uint32_t *uids,
				 uint32_t uid_count, bool move, struct store_copy_result *res)
{
	time_t now = time(NULL);
	uint64_t dmodseq, smodseq;
	enum store_result r;

	for (int i = 0; i < STORE_KEYWORDS_PER_MAILBOX; i++)
		c->map[i] = -1;
	c->rows = xmalloc((uid_count > 0 ? uid_count : 1) * sizeof(*c->rows));
	for (uint32_t i = 0; i < uid_count; i++) {
		r = sq_message_get(st, c->from.id, uids[i], &c->rows[c->count]);
		if (r == STORE_NOT_FOUND)
			continue;
		if (r != STORE_OK)
			return r;
		c->count++;
	}
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
		r = sq_quota_allows(st, add);
		if (r != STORE_OK)
			return r;
	}
	r = sq_keywords_load(st, c->from.id, &c->from_kw);
	if (r != STORE_OK)
		return r;
	if (c->to == &c->from) {
		c->to_kw = &c->from_kw;
	} else {
		c->to_kw = &c->to_kw_own;
		r = sq_keywords_load(st, c->to->id, c->to_kw);
		if (r != STORE_OK)
			return r;
	}
	res->src_uids = xmalloc(c->count * sizeof(uint32_t));
	res->dest_uids = xmalloc(c->count * sizeof(uint32_t));
	dmodseq = sq_mailbox_next_modseq(c->to);
	for (uint32_t i = 0; i < c->count; i++) {
		struct sq_msg_row *row = &c->rows[i];
		uint32_t uid = c->to->uidnext++;
		uint64_t keywords;
		sqlite3_stmt *s;

		r = sq_copy_keywords(st, c, row->keywords, &keywords);
		if (r != STORE_OK)
			return r;
		s = sq_stmt(st, SQ_MSG_INSERT);
		sqlite3_bind_int64(s, 1, c->to->id);
		sqlite3_bind_int64(s, 2, uid);
		sqlite3_bind_int64(s, 3, row->blob_id);
		sqlite3_bind_int64(s, 4, row->flags);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)keywords);
		sqlite3_bind_int64(s, 6, row->internaldate);
		sqlite3_bind_int(s, 7, row->zone);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)now);   /* SAVEDATE (RFC 8514) */
		sqlite3_bind_int64(s, 9, (sqlite3_int64)dmodseq);
		r = sq_run(st, s, "copy message");
		/* The copy keeps the viewer's \Seen as well as the owner's. */
		if (r == STORE_OK && st->viewer != NULL && (row->viewer_flags & STORE_FLAG_SEEN))
			r = sq_seen_set(st, c->to->id, uid, true);
		if (r != STORE_OK)
			return r;
		/* MOVE hands the reference over; COPY adds one (no bytes copied). */
		if (!move) {
			s = sq_stmt(st, SQ_BLOB_REF);
			sqlite3_bind_int64(s, 1, row->blob_id);
			r = sq_run(st, s, "reference blob");
			if (r != STORE_OK)
				return r;
		}
		sq_count_add(c->to, uid, row->flags, row->size);
		res->src_uids[i] = row->uid;
		res->dest_uids[i] = uid;
		res->count = i + 1;
	}
	if (move) {
		/* RFC 6851 §3.3: the source learns of it as an expunge. */
		smodseq = sq_mailbox_next_modseq(&c->from);
		for (uint32_t i = 0; i < c->count; i++) {
			r = sq_message_remove(st, &c->from, &c->rows[i], smodseq, false);
			if (r != STORE_OK)
				return r;
		}
	}
	r = sq_mailbox_save(st, c->to);
	if (r == STORE_OK && c->to != &c->from && c->from.changed)
		r = sq_mailbox_save(st, &c->from);
	return r;
}

enum store_result sq_messages_copy(struct store *store, const char *from,
				   uint32_t uidvalidity, const uint32_t *uids,
				   uint32_t uid_count, const char *to, bool move,
				   struct store_copy_result *result_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_copy c;
	uint32_t *sorted, count;
	enum store_result r;

	memset(result_r, 0, sizeof(*result_r));
	if (uids == NULL && uid_count > 0)
		return STORE_INVALID;
	r = store_mailbox_name_check(to);
	if (r != STORE_OK)
		return r == STORE_LIMIT ? STORE_INVALID : r;
	memset(&c, 0, sizeof(c));
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	r = sq_mailbox_load_checked(st, from, uidvalidity, &c.from);
	if (r != STORE_OK)
		return sq_end(st, r);
	r = sq_mailbox_load(st, to, &c.to_mb);
	if (r == STORE_NOT_FOUND)
		result_r->to_missing = true;
	else if (r == STORE_OK && c.to_mb.noselect)
		r = STORE_NOT_ALLOWED;
	if (r != STORE_OK)
		return sq_end(st, r);
	c.to = c.to_mb.id == c.from.id ? &c.from : &c.to_mb;
	sorted = sq_uids_sorted(uids, uid_count, &count);
	r = sq_end(st, sq_copy(st, &c, sorted, count, move, result_r));
	free(sorted);
	free(c.rows);
	sq_keywords_free(&c.from_kw);
	sq_keywords_free(&c.to_kw_own);
	if (r != STORE_OK) {
		bool missing = result_r->to_missing;

		store_copy_result_free(result_r);
		result_r->to_missing = missing;
	}
	return r;
}


/* ---- APPEND ---- */

/* *wrote_r: a row was written (a failure after it spoils the transaction;
 * one before it leaves the transaction as it was). */
static enum store_result sq_append(struct sq_store *st, const char *name,
				   const struct store_append *msgs, unsigned int count,
				   uint32_t *uidvalidity_r, uint32_t *uids_r, bool *wrote_r)
{
	struct sq_mailbox mb;
	struct sq_keywords kw;
	time_t now = time(NULL);
	uint64_t modseq;
	enum store_result r = sq_mailbox_load(st, name, &mb);

	if (r != STORE_OK)
		return r;
	if (mb.noselect)
		return STORE_NOT_ALLOWED;
	if ((uint64_t)mb.uidnext + count - 1 > STORE_UID_MAX)
		return STORE_LIMIT;
	uint64_t add[STORE_QUOTA_RESOURCES] = { [STORE_QUOTA_MESSAGE] = count };

	for (unsigned int i = 0; i < count; i++)
		add[STORE_QUOTA_STORAGE] += sq_blob_size(sq_blob(msgs[i].blob));
	r = sq_quota_allows(st, add);
	if (r != STORE_OK)
		return r;
	r = sq_keywords_load(st, mb.id, &kw);
	if (r != STORE_OK)
		return r;
	modseq = sq_mailbox_next_modseq(&mb);
	*wrote_r = true;   /* keywords, blobs, messages from here on */
	for (unsigned int i = 0; r == STORE_OK && i < count; i++) {
		const struct store_append *m = &msgs[i];
		uint64_t keywords, size;
		int64_t blob_id;
		sqlite3_stmt *s;

		/* The same blob twice in one call: refuse rather than share. */
		if (!sq_blob_usable(st, sq_blob(m->blob))) {
			r = STORE_INVALID;
			break;
		}
		r = sq_keywords_mask(st, &kw, m->keywords, m->keyword_count, true, &keywords);
		if (r == STORE_OK)
			r = sq_blob_insert(st, sq_blob(m->blob), &blob_id, &size);
		if (r != STORE_OK)
			break;
		/* Another user's \Seen on what they append is theirs. */
		uint32_t raw = st->viewer != NULL ? m->flags & ~(uint32_t)STORE_FLAG_SEEN : m->flags;

		if (st->viewer != NULL && (m->flags & STORE_FLAG_SEEN)) {
			r = sq_seen_set(st, mb.id, mb.uidnext, true);
			if (r != STORE_OK)
				break;
		}
		s = sq_stmt(st, SQ_MSG_INSERT);
		sqlite3_bind_int64(s, 1, mb.id);
		sqlite3_bind_int64(s, 2, mb.uidnext);
		sqlite3_bind_int64(s, 3, blob_id);
		sqlite3_bind_int64(s, 4, raw);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)keywords);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)m->internaldate);
		sqlite3_bind_int(s, 7, m->internaldate_zone_min);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)now);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)modseq);
		r = sq_run(st, s, "insert message");
		if (r != STORE_OK)
			break;
		sq_count_add(&mb, mb.uidnext, raw, size);
		uids_r[i] = mb.uidnext++;
	}
	sq_keywords_free(&kw);
	if (r == STORE_OK)
		r = sq_mailbox_save(st, &mb);
	*uidvalidity_r = mb.uidvalidity;
	return r;
}

/* The arguments store_messages_append() refuses before any transaction. */
static enum store_result sq_append_valid(const struct sq_store *st, const char *name,
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

		if (!sq_blob_usable(st, sq_blob(m->blob)) || (m->flags & ~SQ_ALL_FLAGS) != 0 ||
		    m->internaldate_zone_min < -SQ_ZONE_MAX ||
		    m->internaldate_zone_min > SQ_ZONE_MAX ||
		    !sq_keywords_valid(m->keywords, m->keyword_count))
			return STORE_INVALID;
	}
	return STORE_OK;
}

enum store_result sq_messages_append(struct store *store, const char *name,
				     const struct store_append *messages, unsigned int count,
				     uint32_t *uidvalidity_r, uint32_t *uids_r)
{
	struct sq_store *st = sq_store(store);
	enum store_result r = sq_append_valid(st, name, messages, count, uids_r);
	bool wrote = false;

	*uidvalidity_r = 0;
	if (r != STORE_OK)
		return r;
	r = sq_begin(st, true);
	if (r != STORE_OK)
		return r;
	r = sq_end(st, sq_append(st, name, messages, count, uidvalidity_r, uids_r, &wrote));
	for (unsigned int i = 0; i < count; i++)
		sq_blob_settle(sq_blob(messages[i].blob), r == STORE_OK);
	if (r != STORE_OK)
		*uidvalidity_r = 0;
	return r;
}

/* Group commit: every set in one IMMEDIATE transaction, so one COMMIT (one
 * WAL fsync) makes them all durable. A set refused before it wrote a row
 * (no such mailbox, \Noselect, UIDs exhausted) gets its result and the rest
 * go on; a failure after a row was written rolls everything back and each
 * set is tried again alone, so one bad set never fails the others. */
enum store_result sq_messages_append_many(struct store *store, struct store_append_set *sets,
					  unsigned int count)
{
	struct sq_store *st = sq_store(store);
	enum store_result r;
	unsigned int spoiler = count;   /* the set that failed after writing */

	for (unsigned int i = 0; i < count; i++) {
		sets[i].uidvalidity = 0;
		sets[i].result = sq_append_valid(st, sets[i].mailbox, sets[i].messages,
						 sets[i].count, sets[i].uids);
	}
	r = sq_begin(st, true);
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
		set->result = sq_append(st, set->mailbox, set->messages, set->count,
					&set->uidvalidity, set->uids, &wrote);
		if (set->result != STORE_OK && wrote)
			spoiler = i;
	}
	r = sq_end(st, spoiler < count ? STORE_ERROR : STORE_OK);
	for (unsigned int i = 0; i < count; i++) {
		if (sets[i].result != STORE_INVALID || i == spoiler) {
			for (unsigned int j = 0; j < sets[i].count; j++)
				sq_blob_settle(sq_blob(sets[i].messages[j].blob), r == STORE_OK);
		}
	}
	if (r == STORE_OK)
		return STORE_OK;
	/* Rolled back: the sets it held, and those after the one that spoiled
	 * it, are tried again one by one, each in its own transaction. */
	for (unsigned int i = 0; i < count; i++) {
		struct store_append_set *set = &sets[i];

		if (set->result == STORE_OK || i == spoiler)
			set->result = sq_messages_append(store, set->mailbox, set->messages,
							 set->count, &set->uidvalidity,
							 set->uids);
		else
			set->uidvalidity = 0;
	}
	return STORE_OK;
}
