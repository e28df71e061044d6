/* FETCH item parsing (fetch-items.h). Sections arrive as one atom from the
 * parser ("BODY.PEEK[1.HEADER.FIELDS (From \"X-A\")]<0.100>", see
 * parser.c), so this file reads the section grammar of RFC 9051 §9 itself,
 * strictly: anything else is BAD. */
#include "imap/fetch-items.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

/* Longest response name kept ("BODY[1.2.HEADER.FIELDS (...)]"). */
#define FETCH_NAME_MAX 8192
/* Section parts "1.2.3...": deeper than the parser's MIME depth is nothing. */
#define FETCH_PART_DEPTH_MAX 128

struct section_reader {
	const char *p, *end;
	struct arena *arena;
	const char *error;
};

static bool item_add(struct fetch_request *req, enum fetch_item_kind kind,
		     const char **error_r)
{
	if (req->count >= FETCH_ITEMS_MAX) {
		*error_r = "Too many FETCH items";
		return false;
	}
	memset(&req->items[req->count], 0, sizeof(req->items[0]));
	req->items[req->count++].kind = kind;
	switch (kind) {
	case FETCH_UID: req->has_uid = true; break;
	case FETCH_FLAGS: req->has_flags = true; break;
	case FETCH_MODSEQ: req->has_modseq = true; break;
	case FETCH_ENVELOPE:
	case FETCH_BODY:
	case FETCH_BODYSTRUCTURE:
	case FETCH_PREVIEW:
		req->needs_summary = true;
		break;
	default:
		break;
	}
	return true;
}

static bool starts_ci(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && strncasecmp(p, word, n) == 0;
}

static bool read_number(struct section_reader *r, uint64_t *n_r, bool nonzero)
{
	uint64_t n = 0;
	const char *start = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*r->p++ - '0');
	}
	if (r->p == start || (nonzero && (n == 0 || *start == '0')))
		return false;
	*n_r = n;
	return true;
}

/* header-fld-name: atom or quoted string (literals cannot occur inside the
 * atom the parser made). Upper-cased: names compare case-insensitively. */
static bool read_field_name(struct section_reader *r, struct buf *name)
{
	buf_clear(name);
	if (r->p < r->end && *r->p == '"') {
		r->p++;
		while (r->p < r->end && *r->p != '"') {
			if (*r->p == '\\') {
				r->p++;
				if (r->p == r->end || (*r->p != '"' && *r->p != '\\'))
					return false;
			}
			buf_append_char(name, (char)toupper((unsigned char)*r->p));
			r->p++;
		}
		if (r->p == r->end)
			return false;
		r->p++;
	} else {
		while (r->p < r->end && *r->p != ' ' && *r->p != ')' && *r->p != '(' &&
		       *r->p != '"' && *r->p != '\\' && *r->p != '{' && *r->p != '%' &&
		       *r->p != '*' && *r->p != ']') {
			buf_append_char(name, (char)toupper((unsigned char)*r->p));
			r->p++;
		}
	}
	/* RFC 5322 field names: printable ASCII except ':' and space. */
	if (name->len == 0 || name->overflow)
		return false;
	for (size_t i = 0; i < name->len; i++) {
		unsigned char c = (unsigned char)name->data[i];

		if (c <= 0x20 || c >= 0x7f || c == ':')
			return false;
	}
	return true;
}

static bool read_header_list(struct section_reader *r, struct fetch_section *sec,
			     struct buf *rname)
{
	const char *names[FETCH_HEADER_FIELDS_MAX];
	struct buf name;
	bool ok = true;

