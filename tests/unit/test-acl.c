/* RFC 4314 rights (store/acl.h): letters both ways, the obsolete c and d,
 * identifiers, and a user's and an owner's rights from a list, with
 * "anyone", "authenticated" and negative entries. */
#include <string.h>

#include "store/acl.h"
#include "unit.h"

static acl_rights parse(const char *letters)
{
	acl_rights r = 0xffff;

	CHECK(acl_rights_parse(letters, &r));
	return r;
}

static void letters(void)
{
	char out[ACL_RIGHTS_STR_MAX];

	CHECK_INT(parse(""), 0);
	CHECK_INT(parse("lrswipkxtea"), ACL_ALL);
	CHECK_INT(parse("l"), ACL_LOOKUP);
	CHECK_INT(parse("ll"), ACL_LOOKUP);
	CHECK_INT(parse("ae"), ACL_ADMIN | ACL_EXPUNGE);
	/* RFC 4314 §2.1.1: c is k and x, d is t and e. */
	CHECK_INT(parse("c"), ACL_CREATE | ACL_DELETE_MAILBOX);
	CHECK_INT(parse("d"), ACL_DELETE_MESSAGES | ACL_EXPUNGE);
	CHECK_INT(parse("lrswipcda"), ACL_ALL);

	acl_rights r = 7;

	CHECK(!acl_rights_parse("lrx!", &r));
	CHECK(!acl_rights_parse("L", &r));
	CHECK(!acl_rights_parse(" l", &r));
	CHECK(!acl_rights_parse("+l", &r));   /* SETACL's +/- are the caller's */
	CHECK(!acl_rights_parse("z", &r));
	CHECK_INT(r, 7);                      /* untouched on failure */

	CHECK_STR(acl_rights_format(0, out), "");
	CHECK_STR(acl_rights_format(ACL_ALL, out), "lrswipkxteacd");
	CHECK_INT(strlen(out) + 1, ACL_RIGHTS_STR_MAX);
	CHECK_STR(acl_rights_format(parse("arl"), out), "lra");
	CHECK_STR(acl_rights_format(ACL_CREATE, out), "kc");
	CHECK_STR(acl_rights_format(ACL_DELETE_MAILBOX, out), "xc");
	CHECK_STR(acl_rights_format(ACL_EXPUNGE, out), "ed");
	CHECK_STR(acl_rights_format(ACL_DELETE_MESSAGES | ACL_POST, out), "ptd");
	CHECK_STR(acl_rights_store_format(ACL_ALL, out), "lrswipkxtea");
	CHECK_STR(acl_rights_store_format(parse("cd"), out), "kxte");
	/* Every set of rights survives the stored form; the shown form reads
	 * back with c and d standing for both of their rights (as RFC 2086
	 * clients take them). */
	for (unsigned int r2 = 0; r2 <= ACL_ALL; r2++) {
		acl_rights back = 0, want = (acl_rights)r2;

		if (r2 & (ACL_CREATE | ACL_DELETE_MAILBOX))
			want |= ACL_CREATE | ACL_DELETE_MAILBOX;
		if (r2 & (ACL_DELETE_MESSAGES | ACL_EXPUNGE))
			want |= ACL_DELETE_MESSAGES | ACL_EXPUNGE;
		CHECK(acl_rights_parse(acl_rights_format((acl_rights)r2, out), &back) &&
		      back == want);
		CHECK(acl_rights_parse(acl_rights_store_format((acl_rights)r2, out), &back) &&
		      back == r2);
	}
}

static void identifiers(void)
{
	char long_name[ACL_IDENTIFIER_MAX + 1];

	CHECK(acl_identifier_valid("alice"));
	CHECK(acl_identifier_valid("-alice"));
	CHECK(acl_identifier_valid("anyone"));
	CHECK(acl_identifier_valid("-authenticated"));
	CHECK(acl_identifier_valid("bob@example.org"));
	CHECK(!acl_identifier_valid(""));
	CHECK(!acl_identifier_valid("-"));
	CHECK(!acl_identifier_valid("--alice"));
	CHECK(!acl_identifier_valid("al ice"));
	CHECK(!acl_identifier_valid("al\tice"));
	CHECK(!acl_identifier_valid("al\x7f" "ice"));
	CHECK(acl_identifier_negative("-bob"));
	CHECK(!acl_identifier_negative("bob"));
	memset(long_name, 'a', sizeof(long_name));
	long_name[ACL_IDENTIFIER_MAX - 2] = '\0';
	CHECK(acl_identifier_valid(long_name));          /* 256: passdb's longest */
	long_name[0] = '-';
	CHECK(acl_identifier_valid(long_name));
	long_name[0] = 'a';
	long_name[ACL_IDENTIFIER_MAX - 2] = 'a';
	long_name[ACL_IDENTIFIER_MAX - 1] = '\0';
	CHECK(!acl_identifier_valid(long_name));
}

static struct acl_entry entry(const char *identifier, const char *letters)
{
	struct acl_entry e;

	memset(&e, 0, sizeof(e));
	strcpy(e.identifier, identifier);
	e.rights = parse(letters);
	return e;
}

static void evaluation(void)
{
	/* Positive entries add up, negative ones take away (RFC 4314 §2). */
	struct acl_entry list[] = {
		entry("anyone", "lr"),
		entry("bob", "lrswi"),
		entry("-bob", "w"),
		entry("authenticated", "p"),
		entry("-carol", "lr"),
		entry("dave", "lrswipkxtea"),
	};
	unsigned int n = sizeof(list) / sizeof(list[0]);

	CHECK_INT(acl_rights_of(list, n, "bob"), parse("lrsip"));
	CHECK_INT(acl_rights_of(list, n, "carol"), parse("p"));
	CHECK_INT(acl_rights_of(list, n, "dave"), ACL_ALL);
	CHECK_INT(acl_rights_of(list, n, "erin"), parse("lrp"));
	CHECK_INT(acl_rights_of(list, n, "Bob"), parse("lrp"));   /* names match exactly */
	CHECK_INT(acl_rights_of(list, n, "bo"), parse("lrp"));
	CHECK_INT(acl_rights_of(list, 0, "bob"), 0);

	struct acl_entry no_one[] = { entry("-anyone", "r"), entry("anyone", "lrs") };

	CHECK_INT(acl_rights_of(no_one, 2, "bob"), parse("ls"));

	/* Someone not authenticated (an LMTP sender): anyone's entries only,
	 * not authenticated's nor a user's, negative ones taken away. */
	CHECK_INT(acl_rights_of_anyone(list, n), parse("lr"));
	CHECK_INT(acl_rights_of_anyone(no_one, 2), parse("ls"));
	struct acl_entry users_only[] = { entry("authenticated", "lrp"), entry("anyone", "l"),
					  entry("bob", "p") };

	CHECK_INT(acl_rights_of_anyone(users_only, 3), parse("l"));
	CHECK_INT(acl_rights_of_anyone(users_only, 0), 0);
}

int main(void)
{
	letters();
	identifiers();
	evaluation();
	printf("unit acl: %u passed, %u failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
