/* Content-Transfer-Encoding decoding: a byte-at-a-time state machine whose
 * whole state lives in struct transfer_decoder, so a chunk may end
 * anywhere. Output goes through a stack buffer, never a heap allocation
 * per byte, and is cut at out->max without a partial append. */
#include "mail/transfer-decode.h"

#include <string.h>
#include <strings.h>

#include "mail/header.h"

enum {
	/* quoted-printable */
	QP_TEXT,
	QP_CR,          /* a CR that may start a CRLF */
	QP_EQ,          /* '=' */
	QP_EQ_HEX,      /* '=' and one hex digit (in dec->hex) */
	QP_EQ_WS,       /* '=' and whitespace (in dec->ws): a soft break if the line ends */
	QP_EQ_CR,       /* '=', maybe whitespace, and a CR */
	/* base64 */
	B64_DATA,
	B64_PAD1,       /* "xx=": one more '=' is due */
	B64_PADDED,     /* a padded quantum ended the data */
};

/* Bytes of output collected before they are appended to the buffer. */
#define STAGE_SIZE 4096

struct stage {
	struct transfer_decoder *dec;
	struct buf *out;
	size_t len;
	char data[STAGE_SIZE];
};

static void stage_flush(struct stage *st)
{
	struct buf *out = st->out;

	if (out != NULL && st->len > 0 && !out->overflow) {
		size_t room = out->max - out->len;

		if (st->len <= room) {
			buf_append(out, st->data, st->len);
		} else {
			buf_append(out, st->data, room);
			out->overflow = true;
		}
	}
	st->len = 0;
}

static inline void emit(struct stage *st, unsigned char c)
{
	st->dec->size++;
	if (st->out == NULL)
		return;
	st->data[st->len++] = (char)c;
	if (st->len == STAGE_SIZE)
		stage_flush(st);
}

