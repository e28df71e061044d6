/* Measures search.db's size over the raw mail and SEARCH's time at scale,
 * through the store API (no IMAP, no server): jwz's corpus cycled as
 * bench/corpus.py does (message i = "X-Bench-Copy: i" + message i mod
 * 2,403, CRLF), appended 200 per transaction. Not part of `make bench`
 * (fig_disk.py and fig_read.py give the same figures through a server);
 * a quick way to compare two builds' search.db at 100,000 messages:
 *   make && cc -O2 -std=c17 -D_GNU_SOURCE -Isrc -o build/search-scale \
 *     bench/search-scale.c build/libpetrel.a $(pkg-config --libs openssl \
 *     libevent_core libevent_pthreads sqlite3 libcrypt inih libutf8proc zlib \
 *     libzstd) -lpthread
 *   build/search-scale load DATA build/corpora/jwz-ham 100000
 *   build/search-scale index DATA        run the indexer to the end
 *   build/search-scale search DATA [LABEL-PREFIX]
 *   build/search-scale read DATA         every summary, as FETCH ENVELOPE
 * search prints, per query, the UIDs found, wall and CPU medians of 5 runs
 * (after one), and a hash of the answer to compare builds by. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "mail/mail-summary.h"
#include "store/store-dict.h"
#include "store/store.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct msg { char *data; size_t len; };

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load_corpus(const char *dir, struct msg **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, k = 0;

	if (d == NULL) { perror(dir); exit(1); }
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	*out = calloc(n, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		if (f == NULL) continue;
		fseek(f, 0, SEEK_END);
		long sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		char *raw = malloc((size_t)sz + 1);
		size_t got = fread(raw, 1, (size_t)sz, f);
		fclose(f);
		char *p = raw, *end = raw + got;
		if (got >= 5 && memcmp(raw, "From ", 5) == 0) {
			char *nl = memchr(raw, '\n', got);
			p = nl ? nl + 1 : end;
		}
		char *o = malloc(2 * (size_t)(end - p) + 1);
		size_t ol = 0;
		for (; p < end; p++) {
			if (*p == '\r' && p + 1 < end && p[1] == '\n') continue;
			if (*p == '\n') o[ol++] = '\r';
			o[ol++] = *p;
		}
		free(raw);
		if (ol == 0) { free(o); continue; }
		(*out)[k].data = o;
		(*out)[k++].len = ol;
	}
	return k;
}

/* The embedded store at data, made once. */
static struct store_env *bench_env(const char *data)
{
	static struct store_env *env;
	char err[256] = "";

	if (env == NULL && store_env_open(NULL, data, &env, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "store_env_open: %s\n", err);
		exit(1);
	}
	return env;
}

static struct store *open_st(const char *data)
{
	struct store *st = NULL;
	char err[256];
	if (store_open(bench_env(data), "bench", STORE_OPEN_CREATE, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "open: %s\n", err);
		exit(1);
	}
	return st;
}

#define BATCH 200

static void load(const char *data, const char *corpus, unsigned int n)
{
	struct msg *base;
	size_t nb = load_corpus(corpus, &base);
	struct store *st = open_st(data);
	unsigned long long raw = 0;
	double t = now_ms();

	for (unsigned int done = 0; done < n;) {
		struct store_append a[BATCH];
		uint32_t uids[BATCH], uidv;
		unsigned int k = n - done < BATCH ? n - done : BATCH;

		for (unsigned int i = 0; i < k; i++) {
			unsigned int m = done + i;
			char hdr[64];
			int hl = snprintf(hdr, sizeof(hdr), "X-Bench-Copy: %u\r\n", m);
			struct msg *b = &base[m % nb];
			struct store_blob *blob;

			store_blob_begin(st, (uint64_t)hl + b->len, &blob);
			store_blob_write(blob, hdr, (size_t)hl);
			store_blob_write(blob, b->data, b->len);
			if (store_blob_finish(blob) != STORE_OK) { fprintf(stderr, "finish\n"); exit(1); }
			a[i] = (struct store_append){ .blob = blob, .internaldate = 1700000000 };
			raw += (unsigned long long)hl + b->len;
		}
		if (store_messages_append(st, "INBOX", a, k, &uidv, uids) != STORE_OK) {
			fprintf(stderr, "append\n"); exit(1);
		}
		for (unsigned int i = 0; i < k; i++)
			store_blob_free(&a[i].blob);
		/* The indexer once, as a server's runs between deliveries: it
		 * trains the store's dictionaries (store/store-dict.h) once there
		 * are STORE_DICT_TRAIN_MESSAGES, and later mail is made with them. */
		if (done < STORE_DICT_TRAIN_MESSAGES && done + k >= STORE_DICT_TRAIN_MESSAGES) {
			bool more;

			store_index_text(bench_env(data), "bench", 0, NULL, &more);
		}
		done += k;
	}
	printf("loaded %u messages, raw %llu bytes, %.1f s\n", n, raw, (now_ms() - t) / 1e3);
	store_close(&st);
}

