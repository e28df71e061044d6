/* Unit tests for mailbox names: modified UTF-7 both ways (RFC 3501 §5.1.3,
 * RFC 9051 §5.1.3 examples), strict UTF-8, every validation rule, INBOX
 * canonicalization, random round trips and response quoting. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "imap/mailbox-name.h"
#include "store/store.h"
#include "unit.h"

static struct buf out;

/* The store name, or "ERR <message>". */
static const char *from(const char *in, bool utf8)
{
	static char res[2048];
	const char *error = NULL;

	buf_clear(&out);
	if (!mailbox_name_from_client(in, strlen(in), utf8, &out, &error)) {
		snprintf(res, sizeof(res), "ERR %s", error != NULL ? error : "(none)");
		return res;
	}
	snprintf(res, sizeof(res), "%s", out.data);
	return res;
}

/* The client form, or "FALSE". */
static const char *to(const char *name, bool utf8)
{
	buf_clear(&out);
	if (!mailbox_name_to_client(name, utf8, &out))
		return "FALSE";
	return out.len == 0 ? "" : out.data;
}

static const char *quote(const char *name)
{
	buf_clear(&out);
	mailbox_name_quote(name, &out);
	return out.len == 0 ? "" : out.data;
}

static const char *validate(const char *name)
{
	static char res[256];
	const char *error = NULL;

	if (store_mailbox_name_valid(name, strlen(name), &error))
		return "OK";
	snprintf(res, sizeof(res), "ERR %s", error);
	return res;
}

#define E_8BIT "ERR Mailbox name has 8-bit characters (modified UTF-7 expected)"
#define E_UNTERM "ERR Mailbox name has an unterminated modified UTF-7 sequence"
#define E_B64 "ERR Mailbox name has invalid modified UTF-7"
#define E_CANON "ERR Mailbox name has non-canonical modified UTF-7"
#define E_UTF16 "ERR Mailbox name has invalid UTF-16 in modified UTF-7"
#define E_UTF8 "ERR Mailbox name is not valid UTF-8"
#define E_CTRL "ERR Mailbox name has control characters"
#define E_EMPTY "ERR Mailbox name is empty"
#define E_LONG "ERR Mailbox name is too long"
#define E_DEEP "ERR Mailbox name has too many levels"
#define E_LEVEL "ERR Mailbox name has an empty level"
#define E_DOT "ERR Mailbox name has a \".\" or \"..\" level"
#define E_WILD "ERR Mailbox name has wildcards"
#define E_INBOX "ERR Mailbox name has INBOX not in upper case"

