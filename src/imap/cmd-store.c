/* STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9): changes flags of the
 * messages named by a set and answers with the flags of every message of
 * the set that still exists, changed or not (none with .SILENT), as the
 * store holds them after the change. Other sessions' changes come from the
 * sync that follows (store-job.h). Never sends EXPUNGE during a plain STORE
 * (RFC 9051 §7.5.1), and never two FETCH for one message of the set. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/sorted.h"
#include "core/xalloc.h"
#include "imap/command.h"
#include "imap/flags.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"

/* One "* n FETCH (UID u FLAGS (...))" line: at most
 * STORE_KEYWORDS_PER_MAILBOX keywords of STORE_KEYWORD_MAX bytes (4 KiB
 * with spaces) plus the system flags, \Recent and the numbers. */
#define STORE_FETCH_LINE_MAX (8 * 1024)

struct store_state {
	char *name;
	uint32_t uidvalidity;
	uint32_t *uids;
	uint32_t count;
	bool silent;
	bool condstore;               /* RFC 7162 enabled: MODSEQ in the answers */
	uint64_t since;               /* the view's HIGHESTMODSEQ before the STORE */
	struct store_flag_change change;
	/* UIDs that failed UNCHANGEDSINCE (worker; ascending). */
	uint32_t *modified;
	uint32_t modified_count;
	/* Filled by the worker after the change (not .SILENT), freed by
	 * store_cleanup(). */
	struct store_changes got;
	bool have_got;
};

static void store_cleanup(struct imap_cmd *cmd)
{
	struct store_state *st = cmd->state;

	if (st != NULL && st->have_got)
		store_changes_free(&st->got);
	if (st != NULL) {
		st->have_got = false;
		free(st->modified);
		st->modified = NULL;
	}
}

/* The sync reports the set like any other messages again. */
static void store_unsilence(struct store_job *job)
{
	job->apply.silent_uids = NULL;
	job->apply.silent_count = 0;
}

/* Worker. Runs before the job's sync (store-job.c), which is silent on the
 * set: its FETCH responses are the ones read here. */
static void store_run(struct store_job *job, struct store *store)
{
	struct store_state *st = job->ctx;

	if (st->count == 0)
		return;
	job->result = store_messages_set_flags(store, st->name, st->uidvalidity, st->uids,
					       st->count, &st->change, &st->modified,
					       &st->modified_count);
	if (job->result != STORE_OK) {
		/* Nothing was stored: others' changes to the set still count. */
		store_unsilence(job);
		return;
	}
	if (st->silent && !st->condstore)
		return;
	if (store_messages_get(store, st->name, st->uidvalidity, st->uids, st->count,
			       &st->got) == STORE_OK)
		st->have_got = true;
	else
		/* The change is made (the store logged why the read failed): at
		 * least the messages that changed are announced, by the sync. */
		store_unsilence(job);
}

/* Loop, after the sync's responses: one FETCH (FLAGS) per message of the
 * set that the view still numbers and that is not expunged. */
static void store_announce(struct imap_session *s, struct store_state *st, bool include_uid)
{
	struct mailbox_view *v = s->selected;
	const struct store_changes *got = &st->got;
	struct buf line;

	/* The sync (which learns new keywords first) failed: FLAGS could not
	 * name them. The next sync reports the changed messages instead. */
	if (got->keyword_count > v->keyword_count)
		return;
	/* Someone changed the mailbox between the read above and the sync,
	 * which was silent on the set: a change to one of its messages then
	 * would never be told. Have the next sync repeat everything after the
	 * read; a message it repeats just gets its flags once more. */
	if (got->highestmodseq < v->highestmodseq)
		v->highestmodseq = got->highestmodseq;

	buf_init(&line, STORE_FETCH_LINE_MAX);
	for (uint32_t i = 0; i < got->changed_count; i++) {
		const struct store_message *m = &got->changed[i];
		uint32_t seq = mailbox_view_seq(v, m->uid);

		/* Expunged meanwhile by someone else: announced (UID STORE) or
		 * still numbered until the EXPUNGE may be sent. */
		if (seq == 0 || sorted_u32_contains(v->pending_expunges, v->pending_count, m->uid))
			continue;
		/* RFC 7162 §3.1.3: messages that failed UNCHANGEDSINCE are in
		 * MODIFIED only; with .SILENT, only those this STORE changed get
		 * a FETCH, and it holds their MODSEQ alone. */
		if (sorted_u32_contains(st->modified, st->modified_count, m->uid))
			continue;
		if (st->silent && m->modseq <= st->since)
			continue;
		buf_printf(&line, "* %" PRIu32 " FETCH (", seq);
		if (include_uid)
			buf_printf(&line, "UID %" PRIu32 " ", m->uid);   /* RFC 9051 §6.4.9 */
		if (!st->silent) {
			buf_append_str(&line, "FLAGS ");
			mailbox_view_format_flags(v, m->uid, m->flags, m->keywords, &line);
			if (st->condstore)
				buf_append_char(&line, ' ');
		}
		if (st->condstore)
			buf_printf(&line, "MODSEQ (%" PRIu64 ")", m->modseq);
		buf_append_char(&line, ')');
		imap_session_send(s, "%s", line.data);
		buf_clear(&line);
	}
	buf_free(&line);
}

