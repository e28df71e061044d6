/* Search text and PREVIEW: which parts and headers are searched (the cases
 * tried against Dovecot 2.3.19), the exact folded text, the previews
 * Dovecot gives for the same messages (differences marked), limits, read
 * errors, chunked reads, hostile messages and the real-mail corpora. */
#include <malloc.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/utf8.h"
#include "mail/casefold.h"
#include "mail/mail-text.h"
#include "mail/message-parser.h"
#include "unit.h"

struct msg {
	const char *data;
	size_t len;
	size_t max_read;
	unsigned int reads;
	bool fail;
};

static bool mem_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
	struct msg *m = ctx;

	m->reads++;
	if (len > m->max_read)
		m->max_read = len;
	if (m->fail || offset > m->len || len > m->len - offset)
		return false;
	memcpy(buf, m->data + offset, len);
	return true;
}

static void header_cb(const struct message_part *part, const char *header, size_t size,
		      void *context)
{
	mail_text_builder_header(context, part, header, size);
}

static bool build_msg(struct msg *m, const struct mail_text_limits *limits, struct mail_text *t)
{
	struct arena *a = arena_create(4096);
	struct mail_text_builder *b = mail_text_builder_create(a, limits);
	struct message_parser *p = message_parser_create(a);
	struct message_part *root;
	bool ok;

	message_parser_set_header_callback(p, header_cb, b);
	/* in uneven pieces, as delivery does */
	for (size_t i = 0; i < m->len; i += 1000)
		message_parser_feed(p, m->data + i, m->len - i < 1000 ? m->len - i : 1000);
	root = message_parser_finish(p);
	ok = mail_text_builder_finish(b, root, mem_read, m, t);
	message_parser_destroy(&p);
	arena_destroy(&a);
	return ok;
}

static struct mail_text T;

/* Builds the text of msg into T (freeing the previous one). */
static void text_of(const char *msg)
{
	struct msg m = { .data = msg, .len = strlen(msg) };

	mail_text_free(&T);
	if (!build_msg(&m, NULL, &T))
		printf("FAIL: build failed\n");
}

