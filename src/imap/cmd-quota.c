/* QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA, SETQUOTA. Each user has one
 * quota root over all of their mailboxes, named "" (RFC 9208 §3.2 lets a
 * root's name be empty; it names nothing a client must know), with the
 * resources STORAGE, MESSAGE and MAILBOX (store.h "quota"). A QUOTA
 * response lists only the resources that have a limit. Limits are the
 * administrator's (`petrel quota set`, the config's quota_* defaults): no
 * IMAP user may change them, so SETQUOTA is refused and QUOTASET is not
 * advertised (RFC 9208 §4.1.3). */
#include "imap/command.h"

#include <inttypes.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-ref.h"
#include "imap/parser.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "store/store.h"

/* The one root's name, as sent (a quoted empty string). */
#define QUOTA_ROOT_WIRE "\"\""

struct quota_op {
	struct mailbox_ref ref;   /* GETQUOTAROOT's mailbox */
	const char *mailbox;      /* GETQUOTAROOT's; NULL for GETQUOTA */
	struct store_mailbox_status status;
	struct store_quota quota;
};

static void quota_run(struct store_job *job, struct store *store)
{
	struct quota_op *op = job->ctx;

	/* GETQUOTAROOT of a mailbox that does not exist is NONEXISTENT. */
	if (op->mailbox != NULL) {
		job->result = store_mailbox_status(store, op->mailbox, &op->status);
		if (job->result == STORE_NOT_ALLOWED)
			job->result = STORE_OK;    /* \Noselect: it exists, under the root */
		if (job->result != STORE_OK || op->ref.other)
			return;   /* another user's mailbox is under no root of this user */
	}
	job->result = store_quota_get(store, &op->quota);
}

/* "* QUOTA "" (STORAGE used limit ...)": STORAGE in KiB, rounded up. */
static void quota_line(const struct store_quota *q, struct buf *out)
{
	bool first = true;

	buf_append_str(out, "* QUOTA " QUOTA_ROOT_WIRE " (");
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		uint64_t usage = q->usage[i];

		if (q->limit[i] == STORE_QUOTA_NONE)
			continue;
		if (i == STORE_QUOTA_STORAGE)
			usage = store_quota_kib(usage);
		buf_printf(out, "%s%s %" PRIu64 " %" PRIu64, first ? "" : " ",
			   store_quota_resource_name((enum store_quota_resource)i), usage,
			   q->limit[i]);
		first = false;
	}
	buf_append_char(out, ')');
}

static bool quota_done(struct store_job *job)
{
	struct quota_op *op = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct buf line;

	if (job->result != STORE_OK) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	buf_init(&line, CMD_MAILBOX_WIRE_MAX + 128);
	if (op->mailbox != NULL) {
		buf_append_str(&line, "* QUOTAROOT ");
		if (!cmd_mailbox_append_name(cmd->session, op->ref.full, &line)) {
			buf_free(&line);
			imap_cmd_store_error(cmd, STORE_INVALID);
			return true;
		}
		if (op->ref.other) {
			/* RFC 9208 §4.3: a mailbox under no root the user can
			 * see is answered with none. */
			imap_session_send(cmd->session, "%s", line.data);
			buf_free(&line);
			imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
			return true;
		}
		buf_append_str(&line, " " QUOTA_ROOT_WIRE);
		imap_session_send(cmd->session, "%s", line.data);
		buf_clear(&line);
	}
	quota_line(&op->quota, &line);
	imap_session_send(cmd->session, "%s", line.data);
	buf_free(&line);
	imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	return true;
}

static enum cmd_step quota_submit(struct imap_cmd *cmd, struct quota_op *op)
{
	if (op->mailbox == NULL)
		mailbox_ref_own(cmd->session, NULL, &op->ref);
	if (!imap_store_job_submit_ref(cmd, &op->ref, ACL_LOOKUP, quota_run, quota_done, op, true,
				       NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

enum cmd_step cmd_getquotaroot(struct imap_cmd *cmd)
{
	struct quota_op *op = arena_alloc(cmd->arena, sizeof(*op));

	memset(op, 0, sizeof(*op));
	if (cmd->arg_count != 1) {
		imap_cmd_reply(cmd, "BAD", "GETQUOTAROOT needs a mailbox name");
		return CMD_STEP_DONE;
	}
	if (!cmd_mailbox_ref_arg(cmd, &cmd->args[0], false, &op->ref))
		return CMD_STEP_DONE;
	op->mailbox = op->ref.name;
	if (op->mailbox == NULL) {
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return CMD_STEP_DONE;
	}
	return quota_submit(cmd, op);
}

/* The root's name: "" is the user's root; any other names none. */
static bool quota_root_arg(struct imap_cmd *cmd, const char *what)
{
	const char *root = cmd->arg_count >= 1 ? imap_arg_astring(&cmd->args[0]) : NULL;

	if (root == NULL) {
		imap_cmd_reply(cmd, "BAD", "%s needs a quota root name", what);
		return false;
	}
	if (root[0] != '\0') {
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such quota root");
		return false;
	}
	return true;
}

enum cmd_step cmd_getquota(struct imap_cmd *cmd)
{
	struct quota_op *op = arena_alloc(cmd->arena, sizeof(*op));

	memset(op, 0, sizeof(*op));
	if (cmd->arg_count > 1) {
		imap_cmd_reply(cmd, "BAD", "GETQUOTA takes one quota root name");
		return CMD_STEP_DONE;
	}
	if (!quota_root_arg(cmd, "GETQUOTA"))
		return CMD_STEP_DONE;
	return quota_submit(cmd, op);
}

enum cmd_step cmd_setquota(struct imap_cmd *cmd)
{
	/* setquota = "SETQUOTA" SP quota-root-name SP setquota-list, the
	 * list of (resource-name SP limit) pairs. */
	const struct imap_arg *list = cmd->arg_count == 2 ? &cmd->args[1] : NULL;
	bool ok = list != NULL && list->type == IMAP_ARG_LIST && list->list_count % 2 == 0 &&
		imap_arg_astring(&cmd->args[0]) != NULL;

	for (unsigned int i = 0; ok && i < list->list_count; i += 2) {
		const struct imap_arg *name = &list->list[i], *limit = &list->list[i + 1];
		const char *n = limit->type == IMAP_ARG_ATOM ? imap_arg_astring(limit) : NULL;

		ok = name->type == IMAP_ARG_ATOM && n != NULL && n[0] != '\0' &&
			strspn(n, "0123456789") == strlen(n) && strlen(n) <= 20;
	}
	if (!ok) {
		imap_cmd_reply(cmd, "BAD", "SETQUOTA needs a quota root and a list of"
			       " resource limits");
		return CMD_STEP_DONE;
	}
	imap_cmd_reply(cmd, "NO", "[NOPERM] Quota limits are set by the administrator");
	return CMD_STEP_DONE;
}
