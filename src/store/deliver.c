/* The write-one-message sequence and the group commit (deliver.h). The
 * queue's lock guards only the list and the done flags; the store work of a
 * batch runs outside it, in the job that took the batch. */
#include "store/deliver.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"

struct store_deliver_queue {
	pthread_mutex_t lock;
	struct store_delivery *head, *tail;
	unsigned int batches_running;   /* store_deliver_many() under way */
	int64_t last_end_ms;            /* when the last batch ended (CLOCK_MONOTONIC) */
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum store_result store_deliver_body(struct store *store, const void *data, size_t len,
				     bool keep_bytes, struct store_blob **blob_r)
{
	enum store_result r = store_blob_begin(store, len, blob_r);

	if (r != STORE_OK)
		return r;
	if (keep_bytes)
		store_blob_keep_bytes(*blob_r);
	r = store_blob_write(*blob_r, data, len);
	if (r == STORE_OK)
		r = store_blob_finish(*blob_r);
	if (r != STORE_OK)
		store_blob_free(blob_r);
	return r;
}

/* Before a body is written: the mailbox must take messages, so that a
 * refusal (TRYCREATE) never follows a body on disk. */
static enum store_result deliver_check(struct store *store, const char *mailbox)
{
	struct store_mailbox_status status;

	return store_mailbox_status(store, mailbox, &status);
}

static bool deliver_has_bodies(const struct store_delivery *d)
{
	for (unsigned int i = 0; i < d->count; i++) {
		if (d->msgs[i].append.blob == NULL)
			return true;
	}
	return false;
}

static enum store_result deliver_write_bodies(struct store *store, struct store_delivery *d)
{
	for (unsigned int i = 0; i < d->count; i++) {
		struct store_delivery_msg *m = &d->msgs[i];
		enum store_result r;

		if (m->append.blob != NULL)
			continue;
		r = store_deliver_body(store, m->body, m->body_len, m->keep_bytes, &m->append.blob);
		if (r != STORE_OK)
			return r;
		m->own_blob = true;
	}
	return STORE_OK;
}

static void deliver_free_bodies(struct store_delivery *d)
{
	for (unsigned int i = 0; i < d->count; i++) {
		struct store_delivery_msg *m = &d->msgs[i];

		if (m->own_blob) {
			store_blob_free(&m->append.blob);
			m->own_blob = false;
		}
	}
}

void store_deliver_many(struct store *store, struct store_delivery *const *ds, unsigned int n)
{
	struct store_append_set *sets = xcalloc(n > 0 ? n : 1, sizeof(*sets));
	const char *checked = NULL;   /* the last mailbox found usable */
	unsigned int count = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct store_delivery *d = ds[i];

		d->result = STORE_OK;
		d->uidvalidity = 0;
		if (d->count == 0 || d->msgs == NULL || d->uids == NULL) {
			d->result = STORE_INVALID;
			continue;
		}
		if (deliver_has_bodies(d) &&
		    (checked == NULL || strcmp(checked, d->mailbox) != 0)) {
			d->result = deliver_check(store, d->mailbox);
			if (d->result != STORE_OK)
				continue;
			checked = d->mailbox;
		}
		d->result = deliver_write_bodies(store, d);
	}
	/* One set per delivery still going; the store_append arrays are the
	 * deliveries' own, copied into one array per set. */
	struct store_append **appends = xcalloc(n > 0 ? n : 1, sizeof(*appends));
	for (unsigned int i = 0; i < n; i++) {
		struct store_delivery *d = ds[i];

		if (d->result != STORE_OK)
			continue;
		appends[count] = xmalloc(d->count * sizeof(**appends));
		for (unsigned int j = 0; j < d->count; j++)
			appends[count][j] = d->msgs[j].append;
		sets[count] = (struct store_append_set){
			.mailbox = d->mailbox, .messages = appends[count],
			.count = d->count, .uids = d->uids,
		};
		count++;
	}
	if (count > 0)
		store_messages_append_many(store, sets, count);
	count = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct store_delivery *d = ds[i];

