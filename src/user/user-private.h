/* Inside the user layer only: a user's entry and the lock that guards the
 * registry, shared by the files of src/user/ (mail-user.h lists them). */
#ifndef PETREL_USER_PRIVATE_H
#define PETREL_USER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "user/mail-user.h"
#include "user/user-services.h"

struct mail_user_watch;
struct store_watch_user;

struct mail_user {
	struct mail_user *next;          /* in the registry; under user_registry_lock */
	const struct user_services *svc;
	uint64_t key;
	uint64_t index_key;              /* the indexer's worker key */
	unsigned int refs;               /* sessions and queued jobs; under the lock */
	bool close_queued;               /* the final close; under the lock */
	bool index_queued;               /* under the lock */
	bool index_waiting;              /* stepped aside for deliveries; under the lock, */
	struct loop *index_owner;        /* with the loop of its job's completion */
	int64_t index_aside_since_ms;    /* only in index jobs (one at a time); 0: not aside */
	bool dicts_settled;              /* only in index jobs: store_train_dicts() is done */
	struct store *store;             /* only inside jobs under `key` */
	/* For the closer (user-store.c), under the lock: */
	bool store_open;                 /* store != NULL */
	bool idle_close_queued;
	uint64_t uses;                   /* mail_user_store() calls so far */
	int64_t last_used_ms;            /* the last one's time (CLOCK_MONOTONIC) */
	struct loop *owner;              /* a loop for the close job's completion */
	struct store_deliver_queue *deliveries;   /* group commit (store/deliver.h) */
	/* user-watch.c: */
	struct mail_user_watch *watches; /* under user_registry_lock */
	unsigned int watch_count;        /* under user-watch.c's lock, with: */
	struct store_watch_user *store_watch;
	char name[];
};

/* Guards the registry and the fields marked above. Taken after
 * user-watch.c's lock, never before it. */
extern pthread_mutex_t user_registry_lock;
extern struct mail_user *user_registry;
/* Set once by user_services_shutdown(), under user_registry_lock. */
extern atomic_bool user_stopping;

/* Under user_registry_lock: one more reference (a job queued for the user
 * holds one until its completion releases it). */
void user_ref_locked(struct mail_user *mu);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t user_now_ms(void);
/* user-store.c: in the final close job, the store's last close. */
void user_store_forget(struct mail_user *mu);
/* user-registry.c: under user_registry_lock, queues the entry's end (the
 * store's last close) for an entry no one holds. */
void user_final_close_queue_locked(struct mail_user *mu, struct loop *owner);
/* user-store.c: under user_registry_lock, whether the closer runs (an
 * entry whose last reference went may linger with its store open). */
bool user_store_closer_running_locked(void);
bool user_store_closer_start(void);
void user_store_closer_stop(void);

/* user-index.c, under user_registry_lock: the closer's tick queues the
 * indexers that stepped aside for deliveries now over; an entry that
 * ends forgets that its indexer waits. */
void user_index_resume_locked(void);
void user_index_forget_locked(struct mail_user *mu);

/* user-watch.c: the watch's thread. */
bool user_watch_start(const struct user_services *svc);
void user_watch_stop(void);

#endif
