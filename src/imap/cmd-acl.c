/* ACL (RFC 4314): SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS, on a
 * mailbox's entries (store.h "ACL", store/acl.h for what they mean).
 * GETACL, SETACL, DELETEACL and LISTRIGHTS need the a right; MYRIGHTS
 * needs any right. Another user's mailboxes are named through the Other
 * Users namespace (mailbox-ref.h). A mailbox the user may not see (no l, and not the
 * owner) is answered as if it did not exist, NO [NONEXISTENT] (RFC 4314
 * §4): nothing tells it from one that is not there. Rights are shown with
 * the obsolete c and d beside k x and t e (store/acl.h), as Dovecot
 * shows them. */
#include "imap/command.h"

#include <stdlib.h>
#include <string.h>

#include "auth/passdb.h"
#include "core/arena.h"
#include "core/buf.h"
#include "imap/cmd-mailbox.h"
#include "imap/imap-server.h"
#include "imap/mailbox-name.h"
#include "imap/mailbox-ref.h"
#include "imap/parser.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "store/acl.h"
#include "store/store.h"

enum acl_cmd { ACL_CMD_GET, ACL_CMD_SET, ACL_CMD_DELETE, ACL_CMD_LISTRIGHTS, ACL_CMD_MY };

struct acl_op {
	enum acl_cmd kind;
	struct mailbox_ref ref;
	const char *mailbox;             /* the name in ref's store */
	const char *identifier;          /* SETACL, DELETEACL, LISTRIGHTS */
	enum store_acl_mode mode;        /* SETACL */
	acl_rights rights;               /* SETACL's; MYRIGHTS' answer */
	struct acl_entry *entries;       /* GETACL's, freed by the cleanup */
	unsigned int entry_count;
	bool unknown;                    /* SETACL's identifier names no user */
};

static void acl_cleanup(struct imap_cmd *cmd)
{
	struct acl_op *op = cmd->state;

	if (op != NULL) {
		free(op->entries);
		op->entries = NULL;
	}
}

/* Worker: "anyone", "authenticated", or a user's name users.db knows. */
static bool acl_identifier_known(struct imap_session *s, const char *identifier)
{
	const char *name = identifier + acl_identifier_negative(identifier);
	struct scram_creds creds;

	return strcmp(name, "anyone") == 0 || strcmp(name, "authenticated") == 0 ||
	       (passdb_valid_username(name) &&
		passdb_scram_lookup(s->server->passdb, name, &creds) == PASSDB_OK);
}

static void acl_run(struct store_job *job, struct store *store)
{
	struct acl_op *op = job->ctx;
	struct store_mailbox_status status;

	switch (op->kind) {
	case ACL_CMD_GET:
		job->result = store_acl_get(store, op->mailbox, &op->entries, &op->entry_count);
		break;
	case ACL_CMD_SET:
		/* Rights go to users that exist (or everyone): names of no user
		 * would grow the shares index without bound. */
		if (!acl_identifier_known(job->cmd->session, op->identifier)) {
			op->unknown = true;
			job->result = STORE_INVALID;
			break;
		}
		job->result = store_acl_update(store, op->mailbox, op->identifier, op->mode,
					       op->rights, NULL);
		break;
	case ACL_CMD_DELETE:
		job->result = store_acl_update(store, op->mailbox, op->identifier,
					       STORE_ACL_REPLACE, 0, NULL);
		break;
	case ACL_CMD_LISTRIGHTS:
	case ACL_CMD_MY:
		/* The mailbox must exist (a \Noselect one does). */
		job->result = store_mailbox_status(store, op->mailbox, &status);
		if (job->result == STORE_NOT_ALLOWED)
			job->result = STORE_OK;
		op->rights = job->rights;   /* ACL_OWNER_RIGHTS on one's own */
		break;
	}
}

/* "* ACL|LISTRIGHTS|MYRIGHTS mailbox " into line; false when the name
 * cannot be sent. */
static bool acl_line_start(struct imap_cmd *cmd, const char *what, struct buf *line)
{
	struct acl_op *op = cmd->state;

	buf_printf(line, "* %s ", what);
	return cmd_mailbox_append_name(cmd->session, op->ref.full, line);
}

/* Identifiers and rights are astrings (an atom where they can be, as
 * Dovecot writes them): printable ASCII, so never a literal. */
static void acl_write_rights(struct buf *line, acl_rights rights)
{
	char letters[ACL_RIGHTS_STR_MAX];

	mailbox_name_quote(acl_rights_format(rights, letters), line);
}

