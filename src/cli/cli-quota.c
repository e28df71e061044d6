/* `petrel quota get|set USER|--public ... --data DIR [--config FILE]`: a
 * user's quota, or the public mailboxes' (store.h "quota"). get prints one line per resource:
 *   RESOURCE USAGE LIMIT SOURCE
 * with STORAGE in KiB (rounded up, as IMAP shows it), LIMIT a number or
 * "none", SOURCE "own" (the user's) or "default" (the config's quota_*
 * keys, read from --config). set takes RESOURCE=VALUE arguments, VALUE a
 * limit (STORAGE: a size with K, M, G or T, KiB without), "none" or
 * "default"; resources not named keep their setting. The store is written
 * in one transaction, so a running server's next delivery obeys it. Exit
 * status: 0 done, 1 failed (no such user, store error), 2 usage. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/passdb.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store-users.h"
#include "store/store.h"
#include "user/mail-user.h"

void cli_quota_usage(FILE *out)
{
	fprintf(out,
		"usage: petrel quota get USER|--public --data DIR [--config FILE]\n"
		"       petrel quota set USER|--public RESOURCE=VALUE... --data DIR [--config FILE]\n"
		"--public: the public mailboxes' quota.\n"
		"RESOURCE: STORAGE (KiB; VALUE may end in K, M, G or T), MESSAGE, MAILBOX.\n"
		"VALUE: a limit, none (no limit) or default (the config's quota_* key).\n"
		"get prints RESOURCE USAGE LIMIT SOURCE per line (SOURCE: own or default).\n");
}

void cli_store_env_quota(struct store_env *env, const struct petrel_config *cfg)
{
	const uint64_t quota[STORE_QUOTA_RESOURCES] = {
		[STORE_QUOTA_STORAGE] = cfg->quota_storage_kib,
		[STORE_QUOTA_MESSAGE] = cfg->quota_messages,
		[STORE_QUOTA_MAILBOX] = cfg->quota_mailboxes,
	};

	store_env_set_quota(env, quota);
}

/* RESOURCE=VALUE into own[]; false (said on stderr) if it is not one. */
static bool quota_assignment(const char *arg, uint64_t own[STORE_QUOTA_RESOURCES])
{
	const char *eq = strchr(arg, '=');
	int res = -1;

	for (int i = 0; eq != NULL && i < STORE_QUOTA_RESOURCES; i++) {
		const char *name = store_quota_resource_name((enum store_quota_resource)i);

		if (strlen(name) == (size_t)(eq - arg) && strncasecmp(arg, name, strlen(name)) == 0)
			res = i;
	}
	if (res < 0) {
		fprintf(stderr, "petrel: '%.60s': expected STORAGE=, MESSAGE= or MAILBOX=\n", arg);
		return false;
	}
	if (strcasecmp(eq + 1, "default") == 0) {
		own[res] = STORE_QUOTA_DEFAULT;
		return true;
	}
	if (!config_parse_limit(eq + 1, res == STORE_QUOTA_STORAGE, &own[res])) {
		fprintf(stderr, "petrel: '%.60s': expected a limit, none or default\n", arg);
		return false;
	}
	return true;
}

static void quota_print(const struct store_quota *q)
{
	for (int i = 0; i < STORE_QUOTA_RESOURCES; i++) {
		uint64_t usage = i == STORE_QUOTA_STORAGE ? store_quota_kib(q->usage[i]) : q->usage[i];

		printf("%s %llu ", store_quota_resource_name((enum store_quota_resource)i),
		       (unsigned long long)usage);
		if (q->limit[i] == STORE_QUOTA_NONE)
			printf("none");
		else
			printf("%llu", (unsigned long long)q->limit[i]);
		printf(" %s\n", q->own[i] == STORE_QUOTA_DEFAULT ? "default" : "own");
	}
}

static int quota_run(const struct store_env *env, bool set, const char *user,
		     char **assignments, int assignment_count)
{
	struct store *store = NULL;
	struct store_quota q;
	enum store_result r;
	int code = cli_user_store_open(env, user, false, &store);

	if (code != 0)
		return code;
	r = store_quota_get(store, &q);
	if (r == STORE_OK && set) {
		uint64_t own[STORE_QUOTA_RESOURCES];

		memcpy(own, q.own, sizeof(own));
		for (int i = 0; i < assignment_count; i++) {
			if (!quota_assignment(assignments[i], own)) {
				store_close(&store);
				return 2;
			}
		}
		r = store_quota_set(store, own);
		if (r == STORE_OK)
			r = store_quota_get(store, &q);
	}
	if (r == STORE_OK)
		quota_print(&q);
	else
		fprintf(stderr, "petrel: quota: %s\n", store_result_name(r));
	store_close(&store);
	return r == STORE_OK ? 0 : 1;
}

int cli_quota_main(int argc, char **argv)
{
	const char *data_dir = NULL, *config_file = NULL, *user = NULL;
	char *assignments[STORE_QUOTA_RESOURCES * 4];
	int assignment_count = 0;
	bool set = argc >= 2 && strcmp(argv[1], "set") == 0;
	bool usage = argc < 2 || (!set && strcmp(argv[1], "get") != 0);
	struct petrel_config cfg;
	struct store_env *env;
	int code;

	for (int i = 2; !usage && i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data_dir = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_file = argv[++i];
		else if (strcmp(argv[i], CLI_PUBLIC_FLAG) == 0 && user == NULL)
			user = STORE_PUBLIC_OWNER;
		else if (argv[i][0] == '-')
			usage = true;
		else if (user == NULL)
			user = argv[i];
		else if (set && assignment_count < (int)(sizeof(assignments) / sizeof(assignments[0])))
			assignments[assignment_count++] = argv[i];
		else
			usage = true;
	}
	if (set && assignment_count == 0)
		usage = true;
	code = cli_env_open(config_file, data_dir, usage || user == NULL, cli_quota_usage, &cfg,
			    &env);
	if (code != 0)
		return code;
	cli_store_env_quota(env, &cfg);
	code = quota_run(env, set, user, assignments, assignment_count);
	store_env_free(&env);
	config_free(&cfg);
	return code;
}