	if (r->p >= r->end || *r->p != ' ' || r->p + 1 >= r->end || r->p[1] != '(') {
		r->error = "HEADER.FIELDS needs a list of field names";
		return false;
	}
	r->p += 2;
	buf_init(&name, 1024);
	buf_append_str(rname, " (");
	sec->field_count = 0;
	for (;;) {
		if (!read_field_name(r, &name)) {
			r->error = "Invalid header field name";
			ok = false;
			break;
		}
		if (sec->field_count == FETCH_HEADER_FIELDS_MAX) {
			r->error = "Too many header field names";
			ok = false;
			break;
		}
		names[sec->field_count++] = arena_strdup(r->arena, name.data);
		buf_append(rname, name.data, name.len);
		if (r->p < r->end && *r->p == ')') {
			r->p++;
			break;
		}
		if (r->p >= r->end || *r->p != ' ') {
			r->error = "Invalid header field list";
			ok = false;
			break;
		}
		r->p++;
		buf_append_char(rname, ' ');
	}
	buf_free(&name);
	if (!ok)
		return false;
	buf_append_char(rname, ')');
	sec->fields = arena_alloc(r->arena, sec->field_count * sizeof(*sec->fields));
	memcpy(sec->fields, names, sec->field_count * sizeof(*sec->fields));
	return true;
}

/* section-msgtext / "MIME" after an optional part; r->p after '['. */
static bool read_section_spec(struct section_reader *r, struct fetch_section *sec,
			      struct buf *rname, bool binary)
{
	const char *part_start = r->p;
	unsigned int depth = 0;

	while (r->p < r->end && *r->p >= '1' && *r->p <= '9') {
		uint64_t n;

		if (!read_number(r, &n, true) || n > UINT32_MAX || ++depth > FETCH_PART_DEPTH_MAX) {
			r->error = "Invalid section part";
			return false;
		}
		if (r->p < r->end && *r->p == '.' && r->p + 1 < r->end &&
		    r->p[1] >= '0' && r->p[1] <= '9') {
			r->p++;
			continue;
		}
		break;
	}
	size_t part_len = (size_t)(r->p - part_start);
	sec->part = arena_strndup(r->arena, part_start, part_len);
	buf_append(rname, part_start, part_len);
	sec->spec = SPEC_NONE;
	if (r->p < r->end && *r->p == ']')
		return true;
	if (binary) {
		r->error = "BINARY takes only a part number";
		return false;
	}
	if (part_len > 0) {
		if (*r->p != '.') {
			r->error = "Invalid section";
			return false;
		}
		r->p++;
		buf_append_char(rname, '.');
	}
	if (starts_ci(r->p, r->end, "HEADER.FIELDS.NOT")) {
		r->p += 17;
		sec->spec = SPEC_HEADER_FIELDS_NOT;
		buf_append_str(rname, "HEADER.FIELDS.NOT");
		return read_header_list(r, sec, rname);
	}
	if (starts_ci(r->p, r->end, "HEADER.FIELDS")) {
		r->p += 13;
		sec->spec = SPEC_HEADER_FIELDS;
		buf_append_str(rname, "HEADER.FIELDS");
		return read_header_list(r, sec, rname);
	}
	if (starts_ci(r->p, r->end, "HEADER")) {
		r->p += 6;
		sec->spec = SPEC_HEADER;
		buf_append_str(rname, "HEADER");
		return true;
	}
	if (starts_ci(r->p, r->end, "TEXT")) {
		r->p += 4;
		sec->spec = SPEC_TEXT;
		buf_append_str(rname, "TEXT");
		return true;
	}
	if (part_len > 0 && starts_ci(r->p, r->end, "MIME")) {
		r->p += 4;
		sec->spec = SPEC_MIME;
		buf_append_str(rname, "MIME");
		return true;
	}
	r->error = "Invalid section";
	return false;
}

