/* Login failure throttling per client address: each failure is delayed, and
 * many failures from one address in a window make further attempts from it
 * wait longer (up to a cap). The delays belong to the address, not to each
 * attempt: an address has one clock, every failure moves it on, and its
 * failures are answered (and its new attempts start) in turn on that clock,
 * so N parallel failures take as long as N one after another. Shared by all
 * event loops; thread safe. Memory is bounded: at most THROTTLE_MAX_ADDRS
 * addresses are tracked, the oldest entries evicted first. */
#ifndef PETREL_AUTH_THROTTLE_H
#define PETREL_AUTH_THROTTLE_H

#include <stdint.h>
#include <sys/socket.h>

struct throttle;

struct throttle_config {
	unsigned int failure_delay_ms;   /* delay added to every failed attempt */
	unsigned int free_failures;      /* failures per window before growth */
	unsigned int window_s;           /* failures older than this are forgotten */
	unsigned int max_delay_ms;       /* cap of the grown delay */
};

struct throttle *throttle_create(const struct throttle_config *config);
void throttle_destroy(struct throttle **t);

/* Records a failure from addr and returns how long (ms) to wait before
 * answering it. The failure's own delay is failure_delay_ms, doubling for
 * each failure past free_failures in the window, capped at max_delay_ms; it
 * runs on the address's clock: the answer comes that long after the
 * address's previous failure was answered (or after now, if later). Past
 * free_failures the clock then moves on once more by the same delay: the
 * wait a new attempt from the address gets before it is even tried. */
unsigned int throttle_record_failure(struct throttle *t, const struct sockaddr *addr);
/* How long (ms) an attempt from addr must wait before its password is
 * checked, and a successful one before it is answered: until the address's
 * clock (0 when it is not ahead of now). */
unsigned int throttle_pre_delay(struct throttle *t, const struct sockaddr *addr);
/* A success from addr forgets its failures. */
void throttle_record_success(struct throttle *t, const struct sockaddr *addr);

/* The address as the throttle counts it (IPv4, the /64 of IPv6, IPv4-mapped
 * as IPv4), hashed to 64 bits: a worker pool key for per-address queues. */
uint64_t throttle_addr_key(const struct sockaddr *addr);

/* TESTS ONLY: replaces CLOCK_MONOTONIC (milliseconds) with now_ms; NULL
 * restores the real clock. Call before any other use of t. */
void throttle_set_clock_for_tests(struct throttle *t, uint64_t (*now_ms)(void));

#endif
