/* Quota (store.h "quota"): usage counted exactly by every change; a change
 * past a limit refused whole (STORE_OVER_QUOTA, nothing written); changes
 * that add nothing always allowed, even over a lowered limit; a user's own
 * limits set, kept and cleared; writers on several threads never past a
 * limit together. The env's defaults are none here (the CLI and transcript
 * tests set them through the config). */
#include <pthread.h>

#include "contract.h"

#define USER "quota"
#define RACE_USER "quota-race"
#define RACE_LIMIT 50
#define RACE_WRITERS 4
#define RACE_APPENDS 30
#define BUSY_RETRIES 50

/* A message of exactly 600 bytes. */
static void body600(char *out, char tag)
{
	size_t head = (size_t)sprintf(out, "Subject: %c\r\n\r\n", tag);

	memset(out + head, tag, 600 - head);
	out[600] = '\0';
}

static struct store_quota quota_of(struct store *st)
{
	struct store_quota q;

	memset(&q, 0, sizeof(q));
	CT_CHECK_INT(store_quota_get(st, &q), STORE_OK);
	return q;
}

static enum store_result append_one(struct store *st, const char *mailbox, const char *body)
{
	struct store_append a = { .blob = ct_blob(st, body), .internaldate = 1700000000 };
	uint32_t uidv, uid;
	enum store_result r = a.blob == NULL ? STORE_ERROR :
		store_messages_append(st, mailbox, &a, 1, &uidv, &uid);

	store_blob_free(&a.blob);
	return r;
}

static void set_own(struct store *st, uint64_t storage, uint64_t message, uint64_t mailbox)
{
	const uint64_t own[STORE_QUOTA_RESOURCES] = { storage, message, mailbox };

	CT_CHECK_INT(store_quota_set(st, own), STORE_OK);
}

