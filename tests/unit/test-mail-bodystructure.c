/* BODY and BODYSTRUCTURE (RFC 9051 §7.5.2) built from the streaming
 * parser's header callback. The table's expected bytes are what Dovecot
 * 2.3.19 answered for the same messages (FETCH BODY, FETCH BODYSTRUCTURE),
 * the nesting limit included; then hostile input: 10,000 parts, 100-deep
 * nesting of both kinds, huge and NUL-filled headers, random MIME-ish
 * bytes fed in random chunks, checking that nothing crashes, the output is
 * well-formed and stays under the documented bound. */
#include <stdint.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/buf.h"
#include "mail/imap-bodystructure.h"
#include "mail/message-parser.h"
#include "imap-wellformed.h"
#include "unit.h"

static struct buf BODY, BS;

static unsigned int rng_state = 99;

static unsigned int rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) & 0x7fff;
}

static void add_header(const struct message_part *part, const char *header, size_t size,
		       void *context)
{
	imap_bodystructure_add_header(context, part, header, size);
}

/* Parses msg (chunk 0: whole, else random chunks of at most chunk bytes)
 * into BODY and BS; returns the number of parts. */
static unsigned int structure(const char *msg, size_t len, unsigned int chunk)
{
	struct arena *a = arena_create(4096);
	struct imap_bodystructure *bs = imap_bodystructure_create(a);
	struct message_parser *p = message_parser_create(a);

	message_parser_set_header_callback(p, add_header, bs);
	for (size_t i = 0; i < len;) {
		size_t n = chunk == 0 ? len : 1 + rng() % chunk;

		if (n > len - i)
			n = len - i;
		message_parser_feed(p, msg + i, n);
		i += n;
	}
	const struct message_part *root = message_parser_finish(p);
	unsigned int parts = message_part_count(root);

	buf_clear(&BODY);
	buf_clear(&BS);
	imap_bodystructure_write(bs, root, false, &BODY);
	imap_bodystructure_write(bs, root, true, &BS);
	message_parser_destroy(&p);
	arena_destroy(&a);
	return parts;
}

