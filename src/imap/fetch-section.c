/* FETCH section contents (fetch-section.h). */
#include "imap/fetch-section.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "mail/transfer-decode.h"

/* Only HEADER.FIELDS results are held in memory: at most the header read. */
#define FETCH_MEM_MAX ((size_t)FETCH_HEADER_READ_MAX + 1024)

static void source_range(struct fetch_source *src, uint64_t offset, uint64_t size)
{
	src->offset = offset;
	src->size = size;
}

/* The message a HEADER/TEXT/HEADER.FIELDS spec addresses: the whole
 * message for an empty part, else the message inside a message/rfc822
 * part; NULL otherwise. */
static const struct message_part *spec_message(const struct message_part *tree,
					       const struct message_part *part, const char *num)
{
	if (*num == '\0')
		return tree;
	if ((part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0)
		return part->children;
	return NULL;
}

static bool field_listed(const struct fetch_section *sec, const char *name, size_t len)
{
	for (unsigned int i = 0; i < sec->field_count; i++) {
		if (strlen(sec->fields[i]) == len && strncasecmp(sec->fields[i], name, len) == 0)
			return true;
	}
	return false;
}

/* HEADER.FIELDS[.NOT]: the header's fields as written (folding and line
 * endings kept), those named in the list or those not named, then a blank
 * line (for .NOT only if the header had one, as Dovecot answers). A "field" is a line and its
 * continuation lines; a line without a colon (or continuation lines at the
 * very start) is a field without a name: never listed, so .NOT keeps it,
 * as Dovecot does. */
static enum store_result header_fields(const struct fetch_section *sec,
				       const struct message_part *msg, struct store_body *body,
				       struct fetch_source *src)
{
	size_t len = msg->header_size.bytes < FETCH_HEADER_READ_MAX ?
		(size_t)msg->header_size.bytes : FETCH_HEADER_READ_MAX;
	char *hdr = xmalloc(len + 1);
	enum store_result r = store_body_read(body, msg->header_offset, hdr, len);
	bool want_listed = sec->spec == SPEC_HEADER_FIELDS;
	const char *p = hdr, *end = hdr + len;
	bool blank = false;

	if (r != STORE_OK) {
		free(hdr);
		return r;
	}
	while (p < end) {
		const char *field = p, *colon = NULL;

		/* The blank line that ends the header. */
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			blank = true;
			break;
		}
		/* One field: its first line, then lines starting with WSP. */
		do {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			p = nl != NULL ? nl + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (*field != ' ' && *field != '\t')
			colon = memchr(field, ':', (size_t)(p - field));
		bool listed = false;
		if (colon != NULL) {
			const char *name_end = colon;

			/* "Subject : x" (obsolete syntax) names "Subject" */
			while (name_end > field && (name_end[-1] == ' ' || name_end[-1] == '\t'))
				name_end--;
			listed = field_listed(sec, field, (size_t)(name_end - field));
		}
		if (listed == want_listed)
			buf_append(&src->mem, field, (size_t)(p - field));
	}
	if (want_listed || blank || msg->header_size.bytes > len)
		buf_append_str(&src->mem, "\r\n");
	free(hdr);
	return STORE_OK;
}

#define FETCH_CHUNK (64 * 1024)

/* BINARY: a first pass decodes the part without keeping it, for its size,
 * whether it holds NUL (literal8) and whether it decodes at all (RFC 3516
 * has no way to fail once the literal started). fetch_source_read()
 * decodes it again as it is sent. */
static enum store_result binary_measure(const struct message_part *part, enum mail_cte cte,
					struct store_body *body, struct fetch_source *src)
{
	struct transfer_decoder dec;
	char chunk[FETCH_CHUNK];
	struct buf scratch;
	enum store_result r = STORE_OK;

	buf_init(&scratch, 4 * FETCH_CHUNK);
	transfer_decoder_init(&dec, cte);
	for (uint64_t off = 0; off < part->body_size.bytes;) {
		size_t n = part->body_size.bytes - off < sizeof(chunk) ?
			(size_t)(part->body_size.bytes - off) : sizeof(chunk);

		r = store_body_read(body, part->body_offset + off, chunk, n);
		if (r != STORE_OK)
			break;
		buf_clear(&scratch);
		transfer_decoder_feed(&dec, chunk, n, &scratch);
		if (!src->has_nul && memchr(scratch.data != NULL ? scratch.data : "", '\0',
					    scratch.len) != NULL)
			src->has_nul = true;
		off += n;
	}
	if (r == STORE_OK) {
		buf_clear(&scratch);
		if (transfer_decoder_finish(&dec, &scratch) != TRANSFER_DECODE_OK)
			src->invalid_data = true;
		if (memchr(scratch.data != NULL ? scratch.data : "", '\0', scratch.len) != NULL)
			src->has_nul = true;
		src->decoding = true;
		src->offset = part->body_offset;
		src->enc_size = part->body_size.bytes;
		src->size = dec.size;
		transfer_decoder_init(&src->dec, cte);
		buf_init(&src->pending, 4 * FETCH_CHUNK);
	}
	transfer_decoder_deinit(&dec);
	buf_free(&scratch);
	return r;
}

static void apply_partial(const struct fetch_section *sec, struct fetch_source *src)
{
	uint64_t size = src->in_memory ? src->mem.len : src->size;
	uint64_t start, len;

	if (!sec->partial)
		return;
	start = sec->origin < size ? sec->origin : size;
	len = size - start < sec->count ? size - start : sec->count;
	if (src->decoding) {
		src->skip = start;
		src->size = len;
	} else if (src->in_memory) {
		memmove(src->mem.data, src->mem.data + start, (size_t)len);
		src->mem.len = (size_t)len;
		src->mem.data[len] = '\0';
	} else {
		src->offset += start;
		src->size = len;
	}
}

enum store_result fetch_section_source(const struct fetch_section *sec,
				       const struct message_part *tree, const uint8_t *ctes,
				       struct store_body *body, struct fetch_source *src)
{
	const struct message_part *part, *msg;
	enum store_result r = STORE_OK;

	memset(src, 0, sizeof(*src));
	buf_init(&src->mem, FETCH_MEM_MAX);
	part = message_part_find(tree, sec->part);
	if (part == NULL) {
		src->nil = true;
		return STORE_OK;
	}
	if (sec->kind != SECTION_BODY) {
		enum mail_cte cte = *sec->part == '\0' ? MAIL_CTE_BINARY : ctes[part - tree];

		if ((part->flags & (MESSAGE_PART_FLAG_MULTIPART |
				    MESSAGE_PART_FLAG_MESSAGE_RFC822)) != 0 || *sec->part == '\0')
			cte = MAIL_CTE_BINARY;   /* RFC 3516: no encoding to undo */
		if (cte == MAIL_CTE_UNKNOWN) {
			src->unknown_cte = true;
			return STORE_OK;
		}
		if (cte == MAIL_CTE_QP || cte == MAIL_CTE_BASE64) {
			r = binary_measure(part, cte, body, src);
		} else if (*sec->part == '\0') {
			source_range(src, 0, store_body_size(body));
		} else {
			source_range(src, part->body_offset, part->body_size.bytes);
		}
	} else {
		switch (sec->spec) {
		case SPEC_NONE:
			if (*sec->part == '\0')
				source_range(src, 0, store_body_size(body));
			else
				source_range(src, part->body_offset, part->body_size.bytes);
			break;
		case SPEC_MIME:
			source_range(src, part->header_offset, part->header_size.bytes);
			break;
		case SPEC_HEADER:
		case SPEC_TEXT:
		case SPEC_HEADER_FIELDS:
		case SPEC_HEADER_FIELDS_NOT:
			msg = spec_message(tree, part, sec->part);
			if (msg == NULL) {
				src->nil = true;
				return STORE_OK;
			}
			if (sec->spec == SPEC_HEADER) {
				source_range(src, msg->header_offset, msg->header_size.bytes);
			} else if (sec->spec == SPEC_TEXT) {
				uint64_t end = *sec->part == '\0' ? store_body_size(body) :
					msg->body_offset + msg->body_size.bytes;

				source_range(src, msg->body_offset,
					     end > msg->body_offset ? end - msg->body_offset : 0);
			} else {
				src->in_memory = true;
				r = header_fields(sec, msg, body, src);
			}
			break;
		}
	}
	if (r != STORE_OK)
		return r;
	/* A damaged tree must not send reads past the message. */
	if (src->decoding) {
		uint64_t total = store_body_size(body);

		if (src->offset > total)
			src->offset = total;
		if (src->enc_size > total - src->offset)
			src->enc_size = total - src->offset;
	} else if (!src->in_memory) {
		uint64_t total = store_body_size(body);

		if (src->offset > total)
			src->offset = total;
		if (src->size > total - src->offset)
			src->size = total - src->offset;
	}
	if (src->in_memory && src->mem.overflow)
		return STORE_ERROR;
	apply_partial(sec, src);
	src->nul_to_80 = sec->kind == SECTION_BODY;
	if (src->in_memory)
		src->has_nul = memchr(src->mem.data, '\0', src->mem.len) != NULL;
	return STORE_OK;
}

/* Decoded bytes for the window [skip, skip + size), as the encoded part is
 * read chunk by chunk. */
static enum store_result source_decode(struct fetch_source *src, struct store_body *body,
				       size_t max, struct buf *out, bool *done_r)
{
	char chunk[FETCH_CHUNK];
	size_t given = 0;

	while (given < max && src->size > 0) {
		if (src->pending.len == 0) {
			if (src->dec_finished)
				break;
			if (src->enc_pos < src->enc_size) {
				size_t n = src->enc_size - src->enc_pos < sizeof(chunk) ?
					(size_t)(src->enc_size - src->enc_pos) : sizeof(chunk);
				enum store_result r = store_body_read(body, src->offset + src->enc_pos,
								      chunk, n);

				if (r != STORE_OK)
					return r;
				transfer_decoder_feed(&src->dec, chunk, n, &src->pending);
				src->enc_pos += n;
			} else {
				transfer_decoder_finish(&src->dec, &src->pending);
				src->dec_finished = true;
			}
			continue;
		}
		/* Drop what lies before the window, then give what fits. */
		size_t drop = src->skip < src->pending.len ? (size_t)src->skip : src->pending.len;
		size_t n = src->pending.len - drop;

		src->skip -= drop;
		if (n > max - given)
			n = max - given;
		if (n > src->size)
			n = (size_t)src->size;
		buf_append(out, src->pending.data + drop, n);
		given += n;
		src->size -= n;
		memmove(src->pending.data, src->pending.data + drop + n,
			src->pending.len - drop - n);
		src->pending.len -= drop + n;
	}
	*done_r = src->size == 0;
	if (!*done_r && src->dec_finished && src->pending.len == 0) {
		/* The measured size was not reached: never leave a literal short. */
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

static enum store_result source_read(struct fetch_source *src, struct store_body *body,
				     size_t max, struct buf *out, bool *done_r)
{
	if (src->decoding)
		return source_decode(src, body, max, out, done_r);
	if (src->in_memory) {
		size_t n = src->mem.len - (size_t)src->pos < max ?
			src->mem.len - (size_t)src->pos : max;

		buf_append(out, src->mem.data + src->pos, n);
		src->pos += n;
		*done_r = src->pos == src->mem.len;
		return STORE_OK;
	}
	size_t n = src->size - src->pos < max ? (size_t)(src->size - src->pos) : max;
	size_t old = out->len;
	enum store_result r;

	if (!buf_reserve(out, n))
		return STORE_ERROR;
	r = store_body_read(body, src->offset + src->pos, out->data + old, n);
	if (r != STORE_OK)
		return r;
	out->len = old + n;
	out->data[out->len] = '\0';
	src->pos += n;
	*done_r = src->pos == src->size;
	return STORE_OK;
}

enum store_result fetch_source_read(struct fetch_source *src, struct store_body *body,
				    size_t max, struct buf *out, bool *done_r)
{
	size_t old = out->len;
	enum store_result r = source_read(src, body, max, out, done_r);

	if (r == STORE_OK && src->nul_to_80) {
		char *p = out->data + old, *end = out->data + out->len;

		while ((p = memchr(p, '\0', (size_t)(end - p))) != NULL)
			*p++ = (char)0x80;
	}
	return r;
}

void fetch_source_free(struct fetch_source *src)
{
	if (src->decoding) {
		transfer_decoder_deinit(&src->dec);
		buf_free(&src->pending);
	}
	buf_free(&src->mem);
}
