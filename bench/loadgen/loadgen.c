/* loadgen: the mixed-session load generator of bench/fig_mix.py, in C.
 *
 * N simulated mail clients run from one thread over non-blocking loopback
 * sockets and one epoll set. Each client repeats the session script of
 * fig_mix.Client.session() until the deadline (a session that started
 * before it finishes) and times every command from just before its bytes
 * are written to just after its tagged line is read (CLOCK_MONOTONIC).
 *
 *   loadgen --host 127.0.0.1 --port PORT --clients N --seconds S
 *           --users u1,u2,... --password PW --messages FILE --seed N
 *           [--sources K]
 *
 * --sources K: client i connects from 127.0.0.(1 + i mod K) (an IPv4
 * loopback host only), as mail clients come from many addresses: a server's
 * per-address limits (petrel queues at most 64 password checks per
 * address) are for floods from one, not for a whole user base. Default 1:
 * the kernel's choice (127.0.0.1).
 *
 * FILE: records of "LENGTH\n" followed by LENGTH raw bytes, the messages to
 * APPEND. Output: one JSON object on stdout (see print_json()). Exit 0 even
 * when sessions failed (the errors are in the JSON), 2 on bad arguments, 1
 * on a fatal local error.
 *
 * Rules every client follows:
 *  - one command in flight; its state is the client's `step`;
 *  - a response is read line by line; a line ending in {N} or {N+} is
 *    followed by N bytes of literal that are skipped, never buffered, and
 *    the line after them continues the same response;
 *  - any tagged NO/BAD, EOF or surprise ends the session as an error: the
 *    socket is closed and the client retries 50 ms later (at most
 *    MAX_CLIENT_ERRORS times).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Limits of the command line: enough for the benchmark's 100 clients with
 * a wide margin, small enough that every table below stays bounded. */
#define MAX_CLIENTS 10000
#define MAX_SOURCES 254         /* 127.0.0.1 .. 127.0.0.254 */
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24      /* linux/in.h (Linux 4.2), not in glibc's */
#endif
#define MAX_SECONDS 3600.0
/* Past the deadline, sessions get this long to finish before they are
 * abandoned and reported as errors (a server that stopped answering). */
#define HARD_STOP_GRACE 60.0
#define MAX_MESSAGES 10000
#define MAX_MESSAGE_SIZE ((size_t)16 << 20)
/* The whole messages file is held in memory. */
#define MAX_MESSAGES_FILE ((size_t)1 << 30)
/* The longest response line (a UID SEARCH ALL of a big mailbox is the
 * longest we expect: ~7 bytes a message) and the largest literal. */
#define MAX_LINE ((size_t)64 << 20)
#define MAX_LITERAL ((size_t)64 << 20)
/* A line buffer grown past this is freed once its line is handled, so that
 * thousands of idle clients do not each keep a SEARCH-sized buffer. */
#define LINE_KEEP ((size_t)64 << 10)
#define MAX_UIDS 1000000
#define MAX_ERROR_LEN 200
#define MAX_ERRORS_KEPT 100
#define MAX_CLIENT_ERRORS 20
#define RETRY_DELAY 0.05
/* User names and the password are sent as quoted strings in LOGIN. */
#define MAX_CREDENTIAL 255
/* A command line without its literal: LOGIN with two MAX_CREDENTIAL
 * strings is the longest. */
#define CMD_MAX 1024
#define READ_CHUNK ((size_t)256 << 10)
#define READS_PER_EVENT 8
#define MAX_EVENTS 256
#define EXCERPT_LEN 120

enum family {
	F_LOGIN, F_SELECT, F_HEADERS, F_BODY, F_STORE, F_SEARCH, F_APPEND,
	F_EXPUNGE, F_IDLE, F_LOGOUT, F_COUNT
};

static const char *const family_names[F_COUNT] = {
	"login", "select", "headers", "body", "store", "search", "append",
	"expunge", "idle", "logout",
};

enum step {
	ST_OFF, ST_CONNECT, ST_GREETING, ST_LOGIN, ST_SELECT, ST_HEADERS,
	ST_SEARCH_ALL, ST_BODY, ST_STORE_ADD, ST_STORE_REMOVE, ST_SEARCH,
	ST_APPEND, ST_EXP_STORE, ST_EXP_EXPUNGE, ST_IDLE_WAIT, ST_IDLE_DONE,
	ST_LOGOUT, ST_SLEEP, ST_FINISHED, ST_COUNT
};

static const char *const step_names[ST_COUNT] = {
	"off", "connect", "greeting", "login", "select", "headers",
	"uid search all", "body", "store +seen", "store -seen", "search",
	"append", "expunge (store)", "expunge", "idle", "idle done",
	"logout", "sleep", "finished",
};

static const char *const searches[4] = {
	"UNSEEN", "FROM \"linux\"", "SUBJECT \"razor\"", "TEXT \"open source\"",
};

#define HEADER_FIELDS "(From To Cc Subject Date Message-ID References In-Reply-To Content-Type)"