static void test_limits(void)
{
	struct store *st = ct_open(USER);
	char a[601], b[601];

	if (st == NULL)
		return;
	body600(a, 'a');
	body600(b, 'b');
	struct store_quota q = quota_of(st);
	uint64_t boxes = q.usage[STORE_QUOTA_MAILBOX];

	CT_CHECK(boxes >= 1);   /* INBOX at least */
	CT_CHECK_INT(q.usage[STORE_QUOTA_STORAGE], 0);
	CT_CHECK_INT(q.usage[STORE_QUOTA_MESSAGE], 0);
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		CT_CHECK(q.own[i] == STORE_QUOTA_DEFAULT);
		CT_CHECK(q.limit[i] == STORE_QUOTA_NONE);
	}

	/* STORAGE 1 KiB: one 600-byte message fits, two do not. */
	set_own(st, 1, STORE_QUOTA_NONE, STORE_QUOTA_DEFAULT);
	q = quota_of(st);
	CT_CHECK_INT(q.own[STORE_QUOTA_STORAGE], 1);
	CT_CHECK_INT(q.limit[STORE_QUOTA_STORAGE], 1);
	CT_CHECK(q.own[STORE_QUOTA_MESSAGE] == STORE_QUOTA_NONE);
	CT_CHECK(q.own[STORE_QUOTA_MAILBOX] == STORE_QUOTA_DEFAULT);
	CT_CHECK_INT(append_one(st, "INBOX", a), STORE_OK);
	CT_CHECK_INT(append_one(st, "INBOX", b), STORE_OVER_QUOTA);
	struct store_mailbox_status s = ct_status(st, "INBOX");
	CT_CHECK_INT(s.messages, 1);
	CT_CHECK_INT(s.uidnext, 2);   /* nothing written, no UID used */
	q = quota_of(st);
	CT_CHECK_INT(q.usage[STORE_QUOTA_STORAGE], 600);
	CT_CHECK_INT(q.usage[STORE_QUOTA_MESSAGE], 1);

	/* MESSAGE 2, MAILBOX one more than now. */
	set_own(st, STORE_QUOTA_NONE, 2, boxes + 1);
	CT_CHECK_INT(append_one(st, "INBOX", b), STORE_OK);
	CT_CHECK_INT(append_one(st, "INBOX", b), STORE_OVER_QUOTA);
	CT_CHECK_INT(store_mailbox_create(st, "Work", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "More", 0), STORE_OVER_QUOTA);
	CT_CHECK_INT(store_mailbox_status(st, "More", &s), STORE_NOT_FOUND);
	/* RENAME INBOX leaves an INBOX: a mailbox more. A plain RENAME adds none. */
	CT_CHECK_INT(store_mailbox_rename(st, "INBOX", "Old"), STORE_OVER_QUOTA);
	CT_CHECK_INT(ct_status(st, "INBOX").messages, 2);
	CT_CHECK_INT(store_mailbox_rename(st, "Work", "Job"), STORE_OK);

	/* COPY adds messages; MOVE adds none. */
	uint32_t uidv = ct_uidv(st, "INBOX"), one = 1;
	struct store_copy_result cr;
	CT_CHECK_INT(store_messages_copy(st, "INBOX", uidv, &one, 1, "Job", false, &cr),
		     STORE_OVER_QUOTA);
	store_copy_result_free(&cr);
	CT_CHECK_INT(ct_status(st, "Job").messages, 0);
	CT_CHECK_INT(store_messages_copy(st, "INBOX", uidv, &one, 1, "Job", true, &cr), STORE_OK);
	store_copy_result_free(&cr);
	q = quota_of(st);
	CT_CHECK_INT(q.usage[STORE_QUOTA_MESSAGE], 2);
	CT_CHECK_INT(q.usage[STORE_QUOTA_STORAGE], 1200);
	CT_CHECK_INT(q.usage[STORE_QUOTA_MAILBOX], boxes + 1);

	/* A limit lowered under the usage: allowed; removing still works, and
	 * \Deleted messages count until expunged (DELETED-STORAGE says how much
	 * an EXPUNGE frees). */
	set_own(st, 1, 1, 1);
	q = quota_of(st);
	CT_CHECK(q.usage[STORE_QUOTA_STORAGE] > 1024 && q.usage[STORE_QUOTA_MESSAGE] > 1);
	ct_flags(st, "INBOX", 2, STORE_FLAGS_ADD, STORE_FLAG_DELETED);
	s = ct_status(st, "INBOX");
	CT_CHECK_INT(s.deleted, 1);
	CT_CHECK_INT(s.deleted_size, 600);
	CT_CHECK_INT(quota_of(st).usage[STORE_QUOTA_MESSAGE], 2);
	uint32_t two = 2;
	CT_CHECK_INT(ct_expunge(st, "INBOX", &two, 1), 1);
	CT_CHECK_INT(ct_status(st, "INBOX").deleted_size, 0);
	CT_CHECK_INT(store_mailbox_delete(st, "Job"), STORE_OK);
	q = quota_of(st);
	CT_CHECK_INT(q.usage[STORE_QUOTA_MESSAGE], 0);
	CT_CHECK_INT(q.usage[STORE_QUOTA_STORAGE], 0);
	CT_CHECK_INT(q.usage[STORE_QUOTA_MAILBOX], boxes);
	CT_CHECK_INT(append_one(st, "INBOX", a), STORE_OK);          /* 600 B, 1 message: fits */
	CT_CHECK_INT(append_one(st, "INBOX", b), STORE_OVER_QUOTA);  /* a second message does not */
	set_own(st, 1, 2, STORE_QUOTA_NONE);
	CT_CHECK_INT(append_one(st, "INBOX", b), STORE_OVER_QUOTA);  /* 1,200 B > 1 KiB */

	/* A group commit: each delivery is weighed on its own, in order; one
	 * over the limit is refused and the others go on. Room for 2 more. */
	set_own(st, STORE_QUOTA_NONE, 3, STORE_QUOTA_NONE);
	struct store_append m[4];
	uint32_t uids[4];
	for (int i = 0; i < 4; i++)
		m[i] = (struct store_append){ .blob = ct_blob(st, a), .internaldate = 1700000000 };
	struct store_append_set sets[3] = {
		{ .mailbox = "INBOX", .messages = &m[0], .count = 1, .uids = &uids[0] },
		{ .mailbox = "INBOX", .messages = &m[1], .count = 2, .uids = &uids[1] },
		{ .mailbox = "INBOX", .messages = &m[3], .count = 1, .uids = &uids[3] },
	};
	CT_CHECK_INT(store_messages_append_many(st, sets, 3), STORE_OK);
	CT_CHECK_INT(sets[0].result, STORE_OK);
	CT_CHECK_INT(sets[1].result, STORE_OVER_QUOTA);
	CT_CHECK_INT(sets[2].result, STORE_OK);
	CT_CHECK_INT(ct_status(st, "INBOX").messages, 3);
	for (int i = 0; i < 4; i++)
		store_blob_free(&m[i].blob);
	uint32_t gone[2] = { sets[0].uids[0], sets[2].uids[0] };
	CT_CHECK_INT(ct_expunge(st, "INBOX", gone, 2), 2);
	set_own(st, 1, 2, STORE_QUOTA_NONE);

	/* Kept across handles; back to the defaults; nonsense refused. */
	struct store *other = ct_open(USER);
	if (other != NULL) {
		q = quota_of(other);
		CT_CHECK_INT(q.own[STORE_QUOTA_STORAGE], 1);
		CT_CHECK_INT(q.own[STORE_QUOTA_MESSAGE], 2);
		CT_CHECK(q.own[STORE_QUOTA_MAILBOX] == STORE_QUOTA_NONE);
		store_close(&other);
	}
	set_own(st, STORE_QUOTA_DEFAULT, STORE_QUOTA_DEFAULT, STORE_QUOTA_DEFAULT);
	q = quota_of(st);
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		CT_CHECK(q.own[i] == STORE_QUOTA_DEFAULT && q.limit[i] == STORE_QUOTA_NONE);
	const uint64_t huge[STORE_QUOTA_RESOURCES] = { STORE_QUOTA_LIMIT_MAX + 1, 0, 0 };
	CT_CHECK_INT(store_quota_set(st, huge), STORE_INVALID);
	ct_check_clean(st);
	store_close(&st);
}

