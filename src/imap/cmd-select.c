/* Opening and closing the selected mailbox (RFC 9051 §6.3.2, §6.3.3,
 * §6.4.1; RFC 3691 UNSELECT) and CHECK. The mailbox is read on a worker
 * (store_mailbox_snapshot) and the session's view is built there too; the
 * loop only swaps it in and writes the responses. A failed SELECT always
 * leaves the session authenticated with nothing selected. */
#include <inttypes.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "imap/cmd-mailbox.h"
#include "imap/command.h"
#include "imap/mailbox-name.h"
#include "imap/mailbox-ref.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "net/conn.h"

/* FLAGS and PERMANENTFLAGS lines: five system flags plus at most
 * STORE_KEYWORDS_PER_MAILBOX keywords of STORE_KEYWORD_MAX bytes. */
#define SELECT_FLAG_LINE_MAX (256 + STORE_KEYWORDS_PER_MAILBOX * (STORE_KEYWORD_MAX + 1))
/* "* LIST () "/" name": a quoted name may double in size when escaped, and
 * modified UTF-7 takes up to 8/3 bytes per UTF-8 byte. */
#define SELECT_NAME_LINE_MAX (64 + 6 * STORE_MAILBOX_NAME_MAX)

struct select_state {
	bool examine;
	bool condstore;                    /* SELECT ... (CONDSTORE) */
	/* SELECT ... (QRESYNC (uidvalidity modseq [known-uids [seq-match]])) */
	bool qresync;
	uint32_t qr_uidvalidity;
	uint64_t qr_modseq;
	struct seqset qr_known;            /* count 0: not given */
	struct store_changes qr_changes;   /* worker: what changed since qr_modseq */
	bool have_qr_changes;
	bool rev1;
	const char *name;                  /* internal name in the owner's store */
	struct mailbox_ref ref;
	/* worker results */
	struct mailbox_view *view;   /* handed to the session on success */
	uint32_t first_unseen_seq;   /* 0: every message is \Seen */
};

static void select_cleanup(struct imap_cmd *cmd)
{
	struct select_state *st = cmd->state;

	if (st != NULL)
		mailbox_view_free(&st->view);
	if (st != NULL && st->have_qr_changes) {
		store_changes_free(&st->qr_changes);
		st->have_qr_changes = false;
	}
}

static void select_run(struct store_job *job, struct store *store)
{
	struct select_state *st = job->ctx;
	struct store_snapshot snap;

	/* Another user's mailbox is read-only to whom its ACL gives no right
	 * to change anything in it (RFC 4314 §4). */
	bool readonly = st->examine ||
		(job->rights & (ACL_SEEN | ACL_WRITE | ACL_DELETE_MESSAGES | ACL_INSERT |
				ACL_EXPUNGE)) == 0;

	/* RFC 3501 §2.3.2: a read-write SELECT by an IMAP4rev1 client takes the
	 * \Recent messages; EXAMINE and IMAP4rev2 sessions leave them. */
	job->result = store_mailbox_snapshot(store, st->name, !readonly && st->rev1, &snap);
	if (job->result != STORE_OK)
		return;
	for (uint32_t i = 0; i < snap.count; i++) {
		if ((snap.messages[i].flags & STORE_FLAG_SEEN) == 0) {
			st->first_unseen_seq = i + 1;
			break;
		}
	}
	/* RFC 7162 §3.2.5: the client's UIDVALIDITY still holds, so what
	 * changed since its modseq is worth telling. */
	if (st->qresync && snap.uidvalidity == st->qr_uidvalidity &&
	    store_mailbox_changes(store, st->name, snap.uidvalidity, st->qr_modseq,
				  &st->qr_changes) == STORE_OK)
		st->have_qr_changes = true;
	/* Pure data, so it is built here and the loop never walks a large
	 * mailbox's message list. */
	st->view = mailbox_view_create(st->name, readonly, st->rev1, &snap);
	st->view->rights = job->rights;
	store_snapshot_free(&snap);
}

