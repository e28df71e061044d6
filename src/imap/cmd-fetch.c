/* FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9). The work is a series of
 * store jobs, each producing at most FETCH_STEP_BYTES of response on a
 * worker (1 MiB while the client has read everything, else 256 KiB): message
 * metadata is read in batches, what was computed at
 * delivery (ENVELOPE, BODYSTRUCTURE, the part table) comes with it, and
 * section bytes are read from the store as they are sent. The loop writes
 * each step's output and asks for the next one at once while the client
 * keeps up, or when the connection's output drains: a FETCH of a whole
 * mailbox or of a 20 MB body is never held in memory. A last job syncs the
 * mailbox (never EXPUNGE during FETCH: RFC 9051 §7.5.1) before the tagged
 * reply. Non-PEEK body sections set \Seen and report the new FLAGS. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "imap/command.h"
#include "imap/datetime.h"
#include "imap/fetch-items.h"
#include "imap/fetch-section.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/store-error.h"
#include "imap/store-job.h"
#include "mail/imap-string.h"
#include "mail/mail-summary.h"
#include "net/conn.h"

/* Output one step produces before handing it to the loop. A session that
 * stops reading holds at most one step beyond CONN_OUTPUT_HIGH, so this is
 * also most of what such a session costs. */
#define FETCH_STEP_BYTES (256 * 1024)
/* The step while the server's total output is over half its bound
 * (CONN_OUTPUT_TOTAL_MAX): then each session waiting on a slow client adds
 * this much, not a whole step. */
#define FETCH_STEP_BYTES_LOW (16 * 1024)
/* The step when the connection's output is empty (the client has read all
 * so far): a big body then takes one loop<->worker round trip per MiB, not
 * one per FETCH_STEP_BYTES, and a session that stops reading holds at most
 * this, or one FETCH_STEP_BYTES beyond CONN_OUTPUT_HIGH, whichever is more.
 * 4 KiB under 1 MiB: a step's buffer (handed to the connection whole, see
 * fetch_step_done()) then stays in a 1 MiB allocation, its line text
 * included, instead of doubling to 2 MiB. */
#define FETCH_STEP_BYTES_EMPTY (1024 * 1024 - 4096)
/* Messages whose metadata one read brings in. */
#define FETCH_BATCH_MAX 256

struct fetch_msg {
	uint32_t seq;
	bool exists;
	bool unchanged;               /* modseq <= CHANGEDSINCE: no response */
	bool seen_set;                /* this FETCH set \Seen: report FLAGS */
	struct store_message_info info;   /* strings and summary owned below */
	char *emailid, *threadid;
	void *summary_data;           /* malloc()ed copy */
	size_t summary_size;
};

struct fetch_state {
	char *name;
	uint32_t uidvalidity;
	struct store_mailbox *box;    /* opened by the first batch, for the command */
	bool uid_mode;
	bool readonly;
	bool condstore;               /* RFC 7162 enabled: MODSEQ beside a \Seen we set */
	bool changedsince_set;        /* RFC 7162 §3.1.4.1 CHANGEDSINCE */
	uint64_t changedsince;
	bool vanished;                /* RFC 7162 §3.2.6 UID FETCH ... VANISHED */
	bool vanished_done;
	struct seqset vanished_set;   /* the UID set as asked (expunged ones too) */
	struct fetch_request req;
	struct mailbox_view flags_view;   /* keywords and \Recent, copied */
	const uint32_t *uids, *seqs;
	uint32_t count;
	uint32_t next;                /* first message not yet batched */

	struct fetch_msg batch[FETCH_BATCH_MAX];
	uint32_t batch_count, batch_pos;
	unsigned int item_pos;        /* next item of the current message */
	bool line_open;               /* "* n FETCH (" written */
	bool line_has_item;           /* an item follows: separate with SP */
	struct arena *msg_arena;      /* the current message's tree */
	struct message_part *tree;
	uint8_t *ctes;
	struct store_body *body;      /* the current message's bytes */
	struct fetch_source lit;      /* a literal being streamed */
	bool lit_active;
	uint64_t lit_pos;
	size_t step_bytes;            /* this step's FETCH_STEP_BYTES(_LOW) */

