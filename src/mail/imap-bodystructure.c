/* BODY / BODYSTRUCTURE. Each part's header fields are read once, when the
 * parser hands the header over, and rendered to their final IMAP text
 * right away (only those strings are kept); writing then walks the part
 * tree in pre-order through parent pointers, with no recursion and no
 * stack, and looks each part's strings up in a hash table.
 *
 * Field rules follow Dovecot 2.3 (checked against it):
 * - Content-* fields count only in a MIME part: a multipart's child, or a
 *   message (top or nested) with MIME-Version or Content-Type. Otherwise
 *   the part is text/plain; charset=us-ascii, 7bit, whatever it says.
 * - Content-Type, -Transfer-Encoding, -ID, -Description, -MD5, -Language
 *   and -Location: the first field counts; Content-Disposition: the last.
 * - Types and parameters keep their case; a text part without a charset
 *   gets ("charset" "us-ascii") appended; RFC 2231 continuations are
 *   joined but not decoded ("title*" "us-ascii'en'a%20b").
 * - A multipart or message/rfc822 that was not split (nesting or part
 *   limits) is written as application/octet-stream with its parameters.
 */
#include "mail/imap-bodystructure.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "mail/address.h"
#include "mail/header.h"
#include "mail/imap-envelope.h"
#include "mail/imap-string.h"

enum bs_kind {
	BS_LEAF,
	BS_MULTIPART,   /* children, or one empty stand-in part when none */
	BS_RFC822,      /* one child, the nested message, or an empty stand-in */
};

struct bs_part {
	const struct message_part *part;
	enum bs_kind kind;
	bool text;              /* a text leaf: its line count is written */
	const char *fields;     /* leaf, rfc822: "type" "subtype" params id description encoding */
	const char *subtype;    /* multipart: "subtype" */
	const char *ext;        /* leaf, rfc822: md5 disposition language location;
				 * multipart: params disposition language location */
	const char *envelope;   /* the root of a nested message: its ENVELOPE */
};

struct imap_bodystructure {
	struct arena *arena;
	struct bs_part **table;     /* open addressing, keyed by part pointer */
	unsigned int table_size, count;
	size_t used;                /* bytes of rendered strings */
};

/* Bytes of the parser's type and subtype used for a part past the field
 * budget: real ones are short, and this keeps such a part small. */
#define TYPE_MAX 64

/* Written for a nested message that has no parsed parts and for an empty
 * multipart, as Dovecot does. */
static const char empty_envelope[] = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
static const char default_fields[] =
	"\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\"";
static const char default_ext[] = "NIL NIL NIL NIL";

/* ---- the part table ---- */

static unsigned int slot_of(const struct message_part *part, unsigned int size)
{
	uint64_t h = (uint64_t)(uintptr_t)part;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (unsigned int)(h & (size - 1));
}

static void table_put(struct imap_bodystructure *bs, struct bs_part *rec)
{
	if ((bs->count + 1) * 2 > bs->table_size) {
		/* Doubling in the arena wastes the old tables: at most as much
		 * as the final one. */
		unsigned int size = bs->table_size * 2;
		struct bs_part **t = arena_alloc(bs->arena, size * sizeof(*t));

		for (unsigned int i = 0; i < bs->table_size; i++) {
			if (bs->table[i] == NULL)
				continue;
			unsigned int s = slot_of(bs->table[i]->part, size);

			while (t[s] != NULL)
				s = (s + 1) & (size - 1);
			t[s] = bs->table[i];
		}
		bs->table = t;
		bs->table_size = size;
	}
	unsigned int s = slot_of(rec->part, bs->table_size);

	while (bs->table[s] != NULL) {
		if (bs->table[s]->part == rec->part) {
			bs->table[s] = rec;   /* a second call for a part replaces the first */
			return;
		}
		s = (s + 1) & (bs->table_size - 1);
	}
	bs->table[s] = rec;
	bs->count++;
}

