/* The user database as the store keeps it: one record per user (a password
 * hash and SCRAM keys, which auth/passdb.c makes and alone understands), a
 * random per-database secret, and whether each user's mail store was ever
 * created. The embedded backend keeps it in DATA/users.db; it reaches the
 * backend through the same table as the mail (store-backend.h).
 *
 * Every function may block: call them from a worker or the CLI, never from
 * an event loop. A handle may be used by any number of threads at once (it
 * serializes itself). Nothing here hashes or logs a password. */
#ifndef PETREL_STORE_USERS_H
#define PETREL_STORE_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_users;

/* A hash and its NUL: crypt(3)'s CRYPT_OUTPUT_SIZE is 384, with room. */
#define STORE_USER_HASH_MAX 512
#define STORE_USER_SALT_MAX 64      /* bytes of a SCRAM salt (RFC 5802 §5.1) */
#define STORE_USER_KEY_LEN 32       /* SCRAM-SHA-256 StoredKey and ServerKey */
#define STORE_USERS_SECRET_LEN 32   /* the per-database secret */

struct store_user_record {
	/* NUL-terminated; "" when the stored one is missing or too long. */
	char hash[STORE_USER_HASH_MAX];
	unsigned char scram_salt[STORE_USER_SALT_MAX];
	/* 0 when the stored salt or keys are missing or of a wrong size:
	 * then the record has no usable SCRAM keys. */
	size_t scram_salt_len;
	uint64_t scram_iter;
	unsigned char scram_stored[STORE_USER_KEY_LEN];
	unsigned char scram_server[STORE_USER_KEY_LEN];
};

/* Opens (creating if missing, with mode 0600, with a new random secret)
 * the user database of env. On failure writes one line into err. */
enum store_result store_users_open(const struct store_env *env, struct store_users **users_r,
				   char *err, size_t err_size);
void store_users_close(struct store_users **users);
/* STORE_USERS_SECRET_LEN bytes, fixed for the life of the database. */
const unsigned char *store_users_secret(const struct store_users *users);

/* With add, a new user (STORE_EXISTS when the name is taken); else the
 * user's record replaced (STORE_NOT_FOUND when there is none). Names are
 * checked by the caller (passdb_valid_username()). */
enum store_result store_users_write(struct store_users *users, const char *name,
				    const struct store_user_record *record, bool add);
/* STORE_NOT_FOUND when there is no such user. */
enum store_result store_users_delete(struct store_users *users, const char *name);
/* Calls cb for each user in name order, with nothing locked (cb may use
 * the handle). */
enum store_result store_users_list(struct store_users *users,
				   void (*cb)(const char *name, void *ctx), void *ctx);
/* STORE_NOT_FOUND when there is no such user. */
enum store_result store_users_get(struct store_users *users, const char *name,
				  struct store_user_record *record_r);

/* The owner of the public mailboxes (the "Shared/" namespace): a store of
 * its own, kept like a user's, under a name no user can have (a user name
 * never holds '#', passdb_valid_username()), so nobody logs in as it or
 * owns its mailboxes: every right on them comes from their ACL. It has no
 * record in the user database, only the store_created mark below. */
#define STORE_PUBLIC_OWNER "#public"

/* Whether name's mail store was ever created, kept apart from the store so
 * that a store that vanished is noticed (store.h STORE_OPEN_CREATE). On a
 * connection of its own (the store-open paths hold no handle), from any
 * thread. STORE_NOT_FOUND for a name the database does not have; the
 * public owner is always known (created or not yet). */
enum store_result store_users_store_created(const struct store_env *env, const char *name,
					    bool *created_r);
/* Records that name's store now exists (after store_open() created it). */
enum store_result store_users_set_store_created(const struct store_env *env,
						const char *name);

/* ---- shares ----
 *
 * Who shares with whom: a row (owner, grantee) while some mailbox of
 * owner's has an ACL entry granting grantee rights (a user name, "anyone"
 * or "authenticated"; negative entries grant nothing). An index beside
 * the entries, which are the truth (store.h "ACL"): a user's view of other
 * users' mailboxes opens only the stores of owners that share with them.
 * store_acl_update() keeps it, adding a row before the entry that needs
 * it commits and removing it after the last such entry is gone, so a
 * crash leaves at most a row too many (a store opened for nothing), never
 * a share hidden; so does the DELETE of a mailbox with entries, until the
 * owner's next change of that identifier. Both on connections of their
 * own, from any thread. */
enum store_result store_users_share_set(const struct store_env *env, const char *owner,
					const char *grantee, bool shares);
/* cb(owner) once for each owner other than user who shares with user by
 * name, "anyone" or "authenticated", in byte order of the names. */
enum store_result store_users_sharing_with(const struct store_env *env, const char *user,
					   void (*cb)(const char *owner, void *ctx), void *ctx);

#endif
