/* Flag lists in commands (RFC 9051 §9 flag-list, flag): system flags to
 * bits, keywords kept as names. Shared by APPEND and STORE. */
#ifndef PETREL_IMAP_FLAGS_H
#define PETREL_IMAP_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "imap/parser.h"

struct arena;

struct imap_flags {
	uint32_t flags;              /* enum store_flag bits */
	const char **keywords;       /* in the arena */
	unsigned int keyword_count;
};

/* arg is a parenthesized list, or (allow_single) one flag atom. \Recent and
 * unknown \-flags are refused (RFC 9051 §2.3.2: \Recent cannot be set),
 * keywords must fit STORE_KEYWORD_MAX; duplicates are dropped. On failure
 * *error_r is a fixed text for a BAD reply. */
bool imap_flags_parse(const struct imap_arg *arg, bool allow_single, struct arena *arena,
		      struct imap_flags *flags_r, const char **error_r);

#endif
