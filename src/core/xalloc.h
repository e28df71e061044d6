/* Allocation that cannot return NULL: out of memory aborts with a message. */
#ifndef PETREL_XALLOC_H
#define PETREL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
