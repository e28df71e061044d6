/* Verified-password cache: see auth-cache.h for what is kept and why. */
#include "auth/auth-cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/passdb.h"
#include "core/log.h"

#define AUTH_CACHE_KEY_LEN 32
#define AUTH_CACHE_MAC_LEN SHA256_DIGEST_LENGTH

struct auth_cache_slot {
	char name[PASSDB_NAME_MAX + 1];          /* "" when empty */
	unsigned char stored[AUTH_CACHE_MAC_LEN]; /* SHA-256 of the stored hash */
	unsigned char mac[AUTH_CACHE_MAC_LEN];    /* HMAC(key, name NUL password) */
	uint64_t expires_s;
};

struct auth_cache {
	pthread_mutex_t lock;
	unsigned int slot_count;
	unsigned int ttl_s;
	uint64_t (*now_s)(void);
	unsigned char key[AUTH_CACHE_KEY_LEN];
	struct auth_cache_slot *slots;
};

static uint64_t auth_cache_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

struct auth_cache *auth_cache_create(unsigned int slots, unsigned int ttl_s)
{
	struct auth_cache *c;

	if (slots == 0 || ttl_s == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->slots = calloc(slots, sizeof(*c->slots));
	if (c->slots == NULL || RAND_bytes(c->key, sizeof(c->key)) != 1) {
		log_error("auth cache: cannot set up; logins are verified in full");
		free(c->slots);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->slot_count = slots;
	c->ttl_s = ttl_s;
	c->now_s = auth_cache_clock;
	return c;
}

void auth_cache_destroy(struct auth_cache **cp)
{
	struct auth_cache *c = *cp;

	if (c == NULL)
		return;
	OPENSSL_cleanse(c->slots, (size_t)c->slot_count * sizeof(*c->slots));
	OPENSSL_cleanse(c->key, sizeof(c->key));
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
	*cp = NULL;
}

void auth_cache_set_clock_for_tests(struct auth_cache *c, uint64_t (*now_s)(void))
{
	c->now_s = now_s != NULL ? now_s : auth_cache_clock;
}

/* HMAC(key, label NUL a [NUL b]) into out. */
static bool auth_cache_mac(const struct auth_cache *c, const char *label, const char *a,
			   const char *b, unsigned char out[AUTH_CACHE_MAC_LEN])
{
	unsigned char buf[16 + PASSDB_NAME_MAX + 1 + PASSDB_PASSWORD_MAX + 1];
	size_t la = strlen(label), na = strlen(a), nb = b != NULL ? strlen(b) : 0, n = 0;
	unsigned int out_len = 0;

	if (la >= 16 || na > PASSDB_NAME_MAX || nb > PASSDB_PASSWORD_MAX)
		return false;
	memcpy(buf, label, la + 1);
	n = la + 1;
	memcpy(buf + n, a, na);
	n += na;
	if (b != NULL) {
		buf[n++] = '\0';
		memcpy(buf + n, b, nb);
		n += nb;
	}
	bool ok = HMAC(EVP_sha256(), c->key, sizeof(c->key), buf, n, out, &out_len) != NULL &&
		  out_len == AUTH_CACHE_MAC_LEN;
	OPENSSL_cleanse(buf, n);
	return ok;
}

/* The slot of name: a keyed hash, so nobody can aim names at one slot. */
static struct auth_cache_slot *auth_cache_slot(struct auth_cache *c, const char *name)
{
	unsigned char h[AUTH_CACHE_MAC_LEN];
	uint32_t i;

	if (!auth_cache_mac(c, "slot", name, NULL, h))
		return NULL;
	memcpy(&i, h, sizeof(i));
	return &c->slots[i % c->slot_count];
}

bool auth_cache_hit(struct auth_cache *c, const char *name, const char *stored_hash,
		    const char *password)
{
	unsigned char stored[AUTH_CACHE_MAC_LEN], mac[AUTH_CACHE_MAC_LEN];
	struct auth_cache_slot *s;
	bool hit = false;

	if (c == NULL || (s = auth_cache_slot(c, name)) == NULL)
		return false;
	if (!auth_cache_mac(c, "pass", name, password, mac))
		return false;
	SHA256((const unsigned char *)stored_hash, strlen(stored_hash), stored);
	pthread_mutex_lock(&c->lock);
	if (s->name[0] != '\0' && strcmp(s->name, name) == 0) {
		if (c->now_s() >= s->expires_s) {
			memset(s, 0, sizeof(*s));
		} else {
			hit = CRYPTO_memcmp(s->stored, stored, sizeof(stored)) == 0 &&
			      CRYPTO_memcmp(s->mac, mac, sizeof(mac)) == 0;
		}
	}
	pthread_mutex_unlock(&c->lock);
	OPENSSL_cleanse(mac, sizeof(mac));
	return hit;
}

void auth_cache_put(struct auth_cache *c, const char *name, const char *stored_hash,
		    const char *password)
{
	struct auth_cache_slot *s, fresh;

	if (c == NULL || strlen(name) > PASSDB_NAME_MAX || (s = auth_cache_slot(c, name)) == NULL)
		return;
	memset(&fresh, 0, sizeof(fresh));
	if (!auth_cache_mac(c, "pass", name, password, fresh.mac))
		return;
	memcpy(fresh.name, name, strlen(name) + 1);
	SHA256((const unsigned char *)stored_hash, strlen(stored_hash), fresh.stored);
	pthread_mutex_lock(&c->lock);
	fresh.expires_s = c->now_s() + c->ttl_s;
	*s = fresh;
	pthread_mutex_unlock(&c->lock);
	OPENSSL_cleanse(&fresh, sizeof(fresh));
}

void auth_cache_forget(struct auth_cache *c, const char *name)
{
	struct auth_cache_slot *s;

	if (c == NULL || (s = auth_cache_slot(c, name)) == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (strcmp(s->name, name) == 0)
		OPENSSL_cleanse(s, sizeof(*s));
	pthread_mutex_unlock(&c->lock);
}
