/* Connection I/O: reads into a capped input evbuffer, writes from an output
 * evbuffer, plain or through OpenSSL in non-blocking mode. Each connection
 * has one persistent read event and one write event added only while output
 * is blocked; TLS's cross-wants (a read that needs the socket writable and
 * the reverse) are tracked with two flags.
 * Every way a connection ends must reach conn_destroy(): an error or a
 * failed handshake destroys it at once; conn_close() arms close_timer, a
 * deadline no later event moves, and a closing connection that is still in
 * (or about to start) a TLS handshake is destroyed without waiting, since
 * nothing it holds can reach the peer. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/conn-limits.h"
#include "net/loop.h"
#include "net/tls.h"

#define CONN_READ_CHUNK 16384    /* bytes per read(2)/SSL_read: one TLS record */
#define CONN_WRITE_CHUNK 16384          /* one TLS record */
#define CONN_WRITE_PLAIN_MAX (1024 * 1024)

enum conn_tls_state { TLS_NONE, TLS_PENDING_START, TLS_HANDSHAKE, TLS_OPEN };

struct conn {
	struct conn *prev, *next;          /* this loop's list */
	struct loop *loop;
	int fd;
	unsigned long long id;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char peer_str[64];

	SSL *ssl;
	struct tls_server *pending_tls;    /* STARTTLS: start after the flush */
	enum conn_tls_state tls_state;
	bool tls_read_wants_write;
	bool tls_write_wants_read;

	struct event *read_ev, *write_ev;
	struct event *close_timer;         /* armed once, by conn_close() */
	struct evbuffer *in, *out;
	bool reading_paused;               /* input at CONN_INPUT_MAX */
	bool eof;
	bool closing;
	bool output_was_full;
	size_t output_counted;             /* this conn's share of output_total */

	const struct conn_handler *handler;
	void *owner;
};

/* Bytes queued in every connection's output, all loops together: the
 * server-wide bound of conn_output_full() reads it. */
static size_t output_total;

static _Thread_local struct conn *loop_conns;
static _Thread_local unsigned int loop_conn_count;
static unsigned long long next_conn_id = 1;

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);
static void conn_close_timeout_cb(evutil_socket_t fd, short what, void *arg);
static void conn_begin_handshake(struct conn *conn, struct tls_server *tls);

/* Brings output_total up to date with this connection's output. */
static void conn_output_account(struct conn *conn)
{
	size_t now = evbuffer_get_length(conn->out);

	if (now >= conn->output_counted)
		__atomic_add_fetch(&output_total, now - conn->output_counted, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&output_total, conn->output_counted - now, __ATOMIC_RELAXED);
	conn->output_counted = now;
}

static void conn_format_peer(struct conn *conn)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (conn->peer.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&conn->peer;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(conn->peer_str, sizeof(conn->peer_str), "%s:%u", host, port);
	} else if (conn->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&conn->peer;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(conn->peer_str, sizeof(conn->peer_str), "[%s]:%u", host, port);
	} else {
		snprintf(conn->peer_str, sizeof(conn->peer_str), "local");
	}
}

struct conn *conn_create(struct loop *loop, int fd, const struct sockaddr *peer,
			 socklen_t peer_len, struct tls_server *tls,
			 const struct conn_handler *handler, void *owner)
{
	struct conn *conn = xcalloc(1, sizeof(*conn));
	struct event_base *base = loop_base(loop);
	int one = 1;

	conn->loop = loop;
	conn->fd = fd;
	conn->id = __atomic_fetch_add(&next_conn_id, 1, __ATOMIC_RELAXED);
	if (peer_len > sizeof(conn->peer))
		peer_len = sizeof(conn->peer);
	memcpy(&conn->peer, peer, peer_len);
	conn->peer_len = peer_len;
	conn_format_peer(conn);
	conn->handler = handler;
	conn->owner = owner;
	/* Responses are written whole; Nagle would only delay tagged replies. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	conn->in = evbuffer_new();
	conn->out = evbuffer_new();
	conn->read_ev = event_new(base, fd, EV_READ | EV_PERSIST, conn_read_cb, conn);
	conn->write_ev = event_new(base, fd, EV_WRITE, conn_write_cb, conn);
	conn->close_timer = evtimer_new(base, conn_close_timeout_cb, conn);
	event_add(conn->read_ev, NULL);

	conn->next = loop_conns;
	if (loop_conns != NULL)
		loop_conns->prev = conn;
	loop_conns = conn;
	loop_conn_count++;

	if (tls != NULL)
		conn_begin_handshake(conn, tls);
	return conn;
}

/* Frees everything and tells the owner. Only called from this file's own
 * event callbacks (see the header's promise). */
static void conn_destroy(struct conn *conn)
{
	const struct conn_handler *handler = conn->handler;
	void *owner = conn->owner;

	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		loop_conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	loop_conn_count--;

	event_free(conn->read_ev);
	event_free(conn->write_ev);
	event_free(conn->close_timer);
	if (conn->ssl != NULL) {
		if (conn->tls_state == TLS_OPEN && !conn->eof)
			SSL_shutdown(conn->ssl);   /* one close_notify, no wait */
		SSL_free(conn->ssl);
	}
	ERR_clear_error();
	close(conn->fd);
	conn_limits_release((const struct sockaddr *)&conn->peer);
	evbuffer_free(conn->in);
	evbuffer_drain(conn->out, evbuffer_get_length(conn->out));
	conn_output_account(conn);
	evbuffer_free(conn->out);
	free(conn);
	handler->closed(owner);
}

/* No timeout here: a closing connection's deadline is close_timer, which
 * re-adding write_ev after each partial write must not push back. */
static void conn_schedule_write(struct conn *conn)
{
	event_add(conn->write_ev, NULL);
}

static void conn_close_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	log_debug("%s: output not drained in time, closing", conn->peer_str);
	conn_destroy(conn);
}

