/* APPEND and MULTIAPPEND (RFC 9051 §6.3.12, RFC 3502), with APPENDUID
 * (RFC 4315) and APPENDLIMIT (RFC 7889). The command reads its own
 * literals, as Dovecot's cmd_append_full() does: the session asks
 * cmd_append_literal() about each one before anything is sent, and the
 * target mailbox is checked on a worker before the first "+" (so NO
 * [TRYCREATE] never follows a message on disk), each size against
 * APPENDLIMIT before its "+". The bytes stream to the store
 * (append-stream.c); then the messages are delivered (store/deliver.h) in
 * one transaction, committed together with the user's other deliveries.
 * A pipelining client's APPEND ends at once and owes its tagged OK, sent in
 * command order once its group commit is durable, so the session reads the
 * next APPENDs meanwhile and they join the next commit.
 *
 * CATENATE (RFC 4469) and REPLACE (RFC 8508) take the same path later:
 * REPLACE is an APPEND whose delivery also expunges the replaced message in
 * its transaction (a delivery field naming it); CATENATE's TEXT parts are
 * literals this hook streams one after the other into one message, and its
 * URL parts are copied into that blob by jobs on the user's key, all after
 * the same check of the target before the first "+". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/xalloc.h"
#include "imap/append-stream.h"
#include "imap/datetime.h"
#include "imap/flags.h"
#include "imap/cmd-mailbox.h"
#include "imap/mailbox-ref.h"
#include "imap/imap-server.h"
#include "user/mail-user.h"
#include "imap/mailbox-name.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "store/deliver.h"

/* Bytes of messages held in memory by a session's APPENDs that ended with
 * their reply owed: past this an APPEND waits for its own commit instead.
 * It bounds what a pipelining client makes the server hold (besides the
 * SESSION_REPLIES_OWED_MAX count), and is one full group commit's worth
 * (STORE_DELIVER_BATCH_BYTES). */
#define APPEND_AHEAD_BYTES STORE_DELIVER_BATCH_BYTES

/* One APPEND command's delivery; outlives the command when its reply is
 * owed (its own arena, not the command's). */
struct append_op {
	struct arena *arena;
	struct imap_session *session;
	struct mail_user *mu;             /* the target's owner */
	bool other;                       /* another user's: mu held by op */
	struct append_stream *stream;
	struct store_delivery delivery;
	struct imap_reply *reply;         /* reply owed (pipelined), or NULL */
	size_t held;                      /* counted in session->append_ahead_bytes */
	bool index_due;
};

/* ---- the literals ---- */

static uint64_t reader_left(const struct imap_session *s)
{
	return append_stream_left(s);
}

static size_t reader_feed(struct imap_session *s, const unsigned char *data, size_t len)
{
	return append_stream_feed(s, data, len);
}

static void reader_abort(struct imap_session *s)
{
	s->literal_reader = NULL;
	append_stream_discard(s, &s->append);
}

static const struct imap_literal_reader append_reader = {
	.left = reader_left,
	.feed = reader_feed,
	.abort = reader_abort,
};

static const char *append_error_text(enum store_result r, bool other)
{
	/* RFC 9051 §6.3.12: the client may CREATE and retry; not in another
	 * user's mailboxes, where it would tell what the ACL hides. */
	return r == STORE_NOT_FOUND && !other ? "[TRYCREATE] No such mailbox"
					      : imap_store_error_text(r);
}

static bool append_arg_other(const struct imap_session *s, const struct imap_arg *arg);

/* Refused before its delivery: other as for append_error_text(), also
 * for a name under "Other Users/" that no store holds (the user's own
 * name there, no user's), which CREATE could not make either. arg: the
 * APPEND's mailbox argument. */
static const char *append_refused_text(const struct imap_session *s,
				       const struct append_stream *st, const struct imap_arg *arg)
{
	return append_error_text(append_stream_refused(st),
				 append_stream_other(st) || append_arg_other(s, arg));
}

/* The APPEND already failed (its mailbox): a synchronizing literal is
 * refused before "+"; a non-synchronizing one is on the way and is read
 * and dropped (RFC 7888 §4), at most APPENDLIMIT bytes, and the command
 * then answers the failure. Past the limit the session must end. */
