/* A user's store on PostgreSQL (pg-store.c) where the contract suite
 * cannot look: a store missing without STORE_OPEN_CREATE, the default
 * mailboxes (and STORE_OPEN_BARE's INBOX alone), handles that pin no
 * connection, and the two helpers tests/pg/test_pg_contract.py races and
 * blocks from several processes (store-open, store-mkbox). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg-private.h"
#include "pg-test.h"

/* More handles than the pool has connections: each must still work. */
#define HANDLES (PG_POOL_SIZE_DEFAULT * 3)
#define LIST_MAX 512               /* the mailbox names of a new store */

static bool list_cb(const struct store_mailbox_info *info, void *ctx)
{
	char *out = ctx;
	size_t len = strlen(out);

	snprintf(out + len, LIST_MAX - len, "%s%s:%u%s", len > 0 ? " " : "", info->name,
		 info->special_use, info->subscribed ? "s" : "");
	return true;
}

static enum store_result open_list(struct store_env *env, const char *user, unsigned int flags,
				   char list[LIST_MAX], char *err, size_t err_size)
{
	struct store *st = NULL;
	enum store_result r = store_open(env, user, flags, &st, err, err_size);

	list[0] = '\0';
	if (r != STORE_OK)
		return r;
	r = store_mailbox_list(st, list_cb, list);
	store_close(&st);
	return r;
}

#define DEFAULT_LIST "Archive:2s Drafts:4s INBOX:0s Junk:16s Sent:32s Trash:64s"

int pg_test_store(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store *handles[HANDLES] = { NULL };
	char list[LIST_MAX], err[512] = "";
	struct pg_pool *pool = NULL;
	enum store_result r;

	r = open_list(env, "never-made", 0, list, err, sizeof(err));
	check(r == STORE_MISSING && strcmp(err, "the database holds no store for never-made,"
		" and the user database says this user had one: not creating a new one"
		" (restore it)") == 0, "store: missing without CREATE", "%s %s", rs(r), err);
	r = open_list(env, "never-made", 0, list, err, sizeof(err));
	check(r == STORE_MISSING, "store: and still missing (nothing made)", "%s", rs(r));
	r = open_list(env, "a/b", STORE_OPEN_CREATE, list, err, sizeof(err));
	check(r == STORE_INVALID && strcmp(err, "invalid user name") == 0,
	      "store: a name with / is invalid", "%s %s", rs(r), err);
	r = open_list(env, "fresh", STORE_OPEN_CREATE, list, err, sizeof(err));
	check(r == STORE_OK && strcmp(list, DEFAULT_LIST) == 0,
	      "store: CREATE makes the default mailboxes, subscribed", "%s %s", rs(r), list);
	r = open_list(env, "fresh", 0, list, err, sizeof(err));
	check(r == STORE_OK && strcmp(list, DEFAULT_LIST) == 0,
	      "store: opened again without CREATE", "%s %s", rs(r), list);
	r = open_list(env, "bare", STORE_OPEN_CREATE | STORE_OPEN_BARE, list, err, sizeof(err));
	check(r == STORE_OK && strcmp(list, "INBOX:0s") == 0, "store: BARE makes INBOX alone",
	      "%s %s", rs(r), list);

	/* Handles pin no connection: three times the pool's size stay open
	 * and each still works, with the pool never above its size. */
	unsigned int ok = 0;

	for (int i = 0; i < HANDLES; i++) {
		if (store_open(env, "fresh", 0, &handles[i], err, sizeof(err)) == STORE_OK)
			ok++;
	}
	for (int i = 0; i < HANDLES; i++) {
		struct store_mailbox_status status;

		if (handles[i] != NULL && store_mailbox_status(handles[i], "INBOX", &status) ==
		    STORE_OK && status.uidnext == 1)
			ok++;
	}
	for (int i = 0; i < HANDLES; i++)
		store_close(&handles[i]);
	(void)pg_env_pool(env, &pool, err, sizeof(err));
	check(ok == 2 * HANDLES && pool != NULL &&
	      pg_pool_connections(pool) <= PG_POOL_SIZE_DEFAULT,
	      "store: more handles than connections, all working", "%u of %d, %u connections",
	      ok, 2 * HANDLES, pool != NULL ? pg_pool_connections(pool) : 0);
	store_env_free(&env);
	return pg_test_failures > 0 ? 1 : 0;
}

