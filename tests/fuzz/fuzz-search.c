/* libFuzzer target for SEARCH, SORT and THREAD: feeds the input through the
 * IMAP parser and every parsed command's arguments through the SEARCH, SORT
 * and THREAD parsers; evaluates what parses against synthetic messages,
 * checking the fast-path bounds against the matches; formats the responses;
 * and threads messages whose Message-ID, References and Subject are the
 * command's own strings, checking that every message appears exactly once
 * in balanced parentheses.
 *
 * Build and run (from the repository root):
 *   make build-fuzz/fuzz-search
 *   build-fuzz/fuzz-search -max_total_time=120 -max_len=4096 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/parser.h"
#include "imap/search-query.h"
#include "imap/sort-query.h"
#include "imap/thread.h"
#include "mail/base-subject.h"
#include "mail/msgid.h"
#include "store/store.h"

static const struct imap_parser_limits fuzz_limits = {
	.max_line = 4096, .max_command = 8192, .max_depth = 24, .max_args = 2000,
};
#define FUZZ_LITERAL_MAX 4096
#define FUZZ_MSGS 5
/* Strings of one command used as message headers. */
#define FUZZ_STRINGS 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_keywords[] = { "$Forwarded", "work", "Junk" };
static const uint32_t fuzz_saved[] = { 3, 7, 20 };

static struct search_message msgs[FUZZ_MSGS] = {
	{ .seq = 1, .uid = 3, .flags = STORE_FLAG_SEEN, .keywords = 1, .modseq = 1,
	  .internaldate = 0, .size = 0, .sent_day = SEARCH_DAY_NONE, .emailid = "E1" },
	{ .seq = 2, .uid = 7, .flags = STORE_FLAG_FLAGGED | STORE_FLAG_DELETED, .keywords = 6,
	  .recent = true, .modseq = 100, .internaldate = 951782400, .internaldate_zone = -720,
	  .has_savedate = true, .savedate = 951868800, .size = 4096, .sent_day = 11016,
	  .threadid = "T" },
	{ .seq = 3, .uid = 20, .flags = 31, .keywords = 7, .modseq = 9223372036854775807ULL,
	  .internaldate = 1700000000, .internaldate_zone = 840, .size = UINT64_MAX,
	  .sent_day = -5, .emailid = "a-b_c", .threadid = "T" },
	{ .seq = 4, .uid = 21, .recent = true, .internaldate = -86401, .size = 1,
	  .sent_day = 0 },
	{ .seq = 5, .uid = 4294967294u, .flags = STORE_FLAG_DRAFT, .keywords = UINT64_MAX,
	  .modseq = 5, .internaldate = 253402300799, .internaldate_zone = -840,
	  .has_savedate = true, .savedate = -1, .size = 1000000, .sent_day = 2932896 },
};

static bool text_match(void *ctx, unsigned int index, const struct search_message *m)
{
	const struct search_query *q = ctx;

	if (index >= q->text_key_count)
		abort();
	const struct search_text_key *k = &q->text_keys[index];
	if (k->value == NULL || strlen(k->value) != k->value_len)
		abort();
	if ((k->kind == SEARCH_TEXT_HEADER) != (k->field != NULL))
		abort();
	return (k->value_len + m->seq) % 3 == 0;
}

/* Evaluates q against the messages; returns the matching UIDs' count. */
static uint32_t evaluate(struct search_query *q, uint32_t *uids, uint32_t *seqs,
			 uint64_t *modseqs)
{
	struct search_context ctx = {
		.max_seq = FUZZ_MSGS, .max_uid = msgs[FUZZ_MSGS - 1].uid,
		.saved_uids = fuzz_saved, .saved_count = 3, .now = 1700000000,
		.savedate_supported = true, .text_match = text_match, .text_ctx = q,
	};
	struct search_bounds b;
	uint32_t n = 0;

	search_query_bind_keywords(q, fuzz_keywords, 3);
	search_query_prepare(q, &ctx);
	search_query_bounds(q, &ctx, &b);
	for (unsigned int i = 0; i < FUZZ_MSGS; i++) {
		if (!search_query_match(q, &msgs[i], &ctx))
			continue;
		if (b.empty || msgs[i].seq < b.seq_lo || msgs[i].seq > b.seq_hi ||
		    msgs[i].uid < b.uid_lo || msgs[i].uid > b.uid_hi)
			abort();
		uids[n] = msgs[i].uid;
		seqs[n] = msgs[i].seq;
		modseqs[n] = msgs[i].modseq;
		n++;
	}
	/* binding again to another list must not break anything */
	search_query_bind_keywords(q, NULL, 0);
	if (q->text_key_count > SEARCH_TEXT_KEYS_MAX)
		abort();
	return n;
}

