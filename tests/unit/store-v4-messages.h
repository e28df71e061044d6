/* The messages in tests/unit/store-v4.sql, a store written by petrel's
 * schema 4 (before compressed bodies): test-store-upgrade.c checks that
 * each reads back as these exact bytes after the upgrade to schema 5. */
#ifndef PETREL_TEST_STORE_V4_MESSAGES_H
#define PETREL_TEST_STORE_V4_MESSAGES_H

#include <stdio.h>
#include <string.h>

struct v4_message {
	const char *mailbox;
	unsigned int uid;
	const char *text;          /* NULL: v4_big_body() */
};

static const struct v4_message v4_messages[] = {
	{ "INBOX", 1, "From: Ann <ann@example.com>\r\nTo: bob@example.com\r\n"
	  "Subject: schema four\r\nMessage-ID: <one@v4.example>\r\n"
	  "Date: Mon, 7 Dec 2026 06:00:00 +0000\r\n\r\nHello from schema 4.\r\n" },
	{ "INBOX", 2, "From: bob@example.com\r\nTo: Ann <ann@example.com>\r\n"
	  "Subject: Re: schema four\r\nMessage-ID: <two@v4.example>\r\n"
	  "In-Reply-To: <one@v4.example>\r\nReferences: <one@v4.example>\r\n\r\n"
	  "> Hello from schema 4.\r\nAnd back, zebrafish.\r\n" },
	{ "INBOX", 3, "From: ann@example.com\r\nSubject: with a part\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9 au lait\r\n--b1\r\n"
	  "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\n"
	  "--b1--\r\n" },
	{ "INBOX", 4, NULL },
	{ "Archive", 1, "From: bob@example.com\r\nSubject: archived\r\n\r\nold news\r\n" },
};

/* Message 4: over 64 KiB, so schema 4 kept it as a file under blobs/ (the
 * test writes that file; the .sql holds its row). */
#define V4_BIG_LINES 3000
static inline size_t v4_big_body(char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "From: ann@example.com\r\nSubject: big one\r\n\r\n");

	for (unsigned int i = 0; i < V4_BIG_LINES && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "line %05u of the big body, schema 4\r\n",
				      i);
	return n;
}
#define V4_BIG_MAX (64 + V4_BIG_LINES * 40)

#endif
