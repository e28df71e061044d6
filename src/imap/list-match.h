/* LIST patterns (RFC 9051 §6.3.9): the reference and mailbox arguments
 * combined into one canonical UTF-8 pattern, matched against the store's
 * names with '*' (anything, '/' included) and '%' (anything but '/').
 * Matching is a bit-parallel NFA: time linear in the name, never backtracking. */
#ifndef PETREL_IMAP_LIST_MATCH_H
#define PETREL_IMAP_LIST_MATCH_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct list_pattern;

/* Bytes of reference + pattern after decoding: twice the longest name
 * (store.h STORE_MAILBOX_NAME_MAX) leaves room for any useful pattern. */
#define LIST_PATTERN_MAX 1024
/* Wildcards after runs are collapsed ("*%*" counts once): no real client
 * needs more, and it keeps a hostile pattern from being a CPU toy. */
#define LIST_PATTERN_WILDCARDS_MAX 32

/* RFC 9051 §6.3.9: an empty mailbox argument asks for the hierarchy
 * delimiter and the root, not for names. petrel has one namespace without
 * a prefix, so the caller answers `* LIST (\Noselect) "/" ""` whatever the
 * reference. pattern is the client's argument before decoding. */
bool list_pattern_is_delimiter_query(const char *pattern, size_t pattern_len);

/* Decodes reference and pattern (each as mailbox_name_decode() does:
 * modified UTF-7 unless utf8_mode; wildcards allowed, control characters
 * not) and joins them: reference + pattern, as in RFC 9051's examples
 * ("~smith/Mail/" + "foo.*"); the reference is taken literally, with no '/'
 * added. A literal first level "inbox" in any case (the first 5 characters,
 * followed by the end, '/', '*' or '%') becomes "INBOX", so "inbox" and
 * "Inbox/%" find INBOX (RFC 9051 §6.3.9). Runs of wildcards collapse to one
 * ('*' if the run has one, else '%'). False with *error_r set on bad
 * encoding, over LIST_PATTERN_MAX bytes or over LIST_PATTERN_WILDCARDS_MAX
 * wildcards. The pattern lives in arena. */
bool list_pattern_compile(struct arena *arena, const char *reference, size_t reference_len,
			  const char *pattern, size_t pattern_len, bool utf8_mode,
			  struct list_pattern **pattern_r, const char **error_r);

/* The canonical pattern (UTF-8, wildcard runs collapsed), for logs and tests. */
const char *list_pattern_text(const struct list_pattern *p);

/* Whether the store name (UTF-8, '/' levels) matches. */
bool list_pattern_match(const struct list_pattern *p, const char *name);

/* Whether some descendant name + "/" + s (s non-empty) could match: for
 * pruning a walk of the hierarchy and for RECURSIVEMATCH (RFC 5258 §3).
 * It looks at the pattern only, not at whether s would be a valid name, so
 * it may say true where no valid name could match (a pattern "a//b"); it
 * never says false where one could. */
bool list_pattern_match_parent(const struct list_pattern *p, const char *name);

#endif
