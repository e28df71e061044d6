/* The per-user services both protocols stand on (IMAP sessions and LMTP
 * deliveries): where users' stores are, the worker pools their jobs run
 * in, and the threads that close idle stores and watch for other
 * processes' changes. One per server process, filled at start-up and
 * read-only afterwards; knows nothing of IMAP or LMTP. */
#ifndef PETREL_USER_SERVICES_H
#define PETREL_USER_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

struct store_env;
struct worker_pool;

struct user_services {
	const struct store_env *env;       /* where users' stores live */
	/* Every job touching a user's store runs here, under the user's key
	 * (mail_user_key()): jobs of one user never overlap. */
	struct worker_pool *workers;
	/* The search indexer's threads, at nice USER_INDEX_NICE: deliveries
	 * and commands come first, indexing takes what is left. */
	struct worker_pool *index_workers;
	/* The indexer steps aside for a user's deliveries at most this long
	 * (config index_delay_max; 0: never): user-index.c. */
	int64_t index_delay_max_ms;
};

/* The index pool's nice value (Linux: per thread), so a delivery's or a
 * command's thread gets the CPU first when both want it: indexing a 3 KB
 * message costs about twice the rest of its delivery, and at equal
 * priority it halved APPEND throughput on two cores. Idle CPU still goes
 * to the indexer in full. */
#define USER_INDEX_NICE 10

/* Server start: the closer's thread (user-store.c) and the watch's
 * (user-watch.c). Without the watch IDLE sees only this process's changes:
 * false then, after a warning. */
bool user_services_start(const struct user_services *svc);
/* Any thread: the server is shutting down; a running indexing job stops
 * (its batch is rolled back) and none queues a successor (the first store
 * job after the next start resumes); the closer queues no more closes. */
void user_services_shutdown(void);
/* Server end, once the pools are idle: joins the threads. */
void user_services_stop(void);

#endif
