/* Listening sockets and their accept events, one event per (socket, loop). */
#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/loop.h"

#define LISTEN_BACKLOG 1024
#define LISTENER_MAX_LOOPS 64
#define ACCEPTS_PER_WAKEUP 64   /* fairness: other events run between batches */

struct listener_slot {
	struct listener *listener;
	struct loop *loop;
	struct event *ev;
	listener_accept_fn *accept_cb;
	void *ctx;
};

struct listener {
	char *name;
	char *unix_path;        /* a unix socket's path (removed at close), or NULL */
	int fd;
	bool implicit_tls;
	unsigned int slot_count;
	struct listener_slot slots[LISTENER_MAX_LOOPS];
};

static bool split_addr(const char *addr, char *host, size_t host_size, const char **port_r)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (end == NULL || end[1] != ':' || (size_t)(end - addr - 1) >= host_size)
			return false;
		memcpy(host, addr + 1, (size_t)(end - addr - 1));
		host[end - addr - 1] = '\0';
		*port_r = end + 2;
		return true;
	}
	colon = strrchr(addr, ':');
	if (colon == NULL || (size_t)(colon - addr) >= host_size || colon == addr)
		return false;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	*port_r = colon + 1;
	return true;
}

/* 0..65535 in decimal: getaddrinfo() would silently wrap 99999 to 34463. */
static bool valid_port(const char *port)
{
	unsigned long n = 0;

	if (port[0] == '\0' || strlen(port) > 5)
		return false;
	for (const char *p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	return n <= 65535;
}

/* A unix socket at an absolute path. A socket left by an earlier run is
 * replaced; any other file there is an error. Mode 0666: like a loopback
 * port, any local process may connect (restrict it with the directory's
 * permissions). */
static int listener_open_unix(const char *name, const char *path, struct listener **listener_r,
			      char *err, size_t err_size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_size, "%s: socket path too long: %.80s", name, path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "%s: %.80s exists and is not a socket", name, path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(err, err_size, "%s: cannot listen on %.80s: %s", name, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct listener *l = xcalloc(1, sizeof(*l));
	l->name = xstrdup(name);
	l->unix_path = xstrdup(path);
	l->fd = fd;
	*listener_r = l;
	return 0;
}

int listener_open(const char *name, const char *addr, bool implicit_tls,
		  struct listener **listener_r, char *err, size_t err_size)
{
	char host[256];
	const char *port;
	struct addrinfo hints, *res = NULL;
	int fd, one = 1, rc;

	if (addr[0] == '/' && !implicit_tls)
		return listener_open_unix(name, addr, listener_r, err, err_size);
	if (!split_addr(addr, host, sizeof(host), &port) || !valid_port(port)) {
		snprintf(err, err_size, "%s: bad address '%.80s' (expected ADDR:PORT)", name, addr);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_size, "%s: bad address '%.80s': %s", name, addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(err, err_size, "%s: cannot listen on %.80s: %s", name, addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);

	struct listener *l = xcalloc(1, sizeof(*l));
	l->name = xstrdup(name);
	l->fd = fd;
	l->implicit_tls = implicit_tls;
	*listener_r = l;
	return 0;
}

static void listener_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener_slot *slot = arg;

	(void)what;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				log_warn("accept on %s: %s", slot->listener->name, strerror(errno));
			return;
		}
		slot->accept_cb(slot->loop, cfd, (struct sockaddr *)&peer, len,
				slot->listener->implicit_tls, slot->ctx);
	}
}

void listener_announce(const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char shown[INET6_ADDRSTRLEN] = "?";

	if (l->unix_path != NULL) {
		log_always("listening %s %s", l->name, l->unix_path);
		return;
	}
	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, shown, sizeof(shown));
		log_always("listening %s %s:%u", l->name, shown, ntohs(sin->sin_port));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, shown, sizeof(shown));
		log_always("listening %s [%s]:%u", l->name, shown, ntohs(sin6->sin6_port));
	}
}

void listener_attach(struct listener *l, struct loop *loop, listener_accept_fn *accept_cb, void *ctx)
{
	if (l->slot_count >= LISTENER_MAX_LOOPS)
		abort();
	struct listener_slot *slot = &l->slots[l->slot_count++];

	slot->listener = l;
	slot->loop = loop;
	slot->accept_cb = accept_cb;
	slot->ctx = ctx;
	slot->ev = event_new(loop_base(loop), l->fd, EV_READ | EV_PERSIST, listener_accept_cb, slot);
	event_add(slot->ev, NULL);
}

void listener_detach_this_loop(struct listener *l, struct loop *loop)
{
	for (unsigned int i = 0; i < l->slot_count; i++) {
		if (l->slots[i].loop == loop && l->slots[i].ev != NULL)
			event_del(l->slots[i].ev);
	}
}

void listener_close(struct listener **lp)
{
	struct listener *l = *lp;

	if (l == NULL)
		return;
	for (unsigned int i = 0; i < l->slot_count; i++) {
		if (l->slots[i].ev != NULL)
			event_free(l->slots[i].ev);
	}
	close(l->fd);
	if (l->unix_path != NULL) {
		unlink(l->unix_path);
		free(l->unix_path);
	}
	free(l->name);
	free(l);
	*lp = NULL;
}
