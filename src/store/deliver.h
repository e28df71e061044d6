/* Delivering messages: the one sequence that writes a message into a
 * user's store (its body into a blob, then its row), used by APPEND,
 * MULTIAPPEND, LMTP and `petrel deliver`; and the group commit that makes
 * several deliveries to one user durable with one commit. It sits above
 * the backend (it calls only store.h) and never wakes anyone: callers tell
 * their watchers, each layer its own way. */
#ifndef PETREL_STORE_DELIVER_H
#define PETREL_STORE_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A group commit takes at most this many messages and bytes of bodies
 * held in memory: the commit holds the store's write lock while it inserts
 * them (another process's `petrel deliver` waits that long, a few ms, far
 * below the store's busy timeout), and the first delivery of a batch is
 * acknowledged only when the whole batch is durable. With the read-ahead
 * of a pipelining session (cmd-append.c) a batch is rarely even this big. */
#define STORE_DELIVER_BATCH_MAX 256
#define STORE_DELIVER_BATCH_BYTES (8u * 1024 * 1024)

struct store_delivery_msg {
	/* append.blob: a finished blob the caller wrote (streamed) and still
	 * owns; or NULL, and body..body_len is written into a blob here. */
	struct store_append append;
	const void *body;
	size_t body_len;
	bool keep_bytes;     /* RFC 3516 literal8: no LF -> CRLF (store_blob_keep_bytes) */
	bool own_blob;       /* internal: the blob was made here */
};

struct store_delivery {
	const char *mailbox;
	struct store_delivery_msg *msgs;
	unsigned int count;
	uint32_t *uids;              /* count entries, filled on STORE_OK */
	uint32_t uidvalidity;
	enum store_result result;    /* STORE_NOT_FOUND: no such mailbox (TRYCREATE) */

	/* Its blobs are being written by earlier jobs of its own: only its
	 * own job may take it into a batch (then a batch stops before it). */
	bool own_job_only;

	/* internal: the group commit queue */
	struct store_delivery *next;
	bool queued, done;
};

/* begin, write, finish: a body in memory into a new finished blob (freed
 * here on failure). */
enum store_result store_deliver_body(struct store *store, const void *data, size_t len,
				     bool keep_bytes, struct store_blob **blob_r);
/* Worker: delivers d alone (d->result is the answer too). */
enum store_result store_deliver(struct store *store, struct store_delivery *d);
/* Worker: delivers every one of ds with one commit; each gets its result.
 * The mailbox is checked before any body is written, so a delivery to a
 * missing mailbox writes nothing to disk. */
void store_deliver_many(struct store *store, struct store_delivery *const *ds, unsigned int n);

/* Group commit for one user. Deliveries are queued in the order of their
 * jobs (all under the user's worker key, so they run in that order); the
 * first job to run takes its delivery and every one queued after it (up to
 * the batch bounds), commits them together, and the jobs of those that
 * were taken find them done. Each job's completion is the acknowledgement:
 * it runs only after the commit that made its delivery durable. */
struct store_deliver_queue;

struct store_deliver_queue *store_deliver_queue_create(void);
void store_deliver_queue_destroy(struct store_deliver_queue **queue);
/* Loop thread: submit(ctx) queues d's job (which will call
 * store_deliver_queue_run() for d); it is called with the queue locked, so
 * jobs and queue have one order. False (d not queued) when submit fails. */
bool store_deliver_queue_push(struct store_deliver_queue *queue, struct store_delivery *d,
			      bool (*submit)(void *ctx), void *ctx);
/* Worker, in d's job with the user's store: delivers d's batch unless an
 * earlier job already did. d may be freed once its job is done. */
void store_deliver_queue_run(struct store_deliver_queue *queue, struct store *store,
			     struct store_delivery *d);
/* Any thread: milliseconds since the queue last had a delivery queued or
 * being written; 0 while it has, INT64_MAX if it never had (the search
 * indexer steps aside for a user's deliveries: user-index.c). */
int64_t store_deliver_queue_idle_ms(struct store_deliver_queue *queue);
/* Worker, in d's job when the store cannot be had: takes d out of the
 * queue unless a batch already took it, and answers it r. */
void store_deliver_queue_cancel(struct store_deliver_queue *queue, struct store_delivery *d,
				enum store_result r);

#endif
