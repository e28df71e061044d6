/* The selected mailbox's sequence map and the responses its changes need.
 * Expunges are applied in one pass over the UID runs (uid-runs.c gives each
 * removed UID its number at that moment), so expunging thousands of
 * scattered messages from a big mailbox stays linear. */
#include "imap/mailbox-view.h"
#include "imap/seqset.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sorted.h"
#include "core/xalloc.h"
#include "imap/resp.h"

#define FLAG_LINE_MAX (64 * 1024)   /* keywords are bounded by the store */
/* \Recent claims kept per view: one per SELECT or arrival this session was
 * first to learn of, merged when adjacent. Past this the oldest claim is
 * forgotten (those messages lose \Recent here, which nobody else has), so a
 * session watching a busy mailbox for days stays bounded. */
#define RECENT_RANGES_MAX 1024

static const struct {
	uint32_t bit;
	const char *name;
} system_flags[] = {
	{ STORE_FLAG_ANSWERED, "\\Answered" },
	{ STORE_FLAG_FLAGGED, "\\Flagged" },
	{ STORE_FLAG_DELETED, "\\Deleted" },
	{ STORE_FLAG_SEEN, "\\Seen" },
	{ STORE_FLAG_DRAFT, "\\Draft" },
};

struct mailbox_view *mailbox_view_create(const char *name, bool readonly, bool rev1,
					 struct store_snapshot *snap)
{
	struct mailbox_view *v = xcalloc(1, sizeof(*v));

	v->name = xstrdup(name);
	v->readonly = readonly;
	v->rights = ACL_OWNER_RIGHTS;
	v->rev1 = rev1;
	v->uidvalidity = snap->uidvalidity;
	v->uidnext = snap->uidnext;
	v->highestmodseq = snap->highestmodseq;
	if (snap->first_recent_uid < snap->uidnext)
		mailbox_view_add_recent(v, snap->first_recent_uid, snap->uidnext - 1);
	/* The snapshot's UIDs ascend. */
	for (uint32_t i = 0; i < snap->count; i++)
		uid_runs_append(&v->msgs, snap->messages[i].uid);
	uid_runs_trim(&v->msgs);
	v->keywords = snap->keywords;
	v->keyword_count = snap->keyword_count;
	snap->keywords = NULL;
	snap->keyword_count = 0;
	return v;
}

static void free_keywords(char **keywords, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		free(keywords[i]);
	free(keywords);
}

void mailbox_view_free(struct mailbox_view **vp)
{
	struct mailbox_view *v = *vp;

	if (v == NULL)
		return;
	free(v->name);
	uid_runs_free(&v->msgs);
	free(v->pending_expunges);
	uid_runs_free(&v->saved);
	free(v->recent.ranges);
	free_keywords(v->keywords, v->keyword_count);
	free(v);
	*vp = NULL;
}

void mailbox_view_save_result(struct mailbox_view *v, const uint32_t *uids, uint32_t count)
{
	uid_runs_free(&v->saved);
	uid_runs_init_from(&v->saved, uids, count);
}

uint32_t mailbox_view_count(const struct mailbox_view *v)
{
	return v->msgs.count;
}

uint32_t mailbox_view_uid_at(const struct mailbox_view *v, uint32_t seq)
{
	return seq >= 1 && seq <= v->msgs.count ? uid_runs_at(&v->msgs, seq - 1) : 0;
}

uint32_t mailbox_view_seq(const struct mailbox_view *v, uint32_t uid)
{
	return uid_runs_seq(&v->msgs, uid);
}

uint32_t mailbox_view_rank(const struct mailbox_view *v, uint32_t uid)
{
	return uid_runs_rank(&v->msgs, uid);
}

uint32_t mailbox_view_last_uid(const struct mailbox_view *v)
{
	return uid_runs_last(&v->msgs);
}

void mailbox_view_uids(const struct mailbox_view *v, uint32_t first_seq, uint32_t n,
		       uint32_t *out)
{
	uid_runs_get(&v->msgs, first_seq - 1, n, out);
}

size_t mailbox_view_uid_bytes(const struct mailbox_view *v)
{
	return uid_runs_heap_bytes(&v->msgs);
}

uint32_t mailbox_view_recent_count(const struct mailbox_view *v)
{
	uint32_t n = 0;

	if (!v->rev1)
		return 0;
	for (uint32_t i = 0; i < v->recent.count; i++) {
		const struct seq_range *r = &v->recent.ranges[i];
		uint32_t end = r->hi == UINT32_MAX ? v->msgs.count :
			uid_runs_rank(&v->msgs, r->hi + 1);

		n += end - uid_runs_rank(&v->msgs, r->lo);
	}
	return n;
}

bool mailbox_view_is_recent(const struct mailbox_view *v, uint32_t uid)
{
	return v->rev1 && seqset_contains(&v->recent, uid);
}

