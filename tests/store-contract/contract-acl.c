/* ACL (store.h "ACL"): a mailbox's entries in identifier order, replace,
 * add and remove in one transaction each (two handles adding rights lose
 * none), an entry with no rights gone, negative identifiers apart, the
 * bound on entries, invalid identifiers and rights refused, a missing
 * mailbox NOT_FOUND, a new child inheriting its parent's entries, entries
 * kept by RENAME and a reopen, dropped by DELETE. */
#include <stdlib.h>

#include "contract.h"
#include "store/store-users.h"

#define USER "acl"

/* The entries as "identifier=letters ..." ("error NAME" on failure). */
static char *got(struct store *st, const char *mailbox)
{
	static char buf[8192];
	struct acl_entry *entries = NULL;
	unsigned int n = 0;
	size_t len = 0;
	enum store_result r = store_acl_get(st, mailbox, &entries, &n);

	if (r != STORE_OK) {
		snprintf(buf, sizeof(buf), "error %s", store_result_name(r));
		return buf;
	}
	buf[0] = '\0';
	for (unsigned int i = 0; i < n && len < sizeof(buf) - 1; i++) {
		char letters[ACL_RIGHTS_STR_MAX];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=%s", i ? " " : "",
					entries[i].identifier,
					acl_rights_store_format(entries[i].rights, letters));
	}
	free(entries);
	return buf;
}

#define GOT_IS(st, box, want) do { \
	const char *g_ = got(st, box); \
	if (strcmp(g_, want) == 0) { ct_passed++; } \
	else { ct_fail(__FILE__, __LINE__, g_, 0, 0); fprintf(stderr, "    want %s\n", want); } \
} while (0)

static acl_rights rights(const char *letters)
{
	acl_rights r = 0;

	CT_CHECK(acl_rights_parse(letters, &r));
	return r;
}

static void test_entries(struct store *st)
{
	acl_rights now = 0xffff;

	CT_CHECK_INT(store_mailbox_create(st, "Team", 0), STORE_OK);
	GOT_IS(st, "Team", "");
	CT_CHECK_INT(store_acl_update(st, "Team", "bob", STORE_ACL_REPLACE, rights("lrs"), &now),
		     STORE_OK);
	CT_CHECK_INT(now, rights("lrs"));
	CT_CHECK_INT(store_acl_update(st, "Team", "anyone", STORE_ACL_REPLACE, rights("l"), NULL),
		     STORE_OK);
	CT_CHECK_INT(store_acl_update(st, "Team", "-bob", STORE_ACL_REPLACE, rights("s"), NULL),
		     STORE_OK);
	GOT_IS(st, "Team", "-bob=s anyone=l bob=lrs");
	CT_CHECK_INT(store_acl_update(st, "Team", "bob", STORE_ACL_ADD, rights("wi"), &now),
		     STORE_OK);
	CT_CHECK_INT(now, rights("lrswi"));
	CT_CHECK_INT(store_acl_update(st, "Team", "bob", STORE_ACL_REMOVE, rights("rx"), &now),
		     STORE_OK);
	CT_CHECK_INT(now, rights("lswi"));
	GOT_IS(st, "Team", "-bob=s anyone=l bob=lswi");
	/* Replace is whole; c and d stored as what they stand for. */
	CT_CHECK_INT(store_acl_update(st, "Team", "bob", STORE_ACL_REPLACE, rights("cd"), NULL),
		     STORE_OK);
	GOT_IS(st, "Team", "-bob=s anyone=l bob=kxte");
	/* No rights left: no entry; removing from none changes nothing. */
	CT_CHECK_INT(store_acl_update(st, "Team", "-bob", STORE_ACL_REMOVE, rights("s"), &now),
		     STORE_OK);
	CT_CHECK_INT(now, 0);
	CT_CHECK_INT(store_acl_update(st, "Team", "anyone", STORE_ACL_REPLACE, 0, NULL), STORE_OK);
	CT_CHECK_INT(store_acl_update(st, "Team", "carol", STORE_ACL_REMOVE, rights("l"), &now),
		     STORE_OK);
	CT_CHECK_INT(now, 0);
	GOT_IS(st, "Team", "bob=kxte");
	/* Mailboxes apart. */
	GOT_IS(st, "INBOX", "");
	CT_CHECK_INT(store_acl_update(st, "INBOX", "carol", STORE_ACL_ADD, rights("lr"), NULL),
		     STORE_OK);
	GOT_IS(st, "INBOX", "carol=lr");
	GOT_IS(st, "Team", "bob=kxte");
}

