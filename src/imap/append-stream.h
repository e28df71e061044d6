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
 * much per command, and written by the delivery (store/deliver.h), which
 * may commit them with other APPENDs (one worker round trip per APPEND
 * instead of two, one commit for many). */
#define APPEND_HELD_MAX (APPEND_CHUNK_SIZE * APPEND_CHUNKS_IN_FLIGHT)
/* Messages in one MULTIAPPEND (RFC 3502). */
#define APPEND_MESSAGES_MAX 1000

struct append_stream;

/* Starts (creating the stream on first use) a message literal of `size`
 * bytes; with discard its bytes are read and dropped (the APPEND already
 * failed, a non-synchronizing literal still has to be consumed). Returns
 * false when the command already has APPEND_MESSAGES_MAX. */
bool append_stream_begin(struct imap_session *s, uint64_t size, bool literal8, bool discard);
/* The session's stream, creating an empty one (before its first literal). */
struct append_stream *append_stream_get(struct imap_session *s);
/* Bytes of the current literal still to take from the input (0: none). */
uint64_t append_stream_left(const struct imap_session *s);
/* Takes up to len input bytes of the current literal; returns how many
 * (0 while too many chunks are queued: a job's end resumes the session). */
size_t append_stream_feed(struct imap_session *s, const unsigned char *data, size_t len);

/* The stream's state: messages begun, whether the target mailbox was
 * checked by this command, and its failures. Two kinds, kept apart so no
 * field is written by two threads: the loop's refusal (a mailbox check
 * that was waited for; later literals are then read and dropped), and a
 * job's failure (a check not waited for, a chunk's write), read only by
 * later jobs of the user's key, which run after it. */
unsigned int append_stream_count(const struct append_stream *stream);
void append_stream_refuse(struct append_stream *stream, enum store_result r);
enum store_result append_stream_refused(const struct append_stream *stream);
/* Worker, in a job of the user's key (the first failure is kept). */
void append_stream_job_fail(struct append_stream *stream, enum store_result r);
enum store_result append_stream_result(const struct append_stream *stream);
bool append_stream_checked(const struct append_stream *stream);
void append_stream_set_checked(struct append_stream *stream);

/* Message i: its size, its bytes when held in memory (NULL when streamed
 * to a blob), the blob (worker, after the stream's chunk jobs), literal8. */
uint64_t append_stream_size(const struct append_stream *stream, unsigned int i);
const void *append_stream_held(const struct append_stream *stream, unsigned int i);
struct store_blob *append_stream_blob(struct append_stream *stream, unsigned int i);
bool append_stream_literal8(const struct append_stream *stream, unsigned int i);
/* Bytes held in memory by the stream's messages. */
size_t append_stream_held_bytes(const struct append_stream *stream);

/* Queues, on the user's key before any chunk job of the stream, a check
 * that the target mailbox takes messages (store_mailbox_status()) and a
 * reading of the store's APPENDLIMIT. With done, done(s, result, limit)
 * runs on the loop afterwards (s may be closed by then: check s->closed);
 * without, a failure fails the stream's later jobs (append_stream_result())
 * and so the delivery. False when the worker queue is full. */
typedef void append_check_fn(struct imap_session *s, enum store_result result, uint64_t limit);
bool append_stream_check(struct imap_session *s, const char *mailbox, append_check_fn *done);

/* The same check without a wait, queued only if a message of the stream
 * goes to a blob (before its first chunk job): messages held in memory are
 * checked by their delivery before anything is written. */
void append_stream_check_before_blob(struct append_stream *stream, const char *mailbox);

/* Before the stream's first job: its messages go to another user's store
 * (owner's), where the session user needs the i right on the target. */
void append_stream_set_owner(struct imap_session *s, struct append_stream *stream,
			     const char *owner);
/* Worker: r (the target's check) as the session user may know it, given
 * their rights on another user's mailbox: NOT_FOUND without l or i,
 * NO_RIGHTS without i. */
struct store;
enum store_result append_stream_rights(struct store *store, const char *mailbox,
				       const char *user, enum store_result r);

bool append_stream_other(const struct append_stream *stream);

/* Detaches the session's stream (the APPEND command takes it). */
struct append_stream *append_stream_take(struct imap_session *s);
/* Frees a stream: its blobs are freed by a job on the user's key, after any
 * chunk still queued (a failed or abandoned APPEND, or a finished one); a
 * stream that made no blob is freed at once. */
void append_stream_discard(struct imap_session *s, struct append_stream **stream);

#endif
