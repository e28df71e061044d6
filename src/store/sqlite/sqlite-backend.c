/* The embedded backend's table: one SQLite database per user under the
 * data directory (sqlite-store.c) and DATA/users.db for the user database
 * (sqlite-users.c). The only name the rest of the store sees. */
#include "store/sqlite/sqlite-private.h"

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.append_limit = SQ_APPEND_LIMIT,

	.open = sq_open,
	.close = sq_close,
	.read_only = sq_read_only,
	.blob_count = sq_blob_count,
	.change_count = sq_change_count,
	.check = sq_store_check,

	.quota_get = sq_quota_get,
	.quota_set = sq_quota_set,

	.metadata_get = sq_metadata_get,
	.metadata_set = sq_metadata_set,
	.view_as = sq_view_as,
	.acl_get = sq_acl_get,
	.acl_update = sq_acl_update,
	.acl_forget = sq_acl_forget,

	.mailbox_list = sq_mailbox_list,
	.mailbox_create = sq_mailbox_create,
	.mailbox_delete = sq_mailbox_delete,
	.mailbox_rename = sq_mailbox_rename,
	.mailbox_subscribe = sq_mailbox_subscribe,
	.mailbox_status = sq_mailbox_status,

	.mailbox_snapshot = sq_mailbox_snapshot,
	.mailbox_claim_recent = sq_mailbox_claim_recent,
	.mailbox_changes = sq_mailbox_changes,
	.messages_get = sq_messages_get,

	.messages_set_flags = sq_messages_set_flags,
	.messages_expunge = sq_messages_expunge,
	.messages_copy = sq_messages_copy,

	.blob_begin = sq_blob_begin,
	.blob_write = sq_blob_write,
	.blob_keep_bytes = sq_blob_keep_bytes,
	.blob_finish = sq_blob_finish,
	.blob_free = sq_blob_free,
	.messages_append = sq_messages_append,

	.messages_read = sq_messages_read,
	.body_open = sq_message_body_open,
	.body_size = sq_body_size,
	.body_read = sq_body_read,
	.body_close = sq_body_close,
	.messages_append_many = sq_messages_append_many,
	.mailbox_open = sq_mailbox_open,
	.mailbox_close = sq_mailbox_close,
	.messages_read_in = sq_messages_read_in,
	.body_open_in = sq_body_open_in,

	.mailbox_search_text = sq_mailbox_search_text,
	.index_due = sq_index_due,
	.index_text = sq_index_text,
	.train_dicts = sq_train_dicts,

	.watch_open = sq_watch_open,
	.watch_fd = sq_watch_fd,
	.watch_add = sq_watch_add,
	.watch_remove = sq_watch_remove,
	.watch_drain = sq_watch_drain,
	.watch_close = sq_watch_close,
	.notify_changed = sq_notify_changed,

	.env_init = sq_env_init,
	.env_free = sq_env_free,
	.users_open = sq_users_open,
	.users_close = sq_users_close,
	.users_secret = sq_users_secret,
	.users_write = sq_users_write,
	.users_delete = sq_users_delete,
	.users_list = sq_users_list,
	.users_get = sq_users_get,
	.users_store_created = sq_users_store_created,
	.users_set_store_created = sq_users_set_store_created,
	.users_share_set = sq_users_share_set,
	.users_sharing_with = sq_users_sharing_with,
};
