/* An LMTP session (RFC 2033 over RFC 5321's grammar): lmtp-server.h. Input
 * is read line by line from the connection's capped buffer; while a
 * recipient lookup or the deliveries run on workers the session reads no
 * more (a PIPELINING client's commands wait in the buffer, answered in
 * order afterwards). The message is held in memory up to the store's size
 * limit (64 MiB): each recipient's copy is written from it to that user's
 * store by a job on the user's worker key. */
#include "lmtp/lmtp-server.h"
#include "lmtp/lmtp-parse.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth/passdb.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/conn-limits.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/workers.h"
#include "store/deliver.h"
#include "store/acl.h"
#include "store/store-users.h"
#include "store/store.h"
#include "user/mail-user.h"
#include "user/user-services.h"

#define LMTP_LINE_MAX 4096         /* a command line (RFC 5321 asks >= 512) */
#define LMTP_RCPT_MAX 100          /* RFC 5321 §4.5.3.1.8 asks >= 100 */
#define LMTP_BAD_MAX 20            /* unknown or misplaced commands, then 421 */
#define LMTP_TIMEOUT_S 300         /* RFC 5321 §4.5.3.2: 5 minutes per command */
#define LMTP_DATA_CHUNK (32 * 1024) /* a data line longer than this is taken in parts */

struct lmtp_rcpt {
	char *address;                   /* as the client wrote it, for replies */
	struct mail_user *mu;            /* the petrel user it maps to */
	char *mailbox;                   /* user+detail: detail; NULL: INBOX */
	bool public;                     /* a public mailbox: no INBOX to fall back to */
	enum store_result result;
};

struct lmtp_session {
	struct lmtp_server *server;
	struct loop *loop;
	struct conn *conn;
	struct event *timer;
	bool lhlo, mail, in_data, busy, closed;
	unsigned int jobs;               /* on workers; the session outlives them */
	unsigned int bad;
	char *sender;
	struct lmtp_rcpt rcpts[LMTP_RCPT_MAX];
	unsigned int rcpt_count;
	struct lmtp_data data;           /* DATA: the message being received */
	uint64_t limit;
	unsigned int deliveries_left;
};

static void lmtp_process(struct lmtp_session *s);

static void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (s->closed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	memcpy(line + n, "\r\n", 3);
	conn_write(s->conn, line, (size_t)n + 2);
}

static void lmtp_close(struct lmtp_session *s)
{
	if (s->closed)
		return;
	s->closed = true;
	conn_close(s->conn);
}

static void lmtp_reset(struct lmtp_session *s)
{
	for (unsigned int i = 0; i < s->rcpt_count; i++) {
		free(s->rcpts[i].address);
		free(s->rcpts[i].mailbox);
		mail_user_release(&s->rcpts[i].mu, s->loop);
	}
	s->rcpt_count = 0;
	free(s->sender);
	s->sender = NULL;
	lmtp_data_free(&s->data);
	s->mail = s->in_data = false;
}

static void lmtp_free(struct lmtp_session *s)
{
	lmtp_reset(s);
	if (s->timer != NULL)
		event_free(s->timer);
	free(s);
}

static void lmtp_arm_timer(struct lmtp_session *s)
{
	struct timeval tv = { LMTP_TIMEOUT_S, 0 };

	event_add(s->timer, &tv);
}

static void lmtp_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct lmtp_session *s = arg;

	(void)fd;
	(void)what;
	if (s->busy) {
		lmtp_arm_timer(s);   /* our work, not the client's silence */
		return;
	}
	lmtp_reply(s, "421 4.4.2 Timeout, closing");
	lmtp_close(s);
}

static void lmtp_bad(struct lmtp_session *s, const char *reply)
{
	lmtp_reply(s, "%s", reply);
	if (++s->bad >= LMTP_BAD_MAX) {
		lmtp_reply(s, "421 4.7.0 Too many errors, closing");
		lmtp_close(s);
	}
}

/* ---- jobs ---- */

struct lmtp_job {
	struct lmtp_session *s;
	unsigned int rcpt;               /* index, for deliveries */
	char address[LMTP_PATH_MAX];
	char user[LMTP_PATH_MAX];        /* the lookup's answer, "" if none */
	char detail[LMTP_PATH_MAX];      /* user+detail: detail, else "" */
	bool public;                     /* public_recipient+detail: a public mailbox */
	struct mail_user *public_mu;     /* its owner, held while its rights are read */
	enum store_result public_result;
	bool index_due;
	/* A delivery: the message into the recipient's INBOX. */
	struct store_delivery delivery;
	struct store_delivery_msg msg;
	uint32_t uid;
};

