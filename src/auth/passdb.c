/* The password database on SQLite: yescrypt hashes for PLAIN/LOGIN and
 * SCRAM-SHA-256 keys (RFC 5802 §3, RFC 7677). Never stores, logs or keeps a
 * cleartext password past the call; SQL only through bound parameters. */
#include "auth/passdb.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "auth/auth-cache.h"
#include "core/log.h"
#include "core/xalloc.h"

#define PASSDB_FILE "users.db"
#define PASSDB_SCHEMA_VERSION 1
#define PASSDB_SECRET_LEN 32      /* key of the HMAC that makes fake SCRAM salts */
#define PASSDB_BUSY_MS 5000       /* the CLI and the server share the file */
/* RFC 7677 §4 asks for at least 4096; 10000 costs the client ~10 ms. */
#define PASSDB_SCRAM_ITER 10000
#define PASSDB_SCRAM_SALT_LEN 16
#define PASSDB_PATH_MAX 4096

struct passdb {
	sqlite3 *db;
	/* Serializes statement sequences on db (FULLMUTEX only covers single
	 * calls, not prepare/step/errmsg runs). Never held while hashing. */
	pthread_mutex_t lock;
	unsigned char secret[PASSDB_SECRET_LEN];
	/* A yescrypt hash of a random password with the default cost: unknown
	 * users are checked against it so they take as long as known ones. */
	char dummy_hash[CRYPT_OUTPUT_SIZE];
	struct auth_cache *cache;   /* verified passwords; NULL when off */
};

static const char passdb_schema[] =
	"CREATE TABLE IF NOT EXISTS users ("
	" name TEXT PRIMARY KEY, hash TEXT NOT NULL, scram_salt BLOB,"
	" scram_iter INTEGER, scram_stored BLOB, scram_server BLOB,"
	" created INTEGER);"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);";

bool passdb_valid_username(const char *name)
{
	size_t len = 0;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return false;
	for (; name[len] != '\0'; len++) {
		char c = name[len];

		if (len >= PASSDB_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* 1..PASSDB_PASSWORD_MAX bytes, no CR or LF (a NUL ends the C string, so a
 * password with one cannot reach here whole: callers reject it earlier). */
static bool passdb_valid_password(const char *pw)
{
	size_t len = strnlen(pw, PASSDB_PASSWORD_MAX + 1);

	if (len == 0 || len > PASSDB_PASSWORD_MAX)
		return false;
	return strpbrk(pw, "\r\n") == NULL;
}

/* Runs crypt_r with a heap crypt_data (about 32 KiB: too big for the small
 * stacks of worker threads). Copies the result into out; false on failure.
 * libxcrypt refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or
 * more, but we accept up to PASSDB_PASSWORD_MAX: such long passwords are
 * hashed as the hex SHA-256 of the password instead (still salted and slow
 * afterwards; only someone who knows the password can produce that hex). */
static bool passdb_crypt(const char *pw, const char *setting, char out[CRYPT_OUTPUT_SIZE])
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	char prehash[2 * SHA256_DIGEST_LENGTH + 1];
	size_t len = strlen(pw);

	if (len >= CRYPT_MAX_PASSPHRASE_SIZE) {
		unsigned char md[SHA256_DIGEST_LENGTH];

		SHA256((const unsigned char *)pw, len, md);
		for (size_t i = 0; i < sizeof(md); i++)
			snprintf(prehash + 2 * i, 3, "%02x", md[i]);
		OPENSSL_cleanse(md, sizeof(md));
		pw = prehash;
	}
	const char *h = crypt_r(pw, setting, cd);
	bool ok = h != NULL && h[0] == '$' && strlen(h) < CRYPT_OUTPUT_SIZE;

	if (ok)
		memcpy(out, h, strlen(h) + 1);
	OPENSSL_cleanse(prehash, sizeof(prehash));
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static bool passdb_hash_new(const char *pw, char out[CRYPT_OUTPUT_SIZE])
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	/* NULL rbytes: libxcrypt draws the salt from the OS (getrandom). */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL) {
		log_error("passdb: crypt_gensalt_rn failed: %s", strerror(errno));
		return false;
	}
	if (!passdb_crypt(pw, setting, out)) {
		log_error("passdb: crypt_r failed");
		return false;
	}
	return true;
}

/* RFC 5802 §3. SASLprep (RFC 4013) is NOT applied: no library for it here,
 * so the password bytes are used as given; clients that normalize will
 * still match for ASCII passwords, which is what SASLprep leaves alone. */
static bool passdb_scram_derive(const char *pw, struct scram_creds *c)
{
	unsigned char salted[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	unsigned int len = 0;
	bool ok = false;

	c->salt_len = PASSDB_SCRAM_SALT_LEN;
	c->iterations = PASSDB_SCRAM_ITER;
	if (RAND_bytes(c->salt, (int)c->salt_len) != 1)
		goto out;
	if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), c->salt, (int)c->salt_len,
			      (int)c->iterations, EVP_sha256(), sizeof(salted), salted) != 1)
		goto out;
	if (HMAC(EVP_sha256(), salted, sizeof(salted), (const unsigned char *)"Client Key",
		 10, client_key, &len) == NULL)
		goto out;
	SHA256(client_key, sizeof(client_key), c->stored_key);
	if (HMAC(EVP_sha256(), salted, sizeof(salted), (const unsigned char *)"Server Key",
		 10, c->server_key, &len) == NULL)
		goto out;
	ok = true;
out:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	if (!ok)
		log_error("passdb: deriving SCRAM keys failed");
	return ok;
}

static bool passdb_exec(struct passdb *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("passdb: %s", msg != NULL ? msg : sqlite3_errmsg(db->db));
		sqlite3_free(msg);
		return false;
	}
	return true;
}

static sqlite3_stmt *passdb_prepare(struct passdb *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("passdb: prepare: %s", sqlite3_errmsg(db->db));
		return NULL;
	}
	return st;
}

/* Creates the tables and the secret once; concurrent first opens (CLI and
 * server) are serialized by BEGIN IMMEDIATE. */
static bool passdb_init_schema(struct passdb *db)
{
	unsigned char secret[PASSDB_SECRET_LEN];
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (!passdb_exec(db, "BEGIN IMMEDIATE"))
		return false;
	if (!passdb_exec(db, passdb_schema))
		goto out;
	if (RAND_bytes(secret, sizeof(secret)) != 1) {
		log_error("passdb: RAND_bytes failed");
		goto out;
	}
	st = passdb_prepare(db, "INSERT OR IGNORE INTO meta (key, value) VALUES"
			    " ('secret', ?1), ('schema_version', ?2)");
	if (st == NULL)
		goto out;
	sqlite3_bind_blob(st, 1, secret, sizeof(secret), SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, PASSDB_SCHEMA_VERSION);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("passdb: init meta: %s", sqlite3_errmsg(db->db));
		goto out;
	}
	sqlite3_finalize(st);
	st = passdb_prepare(db, "SELECT value FROM meta WHERE key = 'secret'");
	if (st == NULL)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_bytes(st, 0) != PASSDB_SECRET_LEN) {
		log_error("passdb: meta secret missing or damaged");
		goto out;
	}
	memcpy(db->secret, sqlite3_column_blob(st, 0), PASSDB_SECRET_LEN);
	ok = true;
out:
	sqlite3_finalize(st);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!passdb_exec(db, ok ? "COMMIT" : "ROLLBACK"))
		ok = false;
	return ok;
}

/* Creates the file with 0600 before SQLite sees it; SQLite gives its -wal
 * and -shm files the database file's mode. */
static bool passdb_create_file(const char *path, char *err, size_t err_size)
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