static bool well_formed(const char *s, size_t len)
{
	return len > 0 && s[0] == '(' && imap_well_formed(s, len);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

struct bs_case {
	const char *msg;
	size_t len;
	const char *body, *bodystructure;
};

/* Expected values: Dovecot 2.3.19's FETCH BODY and BODYSTRUCTURE. */
static const struct bs_case cases[] = {
	/* no Content-Type: text/plain; charset=us-ascii, 7bit */
	{ "Subject: x\r\n"
	  "\r\n"
	  "hello\r\n"
	  "world\r\n", 28,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 2 NI"
	  "L NIL NIL NIL)" },
	/* text/plain without a charset gets one; no line break at the end */
	{ "Content-Type: text/plain\r\n"
	  "\r\n"
	  "x", 29,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL"
	  " NIL NIL NIL)" },
	/* case is kept (but see the plain 7bit rule) */
	{ "Content-Type: TEXT/HTML; CHARSET=UTF-8; Format=Flowed\r\n"
	  "Content-Transfer-Encoding: BASE64\r\n"
	  "\r\n"
	  "aGVsbG8=\r\n", 102,
	  "(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\" \"Format\" \"Flowed\") NIL NI"
	  "L \"BASE64\" 10 1)",
	  "(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\" \"Format\" \"Flowed\") NIL NI"
	  "L \"BASE64\" 10 1 NIL NIL NIL NIL)" },
	/* a type without subtype */
	{ "Content-Type: text\r\n"
	  "\r\n"
	  "x\r\n", 25,
	  "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL "
	  "NIL NIL)" },
	/* a non-text type without subtype */
	{ "Content-Type: foo\r\n"
	  "\r\n"
	  "x\r\n", 24,
	  "(\"foo\" \"\" NIL NIL NIL \"7bit\" 3)",
	  "(\"foo\" \"\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* quoted parameter values */
	{ "Content-Type: application/octet-stream; name=\"a \\\"q\\\" b.txt\"; x=y"
	  "\r\n"
	  "\r\n"
	  "x\r\n", 72,
	  "(\"application\" \"octet-stream\" (\"name\" \"a \\\"q\\\" b.txt\" \"x\""
	  " \"y\") NIL NIL \"7bit\" 3)",
	  "(\"application\" \"octet-stream\" (\"name\" \"a \\\"q\\\" b.txt\" \"x\""
	  " \"y\") NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* RFC 2231 sections are joined, not decoded */
	{ "Content-Type: application/x-stuff;\r\n"
	  " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
	  " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
	  " title*2=\"isn't it!\"\r\n"
	  "\r\n"
	  "x\r\n", 151,
	  "(\"application\" \"x-stuff\" (\"title*\" \"us-ascii'en'This%20is%20even"
	  "%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!\") NIL NIL \"7bit\" 3)",
	  "(\"application\" \"x-stuff\" (\"title*\" \"us-ascii'en'This%20is%20even"
	  "%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!\") NIL NIL \"7bit\" 3 NIL N"
	  "IL NIL NIL)" },
	/* RFC 2231 extended parameters come after the plain ones */
	{ "Content-Type: text/plain; name*=utf-8''%C3%A9t%C3%A9.txt; charset=iso-8"
	  "859-1\r\n"
	  "\r\n"
	  "x\r\n", 83,
	  "(\"text\" \"plain\" (\"charset\" \"iso-8859-1\" \"name*\" \"utf-8''%C3%"
	  "A9t%C3%A9.txt\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"iso-8859-1\" \"name*\" \"utf-8''%C3%"
	  "A9t%C3%A9.txt\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)" },
	/* RFC 2231: a gap or a repeat keeps the sections apart */
	{ "Content-Type: application/octet-stream; name*1=\"b\"; name*0=\"a\"; nam"
	  "e*=x''y; name=plain\r\n"
	  "\r\n"
	  "x", 91,
	  "(\"application\" \"octet-stream\" (\"name\" \"plain\" \"name*0\" \"a\" "
	  "\"name*0*\" \"x''y\" \"name*1\" \"b\") NIL NIL \"7bit\" 1)",
	  "(\"application\" \"octet-stream\" (\"name\" \"plain\" \"name*0\" \"a\" "
	  "\"name*0*\" \"x''y\" \"name*1\" \"b\") NIL NIL \"7bit\" 1 NIL NIL NIL N"
	  "IL)" },
	/* RFC 2231: plain sections inside an extended value get %-escaped */
	{ "Content-Type: a/b; n*0=a; n*1*=%41; m*0*=a; m*1=%41\r\n"
	  "\r\n"
	  "x", 56,
	  "(\"a\" \"b\" (\"m*\" \"a%2541\" \"n*\" \"''a%41\") NIL NIL \"7bit\" 1)",
	  "(\"a\" \"b\" (\"m*\" \"a%2541\" \"n*\" \"''a%41\") NIL NIL \"7bit\" 1 N"
	  "IL NIL NIL NIL)" },
	/* RFC 2231: names sort case-sensitively, group case-insensitively */
	{ "Content-Type: a/b; b*=1; A*=2; a*0=3; a*1=4; B=5\r\n"
	  "\r\n"
	  "x", 53,
	  "(\"a\" \"b\" (\"B\" \"5\" \"A*0*\" \"2\" \"a*0\" \"3\" \"a*1\" \"4\" \""
	  "b*\" \"1\") NIL NIL \"7bit\" 1)",
	  "(\"a\" \"b\" (\"B\" \"5\" \"A*0*\" \"2\" \"a*0\" \"3\" \"a*1\" \"4\" \""
	  "b*\" \"1\") NIL NIL \"7bit\" 1 NIL NIL NIL NIL)" },
	/* all the extension fields */
	{ "Content-Type: text/plain; charset=\"us-ascii\" (comment)\r\n"
	  "Content-Transfer-Encoding:  quoted-printable (c) \r\n"
	  "Content-ID: <id@x>\r\n"
	  "Content-Description: =?utf-8?q?d=C3=A9sc?= \t two\r\n"
	  "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	  "Content-Disposition: attachment; filename=\"f.txt\"; size=3\r\n"
	  "Content-Language: en, fr\r\n"
	  "Content-Location: http://x/y\r\n"
	  "\r\n"
	  "abc", 336,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<id@x>\" \"=?utf-8?q?d"
	  "=C3=A9sc?= \t two\" \"quoted-printable\" 3 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<id@x>\" \"=?utf-8?q?d"
	  "=C3=A9sc?= \t two\" \"quoted-printable\" 3 0 \"Q2hlY2sgSW50ZWdyaXR5IQ=="
	  "\" (\"attachment\" (\"filename\" \"f.txt\" \"size\" \"3\")) (\"en\" \"f"
	  "r\") \"http://x/y\")" },
	/* multipart/mixed */
	{ "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	  "\r\n"
	  "pre\r\n"
	  "--b1\r\n"
	  "\r\n"
	  "part1\r\n"
	  "--b1\r\n"
	  "Content-Type: text/html\r\n"
	  "\r\n"
	  "<p>2</p>\r\n"
	  "--b1--\r\n"
	  "epi\r\n", 124,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)(\""
	  "text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0) \"mixe"
	  "d\")",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NI"
	  "L NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	  "bit\" 8 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)" },
	/* a multipart without parts gets an empty stand-in part */
	{ "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	  "\r\n"
	  "no parts here\r\n", 63,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \""
	  "mixed\")",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NI"
	  "L NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)" },
	/* a multipart without boundary */
	{ "Content-Type: multipart/mixed\r\n"
	  "\r\n"
	  "no boundary\r\n", 46,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \""
	  "mixed\")",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NI"
	  "L NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)" },
	/* message/rfc822 */
	{ "Content-Type: message/rfc822\r\n"
	  "\r\n"
	  "From: a@b\r\n"
	  "Subject: inner\r\n"
	  "\r\n"
	  "inner body\r\n", 73,
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 41 (NIL \"inner\" ((NIL NI"
	  "L \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) NIL NIL"
	  " NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \""
	  "7bit\" 12 1) 4)",
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 41 (NIL \"inner\" ((NIL NI"
	  "L \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) NIL NIL"
	  " NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \""
	  "7bit\" 12 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)" },
	/* multipart/digest parts default to message/rfc822 */
	{ "Content-Type: multipart/digest; boundary=d\r\n"
	  "\r\n"
	  "--d\r\n"
	  "\r\n"
	  "From: x@y\r\n"
	  "\r\n"
	  "m1\r\n"
	  "--d\r\n"
	  "Content-Type: text/plain\r\n"
	  "\r\n"
	  "t\r\n"
	  "--d--\r\n", 113,
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 15 (NIL NIL ((NIL NIL \"x"
	  "\" \"y\")) ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) NIL NIL NIL "
	  "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	  " 2 0) 2)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	  " 1 0) \"digest\")",
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 15 (NIL NIL ((NIL NIL \"x"
	  "\" \"y\")) ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) NIL NIL NIL "
	  "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""
	  " 2 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\""
	  " \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) \"digest\" (\"boun"
	  "dary\" \"d\") NIL NIL NIL)" },
	/* the first Content-Type counts */
	{ "Content-Type: text/plain; charset=a\r\n"
	  "Content-Type: text/html; charset=b\r\n"
	  "\r\n"
	  "x", 76,
	  "(\"text\" \"plain\" (\"charset\" \"a\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"a\") NIL NIL \"7bit\" 1 0 NIL NIL NI"
	  "L NIL)" },
	/* multipart extension data */
	{ "Content-Type: multipart/alternative; boundary=x; foo=bar\r\n"
	  "Content-Disposition: inline\r\n"
	  "Content-Language: de\r\n"
	  "Content-Location: loc\r\n"
	  "\r\n"
	  "--x\r\n"
	  "Content-Type: text/plain\r\n"
	  "\r\n"
	  "a\r\n"
	  "--x--\r\n", 177,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) \""
	  "alternative\")",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NI"
	  "L NIL NIL NIL) \"alternative\" (\"boundary\" \"x\" \"foo\" \"bar\") (\""
	  "inline\" NIL) (\"de\") \"loc\")" },
	/* empty fields */
	{ "Content-Type: text/plain; charset=\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n"
	  "Content-Disposition: \r\n"
	  "Content-Language: \r\n"
	  "Content-ID:\r\n"
	  "\r\n"
	  "x", 128,
	  "(\"text\" \"plain\" (\"charset\" \"\") \"\" NIL \"8bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"\") \"\" NIL \"8bit\" 1 0 NIL (\"\" "
	  "NIL) NIL NIL)" },
	/* repeated and odd parameters */
	{ "Content-Type: text/plain; a=1; a=2; B=3; c\r\n"
	  "Content-Disposition: inline; FileName=X\r\n"
	  "Content-Language: en (c), (d) fr\r\n"
	  "\r\n"
	  "x", 122,
	  "(\"text\" \"plain\" (\"a\" \"1\" \"a\" \"2\" \"B\" \"3\" \"charset\" \""
	  "us-ascii\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"a\" \"1\" \"a\" \"2\" \"B\" \"3\" \"charset\" \""
	  "us-ascii\") NIL NIL \"7bit\" 1 0 NIL (\"inline\" (\"FileName\" \"X\")) "
	  "(\"en\" \"fr\") NIL)" },
	/* 8-bit parameters and descriptions are literals */
	{ "Content-Type: image/gif; name=\351.gif\r\n"
	  "Content-Description: 8bit \303\251\r\n"
	  "Content-Disposition: attachment; filename=\"\303\251.gif\"\r\n"
	  "\r\n"
	  "x", 122,
	  "(\"image\" \"gif\" (\"name\" {5}\r\n"
	  "\351.gif) NIL {7}\r\n"
	  "8bit \303\251 \"7bit\" 1)",
	  "(\"image\" \"gif\" (\"name\" {5}\r\n"
	  "\351.gif) NIL {7}\r\n"
	  "8bit \303\251 \"7bit\" 1 NIL (\"attachment\" (\"filename\" {6}\r\n"
	  "\303\251.gif)) NIL NIL)" },
	/* a quoted type is no type */
	{ "Content-Type: \"text/plain\"\r\n"
	  "\r\n"
	  "x", 31,
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 1)",
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 1 NIL NIL NIL NIL)" },
	/* broken parameter lists */
	{ "Content-Type: text/plain;charset=utf-8;;name=x;=y;z=;w=\"\r\n"
	  "\r\n"
	  "x", 61,
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\" \"\" \"y\" \"z\" \"\") NIL N"
	  "IL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\" \"\" \"y\" \"z\" \"\") NIL N"
	  "IL \"7bit\" 1 0 NIL NIL NIL NIL)" },
	/* Content-* fields other than the first count: the first, but Disposition: the last */
	{ "Content-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n"
	  "Content-ID: <1>\r\n"
	  "Content-ID: <2>\r\n"
	  "Content-Description: d1\r\n"
	  "Content-Description: d2\r\n"
	  "Content-Disposition: inline\r\n"
	  "Content-Disposition: attachment\r\n"
	  "Content-Language: en\r\n"
	  "Content-Language: fr\r\n"
	  "Content-Location: l1\r\n"
	  "Content-Location: l2\r\n"
	  "Content-MD5: m1\r\n"
	  "Content-MD5: m2\r\n"
	  "\r\n"
	  "x", 365,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<1>\" \"d1\" \"base64\""
	  " 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<1>\" \"d1\" \"base64\""
	  " 1 0 \"m1\" (\"attachment\" NIL) (\"en\") \"l1\")" },
	/* not MIME (no MIME-Version, no Content-Type): Content-* fields do not count */
	{ "Content-Transfer-Encoding: base64\r\n"
	  "Content-Description: d\r\n"
	  "\r\n"
	  "x", 62,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL"
	  " NIL NIL NIL)" },
	/* MIME-Version makes them count */
	{ "MIME-Version: 1.0\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "Content-Description: d\r\n"
	  "\r\n"
	  "x", 81,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL \"d\" \"base64\" 1 0"
	  ")",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL \"d\" \"base64\" 1 0"
	  " NIL NIL NIL NIL)" },
	/* a multipart's parts are MIME; a nested message is not by itself */
	{ "Content-Type: multipart/digest; boundary=d\r\n"
	  "\r\n"
	  "--d\r\n"
	  "Content-Description: digest child\r\n"
	  "\r\n"
	  "Subject: s\r\n"
	  "Content-Description: inner\r\n"
	  "\r\n"
	  "x\r\n"
	  "--d--\r\n", 140,
	  "((\"message\" \"rfc822\" NIL NIL \"digest child\" \"7bit\" 43 (NIL \"s\""
	  " NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us"
	  "-ascii\") NIL NIL \"7bit\" 1 0) 3) \"digest\")",
	  "((\"message\" \"rfc822\" NIL NIL \"digest child\" \"7bit\" 43 (NIL \"s\""
	  " NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us"
	  "-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"di"
	  "gest\" (\"boundary\" \"d\") NIL NIL NIL)" },
	/* junk after the subtype makes the type "" "" */
	{ "Content-Type: text/plain charset=x\r\n"
	  "\r\n"
	  "x", 39,
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 1)",
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 1 NIL NIL NIL NIL)" },
	/* Content-Language takes atoms; Content-Transfer-Encoding one token */
	{ "Content-Type: text/plain\r\n"
	  "Content-Language: en_US, x.y, a/b\r\n"
	  "Content-Transfer-Encoding: x-uue junk\r\n"
	  "\r\n"
	  "x", 103,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL"
	  " NIL (\"en_US\" \"x\") NIL)" },
	/* folding in raw fields */
	{ "Content-Type: text/plain\r\n"
	  "Content-Location:  a\r\n"
	  "  b  \r\n"
	  "Content-ID:  <a\r\n"
	  "  b>  \r\n"
	  "Content-MD5:  x  \r\n"
	  "Content-Language: a b c\r\n"
	  "\r\n"
	  "x", 127,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<a  b>  \" NIL \"7bit\""
	  " 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"<a  b>  \" NIL \"7bit\""
	  " 1 0 \"x  \" NIL (\"a\") \"a  b  \")" },
	/* a plain 7bit message is written with the defaults */
	{ "Content-Type: TEXT/PLAIN; charset=US-ASCII\r\n"
	  "Content-Transfer-Encoding: 7BIT\r\n"
	  "\r\n"
	  "x", 80,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL"
	  " NIL NIL NIL)" },
	/* ... but not when it has anything else */
	{ "Content-Type: text/plain; charset=US-ASCII\r\n"
	  "Content-Language: en\r\n"
	  "\r\n"
	  "x", 69,
	  "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 1 0 NIL"
	  " NIL (\"en\") NIL)" },
	/* ... and only at the top */
	{ "Content-Type: multipart/mixed; boundary=x\r\n"
	  "\r\n"
	  "--x\r\n"
	  "Content-Type: TEXT/PLAIN; charset=US-ASCII\r\n"
	  "\r\n"
	  "x\r\n"
	  "--x--\r\n", 106,
	  "((\"TEXT\" \"PLAIN\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 1 0) \""
	  "mixed\")",
	  "((\"TEXT\" \"PLAIN\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 1 0 NI"
	  "L NIL NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL)" },
	/* MESSAGE/RFC822 is written in lower case */
	{ "Content-Type: MESSAGE/RFC822\r\n"
	  "\r\n"
	  "Subject: up\r\n"
	  "\r\n"
	  "x\r\n", 50,
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 18 (NIL \"up\" NIL NIL NIL"
	  " NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NI"
	  "L NIL \"7bit\" 3 1) 3)",
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 18 (NIL \"up\" NIL NIL NIL"
	  " NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NI"
	  "L NIL \"7bit\" 3 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)" },
	/* message/rfc822 with an empty body */
	{ "Content-Type: message/rfc822\r\n"
	  "\r\n", 32,
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL"
	  " NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NI"
	  "L \"7bit\" 0 0) 0)",
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL"
	  " NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NI"
	  "L \"7bit\" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL)" },
	/* message/rfc822 with its header cut by the end */
	{ "Content-Type: message/rfc822\r\n", 30,
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL"
	  " NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NI"
	  "L \"7bit\" 0 0) 0)",
	  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL"
	  " NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NI"
	  "L \"7bit\" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL)" },
	/* message/rfc822 cut by a boundary */
	{ "Content-Type: multipart/mixed; boundary=x\r\n"
	  "\r\n"
	  "--x\r\n"
	  "Content-Type: message/rfc822\r\n"
	  "--x--\r\n", 87,
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NI"
	  "L NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL N"
	  "IL \"7bit\" 0 0) 0) \"mixed\")",
	  "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NI"
	  "L NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL N"
	  "IL \"7bit\" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL) \"mixed\" (\"bounda"
	  "ry\" \"x\") NIL NIL NIL)" },
	/* multipart without subtype */
	{ "Content-Type: multipart\r\n"
	  "\r\n"
	  "x\r\n", 30,
	  "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 3)",
	  "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NI"
	  "L)" },
	/* NULs in parameters and fields */
	{ "Content-Type: text/plain; name=\"a\000b\"; x=a\000b; c\000d=e\r\n"
	  "Content-Language: e\000n, fr\r\n"
	  "Content-ID: <a\000b>\r\n"
	  "\r\n"
	  "x", 101,
	  "(\"text\" \"plain\" (\"name\" {5}\r\n"
	  "a\357\277\275b \"x\" \"a\" \"charset\" \"us-ascii\") {7}\r\n"
	  "<a\357\277\275b> NIL \"7bit\" 1 0)",
	  "(\"text\" \"plain\" (\"name\" {5}\r\n"
	  "a\357\277\275b \"x\" \"a\" \"charset\" \"us-ascii\") {7}\r\n"
	  "<a\357\277\275b> NIL \"7bit\" 1 0 NIL NIL (\"e\") NIL)" },
	/* nested multiparts in a message */
	{ "Content-Type: multipart/mixed; boundary=a\r\n"
	  "\r\n"
	  "--a\r\n"
	  "Content-Type: multipart/digest; boundary=b\r\n"
	  "\r\n"
	  "--b\r\n"
	  "\r\n"
	  "Subject: d1\r\n"
	  "\r\n"
	  "b1\r\n"
	  "--b\r\n"
	  "Content-Type: text/plain\r\n"
	  "\r\n"
	  "b2\r\n"
	  "--b--\r\n"
	  "\r\n"
	  "--a\r\n"
	  "Content-Type: message/rfc822\r\n"
	  "\r\n"
	  "Content-Type: multipart/alternative; boundary=c\r\n"
	  "\r\n"
	  "--c\r\n"
	  "\r\n"
	  "alt1\r\n"
	  "--c\r\n"
	  "Content-Type: text/html\r\n"
	  "\r\n"
	  "<b>alt2</b>\r\n"
	  "--c--\r\n"
	  "\r\n"
	  "--a--\r\n", 330,
	  "(((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 17 (NIL \"d1\" NIL NIL N"
	  "IL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	  "NIL NIL \"7bit\" 2 0) 2)(\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	  "NIL NIL \"7bit\" 2 0) \"digest\")(\"message\" \"rfc822\" NIL NIL NIL \""
	  "7bit\" 116 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ((\"text\" \"plain"
	  "\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0)(\"text\" \"html\" ("
	  "\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0) \"alternative\") 10) \""
	  "mixed\")",
	  "(((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 17 (NIL \"d1\" NIL NIL N"
	  "IL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	  "NIL NIL \"7bit\" 2 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)(\"text\" \"pla"
	  "in\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 2 0 NIL NIL NIL NIL) \""
	  "digest\" (\"boundary\" \"b\") NIL NIL NIL)(\"message\" \"rfc822\" NIL N"
	  "IL NIL \"7bit\" 116 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ((\"text\""
	  " \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 NIL NIL NIL "
	  "NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0"
	  " NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"c\") NIL NIL NIL) 10 "
	  "NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"a\") NIL NIL NIL)" },
	/* Odd parameter lists: Dovecot's RFC 2045 tokens and RFC 2231 joining
	 * (found by comparing random input with it). */
	/* Content-Type: a/b; name*1=us-ascii ; name*="a;b" */
	{ "Content-Type: a/b; name*1=us-ascii ; name*=\"a;b\"\r\n"
	  "\r\n"
	  "x\r\n", 55,
	  "(\"a\" \"b\" (\"name*1\" \"us-ascii\" \"name*1*\" \"a;b\") NIL NIL \"7b"
	  "it\" 3)",
	  "(\"a\" \"b\" (\"name*1\" \"us-ascii\" \"name*1*\" \"a;b\") NIL NIL \"7b"
	  "it\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; n*x=b; n**=c; *=d; n*0x=e */
	{ "Content-Type: a/b; n*x=b; n**=c; *=d; n*0x=e\r\n"
	  "\r\n"
	  "x\r\n", 51,
	  "(\"a\" \"b\" (\"n*x\" \"b\" \"n*0x\" \"e\" \"*\" \"d\" \"n*\" \"c\") NI"
	  "L NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"n*x\" \"b\" \"n*0x\" \"e\" \"*\" \"d\" \"n*\" \"c\") NI"
	  "L NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; name==?utf-8?q?x?=; a==b */
	{ "Content-Type: a/b; name==?utf-8?q?x?=; a==b\r\n"
	  "\r\n"
	  "x\r\n", 50,
	  "(\"a\" \"b\" (\"name\" \"=?utf-8?q?x?=\" \"a\" \"=b\") NIL NIL \"7bit\""
	  " 3)",
	  "(\"a\" \"b\" (\"name\" \"=?utf-8?q?x?=\" \"a\" \"=b\") NIL NIL \"7bit\""
	  " 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; a=b c; d=e */
	{ "Content-Type: a/b; a=b c; d=e\r\n"
	  "\r\n"
	  "x\r\n", 36,
	  "(\"a\" \"b\" (\"a\" \"b\" \"d\" \"e\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"a\" \"b\" \"d\" \"e\") NIL NIL \"7bit\" 3 NIL NIL NIL N"
	  "IL)" },
	/* Content-Type: a/b; a=(c)b(c); d=e */
	{ "Content-Type: a/b; a=(c)b(c); d=e\r\n"
	  "\r\n"
	  "x\r\n", 40,
	  "(\"a\" \"b\" (\"a\" \"b\" \"d\" \"e\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"a\" \"b\" \"d\" \"e\") NIL NIL \"7bit\" 3 NIL NIL NIL N"
	  "IL)" },
	/* Content-Type: a/b; a=b/c; d=[e]; f=g@h; i=j:k */
	{ "Content-Type: a/b; a=b/c; d=[e]; f=g@h; i=j:k\r\n"
	  "\r\n"
	  "x\r\n", 52,
	  "(\"a\" \"b\" (\"a\" \"b\" \"d\" \"\" \"f\" \"g\" \"i\" \"j\") NIL NIL \""
	  "7bit\" 3)",
	  "(\"a\" \"b\" (\"a\" \"b\" \"d\" \"\" \"f\" \"g\" \"i\" \"j\") NIL NIL \""
	  "7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; n*0=a; N*1=b */
	{ "Content-Type: a/b; n*0=a; N*1=b\r\n"
	  "\r\n"
	  "x\r\n", 38,
	  "(\"a\" \"b\" (\"N*1\" \"b\" \"n*0\" \"a\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"N*1\" \"b\" \"n*0\" \"a\") NIL NIL \"7bit\" 3 NIL NIL N"
	  "IL NIL)" },
	/* Content-Type: a/b; n*0=a; n*1=b; n*1=c */
	{ "Content-Type: a/b; n*0=a; n*1=b; n*1=c\r\n"
	  "\r\n"
	  "x\r\n", 45,
	  "(\"a\" \"b\" (\"n*0\" \"a\" \"n*1\" \"b\" \"n*1\" \"c\") NIL NIL \"7bit"
	  "\" 3)",
	  "(\"a\" \"b\" (\"n*0\" \"a\" \"n*1\" \"b\" \"n*1\" \"c\") NIL NIL \"7bit"
	  "\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; n*10=k; n*2=c; n*1=b; n*0=a; n*3=d; n*4=e; n*5=f; n*6=g; n*7=h; n*8=i; n*9=j */
	{ "Content-Type: a/b; n*10=k; n*2=c; n*1=b; n*0=a; n*3=d; n*4=e; n*5=f; n*"
	  "6=g; n*7=h; n*8=i; n*9=j\r\n"
	  "\r\n"
	  "x\r\n", 102,
	  "(\"a\" \"b\" (\"n\" \"abcdefghijk\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"n\" \"abcdefghijk\") NIL NIL \"7bit\" 3 NIL NIL NIL NIL"
	  ")" },
	/* Content-Type: text/plain; charset*0=utf-8 */
	{ "Content-Type: text/plain; charset*0=utf-8\r\n"
	  "\r\n"
	  "x\r\n", 48,
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 3 1 NIL NI"
	  "L NIL NIL)" },
	/* Content-Type: text/plain; charset*=utf-8 */
	{ "Content-Type: text/plain; charset*=utf-8\r\n"
	  "\r\n"
	  "x\r\n", 47,
	  "(\"text\" \"plain\" (\"charset*\" \"utf-8\" \"charset\" \"us-ascii\") N"
	  "IL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset*\" \"utf-8\" \"charset\" \"us-ascii\") N"
	  "IL NIL \"7bit\" 3 1 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; n="a\r\n b" */
	{ "Content-Type: a/b; n=\"a\r\n"
	  " b\"\r\n"
	  "\r\n"
	  "x\r\n", 35,
	  "(\"a\" \"b\" (\"n\" \"a b\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"n\" \"a b\") NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; n*=; m*0= */
	{ "Content-Type: a/b; n*=; m*0=\r\n"
	  "\r\n"
	  "x\r\n", 35,
	  "(\"a\" \"b\" (\"m\" \"\" \"n*\" \"\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"m\" \"\" \"n*\" \"\") NIL NIL \"7bit\" 3 NIL NIL NIL NI"
	  "L)" },
	/* Content-Type: a/b; n*0*=a; n*1*=b; n*2*=c; n*4*=d */
	{ "Content-Type: a/b; n*0*=a; n*1*=b; n*2*=c; n*4*=d\r\n"
	  "\r\n"
	  "x\r\n", 56,
	  "(\"a\" \"b\" (\"n*0*\" \"a\" \"n*1*\" \"b\" \"n*2*\" \"c\" \"n*4*\" \"d"
	  "\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"n*0*\" \"a\" \"n*1*\" \"b\" \"n*2*\" \"c\" \"n*4*\" \"d"
	  "\") NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; n*00=a; n*01=b */
	{ "Content-Type: a/b; n*00=a; n*01=b\r\n"
	  "\r\n"
	  "x\r\n", 40,
	  "(\"a\" \"b\" (\"n\" \"ab\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"n\" \"ab\") NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: a/b; k=v\x0f; y=2 */
	{ "Content-Type: a/b; k=v\017; y=2\r\n"
	  "\r\n"
	  "x\r\n", 35,
	  "(\"a\" \"b\" (\"k\" \"v\" \"y\" \"2\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"k\" \"v\" \"y\" \"2\") NIL NIL \"7bit\" 3 NIL NIL NIL N"
	  "IL)" },
	/* Content-Type: a/b;\x00;= */
	{ "Content-Type: a/b;\000;=\r\n"
	  "\r\n"
	  "x\r\n", 28,
	  "(\"a\" \"b\" (\"\" \"\") NIL NIL \"7bit\" 3)",
	  "(\"a\" \"b\" (\"\" \"\") NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: text/plain;\r\n\tcharset="utf-8" */
	{ "Content-Type: text/plain;\r\n"
	  "\tcharset=\"utf-8\"\r\n"
	  "\r\n"
	  "x\r\n", 50,
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 3 1 NIL NI"
	  "L NIL NIL)" },
	/* Content-Type: text / plain ; charset = x */
	{ "Content-Type: text / plain ; charset = x\r\n"
	  "\r\n"
	  "x\r\n", 47,
	  "(\"text\" \"plain\" (\"charset\" \"x\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"x\") NIL NIL \"7bit\" 3 1 NIL NIL NI"
	  "L NIL)" },
	/* Content-Type: text/plain; format=flowed; charset="utf-8"; delsp=yes */
	{ "Content-Type: text/plain; format=flowed; charset=\"utf-8\"; delsp=yes\r"
	  "\n"
	  "\r\n"
	  "x\r\n", 74,
	  "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"utf-8\" \"dels"
	  "p\" \"yes\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"utf-8\" \"dels"
	  "p\" \"yes\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)" },
	/* Content-Type: text/; charset=x */
	{ "Content-Type: text/; charset=x\r\n"
	  "\r\n"
	  "x\r\n", 37,
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3)",
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: /plain; charset=x */
	{ "Content-Type: /plain; charset=x\r\n"
	  "\r\n"
	  "x\r\n", 38,
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3)",
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: text/plain/x; charset=x */
	{ "Content-Type: text/plain/x; charset=x\r\n"
	  "\r\n"
	  "x\r\n", 44,
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3)",
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: ; charset=x */
	{ "Content-Type: ; charset=x\r\n"
	  "\r\n"
	  "x\r\n", 32,
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3)",
	  "(\"\" \"\" NIL NIL NIL \"7bit\" 3 NIL NIL NIL NIL)" },
	/* Content-Type: multipart/mixed; boundary="" */
	{ "Content-Type: multipart/mixed; boundary=\"\"\r\n"
	  "\r\n"
	  "x\r\n", 49,
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \""
	  "mixed\")",
	  "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NI"
	  "L NIL NIL NIL) \"mixed\" (\"boundary\" \"\") NIL NIL NIL)" },
	/* Content-Disposition: inline junk ; NAME*1==bn*x=\xe9;\r\n\tname*=a b;charset=utf-8''%41 */
	{ "Content-Type: text/plain\r\n"
	  "Content-Disposition: inline junk ; NAME*1==bn*x=\351;\r\n"
	  "\tname*=a b;charset=utf-8''%41\r\n"
	  "\r\n"
	  "x\r\n", 114,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL"
	  " (\"inline\" (\"charset\" \"utf-8''%41\" \"NAME*1\" {7}\r\n"
	  "=bn*x=\351 \"name*1*\" \"a\")) NIL NIL)" },
	/* Content-Disposition: "quoted"; a=b */
	{ "Content-Type: text/plain\r\n"
	  "Content-Disposition: \"quoted\"; a=b\r\n"
	  "\r\n"
	  "x\r\n", 67,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL"
	  " (\"\" (\"a\" \"b\")) NIL NIL)" },
	/* Content-Disposition: attachment junk; a=b */
	{ "Content-Type: text/plain\r\n"
	  "Content-Disposition: attachment junk; a=b\r\n"
	  "\r\n"
	  "x\r\n", 74,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL"
	  " (\"attachment\" (\"a\" \"b\")) NIL NIL)" },
	/* Content-Disposition: ;x=y */
	{ "Content-Type: text/plain\r\n"
	  "Content-Disposition: ;x=y\r\n"
	  "\r\n"
	  "x\r\n", 58,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL"
	  " (\"\" (\"x\" \"y\")) NIL NIL)" },
	/* Content-Disposition: inline; filename=a"b"c */
	{ "Content-Type: text/plain\r\n"
	  "Content-Disposition: inline; filename=a\"b\"c\r\n"
	  "\r\n"
	  "x\r\n", 76,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL"
	  " (\"inline\" (\"filename\" \"a\")) NIL NIL)" },
	/* Content-Disposition: ATTACHMENT; FILENAME*=utf-8%27%27a%20b; x*0=a; x*1=b */
	{ "Content-Type: text/plain\r\n"
	  "Content-Disposition: ATTACHMENT; FILENAME*=utf-8%27%27a%20b; x*0=a; x*1"
	  "=b\r\n"
	  "\r\n"
	  "x\r\n", 106,
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
	  "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL"
	  " (\"ATTACHMENT\" (\"FILENAME*\" \"utf-8%27%27a%20b\" \"x\" \"ab\")) NIL"
	  " NIL)" },
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		structure(cases[i].msg, cases[i].len, 0);
		CHECK_STR(BODY.data, cases[i].body);
		CHECK_STR(BS.data, cases[i].bodystructure);
		CHECK(well_formed(BS.data, BS.len));
		/* the same whatever the chunks the parser is fed */
		structure(cases[i].msg, cases[i].len, 1);
		CHECK_STR(BS.data, cases[i].bodystructure);
		structure(cases[i].msg, cases[i].len, 7);
		CHECK_STR(BS.data, cases[i].bodystructure);
	}
}

/* n multiparts nested in each other, a text part inside (Dovecot's
 * max_nested_mime_parts is 100: the 100th is not split). The boundaries
 * are not prefixes of each other: "--b99" would be a delimiter of "b9". */
static char *deep_multipart(unsigned int n, size_t *len_r)
{
	struct buf m;

	buf_init(&m, 1 << 20);
	for (unsigned int i = 0; i < n; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=bnd%03u\r\n\r\n--bnd%03u\r\n",
			   i, i);
	buf_append_str(&m, "Content-Type: text/plain\r\n\r\nleaf\r\n");
	for (unsigned int i = n; i-- > 0;)
		buf_printf(&m, "--bnd%03u--%s", i, i == 0 ? "\r\n" : "\r\nepilogue\r\n");
	*len_r = m.len;
	return m.data;
}

static void test_nesting(void)
{
	struct buf want;
	size_t len;
	char *msg;

	buf_init(&want, 1 << 20);
	/* 99 levels: all split (checked against Dovecot) */
	msg = deep_multipart(99, &len);
	structure(msg, len, 0);
	for (int i = 0; i < 99; i++)
		buf_append_char(&want, '(');
	buf_append_str(&want, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 "
		       "NIL NIL NIL NIL)");
	for (int i = 98; i >= 0; i--)
		buf_printf(&want, " \"mixed\" (\"boundary\" \"bnd%03d\") NIL NIL NIL)", i);
	CHECK_STR(BS.data, want.data);
	free(msg);

	/* 100 levels: the innermost multipart is application/octet-stream */
	msg = deep_multipart(100, &len);
	structure(msg, len, 0);
	buf_clear(&want);
	for (int i = 0; i < 99; i++)
		buf_append_char(&want, '(');
	buf_append_str(&want, "(\"application\" \"octet-stream\" (\"boundary\" \"bnd099\") NIL NIL "
		       "\"7bit\" 64 NIL NIL NIL NIL)");
	for (int i = 98; i >= 0; i--)
		buf_printf(&want, " \"mixed\" (\"boundary\" \"bnd%03d\") NIL NIL NIL)", i);
	CHECK_STR(BS.data, want.data);
	free(msg);

	/* 130 nested messages: the 100th level is not split either */
	struct buf m;

	buf_init(&m, 1 << 20);
	for (int i = 0; i < 130; i++)
		buf_printf(&m, "Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n", i);
	buf_append_str(&m, "Subject: leaf\r\n\r\nleaf\r\n");
	structure(m.data, m.len, 0);
	CHECK(well_formed(BS.data, BS.len));
	CHECK_INT(count(BS.data, "(\"message\" \"rfc822\""), 99);
	CHECK_INT(count(BS.data, "(NIL \"level 99\" NIL"), 1);
	CHECK_INT(count(BS.data, "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\""), 1);
	buf_free(&m);
	buf_free(&want);
}

static void test_many_parts(void)
{
	struct buf m;

	/* past 10,000 parts the rest is the last part's body (as Dovecot) */
	buf_init(&m, 1 << 24);
	buf_append_str(&m, "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
	for (int i = 0; i < 10005; i++)
		buf_printf(&m, "--x\r\n\r\np%d\r\n", i);
	buf_append_str(&m, "--x--\r\n");
	CHECK_INT(structure(m.data, m.len, 0), 10000);
	CHECK(well_formed(BS.data, BS.len));
	CHECK_INT(count(BS.data, "(\"text\" \"plain\""), 9999);
	CHECK(strstr(BS.data, "\"7bit\" 103 20 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL "
		      "NIL NIL)") != NULL);
	CHECK(BS.len < IMAP_BODYSTRUCTURE_FIELDS_MAX + 10000 * IMAP_BODYSTRUCTURE_PART_BYTES);

	/* 3,000 parts with 4 KiB headers each: past the field budget the
	 * parts are written with their types only */
	buf_clear(&m);
	buf_append_str(&m, "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
	char *desc = malloc(4096);

	memset(desc, 'd', 4095);
	desc[4095] = '\0';
	for (int i = 0; i < 3000; i++)
		buf_printf(&m, "--x\r\nContent-Type: text/plain; name=\"%s\"\r\n\r\nb\r\n", desc);
	buf_append_str(&m, "--x--\r\n");
	free(desc);
	CHECK(!m.overflow);
	CHECK_INT(structure(m.data, m.len, 0), 3001);
	CHECK(well_formed(BS.data, BS.len));
	CHECK(BS.len < IMAP_BODYSTRUCTURE_FIELDS_MAX + 3001 * IMAP_BODYSTRUCTURE_PART_BYTES);
	CHECK(count(BS.data, "(\"name\" \"ddd") > 900);
	CHECK_INT(count(BS.data, "(\"text\" \"plain\""), 3000);
	buf_free(&m);
}

static void test_hostile_headers(void)
{
	size_t max = MESSAGE_PARSER_HEADER_MAX + 4096;
	char *h = malloc(max);
	size_t n;

	/* a header over the parser's limit, of parameters */
	n = (size_t)snprintf(h, max, "Content-Type: text/plain");
	while (n + 16 < max)
		n += (size_t)snprintf(h + n, max - n, ";a*%u*=%%41", (unsigned int)n % 97);
	n += (size_t)snprintf(h + n, max - n, "\r\n\r\nx");
	structure(h, n, 0);
	CHECK(well_formed(BS.data, BS.len));
	CHECK(BS.len < 2 * MESSAGE_PARSER_HEADER_MAX + IMAP_BODYSTRUCTURE_PART_BYTES);

	/* NULs everywhere */
	static const char nuls[] = "Content-Type: te\0xt/plain; a=\"\0\"; \0=\0\r\n"
				   "Content-Description: \0\0\r\nContent-Language: \0, en\r\n\r\n\0";

	structure(nuls, sizeof(nuls) - 1, 0);
	CHECK(well_formed(BS.data, BS.len));
	CHECK(memchr(BS.data, '\0', BS.len) == NULL);
	free(h);
}

/* Random messages made of MIME fragments: never a crash, always a list. */
static void test_random(void)
{
	static const char *const frags[] = {
		"Content-Type: multipart/mixed; boundary=a\r\n", "Content-Type: message/rfc822\r\n",
		"Content-Type: multipart/digest; boundary=b\r\n", "Content-Type: text/plain; charset=x\r\n",
		"Content-Type: ", "; name*0*=x; name*1=\"%\"; name*=y", "Content-Disposition: inline; a=b\r\n",
		"Content-Language: en, fr\r\n", "MIME-Version: 1.0\r\n", "From: a@b, g: c;\r\n",
		"\r\n", "--a\r\n", "--b\r\n", "--a--\r\n", "--b--\r\n", "body\r\n", "\0", "\377\303",
		"\n", "\r", " ", "(", "\"", ";", "=", "Subject: s\r\n", "Content-Transfer-Encoding: x\r\n",
	};
	struct buf m;

	buf_init(&m, 1 << 20);
	for (int round = 0; round < 3000; round++) {
		buf_clear(&m);
		unsigned int k = rng() % 60;

		for (unsigned int i = 0; i < k; i++) {
			const char *f = frags[rng() % (sizeof(frags) / sizeof(frags[0]))];

			buf_append(&m, f, f[0] == '\0' ? 1 : strlen(f));
		}
		structure(m.data != NULL ? m.data : "", m.len, 1 + rng() % 50);
		if (!well_formed(BS.data, BS.len) || !well_formed(BODY.data, BODY.len))
			printf("random round %d: %s\n", round, BS.data);
		CHECK(well_formed(BS.data, BS.len));
		CHECK(well_formed(BODY.data, BODY.len));
	}
	buf_free(&m);
}

int main(void)
{
	buf_init(&BODY, 64 * 1024 * 1024);
	buf_init(&BS, 64 * 1024 * 1024);
	test_table();
	test_nesting();
	test_many_parts();
	test_hostile_headers();
	test_random();
	buf_free(&BODY);
	buf_free(&BS);
	return unit_finish("mail-bodystructure");
}
