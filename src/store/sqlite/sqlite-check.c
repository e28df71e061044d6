/* store_check() for the SQLite store (`petrel check`): SQLite's own
 * integrity_check and foreign keys, then what the schema cannot express —
 * counters, UID and modseq bounds, keyword bits, blob references and files,
 * each body decompressed and against its SHA-256, every message's search
 * text in the index or waiting for it, and body files no row names.
 * Changes nothing. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/body-codec.h"
#include "store/message-in.h"
#include "store/sqlite/sqlite-private.h"

struct sq_check {
	struct sq_store *st;
	void (*report)(const char *problem, void *ctx);
	void *ctx;
	unsigned int problems;
};

static void sq_problem(struct sq_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sq_problem(struct sq_check *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->problems++;
	log_warn("store %s: check: %s", c->st->user, line);
	if (c->report != NULL)
		c->report(line, c->ctx);
}

/* Runs a PRAGMA whose rows are problems unless the only one is "ok". */
static enum store_result sq_check_pragma(struct sq_check *c, const char *sql)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(c->st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return sq_fail(c->st, rc, sql);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int n = sqlite3_column_count(s);
		char line[512];
		size_t len = 0;

		if (n == 1 && sqlite3_column_text(s, 0) != NULL &&
		    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0)
			continue;
		line[0] = '\0';
		for (int i = 0; i < n && len < sizeof(line) - 1; i++) {
			const char *v = (const char *)sqlite3_column_text(s, i);
			int w = snprintf(line + len, sizeof(line) - len, "%s%s", i > 0 ? " " : "",
					 v != NULL ? v : "NULL");

			if (w < 0)
				break;
			len += (size_t)w;
		}
		sq_problem(c, "%s: %s", sql, line);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(c->st, rc, sql);
}

static sqlite3_stmt *sq_check_prepare(struct sq_check *c, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK) {
		sq_fail(c->st, rc, sql);
		return NULL;
	}
	return s;
}

static enum store_result sq_check_mailboxes(struct sq_check *c)
{
	sqlite3_stmt *mbs = sq_check_prepare(c,
		"SELECT id, name, uidvalidity, uidnext, highestmodseq, recent_uid, noselect,"
		" messages, unseen, deleted, size, recent,"
		" (SELECT count(*) FROM keywords k WHERE k.mailbox_id = m.id),"
		" (SELECT coalesce(max(bit), -1) FROM keywords k WHERE k.mailbox_id = m.id)"
		" FROM mailboxes m ORDER BY name");
	sqlite3_stmt *cnt = sq_check_prepare(c,
		"SELECT count(*), coalesce(sum(m.flags & 1 = 0), 0), coalesce(sum(m.flags & 8 != 0), 0),"
		" coalesce(sum(b.size), 0), coalesce(sum(m.uid >= ?2), 0), coalesce(max(m.uid), 0),"
		" coalesce(max(m.modseq), 0), coalesce(min(m.uid), 1), coalesce(min(m.modseq), 1),"
		" coalesce(sum(m.flags & ~31 != 0), 0), coalesce(sum(m.keywords & ~?3 != 0), 0)"
		" FROM messages m LEFT JOIN blobs b ON b.id = m.blob_id WHERE m.mailbox_id = ?1");
	sqlite3_stmt *exp = sq_check_prepare(c,
		"SELECT count(*), coalesce(max(uid), 0), coalesce(max(modseq), 0),"
		" coalesce(sum(EXISTS (SELECT 1 FROM messages m WHERE m.mailbox_id = e.mailbox_id"
		" AND m.uid = e.uid)), 0) FROM expunged e WHERE e.mailbox_id = ?1");
	enum store_result r = STORE_OK;
	int rc = SQLITE_DONE;

