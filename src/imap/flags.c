/* Flag list parsing. */
#include "imap/flags.h"

#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "store/store.h"

static const struct {
	const char *name;
	uint32_t bit;
} system_flags[] = {
	{ "\\Seen", STORE_FLAG_SEEN },
	{ "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED },
	{ "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

static bool add_flag(const struct imap_arg *a, struct arena *arena, struct imap_flags *f,
		     unsigned int max_keywords, const char **error_r)
{
	if (a->type != IMAP_ARG_ATOM) {
		*error_r = "Flags are atoms";
		return false;
	}
	if (a->str[0] == '\\') {
		for (size_t i = 0; i < sizeof(system_flags) / sizeof(system_flags[0]); i++) {
			if (strcasecmp(a->str, system_flags[i].name) == 0) {
				f->flags |= system_flags[i].bit;
				return true;
			}
		}
		*error_r = strcasecmp(a->str, "\\Recent") == 0 ?
			"\\Recent cannot be set" : "Unknown system flag";
		return false;
	}
	/* A keyword is an atom (RFC 9051 §9 flag-keyword); the parser let ']'
	 * and wildcards into atoms for other uses. */
	if (a->len > STORE_KEYWORD_MAX || strpbrk(a->str, "]%*") != NULL) {
		*error_r = "Invalid keyword";
		return false;
	}
	for (unsigned int i = 0; i < f->keyword_count; i++) {
		if (strcmp(f->keywords[i], a->str) == 0)
			return true;
	}
	if (f->keyword_count >= max_keywords) {
		*error_r = "Too many keywords";
		return false;
	}
	f->keywords[f->keyword_count++] = arena_strndup(arena, a->str, a->len);
	return true;
}

bool imap_flags_parse(const struct imap_arg *arg, bool allow_single, struct arena *arena,
		      struct imap_flags *f, const char **error_r)
{
	const struct imap_arg *items = arg;
	unsigned int count = 1;

	memset(f, 0, sizeof(*f));
	if (arg->type == IMAP_ARG_LIST) {
		items = arg->list;
		count = arg->list_count;
	} else if (!allow_single) {
		*error_r = "Expected a flag list";
		return false;
	}
	f->keywords = arena_alloc(arena, (count ? count : 1) * sizeof(char *));
	for (unsigned int i = 0; i < count; i++) {
		if (!add_flag(&items[i], arena, f, STORE_KEYWORDS_PER_MAILBOX, error_r))
			return false;
	}
	return true;
}
