/* The PostgreSQL backend's table: every user's mail and the user database
 * in one PostgreSQL database, shared by any number of petrel nodes (issue
 * 15). Every entry is here and the whole contract suite passes against it
 * (suite pg-contract); store-env.c offers it once the server, the CLI and
 * the transcript and client suites run on it too (`--store`, issue 15). */
#include "store/pg/pg-store.h"

const struct store_backend store_backend_pg = {
	.name = "postgresql",
	.append_limit = PG_APPEND_LIMIT,

	.env_init = pg_env_init,
	.env_free = pg_env_free,

	.open = pg_open,
	.close = pg_close,
	.read_only = pg_read_only,
	.blob_count = pg_blob_count,
	.change_count = pg_change_count,
	.check = pg_check,

	.quota_get = pg_quota_get,
	.quota_set = pg_quota_set,

	.metadata_get = pg_metadata_get,
	.metadata_set = pg_metadata_set,

	.view_as = pg_view_as,

	.acl_get = pg_acl_get,
	.acl_update = pg_acl_update,
	.acl_forget = pg_acl_forget,

	.mailbox_list = pg_mailbox_list,
	.mailbox_create = pg_mailbox_create,
	.mailbox_delete = pg_mailbox_delete,
	.mailbox_rename = pg_mailbox_rename,
	.mailbox_subscribe = pg_mailbox_subscribe,
	.mailbox_status = pg_mailbox_status,

	.mailbox_snapshot = pg_mailbox_snapshot,
	.mailbox_claim_recent = pg_mailbox_claim_recent,
	.mailbox_changes = pg_mailbox_changes,
	.messages_get = pg_messages_get,

	.messages_set_flags = pg_messages_set_flags,
	.messages_expunge = pg_messages_expunge,
	.messages_copy = pg_messages_copy,

	.blob_begin = pg_blob_begin,
	.blob_write = pg_blob_write,
	.blob_keep_bytes = pg_blob_keep_bytes,
	.blob_finish = pg_blob_finish,
	.blob_free = pg_blob_free,
	.messages_append = pg_messages_append,
	.messages_append_many = pg_messages_append_many,

	.messages_read = pg_messages_read,
	.body_open = pg_body_open,
	.body_size = pg_body_size,
	.body_read = pg_body_read,
	.body_close = pg_body_close,

	.mailbox_open = pg_mailbox_open,
	.mailbox_close = pg_mailbox_close,
	.messages_read_in = pg_messages_read_in,
	.body_open_in = pg_body_open_in,

	.mailbox_search_text = pg_mailbox_search_text,
	.index_due = pg_index_due,
	.index_text = pg_index_text,
	.train_dicts = pg_train_dicts,

	.watch_open = pg_watch_open,
	.watch_fd = pg_watch_fd,
	.watch_add = pg_watch_add,
	.watch_remove = pg_watch_remove,
	.watch_drain = pg_watch_drain,
	.watch_close = pg_watch_close,
	.notify_changed = pg_notify_changed,

	.users_open = pg_users_open,
	.users_close = pg_users_close,
	.users_secret = pg_users_secret,
	.users_write = pg_users_write,
	.users_delete = pg_users_delete,
	.users_list = pg_users_list,
	.users_get = pg_users_get,
	.users_store_created = pg_users_store_created,
	.users_set_store_created = pg_users_set_store_created,
	.users_share_set = pg_users_share_set,
	.users_sharing_with = pg_users_sharing_with,
};
