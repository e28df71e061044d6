/* IDLE (RFC 2177, part of IMAP4rev2: RFC 9051 §6.3.13). After "+ idling"
 * the session watches its user's store (mail_user_watch_add()): a change
 * made by another session of this process wakes it, and a sync job
 * announces the selected mailbox's changes (EXISTS, EXPUNGE, FETCH FLAGS)
 * at once. "DONE" ends the command; anything else is BAD. The autologout
 * timer keeps running (a command waiting for a client line is inactivity),
 * so clients re-issue IDLE within 30 minutes, as RFC 2177 asks; a server
 * shutdown sends BYE.
 *
 * Each sync's job and its strings come from the command's arena; it is
 * rolled back to a mark after each one, so a long IDLE in a busy mailbox
 * does not grow it.
 *
 * A client that idles without reading must not make the server pile up
 * its updates: while its output is full no sync runs (the changes wait in
 * the store, where they cost nothing, and one sync announces them all
 * once the client has read); a session whose unread updates still pass
 * IDLE_OUTPUT_MAX is ended with BYE, as Dovecot does. */
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/log.h"
#include "user/mail-user.h"
#include "imap/session.h"
#include "imap/store-job.h"
#include "net/conn.h"

/* Unread output after a sync beyond which an idling session is ended: one
 * sync of a 100,000-message mailbox whose flags all changed is ~6 MiB. */
#define IDLE_OUTPUT_MAX (16 * 1024 * 1024)

struct idle_state {
	struct mail_user_watch *watch;
	struct mail_user *watched;        /* the selected mailbox's owner, or the user */
	struct arena_mark mark;          /* the arena as it was before any sync */
	bool syncing;                    /* a sync job is queued or running */
	bool deferred;                   /* woken while the output was full */
	bool again;                      /* woken while syncing */
	bool done_seen;                  /* DONE (or a bad line) arrived */
	bool bad_line;
};

static bool idle_sync(struct imap_cmd *cmd);
static void idle_on_drained(struct imap_cmd *cmd);

/* A sync whose updates could not be sent now waits for the client to read:
 * true when it was put off. */
static bool idle_defer(struct imap_cmd *cmd)
{
	struct idle_state *st = cmd->state;

	if (!conn_output_full(cmd->session->conn))
		return false;
	st->deferred = true;
	cmd->output_drained = idle_on_drained;
	return true;
}

static void idle_finish(struct imap_cmd *cmd)
{
	struct idle_state *st = cmd->state;

	mail_user_watch_remove(st->watched, &st->watch);
	if (st->bad_line)
		imap_cmd_reply(cmd, "BAD", "Expected DONE");
	else
		imap_cmd_reply(cmd, "OK", "IDLE terminated");
}

static bool idle_sync_done(struct store_job *job)
{
	struct imap_cmd *cmd = job->cmd;
	struct idle_state *st = cmd->state;

	struct imap_session *s = cmd->session;

	st->syncing = false;
	arena_release(cmd->arena, st->mark);
	if (st->done_seen) {
		idle_finish(cmd);
		return true;
	}
	if (conn_output_size(s->conn) > IDLE_OUTPUT_MAX) {
		log_info("%s: user=%s: client does not read its IDLE updates, disconnecting",
			 conn_peer_str(s->conn), s->user);
		mail_user_watch_remove(st->watched, &st->watch);
		cmd->input_line = NULL;
		imap_session_bye(s, "Too many unread updates");
		return true;
	}
	if (st->again) {
		st->again = false;
		if (!idle_defer(cmd) && !idle_sync(cmd))
			return true;
	}
	return false;
}

/* False when the worker queue is full: the reply NO [UNAVAILABLE] was
 * written and the IDLE ends (the client syncs with its next command);
 * the caller completes the command. */
static bool idle_sync(struct imap_cmd *cmd)
{
	struct idle_state *st = cmd->state;

	if (cmd->session->selected == NULL)
		return true;   /* nothing to announce in the authenticated state */
	st->syncing = true;
	if (imap_store_job_submit_selected(cmd, 0, NULL, idle_sync_done, st, true, NULL) != NULL)
		return true;
	st->syncing = false;
	mail_user_watch_remove(st->watched, &st->watch);
	cmd->input_line = NULL;
	return false;
}

/* On the session's loop, after another session changed the user's store. */
static void idle_wake(void *ctx)
{
	struct imap_cmd *cmd = ctx;
	struct idle_state *st = cmd->state;

	if (st->done_seen || st->deferred)
		return;   /* a deferred sync covers this change too */
	if (st->syncing)
		st->again = true;
	else if (!idle_defer(cmd) && !idle_sync(cmd))
		imap_cmd_complete(cmd);
}

/* The client read what was queued: announce what changed meanwhile. */
static void idle_on_drained(struct imap_cmd *cmd)
{
	struct idle_state *st = cmd->state;

	st->deferred = false;
	if (st->done_seen || st->syncing)
		return;
	if (!idle_sync(cmd))
		imap_cmd_complete(cmd);
}

static void idle_line(struct imap_cmd *cmd, const char *line, size_t len)
{
	struct idle_state *st = cmd->state;

	st->done_seen = true;
	st->bad_line = !(len == 4 && strncasecmp(line, "DONE", 4) == 0);
	if (st->syncing)
		return;   /* the sync's completion answers, after its responses */
	idle_finish(cmd);
	imap_cmd_complete(cmd);
}

static void idle_cleanup(struct imap_cmd *cmd)
{
	struct idle_state *st = cmd->state;

	if (st != NULL)
		mail_user_watch_remove(st->watched, &st->watch);
}

enum cmd_step cmd_idle(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct idle_state *st;

	if (cmd->arg_count != 0) {
		imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
		return CMD_STEP_DONE;
	}
	st = arena_alloc(cmd->arena, sizeof(*st));
	cmd->state = st;
	cmd->cleanup = idle_cleanup;
	cmd->input_line = idle_line;
	imap_session_send(s, "+ idling");
	/* Watch first, then sync what changed since the last command: a
	 * change committed in between wakes the watch, so none is missed. */
	/* Another user's selected mailbox changes in their store: watched
	 * there (the session holds that entry while it is selected). */
	st->watched = s->selected != NULL ? s->selected_owner : s->mail_user;
	st->watch = mail_user_watch_add(st->watched, s->loop, idle_wake, cmd);
	st->mark = arena_mark(cmd->arena);
	return idle_sync(cmd) ? CMD_STEP_WAIT : CMD_STEP_DONE;
}