static enum imap_literal_step append_refused_literal(struct imap_session *s,
						     const struct imap_literal_info *lit)
{
	unsigned int count;
	const struct imap_arg *args = imap_parser_args(s->parser, &count);

	if (lit->sync || lit->size > s->append_limit) {
		/* Before reader_abort(), which frees the stream. */
		const char *text = append_refused_text(s, s->append, &args[1]);

		reader_abort(s);
		imap_session_literal_refuse(s, "%s", text);
		return IMAP_LITERAL_DECIDED;
	}
	append_stream_begin(s, lit->size, false, true);
	imap_session_literal_stream(s, &append_reader);
	return IMAP_LITERAL_DECIDED;
}

static enum imap_literal_step append_literal_decide(struct imap_session *s,
						    const struct imap_literal_info *lit)
{
	if (append_stream_refused(s->append) != STORE_OK)
		return append_refused_literal(s, lit);
	if (lit->size > s->append_limit ||
	    !append_stream_begin(s, lit->size, lit->literal8, false)) {
		/* RFC 7889: refused before "+", with the limit in the text. */
		reader_abort(s);
		imap_session_literal_refuse(s, "[TOOBIG] Message too big (APPENDLIMIT %llu)",
					    (unsigned long long)s->append_limit);
		return IMAP_LITERAL_DECIDED;
	}
	imap_session_literal_stream(s, &append_reader);
	return IMAP_LITERAL_DECIDED;
}

/* The check's answer: the literal the session holds back is decided now. */
static void append_checked(struct imap_session *s, enum store_result r, uint64_t limit)
{
	if (s->closed || s->append == NULL)
		return;
	if (limit > 0)
		s->append_limit = limit;
	if (r != STORE_OK)
		append_stream_refuse(s->append, r);
	append_literal_decide(s, imap_parser_literal(s->parser));
}

/* The mailbox argument, decoded and validated (RFC 9051 §5.1), or NULL. */
static char *append_mailbox(const struct imap_session *s, const struct imap_arg *arg)
{
	const char *raw = imap_arg_astring(arg);
	const char *error;
	struct buf name;
	char *copy = NULL;

	if (raw == NULL)
		return NULL;
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name_from_client(raw, arg->len, s->rev2_enabled, &name, &error))
		copy = xstrndup(name.data, name.len);
	buf_free(&name);
	return copy;
}

/* A name in the "Other Users/" namespace, whether or not a store holds
 * it (mailbox-ref.h). */
static bool append_arg_other(const struct imap_session *s, const struct imap_arg *arg)
{
	char owner[ACL_IDENTIFIER_MAX];
	const char *name;
	bool other = false;
	char *mailbox = append_mailbox(s, arg);

	if (mailbox == NULL)
		return false;
	struct arena *arena = arena_create(256);

	(void)mailbox_ref_split(arena, mailbox, s->user, owner, sizeof(owner), &name, &other);
	arena_destroy(&arena);
	free(mailbox);
	return other;
}

/* Another user's mailbox (mailbox-ref.h): the stream goes to their store
 * and *mailbox becomes the name there. False (and *mailbox NULL) for a
 * name no store holds. */
static bool append_target(struct imap_session *s, struct append_stream *st, char **mailbox)
{
	char owner[ACL_IDENTIFIER_MAX];
	const char *name;
	bool other;
	struct arena *arena = arena_create(256);
	bool ok = mailbox_ref_split(arena, *mailbox, s->user, owner, sizeof(owner), &name,
				    &other);

	if (ok && other && name != NULL && owner[0] != '\0') {
		append_stream_set_owner(s, st, owner);
		char *copy = xstrdup(name);

		free(*mailbox);
		*mailbox = copy;
	} else if (!ok || other) {
		free(*mailbox);
		*mailbox = NULL;
		ok = false;
	}
	arena_destroy(&arena);
	return ok;
}

