/* db.c: finding, creating, opening and migrating the crm database;
 * transactions and the audit log (the statements themselves: sql.c). */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "value.h"
#include "util.h"
#include "schema.sql.h"

#define NMIGRATIONS (sizeof(migration) / sizeof(migration[0]))

char *crm_db_path(char *buf, size_t len)
{
	const char *env, *home;
	int n;

	if ((env = getenv("CRM_DB")) != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else if ((env = getenv("XDG_DATA_HOME")) != NULL && *env == '/')
		n = snprintf(buf, len, "%s/crm/crm.db", env);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		n = snprintf(buf, len, "%s/.local/share/crm/crm.db", home);
	else
		return NULL;
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

/* mkparents: create the missing folders above path with mode 0700. */
static int mkparents(struct crm_db *db, const char *path)
{
	char dir[PATH_MAX];
	char *p;
	size_t n;

	n = strlen(path);
	if (n >= sizeof(dir))
		return crm__error(db, CRM_ECANTCREAT, "%s: path too long", path);
	memcpy(dir, path, n + 1);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return crm__error(db, CRM_ECANTCREAT,
			    "cannot create folder %s: %s", dir, strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* create_file: create an empty database file with mode 0600. */
static int create_file(struct crm_db *db, const char *path)
{
	int fd;

	if (mkparents(db, path) == -1)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 && errno != EEXIST)
		return crm__error(db, CRM_ECANTCREAT, "cannot create %s: %s",
		    path, strerror(errno));
	if (fd != -1)
		close(fd);
	return 0;
}

/* check_header: refuse a non-empty file that is not an SQLite database,
 * before SQLite sees it, with a message that says so. */
static int check_header(struct crm_db *db, const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return crm__error(db, CRM_ENOINPUT, "cannot open %s: %s",
		    path, strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(head)) != 0)
		return crm__error(db, CRM_EDATA,
		    "%s is not an SQLite database", path);
	return 0;
}

/*
 * connect_file: connect db->sql to the file at db->path, read-only with
 * CRM_DB_READONLY: extended result codes, the busy timeout, foreign keys,
 * and secure_delete (freed bytes are zeroed, so erased personal data does
 * not linger in the file: crm-forget). With crm_db_open and crm_db_peer
 * around it, the one place in libcrm that makes a connection: the SQLite
 * driver's, where a PostgreSQL one would connect with libpq. 0, or -1
 * with the message on db.
 */
static int connect_file(struct crm_db *db, unsigned flags)
{
	int ro = (flags & CRM_DB_READONLY) != 0;

	if (sqlite3_open_v2(db->path, &db->sql, SQLITE_OPEN_NOMUTEX |
	    (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE), NULL) !=
	    SQLITE_OK) {
		if (db->sql == NULL)
			return crm__error(db, CRM_EFAIL, "out of memory");
		if (access(db->path, R_OK | (ro ? 0 : W_OK)) == -1)
			return crm__error(db, CRM_ENOINPUT, "cannot open %s: %s",
			    db->path, strerror(errno));
		return crm__sqlerr(db, "cannot open database");
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, db->wait_ms);
	return crm__exec(db, "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON");
}

/* user_version: read PRAGMA user_version into *v. */
static int user_version(struct crm_db *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "PRAGMA user_version")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot read the schema version");
	return 0;
}

/* migrate: bring the schema from version v to CRM_SCHEMA_VERSION, in one
 * write transaction; a concurrent process may have done it meanwhile. */
static int migrate(struct crm_db *db, int readonly)
{
	char sql[64];
	int v, n;
	size_t i;

	if (user_version(db, &v) == -1)
		return -1;
	if (v > CRM_SCHEMA_VERSION)
		return crm__error(db, CRM_EDATA, "%s was written by a newer crm "
		    "(schema %d, this crm knows %d): upgrade crm; the database "
		    "was not changed", db->path, v, CRM_SCHEMA_VERSION);
	if (v == CRM_SCHEMA_VERSION)
		return 0;
	if (readonly)
		return crm__error(db, CRM_EDATA, "%s has schema %d and needs "
		    "an upgrade to %d: run any crm command that writes",
		    db->path, v, CRM_SCHEMA_VERSION);
	if (v == 0) {
		/* A new file: WAL lasts with the file; set it outside a tx. */
		if (crm__exec(db, "PRAGMA journal_mode=WAL") == -1)
			return -1;
	}
	if (crm_db_begin(db) == -1)
		return -1;
	if (user_version(db, &v) == -1)
		goto fail;
	if (v == 0) {
		sqlite3_stmt *st;

		/* version 0 with tables: somebody else's database */
		st = crm__prepare(db, "SELECT count(*) FROM sqlite_master");
		if (st == NULL)
			goto fail;
		n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
		sqlite3_finalize(st);
		if (n != 0) {
			crm__error(db, CRM_EDATA, "%s is an SQLite database but "
			    "not a crm database; it was not changed", db->path);
			goto fail;
		}
	}
	for (i = (size_t)v; i < NMIGRATIONS && i < CRM_SCHEMA_VERSION; i++)
		if (crm__exec(db, migration[i]) == -1)
			goto fail;
	/* What a migration asks of C code: crm-find's keys of the customers
	 * there already (see schema.sql.h). */
	if (crm__find_stale(db) == -1)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", CRM_SCHEMA_VERSION);
	if (crm__exec(db, sql) == -1)
		goto fail;
	return crm_db_commit(db);
fail:
	crm_db_rollback(db);
	return -1;
}

/* wait_from_env: the busy timeout in ms from $CRM_BUSY_TIMEOUT (seconds). */
static int wait_from_env(void)
{
	const char *why, *s = getenv("CRM_BUSY_TIMEOUT");
	int64_t v;

	if (s == NULL || crm_parse_int(s, 0, 86400, &v, &why) == -1)
		return CRM_BUSY_DEFAULT_MS;
	return (int)(v * 1000);
}

int crm_db_open(struct crm_db **dbp, const char *path, const char *progname,
    int wait_ms, unsigned flags)
{
	struct crm_db *db;
	char buf[PATH_MAX];
	struct stat sb;

	static int configured;

	/* Each connection is used by one thread at a time (crm-predict reads
	 * with two connections in two threads, and stores from a thread of
	 * its own): multi-thread mode spares SQLite the mutexes of each
	 * connection but keeps its global ones, which single-thread mode
	 * would drop. No memory accounting. Harmless (SQLITE_MISUSE) once
	 * SQLite is initialised by someone else. */
	if (!configured) {
		configured = 1;
		sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	}
	if ((*dbp = db = calloc(1, sizeof(*db))) == NULL)
		return -1;
	db->forgotten = -1;
	db->progname = strdup(progname ? progname : "crm");
	db->wait_ms = wait_ms >= 0 ? wait_ms : wait_from_env();
	if (flags & CRM_DB_READONLY)
		flags |= CRM_DB_NOCREATE;
	if (path == NULL && (path = crm_db_path(buf, sizeof(buf))) == NULL)
		return crm__error(db, CRM_EUSAGE, "no database: set CRM_DB or "
		    "HOME, or give -d PATH");
	if (*path == '\0')
		return crm__error(db, CRM_EUSAGE, "empty database path");
	if ((db->path = strdup(path)) == NULL || db->progname == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");

	if (stat(path, &sb) == -1) {
		if (errno == ENOTDIR && !(flags & CRM_DB_NOCREATE))
			return crm__error(db, CRM_ECANTCREAT, "cannot create %s: "
			    "%s", path, strerror(errno));
		if (errno != ENOENT)
			return crm__error(db, CRM_ENOINPUT, "cannot open %s: %s",
			    path, strerror(errno));
		if (flags & CRM_DB_NOCREATE)
			return crm__error(db, CRM_ENOINPUT, "no database at %s "
			    "(crm-add or crm-import creates one)", path);
		if (create_file(db, path) == -1)
			return -1;
	} else if (!S_ISREG(sb.st_mode)) {
		return crm__error(db, CRM_ENOINPUT, "%s is not a file", path);
	} else if (sb.st_mode & 077) {
		if (asprintf(&db->warning, "%s is readable or writable by "
		    "others (mode %03o); it holds personal data: chmod 600 %s",
		    path, (unsigned)(sb.st_mode & 0777), path) < 0)
			db->warning = NULL;
	}
	if (check_header(db, path) == -1 || connect_file(db, flags) == -1)
		return -1;
	return migrate(db, (flags & CRM_DB_READONLY) != 0);
}

struct crm_db *crm_db_peer(struct crm_db *db, unsigned flags)
{
	struct crm_db *p;

	if (db->path == NULL) {
		crm__error(db, CRM_EUSAGE, "no database file for a second "
		    "connection");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		crm__error(db, CRM_EFAIL, "out of memory");
		return NULL;
	}
	p->forgotten = -1;
	p->wait_ms = db->wait_ms;
	p->allow_forgotten = db->allow_forgotten;
	p->see_erased = db->see_erased;
	if ((p->path = strdup(db->path)) == NULL ||
	    (p->progname = strdup(db->progname)) == NULL ||
	    (db->source && (p->source = strdup(db->source)) == NULL) ||
	    (db->user && (p->user = strdup(db->user)) == NULL)) {
		crm_db_close(p);
		crm__error(db, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if (connect_file(p, flags) == -1) {
		crm__error(db, p->code, "%s", p->msg);
		crm_db_close(p);
		return NULL;
	}
	return p;
}

int crm_db_close(struct crm_db *db)
{
	int rc = 0;
	size_t i;

	if (db == NULL)
		return 0;
	if (db->sql) {
		if (db->in_tx)
			crm_db_rollback(db);
		for (i = 0; i < STMT_MAX; i++)
			sqlite3_finalize(db->stmt[i]);
		if (sqlite3_close(db->sql) != SQLITE_OK)
			rc = -1;
	}
	free(db->path);
	free(db->progname);
	free(db->source);
	free(db->user);
	free(db->warning);
	free(db);
	return rc;
}

const char *crm_db_warning(const struct crm_db *db)
{
	return db->warning;
}

const char *crm_db_file(const struct crm_db *db)
{
	return db->path;
}

const char *crm_errmsg(const struct crm_db *db)
{
	if (db == NULL)
		return "out of memory";
	return db->msg;
}

int crm_errcode(const struct crm_db *db)
{
	if (db == NULL)
		return CRM_EFAIL;
	return db->code ? db->code : CRM_EFAIL;
}

/* run: step a cached no-result statement. */
static int run(struct crm_db *db, enum crm_stmt_id id, const char *sql,
    const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__stmt(db, id, sql)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, what);
	return 0;
}

int crm_db_begin(struct crm_db *db)
{
	if (run(db, STMT_BEGIN, "BEGIN IMMEDIATE", "cannot start writing") == -1)
		return -1;
	db->in_tx = 1;
	return 0;
}

int crm_db_commit(struct crm_db *db)
{
	if (run(db, STMT_COMMIT, "COMMIT", "cannot commit") == -1) {
		crm_db_rollback(db);
		return -1;
	}
	db->in_tx = 0;
	return 0;
}

int crm_db_rollback(struct crm_db *db)
{
	if (db == NULL || db->sql == NULL)
		return 0;
	if (sqlite3_get_autocommit(db->sql)) {
		db->in_tx = 0;
		return 0;
	}
	db->in_tx = 0;
	/* Keep the error that caused the rollback: use a plain exec. */
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

int crm_db_bulk(struct crm_db *db)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d; PRAGMA foreign_keys=OFF", CRM_BULK_CACHE_KIB);
	return crm__exec(db, sql);
}

int crm_db_set_source(struct crm_db *db, const char *source)
{
	char *s;

	if ((s = strdup(source)) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	free(db->source);
	db->source = s;
	return 0;
}

const char *crm_db_user(const struct crm_db *db)
{
	struct crm_db *w = (struct crm_db *)db;
	const char *u = getenv("CRM_USER");
	struct passwd *pw;
	char num[32];

	if (w->user)
		return w->user;
	if (u == NULL || *u == '\0') {
		if ((pw = getpwuid(getuid())) != NULL)
			u = pw->pw_name;
		else {
			snprintf(num, sizeof(num), "uid %ld", (long)getuid());
			u = num;
		}
	}
	w->user = strdup(u);
	return w->user ? w->user : "?";
}

int crm_audit(struct crm_db *db, const char *action, int64_t customer_id,
    int64_t event_id, const char *detail)
{
	sqlite3_stmt *st;
	int rc;

	st = crm__stmt(db, STMT_AUDIT, "INSERT INTO audit (at, user, command,"
	    " action, customer_id, event_id, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, crm_now());
	crm__bind_text(st, 2, crm_db_user(db));
	crm__bind_text(st, 3, db->source ? db->source : db->progname);
	crm__bind_text(st, 4, action);
	crm__bind_int(st, 5, customer_id ? customer_id : INT64_MIN);
	crm__bind_int(st, 6, event_id ? event_id : INT64_MIN);
	crm__bind_text(st, 7, detail);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot write the audit log");
	return 0;
}
