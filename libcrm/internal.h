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

/* crm__stats_fill (stats.c): the aggregates of the customers in st (ids
 * loaded, counters zero) as of st->cutoff, from the stored copy in
 * customer_stats brought up to date, or from all events (and stored when
 * st->as_of is not in the past). Call inside a transaction. 0 or -1. */
struct crm_stats;
int crm__stats_fill(struct crm_db *db, struct crm_stats *st);

/* crm__stats_closed (stats.c): keep the stored aggregates exact when the
 * event ev (as it was, open) is closed at time at, in the transaction of
 * the closing: the customer's open count goes down and the stamp's window
 * keeps the cutoffs after at; when that cannot be done they are dropped
 * (crm_stats_invalidate). 0 or -1. */
int crm__stats_closed(struct crm_db *db, const struct crm_event *ev,
    int64_t at);

/* crm__stats_customers (rfm.c): append the customers of s (columns: id,
 * erased), which it steps and finalises, to st->c with nothing counted.
 * 0 or -1. */
int crm__stats_customers(struct crm_db *db, struct crm_stats *st,
    sqlite3_stmt *s);

/* crm__stats_slot (rfm.c): the aggregates of customer id in st, erased or
 * not, or NULL. */
struct crm_cstat *crm__stats_slot(const struct crm_stats *st, int64_t id);

#endif