static void conn_begin_handshake(struct conn *conn, struct tls_server *tls)
{
	/* A failure below leaves the state at TLS_HANDSHAKE, which a closing
	 * connection never flushes: no plain text goes where TLS was due. */
	conn->tls_state = TLS_HANDSHAKE;
	conn->ssl = tls_server_new_ssl(tls);
	if (conn->ssl == NULL || SSL_set_fd(conn->ssl, conn->fd) != 1) {
		log_error("%s: cannot create TLS session", conn->peer_str);
		conn->eof = true;      /* conn_write() drops what the owner adds */
		conn_close(conn);
		return;
	}
	SSL_set_accept_state(conn->ssl);
	/* conn_start_tls() stopped reading until now. */
	event_add(conn->read_ev, NULL);
	event_active(conn->read_ev, EV_READ, 0);
}

/* Returns false when the connection failed and must be destroyed. */
static bool conn_tls_handshake(struct conn *conn)
{
	int rc = SSL_do_handshake(conn->ssl);

	if (rc == 1) {
		conn->tls_state = TLS_OPEN;
		log_debug("%s: TLS established: %s %s", conn->peer_str,
			  SSL_get_version(conn->ssl), SSL_get_cipher_name(conn->ssl));
		if (evbuffer_get_length(conn->out) > 0)
			conn_schedule_write(conn);
		return true;
	}
	switch (SSL_get_error(conn->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return true;
	case SSL_ERROR_WANT_WRITE:
		conn->tls_read_wants_write = true;
		conn_schedule_write(conn);
		return true;
	default: {
		unsigned long e = ERR_peek_error();

		log_info("%s: TLS handshake failed: %s", conn->peer_str,
			 e != 0 ? ERR_reason_error_string(e) : "connection closed");
		ERR_clear_error();
		return false;
	}
	}
}

enum read_result { READ_AGAIN, READ_EOF, READ_ERROR };

/* Reads until the socket is empty or the input cap is reached. */
static enum read_result conn_fill_input(struct conn *conn)
{
	for (;;) {
		size_t have = evbuffer_get_length(conn->in);
		struct evbuffer_iovec vec;
		ssize_t n;

		if (have >= CONN_INPUT_MAX) {
			conn->reading_paused = true;
			event_del(conn->read_ev);
			return READ_AGAIN;
		}
		size_t want = CONN_INPUT_MAX - have;
		if (want > CONN_READ_CHUNK)
			want = CONN_READ_CHUNK;
		if (evbuffer_reserve_space(conn->in, (ev_ssize_t)want, &vec, 1) < 1)
			return READ_ERROR;
		if (vec.iov_len > want)
			vec.iov_len = want;
		if (conn->ssl != NULL) {
			int rc = SSL_read(conn->ssl, vec.iov_base, (int)vec.iov_len);

			if (rc > 0) {
				n = rc;
			} else {
				int err = SSL_get_error(conn->ssl, rc);

				vec.iov_len = 0;
				evbuffer_commit_space(conn->in, &vec, 1);
				if (err == SSL_ERROR_WANT_READ)
					return READ_AGAIN;
				if (err == SSL_ERROR_WANT_WRITE) {
					conn->tls_read_wants_write = true;
					conn_schedule_write(conn);
					return READ_AGAIN;
				}
				if (err == SSL_ERROR_ZERO_RETURN)
					return READ_EOF;
				ERR_clear_error();
				/* A peer that closes without close_notify is common
				 * (clients after LOGOUT): treat it as EOF. */
				return err == SSL_ERROR_SYSCALL ? READ_EOF : READ_ERROR;
			}
		} else {
			n = read(conn->fd, vec.iov_base, vec.iov_len);
			if (n <= 0) {
				vec.iov_len = 0;
				evbuffer_commit_space(conn->in, &vec, 1);
				if (n == 0)
					return READ_EOF;
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return READ_AGAIN;
				return errno == ECONNRESET ? READ_EOF : READ_ERROR;
			}
		}
		vec.iov_len = (size_t)n;
		evbuffer_commit_space(conn->in, &vec, 1);
	}
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	if (conn->tls_write_wants_read) {
		conn->tls_write_wants_read = false;
		conn_schedule_write(conn);
	}
	if (conn->closing || conn->eof)
		return;
	if (conn->tls_state == TLS_PENDING_START) {
		/* Not reading now: a readable socket would fire again at once. */
		event_del(conn->read_ev);
		return;
	}
	if (conn->tls_state == TLS_HANDSHAKE) {
		if (!conn_tls_handshake(conn)) {
			conn_destroy(conn);
			return;
		}
		if (conn->tls_state != TLS_OPEN)
			return;
	}
	enum read_result r = conn_fill_input(conn);
	if (r == READ_ERROR) {
		log_debug("%s: read error, closing", conn->peer_str);
		conn_destroy(conn);
		return;
	}
	if (r == READ_EOF) {
		conn->eof = true;
		event_del(conn->read_ev);
	}
	conn->handler->input(conn->owner);
}

/* Returns false when the connection failed. */
static bool conn_flush(struct conn *conn)
{
	while (evbuffer_get_length(conn->out) > 0) {
		struct evbuffer_iovec vec;
		ssize_t n;

		if (evbuffer_peek(conn->out, CONN_WRITE_CHUNK, NULL, &vec, 1) < 1)
			break;
		size_t len = vec.iov_len > CONN_WRITE_CHUNK ? CONN_WRITE_CHUNK : vec.iov_len;
		if (conn->ssl != NULL) {
			int rc = SSL_write(conn->ssl, vec.iov_base, (int)len);

			if (rc <= 0) {
				int err = SSL_get_error(conn->ssl, rc);

				if (err == SSL_ERROR_WANT_WRITE) {
					conn_schedule_write(conn);
					return true;
				}
				if (err == SSL_ERROR_WANT_READ) {
					conn->tls_write_wants_read = true;
					return true;
				}
				ERR_clear_error();
				return false;
			}
			n = rc;
		} else {
			/* Plain: as much as the socket takes, in one writev of
			 * the buffer's chains (SIGPIPE is ignored process-wide). */
			n = evbuffer_write_atmost(conn->out, conn->fd, CONN_WRITE_PLAIN_MAX);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
					conn_schedule_write(conn);
					return true;
				}
				return false;
			}
			continue;   /* evbuffer_write_atmost() drained what it sent */
		}
		evbuffer_drain(conn->out, (size_t)n);
	}
	return true;
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *conn = arg;

	(void)fd;
	(void)what;
	if (conn->closing &&
	    (conn->tls_state == TLS_HANDSHAKE || conn->tls_state == TLS_PENDING_START)) {
		/* Output queued before or during a handshake is for a TLS session
		 * that will not exist; waiting for the peer would only hold the
		 * descriptor (issue 12: CLOSE-WAIT until restart). */
		conn_destroy(conn);
		return;
	}
	if (conn->tls_read_wants_write) {
		conn->tls_read_wants_write = false;
		event_active(conn->read_ev, EV_READ, 0);
	}
	if (conn->tls_state == TLS_HANDSHAKE)
		return;
	bool flushed = conn_flush(conn);

	conn_output_account(conn);
	if (!flushed) {
		conn_destroy(conn);
		return;
	}
	if (evbuffer_get_length(conn->out) > 0)
		return;
	/* Output empty. */
	if (conn->closing) {
		conn_destroy(conn);
		return;
	}
	if (conn->tls_state == TLS_PENDING_START) {
		struct tls_server *tls = conn->pending_tls;

		conn->pending_tls = NULL;
		conn_begin_handshake(conn, tls);
		return;
	}
	if (conn->output_was_full) {
		conn->output_was_full = false;
		conn->handler->drained(conn->owner);
	}
}

