/* Concurrent sessions (store.h "Threads"): two handles on one user see each
 * other's changes by modseq, interleaved; writers on several threads at
 * once (one handle each, as petrel's workers have) all succeed, every UID
 * is unique, ascending in each writer's order, and every message is there;
 * a reader meanwhile never sees a mailbox go back. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "contract.h"

#define USER "concurrency"
#define WRITERS 4
#define APPENDS_PER_WRITER 200
/* STORE_BUSY means "try again" (store.h): a writer retries this many times
 * before it counts a failure, so a lock wait is never a hang. */
#define BUSY_RETRIES 50

static void test_two_handles(void)
{
	struct store *a = ct_open(USER), *b = ct_open(USER);

	if (a == NULL || b == NULL) {
		store_close(&a);
		store_close(&b);
		return;
	}
	CT_CHECK_INT(store_mailbox_create(a, "Shared", 0), STORE_OK);
	/* b sees the mailbox a made, at once. */
	uint32_t v = ct_uidv(b, "Shared");
	CT_CHECK_INT(v, ct_uidv(a, "Shared"));
	CT_CHECK_INT(ct_append(a, "Shared", "Subject: a1\r\n\r\na\r\n"), 1);
	CT_CHECK_INT(ct_append(b, "Shared", "Subject: b2\r\n\r\nb\r\n"), 2);
	CT_CHECK_INT(ct_append(a, "Shared", "Subject: a3\r\n\r\na\r\n"), 3);
	CT_CHECK_INT(ct_status(b, "Shared").messages, 3);

	/* a learns of b's changes by modseq, not by being told. */
	uint64_t seen = ct_status(a, "Shared").highestmodseq;
	uint64_t a_count = store_change_count(a), b_count = store_change_count(b);
	ct_flags(b, "Shared", 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN);
	uint32_t two = 2;
	CT_CHECK_INT(ct_expunge(b, "Shared", &two, 1), 1);
	/* The change count is of this handle's own commits. */
	CT_CHECK_INT(store_change_count(a), a_count);
	CT_CHECK(store_change_count(b) > b_count);
	struct store_changes ch;
	CT_CHECK_INT(store_mailbox_changes(a, "Shared", v, seen, &ch), STORE_OK);
	CT_CHECK_INT(ch.changed_count, 1);
	if (ch.changed_count == 1) {
		CT_CHECK_INT(ch.changed[0].uid, 1);
		CT_CHECK_INT(ch.changed[0].flags, STORE_FLAG_SEEN);
	}
	CT_CHECK_INT(ch.expunged_count, 1);
	if (ch.expunged_count == 1)
		CT_CHECK_INT(ch.expunged[0], 2);
	CT_CHECK_INT(ch.highestmodseq, ct_status(b, "Shared").highestmodseq);
	seen = ch.highestmodseq;
	store_changes_free(&ch);
	/* And b of a's; a flag b set and a cleared ends cleared. */
	ct_flags(a, "Shared", 1, STORE_FLAGS_REMOVE, STORE_FLAG_SEEN);
	CT_CHECK_INT(store_mailbox_changes(b, "Shared", v, seen, &ch), STORE_OK);
	CT_CHECK_INT(ch.changed_count, 1);
	if (ch.changed_count == 1)
		CT_CHECK_INT(ch.changed[0].flags, 0);
	store_changes_free(&ch);
	/* A mailbox deleted through one handle is gone for the other. */
	CT_CHECK_INT(store_mailbox_create(b, "Brief", 0), STORE_OK);
	uint32_t bv = ct_uidv(a, "Brief");
	CT_CHECK_INT(store_mailbox_delete(a, "Brief"), STORE_OK);
	CT_CHECK_INT(store_mailbox_changes(b, "Brief", bv, 0, &ch), STORE_NOT_FOUND);
	store_close(&a);
	store_close(&b);
}

struct writer {
	pthread_t thread;
	unsigned int index;
	uint32_t uids[APPENDS_PER_WRITER];
	unsigned int done;
	unsigned int busy;
	enum store_result failed;
};

static _Atomic bool writers_done;

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct store *st = ct_open(USER);

	if (st == NULL) {
		w->failed = STORE_ERROR;
		return NULL;
	}
	for (unsigned int i = 0; i < APPENDS_PER_WRITER; i++) {
		char body[96];
		struct store_blob *b = NULL;

		snprintf(body, sizeof(body), "Subject: w%u n%u\r\n\r\nfrom writer %u\r\n",
			 w->index, i, w->index);
		enum store_result r = store_blob_begin(st, strlen(body), &b);
		if (r == STORE_OK)
			r = store_blob_write(b, body, strlen(body));
		if (r == STORE_OK)
			r = store_blob_finish(b);
		struct store_append a = { .blob = b, .internaldate = 1700000000 };
		uint32_t uidv;

		for (unsigned int t = 0; r == STORE_OK; t++) {
			r = store_messages_append(st, "Race", &a, 1, &uidv, &w->uids[i]);
			if (r != STORE_BUSY || t == BUSY_RETRIES)
				break;
			w->busy++;
			r = STORE_OK;
		}
		store_blob_free(&b);
		if (r != STORE_OK) {
			w->failed = r;
			break;
		}
		w->done++;
	}
	store_close(&st);
	return NULL;
}

