/* SEARCH text and PREVIEW of one message (mail-text.h). Three stages: the
 * header callback folds header fields and notes each part's transfer
 * encoding and charset; finish() reads each text part in bounded chunks,
 * decodes it, converts it to UTF-8 and folds it; the preview is cut from
 * the chosen part's text. HTML becomes text with a small tag scanner that
 * never recurses and never looks back. Nothing here holds the message. */
#include "mail/mail-text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "core/xalloc.h"
#include "mail/address.h"
#include "mail/casefold.h"
#include "mail/charset-utf8.h"
#include "mail/header.h"
#include "mail/rfc2047.h"
#include "mail/transfer-decode.h"

/* Bytes of one header field while it is unfolded and decoded: a part's
 * whole header is at most MESSAGE_PARSER_HEADER_MAX, and RFC 2047
 * decoding at most triples it. */
#define FIELD_WORK_MAX (4 * 64 * 1024)

struct part_info {
	const struct message_part *part;
	enum mail_cte cte;
	const char *charset;            /* NULL: none given */
	struct part_info *next;
};

struct mail_text_builder {
	struct arena *arena;
	struct arena *scratch;          /* Content-Type parsing, reset per part */
	struct mail_text_limits limits;
	struct mail_text text;
	struct part_info *infos, **infos_tail, *hint;
	struct buf unfolded, decoded, line;
};

static void text_init(struct mail_text *t, const struct mail_text_limits *l)
{
	buf_init(&t->subject, l->field_max);
	buf_init(&t->from, l->field_max);
	buf_init(&t->to, l->field_max);
	buf_init(&t->cc, l->field_max);
	buf_init(&t->bcc, l->field_max);
	buf_init(&t->header, l->header_max);
	buf_init(&t->part_headers, l->header_max);
	buf_init(&t->body, l->body_max);
	/* a character is at most 4 bytes */
	buf_init(&t->preview, MAIL_TEXT_PREVIEW_CHARS * 4);
	t->header_complete = true;
	t->body_complete = true;
}

void mail_text_free(struct mail_text *t)
{
	buf_free(&t->subject);
	buf_free(&t->from);
	buf_free(&t->to);
	buf_free(&t->cc);
	buf_free(&t->bcc);
	buf_free(&t->header);
	buf_free(&t->part_headers);
	buf_free(&t->body);
	buf_free(&t->preview);
}

struct mail_text_builder *mail_text_builder_create(struct arena *arena,
						   const struct mail_text_limits *limits)
{
	struct mail_text_builder *b = arena_alloc(arena, sizeof(*b));

	b->arena = arena;
	b->scratch = arena_create(4096);
	if (limits != NULL) {
		b->limits = *limits;
	} else {
		b->limits = (struct mail_text_limits){
			.field_max = MAIL_TEXT_FIELD_MAX,
			.header_max = MAIL_TEXT_HEADER_MAX,
			.body_max = MAIL_TEXT_BODY_MAX,
		};
	}
	text_init(&b->text, &b->limits);
	b->infos_tail = &b->infos;
	buf_init(&b->unfolded, FIELD_WORK_MAX);
	buf_init(&b->decoded, FIELD_WORK_MAX);
	buf_init(&b->line, FIELD_WORK_MAX);
	return b;
}

void mail_text_builder_abort(struct mail_text_builder *b)
{
	mail_text_free(&b->text);
	buf_free(&b->unfolded);
	buf_free(&b->decoded);
	buf_free(&b->line);
	arena_destroy(&b->scratch);
}

/* Appends "\n" then the folding of s to a field that already has text. */
static void fold_into(struct buf *out, const char *s, size_t len, bool separate, bool *complete)
{
	if (separate && out->len > 0)
		buf_append_char(out, '\n');
	casefold_utf8(s, len, out);
	if (out->overflow)
		*complete = false;
}

