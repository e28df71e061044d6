/* METADATA (store.h "METADATA"): entries of a mailbox and of the server,
 * /shared and /private apart (per user), names folded to lower case, a
 * name asked for and missing given as NULL, depth 0, 1 and infinity,
 * binary values, all-or-nothing sets within the bounds, entries kept by
 * RENAME and dropped by DELETE, invalid names refused. */
#include <stdlib.h>

#include "contract.h"

#define USER "metadata"

static struct store_metadata_entry e(const char *name, const char *value)
{
	return (struct store_metadata_entry){
		.name = (char *)name, .value = (unsigned char *)value,
		.len = value != NULL ? strlen(value) : 0,
	};
}

/* The entries get() gives, as "name=value name=- ..." (- for NULL). */
static char *got(struct store *st, const char *mailbox, const char *user,
		 const char *const *names, unsigned int count, enum store_metadata_depth depth)
{
	struct store_metadata_entry *out = NULL;
	unsigned int n = 0;
	static char buf[4096];
	size_t len = 0;
	enum store_result r = store_metadata_get(st, mailbox, user, names, count, depth, &out, &n);

	if (r != STORE_OK) {
		snprintf(buf, sizeof(buf), "error %s", store_result_name(r));
		return buf;
	}
	buf[0] = '\0';
	for (unsigned int i = 0; i < n && len < sizeof(buf) - 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=%.*s", i ? " " : "",
					out[i].name, out[i].value ? (int)out[i].len : 1,
					out[i].value ? (const char *)out[i].value : "-");
	store_metadata_free(out, n);
	return buf;
}

#define GOT_IS(st, box, user, depth, want, ...) do { \
	const char *names_[] = { __VA_ARGS__ }; \
	const char *g_ = got(st, box, user, names_, sizeof(names_) / sizeof(names_[0]), depth); \
	if (strcmp(g_, want) == 0) { ct_passed++; } \
	else { ct_fail(__FILE__, __LINE__, g_, 0, 0); fprintf(stderr, "    want %s\n", want); } \
} while (0)

static void test_entries(struct store *st)
{
	struct store_metadata_entry set[] = {
		e("/shared/comment", "shared note"), e("/Private/Comment", "my note"),
		e("/shared/vendor/x/a", "1"), e("/shared/vendor/x/a/b", "2"),
		e("/shared/vendor/x/a/b/c", "3"), e("/shared/vendor/x/ab", "sibling"),
	};

	CT_CHECK_INT(store_mailbox_create(st, "Notes", 0), STORE_OK);
	CT_CHECK_INT(store_metadata_set(st, "Notes", USER, set, 6), STORE_OK);
	GOT_IS(st, "Notes", USER, STORE_METADATA_DEPTH_0,
	       "/shared/comment=shared note /private/comment=my note /shared/missing=-",
	       "/SHARED/Comment", "/private/comment", "/shared/missing");
	/* /private is per user; /shared is everyone's. */
	GOT_IS(st, "Notes", "someone-else", STORE_METADATA_DEPTH_0,
	       "/private/comment=- /shared/comment=shared note",
	       "/private/comment", "/shared/comment");
	GOT_IS(st, "Notes", USER, STORE_METADATA_DEPTH_1,
	       "/shared/vendor/x/a=1 /shared/vendor/x/a/b=2", "/shared/vendor/x/a");
	GOT_IS(st, "Notes", USER, STORE_METADATA_DEPTH_INFINITY,
	       "/shared/vendor/x/a=1 /shared/vendor/x/a/b=2 /shared/vendor/x/a/b/c=3",
	       "/shared/vendor/x/a");
	GOT_IS(st, "Notes", USER, STORE_METADATA_DEPTH_1,
	       "/shared/vendor/x=- /shared/vendor/x/a=1 /shared/vendor/x/ab=sibling",
	       "/shared/vendor/x");
	/* The server's entries are apart from every mailbox's. */
	struct store_metadata_entry server = e("/private/vendor/x/theme", "dark");
	CT_CHECK_INT(store_metadata_set(st, NULL, USER, &server, 1), STORE_OK);
	GOT_IS(st, NULL, USER, STORE_METADATA_DEPTH_0,
	       "/private/vendor/x/theme=dark /shared/comment=-",
	       "/private/vendor/x/theme", "/shared/comment");
	GOT_IS(st, "Notes", USER, STORE_METADATA_DEPTH_0, "/private/vendor/x/theme=-",
	       "/private/vendor/x/theme");

	/* Binary values, an empty one, and removal (value NULL). */
	struct store_metadata_entry bin = { .name = "/shared/vendor/x/bin",
					    .value = (unsigned char *)"\0\1\377", .len = 3 };
	CT_CHECK_INT(store_metadata_set(st, "Notes", USER, &bin, 1), STORE_OK);
	const char *bin_name = "/shared/vendor/x/bin";
	struct store_metadata_entry *out = NULL;
	unsigned int n = 0;
	CT_CHECK_INT(store_metadata_get(st, "Notes", USER, &bin_name, 1, STORE_METADATA_DEPTH_0,
					&out, &n), STORE_OK);
	CT_CHECK(n == 1 && out[0].len == 3 && memcmp(out[0].value, "\0\1\377", 3) == 0);
	store_metadata_free(out, n);
	struct store_metadata_entry clear[] = { e("/shared/vendor/x/bin", NULL),
						e("/private/comment", ""),
						e("/shared/never-there", NULL) };
	CT_CHECK_INT(store_metadata_set(st, "Notes", USER, clear, 3), STORE_OK);
	GOT_IS(st, "Notes", USER, STORE_METADATA_DEPTH_0,
	       "/shared/vendor/x/bin=- /private/comment=", "/shared/vendor/x/bin",
	       "/private/comment");

	/* RENAME keeps them; DELETE drops them (a new mailbox of the name
	 * starts with none). */
	CT_CHECK_INT(store_mailbox_rename(st, "Notes", "Kept"), STORE_OK);
	GOT_IS(st, "Kept", USER, STORE_METADATA_DEPTH_0, "/shared/comment=shared note",
	       "/shared/comment");
	CT_CHECK_INT(store_mailbox_delete(st, "Kept"), STORE_OK);
	CT_CHECK_INT(store_mailbox_create(st, "Kept", 0), STORE_OK);
	GOT_IS(st, "Kept", USER, STORE_METADATA_DEPTH_INFINITY, "/shared/comment=-",
	       "/shared/comment");
	/* A parent deleted with children stays \Noselect, without its entries. */
	CT_CHECK_INT(store_mailbox_create(st, "Kept/Child", 0), STORE_OK);
	struct store_metadata_entry parent = e("/shared/comment", "parent");
	CT_CHECK_INT(store_metadata_set(st, "Kept", USER, &parent, 1), STORE_OK);
	CT_CHECK_INT(store_mailbox_delete(st, "Kept"), STORE_OK);
	GOT_IS(st, "Kept", USER, STORE_METADATA_DEPTH_0, "/shared/comment=-", "/shared/comment");
	GOT_IS(st, "Nope", USER, STORE_METADATA_DEPTH_0, "error not found", "/shared/comment");
	CT_CHECK_INT(store_metadata_set(st, "Nope", USER, &parent, 1), STORE_NOT_FOUND);
}

