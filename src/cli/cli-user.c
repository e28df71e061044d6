/* `petrel user add|passwd|del|list`: account management on DATA/users.db.
 * The arguments, messages and exit codes are a stable contract (cli.h);
 * the password only ever comes from stdin, never from argv. */
#include "cli/cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth/passdb.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "store/store-users.h"
#include "user/mail-user.h"

#define CLI_USER_USAGE \
	"usage: petrel user {add|passwd|del} NAME --data DIR | petrel user list --data DIR"

enum cli_user_action { CLI_USER_ADD, CLI_USER_PASSWD, CLI_USER_DEL, CLI_USER_LIST };

struct cli_user_args {
	enum cli_user_action action;
	const char *name;
	const char *data_dir;
};

void cli_user_usage(FILE *out)
{
	fprintf(out,
		"petrel user add NAME --data DIR     create an account; password on stdin\n"
		"petrel user passwd NAME --data DIR  change a password; password on stdin\n"
		"petrel user del NAME --data DIR     delete an account\n"
		"petrel user list --data DIR         print the account names, one per line\n"
		"\n"
		"The password is the first line of stdin (a trailing CR LF or LF is\n"
		"removed): 1-%d bytes, no NUL. On a terminal it is read without echo.\n"
		"NAME is 1-%d characters of A-Z a-z 0-9 . _ @ + - and does not start\n"
		"with '.' or '-'. --data DIR (or --data=DIR) may come before or after\n"
		"NAME; DIR is created (mode 0700) if missing and holds users.db.\n"
		"Exit status: 0 done, 1 the operation failed, 2 usage error.\n",
		PASSDB_PASSWORD_MAX, PASSDB_NAME_MAX);
}

static int cli_user_usage_error(void)
{
	fprintf(stderr, "%s\n", CLI_USER_USAGE);
	return 2;
}

/* Returns 0 and fills args, or 2 after printing the usage line. */
static int cli_user_parse(int argc, char **argv, struct cli_user_args *args)
{
	static const struct { const char *word; enum cli_user_action action; } actions[] = {
		{ "add", CLI_USER_ADD }, { "passwd", CLI_USER_PASSWD },
		{ "del", CLI_USER_DEL }, { "list", CLI_USER_LIST },
	};
	size_t n;

	memset(args, 0, sizeof(*args));
	if (argc < 2)
		return cli_user_usage_error();
	for (n = 0; n < sizeof(actions) / sizeof(actions[0]); n++) {
		if (strcmp(argv[1], actions[n].word) == 0)
			break;
	}
	if (n == sizeof(actions) / sizeof(actions[0]))
		return cli_user_usage_error();
	args->action = actions[n].action;
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i];
		const char *dir = NULL;

		if (strcmp(arg, "--data") == 0) {
			if (i + 1 >= argc)
				return cli_user_usage_error();
			dir = argv[++i];
		} else if (strncmp(arg, "--data=", 7) == 0) {
			dir = arg + 7;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return cli_user_usage_error();   /* unknown option */
		} else if (args->name == NULL) {
			args->name = arg;
			continue;
		} else {
			return cli_user_usage_error();   /* extra argument */
		}
		if (args->data_dir != NULL || dir[0] == '\0')
			return cli_user_usage_error();
		args->data_dir = dir;
	}
	if (args->data_dir == NULL)
		return cli_user_usage_error();
	if ((args->action == CLI_USER_LIST) != (args->name == NULL))
		return cli_user_usage_error();
	return 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static bool cli_mkdirs(const char *dir)
{
	char *path = xstrdup(dir);
	bool ok = true;
	struct stat st;

	for (char *p = path + 1; ok; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "petrel: cannot create %s: %s\n", path, strerror(errno));
			ok = false;
		}
		if (last)
			break;
		*p = '/';
	}
	if (ok && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "petrel: %s is not a directory\n", dir);
		ok = false;
	}
	free(path);
	return ok;
}

/* Reads the first line of stdin into pw (max PASSDB_PASSWORD_MAX + 1 for a
 * CR); without echo on a terminal. False after printing why. */
