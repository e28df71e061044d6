/* Crash safety of the SQLite store: a child appends (small and file-backed
 * bodies), copies, moves and expunges in a loop and reports each operation
 * only after STORE_OK; the parent SIGKILLs it at random moments, then
 * reopens the store, requires store_check() to be clean and every reported
 * operation to be there (store.h "Durability"). PETREL_CRASH_SEED repeats a
 * run. */
#include <errno.h>
#include <stdarg.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/store.h"
#include "unit.h"

#define ROUNDS 30
#define TIME_BUDGET_MS 15000     /* stop starting rounds after this */
#define KILL_MIN_MS 10
#define KILL_MAX_MS 250
#define BIG_BODY 100000          /* above the inline limit: a file in blobs/ */
#define MAX_UID 200000
#define SIZE_UNKNOWN UINT32_MAX

static char data_dir[] = "/tmp/petrel-test-crash-XXXXXX";
static struct store_env *env;   /* the embedded store at data_dir */
static char db_path[4096];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What the parent knows must be true: per mailbox and UID, 1 = present with
 * this size, 2 = gone. */
struct expect {
	uint8_t state[MAX_UID];
	uint32_t size[MAX_UID];
};

static struct expect inbox, archive, trash;

static void ack(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ack(int fd, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Shorter than PIPE_BUF: the line arrives whole or not at all. */
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static enum store_result append_one(struct store *st, unsigned int *seed, uint32_t *uid_r,
				    uint32_t *size_r)
{
	static char piece[4096];
	struct store_blob *b = NULL;
	uint32_t size = rand_r(seed) % 6 == 0 ? BIG_BODY : 100 + rand_r(seed) % 2000;
	uint32_t uidv;
	enum store_result r;

	memset(piece, 'm', sizeof(piece));
	r = store_blob_begin(st, size, &b);
	for (uint32_t done = 0; r == STORE_OK && done < size;) {
		uint32_t n = size - done < sizeof(piece) ? size - done : sizeof(piece);

		r = store_blob_write(b, piece, n);
		done += n;
	}
	if (r == STORE_OK)
		r = store_blob_finish(b);
	if (r == STORE_OK) {
		struct store_append a = { .blob = b, .flags = rand_r(seed) % 2 ? STORE_FLAG_SEEN : 0,
					  .internaldate = time(NULL) };

		r = store_messages_append(st, "INBOX", &a, 1, &uidv, uid_r);
	}
	store_blob_free(&b);
	*size_r = size;
	return r;
}

static void child(int fd, unsigned int seed)
{
	struct store *st = NULL;
	char err[256];

	if (store_open(env, "crash", STORE_OPEN_CREATE, &st, err, sizeof(err)) != STORE_OK)
		_exit(2);
	for (;;) {
		unsigned int op = rand_r(&seed) % 10;
		struct store_mailbox_status s;
		struct store_copy_result cr;
		uint32_t uid, size, *ex, nex;

		if (op < 6) {
			if (append_one(st, &seed, &uid, &size) == STORE_OK)
				ack(fd, "A %u %u\n", uid, size);
		} else if (op < 8) {
			if (store_mailbox_status(st, "INBOX", &s) != STORE_OK || s.uidnext < 2)
				continue;
			uid = 1 + rand_r(&seed) % (s.uidnext - 1);
			if (store_messages_copy(st, "INBOX", s.uidvalidity, &uid, 1, "Archive", false,
						&cr) == STORE_OK && cr.count == 1)
				ack(fd, "C %u %u\n", cr.dest_uids[0], uid);
			store_copy_result_free(&cr);
		} else {
			if (store_mailbox_status(st, "Archive", &s) != STORE_OK || s.uidnext < 2)
				continue;
			uid = 1 + rand_r(&seed) % (s.uidnext - 1);
			if (op == 8) {
				if (store_messages_copy(st, "Archive", s.uidvalidity, &uid, 1, "Trash",
							true, &cr) == STORE_OK && cr.count == 1)
					ack(fd, "M %u %u\n", uid, cr.dest_uids[0]);
				store_copy_result_free(&cr);
				continue;
			}
			struct store_flag_change fc = { .op = STORE_FLAGS_ADD,
							.flags = STORE_FLAG_DELETED };

			if (store_messages_set_flags(st, "Archive", s.uidvalidity, &uid, 1, &fc, &ex,
						     &nex) != STORE_OK)
				continue;
			free(ex);
			if (store_messages_expunge(st, "Archive", s.uidvalidity, &uid, 1, &ex,
						   &nex) == STORE_OK && nex == 1)
				ack(fd, "E %u\n", ex[0]);
			free(ex);
		}
	}
}

static void apply(const char *line)
{
	unsigned int a = 0, b = 0;

	switch (line[0]) {
	case 'A':
		if (sscanf(line, "A %u %u", &a, &b) == 2 && a < MAX_UID) {
			inbox.state[a] = 1;
			inbox.size[a] = b;
		}
		break;
	case 'C':
		if (sscanf(line, "C %u %u", &a, &b) == 2 && a < MAX_UID && b < MAX_UID) {
			archive.state[a] = 1;
			/* Copied from a message whose append was not reported. */
			archive.size[a] = inbox.state[b] == 1 ? inbox.size[b] : SIZE_UNKNOWN;
		}
		break;
	case 'M':
		if (sscanf(line, "M %u %u", &a, &b) == 2 && a < MAX_UID && b < MAX_UID) {
			trash.state[b] = 1;
			trash.size[b] = archive.state[a] == 1 ? archive.size[a] : SIZE_UNKNOWN;
			archive.state[a] = 2;
		}
		break;
	case 'E':
		if (sscanf(line, "E %u", &a) == 1 && a < MAX_UID)
			archive.state[a] = 2;
		break;
	default:
		printf("bad line from child: %s\n", line);
		unit_failed++;
	}
}

/* Reads whole lines from fd into buf/len and applies them; false at EOF. */
static bool drain(int fd, char *buf, size_t *len, size_t size)
{
	ssize_t n = read(fd, buf + *len, size - *len - 1);
	char *nl;

	if (n <= 0)
		return n < 0 && errno == EINTR;
	*len += (size_t)n;
	buf[*len] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		apply(buf);
		*len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *len + 1);
	}
	return true;
}

