/* Store result -> tagged reply. */
#include "imap/store-error.h"

#include "core/log.h"
#include "imap/command.h"

void imap_cmd_store_error(struct imap_cmd *cmd, enum store_result result)
{
	switch (result) {
	case STORE_OK:
		imap_cmd_reply(cmd, "OK", "%s completed", cmd->name);
		return;
	case STORE_NOT_FOUND:
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return;
	case STORE_EXISTS:
		imap_cmd_reply(cmd, "NO", "[ALREADYEXISTS] Mailbox already exists");
		return;
	case STORE_INVALID:
		imap_cmd_reply(cmd, "NO", "[CANNOT] Invalid mailbox name");
		return;
	case STORE_NOT_ALLOWED:
		imap_cmd_reply(cmd, "NO", "[CANNOT] Not allowed on this mailbox");
		return;
	case STORE_LIMIT:
		imap_cmd_reply(cmd, "NO", "[LIMIT] A store limit was reached");
		return;
	case STORE_TOO_BIG:
		imap_cmd_reply(cmd, "NO", "[TOOBIG] Message too big");
		return;
	case STORE_NO_SPACE:
		imap_cmd_reply(cmd, "NO", "[OVERQUOTA] Not enough disk space");
		return;
	case STORE_BUSY:
		imap_cmd_reply(cmd, "NO", "[UNAVAILABLE] Mailbox is busy, try again");
		return;
	case STORE_MISSING:
		/* RFC 5530 SERVERBUG, not UNAVAILABLE: the server lost data it
		 * had; trying again cannot help until an administrator restores
		 * the store (the log says so), and a client must not read an
		 * empty store as "all mail deleted". */
		imap_cmd_reply(cmd, "NO", "[SERVERBUG] Mail store missing, see the server log");
		return;
	case STORE_READ_ONLY:
		/* The store failed an integrity check: reads go on, changes
		 * wait for a repair. SERVERBUG (an invariant of the server's own
		 * data broke) rather than UNAVAILABLE, which invites retries. */
		imap_cmd_reply(cmd, "NO", "[SERVERBUG] Mail store damaged: read-only until"
			       " repaired");
		return;
	case STORE_CORRUPT:
	case STORE_ERROR:
		/* The store logged the details. */
		imap_cmd_reply(cmd, "NO", "[SERVERBUG] Internal error, see the server log");
		return;
	}
	log_error("unknown store result %d", (int)result);
	imap_cmd_reply(cmd, "NO", "[SERVERBUG] Internal error, see the server log");
}
