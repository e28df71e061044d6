/* What the store subcommands share (quota, acl): the config and the store
 * env, and a user's store (cli.h). */
#include <stdio.h>
#include <string.h>

#include "auth/passdb.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store-users.h"
#include "store/store.h"
#include "user/mail-user.h"

int cli_env_open(const char *config_file, const char *data_dir, bool usage,
		 void (*usage_fn)(FILE *out), struct petrel_config *cfg, struct store_env **env_r)
{
	char err[CONFIG_ERR_MAX];

	config_init_defaults(cfg);
	if (!usage && config_file != NULL && !config_load_file(cfg, config_file, err, sizeof(err))) {
		fprintf(stderr, "petrel: %s\n", err);
		config_free(cfg);
		return 2;
	}
	if (data_dir == NULL)
		data_dir = cfg->data_dir;
	if (usage || data_dir == NULL) {
		usage_fn(stderr);
		config_free(cfg);
		return 2;
	}
	log_set_level(LOG_WARN);
	if (store_env_open(cfg->store, data_dir, env_r, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "petrel: %s\n", err);
		config_free(cfg);
		return 2;
	}
	return 0;
}

/* The public mailboxes' store: made by the first command that creates a
 * public mailbox (create), otherwise only opened if it was ever made. */
static int cli_public_store_open(const struct store_env *env, bool create,
				 struct store **store_r)
{
	char err[256];
	bool created = false;

	if (!create && (passdb_store_created(env, STORE_PUBLIC_OWNER, &created) != PASSDB_OK ||
			!created)) {
		fprintf(stderr, "petrel: there are no public mailboxes\n");
		return 1;
	}
	if (mail_user_store_open(env, STORE_PUBLIC_OWNER, store_r, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "petrel: cannot open the public store: %s\n", err);
		return 1;
	}
	return 0;
}

int cli_user_store_open(const struct store_env *env, const char *user, bool create_public,
			struct store **store_r)
{
	struct passdb *db;
	struct scram_creds creds;
	char err[256];
	enum passdb_result pr;

	if (strcmp(user, STORE_PUBLIC_OWNER) == 0)
		return cli_public_store_open(env, create_public, store_r);
	if (!passdb_valid_username(user)) {
		fprintf(stderr, "petrel: no such user\n");
		return 1;
	}
	if (passdb_open(env, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "petrel: %s\n", err);
		return 1;
	}
	pr = passdb_scram_lookup(db, user, &creds);
	passdb_close(&db);
	if (pr != PASSDB_OK) {
		fprintf(stderr, "petrel: %s\n", pr == PASSDB_NO_USER ? "no such user" :
			"cannot read the user database");
		return 1;
	}
	if (mail_user_store_open(env, user, store_r, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "petrel: cannot open the store: %s\n", err);
		return 1;
	}
	return 0;
}

bool cli_owner_args_parse(int argc, char **argv, const char *const *verbs,
			  const int *arg_counts, int verb_count, bool dash_args,
			  struct cli_owner_args *a)
{
	int count = 0;

	*a = (struct cli_owner_args){ .verb = -1 };
	for (int v = 0; argc >= 2 && v < verb_count; v++) {
		if (strcmp(argv[1], verbs[v]) == 0)
			a->verb = v;
	}
	if (a->verb < 0)
		return false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			a->data_dir = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			a->config_file = argv[++i];
		else if (strcmp(argv[i], CLI_PUBLIC_FLAG) == 0 && a->owner == NULL)
			a->owner = STORE_PUBLIC_OWNER;
		else if (argv[i][0] == '-' && (!dash_args || a->owner == NULL))
			return false;
		else if (a->owner == NULL)
			a->owner = argv[i];
		else if (count < arg_counts[a->verb] && count < CLI_OWNER_ARGS_MAX)
			a->args[count++] = argv[i];
		else
			return false;
	}
	return a->owner != NULL && count == arg_counts[a->verb];
}
