/* libFuzzer target for mailbox names and LIST patterns. The first byte picks
 * the mode (bit 0: UTF-8); the rest is split at '\n' (a trailing '\r' is
 * dropped) into a name, a LIST reference and a LIST pattern. Checks: a
 * decoded name is valid and re-encodes to exactly the input (only one
 * spelling is ever accepted), encode/decode round trips in both modes,
 * quoting reads back, and the NFA matcher agrees with a plain O(n·m) table
 * on the compiled pattern, including match_parent on a child.
 * Built and run by `make fuzz` (see the Makefile). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "imap/list-match.h"
#include "auth/passdb.h"
#include "imap/mailbox-name.h"
#include "imap/mailbox-ref.h"
#include "store/acl.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do { if (!(cond)) abort(); } while (0)

/* Reference matcher; t[i][j]: pat[0..i) matches name[0..j). */
static bool dp_match(const char *pat, const char *name)
{
	static bool t[LIST_PATTERN_MAX + 1][STORE_MAILBOX_NAME_MAX + 8];
	size_t m = strlen(pat), n = strlen(name);

	check(m <= LIST_PATTERN_MAX && n < STORE_MAILBOX_NAME_MAX + 8);
	for (size_t j = 0; j <= n; j++)
		t[0][j] = j == 0;
	for (size_t i = 1; i <= m; i++) {
		char c = pat[i - 1];

		for (size_t j = 0; j <= n; j++) {
			if (c == '*' || c == '%')
				t[i][j] = t[i - 1][j] || (j > 0 && t[i][j - 1] &&
							  (c == '*' || name[j - 1] != '/'));
			else
				t[i][j] = j > 0 && t[i - 1][j - 1] && name[j - 1] == c;
		}
	}
	return t[m][n];
}

static bool same(const struct buf *b, const char *s, size_t len)
{
	return b->len == len && (len == 0 || memcmp(b->data, s, len) == 0);
}

/* A quoted/atom/literal form read back equals name. */
static void check_quote(const char *name)
{
	struct buf q, back;

	buf_init(&q, 4 * STORE_MAILBOX_NAME_MAX + 64);
	buf_init(&back, 4 * STORE_MAILBOX_NAME_MAX + 64);
	mailbox_name_quote(name, &q);
	check(!q.overflow && q.len > 0);
	if (q.data[0] == '"') {
		check(q.len >= 2 && q.data[q.len - 1] == '"');
		for (size_t i = 1; i + 1 < q.len; i++) {
			if (q.data[i] == '\\')
				i++;
			check(q.data[i] != '\r' && q.data[i] != '\n');
			buf_append_char(&back, q.data[i]);
		}
		check(same(&back, name, strlen(name)));
	} else {
		check(q.data[0] != '{');   /* validated names have no CR/LF */
		check(strcmp(q.data, name) == 0 && strcasecmp(name, "NIL") != 0);
		for (const char *c = name; *c != '\0'; c++)
			check(strchr("(){%*\"\\] ", *c) == NULL && *c > 0x20 && *c < 0x7f);
	}
	buf_free(&q);
	buf_free(&back);
}

/* Invariants of one client name: mode utf8 or not. Returns the store name
 * in out (empty when refused). */
