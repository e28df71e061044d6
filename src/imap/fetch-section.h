/* Where the bytes of a FETCH section come from (RFC 9051 §6.4.5, RFC 3516):
 * a range of the stored message (streamed, never held whole), or content
 * computed from it (HEADER.FIELDS filtering, BINARY decoding) and held in
 * memory, bounded by the message's size. Runs on a worker (reads the body). */
#ifndef PETREL_IMAP_FETCH_SECTION_H
#define PETREL_IMAP_FETCH_SECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "imap/fetch-items.h"
#include "mail/transfer-decode.h"
#include "mail/message-part.h"
#include "store/store.h"

/* A header read for HEADER.FIELDS beyond this is cut: the parser keeps no
 * more of one either (MESSAGE_PARSER_HEADER_MAX is 64 KiB), and real
 * headers are far smaller. */
#define FETCH_HEADER_READ_MAX (1024 * 1024)

struct fetch_source {
	bool nil;                /* no such part: answered NIL */
	bool unknown_cte;        /* BINARY of a part whose encoding is unknown */
	bool invalid_data;       /* BINARY of base64/QP that does not decode */
	bool in_memory;          /* content is in mem, else the message range */
	struct buf mem;
	/* BINARY of base64/QP: the part's bytes [offset, offset + enc_size)
	 * are decoded as they are sent (fetch_source_read()); size is the
	 * decoded size after <origin.count>, skip the decoded bytes before it. */
	bool decoding;
	struct transfer_decoder dec;
	uint64_t enc_size, enc_pos, skip;
	bool dec_finished;       /* the decoder has had all the part */
	struct buf pending;      /* decoded, not yet sent */
	uint64_t pos;            /* bytes given so far (memory and ranges) */
	uint64_t offset, size;   /* the range (after <origin.count>) */
	bool has_nul;            /* the content holds NUL: literal8 */
	/* BODY[...] is sent in a plain literal, where NUL may not appear
	 * (RFC 9051 §4.3): each one is sent as 0x80, as Dovecot does. BINARY
	 * sends them as they are, in literal8. */
	bool nul_to_80;
};

/* tree/ctes: the message's parts (mail_summary_tree()). Applies the
 * section's partial. Free with fetch_source_free(). */
enum store_result fetch_section_source(const struct fetch_section *sec,
				       const struct message_part *tree, const uint8_t *ctes,
				       struct store_body *body, struct fetch_source *src);
/* The next bytes of the value (at most max), appended to out; *done_r
 * once all src->size bytes were given. */
enum store_result fetch_source_read(struct fetch_source *src, struct store_body *body,
				    size_t max, struct buf *out, bool *done_r);
void fetch_source_free(struct fetch_source *src);

#endif
