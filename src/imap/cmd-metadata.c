/* METADATA (RFC 5464): GETMETADATA and SETMETADATA on a mailbox or, with
 * the name "", on the server (store.h "METADATA"). /private entries are the
 * session user's, /shared ones everyone's who may see the mailbox. Server
 * entries under /shared are the administrator's: a SETMETADATA of one is
 * NO [NOPERM]. A name asked for and missing is answered NIL, as Dovecot
 * and Stalwart do; each entry appears at most once in a response, which
 * the store's bound on the bytes of all its values bounds in turn. */
#include "imap/command.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-ref.h"
#include "imap/parser.h"
#include "imap/resp.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "mail/imap-string.h"
#include "store/store.h"

/* Entry names one GETMETADATA may ask for (each once). */
#define METADATA_NAMES_MAX 128
/* What a response holds at most besides the values (names, quoting). */
#define METADATA_RESPONSE_SLACK (256 * 1024)

struct metadata_op {
	struct mailbox_ref ref;          /* whose store (the server's: the user's own) */
	const char *mailbox;             /* NULL: the server */
	const char **names;              /* GETMETADATA */
	unsigned int name_count;
	enum store_metadata_depth depth;
	uint64_t maxsize;                /* 0: none */
	struct store_metadata_entry *entries;
	unsigned int entry_count;
	bool set;
};

/* "" (any case is the same: the empty string) is the server. */
static bool metadata_mailbox_arg(struct imap_cmd *cmd, const struct imap_arg *arg,
				 struct metadata_op *op)
{
	const char *name = imap_arg_astring(arg);

	op->mailbox = NULL;
	if (name == NULL) {
		imap_cmd_reply(cmd, "BAD", "%s needs a mailbox name", cmd->name);
		return false;
	}
	if (name[0] == '\0') {
		mailbox_ref_own(cmd->session, NULL, &op->ref);
		return true;
	}
	if (!cmd_mailbox_ref_arg(cmd, arg, false, &op->ref))
		return false;
	op->mailbox = op->ref.name;
	if (op->mailbox == NULL) {
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return false;
	}
	return true;
}

static const char *metadata_name_arg(const struct imap_arg *arg)
{
	const char *name = imap_arg_astring(arg);

	return name != NULL && store_metadata_name_valid(name, arg->len) ? name : NULL;
}

/* GETMETADATA's entries are the store's (freed here, also when the session
 * ends first); SETMETADATA's live in the command's arena. */
static void metadata_cleanup(struct imap_cmd *cmd)
{
	struct metadata_op *op = cmd->state;

	if (op != NULL && !op->set) {
		store_metadata_free(op->entries, op->entry_count);
		op->entries = NULL;
		op->entry_count = 0;
	}
}

static void metadata_run(struct store_job *job, struct store *store)
{
	struct metadata_op *op = job->ctx;
	const char *user = job->cmd->session->user;

	if (op->set)
		job->result = store_metadata_set(store, op->mailbox, user, op->entries,
						  op->entry_count);
	else
		job->result = store_metadata_get(store, op->mailbox, user, op->names,
						 op->name_count, op->depth, &op->entries,
						 &op->entry_count);
}

/* Sorting entries' positions by name, then position: a later copy of a
 * name sorts right after its first. */
static const struct store_metadata_entry *sort_entries;

static int entry_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;
	int c = strcmp(sort_entries[x].name, sort_entries[y].name);

	return c != 0 ? c : (x > y) - (x < y);
}

/* dup[i]: entry i repeats an earlier one (depths may overlap: "/shared/a"
 * and "/shared/a/b" asked for at DEPTH infinity). Loop thread only. */
static bool *metadata_repeats(const struct store_metadata_entry *e, unsigned int n)
{
	unsigned int *order = xcalloc(n > 0 ? n : 1, sizeof(*order));
	bool *dup = xcalloc(n > 0 ? n : 1, sizeof(*dup));

	for (unsigned int i = 0; i < n; i++)
		order[i] = i;
	sort_entries = e;
	qsort(order, n, sizeof(*order), entry_cmp);
	sort_entries = NULL;
	for (unsigned int i = 1; i < n; i++)
		dup[order[i]] = strcmp(e[order[i]].name, e[order[i - 1]].name) == 0;
	free(order);
	return dup;
}

/* An entry name: an atom when every byte may be one, else quoted. */
static void metadata_write_name(struct buf *out, const char *name)
{
	if (strpbrk(name, "(){\"\\]") == NULL)
		buf_append_str(out, name);
	else
		imap_write_string(out, name, strlen(name));
}