static void lmtp_job_finish(struct lmtp_session *s)
{
	s->jobs--;
	if (s->closed && s->jobs == 0)
		lmtp_free(s);
}

static bool lmtp_submit(struct lmtp_session *s, uint64_t key, worker_run_fn *run,
			worker_done_fn *done, struct lmtp_job *job)
{
	if (!worker_pool_submit(s->server->users->workers, key, s->loop, run, done, job))
		return false;
	s->jobs++;
	return true;
}

static bool rcpt_user_exists(const struct lmtp_job *job, const char *name)
{
	struct scram_creds creds;

	return passdb_valid_username(name) &&
	       passdb_scram_lookup(job->s->server->passdb, name, &creds) == PASSDB_OK;
}

/* A recipient is a petrel user by its whole address (user names may hold
 * '@'), else by its local part: any domain the MTA routes here. Failing
 * both, local parts of the form user+detail (with any character of
 * recipient_delimiter, the first one found, as Postfix splits them) are
 * looked up as user, by whole address first, and detail names the mailbox. */
static void rcpt_lookup_run(void *arg)
{
	struct lmtp_job *job = arg;
	const char *delims = job->s->server->recipient_delimiter;
	const char *at = strrchr(job->address, '@');
	size_t local_len = at != NULL ? (size_t)(at - job->address) : strlen(job->address);
	char name[LMTP_PATH_MAX];

	job->user[0] = job->detail[0] = '\0';
	if (rcpt_user_exists(job, job->address)) {
		snprintf(job->user, sizeof(job->user), "%s", job->address);
		return;
	}
	if (at != NULL && local_len > 0) {
		snprintf(name, sizeof(name), "%.*s", (int)local_len, job->address);
		if (rcpt_user_exists(job, name)) {
			snprintf(job->user, sizeof(job->user), "%s", name);
			return;
		}
	}
	if (delims == NULL)
		return;
	size_t user_len = strcspn(job->address, delims);

	if (user_len == 0 || user_len >= local_len)
		return;
	const char *detail = job->address + user_len + 1;
	int detail_len = (int)(job->address + local_len - detail);
	const char *public = job->s->server->public_recipient;

	if (public != NULL && detail_len > 0 && strlen(public) == user_len &&
	    strncasecmp(job->address, public, user_len) == 0) {
		/* public+Lists: the public mailbox Lists, if anyone may post
		 * there (rcpt_public_run()). Before any user+detail: the
		 * config names this local part for it. */
		snprintf(job->user, sizeof(job->user), "%s", STORE_PUBLIC_OWNER);
		snprintf(job->detail, sizeof(job->detail), "%.*s", detail_len, detail);
		job->public = true;
		return;
	}

	snprintf(name, sizeof(name), "%.*s%s", (int)user_len, job->address, at != NULL ? at : "");
	if (!rcpt_user_exists(job, name)) {
		snprintf(name, sizeof(name), "%.*s", (int)user_len, job->address);
		if (at == NULL || !rcpt_user_exists(job, name))
			return;
	}
	snprintf(job->user, sizeof(job->user), "%s", name);
	snprintf(job->detail, sizeof(job->detail), "%.*s", detail_len, detail);
}

/* A RCPT job's last step: the session goes on with its next command. */
static void rcpt_job_end(struct lmtp_session *s, struct lmtp_job *job)
{
	bool closed = s->closed;

	free(job);
	lmtp_job_finish(s);   /* frees s if it closed and this was its last job */
	if (!closed)
		lmtp_process(s);
}

static void rcpt_add(struct lmtp_session *s, const struct lmtp_job *job, struct mail_user *mu)
{
	struct lmtp_rcpt *r = &s->rcpts[s->rcpt_count++];

	r->address = xstrdup(job->address);
	r->mailbox = job->detail[0] != '\0' && strcasecmp(job->detail, "INBOX") != 0
			     ? xstrdup(job->detail) : NULL;
	r->public = job->public;
	r->mu = mu;
	lmtp_reply(s, "250 2.1.5 OK");
}