/* "BODY[...]<o.c>" and friends; name is the part before '['. */
static bool parse_section_item(const struct imap_arg *arg, const char *bracket,
			       struct arena *arena, struct fetch_request *req,
			       const char **error_r)
{
	size_t name_len = (size_t)(bracket - arg->str);
	struct section_reader r = { bracket + 1, arg->str + arg->len, arena, NULL };
	struct fetch_section sec = { 0 };
	struct buf rname;
	const char *prefix;

	if (name_len == 4 && strncasecmp(arg->str, "BODY", 4) == 0) {
		sec.kind = SECTION_BODY;
		prefix = "BODY[";
	} else if (name_len == 9 && strncasecmp(arg->str, "BODY.PEEK", 9) == 0) {
		sec.kind = SECTION_BODY;
		sec.peek = true;
		prefix = "BODY[";
	} else if (name_len == 6 && strncasecmp(arg->str, "BINARY", 6) == 0) {
		sec.kind = SECTION_BINARY;
		prefix = "BINARY[";
	} else if (name_len == 11 && strncasecmp(arg->str, "BINARY.PEEK", 11) == 0) {
		sec.kind = SECTION_BINARY;
		sec.peek = true;
		prefix = "BINARY[";
	} else if (name_len == 11 && strncasecmp(arg->str, "BINARY.SIZE", 11) == 0) {
		sec.kind = SECTION_BINARY_SIZE;
		sec.peek = true;
		prefix = "BINARY.SIZE[";
	} else {
		*error_r = "Unknown FETCH item";
		return false;
	}
	buf_init(&rname, FETCH_NAME_MAX);
	buf_append_str(&rname, prefix);
	if (!read_section_spec(&r, &sec, &rname, sec.kind != SECTION_BODY)) {
		buf_free(&rname);
		*error_r = r.error;
		return false;
	}
	if (r.p >= r.end || *r.p != ']') {
		buf_free(&rname);
		*error_r = "Invalid section";
		return false;
	}
	r.p++;
	buf_append_char(&rname, ']');
	if (r.p < r.end && *r.p == '<' && sec.kind != SECTION_BINARY_SIZE) {
		r.p++;
		if (!read_number(&r, &sec.origin, false) || r.p >= r.end || *r.p != '.') {
			buf_free(&rname);
			*error_r = "Invalid partial";
			return false;
		}
		r.p++;
		if (!read_number(&r, &sec.count, true) || r.p >= r.end || *r.p != '>') {
			buf_free(&rname);
			*error_r = "Invalid partial";
			return false;
		}
		r.p++;
		sec.partial = true;
	}
	if (r.p != r.end || rname.overflow) {
		buf_free(&rname);
		*error_r = "Invalid section";
		return false;
	}
	sec.response_name = arena_strdup(arena, rname.data);
	buf_free(&rname);
	if (!item_add(req, FETCH_SECTION, error_r))
		return false;
	req->items[req->count - 1].section = sec;
	req->needs_summary = true;
	req->needs_body = true;
	if (!sec.peek)
		req->sets_seen = true;
	return true;
}

static bool add_rfc822(struct fetch_request *req, const char *name, bool peek,
		       enum fetch_section_spec spec, const char **error_r)
{
	if (!item_add(req, FETCH_SECTION, error_r))
		return false;
	struct fetch_section *sec = &req->items[req->count - 1].section;
	sec->kind = SECTION_BODY;
	sec->peek = peek;
	sec->part = "";
	sec->spec = spec;
	sec->response_name = name;
	req->needs_summary = true;
	req->needs_body = true;
	if (!peek)
		req->sets_seen = true;
	return true;
}

static const struct {
	const char *name;
	enum fetch_item_kind kind;
} simple_items[] = {
	{ "UID", FETCH_UID },
	{ "FLAGS", FETCH_FLAGS },
	{ "INTERNALDATE", FETCH_INTERNALDATE },
	{ "RFC822.SIZE", FETCH_RFC822_SIZE },
	{ "ENVELOPE", FETCH_ENVELOPE },
	{ "BODY", FETCH_BODY },
	{ "BODYSTRUCTURE", FETCH_BODYSTRUCTURE },
	{ "MODSEQ", FETCH_MODSEQ },
	{ "SAVEDATE", FETCH_SAVEDATE },
	{ "EMAILID", FETCH_EMAILID },
	{ "THREADID", FETCH_THREADID },
	{ "PREVIEW", FETCH_PREVIEW },
};

