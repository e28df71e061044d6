/* Unit tests for the arena: allocation, reset, and mark/release (what a
 * long-running command such as IDLE uses to keep its arena bounded). */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "unit.h"

static void test_alloc_reset(void)
{
	struct arena *a = arena_create(256);
	char *p = arena_alloc(a, 10);

	CHECK(p != NULL && ((uintptr_t)p & 15) == 0);
	CHECK(p[0] == 0 && p[9] == 0);
	CHECK_STR(arena_strdup(a, "hello"), "hello");
	CHECK_STR(arena_printf(a, "%d-%s", 42, "x"), "42-x");
	CHECK_INT(arena_allocated(a), 256);
	arena_alloc(a, 5000);              /* a block of its own */
	CHECK(arena_allocated(a) >= 256 + 5000);
	arena_reset(a);
	CHECK_INT(arena_allocated(a), 256);
	arena_destroy(&a);
	CHECK(a == NULL);
}

static void test_mark_release(void)
{
	struct arena *a = arena_create(256);
	char *keep = arena_strdup(a, "tag");
	struct arena_mark m = arena_mark(a);
	size_t before = arena_allocated(a);

	/* Many steps, each released: the arena does not grow. */
	for (int step = 0; step < 10000; step++) {
		char *tmp = arena_alloc(a, 100 + (size_t)(step % 7) * 1000);

		memset(tmp, 'x', 100);
		arena_release(a, m);
	}
	CHECK_INT(arena_allocated(a), before);
	CHECK_STR(keep, "tag");
	/* What was allocated before the mark stays; the next allocation
	 * reuses the released room. */
	char *again = arena_alloc(a, 16);
	CHECK(again == keep + 16);
	/* A mark on an empty arena releases to empty. */
	struct arena *b = arena_create(256);
	struct arena_mark empty = arena_mark(b);
	arena_alloc(b, 100);
	arena_alloc(b, 10000);
	arena_release(b, empty);
	CHECK_INT(arena_allocated(b), 256);
	arena_destroy(&b);
	arena_destroy(&a);
}

int main(void)
{
	test_alloc_reset();
	test_mark_release();
	return unit_finish("arena");
}