/* IO_CLOSED: the client's connection was closed (and perhaps a new
 * session started); the caller must not touch the old connection again. */
enum io { IO_OK, IO_CLOSED };

struct message {
	const char *data;
	size_t len;
};

struct samples {
	double *v;
	size_t n, cap;
};

struct client {
	unsigned idx;
	int fd;
	enum step step;
	const char *user;
	uint64_t rng;
	unsigned sessions, errors;
	double t0;		/* start of the timed interval */
	double wake;		/* ST_SLEEP: when to retry */
	struct client *next;	/* sleep queue */
	bool out_armed;		/* EPOLLOUT requested */

	/* connection */
	unsigned tagn;
	char tag[16];
	size_t taglen;
	char cmd[CMD_MAX];
	size_t cmd_len;
	const char *body;	/* APPEND literal, sent after cmd */
	size_t body_len;
	size_t out_off, out_total;
	char *line;		/* a line split across reads */
	size_t line_len, line_cap;
	size_t skip;		/* literal bytes still to skip */
	bool cont;		/* the next line continues a response */

	/* session */
	bool have_uidnext;
	uint32_t uidnext;
	uint32_t *uids;
	size_t nuids, uids_cap;
	int bodies_left;
	uint32_t new_uid;
};

struct loadgen {
	/* configuration */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned nclients;
	double seconds;
	char *users_buf;
	char **users;
	unsigned nusers;
	const char *password;
	uint64_t seed;
	unsigned sources;       /* source addresses 127.0.0.1..K; 1: no bind() */
	char *msg_buf;
	struct message *msgs;
	size_t nmsgs;

	/* run */
	int ep;
	double start, deadline, hard, last_finish;
	unsigned active;
	uint64_t sessions;
	struct client *clients;
	struct client *sleep_head, *sleep_tail;
	char *scratch;
	struct samples times[F_COUNT];
	char *errors[MAX_ERRORS_KEPT];
	size_t errors_kept;
	uint64_t error_count;
};

static struct loadgen lg = { .ep = -1, .sources = 1 };

static enum io session_start(struct client *c);

/* -- small helpers ------------------------------------------------------ */

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: loadgen --host 127.0.0.1 --port PORT --clients N --seconds S "
	      "--users u1,u2,... --password PW --messages FILE --seed N [--sources K]\n",
	      stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *state, size_t n)
{
	return (size_t)(rng_next(state) % n);
}

static void *xrealloc(void *p, size_t n, size_t size)
{
	void *q;

	if (n != 0 && size > SIZE_MAX / n)
		die("allocation overflow");
	q = realloc(p, n * size == 0 ? 1 : n * size);
	if (q == NULL)
		die("out of memory");
	return q;
}

static void samples_add(struct samples *s, double ms)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = xrealloc(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = ms;
}

/* Printable ASCII of line[0..len), at most out_size - 1 bytes. */
static void excerpt(char *out, size_t out_size, const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < out_size; i++)
		out[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	out[i] = '\0';
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Decimal digits at *p (at least one) into a uint32; advances *p. */
static bool parse_u32(const char **p, const char *end, uint32_t *v_r)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*p = s;
	*v_r = (uint32_t)v;
	return true;
}

/* -- errors and the life of a client -------------------------------------- */

static void record_error(const char *text)
{
	lg.error_count++;
	if (lg.errors_kept < MAX_ERRORS_KEPT) {
		lg.errors[lg.errors_kept] = strndup(text, MAX_ERROR_LEN);
		if (lg.errors[lg.errors_kept] == NULL)
			die("out of memory");
		lg.errors_kept++;
	}
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->out_armed = false;
	c->out_off = c->out_total = 0;
	c->line_len = 0;
	c->skip = 0;
	c->cont = false;
	free(c->uids);
	c->uids = NULL;
	c->nuids = c->uids_cap = 0;
}

static void client_finish(struct client *c)
{
	client_close(c);
	c->step = ST_FINISHED;
	lg.active--;
	lg.last_finish = now_s();
}

static void sleep_push(struct client *c, double wake)
{
	c->step = ST_SLEEP;
	c->wake = wake;
	c->next = NULL;
	if (lg.sleep_tail)
		lg.sleep_tail->next = c;
	else
		lg.sleep_head = c;
	lg.sleep_tail = c;
}

static struct client *sleep_pop(void)
{
	struct client *c = lg.sleep_head;

	lg.sleep_head = c->next;
	if (lg.sleep_head == NULL)
		lg.sleep_tail = NULL;
	c->next = NULL;
	return c;
}

