/* Configuration keys, their defaults and validation. The table below is the
 * only list of keys: config_set() dispatches on it and the README mirrors it. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"

enum key_type {
	KEY_STR,
	KEY_BOOL,
	KEY_UINT,
	KEY_LIMIT,       /* uint64_t: config_parse_limit(), a count */
	KEY_LIMIT_KIB,   /* uint64_t: config_parse_limit(), a size */
};

struct config_key {
	const char *key;
	enum key_type type;
	size_t offset;
	unsigned int min, max;      /* KEY_UINT bounds */
	const char *default_value;  /* applied by config_init_defaults(); NULL: unset */
	const char *meaning;
};

#define OFF(field) offsetof(struct petrel_config, field)

static const struct config_key config_keys[] = {
	{ "data", KEY_STR, OFF(data_dir), 0, 0, NULL,
	  "data directory: users.db and, later, the mail stores (required)" },
	{ "store", KEY_STR, OFF(store), 0, 0, NULL,
	  "mail store backend; unset: the embedded store, under the data directory" },
	{ "imap", KEY_STR, OFF(imap_listen), 0, 0, NULL,
	  "ADDR:PORT for IMAP with STARTTLS; port 0 picks a free port" },
	{ "imaps", KEY_STR, OFF(imaps_listen), 0, 0, NULL,
	  "ADDR:PORT for IMAP over implicit TLS" },
	{ "lmtp", KEY_STR, OFF(lmtp_listen), 0, 0, NULL,
	  "ADDR:PORT or /path of a unix socket for LMTP delivery from an MTA" },
	{ "tls_cert", KEY_STR, OFF(tls_cert), 0, 0, NULL,
	  "PEM certificate chain; needed for imaps and STARTTLS" },
	{ "tls_key", KEY_STR, OFF(tls_key), 0, 0, NULL, "PEM private key of tls_cert" },
	{ "allow_cleartext_auth", KEY_BOOL, OFF(allow_cleartext_auth), 0, 0, "no",
	  "allow LOGIN and PLAIN without TLS from non-loopback addresses" },
	{ "loops", KEY_UINT, OFF(loops), 0, 64, "0",
	  "event loop threads; 0 means one per CPU core" },
	{ "workers", KEY_UINT, OFF(workers), 1, 256, "4",
	  "worker threads for storage" },
	{ "auth_workers", KEY_UINT, OFF(auth_workers), 1, 64, "4",
	  "threads for password checks, apart from storage's" },
	{ "idle_timeout", KEY_UINT, OFF(idle_timeout_s), 1, 86400, "1800",
	  "seconds without a command before autologout once logged in" },
	{ "login_timeout", KEY_UINT, OFF(login_timeout_s), 1, 3600, "60",
	  "seconds without a command before autologout when not logged in" },
	{ "max_connections", KEY_UINT, OFF(max_connections), 1, 1000000, "20000",
	  "connections in total; more are answered * BYE and closed" },
	{ "max_connections_per_ip", KEY_UINT, OFF(max_connections_per_ip), 1, 1000000, "1000",
	  "connections from one address; more are answered * BYE and closed" },
	{ "max_bad_commands", KEY_UINT, OFF(max_bad_commands), 1, 1000, "20",
	  "BAD answers in one session before it is closed with * BYE" },
	{ "auth_failure_delay_ms", KEY_UINT, OFF(auth_failure_delay_ms), 0, 60000, "2000",
	  "delay before answering a failed login" },
	{ "auth_free_failures", KEY_UINT, OFF(auth_free_failures), 0, 1000, "3",
	  "failed logins per address in 10 minutes before the delay starts doubling" },
	{ "auth_max_delay_ms", KEY_UINT, OFF(auth_max_delay_ms), 0, 600000, "30000",
	  "cap of the doubling failure delay" },
	{ "auth_cache_ttl", KEY_UINT, OFF(auth_cache_ttl_s), 0, 86400, "1800",
	  "seconds a verified password is remembered (a MAC in memory); 0: off" },
	{ "auth_cache_size", KEY_UINT, OFF(auth_cache_size), 0, 1000000, "8192",
	  "users the verified-password cache holds (about 140 bytes each); 0: off" },
	{ "quota_storage", KEY_LIMIT_KIB, OFF(quota_storage_kib), 0, 0, "none",
	  "STORAGE limit of a user without one of their own: a size (K, M, G, T) or none" },
	{ "quota_messages", KEY_LIMIT, OFF(quota_messages), 0, 0, "none",
	  "MESSAGE limit of a user without one of their own, or none" },
	{ "quota_mailboxes", KEY_LIMIT, OFF(quota_mailboxes), 0, 0, "none",
	  "MAILBOX limit of a user without one of their own, or none" },
	{ "quota_full_tempfail", KEY_BOOL, OFF(quota_full_tempfail), 0, 0, "no",
	  "a delivery over quota fails for now (LMTP 452, deliver 75), not for good (552, 73)" },
	{ "recipient_delimiter", KEY_STR, OFF(recipient_delimiter), 0, 0, "+",
	  "LMTP: user+detail@domain delivers into the user's mailbox named detail (INBOX when it"
	  " does not exist); several characters: any of them; empty: off" },
	{ "public_recipient", KEY_STR, OFF(public_recipient), 0, 0, "",
	  "LMTP: NAME+detail@domain (NAME this value) delivers into the public mailbox"
	  " Shared/detail where anyone has the p right; empty: off" },
	{ "index_delay_max", KEY_UINT, OFF(index_delay_max_s), 0, 3600, "60",
	  "seconds the search indexer may step aside for a user's deliveries; 0: never" },
	{ "auth_test_delay_ms", KEY_UINT, OFF(auth_test_delay_ms), 0, 600000, "0",
	  "testing only: every password check sleeps this long on its worker" },
	{ "treat_loopback_as_insecure", KEY_BOOL, OFF(treat_loopback_as_insecure), 0, 0, "no",
	  "testing only: loopback clients get no cleartext-password exemption" },
	{ "log_level", KEY_STR, OFF(log_level), 0, 0, "info", "debug, info, warn or error" },
};

