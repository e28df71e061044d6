/* The checks every backend applies to names and keywords it is given
 * (store.h "Names"). Never touches storage; a backend calls these before a
 * name reaches its tables. */
#include "store/store-names.h"

#include <string.h>

#include "core/utf8.h"

static bool ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 'a' + 'A');
		if (x != y)
			return false;
	}
	return true;
}

/* The reasons, for replies (fixed texts, never client bytes). */
static const char err_empty[] = "Mailbox name is empty";
static const char err_too_long[] = "Mailbox name is too long";
static const char err_utf8[] = "Mailbox name is not valid UTF-8";
static const char err_control[] = "Mailbox name has control characters";
static const char err_wildcard[] = "Mailbox name has wildcards";
static const char err_empty_level[] = "Mailbox name has an empty level";
static const char err_dot_level[] = "Mailbox name has a \".\" or \"..\" level";
static const char err_too_deep[] = "Mailbox name has too many levels";
static const char err_inbox_case[] = "Mailbox name has INBOX not in upper case";

bool store_mailbox_name_valid(const char *name, size_t len, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)name;
	unsigned int levels = 1;
	size_t level_start = 0;

	*error_r = NULL;
	if (len == 0) {
		*error_r = err_empty;
		return false;
	}
	if (len > STORE_MAILBOX_NAME_MAX) {
		*error_r = err_too_long;
		return false;
	}
	for (size_t i = 0; i <= len;) {
		uint32_t cp = 0;
		size_t n = 1;

		if (i < len) {
			n = utf8_decode(s + i, len - i, &cp);
			if (n == 0) {
				*error_r = err_utf8;
				return false;
			}
			/* C0, DEL and C1 */
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
				*error_r = err_control;
				return false;
			}
			if (cp == '*' || cp == '%') {
				*error_r = err_wildcard;
				return false;
			}
		}
		if (i == len || cp == '/') {
			size_t l = i - level_start;

			if (l == 0) {
				*error_r = err_empty_level;
				return false;
			}
			if ((l == 1 && s[level_start] == '.') ||
			    (l == 2 && s[level_start] == '.' && s[level_start + 1] == '.')) {
				*error_r = err_dot_level;
				return false;
			}
			if (i < len && ++levels > STORE_MAILBOX_DEPTH_MAX) {
				*error_r = err_too_deep;
				return false;
			}
			level_start = i + 1;
		}
		i += n;
	}
	/* RFC 9051 §5.1: INBOX is case-insensitive; the store knows one
	 * spelling, so any other as the first level is refused. */
	if (len >= 5 && (len == 5 || s[5] == '/') && ascii_ieq(name, "INBOX", 5) &&
	    memcmp(name, "INBOX", 5) != 0) {
		*error_r = err_inbox_case;
		return false;
	}
	return true;
}

enum store_result store_mailbox_name_check(const char *name)
{
	const char *error;

	if (name == NULL)
		return STORE_INVALID;
	if (store_mailbox_name_valid(name, strlen(name), &error))
		return STORE_OK;
	return error == err_too_deep ? STORE_LIMIT : STORE_INVALID;
}

bool store_keyword_valid(const char *keyword)
{
	size_t len;

	if (keyword == NULL)
		return false;
	len = strnlen(keyword, STORE_KEYWORD_MAX + 1);
	if (len == 0 || len > STORE_KEYWORD_MAX)
		return false;
	/* RFC 9051 §9 flag-keyword = atom: no atom-specials; a leading '\'
	 * would make it a system flag. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)keyword[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

bool store_keyword_eq(const char *a, const char *b)
{
	size_t la = strlen(a);

	return la == strlen(b) && ascii_ieq(a, b, la);
}
