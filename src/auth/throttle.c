/* Login failure throttling: a fixed-size table of client addresses (IPv4,
 * or the /64 of an IPv6 address) with their recent failure counts. Memory
 * never grows with the number of attackers; the least recently seen entry
 * is evicted when the table is full. */
#include "auth/throttle.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"

/* 4096 entries of ~48 bytes: 200 KiB. Enough to remember every address of
 * a sizable botnet; a larger one only makes us forget the oldest, which
 * still get failure_delay_ms on every failure. */
#define THROTTLE_MAX_ADDRS 4096
#define THROTTLE_BUCKETS 8192     /* power of two, twice the entries */
#define THROTTLE_NONE (-1)
/* How far an address's clock may run ahead of now: one hour, about 60
 * failures at the default 30 s cap. Past it more parallel failures are
 * answered together at the hour, still one connection each (bounded by
 * max_connections_per_ip), so the bound only keeps the numbers sane. */
#define THROTTLE_CLOCK_LEAD_MAX_MS (3600u * 1000u)
/* RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is an IPv4 client on a dual-stack
 * socket and must share the IPv4 address's entry. */
static const unsigned char v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

struct throttle_key {
	unsigned char family;     /* 4, 6, or 0 for anything else (one shared entry) */
	unsigned char addr[8];    /* IPv4 address, or the IPv6 /64 prefix */
};

struct throttle_entry {
	struct throttle_key key;
	bool used;
	unsigned int failures;
	uint64_t last_failure_ms;
	uint64_t clock_ms;        /* the address waits until then (see throttle.h) */
	int hash_next;            /* chain in buckets[] */
	int lru_prev, lru_next;   /* most recently used at lru_head */
};

struct throttle {
	pthread_mutex_t lock;
	struct throttle_config config;
	uint64_t (*now_ms)(void);
	int buckets[THROTTLE_BUCKETS];
	int lru_head, lru_tail;
	int free_head;            /* unused entries, chained by hash_next */
	struct throttle_entry entries[THROTTLE_MAX_ADDRS];
};

static uint64_t throttle_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct throttle *throttle_create(const struct throttle_config *config)
{
	struct throttle *t = xcalloc(1, sizeof(*t));

	pthread_mutex_init(&t->lock, NULL);
	t->config = *config;
	t->now_ms = throttle_monotonic_ms;
	for (int i = 0; i < THROTTLE_BUCKETS; i++)
		t->buckets[i] = THROTTLE_NONE;
	t->lru_head = t->lru_tail = THROTTLE_NONE;
	for (int i = 0; i < THROTTLE_MAX_ADDRS; i++)
		t->entries[i].hash_next = i + 1 < THROTTLE_MAX_ADDRS ? i + 1 : THROTTLE_NONE;
	t->free_head = 0;
	return t;
}

void throttle_destroy(struct throttle **tp)
{
	struct throttle *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void throttle_set_clock_for_tests(struct throttle *t, uint64_t (*now_ms)(void))
{
	t->now_ms = now_ms != NULL ? now_ms : throttle_monotonic_ms;
}

static struct throttle_key throttle_key_of(const struct sockaddr *sa)
{
	struct throttle_key k;

	memset(&k, 0, sizeof(k));
	if (sa == NULL)
		return k;   /* unknown peer: the shared "other" entry */
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;

		k.family = 4;
		memcpy(k.addr, &in4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
			k.family = 4;
			memcpy(k.addr, a + 12, 4);
		} else {
			/* One customer typically gets a whole /64. */
			k.family = 6;
			memcpy(k.addr, a, 8);
		}
	}
	return k;
}

static unsigned int throttle_hash(const struct throttle_key *k)
{
	uint32_t h = 2166136261u;   /* FNV-1a; the table is bounded, so a
				     * crafted collision only costs a longer
				     * chain walk, never memory */
	h = (h ^ k->family) * 16777619u;
	for (size_t i = 0; i < sizeof(k->addr); i++)
		h = (h ^ k->addr[i]) * 16777619u;
	return h & (THROTTLE_BUCKETS - 1);
}

static void throttle_lru_unlink(struct throttle *t, int i)
{
	struct throttle_entry *e = &t->entries[i];

	if (e->lru_prev != THROTTLE_NONE)
		t->entries[e->lru_prev].lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next != THROTTLE_NONE)
		t->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
}

static void throttle_lru_push_front(struct throttle *t, int i)
{
	struct throttle_entry *e = &t->entries[i];

	e->lru_prev = THROTTLE_NONE;
	e->lru_next = t->lru_head;
	if (t->lru_head != THROTTLE_NONE)
		t->entries[t->lru_head].lru_prev = i;
	t->lru_head = i;
	if (t->lru_tail == THROTTLE_NONE)
		t->lru_tail = i;
}

