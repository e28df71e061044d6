/* What the PostgreSQL backend's files share: its table, the env's pool of
 * connections, and the pg_* functions the table points at. Only
 * src/store/pg/ and its tests include this. */
#ifndef PETREL_STORE_PG_PRIVATE_H
#define PETREL_STORE_PG_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "store/pg/pg-conn.h"
#include "store/store-backend.h"

/* The table (pg-backend.c). Not yet in store-env.c's list: it passes the
 * whole contract suite, and is offered once the server, the CLI and the
 * transcript and client suites run on it too (issue 15). */
extern const struct store_backend store_backend_pg;

/* ---- the env's pool (pg-env.c) ---- */

/* The table's env_init/env_free: the env's state, with no connection yet. */
enum store_result pg_env_init(struct store_env *env, char *err, size_t err_size);
void pg_env_free(struct store_env *env);
/* The pool of env's conninfo (env->location), made on first use with the
 * schema brought up to date (pg-schema.h) on one of its connections, and
 * shared by every thread using env; closed by store_env_free(). On
 * failure, err says why (and the next call tries again). */
enum store_result pg_env_pool(const struct store_env *env, struct pg_pool **pool_r, char *err,
			      size_t err_size);
/* The env's notifier (pg-notify.h), which store_notify_changed() and
 * every committed change post to. */
struct pg_notifier *pg_env_notifier(const struct store_env *env);
/* An env of this backend for conninfo, freed with store_env_free(): what
 * store_env_open() will make once the backend is offered; until then the
 * way tests reach it. */
struct store_env *pg_env_new(const char *conninfo);

/* ---- searching (pg-search.c), as store.h's ---- */
enum store_result pg_mailbox_search_text(struct store *store, const char *name,
					 uint32_t uidvalidity, enum store_text_field field,
					 const char *header_name, const char *needle,
					 uint32_t **uids_r, uint32_t *count_r);
bool pg_index_due(struct store *store);
enum store_result pg_index_text(const struct store_env *env, const char *user,
				unsigned int max_batches, const atomic_bool *stop, bool *more_r);
enum store_result pg_train_dicts(const struct store_env *env, const char *user, bool *settled_r);

/* ---- the watch (pg-watch.c), as store.h's ---- */
enum store_result pg_watch_open(const struct store_env *env, struct store_watch **watch_r);
int pg_watch_fd(const struct store_watch *watch);
enum store_result pg_watch_add(struct store_watch *watch, const char *user, void *ctx,
			       struct store_watch_user **wu_r);
void pg_watch_remove(struct store_watch *watch, struct store_watch_user *wu);
bool pg_watch_drain(struct store_watch *watch, void (*changed)(void *ctx));
void pg_watch_close(struct store_watch *watch);
void pg_notify_changed(const struct store_env *env, const char *user);

/* ---- the user database (pg-users.c), as store-users.h ---- */
enum store_result pg_users_open(const struct store_env *env, struct store_users **users_r,
				char *err, size_t err_size);
void pg_users_close(struct store_users *users);
const unsigned char *pg_users_secret(const struct store_users *users);
enum store_result pg_users_write(struct store_users *users, const char *name,
				 const struct store_user_record *record, bool add);
enum store_result pg_users_delete(struct store_users *users, const char *name);
enum store_result pg_users_list(struct store_users *users,
				void (*cb)(const char *name, void *ctx), void *ctx);
enum store_result pg_users_get(struct store_users *users, const char *name,
			       struct store_user_record *record_r);
enum store_result pg_users_store_created(const struct store_env *env, const char *name,
					 bool *created_r);
enum store_result pg_users_set_store_created(const struct store_env *env, const char *name);
enum store_result pg_users_share_set(const struct store_env *env, const char *owner,
				     const char *grantee, bool shares);
enum store_result pg_users_sharing_with(const struct store_env *env, const char *user,
					void (*cb)(const char *owner, void *ctx), void *ctx);

/* ---- a user's store (pg-store.c, pg-check.c), as store.h ---- */
enum store_result pg_open(const struct store_env *env, const char *user, unsigned int flags,
			  struct store **store_r, char *err, size_t err_size);
void pg_close(struct store *store);
bool pg_read_only(const struct store *store);
unsigned int pg_blob_count(const struct store *store);
uint64_t pg_change_count(const struct store *store);
enum store_result pg_check(struct store *store,
			   void (*report)(const char *problem, void *ctx), void *ctx);
void pg_view_as(struct store *store, const char *viewer);

/* ---- mailboxes (pg-mailbox.c) ---- */
enum store_result pg_mailbox_list(struct store *store,
				  bool (*cb)(const struct store_mailbox_info *info, void *ctx),
				  void *ctx);
enum store_result pg_mailbox_create(struct store *store, const char *name,
				    unsigned int special_use);