void mailbox_view_add_recent(struct mailbox_view *v, uint32_t lo, uint32_t hi)
{
	struct seqset *set = &v->recent;

	if (lo > hi)
		return;
	if (set->count > 0 && (uint64_t)set->ranges[set->count - 1].hi + 1 >= lo) {
		/* Claims ascend; adjacent (or, defensively, overlapping) ones merge. */
		if (hi > set->ranges[set->count - 1].hi)
			set->ranges[set->count - 1].hi = hi;
		return;
	}
	if (set->count == RECENT_RANGES_MAX) {
		memmove(set->ranges, set->ranges + 1, (set->count - 1) * sizeof(set->ranges[0]));
		set->count--;
	}
	if (set->count == v->recent_cap) {
		v->recent_cap = v->recent_cap ? v->recent_cap * 2 : 4;
		set->ranges = xrealloc(set->ranges, v->recent_cap * sizeof(set->ranges[0]));
	}
	set->ranges[set->count++] = (struct seq_range){ .lo = lo, .hi = hi };
}

void mailbox_view_format_flags(const struct mailbox_view *v, uint32_t uid,
			       uint32_t flags, uint64_t keywords, struct buf *out)
{
	bool first = true;

	buf_append_char(out, '(');
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
		if ((flags & system_flags[i].bit) == 0)
			continue;
		buf_printf(out, "%s%s", first ? "" : " ", system_flags[i].name);
		first = false;
	}
	for (unsigned int i = 0; i < v->keyword_count && i < 64; i++) {
		if ((keywords & ((uint64_t)1 << i)) == 0)
			continue;
		buf_printf(out, "%s%s", first ? "" : " ", v->keywords[i]);
		first = false;
	}
	if (mailbox_view_is_recent(v, uid)) {
		buf_printf(out, "%s\\Recent", first ? "" : " ");
	}
	buf_append_char(out, ')');
}

void mailbox_view_format_flag_list(const struct mailbox_view *v, struct buf *out)
{
	buf_append_str(out, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (unsigned int i = 0; i < v->keyword_count; i++)
		buf_printf(out, " %s", v->keywords[i]);
	buf_append_char(out, ')');
}

void mailbox_view_format_permanent_flags(const struct mailbox_view *v, struct buf *out)
{
	static const struct {
		const char *name;
		acl_rights need;
	} system[] = {
		{ "\\Answered", ACL_WRITE }, { "\\Flagged", ACL_WRITE },
		{ "\\Deleted", ACL_DELETE_MESSAGES }, { "\\Seen", ACL_SEEN },
		{ "\\Draft", ACL_WRITE },
	};
	acl_rights may = v->readonly ? 0 : v->rights;
	bool first = true;

	buf_append_char(out, '(');
	for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++) {
		if ((may & system[i].need) == 0)
			continue;
		buf_printf(out, "%s%s", first ? "" : " ", system[i].name);
		first = false;
	}
	if (may & ACL_WRITE) {
		for (unsigned int i = 0; i < v->keyword_count; i++)
			buf_printf(out, " %s", v->keywords[i]);
		if (v->keyword_count < STORE_KEYWORDS_PER_MAILBOX)
			buf_append_str(out, " \\*");
	}
	buf_append_char(out, ')');
}

/* Merges b into the sorted set a (both ascending, no duplicates). */
static void merge_pending(struct mailbox_view *v, const uint32_t *uids, uint32_t n)
{
	uint32_t *merged = xmalloc(((size_t)v->pending_count + n + 1) * sizeof(uint32_t));
	uint32_t i = 0, j = 0, k = 0;

	while (i < v->pending_count || j < n) {
		uint32_t next;

		if (j >= n || (i < v->pending_count && v->pending_expunges[i] < uids[j]))
			next = v->pending_expunges[i++];
		else if (i >= v->pending_count || uids[j] < v->pending_expunges[i])
			next = uids[j++];
		else {
			next = uids[j++];
			i++;
		}
		merged[k++] = next;
	}
	free(v->pending_expunges);
	v->pending_expunges = merged;
	v->pending_count = k;
}

static void announce_expunges(struct mailbox_view *v, struct resp_out *out)
{
	/* Each pending UID's number as the client has it when its EXPUNGE
	 * comes (earlier ones already gone); 0 for one not in the view. */
	uint32_t *seqs = xmalloc(((size_t)v->pending_count + 1) * sizeof(uint32_t));
	uint32_t removed = 0;

	uid_runs_remove(&v->msgs, v->pending_expunges, v->pending_count, seqs);
	if (v->qresync) {
		/* RFC 7162 §3.2.10: one VANISHED with the UIDs, as long as it
		 * takes (every other message of a large mailbox is a long set).
		 * The removed UIDs are compacted in place over the pending list. */
		for (uint32_t i = 0; i < v->pending_count; i++) {
			if (seqs[i] != 0)
				v->pending_expunges[removed++] = v->pending_expunges[i];
		}
		if (removed > 0) {
			resp_str(out, "* VANISHED ");
			resp_uid_set(out, v->pending_expunges, removed);
			resp_crlf(out);
		}
	} else {
		for (uint32_t i = 0; i < v->pending_count; i++) {
			if (seqs[i] != 0)
				resp_printf(out, "* %" PRIu32 " EXPUNGE\r\n", seqs[i]);
		}
	}
	free(seqs);
	free(v->pending_expunges);
	v->pending_expunges = NULL;
	v->pending_count = 0;
}

