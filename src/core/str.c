/* Small string helpers (see str.h). */
#include "core/str.h"

char *str_ascii_upper(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return s;
}