static bool acl_done(struct store_job *job)
{
	struct imap_cmd *cmd = job->cmd;
	struct acl_op *op = job->ctx;
	struct buf line;

	if (job->result != STORE_OK) {
		if (op->unknown)
			imap_cmd_reply(cmd, "NO", "[CANNOT] No such user: %s", op->identifier);
		else if (job->result == STORE_LIMIT)
			imap_cmd_reply(cmd, "NO", "[LIMIT] At most %u identifiers per mailbox",
				       ACL_ENTRIES_MAX);
		else
			imap_cmd_store_error(cmd, job->result);
		return true;
	}
	buf_init(&line, CMD_MAILBOX_WIRE_MAX + 64);
	switch (op->kind) {
	case ACL_CMD_GET:
		if (!acl_line_start(cmd, "ACL", &line))
			break;
		for (unsigned int i = 0; i < op->entry_count; i++) {
			buf_append_char(&line, ' ');
			mailbox_name_quote(op->entries[i].identifier, &line);
			buf_append_char(&line, ' ');
			acl_write_rights(&line, op->entries[i].rights);
		}
		break;
	case ACL_CMD_LISTRIGHTS:
		/* Any identifier may be given any right, each on its own; none
		 * is granted whatever the list says, except to the owner, who
		 * has them all (store/acl.h). */
		if (!acl_line_start(cmd, "LISTRIGHTS", &line))
			break;
		buf_append_char(&line, ' ');
		mailbox_name_quote(op->identifier, &line);
		if (strcmp(op->identifier, op->ref.owner_name) == 0)
			buf_append_str(&line, " lrswipkxteacd");
		else
			buf_append_str(&line, " \"\" l r s w i p k x t e a c d");
		break;
	case ACL_CMD_MY:
		if (!acl_line_start(cmd, "MYRIGHTS", &line))
			break;
		buf_append_char(&line, ' ');
		acl_write_rights(&line, op->rights);
		break;
	case ACL_CMD_SET:
	case ACL_CMD_DELETE:
		break;
	}
	if (line.len > 0)
		imap_session_send(cmd->session, "%s", line.data);
	buf_free(&line);
	imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	return true;
}

/* The mailbox argument, and the op in cmd->state; NULL after answering. */
static struct acl_op *acl_op_begin(struct imap_cmd *cmd, enum acl_cmd kind,
				   unsigned int args, const char *usage)
{
	struct acl_op *op = arena_alloc(cmd->arena, sizeof(*op));

	if (cmd->arg_count != args || imap_arg_astring(&cmd->args[0]) == NULL) {
		imap_cmd_reply(cmd, "BAD", "%s", usage);
		return NULL;
	}
	for (unsigned int i = 1; i < args; i++) {
		if (imap_arg_astring(&cmd->args[i]) == NULL) {
			imap_cmd_reply(cmd, "BAD", "%s", usage);
			return NULL;
		}
	}
	op->kind = kind;
	if (!cmd_mailbox_ref_arg(cmd, &cmd->args[0], false, &op->ref))
		return NULL;
	op->mailbox = op->ref.name;
	if (args >= 2) {
		op->identifier = arena_strdup(cmd->arena, imap_arg_astring(&cmd->args[1]));
		if (!acl_identifier_valid(op->identifier)) {
			imap_cmd_reply(cmd, "BAD", "Invalid identifier");
			return NULL;
		}
	}
	cmd->state = op;
	cmd->cleanup = acl_cleanup;
	return op;
}

/* MYRIGHTS needs some right on the mailbox; the others the a right
 * (RFC 4314 §4). */
static enum cmd_step acl_submit(struct imap_cmd *cmd, struct acl_op *op)
{
	acl_rights need = op->kind == ACL_CMD_MY ? 0 : ACL_ADMIN;

	if (!imap_store_job_submit_ref(cmd, &op->ref, need, acl_run, acl_done, op, true, NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

enum cmd_step cmd_getacl(struct imap_cmd *cmd)
{
	struct acl_op *op = acl_op_begin(cmd, ACL_CMD_GET, 1, "GETACL needs a mailbox name");

	return op != NULL ? acl_submit(cmd, op) : CMD_STEP_DONE;
}

enum cmd_step cmd_myrights(struct imap_cmd *cmd)
{
	struct acl_op *op = acl_op_begin(cmd, ACL_CMD_MY, 1, "MYRIGHTS needs a mailbox name");

	return op != NULL ? acl_submit(cmd, op) : CMD_STEP_DONE;
}

enum cmd_step cmd_listrights(struct imap_cmd *cmd)
{
	struct acl_op *op = acl_op_begin(cmd, ACL_CMD_LISTRIGHTS, 2,
					 "LISTRIGHTS needs a mailbox name and an identifier");

	if (op != NULL && acl_identifier_negative(op->identifier)) {
		imap_cmd_reply(cmd, "BAD", "LISTRIGHTS takes no negative identifier");
		return CMD_STEP_DONE;
	}
	return op != NULL ? acl_submit(cmd, op) : CMD_STEP_DONE;
}

enum cmd_step cmd_deleteacl(struct imap_cmd *cmd)
{
	struct acl_op *op = acl_op_begin(cmd, ACL_CMD_DELETE, 2,
					 "DELETEACL needs a mailbox name and an identifier");

	return op != NULL ? acl_submit(cmd, op) : CMD_STEP_DONE;
}

/* SETACL mailbox identifier rights: rights replace the identifier's, or
 * with a leading '+' are added to them, with '-' taken from them (RFC 4314
 * §3.1). A letter that is no right is BAD. */
enum cmd_step cmd_setacl(struct imap_cmd *cmd)
{
	struct acl_op *op = acl_op_begin(cmd, ACL_CMD_SET, 3,
					 "SETACL needs a mailbox name, an identifier and rights");
	const char *rights;

	if (op == NULL)
		return CMD_STEP_DONE;
	rights = imap_arg_astring(&cmd->args[2]);
	op->mode = STORE_ACL_REPLACE;
	if (rights[0] == '+' || rights[0] == '-') {
		op->mode = rights[0] == '+' ? STORE_ACL_ADD : STORE_ACL_REMOVE;
		rights++;
	}
	if (!acl_rights_parse(rights, &op->rights)) {
		imap_cmd_reply(cmd, "BAD", "Invalid rights: each of l r s w i p k x t e a c d");
		return CMD_STEP_DONE;
	}
	return acl_submit(cmd, op);
}
