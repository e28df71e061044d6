/* The search text's shape as every backend stores it (store.h "searching",
 * mail/mail-text.h): what SEARCH HEADER name value asks of the stored
 * header text, one field per line "name: value", unfolded, both folded. */
#ifndef PETREL_STORE_TEXT_H
#define PETREL_STORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* A line of text (len bytes) for the field header_name (folded) whose
 * value holds needle; an empty needle matches any such line. */
bool store_text_header_has(const char *text, size_t len, const char *header_name,
			   const char *needle);

#endif
