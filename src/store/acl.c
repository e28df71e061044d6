/* RFC 4314 rights: letters, identifiers, and a user's rights from a list
 * (acl.h). */
#include "store/acl.h"

#include <string.h>

static const char acl_letters[] = "lrswipkxtea";   /* bit i is acl_letters[i] */

bool acl_rights_parse(const char *letters, acl_rights *rights_r)
{
	acl_rights rights = 0;

	for (const char *p = letters; *p != '\0'; p++) {
		const char *at = strchr(acl_letters, *p);

		if (at != NULL)
			rights |= (acl_rights)(1u << (at - acl_letters));
		else if (*p == 'c')
			rights |= ACL_CREATE | ACL_DELETE_MAILBOX;
		else if (*p == 'd')
			rights |= ACL_DELETE_MESSAGES | ACL_EXPUNGE;
		else
			return false;
	}
	*rights_r = rights;
	return true;
}

char *acl_rights_store_format(acl_rights rights, char *out)
{
	size_t n = 0;

	for (unsigned int i = 0; acl_letters[i] != '\0'; i++) {
		if (rights & (1u << i))
			out[n++] = acl_letters[i];
	}
	out[n] = '\0';
	return out;
}

char *acl_rights_format(acl_rights rights, char *out)
{
	size_t n = strlen(acl_rights_store_format(rights, out));

	if (rights & (ACL_CREATE | ACL_DELETE_MAILBOX))
		out[n++] = 'c';
	if (rights & (ACL_DELETE_MESSAGES | ACL_EXPUNGE))
		out[n++] = 'd';
	out[n] = '\0';
	return out;
}

bool acl_identifier_negative(const char *identifier)
{
	return identifier[0] == '-';
}

bool acl_identifier_valid(const char *identifier)
{
	const char *name = identifier + acl_identifier_negative(identifier);
	size_t len = strlen(name);

	if (len == 0 || len >= ACL_IDENTIFIER_MAX - 1 || name[0] == '-')
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
			return false;
	}
	return true;
}

/* The entry names user: by name, or as everyone. */
static bool acl_entry_names(const struct acl_entry *e, const char *user)
{
	const char *name = e->identifier + acl_identifier_negative(e->identifier);

	return strcmp(name, "anyone") == 0 || strcmp(name, "authenticated") == 0 ||
	       strcmp(name, user) == 0;
}

acl_rights acl_rights_of(const struct acl_entry *entries, unsigned int count, const char *user)
{
	acl_rights granted = 0, denied = 0;

	for (unsigned int i = 0; i < count; i++) {
		if (!acl_entry_names(&entries[i], user))
			continue;
		if (acl_identifier_negative(entries[i].identifier))
			denied |= entries[i].rights;
		else
			granted |= entries[i].rights;
	}
	return granted & (acl_rights)~denied;
}

acl_rights acl_rights_of_anyone(const struct acl_entry *entries, unsigned int count)
{
	acl_rights granted = 0, denied = 0;

	for (unsigned int i = 0; i < count; i++) {
		bool negative = acl_identifier_negative(entries[i].identifier);

		if (strcmp(entries[i].identifier + negative, "anyone") != 0)
			continue;
		if (negative)
			denied |= entries[i].rights;
		else
			granted |= entries[i].rights;
	}
	return granted & (acl_rights)~denied;
}