static bool keywords_grew(const struct mailbox_view *v, const struct store_changes *ch)
{
	return ch->keywords != NULL && ch->keyword_count > v->keyword_count;
}

void mailbox_view_apply(struct mailbox_view *v, const struct store_changes *ch,
			const struct mailbox_view_apply *how, struct resp_out *out)
{
	struct buf line;

	buf_init(&line, FLAG_LINE_MAX);
	if (keywords_grew(v, ch)) {
		free_keywords(v->keywords, v->keyword_count);
		v->keywords = xcalloc(ch->keyword_count, sizeof(char *));
		for (unsigned int i = 0; i < ch->keyword_count; i++)
			v->keywords[i] = xstrdup(ch->keywords[i]);
		v->keyword_count = ch->keyword_count;
		buf_append_str(&line, "* FLAGS ");
		mailbox_view_format_flag_list(v, &line);
		resp_append(out, line.data, line.len);
		resp_crlf(out);
		buf_clear(&line);
		/* PERMANENTFLAGS names keywords only where the session may set
		 * them (w); elsewhere the list did not change. */
		if (!v->readonly && (v->rights & ACL_WRITE)) {
			buf_append_str(&line, "* OK [PERMANENTFLAGS ");
			mailbox_view_format_permanent_flags(v, &line);
			buf_append_str(&line, "] Flags permitted");
			resp_append(out, line.data, line.len);
			resp_crlf(out);
			buf_clear(&line);
		}
	}

	/* Only expunges of messages this view has numbered matter. */
	if (ch->expunged_count > 0) {
		uint32_t *known = xmalloc(ch->expunged_count * sizeof(uint32_t));
		uint32_t n = 0;

		for (uint32_t i = 0; i < ch->expunged_count; i++) {
			if (mailbox_view_seq(v, ch->expunged[i]) != 0)
				known[n++] = ch->expunged[i];
		}
		if (n > 0)
			merge_pending(v, known, n);
		free(known);
	}
	if (how->allow_expunge && v->pending_count > 0)
		announce_expunges(v, out);

	/* New messages: UIDs above the last one numbered. */
	uint32_t last = uid_runs_last(&v->msgs);
	const uint32_t known_last = last;
	uint32_t added = 0;
	for (uint32_t i = 0; i < ch->changed_count; i++) {
		uint32_t uid = ch->changed[i].uid;

		if (uid <= last)
			continue;
		uid_runs_append(&v->msgs, uid);
		last = uid;
		added++;
	}
	if (added > 0) {
		buf_printf(&line, "* %" PRIu32 " EXISTS", v->msgs.count);
		resp_append(out, line.data, line.len);
		resp_crlf(out);
		buf_clear(&line);
		if (v->rev1) {
			buf_printf(&line, "* %" PRIu32 " RECENT", mailbox_view_recent_count(v));
			resp_append(out, line.data, line.len);
			resp_crlf(out);
			buf_clear(&line);
		}
	}

	/* Flag changes of messages the client already knows. */
	for (uint32_t i = 0; i < ch->changed_count; i++) {
		const struct store_message *m = &ch->changed[i];
		uint32_t seq;

		if (m->uid > known_last)
			continue;   /* arrived now: EXISTS covers it */
		seq = mailbox_view_seq(v, m->uid);
		if (seq == 0 || sorted_u32_contains(v->pending_expunges, v->pending_count, m->uid) ||
		    sorted_u32_contains(how->silent_uids, how->silent_count, m->uid))
			continue;
		buf_printf(&line, "* %" PRIu32 " FETCH (", seq);
		if (how->include_uid)
			buf_printf(&line, "UID %" PRIu32 " ", m->uid);
		buf_append_str(&line, "FLAGS ");
		mailbox_view_format_flags(v, m->uid, m->flags, m->keywords, &line);
		if (v->condstore)   /* RFC 7162 §3.1.4 */
			buf_printf(&line, " MODSEQ (%" PRIu64 ")", m->modseq);
		buf_append_char(&line, ')');
		resp_append(out, line.data, line.len);
		resp_crlf(out);
		buf_clear(&line);
	}
	if (ch->uidnext > v->uidnext)
		v->uidnext = ch->uidnext;
	if (ch->highestmodseq > v->highestmodseq)
		v->highestmodseq = ch->highestmodseq;
	buf_free(&line);
}
