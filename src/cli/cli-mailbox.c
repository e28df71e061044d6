/* `petrel mailbox list|create|delete|rename USER|--public ... --data DIR
 * [--config FILE]`: a user's mailboxes, or the public ones (--public: the
 * names a client sees under "Shared/"), as their owner's LIST, CREATE,
 * DELETE and RENAME would show and change them. Names are UTF-8, in the
 * owner's own namespace, checked by the same rules as a client's
 * (mailbox-name.h). list prints one name per line in byte order, with
 * " \Noselect" after a name that is only a parent. The first public
 * mailbox created makes the public store; top-level public mailboxes are
 * made only here (no user owns "Shared/" to CREATE in it), their children
 * also by users holding k on the parent. Each change is one transaction,
 * so a running server's next command sees it. Exit status: 0 done, 1
 * failed (no such user or mailbox, exists already, store error), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/xalloc.h"
#include "imap/mailbox-name.h"
#include "store/store.h"

void cli_mailbox_usage(FILE *out)
{
	fprintf(out,
		"usage: petrel mailbox list USER|--public --data DIR [--config FILE]\n"
		"       petrel mailbox create USER|--public MAILBOX --data DIR [--config FILE]\n"
		"       petrel mailbox delete USER|--public MAILBOX --data DIR [--config FILE]\n"
		"       petrel mailbox rename USER|--public OLD NEW --data DIR [--config FILE]\n"
		"--public: the public mailboxes (Shared/MAILBOX in IMAP); their rights are\n"
		"given with petrel acl set --public MAILBOX IDENTIFIER RIGHTS.\n"
		"list prints one name per line (\" \\Noselect\" after a parent only).\n");
}

enum mailbox_verb { MAILBOX_LIST, MAILBOX_CREATE, MAILBOX_DELETE, MAILBOX_RENAME };

struct mailbox_names {
	char **v;
	size_t count, alloc;
};

static bool mailbox_collect(const struct store_mailbox_info *info, void *ctx)
{
	struct mailbox_names *names = ctx;

	if (info->nonexistent)
		return true;   /* a subscription only */
	if (names->count == names->alloc) {
		names->alloc = names->alloc == 0 ? 64 : names->alloc * 2;
		names->v = xrealloc(names->v, names->alloc * sizeof(*names->v));
	}
	size_t len = strlen(info->name);
	char *line = xmalloc(len + sizeof(" \\Noselect"));

	memcpy(line, info->name, len + 1);
	if (info->noselect)
		memcpy(line + len, " \\Noselect", sizeof(" \\Noselect"));
	names->v[names->count++] = line;
	return true;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int mailbox_print(struct store *store)
{
	struct mailbox_names names = { 0 };
	enum store_result r = store_mailbox_list(store, mailbox_collect, &names);

	if (r == STORE_OK) {
		qsort(names.v, names.count, sizeof(*names.v), name_cmp);
		for (size_t i = 0; i < names.count; i++)
			printf("%s\n", names.v[i]);
	} else {
		fprintf(stderr, "petrel: mailbox: %s\n", store_result_name(r));
	}
	for (size_t i = 0; i < names.count; i++)
		free(names.v[i]);
	free(names.v);
	return r == STORE_OK ? 0 : 1;
}

/* A name as a client would give it in UTF-8, into out (INBOX spelt so). */
static bool mailbox_arg(const char *arg, struct buf *out)
{
	const char *error = NULL;

	if (mailbox_name_from_client(arg, strlen(arg), true, out, &error))
		return true;
	fprintf(stderr, "petrel: '%.60s': %s\n", arg, error != NULL ? error : "invalid name");
	return false;
}

static const char *mailbox_result_text(enum store_result r)
{
	switch (r) {
	case STORE_NOT_FOUND: return "no such mailbox";
	case STORE_EXISTS: return "the mailbox exists already";
	case STORE_NOT_ALLOWED: return "not allowed (INBOX, or a parent only that has children)";
	case STORE_OVER_QUOTA: return "over the MAILBOX quota";
	default: return store_result_name(r);
	}
}

static int mailbox_run(const struct store_env *env, enum mailbox_verb verb, const char *owner,
		       char **args)
{
	struct store *store = NULL;
	struct buf name, to;
	int code = 2;

	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	buf_init(&to, STORE_MAILBOX_NAME_MAX + 1);
	if ((verb != MAILBOX_LIST && !mailbox_arg(args[0], &name)) ||
	    (verb == MAILBOX_RENAME && !mailbox_arg(args[1], &to)))
		goto out;
	code = cli_user_store_open(env, owner, verb == MAILBOX_CREATE, &store);
	if (code != 0)
		goto out;
	enum store_result r = STORE_OK;

	switch (verb) {
	case MAILBOX_LIST:
		code = mailbox_print(store);
		break;
	case MAILBOX_CREATE:
		r = store_mailbox_create(store, name.data, 0);
		break;
	case MAILBOX_DELETE:
		r = store_mailbox_delete(store, name.data);
		break;
	case MAILBOX_RENAME:
		r = store_mailbox_rename(store, name.data, to.data);
		break;
	}
	if (r != STORE_OK) {
		fprintf(stderr, "petrel: mailbox: %s\n", mailbox_result_text(r));
		code = 1;
	}
	store_close(&store);
out:
	buf_free(&name);
	buf_free(&to);
	return code;
}

int cli_mailbox_main(int argc, char **argv)
{
	static const char *const verbs[] = { "list", "create", "delete", "rename" };
	static const int arg_counts[] = { 0, 1, 1, 2 };
	struct cli_owner_args a;
	struct petrel_config cfg;
	struct store_env *env;
	bool usage = !cli_owner_args_parse(argc, argv, verbs, arg_counts, 4, false, &a);
	int code = cli_env_open(a.config_file, a.data_dir, usage, cli_mailbox_usage, &cfg, &env);

	if (code != 0)
		return code;
	cli_store_env_quota(env, &cfg);
	code = mailbox_run(env, (enum mailbox_verb)a.verb, a.owner, a.args);
	store_env_free(&env);
	config_free(&cfg);
	return code;
}
