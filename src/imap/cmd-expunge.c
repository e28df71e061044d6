/* EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes
 * \Deleted messages, all of them or those of a UID set. The EXPUNGE
 * responses are the sync's (store-job.h), so messages expunged by other
 * sessions meanwhile are announced in the same pass, numbered right. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "imap/command.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"

struct expunge_state {
	char *name;
	uint32_t uidvalidity;
	bool uid_mode;
	uint32_t *uids;          /* UID EXPUNGE only */
	uint32_t count;
};

static void expunge_run(struct store_job *job, struct store *store)
{
	struct expunge_state *st = job->ctx;
	uint32_t *expunged = NULL, count = 0;

	/* An empty UID set names nothing; NULL would mean every message. */
	if (st->uid_mode && st->count == 0)
		return;
	job->result = store_messages_expunge(store, st->name, st->uidvalidity,
					     st->uid_mode ? st->uids : NULL, st->count,
					     &expunged, &count);
	free(expunged);
}

static bool expunge_done(struct store_job *job)
{
	imap_cmd_store_error(job->cmd, job->result);   /* OK: "EXPUNGE completed" */
	return true;
}

enum cmd_step cmd_expunge(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	bool uid_mode = strncmp(cmd->name, "UID ", 4) == 0;
	uint32_t *uids = NULL, count = 0;

	if (cmd->arg_count != (uid_mode ? 1u : 0u)) {
		imap_cmd_reply(cmd, "BAD", uid_mode ? "UID EXPUNGE takes a UID set" :
			       "Unexpected arguments");
		return CMD_STEP_DONE;
	}
	if (uid_mode && !seq_uids_from_arg(cmd, &cmd->args[0], true, &uids, &count))
		return CMD_STEP_DONE;
	if (s->selected->readonly) {
		/* RFC 9051 §6.4.3 */
		imap_cmd_reply(cmd, "NO", "[READ-ONLY] Mailbox is read-only");
		return CMD_STEP_DONE;
	}
	struct expunge_state *st = arena_alloc(cmd->arena, sizeof(*st));
	st->name = arena_strdup(cmd->arena, s->selected->name);
	st->uidvalidity = s->selected->uidvalidity;
	st->uid_mode = uid_mode;
	st->uids = uids;
	st->count = count;

	struct mailbox_view_apply apply = { .allow_expunge = true, .include_uid = uid_mode };
	if (!imap_store_job_submit_selected(cmd, ACL_EXPUNGE, expunge_run, expunge_done, st,
					    true, &apply))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
