/* Message identifiers (RFC 5322 §3.6.4 msg-id) in Message-ID, In-Reply-To
 * and References values, read leniently and normalised so that equal ids
 * compare equal as strings (RFC 5256 §3, REFERENCES: quoting must not make
 * two ids differ). Never allocates beyond the caller's buffer or arena, never
 * recurses (comments nest through a counter). */
#ifndef PETREL_MAIL_MSGID_H
#define PETREL_MAIL_MSGID_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct buf;

/* Bytes of one normalised id: RFC 5322 lines stop at 998 and an id cannot
 * be folded inside its brackets, so a longer one is not an id. */
#define MSGID_MAX 998

/* Finds the next msg-id in [*pos, end), moves *pos past it and writes its
 * normalised form to id (cleared first): id-left "@" id-right without the
 * angle brackets, quoted-string quoting and backslash escapes removed, and
 * whitespace and comments inside the brackets dropped
 * (<"a.b"@x> and <a.b@x> give "a.b@x"). Comparison stays case-sensitive
 * (RFC 5256 §3). Lenient reading, as mail in the wild needs:
 *  - text between ids is skipped (comments and quoted strings whole, so a
 *    '<' inside them is not an id; any other junk byte by byte);
 *  - a '<' before the closing '>' restarts the id there;
 *  - an id must have an unquoted '@' with something on both sides, no
 *    control characters and at most MSGID_MAX bytes; others are skipped.
 * Returns false (and *pos = end) when no further id exists. */
bool msgid_next(const char **pos, const char *end, struct buf *id);

/* The first valid id of value (Message-ID, In-Reply-To), normalised, in
 * arena; NULL when there is none. */
const char *msgid_first(struct arena *arena, const char *value, size_t len);

/* How many valid ids value holds (References), for callers that keep only
 * the last few. */
size_t msgid_count(const char *value, size_t len);

#endif
