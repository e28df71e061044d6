/* The public store functions: each dispatches through the backend table of
 * its handle (store-backend.h), so command code never knows the backend.
 * Holds no state and never touches storage itself; what is the same for
 * every backend (result names, freeing results) is done here once. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store-backend.h"

const char *store_result_name(enum store_result r)
{
	switch (r) {
	case STORE_OK: return "ok";
	case STORE_NOT_FOUND: return "not found";
	case STORE_EXISTS: return "exists";
	case STORE_INVALID: return "invalid";
	case STORE_NOT_ALLOWED: return "not allowed";
	case STORE_LIMIT: return "limit";
	case STORE_TOO_BIG: return "too big";
	case STORE_NO_SPACE: return "no space";
	case STORE_BUSY: return "busy";
	case STORE_CORRUPT: return "corrupt";
	case STORE_ERROR: return "error";
	case STORE_MISSING: return "missing";
	case STORE_READ_ONLY: return "read-only";
	case STORE_OVER_QUOTA: return "over quota";
	case STORE_NO_RIGHTS: return "no rights";
	}
	return "unknown";
}

const char *store_quota_resource_name(enum store_quota_resource res)
{
	switch (res) {
	case STORE_QUOTA_STORAGE: return "STORAGE";
	case STORE_QUOTA_MESSAGE: return "MESSAGE";
	case STORE_QUOTA_MAILBOX: return "MAILBOX";
	case STORE_QUOTA_RESOURCES: break;
	}
	return "?";
}

/* ---- METADATA ---- */

bool store_metadata_name_valid(const char *name, size_t len)
{
	size_t scope;

	if (len > STORE_METADATA_NAME_MAX)
		return false;
	if (len > 9 && strncasecmp(name, "/private/", 9) == 0)
		scope = 8;
	else if (len > 8 && strncasecmp(name, "/shared/", 8) == 0)
		scope = 7;
	else
		return false;
	for (size_t i = scope; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || c == '*' || c == '%')
			return false;
		if (c == '/' && (i + 1 == len || name[i + 1] == '/'))
			return false;
	}
	return true;
}

enum store_result store_metadata_get(struct store *store, const char *mailbox, const char *user,
				     const char *const *names, unsigned int count,
				     enum store_metadata_depth depth,
				     struct store_metadata_entry **entries_r,
				     unsigned int *count_r)
{
	*entries_r = NULL;
	*count_r = 0;
	for (unsigned int i = 0; i < count; i++) {
		if (!store_metadata_name_valid(names[i], strlen(names[i])))
			return STORE_INVALID;
	}
	return store->v->metadata_get(store, mailbox, user, names, count, depth, entries_r,
				      count_r);
}

void store_metadata_free(struct store_metadata_entry *entries, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		free(entries[i].name);
		free(entries[i].value);
	}
	free(entries);
}

enum store_result store_metadata_set(struct store *store, const char *mailbox, const char *user,
				     const struct store_metadata_entry *entries,
				     unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		if (!store_metadata_name_valid(entries[i].name, strlen(entries[i].name)))
			return STORE_INVALID;
		if (entries[i].value != NULL && entries[i].len > STORE_METADATA_VALUE_MAX)
			return STORE_TOO_BIG;
	}
	return store->v->metadata_set(store, mailbox, user, entries, count);
}

/* ---- whose \Seen ---- */

void store_view_as(struct store *store, const char *viewer)
{
	store->v->view_as(store, viewer);
}

/* ---- ACL ---- */

enum store_result store_acl_get(struct store *store, const char *mailbox,
				struct acl_entry **entries_r, unsigned int *count_r)
{
	*entries_r = NULL;
	*count_r = 0;
	return store->v->acl_get(store, mailbox, entries_r, count_r);
}

enum store_result store_acl_update(struct store *store, const char *mailbox,
				   const char *identifier, enum store_acl_mode mode,
				   acl_rights rights, acl_rights *rights_r)
{
	if (!acl_identifier_valid(identifier) || (rights & ~ACL_ALL) != 0)
		return STORE_INVALID;
	return store->v->acl_update(store, mailbox, identifier, mode, rights, rights_r);
}

enum store_result store_acl_forget(struct store *store, const char *identifier)
{
	if (!acl_identifier_valid(identifier) || acl_identifier_negative(identifier))
		return STORE_INVALID;
	return store->v->acl_forget(store, identifier);
}

/* ---- quota ---- */

enum store_result store_quota_get(struct store *store, struct store_quota *quota_r)
{
	return store->v->quota_get(store, quota_r);
}

enum store_result store_quota_set(struct store *store,
				  const uint64_t own[STORE_QUOTA_RESOURCES])
{
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		if (own[i] > STORE_QUOTA_LIMIT_MAX && own[i] != STORE_QUOTA_NONE &&
		    own[i] != STORE_QUOTA_DEFAULT)
			return STORE_INVALID;
	}
	return store->v->quota_set(store, own);
}

/* ---- the store ---- */

enum store_result store_open(const struct store_env *env, const char *user, unsigned int flags,
			     struct store **store_r, char *err, size_t err_size)
{
	return env->v->open(env, user, flags, store_r, err, err_size);
}

