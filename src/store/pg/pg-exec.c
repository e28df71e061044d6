/* Statements on a leased connection (pg-conn.h): parameterized only
 * (PQexecParams; a value is never spliced into SQL), SQLSTATE mapped to
 * enum store_result in one place, transactions, result accessors. A lost
 * connection marks the lease broken; nothing here aborts. */
#include "store/pg/pg-conn.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg/pg-lease.h"

/* Parameters of one statement: the widest petrel sends (a message row)
 * has about a dozen. */
#define PG_PARAMS_MAX 32

enum store_result pg_sqlstate_result(const char *sqlstate, bool exists_ok)
{
	static const struct {
		const char *state;
		enum store_result result;
	} map[] = {
		{ "40001", STORE_BUSY },       /* serialization_failure */
		{ "40P01", STORE_BUSY },       /* deadlock_detected */
		{ "55P03", STORE_BUSY },       /* lock_not_available (lock_timeout) */
		{ "57014", STORE_BUSY },       /* query_canceled (statement_timeout) */
		{ "53100", STORE_NO_SPACE },   /* disk_full */
	};

	if (sqlstate == NULL)
		return STORE_ERROR;
	if (exists_ok && strcmp(sqlstate, "23505") == 0)   /* unique_violation */
		return STORE_EXISTS;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(sqlstate, map[i].state) == 0)
			return map[i].result;
	}
	return STORE_ERROR;
}

/* Whether a failure means the connection itself is gone: libpq says so,
 * or the server did (class 08 connection_exception; 57P01..57P03
 * admin_shutdown, crash_shutdown, cannot_connect_now). */
static bool pg_connection_lost(PGconn *conn, const char *sqlstate)
{
	return PQstatus(conn) != CONNECTION_OK || sqlstate == NULL ||
	       strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
	       strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

static void pg_log_failure(const char *what, const char *how, PGconn *conn,
			   const PGresult *res, const char *sqlstate)
{
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		msg = PQerrorMessage(conn);
	log_error("pg: %s: %s%.*s (SQLSTATE %s)", what, how, (int)strcspn(msg, "\n"), msg,
		  sqlstate != NULL ? sqlstate : "none");
}

enum store_result pg_exec(struct pg_lease *lease, const char *what, const char *sql,
			  const struct pg_param *params, unsigned int count, unsigned int flags,
			  struct pg_result **res_r)
{
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX], formats[PG_PARAMS_MAX];
	enum store_result ret = STORE_ERROR;
	bool alone;

	if (res_r != NULL)
		*res_r = NULL;
	if (count > PG_PARAMS_MAX) {
		log_error("pg: %s: %u parameters (at most %d)", what, count, PG_PARAMS_MAX);
		return STORE_ERROR;
	}
	if (lease->broken)
		return STORE_ERROR;
	for (unsigned int i = 0; i < count; i++) {
		if (params[i].binary && params[i].len > (size_t)INT32_MAX)
			return STORE_INVALID;
		values[i] = params[i].value;
		lengths[i] = params[i].binary ? (int)params[i].len : 0;
		formats[i] = params[i].binary ? 1 : 0;
	}
	/* A statement on its own can be run again after a serialization
	 * failure; inside a transaction the whole transaction must be. */
	alone = PQtransactionStatus(lease->conn) == PQTRANS_IDLE;
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *res = PQexecParams(lease->conn, sql, (int)count, NULL, values, lengths,
					     formats, (flags & PG_EXEC_BINARY) != 0 ? 1 : 0);
		ExecStatusType status = PQresultStatus(res);
		const char *sqlstate;

		if (res != NULL && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) {
			if (res_r != NULL)
				*res_r = (struct pg_result *)res;
			else
				PQclear(res);
			return STORE_OK;
		}
		sqlstate = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		if (pg_connection_lost(lease->conn, sqlstate)) {
			lease->broken = true;
			pg_log_failure(what, "connection lost: ", lease->conn, res, sqlstate);
			PQclear(res);
			return STORE_ERROR;
		}
		ret = pg_sqlstate_result(sqlstate, (flags & PG_EXEC_EXISTS) != 0);
		if (ret == STORE_BUSY && alone && attempt == 0) {
			PQclear(res);
			continue;
		}
		if ((flags & PG_EXEC_NO_TABLE) != 0 && strcmp(sqlstate, "42P01") == 0)
			ret = STORE_NOT_FOUND;
		else if (ret != STORE_EXISTS)
			pg_log_failure(what, "", lease->conn, res, sqlstate);
		PQclear(res);
		break;
	}
	return ret;
}

