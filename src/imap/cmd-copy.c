/* COPY / UID COPY (RFC 9051 §6.4.7) and MOVE / UID MOVE (RFC 6851), with
 * COPYUID (RFC 4315 §3). MOVE's untagged "OK [COPYUID ...]" must precede
 * its EXPUNGE responses (RFC 6851 §4.3), so MOVE collects the changes of
 * the selected mailbox itself, in the same worker step as the move, instead
 * of through the store job's sync (which would announce them before this
 * file could speak). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "imap/cmd-mailbox.h"
#include "imap/command.h"
#include "imap/copy-across.h"
#include "imap/mailbox-name.h"
#include "imap/mailbox-ref.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "net/conn.h"

/* Each uid-set of COPYUID. Two of them must fit one response line
 * (64 KiB, session.c); a copy whose sets are longer (tens of thousands of
 * scattered UIDs) is answered without COPYUID, which RFC 4315 §3 permits
 * ("servers SHOULD"), and the client finds the copies by searching. */
#define COPYUID_SET_MAX (30 * 1024)

struct copy_state {
	bool move;
	bool uid_mode;
	char *from;
	uint32_t uidvalidity;
	uint32_t *uids;
	uint32_t count;
	const char *to;
	struct store_copy_result copied;
	bool have_copied;
	struct buf code;             /* "COPYUID ..." (empty when not sent) */
};

static void copy_cleanup(struct imap_cmd *cmd)
{
	struct copy_state *st = cmd->state;

	if (st == NULL)
		return;
	if (st->have_copied)
		store_copy_result_free(&st->copied);
	st->have_copied = false;
	buf_free(&st->code);
}

static void copy_run(struct store_job *job, struct store *store)
{
	struct copy_state *st = job->ctx;

	memset(&st->copied, 0, sizeof(st->copied));
	/* Another user's target takes messages with i (RFC 4314 §4); one
	 * that is not there is NONEXISTENT, not TRYCREATE (which would say
	 * whether it exists to a user who may not see it). */
	if (!imap_store_job_allows(job, store, st->to, ACL_INSERT))
		return;
	/* Called even for an empty set: the store still says whether the
	 * target exists (TRYCREATE). */
	job->result = store_messages_copy(store, st->from, st->uidvalidity, st->uids, st->count,
					  st->to, st->move, &st->copied);
	st->have_copied = true;
}

/* "COPYUID uidvalidity src dst" into out; false when too long. */
static bool format_copyuid(const struct store_copy_result *r, struct buf *out)
{
	return seqset_format_copyuid(r->dest_uidvalidity, r->src_uids, r->dest_uids, r->count,
				     COPYUID_SET_MAX, out);
}

/* Loop: the COPYUID code, once, before the sync's responses (for MOVE
 * they are its EXPUNGEs, which RFC 6851 §4.3 puts after the COPYUID). */
static void copy_prepare_code(struct store_job *job)
{
	struct copy_state *st = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;

	if (job->result != STORE_OK || st->copied.count == 0)
		return;
	if (!format_copyuid(&st->copied, &st->code)) {
		buf_clear(&st->code);
		log_info("%s: user=%s: %s of %" PRIu32 " messages answered without COPYUID (too long)",
			 conn_peer_str(s->conn), s->user, cmd->name, st->copied.count);
		return;
	}
	if (st->move)
		imap_session_send(s, "* OK [%s] Moved", st->code.data);
}

static bool copy_done(struct store_job *job)
{
	struct copy_state *st = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;
	bool have_code = st->code.len > 0;

	if (job->result == STORE_NOT_FOUND && st->copied.to_missing)
		imap_cmd_reply(cmd, "NO", "[TRYCREATE] No such mailbox");
	else if (job->result != STORE_OK)
		imap_cmd_store_error(cmd, job->result);
	else if (have_code && !st->move)
		/* Sent directly: imap_cmd_reply() bounds its text to 1 KiB. */
		imap_session_send(s, "%s OK [%s] %s completed", cmd->tag, st->code.data, cmd->name);
	else
		imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	return true;
}

static enum cmd_step copy_or_move(struct imap_cmd *cmd, bool move)
{
	struct imap_session *s = cmd->session;
	bool uid_mode = strncmp(cmd->name, "UID ", 4) == 0;
	uint32_t *uids, count;
	struct mailbox_ref to;

	if (cmd->arg_count != 2) {
		imap_cmd_reply(cmd, "BAD", "%s takes a set and a mailbox name", cmd->name);
		return CMD_STEP_DONE;
	}
	if (!seq_uids_from_arg(cmd, &cmd->args[0], uid_mode, &uids, &count))
		return CMD_STEP_DONE;
	if (!cmd_mailbox_ref_arg(cmd, &cmd->args[1], false, &to))
		return CMD_STEP_DONE;
	if (to.name == NULL) {
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return CMD_STEP_DONE;
	}
	if (move && s->selected->readonly) {
		/* RFC 6851 §3.3: MOVE expunges from the source. */
		imap_cmd_reply(cmd, "NO", "[READ-ONLY] Mailbox is read-only");
		return CMD_STEP_DONE;
	}
	if (to.owner != s->selected_owner)
		return copy_across(cmd, move, uid_mode, uids, count, &to);
	struct copy_state *st = arena_alloc(cmd->arena, sizeof(*st));
	st->move = move;
	st->uid_mode = uid_mode;
	st->from = arena_strdup(cmd->arena, s->selected->name);
	st->uidvalidity = s->selected->uidvalidity;
	st->uids = uids;
	st->count = count;
	st->to = to.name;
	buf_init(&st->code, 2 * COPYUID_SET_MAX + 64);
	cmd->state = st;
	cmd->cleanup = copy_cleanup;

	/* The job's sync reports what changed: new messages when copying into
	 * the selected mailbox (RFC 9051 §7.5.1 allows EXPUNGE during COPY),
	 * and for MOVE its own EXPUNGEs, after the COPYUID. */
	struct mailbox_view_apply apply = { .allow_expunge = true, .include_uid = uid_mode };
	struct store_job *job = imap_store_job_submit_selected(cmd, move ? ACL_READ | ACL_EXPUNGE :
							       ACL_READ, copy_run, copy_done,
							       st, true, &apply);
	if (job == NULL)
		return CMD_STEP_DONE;
	job->before_sync = copy_prepare_code;
	return CMD_STEP_WAIT;
}

enum cmd_step cmd_copy(struct imap_cmd *cmd)
{
	return copy_or_move(cmd, false);
}

enum cmd_step cmd_move(struct imap_cmd *cmd)
{
	return copy_or_move(cmd, true);
}
