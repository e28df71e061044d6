/* Modseqs and expunge records (store.h "Changes are learnt by modseq",
 * RFC 7162): every change to a mailbox's messages takes a modseq above any
 * before it in that mailbox, HIGHESTMODSEQ is the latest, and
 * store_mailbox_changes() returns exactly what changed after a modseq,
 * expunged UIDs included. */
#include <stdlib.h>

#include "contract.h"

#define USER "modseq"
#define MBOX "M"

static uint64_t highest(struct store *st, const char *mailbox)
{
	return ct_status(st, mailbox).highestmodseq;
}

/* The largest modseq any message of the mailbox carries. */
static uint64_t max_message_modseq(struct store *st, const char *mailbox)
{
	struct store_snapshot snap;
	uint64_t max = 0;

	CT_CHECK_INT(store_mailbox_snapshot(st, mailbox, false, &snap), STORE_OK);
	for (uint32_t i = 0; i < snap.count; i++) {
		if (snap.messages[i].modseq > max)
			max = snap.messages[i].modseq;
	}
	CT_CHECK_INT(snap.highestmodseq, ct_status(st, mailbox).highestmodseq);
	store_snapshot_free(&snap);
	return max;
}

/* "uid:modseq uid:modseq ... | expunged" of store_mailbox_changes(). */
static const char *changes_text(struct store *st, const char *mailbox, uint64_t since)
{
	static char out[512];
	struct store_changes ch;
	size_t len = 0;

	out[0] = '\0';
	if (store_mailbox_changes(st, mailbox, ct_uidv(st, mailbox), since, &ch) != STORE_OK)
		return "error";
	for (uint32_t i = 0; i < ch.changed_count && len < sizeof(out) - 32; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", i ? " " : "",
					ch.changed[i].uid);
	len += (size_t)snprintf(out + len, sizeof(out) - len, " |");
	for (uint32_t i = 0; i < ch.expunged_count && len < sizeof(out) - 32; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, " %u", ch.expunged[i]);
	CT_CHECK_INT(ch.highestmodseq, ct_status(st, mailbox).highestmodseq);
	CT_CHECK_INT(ch.uidnext, ct_status(st, mailbox).uidnext);
	for (uint32_t i = 0; i < ch.changed_count; i++)
		CT_CHECK(ch.changed[i].modseq > since && ch.changed[i].modseq <= ch.highestmodseq);
	store_changes_free(&ch);
	return out;
}

/* Each call's change must move HIGHESTMODSEQ above *last. */
static void moved(struct store *st, uint64_t *last)
{
	uint64_t now = highest(st, MBOX);

	CT_CHECK(now > *last);
	*last = now;
}

static void test_every_change_higher(struct store *st)
{
	uint64_t last = highest(st, MBOX);

	CT_CHECK(last >= 1);   /* RFC 7162 §3.1.1: at least 1 */
	for (unsigned int i = 1; i <= 5; i++) {
		char body[64];

		snprintf(body, sizeof(body), "Subject: m%u\r\n\r\nbody %u\r\n", i, i);
		CT_CHECK_INT(ct_append(st, MBOX, body), i);
		CT_CHECK_INT(ct_modseq_of(st, MBOX, i), highest(st, MBOX));
		moved(st, &last);
		CT_CHECK_INT(max_message_modseq(st, MBOX), last);
	}
	ct_flags(st, MBOX, 3, STORE_FLAGS_ADD, STORE_FLAG_SEEN);
	moved(st, &last);
	CT_CHECK_INT(ct_modseq_of(st, MBOX, 3), last);
	CT_CHECK_INT(max_message_modseq(st, MBOX), last);
	/* A STORE that changes nothing takes no modseq (RFC 7162 §3.1.3). */
	ct_flags(st, MBOX, 3, STORE_FLAGS_ADD, STORE_FLAG_SEEN);
	CT_CHECK_INT(highest(st, MBOX), last);
	CT_CHECK_INT(ct_modseq_of(st, MBOX, 3), last);
	/* Keywords are changes too. */
	const char *kw[] = { "Work" };
	struct store_flag_change fc = { .op = STORE_FLAGS_ADD, .keywords = kw, .keyword_count = 1 };
	uint32_t four = 4, *mod = NULL, mod_count = 0;

	CT_CHECK_INT(store_messages_set_flags(st, MBOX, ct_uidv(st, MBOX), &four, 1, &fc, &mod,
					      &mod_count), STORE_OK);
	free(mod);
	moved(st, &last);
	CT_CHECK_INT(ct_modseq_of(st, MBOX, 4), last);
	/* An expunge moves HIGHESTMODSEQ past every message left. */
	uint32_t five = 5;
	CT_CHECK_INT(ct_expunge(st, MBOX, &five, 1), 1);
	moved(st, &last);
	CT_CHECK(max_message_modseq(st, MBOX) < last);
	/* A change in another mailbox leaves this one's HIGHESTMODSEQ. */
	CT_CHECK(ct_append(st, "INBOX", "Subject: elsewhere\r\n\r\nx\r\n") > 0);
	CT_CHECK_INT(highest(st, MBOX), last);
}

