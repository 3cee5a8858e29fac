/* db.h: the crm database: where it lives, opening and creating it, schema
 * migrations, transactions, and the error state every libcrm call reports. */
#ifndef CRM_DB_H
#define CRM_DB_H

#include <stddef.h>
#include <stdint.h>

/* The schema version this libcrm writes (PRAGMA user_version). */
#define CRM_SCHEMA_VERSION 7

/* Error classes, numerically the sysexits(3) codes commands exit with. */
enum crm_status {
	CRM_OK = 0,
	CRM_EFAIL = 1,          /* anything else */
	CRM_EUSAGE = 64,        /* bad arguments */
	CRM_EDATA = 65,         /* bad input data, refused change */
	CRM_ENOINPUT = 66,      /* cannot open input, no database */
	CRM_ENOUSER = 67,       /* no such customer */
	CRM_EUNAVAILABLE = 69,  /* service unavailable */
	CRM_ESOFTWARE = 70,     /* internal error */
	CRM_ECANTCREAT = 73,    /* cannot create the database */
	CRM_EIO = 74,           /* I/O error */
	CRM_ETEMPFAIL = 75      /* database busy: try again later */
};

/* Flags for crm_db_open(). */
#define CRM_DB_NOCREATE 0x1   /* a missing database is an error (66) */
#define CRM_DB_READONLY 0x2   /* open read-only (implies NOCREATE) */

/* Default busy timeout in milliseconds ($CRM_BUSY_TIMEOUT in seconds). */
#define CRM_BUSY_DEFAULT_MS 5000

struct crm_db;

/*
 * crm_db_path: the database path to use when the user gave none: $CRM_DB,
 * else $XDG_DATA_HOME/crm/crm.db, else $HOME/.local/share/crm/crm.db.
 * Writes into buf (size len). Returns buf, or NULL when no path can be made
 * (no HOME) or it does not fit.
 */
char *crm_db_path(char *buf, size_t len);

/*
 * crm_db_open: open (and unless NOCREATE, create) the database at path, or at
 * crm_db_path() when path is NULL. A new database file is created with mode
 * 0600 and missing parent folders with 0700; it is put in WAL mode. The
 * schema is created or migrated forward to CRM_SCHEMA_VERSION; a database
 * from a newer crm is refused unchanged. wait_ms is the busy timeout; a
 * negative value means $CRM_BUSY_TIMEOUT (seconds) or CRM_BUSY_DEFAULT_MS.
 * progname names the command in the audit log.
 *
 * The first call puts SQLite in multi-thread mode: libcrm runs threads
 * (crm-predict, crm-report), each with a connection of its own from
 * crm_db_peer(); a handle is used by one thread at a time, never by two at
 * once.
 * Returns 0 with *dbp set, or -1; on failure *dbp is still set (unless out of
 * memory, then NULL) so the caller can read crm_errmsg()/crm_errcode(), and
 * must crm_db_close() it.
 */
int crm_db_open(struct crm_db **dbp, const char *path, const char *progname,
    int wait_ms, unsigned flags);

/*
 * crm_db_peer: a second connection to db's database, for a thread of its
 * own or a read transaction beside db's (crm-predict reads the history in
 * two halves at once; crm-report builds the RFM segments on a second
 * connection and pins both to one state with a third). It has db's path,
 * program name, user, source, busy timeout and settings; read-only with
 * CRM_DB_READONLY. Unlike crm_db_open it neither checks nor migrates the
 * file (db did), and it does not open the file otherwise: closing any
 * descriptor of a file drops every POSIX lock this process holds on it,
 * db's too.
 *
 * This is the pattern to follow: a module that needs another connection
 * asks db.c for it here and never builds a struct crm_db or calls
 * sqlite3_open itself, so that db.c stays the one place that connects,
 * and the seam where a second engine plugs in (DESIGN.md, "Scale": a
 * PostgreSQL driver connects here with libpq, with db's URI).
 * Returns the handle (the caller closes it with crm_db_close(), in the
 * thread that used it last), or NULL with the message on db.
 */
struct crm_db *crm_db_peer(struct crm_db *db, unsigned flags);

/* crm_db_close: close the handle; NULL is a no-op. Rolls back an open
 * transaction. Returns 0, or -1 if SQLite reported an error on close. */
int crm_db_close(struct crm_db *db);

/* crm_db_warning: a warning found while opening (a database that others
 * may read), or NULL. Borrowed. */
const char *crm_db_warning(const struct crm_db *db);

/* crm_db_file: the path of the open database. Borrowed. */
const char *crm_db_file(const struct crm_db *db);

/*
 * crm_errmsg: the message of the last failed call ("" if none), e.g.
 * "database is busy: another crm command held it for more than 10 s".
 * Borrowed: valid until the next call on db. crm_errcode: its class, an
 * enum crm_status (a sysexits(3) code). Both accept NULL (out of memory).
 */
const char *crm_errmsg(const struct crm_db *db);
int crm_errcode(const struct crm_db *db);

/*
 * crm_db_begin: start a write transaction (BEGIN IMMEDIATE, waiting up to the
 * busy timeout). crm_db_commit / crm_db_rollback end it. Each returns 0 or -1.
 * Rollback of no transaction is a no-op returning 0.
 */
int crm_db_begin(struct crm_db *db);
int crm_db_commit(struct crm_db *db);
int crm_db_rollback(struct crm_db *db);

/*
 * crm_db_bulk: prepare the handle for a large batch in one transaction: a
 * page cache of CRM_BULK_CACHE_KIB, so that index pages stay in memory
 * instead of spilling to the WAL and being read back. Memory stays bounded
 * by that size whatever the input. Returns 0 or -1.
 */
#define CRM_BULK_CACHE_KIB (64 * 1024)
int crm_db_bulk(struct crm_db *db);

/* crm_db_set_source: what crm_audit() records as the command line summary
 * (e.g. "crm-add --update"); copied. */
int crm_db_set_source(struct crm_db *db, const char *source);

/* crm_db_user: the user recorded in the audit log ($CRM_USER, else the login
 * name of the real uid). Borrowed. */
const char *crm_db_user(const struct crm_db *db);

/*
 * crm_audit: record one change in the audit table: action ("customer.create",
 * "customer.update", "event.create", "event.close", ...), the customer and
 * event ids (0 for none) and a JSON object text or NULL as detail. The time,
 * user and command come from the handle. Returns 0 or -1.
 */
int crm_audit(struct crm_db *db, const char *action, int64_t customer_id,
    int64_t event_id, const char *detail);

#endif
