/* COPY and MOVE between two users' stores (copy-across.h): the stores
 * cannot share bodies, and no job may hold both (each runs under its
 * owner's key), so the messages travel in batches: a job on the source's
 * key reads a batch (bytes, flags as the session user sees them, keywords,
 * INTERNALDATE), a job on the target's key appends it in one transaction,
 * and so on. A batch is at most COPY_ACROSS_BATCH_BYTES of bodies (or one
 * message, whatever its size) and COPY_ACROSS_BATCH_MAX messages. If a
 * batch fails, the copies already made are expunged again (RFC 9051
 * §6.4.7: a failed COPY leaves the target as it was); MOVE expunges the
 * sources only once every copy is made, so a failure loses nothing (a
 * crash in between leaves both, never neither). */
#include "imap/copy-across.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "imap/command.h"
#include "imap/mailbox-ref.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "store/deliver.h"
#include "store/store.h"

#define COPY_ACROSS_BATCH_BYTES (8u * 1024 * 1024)
#define COPY_ACROSS_BATCH_MAX 256u

struct across_msg {
	uint32_t uid;
	unsigned char *body;
	size_t len;
	uint32_t flags;
	char **keywords;
	unsigned int keyword_count;
	time_t internaldate;
	int zone;
};

struct across_state {
	bool move, uid_mode;
	char *from;                   /* the selected mailbox, in its store */
	uint32_t uidvalidity;
	uint32_t *uids;
	uint32_t count, next;
	struct mailbox_ref to;
	/* the batch in flight */
	struct across_msg *batch;
	uint32_t batch_count;
	/* what was copied: source and target UIDs, for COPYUID */
	uint32_t *src, *dst;
	uint32_t done_count;
	uint32_t dest_uidvalidity;
	enum store_result failed;     /* the first failure */
	bool undoing;                 /* expunging the copies after a failure */
	bool expunging;               /* MOVE's last step */
};

static void across_batch_free(struct across_state *st)
{
	for (uint32_t i = 0; i < st->batch_count; i++) {
		free(st->batch[i].body);
		for (unsigned int k = 0; k < st->batch[i].keyword_count; k++)
			free(st->batch[i].keywords[k]);
		free(st->batch[i].keywords);
	}
	free(st->batch);
	st->batch = NULL;
	st->batch_count = 0;
}

static void across_cleanup(struct imap_cmd *cmd)
{
	struct across_state *st = cmd->state;

	if (st == NULL)
		return;
	across_batch_free(st);
	free(st->src);
	free(st->dst);
	st->src = st->dst = NULL;
	cmd->state = NULL;
}

static bool across_info(const struct store_message_info *info, void *ctx)
{
	struct across_state *st = ctx;

	for (uint32_t i = 0; i < st->batch_count; i++) {
		if (st->batch[i].uid == info->uid) {
			st->batch[i].internaldate = info->internaldate;
			st->batch[i].zone = info->internaldate_zone_min;
		}
	}
	return true;
}

/* Worker, source's key: the next batch. Messages gone meanwhile are left
 * out (RFC 9051 §6.4.7 copies what exists). */
