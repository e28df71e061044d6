/* RFC 2047 decoding. One pass over the input; every encoded-word is parsed
 * in place with explicit bounds, never by copying it out first. */
#include "mail/rfc2047.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mail/charset-utf8.h"

/* RFC 2047 §2 limits a word to 75 bytes; real mail breaks that often, so
 * words are accepted up to this length (a whole folded line's worth). */
#define RFC2047_WORD_MAX 998

struct word {
	char charset[CHARSET_NAME_MAX + 1];
	char enc;                  /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	size_t total_len;          /* from "=?" to "?=" inclusive */
};

static bool parse_word(const char *s, size_t len, struct word *w)
{
	if (len < 8 || s[0] != '=' || s[1] != '?')
		return false;
	size_t max = len < RFC2047_WORD_MAX ? len : RFC2047_WORD_MAX;
	size_t i = 2, cs_start = 2;

	while (i < max && s[i] != '?' && s[i] > 0x20 && s[i] < 0x7f)
		i++;
	if (i >= max || s[i] != '?' || i == cs_start)
		return false;
	size_t cs_len = i - cs_start;
	/* RFC 2231 §5: charset*language */
	const char *star = memchr(s + cs_start, '*', cs_len);

	if (star != NULL)
		cs_len = (size_t)(star - (s + cs_start));
	if (cs_len == 0 || cs_len > CHARSET_NAME_MAX)
		return false;
	memcpy(w->charset, s + cs_start, cs_len);
	w->charset[cs_len] = '\0';
	if (i + 3 >= max || s[i + 2] != '?')
		return false;
	char e = s[i + 1];

	if (e == 'b' || e == 'B')
		w->enc = 'B';
	else if (e == 'q' || e == 'Q')
		w->enc = 'Q';
	else
		return false;
	size_t t = i + 3, j = t;

	/* encoded-text: printable ASCII except '?' and space (§2, §5) */
	while (j < max && s[j] != '?' && s[j] > 0x20 && s[j] < 0x7f)
		j++;
	if (j >= max || j + 1 >= len || s[j] != '?' || s[j + 1] != '=')
		return false;
	w->text = s + t;
	w->text_len = j - t;
	w->total_len = j + 2;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes the word's text to raw bytes; false if it is not valid. */
static bool decode_text(const struct word *w, struct buf *bytes)
{
	if (w->enc == 'Q') {
		for (size_t i = 0; i < w->text_len; i++) {
			char c = w->text[i];
			int h, l;

			if (c == '_') {
				buf_append_char(bytes, ' ');
			} else if (c == '=' && i + 2 < w->text_len &&
				   (h = hexval(w->text[i + 1])) >= 0 && (l = hexval(w->text[i + 2])) >= 0) {
				buf_append_char(bytes, (char)(h * 16 + l));
				i += 2;
			} else {
				buf_append_char(bytes, c);   /* lenient: a bad '=' stays */
			}
		}
		return true;
	}
	/* B: base64; missing padding is tolerated, other junk is not. */
	unsigned int acc = 0, bits = 0;
	size_t i = 0;

	for (; i < w->text_len && w->text[i] != '='; i++) {
		int v = b64val(w->text[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_append_char(bytes, (char)((acc >> bits) & 0xff));
		}
	}
	for (; i < w->text_len; i++) {
		if (w->text[i] != '=')
			return false;
	}
	return true;
}

static bool only_lwsp(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return true;
}

void rfc2047_decode(const char *in, size_t len, struct buf *out)
{
	struct buf bytes;          /* decoded bytes of a run of same-charset words */
	char run_charset[CHARSET_NAME_MAX + 1] = "";
	size_t i = 0;
	bool after_word = false;   /* the last thing output was an encoded-word */
	size_t gap_start = 0;      /* where the text after that word begins */

	buf_init(&bytes, out->max);
	while (i < len && !out->overflow) {
		const char *q = memchr(in + i, '=', len - i);
		struct word w;

		while (q != NULL && !parse_word(q, len - (size_t)(q - in), &w)) {
			size_t at = (size_t)(q - in) + 1;

			q = at < len ? memchr(in + at, '=', len - at) : NULL;
		}
		size_t next = q != NULL ? (size_t)(q - in) : len;
		bool joined = q != NULL && after_word && only_lwsp(in + gap_start, next - gap_start);

		if (!joined || strcasecmp(w.charset, run_charset) != 0) {
			if (bytes.len > 0)
				charset_to_utf8(run_charset, bytes.data, bytes.len, out);
			buf_clear(&bytes);
			/* §6.2: whitespace between adjacent encoded-words is dropped. */
			if (!joined)
				buf_append(out, in + i, next - i);
		}
		if (q == NULL)
			break;
		size_t before = bytes.len;

		strcpy(run_charset, w.charset);
		if (!decode_text(&w, &bytes)) {
			bytes.len = before;
			if (bytes.len > 0)
				charset_to_utf8(run_charset, bytes.data, bytes.len, out);
			buf_clear(&bytes);
			buf_append(out, q, w.total_len);   /* invalid: left as is */
			run_charset[0] = '\0';
			after_word = false;
		} else {
			after_word = true;
		}
		i = next + w.total_len;
		gap_start = i;
	}
	if (bytes.len > 0)
		charset_to_utf8(run_charset, bytes.data, bytes.len, out);
	buf_free(&bytes);
}
