/* Base64 (RFC 4648): the §10 test vectors both ways, and the strictness the
 * SASL layer relies on (no whitespace, padding only at the end, canonical). */
#include <stdbool.h>

#include "core/base64.h"
#include "unit.h"

static const char *encode(const char *in, struct buf *b)
{
	buf_clear(b);
	if (!base64_encode(in, strlen(in), b))
		return "(failed)";
	return b->data != NULL ? b->data : "";
}

static const char *decode(const char *in, struct buf *b)
{
	buf_clear(b);
	if (!base64_decode(in, strlen(in), b))
		return "(failed)";
	return b->data != NULL ? b->data : "";
}

static bool rejects(const char *in)
{
	struct buf b;

	buf_init(&b, 1024);
	bool ok = base64_decode(in, strlen(in), &b);

	buf_free(&b);
	return !ok;
}

int main(void)
{
	/* RFC 4648 §10 */
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	struct buf b;

	buf_init(&b, 1024);
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		CHECK_STR(encode(vec[i][0], &b), vec[i][1]);
		CHECK_STR(decode(vec[i][1], &b), vec[i][0]);
	}

	/* All 256 byte values, including NUL, round-trip. */
	unsigned char all[256];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	struct buf enc, dec;

	buf_init(&enc, 1024);
	buf_init(&dec, 1024);
	CHECK(base64_encode(all, sizeof(all), &enc));
	CHECK_INT(enc.len, 344);
	CHECK(base64_decode(enc.data, enc.len, &dec));
	CHECK_INT(dec.len, 256);
	CHECK(dec.len == 256 && memcmp(dec.data, all, 256) == 0);
	CHECK_STR(encode("\xff\xfe", &b), "//4=");
	CHECK_STR(decode("+/+/", &b), "\xfb\xff\xbf");

	/* Strict rejections */
	CHECK(rejects("Zg"));          /* missing padding */
	CHECK(rejects("Zg="));         /* length not a multiple of 4 */
	CHECK(rejects("Zg==="));
	CHECK(rejects("Z==="));        /* only two '=' allowed */
	CHECK(rejects("===="));
	CHECK(rejects("Zg==Zm8="));    /* padding in the middle */
	CHECK(rejects("Zm=v"));        /* data after padding */
	CHECK(rejects("Zm9v\n"));      /* whitespace */
	CHECK(rejects("Zm9 v"));
	CHECK(rejects(" Zm9v"));
	CHECK(rejects("Zm9v\r\n"));
	CHECK(rejects("Zm-v"));        /* base64url alphabet */
	CHECK(rejects("Zm_v"));
	CHECK(rejects("Zh=="));        /* non-zero pad bits (RFC 4648 §3.5) */
	CHECK(rejects("Zm9="));
	CHECK(!rejects("Zm8="));
	CHECK(rejects("Zm9\x80"));
	CHECK(!base64_decode("Zm\0v", 4, &b));   /* NUL inside */

	/* The output limit is enforced. */
	struct buf small;

	buf_init(&small, 3);
	CHECK(!base64_encode("foo", 3, &small));
	CHECK(small.overflow);
	buf_clear(&small);
	CHECK(base64_decode("Zm9v", 4, &small));
	CHECK(!base64_decode("Zm9vYg==", 8, &small));
	buf_free(&small);

	buf_free(&b);
	buf_free(&enc);
	buf_free(&dec);
	return unit_finish("base64");
}