enum imap_literal_step cmd_append_literal(struct imap_session *s,
					  const struct imap_literal_info *lit)
{
	unsigned int count;
	const struct imap_arg *args = imap_parser_args(s->parser, &count);

	/* RFC 9051 §6.3.12: APPEND mailbox [flags] [date-time] literal; the
	 * mailbox name itself may be a literal (then it is an ordinary one). */
	if (count < 2)
		return IMAP_LITERAL_NOT_MINE;
	struct append_stream *st = append_stream_get(s);
	s->literal_reader = &append_reader;
	if (append_stream_refused(st) != STORE_OK)
		return append_refused_literal(s, lit);
	if (!append_stream_checked(st)) {
		char *mailbox = append_mailbox(s, &args[1]);
		bool ok = true;

		append_stream_set_checked(st);
		if (mailbox != NULL && !append_target(s, st, &mailbox)) {
			append_stream_refuse(st, STORE_NOT_FOUND);
			if (s->append_limit > 0)
				return append_refused_literal(s, lit);
		}
		if (mailbox == NULL) {
			append_stream_refuse(st, STORE_INVALID);
			if (s->append_limit > 0)
				return append_refused_literal(s, lit);
		}
		if (mailbox == NULL || lit->sync || s->append_limit == 0) {
			/* Before "+" (or before reading a first non-synchronizing
			 * literal, whose limit is not known yet): ask the store. */
			ok = append_stream_check(s, mailbox != NULL ? mailbox : "", append_checked);
			free(mailbox);
			if (!ok) {
				reader_abort(s);
				imap_session_literal_refuse(s, "[UNAVAILABLE] Server busy, try again");
				return IMAP_LITERAL_DECIDED;
			}
			return IMAP_LITERAL_WAIT;
		}
		/* LITERAL+ with the limit known: no wait (the client does not).
		 * A message held in memory is checked by its delivery before it
		 * is written; one streamed to a blob gets its check queued ahead
		 * of its first chunk, and the chunks skip when it fails. */
		append_stream_check_before_blob(st, mailbox);
		free(mailbox);
	}
	return append_literal_decide(s, lit);
}

/* ---- the delivery ---- */

static void append_op_free(struct imap_session *s, struct append_op **opp)
{
	struct append_op *op = *opp;

	if (op == NULL)
		return;
	*opp = NULL;
	append_stream_discard(s, &op->stream);
	if (op->other)
		mail_user_release(&op->mu, s->loop);
	struct arena *arena = op->arena;   /* op lives in it */
	arena_destroy(&arena);
}

/* Worker: the messages streamed to blobs (by the stream's jobs, which ran
 * before this one) join the delivery; then it is committed, with others
 * when it may (queue), else alone. */
static enum store_result append_deliver(struct append_op *op, struct store *store,
					struct store_deliver_queue *queue)
{
	enum store_result r = append_stream_result(op->stream);
	uint64_t changes = store_change_count(store);

	/* Checked again here: a message held in memory had no check of its
	 * own, and the ACL may have changed since. */
	if (r == STORE_OK && op->other)
		r = append_stream_rights(store, op->delivery.mailbox, op->session->user, STORE_OK);
	if (r != STORE_OK) {
		if (queue != NULL)
			store_deliver_queue_cancel(queue, &op->delivery, r);
		return r;
	}
	for (unsigned int i = 0; i < op->delivery.count; i++) {
		if (op->delivery.msgs[i].body == NULL)
			op->delivery.msgs[i].append.blob = append_stream_blob(op->stream, i);
	}
	if (queue != NULL)
		store_deliver_queue_run(queue, store, &op->delivery);
	else
		store_deliver(store, &op->delivery);
	/* Sessions in IDLE learn of it now, not at their next command. */
	if (store_change_count(store) != changes)
		mail_user_notify(op->mu);
	return op->delivery.result;
}

static void append_result(struct append_op *op, const char **status_r, struct buf *text)
{
	const struct store_delivery *d = &op->delivery;

	if (d->result != STORE_OK) {
		*status_r = "NO";
		buf_printf(text, "%s", append_error_text(d->result, op->other));
		return;
	}
	*status_r = "OK";
	buf_printf(text, "[APPENDUID %" PRIu32 " ", d->uidvalidity);
	seqset_format_uids(d->uids, d->count, text);
	buf_printf(text, "] APPEND completed");
}