static void send_select_responses(struct imap_session *s, const struct select_state *st)
{
	const struct mailbox_view *v = s->selected;
	struct buf line;

	buf_init(&line, SELECT_FLAG_LINE_MAX);
	imap_session_send(s, "* %" PRIu32 " EXISTS", mailbox_view_count(v));
	if (v->rev1)
		imap_session_send(s, "* %" PRIu32 " RECENT", mailbox_view_recent_count(v));
	mailbox_view_format_flag_list(v, &line);
	imap_session_send(s, "* FLAGS %s", line.data);
	if (v->readonly) {
		imap_session_send(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox");
	} else {
		buf_clear(&line);
		mailbox_view_format_permanent_flags(v, &line);
		imap_session_send(s, "* OK [PERMANENTFLAGS %s] Flags permitted", line.data);
	}
	/* RFC 3501 §6.3.1; RFC 9051 dropped UNSEEN (clients SEARCH instead). */
	if (v->rev1 && st->first_unseen_seq != 0)
		imap_session_send(s, "* OK [UNSEEN %" PRIu32 "] First unseen", st->first_unseen_seq);
	imap_session_send(s, "* OK [UIDVALIDITY %" PRIu32 "] UIDs valid", v->uidvalidity);
	imap_session_send(s, "* OK [UIDNEXT %" PRIu32 "] Predicted next UID", v->uidnext);
	if (v->condstore)   /* RFC 7162 §3.1.2.1 */
		imap_session_send(s, "* OK [HIGHESTMODSEQ %" PRIu64 "] Highest", v->highestmodseq);
	if (!v->rev1) {
		/* RFC 9051 §6.3.2: the mailbox's name as LIST would give it. */
		struct buf wire, quoted;

		buf_init(&wire, SELECT_NAME_LINE_MAX);
		buf_init(&quoted, SELECT_NAME_LINE_MAX);
		if (mailbox_name_to_client(st->ref.full, true, &wire)) {
			mailbox_name_quote(wire.data, &quoted);
			if (!quoted.overflow)
				imap_session_send(s, "* LIST () \"%c\" %s", MAILBOX_NAME_DELIM,
						  quoted.data);
		}
		buf_free(&wire);
		buf_free(&quoted);
	}
	buf_free(&line);
}

/* RFC 7162 §3.2.5: VANISHED (EARLIER) for what was expunged since the
 * client's modseq (within its known UIDs, when given), then FETCH (UID
 * FLAGS MODSEQ) for every message changed since. */
static void send_qresync_responses(struct imap_session *s, struct select_state *st)
{
	struct mailbox_view *v = s->selected;
	const struct store_changes *ch = &st->qr_changes;
	uint32_t *gone = xmalloc((ch->expunged_count + 1) * sizeof(uint32_t));
	uint32_t n = 0;
	struct buf line;

	if (st->qr_known.count > 0)
		seqset_resolve(&st->qr_known, v->uidnext > 1 ? v->uidnext - 1 : 0);
	for (uint32_t i = 0; i < ch->expunged_count; i++) {
		uint32_t uid = ch->expunged[i];

		if ((st->qr_known.count == 0 || seqset_contains(&st->qr_known, uid)) &&
		    mailbox_view_seq(v, uid) == 0)
			gone[n++] = uid;
	}
	if (n > 0) {
		/* Ascending (the store gives expunges in UID order); one line as
		 * long as the set, written in pieces. */
		resp_str(&s->out, "* VANISHED (EARLIER) ");
		resp_uid_set(&s->out, gone, n);
		resp_crlf(&s->out);
	}
	free(gone);
	buf_init(&line, SELECT_FLAG_LINE_MAX);
	for (uint32_t i = 0; i < ch->changed_count; i++) {
		const struct store_message *m = &ch->changed[i];
		uint32_t seq = mailbox_view_seq(v, m->uid);

		if (seq == 0)
			continue;
		buf_printf(&line, "* %" PRIu32 " FETCH (UID %" PRIu32 " FLAGS ", seq, m->uid);
		mailbox_view_format_flags(v, m->uid, m->flags, m->keywords, &line);
		buf_printf(&line, " MODSEQ (%" PRIu64 "))", m->modseq);
		imap_session_send(s, "%s", line.data);
		buf_clear(&line);
	}
	buf_free(&line);
}

static bool select_done(struct store_job *job)
{
	struct select_state *st = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;

	if (job->result != STORE_OK) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	/* Before the view is selected: SELECT (CONDSTORE) sends HIGHESTMODSEQ
	 * with its own responses, not as a newly enabled CONDSTORE. */
	if (st->condstore)
		imap_session_enable_condstore(s);
	imap_session_select(s, st->view, &st->ref);
	st->view = NULL;
	s->selected->condstore = s->condstore_enabled;
	s->selected->qresync = s->qresync_enabled;
	send_select_responses(s, st);
	if (st->have_qr_changes)
		send_qresync_responses(s, st);
	if (s->selected->readonly)
		imap_cmd_reply(cmd, "OK", "[READ-ONLY] %s completed", cmd->name);
	else
		imap_cmd_reply(cmd, "OK", "[READ-WRITE] %s completed", cmd->name);
	return true;
}

/* (uidvalidity modseq [known-uids [seq-match]]): NULL, or why not. */
static const char *qresync_param(struct imap_cmd *cmd, const struct imap_session *s,
				 const struct imap_arg *list, struct select_state *st)
{
	uint64_t uidvalidity, modseq;

	if (!s->qresync_enabled)
		return "QRESYNC is not enabled (ENABLE QRESYNC first)";
	if (list->type != IMAP_ARG_LIST || list->list_count < 2 || list->list_count > 4 ||
	    !imap_arg_number64(&list->list[0], &uidvalidity) || uidvalidity == 0 ||
	    uidvalidity > UINT32_MAX || !imap_arg_number64(&list->list[1], &modseq) ||
	    modseq == 0)
		return "QRESYNC needs (uidvalidity modseq [known-uids [seq-match]])";
	if (list->list_count >= 3) {
		const struct imap_arg *known = &list->list[2];

		if (known->type != IMAP_ARG_ATOM ||
		    seqset_parse(known->str, known->len, SEQ_UIDS_MAX_RANGES, cmd->arena,
				 &st->qr_known) != SEQSET_OK || st->qr_known.dollar)
			return "Invalid QRESYNC known-uids";
	}
	/* seq-match (list 4) only lets a server shorten VANISHED: not needed. */
	if (list->list_count == 4 && list->list[3].type != IMAP_ARG_LIST)
		return "Invalid QRESYNC seq-match";
	st->qresync = true;
	st->qr_uidvalidity = (uint32_t)uidvalidity;
	st->qr_modseq = modseq;
	return NULL;
}

static enum cmd_step select_or_examine(struct imap_cmd *cmd, bool examine)
{
	struct imap_session *s = cmd->session;

	bool condstore = false;

	if (cmd->arg_count < 1 || cmd->arg_count > 2 || imap_arg_astring(&cmd->args[0]) == NULL) {
		imap_cmd_reply(cmd, "BAD", "%s takes a mailbox name and optional parameters",
			       cmd->name);
		return CMD_STEP_DONE;
	}
	struct select_state *st = arena_alloc(cmd->arena, sizeof(*st));

	if (cmd->arg_count == 2) {
		/* RFC 4466 select-params; RFC 7162 §3.1.8 (CONDSTORE), §3.2.5
		 * (QRESYNC (uidvalidity modseq [known-uids [seq-match]])). */
		const struct imap_arg *params = &cmd->args[1];

		if (params->type != IMAP_ARG_LIST || params->list_count == 0) {
			imap_cmd_reply(cmd, "BAD", "%s parameters are a list", cmd->name);
			return CMD_STEP_DONE;
		}
		for (unsigned int i = 0; i < params->list_count; i++) {
			const struct imap_arg *p = &params->list[i];

			if (imap_arg_is_atom(p, "CONDSTORE")) {
				condstore = true;
			} else if (imap_arg_is_atom(p, "QRESYNC") && i + 1 < params->list_count) {
				const char *error = qresync_param(cmd, s, &params->list[++i], st);

				if (error != NULL) {
					imap_cmd_reply(cmd, "BAD", "%s", error);
					return CMD_STEP_DONE;
				}
				condstore = true;
			} else {
				imap_cmd_reply(cmd, "BAD", "Unknown %s parameter", cmd->name);
				return CMD_STEP_DONE;
			}
		}
	}
	/* RFC 9051 §6.3.2: the current mailbox is closed first, whatever the
	 * outcome; §7.1 CLOSED marks where its responses end (IMAP4rev2 only:
	 * a rev1 client knows the code only with QRESYNC). */
	if (s->selected != NULL) {
		imap_session_unselect(s);
		if (s->rev2_enabled || s->qresync_enabled)
			imap_session_send(s, "* OK [CLOSED] Previous mailbox is now closed");
	}
	if (!cmd_mailbox_ref_arg(cmd, &cmd->args[0], false, &st->ref))
		return CMD_STEP_DONE;
	st->examine = examine;
	st->condstore = condstore;
	st->rev1 = !s->rev2_enabled;
	st->name = st->ref.name;
	cmd->state = st;
	cmd->cleanup = select_cleanup;
	if (!imap_store_job_submit_ref(cmd, &st->ref, ACL_READ, select_run, select_done, st,
				       false, NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

enum cmd_step cmd_select(struct imap_cmd *cmd)
{
	return select_or_examine(cmd, false);
}

enum cmd_step cmd_examine(struct imap_cmd *cmd)
{
	return select_or_examine(cmd, true);
}

/* ---- CLOSE ---- */

struct close_state {
	char *name;
	uint32_t uidvalidity;
};

static void close_run(struct store_job *job, struct store *store)
{
	struct close_state *st = job->ctx;
	uint32_t *expunged = NULL, count = 0;

	job->result = store_messages_expunge(store, st->name, st->uidvalidity, NULL, 0,
					     &expunged, &count);
	free(expunged);
}

static bool close_done(struct store_job *job)
{
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;

	imap_session_unselect(s);
	/* RFC 9051 §6.4.1 gives CLOSE no NO: the mailbox is closed whatever
	 * happened, and a failed expunge is told untagged (as Dovecot does).
	 * A mailbox deleted meanwhile has nothing left to expunge. */
	if (job->result != STORE_OK && job->result != STORE_NOT_FOUND &&
	    job->result != STORE_NO_RIGHTS) {
		log_warn("%s: user=%s: CLOSE could not expunge: %s", conn_peer_str(s->conn),
			 s->user, store_result_name(job->result));
		imap_session_send(s, "* NO Messages marked \\Deleted could not be expunged");
	}
	imap_cmd_reply(cmd, "OK", "CLOSE completed");
	return true;
}

enum cmd_step cmd_close(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->arg_count != 0) {
		imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
		return CMD_STEP_DONE;
	}
	if (s->selected->readonly) {
		/* RFC 9051 §6.4.1: nothing is removed from a read-only mailbox. */
		imap_session_unselect(s);
		imap_cmd_reply(cmd, "OK", "CLOSE completed");
		return CMD_STEP_DONE;
	}
	struct close_state *st = arena_alloc(cmd->arena, sizeof(*st));
	st->name = arena_strdup(cmd->arena, s->selected->name);
	st->uidvalidity = s->selected->uidvalidity;
	/* No sync: the expunges are silent (RFC 9051 §6.4.1). Without the e
	 * right on another user's mailbox the job does not run and CLOSE
	 * closes without expunging (RFC 4314 §4). */
	if (!imap_store_job_submit_selected(cmd, ACL_EXPUNGE, close_run, close_done, st, false,
					    NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

/* ---- UNSELECT, CHECK ---- */

enum cmd_step cmd_unselect(struct imap_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
		return CMD_STEP_DONE;
	}
	/* RFC 3691: like CLOSE, without the expunge. */
	imap_session_unselect(cmd->session);
	imap_cmd_reply(cmd, "OK", "UNSELECT completed");
	return CMD_STEP_DONE;
}

enum cmd_step cmd_check(struct imap_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
		return CMD_STEP_DONE;
	}
	/* RFC 3501 §6.4.1: a checkpoint; every change is already durable
	 * (store.h), so it is a sync like NOOP. RFC 9051 removed CHECK; it is
	 * kept for IMAP4rev2 sessions too, where it harms nothing. */
	return imap_store_job_sync_only(cmd);
}
