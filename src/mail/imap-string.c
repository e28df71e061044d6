/* IMAP quoted strings and literals for response data. Every function
 * appends to a bounded buf; a string that does not fit sets the buf's
 * overflow flag and the caller discards the response. */
#include "mail/imap-string.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* U+FFFD REPLACEMENT CHARACTER, written for a NUL byte */
static const char replacement[] = "\xef\xbf\xbd";

static size_t nul_count(const char *s, size_t len)
{
	size_t n = 0;

	for (const char *p = s; (p = memchr(p, '\0', len - (size_t)(p - s))) != NULL; p++)
		n++;
	return n;
}

/* {N}\r\n and the bytes, NULs as U+FFFD */
static void write_literal(struct buf *out, const char *s, size_t len)
{
	size_t nuls = nul_count(s, len);

	buf_printf(out, "{%zu}\r\n", len + nuls * (sizeof(replacement) - 2));
	while (len > 0) {
		const char *nul = memchr(s, '\0', len);
		size_t run = nul != NULL ? (size_t)(nul - s) : len;

		buf_append(out, s, run);
		s += run;
		len -= run;
		if (len > 0) {
			buf_append(out, replacement, sizeof(replacement) - 1);
			s++;
			len--;
		}
	}
}

static bool needs_literal(const char *s, size_t len)
{
	unsigned int escapes = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			if (++escapes > IMAP_STRING_MAX_ESCAPES)
				return true;
		} else if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80) {
			return true;
		}
	}
	return false;
}

void imap_write_string(struct buf *out, const char *s, size_t len)
{
	if (needs_literal(s, len)) {
		write_literal(out, s, len);
		return;
	}
	buf_append_char(out, '"');
	for (size_t i = 0; i < len;) {
		size_t run = 0;

		while (i + run < len && s[i + run] != '"' && s[i + run] != '\\')
			run++;
		buf_append(out, s + i, run);
		i += run;
		if (i < len) {
			buf_append_char(out, '\\');
			buf_append_char(out, s[i++]);
		}
	}
	buf_append_char(out, '"');
}

void imap_write_nstring(struct buf *out, const char *s, size_t len)
{
	if (s == NULL)
		buf_append_str(out, "NIL");
	else
		imap_write_string(out, s, len);
}

static bool is_lwsp_or_eol(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void imap_write_nstring_nolf(struct buf *out, const char *s, size_t len)
{
	if (s == NULL || (memchr(s, '\r', len) == NULL && memchr(s, '\n', len) == NULL)) {
		imap_write_nstring(out, s, len);
		return;
	}
	/* The cleaned copy is never longer than the value; it lives in a
	 * temporary buf of the same bound as out. */
	struct buf tmp;

	buf_init(&tmp, len + 1);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c != '\r' && c != '\n')
			buf_append_char(&tmp, c);
		else if (i + 1 < len && !is_lwsp_or_eol(s[i + 1]))
			buf_append_char(&tmp, ' ');   /* a bare line break, not folding */
	}
	imap_write_string(out, tmp.data != NULL ? tmp.data : "", tmp.len);
	buf_free(&tmp);
}

void imap_write_string_for_humans(struct buf *out, const char *s, size_t len)
{
	size_t keep = 0, nuls = 0;
	bool modified = false, in_space = true, any = false;

	/* First pass: the length of the cleaned text and whether it differs. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_lwsp_or_eol((char)c)) {
			if (c != ' ' || in_space)
				modified = true;
			if (!in_space)
				keep++;
			in_space = true;
			continue;
		}
		if (c == '"' || c == '\\' || c >= 0x80)
			modified = true;
		if (c == '\0') {
			modified = true;
			nuls++;
		}
		keep++;
		in_space = false;
		any = true;
	}
	if (any && in_space) {
		keep--;             /* the trailing space */
		modified = true;
	} else if (!any && len > 0) {
		modified = true;    /* whitespace only */
	}
	if (!modified) {
		buf_append_char(out, '"');
		buf_append(out, s, len);
		buf_append_char(out, '"');
		return;
	}
	if (!any) {
		buf_append_str(out, "\"\"");
		return;
	}
	buf_printf(out, "{%zu}\r\n", keep + nuls * (sizeof(replacement) - 2));
	in_space = true;
	size_t written = 0;

	for (size_t i = 0; i < len && written < keep; i++) {
		char c = s[i];

		if (is_lwsp_or_eol(c)) {
			if (!in_space) {
				buf_append_char(out, ' ');
				written++;
			}
			in_space = true;
			continue;
		}
		if (c == '\0')
			buf_append(out, replacement, sizeof(replacement) - 1);
		else
			buf_append_char(out, c);
		written++;
		in_space = false;
	}
}
