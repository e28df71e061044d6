/* The streaming MIME parser: exact offsets, sizes and line counts of every
 * part for the shapes FETCH BODYSTRUCTURE meets (simple, mixed, nested,
 * message/rfc822, broken boundaries, bare LF, NULs and 8-bit), the limits
 * (depth, part count, header size), and that feeding a message whole, one
 * byte at a time or split at random points gives the same tree. Real
 * messages from Python's email test data must parse, with part counts
 * matching Python's email module for a few. */
#include <stdint.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "mail/message-parser.h"
#include "unit.h"

/* One line per part, pre-order: depth type/subtype
 * header_offset+bytes/lines body_offset+bytes/lines flags. */
static void dump(const struct message_part *root, struct buf *out)
{
	for (const struct message_part *p = root; p != NULL; p = message_part_next(p)) {
		buf_printf(out, "%u %s/%s %llu+%llu/%llu %llu+%llu/%llu %x%s%s\n", p->depth,
			   p->type, p->subtype, (unsigned long long)p->header_offset,
			   (unsigned long long)p->header_size.bytes,
			   (unsigned long long)p->header_size.lines,
			   (unsigned long long)p->body_offset,
			   (unsigned long long)p->body_size.bytes,
			   (unsigned long long)p->body_size.lines, p->flags,
			   p->boundary != NULL ? " " : "", p->boundary != NULL ? p->boundary : "");
	}
}

static unsigned int rng_state = 12345;

static unsigned int rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) & 0x7fff;
}

/* mode 0: whole; 1: one byte at a time; 2+: random chunks (seeded by mode). */
static char *parse(const char *msg, size_t len, int mode)
{
	struct arena *a = arena_create(4096);
	struct message_parser *p = message_parser_create(a);
	struct buf out;

	buf_init(&out, 64 * 1024 * 1024);
	if (mode == 0) {
		message_parser_feed(p, msg, len);
	} else if (mode == 1) {
		for (size_t i = 0; i < len; i++)
			message_parser_feed(p, msg + i, 1);
	} else {
		rng_state = (unsigned int)mode;
		for (size_t i = 0; i < len;) {
			size_t n = 1 + rng() % 97;

			if (n > len - i)
				n = len - i;
			message_parser_feed(p, msg + i, n);
			i += n;
		}
	}
	struct message_part *root = message_parser_finish(p);

	dump(root, &out);
	message_parser_destroy(&p);
	arena_destroy(&a);
	char *r = xstrdup(out.data != NULL ? out.data : "");

	buf_free(&out);
	return r;
}

/* Parses msg whole, byte by byte and in random chunks; all must agree and
 * equal want (if not NULL). */
static void check_msg(const char *name, const char *msg, size_t len, const char *want)
{
	char *whole = parse(msg, len, 0);
	int modes[] = { 1, 2, 3, 7, 1000 };

	if (want != NULL && strcmp(whole, want) != 0) {
		unit_failed++;
		printf("FAIL %s: got\n%swant\n%s", name, whole, want);
	} else {
		unit_passed++;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *other = parse(msg, len, modes[i]);

		if (strcmp(whole, other) != 0) {
			unit_failed++;
			printf("FAIL %s: mode %d differs:\n%s", name, modes[i], other);
		} else {
			unit_passed++;
		}
		free(other);
	}
	free(whole);
}

#define CHECK_MSG(name, msg, want) check_msg(name, msg, sizeof(msg) - 1, want)

static struct message_part *parse_tree(struct arena *a, const char *msg, size_t len)
{
	struct message_parser *p = message_parser_create(a);

	message_parser_feed(p, msg, len);
	struct message_part *root = message_parser_finish(p);

	message_parser_destroy(&p);
	return root;
}

static char *slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 16 * 1024 * 1024);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	*len_r = b.len;
	return b.data != NULL ? b.data : xstrdup("");
}

static void header_cb(const struct message_part *part, const char *header, size_t size,
		      void *context)
{
	unsigned int *calls = context;

	(void)part;
	(void)header;
	if (size <= MESSAGE_PARSER_HEADER_MAX)
		(*calls)++;
}

