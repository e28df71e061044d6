/* libFuzzer target for the IMAP command parser: feeds the input in chunks
 * whose size comes from the first byte, accepts literals up to a limit, walks
 * every parsed tree, and checks the result sequence equals a whole-input run.
 *
 * Build and run (from the repository root):
 *   clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=all -Isrc tests/fuzz/fuzz-parser.c src/imap/parser.c \
 *     src/core/arena.c src/core/xalloc.c src/core/buf.c -o build/fuzz-parser
 *   build/fuzz-parser -max_total_time=120 -max_len=4096 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "imap/fetch-items.h"
#include "imap/parser.h"

/* Small limits so the fuzzer reaches every limit quickly. */
static const struct imap_parser_limits fuzz_limits = {
	.max_line = 200, .max_command = 1000, .max_depth = 6, .max_args = 40,
};
/* Literals above this are refused (as a session would answer NO [TOOBIG]);
 * above max_command so the parser's own check is exercised too. */
#define FUZZ_LITERAL_MAX 1200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 1099511628211ULL;
}

/* Hashes an argument tree without recursion, checking its invariants. */
static uint64_t hash_args(uint64_t h, const struct imap_arg *args, unsigned int count)
{
	struct { const struct imap_arg *a; unsigned int n, i; } st[16];
	unsigned int top = 0;
	size_t total = 0;

	st[0].a = args;
	st[0].n = count;
	st[0].i = 0;
	for (;;) {
		if (st[top].i == st[top].n) {
			h = mix(h, ')');
			if (top-- == 0)
				break;
			continue;
		}
		const struct imap_arg *a = &st[top].a[st[top].i++];
		h = mix(h, a->type);
		if (a->type == IMAP_ARG_LIST) {
			if (top + 1 >= 16 || top + 1 > fuzz_limits.max_depth)
				abort();
			top++;
			st[top].a = a->list;
			st[top].n = a->list_count;
			st[top].i = 0;
			continue;
		}
		if (a->str[a->len] != '\0')
			abort();
		total += a->len;
		for (size_t i = 0; i < a->len; i++)
			h = mix(h, (unsigned char)a->str[i]);
		/* the helpers must agree with the type */
		if (imap_arg_astring(a) != NULL && memchr(a->str, '\0', a->len) != NULL)
			abort();
		if (a->type == IMAP_ARG_ATOM && imap_arg_string(a) != NULL)
			abort();
		if (imap_arg_is_nil(a) && a->type != IMAP_ARG_ATOM)
			abort();
	}
	if (total > fuzz_limits.max_command)
		abort();
	return h;
}

static uint64_t run(const uint8_t *data, size_t size, size_t chunk)
{
	struct imap_parser *p = imap_parser_create(&fuzz_limits);
	struct arena *arena = arena_create(4096);
	uint64_t h = 14695981039346656037ULL;
	size_t off = 0, avail = 0;

	for (unsigned int guard = 0; guard < 1000000; guard++) {
		if (off == avail) {
			if (avail == size)
				break;
			avail = chunk == 0 || size - avail < chunk ? size : avail + chunk;
		}
		size_t used = 0;
		enum imap_parse_result r = imap_parser_feed(p, data + off, avail - off, &used);
		unsigned int count;
		const struct imap_arg *args;

		if (used > avail - off)
			abort();
		off += used;
		if (r == IMAP_PARSE_NEED_MORE) {
			if (off != avail)
				abort();
			continue;   /* how often depends on chunking: not hashed */
		}
		h = mix(h, r);
		if (r == IMAP_PARSE_BAD) {
			const char *e = imap_parser_error(p);
			if (e == NULL)
				abort();
			h = mix(h, (uintptr_t)e);   /* fixed strings: same pointer */
			if (imap_parser_error_fatal(p))
				break;
			continue;
		}
		const char *tag = imap_parser_tag(p);
		if (tag == NULL)
			abort();
		for (const char *t = tag; *t != '\0'; t++)
			h = mix(h, (unsigned char)*t);
		args = imap_parser_args(p, &count);
		h = hash_args(h, args, count);
		if (r == IMAP_PARSE_DONE) {
			if (count == 0 || args[0].type != IMAP_ARG_ATOM)
				abort();
			/* Every argument also as FETCH's data items: the section
			 * grammar inside atoms is parsed by fetch-items.c. */
			for (unsigned int i = 1; i < count; i++) {
				struct fetch_request req;
				const char *error = NULL;
				bool ok = fetch_items_parse(&args[i], arena, &req, &error);

				if (!ok && error == NULL)
					abort();
				if (ok && (req.count == 0 || req.count > FETCH_ITEMS_MAX))
					abort();
				h = mix(h, ok ? req.count : 0);
			}
			arena_reset(arena);
			continue;
		}
		const struct imap_literal_info *li = imap_parser_literal(p);
		if (li == NULL)
			abort();
		h = mix(h, li->size);
		h = mix(h, li->sync * 2 + li->literal8);
		if (li->size <= FUZZ_LITERAL_MAX)
			imap_parser_literal_accept(p);
		else
			imap_parser_literal_refuse(p);
		if (imap_parser_error_fatal(p))
			break;
	}
	imap_parser_destroy(&p);
	arena_destroy(&arena);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* first byte: 0 = whole input at once, else chunks of 1..255 bytes */
	size_t chunk = data[0];

	if (run(data + 1, size - 1, chunk) != run(data + 1, size - 1, 0))
		abort();
	return 0;
}
