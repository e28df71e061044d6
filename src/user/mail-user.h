/* Logged-in users' stores, shared by all of a user's sessions (IMAP) and
 * deliveries (LMTP) in this process. A session takes a reference at login
 * and drops it at the end. The store itself is opened by the first store
 * job that needs it, and closed by a job queued when no job has used it for
 * a while (the closer: a session in IDLE waits on its watch, not on an
 * open store), when more than a bounded number are open, and after the
 * last reference is gone. Since every job that touches a user's store,
 * closing included, runs under that user's worker key, no two ever overlap
 * and the store needs no lock of its own.
 *
 * user-registry.c  the entries (name, key, references)
 * user-store.c     the store handle's lifetime and the closer
 * user-index.c     the search indexer's scheduling
 * user-watch.c     sessions waiting in IDLE, and other processes' changes */
#ifndef PETREL_USER_MAIL_USER_H
#define PETREL_USER_MAIL_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct loop;
struct mail_user;
struct store_deliver_queue;
struct user_services;

/* Loop thread: the user's shared entry, created on first use; its jobs
 * run in svc's pools (svc outlives every entry). */
struct mail_user *mail_user_acquire(const struct user_services *svc, const char *user);
/* Loop thread: drops a reference. The last one leaves an open store open
 * (the closer closes it once idle, and the entry with it; a client that
 * logs out and in again finds it open), otherwise queues the entry's end
 * on the user's worker key (owner: the loop that runs the job's
 * completion). */
void mail_user_release(struct mail_user **mu, struct loop *owner);

const char *mail_user_name(const struct mail_user *mu);
/* The worker key under which every job touching this user's store runs. */
uint64_t mail_user_key(const struct mail_user *mu);

/* The user's group commit queue (store/deliver.h): every delivery to the
 * user from this process (APPEND of any session, LMTP) goes through it, in
 * jobs under mail_user_key(). */
struct store_deliver_queue *mail_user_deliveries(struct mail_user *mu);

/* store_open() for user, creating the store only if users.db says the user
 * never had one, and recording it there when it does (store.h
 * STORE_OPEN_CREATE): a store.db that vanished is STORE_MISSING, never an
 * empty new store. Used by every process that delivers or serves mail. */
enum store_result mail_user_store_open(const struct store_env *env, const char *user,
				       struct store **store_r, char *err, size_t err_size);
/* Worker thread, inside a job queued under mail_user_key(): the open store,
 * opening it now if needed. NULL on failure (*result_r says why). Valid
 * until the job ends: a later job may get another handle. */
struct store *mail_user_store(struct mail_user *mu, enum store_result *result_r);
/* The same for a user the session is not (another user's shared
 * mailboxes): a user users.db does not know, or who never had a store, is
 * STORE_NOT_FOUND at once, with nothing created and nothing logged. */
struct store *mail_user_store_existing(struct mail_user *mu, enum store_result *result_r);
/* Loop thread: a loop of the server, where the closer queues the close of
 * the user's idle store. Until it is called for a user, only the last
 * release closes its store. */
void mail_user_jobs_at(struct mail_user *mu, struct loop *owner);

/* Loop thread: queues the user's search indexer (store_index_text()) on
 * the index workers, beside the user's store jobs, unless it is queued
 * already; it holds a reference while queued and queues itself again
 * while work is left. */
void mail_user_index_kick(struct mail_user *mu, struct loop *owner);

/* Sessions in IDLE watch their user's store for changes: by this process
 * (store jobs of other sessions call mail_user_notify()) and by others
 * (store.h's watch, while the user has a watch). Loop thread: fn(ctx) runs
 * on `loop` after a change, coalesced (at most one call pending). */
struct mail_user_watch;
struct mail_user_watch *mail_user_watch_add(struct mail_user *mu, struct loop *loop,
					    void (*fn)(void *ctx), void *ctx);
/* On the watch's loop: after this, fn is never called again. */
void mail_user_watch_remove(struct mail_user *mu, struct mail_user_watch **watch);
/* Any thread: the user's store changed; wakes every watch. */
void mail_user_notify(struct mail_user *mu);

#endif
