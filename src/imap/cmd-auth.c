/* Commands of the not-authenticated state (RFC 9051 §6.2): STARTTLS, LOGIN
 * and AUTHENTICATE with SASL-IR (RFC 4959). Password checks run on the auth
 * pool (server->auth_workers), queued per client address: never ahead of
 * store work, a few at once per address, bounded per address and in all.
 * Failures are answered on the address's throttle clock (auth/throttle.h):
 * an attempt waits for it before its check, a success before its answer, so
 * parallel attempts from one address gain nothing over serial ones.
 * Passwords are wiped from memory when the command ends and never logged. */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "auth/passdb.h"
#include "auth/sasl.h"
#include "auth/throttle.h"
#include "core/arena.h"
#include "core/base64.h"
#include "core/config.h"
#include "core/log.h"
#include "core/str.h"
#include "imap/capability.h"
#include "imap/imap-server.h"
#include "imap/session.h"
#include "net/conn.h"
#include "net/workers.h"

/* Largest decoded SASL message we accept (a SCRAM client-final is ~200). */
#define SASL_MESSAGE_MAX (8 * 1024)

static atomic_bool auth_stopping;

void imap_server_auth_stop(void)
{
	atomic_store(&auth_stopping, true);
}

struct auth_state {
	struct imap_cmd *cmd;
	const char *method;              /* for logs: LOGIN, PLAIN, ... */
	struct passdb *passdb;
	unsigned int test_delay_ms;

	/* LOGIN */
	char *user;
	char *password;
	size_t password_len;
	enum passdb_result login_result;

	/* AUTHENTICATE */
	struct sasl_session *sasl;
	bool have_input;
	struct buf in;                   /* decoded client response */
	struct buf out;                  /* raw challenge */
	enum sasl_step_result step_result;

	/* a delayed failure reply */
	const char *fail_status;
	const char *fail_text;
	/* a delayed success: the user logging in */
	const char *success_user;
};

static void auth_cleanup(struct imap_cmd *cmd)
{
	struct auth_state *st = cmd->state;

	if (st == NULL)
		return;
	if (st->password != NULL)
		explicit_bzero(st->password, st->password_len);
	if (st->in.data != NULL)
		explicit_bzero(st->in.data, st->in.cap);
	if (st->out.data != NULL)
		explicit_bzero(st->out.data, st->out.cap);
	buf_free(&st->in);
	buf_free(&st->out);
	sasl_session_free(&st->sasl);
	cmd->state = NULL;
}

static struct auth_state *auth_state_new(struct imap_cmd *cmd, const char *method)
{
	struct imap_server *server = cmd->session->server;
	struct auth_state *st = arena_alloc(cmd->arena, sizeof(*st));

	st->cmd = cmd;
	st->method = method;
	st->passdb = server->passdb;
	st->test_delay_ms = server->config->auth_test_delay_ms;
	buf_init(&st->in, SASL_MESSAGE_MAX);
	buf_init(&st->out, SASL_MESSAGE_MAX);
	cmd->state = st;
	cmd->cleanup = auth_cleanup;
	return st;
}

static void auth_test_delay(const struct auth_state *st)
{
	if (st->test_delay_ms > 0)
		usleep(st->test_delay_ms * 1000);
}

static void auth_succeeded(struct imap_cmd *cmd, const char *user)
{
	struct imap_session *s = cmd->session;
	struct auth_state *st = cmd->state;
	struct buf caps;

	imap_session_logged_in(s, user);
	log_info("login: user=%s method=%s from=%s tls=%s", user, st->method,
		 conn_peer_str(s->conn), conn_tls_version(s->conn));
	buf_init(&caps, 1024);
	imap_capability_list(s, &caps);
	imap_cmd_reply(cmd, "OK", "[CAPABILITY %s] Logged in", caps.data);
	buf_free(&caps);
}

static void auth_send_delayed_failure(struct imap_cmd *cmd)
{
	struct auth_state *st = cmd->state;

	imap_cmd_reply(cmd, st->fail_status, "%s", st->fail_text);
	imap_cmd_complete(cmd);
}

/* Logs, records the failure for throttling and answers after the delay.
 * Always ends the command (asynchronously). */
static void auth_failed(struct imap_cmd *cmd, const char *user, const char *status,
			const char *text)
{
	struct imap_session *s = cmd->session;
	struct auth_state *st = cmd->state;
	unsigned int delay = throttle_record_failure(s->server->throttle, conn_peer(s->conn));

	log_info("login failed: user=%s method=%s from=%s (answer delayed %u ms)",
		 user != NULL && passdb_valid_username(user) ? user : "(invalid)",
		 st->method, conn_peer_str(s->conn), delay);
	st->fail_status = status;
	st->fail_text = text;
	if (delay == 0)
		auth_send_delayed_failure(cmd);
	else
		imap_session_delay(s, delay, auth_send_delayed_failure);
}

