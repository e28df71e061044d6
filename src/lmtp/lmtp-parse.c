/* The LMTP grammar: lmtp-parse.h. */
#include "lmtp/lmtp-parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"

enum lmtp_verb lmtp_parse_verb(const char *line, const char **arg_r)
{
	static const struct {
		const char *name;
		enum lmtp_verb verb;
	} verbs[] = {
		{ "LHLO", LMTP_LHLO }, { "MAIL", LMTP_MAIL }, { "RCPT", LMTP_RCPT },
		{ "DATA", LMTP_DATA }, { "RSET", LMTP_RSET }, { "NOOP", LMTP_NOOP },
		{ "VRFY", LMTP_VRFY }, { "QUIT", LMTP_QUIT }, { "HELO", LMTP_HELO },
		{ "EHLO", LMTP_HELO },
	};
	size_t n = strcspn(line, " ");

	*arg_r = line + n + (line[n] == ' ');
	if (n == 0 || n >= LMTP_VERB_MAX)
		return LMTP_UNKNOWN;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) == n && strncasecmp(line, verbs[i].name, n) == 0)
			return verbs[i].verb;
	}
	return LMTP_UNKNOWN;
}

const char *lmtp_parse_path(const char *arg, const char *prefix, char *out, size_t out_size)
{
	size_t plen = strlen(prefix);
	const char *p, *end;

	if (strncasecmp(arg, prefix, plen) != 0)
		return NULL;
	p = arg + plen;
	if (*p == ' ')
		p++;
	if (*p != '<')
		return NULL;
	end = strchr(p + 1, '>');
	if (end == NULL || (size_t)(end - p - 1) >= out_size)
		return NULL;
	memcpy(out, p + 1, (size_t)(end - p - 1));
	out[end - p - 1] = '\0';
	for (const char *c = out; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x21 || *c == '<' || *c == '>' || (unsigned char)*c == 0x7f)
			return NULL;
	}
	return end + 1;
}

enum lmtp_param_result lmtp_parse_mail_params(const char *rest, uint64_t limit)
{
	while (*rest != '\0') {
		char param[64];
		size_t n;

		if (*rest != ' ')
			return LMTP_PARAM_SYNTAX;
		rest++;
		n = strcspn(rest, " ");
		if (n == 0)
			continue;
		if (n >= sizeof(param))
			return LMTP_PARAM_SYNTAX;
		memcpy(param, rest, n);
		param[n] = '\0';
		rest += n;
		if (strncasecmp(param, "SIZE=", 5) == 0) {
			uint64_t size = 0;

			if (param[5] == '\0' || strlen(param + 5) > 19)
				return LMTP_PARAM_SYNTAX;
			for (const char *d = param + 5; *d != '\0'; d++) {
				if (*d < '0' || *d > '9')
					return LMTP_PARAM_SYNTAX;
				size = size * 10 + (uint64_t)(*d - '0');
			}
			if (size > limit)
				return LMTP_PARAM_TOO_BIG;
		} else if (strcasecmp(param, "BODY=7BIT") != 0 &&
			   strcasecmp(param, "BODY=8BITMIME") != 0) {
			return LMTP_PARAM_UNSUPPORTED;
		}
	}
	return LMTP_PARAM_OK;
}

void lmtp_data_begin(struct lmtp_data *d, uint64_t limit)
{
	d->len = 0;
	d->limit = limit;
	d->too_big = false;
	d->line_start = true;
}

void lmtp_data_free(struct lmtp_data *d)
{
	free(d->msg);
	d->msg = NULL;
	d->len = d->alloc = 0;
}

void lmtp_data_append(struct lmtp_data *d, const void *bytes, size_t len)
{
	if (d->too_big)
		return;
	if (d->len + len > d->limit) {
		d->too_big = true;
		return;
	}
	if (d->len + len > d->alloc) {
		size_t want = d->alloc == 0 ? 16 * 1024 : d->alloc;

		while (want < d->len + len)
			want *= 2;
		d->msg = xrealloc(d->msg, want);
		d->alloc = want;
	}
	if (len > 0)
		memcpy(d->msg + d->len, bytes, len);
	d->len += len;
}

bool lmtp_data_piece(struct lmtp_data *d, const char *p, size_t n, bool whole_line)
{
	if (d->line_start && whole_line && n == 1 && p[0] == '.')
		return true;
	if (d->line_start && n > 0 && p[0] == '.') {   /* RFC 5321 §4.5.2 */
		p++;
		n--;
	}
	lmtp_data_append(d, p, n);
	if (whole_line)
		lmtp_data_append(d, "\r\n", 2);
	d->line_start = whole_line;
	return false;
}