bool store_read_only(const struct store *store)
{
	return store->v->read_only(store);
}

void store_close(struct store **storep)
{
	struct store *store = *storep;

	if (store == NULL)
		return;
	*storep = NULL;
	store->v->close(store);
}

unsigned int store_blob_count(const struct store *store)
{
	return store->v->blob_count(store);
}

uint64_t store_change_count(const struct store *store)
{
	return store->v->change_count(store);
}

enum store_result store_check(struct store *store,
			      void (*report)(const char *problem, void *ctx), void *ctx)
{
	return store->v->check(store, report, ctx);
}

/* ---- mailboxes ---- */

enum store_result store_mailbox_list(struct store *store,
				     bool (*cb)(const struct store_mailbox_info *info, void *ctx),
				     void *ctx)
{
	return store->v->mailbox_list(store, cb, ctx);
}

enum store_result store_mailbox_create(struct store *store, const char *name,
				       unsigned int special_use)
{
	return store->v->mailbox_create(store, name, special_use);
}

enum store_result store_mailbox_delete(struct store *store, const char *name)
{
	return store->v->mailbox_delete(store, name);
}

enum store_result store_mailbox_rename(struct store *store, const char *from, const char *to)
{
	return store->v->mailbox_rename(store, from, to);
}

enum store_result store_mailbox_subscribe(struct store *store, const char *name, bool subscribe)
{
	return store->v->mailbox_subscribe(store, name, subscribe);
}

enum store_result store_mailbox_status(struct store *store, const char *name,
				       struct store_mailbox_status *status_r)
{
	return store->v->mailbox_status(store, name, status_r);
}

/* ---- a selected mailbox ---- */

