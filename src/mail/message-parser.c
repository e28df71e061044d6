/* The streaming MIME parser. Bytes are consumed a line at a time; at the
 * start of a line inside a multipart, up to PEEK_MAX bytes are held to
 * decide whether the line is a delimiter, and nothing else is buffered but
 * the current part's header (bounded). All positions are kept as absolute
 * byte and line counts, so a part's sizes are differences of two positions
 * and come out the same however the input is chunked. */
#include "mail/message-parser.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "mail/header.h"

/* "--" boundary "--": enough of a line to tell a delimiter from text. */
#define PEEK_MAX (2 + MESSAGE_PARSER_BOUNDARY_MAX + 2)

/* A part with the parser's bookkeeping; the public struct comes first so a
 * message_part pointer converts back. */
struct mpart {
	struct message_part part;
	uint64_t header_line, body_line;    /* line numbers where they start */
	struct mpart *last_child;
	bool header_done;
	bool header_blank;                  /* ended by its blank line (not cut) */
	bool closed;                        /* close delimiter seen */
};

enum parse_mode {
	MODE_HEADER,
	MODE_BODY,
	MODE_BOUNDARY_LINE,    /* rest of a delimiter line, then a new part */
};

struct boundary {
	const char *str;
	size_t len;
	struct mpart *part;
};

struct message_parser {
	struct arena *arena;      /* the tree */
	struct arena *scratch;    /* header parsing, reset per part */
	struct mpart *root, *cur;
	enum parse_mode mode;

	uint64_t offset, lines;   /* bytes and LFs consumed */
	uint64_t line_bytes;      /* bytes of the current line before its LF */
	bool line_start;          /* the next byte starts a line */
	bool last_cr;             /* the last byte consumed was CR */
	unsigned int prev_eol;    /* 0, 1 or 2: the line break just before offset */
	bool after_close_line;    /* the last complete line was a close delimiter */

	char *header;             /* cur's header, at most MESSAGE_PARSER_HEADER_MAX */
	size_t header_len;

	/* Active boundaries, outermost first; at most one per nesting level. */
	struct boundary bounds[MESSAGE_PARSER_MAX_DEPTH];
	unsigned int nbounds;
	unsigned char peek[PEEK_MAX];
	size_t peek_len;
	struct mpart *pending_parent;   /* MODE_BOUNDARY_LINE: next child's parent */

	unsigned int part_count;
	message_header_callback *callback;
	void *callback_context;
};

static void new_part(struct message_parser *p, struct mpart *parent)
{
	struct mpart *mp = arena_alloc(p->arena, sizeof(*mp));
	struct message_part *part = &mp->part;

	part->header_offset = p->offset;
	mp->header_line = p->lines;
	part->type = "text";
	part->subtype = "plain";
	if (parent != NULL) {
		part->parent = &parent->part;
		part->depth = parent->part.depth + 1;
		if (parent->last_child != NULL)
			parent->last_child->part.next = part;
		else
			parent->part.children = part;
		parent->last_child = mp;
	}
	p->part_count++;
	p->cur = mp;
	p->mode = MODE_HEADER;
	p->header_len = 0;
}

static bool can_split(const struct message_parser *p, const struct mpart *mp)
{
	return mp->part.depth + 1 < MESSAGE_PARSER_MAX_DEPTH &&
	       p->part_count < MESSAGE_PARSER_MAX_PARTS;
}

/* cur's header has ended at offset. split: whether its body may be split
 * (false when the header was cut by a boundary or the end). */