/* Worker, on the public owner's key: whether anyone may post into the
 * public mailbox (RFC 4314 p; LMTP's sender is not authenticated, so only
 * the rights of "anyone" count). One the poster may not even see (no l)
 * is answered as if it did not exist. */
static void rcpt_public_run(void *arg)
{
	struct lmtp_job *job = arg;
	const char *mailbox = strcasecmp(job->detail, "INBOX") == 0 ? "INBOX" : job->detail;
	struct store *store = mail_user_store_existing(job->public_mu, &job->public_result);
	struct acl_entry *entries = NULL;
	unsigned int count = 0;

	if (store == NULL)
		return;
	job->public_result = store_acl_get(store, mailbox, &entries, &count);
	if (job->public_result == STORE_OK) {
		acl_rights rights = acl_rights_of_anyone(entries, count);

		job->public_result = (rights & ACL_POST) ? STORE_OK :
				     (rights & ACL_LOOKUP) ? STORE_NO_RIGHTS : STORE_NOT_FOUND;
	}
	free(entries);
}

static void rcpt_public_done(void *arg)
{
	struct lmtp_job *job = arg;
	struct lmtp_session *s = job->s;

	if (!s->closed) {
		s->busy = false;
		if (job->public_result == STORE_OK) {
			rcpt_add(s, job, job->public_mu);
			job->public_mu = NULL;
		} else if (job->public_result == STORE_NO_RIGHTS) {
			lmtp_reply(s, "550 5.7.1 <%s> Delivery to this mailbox is not permitted",
				   job->address);
		} else if (job->public_result == STORE_NOT_FOUND) {
			lmtp_reply(s, "550 5.1.1 <%s> No such mailbox", job->address);
		} else {
			lmtp_reply(s, "451 4.3.0 <%s> Temporary failure, try again", job->address);
		}
	}
	if (job->public_mu != NULL)
		mail_user_release(&job->public_mu, s->loop);
	rcpt_job_end(s, job);
}

static void rcpt_lookup_done(void *arg)
{
	struct lmtp_job *job = arg;
	struct lmtp_session *s = job->s;

	if (!s->closed && job->public) {
		/* A second job reads the public mailbox's rights. */
		job->public_mu = mail_user_acquire(s->server->users, job->user);
		if (lmtp_submit(s, mail_user_key(job->public_mu), rcpt_public_run,
				rcpt_public_done, job)) {
			lmtp_job_finish(s);   /* the lookup's; the new job holds s */
			return;
		}
		mail_user_release(&job->public_mu, s->loop);
		s->busy = false;
		lmtp_reply(s, "451 4.3.0 Server busy, try again");
	} else if (!s->closed) {
		s->busy = false;
		if (job->user[0] == '\0')
			lmtp_reply(s, "550 5.1.1 <%s> User doesn't exist", job->address);
		else
			rcpt_add(s, job, mail_user_acquire(s->server->users, job->user));
	}
	rcpt_job_end(s, job);
}

static void deliver_run(void *arg)
{
	struct lmtp_job *job = arg;
	struct lmtp_session *s = job->s;
	struct lmtp_rcpt *r = &s->rcpts[job->rcpt];
	enum store_result res;
	struct store *store = mail_user_store(r->mu, &res);

	if (store == NULL) {
		store_deliver_queue_cancel(mail_user_deliveries(r->mu), &job->delivery, res);
		r->result = job->delivery.result;
		return;
	}
	/* Group commit with the user's other deliveries (store/deliver.h). */
	store_deliver_queue_run(mail_user_deliveries(r->mu), store, &job->delivery);
	res = job->delivery.result;
	if ((res == STORE_NOT_FOUND || res == STORE_INVALID) && !r->public &&
	    strcmp(job->delivery.mailbox, "INBOX") != 0) {
		/* user+detail where detail is no mailbox of theirs: INBOX. The
		 * batch checked the mailbox before writing, so nothing of this
		 * message is on disk yet. */
		job->delivery.mailbox = "INBOX";
		res = store_deliver(store, &job->delivery);
	}
	if (res == STORE_OK) {
		mail_user_notify(r->mu);
		log_info("lmtp: delivered to user=%s mailbox=%s uid=%" PRIu32 " size=%zu",
			 mail_user_name(r->mu), job->delivery.mailbox, job->uid, s->data.len);
	}
	job->index_due = store_index_due(store);
	r->result = res;
}

