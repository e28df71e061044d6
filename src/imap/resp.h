/* The response writer: the one way response text leaves a session. Text is
 * written in pieces, in order, to a sink (the session's connection, or a
 * buffer in tests and on workers); a line of any length passes through
 * without being held whole, and nothing here aborts or truncates. Each
 * piece is formatted on the stack when it fits, so the cost of a line is its
 * bytes in the connection's output, which the session bounds (session.h). */
#ifndef PETREL_IMAP_RESP_H
#define PETREL_IMAP_RESP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

typedef void resp_write_fn(void *ctx, const void *data, size_t len);

struct resp_out {
	resp_write_fn *write;
	void *ctx;
};

/* A sink that appends to b (whose own maximum still applies). */
void resp_out_init_buf(struct resp_out *out, struct buf *b);

void resp_append(struct resp_out *out, const void *data, size_t len);
void resp_str(struct resp_out *out, const char *s);
void resp_printf(struct resp_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void resp_vprintf(struct resp_out *out, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void resp_crlf(struct resp_out *out);
/* uids ascending: "1:3,7,9:12", written range by range. */
void resp_uid_set(struct resp_out *out, const uint32_t *uids, uint32_t n);

#endif
