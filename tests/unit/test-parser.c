/* Unit tests for the incremental IMAP parser: RFC 9051 §6 command examples and
 * hostile input, each fed whole, one byte per call and split in two at every
 * position; the three transcripts of results must be identical. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/parser.h"
#include "unit.h"

#define OUT_MAX 16384

/* Append-only text for transcripts; silently truncates at OUT_MAX. */
struct out {
	char s[OUT_MAX];
	size_t len;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->len >= sizeof(o->s) - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->s + o->len, sizeof(o->s) - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < sizeof(o->s) - o->len ? (size_t)n : sizeof(o->s) - o->len - 1;
}

static void out_bytes(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\'')
			out_add(o, "\\x%02x", c);
		else
			out_add(o, "%c", c);
	}
}

/* a'atom' q'quoted' l'literal' L'literal8' (list) */
static void out_args(struct out *o, const struct imap_arg *args, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_arg *a = &args[i];

		if (i > 0)
			out_add(o, " ");
		switch (a->type) {
		case IMAP_ARG_ATOM:
			out_add(o, "a'");
			break;
		case IMAP_ARG_QUOTED:
			out_add(o, "q'");
			break;
		case IMAP_ARG_LITERAL:
			out_add(o, a->literal8 ? "L'" : "l'");
			break;
		case IMAP_ARG_LIST:
			out_add(o, "(");
			out_args(o, a->list, a->list_count);
			out_add(o, ")");
			continue;
		}
		/* the NUL terminator is part of the contract */
		if (a->str[a->len] != '\0')
			out_add(o, "<no NUL>");
		out_bytes(o, a->str, a->len);
		out_add(o, "'");
	}
}

static void out_cmd(struct out *o, const struct imap_parser *p)
{
	unsigned int count;
	const struct imap_arg *args = imap_parser_args(p, &count);
	const char *tag = imap_parser_tag(p);

	out_add(o, "%s:", tag != NULL ? tag : "-");
	if (count > 0) {
		out_add(o, " ");
		out_args(o, args, count);
	}
}

enum lit_policy { LIT_ACCEPT, LIT_REFUSE_SYNC, LIT_REFUSE_ALL };

enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_SPLIT };

static const struct imap_parser_limits default_limits = {
	.max_line = 1000, .max_command = 4096, .max_depth = 8, .max_args = 64,
};

/* Plays in[0..len) into a new parser as a session would: bytes become
 * available as the mode says and unconsumed bytes are fed again. */
static void run(const char *in, size_t len, enum feed_mode mode, size_t split,
		const struct imap_parser_limits *lim, enum lit_policy pol, struct out *o)
{
	const unsigned char *data = (const unsigned char *)in;
	struct imap_parser *p = imap_parser_create(lim);
	enum imap_parse_result r = IMAP_PARSE_NEED_MORE;
	size_t off = 0, avail = mode == FEED_WHOLE ? len : mode == FEED_SPLIT ? split : 0;
	unsigned int guard = 0;

	o->len = 0;
	o->s[0] = '\0';
	for (;;) {
		if (off == avail) {
			if (avail == len)
				break;
			avail = mode == FEED_BYTES ? avail + 1 : len;
		}
		if (++guard > 100000) {
			out_add(o, "LOOP");
			break;
		}
		size_t used = 0;
		r = imap_parser_feed(p, data + off, avail - off, &used);
		if (used > avail - off) {
			out_add(o, "OVERCONSUMED");
			break;
		}
		off += used;
		if (r == IMAP_PARSE_NEED_MORE) {
			if (off != avail)
				out_add(o, "NEED_MORE-WITH-BYTES-LEFT\n");
			continue;
		}
		if (r == IMAP_PARSE_DONE) {
			out_add(o, "DONE ");
			out_cmd(o, p);
			out_add(o, "\n");
			continue;
		}
		if (r == IMAP_PARSE_BAD) {
			const char *tag = imap_parser_tag(p);
			out_add(o, "BAD %s: %s%s\n", tag != NULL ? tag : "-",
				imap_parser_error(p),
				imap_parser_error_fatal(p) ? " FATAL" : "");
			if (imap_parser_error_fatal(p))
				break;
			continue;
		}
		/* IMAP_PARSE_LITERAL */
		const struct imap_literal_info *li = imap_parser_literal(p);
		out_add(o, "LIT %llu%s%s ", (unsigned long long)li->size,
			li->sync ? "" : "+", li->literal8 ? "~" : "");
		out_cmd(o, p);
		out_add(o, "\n");
		if (pol == LIT_REFUSE_ALL || (pol == LIT_REFUSE_SYNC && li->sync)) {
			imap_parser_literal_refuse(p);
			out_add(o, "REFUSED\n");
		} else {
			imap_parser_literal_accept(p);
		}
		if (imap_parser_error_fatal(p)) {
			out_add(o, "FATAL %s\n", imap_parser_error(p));
			break;
		}
	}
	if (r == IMAP_PARSE_NEED_MORE)
		out_add(o, "MORE\n");
	imap_parser_destroy(&p);
	if (p != NULL)
		out_add(o, "DESTROY-DID-NOT-CLEAR");
}

/* Checks the whole-input transcript against want, and that byte-at-a-time
 * and every two-piece split produce exactly the same transcript. */
static void check_case_lim(const char *name, const char *in, size_t len, const char *want,
			   const struct imap_parser_limits *lim, enum lit_policy pol)
{
	static struct out whole, other;
	unsigned int mismatches = 0;

	run(in, len, FEED_WHOLE, 0, lim, pol, &whole);
	if (strcmp(whole.s, want) != 0)
		printf("case %s:\n--- got\n%s--- want\n%s", name, whole.s, want);
	CHECK_STR(whole.s, want);

	run(in, len, FEED_BYTES, 0, lim, pol, &other);
	if (strcmp(other.s, whole.s) != 0)
		printf("case %s bytewise:\n%s", name, other.s);
	CHECK_STR(other.s, whole.s);

	for (size_t k = 1; k < len; k++) {
		run(in, len, FEED_SPLIT, k, lim, pol, &other);
		if (strcmp(other.s, whole.s) != 0 && mismatches++ == 0)
			printf("case %s split at %zu:\n%s", name, k, other.s);
	}
	if (mismatches != 0)
		printf("case %s: %u split mismatches\n", name, mismatches);
	CHECK_INT(mismatches, 0);
}

