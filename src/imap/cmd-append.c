/* APPEND and MULTIAPPEND (RFC 9051 §6.3.12, RFC 3502), with APPENDUID
 * (RFC 4315) and APPENDLIMIT (RFC 7889). The message literals were already
 * streamed to store blobs while the command line arrived (append-stream.c,
 * driven by session.c); here the arguments are checked and all messages are
 * added in one store transaction. */
#include <inttypes.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/append-stream.h"
#include "imap/datetime.h"
#include "imap/flags.h"
#include "imap/cmd-mailbox.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"

struct append_cmd {
	struct append_stream *stream;
	const char *mailbox;
	struct store_append *messages;
	unsigned int count;
	uint32_t uidvalidity;
	uint32_t *uids;
	bool empty_message;
};

static void append_run(struct store_job *job, struct store *store)
{
	struct append_cmd *ac = job->ctx;

	job->result = append_stream_store_held(ac->stream, store);
	if (job->result != STORE_OK)
		return;
	for (unsigned int i = 0; i < ac->count; i++)
		ac->messages[i].blob = append_stream_blob(ac->stream, i);
	job->result = store_messages_append(store, ac->mailbox, ac->messages, ac->count,
					    &ac->uidvalidity, ac->uids);
}

static bool append_done(struct store_job *job)
{
	struct append_cmd *ac = job->ctx;
	struct imap_cmd *cmd = job->cmd;

	append_stream_discard(cmd->session, &ac->stream);
	if (job->result == STORE_NOT_FOUND) {
		/* RFC 9051 §6.3.12: the client may CREATE and retry. */
		imap_cmd_reply(cmd, "NO", "[TRYCREATE] No such mailbox");
		return true;
	}
	if (job->result != STORE_OK) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	struct buf set;
	buf_init(&set, 16 * APPEND_MESSAGES_MAX);
	seqset_format_uids(ac->uids, ac->count, &set);
	imap_cmd_reply(cmd, "OK", "[APPENDUID %" PRIu32 " %s] APPEND completed",
		       ac->uidvalidity, set.data);
	buf_free(&set);
	return true;
}

static void append_cleanup(struct imap_cmd *cmd)
{
	struct append_cmd *ac = cmd->state;

	if (ac != NULL)
		append_stream_discard(cmd->session, &ac->stream);
}

static enum cmd_step append_bad(struct imap_cmd *cmd, const char *why)
{
	imap_cmd_reply(cmd, "BAD", "%s", why);
	return CMD_STEP_DONE;   /* the cleanup discards the stream */
}

enum cmd_step cmd_append(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct append_cmd *ac = arena_alloc(cmd->arena, sizeof(*ac));
	const char *error;

	ac->stream = append_stream_take(s);
	cmd->state = ac;
	cmd->cleanup = append_cleanup;
	if (cmd->arg_count < 2 || imap_arg_astring(&cmd->args[0]) == NULL)
		return append_bad(cmd, "APPEND needs a mailbox and a message");
	if (ac->stream == NULL)
		return append_bad(cmd, "The message must be a literal");

	unsigned int total = append_stream_count(ac->stream);
	ac->messages = arena_alloc(cmd->arena, total * sizeof(*ac->messages));
	ac->uids = arena_alloc(cmd->arena, total * sizeof(uint32_t));
	/* RFC 3502: 1*(SP [flag-list SP] [date-time SP] literal) after the name. */
	for (unsigned int i = 1; i < cmd->arg_count;) {
		struct store_append *m;
		const struct imap_arg *a = &cmd->args[i];

		if (ac->count >= total)
			return append_bad(cmd, "Invalid APPEND arguments");
		m = &ac->messages[ac->count];
		m->internaldate = time(NULL);
		m->internaldate_zone_min = 0;
		if (a->type == IMAP_ARG_LIST) {
			struct imap_flags flags;

			if (!imap_flags_parse(a, false, cmd->arena, &flags, &error))
				return append_bad(cmd, error);
			m->flags = flags.flags;
			m->keywords = flags.keywords;
			m->keyword_count = flags.keyword_count;
			a = &cmd->args[++i];
			if (i >= cmd->arg_count)
				return append_bad(cmd, "Missing message literal");
		}
		if (a->type == IMAP_ARG_QUOTED) {
			if (!imap_datetime_parse(a->str, a->len, &m->internaldate,
						 &m->internaldate_zone_min))
				return append_bad(cmd, "Invalid date-time");
			a = &cmd->args[++i];
			if (i >= cmd->arg_count)
				return append_bad(cmd, "Missing message literal");
		}
		if (a->type != IMAP_ARG_LITERAL || !a->streamed)
			return append_bad(cmd, "The message must be a literal");
		if (append_stream_size(ac->stream, ac->count) == 0)
			ac->empty_message = true;
		ac->count++;
		i++;
	}
	if (ac->count != total)
		return append_bad(cmd, "Invalid APPEND arguments");
	if ((ac->mailbox = cmd_mailbox_arg(cmd, &cmd->args[0], false)) == NULL)
		return CMD_STEP_DONE;
	if (ac->empty_message) {
		imap_cmd_reply(cmd, "NO", "[CANNOT] Empty messages are not stored");
		return CMD_STEP_DONE;
	}
	if (!imap_store_job_submit(cmd, append_run, append_done, ac, true, NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
