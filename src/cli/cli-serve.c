/* `petrel serve`: reads the configuration (file, then flags), opens the
 * password database, TLS context and listeners, and runs the server until
 * SIGTERM/SIGINT. Any start-up problem is one line on stderr and exit 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/passdb.h"
#include "auth/throttle.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/version.h"
#include "imap/imap-server.h"
#include "lmtp/lmtp-server.h"
#include "net/conn-limits.h"
#include "net/listener.h"
#include "net/server.h"
#include "net/tls.h"
#include "net/workers.h"
#include "store/store.h"
#include "user/user-services.h"

#define AUTH_FAILURE_WINDOW_S 600

static const struct {
	const char *flag;
	const char *key;
} serve_flags[] = {
	{ "--data", "data" },
	{ "--imap", "imap" },
	{ "--imaps", "imaps" },
	{ "--lmtp", "lmtp" },
	{ "--tls-cert", "tls_cert" },
	{ "--tls-key", "tls_key" },
};

void cli_serve_usage(FILE *out)
{
	fprintf(out,
		"usage: petrel serve --data DIR [--imap ADDR:PORT] [--imaps ADDR:PORT]\n"
		"                    [--lmtp ADDR:PORT|/PATH] [--tls-cert FILE --tls-key FILE]\n"
		"                    [--config FILE]\n"
		"Runs the IMAP server in the foreground, logging to stderr.\n"
		"--imap listens for IMAP with STARTTLS, --imaps for implicit TLS, --lmtp for\n"
		"LMTP delivery from an MTA (a TCP address or a unix socket's path); port 0\n"
		"picks a free port (the 'listening' log line shows it). Flags override the\n"
		"config file.\n"
		"SIGTERM/SIGINT stop the server, SIGHUP reloads the certificate.\n"
		"Config file keys (KEY = VALUE lines):\n");
	config_print_keys(out);
}

static int serve_fail(const char *msg)
{
	fprintf(stderr, "petrel: %s\n", msg);
	return 2;
}

/* Flags are applied after the config file, so they are collected first. */
static int serve_parse_args(int argc, char **argv, struct petrel_config *cfg)
{
	char err[CONFIG_ERR_MAX];
	const char *config_file = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc)
				return serve_fail("--config needs a value");
			config_file = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_file = argv[i] + 9;
		}
	}
	if (config_file != NULL && !config_load_file(cfg, config_file, err, sizeof(err)))
		return serve_fail(err);

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *key = NULL;
		size_t flen;

		if (strcmp(arg, "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(arg, "--config=", 9) == 0)
			continue;
		for (size_t f = 0; f < sizeof(serve_flags) / sizeof(serve_flags[0]); f++) {
			flen = strlen(serve_flags[f].flag);
			if (strcmp(arg, serve_flags[f].flag) == 0) {
				if (i + 1 >= argc) {
					snprintf(err, sizeof(err), "%s needs a value", arg);
					return serve_fail(err);
				}
				key = serve_flags[f].key;
				value = argv[++i];
				break;
			}
			if (strncmp(arg, serve_flags[f].flag, flen) == 0 && arg[flen] == '=') {
				key = serve_flags[f].key;
				value = arg + flen + 1;
				break;
			}
		}
		if (key == NULL) {
			snprintf(err, sizeof(err), "serve: unknown argument '%.60s' (see petrel help serve)", arg);
			return serve_fail(err);
		}
		if (!config_set(cfg, key, value, err, sizeof(err)))
			return serve_fail(err);
	}
	if (!config_validate(cfg, err, sizeof(err)))
		return serve_fail(err);
	return 0;
}

static void serve_reload(void *ctx)
{
	struct imap_server *server = ctx;
	char err[CONFIG_ERR_MAX];

	if (server->tls == NULL)
		return;
	if (tls_server_reload(server->tls, err, sizeof(err)) < 0)
		log_error("certificate reload failed, keeping the old one: %s", err);
	else
		log_info("certificate reloaded");
}

static enum log_level parse_log_level(const char *s)
{
	if (strcmp(s, "debug") == 0)
		return LOG_DEBUG;
	if (strcmp(s, "warn") == 0)
		return LOG_WARN;
	if (strcmp(s, "error") == 0)
		return LOG_ERROR;
	return LOG_INFO;
}

