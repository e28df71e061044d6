/* The search text's shape as every backend stores it (store-text.h). */
#include "store/store-text.h"

#include <string.h>

bool store_text_header_has(const char *text, size_t len, const char *header_name,
			   const char *needle)
{
	size_t name_len = strlen(header_name);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl != NULL ? nl : end;

		if ((size_t)(line_end - p) > name_len && memcmp(p, header_name, name_len) == 0 &&
		    p[name_len] == ':') {
			const char *v = p + name_len + 1;

			if (*needle == '\0' || memmem(v, (size_t)(line_end - v), needle,
						      strlen(needle)) != NULL)
				return true;
		}
		p = line_end + 1;
	}
	return false;
}