static void test_mutf7_decode(void)
{
	/* RFC 3501 §5.1.3 / RFC 9051 §5.1.3 example. */
	CHECK_STR(from("~peter/mail/&U,BTFw-/&ZeVnLIqe-", false), "~peter/mail/台北/日本語");
	CHECK_STR(from("&-", false), "&");
	CHECK_STR(from("R&-D", false), "R&D");
	CHECK_STR(from("&AOQ-", false), "ä");
	CHECK_STR(from("&AOQA9g-", false), "äö");
	CHECK_STR(from("Entw&APw-rfe", false), "Entwürfe");
	CHECK_STR(from("&2D3eAA-", false), "😀");
	CHECK_STR(from("a&2D3eAA-b", false), "a😀b");
	CHECK_STR(from("&2D3eANg93gDYPd4A-", false), "😀😀😀");
	CHECK_STR(from("x&2,,f,w-", false), "x\U0010FFFF");
	CHECK_STR(from("&,,0-", false), "\uFFFD");
	/* A sequence then "&-" is not two sequences. */
	CHECK_STR(from("&ZeVnLIqe-&-x", false), "日本語&x");
	CHECK_STR(from("&AKA-", false), "\u00a0");
	CHECK_STR(from("Sent Items", false), "Sent Items");
	CHECK_STR(from("a-b,c+d", false), "a-b,c+d");

	/* Rejections. */
	CHECK_STR(from("caf\xc3\xa9", false), E_8BIT);
	CHECK_STR(from("&AOQ\xc3\xa9-", false), E_8BIT);
	CHECK_STR(from("&", false), E_UNTERM);
	CHECK_STR(from("a&", false), E_UNTERM);
	CHECK_STR(from("&AOQ", false), E_UNTERM);
	CHECK_STR(from("&AOQ.-", false), E_B64);
	CHECK_STR(from("&AO/-", false), E_B64);       /* '/' is not modified base64 */
	CHECK_STR(from("&AOQ=-", false), E_B64);      /* no padding */
	CHECK_STR(from("&AOR-", false), E_B64);       /* padding bits not zero */
	CHECK_STR(from("&AOQA9h-", false), E_B64);
	CHECK_STR(from("&AOQA-", false), E_B64);      /* a spare base64 character */
	CHECK_STR(from("&A-", false), E_B64);         /* 6 bits: no unit */
	CHECK_STR(from("&AO-", false), E_B64);        /* 12 bits: no unit */
	CHECK_STR(from("&AGE-", false), E_CANON);     /* 'a' must not be encoded */
	CHECK_STR(from("&AGE-&AGI-", false), E_CANON);
	CHECK_STR(from("&AGEA5A-", false), E_CANON);  /* "aä" */
	CHECK_STR(from("&ACY-", false), E_CANON);     /* '&' is "&-" */
	CHECK_STR(from("&ACA-", false), E_CANON);     /* SP */
	CHECK_STR(from("&AH4-", false), E_CANON);     /* '~' */
	CHECK_STR(from("&AOQ-&APY-", false), E_CANON); /* two adjacent sequences */
	CHECK_STR(from("&2D0-", false), E_UTF16);     /* lone high surrogate */
	CHECK_STR(from("&3gA-", false), E_UTF16);     /* lone low surrogate */
	CHECK_STR(from("&2D0A5A-", false), E_UTF16);  /* high then not low */
	CHECK_STR(from("&2D3YPd4A-", false), E_UTF16); /* high, high, low */
	CHECK_STR(from("&AAA-", false), E_CTRL);      /* U+0000 */
	CHECK_STR(from("&AAE-", false), E_CTRL);
	CHECK_STR(from("&AIA-", false), E_CTRL);      /* C1 */
	CHECK_STR(from("&AH8-", false), E_CTRL);      /* DEL encoded */
	CHECK_STR(from("a\tb", false), E_CTRL);
	CHECK_STR(from("a\x7f", false), E_CTRL);
}

/* Builds '&' + base64 of count×U+00E4 + '-': 8 chars per 3 units. */
static void make_umlauts(char *in, size_t count)
{
	static const char three[] = "AOQA5ADk";   /* ä ä ä */
	size_t n = 0;

	in[n++] = '&';
	for (size_t i = 0; i + 3 <= count; i += 3) {
		memcpy(in + n, three, 8);
		n += 8;
	}
	in[n++] = '-';
	in[n] = '\0';
}

static void test_limits(void)
{
	char in[2048], name[STORE_MAILBOX_NAME_MAX + 2];

	make_umlauts(in, 255);          /* 510 bytes */
	CHECK_INT(strlen(from(in, false)), 510);
	make_umlauts(in, 258);          /* 516 bytes */
	CHECK_STR(from(in, false), E_LONG);

	memset(name, 'x', STORE_MAILBOX_NAME_MAX);
	name[STORE_MAILBOX_NAME_MAX] = '\0';
	CHECK_INT(strlen(from(name, false)), STORE_MAILBOX_NAME_MAX);
	CHECK_INT(strlen(from(name, true)), STORE_MAILBOX_NAME_MAX);
	CHECK_STR(validate(name), "OK");
	name[STORE_MAILBOX_NAME_MAX] = 'x';
	name[STORE_MAILBOX_NAME_MAX + 1] = '\0';
	CHECK_STR(from(name, false), E_LONG);
	CHECK_STR(from(name, true), E_LONG);
	CHECK_STR(validate(name), E_LONG);

	/* 32 levels fine, 33 too many. */
	char deep[128] = "a";
	for (int i = 1; i < STORE_MAILBOX_DEPTH_MAX; i++)
		strcat(deep, "/a");
	CHECK_STR(from(deep, false), deep);
	strcat(deep, "/a");
	CHECK_STR(from(deep, false), E_DEEP);
	CHECK_STR(validate(deep), E_DEEP);
}

