/* Store tests' common set-up: a temporary data directory with the embedded
 * store's environment at it, and its removal (subdirectories included). */
#ifndef PETREL_UNIT_STORE_H
#define PETREL_UNIT_STORE_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static inline int unit_rm_entry(const char *path, const struct stat *sb, int flag,
				struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

/* Removes dir and everything below it. */
static inline void unit_remove_tree(const char *dir)
{
	nftw(dir, unit_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdtemp(dir_template) and the default backend's env there; false (with a
 * FAIL line) when either cannot be made. */
static inline bool unit_store_setup(char *dir_template, struct store_env **env_r)
{
	char err[256] = "";

	if (mkdtemp(dir_template) == NULL) {
		perror("mkdtemp");
		return false;
	}
	if (store_env_open(NULL, dir_template, env_r, err, sizeof(err)) != STORE_OK) {
		printf("FAIL store_env_open: %s\n", err);
		unit_remove_tree(dir_template);
		return false;
	}
	return true;
}

static inline void unit_store_teardown(const char *dir, struct store_env **env)
{
	store_env_free(env);
	unit_remove_tree(dir);
}

#endif