/* Ends the session as an error; the client retries after RETRY_DELAY. */
static enum io client_fail(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum io client_fail(struct client *c, const char *fmt, ...)
{
	char text[MAX_ERROR_LEN + 1];
	int n;
	va_list ap;

	n = snprintf(text, sizeof(text), "client %u, %s: ", c->idx, step_names[c->step]);
	if (n > 0 && (size_t)n < sizeof(text)) {
		va_start(ap, fmt);
		vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	record_error(text);
	client_close(c);
	c->errors++;
	if (c->errors >= MAX_CLIENT_ERRORS)
		client_finish(c);
	else
		sleep_push(c, now_s() + RETRY_DELAY);
	return IO_CLOSED;
}

/* A whole session done: the next one, or the end of this client. */
static enum io session_done(struct client *c)
{
	client_close(c);
	c->sessions++;
	lg.sessions++;
	if (now_s() < lg.deadline)
		session_start(c);
	else
		client_finish(c);
	return IO_CLOSED;
}

/* -- output --------------------------------------------------------------- */

static enum io set_events(struct client *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(lg.ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return client_fail(c, "epoll_ctl: %s", strerror(errno));
	c->out_armed = (events & EPOLLOUT) != 0;
	return IO_OK;
}

/* The unsent part of cmd, body and the CRLF after a body, as iovecs. */
static int out_iov(const struct client *c, struct iovec *iov)
{
	struct iovec seg[3] = {
		{ .iov_base = (void *)c->cmd, .iov_len = c->cmd_len },
		{ .iov_base = (void *)c->body, .iov_len = c->body ? c->body_len : 0 },
		{ .iov_base = (void *)"\r\n", .iov_len = c->body ? 2 : 0 },
	};
	size_t off = c->out_off;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		if (off >= seg[i].iov_len) {
			off -= seg[i].iov_len;
			continue;
		}
		iov[n].iov_base = (char *)seg[i].iov_base + off;
		iov[n].iov_len = seg[i].iov_len - off;
		off = 0;
		n++;
	}
	return n;
}

static enum io client_flush(struct client *c)
{
	while (c->out_off < c->out_total) {
		struct iovec iov[3];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t w;

		mh.msg_iovlen = (size_t)out_iov(c, iov);
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return c->out_armed ? IO_OK : set_events(c, EPOLLIN | EPOLLOUT);
			return client_fail(c, "write: %s", strerror(errno));
		}
		c->out_off += (size_t)w;
	}
	return c->out_armed ? set_events(c, EPOLLIN) : IO_OK;
}

static enum io client_send(struct client *c, enum step step)
{
	c->step = step;
	c->out_off = 0;
	c->out_total = c->cmd_len + (c->body ? c->body_len + 2 : 0);
	return client_flush(c);
}

/* Sends "TAG <fmt>\r\n", then body and CRLF when body is not NULL. */
static enum io client_command(struct client *c, enum step step, const struct message *body,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum io client_command(struct client *c, enum step step, const struct message *body,
			      const char *fmt, ...)
{
	int n, m;
	va_list ap;

	n = snprintf(c->tag, sizeof(c->tag), "a%u", ++c->tagn);
	if (n < 0 || (size_t)n >= sizeof(c->tag))
		return client_fail(c, "tag overflow");
	c->taglen = (size_t)n;
	memcpy(c->cmd, c->tag, c->taglen);
	c->cmd[c->taglen] = ' ';
	va_start(ap, fmt);
	m = vsnprintf(c->cmd + c->taglen + 1, sizeof(c->cmd) - c->taglen - 1, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m + c->taglen + 3 >= sizeof(c->cmd))
		return client_fail(c, "command too long");
	c->cmd_len = c->taglen + 1 + (size_t)m;
	memcpy(c->cmd + c->cmd_len, "\r\n", 2);
	c->cmd_len += 2;
	c->body = body ? body->data : NULL;
	c->body_len = body ? body->len : 0;
	return client_send(c, step);
}

/* -- the session script ---------------------------------------------------- */

static void sample(struct client *c, enum family f)
{
	samples_add(&lg.times[f], (now_s() - c->t0) * 1000.0);
}

static enum io send_select(struct client *c)
{
	c->have_uidnext = false;
	c->t0 = now_s();
	return client_command(c, ST_SELECT, NULL, "SELECT INBOX");
}

static enum io send_headers(struct client *c)
{
	uint32_t first = c->uidnext > 51 ? c->uidnext - 50 : 1;

	c->t0 = now_s();
	return client_command(c, ST_HEADERS, NULL,
			      "UID FETCH %" PRIu32 ":* (UID FLAGS RFC822.SIZE ENVELOPE "
			      "BODY.PEEK[HEADER.FIELDS " HEADER_FIELDS "])", first);
}

static enum io send_search_all(struct client *c)
{
	c->nuids = 0;
	c->t0 = now_s();
	return client_command(c, ST_SEARCH_ALL, NULL, "UID SEARCH ALL");
}

static uint32_t random_uid(struct client *c)
{
	return c->uids[rng_below(&c->rng, c->nuids)];
}

static enum io send_body(struct client *c)
{
	c->bodies_left--;
	c->t0 = now_s();
	return client_command(c, ST_BODY, NULL, "UID FETCH %" PRIu32 " BODY.PEEK[]",
			      random_uid(c));
}

static enum io send_store_add(struct client *c)
{
	uint32_t uid = random_uid(c);

	/* the -FLAGS command reuses the uid: keep it in new_uid until APPEND */
	c->new_uid = uid;
	c->t0 = now_s();
	return client_command(c, ST_STORE_ADD, NULL, "UID STORE %" PRIu32 " +FLAGS (\\Seen)", uid);
}

static enum io send_store_remove(struct client *c)
{
	c->t0 = now_s();
	return client_command(c, ST_STORE_REMOVE, NULL, "UID STORE %" PRIu32 " -FLAGS (\\Seen)",
			      c->new_uid);
}

static enum io send_search(struct client *c)
{
	c->t0 = now_s();
	return client_command(c, ST_SEARCH, NULL, "UID SEARCH %s", searches[c->sessions % 4]);
}

static enum io send_append(struct client *c)
{
	const struct message *m = &lg.msgs[rng_below(&c->rng, lg.nmsgs)];

	c->t0 = now_s();
	return client_command(c, ST_APPEND, m, "APPEND INBOX {%zu+}", m->len);
}

static enum io send_expunge_store(struct client *c)
{
	c->t0 = now_s();
	return client_command(c, ST_EXP_STORE, NULL, "UID STORE %" PRIu32
			      " +FLAGS.SILENT (\\Deleted)", c->new_uid);
}

static enum io send_expunge(struct client *c)
{
	return client_command(c, ST_EXP_EXPUNGE, NULL, "UID EXPUNGE %" PRIu32, c->new_uid);
}

static enum io send_idle(struct client *c)
{
	c->t0 = now_s();
	return client_command(c, ST_IDLE_WAIT, NULL, "IDLE");
}

static enum io send_done(struct client *c)
{
	memcpy(c->cmd, "DONE\r\n", 6);
	c->cmd_len = 6;
	c->body = NULL;
	return client_send(c, ST_IDLE_DONE);
}

static enum io send_logout(struct client *c)
{
	c->t0 = now_s();
	return client_command(c, ST_LOGOUT, NULL, "LOGOUT");
}

/* "[APPENDUID <validity> <uid>]" of the tagged OK. */
static bool parse_appenduid(const char *line, size_t len, uint32_t *uid_r)
{
	const char *key = "[APPENDUID ";
	const char *p = memmem(line, len, key, strlen(key));
	const char *end = line + len;
	uint32_t validity;

	if (p == NULL)
		return false;
	p += strlen(key);
	if (!parse_u32(&p, end, &validity) || p >= end || *p++ != ' ')
		return false;
	if (!parse_u32(&p, end, uid_r) || p >= end || *p != ']')
		return false;
	return *uid_r != 0;
}

static enum io after_append(struct client *c, const char *line, size_t len)
{
	char ex[EXCERPT_LEN];

	sample(c, F_APPEND);
	if (!parse_appenduid(line, len, &c->new_uid)) {
		excerpt(ex, sizeof(ex), line, len);
		return client_fail(c, "no APPENDUID: %s", ex);
	}
	return send_expunge_store(c);
}

/* The tagged OK of the command in flight: record it, send the next one. */
static enum io on_tagged_ok(struct client *c, const char *line, size_t len)
{
	switch (c->step) {
	case ST_LOGIN:
		sample(c, F_LOGIN);
		return send_select(c);
	case ST_SELECT:
		if (!c->have_uidnext)
			return client_fail(c, "no UIDNEXT in the SELECT response");
		sample(c, F_SELECT);
		return send_headers(c);
	case ST_HEADERS:
		sample(c, F_HEADERS);
		return send_search_all(c);
	case ST_SEARCH_ALL:
		if (c->nuids == 0)
			return client_fail(c, "empty mailbox");
		c->bodies_left = 3;
		return send_body(c);
	case ST_BODY:
		sample(c, F_BODY);
		return c->bodies_left > 0 ? send_body(c) : send_store_add(c);
	case ST_STORE_ADD:
		sample(c, F_STORE);
		return send_store_remove(c);
	case ST_STORE_REMOVE:
		sample(c, F_STORE);
		return send_search(c);
	case ST_SEARCH:
		sample(c, F_SEARCH);
		return send_append(c);
	case ST_APPEND:
		return after_append(c, line, len);
	case ST_EXP_STORE:
		return send_expunge(c);
	case ST_EXP_EXPUNGE:
		sample(c, F_EXPUNGE);
		return send_idle(c);
	case ST_IDLE_DONE:
		sample(c, F_IDLE);
		return send_logout(c);
	case ST_LOGOUT:
		sample(c, F_LOGOUT);
		return session_done(c);
	default:
		return client_fail(c, "tagged reply out of place");
	}
}

static bool is_tagged(const struct client *c, const char *line, size_t len)
{
	return c->taglen > 0 && len > c->taglen && memcmp(line, c->tag, c->taglen) == 0 &&
	       line[c->taglen] == ' ';
}

static enum io on_tagged(struct client *c, const char *line, size_t len)
{
	const char *status = line + c->taglen + 1;
	size_t rest = len - c->taglen - 1;
	char ex[EXCERPT_LEN];

	if (c->out_off < c->out_total)
		return client_fail(c, "tagged reply before the command was sent");
	if (!has_prefix(status, rest, "OK") || (rest > 2 && status[2] != ' ') ||
	    c->step == ST_IDLE_WAIT) {
		excerpt(ex, sizeof(ex), line, len);
		return client_fail(c, "%s", ex);
	}
	return on_tagged_ok(c, line, len);
}

/* "* SEARCH 1 2 3": appends the uids to c->uids. */
static enum io collect_uids(struct client *c, const char *line, size_t len)
{
	const char *p = line + 8, *end = line + len;
	uint32_t uid;

	while (p < end) {
		if (*p++ != ' ')
			return client_fail(c, "bad SEARCH response");
		if (p == end)
			break;
		if (!parse_u32(&p, end, &uid) || uid == 0)
			return client_fail(c, "bad SEARCH response");
		if (c->nuids == MAX_UIDS)
			return client_fail(c, "SEARCH over %d uids", MAX_UIDS);
		if (c->nuids == c->uids_cap) {
			c->uids_cap = c->uids_cap ? c->uids_cap * 2 : 1024;
			if (c->uids_cap > MAX_UIDS)
				c->uids_cap = MAX_UIDS;
			c->uids = xrealloc(c->uids, c->uids_cap, sizeof(*c->uids));
		}
		c->uids[c->nuids++] = uid;
	}
	return IO_OK;
}

static void find_uidnext(struct client *c, const char *line, size_t len)
{
	const char *key = "[UIDNEXT ";
	const char *p = memmem(line, len, key, strlen(key));
	uint32_t v;

	if (p == NULL)
		return;
	p += strlen(key);
	if (parse_u32(&p, line + len, &v) && p < line + len && *p == ']') {
		c->uidnext = v;
		c->have_uidnext = true;
	}
}

static enum io on_untagged(struct client *c, const char *line, size_t len)
{
	char ex[EXCERPT_LEN];

	if (has_prefix(line, len, "* BYE") && c->step != ST_LOGOUT) {
		excerpt(ex, sizeof(ex), line, len);
		return client_fail(c, "%s", ex);
	}
	if (c->step == ST_SELECT)
		find_uidnext(c, line, len);
	else if (c->step == ST_SEARCH_ALL && has_prefix(line, len, "* SEARCH") &&
		 (len == 8 || line[8] == ' '))
		return collect_uids(c, line, len);
	return IO_OK;
}

/* The first line of one response (CRLF and any literal removed). */
static enum io on_response(struct client *c, const char *line, size_t len)
{
	char ex[EXCERPT_LEN];

	if (c->step == ST_GREETING) {
		if (!has_prefix(line, len, "* OK")) {
			excerpt(ex, sizeof(ex), line, len);
			return client_fail(c, "%s", ex);
		}
		return client_command(c, ST_LOGIN, NULL, "LOGIN \"%s\" \"%s\"", c->user,
				      lg.password);
	}
	if (len >= 1 && line[0] == '+') {
		if (c->step == ST_IDLE_WAIT && c->out_off == c->out_total)
			return send_done(c);
		excerpt(ex, sizeof(ex), line, len);
		return client_fail(c, "unexpected continuation: %s", ex);
	}
	if (is_tagged(c, line, len))
		return on_tagged(c, line, len);
	if (len >= 2 && line[0] == '*' && line[1] == ' ')
		return on_untagged(c, line, len);
	excerpt(ex, sizeof(ex), line, len);
	return client_fail(c, "unexpected line: %s", ex);
}

/* -- reading ----------------------------------------------------------------- */

/* 1 and *n_r when line ends with {N} or {N+}, 0 when it does not, -1 when
 * N is over MAX_LITERAL. */
static int literal_suffix(const char *line, size_t len, size_t *n_r)
{
	size_t i, digits = 0;
	uint64_t n = 0, scale = 1;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	i = len - 1;
	if (line[i - 1] == '+')
		i--;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9') {
		if (++digits > 10)
			return -1;
		n += (uint64_t)(line[i - 1] - '0') * scale;
		scale *= 10;
		i--;
	}
	if (digits == 0 || i == 0 || line[i - 1] != '{')
		return 0;
	if (n > MAX_LITERAL)
		return -1;
	*n_r = (size_t)n;
	return 1;
}

/* One line (with its LF) of the server's output. */
static enum io client_line(struct client *c, const char *line, size_t len)
{
	size_t lit = 0;
	bool first = !c->cont;
	int k;

	len--;			/* LF */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	k = literal_suffix(line, len, &lit);
	if (k < 0)
		return client_fail(c, "literal over %zu bytes", MAX_LITERAL);
	c->cont = k > 0;
	c->skip = lit;
	return first ? on_response(c, line, len) : IO_OK;
}

static bool line_append(struct client *c, const char *data, size_t n)
{
	size_t cap;

	if (n > MAX_LINE - c->line_len)
		return false;
	if (c->line_len + n > c->line_cap) {
		cap = c->line_cap ? c->line_cap : 4096;
		while (cap < c->line_len + n)
			cap *= 2;
		if (cap > MAX_LINE)
			cap = MAX_LINE;
		c->line = xrealloc(c->line, cap, 1);
		c->line_cap = cap;
	}
	memcpy(c->line + c->line_len, data, n);
	c->line_len += n;
	return true;
}

/* A line that had to be assembled in c->line, now complete. */
static enum io client_buffered_line(struct client *c)
{
	enum io r = client_line(c, c->line, c->line_len);

	c->line_len = 0;
	if (c->line_cap > LINE_KEEP) {
		free(c->line);
		c->line = NULL;
		c->line_cap = 0;
	}
	return r;
}

/* Bytes read from the server: literals skipped, lines handled; a line cut
 * by the end of data waits in c->line. */
static enum io client_feed(struct client *c, const char *data, size_t n)
{
	while (n > 0) {
		const char *nl;
		size_t seg;
		enum io r;

		if (c->skip > 0) {
			seg = c->skip < n ? c->skip : n;
			c->skip -= seg;
			data += seg;
			n -= seg;
			continue;
		}
		nl = memchr(data, '\n', n);
		seg = nl ? (size_t)(nl - data) + 1 : n;
		if (nl == NULL || c->line_len > 0) {
			if (!line_append(c, data, seg))
				return client_fail(c, "response line over %zu bytes", MAX_LINE);
			if (nl == NULL)
				return IO_OK;
			r = client_buffered_line(c);
		} else {
			r = client_line(c, data, seg);
		}
		if (r != IO_OK)
			return r;
		data += seg;
		n -= seg;
	}
	return IO_OK;
}

static void client_readable(struct client *c)
{
	for (int i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n = read(c->fd, lg.scratch, READ_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_fail(c, "read: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			client_fail(c, "server closed the connection");
			return;
		}
		if (client_feed(c, lg.scratch, (size_t)n) != IO_OK || (size_t)n < READ_CHUNK)
			return;
	}
}

/* -- connections --------------------------------------------------------- */

static enum io session_start(struct client *c)
{
	struct epoll_event ev = { .data.ptr = c };
	int one = 1;

	c->step = ST_CONNECT;
	c->tagn = 0;
	c->taglen = 0;
	c->t0 = now_s();
	c->fd = socket(lg.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return client_fail(c, "socket: %s", strerror(errno));
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return client_fail(c, "TCP_NODELAY: %s", strerror(errno));
	if (lg.sources > 1) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr = htonl((127u << 24) | (1 + c->idx % lg.sources));
		/* The port is chosen at connect(), per destination: sessions
		 * reconnect all the time, and bind() alone would take a port of
		 * the source's own range for each. Failing is harmless. */
		(void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->fd, (const struct sockaddr *)&src, sizeof(src)) < 0)
			return client_fail(c, "bind: %s", strerror(errno));
	}
	if (connect(c->fd, (const struct sockaddr *)&lg.addr, lg.addrlen) == 0) {
		c->step = ST_GREETING;
		ev.events = EPOLLIN;
	} else if (errno == EINPROGRESS) {
		ev.events = EPOLLOUT;
	} else {
		return client_fail(c, "%s", strerror(errno));
	}
	if (epoll_ctl(lg.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return client_fail(c, "epoll_ctl: %s", strerror(errno));
	c->out_armed = false;
	return IO_OK;
}

static enum io client_connected(struct client *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0)
		return client_fail(c, "%s", strerror(err));
	c->step = ST_GREETING;
	return set_events(c, EPOLLIN);
}

static void client_event(struct client *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (c->step == ST_CONNECT) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (client_connected(c) != IO_OK)
			return;
	}
	if ((events & EPOLLOUT) && c->out_off < c->out_total) {
		if (client_flush(c) != IO_OK)
			return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		client_readable(c);
}

/* -- the event loop ------------------------------------------------------------ */

static void wake_sleepers(double t)
{
	while (lg.sleep_head && lg.sleep_head->wake <= t) {
		struct client *c = sleep_pop();

		if (t < lg.deadline && c->errors < MAX_CLIENT_ERRORS)
			session_start(c);
		else
			client_finish(c);
	}
}

static int wait_ms(double t)
{
	double next = lg.hard;

	if (lg.sleep_head && lg.sleep_head->wake < next)
		next = lg.sleep_head->wake;
	if (next <= t)
		return 0;
	if (next - t > 1.0)
		return 1000;
	return (int)((next - t) * 1000.0) + 1;	/* rounded up: no busy wait */
}

/* Past the hard stop: every session still running is an error. */
static void hard_stop(void)
{
	char text[MAX_ERROR_LEN + 1];

	for (unsigned i = 0; i < lg.nclients; i++) {
		struct client *c = &lg.clients[i];

		if (c->step == ST_FINISHED)
			continue;
		if (c->step != ST_SLEEP) {
			snprintf(text, sizeof(text), "client %u, %s: unfinished at the hard stop",
				 c->idx, step_names[c->step]);
			record_error(text);
		}
		client_finish(c);
	}
	lg.sleep_head = lg.sleep_tail = NULL;
}

static void run(void)
{
	struct epoll_event events[MAX_EVENTS];

	lg.start = now_s();
	lg.deadline = lg.start + lg.seconds;
	lg.hard = lg.deadline + HARD_STOP_GRACE;
	lg.last_finish = lg.start;
	lg.active = lg.nclients;
	for (unsigned i = 0; i < lg.nclients; i++)
		session_start(&lg.clients[i]);
	while (lg.active > 0) {
		double t = now_s();
		int n;

		if (t >= lg.hard) {
			hard_stop();
			break;
		}
		wake_sleepers(t);
		if (lg.active == 0)
			break;
		n = epoll_wait(lg.ep, events, MAX_EVENTS, wait_ms(t));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++)
			client_event(events[i].data.ptr, events[i].events);
	}
}

/* -- output ---------------------------------------------------------------- */

static void print_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void print_json(FILE *out, double wall, double cpu)
{
	fprintf(out, "{\"wall_s\": %.3f, \"sessions\": %" PRIu64 ", \"cpu_s\": %.3f, \"errors\": [",
		wall, lg.sessions, cpu);
	for (size_t i = 0; i < lg.errors_kept; i++) {
		if (i > 0)
			fputs(", ", out);
		print_json_string(out, lg.errors[i]);
	}
	fprintf(out, "], \"error_count\": %" PRIu64 ", \"times\": {", lg.error_count);
	for (int f = 0; f < F_COUNT; f++) {
		fprintf(out, "%s\"%s\": [", f ? ", " : "", family_names[f]);
		for (size_t i = 0; i < lg.times[f].n; i++)
			fprintf(out, "%s%.3f", i ? ", " : "", lg.times[f].v[i]);
		fputc(']', out);
	}
	fputs("}}\n", out);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		die("getrusage: %s", strerror(errno));
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* -- arguments ----------------------------------------------------------------- */

static uint64_t parse_uint_arg(const char *name, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		usage_error("%s: not a number: %s", name, s);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		usage_error("%s: %s is not in %" PRIu64 "..%" PRIu64, name, s, min, max);
	return v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0.0 && v <= MAX_SECONDS))
		usage_error("--seconds: %s is not in (0, %.0f]", s, MAX_SECONDS);
	return v;
}