static void store_names_free(char **names, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

enum store_result store_mailbox_snapshot(struct store *store, const char *name,
					 bool claim_recent, struct store_snapshot *snapshot_r)
{
	return store->v->mailbox_snapshot(store, name, claim_recent, snapshot_r);
}

void store_snapshot_free(struct store_snapshot *snap)
{
	free(snap->messages);
	store_names_free(snap->keywords, snap->keyword_count);
	memset(snap, 0, sizeof(*snap));
}

enum store_result store_mailbox_claim_recent(struct store *store, const char *name,
					     uint32_t uidvalidity, uint32_t *first_r,
					     uint32_t *next_r)
{
	return store->v->mailbox_claim_recent(store, name, uidvalidity, first_r, next_r);
}

enum store_result store_mailbox_changes(struct store *store, const char *name,
					uint32_t uidvalidity, uint64_t since,
					struct store_changes *changes_r)
{
	return store->v->mailbox_changes(store, name, uidvalidity, since, changes_r);
}

void store_changes_free(struct store_changes *ch)
{
	free(ch->changed);
	free(ch->expunged);
	store_names_free(ch->keywords, ch->keyword_count);
	memset(ch, 0, sizeof(*ch));
}

enum store_result store_messages_get(struct store *store, const char *name,
				     uint32_t uidvalidity, const uint32_t *uids,
				     uint32_t uid_count, struct store_changes *messages_r)
{
	return store->v->messages_get(store, name, uidvalidity, uids, uid_count, messages_r);
}

/* ---- changing messages ---- */

enum store_result store_messages_set_flags(struct store *store, const char *name,
					   uint32_t uidvalidity, const uint32_t *uids,
					   uint32_t uid_count,
					   const struct store_flag_change *change,
					   uint32_t **modified_r, uint32_t *modified_count_r)
{
	return store->v->messages_set_flags(store, name, uidvalidity, uids, uid_count, change,
					    modified_r, modified_count_r);
}

enum store_result store_messages_expunge(struct store *store, const char *name,
					 uint32_t uidvalidity, const uint32_t *uids,
					 uint32_t uid_count, uint32_t **expunged_r,
					 uint32_t *expunged_count_r)
{
	return store->v->messages_expunge(store, name, uidvalidity, uids, uid_count,
					  expunged_r, expunged_count_r);
}

enum store_result store_messages_copy(struct store *store, const char *from,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, const char *to, bool move,
				      struct store_copy_result *result_r)
{
	return store->v->messages_copy(store, from, uidvalidity, uids, uid_count, to, move,
				       result_r);
}

void store_copy_result_free(struct store_copy_result *res)
{
	free(res->src_uids);
	free(res->dest_uids);
	memset(res, 0, sizeof(*res));
}

/* ---- adding messages ---- */

enum store_result store_blob_begin(struct store *store, uint64_t expected_size,
				   struct store_blob **blob_r)
{
	return store->v->blob_begin(store, expected_size, blob_r);
}

/* A blob whose begin failed is NULL: writing to it is STORE_INVALID, as
 * every backend would answer. */
enum store_result store_blob_write(struct store_blob *blob, const void *data, size_t len)
{
	return blob == NULL ? STORE_INVALID : blob->v->blob_write(blob, data, len);
}

void store_blob_keep_bytes(struct store_blob *blob)
{
	if (blob != NULL)
		blob->v->blob_keep_bytes(blob);
}

enum store_result store_blob_finish(struct store_blob *blob)
{
	return blob == NULL ? STORE_INVALID : blob->v->blob_finish(blob);
}

void store_blob_free(struct store_blob **blobp)
{
	struct store_blob *blob = *blobp;

	if (blob == NULL)
		return;
	*blobp = NULL;
	blob->v->blob_free(blob);
}

enum store_result store_messages_append(struct store *store, const char *name,
					const struct store_append *messages, unsigned int count,
					uint32_t *uidvalidity_r, uint32_t *uids_r)
{
	return store->v->messages_append(store, name, messages, count, uidvalidity_r, uids_r);
}

/* ---- reading messages ---- */

enum store_result store_messages_read(struct store *store, const char *name,
				      uint32_t uidvalidity, const uint32_t *uids,
				      uint32_t uid_count, unsigned int fields,
				      bool (*cb)(const struct store_message_info *info, void *ctx),
				      void *ctx)
{
	return store->v->messages_read(store, name, uidvalidity, uids, uid_count, fields, cb,
				       ctx);
}

enum store_result store_body_open(struct store *store, const char *name, uint32_t uidvalidity,
				  uint32_t uid, struct store_body **body_r)
{
	return store->v->body_open(store, name, uidvalidity, uid, body_r);
}

uint64_t store_body_size(const struct store_body *body)
{
	return body->v->body_size(body);
}

enum store_result store_body_read(struct store_body *body, uint64_t offset, void *buf,
				  size_t len)
{
	return body->v->body_read(body, offset, buf, len);
}

void store_body_close(struct store_body **bodyp)
{
	struct store_body *body = *bodyp;

	if (body == NULL)
		return;
	*bodyp = NULL;
	body->v->body_close(body);
}

enum store_result store_messages_append_many(struct store *store, struct store_append_set *sets,
					     unsigned int count)
{
	return store->v->messages_append_many(store, sets, count);
}

enum store_result store_mailbox_open(struct store *store, const char *name,
				     uint32_t uidvalidity, struct store_mailbox **box_r)
{
	return store->v->mailbox_open(store, name, uidvalidity, box_r);
}

void store_mailbox_close(struct store_mailbox **boxp)
{
	struct store_mailbox *box = *boxp;

	if (box == NULL)
		return;
	*boxp = NULL;
	box->v->mailbox_close(box);
}

enum store_result store_messages_read_in(struct store *store, const struct store_mailbox *box,
					 const uint32_t *uids, uint32_t uid_count,
					 unsigned int fields,
					 bool (*cb)(const struct store_message_info *info,
						    void *ctx),
					 void *ctx)
{
	return store->v->messages_read_in(store, box, uids, uid_count, fields, cb, ctx);
}

enum store_result store_body_open_in(struct store *store, const struct store_mailbox *box,
				     uint32_t uid, struct store_body **body_r)
{
	return store->v->body_open_in(store, box, uid, body_r);
}

/* ---- searching and the search index ---- */

enum store_result store_mailbox_search_text(struct store *store, const char *name,
					    uint32_t uidvalidity, enum store_text_field field,
					    const char *header_name, const char *needle,
					    uint32_t **uids_r, uint32_t *count_r)
{
	return store->v->mailbox_search_text(store, name, uidvalidity, field, header_name,
					     needle, uids_r, count_r);
}

bool store_index_due(struct store *store)
{
	return store->v->index_due(store);
}

enum store_result store_index_text(const struct store_env *env, const char *user,
				   unsigned int max_batches, const atomic_bool *stop,
				   bool *more_r)
{
	return env->v->index_text(env, user, max_batches, stop, more_r);
}

enum store_result store_train_dicts(const struct store_env *env, const char *user,
				    bool *settled_r)
{
	*settled_r = false;
	return env->v->train_dicts(env, user, settled_r);
}

/* ---- changes by other processes ---- */

enum store_result store_watch_open(const struct store_env *env, struct store_watch **watch_r)
{
	return env->v->watch_open(env, watch_r);
}

int store_watch_fd(const struct store_watch *watch)
{
	return watch->v->watch_fd(watch);
}

enum store_result store_watch_add(struct store_watch *watch, const char *user, void *ctx,
				  struct store_watch_user **wu_r)
{
	return watch->v->watch_add(watch, user, ctx, wu_r);
}

void store_watch_remove(struct store_watch *watch, struct store_watch_user **wup)
{
	struct store_watch_user *wu = *wup;

	if (wu == NULL)
		return;
	*wup = NULL;
	watch->v->watch_remove(watch, wu);
}

bool store_watch_drain(struct store_watch *watch, void (*changed)(void *ctx))
{
	return watch->v->watch_drain(watch, changed);
}

void store_watch_close(struct store_watch **watchp)
{
	struct store_watch *watch = *watchp;

	if (watch == NULL)
		return;
	*watchp = NULL;
	watch->v->watch_close(watch);
}

void store_notify_changed(const struct store_env *env, const char *user)
{
	env->v->notify_changed(env, user);
}
