/* internal.h: what the libcrm modules share and the commands never see:
 * the database handle, the statement cache and error helpers. */
#ifndef CRM_INTERNAL_H
#define CRM_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "db.h"

/* Cached prepared statements, one slot each. */
enum crm_stmt_id {
	STMT_EVENT_INSERT,
	STMT_CUSTOMER_BY_REF,
	STMT_CUSTOMER_BY_EMAIL,
	STMT_CUSTOMER_BY_ID,
	STMT_AUDIT,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_FIND_KEY_INS,
	STMT_FIND_KEY_DEL,
	STMT_MAX
};

struct crm_db {
	sqlite3 *sql;
	char *path;
	char *progname;
	char *source;
	char *user;
	int code;
	char msg[1024];
	int wait_ms;
	int in_tx;
	int allow_forgotten;    /* crm_db_allow_forgotten() */
	int forgotten;          /* -1 unknown, 0 nobody forgotten, 1 some */
	int see_erased;         /* crm_db_see_erased() */
	char *warning;          /* crm_db_warning() */
	sqlite3_stmt *stmt[STMT_MAX];
};

/* The statement layer (sql.c). */

/* crm__error: set the handle's error (code, printf message); returns -1. */
int crm__error(struct crm_db *db, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* crm__sqlerr: set the error from SQLite's last error on db->sql, prefixed
 * by what ("cannot store event"); busy becomes CRM_ETEMPFAIL, a full disk or
 * I/O error CRM_EIO, a file that is not a database CRM_EDATA. Returns -1. */
int crm__sqlerr(struct crm_db *db, const char *what);

/* crm__stmt: the cached statement id, prepared from sql on first use and
 * reset with bindings cleared. NULL on error (message set). Borrowed. */
sqlite3_stmt *crm__stmt(struct crm_db *db, enum crm_stmt_id id,
    const char *sql);

/* crm__prepare: prepare a one-off statement; NULL on error (message set).
 * The caller finalises it. */
sqlite3_stmt *crm__prepare(struct crm_db *db, const char *sql);

/* crm__exec: run SQL without results; 0 or -1. */
int crm__exec(struct crm_db *db, const char *sql);

/* Binding helpers: NULL strings and CRM_NONE integers bind as SQL NULL. */
int crm__bind_text(sqlite3_stmt *st, int i, const char *s);
int crm__bind_int(sqlite3_stmt *st, int i, int64_t v);

/* crm__col_text: a malloc'd copy of column i, NULL for SQL NULL. Sets *oom
 * when allocation fails. crm__col_int: CRM_NONE for SQL NULL. */
char *crm__col_text(sqlite3_stmt *st, int i, int *oom);
int64_t crm__col_int(sqlite3_stmt *st, int i);

/* CRM__EVENT_COLS, crm__event_bind (event.c): the columns of an event as
 * stored by crm_event_insert and crm-import, bound to ?1..?17 of st from
 * ev: an unset status "open" for a closable kind, an unset currency EUR
 * when there is an amount, and closed_at the closing time when the status
 * is closed. */
#define CRM__EVENT_COLS "customer_id, at, kind, channel, amount_cents," \
	" currency, quantity, product, category, rating, subject, body, ref," \
	" status, due_at, closed_at, discount_cents"
struct crm_event;
void crm__event_bind(sqlite3_stmt *st, const struct crm_event *ev,
    int64_t closed_at);

/* CRM__CUSTOMER_COLS, crm__customer_bind (customer.c): the text columns
 * of a customer, in the order of crm_customer_fields, as crm-add and
 * crm-import store them, bound to ?1..?12 of st from c (NULL binds NULL).
 * CRM__CUSTOMER_VALUES are their values for an INSERT, CRM__CUSTOMER_SET
 * their assignments for an UPDATE (attrs "{}" when NULL, either way). */
#define CRM__CUSTOMER_COLS "ref, first_name, last_name, company, email," \
	" phone, street, postal_code, city, country, notes, attrs"
#define CRM__CUSTOMER_VALUES "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10," \
	" ?11, coalesce(?12, '{}')"
#define CRM__CUSTOMER_SET "ref = ?1, first_name = ?2, last_name = ?3," \
	" company = ?4, email = ?5, phone = ?6, street = ?7," \
	" postal_code = ?8, city = ?9, country = ?10, notes = ?11," \
	" attrs = coalesce(?12, '{}')"
struct crm_customer;
void crm__customer_bind(sqlite3_stmt *st, const struct crm_customer *c);

/* crm__stats_closed (stats.c): keep the stored aggregates exact when
 * event id of customer cid, of kind kind and made at time made, is closed
 * at time at, in the transaction of the closing: open says it was open
 * until then (status open, no closing time), as it should be. The
 * customer's open count goes down and the stamp's window keeps the
 * cutoffs after at; when that cannot be done they are dropped
 * (crm_stats_invalidate). 0 or -1. */
int crm__stats_closed(struct crm_db *db, int64_t id, int64_t cid,
    const char *kind, int64_t made, int open, int64_t at);

/* crm__find_keys (findkeys.c): store the search keys of customer id from
 * its names n (none when n is NULL: an erased customer), replacing its old
 * ones unless isnew. Every path that writes those fields calls it in the
 * same transaction (crm__customer_keys does it for a struct crm_customer).
 * 0 or -1. */
struct crm__names {
	const char *first, *last, *company, *city, *phone;
};
int crm__find_keys(struct crm_db *db, int64_t id,
    const struct crm__names *n, int isnew);

/* crm__find_phone_key (findkeys.c): the key of a phone number: '#' and its
 * digits reversed, leading zeros left out, into out (CRM_PHONEBUF + 1
 * bytes); "" for none. */
void crm__find_phone_key(const char *phone, char *out);

/* crm__customer_keys (customer.c): crm__find_keys from the fields of c. */
struct crm_customer;
int crm__customer_keys(struct crm_db *db, int64_t id,
    const struct crm_customer *c, int isnew);

/* crm__find_keys_reload: the same from the stored row of customer id (its
 * keys dropped when there is none). crm__find_keys_drop: drop its keys
 * (before the customer is deleted or erased). 0 or -1. */
int crm__find_keys_reload(struct crm_db *db, int64_t id);
int crm__find_keys_drop(struct crm_db *db, int64_t id);

/* crm__find_stale (findkeys.c): compute every customer's search keys when
 * meta 'find_keys' says they are stale (the migration that made the table
 * sets it). Inside the migration's transaction. 0 or -1. */
int crm__find_stale(struct crm_db *db);

#endif
