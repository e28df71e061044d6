/* Incremental IMAP command parser (RFC 9051 §9 client grammar): a byte-at-a-time
 * state machine whose whole state lives in struct imap_parser, so it resumes at
 * any byte. It never recurses on client nesting, never stores more than the
 * limits allow, and never puts client bytes into its error strings. */
#include "imap/parser.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"

/* First arena block, kept between commands: a typical command (tag, name,
 * a few args) fits in one; a longer one takes more blocks, freed when it
 * ends. Small, since every idle session keeps it: it was 4 KiB, a sixth of
 * a connected user's memory (issue 13: <= 32 KiB per user). */
#define PARSER_ARENA_BLOCK 512
/* Open lists the stack has room for at first; it doubles up to max_depth
 * as needed (64 after login: 1 KiB every session kept for the rare
 * deeply nested SEARCH). */
#define PARSER_STACK_INITIAL 4
/* First size of a list's child array; doubled up to max_args as it fills. */
#define PARSER_LIST_INITIAL 8
/* '[' nesting inside one FETCH section. Real sections never nest; a few levels
 * leave room for odd header names while bounding the count. */
#define PARSER_MAX_SECTION_DEPTH 8

enum parser_state {
	PS_TAG_START,    /* first byte of a command */
	PS_TAG,
	PS_ARG_START,    /* after a separating SP */
	PS_LIST_FIRST,   /* right after '(' : ')' closes an empty list, SP is BAD */
	PS_ATOM,
	PS_SECTION,      /* inside [...] of an atom */
	PS_TILDE,        /* '~' read: literal8 if '{' follows, else an atom */
	PS_QUOTED,
	PS_QUOTED_ESC,
	PS_QUOTED_UTF8,  /* inside a multi-byte UTF-8 sequence */
	PS_LIT_DIGIT1,   /* after '{' */
	PS_LIT_DIGITS,
	PS_LIT_CLOSE,    /* after '+', '}' must follow */
	PS_LIT_EOL,      /* after '}', the line must end */
	PS_LIT_LF,       /* after "}\r" */
	PS_LIT_WAIT,     /* LITERAL returned, waiting for accept/refuse */
	PS_LIT_DATA,
	PS_AFTER_ARG,    /* an argument ended: SP, ')' or end of line */
	PS_LF,           /* CR at end of line read, LF must follow */
	PS_SKIP,         /* syntax error: discard through LF */
	PS_FAILED,       /* fatal: the session must close */
};

/* The last bytes of the line seen as a literal announcement, so a line that is
 * skipped after an error still knows whether it ended with "{N+}". */
enum parser_tail {
	TAIL_NONE, TAIL_OPEN, TAIL_DIGITS, TAIL_PLUS, TAIL_SYNC, TAIL_NONSYNC,
};

enum parser_step { STEP_MORE, STEP_DONE, STEP_BAD, STEP_LITERAL };

struct list_frame {
	struct imap_arg *args;
	unsigned int count, cap;
};

struct imap_parser {
	struct imap_parser_limits limits;
	struct arena *arena;          /* tag, arg strings and arrays of one command */
	struct buf tok;               /* bytes of the token being read (<= max_line) */
	struct list_frame *stack;     /* [0] top level, [1..max_depth] open lists */
	unsigned int stack_cap;       /* frames allocated, <= max_depth + 1 */
	unsigned int depth;           /* open lists */
	enum parser_state state;
	bool reset_pending;           /* DONE/BAD returned: reset at next feed */
	bool bad;                     /* the last result was BAD */
	bool fatal;
	const char *error;
	const char *tag;
	size_t line_len;              /* command text bytes since the last line end */
	size_t stored;                /* bytes of argument data in the arena */
	unsigned int args_total;      /* arguments started, at every depth */
	unsigned int section_depth;
	unsigned char utf8_left, utf8_lo, utf8_hi;
	enum parser_tail tail;
	struct imap_literal_info lit;
	char *lit_data;
	uint64_t lit_got;
	bool lit_nul;
};

