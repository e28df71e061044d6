/* The delivery function and group commit (store/deliver.h): several
 * deliveries made durable by one commit, each with its own answer; a
 * delivery to a missing mailbox writes no body; one failing set never
 * fails the others; the queue hands a batch to the first job and stops
 * before a delivery only its own job may take. */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/deliver.h"
#include "store/store.h"
#include "unit.h"
#include "unit-store.h"

static char data_dir[] = "/tmp/petrel-test-deliver-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static uint32_t messages_in(struct store *st, const char *name)
{
	struct store_mailbox_status status;

	if (store_mailbox_status(st, name, &status) != STORE_OK)
		return 9999;
	return status.messages;
}

/* One message with its body in memory. */
struct one {
	struct store_delivery d;
	struct store_delivery_msg m;
	uint32_t uid;
};

static void one_init(struct one *o, const char *mailbox, const char *body, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->m.body = body;
	o->m.body_len = len;
	o->m.append.internaldate = 1700000000;
	o->d.mailbox = mailbox;
	o->d.msgs = &o->m;
	o->d.count = 1;
	o->d.uids = &o->uid;
}

static void test_many(struct store *st, const char *blob_dir)
{
	static const char small[] = "Subject: small\r\n\r\nhello\r\n";
	size_t big_len = 100 * 1024;   /* over the inline size: a file in blobs/ */
	char *big = malloc(big_len);
	struct one a, b, c, e;
	struct store_delivery *ds[4] = { &a.d, &b.d, &c.d, &e.d };
	uint64_t commits = store_change_count(st);
	int files = count_files(blob_dir);

	/* Bytes zstd cannot shrink by 1/4 (store/body-codec.h), so the body
	 * stays over the inline size when stored: 0x20-0x7e, CRLF every 64. */
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < big_len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' : (char)(0x20 + x % 95);
	}
	memcpy(big, "Subject: big\r\n\r\n", 16);
	one_init(&a, "INBOX", small, sizeof(small) - 1);
	one_init(&b, "Nowhere", big, big_len);
	one_init(&c, "INBOX", big, big_len);
	one_init(&e, "Archive", small, sizeof(small) - 1);
	store_deliver_many(st, ds, 4);
	CHECK_INT(a.d.result, STORE_OK);
	CHECK_INT(b.d.result, STORE_NOT_FOUND);
	CHECK_INT(c.d.result, STORE_OK);
	CHECK_INT(e.d.result, STORE_OK);
	CHECK_INT(a.uid, 1);
	CHECK_INT(c.uid, 2);
	CHECK_INT(e.uid, 1);
	CHECK(a.d.uidvalidity != 0 && a.d.uidvalidity == c.d.uidvalidity);
	CHECK_INT(b.d.uidvalidity, 0);
	/* One commit made all three durable. */
	CHECK_INT(store_change_count(st) - commits, 1);
	/* The missing mailbox's body was never written: one new file only. */
	CHECK_INT(count_files(blob_dir) - files, 1);
	CHECK_INT(messages_in(st, "INBOX"), 2);
	CHECK_INT(messages_in(st, "Archive"), 1);
	/* The bodies made here are freed here. */
	CHECK(a.m.append.blob == NULL && c.m.append.blob == NULL);
	CHECK_INT(store_blob_count(st), 0);
	free(big);
}

/* A set that fails after it wrote rows (the 65th keyword of a mailbox)
 * spoils the transaction: the others are tried again alone and succeed. */
static void test_spoiled(struct store *st)
{
	static const char body[] = "Subject: k\r\n\r\nk\r\n";
	static char names[STORE_KEYWORDS_PER_MAILBOX + 1][16];
	static const char *keywords[STORE_KEYWORDS_PER_MAILBOX + 1];
	struct one a, b, c;
	struct store_delivery *ds[3] = { &a.d, &b.d, &c.d };

	for (unsigned int i = 0; i <= STORE_KEYWORDS_PER_MAILBOX; i++) {
		snprintf(names[i], sizeof(names[i]), "kw%u", i);
		keywords[i] = names[i];
	}
	CHECK_INT(store_mailbox_create(st, "Kw", 0), STORE_OK);
	one_init(&a, "Kw", body, sizeof(body) - 1);
	one_init(&b, "Kw", body, sizeof(body) - 1);
	b.m.append.keywords = keywords;
	b.m.append.keyword_count = STORE_KEYWORDS_PER_MAILBOX + 1;
	one_init(&c, "Kw", body, sizeof(body) - 1);
	store_deliver_many(st, ds, 3);
	CHECK_INT(a.d.result, STORE_OK);
	CHECK_INT(b.d.result, STORE_LIMIT);
	CHECK_INT(c.d.result, STORE_OK);
	CHECK_INT(a.uid, 1);
	CHECK_INT(c.uid, 2);
	CHECK_INT(messages_in(st, "Kw"), 2);
	CHECK_INT(store_blob_count(st), 0);
}