struct problems {
	unsigned int count;
	unsigned int orphans;         /* "orphan body file" lines, set apart */
};

static void report_cb(const char *problem, void *ctx)
{
	struct problems *p = ctx;

	/* A kill between a body's rename and its COMMIT, or between an
	 * EXPUNGE's COMMIT and its unlink, leaves a body file no row names:
	 * no durability problem; the daily maintenance at open removes them
	 * (checked at the end). */
	if (strncmp(problem, "orphan body file blobs/", 23) == 0) {
		p->orphans++;
		return;
	}
	if (p->count++ < 5)
		printf("store_check: %s\n", problem);
}

/* Every acknowledged message present with its size; removed ones absent. */
static unsigned int verify(sqlite3 *db, const char *mailbox, struct expect *e,
			   unsigned int may_be_missing, unsigned int *present_r)
{
	sqlite3_stmt *s;
	unsigned int bad = 0;

	*present_r = 0;
	if (sqlite3_prepare_v2(db, "SELECT b.size FROM messages m JOIN mailboxes x"
			       " ON x.id = m.mailbox_id JOIN blobs b ON b.id = m.blob_id"
			       " WHERE x.name = ?1 AND m.uid = ?2", -1, &s, NULL) != SQLITE_OK)
		return 1;
	for (uint32_t uid = 1; uid < MAX_UID; uid++) {
		int rc;

		if (e->state[uid] == 0)
			continue;
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, mailbox, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, uid);
		rc = sqlite3_step(s);
		if (e->state[uid] == 1 && rc != SQLITE_ROW && may_be_missing > 0) {
			/* Removed by the operation the kill interrupted after
			 * its commit, before its report. */
			may_be_missing--;
			e->state[uid] = 0;
			continue;
		}
		if (e->state[uid] == 1 && (rc != SQLITE_ROW ||
					   (e->size[uid] != SIZE_UNKNOWN &&
					    sqlite3_column_int64(s, 0) != e->size[uid]))) {
			if (bad++ < 5)
				printf("%s UID %u acknowledged but %s\n", mailbox, uid,
				       rc == SQLITE_ROW ? "has the wrong size" : "missing");
		} else if (e->state[uid] == 2 && rc == SQLITE_ROW) {
			if (bad++ < 5)
				printf("%s UID %u acknowledged as removed but present\n", mailbox, uid);
		}
		*present_r += e->state[uid] == 1;
	}
	sqlite3_finalize(s);
	return bad;
}

