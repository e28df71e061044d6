/* Mailbox commands (RFC 9051 §6.3): CREATE with RFC 6154 USE, DELETE,
 * RENAME, SUBSCRIBE, UNSUBSCRIBE, NAMESPACE (RFC 2342) and STATUS; LIST and
 * LSUB are in cmd-list.c. Arguments are checked on the loop and copied into
 * the command's arena; store work runs as a store job. A client's name
 * never reaches the store without mailbox_name_from_client().
 *
 * Names: an argument that is not an astring (a list, a NUL byte) is BAD;
 * every name the names module refuses (bad modified UTF-7 or UTF-8, control
 * characters, empty, "." or ".." levels, wildcards, too long or too deep) is
 * NO [CANNOT] with its fixed reason, even where the fault is the encoding:
 * the command was well formed, only the name is unacceptable, and one
 * answer for every refused name keeps clients' error handling simple. */
#include "imap/imap-server.h"
#include "imap/cmd-mailbox.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "imap/mailbox-name.h"
#include "imap/mailbox-ref.h"
#include "imap/mailbox-view.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"

/* ---- shared with cmd-list.c ---- */

const char *cmd_mailbox_arg(struct imap_cmd *cmd, const struct imap_arg *arg,
			    bool strip_delim)
{
	const char *raw = imap_arg_astring(arg);
	const char *error;
	struct buf name;
	size_t len;

	if (raw == NULL) {
		imap_cmd_reply(cmd, "BAD", "Invalid mailbox name argument");
		return NULL;
	}
	len = arg->len;
	if (strip_delim && len > 1 && raw[len - 1] == MAILBOX_NAME_DELIM)
		len--;
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (!mailbox_name_from_client(raw, len, cmd->session->rev2_enabled, &name, &error)) {
		buf_free(&name);
		imap_cmd_reply(cmd, "NO", "[CANNOT] %s", error);
		return NULL;
	}
	char *copy = arena_strndup(cmd->arena, name.data, name.len);
	buf_free(&name);
	return copy;
}

bool cmd_mailbox_ref_arg(struct imap_cmd *cmd, const struct imap_arg *arg, bool strip_delim,
			 struct mailbox_ref *ref_r)
{
	const char *full = cmd_mailbox_arg(cmd, arg, strip_delim);

	return full != NULL && mailbox_ref_resolve(cmd, full, ref_r);
}

bool cmd_mailbox_append_name(const struct imap_session *s, const char *name, struct buf *out)
{
	struct buf client;
	bool ok;

	buf_init(&client, CMD_MAILBOX_WIRE_MAX);
	ok = mailbox_name_to_client(name, s->rev2_enabled, &client);
	if (ok) {
		size_t start = out->len;
		bool overflow = out->overflow;

		out->overflow = false;
		mailbox_name_quote(client.data, out);
		if (out->overflow) {
			out->len = start;
			if (out->data != NULL)
				out->data[start] = '\0';
			ok = false;
		}
		out->overflow = overflow;
	}
	buf_free(&client);
	return ok;
}

static const char *const status_item_names[CMD_STATUS_ITEM_COUNT] = {
	[CMD_STATUS_MESSAGES] = "MESSAGES",
	[CMD_STATUS_UIDNEXT] = "UIDNEXT",
	[CMD_STATUS_UIDVALIDITY] = "UIDVALIDITY",
	[CMD_STATUS_UNSEEN] = "UNSEEN",
	[CMD_STATUS_DELETED] = "DELETED",
	[CMD_STATUS_SIZE] = "SIZE",
	[CMD_STATUS_RECENT] = "RECENT",
	[CMD_STATUS_HIGHESTMODSEQ] = "HIGHESTMODSEQ",
	[CMD_STATUS_APPENDLIMIT] = "APPENDLIMIT",
	[CMD_STATUS_DELETED_STORAGE] = "DELETED-STORAGE",
};

