/* The user database of the embedded backend: DATA/users.db, one row per
 * user (a password hash and SCRAM keys as auth/passdb.c made them, and
 * whether the user's mail store was ever created) and a meta table with a
 * random secret. Never sees a cleartext password; SQL only through bound
 * parameters. */
#include "store/sqlite/sqlite-private.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/log.h"
#include "core/xalloc.h"

#define SQ_USERS_FILE "users.db"
#define SQ_USERS_SCHEMA_VERSION 1
#define SQ_USERS_BUSY_MS 5000      /* the CLI and the server share the file */
#define SQ_USERS_PATH_MAX 4096

struct sq_users {
	struct store_users users;  /* the base: store-users.c dispatches through it */
	sqlite3 *db;
	/* Serializes statement sequences on db (FULLMUTEX only covers single
	 * calls, not prepare/step/errmsg runs). */
	pthread_mutex_t lock;
	unsigned char secret[STORE_USERS_SECRET_LEN];
};

/* Who shares with whom (store-users.h "shares"): added in place to a
 * users.db made before it. */
#define SQ_USERS_SHARES_SCHEMA \
	"CREATE TABLE IF NOT EXISTS shares (owner TEXT NOT NULL, grantee TEXT NOT NULL," \
	" PRIMARY KEY (owner, grantee)) WITHOUT ROWID;" \
	"CREATE INDEX IF NOT EXISTS shares_grantee ON shares (grantee, owner);"

static const char sq_users_schema[] =
	"CREATE TABLE IF NOT EXISTS users ("
	" name TEXT PRIMARY KEY, hash TEXT NOT NULL, scram_salt BLOB,"
	" scram_iter INTEGER, scram_stored BLOB, scram_server BLOB,"
	" created INTEGER);"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);"
	SQ_USERS_SHARES_SCHEMA;

static struct sq_users *sq_users(struct store_users *users)
{
	return (struct sq_users *)users;
}

static bool sq_users_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("passdb: %s", msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return false;
	}
	return true;
}

static sqlite3_stmt *sq_users_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("passdb: prepare: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

/* Creates the tables and the secret once; concurrent first opens (CLI and
 * server) are serialized by BEGIN IMMEDIATE. */
static bool sq_users_init_schema(struct sq_users *u)
{
	unsigned char secret[STORE_USERS_SECRET_LEN];
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (!sq_users_exec(u->db, "BEGIN IMMEDIATE"))
		return false;
	if (!sq_users_exec(u->db, sq_users_schema))
		goto out;
	if (RAND_bytes(secret, sizeof(secret)) != 1) {
		log_error("passdb: RAND_bytes failed");
		goto out;
	}
	st = sq_users_prepare(u->db, "INSERT OR IGNORE INTO meta (key, value) VALUES"
			      " ('secret', ?1), ('schema_version', ?2)");
	if (st == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, secret, sizeof(secret), SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, SQ_USERS_SCHEMA_VERSION);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("passdb: init meta: %s", sqlite3_errmsg(u->db));
		goto out;
	}
	sqlite3_finalize(st);
	st = sq_users_prepare(u->db, "SELECT value FROM meta WHERE key = 'secret'");
	if (st == NULL)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_bytes(st, 0) != STORE_USERS_SECRET_LEN) {
		log_error("passdb: meta secret missing or damaged");
		goto out;
	}
	memcpy(u->secret, sqlite3_column_blob(st, 0), STORE_USERS_SECRET_LEN);
	ok = true;
out:
	sqlite3_finalize(st);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!sq_users_exec(u->db, ok ? "COMMIT" : "ROLLBACK"))
		ok = false;
	return ok;
}

/* Creates the file with 0600 before SQLite sees it; SQLite gives its -wal
 * and -shm files the database file's mode. */
