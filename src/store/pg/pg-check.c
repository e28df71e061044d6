/* store_check() of a PostgreSQL store: what sqlite-check.c checks that is
 * not the database's own business (PostgreSQL checks its pages and
 * foreign keys itself): each mailbox's parent exists, its counters match
 * a recount, UIDs and modseqs stay below UIDNEXT and HIGHESTMODSEQ,
 * expunge records, METADATA and ACL rows. Reports, never repairs; one
 * read-only snapshot. Bodies, dictionaries and the search text are not
 * checked yet: their entries are not written (pg-backend.c). */
#include "store/pg/pg-store.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/store-names.h"

/* One problem line: a mailbox name (at most STORE_MAILBOX_NAME_MAX bytes)
 * and what is wrong with it fit. */
#define PG_PROBLEM_MAX 1024

struct pg_check {
	struct pg_txn *t;
	void (*report)(const char *problem, void *ctx);
	void *ctx;
	unsigned int problems;
};

static void pg_problem(struct pg_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pg_problem(struct pg_check *c, const char *fmt, ...)
{
	char line[PG_PROBLEM_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->problems++;
	if (c->report != NULL)
		c->report(line, c->ctx);
}

static enum store_result pg_check_mailboxes(struct pg_check *c)
{
	const struct pg_param id = PG_TEXT(c->t->st->id_text);
	static const char *const counter[] = { "messages", "unseen", "deleted", "size", "recent" };
	struct pg_result *res;
	/* Each mailbox with its recount beside it (columns 12..): what
	 * sq_check_mailboxes reads with three statements. */
	enum store_result r = pg_q(c->t, "check mailboxes",
		"SELECT m.name, m.uidvalidity, m.uidnext, m.highestmodseq, m.recent_uid, m.noselect,"
		" m.messages, m.unseen, m.deleted, m.size, m.recent,"
		" m.name LIKE '%/%' AND NOT EXISTS (SELECT 1 FROM mailboxes p WHERE"
		"  p.store_id = m.store_id AND p.name = regexp_replace(m.name, '/[^/]*$', '')),"
		" n.c, n.unseen, n.deleted, n.size, n.recent, n.max_uid, n.max_modseq, n.min_uid,"
		" n.min_modseq, n.bad_flags,"
		" (SELECT count(*) FROM keywords k WHERE k.store_id = m.store_id AND"
		"  k.mailbox_id = m.id),"
		" (SELECT coalesce(max(bit), -1) FROM keywords k WHERE k.store_id = m.store_id AND"
		"  k.mailbox_id = m.id),"
		" e.c, e.max_uid, e.max_modseq, e.present, n.bad_keywords"
		" FROM mailboxes m,"
		" LATERAL (SELECT count(*) AS c FROM keywords k WHERE k.store_id = m.store_id AND"
		"  k.mailbox_id = m.id) k,"
		" LATERAL (SELECT count(*) AS c, count(*) FILTER (WHERE x.flags & 1 = 0) AS unseen,"
		"  count(*) FILTER (WHERE x.flags & 8 <> 0) AS deleted,"
		"  coalesce(sum(b.size), 0) AS size,"
		"  count(*) FILTER (WHERE x.uid >= m.recent_uid) AS recent,"
		"  coalesce(max(x.uid), 0) AS max_uid, coalesce(max(x.modseq), 0) AS max_modseq,"
		"  coalesce(min(x.uid), 1) AS min_uid, coalesce(min(x.modseq), 1) AS min_modseq,"
		"  count(*) FILTER (WHERE x.flags & ~31 <> 0) AS bad_flags,"
		"  count(*) FILTER (WHERE x.keywords & ~(CASE WHEN k.c >= 64 THEN -1::bigint"
		"   ELSE (1::bigint << k.c::integer) - 1 END) <> 0) AS bad_keywords"
		"  FROM messages x LEFT JOIN blobs b ON b.store_id = x.store_id AND b.id = x.blob_id"
		"  WHERE x.store_id = m.store_id AND x.mailbox_id = m.id) n,"
		" LATERAL (SELECT count(*) AS c, coalesce(max(y.uid), 0) AS max_uid,"
		"  coalesce(max(y.modseq), 0) AS max_modseq,"
		"  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM messages z WHERE"
		"   z.store_id = y.store_id AND z.mailbox_id = y.mailbox_id AND z.uid = y.uid))"
		"   AS present"
		"  FROM expunged y WHERE y.store_id = m.store_id AND y.mailbox_id = m.id) e"
		" WHERE m.store_id = $1 ORDER BY m.name", &id, 1, 0, &res);

	if (r != STORE_OK)
		return r;
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		const char *nm = pg_result_text(res, i, 0);
		int64_t uidvalidity = pg_col_int(res, i, 1), uidnext = pg_col_int(res, i, 2);
		int64_t hms = pg_col_int(res, i, 3), recent_uid = pg_col_int(res, i, 4);
		bool noselect = pg_col_bool(res, i, 5);
		int64_t kw_count = pg_col_int(res, i, 22), kw_max = pg_col_int(res, i, 23);

		if (store_mailbox_name_check(nm) != STORE_OK)
			pg_problem(c, "mailbox \"%s\": invalid name", nm);
		if (pg_col_bool(res, i, 11))
			pg_problem(c, "mailbox \"%s\": parent missing", nm);
		if (!noselect && (uidvalidity <= 0 || uidvalidity > (int64_t)UINT32_MAX))
			pg_problem(c, "mailbox \"%s\": UIDVALIDITY %lld out of range", nm,
				   (long long)uidvalidity);
		if (uidnext < 1 || uidnext > (int64_t)STORE_UID_MAX + 1)
			pg_problem(c, "mailbox \"%s\": UIDNEXT %lld out of range", nm,
				   (long long)uidnext);
		if (recent_uid < 1 || recent_uid > uidnext)
			pg_problem(c, "mailbox \"%s\": recent boundary %lld beyond UIDNEXT %lld", nm,
				   (long long)recent_uid, (long long)uidnext);
		if (kw_count != kw_max + 1 || kw_count > STORE_KEYWORDS_PER_MAILBOX)
			pg_problem(c, "mailbox \"%s\": keyword bits not 0..%lld", nm,
				   (long long)kw_count - 1);
		for (unsigned int k = 0; k < 5; k++) {
			int64_t kept = pg_col_int(res, i, 6 + k), real = pg_col_int(res, i, 12 + k);

			if (kept != real)
				pg_problem(c, "mailbox \"%s\": counter %s is %lld, recount %lld", nm,
					   counter[k], (long long)kept, (long long)real);
		}
		if (noselect && pg_col_int(res, i, 12) > 0)
			pg_problem(c, "mailbox \"%s\": \\Noselect but holds messages", nm);
		if (pg_col_int(res, i, 17) >= uidnext)
			pg_problem(c, "mailbox \"%s\": UID %lld not below UIDNEXT %lld", nm,
				   (long long)pg_col_int(res, i, 17), (long long)uidnext);
		if (pg_col_int(res, i, 18) > hms)
			pg_problem(c, "mailbox \"%s\": modseq %lld above HIGHESTMODSEQ %lld", nm,
				   (long long)pg_col_int(res, i, 18), (long long)hms);
		if (pg_col_int(res, i, 19) < 1 || pg_col_int(res, i, 20) < 1)
			pg_problem(c, "mailbox \"%s\": UID or modseq below 1", nm);
		if (pg_col_int(res, i, 21) > 0)
			pg_problem(c, "mailbox \"%s\": %lld messages with unknown flag bits", nm,
				   (long long)pg_col_int(res, i, 21));
		if (pg_col_int(res, i, 28) > 0)
			pg_problem(c, "mailbox \"%s\": %lld messages with undefined keyword bits", nm,
				   (long long)pg_col_int(res, i, 28));
		if (pg_col_int(res, i, 24) > 0) {
			if (pg_col_int(res, i, 25) >= uidnext)
				pg_problem(c, "mailbox \"%s\": expunged UID not below UIDNEXT", nm);
			if (pg_col_int(res, i, 26) > hms)
				pg_problem(c, "mailbox \"%s\": expunge modseq above HIGHESTMODSEQ", nm);
			if (pg_col_int(res, i, 27) > 0)
				pg_problem(c, "mailbox \"%s\": %lld UIDs both present and expunged", nm,
					   (long long)pg_col_int(res, i, 27));
		}
	}
	pg_result_free(&res);
	return STORE_OK;
}

static enum store_result pg_check_metadata(struct pg_check *c)
{
	const struct pg_param id = PG_TEXT(c->t->st->id_text);
	struct pg_result *res;
	enum store_result r = pg_q(c->t, "check metadata",
		"SELECT d.mailbox_id, d.owner, d.name, length(d.value),"
		" d.mailbox_id = 0 OR m.id IS NOT NULL, lower(d.name) = d.name"
		" FROM metadata d LEFT JOIN mailboxes m ON m.store_id = d.store_id AND"
		" m.id = d.mailbox_id WHERE d.store_id = $1", &id, 1, 0, &res);

	if (r != STORE_OK)
		return r;
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		long long box = (long long)pg_col_int(res, i, 0);
		const char *owner = pg_result_text(res, i, 1), *name = pg_result_text(res, i, 2);
		bool private = strncmp(name, "/private/", 9) == 0;

		if (!store_metadata_name_valid(name, strlen(name)) || !pg_col_bool(res, i, 5) ||
		    private == (owner[0] == '\0') ||
		    pg_col_int(res, i, 3) > STORE_METADATA_VALUE_MAX)
			pg_problem(c, "metadata entry %.80s of mailbox %lld is damaged", name, box);
		else if (!pg_col_bool(res, i, 4))
			pg_problem(c, "metadata entry %.80s names mailbox %lld, which does not exist",
				   name, box);
	}
	pg_result_free(&res);
	return STORE_OK;
}