static void test_refusals(struct store *st)
{
	CT_CHECK_INT(store_acl_update(st, "Nowhere", "bob", STORE_ACL_ADD, rights("l"), NULL),
		     STORE_NOT_FOUND);
	GOT_IS(st, "Nowhere", "error not found");
	CT_CHECK_INT(store_acl_update(st, "Team", "", STORE_ACL_ADD, rights("l"), NULL),
		     STORE_INVALID);
	CT_CHECK_INT(store_acl_update(st, "Team", "-", STORE_ACL_ADD, rights("l"), NULL),
		     STORE_INVALID);
	CT_CHECK_INT(store_acl_update(st, "Team", "b ob", STORE_ACL_ADD, rights("l"), NULL),
		     STORE_INVALID);
	CT_CHECK_INT(store_acl_update(st, "Team", "bob", STORE_ACL_ADD, 0x800, NULL),
		     STORE_INVALID);
	GOT_IS(st, "Team", "bob=kxte");

	/* The bound: ACL_ENTRIES_MAX entries; one more is refused, a change
	 * of an existing one is not, and one gone makes room. */
	char id[32];

	for (unsigned int i = 1; i < ACL_ENTRIES_MAX; i++) {
		snprintf(id, sizeof(id), "user%03u", i);
		CT_CHECK_INT(store_acl_update(st, "Team", id, STORE_ACL_ADD, ACL_LOOKUP, NULL),
			     STORE_OK);
	}
	CT_CHECK_INT(store_acl_update(st, "Team", "one-more", STORE_ACL_ADD, ACL_LOOKUP, NULL),
		     STORE_LIMIT);
	CT_CHECK_INT(store_acl_update(st, "Team", "user001", STORE_ACL_ADD, ACL_READ, NULL),
		     STORE_OK);
	CT_CHECK_INT(store_acl_update(st, "Team", "user002", STORE_ACL_REPLACE, 0, NULL),
		     STORE_OK);
	CT_CHECK_INT(store_acl_update(st, "Team", "one-more", STORE_ACL_ADD, ACL_LOOKUP, NULL),
		     STORE_OK);
	struct acl_entry *entries = NULL;
	unsigned int n = 0;

	CT_CHECK_INT(store_acl_get(st, "Team", &entries, &n), STORE_OK);
	CT_CHECK_INT(n, ACL_ENTRIES_MAX);
	free(entries);
	for (unsigned int i = 1; i < ACL_ENTRIES_MAX; i++) {
		snprintf(id, sizeof(id), "user%03u", i);
		CT_CHECK_INT(store_acl_update(st, "Team", id, STORE_ACL_REPLACE, 0, NULL),
			     STORE_OK);
	}
	CT_CHECK_INT(store_acl_update(st, "Team", "one-more", STORE_ACL_REPLACE, 0, NULL),
		     STORE_OK);
	GOT_IS(st, "Team", "bob=kxte");
}

static void test_lifetime(void)
{
	struct store *st = ct_open(USER), *other = ct_open(USER);

	if (st == NULL || other == NULL) {
		store_close(&st);
		store_close(&other);
		return;
	}
	/* Two handles (two processes) adding rights in turn lose none. */
	for (unsigned int i = 0; i < 11; i++) {
		acl_rights one = (acl_rights)(1u << i);

		CT_CHECK_INT(store_acl_update(i % 2 ? other : st, "Team", "dave", STORE_ACL_ADD, one,
					      NULL), STORE_OK);
	}
	GOT_IS(st, "Team", "bob=kxte dave=lrswipkxtea");
	store_close(&other);
	/* A new child starts with its parent's entries; RENAME keeps the
	 * entries, with the children's own. */
	CT_CHECK_INT(store_mailbox_create(st, "Team/Sub", 0), STORE_OK);
	GOT_IS(st, "Team/Sub", "bob=kxte dave=lrswipkxtea");
	CT_CHECK_INT(store_acl_update(st, "Team/Sub", "dave", STORE_ACL_REPLACE, 0, NULL),
		     STORE_OK);
	CT_CHECK_INT(store_acl_update(st, "Team/Sub", "erin", STORE_ACL_ADD, ACL_LOOKUP, NULL),
		     STORE_OK);
	CT_CHECK_INT(store_mailbox_rename(st, "Team", "Crew"), STORE_OK);
	GOT_IS(st, "Crew", "bob=kxte dave=lrswipkxtea");
	GOT_IS(st, "Crew/Sub", "bob=kxte erin=l");
	GOT_IS(st, "Team", "error not found");
	store_close(&st);
	st = ct_open(USER);
	if (st == NULL)
		return;
	GOT_IS(st, "Crew", "bob=kxte dave=lrswipkxtea");
	/* DELETE drops them: a new mailbox of the same name starts with
	 * its parent's, a new top-level one empty. */
	CT_CHECK_INT(store_mailbox_delete(st, "Crew/Sub"), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "Crew/Sub", 0), STORE_OK);
	GOT_IS(st, "Crew/Sub", "bob=kxte dave=lrswipkxtea");
	CT_CHECK_INT(store_mailbox_delete(st, "Crew/Sub"), STORE_OK);
	CT_CHECK_INT(store_mailbox_delete(st, "Crew"), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "Crew", 0), STORE_OK);
	GOT_IS(st, "Crew", "");
	ct_check_clean(st);
	store_close(&st);
}