static bool store_done(struct store_job *job)
{
	struct store_state *st = job->ctx;
	struct imap_session *s = job->cmd->session;

	if (st->have_got && s->selected != NULL)
		store_announce(s, st, job->apply.include_uid);
	if (job->result == STORE_OK && st->modified_count > 0 && s->selected != NULL) {
		/* RFC 7162 §3.1.3: the set of what failed, as UIDs for UID STORE,
		 * else as sequence numbers (those the view still numbers). */
		struct buf set;
		uint32_t *nums = xmalloc(st->modified_count * sizeof(uint32_t));
		uint32_t n = 0;

		for (uint32_t i = 0; i < st->modified_count; i++) {
			uint32_t v = job->apply.include_uid ? st->modified[i] :
				mailbox_view_seq(s->selected, st->modified[i]);

			if (v != 0)
				nums[n++] = v;
		}
		buf_init(&set, 16 * (size_t)n + 16);
		seqset_format_uids(nums, n, &set);
		free(nums);
		if (n > 0) {
			imap_cmd_reply(job->cmd, "OK", "[MODIFIED %s] Conditional STORE failed",
				       set.data);
			buf_free(&set);
			return true;
		}
		buf_free(&set);
	}
	imap_cmd_store_error(job->cmd, job->result);   /* OK: "STORE completed" */
	return true;
}

/* "FLAGS", "+FLAGS.SILENT", ... (RFC 9051 §9 store-att-flags). */
static bool parse_item(const struct imap_arg *arg, enum store_flag_op *op_r, bool *silent_r)
{
	const char *p = arg->str;

	if (arg->type != IMAP_ARG_ATOM)
		return false;
	*op_r = STORE_FLAGS_SET;
	if (*p == '+') {
		*op_r = STORE_FLAGS_ADD;
		p++;
	} else if (*p == '-') {
		*op_r = STORE_FLAGS_REMOVE;
		p++;
	}
	if (strncasecmp(p, "FLAGS", 5) != 0)
		return false;
	p += 5;
	*silent_r = strcasecmp(p, ".SILENT") == 0;
	return *silent_r || *p == '\0';
}

/* RFC 4314 §4: s to change \Seen, t \Deleted, w any other flag or
 * keyword; replacing the flags changes them all. */
static acl_rights store_rights_needed(const struct store_flag_change *change)
{
	acl_rights need = 0;

	if (change->op == STORE_FLAGS_SET)
		return ACL_SEEN | ACL_DELETE_MESSAGES | ACL_WRITE;
	if (change->flags & STORE_FLAG_SEEN)
		need |= ACL_SEEN;
	if (change->flags & STORE_FLAG_DELETED)
		need |= ACL_DELETE_MESSAGES;
	if ((change->flags & ~(uint32_t)(STORE_FLAG_SEEN | STORE_FLAG_DELETED)) != 0 ||
	    change->keyword_count > 0)
		need |= ACL_WRITE;
	return need;
}