	if (mbs == NULL || cnt == NULL || exp == NULL) {
		r = STORE_ERROR;
		goto out;
	}
	while ((rc = sqlite3_step(mbs)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(mbs, 0);
		const char *name = (const char *)sqlite3_column_text(mbs, 1);
		int64_t uidvalidity = sqlite3_column_int64(mbs, 2);
		int64_t uidnext = sqlite3_column_int64(mbs, 3);
		int64_t hms = sqlite3_column_int64(mbs, 4);
		int64_t recent_uid = sqlite3_column_int64(mbs, 5);
		bool noselect = sqlite3_column_int(mbs, 6) != 0;
		int64_t kw_count = sqlite3_column_int64(mbs, 12);
		int64_t kw_max = sqlite3_column_int64(mbs, 13);
		static const char *const counter[] = { "messages", "unseen", "deleted", "size",
						       "recent" };
		uint64_t kw_mask;
		char *nm;

		if (name == NULL)
			continue;
		nm = xstrdup(name);
		if (store_mailbox_name_check(nm) != STORE_OK)
			sq_problem(c, "mailbox \"%s\": invalid name", nm);
		{
			char *slash = strrchr(nm, '/');
			struct sq_mailbox parent;

			if (slash != NULL) {
				*slash = '\0';
				r = sq_mailbox_load(c->st, nm, &parent);
				*slash = '/';
				if (r == STORE_NOT_FOUND)
					sq_problem(c, "mailbox \"%s\": parent missing", nm);
				else if (r != STORE_OK) {
					free(nm);
					break;
				}
				r = STORE_OK;
			}
		}
		if (!noselect && (uidvalidity <= 0 || uidvalidity > (int64_t)UINT32_MAX))
			sq_problem(c, "mailbox \"%s\": UIDVALIDITY %lld out of range", nm,
				   (long long)uidvalidity);
		if (uidnext < 1 || uidnext > (int64_t)STORE_UID_MAX + 1)
			sq_problem(c, "mailbox \"%s\": UIDNEXT %lld out of range", nm,
				   (long long)uidnext);
		if (recent_uid < 1 || recent_uid > uidnext)
			sq_problem(c, "mailbox \"%s\": recent boundary %lld beyond UIDNEXT %lld", nm,
				   (long long)recent_uid, (long long)uidnext);
		if (kw_count != kw_max + 1 || kw_count > STORE_KEYWORDS_PER_MAILBOX)
			sq_problem(c, "mailbox \"%s\": keyword bits not 0..%lld", nm,
				   (long long)kw_count - 1);
		kw_mask = kw_count >= 64 ? UINT64_MAX : (((uint64_t)1 << kw_count) - 1);

		sqlite3_reset(cnt);
		sqlite3_bind_int64(cnt, 1, id);
		sqlite3_bind_int64(cnt, 2, recent_uid);
		sqlite3_bind_int64(cnt, 3, (sqlite3_int64)kw_mask);
		rc = sqlite3_step(cnt);
		if (rc != SQLITE_ROW) {
			free(nm);
			break;
		}
		for (int i = 0; i < 5; i++) {
			int64_t kept = sqlite3_column_int64(mbs, 7 + i);
			int64_t real = sqlite3_column_int64(cnt, i);

			if (kept != real)
				sq_problem(c, "mailbox \"%s\": counter %s is %lld, recount %lld", nm,
					   counter[i], (long long)kept, (long long)real);
		}
		if (noselect && sqlite3_column_int64(cnt, 0) > 0)
			sq_problem(c, "mailbox \"%s\": \\Noselect but holds messages", nm);
		if (sqlite3_column_int64(cnt, 5) >= uidnext)
			sq_problem(c, "mailbox \"%s\": UID %lld not below UIDNEXT %lld", nm,
				   (long long)sqlite3_column_int64(cnt, 5), (long long)uidnext);
		if (sqlite3_column_int64(cnt, 6) > hms)
			sq_problem(c, "mailbox \"%s\": modseq %lld above HIGHESTMODSEQ %lld", nm,
				   (long long)sqlite3_column_int64(cnt, 6), (long long)hms);
		if (sqlite3_column_int64(cnt, 7) < 1 || sqlite3_column_int64(cnt, 8) < 1)
			sq_problem(c, "mailbox \"%s\": UID or modseq below 1", nm);
		if (sqlite3_column_int64(cnt, 9) > 0)
			sq_problem(c, "mailbox \"%s\": %lld messages with unknown flag bits", nm,
				   (long long)sqlite3_column_int64(cnt, 9));
		if (sqlite3_column_int64(cnt, 10) > 0)
			sq_problem(c, "mailbox \"%s\": %lld messages with undefined keyword bits", nm,
				   (long long)sqlite3_column_int64(cnt, 10));
		sqlite3_reset(cnt);

		sqlite3_reset(exp);
		sqlite3_bind_int64(exp, 1, id);
		rc = sqlite3_step(exp);
		if (rc != SQLITE_ROW) {
			free(nm);
			break;
		}
		if (sqlite3_column_int64(exp, 0) > 0) {
			if (sqlite3_column_int64(exp, 1) >= uidnext)
				sq_problem(c, "mailbox \"%s\": expunged UID not below UIDNEXT", nm);
			if (sqlite3_column_int64(exp, 2) > hms)
				sq_problem(c, "mailbox \"%s\": expunge modseq above HIGHESTMODSEQ", nm);
			if (sqlite3_column_int64(exp, 3) > 0)
				sq_problem(c, "mailbox \"%s\": %lld UIDs both present and expunged", nm,
					   (long long)sqlite3_column_int64(exp, 3));
		}
		sqlite3_reset(exp);
		free(nm);
		rc = SQLITE_DONE;
	}
	if (r == STORE_OK && rc != SQLITE_DONE)
		r = sq_fail(c->st, rc, "check mailboxes");
out:
	sqlite3_finalize(mbs);
	sqlite3_finalize(cnt);
	sqlite3_finalize(exp);
	return r;
}

/* One problem line per message that uses the body (COPY shares them). */
static void sq_body_problem(struct sq_check *c, int64_t blob_id, const char *what)
{
	sqlite3_stmt *s = sq_check_prepare(c, "SELECT b.name, m.uid FROM messages m"
					   " JOIN mailboxes b ON b.id = m.mailbox_id"
					   " WHERE m.blob_id = ?1 ORDER BY b.name, m.uid");
	bool any = false;

	if (s != NULL) {
		sqlite3_bind_int64(s, 1, blob_id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			sq_problem(c, "body %lld of mailbox \"%s\": %s",
				   (long long)sqlite3_column_int64(s, 1),
				   (const char *)sqlite3_column_text(s, 0), what);
			any = true;
		}
		sqlite3_finalize(s);
	}
	if (!any)
		sq_problem(c, "blob %lld: %s", (long long)blob_id, what);
}

/* body_codec_pread over a body file being checked. */
static enum store_result sq_check_pread(void *ctx, uint64_t offset, void *buf, size_t len)
{
	int *fd = ctx;