int main(void)
{
	const char *seed_env = getenv("PETREL_CRASH_SEED");
	unsigned int seed = seed_env != NULL ? (unsigned int)strtoul(seed_env, NULL, 10) :
		(unsigned int)time(NULL) ^ (unsigned int)getpid();
	double start = now_ms();
	struct store *st = NULL;
	char err[256];
	int rounds = 0;
	unsigned int orphans = 0;
	unsigned int n_inbox = 0, n_archive = 0, n_trash = 0;

	log_set_level(LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(data_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (store_env_open(NULL, data_dir, &env, NULL, 0) != STORE_OK) {
		printf("FAIL store_env_open\n");
		return 1;
	}
	snprintf(db_path, sizeof(db_path), "%s/users/crash/store.db", data_dir);
	CHECK_INT(store_open(env, "crash", STORE_OPEN_CREATE, &st, err, sizeof(err)), STORE_OK);
	store_close(&st);

	for (; rounds < ROUNDS && now_ms() - start < TIME_BUDGET_MS; rounds++) {
		unsigned int child_seed = rand_r(&seed);
		double kill_at = now_ms() + KILL_MIN_MS + rand_r(&seed) % (KILL_MAX_MS - KILL_MIN_MS);
		char buf[8192];
		size_t len = 0;
		int fds[2], status;
		pid_t pid;

		if (pipe(fds) < 0) {
			perror("pipe");
			break;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			child(fds[1], child_seed);
			_exit(0);
		}
		close(fds[1]);
		for (double now; (now = now_ms()) < kill_at;) {
			struct pollfd p = { .fd = fds[0], .events = POLLIN };

			if (poll(&p, 1, (int)(kill_at - now) + 1) > 0 && !drain(fds[0], buf, &len,
										sizeof(buf)))
				break;
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		while (drain(fds[0], buf, &len, sizeof(buf)))
			;
		close(fds[0]);

		/* Reopen: WAL recovery, quick_check, then the full check. */
		CHECK_INT(store_open(env, "crash", STORE_OPEN_CREATE, &st, err, sizeof(err)), STORE_OK);
		if (st == NULL) {
			printf("round %d: %s\n", rounds, err);
			break;
		}
		struct problems p = { 0 };

		enum store_result r = store_check(st, report_cb, &p);

		CHECK_INT(p.count, 0);
		CHECK(r == STORE_OK || (r == STORE_CORRUPT && p.orphans > 0));
		orphans = p.orphans;
		store_close(&st);

		/* INBOX and Trash only gain messages; Archive may have lost one
		 * to the interrupted operation (an expunge or a move). */
		sqlite3 *db;

		CHECK_INT(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		CHECK_INT(verify(db, "INBOX", &inbox, 0, &n_inbox), 0);
		CHECK_INT(verify(db, "Archive", &archive, 1, &n_archive), 0);
		CHECK_INT(verify(db, "Trash", &trash, 0, &n_trash), 0);
		sqlite3_close(db);
	}
	CHECK(n_inbox > 0);
	/* A day later: the maintenance at open removes the orphans the kills
	 * left, and only those. */
	sqlite3 *mdb;
	CHECK_INT(sqlite3_open_v2(db_path, &mdb, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(mdb, "UPDATE meta SET value = 0 WHERE key = 'last_quick_check'",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(mdb);
	CHECK_INT(store_open(env, "crash", 0, &st, err, sizeof(err)), STORE_OK);
	if (st != NULL) {
		struct problems p = { 0 };

		CHECK_INT(store_check(st, report_cb, &p), STORE_OK);
		CHECK_INT(p.count + p.orphans, 0);
		store_close(&st);
	}
	printf("crash: seed %u, %d rounds in %.1f s; acknowledged and present: %u INBOX,"
	       " %u Archive, %u Trash; %u orphan body files before the sweep\n", seed, rounds,
	       (now_ms() - start) / 1e3, n_inbox, n_archive, n_trash, orphans);
	store_env_free(&env);
	nftw(data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return unit_finish("store-crash");
}
