/* Messages: COPY and MOVE results (RFC 9051 §6.4.7, RFC 6851, COPYUID of
 * RFC 4315), EXPUNGE of \Deleted only, flags and the keyword limit, and
 * blobs (bytes kept as store.h says, bodies readable after an expunge and
 * after their handle is closed, sizes above the APPENDLIMIT refused). */
#include <stdlib.h>

#include "contract.h"

#define USER "messages"

struct read_one {
	uint32_t count;
	struct store_message_info first;
};

static bool read_cb(const struct store_message_info *info, void *ctx)
{
	struct read_one *r = ctx;

	if (r->count++ == 0)
		r->first = *info;   /* the scalar fields only are used */
	return true;
}

static void test_copy_move(struct store *st)
{
	const char *kw[] = { "Work" };
	struct store_append a = {
		.blob = ct_blob(st, "Subject: dated\r\n\r\nd\r\n"), .flags = STORE_FLAG_FLAGGED,
		.keywords = kw, .keyword_count = 1, .internaldate = 1600000000,
		.internaldate_zone_min = -300,
	};
	uint32_t uidv, uid;

	CT_CHECK_INT(store_mailbox_create(st, "Src", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "Dst", 0), STORE_OK);
	CT_CHECK_INT(ct_append(st, "Src", "Subject: s1\r\n\r\n1\r\n"), 1);
	CT_CHECK_INT(store_messages_append(st, "Src", &a, 1, &uidv, &uid), STORE_OK);
	CT_CHECK_INT(uid, 2);
	store_blob_free(&a.blob);
	CT_CHECK_INT(ct_append(st, "Src", "Subject: s3\r\n\r\n3\r\n"), 3);
	CT_CHECK_INT(ct_append(st, "Dst", "Subject: d1\r\n\r\nx\r\n"), 1);

	/* Listed UIDs in any order, with duplicates and missing ones: the
	 * existing ones are copied in UID order, above the target's UIDNEXT. */
	uint32_t uids[] = { 3, 2, 99, 2 };
	struct store_copy_result cr;

	CT_CHECK_INT(store_messages_copy(st, "Src", ct_uidv(st, "Src"), uids, 4, "Dst", false, &cr),
		     STORE_OK);
	CT_CHECK_INT(cr.dest_uidvalidity, ct_uidv(st, "Dst"));
	CT_CHECK_INT(cr.count, 2);
	CT_CHECK(!cr.to_missing);
	if (cr.count == 2) {
		CT_CHECK_INT(cr.src_uids[0], 2);
		CT_CHECK_INT(cr.src_uids[1], 3);
		CT_CHECK_INT(cr.dest_uids[0], 2);
		CT_CHECK_INT(cr.dest_uids[1], 3);
	}
	store_copy_result_free(&cr);
	CT_CHECK_INT(ct_status(st, "Src").messages, 3);
	CT_CHECK_INT(ct_status(st, "Dst").messages, 3);
	/* RFC822.SIZE: 18 + 21 + 18 bytes. */
	CT_CHECK_INT(ct_status(st, "Dst").size, 57);
	/* Flags, keywords (by name) and INTERNALDATE came along. */
	struct read_one r = { 0 };
	uint32_t two = 2;
	CT_CHECK_INT(store_messages_read(st, "Dst", ct_uidv(st, "Dst"), &two, 1, 0, read_cb, &r),
		     STORE_OK);
	CT_CHECK_INT(r.count, 1);
	CT_CHECK_INT(r.first.flags, STORE_FLAG_FLAGGED);
	CT_CHECK_INT(r.first.internaldate, 1600000000);
	CT_CHECK_INT(r.first.internaldate_zone_min, -300);
	uint64_t modseq = r.first.modseq;
	/* STORE_READ_FLAGS_ONLY: the same UID, flags, keywords and modseq (a
	 * backend may leave the rest empty). */
	r = (struct read_one){ 0 };
	CT_CHECK_INT(store_messages_read(st, "Dst", ct_uidv(st, "Dst"), &two, 1,
					 STORE_READ_FLAGS_ONLY, read_cb, &r), STORE_OK);
	CT_CHECK_INT(r.count, 1);
	CT_CHECK_INT(r.first.uid, 2);
	CT_CHECK_INT(r.first.flags, STORE_FLAG_FLAGGED);
	CT_CHECK_INT(r.first.keywords, 1);
	CT_CHECK_INT(r.first.modseq, modseq);
	CT_CHECK(modseq > 0);
	struct store_snapshot snap;
	CT_CHECK_INT(store_mailbox_snapshot(st, "Dst", false, &snap), STORE_OK);
	CT_CHECK_INT(snap.keyword_count, 1);
	if (snap.keyword_count == 1 && snap.count == 3) {
		CT_CHECK(strcmp(snap.keywords[0], "Work") == 0);
		CT_CHECK_INT(snap.messages[1].keywords, 1);
	}
	store_snapshot_free(&snap);

	/* TRYCREATE, a stale UIDVALIDITY, a \Noselect target. */
	CT_CHECK_INT(store_messages_copy(st, "Src", ct_uidv(st, "Src"), uids, 1, "Nowhere", false,
					 &cr), STORE_NOT_FOUND);
	CT_CHECK(cr.to_missing);
	CT_CHECK_INT(store_messages_copy(st, "Src", ct_uidv(st, "Src") + 1, uids, 1, "Dst", false,
					 &cr), STORE_NOT_FOUND);
	CT_CHECK(!cr.to_missing);
	CT_CHECK_INT(store_mailbox_create(st, "Par/Kid", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_delete(st, "Par"), STORE_OK);
	CT_CHECK_INT(store_messages_copy(st, "Src", ct_uidv(st, "Src"), uids, 1, "Par", false, &cr),
		     STORE_NOT_ALLOWED);
	/* Nothing left to copy is not an error. */
	uint32_t gone = 77;
	CT_CHECK_INT(store_messages_copy(st, "Src", ct_uidv(st, "Src"), &gone, 1, "Dst", false,
					 &cr), STORE_OK);
	CT_CHECK_INT(cr.count, 0);
	store_copy_result_free(&cr);

	/* MOVE: the same result, and the source loses them. */
	uint32_t mv[] = { 1, 3 };
	CT_CHECK_INT(store_messages_copy(st, "Src", ct_uidv(st, "Src"), mv, 2, "Dst", true, &cr),
		     STORE_OK);
	CT_CHECK_INT(cr.count, 2);
	if (cr.count == 2) {
		CT_CHECK_INT(cr.src_uids[0], 1);
		CT_CHECK_INT(cr.src_uids[1], 3);
		CT_CHECK_INT(cr.dest_uids[0], 4);
		CT_CHECK_INT(cr.dest_uids[1], 5);
	}
	store_copy_result_free(&cr);
	CT_CHECK_INT(ct_status(st, "Src").messages, 1);
	CT_CHECK_INT(ct_status(st, "Dst").messages, 5);
	/* The moved bytes are the message's. */
	struct store_body *body = NULL;
	char got[20];
	CT_CHECK_INT(store_body_open(st, "Dst", ct_uidv(st, "Dst"), 5, &body), STORE_OK);
	if (body != NULL) {
		CT_CHECK_INT(store_body_size(body), 18);
		CT_CHECK_INT(store_body_read(body, 0, got, 18), STORE_OK);
		CT_CHECK(memcmp(got, "Subject: s3\r\n\r\n3\r\n", 18) == 0);
		store_body_close(&body);
	}
	/* The copy outlives its original. */
	uint32_t src2 = 2;
	CT_CHECK_INT(ct_expunge(st, "Src", &src2, 1), 1);
	CT_CHECK_INT(store_body_open(st, "Dst", ct_uidv(st, "Dst"), 2, &body), STORE_OK);
	if (body != NULL) {
		CT_CHECK_INT(store_body_size(body), 21);
		store_body_close(&body);
	}
}

/* EXPUNGE removes \Deleted messages only, and with a UID set only those. */
static void test_expunge(struct store *st)
{
	uint32_t v = ct_uidv(st, "Dst"), *gone = NULL, n = 0;

	ct_flags(st, "Dst", 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED);
	ct_flags(st, "Dst", 3, STORE_FLAGS_ADD, STORE_FLAG_DELETED);
	uint32_t only[] = { 2, 3 };
	CT_CHECK_INT(store_messages_expunge(st, "Dst", v, only, 2, &gone, &n), STORE_OK);
	CT_CHECK_INT(n, 1);
	if (n == 1)
		CT_CHECK_INT(gone[0], 3);
	free(gone);
	CT_CHECK_INT(store_messages_expunge(st, "Dst", v, NULL, 0, &gone, &n), STORE_OK);
	CT_CHECK_INT(n, 1);
	if (n == 1)
		CT_CHECK_INT(gone[0], 1);
	free(gone);
	CT_CHECK_INT(store_messages_expunge(st, "Dst", v, NULL, 0, &gone, &n), STORE_OK);
	CT_CHECK_INT(n, 0);
	free(gone);
	CT_CHECK_INT(ct_status(st, "Dst").messages, 3);
	CT_CHECK_INT(ct_status(st, "Dst").deleted, 0);
}

/* STORE_KEYWORDS_PER_MAILBOX distinct keywords; the next is STORE_LIMIT
 * and changes nothing. Flags by op. */
static void test_flags_keywords(struct store *st)
{
	CT_CHECK_INT(store_mailbox_create(st, "K", 0), STORE_OK);
	CT_CHECK_INT(ct_append(st, "K", "Subject: k\r\n\r\nk\r\n"), 1);
	uint32_t v = ct_uidv(st, "K"), one = 1, *mod = NULL, n = 0;
	char names[STORE_KEYWORDS_PER_MAILBOX + 1][16];
	const char *kw[1];
	struct store_flag_change fc = { .op = STORE_FLAGS_ADD, .keywords = kw, .keyword_count = 1 };

	for (int i = 0; i <= STORE_KEYWORDS_PER_MAILBOX; i++) {
		snprintf(names[i], sizeof(names[i]), "K%d", i);
		kw[0] = names[i];
		CT_CHECK_INT(store_messages_set_flags(st, "K", v, &one, 1, &fc, &mod, &n),
			     i < STORE_KEYWORDS_PER_MAILBOX ? STORE_OK : STORE_LIMIT);
		free(mod);
		mod = NULL;
	}
	struct store_snapshot snap;
	CT_CHECK_INT(store_mailbox_snapshot(st, "K", false, &snap), STORE_OK);
	CT_CHECK_INT(snap.keyword_count, STORE_KEYWORDS_PER_MAILBOX);
	if (snap.count == 1)
		CT_CHECK(snap.messages[0].keywords == UINT64_MAX);
	store_snapshot_free(&snap);
	/* A keyword already known is not a new one, whatever its case
	 * (RFC 9051 §2.3.2: flags are case-insensitive). */
	kw[0] = "k0";
	fc.op = STORE_FLAGS_REMOVE;
	CT_CHECK_INT(store_messages_set_flags(st, "K", v, &one, 1, &fc, &mod, &n), STORE_OK);
	free(mod);
	CT_CHECK_INT(store_mailbox_snapshot(st, "K", false, &snap), STORE_OK);
	if (snap.count == 1)
		CT_CHECK_INT(snap.messages[0].keywords, UINT64_MAX - 1);
	store_snapshot_free(&snap);
	/* Not an atom (RFC 9051 §9 flag-keyword), or longer than
	 * STORE_KEYWORD_MAX: refused, before the limit is even looked at. */
	char too_long[STORE_KEYWORD_MAX + 2];
	memset(too_long, 'x', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	const char *bad[] = { "", "two words", "\\Seen", "paren(", too_long };
	fc.op = STORE_FLAGS_ADD;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kw[0] = bad[i];
		CT_CHECK_INT(store_messages_set_flags(st, "K", v, &one, 1, &fc, &mod, &n),
			     STORE_INVALID);
		free(mod);
		mod = NULL;
	}
	/* SET replaces system flags and keywords alike. */
	struct store_flag_change set = { .op = STORE_FLAGS_SET,
					 .flags = STORE_FLAG_SEEN | STORE_FLAG_DRAFT };
	CT_CHECK_INT(store_messages_set_flags(st, "K", v, &one, 1, &set, &mod, &n), STORE_OK);
	free(mod);
	CT_CHECK_INT(store_mailbox_snapshot(st, "K", false, &snap), STORE_OK);
	if (snap.count == 1) {
		CT_CHECK_INT(snap.messages[0].flags, STORE_FLAG_SEEN | STORE_FLAG_DRAFT);
		CT_CHECK_INT(snap.messages[0].keywords, 0);
	}
	store_snapshot_free(&snap);
	ct_flags(st, "K", 1, STORE_FLAGS_REMOVE, STORE_FLAG_SEEN);
	CT_CHECK_INT(ct_status(st, "K").unseen, 1);
}

static const char *body_bytes(struct store *st, const char *mailbox, uint32_t uid,
			      uint64_t *size_r)
{
	static char out[128];
	struct store_body *body = NULL;

	out[0] = '\0';
	*size_r = 0;
	if (store_body_open(st, mailbox, ct_uidv(st, mailbox), uid, &body) != STORE_OK)
		return "not found";
	*size_r = store_body_size(body);
	if (*size_r < sizeof(out) && store_body_read(body, 0, out, (size_t)*size_r) == STORE_OK)
		out[*size_r] = '\0';
	store_body_close(&body);
	return out;
}

static void test_blobs(struct store *st)
{
	uint64_t size;

	CT_CHECK_INT(store_mailbox_create(st, "B", 0), STORE_OK);
	CT_CHECK_INT(store_blob_count(st), 0);
	/* A bare LF is stored as CRLF (RFC 5322 line endings), and the size
	 * is the stored one. */
	CT_CHECK_INT(ct_append(st, "B", "Subject: lf\n\nline\nend\r\n"), 1);
	CT_CHECK(strcmp(body_bytes(st, "B", 1, &size), "Subject: lf\r\n\r\nline\r\nend\r\n") == 0);
	CT_CHECK_INT(size, 26);
	CT_CHECK_INT(ct_status(st, "B").size, 26);
	/* Unless asked to keep the bytes (literal8, RFC 3516 §4.4). */
	struct store_blob *b = NULL;
	const char raw[] = "Subject: bin\r\n\r\na\nb\r\n";
	CT_CHECK_INT(store_blob_begin(st, sizeof(raw) - 1, &b), STORE_OK);
	if (b != NULL) {
		store_blob_keep_bytes(b);
		CT_CHECK_INT(store_blob_write(b, raw, sizeof(raw) - 1), STORE_OK);
		CT_CHECK_INT(store_blob_finish(b), STORE_OK);
		CT_CHECK_INT(store_blob_count(st), 1);
		struct store_append a = { .blob = b, .internaldate = 1700000000 };
		uint32_t uidv, uid = 0;
		CT_CHECK_INT(store_messages_append(st, "B", &a, 1, &uidv, &uid), STORE_OK);
		CT_CHECK_INT(uid, 2);
		store_blob_free(&b);
		CT_CHECK(b == NULL);
	}
	CT_CHECK(strcmp(body_bytes(st, "B", 2, &size), raw) == 0);
	CT_CHECK_INT(store_blob_count(st), 0);
	/* Written in pieces: the same as one write. */
	CT_CHECK_INT(store_blob_begin(st, 0, &b), STORE_OK);
	if (b != NULL) {
		const char *piece[] = { "Subject: pie", "ces\r\n\r\nsp", "lit\r", "\n" };
		for (int i = 0; i < 4; i++)
			CT_CHECK_INT(store_blob_write(b, piece[i], strlen(piece[i])), STORE_OK);
		CT_CHECK_INT(store_blob_finish(b), STORE_OK);
		struct store_append a = { .blob = b, .internaldate = 1700000000 };
		uint32_t uidv, uid = 0;
		CT_CHECK_INT(store_messages_append(st, "B", &a, 1, &uidv, &uid), STORE_OK);
		store_blob_free(&b);
	}
	CT_CHECK(strcmp(body_bytes(st, "B", 3, &size), "Subject: pieces\r\n\r\nsplit\r\n") == 0);
	/* A blob never appended leaves nothing behind. */
	b = ct_blob(st, "Subject: unused\r\n\r\nx\r\n");
	CT_CHECK_INT(store_blob_count(st), 1);
	store_blob_free(&b);
	CT_CHECK_INT(store_blob_count(st), 0);
	CT_CHECK_INT(ct_status(st, "B").messages, 3);
	/* Above the APPENDLIMIT (RFC 7889): refused before any byte. */
	uint64_t limit = store_append_limit(ct_store_env());
	CT_CHECK(limit > 0);
	CT_CHECK_INT(store_blob_begin(st, limit + 1, &b), STORE_TOO_BIG);
	CT_CHECK(b == NULL);
	/* Reads: exactly len bytes inside the body, else refused. */
	struct store_body *body = NULL;
	char buf[8];
	CT_CHECK_INT(store_body_open(st, "B", ct_uidv(st, "B"), 1, &body), STORE_OK);
	if (body != NULL) {
		CT_CHECK_INT(store_body_read(body, 21, buf, 5), STORE_OK);
		CT_CHECK(memcmp(buf, "end\r\n", 5) == 0);
		CT_CHECK_INT(store_body_read(body, 22, buf, 5), STORE_INVALID);
		/* Still readable once expunged, while open. */
		uint32_t one = 1;
		CT_CHECK_INT(ct_expunge(st, "B", &one, 1), 1);
		CT_CHECK_INT(store_body_read(body, 0, buf, 8), STORE_OK);
		CT_CHECK(memcmp(buf, "Subject:", 8) == 0);
		store_body_close(&body);
		CT_CHECK(body == NULL);
	}
	CT_CHECK_INT(store_body_open(st, "B", ct_uidv(st, "B"), 1, &body), STORE_NOT_FOUND);
}

/* A body stays readable after its store handle is closed (store.h). */
static void test_body_outlives_handle(void)
{
	struct store *st = ct_open(USER);
	struct store_body *body = NULL;
	char buf[26];

	if (st == NULL)
		return;
	CT_CHECK_INT(store_body_open(st, "B", ct_uidv(st, "B"), 3, &body), STORE_OK);
	store_close(&st);
	if (body != NULL) {
		CT_CHECK_INT(store_body_read(body, 0, buf, 26), STORE_OK);
		CT_CHECK(memcmp(buf, "Subject: pieces\r\n\r\nsplit\r\n", 26) == 0);
		store_body_close(&body);
	}
}

void contract_messages(void)
{
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	test_copy_move(st);
	test_expunge(st);
	test_flags_keywords(st);
	test_blobs(st);
	ct_check_clean(st);
	store_close(&st);
	test_body_outlives_handle();
}
