/* The backend table behind store.h, as Dovecot's struct mailbox_vfuncs:
 * store.c's store_*() functions only dispatch through it, so command code
 * never knows which backend it talks to. Only src/store/ includes this; a
 * backend defines its functions static or with its own prefix and exports
 * one const struct store_backend. */
#ifndef PETREL_STORE_BACKEND_H
#define PETREL_STORE_BACKEND_H

#include "store/store.h"
#include "store/store-users.h"

/* The base every backend's handle, blob and body begin with (the backend's
 * struct embeds it as its first member). */
struct store {
	const struct store_backend *v;
};

struct store_blob {
	const struct store_backend *v;
};

/* A mailbox handle outlives its store handle (store.h), so it names the
 * table itself. */
struct store_mailbox {
	const struct store_backend *v;
};

/* A body outlives its handle (store.h), so it names the table itself. */
struct store_body {
	const struct store_backend *v;
};

/* A watch (store.h) is made from the env, not from a store handle. */
struct store_watch {
	const struct store_backend *v;
};

/* A configured backend and its location, made once at start
 * (store_env_open()) and shared read-only by every thread. */
struct store_env {
	const struct store_backend *v;
	char *location;            /* sqlite: the data directory */
	uint64_t append_limit;     /* v->append_limit, fixed at start */
	/* Limits of users without their own (store_env_set_quota()). */
	uint64_t quota[STORE_QUOTA_RESOURCES];
	/* What the backend keeps for the env's lifetime (v->env_init), e.g.
	 * idle database connections; it guards it itself, since every thread
	 * shares the env. NULL for a backend that keeps nothing. */
	void *backend_state;
};

/* One entry per operation of store.h and store-users.h, with the same
 * meaning as the public function of that name. */
struct store_backend {
	const char *name;          /* the config key `store` selects by it */
	uint64_t append_limit;     /* store_append_limit(): a constant */

	/* ---- the env (both optional) ---- */
	/* Called once by store_env_open() after the fields above are set;
	 * touches no storage (store_env_open() never does). */
	enum store_result (*env_init)(struct store_env *env, char *err, size_t err_size);
	void (*env_free)(struct store_env *env);

	/* ---- the store ---- */
	enum store_result (*open)(const struct store_env *env, const char *user,
				  unsigned int flags, struct store **store_r, char *err,
				  size_t err_size);
	void (*close)(struct store *store);
	bool (*read_only)(const struct store *store);
	unsigned int (*blob_count)(const struct store *store);
	uint64_t (*change_count)(const struct store *store);
	enum store_result (*check)(struct store *store,
				   void (*report)(const char *problem, void *ctx), void *ctx);

	/* ---- quota ---- */
	enum store_result (*quota_get)(struct store *store, struct store_quota *quota_r);
	enum store_result (*quota_set)(struct store *store,
				       const uint64_t own[STORE_QUOTA_RESOURCES]);

	/* ---- METADATA ---- */
	enum store_result (*metadata_get)(struct store *store, const char *mailbox,
					  const char *user, const char *const *names,
					  unsigned int count, enum store_metadata_depth depth,
					  struct store_metadata_entry **entries_r,
					  unsigned int *count_r);
	enum store_result (*metadata_set)(struct store *store, const char *mailbox,
					  const char *user,
					  const struct store_metadata_entry *entries,
					  unsigned int count);

	/* ---- whose \Seen ---- */
	void (*view_as)(struct store *store, const char *viewer);

	/* ---- ACL ---- */
	enum store_result (*acl_get)(struct store *store, const char *mailbox,
				     struct acl_entry **entries_r, unsigned int *count_r);
	enum store_result (*acl_update)(struct store *store, const char *mailbox,
					const char *identifier, enum store_acl_mode mode,
					acl_rights rights, acl_rights *rights_r);
	enum store_result (*acl_forget)(struct store *store, const char *identifier);

	/* ---- mailboxes ---- */
	enum store_result (*mailbox_list)(struct store *store,
					  bool (*cb)(const struct store_mailbox_info *info,
						     void *ctx),
					  void *ctx);
	enum store_result (*mailbox_create)(struct store *store, const char *name,
					    unsigned int special_use);
	enum store_result (*mailbox_delete)(struct store *store, const char *name);
	enum store_result (*mailbox_rename)(struct store *store, const char *from,
					    const char *to);
	enum store_result (*mailbox_subscribe)(struct store *store, const char *name,
					       bool subscribe);
	enum store_result (*mailbox_status)(struct store *store, const char *name,
					    struct store_mailbox_status *status_r);

	/* ---- a selected mailbox ---- */
	enum store_result (*mailbox_snapshot)(struct store *store, const char *name,
					      bool claim_recent,
					      struct store_snapshot *snapshot_r);
	enum store_result (*mailbox_claim_recent)(struct store *store, const char *name,
						  uint32_t uidvalidity, uint32_t *first_r,
						  uint32_t *next_r);
	enum store_result (*mailbox_changes)(struct store *store, const char *name,
					     uint32_t uidvalidity, uint64_t since,
					     struct store_changes *changes_r);
	enum store_result (*messages_get)(struct store *store, const char *name,
					  uint32_t uidvalidity, const uint32_t *uids,
					  uint32_t uid_count, struct store_changes *messages_r);