/* The owners sharing with a user, as "a b". */
static void add_owner(const char *owner, void *ctx)
{
	char *buf = ctx;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s%s", len ? " " : "", owner);
}

#define SHARING_IS(user, want) do { \
	char buf_[512] = ""; \
	CT_CHECK_INT(store_users_sharing_with(ct_store_env(), user, add_owner, buf_), STORE_OK); \
	if (strcmp(buf_, want) == 0) { ct_passed++; } \
	else { ct_fail(__FILE__, __LINE__, buf_, 0, 0); fprintf(stderr, "    want %s\n", want); } \
} while (0)

/* The index of who shares with whom follows the entries: a user with
 * rights anywhere in an owner's store finds the owner, by name or through
 * anyone/authenticated; negative entries and entries without rights share
 * nothing; the last entry gone (by update or by DELETE of its mailbox)
 * takes the owner away. */
static void test_shares(void)
{
	struct store *ann = ct_open("share-ann"), *ben = ct_open("share-ben");

	if (ann == NULL || ben == NULL) {
		store_close(&ann);
		store_close(&ben);
		return;
	}
	SHARING_IS("share-cat", "");
	CT_CHECK_INT(store_mailbox_create(ann, "A1", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(ann, "A2", 0), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(ben, "B1", 0), STORE_OK);
	CT_CHECK_INT(store_acl_update(ann, "A1", "share-cat", STORE_ACL_ADD, ACL_LOOKUP, NULL),
		     STORE_OK);
	CT_CHECK_INT(store_acl_update(ann, "A2", "share-cat", STORE_ACL_ADD, ACL_LOOKUP, NULL),
		     STORE_OK);
	CT_CHECK_INT(store_acl_update(ben, "B1", "-share-cat", STORE_ACL_ADD, ACL_READ, NULL),
		     STORE_OK);
	SHARING_IS("share-cat", "share-ann");
	SHARING_IS("share-dan", "");
	CT_CHECK_INT(store_acl_update(ben, "B1", "anyone", STORE_ACL_ADD, ACL_LOOKUP, NULL),
		     STORE_OK);
	SHARING_IS("share-cat", "share-ann share-ben");
	SHARING_IS("share-dan", "share-ben");
	SHARING_IS("share-ben", "");                 /* never themselves */
	/* Entries without rights are no entries; one of two gone keeps the share. */
	CT_CHECK_INT(store_acl_update(ann, "A1", "share-cat", STORE_ACL_REMOVE, ACL_LOOKUP, NULL),
		     STORE_OK);
	SHARING_IS("share-cat", "share-ann share-ben");
	CT_CHECK_INT(store_acl_update(ben, "B1", "anyone", STORE_ACL_REPLACE, 0, NULL), STORE_OK);
	SHARING_IS("share-dan", "");
	SHARING_IS("share-cat", "share-ann");
	/* DELETE of the mailbox holding the last entry: a row too many at
	 * most (harmless, store.h), and gone with the next update. */
	CT_CHECK_INT(store_mailbox_delete(ann, "A2"), STORE_OK);
	CT_CHECK_INT(store_acl_update(ann, "A1", "share-cat", STORE_ACL_REMOVE, ACL_LOOKUP, NULL),
		     STORE_OK);
	SHARING_IS("share-cat", "");
	store_close(&ann);
	store_close(&ben);
}

void contract_acl(void)
{
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	test_entries(st);
	test_refusals(st);
	ct_check_clean(st);
	store_close(&st);
	test_lifetime();
	test_shares();
}