/* ACL rows: a valid identifier and rights in their stored form (canonical
 * letters, not none). The mailbox exists: a foreign key says so. */
static enum store_result pg_check_acl(struct pg_check *c)
{
	const struct pg_param id = PG_TEXT(c->t->st->id_text);
	struct pg_result *res;
	enum store_result r = pg_q(c->t, "check acl", "SELECT mailbox_id, identifier, rights"
				   " FROM acl WHERE store_id = $1", &id, 1, 0, &res);

	if (r != STORE_OK)
		return r;
	for (unsigned int i = 0; i < pg_result_rows(res); i++) {
		const char *ident = pg_result_text(res, i, 1), *letters = pg_result_text(res, i, 2);
		char canonical[ACL_RIGHTS_STR_MAX];
		acl_rights rights = 0;

		if (!acl_identifier_valid(ident) || !acl_rights_parse(letters, &rights) ||
		    rights == 0 || strcmp(acl_rights_store_format(rights, canonical), letters) != 0)
			pg_problem(c, "acl entry %.80s of mailbox %lld is damaged", ident,
				   (long long)pg_col_int(res, i, 0));
	}
	pg_result_free(&res);
	return STORE_OK;
}

enum store_result pg_check(struct store *store,
			   void (*report)(const char *problem, void *ctx), void *ctx)
{
	struct pg_txn t;
	struct pg_check c = { .t = &t, .report = report, .ctx = ctx };
	enum store_result r = pg_txn_open(pg_store(store), false, &t);

	if (r != STORE_OK)
		return r;
	r = pg_check_mailboxes(&c);
	if (r == STORE_OK)
		r = pg_check_metadata(&c);
	if (r == STORE_OK)
		r = pg_check_acl(&c);
	r = pg_txn_close(&t, r);
	if (r == STORE_OK && c.problems > 0)
		r = STORE_CORRUPT;
	return r;
}