#define CONFIG_KEY_COUNT (sizeof(config_keys) / sizeof(config_keys[0]))

void config_print_keys(FILE *out)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		fprintf(out, "  %-28s default %-7s %s\n", config_keys[i].key,
			config_keys[i].default_value ? config_keys[i].default_value : "-",
			config_keys[i].meaning);
	}
}

void config_init_defaults(struct petrel_config *cfg)
{
	char err[CONFIG_ERR_MAX];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (config_keys[i].default_value != NULL &&
		    !config_set(cfg, config_keys[i].key, config_keys[i].default_value,
				err, sizeof(err)))
			abort();   /* a bad default is a programming error */
	}
}

void config_free(struct petrel_config *cfg)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (config_keys[i].type == KEY_STR) {
			char **p = (char **)((char *)cfg + config_keys[i].offset);

			free(*p);
			*p = NULL;
		}
	}
}

bool config_parse_limit(const char *v, bool size, uint64_t *limit_r)
{
	static const char units[] = "KMGT";
	uint64_t n = 0;
	const char *p = v;

	if (strcasecmp(v, "none") == 0) {
		*limit_r = CONFIG_LIMIT_NONE;
		return true;
	}
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > CONFIG_LIMIT_MAX)
			return false;
	}
	if (*p != '\0') {
		const char *u = size && p[1] == '\0' ? strchr(units, toupper((unsigned char)*p)) : NULL;

		if (u == NULL || *p == '\0')
			return false;
		for (long i = 0; i < u - units; i++) {
			if (n > CONFIG_LIMIT_MAX / 1024)
				return false;
			n *= 1024;
		}
	}
	*limit_r = n;
	return true;
}

static bool parse_bool(const char *v, bool *b_r)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*b_r = true;
		return true;
	}
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*b_r = false;
		return true;
	}
	return false;
}

bool config_set(struct petrel_config *cfg, const char *key, const char *value,
		char *err, size_t err_size)
{
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		const struct config_key *k = &config_keys[i];
		void *field = (char *)cfg + k->offset;

		if (strcmp(k->key, key) != 0)
			continue;
		switch (k->type) {
		case KEY_STR: {
			char **p = field;

			free(*p);
			*p = value[0] == '\0' ? NULL : xstrdup(value);
			return true;
		}
		case KEY_BOOL:
			if (!parse_bool(value, field)) {
				snprintf(err, err_size, "%s: expected yes or no, got '%.40s'", key, value);
				return false;
			}
			return true;
		case KEY_UINT: {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(value, &end, 10);
			if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
			    n < k->min || n > k->max) {
				snprintf(err, err_size, "%s: expected a number from %u to %u, got '%.40s'",
					 key, k->min, k->max, value);
				return false;
			}
			*(unsigned int *)field = (unsigned int)n;
			return true;
		}
		case KEY_LIMIT:
		case KEY_LIMIT_KIB:
			if (!config_parse_limit(value, k->type == KEY_LIMIT_KIB, field)) {
				snprintf(err, err_size, "%s: expected none or a %s, got '%.40s'", key,
					 k->type == KEY_LIMIT_KIB ? "size (K, M, G, T)" : "number",
					 value);
				return false;
			}
			return true;
		}
	}
	snprintf(err, err_size, "unknown configuration key '%.60s'", key);
	return false;
}

