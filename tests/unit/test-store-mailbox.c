/* Mailbox handles (store.h, "a mailbox handle"): a handle reads the mailbox
 * it was opened on, by identity: through a RENAME, across closing and
 * reopening the store handle, and never the mailbox that replaced it after
 * a DELETE (same name, or the same row made selectable again). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/store.h"
#include "unit.h"
#include "unit-store.h"

static char data_dir[] = "/tmp/petrel-test-store-mailbox-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */

static struct store *open_store(const char *user)
{
	struct store *st = NULL;
	char err[256] = "";

	if (store_open(env, user, STORE_OPEN_CREATE, &st, err, sizeof(err)) != STORE_OK)
		printf("store_open %s: %s\n", user, err);
	return st;
}

/* Appends body to mailbox; returns its UID or 0. */
static uint32_t append(struct store *st, const char *mailbox, const char *body)
{
	struct store_blob *b = NULL;
	struct store_append a = { .internaldate = 1700000000 };
	uint32_t uidv, uid = 0;

	if (store_blob_begin(st, strlen(body), &b) != STORE_OK ||
	    store_blob_write(b, body, strlen(body)) != STORE_OK ||
	    store_blob_finish(b) != STORE_OK)
		printf("blob failed\n");
	a.blob = b;
	if (store_messages_append(st, mailbox, &a, 1, &uidv, &uid) != STORE_OK)
		uid = 0;
	store_blob_free(&b);
	return uid;
}

static uint32_t uidvalidity(struct store *st, const char *name)
{
	struct store_mailbox_status s = { 0 };

	store_mailbox_status(st, name, &s);
	return s.uidvalidity;
}

/* The first bytes of uid's body through box ("" when it cannot be read),
 * and the open's result. */
static enum store_result body_of(struct store *st, const struct store_mailbox *box,
				 uint32_t uid, char *out, size_t size)
{
	struct store_body *body = NULL;
	enum store_result r = store_body_open_in(st, box, uid, &body);

	out[0] = '\0';
	if (r == STORE_OK) {
		size_t n = store_body_size(body) < size - 1 ? (size_t)store_body_size(body) : size - 1;

		if (store_body_read(body, 0, out, n) == STORE_OK)
			out[n] = '\0';
		store_body_close(&body);
	}
	return r;
}

struct seen {
	char uids[64];
	size_t len;
};

static bool read_cb(const struct store_message_info *info, void *ctx)
{
	struct seen *s = ctx;

	s->len += (size_t)snprintf(s->uids + s->len, sizeof(s->uids) - s->len, "%s%u",
				   s->len > 0 ? "," : "", info->uid);
	return true;
}

static const char *read_uids(struct store *st, const struct store_mailbox *box,
			     enum store_result *r_r)
{
	static struct seen s;
	static const uint32_t uids[] = { 1, 2, 3 };

	memset(&s, 0, sizeof(s));
	*r_r = store_messages_read_in(st, box, uids, 3, STORE_READ_SUMMARY, read_cb, &s);
	return s.uids;
}

static void test_open(struct store *st)
{
	struct store_mailbox *box = (struct store_mailbox *)1;

	CHECK_INT(store_mailbox_open(st, "Nope", 1, &box), STORE_NOT_FOUND);
	CHECK(box == NULL);
	CHECK_INT(store_mailbox_open(st, "INBOX", uidvalidity(st, "INBOX") + 1, &box),
		  STORE_NOT_FOUND);
	CHECK_INT(store_mailbox_open(st, "a//b", 1, &box), STORE_INVALID);
	CHECK_INT(store_mailbox_open(st, "INBOX", uidvalidity(st, "INBOX"), &box), STORE_OK);
	CHECK(box != NULL);
	store_mailbox_close(&box);
	CHECK(box == NULL);
	store_mailbox_close(&box);   /* NULL: nothing */
}

