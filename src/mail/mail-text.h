/* The text of a message that SEARCH matches against and the RFC 8970
 * PREVIEW, gathered once at delivery: header fields from the streaming
 * parser's header callback, then the text parts' bodies read back in
 * bounded chunks. Memory is bounded by the limits below whatever the
 * message holds (NULs, invalid UTF-8, 10,000 parts, unknown charsets);
 * the message itself is never held whole.
 *
 * What SEARCH looks in (RFC 9051 §6.4.4), decided against Dovecot 2.3.19
 * (observed with SEARCH on a test mailbox, no FTS plugin):
 *
 *   SUBJECT/FROM/TO/CC/BCC  the top-level header's fields only (a nested
 *           message's Subject is not a SUBJECT match in Dovecot either),
 *           every occurrence, unfolded and RFC 2047-decoded. Address
 *           fields are rebuilt from the parsed list as Dovecot does:
 *           "Name <mailbox@domain>" joined by ", ", groups "name: ...;",
 *           so comments inside an address do not hide it.
 *   HEADER  `header`: "name: value" per top-level field.
 *   BODY    `body`: the bodies of the leaf parts whose type is text/any or
 *           message/any (message/delivery-status, an opaque message/rfc822)
 *           as Dovecot does, transfer-decoded and converted to UTF-8.
 *           Not searched, as in Dovecot: non-text leaves (application/any,
 *           image/any, ... even application/json), parts with an unknown
 *           Content-Transfer-Encoding (RFC 2045 §6.4: treat them as
 *           application/octet-stream), MIME part headers and the headers
 *           of nested messages.
 *           text/html is searched as the text a reader sees: tags,
 *           comments, <script>, <style> and <title> removed, entities
 *           decoded, whitespace collapsed. Dovecot without FTS searches
 *           the raw markup ("<b>" matches, "bold text" in
 *           "<b>bold</b> text" does not, "caf&eacute;" is not "café");
 *           users search for what they read, as Dovecot's FTS does.
 *   TEXT    header + part_headers + body: Dovecot's TEXT also finds
 *           words in MIME part headers and nested message headers.
 *
 * Every searchable buffer is folded with casefold_utf8(), so SEARCH folds
 * its key the same way and tests casefold_contains(). Text is kept as
 * written otherwise (runs of spaces stay; Dovecot does not collapse them
 * either), except HTML as above and CRLF read as LF.
 *
 * PREVIEW (RFC 8970: UTF-8, a server SHOULD keep it to 200 characters),
 * as Dovecot 2.3.19's FETCH PREVIEW, observed:
 *   - the first text/any leaf in pre-order that is not inside a nested
 *     message/rfc822 (a forwarded message does not give the preview) and
 *     has a known transfer encoding; but in a multipart/alternative a
 *     text/html part gives way to its text/plain sibling;
 *   - lines starting with '>' are quotes and left out; runs of
 *     whitespace become one space; leading and trailing space trimmed;
 *     cut at 200 characters; the signature is kept;
 *   - when everything is quoted, '>' followed by the quoted text
 *     ("> a\n> b" gives ">a b");
 *   - HTML as for SEARCH, with <blockquote> content as quotes;
 *   - no text part: "" (RFC 8970: no preview is a zero-length string).
 *   Differences, on purpose: control characters are dropped (Dovecot
 *   keeps \x01 and DEL), HTML inline tags do not add a space
 *   ("<b>H</b>ello" is "Hello", Dovecot says "H ello"), <title> is left
 *   out, an unknown entity stays as written, a '<' that starts no tag is
 *   text, invalid base64 is decoded leniently instead of stopping at the
 *   first bad byte, and an unknown charset's 8-bit bytes are U+FFFD.
 *   Compared on 518 real messages (enmime, jwz ham, CPython's email
 *   tests), 463 previews are byte-identical; the others differ by those
 *   rules and by Dovecot quirks not copied: it cuts at 199 characters
 *   when the text starts with a quote, gives "" for a
 *   multipart/alternative whose only text is text/html deeper down
 *   (Apple Mail's alternative > related > html), reads a digest part
 *   without a header as text, and shows windows-1252 quotes in
 *   ISO-8859-1 text as C1 controls.
 *
 * Body text labelled ISO-8859-1 is read as windows-1252 (see
 * body_charset() in mail-text.c). */
#ifndef PETREL_MAIL_MAIL_TEXT_H
#define PETREL_MAIL_MAIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/message-part.h"

/* Defaults for struct mail_text_limits. A subject or address list past
 * 64 KiB is abuse; 256 KiB of header text covers the largest real
 * headers (long Received chains, DKIM); 1 MiB of body text is several
 * hundred pages, and a longer body is flagged so that SEARCH can fall
 * back to reading the message. */
#define MAIL_TEXT_FIELD_MAX (64 * 1024)
#define MAIL_TEXT_HEADER_MAX (256 * 1024)
#define MAIL_TEXT_BODY_MAX (1024 * 1024)
/* Bytes read from the message at a time. */
#define MAIL_TEXT_READ_CHUNK (64 * 1024)
/* Decoded bytes of the preview part read at most when the body text is
 * already full: a preview is 200 characters, and a reply below 256 KiB of
 * quoted text is not worth reading further for. */
#define MAIL_TEXT_PREVIEW_INPUT_MAX (256 * 1024)
/* RFC 8970: the server SHOULD limit the preview to 200 characters. */
#define MAIL_TEXT_PREVIEW_CHARS 200

struct mail_text_limits {
	size_t field_max;       /* subject, from, to, cc, bcc: each */
	size_t header_max;      /* header, part_headers: each */
	size_t body_max;
};

struct mail_text {
	/* The top-level header field's value(s): unfolded, RFC 2047-decoded,
	 * folded; several occurrences separated by "\n". */
	struct buf subject, from, to, cc, bcc;
	/* Every top-level field as "name: value\n" ("name:\n" when empty),
	 * unfolded, decoded, folded: SEARCH HEADER and TEXT. */
	struct buf header;
	/* The same for every other part's header (MIME part headers and
	 * nested messages' headers): SEARCH TEXT only. */
	struct buf part_headers;
	/* The searchable body text (see above), folded; parts separated by
	 * "\n". */
	struct buf body;
	/* false when header or part_headers hit limits->header_max, or a field
	 * hit field_max */
	bool header_complete;
	/* false when body was cut at limits->body_max */
	bool body_complete;
	/* RFC 8970 preview: UTF-8, not folded, at most 200 characters, no
	 * control characters. */
	struct buf preview;
};

struct mail_text_builder;

/* Reads exactly len bytes of the message at offset; false on I/O error. */
typedef bool mail_read_func(void *ctx, uint64_t offset, void *buf, size_t len);

/* limits NULL: the defaults above. The builder lives in arena but holds
 * heap memory until mail_text_builder_finish() or _abort(). */
struct mail_text_builder *mail_text_builder_create(struct arena *arena,
						   const struct mail_text_limits *limits);
/* Fed from message_parser's header callback for every part, in the
 * parser's (pre-)order. */
void mail_text_builder_header(struct mail_text_builder *b, const struct message_part *part,
			      const char *header, size_t size);
/* Reads the bodies it needs from the message that root describes and
 * fills text_r (free it with mail_text_free()). Ends the builder either
 * way. false on a read error, and text_r is then left empty. */
bool mail_text_builder_finish(struct mail_text_builder *b, const struct message_part *root,
			      mail_read_func *read, void *ctx, struct mail_text *text_r);
/* Ends a builder without finishing it. */
void mail_text_builder_abort(struct mail_text_builder *b);

void mail_text_free(struct mail_text *text);

#endif
