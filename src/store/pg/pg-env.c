/* The PostgreSQL backend's state of an env (store-backend.h backend_state):
 * its pool of connections to env->location, made on first use, not by
 * store_env_open() (which touches no storage). The first use connects and
 * brings the schema up to date; a failure leaves nothing behind, so the
 * next use tries again. The pool is closed with the env. */
#include "store/pg/pg-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/pg/pg-notify.h"
#include "store/pg/pg-schema.h"

struct pg_env_state {
	/* Held while a first use connects, so two threads never make two
	 * pools for one env. */
	pthread_mutex_t lock;
	struct pg_pool *pool;
	struct pg_notifier *notifier;   /* its own connection, made on first use */
};

enum store_result pg_env_init(struct store_env *env, char *err, size_t err_size)
{
	struct pg_env_state *state = xcalloc(1, sizeof(*state));

	(void)err;
	(void)err_size;
	pthread_mutex_init(&state->lock, NULL);
	state->notifier = pg_notifier_new(env->location);
	env->backend_state = state;
	return STORE_OK;
}

void pg_env_free(struct store_env *env)
{
	struct pg_env_state *state = env->backend_state;

	if (state == NULL)
		return;
	env->backend_state = NULL;
	pg_notifier_free(&state->notifier);
	pg_pool_close(&state->pool);
	pthread_mutex_destroy(&state->lock);
	free(state);
}

static enum store_result pg_env_make(const char *conninfo, struct pg_pool **pool_r,
				     char *err, size_t err_size)
{
	struct pg_lease *lease;
	enum store_result ret;

	ret = pg_pool_open(conninfo, PG_POOL_SIZE_DEFAULT, PG_POOL_ACQUIRE_MS_DEFAULT, pool_r,
			   err, err_size);
	if (ret != STORE_OK)
		return ret;
	ret = pg_pool_acquire(*pool_r, &lease);
	if (ret == STORE_OK) {
		ret = pg_schema_ensure(lease, NULL, err, err_size);
		pg_pool_release(*pool_r, &lease);
	} else {
		snprintf(err, err_size, "no connection to PostgreSQL (see log)");
	}
	if (ret != STORE_OK)
		pg_pool_close(pool_r);
	return ret;
}

enum store_result pg_env_pool(const struct store_env *env, struct pg_pool **pool_r, char *err,
			      size_t err_size)
{
	struct pg_env_state *state = env->backend_state;
	enum store_result ret = STORE_OK;

	*pool_r = NULL;
	pthread_mutex_lock(&state->lock);
	if (state->pool == NULL)
		ret = pg_env_make(env->location, &state->pool, err, err_size);
	*pool_r = state->pool;
	pthread_mutex_unlock(&state->lock);
	return ret;
}

struct pg_notifier *pg_env_notifier(const struct store_env *env)
{
	return ((struct pg_env_state *)env->backend_state)->notifier;
}

struct store_env *pg_env_new(const char *conninfo)
{
	struct store_env *env = xcalloc(1, sizeof(*env));
	char err[8];

	env->v = &store_backend_pg;
	env->location = xstrdup(conninfo);
	env->append_limit = store_backend_pg.append_limit;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		env->quota[i] = STORE_QUOTA_NONE;
	(void)pg_env_init(env, err, sizeof(err));   /* cannot fail */
	return env;
}