bool cmd_status_items_has(const struct cmd_status_items *items, enum cmd_status_item item)
{
	for (unsigned int i = 0; i < items->count; i++) {
		if (items->item[i] == item)
			return true;
	}
	return false;
}

bool cmd_status_items_parse(const struct imap_arg *list, bool rev2,
			    struct cmd_status_items *items_r)
{
	items_r->count = 0;
	if (list->type != IMAP_ARG_LIST || list->list_count == 0 ||
	    list->list_count > CMD_STATUS_ITEM_COUNT)
		return false;
	for (unsigned int i = 0; i < list->list_count; i++) {
		const struct imap_arg *arg = &list->list[i];
		unsigned int item;

		for (item = 0; item < CMD_STATUS_ITEM_COUNT; item++) {
			if (imap_arg_is_atom(arg, status_item_names[item]))
				break;
		}
		/* RFC 9051 dropped RECENT (and \Recent) from IMAP4rev2. */
		if (item == CMD_STATUS_ITEM_COUNT || (rev2 && item == CMD_STATUS_RECENT) ||
		    cmd_status_items_has(items_r, item))
			return false;
		items_r->item[items_r->count++] = (uint8_t)item;
	}
	return true;
}

void cmd_status_session_view(const struct imap_session *s, const char *name,
			     struct store_mailbox_status *status)
{
	if (s->selected != NULL && strcmp(s->selected->name, name) == 0)
		status->recent = mailbox_view_recent_count(s->selected);
}

void cmd_status_items_format(const struct cmd_status_items *items,
			     const struct store_mailbox_status *st,
			     uint64_t append_limit, struct buf *out)
{
	for (unsigned int i = 0; i < items->count; i++) {
		const char *sep = i == 0 ? "" : " ";
		const char *name = status_item_names[items->item[i]];

		switch ((enum cmd_status_item)items->item[i]) {
		case CMD_STATUS_MESSAGES:
			buf_printf(out, "%s%s %u", sep, name, st->messages);
			break;
		case CMD_STATUS_UIDNEXT:
			buf_printf(out, "%s%s %u", sep, name, st->uidnext);
			break;
		case CMD_STATUS_UIDVALIDITY:
			buf_printf(out, "%s%s %u", sep, name, st->uidvalidity);
			break;
		case CMD_STATUS_UNSEEN:
			buf_printf(out, "%s%s %u", sep, name, st->unseen);
			break;
		case CMD_STATUS_DELETED:
			buf_printf(out, "%s%s %u", sep, name, st->deleted);
			break;
		case CMD_STATUS_SIZE:
			buf_printf(out, "%s%s %llu", sep, name, (unsigned long long)st->size);
			break;
		case CMD_STATUS_RECENT:
			buf_printf(out, "%s%s %u", sep, name, st->recent);
			break;
		case CMD_STATUS_HIGHESTMODSEQ:
			buf_printf(out, "%s%s %llu", sep, name, (unsigned long long)st->highestmodseq);
			break;
		case CMD_STATUS_APPENDLIMIT:
			/* RFC 7889 §3.2: NIL when there is no limit. */
			if (append_limit == 0)
				buf_printf(out, "%s%s NIL", sep, name);
			else
				buf_printf(out, "%s%s %llu", sep, name, (unsigned long long)append_limit);
			break;
		case CMD_STATUS_DELETED_STORAGE:
			/* In KiB, as the STORAGE resource (RFC 9208 §4.2). */
			buf_printf(out, "%s%s %llu", sep, name,
				   (unsigned long long)store_quota_kib(st->deleted_size));
			break;
		case CMD_STATUS_ITEM_COUNT:
			break;
		}
	}
}

/* ---- CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE ---- */

enum mailbox_op_kind { OP_CREATE, OP_DELETE, OP_RENAME, OP_SUBSCRIBE, OP_UNSUBSCRIBE };