static struct buf *address_field(struct mail_text *t, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "subject", offsetof(struct mail_text, subject) },
		{ "from", offsetof(struct mail_text, from) },
		{ "to", offsetof(struct mail_text, to) },
		{ "cc", offsetof(struct mail_text, cc) },
		{ "bcc", offsetof(struct mail_text, bcc) },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == len && strncasecmp(fields[i].name, name, len) == 0)
			return (struct buf *)((char *)t + fields[i].offset);
	}
	return NULL;
}

static const char *buf_str(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

/* Dovecot's str_append_maybe_escape(): as is when every byte is atext (8-bit
 * included) or '.', else quoted (when quote) with '"', '\\' and '\'' escaped. */
static void append_maybe_quoted(struct buf *out, const char *s, bool quote)
{
	bool plain = true, escape = false;

	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(rfc822_is_atext(c) || c >= 0x80 || c == '.'))
			plain = false;
		if (c == '"' || c == '\\' || c == '\'')
			escape = true;
	}
	if (plain) {
		buf_append_str(out, s);
		return;
	}
	if (quote)
		buf_append_char(out, '"');
	for (const char *p = s; *p != '\0'; p++) {
		if (escape && (*p == '"' || *p == '\\' || *p == '\''))
			buf_append_char(out, '\\');
		buf_append_char(out, *p);
	}
	if (quote)
		buf_append_char(out, '"');
}

/* A display name or group name: encoded-words (which may not be quoted)
 * written as they are, then decoded with the rest, as Dovecot does. */
static void append_phrase(struct buf *out, const char *s)
{
	size_t start = out->len;

	if (strstr(s, "=?") == NULL) {
		append_maybe_quoted(out, s, true);
		return;
	}
	rfc2047_decode(s, strlen(s), out);
	for (size_t i = start; i < out->len; i++) {
		if (out->data[i] == '\n' || out->data[i] == '\r')
			out->data[i] = ' ';
	}
}

/* An address field as SEARCH FROM/TO/CC/BCC sees it: the parsed list
 * written back the way Dovecot 2.3's SEARCH does (message_address_write()
 * on a list parsed with missing parts filled): "Name <mailbox@domain>" or
 * "<mailbox@domain>", names quoted when not atoms, joined by ", "; groups
 * "name: a, b;" ("name:;" when empty). Comments and folding inside an
 * address are gone, so "<a (x)@ (y) b.org>" is found by "a@b.org"; a
 * comment naming a bare addr-spec ("a@b.org (Name)") is its name. */
static void address_list_text(struct mail_text_builder *b, const char *value, size_t len,
			      struct buf *out)
{
	const struct mail_address *a = mail_address_parse(b->scratch, value, len,
							  MAIL_ADDRESS_MAX,
							  MAIL_ADDRESS_FILL_MISSING);
	bool first = true, in_group = false;

	for (; a != NULL; a = a->next) {
		if (!first)
			buf_append_str(out, ", ");
		first = false;
		if (a->domain == NULL) {
			if (!in_group) {   /* group start: mailbox is its name */
				if (a->mailbox != NULL && a->mailbox[0] != '\0')
					append_phrase(out, a->mailbox);
				else
					buf_append_str(out, "\"\"");
				buf_append_str(out, ": ");
				first = true;
			} else if (out->len >= 2) {   /* group end: drop ", " or " " */
				out->len -= out->data[out->len - 2] == ',' ? 2 : 1;
				buf_append_char(out, ';');
			}
			in_group = !in_group;
			continue;
		}
		bool named = a->name != NULL && a->name[0] != '\0';
		const char *mailbox = a->mailbox != NULL ? a->mailbox : "";

		if (named)
			append_phrase(out, a->name);
		if (a->route == NULL && mailbox[0] == '\0' && a->domain[0] == '\0')
			continue;
		if (named)
			buf_append_char(out, ' ');
		buf_append_char(out, '<');
		if (a->route != NULL) {
			buf_append_str(out, a->route);
			buf_append_char(out, ':');
		}
		if (mailbox[0] == '\0')
			buf_append_str(out, "\"\"");
		else
			append_maybe_quoted(out, mailbox, false);
		if (a->domain[0] != '\0') {
			buf_append_char(out, '@');
			buf_append_str(out, a->domain);
		}
		buf_append_char(out, '>');
	}
	arena_reset(b->scratch);
}

