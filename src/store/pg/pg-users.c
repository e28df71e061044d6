/* The user database of the PostgreSQL backend (store-users.h): the users,
 * cluster_meta and shares tables of pg-schema.c, with the semantics of
 * sqlite-users.c. Any node may run any of these at any time; the secret is
 * made once by whichever comes first. Never sees a cleartext password; SQL
 * only with bound parameters. */
#include "store/pg/pg-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/log.h"
#include "core/xalloc.h"

struct pg_users {
	struct store_users users;  /* the base: store-users.c dispatches through it */
	struct pg_pool *pool;      /* the env's (pg-env.c), not ours to close */
	unsigned char secret[STORE_USERS_SECRET_LEN];
};

static struct pg_users *pg_users(struct store_users *users)
{
	return (struct pg_users *)users;
}

/* One statement on a connection of the pool, given back at once. */
static enum store_result pg_users_exec(struct pg_pool *pool, const char *what, const char *sql,
				       const struct pg_param *params, unsigned int count,
				       unsigned int flags, struct pg_result **res_r)
{
	struct pg_lease *lease;
	enum store_result ret;

	if (res_r != NULL)
		*res_r = NULL;
	ret = pg_pool_acquire(pool, &lease);
	if (ret != STORE_OK)
		return ret;
	ret = pg_exec(lease, what, sql, params, count, flags, res_r);
	pg_pool_release(pool, &lease);
	return ret;
}

/* The env's pool, for the functions that take an env (store-users.h: "on
 * a connection of its own"). */
static enum store_result pg_users_pool(const struct store_env *env, struct pg_pool **pool_r)
{
	char err[256];
	enum store_result ret = pg_env_pool(env, pool_r, err, sizeof(err));

	if (ret != STORE_OK)
		log_error("passdb: %s", err);
	return ret;
}

/* The secret: ours if no node made one before, else theirs. ON CONFLICT
 * DO NOTHING waits for a concurrent insert to commit, so every node reads
 * back the same value. */
static enum store_result pg_users_load_secret(struct pg_users *u)
{
	unsigned char fresh[STORE_USERS_SECRET_LEN];
	const struct pg_param param = PG_BYTES(fresh, sizeof(fresh));
	struct pg_result *res;
	enum store_result ret;
	size_t len = 0;

	if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
		log_error("passdb: RAND_bytes failed");
		return STORE_ERROR;
	}
	ret = pg_users_exec(u->pool, "making the secret", "INSERT INTO cluster_meta (key, value)"
			    " VALUES ('secret', $1) ON CONFLICT (key) DO NOTHING", &param, 1, 0,
			    NULL);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (ret != STORE_OK)
		return ret;
	ret = pg_users_exec(u->pool, "reading the secret", "SELECT value FROM cluster_meta"
			    " WHERE key = 'secret'", NULL, 0, PG_EXEC_BINARY, &res);
	if (ret != STORE_OK)
		return ret;
	const unsigned char *value = pg_result_rows(res) == 1 ?
		pg_result_bytes(res, 0, 0, &len) : NULL;

	if (value == NULL || len != STORE_USERS_SECRET_LEN) {
		log_error("passdb: cluster_meta secret missing or damaged");
		ret = STORE_CORRUPT;
	} else {
		memcpy(u->secret, value, STORE_USERS_SECRET_LEN);
	}
	pg_result_free(&res);
	return ret;
}

enum store_result pg_users_open(const struct store_env *env, struct store_users **users_r,
				char *err, size_t err_size)
{
	struct pg_users *u;
	enum store_result ret;

	*users_r = NULL;
	u = xcalloc(1, sizeof(*u));
	u->users.v = &store_backend_pg;
	ret = pg_env_pool(env, &u->pool, err, err_size);
	if (ret == STORE_OK) {
		ret = pg_users_load_secret(u);
		if (ret != STORE_OK)
			snprintf(err, err_size, "cannot read the user database's secret (see log)");
	}
	if (ret != STORE_OK) {
		pg_users_close(&u->users);
		return ret;
	}
	*users_r = &u->users;
	return STORE_OK;
}

void pg_users_close(struct store_users *users)
{
	struct pg_users *u = pg_users(users);

	OPENSSL_cleanse(u, sizeof(*u));
	free(u);
}

const unsigned char *pg_users_secret(const struct store_users *users)
{
	return ((const struct pg_users *)users)->secret;
}

