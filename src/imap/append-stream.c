/* Streaming APPEND literals to store blobs, one job per chunk. Jobs hold a
 * reference to the stream; the stream is freed when it is discarded and its
 * last job is done. Fields written by jobs (blob pointers, result) are read
 * only by later jobs of the same key or after a job's completion, both of
 * which the worker pool orders. */
#include "imap/append-stream.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/acl.h"
#include "imap/imap-server.h"
#include "user/mail-user.h"
#include "user/user-services.h"
#include "imap/parser.h"
#include "imap/session.h"
#include "net/workers.h"

struct append_message {
	struct store_blob *blob;
	uint64_t size;
	/* A message that arrived whole in its first chunk is kept here and
	 * stored by the APPEND's own job (append_stream_store_held()). */
	unsigned char *held;
	bool literal8;                  /* ~{N}: stored byte for byte */
};

struct append_stream {
	/* The target's owner: the session's user, or another (then held by
	 * the stream, and the session user needs i there). */
	struct mail_user *mu;
	bool other;
	char *user;                     /* the session's user, for the ACL */
	struct loop *loop;
	const struct store_env *env;
	/* Each message apart, so that growing the array (loop) never moves
	 * one a chunk job (worker) is writing. */
	struct append_message **messages;
	unsigned int count;
	uint64_t left;                  /* of the current literal */
	bool begun;                     /* its blob's creation is queued */
	/* Filling: as big as what is left of the literal, at most
	 * APPEND_CHUNK_SIZE, so a small message held whole costs its size. */
	unsigned char *chunk;
	size_t chunk_len, chunk_cap;
	unsigned int messages_alloc;
	unsigned int jobs;              /* queued, not yet done */
	size_t held_bytes;              /* sum of messages[].held sizes */
	bool discarding;                /* the current literal's bytes are dropped */
	enum store_result refused;      /* loop only: the APPEND already failed */
	bool any_blob;                  /* a chunk job was queued: blobs to free */
	bool checked;                   /* the target mailbox was checked */
	char *target;                   /* checked by a job before the first blob */
	bool discarded;
	enum store_result result;       /* first failure, set by jobs */
};

/* One job does whatever is ready for a message: create its blob (with the
 * first chunk), write a chunk, finish it (with the last). A message that
 * fits one chunk, which is nearly every mail, costs one job. */
struct append_job {
	struct append_stream *stream;
	struct append_message *m;
	bool begin, finish, free_all;
	unsigned char *data;
	size_t len;
	/* A check of the target mailbox (append_stream_check()). */
	char *check_mailbox;
	append_check_fn *check_done;
	struct imap_session *session;
	enum store_result check_result;
	uint64_t limit;
};

static void stream_free_now(struct append_stream *st)
{
	if (st->other)
		mail_user_release(&st->mu, st->loop);
	free(st->user);
	for (unsigned int i = 0; i < st->count; i++) {
		free(st->messages[i]->held);
		free(st->messages[i]);
	}
	free(st->messages);
	free(st->chunk);
	free(st->target);
	free(st);
}

enum store_result append_stream_rights(struct store *store, const char *mailbox,
				       const char *user, enum store_result r)
{
	struct acl_entry *entries = NULL;
	unsigned int count = 0;
	acl_rights rights = 0;

	/* Nothing about another user's mailbox is told to whom may not see
	 * it, not even that it cannot take messages (RFC 4314 §4). */
	if (store != NULL && store_acl_get(store, mailbox, &entries, &count) == STORE_OK) {
		rights = acl_rights_of(entries, count, user);
		free(entries);
	}
	if ((rights & ACL_LOOKUP) == 0 && (rights & ACL_INSERT) == 0)
		return STORE_NOT_FOUND;
	if ((rights & ACL_INSERT) == 0)
		return STORE_NO_RIGHTS;
	return r;
}

bool append_stream_other(const struct append_stream *st)
{
	return st->other;
}

static void append_job_run(void *arg)
{
	struct append_job *job = arg;
	struct append_stream *st = job->stream;
	struct append_message *m = job->m;
	enum store_result r = STORE_OK;

	if (job->free_all) {
		for (unsigned int i = 0; i < st->count; i++)
			store_blob_free(&st->messages[i]->blob);
		return;
	}
	if (job->check_mailbox != NULL) {
		struct store_mailbox_status status;
		struct store *store = st->other ? mail_user_store_existing(st->mu, &r)
						: mail_user_store(st->mu, &r);

		if (store != NULL)
			r = store_mailbox_status(store, job->check_mailbox, &status);
		if (st->other)
			r = append_stream_rights(store, job->check_mailbox, st->user, r);
		job->check_result = r;
		job->limit = store_append_limit(st->env);
		if (job->check_done == NULL && r != STORE_OK)
			append_stream_job_fail(st, r);   /* the later jobs skip */
		return;
	}
	if (st->result != STORE_OK)
		return;   /* keep the first error; later chunks are dropped */
	if (job->begin) {
		struct store *store = st->other ? mail_user_store_existing(st->mu, &r)
						: mail_user_store(st->mu, &r);

		if (store != NULL)
			r = store_blob_begin(store, m->size, &m->blob);
		if (r == STORE_OK && m->literal8)
			store_blob_keep_bytes(m->blob);
	}
	if (r == STORE_OK && job->len > 0)
		r = store_blob_write(m->blob, job->data, job->len);
	if (r == STORE_OK && job->finish)
		r = store_blob_finish(m->blob);
	if (r != STORE_OK)
		st->result = r;
}

