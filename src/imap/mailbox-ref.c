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
#include "store/store-users.h"
#include "user/mail-user.h"

void mailbox_ref_own(const struct imap_session *s, const char *name, struct mailbox_ref *ref_r)
{
	*ref_r = (struct mailbox_ref){
		.owner = s->mail_user, .owner_name = s->user, .name = name, .full = name,
	};
}

bool mailbox_ref_is_public(const char *owner)
{
	return strcmp(owner, STORE_PUBLIC_OWNER) == 0;
}

/* INBOX is spelt so in any case at the first level of an owner's names,
 * as in the personal namespace. */
static const char *owner_mailbox_name(struct arena *arena, const char *rest)
{
	if (strncasecmp(rest, "INBOX", 5) == 0 && (rest[5] == '\0' || rest[5] == '/'))
		return arena_printf(arena, "INBOX%s", rest + 5);
	return rest;
}

/* The name is under prefix (given with its '/'), or is its node. */
static bool under_prefix(const char *full, const char *prefix, size_t plen)
{
	return strncmp(full, prefix, plen) == 0 ||
	       (strncmp(full, prefix, plen - 1) == 0 && full[plen - 1] == '\0');
}

int mailbox_ref_namespace(const char *full)
{
	if (under_prefix(full, MAILBOX_REF_OTHERS_PREFIX, strlen(MAILBOX_REF_OTHERS_PREFIX)))
		return 1;
	if (under_prefix(full, MAILBOX_REF_PUBLIC_PREFIX, strlen(MAILBOX_REF_PUBLIC_PREFIX)))
		return 2;
	return 0;
}

bool mailbox_ref_split(struct arena *arena, const char *full, const char *session_user,
		       char *owner, size_t owner_size, const char **name_r, bool *other_r)
{
	size_t plen = strlen(MAILBOX_REF_OTHERS_PREFIX);
	size_t public_len = strlen(MAILBOX_REF_PUBLIC_PREFIX);

	*name_r = full;
	*other_r = false;
	owner[0] = '\0';
	if (under_prefix(full, MAILBOX_REF_PUBLIC_PREFIX, public_len)) {
		/* "Shared", "Shared/rest". */
		if (owner_size <= strlen(STORE_PUBLIC_OWNER))
			return false;
		strcpy(owner, STORE_PUBLIC_OWNER);
		*other_r = true;
		*name_r = full[public_len - 1] == '\0' || full[public_len] == '\0' ? NULL
			  : owner_mailbox_name(arena, full + public_len);
		return true;
	}
	if (!under_prefix(full, MAILBOX_REF_OTHERS_PREFIX, plen))
		return true;
	/* "Other Users", "Other Users/OWNER", "Other Users/OWNER/rest". */
	const char *user = full + (full[strlen(MAILBOX_REF_OTHERS)] == '\0' ? strlen(full) : plen);
	const char *slash = strchr(user, '/');
	size_t len = slash != NULL ? (size_t)(slash - user) : strlen(user);

	*other_r = true;
	*name_r = NULL;
	if (len >= owner_size)
		return false;
	memcpy(owner, user, len);
	owner[len] = '\0';
	if (len > 0 && (strcmp(owner, session_user) == 0 || !passdb_valid_username(owner)))
		return false;
	if (slash != NULL && slash[1] != '\0')
		*name_r = owner_mailbox_name(arena, slash + 1);
	return true;
}

bool mailbox_ref_resolve(struct imap_cmd *cmd, const char *full, struct mailbox_ref *ref_r)
{
	struct imap_session *s = cmd->session;
	char owner[ACL_IDENTIFIER_MAX];
	const char *name;
	bool other;

	if (!mailbox_ref_split(cmd->arena, full, s->user, owner, sizeof(owner), &name, &other)) {
		/* Their own name under "Other Users" (their mailboxes are in
		 * the personal namespace), or no user at all. */
		imap_cmd_reply(cmd, "NO", "[NONEXISTENT] No such mailbox");
		return false;
	}
	if (!other) {
		mailbox_ref_own(s, full, ref_r);
		return true;
	}
	*ref_r = (struct mailbox_ref){
		.owner_name = arena_strdup(cmd->arena, owner), .name = name, .full = full,
		.other = true,
	};
	if (owner[0] == '\0')
		return true;   /* "Other Users" itself */
	if (cmd->held_count >= sizeof(cmd->held) / sizeof(cmd->held[0])) {
		imap_cmd_reply(cmd, "NO", "[CANNOT] Too many mailboxes of other users");
		return false;
	}
	ref_r->owner = mail_user_acquire(s->server->users, owner);
	cmd->held[cmd->held_count++] = ref_r->owner;
	return true;
}

const char *mailbox_ref_other_name(struct arena *arena, const char *owner, const char *name)
{
	if (mailbox_ref_is_public(owner))
		return name == NULL ? MAILBOX_REF_PUBLIC
				    : arena_printf(arena, MAILBOX_REF_PUBLIC_PREFIX "%s", name);
	if (name == NULL)
		return arena_printf(arena, MAILBOX_REF_OTHERS_PREFIX "%s", owner);
	return arena_printf(arena, MAILBOX_REF_OTHERS_PREFIX "%s/%s", owner, name);
}

const char *mailbox_ref_full_name(struct imap_cmd *cmd, const struct mailbox_ref *ref,
				  const char *name)
{
	if (!ref->other)
		return name;
	return mailbox_ref_other_name(cmd->arena, ref->owner_name, name);
}