static void test_changes_exact(struct store *st)
{
	uint64_t h0 = highest(st, MBOX);

	CT_CHECK_INT(strcmp(changes_text(st, MBOX, h0), " |"), 0);
	ct_flags(st, MBOX, 2, STORE_FLAGS_ADD, STORE_FLAG_ANSWERED);
	ct_flags(st, MBOX, 4, STORE_FLAGS_REMOVE, STORE_FLAG_SEEN);   /* not set: no change */
	ct_flags(st, MBOX, 1, STORE_FLAGS_SET, STORE_FLAG_FLAGGED);
	uint64_t h1 = highest(st, MBOX);
	uint32_t u6 = ct_append(st, MBOX, "Subject: m6\r\n\r\nsix\r\n");
	CT_CHECK_INT(u6, 6);
	uint32_t three = 3;
	uint64_t before_expunge = highest(st, MBOX);
	CT_CHECK_INT(ct_expunge(st, MBOX, &three, 1), 1);
	uint64_t h2 = highest(st, MBOX);

	/* ct_expunge marks \Deleted first: 3 changed, then it went. */
	CT_CHECK_INT(strcmp(changes_text(st, MBOX, h0), "1 2 6 | 3"), 0);
	CT_CHECK_INT(strcmp(changes_text(st, MBOX, h1), "6 | 3"), 0);
	CT_CHECK_INT(strcmp(changes_text(st, MBOX, before_expunge), " | 3"), 0);
	CT_CHECK_INT(strcmp(changes_text(st, MBOX, h2), " |"), 0);
	/* The expunge record's modseq: reported after any modseq below it,
	 * never at or after it. */
	CT_CHECK_INT(strcmp(changes_text(st, MBOX, h2 - 1), " | 3"), 0);
	/* A changed message's current state. */
	struct store_changes ch;

	CT_CHECK_INT(store_mailbox_changes(st, MBOX, ct_uidv(st, MBOX), h0, &ch), STORE_OK);
	if (ch.changed_count == 3) {
		CT_CHECK_INT(ch.changed[0].flags, STORE_FLAG_FLAGGED);
		CT_CHECK_INT(ch.changed[1].flags, STORE_FLAG_ANSWERED);
		CT_CHECK_INT(ch.changed[2].flags, 0);
		CT_CHECK_INT(ch.changed[2].modseq, ct_modseq_of(st, MBOX, 6));
	}
	CT_CHECK_INT(ch.keyword_count, 1);
	store_changes_free(&ch);
	/* A stale UIDVALIDITY answers NOT_FOUND. */
	CT_CHECK_INT(store_mailbox_changes(st, MBOX, ct_uidv(st, MBOX) + 1, 0, &ch),
		     STORE_NOT_FOUND);
	CT_CHECK_INT(store_mailbox_changes(st, "Nowhere", 1, 0, &ch), STORE_NOT_FOUND);
}