static void append_job_done(void *arg)
{
	struct append_job *job = arg;
	struct append_stream *st = job->stream;

	if (job->check_done != NULL)
		job->check_done(job->session, job->check_result, job->limit);
	free(job->check_mailbox);
	free(job->data);
	free(job);
	if (--st->jobs == 0 && st->discarded)
		stream_free_now(st);
	/* The session goes on reading input (session_job_done). */
}

void append_stream_refuse(struct append_stream *st, enum store_result r)
{
	if (st->refused == STORE_OK)
		st->refused = r;
}

static void stream_submit(struct imap_session *s, struct append_stream *st, bool finish,
			  unsigned char *data, size_t len)
{
	if (st->target != NULL) {
		/* Before the first byte goes to disk: the check's failure makes
		 * every chunk job after it skip (append_job_run()). */
		char *target = st->target;

		st->target = NULL;
		if (!append_stream_check(s, target, NULL))
			append_stream_refuse(st, STORE_BUSY);
		free(target);
	}
	struct append_job *job = xcalloc(1, sizeof(*job));

	job->stream = st;
	job->m = st->messages[st->count - 1];
	job->begin = !st->begun;
	job->finish = finish;
	st->any_blob = true;
	job->data = data;
	job->len = len;
	st->begun = true;
	if (!imap_session_submit(s, mail_user_key(st->mu), append_job_run,
				 append_job_done, job)) {
		/* Queue full: the APPEND fails with UNAVAILABLE at its end. */
		free(data);
		free(job);
		append_stream_refuse(st, STORE_BUSY);
		return;
	}
	st->jobs++;
}

bool append_stream_check(struct imap_session *s, const char *mailbox, append_check_fn *done)
{
	struct append_stream *st = append_stream_get(s);
	struct append_job *job = xcalloc(1, sizeof(*job));

	job->stream = st;
	job->check_mailbox = xstrdup(mailbox);
	job->check_done = done;
	job->session = s;
	if (!imap_session_submit(s, mail_user_key(st->mu), append_job_run,
				 append_job_done, job)) {
		free(job->check_mailbox);
		free(job);
		return false;
	}
	st->jobs++;
	return true;
}

/* Frees every blob of the stream, after the jobs already queued. */
static void stream_submit_free(struct imap_session *s, struct append_stream *st)
{
	struct append_job *job = xcalloc(1, sizeof(*job));

	job->stream = st;
	job->free_all = true;
	if (!imap_session_submit(s, mail_user_key(st->mu), append_job_run,
				 append_job_done, job)) {
		log_warn("append stream: worker queue full, blobs left to petrel check");
		free(job);
		return;
	}
	st->jobs++;
}

struct append_stream *append_stream_get(struct imap_session *s)
{
	struct append_stream *st = s->append;

	if (st == NULL) {
		st = xcalloc(1, sizeof(*st));
		st->mu = s->mail_user;
		st->env = s->server->store_env;
		st->loop = s->loop;
		s->append = st;
	}
	return st;
}

void append_stream_set_owner(struct imap_session *s, struct append_stream *st,
			     const char *owner)
{
	if (st->other || st->jobs > 0 || st->any_blob)
		return;   /* decided once, before any job */
	st->mu = mail_user_acquire(s->server->users, owner);
	st->other = true;
	st->user = xstrdup(s->user);
}

bool append_stream_begin(struct imap_session *s, uint64_t size, bool literal8, bool discard)
{
	struct append_stream *st = append_stream_get(s);

	if (st->count >= APPEND_MESSAGES_MAX)
		return false;
	if (!discard && st->count == st->messages_alloc) {
		/* Nearly every APPEND has one message: grow as MULTIAPPEND needs. */
		st->messages_alloc = st->messages_alloc == 0 ? 1 : st->messages_alloc * 4;
		if (st->messages_alloc > APPEND_MESSAGES_MAX)
			st->messages_alloc = APPEND_MESSAGES_MAX;
		st->messages = xrealloc(st->messages, st->messages_alloc * sizeof(*st->messages));
	}
	st->left = size;
	st->discarding = discard;
	if (discard)
		return true;   /* counted nowhere: the command fails anyway */
	st->messages[st->count] = xcalloc(1, sizeof(**st->messages));
	st->messages[st->count]->size = size;
	/* RFC 3516 §4.4: a literal8 message may hold binary parts; the
	 * others' bare LFs become CRLF in the store (store_blob_write()). */
	st->messages[st->count]->literal8 = literal8;
	st->count++;
	st->begun = false;
	if (size == 0) {
		/* Nothing to hold: the command refuses empty messages. */
		st->begun = true;
	}
	return true;
}