struct mailbox_op {
	enum mailbox_op_kind kind;
	struct mailbox_ref ref;           /* the store that holds it */
	const char *name;                 /* in that store */
	const char *to;                   /* RENAME */
	unsigned int special_use;         /* CREATE */
	/* RENAME of the selected mailbox (or of one of its parents): its new
	 * name, so the sync follows it and the session keeps it selected. */
	const char *selected_from;
	char *selected_to;
	bool deletes_selected;            /* DELETE of the selected mailbox */
};

/* The parent of name in its store, NULL at the top level. */
static const char *mailbox_op_parent(struct imap_cmd *cmd, const char *name)
{
	const char *slash = strrchr(name, MAILBOX_NAME_DELIM);

	return slash != NULL ? arena_strndup(cmd->arena, name, (size_t)(slash - name)) : NULL;
}

/* Another user's mailboxes: RENAME needs k on the new parent (at the top
 * of their names it is not anyone's to give), beside x on the mailbox,
 * the job's own check. */
static bool mailbox_op_allowed(struct store_job *job, struct store *store,
			       struct mailbox_op *op)
{
	const char *parent;

	if (!op->ref.other || op->kind != OP_RENAME)
		return true;
	parent = mailbox_op_parent(job->cmd, op->to);
	if (parent == NULL) {
		job->result = STORE_NO_RIGHTS;
		return false;
	}
	return imap_store_job_allows(job, store, parent, ACL_CREATE);
}

static void mailbox_op_run(struct store_job *job, struct store *store)
{
	struct mailbox_op *op = job->ctx;

	if (!mailbox_op_allowed(job, store, op))
		return;
	switch (op->kind) {
	case OP_CREATE:
		job->result = store_mailbox_create(store, op->name, op->special_use);
		break;
	case OP_DELETE:
		job->result = store_mailbox_delete(store, op->name);
		break;
	case OP_RENAME:
		job->result = store_mailbox_rename(store, op->name, op->to);
		/* The sync runs after this on the same worker: it must look for
		 * the selected mailbox under its new name. */
		if (job->result == STORE_OK && op->selected_to != NULL && job->sync)
			job->sync_name = op->selected_to;
		break;
	case OP_SUBSCRIBE:
		job->result = store_mailbox_subscribe(store, op->name, true);
		break;
	case OP_UNSUBSCRIBE:
		job->result = store_mailbox_subscribe(store, op->name, false);
		/* RFC 9051 §6.3.8: OK also when the name was not subscribed. */
		if (job->result == STORE_NOT_FOUND)
			job->result = STORE_OK;
		break;
	}
}

static bool mailbox_op_done(struct store_job *job)
{
	struct mailbox_op *op = job->ctx;
	struct imap_session *s = job->cmd->session;

	if (job->result == STORE_OK && op->selected_to != NULL && s->selected != NULL &&
	    s->selected_owner == op->ref.owner && strcmp(s->selected->name, op->selected_from) == 0) {
		free(s->selected->name);
		s->selected->name = xstrdup(op->selected_to);
	}
	if (job->result == STORE_OK && op->deletes_selected && s->selected != NULL &&
	    s->selected_owner == op->ref.owner && strcmp(s->selected->name, op->name) == 0) {
		/* CLOSED (RFC 9051 §7.1) tells even an IMAP4rev1 client, which
		 * must ignore codes it does not know, why its next FETCH is
		 * refused. */
		imap_session_unselect(s);
		imap_session_send(s, "* OK [CLOSED] The selected mailbox was deleted");
	}
	/* On success: "<COMMAND> completed". */
	imap_cmd_store_error(job->cmd, job->result);
	return true;
}

static enum cmd_step mailbox_op_submit(struct imap_cmd *cmd, struct mailbox_op *op)
{
	/* Deleting the selected mailbox ends the selection: nothing more is
	 * announced about it (the sync would only find it gone). */
	bool sync = !op->deletes_selected;
	acl_rights need = op->kind == OP_DELETE || op->kind == OP_RENAME ? ACL_DELETE_MAILBOX : 0;
	struct mailbox_ref ref = op->ref;