struct reader {
	pthread_t thread;
	unsigned int reads;
	unsigned int went_back;
	enum store_result failed;
};

/* Bounded: stops when the writers are done or after this many reads. */
#define READS_MAX 100000

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct store *st = ct_open(USER);
	uint64_t last_modseq = 0;
	uint32_t last_next = 0, last_count = 0;

	if (st == NULL) {
		rd->failed = STORE_ERROR;
		return NULL;
	}
	while (!writers_done && rd->reads < READS_MAX) {
		struct store_mailbox_status s;
		enum store_result r = store_mailbox_status(st, "Race", &s);

		if (r == STORE_BUSY)
			continue;
		if (r != STORE_OK) {
			rd->failed = r;
			break;
		}
		rd->reads++;
		if (s.highestmodseq < last_modseq || s.uidnext < last_next || s.messages < last_count)
			rd->went_back++;
		last_modseq = s.highestmodseq;
		last_next = s.uidnext;
		last_count = s.messages;
		struct timespec pause = { 0, 1000000 };
		nanosleep(&pause, NULL);
	}
	store_close(&st);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_threads(void)
{
	static struct writer w[WRITERS];
	struct reader rd = { 0 };
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	CT_CHECK_INT(store_mailbox_create(st, "Race", 0), STORE_OK);
	writers_done = false;
	bool reader_started = pthread_create(&rd.thread, NULL, reader_main, &rd) == 0;
	CT_CHECK(reader_started);
	unsigned int started = 0;
	for (unsigned int i = 0; i < WRITERS; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, writer_main, &w[i]) == 0)
			started++;
	}
	CT_CHECK_INT(started, WRITERS);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	writers_done = true;
	if (reader_started)
		pthread_join(rd.thread, NULL);

	uint32_t all[WRITERS * APPENDS_PER_WRITER], n = 0;
	unsigned int busy = 0;
	for (unsigned int i = 0; i < WRITERS; i++) {
		CT_CHECK_INT(w[i].failed, STORE_OK);
		CT_CHECK_INT(w[i].done, APPENDS_PER_WRITER);
		busy += w[i].busy;
		/* Each writer's UIDs ascend in the order it got them. */
		for (unsigned int k = 1; k < w[i].done; k++) {
			if (w[i].uids[k] <= w[i].uids[k - 1]) {
				CT_CHECK(!"a writer's UIDs ascend");
				break;
			}
		}
		for (unsigned int k = 0; k < w[i].done; k++)
			all[n++] = w[i].uids[k];
	}
	if (busy > 0)
		printf("  (%u appends answered STORE_BUSY and were retried)\n", busy);
	CT_CHECK_INT(rd.failed, STORE_OK);
	CT_CHECK_INT(rd.went_back, 0);
	qsort(all, n, sizeof(all[0]), cmp_u32);
	unsigned int dups = 0;
	for (uint32_t i = 1; i < n; i++)
		dups += all[i] == all[i - 1];
	CT_CHECK_INT(dups, 0);

	/* Every message is there, under the UID its writer was given; a
	 * writer's later message has a higher modseq than its earlier one (it
	 * was committed after: "higher than any before it"). */
	struct store_snapshot snap;
	CT_CHECK_INT(store_mailbox_snapshot(st, "Race", false, &snap), STORE_OK);
	CT_CHECK_INT(snap.count, WRITERS * APPENDS_PER_WRITER);
	if (snap.count == n) {
		uint32_t mismatched = 0, modseq_back = 0;
		uint64_t max = 0;

		for (uint32_t i = 0; i < n; i++) {
			mismatched += snap.messages[i].uid != all[i];
			if (snap.messages[i].modseq > max)
				max = snap.messages[i].modseq;
		}
		CT_CHECK_INT(mismatched, 0);
		CT_CHECK_INT(snap.uidnext, all[n - 1] + 1);
		CT_CHECK_INT(snap.highestmodseq, max);
		for (unsigned int i = 0; i < WRITERS && mismatched == 0; i++) {
			uint64_t prev = 0;

			for (unsigned int k = 0; k < w[i].done; k++) {
				const uint32_t *at = bsearch(&w[i].uids[k], all, n, sizeof(all[0]),
							     cmp_u32);
				uint64_t m = at != NULL ? snap.messages[at - all].modseq : 0;

				modseq_back += m <= prev;
				prev = m;
			}
		}
		CT_CHECK_INT(modseq_back, 0);
	}
	store_snapshot_free(&snap);
	ct_check_clean(st);
	store_close(&st);
}

void contract_concurrency(void)
{
	test_two_handles();
	test_threads();
}
