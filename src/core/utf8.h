/* Strict UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing
 * above U+10FFFF. The one codec every module uses. */
#ifndef PETREL_UTF8_H
#define PETREL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the character at s[0..len); returns its length in bytes, or 0
 * when the bytes there are not a valid UTF-8 character. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp_r);
/* Encodes cp (a valid scalar value) into out; returns the length. */
size_t utf8_encode(uint32_t cp, char out[4]);
bool utf8_valid(const char *s, size_t len);

#endif
