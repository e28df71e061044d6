/* STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9): changes flags of the
 * messages named by a set. The untagged FETCH responses come from the sync
 * that follows the change (store-job.h), so what a client is told is what
 * the store recorded, together with what other sessions did meanwhile.
 * Never sends EXPUNGE during a plain STORE (RFC 9051 §7.5.1). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "imap/command.h"
#include "imap/flags.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"

struct store_state {
	char *name;
	uint32_t uidvalidity;
	uint32_t *uids;
	uint32_t count;
	struct store_flag_change change;
};

static void store_run(struct store_job *job, struct store *store)
{
	struct store_state *st = job->ctx;
	uint32_t *modified = NULL, modified_count = 0;

	if (st->count == 0)
		return;
	job->result = store_messages_set_flags(store, st->name, st->uidvalidity, st->uids,
					       st->count, &st->change, &modified, &modified_count);
	free(modified);   /* no UNCHANGEDSINCE yet: always empty */
}

static bool store_done(struct store_job *job)
{
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

enum cmd_step cmd_store(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	bool uid_mode = strncmp(cmd->name, "UID ", 4) == 0;
	enum store_flag_op op;
	bool silent;
	struct imap_flags flags;
	const char *error;

	if (cmd->arg_count >= 2 && cmd->args[1].type == IMAP_ARG_LIST) {
		/* RFC 7162 §3.1.3 store-modifier (UNCHANGEDSINCE) */
		imap_cmd_reply(cmd, "BAD", "STORE modifiers are not supported");
		return CMD_STEP_DONE;
	}
	if (cmd->arg_count < 3 || !parse_item(&cmd->args[1], &op, &silent)) {
		imap_cmd_reply(cmd, "BAD", "%s needs a set, [+|-]FLAGS[.SILENT] and flags",
			       cmd->name);
		return CMD_STEP_DONE;
	}
	/* A flag list, or flags as separate arguments (flag *(SP flag)): the
	 * latter are read as one list. */
	struct imap_arg list = { .type = IMAP_ARG_LIST };
	const struct imap_arg *flag_arg = &cmd->args[2];
	if (cmd->arg_count > 3 || cmd->args[2].type != IMAP_ARG_LIST) {
		for (unsigned int i = 2; i < cmd->arg_count; i++) {
			if (cmd->args[i].type == IMAP_ARG_LIST) {
				imap_cmd_reply(cmd, "BAD", "Invalid flags");
				return CMD_STEP_DONE;
			}
		}
		list.list = (struct imap_arg *)&cmd->args[2];
		list.list_count = cmd->arg_count - 2;
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

	/* The FETCH responses are the sync's. Only messages whose flags
	 * changed get a new modseq, so one already in the requested state is
	 * not reported: store.h has no call to read a set's flags yet. */
	struct mailbox_view_apply apply = {
		.allow_expunge = uid_mode,     /* RFC 9051 §7.5.1 */
		.include_uid = uid_mode,       /* RFC 9051 §6.4.9 */
		.silent_uids = silent ? uids : NULL,
		.silent_count = silent ? count : 0,
	};
	if (!imap_store_job_submit(cmd, store_run, store_done, st, true, &apply))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