int pg_test_store_open(const char *conninfo, const char *user)
{
	struct store_env *env = pg_env_new(conninfo);
	char list[LIST_MAX], err[512] = "";
	enum store_result r = open_list(env, user, STORE_OPEN_CREATE, list, err, sizeof(err));

	printf("open: %s %s\n", rs(r), r == STORE_OK ? list : err);
	store_env_free(&env);
	return r == STORE_OK ? 0 : 1;
}

int pg_test_store_mkbox(const char *conninfo, const char *user)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store *st = NULL;
	char err[512] = "";
	enum store_result r = store_open(env, user, STORE_OPEN_CREATE, &st, err, sizeof(err));

	if (r == STORE_OK)
		r = store_mailbox_create(st, "Made", 0);
	store_close(&st);
	printf("mkbox: %s\n", rs(r));
	store_env_free(&env);
	return r == STORE_OK ? 0 : 1;
}

/* ---- a selected mailbox (pg-snapshot.c) ----
 * Messages are put in with SQL (APPEND is not written yet), in the state
 * the SQLite backend's APPEND, STORE and EXPUNGE would leave: UIDs 1-3 in
 * INBOX at modseqs 1-3 (flags \Seen, \Deleted, none; keywords bit 0 on
 * UID 3, bit 1 on UID 2), UID 4 expunged at modseq 4, one body of 100
 * bytes shared by all three, bob's \Seen on UID 2, counters exact. */

static const char *const snapshot_rows[] = {
	"INSERT INTO blobs (store_id, size, stored_size, codec, chunk_size, refcount, emailid)"
	" SELECT id, 100, 100, 0, 262144, 3, 'Mtest' FROM stores WHERE owner = $1",
	"INSERT INTO keywords (store_id, mailbox_id, bit, name) SELECT m.store_id, m.id, k.bit,"
	" k.name FROM mailboxes m JOIN stores s ON s.id = m.store_id,"
	" (VALUES (0, '$Forwarded'), (1, 'Work')) AS k (bit, name)"
	" WHERE s.owner = $1 AND m.name = 'INBOX'",
	"INSERT INTO messages (store_id, mailbox_id, uid, blob_id, flags, keywords, internaldate,"
	" internaldate_zone, savedate, modseq) SELECT m.store_id, m.id, v.uid, b.id, v.flags,"
	" v.kw, 1700000000, 0, 1700000000, v.modseq FROM mailboxes m JOIN stores s ON"
	" s.id = m.store_id JOIN blobs b ON b.store_id = s.id,"
	" (VALUES (1, 1, 0, 1), (2, 8, 2, 2), (3, 0, 1, 3)) AS v (uid, flags, kw, modseq)"
	" WHERE s.owner = $1 AND m.name = 'INBOX'",
	"INSERT INTO expunged (store_id, mailbox_id, uid, modseq) SELECT m.store_id, m.id, 4, 4"
	" FROM mailboxes m JOIN stores s ON s.id = m.store_id"
	" WHERE s.owner = $1 AND m.name = 'INBOX'",
	"INSERT INTO seen (store_id, mailbox_id, viewer, uid) SELECT m.store_id, m.id, 'bob', 2"
	" FROM mailboxes m JOIN stores s ON s.id = m.store_id"
	" WHERE s.owner = $1 AND m.name = 'INBOX'",
	"UPDATE mailboxes m SET uidnext = 5, highestmodseq = 4, messages = 3, unseen = 2,"
	" deleted = 1, size = 300, recent = 3 FROM stores s WHERE s.id = m.store_id AND"
	" s.owner = $1 AND m.name = 'INBOX'",
};

static enum store_result snapshot_setup(struct store_env *env, const char *owner)
{
	const struct pg_param param = PG_TEXT(owner);
	struct pg_pool *pool;
	struct pg_lease *lease;
	char err[256];
	enum store_result r = pg_env_pool(env, &pool, err, sizeof(err));

	if (r == STORE_OK)
		r = pg_pool_acquire(pool, &lease);
	if (r != STORE_OK)
		return r;
	for (size_t i = 0; r == STORE_OK && i < sizeof(snapshot_rows) / sizeof(*snapshot_rows);
	     i++)
		r = pg_exec(lease, "test rows", snapshot_rows[i], &param, 1, 0, NULL);
	pg_pool_release(pool, &lease);
	return r;
}