	if (sq_pread_exact(*fd, buf, len, offset) < 0)
		return errno == 0 ? STORE_CORRUPT : STORE_ERROR;
	return STORE_OK;
}

/* The body read whole through its codec (every frame's checksum) and
 * compared with its SHA-256 when one was recorded. mem: an inline body's
 * stored bytes, else fd its file. */
static void sq_check_body(struct sq_check *c, sqlite3_stmt *s, int64_t id, int codec,
			  int64_t size, const void *mem, uint64_t stored, int fd)
{
	struct body_codec_reader *reader;
	unsigned char got[SQ_DIGEST_LEN];
	bool have_digest = sqlite3_column_type(s, 7) != SQLITE_NULL;
	char who[64];
	enum store_result r;

	if (have_digest && sqlite3_column_bytes(s, 7) != SQ_DIGEST_LEN) {
		sq_problem(c, "blob %lld: digest of %d bytes", (long long)id,
			   sqlite3_column_bytes(s, 7));
		return;
	}
	if (!have_digest && codec == BODY_CODEC_PLAIN)
		return;   /* stored before digests were kept: not known */
	snprintf(who, sizeof(who), "%s (check)", c->st->user);
	r = body_codec_reader_open((enum body_codec)codec, (uint64_t)size, stored, mem,
				   sq_check_pread, &fd, sq_dict_find, c->st, who, &reader);
	if (r == STORE_OK) {
		r = message_in_digest_body(reader, (uint64_t)size, got);
		body_codec_reader_free(&reader);
	}
	if (r == STORE_CORRUPT)
		sq_body_problem(c, id, "damaged (does not decompress to its size and checksum)");
	else if (r != STORE_OK)
		sq_problem(c, "blob %lld: cannot read it to verify its checksum", (long long)id);
	else if (have_digest && memcmp(got, sqlite3_column_blob(s, 7), SQ_DIGEST_LEN) != 0)
		sq_body_problem(c, id, "checksum mismatch");
}

/* A blob's summary (column col of s), unpacked and decoded. */
static void sq_check_summary(struct sq_check *c, sqlite3_stmt *s, int col, long long id,
			     struct buf *unpacked)
{
	struct mail_summary sum;
	const void *plain;
	size_t len;