static const struct bs_part *table_get(const struct imap_bodystructure *bs,
				       const struct message_part *part)
{
	unsigned int s = slot_of(part, bs->table_size);

	while (bs->table[s] != NULL) {
		if (bs->table[s]->part == part)
			return bs->table[s];
		s = (s + 1) & (bs->table_size - 1);
	}
	return NULL;
}

struct imap_bodystructure *imap_bodystructure_create(struct arena *arena)
{
	struct imap_bodystructure *bs = arena_alloc(arena, sizeof(*bs));

	bs->arena = arena;
	bs->table_size = 16;
	bs->table = arena_alloc(arena, bs->table_size * sizeof(*bs->table));
	return bs;
}

/* ---- parameters (RFC 2045 §5.1, RFC 2231 §3-4 as Dovecot joins them) ---- */

struct param {
	char *key, *value;
	/* RFC 2231 names: "base*idx" or "base*idx*" (extended); "base*" is
	 * extended section 0 */
	char *base;
	unsigned int idx;
	bool star, ext;
	unsigned int order;
};

struct params {
	struct param *v;
	unsigned int n, cap;
};

static void params_add(struct params *ps, const char *key, size_t klen, const char *value,
		       size_t vlen)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap > 0 ? ps->cap * 2 : 8;
		ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	struct param *p = &ps->v[ps->n];

	memset(p, 0, sizeof(*p));
	p->key = xstrndup(key, klen);
	p->value = xstrndup(value, vlen);
	p->order = ps->n++;
}

