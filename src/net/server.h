/* The process's threads: N event loops (one per core by default) that share
 * the listening sockets, and the main thread, which only waits for signals.
 * SIGTERM/SIGINT: every loop stops accepting, asks each of its connections
 * to say BYE and close, and stops when they are gone (or after
 * SERVER_SHUTDOWN_GRACE_MS). SIGHUP calls the reload hook (certificates). */
#ifndef PETREL_NET_SERVER_H
#define PETREL_NET_SERVER_H

#include "net/listener.h"

#define SERVER_SHUTDOWN_GRACE_MS 3000

struct server;

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call it first, in
 * main): a signal that arrives while starting up stays pending and is
 * handled by server_run() instead of killing the process. */
void server_block_signals(void);

struct server *server_create(unsigned int loop_count);
/* The listener is owned by the server from now on. */
void server_add_listener(struct server *server, struct listener *listener,
			 listener_accept_fn *accept_cb, void *ctx);
/* Starts the loops and blocks until a stop signal has been handled and
 * every loop thread has ended. Returns 0, or -1 if threads could not start. */
int server_run(struct server *server, void (*reload)(void *ctx), void *reload_ctx);
/* After server_run(): runs, on the calling thread, what workers posted to
 * the stopped loops. Returns how many items ran (0: quiet). */
unsigned int server_run_leftovers(struct server *server);
/* After server_run() and after the worker pool is gone. */
void server_destroy(struct server **server);

#endif