static void header_done(struct message_parser *p, bool split)
{
	struct mpart *mp = p->cur;
	struct message_part *part = &mp->part;
	const struct message_part *parent = part->parent;
	struct header_field f;

	mp->header_done = true;
	mp->header_blank = split;
	part->body_offset = p->offset;
	mp->body_line = p->lines;
	part->header_size.bytes = p->offset - part->header_offset;
	part->header_size.lines = p->lines - mp->header_line;

	/* RFC 2046 §5.1.5: in a digest the default is message/rfc822. */
	if (parent != NULL && (parent->flags & MESSAGE_PART_FLAG_MULTIPART) &&
	    strcmp(parent->subtype, "digest") == 0) {
		part->type = "message";
		part->subtype = "rfc822";
	}
	const char *boundary = NULL;

	if (p->header_len > 0 && header_find(p->header, p->header_len, "Content-Type", &f)) {
		struct mime_content_type ct;

		mime_content_type_parse(p->scratch, f.value, f.value_len, &ct);
		part->type = arena_strdup(p->arena, ct.type);
		part->subtype = arena_strdup(p->arena, ct.subtype);
		boundary = mime_param_get(&ct.params, "boundary");
	}
	bool multipart = strcmp(part->type, "multipart") == 0 && boundary != NULL &&
			 boundary[0] != '\0' && strlen(boundary) <= MESSAGE_PARSER_BOUNDARY_MAX;
	bool rfc822 = strcmp(part->type, "message") == 0 && strcmp(part->subtype, "rfc822") == 0;

	if (multipart || rfc822) {
		if (split && can_split(p, mp)) {
			if (multipart) {
				part->flags |= MESSAGE_PART_FLAG_MULTIPART;
				part->boundary = arena_strdup(p->arena, boundary);
				p->bounds[p->nbounds++] = (struct boundary){
					.str = part->boundary, .len = strlen(boundary), .part = mp,
				};
			} else {
				part->flags |= MESSAGE_PART_FLAG_MESSAGE_RFC822;
			}
		} else if (split) {
			part->flags |= MESSAGE_PART_FLAG_LIMITED;
		} else if (multipart) {
			/* The header ends the message: a multipart with no parts. */
			part->flags |= MESSAGE_PART_FLAG_MULTIPART;
		}
	} else if (strcmp(part->type, "multipart") == 0 && (split ? can_split(p, mp) : true)) {
		/* No usable boundary: as in Dovecot, a multipart without parts
		 * whose body is opaque. BODYSTRUCTURE shows one empty
		 * text/plain stand-in, so section 1 is empty, not the body. */
		part->flags |= MESSAGE_PART_FLAG_MULTIPART;
	}
	if (p->callback != NULL)
		p->callback(part, p->header != NULL ? p->header : "", p->header_len,
			    p->callback_context);
	arena_reset(p->scratch);
	p->header_len = 0;
	if (!split)
		return;
	p->mode = MODE_BODY;
	if (part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822)
		new_part(p, mp);   /* the nested message's header starts here */
}

/* Ends mp's body at end / end_line. */
static void end_part(struct mpart *mp, uint64_t end, uint64_t end_line)
{
	struct message_part *part = &mp->part;

	part->body_size.bytes = end - part->body_offset;
	part->body_size.lines = end_line - mp->body_line;
	if ((part->flags & MESSAGE_PART_FLAG_MULTIPART) && part->boundary != NULL && !mp->closed)
		part->flags |= MESSAGE_PART_FLAG_NO_FINAL_BOUNDARY;
}

/* Ends cur and its ancestors up to (not including) stop, at offset. At a
 * delimiter, the line break before it belongs to the delimiter (RFC 2046
 * §5.1.1), provided it lies in cur's body: when cur's header (or nothing)
 * precedes the delimiter, the break belongs to that header. All the parts
 * ended share one end, so each still contains its children. */