static void across_read_run(struct store_job *job, struct store *store)
{
	struct across_state *st = job->ctx;
	struct store_changes cur;
	uint32_t n = st->count - st->next;
	size_t bytes = 0;

	if (n > COPY_ACROSS_BATCH_MAX)
		n = COPY_ACROSS_BATCH_MAX;
	job->result = store_messages_get(store, st->from, st->uidvalidity, st->uids + st->next,
					 n, &cur);
	if (job->result != STORE_OK)
		return;
	st->batch = xcalloc(cur.changed_count > 0 ? cur.changed_count : 1, sizeof(*st->batch));
	uint32_t taken = 0, i;

	for (i = 0; i < cur.changed_count && job->result == STORE_OK; i++) {
		const struct store_message *m = &cur.changed[i];
		struct across_msg *a = &st->batch[st->batch_count];
		struct store_body *body = NULL;

		if (st->batch_count > 0 && bytes >= COPY_ACROSS_BATCH_BYTES)
			break;
		job->result = store_body_open(store, st->from, st->uidvalidity, m->uid, &body);
		if (job->result == STORE_NOT_FOUND) {
			job->result = STORE_OK;   /* expunged meanwhile */
			taken = m->uid;
			continue;
		}
		if (job->result != STORE_OK)
			break;
		a->uid = m->uid;
		a->len = (size_t)store_body_size(body);
		a->body = xmalloc(a->len > 0 ? a->len : 1);
		job->result = store_body_read(body, 0, a->body, a->len);
		store_body_close(&body);
		a->flags = m->flags;
		for (unsigned int k = 0; k < cur.keyword_count && k < 64; k++) {
			if ((m->keywords & (UINT64_C(1) << k)) == 0)
				continue;
			a->keywords = xrealloc(a->keywords,
					       (a->keyword_count + 1) * sizeof(*a->keywords));
			a->keywords[a->keyword_count++] = xstrdup(cur.keywords[k]);
		}
		st->batch_count++;
		bytes += a->len;
		taken = m->uid;
	}
	bool whole_window = i == cur.changed_count;

	store_changes_free(&cur);
	/* INTERNALDATE, for the whole batch at once (UIDs ascending). */
	if (job->result == STORE_OK && st->batch_count > 0) {
		uint32_t *batch_uids = xmalloc(st->batch_count * sizeof(*batch_uids));

		for (uint32_t k = 0; k < st->batch_count; k++)
			batch_uids[k] = st->batch[k].uid;
		job->result = store_messages_read(store, st->from, st->uidvalidity, batch_uids,
						  st->batch_count, 0, across_info, st);
		free(batch_uids);
	}
	/* Past the window when all of it was looked at, else past the last
	 * UID taken (the rest waits for the next batch). */
	if (whole_window)
		st->next += n;
	else
		while (st->next < st->count && st->uids[st->next] <= taken)
			st->next++;
}

/* Worker, target's key: the batch in one transaction. */
static void across_write_run(struct store_job *job, struct store *store)
{
	struct across_state *st = job->ctx;
	struct store_append *msgs = xcalloc(st->batch_count, sizeof(*msgs));
	uint32_t *uids = xcalloc(st->batch_count, sizeof(*uids));
	unsigned int made = 0;

	job->result = STORE_OK;
	for (uint32_t i = 0; i < st->batch_count && job->result == STORE_OK; i++) {
		const struct across_msg *a = &st->batch[i];

		job->result = store_deliver_body(store, a->body, a->len, true, &msgs[i].blob);
		if (job->result != STORE_OK)
			break;
		made++;
		msgs[i].flags = a->flags;
		msgs[i].keywords = (const char *const *)a->keywords;
		msgs[i].keyword_count = a->keyword_count;
		msgs[i].internaldate = a->internaldate;
		msgs[i].internaldate_zone_min = a->zone;
	}
	if (job->result == STORE_OK)
		job->result = store_messages_append(store, st->to.name, msgs, st->batch_count,
						    &st->dest_uidvalidity, uids);
	for (unsigned int i = 0; i < made; i++)
		store_blob_free(&msgs[i].blob);
	free(msgs);
	if (job->result == STORE_OK) {
		st->src = xrealloc(st->src, (st->done_count + st->batch_count) * sizeof(uint32_t));
		st->dst = xrealloc(st->dst, (st->done_count + st->batch_count) * sizeof(uint32_t));
		for (uint32_t i = 0; i < st->batch_count; i++) {
			st->src[st->done_count + i] = st->batch[i].uid;
			st->dst[st->done_count + i] = uids[i];
		}
		st->done_count += st->batch_count;
	}
	free(uids);
}

/* Worker, target's key, after a failure: the copies made go again. */
static void across_undo_run(struct store_job *job, struct store *store)
{
	struct across_state *st = job->ctx;
	const struct store_flag_change del = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED };
	uint32_t *modified = NULL, modified_count = 0, *gone = NULL, gone_count = 0;

	if (store_messages_set_flags(store, st->to.name, st->dest_uidvalidity, st->dst,
				     st->done_count, &del, &modified, &modified_count) == STORE_OK)
		(void)store_messages_expunge(store, st->to.name, st->dest_uidvalidity, st->dst,
					     st->done_count, &gone, &gone_count);
	free(modified);
	free(gone);
	job->result = st->failed;
}

/* Worker, source's key: MOVE's expunge of what was copied. */
static void across_expunge_run(struct store_job *job, struct store *store)
{
	struct across_state *st = job->ctx;
	const struct store_flag_change del = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED };
	uint32_t *modified = NULL, modified_count = 0, *gone = NULL, gone_count = 0;

	job->result = store_messages_set_flags(store, st->from, st->uidvalidity, st->src,
					       st->done_count, &del, &modified, &modified_count);
	if (job->result == STORE_OK)
		job->result = store_messages_expunge(store, st->from, st->uidvalidity, st->src,
						     st->done_count, &gone, &gone_count);
	free(modified);
	free(gone);
}

