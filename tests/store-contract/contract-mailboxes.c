/* Mailboxes: CREATE, DELETE, RENAME and subscriptions as store.h states
 * them (RFC 9051 §6.3.4-6.3.8), and names the store refuses. */
#include <stdlib.h>

#include "contract.h"

#define USER "mailboxes"

struct listing {
	char text[2048];
	size_t len;
};

static bool list_cb(const struct store_mailbox_info *info, void *ctx)
{
	struct listing *l = ctx;

	if (l->len < sizeof(l->text))
		l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
					   "%s%s%s%s%s;", info->name,
					   info->subscribed ? " sub" : "",
					   info->noselect ? " noselect" : "",
					   info->nonexistent ? " nonexistent" : "",
					   info->has_children ? " children" : "");
	return true;
}

/* The listing, "name flags;" in name order. */
static const char *list(struct store *st)
{
	static struct listing l;

	memset(&l, 0, sizeof(l));
	CT_CHECK_INT(store_mailbox_list(st, list_cb, &l), STORE_OK);
	return l.text;
}

#define CT_CHECK_LIST(st, want) do { \
	const char *got_ = list(st); \
	if (strcmp(got_, (want)) == 0) { ct_passed++; } else { \
		ct_fail(__FILE__, __LINE__, "listing", 0, 0); \
		printf("  got  %s\n  want %s\n", got_, (want)); } \
} while (0)

static bool stop_at_first(const struct store_mailbox_info *info, void *ctx)
{
	(void)info;
	(*(int *)ctx)++;
	return false;
}