struct evbuffer *conn_input(struct conn *conn)
{
	return conn->in;
}

void conn_input_consumed(struct conn *conn)
{
	if (conn->reading_paused && !conn->closing && !conn->eof &&
	    evbuffer_get_length(conn->in) < CONN_INPUT_MAX) {
		conn->reading_paused = false;
		event_add(conn->read_ev, NULL);
		/* TLS may hold decrypted bytes the socket will not signal. */
		event_active(conn->read_ev, EV_READ, 0);
	}
}

bool conn_eof(const struct conn *conn)
{
	return conn->eof;
}

/* After bytes were added to the output (was_empty: it had none before). */
static void conn_output_added(struct conn *conn, bool was_empty)
{
	conn_output_account(conn);
	if (evbuffer_get_length(conn->out) >= CONN_OUTPUT_HIGH)
		conn->output_was_full = true;
	/* During a handshake the output waits for it; between a STARTTLS reply
	 * and the handshake the session writes nothing. */
	if (was_empty && conn->tls_state != TLS_HANDSHAKE)
		conn_schedule_write(conn);
}

void conn_write(struct conn *conn, const void *data, size_t len)
{
	if (conn->closing && conn->eof)
		return;
	bool was_empty = evbuffer_get_length(conn->out) == 0;

	evbuffer_add(conn->out, data, len);
	conn_output_added(conn, was_empty);
}

