/* A session's view of its selected mailbox (RFC 9051 §2.3.1): the message
 * sequence numbers it has announced, as runs of UIDs (a dense mailbox of
 * any size is a few bytes; never an array per message), plus what it knows of
 * the mailbox (UIDNEXT, HIGHESTMODSEQ, keywords). Changes learnt from the
 * store are applied here and turned into the untagged responses that keep
 * the client's numbering right. Pure data: no I/O, no store calls. */
#ifndef PETREL_IMAP_MAILBOX_VIEW_H
#define PETREL_IMAP_MAILBOX_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "imap/seqset.h"
#include "imap/uid-runs.h"
#include "store/store.h"

struct mailbox_view {
	char *name;                   /* internal name */
	uint32_t uidvalidity;
	bool readonly;
	/* What this session may change here (RFC 4314 §4: s \Seen, t
	 * \Deleted, w the rest): ACL_OWNER_RIGHTS on one's own mailboxes,
	 * the ACL's on another user's; PERMANENTFLAGS lists only those. */
	acl_rights rights;
	bool rev1;                    /* IMAP4rev1 client: RECENT and \Recent */
	bool condstore;               /* RFC 7162: FETCH responses carry MODSEQ */
	bool qresync;                 /* RFC 7162 §3.2.10: VANISHED, not EXPUNGE */
	/* Sequence n is the n-th UID of msgs; read it through the functions
	 * below (mailbox_view_uid_at(), _seq(), _count(), _uids()). */
	struct uid_runs msgs;
	uint32_t uidnext;
	uint64_t highestmodseq;
	/* \Recent in this session (IMAP4rev1, RFC 3501 §2.3.2): the UIDs it
	 * claimed, at SELECT and as messages arrived; ranges ascending and
	 * disjoint, so seqset_contains() looks a UID up. */
	struct seqset recent;
	uint32_t recent_cap;
	char **keywords;              /* bit i is keywords[i] */
	unsigned int keyword_count;
	/* Expunged in the store but not yet announced (no EXPUNGE may be sent
	 * during FETCH, STORE or SEARCH: RFC 9051 §7.5.1). Still numbered. */
	uint32_t *pending_expunges;
	uint32_t pending_count;
	/* RFC 5182 SEARCHRES: the result SEARCH RETURN (SAVE) kept, as UIDs
	 * (ascending); "$" names those still in the view. Empty until a SAVE;
	 * gone with the view (a new SELECT starts empty). Runs too: a SAVE of
	 * ALL on a big mailbox is one run. */
	struct uid_runs saved;
};

struct resp_out;

/* Takes the snapshot's arrays (the snapshot is left empty). */
struct mailbox_view *mailbox_view_create(const char *name, bool readonly, bool rev1,
					 struct store_snapshot *snapshot);
void mailbox_view_free(struct mailbox_view **view);

/* Replaces the saved search result (copied). */
void mailbox_view_save_result(struct mailbox_view *view, const uint32_t *uids, uint32_t count);

/* Messages numbered in the view (the last EXISTS the client has, less
 * EXPUNGEs sent since). */
uint32_t mailbox_view_count(const struct mailbox_view *view);
/* The UID of message seq (1-based), 0 when beyond the view. */
uint32_t mailbox_view_uid_at(const struct mailbox_view *view, uint32_t seq);
/* The sequence number of uid, 0 when not in the view. */
uint32_t mailbox_view_seq(const struct mailbox_view *view, uint32_t uid);
/* How many of the view's UIDs are below uid. */
uint32_t mailbox_view_rank(const struct mailbox_view *view, uint32_t uid);
/* The highest UID numbered, 0 when the view is empty. */
uint32_t mailbox_view_last_uid(const struct mailbox_view *view);
/* The UIDs of messages first_seq .. first_seq + n - 1 (all in the view) to
 * out, linear in n. */
void mailbox_view_uids(const struct mailbox_view *view, uint32_t first_seq, uint32_t n,
		       uint32_t *out);
/* Bytes the view's message numbering holds on the heap (for the memory
 * figures: a dense mailbox of any size is one run). */
size_t mailbox_view_uid_bytes(const struct mailbox_view *view);
uint32_t mailbox_view_recent_count(const struct mailbox_view *view);
/* uid is \Recent in this session (always false for IMAP4rev2). */
bool mailbox_view_is_recent(const struct mailbox_view *view, uint32_t uid);
/* This session claimed UIDs lo..hi (above every earlier claim) as \Recent. */
void mailbox_view_add_recent(struct mailbox_view *view, uint32_t lo, uint32_t hi);

/* "(\Seen $Forwarded ...)" for a message's flags; \Recent for rev1 when
 * this session claimed uid. */
void mailbox_view_format_flags(const struct mailbox_view *view, uint32_t uid,
			       uint32_t flags, uint64_t keywords, struct buf *out);
/* The FLAGS list: system flags plus the mailbox's keywords. */
void mailbox_view_format_flag_list(const struct mailbox_view *view, struct buf *out);
/* The PERMANENTFLAGS list (RFC 9051 §7.1: the flags the client can change
 * permanently): "()" when read-only, else those of the FLAGS list that
 * view->rights let it change, and \* (new keywords) with w while the
 * mailbox has room for another keyword. */
void mailbox_view_format_permanent_flags(const struct mailbox_view *view, struct buf *out);

struct mailbox_view_apply {
	bool allow_expunge;       /* false during FETCH, STORE, SEARCH */
	bool include_uid;         /* UID commands: FETCH responses carry UID */
	/* Messages whose FETCH is not sent (STORE .SILENT on its own set);
	 * ascending. */
	const uint32_t *silent_uids;
	uint32_t silent_count;
};

/* Applies changes (ownership stays with the caller) and emits, in order:
 * FLAGS and PERMANENTFLAGS if keywords were added, EXPUNGE for each removed
 * message (when allowed), EXISTS (and RECENT for rev1) if messages arrived,
 * and FETCH (FLAGS) for each known message whose flags changed. Each line
 * goes to out in pieces (a VANISHED line is as long as its UID set). */
void mailbox_view_apply(struct mailbox_view *view, const struct store_changes *changes,
			const struct mailbox_view_apply *how, struct resp_out *out);

#endif
