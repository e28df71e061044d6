/* Store jobs: worker side opens the store and runs the command's function
 * and the sync; loop side announces changes, then lets the command reply. */
#include "imap/store-job.h"

#include <stdlib.h>

#include "core/arena.h"
#include "core/log.h"
#include "imap/command.h"
#include "imap/mailbox-ref.h"
#include "user/mail-user.h"
#include "imap/session.h"
#include "net/conn.h"

/* Worker: the first session told of a new message gets its \Recent, and the
 * store's boundary moves past it so STATUS and later SELECTs (any process)
 * see it claimed. Only when the sync brought new messages: one small write. */
static void claim_recent(struct store_job *job, struct store *store)
{
	uint32_t first, next;

	if (job->changes.uidnext <= job->sync_uidnext)
		return;
	if (store_mailbox_claim_recent(store, job->sync_name, job->sync_uidvalidity,
				       &first, &next) != STORE_OK)
		return;   /* logged by the store; the messages just stay unclaimed */
	if (first < next) {
		job->recent_lo = first;
		job->recent_hi = next - 1;
	}
}

/* Worker: the session user's rights on another user's mailbox into
 * *rights_r; false (job->result set) when they fall short of need. */
static bool store_job_rights(struct store_job *job, struct store *store, const char *mailbox,
			     acl_rights need, acl_rights *rights_r)
{
	struct acl_entry *entries = NULL;
	unsigned int count = 0;

	*rights_r = 0;
	if (mailbox == NULL) {
		job->result = STORE_NOT_FOUND;
		return false;
	}
	job->result = store_acl_get(store, mailbox, &entries, &count);
	if (job->result != STORE_OK)
		return false;
	*rights_r = acl_rights_of(entries, count, job->acl_user);
	free(entries);
	/* p alone does not make a mailbox visible (only deliveries care
	 * about it, as Dovecot has it). */
	if ((*rights_r & need) == need && (*rights_r & (acl_rights)~ACL_POST) != 0)
		return true;
	job->result = (*rights_r & ACL_LOOKUP) ? STORE_NO_RIGHTS : STORE_NOT_FOUND;
	return false;
}

static bool store_job_allowed(struct store_job *job, struct store *store)
{
	return store_job_rights(job, store, job->acl_mailbox, job->need, &job->rights);
}

bool imap_store_job_allows(struct store_job *job, struct store *store, const char *mailbox,
			   acl_rights need)
{
	acl_rights rights;

	return !job->other || store_job_rights(job, store, mailbox, need, &rights);
}

static void store_job_run(void *arg)
{
	struct store_job *job = arg;
	struct store *store = job->others_store ? mail_user_store_existing(job->mu, &job->result)
						: mail_user_store(job->mu, &job->result);

	if (store == NULL) {
		/* Another user's store that cannot be opened says no more
		 * than a mailbox that is not there. */
		if (job->other)
			job->result = STORE_NOT_FOUND;
		return;
	}
	if (job->other && !store_job_allowed(job, store))
		return;
	/* In another user's mailbox \Seen is the session user's own. */
	if (job->other)
		store_view_as(store, job->acl_user);
	uint64_t changes = store_change_count(store);
	if (job->run != NULL)
		job->run(job, store);
	/* Sessions in IDLE learn of it now, not at their next command. */
	if (store_change_count(store) != changes)
		mail_user_notify(job->mu);
	if (job->sync) {
		job->sync_result = store_mailbox_changes(store, job->sync_name,
							 job->sync_uidvalidity,
							 job->sync_since, &job->changes);
		if (job->sync_result == STORE_OK && job->claim_recent)
			claim_recent(job, store);
	}
	if (job->other)
		store_view_as(store, NULL);
	job->index_due = store_index_due(store);
}

static void store_job_done(void *arg)
{
	struct store_job *job = arg;
	struct imap_cmd *cmd = job->cmd;
	struct imap_session *s = cmd->session;

	if (job->index_due)
		mail_user_index_kick(job->mu, s->loop);
	if (s->closed) {
		if (job->sync && job->sync_result == STORE_OK)
			store_changes_free(&job->changes);
		return;
	}
	if (job->before_sync != NULL)
		job->before_sync(job);
	if (job->sync && s->selected != NULL) {
		if (job->sync_result == STORE_OK) {
			mailbox_view_add_recent(s->selected, job->recent_lo, job->recent_hi);
			mailbox_view_apply(s->selected, &job->changes, &job->apply, &s->out);
			store_changes_free(&job->changes);
		} else if (job->sync_result == STORE_NOT_FOUND) {
			/* Deleted (or deleted and re-created) by someone else: the
			 * numbering cannot be kept consistent any more. */
			log_info("%s: user=%s: selected mailbox vanished", conn_peer_str(s->conn), s->user);
			imap_cmd_reply(cmd, "NO", "[CLOSED] The selected mailbox no longer exists");
			imap_session_bye(s, "Selected mailbox was deleted");
			imap_cmd_complete(cmd);
			return;
		}
	}
	if (job->done(job))
		imap_cmd_complete(cmd);
}

