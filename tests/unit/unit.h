/* Minimal unit-test support: each CHECK prints one line when it fails; the
 * program ends with "unit <name>: N passed, N failed" and exits 1 on any
 * failure. tests/run-all totals these lines. */
#ifndef PETREL_UNIT_H
#define PETREL_UNIT_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned int unit_passed, unit_failed;

#define CHECK(cond) do { \
	if (cond) { unit_passed++; } else { unit_failed++; \
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) { unit_passed++; } else { unit_failed++; \
		printf("FAIL %s:%d: %s: got \"%s\" want \"%s\"\n", __FILE__, __LINE__, \
		       #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ == w_) { unit_passed++; } else { unit_failed++; \
		printf("FAIL %s:%d: %s: got %lld want %lld\n", __FILE__, __LINE__, #got, g_, w_); } \
} while (0)

/* Removes a flat temporary directory made by a test (files, no subdirs). */
static inline void unit_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static inline int unit_finish(const char *name)
{
	printf("unit %s: %u passed, %u failed\n", name, unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}

#endif