enum store_result pg_users_write(struct store_users *users, const char *name,
				 const struct store_user_record *rec, bool add)
{
	char iter[24];
	const struct pg_param params[] = {
		PG_TEXT(name),
		PG_TEXT(rec->hash),
		PG_BYTES(rec->scram_salt, rec->scram_salt_len),
		PG_TEXT(iter),
		PG_BYTES(rec->scram_stored, STORE_USER_KEY_LEN),
		PG_BYTES(rec->scram_server, STORE_USER_KEY_LEN),
	};
	struct pg_result *res;
	enum store_result ret;

	snprintf(iter, sizeof(iter), "%" PRIu64, rec->scram_iter);
	ret = pg_users_exec(pg_users(users)->pool, add ? "add user" : "update user", add ?
		"INSERT INTO users (name, hash, scram_salt, scram_iter, scram_stored,"
		" scram_server, created) VALUES ($1, $2, $3, $4, $5, $6,"
		" extract(epoch FROM now())::bigint)" :
		"UPDATE users SET hash = $2, scram_salt = $3, scram_iter = $4,"
		" scram_stored = $5, scram_server = $6 WHERE name = $1",
		params, 6, add ? PG_EXEC_EXISTS : 0, &res);
	if (ret != STORE_OK)
		return ret;
	if (!add && pg_exec_changed(res) == 0)
		ret = STORE_NOT_FOUND;
	pg_result_free(&res);
	return ret;
}

enum store_result pg_users_delete(struct store_users *users, const char *name)
{
	const struct pg_param param = PG_TEXT(name);
	struct pg_result *res;
	enum store_result ret;

	ret = pg_users_exec(pg_users(users)->pool, "delete user",
			    "DELETE FROM users WHERE name = $1", &param, 1, 0, &res);
	if (ret != STORE_OK)
		return ret;
	if (pg_exec_changed(res) == 0)
		ret = STORE_NOT_FOUND;
	pg_result_free(&res);
	return ret;
}

/* cb for each text value of the result's first column, with no
 * connection held: cb may use the handle. */
static void pg_users_each(struct pg_result *res, void (*cb)(const char *name, void *ctx),
			  void *ctx)
{
	for (unsigned int i = 0; i < pg_result_rows(res); i++)
		cb(pg_result_text(res, i, 0), ctx);
}

enum store_result pg_users_list(struct store_users *users,
				void (*cb)(const char *name, void *ctx), void *ctx)
{
	struct pg_result *res;
	enum store_result ret;

	/* COLLATE "C" (pg-schema.c): byte order, as SQLite's. */
	ret = pg_users_exec(pg_users(users)->pool, "list users",
			    "SELECT name FROM users ORDER BY name", NULL, 0, 0, &res);
	if (ret != STORE_OK)
		return ret;
	pg_users_each(res, cb, ctx);
	pg_result_free(&res);
	return STORE_OK;
}

/* The row's values into rec, as sq_users_row(): a hash too long (or with
 * a NUL), or SCRAM values of a wrong size, are left empty. */
static void pg_users_row(const struct pg_result *res, struct store_user_record *rec)
{
	size_t hash_len, salt_len, stored_len, server_len;
	const unsigned char *hash = pg_result_bytes(res, 0, 0, &hash_len);
	const unsigned char *salt = pg_result_bytes(res, 0, 1, &salt_len);
	const unsigned char *stored = pg_result_bytes(res, 0, 3, &stored_len);
	const unsigned char *server = pg_result_bytes(res, 0, 4, &server_len);
	int64_t iter;

	if (hash_len < sizeof(rec->hash) && memchr(hash, '\0', hash_len) == NULL) {
		memcpy(rec->hash, hash, hash_len);
		rec->hash[hash_len] = '\0';
	}
	if (!pg_result_null(res, 0, 1) && salt_len > 0 && salt_len <= STORE_USER_SALT_MAX &&
	    stored_len == STORE_USER_KEY_LEN && server_len == STORE_USER_KEY_LEN) {
		memcpy(rec->scram_salt, salt, salt_len);
		rec->scram_salt_len = salt_len;
		rec->scram_iter = pg_result_int64(res, 0, 2, &iter) && iter > 0 ?
			(uint64_t)iter : 0;
		memcpy(rec->scram_stored, stored, STORE_USER_KEY_LEN);
		memcpy(rec->scram_server, server, STORE_USER_KEY_LEN);
	}
}

