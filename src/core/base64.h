/* Base64 (RFC 4648 §4, with padding) as SASL in IMAP uses it (RFC 9051 §6.2.2). */
#ifndef PETREL_BASE64_H
#define PETREL_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Strict decoding: only the alphabet, '=' padding only at the end, length a
 * multiple of 4, no whitespace. Returns false on any deviation (the buffer
 * may then hold partial output). Appends to out. */
bool base64_decode(const char *in, size_t len, struct buf *out);
/* One digit of the alphabet, whose 64th character differs between base64
 * ('/') and IMAP's modified base64 for mailbox names (',', RFC 3501
 * §5.1.3): the digit for the low 6 bits of v, and the value of a digit
 * (-1 when c is not one). */
char base64_digit(unsigned int v, char char63);
int base64_digit_value(unsigned char c, char char63);

/* Appends the encoding of in to out; false if out's limit is hit. */
bool base64_encode(const void *in, size_t len, struct buf *out);

#endif
