/* The release version, shown by `petrel --version` and the ID command. */
#ifndef PETREL_VERSION_H
#define PETREL_VERSION_H

#define PETREL_VERSION "0.1.0"

#endif