/* RFC 9051 §9 ATOM-CHAR: any CHAR except atom-specials
 * ( "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials ). */
static bool is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
		return false;
	default:
		return true;
	}
}

/* RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">; ASTRING-CHAR = ATOM-CHAR / "]". */
static bool is_tag_char(unsigned char c)
{
	return (is_atom_char(c) || c == ']') && c != '+';
}

/* Atoms in arguments also carry list-wildcards (LIST patterns), '*' (sequence
 * sets) and ']' (astring, RFC 9051 §9 ASTRING-CHAR). */
static bool is_arg_atom_char(unsigned char c)
{
	return is_atom_char(c) || c == ']' || c == '%' || c == '*';
}

static void parser_reset(struct imap_parser *p)
{
	arena_reset(p->arena);
	buf_clear(&p->tok);
	p->depth = 0;
	memset(&p->stack[0], 0, sizeof(p->stack[0]));
	p->state = PS_TAG_START;
	p->reset_pending = false;
	p->bad = false;
	p->error = NULL;
	p->tag = NULL;
	p->line_len = 0;
	p->stored = 0;
	p->args_total = 0;
	p->section_depth = 0;
	p->utf8_left = 0;
	p->tail = TAIL_NONE;
	memset(&p->lit, 0, sizeof(p->lit));
	p->lit_data = NULL;
	p->lit_got = 0;
	p->lit_nul = false;
}

struct imap_parser *imap_parser_create(const struct imap_parser_limits *limits)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	p->limits = *limits;
	p->arena = arena_create(PARSER_ARENA_BLOCK);
	buf_init(&p->tok, limits->max_line);
	p->stack_cap = limits->max_depth < PARSER_STACK_INITIAL ?
		limits->max_depth + 1 : PARSER_STACK_INITIAL + 1;
	p->stack = xcalloc(p->stack_cap, sizeof(*p->stack));
	parser_reset(p);
	return p;
}

void imap_parser_destroy(struct imap_parser **parser)
{
	struct imap_parser *p = *parser;

	if (p == NULL)
		return;
	arena_destroy(&p->arena);
	buf_free(&p->tok);
	free(p->stack);
	free(p);
	*parser = NULL;
}

/* Watches every line byte for a trailing "{digits}" or "{digits+}". */
static void tail_track(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case '{':
		p->tail = TAIL_OPEN;
		return;
	case '+':
		p->tail = p->tail == TAIL_DIGITS ? TAIL_PLUS : TAIL_NONE;
		return;
	case '}':
		p->tail = p->tail == TAIL_DIGITS ? TAIL_SYNC :
			p->tail == TAIL_PLUS ? TAIL_NONSYNC : TAIL_NONE;
		return;
	case '\r':
		if (p->tail != TAIL_SYNC && p->tail != TAIL_NONSYNC)
			p->tail = TAIL_NONE;
		return;
	case '\n':
		return;
	default:
		if (c >= '0' && c <= '9' && (p->tail == TAIL_OPEN || p->tail == TAIL_DIGITS))
			p->tail = TAIL_DIGITS;
		else
			p->tail = TAIL_NONE;
	}
}

static enum parser_step skip_byte(struct imap_parser *p, unsigned char c)
{
	if (c != '\n')
		return STEP_MORE;
	/* RFC 7888 §4: the bytes of a non-synchronizing literal follow at once;
	 * they cannot be told apart from commands, so the session must close. */
	if (p->tail == TAIL_NONSYNC)
		p->fatal = true;
	return STEP_BAD;
}

/* A syntax error at byte c: from here discard through LF, c included. */
static enum parser_step fail(struct imap_parser *p, const char *msg, unsigned char c)
{
	p->error = msg;
	p->state = PS_SKIP;
	buf_clear(&p->tok);
	return skip_byte(p, c);
}

static bool tok_add(struct imap_parser *p, unsigned char c)
{
	/* Cannot fail: a token is part of a line, and lines are <= max_line. */
	return buf_append_char(&p->tok, (char)c);
}