enum store_result pg_users_get(struct store_users *users, const char *name,
			       struct store_user_record *rec)
{
	const struct pg_param param = PG_TEXT(name);
	struct pg_result *res;
	enum store_result ret;

	memset(rec, 0, sizeof(*rec));
	ret = pg_users_exec(pg_users(users)->pool, "lookup", "SELECT hash, scram_salt,"
			    " scram_iter, scram_stored, scram_server FROM users WHERE name = $1",
			    &param, 1, PG_EXEC_BINARY, &res);
	if (ret != STORE_OK)
		return ret;
	if (pg_result_rows(res) == 1)
		pg_users_row(res, rec);
	else
		ret = STORE_NOT_FOUND;
	pg_result_free(&res);
	return ret;
}

/* ---- whether a user's mail store was ever created ---- */

enum store_result pg_users_store_created(const struct store_env *env, const char *name,
					 bool *created_r)
{
	const struct pg_param param = PG_TEXT(name);
	/* The public owner has no user record: its mark is a cluster_meta row. */
	bool public = strcmp(name, STORE_PUBLIC_OWNER) == 0;
	struct pg_result *res;
	struct pg_pool *pool;
	enum store_result ret;

	*created_r = false;
	ret = pg_users_pool(env, &pool);
	if (ret != STORE_OK)
		return ret;
	ret = pg_users_exec(pool, "store_created", public ?
			    "SELECT true FROM cluster_meta WHERE key = 'public_store'" :
			    "SELECT store_created FROM users WHERE name = $1",
			    &param, public ? 0 : 1, 0, &res);
	if (ret != STORE_OK)
		return ret;
	if (pg_result_rows(res) == 1)
		*created_r = strcmp(pg_result_text(res, 0, 0), "t") == 0;
	else if (!public)
		ret = STORE_NOT_FOUND;
	pg_result_free(&res);
	return ret;
}

enum store_result pg_users_set_store_created(const struct store_env *env, const char *name)
{
	const struct pg_param param = PG_TEXT(name);
	bool public = strcmp(name, STORE_PUBLIC_OWNER) == 0;
	struct pg_result *res;
	struct pg_pool *pool;
	enum store_result ret;

	ret = pg_users_pool(env, &pool);
	if (ret != STORE_OK)
		return ret;
	ret = pg_users_exec(pool, "recording the store", public ?
			    "INSERT INTO cluster_meta (key, value) VALUES ('public_store',"
			    " '\\x01') ON CONFLICT (key) DO NOTHING" :
			    "UPDATE users SET store_created = true WHERE name = $1",
			    &param, public ? 0 : 1, 0, &res);
	if (ret != STORE_OK)
		return ret;
	if (!public && pg_exec_changed(res) == 0)
		ret = STORE_NOT_FOUND;
	pg_result_free(&res);
	return ret;
}

/* ---- who shares with whom ---- */

enum store_result pg_users_share_set(const struct store_env *env, const char *owner,
				     const char *grantee, bool shares)
{
	const struct pg_param params[] = { PG_TEXT(owner), PG_TEXT(grantee) };
	struct pg_pool *pool;
	enum store_result ret;

	ret = pg_users_pool(env, &pool);
	if (ret != STORE_OK)
		return ret;
	return pg_users_exec(pool, "shares", shares ?
			     "INSERT INTO shares (owner, grantee) VALUES ($1, $2)"
			     " ON CONFLICT DO NOTHING" :
			     "DELETE FROM shares WHERE owner = $1 AND grantee = $2",
			     params, 2, 0, NULL);
}

enum store_result pg_users_sharing_with(const struct store_env *env, const char *user,
					void (*cb)(const char *owner, void *ctx), void *ctx)
{
	const struct pg_param param = PG_TEXT(user);
	struct pg_result *res;
	struct pg_pool *pool;
	enum store_result ret;

	ret = pg_users_pool(env, &pool);
	if (ret != STORE_OK)
		return ret;
	ret = pg_users_exec(pool, "shares with", "SELECT DISTINCT owner FROM shares"
			    " WHERE grantee IN ($1, 'anyone', 'authenticated') AND owner <> $1"
			    " ORDER BY owner", &param, 1, 0, &res);
	if (ret != STORE_OK)
		return ret;
	pg_users_each(res, cb, ctx);
	pg_result_free(&res);
	return STORE_OK;
}
