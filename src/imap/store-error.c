/* Store result -> tagged reply. */
#include "imap/store-error.h"

#include "core/log.h"
#include "imap/command.h"

const char *imap_store_error_text(enum store_result result)
{
	switch (result) {
	case STORE_OK:
		return "completed";
	case STORE_NOT_FOUND:
		return "[NONEXISTENT] No such mailbox";
	case STORE_EXISTS:
		return "[ALREADYEXISTS] Mailbox already exists";
	case STORE_INVALID:
		return "[CANNOT] Invalid mailbox name";
	case STORE_NOT_ALLOWED:
		return "[CANNOT] Not allowed on this mailbox";
	case STORE_LIMIT:
		return "[LIMIT] A store limit was reached";
	case STORE_TOO_BIG:
		return "[TOOBIG] Message too big";
	case STORE_NO_SPACE:
		return "[OVERQUOTA] Not enough disk space";
	case STORE_BUSY:
		return "[UNAVAILABLE] Mailbox is busy, try again";
	case STORE_OVER_QUOTA:
		return "[OVERQUOTA] Quota exceeded";
	case STORE_NO_RIGHTS:
		return "[NOPERM] Permission denied";
	case STORE_MISSING:
		/* RFC 5530 SERVERBUG, not UNAVAILABLE: the server lost data it
		 * had; trying again cannot help until an administrator restores
		 * the store (the log says so), and a client must not read an
		 * empty store as "all mail deleted". */
		return "[SERVERBUG] Mail store missing, see the server log";
	case STORE_READ_ONLY:
		/* The store failed an integrity check: reads go on, changes
		 * wait for a repair. SERVERBUG (an invariant of the server's own
		 * data broke) rather than UNAVAILABLE, which invites retries. */
		return "[SERVERBUG] Mail store damaged: read-only until repaired";
	case STORE_CORRUPT:
	case STORE_ERROR:
		/* The store logged the details. */
		return "[SERVERBUG] Internal error, see the server log";
	}
	log_error("unknown store result %d", (int)result);
	return "[SERVERBUG] Internal error, see the server log";
}

void imap_cmd_store_error(struct imap_cmd *cmd, enum store_result result)
{
	if (result == STORE_OK)
		imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
	else
		imap_cmd_reply(cmd, "NO", "%s", imap_store_error_text(result));
}
