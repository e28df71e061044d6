/* RFC 2047 decoding: the examples of RFC 2047 §8 (exact decoded strings),
 * RFC 2231 §5 language suffixes, and malformed words left as written. */
#include "mail/rfc2047.h"
#include "unit.h"

static const char *dec(const char *in)
{
	static struct buf b;

	buf_free(&b);
	buf_init(&b, 4096);
	rfc2047_decode(in, strlen(in), &b);
	return b.data != NULL ? b.data : "";
}

int main(void)
{
	/* RFC 2047 §8, the header examples */
	CHECK_STR(dec("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
		  "Keith Moore <moore@cs.utk.edu>");
	CHECK_STR(dec("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
		  "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>");
	CHECK_STR(dec("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>"),
		  "Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>");
	CHECK_STR(dec("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
		      "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="),
		  "If you can read this you understand the example.");
	CHECK_STR(dec("=?ISO-8859-1?Q?Olle_J=E4rvik?= <olle@cs.chalmers.se>"),
		  "Olle J\xC3\xA4rvik <olle@cs.chalmers.se>");
	CHECK_STR(dec("Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
		      "    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)"),
		  "Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
		  "    (\xD7\x9D\xD7\x95\xD7\x9C\xD7\xA9 \xD7\x9F\xD7\x91 "
		  "\xD7\x99\xD7\x9C\xD7\x98\xD7\xA4\xD7\xA0)");
	/* RFC 2047 §8, the whitespace table */
	CHECK_STR(dec("(=?ISO-8859-1?Q?a?=)"), "(a)");
	CHECK_STR(dec("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
	CHECK_STR(dec("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
	CHECK_STR(dec("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
	CHECK_STR(dec("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
	CHECK_STR(dec("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
	CHECK_STR(dec("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");

	/* RFC 2231 §5: charset*language */
	CHECK_STR(dec("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
	/* A UTF-8 character split across two words survives the join. */
	CHECK_STR(dec("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?="), "caf\xC3\xA9");
	/* Text between words that is not whitespace is kept. */
	CHECK_STR(dec("=?UTF-8?Q?a?= - =?UTF-8?Q?b?="), "a - b");
	CHECK_STR(dec("plain text only"), "plain text only");
	CHECK_STR(dec(""), "");
	/* Malformed words stay as written. */
	CHECK_STR(dec("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
	CHECK_STR(dec("=?UTF-8?B?#$%?="), "=?UTF-8?B?#$%?=");
	CHECK_STR(dec("=?UTF-8?Q?no end"), "=?UTF-8?Q?no end");
	CHECK_STR(dec("=??Q?abc?="), "=??Q?abc?=");
	CHECK_STR(dec("a =?UTF-8?Q?x y?= b"), "a =?UTF-8?Q?x y?= b");
	CHECK_STR(dec("=?UTF-8?B?#?= =?UTF-8?Q?ok?="), "=?UTF-8?B?#?= ok");
	/* A bad escape in Q is kept; a bad byte in the charset becomes U+FFFD. */
	CHECK_STR(dec("=?UTF-8?Q?50=ZZ?="), "50=ZZ");
	CHECK_STR(dec("=?UTF-8?Q?=FF?="), "\xEF\xBF\xBD");
	/* Unknown charset: raw bytes kept. */
	CHECK_STR(dec("=?x-unknown-cs?Q?a=41?="), "aA");
	/* A charset name that would carry iconv options is an unknown charset. */
	CHECK_STR(dec("=?UTF-8//TRANSLIT?Q?a=C3?="), "a\xC3");
	/* Missing base64 padding is tolerated. */
	CHECK_STR(dec("=?UTF-8?B?SGk?="), "Hi");

	/* Output is bounded. */
	struct buf small;

	buf_init(&small, 8);
	const char *big = "=?UTF-8?Q?0123456789abcdef?= and more text";
	rfc2047_decode(big, strlen(big), &small);
	CHECK(small.len <= 8);
	CHECK(small.overflow);
	buf_free(&small);
	dec("");
	return unit_finish("mail-rfc2047");
}
