/* Mailbox names between the wire and the store: a client sends modified
 * UTF-7 (IMAP4rev1, RFC 3501 §5.1.3) or UTF-8 (IMAP4rev2 / UTF8=ACCEPT); the
 * store keeps UTF-8 with '/' levels and "INBOX" in upper case (store/store.h,
 * "Names"). Only canonical encodings are accepted, so every internal name has
 * exactly one wire form; a name refused here must never reach the store. */
#ifndef PETREL_IMAP_MAILBOX_NAME_H
#define PETREL_IMAP_MAILBOX_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define MAILBOX_NAME_DELIM '/'   /* the hierarchy delimiter LIST announces */

/* Decodes a client's name or LIST pattern to UTF-8 without judging it as a
 * name: modified UTF-7 when !utf8_mode, strict UTF-8 otherwise. Refuses
 * anything but the canonical encoding (8-bit bytes in modified UTF-7,
 * unterminated or empty "&...-" sequences, bad base64, non-zero padding bits,
 * encoded printable ASCII, two adjacent encoded sequences, lone surrogates;
 * overlong, surrogate or > U+10FFFF UTF-8) and control characters (C0, DEL,
 * C1) in either mode. '*' and '%' pass through. Appends at most max bytes to
 * out; more is "too long". On failure out is left as it was and *error_r is
 * a fixed message for the reply. */
bool mailbox_name_decode(const char *in, size_t len, bool utf8_mode, size_t max,
			 struct buf *out, const char **error_r);

/* A client's mailbox argument (in[0..len), after astring unquoting) to the
 * store's name: decodes as above, turns "INBOX" in any case as the whole name
 * or first level into "INBOX", then checks store_mailbox_name_valid(). Appends
 * to out; on failure out is left as it was and *error_r is set. */
bool mailbox_name_from_client(const char *in, size_t len, bool utf8_mode,
			      struct buf *out, const char **error_r);

/* An internal name to the client's form: as is in utf8_mode, else canonical
 * modified UTF-7 ('&' as "&-", each run of other characters as one shortest
 * sequence). Appends to out; false (out left as it was) when out is full or
 * name is not valid UTF-8. */
bool mailbox_name_to_client(const char *name, bool utf8_mode, struct buf *out);

/* Appends a client-form name as an IMAP mailbox (RFC 9051 §9 astring): an
 * atom when every byte is ATOM-CHAR (and it is not "NIL", which some clients
 * misread), a literal if it holds CR or LF (never after validation),
 * otherwise a quoted string with '"' and '\' escaped. 8-bit UTF-8 stays in
 * the quoted string (allowed under IMAP4rev2 and UTF8=ACCEPT; modified UTF-7
 * names have none). A full out is recorded in out->overflow. */
void mailbox_name_quote(const char *client_name, struct buf *out);

#endif