	uint32_t *seen_uids;          /* \Seen set by this FETCH, ascending */
	uint32_t seen_count, seen_alloc;
	bool missing;                 /* some messages were expunged meanwhile */
	bool finished;
	bool failed_unknown_cte;
	bool failed_parse;
	struct buf out;               /* this step's output */
};

static void fetch_msg_clear(struct fetch_msg *m)
{
	free(m->summary_data);
	free(m->emailid);
	free(m->threadid);
	memset(m, 0, sizeof(*m));
}

static void fetch_batch_clear(struct fetch_state *st)
{
	for (uint32_t i = 0; i < st->batch_count; i++)
		fetch_msg_clear(&st->batch[i]);
	st->batch_count = st->batch_pos = 0;
}

static void fetch_cleanup(struct imap_cmd *cmd)
{
	struct fetch_state *st = cmd->state;

	if (st == NULL)
		return;
	fetch_batch_clear(st);
	store_body_close(&st->body);
	store_mailbox_close(&st->box);
	if (st->lit_active)
		fetch_source_free(&st->lit);
	st->lit_active = false;
	arena_destroy(&st->msg_arena);
	free(st->seen_uids);
	st->seen_uids = NULL;
	buf_free(&st->out);
	cmd->state = NULL;
}

/* ---- worker: reading a batch ---- */

struct batch_read {
	struct fetch_state *st;
	uint32_t first;               /* index of the batch's first uid */
	uint32_t pos;
};

static bool batch_read_one(const struct store_message_info *info, void *ctx)
{
	struct batch_read *br = ctx;
	struct fetch_state *st = br->st;

	while (br->pos < st->batch_count && st->uids[br->first + br->pos] < info->uid)
		br->pos++;
	if (br->pos == st->batch_count || st->uids[br->first + br->pos] != info->uid)
		return true;
	struct fetch_msg *m = &st->batch[br->pos++];
	m->exists = true;
	m->unchanged = st->changedsince_set && info->modseq <= st->changedsince;
	m->info = *info;
	/* NULL with STORE_READ_FLAGS_ONLY (and then never written). */
	m->emailid = info->emailid != NULL ? xstrdup(info->emailid) : NULL;
	m->threadid = info->threadid != NULL ? xstrdup(info->threadid) : NULL;
	if (info->summary != NULL && info->summary_size > 0) {
		m->summary_data = xmalloc(info->summary_size);
		memcpy(m->summary_data, info->summary, info->summary_size);
		m->summary_size = info->summary_size;
	}
	m->info.summary = NULL;
	m->info.emailid = m->info.threadid = NULL;
	return true;
}

static void seen_add(struct fetch_state *st, uint32_t uid)
{
	if (st->seen_count == st->seen_alloc) {
		st->seen_alloc = st->seen_alloc == 0 ? 64 : st->seen_alloc * 2;
		st->seen_uids = xrealloc(st->seen_uids, st->seen_alloc * sizeof(uint32_t));
	}
	st->seen_uids[st->seen_count++] = uid;
}

/* Non-PEEK sections: \Seen on the batch's messages that lack it (RFC 9051
 * §6.4.5), reported in their FETCH responses. */
static enum store_result batch_set_seen(struct fetch_state *st, struct store *store)
{
	uint32_t uids[FETCH_BATCH_MAX], n = 0;
	struct store_flag_change change = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN };
	uint32_t *modified = NULL, modified_count = 0;
	enum store_result r;

	for (uint32_t i = 0; i < st->batch_count; i++) {
		if (st->batch[i].exists && !st->batch[i].unchanged &&
		    (st->batch[i].info.flags & STORE_FLAG_SEEN) == 0)
			uids[n++] = st->batch[i].info.uid;
	}
	if (n == 0)
		return STORE_OK;
	r = store_messages_set_flags(store, st->name, st->uidvalidity, uids, n, &change,
				     &modified, &modified_count);
	free(modified);
	if (r != STORE_OK)
		return r;
	/* Their modseqs moved: read them again (CONDSTORE's MODSEQ item). */
	struct store_changes now;
	if (store_messages_get(store, st->name, st->uidvalidity, uids, n, &now) != STORE_OK)
		memset(&now, 0, sizeof(now));
	for (uint32_t i = 0, j = 0; i < st->batch_count; i++) {
		struct fetch_msg *m = &st->batch[i];

		if (!m->exists || m->unchanged || (m->info.flags & STORE_FLAG_SEEN) != 0)
			continue;
		m->info.flags |= STORE_FLAG_SEEN;
		m->seen_set = true;
		seen_add(st, m->info.uid);
		while (j < now.changed_count && now.changed[j].uid < m->info.uid)
			j++;
		if (j < now.changed_count && now.changed[j].uid == m->info.uid) {
			m->info.flags = now.changed[j].flags;
			m->info.keywords = now.changed[j].keywords;
			m->info.modseq = now.changed[j].modseq;
		}
	}
	store_changes_free(&now);
	return STORE_OK;
}