static void metadata_write_value(struct buf *out, const struct store_metadata_entry *e)
{
	if (e->value == NULL)
		buf_append_str(out, "NIL");
	else if (memchr(e->value, '\0', e->len) != NULL) {
		/* A NUL travels only in literal8 (RFC 5464 §5: value). */
		buf_printf(out, "~{%zu}\r\n", e->len);
		buf_append(out, e->value, e->len);
	} else
		imap_write_string(out, (const char *)e->value, e->len);
}

static bool metadata_get_done(struct store_job *job)
{
	struct metadata_op *op = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;
	uint64_t longest = 0;
	unsigned int written = 0;
	struct buf line;

	if (job->result != STORE_OK) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	/* Each entry once, in the order asked for (as Dovecot answers). */
	bool *dup = metadata_repeats(op->entries, op->entry_count);

	buf_init(&line, STORE_METADATA_BYTES_MAX + METADATA_RESPONSE_SLACK);
	buf_append_str(&line, "* METADATA ");
	if (op->mailbox == NULL)
		buf_append_str(&line, "\"\"");
	else if (!cmd_mailbox_append_name(s, op->ref.full, &line)) {
		buf_free(&line);
		free(dup);
		imap_cmd_store_error(cmd, STORE_INVALID);
		return true;
	}
	buf_append_str(&line, " (");
	for (unsigned int i = 0; i < op->entry_count; i++) {
		const struct store_metadata_entry *e = &op->entries[i];

		if (dup[i])
			continue;
		if (op->maxsize > 0 && e->value != NULL && e->len > op->maxsize) {
			if (e->len > longest)
				longest = e->len;
			continue;
		}
		if (written++ > 0)
			buf_append_char(&line, ' ');
		metadata_write_name(&line, e->name);
		buf_append_char(&line, ' ');
		metadata_write_value(&line, e);
	}
	buf_append_char(&line, ')');
	free(dup);
	metadata_cleanup(cmd);
	if (line.overflow) {
		buf_free(&line);
		imap_cmd_reply(cmd, "NO", "[LIMIT] Response too large");
		return true;
	}
	if (written > 0) {
		resp_append(&s->out, line.data, line.len);
		resp_crlf(&s->out);
	}
	buf_free(&line);
	/* RFC 5464 §4.2.1: the size of the longest value MAXSIZE left out. */
	if (longest > 0)
		imap_cmd_reply(cmd, "OK", "[METADATA LONGENTRIES %" PRIu64 "] GETMETADATA completed",
			       longest);
	else
		imap_cmd_reply(cmd, "OK", "GETMETADATA completed");
	return true;
}

/* (MAXSIZE n DEPTH d), any order, each at most once. */
static bool metadata_options(struct imap_cmd *cmd, const struct imap_arg *list,
			     struct metadata_op *op)
{
	bool seen_maxsize = false, seen_depth = false;

	if (list->list_count == 0 || list->list_count % 2 != 0)
		return false;
	for (unsigned int i = 0; i < list->list_count; i += 2) {
		const struct imap_arg *key = &list->list[i], *value = &list->list[i + 1];

		if (imap_arg_is_atom(key, "MAXSIZE") && !seen_maxsize) {
			seen_maxsize = true;
			if (!imap_arg_number64(value, &op->maxsize) || op->maxsize > UINT32_MAX)
				return false;
		} else if (imap_arg_is_atom(key, "DEPTH") && !seen_depth) {
			seen_depth = true;
			if (imap_arg_is_atom(value, "0"))
				op->depth = STORE_METADATA_DEPTH_0;
			else if (imap_arg_is_atom(value, "1"))
				op->depth = STORE_METADATA_DEPTH_1;
			else if (imap_arg_is_atom(value, "INFINITY"))
				op->depth = STORE_METADATA_DEPTH_INFINITY;
			else
				return false;
		} else {
			return false;
		}
	}
	(void)cmd;
	return true;
}

enum cmd_step cmd_getmetadata(struct imap_cmd *cmd)
{
	struct metadata_op *op = arena_alloc(cmd->arena, sizeof(*op));
	unsigned int first = 0;

	memset(op, 0, sizeof(*op));
	if (cmd->arg_count == 3 && cmd->args[0].type == IMAP_ARG_LIST) {
		if (!metadata_options(cmd, &cmd->args[0], op)) {
			imap_cmd_reply(cmd, "BAD", "GETMETADATA options are MAXSIZE n and DEPTH"
				       " 0, 1 or infinity");
			return CMD_STEP_DONE;
		}
		first = 1;
	}
	if (cmd->arg_count != first + 2) {
		imap_cmd_reply(cmd, "BAD", "GETMETADATA needs a mailbox name and entry names");
		return CMD_STEP_DONE;
	}
	const struct imap_arg *names = &cmd->args[first + 1];
	unsigned int count = names->type == IMAP_ARG_LIST ? names->list_count : 1;

