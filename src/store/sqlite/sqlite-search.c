/* SEARCH's text keys over the search index (search.db, sqlite-store.c).
 * Its text_index is a contentless FTS5 trigram index without positions
 * (sqlite-index.c says what FTS5 allows on it): a needle of 3 or more
 * characters asks for all its trigrams anywhere in the message, and each
 * candidate in the mailbox is verified against its stored text
 * (text_store, unpacked by sqlite-text.c) with memmem, on text and needle
 * case-folded by petrel the same way. Text not yet indexed (text_pending:
 * a few hundred rows, more while the indexer catches up after a burst of
 * deliveries) is matched with GLOB; while a first-format index (blob_text,
 * exact phrase queries) is being converted, its rows answer as before.
 * Shorter needles and HEADER's field-name condition read the stored text
 * instead. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"
#include "store/store-text.h"

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
	/* Verified in this order at first, stopping at the first that
	 * holds the needle; sq_verify_order() then puts first the column
	 * that settles candidates most cheaply for this needle. */
	case STORE_TEXT_TEXT: return "body header mime";
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

/* Columns of the widest field (TEXT's). */
#define SQ_FIELD_COLUMNS_MAX 3
/* Candidates read in every column of their field, spread evenly over
 * the index's answer, before the others are verified: enough to tell
 * which column holds the needle most often (on jwz's corpus "linux" is
 * in 77% of its candidates' headers and 67% of their bodies, "open
 * source" in about 40% and 22%; the first candidates alone mislead, as
 * mail of one period is alike), few enough to cost nothing that shows. */
#define SQ_ORDER_SAMPLE 64
/* What a column read costs besides unpacking it, in stored bytes: the
 * row's lookup and the zstd frame's set-up (about 1.5 us each, while a
 * stored byte costs about 4 ns to unpack). */
#define SQ_READ_COST_BYTES 384

/* How one verification column has done so far in this search. */
struct sq_column_stats {
	uint64_t reads, hits, bytes;   /* bytes: stored (packed) size read */
};

/* What one search looks for, and how it reads stored text. */
struct sq_query {
	struct sq_store *st;
	enum store_text_field field;
	const char *header_name;   /* HEADER name value: only that field's lines */
	const char *needle;
	size_t needle_len;
	struct sq_unpacker unpacker;
	/* One statement per column of the field: that column of one
	 * text_store row, read only when the columns before it missed (a
	 * statement copies every column it returns out of the row). */
	sqlite3_stmt *verify[SQ_FIELD_COLUMNS_MAX];
	int columns;               /* how many the field has */
	int order[SQ_FIELD_COLUMNS_MAX];   /* verify[]'s indices, in reading order */
	struct sq_column_stats stats[SQ_FIELD_COLUMNS_MAX];
};

/* Column col of s (plain or packed text) holds the needle. */
static enum store_result sq_text_has(struct sq_query *q, sqlite3_stmt *s, int col, bool *hit_r)
{
	const char *text;
	size_t len;
	enum store_result r = sq_text_unpack_column(&q->unpacker, s, col, &text, &len);

	*hit_r = false;
	if (r != STORE_OK) {
		log_error("store %s: search text of a message is damaged (run `petrel check`)",
			  q->st->user);
		return STORE_ERROR;
	}
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return STORE_OK;
	if (q->field == STORE_TEXT_HEADER && q->header_name != NULL)
		*hit_r = store_text_header_has(text, len, q->header_name, q->needle);
	else
		*hit_r = memmem(text, len, q->needle, q->needle_len) != NULL;
	return STORE_OK;
}

/* Any of the columns first..first + q->columns - 1 of s holds the needle. */
static enum store_result sq_row_has(struct sq_query *q, sqlite3_stmt *s, int first, bool *hit_r)
{
	enum store_result r = STORE_OK;

	*hit_r = false;
	for (int i = 0; r == STORE_OK && !*hit_r && i < q->columns; i++)
		r = sq_text_has(q, s, first + i, hit_r);
	return r;
}

/* Reading cost of column i per candidate it settles (its hits): the
 * columns are read in ascending order of it, which minimises the
 * expected cost of finding a hit (or of knowing there is none). A
 * column that never hit goes last. */
static double sq_column_rank(const struct sq_query *q, int i)
{
	const struct sq_column_stats *c = &q->stats[i];
	double cost = SQ_READ_COST_BYTES + (double)c->bytes / (double)(c->reads + 1);

	return c->hits == 0 ? 1e300 : cost * (double)c->reads / (double)c->hits;
}

