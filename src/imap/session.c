/* Session driver: turns input bytes into commands through the parser, runs
 * them one at a time, and handles literals, continuation lines, timers,
 * backpressure and the end of the session. It never interprets a command's
 * arguments: that is each cmd-*.c's job. */
#include "imap/session.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/throttle.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "imap/capability.h"
#include "imap/imap-server.h"
#include "user/mail-user.h"
#include "user/user-services.h"
#include "imap/mailbox-ref.h"
#include "imap/mailbox-view.h"
#include "imap/parser.h"
#include "net/conn-limits.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/workers.h"

/* RFC 2971 §3.3: the largest ID is 30 pairs of a 30-octet field and a
 * 1024-octet value; quoted, with the command words, that is a 31,804-byte
 * line plus the tag, so 32 KiB line and command budgets hold it and no more. */
#define PREAUTH_ID_MAX (32 * 1024)

/* Before login a client gets just enough room to log in: small limits keep
 * an unauthenticated flood cheap (the Redis lesson). */
static const struct imap_parser_limits preauth_limits = {
	.max_line = PREAUTH_ID_MAX,
	.max_command = PREAUTH_ID_MAX,
	.max_depth = 4,           /* ID's list is the deepest pre-login argument */
	.max_args = 128,          /* ID: 30 pairs plus command words */
};
#define PREAUTH_LITERAL_MAX (8 * 1024)

/* After login: room for long UID sets and search programs, still bounded.
 * APPEND's message literals will be streamed to the store, not buffered. */
static const struct imap_parser_limits auth_limits = {
	.max_line = 64 * 1024,
	.max_command = 256 * 1024,
	.max_depth = 64,          /* nested search keys; deeper is hostile */
	.max_args = 16 * 1024,
};
#define AUTH_LITERAL_MAX (64 * 1024)

/* A continuation line (SASL response) longer than this ends the session. */
#define CONTINUATION_LINE_MAX (16 * 1024)
/* The command arena's first block, which every session keeps: 512 bytes
 * hold a command, its store job and IDLE's state; it was 1 KiB (issue 13:
 * memory per connected user). */
#define SESSION_CMD_ARENA_BLOCK 512

/* Commands that ended with their tagged reply owed (imap_cmd_reply_later(),
 * pipelined APPENDs waiting for their group commit): past this many the
 * session reads no further command. 128 lets a client that keeps that
 * many APPENDs in flight fill whole commits (the bench's window); each owes
 * ~100 bytes here, and what its messages hold is bounded by cmd-append.c. */
#define SESSION_REPLIES_OWED_MAX 128

/* A tagged reply owed by a command that has ended. */
struct imap_reply {
	struct imap_reply *next;
	char *line;                        /* "tag STATUS text", NULL until sent */
	char tag[];
};

static void session_process(struct imap_session *s);
static void session_release_held(struct imap_session *s, struct imap_cmd *cmd);

static void session_free(struct imap_session *s)
{
	if (s->cmd != NULL && s->cmd->cleanup != NULL)
		s->cmd->cleanup(s->cmd);
	if (s->cmd != NULL)
		session_release_held(s, s->cmd);
	if (s->idle_timer != NULL)
		event_free(s->idle_timer);
	if (s->delay_timer != NULL)
		event_free(s->delay_timer);
	imap_parser_destroy(&s->parser);
	arena_destroy(&s->cmd_arena);
	imap_session_unselect(s);
	/* Before the release: a literal's cleanup job must be queued ahead of
	 * the store's close. */
	if (s->literal_reader != NULL)
		s->literal_reader->abort(s);
	while (s->replies_head != NULL) {
		struct imap_reply *r = s->replies_head;

		s->replies_head = r->next;
		free(r->line);
		free(r);
	}
	mail_user_release(&s->mail_user, s->loop);
	free(s->user);
	free(s);
}

static void session_write(void *ctx, const void *data, size_t len)
{
	struct imap_session *s = ctx;

	if (s->conn != NULL)
		conn_write(s->conn, data, len);
}

void imap_session_send(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->conn == NULL)
		return;
	va_start(ap, fmt);
	resp_vprintf(&s->out, fmt, ap);
	va_end(ap);
	resp_crlf(&s->out);
}

void imap_session_bye(struct imap_session *s, const char *text)
{
	if (s->closing || s->conn == NULL)
		return;
	imap_session_send(s, "* BYE %s", text);
	s->closing = true;
	conn_close(s->conn);
}

