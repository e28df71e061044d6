/* SEARCH programs: the argument tree to a tree of keys (a fixed-size stack of
 * frames, never recursion), evaluation by walking that tree through parent
 * links, and the SEARCH / ESEARCH responses. Never touches the store or the
 * network; never keeps a pointer into the parser's argument tree. */
#include "imap/search-query.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/sorted.h"
#include "core/utf8.h"
#include "imap/datetime.h"
#include "imap/resp.h"
#include "imap/seqset.h"
#include "store/store.h"

/* RFC 9051 §9 number64 (LARGER, SMALLER) and RFC 7162 mod-sequence-valzer:
 * 63-bit values. */
#define SEARCH_NUMBER64_MAX ((uint64_t)INT64_MAX)
/* RFC 8474 §5.1: objectid = 1*255(ALPHA / DIGIT / "_" / "-"). */
#define SEARCH_OBJECTID_MAX 255

enum node_type {
	N_AND,           /* parenthesised list and the top level */
	N_OR,
	N_NOT,
	N_ALL,
	N_FLAG,          /* u.flag set */
	N_UNFLAG,        /* u.flag clear */
	N_RECENT,
	N_NEW,
	N_OLD,
	N_KEYWORD,       /* u.index into keywords */
	N_UNKEYWORD,
	N_LARGER,        /* u.number */
	N_SMALLER,
	N_BEFORE,        /* u.day */
	N_ON,
	N_SINCE,
	N_SENTBEFORE,
	N_SENTON,
	N_SENTSINCE,
	N_SAVEDBEFORE,
	N_SAVEDON,
	N_SAVEDSINCE,
	N_SAVEDATESUPPORTED,
	N_OLDER,         /* u.number seconds */
	N_YOUNGER,
	N_MODSEQ,        /* u.number */
	N_EMAILID,       /* u.str */
	N_THREADID,
	N_SEQSET,        /* u.set */
	N_UIDSET,
	N_SAVED,         /* "$", as a sequence set or after UID */
	N_TEXT,          /* u.index into text_keys */
};

struct search_node {
	enum node_type type;
	struct search_node *parent, *first, *next;
	union {
		uint32_t flag;
		uint64_t number;
		int64_t day;
		struct seqset set;
		unsigned int index;
		const char *str;
	} u;
};

enum arg_kind {
	A_NONE, A_NOT, A_OR, A_TEXT, A_HEADER, A_DATE, A_NUMBER64, A_NZNUMBER,
	A_KEYWORD, A_UIDSET, A_MODSEQ, A_OBJECTID,
};

struct key_def {
	const char *name;
	enum node_type type;
	enum arg_kind arg;
	unsigned int extra;     /* store_flag bit, or search_text_kind */
	unsigned int needs;
};

