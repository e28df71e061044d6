/* Conversion of a named charset to UTF-8 through iconv (never by hand), for
 * RFC 2047 words and RFC 2231 parameters. Never fails on bad input: invalid
 * sequences become U+FFFD; an unknown charset keeps the raw bytes. */
#ifndef PETREL_MAIL_CHARSET_UTF8_H
#define PETREL_MAIL_CHARSET_UTF8_H

#include <stddef.h>

#include "core/buf.h"

/* Charset names longer than this are not charsets (the longest IANA name is
 * 45 bytes); refusing them also keeps odd strings away from iconv_open(). */
#define CHARSET_NAME_MAX 64

enum charset_result {
	CHARSET_OK,             /* converted exactly */
	CHARSET_REPLACED,       /* converted; invalid input became U+FFFD */
	CHARSET_UNKNOWN,        /* charset not known: raw bytes appended */
};

/* Appends in[0..len) converted from charset to UTF-8 to out (bounded by
 * out->max; past it the output is cut and out->overflow set). */
enum charset_result charset_to_utf8(const char *charset, const void *in, size_t len,
				    struct buf *out);

#endif
