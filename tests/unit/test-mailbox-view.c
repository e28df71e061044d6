/* The selected mailbox's sequence map: the untagged responses each kind of
 * change produces, exactly, and the sequence numbers they carry. */
#include <malloc.h>
#include <stdlib.h>

#include "core/xalloc.h"
#include "imap/mailbox-view.h"
#include "imap/resp.h"
#include "unit.h"

static struct buf emitted;

/* Collects the responses with each CRLF shown as "|". */
static void collect(void *ctx, const void *data, size_t len)
{
	const char *p = data;

	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n')
			buf_append_char(&emitted, '|');
		else if (p[i] != '\r')
			buf_append_char(&emitted, p[i]);
	}
}

static struct resp_out emit = { collect, NULL };

static struct mailbox_view *make_view(const uint32_t *uids, uint32_t n, bool rev1,
				      uint32_t first_recent)
{
	struct store_snapshot snap = { 0 };

	snap.uidvalidity = 7;
	snap.uidnext = n > 0 ? uids[n - 1] + 1 : 1;
	snap.highestmodseq = 10;
	snap.first_recent_uid = first_recent;
	snap.count = n;
	snap.messages = calloc(n ? n : 1, sizeof(*snap.messages));
	for (uint32_t i = 0; i < n; i++)
		snap.messages[i].uid = uids[i];
	struct mailbox_view *v = mailbox_view_create("INBOX", false, rev1, &snap);
	free(snap.messages);
	return v;
}

static const struct mailbox_view_apply allow = { .allow_expunge = true };
static const struct mailbox_view_apply deny = { .allow_expunge = false };

