/* Configuration: defaults, typed keys with bounds, the INI file, and the
 * cross-key checks, with the exact error lines an administrator sees. */
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "unit.h"

static const char *write_file(const char *text)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/petrel-test-config-XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

int main(void)
{
	struct petrel_config cfg;
	char err[CONFIG_ERR_MAX];

	config_init_defaults(&cfg);
	CHECK_INT(cfg.idle_timeout_s, 1800);
	CHECK_INT(cfg.login_timeout_s, 60);
	CHECK_INT(cfg.workers, 4);
	CHECK_INT(cfg.auth_failure_delay_ms, 2000);
	CHECK_INT(cfg.max_bad_commands, 20);
	CHECK(!cfg.allow_cleartext_auth);
	CHECK_STR(cfg.log_level, "info");
	CHECK(cfg.data_dir == NULL);
	/* The store backend: unset means the default (store.h), any name is
	 * kept for store_env_open() to judge. */
	CHECK(cfg.store == NULL);
	CHECK(config_set(&cfg, "store", "postgres", err, sizeof(err)));
	CHECK_STR(cfg.store, "postgres");

	CHECK(config_set(&cfg, "idle_timeout", "31", err, sizeof(err)));
	CHECK_INT(cfg.idle_timeout_s, 31);
	CHECK(!config_set(&cfg, "idle_timeout", "0", err, sizeof(err)));
	CHECK_STR(err, "idle_timeout: expected a number from 1 to 86400, got '0'");
	CHECK(!config_set(&cfg, "workers", "-1", err, sizeof(err)));
	CHECK(!config_set(&cfg, "workers", "4x", err, sizeof(err)));
	CHECK(!config_set(&cfg, "workers", "99999999999999999999", err, sizeof(err)));
	CHECK(!config_set(&cfg, "allow_cleartext_auth", "maybe", err, sizeof(err)));
	CHECK_STR(err, "allow_cleartext_auth: expected yes or no, got 'maybe'");
	CHECK(config_set(&cfg, "allow_cleartext_auth", "yes", err, sizeof(err)));
	CHECK(cfg.allow_cleartext_auth);
	/* The verified-password cache: on by default, bounded, 0 turns it off. */
	CHECK_INT(cfg.auth_cache_ttl_s, 1800);
	CHECK_INT(cfg.auth_cache_size, 8192);
	CHECK(config_set(&cfg, "auth_cache_ttl", "0", err, sizeof(err)));
	CHECK_INT(cfg.auth_cache_ttl_s, 0);
	CHECK(config_set(&cfg, "auth_cache_size", "1000000", err, sizeof(err)));
	CHECK(!config_set(&cfg, "auth_cache_size", "1000001", err, sizeof(err)));
	CHECK_STR(err, "auth_cache_size: expected a number from 0 to 1000000, got '1000001'");
	CHECK(!config_set(&cfg, "auth_cache_ttl", "86401", err, sizeof(err)));
	CHECK(!config_set(&cfg, "no_such_key", "1", err, sizeof(err)));
	CHECK_STR(err, "unknown configuration key 'no_such_key'");

	/* Cross-key checks. */
	CHECK(!config_validate(&cfg, err, sizeof(err)));
	CHECK_STR(err, "no data directory: use --data DIR");
	CHECK(config_set(&cfg, "data", "/tmp/x", err, sizeof(err)));
	CHECK(!config_validate(&cfg, err, sizeof(err)));
	CHECK_STR(err, "no listener: use --imap ADDR:PORT, --imaps ADDR:PORT and/or --lmtp ADDR:PORT");
	CHECK(config_set(&cfg, "imaps", "127.0.0.1:0", err, sizeof(err)));
	CHECK(!config_validate(&cfg, err, sizeof(err)));
	CHECK_STR(err, "imaps needs a certificate: use --tls-cert FILE --tls-key FILE");
	CHECK(config_set(&cfg, "tls_cert", "c.pem", err, sizeof(err)));
	CHECK(!config_validate(&cfg, err, sizeof(err)));
	CHECK_STR(err, "tls_cert and tls_key must be given together");
	CHECK(config_set(&cfg, "tls_key", "k.pem", err, sizeof(err)));
	CHECK(config_validate(&cfg, err, sizeof(err)));
	config_free(&cfg);

	/* The file: comments, spaces around '=', errors with line numbers. */
	config_init_defaults(&cfg);
	const char *path = write_file("# comment\n; other\ndata = /srv/mail\nimap=127.0.0.1:143\n"
				      "idle_timeout = 3600\n");
	CHECK(config_load_file(&cfg, path, err, sizeof(err)));
	CHECK_STR(cfg.data_dir, "/srv/mail");
	CHECK_STR(cfg.imap_listen, "127.0.0.1:143");
	CHECK_INT(cfg.idle_timeout_s, 3600);
	unlink(path);
	config_free(&cfg);

	config_init_defaults(&cfg);
	path = write_file("data = /x\nbogus = 1\n");
	CHECK(!config_load_file(&cfg, path, err, sizeof(err)));
	char want[256];
	snprintf(want, sizeof(want), "config %s: line 2: unknown configuration key 'bogus'", path);
	CHECK_STR(err, want);
	unlink(path);
	config_free(&cfg);

	config_init_defaults(&cfg);
	path = write_file("[server]\ndata = /x\n");
	CHECK(!config_load_file(&cfg, path, err, sizeof(err)));
	unlink(path);
	config_free(&cfg);

	config_init_defaults(&cfg);
	CHECK(!config_load_file(&cfg, "/nonexistent/petrel.conf", err, sizeof(err)));
	CHECK_STR(err, "cannot read config /nonexistent/petrel.conf: No such file or directory");
	config_free(&cfg);
	return unit_finish("config");
}