static void test_utf8_mode(void)
{
	CHECK_STR(from("~peter/mail/台北/日本語", true), "~peter/mail/台北/日本語");
	CHECK_STR(from("&U,BTFw-", true), "&U,BTFw-");     /* no decoding */
	CHECK_STR(from("R&D", true), "R&D");
	CHECK_STR(from("a😀b", true), "a😀b");
	CHECK_STR(from("\xc2\xa0", true), "\u00a0");
	CHECK_STR(from("\xf4\x8f\xbf\xbf", true), "\U0010FFFF");
	CHECK_STR(from("\xc0\xaf", true), E_UTF8);          /* overlong '/' */
	CHECK_STR(from("\xc1\xbf", true), E_UTF8);
	CHECK_STR(from("\xe0\x80\xaf", true), E_UTF8);      /* overlong 3-byte */
	CHECK_STR(from("\xf0\x80\x80\xaf", true), E_UTF8);  /* overlong 4-byte */
	CHECK_STR(from("\xed\xa0\x80", true), E_UTF8);      /* U+D800 */
	CHECK_STR(from("\xed\xbf\xbf", true), E_UTF8);      /* U+DFFF */
	CHECK_STR(from("\xf4\x90\x80\x80", true), E_UTF8);  /* U+110000 */
	CHECK_STR(from("\xf5\x80\x80\x80", true), E_UTF8);
	CHECK_STR(from("\xe5\x8f", true), E_UTF8);          /* truncated */
	CHECK_STR(from("a\x80", true), E_UTF8);             /* lone continuation */
	CHECK_STR(from("\xff", true), E_UTF8);
	CHECK_STR(from("\xc2\x80", true), E_CTRL);          /* C1 */
	CHECK_STR(from("\xc2\x9f", true), E_CTRL);
	CHECK_STR(from("a\x01", true), E_CTRL);
	CHECK_STR(from("a\x7f", true), E_CTRL);
}

static void test_validation(void)
{
	const char *error = NULL;

	CHECK_STR(from("", false), E_EMPTY);
	CHECK_STR(from("", true), E_EMPTY);
	CHECK_STR(from("a//b", false), E_LEVEL);
	CHECK_STR(from("/a", false), E_LEVEL);
	CHECK_STR(from("a/", false), E_LEVEL);
	CHECK_STR(from("/", false), E_LEVEL);
	CHECK_STR(from(".", false), E_DOT);
	CHECK_STR(from("..", false), E_DOT);
	CHECK_STR(from("a/./b", false), E_DOT);
	CHECK_STR(from("a/..", true), E_DOT);
	CHECK_STR(from("../a", false), E_DOT);
	CHECK_STR(from("...", false), "...");
	CHECK_STR(from(".a/b.", false), ".a/b.");
	CHECK_STR(from("a*", false), E_WILD);
	CHECK_STR(from("%", true), E_WILD);
	CHECK_STR(from("a/b%c", false), E_WILD);
	CHECK_STR(from("a b", false), "a b");
	CHECK_STR(from(" ", false), " ");

	/* The store's own check, on internal names. */
	CHECK_STR(validate("INBOX"), "OK");
	CHECK_STR(validate("INBOX/Sub"), "OK");
	CHECK_STR(validate("inbox"), E_INBOX);
	CHECK_STR(validate("Inbox/x"), E_INBOX);
	CHECK_STR(validate("inboxes"), "OK");
	CHECK_STR(validate("a/inbox"), "OK");
	CHECK_STR(validate("台北"), "OK");
	CHECK_STR(validate("a\xc0\xaf"), E_UTF8);
	CHECK_STR(validate("a\x1b"), E_CTRL);
	CHECK_STR(validate(""), E_EMPTY);
	/* An explicit length: a NUL inside is a control character. */
	CHECK(!store_mailbox_name_valid("a\0b", 3, &error));
	CHECK_STR(error, &E_CTRL[4]);
}