static void check_case(const char *name, const char *in, const char *want)
{
	check_case_lim(name, in, strlen(in), want, &default_limits, LIT_ACCEPT);
}

/* For inputs holding NUL bytes: the length comes from the array. */
#define CHECK_BIN(name, in, want) \
	check_case_lim(name, in, sizeof(in) - 1, want, &default_limits, LIT_ACCEPT)

/* RFC 9051 §6 examples (and a few from extensions it references). */
static void test_rfc_examples(void)
{
	check_case("6.1.1", "abcd CAPABILITY\r\n", "DONE abcd: a'CAPABILITY'\n");
	check_case("6.1.2", "a002 NOOP\r\n", "DONE a002: a'NOOP'\n");
	check_case("6.1.3", "A023 LOGOUT\r\n", "DONE A023: a'LOGOUT'\n");
	check_case("6.2.1", "a002 STARTTLS\r\n", "DONE a002: a'STARTTLS'\n");
	check_case("6.2.1 login", "a004 LOGIN joe password\r\n",
		   "DONE a004: a'LOGIN' a'joe' a'password'\n");
	check_case("6.2.2", "A001 AUTHENTICATE GSSAPI\r\n",
		   "DONE A001: a'AUTHENTICATE' a'GSSAPI'\n");
	check_case("6.2.2 ir", "abcd AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
		   "DONE abcd: a'AUTHENTICATE' a'PLAIN' a'dGVzdAB0ZXN0AHRlc3Q='\n");
	check_case("6.2.3", "a001 LOGIN SMITH SESAME\r\n",
		   "DONE a001: a'LOGIN' a'SMITH' a'SESAME'\n");
	check_case("6.3.1", "t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n",
		   "DONE t2: a'ENABLE' a'CONDSTORE' a'X-GOOD-IDEA'\n");
	check_case("6.3.2", "A142 SELECT INBOX\r\n", "DONE A142: a'SELECT' a'INBOX'\n");
	check_case("6.3.3", "A932 EXAMINE blurdybloop\r\n",
		   "DONE A932: a'EXAMINE' a'blurdybloop'\n");
	check_case("6.3.4", "A003 CREATE owatagusiam/\r\n",
		   "DONE A003: a'CREATE' a'owatagusiam/'\n");
	check_case("6.3.4b", "A004 CREATE owatagusiam/blurdybloop\r\n",
		   "DONE A004: a'CREATE' a'owatagusiam/blurdybloop'\n");
	check_case("6.3.5 list", "A682 LIST \"\" *\r\n", "DONE A682: a'LIST' q'' a'*'\n");
	check_case("6.3.5", "A683 DELETE blurdybloop\r\n",
		   "DONE A683: a'DELETE' a'blurdybloop'\n");
	check_case("6.3.5b", "A685 DELETE foo/bar\r\n", "DONE A685: a'DELETE' a'foo/bar'\n");
	check_case("6.3.5c", "A86 LIST \"\" %\r\n", "DONE A86: a'LIST' q'' a'%'\n");
	check_case("6.3.6", "A683 RENAME blurdybloop sarasoop\r\n",
		   "DONE A683: a'RENAME' a'blurdybloop' a'sarasoop'\n");
	check_case("6.3.6b", "Z433 RENAME INBOX old-mail\r\n",
		   "DONE Z433: a'RENAME' a'INBOX' a'old-mail'\n");
	check_case("6.3.7", "A002 SUBSCRIBE #news.comp.mail.mime\r\n",
		   "DONE A002: a'SUBSCRIBE' a'#news.comp.mail.mime'\n");
	check_case("6.3.8", "A002 UNSUBSCRIBE #news.comp.mail.mime\r\n",
		   "DONE A002: a'UNSUBSCRIBE' a'#news.comp.mail.mime'\n");
	check_case("6.3.9a", "A101 LIST \"\" \"\"\r\n", "DONE A101: a'LIST' q'' q''\n");
	check_case("6.3.9b", "A102 LIST #news.comp.mail.misc \"\"\r\n",
		   "DONE A102: a'LIST' a'#news.comp.mail.misc' q''\n");
	check_case("6.3.9c", "A103 LIST /usr/staff/jones \"\"\r\n",
		   "DONE A103: a'LIST' a'/usr/staff/jones' q''\n");
	check_case("6.3.9d", "A202 LIST ~/Mail/ %\r\n", "DONE A202: a'LIST' a'~/Mail/' a'%'\n");
	check_case("6.3.9e", "a LIST \"\" \"%\"\r\n", "DONE a: a'LIST' q'' q'%'\n");
	check_case("6.3.9f", "A02 LIST (SUBSCRIBED) \"\" \"*\"\r\n",
		   "DONE A02: a'LIST' (a'SUBSCRIBED') q'' q'*'\n");
	check_case("6.3.9g", "A03 LIST () \"\" \"%\" RETURN (CHILDREN)\r\n",
		   "DONE A03: a'LIST' () q'' q'%' a'RETURN' (a'CHILDREN')\n");
	check_case("6.3.9h", "A04 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"\r\n",
		   "DONE A04: a'LIST' (a'SUBSCRIBED' a'RECURSIVEMATCH') q'' q'%'\n");
	check_case("6.3.9i", "A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n",
		   "DONE A01: a'LIST' q'' a'%' a'RETURN' (a'STATUS' (a'MESSAGES' a'UNSEEN'))\n");
	check_case("6.3.9j", "A06 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n",
		   "DONE A06: a'LIST' q'' (q'INBOX' q'Drafts' q'Sent/%')\n");
	check_case("6.3.9k", "t1 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n",
		   "DONE t1: a'LIST' q'' q'%' a'RETURN' (a'SPECIAL-USE')\n");
	check_case("6.3.10", "A001 NAMESPACE\r\n", "DONE A001: a'NAMESPACE'\n");
	check_case("6.3.11", "A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
		   "DONE A042: a'STATUS' a'blurdybloop' (a'UIDNEXT' a'MESSAGES')\n");
	check_case("6.3.13", "A001 IDLE\r\n", "DONE A001: a'IDLE'\n");
	check_case("6.4.1", "A341 CLOSE\r\n", "DONE A341: a'CLOSE'\n");
	check_case("6.4.2", "A342 UNSELECT\r\n", "DONE A342: a'UNSELECT'\n");
	check_case("6.4.3", "A202 EXPUNGE\r\n", "DONE A202: a'EXPUNGE'\n");
	check_case("6.4.4a",
		   "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
		   "DONE A282: a'SEARCH' a'RETURN' (a'MIN' a'COUNT') a'FLAGGED' a'SINCE' "
		   "a'1-Feb-1994' a'NOT' a'FROM' q'Smith'\n");
	check_case("6.4.4b",
		   "A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
		   "DONE A283: a'SEARCH' a'RETURN' () a'FLAGGED' a'SINCE' "
		   "a'1-Feb-1994' a'NOT' a'FROM' q'Smith'\n");
	check_case("6.4.4c", "A284 SEARCH TEXT \"string not in mailbox\"\r\n",
		   "DONE A284: a'SEARCH' a'TEXT' q'string not in mailbox'\n");
	/* 12 bytes of UTF-8 in a literal, then the same in a quoted string */
	check_case("6.4.4d",
		   "A285 SEARCH CHARSET UTF-8 TEXT {12}\r\n"
		   "\xd1\x82\xd0\xb5\xd0\xba\xd1\x81\xd1\x82\xd1\x8b\r\n",
		   "LIT 12 A285: a'SEARCH' a'CHARSET' a'UTF-8' a'TEXT'\n"
		   "DONE A285: a'SEARCH' a'CHARSET' a'UTF-8' a'TEXT' "
		   "l'\\xd1\\x82\\xd0\\xb5\\xd0\\xba\\xd1\\x81\\xd1\\x82\\xd1\\x8b'\n");
	check_case("6.4.4e", "A286 SEARCH TEXT \"\xd1\x82\xd0\xb5\xf0\x9f\x98\x80\"\r\n",
		   "DONE A286: a'SEARCH' a'TEXT' q'\\xd1\\x82\\xd0\\xb5\\xf0\\x9f\\x98\\x80'\n");
	check_case("6.4.4.1", "A300 SEARCH RETURN (SAVE) SINCE 1-Jan-2004 NOT FROM \"Smith\"\r\n",
		   "DONE A300: a'SEARCH' a'RETURN' (a'SAVE') a'SINCE' a'1-Jan-2004' "
		   "a'NOT' a'FROM' q'Smith'\n");
	check_case("6.4.4.2", "A301 UID SEARCH UID $ SMALLER 4096\r\n",
		   "DONE A301: a'UID' a'SEARCH' a'UID' a'$' a'SMALLER' a'4096'\n");
	check_case("6.4.5", "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
		   "DONE A654: a'FETCH' a'2:4' (a'FLAGS' a'BODY[HEADER.FIELDS (DATE FROM)]')\n");
	check_case("6.4.5 partial",
		   "a FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> BINARY.PEEK[1.2]<0> "
		   "BODY[])\r\n",
		   "DONE a: a'FETCH' a'1:*' (a'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>' "
		   "a'BINARY.PEEK[1.2]<0>' a'BODY[]')\n");
	check_case("6.4.5 atom", "a FETCH 1 BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>\r\n",
		   "DONE a: a'FETCH' a'1' a'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>'\n");
	check_case("6.4.6", "A003 STORE 2:4 +FLAGS (\\Deleted)\r\n",
		   "DONE A003: a'STORE' a'2:4' a'+FLAGS' (a'\\Deleted')\n");
	check_case("6.4.7", "A003 COPY 2:4 MEETING\r\n", "DONE A003: a'COPY' a'2:4' a'MEETING'\n");
	check_case("6.4.8", "a UID MOVE 42:69 foo\r\n", "DONE a: a'UID' a'MOVE' a'42:69' a'foo'\n");
	check_case("6.4.9", "A999 UID FETCH 4827313:4828442 FLAGS\r\n",
		   "DONE A999: a'UID' a'FETCH' a'4827313:4828442' a'FLAGS'\n");
	check_case("6.4.9b", "A202 UID EXPUNGE 3000:3002\r\n",
		   "DONE A202: a'UID' a'EXPUNGE' a'3000:3002'\n");
	check_case("6.5.1", "A442 XPIG-LATIN\r\n", "DONE A442: a'XPIG-LATIN'\n");
	check_case("ID", "a ID (\"name\" \"sodr\" \"version\" \"19.34\")\r\n",
		   "DONE a: a'ID' (q'name' q'sodr' q'version' q'19.34')\n");
	check_case("ID NIL", "a024 ID NIL\r\n", "DONE a024: a'ID' a'NIL'\n");
	check_case("QRESYNC",
		   "A142 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
		   "DONE A142: a'SELECT' a'INBOX' (a'QRESYNC' (a'67890007' "
		   "a'20050715194045000' a'41,43:211,214:541'))\n");
	check_case("CREATE USE", "t1 CREATE MySpecial (USE (\\Drafts \\Sent))\r\n",
		   "DONE t1: a'CREATE' a'MySpecial' (a'USE' (a'\\Drafts' a'\\Sent'))\n");
}