/* Only 127.0.0.0/8 and ::1: the benchmark must never load another host. */
static void parse_host(const char *host, unsigned port)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&lg.addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&lg.addr;

	memset(&lg.addr, 0, sizeof(lg.addr));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		if ((ntohl(in4->sin_addr.s_addr) >> 24) != 127)
			usage_error("--host %s: only loopback hosts (127.0.0.0/8, ::1)", host);
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		lg.addrlen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			usage_error("--host %s: only loopback hosts (127.0.0.0/8, ::1)", host);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		lg.addrlen = sizeof(*in6);
	} else {
		usage_error("--host %s: not a numeric loopback address", host);
	}
}

/* A name or password sent as an IMAP quoted string. */
static void check_credential(const char *what, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_CREDENTIAL)
		usage_error("%s: empty or longer than %d bytes", what, MAX_CREDENTIAL);
	if (strpbrk(s, "\"\\\r\n") != NULL)
		usage_error("%s: quotes, backslashes and line breaks are not allowed", what);
}

static void parse_users(const char *list)
{
	char *p, *save = NULL;

	lg.users_buf = strdup(list);
	if (lg.users_buf == NULL)
		die("out of memory");
	for (p = strtok_r(lg.users_buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (lg.nusers == MAX_CLIENTS)
			usage_error("--users: more than %d names", MAX_CLIENTS);
		check_credential("--users", p);
		lg.users = xrealloc(lg.users, lg.nusers + 1, sizeof(*lg.users));
		lg.users[lg.nusers++] = p;
	}
	if (lg.nusers == 0)
		usage_error("--users: no names");
}

/* Reads all of path (a regular file of at most MAX_MESSAGES_FILE bytes)
 * into a new buffer; NULL and a reason in why_r on failure. */
static char *read_file(const char *path, size_t *len_r, const char **why_r)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		*why_r = strerror(errno);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_MESSAGES_FILE) {
		*why_r = "not a regular file of at most 1 GiB";
		close(fd);
		return NULL;
	}
	buf = xrealloc(NULL, (size_t)st.st_size + 1, 1);
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why_r = n == 0 ? "file shrank while read" : strerror(errno);
			free(buf);
			close(fd);
			return NULL;
		}
		len += (size_t)n;
	}
	close(fd);
	*len_r = len;
	return buf;
}

