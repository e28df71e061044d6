/* An IMAP session: one client connection's protocol state (RFC 9051 §3),
 * its parser, the command that is running, and its timers. The rules every
 * session follows:
 *  - one command runs at a time; pipelined commands wait in the input
 *    buffer and are answered in order (a command may end before its
 *    tagged reply is due, imap_cmd_reply_later(): then only commands that
 *    pipeline start until the replies owed are sent, in command order);
 *  - the session knows no command: a command that reads its own literals
 *    says so in the command table, and streams them through a reader;
 *  - command code never blocks the loop: slow work goes to the worker pool
 *    through imap_session_submit(), waits use imap_session_delay();
 *  - a session whose connection is gone is freed only when no job of its
 *    is still pending. */
#ifndef PETREL_IMAP_SESSION_H
#define PETREL_IMAP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "imap/command.h"
#include "imap/resp.h"

struct conn;
struct loop;
struct mail_user;
struct mailbox_view;
struct append_stream;
struct imap_server;
struct imap_parser;
struct event;
struct worker_pool;

enum imap_state {
	IMAP_STATE_NOT_AUTH = 1 << 0,
	IMAP_STATE_AUTH = 1 << 1,
	IMAP_STATE_SELECTED = 1 << 2,
	IMAP_STATE_LOGOUT = 1 << 3,
};

struct imap_session {
	struct imap_server *server;
	struct loop *loop;
	struct conn *conn;                 /* NULL once closed */
	struct imap_parser *parser;
	struct arena *cmd_arena;           /* reset when each command ends */
	enum imap_state state;
	char *user;                        /* after login */
	struct mail_user *mail_user;       /* after login: the shared store */
	struct mailbox_view *selected;     /* in the selected state */
	/* The selected mailbox's owner: mail_user (held when another user's),
	 * their name, and whether it is another's (mailbox-ref.h). */
	struct mail_user *selected_owner;
	char *selected_owner_name;
	bool selected_other;
	struct append_stream *append;      /* APPEND literals being received */
	/* While a command reads its own literal: takes the literal's bytes. */
	const struct imap_literal_reader *literal_reader;
	bool literal_waiting;              /* a literal hook has not decided yet */
	bool run_waiting;                  /* a parsed command waits for replies owed */
	struct imap_reply *replies_head, *replies_tail;
	unsigned int replies_owed;
	/* cmd-append.c: APPENDLIMIT as the store last said (0: not asked yet),
	 * and bytes held by APPENDs whose replies are owed. */
	uint64_t append_limit;
	size_t append_ahead_bytes;

	struct resp_out out;               /* the response writer: to conn while open */
	struct imap_cmd *cmd;              /* running command, or NULL */
	unsigned int bad_count;
	unsigned int jobs_pending;
	bool closing;                      /* BYE sent / closing: read no more commands */
	bool closed;                       /* the connection is gone */
	bool waiting_drain;
	bool processing;                   /* inside session_process() */
	bool auth_limits;                  /* parser has the post-login limits */
	bool rev2_enabled;                 /* ENABLE IMAP4rev2 */
	bool condstore_enabled;            /* RFC 7162 §3.1: MODSEQ in FETCH, HIGHESTMODSEQ */
	bool qresync_enabled;              /* RFC 7162 §3.2: ENABLE QRESYNC; VANISHED */

	struct event *idle_timer;
	struct event *delay_timer;
	void (*delay_fn)(struct imap_cmd *cmd);
};

/* Writes one response line of any length; CRLF is added. Long or
 * data-sized lines are better written in pieces through s->out (resp.h),
 * ending with resp_crlf(). */
void imap_session_send(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "* BYE text", then close; no more commands are read. */
void imap_session_bye(struct imap_session *s, const char *text);

/* True when cleartext passwords may be accepted on this connection: it is
 * TLS, or loopback (unless the testing option says otherwise), or the
 * configuration allows it (RFC 9051 §11.1 / LOGINDISABLED). */
bool imap_session_cleartext_allowed(const struct imap_session *s);
/* Whether STARTTLS can be offered: TLS configured, connection not yet TLS. */
bool imap_session_starttls_available(const struct imap_session *s);

/* Runs run(ctx) on a worker (ordered with the session's other jobs under
 * the same key), then done(ctx) on this session's loop. done is called even
 * if the connection closed meanwhile: check s->closed there. Returns false
 * if the pool is full (answer NO [UNAVAILABLE]). */
bool imap_session_submit(struct imap_session *s, uint64_t key,
			 void (*run)(void *ctx), void (*done)(void *ctx), void *ctx);
/* The same on another pool (password checks: server->auth_workers). */
bool imap_session_submit_to(struct imap_session *s, struct worker_pool *pool, uint64_t key,
			    void (*run)(void *ctx), void (*done)(void *ctx), void *ctx);
/* Calls fn(cmd) after ms milliseconds, on the loop (one delay at a time). */
void imap_session_delay(struct imap_session *s, unsigned int ms, void (*fn)(struct imap_cmd *cmd));

/* Reading a command's own literal (command.h imap_literal_step). */
struct imap_literal_reader {
	/* Bytes of the current literal still to take (0: none). */
	uint64_t (*left)(const struct imap_session *s);
	/* Takes up to len bytes; returns how many. 0 while it cannot take
	 * more: the end of one of the session's jobs resumes reading. */
	size_t (*feed)(struct imap_session *s, const unsigned char *data, size_t len);
	/* The command will not run (bad syntax, the session ends). */
	void (*abort)(struct imap_session *s);
};
/* The literal's bytes go to reader; "+" is sent for a synchronizing one. */
void imap_session_literal_stream(struct imap_session *s, const struct imap_literal_reader *reader);
/* The literal is refused with "tag NO text" before "+"; a
 * non-synchronizing one cannot be skipped, so the session also ends. */
void imap_session_literal_refuse(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Leaves the selected state (no expunge): back to authenticated. */
void imap_session_unselect(struct imap_session *s);
/* Enters it: view of a mailbox of ref's owner (a reference of its own is
 * taken on another user's entry, released at unselect). */
struct mailbox_ref;
void imap_session_select(struct imap_session *s, struct mailbox_view *view,
			 const struct mailbox_ref *ref);
/* RFC 7162 §3.1: ENABLE CONDSTORE or any CONDSTORE-enabling command (SELECT
 * (CONDSTORE), STATUS HIGHESTMODSEQ, FETCH MODSEQ or CHANGEDSINCE, SEARCH
 * MODSEQ, STORE UNCHANGEDSINCE): from then on every FETCH response about
 * flags carries MODSEQ and SELECT reports HIGHESTMODSEQ. */
void imap_session_enable_condstore(struct imap_session *s);

/* Switches the session to the authenticated state as `user`. */
void imap_session_logged_in(struct imap_session *s, const char *user);

#endif