static void test_append_example(void)
{
	/* RFC 9051 §6.3.12, the message exactly as in the RFC (326 octets). */
	static const char msg[] =
		"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
		"From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
		"Subject: afternoon meeting\r\n"
		"To: mooch@owatagu.siam.edu.example\r\n"
		"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
		"\r\n"
		"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
	static char in[1024];
	static struct out want;

	CHECK_INT(sizeof(msg) - 1, 326);
	snprintf(in, sizeof(in), "A003 APPEND saved-messages (\\Seen) {326}\r\n%s\r\n", msg);
	want.len = 0;
	out_add(&want, "LIT 326 A003: a'APPEND' a'saved-messages' (a'\\Seen')\n");
	out_add(&want, "DONE A003: a'APPEND' a'saved-messages' (a'\\Seen') l'");
	out_bytes(&want, msg, sizeof(msg) - 1);
	out_add(&want, "'\n");
	check_case("6.3.12", in, want.s);

	/* The literal's bytes and NUL terminator, read through the API. */
	struct imap_parser *p = imap_parser_create(&default_limits);
	size_t used, len = strlen(in);
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)in, len, &used), IMAP_PARSE_LITERAL);
	CHECK_INT(used, strlen("A003 APPEND saved-messages (\\Seen) {326}\r\n"));
	imap_parser_literal_accept(p);
	size_t used2;
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)in + used, len - used, &used2),
		  IMAP_PARSE_DONE);
	CHECK_INT(used + used2, len);
	unsigned int count;
	const struct imap_arg *args = imap_parser_args(p, &count);
	CHECK_INT(count, 4);
	if (count == 4) {
		CHECK(imap_arg_is_atom(&args[0], "APPEND"));
		CHECK_STR(imap_arg_astring(&args[1]), "saved-messages");
		CHECK_INT(args[2].type, IMAP_ARG_LIST);
		CHECK_INT(args[2].list_count, 1);
		CHECK_STR(args[2].list_count == 1 ? args[2].list[0].str : NULL, "\\Seen");
		CHECK_INT(args[3].type, IMAP_ARG_LITERAL);
		CHECK(!args[3].literal8);
		CHECK_INT(args[3].len, 326);
		CHECK_STR(imap_arg_string(&args[3]), msg);
	}
	imap_parser_destroy(&p);
	CHECK(p == NULL);
}

