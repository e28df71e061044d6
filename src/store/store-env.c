/* The configured backend and its location (store.h store_env_open()):
 * looked up by name once at start, so nothing later depends on which
 * backend it is. Never touches storage. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/store-backend.h"

/* The backends compiled in, by the name the config key `store` gives. */
static const struct store_backend *const store_backends[] = {
	&store_backend_sqlite,
};

#define STORE_BACKEND_COUNT (sizeof(store_backends) / sizeof(store_backends[0]))

enum store_result store_env_open(const char *spec, const char *location,
				 struct store_env **env_r, char *err, size_t err_size)
{
	const struct store_backend *v = NULL;
	struct store_env *env;

	*env_r = NULL;
	if (spec == NULL)
		spec = STORE_BACKEND_DEFAULT;
	for (size_t i = 0; i < STORE_BACKEND_COUNT && v == NULL; i++) {
		if (strcmp(store_backends[i]->name, spec) == 0)
			v = store_backends[i];
	}
	if (v == NULL) {
		/* A fixed list: one backend now, so no loop over names. */
		snprintf(err, err_size, "unknown store backend \"%.64s\" (known: sqlite)", spec);
		return STORE_INVALID;
	}
	if (location == NULL || location[0] == '\0') {
		snprintf(err, err_size, "store \"%s\" needs a location (the data directory)",
			 v->name);
		return STORE_INVALID;
	}
	env = xcalloc(1, sizeof(*env));
	env->v = v;
	env->location = xstrdup(location);
	env->append_limit = v->append_limit;
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		env->quota[i] = STORE_QUOTA_NONE;
	if (v->env_init != NULL) {
		enum store_result r = v->env_init(env, err, err_size);

		if (r != STORE_OK) {
			free(env->location);
			free(env);
			return r;
		}
	}
	*env_r = env;
	return STORE_OK;
}

void store_env_free(struct store_env **envp)
{
	struct store_env *env = *envp;

	if (env == NULL)
		return;
	*envp = NULL;
	if (env->v->env_free != NULL)
		env->v->env_free(env);
	free(env->location);
	free(env);
}

const char *store_env_backend(const struct store_env *env)
{
	return env->v->name;
}

uint64_t store_append_limit(const struct store_env *env)
{
	return env->append_limit;
}

void store_env_set_quota(struct store_env *env, const uint64_t limit[STORE_QUOTA_RESOURCES])
{
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++)
		env->quota[i] = limit[i] > STORE_QUOTA_LIMIT_MAX ? STORE_QUOTA_NONE : limit[i];
}