	if (sqlite3_column_type(s, col) != SQLITE_BLOB)
		return;
	if (store_summary_unpack(sqlite3_column_blob(s, col), (size_t)sqlite3_column_bytes(s, col),
				 sq_dict_find, c->st, unpacked, &plain, &len) != STORE_OK ||
	    !mail_summary_decode(plain, len, &sum))
		sq_problem(c, "blob %lld: its summary is damaged", id);
}

/* Every dictionary row is one (store/store-dict.h): bodies and summaries
 * made with a damaged one cannot be read. */
static enum store_result sq_check_dicts(struct sq_check *c)
{
	sqlite3_stmt *s = sq_check_prepare(c, "SELECT id, kind, dict FROM dicts");
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		int kind = sqlite3_column_int(s, 1);
		struct store_dict *d = id > 0 && id <= UINT32_MAX &&
			(kind == STORE_DICT_BODY || kind == STORE_DICT_SUMMARY) ?
			store_dict_create((uint32_t)id, (enum store_dict_kind)kind,
					  sqlite3_column_blob(s, 2),
					  (size_t)sqlite3_column_bytes(s, 2)) : NULL;

		if (d == NULL)
			sq_problem(c, "dictionary %lld is damaged", (long long)id);
		store_dict_unref(&d);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(c->st, rc, "check dictionaries");
}

/* METADATA rows name a mailbox that exists (or the server, 0), with a
 * valid name in lower case, an owner that fits its scope, and a value
 * within the bounds. */
static enum store_result sq_check_metadata(struct sq_check *c)
{
	sqlite3_stmt *s = sq_check_prepare(c,
		"SELECT d.mailbox_id, d.owner, d.name, length(d.value),"
		" d.mailbox_id = 0 OR m.id IS NOT NULL, lower(d.name) = d.name"
		" FROM metadata d LEFT JOIN mailboxes m ON m.id = d.mailbox_id");
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long box = sqlite3_column_int64(s, 0);
		const char *owner = (const char *)sqlite3_column_text(s, 1);
		const char *name = (const char *)sqlite3_column_text(s, 2);
		bool private = name != NULL && strncmp(name, "/private/", 9) == 0;

		if (name == NULL || owner == NULL ||
		    !store_metadata_name_valid(name, strlen(name)) || !sqlite3_column_int(s, 5) ||
		    private == (owner[0] == '\0') ||
		    sqlite3_column_int64(s, 3) > STORE_METADATA_VALUE_MAX)
			sq_problem(c, "metadata entry %.80s of mailbox %lld is damaged",
				   name != NULL ? name : "(null)", box);
		else if (!sqlite3_column_int(s, 4))
			sq_problem(c, "metadata entry %.80s names mailbox %lld, which does not exist",
				   name, box);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(c->st, rc, "check metadata");
}

/* ACL rows name a mailbox that exists, with a valid identifier and
 * rights in their stored form (canonical letters, not none). */
static enum store_result sq_check_acl(struct sq_check *c)
{
	sqlite3_stmt *s = sq_check_prepare(c,
		"SELECT a.mailbox_id, a.identifier, a.rights, m.id IS NOT NULL"
		" FROM acl a LEFT JOIN mailboxes m ON m.id = a.mailbox_id");
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long box = sqlite3_column_int64(s, 0);
		const char *id = (const char *)sqlite3_column_text(s, 1);
		const char *letters = (const char *)sqlite3_column_text(s, 2);
		char canonical[ACL_RIGHTS_STR_MAX];
		acl_rights rights = 0;