int main(void)
{
	/* A simple text message. */
	CHECK_MSG("simple",
		  "From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\nWorld\r\n",
		  "0 text/plain 0+36/3 36+14/2 0\n");
	/* No body at all, no blank line. */
	CHECK_MSG("header only", "Subject: x\r\n", "0 text/plain 0+12/1 12+0/0 0\n");
	CHECK_MSG("empty", "", "0 text/plain 0+0/0 0+0/0 0\n");

	/* multipart/mixed with two parts: the line break before each delimiter
	 * belongs to the delimiter (RFC 2046 §5.1.1). Offsets checked against
	 * string positions by hand. */
	static const char mixed[] =
		"From: a@b\r\n"
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
		"\r\n"
		"preamble\r\n"
		"--XX\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"part one\r\n"
		"--XX\r\n"
		"\r\n"
		"part two\r\n"
		"line 2\r\n"
		"--XX--\r\n"
		"epilogue\r\n";
	CHECK_MSG("mixed", mixed,
		  "0 multipart/mixed 0+59/3 59+98/11 1 XX\n"
		  "1 text/plain 75+28/2 103+8/0 0\n"
		  "1 text/plain 119+2/1 121+16/1 0\n");

	/* The same with bare LF: one byte less per line, same line counts. */
	struct buf lf;

	buf_init(&lf, sizeof(mixed));
	for (const char *c = mixed; *c != '\0'; c++) {
		if (*c != '\r')
			buf_append_char(&lf, *c);
	}
	check_msg("mixed LF", lf.data, lf.len,
		  "0 multipart/mixed 0+56/3 56+87/11 1 XX\n"
		  "1 text/plain 70+26/2 96+8/0 0\n"
		  "1 text/plain 110+1/1 111+15/1 0\n");
	buf_free(&lf);

	/* multipart/alternative inside mixed; the inner boundary "XX" is a
	 * prefix of the outer "XXouter": the longest match wins. The outer
	 * delimiter ends the inner multipart, which never saw its close
	 * delimiter (flag 0x10). */
	CHECK_MSG("nested",
		  "Content-Type: multipart/mixed; boundary=XXouter\n"
		  "\n"
		  "--XXouter\n"
		  "Content-Type: multipart/alternative; boundary=XX\n"
		  "\n"
		  "--XX\n"
		  "\n"
		  "plain\n"
		  "--XX\n"
		  "Content-Type: text/html\n"
		  "\n"
		  "<b>html</b>\n"
		  "--XXouter\n"
		  "Content-Type: image/png\n"
		  "\n"
		  "PNG\n"
		  "--XXouter--\n",
		  "0 multipart/mixed 0+49/2 49+165/15 1 XXouter\n"
		  "1 multipart/alternative 59+50/2 109+53/6 11 XX\n"
		  "2 text/plain 114+1/1 115+5/0 0\n"
		  "2 text/html 126+25/2 151+11/0 0\n"
		  "1 image/png 173+25/2 198+3/0 0\n");

	/* message/rfc822 attachment with its own multipart. */
	CHECK_MSG("rfc822",
		  "Content-Type: multipart/mixed; boundary=o\n"
		  "\n"
		  "--o\n"
		  "\n"
		  "see attached\n"
		  "--o\n"
		  "Content-Type: message/rfc822\n"
		  "\n"
		  "Subject: inner\n"
		  "Content-Type: multipart/alternative; boundary=i\n"
		  "\n"
		  "--i\n"
		  "\n"
		  "one\n"
		  "--i\n"
		  "\n"
		  "two\n"
		  "--i--\n"
		  "--o--\n",
		  "0 multipart/mixed 0+43/2 43+146/17 1 o\n"
		  "1 text/plain 47+1/1 48+12/0 0\n"
		  /* "--i--\n" keeps its line break even before "--o--" (as
		   * Dovecot counts) */
		  "1 message/rfc822 65+30/2 95+88/10 2\n"
		  "2 multipart/alternative 95+64/3 159+24/7 1 i\n"
		  "3 text/plain 163+1/1 164+3/0 0\n"
		  "3 text/plain 172+1/1 173+3/0 0\n");

	/* Missing final boundary: the last part runs to the end. */
	CHECK_MSG("no final boundary",
		  "Content-Type: multipart/mixed; boundary=b\n"
		  "\n"
		  "--b\n"
		  "\n"
		  "one\n"
		  "--b\n"
		  "\n"
		  "two\n",
		  "0 multipart/mixed 0+43/2 43+18/6 11 b\n"
		  "1 text/plain 47+1/1 48+3/0 0\n"
		  "1 text/plain 56+1/1 57+4/1 0\n");
	/* No boundary line at all: one multipart without children. */
	CHECK_MSG("no boundary at all",
		  "Content-Type: multipart/mixed; boundary=b\n\nnothing here\n",
		  "0 multipart/mixed 0+43/2 43+13/1 11 b\n");
	/* An outer delimiter right after a part's blank line: that line break
	 * is the header's, so nothing is taken off the bodies (found by the
	 * fuzzer: the parent used to end before its child's header did). */
	/* The blank line ending a part's header right before a delimiter
	 * belongs to the delimiter (as Dovecot counts). */
	CHECK_MSG("delimiter after header",
		  "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
		  "Content-Type: multipart/mixed; boundary=i\n\n--i\nA: b\n\n--o--\n",
		  "0 multipart/mixed 0+43/2 43+63/7 1 o\n"
		  "1 multipart/mixed 47+43/2 90+9/2 11 i\n"
		  "2 text/plain 94+5/1 99+0/0 0\n");
	/* A multipart without a boundary parameter is a multipart without
	 * parts (as Dovecot): its body is opaque. */
	CHECK_MSG("no boundary param",
		  "Content-Type: multipart/mixed\n\n--b\nx\n",
		  "0 multipart/mixed 0+31/2 31+6/2 1\n");

	/* Delimiter right at the start of the body (no preamble), transport
	 * padding after delimiters, a part header cut by a delimiter and an
	 * empty part between two delimiters. */
	CHECK_MSG("no preamble",
		  "Content-Type: multipart/mixed; boundary=\"b c\"\r\n"
		  "\r\n"
		  "--b c \t\r\n"
		  "Content-Type: text/html\r\n"
		  "--b c\r\n"
		  "--b c\r\n"
		  "\r\n"
		  "x\r\n"
		  "--b c-- \r\n",
		  "0 multipart/mixed 0+49/2 49+63/7 1 b c\n"
		  "1 text/html 58+25/1 83+0/0 0\n"
		  "1 text/plain 90+0/0 90+0/0 0\n"
		  "1 text/plain 97+2/1 99+1/0 0\n");
	/* A boundary as the first line of the top header is just a header line. */
	CHECK_MSG("delimiter in top header",
		  "--b\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n",
		  "0 multipart/mixed 0+47/3 47+13/4 1 b\n"
		  "1 text/plain 51+1/1 52+1/0 0\n");
	/* The close delimiter at the very end without a line break. */
	CHECK_MSG("close at EOF",
		  "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--",
		  "0 multipart/mixed 0+43/2 43+12/3 1 b\n"
		  "1 text/plain 47+1/1 48+1/0 0\n");
	/* multipart/digest: parts default to message/rfc822 (RFC 2046 §5.1.5). */
	CHECK_MSG("digest",
		  "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nbody\n--d--\n",
		  "0 multipart/digest 0+44/2 44+28/6 1 d\n"
		  "1 message/rfc822 48+1/1 49+16/2 2\n"
		  "2 text/plain 49+12/2 61+4/0 0\n");

	/* NULs and 8-bit bytes in bodies. */
	static const char bin[] =
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n\na\0b\n--b\n\n\xC3\xA9t\xC3\xA9\n--b--\n";
	CHECK_MSG("nul and 8bit", bin,
		  "0 multipart/mixed 0+43/2 43+26/7 1 b\n"
		  "1 text/plain 47+1/1 48+3/0 8\n"
		  "1 text/plain 56+1/1 57+5/0 4\n");
	CHECK_MSG("binary no LF", "\n\0\0\xff\xfe\x01",
		  "0 text/plain 0+1/1 1+5/0 c\n");

	/* A header bigger than the parsed limit is still counted; the
	 * Content-Type after the limit is not seen. */
	{
		struct buf big;

		buf_init(&big, 1024 * 1024);
		for (int i = 0; i < 2000; i++)
			buf_printf(&big, "X-Filler-%04d: %s\r\n", i, "0123456789012345678901234567890123456789");
		buf_append_str(&big, "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n");
		char *d = parse(big.data, big.len, 0);
		char want[128];

		snprintf(want, sizeof(want), "0 text/plain 0+%zu/2002 %zu+10/3 0\n",
			 big.len - 10, big.len - 10);
		CHECK_STR(d, want);
		free(d);
		check_msg("big header", big.data, big.len, NULL);
		buf_free(&big);
	}

	/* Nesting beyond the limit: levels past MESSAGE_PARSER_MAX_DEPTH are
	 * opaque bodies (flag LIMITED on the last multipart). */
	{
		struct buf deep;
		int levels = MESSAGE_PARSER_MAX_DEPTH + 50;

		buf_init(&deep, 1024 * 1024);
		for (int i = 0; i < levels; i++)
			buf_printf(&deep, "Content-Type: multipart/mixed; boundary=\"=_%d_=\"\n\n--=_%d_=\n", i, i);
		buf_append_str(&deep, "\ninnermost\n");
		for (int i = levels - 1; i >= 0; i--)
			buf_printf(&deep, "--=_%d_=--\n", i);
		struct arena *a = arena_create(4096);
		struct message_part *root = parse_tree(a, deep.data, deep.len);
		const struct message_part *last = root;
		unsigned int max_depth = 0;

		for (const struct message_part *p = root; p != NULL; p = message_part_next(p)) {
			if (p->depth > max_depth)
				max_depth = p->depth;
			last = p;
		}
		CHECK_INT(max_depth, MESSAGE_PARSER_MAX_DEPTH - 1);
		CHECK_INT(message_part_count(root), MESSAGE_PARSER_MAX_DEPTH);
		CHECK_STR(last->type, "multipart");
		CHECK(last->flags & MESSAGE_PART_FLAG_LIMITED);
		CHECK(!(last->flags & MESSAGE_PART_FLAG_MULTIPART));
		CHECK(root->flags & MESSAGE_PART_FLAG_MULTIPART);
		CHECK(!(root->flags & MESSAGE_PART_FLAG_NO_FINAL_BOUNDARY));
		CHECK_INT(root->body_offset + root->body_size.bytes, deep.len);
		check_msg("deep", deep.data, deep.len, NULL);
		arena_destroy(&a);
		buf_free(&deep);
	}
	/* Deep message/rfc822 nesting is bounded the same way. */
	{
		struct buf deep;

		buf_init(&deep, 1024 * 1024);
		for (int i = 0; i < 5000; i++)
			buf_append_str(&deep, "Content-Type: message/rfc822\n\n");
		buf_append_str(&deep, "body\n");
		struct arena *a = arena_create(4096);
		struct message_part *root = parse_tree(a, deep.data, deep.len);

		CHECK_INT(message_part_count(root), MESSAGE_PARSER_MAX_DEPTH);
		arena_destroy(&a);
		buf_free(&deep);
	}

	/* More parts than the limit: the rest is the last part's body. */
	{
		struct buf many;
		int parts = MESSAGE_PARSER_MAX_PARTS + 500;

		buf_init(&many, 4 * 1024 * 1024);
		buf_append_str(&many, "Content-Type: multipart/mixed; boundary=m\n\n");
		for (int i = 0; i < parts; i++)
			buf_printf(&many, "--m\n\npart %d\n", i);
		buf_append_str(&many, "--m--\n");
		struct arena *a = arena_create(4096);
		struct message_part *root = parse_tree(a, many.data, many.len);
		const struct message_part *last = root->children;

		CHECK_INT(message_part_count(root), MESSAGE_PARSER_MAX_PARTS);
		while (last->next != NULL)
			last = last->next;
		CHECK_INT(last->body_offset + last->body_size.bytes, many.len);
		CHECK(root->flags & MESSAGE_PART_FLAG_NO_FINAL_BOUNDARY);
		check_msg("many", many.data, many.len, NULL);
		arena_destroy(&a);
		buf_free(&many);
	}

	/* message_part_find: IMAP section numbers. */
	{
		static const char msg[] =
			"Content-Type: multipart/mixed; boundary=o\n\n--o\n\nt\n--o\n"
			"Content-Type: message/rfc822\n\nSubject: s\n"
			"Content-Type: multipart/alternative; boundary=i\n\n--i\n\none\n--i\n\ntwo\n--i--\n--o--\n";
		struct arena *a = arena_create(4096);
		struct message_part *root = parse_tree(a, msg, sizeof(msg) - 1);
		const struct message_part *p;

		CHECK(message_part_find(root, "") == root);
		CHECK(message_part_find(root, "1") == root->children);
		CHECK(message_part_find(root, "2") == root->children->next);
		p = message_part_find(root, "2.2");
		CHECK(p != NULL && p->body_size.bytes == 3 && p->header_offset > 100);
		CHECK(message_part_find(root, "2.3") == NULL);
		CHECK(message_part_find(root, "3") == NULL);
		/* as Dovecot: part 1 of a non-multipart part is the part itself */
		CHECK(message_part_find(root, "1.1") == root->children);
		CHECK(message_part_find(root, "0") == NULL);
		CHECK(message_part_find(root, "1.") == root->children);
		arena_destroy(&a);

		a = arena_create(4096);
		root = parse_tree(a, "Subject: x\n\nbody\n", 17);
		CHECK(message_part_find(root, "1") == root);
		CHECK(message_part_find(root, "2") == NULL);
		arena_destroy(&a);
	}

	/* The header callback sees every part's header once. */
	{
		struct arena *a = arena_create(4096);
		struct message_parser *p = message_parser_create(a);
		unsigned int calls = 0;

		message_parser_set_header_callback(p, header_cb, &calls);
		message_parser_feed(p, mixed, sizeof(mixed) - 1);
		message_parser_finish(p);
		message_parser_destroy(&p);
		CHECK_INT(calls, 3);
		arena_destroy(&a);
	}

	/* Python's email test messages: every one parses identically however
	 * fed; part counts as Python's email module counts them (walk()). */
	{
		static const struct { const char *file; unsigned int parts; } known[] = {
			{ "msg_02.txt", 15 }, { "msg_04.txt", 3 }, { "msg_07.txt", 3 },
			{ "msg_10.txt", 6 },
			/* Python splits message/delivery-status into its header
			 * blocks (2 and 26 extra "parts"); IMAP and Dovecot keep it
			 * one leaf part, so these are Python's count minus those. */
			{ "msg_16.txt", 7 - 2 }, { "msg_43.txt", 30 - 26 },
			{ "msg_46.txt", 2 }, { "msg_47.txt", 3 },
		};
		const char *dir = getenv("PY_EMAIL_DATA");
		char path[4096];
		DIR *d;
		struct dirent *e;
		unsigned int files = 0;

		/* tests/run-all sets it from Python's test package. */
		d = dir != NULL ? opendir(dir) : NULL;
		while (d != NULL && (e = readdir(d)) != NULL) {
			size_t len;

			if (strncmp(e->d_name, "msg_", 4) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			char *msg = slurp(path, &len);

			if (msg == NULL)
				continue;
			files++;
			check_msg(e->d_name, msg, len, NULL);
			for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
				if (strcmp(known[i].file, e->d_name) != 0)
					continue;
				struct arena *a = arena_create(4096);

				CHECK_INT(message_part_count(parse_tree(a, msg, len)), known[i].parts);
				arena_destroy(&a);
			}
			free(msg);
		}
		if (d != NULL)
			closedir(d);
		if (dir != NULL)
			CHECK(files >= 40);   /* Python 3.11 ships 48 */
		printf("python email data: %u messages%s\n", files,
		       dir == NULL ? " (skipped: PY_EMAIL_DATA not set)" : "");
	}
	return unit_finish("mail-parser");
}