static bool parse_item(const struct imap_arg *arg, const struct imap_arg *next,
		       bool *used_next, struct arena *arena, struct fetch_request *req,
		       const char **error_r)
{
	const char *bracket;

	*used_next = false;
	if (arg->type != IMAP_ARG_ATOM) {
		*error_r = "Invalid FETCH item";
		return false;
	}
	bracket = memchr(arg->str, '[', arg->len);
	if (bracket != NULL)
		return parse_section_item(arg, bracket, arena, req, error_r);
	if (imap_arg_is_atom(arg, "RFC822"))
		return add_rfc822(req, "RFC822", false, SPEC_NONE, error_r);
	if (imap_arg_is_atom(arg, "RFC822.HEADER"))
		return add_rfc822(req, "RFC822.HEADER", true, SPEC_HEADER, error_r);
	if (imap_arg_is_atom(arg, "RFC822.TEXT"))
		return add_rfc822(req, "RFC822.TEXT", false, SPEC_TEXT, error_r);
	for (size_t i = 0; i < sizeof(simple_items) / sizeof(simple_items[0]); i++) {
		if (!imap_arg_is_atom(arg, simple_items[i].name))
			continue;
		if (simple_items[i].kind == FETCH_PREVIEW && next != NULL &&
		    next->type == IMAP_ARG_LIST) {
			/* RFC 8970 §3: PREVIEW (LAZY): petrel computes previews at
			 * delivery, so it always has one to give. */
			for (unsigned int j = 0; j < next->list_count; j++) {
				if (!imap_arg_is_atom(&next->list[j], "LAZY")) {
					*error_r = "Unknown PREVIEW modifier";
					return false;
				}
			}
			*used_next = true;
		}
		return item_add(req, simple_items[i].kind, error_r);
	}
	*error_r = "Unknown FETCH item";
	return false;
}

bool fetch_items_parse(const struct imap_arg *arg, struct arena *arena,
		       struct fetch_request *req, const char **error_r)
{
	memset(req, 0, sizeof(*req));
	if (arg->type == IMAP_ARG_ATOM) {
		/* RFC 9051 §6.4.5 macros: only alone, never in a list. */
		if (imap_arg_is_atom(arg, "ALL") || imap_arg_is_atom(arg, "FAST") ||
		    imap_arg_is_atom(arg, "FULL")) {
			bool full = imap_arg_is_atom(arg, "FULL");
			bool all = imap_arg_is_atom(arg, "ALL") || full;

			return item_add(req, FETCH_FLAGS, error_r) &&
				item_add(req, FETCH_INTERNALDATE, error_r) &&
				item_add(req, FETCH_RFC822_SIZE, error_r) &&
				(!all || item_add(req, FETCH_ENVELOPE, error_r)) &&
				(!full || item_add(req, FETCH_BODY, error_r));
		}
		bool used_next;
		return parse_item(arg, NULL, &used_next, arena, req, error_r);
	}
	if (arg->type != IMAP_ARG_LIST || arg->list_count == 0) {
		*error_r = "Invalid FETCH items";
		return false;
	}
	for (unsigned int i = 0; i < arg->list_count; i++) {
		const struct imap_arg *next = i + 1 < arg->list_count ? &arg->list[i + 1] : NULL;
		bool used_next;

		if (!parse_item(&arg->list[i], next, &used_next, arena, req, error_r))
			return false;
		if (used_next)
			i++;
	}
	return true;
}

bool fetch_request_flags_only(const struct fetch_request *req)
{
	for (unsigned int i = 0; i < req->count; i++) {
		enum fetch_item_kind k = req->items[i].kind;

		if (k != FETCH_UID && k != FETCH_FLAGS && k != FETCH_MODSEQ)
			return false;
	}
	return true;
}