bool imap_session_cleartext_allowed(const struct imap_session *s)
{
	const struct petrel_config *cfg = s->server->config;

	if (conn_is_tls(s->conn) || cfg->allow_cleartext_auth)
		return true;
	return conn_peer_is_loopback(s->conn) && !cfg->treat_loopback_as_insecure;
}

bool imap_session_starttls_available(const struct imap_session *s)
{
	return s->server->tls != NULL && !conn_is_tls(s->conn);
}

static void session_arm_idle_timer(struct imap_session *s)
{
	const struct petrel_config *cfg = s->server->config;
	unsigned int secs = s->state == IMAP_STATE_NOT_AUTH ? cfg->login_timeout_s : cfg->idle_timeout_s;
	struct timeval tv = { secs, 0 };

	event_add(s->idle_timer, &tv);
}

static void session_idle_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct imap_session *s = arg;

	(void)fd;
	(void)what;
	if ((s->cmd != NULL && s->cmd->input_line == NULL) || s->replies_owed > 0 ||
	    s->literal_waiting) {
		/* The server is still working on a command (a slow worker, the
		 * failed-login delay): that is not the client's inactivity. A
		 * command waiting for a client line (AUTHENTICATE) is. */
		session_arm_idle_timer(s);
		return;
	}
	log_info("%s: autologout after inactivity%s%s", conn_peer_str(s->conn),
		 s->user ? " user=" : "", s->user ? s->user : "");
	imap_session_bye(s, "Autologout; idle for too long");
}

static void session_delay_fired(evutil_socket_t fd, short what, void *arg)
{
	struct imap_session *s = arg;
	void (*fn)(struct imap_cmd *) = s->delay_fn;

	(void)fd;
	(void)what;
	s->delay_fn = NULL;
	if (fn != NULL && s->cmd != NULL)
		fn(s->cmd);
}

void imap_session_delay(struct imap_session *s, unsigned int ms, void (*fn)(struct imap_cmd *cmd))
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (s->delay_timer == NULL)
		s->delay_timer = evtimer_new(loop_base(conn_loop(s->conn)), session_delay_fired, s);
	s->delay_fn = fn;
	event_add(s->delay_timer, &tv);
}

/* ---- worker jobs ---- */

struct session_job {
	struct imap_session *session;
	void (*run)(void *ctx);
	void (*done)(void *ctx);
	void *ctx;
};

static void session_job_run(void *arg)
{
	struct session_job *job = arg;

	job->run(job->ctx);
}

static void session_job_done(void *arg)
{
	struct session_job *job = arg;
	struct imap_session *s = job->session;

	s->jobs_pending--;
	job->done(job->ctx);
	free(job);
	if (s->closed) {
		if (s->jobs_pending == 0)
			session_free(s);
		return;
	}
	session_process(s);
}

bool imap_session_submit(struct imap_session *s, uint64_t key,
			 void (*run)(void *ctx), void (*done)(void *ctx), void *ctx)
{
	return imap_session_submit_to(s, s->server->users->workers, key, run, done, ctx);
}

bool imap_session_submit_to(struct imap_session *s, struct worker_pool *pool, uint64_t key,
			    void (*run)(void *ctx), void (*done)(void *ctx), void *ctx)
{
	struct session_job *job = xmalloc(sizeof(*job));

	job->session = s;
	job->run = run;
	job->done = done;
	job->ctx = ctx;
	if (!worker_pool_submit(pool, key, conn_loop(s->conn),
				session_job_run, session_job_done, job)) {
		free(job);
		return false;
	}
	s->jobs_pending++;
	return true;
}

/* ---- commands ---- */

void imap_cmd_reply(struct imap_cmd *cmd, const char *status, const char *fmt, ...)
{
	struct imap_session *s = cmd->session;
	va_list ap;

	if (s->conn != NULL) {
		resp_printf(&s->out, "%s %s ", cmd->tag, status);
		va_start(ap, fmt);
		resp_vprintf(&s->out, fmt, ap);
		va_end(ap);
		resp_crlf(&s->out);
	}
	if (strcmp(status, "BAD") == 0)
		s->bad_count++;
}

struct imap_reply *imap_cmd_reply_later(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	size_t len = strlen(cmd->tag);
	struct imap_reply *r = xcalloc(1, sizeof(*r) + len + 1);

	memcpy(r->tag, cmd->tag, len + 1);
	if (s->replies_tail != NULL)
		s->replies_tail->next = r;
	else
		s->replies_head = r;
	s->replies_tail = r;
	s->replies_owed++;
	return r;
}

