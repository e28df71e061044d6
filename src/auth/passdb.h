/* The password database, kept by the store (store/store-users.h: the
 * embedded store's DATA/users.db), one record per user with a salted slow hash for cleartext mechanisms (yescrypt via libxcrypt
 * crypt_r) and SCRAM-SHA-256 keys (RFC 5802/7677: salt, iteration count,
 * StoredKey, ServerKey). No password is ever stored or logged in plain.
 *
 * Thread safety: every function may be called from any thread concurrently
 * (the handle is serialized internally); the slow hash is computed outside
 * that lock. passdb_verify_plain() is slow on purpose: call it from a worker,
 * never from an event loop. */
#ifndef PETREL_AUTH_PASSDB_H
#define PETREL_AUTH_PASSDB_H

#include <stdbool.h>
#include <stddef.h>

struct store_env;

#define PASSDB_NAME_MAX 64        /* bytes in a user name */
#define PASSDB_PASSWORD_MAX 1024  /* bytes in a password */
#define SCRAM_SALT_MAX 64
#define SCRAM_KEY_LEN 32          /* SHA-256 */

enum passdb_result {
	PASSDB_OK,
	PASSDB_NO_USER,
	PASSDB_BAD_PASSWORD,
	PASSDB_EXISTS,
	PASSDB_BAD_NAME,       /* fails passdb_valid_username() */
	PASSDB_BAD_INPUT,      /* e.g. empty or too long password, NUL in it */
	PASSDB_ERROR,          /* I/O or database error, already logged */
};

struct passdb;

struct scram_creds {
	unsigned char salt[SCRAM_SALT_MAX];
	size_t salt_len;
	unsigned int iterations;
	unsigned char stored_key[SCRAM_KEY_LEN];
	unsigned char server_key[SCRAM_KEY_LEN];
};

/* Opens (creating if missing) the user database of env's store (the
 * embedded store: DATA/users.db, mode 0600). On failure returns -1 and
 * writes one line into err. */
int passdb_open(const struct store_env *env, struct passdb **db_r, char *err, size_t err_size);
void passdb_close(struct passdb **db);

/* User names: 1..PASSDB_NAME_MAX bytes of [A-Za-z0-9._@+-], not starting
 * with '.' or '-'. Lookups are case-sensitive on the stored name, which is
 * kept as given; a name is also a directory name under DATA later, hence
 * the safe alphabet. */
bool passdb_valid_username(const char *name);
/* A user name, or the public mailboxes' owner (store-users.h
 * STORE_PUBLIC_OWNER): whose store a name may open. */
bool passdb_valid_owner(const char *name);

enum passdb_result passdb_user_add(struct passdb *db, const char *name, const char *password);
enum passdb_result passdb_user_set_password(struct passdb *db, const char *name, const char *password);
enum passdb_result passdb_user_delete(struct passdb *db, const char *name);
/* Calls cb for each user in name order; returns PASSDB_OK or PASSDB_ERROR. */
enum passdb_result passdb_user_list(struct passdb *db,
				    void (*cb)(const char *name, void *ctx), void *ctx);

/* Slow (yescrypt). For an unknown user it still spends the same time on a
 * dummy hash so the answer's timing does not reveal which names exist. */
/* Keep verified passwords in an auth_cache (auth/auth-cache.h) of slots
 * entries for ttl_s seconds; 0 for either turns it off (the default). */
void passdb_set_cache(struct passdb *db, unsigned int slots, unsigned int ttl_s);
enum passdb_result passdb_verify_plain(struct passdb *db, const char *name,
				       const char *password);
/* For SCRAM. For an unknown user returns PASSDB_NO_USER but fills *creds_r
 * with a deterministic fake salt (HMAC of the name with a per-database
 * secret) and default iterations, so a client cannot probe names. */
enum passdb_result passdb_scram_lookup(struct passdb *db, const char *name,
				       struct scram_creds *creds_r);

/* Whether name's mail store was ever created (kept in the user database,
 * apart from the store, so that a store that vanished is noticed): the
 * store is created only for a user who never had one (store.h
 * STORE_OPEN_CREATE). By env, without a passdb handle, from any thread.
 * PASSDB_NO_USER for a name the user database does not have. The public
 * owner is always known. */
enum passdb_result passdb_store_created(const struct store_env *env, const char *name,
					bool *created_r);
/* Records that name's store now exists (after store_open() created it). */
enum passdb_result passdb_store_set_created(const struct store_env *env, const char *name);

#endif
