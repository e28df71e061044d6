/* Bodies on PostgreSQL (pg-blob.c, pg-read.c) where the contract suite
 * cannot look: a body past one chunk is stored in PG_BLOB_CHUNK rows and
 * read a chunk at a time (a read needs only the rows under its range),
 * stays readable after EXPUNGE and after its store handle is closed
 * (its rows are kept PG_BLOB_GRACE_S, then swept), a one-chunk body goes
 * at once, and an APPEND never finished leaves no row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg-store.h"
#include "pg-test.h"

#define USER "bodies"
/* Four whole chunks and a short fifth: the row boundaries are tested. */
#define BIG_SIZE (4 * PG_BLOB_CHUNK + 1000)
#define BIG_CHUNKS 5
#define HEADER "Subject: big\r\n\r\n"

/* One integer from sql ($1: the user), -1 on failure. */
static int64_t sql_int(struct store_env *env, const char *sql)
{
	const struct pg_param user = PG_TEXT(USER);
	struct pg_pool *pool;
	struct pg_lease *lease;
	struct pg_result *res;
	char err[256];
	int64_t n = -1;

	if (pg_env_pool(env, &pool, err, sizeof(err)) != STORE_OK ||
	    pg_pool_acquire(pool, &lease) != STORE_OK)
		return -1;
	if (pg_exec(lease, "test", sql, &user, 1, 0, &res) == STORE_OK) {
		if (pg_result_rows(res) == 1 && !pg_result_null(res, 0, 0))
			n = strtoll(pg_result_text(res, 0, 0), NULL, 10);
		pg_result_free(&res);
	}
	pg_pool_release(pool, &lease);
	return n;
}

#define OF_USER " store_id = (SELECT id FROM stores WHERE owner = $1)"

/* Bytes zstd cannot shrink (so the body is stored plain, byte for byte):
 * a fixed LCG's high bytes after the header. */
static unsigned char *big_body(void)
{
	unsigned char *b = malloc(BIG_SIZE);
	uint32_t x = 12345;

	memcpy(b, HEADER, strlen(HEADER));
	for (size_t i = strlen(HEADER); i < BIG_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (unsigned char)(x >> 24);
	}
	return b;
}

static enum store_result append_to(struct store *st, const char *mailbox, const void *data,
				   size_t len, uint32_t flags, uint32_t *uid_r)
{
	struct store_blob *blob = NULL;
	uint32_t uidv;
	enum store_result r = store_blob_begin(st, len, &blob);

	if (r != STORE_OK)
		return r;
	store_blob_keep_bytes(blob);
	/* In pieces, as a literal arrives. */
	for (size_t off = 0; r == STORE_OK && off < len; off += 65536)
		r = store_blob_write(blob, (const char *)data + off,
				     len - off < 65536 ? len - off : 65536);
	if (r == STORE_OK)
		r = store_blob_finish(blob);
	if (r == STORE_OK) {
		const struct store_append m = { .blob = blob, .flags = flags };

		r = store_messages_append(st, mailbox, &m, 1, &uidv, uid_r);
	}
	store_blob_free(&blob);
	return r;
}

static enum store_result append(struct store *st, const void *data, size_t len, uint32_t flags,
				uint32_t *uid_r)
{
	return append_to(st, "INBOX", data, len, flags, uid_r);
}

static uint32_t inbox_uidv(struct store *st)
{
	struct store_mailbox_status status;

	return store_mailbox_status(st, "INBOX", &status) == STORE_OK ? status.uidvalidity : 0;
}

static bool read_matches(struct store_body *body, const unsigned char *want, uint64_t off,
			 size_t len)
{
	unsigned char *got = malloc(len);
	bool ok = store_body_read(body, off, got, len) == STORE_OK &&
		memcmp(got, want + off, len) == 0;

	free(got);
	return ok;
}

static enum store_result expunge_deleted(struct store *st)
{
	uint32_t *gone = NULL, n = 0;
	enum store_result r = store_messages_expunge(st, "INBOX", inbox_uidv(st), NULL, 0, &gone,
						     &n);

	free(gone);
	return r;
}