static void index_all(const char *data)
{
	bool more;
	double t = now_ms();
	enum store_result r = store_index_text(bench_env(data), "bench", 0, NULL, &more);
	printf("indexed: %s in %.1f s\n", store_result_name(r), (now_ms() - t) / 1e3);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void search(const char *data, const char *only)
{
	static const struct { enum store_text_field f; const char *hdr, *needle, *label; } q[] = {
		{ STORE_TEXT_SUBJECT, NULL, "razor", "SUBJECT razor" },
		{ STORE_TEXT_TEXT, NULL, "linux", "TEXT linux" },
		{ STORE_TEXT_TEXT, NULL, "open source", "TEXT \"open source\"" },
		{ STORE_TEXT_BODY, NULL, "linux", "BODY linux" },
		{ STORE_TEXT_BODY, NULL, "the", "BODY the" },
		{ STORE_TEXT_TEXT, NULL, "zzyzx", "TEXT zzyzx (none)" },
		{ STORE_TEXT_SUBJECT, NULL, "re", "SUBJECT re (short)" },
		{ STORE_TEXT_HEADER, "x-bench-copy", "4242", "HEADER x-bench-copy 4242" },
		{ STORE_TEXT_TEXT, NULL, "m\xc3\xbcller", "TEXT müller" },
	};
	struct store *st = open_st(data);
	struct store_mailbox_status s;

	store_mailbox_status(st, "INBOX", &s);
	printf("%u messages\n", s.messages);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		double times[5], cpus[5];

		if (only != NULL && strncmp(q[i].label, only, strlen(only)) != 0)
			continue;
		uint32_t *uids = NULL, count = 0;
		uint64_t h = 1469598103934665603ull;

		store_mailbox_search_text(st, "INBOX", s.uidvalidity, q[i].f, q[i].hdr, q[i].needle,
					  &uids, &count);
		for (uint32_t k = 0; k < count; k++)
			h = (h ^ uids[k]) * 1099511628211ull;
		free(uids);
		for (int r = 0; r < 5; r++) {
			double t = now_ms(), c = cpu_ms();
			if (store_mailbox_search_text(st, "INBOX", s.uidvalidity, q[i].f, q[i].hdr,
						      q[i].needle, &uids, &count) != STORE_OK)
				printf("search failed\n");
			times[r] = now_ms() - t;
			cpus[r] = cpu_ms() - c;
			free(uids);
		}
		qsort(times, 5, sizeof(times[0]), dbl_cmp);
		qsort(cpus, 5, sizeof(cpus[0]), dbl_cmp);
		printf("%-28s %7u found  wall median %8.1f ms (min %.1f)  cpu median %8.1f ms  answers %016llx\n",
		       q[i].label, count, times[2], times[0], cpus[2], (unsigned long long)h);
	}
	store_close(&st);
}

struct read_count {
	unsigned long long envelope_bytes;
	unsigned int messages;
};

static bool read_cb(const struct store_message_info *info, void *ctx)
{
	struct read_count *c = ctx;
	struct mail_summary sum;

	if (info->summary != NULL && mail_summary_decode(info->summary, info->summary_size, &sum))
		c->envelope_bytes += sum.envelope_len;
	c->messages++;
	return true;
}

/* What FETCH 1:* (ENVELOPE) asks of the store: every message's summary,
 * unpacked and decoded; wall and CPU medians of 5 runs. */
static void read_all(const char *data)
{
	struct store *st = open_st(data);
	struct store_snapshot snap;
	double wall[5], cpu[5];
	struct read_count c = { 0 };

	if (store_mailbox_snapshot(st, "INBOX", false, &snap) != STORE_OK) {
		fprintf(stderr, "snapshot\n");
		exit(1);
	}
	uint32_t *uids = malloc((snap.count + 1) * sizeof(*uids));

	for (uint32_t i = 0; i < snap.count; i++)
		uids[i] = snap.messages[i].uid;
	for (int i = 0; i < 6; i++) {
		double t = now_ms(), u = cpu_ms();

		memset(&c, 0, sizeof(c));
		store_messages_read(st, "INBOX", snap.uidvalidity, uids, snap.count,
				    STORE_READ_SUMMARY, read_cb, &c);
		if (i > 0) {
			wall[i - 1] = now_ms() - t;
			cpu[i - 1] = cpu_ms() - u;
		}
	}
	qsort(wall, 5, sizeof(double), dbl_cmp);
	qsort(cpu, 5, sizeof(double), dbl_cmp);
	printf("read %u summaries (%llu bytes of ENVELOPE): wall median %.1f ms, cpu %.1f ms"
	       " (%.0f msg/s)\n", c.messages, c.envelope_bytes, wall[2], cpu[2],
	       c.messages / (wall[2] / 1e3));
	free(uids);
	store_snapshot_free(&snap);
	store_close(&st);
}

int main(int argc, char **argv)
{
	log_set_level(LOG_WARN);
	if (argc >= 5 && strcmp(argv[1], "load") == 0)
		load(argv[2], argv[3], (unsigned int)atoi(argv[4]));
	else if (argc >= 3 && strcmp(argv[1], "index") == 0)
		index_all(argv[2]);
	else if (argc >= 3 && strcmp(argv[1], "search") == 0)
		search(argv[2], argc >= 4 ? argv[3] : NULL);
	else if (argc >= 3 && strcmp(argv[1], "read") == 0)
		read_all(argv[2]);
	else
		return 2;
	return 0;
}
