/* The PostgreSQL backend's schema: every table, why it is shaped so, and
 * the code that creates and upgrades it. Never drops or rewrites data a
 * newer petrel wrote: a newer schema is refused, not touched.
 *
 * One database holds every user of a cluster (issue 15), so every table
 * of mail data begins its primary key with store_id, the owner's row in
 * stores: each statement names its user, a user's rows sit together in
 * every index, and the tables can later be hash-partitioned by store_id
 * (or a directory can put users in other databases) without changing a
 * key. The rows mirror the SQLite backend's (sqlite-store.c, sqlite-users.c)
 * so both keep the same state: a migration is a copy, not a translation.
 * Names and identifiers are COLLATE "C": byte order, as SQLite's BINARY,
 * so LIST and `user list` order do not depend on the server's locale.
 *
 * Bookkeeping (made by pg_schema_ensure() itself, before any step):
 *   schema_version(singleton PK, version)  one row: the version the
 *       database is at. Read without a lock by every node at start.
 *   schema_history(version PK, applied_at, backend_pid)  a row per step
 *       applied, for the operator (and the test that two racing nodes
 *       apply it once).
 *
 * Version 1:
 *   cluster_meta(key PK, value bytea)  'secret': the 32 random bytes of
 *       store_users_secret(), made once by the first users_open
 *       (INSERT ... ON CONFLICT DO NOTHING, then read back: every node
 *       gets the same); 'public_store': present once the public owner's
 *       store was made (store-users.h STORE_PUBLIC_OWNER has no user row).
 *   users(name PK, hash, scram_salt, scram_iter, scram_stored,
 *       scram_server, created, store_created)  as users.db's: the
 *       password record auth/passdb.c makes, and whether the user's store
 *       was ever created (store_open refuses a vanished one).
 *   shares(owner, grantee, PK(owner, grantee)) + (grantee, owner): who
 *       shares with whom (store-users.h "shares").
 *   stores(id, owner UNIQUE, created, last_uidvalidity, changes,
 *       quota_storage, quota_message, quota_mailbox, dict_untrainable,
 *       last_check)  one row per user's (or the public owner's) mail
 *       store, what SQLite's per-store meta table holds, typed: the
 *       UIDVALIDITY high-water mark (max(now, last + 1): a re-created
 *       mailbox never reuses one), the user's own quota limits (NULL: the
 *       env's default; -1: none; storage in KiB), the store_dict_kind
 *       bits whose dictionary cannot be trained, when `check` last ran.
 *       Every writing transaction of a user locks this row first
 *       (SELECT ... FOR UPDATE) and bumps changes: one user's writes are
 *       serialized across nodes as SQLite's BEGIN IMMEDIATE serializes
 *       them on one machine, different users never wait for each other,
 *       and changes is store_change_count() and what a watch compares.
 *   mailboxes(store_id, id, name, uidvalidity, uidnext, highestmodseq,
 *       recent_uid, special_use, noselect, messages, unseen, deleted,
 *       size, recent; PK(store_id, id), UNIQUE(store_id, name))
 *       counters kept exact by every transaction that changes messages,
 *       as in SQLite (STATUS never scans); id from one sequence (never
 *       reused, so a stale reference never finds a new mailbox).
 *   subscriptions(store_id, name)
 *   keywords(store_id, mailbox_id, bit 0..63, name) + UNIQUE (store_id,
 *       mailbox_id, lower(name)): SQLite's NOCASE (keywords are atoms,
 *       ASCII, so lower() does not depend on the locale)
 *   blobs(store_id, id, size, stored_size, codec, chunk_size, refcount,
 *       emailid, summary, msgid, threadid, text_partial, digest)
 *       a body stored once, shared by COPY (refcount); size is
 *       RFC822.SIZE, stored_size the bytes in blob_chunks; codec as
 *       store/body-codec.h (plain or zstd frames with a seek table);
 *       id from one sequence (never reused, as SQLite's blob_id_high).
 *       unreferenced: when refcount fell to 0 (NULL before). A body of
 *       one chunk goes at once; a bigger one may still be read by an
 *       open store_body (it reads chunks as FETCH asks), so it is kept
 *       PG_BLOB_GRACE_S and swept by a later expunge (pg-store.h), found
 *       through blobs_unreferenced (partial: refcount <= 0). Its search
 *       text goes at once; THREADID lookups skip it.
 *   blob_chunks(store_id, blob_id, seq, data)  the stored bytes in
 *       PG_BLOB_CHUNK (256 KiB) rows, the last shorter: a FETCH of a
 *       partial body reads the seek table's chunk and the frames' chunks
 *       only, never the whole body, and no row approaches the 1 GB bytea
 *       limit. chunk_size is kept per blob so the constant can change.
 *       Storage EXTERNAL: the bytes are compressed already, so TOAST
 *       must not try pglz again on each write (and a substring stays
 *       cheap). Deleted with their blob (ON DELETE CASCADE).
 *   messages(store_id, mailbox_id, uid, blob_id, flags, keywords,
 *       internaldate, internaldate_zone, savedate, modseq)
 *       PK(store_id, mailbox_id, uid): a mailbox's messages are one index
 *       range in UID order (SELECT, FETCH 1:*); indexes on modseq
 *       (CONDSTORE/QRESYNC changes since), blob_id (refcount, COPY), and
 *       partial ones on unseen and \Deleted (STATUS UNSEEN, EXPUNGE).
 *   expunged(store_id, mailbox_id, uid, modseq)  kept for QRESYNC (RFC
 *       7162 §3.2.5.1) until the mailbox goes; + (mailbox, modseq).
 *   seen(store_id, mailbox_id, viewer, uid)  \Seen of users other than
 *       the owner (RFC 4314 §4: the 's' right keeps \Seen per user).
 *   acl(store_id, mailbox_id, identifier, rights)  RFC 4314 entries,
 *       rights as their letters (store/acl.h).
 *   metadata(store_id, mailbox_id, owner, name, value)  RFC 5464
 *       entries; mailbox_id 0 for the server's (so no foreign key),
 *       owner '' for /shared and the setter for /private.
 *   dicts(store_id, id, kind, dict)  the store's zstd dictionaries
 *       (store/store-dict.h), id the dictionary's own zstd id.
 *   text_store(store_id, blob_id, subject, hfrom, hto, hcc, hbcc, header,
 *       mime, body)  the search text of a body, case-folded by petrel
 *       (utf8proc full folding, mail/casefold.c) so SEARCH has SQLite's
 *       semantics; one GIN index of pg_trgm trigrams with store_id
 *       beside them (btree_gin) names the candidates of a substring of 3+
 *       characters within one user, which SEARCH then verifies. Written
 *       at delivery in the same transaction (GIN's pending list batches
 *       the index work, so no text_pending / indexer as SQLite needs);
 *       deleted with the blob. Whether the GIN index meets SEARCH TEXT <
 *       100 ms at 100,000 messages is for the SEARCH session to measure.
 *
 * Changes travel between nodes by LISTEN/NOTIFY with small payloads and
 * are read back by modseq and stores.changes; that needs no table.
 *
 * Upgrades: pg_schema_steps[v] takes version v to v + 1. A new version
 * appends a step and never edits an old one. */
