/* The search text petrel stores for a message, as the PostgreSQL
 * measurements (search.py) need it: built by petrel's own code
 * (mail_summary_builder, mail-text.h: header fields unfolded, RFC 2047-
 * and transfer-decoded, HTML as text, every buffer folded by
 * casefold_utf8()), so the rows measured are the rows a PostgreSQL
 * backend would store. Not part of the build; search.py compiles it:
 *   cc -O2 -std=c17 -D_GNU_SOURCE -Isrc -o build/pg-fold-text \
 *     bench/pg/fold-text.c build/libpetrel.a $(pkg-config --libs ...)
 *
 *   pg-fold-text messages < RECORDS > RECORDS
 *   pg-fold-text needle STRING          prints STRING folded
 *
 * RECORDS: each message is a 4-byte big-endian length and that many
 * bytes (CRLF lines, as stored); out, per message, three such fields:
 * header, part_headers (petrel's "mime" column) and body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "mail/casefold.h"
#include "mail/mail-summary.h"

/* jwz's largest message is under 1 MiB; anything past this is not mail
 * this measurement reads. */
#define FOLD_MESSAGE_MAX (64u * 1024 * 1024)

struct fold_input {
	const unsigned char *data;
	size_t size;
};

static bool fold_read_back(void *ctx, uint64_t offset, void *out, size_t len)
{
	const struct fold_input *in = ctx;

	if (offset > in->size || len > in->size - offset)
		return false;
	memcpy(out, in->data + offset, len);
	return true;
}

static bool fold_read_u32(uint32_t *n_r)
{
	unsigned char b[4];

	if (fread(b, 1, sizeof(b), stdin) != sizeof(b))
		return false;
	*n_r = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static void fold_write(const struct buf *b)
{
	unsigned char h[4] = { (unsigned char)(b->len >> 24), (unsigned char)(b->len >> 16),
			       (unsigned char)(b->len >> 8), (unsigned char)b->len };

	fwrite(h, 1, sizeof(h), stdout);
	fwrite(b->data, 1, b->len, stdout);
}

static int fold_messages(void)
{
	uint32_t n;

	while (fold_read_u32(&n)) {
		if (n > FOLD_MESSAGE_MAX) {
			fprintf(stderr, "pg-fold-text: message of %u bytes\n", n);
			return 1;
		}
		unsigned char *data = malloc(n + 1u);
		struct fold_input in = { data, n };

		if (data == NULL || fread(data, 1, n, stdin) != n) {
			fprintf(stderr, "pg-fold-text: short input\n");
			free(data);
			return 1;
		}
		struct mail_summary_builder *b = mail_summary_builder_create();

		mail_summary_builder_feed(b, data, n);
		if (!mail_summary_builder_finish(b, fold_read_back, &in)) {
			fprintf(stderr, "pg-fold-text: summary failed\n");
			mail_summary_builder_destroy(&b);
			free(data);
			return 1;
		}
		const struct mail_text *t = mail_summary_builder_text(b);

		fold_write(&t->header);
		fold_write(&t->part_headers);
		fold_write(&t->body);
		mail_summary_builder_destroy(&b);
		free(data);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "messages") == 0)
		return fold_messages();
	if (argc == 3 && strcmp(argv[1], "needle") == 0) {
		struct buf out;

		buf_init(&out, 64 * 1024);
		casefold_utf8(argv[2], strlen(argv[2]), &out);
		fwrite(out.data, 1, out.len, stdout);
		buf_free(&out);
		return 0;
	}
	fprintf(stderr, "usage: pg-fold-text messages < RECORDS | needle STRING\n");
	return 2;
}
