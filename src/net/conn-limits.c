/* Connection counters: a mutex-protected chained hash of address -> count;
 * an entry exists only while its address has connections, so the table is
 * bounded by the total connection limit. */
#include "net/conn-limits.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define LIMIT_BUCKETS 4096

struct addr_count {
	struct addr_count *next;
	unsigned char key[16];
	unsigned int count;
};

static pthread_mutex_t limits_lock = PTHREAD_MUTEX_INITIALIZER;
static struct addr_count *buckets[LIMIT_BUCKETS];
static unsigned int total, max_total = 20000, max_per_ip = 1000;

void conn_limits_configure(unsigned int total_max, unsigned int per_ip_max)
{
	pthread_mutex_lock(&limits_lock);
	max_total = total_max;
	max_per_ip = per_ip_max;
	pthread_mutex_unlock(&limits_lock);
}

static void addr_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		key[15] = 6;
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);   /* the /64 */
	}
}

static struct addr_count **find(const unsigned char key[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	struct addr_count **pp = &buckets[h % LIMIT_BUCKETS];
	while (*pp != NULL && memcmp((*pp)->key, key, 16) != 0)
		pp = &(*pp)->next;
	return pp;
}

bool conn_limits_acquire(const struct sockaddr *peer)
{
	unsigned char key[16];
	bool ok = false;

	addr_key(peer, key);
	pthread_mutex_lock(&limits_lock);
	struct addr_count **pp = find(key);
	if (total < max_total && (*pp == NULL || (*pp)->count < max_per_ip)) {
		if (*pp == NULL) {
			*pp = xcalloc(1, sizeof(**pp));
			memcpy((*pp)->key, key, 16);
		}
		(*pp)->count++;
		total++;
		ok = true;
	}
	pthread_mutex_unlock(&limits_lock);
	return ok;
}

void conn_limits_release(const struct sockaddr *peer)
{
	unsigned char key[16];

	addr_key(peer, key);
	pthread_mutex_lock(&limits_lock);
	struct addr_count **pp = find(key);
	if (*pp != NULL) {
		total--;
		if (--(*pp)->count == 0) {
			struct addr_count *dead = *pp;

			*pp = dead->next;
			free(dead);
		}
	}
	pthread_mutex_unlock(&limits_lock);
}

unsigned int conn_limits_total(void)
{
	pthread_mutex_lock(&limits_lock);
	unsigned int n = total;
	pthread_mutex_unlock(&limits_lock);
	return n;
}
