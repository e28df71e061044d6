/* Streaming RFC 5322 / MIME (RFC 2045-2049) message parser: fed the message
 * in chunks of any size, it builds the part tree (message-part.h) without
 * ever holding the message, only one part's header (up to a limit) and one
 * line's first bytes. It never fails: malformed input degrades the way
 * Dovecot's does (a missing boundary makes a body run to the end, too deep
 * or too many parts become opaque bodies). */
#ifndef PETREL_MAIL_MESSAGE_PARSER_H
#define PETREL_MAIL_MESSAGE_PARSER_H

#include <stddef.h>

#include "core/arena.h"
#include "mail/message-part.h"

/* Nesting levels that are split into parts (the root is level 1). Dovecot's
 * default (max_nested_mime_parts) is 100; deeper multiparts and messages
 * are kept as opaque bodies, so the tree and the boundary stack stay small. */
#define MESSAGE_PARSER_MAX_DEPTH 100
/* Parts per message, as Dovecot's max_total_mime_parts (10000): past it no
 * more boundaries are recognised and the rest is the current part's body. */
#define MESSAGE_PARSER_MAX_PARTS 10000
/* Header bytes kept per part for parsing Content-Type (and handed to the
 * header callback); the rest of a bigger header is still counted. Real
 * headers are a few KiB; 64 KiB is Dovecot's header-line limit too. */
#define MESSAGE_PARSER_HEADER_MAX (64 * 1024)
/* Longest boundary recognised. RFC 2046 §5.1.1 allows 70; a few mailers
 * exceed it, so more is accepted, and a longer one makes the multipart
 * opaque. It also bounds the bytes held while deciding whether a line is a
 * delimiter. */
#define MESSAGE_PARSER_BOUNDARY_MAX 200

struct message_parser;

/* Called once per part when its header is complete (or cut by a boundary
 * or the end), with at most MESSAGE_PARSER_HEADER_MAX bytes of it; the
 * part's type is set, its body not yet seen. */
typedef void message_header_callback(const struct message_part *part, const char *header,
				     size_t size, void *context);

/* The tree is allocated in arena and outlives the parser. */
struct message_parser *message_parser_create(struct arena *arena);
void message_parser_set_header_callback(struct message_parser *parser,
					message_header_callback *callback, void *context);
void message_parser_feed(struct message_parser *parser, const void *data, size_t size);
/* Ends the message; returns the root part (always non-NULL). */
struct message_part *message_parser_finish(struct message_parser *parser);
void message_parser_destroy(struct message_parser **parser);

#endif