	if (op->kind == OP_CREATE && ref.other) {
		/* k on the parent; none at the top of another user's names. */
		ref.name = mailbox_op_parent(cmd, op->name);
		need = ACL_CREATE;
		if (ref.name == NULL) {
			imap_cmd_store_error(cmd, STORE_NO_RIGHTS);
			return CMD_STEP_DONE;
		}
	}
	if (!imap_store_job_submit_ref(cmd, &ref, need, mailbox_op_run, mailbox_op_done, op, sync,
				       NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

/* The op on the mailbox a name argument names (its owner's store); NULL
 * after answering. SUBSCRIBE and UNSUBSCRIBE keep the name as the client
 * gave it in the session user's own list. */
static struct mailbox_op *mailbox_op_new(struct imap_cmd *cmd, enum mailbox_op_kind kind,
					 const struct imap_arg *arg, bool strip_delim)
{
	struct mailbox_op *op = arena_alloc(cmd->arena, sizeof(*op));

	op->kind = kind;
	if (kind == OP_SUBSCRIBE || kind == OP_UNSUBSCRIBE) {
		const char *full = cmd_mailbox_arg(cmd, arg, strip_delim);

		if (full == NULL)
			return NULL;
		mailbox_ref_own(cmd->session, full, &op->ref);
	} else if (!cmd_mailbox_ref_arg(cmd, arg, strip_delim, &op->ref)) {
		return NULL;
	}
	op->name = op->ref.name;
	if (op->name == NULL) {
		/* A namespace node ("Other Users/alice"): no store's mailbox. */
		imap_cmd_reply(cmd, "NO", "[CANNOT] Not a mailbox");
		return NULL;
	}
	return op;
}

/* RFC 6154 §3: the special-use attributes, as the store's bits. */
static const struct {
	const char *name;
	unsigned int bit;
} special_uses[] = {
	{ "\\All", STORE_USE_ALL },
	{ "\\Archive", STORE_USE_ARCHIVE },
	{ "\\Drafts", STORE_USE_DRAFTS },
	{ "\\Flagged", STORE_USE_FLAGGED },
	{ "\\Junk", STORE_USE_JUNK },
	{ "\\Sent", STORE_USE_SENT },
	{ "\\Trash", STORE_USE_TRASH },
};

/* RFC 4466 §2.2 create-params with RFC 6154 §5.3's only parameter:
 * "(USE (\Sent ...))". Answers and returns false on error. */
static bool create_params(struct imap_cmd *cmd, const struct imap_arg *params,
			  unsigned int *special_use_r)
{
	if (params->type != IMAP_ARG_LIST || params->list_count == 0) {
		imap_cmd_reply(cmd, "BAD", "CREATE parameters must be a list");
		return false;
	}
	for (unsigned int i = 0; i < params->list_count; i += 2) {
		if (!imap_arg_is_atom(&params->list[i], "USE")) {
			imap_cmd_reply(cmd, "BAD", "Unknown CREATE parameter");
			return false;
		}
		if (i + 1 >= params->list_count || params->list[i + 1].type != IMAP_ARG_LIST) {
			imap_cmd_reply(cmd, "BAD", "USE needs a list of special-use attributes");
			return false;
		}
		const struct imap_arg *uses = &params->list[i + 1];

		for (unsigned int j = 0; j < uses->list_count; j++) {
			const struct imap_arg *use = &uses->list[j];
			size_t k;

			if (use->type != IMAP_ARG_ATOM || use->str[0] != '\\') {
				imap_cmd_reply(cmd, "BAD", "Invalid special-use attribute");
				return false;
			}
			for (k = 0; k < sizeof(special_uses) / sizeof(special_uses[0]); k++) {
				if (imap_arg_is_atom(use, special_uses[k].name))
					break;
			}
			if (k == sizeof(special_uses) / sizeof(special_uses[0])) {
				/* RFC 6154 §5.3: refuse, and say it is the attribute. */
				imap_cmd_reply(cmd, "NO", "[USEATTR] Unsupported special-use attribute");
				return false;
			}
			*special_use_r |= special_uses[k].bit;
		}
	}
	return true;
}

enum cmd_step cmd_create(struct imap_cmd *cmd)
{
	unsigned int special_use = 0;
	const char *name;

	if (cmd->arg_count < 1 || cmd->arg_count > 2) {
		imap_cmd_reply(cmd, "BAD", "CREATE needs a mailbox name and optional parameters");
		return CMD_STEP_DONE;
	}
	if (cmd->arg_count == 2 && !create_params(cmd, &cmd->args[1], &special_use))
		return CMD_STEP_DONE;
	/* RFC 9051 §6.3.4: "foo/" declares that names will be created under
	 * foo; foo is what is created. */
	struct mailbox_op *op = mailbox_op_new(cmd, OP_CREATE, &cmd->args[0], true);

	if (op == NULL)
		return CMD_STEP_DONE;
	name = op->name;
	if (strcmp(name, "INBOX") == 0) {
		imap_cmd_reply(cmd, "NO", "[ALREADYEXISTS] INBOX always exists");
		return CMD_STEP_DONE;
	}
	op->special_use = special_use;
	return mailbox_op_submit(cmd, op);
}

/* The commands taking exactly one mailbox name. */
static enum cmd_step one_name_command(struct imap_cmd *cmd, enum mailbox_op_kind kind)
{
	if (cmd->arg_count != 1) {
		imap_cmd_reply(cmd, "BAD", "%s needs one mailbox name", cmd->name);
		return CMD_STEP_DONE;
	}
	struct mailbox_op *op = mailbox_op_new(cmd, kind, &cmd->args[0], false);

	if (op == NULL)
		return CMD_STEP_DONE;
	struct mailbox_view *selected = cmd->session->selected;

	op->deletes_selected = kind == OP_DELETE && selected != NULL &&
			       cmd->session->selected_owner == op->ref.owner &&
			       strcmp(selected->name, op->name) == 0;
	return mailbox_op_submit(cmd, op);
}

/* Deleting the selected mailbox is allowed (the store decides what may
 * go): the session then leaves the selected state, as a CLOSE would. */
enum cmd_step cmd_delete(struct imap_cmd *cmd)
{
	return one_name_command(cmd, OP_DELETE);
}

enum cmd_step cmd_subscribe(struct imap_cmd *cmd)
{
	return one_name_command(cmd, OP_SUBSCRIBE);
}

enum cmd_step cmd_unsubscribe(struct imap_cmd *cmd)
{
	return one_name_command(cmd, OP_UNSUBSCRIBE);
}

/* "from" itself or a name under it. */
static bool is_self_or_child(const char *name, const char *from)
{
	size_t len = strlen(from);

	return strncmp(name, from, len) == 0 &&
	       (name[len] == '\0' || name[len] == MAILBOX_NAME_DELIM);
}

enum cmd_step cmd_rename(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct mailbox_ref to_ref;
	const char *from, *to;

	if (cmd->arg_count != 2) {
		imap_cmd_reply(cmd, "BAD", "RENAME needs two mailbox names");
		return CMD_STEP_DONE;
	}
	struct mailbox_op *op = mailbox_op_new(cmd, OP_RENAME, &cmd->args[0], false);

	if (op == NULL || !cmd_mailbox_ref_arg(cmd, &cmd->args[1], false, &to_ref))
		return CMD_STEP_DONE;
	if (to_ref.owner != op->ref.owner || to_ref.name == NULL) {
		imap_cmd_reply(cmd, "NO", "[CANNOT] A mailbox stays with its owner, under a mailbox name");
		return CMD_STEP_DONE;
	}
	from = op->name;
	to = to_ref.name;
	bool inbox = strcmp(from, "INBOX") == 0;

	/* RENAME INBOX INBOX/old is the classic use of INBOX's special rule
	 * (its children stay); any other mailbox cannot go under itself. */
	if (!inbox && is_self_or_child(to, from)) {
		imap_cmd_reply(cmd, "NO", "[CANNOT] Cannot move a mailbox under itself");
		return CMD_STEP_DONE;
	}
	op->to = to;
	/* The selected mailbox moves with a rename of it or of a parent (not
	 * with INBOX's: INBOX stays, emptied, and its children stay too). */
	if (s->selected != NULL && s->selected_owner == op->ref.owner && !inbox &&
	    is_self_or_child(s->selected->name, from)) {
		op->selected_from = arena_strdup(cmd->arena, s->selected->name);
		op->selected_to = arena_printf(cmd->arena, "%s%s", to,
					       s->selected->name + strlen(from));
	}
	return mailbox_op_submit(cmd, op);
}

/* ---- NAMESPACE (RFC 2342, RFC 9051 §6.3.10) ---- */

enum cmd_step cmd_namespace(struct imap_cmd *cmd)
{
	if (cmd->arg_count != 0) {
		imap_cmd_reply(cmd, "BAD", "Unexpected arguments");
		return CMD_STEP_DONE;
	}
	/* The personal namespace without a prefix, the other users' and the
	 * public one (mailbox-ref.h). */
	imap_session_send(cmd->session, "* NAMESPACE ((\"\" \"/\")) ((\"" MAILBOX_REF_OTHERS_PREFIX
			  "\" \"/\")) ((\"" MAILBOX_REF_PUBLIC_PREFIX "\" \"/\"))");
	imap_cmd_reply(cmd, "OK", "NAMESPACE completed");
	return CMD_STEP_DONE;
}

/* ---- STATUS (RFC 9051 §6.3.11) ---- */

struct status_op {
	struct mailbox_ref ref;
	const char *name;                 /* in ref's store */
	struct cmd_status_items items;
	struct store_mailbox_status status;
};

static void status_run(struct store_job *job, struct store *store)
{
	struct status_op *op = job->ctx;

	job->result = store_mailbox_status(store, op->name, &op->status);
}

static bool status_done(struct store_job *job)
{
	struct status_op *op = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct buf line;

	if (job->result != STORE_OK) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	if (cmd->session->selected_owner == op->ref.owner)
		cmd_status_session_view(cmd->session, op->name, &op->status);
	buf_init(&line, CMD_MAILBOX_WIRE_MAX + 512);
	buf_append_str(&line, "* STATUS ");
	if (cmd_mailbox_append_name(cmd->session, op->ref.full, &line)) {
		buf_append_str(&line, " (");
		cmd_status_items_format(&op->items, &op->status,
					store_append_limit(cmd->session->server->store_env), &line);
		buf_append_char(&line, ')');
		imap_session_send(cmd->session, "%s", line.data);
		imap_cmd_reply(cmd, "OK", "STATUS completed");
	} else {
		imap_cmd_store_error(cmd, STORE_INVALID);
	}
	buf_free(&line);
	return true;
}

enum cmd_step cmd_status(struct imap_cmd *cmd)
{
	struct status_op *op = arena_alloc(cmd->arena, sizeof(*op));

	if (cmd->arg_count != 2 ||
	    !cmd_status_items_parse(&cmd->args[1], cmd->session->rev2_enabled, &op->items)) {
		imap_cmd_reply(cmd, "BAD", "STATUS needs a mailbox name and a list of status items");
		return CMD_STEP_DONE;
	}
	if (!cmd_mailbox_ref_arg(cmd, &cmd->args[0], false, &op->ref))
		return CMD_STEP_DONE;
	op->name = op->ref.name;
	if (cmd_status_items_has(&op->items, CMD_STATUS_HIGHESTMODSEQ))
		imap_session_enable_condstore(cmd->session);   /* RFC 7162 §3.1 */
	/* RFC 4314 §4: STATUS needs r. */
	if (!imap_store_job_submit_ref(cmd, &op->ref, ACL_READ, status_run, status_done, op, true,
				       NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
