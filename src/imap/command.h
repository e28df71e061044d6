/* Commands: the table of name -> handler -> allowed states, the running
 * command's context, and the replies commands send. A handler either
 * completes (writes its tagged reply with imap_cmd_done()/_reply() and
 * returns CMD_STEP_DONE) or returns CMD_STEP_WAIT after arranging to be
 * called back (worker result, timer, continuation line, output drained) and
 * completes from there with imap_cmd_complete(). */
#ifndef PETREL_IMAP_COMMAND_H
#define PETREL_IMAP_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "imap/parser.h"

struct arena;
struct imap_session;

enum cmd_step { CMD_STEP_DONE, CMD_STEP_WAIT };

/* A command that reads its own literals (APPEND, as Dovecot's
 * cmd_append_full()): the session asks it about each top-level literal of
 * the command before anything is sent, and the command decides with
 * imap_session_literal_stream() or imap_session_literal_refuse(), at once
 * or, after a check on a worker, later. */
enum imap_literal_step {
	IMAP_LITERAL_NOT_MINE,   /* an ordinary literal: the session's limits */
	IMAP_LITERAL_DECIDED,    /* streamed or refused already */
	IMAP_LITERAL_WAIT,       /* the session reads nothing until decided */
};

struct imap_cmd {
	struct imap_session *session;
	struct arena *arena;               /* freed when the command ends */
	const char *tag;                   /* copied into arena */
	const char *name;                  /* canonical upper case, e.g. "LOGIN" */
	const struct imap_arg *args;       /* after the name; valid until the
	                                      command's first CMD_STEP_WAIT */
	unsigned int arg_count;
	/* Set while waiting for a continuation line (AUTHENTICATE): called with
	 * the line without CRLF. */
	void (*input_line)(struct imap_cmd *cmd, const char *line, size_t len);
	/* Called when the session ends with the command still running, and when
	 * the command completes: frees what `state` holds outside the arena. */
	void (*cleanup)(struct imap_cmd *cmd);
	/* Set while waiting for the client to read what was written (FETCH
	 * streaming): called once, when the connection's output drains. */
	void (*output_drained)(struct imap_cmd *cmd);
	void *state;
	bool done;
	/* Other users' entries the command's mailboxes are in (mailbox-ref.h),
	 * released when the command ends. */
	struct mail_user *held[2];
	unsigned int held_count;
};

struct imap_command_def {
	const char *name;
	enum cmd_step (*run)(struct imap_cmd *cmd);
	unsigned int states;               /* enum imap_state bits */
	/* Optional: the command reads its own literals (see above). */
	enum imap_literal_step (*literal)(struct imap_session *s,
					  const struct imap_literal_info *lit);
	/* The command may start while earlier commands' tagged replies are
	 * still owed (imap_cmd_reply_later()); any other waits for them. */
	bool pipelines;
};

/* NULL when unknown. `name` is the command name as the client sent it
 * (with "UID " before the second word for UID commands). */
const struct imap_command_def *imap_command_find(const char *name);

/* The tagged reply: "tag OK|NO|BAD text". BAD counts towards the session's
 * limit of bad commands. */
void imap_cmd_reply(struct imap_cmd *cmd, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A command that ends (CMD_STEP_DONE) without its tagged reply, which a
 * job sends later with imap_reply_send(): the session reads on (commands
 * with `pipelines`), and tagged replies still go out in command order. */
struct imap_reply;
struct imap_reply *imap_cmd_reply_later(struct imap_cmd *cmd);
void imap_reply_send(struct imap_session *s, struct imap_reply *reply, const char *status,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Ends a command that returned CMD_STEP_WAIT (after its tagged reply): the
 * session moves on to the next pipelined command. */
void imap_cmd_complete(struct imap_cmd *cmd);

/* Handlers, one file per family. */
enum cmd_step cmd_capability(struct imap_cmd *cmd);
enum cmd_step cmd_idle(struct imap_cmd *cmd);
enum cmd_step cmd_noop(struct imap_cmd *cmd);
enum cmd_step cmd_logout(struct imap_cmd *cmd);
enum cmd_step cmd_id(struct imap_cmd *cmd);
enum cmd_step cmd_enable(struct imap_cmd *cmd);
enum cmd_step cmd_starttls(struct imap_cmd *cmd);
enum cmd_step cmd_login(struct imap_cmd *cmd);
enum cmd_step cmd_authenticate(struct imap_cmd *cmd);
/* cmd-mailbox.c */
enum cmd_step cmd_create(struct imap_cmd *cmd);
enum cmd_step cmd_delete(struct imap_cmd *cmd);
enum cmd_step cmd_rename(struct imap_cmd *cmd);
enum cmd_step cmd_subscribe(struct imap_cmd *cmd);
enum cmd_step cmd_unsubscribe(struct imap_cmd *cmd);
enum cmd_step cmd_list(struct imap_cmd *cmd);
enum cmd_step cmd_lsub(struct imap_cmd *cmd);
enum cmd_step cmd_namespace(struct imap_cmd *cmd);
enum cmd_step cmd_status(struct imap_cmd *cmd);
/* cmd-quota.c */
enum cmd_step cmd_getquotaroot(struct imap_cmd *cmd);
enum cmd_step cmd_getquota(struct imap_cmd *cmd);
enum cmd_step cmd_setquota(struct imap_cmd *cmd);
/* cmd-acl.c (RFC 4314) */
enum cmd_step cmd_setacl(struct imap_cmd *cmd);
enum cmd_step cmd_deleteacl(struct imap_cmd *cmd);
enum cmd_step cmd_getacl(struct imap_cmd *cmd);
enum cmd_step cmd_listrights(struct imap_cmd *cmd);
enum cmd_step cmd_myrights(struct imap_cmd *cmd);
/* cmd-metadata.c */
enum cmd_step cmd_getmetadata(struct imap_cmd *cmd);
enum cmd_step cmd_setmetadata(struct imap_cmd *cmd);
/* cmd-select.c */
enum cmd_step cmd_select(struct imap_cmd *cmd);
enum cmd_step cmd_examine(struct imap_cmd *cmd);
enum cmd_step cmd_close(struct imap_cmd *cmd);
enum cmd_step cmd_unselect(struct imap_cmd *cmd);
enum cmd_step cmd_check(struct imap_cmd *cmd);
/* cmd-store.c, cmd-expunge.c, cmd-copy.c (UID variants: cmd->name starts "UID ") */
enum cmd_step cmd_store(struct imap_cmd *cmd);
enum cmd_step cmd_expunge(struct imap_cmd *cmd);
enum cmd_step cmd_copy(struct imap_cmd *cmd);
enum cmd_step cmd_move(struct imap_cmd *cmd);
/* cmd-append.c */
enum cmd_step cmd_append(struct imap_cmd *cmd);
enum imap_literal_step cmd_append_literal(struct imap_session *s,
					  const struct imap_literal_info *lit);
/* cmd-fetch.c */
enum cmd_step cmd_fetch(struct imap_cmd *cmd);
/* cmd-search.c */
enum cmd_step cmd_search(struct imap_cmd *cmd);
enum cmd_step cmd_sort(struct imap_cmd *cmd);
enum cmd_step cmd_thread(struct imap_cmd *cmd);

#endif