static const char *s(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

static const char *preview(const char *msg)
{
	text_of(msg);
	return s(&T.preview);
}

/* Whether key (folded here) is in the folded buffer. */
static bool has(const struct buf *b, const char *key)
{
	struct buf k;
	bool r;

	buf_init(&k, 4096);
	casefold_utf8(key, strlen(key), &k);
	r = casefold_contains(s(b), b->len, s(&k), k.len);
	buf_free(&k);
	return r;
}

static unsigned int utf8_chars(const char *str)
{
	unsigned int n = 0;

	for (; *str != '\0'; str++)
		n += ((unsigned char)*str & 0xc0) != 0x80;
	return n;
}

static char *repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *r = malloc(ul * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(r + i * ul, unit, ul);
	r[ul * n] = '\0';
	return r;
}

/* Every buffer is valid UTF-8 within its limit; the preview has at most
 * 200 characters and no control characters. */
static void check_invariants(const struct mail_text *t, const char *what)
{
	const struct buf *bufs[] = {
		&t->subject, &t->from, &t->to, &t->cc, &t->bcc, &t->header,
		&t->part_headers, &t->body, &t->preview,
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		if (bufs[i]->len > bufs[i]->max || !utf8_valid(s(bufs[i]), bufs[i]->len))
			ok = false;
	}
	if (utf8_chars(s(&t->preview)) > MAIL_TEXT_PREVIEW_CHARS)
		ok = false;
	for (const char *p = s(&t->preview); *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			ok = false;
	}
	if (ok) {
		unit_passed++;
	} else {
		unit_failed++;
		printf("FAIL invariants: %s\n", what);
	}
}

#define MP(boundary, parts) \
	"Subject: m\r\nContent-Type: multipart/mixed; boundary=" boundary "\r\n\r\n" parts

static void test_headers(void)
{
	text_of("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= und =?iso-8859-1?b?Q2Fm6Q==?=\r\n"
		"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.org>\r\n"
		"To: a@b.c\r\n"
		"Cc: =?utf-8?q?C=C3=A9cile?= <c@d.e>\r\n"
		"Bcc: hidden@x.y\r\n"
		"subject: foldone\r\n foldtwo\r\n"
		"X-Empty:\r\n"
		"Name With Space : v\r\n"
		"\r\n"
		"body\r\n");
	/* Dovecot: SUBJECT "grüße und café", "foldone foldtwo" and the
	 * second Subject all match; "grüßeund" does not. */
	CHECK_STR(s(&T.subject), "gru\xcc\x88sse und cafe\xcc\x81\nfoldone foldtwo");
	CHECK_STR(s(&T.from), "ju\xcc\x88rgen <jurgen@example.org>");
	CHECK_STR(s(&T.to), "<a@b.c>");
	CHECK_STR(s(&T.cc), "ce\xcc\x81" "cile <c@d.e>");
	CHECK_STR(s(&T.bcc), "<hidden@x.y>");
	CHECK_STR(s(&T.header),
		  "subject: gru\xcc\x88sse und cafe\xcc\x81\n"
		  "from: ju\xcc\x88rgen <jurgen@example.org>\n"
		  "to: a@b.c\n"
		  "cc: ce\xcc\x81" "cile <c@d.e>\n"
		  "bcc: hidden@x.y\n"
		  "subject: foldone foldtwo\n"
		  "x-empty:\n"
		  "name with space: v\n");
	CHECK_STR(s(&T.part_headers), "");
	CHECK_STR(s(&T.body), "body\n");
	CHECK(T.header_complete);
	CHECK(T.body_complete);
	CHECK(has(&T.subject, "GRÜSSE"));           /* Dovecot: no (simple titlecase) */
	CHECK(has(&T.subject, "grüße und café"));
	CHECK(!has(&T.subject, "grüßeund"));
	CHECK(has(&T.from, "JURGEN"));
	CHECK(has(&T.header, "subject: foldone"));
	CHECK(!has(&T.header, "=?utf-8"));

	/* Address fields rebuilt from the parsed list, as Dovecot's SEARCH
	 * does (imaptest search-addresses): comments inside an address are
	 * gone, a trailing comment names it, groups keep their names. */
	text_of("From: <user-from (comment)@ (comment) domain.org>\r\n"
		"To: user-to@domain.org (RealTo), \"Q. Name\" <q@d.org>\r\n"
		"Cc: groupname: g1@d.org, g2@d.org;,\r\n  groupname2: g3@d.org;, last@d.org\r\n"
		"Bcc: groupname:;\r\n"
		"From: =?utf-8?q?A=0Ab?= <ab@d.org>\r\n"
		"\r\n");
	CHECK_STR(s(&T.from), "<user-from@domain.org>\na b <ab@d.org>");
	CHECK_STR(s(&T.to), "realto <user-to@domain.org>, \"q. name\" <q@d.org>");
	CHECK_STR(s(&T.cc), "groupname: <g1@d.org>, <g2@d.org>;, groupname2: <g3@d.org>;, <last@d.org>");
	CHECK_STR(s(&T.bcc), "groupname:;");
	CHECK(has(&T.from, "user-from@domain.org"));
	/* Missing parts filled as Dovecot does: a bare local part gets an '@'. */
	text_of("From: foo, MAILER DAEMON <>, \"Q\" <@r1,@r2:x@y.org>\r\n\r\n");
	CHECK_STR(s(&T.from), "<foo@missing_domain>, \"mailer daemon\" <missing_mailbox@missing_domain>, "
		  "q <@r1,@r2:x@y.org>");

	/* raw 8-bit and invalid header bytes; a header with no body */
	text_of("Subject: bad\xff\xfeutf8 caf\xc3\xa9\r\n\r\n");
	CHECK_STR(s(&T.subject), "bad\xef\xbf\xbd\xef\xbf\xbdutf8 cafe\xcc\x81");
	CHECK_STR(s(&T.body), "");
	CHECK_STR(s(&T.preview), "");
	/* a decoded line break cannot forge a field */
	text_of("Subject: =?utf-8?q?a=0D=0Asubject:_forged?=\r\n\r\n");
	CHECK_STR(s(&T.subject), "a  subject: forged");
	CHECK_STR(s(&T.header), "subject: a  subject: forged\n");
	text_of("");
	CHECK_STR(s(&T.header), "");
	CHECK_STR(s(&T.body), "");
	CHECK(T.body_complete);
}

static void test_body_parts(void)
{
	/* QP soft breaks; the trailing CRLF is LF */
	text_of("Subject: q\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
		"hel=\r\nlo wor=\r\nld zzqq=C3=A9\r\n");
	CHECK_STR(s(&T.body), "hello world zzqqe\xcc\x81\n");
	CHECK(has(&T.body, "Hello World"));

	/* base64 UTF-8; full folding finds GRÜSSE and STRASSE */
	text_of("Subject: b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		"R3LDvMOfZSBhdXMgTcO8bmNoZW4gc3RyYcOfZQ==\r\n");
	CHECK_STR(s(&T.body), "gru\xcc\x88sse aus mu\xcc\x88nchen strasse");
	CHECK(has(&T.body, "GRÜSSE"));
	CHECK(has(&T.body, "STRASSE"));
	CHECK(has(&T.body, "straße"));

	/* charsets: iso-8859-1 8bit, koi8-r, unknown (ASCII kept) */
	text_of("Subject: l\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\nun caf\xe9 r\xe9sum\xe9\r\n");
	CHECK(has(&T.body, "CAFÉ"));
	CHECK(has(&T.body, "résumé"));
	CHECK(!has(&T.body, "resume"));
	/* Latin-1 labels are read as windows-1252 (WHATWG): 0x92 is ’ */
	text_of("Subject: l\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\r\n"
		"now\x92s \x96 \x93q\x94\r\n");
	CHECK_STR(s(&T.preview), "now\xe2\x80\x99s \xe2\x80\x93 \xe2\x80\x9cq\xe2\x80\x9d");
	CHECK(has(&T.body, "now’s"));
	text_of("Subject: k\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n"
		"\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2\r\n");
	CHECK_STR(s(&T.body), "привет мир\n");
	CHECK(has(&T.body, "ПРИВЕТ МИР"));
	text_of("Subject: u\r\nContent-Type: text/plain; charset=x-unknown-cs\r\n\r\n"
		"plainascii caf\xe9\r\n");
	CHECK_STR(s(&T.body), "plainascii caf\xef\xbf\xbd\n");

	/* invalid UTF-8 in a UTF-8 part; NUL */
	text_of("Subject: b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		"bad\xff" "byte\xc3here\r\n");
	CHECK(has(&T.body, "bad\xef\xbf\xbd" "byte\xef\xbf\xbdhere"));
	text_of("Subject: n\r\n\r\nbefore\0after\r\n");
	CHECK_STR(s(&T.body), "before");              /* strlen stops at the NUL ... */
	{
		struct msg m = { .data = "Subject: n\r\n\r\nbefore\0after\r\n", .len = 28 };

		mail_text_free(&T);
		CHECK(build_msg(&m, NULL, &T));
		CHECK_INT(T.body.len, 15);
		CHECK(memcmp(T.body.data, "before\xef\xbf\xbd" "after\n", 15) == 0);
	}

	/* Which parts (Dovecot: firstpart yes; attachment, image, part
	 * header no for BODY; part header yes for TEXT) */
	text_of(MP("BB",
		   "--BB\r\nContent-Type: text/plain\r\n\r\nfirstpart\r\n"
		   "--BB\r\nContent-Type: application/octet-stream\r\nX-Custom: partheaderword\r\n"
		   "Content-Transfer-Encoding: base64\r\n\r\nc2VjcmV0d29yZA==\r\n"
		   "--BB\r\nContent-Type: image/png\r\n\r\nrawimageword\r\n"
		   "--BB\r\nContent-Type: application/json\r\n\r\n{\"jsonword\": 1}\r\n"
		   "--BB\r\nContent-Type: text/plain\r\n\r\nlastpart\r\n"
		   "--BB--\r\n"));
	CHECK_STR(s(&T.body), "firstpart\nlastpart");
	CHECK_STR(s(&T.part_headers),
		  "content-type: text/plain\n"
		  "content-type: application/octet-stream\n"
		  "x-custom: partheaderword\n"
		  "content-transfer-encoding: base64\n"
		  "content-type: image/png\n"
		  "content-type: application/json\n"
		  "content-type: text/plain\n");
	CHECK(!has(&T.body, "secretword"));
	CHECK(!has(&T.header, "partheaderword"));

	/* message/rfc822: nested header in part_headers only, nested body in
	 * body (Dovecot: BODY innerbody yes, BODY/SUBJECT innersubj no,
	 * TEXT innersubj yes) */
	text_of(MP("CC",
		   "--CC\r\nContent-Type: text/plain\r\n\r\nouterbody\r\n"
		   "--CC\r\nContent-Type: message/rfc822\r\n\r\n"
		   "Subject: innersubj\r\nFrom: inner@example.org\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		   "aW5uZXJib2R5IMO8bsOvY29kZQ==\r\n"
		   "--CC--\r\n"));
	CHECK_STR(s(&T.subject), "m");
	CHECK(has(&T.part_headers, "subject: innersubj"));
	CHECK(has(&T.part_headers, "from: inner@example.org"));
	CHECK(!has(&T.body, "innersubj"));
	CHECK_STR(s(&T.body), "outerbody\ninnerbody u\xcc\x88ni\xcc\x88" "code");
	/* digest: the default type is message/rfc822 */
	text_of("Subject: dg\r\nContent-Type: multipart/digest; boundary=D\r\n\r\n"
		"--D\r\n\r\nSubject: digestinner\r\n\r\ndigestbody\r\n--D--\r\n");
	CHECK_STR(s(&T.body), "digestbody");
	CHECK(has(&T.part_headers, "digestinner"));

	/* message/delivery-status and text/rfc822-headers are searched */
	text_of("Subject: dsn\r\nContent-Type: multipart/report; report-type=delivery-status;"
		" boundary=R\r\n\r\n"
		"--R\r\nContent-Type: text/plain\r\n\r\nnotice\r\n"
		"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; dsnword.example\r\n"
		"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: rfc822hdrword\r\n"
		"--R--\r\n");
	CHECK_STR(s(&T.body), "notice\nreporting-mta: dns; dsnword.example\nsubject: rfc822hdrword");

	/* unknown transfer encoding: not searched (RFC 2045 §6.4); invalid
	 * base64: searched as lenient readers show it */
	text_of("Subject: u\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nunkctebody\r\n");
	CHECK_STR(s(&T.body), "");
	CHECK(T.body_complete);
	text_of("Subject: b\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVs!bG8g*d29y\r\nbGQh\r\n");
	CHECK_STR(s(&T.body), "hello world!");

	/* HTML: the text a reader sees (Dovecot without FTS: raw markup) */
	text_of("Subject: h\r\nContent-Type: text/html\r\n\r\n"
		"<html><head><title>T</title><style>p {color:red}</style></head><body>"
		"<p>Some <b>bold</b> text &amp; more &eacute;t&eacute;</p>"
		"<p>caf&#233; don&#8217;t &#150; a&nbsp;b</p></body></html>\r\n");
	CHECK_STR(s(&T.body), "some bold text & more e\xcc\x81te\xcc\x81\n"
		  "cafe\xcc\x81 don\xe2\x80\x99t \xe2\x80\x93 a b\n");
	CHECK(!has(&T.body, "<b>"));
	CHECK(!has(&T.body, "color"));
	CHECK(has(&T.body, "bold text"));

	/* alternative: both versions are searched, as in Dovecot */
	text_of("Subject: a\r\nContent-Type: multipart/alternative; boundary=EE\r\n\r\n"
		"--EE\r\nContent-Type: text/plain\r\n\r\nplainalt\r\n"
		"--EE\r\nContent-Type: text/html\r\n\r\n<p>htmlalt</p>\r\n--EE--\r\n");
	CHECK_STR(s(&T.body), "plainalt\nhtmlalt\n");
}

static void test_previews(void)
{
	/* Each with Dovecot 2.3.19's answer; "Dovecot:" marks a deliberate
	 * difference. */
	CHECK_STR(preview("Subject: q\r\n\r\nOn Mon, Bob wrote:\r\n> quoted line\r\n>> deeper\r\n"
			  "My reply   here\ttabs\r\n\r\n-- \r\nSig Name\r\n"),
		  "On Mon, Bob wrote: My reply here tabs -- Sig Name");
	CHECK_STR(preview("Subject: p\r\n\r\nHello world, this is a test.\r\n"),
		  "Hello world, this is a test.");
	{
		char msg[1000] = "Subject: l\r\n\r\n";
		char want[300] = "";

		for (int i = 0; i < 60; i++)
			sprintf(msg + strlen(msg), "%sword%03d", i > 0 ? " " : "", i);
		for (int i = 0; i < 25; i++)
			sprintf(want + strlen(want), "%sword%03d", i > 0 ? " " : "", i);
		/* cut at 200 characters, the trailing space trimmed: 199 */
		CHECK_STR(preview(msg), want);
		CHECK_INT(strlen(s(&T.preview)), 199);
	}
	{
		char *a199 = repeat("a", 199), *a200 = repeat("a", 200), *a198 = repeat("a", 198);
		char msg[600];

		snprintf(msg, sizeof(msg), "Subject: l\r\n\r\n%s   b\r\n", a199);
		CHECK_STR(preview(msg), a199);
		snprintf(msg, sizeof(msg), "Subject: l\r\n\r\n%s   b\r\n", a200);
		CHECK_STR(preview(msg), a200);
		snprintf(msg, sizeof(msg), "Subject: l\r\n\r\n%s   b\r\n", a198);
		snprintf(msg, sizeof(msg), "%s b", a198);
		{
			char m2[600];

			snprintf(m2, sizeof(m2), "Subject: l\r\n\r\n%s   b\r\n", a198);
			CHECK_STR(preview(m2), msg);
		}
		free(a199);
		free(a200);
		free(a198);
	}
	{
		/* 250 é: 200 characters, 400 bytes */
		char *e250 = repeat("\xc3\xa9", 250), *e200 = repeat("\xc3\xa9", 200);
		char *msg = malloc(strlen(e250) + 100);

		sprintf(msg, "Subject: l\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", e250);
		CHECK_STR(preview(msg), e200);
		free(msg);
		free(e250);
		free(e200);
		char *x300 = repeat("x", 300), *x200 = repeat("x", 200);

		msg = malloc(400);
		sprintf(msg, "Subject: lw\r\n\r\n%s\r\n", x300);
		CHECK_STR(preview(msg), x200);
		free(msg);
		free(x300);
		free(x200);
	}
	/* HTML. Dovecot: "TITLE Hello\u00a0 bold & <tag> ééA line2" (title
	 * kept, a space for every tag). */
	CHECK_STR(preview("Subject: h\r\nContent-Type: text/html\r\n\r\n"
			  "<html><head><title>TITLE</title><style>p {color:red}</style>"
			  "<script>var x=1;</script></head><body><p>Hello&nbsp;<b>bold</b>&amp; "
			  "&lt;tag&gt; &eacute;&#233;&#x41;</p><br>line2<blockquote>quoted html"
			  "</blockquote><!-- comment --></body></html>\r\n"),
		  "Hello\xc2\xa0" "bold& <tag> \xc3\xa9\xc3\xa9" "A line2");
	/* alternative: text/plain wins even when html comes first */
	CHECK_STR(preview("Subject: a\r\nContent-Type: multipart/alternative; boundary=EE\r\n\r\n"
			  "--EE\r\nContent-Type: text/html\r\n\r\n<p>htmlfirst</p>\r\n"
			  "--EE\r\nContent-Type: text/plain\r\n\r\nplainsecond\r\n--EE--\r\n"),
		  "plainsecond");
	CHECK_STR(preview("Subject: a\r\nContent-Type: multipart/alternative; boundary=BB\r\n\r\n"
			  "--BB\r\nContent-Type: text/plain\r\n\r\n\r\n"
			  "--BB\r\nContent-Type: text/html\r\n\r\n<p>htmlsecond</p>\r\n--BB--\r\n"),
		  "");
	/* but not in multipart/mixed */
	CHECK_STR(preview(MP("BB", "--BB\r\nContent-Type: text/html\r\n\r\n<p>htmlfirst</p>\r\n"
			       "--BB\r\nContent-Type: text/plain\r\n\r\nplainsecond\r\n--BB--\r\n")),
		  "htmlfirst");
	CHECK_STR(preview(MP("BB", "--BB\r\nContent-Type: text/calendar\r\n\r\ncalfirst\r\n"
			       "--BB\r\nContent-Type: text/plain\r\n\r\nplainsecond\r\n--BB--\r\n")),
		  "calfirst");
	CHECK_STR(preview("Subject: rh\r\nContent-Type: multipart/related; boundary=RR\r\n\r\n"
			  "--RR\r\nContent-Type: text/html\r\n\r\n<p>related html</p>\r\n"
			  "--RR\r\nContent-Type: image/png\r\n\r\nxx\r\n--RR--\r\n"),
		  "related html");
	CHECK_STR(preview("Subject: i\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64"
			  "\r\n\r\niVBORw0KGgo=\r\n"), "");
	CHECK_STR(preview(MP("BB", "--BB\r\nContent-Type: application/pdf\r\n\r\npdfdata\r\n"
			       "--BB\r\nContent-Type: text/plain\r\n\r\nsecond text part\r\n--BB--\r\n")),
		  "second text part");
	CHECK_STR(preview("Subject: b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\nR3L832UgIA0KDQogIGF1cyAgIEv2bG4=\r\n"),
		  "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
	/* nested messages do not give the preview */
	CHECK_STR(preview("Subject: n\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
			  "inner body text\r\n"), "");
	CHECK_STR(preview(MP("BB", "--BB\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
			       "inner text\r\n--BB--\r\n")), "");
	CHECK_STR(preview(MP("BB", "--BB\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
			       "inner text\r\n--BB\r\nContent-Type: text/plain\r\n\r\nouter after\r\n"
			       "--BB--\r\n")), "outer after");
	/* invalid UTF-8, controls (Dovecot keeps \x01 and DEL), NUL */
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
			  "bad\xff" "byte \xc3 x\r\n"),
		  "bad\xef\xbf\xbd" "byte \xef\xbf\xbd x");
	{
		static const char m[] = "Subject: z\r\n\r\nbefore\0after\x01" "ctl\x7f" "del\r\n";
		struct msg mm = { .data = m, .len = sizeof(m) - 1 };

		mail_text_free(&T);
		CHECK(build_msg(&mm, NULL, &T));
		CHECK_STR(s(&T.preview), "beforeafterctldel");
	}
	CHECK_STR(preview("Subject: z\r\n\r\n\r\n\r\n   \t  leading ws\r\n"), "leading ws");
	CHECK_STR(preview("Subject: s\r\n\r\n-- \r\nonly sig\r\n"), "-- only sig");
	CHECK_STR(preview("Subject: e\r\n\r\n"), "");
	CHECK_STR(preview(MP("BB", "--BB\r\nContent-Type: text/plain\r\nContent-Disposition: attachment;"
			       " filename=a.txt\r\n\r\nattached text\r\n--BB--\r\n")), "attached text");
	/* quotes */
	CHECK_STR(preview("Subject: q\r\n\r\nfirst line\r\n> quoted\r\nlast line\r\n"),
		  "first line last line");
	CHECK_STR(preview("Subject: g\r\n\r\n >not quote (space first)\r\nx>y\r\n"),
		  ">not quote (space first) x>y");
	CHECK_STR(preview("Subject: q\r\n\r\n> quoted first\r\nthen text\r\n> more quote\r\nend\r\n"),
		  "then text end");
	CHECK_STR(preview("Subject: q\r\n\r\n> only\r\n> quoted\r\n"), ">only quoted");
	CHECK_STR(preview("Subject: q\r\n\r\n> a\r\n>> b\r\n> c\r\n"), ">a > b c");
	CHECK_STR(preview("Subject: q\r\n\r\n>a\r\n>b\r\n"), ">a b");
	CHECK_STR(preview("Subject: q\r\n\r\n  > a\r\n> b\r\n"), "> a");
	CHECK_STR(preview("Subject: q\r\n\r\n> a\r\n\r\n   \r\n> b\r\n"), ">a b");
	CHECK_STR(preview("Subject: q\r\n\r\n>   \r\n> b  c\r\n"), ">b c");
	CHECK_STR(preview("Subject: q\r\n\r\n> x\r\n>\r\n"), ">x");
	CHECK_STR(preview("Subject: q\r\n\r\n\r\n> a\r\n"), ">a");
	CHECK_STR(preview("Subject: qc\r\n\r\n>\r\n>\r\nreal\r\n"), "real");
	CHECK_STR(preview("Subject: q\r\nContent-Type: text/html\r\n\r\n"
			  "<blockquote>only bq</blockquote>\r\n"), ">only bq");
	CHECK_STR(preview("Subject: q\r\nContent-Type: text/html\r\n\r\n<p>&gt; not quote</p>\r\n"),
		  ">not quote");
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/html\r\n\r\n"
			  "<blockquote>a<blockquote>b</blockquote>c</blockquote>d\r\n"), "d");
	/* encodings */
	CHECK_STR(preview("Subject: u\r\nContent-Transfer-Encoding: x-foo\r\n\r\nunk cte text\r\n"), "");
	CHECK_STR(preview("Subject: u\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
			  "soft=\r\nbreak =3D=C3=A9 bad=XY\r\n"),
		  "softbreak =\xc3\xa9 bad=XY");
	/* Dovecot: "Hel" (stops at the first invalid byte) */
	CHECK_STR(preview("Subject: u\r\nContent-Transfer-Encoding: base64\r\n\r\n"
			  "SGVs!bG8g*d29y\r\nbGQh\r\n"), "Hello world!");
	CHECK_STR(preview("Subject: u\r\n\r\nline1\rline2\nline3\r\n"), "line1 line2 line3");
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
			  "zero\xe2\x80\x8bwidth\xc2\xa0nbsp\xe2\x80\xa8ls\xe3\x80\x80ideo\r\n"),
		  "zero\xe2\x80\x8bwidth\xc2\xa0nbsp\xe2\x80\xa8ls\xe3\x80\x80ideo");
	CHECK_STR(preview("Subject: k\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n"
			  "\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2\r\n"), "Привет мир");
	CHECK_STR(preview("Subject: tc\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n"),
		  "BEGIN:VCALENDAR");
	/* Dovecot: "unknown charset caf" */
	CHECK_STR(preview("Subject: uc\r\nContent-Type: text/plain; charset=x-foo\r\n\r\n"
			  "unknown charset caf\xe9\r\n"), "unknown charset caf\xef\xbf\xbd");
	CHECK_STR(preview("Subject: f\r\nContent-Type: text/plain; format=flowed\r\n\r\n"
			  "flowed line \r\ncontinues\r\n"), "flowed line continues");
	/* more HTML */
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/html\r\n\r\n"
			  "<p>a</p><p>b</p>c<br/>d&nbsp;&nbsp;e<pre>  pre  text </pre><td>cell</td>"
			  "<td>cell2</td>\r\n"),
		  "a b c d\xc2\xa0\xc2\xa0" "e pre text cell cell2");
	/* Dovecot: "T B" */
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/html\r\n\r\n<!DOCTYPE html><html><head>"
			  "<meta charset=\"utf-8\"><title>T</title></head><body>B</body></html>\r\n"),
		  "B");
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/html\r\n\r\n<STYLE>x</STYLE>"
			  "<SCRIPT type=\"a\">y</SCRIPT><BLOCKQUOTE>z</BLOCKQUOTE>w\r\n"), "w");
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/html\r\n\r\n"
			  "<!-- a > b -->c<!--d--e-->f\r\n"), "cf");
	CHECK_STR(preview("Subject: u\r\nContent-Type: text/html\r\n\r\n"
			  "<script>if (a<b) x=\"</p>\";</script>after\r\n"), "after");
	/* Dovecot: "a’b "q" © unknownent; alt next para text in line x link" */
	CHECK_STR(preview("Subject: he\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
			  "<div>a&#8217;b &quot;q&quot; &copy; &unknownent; &#0; &#xD800; a&lt</div>"
			  "<div>next</div><p>para</p>text<span>in</span>line<img alt=\"ALT\">x"
			  "<a href=\"u\">link</a>\r\n"),
		  "a\xe2\x80\x99" "b \"q\" \xc2\xa9 &unknownent; \xef\xbf\xbd \xef\xbf\xbd a&lt next "
		  "para textinlinexlink");
	/* Dovecot: "cdata attr" */
	CHECK_STR(preview("Subject: hc\r\nContent-Type: text/html\r\n\r\n"
			  "<![CDATA[cdata]]> <p title=\"a>b\">attr</p> < notatag > <x\r\n"),
		  "attr < notatag >");
	CHECK_STR(preview("Subject: h\r\nContent-Type: text/html\r\n\r\n"
			  "<p class=x\"y>z</p>w <a b='>'>q</a> &#x1F600; &#128; &#99999999999;\r\n"),
		  "z w q \xf0\x9f\x98\x80 \xe2\x82\xac \xef\xbf\xbd");
	CHECK_STR(preview("Subject: h\r\nContent-Type: text/html\r\n\r\n<p>unterminated <b"), "unterminated");
	CHECK_STR(preview("Subject: h\r\nContent-Type: text/html\r\n\r\n<script>never closed"), "");
}

