/* Namespaces: a client's mailbox name to the store that holds it
 * (mailbox-ref.h). */
#include "imap/mailbox-ref.h"

#include <string.h>
#include <strings.h>

#include "auth/passdb.h"
#include "core/arena.h"
#include "imap/command.h"
#include "imap/imap-server.h"
#include "imap/session.h"
#include "user/mail-user.h"

void mailbox_ref_own(const struct imap_session *s, const char *name, struct mailbox_ref *ref_r)
{
	*ref_r = (struct mailbox_ref){
		.owner = s->mail_user, .owner_name = s->user, .name = name, .full = name,
	};
}

bool mailbox_ref_resolve(struct imap_cmd *cmd, const char *full, struct mailbox_ref *ref_r)
{
	struct imap_session *s = cmd->session;
	size_t plen = strlen(MAILBOX_REF_OTHERS_PREFIX);

	if (strcmp(full, MAILBOX_REF_OTHERS) != 0 &&
	    strncmp(full, MAILBOX_REF_OTHERS_PREFIX, plen) != 0) {
		mailbox_ref_own(s, full, ref_r);
		return true;
	}
	/* "Other Users", "Other Users/OWNER", "Other Users/OWNER/rest". */
	const char *user = full + (full[strlen(MAILBOX_REF_OTHERS)] == '\0' ? strlen(full) : plen);
	const char *slash = strchr(user, '/');
	const char *owner = slash != NULL ? arena_strndup(cmd->arena, user, (size_t)(slash - user))
					  : arena_strdup(cmd->arena, user);

	*ref_r = (struct mailbox_ref){ .owner_name = owner, .full = full, .other = true };
	if (owner[0] == '\0' || strcmp(owner, s->user) == 0 || !passdb_valid_username(owner)) {
		/* The namespace node itself, the user's own name there (their
		 * mailboxes are in the personal namespace), or no user at all. */
		if (owner[0] != '\0' && (strcmp(owner, s->user) == 0 ||
					 !passdb_valid_username(owner))) {
			imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
			return false;
		}
		return true;
	}
	if (slash != NULL && slash[1] != '\0') {
		const char *rest = slash + 1;

		/* INBOX is spelt so in any case at the first level of the
		 * owner's names, as in the personal namespace. */
		if (strncasecmp(rest, "INBOX", 5) == 0 && (rest[5] == '\0' || rest[5] == '/'))
			ref_r->name = arena_printf(cmd->arena, "INBOX%s", rest + 5);
		else
			ref_r->name = rest;
	}
	if (cmd->held_count >= sizeof(cmd->held) / sizeof(cmd->held[0])) {
		imap_cmd_reply(cmd, "NO", "[CANNOT] Too many mailboxes of other users");
		return false;
	}
	ref_r->owner = mail_user_acquire(s->server->users, owner);
	cmd->held[cmd->held_count++] = ref_r->owner;
	return true;
}

const char *mailbox_ref_full_name(struct imap_cmd *cmd, const struct mailbox_ref *ref,
				  const char *name)
{
	if (!ref->other)
		return name;
	return arena_printf(cmd->arena, MAILBOX_REF_OTHERS_PREFIX "%s/%s", ref->owner_name, name);
}
