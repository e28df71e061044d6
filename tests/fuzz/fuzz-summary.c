/* libFuzzer: a whole message through what delivery computes
 * (mail/mail-summary.c: the MIME parser, ENVELOPE, BODYSTRUCTURE, search
 * text, preview, dates, ids), fed in chunks; the encoded summary must
 * decode, its part table must rebuild, every section lookup must stay
 * inside the message, and it must unpack as packed for the store; any
 * bytes given as a stored summary are refused or unpacked, safely. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "mail/mail-summary.h"
#include "store/store-dict.h"

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
		/* Packed as stored (store/store-dict.h): unpacks to the same
		 * bytes; cut short, it is refused. */
		struct buf packed, unpacked;
		const struct buf *stored;
		const void *plain;
		size_t plain_len;

		buf_init(&packed, MAIL_SUMMARY_MAX + MAIL_SUMMARY_MAX / 128 + 1024);
		buf_init(&unpacked, MAIL_SUMMARY_MAX);
		stored = store_summary_pack(enc, NULL, &packed);
		if (store_summary_unpack(stored->data, stored->len, NULL, NULL, &unpacked, &plain,
					 &plain_len) != STORE_OK || plain_len != enc->len ||
		    memcmp(plain, enc->data, enc->len) != 0)
			abort();
		if (stored == &packed && packed.len > 5 &&
		    store_summary_unpack(packed.data, packed.len - 1, NULL, NULL, &unpacked, &plain,
					 &plain_len) == STORE_OK)
			abort();
		buf_free(&packed);
		buf_free(&unpacked);
	}
	/* Any bytes as a stored summary: refused or unpacked, never a
	 * read or a write outside. */
	if (size > 4) {
		struct buf unpacked;
		const void *plain;
		size_t plain_len;

		buf_init(&unpacked, MAIL_SUMMARY_MAX);
		(void)store_summary_unpack(data, size, NULL, NULL, &unpacked, &plain, &plain_len);
		buf_free(&unpacked);
	}
	mail_summary_builder_destroy(&b);
	return 0;
}