/* Records of "LENGTH\n" and LENGTH bytes; exits 2 on a bad file. */
static void load_messages(const char *path)
{
	size_t len = 0, pos = 0;
	const char *why = NULL;

	lg.msg_buf = read_file(path, &len, &why);
	if (lg.msg_buf == NULL)
		usage_error("--messages %s: %s", path, why);
	while (pos < len) {
		size_t n = 0, digits = 0;

		for (; pos < len && lg.msg_buf[pos] >= '0' && lg.msg_buf[pos] <= '9'; pos++) {
			n = n * 10 + (size_t)(lg.msg_buf[pos] - '0');
			if (++digits > 9)
				break;
		}
		if (digits == 0 || digits > 9 || pos >= len || lg.msg_buf[pos] != '\n')
			usage_error("--messages %s: bad length line of record %zu", path, lg.nmsgs + 1);
		pos++;
		if (n == 0 || n > MAX_MESSAGE_SIZE || n > len - pos)
			usage_error("--messages %s: record %zu: length %zu is 0, over %zu or past the end",
				    path, lg.nmsgs + 1, n, MAX_MESSAGE_SIZE);
		if (lg.nmsgs == MAX_MESSAGES)
			usage_error("--messages %s: more than %d records", path, MAX_MESSAGES);
		lg.msgs = xrealloc(lg.msgs, lg.nmsgs + 1, sizeof(*lg.msgs));
		lg.msgs[lg.nmsgs].data = lg.msg_buf + pos;
		lg.msgs[lg.nmsgs].len = n;
		lg.nmsgs++;
		pos += n;
	}
	if (lg.nmsgs == 0)
		usage_error("--messages %s: no records", path);
}

