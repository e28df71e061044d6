/* Which commits wait for the disk: every change a client is told of
 * (APPEND, STORE, EXPUNGE) syncs before it returns; a \Recent claim alone
 * (SELECT's, or a later one) does not, and the durable commit after it
 * syncs again. fsync and fdatasync are counted by defining them here: the
 * dynamic linker binds SQLite's and the store's calls to these. */
#include <ftw.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"
#include "unit.h"

static atomic_int syncs;

int fdatasync(int fd)
{
	atomic_fetch_add(&syncs, 1);
	return (int)syscall(SYS_fdatasync, fd);
}

int fsync(int fd)
{
	atomic_fetch_add(&syncs, 1);
	return (int)syscall(SYS_fsync, fd);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static enum store_result append_text(struct store *st, const char *text, uint32_t *uid_r)
{
	struct store_blob *b = NULL;
	uint32_t uidv;
	size_t len = strlen(text);
	enum store_result r = store_blob_begin(st, len, &b);

	if (r == STORE_OK)
		r = store_blob_write(b, text, len);
	if (r == STORE_OK)
		r = store_blob_finish(b);
	if (r == STORE_OK) {
		struct store_append a = { .blob = b, .internaldate = 1700000000 };

		r = store_messages_append(st, "INBOX", &a, 1, &uidv, uid_r);
	}
	store_blob_free(&b);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/petrel-test-store-sync-XXXXXX";
	char err[256] = "";
	struct store_env *env = NULL;
	struct store *st = NULL;
	struct store_snapshot snap;
	uint32_t uid = 0, first = 0, next = 0;
	int before;

	log_set_level(LOG_ERROR);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CHECK_INT(store_env_open(NULL, dir, &env, err, sizeof(err)), STORE_OK);
	CHECK_INT(store_open(env, "alice", STORE_OPEN_CREATE, &st, err, sizeof(err)), STORE_OK);
	if (st == NULL) {
		printf("store_open: %s\n", err);
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		return unit_finish("store-sync");
	}

	/* The counter sees the store's syncs at all. */
	before = atomic_load(&syncs);
	CHECK_INT(append_text(st, "Subject: one\r\n\r\nbody\r\n", &uid), STORE_OK);
	CHECK(atomic_load(&syncs) > before);

	/* SELECT claiming \Recent: no sync, and the claim is made. */
	before = atomic_load(&syncs);
	memset(&snap, 0, sizeof(snap));
	CHECK_INT(store_mailbox_snapshot(st, "INBOX", true, &snap), STORE_OK);
	CHECK_INT(atomic_load(&syncs), before);
	CHECK_INT(snap.first_recent_uid, 1);
	uint32_t uidvalidity = snap.uidvalidity;

	store_snapshot_free(&snap);
	CHECK_INT(store_mailbox_snapshot(st, "INBOX", false, &snap), STORE_OK);
	CHECK_INT(snap.first_recent_uid, 2);   /* claimed: the next SELECT sees none */
	store_snapshot_free(&snap);

	/* The next durable change syncs again after the lazy commit. */
	uint32_t *modified = NULL, modified_count = 0;
	struct store_flag_change seen = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN };

	before = atomic_load(&syncs);
	CHECK_INT(store_messages_set_flags(st, "INBOX", uidvalidity, &uid, 1, &seen, &modified,
					   &modified_count), STORE_OK);
	CHECK(atomic_load(&syncs) > before);
	CHECK_INT(modified_count, 0);   /* none left alone: not conditional */
	free(modified);

	/* A later claim (store_mailbox_claim_recent): no sync; then APPEND
	 * syncs. */
	CHECK_INT(append_text(st, "Subject: two\r\n\r\nbody\r\n", &uid), STORE_OK);
	before = atomic_load(&syncs);
	CHECK_INT(store_mailbox_claim_recent(st, "INBOX", uidvalidity, &first, &next), STORE_OK);
	CHECK_INT(atomic_load(&syncs), before);
	CHECK_INT(first, 2);
	CHECK_INT(next, 3);
	before = atomic_load(&syncs);
	CHECK_INT(append_text(st, "Subject: three\r\n\r\nbody\r\n", &uid), STORE_OK);
	CHECK(atomic_load(&syncs) > before);

	/* Expunge syncs too, right after a claim. */
	uint32_t *expunged = NULL, expunged_count = 0;
	uint32_t one = 1;
	struct store_flag_change del = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED };

	CHECK_INT(store_mailbox_claim_recent(st, "INBOX", uidvalidity, &first, &next), STORE_OK);
	CHECK_INT(store_messages_set_flags(st, "INBOX", uidvalidity, &one, 1, &del, &modified,
					   &modified_count), STORE_OK);
	free(modified);
	CHECK_INT(store_mailbox_claim_recent(st, "INBOX", uidvalidity, &first, &next), STORE_OK);
	before = atomic_load(&syncs);
	CHECK_INT(store_messages_expunge(st, "INBOX", uidvalidity, &one, 1, &expunged,
					 &expunged_count), STORE_OK);
	CHECK(atomic_load(&syncs) > before);
	CHECK_INT(expunged_count, 1);
	free(expunged);

	/* What was claimed lazily is on disk once the store is reopened. */
	store_close(&st);
	CHECK_INT(store_open(env, "alice", 0, &st, err, sizeof(err)), STORE_OK);
	if (st != NULL) {
		CHECK_INT(store_mailbox_snapshot(st, "INBOX", false, &snap), STORE_OK);
		CHECK_INT(snap.first_recent_uid, 4);
		CHECK_INT(snap.count, 2);
		store_snapshot_free(&snap);
		store_close(&st);
	}
	store_env_free(&env);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return unit_finish("store-sync");
}