void imap_reply_send(struct imap_session *s, struct imap_reply *reply, const char *status,
		     const char *fmt, ...)
{
	va_list ap;
	size_t head = strlen(reply->tag) + strlen(status) + 2;

	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	reply->line = xmalloc(head + (size_t)n + 1);
	snprintf(reply->line, head + 1, "%s %s ", reply->tag, status);
	va_start(ap, fmt);
	vsnprintf(reply->line + head, (size_t)n + 1, fmt, ap);
	va_end(ap);
	/* RFC 9051 §5.5: in command order, whatever order the jobs ended in. */
	while (s->replies_head != NULL && s->replies_head->line != NULL) {
		struct imap_reply *r = s->replies_head;

		if (s->conn != NULL)
			imap_session_send(s, "%s", r->line);
		s->replies_head = r->next;
		if (s->replies_head == NULL)
			s->replies_tail = NULL;
		s->replies_owed--;
		free(r->line);
		free(r);
	}
}

/* The other users' entries a command held (mailbox-ref.c). */
static void session_release_held(struct imap_session *s, struct imap_cmd *cmd)
{
	for (unsigned int i = 0; i < cmd->held_count; i++)
		mail_user_release(&cmd->held[i], s->loop);
	cmd->held_count = 0;
}

static void session_end_command(struct imap_session *s)
{
	struct imap_cmd *cmd = s->cmd;

	if (cmd->cleanup != NULL)
		cmd->cleanup(cmd);
	session_release_held(s, cmd);
	s->cmd = NULL;
	arena_reset(s->cmd_arena);
	if (s->state != IMAP_STATE_NOT_AUTH && !s->auth_limits) {
		/* The parser is idle between commands: swap in the post-login limits. */
		imap_parser_destroy(&s->parser);
		s->parser = imap_parser_create(&auth_limits);
		s->auth_limits = true;
	}
	if (s->bad_count >= s->server->config->max_bad_commands) {
		log_info("%s: too many invalid commands", conn_peer_str(s->conn));
		imap_session_bye(s, "Too many invalid commands");
	}
	if (!s->closing)
		session_arm_idle_timer(s);
}

void imap_cmd_complete(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	session_end_command(s);
	/* Go on with pipelined input, unless we are already inside
	 * session_process() (a continuation line completed the command), whose
	 * loop goes on by itself. */
	if (!s->processing)
		session_process(s);
}

static void session_reply_untagged_bad(struct imap_session *s, const char *tag, const char *why)
{
	if (tag != NULL)
		imap_session_send(s, "%s BAD %s", tag, why);
	else
		imap_session_send(s, "* BAD %s", why);
	s->bad_count++;
	if (s->bad_count >= s->server->config->max_bad_commands) {
		log_info("%s: too many invalid commands", conn_peer_str(s->conn));
		imap_session_bye(s, "Too many invalid commands");
	}
}

/* Canonical command name: the first arg, or "UID X" for UID commands. */
static const char *command_name(struct arena *arena, const struct imap_arg *args,
				unsigned int count, unsigned int *used_r)
{
	if (count == 0 || args[0].type != IMAP_ARG_ATOM)
		return NULL;
	*used_r = 1;
	if (imap_arg_is_atom(&args[0], "UID") && count >= 2 && args[1].type == IMAP_ARG_ATOM) {
		*used_r = 2;
		return str_ascii_upper(arena_printf(arena, "UID %s", args[1].str));
	}
	return str_ascii_upper(arena_strndup(arena, args[0].str, args[0].len));
}

static void session_run_command(struct imap_session *s)
{
	unsigned int count, used = 0;
	const struct imap_arg *args = imap_parser_args(s->parser, &count);
	const char *tag = imap_parser_tag(s->parser);
	struct imap_cmd *cmd = arena_alloc(s->cmd_arena, sizeof(*cmd));

	cmd->session = s;
	cmd->arena = s->cmd_arena;
	cmd->tag = arena_strdup(s->cmd_arena, tag);
	cmd->name = command_name(s->cmd_arena, args, count, &used);
	if (cmd->name == NULL) {
		session_reply_untagged_bad(s, cmd->tag, "Missing command name");
		arena_reset(s->cmd_arena);
		return;
	}
	const struct imap_command_def *def = imap_command_find(cmd->name);
	if (def == NULL) {
		session_reply_untagged_bad(s, cmd->tag, "Unknown command");
		arena_reset(s->cmd_arena);
		return;
	}
	if ((def->states & s->state) == 0) {
		session_reply_untagged_bad(s, cmd->tag,
			s->state == IMAP_STATE_NOT_AUTH ? "Not logged in" :
			"Command not allowed in this state");
		arena_reset(s->cmd_arena);
		return;
	}
	if (s->replies_owed > 0 && !def->pipelines) {
		/* Parsed, not run: its args stay in the parser meanwhile. */
		s->run_waiting = true;
		arena_reset(s->cmd_arena);
		return;
	}
	cmd->args = args + used;
	cmd->arg_count = count - used;
	s->cmd = cmd;
	if (def->run(cmd) == CMD_STEP_DONE)
		session_end_command(s);
}