static void test_limits(void)
{
	/* body_max: the body is cut, flagged, and the preview still made */
	{
		struct mail_text_limits lim = { .field_max = 8, .header_max = 20, .body_max = 10 };
		static const char m[] = "Subject: a long subject line\r\nX: y\r\n\r\n"
					"Hello body text that is long\r\n";
		struct msg mm = { .data = m, .len = sizeof(m) - 1 };
		struct mail_text t;

		CHECK(build_msg(&mm, &lim, &t));
		CHECK_STR(s(&t.body), "hello body");
		CHECK(!t.body_complete);
		CHECK_STR(s(&t.subject), "a long s");
		CHECK(!t.header_complete);
		CHECK(t.header.len <= 20);
		CHECK_STR(s(&t.preview), "Hello body text that is long");
		mail_text_free(&t);
	}
	/* a second text part that no longer fits */
	{
		struct mail_text_limits lim = { .field_max = 100, .header_max = 1000, .body_max = 5 };
		static const char m[] = MP("B", "--B\r\n\r\nabcde\r\n--B\r\n\r\nfghij\r\n--B--\r\n");
		struct msg mm = { .data = m, .len = sizeof(m) - 1 };
		struct mail_text t;

		CHECK(build_msg(&mm, &lim, &t));
		CHECK_STR(s(&t.body), "abcde");
		CHECK(!t.body_complete);
		mail_text_free(&t);
	}
	/* read errors: false, and an empty text */
	{
		static const char m[] = "Subject: x\r\n\r\nbody\r\n";
		struct msg mm = { .data = m, .len = sizeof(m) - 1, .fail = true };
		struct mail_text t;

		CHECK(!build_msg(&mm, NULL, &t));
		CHECK_INT(t.body.len, 0);
		CHECK_INT(t.subject.len, 0);
		mail_text_free(&t);
	}
	/* a builder that is abandoned frees everything: the heap in use is
	 * what it was before (glibc's count; under ASan, LeakSanitizer too) */
	{
		struct mallinfo2 before = mallinfo2();
		struct arena *a = arena_create(1024);
		struct mail_text_builder *b = mail_text_builder_create(a, NULL);
		struct message_parser *p = message_parser_create(a);

		message_parser_set_header_callback(p, header_cb, b);
		message_parser_feed(p, "Subject: x\r\n\r\ny", 15);
		message_parser_finish(p);
		message_parser_destroy(&p);
		mail_text_builder_abort(b);
		arena_destroy(&a);
		struct mallinfo2 after = mallinfo2();
		CHECK_INT(after.uordblks + after.hblkhd, before.uordblks + before.hblkhd);
	}
}