static const char *tok_dup(struct imap_parser *p)
{
	const char *s = p->tok.data != NULL ? p->tok.data : "";
	char *d = arena_strndup(p->arena, s, p->tok.len);

	buf_clear(&p->tok);
	return d;
}

static struct imap_arg *push_arg(struct imap_parser *p, enum imap_arg_type type)
{
	struct list_frame *f = &p->stack[p->depth];

	if (f->count == f->cap) {
		/* count < args_total <= max_args, so cap stays > count. */
		unsigned int max = p->limits.max_args;
		unsigned int cap = f->cap == 0 ? PARSER_LIST_INITIAL :
			f->cap > max / 2 ? max : f->cap * 2;
		struct imap_arg *n;

		if (cap > max)
			cap = max;
		n = arena_alloc(p->arena, (size_t)cap * sizeof(*n));
		if (f->count > 0)
			memcpy(n, f->args, (size_t)f->count * sizeof(*n));
		f->args = n;
		f->cap = cap;
	}
	struct imap_arg *a = &f->args[f->count++];
	a->type = type;
	return a;
}

/* Stores the token as an ATOM or QUOTED argument; false over max_command. */
static bool push_text(struct imap_parser *p, enum imap_arg_type type)
{
	size_t len = p->tok.len;

	if (len > p->limits.max_command - p->stored)
		return false;
	p->stored += len;
	struct imap_arg *a = push_arg(p, type);
	a->len = len;
	a->str = tok_dup(p);
	return true;
}

static enum parser_step line_end(struct imap_parser *p, unsigned char c)
{
	if (p->depth > 0)
		return fail(p, "Missing ')'", c);
	p->state = PS_TAG_START;
	return STEP_DONE;
}

static enum parser_step list_close(struct imap_parser *p, unsigned char c)
{
	if (p->depth == 0)
		return fail(p, "Unexpected ')'", c);
	struct list_frame *f = &p->stack[p->depth--];
	struct imap_arg *a = push_arg(p, IMAP_ARG_LIST);
	a->list = f->args;
	a->list_count = f->count;
	p->state = PS_AFTER_ARG;
	return STEP_MORE;
}

static enum parser_step after_arg(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case ' ':
		p->state = PS_ARG_START;
		return STEP_MORE;
	case ')':
		return list_close(p, c);
	case '\r':
		p->state = PS_LF;
		return STEP_MORE;
	case '\n':
		return line_end(p, c);
	default:
		return fail(p, "Missing space between arguments", c);
	}
}

static enum parser_step tag_byte(struct imap_parser *p, unsigned char c)
{
	if (is_tag_char(c)) {
		tok_add(p, c);
		p->state = PS_TAG;
		return STEP_MORE;
	}
	if (p->state == PS_TAG_START)
		return fail(p, c == '\r' || c == '\n' ? "Empty command line" : "Invalid tag", c);
	if (c == ' ') {
		p->tag = tok_dup(p);
		p->state = PS_ARG_START;
		return STEP_MORE;
	}
	if (c == '\r' || c == '\n') {
		p->tag = tok_dup(p);
		return fail(p, "Missing command name", c);
	}
	return fail(p, "Invalid tag", c);
}

static enum parser_step arg_start(struct imap_parser *p, unsigned char c)
{
	bool list_first = p->state == PS_LIST_FIRST;
	bool cmd_name = p->args_total == 0;

	if (list_first && c == ')')
		return list_close(p, c);
	if (c == ' ')
		return fail(p, "Unexpected space", c);
	if (c == '\r' || c == '\n') {
		if (cmd_name)
			return fail(p, "Missing command name", c);
		return fail(p, list_first ? "Missing ')'" : "Missing argument", c);
	}
	if (c == ')')
		return fail(p, "Unexpected ')'", c);
	bool atom = is_arg_atom_char(c) || c == '\\';
	if (!atom && c != '(' && c != '"' && c != '{')
		return fail(p, "Invalid character", c);
	/* RFC 9051 §9: the command name is an atom. */
	if (cmd_name && !is_atom_char(c))
		return fail(p, "Invalid command name", c);
	if (p->args_total >= p->limits.max_args)
		return fail(p, "Too many arguments", c);
	p->args_total++;

