/* Response writer: pieces of response text to a sink. Pieces are formatted
 * into a stack buffer; a single piece longer than that (a caller formatting
 * a long string with "%s") goes through one heap buffer of its own size, so
 * no length is ever refused. */
#include "imap/resp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"

/* Big enough for any fixed-form line (a status response, a FETCH FLAGS
 * line with a few keywords); longer pieces take the heap path. */
#define RESP_PIECE_STACK 512

static void buf_sink(void *ctx, const void *data, size_t len)
{
	buf_append(ctx, data, len);
}

void resp_out_init_buf(struct resp_out *out, struct buf *b)
{
	out->write = buf_sink;
	out->ctx = b;
}

void resp_append(struct resp_out *out, const void *data, size_t len)
{
	if (len > 0)
		out->write(out->ctx, data, len);
}

void resp_str(struct resp_out *out, const char *s)
{
	resp_append(out, s, strlen(s));
}

void resp_vprintf(struct resp_out *out, const char *fmt, va_list ap)
{
	char stack[RESP_PIECE_STACK];
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(stack, sizeof(stack), fmt, ap);
	if (n < 0) {
		va_end(again);
		return;
	}
	if ((size_t)n < sizeof(stack)) {
		resp_append(out, stack, (size_t)n);
	} else {
		char *heap = xmalloc((size_t)n + 1);

		vsnprintf(heap, (size_t)n + 1, fmt, again);
		resp_append(out, heap, (size_t)n);
		free(heap);
	}
	va_end(again);
}

void resp_printf(struct resp_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	resp_vprintf(out, fmt, ap);
	va_end(ap);
}

void resp_crlf(struct resp_out *out)
{
	resp_append(out, "\r\n", 2);
}

void resp_uid_set(struct resp_out *out, const uint32_t *uids, uint32_t n)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j > i)
			resp_printf(out, "%s%" PRIu32 ":%" PRIu32, i > 0 ? "," : "", uids[i], uids[j]);
		else
			resp_printf(out, "%s%" PRIu32, i > 0 ? "," : "", uids[i]);
		i = j + 1;
	}
}