static void test_literals(void)
{
	check_case("literal+", "A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n",
		   "LIT 11+ A001: a'LOGIN'\n"
		   "LIT 7+ A001: a'LOGIN' l'FRED FOOBAR'\n"
		   "DONE A001: a'LOGIN' l'FRED FOOBAR' l'fat man'\n");
	check_case("sync", "a LOGIN {5}\r\nhello world\r\n",
		   "LIT 5 a: a'LOGIN'\nDONE a: a'LOGIN' l'hello' a'world'\n");
	CHECK_BIN("literal8", "A003 APPEND Drafts (\\Draft) ~{5}\r\nhe\0lo\r\n",
		  "LIT 5~ A003: a'APPEND' a'Drafts' (a'\\Draft')\n"
		  "DONE A003: a'APPEND' a'Drafts' (a'\\Draft') L'he\\x00lo'\n");
	CHECK_BIN("literal8+", "a APPEND x ~{3+}\r\n\0\0\0\r\n",
		  "LIT 3+~ a: a'APPEND' a'x'\nDONE a: a'APPEND' a'x' L'\\x00\\x00\\x00'\n");
	check_case("in list", "a ID (\"name\" {4}\r\nsodr)\r\n",
		   "LIT 4 a: a'ID'\nDONE a: a'ID' (q'name' l'sodr')\n");
	check_case("nested literals", "a X ((a {1}\r\nb) {2}\r\ncd)\r\n",
		   "LIT 1 a: a'X'\nLIT 2 a: a'X'\nDONE a: a'X' ((a'a' l'b') l'cd')\n");
	check_case("empty", "a LOGIN {0}\r\n \"\"\r\n",
		   "LIT 0 a: a'LOGIN'\nDONE a: a'LOGIN' l'' q''\n");
	check_case("leading zeros", "a LOGIN {003}\r\nabc x\n",
		   "LIT 3 a: a'LOGIN'\nDONE a: a'LOGIN' l'abc' a'x'\n");
	check_case("crlf inside", "a X {4}\r\n\r\n\r\n\r\n",
		   "LIT 4 a: a'X'\nDONE a: a'X' l'\\x0d\\x0a\\x0d\\x0a'\n");
	check_case("bare LF", "a LOGIN {2}\nab\n", "LIT 2 a: a'LOGIN'\nDONE a: a'LOGIN' l'ab'\n");
	check_case("tilde atom", "a X ~foo ~ ~[x]\r\n",
		   "DONE a: a'X' a'~foo' a'~' a'~[x]'\n");
	check_case("truncated", "a LOGIN {5}\r\nhel", "LIT 5 a: a'LOGIN'\nMORE\n");
	check_case("truncated after", "a LOGIN {5}\r\nhello", "LIT 5 a: a'LOGIN'\nMORE\n");
	check_case("max uint64", "a X {18446744073709551615}\r\n",
		   "LIT 18446744073709551615 a: a'X'\nFATAL Literal too large\n");
	check_case_lim("refuse sync", "a LOGIN {5}\r\nb NOOP\r\n", 21,
		       "LIT 5 a: a'LOGIN'\nREFUSED\nDONE b: a'NOOP'\n",
		       &default_limits, LIT_REFUSE_SYNC);
	check_case_lim("refuse nonsync", "a LOGIN {5+}\r\nhello\r\n", 21,
		       "LIT 5+ a: a'LOGIN'\nREFUSED\nFATAL Non-synchronizing literal refused\n",
		       &default_limits, LIT_REFUSE_ALL);

	/* max_command counts the bytes of every argument, the command name and
	 * literals included (not the tag): LOGIN + 10 fits in 15, LOGIN + 11 not.
	 * An accepted literal over it is fatal. */
	struct imap_parser_limits small = default_limits;
	small.max_command = 15;
	check_case_lim("literal fits", "a LOGIN {10}\r\n0123456789\r\n", 26,
		       "LIT 10 a: a'LOGIN'\nDONE a: a'LOGIN' l'0123456789'\n",
		       &small, LIT_ACCEPT);
	check_case_lim("literal over max_command", "a LOGIN {11}\r\n0123456789x\r\n", 27,
		       "LIT 11 a: a'LOGIN'\nFATAL Literal too large\n", &small, LIT_ACCEPT);
	check_case_lim("atom over max_command", "a LOGIN 0123456789 x\r\nb NOOP\r\n", 30,
		       "BAD a: Command too large\nDONE b: a'NOOP'\n", &small, LIT_ACCEPT);
	check_case_lim("quoted over max_command", "a L \"0123456789ABCDEF\"\r\n", 24,
		       "BAD a: Command too large\n", &small, LIT_ACCEPT);
}