/* "uid/flags/keywords/modseq ..." of messages. */
static void messages_text(const struct store_message *m, uint32_t count, char *out,
			  size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < count && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%u/%u/%llu/%llu", i ? " " : "",
					m[i].uid, m[i].flags, (unsigned long long)m[i].keywords,
					(unsigned long long)m[i].modseq);
}

static void report_problem(const char *problem, void *ctx)
{
	(void)ctx;
	printf("  store_check: %s\n", problem);
}

struct problems {
	unsigned int count;
	char first[256];
};

static void first_problem(const char *problem, void *ctx)
{
	struct problems *p = ctx;

	if (p->count++ == 0)
		snprintf(p->first, sizeof(p->first), "%s", problem);
}

int pg_test_snapshot(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store *st = NULL;
	struct store_snapshot snap;
	struct store_changes ch;
	struct store_mailbox_status status;
	char text[LIST_MAX], err[512] = "";
	uint32_t first = 0, next = 0, uidv;
	const uint32_t want[] = { 3, 1, 1, 9 };
	enum store_result r = store_open(env, "snap", STORE_OPEN_CREATE, &st, err, sizeof(err));

	if (r == STORE_OK)
		r = snapshot_setup(env, "snap");
	check(r == STORE_OK, "snapshot: set up", "%s %s", rs(r), err);
	if (r != STORE_OK) {
		store_close(&st);
		store_env_free(&env);
		return 1;
	}
	r = store_check(st, report_problem, NULL);
	check(r == STORE_OK, "snapshot: the rows put in pass store_check", "%s", rs(r));
	r = store_mailbox_status(st, "INBOX", &status);
	uidv = status.uidvalidity;
	check(r == STORE_OK && status.messages == 3 && status.unseen == 2 && status.deleted == 1 &&
	      status.deleted_size == 100 && status.first_unseen_uid == 2 && status.recent == 3,
	      "snapshot: STATUS", "%s %u %u %u %llu %u %u", rs(r), status.messages, status.unseen,
	      status.deleted, (unsigned long long)status.deleted_size, status.first_unseen_uid,
	      status.recent);

	r = store_mailbox_snapshot(st, "INBOX", false, &snap);
	messages_text(snap.messages, snap.count, text, sizeof(text));
	check(r == STORE_OK && snap.uidvalidity == uidv && snap.uidnext == 5 &&
	      snap.highestmodseq == 4 && snap.first_recent_uid == 1 &&
	      strcmp(text, "1/1/0/1 2/8/2/2 3/0/1/3") == 0 && snap.keyword_count == 2 &&
	      strcmp(snap.keywords[0], "$Forwarded") == 0 && strcmp(snap.keywords[1], "Work") == 0,
	      "snapshot: every message, flags, keywords", "%s %s", rs(r), text);
	store_snapshot_free(&snap);
	r = store_mailbox_snapshot(st, "INBOX", true, &snap);
	check(r == STORE_OK && snap.first_recent_uid == 1, "snapshot: a claim sees them \\Recent",
	      "%s %u", rs(r), snap.first_recent_uid);
	store_snapshot_free(&snap);
	r = store_mailbox_snapshot(st, "INBOX", true, &snap);
	check(r == STORE_OK && snap.first_recent_uid == 5 && snap.highestmodseq == 4,
	      "snapshot: the next does not (and no modseq moved)", "%s %u", rs(r),
	      snap.first_recent_uid);
	store_snapshot_free(&snap);
	r = store_mailbox_claim_recent(st, "INBOX", uidv, &first, &next);
	check(r == STORE_OK && first == 5 && next == 5, "snapshot: claim_recent, none left",
	      "%s %u %u", rs(r), first, next);
	r = store_mailbox_claim_recent(st, "INBOX", uidv + 1, &first, &next);
	check(r == STORE_NOT_FOUND, "snapshot: claim_recent of another UIDVALIDITY", "%s",
	      rs(r));
	r = store_mailbox_snapshot(st, "Nope", false, &snap);
	check(r == STORE_NOT_FOUND, "snapshot: of no mailbox", "%s", rs(r));

	r = store_mailbox_changes(st, "INBOX", uidv, 2, &ch);
	messages_text(ch.changed, ch.changed_count, text, sizeof(text));
	check(r == STORE_OK && strcmp(text, "3/0/1/3") == 0 && ch.expunged_count == 1 &&
	      ch.expunged[0] == 4 && ch.uidnext == 5 && ch.highestmodseq == 4 &&
	      ch.keyword_count == 2, "snapshot: changes since 2", "%s %s %u", rs(r), text,
	      ch.expunged_count);
	store_changes_free(&ch);
	r = store_mailbox_changes(st, "INBOX", uidv, 4, &ch);
	check(r == STORE_OK && ch.changed_count == 0 && ch.expunged_count == 0,
	      "snapshot: no changes since HIGHESTMODSEQ", "%s", rs(r));
	store_changes_free(&ch);
	r = store_mailbox_changes(st, "INBOX", uidv - 1, 0, &ch);
	check(r == STORE_NOT_FOUND, "snapshot: changes of another UIDVALIDITY", "%s", rs(r));
	store_changes_free(&ch);

	r = store_messages_get(st, "INBOX", uidv, want, 4, &ch);
	messages_text(ch.changed, ch.changed_count, text, sizeof(text));
	check(r == STORE_OK && strcmp(text, "1/1/0/1 3/0/1/3") == 0,
	      "snapshot: messages_get, in UID order, once each, gone ones left out", "%s %s",
	      rs(r), text);
	store_changes_free(&ch);
	store_view_as(st, "bob");
	r = store_messages_get(st, "INBOX", uidv, want + 1, 1, &ch);
	messages_text(ch.changed, ch.changed_count, text, sizeof(text));
	store_changes_free(&ch);
	r = r == STORE_OK ? store_mailbox_snapshot(st, "INBOX", false, &snap) : r;
	if (r == STORE_OK)
		messages_text(snap.messages, snap.count, text + strlen(text) + 1,
			      sizeof(text) - strlen(text) - 1);
	check(r == STORE_OK && strcmp(text, "1/0/0/1") == 0 &&
	      strcmp(text + strlen(text) + 1, "1/0/0/1 2/9/2/2 3/0/1/3") == 0,
	      "snapshot: another viewer's \\Seen", "%s %s | %s", rs(r), text,
	      text + strlen(text) + 1);
	if (r == STORE_OK)
		store_snapshot_free(&snap);
	r = store_mailbox_status(st, "INBOX", &status);
	check(r == STORE_OK && status.unseen == 2 && status.first_unseen_uid == 1,
	      "snapshot: STATUS UNSEEN as the viewer", "%s %u %u", rs(r), status.unseen,
	      status.first_unseen_uid);
	store_view_as(st, NULL);
	r = store_check(st, report_problem, NULL);
	check(r == STORE_OK, "snapshot: store_check after the claims", "%s", rs(r));

	/* A counter off by one is what store_check exists to find. */
	struct pg_pool *pool;
	struct pg_lease *lease;
	struct problems p = { 0 };

	r = pg_env_pool(env, &pool, err, sizeof(err));
	if (r == STORE_OK && (r = pg_pool_acquire(pool, &lease)) == STORE_OK) {
		r = pg_exec(lease, "damage", "UPDATE mailboxes SET messages = 4 WHERE name = 'INBOX'"
			    " AND store_id = (SELECT id FROM stores WHERE owner = 'snap')", NULL, 0,
			    0, NULL);
		pg_pool_release(pool, &lease);
	}
	if (r == STORE_OK)
		r = store_check(st, first_problem, &p);
	check(r == STORE_CORRUPT && p.count == 1 &&
	      strcmp(p.first, "mailbox \"INBOX\": counter messages is 4, recount 3") == 0,
	      "snapshot: store_check finds a wrong counter", "%s %u %s", rs(r), p.count, p.first);
	memset(&p, 0, sizeof(p));
	if (r == STORE_CORRUPT && (r = pg_pool_acquire(pool, &lease)) == STORE_OK) {
		r = pg_exec(lease, "damage", "UPDATE mailboxes SET messages = 3 WHERE name = 'INBOX'"
			    " AND store_id = (SELECT id FROM stores WHERE owner = 'snap')", NULL, 0,
			    0, NULL);
		if (r == STORE_OK)
			r = pg_exec(lease, "damage", "UPDATE messages SET keywords = 4 WHERE uid = 3"
				    " AND store_id = (SELECT id FROM stores WHERE owner = 'snap')",
				    NULL, 0, 0, NULL);
		pg_pool_release(pool, &lease);
	}
	if (r == STORE_OK)
		r = store_check(st, first_problem, &p);
	check(r == STORE_CORRUPT && p.count == 1 && strcmp(p.first, "mailbox \"INBOX\":"
						    " 1 messages with undefined keyword bits") == 0,
	      "snapshot: store_check finds a keyword bit the mailbox never gave out", "%s %u %s",
	      rs(r), p.count, p.first);
	store_close(&st);
	store_env_free(&env);
	return pg_test_failures > 0 ? 1 : 0;
}

