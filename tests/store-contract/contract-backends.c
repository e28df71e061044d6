/* The backends the contract runs against, chosen by name (--backend). Each
 * says only how to get an empty place for stores and how to open one: the
 * suite never looks inside a store. A backend is added here, nowhere else. */
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "contract.h"
#include "store/pg/pg-private.h"
#include "store/store-users.h"

/* ---- sqlite: one store per user under a temporary data directory ---- */

struct sqlite_env {
	char data_dir[64];
	struct store_env *store;   /* the backend "sqlite" at data_dir */
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static bool sqlite_setup(void **env_r)
{
	struct sqlite_env *env = calloc(1, sizeof(*env));

	if (env == NULL)
		return false;
	snprintf(env->data_dir, sizeof(env->data_dir), "/tmp/petrel-contract-XXXXXX");
	if (mkdtemp(env->data_dir) == NULL) {
		perror("mkdtemp");
		free(env);
		return false;
	}
	char err[256] = "";

	if (store_env_open("sqlite", env->data_dir, &env->store, err, sizeof(err)) != STORE_OK) {
		printf("store_env_open: %s\n", err);
		rmdir(env->data_dir);
		free(env);
		return false;
	}
	/* The user database, as a server's start makes it. */
	struct store_users *users = NULL;

	if (store_users_open(env->store, &users, err, sizeof(err)) != STORE_OK) {
		printf("store_users_open: %s\n", err);
		store_env_free(&env->store);
		nftw(env->data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(env);
		return false;
	}
	store_users_close(&users);
	*env_r = env;
	return true;
}

/* The one call of store_open() in the suite. */
static enum store_result sqlite_open(void *env_p, const char *user, struct store **store_r)
{
	struct sqlite_env *env = env_p;
	char err[256] = "";
	enum store_result r = store_open(env->store, user, STORE_OPEN_CREATE, store_r, err,
					 sizeof(err));

	if (r != STORE_OK)
		printf("store_open %s: %s: %s\n", user, store_result_name(r), err);
	return r;
}

static enum store_result sqlite_index(void *env_p, const char *user)
{
	struct sqlite_env *env = env_p;
	bool more = false;

	return store_index_text(env->store, user, 0, NULL, &more);
}

static const struct store_env *sqlite_store_env(void *env_p)
{
	return ((struct sqlite_env *)env_p)->store;
}

static void sqlite_teardown(void **env_p)
{
	struct sqlite_env *env = *env_p;

	if (env == NULL)
		return;
	store_env_free(&env->store);
	nftw(env->data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(env);
	*env_p = NULL;
}

/* ---- postgres: every store in one PostgreSQL database ----
 * The database (PETREL_PG_CONNINFO, a libpq conninfo) must be empty:
 * tests/pg/test_pg_contract.py makes a fresh one per run. pg_env_new():
 * the contract may, like the unit tests, reach a backend store-env.c does
 * not offer yet (pg-private.h). */

struct postgres_env {
	struct store_env *store;
};

static bool postgres_setup(void **env_r)
{
	const char *conninfo = getenv("PETREL_PG_CONNINFO");
	struct postgres_env *env;
	struct store_users *users = NULL;
	char err[256] = "";

	if (conninfo == NULL || conninfo[0] == '\0') {
		printf("postgres: PETREL_PG_CONNINFO is not set (the database to run against)\n");
		return false;
	}
	env = calloc(1, sizeof(*env));
	if (env == NULL)
		return false;
	env->store = pg_env_new(conninfo);
	/* The user database, as a server's start makes it (and the schema). */
	if (store_users_open(env->store, &users, err, sizeof(err)) != STORE_OK) {
		printf("store_users_open: %s\n", err);
		store_env_free(&env->store);
		free(env);
		return false;
	}
	store_users_close(&users);
	*env_r = env;
	return true;
}

static enum store_result postgres_open(void *env_p, const char *user, struct store **store_r)
{
	struct postgres_env *env = env_p;
	char err[256] = "";
	enum store_result r = store_open(env->store, user, STORE_OPEN_CREATE, store_r, err,
					 sizeof(err));

	if (r != STORE_OK)
		printf("store_open %s: %s: %s\n", user, store_result_name(r), err);
	return r;
}

static const struct store_env *postgres_store_env(void *env_p)
{
	return ((struct postgres_env *)env_p)->store;
}

static void postgres_teardown(void **env_p)
{
	struct postgres_env *env = *env_p;

	if (env == NULL)
		return;
	store_env_free(&env->store);
	free(env);
	*env_p = NULL;
}

static const struct contract_backend backends[] = {
	{
		.name = "sqlite",
		.setup = sqlite_setup,
		.open = sqlite_open,
		.index = sqlite_index,
		.teardown = sqlite_teardown,
		.store_env = sqlite_store_env,
	},
	{
		.name = "postgres",
		.setup = postgres_setup,
		.open = postgres_open,
		.index = NULL,     /* search text is indexed at delivery (pg-schema.c) */
		.teardown = postgres_teardown,
		.store_env = postgres_store_env,
	},
};

const struct contract_backend *contract_backend_find(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i].name, name) == 0)
			return &backends[i];
	}
	return NULL;
}

void contract_backend_names(FILE *out)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		fprintf(out, "%s%s", i ? ", " : "", backends[i].name);
}