void mail_text_builder_header(struct mail_text_builder *b, const struct message_part *part,
			      const char *header, size_t size)
{
	struct part_info *info = arena_alloc(b->arena, sizeof(*info));
	struct header_field f;

	info->part = part;
	info->cte = mail_cte_from_header(header, size);
	/* The first Content-Type, as the message parser reads it. */
	if (header_find(header, size, "Content-Type", &f)) {
		struct mime_content_type ct;
		const char *cs;

		mime_content_type_parse(b->scratch, f.value, f.value_len, &ct);
		cs = mime_param_get(&ct.params, "charset");
		if (cs != NULL && cs[0] != '\0' && strlen(cs) <= CHARSET_NAME_MAX)
			info->charset = arena_strdup(b->arena, cs);
	}
	arena_reset(b->scratch);
	*b->infos_tail = info;
	b->infos_tail = &info->next;

	bool top = part->parent == NULL;
	struct buf *all = top ? &b->text.header : &b->text.part_headers;
	struct header_iter it;

	header_iter_init(&it, header, size);
	while (header_iter_next(&it, &f)) {
		buf_clear(&b->unfolded);
		buf_clear(&b->decoded);
		buf_clear(&b->line);
		header_unfold(f.value, f.value_len, &b->unfolded);
		if (b->unfolded.len > 0)
			rfc2047_decode(b->unfolded.data, b->unfolded.len, &b->decoded);
		/* An encoded-word may decode to a line break; "\n" separates
		 * fields and occurrences here, so it must not come from a
		 * value (a forged "\nsubject: ..." line). */
		for (size_t i = 0; i < b->decoded.len; i++) {
			if (b->decoded.data[i] == '\n' || b->decoded.data[i] == '\r')
				b->decoded.data[i] = ' ';
		}
		buf_append(&b->line, f.name, f.name_len);
		buf_append_char(&b->line, ':');
		if (b->decoded.len > 0) {
			buf_append_char(&b->line, ' ');
			buf_append(&b->line, b->decoded.data, b->decoded.len);
		}
		buf_append_char(&b->line, '\n');
		fold_into(all, buf_str(&b->line), b->line.len, false, &b->text.header_complete);
		if (top) {
			struct buf *field = address_field(&b->text, f.name, f.name_len);

			if (field == &b->text.subject) {
				fold_into(field, buf_str(&b->decoded), b->decoded.len, true,
					  &b->text.header_complete);
			} else if (field != NULL) {
				buf_clear(&b->line);
				address_list_text(b, f.value, f.value_len, &b->line);
				fold_into(field, buf_str(&b->line), b->line.len, true,
					  &b->text.header_complete);
			}
		}
	}
}

/* The part's info. The parser calls back in pre-order, the order finish()
 * walks in, so the hint is nearly always right; a mismatch (a caller that
 * skipped parts) costs a scan, and a part never seen gets the defaults. */
static const struct part_info *find_info(struct mail_text_builder *b,
					 const struct message_part *part)
{
	static const struct part_info defaults = { .cte = MAIL_CTE_7BIT };

	if (b->hint != NULL && b->hint->part == part) {
		const struct part_info *info = b->hint;

		b->hint = b->hint->next;
		return info;
	}
	for (struct part_info *i = b->infos; i != NULL; i = i->next) {
		if (i->part == part) {
			b->hint = i->next;
			return i;
		}
	}
	return &defaults;
}

static bool is_leaf(const struct message_part *p)
{
	return p->children == NULL;
}

static bool type_is(const struct message_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 && (subtype == NULL || strcmp(p->subtype, subtype) == 0);
}

/* The pre-order successor that skips part's own subtree. */
static const struct message_part *next_sibling_or_up(const struct message_part *p)
{
	while (p != NULL && p->next == NULL)
		p = p->parent;
	return p != NULL ? p->next : NULL;
}

