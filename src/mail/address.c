/* Address-list parsing. The grammar is tried the way Dovecot 2.3 tries it
 * (group, then name-addr, then addr-spec, each from the same start), with
 * its recovery from broken input, so that ENVELOPE matches it. Iterative:
 * comments nest by a counter, each address is read left to right, and a
 * failed attempt at most re-reads that address's text, so the work is
 * linear in the input. */
#include "mail/address.h"

#include <string.h>

#include "mail/rfc2047.h"

/* ---- lexical layer ---- */

static bool is_lwsp_eol(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool rfc822_is_atext(unsigned char c)
{
	/* RFC 5322 §3.2.3 atext; 8-bit bytes too (RFC 6532 UTF-8 and the
	 * raw Latin-1 that real mail has). */
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_mime_token_char(unsigned char c)
{
	/* RFC 2045 §5.1: any CHAR but SPACE, CTLs and tspecials */
	if (c <= 0x20 || c == 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* U+FFFD, for a NUL inside a quoted string, comment or domain literal (as
 * Dovecot's parser writes it; elsewhere a NUL is just not a token byte) */
static const char replacement[] = "\xef\xbf\xbd";

/* Appends a run of text, NULs as U+FFFD. */
static void append_run(struct buf *out, const unsigned char *s, size_t len)
{
	while (len > 0) {
		const unsigned char *nul = memchr(s, '\0', len);
		size_t n = nul != NULL ? (size_t)(nul - s) : len;

		buf_append(out, s, n);
		if (nul == NULL)
			return;
		buf_append(out, replacement, sizeof(replacement) - 1);
		s += n + 1;
		len -= n + 1;
	}
}

void rfc822_lexer_init(struct rfc822_lexer *lx, const void *data, size_t len)
{
	lx->p = data != NULL ? data : (const void *)"";
	lx->end = lx->p + (data != NULL ? len : 0);
	lx->comment = NULL;
}

/* At a '(': skips the comment, nested ones included. Its text is kept a
 * run at a time (at a quoted-pair, a line break and the end), as Dovecot
 * does: an unterminated comment leaves the runs before its last such
 * point, and names an address all the same. */
static int skip_comment(struct rfc822_lexer *lx)
{
	unsigned int depth = 1;
	const unsigned char *start = ++lx->p;

	if (lx->comment != NULL)
		buf_clear(lx->comment);
	for (; lx->p < lx->end; lx->p++) {
		unsigned char c = *lx->p;
		size_t len = (size_t)(lx->p - start);

		if (c == '\\' && lx->p + 1 < lx->end &&
		    (lx->p[1] == '\r' || lx->p[1] == '\n' || lx->p[1] == '\0')) {
			continue;   /* before a line break or NUL a '\' is kept as it is */
		} else if (c == '\\') {
			if (++lx->p == lx->end)
				return -1;
			if (lx->comment != NULL)
				append_run(lx->comment, start, len);
			start = lx->p;   /* the quoted byte starts the next run */
		} else if (c == '\n') {
			if (len > 0 && start[len - 1] == '\r')
				len--;
			if (lx->comment != NULL)
				append_run(lx->comment, start, len);
			start = lx->p + 1;
		} else if (c == '\0') {
			/* U+FFFD; like a line break it ends a run */
			if (lx->comment != NULL)
				append_run(lx->comment, start, len + 1);
			start = lx->p + 1;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			if (lx->comment != NULL)
				append_run(lx->comment, start, len);
			lx->p++;
			return 1;
		}
	}
	return -1;
}

int rfc822_skip_cfws(struct rfc822_lexer *lx)
{
	while (lx->p < lx->end) {
		if (is_lwsp_eol(*lx->p)) {
			lx->p++;
		} else if (*lx->p == '(') {
			if (skip_comment(lx) < 0)
				return -1;
		} else {
			return 1;
		}
	}
	return 0;
}

int rfc822_read_quoted(struct rfc822_lexer *lx, struct buf *out)
{
	/* Text is appended a run at a time, at the closing quote, a line
	 * break or a quoted-pair, as Dovecot does: an unterminated string
	 * leaves only the runs before its last such point. */
	const unsigned char *start = ++lx->p;

	for (; lx->p < lx->end; lx->p++) {
		unsigned char c = *lx->p;

		if (c == '"') {
			append_run(out, start, (size_t)(lx->p - start));
			lx->p++;
			return rfc822_skip_cfws(lx);
		}
		if (c == '\n') {
			/* folding inside the string: the (CR)LF goes */
			size_t len = (size_t)(lx->p - start);

			if (len > 0 && start[len - 1] == '\r')
				len--;
			append_run(out, start, len);
			start = lx->p + 1;
		} else if (c == '\0') {
			/* U+FFFD; like a line break it ends a run */
			append_run(out, start, (size_t)(lx->p - start) + 1);
			start = lx->p + 1;
		} else if (c == '\\' && lx->p + 1 < lx->end &&
			   (lx->p[1] == '\r' || lx->p[1] == '\n' || lx->p[1] == '\0')) {
			continue;   /* before a line break or NUL a '\' is kept as it is */
		} else if (c == '\\') {
			if (++lx->p == lx->end)
				return -1;
			append_run(out, start, (size_t)(lx->p - 1 - start));
			start = lx->p;   /* the quoted byte starts the next run */
		}
	}
	return -1;
}

int rfc822_read_mime_token(struct rfc822_lexer *lx, struct buf *out)
{
	const unsigned char *start = lx->p;

	while (lx->p < lx->end && is_mime_token_char(*lx->p))
		lx->p++;
	buf_append(out, start, (size_t)(lx->p - start));
	return rfc822_skip_cfws(lx);
}

int rfc822_read_atom(struct rfc822_lexer *lx, struct buf *out)
{
	const unsigned char *start = lx->p;

	while (lx->p < lx->end && rfc822_is_atext(*lx->p))
		lx->p++;
	buf_append(out, start, (size_t)(lx->p - start));
	return rfc822_skip_cfws(lx);
}

/* ---- address lists ---- */

struct aparser {
	struct rfc822_lexer lx;
	struct arena *arena;
	struct buf str;               /* the phrase, local part or domain being read */
	struct buf comment;
	struct mail_address addr;     /* the address being read */
	struct mail_address *first, *last;
	unsigned int count, max;
	bool fill;
};

static int peek(const struct aparser *ap)
{
	return ap->lx.p < ap->lx.end ? *ap->lx.p : -1;
}

static const char *dup_buf(struct aparser *ap, const struct buf *b)
{
	return arena_strndup(ap->arena, b->len > 0 ? b->data : "", b->len);
}

static bool full(const struct aparser *ap)
{
	return ap->count >= ap->max;
}

static void add_address(struct aparser *ap)
{
	if (!full(ap)) {
		struct mail_address *a = arena_alloc(ap->arena, sizeof(*a));

		*a = ap->addr;
		a->next = NULL;
		if (ap->last != NULL)
			ap->last->next = a;
		else
			ap->first = a;
		ap->last = a;
		ap->count++;
	}
	memset(&ap->addr, 0, sizeof(ap->addr));
}

/* A run of atext and dots, as obs-phrase allows, possibly empty. */
static int read_atom_or_dot(struct aparser *ap)
{
	const unsigned char *start = ap->lx.p;

	while (ap->lx.p < ap->lx.end && (rfc822_is_atext(*ap->lx.p) || *ap->lx.p == '.'))
		ap->lx.p++;
	buf_append(&ap->str, start, (size_t)(ap->lx.p - start));
	return rfc822_skip_cfws(&ap->lx);
}

static bool starts_word(int c)
{
	return c >= 0 && (rfc822_is_atext((unsigned char)c) || c == '"' || c == '.');
}

/* phrase = 1*word / obs-phrase (RFC 5322 §3.2.5, §4.1): words joined by
 * one space, appended to str. It may not start with a '.'. */
static int phrase(struct aparser *ap)
{
	int c = peek(ap);

	if (c < 0)
		return 0;
	if (c == '.')
		return -1;
	for (;;) {
		int r = peek(ap) == '"' ? rfc822_read_quoted(&ap->lx, &ap->str) : read_atom_or_dot(ap);

		if (r <= 0)
			return r;
		if (!starts_word(peek(ap)))
			return 1;
		buf_append_char(&ap->str, ' ');
	}
}

/* A dot-atom as the obsolete local-part allows it: dots anywhere and CFWS
 * before a dot, but a dot followed by anything but '@' or the end is an
 * error (which turns "a. b" into a display name). */
static int dot_atom_loose(struct aparser *ap)
{
	for (;;) {
		const unsigned char *start = ap->lx.p;

		while (ap->lx.p < ap->lx.end && (rfc822_is_atext(*ap->lx.p) || *ap->lx.p == '.'))
			ap->lx.p++;
		if (ap->lx.p == start)
			return -1;
		buf_append(&ap->str, start, (size_t)(ap->lx.p - start));
		if (ap->lx.p[-1] == '.' && ap->lx.p < ap->lx.end && *ap->lx.p != '@')
			return -1;   /* a dot needs an atom or the '@' after it */
		int r = rfc822_skip_cfws(&ap->lx);

		if (r <= 0)
			return r;
		if (*ap->lx.p != '.')
			return 1;
	}
}

static int local_part(struct aparser *ap)
{
	int r = peek(ap) == '"' ? rfc822_read_quoted(&ap->lx, &ap->str) : dot_atom_loose(ap);

	if (r < 0)
		return -1;
	ap->addr.mailbox = dup_buf(ap, &ap->str);
	return r;
}

/* At a '@': the domain (a dot-atom or a domain literal), appended to out. */
static int domain_into(struct aparser *ap, struct buf *out)
{
	struct rfc822_lexer *lx = &ap->lx;

	lx->p++;
	if (rfc822_skip_cfws(lx) <= 0)
		return -1;
	if (*lx->p == '[') {
		/* domain-literal, kept as written (quoted-pairs too) but for
		 * the line breaks of folding; no '[' inside */
		const unsigned char *start = lx->p;

		for (lx->p++; lx->p < lx->end; lx->p++) {
			unsigned char c = *lx->p;

			if (c == '\\') {
				if (++lx->p == lx->end)
					return -1;
			} else if (c == '[') {
				return -1;
			} else if (c == '\0') {
				append_run(out, start, (size_t)(lx->p - start) + 1);
				start = lx->p + 1;
			} else if (c == ']') {
				lx->p++;
				append_run(out, start, (size_t)(lx->p - start));
				return rfc822_skip_cfws(lx);
			} else if (c == '\n') {
				size_t len = (size_t)(lx->p - start);

				if (len > 0 && start[len - 1] == '\r')
					len--;
				append_run(out, start, len);
				start = lx->p + 1;
			}
		}
		return -1;
	}
	for (;;) {
		const unsigned char *start = lx->p;

		while (lx->p < lx->end && rfc822_is_atext(*lx->p))
			lx->p++;
		if (lx->p == start)
			return -1;
		buf_append(out, start, (size_t)(lx->p - start));
		int r = rfc822_skip_cfws(lx);

		if (r <= 0)
			return r;
		if (*lx->p != '.')
			return 1;
		lx->p++;
		buf_append_char(out, '.');
		if (rfc822_skip_cfws(lx) <= 0)
			return -1;
	}
}

static int domain(struct aparser *ap)
{
	buf_clear(&ap->str);
	int r = domain_into(ap, &ap->str);

	if (r >= 0)
		ap->addr.domain = dup_buf(ap, &ap->str);
	return r;
}

/* obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain) */
static int route(struct aparser *ap)
{
	buf_clear(&ap->str);
	for (;;) {
		if (peek(ap) < 0)
			return 0;
		if (peek(ap) != '@')
			break;
		if (ap->str.len > 0)
			buf_append_char(&ap->str, ',');
		buf_append_char(&ap->str, '@');
		int r = domain_into(ap, &ap->str);

		if (r <= 0)
			return r;
		while (rfc822_skip_cfws(&ap->lx) > 0 && *ap->lx.p == ',')
			ap->lx.p++;
	}
	ap->addr.route = dup_buf(ap, &ap->str);
	return 1;
}

/* angle-addr = "<" [obs-route] addr-spec ">", and "<>" */
static int angle_addr(struct aparser *ap)
{
	ap->lx.p++;
	if (rfc822_skip_cfws(&ap->lx) <= 0)
		return -1;
	if (peek(ap) == '@') {
		if (route(ap) > 0 && peek(ap) == ':') {
			ap->lx.p++;
		} else {
			ap->addr.route = ap->fill ? "INVALID_ROUTE" : NULL;
			ap->addr.invalid = true;
		}
		if (rfc822_skip_cfws(&ap->lx) <= 0)
			return -1;
	}
	if (peek(ap) != '>') {
		buf_clear(&ap->str);
		if (local_part(ap) <= 0)
			return -1;
		if (peek(ap) == '@' && domain(ap) <= 0)
			return -1;
	}
	if (peek(ap) != '>')
		return -1;
	ap->lx.p++;
	return rfc822_skip_cfws(&ap->lx);
}

/* name-addr = [display-name] angle-addr */
static int name_addr(struct aparser *ap)
{
	buf_clear(&ap->str);
	if (phrase(ap) <= 0 || peek(ap) != '<')
		return -1;
	ap->addr.name = ap->str.len > 0 ? dup_buf(ap, &ap->str) : NULL;
	if (angle_addr(ap) < 0) {
		ap->addr.domain = ap->fill ? "SYNTAX_ERROR" : "";
		ap->addr.invalid = true;
	}
	return peek(ap) >= 0 ? 1 : 0;
}

/* addr-spec = local-part "@" domain, with the recovery Dovecot applies:
 * a trailing comment names the address; a local part followed by more
 * words was a display name without an address. */
static int addr_spec(struct aparser *ap)
{
	bool quoted = peek(ap) == '"';
	int r, r2 = -2;

	buf_clear(&ap->comment);
	buf_clear(&ap->str);
	r = local_part(ap);
	if (r <= 0)
		ap->addr.invalid = true;
	if (r != 0 && peek(ap) == '@') {
		r2 = domain(ap);
		if (r2 <= 0)
			r = r2;
	}
	if (ap->comment.len > 0) {
		ap->addr.name = dup_buf(ap, &ap->comment);
	} else if (r2 == -2) {
		buf_append_char(&ap->str, ' ');
		size_t before = ap->str.len;

		(void)phrase(ap);
		if (ap->str.len != before) {
			ap->addr.name = dup_buf(ap, &ap->str);
			ap->addr.mailbox = NULL;
		} else if (quoted) {
			ap->addr.name = ap->addr.mailbox;
			ap->addr.mailbox = NULL;
		} else {
			ap->addr.domain = "";
		}
		ap->addr.invalid = true;
		r = -1;
	}
	return r;
}

/* mailbox = name-addr / addr-spec; what is missing is filled in. */
static int mailbox(struct aparser *ap)
{
	const unsigned char *start = ap->lx.p;
	int r = name_addr(ap);

	if (r < 0) {
		ap->lx.p = start;
		memset(&ap->addr, 0, sizeof(ap->addr));
		r = addr_spec(ap);
	}
	if (ap->addr.mailbox == NULL) {
		ap->addr.mailbox = ap->fill ? "MISSING_MAILBOX" : "";
		ap->addr.invalid = true;
	}
	if (ap->addr.domain == NULL || ap->addr.domain[0] == '\0') {
		ap->addr.domain = ap->fill ? "MISSING_DOMAIN" : "";
		ap->addr.invalid = true;
	}
	add_address(ap);
	return r;
}

/* group = display-name ":" [group-list] ";" [CFWS] */
static int group(struct aparser *ap)
{
	buf_clear(&ap->str);
	if (phrase(ap) <= 0 || peek(ap) != ':')
		return -1;
	/* From here it is a group, whatever follows. */
	ap->lx.p++;
	int r = rfc822_skip_cfws(&ap->lx);

	if (r <= 0)
		ap->addr.invalid = true;
	ap->addr.mailbox = dup_buf(ap, &ap->str);
	add_address(ap);
	if (r > 0 && peek(ap) != ';') {
		while (!full(ap)) {
			/* a broken member does not end the group */
			(void)mailbox(ap);
			if (peek(ap) != ',')
				break;
			ap->lx.p++;
			if (rfc822_skip_cfws(&ap->lx) <= 0) {
				r = -1;
				break;
			}
		}
	}
	if (r >= 0) {
		if (peek(ap) != ';') {
			r = -1;
		} else {
			ap->lx.p++;
			r = rfc822_skip_cfws(&ap->lx);
		}
	}
	if (r < 0)
		ap->addr.invalid = true;
	add_address(ap);   /* the group's end: mailbox and domain NULL */
	return r == 0 ? 0 : 1;
}

struct mail_address *mail_address_parse(struct arena *arena, const char *value, size_t len,
					unsigned int max, unsigned int flags)
{
	struct aparser ap;

	memset(&ap, 0, sizeof(ap));
	rfc822_lexer_init(&ap.lx, value, len);
	ap.arena = arena;
	ap.max = max;
	ap.fill = (flags & MAIL_ADDRESS_FILL_MISSING) != 0;
	/* Phrases gain at most one separator per byte read, and a NUL
	 * becomes three bytes. */
	buf_init(&ap.str, 4 * len + 16);
	buf_init(&ap.comment, 3 * len + 1);
	ap.lx.comment = &ap.comment;

	if (rfc822_skip_cfws(&ap.lx) > 0) {
		while (!full(&ap)) {
			const unsigned char *start = ap.lx.p;
			int r = group(&ap);

			if (r < 0) {
				ap.lx.p = start;
				memset(&ap.addr, 0, sizeof(ap.addr));
				r = mailbox(&ap);
			}
			if (r == 0 || peek(&ap) != ',')
				break;
			ap.lx.p++;
			/* An unterminated comment after the comma still gives
			 * an (empty) address, as in Dovecot. */
			if (rfc822_skip_cfws(&ap.lx) == 0)
				break;
		}
	}
	buf_free(&ap.str);
	buf_free(&ap.comment);
	return ap.first;
}

const struct mail_address *mail_address_first(const struct mail_address *list)
{
	for (; list != NULL; list = list->next) {
		if (list->mailbox != NULL && list->domain != NULL)
			return list;
	}
	return NULL;
}

void mail_address_display_name(const struct mail_address *addr, struct buf *out)
{
	if (addr == NULL)
		return;
	if (addr->name != NULL && addr->name[0] != '\0') {
		rfc2047_decode(addr->name, strlen(addr->name), out);
		return;
	}
	if (addr->mailbox != NULL)
		buf_append_str(out, addr->mailbox);
	if (addr->domain != NULL && addr->domain[0] != '\0') {
		buf_append_char(out, '@');
		buf_append_str(out, addr->domain);
	}
}
