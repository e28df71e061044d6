/* UIDs (store.h "Identity", RFC 9051 §2.3.1.1): strictly ascending within a
 * UIDVALIDITY, never reused (after an expunge, nor after a MULTIAPPEND that
 * failed), UIDNEXT one above the last; a mailbox deleted and created again
 * gets a greater UIDVALIDITY and the old one is refused everywhere. */
#include <stdlib.h>

#include "contract.h"

#define USER "uids"

static void test_ascending(struct store *st)
{
	CT_CHECK_INT(store_mailbox_create(st, "U", 0), STORE_OK);
	CT_CHECK_INT(ct_status(st, "U").uidnext, 1);
	CT_CHECK_INT(ct_append(st, "U", "Subject: a\r\n\r\na\r\n"), 1);
	CT_CHECK_INT(ct_append(st, "U", "Subject: b\r\n\r\nb\r\n"), 2);
	CT_CHECK_INT(ct_append(st, "U", "Subject: c\r\n\r\nc\r\n"), 3);
	CT_CHECK_INT(ct_status(st, "U").uidnext, 4);
	/* The highest UID expunged: its number is not given again. */
	uint32_t three = 3;
	CT_CHECK_INT(ct_expunge(st, "U", &three, 1), 1);
	CT_CHECK_INT(ct_status(st, "U").uidnext, 4);
	CT_CHECK_INT(ct_append(st, "U", "Subject: d\r\n\r\nd\r\n"), 4);
	/* Every message expunged: still not. */
	uint32_t all[] = { 1, 2, 4 };
	CT_CHECK_INT(ct_expunge(st, "U", all, 3), 3);
	CT_CHECK_INT(ct_status(st, "U").messages, 0);
	CT_CHECK_INT(ct_status(st, "U").uidnext, 5);
	CT_CHECK_INT(ct_append(st, "U", "Subject: e\r\n\r\ne\r\n"), 5);
}

/* MULTIAPPEND (RFC 3502): ascending UIDs for all, or nothing at all. */
static void test_multiappend(struct store *st)
{
	struct store_append msgs[3];
	uint32_t uidv = 0, uids[3] = { 0 };
	const char *bodies[] = { "Subject: m1\r\n\r\n1\r\n", "Subject: m2\r\n\r\n2\r\n",
				 "Subject: m3\r\n\r\n3\r\n" };

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 3; i++)
		msgs[i].blob = ct_blob(st, bodies[i]);
	CT_CHECK_INT(store_messages_append(st, "U", msgs, 3, &uidv, uids), STORE_OK);
	CT_CHECK_INT(uidv, ct_uidv(st, "U"));
	CT_CHECK_INT(uids[0], 6);
	CT_CHECK(uids[1] > uids[0] && uids[2] > uids[1]);
	CT_CHECK_INT(ct_status(st, "U").uidnext, uids[2] + 1);
	for (int i = 0; i < 3; i++)
		store_blob_free(&msgs[i].blob);

	/* The second message needs more keywords than a mailbox may hold:
	 * the first is not added either. */
	const char *many[STORE_KEYWORDS_PER_MAILBOX + 1];
	char names[STORE_KEYWORDS_PER_MAILBOX + 1][16];
	struct store_mailbox_status before = ct_status(st, "U");

	for (int i = 0; i <= STORE_KEYWORDS_PER_MAILBOX; i++) {
		snprintf(names[i], sizeof(names[i]), "kw%d", i);
		many[i] = names[i];
	}
	memset(msgs, 0, sizeof(msgs));
	msgs[0].blob = ct_blob(st, bodies[0]);
	msgs[1].blob = ct_blob(st, bodies[1]);
	msgs[1].keywords = many;
	msgs[1].keyword_count = STORE_KEYWORDS_PER_MAILBOX + 1;
	CT_CHECK_INT(store_messages_append(st, "U", msgs, 2, &uidv, uids), STORE_LIMIT);
	for (int i = 0; i < 2; i++)
		store_blob_free(&msgs[i].blob);
	struct store_mailbox_status after = ct_status(st, "U");
	CT_CHECK_INT(after.messages, before.messages);
	CT_CHECK_INT(after.highestmodseq, before.highestmodseq);
	CT_CHECK(after.uidnext >= before.uidnext);
	uint32_t next = ct_append(st, "U", bodies[2]);
	CT_CHECK(next >= before.uidnext);
	CT_CHECK_INT(ct_status(st, "U").uidnext, next + 1);
}