/* ---- quota without messages (pg-quota.c) ----
 * The same checks on both backends (quota / quota-sqlite DIR): the values
 * are the SQLite backend's. The contract's quota group appends messages,
 * which the PostgreSQL backend cannot do yet. */

static void quota_checks(struct store_env *env)
{
	const uint64_t mailboxes7[STORE_QUOTA_RESOURCES] = {
		[STORE_QUOTA_STORAGE] = STORE_QUOTA_DEFAULT,
		[STORE_QUOTA_MESSAGE] = STORE_QUOTA_NONE,
		[STORE_QUOTA_MAILBOX] = 7,
	};
	const uint64_t defaults[STORE_QUOTA_RESOURCES] = {
		STORE_QUOTA_DEFAULT, STORE_QUOTA_DEFAULT, STORE_QUOTA_DEFAULT,
	};
	struct store_quota q;
	struct store *st = NULL;
	char err[512] = "";
	enum store_result r;

	const uint64_t env_limits[STORE_QUOTA_RESOURCES] = {
		[STORE_QUOTA_STORAGE] = 1000,
		[STORE_QUOTA_MESSAGE] = STORE_QUOTA_NONE,
		[STORE_QUOTA_MAILBOX] = STORE_QUOTA_NONE,
	};

	store_env_set_quota(env, env_limits);
	r = store_open(env, "quota", STORE_OPEN_CREATE, &st, err, sizeof(err));
	check(r == STORE_OK, "quota: open", "%s %s", rs(r), err);
	if (r != STORE_OK)
		return;
	r = store_quota_get(st, &q);
	check(r == STORE_OK && q.usage[STORE_QUOTA_MAILBOX] == 6 &&
	      q.usage[STORE_QUOTA_MESSAGE] == 0 && q.usage[STORE_QUOTA_STORAGE] == 0 &&
	      q.own[STORE_QUOTA_STORAGE] == STORE_QUOTA_DEFAULT &&
	      q.limit[STORE_QUOTA_STORAGE] == 1000 &&
	      q.limit[STORE_QUOTA_MAILBOX] == STORE_QUOTA_NONE,
	      "quota: a new store's usage and the env's default", "%s %llu %llu",
	      rs(r), (unsigned long long)q.usage[STORE_QUOTA_MAILBOX],
	      (unsigned long long)q.limit[STORE_QUOTA_STORAGE]);
	r = store_quota_set(st, mailboxes7);
	if (r == STORE_OK)
		r = store_quota_get(st, &q);
	check(r == STORE_OK && q.own[STORE_QUOTA_MAILBOX] == 7 && q.limit[STORE_QUOTA_MAILBOX] == 7 &&
	      q.own[STORE_QUOTA_MESSAGE] == STORE_QUOTA_NONE &&
	      q.limit[STORE_QUOTA_MESSAGE] == STORE_QUOTA_NONE &&
	      q.own[STORE_QUOTA_STORAGE] == STORE_QUOTA_DEFAULT,
	      "quota: the user's own limits", "%s", rs(r));
	r = store_mailbox_create(st, "Seventh", 0);
	check(r == STORE_OK, "quota: the seventh mailbox fits", "%s", rs(r));
	r = store_mailbox_create(st, "Eighth", 0);
	check(r == STORE_OVER_QUOTA, "quota: the eighth does not", "%s", rs(r));
	r = store_mailbox_create(st, "Seventh/child", 0);
	check(r == STORE_OVER_QUOTA, "quota: nor a child", "%s", rs(r));
	r = store_mailbox_rename(st, "INBOX", "Old");
	check(r == STORE_OVER_QUOTA, "quota: RENAME INBOX makes one more", "%s", rs(r));
	r = store_mailbox_rename(st, "Seventh", "Renamed");
	check(r == STORE_OK, "quota: another RENAME adds none", "%s", rs(r));
	r = store_quota_set(st, defaults);
	if (r == STORE_OK)
		r = store_quota_get(st, &q);
	check(r == STORE_OK && q.own[STORE_QUOTA_MAILBOX] == STORE_QUOTA_DEFAULT &&
	      q.limit[STORE_QUOTA_MAILBOX] == STORE_QUOTA_NONE &&
	      q.usage[STORE_QUOTA_MAILBOX] == 7, "quota: back to the defaults", "%s", rs(r));
	r = store_mailbox_create(st, "Eighth", 0);
	check(r == STORE_OK, "quota: and the eighth fits", "%s", rs(r));
	store_close(&st);
}