static void respond(const struct search_query *q, bool sort, const uint32_t *numbers,
		    const uint64_t *modseqs, uint32_t n)
{
	struct search_format f = { .tag = "A1", .uid = n % 2 == 0, .sort = sort,
				   .imap4rev2 = n % 3 == 0 };
	struct buf out;
	uint32_t saved[FUZZ_MSGS];

	struct resp_out ro;

	buf_init(&out, 4096);
	resp_out_init_buf(&ro, &out);
	if (search_query_format(q, &f, numbers, modseqs, n, &ro)) {
		if (out.overflow || out.len < 6 || memcmp(out.data, "* ", 2) != 0)
			abort();
	} else if (out.len != 0 || (q->return_opts & ~(unsigned int)SEARCH_RETURN_SAVE) != 0) {
		abort();
	}
	buf_free(&out);
	uint32_t s = search_query_save(q, numbers, n, saved);
	if (s > n || ((q->return_opts & SEARCH_RETURN_SAVE) == 0 && s != 0))
		abort();
	for (uint32_t i = 1; i < s; i++) {
		if (saved[i - 1] >= saved[i])
			abort();
	}
}

/* Every number 1..n exactly once, parentheses balanced, never "()". */
static void check_threads(const char *s, size_t len, uint32_t n)
{
	unsigned int seen[FUZZ_STRINGS + 1] = { 0 };
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '(') {
			depth++;
			if (i + 1 < len && s[i + 1] == ')')
				abort();
		} else if (s[i] == ')') {
			if (--depth < 0)
				abort();
		} else if (s[i] >= '1' && s[i] <= '9') {
			unsigned int v = 0;

			while (i < len && s[i] >= '0' && s[i] <= '9')
				v = v * 10 + (unsigned int)(s[i++] - '0');
			i--;
			if (v == 0 || v > n || seen[v]++ != 0)
				abort();
		} else if (s[i] != ' ') {
			abort();
		}
	}
	if (depth != 0)
		abort();
	for (uint32_t v = 1; v <= n; v++) {
		if (seen[v] != 1)
			abort();
	}
}

static void thread_strings(struct arena *arena, const char *const *strs, unsigned int count)
{
	struct thread_message tm[FUZZ_STRINGS];
	struct buf out;

	for (unsigned int i = 0; i < count; i++) {
		const char *s = strs[i];

		tm[i] = (struct thread_message){
			.number = i + 1,
			.sent_date = (time_t)(strlen(s) % 4),
			.base_subject = base_subject(arena, s, strlen(s), &tm[i].subject_is_reply),
			.message_id = strs[(i + 1) % count],
			.references = i % 2 == 0 ? s : NULL,
			.in_reply_to = strs[(i + 2) % count],
		};
		msgid_first(arena, s, strlen(s));
		msgid_count(s, strlen(s));
	}
	for (int alg = 0; alg < 2; alg++) {
		buf_init(&out, 1 << 16);
		if (!thread_format(alg == 0 ? THREAD_REFERENCES : THREAD_ORDEREDSUBJECT, tm, count,
				   &out))
			abort();
		check_threads(out.data != NULL ? out.data : "", out.len, count);
		buf_free(&out);
	}
}