struct race_writer {
	pthread_t thread;
	unsigned int index, stored, refused;
	enum store_result failed;
};

static void *race_main(void *arg)
{
	struct race_writer *w = arg;
	struct store *st = ct_open(RACE_USER);

	if (st == NULL) {
		w->failed = STORE_ERROR;
		return NULL;
	}
	for (unsigned int i = 0; i < RACE_APPENDS; i++) {
		char body[64];
		enum store_result r;

		snprintf(body, sizeof(body), "Subject: w%u n%u\r\n\r\nx\r\n", w->index, i);
		for (unsigned int t = 0; (r = append_one(st, "INBOX", body)) == STORE_BUSY &&
		     t < BUSY_RETRIES; t++)
			;
		if (r == STORE_OK)
			w->stored++;
		else if (r == STORE_OVER_QUOTA)
			w->refused++;
		else
			w->failed = r;
	}
	store_close(&st);
	return NULL;
}

/* Each writer's check and insert are one transaction: RACE_WRITERS threads
 * racing for the last places store exactly RACE_LIMIT messages. */
static void test_race(void)
{
	static struct race_writer w[RACE_WRITERS];
	struct store *st = ct_open(RACE_USER);
	unsigned int stored = 0, refused = 0, started = 0;

	if (st == NULL)
		return;
	set_own(st, STORE_QUOTA_DEFAULT, RACE_LIMIT, STORE_QUOTA_DEFAULT);
	for (unsigned int i = 0; i < RACE_WRITERS; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, race_main, &w[i]) == 0)
			started++;
	}
	CT_CHECK_INT(started, RACE_WRITERS);
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		CT_CHECK_INT(w[i].failed, STORE_OK);
		stored += w[i].stored;
		refused += w[i].refused;
	}
	CT_CHECK_INT(stored, RACE_LIMIT);
	CT_CHECK_INT(refused, started * RACE_APPENDS - RACE_LIMIT);
	CT_CHECK_INT(ct_status(st, "INBOX").messages, RACE_LIMIT);
	CT_CHECK_INT(quota_of(st).usage[STORE_QUOTA_MESSAGE], RACE_LIMIT);
	ct_check_clean(st);
	store_close(&st);
}

void contract_quota(void)
{
	test_limits();
	test_race();
}
