/* Telling other nodes which users' stores changed (pg-notify.c sends,
 * pg-watch.c receives). Only src/store/pg/ includes this. */
#ifndef PETREL_STORE_PG_NOTIFY_H
#define PETREL_STORE_PG_NOTIFY_H

/* The channel, and the payload's form: user names, '\n' between them, or
 * PG_WATCH_ALL for "every user" (a sender that had to drop names). */
#define PG_WATCH_CHANNEL "petrel_change"
#define PG_WATCH_ALL "*"

struct pg_notifier;

/* A notifier for conninfo: no connection and no thread until the first
 * post. */
struct pg_notifier *pg_notifier_new(const char *conninfo);
/* user's store changed (after its transaction committed): sent within a
 * millisecond or so, with the others posted meanwhile. Never blocks on
 * the network. */
void pg_notifier_post(struct pg_notifier *n, const char *user);
/* Sends what is still posted, then stops. */
void pg_notifier_free(struct pg_notifier **n);

#endif
