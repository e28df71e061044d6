/* Search folding (casefold.h) on utf8proc's per-character decomposition:
 * the input is decoded here with the strict core codec so that invalid
 * bytes become U+FFFD instead of failing the whole string, and combining
 * marks are put in canonical order with a small bounded buffer. */
#include "mail/casefold.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

#include "core/utf8.h"

#define FOLD_OPTIONS (UTF8PROC_CASEFOLD | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_IGNORE)
/* The longest folding of one character is U+FDFA's 18 code points. */
#define FOLD_CP_MAX 64
#define REPLACEMENT 0xFFFD

struct folder {
	struct buf *out;
	bool full;                         /* out refused an append: stop */
	size_t stage_len;
	char stage[1024];
	unsigned int nmarks;
	int32_t marks[CASEFOLD_MARKS_MAX];
	uint8_t classes[CASEFOLD_MARKS_MAX];
};

static size_t utf8_len_of_lead(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static void stage_flush(struct folder *f)
{
	if (f->stage_len == 0 || f->full) {
		f->stage_len = 0;
		return;
	}
	if (!buf_append(f->out, f->stage, f->stage_len)) {
		/* Keep what fits, whole characters only. */
		size_t i = 0;

		while (i < f->stage_len) {
			size_t n = utf8_len_of_lead((unsigned char)f->stage[i]);

			if (!buf_append(f->out, f->stage + i, n))
				break;
			i += n;
		}
		f->out->overflow = true;
		f->full = true;
	}
	f->stage_len = 0;
}

/* Both emitters make room first: emit_cp() may fill the stage to its last
 * byte, so emit_byte() must not assume a free one. */
static inline void emit_byte(struct folder *f, char c)
{
	if (f->stage_len == sizeof(f->stage))
		stage_flush(f);
	f->stage[f->stage_len++] = c;
}

static void emit_cp(struct folder *f, int32_t cp)
{
	if (f->stage_len + 4 > sizeof(f->stage))
		stage_flush(f);
	f->stage_len += utf8_encode((uint32_t)cp, f->stage + f->stage_len);
}

/* Canonical ordering (Unicode §3.11): a stable sort of the marks after a
 * starter by combining class. Insertion sort: at most CASEFOLD_MARKS_MAX. */
static void marks_flush(struct folder *f)
{
	for (unsigned int i = 1; i < f->nmarks; i++) {
		int32_t cp = f->marks[i];
		uint8_t cc = f->classes[i];
		unsigned int j = i;

		for (; j > 0 && f->classes[j - 1] > cc; j--) {
			f->marks[j] = f->marks[j - 1];
			f->classes[j] = f->classes[j - 1];
		}
		f->marks[j] = cp;
		f->classes[j] = cc;
	}
	for (unsigned int i = 0; i < f->nmarks; i++)
		emit_cp(f, f->marks[i]);
	f->nmarks = 0;
}

static void fold_cp(struct folder *f, int32_t cp)
{
	utf8proc_int32_t cps[FOLD_CP_MAX];
	int boundclass = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char(cp, cps, FOLD_CP_MAX, FOLD_OPTIONS,
						     &boundclass);

	if (n < 0 || n > FOLD_CP_MAX) {
		cps[0] = REPLACEMENT;
		n = 1;
	}
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		int cc = utf8proc_get_property(cps[i])->combining_class;

		if (cc == 0) {
			if (f->nmarks > 0)
				marks_flush(f);
			emit_cp(f, cps[i]);
		} else {
			if (f->nmarks == CASEFOLD_MARKS_MAX)
				marks_flush(f);
			f->marks[f->nmarks] = cps[i];
			f->classes[f->nmarks++] = (uint8_t)cc;
		}
	}
}

void casefold_utf8(const char *in, size_t len, struct buf *out)
{
	struct folder f;
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;

	f.out = out;
	f.full = out->overflow;
	f.stage_len = 0;
	f.nmarks = 0;
	while (i < len && !f.full) {
		unsigned char c = p[i];

		if (c < 0x80 && c != 0) {
			/* ASCII: a starter, folded by hand. */
			if (f.nmarks > 0)
				marks_flush(&f);
			i++;
			if (c == '\r' && i < len && p[i] == '\n')
				continue;
			emit_byte(&f, c >= 'A' && c <= 'Z' ? (char)(c + 32) : (char)c);
			continue;
		}
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0 || cp == 0) {
			cp = REPLACEMENT;        /* one U+FFFD per bad byte, as charset_to_utf8 */
			n = 1;
		}
		i += n;
		fold_cp(&f, (int32_t)cp);
	}
	if (f.nmarks > 0 && !f.full)
		marks_flush(&f);
	stage_flush(&f);
}

bool casefold_contains(const char *text, size_t text_len, const char *key, size_t key_len)
{
	if (key_len == 0)
		return true;
	return memmem(text, text_len, key, key_len) != NULL;
}