static void end_until(struct message_parser *p, struct mpart *stop, bool at_delimiter)
{
	uint64_t end = p->offset, end_line = p->lines;

	if (p->cur != stop && !p->cur->header_done)
		header_done(p, false);
	/* Dovecot's counting, which BODYSTRUCTURE sizes and sections follow:
	 * a close delimiter's line break is its own, even when the next line
	 * is an outer delimiter. */
	if (at_delimiter && p->prev_eol > 0 && !p->after_close_line) {
		struct mpart *mp = p->cur;
		struct message_part *part = &mp->part;
		const struct message_part *parent = part->parent;

		if (end - p->prev_eol >= part->body_offset) {
			end -= p->prev_eol;
			end_line--;
		} else if (mp != stop && mp->header_blank && parent != NULL &&
			   (parent->flags & MESSAGE_PART_FLAG_MULTIPART) &&
			   end - p->prev_eol >= part->header_offset) {
			/* A MIME part the delimiter ends right after its header's
			 * blank line: that line break still belongs to the
			 * delimiter, as Dovecot counts, so .MIME ends before it.
			 * (A header the delimiter cut keeps its last break; a
			 * multipart's own first delimiter leaves it alone.) */
			part->header_size.bytes -= p->prev_eol;
			part->header_size.lines--;
			part->body_offset -= p->prev_eol;
			mp->body_line--;
			end -= p->prev_eol;
			end_line--;
		}
	}
	while (p->cur != stop) {
		end_part(p->cur, end, end_line);
		p->cur = (struct mpart *)p->cur->part.parent;
	}
}

/* A delimiter line of bounds[idx] starts at offset. */
static void delimiter(struct message_parser *p, unsigned int idx, bool close)
{
	struct mpart *m = p->bounds[idx].part;

	/* An outer boundary ends every part inside it, and the inner
	 * multiparts' boundaries with them. */
	end_until(p, m, true);
	if (close) {
		m->closed = true;   /* the rest is the epilogue */
		p->nbounds = idx;
		p->pending_parent = NULL;
	} else {
		p->nbounds = idx + 1;
		p->pending_parent = m;
	}
	p->mode = MODE_BOUNDARY_LINE;
}

/* Consumes d up to and including its first LF (or all of it). */
static size_t content(struct message_parser *p, const unsigned char *d, size_t n)
{
	const unsigned char *lf = memchr(d, '\n', n);
	size_t len = lf != NULL ? (size_t)(lf - d) + 1 : n;
	size_t text = lf != NULL ? len - 1 : len;
	struct message_part *part = &p->cur->part;

	if (p->mode == MODE_HEADER) {
		size_t room = MESSAGE_PARSER_HEADER_MAX - p->header_len;
		size_t take = len < room ? len : room;

		if (take > 0) {
			if (p->header == NULL)
				p->header = xmalloc(MESSAGE_PARSER_HEADER_MAX);
			memcpy(p->header + p->header_len, d, take);
			p->header_len += take;
		}
	} else if (p->mode == MODE_BODY) {
		const unsigned int both = MESSAGE_PART_FLAG_HAS_8BIT | MESSAGE_PART_FLAG_HAS_NUL;

		for (size_t i = 0; i < len && (part->flags & both) != both; i++) {
			if (d[i] == '\0')
				part->flags |= MESSAGE_PART_FLAG_HAS_NUL;
			else if (d[i] >= 0x80)
				part->flags |= MESSAGE_PART_FLAG_HAS_8BIT;
		}
	}
	bool cr_before_lf = text > 0 ? d[text - 1] == '\r' : p->last_cr;

	p->line_bytes += text;
	p->offset += len;
	p->line_start = false;
	if (len > 0)
		p->last_cr = d[len - 1] == '\r';
	if (lf == NULL)
		return len;

	bool blank = p->line_bytes == 0 || (p->line_bytes == 1 && cr_before_lf);

	p->lines++;
	p->prev_eol = cr_before_lf ? 2 : 1;
	p->line_bytes = 0;
	p->line_start = true;
	if (p->mode == MODE_HEADER && blank) {
		header_done(p, true);
	} else if (p->mode == MODE_BOUNDARY_LINE) {
		p->after_close_line = p->pending_parent == NULL;
		if (p->pending_parent != NULL)
			new_part(p, p->pending_parent);
		else
			p->mode = MODE_BODY;
		p->pending_parent = NULL;
		return len;
	}
	p->after_close_line = false;
	return len;
}