static enum store_result batch_load(struct fetch_state *st, struct store *store)
{
	struct batch_read br = { st, st->next, 0 };
	uint32_t n = st->count - st->next < FETCH_BATCH_MAX ? st->count - st->next :
		FETCH_BATCH_MAX;
	enum store_result r;

	fetch_batch_clear(st);
	st->batch_count = n;
	for (uint32_t i = 0; i < n; i++)
		st->batch[i].seq = st->seqs[st->next + i];
	/* The mailbox is looked up by name once per command, not per call. */
	if (st->box == NULL) {
		r = store_mailbox_open(store, st->name, st->uidvalidity, &st->box);
		if (r != STORE_OK)
			return r;
	}
	r = store_messages_read_in(store, st->box, st->uids + st->next, n,
				   st->req.needs_summary ? STORE_READ_SUMMARY :
				   fetch_request_flags_only(&st->req) ? STORE_READ_FLAGS_ONLY : 0,
				   batch_read_one, &br);
	st->next += n;
	if (r == STORE_OK && st->req.sets_seen && !st->readonly)
		r = batch_set_seen(st, store);
	return r;
}

/* ---- worker: one message's items ---- */

static bool summary_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	return store_body_read(ctx, offset, buf, len) == STORE_OK;
}

/* A message stored without a summary (it could not be made at delivery):
 * make one now from its bytes, for this FETCH only. */
static void summary_from_body(struct fetch_msg *m, struct store_body *body)
{
	struct mail_summary_builder *b = mail_summary_builder_create();
	char chunk[64 * 1024];
	uint64_t size = store_body_size(body);
	bool ok = true;

	for (uint64_t off = 0; ok && off < size;) {
		size_t n = size - off < sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);

		ok = store_body_read(body, off, chunk, n) == STORE_OK;
		if (ok)
			mail_summary_builder_feed(b, chunk, n);
		off += n;
	}
	if (ok && mail_summary_builder_finish(b, summary_read, body)) {
		const struct buf *enc = mail_summary_builder_encoded(b);

		m->summary_data = xmalloc(enc->len);
		memcpy(m->summary_data, enc->data, enc->len);
		m->summary_size = enc->len;
	}
	mail_summary_builder_destroy(&b);
}

/* RFC 3516 §4.2: a part whose encoding is unknown (or whose data does not
 * decode) fails the command with NO, and no FETCH response is started for
 * the message: checked before its line is written. STORE_NOT_FOUND skips
 * the message; the reason is kept for the tagged reply. */
static enum store_result binary_precheck(struct fetch_state *st)
{
	if (st->tree == NULL || st->body == NULL)
		return STORE_OK;
	for (unsigned int i = 0; i < st->req.count; i++) {
		const struct fetch_item *item = &st->req.items[i];
		struct fetch_source src;
		enum store_result r;

		if (item->kind != FETCH_SECTION || item->section.kind == SECTION_BODY)
			continue;
		r = fetch_section_source(&item->section, st->tree, st->ctes, st->body, &src);
		bool unknown = src.unknown_cte, invalid = src.invalid_data;
		fetch_source_free(&src);
		if (r != STORE_OK)
			return r;
		if (unknown || invalid) {
			if (unknown)
				st->failed_unknown_cte = true;
			else
				st->failed_parse = true;
			return STORE_NOT_FOUND;
		}
	}
	return STORE_OK;
}

