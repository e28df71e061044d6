/* ENVELOPE (RFC 9051 §7.5.2) and what it is built from: IMAP string
 * quoting (imap-string.h), RFC 5322 address lists (address.h) and the
 * envelope writer. The table's expected bytes are what Dovecot 2.3.19
 * answered for the same messages (APPEND, then FETCH ENVELOPE); the last
 * tests feed hostile headers and check that the output stays bounded and
 * well-formed. */
#include <stdint.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/address.h"
#include "mail/imap-envelope.h"
#include "mail/imap-string.h"
#include "mail/message-parser.h"
#include "imap-wellformed.h"
#include "unit.h"

static struct buf B;

static const char *str_out(void (*fn)(struct buf *, const char *, size_t), const char *s,
			   size_t len)
{
	buf_clear(&B);
	fn(&B, s, len);
	return B.data != NULL ? B.data : "";
}

#define S(fn, lit) str_out(fn, lit, sizeof(lit) - 1)

static void test_strings(void)
{
	CHECK_STR(S(imap_write_string, "abc"), "\"abc\"");
	CHECK_STR(S(imap_write_string, ""), "\"\"");
	CHECK_STR(S(imap_write_string, "a\"b\\c"), "\"a\\\"b\\\\c\"");
	/* four escapes stay quoted, the fifth makes a literal (Dovecot) */
	CHECK_STR(S(imap_write_string, "\"\"\"\""), "\"\\\"\\\"\\\"\\\"\"");
	CHECK_STR(S(imap_write_string, "\"\"\"\"\""), "{5}\r\n\"\"\"\"\"");
	CHECK_STR(S(imap_write_string, "a\r\nb"), "{4}\r\na\r\nb");
	CHECK_STR(S(imap_write_string, "caf\303\251"), "{5}\r\ncaf\303\251");
	CHECK_STR(S(imap_write_string, "a\tb\001"), "\"a\tb\001\"");
	/* NUL is written as U+FFFD, in a literal */
	CHECK_STR(S(imap_write_string, "a\0b"), "{5}\r\na\357\277\275b");
	CHECK_STR(S(imap_write_nstring, "x"), "\"x\"");
	buf_clear(&B);
	imap_write_nstring(&B, NULL, 0);
	CHECK_STR(B.data, "NIL");
	buf_clear(&B);
	imap_write_nstring_nolf(&B, NULL, 0);
	CHECK_STR(B.data, "NIL");
	/* folding goes, a bare line break becomes a space */
	CHECK_STR(S(imap_write_nstring_nolf, "a\r\n b"), "\"a b\"");
	CHECK_STR(S(imap_write_nstring_nolf, "a\r\n\tb  "), "\"a\tb  \"");
	CHECK_STR(S(imap_write_nstring_nolf, "a\rb"), "\"a b\"");
	CHECK_STR(S(imap_write_nstring_nolf, "a\r\n"), "\"a\"");
	/* for humans: whitespace runs collapse; any change makes a literal */
	CHECK_STR(S(imap_write_string_for_humans, "hello world"), "\"hello world\"");
	CHECK_STR(S(imap_write_string_for_humans, "a  b"), "{3}\r\na b");
	CHECK_STR(S(imap_write_string_for_humans, " a\r\n\tb "), "{3}\r\na b");
	CHECK_STR(S(imap_write_string_for_humans, "a\"b"), "{3}\r\na\"b");
	CHECK_STR(S(imap_write_string_for_humans, " \t "), "\"\"");
	CHECK_STR(S(imap_write_string_for_humans, ""), "\"\"");
	CHECK_STR(S(imap_write_string_for_humans, "\303\251"), "{2}\r\n\303\251");
	CHECK_STR(S(imap_write_string_for_humans, "n\0m "), "{5}\r\nn\357\277\275m");
	/* no length threshold: long strings stay quoted, as in Dovecot */
	char *big = malloc(20001);

	memset(big, 'x', 20000);
	big[20000] = '\0';
	buf_clear(&B);
	imap_write_string(&B, big, 20000);
	CHECK(B.len == 20002 && B.data[0] == '"');
	free(big);
}

static const char *list(struct arena *a, const char *v, unsigned int flags)
{
	static char out[1024];
	size_t n = 0;

	out[0] = '\0';
	for (const struct mail_address *m = mail_address_parse(a, v, strlen(v), 100, flags);
	     m != NULL; m = m->next) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "[%s|%s|%s|%s%s]",
				      m->name ? m->name : "-", m->route ? m->route : "-",
				      m->mailbox ? m->mailbox : "-", m->domain ? m->domain : "-",
				      m->invalid ? "|!" : "");
		if (n >= sizeof(out))
			break;
	}
	return out;
}

