/* Mailbox names: modified UTF-7 (RFC 3501 §5.1.3, RFC 9051 §5.1.3 and
 * Appendix A) and strict UTF-8 in, the store's validated UTF-8 out, and back.
 * It never accepts a second spelling of a name and never writes past out's
 * limit; nothing here allocates except through struct buf. */
#include "imap/mailbox-name.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/base64.h"
#include "core/utf8.h"
#include "store/store.h"

static const char err_8bit[] = "Mailbox name has 8-bit characters (modified UTF-7 expected)";
static const char err_unterminated[] = "Mailbox name has an unterminated modified UTF-7 sequence";
static const char err_base64[] = "Mailbox name has invalid modified UTF-7";
static const char err_noncanonical[] = "Mailbox name has non-canonical modified UTF-7";
static const char err_utf16[] = "Mailbox name has invalid UTF-16 in modified UTF-7";
static const char err_utf8[] = "Mailbox name is not valid UTF-8";
static const char err_control[] = "Mailbox name has control characters";
static const char err_empty[] = "Mailbox name is empty";
static const char err_too_long[] = "Mailbox name is too long";

/* RFC 3501 §5.1.3: modified BASE64 is RFC 2045's with ',' for '/'. */
#define MUTF7_CHAR63 ','

/* C0, DEL and C1: never part of a name (store.h "Names"). */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* RFC 3501 §5.1.3: these represent themselves and must not be encoded. */
static bool is_printable_ascii(uint32_t cp)
{
	return cp >= 0x20 && cp <= 0x7e;
}


/* Puts out back as it was before a failed call. */
static void buf_restore(struct buf *out, size_t len, bool overflow)
{
	out->len = len;
	out->overflow = overflow;
	if (out->data != NULL)
		out->data[len] = '\0';
}

/* Appends within the call's budget: end is out->len at which "too long" starts. */
static bool append_bounded(struct buf *out, size_t end, const void *data, size_t len,
			   const char **error_r)
{
	if (len > end - out->len || !buf_append(out, data, len)) {
		*error_r = err_too_long;
		return false;
	}
	return true;
}

/* One decoded character of a shift sequence. */
static bool mutf7_emit(uint32_t cp, struct buf *out, size_t end, const char **error_r)
{
	char u[4];

	if (is_printable_ascii(cp)) {
		*error_r = err_noncanonical;
		return false;
	}
	if (is_control(cp)) {
		*error_r = err_control;
		return false;
	}
	return append_bounded(out, end, u, utf8_encode(cp, u), error_r);
}

/* The base64 part of a shift sequence, from s[*pos] (just after '&', not '-')
 * through its closing '-'. */
static bool mutf7_shift(const unsigned char *s, size_t len, size_t *pos,
			struct buf *out, size_t end, const char **error_r)
{
	uint32_t bits = 0, high = 0;
	unsigned int nbits = 0;
	size_t i = *pos;

	for (;;) {
		if (i == len) {
			*error_r = err_unterminated;
			return false;
		}
		unsigned char c = s[i++];
		if (c == '-')
			break;
		int v = base64_digit_value(c, MUTF7_CHAR63);
		if (v < 0) {
			*error_r = c >= 0x80 ? err_8bit : err_base64;
			return false;
		}
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff) {
				*error_r = err_utf16;
				return false;
			}
			unit = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
			continue;
		} else if (unit >= 0xdc00 && unit <= 0xdfff) {
			*error_r = err_utf16;
			return false;
		}
		if (!mutf7_emit(unit, out, end, error_r))
			return false;
	}
	/* The shortest encoding leaves fewer than 6 bits over, all zero
	 * (RFC 2152's rule, which RFC 3501 inherits); "&" alone then fails too. */
	if (nbits >= 6 || bits != 0 || i - *pos == 1) {
		*error_r = err_base64;
		return false;
	}
	if (high != 0) {
		*error_r = err_utf16;
		return false;
	}
	*pos = i;
	return true;
}

static bool decode_mutf7(const unsigned char *s, size_t len, struct buf *out, size_t end,
			 const char **error_r)
{
	bool after_shift = false;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x80) {
			*error_r = err_8bit;
			return false;
		}
		if (is_control(c)) {
			*error_r = err_control;
			return false;
		}
		if (c != '&') {
			size_t run = i + 1;

			while (run < len && s[run] != '&' && is_printable_ascii(s[run]))
				run++;
			if (!append_bounded(out, end, s + i, run - i, error_r))
				return false;
			i = run;
			after_shift = false;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '-') {
			if (!append_bounded(out, end, "&", 1, error_r))
				return false;
			i += 2;
			after_shift = false;
			continue;
		}
		/* "&AOQ-&APY-" spells what "&AOQA9g-" does: only the latter. */
		if (after_shift) {
			*error_r = err_noncanonical;
			return false;
		}
		i++;
		if (!mutf7_shift(s, len, &i, out, end, error_r))
			return false;
		after_shift = true;
	}
	return true;
}