/* A continuation line for the running command (AUTHENTICATE). Returns false
 * when the line is not complete yet. */
static bool session_read_continuation(struct imap_session *s, struct evbuffer *in)
{
	size_t eol_len;
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);

	if (eol.pos < 0) {
		if (evbuffer_get_length(in) > CONTINUATION_LINE_MAX)
			imap_session_bye(s, "Line too long");
		return false;
	}
	if ((size_t)eol.pos > CONTINUATION_LINE_MAX) {
		imap_session_bye(s, "Line too long");
		return false;
	}
	char *line = arena_alloc(s->cmd_arena, (size_t)eol.pos + 1);
	evbuffer_remove(in, line, (size_t)eol.pos);
	evbuffer_drain(in, eol_len);
	line[eol.pos] = '\0';

	void (*fn)(struct imap_cmd *, const char *, size_t) = s->cmd->input_line;
	s->cmd->input_line = NULL;
	session_arm_idle_timer(s);
	fn(s->cmd, line, (size_t)eol.pos);
	return true;
}

static void session_on_bad(struct imap_session *s)
{
	const char *tag = imap_parser_tag(s->parser);
	const char *why = imap_parser_error(s->parser);

	if (s->literal_reader != NULL)
		s->literal_reader->abort(s);

	if (imap_parser_error_fatal(s->parser)) {
		log_info("%s: closing: %s", conn_peer_str(s->conn), why);
		if (tag != NULL)
			imap_session_send(s, "%s BAD %s", tag, why);
		imap_session_bye(s, why);
		return;
	}
	session_reply_untagged_bad(s, tag, why);
}

void imap_session_literal_stream(struct imap_session *s, const struct imap_literal_reader *reader)
{
	bool sync = imap_parser_literal(s->parser)->sync;

	s->literal_waiting = false;
	s->literal_reader = reader;
	imap_parser_literal_stream(s->parser);
	/* RFC 9051 §4.3: the client waits for "+" before a {N} literal. */
	if (sync)
		imap_session_send(s, "+ Ready for literal data");
}

void imap_session_literal_refuse(struct imap_session *s, const char *fmt, ...)
{
	const char *tag = imap_parser_tag(s->parser);
	bool sync = imap_parser_literal(s->parser)->sync;
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->literal_waiting = false;
	imap_session_send(s, "%s NO %s", tag != NULL ? tag : "*", text);
	imap_parser_literal_refuse(s->parser);
	if (!sync) {
		/* Its bytes are already on the way and cannot be told apart from
		 * commands: the session cannot go on. */
		imap_session_bye(s, "Non-synchronizing literal too big");
	}
}

/* The command whose literal was just announced reads it itself when the
 * command table says so (any top-level literal after the command name). */
static enum imap_literal_step session_literal_hook(struct imap_session *s,
						   const struct imap_literal_info *lit)
{
	unsigned int count, used = 0;
	const struct imap_arg *args = imap_parser_args(s->parser, &count);
	const struct imap_command_def *def;
	const char *name;

	if (s->state == IMAP_STATE_NOT_AUTH || imap_parser_depth(s->parser) != 0)
		return IMAP_LITERAL_NOT_MINE;
	name = command_name(s->cmd_arena, args, count, &used);
	def = name != NULL ? imap_command_find(name) : NULL;
	arena_reset(s->cmd_arena);
	if (def == NULL || def->literal == NULL || (def->states & s->state) == 0)
		return IMAP_LITERAL_NOT_MINE;
	return def->literal(s, lit);
}