static void test_addresses(void)
{
	struct arena *a = arena_create(4096);
	struct buf d;

	CHECK_STR(list(a, "Joe <joe@x.org>", 0), "[Joe|-|joe|x.org]");
	CHECK_STR(list(a, "  ", 0), "");
	CHECK_STR(list(a, "(just a comment)", 0), "");
	/* the IMAP group convention */
	CHECK_STR(list(a, "g: a@b;", 0), "[-|-|g|-][-|-|a|b][-|-|-|-]");
	CHECK_STR(list(a, "undisclosed-recipients:;", 0), "[-|-|undisclosed-recipients|-][-|-|-|-]");
	/* without MAIL_ADDRESS_FILL_MISSING what is missing is empty */
	CHECK_STR(list(a, "Name Only", 0), "[Name Only|-|||!]");
	CHECK_STR(list(a, "Name Only", MAIL_ADDRESS_FILL_MISSING),
		  "[Name Only|-|MISSING_MAILBOX|MISSING_DOMAIN|!]");
	CHECK_STR(list(a, "x <a@b", MAIL_ADDRESS_FILL_MISSING), "[x|-|a|SYNTAX_ERROR|!]");
	CHECK_STR(list(a, "x <@r a@b>", MAIL_ADDRESS_FILL_MISSING), "[x|INVALID_ROUTE|a|b|!]");
	CHECK_STR(list(a, "<@r,@s:u@h>", 0), "[-|@r,@s|u|h]");
	CHECK_STR(list(a, "\"a\\\"b\"@c", 0), "[-|-|a\"b|c]");
	CHECK_STR(list(a, "a@b (Real Name)", 0), "[Real Name|-|a|b]");
	/* the limit counts group markers too */
	CHECK_STR(strlen(list(a, "a@b, c@d, e@f", 0)) > 0 ? "ok" : "", "ok");
	CHECK(mail_address_parse(a, "a@b, c@d, e@f", 13, 2, 0)->next->next == NULL);
	CHECK(mail_address_parse(a, "a@b", 3, 0, 0) == NULL);

	/* SORT helpers (RFC 5256, RFC 5957) */
	const struct mail_address *l = mail_address_parse(a, "g: ;, =?utf-8?q?J=C3=B6?= <jo@x.org>",
							  36, 100, 0);
	const struct mail_address *f = mail_address_first(l);

	CHECK(f != NULL && strcmp(f->mailbox, "jo") == 0);
	buf_init(&d, 1024);
	mail_address_display_name(f, &d);
	CHECK_STR(d.data, "J\303\266");
	buf_clear(&d);
	mail_address_display_name(mail_address_first(mail_address_parse(a, "u@h", 3, 100, 0)), &d);
	CHECK_STR(d.data, "u@h");
	buf_clear(&d);
	mail_address_display_name(mail_address_first(mail_address_parse(a, "\"\" <u@h>", 8, 100, 0)),
				  &d);
	CHECK_STR(d.data, "u@h");
	CHECK(mail_address_first(mail_address_parse(a, "g:;", 3, 100, 0)) == NULL);
	mail_address_display_name(NULL, &d);
	buf_free(&d);
	arena_destroy(&a);
}

struct env_case {
	const char *msg;
	size_t len;
	const char *envelope;
};

