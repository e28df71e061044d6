/* SEARCH's text keys on PostgreSQL (store.h "searching"), the design
 * measured in docs/ARCHITECTURE.md ("PostgreSQL backend: measured design
 * decisions"). text_store holds each body's case-folded text, written at
 * delivery in the delivery's transaction, so there is no indexer: a
 * LIKE '%needle%' on the field's columns is served by the GIN trigram index
 * that has store_id beside the trigrams (btree_gin), so a needle of 3 or
 * more characters names candidates of this user only, which PostgreSQL
 * rechecks; a shorter needle, or one with no letter or digit (pg_trgm
 * ignores the rest), reads this user's rows of the mailbox. LIKE compares
 * the folded bytes, so the answer is SQLite's memmem's. SEARCH HEADER with
 * a field name reads the candidates' header text and tests its lines here
 * (store_text_header_has(), as SQLite does). */
#include "store/pg/pg-store.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "store/store-text.h"

/* A LIKE pattern from one needle: its bytes, each '%', '_' and '\' escaped,
 * between two '%'. A needle is a search key the parser bounded. */
#define PG_LIKE_MAX (2 * 64 * 1024 + 3)

/* The field's columns, as sq_text_columns(): TEXT is header or body (the
 * MIME headers' text counts as header). */
static const char *pg_text_condition(enum store_text_field field)
{
	switch (field) {
	case STORE_TEXT_SUBJECT: return "t.subject LIKE $3";
	case STORE_TEXT_FROM: return "t.hfrom LIKE $3";
	case STORE_TEXT_TO: return "t.hto LIKE $3";
	case STORE_TEXT_CC: return "t.hcc LIKE $3";
	case STORE_TEXT_BCC: return "t.hbcc LIKE $3";
	case STORE_TEXT_HEADER: return "t.header LIKE $3";
	case STORE_TEXT_BODY: return "t.body LIKE $3";
	case STORE_TEXT_TEXT: return "(t.body LIKE $3 OR t.header LIKE $3 OR t.mime LIKE $3)";
	}
	return NULL;
}

static bool pg_like_pattern(struct buf *out, const char *text, const char *suffix)
{
	buf_append_char(out, '%');
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_append_char(out, '\\');
		buf_append_char(out, *p);
	}
	buf_append_str(out, suffix);
	return !out->overflow;
}

static enum store_result pg_search(struct pg_txn *t, const char *name, uint32_t uidvalidity,
				   enum store_text_field field, const char *header_name,
				   const char *needle, uint32_t **uids_r, uint32_t *count_r)
{
	struct pg_mailbox mb;
	struct pg_result *res = NULL;
	struct buf pattern, sql;
	char boxnum[PG_NUM_LEN];
	enum store_result r = pg_mailbox_load_checked(t, name, uidvalidity, &mb);
	bool by_name = header_name != NULL;

	if (r != STORE_OK)
		return r;
	buf_init(&pattern, PG_LIKE_MAX);
	buf_init(&sql, 1024);
	/* HEADER name "": any message with such a field; its lines are
	 * tested below, the pattern only narrows the candidates. */
	if (by_name && *needle == '\0')
		r = pg_like_pattern(&pattern, header_name, ":%") ? STORE_OK : STORE_INVALID;
	else
		r = pg_like_pattern(&pattern, needle, "%") ? STORE_OK : STORE_INVALID;
	if (r == STORE_OK) {
		const struct pg_param params[] = {
			PG_TEXT(t->st->id_text), pg_num(boxnum, mb.id), PG_TEXT(pattern.data),
		};

		buf_printf(&sql, "SELECT m.uid%s FROM messages m JOIN text_store t"
			   " ON t.store_id = m.store_id AND t.blob_id = m.blob_id"
			   " WHERE m.store_id = $1 AND t.store_id = $1 AND m.mailbox_id = $2"
			   " AND %s ORDER BY m.uid", by_name ? ", t.header" : "",
			   pg_text_condition(field));
		r = pg_q(t, "search", sql.data, params, 3, 0, &res);
	}
	if (r == STORE_OK) {
		unsigned int rows = pg_result_rows(res);
		uint32_t n = 0;

		*uids_r = xmalloc((rows > 0 ? rows : 1) * sizeof(uint32_t));
		for (unsigned int i = 0; i < rows; i++) {
			if (by_name) {
				const char *h = pg_result_text(res, i, 1);

				if (!store_text_header_has(h, strlen(h), header_name, needle))
					continue;
			}
			(*uids_r)[n++] = (uint32_t)pg_col_int(res, i, 0);
		}
		*count_r = n;
	}
	pg_result_free(&res);
	buf_free(&pattern);
	buf_free(&sql);
	return r;
}

enum store_result pg_mailbox_search_text(struct store *store, const char *name,
					 uint32_t uidvalidity, enum store_text_field field,
					 const char *header_name, const char *needle,
					 uint32_t **uids_r, uint32_t *count_r)
{
	struct pg_txn t;
	enum store_result r;

	*uids_r = NULL;
	*count_r = 0;
	if (needle == NULL || pg_text_condition(field) == NULL ||
	    (header_name != NULL && field != STORE_TEXT_HEADER))
		return STORE_INVALID;
	r = pg_txn_open(pg_store(store), false, &t);
	if (r != STORE_OK)
		return r;
	r = pg_txn_close(&t, pg_search(&t, name, uidvalidity, field, header_name, needle,
				       uids_r, count_r));
	if (r != STORE_OK) {
		free(*uids_r);
		*uids_r = NULL;
		*count_r = 0;
	}
	return r;
}

/* Text is indexed by PostgreSQL as it is written (the GIN index's pending
 * list batches that work): nothing ever waits for an indexer. */
bool pg_index_due(struct store *store)
{
	(void)store;
	return false;
}

enum store_result pg_index_text(const struct store_env *env, const char *user,
				unsigned int max_batches, const atomic_bool *stop, bool *more_r)
{
	(void)env;
	(void)user;
	(void)max_batches;
	(void)stop;
	*more_r = false;
	return STORE_OK;
}

/* The PostgreSQL backend stores bodies and summaries compressed without
 * zstd dictionaries (pg-blob.c): there is nothing to train, so the store
 * is always settled. Dictionaries here (the schema's dicts table) would
 * save about a third of the bodies' size, as on SQLite; not built yet. */
enum store_result pg_train_dicts(const struct store_env *env, const char *user, bool *settled_r)
{
	(void)env;
	(void)user;
	*settled_r = true;
	return STORE_OK;
}