static bool passdb_store_migrate(sqlite3 *db, const char *data_dir);

int passdb_open(const char *data_dir, struct passdb **db_r, char *err, size_t err_size)
{
	char path[PASSDB_PATH_MAX];
	struct passdb *db;
	int n;

	*db_r = NULL;
	n = snprintf(path, sizeof(path), "%s/%s", data_dir, PASSDB_FILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, err_size, "data directory path too long");
		return -1;
	}
	if (!passdb_create_file(path, err, err_size))
		return -1;
	db = xcalloc(1, sizeof(*db));
	pthread_mutex_init(&db->lock, NULL);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
			    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "cannot open %s: %s", path,
			 db->db != NULL ? sqlite3_errmsg(db->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->db, PASSDB_BUSY_MS);
	/* WAL lets the server read while the CLI writes; FULL makes a
	 * reported password change survive a power cut. */
	if (!passdb_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") ||
	    !passdb_init_schema(db) || !passdb_store_migrate(db->db, data_dir)) {
		snprintf(err, err_size, "cannot initialize %s (see log)", path);
		goto fail;
	}
	{
		unsigned char rnd[32];
		char pw[2 * sizeof(rnd) + 1];

		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			snprintf(err, err_size, "no random bytes available");
			goto fail;
		}
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
		bool ok = passdb_hash_new(pw, db->dummy_hash);

		OPENSSL_cleanse(pw, sizeof(pw));
		if (!ok) {
			snprintf(err, err_size, "yescrypt is not available");
			goto fail;
		}
	}
	*db_r = db;
	return 0;
fail:
	passdb_close(&db);
	return -1;
}

void passdb_close(struct passdb **dbp)
{
	struct passdb *db = *dbp;

	if (db == NULL)
		return;
	*dbp = NULL;
	auth_cache_destroy(&db->cache);
	sqlite3_close_v2(db->db);
	pthread_mutex_destroy(&db->lock);
	OPENSSL_cleanse(db, sizeof(*db));
	free(db);
}

