/* Login throttling: free failures, doubling, the cap, the window, success
 * resets, parallel failures answered in turn on the address's clock, IPv6
 * /64 and IPv4-mapped keys, and the bounded table. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>

#include "auth/throttle.h"
#include "unit.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static struct sockaddr_in v4(const char *text)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, text, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 v6(const char *text)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	inet_pton(AF_INET6, text, &a.sin6_addr);
	return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void *hammer(void *arg)
{
	struct throttle *t = arg;

	for (int i = 0; i < 20000; i++) {
		struct sockaddr_in a;

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)(i % 5000));
		throttle_record_failure(t, SA(a));
		throttle_pre_delay(t, SA(a));
		if (i % 7 == 0)
			throttle_record_success(t, SA(a));
	}
	return NULL;
}

/* One attempt of a client that tries again only once answered: it waits
 * the address's clock, fails, and waits for the answer. Returns the
 * answer's delay. */
static unsigned int attempt(struct throttle *t, const struct sockaddr *addr)
{
	fake_now += throttle_pre_delay(t, addr);
	unsigned int d = throttle_record_failure(t, addr);

	fake_now += d;
	return d;
}

int main(void)
{
	const struct throttle_config cfg = {
		.failure_delay_ms = 100, .free_failures = 3, .window_s = 60, .max_delay_ms = 1000,
	};
	struct throttle *t = throttle_create(&cfg);
	struct sockaddr_in a = v4("192.0.2.1"), b = v4("192.0.2.2");

	throttle_set_clock_for_tests(t, fake_clock);
	fake_now = 1000000;

	/* One attempt after another. */
	CHECK_INT(throttle_pre_delay(t, SA(a)), 0);
	CHECK_INT(attempt(t, SA(a)), 100);   /* 1 */
	CHECK_INT(attempt(t, SA(a)), 100);   /* 2 */
	CHECK_INT(throttle_pre_delay(t, SA(a)), 0);
	CHECK_INT(attempt(t, SA(a)), 100);   /* 3 = free_failures */
	CHECK_INT(throttle_pre_delay(t, SA(a)), 0);
	CHECK_INT(attempt(t, SA(a)), 200);   /* 4: 100 * 2^1 */
	CHECK_INT(throttle_pre_delay(t, SA(a)), 200);
	CHECK_INT(attempt(t, SA(a)), 400);
	CHECK_INT(attempt(t, SA(a)), 800);
	CHECK_INT(attempt(t, SA(a)), 1000);  /* capped */
	for (int i = 0; i < 100; i++)
		attempt(t, SA(a));
	CHECK_INT(attempt(t, SA(a)), 1000);
	CHECK_INT(throttle_pre_delay(t, SA(a)), 1000);
	/* Another address is not affected. */
	CHECK_INT(throttle_pre_delay(t, SA(b)), 0);
	CHECK_INT(throttle_record_failure(t, SA(b)), 100);

	/* The window: the count outlives the clock, a quiet window_s forgets it. */
	fake_now += 58000;   /* 59 s after the last failure, answered 1 s later */
	CHECK_INT(throttle_pre_delay(t, SA(a)), 0);
	CHECK_INT(throttle_record_failure(t, SA(a)), 1000);
	fake_now += 1000 + 60000;
	CHECK_INT(throttle_pre_delay(t, SA(a)), 0);
	CHECK_INT(throttle_record_failure(t, SA(a)), 100);

	/* Parallel attempts share the address's clock: five failures at the
	 * same moment are answered in turn, as five in a row would be
	 * (100, 100, 100, then 200 and its wait, then 400). */
	struct sockaddr_in p = v4("192.0.2.77");

	CHECK_INT(throttle_record_failure(t, SA(p)), 100);
	CHECK_INT(throttle_record_failure(t, SA(p)), 200);
	CHECK_INT(throttle_record_failure(t, SA(p)), 300);
	CHECK_INT(throttle_record_failure(t, SA(p)), 500);
	CHECK_INT(throttle_record_failure(t, SA(p)), 1100);
	CHECK_INT(throttle_pre_delay(t, SA(p)), 1500);
	fake_now += 1400;
	CHECK_INT(throttle_pre_delay(t, SA(p)), 100);
	/* One more once the clock has run out: capped at 1000, then its wait. */
	fake_now += 100;
	CHECK_INT(throttle_record_failure(t, SA(p)), 800);
	CHECK_INT(throttle_pre_delay(t, SA(p)), 1600);
	/* The clock never runs more than an hour ahead. */
	for (int i = 0; i < 10000; i++)
		throttle_record_failure(t, SA(p));
	CHECK_INT(throttle_record_failure(t, SA(p)), 3600u * 1000u);
	CHECK_INT(throttle_pre_delay(t, SA(p)), 3600u * 1000u + 1000);
	/* ... and the count is kept while the clock is ahead, past the window. */
	fake_now += 3600u * 1000u;
	CHECK_INT(throttle_pre_delay(t, SA(p)), 1000);
	CHECK_INT(throttle_record_failure(t, SA(p)), 2000);

	/* Success forgets. */
	for (int i = 0; i < 5; i++)
		attempt(t, SA(b));
	CHECK(throttle_pre_delay(t, SA(b)) > 0);
	throttle_record_success(t, SA(b));
	CHECK_INT(throttle_pre_delay(t, SA(b)), 0);
	CHECK_INT(throttle_record_failure(t, SA(b)), 100);
	throttle_record_success(t, SA(b));
	throttle_record_success(t, SA(b));   /* nothing left: harmless */

	/* IPv6: one /64 is one client. */
	struct sockaddr_in6 x1 = v6("2001:db8:1:2::1"), x2 = v6("2001:db8:1:2:ffff::9");
	struct sockaddr_in6 y = v6("2001:db8:1:3::1");

	for (int i = 0; i < 4; i++)
		attempt(t, SA(x1));
	CHECK_INT(throttle_pre_delay(t, SA(x2)), 200);
	CHECK_INT(attempt(t, SA(x2)), 400);
	CHECK_INT(throttle_pre_delay(t, SA(y)), 0);
	CHECK(throttle_addr_key(SA(x1)) == throttle_addr_key(SA(x2)));
	CHECK(throttle_addr_key(SA(x1)) != throttle_addr_key(SA(y)));

	/* IPv4-mapped IPv6 is the IPv4 address. */
	struct sockaddr_in c4 = v4("198.51.100.7");
	struct sockaddr_in6 c6 = v6("::ffff:198.51.100.7");

	for (int i = 0; i < 4; i++)
		attempt(t, SA(c4));
	CHECK_INT(throttle_pre_delay(t, SA(c6)), 200);
	CHECK(throttle_addr_key(SA(c4)) == throttle_addr_key(SA(c6)));
	CHECK(throttle_addr_key(SA(c4)) != throttle_addr_key(SA(a)));
	throttle_record_success(t, SA(c6));
	CHECK_INT(throttle_pre_delay(t, SA(c4)), 0);

	/* Bounded table: 10000 addresses later, the first one is forgotten
	 * (evicted) but the last ones are remembered. */
	struct sockaddr_in first = v4("203.0.113.1");

	for (int i = 0; i < 5; i++)
		throttle_record_failure(t, SA(first));
	CHECK(throttle_pre_delay(t, SA(first)) > 0);
	struct sockaddr_in z;

	for (uint32_t i = 0; i < 10000; i++) {
		memset(&z, 0, sizeof(z));
		z.sin_family = AF_INET;
		z.sin_addr.s_addr = htonl(0x64000000u + i);
		for (int k = 0; k < 4; k++)
			throttle_record_failure(t, SA(z));
	}
	CHECK_INT(throttle_pre_delay(t, SA(first)), 0);
	CHECK_INT(throttle_pre_delay(t, SA(z)), 700);   /* 100+100+100, 200 and its wait */
	throttle_destroy(&t);
	CHECK(t == NULL);

	/* Zero delay and a cap below the base delay stay sane. */
	const struct throttle_config odd = {
		.failure_delay_ms = 0, .free_failures = 0, .window_s = 10, .max_delay_ms = 0,
	};
	t = throttle_create(&odd);
	for (int i = 0; i < 10; i++)
		CHECK_INT(throttle_record_failure(t, SA(a)), 0);
	CHECK_INT(throttle_pre_delay(t, SA(a)), 0);
	throttle_destroy(&t);

	/* Several threads at once (run under a sanitizer/valgrind for races). */
	t = throttle_create(&cfg);
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, t);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK(throttle_pre_delay(t, SA(a)) == 0);
	throttle_destroy(&t);
	return unit_finish("throttle");
}
