/* The per-message summary (mail-summary.h): one streaming parse feeds the
 * ENVELOPE/BODYSTRUCTURE builders, the search-text builder and the part
 * table; the result is encoded into one flat value. */
#include "mail/mail-summary.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "core/xalloc.h"
#include "mail/address.h"
#include "mail/base-subject.h"
#include "mail/casefold.h"
#include "mail/header.h"
#include "mail/imap-bodystructure.h"
#include "mail/imap-envelope.h"
#include "mail/mail-date.h"
#include "mail/message-parser.h"
#include "mail/msgid.h"
#include "mail/rfc2047.h"
#include "mail/transfer-decode.h"

#define SUMMARY_MAGIC "PSM1"
/* One part's record: six u64 (offsets, sizes, lines), flags, children, cte. */
#define PART_RECORD_SIZE (6 * 8 + 4 + 4 + 4)
/* A header field's value kept for the summary (subject, ids, addresses). */
#define SUMMARY_FIELD_MAX (16 * 1024)
/* Ids taken from References + In-Reply-To for thread ids. */
#define SUMMARY_PARENT_IDS_MAX 64

/* ---- encoding ---- */

static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	buf_append(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(struct buf *b, const char *s, size_t len)
{
	put_u32(b, (uint32_t)len);
	if (len > 0)
		buf_append(b, s, len);
	buf_append_char(b, '\0');
}

struct reader {
	const unsigned char *p, *end;
	bool ok;
};

static uint32_t get_u32(struct reader *r)
{
	if (!r->ok || r->end - r->p < 4) {
		r->ok = false;
		return 0;
	}
	uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
		(uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

static uint64_t get_u64(struct reader *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

static const char *get_str(struct reader *r, size_t *len_r)
{
	uint32_t len = get_u32(r);
	const char *s;

	if (!r->ok || (size_t)(r->end - r->p) < (size_t)len + 1 || r->p[len] != '\0') {
		r->ok = false;
		if (len_r != NULL)
			*len_r = 0;
		return "";
	}
	s = (const char *)r->p;
	r->p += len + 1;
	if (len_r != NULL)
		*len_r = len;
	return s;
}

bool mail_summary_decode(const void *data, size_t size, struct mail_summary *s)
{
	struct reader r = { data, (const unsigned char *)data + size, true };

	memset(s, 0, sizeof(*s));
	if (size < 4 || memcmp(data, SUMMARY_MAGIC, 4) != 0)
		return false;
	r.p += 4;
	s->envelope = get_str(&r, &s->envelope_len);
	s->body = get_str(&r, &s->body_len);
	s->bodystructure = get_str(&r, &s->bodystructure_len);
	s->preview = get_str(&r, &s->preview_len);
	s->has_sent_date = get_u32(&r) != 0;
	s->sent_date = (int64_t)get_u64(&r);
	s->sent_zone_min = (int32_t)get_u32(&r);
	s->message_id = get_str(&r, NULL);
	s->in_reply_to = get_str(&r, NULL);
	s->references = get_str(&r, NULL);
	s->subject = get_str(&r, NULL);
	s->base_subject = get_str(&r, NULL);
	s->subject_is_reply = get_u32(&r) != 0;
	s->sort_from = get_str(&r, NULL);
	s->sort_to = get_str(&r, NULL);
	s->sort_cc = get_str(&r, NULL);
	s->display_from = get_str(&r, NULL);
	s->display_to = get_str(&r, NULL);
	s->part_count = get_u32(&r);
	if (!r.ok || (size_t)(r.end - r.p) / PART_RECORD_SIZE < s->part_count)
		return false;
	s->parts = r.p;
	return true;
}

struct message_part *mail_summary_tree(const struct mail_summary *s, struct arena *arena,
				       uint8_t **ctes_r)
{
	struct reader r = { s->parts, s->parts + (size_t)s->part_count * PART_RECORD_SIZE, true };
	struct message_part *parts;
	/* Explicit stack of (part, children still to come). */
	uint32_t *left;
	uint32_t *stack, *last;      /* last: each part's last child so far */
	unsigned int depth = 0;
	uint8_t *ctes;

	*ctes_r = NULL;
	if (s->part_count == 0)
		return NULL;
	parts = arena_alloc(arena, s->part_count * sizeof(*parts));
	ctes = arena_alloc(arena, s->part_count);
	left = arena_alloc(arena, s->part_count * sizeof(*left));
	stack = arena_alloc(arena, s->part_count * sizeof(*stack));
	last = arena_alloc(arena, s->part_count * sizeof(*last));
	memset(last, 0xff, s->part_count * sizeof(*last));
	for (uint32_t i = 0; i < s->part_count; i++) {
		struct message_part *p = &parts[i];

		p->header_offset = get_u64(&r);
		p->header_size.bytes = get_u64(&r);
		p->header_size.lines = get_u64(&r);
		p->body_offset = get_u64(&r);
		p->body_size.bytes = get_u64(&r);
		p->body_size.lines = get_u64(&r);
		p->flags = get_u32(&r);
		left[i] = get_u32(&r);
		ctes[i] = (uint8_t)get_u32(&r);
		p->type = p->subtype = "";
		/* Attach to the innermost part that still expects children. */
		while (depth > 0 && left[stack[depth - 1]] == 0)
			depth--;
		if (i > 0) {
			if (depth == 0)
				break;   /* damaged: more parts than the counts allow */
			struct message_part *parent = &parts[stack[depth - 1]];

			p->parent = parent;
			p->depth = parent->depth + 1;
			if (last[stack[depth - 1]] == UINT32_MAX)
				parent->children = p;
			else
				parts[last[stack[depth - 1]]].next = p;
			last[stack[depth - 1]] = i;
			left[stack[depth - 1]]--;
		}
		stack[depth++] = i;
	}
	*ctes_r = ctes;
	return parts;
}

/* ---- building ---- */

struct part_cte {
	const struct message_part *part;
	uint8_t cte;
};

struct mail_summary_builder {
	struct arena *arena;
	struct message_parser *parser;
	struct imap_bodystructure *bs;
	struct mail_text_builder *text_builder;
	struct mail_text text;
	bool text_made;
	char *root_header;            /* the top-level header, for the fields */
	size_t root_header_len;
	struct part_cte *ctes;
	uint32_t cte_count, cte_alloc;
	struct buf encoded;
	const char *message_id;
	const char **parent_ids;
	unsigned int parent_count;
};

static void on_header(const struct message_part *part, const char *header, size_t size,
		      void *ctx)
{
	struct mail_summary_builder *b = ctx;

	imap_bodystructure_add_header(b->bs, part, header, size);
	mail_text_builder_header(b->text_builder, part, header, size);
	if (b->cte_count == b->cte_alloc) {
		b->cte_alloc = b->cte_alloc == 0 ? 16 : b->cte_alloc * 2;
		b->ctes = xrealloc(b->ctes, b->cte_alloc * sizeof(*b->ctes));
	}
	b->ctes[b->cte_count].part = part;
	b->ctes[b->cte_count++].cte = (uint8_t)mail_cte_from_header(header, size);
	if (part->parent == NULL && b->root_header == NULL) {
		b->root_header = arena_strndup(b->arena, header, size);
		b->root_header_len = size;
	}
}

struct mail_summary_builder *mail_summary_builder_create(void)
{
	struct mail_summary_builder *b = xcalloc(1, sizeof(*b));
	struct mail_text_limits limits = {
		.field_max = MAIL_TEXT_FIELD_MAX,
		.header_max = MAIL_TEXT_HEADER_MAX,
		.body_max = MAIL_TEXT_BODY_MAX,
	};

	b->arena = arena_create(16 * 1024);
	b->parser = message_parser_create(b->arena);
	message_parser_set_header_callback(b->parser, on_header, b);
	b->bs = imap_bodystructure_create(b->arena);
	b->text_builder = mail_text_builder_create(b->arena, &limits);
	buf_init(&b->encoded, MAIL_SUMMARY_MAX);
	return b;
}

void mail_summary_builder_feed(struct mail_summary_builder *b, const void *data, size_t size)
{
	if (b->parser != NULL)
		message_parser_feed(b->parser, data, size);
}

/* A top-level field, unfolded (bounded); "" when absent. */
static const char *root_field(struct mail_summary_builder *b, const char *name, size_t *len_r)
{
	struct header_field f;
	struct buf v;
	const char *s;

	*len_r = 0;
	if (b->root_header == NULL ||
	    !header_find(b->root_header, b->root_header_len, name, &f))
		return "";
	buf_init(&v, SUMMARY_FIELD_MAX);
	header_unfold(f.value, f.value_len, &v);
	s = arena_strndup(b->arena, v.data != NULL ? v.data : "", v.len);
	*len_r = v.len;
	buf_free(&v);
	return s;
}

/* A SORT key (RFC 5256 §2.1 compares with i;unicode-casemap, RFC 5051):
 * folded as SEARCH folds, then each character upper-cased, because the
 * RFC's comparator maps to title case, so "[" sorts after letters and "_"
 * after "E" as in Dovecot. Compared bytewise by sort-query.c. */
static const char *folded(struct arena *arena, const char *s, size_t len)
{
	struct buf out, up;
	const char *r;

	buf_init(&out, SUMMARY_FIELD_MAX);
	buf_init(&up, SUMMARY_FIELD_MAX);
	casefold_utf8(s, len, &out);
	for (size_t i = 0; i < out.len;) {
		utf8proc_int32_t cp;
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)out.data + i,
						      (utf8proc_ssize_t)(out.len - i), &cp);

		if (n <= 0) {
			/* casefold_utf8() gives valid UTF-8; never loop anyway */
			buf_append(&up, out.data + i, 1);
			i++;
			continue;
		}
		buf_append(&up, enc, (size_t)utf8proc_encode_char(utf8proc_toupper(cp), enc));
		i += (size_t)n;
	}
	r = arena_strndup(arena, up.data != NULL ? up.data : "", up.len);
	buf_free(&out);
	buf_free(&up);
	return r;
}

/* RFC 5256 §2.2 addr-mailbox of the first address, and (from/to) the
 * RFC 5957 display name, both folded. */
static void address_keys(struct mail_summary_builder *b, const char *name,
			 const char **sort_r, const char **display_r)
{
	size_t len;
	const char *value = root_field(b, name, &len);
	/* The first entry of the list as ENVELOPE shows it: a group's start
	 * ("undisclosed-recipients:;") counts, with the group name as its
	 * mailbox, as in Dovecot. */
	const struct mail_address *a =
		mail_address_parse(b->arena, value, len, MAIL_ADDRESS_MAX, 0);
	struct buf d;

	if (a != NULL && a->mailbox == NULL)
		a = mail_address_first(a);
	*sort_r = a != NULL && a->mailbox != NULL ? folded(b->arena, a->mailbox,
							   strlen(a->mailbox)) : "";
	if (display_r == NULL)
		return;
	buf_init(&d, SUMMARY_FIELD_MAX);
	if (a != NULL && a->domain == NULL && a->mailbox != NULL)
		buf_append_str(&d, a->mailbox);   /* a group: its name */
	else
		mail_address_display_name(a, &d);
	*display_r = folded(b->arena, d.data != NULL ? d.data : "", d.len);
	buf_free(&d);
}

static void parent_ids(struct mail_summary_builder *b, const char *refs, size_t refs_len,
		       const char *irt, size_t irt_len)
{
	const char *ids[SUMMARY_PARENT_IDS_MAX];
	unsigned int n = 0;
	struct buf id;

	buf_init(&id, MSGID_MAX + 8);
	/* The newest References are the last: keep the last ones if too many. */
	for (const char *p = refs; msgid_next(&p, refs + refs_len, &id);) {
		if (n == SUMMARY_PARENT_IDS_MAX) {
			memmove(ids, ids + 1, (n - 1) * sizeof(*ids));
			n--;
		}
		ids[n++] = arena_strndup(b->arena, id.data, id.len);
	}
	const char *first = msgid_first(b->arena, irt, irt_len);
	if (first != NULL) {
		if (n == SUMMARY_PARENT_IDS_MAX) {
			memmove(ids, ids + 1, (n - 1) * sizeof(*ids));
			n--;
		}
		ids[n++] = first;
	}
	buf_free(&id);
	b->parent_ids = arena_alloc(b->arena, (n + 1) * sizeof(*b->parent_ids));
	memcpy(b->parent_ids, ids, n * sizeof(*ids));
	b->parent_count = n;
}

static uint8_t part_cte(const struct mail_summary_builder *b, const struct message_part *p,
			uint32_t *next)
{
	/* Callbacks came in pre-order, as the walk goes. */
	if (*next < b->cte_count && b->ctes[*next].part == p)
		return b->ctes[(*next)++].cte;
	for (uint32_t i = 0; i < b->cte_count; i++) {
		if (b->ctes[i].part == p)
			return b->ctes[i].cte;
	}
	return MAIL_CTE_7BIT;
}

static void encode_parts(struct mail_summary_builder *b, const struct message_part *root)
{
	uint32_t count = message_part_count(root), next_cte = 0;

	put_u32(&b->encoded, count);
	for (const struct message_part *p = root; p != NULL; p = message_part_next(p)) {
		uint32_t children = 0;

		for (const struct message_part *c = p->children; c != NULL; c = c->next)
			children++;
		put_u64(&b->encoded, p->header_offset);
		put_u64(&b->encoded, p->header_size.bytes);
		put_u64(&b->encoded, p->header_size.lines);
		put_u64(&b->encoded, p->body_offset);
		put_u64(&b->encoded, p->body_size.bytes);
		put_u64(&b->encoded, p->body_size.lines);
		put_u32(&b->encoded, p->flags);
		put_u32(&b->encoded, children);
		put_u32(&b->encoded, part_cte(b, p, &next_cte));
	}
}

bool mail_summary_builder_finish(struct mail_summary_builder *b, mail_read_func *read,
				 void *ctx)
{
	struct message_part *root;
	struct buf tmp;
	size_t len, subject_len, refs_len, irt_len, msgid_len;
	const char *v;
	bool reply = false;
	time_t sent = 0;
	int zone = 0;

	if (b->parser == NULL)
		return false;
	root = message_parser_finish(b->parser);
	message_parser_destroy(&b->parser);
	b->text_made = mail_text_builder_finish(b->text_builder, root, read, ctx, &b->text);
	b->text_builder = NULL;
	if (!b->text_made)
		return false;

	buf_clear(&b->encoded);
	buf_append(&b->encoded, SUMMARY_MAGIC, 4);
	buf_init(&tmp, MAIL_SUMMARY_MAX / 2);
	if (b->root_header != NULL)
		imap_envelope_write(b->arena, b->root_header, b->root_header_len, &tmp);
	else
		imap_envelope_write(b->arena, "", 0, &tmp);
	put_str(&b->encoded, tmp.data, tmp.len);
	buf_clear(&tmp);
	imap_bodystructure_write(b->bs, root, false, &tmp);
	put_str(&b->encoded, tmp.data, tmp.len);
	buf_clear(&tmp);
	imap_bodystructure_write(b->bs, root, true, &tmp);
	put_str(&b->encoded, tmp.data, tmp.len);
	buf_free(&tmp);
	put_str(&b->encoded, b->text.preview.data, b->text.preview.len);

	v = root_field(b, "Date", &len);
	bool has_date = len > 0 && mail_date_parse(v, len, &sent, &zone);
	put_u32(&b->encoded, has_date);
	put_u64(&b->encoded, (uint64_t)(int64_t)sent);
	put_u32(&b->encoded, (uint32_t)zone);

	const char *msgid = root_field(b, "Message-ID", &msgid_len);
	const char *irt = root_field(b, "In-Reply-To", &irt_len);
	const char *refs = root_field(b, "References", &refs_len);
	put_str(&b->encoded, msgid, msgid_len);
	put_str(&b->encoded, irt, irt_len);
	put_str(&b->encoded, refs, refs_len);
	b->message_id = msgid_first(b->arena, msgid, msgid_len);
	parent_ids(b, refs, refs_len, irt, irt_len);

	v = root_field(b, "Subject", &subject_len);
	buf_init(&tmp, SUMMARY_FIELD_MAX);
	rfc2047_decode(v, subject_len, &tmp);
	const char *subject = arena_strndup(b->arena, tmp.data != NULL ? tmp.data : "", tmp.len);
	put_str(&b->encoded, subject, tmp.len);
	buf_free(&tmp);
	const char *base = base_subject(b->arena, subject, strlen(subject), &reply);
	v = folded(b->arena, base, strlen(base));
	put_str(&b->encoded, v, strlen(v));
	put_u32(&b->encoded, reply);

	const char *from, *to, *cc, *dfrom, *dto;
	address_keys(b, "From", &from, &dfrom);
	address_keys(b, "To", &to, &dto);
	address_keys(b, "Cc", &cc, NULL);
	put_str(&b->encoded, from, strlen(from));
	put_str(&b->encoded, to, strlen(to));
	put_str(&b->encoded, cc, strlen(cc));
	put_str(&b->encoded, dfrom, strlen(dfrom));
	put_str(&b->encoded, dto, strlen(dto));
	encode_parts(b, root);
	if (b->encoded.overflow) {
		/* Only a hostile message gets here (10,000 parts with huge
		 * structure text): stored without a summary, served as opaque. */
		return false;
	}
	return true;
}

const struct buf *mail_summary_builder_encoded(const struct mail_summary_builder *b)
{
	return &b->encoded;
}

const struct mail_text *mail_summary_builder_text(const struct mail_summary_builder *b)
{
	return &b->text;
}

const char *mail_summary_builder_message_id(const struct mail_summary_builder *b)
{
	return b->message_id;
}

const char *const *mail_summary_builder_parent_ids(const struct mail_summary_builder *b,
						  unsigned int *count_r)
{
	*count_r = b->parent_count;
	return b->parent_ids;
}

void mail_summary_builder_destroy(struct mail_summary_builder **bp)
{
	struct mail_summary_builder *b = *bp;

	if (b == NULL)
		return;
	*bp = NULL;
	message_parser_destroy(&b->parser);
	if (b->text_made)
		mail_text_free(&b->text);
	else if (b->text_builder != NULL)
		mail_text_builder_abort(b->text_builder);
	buf_free(&b->encoded);
	free(b->ctes);
	arena_destroy(&b->arena);
	free(b);
}
