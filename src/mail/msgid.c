/* msg-id extraction for threading: a scan that never goes back more than to
 * a '<' it has not yet read, so each byte is looked at a bounded number of
 * times; bounded output per id. */
#include "mail/msgid.h"

#include "core/arena.h"
#include "core/buf.h"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* p at '('; returns the position after the matching ')' (comments nest,
 * RFC 5322 §3.2.2) or end. */
static const char *skip_comment(const char *p, const char *end)
{
	size_t depth = 0;

	while (p < end) {
		char c = *p++;

		if (c == '\\' && p < end)
			p++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return p;
	}
	return end;
}

/* p at '"'; returns the position after the closing quote, or end. */
static const char *skip_quoted(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return end;
}

struct id_state {
	struct buf *out;
	size_t left, right;      /* bytes before and after the '@' */
	bool at, bad;
};

static void id_add(struct id_state *st, char c)
{
	unsigned char u = (unsigned char)c;

	if (u < 0x20 || u == 0x7f) {
		st->bad = true;
		return;
	}
	if (st->at)
		st->right++;
	else
		st->left++;
	/* Stop growing once it cannot be an id; the scan goes on to '>'. */
	if (st->out->len < MSGID_MAX + 1)
		buf_append_char(st->out, c);
}

/* p at '<'. Returns where to go on: after the '>' (*ok_r tells whether an id
 * was read), or at a later '<' that restarts the id. */
static const char *read_id(const char *p, const char *end, struct buf *out, bool *ok_r)
{
	struct id_state st = { .out = out };

	buf_clear(out);
	*ok_r = false;
	for (p++; p < end;) {
		char c = *p;

		if (c == '>') {
			*ok_r = st.at && st.left > 0 && st.right > 0 && !st.bad &&
				!out->overflow && out->len <= MSGID_MAX;
			return p + 1;
		}
		if (c == '<')
			return p;
		if (c == '"') {
			/* quoted-string local part: the quotes go, escapes are
			 * resolved, folding line breaks dropped. */
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\r' || *p == '\n')
					continue;
				if (*p == '\\' && p + 1 < end)
					p++;
				id_add(&st, *p);
			}
			if (p == end)
				return end;
			p++;
			continue;
		}
		if (c == '(') {
			p = skip_comment(p, end);
			continue;
		}
		p++;
		if (is_wsp(c))
			continue;          /* CFWS of obs-id-left / obs-id-right */
		if (c == '@' && !st.at) {
			st.at = true;
			if (out->len < MSGID_MAX + 1)
				buf_append_char(out, '@');
			continue;
		}
		if (c == '\\' && p < end)
			c = *p++;          /* obs quoted-pair */
		id_add(&st, c);
	}
	return end;
}

bool msgid_next(const char **pos, const char *end, struct buf *id)
{
	const char *p = *pos;

	while (p < end) {
		char c = *p;

		if (c == '(') {
			p = skip_comment(p, end);
		} else if (c == '"') {
			p = skip_quoted(p, end);
		} else if (c == '<') {
			bool ok;

			p = read_id(p, end, id, &ok);
			if (ok) {
				*pos = p;
				return true;
			}
		} else {
			p++;
		}
	}
	*pos = end;
	buf_clear(id);
	return false;
}

const char *msgid_first(struct arena *arena, const char *value, size_t len)
{
	const char *p = value, *result = NULL;
	struct buf id;

	if (value == NULL)
		return NULL;
	buf_init(&id, MSGID_MAX + 1);
	if (msgid_next(&p, value + len, &id))
		result = arena_strndup(arena, id.data, id.len);
	buf_free(&id);
	return result;
}

size_t msgid_count(const char *value, size_t len)
{
	const char *p = value;
	size_t n = 0;
	struct buf id;

	if (value == NULL)
		return 0;
	buf_init(&id, MSGID_MAX + 1);
	while (msgid_next(&p, value + len, &id))
		n++;
	buf_free(&id);
	return n;
}
