/* Strict base64 (RFC 4648 §4) for SASL exchanges: rejects anything a
 * canonical encoder would not produce, so a hostile client cannot smuggle
 * bytes past the mechanisms through lenient decoding. */
#include "core/base64.h"

#include <stdint.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char base64_digit(unsigned int v, char char63)
{
	v &= 63;
	return v == 63 ? char63 : b64_alphabet[v];
}

int base64_digit_value(unsigned char c, char char63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == (unsigned char)char63)
		return 63;
	return -1;
}

bool base64_decode(const char *in, size_t len, struct buf *out)
{
	if (len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i += 4) {
		const unsigned char *q = (const unsigned char *)in + i;
		bool last = i + 4 == len;
		int v[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (q[k] == '=') {
				/* RFC 4648 §3.3/§4: '=' only as the final one or
				 * two characters of the last quantum. */
				if (!last || k < 2)
					return false;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad > 0)
				return false;   /* data after padding */
			v[k] = base64_digit_value(q[k], '/');
			if (v[k] < 0)
				return false;
		}
		uint32_t n = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		unsigned char bytes[3] = {
			(unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n
		};
		/* RFC 4648 §3.5: the unused pad bits must be zero (canonical). */
		if (pad == 2 && (v[1] & 0x0f) != 0)
			return false;
		if (pad == 1 && (v[2] & 0x03) != 0)
			return false;
		if (!buf_append(out, bytes, (size_t)(3 - pad)))
			return false;
	}
	return true;
}

bool base64_encode(const void *in, size_t len, struct buf *out)
{
	const unsigned char *p = in;

	for (size_t i = 0; i < len; i += 3) {
		size_t rest = len - i;
		uint32_t n = (uint32_t)p[i] << 16;
		char q[4];

		if (rest > 1)
			n |= (uint32_t)p[i + 1] << 8;
		if (rest > 2)
			n |= p[i + 2];
		q[0] = b64_alphabet[(n >> 18) & 63];
		q[1] = b64_alphabet[(n >> 12) & 63];
		q[2] = rest > 1 ? b64_alphabet[(n >> 6) & 63] : '=';
		q[3] = rest > 2 ? b64_alphabet[n & 63] : '=';
		if (!buf_append(out, q, 4))
			return false;
	}
	return true;
}