static void parse_args(int argc, char **argv)
{
	const char *host = NULL, *users = NULL, *messages = NULL;
	unsigned port = 0;
	bool have_seed = false, have_seconds = false;

	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (val == NULL)
			usage_error("%s: missing value", opt);
		if (strcmp(opt, "--host") == 0)
			host = val;
		else if (strcmp(opt, "--port") == 0)
			port = (unsigned)parse_uint_arg(opt, val, 1, 65535);
		else if (strcmp(opt, "--clients") == 0)
			lg.nclients = (unsigned)parse_uint_arg(opt, val, 1, MAX_CLIENTS);
		else if (strcmp(opt, "--seconds") == 0) {
			lg.seconds = parse_seconds(val);
			have_seconds = true;
		}
		else if (strcmp(opt, "--users") == 0)
			users = val;
		else if (strcmp(opt, "--password") == 0)
			lg.password = val;
		else if (strcmp(opt, "--messages") == 0)
			messages = val;
		else if (strcmp(opt, "--seed") == 0) {
			lg.seed = parse_uint_arg(opt, val, 0, UINT64_MAX);
			have_seed = true;
		} else if (strcmp(opt, "--sources") == 0)
			lg.sources = (unsigned)parse_uint_arg(opt, val, 1, MAX_SOURCES);
		else
			usage_error("unknown option %s", opt);
	}
	if (!host || !port || !lg.nclients || !have_seconds || !users || !lg.password ||
	    !messages || !have_seed)
		usage_error("all options are required");
	parse_host(host, port);
	if (lg.sources > 1 && lg.addr.ss_family != AF_INET)
		usage_error("--sources: only with an IPv4 loopback --host");
	parse_users(users);
	check_credential("--password", lg.password);
	load_messages(messages);
}

