/* What the command files share about mailboxes: a client's mailbox
 * argument to the store's name (every command that names a mailbox), a
 * store name to the wire, and STATUS items (the STATUS command and LIST's
 * RETURN (STATUS ...), RFC 5819). Implemented in cmd-mailbox.c. */
#ifndef PETREL_IMAP_CMD_MAILBOX_H
#define PETREL_IMAP_CMD_MAILBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

struct imap_arg;
struct imap_cmd;
struct imap_session;

/* Bytes of one mailbox name as sent: the longest store name in modified
 * UTF-7 (at most 8/3 of the UTF-8 bytes, plus shifts), quoted and escaped. */
#define CMD_MAILBOX_WIRE_MAX (4 * STORE_MAILBOX_NAME_MAX + 64)

/* The store's name for a mailbox argument, in cmd->arena. With
 * strip_delim one trailing '/' is dropped first (CREATE, RFC 9051 §6.3.4).
 * NULL after answering: BAD when arg is not an astring, NO [CANNOT] with
 * the names module's reason when the name is refused. */
const char *cmd_mailbox_arg(struct imap_cmd *cmd, const struct imap_arg *arg,
			    bool strip_delim);

/* cmd_mailbox_arg(), then the store that holds it (mailbox-ref.h). False
 * after answering. */
struct mailbox_ref;
bool cmd_mailbox_ref_arg(struct imap_cmd *cmd, const struct imap_arg *arg, bool strip_delim,
			 struct mailbox_ref *ref_r);

/* Appends a store name as the client must see it: modified UTF-7 unless
 * IMAP4rev2 is enabled, then quoted as needed. False (out unchanged) if the
 * name cannot be converted. */
bool cmd_mailbox_append_name(const struct imap_session *s, const char *name, struct buf *out);

/* STATUS data items (RFC 9051 §6.3.11, RFC 7162 HIGHESTMODSEQ, RFC 8438
 * SIZE, RFC 7889 APPENDLIMIT; RECENT only for IMAP4rev1 clients). */
enum cmd_status_item {
	CMD_STATUS_MESSAGES,
	CMD_STATUS_UIDNEXT,
	CMD_STATUS_UIDVALIDITY,
	CMD_STATUS_UNSEEN,
	CMD_STATUS_DELETED,
	CMD_STATUS_SIZE,
	CMD_STATUS_RECENT,
	CMD_STATUS_HIGHESTMODSEQ,
	CMD_STATUS_APPENDLIMIT,
	CMD_STATUS_DELETED_STORAGE,     /* RFC 9208 §4.2 */
	CMD_STATUS_ITEM_COUNT
};

/* The items asked for, in the client's order (each at most once). */
struct cmd_status_items {
	uint8_t item[CMD_STATUS_ITEM_COUNT];
	unsigned int count;
};

/* Parses "(item ...)": a non-empty list of known items, none twice. False
 * on any other input (the caller answers BAD). */
bool cmd_status_items_parse(const struct imap_arg *list, bool rev2,
			    struct cmd_status_items *items_r);
bool cmd_status_items_has(const struct cmd_status_items *items, enum cmd_status_item item);

/* For the session's selected mailbox, RECENT counts what this session
 * sees as \Recent (RFC 3501 §2.3.2), not what the store still holds as
 * recent for the next session. */
void cmd_status_session_view(const struct imap_session *s, const char *name,
			     struct store_mailbox_status *status);

/* "MESSAGES 3 UIDNEXT 7" for the items, without parentheses. append_limit
 * 0 means none (NIL). */
void cmd_status_items_format(const struct cmd_status_items *items,
			     const struct store_mailbox_status *status,
			     uint64_t append_limit, struct buf *out);

#endif
