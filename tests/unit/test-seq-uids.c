/* Sequence sets to the view's UIDs: ranges, '*', bounds, and the cost on a
 * 100,000-message view. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "imap/mailbox-view.h"
#include "imap/seq-uids.h"
#include "unit.h"


static struct mailbox_view *make_view(const uint32_t *uids, uint32_t n)
{
	struct store_snapshot snap = { 0 };

	snap.uidvalidity = 7;
	snap.uidnext = n > 0 ? uids[n - 1] + 1 : 1;
	snap.count = n;
	snap.messages = calloc(n ? n : 1, sizeof(*snap.messages));
	for (uint32_t i = 0; i < n; i++)
		snap.messages[i].uid = uids[i];
	struct mailbox_view *v = mailbox_view_create("INBOX", false, false, &snap);
	free(snap.messages);
	return v;
}

static struct arena *arena;

static const char *resolve(const struct mailbox_view *v, const char *set, bool uid_mode)
{
	static char out[4096];
	uint32_t *uids, n;
	size_t len = 0;

	switch (seq_uids_resolve(v, set, strlen(set), uid_mode, arena, &uids, &n)) {
	case SEQ_UIDS_OK: break;
	case SEQ_UIDS_BAD: return "BAD";
	case SEQ_UIDS_TOO_BIG: return "TOO_BIG";
	case SEQ_UIDS_RANGE: return "RANGE";
	}
	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", i ? "," : "", uids[i]);
	return out;
}

int main(void)
{
	static const uint32_t uids[] = { 3, 5, 8, 9, 12 };
	struct mailbox_view *v = make_view(uids, 5), *empty = make_view(NULL, 0);

	arena = arena_create(4096);
	CHECK_STR(resolve(v, "1", false), "3");
	CHECK_STR(resolve(v, "2:4", false), "5,8,9");
	CHECK_STR(resolve(v, "4:2", false), "5,8,9");
	CHECK_STR(resolve(v, "*", false), "12");
	CHECK_STR(resolve(v, "5,1,3:*", false), "3,8,9,12");
	CHECK_STR(resolve(v, "1:*", false), "3,5,8,9,12");
	CHECK_STR(resolve(v, "6", false), "RANGE");
	CHECK_STR(resolve(v, "1,7:8", false), "RANGE");
	CHECK_STR(resolve(empty, "*", false), "RANGE");
	CHECK_STR(resolve(empty, "1:*", false), "RANGE");
	CHECK_STR(resolve(empty, "1", false), "RANGE");
	CHECK_STR(resolve(v, "0", false), "BAD");
	CHECK_STR(resolve(v, "1,", false), "BAD");
	/* RFC 5182: "$" is the saved result (empty until a SAVE), in UIDs
	 * whatever the mode; saved UIDs no longer in the view drop out. */
	CHECK_STR(resolve(v, "$", false), "");
	static const uint32_t saved[] = { 5, 7, 12 };
	mailbox_view_save_result(v, saved, 3);
	CHECK_STR(resolve(v, "$", false), "5,12");
	CHECK_STR(resolve(v, "$", true), "5,12");
	mailbox_view_save_result(v, NULL, 0);
	CHECK_STR(resolve(v, "$", true), "");

	CHECK_STR(resolve(v, "1:4", true), "3");
	CHECK_STR(resolve(v, "5:9", true), "5,8,9");
	CHECK_STR(resolve(v, "4,6:7,13", true), "");
	CHECK_STR(resolve(v, "*", true), "12");
	CHECK_STR(resolve(v, "559:*", true), "12");   /* RFC 9051 §6.4.9 */
	CHECK_STR(resolve(v, "10:*", true), "12");
	CHECK_STR(resolve(v, "9:*", true), "9,12");
	/* RFC 9051 §9: 4294967295 is a number like any other, not '*' */
	CHECK_STR(resolve(v, "4294967295", true), "");
	CHECK_STR(resolve(v, "13:4294967295", true), "");
	CHECK_STR(resolve(v, "10:4294967295", true), "12");
	CHECK_STR(resolve(v, "1:4294967294", true), "3,5,8,9,12");
	CHECK_STR(resolve(v, "12,3,5:8,8", true), "3,5,8,12");
	CHECK_STR(resolve(empty, "1:*", true), "");
	CHECK_STR(resolve(empty, "*", true), "");

	/* 10,000 ranges pass, one more does not. */
	size_t cap = 10001 * 8;
	char *big = malloc(cap);
	size_t len = 0;
	for (unsigned int i = 0; i < 10000; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s%u", i ? "," : "", i * 2 + 1);
	uint32_t *out, n;
	CHECK_INT(seq_uids_resolve(v, big, len, true, arena, &out, &n), SEQ_UIDS_OK);
	len += (size_t)snprintf(big + len, cap - len, ",99999");
	CHECK_INT(seq_uids_resolve(v, big, len, true, arena, &out, &n), SEQ_UIDS_TOO_BIG);
	free(big);

	/* 100,000 messages with every other UID: linear, not quadratic. */
	uint32_t *many = malloc(100000 * sizeof(uint32_t));
	for (uint32_t i = 0; i < 100000; i++)
		many[i] = i * 2 + 1;
	struct mailbox_view *large = make_view(many, 100000);
	clock_t t0 = clock();
	for (int k = 0; k < 20; k++) {
		arena_reset(arena);
		CHECK_INT(seq_uids_resolve(large, "1:*", 3, false, arena, &out, &n), SEQ_UIDS_OK);
		CHECK_INT(n, 100000);
		CHECK_INT(seq_uids_resolve(large, "1:*", 3, true, arena, &out, &n), SEQ_UIDS_OK);
		CHECK_INT(n, 100000);
		CHECK_INT(out[99999], 199999);
	}
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	free(many);
	mailbox_view_free(&large);
	mailbox_view_free(&v);
	mailbox_view_free(&empty);
	arena_destroy(&arena);
	printf("unit seq-uids: %u passed, %u failed\n", unit_passed, unit_failed);
	return unit_failed > 0;
}
