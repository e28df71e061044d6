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
struct store_env;
struct throttle;
struct tls_server;
struct user_services;
struct worker_pool;

/* Password checks (LOGIN, AUTHENTICATE) run in auth_workers, a pool of
 * their own, so a flood of logins never queues ahead of a logged-in user's
 * store work. Its jobs are keyed by client address (throttle_addr_key()).
 * At most this many checks of one address run at once: a busy NAT's logins
 * still overlap, while one address leaves the default pool's fourth thread
 * to everyone else. */
#define AUTH_PARALLEL_PER_ADDR 3
/* Checks of one address waiting or running: a NAT's or a webmail
 * server's burst of logins fits (200 at once from one address is a test of
 * tests/engine); at ~30 ms of yescrypt each, 256 are under 3 s of three
 * threads. Beyond it (and beyond AUTH_QUEUE_MAX in all) an attempt is
 * answered NO [UNAVAILABLE]. */
#define AUTH_QUEUE_PER_ADDR 256
/* Checks waiting or running in all: about 8 s of work for four threads,
 * past which an answer would come too late to be of use anyway. */
#define AUTH_QUEUE_MAX 1024
/* The auth threads' nice value: store work (0) gets the CPU before a
 * login's hash, a login's hash before the search indexer (10). */
#define AUTH_NICE 5

struct imap_server {
	const struct petrel_config *config;
	/* The store backend and its location (config keys store and data),
	 * resolved once at start. */
	const struct store_env *store_env;
	struct passdb *passdb;
	struct tls_server *tls;          /* NULL: no TLS configured */
	/* Users' stores, their jobs' pools, IDLE watches (src/user/). */
	const struct user_services *users;
	struct worker_pool *auth_workers;   /* password checks, see above */
	struct throttle *throttle;
};

/* Shutdown, once the loops have stopped: password checks still queued are
 * answered NO [UNAVAILABLE] without hashing (their clients are gone), so a
 * flood in progress does not hold up the exit. */
void imap_server_auth_stop(void);

/* listener_accept_fn: makes a session for a new connection (ctx is the
 * struct imap_server). Over the connection limits the client gets a BYE. */
void imap_server_accept(struct loop *loop, int fd, const struct sockaddr *peer,
			socklen_t peer_len, bool implicit_tls, void *ctx);

#endif
