/* SEARCH, SORT and THREAD, plain and UID (RFC 9051 §6.4.4, RFC 4731
 * ESEARCH, RFC 5182 SEARCHRES, RFC 5256 SORT/THREAD, RFC 5267 ESORT,
 * RFC 5957 SORT=DISPLAY). The program is parsed on the loop
 * (search-query.c); one store job then resolves each text key once through
 * the store's substring index, reads per-message data only when the
 * program needs it (and only within the range it can match), evaluates,
 * and for SORT/THREAD reads the keys kept with each message at delivery.
 * No EXPUNGE is sent during a non-UID SEARCH (RFC 9051 §7.5.1). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/sorted.h"
#include "core/xalloc.h"
#include "imap/command.h"
#include "imap/mailbox-view.h"
#include "imap/search-query.h"
#include "imap/session.h"
#include "imap/sort-query.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "imap/thread.h"
#include "mail/casefold.h"
#include "mail/mail-summary.h"
#include "net/conn.h"

/* One response line; a SEARCH of 100,000 messages as a plain list is
 * ~700 KB, so this is a bound, not an estimate. */
#define SEARCH_RESPONSE_MAX (64 * 1024 * 1024)

enum search_cmd_kind { CMD_KIND_SEARCH, CMD_KIND_SORT, CMD_KIND_THREAD };

struct text_result {
	uint32_t *uids;
	uint32_t count;
};

struct search_state {
	enum search_cmd_kind kind;
	bool uid_mode;
	char *name;
	uint32_t uidvalidity;
	struct search_query *q;
	struct sort_query *sort;
	struct thread_query *thread;
	struct search_context ctx;
	/* The view's numbering, copied as runs (a few bytes for a dense
	 * mailbox): position i is message i + 1. */
	struct uid_runs msgs;
	/* Worker: the UIDs of the positions the program can match, from
	 * window_first on (what this command reads, freed with it). */
	uint32_t *window;
	uint32_t window_first, window_count;
	bool rev1;
	struct seqset recent;            /* the view's \Recent UIDs */

	struct text_result *text;        /* per q->text_keys */
	/* Results, in answer order. */
	uint32_t *numbers, *result_uids;
	uint64_t *modseqs;
	uint32_t result_count, result_alloc;
	struct sort_message *sort_msgs;
	struct thread_message *thread_msgs;
	struct arena *work;              /* worker-side strings (SORT/THREAD keys) */
	struct buf out;
};

static void search_cleanup(struct imap_cmd *cmd)
{
	struct search_state *st = cmd->state;

	if (st == NULL)
		return;
	if (st->text != NULL) {
		for (unsigned int i = 0; i < st->q->text_key_count; i++)
			free(st->text[i].uids);
		free(st->text);
	}
	free(st->window);
	free(st->numbers);
	free(st->result_uids);
	free(st->modseqs);
	free(st->sort_msgs);
	free(st->thread_msgs);
	arena_destroy(&st->work);
	buf_free(&st->out);
	cmd->state = NULL;
}

static bool text_match(void *ctx, unsigned int i, const struct search_message *m)
{
	const struct search_state *st = ctx;

	return sorted_u32_contains(st->text[i].uids, st->text[i].count, m->uid);
}

static enum store_text_field text_field(enum search_text_kind kind)
{
	switch (kind) {
	case SEARCH_TEXT_BCC: return STORE_TEXT_BCC;
	case SEARCH_TEXT_BODY: return STORE_TEXT_BODY;
	case SEARCH_TEXT_CC: return STORE_TEXT_CC;
	case SEARCH_TEXT_FROM: return STORE_TEXT_FROM;
	case SEARCH_TEXT_HEADER: return STORE_TEXT_HEADER;
	case SEARCH_TEXT_SUBJECT: return STORE_TEXT_SUBJECT;
	case SEARCH_TEXT_TEXT: return STORE_TEXT_TEXT;
	case SEARCH_TEXT_TO: return STORE_TEXT_TO;
	}
	return STORE_TEXT_TEXT;
}

/* Worker: each text key once, folded as the stored text was. */
static enum store_result resolve_text(struct search_state *st, struct store *store)
{
	enum store_result r = STORE_OK;
	struct buf key, name;

