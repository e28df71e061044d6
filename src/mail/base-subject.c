/* RFC 5256 §2.1 base subject extraction. Works on one normalised copy by
 * moving its two ends inwards; every rescan starts where the last removal
 * ended, so the whole is linear in the subject's length. */
#include "mail/base-subject.h"

#include <strings.h>

#include "core/arena.h"

/* After step (1) the only whitespace left is single spaces, so the ABNF's
 * WSP is ' ' here. */

/* subj-blob = "[" *BLOBCHAR "]" *WSP at p; returns the position after it,
 * or p when there is none (BLOBCHAR is any CHAR but '[' and ']'). */
static size_t blob_end(const char *s, size_t p, size_t e)
{
	size_t q = p + 1;

	if (p >= e || s[p] != '[')
		return p;
	while (q < e && s[q] != '[' && s[q] != ']')
		q++;
	if (q >= e || s[q] != ']')
		return p;
	q++;
	while (q < e && s[q] == ' ')
		q++;
	return q;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at p; returns the
 * position after the colon, or 0. ("fwd" is tried first: "fw" followed by
 * 'd' can never continue to a colon.) */
static size_t refwd_end(const char *s, size_t p, size_t e)
{
	size_t q;

	if (e - p >= 3 && strncasecmp(s + p, "fwd", 3) == 0)
		q = p + 3;
	else if (e - p >= 2 && (strncasecmp(s + p, "re", 2) == 0 || strncasecmp(s + p, "fw", 2) == 0))
		q = p + 2;
	else
		return 0;
	while (q < e && s[q] == ' ')
		q++;
	q = blob_end(s, q, e);
	return q < e && s[q] == ':' ? q + 1 : 0;
}

const char *base_subject(struct arena *arena, const char *subject, size_t len,
			 bool *reply_or_forward_r)
{
	char *s = arena_alloc(arena, len + 1);
	bool refwd = false;
	size_t n = 0;

	/* (1) Tabs and line breaks (continuations) to spaces, runs of spaces to
	 * one. A NUL cannot be part of a C string result: dropped. */
	for (size_t i = 0; i < len; i++) {
		char c = subject[i];

		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c == '\0' || (c == ' ' && n > 0 && s[n - 1] == ' '))
			continue;
		s[n++] = c;
	}

	size_t b = 0, e = n;
	for (;;) {
		/* (2) Trailing subj-trailer ("(fwd)" / WSP), repeatedly. */
		for (;;) {
			if (e > b && s[e - 1] == ' ') {
				e--;
			} else if (e - b >= 5 && strncasecmp(s + e - 5, "(fwd)", 5) == 0) {
				e -= 5;
				refwd = true;
			} else {
				break;
			}
		}
		/* (3)-(5) Leading subj-leader, and subj-blobs while a non-empty
		 * base remains, until neither applies. */
		for (;;) {
			if (b < e && s[b] == ' ') {
				b++;
				continue;
			}
			/* subj-leader = *subj-blob subj-refwd: a refwd can only
			 * follow the whole run of blobs (it starts with a letter). */
			size_t f = b, last = b, r;
			while ((r = blob_end(s, f, e)) != f) {
				last = f;
				f = r;
			}
			r = refwd_end(s, f, e);
			if (r != 0) {
				b = r;
				refwd = true;
				continue;
			}
			if (f == b)
				break;
			/* (4) removes the blobs one by one; (3) cannot match
			 * between them (the same run and text follow each time),
			 * so they all go, except the last one when nothing
			 * else is left: it is then the base subject. */
			if (f < e)
				b = f;
			else if (last > b)
				b = last;
			else
				break;
		}
		/* (6) subj-fwd-hdr "[fwd:" ... subj-fwd-trl "]": unwrap, and
		 * start again from (2). */
		if (e - b >= 6 && strncasecmp(s + b, "[fwd:", 5) == 0 && s[e - 1] == ']') {
			b += 5;
			e--;
			refwd = true;
			continue;
		}
		break;
	}
	s[e] = '\0';
	if (reply_or_forward_r != NULL)
		*reply_or_forward_r = refwd;
	return s + b;
}