static enum passdb_result passdb_write_user(struct passdb *db, const char *name,
					    const char *password, bool add)
{
	char hash[CRYPT_OUTPUT_SIZE];
	struct scram_creds c;
	sqlite3_stmt *st;
	enum passdb_result ret = PASSDB_ERROR;

	if (!passdb_valid_username(name))
		return PASSDB_BAD_NAME;
	if (!passdb_valid_password(password))
		return PASSDB_BAD_INPUT;
	/* The slow part runs before taking the lock. */
	if (!passdb_hash_new(password, hash) || !passdb_scram_derive(password, &c))
		return PASSDB_ERROR;

	pthread_mutex_lock(&db->lock);
	st = passdb_prepare(db, add ?
		"INSERT INTO users (name, hash, scram_salt, scram_iter, scram_stored,"
		" scram_server, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%s','now'))" :
		"UPDATE users SET hash = ?2, scram_salt = ?3, scram_iter = ?4,"
		" scram_stored = ?5, scram_server = ?6 WHERE name = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, c.salt, (int)c.salt_len, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, (int)c.iterations);
		sqlite3_bind_blob(st, 5, c.stored_key, SCRAM_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 6, c.server_key, SCRAM_KEY_LEN, SQLITE_STATIC);
		int rc = sqlite3_step(st);

		if (rc == SQLITE_DONE)
			ret = add || sqlite3_changes(db->db) > 0 ? PASSDB_OK : PASSDB_NO_USER;
		else if (add && sqlite3_extended_errcode(db->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			ret = PASSDB_EXISTS;
		else
			log_error("passdb: %s user: %s", add ? "add" : "update",
				  sqlite3_errmsg(db->db));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->lock);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(hash, sizeof(hash));
	return ret;
}

enum passdb_result passdb_user_add(struct passdb *db, const char *name, const char *password)
{
	return passdb_write_user(db, name, password, true);
}

enum passdb_result passdb_user_set_password(struct passdb *db, const char *name,
					    const char *password)
{
	auth_cache_forget(db->cache, name);
	return passdb_write_user(db, name, password, false);
}

enum passdb_result passdb_user_delete(struct passdb *db, const char *name)
{
	enum passdb_result ret = PASSDB_ERROR;
	sqlite3_stmt *st;

	if (!passdb_valid_username(name))
		return PASSDB_BAD_NAME;
	auth_cache_forget(db->cache, name);
	pthread_mutex_lock(&db->lock);
	st = passdb_prepare(db, "DELETE FROM users WHERE name = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			ret = sqlite3_changes(db->db) > 0 ? PASSDB_OK : PASSDB_NO_USER;
		else
			log_error("passdb: delete user: %s", sqlite3_errmsg(db->db));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->lock);
	return ret;
}

enum passdb_result passdb_user_list(struct passdb *db,
				    void (*cb)(const char *name, void *ctx), void *ctx)
{
	char **names = NULL;
	size_t count = 0, cap = 0;
	enum passdb_result ret = PASSDB_ERROR;
	sqlite3_stmt *st;

	/* Collect first, call back after unlocking: cb may use the db. */
	pthread_mutex_lock(&db->lock);
	st = passdb_prepare(db, "SELECT name FROM users ORDER BY name");
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
			ret = PASSDB_OK;
		else
			log_error("passdb: list users: %s", sqlite3_errmsg(db->db));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->lock);
	for (size_t i = 0; i < count; i++) {
		if (ret == PASSDB_OK)
			cb(names[i], ctx);
		free(names[i]);
	}
	free(names);
	return ret;
}

/* Copies the stored hash of name into hash_r; PASSDB_NO_USER if absent. */
static enum passdb_result passdb_get_hash(struct passdb *db, const char *name,
					  char hash_r[CRYPT_OUTPUT_SIZE])
{
	enum passdb_result ret = PASSDB_ERROR;
	sqlite3_stmt *st;

	pthread_mutex_lock(&db->lock);
	st = passdb_prepare(db, "SELECT hash FROM users WHERE name = ?1");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);

		if (rc == SQLITE_ROW) {
			const char *h = (const char *)sqlite3_column_text(st, 0);

			if (h != NULL && strlen(h) < CRYPT_OUTPUT_SIZE) {
				memcpy(hash_r, h, strlen(h) + 1);
				ret = PASSDB_OK;
			} else {
				log_error("passdb: damaged hash for a user");
			}
		} else if (rc == SQLITE_DONE) {
			ret = PASSDB_NO_USER;
		} else {
			log_error("passdb: lookup: %s", sqlite3_errmsg(db->db));
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->lock);
	return ret;
}

void passdb_set_cache(struct passdb *db, unsigned int slots, unsigned int ttl_s)
{
	auth_cache_destroy(&db->cache);
	db->cache = auth_cache_create(slots, ttl_s);
}

enum passdb_result passdb_verify_plain(struct passdb *db, const char *name,
				       const char *password)
{
	char stored[CRYPT_OUTPUT_SIZE], computed[CRYPT_OUTPUT_SIZE];
	enum passdb_result ret;

	/* Whether a password is well-formed does not depend on the user, so
	 * answering early leaks nothing about which names exist. */
	if (!passdb_valid_password(password))
		return PASSDB_BAD_INPUT;
	ret = passdb_valid_username(name) ? passdb_get_hash(db, name, stored) : PASSDB_NO_USER;
	if (ret == PASSDB_ERROR)
		return ret;
	if (ret == PASSDB_NO_USER)
		memcpy(stored, db->dummy_hash, sizeof(stored));
	else if (auth_cache_hit(db->cache, name, stored, password))
		return PASSDB_OK;
	if (!passdb_crypt(password, stored, computed)) {
		log_error("passdb: crypt_r failed while verifying");
		return PASSDB_ERROR;
	}
	size_t len = strlen(stored);
	bool same = strlen(computed) == len && CRYPTO_memcmp(computed, stored, len) == 0;

	OPENSSL_cleanse(computed, sizeof(computed));
	if (ret == PASSDB_NO_USER)
		return PASSDB_NO_USER;
	if (same)
		auth_cache_put(db->cache, name, stored, password);
	return same ? PASSDB_OK : PASSDB_BAD_PASSWORD;
}