#include "store/pg/pg-schema.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

/* Made before any step, and by every node that must upgrade: IF NOT
 * EXISTS, under the lock. */
static const char *const pg_schema_bookkeeping[] = {
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
	" version integer NOT NULL)",
	"CREATE TABLE IF NOT EXISTS schema_history ("
	" version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),"
	" backend_pid integer NOT NULL DEFAULT pg_backend_pid())",
	NULL,
};

/* Version 1: the whole schema of the comment above. */
static const char *const pg_schema_v1[] = {
	/* Both are trusted extensions (PostgreSQL 13+): the database's owner
	 * may create them without being a superuser. */
	"CREATE EXTENSION IF NOT EXISTS pg_trgm",
	"CREATE EXTENSION IF NOT EXISTS btree_gin",
	"CREATE TABLE cluster_meta (key text COLLATE \"C\" PRIMARY KEY, value bytea NOT NULL)",
	"CREATE TABLE users ("
	" name text COLLATE \"C\" PRIMARY KEY, hash text NOT NULL,"
	" scram_salt bytea, scram_iter bigint, scram_stored bytea, scram_server bytea,"
	" created bigint NOT NULL, store_created boolean NOT NULL DEFAULT false)",
	"CREATE TABLE shares ("
	" owner text COLLATE \"C\" NOT NULL, grantee text COLLATE \"C\" NOT NULL,"
	" PRIMARY KEY (owner, grantee))",
	"CREATE INDEX shares_grantee ON shares (grantee, owner)",
	"CREATE TABLE stores ("
	" id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" owner text COLLATE \"C\" NOT NULL UNIQUE, created bigint NOT NULL,"
	" last_uidvalidity bigint NOT NULL DEFAULT 0, changes bigint NOT NULL DEFAULT 0,"
	" quota_storage bigint, quota_message bigint, quota_mailbox bigint,"
	" dict_untrainable integer NOT NULL DEFAULT 0, last_check bigint NOT NULL DEFAULT 0)",
	"CREATE TABLE mailboxes ("
	" store_id bigint NOT NULL REFERENCES stores (id),"
	" id bigint GENERATED ALWAYS AS IDENTITY, name text COLLATE \"C\" NOT NULL,"
	" uidvalidity bigint NOT NULL, uidnext bigint NOT NULL DEFAULT 1,"
	" highestmodseq bigint NOT NULL DEFAULT 1, recent_uid bigint NOT NULL DEFAULT 1,"
	" special_use integer NOT NULL DEFAULT 0, noselect boolean NOT NULL DEFAULT false,"
	" messages bigint NOT NULL DEFAULT 0, unseen bigint NOT NULL DEFAULT 0,"
	" deleted bigint NOT NULL DEFAULT 0, size bigint NOT NULL DEFAULT 0,"
	" recent bigint NOT NULL DEFAULT 0,"
	" PRIMARY KEY (store_id, id), UNIQUE (store_id, name))",
	"CREATE TABLE subscriptions ("
	" store_id bigint NOT NULL REFERENCES stores (id), name text COLLATE \"C\" NOT NULL,"
	" PRIMARY KEY (store_id, name))",
	"CREATE TABLE keywords ("
	" store_id bigint NOT NULL, mailbox_id bigint NOT NULL,"
	" bit smallint NOT NULL CHECK (bit BETWEEN 0 AND 63), name text COLLATE \"C\" NOT NULL,"
	" PRIMARY KEY (store_id, mailbox_id, bit),"
	" FOREIGN KEY (store_id, mailbox_id) REFERENCES mailboxes (store_id, id))",
	"CREATE UNIQUE INDEX keywords_name ON keywords (store_id, mailbox_id, lower(name))",
	"CREATE TABLE blobs ("
	" store_id bigint NOT NULL REFERENCES stores (id),"
	" id bigint GENERATED ALWAYS AS IDENTITY,"
	" size bigint NOT NULL, stored_size bigint NOT NULL, codec smallint NOT NULL,"
	" chunk_size integer NOT NULL, refcount integer NOT NULL,"
	" emailid text NOT NULL, summary bytea, msgid text, threadid text,"
	" text_partial boolean NOT NULL DEFAULT false, digest bytea, unreferenced bigint,"
	" PRIMARY KEY (store_id, id))",
	"CREATE INDEX blobs_unreferenced ON blobs (store_id, unreferenced) WHERE refcount <= 0",
	"CREATE INDEX blobs_msgid ON blobs (store_id, msgid) WHERE msgid IS NOT NULL",
	"CREATE TABLE blob_chunks ("
	" store_id bigint NOT NULL, blob_id bigint NOT NULL, seq integer NOT NULL,"
	" data bytea NOT NULL, PRIMARY KEY (store_id, blob_id, seq),"
	" FOREIGN KEY (store_id, blob_id) REFERENCES blobs (store_id, id) ON DELETE CASCADE)",
	"ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
	"CREATE TABLE messages ("
	" store_id bigint NOT NULL, mailbox_id bigint NOT NULL, uid bigint NOT NULL,"
	" blob_id bigint NOT NULL, flags integer NOT NULL, keywords bigint NOT NULL,"
	" internaldate bigint NOT NULL, internaldate_zone integer NOT NULL,"
	" savedate bigint NOT NULL, modseq bigint NOT NULL,"
	" PRIMARY KEY (store_id, mailbox_id, uid),"
	" FOREIGN KEY (store_id, mailbox_id) REFERENCES mailboxes (store_id, id),"
	" FOREIGN KEY (store_id, blob_id) REFERENCES blobs (store_id, id))",
	"CREATE INDEX messages_modseq ON messages (store_id, mailbox_id, modseq)",
	"CREATE INDEX messages_blob ON messages (store_id, blob_id)",
	"CREATE INDEX messages_unseen ON messages (store_id, mailbox_id, uid)"
	" WHERE flags & 1 = 0",
	"CREATE INDEX messages_deleted ON messages (store_id, mailbox_id, uid)"
	" WHERE flags & 8 <> 0",
	"CREATE TABLE expunged ("
	" store_id bigint NOT NULL, mailbox_id bigint NOT NULL, uid bigint NOT NULL,"
	" modseq bigint NOT NULL, PRIMARY KEY (store_id, mailbox_id, uid),"
	" FOREIGN KEY (store_id, mailbox_id) REFERENCES mailboxes (store_id, id))",
	"CREATE INDEX expunged_modseq ON expunged (store_id, mailbox_id, modseq)",
	"CREATE TABLE seen ("
	" store_id bigint NOT NULL, mailbox_id bigint NOT NULL,"
	" viewer text COLLATE \"C\" NOT NULL, uid bigint NOT NULL,"
	" PRIMARY KEY (store_id, mailbox_id, viewer, uid),"
	" FOREIGN KEY (store_id, mailbox_id) REFERENCES mailboxes (store_id, id))",
	"CREATE TABLE acl ("
	" store_id bigint NOT NULL, mailbox_id bigint NOT NULL,"
	" identifier text COLLATE \"C\" NOT NULL, rights text NOT NULL,"
	" PRIMARY KEY (store_id, mailbox_id, identifier),"
	" FOREIGN KEY (store_id, mailbox_id) REFERENCES mailboxes (store_id, id))",
	"CREATE TABLE metadata ("
	" store_id bigint NOT NULL REFERENCES stores (id), mailbox_id bigint NOT NULL,"
	" owner text COLLATE \"C\" NOT NULL, name text COLLATE \"C\" NOT NULL,"
	" value bytea NOT NULL, PRIMARY KEY (store_id, mailbox_id, owner, name))",
	"CREATE TABLE dicts ("
	" store_id bigint NOT NULL REFERENCES stores (id), id bigint NOT NULL,"
	" kind smallint NOT NULL, dict bytea NOT NULL, PRIMARY KEY (store_id, id))",
	"CREATE TABLE text_store ("
	" store_id bigint NOT NULL, blob_id bigint NOT NULL,"
	" subject text NOT NULL DEFAULT '', hfrom text NOT NULL DEFAULT '',"
	" hto text NOT NULL DEFAULT '', hcc text NOT NULL DEFAULT '',"
	" hbcc text NOT NULL DEFAULT '', header text NOT NULL DEFAULT '',"
	" mime text NOT NULL DEFAULT '', body text NOT NULL DEFAULT '',"
	" PRIMARY KEY (store_id, blob_id),"
	" FOREIGN KEY (store_id, blob_id) REFERENCES blobs (store_id, id) ON DELETE CASCADE)",
	/* lz4: SEARCH's recheck reads candidates' text, and pglz (the
	 * default) took 1.6-1.9x lz4's time (docs/ARCHITECTURE.md, measured). */
	"ALTER TABLE text_store ALTER COLUMN header SET COMPRESSION lz4,"
	" ALTER COLUMN mime SET COMPRESSION lz4, ALTER COLUMN body SET COMPRESSION lz4",
	"CREATE INDEX text_store_trgm ON text_store USING gin (store_id,"
	" subject gin_trgm_ops, hfrom gin_trgm_ops, hto gin_trgm_ops, hcc gin_trgm_ops,"
	" hbcc gin_trgm_ops, header gin_trgm_ops, mime gin_trgm_ops, body gin_trgm_ops)",
	NULL,
};

