/* Sequence sets to the view's UIDs. Resolved ranges are sorted and disjoint,
 * so copying each range's UIDs in turn yields an ascending array: no sort,
 * no duplicates check. The view is runs of UIDs: a range is found by a
 * binary search over the runs, then copied out run by run. */
#include "imap/seq-uids.h"

#include <string.h>

#include "core/arena.h"
#include "imap/command.h"
#include "imap/mailbox-view.h"
#include "imap/parser.h"
#include "imap/seqset.h"
#include "imap/session.h"

/* Index of the first UID >= uid in the view. */
static uint32_t lower_bound(const struct mailbox_view *v, uint32_t uid)
{
	return mailbox_view_rank(v, uid);
}

/* Index past the last UID <= uid. */
static uint32_t upper_bound(const struct mailbox_view *v, uint32_t uid)
{
	return uid == UINT32_MAX ? mailbox_view_count(v) : lower_bound(v, uid + 1);
}

enum seq_uids_result seq_uids_resolve(const struct mailbox_view *v, const char *s,
				      size_t len, bool uid_mode, struct arena *arena,
				      uint32_t **uids_r, uint32_t *count_r)
{
	struct seqset set;
	uint64_t total = 0;
	uint32_t *uids, n = 0;

	*uids_r = NULL;
	*count_r = 0;
	switch (seqset_parse(s, len, SEQ_UIDS_MAX_RANGES, arena, &set)) {
	case SEQSET_OK:
		break;
	case SEQSET_TOO_BIG:
		return SEQ_UIDS_TOO_BIG;
	case SEQSET_BAD:
		return SEQ_UIDS_BAD;
	}
	if (set.dollar) {
		/* RFC 5182 §2.1: the saved UIDs, whatever the command's mode;
		 * those expunged since are no longer in the view. */
		uint32_t saved = v->saved.count;

		uids = arena_alloc(arena, (saved ? saved : 1) * sizeof(uint32_t));
		uid_runs_get(&v->saved, 0, saved, uids);
		for (uint32_t i = 0; i < saved; i++) {
			if (mailbox_view_seq(v, uids[i]) != 0)
				uids[n++] = uids[i];
		}
		*uids_r = uids;
		*count_r = n;
		return SEQ_UIDS_OK;
	}

	uint32_t count = mailbox_view_count(v);

	if (!uid_mode) {
		seqset_resolve(&set, count);
		/* Sorted and merged: the first range has the lowest number, the
		 * last the highest. 0 only comes from '*' on an empty view. */
		if (set.ranges[0].lo == 0 || set.ranges[set.count - 1].hi > count)
			return SEQ_UIDS_RANGE;
		for (unsigned int i = 0; i < set.count; i++)
			total += (uint64_t)set.ranges[i].hi - set.ranges[i].lo + 1;
		uids = arena_alloc(arena, (total ? total : 1) * sizeof(uint32_t));
		for (unsigned int i = 0; i < set.count; i++) {
			uint32_t k = set.ranges[i].hi - set.ranges[i].lo + 1;

			mailbox_view_uids(v, set.ranges[i].lo, k, uids + n);
			n += k;
		}
	} else {
		seqset_resolve(&set, mailbox_view_last_uid(v));
		/* First pass: how many, by binary search, so the array is exact. */
		for (unsigned int i = 0; i < set.count; i++)
			total += upper_bound(v, set.ranges[i].hi) - lower_bound(v, set.ranges[i].lo);
		uids = arena_alloc(arena, (total ? total : 1) * sizeof(uint32_t));
		for (unsigned int i = 0; i < set.count && n < total; i++) {
			uint32_t first = lower_bound(v, set.ranges[i].lo);
			uint32_t k = upper_bound(v, set.ranges[i].hi) - first;

			mailbox_view_uids(v, first + 1, k, uids + n);
			n += k;
		}
	}
	*uids_r = uids;
	*count_r = n;
	return SEQ_UIDS_OK;
}

bool seq_uids_from_arg(struct imap_cmd *cmd, const struct imap_arg *arg, bool uid_mode,
		       uint32_t **uids_r, uint32_t *count_r)
{
	const struct mailbox_view *v = cmd->session->selected;

	if (arg->type != IMAP_ARG_ATOM) {
		imap_cmd_reply(cmd, "BAD", "Invalid sequence set");
		return false;
	}
	switch (seq_uids_resolve(v, arg->str, arg->len, uid_mode, cmd->arena, uids_r, count_r)) {
	case SEQ_UIDS_OK:
		return true;
	case SEQ_UIDS_BAD:
		imap_cmd_reply(cmd, "BAD", "Invalid sequence set");
		break;
	case SEQ_UIDS_RANGE:
		imap_cmd_reply(cmd, "BAD", "Invalid sequence set: no such message");
		break;
	case SEQ_UIDS_TOO_BIG:
		imap_cmd_reply(cmd, "NO", "[LIMIT] Too many ranges in the set (at most %u)",
			       SEQ_UIDS_MAX_RANGES);
		break;
	}
	return false;
}