	/* ---- changing messages ---- */
	enum store_result (*messages_set_flags)(struct store *store, const char *name,
						uint32_t uidvalidity, const uint32_t *uids,
						uint32_t uid_count,
						const struct store_flag_change *change,
						uint32_t **modified_r,
						uint32_t *modified_count_r);
	enum store_result (*messages_expunge)(struct store *store, const char *name,
					      uint32_t uidvalidity, const uint32_t *uids,
					      uint32_t uid_count, uint32_t **expunged_r,
					      uint32_t *expunged_count_r);
	enum store_result (*messages_copy)(struct store *store, const char *from,
					   uint32_t uidvalidity, const uint32_t *uids,
					   uint32_t uid_count, const char *to, bool move,
					   struct store_copy_result *result_r);

	/* ---- adding messages ---- */
	enum store_result (*blob_begin)(struct store *store, uint64_t expected_size,
					struct store_blob **blob_r);
	enum store_result (*blob_write)(struct store_blob *blob, const void *data,
					size_t len);
	void (*blob_keep_bytes)(struct store_blob *blob);
	enum store_result (*blob_finish)(struct store_blob *blob);
	void (*blob_free)(struct store_blob *blob);
	enum store_result (*messages_append)(struct store *store, const char *name,
					     const struct store_append *messages,
					     unsigned int count, uint32_t *uidvalidity_r,
					     uint32_t *uids_r);

	/* ---- reading messages ---- */
	enum store_result (*messages_read)(struct store *store, const char *name,
					   uint32_t uidvalidity, const uint32_t *uids,
					   uint32_t uid_count, unsigned int fields,
					   bool (*cb)(const struct store_message_info *info,
						      void *ctx),
					   void *ctx);
	enum store_result (*body_open)(struct store *store, const char *name,
				       uint32_t uidvalidity, uint32_t uid,
				       struct store_body **body_r);
	uint64_t (*body_size)(const struct store_body *body);
	enum store_result (*body_read)(struct store_body *body, uint64_t offset, void *buf,
				       size_t len);
	void (*body_close)(struct store_body *body);
	enum store_result (*messages_append_many)(struct store *store,
						  struct store_append_set *sets,
						  unsigned int count);

	/* ---- a mailbox handle ---- */
	enum store_result (*mailbox_open)(struct store *store, const char *name,
					  uint32_t uidvalidity, struct store_mailbox **box_r);
	void (*mailbox_close)(struct store_mailbox *box);
	enum store_result (*messages_read_in)(struct store *store,
					      const struct store_mailbox *box,
					      const uint32_t *uids, uint32_t uid_count,
					      unsigned int fields,
					      bool (*cb)(const struct store_message_info *info,
							 void *ctx),
					      void *ctx);
	enum store_result (*body_open_in)(struct store *store, const struct store_mailbox *box,
					  uint32_t uid, struct store_body **body_r);

	/* ---- searching and the search index ---- */
	enum store_result (*mailbox_search_text)(struct store *store, const char *name,
						 uint32_t uidvalidity,
						 enum store_text_field field,
						 const char *header_name, const char *needle,
						 uint32_t **uids_r, uint32_t *count_r);
	bool (*index_due)(struct store *store);
	enum store_result (*index_text)(const struct store_env *env, const char *user,
					unsigned int max_batches, const atomic_bool *stop,
					bool *more_r);
	enum store_result (*train_dicts)(const struct store_env *env, const char *user,
					 bool *settled_r);

	/* ---- changes by other processes ---- */
	enum store_result (*watch_open)(const struct store_env *env,
					struct store_watch **watch_r);
	int (*watch_fd)(const struct store_watch *watch);
	enum store_result (*watch_add)(struct store_watch *watch, const char *user, void *ctx,
				       struct store_watch_user **wu_r);
	void (*watch_remove)(struct store_watch *watch, struct store_watch_user *wu);
	bool (*watch_drain)(struct store_watch *watch, void (*changed)(void *ctx));
	void (*watch_close)(struct store_watch *watch);
	void (*notify_changed)(const struct store_env *env, const char *user);

	/* ---- the user database (store-users.h) ---- */
	enum store_result (*users_open)(const struct store_env *env,
					struct store_users **users_r, char *err,
					size_t err_size);
	void (*users_close)(struct store_users *users);
	const unsigned char *(*users_secret)(const struct store_users *users);
	enum store_result (*users_write)(struct store_users *users, const char *name,
					 const struct store_user_record *record, bool add);
	enum store_result (*users_delete)(struct store_users *users, const char *name);
	enum store_result (*users_list)(struct store_users *users,
					void (*cb)(const char *name, void *ctx), void *ctx);
	enum store_result (*users_get)(struct store_users *users, const char *name,
				       struct store_user_record *record_r);
	enum store_result (*users_store_created)(const struct store_env *env,
						 const char *name, bool *created_r);
	enum store_result (*users_set_store_created)(const struct store_env *env,
						     const char *name);
	enum store_result (*users_share_set)(const struct store_env *env, const char *owner,
					     const char *grantee, bool shares);
	enum store_result (*users_sharing_with)(const struct store_env *env, const char *user,
						void (*cb)(const char *owner, void *ctx),
						void *ctx);
};

/* The user database handle's base, as struct store's. */
struct store_users {
	const struct store_backend *v;
};

/* The backends compiled in (store-env.c looks them up by name). */
extern const struct store_backend store_backend_sqlite;

#endif
