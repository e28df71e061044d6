/* Body files in blobs/ that no row names: left by a crash (SIGKILL, power
 * loss) between writing a body and committing its row, or between a
 * commit and unlinking a freed body. Found, and removed or reported, under
 * the store's write lock; never removes a body an APPEND in any process
 * may still commit.
 *
 * Why that is safe (sqlite-blob.c): a body is written as tmp-<id>.eml,
 * flock()ed while written; it gets its final name <id>.eml only inside the
 * write transaction that inserts its row, and a ROLLBACK renames it back
 * before the lock is released. So, holding the write lock:
 *   - a final name no row names is an orphan (its transaction is over);
 *   - a tmp-* file is an orphan only if nobody holds its flock (no process
 *     is writing it) and its last write is older than SQ_ORPHAN_AGE_S (it
 *     is not a finished body waiting for the rest of its MULTIAPPEND, nor
 *     one created a moment ago and not yet locked). */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/sqlite/sqlite-private.h"

#define SQ_TMP_PREFIX "tmp-"

struct sq_names {
	char **v;
	size_t count, alloc;
};

static int sq_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sq_names_free(struct sq_names *n)
{
	for (size_t i = 0; i < n->count; i++)
		free(n->v[i]);
	free(n->v);
}

/* The file names rows give, sorted. */
static enum store_result sq_names_load(struct sq_store *st, struct sq_names *n)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "SELECT file FROM blobs WHERE file IS NOT NULL",
				    -1, &s, NULL);

	if (rc != SQLITE_OK)
		return sq_fail(st, rc, "list body files");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(s, 0);

		if (f == NULL)
			continue;
		if (n->count == n->alloc) {
			n->alloc = n->alloc == 0 ? 64 : n->alloc * 2;
			n->v = xrealloc(n->v, n->alloc * sizeof(*n->v));
		}
		n->v[n->count++] = xstrdup(f);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "list body files");
	if (n->count > 0)
		qsort(n->v, n->count, sizeof(*n->v), sq_name_cmp);
	return STORE_OK;
}

/* A tmp-* file some process is writing: its flock is held. */
static bool sq_tmp_in_use(struct sq_store *st, const char *name)
{
	int fd = openat(st->blob_dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	bool busy;

	if (fd < 0)
		return errno != ENOENT;   /* gone meanwhile: not ours to judge */
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0;
	close(fd);                        /* releases it again */
	return busy;
}

static enum store_result sq_orphans_scan(struct sq_store *st, bool remove,
					 void (*report)(const char *name, uint64_t size,
							void *ctx),
					 void *ctx)
{
	struct sq_names rows = { 0 };
	enum store_result r = sq_names_load(st, &rows);
	time_t now = time(NULL);
	struct dirent *e;
	unsigned int removed = 0;
	int fd;
	DIR *d;

	if (r != STORE_OK) {
		sq_names_free(&rows);
		return r;
	}
	fd = dup(st->blob_dir_fd);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		log_error("store %s: cannot list blobs/: %s", st->user, strerror(errno));
		if (fd >= 0)
			close(fd);
		sq_names_free(&rows);
		return STORE_ERROR;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		bool tmp = strncmp(name, SQ_TMP_PREFIX, strlen(SQ_TMP_PREFIX)) == 0;
		struct stat sb;

		if (name[0] == '.')
			continue;
		if (rows.count > 0 &&
		    bsearch(&name, rows.v, rows.count, sizeof(*rows.v), sq_name_cmp) != NULL)
			continue;
		if (fstatat(st->blob_dir_fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;   /* gone meanwhile, or not ours */
		if (tmp && (now - sb.st_mtime < SQ_ORPHAN_AGE_S || sq_tmp_in_use(st, name)))
			continue;   /* an APPEND under way */
		if (!remove) {
			if (report != NULL)
				report(name, (uint64_t)sb.st_size, ctx);
			continue;
		}
		if (unlinkat(st->blob_dir_fd, name, 0) < 0) {
			log_warn("store %s: cannot remove orphan blobs/%s: %s", st->user, name,
				 strerror(errno));
			r = STORE_ERROR;
			continue;
		}
		removed++;
		log_info("store %s: removed orphan body file blobs/%s (%lld bytes)", st->user,
			 name, (long long)sb.st_size);
	}
	closedir(d);
	sq_names_free(&rows);
	if (removed > 0)
		log_warn("store %s: removed %u orphan body files (crash leftovers)", st->user,
			 removed);
	return r;
}

enum store_result sq_orphans(struct sq_store *st, bool remove,
			     void (*report)(const char *name, uint64_t size, void *ctx),
			     void *ctx)
{
	/* The write lock even to report: without it a final name of another
	 * process's transaction, just before its COMMIT, would look orphan. */
	enum store_result r = st->read_only && !remove ? sq_exec(st, "BEGIN IMMEDIATE") :
		sq_begin(st, true);

	if (r != STORE_OK)
		return r;
	r = sq_orphans_scan(st, remove, report, ctx);
	/* Nothing written: ROLLBACK only releases the lock. */
	sq_rollback(st);
	return r;
}
