/* The LMTP grammar petrel reads, without I/O (lmtp-session.c drives it;
 * tests/fuzz/fuzz-lmtp.c fuzzes it): command lines (verb, reverse/forward
 * path, MAIL parameters) and the DATA stream (dot-unstuffing, the end
 * line, a size limit). */
#ifndef PETREL_LMTP_PARSE_H
#define PETREL_LMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LMTP_PATH_MAX 256          /* RFC 5321 §4.5.3.1.3 */
#define LMTP_VERB_MAX 8

enum lmtp_verb {
	LMTP_LHLO, LMTP_MAIL, LMTP_RCPT, LMTP_DATA, LMTP_RSET, LMTP_NOOP, LMTP_VRFY,
	LMTP_QUIT, LMTP_HELO, LMTP_UNKNOWN,
};

/* The verb of a command line and, in *arg_r, what follows its space. */
enum lmtp_verb lmtp_parse_verb(const char *line, const char **arg_r);

/* "FROM:<path>" or "TO:<path>" (prefix given, case-insensitive; one space
 * allowed before '<'): the path into out (no controls, spaces or angle
 * brackets; at most out_size - 1 bytes). Returns what follows '>' or NULL. */
const char *lmtp_parse_path(const char *arg, const char *prefix, char *out, size_t out_size);

enum lmtp_param_result {
	LMTP_PARAM_OK,
	LMTP_PARAM_SYNTAX,         /* malformed (501) */
	LMTP_PARAM_TOO_BIG,        /* SIZE over the limit (552) */
	LMTP_PARAM_UNSUPPORTED,    /* a parameter we do not know (555) */
};

/* MAIL's parameters after the path: SIZE=n (RFC 1870), BODY=7BIT or
 * BODY=8BITMIME (RFC 6152). */
enum lmtp_param_result lmtp_parse_mail_params(const char *rest, uint64_t limit);

/* The DATA stream: lines (or parts of very long lines) in, the message
 * out, with the leading dot of a line removed and CRLF after each line. */
struct lmtp_data {
	unsigned char *msg;        /* malloc()ed */
	size_t len, alloc;
	uint64_t limit;
	bool too_big;              /* the message passed the limit: the rest is dropped */
	bool line_start;           /* the next piece begins a line */
};

void lmtp_data_begin(struct lmtp_data *d, uint64_t limit);
void lmtp_data_free(struct lmtp_data *d);
/* Appends bytes as they are (a header petrel adds). */
void lmtp_data_append(struct lmtp_data *d, const void *bytes, size_t len);
/* One piece of input: a whole line without its line end (whole_line), or
 * the first part of a longer one. Returns true at the terminating "."
 * line, which is not added. */
bool lmtp_data_piece(struct lmtp_data *d, const char *p, size_t n, bool whole_line);

#endif
