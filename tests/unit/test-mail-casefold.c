/* Search folding: full case folding ("STRASSE" = "straße"), NFKD,
 * canonical order of marks, ignorables, CRLF, invalid UTF-8 as U+FFFD,
 * the output limit at character boundaries, and substring tests that
 * follow from keeping combining marks. */
#include <stdlib.h>

#include "core/utf8.h"
#include "mail/casefold.h"
#include "unit.h"

static const char *fold_n(const char *s, size_t len)
{
	static struct buf b;

	buf_free(&b);
	buf_init(&b, 1 << 20);
	casefold_utf8(s, len, &b);
	return b.data != NULL ? b.data : "";
}

static const char *fold(const char *s)
{
	return fold_n(s, strlen(s));
}

/* Whether two strings fold alike. */
static bool same(const char *a, const char *b)
{
	struct buf x, y;
	bool eq;

	buf_init(&x, 4096);
	buf_init(&y, 4096);
	casefold_utf8(a, strlen(a), &x);
	casefold_utf8(b, strlen(b), &y);
	eq = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	buf_free(&x);
	buf_free(&y);
	return eq;
}

/* Whether key is found in text once both are folded. */
static bool found(const char *text, const char *key)
{
	struct buf t, k;
	bool r;

	buf_init(&t, 4096);
	buf_init(&k, 4096);
	casefold_utf8(text, strlen(text), &t);
	casefold_utf8(key, strlen(key), &k);
	r = casefold_contains(t.data != NULL ? t.data : "", t.len, k.data != NULL ? k.data : "",
			      k.len);
	buf_free(&t);
	buf_free(&k);
	return r;
}

