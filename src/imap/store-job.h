/* Running a command's store work: the step that every mailbox command
 * shares. imap_store_job_submit() queues `run` on the user's worker key with
 * the user's store open; optionally (sync) it then collects what changed in
 * the selected mailbox since the session last looked, so the session can
 * announce it (RFC 9051 §5.2, §7.4) before the tagged reply. `done` runs on
 * the session's loop, after those untagged responses, and writes the
 * tagged reply. */
#ifndef PETREL_IMAP_STORE_JOB_H
#define PETREL_IMAP_STORE_JOB_H

#include <stdbool.h>

#include "imap/mailbox-view.h"
#include "store/acl.h"
#include "store/store.h"

struct imap_cmd;
struct mailbox_ref;
struct store_job;

/* Worker thread: do the store work, set job->result. */
typedef void store_job_run_fn(struct store_job *job, struct store *store);
/* Loop thread: write the tagged reply. Return true when the command is
 * complete, false when it went on waiting (it then completes itself). */
typedef bool store_job_done_fn(struct store_job *job);

struct store_job {
	struct imap_cmd *cmd;
	void *ctx;                        /* the command's own state */
	enum store_result result;         /* STORE_OK unless run (or opening) failed */
	struct mailbox_view_apply apply;  /* how to announce the sync's changes */
	/* Loop thread, optional: called just before the sync's changes are
	 * announced (MOVE sends its COPYUID there, RFC 6851 §4.3). Set it on
	 * the job returned by imap_store_job_submit(): the job's loop-side
	 * steps run only after the caller returns to the loop. */
	void (*before_sync)(struct store_job *job);

	/* internal */
	store_job_run_fn *run;
	store_job_done_fn *done;
	struct mail_user *mu;
	/* Another user's mailbox: the session user must hold `need` on
	 * acl_mailbox there (checked before run); rights what they hold. */
	bool other;
	bool others_store;                /* never made by this job (mail_user_store_existing()) */
	const char *acl_mailbox;
	const char *acl_user;
	acl_rights need;
	acl_rights rights;                /* ACL_OWNER_RIGHTS on one's own */
	bool sync;
	bool index_due;             /* the run left a batch for the indexer */
	char *sync_name;
	uint32_t sync_uidvalidity;
	uint64_t sync_since;
	enum store_result sync_result;
	struct store_changes changes;
	/* IMAP4rev1 read-write view: messages the sync finds at or above
	 * sync_uidnext are claimed as \Recent (RFC 3501 §2.3.2), recent_lo..
	 * recent_hi (none when lo > hi). */
	bool claim_recent;
	uint32_t sync_uidnext;
	uint32_t recent_lo, recent_hi;
};

/* A job on the session user's own store. run may be NULL (a pure sync:
 * NOOP, CHECK). With sync the selected mailbox's changes are collected,
 * if it is in the same store (nothing is, with none selected, or another
 * user's selected: RFC 9051 §7 lets a server hold them for a later
 * command). Returns the queued job, or NULL (after answering the command
 * NO [UNAVAILABLE]) when the worker queue is full. apply may be NULL: then
 * expunges are announced and FETCH carries no UID. */
struct store_job *imap_store_job_submit(struct imap_cmd *cmd, store_job_run_fn *run,
					store_job_done_fn *done, void *ctx, bool sync,
					const struct mailbox_view_apply *apply);
/* The same on ref's owner's store. For another user's mailbox the session
 * user needs the rights `need` on ref->name (a namespace node, name NULL,
 * never has any): without them the job does not run and the command gets
 * NO [NOPERM], or NO [NONEXISTENT] when they may not even see it (no l;
 * RFC 4314 §4: nothing tells it from a mailbox that does not exist). */
struct store_job *imap_store_job_submit_ref(struct imap_cmd *cmd, const struct mailbox_ref *ref,
					    acl_rights need, store_job_run_fn *run,
					    store_job_done_fn *done, void *ctx, bool sync,
					    const struct mailbox_view_apply *apply);
/* Worker, in a job's run: whether the session user holds need on
 * another mailbox of the job's store (always, in their own store); if
 * not, job->result says so as for the job's own mailbox. */
bool imap_store_job_allows(struct store_job *job, struct store *store, const char *mailbox,
			   acl_rights need);

/* A job on another user's store as a whole (LIST): no sync, and no check
 * of rights, which run makes itself for each mailbox it reads. */
struct mail_user;
struct store_job *imap_store_job_submit_owner(struct imap_cmd *cmd, struct mail_user *owner,
					      store_job_run_fn *run, store_job_done_fn *done,
					      void *ctx);

/* The same on the selected mailbox's store, needing `need` on it. */
struct store_job *imap_store_job_submit_selected(struct imap_cmd *cmd, acl_rights need,
						 store_job_run_fn *run, store_job_done_fn *done,
						 void *ctx, bool sync,
						 const struct mailbox_view_apply *apply);

/* A command that only syncs (NOOP and CHECK in the selected state):
 * announces the selected mailbox's changes, then "tag OK NAME completed". */
enum cmd_step imap_store_job_sync_only(struct imap_cmd *cmd);

#endif
