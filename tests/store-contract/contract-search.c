/* store_mailbox_search_text() (store.h "searching"): substring matches on
 * decoded, case-folded text, per field; the same answers for short needles
 * (no index) as long ones, before and after the indexer ran; expunged
 * messages never match. */
#include <stdlib.h>

#include "contract.h"
#include "core/buf.h"
#include "mail/casefold.h"

#define USER "search"
#define MBOX "S"

/* Needles are at most this long here (folding may grow a few bytes). */
#define NEEDLE_MAX 256

/* UIDs as "1,2" or the result's name. The needle is given as a user types
 * it and folded as the IMAP layer folds it (casefold.h), which is what
 * store.h asks of a caller. */
static const char *search(struct store *st, enum store_text_field field, const char *header,
			  const char *needle)
{
	static char out[128];
	uint32_t *uids = NULL, n = 0;
	size_t len = 0;
	struct buf folded;

	buf_init(&folded, NEEDLE_MAX);
	casefold_utf8(needle, strlen(needle), &folded);
	enum store_result r = store_mailbox_search_text(st, MBOX, ct_uidv(st, MBOX), field, header,
							folded.data != NULL ? folded.data : "",
							&uids, &n);

	buf_free(&folded);

	if (r != STORE_OK)
		return store_result_name(r);
	out[0] = '\0';
	for (uint32_t i = 0; i < n && len < sizeof(out) - 16; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u", i ? "," : "", uids[i]);
	free(uids);
	return out;
}

#define CT_CHECK_SEARCH(st, field, header, needle, want) do { \
	const char *got_ = search(st, field, header, needle); \
	if (strcmp(got_, (want)) == 0) { ct_passed++; } else { \
		ct_fail(__FILE__, __LINE__, "search " needle, 0, 0); \
		printf("  got \"%s\" want \"%s\"\n", got_, (want)); } \
} while (0)

/* Every answer, asked the same way at each stage of indexing. */
static void answers(struct store *st)
{
	/* RFC 2047 decoded, case-folded (é kept, "ß" folded to "ss"). */
	CT_CHECK_SEARCH(st, STORE_TEXT_SUBJECT, NULL, "CAFÉ olé", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_SUBJECT, NULL, "caf", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_BODY, NULL, "STRASSE", "1");
	/* Short needles: read from the text, the same rules. */
	CT_CHECK_SEARCH(st, STORE_TEXT_SUBJECT, NULL, "é", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_FROM, NULL, "zo", "1");
	/* Fields keep apart. */
	CT_CHECK_SEARCH(st, STORE_TEXT_FROM, NULL, "amy@", "2,3");
	CT_CHECK_SEARCH(st, STORE_TEXT_TO, NULL, "bob@", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_CC, NULL, "carl", "2");
	CT_CHECK_SEARCH(st, STORE_TEXT_BCC, NULL, "carl", "");
	CT_CHECK_SEARCH(st, STORE_TEXT_SUBJECT, NULL, "needleword", "");
	CT_CHECK_SEARCH(st, STORE_TEXT_BODY, NULL, "needleword", "1");
	/* A base64 text part is searched decoded. */
	CT_CHECK_SEARCH(st, STORE_TEXT_BODY, NULL, "treasure inside", "2");
	CT_CHECK_SEARCH(st, STORE_TEXT_BODY, NULL, "sgskzgvu", "");
	/* TEXT: header or body. */
	CT_CHECK_SEARCH(st, STORE_TEXT_TEXT, NULL, "filler", "3");
	CT_CHECK_SEARCH(st, STORE_TEXT_TEXT, NULL, "example.org", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_TEXT, NULL, "nothing special", "3");
	/* Substrings, not words. */
	CT_CHECK_SEARCH(st, STORE_TEXT_SUBJECT, NULL, "ller", "3");
	/* HEADER: by field name; an empty needle matches every message with
	 * the field (RFC 9051 §6.4.4). */
	CT_CHECK_SEARCH(st, STORE_TEXT_HEADER, "x-tag", "alpha", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_HEADER, "x-tag", "", "1");
	CT_CHECK_SEARCH(st, STORE_TEXT_HEADER, "subject", "", "1,2,3");
	CT_CHECK_SEARCH(st, STORE_TEXT_HEADER, "x-none", "", "");
	CT_CHECK_SEARCH(st, STORE_TEXT_HEADER, NULL, "x-tag: alpha", "1");
	/* Nothing matches. */
	CT_CHECK_SEARCH(st, STORE_TEXT_TEXT, NULL, "zzzqqq", "");
}

void contract_search(void)
{
	struct store *st = ct_open(USER);
	uint32_t *uids = NULL, n = 0;

	if (st == NULL)
		return;
	CT_CHECK_INT(store_mailbox_create(st, MBOX, 0), STORE_OK);
	CT_CHECK_INT(ct_append(st, MBOX, "Subject: =?UTF-8?Q?Caf=C3=A9_OL=C3=89?=\r\n"
			       "From: Zoe Zed <zoe@example.org>\r\nTo: bob@example.net\r\n"
			       "X-Tag: Alpha\r\n\r\nStra\xc3\x9f" "e and NEEDLEWORD\r\n"), 1);
	CT_CHECK_INT(ct_append(st, MBOX, "Subject: plain words\r\nFrom: amy@example.com\r\n"
			       "Cc: carl@example.com\r\nMIME-Version: 1.0\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: base64\r\n\r\n"
			       "SGlkZGVuIHRyZWFzdXJlIGluc2lkZSBiYXNlNjQNCg==\r\n"), 2);
	CT_CHECK_INT(ct_append(st, MBOX, "Subject: Filler\r\nFrom: amy@example.com\r\n\r\n"
			       "nothing special\r\n"), 3);
	CT_CHECK_INT(ct_append(st, MBOX, "Subject: doomed needleword filler\r\n"
			       "From: amy@example.com\r\nX-Tag: alpha\r\n\r\nnothing special\r\n"), 4);
	uint32_t four = 4;
	CT_CHECK_INT(ct_expunge(st, MBOX, &four, 1), 1);
	answers(st);      /* text waiting for the indexer */
	ct_index(USER);
	answers(st);      /* indexed */
	store_close(&st);
	st = ct_open(USER);
	if (st == NULL)
		return;
	answers(st);      /* a new handle */
	CT_CHECK_INT(store_mailbox_search_text(st, "Nowhere", 1, STORE_TEXT_BODY, NULL, "x", &uids,
					       &n), STORE_NOT_FOUND);
	CT_CHECK(uids == NULL && n == 0);
	ct_check_clean(st);
	store_close(&st);
}
