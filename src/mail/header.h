/* RFC 5322 header blocks: iterate fields (name, raw value, unfolded value),
 * look one up case-insensitively, and parse the MIME structured fields
 * Content-Type (RFC 2045 §5.1) and Content-Disposition (RFC 2183) with
 * RFC 2231 parameters decoded to UTF-8. Never fails: malformed input gives
 * the RFC's defaults or skips what cannot be read. */
#ifndef PETREL_MAIL_HEADER_H
#define PETREL_MAIL_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"

/* One field; pointers into the header block. value is everything after the
 * colon up to (not including) the field's final line ending, folding and
 * leading whitespace kept. */
struct header_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct header_iter {
	const char *pos, *end;
};

/* block may or may not include the blank line that ends it; iteration stops
 * at a blank line. Lines without a colon (or with a blank name) are skipped. */
void header_iter_init(struct header_iter *it, const void *block, size_t size);
bool header_iter_next(struct header_iter *it, struct header_field *field_r);

/* Finds the first field named name (case-insensitive). */
bool header_find(const void *block, size_t size, const char *name, struct header_field *field_r);

/* RFC 5322 §2.2.3: removes the line breaks of folding (CRLF or bare LF
 * before whitespace), and leading/trailing whitespace. Appends to out. */
void header_unfold(const char *value, size_t len, struct buf *out);

/* RFC 2231 parameters that are parsed per field: more is abuse, not mail. */
#define MIME_PARAMS_MAX 64
/* RFC 2231 §3 continuation sections read per parameter (name*0 .. name*99). */
#define MIME_PARAM_SECTIONS_MAX 100
/* Bytes of a decoded parameter value; the longest real file names are far
 * below it. */
#define MIME_PARAM_VALUE_MAX 8192

struct mime_param {
	const char *name;       /* lower-cased attribute, without RFC 2231 '*'s */
	const char *value;      /* UTF-8 when the charset was known; NUL-terminated */
	const char *language;   /* RFC 2231 language tag, or NULL */
};

struct mime_params {
	struct mime_param *params;
	unsigned int count;
};

/* Content-Type: type and subtype lower-cased. An absent or invalid value
 * gives text/plain (RFC 2045 §5.2) and no parameters. */
struct mime_content_type {
	const char *type, *subtype;
	struct mime_params params;
};

/* Content-Disposition (RFC 2183): disposition lower-cased, NULL when absent. */
struct mime_disposition {
	const char *type;
	struct mime_params params;
};

/* value: the field's raw or unfolded value. Results live in arena. */
void mime_content_type_parse(struct arena *arena, const char *value, size_t len,
			     struct mime_content_type *ct_r);
void mime_disposition_parse(struct arena *arena, const char *value, size_t len,
			    struct mime_disposition *disp_r);
/* The value of a parameter (lower-case name), or NULL. */
const char *mime_param_get(const struct mime_params *params, const char *name);

#endif
