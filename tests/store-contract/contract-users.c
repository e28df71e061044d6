/* The user database (store-users.h): records round trip exactly, names are
 * unique and listed in byte order, the secret is fixed for the database's
 * life, a store's creation is remembered apart from the store, and the
 * shares index answers who shares with whom. Names here start with "cu-"
 * so that no other group's users are seen. */
#include <pthread.h>

#include "contract.h"
#include "store/store-users.h"

struct names {
	char text[512];
	size_t len;
	struct store_users *users;   /* for a lookup from inside the callback */
	unsigned int lookups_ok;
};

static void collect(const char *name, void *ctx)
{
	struct names *n = ctx;

	if (strncmp(name, "cu-", 3) != 0 && name[0] != '#')
		return;   /* another group's user */
	if (n->len < sizeof(n->text))
		n->len += (size_t)snprintf(n->text + n->len, sizeof(n->text) - n->len, "%s;",
					   name);
	if (n->users != NULL) {
		struct store_user_record rec;

		if (store_users_get(n->users, name, &rec) == STORE_OK)
			n->lookups_ok++;
	}
}

static struct store_user_record record_of(const char *hash, unsigned char seed)
{
	struct store_user_record r;

	memset(&r, 0, sizeof(r));
	snprintf(r.hash, sizeof(r.hash), "%s", hash);
	r.scram_salt_len = 16;
	for (size_t i = 0; i < r.scram_salt_len; i++)
		r.scram_salt[i] = (unsigned char)(seed + i);
	r.scram_iter = 4096u + seed;
	for (size_t i = 0; i < STORE_USER_KEY_LEN; i++) {
		r.scram_stored[i] = (unsigned char)(seed ^ i);
		r.scram_server[i] = (unsigned char)(seed + 2 * i);
	}
	return r;
}

static bool records_equal(const struct store_user_record *a, const struct store_user_record *b)
{
	return strcmp(a->hash, b->hash) == 0 && a->scram_salt_len == b->scram_salt_len &&
	       memcmp(a->scram_salt, b->scram_salt, a->scram_salt_len) == 0 &&
	       a->scram_iter == b->scram_iter &&
	       memcmp(a->scram_stored, b->scram_stored, STORE_USER_KEY_LEN) == 0 &&
	       memcmp(a->scram_server, b->scram_server, STORE_USER_KEY_LEN) == 0;
}

static struct store_users *users_open(void)
{
	struct store_users *users = NULL;
	char err[256] = "";

	CT_CHECK_INT(store_users_open(ct_store_env(), &users, err, sizeof(err)), STORE_OK);
	if (users == NULL)
		printf("store_users_open: %s\n", err);
	return users;
}