	switch (c) {
	case '(':
		if (p->depth >= p->limits.max_depth)
			return fail(p, "Too deeply nested", c);
		if (p->depth + 1 >= p->stack_cap) {
			unsigned int cap = p->stack_cap * 2;

			if (cap > p->limits.max_depth + 1)
				cap = p->limits.max_depth + 1;
			p->stack = xrealloc(p->stack, cap * sizeof(*p->stack));
			p->stack_cap = cap;
		}
		p->depth++;
		memset(&p->stack[p->depth], 0, sizeof(p->stack[p->depth]));
		p->state = PS_LIST_FIRST;
		return STEP_MORE;
	case '"':
		p->state = PS_QUOTED;
		return STEP_MORE;
	case '{':
		p->lit.literal8 = false;
		p->state = PS_LIT_DIGIT1;
		return STEP_MORE;
	case '~':
		tok_add(p, c);
		p->state = cmd_name ? PS_ATOM : PS_TILDE;
		return STEP_MORE;
	default:
		tok_add(p, c);
		p->state = PS_ATOM;
		return STEP_MORE;
	}
}

/* RFC 9051 §9: '[' is an ATOM-CHAR, so "a[b" is a whole mailbox name. Only
 * after a FETCH attribute name does '[' open a section (§6.4.5), inside which
 * SP, parentheses and quotes belong to the atom. */
static bool section_opens(const struct imap_parser *p)
{
	static const char *const names[] = {
		"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = strlen(names[i]);

		if (p->tok.len == len && strncasecmp(p->tok.data, names[i], len) == 0)
			return true;
	}
	return false;
}

static enum parser_step atom_byte(struct imap_parser *p, unsigned char c)
{
	if (c == '[' && section_opens(p)) {
		tok_add(p, c);
		p->section_depth = 1;
		p->state = PS_SECTION;
		return STEP_MORE;
	}
	if (is_arg_atom_char(c)) {
		tok_add(p, c);
		return STEP_MORE;
	}
	if (c != ' ' && c != ')' && c != '\r' && c != '\n')
		return fail(p, "Invalid character in atom", c);
	if (!push_text(p, IMAP_ARG_ATOM))
		return fail(p, "Command too large", c);
	return after_arg(p, c);
}

/* FETCH sections (RFC 9051 §6.4.5): BODY[HEADER.FIELDS (A B)]<0.100> is one
 * atom, so inside [...] SP, parentheses and quotes are ordinary bytes. */
static enum parser_step section_byte(struct imap_parser *p, unsigned char c)
{
	if (c == '{')
		return fail(p, "Literal inside [] not supported", c);
	if (c < 0x20 || c >= 0x7f)
		return fail(p, c == '\r' || c == '\n' ? "Missing ']'" :
			    "Invalid character in section", c);
	if (c == '[') {
		if (p->section_depth >= PARSER_MAX_SECTION_DEPTH)
			return fail(p, "Too deeply nested", c);
		p->section_depth++;
	} else if (c == ']') {
		if (--p->section_depth == 0)
			p->state = PS_ATOM;
	}
	tok_add(p, c);
	return STEP_MORE;
}

static enum parser_step tilde_byte(struct imap_parser *p, unsigned char c)
{
	if (c == '{') {
		/* RFC 3516 §4.2 literal8 = "~{" number64 ["+"] "}" CRLF *OCTET */
		buf_clear(&p->tok);
		p->lit.literal8 = true;
		p->state = PS_LIT_DIGIT1;
		return STEP_MORE;
	}
	p->state = PS_ATOM;
	return atom_byte(p, c);
}

