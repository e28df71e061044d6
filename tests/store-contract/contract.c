/* The store contract suite's driver and helpers: picks the backend
 * (--backend NAME, default sqlite; tests/run-all passes
 * $PETREL_STORE_BACKEND), runs every group against it (or those named by
 * --only), each on a user of its own, and ends with "store-contract NAME:
 * N passed, N failed". */
#include <stdlib.h>

#include "contract.h"
#include "core/log.h"

_Atomic unsigned int ct_passed, ct_failed;

static const struct contract_backend *backend;
static void *backend_env;

void ct_fail(const char *file, int line, const char *what, long long got, long long want)
{
	ct_failed++;
	if (got == 0 && want == 0)
		printf("FAIL %s:%d: %s\n", file, line, what);
	else
		printf("FAIL %s:%d: %s: got %lld want %lld\n", file, line, what, got, want);
	fflush(stdout);
}

struct store *ct_open(const char *user)
{
	struct store *st = NULL;

	CT_CHECK_INT(backend->open(backend_env, user, &st), STORE_OK);
	return st;
}

const struct store_env *ct_store_env(void)
{
	return backend->store_env(backend_env);
}

void ct_index(const char *user)
{
	if (backend->index != NULL)
		CT_CHECK_INT(backend->index(backend_env, user), STORE_OK);
}

struct store_blob *ct_blob(struct store *st, const char *body)
{
	struct store_blob *b = NULL;
	size_t len = strlen(body);
	enum store_result r = store_blob_begin(st, len, &b);

	if (r == STORE_OK)
		r = store_blob_write(b, body, len);
	if (r == STORE_OK)
		r = store_blob_finish(b);
	CT_CHECK_INT(r, STORE_OK);
	if (r != STORE_OK)
		store_blob_free(&b);
	return b;
}

uint32_t ct_append_kw(struct store *st, const char *mailbox, const char *body, uint32_t flags,
		      const char *const *kw, unsigned int kw_count)
{
	struct store_append a = {
		.blob = ct_blob(st, body), .flags = flags, .keywords = kw,
		.keyword_count = kw_count, .internaldate = 1700000000,
	};
	uint32_t uidv = 0, uid = 0;
	enum store_result r = a.blob == NULL ? STORE_ERROR :
		store_messages_append(st, mailbox, &a, 1, &uidv, &uid);

	CT_CHECK_INT(r, STORE_OK);
	store_blob_free(&a.blob);
	return r == STORE_OK ? uid : 0;
}

uint32_t ct_append(struct store *st, const char *mailbox, const char *body)
{
	return ct_append_kw(st, mailbox, body, 0, NULL, 0);
}

struct store_mailbox_status ct_status(struct store *st, const char *mailbox)
{
	struct store_mailbox_status s;

	memset(&s, 0, sizeof(s));
	if (store_mailbox_status(st, mailbox, &s) != STORE_OK) {
		CT_CHECK(!"store_mailbox_status");
		memset(&s, 0, sizeof(s));
	}
	return s;
}

uint32_t ct_uidv(struct store *st, const char *mailbox)
{
	return ct_status(st, mailbox).uidvalidity;
}

void ct_flags(struct store *st, const char *mailbox, uint32_t uid, enum store_flag_op op,
	      uint32_t flags)
{
	struct store_flag_change fc = { .op = op, .flags = flags };
	uint32_t *modified = NULL, modified_count = 0;

	CT_CHECK_INT(store_messages_set_flags(st, mailbox, ct_uidv(st, mailbox), &uid, 1, &fc,
					      &modified, &modified_count), STORE_OK);
	CT_CHECK_INT(modified_count, 0);
	free(modified);
}

uint32_t ct_expunge(struct store *st, const char *mailbox, const uint32_t *uids, uint32_t count)
{
	uint32_t *gone = NULL, gone_count = 0;

	for (uint32_t i = 0; i < count; i++)
		ct_flags(st, mailbox, uids[i], STORE_FLAGS_ADD, STORE_FLAG_DELETED);
	CT_CHECK_INT(store_messages_expunge(st, mailbox, ct_uidv(st, mailbox), uids, count,
					    &gone, &gone_count), STORE_OK);
	free(gone);
	return gone_count;
}

uint64_t ct_modseq_of(struct store *st, const char *mailbox, uint32_t uid)
{
	struct store_snapshot snap;
	uint64_t modseq = 0;

	if (store_mailbox_snapshot(st, mailbox, false, &snap) != STORE_OK)
		return 0;
	for (uint32_t i = 0; i < snap.count; i++) {
		if (snap.messages[i].uid == uid)
			modseq = snap.messages[i].modseq;
	}
	store_snapshot_free(&snap);
	return modseq;
}

struct problems {
	unsigned int count;
};

static void report_problem(const char *problem, void *ctx)
{
	struct problems *p = ctx;

	if (p->count++ < 3)
		printf("  store_check: %s\n", problem);
}

void ct_check_clean(struct store *st)
{
	struct problems p = { 0 };

	CT_CHECK_INT(store_check(st, report_problem, &p), STORE_OK);
	CT_CHECK_INT(p.count, 0);
}

/* The groups, one file each, run in this order; --only picks some (a
 * backend being built passes them one after another). */
static const struct {
	const char *name;
	void (*run)(void);
} contract_groups[] = {
	{ "durability", contract_durability },
	{ "modseq", contract_modseq },
	{ "uids", contract_uids },
	{ "mailboxes", contract_mailboxes },
	{ "messages", contract_messages },
	{ "concurrency", contract_concurrency },
	{ "search", contract_search },
	{ "quota", contract_quota },
	{ "metadata", contract_metadata },
	{ "acl", contract_acl },
	{ "users", contract_users },
};

#define CONTRACT_GROUP_COUNT (sizeof(contract_groups) / sizeof(contract_groups[0]))

static int usage(void)
{
	fprintf(stderr, "usage: store-contract [--backend NAME] [--only GROUP]...   (backends: ");
	contract_backend_names(stderr);
	fprintf(stderr, "; default sqlite)\ngroups:");
	for (size_t i = 0; i < CONTRACT_GROUP_COUNT; i++)
		fprintf(stderr, " %s", contract_groups[i].name);
	fprintf(stderr, "\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *name = "sqlite";
	bool chosen[CONTRACT_GROUP_COUNT] = { false }, only = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
			name = argv[++i];
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			size_t g = 0;

			i++;
			while (g < CONTRACT_GROUP_COUNT && strcmp(contract_groups[g].name, argv[i]) != 0)
				g++;
			if (g == CONTRACT_GROUP_COUNT)
				return usage();
			chosen[g] = only = true;
		} else {
			return usage();
		}
	}
	backend = contract_backend_find(name);
	if (backend == NULL)
		return usage();
	log_set_level(LOG_ERROR);
	if (!backend->setup(&backend_env)) {
		printf("store-contract %s: 0 passed, 1 failed\n", name);
		return 1;
	}
	for (size_t g = 0; g < CONTRACT_GROUP_COUNT; g++) {
		if (!only || chosen[g])
			contract_groups[g].run();
	}
	backend->teardown(&backend_env);
	printf("store-contract %s: %u passed, %u failed\n", name, (unsigned int)ct_passed,
	       (unsigned int)ct_failed);
	return ct_failed == 0 ? 0 : 1;
}
