/* IMAP strings in response data (RFC 9051 §4.3): quoted when the bytes
 * allow it, else a literal, chosen exactly as Dovecot 2.3 chooses so that
 * ENVELOPE and BODYSTRUCTURE match it byte for byte. Never writes a NUL:
 * a NUL byte (which no IMAP string may carry outside literal8) is written
 * as U+FFFD, as Dovecot's header parser does. */
#ifndef PETREL_MAIL_IMAP_STRING_H
#define PETREL_MAIL_IMAP_STRING_H

#include <stddef.h>

#include "core/buf.h"

/* Quoted strings may hold this many '"' and '\' escapes; one more makes
 * a literal (Dovecot's rule: a literal is easier on clients than a long
 * run of escapes). */
#define IMAP_STRING_MAX_ESCAPES 4

/* "quoted" with '"' and '\' escaped; a literal {N}\r\n... when the bytes
 * hold CR, LF, NUL, 8-bit bytes (RFC 9051 §4.3: quoted strings are 7-bit)
 * or more than IMAP_STRING_MAX_ESCAPES escapes. There is no length
 * threshold: Dovecot quotes a 20,000-byte Message-ID too. */
void imap_write_string(struct buf *out, const char *s, size_t len);
/* The same, NIL when s is NULL. */
void imap_write_nstring(struct buf *out, const char *s, size_t len);
/* A header value: the line breaks of folding are dropped (a CR or LF not
 * followed by whitespace becomes a space), then as imap_write_nstring. For
 * ENVELOPE date, message-id, in-reply-to and BODYSTRUCTURE id,
 * description, md5, location. */
void imap_write_nstring_nolf(struct buf *out, const char *s, size_t len);
/* Text meant for people (ENVELOPE subject, display names): runs of space,
 * tab, CR and LF become one space, leading and trailing ones go. Quoted
 * only when nothing was changed and there is nothing to escape or 8-bit;
 * otherwise a literal of the cleaned text (Dovecot's rule). */
void imap_write_string_for_humans(struct buf *out, const char *s, size_t len);

#endif