static void check_name(const char *in, size_t len, bool utf8, struct buf *out)
{
	const char *error = NULL;
	struct buf enc, dec;

	buf_clear(out);
	if (!mailbox_name_from_client(in, len, utf8, out, &error)) {
		check(error != NULL && out->len == 0);
		return;
	}
	check(out->len > 0 && out->len <= STORE_MAILBOX_NAME_MAX && strlen(out->data) == out->len);
	check(store_mailbox_name_valid(out->data, out->len, &error));

	buf_init(&enc, 8 * STORE_MAILBOX_NAME_MAX);
	buf_init(&dec, STORE_MAILBOX_NAME_MAX);
	/* The input, with the INBOX spelling the store uses. */
	char *canon = malloc(len + 1);
	memcpy(canon, in, len);
	canon[len] = '\0';
	if (len >= 5 && (len == 5 || canon[5] == '/') && strncasecmp(canon, "INBOX", 5) == 0)
		memcpy(canon, "INBOX", 5);

	check(mailbox_name_to_client(out->data, utf8, &enc));
	check(same(&enc, canon, len));   /* the one canonical spelling */
	buf_clear(&enc);
	check(mailbox_name_to_client(out->data, !utf8, &enc));
	check(mailbox_name_from_client(enc.data, enc.len, !utf8, &dec, &error));
	check(same(&dec, out->data, out->len));
	for (size_t i = 0; !utf8 && i < len; i++)
		check((unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f);
	check_quote(canon);
	free(canon);
	buf_free(&enc);
	buf_free(&dec);
}

/* mailbox_name_decode alone (wildcards, '/' anywhere): decoding accepts
 * only the spelling the encoder writes. */
static void check_decode(const char *in, size_t len)
{
	const char *error = NULL;
	struct buf dec, enc;

	buf_init(&dec, 4 * len + 16);
	buf_init(&enc, 8 * len + 16);
	if (mailbox_name_decode(in, len, false, 4 * len + 16, &dec, &error)) {
		check(mailbox_name_to_client(dec.len == 0 ? "" : dec.data, false, &enc));
		check(same(&enc, in, len));
		check(mailbox_name_decode(dec.data, dec.len, true, dec.len, &enc, &error));
	} else {
		check(error != NULL && dec.len == 0);
	}
	buf_free(&dec);
	buf_free(&enc);
}

static void check_list(const char *ref, size_t ref_len, const char *pat, size_t pat_len,
		       bool utf8, const struct buf *name, const char *suffix)
{
	struct arena *arena = arena_create(4096);
	struct list_pattern *p = NULL;
	const char *error = NULL;

	if (!list_pattern_compile(arena, ref, ref_len, pat, pat_len, utf8, &p, &error)) {
		check(error != NULL && p == NULL);
		arena_destroy(&arena);
		return;
	}
	const char *text = list_pattern_text(p);
	unsigned int wildcards = 0;
	check(strlen(text) <= LIST_PATTERN_MAX);
	for (const char *c = text; *c != '\0'; c++) {
		if (*c == '*' || *c == '%') {
			wildcards++;
			check(c[1] != '*' && c[1] != '%');
		}
	}
	check(wildcards <= LIST_PATTERN_WILDCARDS_MAX);
	if (name->len > 0) {
		check(list_pattern_match(p, name->data) == dp_match(text, name->data));
		/* A child that matches makes name a parent. */
		char child[STORE_MAILBOX_NAME_MAX + 8];
		size_t n = name->len, s = strnlen(suffix, 6);
		if (s > 0 && n + 1 + s < sizeof(child)) {
			memcpy(child, name->data, n);
			child[n] = '/';
			memcpy(child + n + 1, suffix, s);
			child[n + 1 + s] = '\0';
			bool m = list_pattern_match(p, child);
			check(m == dp_match(text, child));
			if (m)
				check(list_pattern_match_parent(p, name->data));
		}
		/* The name itself as a pattern finds the name. */
		struct arena *a2 = arena_create(1024);
		struct list_pattern *self = NULL;
		check(list_pattern_compile(a2, "", 0, name->data, name->len, true, &self, &error));
		check(list_pattern_match(self, name->data));
		arena_destroy(&a2);
	}
	arena_destroy(&arena);
}

/* Namespaces: a name under "Other Users/" splits into a user that may
 * share (never the session's own) and their name, one under "Shared/"
 * into the public owner and its name, which put back gives
 * the input (INBOX in any case folded); ACL rights and identifiers read
 * back as written. */
static void check_ref_and_acl(const char *full, const char *rights, const char *identifier)
{
	struct arena *arena = arena_create(1024);
	char owner[ACL_IDENTIFIER_MAX];
	const char *name;
	bool other;

	if (mailbox_ref_split(arena, full, "alice", owner, sizeof(owner), &name, &other)) {
		check(other || name == full);
		if (other && owner[0] != '\0') {
			check(passdb_valid_owner(owner) && strcmp(owner, "alice") != 0);
			/* "Shared/..." and nothing else is the public owner's. */
			check(mailbox_ref_is_public(owner) ==
			      (strncmp(full, MAILBOX_REF_PUBLIC, strlen(MAILBOX_REF_PUBLIC)) == 0));
			if (name != NULL) {
				const char *back = mailbox_ref_other_name(arena, owner, name);

				check(strcasecmp(back, full) == 0);
			}
		}
	}
	arena_destroy(&arena);

	acl_rights r, back;
	char letters[ACL_RIGHTS_STR_MAX];

	if (acl_rights_parse(rights, &r)) {
		check((r & ~ACL_ALL) == 0);
		check(acl_rights_parse(acl_rights_store_format(r, letters), &back) && back == r);
		check(strlen(acl_rights_format(r, letters)) < ACL_RIGHTS_STR_MAX);
	}
	if (acl_identifier_valid(identifier))
		check(strlen(identifier) < ACL_IDENTIFIER_MAX && identifier[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[3] = { "", "", "" };
	size_t lens[3] = { 0, 0, 0 };
	struct buf name;

	if (size < 1 || size > 4096)
		return 0;
	bool utf8 = data[0] & 1;
	const char *s = (const char *)data + 1, *end = (const char *)data + size;
	for (int i = 0; i < 3 && s <= end; i++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl != NULL ? nl : end;

		parts[i] = s;
		lens[i] = (size_t)(e - s);
		if (lens[i] > 0 && s[lens[i] - 1] == '\r')
			lens[i]--;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	/* NUL-terminated copies: names are C strings everywhere but input. */
	char *copy[3];
	for (int i = 0; i < 3; i++) {
		copy[i] = malloc(lens[i] + 1);
		memcpy(copy[i], parts[i], lens[i]);
		copy[i][lens[i]] = '\0';
	}

	buf_init(&name, STORE_MAILBOX_NAME_MAX);
	check_decode(parts[0], lens[0]);
	check_name(parts[0], lens[0], !utf8, &name);
	check_name(parts[0], lens[0], utf8, &name);
	check_list(parts[1], lens[1], parts[2], lens[2], utf8, &name, copy[1]);
	check_ref_and_acl(copy[0], copy[1], copy[2]);
	buf_free(&name);
	for (int i = 0; i < 3; i++)
		free(copy[i]);
	return 0;
}