static void params_free(struct params *ps)
{
	for (unsigned int i = 0; i < ps->n; i++) {
		free(ps->v[i].key);
		free(ps->v[i].value);
		free(ps->v[i].base);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* One "; attr=value"; 0 at the end, -1 when it cannot be read. */
static int param_read(struct rfc822_lexer *lx, struct buf *key, struct buf *value)
{
	int r;

	buf_clear(key);
	buf_clear(value);
	if (lx->p >= lx->end)
		return 0;
	if (*lx->p != ';')
		return -1;
	lx->p++;
	if (rfc822_skip_cfws(lx) <= 0)
		return -1;
	if (rfc822_read_mime_token(lx, key) <= 0 || *lx->p != '=')
		return -1;
	lx->p++;
	r = rfc822_skip_cfws(lx);
	if (r <= 0) {
		/* no value: "" */
	} else if (*lx->p == '"') {
		r = rfc822_read_quoted(lx, value);
	} else if (*lx->p == '=') {
		/* name==?utf-8?q?...?= from broken mailers: all of it */
		const unsigned char *start = lx->p;

		while (lx->p < lx->end && *lx->p != ';' && *lx->p != ' ' && *lx->p != '\t' &&
		       *lx->p != '\r' && *lx->p != '\n' && *lx->p != '\0')
			lx->p++;
		buf_append(value, start, (size_t)(lx->p - start));
		r = rfc822_skip_cfws(lx);
	} else {
		r = rfc822_read_mime_token(lx, value);
	}
	return r < 0 ? -1 : 1;
}

/* Reads the parameters after a type; unreadable ones are skipped a byte
 * at a time up to the next ';', as Dovecot recovers. */
static void params_parse(struct rfc822_lexer *lx, size_t max, struct params *ps)
{
	struct buf key, value;
	int r;

	buf_init(&key, max);
	buf_init(&value, max);
	while ((r = param_read(lx, &key, &value)) != 0) {
		if (r < 0) {
			if (lx->p >= lx->end)
				break;
			lx->p++;
			continue;
		}
		if (ps->n < IMAP_BODYSTRUCTURE_PARAMS_MAX)
			params_add(ps, key.data != NULL ? key.data : "", key.len,
				   value.data != NULL ? value.data : "", value.len);
	}
	buf_free(&key);
	buf_free(&value);
}

/* Splits an RFC 2231 name; false for a plain one (or a malformed one,
 * which is kept as it is). *idx carries over from one name to the next:
 * Dovecot gives a bare "name*" the section number of the last name with
 * a '*' it read (0 at first), and so does this. */
static bool param_classify(struct param *p, unsigned int *idx)
{
	const char *star = strchr(p->key, '*');

	if (star == NULL)
		return false;
	const char *q = star + 1;

	if (*q != '\0') {
		unsigned long n = 0;

		for (; *q >= '0' && *q <= '9'; q++) {
			n = n * 10 + (unsigned long)(*q - '0');
			if (n > 100000)
				n = 100000;   /* no section is that far; keeps the sort sane */
		}
		*idx = (unsigned int)n;
	}
	if (q == star + 1 && *q == '\0') {
		p->ext = true;   /* "name*": the '*' says extended */
	} else if (*q == '*') {
		p->ext = true;
		q++;
	}
	if (*q != '\0')
		return false;
	p->star = true;
	p->idx = *idx;
	p->base = xstrndup(p->key, (size_t)(star - p->key));
	return true;
}

static int param_cmp(const void *a, const void *b)
{
	const struct param *x = *(const struct param *const *)a, *y = *(const struct param *const *)b;
	int c = strcmp(x->base, y->base);

	if (c != 0)
		return c;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void append_percent_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%')
			buf_append_str(b, "%25");
		else
			buf_append_char(b, *s);
	}
}

/* The parameter list as Dovecot builds it: plain parameters in their
 * order, then the RFC 2231 ones sorted by name and section, each name's
 * sections joined when they run 0, 1, 2, ... without a gap or repeat
 * (names compared case-insensitively), else kept one by one. A text part
 * without a charset gets one. */
static void params_join(struct params *ps, bool text, size_t max, struct params *final)
{
	struct param **star = xmalloc((ps->n > 0 ? ps->n : 1) * sizeof(*star));
	unsigned int nstar = 0;
	bool charset = false;
	struct buf key, value;
	unsigned int idx = 0;

	buf_init(&key, max);
	buf_init(&value, max);
	for (unsigned int i = 0; i < ps->n; i++) {
		struct param *p = &ps->v[i];

		if (param_classify(p, &idx)) {
			star[nstar++] = p;
			continue;
		}
		params_add(final, p->key, strlen(p->key), p->value, strlen(p->value));
		charset = charset || strcasecmp(p->key, "charset") == 0;
	}
	qsort(star, nstar, sizeof(*star), param_cmp);
	for (unsigned int i = 0; i < nstar;) {
		unsigned int j = i + 1;
		bool joined = star[i]->idx == 0, any_ext = star[i]->ext;

		while (j < nstar && strcasecmp(star[j]->base, star[i]->base) == 0) {
			if (star[j]->idx != j - i)
				joined = false;
			any_ext = any_ext || star[j]->ext;
			j++;
		}
		if (joined) {
			buf_clear(&key);
			buf_clear(&value);
			buf_append_str(&key, star[i]->base);
			if (any_ext)
				buf_append_char(&key, '*');
			for (unsigned int k = i; k < j; k++) {
				if (!any_ext || star[k]->ext) {
					buf_append_str(&value, star[k]->value);
					continue;
				}
				/* a plain section inside an extended value */
				if (k == i)
					buf_append_str(&value, "''");
				append_percent_escaped(&value, star[k]->value);
			}
			params_add(final, key.data, key.len, value.data != NULL ? value.data : "",
				   value.len);
			charset = charset || strcasecmp(key.data, "charset") == 0;
		} else {
			for (unsigned int k = i; k < j; k++) {
				buf_clear(&key);
				buf_printf(&key, "%s*%u%s", star[k]->base, star[k]->idx,
					   star[k]->ext ? "*" : "");
				params_add(final, key.data, key.len, star[k]->value,
					   strlen(star[k]->value));
			}
		}
		i = j;
	}
	if (text && !charset)
		params_add(final, "charset", 7, "us-ascii", 8);
	buf_free(&key);
	buf_free(&value);
	free(star);
}

/* ("key" "value" ...) or NIL */
static void params_write(struct buf *out, const struct params *ps)
{
	if (ps->n == 0) {
		buf_append_str(out, "NIL");
		return;
	}
	for (unsigned int i = 0; i < ps->n; i++) {
		buf_append_char(out, i == 0 ? '(' : ' ');
		imap_write_string(out, ps->v[i].key, strlen(ps->v[i].key));
		buf_append_char(out, ' ');
		imap_write_string(out, ps->v[i].value, strlen(ps->v[i].value));
	}
	buf_append_char(out, ')');
}

/* ---- header fields ---- */

struct field {
	const char *v;      /* NULL: absent */
	size_t len;
};

enum mime_field {
	F_TYPE, F_ENCODING, F_ID, F_DESCRIPTION, F_MD5, F_LANGUAGE, F_LOCATION, F_DISPOSITION,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"type", "transfer-encoding", "id", "description", "md5", "language", "location",
	"disposition",
};

struct part_header {
	bool mime_version;
	struct field f[F_COUNT];
};

static void header_scan(struct arena *arena, const char *header, size_t size,
			struct part_header *h)
{
	struct header_iter it;
	struct header_field hf;

	memset(h, 0, sizeof(*h));
	header_iter_init(&it, header, size);
	while (header_iter_next(&it, &hf)) {
		if (hf.name_len == 12 && strncasecmp(hf.name, "mime-version", 12) == 0) {
			h->mime_version = true;
			continue;
		}
		if (hf.name_len <= 8 || strncasecmp(hf.name, "content-", 8) != 0)
			continue;
		for (unsigned int i = 0; i < F_COUNT; i++) {
			size_t n = strlen(field_names[i]);

			if (hf.name_len - 8 != n || strncasecmp(hf.name + 8, field_names[i], n) != 0)
				continue;
			if (h->f[i].v == NULL || i == F_DISPOSITION)
				imap_header_value(arena, &hf, &h->f[i].v, &h->f[i].len);
			break;
		}
	}
}

/* Content-Type as Dovecot reads it: a type with nothing after it is kept
 * with an empty subtype; anything else malformed gives "" "" and no
 * parameters. Returns true when parameters follow. */
static bool content_type_parse(struct rfc822_lexer *lx, struct buf *type, struct buf *subtype)
{
	int r;

	if (rfc822_skip_cfws(lx) <= 0)
		return false;
	r = rfc822_read_mime_token(lx, type);
	if (type->len == 0 || r <= 0)
		return false;
	if (*lx->p != '/' || (lx->p++, rfc822_skip_cfws(lx) <= 0)) {
		buf_clear(type);
		return false;
	}
	r = rfc822_read_mime_token(lx, subtype);
	if (subtype->len == 0 || r < 0 || (r > 0 && *lx->p != ';')) {
		buf_clear(type);
		buf_clear(subtype);
		return false;
	}
	return true;
}

static bool buf_equals(const struct buf *b, const char *s)
{
	return b->len == strlen(s) && (b->len == 0 || strncasecmp(b->data, s, b->len) == 0);
}

static void write_nolf_field(struct buf *out, const struct field *f)
{
	imap_write_nstring_nolf(out, f->v, f->len);
}

/* Content-Disposition: ("type" params), NIL when absent. */
static void write_disposition(struct buf *out, const struct field *f, size_t max)
{
	struct rfc822_lexer lx;
	struct buf type;
	struct params ps = { 0 }, final = { 0 };

	if (f->v == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_init(&type, max);
	rfc822_lexer_init(&lx, f->v, f->len);
	rfc822_skip_cfws(&lx);
	if (rfc822_read_mime_token(&lx, &type) >= 0)
		params_parse(&lx, max, &ps);
	params_join(&ps, false, max, &final);
	buf_append_char(out, '(');
	imap_write_string(out, type.data != NULL ? type.data : "", type.len);
	buf_append_char(out, ' ');
	params_write(out, &final);
	buf_append_char(out, ')');
	params_free(&ps);
	params_free(&final);
	buf_free(&type);
}

/* Content-Language: a comma-separated list of atoms (RFC 3282), written
 * as a list; returns the number of tags (none: NIL was written). */
static unsigned int write_language(struct buf *out, const struct field *f, size_t max)
{
	struct rfc822_lexer lx;
	struct buf tag;
	unsigned int n = 0;

	if (f->v != NULL) {
		buf_init(&tag, max);
		rfc822_lexer_init(&lx, f->v, f->len);
		rfc822_skip_cfws(&lx);
		for (;;) {
			buf_clear(&tag);
			int r = rfc822_read_atom(&lx, &tag);

			if (tag.len == 0)
				break;
			buf_append_str(out, n++ == 0 ? "(" : " ");
			imap_write_string(out, tag.data, tag.len);
			if (r <= 0 || *lx.p != ',')
				break;
			lx.p++;
			if (rfc822_skip_cfws(&lx) <= 0)
				break;
		}
		buf_free(&tag);
	}
	buf_append_str(out, n == 0 ? "NIL" : ")");
	return n;
}

/* Content-Transfer-Encoding: one token and nothing else, or none. */
static void encoding_parse(const struct field *f, struct buf *tok)
{
	struct rfc822_lexer lx;

	if (f->v == NULL)
		return;
	rfc822_lexer_init(&lx, f->v, f->len);
	rfc822_skip_cfws(&lx);
	if (rfc822_read_mime_token(&lx, tok) != 0)
		buf_clear(tok);
}

/* Dovecot writes a message that is one text/plain part with nothing but
 * charset=us-ascii and 7bit as the plain default, whatever the case of
 * what it says ("TEXT/PLAIN; charset=US-ASCII" comes out lower-case). */
static bool is_plain_7bit(const struct buf *type, const struct buf *subtype,
			  const struct params *params, const struct buf *encoding,
			  const struct part_header *h, unsigned int languages)
{
	if (!buf_equals(type, "text") || !buf_equals(subtype, "plain"))
		return false;
	if (params->n > 1 || (params->n == 1 && (strcasecmp(params->v[0].key, "charset") != 0 ||
						 strcasecmp(params->v[0].value, "us-ascii") != 0)))
		return false;
	if (encoding->len > 0 && !buf_equals(encoding, "7bit"))
		return false;
	return h->f[F_ID].v == NULL && h->f[F_DESCRIPTION].v == NULL && h->f[F_MD5].v == NULL &&
	       h->f[F_DISPOSITION].v == NULL && h->f[F_LOCATION].v == NULL && languages == 0;
}

static const char *keep(struct imap_bodystructure *bs, const struct buf *b)
{
	bs->used += b->len;
	return arena_strndup(bs->arena, b->len > 0 ? b->data : "", b->len);
}

static enum bs_kind kind_of(const struct message_part *part, bool ct_ok, bool multipart_type,
			    bool rfc822_type)
{
	if (part->flags & MESSAGE_PART_FLAG_MULTIPART)
		return BS_MULTIPART;
	if (part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822)
		return BS_RFC822;
	if (part->flags & MESSAGE_PART_FLAG_LIMITED)
		return BS_LEAF;
	/* Dovecot's parser takes these types as containers even when it has
	 * nothing to split (no boundary, or the header was cut): written with
	 * an empty stand-in part. */
	if (ct_ok && multipart_type)
		return BS_MULTIPART;
	if (rfc822_type)
		return BS_RFC822;
	return BS_LEAF;
}

void imap_bodystructure_add_header(struct imap_bodystructure *bs, const struct message_part *part,
				   const char *header, size_t size)
{
	struct bs_part *rec = arena_alloc(bs->arena, sizeof(*rec));
	const struct message_part *parent = part->parent;
	struct part_header h;
	/* temporaries: unusual values, the nested envelope;
	 * its first block is allocated only if used */
	struct arena *scratch = arena_create(4096);
	bool over = bs->used > IMAP_BODYSTRUCTURE_FIELDS_MAX;

	rec->part = part;
	if (over || header == NULL)
		size = 0;
	header_scan(scratch, header != NULL ? header : "", size, &h);

	/* Bound for every temporary: nothing read from the header is longer
	 * than the header, a NUL becomes U+FFFD and quoting at most doubles
	 * the rest. */
	size_t max = 4 * size + 256;
	bool mime = (parent != NULL && (parent->flags & MESSAGE_PART_FLAG_MULTIPART)) ||
		    h.mime_version || h.f[F_TYPE].v != NULL;

	if (!mime)
		memset(h.f, 0, sizeof(h.f));   /* Content-* fields do not count */

	struct buf type, subtype, encoding, out;
	struct params ps = { 0 }, params = { 0 };
	bool ct_ok = false;

	buf_init(&type, max);
	buf_init(&subtype, max);
	buf_init(&encoding, max);
	buf_init(&out, IMAP_ENVELOPE_MAX_BYTES(size) + 8 * size + 1024);
	if (h.f[F_TYPE].v != NULL) {
		struct rfc822_lexer lx;

		rfc822_lexer_init(&lx, h.f[F_TYPE].v, h.f[F_TYPE].len);
		ct_ok = content_type_parse(&lx, &type, &subtype);
		if (ct_ok)
			params_parse(&lx, max, &ps);
	} else {
		/* the parser's type: its default (text/plain, or message/rfc822
		 * in a digest), or past the budget what it read, cut short */
		const char *t = part->type != NULL ? part->type : "text";
		const char *st = part->subtype != NULL ? part->subtype : "plain";

		buf_append(&type, t, strnlen(t, TYPE_MAX));
		buf_append(&subtype, st, strnlen(st, TYPE_MAX));
		ct_ok = true;
	}
	encoding_parse(&h.f[F_ENCODING], &encoding);

	bool multipart_type = buf_equals(&type, "multipart");
	bool rfc822_type = buf_equals(&type, "message") && buf_equals(&subtype, "rfc822");

	rec->kind = kind_of(part, ct_ok, multipart_type, rfc822_type);
	rec->text = rec->kind == BS_LEAF && !multipart_type && !rfc822_type &&
		    buf_equals(&type, "text");
	params_join(&ps, rec->text, max, &params);

	/* The extension data first: it decides the plain 7bit case. */
	if (rec->kind == BS_MULTIPART)
		params_write(&out, &params);
	else
		write_nolf_field(&out, &h.f[F_MD5]);
	buf_append_char(&out, ' ');
	write_disposition(&out, &h.f[F_DISPOSITION], max);
	buf_append_char(&out, ' ');
	unsigned int languages = write_language(&out, &h.f[F_LANGUAGE], max);

	buf_append_char(&out, ' ');
	write_nolf_field(&out, &h.f[F_LOCATION]);

	if (parent == NULL && rec->kind == BS_LEAF &&
	    is_plain_7bit(&type, &subtype, &params, &encoding, &h, languages)) {
		rec->fields = default_fields;
		rec->ext = default_ext;
	} else {
		rec->ext = keep(bs, &out);
		buf_clear(&out);
		if (rec->kind == BS_MULTIPART) {
			imap_write_string(&out, subtype.data != NULL ? subtype.data : "", subtype.len);
			rec->subtype = keep(bs, &out);
		} else {
			if (rec->kind == BS_RFC822) {
				buf_append_str(&out, "\"message\" \"rfc822\" ");
			} else if (multipart_type || rfc822_type) {
				/* a multipart or message left unsplit by a limit */
				buf_append_str(&out, "\"application\" \"octet-stream\" ");
			} else {
				imap_write_string(&out, type.data != NULL ? type.data : "", type.len);
				buf_append_char(&out, ' ');
				imap_write_string(&out, subtype.data != NULL ? subtype.data : "",
						  subtype.len);
				buf_append_char(&out, ' ');
			}
			params_write(&out, &params);
			buf_append_char(&out, ' ');
			write_nolf_field(&out, &h.f[F_ID]);
			buf_append_char(&out, ' ');
			write_nolf_field(&out, &h.f[F_DESCRIPTION]);
			buf_append_char(&out, ' ');
			if (encoding.len > 0)
				imap_write_string(&out, encoding.data, encoding.len);
			else
				buf_append_str(&out, "\"7bit\"");
			rec->fields = keep(bs, &out);
		}
	}

	if (parent != NULL && (parent->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822)) {
		buf_clear(&out);
		if (over) {
			buf_append_str(&out, empty_envelope);
		} else {
			imap_envelope_write(scratch, header, size, &out);
		}
		rec->envelope = keep(bs, &out);
	}
	params_free(&ps);
	params_free(&params);
	buf_free(&type);
	buf_free(&subtype);
	buf_free(&encoding);
	buf_free(&out);
	arena_destroy(&scratch);
	table_put(bs, rec);
}

/* ---- writing ---- */

static void write_default_leaf(struct buf *out, bool extended)
{
	buf_append_char(out, '(');
	buf_append_str(out, default_fields);
	buf_append_str(out, " 0 0");
	if (extended) {
		buf_append_char(out, ' ');
		buf_append_str(out, default_ext);
	}
	buf_append_char(out, ')');
}

static const struct bs_part *record(const struct imap_bodystructure *bs,
				    const struct message_part *part, struct bs_part *fallback)
{
	const struct bs_part *rec = table_get(bs, part);

	if (rec != NULL)
		return rec;
	/* never given a header: the defaults, structure from the flags */
	memset(fallback, 0, sizeof(*fallback));
	fallback->part = part;
	fallback->kind = (part->flags & MESSAGE_PART_FLAG_MULTIPART) ? BS_MULTIPART :
			 (part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) ? BS_RFC822 : BS_LEAF;
	fallback->text = fallback->kind == BS_LEAF;
	fallback->fields = fallback->kind == BS_RFC822 ?
		"\"message\" \"rfc822\" NIL NIL NIL \"7bit\"" : default_fields;
	fallback->subtype = "\"mixed\"";
	fallback->ext = default_ext;
	fallback->envelope = empty_envelope;
	return fallback;
}

/* The end of a multipart or message/rfc822 part, after its children. */
static void write_close(const struct imap_bodystructure *bs, const struct message_part *part,
			bool extended, struct buf *out)
{
	struct bs_part fb;
	const struct bs_part *rec = record(bs, part, &fb);

	if (rec->kind == BS_MULTIPART) {
		buf_append_char(out, ' ');
		buf_append_str(out, rec->subtype);
	} else {
		buf_printf(out, " %" PRIu64, part->body_size.lines);
	}
	if (extended) {
		buf_append_char(out, ' ');
		buf_append_str(out, rec->ext);
	}
	buf_append_char(out, ')');
}

void imap_bodystructure_write(const struct imap_bodystructure *bs, const struct message_part *root,
			      bool extended, struct buf *out)
{
	const struct message_part *part = root;

	for (;;) {
		struct bs_part fb;
		const struct bs_part *rec = record(bs, part, &fb);
		bool descend = false;

		buf_append_char(out, '(');
		switch (rec->kind) {
		case BS_MULTIPART:
			if (part->children != NULL) {
				descend = true;
			} else {
				write_default_leaf(out, extended);
				write_close(bs, part, extended, out);
			}
			break;
		case BS_RFC822: {
			const struct message_part *child = part->children;
			struct bs_part cfb;
			const struct bs_part *crec = child != NULL ? record(bs, child, &cfb) : NULL;

			buf_printf(out, "%s %" PRIu64 " %s ", rec->fields, part->body_size.bytes,
				   crec != NULL && crec->envelope != NULL ? crec->envelope :
				   empty_envelope);
			if (child != NULL) {
				descend = true;
			} else {
				write_default_leaf(out, extended);
				write_close(bs, part, extended, out);
			}
			break;
		}
		case BS_LEAF:
			buf_printf(out, "%s %" PRIu64, rec->fields, part->body_size.bytes);
			if (rec->text)
				buf_printf(out, " %" PRIu64, part->body_size.lines);
			if (extended) {
				buf_append_char(out, ' ');
				buf_append_str(out, rec->ext);
			}
			buf_append_char(out, ')');
			break;
		}
		if (descend) {
			part = part->children;
			continue;
		}
		/* Climb to the next sibling, closing each parent left behind. */
		while (part != root && part->next == NULL) {
			part = part->parent;
			write_close(bs, part, extended, out);
		}
		if (part == root)
			return;
		part = part->next;
	}
}
