/* pg-base-test users: the user database's operations through
 * store-users.h on the PostgreSQL backend; users-sqlite: the same checks
 * on the SQLite backend, which shows both give the same values. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/pg/pg-private.h"
#include "store/store-users.h"
#include "pg-test.h"

/* ---- the user database ---- */

struct names {
	char text[512];
	struct store_users *users;   /* set: cb looks each name up (uses the handle) */
	unsigned int looked_up;
};

static void collect(const char *name, void *ctx)
{
	struct names *n = ctx;
	struct store_user_record rec;
	size_t len = strlen(n->text);

	snprintf(n->text + len, sizeof(n->text) - len, "%s%s", len > 0 ? "," : "", name);
	if (n->users != NULL && store_users_get(n->users, name, &rec) == STORE_OK)
		n->looked_up++;
}

static const char *list_users(struct store_users *users, struct names *n, bool nested)
{
	memset(n, 0, sizeof(*n));
	n->users = nested ? users : NULL;
	if (store_users_list(users, collect, n) != STORE_OK)
		snprintf(n->text, sizeof(n->text), "(list failed)");
	return n->text;
}

static const char *sharing(const struct store_env *env, const char *user, struct names *n)
{
	memset(n, 0, sizeof(*n));
	if (store_users_sharing_with(env, user, collect, n) != STORE_OK)
		snprintf(n->text, sizeof(n->text), "(sharing_with failed)");
	return n->text;
}

void pg_test_record(struct store_user_record *rec, const char *hash, unsigned char seed,
			size_t salt_len, uint64_t iter)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->hash, sizeof(rec->hash), "%s", hash);
	for (size_t i = 0; i < salt_len; i++)
		rec->scram_salt[i] = (unsigned char)(seed + i);
	rec->scram_salt_len = salt_len;
	rec->scram_iter = salt_len > 0 ? iter : 0;
	for (int i = 0; i < STORE_USER_KEY_LEN; i++) {
		rec->scram_stored[i] = salt_len > 0 ? (unsigned char)(seed ^ i) : 0;
		rec->scram_server[i] = salt_len > 0 ? (unsigned char)(seed + 2 * i) : 0;
	}
}

static bool same_record(const struct store_user_record *a, const struct store_user_record *b)
{
	return strcmp(a->hash, b->hash) == 0 && a->scram_salt_len == b->scram_salt_len &&
	       memcmp(a->scram_salt, b->scram_salt, a->scram_salt_len) == 0 &&
	       a->scram_iter == b->scram_iter &&
	       memcmp(a->scram_stored, b->scram_stored, STORE_USER_KEY_LEN) == 0 &&
	       memcmp(a->scram_server, b->scram_server, STORE_USER_KEY_LEN) == 0;
}

static void users_records(struct store_users *users)
{
	struct store_user_record rec1, rec2, bare, got;
	enum store_result r;

	pg_test_record(&rec1, "$y$j9T$salt$hash-one", 7, 16, 4096);
	pg_test_record(&rec2, "$y$j9T$salt$hash-two", 99, STORE_USER_SALT_MAX, 600000);
	pg_test_record(&bare, "$y$j9T$salt$no-scram", 0, 0, 0);

	r = store_users_write(users, "alice", &rec1, true);
	check(r == STORE_OK, "add alice", "%s", rs(r));
	r = store_users_write(users, "alice", &rec2, true);
	check(r == STORE_EXISTS, "add alice again is EXISTS", "%s", rs(r));
	r = store_users_get(users, "alice", &got);
	check(r == STORE_OK && same_record(&got, &rec1), "get alice: the record added",
	      "%s hash=%s salt_len=%zu iter=%" PRIu64, rs(r), got.hash, got.scram_salt_len,
	      got.scram_iter);
	r = store_users_write(users, "alice", &rec2, false);
	check(r == STORE_OK, "update alice", "%s", rs(r));
	r = store_users_get(users, "alice", &got);
	check(r == STORE_OK && same_record(&got, &rec2) && got.scram_iter == 600000 &&
	      got.scram_salt_len == STORE_USER_SALT_MAX, "get alice: the record updated",
	      "%s hash=%s salt_len=%zu iter=%" PRIu64, rs(r), got.hash, got.scram_salt_len,
	      got.scram_iter);
	r = store_users_write(users, "nobody", &rec1, false);
	check(r == STORE_NOT_FOUND, "update nobody is NOT_FOUND", "%s", rs(r));
	r = store_users_get(users, "nobody", &got);
	check(r == STORE_NOT_FOUND && got.hash[0] == '\0', "get nobody is NOT_FOUND", "%s",
	      rs(r));
	r = store_users_write(users, "bob", &bare, true);
	check(r == STORE_OK, "add bob without SCRAM keys", "%s", rs(r));
	r = store_users_get(users, "bob", &got);
	check(r == STORE_OK && same_record(&got, &bare) && got.scram_salt_len == 0 &&
	      got.scram_iter == 0, "get bob: no SCRAM keys",
	      "%s hash=%s salt_len=%zu", rs(r), got.hash, got.scram_salt_len);
}

