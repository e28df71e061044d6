/* libFuzzer: a whole message through what delivery computes
 * (mail/mail-summary.c: the MIME parser, ENVELOPE, BODYSTRUCTURE, search
 * text, preview, dates, ids), fed in chunks; the encoded summary must
 * decode, its part table must rebuild, and every section lookup must stay
 * inside the message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "mail/mail-summary.h"

struct input {
	const uint8_t *data;
	size_t size;
};

static bool read_back(void *ctx, uint64_t offset, void *buf, size_t len)
{
	const struct input *in = ctx;

	if (offset > in->size || len > in->size - offset)
		abort();   /* the builder asked for bytes outside the message */
	memcpy(buf, in->data + offset, len);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct mail_summary_builder *b = mail_summary_builder_create();
	size_t chunk = size > 0 ? (size_t)data[0] % 97 + 1 : 1;

	for (size_t off = 0; off < size; off += chunk)
		mail_summary_builder_feed(b, data + off, size - off < chunk ? size - off : chunk);
	if (mail_summary_builder_finish(b, read_back, &in)) {
		const struct buf *enc = mail_summary_builder_encoded(b);
		struct mail_summary s;

		if (!mail_summary_decode(enc->data, enc->len, &s))
			abort();
		struct arena *arena = arena_create(4096);
		uint8_t *ctes;
		struct message_part *tree = mail_summary_tree(&s, arena, &ctes);
		static const char *const sections[] = { "", "1", "2", "1.1", "1.2", "2.1", "3.1.2" };

		for (size_t i = 0; tree != NULL && i < sizeof(sections) / sizeof(sections[0]); i++) {
			const struct message_part *p = message_part_find(tree, sections[i]);

			if (p != NULL && (p->header_offset > size || p->body_offset > size ||
					  p->body_size.bytes > size - p->body_offset))
				abort();
		}
		arena_destroy(&arena);
		/* A damaged value must be refused, never read past. */
		if (enc->len > 8) {
			struct mail_summary t;

			(void)mail_summary_decode(enc->data, enc->len / 2, &t);
		}
	}
	mail_summary_builder_destroy(&b);
	return 0;
}