/* Opens what the current message needs; false when it is gone (skipped). */
static enum store_result message_begin(struct fetch_state *st, struct store *store,
				       struct fetch_msg *m, struct mail_summary *sum,
				       bool *have_sum_r)
{
	enum store_result r;

	*have_sum_r = false;
	if (st->req.needs_body || (st->req.needs_summary && m->summary_data == NULL)) {
		r = store_body_open_in(store, st->box, m->info.uid, &st->body);
		if (r != STORE_OK)
			return r;
	}
	if (st->req.needs_summary && m->summary_data == NULL && st->body != NULL)
		summary_from_body(m, st->body);
	if (m->summary_data != NULL &&
	    mail_summary_decode(m->summary_data, m->summary_size, sum))
		*have_sum_r = true;
	arena_reset(st->msg_arena);
	st->tree = NULL;
	st->ctes = NULL;
	if (*have_sum_r && st->req.needs_body)
		st->tree = mail_summary_tree(sum, st->msg_arena, &st->ctes);
	return binary_precheck(st);
}

static void write_flags(struct fetch_state *st, const struct fetch_msg *m)
{
	buf_append_str(&st->out, "FLAGS ");
	mailbox_view_format_flags(&st->flags_view, m->info.uid, m->info.flags,
				  m->info.keywords, &st->out);
}

