/* The tree of MIME parts that message-parser.c builds: exact byte offsets,
 * sizes and line counts of every part's header and body, for FETCH
 * BODYSTRUCTURE / BODY[section] and SEARCH. The tree lives in an arena and
 * is walked iteratively (message_part_next), never by recursion. */
#ifndef PETREL_MAIL_MESSAGE_PART_H
#define PETREL_MAIL_MESSAGE_PART_H

#include <stdint.h>

enum message_part_flags {
	/* a multipart type with a usable boundary: children are the body parts */
	MESSAGE_PART_FLAG_MULTIPART = 1 << 0,
	/* message/rfc822 (or a multipart/digest default): one child, the
	 * nested message */
	MESSAGE_PART_FLAG_MESSAGE_RFC822 = 1 << 1,
	/* the part's own body bytes (not its children's) have a byte >= 0x80 */
	MESSAGE_PART_FLAG_HAS_8BIT = 1 << 2,
	/* ... have a NUL byte */
	MESSAGE_PART_FLAG_HAS_NUL = 1 << 3,
	/* a multipart that ended (EOF or an outer boundary) before its close
	 * delimiter "--boundary--" */
	MESSAGE_PART_FLAG_NO_FINAL_BOUNDARY = 1 << 4,
	/* multipart or message/rfc822 whose body was not split because of a
	 * limit (depth, part count): its body is opaque */
	MESSAGE_PART_FLAG_LIMITED = 1 << 5,
};

/* Lines are counted as LF bytes (bare LF and CRLF alike). */
struct message_size {
	uint64_t bytes;
	uint64_t lines;
};

struct message_part {
	struct message_part *parent, *children, *next;

	uint64_t header_offset;            /* from the start of the message */
	struct message_size header_size;   /* includes the blank line */
	uint64_t body_offset;
	/* RFC 2046 §5.1.1: excludes the line break before the next delimiter */
	struct message_size body_size;

	const char *type, *subtype;        /* lower-case; default text/plain */
	const char *boundary;              /* multipart only, else NULL */
	unsigned int flags;                /* enum message_part_flags */
	unsigned int depth;                /* root = 0 */
};

/* Pre-order successor of part within the tree rooted at its top ancestor. */
const struct message_part *message_part_next(const struct message_part *part);
/* Number of parts in the tree, root included. */
unsigned int message_part_count(const struct message_part *root);
/* The part for an IMAP section number ("1.2.3", RFC 9051 §6.4.5), NULL if
 * none. "" is the root. A message/rfc822 part's number addresses its nested
 * message's parts, as IMAP does. */
const struct message_part *message_part_find(const struct message_part *root,
					     const char *section);

#endif
