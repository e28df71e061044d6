/* What FETCH, SEARCH, SORT and THREAD need of a message, computed once at
 * delivery and kept with it (issue 4: a FETCH of ENVELOPE or BODYSTRUCTURE
 * never re-reads the message). The builder is fed the message as it
 * arrives, in chunks of any size (one streaming MIME parse); at the end it
 * reads back only the text parts it needs (search text, preview) through a
 * read function. The summary is a flat byte string (the store keeps it as
 * one value); mail_summary_decode() gives pointers into it without copying.
 *
 * Encoding: a 4-byte magic "PSM1" (a new layout takes a new magic), then the
 * fields of struct mail_summary in declaration order, each string as a
 * little-endian u32 length, the bytes and a NUL; numbers as little-endian
 * u64; the part table as a u32 count and fixed-size records. Decoding checks
 * every length against the data, so a damaged value gives false, never a
 * read outside it. */
#ifndef PETREL_MAIL_MAIL_SUMMARY_H
#define PETREL_MAIL_MAIL_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/mail-text.h"
#include "mail/message-part.h"

/* Upper bound on an encoded summary: 10,000 parts' records and
 * structure text stay well below it; past it the builder drops the part
 * table's tail (FETCH of a section past it answers empty). */
#define MAIL_SUMMARY_MAX (8 * 1024 * 1024)

struct mail_summary {
	const char *envelope;          /* FETCH ENVELOPE value, "(...)" */
	size_t envelope_len;
	const char *body;              /* FETCH BODY (no extension data) */
	size_t body_len;
	const char *bodystructure;     /* FETCH BODYSTRUCTURE */
	size_t bodystructure_len;
	const char *preview;           /* RFC 8970 text, UTF-8, unquoted */
	size_t preview_len;
	bool has_sent_date;            /* a valid Date: header */
	int64_t sent_date;             /* its time, UTC seconds */
	int32_t sent_zone_min;         /* its zone, minutes east */
	const char *message_id;        /* unfolded raw header values, "" when absent */
	const char *in_reply_to;
	const char *references;
	const char *subject;           /* RFC 2047-decoded, unfolded, not folded */
	/* SORT and THREAD keys, folded and upper-cased for bytewise comparison
	 * as i;unicode-casemap orders them (mail-summary.c folded()). */
	const char *base_subject;      /* RFC 5256 base subject */
	bool subject_is_reply;         /* RFC 5256 §2.1 reply/forward marker seen */
	const char *sort_from;         /* first address's addr-mailbox (RFC 5256) */
	const char *sort_to;
	const char *sort_cc;
	const char *display_from;      /* RFC 5957 display name or address */
	const char *display_to;
	uint32_t part_count;           /* the MIME tree, pre-order */
	const unsigned char *parts;    /* encoded records; see mail_summary_tree() */
};

/* Pointers into data (which must outlive the summary). False when the data
 * is not a summary of this version or is damaged. */
bool mail_summary_decode(const void *data, size_t size, struct mail_summary *summary_r);

/* The MIME tree, rebuilt in arena as an array of part_count parts in
 * pre-order (part i is tree[i]), for message_part_find(). *ctes_r[i] is
 * part i's enum mail_cte (transfer-decode.h). NULL when part_count is 0. */
struct message_part *mail_summary_tree(const struct mail_summary *summary, struct arena *arena,
				       uint8_t **ctes_r);

struct mail_summary_builder;

struct mail_summary_builder *mail_summary_builder_create(void);
void mail_summary_builder_feed(struct mail_summary_builder *b, const void *data, size_t size);
/* Ends the message; reads text parts back through read (false from read
 * means an I/O error: the result is false and the summary unusable). */
bool mail_summary_builder_finish(struct mail_summary_builder *b, mail_read_func *read,
				 void *ctx);
/* After finish: the encoded summary, and the search text (mail-text.h). */
const struct buf *mail_summary_builder_encoded(const struct mail_summary_builder *b);
const struct mail_text *mail_summary_builder_text(const struct mail_summary_builder *b);
/* After finish: the message's own id ("<a@b>" as written, NULL if none) and
 * the ids it refers to (References, then In-Reply-To), for thread ids. */
const char *mail_summary_builder_message_id(const struct mail_summary_builder *b);
const char *const *mail_summary_builder_parent_ids(const struct mail_summary_builder *b,
						  unsigned int *count_r);
void mail_summary_builder_destroy(struct mail_summary_builder **b);

#endif
