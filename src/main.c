/* petrel: one binary, subcommands. This file only dispatches; each
 * subcommand lives in src/cli/. Exit statuses: 0 ok, 1 failed, 2 usage
 * (deliver: sysexits(3) codes, as MTAs expect). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/version.h"

#ifdef PETREL_JEMALLOC
/* jemalloc reads its options from this symbol at its start. Freed pages go
 * back to the system about a second after they are freed, from jemalloc's
 * own background thread: a burst of output (hundreds of clients fetching
 * at once) must not stay in the server's memory after it is sent, and an
 * idle server does no allocation that would trigger the purge itself. */
const char *malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: petrel COMMAND [ARGS]\n"
		"  serve --data DIR [--imap ADDR:PORT] [--imaps ADDR:PORT]\n"
		"        [--tls-cert FILE --tls-key FILE] [--config FILE]\n"
		"  user add NAME --data DIR        password: one line on stdin\n"
		"  user passwd NAME --data DIR     likewise\n"
		"  user del NAME --data DIR\n"
		"  user list --data DIR\n"
		"  check --data DIR [USER|--public]   verify the mail stores\n"
		"  deliver USER [--mailbox NAME] --data DIR [--config FILE]   one message on stdin\n"
		"  quota get USER|--public --data DIR [--config FILE]\n"
		"  quota set USER|--public RESOURCE=VALUE... --data DIR [--config FILE]\n"
		"  acl get USER|--public MAILBOX --data DIR [--config FILE]\n"
		"  acl set USER|--public MAILBOX IDENTIFIER [+|-]RIGHTS --data DIR [--config FILE]\n"
		"  acl delete USER|--public MAILBOX IDENTIFIER --data DIR [--config FILE]\n"
		"  mailbox list USER|--public --data DIR [--config FILE]\n"
		"  mailbox create|delete USER|--public MAILBOX --data DIR [--config FILE]\n"
		"  mailbox rename USER|--public OLD NEW --data DIR [--config FILE]\n"
		"  help [COMMAND]\n"
		"  --version\n");
}

static int help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "serve") == 0) {
		cli_serve_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "user") == 0) {
		cli_user_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0) {
		cli_check_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "deliver") == 0) {
		cli_deliver_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "quota") == 0) {
		cli_quota_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "acl") == 0) {
		cli_acl_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "mailbox") == 0) {
		cli_mailbox_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "petrel: no help for unknown command '%.60s'\n", argv[1]);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];

	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("petrel %s\n", PETREL_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return help(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cli_serve_main(argc - 1, argv + 1);
	if (strcmp(cmd, "user") == 0)
		return cli_user_main(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cli_check_main(argc - 1, argv + 1);
	if (strcmp(cmd, "deliver") == 0)
		return cli_deliver_main(argc - 1, argv + 1);
	if (strcmp(cmd, "quota") == 0)
		return cli_quota_main(argc - 1, argv + 1);
	if (strcmp(cmd, "acl") == 0)
		return cli_acl_main(argc - 1, argv + 1);
	if (strcmp(cmd, "mailbox") == 0)
		return cli_mailbox_main(argc - 1, argv + 1);
	fprintf(stderr, "petrel: unknown command '%.60s' (see petrel help)\n", cmd);
	return 2;
}
