/* Content-Transfer-Encoding: the field (RFC 2045 §6.1), base64 (RFC 2045
 * §6.8 with the RFC 4648 §10 vectors), quoted-printable (RFC 2045 §6.7 and
 * its soft-break example), the cases Dovecot 2.3.19 accepts or refuses
 * for FETCH BINARY, chunking equivalence (whole, byte by byte, random
 * chunks, count only), output limits and hostile input. */
#include <stdlib.h>

#include "core/base64.h"
#include "mail/transfer-decode.h"
#include "unit.h"

struct result {
	char data[4096];
	size_t len;
	uint64_t size;
	enum transfer_decode_result res;
};

/* Decodes in[0..len) fed in chunks of `chunk` bytes (0: whole). */
static void decode_chunked(enum mail_cte cte, const char *in, size_t len, size_t chunk,
			   struct result *r)
{
	struct transfer_decoder dec;
	struct buf out;

	buf_init(&out, sizeof(r->data) - 1);
	transfer_decoder_init(&dec, cte);
	if (chunk == 0)
		chunk = len > 0 ? len : 1;
	for (size_t i = 0; i < len; i += chunk)
		transfer_decoder_feed(&dec, in + i, len - i < chunk ? len - i : chunk, &out);
	r->res = transfer_decoder_finish(&dec, &out);
	transfer_decoder_deinit(&dec);
	r->len = out.len;
	if (out.len > 0)
		memcpy(r->data, out.data, out.len);
	r->data[r->len] = '\0';
	r->size = dec.size;
	buf_free(&out);
}

static uint64_t count_only(enum mail_cte cte, const char *in, size_t len)
{
	struct transfer_decoder dec;

	transfer_decoder_init(&dec, cte);
	transfer_decoder_feed(&dec, in, len, NULL);
	transfer_decoder_finish(&dec, NULL);
	return dec.size;
}

/* Checks one case: the exact output and result, the same whatever the
 * chunking, and the count-only size. */
static void check_decode(int line, enum mail_cte cte, const char *in, size_t in_len,
			 const char *want, size_t want_len, enum transfer_decode_result want_res)
{
	struct result whole, r;
	bool same = true;

	decode_chunked(cte, in, in_len, 0, &whole);
	if (whole.len != want_len || memcmp(whole.data, want, want_len) != 0 ||
	    whole.res != want_res || whole.size != want_len) {
		unit_failed++;
		printf("FAIL line %d: got \"%s\" (%zu bytes, result %d, size %llu) want \"%s\" "
		       "(%zu bytes, result %d)\n", line, whole.data, whole.len, whole.res,
		       (unsigned long long)whole.size, want, want_len, want_res);
	} else {
		unit_passed++;
	}
	for (size_t chunk = 1; chunk <= 7; chunk++) {
		decode_chunked(cte, in, in_len, chunk, &r);
		if (r.len != whole.len || memcmp(r.data, whole.data, r.len) != 0 || r.res != whole.res)
			same = false;
	}
	if (same && count_only(cte, in, in_len) == whole.size) {
		unit_passed++;
	} else {
		unit_failed++;
		printf("FAIL line %d: chunking or counting changed the result\n", line);
	}
}

#define DEC(cte, in, want, res) \
	check_decode(__LINE__, cte, in, sizeof(in) - 1, want, sizeof(want) - 1, res)
#define B64(in, want, res) DEC(MAIL_CTE_BASE64, in, want, res)
#define QP(in, want, res) DEC(MAIL_CTE_QP, in, want, res)
#define OK TRANSFER_DECODE_OK
#define BAD TRANSFER_DECODE_INVALID

static enum mail_cte cte(const char *v)
{
	return mail_cte_parse(v, strlen(v));
}