static bool across_step_done(struct store_job *job);

/* "COPYUID ..." (RFC 4315) into code; false when too long to send. */
static bool across_copyuid(const struct across_state *st, struct buf *code)
{
	return seqset_format_copyuid(st->dest_uidvalidity, st->src, st->dst, st->done_count,
				     30 * 1024, code);
}

/* Loop, MOVE: the untagged COPYUID before the EXPUNGEs (RFC 6851 §4.3). */
static void across_moved(struct store_job *job)
{
	struct across_state *st = job->ctx;
	struct buf code;

	if (job->result != STORE_OK)
		return;
	buf_init(&code, 61 * 1024);
	if (across_copyuid(st, &code))
		imap_session_send(job->cmd->session, "* OK [%s] Moved", code.data);
	buf_free(&code);
}

/* Loop: the tagged reply, with COPYUID for COPY when anything was copied. */
static bool across_finish(struct imap_cmd *cmd, struct across_state *st, enum store_result r)
{
	struct buf code;

	if (r != STORE_OK) {
		imap_cmd_store_error(cmd, r);
		return true;
	}
	buf_init(&code, 61 * 1024);
	if (!st->move && st->done_count > 0 && across_copyuid(st, &code))
		imap_session_send(cmd->session, "%s OK [%s] %s completed", cmd->tag, code.data,
				  cmd->name);
	else
		imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	buf_free(&code);
	return true;
}

/* Loop: the next step after a job: read, write, again; then MOVE's
 * expunge; on failure the undo. False while a step is queued. */
static bool across_next(struct imap_cmd *cmd, struct across_state *st, bool wrote)
{
	struct mailbox_view_apply apply = { .allow_expunge = true, .include_uid = st->uid_mode };

	if (st->failed != STORE_OK) {
		if (st->done_count == 0 || st->undoing)
			return across_finish(cmd, st, st->failed);
		st->undoing = true;
		if (imap_store_job_submit_ref(cmd, &st->to, 0, across_undo_run, across_step_done, st,
					      false, NULL) == NULL)
			return true;
		return false;
	}
	if (st->batch_count > 0 && !wrote) {
		if (imap_store_job_submit_ref(cmd, &st->to, ACL_INSERT, across_write_run,
					      across_step_done, st, false, NULL) == NULL)
			return true;
		return false;
	}
	across_batch_free(st);
	if (st->next < st->count) {
		if (imap_store_job_submit_selected(cmd, st->move ? ACL_READ | ACL_EXPUNGE : ACL_READ,
						   across_read_run, across_step_done, st, false,
						   NULL) == NULL)
			return true;
		return false;
	}
	if (st->move && st->done_count > 0 && !st->expunging) {
		st->expunging = true;
		struct store_job *job = imap_store_job_submit_selected(cmd, ACL_EXPUNGE,
								       across_expunge_run,
								       across_step_done, st, true,
								       &apply);

		if (job == NULL)
			return true;
		job->before_sync = across_moved;
		return false;
	}
	return across_finish(cmd, st, STORE_OK);
}

static bool across_step_done(struct store_job *job)
{
	struct across_state *st = job->ctx;
	bool wrote = job->run == across_write_run;

	if (job->run == across_undo_run)
		return across_finish(job->cmd, st, st->failed);
	if (job->run == across_expunge_run)
		return across_finish(job->cmd, st, job->result);
	if (job->result != STORE_OK && st->failed == STORE_OK)
		st->failed = job->result;
	return across_next(job->cmd, st, wrote);
}

enum cmd_step copy_across(struct imap_cmd *cmd, bool move, bool uid_mode, uint32_t *uids,
			  uint32_t count, const struct mailbox_ref *to)
{
	struct imap_session *s = cmd->session;
	struct across_state *st = arena_alloc(cmd->arena, sizeof(*st));

	st->move = move;
	st->uid_mode = uid_mode;
	st->from = arena_strdup(cmd->arena, s->selected->name);
	st->uidvalidity = s->selected->uidvalidity;
	st->uids = uids;
	st->count = count;
	st->to = *to;
	cmd->state = st;
	cmd->cleanup = across_cleanup;
	if (count == 0) {
		imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
		return CMD_STEP_DONE;
	}
	if (imap_store_job_submit_selected(cmd, move ? ACL_READ | ACL_EXPUNGE : ACL_READ,
					   across_read_run, across_step_done, st, false,
					   NULL) == NULL)
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