/* RFC 5802 §5.1 lets a server hide which users exist: the fake values are
 * an HMAC of the name under the per-database secret, so repeated probes of
 * one name see the same salt, like a real user. */
static void passdb_scram_fake(struct passdb *db, const char *name, struct scram_creds *c)
{
	static const char *const labels[] = { "salt", "stored", "server" };
	unsigned char *outs[] = { c->salt, c->stored_key, c->server_key };
	size_t sizes[] = { PASSDB_SCRAM_SALT_LEN, SCRAM_KEY_LEN, SCRAM_KEY_LEN };
	size_t name_len = strlen(name);
	unsigned char mac[SHA256_DIGEST_LENGTH];

	memset(c, 0, sizeof(*c));
	c->salt_len = PASSDB_SCRAM_SALT_LEN;
	c->iterations = PASSDB_SCRAM_ITER;
	for (size_t i = 0; i < 3; i++) {
		/* HMAC(secret, label NUL name): one independent value per field. */
		size_t label_len = strlen(labels[i]) + 1;
		unsigned char *msg = xmalloc(label_len + name_len);
		unsigned int len = 0;

		memcpy(msg, labels[i], label_len);
		memcpy(msg + label_len, name, name_len);
		if (HMAC(EVP_sha256(), db->secret, sizeof(db->secret), msg,
			 label_len + name_len, mac, &len) == NULL)
			memset(mac, 0x5a, sizeof(mac));  /* never a real key either */
		free(msg);
		memcpy(outs[i], mac, sizes[i]);
	}
}

enum passdb_result passdb_scram_lookup(struct passdb *db, const char *name,
				       struct scram_creds *creds_r)
{
	enum passdb_result ret = PASSDB_NO_USER;
	sqlite3_stmt *st;

	/* An invalid name cannot exist: answer like for an unknown user. */
	if (passdb_valid_username(name)) {
		pthread_mutex_lock(&db->lock);
		st = passdb_prepare(db, "SELECT scram_salt, scram_iter, scram_stored,"
				    " scram_server FROM users WHERE name = ?1");
		if (st == NULL) {
			ret = PASSDB_ERROR;
		} else {
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			int rc = sqlite3_step(st);

			if (rc == SQLITE_ROW) {
				int salt_len = sqlite3_column_bytes(st, 0);
				sqlite3_int64 iter = sqlite3_column_int64(st, 1);

				/* A row without usable SCRAM keys (e.g. imported
				 * from elsewhere) cannot do SCRAM: fake it. */
				if (salt_len > 0 && salt_len <= SCRAM_SALT_MAX &&
				    iter >= 4096 && iter <= 10000000 &&
				    sqlite3_column_bytes(st, 2) == SCRAM_KEY_LEN &&
				    sqlite3_column_bytes(st, 3) == SCRAM_KEY_LEN) {
					memcpy(creds_r->salt, sqlite3_column_blob(st, 0),
					       (size_t)salt_len);
					creds_r->salt_len = (size_t)salt_len;
					creds_r->iterations = (unsigned int)iter;
					memcpy(creds_r->stored_key, sqlite3_column_blob(st, 2),
					       SCRAM_KEY_LEN);
					memcpy(creds_r->server_key, sqlite3_column_blob(st, 3),
					       SCRAM_KEY_LEN);
					ret = PASSDB_OK;
				}
			} else if (rc != SQLITE_DONE) {
				log_error("passdb: scram lookup: %s", sqlite3_errmsg(db->db));
				ret = PASSDB_ERROR;
			}
			sqlite3_finalize(st);
		}
		pthread_mutex_unlock(&db->lock);
	}
	if (ret == PASSDB_NO_USER)
		passdb_scram_fake(db, name, creds_r);
	return ret;
}