	st->text = xcalloc(st->q->text_key_count + 1, sizeof(*st->text));
	buf_init(&key, 4 * SEARCH_STRING_MAX);
	buf_init(&name, 4 * SEARCH_HEADER_NAME_MAX);
	for (unsigned int i = 0; r == STORE_OK && i < st->q->text_key_count; i++) {
		const struct search_text_key *k = &st->q->text_keys[i];

		buf_clear(&key);
		buf_clear(&name);
		casefold_utf8(k->value, k->value_len, &key);
		if (k->field != NULL)
			casefold_utf8(k->field, strlen(k->field), &name);
		r = store_mailbox_search_text(store, st->name, st->uidvalidity,
					      text_field(k->kind),
					      k->field != NULL ? name.data : NULL,
					      key.data != NULL ? key.data : "",
					      &st->text[i].uids, &st->text[i].count);
	}
	buf_free(&key);
	buf_free(&name);
	return r;
}

static void result_add(struct search_state *st, uint32_t seq, uint32_t uid, uint64_t modseq)
{
	if (st->result_count == st->result_alloc) {
		st->result_alloc = st->result_alloc == 0 ? 256 : st->result_alloc * 2;
		st->numbers = xrealloc(st->numbers, st->result_alloc * sizeof(*st->numbers));
		st->result_uids = xrealloc(st->result_uids,
					   st->result_alloc * sizeof(*st->result_uids));
		st->modseqs = xrealloc(st->modseqs, st->result_alloc * sizeof(*st->modseqs));
		if (st->kind == CMD_KIND_SORT)
			st->sort_msgs = xrealloc(st->sort_msgs,
						 st->result_alloc * sizeof(*st->sort_msgs));
		else if (st->kind == CMD_KIND_THREAD)
			st->thread_msgs = xrealloc(st->thread_msgs,
						   st->result_alloc * sizeof(*st->thread_msgs));
	}
	st->numbers[st->result_count] = st->uid_mode ? uid : seq;
	st->result_uids[st->result_count] = uid;
	st->modseqs[st->result_count++] = modseq;
}

/* ---- keys for SORT / THREAD, from the summary ---- */

static void keep_keys(struct search_state *st, const struct store_message_info *info)
{
	struct mail_summary sum;
	bool have = info->summary != NULL &&
		mail_summary_decode(info->summary, info->summary_size, &sum);
	uint32_t i = st->result_count - 1;
	time_t sent = have && sum.has_sent_date ? (time_t)sum.sent_date : info->internaldate;

	if (st->kind == CMD_KIND_SORT) {
		struct sort_message *m = &st->sort_msgs[i];

		m->number = st->numbers[i];
		m->uid = info->uid;
		m->modseq = info->modseq;
		m->arrival = info->internaldate;
		m->sent = sent;
		m->size = info->size;
		m->subject = have ? arena_strdup(st->work, sum.base_subject) : "";
		m->from = have ? arena_strdup(st->work, sum.sort_from) : "";
		m->to = have ? arena_strdup(st->work, sum.sort_to) : "";
		m->cc = have ? arena_strdup(st->work, sum.sort_cc) : "";
		m->display_from = have ? arena_strdup(st->work, sum.display_from) : "";
		m->display_to = have ? arena_strdup(st->work, sum.display_to) : "";
	} else {
		struct thread_message *m = &st->thread_msgs[i];

		m->number = st->numbers[i];
		m->sent_date = sent;
		m->base_subject = have ? arena_strdup(st->work, sum.base_subject) : NULL;
		m->subject_is_reply = have && sum.subject_is_reply;
		m->message_id = have && *sum.message_id != '\0' ?
			arena_strdup(st->work, sum.message_id) : NULL;
		m->references = have && *sum.references != '\0' ?
			arena_strdup(st->work, sum.references) : NULL;
		m->in_reply_to = have && *sum.in_reply_to != '\0' ?
			arena_strdup(st->work, sum.in_reply_to) : NULL;
	}
}

/* ---- evaluation ---- */

struct eval {
	struct search_state *st;
	uint32_t pos;                   /* index into st->window */
};

static void message_from_info(const struct search_state *st, const struct store_message_info *info,
			      uint32_t seq, struct search_message *m)
{
	struct mail_summary sum;

	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->uid = info->uid;
	m->flags = info->flags;
	m->keywords = info->keywords;
	m->recent = st->rev1 && seqset_contains(&st->recent, info->uid);
	m->modseq = info->modseq;
	m->internaldate = info->internaldate;
	m->internaldate_zone = info->internaldate_zone_min;
	m->has_savedate = true;
	m->savedate = info->savedate;
	m->savedate_zone = 0;
	m->size = info->size;
	m->sent_day = SEARCH_DAY_NONE;
	if ((st->q->needs & SEARCH_NEED_SENTDATE) != 0 && info->summary != NULL &&
	    mail_summary_decode(info->summary, info->summary_size, &sum) && sum.has_sent_date)
		m->sent_day = search_day((time_t)sum.sent_date, sum.sent_zone_min);
	m->emailid = info->emailid;
	m->threadid = info->threadid;
}