static void test_rename_reopen(struct store **stp)
{
	struct store_mailbox *box = NULL;
	char got[64];
	enum store_result r;

	CHECK_INT(store_mailbox_create(*stp, "Box", 0), STORE_OK);
	CHECK_INT(append(*stp, "Box", "Subject: one\r\n\r\nfirst\r\n"), 1);
	CHECK_INT(append(*stp, "Box", "Subject: two\r\n\r\nsecond\r\n"), 2);
	CHECK_INT(store_mailbox_open(*stp, "Box", uidvalidity(*stp, "Box"), &box), STORE_OK);
	CHECK_INT(body_of(*stp, box, 2, got, sizeof(got)), STORE_OK);
	CHECK_STR(got, "Subject: two\r\n\r\nsecond\r\n");
	CHECK_INT(body_of(*stp, box, 3, got, sizeof(got)), STORE_NOT_FOUND);
	CHECK_STR(read_uids(*stp, box, &r), "1,2");
	CHECK_INT(r, STORE_OK);

	/* RENAME: the handle follows the mailbox, not the name. */
	CHECK_INT(store_mailbox_rename(*stp, "Box", "Moved"), STORE_OK);
	CHECK_INT(body_of(*stp, box, 1, got, sizeof(got)), STORE_OK);
	CHECK_STR(got, "Subject: one\r\n\r\nfirst\r\n");
	/* A new mailbox under the old name is not the handle's. */
	CHECK_INT(store_mailbox_create(*stp, "Box", 0), STORE_OK);
	CHECK_INT(append(*stp, "Box", "Subject: other\r\n\r\nother\r\n"), 1);
	CHECK_INT(body_of(*stp, box, 1, got, sizeof(got)), STORE_OK);
	CHECK_STR(got, "Subject: one\r\n\r\nfirst\r\n");

	/* The store handle closed and another opened: the handle still reads. */
	store_close(stp);
	*stp = open_store("alice");
	if (*stp == NULL)
		return;
	CHECK_STR(read_uids(*stp, box, &r), "1,2");
	CHECK_INT(r, STORE_OK);

	/* Another user's store: refused, whatever its rows. */
	struct store *bob = open_store("bob");
	if (bob != NULL) {
		CHECK_INT(body_of(bob, box, 1, got, sizeof(got)), STORE_INVALID);
		CHECK_STR(read_uids(bob, box, &r), "");
		CHECK_INT(r, STORE_INVALID);
		store_close(&bob);
	}

	/* DELETE: gone for the handle, even when a mailbox created next takes
	 * the same row (SQLite reuses the highest rowid). */
	CHECK_INT(store_mailbox_delete(*stp, "Moved"), STORE_OK);
	CHECK_INT(body_of(*stp, box, 1, got, sizeof(got)), STORE_NOT_FOUND);
	CHECK_STR(read_uids(*stp, box, &r), "");
	CHECK_INT(r, STORE_NOT_FOUND);
	CHECK_INT(store_mailbox_create(*stp, "Moved", 0), STORE_OK);
	CHECK_INT(append(*stp, "Moved", "Subject: new\r\n\r\nnew\r\n"), 1);
	CHECK_INT(body_of(*stp, box, 1, got, sizeof(got)), STORE_NOT_FOUND);
	CHECK_STR(got, "");
	store_mailbox_close(&box);
}

/* A parent deleted while it has children becomes \Noselect (RFC 9051
 * §6.3.5) on the same row; created again it gets a new UIDVALIDITY. */
static void test_noselect(struct store *st)
{
	struct store_mailbox *box = NULL;
	char got[64];

	CHECK_INT(store_mailbox_create(st, "Parent/Child", 0), STORE_OK);
	CHECK_INT(append(st, "Parent", "Subject: p\r\n\r\np\r\n"), 1);
	CHECK_INT(store_mailbox_open(st, "Parent", uidvalidity(st, "Parent"), &box), STORE_OK);
	CHECK_INT(store_mailbox_delete(st, "Parent"), STORE_OK);
	CHECK_INT(body_of(st, box, 1, got, sizeof(got)), STORE_NOT_FOUND);
	CHECK_INT(store_mailbox_create(st, "Parent", 0), STORE_OK);
	CHECK_INT(append(st, "Parent", "Subject: q\r\n\r\nq\r\n"), 1);
	CHECK_INT(body_of(st, box, 1, got, sizeof(got)), STORE_NOT_FOUND);
	store_mailbox_close(&box);
}

/* SQLite gives a new row the highest rowid plus one: a mailbox created
 * right after the newest one was deleted takes its row id. */
static void test_row_reused(struct store *st)
{
	struct store_mailbox *box = NULL;
	char got[64];

	CHECK_INT(store_mailbox_create(st, "Newest", 0), STORE_OK);
	CHECK_INT(append(st, "Newest", "Subject: a\r\n\r\na\r\n"), 1);
	CHECK_INT(store_mailbox_open(st, "Newest", uidvalidity(st, "Newest"), &box), STORE_OK);
	CHECK_INT(store_mailbox_delete(st, "Newest"), STORE_OK);
	CHECK_INT(store_mailbox_create(st, "Other", 0), STORE_OK);
	CHECK_INT(append(st, "Other", "Subject: b\r\n\r\nb\r\n"), 1);
	CHECK_INT(body_of(st, box, 1, got, sizeof(got)), STORE_NOT_FOUND);
	CHECK_STR(got, "");
	store_mailbox_close(&box);
}

int main(void)
{
	struct store *st;

	log_set_level(LOG_ERROR);
	if (!unit_store_setup(data_dir, &env))
		return 1;
	st = open_store("alice");
	CHECK(st != NULL);
	if (st != NULL) {
		test_open(st);
		test_rename_reopen(&st);
		if (st != NULL)
			test_noselect(st);
		if (st != NULL)
			test_row_reused(st);
		store_close(&st);
	}
	unit_store_teardown(data_dir, &env);
	return unit_finish("store-mailbox");
}
