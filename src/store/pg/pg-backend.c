/* The PostgreSQL backend's table: every user's mail and the user database
 * in one PostgreSQL database, shared by any number of petrel nodes (issue
 * 15). Being built: the user database is here, the mail entries are NULL,
 * so store-env.c does not offer it yet (pg-private.h). */
#include "store/pg/pg-private.h"

const struct store_backend store_backend_pg = {
	.name = "postgresql",

	.env_init = pg_env_init,
	.env_free = pg_env_free,

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