static void lmtp_data_replies(struct lmtp_session *s)
{
	for (unsigned int i = 0; i < s->rcpt_count; i++) {
		const struct lmtp_rcpt *r = &s->rcpts[i];

		switch (r->result) {
		case STORE_OK:
			lmtp_reply(s, "250 2.0.0 <%s> Saved", r->address);
			break;
		case STORE_NO_SPACE:
			lmtp_reply(s, "452 4.2.2 <%s> Insufficient storage", r->address);
			break;
		case STORE_TOO_BIG:
			lmtp_reply(s, "552 5.3.4 <%s> Message too big", r->address);
			break;
		case STORE_NOT_FOUND:
		case STORE_INVALID:
			/* A public mailbox deleted since RCPT (a user's falls
			 * back to INBOX). */
			lmtp_reply(s, "550 5.1.1 <%s> No such mailbox", r->address);
			break;
		case STORE_OVER_QUOTA:
			/* RFC 3463 X.2.2: mailbox full. */
			if (s->server->quota_full_tempfail)
				lmtp_reply(s, "452 4.2.2 <%s> Mailbox full: over quota", r->address);
			else
				lmtp_reply(s, "552 5.2.2 <%s> Mailbox full: over quota", r->address);
			break;
		default:
			lmtp_reply(s, "451 4.3.0 <%s> Temporary failure, try again", r->address);
			break;
		}
	}
}

static void deliver_done(void *arg)
{
	struct lmtp_job *job = arg;
	struct lmtp_session *s = job->s;

	if (job->index_due)
		mail_user_index_kick(s->rcpts[job->rcpt].mu, s->loop);
	free(job);
	if (--s->deliveries_left == 0) {
		lmtp_data_replies(s);
		lmtp_reset(s);
		s->busy = false;
	}
	bool go_on = !s->closed && !s->busy;

	lmtp_job_finish(s);   /* frees s if it closed and this was its last job */
	if (go_on)
		lmtp_process(s);
}

/* Called by store_deliver_queue_push() with the user's queue locked. */
static bool deliver_submit(void *ctx)
{
	struct lmtp_job *job = ctx;
	struct lmtp_session *s = job->s;

	return lmtp_submit(s, mail_user_key(s->rcpts[job->rcpt].mu), deliver_run, deliver_done,
			   job);
}

static void lmtp_deliver(struct lmtp_session *s)
{
	s->in_data = false;
	if (s->data.too_big) {
		for (unsigned int i = 0; i < s->rcpt_count; i++)
			s->rcpts[i].result = STORE_TOO_BIG;
		lmtp_data_replies(s);
		lmtp_reset(s);
		return;
	}
	s->busy = true;
	s->deliveries_left = s->rcpt_count;
	for (unsigned int i = 0; i < s->rcpt_count; i++) {
		struct lmtp_job *job = xcalloc(1, sizeof(*job));

		job->s = s;
		job->rcpt = i;
		job->msg = (struct store_delivery_msg){
			.append = { .internaldate = time(NULL) },
			.body = s->data.msg, .body_len = s->data.len,
		};
		job->delivery = (struct store_delivery){
			.mailbox = s->rcpts[i].mailbox != NULL ? s->rcpts[i].mailbox : "INBOX",
			.msgs = &job->msg, .count = 1, .uids = &job->uid,
			.result = STORE_BUSY,
		};
		s->rcpts[i].result = STORE_BUSY;
		if (!store_deliver_queue_push(mail_user_deliveries(s->rcpts[i].mu), &job->delivery,
					      deliver_submit, job)) {
			free(job);
			if (--s->deliveries_left == 0) {
				lmtp_data_replies(s);
				lmtp_reset(s);
				s->busy = false;
			}
		}
	}
}

/* ---- DATA ---- */

