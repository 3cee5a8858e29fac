/* sql.c: the statement layer every module uses: the handle's error state,
 * one-off and cached statements, binding and reading columns. Below db.c
 * (opening, migrating, transactions), so that what a migration asks of C
 * code (findkeys.c) can use it; the seam where a second engine's driver
 * will plug in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int crm__error(struct crm_db *db, int code, const char *fmt, ...)
{
	va_list ap;

	if (db == NULL)
		return -1;
	db->code = code;
	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int crm__sqlerr(struct crm_db *db, const char *what)
{
	int rc = sqlite3_extended_errcode(db->sql) & 0xff;

	switch (rc) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return crm__error(db, CRM_ETEMPFAIL, "%s: database is busy: "
		    "another process held %s for more than %d s; try again",
		    what, db->path, (db->wait_ms + 999) / 1000);
	case SQLITE_NOTADB:
		return crm__error(db, CRM_EDATA,
		    "%s is not an SQLite database", db->path);
	case SQLITE_CORRUPT:
		return crm__error(db, CRM_EDATA, "%s: database is damaged: %s",
		    db->path, sqlite3_errmsg(db->sql));
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return crm__error(db, CRM_EIO, "%s: %s: %s", what, db->path,
		    sqlite3_errmsg(db->sql));
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return crm__error(db, CRM_ECANTCREAT, "%s: %s: %s", what,
		    db->path, sqlite3_errmsg(db->sql));
	case SQLITE_CANTOPEN:
		return crm__error(db, CRM_ENOINPUT, "%s: cannot open %s",
		    what, db->path);
	case SQLITE_CONSTRAINT:
		return crm__error(db, CRM_EDATA, "%s: %s", what,
		    sqlite3_errmsg(db->sql));
	case SQLITE_NOMEM:
		return crm__error(db, CRM_EFAIL, "%s: out of memory", what);
	default:
		return crm__error(db, CRM_EFAIL, "%s: %s", what,
		    sqlite3_errmsg(db->sql));
	}
}

sqlite3_stmt *crm__prepare(struct crm_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		crm__sqlerr(db, "cannot prepare statement");
		return NULL;
	}
	return st;
}

sqlite3_stmt *crm__stmt(struct crm_db *db, enum crm_stmt_id id,
    const char *sql)
{
	sqlite3_stmt *st = db->stmt[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(db->sql, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			crm__sqlerr(db, "cannot prepare statement");
			return NULL;
		}
		db->stmt[id] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

int crm__exec(struct crm_db *db, const char *sql)
{
	if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
		return crm__sqlerr(db, "cannot update database");
	return 0;
}

int crm__bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int crm__bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == INT64_MIN)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

char *crm__col_text(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *s;
	char *copy;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	s = sqlite3_column_text(st, i);
	if (s == NULL || (copy = strdup((const char *)s)) == NULL) {
		*oom = 1;
		return NULL;
	}
	return copy;
}

int64_t crm__col_int(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return INT64_MIN;
	return sqlite3_column_int64(st, i);
}
