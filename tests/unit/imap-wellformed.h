/* Test helper shared by the unit tests of IMAP response writers. */
#ifndef PETREL_TEST_IMAP_WELLFORMED_H
#define PETREL_TEST_IMAP_WELLFORMED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Whether s is one well-formed IMAP list: balanced parentheses, closed
 * quoted strings with only \" and \\ escapes, literals of the right size,
 * nothing else but atoms, numbers and spaces. */
static inline bool imap_well_formed(const char *s, size_t len)
{
	size_t i = 0;
	int depth = 0;

	while (i < len) {
		char c = s[i];

		if (c == '(') {
			depth++;
			i++;
		} else if (c == ')') {
			if (--depth < 0)
				return false;
			i++;
		} else if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && (i + 1 >= len || (s[++i] != '"' && s[i] != '\\')))
					return false;
				if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
					return false;
			}
			if (i++ >= len)
				return false;
		} else if (c == '{') {
			char *end;
			unsigned long long n = strtoull(s + i + 1, &end, 10);

			if (*end != '}' || end[1] != '\r' || end[2] != '\n')
				return false;
			i = (size_t)(end - s) + 3;
			if (n > len - i)
				return false;
			i += n;
		} else if (c == ' ' || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			i++;
		} else {
			return false;
		}
	}
	return depth == 0;
}

#endif
