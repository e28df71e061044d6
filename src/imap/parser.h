/* Incremental parser for IMAP commands (RFC 9051 §9 grammar, client side):
 * fed bytes as they arrive, it keeps its state between calls so it can stop
 * and resume at any byte, and produces a tag plus a tree of generic arguments.
 * It never interprets a command's meaning: typed arguments are taken from the
 * tree by each command (cmd-*.c). It never writes to the network either: when
 * a literal is announced it returns IMAP_PARSE_LITERAL so the session decides
 * (limit check, "+" continuation, refusal) before any literal byte is read. */
#ifndef PETREL_IMAP_PARSER_H
#define PETREL_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_arg_type {
	IMAP_ARG_ATOM,      /* atom, incl. NIL; may carry a [section] and <partial>, see below */
	IMAP_ARG_QUOTED,    /* "..." with escapes removed */
	IMAP_ARG_LITERAL,   /* {N} / {N+} / ~{N} data */
	IMAP_ARG_LIST,      /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	bool literal8;            /* LITERAL announced as ~{N} (RFC 3516) */
	bool streamed;            /* LITERAL taken by imap_parser_literal_stream():
	                             str is "", len is the size */
	/* ATOM/QUOTED/LITERAL: bytes, NUL-terminated (len excludes the NUL;
	 * a literal8 may contain NULs, check len). */
	const char *str;
	size_t len;
	/* LIST: children */
	struct imap_arg *list;
	unsigned int list_count;
};

struct imap_parser_limits {
	size_t max_line;          /* bytes of command text between literals, excl. CRLF */
	size_t max_command;       /* total bytes of all args incl. literals and the
	                             command name (not the tag) */
	unsigned int max_depth;   /* nesting of parentheses */
	unsigned int max_args;    /* total arguments in one command, at every depth,
	                             counting the command name and each list */
};

enum imap_parse_result {
	IMAP_PARSE_NEED_MORE,  /* every fed byte consumed; feed more */
	IMAP_PARSE_LITERAL,    /* a literal was announced (its CRLF consumed);
	                          see imap_parser_literal(); call
	                          imap_parser_literal_accept() or _refuse() before feeding again */
	IMAP_PARSE_DONE,       /* a whole command (through its CRLF) parsed */
	IMAP_PARSE_BAD,        /* syntax error; see imap_parser_error() */
};

struct imap_literal_info {
	uint64_t size;
	bool sync;           /* {N}: client waits for "+" ; {N+}: bytes follow at once */
	bool literal8;       /* ~{N} */
};

struct imap_parser;

struct imap_parser *imap_parser_create(const struct imap_parser_limits *limits);
void imap_parser_destroy(struct imap_parser **parser);

/* Parse from data[0..len). *consumed_r is set to the number of bytes used;
 * the caller keeps the rest and feeds it again after acting on the result.
 * After DONE or BAD, the next feed starts a new command (the parser resets
 * itself, invalidating the previous command's tag and args).
 * Lines end in CRLF or a bare LF. Strict RFC 9051 §9 syntax: one SP between
 * arguments, so a trailing space or "( a)" is BAD. After a fatal BAD every
 * later feed returns BAD again, consuming nothing; feeding during LITERAL
 * (before accept/refuse) returns LITERAL, consuming nothing. */
enum imap_parse_result
imap_parser_feed(struct imap_parser *parser, const unsigned char *data,
		 size_t len, size_t *consumed_r);

/* The tag, once parsed (NULL before, or when the tag itself was bad).
 * Valid until the next command starts. */
const char *imap_parser_tag(const struct imap_parser *parser);
/* After DONE: the command's arguments, starting with the command name atom
 * (so "a1 UID FETCH 1 FLAGS" gives args UID, FETCH, 1, FLAGS). Also readable
 * during IMAP_PARSE_LITERAL: the arguments completed so far at top level.
 * After BAD: NULL and *count_r = 0. */
const struct imap_arg *imap_parser_args(const struct imap_parser *parser,
					unsigned int *count_r);

/* During IMAP_PARSE_LITERAL; NULL otherwise. */
const struct imap_literal_info *imap_parser_literal(const struct imap_parser *parser);
/* Read the literal's bytes into the argument tree and go on. A literal that
 * would take the command past max_command is a fatal error (seen through
 * imap_parser_error_fatal() at once, BAD at the next feed): its bytes are
 * coming and cannot be skipped safely. A NUL in a non-literal8 literal gives a
 * non-fatal BAD after the literal's bytes and the rest of its line. */
void imap_parser_literal_accept(struct imap_parser *parser);
/* The caller takes the literal's size bytes from the input itself (APPEND
 * streams a message to the store): the parser records a LITERAL argument
 * with `streamed` set and goes on after the literal, so the next byte fed
 * must be the one following the literal's last byte. */
void imap_parser_literal_stream(struct imap_parser *parser);
/* Open parentheses at the current point (0 at top level). */
unsigned int imap_parser_depth(const struct imap_parser *parser);

/* The session refuses the literal (it answered "tag NO [TOOBIG]" or "tag BAD").
 * For a synchronizing literal the client sends nothing more of this command,
 * so the parser simply resets for a new command. For a non-synchronizing one
 * the stream cannot be resynchronised: the session must close the
 * connection (see imap_parser_error_fatal()). */
void imap_parser_literal_refuse(struct imap_parser *parser);

/* After BAD: a short human-readable reason (no client bytes in it). */
const char *imap_parser_error(const struct imap_parser *parser);
/* After BAD: true when the session must send BYE and close rather than go on
 * with the next command (line too long, a bad command that announced a
 * non-synchronizing literal, a refused non-synchronizing literal). When false,
 * the parser has already skipped the rest of the bad line (through LF). */
bool imap_parser_error_fatal(const struct imap_parser *parser);

/* Helpers for command code. */
bool imap_arg_is_atom(const struct imap_arg *arg, const char *upper);  /* case-insensitive */
bool imap_arg_is_nil(const struct imap_arg *arg);
/* An atom of 1..19 digits up to 2^63-1 (RFC 7162 mod-sequence-valzer). */
bool imap_arg_number64(const struct imap_arg *arg, uint64_t *n_r);
/* astring: atom (incl. ']' chars), quoted or literal; returns NULL otherwise
 * or when it holds a NUL byte. */
const char *imap_arg_astring(const struct imap_arg *arg);
/* string: quoted or literal only; NULL otherwise or when it holds a NUL. */
const char *imap_arg_string(const struct imap_arg *arg);

#endif