static bool eval_one(const struct store_message_info *info, void *ctx)
{
	struct eval *e = ctx;
	struct search_state *st = e->st;
	struct search_message m;

	while (e->pos < st->window_count && st->window[e->pos] < info->uid)
		e->pos++;
	if (e->pos == st->window_count || st->window[e->pos] != info->uid)
		return true;
	uint32_t seq = st->window_first + e->pos + 1;
	message_from_info(st, info, seq, &m);
	if (search_query_match(st->q, &m, &st->ctx)) {
		result_add(st, seq, info->uid, info->modseq);
		if (st->kind != CMD_KIND_SEARCH)
			keep_keys(st, info);
	}
	return true;
}

static void search_run(struct store_job *job, struct store *store)
{
	struct search_state *st = job->ctx;
	struct search_bounds b;
	uint32_t lo, hi;
	enum store_result r = STORE_OK;

	if (st->q->text_key_count > 0)
		r = resolve_text(st, store);
	if (r != STORE_OK) {
		job->result = r;
		return;
	}
	st->ctx.text_match = text_match;
	st->ctx.text_ctx = st;
	search_query_prepare(st->q, &st->ctx);
	search_query_bounds(st->q, &st->ctx, &b);
	if (b.empty || st->msgs.count == 0)
		return;
	/* The view's positions the program can match. */
	uint32_t count = st->msgs.count, uid_lo_pos = uid_runs_rank(&st->msgs, b.uid_lo);
	lo = b.seq_lo > 0 ? b.seq_lo - 1 : 0;
	hi = b.seq_hi < count ? b.seq_hi : count;
	lo = uid_lo_pos > lo ? uid_lo_pos : lo;
	uint32_t uid_hi_pos = uid_runs_rank(&st->msgs, b.uid_hi);
	if (uid_runs_seq(&st->msgs, b.uid_hi) != 0)
		uid_hi_pos++;
	hi = uid_hi_pos < hi ? uid_hi_pos : hi;
	if (lo >= hi)
		return;
	st->window_first = lo;
	st->window_count = hi - lo;
	st->window = xmalloc(st->window_count * sizeof(uint32_t));
	uid_runs_get(&st->msgs, lo, st->window_count, st->window);
	unsigned int needs = st->q->needs & ~(unsigned int)SEARCH_NEED_TEXT;
	if (needs == 0 && st->kind == CMD_KIND_SEARCH && !st->q->uses_modseq) {
		/* Text keys and numbers only: no message needs reading. */
		for (uint32_t i = 0; i < st->window_count; i++) {
			struct search_message m = { .seq = lo + i + 1, .uid = st->window[i],
						    .sent_day = SEARCH_DAY_NONE };

			if (search_query_match(st->q, &m, &st->ctx))
				result_add(st, lo + i + 1, st->window[i], 0);
		}
		return;
	}
	struct eval e = { st, 0 };
	bool summary = (needs & SEARCH_NEED_SENTDATE) != 0 || st->kind != CMD_KIND_SEARCH;
	job->result = store_messages_read(store, st->name, st->uidvalidity, st->window,
					  st->window_count, summary ? STORE_READ_SUMMARY : 0,
					  eval_one, &e);
	if (job->result != STORE_OK)
		return;
	if (st->kind == CMD_KIND_SORT) {
		sort_messages(st->sort_msgs, st->result_count, st->sort);
		for (uint32_t i = 0; i < st->result_count; i++) {
			st->numbers[i] = st->sort_msgs[i].number;
			st->result_uids[i] = st->sort_msgs[i].uid;
			st->modseqs[i] = st->sort_msgs[i].modseq;
		}
	} else if (st->kind == CMD_KIND_THREAD) {
		if (!thread_format(st->thread->algorithm, st->thread_msgs, st->result_count,
				   &st->out))
			job->result = STORE_LIMIT;
	}
}