static bool sq_users_create_file(const char *path, char *err, size_t err_size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return true;
		snprintf(err, err_size, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	if (fchmod(fd, 0600) < 0) {   /* a umask may have removed bits */
		snprintf(err, err_size, "cannot chmod %s: %s", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

static bool sq_users_migrate(sqlite3 *db, const char *data_dir);

enum store_result sq_users_open(const struct store_env *env, struct store_users **users_r,
				char *err, size_t err_size)
{
	char path[SQ_USERS_PATH_MAX];
	struct sq_users *u;
	int n;

	*users_r = NULL;
	n = snprintf(path, sizeof(path), "%s/%s", env->location, SQ_USERS_FILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, err_size, "data directory path too long");
		return STORE_INVALID;
	}
	if (!sq_users_create_file(path, err, err_size))
		return STORE_ERROR;
	u = xcalloc(1, sizeof(*u));
	u->users.v = &store_backend_sqlite;
	pthread_mutex_init(&u->lock, NULL);
	if (sqlite3_open_v2(path, &u->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
			    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "cannot open %s: %s", path,
			 u->db != NULL ? sqlite3_errmsg(u->db) : "out of memory");
		sq_users_close(&u->users);
		return STORE_ERROR;
	}
	sqlite3_busy_timeout(u->db, SQ_USERS_BUSY_MS);
	/* WAL lets the server read while the CLI writes; FULL makes a
	 * reported password change survive a power cut. */
	if (!sq_users_exec(u->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") ||
	    !sq_users_init_schema(u) || !sq_users_migrate(u->db, env->location)) {
		snprintf(err, err_size, "cannot initialize %s (see log)", path);
		sq_users_close(&u->users);
		return STORE_ERROR;
	}
	*users_r = &u->users;
	return STORE_OK;
}

void sq_users_close(struct store_users *users)
{
	struct sq_users *u = sq_users(users);

	sqlite3_close_v2(u->db);
	pthread_mutex_destroy(&u->lock);
	OPENSSL_cleanse(u, sizeof(*u));
	free(u);
}

const unsigned char *sq_users_secret(const struct store_users *users)
{
	return ((const struct sq_users *)users)->secret;
}

enum store_result sq_users_write(struct store_users *users, const char *name,
				 const struct store_user_record *rec, bool add)
{
	struct sq_users *u = sq_users(users);
	enum store_result ret = STORE_ERROR;
	sqlite3_stmt *st;

	pthread_mutex_lock(&u->lock);
	st = sq_users_prepare(u->db, add ?
		"INSERT INTO users (name, hash, scram_salt, scram_iter, scram_stored,"
		" scram_server, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%s','now'))" :
		"UPDATE users SET hash = ?2, scram_salt = ?3, scram_iter = ?4,"
		" scram_stored = ?5, scram_server = ?6 WHERE name = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rec->hash, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, rec->scram_salt, (int)rec->scram_salt_len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)rec->scram_iter);
		sqlite3_bind_blob(st, 5, rec->scram_stored, STORE_USER_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 6, rec->scram_server, STORE_USER_KEY_LEN, SQLITE_STATIC);
		int rc = sqlite3_step(st);

		if (rc == SQLITE_DONE)
			ret = add || sqlite3_changes(u->db) > 0 ? STORE_OK : STORE_NOT_FOUND;
		else if (add && sqlite3_extended_errcode(u->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = STORE_EXISTS;
		else
			log_error("passdb: %s user: %s", add ? "add" : "update",
				  sqlite3_errmsg(u->db));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

enum store_result sq_users_delete(struct store_users *users, const char *name)
{
	struct sq_users *u = sq_users(users);
	enum store_result ret = STORE_ERROR;
	sqlite3_stmt *st;

	pthread_mutex_lock(&u->lock);
	st = sq_users_prepare(u->db, "DELETE FROM users WHERE name = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			ret = sqlite3_changes(u->db) > 0 ? STORE_OK : STORE_NOT_FOUND;
		else
			log_error("passdb: delete user: %s", sqlite3_errmsg(u->db));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

enum store_result sq_users_list(struct store_users *users,
				void (*cb)(const char *name, void *ctx), void *ctx)
{
	struct sq_users *u = sq_users(users);
	char **names = NULL;
	size_t count = 0, cap = 0;
	enum store_result ret = STORE_ERROR;
	sqlite3_stmt *st;

	/* Collect first, call back after unlocking: cb may use the db. */
	pthread_mutex_lock(&u->lock);
	st = sq_users_prepare(u->db, "SELECT name FROM users ORDER BY name");
	if (st != NULL) {
		int rc;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);

			if (name == NULL)
				continue;
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[count++] = xstrdup(name);
		}
		if (rc == SQLITE_DONE)
			ret = STORE_OK;
		else
			log_error("passdb: list users: %s", sqlite3_errmsg(u->db));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&u->lock);
	for (size_t i = 0; i < count; i++) {
		if (ret == STORE_OK)
			cb(names[i], ctx);
		free(names[i]);
	}
	free(names);
	return ret;
}

/* The row's values into rec: a hash too long, or SCRAM values of a wrong
 * size, are left empty (the caller decides what that means). */
static void sq_users_row(sqlite3_stmt *st, struct store_user_record *rec)
{
	const char *h = (const char *)sqlite3_column_text(st, 0);
	int salt_len = sqlite3_column_bytes(st, 1);

	if (h != NULL && strlen(h) < sizeof(rec->hash))
		memcpy(rec->hash, h, strlen(h) + 1);
	if (salt_len > 0 && salt_len <= STORE_USER_SALT_MAX &&
	    sqlite3_column_bytes(st, 3) == STORE_USER_KEY_LEN &&
	    sqlite3_column_bytes(st, 4) == STORE_USER_KEY_LEN) {
		sqlite3_int64 iter = sqlite3_column_int64(st, 2);

		memcpy(rec->scram_salt, sqlite3_column_blob(st, 1), (size_t)salt_len);
		rec->scram_salt_len = (size_t)salt_len;
		rec->scram_iter = iter > 0 ? (uint64_t)iter : 0;
		memcpy(rec->scram_stored, sqlite3_column_blob(st, 3), STORE_USER_KEY_LEN);
		memcpy(rec->scram_server, sqlite3_column_blob(st, 4), STORE_USER_KEY_LEN);
	}
}

enum store_result sq_users_get(struct store_users *users, const char *name,
			       struct store_user_record *rec)
{
	struct sq_users *u = sq_users(users);
	enum store_result ret = STORE_ERROR;
	sqlite3_stmt *st;

	memset(rec, 0, sizeof(*rec));
	pthread_mutex_lock(&u->lock);
	st = sq_users_prepare(u->db, "SELECT hash, scram_salt, scram_iter, scram_stored,"
			      " scram_server FROM users WHERE name = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);

		if (rc == SQLITE_ROW) {
			sq_users_row(st, rec);
			ret = STORE_OK;
		} else if (rc == SQLITE_DONE) {
			ret = STORE_NOT_FOUND;
		} else {
			log_error("passdb: lookup: %s", sqlite3_errmsg(u->db));
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

/* ---- whether a user's mail store was ever created ---- */

/* users.store_created: 1 once the user's store was made. Added in place to
 * a users.db made before it; a user who then already has any of a store's
 * files (store.db, search.db, blobs/) counts as having had one, so a
 * store.db removed before the upgrade is refused too, not re-created. */
static bool sq_users_migrate(sqlite3 *db, const char *data_dir)
{
	static const char has_column[] = "SELECT count(*) FROM pragma_table_info('users')"
		" WHERE name = 'store_created'";
	static const char has_all[] = "SELECT (SELECT count(*) FROM pragma_table_info('users')"
		" WHERE name = 'store_created') + (SELECT count(*) FROM sqlite_schema"
		" WHERE name = 'shares')";
	sqlite3_stmt *st = NULL, *upd = NULL;
	unsigned int marked = 0;
	bool ok = false;
	int rc;

	/* Done already (the usual case): no write lock. */
	if (sqlite3_prepare_v2(db, has_all, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2) {
		sqlite3_finalize(st);
		return true;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		log_error("passdb: begin: %s", sqlite3_errmsg(db));
		return false;
	}
	if (sqlite3_exec(db, SQ_USERS_SHARES_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, has_column, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_int(st, 0) > 0) {
		ok = true;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(db, "ALTER TABLE users ADD COLUMN store_created INTEGER NOT NULL"
			 " DEFAULT 0", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM users", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE users SET store_created = 1 WHERE name = ?1", -1,
			       &upd, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		static const char *const files[] = { "store.db", "search.db", "blobs" };
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char path[SQ_USERS_PATH_MAX];
		bool had = false;

		for (size_t i = 0; name != NULL && !had && i < sizeof(files) / sizeof(files[0]);
		     i++) {
			int n = snprintf(path, sizeof(path), "%s/users/%s/%s", data_dir, name,
					 files[i]);

			had = n > 0 && (size_t)n < sizeof(path) && access(path, F_OK) == 0;
		}
		if (!had)
			continue;
		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(upd) != SQLITE_DONE)
			goto out;
		marked++;
	}
	ok = rc == SQLITE_DONE;
	if (ok && marked > 0)
		log_info("passdb: users.db upgraded: %u users' mail stores recorded as created",
			 marked);
out:
	if (!ok)
		log_error("passdb: recording created stores: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_finalize(upd);
	if (sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		ok = false;
	return ok;
}

/* users.db on a connection of its own: the store-open paths (server
 * workers, `petrel deliver`, `petrel check`) hold no user database
 * handle, and passdb_open() costs a slow hash. Such a connection is taken
 * from the env's idle ones and given back after the call (sq_users_db_put),
 * so a LIST or a store open pays no open of users.db and no check of its
 * schema: imaptest's mix spent 8 % of the server's CPU on those. */
#define SQ_USERS_IDLE_MAX 4        /* store workers that ask at the same time */

struct sq_env_state {
	pthread_mutex_t lock;
	sqlite3 *idle[SQ_USERS_IDLE_MAX];
	unsigned int idle_count;
};

enum store_result sq_env_init(struct store_env *env, char *err, size_t err_size)
{
	struct sq_env_state *state = xcalloc(1, sizeof(*state));

	(void)err;
	(void)err_size;
	pthread_mutex_init(&state->lock, NULL);
	env->backend_state = state;
	return STORE_OK;
}

void sq_env_free(struct store_env *env)
{
	struct sq_env_state *state = env->backend_state;

	if (state == NULL)
		return;
	env->backend_state = NULL;
	for (unsigned int i = 0; i < state->idle_count; i++)
		sqlite3_close_v2(state->idle[i]);
	pthread_mutex_destroy(&state->lock);
	free(state);
}

static enum store_result sq_users_db(const struct store_env *env, sqlite3 **db_r)
{
	struct sq_env_state *state = env->backend_state;
	char path[SQ_USERS_PATH_MAX];
	int n;

	*db_r = NULL;
	pthread_mutex_lock(&state->lock);
	if (state->idle_count > 0)
		*db_r = state->idle[--state->idle_count];
	pthread_mutex_unlock(&state->lock);
	if (*db_r != NULL)
		return STORE_OK;
	n = snprintf(path, sizeof(path), "%s/%s", env->location, SQ_USERS_FILE);
	if (n < 0 || (size_t)n >= sizeof(path))
		return STORE_ERROR;
	if (sqlite3_open_v2(path, db_r, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_error("passdb: cannot open %s: %s", path,
			  *db_r != NULL ? sqlite3_errmsg(*db_r) : "out of memory");
		sqlite3_close_v2(*db_r);
		*db_r = NULL;
		return STORE_ERROR;
	}
	sqlite3_busy_timeout(*db_r, SQ_USERS_BUSY_MS);
	if (!sq_users_migrate(*db_r, env->location)) {
		sqlite3_close_v2(*db_r);
		*db_r = NULL;
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* Gives db back for the next call, or closes it: after a failure (it may
 * be left mid-transaction) or when enough are idle. Every statement on it
 * is finalized by then, so it holds no lock and no read snapshot. */
static void sq_users_db_put(const struct store_env *env, sqlite3 *db, bool ok)
{
	struct sq_env_state *state = env->backend_state;

	if (ok && sqlite3_get_autocommit(db)) {
		pthread_mutex_lock(&state->lock);
		if (state->idle_count < SQ_USERS_IDLE_MAX) {
			state->idle[state->idle_count++] = db;
			db = NULL;
		}
		pthread_mutex_unlock(&state->lock);
	}
	sqlite3_close_v2(db);
}

enum store_result sq_users_store_created(const struct store_env *env, const char *name,
					 bool *created_r)
{
	enum store_result ret;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int rc;

	*created_r = false;
	ret = sq_users_db(env, &db);
	if (ret != STORE_OK)
		return ret;
	ret = STORE_ERROR;
	/* The public owner has no user record: its mark is a meta row. */
	bool public = strcmp(name, STORE_PUBLIC_OWNER) == 0;

	if (sqlite3_prepare_v2(db, public ? "SELECT value FROM meta WHERE key = 'public_store'"
			       : "SELECT store_created FROM users WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		if (!public)
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*created_r = sqlite3_column_int(st, 0) != 0;
			ret = STORE_OK;
		} else if (rc == SQLITE_DONE) {
			ret = public ? STORE_OK : STORE_NOT_FOUND;
		}
	}
	if (ret == STORE_ERROR)
		log_error("passdb: store_created of %s: %s", name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sq_users_db_put(env, db, ret != STORE_ERROR);
	return ret;
}

/* One change to users.db on a connection of its own: sql with a and (if
 * not NULL) b bound as ?1 and ?2. STORE_NOT_FOUND when it changed no row
 * and that matters (must_change). */
static enum store_result sq_users_change(const struct store_env *env, const char *sql,
					 const char *a, const char *b, bool must_change,
					 const char *what)
{
	enum store_result ret;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;

	ret = sq_users_db(env, &db);
	if (ret != STORE_OK)
		return ret;
	ret = STORE_ERROR;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
		if (b != NULL)
			sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			ret = !must_change || sqlite3_changes(db) > 0 ? STORE_OK : STORE_NOT_FOUND;
	}
	if (ret == STORE_ERROR)
		log_error("passdb: %s of %s: %s", what, a, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sq_users_db_put(env, db, ret != STORE_ERROR);
	return ret;
}

enum store_result sq_users_set_store_created(const struct store_env *env, const char *name)
{
	if (strcmp(name, STORE_PUBLIC_OWNER) == 0)
		return sq_users_change(env, "INSERT OR REPLACE INTO meta (key, value)"
				       " VALUES ('public_store', 1)", name, NULL, false,
				       "recording the store");
	return sq_users_change(env, "UPDATE users SET store_created = 1 WHERE name = ?1", name,
			       NULL, true, "recording the store");
}

/* ---- who shares with whom ---- */

enum store_result sq_users_share_set(const struct store_env *env, const char *owner,
				     const char *grantee, bool shares)
{
	return sq_users_change(env, shares ? "INSERT OR IGNORE INTO shares (owner, grantee)"
			       " VALUES (?1, ?2)" : "DELETE FROM shares WHERE owner = ?1"
			       " AND grantee = ?2", owner, grantee, false, "shares");
}

/* The owners are read first and cb called after, with the connection
 * given back: cb may take its time (or ask users.db itself). */
enum store_result sq_users_sharing_with(const struct store_env *env, const char *user,
					void (*cb)(const char *owner, void *ctx), void *ctx)
{
	enum store_result ret;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	char **owners = NULL;
	size_t count = 0, alloc = 0;
	int rc = SQLITE_ERROR;

	ret = sq_users_db(env, &db);
	if (ret != STORE_OK)
		return ret;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT owner FROM shares WHERE grantee IN"
			       " (?1, 'anyone', 'authenticated') AND owner != ?1 ORDER BY owner",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *owner = (const char *)sqlite3_column_text(st, 0);

			if (owner == NULL)
				continue;
			if (count == alloc) {
				alloc = alloc == 0 ? 8 : alloc * 2;
				owners = xrealloc(owners, alloc * sizeof(*owners));
			}
			owners[count++] = xstrdup(owner);
		}
	}
	ret = rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
	if (ret == STORE_ERROR)
		log_error("passdb: shares with %s: %s", user, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sq_users_db_put(env, db, ret != STORE_ERROR);
	for (size_t i = 0; i < count; i++) {
		if (ret == STORE_OK)
			cb(owners[i], ctx);
		free(owners[i]);
	}
	free(owners);
	return ret;
}