/* RFC 3629 §4 / RFC 9051 §9 UTF8-2/3/4: no overlongs, no surrogates, <= U+10FFFF. */
static bool utf8_lead(struct imap_parser *p, unsigned char c)
{
	p->utf8_lo = 0x80;
	p->utf8_hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		p->utf8_left = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		p->utf8_left = 2;
		if (c == 0xe0)
			p->utf8_lo = 0xa0;
		else if (c == 0xed)
			p->utf8_hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		p->utf8_left = 3;
		if (c == 0xf0)
			p->utf8_lo = 0x90;
		else if (c == 0xf4)
			p->utf8_hi = 0x8f;
	} else {
		return false;
	}
	return true;
}

/* RFC 9051 §9 quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR is any
 * TEXT-CHAR except quoted-specials, "\" quoted-specials, or UTF8-2/3/4. */
static enum parser_step quoted_byte(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case PS_QUOTED_ESC:
		if (c != '"' && c != '\\')
			return fail(p, "Invalid escape in quoted string", c);
		tok_add(p, c);
		p->state = PS_QUOTED;
		return STEP_MORE;
	case PS_QUOTED_UTF8:
		if (c < p->utf8_lo || c > p->utf8_hi)
			return fail(p, "Invalid UTF-8 in quoted string", c);
		tok_add(p, c);
		p->utf8_lo = 0x80;
		p->utf8_hi = 0xbf;
		if (--p->utf8_left == 0)
			p->state = PS_QUOTED;
		return STEP_MORE;
	default:
		break;
	}
	if (c == '"') {
		if (!push_text(p, IMAP_ARG_QUOTED))
			return fail(p, "Command too large", c);
		p->state = PS_AFTER_ARG;
		return STEP_MORE;
	}
	if (c == '\\') {
		p->state = PS_QUOTED_ESC;
		return STEP_MORE;
	}
	if (c == '\0' || c == '\r' || c == '\n')
		return fail(p, "Invalid character in quoted string", c);
	if (c >= 0x80) {
		if (!utf8_lead(p, c))
			return fail(p, "Invalid UTF-8 in quoted string", c);
		p->state = PS_QUOTED_UTF8;
	}
	tok_add(p, c);
	return STEP_MORE;
}

/* RFC 9051 §9 literal = "{" number64 ["+"] "}" CRLF *CHAR8; the "+" form is
 * RFC 7888 LITERAL+. The announcement must end the line. */
static enum parser_step literal_byte(struct imap_parser *p, unsigned char c)
{
	bool digit = c >= '0' && c <= '9';

	switch (p->state) {
	case PS_LIT_DIGIT1:
		if (!digit)
			return fail(p, "Invalid literal size", c);
		p->lit.size = (uint64_t)(c - '0');
		p->lit.sync = true;
		p->state = PS_LIT_DIGITS;
		return STEP_MORE;
	case PS_LIT_DIGITS:
		if (digit) {
			uint64_t d = (uint64_t)(c - '0');

			if (p->lit.size > (UINT64_MAX - d) / 10)
				return fail(p, "Literal size too large", c);
			p->lit.size = p->lit.size * 10 + d;
			return STEP_MORE;
		}
		if (c == '+') {
			p->lit.sync = false;
			p->state = PS_LIT_CLOSE;
			return STEP_MORE;
		}
		if (c == '}') {
			p->state = PS_LIT_EOL;
			return STEP_MORE;
		}
		return fail(p, "Invalid literal size", c);
	case PS_LIT_CLOSE:
		if (c != '}')
			return fail(p, "Invalid literal size", c);
		p->state = PS_LIT_EOL;
		return STEP_MORE;
	case PS_LIT_EOL:
		if (c == '\r') {
			p->state = PS_LIT_LF;
			return STEP_MORE;
		}
		if (c != '\n')
			return fail(p, "Literal must end the line", c);
		break;
	default: /* PS_LIT_LF */
		if (c != '\n')
			return fail(p, "CR without LF", c);
		break;
	}
	p->state = PS_LIT_WAIT;
	return STEP_LITERAL;
}