/* The reply owed: a job on the user's key, outside any command. */
static void append_owed_run(void *arg)
{
	struct append_op *op = arg;
	struct store_deliver_queue *queue = mail_user_deliveries(op->mu);
	enum store_result r;
	struct store *store = mail_user_store(op->mu, &r);

	if (store == NULL) {
		store_deliver_queue_cancel(queue, &op->delivery, r);
		return;
	}
	append_deliver(op, store, queue);
	op->index_due = store_index_due(store);
}

static void append_owed_done(void *arg)
{
	struct append_op *op = arg;
	struct imap_session *s = op->session;
	const char *status;
	struct buf text;

	if (op->index_due)
		mail_user_index_kick(op->mu, s->loop);
	s->append_ahead_bytes -= op->held;
	buf_init(&text, 64 + 16 * APPEND_MESSAGES_MAX);
	append_result(op, &status, &text);
	imap_reply_send(s, op->reply, status, "%s", text.data);
	buf_free(&text);
	append_op_free(s, &op);
}

static bool append_owed_submit(void *ctx)
{
	struct append_op *op = ctx;

	return imap_session_submit(op->session, mail_user_key(op->mu), append_owed_run,
				   append_owed_done, op);
}

/* The command waits (a mailbox is selected: the new message is announced
 * with the reply, RFC 9051 §6.3.12), delivered alone in its store job. */
static void append_run(struct store_job *job, struct store *store)
{
	job->result = append_deliver(job->ctx, store, NULL);
}

static bool append_done(struct store_job *job)
{
	struct append_op *op = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	const char *status;
	struct buf text;

	if (job->result != STORE_OK)
		op->delivery.result = job->result;
	buf_init(&text, 64 + 16 * APPEND_MESSAGES_MAX);
	append_result(op, &status, &text);
	imap_cmd_reply(cmd, status, "%s", text.data);
	buf_free(&text);
	return true;   /* the cleanup frees op */
}

static void append_cleanup(struct imap_cmd *cmd)
{
	struct append_op *op = cmd->state;

	append_op_free(cmd->session, &op);
	cmd->state = NULL;
}

static bool append_bad(struct imap_cmd *cmd, const char *why)
{
	imap_cmd_reply(cmd, "BAD", "%s", why);
	return false;   /* the cleanup discards the stream */
}

/* RFC 3502: 1*(SP [flag-list SP] [date-time SP] literal) after the name.
 * False after answering BAD. */
static bool append_parse(struct imap_cmd *cmd, struct append_op *op, bool *empty_r)
{
	struct store_delivery *d = &op->delivery;
	unsigned int total = op->stream != NULL ? append_stream_count(op->stream) : 0;
	const char *error;

	d->msgs = arena_alloc(op->arena, (total > 0 ? total : 1) * sizeof(*d->msgs));
	d->uids = arena_alloc(op->arena, (total > 0 ? total : 1) * sizeof(uint32_t));
	for (unsigned int i = 1; i < cmd->arg_count;) {
		struct store_delivery_msg *m;
		const struct imap_arg *a = &cmd->args[i];

		if (d->count >= total)
			return append_bad(cmd, "Invalid APPEND arguments");
		m = &d->msgs[d->count];
		m->append.internaldate = time(NULL);
		if (a->type == IMAP_ARG_LIST) {
			struct imap_flags flags;

			if (!imap_flags_parse(a, false, op->arena, &flags, &error))
				return append_bad(cmd, error);
			m->append.flags = flags.flags;
			m->append.keywords = flags.keywords;
			m->append.keyword_count = flags.keyword_count;
			a = &cmd->args[++i];
			if (i >= cmd->arg_count)
				return append_bad(cmd, "Missing message literal");
		}
		if (a->type == IMAP_ARG_QUOTED) {
			if (!imap_datetime_parse(a->str, a->len, &m->append.internaldate,
						 &m->append.internaldate_zone_min))
				return append_bad(cmd, "Invalid date-time");
			a = &cmd->args[++i];
			if (i >= cmd->arg_count)
				return append_bad(cmd, "Missing message literal");
		}
		if (a->type != IMAP_ARG_LITERAL || !a->streamed)
			return append_bad(cmd, "The message must be a literal");
		m->body = append_stream_held(op->stream, d->count);
		m->body_len = m->body != NULL ? (size_t)append_stream_size(op->stream, d->count) : 0;
		m->keep_bytes = append_stream_literal8(op->stream, d->count);
		if (m->body == NULL)
			d->own_job_only = true;   /* its blob comes from the stream's jobs */
		if (append_stream_size(op->stream, d->count) == 0)
			*empty_r = true;
		d->count++;
		i++;
	}
	if (d->count != total)
		return append_bad(cmd, "Invalid APPEND arguments");
	return true;
}

