/* What every IMAP session shares: the configuration and the services built
 * from it at start-up. Read-only after start-up except through the services'
 * own thread-safe interfaces. */
#ifndef PETREL_IMAP_SERVER_H
#define PETREL_IMAP_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

struct loop;
struct passdb;
struct petrel_config;
struct throttle;
struct tls_server;
struct worker_pool;

struct imap_server {
	const struct petrel_config *config;
	struct passdb *passdb;
	struct tls_server *tls;          /* NULL: no TLS configured */
	struct worker_pool *workers;
	/* The search indexer's threads, at a lower CPU priority (mail-user.c):
	 * deliveries and commands come first, indexing takes what is left. */
	struct worker_pool *index_workers;
	struct throttle *throttle;
};

/* listener_accept_fn: makes a session for a new connection (ctx is the
 * struct imap_server). Over the connection limits the client gets a BYE. */
void imap_server_accept(struct loop *loop, int fd, const struct sockaddr *peer,
			socklen_t peer_len, bool implicit_tls, void *ctx);

#endif