static void auth_unavailable(struct imap_cmd *cmd)
{
	imap_cmd_reply(cmd, "NO", "[UNAVAILABLE] Authentication is temporarily unavailable");
	imap_cmd_complete(cmd);
}

/* The auth pool refused the check (the address's or the pool's queue is
 * full). Answered after the base failure delay, so a flood that is turned
 * away does not turn straight round; nothing is recorded as a failure. */
static void auth_refused(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct auth_state *st = cmd->state;
	unsigned int delay = s->server->config->auth_failure_delay_ms;

	log_info("login refused: too many password checks waiting, from=%s",
		 conn_peer_str(s->conn));
	st->fail_status = "NO";
	st->fail_text = "[UNAVAILABLE] Authentication is temporarily unavailable";
	if (delay == 0)
		auth_send_delayed_failure(cmd);
	else
		imap_session_delay(s, delay, auth_send_delayed_failure);
}

/* Queues a password check (or a SASL step) on the auth pool under the
 * client's address; false when refused (auth_refused() has answered). */
static bool auth_submit(struct imap_cmd *cmd, void (*run)(void *ctx), void (*done)(void *ctx))
{
	struct imap_session *s = cmd->session;

	if (imap_session_submit_to(s, s->server->auth_workers, throttle_addr_key(conn_peer(s->conn)),
				   run, done, cmd->state))
		return true;
	auth_refused(cmd);
	return false;
}

static void auth_send_delayed_success(struct imap_cmd *cmd)
{
	struct auth_state *st = cmd->state;

	auth_succeeded(cmd, st->success_user);
	imap_cmd_complete(cmd);
}

/* A success is answered no sooner than the address's clock: otherwise
 * parallel guesses would learn of the right one ahead of the failures that
 * were checked beside it. */
static void auth_success(struct imap_cmd *cmd, const char *user)
{
	struct imap_session *s = cmd->session;
	struct auth_state *st = cmd->state;
	unsigned int wait = throttle_pre_delay(s->server->throttle, conn_peer(s->conn));

	st->success_user = user;
	if (wait == 0)
		auth_send_delayed_success(cmd);
	else
		imap_session_delay(s, wait, auth_send_delayed_success);
}

/* ---- STARTTLS ---- */

enum cmd_step cmd_starttls(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (cmd->arg_count != 0) {
		imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
	} else if (conn_is_tls(s->conn)) {
		imap_cmd_reply(cmd, "BAD", "TLS is already active");
	} else if (s->server->tls == NULL) {
		imap_cmd_reply(cmd, "BAD", "TLS is not configured");
	} else {
		imap_cmd_reply(cmd, "OK", "Begin TLS negotiation now");
		/* Discards any input pipelined after this command (RFC 9051 §6.2.1). */
		conn_start_tls(s->conn, s->server->tls);
	}
	return CMD_STEP_DONE;
}

/* ---- LOGIN ---- */

static void login_run(void *ctx)
{
	struct auth_state *st = ctx;

	if (atomic_load(&auth_stopping)) {
		st->login_result = PASSDB_ERROR;
		return;
	}
	auth_test_delay(st);
	st->login_result = passdb_verify_plain(st->passdb, st->user, st->password);
}

