/* SEARCH's text keys over the blob_text index (search.db, sqlite-store.c):
 * with FTS5's trigram tokenizer, a needle of 3 or more characters is a
 * phrase of trigrams, which must be consecutive: an exact substring test
 * answered from the index alone, since the text and the needle were
 * case-folded by petrel the same way. Text not yet indexed (text_pending:
 * a few hundred rows, more while the indexer catches up after a burst of
 * deliveries) is matched with GLOB. Shorter needles and
 * HEADER's field-name condition read the stored text instead. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

/* A GLOB pattern or FTS5 query built from one needle. */
#define SQ_FTS_QUERY_MAX (64 * 1024)

struct sq_uid_set {
	uint32_t *uids;
	uint32_t count, alloc;
};

static void sq_uid_set_add(struct sq_uid_set *set, uint32_t uid)
{
	if (set->count == set->alloc) {
		set->alloc = set->alloc == 0 ? 256 : set->alloc * 2;
		set->uids = xrealloc(set->uids, set->alloc * sizeof(*set->uids));
	}
	set->uids[set->count++] = uid;
}

static int sq_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const char *sq_text_columns(enum store_text_field field)
{
	switch (field) {
	case STORE_TEXT_SUBJECT: return "subject";
	case STORE_TEXT_FROM: return "hfrom";
	case STORE_TEXT_TO: return "hto";
	case STORE_TEXT_CC: return "hcc";
	case STORE_TEXT_BCC: return "hbcc";
	case STORE_TEXT_HEADER: return "header";
	case STORE_TEXT_BODY: return "body";
	case STORE_TEXT_TEXT: return "header mime body";
	}
	return NULL;
}

/* Characters, not bytes: the trigram tokenizer counts code points. */
static size_t sq_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* HEADER name value: a line "name: ...value..." of the stored header text
 * (one field per line, unfolded, name and value folded). */
static bool sq_header_has(const char *text, size_t len, const char *header_name,
			  const char *needle)
{
	size_t name_len = strlen(header_name);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl : end;

		if ((size_t)(line_end - p) > name_len && memcmp(p, header_name, name_len) == 0 &&
		    p[name_len] == ':') {
			const char *v = p + name_len + 1;

			if (*needle == '\0' || memmem(v, (size_t)(line_end - v), needle,
						      strlen(needle)) != NULL)
				return true;
		}
		p = line_end + 1;
	}
	return false;
}

static bool sq_text_has(sqlite3_stmt *s, int col, enum store_text_field field,
			const char *header_name, const char *needle)
{
	const char *text = (const char *)sqlite3_column_text(s, col);
	size_t len = (size_t)sqlite3_column_bytes(s, col);

	if (text == NULL)
		return false;
	if (field == STORE_TEXT_HEADER && header_name != NULL)
		return sq_header_has(text, len, header_name, needle);
	return memmem(text, len, needle, strlen(needle)) != NULL;
}

/* Matching blobs past this many: one scan of the mailbox's (uid, blob)
 * pairs beats a lookup per blob. */
#define SQ_SEARCH_LOOKUP_MAX 2000

static int sq_i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static bool sq_i64_contains(const int64_t *a, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == v;
}

/* The index's answer (blob ids from blob_text and text_pending: sub_sql)
 * turned into the mailbox's UIDs in C, not by an IN (subquery) join, which
 * costs as much again as the index for a common word. */