static void test_inbox(void)
{
	CHECK_STR(from("inbox", false), "INBOX");
	CHECK_STR(from("InBoX", true), "INBOX");
	CHECK_STR(from("INBOX", false), "INBOX");
	CHECK_STR(from("inbox/Sub", false), "INBOX/Sub");
	CHECK_STR(from("iNbOx/inbox", false), "INBOX/inbox");
	CHECK_STR(from("inboxes", false), "inboxes");
	CHECK_STR(from("inbox2/x", false), "inbox2/x");
	CHECK_STR(from("Sub/inbox", false), "Sub/inbox");
	CHECK_STR(from("inbo", false), "inbo");
}

/* Appends after what out holds; a failure leaves it as it was. */
static void test_buffer_use(void)
{
	const char *error = NULL;
	struct buf b, small;

	buf_init(&b, 1024);
	buf_append_str(&b, "x:");
	CHECK(mailbox_name_from_client("inbox/a", 7, false, &b, &error));
	CHECK_STR(b.data, "x:INBOX/a");
	CHECK(!mailbox_name_from_client("a//b", 4, false, &b, &error));
	CHECK_STR(b.data, "x:INBOX/a");
	CHECK_INT(b.len, 9);
	CHECK(!mailbox_name_from_client("&AOQ-&APY-", 10, false, &b, &error));
	CHECK_STR(b.data, "x:INBOX/a");
	CHECK(!mailbox_name_decode("abcdef", 6, false, 5, &b, &error));
	CHECK_STR(error, &E_LONG[4]);
	CHECK_STR(b.data, "x:INBOX/a");
	CHECK(mailbox_name_decode("a%*b", 4, false, 4, &b, &error));
	CHECK_STR(b.data, "x:INBOX/aa%*b");
	buf_free(&b);

	/* A buffer smaller than the name: "too long", and not left overflowed. */
	buf_init(&small, 4);
	CHECK(!mailbox_name_from_client("abcdef", 6, true, &small, &error));
	CHECK_STR(error, &E_LONG[4]);
	CHECK(!small.overflow);
	CHECK_INT(small.len, 0);
	CHECK(!mailbox_name_to_client("日本語", false, &small));
	CHECK(!small.overflow);
	CHECK_INT(small.len, 0);
	CHECK(mailbox_name_to_client("&&", false, &small));
	CHECK_STR(small.data, "&-&-");
	buf_free(&small);
}

