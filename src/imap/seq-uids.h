/* A command's sequence set (or UID set) resolved against the selected
 * mailbox's view: the ascending UIDs it names. Pure data, linear in the
 * ranges and the UIDs returned (plus a binary search per range for UID
 * sets); it never asks the store, so a UID the session has not announced is
 * never named. */
#ifndef PETREL_IMAP_SEQ_UIDS_H
#define PETREL_IMAP_SEQ_UIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct imap_arg;
struct imap_cmd;
struct mailbox_view;

/* Comma-separated parts one set may have. 10,000 single UIDs already fill
 * most of the 64 KiB command line; a client with more splits its command,
 * and the ranges array stays a bounded allocation. */
#define SEQ_UIDS_MAX_RANGES 10000

enum seq_uids_result {
	SEQ_UIDS_OK,
	SEQ_UIDS_BAD,        /* not a sequence set */
	SEQ_UIDS_TOO_BIG,    /* more than SEQ_UIDS_MAX_RANGES parts */
	SEQ_UIDS_RANGE,      /* a message number beyond the view, or '*' when empty */
};

/* set[0..len) as message sequence numbers (uid_mode false) or UIDs. The
 * UIDs go to *uids_r (allocated in arena, ascending, no duplicates; may be
 * empty). Message numbers must all exist (RFC 9051 §9 seq-number: they
 * range from 1 to the number of messages); UIDs outside the view are
 * ignored, and '*' is the highest UID in the view, so "559:*" includes it
 * even when it is below 559 (RFC 9051 §6.4.9). "$" (RFC 5182) is the
 * view's saved search result, UIDs in either mode, less those gone. */
enum seq_uids_result seq_uids_resolve(const struct mailbox_view *view, const char *set,
				      size_t len, bool uid_mode, struct arena *arena,
				      uint32_t **uids_r, uint32_t *count_r);

/* For command handlers: resolves arg (an atom) against the session's
 * selected view in cmd->arena. On failure sends the tagged BAD/NO and
 * returns false. */
bool seq_uids_from_arg(struct imap_cmd *cmd, const struct imap_arg *arg, bool uid_mode,
		       uint32_t **uids_r, uint32_t *count_r);

#endif