static bool boundary_check_wanted(const struct message_parser *p)
{
	/* Past the part limit no boundary is recognised (as Dovecot). */
	return p->nbounds > 0 && p->part_count < MESSAGE_PARSER_MAX_PARTS;
}

/* Holds the start of a line in peek until it is known whether the line is
 * a delimiter. Returns the bytes taken; *decided when enough is held. */
static size_t peek_fill(struct message_parser *p, const unsigned char *d, size_t n, bool *decided)
{
	size_t k = 0;

	*decided = false;
	while (k < n && p->peek_len < PEEK_MAX) {
		unsigned char c = d[k++];

		p->peek[p->peek_len++] = c;
		if ((p->peek_len <= 2 && c != '-') || c == '\n') {
			*decided = true;
			return k;
		}
	}
	*decided = p->peek_len == PEEK_MAX;
	return k;
}

/* Decides on the held line start and consumes it. */
static void peek_resolve(struct message_parser *p)
{
	unsigned char line[PEEK_MAX];
	size_t n = p->peek_len;
	int idx = -1;

	memcpy(line, p->peek, n);
	p->peek_len = 0;
	if (n >= 2 && line[0] == '-' && line[1] == '-') {
		const unsigned char *s = line + 2;
		size_t l = n - 2;

		if (l > 0 && s[l - 1] == '\n')
			l--;
		if (l > 0 && s[l - 1] == '\r')
			l--;
		/* Dovecot's rule: the line need only begin with "--boundary";
		 * of several matching boundaries the longest wins, so a nested
		 * boundary that extends its parent's is told apart. Transport
		 * padding after the boundary is thereby accepted too. */
		for (unsigned int i = p->nbounds; i-- > 0;) {
			const struct boundary *b = &p->bounds[i];

			if (b->len <= l && memcmp(s, b->str, b->len) == 0 &&
			    (idx < 0 || b->len > p->bounds[idx].len))
				idx = (int)i;
		}
		if (idx >= 0) {
			size_t bl = p->bounds[idx].len;

			delimiter(p, (unsigned int)idx, l >= bl + 2 && s[bl] == '-' && s[bl + 1] == '-');
		}
	}
	for (size_t k = 0; k < n;)
		k += content(p, line + k, n - k);
}

struct message_parser *message_parser_create(struct arena *arena)
{
	struct message_parser *p = xcalloc(1, sizeof(*p));

	p->arena = arena;
	p->scratch = arena_create(4096);
	p->line_start = true;
	new_part(p, NULL);
	p->root = p->cur;
	return p;
}

void message_parser_set_header_callback(struct message_parser *parser,
					message_header_callback *callback, void *context)
{
	parser->callback = callback;
	parser->callback_context = context;
}

void message_parser_feed(struct message_parser *p, const void *data, size_t size)
{
	const unsigned char *d = data;

	while (size > 0) {
		size_t used;

		if (p->peek_len > 0 || (p->line_start && boundary_check_wanted(p))) {
			bool decided;

			used = peek_fill(p, d, size, &decided);
			if (decided)
				peek_resolve(p);
		} else {
			used = content(p, d, size);
		}
		d += used;
		size -= used;
	}
}

struct message_part *message_parser_finish(struct message_parser *p)
{
	if (p->peek_len > 0)
		peek_resolve(p);
	if (p->mode == MODE_BOUNDARY_LINE && p->pending_parent != NULL) {
		/* "--boundary" as the last line without a line break still
		 * starts a (empty) part, as it would with one. */
		new_part(p, p->pending_parent);
		p->pending_parent = NULL;
	}
	end_until(p, NULL, false);
	p->cur = p->root;
	p->nbounds = 0;
	return &p->root->part;
}

void message_parser_destroy(struct message_parser **parser)
{
	struct message_parser *p = *parser;

	if (p == NULL)
		return;
	arena_destroy(&p->scratch);
	free(p->header);
	free(p);
	*parser = NULL;
}