int pg_test_quota(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);

	quota_checks(env);
	store_env_free(&env);
	return pg_test_failures > 0 ? 1 : 0;
}

int pg_test_quota_sqlite(const char *data_dir)
{
	struct store_env *env;
	char err[256] = "";
	enum store_result r = store_env_open("sqlite", data_dir, &env, err, sizeof(err));

	check(r == STORE_OK, "the sqlite env", "%s %s", rs(r), err);
	if (r != STORE_OK)
		return 1;
	quota_checks(env);
	store_env_free(&env);
	return pg_test_failures > 0 ? 1 : 0;
}

/* ---- STORE and EXPUNGE (pg-flags.c), on the same rows ---- */

static uint32_t flags_uidv(struct store *st)
{
	struct store_mailbox_status status;

	return store_mailbox_status(st, "INBOX", &status) == STORE_OK ? status.uidvalidity : 0;
}

static enum store_result flags_set(struct store *st, uint32_t uidv, const uint32_t *uids,
				   uint32_t count, const struct store_flag_change *c,
				   char *modified, size_t size)
{
	uint32_t *mod = NULL, mod_count = 0;
	enum store_result r = store_messages_set_flags(st, "INBOX", uidv, uids, count, c, &mod,
						       &mod_count);
	size_t len = 0;

	modified[0] = '\0';
	for (uint32_t i = 0; i < mod_count && len < size; i++)
		len += (size_t)snprintf(modified + len, size - len, "%s%u", i ? " " : "", mod[i]);
	free(mod);
	return r;
}