static bool submit_ok(void *ctx)
{
	(*(int *)ctx)++;
	return true;
}

static bool submit_full(void *ctx)
{
	(void)ctx;
	return false;
}

static void test_queue(struct store *st)
{
	static const char body[] = "Subject: q\r\n\r\nq\r\n";
	struct store_deliver_queue *q = store_deliver_queue_create();
	struct one o[4], refused;
	int submitted = 0;
	uint64_t commits = store_change_count(st);

	for (int i = 0; i < 4; i++) {
		one_init(&o[i], "Archive", body, sizeof(body) - 1);
		CHECK(store_deliver_queue_push(q, &o[i].d, submit_ok, &submitted));
	}
	/* Its blob would come from earlier jobs of its own: not batched. */
	o[2].d.own_job_only = true;
	one_init(&refused, "Archive", body, sizeof(body) - 1);
	CHECK(!store_deliver_queue_push(q, &refused.d, submit_full, NULL));
	CHECK_INT(submitted, 4);
	/* The first job takes o[0] and o[1], and stops before o[2]. */
	store_deliver_queue_run(q, st, &o[0].d);
	CHECK_INT(o[0].d.result, STORE_OK);
	CHECK_INT(o[1].d.result, STORE_OK);
	CHECK_INT(store_change_count(st) - commits, 1);
	CHECK_INT(o[1].uid, o[0].uid + 1);
	/* o[1]'s own job finds it done: nothing more is written. */
	store_deliver_queue_run(q, st, &o[1].d);
	CHECK_INT(store_change_count(st) - commits, 1);
	/* o[2]'s job takes it and o[3]. */
	store_deliver_queue_run(q, st, &o[2].d);
	CHECK_INT(o[2].d.result, STORE_OK);
	CHECK_INT(o[3].d.result, STORE_OK);
	CHECK_INT(o[3].uid, o[0].uid + 3);
	CHECK_INT(store_change_count(st) - commits, 2);
	store_deliver_queue_run(q, st, &o[3].d);
	CHECK_INT(store_change_count(st) - commits, 2);
	/* A job whose store could not be opened takes its delivery out. */
	one_init(&refused, "Archive", body, sizeof(body) - 1);
	CHECK(store_deliver_queue_push(q, &refused.d, submit_ok, &submitted));
	store_deliver_queue_cancel(q, &refused.d, STORE_BUSY);
	CHECK_INT(refused.d.result, STORE_BUSY);
	one_init(&o[0], "Archive", body, sizeof(body) - 1);
	CHECK(store_deliver_queue_push(q, &o[0].d, submit_ok, &submitted));
	store_deliver_queue_run(q, st, &o[0].d);
	CHECK_INT(o[0].d.result, STORE_OK);
	CHECK_INT(o[0].uid, o[3].uid + 1);
	store_deliver_queue_destroy(&q);
	CHECK(q == NULL);
}

int main(void)
{
	struct store *st = NULL;
	char err[256] = "", blob_dir[4096];

	log_set_level(LOG_ERROR);
	if (!unit_store_setup(data_dir, &env))
		return 1;
	CHECK_INT(store_open(env, "alice", STORE_OPEN_CREATE, &st, err, sizeof(err)),
		  STORE_OK);
	snprintf(blob_dir, sizeof(blob_dir), "%s/users/alice/blobs", data_dir);
	if (st != NULL) {
		test_many(st, blob_dir);
		test_spoiled(st);
		test_queue(st);
		store_close(&st);
	}
	unit_store_teardown(data_dir, &env);
	return unit_finish("store-deliver");
}
