/* Subcommands of the petrel binary (the command-line contract of README.md:
 * tooling outside the code relies on it, keep it stable). Each returns the
 * process exit status: 0 ok, 1 operation failed, 2 usage error (deliver:
 * sysexits codes). */
#ifndef PETREL_CLI_H
#define PETREL_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct petrel_config;
struct store;
struct store_env;

/* argv[0] is "user"; argv[1] the action (add, passwd, del, list). */
int cli_user_main(int argc, char **argv);
/* The text of `petrel help user`. */
void cli_user_usage(FILE *out);
/* argv[0] is "check": petrel check --data DIR [USER]. */
int cli_check_main(int argc, char **argv);
void cli_check_usage(FILE *out);
/* argv[0] is "deliver": petrel deliver USER [--mailbox NAME] --data DIR.
 * Returns a sysexits(3) code (the contract MTAs expect of a delivery
 * agent), unlike the other subcommands. */
int cli_deliver_main(int argc, char **argv);
void cli_deliver_usage(FILE *out);
/* argv[0] is "quota": petrel quota get|set USER|--public ... --data DIR [--config FILE]. */
int cli_quota_main(int argc, char **argv);
void cli_quota_usage(FILE *out);
/* argv[0] is "acl": petrel acl get|set|delete USER|--public MAILBOX [IDENTIFIER [RIGHTS]]. */
int cli_acl_main(int argc, char **argv);
void cli_acl_usage(FILE *out);
/* argv[0] is "mailbox": petrel mailbox list|create|delete|rename USER|--public ... */
int cli_mailbox_main(int argc, char **argv);
void cli_mailbox_usage(FILE *out);
/* quota and acl: the config file (if any) into cfg and the store env at
 * data_dir (the config's data when NULL). 0, else 2 after saying why
 * (usage_fn's text when usage or no data directory); on 0 the caller
 * frees env and cfg. */
int cli_env_open(const char *config_file, const char *data_dir, bool usage,
		 void (*usage_fn)(FILE *out), struct petrel_config *cfg, struct store_env **env_r);
/* The store of a user users.db knows (quota, acl, mailbox), or of the
 * public mailboxes for user STORE_PUBLIC_OWNER (`--public` in place of
 * USER; their store is made only when create_public): 0, else the exit
 * status after saying why on stderr. */
int cli_user_store_open(const struct store_env *env, const char *user, bool create_public,
			struct store **store_r);
/* `--public`, which stands for USER in the commands that take one. */
#define CLI_PUBLIC_FLAG "--public"

/* `petrel acl|mailbox VERB USER|--public ARG... --data DIR [--config
 * FILE]`, the options anywhere after VERB. */
#define CLI_OWNER_ARGS_MAX 3
struct cli_owner_args {
	int verb;                      /* index into the verbs given */
	const char *owner;             /* a user name, or STORE_PUBLIC_OWNER */
	char *args[CLI_OWNER_ARGS_MAX];
	const char *data_dir, *config_file;
};
/* argv[1] one of verb_count verbs, then the owner and exactly
 * arg_counts[verb] (<= CLI_OWNER_ARGS_MAX) more arguments, which may start
 * with '-' when dash_args (ACL identifiers and rights). False: a usage
 * error. */
bool cli_owner_args_parse(int argc, char **argv, const char *const *verbs,
			  const int *arg_counts, int verb_count, bool dash_args,
			  struct cli_owner_args *a);
/* The config's default quota limits into env (serve, deliver, quota). */
void cli_store_env_quota(struct store_env *env, const struct petrel_config *cfg);
/* argv[0] is "serve". */
int cli_serve_main(int argc, char **argv);
/* The text of `petrel help serve`, including every config key. */
void cli_serve_usage(FILE *out);

#endif