static void flags_snapshot(struct store *st, char *out, size_t size)
{
	struct store_snapshot snap;

	out[0] = '\0';
	if (store_mailbox_snapshot(st, "INBOX", false, &snap) != STORE_OK)
		return;
	messages_text(snap.messages, snap.count, out, size);
	size_t len = strlen(out);

	snprintf(out + len, size - len, " hms %llu kw", (unsigned long long)snap.highestmodseq);
	for (unsigned int i = 0; i < snap.keyword_count; i++) {
		len = strlen(out);
		snprintf(out + len, size - len, " %s", snap.keywords[i]);
	}
	store_snapshot_free(&snap);
}

static int64_t flags_blobs(struct store_env *env)
{
	struct pg_pool *pool;
	struct pg_lease *lease;
	struct pg_result *res;
	char err[256];
	int64_t n = -1;

	if (pg_env_pool(env, &pool, err, sizeof(err)) != STORE_OK ||
	    pg_pool_acquire(pool, &lease) != STORE_OK)
		return -1;
	if (pg_exec(lease, "blobs", "SELECT refcount FROM blobs WHERE store_id = (SELECT id FROM"
		    " stores WHERE owner = 'flagger')", NULL, 0, 0, &res) == STORE_OK) {
		n = pg_result_rows(res) == 0 ? 0 : strtoll(pg_result_text(res, 0, 0), NULL, 10);
		pg_result_free(&res);
	}
	pg_pool_release(pool, &lease);
	return n;
}

