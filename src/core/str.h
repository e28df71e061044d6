/* Small string helpers shared across modules (ASCII only: IMAP keywords
 * and mechanism names are ASCII atoms). */
#ifndef PETREL_STR_H
#define PETREL_STR_H

/* Upper-cases ASCII letters in place; returns s. */
char *str_ascii_upper(char *s);

#endif
