/* Access control lists (RFC 4314): what the rights are, how a list of
 * (identifier, rights) entries is written and read, and how a user's
 * rights on a mailbox follow from its list. Above the backends: a backend
 * keeps a mailbox's entries as rows (store.h "ACL"); this file knows what
 * they mean, so every backend answers the same.
 *
 * Identifiers: a user name, "anyone" (every user, RFC 4314 §2), or
 * "authenticated" (every logged-in user: in petrel, every user); each
 * with a leading '-' for negative rights (§2: rights taken away from
 * whatever the positive entries grant). */
#ifndef PETREL_STORE_ACL_H
#define PETREL_STORE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 4314 §2.1, one bit each. */
enum acl_right {
	ACL_LOOKUP = 1 << 0,           /* l: the mailbox is visible (LIST, ...) */
	ACL_READ = 1 << 1,             /* r: SELECT, FETCH, SEARCH, COPY from */
	ACL_SEEN = 1 << 2,             /* s: keep \Seen */
	ACL_WRITE = 1 << 3,            /* w: flags other than \Seen and \Deleted */
	ACL_INSERT = 1 << 4,           /* i: APPEND, COPY/MOVE into */
	ACL_POST = 1 << 5,             /* p: deliver into (LMTP to a shared mailbox) */
	ACL_CREATE = 1 << 6,           /* k: CREATE children, RENAME into */
	ACL_DELETE_MAILBOX = 1 << 7,   /* x: DELETE, RENAME away */
	ACL_DELETE_MESSAGES = 1 << 8,  /* t: set or clear \Deleted */
	ACL_EXPUNGE = 1 << 9,          /* e: EXPUNGE, MOVE out */
	ACL_ADMIN = 1 << 10,           /* a: SETACL, DELETEACL, GETACL, LISTRIGHTS */
};
typedef uint16_t acl_rights;

#define ACL_ALL ((acl_rights)0x7ff)
/* The letters in canonical order, then "c" and "d" (below): the longest
 * string acl_rights_format() writes, with its NUL. */
#define ACL_RIGHTS_STR_MAX 14

/* Identifiers are user names (passdb's bound) or the special ones, each
 * with an optional '-'; the longest with its NUL. */
#define ACL_IDENTIFIER_MAX 258
/* Entries of one mailbox's list: a SETACL past this is refused. */
#define ACL_ENTRIES_MAX 100

/* The rights a letter string names: each of "lrswipkxtea", and the
 * obsolete "c" (k and x) and "d" (t and e) of RFC 2086, which RFC 4314
 * §2.1.1 says to take as the rights they were split into (as Dovecot
 * does). Letters may repeat. False on any other character. */
bool acl_rights_parse(const char *letters, acl_rights *rights_r);

/* The canonical letters of rights into out (at least ACL_RIGHTS_STR_MAX
 * bytes), "lrswipkxtea" order, followed by "c" when k or x is there and
 * "d" when t or e is (RFC 4314 §2.1.1: so that RFC 2086 clients see the
 * rights they know); "" for none. Returns out. */
char *acl_rights_format(acl_rights rights, char *out);

/* The letters stored in an entry: as acl_rights_format() without "c" and
 * "d" (so the stored form is one string per set of rights). */
char *acl_rights_store_format(acl_rights rights, char *out);

/* "anyone", "authenticated", or a user name (bounded, printable, no
 * leading '-'), each with an optional leading '-'. */
bool acl_identifier_valid(const char *identifier);
/* The identifier names rights taken away (leading '-'). */
bool acl_identifier_negative(const char *identifier);

/* One entry of a mailbox's list. */
struct acl_entry {
	char identifier[ACL_IDENTIFIER_MAX];
	acl_rights rights;
};

/* user's rights from a mailbox's entries: the union of the positive
 * entries that name user, "anyone" or "authenticated", less the union of
 * the negative entries that do (RFC 4314 §2). A user name is matched
 * exactly. */
acl_rights acl_rights_of(const struct acl_entry *entries, unsigned int count, const char *user);
/* The rights of someone not authenticated (an LMTP sender): the entries
 * of "anyone" alone, positive less negative. */
acl_rights acl_rights_of_anyone(const struct acl_entry *entries, unsigned int count);

/* The owner of a mailbox has every right on it, whatever its list says
 * (Cyrus gives owners l and a implicitly; petrel gives all): an owner can
 * never lock themselves out, and their own commands need no lookup. An
 * entry naming the owner is kept and shown, and changes nothing. */
#define ACL_OWNER_RIGHTS ACL_ALL

#endif