static const char *const *const pg_schema_steps[PG_SCHEMA_VERSION] = {
	pg_schema_v1,
};

static enum store_result pg_schema_run(struct pg_lease *lease, const char *const *sql,
				       const char *what)
{
	enum store_result ret = STORE_OK;

	for (; ret == STORE_OK && *sql != NULL; sql++)
		ret = pg_exec(lease, what, *sql, NULL, 0, 0, NULL);
	return ret;
}

/* The version in schema_version: STORE_NOT_FOUND when the table or its row
 * is missing (a new database). */
static enum store_result pg_schema_version(struct pg_lease *lease, const char *lock,
					   long *version_r)
{
	char sql[96];
	struct pg_result *res;
	enum store_result ret;

	*version_r = 0;
	snprintf(sql, sizeof(sql), "SELECT version FROM schema_version%s", lock);
	ret = pg_exec(lease, "schema version", sql, NULL, 0, PG_EXEC_NO_TABLE, &res);
	if (ret != STORE_OK)
		return ret;
	if (pg_result_rows(res) == 1)
		*version_r = strtol(pg_result_text(res, 0, 0), NULL, 10);
	else
		ret = STORE_NOT_FOUND;
	pg_result_free(&res);
	return ret;
}

static enum store_result pg_schema_refuse(long version, char *err, size_t err_size)
{
	snprintf(err, err_size, "store schema version %ld is newer than this petrel (knows %d)",
		 version, PG_SCHEMA_VERSION);
	log_error("pg: %s", err);
	return STORE_INVALID;
}