static void test_hostile(void)
{
	struct mail_text t;

	/* 5 MB base64 on one line, reads in bounded chunks */
	{
		size_t n = 5 * 1024 * 1024;
		char *m = malloc(n + 200);
		struct msg mm;

		strcpy(m, "Subject: big\r\nContent-Transfer-Encoding: base64\r\n\r\n");
		size_t h = strlen(m);

		for (size_t i = 0; i < n; i++)
			m[h + i] = "QUJD"[i % 4];               /* "ABC" repeated */
		mm = (struct msg){ .data = m, .len = h + n };
		CHECK(build_msg(&mm, NULL, &t));
		CHECK(mm.max_read <= MAIL_TEXT_READ_CHUNK);
		CHECK_INT(t.body.len, MAIL_TEXT_BODY_MAX);
		CHECK(!t.body_complete);
		CHECK(strncmp(s(&t.body), "abcabc", 6) == 0);
		CHECK_INT(strlen(s(&t.preview)), 200);
		check_invariants(&t, "big base64");
		/* it stopped reading near the cap, not at the end */
		CHECK(mm.reads < 60);
		mail_text_free(&t);
		free(m);
	}
	/* 10,000+ parts */
	{
		struct buf m;
		struct msg mm;

		buf_init(&m, 64 * 1024 * 1024);
		buf_append_str(&m, "Subject: parts\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n");
		for (int i = 0; i < 12000; i++)
			buf_printf(&m, "--X\r\nContent-Type: text/plain; charset=x-%d\r\n\r\npart%d\r\n", i, i);
		buf_append_str(&m, "--X--\r\n");
		mm = (struct msg){ .data = m.data, .len = m.len };
		CHECK(build_msg(&mm, NULL, &t));
		CHECK(has(&t.body, "part0\npart1\npart2\n"));
		CHECK(has(&t.body, "part9998"));
		CHECK_STR(s(&t.preview), "part0");
		check_invariants(&t, "many parts");
		mail_text_free(&t);
		buf_free(&m);
	}
	/* deep nesting */
	{
		struct buf m;
		struct msg mm;

		buf_init(&m, 1024 * 1024);
		buf_append_str(&m, "Subject: deep\r\n");
		for (int i = 0; i < 300; i++)
			buf_printf(&m, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
		buf_append_str(&m, "\r\ndeepest text\r\n");
		mm = (struct msg){ .data = m.data, .len = m.len };
		CHECK(build_msg(&mm, NULL, &t));
		check_invariants(&t, "deep");
		mail_text_free(&t);
		buf_free(&m);
	}
	/* random bytes after a text header, and random HTML-ish soup */
	{
		char *m = malloc(300000);
		struct msg mm;
		const char soup[] = "<>&;#x/!-'\"= abpscriptstyle\r\n\xc3\xa9\xff\0";

		srand(11);
		for (int round = 0; round < 20; round++) {
			size_t h = (size_t)sprintf(m, "Subject: r\r\nContent-Type: text/%s; charset=%s\r\n"
					   "Content-Transfer-Encoding: %s\r\n\r\n",
					   round % 2 ? "html" : "plain",
					   round % 3 ? "utf-8" : "iso-2022-jp",
					   round % 4 == 0 ? "base64" : round % 4 == 1 ? "quoted-printable" : "8bit");

			for (size_t i = h; i < 300000; i++)
				m[i] = round % 2 ? soup[rand() % (sizeof(soup) - 1)] : (char)rand();
			mm = (struct msg){ .data = m, .len = 300000 };
			CHECK(build_msg(&mm, NULL, &t));
			check_invariants(&t, "random");
			mail_text_free(&t);
		}
		free(m);
	}
}

/* The real-mail corpora of tests/diff, fetched by scripts/fetch-corpora
 * (tests/run-all does before the unit tests) into build/corpora, relative
 * to the repository where the tests run; PETREL_CORPORA names another
 * place. Each must be there with at least as many files as fetch-corpora
 * itself insists on: a missing corpus is a failure, never a silent pass. */
#define CORPORA_DEFAULT "build/corpora"
#define CORPUS_DEPTH_MAX 4                    /* enmime's testdata is 2 deep */
#define CORPUS_FILE_MAX (16 * 1024 * 1024)    /* bigger than any corpus message */

static const struct {
	const char *name;
	unsigned int min_files;
} corpora[] = {
	{ "enmime", 90 },          /* deliberately broken MIME */
	{ "jwz-ham", 2403 },       /* mailing-list messages */
	{ "python-email", 40 },    /* Python's email package test messages */
};

/* Every file under dir (recursively): built, and the invariants hold.
 * Returns how many files were checked. */
static unsigned int corpus_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < CORPUS_DEPTH_MAX)
				n += corpus_dir(path, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_size > CORPUS_FILE_MAX)
			continue;
		if ((f = fopen(path, "rb")) == NULL) {
			unit_failed++;
			printf("FAIL open %s\n", path);
			continue;
		}
		char *data = malloc((size_t)st.st_size + 1);
		size_t len = fread(data, 1, (size_t)st.st_size, f);
		struct msg mm = { .data = data, .len = len };
		struct mail_text t;

		fclose(f);
		if (len == (size_t)st.st_size && build_msg(&mm, NULL, &t)) {
			check_invariants(&t, path);
		} else {
			unit_failed++;
			printf("FAIL read or build %s\n", path);
		}
		n++;
		mail_text_free(&t);
		free(data);
	}
	closedir(d);
	return n;
}

static void test_corpora(void)
{
	const char *root = getenv("PETREL_CORPORA");

	if (root == NULL || *root == '\0')
		root = CORPORA_DEFAULT;
	for (size_t i = 0; i < sizeof(corpora) / sizeof(corpora[0]); i++) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/%s", root, corpora[i].name);
		unsigned int n = corpus_dir(dir, 0);
		printf("corpus %s: %u messages\n", dir, n);
		if (n >= corpora[i].min_files) {
			unit_passed++;
		} else {
			unit_failed++;
			printf("FAIL corpus %s: %u files, want at least %u"
			       " (scripts/fetch-corpora fetches them)\n", dir, n, corpora[i].min_files);
		}
	}
}

int main(void)
{
	test_headers();
	test_body_parts();
	test_previews();
	test_limits();
	test_hostile();
	mail_text_free(&T);
	test_corpora();
	return unit_finish("mail-text");
}
