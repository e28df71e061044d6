/* COPY and MOVE from the selected mailbox into a mailbox of another
 * store (one user's into another's, mailbox-ref.h): the session user needs
 * r on the source (and e for MOVE) and i on the target where they are
 * another user's (RFC 4314 §4). Answers like COPY and MOVE within a store
 * (COPYUID, EXPUNGEs of MOVE). */
#ifndef PETREL_IMAP_COPY_ACROSS_H
#define PETREL_IMAP_COPY_ACROSS_H

#include <stdbool.h>
#include <stdint.h>

#include "imap/command.h"

struct mailbox_ref;

/* uids in cmd's arena, ascending; to resolved (its owner held). */
enum cmd_step copy_across(struct imap_cmd *cmd, bool move, bool uid_mode, uint32_t *uids,
			  uint32_t count, const struct mailbox_ref *to);

#endif