static void conn_free_owned(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	free((void *)data);
}

void conn_write_owned(struct conn *conn, void *data, size_t len)
{
	if (len == 0 || (conn->closing && conn->eof)) {
		free(data);
		return;
	}
	bool was_empty = evbuffer_get_length(conn->out) == 0;

	/* The block joins the output as it is; freed once sent. */
	if (evbuffer_add_reference(conn->out, data, len, conn_free_owned, NULL) != 0) {
		evbuffer_add(conn->out, data, len);
		free(data);
	}
	conn_output_added(conn, was_empty);
}

void conn_write_str(struct conn *conn, const char *s)
{
	conn_write(conn, s, strlen(s));
}

size_t conn_output_size(const struct conn *conn)
{
	return evbuffer_get_length(conn->out);
}

bool conn_output_full(struct conn *conn)
{
	size_t own = evbuffer_get_length(conn->out);
	bool full = own >= CONN_OUTPUT_HIGH ||
		(own > 0 && __atomic_load_n(&output_total, __ATOMIC_RELAXED) >= CONN_OUTPUT_TOTAL_MAX);

	/* Whoever sees "full" waits for `drained`, which comes once this
	 * connection's output is empty. */
	if (full)
		conn->output_was_full = true;
	return full;
}

size_t conn_output_total(void)
{
	return __atomic_load_n(&output_total, __ATOMIC_RELAXED);
}

void conn_start_tls(struct conn *conn, struct tls_server *tls)
{
	/* RFC 9051 §6.2.1 / CVE-2011-0411: nothing received before the
	 * handshake may be used after it. */
	evbuffer_drain(conn->in, evbuffer_get_length(conn->in));
	conn->tls_state = TLS_PENDING_START;
	conn->pending_tls = tls;
	/* Nothing is read until the handshake starts (conn_begin_handshake). */
	event_del(conn->read_ev);
	conn->reading_paused = false;
	conn_schedule_write(conn);
}

bool conn_is_tls(const struct conn *conn)
{
	return conn->ssl != NULL;
}

const char *conn_tls_version(const struct conn *conn)
{
	return conn->ssl != NULL ? SSL_get_version(conn->ssl) : "none";
}

void conn_close(struct conn *conn)
{
	struct timeval flush = { CONN_CLOSE_FLUSH_MS / 1000, (CONN_CLOSE_FLUSH_MS % 1000) * 1000 };

	if (conn->closing)
		return;
	conn->closing = true;
	event_del(conn->read_ev);
	/* The deadline holds whatever the write side does next. */
	event_add(conn->close_timer, &flush);
	/* Always finish from the write callback, even with nothing to flush,
	 * so `closed` never runs inside the owner's own call. (event_active
	 * runs it once; it re-adds write_ev itself if the socket is full.) */
	event_active(conn->write_ev, EV_WRITE, 0);
}

const struct sockaddr *conn_peer(const struct conn *conn)
{
	return (const struct sockaddr *)&conn->peer;
}

const char *conn_peer_str(const struct conn *conn)
{
	return conn->peer_str;
}

bool conn_peer_is_loopback(const struct conn *conn)
{
	if (conn->peer.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&conn->peer;

		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (conn->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&conn->peer;

		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

unsigned long long conn_id(const struct conn *conn)
{
	return conn->id;
}

struct loop *conn_loop(const struct conn *conn)
{
	return conn->loop;
}

void conn_shutdown_all_on_this_loop(void)
{
	struct conn *conn = loop_conns;

	while (conn != NULL) {
		struct conn *next = conn->next;

		if (!conn->closing)
			conn->handler->shutdown(conn->owner);
		conn = next;
	}
}

unsigned int conn_count_on_this_loop(void)
{
	return loop_conn_count;
}
