/* TLS context setup and reload. Buffers are released when idle
 * (SSL_MODE_RELEASE_BUFFERS): an idle TLS connection then costs a few KB
 * instead of ~50 KB of read/write buffers. */
#include "net/tls.h"

#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/xalloc.h"

/* TLS 1.2 suites offered: forward-secret (ECDHE) and AEAD only, the order of
 * Mozilla's "intermediate" profile (v5.7) without its DHE suites, which would
 * need DH parameters and add nothing a client of this decade lacks. No static
 * RSA (no forward secrecy) and no CBC with SHA-1 (Lucky13-style padding
 * oracles). TLS 1.3 keeps OpenSSL's default suites, all of which are AEAD and
 * forward-secret (RFC 8446 §9.1). */
#define TLS_12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls_server {
	char *cert_file, *key_file;
	pthread_mutex_t lock;
	SSL_CTX *ctx;
};

static void tls_error_string(const char *what, const char *file, char *err, size_t err_size)
{
	unsigned long e = ERR_get_error();
	char reason[200] = "unknown error";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(err, err_size, "%s %s: %s", what, file, reason);
}

static SSL_CTX *tls_ctx_load(const char *cert_file, const char *key_file,
			     char *err, size_t err_size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		tls_error_string("cannot create TLS context for", cert_file, err, err_size);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS_12_CIPHERS) != 1) {
		tls_error_string("cannot set TLS versions and ciphers for", cert_file, err, err_size);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_error_string("cannot load certificate", cert_file, err, err_size);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		tls_error_string("cannot load private key", key_file, err, err_size);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_error_string("private key does not match certificate", cert_file, err, err_size);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int tls_server_create(const char *cert_file, const char *key_file,
		      struct tls_server **tls_r, char *err, size_t err_size)
{
	SSL_CTX *ctx = tls_ctx_load(cert_file, key_file, err, err_size);

	if (ctx == NULL)
		return -1;
	struct tls_server *tls = xcalloc(1, sizeof(*tls));
	tls->cert_file = xstrdup(cert_file);
	tls->key_file = xstrdup(key_file);
	pthread_mutex_init(&tls->lock, NULL);
	tls->ctx = ctx;
	*tls_r = tls;
	return 0;
}

void tls_server_destroy(struct tls_server **tlsp)
{
	struct tls_server *tls = *tlsp;

	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	pthread_mutex_destroy(&tls->lock);
	free(tls->cert_file);
	free(tls->key_file);
	free(tls);
	*tlsp = NULL;
}

int tls_server_reload(struct tls_server *tls, char *err, size_t err_size)
{
	SSL_CTX *ctx = tls_ctx_load(tls->cert_file, tls->key_file, err, err_size);

	if (ctx == NULL)
		return -1;
	pthread_mutex_lock(&tls->lock);
	SSL_CTX *old = tls->ctx;
	tls->ctx = ctx;
	pthread_mutex_unlock(&tls->lock);
	SSL_CTX_free(old);   /* connections made with it hold their own reference */
	return 0;
}

SSL *tls_server_new_ssl(struct tls_server *tls)
{
	pthread_mutex_lock(&tls->lock);
	SSL *ssl = SSL_new(tls->ctx);
	pthread_mutex_unlock(&tls->lock);
	return ssl;
}