static void login_done(void *ctx)
{
	struct auth_state *st = ctx;
	struct imap_cmd *cmd = st->cmd;

	if (cmd->session->closed)
		return;
	explicit_bzero(st->password, st->password_len);
	switch (st->login_result) {
	case PASSDB_OK:
		auth_success(cmd, st->user);
		break;
	case PASSDB_ERROR:
		auth_unavailable(cmd);
		break;
	default:
		auth_failed(cmd, st->user, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
		break;
	}
}

static void login_submit(struct imap_cmd *cmd)
{
	auth_submit(cmd, login_run, login_done);
}

enum cmd_step cmd_login(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	const char *user, *password;

	if (cmd->arg_count != 2 ||
	    (user = imap_arg_astring(&cmd->args[0])) == NULL ||
	    (password = imap_arg_astring(&cmd->args[1])) == NULL) {
		imap_cmd_reply(cmd, "BAD", "LOGIN needs a user name and a password");
		return CMD_STEP_DONE;
	}
	if (!imap_session_cleartext_allowed(s)) {
		/* RFC 9051 §6.2.3 with LOGINDISABLED. */
		imap_cmd_reply(cmd, "NO", "[PRIVACYREQUIRED] Cleartext login is disabled here: use STARTTLS or TLS");
		return CMD_STEP_DONE;
	}
	struct auth_state *st = auth_state_new(cmd, "LOGIN");
	st->user = arena_strdup(cmd->arena, user);
	st->password_len = strlen(password);
	st->password = arena_strndup(cmd->arena, password, st->password_len);

	unsigned int wait = throttle_pre_delay(s->server->throttle, conn_peer(s->conn));
	if (wait > 0)
		imap_session_delay(s, wait, login_submit);
	else
		login_submit(cmd);
	return CMD_STEP_WAIT;
}

/* ---- AUTHENTICATE ---- */

static void authenticate_input(struct imap_cmd *cmd, const char *line, size_t len);

static void authenticate_run(void *ctx)
{
	struct auth_state *st = ctx;

	buf_clear(&st->out);
	if (atomic_load(&auth_stopping)) {
		st->step_result = SASL_STEP_ERROR;
		return;
	}
	auth_test_delay(st);
	st->step_result = sasl_session_step(st->sasl, st->have_input,
					    (const unsigned char *)st->in.data, st->in.len,
					    &st->out);
}

static void authenticate_done(void *ctx)
{
	struct auth_state *st = ctx;
	struct imap_cmd *cmd = st->cmd;
	struct imap_session *s = cmd->session;

	if (s->closed)
		return;
	if (st->in.data != NULL)
		explicit_bzero(st->in.data, st->in.cap);
	switch (st->step_result) {
	case SASL_STEP_CHALLENGE: {
		struct buf b64;

		buf_init(&b64, SASL_MESSAGE_MAX * 2);
		if (!base64_encode(st->out.data != NULL ? st->out.data : "", st->out.len, &b64)) {
			buf_free(&b64);
			auth_unavailable(cmd);
			return;
		}
		imap_session_send(s, "+ %s", b64.len > 0 ? b64.data : "");
		buf_free(&b64);
		cmd->input_line = authenticate_input;
		break;
	}
	case SASL_STEP_SUCCESS:
		auth_success(cmd, sasl_session_username(st->sasl));
		break;
	case SASL_STEP_FAILED:
		auth_failed(cmd, sasl_session_username(st->sasl), "NO",
			    "[AUTHENTICATIONFAILED] Authentication failed");
		break;
	case SASL_STEP_MALFORMED:
		auth_failed(cmd, sasl_session_username(st->sasl), "BAD",
			    "Invalid authentication exchange");
		break;
	case SASL_STEP_ERROR:
		auth_unavailable(cmd);
		break;
	}
}

static void authenticate_step(struct imap_cmd *cmd)
{
	auth_submit(cmd, authenticate_run, authenticate_done);
}

/* Decodes a client response ("=" is the empty initial response of
 * RFC 4959). Returns false on bad base64. */
static bool authenticate_decode(struct auth_state *st, const char *text, size_t len,
				bool initial)
{
	buf_clear(&st->in);
	st->have_input = true;
	if (initial && len == 1 && text[0] == '=')
		return true;
	return base64_decode(text, len, &st->in);
}

static void authenticate_input(struct imap_cmd *cmd, const char *line, size_t len)
{
	struct auth_state *st = cmd->state;

	/* RFC 9051 §6.2.2: "*" cancels the exchange. */
	if (len == 1 && line[0] == '*') {
		imap_cmd_reply(cmd, "BAD", "Authentication cancelled");
		imap_cmd_complete(cmd);
		return;
	}
	if (!authenticate_decode(st, line, len, false)) {
		imap_cmd_reply(cmd, "BAD", "Invalid base64 data");
		imap_cmd_complete(cmd);
		return;
	}
	authenticate_step(cmd);
}

static void authenticate_begin(struct imap_cmd *cmd)
{
	authenticate_step(cmd);
}

enum cmd_step cmd_authenticate(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	const struct imap_arg *mech = cmd->arg_count > 0 ? &cmd->args[0] : NULL;

	if (mech == NULL || cmd->arg_count > 2 || mech->type != IMAP_ARG_ATOM ||
	    (cmd->arg_count == 2 && cmd->args[1].type != IMAP_ARG_ATOM)) {
		imap_cmd_reply(cmd, "BAD", "AUTHENTICATE needs a mechanism name and an optional initial response");
		return CMD_STEP_DONE;
	}
	if (!imap_session_cleartext_allowed(s) && sasl_mechanism_is_cleartext(mech->str)) {
		imap_cmd_reply(cmd, "NO", "[PRIVACYREQUIRED] This mechanism needs TLS here");
		return CMD_STEP_DONE;
	}
	struct sasl_session *sasl = sasl_session_new(mech->str, s->server->passdb);
	if (sasl == NULL) {
		imap_cmd_reply(cmd, "NO", "Unsupported authentication mechanism");
		return CMD_STEP_DONE;
	}
	struct auth_state *st = auth_state_new(cmd, str_ascii_upper(arena_strdup(cmd->arena, mech->str)));
	st->sasl = sasl;
	if (cmd->arg_count == 2) {
		if (!authenticate_decode(st, cmd->args[1].str, cmd->args[1].len, true)) {
			imap_cmd_reply(cmd, "BAD", "Invalid base64 data");
			return CMD_STEP_DONE;
		}
	} else {
		st->have_input = false;
	}

	unsigned int wait = throttle_pre_delay(s->server->throttle, conn_peer(s->conn));
	if (wait > 0)
		imap_session_delay(s, wait, authenticate_begin);
	else
		authenticate_step(cmd);
	return CMD_STEP_WAIT;
}
