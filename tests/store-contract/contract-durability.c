/* Durability (store.h "Durability"): a change answered STORE_OK is seen by
 * a handle opened afterwards, and after every handle is closed and a new
 * one opened; nothing is remembered only by the handle that made it. */
#include <stdlib.h>

#include "contract.h"

#define USER "durability"

/* What a reader sees of a mailbox, to compare two handles' views. */
struct view {
	struct store_mailbox_status status;
	uint32_t count;
	uint32_t uids[8];
	uint32_t flags[8];
	uint64_t modseqs[8];
	unsigned int keyword_count;
	char keyword0[STORE_KEYWORD_MAX + 1];
};

static struct view view_of(struct store *st, const char *mailbox)
{
	struct view v;
	struct store_snapshot snap;

	memset(&v, 0, sizeof(v));
	v.status = ct_status(st, mailbox);
	CT_CHECK_INT(store_mailbox_snapshot(st, mailbox, false, &snap), STORE_OK);
	v.count = snap.count;
	for (uint32_t i = 0; i < snap.count && i < 8; i++) {
		v.uids[i] = snap.messages[i].uid;
		v.flags[i] = snap.messages[i].flags;
		v.modseqs[i] = snap.messages[i].modseq;
	}
	v.keyword_count = snap.keyword_count;
	if (snap.keyword_count > 0)
		snprintf(v.keyword0, sizeof(v.keyword0), "%s", snap.keywords[0]);
	store_snapshot_free(&snap);
	return v;
}

static void same_view(const struct view *a, const struct view *b)
{
	CT_CHECK_INT(b->status.uidvalidity, a->status.uidvalidity);
	CT_CHECK_INT(b->status.uidnext, a->status.uidnext);
	CT_CHECK_INT(b->status.highestmodseq, a->status.highestmodseq);
	CT_CHECK_INT(b->status.messages, a->status.messages);
	CT_CHECK_INT(b->status.unseen, a->status.unseen);
	CT_CHECK_INT(b->status.size, a->status.size);
	CT_CHECK_INT(b->count, a->count);
	CT_CHECK(memcmp(b->uids, a->uids, sizeof(a->uids)) == 0);
	CT_CHECK(memcmp(b->flags, a->flags, sizeof(a->flags)) == 0);
	CT_CHECK(memcmp(b->modseqs, a->modseqs, sizeof(a->modseqs)) == 0);
	CT_CHECK_INT(b->keyword_count, a->keyword_count);
	CT_CHECK(strcmp(b->keyword0, a->keyword0) == 0);
}

static bool find_mailbox(const struct store_mailbox_info *info, void *ctx)
{
	const char **want = ctx;

	if (strcmp(info->name, want[0]) == 0)
		want[1] = info->subscribed ? "subscribed" : "exists";
	return true;
}

static const char *listed(struct store *st, const char *name)
{
	const char *want[2] = { name, "absent" };

	CT_CHECK_INT(store_mailbox_list(st, find_mailbox, want), STORE_OK);
	return want[1];
}

void contract_durability(void)
{
	struct store *a = ct_open(USER), *b, *c;
	const char *kw[] = { "$Label1" };

	if (a == NULL)
		return;
	/* Every kind of change, made through handle a. */
	CT_CHECK_INT(store_mailbox_create(a, "Kept", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(a, "Gone", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(a, "Old", 0), STORE_OK);
	CT_CHECK_INT(ct_append(a, "Kept", "Subject: one\r\n\r\nfirst\r\n"), 1);
	CT_CHECK_INT(ct_append_kw(a, "Kept", "Subject: two\r\n\r\nsecond\r\n", STORE_FLAG_DRAFT,
				  kw, 1), 2);
	CT_CHECK_INT(ct_append(a, "Kept", "Subject: three\r\n\r\nthird\r\n"), 3);
	ct_flags(a, "Kept", 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	uint32_t two = 2;
	CT_CHECK_INT(ct_expunge(a, "Kept", &two, 1), 1);
	CT_CHECK_INT(store_mailbox_delete(a, "Gone"), STORE_OK);
	CT_CHECK_INT(store_mailbox_rename(a, "Old", "New"), STORE_OK);
	CT_CHECK_INT(store_mailbox_subscribe(a, "New", true), STORE_OK);
	struct view before = view_of(a, "Kept");
	CT_CHECK_INT(before.count, 2);
	CT_CHECK_INT(before.uids[0], 1);
	CT_CHECK_INT(before.uids[1], 3);
	CT_CHECK_INT(before.flags[0], STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);

	/* A second handle, opened afterwards while a is still open. */
	b = ct_open(USER);
	if (b != NULL) {
		struct view seen = view_of(b, "Kept");

		same_view(&before, &seen);
		CT_CHECK(strcmp(listed(b, "Gone"), "absent") == 0);
		CT_CHECK(strcmp(listed(b, "Old"), "absent") == 0);
		CT_CHECK(strcmp(listed(b, "New"), "subscribed") == 0);
		/* And the other way round: b's change is seen by a. */
		CT_CHECK_INT(ct_append(b, "Kept", "Subject: four\r\n\r\nfrom b\r\n"), 4);
		CT_CHECK_INT(ct_status(a, "Kept").messages, 3);
		CT_CHECK_INT(ct_status(a, "Kept").uidnext, 5);
		before = view_of(a, "Kept");
		store_close(&b);
		CT_CHECK(b == NULL);
	}
	store_close(&a);

	/* Every handle closed, a new one opened. */
	c = ct_open(USER);
	if (c != NULL) {
		struct view seen = view_of(c, "Kept");

		same_view(&before, &seen);
		CT_CHECK(strcmp(listed(c, "New"), "subscribed") == 0);
		CT_CHECK(strcmp(listed(c, "Gone"), "absent") == 0);
		/* The bodies too, byte for byte. */
		struct store_body *body = NULL;
		char got[32];
		const char *want = "Subject: four\r\n\r\nfrom b\r\n";

		CT_CHECK_INT(store_body_open(c, "Kept", before.status.uidvalidity, 4, &body),
			     STORE_OK);
		if (body != NULL) {
			CT_CHECK_INT(store_body_size(body), strlen(want));
			CT_CHECK_INT(store_body_read(body, 0, got, strlen(want)), STORE_OK);
			CT_CHECK(memcmp(got, want, strlen(want)) == 0);
			store_body_close(&body);
		}
		ct_check_clean(c);
		store_close(&c);
	}
}