static void test_syntax(void)
{
	check_case("bare LF", "a NOOP\n", "DONE a: a'NOOP'\n");
	check_case("tag ]", "a]1 NOOP\r\n", "DONE a]1: a'NOOP'\n");
	check_case("gmail", "a SELECT [Gmail]/Sent\r\n", "DONE a: a'SELECT' a'[Gmail]/Sent'\n");
	check_case("escapes", "a LOGIN \"fr\\\"ed\" \"pa\\\\ss\"\r\n",
		   "DONE a: a'LOGIN' q'fr\"ed' q'pa\\ss'\n");
	check_case("nested", "a X ((a) (b (c)) ())\r\n",
		   "DONE a: a'X' ((a'a') (a'b' (a'c')) ())\n");
	check_case("flags", "a STORE 1 FLAGS (\\Seen \\*) \\Answered\r\n",
		   "DONE a: a'STORE' a'1' a'FLAGS' (a'\\Seen' a'\\*') a'\\Answered'\n");
	check_case("ctl in quoted", "a X \"a\tb\"\r\n", "DONE a: a'X' q'a\\x09b'\n");
	check_case("pipelined", "a NOOP\r\nb LOGIN x y\r\n",
		   "DONE a: a'NOOP'\nDONE b: a'LOGIN' a'x' a'y'\n");
	check_case("incomplete", "a NOOP", "MORE\n");
}

