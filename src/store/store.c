/* Backend-neutral parts of the store: result names and the checks every
 * backend applies to names it is given (store.h "Names"). Never touches
 * storage; a backend must call these before a name reaches its tables. */
#include "store/store.h"

#include <string.h>

#include "store/sqlite/sqlite-private.h"

const char *store_result_name(enum store_result r)
{
	switch (r) {
	case STORE_OK: return "ok";
	case STORE_NOT_FOUND: return "not found";
	case STORE_EXISTS: return "exists";
	case STORE_INVALID: return "invalid";
	case STORE_NOT_ALLOWED: return "not allowed";
	case STORE_LIMIT: return "limit";
	case STORE_TOO_BIG: return "too big";
	case STORE_NO_SPACE: return "no space";
	case STORE_BUSY: return "busy";
	case STORE_CORRUPT: return "corrupt";
	case STORE_ERROR: return "error";
	}
	return "unknown";
}

/* Length of the UTF-8 sequence at s (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = s[0] == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

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

enum store_result store_mailbox_name_check(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	unsigned int levels = 1;
	size_t len, first;

	if (name == NULL || name[0] == '\0')
		return STORE_INVALID;
	len = strnlen(name, STORE_MAILBOX_NAME_MAX + 1);
	if (len > STORE_MAILBOX_NAME_MAX)
		return STORE_INVALID;
	/* The rules of imap/mailbox-name.c: no controls (C0, DEL, C1), no
	 * wildcards, no empty, "." or ".." levels. */
	for (size_t i = 0, level = 0; i <= len;) {
		size_t n;

		if (i == len || p[i] == '/') {
			size_t l = i - level;

			if (l == 0 || (l == 1 && p[level] == '.') ||
			    (l == 2 && p[level] == '.' && p[level + 1] == '.'))
				return STORE_INVALID;
			if (i == len)
				break;
			levels++;
			level = i + 1;
		}
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '*' || p[i] == '%' ||
		    (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return STORE_INVALID;
		n = utf8_seq_len(p + i);
		if (n == 0)
			return STORE_INVALID;
		i += n;
	}
	/* INBOX reaches the store upper-cased; any other spelling of it as
	 * the first level is a caller bug or an attempt to make a second one. */
	first = strcspn(name, "/");
	if (first == 5 && ascii_ieq(name, "INBOX", 5) && memcmp(name, "INBOX", 5) != 0)
		return STORE_INVALID;
	if (levels > STORE_MAILBOX_DEPTH_MAX)
		return STORE_LIMIT;
	return STORE_OK;
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
