/* Arena allocator: bump allocation inside blocks; big requests get their own
 * block. Never frees single allocations. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct arena_block *head;      /* newest block */
	struct arena_block *first;     /* kept across resets */
	size_t first_size;
	size_t total;
};

struct arena *arena_create(size_t first_block)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->first_size = first_block < 256 ? 256 : first_block;
	return a;
}

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *arena_alloc(struct arena *a, size_t size)
{
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	struct arena_block *b = a->head;

	if (need < size)
		abort();
	if (b == NULL || b->size - b->used < need) {
		size_t bsize;

		if (a->first == NULL) {
			bsize = a->first_size;
		} else {
			bsize = b->size * 2;
			if (bsize > 1024 * 1024)
				bsize = 1024 * 1024;
		}
		if (bsize < need)
			bsize = need;
		b = block_new(bsize);
		a->total += bsize;
		if (a->first == NULL)
			a->first = b;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_reset(struct arena *a)
{
	struct arena_block *b = a->head;

	while (b != NULL && b != a->first) {
		struct arena_block *next = b->next;

		a->total -= b->size;
		free(b);
		b = next;
	}
	a->head = a->first;
	if (a->first != NULL) {
		a->first->used = 0;
		a->first->next = NULL;
	}
}

struct arena_mark arena_mark(const struct arena *a)
{
	struct arena_mark m = { a->head, a->head != NULL ? a->head->used : 0 };

	return m;
}

void arena_release(struct arena *a, struct arena_mark m)
{
	if (m.block == NULL) {
		arena_reset(a);
		return;
	}
	while (a->head != m.block) {
		struct arena_block *b = a->head;

		a->head = b->next;
		a->total -= b->size;
		free(b);
	}
	m.block->used = m.used;
}

size_t arena_allocated(const struct arena *a)
{
	return a->total;
}

void arena_destroy(struct arena **ap)
{
	struct arena *a = *ap;

	if (a == NULL)
		return;
	arena_reset(a);
	free(a->first);
	free(a);
	*ap = NULL;
}