static void test_malformed(void)
{
	check_case("empty line", "\r\n", "BAD -: Empty command line\n");
	check_case("empty LF", "\n", "BAD -: Empty command line\n");
	check_case("whitespace", "   \r\n", "BAD -: Invalid tag\n");
	check_case("tag only", "a\r\n", "BAD a: Missing command name\n");
	check_case("tag space", "a \r\n", "BAD a: Missing command name\n");
	check_case("double space", "a  NOOP\r\n", "BAD a: Unexpected space\n");
	check_case("trailing space", "a NOOP \r\n", "BAD a: Missing argument\n");
	check_case("plus tag", "+a NOOP\r\n", "BAD -: Invalid tag\n");
	check_case("star tag", "a* NOOP\r\n", "BAD -: Invalid tag\n");
	check_case("8bit tag", "\xff NOOP\r\n", "BAD -: Invalid tag\n");
	check_case("list command", "a (NOOP)\r\n", "BAD a: Invalid command name\n");
	check_case("quoted command", "a \"NOOP\"\r\n", "BAD a: Invalid command name\n");
	check_case("literal command", "a {4}\r\n", "BAD a: Invalid command name\n");
	check_case("literal8 command", "a ~{4}\r\n", "BAD a: Invalid character in atom\n");
	check_case("bad escape", "a LOGIN \"a\\x\" b\r\n", "BAD a: Invalid escape in quoted string\n");
	CHECK_BIN("NUL in quoted", "a LOGIN \"a\0b\" c\r\n",
		  "BAD a: Invalid character in quoted string\n");
	check_case("CR in quoted", "a LOGIN \"a\rb\" c\r\n",
		   "BAD a: Invalid character in quoted string\n");
	check_case("LF in quoted", "a LOGIN \"ab\nc NOOP\r\n",
		   "BAD a: Invalid character in quoted string\nDONE c: a'NOOP'\n");
	check_case("utf8 bad cont", "a X \"\xc3\x28\"\r\n", "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 overlong2", "a X \"\xc0\xaf\"\r\n", "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 overlong3", "a X \"\xe0\x80\xaf\"\r\n",
		   "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 overlong4", "a X \"\xf0\x8f\xbf\xbf\"\r\n",
		   "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 surrogate", "a X \"\xed\xa0\x80\"\r\n",
		   "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 too big", "a X \"\xf4\x90\x80\x80\"\r\n",
		   "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 f5", "a X \"\xf5\x80\x80\x80\"\r\n", "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 lone cont", "a X \"\x80\"\r\n", "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 truncated", "a X \"\xe2\x82\"\r\n", "BAD a: Invalid UTF-8 in quoted string\n");
	check_case("utf8 max ok", "a X \"\xf4\x8f\xbf\xbf\xed\x9f\xbf\"\r\n",
		   "DONE a: a'X' q'\\xf4\\x8f\\xbf\\xbf\\xed\\x9f\\xbf'\n");
	check_case("8bit atom", "a SELECT caf\xc3\xa9\r\n", "BAD a: Invalid character in atom\n");
	check_case("8bit arg", "a SELECT \xc3\xa9\r\n", "BAD a: Invalid character\n");
	check_case("ctl atom", "a SELECT a\tb\r\n", "BAD a: Invalid character in atom\n");
	check_case("backslash mid atom", "a X a\\b\r\n", "BAD a: Invalid character in atom\n");
	CHECK_BIN("NUL in literal", "a LOGIN {3}\r\na\0b c\r\nb NOOP\r\n",
		  "LIT 3 a: a'LOGIN'\nBAD a: NUL in literal\nDONE b: a'NOOP'\n");
	check_case("huge literal", "a LOGIN {99999999999999999999999}\r\nb NOOP\r\n",
		   "BAD a: Literal size too large\nDONE b: a'NOOP'\n");
	check_case("huge literal+", "a LOGIN {99999999999999999999999+}\r\nb NOOP\r\n",
		   "BAD a: Literal size too large FATAL\n");
	check_case("uint64+1", "a X {18446744073709551616}\r\n", "BAD a: Literal size too large\n");
	check_case("no close", "a LOGIN {5\r\nb NOOP\r\n",
		   "BAD a: Invalid literal size\nDONE b: a'NOOP'\n");
	check_case("empty size", "a LOGIN {}\r\n", "BAD a: Invalid literal size\n");
	check_case("plus no close", "a LOGIN {5+x}\r\n", "BAD a: Invalid literal size\n");
	check_case("not at eol", "a LOGIN {5} x\r\n", "BAD a: Literal must end the line\n");
	check_case("lit CR no LF", "a LOGIN {5}\rx\nb NOOP\n",
		   "BAD a: CR without LF\nDONE b: a'NOOP'\n");
	check_case("CR no LF", "a NOOP\rb NOOP\r\nc NOOP\r\n",
		   "BAD a: CR without LF\nDONE c: a'NOOP'\n");
	check_case("unclosed (", "a X (a b\r\n", "BAD a: Missing ')'\n");
	check_case("unclosed ( eol", "a X (\r\n", "BAD a: Missing ')'\n");
	check_case("unclosed nested", "a X ((a) b\r\n", "BAD a: Missing ')'\n");
	check_case("extra )", "a X a)\r\n", "BAD a: Unexpected ')'\n");
	check_case("extra ))", "a X (a))\r\n", "BAD a: Unexpected ')'\n");
	check_case("leading space list", "a X ( a)\r\n", "BAD a: Unexpected space\n");
	check_case("trailing space list", "a X (a )\r\n", "BAD a: Unexpected ')'\n");
	check_case("no space after quoted", "a X \"a\"b\r\n", "BAD a: Missing space between arguments\n");
	check_case("no space lists", "a X (a)(b)\r\n", "BAD a: Missing space between arguments\n");
	check_case("paren in atom", "a X a(b\r\n", "BAD a: Invalid character in atom\n");
	check_case("section literal", "a FETCH 1 BODY[{5}\r\nb NOOP\r\n",
		   "BAD a: Literal inside [] not supported\nDONE b: a'NOOP'\n");
	check_case("section literal+", "a FETCH 1 BODY[{5+}\r\nb NOOP\r\n",
		   "BAD a: Literal inside [] not supported FATAL\n");
	check_case("section unclosed", "a FETCH 1 BODY[TEXT\r\n", "BAD a: Missing ']'\n");
	check_case("section ctl", "a FETCH 1 BODY[\x01]\r\n", "BAD a: Invalid character in section\n");
	check_case("section deep", "a FETCH 1 BODY[[[[[[[[[x]]]]]]]]]\r\n", "BAD a: Too deeply nested\n");
	check_case("section 8 ok", "a FETCH 1 BODY[[[[[[[[x]]]]]]]]\r\n",
		   "DONE a: a'FETCH' a'1' a'BODY[[[[[[[[x]]]]]]]]'\n");
	/* RFC 9051 §9: '[' is an ATOM-CHAR; only a FETCH attribute opens a section. */
	check_case("bracket atom", "a SELECT a[b\r\n", "DONE a: a'SELECT' a'a[b'\n");
	check_case("bracket atoms", "a LIST \"\" !#$&'+,-.0123456789:;<=>?@^_`|[}%* x[\r\n",
		   "DONE a: a'LIST' q'' a'!#$&\\x27+,-.0123456789:;<=>?@^_`|[}%*' a'x['\n");
	check_case("bracket list", "a X (a[b c[) [d\r\n", "DONE a: a'X' (a'a[b' a'c[') a'[d'\n");
	check_case("section lowercase", "a FETCH 1 body.peek[header.fields (a)]\r\n",
		   "DONE a: a'FETCH' a'1' a'body.peek[header.fields (a)]'\n");
	/* RFC 7888 §4: after a bad line ending in a non-synchronizing literal
	 * the literal's bytes follow; only closing is safe. */
	check_case("bad then {10+}", "a LO\"GIN x {10+}\r\n0123456789\r\n",
		   "BAD a: Invalid character in atom FATAL\n");
	check_case("bad then ~{10+}", "a LO\"GIN x ~{10+}\r\n0123456789\r\n",
		   "BAD a: Invalid character in atom FATAL\n");
	check_case("bad then {10}", "a LO\"GIN x {10}\r\nb NOOP\r\n",
		   "BAD a: Invalid character in atom\nDONE b: a'NOOP'\n");
	check_case("bad then {10+} mid", "a LO\"GIN {10+} x\r\nb NOOP\r\n",
		   "BAD a: Invalid character in atom\nDONE b: a'NOOP'\n");
	check_case("skip then ok", "a X (a))) junk junk\r\nb LOGIN u p\r\n",
		   "BAD a: Unexpected ')'\nDONE b: a'LOGIN' a'u' a'p'\n");
}