uint64_t append_stream_left(const struct imap_session *s)
{
	return s->append != NULL ? s->append->left : 0;
}

size_t append_stream_feed(struct imap_session *s, const unsigned char *data, size_t len)
{
	struct append_stream *st = s->append;
	size_t taken = 0;

	if (st->discarding || st->refused != STORE_OK) {
		/* Bounded: the literal's size was checked against APPENDLIMIT. */
		taken = len < st->left ? len : (size_t)st->left;
		st->left -= taken;
		return taken;
	}
	while (taken < len && st->left > 0 && st->jobs < APPEND_CHUNKS_IN_FLIGHT) {
		if (st->chunk == NULL) {
			st->chunk_cap = st->left < APPEND_CHUNK_SIZE ? (size_t)st->left :
				APPEND_CHUNK_SIZE;
			st->chunk = xmalloc(st->chunk_cap);
		}
		size_t room = st->chunk_cap - st->chunk_len;
		size_t n = len - taken;

		if (n > room)
			n = room;
		if (n > st->left)
			n = (size_t)st->left;
		memcpy(st->chunk + st->chunk_len, data + taken, n);
		st->chunk_len += n;
		st->left -= n;
		taken += n;
		if (st->left == 0 && !st->begun &&
		    st->held_bytes + st->chunk_len <= APPEND_HELD_MAX) {
			/* Whole in one chunk: no job now; the APPEND's own job
			 * stores it, saving a worker round trip per message. */
			st->messages[st->count - 1]->held = st->chunk;
			st->held_bytes += st->chunk_len;
			st->begun = true;
			st->chunk = NULL;
			st->chunk_len = 0;
		} else if (st->chunk_len == st->chunk_cap || st->left == 0) {
			/* The job owns the chunk from now on. */
			stream_submit(s, st, st->left == 0, st->chunk, st->chunk_len);
			st->chunk = NULL;
			st->chunk_len = 0;
		}
	}
	return taken;
}

unsigned int append_stream_count(const struct append_stream *st)
{
	return st->count;
}

struct store_blob *append_stream_blob(struct append_stream *st, unsigned int i)
{
	return st->messages[i]->blob;
}

uint64_t append_stream_size(const struct append_stream *st, unsigned int i)
{
	return st->messages[i]->size;
}

enum store_result append_stream_result(const struct append_stream *st)
{
	return st->result;
}


enum store_result append_stream_refused(const struct append_stream *st)
{
	return st->refused;
}

void append_stream_job_fail(struct append_stream *st, enum store_result r)
{
	if (st->result == STORE_OK)
		st->result = r;
}

void append_stream_check_before_blob(struct append_stream *st, const char *mailbox)
{
	free(st->target);
	st->target = xstrdup(mailbox);
}

bool append_stream_checked(const struct append_stream *st)
{
	return st->checked;
}

void append_stream_set_checked(struct append_stream *st)
{
	st->checked = true;
}

const void *append_stream_held(const struct append_stream *st, unsigned int i)
{
	return st->messages[i]->held;
}

bool append_stream_literal8(const struct append_stream *st, unsigned int i)
{
	return st->messages[i]->literal8;
}

size_t append_stream_held_bytes(const struct append_stream *st)
{
	return st->held_bytes;
}

struct append_stream *append_stream_take(struct imap_session *s)
{
	struct append_stream *st = s->append;

	s->append = NULL;
	s->literal_reader = NULL;
	return st;
}

static void append_job_done_detached(void *arg)
{
	struct append_job *job = arg;
	struct append_stream *st = job->stream;

	free(job);
	stream_free_now(st);
}

void append_stream_discard(struct imap_session *s, struct append_stream **stp)
{
	struct append_stream *st = *stp;

	if (st == NULL)
		return;
	*stp = NULL;
	st->left = 0;
	st->discarded = true;
	if (!st->any_blob && st->jobs == 0) {
		/* Every message was held in memory: no blob, no job needed. */
		stream_free_now(st);
		return;
	}
	if (!s->closed && s->conn != NULL) {
		stream_submit_free(s, st);
		if (st->jobs == 0)
			stream_free_now(st);
		return;
	}
	/* The session is going away: it is freed only once its jobs are done,
	 * so no chunk job is left; free the blobs on the user's key all the
	 * same (a blob may be a half-written file), without the session. */
	struct append_job *job = xcalloc(1, sizeof(*job));
	job->stream = st;
	job->free_all = true;
	if (!worker_pool_submit(s->server->users->workers, mail_user_key(st->mu), s->loop,
				append_job_run, append_job_done_detached, job)) {
		log_warn("append stream dropped: worker queue full (orphan blobs are "
			 "reported by petrel check)");
		free(job);
		stream_free_now(st);
	}
}
