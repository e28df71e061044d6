/* The one place where store results become IMAP replies (RFC 9051 §7.1
 * response codes): the user's mistakes are NO with a code saying which,
 * internal failures are NO [SERVERBUG] with the details only in the log. */
#ifndef PETREL_IMAP_STORE_ERROR_H
#define PETREL_IMAP_STORE_ERROR_H

#include "store/store.h"

struct imap_cmd;

/* The text of the NO for result (which is not STORE_OK), code first. */
const char *imap_store_error_text(enum store_result result);
/* Sends the tagged NO for result (which is not STORE_OK). */
void imap_cmd_store_error(struct imap_cmd *cmd, enum store_result result);

#endif