struct seen_info {
	unsigned int count, summaries;
	uint64_t size[2];
	char emailid[2][32], threadid[2][32];
};

static bool info_cb(const struct store_message_info *info, void *ctx)
{
	struct seen_info *s = ctx;

	if (s->count < 2) {
		s->size[s->count] = info->size;
		snprintf(s->emailid[s->count], 32, "%s", info->emailid != NULL ? info->emailid : "-");
		snprintf(s->threadid[s->count], 32, "%s",
			 info->threadid != NULL ? info->threadid : "-");
	}
	s->summaries += info->summary != NULL && info->summary_size > 0;
	s->count++;
	return true;
}

#define PARENT "Message-ID: <p@x>\r\nSubject: p\r\n\r\nhi\r\n"
#define REPLY "Message-ID: <r@x>\r\nIn-Reply-To: <p@x>\r\nSubject: r\r\n\r\nre\r\n"

/* A mailbox handle (store_mailbox_open()): by identity across RENAME,
 * STORE_NOT_FOUND once deleted, STORE_INVALID with another user's store;
 * what messages_read_in gives (EMAILID, THREADID of a reply, summaries). */
static void check_box(struct store_env *env, struct store *st)
{
	const uint32_t uids[] = { 1, 2 };
	struct store_mailbox_status status;
	struct store_mailbox *box = NULL;
	struct store_body *body = NULL;
	struct store *other = NULL;
	struct seen_info si = { 0 }, flags = { 0 };
	char got[64] = "", err[256];
	uint32_t uid;
	enum store_result r = store_mailbox_create(st, "Box", 0);

	if (r == STORE_OK)
		r = append_to(st, "Box", PARENT, strlen(PARENT), 0, &uid);
	if (r == STORE_OK)
		r = append_to(st, "Box", REPLY, strlen(REPLY), 0, &uid);
	if (r == STORE_OK)
		r = store_mailbox_status(st, "Box", &status);
	check(r == STORE_OK && store_mailbox_open(st, "Box", status.uidvalidity + 1, &box) ==
	      STORE_NOT_FOUND && box == NULL, "bodies: a handle needs the UIDVALIDITY", "%s",
	      rs(r));
	if (r == STORE_OK)
		r = store_mailbox_open(st, "Box", status.uidvalidity, &box);
	if (r == STORE_OK)
		r = store_mailbox_rename(st, "Box", "Box2");
	if (r == STORE_OK)
		r = store_messages_read_in(st, box, uids, 2, STORE_READ_SUMMARY, info_cb, &si);
	check(r == STORE_OK && si.count == 2 && si.summaries == 2 &&
	      si.size[0] == strlen(PARENT) && si.size[1] == strlen(REPLY) &&
	      si.emailid[0][0] == 'M' && strcmp(si.emailid[0], si.emailid[1]) != 0 &&
	      si.threadid[0][0] == 'T' && strcmp(si.threadid[0], si.threadid[1]) == 0,
	      "bodies: read through a handle after RENAME: summaries, EMAILID, THREADID",
	      "%s %u %u %s %s", rs(r), si.count, si.summaries, si.threadid[0], si.threadid[1]);
	r = store_messages_read_in(st, box, uids, 2, STORE_READ_FLAGS_ONLY, info_cb, &flags);
	check(r == STORE_OK && flags.count == 2 && flags.summaries == 0 && flags.size[1] == 0,
	      "bodies: STORE_READ_FLAGS_ONLY leaves the rest", "%s", rs(r));
	r = store_body_open_in(st, box, 2, &body);
	if (r == STORE_OK)
		r = store_body_read(body, 0, got, strlen(REPLY));
	check(r == STORE_OK && memcmp(got, REPLY, strlen(REPLY)) == 0,
	      "bodies: a body through a handle", "%s", rs(r));
	store_body_close(&body);
	r = store_open(env, "bodies-other", STORE_OPEN_CREATE, &other, err, sizeof(err));
	check(r == STORE_OK && store_messages_read_in(other, box, uids, 2, 0, info_cb, &si) ==
	      STORE_INVALID && store_body_open_in(other, box, 1, &body) == STORE_INVALID,
	      "bodies: a handle with another user's store is refused", "%s", rs(r));
	store_close(&other);
	r = store_mailbox_delete(st, "Box2");
	check(r == STORE_OK && store_messages_read_in(st, box, uids, 2, 0, info_cb, &si) ==
	      STORE_NOT_FOUND && store_body_open_in(st, box, 1, &body) == STORE_NOT_FOUND &&
	      body == NULL, "bodies: a handle of a deleted mailbox finds nothing", "%s", rs(r));
	store_mailbox_close(&box);
}