static void test_limits(void)
{
	static char in[4096];
	static struct out want;
	char *w;

	/* max_depth = 8 */
	check_case("depth 8", "a X ((((((((x))))))))\r\n", "DONE a: a'X' ((((((((a'x'))))))))\n");
	check_case("depth 9", "a X (((((((((x)))))))))\r\nb NOOP\r\n",
		   "BAD a: Too deeply nested\nDONE b: a'NOOP'\n");

	/* max_args = 64, the command name included */
	w = in + sprintf(in, "a X");
	for (int i = 0; i < 63; i++)
		w += sprintf(w, " %d", i % 10);
	sprintf(w, "\r\n");
	{
		struct imap_parser *p = imap_parser_create(&default_limits);
		size_t used;
		unsigned int count;

		CHECK_INT(imap_parser_feed(p, (const unsigned char *)in, strlen(in), &used),
			  IMAP_PARSE_DONE);
		imap_parser_args(p, &count);
		CHECK_INT(count, 64);
		imap_parser_destroy(&p);
	}
	w = in + sprintf(in, "a X");
	for (int i = 0; i < 64; i++)
		w += sprintf(w, " %d", i % 10);
	sprintf(w, "\r\nb NOOP\r\n");
	check_case("65 args", in, "BAD a: Too many arguments\nDONE b: a'NOOP'\n");
	/* lists count as arguments at every depth */
	w = in + sprintf(in, "a X");
	for (int i = 0; i < 32; i++)
		w += sprintf(w, " (1)");
	sprintf(w, "\r\n");
	check_case("list args", in, "BAD a: Too many arguments\n");

	/* max_line = 1000 bytes excluding CRLF */
	memset(in, 'x', 1000);
	memcpy(in, "a X ", 4);
	strcpy(in + 1000, "\r\n");
	{
		struct imap_parser *p = imap_parser_create(&default_limits);
		size_t used;

		CHECK_INT(imap_parser_feed(p, (const unsigned char *)in, 1002, &used),
			  IMAP_PARSE_DONE);
		CHECK_INT(used, 1002);
		imap_parser_destroy(&p);
	}
	memset(in, 'x', 1001);
	memcpy(in, "a X ", 4);
	strcpy(in + 1001, "\r\n");
	check_case("line 1001", in, "BAD a: Command line too long FATAL\n");
	strcpy(in + 1001, "\n");
	check_case("line 1001 LF", in, "BAD a: Command line too long FATAL\n");
	/* the CR of a line of exactly max_line bytes is not text */
	strcpy(in + 1000, "\r\n");
	want.len = 0;
	out_add(&want, "DONE a: a'X' a'%.996s'\n", in + 4);
	check_case("line 1000 CRLF", in, want.s);
	/* a line being skipped is bounded the same way */
	memset(in, 'x', 1100);
	memcpy(in, "a X ( a", 7);
	strcpy(in + 1100, "\r\n");
	check_case("skipped line long", in, "BAD a: Command line too long FATAL\n");
	/* the limit restarts after each literal */
	w = in + sprintf(in, "a X {3}\r\nabc ");
	memset(w, 'y', 999);
	strcpy(w + 999, "\r\n");
	want.len = 0;
	out_add(&want, "LIT 3 a: a'X'\nDONE a: a'X' l'abc' a'%.999s'\n", w);
	check_case("line after literal", in, want.s);
	w[999] = 'y';
	strcpy(w + 1000, "\r\n");
	check_case("line after literal long", in,
		   "LIT 3 a: a'X'\nBAD a: Command line too long FATAL\n");
}

/* NULL past the end, so a wrong count fails a CHECK instead of crashing. */
static const struct imap_arg *at(const struct imap_arg *args, unsigned int count, unsigned int i)
{
	return i < count ? &args[i] : NULL;
}