struct ini_ctx {
	struct petrel_config *cfg;
	char *err;
	size_t err_size;
	bool failed;
};

/* inih calls this per key; returning 0 makes ini_parse_file() return the line. */
static int config_ini_entry(void *user, const char *section, const char *name,
			    const char *value)
{
	struct ini_ctx *ctx = user;
	char why[CONFIG_ERR_MAX];

	if (ctx->failed)
		return 0;
	if (section[0] != '\0') {
		snprintf(ctx->err, ctx->err_size, "sections are not used ([%.40s])", section);
		ctx->failed = true;
		return 0;
	}
	if (!config_set(ctx->cfg, name, value, why, sizeof(why))) {
		snprintf(ctx->err, ctx->err_size, "%s", why);
		ctx->failed = true;
		return 0;
	}
	return 1;
}

bool config_load_file(struct petrel_config *cfg, const char *path, char *err, size_t err_size)
{
	struct ini_ctx ctx = { cfg, err, err_size, false };
	char why[CONFIG_ERR_MAX] = "";
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, err_size, "cannot read config %s: %s", path, strerror(errno));
		return false;
	}
	ctx.err = why;
	ctx.err_size = sizeof(why);
	int rc = ini_parse_file(f, config_ini_entry, &ctx);
	fclose(f);
	if (ctx.failed || rc != 0) {
		if (!ctx.failed)
			snprintf(why, sizeof(why), "syntax error");
		snprintf(err, err_size, "config %s: line %d: %s", path, rc, why);
		return false;
	}
	return true;
}

bool config_validate(const struct petrel_config *cfg, char *err, size_t err_size)
{
	if (cfg->data_dir == NULL) {
		snprintf(err, err_size, "no data directory: use --data DIR");
		return false;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		snprintf(err, err_size, "tls_cert and tls_key must be given together");
		return false;
	}
	if (cfg->imaps_listen != NULL && cfg->tls_cert == NULL) {
		snprintf(err, err_size, "imaps needs a certificate: use --tls-cert FILE --tls-key FILE");
		return false;
	}
	if (cfg->imap_listen == NULL && cfg->imaps_listen == NULL && cfg->lmtp_listen == NULL) {
		snprintf(err, err_size, "no listener: use --imap ADDR:PORT, --imaps ADDR:PORT"
			 " and/or --lmtp ADDR:PORT");
		return false;
	}
	for (const char *d = cfg->recipient_delimiter; d != NULL && *d != '\0'; d++) {
		if (*d == '@' || *d == '"' || *d == '\\' || (unsigned char)*d <= ' ' ||
		    (unsigned char)*d >= 0x7f || d - cfg->recipient_delimiter >= 8) {
			snprintf(err, err_size, "recipient_delimiter: at most 8 printable characters,"
				 " none of them @, \\ or \"");
			return false;
		}
	}
	/* The local part before the delimiter: a user name's alphabet
	 * (passdb.h), without the delimiter itself. */
	const char *pub = cfg->public_recipient;

	for (size_t i = 0; pub != NULL && pub[i] != '\0'; i++) {
		char c = pub[i];

		if (i >= CONFIG_PUBLIC_RECIPIENT_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-') ||
		    (cfg->recipient_delimiter != NULL && strchr(cfg->recipient_delimiter, c))) {
			snprintf(err, err_size, "public_recipient: at most %d of A-Z a-z 0-9 . _ -,"
				 " none of recipient_delimiter", CONFIG_PUBLIC_RECIPIENT_MAX);
			return false;
		}
	}
	if (pub != NULL && pub[0] != '\0' && cfg->recipient_delimiter == NULL) {
		snprintf(err, err_size, "public_recipient needs a recipient_delimiter");
		return false;
	}
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(cfg->log_level ? cfg->log_level : "info", levels[i]) == 0)
			return true;
	}
	snprintf(err, err_size, "log_level: expected debug, info, warn or error");
	return false;
}