/* A big body: its rows, reads across chunk boundaries, reads that need
 * only the rows under them. */
static void check_chunks(struct store_env *env, struct store *st, const unsigned char *big,
			 uint32_t uid)
{
	struct store_body *body = NULL;
	unsigned char buf[16];
	enum store_result r;

	check(sql_int(env, "SELECT count(*) FROM blob_chunks WHERE" OF_USER) == BIG_CHUNKS &&
	      sql_int(env, "SELECT max(length(data)) FROM blob_chunks WHERE" OF_USER) ==
	      PG_BLOB_CHUNK &&
	      sql_int(env, "SELECT sum(length(data)) FROM blob_chunks WHERE" OF_USER) == BIG_SIZE,
	      "bodies: a big body is stored in 256 KiB rows", "%lld rows",
	      (long long)sql_int(env, "SELECT count(*) FROM blob_chunks WHERE" OF_USER));
	r = store_body_open(st, "INBOX", inbox_uidv(st), uid, &body);
	check(r == STORE_OK && store_body_size(body) == BIG_SIZE, "bodies: open a big body", "%s",
	      rs(r));
	if (body == NULL)
		return;
	bool a = read_matches(body, big, 0, 40), b = read_matches(body, big, PG_BLOB_CHUNK - 7, 20);
	bool c = read_matches(body, big, 3 * PG_BLOB_CHUNK + 5, PG_BLOB_CHUNK + 1000 - 5);
	bool d = read_matches(body, big, 0, BIG_SIZE), e = read_matches(body, big, BIG_SIZE - 1, 1);

	check(a && b && c && d && e, "bodies: reads at any offset, across rows, the whole",
	      "%d %d %d %d %d", a, b, c, d, e);
	check(store_body_read(body, BIG_SIZE - 1, buf, 2) == STORE_INVALID,
	      "bodies: a read past the end is refused", "%s", "");
	store_body_close(&body);
	/* With every row but the third gone, a read inside the third still
	 * works: it fetched no other row. (The rows are hidden by seq, then put back.) */
	sql_int(env, "UPDATE blob_chunks SET seq = seq + 1000 WHERE" OF_USER " AND seq <> 2");
	r = store_body_open(st, "INBOX", inbox_uidv(st), uid, &body);
	check(r == STORE_OK && read_matches(body, big, 2 * PG_BLOB_CHUNK + 100, 5000),
	      "bodies: a partial read fetches only the rows under it", "%s", rs(r));
	check(body != NULL && store_body_read(body, 10, buf, 4) == STORE_CORRUPT,
	      "bodies: a missing row is damage", "%s", "");
	store_body_close(&body);
	sql_int(env, "UPDATE blob_chunks SET seq = seq - 1000 WHERE" OF_USER " AND seq >= 1000");
}

