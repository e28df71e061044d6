/* A user's store on PostgreSQL (pg-store.c) where the contract suite
 * cannot look: a store missing without STORE_OPEN_CREATE, the default
 * mailboxes (and STORE_OPEN_BARE's INBOX alone), handles that pin no
 * connection, and the two helpers tests/pg/test_pg_contract.py races and
 * blocks from several processes (store-open, store-mkbox). */
#include <stdio.h>
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
