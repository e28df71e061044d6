/* The PostgreSQL backend's table: every user's mail and the user database
 * in one PostgreSQL database, shared by any number of petrel nodes (issue
 * 15). Being built: the user database, and the store itself are here; the
 * mailbox and message entries are NULL, so
 * store-env.c does not offer it yet (pg-private.h). */
#include "store/pg/pg-private.h"

const struct store_backend store_backend_pg = {
	.name = "postgresql",

	.env_init = pg_env_init,
	.env_free = pg_env_free,

	.open = pg_open,
	.close = pg_close,
	.read_only = pg_read_only,
	.blob_count = pg_blob_count,
	.change_count = pg_change_count,
	.check = pg_check,

	.view_as = pg_view_as,

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