/* The columns in ascending order of their rank. */
static void sq_verify_sort(struct sq_query *q)
{
	for (int i = 1; i < q->columns; i++) {
		int c = q->order[i], j = i;

		for (; j > 0 && sq_column_rank(q, q->order[j - 1]) > sq_column_rank(q, c); j--)
			q->order[j] = q->order[j - 1];
		q->order[j] = c;
	}
}

/* Column i of blob_id's text_store row holds the needle (false when
 * there is no row); its reading counted in q->stats. */
static enum store_result sq_verify_column(struct sq_query *q, int i, int64_t blob_id,
					  bool *hit_r, bool *row_r)
{
	sqlite3_stmt *s = q->verify[i];
	enum store_result r = STORE_OK;
	int rc;

	*hit_r = false;
	sqlite3_bind_int64(s, 1, blob_id);
	rc = sqlite3_step(s);
	*row_r = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW) {
		r = sq_text_has(q, s, 0, hit_r);
		q->stats[i].reads++;
		q->stats[i].hits += *hit_r;
		q->stats[i].bytes += (uint64_t)sqlite3_column_bytes(s, 0);
	} else if (rc != SQLITE_DONE) {
		r = sq_fail(q->st, rc, "search text");
	}
	sqlite3_reset(s);
	return r;
}

/* Orders q's columns from a sample of the candidates (blobs, sorted),
 * each read in every column. */
static enum store_result sq_verify_order(struct sq_query *q, const int64_t *blobs, size_t count)
{
	size_t step = count / SQ_ORDER_SAMPLE;
	enum store_result r = STORE_OK;

	if (q->columns < 2 || step == 0)
		return STORE_OK;
	for (size_t k = 0; r == STORE_OK && k < SQ_ORDER_SAMPLE; k++) {
		bool hit, row = true;

		for (int i = 0; r == STORE_OK && row && i < q->columns; i++)
			r = sq_verify_column(q, i, blobs[k * step], &hit, &row);
	}
	if (r == STORE_OK)
		sq_verify_sort(q);
	return r;
}

/* A candidate of the index: does its stored text hold the needle? Its
 * columns in q->order, stopping at the first that holds it: the same
 * answer in any order. */
static enum store_result sq_verify(struct sq_query *q, int64_t blob_id, bool *hit_r)
{
	enum store_result r = STORE_OK;
	bool row = true;

