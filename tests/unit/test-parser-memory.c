/* What a parser keeps after a small command (IDLE's) (issue 13, "Memory per user"):
 * every connected session holds one, so after a small command it keeps at
 * most PARSER_IDLE_BYTES_MAX of heap with the post-login limits (64 levels
 * of nesting, 64 KiB lines), while a deeply nested command still parses.
 * It kept 6.2 KB: a 4 KiB first arena block and a stack for all 64
 * levels. Measured with glibc's mallinfo2() (unit tests run on glibc's
 * malloc); skipped under a sanitizer, whose allocator it does not see. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "imap/parser.h"
#include "unit.h"

/* The parser struct, its arena's 512-byte first block, a stack for five
 * levels and the token buffer, with malloc's headers: 1.6 KB measured. */
#define PARSER_IDLE_BYTES_MAX 2048

static const struct imap_parser_limits auth_limits = {
	.max_line = 64 * 1024,
	.max_command = 256 * 1024,
	.max_depth = 64,
	.max_args = 16 * 1024,
};

static enum imap_parse_result feed_all(struct imap_parser *p, const char *s)
{
	size_t len = strlen(s), used = 0;
	enum imap_parse_result r = IMAP_PARSE_NEED_MORE;

	while (len > 0) {
		r = imap_parser_feed(p, (const unsigned char *)s, len, &used);
		if (r != IMAP_PARSE_NEED_MORE)
			break;
		s += used;
		len -= used;
	}
	return r;
}

static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

static bool sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#else
	return false;
#endif
}

int main(void)
{
	char deep[512];
	size_t before = heap_in_use();
	struct imap_parser *p = imap_parser_create(&auth_limits);

	/* A bigger command's extra blocks go when the next one starts. */
	CHECK_INT(feed_all(p, "a1 UID FETCH 1:* (FLAGS UID)\r\n"), IMAP_PARSE_DONE);
	CHECK_STR(imap_parser_tag(p), "a1");
	CHECK_INT(feed_all(p, "a2 IDLE\r\n"), IMAP_PARSE_DONE);
	CHECK_STR(imap_parser_tag(p), "a2");
	size_t kept = heap_in_use() - before;
	if (sanitized()) {
		printf("# skipped the heap figure (sanitizer build)\n");
	} else {
		printf("# a parser after a small command: %zu bytes of heap\n", kept);
		CHECK(kept <= PARSER_IDLE_BYTES_MAX);
	}

	/* 64 levels, the most the limits allow: the stack grows to them. */
	int n = snprintf(deep, sizeof(deep), "a3 SEARCH ");
	for (int i = 0; i < 64; i++)
		deep[n++] = '(';
	n += snprintf(deep + n, sizeof(deep) - (size_t)n, "ALL");
	for (int i = 0; i < 64; i++)
		deep[n++] = ')';
	snprintf(deep + n, sizeof(deep) - (size_t)n, "\r\n");
	CHECK_INT(feed_all(p, deep), IMAP_PARSE_DONE);
	CHECK_STR(imap_parser_tag(p), "a3");
	unsigned int count = 0;
	const struct imap_arg *args = imap_parser_args(p, &count);
	CHECK_INT(count, 2);
	CHECK(args != NULL);
	/* One more is refused, and the parser goes on. */
	memmove(deep + 10, deep + 9, strlen(deep + 9) + 1);
	deep[9] = '(';
	char *end = deep + strlen(deep) - 2;
	memcpy(end, ")\r\n", 4);
	CHECK_INT(feed_all(p, deep), IMAP_PARSE_BAD);
	CHECK_INT(feed_all(p, "a4 NOOP\r\n"), IMAP_PARSE_DONE);
	CHECK_STR(imap_parser_tag(p), "a4");
	imap_parser_destroy(&p);
	return unit_finish("parser-memory");
}
