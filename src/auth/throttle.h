/* Login failure throttling per client address: each failure is delayed, and
 * many failures from one address in a window make further attempts from it
 * wait longer (up to a cap). Shared by all event loops; thread safe. Memory
 * is bounded: at most THROTTLE_MAX_ADDRS addresses are tracked, the oldest
 * entries evicted first. */
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

/* Delay (ms) to wait before answering a failed attempt from addr, after
 * recording the failure. Grows (doubling) once the address has more than
 * free_failures failures in the window; never exceeds max_delay_ms. */
unsigned int throttle_record_failure(struct throttle *t, const struct sockaddr *addr);
/* Delay (ms) to impose before even trying an attempt from addr (0 when the
 * address has at most free_failures failures in the window). */
unsigned int throttle_pre_delay(struct throttle *t, const struct sockaddr *addr);
/* A success from addr forgets its failures. */
void throttle_record_success(struct throttle *t, const struct sockaddr *addr);

/* TESTS ONLY: replaces CLOCK_MONOTONIC (milliseconds) with now_ms; NULL
 * restores the real clock. Call before any other use of t. */
void throttle_set_clock_for_tests(struct throttle *t, uint64_t (*now_ms)(void));

#endif
