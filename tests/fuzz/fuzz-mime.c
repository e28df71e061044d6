/* libFuzzer target for the MIME parser, header fields, RFC 2231 parameters
 * and RFC 2047 words. The first byte picks a chunk size; the message is fed
 * whole, one byte at a time and in chunks, and all three trees must be the
 * same. Each tree must be consistent: a header is followed by its body,
 * children lie inside their parent's body in order, the root covers the
 * whole input, and the limits hold. Built and run by `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/header.h"
#include "mail/message-parser.h"
#include "mail/rfc2047.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond) do { if (!(cond)) abort(); } while (0)

static struct message_part *parse(struct arena *a, const uint8_t *d, size_t n, size_t chunk)
{
	struct message_parser *p = message_parser_create(a);

	for (size_t i = 0; i < n; i += chunk)
		message_parser_feed(p, d + i, n - i < chunk ? n - i : chunk);
	struct message_part *root = message_parser_finish(p);

	message_parser_destroy(&p);
	return root;
}

static uint64_t body_end(const struct message_part *p)
{
	return p->body_offset + p->body_size.bytes;
}

static void check_tree(const struct message_part *root, size_t size)
{
	unsigned int count = 0;

	check(root->header_offset == 0 && body_end(root) == size);
	for (const struct message_part *p = root; p != NULL; p = message_part_next(p)) {
		count++;
		check(p->depth < MESSAGE_PARSER_MAX_DEPTH);
		check(p->header_offset + p->header_size.bytes == p->body_offset);
		check(p->header_size.lines <= p->header_size.bytes);
		check(p->body_size.lines <= p->body_size.bytes);
		check(body_end(p) <= size);
		check(p->type != NULL && p->subtype != NULL);
		if ((p->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0)
			check(p->children != NULL && p->children->next == NULL &&
			      p->children->header_offset == p->body_offset &&
			      body_end(p->children) == body_end(p));
		if (p->children != NULL)
			check(p->flags & (MESSAGE_PART_FLAG_MULTIPART | MESSAGE_PART_FLAG_MESSAGE_RFC822));
		uint64_t prev_end = p->body_offset;

		for (const struct message_part *c = p->children; c != NULL; c = c->next) {
			check(c->parent == p && c->depth == p->depth + 1);
			check(c->header_offset >= prev_end && body_end(c) <= body_end(p));
			prev_end = body_end(c);
		}
	}
	check(count <= MESSAGE_PARSER_MAX_PARTS && count == message_part_count(root));
}

static void dump(const struct message_part *root, struct buf *out)
{
	for (const struct message_part *p = root; p != NULL; p = message_part_next(p))
		buf_printf(out, "%u %s/%s %llu %llu %llu %llu %llu %llu %x\n", p->depth, p->type,
			   p->subtype, (unsigned long long)p->header_offset,
			   (unsigned long long)p->header_size.bytes,
			   (unsigned long long)p->header_size.lines,
			   (unsigned long long)p->body_offset,
			   (unsigned long long)p->body_size.bytes,
			   (unsigned long long)p->body_size.lines, p->flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + data[0] % 64;

	data++;
	size--;
	struct arena *a = arena_create(4096);
	struct buf d1, d2, d3;

	buf_init(&d1, 1 << 26);
	buf_init(&d2, 1 << 26);
	buf_init(&d3, 1 << 26);
	struct message_part *whole = parse(a, data, size, size > 0 ? size : 1);

	check_tree(whole, size);
	dump(whole, &d1);
	dump(parse(a, data, size, 1), &d2);
	dump(parse(a, data, size, chunk), &d3);
	check(d1.len == d2.len && d1.len == d3.len);
	check(d1.len == 0 || (memcmp(d1.data, d2.data, d1.len) == 0 &&
			      memcmp(d1.data, d3.data, d1.len) == 0));

	/* Every header field through the structured and unstructured decoders. */
	struct header_iter it;
	struct header_field f;
	struct buf out;

	buf_init(&out, 4096);
	header_iter_init(&it, data, size);
	while (header_iter_next(&it, &f)) {
		struct mime_content_type ct;
		struct mime_disposition disp;

		check(f.name_len > 0 && f.value + f.value_len <= (const char *)data + size);
		mime_content_type_parse(a, f.value, f.value_len, &ct);
		check(ct.params.count <= MIME_PARAMS_MAX);
		for (unsigned int i = 0; i < ct.params.count; i++)
			check(strlen(ct.params.params[i].value) <= MIME_PARAM_VALUE_MAX);
		mime_disposition_parse(a, f.value, f.value_len, &disp);
		buf_clear(&out);
		rfc2047_decode(f.value, f.value_len, &out);
		check(out.len <= out.max);
	}
	buf_free(&out);
	buf_free(&d1);
	buf_free(&d2);
	buf_free(&d3);
	arena_destroy(&a);
	return 0;
}