		if (id == NULL || letters == NULL || !acl_identifier_valid(id) ||
		    !acl_rights_parse(letters, &rights) || rights == 0 ||
		    strcmp(acl_rights_store_format(rights, canonical), letters) != 0)
			sq_problem(c, "acl entry %.80s of mailbox %lld is damaged",
				   id != NULL ? id : "(null)", box);
		else if (!sqlite3_column_int(s, 3))
			sq_problem(c, "acl entry %.80s names mailbox %lld, which does not exist",
				   id, box);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(c->st, rc, "check acl");
}

static enum store_result sq_check_blobs(struct sq_check *c)
{
	sqlite3_stmt *s = sq_check_prepare(c,
		"SELECT id, size, refcount, data IS NOT NULL, length(data), file,"
		" (SELECT count(*) FROM messages m WHERE m.blob_id = b.id), digest, data, codec,"
		" summary FROM blobs b");
	struct buf unpacked;
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	buf_init(&unpacked, MAIL_SUMMARY_MAX);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		int64_t size = sqlite3_column_int64(s, 1);
		int64_t refs = sqlite3_column_int64(s, 2);
		int64_t users = sqlite3_column_int64(s, 6);
		const char *file = (const char *)sqlite3_column_text(s, 5);
		int codec = sqlite3_column_int(s, 9);
		struct stat sb;
		int fd;