	if (count == 0 || count > METADATA_NAMES_MAX) {
		imap_cmd_reply(cmd, "BAD", "GETMETADATA takes 1 to %d entry names",
			       METADATA_NAMES_MAX);
		return CMD_STEP_DONE;
	}
	op->names = arena_alloc(cmd->arena, count * sizeof(*op->names));
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_arg *a = names->type == IMAP_ARG_LIST ? &names->list[i] : names;

		/* Copied: arguments last only until the command waits. */
		op->names[i] = metadata_name_arg(a);
		if (op->names[i] != NULL)
			op->names[i] = arena_strdup(cmd->arena, op->names[i]);
		if (op->names[i] == NULL) {
			imap_cmd_reply(cmd, "BAD", "Invalid entry name");
			return CMD_STEP_DONE;
		}
	}
	op->name_count = count;
	if (!metadata_mailbox_arg(cmd, &cmd->args[first], op))
		return CMD_STEP_DONE;
	cmd->state = op;
	cmd->cleanup = metadata_cleanup;
	/* RFC 5464 §3.2 with RFC 4314: another user's entries are read with
	 * l and r. */
	if (!imap_store_job_submit_ref(cmd, &op->ref, ACL_LOOKUP | ACL_READ, metadata_run,
				       metadata_get_done, op, true, NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

static bool metadata_set_done(struct store_job *job)
{
	struct imap_cmd *cmd = job->cmd;

	switch (job->result) {
	case STORE_TOO_BIG:
		imap_cmd_reply(cmd, "NO", "[METADATA MAXSIZE %u] Value too large",
			       STORE_METADATA_VALUE_MAX);
		break;
	case STORE_LIMIT:
		imap_cmd_reply(cmd, "NO", "[METADATA TOOMANY] Too many metadata entries");
		break;
	default:
		imap_cmd_store_error(cmd, job->result);
		break;
	}
	return true;
}

enum cmd_step cmd_setmetadata(struct imap_cmd *cmd)
{
	struct metadata_op *op = arena_alloc(cmd->arena, sizeof(*op));
	const struct imap_arg *list = cmd->arg_count == 2 ? &cmd->args[1] : NULL;

	memset(op, 0, sizeof(*op));
	op->set = true;
	if (list == NULL || list->type != IMAP_ARG_LIST || list->list_count == 0 ||
	    list->list_count % 2 != 0) {
		imap_cmd_reply(cmd, "BAD", "SETMETADATA needs a mailbox name and a list of"
			       " entries and values");
		return CMD_STEP_DONE;
	}
	op->entry_count = list->list_count / 2;
	op->entries = arena_alloc(cmd->arena, op->entry_count * sizeof(*op->entries));
	bool shared = false;

	for (unsigned int i = 0; i < op->entry_count; i++) {
		const struct imap_arg *name = &list->list[2 * i], *value = &list->list[2 * i + 1];
		struct store_metadata_entry *e = &op->entries[i];

		/* Copied: arguments last only until the command waits. */
		const char *n = metadata_name_arg(name);

		e->name = n != NULL ? arena_strdup(cmd->arena, n) : NULL;
		if (e->name == NULL) {
			imap_cmd_reply(cmd, "BAD", "Invalid entry name");
			return CMD_STEP_DONE;
		}
		shared = shared || e->name[1] == 's' || e->name[1] == 'S';
		if (imap_arg_is_nil(value)) {
			e->value = NULL;
		} else if ((value->type == IMAP_ARG_QUOTED || value->type == IMAP_ARG_LITERAL) &&
			   !value->streamed) {
			e->value = arena_alloc(cmd->arena, value->len + 1);
			memcpy(e->value, value->str, value->len);
			e->len = value->len;
		} else {
			imap_cmd_reply(cmd, "BAD", "A metadata value is NIL, a string or a literal");
			return CMD_STEP_DONE;
		}
	}
	if (!metadata_mailbox_arg(cmd, &cmd->args[0], op))
		return CMD_STEP_DONE;
	if (op->mailbox == NULL && shared) {
		imap_cmd_reply(cmd, "NO", "[NOPERM] Server entries under /shared are the"
			       " administrator's");
		return CMD_STEP_DONE;
	}
	/* Another user's mailbox: /private entries (the session user's own)
	 * need l, /shared ones w too (RFC 5464 §3.2). */
	if (!imap_store_job_submit_ref(cmd, &op->ref, shared ? ACL_LOOKUP | ACL_WRITE : ACL_LOOKUP,
				       metadata_run, metadata_set_done, op, true, NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