/* -- setup and main -------------------------------------------------------------- */

/* One descriptor a client, plus stdio and epoll. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)lg.nclients + 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		die("%u clients need %llu descriptors; the hard limit is %llu", lg.nclients,
		    (unsigned long long)need, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit: %s", strerror(errno));
}

static void setup(void)
{
	raise_fd_limit();
	lg.ep = epoll_create1(EPOLL_CLOEXEC);
	if (lg.ep < 0)
		die("epoll_create1: %s", strerror(errno));
	lg.scratch = xrealloc(NULL, READ_CHUNK, 1);
	lg.clients = xrealloc(NULL, lg.nclients, sizeof(*lg.clients));
	memset(lg.clients, 0, lg.nclients * sizeof(*lg.clients));
	for (unsigned i = 0; i < lg.nclients; i++) {
		struct client *c = &lg.clients[i];
		uint64_t s = lg.seed;

		c->idx = i;
		c->fd = -1;
		c->user = lg.users[i % lg.nusers];
		c->rng = rng_next(&s) ^ ((uint64_t)(i + 1) * 0xD1B54A32D192ED03ull);
	}
}

static void teardown(void)
{
	for (unsigned i = 0; i < lg.nclients; i++) {
		client_close(&lg.clients[i]);
		free(lg.clients[i].line);
	}
	free(lg.clients);
	for (int f = 0; f < F_COUNT; f++)
		free(lg.times[f].v);
	for (size_t i = 0; i < lg.errors_kept; i++)
		free(lg.errors[i]);
	free(lg.scratch);
	free(lg.msgs);
	free(lg.msg_buf);
	free(lg.users);
	free(lg.users_buf);
	if (lg.ep >= 0)
		close(lg.ep);
}

int main(int argc, char **argv)
{
	double wall;

	parse_args(argc, argv);
	setup();
	run();
	wall = lg.last_finish - lg.start;
	print_json(stdout, wall, cpu_seconds());
	teardown();
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));
	return 0;
}