static const struct key_def key_defs[] = {
	{ "ALL", N_ALL, A_NONE, 0, 0 },
	{ "ANSWERED", N_FLAG, A_NONE, STORE_FLAG_ANSWERED, SEARCH_NEED_FLAGS },
	{ "BCC", N_TEXT, A_TEXT, SEARCH_TEXT_BCC, SEARCH_NEED_TEXT },
	{ "BEFORE", N_BEFORE, A_DATE, 0, SEARCH_NEED_INTERNALDATE },
	{ "BODY", N_TEXT, A_TEXT, SEARCH_TEXT_BODY, SEARCH_NEED_TEXT },
	{ "CC", N_TEXT, A_TEXT, SEARCH_TEXT_CC, SEARCH_NEED_TEXT },
	{ "DELETED", N_FLAG, A_NONE, STORE_FLAG_DELETED, SEARCH_NEED_FLAGS },
	{ "DRAFT", N_FLAG, A_NONE, STORE_FLAG_DRAFT, SEARCH_NEED_FLAGS },
	{ "EMAILID", N_EMAILID, A_OBJECTID, 0, SEARCH_NEED_EMAILID },
	{ "FLAGGED", N_FLAG, A_NONE, STORE_FLAG_FLAGGED, SEARCH_NEED_FLAGS },
	{ "FROM", N_TEXT, A_TEXT, SEARCH_TEXT_FROM, SEARCH_NEED_TEXT },
	{ "HEADER", N_TEXT, A_HEADER, SEARCH_TEXT_HEADER, SEARCH_NEED_TEXT },
	{ "KEYWORD", N_KEYWORD, A_KEYWORD, 0, SEARCH_NEED_KEYWORDS },
	{ "LARGER", N_LARGER, A_NUMBER64, 0, SEARCH_NEED_SIZE },
	{ "MODSEQ", N_MODSEQ, A_MODSEQ, 0, SEARCH_NEED_MODSEQ },
	{ "NEW", N_NEW, A_NONE, 0, SEARCH_NEED_RECENT | SEARCH_NEED_FLAGS },
	{ "NOT", N_NOT, A_NOT, 0, 0 },
	{ "OLD", N_OLD, A_NONE, 0, SEARCH_NEED_RECENT },
	{ "OLDER", N_OLDER, A_NZNUMBER, 0, SEARCH_NEED_INTERNALDATE },
	{ "ON", N_ON, A_DATE, 0, SEARCH_NEED_INTERNALDATE },
	{ "OR", N_OR, A_OR, 0, 0 },
	{ "RECENT", N_RECENT, A_NONE, 0, SEARCH_NEED_RECENT },
	{ "SAVEDATESUPPORTED", N_SAVEDATESUPPORTED, A_NONE, 0, 0 },
	{ "SAVEDBEFORE", N_SAVEDBEFORE, A_DATE, 0, SEARCH_NEED_SAVEDATE | SEARCH_NEED_INTERNALDATE },
	{ "SAVEDON", N_SAVEDON, A_DATE, 0, SEARCH_NEED_SAVEDATE | SEARCH_NEED_INTERNALDATE },
	{ "SAVEDSINCE", N_SAVEDSINCE, A_DATE, 0, SEARCH_NEED_SAVEDATE | SEARCH_NEED_INTERNALDATE },
	{ "SEEN", N_FLAG, A_NONE, STORE_FLAG_SEEN, SEARCH_NEED_FLAGS },
	{ "SENTBEFORE", N_SENTBEFORE, A_DATE, 0, SEARCH_NEED_SENTDATE },
	{ "SENTON", N_SENTON, A_DATE, 0, SEARCH_NEED_SENTDATE },
	{ "SENTSINCE", N_SENTSINCE, A_DATE, 0, SEARCH_NEED_SENTDATE },
	{ "SINCE", N_SINCE, A_DATE, 0, SEARCH_NEED_INTERNALDATE },
	{ "SMALLER", N_SMALLER, A_NUMBER64, 0, SEARCH_NEED_SIZE },
	{ "SUBJECT", N_TEXT, A_TEXT, SEARCH_TEXT_SUBJECT, SEARCH_NEED_TEXT },
	{ "TEXT", N_TEXT, A_TEXT, SEARCH_TEXT_TEXT, SEARCH_NEED_TEXT },
	{ "THREADID", N_THREADID, A_OBJECTID, 0, SEARCH_NEED_THREADID },
	{ "TO", N_TEXT, A_TEXT, SEARCH_TEXT_TO, SEARCH_NEED_TEXT },
	{ "UID", N_UIDSET, A_UIDSET, 0, 0 },
	{ "UNANSWERED", N_UNFLAG, A_NONE, STORE_FLAG_ANSWERED, SEARCH_NEED_FLAGS },
	{ "UNDELETED", N_UNFLAG, A_NONE, STORE_FLAG_DELETED, SEARCH_NEED_FLAGS },
	{ "UNDRAFT", N_UNFLAG, A_NONE, STORE_FLAG_DRAFT, SEARCH_NEED_FLAGS },
	{ "UNFLAGGED", N_UNFLAG, A_NONE, STORE_FLAG_FLAGGED, SEARCH_NEED_FLAGS },
	{ "UNKEYWORD", N_UNKEYWORD, A_KEYWORD, 0, SEARCH_NEED_KEYWORDS },
	{ "UNSEEN", N_UNFLAG, A_NONE, STORE_FLAG_SEEN, SEARCH_NEED_FLAGS },
	{ "YOUNGER", N_YOUNGER, A_NZNUMBER, 0, SEARCH_NEED_INTERNALDATE },
};

/* ---- parsing ---- */

/* A key is being read from a list (the top level or a parenthesised one),
 * or NOT / OR wait for their operands, which come from the innermost list. */
enum frame_kind { F_LIST, F_NOT, F_OR };

struct frame {
	enum frame_kind kind;
	struct search_node *node;
	struct search_node *last;       /* last child appended */
	const struct imap_arg *args;    /* F_LIST */
	unsigned int count, pos;
	unsigned int remaining;         /* F_NOT, F_OR: operands still to read */
	int prev_list;                  /* F_LIST: the enclosing list's frame */
};

/* Text keys and keywords are collected in small linked lists and copied to
 * arrays at the end, since their number is known only then. */
struct text_item {
	struct search_text_key key;
	struct text_item *next;
};
struct name_item {
	const char *name;
	struct name_item *next;
};

struct parse {
	struct search_query *q;
	struct arena *arena;
	unsigned int node_count;
	struct text_item *texts, **texts_tail;
	unsigned int text_count;
	struct name_item *names, **names_tail;
	unsigned int name_count;
	const char *error;
};

static enum search_parse_result bad(struct parse *p, const char *error)
{
	p->error = error;
	return SEARCH_PARSE_BAD;
}

struct search_query *search_query_new(struct arena *arena)
{
	struct search_query *q = arena_alloc(arena, sizeof(*q));