/* The simple items; false for FETCH_SECTION (handled by the caller). */
static bool write_simple_item(struct fetch_state *st, const struct fetch_msg *m,
			      const struct fetch_item *item, const struct mail_summary *sum,
			      bool have_sum)
{
	char date[32];

	switch (item->kind) {
	case FETCH_UID:
		buf_printf(&st->out, "UID %" PRIu32, m->info.uid);
		return true;
	case FETCH_FLAGS:
		write_flags(st, m);
		return true;
	case FETCH_INTERNALDATE:
		imap_datetime_format(m->info.internaldate, m->info.internaldate_zone_min, date);
		buf_printf(&st->out, "INTERNALDATE \"%s\"", date);
		return true;
	case FETCH_RFC822_SIZE:
		buf_printf(&st->out, "RFC822.SIZE %" PRIu64, m->info.size);
		return true;
	case FETCH_ENVELOPE:
		buf_append_str(&st->out, "ENVELOPE ");
		if (have_sum)
			buf_append(&st->out, sum->envelope, sum->envelope_len);
		else
			buf_append_str(&st->out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
		return true;
	case FETCH_BODY:
	case FETCH_BODYSTRUCTURE:
		buf_append_str(&st->out, item->kind == FETCH_BODY ? "BODY " : "BODYSTRUCTURE ");
		if (have_sum && item->kind == FETCH_BODY)
			buf_append(&st->out, sum->body, sum->body_len);
		else if (have_sum)
			buf_append(&st->out, sum->bodystructure, sum->bodystructure_len);
		else
			buf_printf(&st->out, "(\"text\" \"plain\" NIL NIL NIL \"7bit\" %" PRIu64
				   " 0)", m->info.size);
		return true;
	case FETCH_MODSEQ:
		buf_printf(&st->out, "MODSEQ (%" PRIu64 ")", m->info.modseq);
		return true;
	case FETCH_SAVEDATE:
		imap_datetime_format(m->info.savedate, 0, date);
		buf_printf(&st->out, "SAVEDATE \"%s\"", date);
		return true;
	case FETCH_EMAILID:
		buf_printf(&st->out, "EMAILID (%s)", m->emailid);
		return true;
	case FETCH_THREADID:
		if (m->threadid != NULL && *m->threadid != '\0')
			buf_printf(&st->out, "THREADID (%s)", m->threadid);
		else
			buf_append_str(&st->out, "THREADID NIL");
		return true;
	case FETCH_PREVIEW:
		buf_append_str(&st->out, "PREVIEW ");
		if (have_sum)
			imap_write_string(&st->out, sum->preview, sum->preview_len);
		else
			buf_append_str(&st->out, "NIL");
		return true;
	case FETCH_SECTION:
		break;
	}
	return false;
}

/* Starts a section's value; bytes that do not fit the step are streamed
 * by later steps (st->lit_active). */
static enum store_result write_section(struct fetch_state *st, const struct fetch_section *sec,
				       bool have_sum)
{
	struct fetch_source *src = &st->lit;
	enum store_result r;

	buf_append_str(&st->out, sec->response_name);
	if (sec->partial)
		buf_printf(&st->out, "<%" PRIu64 ">", sec->origin);
	buf_append_char(&st->out, ' ');
	if (!have_sum || st->tree == NULL || st->body == NULL) {
		buf_append_str(&st->out, "NIL");
		return STORE_OK;
	}
	r = fetch_section_source(sec, st->tree, st->ctes, st->body, src);
	if (r != STORE_OK) {
		fetch_source_free(src);
		return r;
	}
	if (src->unknown_cte || src->invalid_data) {
		if (src->unknown_cte)
			st->failed_unknown_cte = true;
		else
			st->failed_parse = true;
		buf_append_str(&st->out, "NIL");
		fetch_source_free(src);
		return STORE_OK;
	}
	if (src->nil) {
		/* No such part: empty, as Dovecot answers (RFC 9051 leaves it
		 * open; an empty string keeps clients that expect a string). */
		buf_append_str(&st->out, sec->kind == SECTION_BINARY_SIZE ? "0" : "\"\"");
		fetch_source_free(src);
		return STORE_OK;
	}
	uint64_t size = src->in_memory ? src->mem.len : src->size;
	if (sec->kind == SECTION_BINARY_SIZE) {
		buf_printf(&st->out, "%" PRIu64, size);
		fetch_source_free(src);
		return STORE_OK;
	}
	bool literal8 = sec->kind == SECTION_BINARY && src->has_nul;
	if (sec->kind == SECTION_BINARY && !src->in_memory && !src->decoding) {
		const struct message_part *part = message_part_find(st->tree, sec->part);

		literal8 = part != NULL && (part->flags & MESSAGE_PART_FLAG_HAS_NUL) != 0;
	}
	buf_printf(&st->out, "%s{%" PRIu64 "}\r\n", literal8 ? "~" : "", size);
	st->lit_active = true;
	st->lit_pos = 0;
	return STORE_OK;
}

/* Streams the active literal into the step's output, up to its budget. */
static enum store_result literal_continue(struct fetch_state *st)
{
	bool done = false;
	enum store_result r = STORE_OK;

	while (!done && st->out.len < st->step_bytes) {
		r = fetch_source_read(&st->lit, st->body, st->step_bytes - st->out.len,
				      &st->out, &done);
		if (r != STORE_OK)
			return r;
	}
	if (done) {
		fetch_source_free(&st->lit);
		st->lit_active = false;
	}
	return STORE_OK;
}

static void message_end(struct fetch_state *st)
{
	store_body_close(&st->body);
	st->item_pos = 0;
	st->line_open = false;
	st->line_has_item = false;
	st->batch_pos++;
}

/* Worker: produce up to st->step_bytes of responses. */
/* RFC 7162 §3.2.6: the UIDs of the asked set expunged since CHANGEDSINCE,
 * before any FETCH response. */
static enum store_result write_vanished(struct fetch_state *st, struct store *store)
{
	struct store_changes ch;
	enum store_result r = store_mailbox_changes(store, st->name, st->uidvalidity,
						    st->changedsince, &ch);
	uint32_t *gone, n = 0;

	if (r != STORE_OK)
		return r;
	gone = xmalloc((ch.expunged_count + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < ch.expunged_count; i++) {
		if (seqset_contains(&st->vanished_set, ch.expunged[i]))
			gone[n++] = ch.expunged[i];
	}
	if (n > 0) {   /* ascending: the store gives expunges in UID order */
		buf_append_str(&st->out, "* VANISHED (EARLIER) ");
		seqset_format_uids(gone, n, &st->out);
		buf_append_str(&st->out, "\r\n");
	}
	free(gone);
	store_changes_free(&ch);
	return STORE_OK;
}

static void fetch_run(struct store_job *job, struct store *store)
{
	struct fetch_state *st = job->ctx;
	struct mail_summary sum;
	bool have_sum = false;
	enum store_result r = STORE_OK;

	/* RFC 4314 §4: reading another user's message sets \Seen only with s. */
	if ((job->rights & ACL_SEEN) == 0)
		st->readonly = true;
	buf_clear(&st->out);
	if (st->vanished && !st->vanished_done) {
		r = write_vanished(st, store);
		st->vanished_done = true;
	}
	while (r == STORE_OK && st->out.len < st->step_bytes) {
		if (st->lit_active) {
			r = literal_continue(st);
			continue;
		}
		if (st->batch_pos == st->batch_count) {
			if (st->next == st->count) {
				st->finished = true;
				break;
			}
			r = batch_load(st, store);
			continue;
		}
		struct fetch_msg *m = &st->batch[st->batch_pos];
		if (m->exists && m->unchanged) {
			st->batch_pos++;
			continue;
		}
		if (!m->exists) {
			st->missing = true;
			st->batch_pos++;
			continue;
		}
		/* (Re)decode the summary each step: it points into m's copy. */
		if (!st->line_open) {
			r = message_begin(st, store, m, &sum, &have_sum);
			if (r == STORE_NOT_FOUND) {
				/* Gone, or refused by binary_precheck(). */
				if (!st->failed_unknown_cte && !st->failed_parse)
					st->missing = true;
				store_body_close(&st->body);
				st->batch_pos++;
				r = STORE_OK;
				continue;
			}
			if (r != STORE_OK)
				break;
			buf_printf(&st->out, "* %" PRIu32 " FETCH (", m->seq);
			st->line_open = true;
			/* UID first under UID FETCH (RFC 9051 §6.4.9), FLAGS
			 * when \Seen was set and FLAGS not asked for. */
			if (st->uid_mode || st->req.has_uid) {
				buf_printf(&st->out, "UID %" PRIu32, m->info.uid);
				st->line_has_item = true;
			}
			if (m->seen_set && !st->req.has_flags) {
				if (st->line_has_item)
					buf_append_char(&st->out, ' ');
				write_flags(st, m);
				st->line_has_item = true;
			}
			if (m->seen_set && st->condstore && !st->req.has_modseq) {
				/* The flags changed: their MODSEQ goes with them. */
				buf_printf(&st->out, " MODSEQ (%" PRIu64 ")", m->info.modseq);
				st->line_has_item = true;
			}
		} else {
			have_sum = m->summary_data != NULL &&
				mail_summary_decode(m->summary_data, m->summary_size, &sum);
		}
		while (r == STORE_OK && !st->lit_active && st->item_pos < st->req.count &&
		       st->out.len < st->step_bytes) {
			const struct fetch_item *item = &st->req.items[st->item_pos++];

			if (item->kind == FETCH_UID)
				continue;
			if (st->line_has_item)
				buf_append_char(&st->out, ' ');
			st->line_has_item = true;
			if (!write_simple_item(st, m, item, &sum, have_sum))
				r = write_section(st, &item->section, have_sum);
		}
		if (r == STORE_OK && !st->lit_active && st->item_pos == st->req.count) {
			buf_append_str(&st->out, ")\r\n");
			message_end(st);
		}
	}
	if (st->out.overflow && r == STORE_OK)
		r = STORE_ERROR;
	job->result = r;
}

/* ---- loop ---- */

static void fetch_submit_step(struct imap_cmd *cmd);

static bool fetch_final_done(struct store_job *job)
{
	struct fetch_state *st = job->ctx;
	struct imap_cmd *cmd = job->cmd;

	if (st->failed_unknown_cte)
		imap_cmd_reply(cmd, "NO", "[UNKNOWN-CTE] Unknown Content-Transfer-Encoding");
	else if (st->failed_parse)
		imap_cmd_reply(cmd, "NO", "[PARSE] Invalid data in MIME part");
	else if (st->missing && !st->uid_mode)
		/* FETCH by number may not announce the expunge (RFC 9051
		 * §7.5.1), so it says a message it named is gone. A UID FETCH
		 * ignores UIDs that no longer exist (§6.4.9); the expunge is
		 * announced at the next command that may. */
		imap_cmd_reply(cmd, "NO", "[EXPUNGEISSUED] Some of the requested messages "
			       "no longer exist");
	else
		imap_cmd_store_error(cmd, job->result);
	return true;
}

static void fetch_on_drained(struct imap_cmd *cmd)
{
	fetch_submit_step(cmd);
}

static bool fetch_step_done(struct store_job *job)
{
	struct fetch_state *st = job->ctx;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;

	/* The step's buffer itself joins the connection's output (no copy),
	 * and the next step starts a new one: a session that waits for its
	 * client holds no second copy's worth. */
	size_t out_max = st->out.max;
	log_debug("%s: user=%s: FETCH step of %zu bytes (output %zu)", conn_peer_str(s->conn),
		  s->user, st->out.len, conn_output_size(s->conn));
	if (st->out.len > 0)
		conn_write_owned(s->conn, st->out.data, st->out.len);
	else
		free(st->out.data);
	buf_init(&st->out, out_max);
	if (job->result != STORE_OK) {
		log_error("%s: user=%s: FETCH failed: %s", conn_peer_str(s->conn), s->user,
			  store_result_name(job->result));
		imap_cmd_store_error(cmd, job->result);
		/* Only a response line cut in the middle leaves the client unable
		 * to parse on; between messages the session goes on. */
		if (st->line_open)
			imap_session_bye(s, "Internal error while sending a message");
		return true;
	}
	if (!st->finished) {
		/* Produce on while the client keeps up; once its output is
		 * full (or the server's is), wait until it has read it all. */
		if (conn_output_full(s->conn)) {
			cmd->output_drained = fetch_on_drained;
			return false;
		}
		fetch_submit_step(cmd);
		return false;
	}
	/* The changes of others, and ours to the set silenced (we reported
	 * the \Seen we set). */
	struct mailbox_view_apply apply = {
		.allow_expunge = st->uid_mode,
		.include_uid = st->uid_mode,
		.silent_uids = st->seen_uids,
		.silent_count = st->seen_count,
	};
	if (imap_store_job_submit_selected(cmd, ACL_READ, NULL, fetch_final_done, st, true, &apply) == NULL)
		return true;
	return false;
}

static size_t fetch_step_size(struct conn *conn)
{
	if (conn_output_total() >= CONN_OUTPUT_TOTAL_MAX / 2)
		return FETCH_STEP_BYTES_LOW;
	return conn_output_size(conn) == 0 ? FETCH_STEP_BYTES_EMPTY : FETCH_STEP_BYTES;
}

static void fetch_submit_step(struct imap_cmd *cmd)
{
	struct fetch_state *st = cmd->state;

	st->step_bytes = fetch_step_size(cmd->session->conn);
	if (imap_store_job_submit_selected(cmd, ACL_READ, fetch_run, fetch_step_done, st, false,
					   NULL) == NULL)
		imap_cmd_complete(cmd);
}

enum cmd_step cmd_fetch(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->session;
	struct mailbox_view *v = s->selected;
	bool uid_mode = strncmp(cmd->name, "UID ", 4) == 0;
	struct fetch_state *st;
	const char *error;
	uint32_t *uids, count;

	if (cmd->arg_count < 2 || cmd->arg_count > 3) {
		imap_cmd_reply(cmd, "BAD", "%s needs a set and data items", cmd->name);
		return CMD_STEP_DONE;
	}
	st = arena_alloc(cmd->arena, sizeof(*st));
	if (cmd->arg_count == 3) {
		/* RFC 7162 §3.1.4.1 fetch-modifier: (CHANGEDSINCE mod-sequence
		 * [VANISHED]), VANISHED (§3.2.6) only in UID FETCH under QRESYNC. */
		const struct imap_arg *mod = &cmd->args[2];
		bool bad = mod->type != IMAP_ARG_LIST || mod->list_count == 0;

		for (unsigned int i = 0; !bad && i < mod->list_count; i++) {
			if (imap_arg_is_atom(&mod->list[i], "CHANGEDSINCE") && i + 1 < mod->list_count &&
			    !st->changedsince_set &&
			    imap_arg_number64(&mod->list[i + 1], &st->changedsince)) {
				st->changedsince_set = true;
				i++;
			} else if (imap_arg_is_atom(&mod->list[i], "VANISHED") && !st->vanished) {
				st->vanished = true;
			} else {
				bad = true;
			}
		}
		if (bad) {
			imap_cmd_reply(cmd, "BAD", "Unknown FETCH modifier (CHANGEDSINCE n is)");
			return CMD_STEP_DONE;
		}
		if (st->vanished && (!uid_mode || !s->qresync_enabled || !st->changedsince_set)) {
			imap_cmd_reply(cmd, "BAD", "VANISHED needs UID FETCH, QRESYNC enabled and "
				       "CHANGEDSINCE");
			return CMD_STEP_DONE;
		}
		if (st->vanished) {
			const struct imap_arg *set = &cmd->args[0];

			if (set->type != IMAP_ARG_ATOM ||
			    seqset_parse(set->str, set->len, SEQ_UIDS_MAX_RANGES, cmd->arena,
					 &st->vanished_set) != SEQSET_OK || st->vanished_set.dollar) {
				imap_cmd_reply(cmd, "BAD", "VANISHED needs a UID set");
				return CMD_STEP_DONE;
			}
			seqset_resolve(&st->vanished_set, v->uidnext > 1 ? v->uidnext - 1 : 0);
		}
	}
	if (!fetch_items_parse(&cmd->args[1], cmd->arena, &st->req, &error)) {
		imap_cmd_reply(cmd, "BAD", "%s", error);
		return CMD_STEP_DONE;
	}
	if (st->changedsince_set && !st->req.has_modseq) {
		/* CHANGEDSINCE implies the MODSEQ item (RFC 7162 §3.1.4.1). */
		if (st->req.count >= FETCH_ITEMS_MAX) {
			imap_cmd_reply(cmd, "BAD", "Too many FETCH items");
			return CMD_STEP_DONE;
		}
		memset(&st->req.items[st->req.count], 0, sizeof(st->req.items[0]));
		st->req.items[st->req.count++].kind = FETCH_MODSEQ;
		st->req.has_modseq = true;
	}
	if (st->req.has_modseq)
		imap_session_enable_condstore(s);
	st->condstore = s->condstore_enabled;
	if (!seq_uids_from_arg(cmd, &cmd->args[0], uid_mode, &uids, &count))
		return CMD_STEP_DONE;
	st->name = arena_strdup(cmd->arena, v->name);
	st->uidvalidity = v->uidvalidity;
	st->uid_mode = uid_mode;
	st->readonly = v->readonly;
	st->uids = uids;
	st->count = count;
	uint32_t *seqs = arena_alloc(cmd->arena, (count > 0 ? count : 1) * sizeof(*seqs));
	for (uint32_t i = 0; i < count; i++)
		seqs[i] = mailbox_view_seq(v, uids[i]);
	st->seqs = seqs;
	/* FLAGS are formatted on the worker from a copy of what the view
	 * knows now (the view changes only at the final sync). */
	st->flags_view.rev1 = v->rev1;
	st->flags_view.recent.count = v->recent.count;
	st->flags_view.recent.ranges = arena_alloc(cmd->arena,
						   (v->recent.count + 1) * sizeof(struct seq_range));
	if (v->recent.count > 0)
		memcpy(st->flags_view.recent.ranges, v->recent.ranges,
		       v->recent.count * sizeof(struct seq_range));
	st->flags_view.keyword_count = v->keyword_count;
	st->flags_view.keywords = arena_alloc(cmd->arena, (v->keyword_count + 1) * sizeof(char *));
	for (unsigned int i = 0; i < v->keyword_count; i++)
		st->flags_view.keywords[i] = arena_strdup(cmd->arena, v->keywords[i]);
	st->msg_arena = arena_create(4096);
	buf_init(&st->out, FETCH_STEP_BYTES + 64 * 1024 + 16 * 1024 * 1024);
	cmd->state = st;
	cmd->cleanup = fetch_cleanup;
	if (count == 0) {
		st->finished = true;
		st->next = 0;
	}
	st->step_bytes = fetch_step_size(cmd->session->conn);
	if (imap_store_job_submit_selected(cmd, ACL_READ, fetch_run, fetch_step_done, st, false,
					   NULL) == NULL)
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