static void emit_ws(struct stage *st)
{
	struct transfer_decoder *dec = st->dec;

	for (unsigned int i = 0; i < dec->ws_len; i++)
		emit(st, dec->ws[i]);
	dec->ws_len = 0;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	/* RFC 2045 §6.7 (1) wants upper case but lets readers accept lower
	 * case; Dovecot and every common reader do. */
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Holds back one space or tab; a run longer than the bound is data. */
static void qp_hold_ws(struct stage *st, unsigned char c)
{
	struct transfer_decoder *dec = st->dec;

	if (dec->ws_len == TRANSFER_QP_WS_MAX)
		emit_ws(st);
	dec->ws[dec->ws_len++] = c;
}

/* "=" + held whitespace (+ CR) that turned out not to be a soft break:
 * kept as written. */
static void qp_emit_literal_eq(struct stage *st, bool cr)
{
	st->dec->invalid = true;
	emit(st, '=');
	emit_ws(st);
	if (cr)
		emit(st, '\r');
}

static void qp_feed(struct stage *st, const unsigned char *p, size_t size)
{
	struct transfer_decoder *dec = st->dec;
	size_t i = 0;

	while (i < size) {
		unsigned char c = p[i];
		int h;

		switch (dec->state) {
		case QP_TEXT:
			i++;
			if (c == ' ' || c == '\t') {
				qp_hold_ws(st, c);
			} else if (c == '\r') {
				dec->state = QP_CR;
			} else if (c == '\n') {
				/* A hard line break is CRLF in the canonical form
				 * (§6.7 (4)); a bare LF is the same break. */
				dec->ws_len = 0;
				emit(st, '\r');
				emit(st, '\n');
			} else if (c == '=') {
				emit_ws(st);
				dec->state = QP_EQ;
			} else {
				emit_ws(st);
				emit(st, c);
			}
			break;
		case QP_CR:
			if (c == '\n') {
				i++;
				dec->ws_len = 0;
				emit(st, '\r');
				emit(st, '\n');
			} else {
				/* a bare CR is not a line break: kept, but invalid */
				dec->invalid = true;
				emit_ws(st);
				emit(st, '\r');
			}
			dec->state = QP_TEXT;
			break;
		case QP_EQ:
			if ((h = hex_value(c)) >= 0) {
				i++;
				dec->hex = (unsigned char)c;
				dec->state = QP_EQ_HEX;
			} else if (c == ' ' || c == '\t') {
				i++;
				qp_hold_ws(st, c);
				dec->state = QP_EQ_WS;
			} else if (c == '\r') {
				i++;
				dec->state = QP_EQ_CR;
			} else if (c == '\n') {
				i++;
				dec->state = QP_TEXT;        /* soft line break */
			} else {
				qp_emit_literal_eq(st, false);
				dec->state = QP_TEXT;        /* c again, as text */
			}
			break;
		case QP_EQ_HEX:
			if ((h = hex_value(c)) >= 0) {
				i++;
				emit(st, (unsigned char)(hex_value(dec->hex) * 16 + h));
			} else {
				dec->invalid = true;
				emit(st, '=');
				emit(st, dec->hex);
			}
			dec->state = QP_TEXT;
			break;
		case QP_EQ_WS:
			if (c == ' ' || c == '\t') {
				i++;
				if (dec->ws_len == TRANSFER_QP_WS_MAX) {
					qp_emit_literal_eq(st, false);
					dec->state = QP_TEXT;
				}
				qp_hold_ws(st, c);
			} else if (c == '\r') {
				i++;
				dec->state = QP_EQ_CR;
			} else if (c == '\n') {
				i++;
				dec->ws_len = 0;
				dec->state = QP_TEXT;        /* "=  \n": soft break */
			} else {
				qp_emit_literal_eq(st, false);
				dec->state = QP_TEXT;
			}
			break;
		case QP_EQ_CR:
			if (c == '\n') {
				i++;
				dec->ws_len = 0;
			} else {
				qp_emit_literal_eq(st, true);
			}
			dec->state = QP_TEXT;
			break;
		}
	}
}

static void qp_finish(struct stage *st)
{
	struct transfer_decoder *dec = st->dec;

	switch (dec->state) {
	case QP_TEXT:
		dec->ws_len = 0;             /* the last line's trailing padding */
		break;
	case QP_CR:
		dec->invalid = true;
		emit_ws(st);
		emit(st, '\r');
		break;
	case QP_EQ:
	case QP_EQ_WS:
		/* A soft break at the end of the part: the line break after it
		 * belongs to the boundary (see the header). */
		dec->ws_len = 0;
		break;
	case QP_EQ_HEX:
		dec->invalid = true;
		emit(st, '=');
		emit(st, dec->hex);
		break;
	case QP_EQ_CR:
		dec->invalid = true;
		dec->ws_len = 0;
		break;
	}
	dec->state = QP_TEXT;
}

/* -1: whitespace (skipped), -2: anything else (invalid, skipped). */
static const signed char b64_table[256] = {
	['\t'] = -1, ['\n'] = -1, ['\r'] = -1, [' '] = -1,
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59,
	['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* The table stores digit + 1 so that unlisted bytes read as 0; this maps
 * it to -1 (whitespace), -2 (other) or the digit's value. */
static inline int b64_class(unsigned char c)
{
	int v = b64_table[c];

	if (v > 0)
		return v - 1;
	return v == -1 ? -1 : (c == '=' ? -3 : -2);
}

static void b64_feed(struct stage *st, const unsigned char *p, size_t size)
{
	struct transfer_decoder *dec = st->dec;

	for (size_t i = 0; i < size; i++) {
		int v = b64_class(p[i]);

		if (v == -1)
			continue;              /* whitespace: line breaks, padding (§6.8) */
		if (v == -2) {
			dec->invalid = true;   /* "ignored" as §6.8 says, but noted */
			continue;
		}
		if (v == -3) {                 /* '=' */
			if (dec->state == B64_PAD1) {
				dec->state = B64_PADDED;
			} else if (dec->state == B64_DATA && dec->nchars == 2) {
				emit(st, (unsigned char)(dec->acc >> 4));
				dec->acc = 0;
				dec->nchars = 0;
				dec->state = B64_PAD1;
			} else if (dec->state == B64_DATA && dec->nchars == 3) {
				emit(st, (unsigned char)(dec->acc >> 10));
				emit(st, (unsigned char)(dec->acc >> 2));
				dec->acc = 0;
				dec->nchars = 0;
				dec->state = B64_PADDED;
			} else {
				dec->invalid = true;   /* "=SGk", "S===", "SGk==" */
			}
			continue;
		}
		if (dec->state != B64_DATA) {
			/* Data after the padding: invalid, but decoded as a new
			 * run, as lenient readers do with concatenated base64. */
			dec->invalid = true;
			dec->state = B64_DATA;
		}
		dec->acc = (dec->acc << 6) | (uint32_t)v;
		if (++dec->nchars == 4) {
			emit(st, (unsigned char)(dec->acc >> 16));
			emit(st, (unsigned char)(dec->acc >> 8));
			emit(st, (unsigned char)dec->acc);
			dec->acc = 0;
			dec->nchars = 0;
		}
	}
}

static void b64_finish(struct stage *st)
{
	struct transfer_decoder *dec = st->dec;

	if (dec->state == B64_PAD1)
		dec->invalid = true;           /* "SG=" */
	if (dec->state == B64_DATA && dec->nchars > 0) {
		/* Missing padding: the whole bytes are kept, the input is
		 * invalid (one lone digit carries no byte at all). */
		dec->invalid = true;
		if (dec->nchars == 2) {
			emit(st, (unsigned char)(dec->acc >> 4));
		} else if (dec->nchars == 3) {
			emit(st, (unsigned char)(dec->acc >> 10));
			emit(st, (unsigned char)(dec->acc >> 2));
		}
	}
	dec->acc = 0;
	dec->nchars = 0;
	dec->state = B64_DATA;
}

void transfer_decoder_init(struct transfer_decoder *dec, enum mail_cte cte)
{
	memset(dec, 0, sizeof(*dec));
	dec->cte = cte;
	dec->state = cte == MAIL_CTE_BASE64 ? B64_DATA : QP_TEXT;
}

static void copy_through(struct transfer_decoder *dec, const void *data, size_t size,
			 struct buf *out)
{
	dec->size += size;
	if (out == NULL || out->overflow || size == 0)
		return;
	size_t room = out->max - out->len;

	if (size <= room) {
		buf_append(out, data, size);
	} else {
		buf_append(out, data, room);
		out->overflow = true;
	}
}

void transfer_decoder_feed(struct transfer_decoder *dec, const void *data, size_t size,
			   struct buf *out)
{
	struct stage st;

	if (dec->cte != MAIL_CTE_QP && dec->cte != MAIL_CTE_BASE64) {
		copy_through(dec, data, size, out);
		return;
	}
	st.dec = dec;
	st.out = out;
	st.len = 0;
	if (dec->cte == MAIL_CTE_QP)
		qp_feed(&st, data, size);
	else
		b64_feed(&st, data, size);
	stage_flush(&st);
}

enum transfer_decode_result transfer_decoder_finish(struct transfer_decoder *dec,
						    struct buf *out)
{
	struct stage st = { .dec = dec, .out = out, .len = 0 };

	if (dec->cte == MAIL_CTE_QP)
		qp_finish(&st);
	else if (dec->cte == MAIL_CTE_BASE64)
		b64_finish(&st);
	stage_flush(&st);
	if (dec->cte == MAIL_CTE_UNKNOWN)
		return TRANSFER_DECODE_UNKNOWN_CTE;
	return dec->invalid ? TRANSFER_DECODE_INVALID : TRANSFER_DECODE_OK;
}

void transfer_decoder_deinit(struct transfer_decoder *dec)
{
	dec->state = 0;
}

/* RFC 5322 §3.2.2 CFWS: whitespace, folding and nested comments. */
static size_t skip_cfws(const char *s, size_t len, size_t i)
{
	unsigned int depth = 0;

	for (; i < len; i++) {
		char c = s[i];

		if (depth > 0) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
	}
	return i;
}

enum mail_cte mail_cte_parse(const char *value, size_t len)
{
	static const struct {
		const char *name;
		enum mail_cte cte;
	} names[] = {
		{ "7bit", MAIL_CTE_7BIT },
		{ "8bit", MAIL_CTE_8BIT },
		{ "binary", MAIL_CTE_BINARY },
		{ "quoted-printable", MAIL_CTE_QP },
		{ "base64", MAIL_CTE_BASE64 },
	};
	size_t start = skip_cfws(value, len, 0), end = start;

	while (end < len && value[end] != ' ' && value[end] != '\t' && value[end] != '\r' &&
	       value[end] != '\n' && value[end] != '(' && value[end] != ';')
		end++;
	size_t after = skip_cfws(value, len, end);

	if (after < len && value[after] != ';')
		return MAIL_CTE_UNKNOWN;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == end - start &&
		    strncasecmp(names[i].name, value + start, end - start) == 0)
			return names[i].cte;
	}
	return MAIL_CTE_UNKNOWN;
}

enum mail_cte mail_cte_from_header(const char *header, size_t size)
{
	struct header_iter it;
	struct header_field f;
	enum mail_cte cte = MAIL_CTE_7BIT;

	header_iter_init(&it, header, size);
	while (header_iter_next(&it, &f)) {
		if (f.name_len == 25 && strncasecmp(f.name, "Content-Transfer-Encoding", 25) == 0)
			cte = mail_cte_parse(f.value, f.value_len);
	}
	return cte;
}
