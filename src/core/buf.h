/* Bounded byte buffer: grows on the heap up to a hard maximum; an append past
 * the maximum fails and marks the buffer overflowed instead of writing. The
 * data is always NUL-terminated (the NUL is not counted in len). */
#ifndef PETREL_BUF_H
#define PETREL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;        /* hard limit on len */
	bool overflow;     /* an append was refused */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_clear(struct buf *b);     /* len = 0, overflow = false, keeps memory */

/* Room for extra more bytes (and the NUL) without changing len: for
 * writing straight into data + len. False (overflow set) past max. */
bool buf_reserve(struct buf *b, size_t extra);
bool buf_append(struct buf *b, const void *data, size_t len);
bool buf_append_str(struct buf *b, const char *s);
bool buf_append_char(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