static bool check_utf8(const unsigned char *s, size_t len, const char **error_r)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			*error_r = err_utf8;
			return false;
		}
		if (is_control(cp)) {
			*error_r = err_control;
			return false;
		}
		i += n;
	}
	return true;
}

bool mailbox_name_decode(const char *in, size_t len, bool utf8_mode, size_t max,
			 struct buf *out, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t start = out->len;
	bool overflow = out->overflow;
	size_t end = max > SIZE_MAX - start ? SIZE_MAX : start + max;
	bool ok;

	if (utf8_mode)
		ok = check_utf8(s, len, error_r) && append_bounded(out, end, in, len, error_r);
	else
		ok = decode_mutf7(s, len, out, end, error_r);
	if (!ok)
		buf_restore(out, start, overflow);
	return ok;
}

bool mailbox_name_from_client(const char *in, size_t len, bool utf8_mode,
			      struct buf *out, const char **error_r)
{
	size_t start = out->len;
	bool overflow = out->overflow;

	if (!mailbox_name_decode(in, len, utf8_mode, STORE_MAILBOX_NAME_MAX, out, error_r))
		return false;
	size_t n = out->len - start;
	if (n == 0) {
		*error_r = err_empty;
		return false;
	}
	char *name = out->data + start;
	if (n >= 5 && (n == 5 || name[5] == MAILBOX_NAME_DELIM) &&
	    strncasecmp(name, "INBOX", 5) == 0)
		memcpy(name, "INBOX", 5);
	if (!store_mailbox_name_valid(name, n, error_r)) {
		buf_restore(out, start, overflow);
		return false;
	}
	return true;
}

/* Closes an open shift sequence: the last bits padded with zeros, then '-'. */
static bool mutf7_close(uint32_t bits, unsigned int nbits, struct buf *out)
{
	if (nbits > 0 && !buf_append_char(out, base64_digit(bits << (6 - nbits), MUTF7_CHAR63)))
		return false;
	return buf_append_char(out, '-');
}

/* Canonical modified UTF-7: one sequence per run of characters that are not
 * printable ASCII (so no two sequences touch), each in the fewest base64
 * characters. */
static bool encode_mutf7(const unsigned char *s, size_t len, struct buf *out)
{
	bool open = false;
	uint32_t bits = 0;
	unsigned int nbits = 0;

	for (size_t i = 0; i < len;) {
		uint16_t units[2];
		unsigned int count = 1;
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0)
			return false;
		i += n;
		if (is_printable_ascii(cp)) {
			if (open && !mutf7_close(bits, nbits, out))
				return false;
			open = false;
			bits = 0;
			nbits = 0;
			if (cp == '&' ? !buf_append(out, "&-", 2) : !buf_append_char(out, (char)cp))
				return false;
			continue;
		}
		if (!open && !buf_append_char(out, '&'))
			return false;
		open = true;
		if (cp >= 0x10000) {
			units[0] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			units[1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			count = 2;
		} else {
			units[0] = (uint16_t)cp;
		}
		for (unsigned int u = 0; u < count; u++) {
			bits = (bits << 16) | units[u];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (!buf_append_char(out, base64_digit(bits >> nbits, MUTF7_CHAR63)))
					return false;
			}
			bits &= (1u << nbits) - 1;
		}
	}
	return !open || mutf7_close(bits, nbits, out);
}

bool mailbox_name_to_client(const char *name, bool utf8_mode, struct buf *out)
{
	size_t start = out->len;
	bool overflow = out->overflow;
	bool ok;

	if (utf8_mode)
		ok = buf_append_str(out, name);
	else
		ok = encode_mutf7((const unsigned char *)name, strlen(name), out);
	if (!ok)
		buf_restore(out, start, overflow);
	return ok;
}

/* RFC 9051 §9 ATOM-CHAR: any CHAR except atom-specials ("(" / ")" / "{" /
 * SP / CTL / list-wildcards / quoted-specials / resp-specials). */
static bool is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", c) == NULL;
}

void mailbox_name_quote(const char *client_name, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)client_name;
	size_t len = strlen(client_name);
	bool atom = len > 0 && strcasecmp(client_name, "NIL") != 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			/* RFC 9051 §4.3: quoted strings cannot carry CR or LF. */
			buf_printf(out, "{%zu}\r\n", len);
			buf_append(out, client_name, len);
			return;
		}
		if (!is_atom_char(s[i]))
			atom = false;
	}
	if (atom) {
		buf_append(out, client_name, len);
		return;
	}
	buf_append_char(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, (char)s[i]);
	}
	buf_append_char(out, '"');
}