	q->arena = arena;
	q->utf8 = true;
	return q;
}

static const struct key_def *key_find(const char *name)
{
	size_t lo = 0, hi = sizeof(key_defs) / sizeof(key_defs[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, key_defs[mid].name);

		if (c == 0)
			return &key_defs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* An astring argument with the program's charset checked; copied into the
 * arena. literal8 is not a string (RFC 3516 allows it only in APPEND). */
static bool take_string(struct parse *p, const struct imap_arg *arg, size_t max,
			const char **s_r, size_t *len_r)
{
	if (arg->type == IMAP_ARG_LIST || arg->literal8 || arg->streamed) {
		p->error = "Invalid search string";
		return false;
	}
	const char *s = imap_arg_astring(arg);
	if (s == NULL) {
		p->error = "Invalid search string";
		return false;
	}
	if (arg->len > max) {
		p->error = "Search string too long";
		return false;
	}
	if (p->q->utf8) {
		if (!utf8_valid(s, arg->len)) {
			p->error = "Invalid UTF-8 in search string";
			return false;
		}
	} else {
		for (size_t i = 0; i < arg->len; i++) {
			if ((unsigned char)s[i] >= 0x80) {
				p->error = "8-bit data in US-ASCII search string";
				return false;
			}
		}
	}
	*s_r = arena_strndup(p->arena, s, arg->len);
	*len_r = arg->len;
	return true;
}

/* RFC 9051 §9 number (nz false) or nz-number (nz true), at most max. */
static bool parse_number(const struct imap_arg *arg, bool nz, uint64_t max, uint64_t *n_r)
{
	uint64_t n = 0;

	if (arg->type != IMAP_ARG_ATOM || arg->len == 0)
		return false;
	if (nz && arg->str[0] == '0')
		return false;
	for (size_t i = 0; i < arg->len; i++) {
		char c = arg->str[i];

		if (c < '0' || c > '9')
			return false;
		if (n > (max - (uint64_t)(c - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(c - '0');
	}
	*n_r = n;
	return true;
}

int64_t search_day(time_t t, int zone_min)
{
	int64_t s = (int64_t)t + (int64_t)zone_min * 60;
	int64_t d = s / 86400;

	if (s % 86400 < 0)
		d--;     /* floor, not truncation, before 1970 */
	return d;
}

/* RFC 9051 §9 date: date-text or DQUOTE date-text DQUOTE. */
static bool parse_date(const struct imap_arg *arg, int64_t *day_r)
{
	time_t t;

	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_QUOTED)
		return false;
	if (!imap_date_parse(arg->str, arg->len, &t))
		return false;
	*day_r = search_day(t, 0);   /* midnight UTC of that day */
	return true;
}

static bool valid_objectid(const char *s, size_t len)
{
	if (len == 0 || len > SEARCH_OBJECTID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* RFC 5322 §3.6.8 field-name: printable ASCII except ':'. */
static bool valid_field_name(const char *s, size_t len)
{
	if (len == 0 || len > SEARCH_HEADER_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

static bool parse_set(struct parse *p, const struct imap_arg *arg, struct search_node *node,
		      bool uid)
{
	if (arg->type != IMAP_ARG_ATOM) {
		p->error = "Invalid sequence set";
		return false;
	}
	switch (seqset_parse(arg->str, arg->len, SEARCH_SEQSET_RANGES_MAX, p->arena,
			     &node->u.set)) {
	case SEQSET_OK:
		break;
	case SEQSET_TOO_BIG:
		p->error = "Sequence set too long";
		return false;
	default:
		p->error = "Invalid sequence set";
		return false;
	}
	if (node->u.set.dollar) {
		node->type = N_SAVED;
		p->q->uses_saved = true;
	} else {
		node->type = uid ? N_UIDSET : N_SEQSET;
	}
	return true;
}

/* The next argument of the list frame l, or NULL (error set). */
static const struct imap_arg *next_arg(struct parse *p, struct frame *l)
{
	if (l->pos == l->count) {
		p->error = "Missing search key argument";
		return NULL;
	}
	return &l->args[l->pos++];
}

/* RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer,
 * entry-name = DQUOTE "/flags/" attr-flag DQUOTE, entry-type-req = "priv" /
 * "shared" / "all". The entry is checked and ignored: a message has one
 * modseq here, which the RFC allows to stand for every entry. */
static bool parse_modseq(struct parse *p, struct frame *l, struct search_node *node)
{
	const struct imap_arg *arg = next_arg(p, l);

	if (arg == NULL)
		return false;
	if (arg->type == IMAP_ARG_QUOTED) {
		if (arg->len <= 7 || strncasecmp(arg->str, "/flags/", 7) != 0 ||
		    memchr(arg->str, '\0', arg->len) != NULL) {
			p->error = "Invalid MODSEQ entry name";
			return false;
		}
		arg = next_arg(p, l);
		if (arg == NULL)
			return false;
		if (!imap_arg_is_atom(arg, "PRIV") && !imap_arg_is_atom(arg, "SHARED") &&
		    !imap_arg_is_atom(arg, "ALL")) {
			p->error = "Invalid MODSEQ entry type";
			return false;
		}
		arg = next_arg(p, l);
		if (arg == NULL)
			return false;
	}
	if (!parse_number(arg, false, SEARCH_NUMBER64_MAX, &node->u.number)) {
		p->error = "Invalid MODSEQ value";
		return false;
	}
	p->q->uses_modseq = true;
	return true;
}

static bool add_text(struct parse *p, enum search_text_kind kind, const char *field,
		     const char *value, size_t len, struct search_node *node)
{
	if (p->text_count == SEARCH_TEXT_KEYS_MAX) {
		p->error = "Too many text search keys";
		return false;
	}
	struct text_item *t = arena_alloc(p->arena, sizeof(*t));
	t->key.kind = kind;
	t->key.field = field;
	t->key.value = value;
	t->key.value_len = len;
	*p->texts_tail = t;
	p->texts_tail = &t->next;
	node->u.index = p->text_count++;
	return true;
}

/* Reads the arguments of a leaf key from the list frame l. */
static bool parse_leaf(struct parse *p, const struct key_def *def, struct frame *l,
		       struct search_node *node)
{
	const struct imap_arg *arg;
	const char *s, *field;
	size_t len;

	node->type = def->type;
	p->q->needs |= def->needs;
	switch (def->arg) {
	case A_NONE:
		node->u.flag = def->extra;
		return true;
	case A_TEXT:
		if ((arg = next_arg(p, l)) == NULL || !take_string(p, arg, SEARCH_STRING_MAX, &s, &len))
			return false;
		return add_text(p, (enum search_text_kind)def->extra, NULL, s, len, node);
	case A_HEADER:
		if ((arg = next_arg(p, l)) == NULL ||
		    !take_string(p, arg, SEARCH_HEADER_NAME_MAX, &field, &len))
			return false;
		if (!valid_field_name(field, len)) {
			p->error = "Invalid header field name";
			return false;
		}
		if ((arg = next_arg(p, l)) == NULL || !take_string(p, arg, SEARCH_STRING_MAX, &s, &len))
			return false;
		return add_text(p, SEARCH_TEXT_HEADER, field, s, len, node);
	case A_DATE:
		if ((arg = next_arg(p, l)) == NULL)
			return false;
		if (!parse_date(arg, &node->u.day)) {
			p->error = "Invalid date";
			return false;
		}
		return true;
	case A_NUMBER64:
	case A_NZNUMBER:
		if ((arg = next_arg(p, l)) == NULL)
			return false;
		if (!parse_number(arg, def->arg == A_NZNUMBER,
				  def->arg == A_NZNUMBER ? UINT32_MAX : SEARCH_NUMBER64_MAX,
				  &node->u.number)) {
			p->error = "Invalid number";
			return false;
		}
		return true;
	case A_KEYWORD: {
		if ((arg = next_arg(p, l)) == NULL || !take_string(p, arg, SEARCH_STRING_MAX, &s, &len))
			return false;
		struct name_item *k = arena_alloc(p->arena, sizeof(*k));
		k->name = s;
		*p->names_tail = k;
		p->names_tail = &k->next;
		node->u.index = p->name_count++;
		return true;
	}
	case A_UIDSET:
		if ((arg = next_arg(p, l)) == NULL)
			return false;
		return parse_set(p, arg, node, true);
	case A_MODSEQ:
		return parse_modseq(p, l, node);
	case A_OBJECTID:
		if ((arg = next_arg(p, l)) == NULL || !take_string(p, arg, SEARCH_STRING_MAX, &s, &len))
			return false;
		if (!valid_objectid(s, len)) {
			p->error = "Invalid object id";
			return false;
		}
		node->u.str = s;
		return true;
	case A_NOT:
	case A_OR:
		break;
	}
	p->error = "Invalid search key";
	return false;
}

static struct search_node *new_node(struct parse *p, struct frame *parent)
{
	if (p->node_count == SEARCH_KEYS_MAX)
		return NULL;
	p->node_count++;

	struct search_node *n = arena_alloc(p->arena, sizeof(*n));
	n->parent = parent->node;
	if (parent->last == NULL)
		parent->node->first = n;
	else
		parent->last->next = n;
	parent->last = n;
	return n;
}

/* Reads keys from args[0..count) into q->root, iteratively: frames[] holds
 * the open lists and the NOT / OR still waiting for operands. */
static enum search_parse_result parse_keys(struct parse *p, const struct imap_arg *args,
					   unsigned int count)
{
	struct frame frames[SEARCH_DEPTH_MAX + 1];
	unsigned int top = 0;
	int cur_list = 0;

	p->q->root = arena_alloc(p->arena, sizeof(*p->q->root));
	p->q->root->type = N_AND;
	p->node_count = 1;
	frames[0] = (struct frame){ .kind = F_LIST, .node = p->q->root, .args = args,
				    .count = count, .prev_list = -1 };
	for (;;) {
		struct frame *f = &frames[top];

		if (f->kind == F_LIST ? f->pos == f->count : f->remaining == 0) {
			if (f->kind == F_LIST) {
				if (f->node->first == NULL)
					return bad(p, top == 0 ? "Missing search key"
								: "Empty search key list");
				cur_list = f->prev_list;
			}
			if (top == 0)
				return SEARCH_PARSE_OK;
			top--;
			continue;
		}

		struct frame *l = &frames[cur_list];
		if (l->pos == l->count)
			return bad(p, "Missing operand of NOT or OR");
		const struct imap_arg *arg = &l->args[l->pos++];
		if (f->kind != F_LIST)
			f->remaining--;
		struct search_node *node = new_node(p, f);
		if (node == NULL)
			return bad(p, "Too many search keys");

		const struct key_def *def = NULL;
		if (arg->type == IMAP_ARG_ATOM) {
			char c = arg->str[0];

			if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
				if (!parse_set(p, arg, node, false))
					return SEARCH_PARSE_BAD;
				continue;
			}
			def = key_find(arg->str);
			if (def == NULL)
				return bad(p, "Unknown search key");
		} else if (arg->type != IMAP_ARG_LIST) {
			return bad(p, "Invalid search key");
		}

		if (arg->type == IMAP_ARG_LIST || def->arg == A_NOT || def->arg == A_OR) {
			if (top == SEARCH_DEPTH_MAX)
				return bad(p, "Search keys nested too deeply");
			struct frame *n = &frames[++top];
			*n = (struct frame){ .node = node };
			if (arg->type == IMAP_ARG_LIST) {
				node->type = N_AND;
				n->kind = F_LIST;
				n->args = arg->list;
				n->count = arg->list_count;
				n->prev_list = cur_list;
				cur_list = (int)top;
			} else {
				node->type = def->type;
				n->kind = def->arg == A_NOT ? F_NOT : F_OR;
				n->remaining = def->arg == A_NOT ? 1 : 2;
			}
			continue;
		}
		if (!parse_leaf(p, def, l, node))
			return SEARCH_PARSE_BAD;
	}
}

static enum search_parse_result parse_charset(struct parse *p, const struct imap_arg *arg)
{
	if (arg->type == IMAP_ARG_LIST || arg->literal8 || arg->streamed ||
	    imap_arg_astring(arg) == NULL)
		return bad(p, "Invalid charset");
	if (strcasecmp(arg->str, "UTF-8") == 0) {
		p->q->utf8 = true;
	} else if (strcasecmp(arg->str, "US-ASCII") == 0) {
		p->q->utf8 = false;
	} else {
		p->error = "Unsupported charset";
		return SEARCH_PARSE_BADCHARSET;
	}
	return SEARCH_PARSE_OK;
}

enum search_parse_result search_query_parse_program(struct search_query *q,
						    const struct imap_arg *args,
						    unsigned int count, bool charset_keyword,
						    const char **error_r)
{
	struct parse p = { .q = q, .arena = q->arena };
	enum search_parse_result r = SEARCH_PARSE_OK;
	unsigned int pos = 0;

	p.texts_tail = &p.texts;
	p.names_tail = &p.names;
	*error_r = NULL;
	q->utf8 = true;     /* RFC 9051 §6.4.4: the default is UTF-8 */
	if (!charset_keyword) {
		if (count == 0) {
			*error_r = "Missing charset";
			return SEARCH_PARSE_BAD;
		}
		r = parse_charset(&p, &args[pos++]);
	} else if (count > 0 && imap_arg_is_atom(&args[0], "CHARSET")) {
		if (count < 2) {
			*error_r = "Missing charset";
			return SEARCH_PARSE_BAD;
		}
		r = parse_charset(&p, &args[1]);
		pos = 2;
	}
	if (r == SEARCH_PARSE_OK)
		r = parse_keys(&p, args + pos, count - pos);
	if (r != SEARCH_PARSE_OK) {
		*error_r = p.error;
		return r;
	}

	struct search_text_key *texts = arena_alloc(q->arena, sizeof(*texts) * (p.text_count + 1));
	unsigned int i = 0;
	for (struct text_item *t = p.texts; t != NULL; t = t->next)
		texts[i++] = t->key;
	q->text_keys = texts;
	q->text_key_count = p.text_count;

	const char **names = arena_alloc(q->arena, sizeof(*names) * (p.name_count + 1));
	i = 0;
	for (struct name_item *k = p.names; k != NULL; k = k->next)
		names[i++] = k->name;
	q->keywords = names;
	q->keyword_count = p.name_count;
	q->keyword_masks = arena_alloc(q->arena, sizeof(uint64_t) * (p.name_count + 1));
	return SEARCH_PARSE_OK;
}

enum search_parse_result search_query_parse_return(struct search_query *q,
						   const struct imap_arg *args, unsigned int count,
						   unsigned int *pos, const char **error_r)
{
	static const struct { const char *name; unsigned int bit; } opts[] = {
		{ "MIN", SEARCH_RETURN_MIN }, { "MAX", SEARCH_RETURN_MAX },
		{ "ALL", SEARCH_RETURN_ALL }, { "COUNT", SEARCH_RETURN_COUNT },
		{ "SAVE", SEARCH_RETURN_SAVE },
	};

	*error_r = NULL;
	if (*pos >= count || !imap_arg_is_atom(&args[*pos], "RETURN"))
		return SEARCH_PARSE_OK;
	if (*pos + 1 >= count || args[*pos + 1].type != IMAP_ARG_LIST) {
		*error_r = "RETURN needs a list of options";
		return SEARCH_PARSE_BAD;
	}
	const struct imap_arg *list = &args[*pos + 1];
	for (unsigned int i = 0; i < list->list_count; i++) {
		unsigned int bit = 0;

		for (size_t j = 0; j < sizeof(opts) / sizeof(opts[0]) && bit == 0; j++) {
			if (imap_arg_is_atom(&list->list[i], opts[j].name))
				bit = opts[j].bit;
		}
		if (bit == 0) {
			*error_r = "Unknown RETURN option";
			return SEARCH_PARSE_BAD;
		}
		q->return_opts |= bit;
	}
	/* RFC 4731 §3.1: an empty list means ALL. */
	if (q->return_opts == 0)
		q->return_opts = SEARCH_RETURN_ALL;
	q->return_given = true;
	*pos += 2;
	return SEARCH_PARSE_OK;
}

enum search_parse_result search_query_parse(const struct imap_arg *args, unsigned int count,
					    struct arena *arena, struct search_query **query_r,
					    const char **error_r)
{
	struct search_query *q = search_query_new(arena);
	unsigned int pos = 0;
	enum search_parse_result r;

	*query_r = NULL;
	r = search_query_parse_return(q, args, count, &pos, error_r);
	if (r == SEARCH_PARSE_OK)
		r = search_query_parse_program(q, args + pos, count - pos, true, error_r);
	if (r == SEARCH_PARSE_OK)
		*query_r = q;
	return r;
}

void search_query_bind_keywords(struct search_query *q, const char *const *keywords,
				unsigned int count)
{
	if (count > 64)
		count = 64;
	for (unsigned int i = 0; i < q->keyword_count; i++) {
		q->keyword_masks[i] = 0;
		for (unsigned int j = 0; j < count; j++) {
			if (strcasecmp(q->keywords[i], keywords[j]) == 0) {
				q->keyword_masks[i] = (uint64_t)1 << j;
				break;
			}
		}
	}
}

/* ---- evaluation ---- */

/* Pre-order successor of n in the whole tree, or NULL at the end. */
static struct search_node *node_successor(struct search_node *n)
{
	if (n->first != NULL)
		return n->first;
	while (n != NULL && n->next == NULL)
		n = n->parent;
	return n == NULL ? NULL : n->next;
}

void search_query_prepare(struct search_query *q, const struct search_context *ctx)
{
	for (struct search_node *n = q->root; n != NULL; n = node_successor(n)) {
		if (n->type == N_SEQSET)
			seqset_resolve(&n->u.set, ctx->max_seq);
		else if (n->type == N_UIDSET)
			seqset_resolve(&n->u.set, ctx->max_uid);
	}
	q->prepared = true;
}

static bool saved_contains(const struct search_context *ctx, uint32_t uid)
{
	return ctx->saved_uids != NULL &&
		sorted_u32_contains(ctx->saved_uids, ctx->saved_count, uid);
}

/* OLDER / YOUNGER (RFC 5032 §3): YOUNGER n is "within the last n seconds",
 * now - n <= internaldate; OLDER n is the rest. */
static bool younger(const struct search_message *m, const struct search_context *ctx,
		    uint64_t seconds)
{
	return (int64_t)m->internaldate >= (int64_t)ctx->now - (int64_t)seconds;
}

static bool eval_leaf(const struct search_query *q, const struct search_node *n,
		      const struct search_message *m, const struct search_context *ctx)
{
	int64_t day;

	switch (n->type) {
	case N_ALL:
		return true;
	case N_FLAG:
		return (m->flags & n->u.flag) != 0;
	case N_UNFLAG:
		return (m->flags & n->u.flag) == 0;
	case N_RECENT:
		return m->recent;
	case N_NEW:
		return m->recent && (m->flags & STORE_FLAG_SEEN) == 0;
	case N_OLD:
		return !m->recent;
	case N_KEYWORD:
		return (m->keywords & q->keyword_masks[n->u.index]) != 0;
	case N_UNKEYWORD:
		return (m->keywords & q->keyword_masks[n->u.index]) == 0;
	case N_LARGER:
		return m->size > n->u.number;
	case N_SMALLER:
		return m->size < n->u.number;
	case N_BEFORE:
	case N_ON:
	case N_SINCE:
		/* RFC 9051 §6.4.4: the date of INTERNALDATE, time disregarded;
		 * read in the zone INTERNALDATE carries, so the key agrees with
		 * the date the client is shown. */
		day = search_day(m->internaldate, m->internaldate_zone);
		return n->type == N_BEFORE ? day < n->u.day :
			n->type == N_ON ? day == n->u.day : day >= n->u.day;
	case N_SENTBEFORE:
	case N_SENTON:
	case N_SENTSINCE:
		/* No Date: (or one that does not parse) is the epoch, as in
		 * Dovecot 2.3 (observed with tests/diff's harness: SENTON
		 * 1-Jan-1970 finds it, SENTSINCE 1-Jan-1970 and SENTBEFORE any
		 * later day too); RFC 9051 §6.4.4 leaves it open. */
		day = m->sent_day != SEARCH_DAY_NONE ? m->sent_day : search_day(0, 0);
		return n->type == N_SENTBEFORE ? day < n->u.day :
			n->type == N_SENTON ? day == n->u.day : day >= n->u.day;
	case N_SAVEDBEFORE:
	case N_SAVEDON:
	case N_SAVEDSINCE:
		day = m->has_savedate ? search_day(m->savedate, m->savedate_zone) :
			search_day(m->internaldate, m->internaldate_zone);
		return n->type == N_SAVEDBEFORE ? day < n->u.day :
			n->type == N_SAVEDON ? day == n->u.day : day >= n->u.day;
	case N_SAVEDATESUPPORTED:
		return ctx->savedate_supported;
	case N_OLDER:
		return !younger(m, ctx, n->u.number);
	case N_YOUNGER:
		return younger(m, ctx, n->u.number);
	case N_MODSEQ:
		return m->modseq >= n->u.number;
	case N_EMAILID:
		return m->emailid != NULL && strcmp(m->emailid, n->u.str) == 0;
	case N_THREADID:
		return m->threadid != NULL && strcmp(m->threadid, n->u.str) == 0;
	case N_SEQSET:
		return seqset_contains(&n->u.set, m->seq);
	case N_UIDSET:
		return seqset_contains(&n->u.set, m->uid);
	case N_SAVED:
		return saved_contains(ctx, m->uid);
	case N_TEXT:
		return ctx->text_match != NULL && ctx->text_match(ctx->text_ctx, n->u.index, m);
	case N_AND:
	case N_OR:
	case N_NOT:
		break;
	}
	abort();
}

bool search_query_match(const struct search_query *q, const struct search_message *m,
			const struct search_context *ctx)
{
	const struct search_node *n = q->root;
	bool v;

	if (!q->prepared)
		abort();    /* '*' would be read as 4294967295 */
	for (;;) {
		/* Every AND, OR and NOT has at least one child. */
		while (n->type == N_AND || n->type == N_OR || n->type == N_NOT)
			n = n->first;
		v = eval_leaf(q, n, m, ctx);
		/* Climb while the parent's value is settled. */
		for (;;) {
			const struct search_node *parent = n->parent;

			if (parent == NULL)
				return v;
			if (parent->type == N_NOT) {
				v = !v;
			} else if (n->next != NULL && v == (parent->type == N_AND)) {
				n = n->next;    /* AND still true / OR still false */
				break;
			}
			n = parent;
		}
	}
}

static void bound_range(uint32_t *lo, uint32_t *hi, uint32_t range_lo, uint32_t range_hi)
{
	if (range_lo > *lo)
		*lo = range_lo;
	if (range_hi < *hi)
		*hi = range_hi;
}

void search_query_bounds(const struct search_query *q, const struct search_context *ctx,
			 struct search_bounds *b)
{
	const struct search_node *n = q->root->first;

	*b = (struct search_bounds){ .seq_lo = 1, .seq_hi = UINT32_MAX,
				     .uid_lo = 1, .uid_hi = UINT32_MAX };
	/* Only keys every match must satisfy: the top-level AND and the lists
	 * directly inside it, walked without recursion. */
	while (n != NULL) {
		if (n->type == N_AND) {
			n = n->first;
			continue;
		}
		if ((n->type == N_SEQSET || n->type == N_UIDSET) && q->prepared &&
		    n->u.set.count > 0) {
			const struct seqset *s = &n->u.set;

			if (n->type == N_SEQSET)
				bound_range(&b->seq_lo, &b->seq_hi, s->ranges[0].lo,
					    s->ranges[s->count - 1].hi);
			else
				bound_range(&b->uid_lo, &b->uid_hi, s->ranges[0].lo,
					    s->ranges[s->count - 1].hi);
		} else if (n->type == N_SAVED) {
			if (ctx->saved_uids == NULL || ctx->saved_count == 0)
				b->empty = true;
			else
				bound_range(&b->uid_lo, &b->uid_hi, ctx->saved_uids[0],
					    ctx->saved_uids[ctx->saved_count - 1]);
		}
		while (n != q->root && n->next == NULL)
			n = n->parent;
		n = n == q->root ? NULL : n->next;
	}
	if (b->seq_lo > b->seq_hi || b->uid_lo > b->uid_hi)
		b->empty = true;
}

/* ---- responses ---- */

static uint64_t max_modseq(const uint64_t *modseqs, uint32_t from, uint32_t to)
{
	uint64_t max = 0;

	for (uint32_t i = from; i < to; i++) {
		if (modseqs[i] > max)
			max = modseqs[i];
	}
	return max;
}

bool search_query_format(const struct search_query *q, const struct search_format *f,
			 const uint32_t *numbers, const uint64_t *modseqs, uint32_t count,
			 struct resp_out *out)
{
	bool modseq = q->uses_modseq && modseqs != NULL && count > 0;

	if (!q->return_given && !(f->imap4rev2 && !f->sort)) {
		resp_str(out, f->sort ? "* SORT" : "* SEARCH");
		for (uint32_t i = 0; i < count; i++)
			resp_printf(out, " %" PRIu32, numbers[i]);
		/* RFC 7162 §3.1.5: the highest modseq of the messages returned. */
		if (modseq)
			resp_printf(out, " (MODSEQ %" PRIu64 ")", max_modseq(modseqs, 0, count));
		return true;
	}

	unsigned int opts = q->return_given ? q->return_opts : SEARCH_RETURN_ALL;
	if ((opts & ~(unsigned int)SEARCH_RETURN_SAVE) == 0)
		return false;    /* RFC 5182 §2.4: SAVE alone answers nothing */

	/* RFC 4731 §3.1 search-correlator: tag-string is a string; a tag
	 * cannot hold '"' or '\', escaped anyway. */
	resp_str(out, "* ESEARCH (TAG \"");
	for (const char *t = f->tag != NULL ? f->tag : ""; *t != '\0'; t++) {
		if (*t == '"' || *t == '\\')
			resp_str(out, "\\");
		resp_append(out, t, 1);
	}
	resp_str(out, "\")");
	if (f->uid)
		resp_str(out, " UID");
	if (count > 0 && (opts & SEARCH_RETURN_MIN) != 0)
		resp_printf(out, " MIN %" PRIu32, numbers[0]);
	if (count > 0 && (opts & SEARCH_RETURN_MAX) != 0)
		resp_printf(out, " MAX %" PRIu32, numbers[count - 1]);
	if ((opts & SEARCH_RETURN_COUNT) != 0)
		resp_printf(out, " COUNT %" PRIu32, count);
	if (count > 0 && (opts & SEARCH_RETURN_ALL) != 0) {
		resp_str(out, " ALL ");
		resp_uid_set(out, numbers, count);
	}
	if (modseq) {
		/* RFC 7162 §3.1.5: of the messages returned; COUNT counts them
		 * all, MIN and MAX alone return just those. */
		uint64_t max;

		if ((opts & (SEARCH_RETURN_ALL | SEARCH_RETURN_COUNT)) != 0) {
			max = max_modseq(modseqs, 0, count);
		} else {
			max = 0;
			if ((opts & SEARCH_RETURN_MIN) != 0)
				max = modseqs[0];
			if ((opts & SEARCH_RETURN_MAX) != 0 && modseqs[count - 1] > max)
				max = modseqs[count - 1];
		}
		resp_printf(out, " MODSEQ %" PRIu64, max);
	}
	return true;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t search_query_save(const struct search_query *q, const uint32_t *uids, uint32_t count,
			   uint32_t *saved_r)
{
	unsigned int opts = q->return_opts;
	uint32_t n = 0;

	if ((opts & SEARCH_RETURN_SAVE) == 0 || count == 0)
		return 0;
	if ((opts & (SEARCH_RETURN_ALL | SEARCH_RETURN_COUNT)) != 0 ||
	    (opts & (SEARCH_RETURN_MIN | SEARCH_RETURN_MAX)) == 0) {
		memcpy(saved_r, uids, sizeof(*uids) * count);
		n = count;
	} else {
		if ((opts & SEARCH_RETURN_MIN) != 0)
			saved_r[n++] = uids[0];
		if ((opts & SEARCH_RETURN_MAX) != 0 && (n == 0 || count > 1))
			saved_r[n++] = uids[count - 1];
	}
	qsort(saved_r, n, sizeof(*saved_r), u32_cmp);
	return n;
}