static int throttle_find(struct throttle *t, const struct throttle_key *k)
{
	for (int i = t->buckets[throttle_hash(k)]; i != THROTTLE_NONE; i = t->entries[i].hash_next) {
		if (memcmp(&t->entries[i].key, k, sizeof(*k)) == 0)
			return i;
	}
	return THROTTLE_NONE;
}

static void throttle_remove(struct throttle *t, int i)
{
	struct throttle_entry *e = &t->entries[i];
	int *pp = &t->buckets[throttle_hash(&e->key)];

	while (*pp != i)
		pp = &t->entries[*pp].hash_next;
	*pp = e->hash_next;
	throttle_lru_unlink(t, i);
	e->used = false;
	e->hash_next = t->free_head;
	t->free_head = i;
}

static int throttle_insert(struct throttle *t, const struct throttle_key *k)
{
	int i;

	if (t->free_head == THROTTLE_NONE)
		throttle_remove(t, t->lru_tail);   /* full: forget the stalest */
	i = t->free_head;
	struct throttle_entry *e = &t->entries[i];

	t->free_head = e->hash_next;
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->used = true;
	unsigned int b = throttle_hash(k);

	e->hash_next = t->buckets[b];
	t->buckets[b] = i;
	throttle_lru_push_front(t, i);
	return i;
}

/* Failures of entry i still inside the window: the count is forgotten as
 * a whole once window_s passes without a new failure and the address's
 * clock has run out. */
static unsigned int throttle_live_failures(struct throttle *t, int i, uint64_t now)
{
	struct throttle_entry *e = &t->entries[i];

	if (now >= e->clock_ms &&
	    now - e->last_failure_ms >= (uint64_t)t->config.window_s * 1000) {
		throttle_remove(t, i);
		return 0;
	}
	return e->failures;
}

/* failure_delay_ms * 2^(failures - free_failures), capped at max_delay_ms. */
static unsigned int throttle_grown(const struct throttle_config *c, unsigned int failures)
{
	uint64_t d = c->failure_delay_ms;

	for (unsigned int n = failures - c->free_failures; n > 0 && d > 0 && d < c->max_delay_ms; n--)
		d *= 2;
	return d > c->max_delay_ms ? c->max_delay_ms : (unsigned int)d;
}

unsigned int throttle_record_failure(struct throttle *t, const struct sockaddr *addr)
{
	struct throttle_key k = throttle_key_of(addr);
	unsigned int failures, delay;

	pthread_mutex_lock(&t->lock);
	uint64_t now = t->now_ms();
	int i = throttle_find(t, &k);

	if (i != THROTTLE_NONE && throttle_live_failures(t, i, now) == 0)
		i = THROTTLE_NONE;
	if (i == THROTTLE_NONE)
		i = throttle_insert(t, &k);
	else {
		throttle_lru_unlink(t, i);
		throttle_lru_push_front(t, i);
	}
	struct throttle_entry *e = &t->entries[i];

	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last_failure_ms = now;
	failures = e->failures;
	delay = failures <= t->config.free_failures ? t->config.failure_delay_ms :
		throttle_grown(&t->config, failures);
	/* On the address's clock: after the failures already waiting. */
	uint64_t answer = (e->clock_ms > now ? e->clock_ms : now) + delay;

	if (answer - now > THROTTLE_CLOCK_LEAD_MAX_MS)
		answer = now + THROTTLE_CLOCK_LEAD_MAX_MS;
	e->clock_ms = answer;
	if (failures > t->config.free_failures)
		e->clock_ms += delay;   /* the next attempt's wait before it is tried */
	pthread_mutex_unlock(&t->lock);
	return (unsigned int)(answer - now);
}

unsigned int throttle_pre_delay(struct throttle *t, const struct sockaddr *addr)
{
	struct throttle_key k = throttle_key_of(addr);
	unsigned int delay = 0;

	pthread_mutex_lock(&t->lock);
	int i = throttle_find(t, &k);

	if (i != THROTTLE_NONE) {
		uint64_t now = t->now_ms();

		if (throttle_live_failures(t, i, now) > 0 && t->entries[i].clock_ms > now)
			delay = (unsigned int)(t->entries[i].clock_ms - now);
	}
	pthread_mutex_unlock(&t->lock);
	return delay;
}

uint64_t throttle_addr_key(const struct sockaddr *addr)
{
	struct throttle_key k = throttle_key_of(addr);
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a, 64 bits */

	h = (h ^ k.family) * 1099511628211ULL;
	for (size_t i = 0; i < sizeof(k.addr); i++)
		h = (h ^ k.addr[i]) * 1099511628211ULL;
	return h;
}

void throttle_record_success(struct throttle *t, const struct sockaddr *addr)
{
	struct throttle_key k = throttle_key_of(addr);

	pthread_mutex_lock(&t->lock);
	int i = throttle_find(t, &k);

	if (i != THROTTLE_NONE)
		throttle_remove(t, i);
	pthread_mutex_unlock(&t->lock);
}