/* Takes what DATA input there is; true when the terminating "." came. */
static bool lmtp_read_data(struct lmtp_session *s, struct evbuffer *in)
{
	char chunk[LMTP_DATA_CHUNK];

	for (;;) {
		size_t eol_len = 0;
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
		size_t take;
		bool whole_line;

		if (eol.pos >= 0 && (size_t)eol.pos <= LMTP_DATA_CHUNK) {
			take = (size_t)eol.pos;
			whole_line = true;
		} else if (evbuffer_get_length(in) >= LMTP_DATA_CHUNK) {
			take = LMTP_DATA_CHUNK;   /* a very long line: in parts */
			whole_line = false;
		} else {
			return false;             /* wait for more */
		}
		evbuffer_remove(in, chunk, take);
		if (whole_line)
			evbuffer_drain(in, eol_len);
		if (lmtp_data_piece(&s->data, chunk, take, whole_line))
			return true;
	}
}

/* ---- commands ---- */

static void cmd_lhlo(struct lmtp_session *s, const char *arg)
{
	if (*arg == '\0') {
		lmtp_bad(s, "501 5.5.4 LHLO needs a domain");
		return;
	}
	lmtp_reset(s);
	s->lhlo = true;
	lmtp_reply(s, "250-petrel");
	lmtp_reply(s, "250-PIPELINING");
	lmtp_reply(s, "250-ENHANCEDSTATUSCODES");
	lmtp_reply(s, "250-8BITMIME");
	lmtp_reply(s, "250 SIZE %" PRIu64, s->limit);
}