static enum parser_step step(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case PS_TAG_START:
	case PS_TAG:
		return tag_byte(p, c);
	case PS_ARG_START:
	case PS_LIST_FIRST:
		return arg_start(p, c);
	case PS_ATOM:
		return atom_byte(p, c);
	case PS_SECTION:
		return section_byte(p, c);
	case PS_TILDE:
		return tilde_byte(p, c);
	case PS_QUOTED:
	case PS_QUOTED_ESC:
	case PS_QUOTED_UTF8:
		return quoted_byte(p, c);
	case PS_LIT_DIGIT1:
	case PS_LIT_DIGITS:
	case PS_LIT_CLOSE:
	case PS_LIT_EOL:
	case PS_LIT_LF:
		return literal_byte(p, c);
	case PS_AFTER_ARG:
		return after_arg(p, c);
	case PS_LF:
		if (c != '\n')
			return fail(p, "CR without LF", c);
		return line_end(p, c);
	case PS_SKIP:
		return skip_byte(p, c);
	case PS_LIT_WAIT:
	case PS_LIT_DATA:
	case PS_FAILED:
		break;
	}
	abort(); /* feed() never steps in these states */
}

static void literal_done(struct imap_parser *p)
{
	if (p->lit_nul) {
		/* RFC 9051 §9 CHAR8 excludes NUL outside literal8: the literal's
		 * bytes are consumed, then the rest of the line is skipped. */
		p->error = "NUL in literal";
		p->state = PS_SKIP;
		return;
	}
	struct imap_arg *a = push_arg(p, IMAP_ARG_LITERAL);
	a->literal8 = p->lit.literal8;
	a->str = p->lit_data;
	a->len = (size_t)p->lit.size;
	p->stored += (size_t)p->lit.size;
	p->state = PS_AFTER_ARG;
}

static size_t literal_data(struct imap_parser *p, const unsigned char *data, size_t len)
{
	uint64_t left = p->lit.size - p->lit_got;
	size_t n = len < left ? len : (size_t)left;

	memcpy(p->lit_data + p->lit_got, data, n);
	if (!p->lit.literal8 && memchr(data, '\0', n) != NULL)
		p->lit_nul = true;
	p->lit_got += n;
	if (p->lit_got == p->lit.size)
		literal_done(p);
	return n;
}

static enum imap_parse_result parse_bad(struct imap_parser *p)
{
	p->bad = true;
	p->reset_pending = true;
	if (p->fatal)
		p->state = PS_FAILED;
	return IMAP_PARSE_BAD;
}

enum imap_parse_result
imap_parser_feed(struct imap_parser *p, const unsigned char *data,
		 size_t len, size_t *consumed_r)
{
	size_t i = 0;

	*consumed_r = 0;
	/* A fatal error is final: the stream cannot be trusted any more. */
	if (p->fatal)
		return parse_bad(p);
	/* Caller bug (must accept or refuse first): consume nothing. */
	if (p->state == PS_LIT_WAIT)
		return IMAP_PARSE_LITERAL;
	if (p->reset_pending)
		parser_reset(p);

	while (i < len) {
		if (p->state == PS_LIT_DATA) {
			i += literal_data(p, data + i, len - i);
			continue;
		}
		unsigned char c = data[i++];

		/* A CR is counted but may be one past max_line, since the
		 * limit excludes CRLF and we cannot yet know an LF follows. */
		if (c != '\n' && ++p->line_len > p->limits.max_line + (c == '\r')) {
			p->fatal = true;
			p->error = "Command line too long";
			*consumed_r = i;
			return parse_bad(p);
		}
		tail_track(p, c);
		enum parser_step s = step(p, c);
		if (c == '\n') {
			p->line_len = 0;
			p->tail = TAIL_NONE;
		}
		switch (s) {
		case STEP_MORE:
			continue;
		case STEP_LITERAL:
			*consumed_r = i;
			return IMAP_PARSE_LITERAL;
		case STEP_DONE:
			p->reset_pending = true;
			*consumed_r = i;
			return IMAP_PARSE_DONE;
		case STEP_BAD:
			*consumed_r = i;
			return parse_bad(p);
		}
	}
	*consumed_r = i;
	return IMAP_PARSE_NEED_MORE;
}