/* ---- whether a user's mail store was ever created ---- */

/* users.store_created: 1 once the user's store was made. Added in place to
 * a users.db made before it; a user who then already has any of a store's
 * files (store.db, search.db, blobs/) counts as having had one, so a
 * store.db removed before the upgrade is refused too, not re-created. */
static bool passdb_store_migrate(sqlite3 *db, const char *data_dir)
{
	static const char has_column[] = "SELECT count(*) FROM pragma_table_info('users')"
		" WHERE name = 'store_created'";
	sqlite3_stmt *st = NULL, *upd = NULL;
	unsigned int marked = 0;
	bool ok = false;
	int rc;

	/* Done already (the usual case): no write lock. */
	if (sqlite3_prepare_v2(db, has_column, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0) {
		sqlite3_finalize(st);
		return true;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		log_error("passdb: begin: %s", sqlite3_errmsg(db));
		return false;
	}
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
		char path[PASSDB_PATH_MAX];
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
 * workers, `petrel deliver`, `petrel check`) hold no passdb handle, and
 * passdb_open() costs a slow hash. */
static enum passdb_result passdb_store_db(const char *data_dir, sqlite3 **db_r)
{
	char path[PASSDB_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", data_dir, PASSDB_FILE);

	*db_r = NULL;
	if (n < 0 || (size_t)n >= sizeof(path))
		return PASSDB_ERROR;
	if (sqlite3_open_v2(path, db_r, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_error("passdb: cannot open %s: %s", path,
			  *db_r != NULL ? sqlite3_errmsg(*db_r) : "out of memory");
		sqlite3_close_v2(*db_r);
		*db_r = NULL;
		return PASSDB_ERROR;
	}
	sqlite3_busy_timeout(*db_r, PASSDB_BUSY_MS);
	if (!passdb_store_migrate(*db_r, data_dir)) {
		sqlite3_close_v2(*db_r);
		*db_r = NULL;
		return PASSDB_ERROR;
	}
	return PASSDB_OK;
}

enum passdb_result passdb_store_created(const char *data_dir, const char *name,
					bool *created_r)
{
	enum passdb_result ret;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int rc;

	*created_r = false;
	if (!passdb_valid_username(name))
		return PASSDB_BAD_NAME;
	ret = passdb_store_db(data_dir, &db);
	if (ret != PASSDB_OK)
		return ret;
	ret = PASSDB_ERROR;
	if (sqlite3_prepare_v2(db, "SELECT store_created FROM users WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*created_r = sqlite3_column_int(st, 0) != 0;
			ret = PASSDB_OK;
		} else if (rc == SQLITE_DONE) {
			ret = PASSDB_NO_USER;
		}
	}
	if (ret == PASSDB_ERROR)
		log_error("passdb: store_created of %s: %s", name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return ret;
}

enum passdb_result passdb_store_set_created(const char *data_dir, const char *name)
{
	enum passdb_result ret;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;

	if (!passdb_valid_username(name))
		return PASSDB_BAD_NAME;
	ret = passdb_store_db(data_dir, &db);
	if (ret != PASSDB_OK)
		return ret;
	ret = PASSDB_ERROR;
	if (sqlite3_prepare_v2(db, "UPDATE users SET store_created = 1 WHERE name = ?1", -1,
			       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			ret = sqlite3_changes(db) > 0 ? PASSDB_OK : PASSDB_NO_USER;
	}
	if (ret == PASSDB_ERROR)
		log_error("passdb: recording the store of %s: %s", name, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return ret;
}