		if (refs != users || refs < 1)
			sq_problem(c, "blob %lld: refcount %lld but %lld messages use it", id,
				   (long long)refs, (long long)users);
		sq_check_summary(c, s, 10, id, &unpacked);
		if (!body_codec_known(codec)) {
			sq_problem(c, "blob %lld: unknown codec %d", id, codec);
			continue;
		}
		if (sqlite3_column_int(s, 3)) {
			int64_t stored = sqlite3_column_int64(s, 4);

			if (codec == BODY_CODEC_PLAIN && stored != size)
				sq_problem(c, "blob %lld: %lld bytes stored, size says %lld", id,
					   (long long)stored, (long long)size);
			else
				sq_check_body(c, s, id, codec, size, sqlite3_column_blob(s, 8),
					      (uint64_t)stored, -1);
			continue;
		}
		if (file == NULL || file[0] == '\0' || file[0] == '.' || strchr(file, '/') != NULL) {
			sq_problem(c, "blob %lld: bad file name", id);
			continue;
		}
		if (fstatat(c->st->blob_dir_fd, file, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			sq_problem(c, "blob %lld: blobs/%s: %s", id, file, strerror(errno));
			continue;
		}
		if (!S_ISREG(sb.st_mode) || (codec == BODY_CODEC_PLAIN && sb.st_size != size)) {
			sq_problem(c, "blob %lld: blobs/%s has %lld bytes, size says %lld", id, file,
				   (long long)sb.st_size, (long long)size);
			continue;
		}
		fd = openat(c->st->blob_dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			sq_problem(c, "blob %lld: blobs/%s: %s", id, file, strerror(errno));
			continue;
		}
		sq_check_body(c, s, id, codec, size, NULL, (uint64_t)sb.st_size, fd);
		close(fd);
	}
	sqlite3_finalize(s);
	buf_free(&unpacked);
	if (rc != SQLITE_DONE)
		return sq_fail(c->st, rc, "check blobs");
	return STORE_OK;
}

/* Messages whose body row is gone (FETCH answers them with an error). */
static enum store_result sq_check_bodies_present(struct sq_check *c)
{
	sqlite3_stmt *s = sq_check_prepare(c, "SELECT b.name, m.uid, m.blob_id FROM messages m"
					   " JOIN mailboxes b ON b.id = m.mailbox_id WHERE NOT EXISTS"
					   " (SELECT 1 FROM blobs x WHERE x.id = m.blob_id)"
					   " ORDER BY b.name, m.uid");
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		sq_problem(c, "body %lld of mailbox \"%s\": missing (blob %lld has no row)",
			   (long long)sqlite3_column_int64(s, 1),
			   (const char *)sqlite3_column_text(s, 0),
			   (long long)sqlite3_column_int64(s, 2));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? STORE_OK : sq_fail(c->st, rc, "check bodies");
}

static void sq_orphan_report(const char *name, uint64_t size, void *ctx)
{
	sq_problem(ctx, "orphan body file blobs/%s (%llu bytes) that no message names", name,
		   (unsigned long long)size);
}

/* Every message's search text is in the index (search.db's text_store,
 * or the first format's blob_text while it is converted) or waits for the
 * indexer (text_pending): never neither. */
static enum store_result sq_check_search_text(struct sq_check *c)
{
	int old = sq_search_upgrading(c->st);
	sqlite3_stmt *s = old < 0 ? NULL :
		sq_check_prepare(c, old ? "SELECT count(*), min(b.id) FROM blobs b"
				 " WHERE b.summary IS NOT NULL AND NOT EXISTS"
				 " (SELECT 1 FROM text_pending p WHERE p.blob_id = b.id)"
				 " AND NOT EXISTS (SELECT 1 FROM search.text_store t"
				 " WHERE t.blob_id = b.id) AND NOT EXISTS (SELECT 1 FROM"
				 " search.blob_text o WHERE o.rowid = b.id)" :
				 "SELECT count(*), min(b.id) FROM blobs b"
				 " WHERE b.summary IS NOT NULL AND NOT EXISTS"
				 " (SELECT 1 FROM text_pending p WHERE p.blob_id = b.id)"
				 " AND NOT EXISTS (SELECT 1 FROM search.text_store t"
				 " WHERE t.blob_id = b.id)");
	int rc;

	if (s == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0)
		sq_problem(c, "%lld messages' search text is neither indexed nor waiting"
			   " (first blob %lld): SEARCH misses them",
			   (long long)sqlite3_column_int64(s, 0), (long long)sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? STORE_OK : sq_fail(c->st, rc, "check search text");
}

enum store_result sq_store_check(struct store *store,
				 void (*report)(const char *problem, void *ctx), void *ctx)
{
	struct sq_store *st = sq_store(store);
	struct sq_check c = { .st = st, .report = report, .ctx = ctx };
	enum store_result r;

	r = sq_begin(st, false);
	if (r != STORE_OK)
		return r;
	r = sq_check_pragma(&c, "PRAGMA integrity_check");
	if (r == STORE_OK)
		r = sq_check_pragma(&c, "PRAGMA foreign_key_check");
	if (r == STORE_OK)
		r = sq_check_mailboxes(&c);
	if (r == STORE_OK)
		r = sq_check_dicts(&c);
	if (r == STORE_OK)
		r = sq_check_metadata(&c);
	if (r == STORE_OK)
		r = sq_check_acl(&c);
	if (r == STORE_OK)
		r = sq_check_blobs(&c);
	if (r == STORE_OK)
		r = sq_check_bodies_present(&c);
	if (r == STORE_OK)
		r = sq_check_search_text(&c);
	r = sq_end(st, r);
	/* Reported, not removed: the daily maintenance at open removes them. */
	if (r == STORE_OK)
		r = sq_orphans(st, false, sq_orphan_report, &c);
	if (r == STORE_OK && c.problems > 0)
		r = STORE_CORRUPT;
	return r;
}
