/* Event loops: one thread per loop, each with its own libevent event_base
 * owning a set of connections. Nothing but the owning thread touches a
 * connection; other threads (workers, the signal thread) hand work to a
 * loop with loop_post(), which queues it and wakes the loop. */
#ifndef PETREL_NET_LOOP_H
#define PETREL_NET_LOOP_H

#include <stdbool.h>
#include <pthread.h>

struct event_base;
struct loop;

typedef void loop_fn(void *ctx);

struct loop *loop_create(unsigned int index);
void loop_destroy(struct loop **loop);

/* Runs the loop on a new thread until loop_stop(). */
int loop_start_thread(struct loop *loop);
void loop_join(struct loop *loop);
/* Thread-safe: the loop returns from its dispatch once its queue is run. */
void loop_stop(struct loop *loop);

/* After the loop's thread has ended (shutdown): runs what was posted to it
 * since, on the calling thread. Returns how many items ran. */
unsigned int loop_run_leftovers(struct loop *loop);

/* Thread-safe: fn(ctx) runs on the loop's thread, in posting order. */
void loop_post(struct loop *loop, loop_fn *fn, void *ctx);

struct event_base *loop_base(struct loop *loop);
unsigned int loop_index(const struct loop *loop);
bool loop_is_current(const struct loop *loop);

#endif
