/* One client connection: a non-blocking socket, optionally TLS (driven by
 * hand with SSL_set_fd, since Debian's bufferevent_openssl predates its
 * OpenSSL 3 EOF fixes), an input buffer with a cap and an output buffer
 * with backpressure. A connection lives on one loop and is touched only from
 * that loop's thread. It never calls its owner's `closed` from inside a call
 * the owner made: closing is always finished from the connection's own
 * event callbacks, so owners never see themselves freed mid-call. */
#ifndef PETREL_NET_CONN_H
#define PETREL_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct evbuffer;
struct loop;
struct tls_server;

/* Unconsumed input above which reading stops until the owner consumes some:
 * a client cannot make the server buffer more than this of its input. */
#define CONN_INPUT_MAX (64 * 1024)
/* Output above which conn_output_full() is true: commands stop producing
 * and the session stops reading commands until the client drains it. */
#define CONN_OUTPUT_HIGH (256 * 1024)
/* Output queued by all connections together above which a connection that
 * has any output of its own counts as full too: commands then produce no
 * more until their own client drains, so clients that stop reading cannot
 * make the server hold more than about this (plus one step per session)
 * however many of them there are. 64 MiB: above what hundreds of clients
 * that do read keep queued (they drain it as fast as it is produced); when
 * it is reached they only wait for their own output to empty first. */
#define CONN_OUTPUT_TOTAL_MAX (64u * 1024 * 1024)
/* How long a closing connection may take to flush its last output. */
#define CONN_CLOSE_FLUSH_MS 5000

struct conn_handler {
	void (*input)(void *owner);     /* new input, or the peer closed its side (see conn_eof) */
	void (*drained)(void *owner);   /* output went from full to empty */
	void (*closed)(void *owner);    /* gone; the conn is already freed */
	void (*shutdown)(void *owner);  /* server is stopping: say BYE and conn_close() */
};

struct conn;

/* Takes ownership of fd. With tls != NULL the TLS handshake starts at once
 * (implicit TLS); output written before it completes is sent after. */
struct conn *conn_create(struct loop *loop, int fd, const struct sockaddr *peer,
			 socklen_t peer_len, struct tls_server *tls,
			 const struct conn_handler *handler, void *owner);

struct evbuffer *conn_input(struct conn *conn);
/* The owner drained some input: resumes reading if it had stopped at the cap. */
void conn_input_consumed(struct conn *conn);
bool conn_eof(const struct conn *conn);
void conn_write(struct conn *conn, const void *data, size_t len);
void conn_write_str(struct conn *conn, const char *s);
/* conn_write() of a malloc()ed block without copying it: the connection
 * takes it (frees it once sent, or at once when it drops output). */
void conn_write_owned(struct conn *conn, void *data, size_t len);
size_t conn_output_size(const struct conn *conn);
/* True when the connection's output is over CONN_OUTPUT_HIGH, or it has
 * output while the server-wide total is over CONN_OUTPUT_TOTAL_MAX; the
 * owner's `drained` is then called once the output is empty. */
bool conn_output_full(struct conn *conn);
/* Bytes queued for output by every connection (all loops). */
size_t conn_output_total(void);

/* After what is queued now has been sent, start a server-side TLS handshake
 * (STARTTLS). Unread input is discarded now: anything a client pipelined
 * after STARTTLS must not be taken as coming from inside TLS. */
void conn_start_tls(struct conn *conn, struct tls_server *tls);
bool conn_is_tls(const struct conn *conn);
/* A TLS connection's negotiated protocol and cipher, for logging. */
const char *conn_tls_version(const struct conn *conn);

/* Flush what is queued (bounded by CONN_CLOSE_FLUSH_MS), then close and call
 * the owner's `closed`. No more input is delivered. */
void conn_close(struct conn *conn);

const struct sockaddr *conn_peer(const struct conn *conn);
const char *conn_peer_str(const struct conn *conn);   /* "127.0.0.1:5678" */
bool conn_peer_is_loopback(const struct conn *conn);
unsigned long long conn_id(const struct conn *conn);
struct loop *conn_loop(const struct conn *conn);

/* Calls every connection's `shutdown` on the calling loop's thread. */
void conn_shutdown_all_on_this_loop(void);
unsigned int conn_count_on_this_loop(void);

#endif
