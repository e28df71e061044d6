/* `petrel acl get|set|delete USER|--public MAILBOX [IDENTIFIER [RIGHTS]]
 * --data DIR [--config FILE]`: the ACL of one of USER's mailboxes (store.h
 * "ACL", store/acl.h), or of a public one, as the owner's SETACL, GETACL
 * and DELETEACL would change and show it; MAILBOX is the name in USER's
 * own namespace (without "Shared/" for a public one), in UTF-8.
 * get prints one line per entry, "IDENTIFIER RIGHTS", in identifier order;
 * set takes RIGHTS as SETACL does (letters of lrswipkxtea, c and d for
 * what they stand for; a leading + adds, - removes, "" removes all) and
 * prints the entry as it is after; delete removes the identifier's entry.
 * Each change is one transaction, so a running server's next command
 * obeys it. Exit status: 0 done, 1 failed (no such user or mailbox, store
 * error), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "store/acl.h"
#include "store/store.h"

void cli_acl_usage(FILE *out)
{
	fprintf(out,
		"usage: petrel acl get USER|--public MAILBOX --data DIR [--config FILE]\n"
		"       petrel acl set USER|--public MAILBOX IDENTIFIER [+|-]RIGHTS --data DIR"
		" [--config FILE]\n"
		"       petrel acl delete USER|--public MAILBOX IDENTIFIER --data DIR [--config FILE]\n"
		"--public: the public mailbox MAILBOX (Shared/MAILBOX in IMAP).\n"
		"IDENTIFIER: a user name, anyone or authenticated; a leading - for rights\n"
		"taken away. RIGHTS: letters of lrswipkxtea (RFC 4314); + adds, - removes.\n"
		"get prints IDENTIFIER RIGHTS per line.\n");
}

enum acl_verb { ACL_GET, ACL_SET, ACL_DELETE };

static int acl_print(struct store *store, const char *mailbox)
{
	struct acl_entry *entries = NULL;
	unsigned int count = 0;
	enum store_result r = store_acl_get(store, mailbox, &entries, &count);

	if (r != STORE_OK) {
		fprintf(stderr, "petrel: acl: %s\n", r == STORE_NOT_FOUND ? "no such mailbox" :
			store_result_name(r));
		return 1;
	}
	for (unsigned int i = 0; i < count; i++) {
		char letters[ACL_RIGHTS_STR_MAX];

		printf("%s %s\n", entries[i].identifier,
		       acl_rights_store_format(entries[i].rights, letters));
	}
	free(entries);
	return 0;
}

static int acl_run(const struct store_env *env, enum acl_verb verb, const char *owner,
		   char **args)
{
	struct store *store = NULL;
	enum store_acl_mode mode = STORE_ACL_REPLACE;
	acl_rights rights = 0, now = 0;
	const char *letters = verb == ACL_SET ? args[2] : "";

	if (verb != ACL_GET && !acl_identifier_valid(args[1])) {
		fprintf(stderr, "petrel: '%.60s': not an identifier\n", args[1]);
		return 2;
	}
	if (letters[0] == '+' || letters[0] == '-') {
		mode = letters[0] == '+' ? STORE_ACL_ADD : STORE_ACL_REMOVE;
		letters++;
	}
	if (!acl_rights_parse(letters, &rights)) {
		fprintf(stderr, "petrel: '%.60s': rights are letters of lrswipkxtea\n", args[2]);
		return 2;
	}
	int code = cli_user_store_open(env, owner, false, &store);

	if (code != 0)
		return code;
	if (verb == ACL_GET) {
		code = acl_print(store, args[0]);
	} else {
		enum store_result r = store_acl_update(store, args[0], args[1], mode, rights, &now);

		if (r == STORE_OK && verb == ACL_SET) {
			char shown[ACL_RIGHTS_STR_MAX];

			printf("%s %s\n", args[1], acl_rights_store_format(now, shown));
		} else if (r != STORE_OK) {
			fprintf(stderr, "petrel: acl: %s\n", r == STORE_NOT_FOUND ? "no such mailbox" :
				r == STORE_LIMIT ? "too many identifiers on the mailbox" :
				store_result_name(r));
			code = 1;
		}
	}
	store_close(&store);
	return code;
}

int cli_acl_main(int argc, char **argv)
{
	static const char *const verbs[] = { "get", "set", "delete" };
	static const int arg_counts[] = { 1, 3, 2 };
	struct cli_owner_args a;
	struct petrel_config cfg;
	struct store_env *env;
	bool usage = !cli_owner_args_parse(argc, argv, verbs, arg_counts, 3, true, &a);
	int code = cli_env_open(a.config_file, a.data_dir, usage, cli_acl_usage, &cfg, &env);

	if (code != 0)
		return code;
	code = acl_run(env, (enum acl_verb)a.verb, a.owner, a.args);
	store_env_free(&env);
	config_free(&cfg);
	return code;
}
