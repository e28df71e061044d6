/* ENVELOPE from a header block. One pass over the fields collects the ten
 * values; addresses are parsed by address.c and written with the string
 * rules of imap-string.c. Nothing here allocates outside the scratch arena
 * and the output buf. */
#include "mail/imap-envelope.h"

#include <string.h>
#include <strings.h>

#include "mail/imap-string.h"

enum env_list { ENV_FROM, ENV_SENDER, ENV_REPLY_TO, ENV_TO, ENV_CC, ENV_BCC, ENV_LIST_COUNT };
enum env_text { ENV_DATE, ENV_SUBJECT, ENV_IN_REPLY_TO, ENV_MESSAGE_ID, ENV_TEXT_COUNT };

static const char *const list_names[ENV_LIST_COUNT] = {
	"from", "sender", "reply-to", "to", "cc", "bcc",
};
static const char *const text_names[ENV_TEXT_COUNT] = {
	"date", "subject", "in-reply-to", "message-id",
};

struct env_addresses {
	struct mail_address *first, *last;
	unsigned int count;
};

/* Whether the line break at lf is followed by a line of exactly one
 * space or tab. */
static bool before_single_wsp_line(const char *lf, const char *end)
{
	const char *next = lf + 2;

	if (lf + 1 >= end || (lf[1] != ' ' && lf[1] != '\t'))
		return false;
	return next == end || *next == '\n' || (*next == '\r' && next + 1 < end && next[1] == '\n');
}

void imap_header_value(struct arena *arena, const struct header_field *field,
		       const char **value_r, size_t *len_r)
{
	const char *v = field->value, *end = v + field->value_len;
	const char *lf = memchr(v, '\n', field->value_len);
	const char *line_end = lf != NULL ? lf : end;
	bool blank = true;

	/* Dovecot ends a line at its LF and drops every CR before it */
	while (end > v && end[-1] == '\r')
		end--;
	if (line_end > end)
		line_end = end;
	while (line_end > v && line_end[-1] == '\r')
		line_end--;
	for (const char *p = v; p < line_end; p++) {
		if (*p != ' ' && *p != '\t') {
			blank = false;
			break;
		}
	}
	if (!blank) {
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
	} else if (line_end > v) {
		v++;   /* Dovecot keeps all but one byte of a blank first line */
	}
	*value_r = v;
	*len_r = (size_t)(end - v);

	/* Dovecot joins a continuation line of a single space or tab without
	 * the line break before it ("a\r\n \r\n b" is "a \r\n b"). */
	bool any = false;

	for (const char *p = v; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		if (before_single_wsp_line(p, end)) {
			any = true;
			break;
		}
	}
	if (!any)
		return;
	char *copy = arena_alloc(arena, (size_t)(end - v) + 1), *w = copy;

	for (const char *p = v; p < end; p++) {
		if (*p == '\n' && before_single_wsp_line(p, end)) {
			if (w > copy && w[-1] == '\r')
				w--;
			continue;
		}
		*w++ = *p;
	}
	*value_r = copy;
	*len_r = (size_t)(w - copy);
}

static void write_addresses(struct buf *out, const struct mail_address *a)
{
	if (a == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	for (; a != NULL; a = a->next) {
		buf_append_char(out, '(');
		if (a->name != NULL)
			imap_write_string_for_humans(out, a->name, strlen(a->name));
		else
			buf_append_str(out, "NIL");
		buf_append_char(out, ' ');
		imap_write_nstring(out, a->route, a->route != NULL ? strlen(a->route) : 0);
		buf_append_char(out, ' ');
		imap_write_nstring(out, a->mailbox, a->mailbox != NULL ? strlen(a->mailbox) : 0);
		buf_append_char(out, ' ');
		imap_write_nstring(out, a->domain, a->domain != NULL ? strlen(a->domain) : 0);
		buf_append_char(out, ')');
	}
	buf_append_char(out, ')');
}

void imap_envelope_write(struct arena *scratch, const char *header, size_t size, struct buf *out)
{
	struct env_addresses lists[ENV_LIST_COUNT];
	const char *text[ENV_TEXT_COUNT] = { NULL };
	size_t text_len[ENV_TEXT_COUNT] = { 0 };
	struct header_iter it;
	struct header_field f;

	memset(lists, 0, sizeof(lists));
	/* NUL bytes stay: the address parser treats them as Dovecot's does,
	 * and the string writers turn them into U+FFFD. */
	header_iter_init(&it, header != NULL ? header : "", header != NULL ? size : 0);
	while (header_iter_next(&it, &f)) {
		const char *v;
		size_t len;

		/* the shortest name is "cc", the longest "in-reply-to" */
		if (f.name_len < 2 || f.name_len > 11)
			continue;
		for (unsigned int i = 0; i < ENV_TEXT_COUNT; i++) {
			if (strlen(text_names[i]) == f.name_len &&
			    strncasecmp(f.name, text_names[i], f.name_len) == 0) {
				imap_header_value(scratch, &f, &text[i], &text_len[i]);   /* the last wins */
			}
		}
		for (unsigned int i = 0; i < ENV_LIST_COUNT; i++) {
			struct env_addresses *l = &lists[i];

			if (strlen(list_names[i]) != f.name_len ||
			    strncasecmp(f.name, list_names[i], f.name_len) != 0 ||
			    l->count >= MAIL_ADDRESS_MAX)
				continue;
			imap_header_value(scratch, &f, &v, &len);
			/* Fields of the same name add up, as in Dovecot. */
			struct mail_address *a = mail_address_parse(scratch, v, len,
								    MAIL_ADDRESS_MAX - l->count,
								    MAIL_ADDRESS_FILL_MISSING);

			for (; a != NULL; a = a->next) {
				if (l->last != NULL)
					l->last->next = a;
				else
					l->first = a;
				l->last = a;
				l->count++;
			}
		}
	}

	buf_append_char(out, '(');
	imap_write_nstring_nolf(out, text[ENV_DATE], text_len[ENV_DATE]);
	buf_append_char(out, ' ');
	if (text[ENV_SUBJECT] != NULL)
		imap_write_string_for_humans(out, text[ENV_SUBJECT], text_len[ENV_SUBJECT]);
	else
		buf_append_str(out, "NIL");
	for (unsigned int i = 0; i < ENV_LIST_COUNT; i++) {
		const struct mail_address *a = lists[i].first;

		/* RFC 9051 §7.5.2: sender and reply-to default to from */
		if (a == NULL && (i == ENV_SENDER || i == ENV_REPLY_TO))
			a = lists[ENV_FROM].first;
		buf_append_char(out, ' ');
		write_addresses(out, a);
	}
	buf_append_char(out, ' ');
	imap_write_nstring_nolf(out, text[ENV_IN_REPLY_TO], text_len[ENV_IN_REPLY_TO]);
	buf_append_char(out, ' ');
	imap_write_nstring_nolf(out, text[ENV_MESSAGE_ID], text_len[ENV_MESSAGE_ID]);
	buf_append_char(out, ')');
}