static void test_encode(void)
{
	CHECK_STR(to("~peter/mail/台北/日本語", false), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	CHECK_STR(to("~peter/mail/台北/日本語", true), "~peter/mail/台北/日本語");
	CHECK_STR(to("&", false), "&-");
	CHECK_STR(to("a&b&", false), "a&-b&-");
	CHECK_STR(to("ä", false), "&AOQ-");
	CHECK_STR(to("äö", false), "&AOQA9g-");
	CHECK_STR(to("Entwürfe", false), "Entw&APw-rfe");
	CHECK_STR(to("😀", false), "&2D3eAA-");
	CHECK_STR(to("a😀b", false), "a&2D3eAA-b");
	CHECK_STR(to("😀😀😀", false), "&2D3eANg93gDYPd4A-");
	CHECK_STR(to("x\U0010FFFF", false), "x&2,,f,w-");
	CHECK_STR(to("\uFFFD", false), "&,,0-");
	CHECK_STR(to("日本語&x", false), "&ZeVnLIqe-&-x");
	CHECK_STR(to("Sent Items/Ünterordner", false), "Sent Items/&ANw-nterordner");
	CHECK_STR(to("INBOX", false), "INBOX");
	CHECK_STR(to("", false), "");
	CHECK_STR(to("a\xc0\xaf", false), "FALSE");
	CHECK_STR(to("\xed\xa0\x80", false), "FALSE");
	CHECK_STR(to("a\xc0\xaf", true), "a\xc0\xaf");   /* utf8 mode: as is */
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static size_t put_utf8(uint32_t cp, char *s)
{
	if (cp < 0x80) {
		s[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	s[0] = (char)(0xf0 | (cp >> 18));
	s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	s[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Random strings of printable ASCII (with '&'), BMP and non-BMP characters:
 * encode, decode and compare; the decoder must accept what the encoder
 * writes, and re-encoding what it decoded gives the same bytes. */
static void test_round_trips(void)
{
	unsigned int ok = 0, runs = 2000;
	struct buf enc, dec;

	buf_init(&enc, 8192);
	buf_init(&dec, 8192);
	for (unsigned int r = 0; r < runs; r++) {
		char name[600];
		size_t n = 0, chars = 1 + rng() % 60;
		const char *error = NULL;

		for (size_t i = 0; i < chars; i++) {
			uint32_t cp, kind = rng() % 4;

			if (kind == 0)
				cp = 0x20 + rng() % 0x5f;             /* printable ASCII */
			else if (kind == 1)
				cp = rng() % 3 == 0 ? '&' : 0xa0 + rng() % 0x60;
			else if (kind == 2)
				cp = 0xa0 + rng() % (0x10000 - 0xa0);  /* BMP */
			else
				cp = 0x10000 + rng() % 0x100000;      /* surrogate pairs */
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0x4e2d;
			n += put_utf8(cp, name + n);
		}
		name[n] = '\0';
		buf_clear(&enc);
		buf_clear(&dec);
		bool good = mailbox_name_to_client(name, false, &enc);
		for (size_t i = 0; good && i < enc.len; i++)
			good = (unsigned char)enc.data[i] >= 0x20 && (unsigned char)enc.data[i] < 0x7f;
		good = good && mailbox_name_decode(enc.data, enc.len, false, 4096, &dec, &error);
		good = good && dec.len == n && memcmp(dec.data, name, n) == 0;
		if (good) {
			ok++;
		} else {
			printf("round trip %u failed: %s -> %s (%s)\n", r, name,
			       enc.data != NULL ? enc.data : "", error != NULL ? error : "");
		}
	}
	CHECK_INT(ok, runs);
	buf_free(&enc);
	buf_free(&dec);
}

static void test_quote(void)
{
	CHECK_STR(quote("INBOX"), "INBOX");
	CHECK_STR(quote("~peter/mail/&U,BTFw-"), "~peter/mail/&U,BTFw-");
	CHECK_STR(quote("a-b.c_d+e#f&g"), "a-b.c_d+e#f&g");
	CHECK_STR(quote(""), "\"\"");
	CHECK_STR(quote("a b"), "\"a b\"");
	CHECK_STR(quote("a\"b"), "\"a\\\"b\"");
	CHECK_STR(quote("a\\b"), "\"a\\\\b\"");
	CHECK_STR(quote("NIL"), "\"NIL\"");
	CHECK_STR(quote("nil"), "\"nil\"");
	CHECK_STR(quote("NILS"), "NILS");
	CHECK_STR(quote("a]b"), "\"a]b\"");
	CHECK_STR(quote("a(b)"), "\"a(b)\"");
	CHECK_STR(quote("a{3}"), "\"a{3}\"");
	CHECK_STR(quote("a%b*"), "\"a%b*\"");
	CHECK_STR(quote("台北"), "\"台北\"");
	CHECK_STR(quote("a\tb"), "\"a\tb\"");
	CHECK_STR(quote("a\r\nb"), "{4}\r\na\r\nb");
	CHECK_STR(quote("\n"), "{1}\r\n\n");
}

int main(void)
{
	buf_init(&out, 4096);
	test_mutf7_decode();
	test_limits();
	test_utf8_mode();
	test_validation();
	test_inbox();
	test_buffer_use();
	test_encode();
	test_round_trips();
	test_quote();
	buf_free(&out);
	return unit_finish("mailbox-name");
}