static void session_on_literal(struct imap_session *s)
{
	const struct imap_literal_info *lit = imap_parser_literal(s->parser);
	uint64_t max = s->state == IMAP_STATE_NOT_AUTH ? PREAUTH_LITERAL_MAX : AUTH_LITERAL_MAX;
	const char *tag = imap_parser_tag(s->parser);

	switch (session_literal_hook(s, lit)) {
	case IMAP_LITERAL_NOT_MINE:
		break;
	case IMAP_LITERAL_DECIDED:
		return;
	case IMAP_LITERAL_WAIT:
		s->literal_waiting = true;
		return;
	}
	if (lit->size <= max) {
		bool sync = lit->sync;

		/* Accept first: the parser may find the literal pushes the whole
		 * command past its limit, and then no "+" may be sent. */
		imap_parser_literal_accept(s->parser);
		if (imap_parser_error_fatal(s->parser)) {
			session_on_bad(s);
			return;
		}
		/* RFC 9051 §4.3: the client waits for "+" before a {N} literal. */
		if (sync)
			imap_session_send(s, "+ Ready for literal data");
		return;
	}
	/* Refused before "+" is sent (RFC 7888 §4 / RFC 9051 §7.1 TOOBIG). */
	bool sync = lit->sync;
	imap_session_send(s, "%s NO [TOOBIG] Literal too big (max %llu bytes)",
			  tag != NULL ? tag : "*", (unsigned long long)max);
	imap_parser_literal_refuse(s->parser);
	if (!sync) {
		/* Its bytes are already on the way and cannot be told apart from
		 * commands: the session cannot go on. */
		imap_session_bye(s, "Non-synchronizing literal too big");
	}
}

static void session_process(struct imap_session *s)
{
	if (s->closed || s->conn == NULL || s->processing)
		return;
	struct evbuffer *in = conn_input(s->conn);

	s->processing = true;
	while (!s->closing) {
		if (s->cmd != NULL) {
			if (s->cmd->input_line == NULL || !session_read_continuation(s, in))
				break;
			continue;
		}
		if (s->literal_waiting)
			break;   /* the command checks its target before "+" */
		if (s->run_waiting) {
			/* A command that does not pipeline runs once every reply
			 * owed before it has been sent. */
			if (s->replies_owed > 0)
				break;
			s->run_waiting = false;
			session_run_command(s);
			continue;
		}
		if (conn_output_full(s->conn)) {
			/* Backpressure: read no command until the client drains. */
			s->waiting_drain = true;
			break;
		}
		if (evbuffer_get_length(in) == 0)
			break;
		if (s->literal_reader != NULL && s->literal_reader->left(s) > 0) {
			/* A literal its command reads (APPEND: to the store, not
			 * the parser). When it can take no more now, a job's end
			 * calls us again. */
			struct evbuffer_iovec v;
			size_t taken;

			if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
				break;
			taken = s->literal_reader->feed(s, v.iov_base, v.iov_len);
			if (taken == 0)
				break;
			evbuffer_drain(in, taken);
			continue;
		}
		if (s->replies_owed >= SESSION_REPLIES_OWED_MAX)
			break;   /* read ahead far enough: wait for replies owed */

		struct evbuffer_iovec vec;
		size_t consumed = 0;
		if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1)
			break;
		enum imap_parse_result r = imap_parser_feed(s->parser, vec.iov_base,
							    vec.iov_len, &consumed);
		evbuffer_drain(in, consumed);
		switch (r) {
		case IMAP_PARSE_NEED_MORE:
			if (consumed == 0)
				goto out;   /* defensive: no progress */
			break;
		case IMAP_PARSE_LITERAL:
			session_on_literal(s);
			break;
		case IMAP_PARSE_DONE:
			session_arm_idle_timer(s);
			session_run_command(s);
			break;
		case IMAP_PARSE_BAD:
			session_arm_idle_timer(s);
			session_on_bad(s);
			break;
		}
	}
out:
	s->processing = false;
	conn_input_consumed(s->conn);
	if (!s->closing && conn_eof(s->conn) && s->replies_owed == 0 && !s->literal_waiting &&
	    !s->run_waiting && (s->cmd == NULL || s->cmd->input_line != NULL)) {
		/* The client closed its side and every complete command is
		 * answered, or the command waits for a line that cannot come. */
		s->closing = true;
		conn_close(s->conn);
	}
}

/* ---- connection callbacks ---- */

static void session_on_input(void *owner)
{
	session_process(owner);
}