enum store_result pg_mailbox_delete(struct store *store, const char *name);
enum store_result pg_mailbox_rename(struct store *store, const char *from, const char *to);
enum store_result pg_mailbox_subscribe(struct store *store, const char *name, bool subscribe);
enum store_result pg_mailbox_status(struct store *store, const char *name,
				    struct store_mailbox_status *status_r);

/* ---- a selected mailbox (pg-snapshot.c) ---- */
enum store_result pg_mailbox_snapshot(struct store *store, const char *name,
				      bool claim_recent, struct store_snapshot *snapshot_r);
enum store_result pg_mailbox_claim_recent(struct store *store, const char *name,
					  uint32_t uidvalidity, uint32_t *first_r,
					  uint32_t *next_r);
enum store_result pg_mailbox_changes(struct store *store, const char *name,
				     uint32_t uidvalidity, uint64_t since,
				     struct store_changes *changes_r);
enum store_result pg_messages_get(struct store *store, const char *name,
				  uint32_t uidvalidity, const uint32_t *uids,
				  uint32_t uid_count, struct store_changes *messages_r);

/* ---- STORE and EXPUNGE (pg-flags.c) ---- */
enum store_result pg_messages_set_flags(struct store *store, const char *name,
					uint32_t uidvalidity, const uint32_t *uids,
					uint32_t uid_count,
					const struct store_flag_change *change,
					uint32_t **modified_r, uint32_t *modified_count_r);
enum store_result pg_messages_expunge(struct store *store, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, uint32_t **expunged_r,
				      uint32_t *expunged_count_r);

/* ---- COPY and MOVE (pg-copy.c) ---- */
enum store_result pg_messages_copy(struct store *store, const char *from, uint32_t uidvalidity,
				   const uint32_t *uids, uint32_t uid_count, const char *to,
				   bool move, struct store_copy_result *result_r);

/* ---- adding messages (pg-blob.c, pg-append.c) ---- */
enum store_result pg_blob_begin(struct store *store, uint64_t expected_size,
				struct store_blob **blob_r);
enum store_result pg_blob_write(struct store_blob *blob, const void *data, size_t len);
void pg_blob_keep_bytes(struct store_blob *blob);
enum store_result pg_blob_finish(struct store_blob *blob);
void pg_blob_free(struct store_blob *blob);
enum store_result pg_messages_append(struct store *store, const char *name,
				     const struct store_append *messages, unsigned int count,
				     uint32_t *uidvalidity_r, uint32_t *uids_r);
enum store_result pg_messages_append_many(struct store *store, struct store_append_set *sets,
					  unsigned int count);

/* ---- reading messages (pg-read.c) ---- */
enum store_result pg_messages_read(struct store *store, const char *name,
				   uint32_t uidvalidity, const uint32_t *uids,
				   uint32_t uid_count, unsigned int fields,
				   bool (*cb)(const struct store_message_info *info, void *ctx),
				   void *ctx);
enum store_result pg_body_open(struct store *store, const char *name, uint32_t uidvalidity,
			       uint32_t uid, struct store_body **body_r);
uint64_t pg_body_size(const struct store_body *body);
enum store_result pg_body_read(struct store_body *body, uint64_t offset, void *buf, size_t len);
void pg_body_close(struct store_body *body);
enum store_result pg_mailbox_open(struct store *store, const char *name, uint32_t uidvalidity,
				  struct store_mailbox **box_r);
void pg_mailbox_close(struct store_mailbox *box);
enum store_result pg_messages_read_in(struct store *store, const struct store_mailbox *box,
				      const uint32_t *uids, uint32_t uid_count,
				      unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx);
enum store_result pg_body_open_in(struct store *store, const struct store_mailbox *box,
				  uint32_t uid, struct store_body **body_r);

/* ---- quota, METADATA, ACL (pg-quota.c, pg-metadata.c, pg-acl.c) ---- */
enum store_result pg_quota_get(struct store *store, struct store_quota *quota_r);
enum store_result pg_quota_set(struct store *store, const uint64_t own[STORE_QUOTA_RESOURCES]);
enum store_result pg_metadata_get(struct store *store, const char *mailbox, const char *user,
				  const char *const *names, unsigned int count,
				  enum store_metadata_depth depth,
				  struct store_metadata_entry **entries_r, unsigned int *count_r);
enum store_result pg_metadata_set(struct store *store, const char *mailbox, const char *user,
				  const struct store_metadata_entry *entries, unsigned int count);
enum store_result pg_acl_get(struct store *store, const char *mailbox,
			     struct acl_entry **entries_r, unsigned int *count_r);
enum store_result pg_acl_update(struct store *store, const char *mailbox,
				const char *identifier, enum store_acl_mode mode,
				acl_rights rights, acl_rights *rights_r);
enum store_result pg_acl_forget(struct store *store, const char *identifier);

#endif