/* UNCHANGEDSINCE (RFC 7162 §3.1.3): a message changed after it is left
 * alone and reported; 0 leaves every message alone. */
static void test_unchangedsince(struct store *st)
{
	uint64_t m1 = ct_modseq_of(st, MBOX, 1), m2 = ct_modseq_of(st, MBOX, 2);
	uint32_t uids[] = { 1, 2 };
	struct store_flag_change fc = {
		.op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN, .conditional = true,
		.unchangedsince = m2,
	};
	uint32_t *mod = NULL, mod_count = 0;

	CT_CHECK(m1 > m2);   /* 1 was changed after 2 in test_changes_exact */
	CT_CHECK_INT(store_messages_set_flags(st, MBOX, ct_uidv(st, MBOX), uids, 2, &fc, &mod,
					      &mod_count), STORE_OK);
	CT_CHECK_INT(mod_count, 1);
	if (mod_count == 1)
		CT_CHECK_INT(mod[0], 1);
	free(mod);
	CT_CHECK_INT(ct_modseq_of(st, MBOX, 1), m1);
	CT_CHECK(ct_modseq_of(st, MBOX, 2) > m1);
	uint64_t h = highest(st, MBOX);

	CT_CHECK_INT(ct_modseq_of(st, MBOX, 2), h);
	fc.unchangedsince = 0;
	fc.flags = STORE_FLAG_DRAFT;
	mod = NULL;
	CT_CHECK_INT(store_messages_set_flags(st, MBOX, ct_uidv(st, MBOX), uids, 2, &fc, &mod,
					      &mod_count), STORE_OK);
	CT_CHECK_INT(mod_count, 2);
	free(mod);
	CT_CHECK_INT(highest(st, MBOX), h);
}

/* MOVE: expunge records in the source, new messages (higher modseqs) in
 * the target; store_messages_get() gives current state whatever the modseq. */
static void test_move_and_get(struct store *st)
{
	CT_CHECK_INT(store_mailbox_create(st, "T", 0), STORE_OK);
	uint64_t src = highest(st, MBOX), dst = highest(st, "T");
	uint32_t uids[] = { 1, 2 };
	struct store_copy_result cr;

	CT_CHECK_INT(store_messages_copy(st, MBOX, ct_uidv(st, MBOX), uids, 2, "T", true, &cr),
		     STORE_OK);
	CT_CHECK_INT(cr.count, 2);
	store_copy_result_free(&cr);
	CT_CHECK_INT(strcmp(changes_text(st, MBOX, src), " | 1 2"), 0);
	CT_CHECK_INT(strcmp(changes_text(st, "T", dst), "1 2 |"), 0);
	CT_CHECK(highest(st, "T") > dst);

	struct store_changes got;
	uint32_t want[] = { 2, 4, 6, 9 };

	CT_CHECK_INT(store_messages_get(st, MBOX, ct_uidv(st, MBOX), want, 4, &got), STORE_OK);
	CT_CHECK_INT(got.changed_count, 2);
	CT_CHECK_INT(got.expunged_count, 0);
	if (got.changed_count == 2) {
		CT_CHECK_INT(got.changed[0].uid, 4);
		CT_CHECK_INT(got.changed[1].uid, 6);
		CT_CHECK_INT(got.changed[0].modseq, ct_modseq_of(st, MBOX, 4));
	}
	CT_CHECK_INT(got.highestmodseq, highest(st, MBOX));
	store_changes_free(&got);
}

void contract_modseq(void)
{
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	CT_CHECK_INT(store_mailbox_create(st, MBOX, 0), STORE_OK);
	test_every_change_higher(st);
	test_changes_exact(st);
	test_unchangedsince(st);
	test_move_and_get(st);
	ct_check_clean(st);
	store_close(&st);
}