static struct store_job *store_job_submit(struct imap_cmd *cmd, struct mail_user *mu,
					  bool other, const char *acl_mailbox, acl_rights need,
					  store_job_run_fn *run, store_job_done_fn *done,
					  void *ctx, bool sync,
					  const struct mailbox_view_apply *apply)
{
	struct imap_session *s = cmd->session;
	struct store_job *job = arena_alloc(cmd->arena, sizeof(*job));

	job->cmd = cmd;
	job->ctx = ctx;
	job->result = STORE_OK;
	job->run = run;
	job->done = done;
	job->mu = mu;
	job->other = other;
	job->others_store = mu != s->mail_user;
	job->acl_mailbox = acl_mailbox != NULL ? arena_strdup(cmd->arena, acl_mailbox) : NULL;
	job->acl_user = s->user;
	job->need = need;
	job->rights = ACL_OWNER_RIGHTS;
	if (apply != NULL)
		job->apply = *apply;
	else
		job->apply.allow_expunge = true;
	if (sync && s->selected != NULL && s->selected_owner == mu) {
		job->sync = true;
		job->sync_name = arena_strdup(cmd->arena, s->selected->name);
		job->sync_uidvalidity = s->selected->uidvalidity;
		job->sync_since = s->selected->highestmodseq;
		job->claim_recent = s->selected->rev1 && !s->selected->readonly;
		job->sync_uidnext = s->selected->uidnext;
		job->recent_lo = 1;
		job->recent_hi = 0;
	}
	mail_user_jobs_at(mu, s->loop);
	if (!imap_session_submit(s, mail_user_key(mu), store_job_run, store_job_done, job)) {
		imap_cmd_reply(cmd, "NO", "[UNAVAILABLE] Server busy, try again");
		return NULL;
	}
	return job;
}

struct store_job *imap_store_job_submit(struct imap_cmd *cmd, store_job_run_fn *run,
					store_job_done_fn *done, void *ctx, bool sync,
					const struct mailbox_view_apply *apply)
{
	return store_job_submit(cmd, cmd->session->mail_user, false, NULL, 0, run, done, ctx,
				sync, apply);
}

struct store_job *imap_store_job_submit_ref(struct imap_cmd *cmd, const struct mailbox_ref *ref,
					    acl_rights need, store_job_run_fn *run,
					    store_job_done_fn *done, void *ctx, bool sync,
					    const struct mailbox_view_apply *apply)
{
	if (ref->owner == NULL) {
		/* "Other Users" itself: no store holds it. */
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return NULL;
	}
	return store_job_submit(cmd, ref->owner, ref->other, ref->name, need, run, done, ctx,
				sync, apply);
}

struct store_job *imap_store_job_submit_owner(struct imap_cmd *cmd, struct mail_user *owner,
					      store_job_run_fn *run, store_job_done_fn *done,
					      void *ctx)
{
	return store_job_submit(cmd, owner, false, NULL, 0, run, done, ctx, false, NULL);
}

struct store_job *imap_store_job_submit_selected(struct imap_cmd *cmd, acl_rights need,
						 store_job_run_fn *run, store_job_done_fn *done,
						 void *ctx, bool sync,
						 const struct mailbox_view_apply *apply)
{
	struct imap_session *s = cmd->session;

	if (s->selected == NULL)
		return store_job_submit(cmd, s->mail_user, false, NULL, 0, run, done, ctx, sync,
					apply);
	return store_job_submit(cmd, s->selected_owner, s->selected_other, s->selected->name,
				need, run, done, ctx, sync, apply);
}

static bool sync_only_done(struct store_job *job)
{
	imap_cmd_reply(job->cmd, "OK", "%s completed", job->cmd->name);
	return true;
}

enum cmd_step imap_store_job_sync_only(struct imap_cmd *cmd)
{
	if (imap_store_job_submit_selected(cmd, 0, NULL, sync_only_done, NULL, true, NULL) == NULL)
		return CMD_STEP_DONE;
	return CMD_STEP_WAIT;
}
