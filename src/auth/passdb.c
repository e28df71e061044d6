/* The password database: yescrypt hashes for PLAIN/LOGIN and SCRAM-SHA-256
 * keys (RFC 5802 §3, RFC 7677), made and checked here and kept by the store
 * (store/store-users.h). Never stores, logs or keeps a cleartext password
 * past the call. */
#include "auth/passdb.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/auth-cache.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store-users.h"

/* RFC 7677 §4 asks for at least 4096; 10000 costs the client ~10 ms. */
#define PASSDB_SCRAM_ITER 10000
#define PASSDB_SCRAM_SALT_LEN 16

_Static_assert(SCRAM_SALT_MAX == STORE_USER_SALT_MAX, "the store keeps SCRAM salts");
_Static_assert(SCRAM_KEY_LEN == STORE_USER_KEY_LEN, "the store keeps SCRAM keys");
_Static_assert(CRYPT_OUTPUT_SIZE <= STORE_USER_HASH_MAX, "the store keeps hashes");

struct passdb {
	/* The records, kept by the store; it serializes its own use, and no
	 * lock is ever held while hashing. */
	struct store_users *users;
	/* A yescrypt hash of a random password with the default cost: unknown
	 * users are checked against it so they take as long as known ones. */
	char dummy_hash[CRYPT_OUTPUT_SIZE];
	struct auth_cache *cache;   /* verified passwords; NULL when off */
};

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

bool passdb_valid_owner(const char *name)
{
	return passdb_valid_username(name) ||
	       (name != NULL && strcmp(name, STORE_PUBLIC_OWNER) == 0);
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

int passdb_open(const struct store_env *env, struct passdb **db_r, char *err, size_t err_size)
{
	struct passdb *db;

	*db_r = NULL;
	db = xcalloc(1, sizeof(*db));
	if (store_users_open(env, &db->users, err, err_size) != STORE_OK)
		goto fail;
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
	store_users_close(&db->users);
	OPENSSL_cleanse(db, sizeof(*db));
	free(db);
}

/* A store result as the passdb result callers know. */
static enum passdb_result passdb_result(enum store_result r)
{
	switch (r) {
	case STORE_OK: return PASSDB_OK;
	case STORE_NOT_FOUND: return PASSDB_NO_USER;
	case STORE_EXISTS: return PASSDB_EXISTS;
	default: return PASSDB_ERROR;
	}
}

static enum passdb_result passdb_write_user(struct passdb *db, const char *name,
					    const char *password, bool add)
{
	struct store_user_record *rec;
	struct scram_creds c;
	enum passdb_result ret = PASSDB_ERROR;

	if (!passdb_valid_username(name))
		return PASSDB_BAD_NAME;
	if (!passdb_valid_password(password))
		return PASSDB_BAD_INPUT;
	rec = xcalloc(1, sizeof(*rec));
	/* The slow part runs before the store is asked anything. */
	if (passdb_hash_new(password, rec->hash) && passdb_scram_derive(password, &c)) {
		memcpy(rec->scram_salt, c.salt, c.salt_len);
		rec->scram_salt_len = c.salt_len;
		rec->scram_iter = c.iterations;
		memcpy(rec->scram_stored, c.stored_key, SCRAM_KEY_LEN);
		memcpy(rec->scram_server, c.server_key, SCRAM_KEY_LEN);
		ret = passdb_result(store_users_write(db->users, name, rec, add));
	}
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(rec, sizeof(*rec));
	free(rec);
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
	if (!passdb_valid_username(name))
		return PASSDB_BAD_NAME;
	auth_cache_forget(db->cache, name);
	return passdb_result(store_users_delete(db->users, name));
}

enum passdb_result passdb_user_list(struct passdb *db,
				    void (*cb)(const char *name, void *ctx), void *ctx)
{
	return store_users_list(db->users, cb, ctx) == STORE_OK ? PASSDB_OK : PASSDB_ERROR;
}

/* Copies the stored hash of name into hash_r; PASSDB_NO_USER if absent. */
static enum passdb_result passdb_get_hash(struct passdb *db, const char *name,
					  char hash_r[CRYPT_OUTPUT_SIZE])
{
	struct store_user_record *rec = xcalloc(1, sizeof(*rec));
	enum passdb_result ret = passdb_result(store_users_get(db->users, name, rec));
	size_t len = strlen(rec->hash);

	if (ret == PASSDB_OK) {
		if (len > 0 && len < CRYPT_OUTPUT_SIZE) {
			memcpy(hash_r, rec->hash, len + 1);
		} else {
			log_error("passdb: damaged hash for a user");
			ret = PASSDB_ERROR;
		}
	}
	OPENSSL_cleanse(rec, sizeof(*rec));
	free(rec);
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
		if (HMAC(EVP_sha256(), store_users_secret(db->users), STORE_USERS_SECRET_LEN, msg,
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

	/* An invalid name cannot exist: answer like for an unknown user. */
	if (passdb_valid_username(name)) {
		struct store_user_record *rec = xcalloc(1, sizeof(*rec));
		enum store_result r = store_users_get(db->users, name, rec);

		/* A record without usable SCRAM keys (e.g. imported from
		 * elsewhere) cannot do SCRAM: fake it. */
		if (r == STORE_OK && rec->scram_salt_len > 0 && rec->scram_iter >= 4096 &&
		    rec->scram_iter <= 10000000) {
			memcpy(creds_r->salt, rec->scram_salt, rec->scram_salt_len);
			creds_r->salt_len = rec->scram_salt_len;
			creds_r->iterations = (unsigned int)rec->scram_iter;
			memcpy(creds_r->stored_key, rec->scram_stored, SCRAM_KEY_LEN);
			memcpy(creds_r->server_key, rec->scram_server, SCRAM_KEY_LEN);
			ret = PASSDB_OK;
		} else if (r != STORE_OK && r != STORE_NOT_FOUND) {
			ret = PASSDB_ERROR;
		}
		OPENSSL_cleanse(rec, sizeof(*rec));
		free(rec);
	}
	if (ret == PASSDB_NO_USER)
		passdb_scram_fake(db, name, creds_r);
	return ret;
}

/* ---- whether a user's mail store was ever created ---- */

enum passdb_result passdb_store_created(const struct store_env *env, const char *name,
					bool *created_r)
{
	*created_r = false;
	if (!passdb_valid_owner(name))
		return PASSDB_BAD_NAME;
	return passdb_result(store_users_store_created(env, name, created_r));
}

enum passdb_result passdb_store_set_created(const struct store_env *env, const char *name)
{
	if (!passdb_valid_owner(name))
		return PASSDB_BAD_NAME;
	return passdb_result(store_users_set_store_created(env, name));
}