static void test_defaults_and_create(struct store *st)
{
	/* A new store has INBOX and the special-use mailboxes, subscribed. */
	CT_CHECK_LIST(st, "Archive sub;Drafts sub;INBOX sub;Junk sub;Sent sub;Trash sub;");
	int calls = 0;
	CT_CHECK_INT(store_mailbox_list(st, stop_at_first, &calls), STORE_OK);
	CT_CHECK_INT(calls, 1);
	/* Missing parents are made \Noselect-free mailboxes of their own. */
	CT_CHECK_INT(store_mailbox_create(st, "a/b/c", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "a/b/c", 0), STORE_EXISTS);
	CT_CHECK_INT(store_mailbox_create(st, "a", 0), STORE_EXISTS);
	CT_CHECK_INT(store_mailbox_create(st, "INBOX", 0), STORE_EXISTS);
	CT_CHECK_INT(ct_status(st, "a").messages, 0);
	/* Names the store refuses whoever asks (store.h "Names"). */
	const char *bad[] = { "", "a//b", "/a", "a/", "../x", "a/./b", "inbox", "Inbox/x",
			      "tab\there", "star*", "pct%" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CT_CHECK_INT(store_mailbox_create(st, bad[i], 0), STORE_INVALID);
		CT_CHECK_INT(store_mailbox_rename(st, "a", bad[i]), STORE_INVALID);
	}
	char deep[200] = "";
	for (int i = 0; i <= STORE_MAILBOX_DEPTH_MAX; i++)
		strcat(deep, i == 0 ? "d" : "/d");
	CT_CHECK(store_mailbox_create(st, deep, 0) != STORE_OK);
	char longname[STORE_MAILBOX_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CT_CHECK(store_mailbox_create(st, longname, 0) != STORE_OK);
}

/* RFC 9051 §6.3.5. */
static void test_delete(struct store *st)
{
	struct store_mailbox_status s;
	struct store_snapshot snap;

	CT_CHECK_INT(store_mailbox_delete(st, "INBOX"), STORE_NOT_ALLOWED);
	CT_CHECK_INT(store_mailbox_delete(st, "nothere"), STORE_NOT_FOUND);
	/* With children: its messages go, it stays as \Noselect. */
	CT_CHECK_INT(ct_append(st, "a", "Subject: x\r\n\r\nx\r\n"), 1);
	CT_CHECK_INT(store_mailbox_delete(st, "a"), STORE_OK);
	CT_CHECK_LIST(st, "Archive sub;Drafts sub;INBOX sub;Junk sub;Sent sub;Trash sub;"
		      "a noselect children;a/b children;a/b/c;");
	CT_CHECK_INT(store_mailbox_status(st, "a", &s), STORE_NOT_ALLOWED);
	CT_CHECK_INT(store_mailbox_snapshot(st, "a", false, &snap), STORE_NOT_ALLOWED);
	CT_CHECK_INT(store_mailbox_delete(st, "a"), STORE_NOT_ALLOWED);
	struct store_append ap = { .blob = ct_blob(st, "x") };
	uint32_t uidv, uid;
	CT_CHECK_INT(store_messages_append(st, "a", &ap, 1, &uidv, &uid), STORE_NOT_ALLOWED);
	store_blob_free(&ap.blob);
	/* Created again: selectable, empty. */
	CT_CHECK_INT(store_mailbox_create(st, "a", 0), STORE_OK);
	CT_CHECK_INT(ct_status(st, "a").messages, 0);
	CT_CHECK_INT(store_mailbox_delete(st, "a"), STORE_OK);
	/* Leaves first; a \Noselect leaf then goes. */
	CT_CHECK_INT(store_mailbox_delete(st, "a/b/c"), STORE_OK);
	CT_CHECK_INT(store_mailbox_delete(st, "a/b"), STORE_OK);
	CT_CHECK_INT(store_mailbox_delete(st, "a"), STORE_OK);
	CT_CHECK_LIST(st, "Archive sub;Drafts sub;INBOX sub;Junk sub;Sent sub;Trash sub;");
}

/* RFC 9051 §6.3.6. */
static void test_rename(struct store *st)
{
	CT_CHECK_INT(store_mailbox_create(st, "p/q", 0), STORE_OK);
	CT_CHECK_INT(ct_append(st, "p/q", "Subject: q\r\n\r\nq\r\n"), 1);
	uint32_t v = ct_uidv(st, "p/q");

	/* Children move along; missing parents of the new name appear. */
	CT_CHECK_INT(store_mailbox_rename(st, "p", "r/s"), STORE_OK);
	CT_CHECK_LIST(st, "Archive sub;Drafts sub;INBOX sub;Junk sub;Sent sub;Trash sub;"
		      "r children;r/s children;r/s/q;");
	CT_CHECK_INT(ct_uidv(st, "r/s/q"), v);
	CT_CHECK_INT(ct_status(st, "r/s/q").messages, 1);
	CT_CHECK_INT(store_mailbox_rename(st, "nothere", "x"), STORE_NOT_FOUND);
	CT_CHECK_INT(store_mailbox_rename(st, "r/s", "Sent"), STORE_EXISTS);
	CT_CHECK_INT(store_mailbox_rename(st, "r/s", "r"), STORE_EXISTS);
	/* Into itself. */
	CT_CHECK_INT(store_mailbox_rename(st, "r", "r/x"), STORE_INVALID);
	/* A name the old one is only a prefix of is not inside it. */
	CT_CHECK_INT(store_mailbox_rename(st, "r", "rr"), STORE_OK);
	CT_CHECK_INT(ct_status(st, "rr/s/q").messages, 1);
	CT_CHECK_INT(store_mailbox_rename(st, "rr", "r"), STORE_OK);

	/* RENAME INBOX: its messages move to the new mailbox (another
	 * UIDVALIDITY), INBOX stays, empty, its UIDVALIDITY kept and its
	 * UIDNEXT not lowered; a session with INBOX selected learns of the
	 * moved messages as expunges. */
	CT_CHECK_INT(store_mailbox_create(st, "INBOX/child", 0), STORE_OK);
	CT_CHECK_INT(ct_append_kw(st, "INBOX", "Subject: i1\r\n\r\n1\r\n", STORE_FLAG_SEEN, NULL,
				  0), 1);
	CT_CHECK_INT(ct_append(st, "INBOX", "Subject: i2\r\n\r\n2\r\n"), 2);
	struct store_mailbox_status before = ct_status(st, "INBOX");

	CT_CHECK_INT(store_mailbox_rename(st, "INBOX", "Old/Inbox"), STORE_OK);
	struct store_mailbox_status after = ct_status(st, "INBOX"), moved = ct_status(st, "Old/Inbox");

	CT_CHECK_INT(after.uidvalidity, before.uidvalidity);
	CT_CHECK(after.uidnext >= before.uidnext);
	CT_CHECK_INT(after.messages, 0);
	CT_CHECK(after.highestmodseq > before.highestmodseq);
	CT_CHECK(moved.uidvalidity != before.uidvalidity);
	CT_CHECK_INT(moved.messages, 2);
	CT_CHECK_INT(moved.unseen, 1);
	struct store_changes ch;

	CT_CHECK_INT(store_mailbox_changes(st, "INBOX", before.uidvalidity, before.highestmodseq,
					   &ch), STORE_OK);
	CT_CHECK_INT(ch.changed_count, 0);
	CT_CHECK_INT(ch.expunged_count, 2);
	if (ch.expunged_count == 2) {
		CT_CHECK_INT(ch.expunged[0], 1);
		CT_CHECK_INT(ch.expunged[1], 2);
	}
	store_changes_free(&ch);
	/* Its children stay where they are. */
	CT_CHECK(strstr(list(st), "INBOX sub children;INBOX/child;") != NULL);
	CT_CHECK(ct_append(st, "INBOX", "Subject: i3\r\n\r\n3\r\n") >= before.uidnext);
}

static void test_subscriptions(struct store *st)
{
	/* A name may be subscribed without existing (RFC 9051 §6.3.7). */
	CT_CHECK_INT(store_mailbox_subscribe(st, "ghost", true), STORE_OK);
	CT_CHECK(strstr(list(st), "ghost sub noselect nonexistent;") != NULL);
	CT_CHECK_INT(store_mailbox_subscribe(st, "ghost", false), STORE_OK);
	CT_CHECK(strstr(list(st), "ghost") == NULL);
	CT_CHECK_INT(store_mailbox_subscribe(st, "Sent", false), STORE_OK);
	CT_CHECK(strstr(list(st), ";Sent;") != NULL);
	CT_CHECK_INT(store_mailbox_subscribe(st, "a//b", true), STORE_INVALID);
}

void contract_mailboxes(void)
{
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	test_defaults_and_create(st);
	test_delete(st);
	test_rename(st);
	test_subscriptions(st);
	ct_check_clean(st);
	store_close(&st);
}
