/* RFC 2047 encoded-words (=?charset?B|Q?text?=) in unstructured header text,
 * decoded to UTF-8 through iconv. Never fails: a malformed word stays as
 * written; output is bounded by out->max. */
#ifndef PETREL_MAIL_RFC2047_H
#define PETREL_MAIL_RFC2047_H

#include <stddef.h>

#include "core/buf.h"

/* Appends the decoded text to out. Whitespace (including folding) between
 * two adjacent encoded-words is dropped (RFC 2047 §6.2); consecutive words
 * in the same charset are joined before conversion so that a character
 * split across words survives. Words are recognised anywhere, not only
 * between whitespace, as Dovecot and most readers do (RFC 2047 §8's
 * "(=?ISO-8859-1?Q?a?=)" example needs it in comments). */
void rfc2047_decode(const char *in, size_t len, struct buf *out);

#endif
