/* Header fields and MIME parameters. Everything here is iterative and
 * bounded by the input's length: comments nest by a counter, not by
 * recursion, and parameter counts are capped (MIME_PARAMS_MAX). */
#include "mail/header.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/charset-utf8.h"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

void header_iter_init(struct header_iter *it, const void *block, size_t size)
{
	it->pos = block != NULL ? block : "";
	it->end = it->pos + (block != NULL ? size : 0);
}

bool header_iter_next(struct header_iter *it, struct header_field *field_r)
{
	while (it->pos < it->end) {
		const char *line = it->pos, *e = line, *next;

		/* A field runs to a line break not followed by whitespace. */
		for (;;) {
			const char *lf = memchr(e, '\n', (size_t)(it->end - e));

			if (lf == NULL) {
				e = next = it->end;
				break;
			}
			if (lf + 1 < it->end && is_wsp(lf[1])) {
				e = lf + 1;
				continue;
			}
			next = lf + 1;
			e = lf > line && lf[-1] == '\r' ? lf - 1 : lf;
			break;
		}
		it->pos = next;
		if (e == line) {
			it->pos = it->end;   /* the blank line: end of header */
			return false;
		}
		const char *colon = memchr(line, ':', (size_t)(e - line));

		if (colon == NULL || is_wsp(line[0]))
			continue;
		const char *ne = colon;

		while (ne > line && is_wsp(ne[-1]))
			ne--;
		if (ne == line)
			continue;
		field_r->name = line;
		field_r->name_len = (size_t)(ne - line);
		field_r->value = colon + 1;
		field_r->value_len = (size_t)(e - colon - 1);
		return true;
	}
	return false;
}

bool header_find(const void *block, size_t size, const char *name, struct header_field *field_r)
{
	struct header_iter it;
	size_t n = strlen(name);

	header_iter_init(&it, block, size);
	while (header_iter_next(&it, field_r)) {
		if (field_r->name_len == n && strncasecmp(field_r->name, name, n) == 0)
			return true;
	}
	return false;
}

void header_unfold(const char *value, size_t len, struct buf *out)
{
	size_t i = 0, end = len;

	while (i < end && (is_wsp(value[i]) || value[i] == '\r' || value[i] == '\n'))
		i++;
	while (end > i && (is_wsp(value[end - 1]) || value[end - 1] == '\r' || value[end - 1] == '\n'))
		end--;
	while (i < end) {
		const char *brk = value + i;
		size_t run = 0;

		while (i + run < end && brk[run] != '\r' && brk[run] != '\n')
			run++;
		buf_append(out, brk, run);
		i += run;
		/* Drop CR and LF: folding is exactly "line break before WSP"; a
		 * stray bare CR or LF elsewhere is dropped too, as Dovecot does. */
		while (i < end && (value[i] == '\r' || value[i] == '\n'))
			i++;
	}
}

/* ---- RFC 2045 §5.1 tokens ---- */

struct lexer {
	const char *s, *end;
};

static bool is_tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;

	/* 8-bit bytes are accepted in tokens: real mail has them. */
	return u > 0x20 && u != 0x7f && !is_tspecial(c);
}