static void test_names_and_bounds(struct store *st)
{
	static const char *const bad[] = {
		"/foo/bar", "/shared", "/shared/", "/private", "/shared//x", "/shared/x/",
		"/shared/x*", "/shared/x%", "/shared/c\xc3\xb6mment", "comment", "/shared/a b",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CT_CHECK(!store_metadata_name_valid(bad[i], strlen(bad[i])));
		struct store_metadata_entry x = e(bad[i], "v");
		CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, &x, 1), STORE_INVALID);
	}
	char longname[STORE_METADATA_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "/shared/", 8);
	longname[STORE_METADATA_NAME_MAX + 1] = '\0';
	CT_CHECK(!store_metadata_name_valid(longname, strlen(longname)));
	longname[STORE_METADATA_NAME_MAX] = '\0';
	CT_CHECK(store_metadata_name_valid(longname, strlen(longname)));

	/* A value over the bound: nothing of the set is written. */
	char *big = malloc(STORE_METADATA_VALUE_MAX + 2);
	memset(big, 'v', STORE_METADATA_VALUE_MAX + 1);
	big[STORE_METADATA_VALUE_MAX + 1] = '\0';
	struct store_metadata_entry two[] = { e("/shared/vendor/x/first", "1"),
					      e("/shared/vendor/x/big", big) };
	CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, two, 2), STORE_TOO_BIG);
	big[STORE_METADATA_VALUE_MAX] = '\0';
	two[1] = e("/shared/vendor/x/big", big);
	CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, two, 2), STORE_OK);
	two[1] = e("/shared/vendor/x/big", NULL);
	CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, two, 2), STORE_OK);
	free(big);

	/* Too many entries on one mailbox: the set fails whole. */
	static char names[STORE_METADATA_ENTRIES_MAX + 1][40];
	static struct store_metadata_entry many[STORE_METADATA_ENTRIES_MAX + 1];
	for (int i = 0; i <= STORE_METADATA_ENTRIES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "/shared/vendor/many/%d", i);
		many[i] = e(names[i], "x");
	}
	CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, many, STORE_METADATA_ENTRIES_MAX),
		     STORE_LIMIT);    /* with /shared/vendor/x/first already there */
	GOT_IS(st, "INBOX", USER, STORE_METADATA_DEPTH_0, "/shared/vendor/many/0=-",
	       "/shared/vendor/many/0");
	CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, many, STORE_METADATA_ENTRIES_MAX - 1),
		     STORE_OK);
	/* Removing as much as it adds always fits. */
	struct store_metadata_entry swap[] = { e(names[0], NULL), e(names[STORE_METADATA_ENTRIES_MAX], "y") };
	CT_CHECK_INT(store_metadata_set(st, "INBOX", USER, swap, 2), STORE_OK);

	/* Bytes in the whole store: values of 64 KiB on mailbox after mailbox. */
	char *full = malloc(STORE_METADATA_VALUE_MAX + 1);
	memset(full, 'f', STORE_METADATA_VALUE_MAX);
	full[STORE_METADATA_VALUE_MAX] = '\0';
	enum store_result r = STORE_OK;
	unsigned int stored = 0;
	for (unsigned int i = 0; r == STORE_OK && i < 2 * STORE_METADATA_BYTES_MAX /
	     STORE_METADATA_VALUE_MAX; i++) {
		char box[32];
		struct store_metadata_entry one = e("/shared/vendor/x/full", full);

		snprintf(box, sizeof(box), "Full%u", i);
		CT_CHECK_INT(store_mailbox_create(st, box, 0), STORE_OK);
		r = store_metadata_set(st, box, USER, &one, 1);
		stored += r == STORE_OK;
	}
	CT_CHECK_INT(r, STORE_LIMIT);
	CT_CHECK(stored > 0 && stored * STORE_METADATA_VALUE_MAX <= STORE_METADATA_BYTES_MAX);
	free(full);
}

void contract_metadata(void)
{
	struct store *st = ct_open(USER);

	if (st == NULL)
		return;
	test_entries(st);
	test_names_and_bounds(st);
	ct_check_clean(st);
	store_close(&st);
}