uint64_t pg_exec_changed(const struct pg_result *res)
{
	const char *n = PQcmdTuples((PGresult *)res);

	return n[0] != '\0' ? strtoull(n, NULL, 10) : 0;
}

enum store_result pg_txn_begin(struct pg_lease *lease)
{
	return pg_exec(lease, "begin", "BEGIN", NULL, 0, 0, NULL);
}

enum store_result pg_txn_commit(struct pg_lease *lease)
{
	struct pg_result *res;
	enum store_result ret;

	/* COMMIT of a transaction that failed "succeeds" as a ROLLBACK. */
	if (!lease->broken && PQtransactionStatus(lease->conn) == PQTRANS_INERROR) {
		log_error("pg: commit of a failed transaction");
		pg_txn_rollback(lease);
		return STORE_ERROR;
	}
	ret = pg_exec(lease, "commit", "COMMIT", NULL, 0, 0, &res);
	if (ret != STORE_OK)
		return ret;
	if (strcmp(PQcmdStatus((PGresult *)res), "COMMIT") != 0)
		ret = STORE_ERROR;
	pg_result_free(&res);
	return ret;
}

void pg_txn_rollback(struct pg_lease *lease)
{
	if (lease->broken)
		return;    /* the server rolls back a transaction whose connection went */
	if (PQtransactionStatus(lease->conn) == PQTRANS_ACTIVE ||
	    pg_exec(lease, "rollback", "ROLLBACK", NULL, 0, 0, NULL) != STORE_OK)
		lease->broken = true;
}

/* ---- results ---- */

unsigned int pg_result_rows(const struct pg_result *res)
{
	int n = PQntuples((const PGresult *)res);

	return n > 0 ? (unsigned int)n : 0;
}

bool pg_result_null(const struct pg_result *res, unsigned int row, unsigned int col)
{
	return PQgetisnull((const PGresult *)res, (int)row, (int)col) != 0;
}

const char *pg_result_text(const struct pg_result *res, unsigned int row, unsigned int col)
{
	return PQgetvalue((const PGresult *)res, (int)row, (int)col);
}

const unsigned char *pg_result_bytes(const struct pg_result *res, unsigned int row,
				     unsigned int col, size_t *len_r)
{
	int len = PQgetlength((const PGresult *)res, (int)row, (int)col);

	*len_r = len > 0 ? (size_t)len : 0;
	return (const unsigned char *)PQgetvalue((const PGresult *)res, (int)row, (int)col);
}

bool pg_result_int64(const struct pg_result *res, unsigned int row, unsigned int col,
		     int64_t *value_r)
{
	const PGresult *r = (const PGresult *)res;
	const char *p = PQgetvalue(r, (int)row, (int)col);
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	*value_r = 0;
	if (PQgetisnull(r, (int)row, (int)col))
		return false;
	switch (PQgetlength(r, (int)row, (int)col)) {
	case 8:
		memcpy(&v64, p, 8);
		*value_r = (int64_t)be64toh(v64);
		return true;
	case 4:
		memcpy(&v32, p, 4);
		*value_r = (int32_t)be32toh(v32);
		return true;
	case 2:
		memcpy(&v16, p, 2);
		*value_r = (int16_t)be16toh(v16);
		return true;
	default:
		return false;
	}
}

void pg_result_free(struct pg_result **res)
{
	PQclear((PGresult *)*res);
	*res = NULL;
}