static enum store_result sq_search_indexed(struct sq_store *st, int64_t mailbox_id,
					   const char *sub_sql, const struct buf *glob,
					   const struct buf *match, struct sq_uid_set *out)
{
	sqlite3_stmt *s = NULL;
	int64_t *blobs = NULL;
	size_t count = 0, alloc = 0;
	int rc = sqlite3_prepare_v2(st->db, sub_sql, -1, &s, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 2, glob->data, (int)glob->len, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, match->data, (int)match->len, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (count == alloc) {
				alloc = alloc == 0 ? 1024 : alloc * 2;
				blobs = xrealloc(blobs, alloc * sizeof(*blobs));
			}
			blobs[count++] = sqlite3_column_int64(s, 0);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(blobs);
		return sq_fail(st, rc, "search index");
	}
	if (count > 1)
		qsort(blobs, count, sizeof(*blobs), sq_i64_cmp);
	if (count == 0) {
		rc = SQLITE_DONE;
	} else if (count <= SQ_SEARCH_LOOKUP_MAX) {
		for (size_t i = 0; i < count; i++) {
			s = sq_stmt(st, SQ_MSG_BY_BLOB);
			sqlite3_bind_int64(s, 1, blobs[i]);
			sqlite3_bind_int64(s, 2, mailbox_id);
			while ((rc = sqlite3_step(s)) == SQLITE_ROW)
				sq_uid_set_add(out, (uint32_t)sqlite3_column_int64(s, 0));
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				break;
		}
	} else {
		s = sq_stmt(st, SQ_MSG_UID_BLOB);
		sqlite3_bind_int64(s, 1, mailbox_id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (sq_i64_contains(blobs, count, sqlite3_column_int64(s, 1)))
				sq_uid_set_add(out, (uint32_t)sqlite3_column_int64(s, 0));
		}
		sqlite3_reset(s);
	}
	free(blobs);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(st, rc, "search messages");
}

static enum store_result sq_search(struct sq_store *st, const char *name, uint32_t uidvalidity,
				   enum store_text_field field, const char *header_name,
				   const char *needle, struct sq_uid_set *out)
{
	struct sq_mailbox mb;
	enum store_result r = sq_mailbox_load_checked(st, name, uidvalidity, &mb);
	const char *cols = sq_text_columns(field);
	bool indexed = sq_utf8_chars(needle) >= 3;
	bool check = field == STORE_TEXT_HEADER && header_name != NULL;
	struct buf sql, query, match;
	sqlite3_stmt *s = NULL;
	int rc;

	if (r != STORE_OK)
		return r;
	if (*needle == '\0' && field <= STORE_TEXT_BCC) {
		/* SUBJECT "" and the like: messages that have the field at all
		 * (a missing field holds no string, not even the empty one). */
		static const char *const names[] = { "subject", "from", "to", "cc", "bcc" };

		header_name = names[field];
		field = STORE_TEXT_HEADER;
		cols = sq_text_columns(field);
		check = true;
	}
	if (*needle == '\0' && !check) {
		/* Every message contains the empty string. */
		indexed = false;
	}
	buf_init(&sql, 1024);
	buf_init(&query, SQ_FTS_QUERY_MAX);
	buf_init(&match, SQ_FTS_QUERY_MAX);
	if (indexed) {
		/* GLOB's metacharacters in the needle match themselves as
		 * one-character classes: '*' -> "[*]", '?' -> "[?]", '[' -> "[[]". */
		buf_append_char(&query, '*');
		for (const char *p = needle; *p != '\0'; p++) {
			if (*p == '*' || *p == '?' || *p == '[')
				buf_printf(&query, "[%c]", *p);
			else
				buf_append_char(&query, *p);
		}
		buf_append_char(&query, '*');
		/* The FTS5 query: the needle as one phrase, '"' doubled, in
		 * the field's columns (consecutive trigrams: exact). */
		buf_printf(&match, "{%s} : \"", cols);
		for (const char *p = needle; *p != '\0'; p++) {
			if (*p == '"')
				buf_append_char(&match, '"');
			buf_append_char(&match, *p);
		}
		buf_append_char(&match, '"');
		if (query.overflow || match.overflow) {
			buf_free(&sql);
			buf_free(&query);
			buf_free(&match);
			return STORE_INVALID;
		}
	}
	/* The index answers first, once (a join would let the planner run
	 * it once per message of the mailbox); its rows are then looked up
	 * by blob. The pending rows: one GLOB per column, united; text not yet
	 * indexed (text_pending, a few hundred rows at most) is read whole. */
	struct buf sub, sel;

	buf_init(&sub, 2048);
	buf_init(&sel, 256);
	buf_printf(&sub, "SELECT rowid FROM search.blob_text WHERE blob_text MATCH ?3");
	for (const char *c = cols; *c != '\0';) {
		size_t n = strcspn(c, " ");

		buf_printf(&sub, " UNION SELECT blob_id FROM text_pending WHERE %.*s GLOB ?2",
			   (int)n, c);
		buf_printf(&sel, ", t.%.*s", (int)n, c);
		c += n;
		while (*c == ' ')
			c++;
	}
	if (indexed && !check) {
		r = sq_search_indexed(st, mb.id, sub.data, &query, &match, out);
		buf_free(&sub);
		buf_free(&sel);
		buf_free(&sql);
		buf_free(&query);
		buf_free(&match);
		return r;
	} else {
		/* The stored text of the mailbox's messages, from both tables. */
		const char *where = indexed ? " AND m.blob_id IN (" : "";

		buf_printf(&sql, "SELECT m.uid%s FROM messages m JOIN search.blob_text t"
			   " ON t.rowid = m.blob_id WHERE m.mailbox_id = ?1%s%s%s"
			   " UNION ALL SELECT m.uid%s FROM messages m JOIN text_pending t"
			   " ON t.blob_id = m.blob_id WHERE m.mailbox_id = ?1%s%s%s",
			   sel.data, where, indexed ? sub.data : "", indexed ? ")" : "",
			   sel.data, where, indexed ? sub.data : "", indexed ? ")" : "");
	}
	buf_free(&sub);
	buf_free(&sel);
	rc = sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, mb.id);
		if (indexed) {
			sqlite3_bind_text(s, 2, query.data, (int)query.len, SQLITE_STATIC);
			sqlite3_bind_text(s, 3, match.data, (int)match.len, SQLITE_STATIC);
		}
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			uint32_t uid = (uint32_t)sqlite3_column_int64(s, 0);
			bool hit;

			if (field == STORE_TEXT_TEXT)
				hit = sq_text_has(s, 1, field, NULL, needle) ||
					sq_text_has(s, 2, field, NULL, needle) ||
					sq_text_has(s, 3, field, NULL, needle);
			else
				hit = sq_text_has(s, 1, field, header_name, needle);
			if (hit)
				sq_uid_set_add(out, uid);
		}
	}
	if (rc != SQLITE_DONE)
		r = sq_fail(st, rc, "search text");
	sqlite3_finalize(s);
	buf_free(&sql);
	buf_free(&query);
	buf_free(&match);
	return r;
}