		if (d->result == STORE_OK) {
			d->result = sets[count].result;
			d->uidvalidity = sets[count].uidvalidity;
			free(appends[count]);
			count++;
		}
		deliver_free_bodies(d);
	}
	free(appends);
	free(sets);
}

enum store_result store_deliver(struct store *store, struct store_delivery *d)
{
	store_deliver_many(store, &d, 1);
	return d->result;
}

/* ---- group commit ---- */

struct store_deliver_queue *store_deliver_queue_create(void)
{
	struct store_deliver_queue *q = xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void store_deliver_queue_destroy(struct store_deliver_queue **qp)
{
	struct store_deliver_queue *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	pthread_mutex_destroy(&q->lock);
	free(q);
}

bool store_deliver_queue_push(struct store_deliver_queue *q, struct store_delivery *d,
			      bool (*submit)(void *ctx), void *ctx)
{
	bool ok;

	d->next = NULL;
	d->done = false;
	pthread_mutex_lock(&q->lock);
	ok = submit(ctx);
	if (ok) {
		d->queued = true;
		if (q->tail != NULL)
			q->tail->next = d;
		else
			q->head = d;
		q->tail = d;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static size_t delivery_bytes(const struct store_delivery *d)
{
	size_t n = 0;

	for (unsigned int i = 0; i < d->count; i++)
		n += d->msgs[i].body_len;
	return n;
}

void store_deliver_queue_run(struct store_deliver_queue *q, struct store *store,
			     struct store_delivery *d)
{
	struct store_delivery *batch[STORE_DELIVER_BATCH_MAX] = { NULL };
	unsigned int n = 0, messages = 0;
	size_t bytes = 0;

	pthread_mutex_lock(&q->lock);
	if (d->done || !d->queued) {
		pthread_mutex_unlock(&q->lock);
		return;
	}
	/* Jobs run in queue order, so d is the head; take it and whatever
	 * follows, within the bounds (d itself always). */
	bool taken = false;

	while (q->head != NULL && n < STORE_DELIVER_BATCH_MAX) {
		struct store_delivery *x = q->head;

		if (taken && (x->own_job_only ||
			      messages + x->count > STORE_DELIVER_BATCH_MAX ||
			      bytes + delivery_bytes(x) > STORE_DELIVER_BATCH_BYTES))
			break;
		taken = taken || x == d;
		q->head = x->next;
		if (q->head == NULL)
			q->tail = NULL;
		x->queued = false;
		batch[n++] = x;
		messages += x->count;
		bytes += delivery_bytes(x);
	}
	q->batches_running++;
	pthread_mutex_unlock(&q->lock);
	store_deliver_many(store, batch, n);
	pthread_mutex_lock(&q->lock);
	q->batches_running--;
	q->last_end_ms = monotonic_ms();
	for (unsigned int i = 0; i < n; i++)
		batch[i]->done = true;
	pthread_mutex_unlock(&q->lock);
}

int64_t store_deliver_queue_idle_ms(struct store_deliver_queue *q)
{
	int64_t idle;

	pthread_mutex_lock(&q->lock);
	if (q->head != NULL || q->batches_running > 0)
		idle = 0;
	else if (q->last_end_ms == 0)
		idle = INT64_MAX;
	else
		idle = monotonic_ms() - q->last_end_ms;
	pthread_mutex_unlock(&q->lock);
	return idle;
}

void store_deliver_queue_cancel(struct store_deliver_queue *q, struct store_delivery *d,
				enum store_result r)
{
	pthread_mutex_lock(&q->lock);
	if (d->queued) {
		struct store_delivery **pp = &q->head, *prev = NULL;

		while (*pp != d) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		*pp = d->next;
		if (q->tail == d)
			q->tail = prev;
		d->queued = false;
	}
	if (!d->done) {
		d->result = r;
		d->done = true;
	}
	pthread_mutex_unlock(&q->lock);
}
