/* APPEND's message literals, streamed to the store as they arrive (never
 * held whole in memory): the session hands input bytes to the stream, which
 * cuts them into chunks written by jobs on the user's worker key. Because a
 * key's jobs run in order, the APPEND's own store job, queued after the
 * command line is complete, runs after every chunk is written. At most
 * APPEND_CHUNKS_IN_FLIGHT chunks are queued at once; past that the session
 * stops reading input until one is written (backpressure to the client). */
#ifndef PETREL_IMAP_APPEND_STREAM_H
#define PETREL_IMAP_APPEND_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct imap_session;

#define APPEND_CHUNK_SIZE (256 * 1024)
#define APPEND_CHUNKS_IN_FLIGHT 4
/* Messages that arrive whole in one chunk are held in memory, up to this
 * much per command, and stored by the APPEND's own job (one worker round
 * trip per APPEND instead of two). */
#define APPEND_HELD_MAX (APPEND_CHUNK_SIZE * APPEND_CHUNKS_IN_FLIGHT)
/* Messages in one MULTIAPPEND (RFC 3502). */
#define APPEND_MESSAGES_MAX 1000

struct append_stream;

/* Starts (creating the stream on first use) a message literal of `size`
 * bytes. Returns false when the command already has APPEND_MESSAGES_MAX. */
bool append_stream_begin(struct imap_session *s, uint64_t size);
/* Bytes of the current literal still to take from the input (0: none). */
uint64_t append_stream_left(const struct imap_session *s);
/* Takes up to len input bytes of the current literal; returns how many. */
size_t append_stream_feed(struct imap_session *s, const unsigned char *data, size_t len);
/* True when no more input may be taken now (too many chunks queued). */
bool append_stream_blocked(const struct imap_session *s);

/* For the APPEND store job (worker, in order after every chunk): the
 * finished blobs and the first error met while writing them. */
unsigned int append_stream_count(const struct append_stream *stream);
struct store_blob *append_stream_blob(struct append_stream *stream, unsigned int i);
uint64_t append_stream_size(const struct append_stream *stream, unsigned int i);
enum store_result append_stream_result(const struct append_stream *stream);
/* Worker, in the APPEND's job: stores the held messages; returns the
 * stream's result (the first failure of any of its blobs). */
enum store_result append_stream_store_held(struct append_stream *stream, struct store *store);

/* Detaches the session's stream (the APPEND command takes it). */
struct append_stream *append_stream_take(struct imap_session *s);
/* Frees a stream: its blobs are freed by a job on the user's key, after any
 * chunk still queued (a failed or abandoned APPEND, or a finished one). */
void append_stream_discard(struct imap_session *s, struct append_stream **stream);

#endif