int main(void)
{
	/* ASCII */
	CHECK_STR(fold("Hello, WORLD 123 @[]`{}"), "hello, world 123 @[]`{}");
	CHECK_STR(fold(""), "");

	/* Full case folding: ß and ẞ are "ss" */
	CHECK_STR(fold("STRASSE"), "strasse");
	CHECK_STR(fold("straße"), "strasse");
	CHECK_STR(fold("STRA\xe1\xba\x9e" "E"), "strasse");
	CHECK(same("STRASSE", "straße"));
	CHECK(same("Grüße", "GRÜSSE"));
	CHECK(found("Grüße aus München", "GRÜSSE"));
	/* Greek final sigma, Turkish dotted I, dotless i */
	CHECK_STR(fold("ΣΑΣ"), "σασ");
	CHECK(same("ΣΑΣ", "σας"));
	CHECK_STR(fold("\xc4\xb0stanbul"), "i\xcc\x87stanbul");    /* İ = i + U+0307 */
	CHECK_STR(fold("\xc4\xb1"), "\xc4\xb1");                      /* ı stays */
	CHECK(!same("ı", "I"));
	/* Cyrillic, titlecase digraph, Cherokee, Deseret (4-byte) */
	CHECK(same("ПРИВЕТ МИР", "привет мир"));
	CHECK_STR(fold("\xc7\x85"), "dz\xcc\x8c");                   /* ǅ */
	CHECK(same("\xc7\x84", "d\xc5\xbe"));                         /* Ǆ = dž */
	CHECK_STR(fold("\xf0\x90\x90\x80"), "\xf0\x90\x90\xa8");     /* 𐐀 → 𐐨 */

	/* Compatibility decomposition */
	CHECK_STR(fold("\xef\xac\x81le"), "file");                   /* ﬁle */
	CHECK_STR(fold("\xe2\x85\xab"), "xii");                      /* Ⅻ */
	CHECK_STR(fold("\xe3\x8e\x92"), "mhz");                      /* ㎒ */
	CHECK_STR(fold("\xef\xbc\xa1\xef\xbd\x82"), "ab");           /* fullwidth Ａｂ */
	CHECK_STR(fold("x\xc2\xb2"), "x2");                           /* x² */
	CHECK_STR(fold("a\xc2\xa0" "b"), "a b");                      /* NBSP */
	CHECK_STR(fold("\xea\xb0\x80"), "\xe1\x84\x80\xe1\x85\xa1"); /* 가 → jamo */
	CHECK(strlen(fold("\xef\xb7\xba")) > 18);                     /* U+FDFA: 18 code points */

	/* Decomposition: composed and decomposed forms fold alike; marks
	 * are kept and put in canonical order. */
	CHECK_STR(fold("\xc3\xa9"), "e\xcc\x81");
	CHECK_STR(fold("\xc3\x89"), "e\xcc\x81");
	CHECK(same("résumé", "re\xcc\x81sume\xcc\x81"));
	CHECK(same("e\xcc\x81\xcc\xa3", "e\xcc\xa3\xcc\x81"));       /* ccc 230, 220 */
	CHECK_STR(fold("e\xcc\x81\xcc\xa3"), "e\xcc\xa3\xcc\x81");
	CHECK(same("\xe1\xbb\x87", "e\xcc\xa3\xcc\x82"));            /* ệ */
	CHECK(found("un café crème", "CAFÉ"));
	CHECK(!found("résumé", "resume"));
	CHECK(found("résumé", "RE\xcc\x81SUME\xcc\x81"));
	/* As with RFC 5051's decomposition (and Dovecot): a base letter is a
	 * prefix of base + mark. */
	CHECK(found("café", "cafe"));
	/* a run of marks longer than CASEFOLD_MARKS_MAX: nothing lost */
	{
		char in[1 + 2 * 100];
		const char *r;

		in[0] = 'a';
		for (int i = 0; i < 100; i++)
			memcpy(in + 1 + 2 * i, "\xcc\x81", 2);
		r = fold_n(in, sizeof(in));
		CHECK_INT(strlen(r), sizeof(in));
		CHECK(utf8_valid(r, strlen(r)));
	}

	/* The staging buffer (1024 bytes) filled to its last byte by 4-byte
	 * characters, then an ASCII byte: found by fuzz-summary seeded with
	 * real mail (UBSan: index 1024 out of bounds; the byte overwrote the
	 * count of pending marks). */
	for (int k = 255; k <= 257; k++) {
		char in[4 * 257 + 8], want[4 * 257 + 8];
		size_t n = 0;

		for (int i = 0; i < k; i++) {
			memcpy(in + n, "\xf0\x90\x90\x80", 4);             /* 𐐀 */
			memcpy(want + n, "\xf0\x90\x90\xa8", 4);           /* 𐐨 */
			n += 4;
		}
		memcpy(in + n, "AB\xcc\x81", 4);
		memcpy(want + n, "ab\xcc\x81", 4);
		CHECK_INT(strlen(fold_n(in, n + 4)), n + 4);
		CHECK(memcmp(fold_n(in, n + 4), want, n + 4) == 0);
	}

	/* Default ignorables vanish: soft hyphen, ZWSP, ZWJ, LRM, BOM */
	CHECK_STR(fold("soft\xc2\xad" "hyphen"), "softhyphen");
	CHECK_STR(fold("zero\xe2\x80\x8bwidth"), "zerowidth");
	CHECK_STR(fold("a\xe2\x80\x8d" "b\xe2\x80\x8e" "c\xef\xbb\xbf"), "abc");
	CHECK(found("invisible soft\xc2\xad" "hyphen", "softhyphen"));

	/* Line endings: CRLF is LF, a bare CR stays; controls stay */
	CHECK_STR(fold("a\r\nb\rc\nd"), "a\nb\rc\nd");
	CHECK(found("hello\r\n world", "hello\n world"));
	CHECK(found("hello\n world", "HELLO\r\n WORLD"));
	CHECK_STR(fold("\t\x01\x7f"), "\t\x01\x7f");

	/* Invalid UTF-8 and NUL: one U+FFFD per bad byte */
#define FFFD "\xef\xbf\xbd"
	CHECK_STR(fold("a\xff" "b"), "a" FFFD "b");
	CHECK_STR(fold("bad\xff\xfeutf8"), "bad" FFFD FFFD "utf8");
	CHECK_STR(fold("\xc3"), FFFD);
	CHECK_STR(fold("\xe2\x82"), FFFD FFFD);
	CHECK_STR(fold("\xc0\xaf"), FFFD FFFD);                     /* overlong '/' */
	CHECK_STR(fold("\xed\xa0\x80"), FFFD FFFD FFFD);            /* surrogate */
	CHECK_STR(fold("\xf4\x90\x80\x80"), FFFD FFFD FFFD FFFD);   /* > U+10FFFF */
	CHECK_STR(fold("\xc3" "A"), FFFD "a");
	CHECK_STR(fold_n("a\0B", 3), "a" FFFD "b");
	CHECK_STR(fold(FFFD), FFFD);
	CHECK(found("before\xff" "after", "before" FFFD "after"));

	/* The limit: output ends on a character boundary. */
	{
		struct buf b;

		buf_init(&b, 5);
		/* ÀÀÀ → a + U+0300 each; the cut falls between code points */
		casefold_utf8("\xc3\x80\xc3\x80\xc3\x80", 6, &b);
		CHECK_STR(b.data, "a\xcc\x80" "a");
		CHECK(b.overflow);
		buf_free(&b);

		buf_init(&b, 6);
		casefold_utf8("\xc3\x80\xc3\x80\xc3\x80", 6, &b);
		CHECK_STR(b.data, "a\xcc\x80" "a\xcc\x80");
		CHECK(b.overflow);
		buf_free(&b);

		buf_init(&b, 3);
		casefold_utf8("ABCD", 4, &b);
		CHECK_STR(b.data, "abc");
		CHECK(b.overflow);
		/* a full buffer stays full */
		casefold_utf8("E", 1, &b);
		CHECK_STR(b.data, "abc");
		buf_free(&b);

		buf_init(&b, 100);
		casefold_utf8("Abc", 3, &b);
		casefold_utf8("DEF", 3, &b);
		CHECK_STR(b.data, "abcdef");
		CHECK(!b.overflow);
		buf_free(&b);

		/* a limit met inside the stage: bytes up to it are kept */
		buf_init(&b, 2000);
		char big[3000];

		memset(big, 'Q', sizeof(big));
		casefold_utf8(big, sizeof(big), &b);
		CHECK_INT(b.len, 2000);
		CHECK(b.data[1999] == 'q');
		buf_free(&b);
	}

	/* casefold_contains */
	CHECK(casefold_contains("abc", 3, "", 0));
	CHECK(casefold_contains("", 0, "", 0));
	CHECK(!casefold_contains("", 0, "a", 1));
	CHECK(casefold_contains("abc", 3, "bc", 2));
	CHECK(!casefold_contains("abc", 3, "abcd", 4));

	/* 4 MiB of random bytes: valid UTF-8 out, nothing dropped silently
	 * (every input byte yields at least... something unless ignorable). */
	{
		size_t n = 4 * 1024 * 1024;
		char *in = malloc(n);
		struct buf b;

		srand(3);
		for (size_t i = 0; i < n; i++)
			in[i] = (char)rand();
		buf_init(&b, 64 * 1024 * 1024);
		casefold_utf8(in, n, &b);
		CHECK(utf8_valid(b.data, b.len));
		CHECK(b.len >= n / 2);
		CHECK(!b.overflow);
		buf_free(&b);
		free(in);
	}
	return unit_finish("mail-casefold");
}
