/* Backend-neutral checks of the names a backend is given (store.h "Names"):
 * every backend calls these before a name or keyword reaches its tables.
 * Only src/store/ includes this. */
#ifndef PETREL_STORE_NAMES_H
#define PETREL_STORE_NAMES_H

#include <stdbool.h>

#include "store/store.h"

/* STORE_OK, STORE_INVALID or STORE_LIMIT (too deep), per store.h "Names". */
enum store_result store_mailbox_name_check(const char *name);
/* An IMAP flag-keyword atom of 1..STORE_KEYWORD_MAX bytes. */
bool store_keyword_valid(const char *keyword);
/* Keywords compare ASCII case-insensitively; the first spelling is kept. */
bool store_keyword_eq(const char *a, const char *b);

#endif