enum store_result sq_mailbox_search_text(struct store *store, const char *name,
					 uint32_t uidvalidity, enum store_text_field field,
					 const char *header_name, const char *needle,
					 uint32_t **uids_r, uint32_t *count_r)
{
	struct sq_store *st = sq_store(store);
	struct sq_uid_set set = { 0 };
	enum store_result r;

	*uids_r = NULL;
	*count_r = 0;
	if (needle == NULL || sq_text_columns(field) == NULL ||
	    (header_name != NULL && field != STORE_TEXT_HEADER))
		return STORE_INVALID;
	r = sq_begin(st, false);
	if (r == STORE_OK)
		r = sq_end(st, sq_search(st, name, uidvalidity, field, header_name, needle, &set));
	if (r != STORE_OK) {
		free(set.uids);
		return r;
	}
	if (set.count > 1) {
		uint32_t n = 1;

		qsort(set.uids, set.count, sizeof(*set.uids), sq_u32_cmp);
		/* A message can be in both tables for a moment: the indexer
		 * commits search.db before it clears text_pending. */
		for (uint32_t i = 1; i < set.count; i++) {
			if (set.uids[i] != set.uids[n - 1])
				set.uids[n++] = set.uids[i];
		}
		set.count = n;
	}
	*uids_r = set.uids;
	*count_r = set.count;
	return STORE_OK;
}