/* Each connection is a descriptor: raise the soft limit to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cli_serve_main(int argc, char **argv)
{
	struct petrel_config cfg;
	struct imap_server server = { 0 };
	struct user_services users = { 0 };
	struct lmtp_server lmtp = { 0 };
	struct listener *listeners[3] = { NULL, NULL, NULL };
	char err[CONFIG_ERR_MAX];
	int rc;

	server_block_signals();
	config_init_defaults(&cfg);
	rc = serve_parse_args(argc, argv, &cfg);
	if (rc != 0) {
		config_free(&cfg);
		return rc;
	}
	log_set_level(parse_log_level(cfg.log_level));
	server.config = &cfg;
	server.users = &users;

	struct store_env *store_env = NULL;

	if (store_env_open(cfg.store, cfg.data_dir, &store_env, err, sizeof(err)) != STORE_OK) {
		config_free(&cfg);
		return serve_fail(err);
	}
	cli_store_env_quota(store_env, &cfg);
	server.store_env = store_env;
	users.env = store_env;
	if (mkdir(cfg.data_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, sizeof(err), "cannot create data directory %s: %s",
			 cfg.data_dir, strerror(errno));
		store_env_free(&store_env);
		config_free(&cfg);
		return serve_fail(err);
	}
	if (cfg.tls_cert != NULL &&
	    tls_server_create(cfg.tls_cert, cfg.tls_key, &server.tls, err, sizeof(err)) < 0) {
		store_env_free(&store_env);
		config_free(&cfg);
		return serve_fail(err);
	}
	if (passdb_open(store_env, &server.passdb, err, sizeof(err)) < 0) {
		tls_server_destroy(&server.tls);
		store_env_free(&store_env);
		config_free(&cfg);
		return serve_fail(err);
	}
	passdb_set_cache(server.passdb, cfg.auth_cache_size, cfg.auth_cache_ttl_s);
	if ((cfg.imap_listen != NULL &&
	     listener_open("imap", cfg.imap_listen, false, &listeners[0], err, sizeof(err)) < 0) ||
	    (cfg.imaps_listen != NULL &&
	     listener_open("imaps", cfg.imaps_listen, true, &listeners[1], err, sizeof(err)) < 0) ||
	    (cfg.lmtp_listen != NULL &&
	     listener_open("lmtp", cfg.lmtp_listen, false, &listeners[2], err, sizeof(err)) < 0)) {
		listener_close(&listeners[0]);
		listener_close(&listeners[1]);
		passdb_close(&server.passdb);
		tls_server_destroy(&server.tls);
		store_env_free(&store_env);
		config_free(&cfg);
		return serve_fail(err);
	}

	raise_fd_limit();
	conn_limits_configure(cfg.max_connections, cfg.max_connections_per_ip);
	struct throttle_config tc = {
		.failure_delay_ms = cfg.auth_failure_delay_ms,
		.free_failures = cfg.auth_free_failures,
		.window_s = AUTH_FAILURE_WINDOW_S,
		.max_delay_ms = cfg.auth_max_delay_ms,
	};
	server.throttle = throttle_create(&tc);
	users.workers = worker_pool_create(cfg.workers, "petrel-store");
	const struct worker_pool_limits auth_limits = {
		.threads = cfg.auth_workers,
		.queue_max = AUTH_QUEUE_MAX,
		.key_queue_max = AUTH_QUEUE_PER_ADDR,
		.key_parallel = AUTH_PARALLEL_PER_ADDR,
		.nice = AUTH_NICE,
		.name = "petrel-auth",
	};
	server.auth_workers = worker_pool_create_limited(&auth_limits);

	unsigned int loops = cfg.loops;
	if (loops == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		loops = cores > 0 ? (unsigned int)cores : 1;
	}
	const struct worker_pool_limits index_limits = {
		.threads = loops,
		.queue_max = WORKER_QUEUE_MAX,
		.key_queue_max = WORKER_QUEUE_MAX,
		.key_parallel = 1,
		.nice = USER_INDEX_NICE,
		.name = "petrel-index",
	};
	users.index_workers = worker_pool_create_limited(&index_limits);
	users.index_delay_max_ms = (int64_t)cfg.index_delay_max_s * 1000;
	lmtp.users = &users;
	lmtp.passdb = server.passdb;
	lmtp.quota_full_tempfail = cfg.quota_full_tempfail;
	lmtp.recipient_delimiter = cfg.recipient_delimiter;
	lmtp.public_recipient = cfg.public_recipient;
	user_services_start(&users);
	struct server *srv = server_create(loops);
	for (int i = 0; i < 3; i++) {
		if (listeners[i] != NULL) {
			listener_announce(listeners[i]);
			if (i == 2)
				server_add_listener(srv, listeners[i], lmtp_server_accept, &lmtp);
			else
				server_add_listener(srv, listeners[i], imap_server_accept, &server);
		}
	}
	log_info("petrel %s serving %s with %u loops, %u workers and %u auth workers",
		 PETREL_VERSION, cfg.data_dir, loops, cfg.workers, cfg.auth_workers);
	rc = server_run(srv, serve_reload, &server);
	/* The indexer stops too (sessions already told it, if there were any). */
	user_services_shutdown();
	imap_server_auth_stop();

	/* Finish queued work before anything is freed: jobs complete and post
	 * their results to the stopped loops; running those can free sessions,
	 * which queue more work (a user's store close, an APPEND's blobs).
	 * Repeat until both are quiet. */
	do {
		worker_pool_wait_idle(users.index_workers);
		worker_pool_wait_idle(server.auth_workers);
		worker_pool_wait_idle(users.workers);
	} while (server_run_leftovers(srv) > 0);
	user_services_stop();
	worker_pool_destroy(&users.index_workers);
	worker_pool_destroy(&server.auth_workers);
	worker_pool_destroy(&users.workers);
	server_destroy(&srv);
	throttle_destroy(&server.throttle);
	passdb_close(&server.passdb);
	tls_server_destroy(&server.tls);
	store_env_free(&store_env);
	config_free(&cfg);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}
