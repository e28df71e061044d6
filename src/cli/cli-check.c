/* `petrel check --data DIR [USER|--public]`: verifies every user's store
 * and the public mailboxes' (reported as user "#public"), or one, reading
 * only (opening a store may run its daily maintenance, which
 * removes orphan body files). Prints "USER: ok" or one line per problem;
 * exit 0 when all are clean, 1 when a problem was found or a store cannot
 * be read, 2 on usage errors. A user who never had a store (users.db) is
 * reported as "no store yet", not created; one whose store.db is gone or
 * empty is "store missing". Reaches the store only through store.h, so it
 * checks whichever backend the env names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/passdb.h"
#include "cli/cli.h"
#include "core/log.h"
#include "store/store-users.h"
#include "store/store.h"

struct check_run {
	const struct store_env *env;
	const char *user;       /* current */
	unsigned int problems;
	unsigned int failed;
};

void cli_check_usage(FILE *out)
{
	fprintf(out, "usage: petrel check --data DIR [USER|--public]\n"
		"Verifies the mail store of every user and of the public mailboxes (shown\n"
		"as #public), or of USER: database integrity,\n"
		"counters, UIDs and modseqs, and every message body. Exit 0 when clean.\n");
}

static void check_report(const char *problem, void *ctx)
{
	struct check_run *run = ctx;

	printf("%s: %s\n", run->user, problem);
	run->problems++;
}

static void check_user(const char *user, void *ctx)
{
	struct check_run *run = ctx;
	char err[256];
	struct store *store;
	unsigned int before = run->problems;
	bool created = false;

	run->user = user;
	if (passdb_store_created(run->env, user, &created) == PASSDB_ERROR) {
		printf("%s: cannot read the user database\n", user);
		run->failed++;
		return;
	}
	/* Never creates one: a store users.db says was made and that is
	 * gone or empty is reported (STORE_MISSING); one it says was never
	 * made is checked only if it is there after all. */
	enum store_result r = store_open(run->env, user, 0, &store, err, sizeof(err));
	if (r == STORE_MISSING && !created) {
		printf("%s: no store yet\n", user);
		return;
	}
	if (r == STORE_MISSING) {
		printf("%s: store missing: %s\n", user, err);
		run->problems++;
		return;
	}
	if (r != STORE_OK) {
		printf("%s: cannot open store: %s\n", user, err);
		run->failed++;
		return;
	}
	if (store_read_only(store)) {
		printf("%s: store damaged: read-only until repaired\n", user);
		run->problems++;
	}
	r = store_check(store, check_report, run);
	store_close(&store);
	if (r != STORE_OK && run->problems == before) {
		printf("%s: check failed: %s\n", user, store_result_name(r));
		run->failed++;
	} else if (run->problems == before) {
		printf("%s: ok\n", user);
	}
}

int cli_check_main(int argc, char **argv)
{
	struct check_run run = { 0 };
	const char *user = NULL, *data_dir = NULL;
	struct store_env *env;
	struct passdb *db;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data_dir = argv[++i];
		else if (strncmp(argv[i], "--data=", 7) == 0 && argv[i][7] != '\0')
			data_dir = argv[i] + 7;
		else if (strcmp(argv[i], CLI_PUBLIC_FLAG) == 0 && user == NULL)
			user = STORE_PUBLIC_OWNER;
		else if (argv[i][0] != '-' && user == NULL)
			user = argv[i];
		else {
			cli_check_usage(stderr);
			return 2;
		}
	}
	if (data_dir == NULL) {
		cli_check_usage(stderr);
		return 2;
	}
	log_set_level(LOG_WARN);
	if (store_env_open(NULL, data_dir, &env, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "petrel: %s\n", err);
		return 1;
	}
	run.env = env;
	if (passdb_open(env, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "petrel: %s\n", err);
		store_env_free(&env);
		return 1;
	}
	if (user != NULL) {
		if (!passdb_valid_owner(user)) {
			fprintf(stderr, "petrel: invalid user name\n");
			passdb_close(&db);
			store_env_free(&env);
			return 1;
		}
		check_user(user, &run);
	} else {
		bool public = false;

		if (passdb_user_list(db, check_user, &run) != PASSDB_OK) {
			fprintf(stderr, "petrel: cannot list users\n");
			run.failed++;
		}
		/* The public mailboxes, once there are any. */
		if (passdb_store_created(env, STORE_PUBLIC_OWNER, &public) != PASSDB_OK || public)
			check_user(STORE_PUBLIC_OWNER, &run);
	}
	passdb_close(&db);
	store_env_free(&env);
	return run.problems == 0 && run.failed == 0 ? 0 : 1;
}
