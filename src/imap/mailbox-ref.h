/* Which store holds a mailbox a client names (RFC 2342 namespaces):
 * names in the personal namespace ("") are the session user's own; a name
 * "Other Users/OWNER/rest" is OWNER's mailbox "rest", and "Shared/rest"
 * the public mailbox "rest" (the store of store-users.h
 * STORE_PUBLIC_OWNER), each reached only with the rights its ACL gives
 * the session user on it (store/acl.h). The namespace nodes themselves
 * ("Other Users", "Other Users/OWNER", "Shared") hold no messages. */
#ifndef PETREL_IMAP_MAILBOX_REF_H
#define PETREL_IMAP_MAILBOX_REF_H

#include <stdbool.h>

#include "store/acl.h"

struct imap_cmd;
struct imap_session;
struct mail_user;

/* The other users' namespace, as NAMESPACE announces it. */
#define MAILBOX_REF_OTHERS "Other Users"
#define MAILBOX_REF_OTHERS_PREFIX MAILBOX_REF_OTHERS "/"
/* The public mailboxes' namespace, as NAMESPACE announces it. */
#define MAILBOX_REF_PUBLIC "Shared"
#define MAILBOX_REF_PUBLIC_PREFIX MAILBOX_REF_PUBLIC "/"

struct mailbox_ref {
	struct mail_user *owner;   /* whose store holds it (the session's own, or held) */
	const char *owner_name;
	const char *name;          /* in the owner's store; NULL for a namespace node */
	const char *full;          /* as the session names it (internal form) */
	bool other;                /* another user's: rights from the ACL */
};

/* The pure part of the resolution: whether full is another user's or a
 * public mailbox (*other_r), the owner's name into owner (owner_size >=
 * 258; "" for "Other Users" itself) and the name in their store (*name_r,
 * in arena; NULL for a namespace node). False when it names no user that
 * could share (the session user themselves, or not a user name). */
struct arena;
bool mailbox_ref_split(struct arena *arena, const char *full, const char *session_user,
		       char *owner, size_t owner_size, const char **name_r, bool *other_r);

/* The ref of an internal name (mailbox_name_from_client()'s form), in
 * cmd's arena; another user's entry is held until the command ends
 * (imap_cmd's release). False (after answering NO [NONEXISTENT]) for a
 * name under the namespace that names no user. */
bool mailbox_ref_resolve(struct imap_cmd *cmd, const char *full, struct mailbox_ref *ref_r);

/* The session user's own ref of a name in their store. */
void mailbox_ref_own(const struct imap_session *s, const char *name, struct mailbox_ref *ref_r);

/* The name the session knows a mailbox of ref's owner by: its own names
 * as they are, another's under "Other Users/OWNER/", a public one under
 * "Shared/" (in cmd's arena). */
const char *mailbox_ref_full_name(struct imap_cmd *cmd, const struct mailbox_ref *ref,
				  const char *name);

/* The same for another owner's name (in arena): name NULL gives the
 * owner's node ("Other Users/OWNER", or "Shared" for the public one). */
const char *mailbox_ref_other_name(struct arena *arena, const char *owner, const char *name);

/* Which namespace a client's name is in (mailbox_ref_split()'s test):
 * 0 personal, 1 other users' ("Other Users" and under), 2 public
 * ("Shared" and under), the order NAMESPACE announces them in. */
int mailbox_ref_namespace(const char *full);

/* Whether owner is the public mailboxes' owner. */
bool mailbox_ref_is_public(const char *owner);

#endif
