/* Commands valid in any state (RFC 9051 §6.1) plus ID (RFC 2971) and
 * ENABLE (RFC 5161). */
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/version.h"
#include "imap/capability.h"
#include "imap/session.h"
#include "imap/store-job.h"
#include "net/conn.h"

/* RFC 2971 §3.3 limits on what a client may send. */
#define ID_MAX_PAIRS 30
#define ID_FIELD_MAX 30
#define ID_VALUE_MAX 1024

static bool no_args(struct imap_cmd *cmd)
{
	if (cmd->arg_count == 0)
		return true;
	imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
	return false;
}

enum cmd_step cmd_capability(struct imap_cmd *cmd)
{
	struct buf caps;

	if (!no_args(cmd))
		return CMD_STEP_DONE;
	buf_init(&caps, 1024);
	imap_capability_list(cmd->session, &caps);
	imap_session_send(cmd->session, "* CAPABILITY %s", caps.data);
	buf_free(&caps);
	imap_cmd_reply(cmd, "OK", "CAPABILITY completed");
	return CMD_STEP_DONE;
}

enum cmd_step cmd_noop(struct imap_cmd *cmd)
{
	if (!no_args(cmd))
		return CMD_STEP_DONE;
	if (cmd->session->selected == NULL) {
		imap_cmd_reply(cmd, "OK", "NOOP completed");
		return CMD_STEP_DONE;
	}
	/* RFC 9051 §6.1.2: in the selected state NOOP is how a client polls
	 * for changes; the sync announces them before the OK. */
	return imap_store_job_sync_only(cmd);
}

enum cmd_step cmd_logout(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;

	if (!no_args(cmd))
		return CMD_STEP_DONE;
	/* RFC 9051 §6.1.3: BYE first, then the tagged OK, then close. */
	imap_session_send(s, "* BYE Logging out");
	imap_cmd_reply(cmd, "OK", "LOGOUT completed");
	s->state = IMAP_STATE_LOGOUT;
	s->closing = true;
	conn_close(s->conn);
	return CMD_STEP_DONE;
}

/* Returns true when arg is a string (quoted/literal) of at most max bytes
 * without NULs, or NIL when nil_ok. */
static bool id_string_ok(const struct imap_arg *arg, size_t max, bool nil_ok)
{
	if (nil_ok && imap_arg_is_nil(arg))
		return true;
	const char *s = imap_arg_string(arg);

	return s != NULL && arg->len <= max && strlen(s) == arg->len;
}

enum cmd_step cmd_id(struct imap_cmd *cmd)
{
	const struct imap_arg *list;
	struct buf seen;

	if (cmd->arg_count != 1) {
		imap_cmd_reply(cmd, "BAD", "ID takes one argument: NIL or a list");
		return CMD_STEP_DONE;
	}
	list = &cmd->args[0];
	if (!imap_arg_is_nil(list)) {
		if (list->type != IMAP_ARG_LIST || list->list_count % 2 != 0 ||
		    list->list_count / 2 > ID_MAX_PAIRS) {
			imap_cmd_reply(cmd, "BAD", "Invalid ID parameter list");
			return CMD_STEP_DONE;
		}
		buf_init(&seen, 512);
		for (unsigned int i = 0; i < list->list_count; i += 2) {
			const struct imap_arg *field = &list->list[i], *value = &list->list[i + 1];

			if (!id_string_ok(field, ID_FIELD_MAX, false) ||
			    !id_string_ok(value, ID_VALUE_MAX, true)) {
				buf_free(&seen);
				imap_cmd_reply(cmd, "BAD", "Invalid ID field or value");
				return CMD_STEP_DONE;
			}
			if (strcasecmp(field->str, "name") == 0 || strcasecmp(field->str, "version") == 0)
				buf_printf(&seen, " %s=%.64s", field->str,
					   imap_arg_is_nil(value) ? "NIL" : value->str);
		}
		if (seen.len > 0)
			log_info("%s: client id%s", conn_peer_str(cmd->session->conn), seen.data);
		buf_free(&seen);
	}
	imap_session_send(cmd->session, "* ID (\"name\" \"petrel\" \"version\" \"%s\")",
			  PETREL_VERSION);
	imap_cmd_reply(cmd, "OK", "ID completed");
	return CMD_STEP_DONE;
}

enum cmd_step cmd_enable(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct buf enabled;

	if (cmd->arg_count == 0) {
		imap_cmd_reply(cmd, "BAD", "ENABLE needs at least one capability");
		return CMD_STEP_DONE;
	}
	for (unsigned int i = 0; i < cmd->arg_count; i++) {
		if (cmd->args[i].type != IMAP_ARG_ATOM) {
			imap_cmd_reply(cmd, "BAD", "Capability names are atoms");
			return CMD_STEP_DONE;
		}
	}
	buf_init(&enabled, 256);
	for (unsigned int i = 0; i < cmd->arg_count; i++) {
		/* RFC 5161 §3.1: unknown names are ignored; the ENABLED response
		 * lists only what this command enabled. */
		if (imap_arg_is_atom(&cmd->args[i], "IMAP4rev2") && !s->rev2_enabled) {
			s->rev2_enabled = true;
			buf_append_str(&enabled, " IMAP4rev2");
		} else if (imap_arg_is_atom(&cmd->args[i], "CONDSTORE") && !s->condstore_enabled) {
			imap_session_enable_condstore(s);
			buf_append_str(&enabled, " CONDSTORE");
		} else if (imap_arg_is_atom(&cmd->args[i], "QRESYNC") && !s->qresync_enabled) {
			/* RFC 7162 §3.2.3: implies CONDSTORE. */
			s->qresync_enabled = true;
			imap_session_enable_condstore(s);
			buf_append_str(&enabled, " QRESYNC");
		}
	}
	imap_session_send(s, "* ENABLED%s", enabled.len > 0 ? enabled.data : "");
	buf_free(&enabled);
	imap_cmd_reply(cmd, "OK", "ENABLE completed");
	return CMD_STEP_DONE;
}