int main(void)
{
	static const uint32_t uids[] = { 3, 5, 8, 9, 12 };
	struct mailbox_view *v = make_view(uids, 5, false, 100);
	struct store_changes ch = { 0 };

	buf_init(&emitted, 65536);
	CHECK_INT(mailbox_view_seq(v, 3), 1);
	CHECK_INT(mailbox_view_seq(v, 12), 5);
	CHECK_INT(mailbox_view_seq(v, 4), 0);
	CHECK_INT(mailbox_view_seq(v, 13), 0);

	/* Expunging 5 and 9: announced as 2, then 3 (9 was 4, one removed before). */
	uint32_t gone[] = { 5, 9, 77 };
	ch.expunged = gone;
	ch.expunged_count = 3;
	ch.uidnext = 13;
	ch.highestmodseq = 11;
	mailbox_view_apply(v, &ch, &allow, &emit);
	CHECK_STR(emitted.data, "* 2 EXPUNGE|* 3 EXPUNGE|");
	CHECK_INT(mailbox_view_count(v), 3);
	CHECK_INT(mailbox_view_seq(v, 12), 3);
	CHECK_INT(v->highestmodseq, 11);

	/* During STORE: expunge kept pending and still numbered; flag changes of
	 * a pending message not sent; a new message is EXISTS. */
	buf_clear(&emitted);
	struct store_message changed[] = {
		{ .uid = 3, .flags = STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, .modseq = 12 },
		{ .uid = 8, .flags = STORE_FLAG_SEEN, .modseq = 12 },
		{ .uid = 13, .flags = 0, .modseq = 12 },
	};
	uint32_t gone2[] = { 8 };
	ch.expunged = gone2;
	ch.expunged_count = 1;
	ch.changed = changed;
	ch.changed_count = 3;
	ch.uidnext = 14;
	ch.highestmodseq = 12;
	mailbox_view_apply(v, &ch, &deny, &emit);
	CHECK_STR(emitted.data, "* 4 EXISTS|* 1 FETCH (FLAGS (\\Flagged \\Seen))|");
	CHECK_INT(mailbox_view_count(v), 4);
	CHECK_INT(v->pending_count, 1);
	CHECK_INT(mailbox_view_seq(v, 8), 2);

	/* Next allowed point: the pending expunge is announced. */
	buf_clear(&emitted);
	struct store_changes none = { .uidnext = 14, .highestmodseq = 12 };
	mailbox_view_apply(v, &none, &allow, &emit);
	CHECK_STR(emitted.data, "* 2 EXPUNGE|");
	CHECK_INT(mailbox_view_count(v), 3);
	CHECK_INT(v->pending_count, 0);

	/* Keywords grow: FLAGS and PERMANENTFLAGS first; UID in FETCH for UID
	 * commands; .SILENT hides the listed message. */
	buf_clear(&emitted);
	char *kw[] = { (char *)"$Forwarded", (char *)"Junk" };
	struct store_message changed2[] = {
		{ .uid = 3, .flags = STORE_FLAG_SEEN, .keywords = 2, .modseq = 13 },
		{ .uid = 12, .flags = 0, .keywords = 1, .modseq = 13 },
	};
	struct store_changes ch2 = { .uidnext = 14, .highestmodseq = 13, .changed = changed2,
				     .changed_count = 2, .keywords = kw, .keyword_count = 2 };
	uint32_t silent[] = { 12 };
	struct mailbox_view_apply uid_silent = { .allow_expunge = true, .include_uid = true,
						 .silent_uids = silent, .silent_count = 1 };
	mailbox_view_apply(v, &ch2, &uid_silent, &emit);
	CHECK_STR(emitted.data,
		  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Junk)|"
		  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Junk \\*)] Flags permitted|"
		  "* 1 FETCH (UID 3 FLAGS (\\Seen Junk))|");
	mailbox_view_free(&v);
	CHECK(v == NULL);

	/* IMAP4rev1: RECENT with EXISTS and \Recent in flags. */
	static const uint32_t uids2[] = { 1, 2 };
	v = make_view(uids2, 2, true, 2);
	CHECK_INT(mailbox_view_recent_count(v), 1);
	buf_clear(&emitted);
	struct store_message arrived[] = { { .uid = 3 }, { .uid = 4 } };
	struct store_changes ch3 = { .uidnext = 5, .highestmodseq = 11, .changed = arrived,
				     .changed_count = 2 };
	/* The sync claimed 3 and 4 for this session (store-job.c does this). */
	mailbox_view_add_recent(v, 3, 4);
	mailbox_view_apply(v, &ch3, &allow, &emit);
	CHECK_STR(emitted.data, "* 4 EXISTS|* 3 RECENT|");
	struct buf flags;
	buf_init(&flags, 256);
	mailbox_view_format_flags(v, 1, STORE_FLAG_DRAFT, 0, &flags);
	CHECK_STR(flags.data, "(\\Draft)");
	buf_clear(&flags);
	mailbox_view_format_flags(v, 3, 0, 0, &flags);
	CHECK_STR(flags.data, "(\\Recent)");
	buf_free(&flags);
	mailbox_view_free(&v);

	/* Expunging everything of a large view in one pass. */
	uint32_t many[20000], all[20000];
	for (uint32_t i = 0; i < 20000; i++)
		many[i] = all[i] = i + 1;
	v = make_view(many, 20000, false, 1u << 30);
	buf_free(&emitted);
	buf_init(&emitted, 20000 * 20);
	struct store_changes ch4 = { .uidnext = 20001, .highestmodseq = 99,
				     .expunged = all, .expunged_count = 20000 };
	mailbox_view_apply(v, &ch4, &allow, &emit);
	CHECK_INT(mailbox_view_count(v), 0);
	/* Every announcement is "* 1 EXPUNGE": each removes the first message. */
	CHECK_INT(emitted.len, 20000 * strlen("* 1 EXPUNGE|"));
	mailbox_view_free(&v);

	/* QRESYNC: every other one of 30,000 messages expunged is one VANISHED
	 * line of about 100 KiB, written whole (it used to exceed the 64 KiB
	 * response line cap, and the server aborted). */
	static uint32_t big[30000], odd_gone[15000];
	for (uint32_t i = 0; i < 30000; i++)
		big[i] = i + 1;
	for (uint32_t i = 0; i < 15000; i++)
		odd_gone[i] = 2 * i + 2;
	v = make_view(big, 30000, false, 1u << 30);
	v->qresync = true;
	buf_free(&emitted);
	buf_init(&emitted, 1024 * 1024);
	struct store_changes ch5 = { .uidnext = 30001, .highestmodseq = 99,
				     .expunged = odd_gone, .expunged_count = 15000 };
	mailbox_view_apply(v, &ch5, &allow, &emit);
	CHECK_INT(mailbox_view_count(v), 15000);
	struct buf want;
	buf_init(&want, 1024 * 1024);
	buf_append_str(&want, "* VANISHED ");
	for (uint32_t i = 0; i < 15000; i++)
		buf_printf(&want, "%s%u", i > 0 ? "," : "", (unsigned int)(2 * i + 2));
	buf_append_char(&want, '|');
	CHECK(want.len > 64 * 1024);
	CHECK_INT(emitted.len, want.len);
	CHECK_STR(emitted.data, want.data);
	buf_free(&want);
	mailbox_view_free(&v);

	/* The same without QRESYNC: 15,000 EXPUNGEs, the n-th naming message
	 * n + 1 (each earlier one shifted the rest down), from one merge pass
	 * over the runs; what is left is every odd UID, numbered in turn. */
	v = make_view(big, 30000, false, 1u << 30);
	buf_clear(&emitted);
	mailbox_view_apply(v, &ch5, &allow, &emit);
	buf_init(&want, 1024 * 1024);
	for (uint32_t i = 0; i < 15000; i++)
		buf_printf(&want, "* %u EXPUNGE|", (unsigned int)(i + 2));
	CHECK_INT(emitted.len, want.len);
	CHECK_STR(emitted.data, want.data);
	CHECK_INT(mailbox_view_count(v), 15000);
	CHECK_INT(mailbox_view_seq(v, 29999), 15000);
	CHECK_INT(mailbox_view_seq(v, 30000), 0);
	CHECK_INT(mailbox_view_uid_at(v, 7500), 14999);
	buf_free(&want);
	mailbox_view_free(&v);
	buf_free(&emitted);
	/* \Recent (RFC 3501 §2.3.2): what SELECT claimed plus later claims,
	 * adjacent ones merged; counted over the UIDs still in the view. */
	{
		static const uint32_t r_uids[] = { 1, 2, 3, 4 };
		struct mailbox_view *r = make_view(r_uids, 4, true, 3);

		CHECK(!mailbox_view_is_recent(r, 2));
		CHECK(mailbox_view_is_recent(r, 3));
		CHECK(mailbox_view_is_recent(r, 4));
		CHECK(!mailbox_view_is_recent(r, 5));
		CHECK_INT(mailbox_view_recent_count(r), 2);
		mailbox_view_add_recent(r, 5, 6);      /* adjacent: merged */
		CHECK_INT(r->recent.count, 1);
		mailbox_view_add_recent(r, 9, 9);      /* 7, 8 went to another session */
		CHECK_INT(r->recent.count, 2);
		mailbox_view_add_recent(r, 1, 0);      /* empty claim */
		CHECK_INT(r->recent.count, 2);
		CHECK(mailbox_view_is_recent(r, 6));
		CHECK(!mailbox_view_is_recent(r, 7));
		CHECK(mailbox_view_is_recent(r, 9));
		for (uint32_t u = 11; u < 11 + 2 * 1100; u += 2)
			mailbox_view_add_recent(r, u, u);
		CHECK_INT(r->recent.count, 1024);      /* the oldest claims forgotten */
		CHECK(!mailbox_view_is_recent(r, 3));
		CHECK(mailbox_view_is_recent(r, 11 + 2 * 1099));
		r->rev1 = false;
		CHECK(!mailbox_view_is_recent(r, 11 + 2 * 1099));
		CHECK_INT(mailbox_view_recent_count(r), 0);
		mailbox_view_free(&r);
	}
	/* PERMANENTFLAGS lists only what the session may change (RFC 9051
	 * §7.1; RFC 4314 §4: s \Seen, t \Deleted, w the rest and new
	 * keywords): in another user's mailbox with lrst, a read-only view,
	 * and an owner's full rights. Keywords growing change only the lists
	 * that name keywords, so only those are announced again. */
	{
		static const uint32_t one[] = { 1 };
		char *kw1[] = { (char *)"Junk" };
		struct store_message junk[] = { { .uid = 1, .keywords = 1, .modseq = 12 } };
		struct store_changes grow = { .uidnext = 2, .highestmodseq = 12, .changed = junk,
					      .changed_count = 1, .keywords = kw1, .keyword_count = 1 };
		struct mailbox_view *p = make_view(one, 1, false, 100);
		struct buf line;

		buf_init(&line, 1024);
		mailbox_view_format_permanent_flags(p, &line);
		CHECK_STR(line.data, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)");
		p->rights = ACL_LOOKUP | ACL_READ | ACL_SEEN | ACL_DELETE_MESSAGES;
		buf_clear(&line);
		mailbox_view_format_permanent_flags(p, &line);
		CHECK_STR(line.data, "(\\Deleted \\Seen)");
		buf_clear(&emitted);
		mailbox_view_apply(p, &grow, &allow, &emit);
		CHECK_STR(emitted.data,
			  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Junk)|"
			  "* 1 FETCH (FLAGS (Junk))|");
		p->rights = ACL_OWNER_RIGHTS;
		p->readonly = true;
		buf_clear(&line);
		mailbox_view_format_permanent_flags(p, &line);
		CHECK_STR(line.data, "()");
		buf_free(&line);
		mailbox_view_free(&p);
	}
	/* Issue 13: a dense 100,000-message INBOX costs the view a few bytes,
	 * not 4 per message (the UID array held 400,000). Measured as what
	 * the heap holds after the view is made (glibc's count; a sanitizer's
	 * allocator reports nothing, and the run count is checked instead). */
	{
		enum { DENSE = 100000 };
		struct store_snapshot snap = { .uidvalidity = 7, .uidnext = DENSE + 1,
					       .first_recent_uid = DENSE + 1, .count = DENSE };

		snap.messages = calloc(DENSE, sizeof(*snap.messages));
		for (uint32_t i = 0; i < DENSE; i++)
			snap.messages[i].uid = i + 1;
		size_t before = mallinfo2().uordblks;
		struct mailbox_view *d = mailbox_view_create("INBOX", false, false, &snap);
		size_t held = mallinfo2().uordblks - before;

		free(snap.messages);
		printf("view of a dense %d-message mailbox: %zu heap bytes\n", DENSE, held);
		CHECK(held < 1024);
		CHECK_INT(mailbox_view_uid_bytes(d), 8);
		CHECK_INT(mailbox_view_uid_at(d, DENSE), DENSE);
		CHECK_INT(mailbox_view_uid_at(d, DENSE + 1), 0);
		CHECK_INT(mailbox_view_uid_at(d, 0), 0);
		CHECK_INT(mailbox_view_last_uid(d), DENSE);
		mailbox_view_free(&d);
	}
	return unit_finish("mailbox-view");
}
