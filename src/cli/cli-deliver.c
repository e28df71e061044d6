/* `petrel deliver USER [--mailbox NAME] --data DIR [--config FILE]`: one
 * message on stdin
 * into a user's mailbox, for an MTA or procmail-style use. The exit status
 * follows sysexits(3), as MTAs expect of a delivery agent: 0 only once the
 * message is on disk (committed with fsync); EX_TEMPFAIL when it could not
 * be stored now (the MTA retries); EX_NOUSER, EX_DATAERR (empty, or over
 * the store's size limit), EX_CANTCREAT over quota (EX_TEMPFAIL with the
 * config's quota_full_tempfail) and EX_USAGE otherwise. The config file
 * gives the default quota (and may give the data directory). A --mailbox that does not
 * exist gets the message in INBOX instead (said on stderr): mail is never
 * refused for a folder name. Running servers are told (store_notify_changed()),
 * so their sessions in IDLE see the message at once. When a batch of search
 * text is waiting, it is indexed before exit, since no server may be
 * running to do it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "auth/passdb.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "store/deliver.h"
#include "store/store.h"
#include "user/mail-user.h"

#define DELIVER_CHUNK (64 * 1024)

void cli_deliver_usage(FILE *out)
{
	fprintf(out, "usage: petrel deliver USER [--mailbox NAME] --data DIR [--config FILE]\n"
		"Stores one message read from stdin in USER's mailbox (default INBOX;\n"
		"a mailbox that does not exist means INBOX). Exits 0 once it is on disk;\n"
		"otherwise a sysexits(3) code: 64 usage, 65 empty or too big, 67 no such\n"
		"user, 73 over quota, 74 cannot read stdin, 75 try again later (also over\n"
		"quota with quota_full_tempfail = yes). --config: the server's config file,\n"
		"for its quota_* keys (and data, when --data is not given).\n");
}

/* Whether the user exists in users.db: EX_OK, EX_NOUSER or EX_TEMPFAIL. */
static int deliver_user_known(const struct store_env *env, const char *user)
{
	struct passdb *db;
	struct scram_creds creds;
	char err[256];
	enum passdb_result r;

	if (passdb_open(env, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "petrel: %s\n", err);
		return EX_TEMPFAIL;
	}
	r = passdb_scram_lookup(db, user, &creds);
	passdb_close(&db);
	if (r == PASSDB_OK)
		return EX_OK;
	if (r == PASSDB_NO_USER)
		return EX_NOUSER;
	fprintf(stderr, "petrel: cannot read the user database\n");
	return EX_TEMPFAIL;
}

/* config quota_full_tempfail */
static bool over_quota_tempfail;

static int deliver_exit(enum store_result r)
{
	switch (r) {
	case STORE_OK:
		return EX_OK;
	case STORE_OVER_QUOTA:
		return over_quota_tempfail ? EX_TEMPFAIL : EX_CANTCREAT;
	case STORE_TOO_BIG:
	case STORE_INVALID:
		return EX_DATAERR;
	default:
		return EX_TEMPFAIL;
	}
}

/* Reads stdin into a new blob. */
static int deliver_read(struct store *store, struct store_blob **blob_r)
{
	static char chunk[DELIVER_CHUNK];
	enum store_result r = store_blob_begin(store, 0, blob_r);
	uint64_t total = 0;

	while (r == STORE_OK) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "petrel: reading the message: %s\n", strerror(errno));
			return EX_IOERR;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		r = store_blob_write(*blob_r, chunk, (size_t)n);
	}
	if (r == STORE_OK && total == 0) {
		fprintf(stderr, "petrel: empty message\n");
		return EX_DATAERR;
	}
	if (r == STORE_OK)
		r = store_blob_finish(*blob_r);
	if (r != STORE_OK)
		fprintf(stderr, "petrel: cannot store the message: %s\n", store_result_name(r));
	return deliver_exit(r);
}

/* Delivers stdin to user's mailbox in env's store: a sysexits(3) code. */
static int deliver_to(const struct store_env *env, const char *user, const char *mailbox)
{
	struct store *store = NULL;
	struct store_blob *blob = NULL;
	char err[256];
	int code;

	code = deliver_user_known(env, user);
	if (code == EX_NOUSER)
		fprintf(stderr, "petrel: no such user\n");
	if (code != EX_OK)
		return code;
	/* "inbox" in any case is INBOX (RFC 9051 §5.1). */
	if (strcasecmp(mailbox, "INBOX") == 0)
		mailbox = "INBOX";
	enum store_result r = mail_user_store_open(env, user, &store, err, sizeof(err));
	if (r != STORE_OK) {
		fprintf(stderr, "petrel: cannot open the store: %s\n", err);
		return EX_TEMPFAIL;
	}
	code = deliver_read(store, &blob);
	if (code == EX_OK) {
		struct store_delivery_msg m = { .append = { .blob = blob, .internaldate = time(NULL) } };
		uint32_t uid;
		struct store_delivery d = { .mailbox = mailbox, .msgs = &m, .count = 1, .uids = &uid };

		r = store_deliver(store, &d);
		if (r == STORE_NOT_FOUND || (r == STORE_INVALID && strcmp(mailbox, "INBOX") != 0)) {
			fprintf(stderr, "petrel: no mailbox \"%.200s\": delivered to INBOX\n", mailbox);
			d.mailbox = "INBOX";
			r = store_deliver(store, &d);
		}
		if (r != STORE_OK)
			fprintf(stderr, "petrel: cannot store the message: %s\n",
				store_result_name(r));
		code = deliver_exit(r);
	}
	store_blob_free(&blob);
	if (code == EX_OK) {
		bool more;

		store_notify_changed(env, user);
		if (store_index_due(store))
			store_index_text(env, user, 1, NULL, &more);
	}
	store_close(&store);
	return code;
}

int cli_deliver_main(int argc, char **argv)
{
	const char *user = NULL, *data_dir = NULL, *mailbox = "INBOX", *config_file = NULL;
	struct petrel_config cfg;
	struct store_env *env;
	char err[CONFIG_ERR_MAX];
	int code;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data_dir = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_file = argv[++i];
		else if (strcmp(argv[i], "--mailbox") == 0 && i + 1 < argc)
			mailbox = argv[++i];
		else if (argv[i][0] != '-' && user == NULL)
			user = argv[i];
		else
			user = NULL, i = argc;   /* usage error below */
	}
	config_init_defaults(&cfg);
	if (config_file != NULL && !config_load_file(&cfg, config_file, err, sizeof(err))) {
		fprintf(stderr, "petrel: %s\n", err);
		config_free(&cfg);
		return EX_USAGE;
	}
	if (data_dir == NULL)
		data_dir = cfg.data_dir;
	if (user == NULL || data_dir == NULL) {
		cli_deliver_usage(stderr);
		config_free(&cfg);
		return EX_USAGE;
	}
	over_quota_tempfail = cfg.quota_full_tempfail;
	log_set_level(LOG_WARN);
	if (!passdb_valid_username(user)) {
		fprintf(stderr, "petrel: no such user\n");
		config_free(&cfg);
		return EX_NOUSER;
	}
	if (store_env_open(cfg.store, data_dir, &env, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "petrel: %s\n", err);
		config_free(&cfg);
		return EX_USAGE;
	}
	cli_store_env_quota(env, &cfg);
	code = deliver_to(env, user, mailbox);
	store_env_free(&env);
	config_free(&cfg);
	return code;
}
