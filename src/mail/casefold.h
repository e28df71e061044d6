/* The folding SEARCH applies to both the message text and the search
 * string, so that a substring test on the results is case- and
 * form-insensitive. Never fails; every byte that is not valid UTF-8, and
 * NUL, becomes U+FFFD instead of vanishing (only the default-ignorable
 * characters below are removed, on purpose).
 *
 * What it does to each character, with utf8proc (its tables are Unicode
 * 15.0 in the installed 2.6.0):
 *   - full case folding (CaseFolding.txt C+F): "STRASSE", "Straße" and
 *     "strasse" fold alike, as do "ΣΑΣ" and "σας";
 *   - compatibility decomposition (NFKD): "ﬁ" is "fi", "Ⅻ" is "xii",
 *     "e" + U+0301 and "é" fold alike, with combining marks in canonical
 *     order;
 *   - default-ignorable characters (soft hyphen, zero-width space and
 *     joiners, bidi controls) are removed: they are invisible, so a user
 *     cannot type them, and "soft\u00ADhyphen" must be found as "softhyphen";
 *   - CRLF becomes LF, so line-ending form never decides a match.
 *
 * Combining marks are kept. RFC 5051 (i;unicode-casemap) keeps them, and
 * so does Dovecot 2.3 (observed: SEARCH BODY "resume" does not find
 * "résumé", BODY "résumé" finds both composed and decomposed forms).
 * Stripping them would merge letters that differ in many languages
 * ("å"/"a", Vietnamese tones) and erase the vowel signs of Indic scripts.
 * As with decomposition in RFC 5051, "cafe" still matches inside "café"
 * because "e" is a prefix of "e" + U+0301.
 *
 * Where this differs from RFC 5051 and Dovecot (simple titlecase, no
 * compatibility forms in Dovecot): "ß" matches "ss" and "SS", "ﬁle"
 * matches "file", and dotless "ı" no longer matches "I" (full folding maps
 * "I" to "i"; "İ" folds to "i" + U+0307 as in Dovecot). */
#ifndef PETREL_MAIL_CASEFOLD_H
#define PETREL_MAIL_CASEFOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Combining marks held for canonical reordering after one base
 * character. Unicode's stream-safe text format (UAX #15 §13) allows 30;
 * a longer run is flushed in pieces, which only affects abuse. */
#define CASEFOLD_MARKS_MAX 32

/* Appends the folding of in[0..len) to out. When out->max is reached the
 * output ends at a character boundary and out->overflow is set. in is
 * folded as one piece: a character split across two calls becomes
 * U+FFFD on both sides. */
void casefold_utf8(const char *in, size_t len, struct buf *out);

/* Whether key occurs in text, both already folded. UTF-8 is
 * self-synchronising, so a match always starts and ends on character
 * boundaries. An empty key is found everywhere (as in Dovecot). */
bool casefold_contains(const char *text, size_t text_len, const char *key, size_t key_len);

#endif