static void test_api(void)
{
	struct imap_parser *p = imap_parser_create(&default_limits);
	const char *two = "a NOOP\r\nb LOGIN \"x\" y\r\n";
	size_t used;
	unsigned int count;
	const struct imap_arg *args;

	CHECK(imap_parser_tag(p) == NULL);
	/* pipelined: the first DONE consumes only the first command */
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)two, strlen(two), &used),
		  IMAP_PARSE_DONE);
	CHECK_INT(used, 8);
	CHECK_STR(imap_parser_tag(p), "a");
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 1);
	CHECK(imap_arg_is_atom(at(args, count, 0), "NOOP"));
	CHECK(imap_arg_is_atom(at(args, count, 0), "noop"));
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)two + 8, strlen(two) - 8, &used),
		  IMAP_PARSE_DONE);
	CHECK_INT(used, strlen(two) - 8);
	CHECK_STR(imap_parser_tag(p), "b");
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 3);
	CHECK(imap_arg_is_atom(at(args, count, 0), "LOGIN"));
	CHECK(!imap_arg_is_atom(at(args, count, 0), "LOGI"));
	CHECK(!imap_arg_is_atom(at(args, count, 0), "LOGINX"));
	CHECK(!imap_arg_is_atom(at(args, count, 1), "X"));       /* quoted is not an atom */
	CHECK_STR(imap_arg_astring(at(args, count, 1)), "x");
	CHECK_STR(imap_arg_string(at(args, count, 1)), "x");
	CHECK_STR(imap_arg_astring(at(args, count, 2)), "y");
	CHECK(imap_arg_string(at(args, count, 2)) == NULL);        /* atom is not a string */

	/* NIL, astring with ']', lists */
	const char *c3 = "c X nil Nil \"NIL\" foo] (a)\r\n";
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)c3, strlen(c3), &used),
		  IMAP_PARSE_DONE);
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 6);
	CHECK(imap_arg_is_nil(at(args, count, 1)));
	CHECK(imap_arg_is_nil(at(args, count, 2)));
	CHECK(!imap_arg_is_nil(at(args, count, 3)));
	CHECK_STR(imap_arg_astring(at(args, count, 4)), "foo]");
	CHECK(imap_arg_astring(at(args, count, 5)) == NULL);
	CHECK(imap_arg_string(at(args, count, 5)) == NULL);
	CHECK(!imap_arg_is_atom(at(args, count, 5), "A"));

	/* literal8 with a NUL is no astring; during LITERAL the args so far */
	static const char l8[] = "d APPEND box ~{3}\r\na\0b\r\n";
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)l8, sizeof(l8) - 1, &used),
		  IMAP_PARSE_LITERAL);
	CHECK_INT(used, 19);
	const struct imap_literal_info *li = imap_parser_literal(p);
	CHECK(li != NULL && li->size == 3 && li->sync && li->literal8);
	CHECK_STR(imap_parser_tag(p), "d");
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 2);
	CHECK(imap_arg_is_atom(at(args, count, 0), "APPEND"));
	/* feeding before accept/refuse consumes nothing */
	size_t u2 = 99;
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)l8 + used, 3, &u2),
		  IMAP_PARSE_LITERAL);
	CHECK_INT(u2, 0);
	imap_parser_literal_accept(p);
	CHECK(imap_parser_literal(p) == NULL);
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)l8 + used, sizeof(l8) - 1 - used, &u2),
		  IMAP_PARSE_DONE);
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 3);
	if (count == 3) {
		CHECK_INT(args[2].len, 3);
		CHECK(args[2].literal8);
		CHECK(memcmp(args[2].str, "a\0b", 4) == 0);
		CHECK(imap_arg_astring(at(args, count, 2)) == NULL);
		CHECK(imap_arg_string(at(args, count, 2)) == NULL);
	}

	/* after BAD: the tag stays, no args, error is a fixed string */
	const char *bad = "e SELECT \"x\\q\"\r\n";
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)bad, strlen(bad), &used),
		  IMAP_PARSE_BAD);
	CHECK_INT(used, strlen(bad));
	CHECK_STR(imap_parser_tag(p), "e");
	CHECK(imap_parser_args(p, &count) == NULL);
	CHECK_INT(count, 0);
	CHECK_STR(imap_parser_error(p), "Invalid escape in quoted string");
	CHECK(!imap_parser_error_fatal(p));

	/* a refused sync literal: the tag stays readable until the next feed,
	 * which starts a new command */
	const char *sync = "g LOGIN {300}\r\nh NOOP\r\n";
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)sync, strlen(sync), &used),
		  IMAP_PARSE_LITERAL);
	CHECK_INT(used, 15);
	imap_parser_literal_refuse(p);
	CHECK(!imap_parser_error_fatal(p));
	CHECK_STR(imap_parser_tag(p), "g");
	CHECK(imap_parser_literal(p) == NULL);
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)sync + used, strlen(sync) - used, &u2),
		  IMAP_PARSE_DONE);
	CHECK_INT(u2, 8);
	CHECK_STR(imap_parser_tag(p), "h");

	/* a fatal error is final: later feeds consume nothing */
	const char *nonsync = "f LOGIN {2+}\r\nab\r\n";
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)nonsync, strlen(nonsync), &used),
		  IMAP_PARSE_LITERAL);
	imap_parser_literal_refuse(p);
	CHECK(imap_parser_error_fatal(p));
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)nonsync + used,
				   strlen(nonsync) - used, &u2), IMAP_PARSE_BAD);
	CHECK_INT(u2, 0);
	CHECK(imap_parser_error_fatal(p));
	CHECK_STR(imap_parser_error(p), "Non-synchronizing literal refused");
	imap_parser_destroy(&p);
	CHECK(p == NULL);
	imap_parser_destroy(&p);   /* NULL is fine */
}

/* APPEND streams its message literals: the parser records a placeholder,
 * never stores the bytes (so a literal far above max_command is fine), and
 * goes on with what follows the literal (MULTIAPPEND). */
static void test_literal_stream(void)
{
	struct imap_parser *p = imap_parser_create(&default_limits);
	const char *head = "a APPEND INBOX (\\Seen) {100000}\r\n";
	const char *tail = " {5+}\r\n";
	const char *end = "\r\n";
	size_t used;
	unsigned int count;
	const struct imap_arg *args;

	CHECK_INT(imap_parser_feed(p, (const unsigned char *)head, strlen(head), &used),
		  IMAP_PARSE_LITERAL);
	CHECK_INT(used, strlen(head));
	CHECK_INT(imap_parser_depth(p), 0);
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 3);
	CHECK(imap_arg_is_atom(at(args, count, 0), "APPEND"));
	CHECK_INT(imap_parser_literal(p)->size, 100000);
	imap_parser_literal_stream(p);
	CHECK(!imap_parser_error_fatal(p));
	/* The caller took the 100000 bytes; parsing resumes after them. */
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)tail, strlen(tail), &used),
		  IMAP_PARSE_LITERAL);
	CHECK(!imap_parser_literal(p)->sync);
	imap_parser_literal_stream(p);
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)end, strlen(end), &used),
		  IMAP_PARSE_DONE);
	args = imap_parser_args(p, &count);
	CHECK_INT(count, 5);
	CHECK_INT(at(args, count, 3)->type, IMAP_ARG_LITERAL);
	CHECK(at(args, count, 3)->streamed);
	CHECK_INT(at(args, count, 3)->len, 100000);
	CHECK_STR(at(args, count, 3)->str, "");
	CHECK(at(args, count, 4)->streamed);
	CHECK_INT(at(args, count, 4)->len, 5);
	CHECK(!at(args, count, 2)->streamed);

	/* Inside a list the depth shows it (the session then does not stream). */
	const char *inlist = "b APPEND INBOX ({3}\r\n";
	CHECK_INT(imap_parser_feed(p, (const unsigned char *)inlist, strlen(inlist), &used),
		  IMAP_PARSE_LITERAL);
	CHECK_INT(imap_parser_depth(p), 1);
	imap_parser_destroy(&p);
}

int main(void)
{
	test_literal_stream();
	test_rfc_examples();
	test_append_example();
	test_literals();
	test_syntax();
	test_malformed();
	test_limits();
	test_api();
	return unit_finish("parser");
}