/* Deleted and created again: a greater UIDVALIDITY (RFC 9051 §2.3.1.1),
 * and every call made with the old one answers NOT_FOUND. */
static void test_recreate(struct store *st)
{
	uint32_t old = ct_uidv(st, "U"), uid = ct_status(st, "U").uidnext - 1;

	CT_CHECK_INT(store_mailbox_delete(st, "U"), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "U", 0), STORE_OK);
	uint32_t fresh = ct_uidv(st, "U");
	CT_CHECK(fresh > old);
	CT_CHECK_INT(ct_status(st, "U").messages, 0);
	CT_CHECK_INT(ct_append(st, "U", "Subject: again\r\n\r\nx\r\n"), 1);

	struct store_changes ch;
	struct store_snapshot snap;
	struct store_body *body = NULL;
	struct store_flag_change fc = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN };
	struct store_copy_result cr;
	uint32_t *list = NULL, n = 0, one = 1, first, next;

	CT_CHECK_INT(store_mailbox_changes(st, "U", old, 0, &ch), STORE_NOT_FOUND);
	CT_CHECK_INT(store_messages_get(st, "U", old, &one, 1, &ch), STORE_NOT_FOUND);
	CT_CHECK_INT(store_messages_set_flags(st, "U", old, &one, 1, &fc, &list, &n),
		     STORE_NOT_FOUND);
	CT_CHECK_INT(store_messages_expunge(st, "U", old, NULL, 0, &list, &n), STORE_NOT_FOUND);
	CT_CHECK_INT(store_messages_copy(st, "U", old, &one, 1, "INBOX", false, &cr),
		     STORE_NOT_FOUND);
	CT_CHECK(!cr.to_missing);
	CT_CHECK_INT(store_body_open(st, "U", old, 1, &body), STORE_NOT_FOUND);
	CT_CHECK(body == NULL);
	CT_CHECK_INT(store_body_open(st, "U", old, uid, &body), STORE_NOT_FOUND);
	CT_CHECK_INT(store_mailbox_search_text(st, "U", old, STORE_TEXT_TEXT, NULL, "again",
					       &list, &n), STORE_NOT_FOUND);
	CT_CHECK_INT(store_mailbox_claim_recent(st, "U", old, &first, &next), STORE_NOT_FOUND);
	/* The new one works. */
	CT_CHECK_INT(store_mailbox_changes(st, "U", fresh, 0, &ch), STORE_OK);
	CT_CHECK_INT(ch.changed_count, 1);
	store_changes_free(&ch);
	CT_CHECK_INT(store_mailbox_snapshot(st, "U", false, &snap), STORE_OK);
	CT_CHECK_INT(snap.uidvalidity, fresh);
	store_snapshot_free(&snap);
	/* Every mailbox has its own UIDVALIDITY (RFC 9051 §2.3.1.1: a
	 * UIDVALIDITY with a name identifies the mailbox). */
	CT_CHECK(ct_uidv(st, "INBOX") != fresh);
}

/* RENAME keeps a mailbox's UIDVALIDITY and its UIDs go on ascending. */
static void test_rename_keeps(struct store *st)
{
	uint32_t v = ct_uidv(st, "U"), next = ct_status(st, "U").uidnext;

	CT_CHECK_INT(store_mailbox_rename(st, "U", "V"), STORE_OK);
	CT_CHECK_INT(ct_uidv(st, "V"), v);
	CT_CHECK_INT(ct_append(st, "V", "Subject: renamed\r\n\r\nx\r\n"), next);
	/* The old name is free; made again it is another mailbox. */
	CT_CHECK_INT(store_mailbox_create(st, "U", 0), STORE_OK);
	CT_CHECK(ct_uidv(st, "U") != v);
	CT_CHECK_INT(ct_status(st, "U").uidnext, 1);
}

/* RFC 9051 §9: UIDNEXT must fit an nz-number, so the last UID given is
 * STORE_UID_MAX. Exhausting 2^32 UIDs needs a backend's own probe (the
 * SQLite one: tests/unit/test-store.c test_uid_limit). */
static void test_uid_max(struct store *st)
{
	CT_CHECK_INT(STORE_UID_MAX, 4294967294u);
	CT_CHECK(ct_status(st, "V").uidnext <= (uint64_t)STORE_UID_MAX + 1);
}

void contract_uids(void)
{
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	test_ascending(st);
	test_multiappend(st);
	test_recreate(st);
	test_rename_keeps(st);
	test_uid_max(st);
	ct_check_clean(st);
	store_close(&st);
}
