/* The server's TLS context: certificate and key loaded into an OpenSSL
 * SSL_CTX with TLS 1.2 as the floor (1.3 preferred by OpenSSL's defaults),
 * and in TLS 1.2 only ECDHE suites with AEAD ciphers (see tls.c).
 * tls_server_reload() (SIGHUP) builds a new context and swaps it in; live
 * connections keep the context they were made with (OpenSSL refcounts it). */
#ifndef PETREL_NET_TLS_H
#define PETREL_NET_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct tls_server;

/* On failure returns -1 with one line in err (unreadable file, bad key...). */
int tls_server_create(const char *cert_file, const char *key_file,
		      struct tls_server **tls_r, char *err, size_t err_size);
void tls_server_destroy(struct tls_server **tls);
/* Reloads the same files; on failure the old context stays in use. */
int tls_server_reload(struct tls_server *tls, char *err, size_t err_size);
/* A new server-side SSL for one connection, from the current context. */
SSL *tls_server_new_ssl(struct tls_server *tls);

#endif