int pg_test_flags(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);
	struct store *st = NULL;
	struct store_mailbox_status status;
	struct store_changes ch;
	char text[LIST_MAX], mod[64], err[512] = "";
	const uint32_t all[] = { 3, 1, 2, 9, 2 };
	const char *const work[] = { "work", "New" };
	uint32_t uidv, *gone = NULL, gone_count = 0;
	enum store_result r = store_open(env, "flagger", STORE_OPEN_CREATE, &st, err, sizeof(err));

	if (r == STORE_OK)
		r = snapshot_setup(env, "flagger");
	check(r == STORE_OK, "flags: set up", "%s %s", rs(r), err);
	if (r != STORE_OK) {
		store_close(&st);
		store_env_free(&env);
		return 1;
	}
	uidv = flags_uidv(st);

	/* +FLAGS \Flagged on 1-3 (and 9, gone; 2 twice): one modseq, 5. */
	struct store_flag_change c = { .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_FLAGGED };

	r = flags_set(st, uidv, all, 5, &c, mod, sizeof(mod));
	flags_snapshot(st, text, sizeof(text));
	check(r == STORE_OK && mod[0] == '\0' &&
	      strcmp(text, "1/5/0/5 2/12/2/5 3/4/1/5 hms 5 kw $Forwarded Work") == 0,
	      "flags: +FLAGS, one new modseq for all", "%s %s [%s]", rs(r), text, mod);
	/* Again: nothing changes, no modseq moves. */
	r = flags_set(st, uidv, all, 5, &c, mod, sizeof(mod));
	flags_snapshot(st, text, sizeof(text));
	check(r == STORE_OK && strstr(text, "hms 5 ") != NULL, "flags: a no-op moves nothing",
	      "%s %s", rs(r), text);
	/* UNCHANGEDSINCE 4: every one changed at 5 is reported, none written. */
	c = (struct store_flag_change){ .op = STORE_FLAGS_REMOVE, .flags = STORE_FLAG_FLAGGED,
					.conditional = true, .unchangedsince = 4 };
	r = flags_set(st, uidv, all, 5, &c, mod, sizeof(mod));
	check(r == STORE_OK && strcmp(mod, "1 2 3") == 0, "flags: UNCHANGEDSINCE (RFC 7162)",
	      "%s [%s]", rs(r), mod);
	/* A keyword the mailbox has (any case) and a new one: bit 2. */
	c = (struct store_flag_change){ .op = STORE_FLAGS_ADD, .keywords = work,
					.keyword_count = 2 };
	r = flags_set(st, uidv, all, 1, &c, mod, sizeof(mod));
	flags_snapshot(st, text, sizeof(text));
	check(r == STORE_OK && strcmp(text, "1/5/0/5 2/12/2/5 3/4/7/6 hms 6 kw $Forwarded Work"
				      " New") == 0, "flags: keywords, one added to the mailbox",
	      "%s %s", rs(r), text);
	/* FLAGS (): SET clears them all. */
	c = (struct store_flag_change){ .op = STORE_FLAGS_SET };
	r = flags_set(st, uidv, all, 1, &c, mod, sizeof(mod));
	flags_snapshot(st, text, sizeof(text));
	check(r == STORE_OK && strncmp(text, "1/5/0/5 2/12/2/5 3/0/0/7 ", 25) == 0,
	      "flags: FLAGS () clears", "%s %s", rs(r), text);
	c = (struct store_flag_change){ .op = 7 };
	check(flags_set(st, uidv, all, 1, &c, mod, sizeof(mod)) == STORE_INVALID,
	      "flags: an unknown op is invalid", "%s", "");
	c = (struct store_flag_change){ .op = STORE_FLAGS_ADD, .flags = 1u << 5 };
	check(flags_set(st, uidv, all, 1, &c, mod, sizeof(mod)) == STORE_INVALID,
	      "flags: an unknown flag is invalid", "%s", "");
	c = (struct store_flag_change){ .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN };
	check(flags_set(st, uidv + 1, all, 1, &c, mod, sizeof(mod)) == STORE_NOT_FOUND,
	      "flags: another UIDVALIDITY", "%s", "");

	/* bob's \Seen: his rows, the owner's flags and unseen count stay. */
	store_view_as(st, "bob");
	c = (struct store_flag_change){ .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN };
	r = flags_set(st, uidv, all, 1, &c, mod, sizeof(mod));
	c = (struct store_flag_change){ .op = STORE_FLAGS_REMOVE, .flags = STORE_FLAG_SEEN };
	if (r == STORE_OK)
		r = flags_set(st, uidv, all + 2, 1, &c, mod, sizeof(mod));
	flags_snapshot(st, text, sizeof(text));
	check(r == STORE_OK && strncmp(text, "1/4/0/5 2/12/2/9 3/1/0/8 ", 25) == 0,
	      "flags: another viewer's \\Seen", "%s %s", rs(r), text);
	store_view_as(st, NULL);
	flags_snapshot(st, text, sizeof(text));
	r = store_mailbox_status(st, "INBOX", &status);
	check(r == STORE_OK && strncmp(text, "1/5/0/5 2/12/2/9 3/0/0/8 hms 9 ", 31) == 0 &&
	      status.unseen == 2 && status.deleted == 1,
	      "flags: and the owner's as they were", "%s %s %u", rs(r), text, status.unseen);

	/* EXPUNGE: only \Deleted ones (UID 2), at one new modseq. */
	const uint32_t one = 1;

	r = store_messages_expunge(st, "INBOX", uidv, &one, 1, &gone, &gone_count);
	check(r == STORE_OK && gone_count == 0, "flags: UID EXPUNGE of one not \\Deleted",
	      "%s %u", rs(r), gone_count);
	free(gone);
	r = store_messages_expunge(st, "INBOX", uidv, NULL, 0, &gone, &gone_count);
	check(r == STORE_OK && gone_count == 1 && gone[0] == 2, "flags: EXPUNGE", "%s %u",
	      rs(r), gone_count);
	free(gone);
	r = store_mailbox_changes(st, "INBOX", uidv, 9, &ch);
	check(r == STORE_OK && ch.changed_count == 0 && ch.expunged_count == 1 &&
	      ch.expunged[0] == 2 && ch.highestmodseq == 10, "flags: the expunge at modseq 10",
	      "%s %u %llu", rs(r), ch.expunged_count, (unsigned long long)ch.highestmodseq);
	store_changes_free(&ch);
	r = store_mailbox_status(st, "INBOX", &status);
	check(r == STORE_OK && status.messages == 2 && status.deleted == 0 && status.size == 200 &&
	      status.unseen == 1 && flags_blobs(env) == 2,
	      "flags: counters and the body's references", "%s %u %llu %lld", rs(r),
	      status.messages, (unsigned long long)status.size, (long long)flags_blobs(env));

	/* RENAME INBOX (RFC 9051 §6.3.6): its messages move with new UIDs,
	 * INBOX records them expunged; then one is expunged there, and the
	 * mailbox deleted with the last: the body goes with it. */
	r = store_mailbox_rename(st, "INBOX", "Moved");
	if (r == STORE_OK)
		r = store_mailbox_changes(st, "INBOX", uidv, 10, &ch);
	check(r == STORE_OK && ch.expunged_count == 2 && ch.expunged[0] == 1 &&
	      ch.expunged[1] == 3 && ch.uidnext == 5 && ch.highestmodseq == 11,
	      "flags: RENAME INBOX leaves it empty, its messages expunged", "%s %u", rs(r),
	      ch.expunged_count);
	store_changes_free(&ch);
	r = store_mailbox_status(st, "Moved", &status);
	uint32_t moved = status.uidvalidity;
	struct store_snapshot snap;

	if (r == STORE_OK)
		r = store_mailbox_snapshot(st, "Moved", false, &snap);
	if (r == STORE_OK) {
		messages_text(snap.messages, snap.count, text, sizeof(text));
		store_snapshot_free(&snap);
	}
	check(r == STORE_OK && status.messages == 2 && status.uidnext == 3 &&
	      status.size == 200 && strcmp(text, "1/5/0/2 2/0/0/2") == 0 && flags_blobs(env) == 2,
	      "flags: and the new mailbox holds them as 1 and 2", "%s %u %s", rs(r),
	      status.messages, text);
	c = (struct store_flag_change){ .op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED };
	r = store_messages_set_flags(st, "Moved", moved, &one, 1, &c, &gone, &gone_count);
	free(gone);
	if (r == STORE_OK)
		r = store_messages_expunge(st, "Moved", moved, &one, 1, &gone, &gone_count);
	check(r == STORE_OK && gone_count == 1 && flags_blobs(env) == 1,
	      "flags: an expunge drops one reference", "%s %u %lld", rs(r), gone_count,
	      (long long)flags_blobs(env));
	free(gone);
	r = store_mailbox_delete(st, "Moved");
	check(r == STORE_OK && flags_blobs(env) == 0, "flags: the body goes with its last message",
	      "%s %lld", rs(r), (long long)flags_blobs(env));
	r = store_check(st, report_problem, NULL);
	check(r == STORE_OK, "flags: store_check after it all", "%s", rs(r));
	store_close(&st);
	store_env_free(&env);
	return pg_test_failures > 0 ? 1 : 0;
}