static void users_list_delete(struct store_users *users)
{
	struct store_user_record rec;
	struct names n;
	enum store_result r;

	pg_test_record(&rec, "$y$j9T$x$y", 3, 16, 4096);
	store_users_write(users, "Zed", &rec, true);
	store_users_write(users, "\xc3\xa4rger", &rec, true);     /* "ärger" */
	store_users_write(users, "al", &rec, true);
	/* Byte order, whatever the server's locale: upper case first, a
	 * prefix before what it prefixes, UTF-8 (0xc3) after ASCII. */
	check(strcmp(list_users(users, &n, false), "Zed,al,alice,bob,\xc3\xa4rger") == 0,
	      "list in byte order", "%s", n.text);
	list_users(users, &n, true);
	check(n.looked_up == 5, "list's callback may use the handle", "%u looked up",
	      n.looked_up);
	r = store_users_delete(users, "bob");
	check(r == STORE_OK, "delete bob", "%s", rs(r));
	r = store_users_delete(users, "bob");
	check(r == STORE_NOT_FOUND, "delete bob again is NOT_FOUND", "%s", rs(r));
	r = store_users_get(users, "bob", &rec);
	check(r == STORE_NOT_FOUND, "bob is gone", "%s", rs(r));
	check(strcmp(list_users(users, &n, false), "Zed,al,alice,\xc3\xa4rger") == 0,
	      "list after delete", "%s", n.text);
}

static void users_store_created(const struct store_env *env)
{
	bool created = true;
	enum store_result r;

	r = store_users_store_created(env, "alice", &created);
	check(r == STORE_OK && !created, "alice's store not created yet", "%s %d", rs(r),
	      created);
	r = store_users_set_store_created(env, "alice");
	check(r == STORE_OK, "record alice's store", "%s", rs(r));
	r = store_users_store_created(env, "alice", &created);
	check(r == STORE_OK && created, "alice's store created", "%s %d", rs(r), created);
	r = store_users_store_created(env, "nobody", &created);
	check(r == STORE_NOT_FOUND && !created, "store_created of nobody is NOT_FOUND", "%s",
	      rs(r));
	r = store_users_set_store_created(env, "nobody");
	check(r == STORE_NOT_FOUND, "set_store_created of nobody is NOT_FOUND", "%s", rs(r));
	r = store_users_store_created(env, STORE_PUBLIC_OWNER, &created);
	check(r == STORE_OK && !created, "public store not created yet", "%s %d", rs(r),
	      created);
	r = store_users_set_store_created(env, STORE_PUBLIC_OWNER);
	check(r == STORE_OK, "record the public store", "%s", rs(r));
	r = store_users_set_store_created(env, STORE_PUBLIC_OWNER);
	check(r == STORE_OK, "record the public store twice", "%s", rs(r));
	r = store_users_store_created(env, STORE_PUBLIC_OWNER, &created);
	check(r == STORE_OK && created, "public store created", "%s %d", rs(r), created);
}

static void users_shares(const struct store_env *env)
{
	struct names n;
	enum store_result r;

	r = store_users_share_set(env, "alice", "bob", true);
	check(r == STORE_OK, "alice shares with bob", "%s", rs(r));
	r = store_users_share_set(env, "alice", "bob", true);
	check(r == STORE_OK, "alice shares with bob twice", "%s", rs(r));
	store_users_share_set(env, "Zed", "anyone", true);
	store_users_share_set(env, "carol", "authenticated", true);
	store_users_share_set(env, "dave", "erin", true);
	store_users_share_set(env, "bob", "bob", true);   /* oneself: never listed */
	check(strcmp(sharing(env, "bob", &n), "Zed,alice,carol") == 0,
	      "bob's sharers: by name, anyone, authenticated, in byte order", "%s", n.text);
	check(strcmp(sharing(env, "alice", &n), "Zed,carol") == 0,
	      "alice's sharers: not herself", "%s", n.text);
	r = store_users_share_set(env, "alice", "bob", false);
	check(r == STORE_OK, "alice stops sharing with bob", "%s", rs(r));
	r = store_users_share_set(env, "alice", "bob", false);
	check(r == STORE_OK, "stopping twice is OK", "%s", rs(r));
	check(strcmp(sharing(env, "bob", &n), "Zed,carol") == 0, "bob's sharers after", "%s",
	      n.text);
	check(strcmp(sharing(env, "erin", &n), "Zed,carol,dave") == 0, "erin's sharers", "%s",
	      n.text);
}

/* Every check on env's user database (either backend: the same values). */
static void users_checks(struct store_env *env)
{
	struct store_users *users, *again;
	unsigned char secret[STORE_USERS_SECRET_LEN];
	char err[256] = "";
	enum store_result r;

	r = store_users_open(env, &users, err, sizeof(err));
	check(r == STORE_OK, "open the user database", "%s %s", rs(r), err);
	if (r != STORE_OK)
		return;
	memcpy(secret, store_users_secret(users), sizeof(secret));
	r = store_users_open(env, &again, err, sizeof(err));
	check(r == STORE_OK && memcmp(store_users_secret(again), secret, sizeof(secret)) == 0,
	      "a second open has the same secret", "%s %s", rs(r), err);
	store_users_close(&again);
	users_records(users);
	users_list_delete(users);
	users_store_created(env);
	users_shares(env);
	store_users_close(&users);
}

int pg_test_users(const char *conninfo)
{
	struct store_env *env = pg_env_new(conninfo);

	users_checks(env);
	store_env_free(&env);
	return pg_test_failures > 0;
}

int pg_test_users_sqlite(const char *data_dir)
{
	struct store_env *env;
	char err[256] = "";
	enum store_result r = store_env_open("sqlite", data_dir, &env, err, sizeof(err));

	check(r == STORE_OK, "the sqlite env", "%s %s", rs(r), err);
	if (r != STORE_OK)
		return 1;
	users_checks(env);
	store_env_free(&env);
	return pg_test_failures > 0;
}
