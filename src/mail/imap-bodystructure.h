/* FETCH BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, RFC 3501 §7.4.2), byte
 * for byte as Dovecot 2.3 writes them. Built once at delivery: the
 * streaming parser (message-parser.h) hands each part's header to
 * imap_bodystructure_add_header(), and after message_parser_finish() the
 * structure is written from the part tree. Never fails on any input;
 * linear in the number of parts; no recursion. */
#ifndef PETREL_MAIL_IMAP_BODYSTRUCTURE_H
#define PETREL_MAIL_IMAP_BODYSTRUCTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/message-part.h"

/* Bytes of rendered header fields (types, parameters, ids, descriptions,
 * nested envelopes) kept per message. Real structures are a few KiB; a
 * hostile one (10,000 parts with 64 KiB headers) would otherwise keep
 * gigabytes. Past it, the remaining parts are written with their types
 * only (as if their headers had no other fields). */
#define IMAP_BODYSTRUCTURE_FIELDS_MAX (4 * 1024 * 1024)
/* Parameters read per Content-Type or Content-Disposition field (Dovecot
 * has no limit; real fields have a handful). */
#define IMAP_BODYSTRUCTURE_PARAMS_MAX 1000
/* So BODYSTRUCTURE is at most IMAP_BODYSTRUCTURE_FIELDS_MAX, plus the part
 * that crosses it (its fields and nested envelope from one header of at
 * most MESSAGE_PARSER_HEADER_MAX bytes: under 2 MiB), plus
 * IMAP_BODYSTRUCTURE_PART_BYTES per part: the parentheses, sizes and NILs
 * around the fields, and what is written for a part past the budget (its
 * type cut to 64 bytes, an empty multipart's stand-in part, a nested
 * message's empty envelope). About 10 MiB at the parser's 10,000 parts;
 * BODY is smaller. Real messages are nowhere near: a few KiB. */
#define IMAP_BODYSTRUCTURE_PART_BYTES 400

struct imap_bodystructure;

/* Allocated in arena, which also holds everything the builder keeps. */
struct imap_bodystructure *imap_bodystructure_create(struct arena *arena);
/* Called for every part in the order the parser's header callback is
 * called (pre-order), with the part's header block (possibly cut at
 * MESSAGE_PARSER_HEADER_MAX). The part's flags and type must be set, as
 * the parser does before its callback. */
void imap_bodystructure_add_header(struct imap_bodystructure *bs, const struct message_part *part,
				   const char *header, size_t size);
/* Appends the structure of root (normally the message's root part):
 * extended = false gives FETCH BODY, true BODYSTRUCTURE with extension
 * data. A part that was never given a header is written with the defaults
 * (text/plain; charset=us-ascii, 7bit). */
void imap_bodystructure_write(const struct imap_bodystructure *bs, const struct message_part *root,
			      bool extended, struct buf *out);

#endif