static void check_lifetime(struct store_env *env, struct store *st, const unsigned char *big,
			   uint32_t uid)
{
	struct store_body *body = NULL, *small_body = NULL;
	uint32_t small;
	char err[256];
	enum store_result r = store_body_open(st, "INBOX", inbox_uidv(st), uid, &body);
	const char *text = "Subject: small\r\n\r\nsmall\r\n";

	if (r == STORE_OK)
		r = append(st, text, strlen(text), STORE_FLAG_DELETED, &small);
	if (r == STORE_OK)
		r = store_body_open(st, "INBOX", inbox_uidv(st), small, &small_body);
	if (r == STORE_OK) {
		const uint32_t both[] = { uid };
		struct store_flag_change c = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED };
		uint32_t *mod = NULL, n = 0;

		r = store_messages_set_flags(st, "INBOX", inbox_uidv(st), both, 1, &c, &mod, &n);
		free(mod);
	}
	if (r == STORE_OK)
		r = expunge_deleted(st);
	check(r == STORE_OK, "bodies: expunged with their bodies open", "%s", rs(r));
	/* The small one's row went at once; the big one's waits, unreferenced. */
	check(sql_int(env, "SELECT count(*) FROM blobs WHERE" OF_USER) == 1 &&
	      sql_int(env, "SELECT count(*) FROM blobs WHERE" OF_USER " AND refcount = 0 AND"
		      " unreferenced IS NOT NULL") == 1 &&
	      sql_int(env, "SELECT count(*) FROM text_store WHERE" OF_USER) == 0,
	      "bodies: a one-chunk body goes at once, a big one waits (its text goes)",
	      "%lld blobs", (long long)sql_int(env, "SELECT count(*) FROM blobs WHERE" OF_USER));
	store_close(&st);
	check(body != NULL && read_matches(body, big, 3 * PG_BLOB_CHUNK - 3, 9000) &&
	      small_body != NULL && store_body_size(small_body) == strlen(text) &&
	      store_body_read(small_body, 0, (char[32]){ 0 }, 5) == STORE_OK,
	      "bodies: readable after EXPUNGE and after the handle is closed", "%s", "");
	store_body_close(&body);
	store_body_close(&small_body);

	/* Past the grace period, the next expunge of the user sweeps it. */
	r = store_open(env, USER, 0, &st, err, sizeof(err));
	sql_int(env, "UPDATE blobs SET unreferenced = unreferenced - " PG_STR(PG_BLOB_GRACE_S)
		" - 1 WHERE" OF_USER);
	if (r == STORE_OK)
		r = append(st, text, strlen(text), STORE_FLAG_DELETED, &small);
	if (r == STORE_OK)
		r = expunge_deleted(st);
	check(r == STORE_OK && sql_int(env, "SELECT count(*) FROM blobs WHERE" OF_USER) == 0 &&
	      sql_int(env, "SELECT count(*) FROM blob_chunks WHERE" OF_USER) == 0,
	      "bodies: an unreferenced big body is swept after PG_BLOB_GRACE_S", "%s", rs(r));
	store_close(&st);
}

/* A big blob written and freed without APPEND: no row, no handle left. */
static void check_abandoned(struct store_env *env, struct store *st, const unsigned char *big)
{
	struct store_blob *blob = NULL;
	enum store_result r = store_blob_begin(st, 0, &blob);
	int64_t before = sql_int(env, "SELECT count(*) FROM blob_chunks WHERE" OF_USER);

	if (r == STORE_OK)
		r = store_blob_write(blob, big, BIG_SIZE);
	if (r == STORE_OK)
		r = store_blob_finish(blob);
	store_blob_free(&blob);
	check(r == STORE_OK && store_blob_count(st) == 0 &&
	      sql_int(env, "SELECT count(*) FROM blob_chunks WHERE" OF_USER) == before,
	      "bodies: a blob never appended leaves no row", "%s", rs(r));
	/* Over APPENDLIMIT before a byte is sent. */
	check(store_blob_begin(st, PG_APPEND_LIMIT + 1, &blob) == STORE_TOO_BIG && blob == NULL &&
	      store_append_limit(env) == PG_APPEND_LIMIT,
	      "bodies: APPENDLIMIT is SQLite's", "%s", "");
}

int pg_test_bodies(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store *st = NULL;
	unsigned char *big = big_body();
	uint32_t uid = 0;
	char err[512] = "";
	enum store_result r = store_open(env, USER, STORE_OPEN_CREATE, &st, err, sizeof(err));

	if (r == STORE_OK)
		r = append(st, big, BIG_SIZE, 0, &uid);
	check(r == STORE_OK, "bodies: append a big body", "%s %s", rs(r), err);
	if (r == STORE_OK) {
		check_abandoned(env, st, big);
		check_box(env, st);
		check_chunks(env, st, big, uid);
		check_lifetime(env, st, big, uid);   /* closes st */
	} else {
		store_close(&st);
	}
	free(big);
	store_env_free(&env);
	return pg_test_failures > 0;
}
