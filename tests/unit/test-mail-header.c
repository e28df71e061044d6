/* Header fields (iteration, unfolding, lookup) and MIME parameters:
 * Content-Type / Content-Disposition with the RFC 2231 examples (§3, §4,
 * §4.1), ordering, limits and malformed input. */
#include "core/arena.h"
#include "mail/header.h"
#include "unit.h"

static struct arena *A;

static const char *unfold(const char *v)
{
	static struct buf b;

	buf_free(&b);
	buf_init(&b, 4096);
	header_unfold(v, strlen(v), &b);
	return b.data != NULL ? b.data : "";
}

static struct mime_content_type ct(const char *v)
{
	struct mime_content_type r;

	mime_content_type_parse(A, v, strlen(v), &r);
	return r;
}

static const char *param(const char *v, const char *name)
{
	struct mime_content_type r = ct(v);
	const char *p = mime_param_get(&r.params, name);

	return p != NULL ? p : "(none)";
}

int main(void)
{
	A = arena_create(4096);

	/* Iteration: folding, bare LF, a line without a colon, the blank line. */
	static const char hdr[] =
		"From: a@example.org\r\n"
		"Subject: hello\r\n"
		"  world\r\n"
		"no colon here\r\n"
		"X-Bare: lf\n"
		"\tfolded\n"
		"Empty:\r\n"
		"Name With Space : v\r\n"
		"\r\n"
		"Body: not a header\r\n";
	struct header_iter it;
	struct header_field f;
	char name[64], value[64];
	int n = 0;

	header_iter_init(&it, hdr, sizeof(hdr) - 1);
	while (header_iter_next(&it, &f)) {
		snprintf(name, sizeof(name), "%.*s", (int)f.name_len, f.name);
		snprintf(value, sizeof(value), "%.*s", (int)f.value_len, f.value);
		switch (n++) {
		case 0: CHECK_STR(name, "From"); CHECK_STR(value, " a@example.org"); break;
		case 1: CHECK_STR(name, "Subject"); CHECK_STR(value, " hello\r\n  world");
			CHECK_STR(unfold(value), "hello  world"); break;
		case 2: CHECK_STR(name, "X-Bare"); CHECK_STR(value, " lf\n\tfolded");
			CHECK_STR(unfold(value), "lf\tfolded"); break;
		case 3: CHECK_STR(name, "Empty"); CHECK_STR(value, ""); break;
		case 4: CHECK_STR(name, "Name With Space"); CHECK_STR(value, " v"); break;
		}
	}
	CHECK_INT(n, 5);
	CHECK(header_find(hdr, sizeof(hdr) - 1, "SUBJECT", &f));
	CHECK_INT(f.value_len, 15);
	CHECK(!header_find(hdr, sizeof(hdr) - 1, "Body", &f));
	CHECK(!header_find(hdr, sizeof(hdr) - 1, "Subjec", &f));
	/* A block without a final line break still yields its last field. */
	CHECK(header_find("A: 1\r\nB: 2", 10, "b", &f));
	CHECK_INT(f.value_len, 2);

	/* Content-Type basics (RFC 2045 §5.1) */
	struct mime_content_type r = ct(" Text/HTML ; Charset=\"UTF-8\" ; format=flowed");
	CHECK_STR(r.type, "text");
	CHECK_STR(r.subtype, "html");
	CHECK_INT(r.params.count, 2);
	CHECK_STR(r.params.params[0].name, "charset");
	CHECK_STR(r.params.params[0].value, "UTF-8");
	CHECK_STR(r.params.params[1].value, "flowed");
	r = ct("multipart/mixed;\r\n\tboundary=\"----=_Part_0_1\"");
	CHECK_STR(r.subtype, "mixed");
	CHECK_STR(mime_param_get(&r.params, "boundary"), "----=_Part_0_1");
	/* Unquoted values are RFC 2045 tokens: '=' and '(' end them, as
	 * Dovecot reads them (a message split by both alike); a value that
	 * starts with '=' runs to ';' or whitespace. */
	CHECK_STR(param("multipart/mixed; boundary=----=_NextPart_000", "boundary"), "----");
	CHECK_STR(param("multipart/mixed; boundary=b0(c)", "boundary"), "b0");
	CHECK_STR(param("multipart/mixed; boundary==_x=y; a=b", "boundary"), "=_x=y");
	CHECK_STR(param("multipart/mixed junk; boundary=x", "boundary"), "(none)");
	CHECK_STR(param("text/plain (a comment) ; (c) charset = (x) us-ascii (y)", "charset"), "us-ascii");
	CHECK_STR(param("text/plain; name=\"a \\\"q\\\" b\"", "name"), "a \"q\" b");
	CHECK_STR(param("text/plain; a=1;; b=2", "b"), "2");
	CHECK_STR(param("text/plain; junk; b=2", "b"), "2");
	CHECK_STR(param("text/plain; a=1; a=2", "a"), "1");
	/* Invalid or missing type: text/plain (RFC 2045 §5.2). */
	r = ct("text");
	CHECK_STR(r.type, "text");
	CHECK_STR(r.subtype, "plain");
	r = ct("/html; charset=x");
	CHECK_STR(r.subtype, "plain");
	CHECK_INT(r.params.count, 0);
	r = ct("");
	CHECK_STR(r.type, "text");
	r = ct("(unterminated comment");
	CHECK_STR(r.subtype, "plain");
	r = ct("image/png; name=\"unterminated");
	CHECK_STR(mime_param_get(&r.params, "name"), "unterminated");

	/* RFC 2231 §3: continuations */
	CHECK_STR(param("message/external-body; access-type=URL;\r\n"
			"  URL*0=\"ftp://\";\r\n"
			"  URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"", "url"),
		  "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
	/* RFC 2231 §4: charset and language */
	r = ct("application/x-stuff;\r\n"
	       "  title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
	CHECK_STR(mime_param_get(&r.params, "title"), "This is ***fun***");
	CHECK_STR(r.params.params[0].language, "en-us");
	/* RFC 2231 §4.1: both, mixed encoded and plain sections */
	r = ct("application/x-stuff;\r\n"
	       "  title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
	       "  title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
	       "  title*2=\"isn't it!\"");
	CHECK_STR(mime_param_get(&r.params, "title"), "This is even more ***fun*** isn't it!");
	CHECK_STR(r.params.params[0].language, "en");
	CHECK_INT(r.params.count, 1);
	/* Sections out of order are put in order; a gap ends the value. */
	CHECK_STR(param("a/b; n*2=c; n*0=a; n*1=b", "n"), "abc");
	CHECK_STR(param("a/b; n*0=a; n*2=c", "n"), "a");
	/* Leading zeros are not section numbers (§3). */
	CHECK_STR(param("a/b; n*0=a; n*01=x", "n"), "a");
	/* Charset conversion to UTF-8 through iconv. */
	CHECK_STR(param("a/b; name*=iso-8859-1''caf%E9.txt", "name"), "caf\xC3\xA9.txt");
	CHECK_STR(param("a/b; name*=utf-8''%E2%82%AC", "name"), "\xE2\x82\xAC");
	CHECK_STR(param("a/b; name*=''plain%20text", "name"), "plain text");
	/* Unknown charset: the raw bytes. */
	CHECK_STR(param("a/b; name*=x-nonesuch''%41%E9", "name"), "A\xE9");
	/* RFC 2231 wins over a plain parameter of the same name. */
	CHECK_STR(param("a/b; name=\"old.txt\"; name*=utf-8''new.txt", "name"), "new.txt");
	CHECK_STR(param("a/b; name*=utf-8''new.txt; name=\"old.txt\"", "name"), "new.txt");
	/* Invalid sections past the limit are dropped. */
	CHECK_STR(param("a/b; n*0=a; n*100=z", "n"), "a");
	/* Only section 1: kept as written rather than lost. */
	CHECK_STR(param("a/b; n*1=b", "n"), "b");

	/* Parameter count limit */
	char many[8192];
	size_t len = (size_t)snprintf(many, sizeof(many), "text/plain");

	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "; p%d=%d", i, i);
	r = ct(many);
	CHECK_INT(r.params.count, MIME_PARAMS_MAX);
	CHECK_STR(mime_param_get(&r.params, "p63"), "63");
	CHECK(mime_param_get(&r.params, "p64") == NULL);

	/* Content-Disposition (RFC 2183) */
	struct mime_disposition d;
	const char *dv = "Attachment; filename*0*=UTF-8''na%C3%AF; filename*1=ve.txt; size=5";

	mime_disposition_parse(A, dv, strlen(dv), &d);
	CHECK_STR(d.type, "attachment");
	CHECK_STR(mime_param_get(&d.params, "filename"), "na\xC3\xAFve.txt");
	CHECK_STR(mime_param_get(&d.params, "size"), "5");
	mime_disposition_parse(A, "", 0, &d);
	CHECK(d.type == NULL);

	unfold("");
	arena_destroy(&A);
	return unit_finish("mail-header");
}