/* See mail-text.h: Dovecot's choice of the part a preview comes from. */
static const struct message_part *preview_part(struct mail_text_builder *b,
					       const struct message_part *root)
{
	const struct message_part *p = root;

	while (p != NULL) {
		if (p->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) {
			p = next_sibling_or_up(p);
			continue;
		}
		if (is_leaf(p) && type_is(p, "text", NULL) &&
		    find_info(b, p)->cte != MAIL_CTE_UNKNOWN)
			break;
		p = message_part_next(p);
	}
	if (p == NULL || !type_is(p, "text", "html") || p->parent == NULL ||
	    !type_is(p->parent, "multipart", "alternative"))
		return p;
	for (const struct message_part *c = p->parent->children; c != NULL; c = c->next) {
		if (is_leaf(c) && type_is(c, "text", "plain") &&
		    find_info(b, c)->cte != MAIL_CTE_UNKNOWN)
			return c;
	}
	return p;
}

/* ---- HTML to text ---------------------------------------------------- */

struct html_out {
	struct buf *out;
	bool quote_marks;               /* start blockquote lines with '>' */
	unsigned int quote_depth, pre_depth;
	bool line_start;                /* nothing written on this line yet */
	bool space;                     /* whitespace since the last text */
};

static void html_break(struct html_out *h)
{
	if (!h->line_start)
		buf_append_char(h->out, '\n');
	h->line_start = true;
	h->space = false;
}

static void html_text(struct html_out *h, const char *s, size_t n)
{
	if (h->line_start) {
		if (h->quote_marks && h->quote_depth > 0)
			buf_append_char(h->out, '>');
		h->line_start = false;
	} else if (h->space) {
		buf_append_char(h->out, ' ');
	}
	h->space = false;
	buf_append(h->out, s, n);
}

static bool html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Elements that start a new line where a reader displays them. */
static bool html_block(const char *name)
{
	static const char *const blocks[] = {
		"address", "article", "aside", "blockquote", "br", "caption", "center", "dd",
		"details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
		"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
		"nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot",
		"thead", "tr", "ul",
	};

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		if (strcmp(blocks[i], name) == 0)
			return true;
	}
	return false;
}

/* HTML 4 entity names (the ones mail uses): Latin-1 by code point, then
 * the rest. Names are case-sensitive. */
static const char *const latin1_entities[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy",
	"ordf", "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3",
	"acute", "micro", "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14",
	"frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring",
	"AElig", "Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc",
	"Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times",
	"Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave",
	"aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute",
	"ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde", "ograve",
	"oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
	"uuml", "yacute", "thorn", "yuml",
};