/* Expected values: Dovecot 2.3.19's FETCH ENVELOPE of each message. */
static const struct env_case cases[] = {
	/* plain fields */
	{ "Date: Mon, 1 Jan 2001 00:00:00 +0000\r\n"
	  "Subject: hi\r\n"
	  "From: \"Joe Q.\" <joe@example.com>\r\n"
	  "To: a@b.example, c@d.example\r\n"
	  "Message-ID: <1@x>\r\n"
	  "In-Reply-To: <0@x>\r\n"
	  "\r\n"
	  "body\r\n", 162,
	  "(\"Mon, 1 Jan 2001 00:00:00 +0000\" \"hi\" ((\"Joe Q.\" NIL \"joe\" \"e"
	  "xample.com\")) ((\"Joe Q.\" NIL \"joe\" \"example.com\")) ((\"Joe Q.\" "
	  "NIL \"joe\" \"example.com\")) ((NIL NIL \"a\" \"b.example\")(NIL NIL \""
	  "c\" \"d.example\")) NIL NIL \"<0@x>\" \"<1@x>\")" },
	/* no envelope fields at all */
	{ "X-Other: y\r\n"
	  "\r\n"
	  "body", 18,
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
	/* the last date/subject/message-id wins; address fields add up */
	{ "Subject: a\r\n"
	  "Subject: b\r\n"
	  "From: a@b\r\n"
	  "From: c@d\r\n"
	  "To: x@y\r\n"
	  "To: z@w\r\n"
	  "Message-ID: <1@x>\r\n"
	  "Message-ID: <2@x>\r\n"
	  "Date: first\r\n"
	  "Date: second\r\n"
	  "\r\n"
	  "b\r\n", 134,
	  "(\"second\" \"b\" ((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")) ((NIL NI"
	  "L \"a\" \"b\")(NIL NIL \"c\" \"d\")) ((NIL NIL \"a\" \"b\")(NIL NIL \"c"
	  "\" \"d\")) ((NIL NIL \"x\" \"y\")(NIL NIL \"z\" \"w\")) NIL NIL NIL \"<"
	  "2@x>\")" },
	/* a group split over two From fields */
	{ "From: a@b, grp:\r\n"
	  "From: x@y;\r\n"
	  "Sender:\r\n"
	  "Reply-To: \r\n"
	  "\r\n", 52,
	  "(NIL NIL ((NIL NIL \"a\" \"b\")(NIL NIL \"grp\" NIL)(NIL NIL NIL NIL)(N"
	  "IL NIL \"x\" \"y\")) ((NIL NIL \"a\" \"b\")(NIL NIL \"grp\" NIL)(NIL NI"
	  "L NIL NIL)(NIL NIL \"x\" \"y\")) ((NIL NIL \"a\" \"b\")(NIL NIL \"grp\""
	  " NIL)(NIL NIL NIL NIL)(NIL NIL \"x\" \"y\")) NIL NIL NIL NIL NIL)" },
	/* sender and reply-to default to from; a comment-only reply-to is empty */
	{ "From: a@b\r\n"
	  "Sender: garbage\r\n"
	  "Reply-To: (only comment)\r\n"
	  "\r\n", 56,
	  "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"garbage\" \"MISSING_DOMAIN"
	  "\")) ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)" },
	/* encoded words stay raw; folding is removed, the subject's spaces collapse */
	{ "Subject: =?utf-8?q?caf=C3=A9?=\r\n"
	  "  folded  line\r\n"
	  "From: =?utf-8?q?J=C3=B6?= <jo@x.org>\r\n"
	  "\r\n", 88,
	  "(NIL {33}\r\n"
	  "=?utf-8?q?caf=C3=A9?= folded line ((\"=?utf-8?q?J=C3=B6?=\" NIL \"jo\" "
	  "\"x.org\")) ((\"=?utf-8?q?J=C3=B6?=\" NIL \"jo\" \"x.org\")) ((\"=?utf-"
	  "8?q?J=C3=B6?=\" NIL \"jo\" \"x.org\")) NIL NIL NIL NIL NIL)" },
	/* broken addresses get MISSING_MAILBOX / MISSING_DOMAIN */
	{ "From: \"quoted \\\" name\" <a@b>, plain@host, <angle@only>, Name Only <"
	  "nohost>, @, <>, \"x\"\r\n"
	  "To: undisclosed-recipients:;\r\n"
	  "Cc: grp: a@b, c@d;, e@f\r\n"
	  "Bcc: <@r1,@r2:u@h>\r\n"
	  "Reply-To: (comment) u (c2) @ (c3) h (final)\r\n"
	  "Sender: garbage ;; <<\r\n"
	  "\r\n", 233,
	  "(NIL NIL (({13}\r\n"
	  "quoted \" name NIL \"a\" \"b\")(NIL NIL \"plain\" \"host\")(NIL NIL \"a"
	  "ngle\" \"only\")(\"Name Only\" NIL \"nohost\" \"MISSING_DOMAIN\")(NIL N"
	  "IL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" "
	  "\"MISSING_DOMAIN\")(\"x\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
	  "((NIL NIL \"garbage\" \"MISSING_DOMAIN\")) ((\"final\" NIL \"u\" \"h\")"
	  ") ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) ((NIL NIL"
	  " \"grp\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL"
	  ")(NIL NIL \"e\" \"f\")) ((NIL \"@r1,@r2\" \"u\" \"h\")) NIL NIL)" },
	/* escapes: up to four stay quoted, five make a literal */
	{ "Message-ID: 1\"\r\n"
	  "In-Reply-To: 4\"\"\"\"\r\n"
	  "Date: 5\"\"\"\"\"\r\n"
	  "Subject: a  b\r\n"
	  "\r\n", 67,
	  "({6}\r\n"
	  "5\"\"\"\"\" {3}\r\n"
	  "a b NIL NIL NIL NIL NIL NIL \"4\\\"\\\"\\\"\\\"\" \"1\\\"\")" },
	/* 8-bit bytes make literals, raw */
	{ "Subject: 8bit \303\251t\351\r\n"
	  "From: J\303\266 <j\303\266@h\303\266>\r\n"
	  "\r\n", 43,
	  "(NIL {9}\r\n"
	  "8bit \303\251t\351 (({3}\r\n"
	  "J\303\266 NIL {3}\r\n"
	  "j\303\266 {3}\r\n"
	  "h\303\266)) (({3}\r\n"
	  "J\303\266 NIL {3}\r\n"
	  "j\303\266 {3}\r\n"
	  "h\303\266)) (({3}\r\n"
	  "J\303\266 NIL {3}\r\n"
	  "j\303\266 {3}\r\n"
	  "h\303\266)) NIL NIL NIL NIL NIL)" },
	/* empty fields: "" for strings, NIL for addresses */
	{ "Subject: \r\n"
	  "From:\r\n"
	  "To: \r\n"
	  "Message-ID:\r\n"
	  "\r\n", 39,
	  "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL \"\")" },
	/* a header without its blank line */
	{ "From: a@b\r\n", 11,
	  "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\""
	  " \"b\")) NIL NIL NIL NIL NIL)" },
	/* field names are case-insensitive */
	{ "from: lower@case\r\n"
	  "SUBJECT: UP\r\n"
	  "reply-to: r@r\r\n"
	  "\r\n", 48,
	  "(NIL \"UP\" ((NIL NIL \"lower\" \"case\")) ((NIL NIL \"lower\" \"case\""
	  ")) ((NIL NIL \"r\" \"r\")) NIL NIL NIL NIL NIL)" },
	/* comments name an address; empty quoted names are NIL */
	{ "From: a@b (Comment Name)\r\n"
	  "To: \"\" <e@mpty>\r\n"
	  "Cc: \"Last, First\" <lf@x>, first.last@x (F. L.)\r\n"
	  "\r\n", 93,
	  "(NIL NIL ((\"Comment Name\" NIL \"a\" \"b\")) ((\"Comment Name\" NIL \""
	  "a\" \"b\")) ((\"Comment Name\" NIL \"a\" \"b\")) ((NIL NIL \"e\" \"mpty"
	  "\")) ((\"Last, First\" NIL \"lf\" \"x\")(\"F. L.\" NIL \"first.last\" \""
	  "x\")) NIL NIL NIL)" },
	/* domain literals, quoted local parts, words around dots */
	{ "From: user@[1.2.3.4], \"a b\"@c, a.b.c@d.e.f, a . b @ c . d\r\n"
	  "To: <a@b>, , ,<c@d>\r\n"
	  "\r\n", 82,
	  "(NIL NIL ((NIL NIL \"user\" \"[1.2.3.4]\")(NIL NIL \"a b\" \"c\")(NIL N"
	  "IL \"a.b.c\" \"d.e.f\")({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) ((NIL NIL \"user\" \""
	  "[1.2.3.4]\")(NIL NIL \"a b\" \"c\")(NIL NIL \"a.b.c\" \"d.e.f\")({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) ((NIL NIL \"user\" \""
	  "[1.2.3.4]\")(NIL NIL \"a b\" \"c\")(NIL NIL \"a.b.c\" \"d.e.f\")({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) ((NIL NIL \"a\" \"b\""
	  ")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAI"
	  "LBOX\" \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\")) NIL NIL NIL NIL)" },
	/* tabs in a subject; a date keeps its trailing spaces */
	{ "Subject: tab\there\r\n"
	  "Date:   lots of space   \r\n"
	  "\r\n", 47,
	  "(\"lots of space   \" {8}\r\n"
	  "tab here NIL NIL NIL NIL NIL NIL NIL NIL)" },
	/* RFC 5322 appendix A.1.2 and A.1.3 */
	{ "From: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\r\n"
	  "To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\r\n"
	  "Cc: Undisclosed recipients:;\r\n"
	  "\r\n", 171,
	  "(NIL NIL ((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" \"e"
	  "xample.org\")(\"Who?\" NIL \"one\" \"y.test\")) ((\"Mary Smith\" NIL \""
	  "mary\" \"x.test\")(NIL NIL \"jdoe\" \"example.org\")(\"Who?\" NIL \"one"
	  "\" \"y.test\")) ((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdo"
	  "e\" \"example.org\")(\"Who?\" NIL \"one\" \"y.test\")) ((NIL NIL \"A Gr"
	  "oup\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.t"
	  "est\")(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL)) ((NIL NIL "
	  "\"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)" },
	/* RFC 5322 appendix A.5 (white space and comments) */
	{ "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\r\n"
	  "To:A Group(Some people)\r\n"
	  "     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	  "         joe@example.org,\r\n"
	  "  John <jdoe@one.test> (my dear friend); (the end of the group)\r\n"
	  "Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\r\n"
	  "\r\n", 310,
	  "(NIL NIL ((\"Pete\" NIL \"pete\" \"silly.test\")) ((\"Pete\" NIL \"pete"
	  "\" \"silly.test\")) ((\"Pete\" NIL \"pete\" \"silly.test\")) ((NIL NIL "
	  "\"A Group\" NIL)(\"Chris Jones\" NIL \"c\" \"public.example\")(NIL NIL "
	  "\"joe\" \"example.org\")(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NI"
	  "L NIL)) ((NIL NIL \"Hidden recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL "
	  "NIL)" },
	/* obs-route, missing parts, a lone display name */
	{ "From: <@a.b,@c.d:u@h>\r\n"
	  "To: a@\r\n"
	  "Cc: @b\r\n"
	  "Bcc: \"just name\"\r\n"
	  "\r\n", 59,
	  "(NIL NIL ((NIL \"@a.b,@c.d\" \"u\" \"h\")) ((NIL \"@a.b,@c.d\" \"u\" \""
	  "h\")) ((NIL \"@a.b,@c.d\" \"u\" \"h\")) ((NIL NIL \"a\" \"MISSING_DOMAI"
	  "N\")) ((NIL NIL \"MISSING_MAILBOX\" \"b\")) ((\"just name\" NIL \"MISSI"
	  "NG_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL)" },
	/* words without an address are a display name */
	{ "From: a\r\n"
	  "To: a b c\r\n"
	  "Cc: \"a\" b\r\n"
	  "\r\n", 33,
	  "(NIL NIL ((NIL NIL \"a\" \"MISSING_DOMAIN\")) ((NIL NIL \"a\" \"MISSING"
	  "_DOMAIN\")) ((NIL NIL \"a\" \"MISSING_DOMAIN\")) ((\"a b c\" NIL \"MISS"
	  "ING_MAILBOX\" \"MISSING_DOMAIN\")) ((\"a b\" NIL \"MISSING_MAILBOX\" \""
	  "MISSING_DOMAIN\")) NIL NIL NIL)" },
	/* groups: empty, nested, unterminated */
	{ "From: g1:;, g2: x@y;\r\n"
	  "To: g3: g4: a@b;;\r\n"
	  "Cc: g5: a@b\r\n"
	  "\r\n", 56,
	  "(NIL NIL ((NIL NIL \"g1\" NIL)(NIL NIL NIL NIL)(NIL NIL \"g2\" NIL)(NIL"
	  " NIL \"x\" \"y\")(NIL NIL NIL NIL)) ((NIL NIL \"g1\" NIL)(NIL NIL NIL N"
	  "IL)(NIL NIL \"g2\" NIL)(NIL NIL \"x\" \"y\")(NIL NIL NIL NIL)) ((NIL NI"
	  "L \"g1\" NIL)(NIL NIL NIL NIL)(NIL NIL \"g2\" NIL)(NIL NIL \"x\" \"y\")"
	  "(NIL NIL NIL NIL)) ((NIL NIL \"g3\" NIL)(NIL NIL \"g4\" \"MISSING_DOMAI"
	  "N\")(NIL NIL NIL NIL)) ((NIL NIL \"g5\" NIL)(NIL NIL \"a\" \"b\")(NIL N"
	  "IL NIL NIL)) NIL NIL NIL)" },
	/* SYNTAX_ERROR for a broken <...>; junk after an address ends the list */
	{ "From: Joe <joe@x.org\r\n"
	  "To: Joe joe@x.org\r\n"
	  "Cc: joe@x.org <other@x>\r\n"
	  "Bcc: x <@b>, y <@r a@b>\r\n"
	  "\r\n", 93,
	  "(NIL NIL ((\"Joe\" NIL \"joe\" \"SYNTAX_ERROR\")) ((\"Joe\" NIL \"joe\""
	  " \"SYNTAX_ERROR\")) ((\"Joe\" NIL \"joe\" \"SYNTAX_ERROR\")) ((\"Joe jo"
	  "e\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) ((NIL NIL \"joe\" \"x."
	  "org\")) ((\"x\" \"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"MISSING_DOMAIN\""
	  ")(\"y\" \"INVALID_ROUTE\" \"a\" \"b\")) NIL NIL)" },
	/* a dot before a space makes a display name (Dovecot's quirk) */
	{ "From: a. b@c\r\n"
	  "To: a . b\r\n"
	  "Cc: .\r\n"
	  "\r\n", 34,
	  "(NIL NIL (({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) (({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) (({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) (({4}\r\n"
	  "a. b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) ((NIL NIL \".\" \"MIS"
	  "SING_DOMAIN\")) NIL NIL NIL)" },
	/* an unterminated comment after a comma still gives an address */
	{ "To: x.y , (\r\n"
	  "\r\n", 15,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"x.y\" \"MISSING_DOMAIN\")(NIL NIL \"MI"
	  "SSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* whitespace after the colon: all of it, or one byte of a blank first line */
	{ "Message-ID:\r\n"
	  " <a@b>\r\n"
	  "Date:\r\n"
	  "\tx\r\n"
	  "Subject:\r\n"
	  "  s\r\n"
	  "In-Reply-To:   \r\n"
	  "  <c>\r\n"
	  "\r\n"
	  "x", 74,
	  "(\"\tx\" {1}\r\n"
	  "s NIL NIL NIL NIL NIL NIL \"    <c>\" \" <a@b>\")" },
	/* a line of one space is joined without its line break */
	{ "Message-ID: a\r\n"
	  " \r\n"
	  " b\r\n"
	  "\r\n"
	  "x", 25,
	  "(NIL NIL NIL NIL NIL NIL NIL NIL NIL \"a  b\")" },
	/* NUL bytes become U+FFFD */
	{ "Subject: nul\000here\r\n"
	  "Message-ID: <nul\000x>\r\n"
	  "From: \"n\000m\" <a@b>\r\n"
	  "To: a\000b@c\r\n"
	  "\r\n"
	  "x", 73,
	  "(NIL {10}\r\n"
	  "nul\357\277\275here (({5}\r\n"
	  "n\357\277\275m NIL \"a\" \"b\")) (({5}\r\n"
	  "n\357\277\275m NIL \"a\" \"b\")) (({5}\r\n"
	  "n\357\277\275m NIL \"a\" \"b\")) ((NIL NIL \"a\" \"MISSING_DOMAIN\")) N"
	  "IL NIL NIL {9}\r\n"
	  "<nul\357\277\275x>)" },
	/* a bare CR */
	{ "Subject: bare\rcr\r\n"
	  "Message-ID: <bare\rcr>\r\n"
	  "\r\n"
	  "x", 44,
	  "(NIL {7}\r\n"
	  "bare cr NIL NIL NIL NIL NIL NIL NIL \"<bare cr>\")" },
	/* bare LF line ends */
	{ "Subject: lf\n"
	  "From: a@b\n"
	  "  (folded)\n"
	  "Message-ID: <m@x>\n"
	  "\n"
	  "body\n", 57,
	  "(NIL \"lf\" ((\"folded\" NIL \"a\" \"b\")) ((\"folded\" NIL \"a\" \"b\""
	  ")) ((\"folded\" NIL \"a\" \"b\")) NIL NIL NIL NIL \"<m@x>\")" },
	/* field names with spaces before the colon */
	{ "Subject : spaced name\r\n"
	  "From\t: a@b\r\n"
	  "\r\n"
	  "x", 38,
	  "(NIL \"spaced name\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) (("
	  "NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)" },
	/* Odd address lists, one per To field: Dovecot's recovery from each
	 * kind of breakage (found by comparing random input with it). */
	/* To: a . b <x@y> */
	{ "To: a . b <x@y>\r\n"
	  "\r\n"
	  "x\r\n", 22,
	  "(NIL NIL NIL NIL NIL ((\"a . b\" NIL \"x\" \"y\")) NIL NIL NIL NIL)" },
	/* To: a"q"b <x@y> */
	{ "To: a\"q\"b <x@y>\r\n"
	  "\r\n"
	  "x\r\n", 22,
	  "(NIL NIL NIL NIL NIL ((\"a q b\" NIL \"x\" \"y\")) NIL NIL NIL NIL)" },
	/* To: . a <x@y> */
	{ "To: . a <x@y>\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL (({3}\r\n"
	  ". a NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* To: a .b@c */
	{ "To: a .b@c\r\n"
	  "\r\n"
	  "x\r\n", 17,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a.b\" \"c\")) NIL NIL NIL NIL)" },
	/* To: a.@b */
	{ "To: a.@b\r\n"
	  "\r\n"
	  "x\r\n", 15,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a.\" \"b\")) NIL NIL NIL NIL)" },
	/* To: a. @b */
	{ "To: a. @b\r\n"
	  "\r\n"
	  "x\r\n", 16,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"
	  " NIL NIL NIL NIL)" },
	/* To: .; */
	{ "To: .;\r\n"
	  "\r\n"
	  "x\r\n", 13,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"
	  " NIL NIL NIL NIL)" },
	/* To: ..a */
	{ "To: ..a\r\n"
	  "\r\n"
	  "x\r\n", 14,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"..a\" \"MISSING_DOMAIN\")) NIL NIL NIL"
	  " NIL)" },
	/* To: a (x) b@c */
	{ "To: a (x) b@c\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL ((\"x\" NIL \"a\" \"MISSING_DOMAIN\")) NIL NIL NIL"
	  " NIL)" },
	/* To: a@b (c1 (nested) x) */
	{ "To: a@b (c1 (nested) x)\r\n"
	  "\r\n"
	  "x\r\n", 30,
	  "(NIL NIL NIL NIL NIL ((\"c1 (nested) x\" NIL \"a\" \"b\")) NIL NIL NIL "
	  "NIL)" },
	/* To: a@b (c\\) x) */
	{ "To: a@b (c\\) x)\r\n"
	  "\r\n"
	  "x\r\n", 22,
	  "(NIL NIL NIL NIL NIL ((\"c) x\" NIL \"a\" \"b\")) NIL NIL NIL NIL)" },
	/* To: x <a@b c> */
	{ "To: x <a@b c>\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL ((\"x\" NIL \"a\" \"SYNTAX_ERROR\")) NIL NIL NIL N"
	  "IL)" },
	/* To: x <@r,,@s:a@b> */
	{ "To: x <@r,,@s:a@b>\r\n"
	  "\r\n"
	  "x\r\n", 25,
	  "(NIL NIL NIL NIL NIL ((\"x\" \"@r,@s\" \"a\" \"b\")) NIL NIL NIL NIL)" },
	/* To: x <@r:> */
	{ "To: x <@r:>\r\n"
	  "\r\n"
	  "x\r\n", 18,
	  "(NIL NIL NIL NIL NIL ((\"x\" \"@r\" \"MISSING_MAILBOX\" \"MISSING_DOMAI"
	  "N\")) NIL NIL NIL NIL)" },
	/* To: g: a@b, ; */
	{ "To: g: a@b, ;\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL "
	  "\"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL)) NIL NIL NIL N"
	  "IL)" },
	/* To: g:,; */
	{ "To: g:,;\r\n"
	  "\r\n"
	  "x\r\n", 15,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"g\" NIL)(NIL NIL \"MISSING_MAILBOX\" \""
	  "MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL N"
	  "IL NIL NIL)) NIL NIL NIL NIL)" },
	/* To: g: a@b;, c@d */
	{ "To: g: a@b;, c@d\r\n"
	  "\r\n"
	  "x\r\n", 23,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL "
	  "NIL NIL)(NIL NIL \"c\" \"d\")) NIL NIL NIL NIL)" },
	/* To: :a@b; */
	{ "To: :a@b;\r\n"
	  "\r\n"
	  "x\r\n", 16,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL N"
	  "IL NIL)) NIL NIL NIL NIL)" },
	/* To: a@b,,c@d */
	{ "To: a@b,,c@d\r\n"
	  "\r\n"
	  "x\r\n", 19,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"b\")(NIL NIL \"MISSING_MAILBOX\""
	  " \"MISSING_DOMAIN\")(NIL NIL \"c\" \"d\")) NIL NIL NIL NIL)" },
	/* To: "a" < */
	{ "To: \"a\" <\r\n"
	  "\r\n"
	  "x\r\n", 16,
	  "(NIL NIL NIL NIL NIL ((\"a\" NIL \"MISSING_MAILBOX\" \"SYNTAX_ERROR\"))"
	  " NIL NIL NIL NIL)" },
	/* To: a@b@c */
	{ "To: a@b@c\r\n"
	  "\r\n"
	  "x\r\n", 16,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL)" },
	/* To: a<b@c> */
	{ "To: a<b@c>\r\n"
	  "\r\n"
	  "x\r\n", 17,
	  "(NIL NIL NIL NIL NIL ((\"a\" NIL \"b\" \"c\")) NIL NIL NIL NIL)" },
	/* To: "quoted user" */
	{ "To: \"quoted user\"\r\n"
	  "\r\n"
	  "x\r\n", 24,
	  "(NIL NIL NIL NIL NIL ((\"quoted user\" NIL \"MISSING_MAILBOX\" \"MISSIN"
	  "G_DOMAIN\")) NIL NIL NIL NIL)" },
	/* To: "quoted user" (comment) */
	{ "To: \"quoted user\" (comment)\r\n"
	  "\r\n"
	  "x\r\n", 34,
	  "(NIL NIL NIL NIL NIL ((\"comment\" NIL \"quoted user\" \"MISSING_DOMAIN"
	  "\")) NIL NIL NIL NIL)" },
	/* To: "" "" <x@y> */
	{ "To: \"\" \"\" <x@y>\r\n"
	  "\r\n"
	  "x\r\n", 22,
	  "(NIL NIL NIL NIL NIL ((\"\" NIL \"x\" \"y\")) NIL NIL NIL NIL)" },
	/* To: a "" b */
	{ "To: a \"\" b\r\n"
	  "\r\n"
	  "x\r\n", 17,
	  "(NIL NIL NIL NIL NIL (({3}\r\n"
	  "a b NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* To: ! "x" (c) */
	{ "To: ! \"x\" (c)\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL ((\"! x\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN"
	  "\")) NIL NIL NIL NIL)" },
	/* To: x "a\r\n b */
	{ "To: x \"a\r\n"
	  " b\r\n"
	  "\r\n"
	  "x\r\n", 19,
	  "(NIL NIL NIL NIL NIL ((\"x a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN"
	  "\")) NIL NIL NIL NIL)" },
	/* To: x "a\\b */
	{ "To: x \"a\\b\r\n"
	  "\r\n"
	  "x\r\n", 17,
	  "(NIL NIL NIL NIL NIL ((\"x a\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN"
	  "\")) NIL NIL NIL NIL)" },
	/* To: "bc"q"[1.2] */
	{ "To: \"bc\"q\"[1.2]\r\n"
	  "\r\n"
	  "x\r\n", 22,
	  "(NIL NIL NIL NIL NIL (({4}\r\n"
	  "bc q NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* To: a (b\r\n c */
	{ "To: a (b\r\n"
	  " c\r\n"
	  "\r\n"
	  "x\r\n", 19,
	  "(NIL NIL NIL NIL NIL ((\"b\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\""
	  ")) NIL NIL NIL NIL)" },
	/* To: a@[a\\]b] */
	{ "To: a@[a\\]b]\r\n"
	  "\r\n"
	  "x\r\n", 19,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"[a\\\\]b]\")) NIL NIL NIL NIL)" },
	/* To: a@[a[b] */
	{ "To: a@[a[b]\r\n"
	  "\r\n"
	  "x\r\n", 18,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"MISSING_DOMAIN\")) NIL NIL NIL N"
	  "IL)" },
	/* To: a@[a\r\n b] */
	{ "To: a@[a\r\n"
	  " b]\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"[a b]\")) NIL NIL NIL NIL)" },
	/* To: "a\x00b"@c */
	{ "To: \"a\000b\"@c\r\n"
	  "\r\n"
	  "x\r\n", 18,
	  "(NIL NIL NIL NIL NIL ((NIL NIL {5}\r\n"
	  "a\357\277\275b \"c\")) NIL NIL NIL NIL)" },
	/* To: x@y (a\x00b) */
	{ "To: x@y (a\000b)\r\n"
	  "\r\n"
	  "x\r\n", 20,
	  "(NIL NIL NIL NIL NIL (({5}\r\n"
	  "a\357\277\275b NIL \"x\" \"y\")) NIL NIL NIL NIL)" },
	/* To: a\x00b@c */
	{ "To: a\000b@c\r\n"
	  "\r\n"
	  "x\r\n", 16,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"MISSING_DOMAIN\")) NIL NIL NIL N"
	  "IL)" },
	/* To: :,@r */
	{ "To: :,@r\r\n"
	  "\r\n"
	  "x\r\n", 15,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"\" NIL)(NIL NIL \"MISSING_MAILBOX\" \""
	  "MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"r\")(NIL NIL NIL NIL)) "
	  "NIL NIL NIL NIL)" },
	/* To: x.y , ( */
	{ "To: x.y , (\r\n"
	  "\r\n"
	  "x\r\n", 18,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"x.y\" \"MISSING_DOMAIN\")(NIL NIL \"MI"
	  "SSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* To: "  "q"  */
	{ "To: \"  \"q\" \r\n"
	  "\r\n"
	  "x\r\n", 18,
	  "(NIL NIL NIL NIL NIL (({1}\r\n"
	  "q NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	/* To: !"""(n (e) d)\\-]. */
	{ "To: !\"\"\"(n (e) d)\\-].\r\n"
	  "\r\n"
	  "x\r\n", 28,
	  "(NIL NIL NIL NIL NIL (({11}\r\n"
	  "! (n (e) d) NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NI"
	  "L)" },
	/* To: "(n (e) d)\\\r\n   <>  \x01\r\n bc */
	{ "To: \"(n (e) d)\\\r\n"
	  "   <>  \001\r\n"
	  " bc\r\n"
	  "\r\n"
	  "x\r\n", 37,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"
	  " NIL NIL NIL NIL)" },
	/* To: ..@["\\""!.[1.2]a */
	{ "To: ..@[\"\\\"\"!.[1.2]a\r\n"
	  "\r\n"
	  "x\r\n", 27,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"..\" \"MISSING_DOMAIN\")) NIL NIL NIL "
	  "NIL)" },
	/* To: -"\t */
	{ "To: -\"\t\r\n"
	  "\r\n"
	  "x\r\n", 14,
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"-\" \"MISSING_DOMAIN\")) NIL NIL NIL N"
	  "IL)" },
	/* To: \t=?utf-8?q?x?=(, \r\n @r.<   */
	{ "To: \t=?utf-8?q?x?=(, \r\n"
	  " @r.<  \r\n"
	  "\r\n"
	  "x\r\n", 37,
	  "(NIL NIL NIL NIL NIL (({1}\r\n"
	  ", NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
};

struct root_header {
	char *data;
	size_t len;
	bool seen;
};

static void take_root(const struct message_part *part, const char *header, size_t size,
		      void *context)
{
	struct root_header *rh = context;

	if (part->parent == NULL && !rh->seen) {
		rh->seen = true;
		rh->data = malloc(size + 1);
		memcpy(rh->data, header, size);
		rh->len = size;
	}
}

/* The ENVELOPE of a message, from its header as the parser hands it over. */
static const char *envelope_of(const char *msg, size_t len)
{
	struct arena *a = arena_create(4096);
	struct message_parser *p = message_parser_create(a);
	struct root_header rh = { 0 };

	message_parser_set_header_callback(p, take_root, &rh);
	message_parser_feed(p, msg, len);
	(void)message_parser_finish(p);
	message_parser_destroy(&p);
	buf_clear(&B);
	imap_envelope_write(a, rh.data, rh.len, &B);
	free(rh.data);
	arena_destroy(&a);
	return B.data != NULL ? B.data : "";
}


static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = envelope_of(cases[i].msg, cases[i].len);

		CHECK_STR(got, cases[i].envelope);
		CHECK(imap_well_formed(B.data, B.len));
	}
}

static void check_bounded(const char *what, const char *hdr, size_t len)
{
	struct arena *a = arena_create(4096);

	buf_clear(&B);
	imap_envelope_write(a, hdr, len, &B);
	arena_destroy(&a);
	if (!(B.len <= IMAP_ENVELOPE_MAX_BYTES(len) && !B.overflow && imap_well_formed(B.data, B.len)))
		printf("hostile case: %s (%zu bytes out)\n", what, B.len);
	CHECK(B.len <= IMAP_ENVELOPE_MAX_BYTES(len));
	CHECK(!B.overflow);
	CHECK(imap_well_formed(B.data, B.len));
}

static unsigned int rng_state = 4711;

static unsigned int rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) & 0x7fff;
}

static void test_hostile(void)
{
	size_t max = MESSAGE_PARSER_HEADER_MAX;
	char *h = malloc(max);
	size_t n;

	/* 64 KiB of "a," in From: the address limit bounds the output */
	n = (size_t)snprintf(h, max, "From: ");
	while (n + 2 < max - 2) {
		h[n++] = 'a';
		h[n++] = ',';
	}
	h[n++] = '\r';
	h[n++] = '\n';
	check_bounded("a,a,a,...", h, n);
	CHECK(B.len < 3 * MAIL_ADDRESS_MAX * 64);

	/* deeply nested comments, unterminated */
	n = (size_t)snprintf(h, max, "To: x@y ");
	while (n < max - 3)
		h[n++] = '(';
	h[n++] = '\r';
	h[n++] = '\n';
	check_bounded("((((", h, n);

	/* a subject of NULs: each becomes three bytes */
	n = (size_t)snprintf(h, max, "Subject: ");
	memset(h + n, 0, max - n - 2);
	n = max - 2;
	h[n++] = '\r';
	h[n++] = '\n';
	check_bounded("NULs", h, n);

	/* many From fields, each adding to the list, and a cut-off header */
	n = 0;
	while (n + 40 < max)
		n += (size_t)snprintf(h + n, max - n, "From: \"\\\"\" <@r:a@b>, g: c;\r\n");
	check_bounded("repeated From", h, n);
	check_bounded("cut", h, n - 7);

	/* random bytes from an alphabet that the address parser cares about */
	static const char alphabet[] = "abc@.,;:<>()\"\\[] \t\r\n\0\377\303=?";

	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(rng() % 400);

		memcpy(h, "To: ", 4);
		for (size_t i = 4; i < len + 4; i++)
			h[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
		check_bounded("random", h, len + 4);
	}
	free(h);
}

int main(void)
{
	buf_init(&B, 64 * 1024 * 1024);
	test_strings();
	test_addresses();
	test_table();
	test_hostile();
	buf_free(&B);
	return unit_finish("mail-envelope");
}
