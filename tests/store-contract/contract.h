/* The store contract suite: what ANY backend behind store.h must do,
 * stated through store.h alone (no SQL, no backend header, no path inside a
 * store). A backend is one `struct contract_backend` (contract-backends.c);
 * SQLite-specific probes stay in tests/unit/test-store*.c. */
#ifndef PETREL_STORE_CONTRACT_H
#define PETREL_STORE_CONTRACT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* How to get stores for a run: the only backend-specific code of the suite. */
struct contract_backend {
	const char *name;
	/* An empty place for stores, made once per run (*env_r is the
	 * backend's own). Prints one line and returns false on failure. */
	bool (*setup)(void **env_r);
	/* A new handle on user's store (created empty, with its default
	 * mailboxes, on first use). THE one place store_open() is called. */
	enum store_result (*open)(void *env, const char *user, struct store **store_r);
	/* Puts the search text waiting for the indexer into the index (NULL if
	 * the backend indexes at delivery): SEARCH must answer the same before
	 * and after. */
	enum store_result (*index)(void *env, const char *user);
	void (*teardown)(void **env);
	/* The store environment the stores are opened from (APPENDLIMIT). */
	const struct store_env *(*store_env)(void *env);
};

const struct contract_backend *contract_backend_find(const char *name);
void contract_backend_names(FILE *out);

/* Checks: one line per failure; the counters are shared by all files
 * (atomic: the concurrency tests check from several threads). */
extern _Atomic unsigned int ct_passed, ct_failed;

void ct_fail(const char *file, int line, const char *what, long long got, long long want);

#define CT_CHECK(cond) do { \
	if (cond) { ct_passed++; } else { ct_fail(__FILE__, __LINE__, #cond, 0, 0); } \
} while (0)

#define CT_CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ == w_) { ct_passed++; } else { ct_fail(__FILE__, __LINE__, #got, g_, w_); } \
} while (0)

#define CT_CHECK_STR_EQ(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (strcmp(g_, w_) == 0) { ct_passed++; } else { \
		ct_failed++; \
		printf("FAIL %s:%d: %s: got \"%s\" want \"%s\"\n", __FILE__, __LINE__, #got, \
		       g_, w_); \
	} \
} while (0)

/* ---- helpers over store.h (contract.c) ---- */

/* A new handle on user's store through the backend; NULL (and a failed
 * check) if it cannot be opened. */
struct store *ct_open(const char *user);
/* Waiting search text into the index (no-op for a backend without). */
void ct_index(const char *user);
/* The run's store environment (store_append_limit()). */
const struct store_env *ct_store_env(void);
/* A finished blob holding body; NULL (and a failed check) on error. */
struct store_blob *ct_blob(struct store *st, const char *body);
/* Appends one message; its UID, or 0 (and a failed check). */
uint32_t ct_append_kw(struct store *st, const char *mailbox, const char *body, uint32_t flags,
		      const char *const *kw, unsigned int kw_count);
uint32_t ct_append(struct store *st, const char *mailbox, const char *body);
/* Status (zeroed, and a failed check, on error). */
struct store_mailbox_status ct_status(struct store *st, const char *mailbox);
uint32_t ct_uidv(struct store *st, const char *mailbox);
/* One flag op on one UID; STORE_OK expected. */
void ct_flags(struct store *st, const char *mailbox, uint32_t uid, enum store_flag_op op,
	      uint32_t flags);
/* Marks uids \Deleted and expunges exactly them; returns how many went. */
uint32_t ct_expunge(struct store *st, const char *mailbox, const uint32_t *uids, uint32_t count);
/* The message's modseq in a snapshot, 0 if it is not there. */
uint64_t ct_modseq_of(struct store *st, const char *mailbox, uint32_t uid);
/* store_check reports nothing. */
void ct_check_clean(struct store *st);

/* ---- the groups (one file each) ---- */
void contract_durability(void);
void contract_modseq(void);
void contract_uids(void);
void contract_mailboxes(void);
void contract_messages(void);
void contract_concurrency(void);
void contract_search(void);
void contract_quota(void);
void contract_metadata(void);
void contract_acl(void);
void contract_users(void);

#endif
