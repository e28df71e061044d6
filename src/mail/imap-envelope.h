/* FETCH ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) from one header block,
 * byte for byte as Dovecot 2.3 writes it, so that clients see the same
 * thing after a migration. Computed once at delivery; never fails, and the
 * output is bounded (see IMAP_ENVELOPE_MAX_BYTES). */
#ifndef PETREL_MAIL_IMAP_ENVELOPE_H
#define PETREL_MAIL_IMAP_ENVELOPE_H

#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/address.h"
#include "mail/header.h"

/* An upper bound on what imap_envelope_write() appends for a header of
 * size bytes: a header byte becomes at most 3 output bytes (a NUL becomes
 * U+FFFD, as in Dovecot), the From list may be written three times (as
 * sender and reply-to too), and each address adds at most 64 bytes of its
 * own (parentheses, spaces, literal prefixes, or the 44 of "(NIL NIL
 * "MISSING_MAILBOX" "MISSING_DOMAIN")"), MAIL_ADDRESS_MAX per list. A
 * 64 KiB header stays under 1.2 MiB. */
#define IMAP_ENVELOPE_MAX_BYTES(size) (9 * (size_t)(size) + 8 * MAIL_ADDRESS_MAX * 64 + 256)

/* Appends "(date subject from sender reply-to to cc bcc in-reply-to
 * message-id)" for the header block (with or without its blank line;
 * truncated is fine). Dovecot's rules: date, subject, in-reply-to and
 * message-id are the raw values of the last such field (RFC 2047 words
 * kept), subject with whitespace runs collapsed; address fields of the
 * same name are concatenated; sender and reply-to default to from (RFC
 * 9051 §7.5.2); broken addresses are filled with MISSING_MAILBOX,
 * MISSING_DOMAIN, SYNTAX_ERROR or INVALID_ROUTE. scratch holds the parse. */
void imap_envelope_write(struct arena *scratch, const char *header, size_t size, struct buf *out);

/* Helpers shared with imap-bodystructure.c. */

/* A field's value as Dovecot's header parser gives it: the whitespace after
 * the colon is dropped, but of a first line that is only whitespace just
 * one byte; folding line breaks stay, except before a line of a single
 * space or tab (then the value is a copy in arena). */
void imap_header_value(struct arena *arena, const struct header_field *field,
		       const char **value_r, size_t *len_r);

#endif