enum cmd_step cmd_append(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct arena *arena = arena_create(1024);
	struct append_op *op = arena_alloc(arena, sizeof(*op));
	bool empty = false;
	const char *mailbox;
	struct mailbox_ref ref;

	op->arena = arena;
	op->session = s;
	op->mu = s->mail_user;
	op->stream = append_stream_take(s);
	cmd->state = op;
	cmd->cleanup = append_cleanup;
	if (cmd->arg_count < 2 || imap_arg_astring(&cmd->args[0]) == NULL) {
		append_bad(cmd, "APPEND needs a mailbox and a message");
		return CMD_STEP_DONE;
	}
	if (op->stream == NULL) {
		append_bad(cmd, "The message must be a literal");
		return CMD_STEP_DONE;
	}
	if (append_stream_refused(op->stream) != STORE_OK) {
		/* Its literals were read and dropped (non-synchronizing). */
		imap_cmd_reply(cmd, "NO", "%s", append_refused_text(s, op->stream, &cmd->args[0]));
		return CMD_STEP_DONE;
	}
	if (!append_parse(cmd, op, &empty))
		return CMD_STEP_DONE;
	if (!cmd_mailbox_ref_arg(cmd, &cmd->args[0], false, &ref))
		return CMD_STEP_DONE;
	if (ref.name == NULL || ref.owner == NULL) {
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return CMD_STEP_DONE;
	}
	mailbox = ref.name;
	if (ref.other) {
		/* op may outlive the command (its reply owed): a reference of
		 * its own. */
		op->mu = mail_user_acquire(s->server->users, ref.owner_name);
		op->other = true;
	}
	op->delivery.mailbox = arena_strdup(op->arena, mailbox);
	if (empty) {
		imap_cmd_reply(cmd, "NO", "[CANNOT] Empty messages are not stored");
		return CMD_STEP_DONE;
	}
	op->held = append_stream_held_bytes(op->stream);
	/* A message streamed to a blob may still have chunks queued (up to
	 * APPEND_CHUNKS_IN_FLIGHT): such an APPEND waits, so that only one
	 * stream's chunks are ever in flight. */
	/* Into another user's mailbox: alone, in a store job that sets whose
	 * \Seen it is (never in a group commit with the owner's own). */
	if (s->selected == NULL && !op->delivery.own_job_only && !op->other &&
	    s->append_ahead_bytes + op->held <= APPEND_AHEAD_BYTES) {
		/* The reply is owed: the session reads on while the delivery
		 * waits for its group commit. */
		op->reply = imap_cmd_reply_later(cmd);
		if (!store_deliver_queue_push(mail_user_deliveries(op->mu), &op->delivery,
					      append_owed_submit, op)) {
			imap_reply_send(s, op->reply, "NO", "[UNAVAILABLE] Server busy, try again");
			return CMD_STEP_DONE;   /* the cleanup frees op */
		}
		s->append_ahead_bytes += op->held;
		cmd->state = NULL;   /* op is the job's now */
		return CMD_STEP_DONE;
	}
	op->held = 0;
	if (!imap_store_job_submit_ref(cmd, &ref, ACL_INSERT, append_run, append_done, op, true,
				       NULL))
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
