/* The PostgreSQL backend's pools, one per conninfo per process: struct
 * store_env is the same for every backend (store-backend.h) and holds no
 * backend state, so the pool of an env is found here by its location.
 * The first use of a conninfo connects and brings the schema up to date;
 * a failure leaves nothing behind, so the next use tries again. */
#include "store/pg/pg-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/pg/pg-schema.h"

struct pg_env_pool {
	char *conninfo;
	struct pg_pool *pool;
	struct pg_env_pool *next;
};

/* Guards the list; held while a first use connects, so two threads
 * never make two pools for one conninfo. */
static pthread_mutex_t pg_env_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pg_env_pool *pg_env_pools;

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
	struct pg_env_pool *p;
	enum store_result ret = STORE_OK;

	*pool_r = NULL;
	pthread_mutex_lock(&pg_env_lock);
	for (p = pg_env_pools; p != NULL; p = p->next) {
		if (strcmp(p->conninfo, env->location) == 0)
			break;
	}
	if (p == NULL) {
		struct pg_pool *pool;

		ret = pg_env_make(env->location, &pool, err, err_size);
		if (ret == STORE_OK) {
			p = xcalloc(1, sizeof(*p));
			p->conninfo = xstrdup(env->location);
			p->pool = pool;
			p->next = pg_env_pools;
			pg_env_pools = p;
		}
	}
	if (p != NULL)
		*pool_r = p->pool;
	pthread_mutex_unlock(&pg_env_lock);
	return ret;
}

void pg_env_shutdown(void)
{
	pthread_mutex_lock(&pg_env_lock);
	while (pg_env_pools != NULL) {
		struct pg_env_pool *p = pg_env_pools;

		pg_env_pools = p->next;
		pg_pool_close(&p->pool);
		free(p->conninfo);
		free(p);
	}
	pthread_mutex_unlock(&pg_env_lock);
}

struct store_env *pg_env_new(const char *conninfo)
{
	struct store_env *env = xcalloc(1, sizeof(*env));

	env->v = &store_backend_pg;
	env->location = xstrdup(conninfo);
	env->append_limit = store_backend_pg.append_limit;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		env->quota[i] = STORE_QUOTA_NONE;
	return env;
}