static void run_command(const struct imap_arg *args, unsigned int count)
{
	struct arena *arena = arena_create(4096);
	uint32_t uids[FUZZ_MSGS], seqs[FUZZ_MSGS];
	uint64_t modseqs[FUZZ_MSGS];
	const char *error;
	const char *strs[FUZZ_STRINGS];
	unsigned int nstrs = 0;

	/* skip the command name, and UID */
	if (count > 0 && imap_arg_is_atom(&args[0], "UID")) {
		args++;
		count--;
	}
	if (count == 0)
		goto out;
	args++;
	count--;

	struct search_query *q;
	enum search_parse_result r = search_query_parse(args, count, arena, &q, &error);
	if ((r == SEARCH_PARSE_OK) != (q != NULL) || (r == SEARCH_PARSE_BAD && error == NULL))
		abort();
	if (q != NULL) {
		uint32_t n = evaluate(q, uids, seqs, modseqs);
		respond(q, false, seqs, modseqs, n);
		respond(q, false, uids, modseqs, n);
	}

	struct sort_query *sq;
	r = sort_query_parse(args, count, arena, &sq, &error);
	if ((r == SEARCH_PARSE_OK) != (sq != NULL) || (r == SEARCH_PARSE_BAD && error == NULL))
		abort();
	if (sq != NULL) {
		struct sort_message sm[FUZZ_MSGS];
		uint32_t n = evaluate(sq->search, uids, seqs, modseqs);
		uint32_t sorted[FUZZ_MSGS], mask = 0;

		for (uint32_t i = 0; i < n; i++) {
			const struct search_message *m = &msgs[seqs[i] - 1];

			sm[i] = (struct sort_message){
				.number = m->seq, .arrival = m->internaldate,
				.sent = (time_t)m->sent_day, .size = m->size,
				.subject = m->emailid, .from = m->threadid,
				.to = i % 2 ? "b" : NULL, .cc = "", .display_from = m->emailid,
				.display_to = m->threadid, .modseq = m->modseq, .uid = m->uid,
			};
		}
		sort_messages(sm, n, sq);
		for (uint32_t i = 0; i < n; i++) {
			if (sm[i].number == 0 || sm[i].number > FUZZ_MSGS ||
			    (mask & (1u << sm[i].number)) != 0)
				abort();
			mask |= 1u << sm[i].number;
			sorted[i] = sm[i].number;
			modseqs[i] = sm[i].modseq;
		}
		respond(sq->search, true, sorted, modseqs, n);
	}

	struct thread_query *tq;
	r = thread_query_parse(args, count, arena, &tq, &error);
	if ((r == SEARCH_PARSE_OK) != (tq != NULL) || (r == SEARCH_PARSE_BAD && error == NULL))
		abort();
	if (tq != NULL)
		evaluate(tq->search, uids, seqs, modseqs);

	/* the command's strings as headers */
	for (unsigned int i = 0; i < count && nstrs < FUZZ_STRINGS; i++) {
		const char *s = imap_arg_astring(&args[i]);

		if (s != NULL)
			strs[nstrs++] = s;
	}
	if (nstrs > 0)
		thread_strings(arena, strs, nstrs);
out:
	arena_destroy(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser *p = imap_parser_create(&fuzz_limits);
	size_t off = 0;

	for (unsigned int guard = 0; off < size && guard < 100000; guard++) {
		size_t used = 0;
		enum imap_parse_result r = imap_parser_feed(p, data + off, size - off, &used);
		unsigned int count;

		off += used;
		if (r == IMAP_PARSE_NEED_MORE)
			break;
		if (r == IMAP_PARSE_BAD) {
			if (imap_parser_error_fatal(p))
				break;
			continue;
		}
		if (r == IMAP_PARSE_LITERAL) {
			const struct imap_literal_info *li = imap_parser_literal(p);

			if (li->size <= FUZZ_LITERAL_MAX)
				imap_parser_literal_accept(p);
			else
				imap_parser_literal_refuse(p);
			if (imap_parser_error_fatal(p))
				break;
			continue;
		}
		const struct imap_arg *args = imap_parser_args(p, &count);
		run_command(args, count);
	}
	imap_parser_destroy(&p);
	return 0;
}
