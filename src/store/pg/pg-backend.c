/* The PostgreSQL backend's table: every user's mail and the user database
 * in one PostgreSQL database, shared by any number of petrel nodes (issue
 * 15). Being built: the user database is here, the mail entries are NULL,
 * so store-env.c does not offer it yet (pg-private.h). */
#include "store/pg/pg-private.h"

const struct store_backend store_backend_pg = {
	.name = "postgresql",

	.env_init = pg_env_init,
	.env_free = pg_env_free,

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