/* Skips whitespace and (nested) comments. */
static void skip_cfws(struct lexer *lx)
{
	unsigned int depth = 0;

	while (lx->s < lx->end) {
		char c = *lx->s;

		if (depth > 0) {
			if (c == '\\' && lx->s + 1 < lx->end)
				lx->s++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (!is_wsp(c) && c != '\r' && c != '\n') {
			return;
		}
		lx->s++;
	}
}

static char *lower_dup(struct arena *arena, const char *s, size_t len)
{
	char *r = arena_strndup(arena, s, len);

	for (char *c = r; *c != '\0'; c++) {
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	return r;
}

static size_t token_len(const struct lexer *lx)
{
	size_t n = 0;

	while (lx->s + n < lx->end && is_token_char(lx->s[n]))
		n++;
	return n;
}

/* Skips to just after the next ';' outside a quoted string. */
static void skip_to_semicolon(struct lexer *lx)
{
	bool quoted = false;

	while (lx->s < lx->end) {
		char c = *lx->s++;

		if (quoted && c == '\\' && lx->s < lx->end)
			lx->s++;
		else if (c == '"')
			quoted = !quoted;
		else if (c == ';' && !quoted)
			return;
	}
}

/* ---- RFC 2231 parameters ---- */

struct raw_param {
	const char *name;        /* lower-cased base name */
	char *value;             /* as written, quotes removed */
	int section;             /* -1: none */
	bool extended;           /* name ended in '*': charset'lang'%XX */
	bool used;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 2231 §4: %XX octets; an invalid escape is kept literally. */
static void percent_decode(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		int h, l;

		if (*s == '%' && (h = hexval(s[1])) >= 0 && (l = hexval(s[2])) >= 0) {
			buf_append_char(out, (char)(h * 16 + l));
			s += 2;
		} else {
			buf_append_char(out, *s);
		}
	}
}

/* Splits "charset'language'rest"; without two quotes the whole value is
 * rest (RFC 2231 §4 makes both fields optional but the quotes mandatory). */
static const char *split_charset(struct arena *arena, const char *v, char **charset_r,
				 char **lang_r)
{
	const char *q1 = strchr(v, '\''), *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;

	*charset_r = *lang_r = NULL;
	if (q2 == NULL)
		return v;
	if (q1 > v)
		*charset_r = arena_strndup(arena, v, (size_t)(q1 - v));
	if (q2 > q1 + 1)
		*lang_r = arena_strndup(arena, q1 + 1, (size_t)(q2 - q1 - 1));
	return q2 + 1;
}

static const char *finish_value(struct arena *arena, const char *charset, struct buf *bytes)
{
	struct buf utf8;

	if (charset == NULL)
		return arena_strndup(arena, bytes->len > 0 ? bytes->data : "", bytes->len);
	buf_init(&utf8, MIME_PARAM_VALUE_MAX);
	charset_to_utf8(charset, bytes->len > 0 ? bytes->data : "", bytes->len, &utf8);
	const char *r = arena_strndup(arena, utf8.len > 0 ? utf8.data : "", utf8.len);

	buf_free(&utf8);
	return r;
}

/* Combines the raw parameters named like raw[first] into one value. */
static void combine(struct arena *arena, struct raw_param *raw, unsigned int n,
		    unsigned int first, struct mime_param *out)
{
	const char *name = raw[first].name;
	struct raw_param *ext = NULL, *plain = NULL, *sect[MIME_PARAM_SECTIONS_MAX] = { NULL };
	bool any_section = false;

	for (unsigned int i = first; i < n; i++) {
		struct raw_param *r = &raw[i];

		if (r->used || strcmp(r->name, name) != 0)
			continue;
		r->used = true;
		if (r->section >= 0) {
			if (sect[r->section] == NULL)
				sect[r->section] = r;
			any_section = true;
		} else if (r->extended) {
			if (ext == NULL)
				ext = r;
		} else if (plain == NULL) {
			plain = r;
		}
	}
	struct buf bytes;
	char *charset = NULL, *lang = NULL;

	out->name = name;
	out->language = NULL;
	buf_init(&bytes, MIME_PARAM_VALUE_MAX);
	if (any_section && sect[0] != NULL) {
		/* RFC 2231 §3: sections in numeric order, whatever order they came
		 * in; a missing section ends the value. Only section 0 may carry
		 * the charset and language (§4.1). */
		for (unsigned int s = 0; s < MIME_PARAM_SECTIONS_MAX && sect[s] != NULL; s++) {
			const char *v = sect[s]->value;

			if (s == 0 && sect[0]->extended)
				v = split_charset(arena, v, &charset, &lang);
			if (sect[s]->extended)
				percent_decode(v, &bytes);
			else
				buf_append_str(&bytes, v);
		}
	} else if (ext != NULL) {
		percent_decode(split_charset(arena, ext->value, &charset, &lang), &bytes);
	} else {
		/* No usable RFC 2231 form (or sections without a section 0): the
		 * plain value, else the first section as written. */
		struct raw_param *r = plain;

		for (unsigned int s = 0; r == NULL && s < MIME_PARAM_SECTIONS_MAX; s++)
			r = sect[s];
		buf_append_str(&bytes, r != NULL ? r->value : "");
	}
	out->value = finish_value(arena, charset, &bytes);
	out->language = lang;
	buf_free(&bytes);
}

/* Reads "; attr=value" pairs from lx into params. */
static void params_parse(struct arena *arena, struct lexer *lx, struct mime_params *params)
{
	struct raw_param raw[MIME_PARAMS_MAX];
	unsigned int n = 0;
	struct buf v;

	params->params = NULL;
	params->count = 0;
	buf_init(&v, MIME_PARAM_VALUE_MAX);
	skip_cfws(lx);
	if (lx->s < lx->end && *lx->s != ';')
		skip_to_semicolon(lx);   /* junk after the type: resync at ';' */
	else if (lx->s < lx->end)
		lx->s++;
	while (lx->s < lx->end && n < MIME_PARAMS_MAX) {
		skip_cfws(lx);
		size_t alen = token_len(lx);

		if (alen == 0) {
			skip_to_semicolon(lx);
			continue;
		}
		const char *attr = lx->s;

		lx->s += alen;
		skip_cfws(lx);
		if (lx->s >= lx->end || *lx->s != '=') {
			skip_to_semicolon(lx);
			continue;
		}
		lx->s++;
		skip_cfws(lx);
		buf_clear(&v);
		if (lx->s < lx->end && *lx->s == '"') {
			lx->s++;
			while (lx->s < lx->end && *lx->s != '"') {
				if (*lx->s == '\\' && lx->s + 1 < lx->end)
					lx->s++;
				buf_append_char(&v, *lx->s++);
			}
			if (lx->s < lx->end)
				lx->s++;
		} else {
			/* An RFC 2045 token: it stops at tspecials and comments
			 * (boundary=b0(c) is "b0"), as Dovecot reads it, so both
			 * split a message alike. A value that starts with '=' (not
			 * a token character) runs to ';' or whitespace instead. */
			if (lx->s < lx->end && *lx->s == '=') {
				while (lx->s < lx->end && *lx->s != ';' && !is_wsp(*lx->s) &&
				       *lx->s != '\r' && *lx->s != '\n')
					buf_append_char(&v, *lx->s++);
			} else {
				while (lx->s < lx->end && is_token_char(*lx->s))
					buf_append_char(&v, *lx->s++);
			}
		}
		skip_to_semicolon(lx);

		/* attr, attr*, attr*N, attr*N* (RFC 2231 §3, §4) */
		struct raw_param *r = &raw[n];
		const char *star = memchr(attr, '*', alen);

		r->section = -1;
		r->extended = false;
		r->used = false;
		if (star != NULL && star > attr) {
			const char *p = star + 1, *e = attr + alen;
			int section = -1;

			if (p < e && *p >= '0' && *p <= '9') {
				section = 0;
				/* no leading zeros (§3); values past the limit are dropped */
				while (p < e && *p >= '0' && *p <= '9' && section < MIME_PARAM_SECTIONS_MAX)
					section = section * 10 + (*p++ - '0');
				if (star[1] == '0' && p - star > 2)
					section = MIME_PARAM_SECTIONS_MAX;
			}
			/* "name*": extended; "name*N*": a section, extended */
			bool ext = section < 0 || (p < e && *p == '*');

			if (section >= 0 && ext)
				p++;
			if (p != e || section >= MIME_PARAM_SECTIONS_MAX)
				continue;   /* not an RFC 2231 name we can place */
			r->section = section;
			r->extended = ext;
			alen = (size_t)(star - attr);
		}
		r->name = lower_dup(arena, attr, alen);
		r->value = arena_strndup(arena, v.len > 0 ? v.data : "", v.len);
		n++;
	}
	buf_free(&v);

	unsigned int out = 0;

	params->params = arena_alloc(arena, (n > 0 ? n : 1) * sizeof(struct mime_param));
	for (unsigned int i = 0; i < n; i++) {
		if (!raw[i].used)
			combine(arena, raw, n, i, &params->params[out++]);
	}
	params->count = out;
}

static void unfold_into(const char *value, size_t len, struct buf *b, struct lexer *lx)
{
	header_unfold(value, len, b);
	lx->s = b->len > 0 ? b->data : "";
	lx->end = lx->s + b->len;
}

void mime_content_type_parse(struct arena *arena, const char *value, size_t len,
			     struct mime_content_type *ct_r)
{
	struct buf b;
	struct lexer lx;

	ct_r->type = "text";
	ct_r->subtype = "plain";
	ct_r->params.params = NULL;
	ct_r->params.count = 0;
	buf_init(&b, len + 1);
	unfold_into(value, len, &b, &lx);
	skip_cfws(&lx);
	size_t tl = token_len(&lx);
	const char *type = lx.s;

	lx.s += tl;
	skip_cfws(&lx);
	if (tl > 0 && lx.s < lx.end && *lx.s == '/') {
		lx.s++;
		skip_cfws(&lx);
		size_t sl = token_len(&lx);

		if (sl > 0) {
			const char *subtype = lx.s;

			lx.s += sl;
			skip_cfws(&lx);
			/* "multipart/mixed junk; boundary=x" is not a Content-Type:
			 * the default applies (RFC 2045 §5.2), as in Dovecot. */
			if (lx.s == lx.end || *lx.s == ';') {
				ct_r->type = lower_dup(arena, type, tl);
				ct_r->subtype = lower_dup(arena, subtype, sl);
				params_parse(arena, &lx, &ct_r->params);
			}
		}
	}
	buf_free(&b);
}

void mime_disposition_parse(struct arena *arena, const char *value, size_t len,
			    struct mime_disposition *disp_r)
{
	struct buf b;
	struct lexer lx;

	disp_r->type = NULL;
	disp_r->params.params = NULL;
	disp_r->params.count = 0;
	buf_init(&b, len + 1);
	unfold_into(value, len, &b, &lx);
	skip_cfws(&lx);
	size_t tl = token_len(&lx);

	if (tl > 0) {
		disp_r->type = lower_dup(arena, lx.s, tl);
		lx.s += tl;
		params_parse(arena, &lx, &disp_r->params);
	}
	buf_free(&b);
}

const char *mime_param_get(const struct mime_params *params, const char *name)
{
	for (unsigned int i = 0; i < params->count; i++) {
		if (strcmp(params->params[i].name, name) == 0)
			return params->params[i].value;
	}
	return NULL;
}