/* The upgrade itself, in the transaction the caller opened. */
static enum store_result pg_schema_upgrade(struct pg_lease *lease, unsigned int *applied_r,
					   char *err, size_t err_size)
{
	const struct pg_param key = PG_TEXT(PG_SCHEMA_LOCK_KEY);
	enum store_result ret;
	long version;

	ret = pg_exec(lease, "schema lock", "SELECT pg_advisory_xact_lock($1::bigint)", &key, 1,
		      0, NULL);
	if (ret == STORE_OK)
		ret = pg_schema_run(lease, pg_schema_bookkeeping, "schema bookkeeping");
	if (ret != STORE_OK)
		return ret;
	/* Read again under the lock: another node may have just upgraded. */
	ret = pg_schema_version(lease, " FOR UPDATE", &version);
	if (ret == STORE_NOT_FOUND)
		ret = STORE_OK;
	if (ret != STORE_OK)
		return ret;
	if (version > PG_SCHEMA_VERSION)
		return pg_schema_refuse(version, err, err_size);
	if (version < 0) {
		snprintf(err, err_size, "store schema version %ld is not valid", version);
		return STORE_CORRUPT;
	}
	for (long v = version; v < PG_SCHEMA_VERSION; v++) {
		char num[24];
		const struct pg_param step = PG_TEXT(num);

		snprintf(num, sizeof(num), "%ld", v + 1);
		ret = pg_schema_run(lease, pg_schema_steps[v], "schema upgrade");
		if (ret == STORE_OK)
			ret = pg_exec(lease, "schema history", "INSERT INTO schema_history (version)"
				      " VALUES ($1::integer)", &step, 1, 0, NULL);
		if (ret == STORE_OK)
			ret = pg_exec(lease, "schema version", "INSERT INTO schema_version (version)"
				      " VALUES ($1::integer) ON CONFLICT (singleton)"
				      " DO UPDATE SET version = EXCLUDED.version", &step, 1, 0, NULL);
		if (ret != STORE_OK)
			return ret;
		(*applied_r)++;
	}
	return STORE_OK;
}