static const struct {
	const char *name;
	uint32_t cp;
} other_entities[] = {
	{ "quot", 0x22 }, { "amp", 0x26 }, { "apos", 0x27 }, { "lt", 0x3c }, { "gt", 0x3e },
	{ "OElig", 0x152 }, { "oelig", 0x153 }, { "Scaron", 0x160 }, { "scaron", 0x161 },
	{ "Yuml", 0x178 }, { "fnof", 0x192 }, { "circ", 0x2c6 }, { "tilde", 0x2dc },
	{ "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 }, { "zwnj", 0x200c },
	{ "zwj", 0x200d }, { "lrm", 0x200e }, { "rlm", 0x200f }, { "ndash", 0x2013 },
	{ "mdash", 0x2014 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bdquo", 0x201e }, { "dagger", 0x2020 },
	{ "Dagger", 0x2021 }, { "bull", 0x2022 }, { "hellip", 0x2026 }, { "permil", 0x2030 },
	{ "prime", 0x2032 }, { "Prime", 0x2033 }, { "lsaquo", 0x2039 }, { "rsaquo", 0x203a },
	{ "oline", 0x203e }, { "frasl", 0x2044 }, { "euro", 0x20ac }, { "trade", 0x2122 },
	{ "larr", 0x2190 }, { "uarr", 0x2191 }, { "rarr", 0x2192 }, { "darr", 0x2193 },
	{ "harr", 0x2194 }, { "minus", 0x2212 }, { "infin", 0x221e }, { "ne", 0x2260 },
	{ "le", 0x2264 }, { "ge", 0x2265 }, { "loz", 0x25ca }, { "spades", 0x2660 },
	{ "clubs", 0x2663 }, { "hearts", 0x2665 }, { "diams", 0x2666 },
};

/* HTML5 §13.2.5.80: numeric references 0x80-0x9F name windows-1252's
 * characters (0 = left as is). */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static bool entity_lookup(const char *name, size_t len, uint32_t *cp_r)
{
	for (size_t i = 0; i < 96; i++) {
		if (strlen(latin1_entities[i]) == len && memcmp(latin1_entities[i], name, len) == 0) {
			*cp_r = 0xa0 + (uint32_t)i;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(other_entities) / sizeof(other_entities[0]); i++) {
		if (strlen(other_entities[i].name) == len &&
		    memcmp(other_entities[i].name, name, len) == 0) {
			*cp_r = other_entities[i].cp;
			return true;
		}
	}
	return false;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* s[0] is '&'. Returns the bytes of a character reference, 0 if there is
 * none (the '&' is then text). */
static size_t html_entity(const char *s, size_t len, uint32_t *cp_r)
{
	size_t i = 1;

	if (i < len && s[i] == '#') {
		bool hex = i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X');
		uint32_t v = 0;
		size_t start;

		i += hex ? 2 : 1;
		start = i;
		for (; i < len; i++) {
			int d;

			if (is_digit(s[i]))
				d = s[i] - '0';
			else if (hex && s[i] >= 'a' && s[i] <= 'f')
				d = s[i] - 'a' + 10;
			else if (hex && s[i] >= 'A' && s[i] <= 'F')
				d = s[i] - 'A' + 10;
			else
				break;
			v = v > 0x10ffff ? v : v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (i == start)
			return 0;
		if (i < len && s[i] == ';')
			i++;
		/* HTML5: NUL, surrogates and values past Unicode are U+FFFD. */
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = 0xfffd;
		else if (v >= 0x80 && v <= 0x9f && cp1252_c1[v - 0x80] != 0)
			v = cp1252_c1[v - 0x80];
		*cp_r = v;
		return i;
	}
	while (i < len && i <= 32 && (is_alpha(s[i]) || is_digit(s[i])))
		i++;
	if (i == 1 || i >= len || s[i] != ';' || !entity_lookup(s + 1, i - 1, cp_r))
		return 0;
	return i + 1;
}

/* Index of the first case-insensitive "</name" at or after from, or len. */
static size_t find_end_tag(const char *s, size_t len, size_t from, const char *name)
{
	size_t n = strlen(name);

	while (from < len) {
		const char *lt = memchr(s + from, '<', len - from);

		if (lt == NULL)
			return len;
		size_t at = (size_t)(lt - s);

		if (at + 2 + n <= len && s[at + 1] == '/' && strncasecmp(s + at + 2, name, n) == 0)
			return at;
		from = at + 1;
	}
	return len;
}

static size_t find_str(const char *s, size_t len, size_t from, const char *needle)
{
	if (from >= len)
		return len;
	const char *p = memmem(s + from, len - from, needle, strlen(needle));

	return p != NULL ? (size_t)(p - s) : len;
}

static size_t after_gt(const char *s, size_t len, size_t from)
{
	const char *p = from < len ? memchr(s + from, '>', len - from) : NULL;

	return p != NULL ? (size_t)(p - s) + 1 : len;
}

/* s[i] is '<'. Handles the markup there; returns where text resumes, or i
 * itself when the '<' is text. */
static size_t html_markup(struct html_out *h, const char *s, size_t len, size_t i)
{
	if (i + 1 >= len)
		return i;
	char c1 = s[i + 1];

	if (c1 == '!') {
		if (i + 4 <= len && memcmp(s + i, "<!--", 4) == 0) {
			size_t end = find_str(s, len, i + 4, "-->");

			return end < len ? end + 3 : len;
		}
		return after_gt(s, len, i + 2);   /* doctype, CDATA: bogus comments */
	}
	if (c1 == '?')
		return after_gt(s, len, i + 2);
	bool closing = c1 == '/';
	size_t j = i + 1 + (closing ? 1 : 0);

	if (j >= len || !is_alpha(s[j]))
		return closing ? after_gt(s, len, j) : i;
	char name[16];
	size_t n = 0;

	for (; j < len && !html_space(s[j]) && s[j] != '/' && s[j] != '>'; j++) {
		if (n < sizeof(name) - 1)
			name[n++] = (s[j] >= 'A' && s[j] <= 'Z') ? (char)(s[j] + 32) : s[j];
	}
	name[n] = '\0';
	/* Attributes: a quote opens a value only right after '=' (and
	 * whitespace), so a stray quote elsewhere cannot swallow the text. */
	bool after_eq = false;

	for (; j < len && s[j] != '>'; j++) {
		char c = s[j];

		if (c == '=') {
			after_eq = true;
		} else if (after_eq && (c == '"' || c == '\'')) {
			const char *q = memchr(s + j + 1, c, len - j - 1);

			if (q == NULL)
				return len;
			j = (size_t)(q - s);
			after_eq = false;
		} else if (!html_space(c)) {
			after_eq = false;
		}
	}
	if (j >= len)
		return len;                       /* an unterminated tag ends the text */
	j++;
	if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
			 strcmp(name, "title") == 0)) {
		/* Raw text that readers do not show. */
		return after_gt(s, len, find_end_tag(s, len, j, name));
	}
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		h->space = true;
		return j;
	}
	if (!html_block(name))
		return j;                         /* inline: no break in the text */
	html_break(h);
	if (strcmp(name, "blockquote") == 0) {
		if (!closing)
			h->quote_depth++;
		else if (h->quote_depth > 0)
			h->quote_depth--;
	} else if (strcmp(name, "pre") == 0) {
		if (!closing)
			h->pre_depth++;
		else if (h->pre_depth > 0)
			h->pre_depth--;
	}
	return j;
}

/* Appends the text a reader sees in html[0..len) to out: lines at block
 * elements, whitespace collapsed outside <pre>. */
static void html_to_text(const char *s, size_t len, bool quote_marks, struct buf *out)
{
	struct html_out h = {
		.out = out, .quote_marks = quote_marks, .line_start = true,
	};
	size_t i = 0;

	while (i < len && !out->overflow) {
		char c = s[i];

		if (c == '<') {
			size_t next = html_markup(&h, s, len, i);

			if (next != i) {
				i = next;
				continue;
			}
			html_text(&h, "<", 1);
			i++;
		} else if (c == '&') {
			uint32_t cp;
			size_t n = html_entity(s + i, len - i, &cp);

			if (n == 0) {
				html_text(&h, "&", 1);
				i++;
			} else {
				char enc[4];

				html_text(&h, enc, utf8_encode(cp, enc));
				i += n;
			}
		} else if (html_space(c)) {
			if (h.pre_depth > 0 && c == '\n')
				html_break(&h);
			else if (h.pre_depth > 0 && c != '\r')
				html_text(&h, &c, 1);
			else
				h.space = true;
			i++;
		} else {
			size_t j = i + 1;

			while (j < len && s[j] != '<' && s[j] != '&' && !html_space(s[j]))
				j++;
			html_text(&h, s + i, j - i);
			i = j;
		}
	}
}

/* ---- preview ---------------------------------------------------------- */

struct snippet {
	struct buf *out;
	unsigned int chars, max_chars;
	bool space;
};

/* Adds one character (n bytes at s); false once the snippet is full. */
static bool snippet_add(struct snippet *sn, const char *s, size_t n)
{
	if (sn->chars >= sn->max_chars)
		return false;
	if (sn->space && sn->chars > 0) {
		buf_append_char(sn->out, ' ');
		if (++sn->chars >= sn->max_chars)
			return false;
	}
	sn->space = false;
	buf_append(sn->out, s, n);
	return ++sn->chars < sn->max_chars;
}

static void snippet_trim(struct snippet *sn)
{
	if (sn->out->len > 0 && sn->out->data[sn->out->len - 1] == ' ') {
		sn->out->data[--sn->out->len] = '\0';
		sn->chars--;
	}
}

/* The preview of one part's UTF-8 text (see mail-text.h). */
static void preview_build(const char *s, size_t len, struct buf *preview)
{
	struct buf quoted_buf;
	struct snippet main_sn = { .out = preview, .max_chars = MAIL_TEXT_PREVIEW_CHARS };
	struct snippet quoted = { .out = &quoted_buf, .max_chars = MAIL_TEXT_PREVIEW_CHARS - 1 };
	struct snippet *sn = &main_sn;
	bool line_start = true;
	size_t i = 0;

	buf_init(&quoted_buf, MAIL_TEXT_PREVIEW_CHARS * 4);
	buf_clear(preview);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (line_start) {
			line_start = false;
			sn = c == '>' ? &quoted : &main_sn;
			if (c == '>') {
				i++;
				continue;
			}
		}
		if (c == '\n') {
			sn->space = true;
			line_start = true;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			sn->space = true;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;                     /* control characters say nothing */
			continue;
		}
		uint32_t cp = c;
		size_t n = c < 0x80 ? 1 : utf8_decode((const unsigned char *)s + i, len - i, &cp);
		char enc[4];

		if (n == 0) {
			/* not UTF-8 (an unknown charset): U+FFFD per byte */
			n = 1;
			cp = 0xfffd;
		}
		i += n;
		if (cp >= 0x80 && cp <= 0x9f)
			continue;                /* C1 controls */
		if (!snippet_add(sn, enc, utf8_encode(cp, enc)) && sn == &main_sn)
			break;
	}
	snippet_trim(&main_sn);
	if (main_sn.chars == 0 && quoted.chars > 0) {
		snippet_trim(&quoted);
		buf_clear(preview);
		buf_append_char(preview, '>');
		buf_append(preview, quoted_buf.data, quoted_buf.len);
	}
	buf_free(&quoted_buf);
}

/* ---- reading the parts ------------------------------------------------ */

/* The charset a part's text is read in. ISO-8859-1 labels are read as
 * windows-1252, as the WHATWG Encoding Standard (§4.2) and so every
 * browser and mail reader do: mail labelled Latin-1 is very often
 * windows-1252, and its 0x80-0x9F bytes are quotes and dashes ("now\x92s"
 * is "now’s"), which Latin-1 would make invisible C1 controls. us-ascii
 * stays what charset_to_utf8() makes of it (UTF-8). */
static const char *body_charset(const char *charset)
{
	static const char *const latin1[] = {
		"iso-8859-1", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987",
		"latin1", "l1", "cp819", "ibm819", "csisolatin1", "iso-ir-100",
	};

	if (charset == NULL)
		return "us-ascii";
	for (size_t i = 0; i < sizeof(latin1) / sizeof(latin1[0]); i++) {
		if (strcasecmp(charset, latin1[i]) == 0)
			return "windows-1252";
	}
	return charset;
}

struct reader {
	mail_read_func *read;
	void *ctx;
	char *chunk;
	struct buf raw, utf8, html;
};

/* Decodes part's body into r->raw, at most cap bytes; *cut_r when more
 * was there. false on a read error. */
static bool read_part(struct reader *r, const struct message_part *part, enum mail_cte cte,
		      size_t cap, bool *cut_r)
{
	struct transfer_decoder dec;
	uint64_t off = part->body_offset, left = part->body_size.bytes;

	buf_clear(&r->raw);
	r->raw.max = cap;
	transfer_decoder_init(&dec, cte);
	while (left > 0 && !r->raw.overflow) {
		size_t n = left < MAIL_TEXT_READ_CHUNK ? (size_t)left : MAIL_TEXT_READ_CHUNK;

		if (!r->read(r->ctx, off, r->chunk, n))
			return false;
		transfer_decoder_feed(&dec, r->chunk, n, &r->raw);
		off += n;
		left -= n;
	}
	transfer_decoder_finish(&dec, &r->raw);
	*cut_r = r->raw.overflow;
	return true;
}

static void reader_free(struct reader *r)
{
	free(r->chunk);
	buf_free(&r->raw);
	buf_free(&r->utf8);
	buf_free(&r->html);
}

static bool body_parts(struct mail_text_builder *b, const struct message_part *root,
		       struct reader *r)
{
	struct mail_text *t = &b->text;
	const struct message_part *preview = preview_part(b, root);

	b->hint = b->infos;
	for (const struct message_part *p = root; p != NULL; p = message_part_next(p)) {
		const struct part_info *info = find_info(b, p);
		bool searchable = is_leaf(p) && info->cte != MAIL_CTE_UNKNOWN &&
				  (type_is(p, "text", NULL) || type_is(p, "message", NULL));
		bool want_preview = p == preview;
		bool body_full = t->body.overflow || t->body.len >= t->body.max;
		bool want_search = searchable && !body_full;

		if (searchable && body_full)
			t->body_complete = false;
		if (!want_search && !want_preview)
			continue;
		/* Decoded bytes worth reading: what the body text still has
		 * room for, twice over (UTF-16 and markup shrink when
		 * converted), and enough for a preview. */
		size_t room = t->body.max - t->body.len;
		size_t cap = want_search ? (room > SIZE_MAX / 4 ? SIZE_MAX / 2 : room * 2) + 1024 : 0;

		if (want_preview && cap < MAIL_TEXT_PREVIEW_INPUT_MAX)
			cap = MAIL_TEXT_PREVIEW_INPUT_MAX;
		bool cut;

		if (!read_part(r, p, info->cte, cap, &cut))
			return false;
		buf_clear(&r->utf8);
		r->utf8.max = r->raw.len * 3 + 16;
		if (r->raw.len > 0)
			charset_to_utf8(body_charset(info->charset), r->raw.data, r->raw.len,
					&r->utf8);
		const char *text = buf_str(&r->utf8);
		size_t text_len = r->utf8.len;
		bool html = type_is(p, "text", "html");

		if (html && want_search) {
			buf_clear(&r->html);
			r->html.max = r->utf8.len * 2 + 16;
			html_to_text(text, text_len, false, &r->html);
		}
		if (want_search) {
			const struct buf *src = html ? &r->html : &r->utf8;

			fold_into(&t->body, buf_str(src), src->len, true, &t->body_complete);
			if (cut)
				t->body_complete = false;
		}
		if (want_preview) {
			if (html) {
				buf_clear(&r->html);
				r->html.max = r->utf8.len * 2 + 16;
				html_to_text(text, text_len, true, &r->html);
				text = buf_str(&r->html);
				text_len = r->html.len;
			}
			preview_build(text, text_len, &t->preview);
		}
	}
	return true;
}

bool mail_text_builder_finish(struct mail_text_builder *b, const struct message_part *root,
			      mail_read_func *read, void *ctx, struct mail_text *text_r)
{
	struct reader r = { .read = read, .ctx = ctx };
	bool ok;

	r.chunk = xmalloc(MAIL_TEXT_READ_CHUNK);
	buf_init(&r.raw, 0);
	buf_init(&r.utf8, 0);
	buf_init(&r.html, 0);
	ok = body_parts(b, root, &r);
	reader_free(&r);
	if (ok) {
		*text_r = b->text;
		text_init(&b->text, &b->limits);
	} else {
		text_init(text_r, &b->limits);
	}
	mail_text_builder_abort(b);
	return ok;
}