static bool cli_read_password(struct buf *pw)
{
	struct termios saved, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	bool too_long = false, nul = false, any = false;
	int c;

	if (tty) {
		fputs("Password: ", stderr);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	while ((c = getchar()) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (!buf_append_char(pw, (char)c))
			too_long = true;
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	if (pw->len > 0 && pw->data[pw->len - 1] == '\r' && !too_long)
		pw->data[--pw->len] = '\0';
	if (!any) {
		fprintf(stderr, "petrel: no password on stdin\n");
		return false;
	}
	if (nul || too_long || pw->len == 0 || pw->len > PASSDB_PASSWORD_MAX) {
		fprintf(stderr, "petrel: the password must be 1-%d bytes without NUL, CR or LF\n",
			PASSDB_PASSWORD_MAX);
		return false;
	}
	return true;
}

static void cli_print_name(const char *name, void *ctx)
{
	(void)ctx;
	printf("%s\n", name);
}

/* One line on stderr for each failure a passdb call can report. */
static int cli_user_report(enum passdb_result r, const struct cli_user_args *args)
{
	switch (r) {
	case PASSDB_OK:
		return 0;
	case PASSDB_NO_USER:
		fprintf(stderr, "petrel: no such user %s\n", args->name);
		break;
	case PASSDB_EXISTS:
		fprintf(stderr, "petrel: user %s already exists\n", args->name);
		break;
	case PASSDB_BAD_NAME:
		fprintf(stderr, "petrel: invalid user name\n");
		break;
	case PASSDB_BAD_INPUT:
	case PASSDB_BAD_PASSWORD:   /* not returned by these calls */
		fprintf(stderr, "petrel: the password must be 1-%d bytes without NUL, CR or LF\n",
			PASSDB_PASSWORD_MAX);
		break;
	case PASSDB_ERROR:
		fprintf(stderr, "petrel: database error in %s/users.db\n", args->data_dir);
		break;
	}
	return 1;
}

struct cli_owners {
	char **names;
	unsigned int count;
};

static void cli_add_owner(const char *owner, void *ctx)
{
	struct cli_owners *o = ctx;

	o->names = xrealloc(o->names, (o->count + 1) * sizeof(*o->names));
	o->names[o->count++] = xstrdup(owner);
}

/* A deleted user's rights on others' mailboxes go with them (store.h
 * store_acl_forget()): a new user of the same name must not inherit them.
 * The shares index names the owners to visit. False after saying why. */
static bool cli_user_forget_rights(const struct store_env *env, const char *name)
{
	struct cli_owners owners = { 0 };
	bool ok = store_users_sharing_with(env, name, cli_add_owner, &owners) == STORE_OK;

	if (!ok)
		fprintf(stderr, "petrel: could not read who shares with %s\n", name);
	for (unsigned int i = 0; i < owners.count; i++) {
		struct store *store = NULL;
		char err[256];

		if (mail_user_store_open(env, owners.names[i], &store, err, sizeof(err)) != STORE_OK ||
		    store_acl_forget(store, name) != STORE_OK) {
			fprintf(stderr, "petrel: could not remove %s's rights on %s's mailboxes"
				" (petrel acl delete): %s\n", name, owners.names[i],
				store == NULL ? err : "store error");
			ok = false;
		}
		store_close(&store);
		free(owners.names[i]);
	}
	free(owners.names);
	return ok;
}

int cli_user_main(int argc, char **argv)
{
	struct cli_user_args args;
	struct store_env *env = NULL;
	struct passdb *db = NULL;
	struct buf pw;
	char err[512];
	enum passdb_result r;
	int status = cli_user_parse(argc, argv, &args);

	if (status != 0)
		return status;
	/* Check the name before asking for a password; the name itself is not
	 * echoed since it may hold control characters. */
	if (args.name != NULL && !passdb_valid_username(args.name)) {
		fprintf(stderr, "petrel: invalid user name: use 1-%d of A-Z a-z 0-9 . _ @ + -,"
			" not starting with '.' or '-'\n", PASSDB_NAME_MAX);
		return 1;
	}
	buf_init(&pw, PASSDB_PASSWORD_MAX + 1);
	if ((args.action == CLI_USER_ADD || args.action == CLI_USER_PASSWD) &&
	    !cli_read_password(&pw)) {
		status = 1;
		goto out;
	}
	if (!cli_mkdirs(args.data_dir)) {
		status = 1;
		goto out;
	}
	if (store_env_open(NULL, args.data_dir, &env, err, sizeof(err)) != STORE_OK ||
	    passdb_open(env, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "petrel: %s\n", err);
		status = 1;
		goto out;
	}
	switch (args.action) {
	case CLI_USER_ADD:
		r = passdb_user_add(db, args.name, pw.data);
		break;
	case CLI_USER_PASSWD:
		r = passdb_user_set_password(db, args.name, pw.data);
		break;
	case CLI_USER_DEL:
		r = passdb_user_delete(db, args.name);
		if (r == PASSDB_OK && !cli_user_forget_rights(env, args.name))
			status = 1;
		break;
	case CLI_USER_LIST:
	default:
		r = passdb_user_list(db, cli_print_name, NULL);
		break;
	}
	if (status == 0)
		status = cli_user_report(r, &args);
	if (status == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		fprintf(stderr, "petrel: writing to stdout failed\n");
		status = 1;
	}
out:
	passdb_close(&db);
	store_env_free(&env);
	if (pw.data != NULL)
		OPENSSL_cleanse(pw.data, pw.cap);
	buf_free(&pw);
	return status;
}