	*hit_r = false;
	for (int k = 0; r == STORE_OK && row && !*hit_r && k < q->columns; k++)
		r = sq_verify_column(q, q->order[k], blob_id, hit_r, &row);
	return r;
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

/* One of the mailbox's messages among the index's candidates. */
struct sq_pair {
	int64_t blob_id;
	uint32_t uid;
};

struct sq_pair_set {
	struct sq_pair *pairs;
	size_t count, alloc;
};

static void sq_pair_add(struct sq_pair_set *set, int64_t blob_id, uint32_t uid)
{
	if (set->count == set->alloc) {
		set->alloc = set->alloc == 0 ? 1024 : set->alloc * 2;
		set->pairs = xrealloc(set->pairs, set->alloc * sizeof(*set->pairs));
	}
	set->pairs[set->count++] = (struct sq_pair){ .blob_id = blob_id, .uid = uid };
}

static int sq_pair_cmp(const void *a, const void *b)
{
	const struct sq_pair *x = a, *y = b;

	return x->blob_id < y->blob_id ? -1 : x->blob_id > y->blob_id ? 1 :
		x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Candidates verified by one scan of text_store's rows between the first
 * and the last, rather than a lookup each, when they are at least one in
 * this many of those rows: a row stepped over costs about a third of a
 * lookup (0.35 against 0.7-1 us on jwz's corpus at 100,000 messages). */
#define SQ_SCAN_ROWS_PER_CANDIDATE 2

/* The first *i pairs' blob matched (hit): their UIDs added; *i moved
 * past the pairs of that blob. */
static void sq_pairs_take(const struct sq_pair_set *set, size_t *i, bool hit,
			  struct sq_uid_set *out)
{
	int64_t blob_id = set->pairs[*i].blob_id;

	for (; *i < set->count && set->pairs[*i].blob_id == blob_id; (*i)++) {
		if (hit)
			sq_uid_set_add(out, set->pairs[*i].uid);
	}
}

/* The candidates (sorted by blob) verified in q's column order, the
 * first column read by one scan of text_store's rows in blob order. */
static enum store_result sq_verify_scan(struct sq_query *q, const struct sq_pair_set *set,
					struct sq_uid_set *out)
{
	sqlite3_stmt *s = NULL;
	char sql[128];
	int first = q->order[0], rc;
	size_t i = 0;
	enum store_result r = STORE_OK;
	const char *col = sq_text_columns(q->field);

	/* The name of column `first` among the field's. */
	for (int k = 0; k < first; k++)
		col += strcspn(col, " ") + 1;
	snprintf(sql, sizeof(sql), "SELECT blob_id, %.*s FROM search.text_store"
		 " WHERE blob_id BETWEEN ?1 AND ?2", (int)strcspn(col, " "), col);
	rc = sqlite3_prepare_v2(q->st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, set->pairs[0].blob_id);
		sqlite3_bind_int64(s, 2, set->pairs[set->count - 1].blob_id);
	}
	while (rc == SQLITE_OK && r == STORE_OK && i < set->count &&
	       (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t blob_id = sqlite3_column_int64(s, 0);
		bool hit = false, row = true;

		rc = SQLITE_OK;
		/* Candidates without a row hold nothing. */
		while (i < set->count && set->pairs[i].blob_id < blob_id)
			sq_pairs_take(set, &i, false, out);
		if (i == set->count || set->pairs[i].blob_id != blob_id)
			continue;
		r = sq_text_has(q, s, 1, &hit);
		q->stats[first].reads++;
		q->stats[first].hits += hit;
		for (int k = 1; r == STORE_OK && row && !hit && k < q->columns; k++)
			r = sq_verify_column(q, q->order[k], blob_id, &hit, &row);
		sq_pairs_take(set, &i, hit, out);
	}
	sqlite3_finalize(s);
	if (r != STORE_OK)
		return r;
	return rc == SQLITE_OK || rc == SQLITE_DONE ? STORE_OK : sq_fail(q->st, rc, "search text");
}

/* The mailbox's candidates (set) verified: the UIDs whose text holds the
 * needle added to out. */
static enum store_result sq_verify_pairs(struct sq_query *q, struct sq_pair_set *set,
					 struct sq_uid_set *out)
{
	enum store_result r = STORE_OK;
	size_t i = 0;

	if (set->count == 0)
		return STORE_OK;
	qsort(set->pairs, set->count, sizeof(*set->pairs), sq_pair_cmp);
	if ((uint64_t)(set->pairs[set->count - 1].blob_id - set->pairs[0].blob_id) <
	    (uint64_t)set->count * SQ_SCAN_ROWS_PER_CANDIDATE)
		return sq_verify_scan(q, set, out);
	while (r == STORE_OK && i < set->count) {
		bool hit;

		r = sq_verify(q, set->pairs[i].blob_id, &hit);
		sq_pairs_take(set, &i, hit, out);
	}
	return r;
}

/* The index's answer (blob ids: sub_sql, binding ?2 to glob and ?3 to
 * match) turned into the mailbox's UIDs in C, not by an IN (subquery)
 * join, which costs as much again as the index for a common word. With
 * verify, each of the mailbox's candidates is checked against its text. */
static enum store_result sq_search_indexed(struct sq_store *st, int64_t mailbox_id,
					   const char *sub_sql, const struct buf *glob,
					   const struct buf *match, struct sq_query *verify,
					   struct sq_uid_set *out)
{
	sqlite3_stmt *s = NULL;
	int64_t *blobs = NULL;
	size_t count = 0, alloc = 0;
	struct sq_pair_set found = { 0 };
	enum store_result r = STORE_OK;
	int rc = sqlite3_prepare_v2(st->db, sub_sql, -1, &s, NULL);

	if (rc == SQLITE_OK) {
		if (sqlite3_bind_parameter_count(s) >= 2)
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
	if (verify != NULL)
		r = sq_verify_order(verify, blobs, count);
	if (count == 0 || r != STORE_OK) {
		rc = SQLITE_DONE;
	} else if (count <= SQ_SEARCH_LOOKUP_MAX) {
		for (size_t i = 0; r == STORE_OK && i < count; i++) {
			s = sq_stmt(st, SQ_MSG_BY_BLOB);
			sqlite3_bind_int64(s, 1, blobs[i]);
			sqlite3_bind_int64(s, 2, mailbox_id);
			while ((rc = sqlite3_step(s)) == SQLITE_ROW)
				sq_pair_add(&found, blobs[i], (uint32_t)sqlite3_column_int64(s, 0));
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				break;
		}
	} else {
		s = sq_stmt(st, SQ_MSG_UID_BLOB);
		sqlite3_bind_int64(s, 1, mailbox_id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t blob_id = sqlite3_column_int64(s, 1);

			if (sq_i64_contains(blobs, count, blob_id))
				sq_pair_add(&found, blob_id, (uint32_t)sqlite3_column_int64(s, 0));
		}
		sqlite3_reset(s);
	}
	free(blobs);
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = sq_fail(st, rc, "search messages");
	if (r == STORE_OK && verify != NULL) {
		r = sq_verify_pairs(verify, &found, out);
	} else if (r == STORE_OK) {
		for (size_t i = 0; i < found.count; i++)
			sq_uid_set_add(out, found.pairs[i].uid);
	}
	free(found.pairs);
	return r;
}

/* Reads every row of sql (uid, then q->columns text columns) and keeps the
 * UIDs whose text holds the needle. */
static enum store_result sq_search_scan(struct sq_query *q, const char *sql, int64_t mailbox_id,
					const struct buf *glob, const struct buf *match,
					const struct buf *match_old, struct sq_uid_set *out)
{
	sqlite3_stmt *s = NULL;
	enum store_result r = STORE_OK;
	int rc = sqlite3_prepare_v2(q->st->db, sql, -1, &s, NULL);

	if (rc == SQLITE_OK) {
		int params = sqlite3_bind_parameter_count(s);

		sqlite3_bind_int64(s, 1, mailbox_id);
		if (params >= 2)
			sqlite3_bind_text(s, 2, glob->data, (int)glob->len, SQLITE_STATIC);
		if (params >= 3)
			sqlite3_bind_text(s, 3, match->data, (int)match->len, SQLITE_STATIC);
		if (params >= 4)
			sqlite3_bind_text(s, 4, match_old->data, (int)match_old->len,
					  SQLITE_STATIC);
		while (r == STORE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			bool hit;

			r = sq_row_has(q, s, 1, &hit);
			if (r == STORE_OK && hit)
				sq_uid_set_add(out, (uint32_t)sqlite3_column_int64(s, 0));
		}
	}
	sqlite3_finalize(s);
	if (r != STORE_OK)
		return r;
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(q->st, rc, "search text");
}

/* The FTS5 query for the needle on text_index: each trigram as a string
 * of its own ('"' doubled), all required (AND): the only form detail=none
 * takes, true for every message that contains the needle and for a few
 * that do not (the trigrams elsewhere), which verification drops. */
/* Trigrams asked for at most: a long needle's candidates are few after
 * that many, and verification settles the rest; the query stays small
 * (a 60 KB needle would otherwise be a 600 KB query of 60,000 terms). */
#define SQ_TRIGRAMS_MAX 32

static void sq_trigram_query(struct buf *match, const char *needle)
{
	const char *p = needle;
	size_t trigrams = sq_utf8_chars(needle) - 2, step, i = 0;

	/* Every step-th trigram and the last. */
	step = (trigrams + SQ_TRIGRAMS_MAX - 2) / (SQ_TRIGRAMS_MAX - 1);
	if (step == 0)
		step = 1;
	for (; *p != '\0'; i++) {
		const char *end = p;
		int chars = 0;

		/* Three code points from p, if there are three. */
		while (*end != '\0' && chars < 3) {
			end++;
			while (((unsigned char)*end & 0xc0) == 0x80)
				end++;
			chars++;
		}
		if (chars < 3)
			break;
		if (i % step != 0 && i != trigrams - 1)
			goto next;
		if (match->len > 0)
			buf_append_str(match, " AND ");
		buf_append_char(match, '"');
		for (const char *c = p; c < end; c++) {
			if (*c == '"')
				buf_append_char(match, '"');
			buf_append_char(match, *c);
		}
		buf_append_char(match, '"');
next:
		/* Next code point. */
		p++;
		while (((unsigned char)*p & 0xc0) == 0x80)
			p++;
	}
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
	int old;

	if (r != STORE_OK)
		return r;
	old = sq_search_upgrading(st);
	if (old < 0)
		return sq_fail(st, sqlite3_errcode(st->db), "search index tables");
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

	struct sq_query q = { .st = st, .field = field, .header_name = header_name,
			      .needle = needle, .needle_len = strlen(needle),
			      .unpacker = { .db = st->db } };
	struct buf glob, match, match_old, sub, sel, sql;

	buf_init(&glob, SQ_FTS_QUERY_MAX);
	buf_init(&match, SQ_FTS_QUERY_MAX);
	buf_init(&match_old, SQ_FTS_QUERY_MAX);
	buf_init(&sub, 4096);
	buf_init(&sel, 256);
	buf_init(&sql, 8192);
	if (indexed) {
		/* GLOB's metacharacters in the needle match themselves as
		 * one-character classes: '*' -> "[*]", '?' -> "[?]", '[' -> "[[]". */
		buf_append_char(&glob, '*');
		for (const char *p = needle; *p != '\0'; p++) {
			if (*p == '*' || *p == '?' || *p == '[')
				buf_printf(&glob, "[%c]", *p);
			else
				buf_append_char(&glob, *p);
		}
		buf_append_char(&glob, '*');
		sq_trigram_query(&match, needle);
		/* The first format's query: the needle as one phrase, '"'
		 * doubled, in the field's columns (consecutive trigrams: exact). */
		buf_printf(&match_old, "{%s} : \"", cols);
		for (const char *p = needle; *p != '\0'; p++) {
			if (*p == '"')
				buf_append_char(&match_old, '"');
			buf_append_char(&match_old, *p);
		}
		buf_append_char(&match_old, '"');
	}
	/* The field's columns: t.a, t.b, ..., the pending rows' GLOBs, and
	 * each column's statement for verification. */
	int rc = SQLITE_OK;

	for (const char *c = cols; *c != '\0' && rc == SQLITE_OK &&
	     q.columns < SQ_FIELD_COLUMNS_MAX;) {
		size_t n = strcspn(c, " ");

		buf_printf(&sel, "%st.%.*s", q.columns > 0 ? ", " : "", (int)n, c);
		buf_printf(&sub, "%sSELECT blob_id FROM text_pending WHERE %.*s GLOB ?2",
			   q.columns > 0 ? " UNION " : "", (int)n, c);
		buf_clear(&sql);
		buf_printf(&sql, "SELECT %.*s FROM search.text_store WHERE blob_id = ?1", (int)n, c);
		rc = sql.overflow ? SQLITE_TOOBIG :
			sqlite3_prepare_v2(st->db, sql.data, -1, &q.verify[q.columns], NULL);
		q.order[q.columns] = q.columns;
		q.columns++;
		c += n;
		while (*c == ' ')
			c++;
	}
	if (glob.overflow || match.overflow || match_old.overflow || sub.overflow ||
	    sel.overflow || sql.overflow) {
		r = STORE_INVALID;
		goto out;
	}
	if (rc != SQLITE_OK) {
		r = sq_fail(st, rc, "search text");
		goto out;
	}
	if (indexed && !check) {
		/* Exact answers first: the pending rows' GLOB, and the first
		 * format's phrase query while it is there. Each index answers
		 * once (a join would let the planner run it once per message
		 * of the mailbox); its rows are then looked up by blob. */
		if (old) {
			buf_clear(&sql);
			buf_printf(&sql, "SELECT rowid FROM search.blob_text WHERE blob_text MATCH ?3"
				   " UNION %s", sub.data);
		}
		r = sq_search_indexed(st, mb.id, old ? sql.data : sub.data, &glob, &match_old,
				      NULL, out);
		if (r == STORE_OK)
			r = sq_search_indexed(st, mb.id, "SELECT rowid FROM search.text_index"
					      " WHERE text_index MATCH ?3", &glob, &match, &q, out);
		goto out;
	}
	/* The stored text of the mailbox's messages, from every table (only
	 * the index's candidates, when there is a needle to ask it for). */
	buf_clear(&sql);
	buf_printf(&sql, "SELECT m.uid, %s FROM messages m JOIN search.text_store t"
		   " ON t.blob_id = m.blob_id WHERE m.mailbox_id = ?1%s"
		   " UNION ALL SELECT m.uid, %s FROM messages m JOIN text_pending t"
		   " ON t.blob_id = m.blob_id WHERE m.mailbox_id = ?1%s%s",
		   sel.data, indexed ? " AND m.blob_id IN (SELECT rowid FROM search.text_index"
		   " WHERE text_index MATCH ?3)" : "",
		   sel.data, indexed ? " AND m.blob_id IN (" : "", indexed ? sub.data : "");
	if (indexed)
		buf_append_char(&sql, ')');
	if (old)
		buf_printf(&sql, " UNION ALL SELECT m.uid, %s FROM messages m JOIN"
			   " search.blob_text t ON t.rowid = m.blob_id WHERE m.mailbox_id = ?1%s",
			   sel.data, indexed ? " AND m.blob_id IN (SELECT rowid FROM"
			   " search.blob_text WHERE blob_text MATCH ?4)" : "");
	r = sql.overflow ? STORE_INVALID :
		sq_search_scan(&q, sql.data, mb.id, &glob, &match, &match_old, out);
out:
	for (int i = 0; i < q.columns; i++)
		sqlite3_finalize(q.verify[i]);
	sq_unpacker_free(&q.unpacker);
	buf_free(&glob);
	buf_free(&match);
	buf_free(&match_old);
	buf_free(&sub);
	buf_free(&sel);
	buf_free(&sql);
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