enum cmd_step cmd_store(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	bool uid_mode = strncmp(cmd->name, "UID ", 4) == 0;
	enum store_flag_op op;
	bool silent;
	struct imap_flags flags;
	const char *error;

	bool conditional = false;
	uint64_t unchangedsince = 0;

	if (cmd->arg_count >= 2 && cmd->args[1].type == IMAP_ARG_LIST) {
		/* RFC 7162 §3.1.3 store-modifier: (UNCHANGEDSINCE mod-sequence). */
		const struct imap_arg *mod = &cmd->args[1];

		if (mod->list_count != 2 || !imap_arg_is_atom(&mod->list[0], "UNCHANGEDSINCE") ||
		    !imap_arg_number64(&mod->list[1], &unchangedsince)) {
			imap_cmd_reply(cmd, "BAD", "Unknown STORE modifier (UNCHANGEDSINCE n is)");
			return CMD_STEP_DONE;
		}
		conditional = true;
	}
	/* After the set (and the modifier): the item, then the flags. */
	const struct imap_arg *rest = cmd->args + (conditional ? 2 : 1);
	unsigned int rest_count = cmd->arg_count > (conditional ? 2u : 1u) ?
		cmd->arg_count - (conditional ? 2 : 1) : 0;

	if (rest_count < 2 || !parse_item(&rest[0], &op, &silent)) {
		imap_cmd_reply(cmd, "BAD", "%s needs a set, [+|-]FLAGS[.SILENT] and flags",
			       cmd->name);
		return CMD_STEP_DONE;
	}
	/* A flag list, or flags as separate arguments (flag *(SP flag)): the
	 * latter are read as one list. */
	struct imap_arg list = { .type = IMAP_ARG_LIST };
	const struct imap_arg *flag_arg = &rest[1];
	if (rest_count > 2 || rest[1].type != IMAP_ARG_LIST) {
		for (unsigned int i = 1; i < rest_count; i++) {
			if (rest[i].type == IMAP_ARG_LIST) {
				imap_cmd_reply(cmd, "BAD", "Invalid flags");
				return CMD_STEP_DONE;
			}
		}
		list.list = (struct imap_arg *)&rest[1];
		list.list_count = rest_count - 1;
		flag_arg = &list;
	}
	if (!imap_flags_parse(flag_arg, false, cmd->arena, &flags, &error)) {
		imap_cmd_reply(cmd, "BAD", "%s", error);
		return CMD_STEP_DONE;
	}
	uint32_t *uids, count;
	if (!seq_uids_from_arg(cmd, &cmd->args[0], uid_mode, &uids, &count))
		return CMD_STEP_DONE;
	if (s->selected->readonly) {
		/* RFC 9051 §6.4.6: NO, the data cannot be stored. */
		imap_cmd_reply(cmd, "NO", "[READ-ONLY] Mailbox is read-only");
		return CMD_STEP_DONE;
	}

	/* Everything the worker reads is in the arena: the parser's arguments
	 * are gone once the command waits. imap_flags_parse() copied keywords. */
	struct store_state *st = arena_alloc(cmd->arena, sizeof(*st));
	st->name = arena_strdup(cmd->arena, s->selected->name);
	st->uidvalidity = s->selected->uidvalidity;
	st->uids = uids;
	st->count = count;
	st->change.op = op;
	st->change.flags = flags.flags;
	st->change.keywords = flags.keywords;
	st->change.keyword_count = flags.keyword_count;
	st->change.unchangedsince = unchangedsince;
	st->change.conditional = conditional;
	st->silent = silent;
	if (conditional)
		imap_session_enable_condstore(s);
	st->condstore = s->condstore_enabled;
	st->since = s->selected->highestmodseq;
	cmd->state = st;
	cmd->cleanup = store_cleanup;

	/* The sync says nothing of the set: store_announce() answers for it
	 * (or, with .SILENT, nothing does). store_run() lifts this when
	 * nothing was stored or the set could not be read. */
	struct mailbox_view_apply apply = {
		.allow_expunge = uid_mode,     /* RFC 9051 §7.5.1 */
		.include_uid = uid_mode,       /* RFC 9051 §6.4.9 */
		.silent_uids = uids,
		.silent_count = count,
	};
	if (!imap_store_job_submit_selected(cmd, store_rights_needed(&st->change), store_run,
					    store_done, st, true, &apply))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
