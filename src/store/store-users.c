/* The user database's public functions (store-users.h): each dispatches
 * through the backend table, as store.c does for the mail. */
#include "store/store-users.h"

#include "store/store-backend.h"

enum store_result store_users_open(const struct store_env *env, struct store_users **users_r,
				   char *err, size_t err_size)
{
	return env->v->users_open(env, users_r, err, err_size);
}

void store_users_close(struct store_users **usersp)
{
	struct store_users *users = *usersp;

	if (users == NULL)
		return;
	*usersp = NULL;
	users->v->users_close(users);
}

const unsigned char *store_users_secret(const struct store_users *users)
{
	return users->v->users_secret(users);
}

enum store_result store_users_write(struct store_users *users, const char *name,
				    const struct store_user_record *record, bool add)
{
	return users->v->users_write(users, name, record, add);
}

enum store_result store_users_delete(struct store_users *users, const char *name)
{
	return users->v->users_delete(users, name);
}

enum store_result store_users_list(struct store_users *users,
				   void (*cb)(const char *name, void *ctx), void *ctx)
{
	return users->v->users_list(users, cb, ctx);
}

enum store_result store_users_get(struct store_users *users, const char *name,
				  struct store_user_record *record_r)
{
	return users->v->users_get(users, name, record_r);
}

enum store_result store_users_store_created(const struct store_env *env, const char *name,
					    bool *created_r)
{
	return env->v->users_store_created(env, name, created_r);
}

enum store_result store_users_share_set(const struct store_env *env, const char *owner,
					const char *grantee, bool shares)
{
	return env->v->users_share_set(env, owner, grantee, shares);
}

enum store_result store_users_sharing_with(const struct store_env *env, const char *user,
					   void (*cb)(const char *owner, void *ctx), void *ctx)
{
	return env->v->users_sharing_with(env, user, cb, ctx);
}

enum store_result store_users_set_store_created(const struct store_env *env, const char *name)
{
	return env->v->users_set_store_created(env, name);
}
