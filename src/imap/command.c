/* The command table: every command petrel answers, the states it is valid
 * in (RFC 9051 §6), and its handler. A command not listed here is answered
 * "BAD Unknown command", so nothing unfinished is ever reachable. */
#include "imap/command.h"

#include <strings.h>

#include "imap/session.h"

#define ANY_STATE (IMAP_STATE_NOT_AUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)

static const struct imap_command_def commands[] = {
	/* RFC 9051 §6.1: any state */
	{ .name = "CAPABILITY", .run = cmd_capability, .states = ANY_STATE },
	{ .name = "NOOP", .run = cmd_noop, .states = ANY_STATE },
	{ .name = "LOGOUT", .run = cmd_logout, .states = ANY_STATE },
	{ .name = "ID", .run = cmd_id, .states = ANY_STATE },                  /* RFC 2971 */
	/* RFC 9051 §6.2: not authenticated */
	{ .name = "STARTTLS", .run = cmd_starttls, .states = IMAP_STATE_NOT_AUTH },
	{ .name = "AUTHENTICATE", .run = cmd_authenticate, .states = IMAP_STATE_NOT_AUTH },
	{ .name = "LOGIN", .run = cmd_login, .states = IMAP_STATE_NOT_AUTH },
	/* RFC 9051 §6.3: authenticated */
	{ .name = "ENABLE", .run = cmd_enable, .states = IMAP_STATE_AUTH },    /* RFC 5161 §3.1 */
	/* cmd-mailbox.c rows */
	{ .name = "CREATE", .run = cmd_create, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "DELETE", .run = cmd_delete, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "RENAME", .run = cmd_rename, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "SUBSCRIBE", .run = cmd_subscribe, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "UNSUBSCRIBE", .run = cmd_unsubscribe, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "LIST", .run = cmd_list, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "LSUB", .run = cmd_lsub, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },   /* RFC 3501 */
	{ .name = "NAMESPACE", .run = cmd_namespace, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED }, /* RFC 2342 */
	{ .name = "STATUS", .run = cmd_status, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	/* cmd-quota.c rows (RFC 9208) */
	{ .name = "GETQUOTAROOT", .run = cmd_getquotaroot,
	  .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "GETQUOTA", .run = cmd_getquota, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "SETQUOTA", .run = cmd_setquota, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	/* cmd-acl.c rows (RFC 4314) */
	{ .name = "SETACL", .run = cmd_setacl, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "DELETEACL", .run = cmd_deleteacl, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "GETACL", .run = cmd_getacl, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "LISTRIGHTS", .run = cmd_listrights,
	  .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "MYRIGHTS", .run = cmd_myrights, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	/* cmd-metadata.c rows (RFC 5464) */
	{ .name = "GETMETADATA", .run = cmd_getmetadata,
	  .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "SETMETADATA", .run = cmd_setmetadata,
	  .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	/* cmd-select.c rows */
	{ .name = "SELECT", .run = cmd_select, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	{ .name = "EXAMINE", .run = cmd_examine, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED },
	/* RFC 9051 §6.4: selected */
	{ .name = "CLOSE", .run = cmd_close, .states = IMAP_STATE_SELECTED },
	{ .name = "UNSELECT", .run = cmd_unselect, .states = IMAP_STATE_SELECTED },  /* RFC 3691 */
	{ .name = "CHECK", .run = cmd_check, .states = IMAP_STATE_SELECTED },        /* RFC 3501 */
	{ .name = "IDLE", .run = cmd_idle, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED }, /* RFC 2177 */
	{ .name = "EXPUNGE", .run = cmd_expunge, .states = IMAP_STATE_SELECTED },
	{ .name = "UID EXPUNGE", .run = cmd_expunge, .states = IMAP_STATE_SELECTED }, /* RFC 4315 */
	{ .name = "FETCH", .run = cmd_fetch, .states = IMAP_STATE_SELECTED },
	{ .name = "UID FETCH", .run = cmd_fetch, .states = IMAP_STATE_SELECTED },
	{ .name = "SEARCH", .run = cmd_search, .states = IMAP_STATE_SELECTED },
	{ .name = "UID SEARCH", .run = cmd_search, .states = IMAP_STATE_SELECTED },
	{ .name = "SORT", .run = cmd_sort, .states = IMAP_STATE_SELECTED },
	{ .name = "UID SORT", .run = cmd_sort, .states = IMAP_STATE_SELECTED },
	{ .name = "THREAD", .run = cmd_thread, .states = IMAP_STATE_SELECTED },
	{ .name = "UID THREAD", .run = cmd_thread, .states = IMAP_STATE_SELECTED },
	{ .name = "STORE", .run = cmd_store, .states = IMAP_STATE_SELECTED },
	{ .name = "UID STORE", .run = cmd_store, .states = IMAP_STATE_SELECTED },
	{ .name = "COPY", .run = cmd_copy, .states = IMAP_STATE_SELECTED },
	{ .name = "UID COPY", .run = cmd_copy, .states = IMAP_STATE_SELECTED },
	{ .name = "MOVE", .run = cmd_move, .states = IMAP_STATE_SELECTED },          /* RFC 6851 */
	{ .name = "UID MOVE", .run = cmd_move, .states = IMAP_STATE_SELECTED },
	/* cmd-append.c rows */
	{ .name = "APPEND", .run = cmd_append, .states = IMAP_STATE_AUTH | IMAP_STATE_SELECTED,
	  .literal = cmd_append_literal, .pipelines = true },
};

const struct imap_command_def *imap_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}
