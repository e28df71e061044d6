/* Content-Transfer-Encoding (RFC 2045 §6): reading the field, and a
 * streaming decoder for FETCH BINARY (RFC 3516) and for the text that SEARCH
 * and PREVIEW read. The decoder never allocates, holds a few bytes of state
 * between chunks, and gives the same output whatever the chunking.
 *
 * Decoding is lenient (the output is what a forgiving reader shows) and
 * also reports whether the input kept the rules, because FETCH BINARY
 * answers differently when it did not. Observed in Dovecot 2.3.19:
 *
 *   - An unknown or empty Content-Transfer-Encoding ("x-uuencode", "",
 *     "base64 junk", "\"base64\"", "7-bit") answers BINARY[...] and
 *     BINARY.SIZE[...] of the part, and of any part containing it
 *     (BINARY[], BINARY[TEXT]), with "NO [UNKNOWN-CTE] Unknown
 *     Content-Transfer-Encoding" (RFC 3516 §4.3 requires the code).
 *     Dovecot also refuses BINARY.SIZE of a sibling part while serving
 *     its BINARY; that inconsistency is not copied. BINARY[] of a whole
 *     message is served with each decoded part's field rewritten to
 *     "Content-Transfer-Encoding: binary".
 *   - Invalid base64 (a byte outside the alphabet and whitespace, data or
 *     a third '=' after the padding, "=SGk", "SGkh=") and invalid
 *     quoted-printable ("=XY", "=4 ", "a = b", "==41", a bare CR) answer
 *     "NO [PARSE] Invalid data in MIME part"; whitespace inside base64,
 *     lower-case hex, trailing whitespace, "= \r\n" soft breaks and 8-bit
 *     or NUL bytes in quoted-printable are accepted.
 *   - Base64 missing its padding ("SGk") or quoted-printable that ends in
 *     "=" or "=4" makes Dovecot fail after it has started the literal, and
 *     it disconnects the client.
 *
 * petrel's decision: FETCH BINARY answers NO [UNKNOWN-CTE] for
 * TRANSFER_DECODE_UNKNOWN_CTE and NO [PARSE] for TRANSFER_DECODE_INVALID,
 * as Dovecot does, instead of sending a guess that a client would save as
 * the attachment; the client can still read BODY[] and decode it itself.
 * Because BINARY.SIZE needs a whole decode before the literal is sent
 * (transfer_decoder_feed with out == NULL), the error is always known in
 * time and petrel never disconnects. Two deliberate differences: missing
 * base64 padding is INVALID (NO [PARSE]), not a disconnect; and
 * quoted-printable ending in "=" (optionally followed by whitespace) is a
 * valid soft line break, because a part's body ends before the line break
 * that belongs to the next boundary (RFC 2046 §5.1.1), so "=" is often the
 * last byte of a correctly encoded part.
 *
 * SEARCH and PREVIEW use the lenient output whatever the result. */
#ifndef PETREL_MAIL_TRANSFER_DECODE_H
#define PETREL_MAIL_TRANSFER_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum mail_cte {
	MAIL_CTE_7BIT,
	MAIL_CTE_8BIT,
	MAIL_CTE_BINARY,
	MAIL_CTE_QP,
	MAIL_CTE_BASE64,
	MAIL_CTE_UNKNOWN,
};

/* A Content-Transfer-Encoding field value, raw or unfolded: one token,
 * case-insensitive, with comments and whitespace around it (RFC 2045 §6.1)
 * and anything after a ';' ignored. Anything else, an empty value or a
 * quoted string included, is MAIL_CTE_UNKNOWN (as in Dovecot). */
enum mail_cte mail_cte_parse(const char *value, size_t len);
/* The encoding a part's header block declares: the last
 * Content-Transfer-Encoding field wins (Dovecot does the same); without
 * one, 7BIT (RFC 2045 §6.1). */
enum mail_cte mail_cte_from_header(const char *header, size_t size);

enum transfer_decode_result {
	TRANSFER_DECODE_OK,             /* the input kept RFC 2045's rules */
	TRANSFER_DECODE_INVALID,        /* decoded leniently; see above */
	TRANSFER_DECODE_UNKNOWN_CTE,    /* copied through unchanged */
};

/* A run of spaces and tabs that quoted-printable holds back until it knows
 * whether it ends the line (RFC 2045 §6.7 rule 3: trailing whitespace is
 * transport padding). Encoded lines are at most 76 bytes, so a longer run
 * is not padding and is passed on; this bound keeps the state small and
 * the output still independent of the chunking. */
#define TRANSFER_QP_WS_MAX 128

struct transfer_decoder {
	enum mail_cte cte;
	/* Decoded bytes so far, counted whether or not they were kept: after
	 * transfer_decoder_finish, the part's BINARY.SIZE. */
	uint64_t size;
	bool invalid;

	/* private state */
	unsigned int state;
	uint32_t acc;                  /* base64: bits of the quantum */
	unsigned int nchars;           /* base64: digits in the quantum */
	unsigned char hex;             /* quoted-printable: the first digit of =XX */
	unsigned int ws_len;
	unsigned char ws[TRANSFER_QP_WS_MAX];
};

void transfer_decoder_init(struct transfer_decoder *dec, enum mail_cte cte);
/* Decodes size bytes and appends the output to out. With out == NULL the
 * output is only counted (BINARY.SIZE). When out is full its content is
 * an exact prefix of the output, out->overflow is set, and counting goes
 * on. */
void transfer_decoder_feed(struct transfer_decoder *dec, const void *data, size_t size,
			   struct buf *out);
/* Ends the input (flushing what it held back) and says how it went. */
enum transfer_decode_result transfer_decoder_finish(struct transfer_decoder *dec,
						    struct buf *out);
/* The decoder holds no resources; this exists so that a caller's cleanup
 * path stays right if it ever does. */
void transfer_decoder_deinit(struct transfer_decoder *dec);

#endif
