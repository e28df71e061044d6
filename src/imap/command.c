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
	/* cmd-select.c rows */
	/* cmd-append.c rows */
};

const struct imap_command_def *imap_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}
