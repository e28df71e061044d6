/* Charset → UTF-8 via iconv. Names are checked against a strict alphabet
 * before iconv_open() sees them: glibc reads "//TRANSLIT"-style suffixes
 * from the name, and a message must not choose iconv's options. */
#include "mail/charset-utf8.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char replacement[] = "\xEF\xBF\xBD";   /* U+FFFD */

static bool charset_name_ok(const char *cs)
{
	size_t n = strlen(cs);

	if (n == 0 || n > CHARSET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = cs[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
			return false;
	}
	return true;
}

/* UTF-8 input is validated the same way as any other: through iconv, so
 * invalid sequences are replaced rather than passed on. */
enum charset_result charset_to_utf8(const char *charset, const void *in, size_t len,
				    struct buf *out)
{
	if (!charset_name_ok(charset)) {
		buf_append(out, in, len);
		return CHARSET_UNKNOWN;
	}
	/* RFC 2046 §4.1.2: us-ascii is the default; many mailers label 8-bit
	 * text with it anyway, so it is read as UTF-8 (invalid bytes replaced). */
	const char *from = strcasecmp(charset, "us-ascii") == 0 ? "UTF-8" : charset;
	iconv_t cd = iconv_open("UTF-8", from);

	if (cd == (iconv_t)-1) {
		buf_append(out, in, len);
		return CHARSET_UNKNOWN;
	}
	enum charset_result result = CHARSET_OK;
	char *src = (char *)in;
	size_t left = len;
	char tmp[1024];

	while (left > 0 && !out->overflow) {
		char *dst = tmp;
		size_t room = sizeof(tmp);
		size_t r = iconv(cd, &src, &left, &dst, &room);

		buf_append(out, tmp, (size_t)(dst - tmp));
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (truncated at the end): one byte becomes U+FFFD. */
		buf_append(out, replacement, 3);
		result = CHARSET_REPLACED;
		src++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush any shift state (ISO-2022-JP ends in ASCII mode). */
	char *dst = tmp;
	size_t room = sizeof(tmp);

	iconv(cd, NULL, NULL, &dst, &room);
	buf_append(out, tmp, (size_t)(dst - tmp));
	iconv_close(cd);
	return result;
}