static void users_records(struct store_users *users)
{
	struct store_user_record a = record_of("$y$j9T$salt$hash-of-a", 1), got;
	struct store_user_record b = record_of("$y$j9T$salt$hash-of-b", 7);

	CT_CHECK_INT(store_users_write(users, "cu-alice", &a, true), STORE_OK);
	CT_CHECK_INT(store_users_write(users, "cu-alice", &b, true), STORE_EXISTS);
	CT_CHECK_INT(store_users_get(users, "cu-alice", &got), STORE_OK);
	CT_CHECK(records_equal(&got, &a));   /* the refused add changed nothing */
	CT_CHECK_INT(store_users_write(users, "cu-alice", &b, false), STORE_OK);
	CT_CHECK_INT(store_users_get(users, "cu-alice", &got), STORE_OK);
	CT_CHECK(records_equal(&got, &b));
	CT_CHECK_INT(store_users_write(users, "cu-nobody", &b, false), STORE_NOT_FOUND);
	CT_CHECK_INT(store_users_get(users, "cu-nobody", &got), STORE_NOT_FOUND);
	/* Names are exact: no case folding. */
	CT_CHECK_INT(store_users_get(users, "CU-ALICE", &got), STORE_NOT_FOUND);

	/* A record without SCRAM keys reads back without them. */
	struct store_user_record bare = record_of("$y$j9T$salt$bare", 3);

	bare.scram_salt_len = 0;
	bare.scram_iter = 0;
	memset(bare.scram_stored, 0, sizeof(bare.scram_stored));
	memset(bare.scram_server, 0, sizeof(bare.scram_server));
	CT_CHECK_INT(store_users_write(users, "cu-Carol", &bare, true), STORE_OK);
	CT_CHECK_INT(store_users_get(users, "cu-Carol", &got), STORE_OK);
	CT_CHECK_STR_EQ(got.hash, "$y$j9T$salt$bare");
	CT_CHECK_INT(got.scram_salt_len, 0);

	/* A hash of the longest size kept. */
	struct store_user_record big = record_of("", 9);

	memset(big.hash, 'h', STORE_USER_HASH_MAX - 1);
	big.hash[STORE_USER_HASH_MAX - 1] = '\0';
	CT_CHECK_INT(store_users_write(users, "cu-bob", &big, true), STORE_OK);
	CT_CHECK_INT(store_users_get(users, "cu-bob", &got), STORE_OK);
	CT_CHECK(records_equal(&got, &big));

	/* Byte order, and the callback may use the handle. */
	struct names n = { .len = 0, .users = users };

	CT_CHECK_INT(store_users_list(users, collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "cu-Carol;cu-alice;cu-bob;");
	CT_CHECK_INT(n.lookups_ok, 3);

	CT_CHECK_INT(store_users_delete(users, "cu-bob"), STORE_OK);
	CT_CHECK_INT(store_users_delete(users, "cu-bob"), STORE_NOT_FOUND);
	CT_CHECK_INT(store_users_get(users, "cu-bob", &got), STORE_NOT_FOUND);
	n = (struct names){ .len = 0 };
	CT_CHECK_INT(store_users_list(users, collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "cu-Carol;cu-alice;");
}

/* The secret: STORE_USERS_SECRET_LEN bytes, the same through every handle
 * and after every reopen, and not all zero. */
static void users_secret(struct store_users *users)
{
	unsigned char first[STORE_USERS_SECRET_LEN], zero[STORE_USERS_SECRET_LEN] = { 0 };

	memcpy(first, store_users_secret(users), sizeof(first));
	CT_CHECK(memcmp(first, zero, sizeof(zero)) != 0);
	struct store_users *other = users_open();

	if (other == NULL)
		return;
	CT_CHECK(memcmp(store_users_secret(other), first, sizeof(first)) == 0);
	/* A write through one handle is read through the other. */
	struct store_user_record r = record_of("$y$j9T$x$other", 5), got;

	CT_CHECK_INT(store_users_write(other, "cu-dave", &r, true), STORE_OK);
	CT_CHECK_INT(store_users_get(users, "cu-dave", &got), STORE_OK);
	CT_CHECK(records_equal(&got, &r));
	store_users_close(&other);
	CT_CHECK(other == NULL);
}

static void users_store_created(void)
{
	const struct store_env *env = ct_store_env();
	bool created = true;

	CT_CHECK_INT(store_users_store_created(env, "cu-alice", &created), STORE_OK);
	CT_CHECK(!created);
	CT_CHECK_INT(store_users_set_store_created(env, "cu-alice"), STORE_OK);
	CT_CHECK_INT(store_users_store_created(env, "cu-alice", &created), STORE_OK);
	CT_CHECK(created);
	CT_CHECK_INT(store_users_set_store_created(env, "cu-alice"), STORE_OK);   /* again */
	CT_CHECK_INT(store_users_store_created(env, "cu-ghost", &created), STORE_NOT_FOUND);
	CT_CHECK_INT(store_users_set_store_created(env, "cu-ghost"), STORE_NOT_FOUND);
	/* The public owner is always known, with no user record. */
	CT_CHECK_INT(store_users_store_created(env, STORE_PUBLIC_OWNER, &created), STORE_OK);
	bool public_before = created;

	CT_CHECK_INT(store_users_set_store_created(env, STORE_PUBLIC_OWNER), STORE_OK);
	CT_CHECK_INT(store_users_store_created(env, STORE_PUBLIC_OWNER, &created), STORE_OK);
	CT_CHECK(created);
	(void)public_before;
}

static void users_shares(void)
{
	const struct store_env *env = ct_store_env();
	struct names n = { .len = 0 };

	CT_CHECK_INT(store_users_sharing_with(env, "cu-alice", collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "");
	CT_CHECK_INT(store_users_share_set(env, "cu-zed", "cu-alice", true), STORE_OK);
	CT_CHECK_INT(store_users_share_set(env, "cu-zed", "cu-alice", true), STORE_OK);
	CT_CHECK_INT(store_users_share_set(env, "cu-Bea", "authenticated", true), STORE_OK);
	CT_CHECK_INT(store_users_share_set(env, "cu-dan", "anyone", true), STORE_OK);
	CT_CHECK_INT(store_users_share_set(env, "cu-alice", "anyone", true), STORE_OK);
	CT_CHECK_INT(store_users_share_set(env, "cu-eve", "cu-bob", true), STORE_OK);
	/* Each owner once, in byte order, never the user's own name. */
	n = (struct names){ .len = 0 };
	CT_CHECK_INT(store_users_sharing_with(env, "cu-alice", collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "cu-Bea;cu-dan;cu-zed;");
	n = (struct names){ .len = 0 };
	CT_CHECK_INT(store_users_sharing_with(env, "cu-bob", collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "cu-Bea;cu-alice;cu-dan;cu-eve;");
	CT_CHECK_INT(store_users_share_set(env, "cu-zed", "cu-alice", false), STORE_OK);
	CT_CHECK_INT(store_users_share_set(env, "cu-zed", "cu-alice", false), STORE_OK);
	n = (struct names){ .len = 0 };
	CT_CHECK_INT(store_users_sharing_with(env, "cu-alice", collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "cu-Bea;cu-dan;");
	/* The public owner shares like any owner. */
	CT_CHECK_INT(store_users_share_set(env, STORE_PUBLIC_OWNER, "anyone", true), STORE_OK);
	n = (struct names){ .len = 0 };
	CT_CHECK_INT(store_users_sharing_with(env, "cu-alice", collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "#public;cu-Bea;cu-dan;");
	CT_CHECK_INT(store_users_share_set(env, STORE_PUBLIC_OWNER, "anyone", false), STORE_OK);
	for (const char *const *o = (const char *const[]){ "cu-Bea", "cu-dan", "cu-alice",
							   "cu-eve", NULL }; *o; o++) {
		const char *g = strcmp(*o, "cu-Bea") == 0 ? "authenticated" :
			strcmp(*o, "cu-eve") == 0 ? "cu-bob" : "anyone";

		CT_CHECK_INT(store_users_share_set(env, *o, g, false), STORE_OK);
	}
}

/* Handles from several threads at once, each adding its own users. */
#define USERS_THREADS 4
#define USERS_PER_THREAD 25

struct users_worker {
	struct store_users *users;
	int id;
	unsigned int failures;
};

static void *users_worker_run(void *arg)
{
	struct users_worker *w = arg;

	for (int i = 0; i < USERS_PER_THREAD; i++) {
		char name[32];
		struct store_user_record r = record_of("$y$j9T$t$h", (unsigned char)i), got;
		bool created = true;

		snprintf(name, sizeof(name), "cu-t%d-%02d", w->id, i);
		if (store_users_write(w->users, name, &r, true) != STORE_OK ||
		    store_users_get(w->users, name, &got) != STORE_OK || !records_equal(&r, &got) ||
		    store_users_store_created(ct_store_env(), name, &created) != STORE_OK ||
		    created || store_users_delete(w->users, name) != STORE_OK)
			w->failures++;
	}
	return NULL;
}

static void users_concurrency(struct store_users *users)
{
	struct store_users *other = users_open();
	pthread_t th[USERS_THREADS];
	struct users_worker w[USERS_THREADS];

	if (other == NULL)
		return;
	for (int i = 0; i < USERS_THREADS; i++) {
		w[i] = (struct users_worker){ .users = i % 2 ? other : users, .id = i };
		pthread_create(&th[i], NULL, users_worker_run, &w[i]);
	}
	for (int i = 0; i < USERS_THREADS; i++) {
		pthread_join(th[i], NULL);
		CT_CHECK_INT(w[i].failures, 0);
	}
	store_users_close(&other);
}

void contract_users(void)
{
	struct store_users *users = users_open();

	if (users == NULL)
		return;
	users_records(users);
	users_secret(users);
	users_store_created();
	users_shares();
	users_concurrency(users);
	store_users_close(&users);
	/* Reopened: everything above is still there. */
	users = users_open();
	if (users == NULL)
		return;
	struct names n = { .len = 0 };

	CT_CHECK_INT(store_users_list(users, collect, &n), STORE_OK);
	CT_CHECK_STR_EQ(n.text, "cu-Carol;cu-alice;cu-dave;");
	store_users_close(&users);
}
