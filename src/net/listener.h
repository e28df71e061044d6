/* Listening sockets. One socket per configured address, shared by every
 * loop: each loop watches it and accepts what it can (accept4 is
 * non-blocking, so losing the race to another loop costs one EAGAIN). */
#ifndef PETREL_NET_LISTENER_H
#define PETREL_NET_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct loop;
struct listener;

typedef void listener_accept_fn(struct loop *loop, int fd, const struct sockaddr *peer,
				socklen_t peer_len, bool implicit_tls, void *ctx);

/* name is "imap", "imaps" or "lmtp". addr is "HOST:PORT" or "[V6]:PORT",
 * numeric, port 0 picking a free port; or, without TLS, an absolute path
 * for a unix socket (mode 0666, removed again at close). Binds and
 * listens but logs nothing. */
int listener_open(const char *name, const char *addr, bool implicit_tls,
		  struct listener **listener_r, char *err, size_t err_size);
/* Logs "listening NAME ADDR:PORT" with the real port ("listening NAME
 * PATH" for a unix socket). Tooling waits for this line, so call it only
 * once the server will certainly run. */
void listener_announce(const struct listener *listener);
void listener_close(struct listener **listener);

/* Starts accepting on `loop` (call on any thread before the loop runs). */
void listener_attach(struct listener *listener, struct loop *loop,
		     listener_accept_fn *accept_cb, void *ctx);
/* Stops accepting on the calling loop's thread. */
void listener_detach_this_loop(struct listener *listener, struct loop *loop);

#endif