static bool search_done(struct store_job *job)
{
	struct search_state *st = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;

	if (job->result != STORE_OK) {
		imap_cmd_store_error(cmd, job->result);
		return true;
	}
	if (st->kind == CMD_KIND_THREAD) {
		/* Formatted on the worker (bounded by SEARCH_RESPONSE_MAX). */
		resp_str(&s->out, st->out.len > 0 ? "* THREAD " : "* THREAD");
		resp_append(&s->out, st->out.data, st->out.len);
		resp_crlf(&s->out);
	} else {
		struct search_format f = {
			.tag = cmd->tag,
			.uid = st->uid_mode,
			.sort = st->kind == CMD_KIND_SORT,
			.imap4rev2 = s->rev2_enabled && st->kind == CMD_KIND_SEARCH,
		};

		/* One line as long as the result, written in pieces. */
		if (search_query_format(st->q, &f, st->numbers, st->modseqs, st->result_count,
					&s->out))
			resp_crlf(&s->out);
		if ((st->q->return_opts & SEARCH_RETURN_SAVE) != 0 && s->selected != NULL) {
			uint32_t *saved = xmalloc((st->result_count + 1) * sizeof(uint32_t));
			uint32_t n = search_query_save(st->q, st->result_uids, st->result_count,
						       saved);

			mailbox_view_save_result(s->selected, saved, n);
			free(saved);
		}
	}
	imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	return true;
}

static enum cmd_step search_start(struct imap_cmd *cmd, enum search_cmd_kind kind)
{
	struct imap_session *s = cmd->session;
	struct mailbox_view *v = s->selected;
	bool uid_mode = strncmp(cmd->name, "UID ", 4) == 0;
	struct search_state *st = arena_alloc(cmd->arena, sizeof(*st));
	enum search_parse_result pr;
	const char *error = "Invalid arguments";

	st->kind = kind;
	st->uid_mode = uid_mode;
	switch (kind) {
	case CMD_KIND_SEARCH:
		pr = search_query_parse(cmd->args, cmd->arg_count, cmd->arena, &st->q, &error);
		break;
	case CMD_KIND_SORT:
		pr = sort_query_parse(cmd->args, cmd->arg_count, cmd->arena, &st->sort, &error);
		if (pr == SEARCH_PARSE_OK)
			st->q = st->sort->search;
		break;
	case CMD_KIND_THREAD:
	default:
		pr = thread_query_parse(cmd->args, cmd->arg_count, cmd->arena, &st->thread,
					&error);
		if (pr == SEARCH_PARSE_OK)
			st->q = st->thread->search;
		break;
	}
	if (pr == SEARCH_PARSE_BADCHARSET) {
		imap_cmd_reply(cmd, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
		return CMD_STEP_DONE;
	}
	if (pr != SEARCH_PARSE_OK) {
		imap_cmd_reply(cmd, "BAD", "%s", error);
		return CMD_STEP_DONE;
	}
	if (st->q->uses_modseq)
		imap_session_enable_condstore(s);   /* RFC 7162 §3.1 */
	search_query_bind_keywords(st->q, (const char *const *)v->keywords, v->keyword_count);
	st->name = arena_strdup(cmd->arena, v->name);
	st->uidvalidity = v->uidvalidity;
	uid_runs_copy(&v->msgs, cmd->arena, &st->msgs);
	st->rev1 = v->rev1;
	st->recent.count = v->recent.count;
	st->recent.ranges = arena_alloc(cmd->arena, (v->recent.count + 1) * sizeof(struct seq_range));
	if (v->recent.count > 0)
		memcpy(st->recent.ranges, v->recent.ranges, v->recent.count * sizeof(struct seq_range));
	st->ctx.max_seq = mailbox_view_count(v);
	st->ctx.max_uid = mailbox_view_last_uid(v);
	st->ctx.saved_uids = NULL;
	st->ctx.saved_count = v->saved.count;
	if (v->saved.count > 0) {
		/* "$" as the array the search program looks UIDs up in, for
		 * this command only. */
		uint32_t *saved = arena_alloc(cmd->arena, v->saved.count * sizeof(uint32_t));

		uid_runs_get(&v->saved, 0, v->saved.count, saved);
		st->ctx.saved_uids = saved;
	}
	st->ctx.now = time(NULL);
	st->ctx.savedate_supported = true;
	st->work = arena_create(16 * 1024);
	buf_init(&st->out, SEARCH_RESPONSE_MAX);
	cmd->state = st;
	cmd->cleanup = search_cleanup;

	struct mailbox_view_apply apply = {
		.allow_expunge = uid_mode,     /* RFC 9051 §7.5.1 */
		.include_uid = uid_mode,
	};
	if (imap_store_job_submit_selected(cmd, ACL_READ, search_run, search_done, st, true,
					   &apply) == NULL)
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}

enum cmd_step cmd_search(struct imap_cmd *cmd)
{
	return search_start(cmd, CMD_KIND_SEARCH);
}

enum cmd_step cmd_sort(struct imap_cmd *cmd)
{
	return search_start(cmd, CMD_KIND_SORT);
}

enum cmd_step cmd_thread(struct imap_cmd *cmd)
{
	return search_start(cmd, CMD_KIND_THREAD);
}
