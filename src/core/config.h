/* Server configuration: defaults, the INI config file (inih) and command-line
 * flags all set the same keys through config_set(), so they can never
 * disagree about names or validation. Flags are applied after the file. */
#ifndef PETREL_CONFIG_H
#define PETREL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_ERR_MAX 256

/* public_recipient: a local part, as long as a user name may usefully be. */
#define CONFIG_PUBLIC_RECIPIENT_MAX 64

struct petrel_config {
	char *data_dir;
	char *store;            /* the store backend (store.h store_env_open()); NULL: default */
	char *imap_listen;      /* "ADDR:PORT" or NULL for none */
	char *imaps_listen;
	char *lmtp_listen;      /* "ADDR:PORT", "/path" (unix socket) or NULL */
	char *tls_cert;
	char *tls_key;
	bool allow_cleartext_auth;
	unsigned int loops;             /* event loop threads; 0 = one per core */
	unsigned int workers;           /* worker pool threads */
	unsigned int auth_workers;      /* password-check threads */
	unsigned int idle_timeout_s;    /* autologout after login (RFC 9051 §5.4: >= 30 min) */
	unsigned int login_timeout_s;   /* before login */
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	unsigned int max_bad_commands;
	unsigned int auth_failure_delay_ms;
	unsigned int auth_free_failures;
	unsigned int auth_max_delay_ms;
	unsigned int auth_cache_ttl_s;         /* verified-password cache; 0 = off */
	unsigned int auth_cache_size;
	char *recipient_delimiter;             /* LMTP user+detail; NULL: off */
	char *public_recipient;                /* LMTP NAME+detail: public mailbox; NULL: off */
	unsigned int index_delay_max_s;        /* indexer steps aside for deliveries this long */
	/* Default quota limits (CONFIG_LIMIT_NONE: none); storage in KiB. */
	uint64_t quota_storage_kib;
	uint64_t quota_messages;
	uint64_t quota_mailboxes;
	bool quota_full_tempfail;              /* over quota: LMTP 452 / exit 75, not 552 / 73 */
	unsigned int auth_test_delay_ms;       /* testing only */
	bool treat_loopback_as_insecure;       /* testing only */
	char *log_level;
};

/* A limit that is "none". */
#define CONFIG_LIMIT_NONE UINT64_MAX
/* The largest limit a key or `petrel quota set` takes (2^52). */
#define CONFIG_LIMIT_MAX (UINT64_C(1) << 52)
/* A limit: "none", or a number up to CONFIG_LIMIT_MAX; with size, KiB, or
 * with a suffix K, M, G or T (KiB, MiB, GiB, TiB; any case). */
bool config_parse_limit(const char *v, bool size, uint64_t *limit_r);

/* The documentation of every key with its default, one line each. */
void config_print_keys(FILE *out);

void config_init_defaults(struct petrel_config *cfg);
void config_free(struct petrel_config *cfg);
/* Returns false and writes one line into err on an unknown key or bad value. */
bool config_set(struct petrel_config *cfg, const char *key, const char *value,
		char *err, size_t err_size);
bool config_load_file(struct petrel_config *cfg, const char *path, char *err, size_t err_size);
/* Cross-key checks after everything is set (e.g. cert without key). */
bool config_validate(const struct petrel_config *cfg, char *err, size_t err_size);

#endif