static void cmd_mail(struct lmtp_session *s, const char *arg)
{
	char path[LMTP_PATH_MAX];
	const char *rest;

	if (!s->lhlo) {
		lmtp_bad(s, "503 5.5.1 LHLO first");
		return;
	}
	if (s->mail) {
		lmtp_bad(s, "503 5.5.1 MAIL already given");
		return;
	}
	if ((rest = lmtp_parse_path(arg, "FROM:", path, sizeof(path))) == NULL) {
		lmtp_bad(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	switch (lmtp_parse_mail_params(rest, s->limit)) {
	case LMTP_PARAM_OK:
		break;
	case LMTP_PARAM_TOO_BIG:
		lmtp_reply(s, "552 5.3.4 Message too big (limit %" PRIu64 ")", s->limit);
		return;
	case LMTP_PARAM_UNSUPPORTED:
		lmtp_bad(s, "555 5.5.4 Unsupported parameter");
		return;
	case LMTP_PARAM_SYNTAX:
	default:
		lmtp_bad(s, "501 5.5.4 Bad MAIL parameter");
		return;
	}
	s->sender = xstrdup(path);
	s->mail = true;
	lmtp_reply(s, "250 2.1.0 OK");
}

static void cmd_rcpt(struct lmtp_session *s, const char *arg)
{
	char path[LMTP_PATH_MAX];
	const char *rest;

	if (!s->mail) {
		lmtp_bad(s, "503 5.5.1 MAIL first");
		return;
	}
	if ((rest = lmtp_parse_path(arg, "TO:", path, sizeof(path))) == NULL || path[0] == '\0') {
		lmtp_bad(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (*rest != '\0') {
		lmtp_bad(s, "555 5.5.4 Unsupported parameter");
		return;
	}
	if (s->rcpt_count >= LMTP_RCPT_MAX) {
		lmtp_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	struct lmtp_job *job = xcalloc(1, sizeof(*job));

	job->s = s;
	snprintf(job->address, sizeof(job->address), "%s", path);
	if (!lmtp_submit(s, worker_key_string(path), rcpt_lookup_run, rcpt_lookup_done, job)) {
		free(job);
		lmtp_reply(s, "451 4.3.0 Server busy, try again");
		return;
	}
	s->busy = true;
}

static void cmd_data(struct lmtp_session *s, const char *arg)
{
	if (*arg != '\0') {
		lmtp_bad(s, "501 5.5.4 DATA takes no argument");
		return;
	}
	if (!s->mail || s->rcpt_count == 0) {
		lmtp_bad(s, s->mail ? "503 5.5.1 No valid recipients" : "503 5.5.1 MAIL first");
		return;
	}
	lmtp_reply(s, "354 Go ahead, end with <CR><LF>.<CR><LF>");
	s->in_data = true;
	lmtp_data_begin(&s->data, s->limit);
	/* RFC 5321 §4.4: the delivering server records the envelope sender. */
	char rp[LMTP_PATH_MAX + 32];
	int n = snprintf(rp, sizeof(rp), "Return-Path: <%s>\r\n", s->sender);

	lmtp_data_append(&s->data, rp, (size_t)n);
}

static void lmtp_command(struct lmtp_session *s, const char *line)
{
	const char *arg;

	switch (lmtp_parse_verb(line, &arg)) {
	case LMTP_LHLO:
		cmd_lhlo(s, arg);
		break;
	case LMTP_MAIL:
		cmd_mail(s, arg);
		break;
	case LMTP_RCPT:
		cmd_rcpt(s, arg);
		break;
	case LMTP_DATA:
		cmd_data(s, arg);
		break;
	case LMTP_RSET:
		lmtp_reset(s);
		lmtp_reply(s, "250 2.0.0 OK");
		break;
	case LMTP_NOOP:
		lmtp_reply(s, "250 2.0.0 OK");
		break;
	case LMTP_VRFY:
		lmtp_reply(s, "252 2.5.2 Cannot verify, send some mail");
		break;
	case LMTP_QUIT:
		lmtp_reply(s, "221 2.0.0 Bye");
		lmtp_close(s);
		break;
	case LMTP_HELO:
		lmtp_bad(s, "500 5.5.1 This is LMTP: use LHLO");
		break;
	case LMTP_UNKNOWN:
	default:
		lmtp_bad(s, "500 5.5.2 Unknown command");
		break;
	}
}

static void lmtp_process(struct lmtp_session *s)
{
	struct evbuffer *in = conn_input(s->conn);
	char line[LMTP_LINE_MAX + 1];

	while (!s->closed && !s->busy) {
		if (s->in_data) {
			if (!lmtp_read_data(s, in))
				break;
			lmtp_deliver(s);
			continue;
		}
		size_t eol_len = 0;
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);

		if (eol.pos < 0 || (size_t)eol.pos > LMTP_LINE_MAX) {
			if (eol.pos >= 0 || evbuffer_get_length(in) > LMTP_LINE_MAX) {
				lmtp_reply(s, "500 5.5.2 Line too long, closing");
				lmtp_close(s);
			}
			break;
		}
		evbuffer_remove(in, line, (size_t)eol.pos);
		line[eol.pos] = '\0';
		evbuffer_drain(in, eol_len);
		if (strlen(line) != (size_t)eol.pos) {
			lmtp_bad(s, "500 5.5.2 NUL in command");
			continue;
		}
		lmtp_command(s, line);
	}
	conn_input_consumed(s->conn);
	if (!s->closed && conn_eof(s->conn) && !s->busy)
		lmtp_close(s);
}

/* ---- connection ---- */

static void lmtp_on_input(void *owner)
{
	struct lmtp_session *s = owner;

	lmtp_arm_timer(s);
	lmtp_process(s);
}

static void lmtp_on_drained(void *owner)
{
	(void)owner;
}

static void lmtp_on_closed(void *owner)
{
	struct lmtp_session *s = owner;

	s->closed = true;
	s->conn = NULL;
	event_del(s->timer);
	if (s->jobs == 0)
		lmtp_free(s);
}

static void lmtp_on_shutdown(void *owner)
{
	struct lmtp_session *s = owner;

	lmtp_reply(s, "421 4.3.2 Server shutting down");
	lmtp_close(s);
}

static const struct conn_handler lmtp_conn_handler = {
	.input = lmtp_on_input,
	.drained = lmtp_on_drained,
	.closed = lmtp_on_closed,
	.shutdown = lmtp_on_shutdown,
};

void lmtp_server_accept(struct loop *loop, int fd, const struct sockaddr *peer,
			socklen_t peer_len, bool implicit_tls, void *ctx)
{
	struct lmtp_server *server = ctx;
	struct lmtp_session *s;

	(void)implicit_tls;
	if (!conn_limits_acquire(peer)) {
		static const char busy[] = "421 4.3.2 Too many connections\r\n";
		ssize_t w = write(fd, busy, sizeof(busy) - 1);

		(void)w;
		close(fd);
		log_warn("lmtp connection refused: connection limit reached");
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->server = server;
	s->loop = loop;
	s->limit = store_append_limit(s->server->users->env);
	s->conn = conn_create(loop, fd, peer, peer_len, NULL, &lmtp_conn_handler, s);
	s->timer = evtimer_new(loop_base(loop), lmtp_timeout, s);
	lmtp_arm_timer(s);
	log_debug("%s: lmtp connected", conn_peer_str(s->conn));
	lmtp_reply(s, "220 petrel LMTP ready");
}
