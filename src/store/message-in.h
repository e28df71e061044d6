/* An incoming message on its way into any backend: what every backend
 * would otherwise repeat. Fed the bytes as they arrive, it normalizes line
 * ends, keeps the SHA-256 of the body as stored (uncompressed), parses it
 * into its summary and search text (mail/mail-summary.h) and compresses it
 * (store/body-codec.h), handing the stored bytes to the backend's sink. The
 * backend keeps only rows and bytes; THREADID asks it one narrow question
 * (message_in_thread_id()). Never holds more than one frame of a body. */
#ifndef PETREL_STORE_MESSAGE_IN_H
#define PETREL_STORE_MESSAGE_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "mail/mail-summary.h"
#include "mail/mail-text.h"
#include "store/body-codec.h"
#include "store/store-dict.h"
#include "store/store.h"

/* SHA-256, kept with each body so `petrel check` can verify it. */
#define MESSAGE_IN_DIGEST_LEN 32

/* What the backend gives: where stored bytes go, and how they are read
 * back (after the last write) for the text parts the summary needs. */
struct message_in_sink {
	body_codec_sink *write;
	body_codec_pread *read;
	void *ctx;
};

struct message_in;

/* The store's dictionaries to write with (store/store-dict.h): either or
 * both NULL while it has none yet. message_in holds references. */
struct message_in_dicts {
	struct store_dict *body;
	struct store_dict *summary;
};

/* max_size: the largest body accepted (after normalization); who names
 * the store in the log; dicts may be NULL. */
struct message_in *message_in_create(const struct message_in_sink *sink, uint64_t max_size,
				     const char *who, const struct message_in_dicts *dicts);
/* Before the first write: the bytes are stored exactly as written (see
 * store_blob_keep_bytes()). */
void message_in_keep_bytes(struct message_in *m);
/* STORE_TOO_BIG past max_size, or the sink's failure. */
enum store_result message_in_write(struct message_in *m, const void *data, size_t len);
/* Ends the body: its last frame goes to the sink; then the digest, and the
 * summary read back through sink->read. A summary that cannot be made
 * leaves the body stored without one (logged), not a failure. */
enum store_result message_in_finish(struct message_in *m);
void message_in_destroy(struct message_in **m);

/* The body's size so far (uncompressed, after normalization). */
uint64_t message_in_size(const struct message_in *m);

/* ---- after message_in_finish() ---- */

/* How the stored bytes are to be read, and how many there are. */
enum body_codec message_in_codec(const struct message_in *m);
uint64_t message_in_stored_size(const struct message_in *m);
/* The SHA-256 of the body, NULL if OpenSSL could not make it. */
const unsigned char *message_in_digest(const struct message_in *m);
/* The summary as stored (store_summary_pack(): packed when that is
 * smaller), NULL if it could not be made. */
const struct buf *message_in_summary(const struct message_in *m);
/* The Message-ID ("<a@b>"), NULL if none or no summary. */
const char *message_in_message_id(const struct message_in *m);
/* The search text, NULL without a summary; *partial_r when the body text
 * was too long to keep whole. */
const struct mail_text *message_in_text(const struct message_in *m, bool *partial_r);
/* Frees the summary and text once the backend has stored them. */
void message_in_drop_summary(struct message_in *m);

/* The backend's half of THREADID: the thread id of a message it holds
 * with this Message-ID, into out: STORE_OK, STORE_NOT_FOUND, or a failure. */
typedef enum store_result message_in_find_thread(void *ctx, const char *message_id, char *out,
						 size_t size);
/* RFC 8474 THREADID: the thread of the first message this one refers to
 * that the store has (References newest first, then In-Reply-To; at most
 * MESSAGE_IN_THREAD_LOOKUPS tried), STORE_NOT_FOUND when none (the backend
 * then starts a thread). A message that arrives before its parent starts
 * a thread of its own: ids never change once given. summary may be NULL. */
#define MESSAGE_IN_THREAD_LOOKUPS 16
enum store_result message_in_thread_of(const struct mail_summary_builder *summary,
				       message_in_find_thread *find, void *ctx, char *out,
				       size_t size);
enum store_result message_in_thread_id(const struct message_in *m, message_in_find_thread *find,
				       void *ctx, char *out, size_t size);

/* The SHA-256 of a stored body read through reader (size bytes), in
 * bounded chunks: STORE_OK, or the reader's failure (STORE_CORRUPT for a
 * damaged frame). */
enum store_result message_in_digest_body(struct body_codec_reader *reader, uint64_t size,
					 unsigned char out[MESSAGE_IN_DIGEST_LEN]);

#endif