static void session_on_drained(void *owner)
{
	struct imap_session *s = owner;

	if (s->cmd != NULL && s->cmd->output_drained != NULL) {
		void (*fn)(struct imap_cmd *cmd) = s->cmd->output_drained;

		s->cmd->output_drained = NULL;
		fn(s->cmd);
		return;
	}
	if (s->waiting_drain) {
		s->waiting_drain = false;
		session_process(s);
	}
}

static void session_on_closed(void *owner)
{
	struct imap_session *s = owner;

	log_debug("session closed user=%s", s->user ? s->user : "-");
	s->conn = NULL;
	s->closed = true;
	if (s->idle_timer != NULL)
		event_del(s->idle_timer);
	if (s->delay_timer != NULL)
		event_del(s->delay_timer);
	if (s->jobs_pending == 0)
		session_free(s);
}

static void session_on_shutdown(void *owner)
{
	/* The search indexer stops requeueing itself: shutdown waits only
	 * for the batches already queued. */
	user_services_shutdown();
	imap_session_bye(owner, "Server shutting down");
}

static const struct conn_handler session_conn_handler = {
	.input = session_on_input,
	.drained = session_on_drained,
	.closed = session_on_closed,
	.shutdown = session_on_shutdown,
};

void imap_session_enable_condstore(struct imap_session *s)
{
	/* RFC 7162 §3.1: CONDSTORE first enabled with a mailbox selected (FETCH
	 * MODSEQ, ENABLE, ...) reports that mailbox's HIGHESTMODSEQ at once. */
	if (!s->condstore_enabled && s->selected != NULL)
		imap_session_send(s, "* OK [HIGHESTMODSEQ %" PRIu64 "] Highest",
				  s->selected->highestmodseq);
	s->condstore_enabled = true;
	if (s->selected != NULL)
		s->selected->condstore = true;
}

void imap_session_unselect(struct imap_session *s)
{
	mailbox_view_free(&s->selected);
	if (s->selected_other)
		mail_user_release(&s->selected_owner, s->loop);
	s->selected_owner = NULL;
	s->selected_other = false;
	free(s->selected_owner_name);
	s->selected_owner_name = NULL;
	s->state = IMAP_STATE_AUTH;
}

void imap_session_select(struct imap_session *s, struct mailbox_view *view,
			 const struct mailbox_ref *ref)
{
	imap_session_unselect(s);
	s->selected = view;
	s->selected_other = ref->other;
	s->selected_owner = ref->other ? mail_user_acquire(s->server->users, ref->owner_name)
				       : s->mail_user;
	s->selected_owner_name = xstrdup(ref->owner_name);
	s->state = IMAP_STATE_SELECTED;
}

void imap_session_logged_in(struct imap_session *s, const char *user)
{
	s->state = IMAP_STATE_AUTH;
	free(s->user);
	s->user = xstrdup(user);
	s->mail_user = mail_user_acquire(s->server->users, user);
	throttle_record_success(s->server->throttle, conn_peer(s->conn));
}

void imap_server_accept(struct loop *loop, int fd, const struct sockaddr *peer,
			socklen_t peer_len, bool implicit_tls, void *ctx)
{
	struct imap_server *server = ctx;

	if (!conn_limits_acquire(peer)) {
		/* Best effort: a plain-text BYE is all a refused client gets
		 * (on an implicit-TLS port it cannot even read that). */
		static const char bye[] = "* BYE Too many connections\r\n";

		if (!implicit_tls) {
			ssize_t w = write(fd, bye, sizeof(bye) - 1);
			(void)w;
		}
		close(fd);
		log_warn("connection refused: connection limit reached");
		return;
	}
	struct imap_session *s = xcalloc(1, sizeof(*s));
	s->server = server;
	s->loop = loop;
	s->out.write = session_write;
	s->out.ctx = s;
	s->state = IMAP_STATE_NOT_AUTH;
	s->parser = imap_parser_create(&preauth_limits);
	s->cmd_arena = arena_create(SESSION_CMD_ARENA_BLOCK);
	s->conn = conn_create(loop, fd, peer, peer_len, implicit_tls ? server->tls : NULL,
			      &session_conn_handler, s);
	s->idle_timer = evtimer_new(loop_base(loop), session_idle_timeout, s);
	session_arm_idle_timer(s);
	log_debug("%s: connected%s", conn_peer_str(s->conn), implicit_tls ? " (imaps)" : "");

	struct buf caps;
	buf_init(&caps, 1024);
	imap_capability_list(s, &caps);
	imap_session_send(s, "* OK [CAPABILITY %s] petrel ready", caps.data);
	buf_free(&caps);
}
