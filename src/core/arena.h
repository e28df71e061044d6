/* Arena allocator: many small allocations freed together. A session owns one
 * arena for its lifetime and each command one that is reset when it completes.
 * Allocation never fails silently: out of memory aborts (as Dovecot and Redis do). */
#ifndef PETREL_ARENA_H
#define PETREL_ARENA_H

#include <stddef.h>

struct arena;

/* first_block: bytes of the first block, allocated lazily on first use so an
 * idle session with an empty arena costs only the struct. */
struct arena *arena_create(size_t first_block);
void arena_destroy(struct arena **arena);

void *arena_alloc(struct arena *arena, size_t size);   /* 16-aligned, zeroed */
char *arena_strndup(struct arena *arena, const char *s, size_t len);
char *arena_strdup(struct arena *arena, const char *s);
char *arena_printf(struct arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Frees every block but the first, so a command's arena is cheap to reuse. */
void arena_reset(struct arena *arena);
/* Bytes held by the arena's blocks, for memory accounting. */
size_t arena_allocated(const struct arena *arena);

/* A point to go back to: arena_release() frees everything allocated after
 * arena_mark() (a command that runs many steps, IDLE's syncs, keeps its
 * arena from growing with each). Marks nest; releasing one invalidates
 * the later ones, and arena_reset() all of them. */
struct arena_block;
struct arena_mark {
	struct arena_block *block;
	size_t used;
};
struct arena_mark arena_mark(const struct arena *arena);
void arena_release(struct arena *arena, struct arena_mark mark);

#endif