const char *imap_parser_tag(const struct imap_parser *p)
{
	return p->tag;
}

const struct imap_arg *imap_parser_args(const struct imap_parser *p, unsigned int *count_r)
{
	if (p->bad || p->tag == NULL) {
		*count_r = 0;
		return NULL;
	}
	*count_r = p->stack[0].count;
	return p->stack[0].args;
}

const struct imap_literal_info *imap_parser_literal(const struct imap_parser *p)
{
	return p->state == PS_LIT_WAIT ? &p->lit : NULL;
}

void imap_parser_literal_accept(struct imap_parser *p)
{
	if (p->state != PS_LIT_WAIT)
		return;
	/* The session checks sizes before answering "+", but the parser must
	 * not trust that: a literal over the command budget is fatal, because
	 * its bytes are on their way (or the client was already told "+"). */
	if (p->lit.size > p->limits.max_command - p->stored) {
		p->fatal = true;
		p->error = "Literal too large";
		p->state = PS_FAILED;
		return;
	}
	p->lit_data = arena_alloc(p->arena, (size_t)p->lit.size + 1);
	p->lit_got = 0;
	p->lit_nul = false;
	p->state = PS_LIT_DATA;
	if (p->lit.size == 0)
		literal_done(p);
}

void imap_parser_literal_stream(struct imap_parser *p)
{
	if (p->state != PS_LIT_WAIT)
		return;
	/* The caller consumes the bytes itself; they never count towards
	 * max_command since they are never stored here. */
	struct imap_arg *a = push_arg(p, IMAP_ARG_LITERAL);
	a->literal8 = p->lit.literal8;
	a->streamed = true;
	a->str = "";
	a->len = (size_t)p->lit.size;
	p->state = PS_AFTER_ARG;
}

unsigned int imap_parser_depth(const struct imap_parser *p)
{
	return p->depth;
}

void imap_parser_literal_refuse(struct imap_parser *p)
{
	if (p->state != PS_LIT_WAIT)
		return;
	if (p->lit.sync) {
		/* RFC 9051 §4.3: without "+" the client sends nothing more of
		 * this command; the tag stays readable until the next feed. */
		p->state = PS_TAG_START;
		p->reset_pending = true;
		return;
	}
	p->fatal = true;
	p->error = "Non-synchronizing literal refused";
	p->state = PS_FAILED;
}

const char *imap_parser_error(const struct imap_parser *p)
{
	return p->error;
}

bool imap_parser_error_fatal(const struct imap_parser *p)
{
	return p->fatal;
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool imap_arg_is_atom(const struct imap_arg *arg, const char *upper)
{
	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return false;
	const char *s = arg->str;
	for (; *s != '\0' && *upper != '\0'; s++, upper++) {
		if (ascii_upper(*s) != ascii_upper(*upper))
			return false;
	}
	return *s == '\0' && *upper == '\0';
}

bool imap_arg_is_nil(const struct imap_arg *arg)
{
	return imap_arg_is_atom(arg, "NIL");
}

bool imap_arg_number64(const struct imap_arg *arg, uint64_t *n_r)
{
	uint64_t n = 0;

	if (arg->type != IMAP_ARG_ATOM || arg->len == 0 || arg->len > 19)
		return false;
	for (size_t i = 0; i < arg->len; i++) {
		if (arg->str[i] < '0' || arg->str[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(arg->str[i] - '0');
	}
	if (n > INT64_MAX)
		return false;
	*n_r = n;
	return true;
}

static const char *arg_text(const struct imap_arg *arg)
{
	/* A NUL (possible only in literal8) would silently truncate the string. */
	return memchr(arg->str, '\0', arg->len) != NULL ? NULL : arg->str;
}

const char *imap_arg_astring(const struct imap_arg *arg)
{
	if (arg == NULL || arg->type == IMAP_ARG_LIST)
		return NULL;
	return arg_text(arg);
}

const char *imap_arg_string(const struct imap_arg *arg)
{
	if (arg == NULL || (arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_LITERAL))
		return NULL;
	return arg_text(arg);
}