enum store_result pg_schema_ensure(struct pg_lease *lease, unsigned int *applied_r, char *err,
				   size_t err_size)
{
	unsigned int applied = 0;
	enum store_result ret;
	long version;

	if (applied_r != NULL)
		*applied_r = 0;
	/* The usual case, every start of every node: one read, no lock. */
	ret = pg_schema_version(lease, "", &version);
	if (ret == STORE_OK && version == PG_SCHEMA_VERSION)
		return STORE_OK;
	if (ret == STORE_OK && version > PG_SCHEMA_VERSION)
		return pg_schema_refuse(version, err, err_size);
	if (ret != STORE_OK && ret != STORE_NOT_FOUND) {
		snprintf(err, err_size, "cannot read the store schema version (see log)");
		return ret;
	}
	ret = pg_txn_begin(lease);
	if (ret == STORE_OK)
		ret = pg_schema_upgrade(lease, &applied, err, err_size);
	if (ret == STORE_OK)
		ret = pg_txn_commit(lease);
	else
		pg_txn_rollback(lease);
	if (ret != STORE_OK) {
		if (ret != STORE_INVALID && ret != STORE_CORRUPT)
			snprintf(err, err_size, "cannot create or upgrade the store schema (see log)");
		return ret;
	}
	if (applied > 0)
		log_info("pg: store schema upgraded to version %d (%u steps)", PG_SCHEMA_VERSION,
			 applied);
	if (applied_r != NULL)
		*applied_r = applied;
	return STORE_OK;
}
