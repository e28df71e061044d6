/* RFC 5322 §3.4 address lists (with the obsolete forms of §4.4) parsed the
 * way Dovecot 2.3 parses them for ENVELOPE, SORT and SEARCH: never fails,
 * malformed addresses come out marked invalid with the parts that could be
 * read. Also the lexical layer (comments, quoted strings, tokens) that the
 * MIME field parsers share. Bounded: linear in the input, at most a given
 * number of addresses, no recursion. */
#ifndef PETREL_MAIL_ADDRESS_H
#define PETREL_MAIL_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"

/* ---- lexical layer (RFC 5322 §3.2, RFC 2045 §5.1 tokens) ---- */

struct rfc822_lexer {
	const unsigned char *p, *end;
	/* When non-NULL, each comment skipped replaces its contents (quoted
	 * pairs unescaped, nesting kept): "a@b (Name)" names the address. */
	struct buf *comment;
};

void rfc822_lexer_init(struct rfc822_lexer *lx, const void *data, size_t len);
/* The return value of these readers: 1 when input remains, 0 at its end,
 * -1 on a syntax error (an unterminated comment or quoted string). */
/* Skips whitespace, line breaks and (nested) comments. */
int rfc822_skip_cfws(struct rfc822_lexer *lx);
/* At a '"': appends the unescaped contents (line breaks dropped), then
 * skips CFWS. */
int rfc822_read_quoted(struct rfc822_lexer *lx, struct buf *out);
/* Appends an RFC 2045 token (possibly empty), then skips CFWS. 8-bit bytes
 * count as token characters, as real mail needs. */
int rfc822_read_mime_token(struct rfc822_lexer *lx, struct buf *out);
/* Appends a run of atext (possibly empty), then skips CFWS. */
int rfc822_read_atom(struct rfc822_lexer *lx, struct buf *out);
bool rfc822_is_atext(unsigned char c);

/* ---- address lists ---- */

/* One address, or a group marker in the IMAP convention (RFC 9051 §7.5.2):
 * group start has mailbox = the group's name and domain NULL, group end has
 * mailbox and domain NULL. Strings are NUL-terminated, in the arena. */
struct mail_address {
	struct mail_address *next;
	const char *name;      /* display name or the comment naming it; NULL if none */
	const char *route;     /* obs-route "@a,@b", NULL if none */
	const char *mailbox;   /* local part */
	const char *domain;
	bool invalid;          /* something was missing or unreadable */
};

/* Addresses read from one header field. Dovecot has no limit; 1000 is far
 * above real recipient lists and bounds what a 64 KiB header ("a,a,a,...")
 * can expand to. */
#define MAIL_ADDRESS_MAX 1000

enum mail_address_parse_flags {
	/* Fill what is missing as Dovecot's ENVELOPE does: "MISSING_MAILBOX",
	 * "MISSING_DOMAIN", "SYNTAX_ERROR" (a broken <...>), "INVALID_ROUTE".
	 * Without it those are "" (and the route NULL), as SORT wants. */
	MAIL_ADDRESS_FILL_MISSING = 1 << 0,
};

/* Parses an address-list header value (raw: folding and comments are
 * handled here). Returns the first address or NULL when there is none; at
 * most max addresses (group markers included) are returned. */
struct mail_address *mail_address_parse(struct arena *arena, const char *value, size_t len,
					unsigned int max, unsigned int flags);

/* The first address that is not a group marker (RFC 5256 §2.2: SORT FROM,
 * TO and CC use the first address), or NULL. */
const struct mail_address *mail_address_first(const struct mail_address *list);

/* RFC 5957 §3 (SORT DISPLAYFROM / DISPLAYTO): the display name, RFC 2047
 * decoded to UTF-8, or when there is none (or it is empty) the addr-spec
 * "mailbox@domain". Appends to out; nothing for a NULL address. */
void mail_address_display_name(const struct mail_address *addr, struct buf *out);

#endif
