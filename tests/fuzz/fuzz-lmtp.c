/* libFuzzer target for the LMTP grammar (src/lmtp/lmtp-parse.c): the input
 * is split at '\n' into lines, read as commands (verb, MAIL/RCPT paths and
 * MAIL parameters) until a DATA, then as message lines (dot-unstuffing,
 * the end line, a 4 KiB limit, lines over 64 bytes fed in two pieces)
 * until its ".", and so on. Checks what the session relies on: paths hold
 * no control, space or angle bracket, the message never passes its limit,
 * and a whole line always ends in CRLF. Built and run by `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lmtp/lmtp-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DATA_LIMIT 4096
#define FUZZ_LINE_MAX 4096

static void check_path(const char *path)
{
	for (const char *c = path; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x21 || *c == '<' || *c == '>')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_data msg = { 0 };
	bool in_data = false;
	char line[FUZZ_LINE_MAX + 1];
	size_t pos = 0;

	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;

		if (len > FUZZ_LINE_MAX)
			len = FUZZ_LINE_MAX;
		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos += (nl != NULL ? (size_t)(nl - (data + pos)) + 1 : size - pos);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (in_data) {
			size_t before = msg.len;
			bool end;

			if (len > 64) {
				end = lmtp_data_piece(&msg, line, 64, false) ||
					lmtp_data_piece(&msg, line + 64, len - 64, true);
			} else {
				end = lmtp_data_piece(&msg, line, len, true);
			}
			if (msg.len > FUZZ_DATA_LIMIT)
				abort();
			if (!end && !msg.too_big && msg.len > before &&
			    (msg.len < 2 || memcmp(msg.msg + msg.len - 2, "\r\n", 2) != 0))
				abort();
			if (end)
				in_data = false;
			continue;
		}
		if (strlen(line) != len)
			continue;   /* the session refuses a NUL in a command */
		const char *arg, *rest;
		char path[LMTP_PATH_MAX];

		switch (lmtp_parse_verb(line, &arg)) {
		case LMTP_MAIL:
			rest = lmtp_parse_path(arg, "FROM:", path, sizeof(path));
			if (rest != NULL) {
				check_path(path);
				(void)lmtp_parse_mail_params(rest, FUZZ_DATA_LIMIT);
			}
			break;
		case LMTP_RCPT:
			rest = lmtp_parse_path(arg, "TO:", path, sizeof(path));
			if (rest != NULL)
				check_path(path);
			break;
		case LMTP_DATA:
			in_data = true;
			lmtp_data_begin(&msg, FUZZ_DATA_LIMIT);
			lmtp_data_append(&msg, "Return-Path: <x>\r\n", 18);
			break;
		default:
			break;
		}
	}
	lmtp_data_free(&msg);
	return 0;
}