/* Random chunks of random input decode the same as the whole. */
static void check_random_chunking(enum mail_cte c, unsigned int seed)
{
	static char in[20000];
	static struct result whole, part;
	struct transfer_decoder dec;
	struct buf out;
	const char alphabet[] = "AZaz09+/= \t\r\n=3D=\r\n!X";

	srand(seed);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (rand() % 4 == 0) ? (char)(rand() % 256) : alphabet[rand() % (sizeof(alphabet) - 1)];
	decode_chunked(c, in, 3000, 0, &whole);
	buf_init(&out, sizeof(part.data) - 1);
	transfer_decoder_init(&dec, c);
	for (size_t i = 0; i < 3000;) {
		size_t n = (size_t)(rand() % 17);

		if (n > 3000 - i)
			n = 3000 - i;
		transfer_decoder_feed(&dec, in + i, n, &out);
		i += n;
	}
	part.res = transfer_decoder_finish(&dec, &out);
	CHECK(out.len == whole.len && memcmp(out.data, whole.data, out.len) == 0);
	CHECK_INT(part.res, whole.res);
	CHECK_INT(dec.size, whole.size);
	buf_free(&out);
}

int main(void)
{
	/* The field: RFC 2045 §6.1 tokens, case-insensitive, CFWS around. */
	CHECK_INT(cte("7bit"), MAIL_CTE_7BIT);
	CHECK_INT(cte("8BIT"), MAIL_CTE_8BIT);
	CHECK_INT(cte("Binary"), MAIL_CTE_BINARY);
	CHECK_INT(cte("quoted-printable"), MAIL_CTE_QP);
	CHECK_INT(cte("Quoted-Printable "), MAIL_CTE_QP);
	CHECK_INT(cte(" (comment) BASE64 (x)"), MAIL_CTE_BASE64);
	CHECK_INT(cte("7bit (c (nested) c)"), MAIL_CTE_7BIT);
	CHECK_INT(cte("(c)7bit"), MAIL_CTE_7BIT);
	CHECK_INT(cte("base64(c)"), MAIL_CTE_BASE64);
	CHECK_INT(cte("base64;"), MAIL_CTE_BASE64);
	CHECK_INT(cte("base64\r\n (folded comment)"), MAIL_CTE_BASE64);
	CHECK_INT(cte("(a \\) b) base64"), MAIL_CTE_BASE64);
	/* What Dovecot answers [UNKNOWN-CTE] for */
	CHECK_INT(cte("base64 junk"), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("\"base64\""), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte(""), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("  "), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("x-uuencode"), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("7-bit"), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("base 64"), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("base64x"), MAIL_CTE_UNKNOWN);
	CHECK_INT(cte("(unterminated base64"), MAIL_CTE_UNKNOWN);
	CHECK_INT(mail_cte_parse("base64\0", 7), MAIL_CTE_UNKNOWN);
	CHECK_INT(mail_cte_parse("base64xyz", 6), MAIL_CTE_BASE64);
	CHECK_INT(mail_cte_from_header("Subject: x\r\n\r\n", 14), MAIL_CTE_7BIT);
	CHECK_INT(mail_cte_from_header("", 0), MAIL_CTE_7BIT);
	{
		static const char h[] = "Content-Transfer-Encoding: base64\r\n"
					"content-transfer-encoding: 7bit\r\n\r\n";

		/* the last field wins, as in Dovecot */
		CHECK_INT(mail_cte_from_header(h, sizeof(h) - 1), MAIL_CTE_7BIT);
	}

	/* RFC 4648 §10 test vectors */
	B64("", "", OK);
	B64("Zg==", "f", OK);
	B64("Zm8=", "fo", OK);
	B64("Zm9v", "foo", OK);
	B64("Zm9vYg==", "foob", OK);
	B64("Zm9vYmE=", "fooba", OK);
	B64("Zm9vYmFy", "foobar", OK);
	/* RFC 2045 §6.8: line breaks and whitespace are ignored; accepted
	 * by Dovecot too */
	B64("SGVsbG8g\r\nd29ybGQh\r\n", "Hello world!", OK);
	B64("S G k =\r\n", "Hi", OK);
	B64("SG\tk=\r\n", "Hi", OK);
	B64("SGk\r\n=\r\n", "Hi", OK);
	B64("SGk=\r\n\r\n\r\n \r\n", "Hi", OK);
	B64("\r\n", "", OK);
	B64("SQ==", "I", OK);
	B64("SR==", "I", OK);          /* non-zero pad bits: Dovecot accepts */
	B64("/+/+", "\xff\xef\xfe", OK);
	/* Invalid for Dovecot (NO [PARSE]); decoded leniently here */
	B64("SGVs!bG8g*d29y\r\nbGQh\r\n", "Hello world!", BAD);
	B64("SGk==", "Hi", BAD);
	B64("SGk=X", "Hi", BAD);
	B64("SGkh\r\n--\r\n", "Hi!", BAD);
	DEC(MAIL_CTE_BASE64, "SGkh\0", "Hi!", BAD);
	B64("SGkh\xc3\xa9", "Hi!", BAD);
	B64("=SGk=", "Hi", BAD);
	B64("S===", "", BAD);
	B64("SGkh=\r\n", "Hi!", BAD);
	B64("SG=k", "H", BAD);
	/* data after the padding: concatenated runs are all decoded */
	B64("SGk=SGk=", "HiHi", BAD);
	/* missing padding: whole bytes kept; Dovecot disconnects here */
	B64("SGk", "Hi", BAD);
	B64("SGVsbG8gd29ybGQ", "Hello world", BAD);
	B64("SGkhS", "Hi!", BAD);
	B64("SG=", "H", BAD);

	/* RFC 2045 §6.7 (5): the soft line break example */
	QP("Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.",
	   "Now's the time for all folk to come to the aid of their country.", OK);
	/* §6.7 (1), (3), (4) and what Dovecot accepts */
	QP("=3D=3d=C3=9f=c3=9F", "==\xc3\x9f\xc3\x9f", OK);
	QP("=0D=0A", "\r\n", OK);
	QP("end=\r\n", "end", OK);
	QP("soft= \r\nx", "softx", OK);
	QP("soft=\t\r\nx", "softx", OK);
	QP("a=\nb", "ab", OK);
	QP("x= \t \ny", "xy", OK);
	QP("=\r\n=\r\n", "", OK);
	QP("trail  \r\nx", "trail\r\nx", OK);
	QP("trail  ", "trail", OK);
	QP("tab\t\r\nx\t", "tab\r\nx", OK);
	QP("x\ny", "x\r\ny", OK);       /* a hard break is CRLF in canonical form */
	QP("x \ny", "x\r\ny", OK);
	QP("a\r\n\r\n", "a\r\n\r\n", OK);
	QP("a  b", "a  b", OK);
	QP("a\x80" "b", "a\x80" "b", OK);
	DEC(MAIL_CTE_QP, "a\0b", "a\0b", OK);
	/* a soft break that ends the part (petrel accepts; see the header) */
	QP("end=", "end", OK);
	QP("end= ", "end", OK);
	/* invalid: kept as written */
	QP("=XY", "=XY", BAD);
	QP("a=4 b", "a=4 b", BAD);
	QP("a=4", "a=4", BAD);
	QP("a = b", "a = b", BAD);
	QP("x=  y", "x=  y", BAD);
	QP("==41", "=A", BAD);
	QP("=G0", "=G0", BAD);
	QP("bare\rcr", "bare\rcr", BAD);
	QP("x\r", "x\r", BAD);
	QP("a \r b", "a \r b", BAD);
	QP("x=\ry", "x=\ry", BAD);
	QP("x=\r", "x", BAD);
	/* trailing whitespace past TRANSFER_QP_WS_MAX is data, the same for
	 * every chunking */
	{
		char in[300], want[300];

		memset(in, ' ', 200);
		memcpy(in + 200, "\r\nx", 3);
		memset(want, ' ', TRANSFER_QP_WS_MAX);
		memcpy(want + TRANSFER_QP_WS_MAX, "\r\nx", 3);
		check_decode(__LINE__, MAIL_CTE_QP, in, 203, want, TRANSFER_QP_WS_MAX + 3, OK);
		in[0] = '=';
		/* "=" + 199 spaces + CRLF: a soft break until the run is too
		 * long to be padding, then text */
		want[0] = '=';
		memset(want + 1, ' ', TRANSFER_QP_WS_MAX);
		memcpy(want + 1 + TRANSFER_QP_WS_MAX, "\r\nx", 3);
		check_decode(__LINE__, MAIL_CTE_QP, in, 203, want, TRANSFER_QP_WS_MAX + 4, BAD);
	}

	/* identity encodings and unknown ones pass through */
	DEC(MAIL_CTE_7BIT, "a=3D\r\n", "a=3D\r\n", OK);
	DEC(MAIL_CTE_8BIT, "\xc3\xa9", "\xc3\xa9", OK);
	DEC(MAIL_CTE_BINARY, "a\0b", "a\0b", OK);
	DEC(MAIL_CTE_UNKNOWN, "begin 644 x", "begin 644 x", TRANSFER_DECODE_UNKNOWN_CTE);

	/* A full buffer keeps an exact prefix and counting goes on. */
	{
		struct transfer_decoder dec;
		struct buf out;

		buf_init(&out, 5);
		transfer_decoder_init(&dec, MAIL_CTE_BASE64);
		transfer_decoder_feed(&dec, "Zm9vYmFy", 8, &out);
		CHECK_INT(transfer_decoder_finish(&dec, &out), OK);
		CHECK_STR(out.data, "fooba");
		CHECK(out.overflow);
		CHECK_INT(dec.size, 6);
		buf_free(&out);

		buf_init(&out, 3);
		transfer_decoder_init(&dec, MAIL_CTE_8BIT);
		transfer_decoder_feed(&dec, "abcdef", 6, &out);
		transfer_decoder_feed(&dec, "gh", 2, &out);
		transfer_decoder_finish(&dec, &out);
		CHECK_STR(out.data, "abc");
		CHECK(out.overflow);
		CHECK_INT(dec.size, 8);
		buf_free(&out);
	}

	/* 1 MiB of random bytes through base64 with 76-byte lines, fed in odd
	 * chunks: the same bytes back. */
	{
		size_t n = 1024 * 1024;
		unsigned char *data = malloc(n);
		struct buf enc, lines, out;
		struct transfer_decoder dec;

		srand(7);
		for (size_t i = 0; i < n; i++)
			data[i] = (unsigned char)rand();
		buf_init(&enc, 2 * n);
		buf_init(&lines, 2 * n);
		buf_init(&out, n);
		base64_encode(data, n, &enc);
		for (size_t i = 0; i < enc.len; i += 76) {
			buf_append(&lines, enc.data + i, enc.len - i < 76 ? enc.len - i : 76);
			buf_append(&lines, "\r\n", 2);
		}
		transfer_decoder_init(&dec, MAIL_CTE_BASE64);
		for (size_t i = 0; i < lines.len; i += 4093)
			transfer_decoder_feed(&dec, lines.data + i,
					      lines.len - i < 4093 ? lines.len - i : 4093, &out);
		CHECK_INT(transfer_decoder_finish(&dec, &out), OK);
		CHECK(out.len == n && memcmp(out.data, data, n) == 0);
		CHECK(!out.overflow);
		/* a single 1.4 MB line counts the same */
		CHECK_INT(count_only(MAIL_CTE_BASE64, enc.data, enc.len), n);
		free(data);
		buf_free(&enc);
		buf_free(&lines);
		buf_free(&out);
	}

	/* Random input, random chunk sizes: identical output. */
	for (unsigned int seed = 1; seed <= 100; seed++) {
		check_random_chunking(MAIL_CTE_QP, seed);
		check_random_chunking(MAIL_CTE_BASE64, seed);
	}
	return unit_finish("mail-transfer");
}
