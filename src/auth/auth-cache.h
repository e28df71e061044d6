/* A cache of recently verified passwords, so a client that logs in again
 * (mobile apps reconnect all day, and clients open several connections)
 * does not pay a yescrypt hash (~30 ms of CPU) each time. Like Dovecot's
 * auth_cache, it trades that cost for keeping, in memory only, a fast MAC of
 * the password for a while.
 *
 * What it keeps per user: HMAC-SHA-256 of the password under a key drawn at
 * start and never stored, a digest of the stored hash it was verified
 * against (a changed password, even changed by another process, no longer
 * matches), and an expiry. Only successes are cached: a wrong password, or an
 * unknown user, always costs the full hash, so the cache answers faster only
 * for someone who already knows the password. Bounded: a fixed table of
 * slots, one user per slot (a collision replaces the older entry). Thread
 * safe. */
#ifndef PETREL_AUTH_CACHE_H
#define PETREL_AUTH_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct auth_cache;

/* NULL when slots or ttl_s is 0 (the cache is off) or on allocation or
 * randomness failure (logged). */
struct auth_cache *auth_cache_create(unsigned int slots, unsigned int ttl_s);
void auth_cache_destroy(struct auth_cache **cache);

/* True when name was verified with this password against this stored hash
 * less than ttl_s ago. cache may be NULL (always false). */
bool auth_cache_hit(struct auth_cache *cache, const char *name, const char *stored_hash,
		    const char *password);
/* Records a successful verification. */
void auth_cache_put(struct auth_cache *cache, const char *name, const char *stored_hash,
		    const char *password);
/* Forgets name (its password was changed or the user deleted here). */
void auth_cache_forget(struct auth_cache *cache, const char *name);

/* TESTS ONLY: replaces CLOCK_MONOTONIC (seconds) with now_s; NULL restores
 * the real clock. */
void auth_cache_set_clock_for_tests(struct auth_cache *cache, uint64_t (*now_s)(void));

#endif
