/* privacy.c: erasing a customer (crm-forget), keeping the marks that
 * recognise them (forgotten.c), and the subject access export. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "customer.h"
#include "forgotten.h"
#include "privacy.h"
#include "segment.h"
#include "util.h"
#include "value.h"

void crm_db_see_erased(struct crm_db *db, int see)
{
	db->see_erased = see;
}

int crm_db_checkpoint(struct crm_db *db)
{
	int rc = sqlite3_wal_checkpoint_v2(db->sql, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	if (rc != SQLITE_OK)
		return crm__sqlerr(db, "cannot checkpoint the database");
	return 0;
}

/* count: a one-number query about customer id. */
static int count(struct crm_db *db, const char *sql, int64_t id, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot count");
	return 0;
}

/* run: a statement about customer id (?1), with a time as ?2 if it has one. */
static int run(struct crm_db *db, const char *sql, int64_t id, int64_t t)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, t);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot erase customer");
	return 0;
}

int crm_customer_forget(struct crm_db *db, int64_t id, const char *reason,
    int dry_run, struct crm_forget_stats *st)
{
	struct crm_forget_stats s = {0};
	struct crm_customer *c;
	struct crm_buf d = {0};
	int64_t erased;
	size_t i;
	int rc;

	if ((rc = crm_customer_get(db, id, &c)) != 1)
		return -1;
	if (count(db, "SELECT coalesce(erased_at, 0) FROM customers"
	    " WHERE id = ?1", id, &erased) == -1)
		goto fail;
	if (erased) {
		char when[CRM_TIMEBUF];
		crm__error(db, CRM_EDATA, "customer #%lld was forgotten "
		    "already on %s", (long long)id, crm_fmt_day(erased, when));
		goto fail;
	}
	for (i = 0; i < crm_customer_nfields; i++) {
		char *f = *crm_customer_str(c, i);
		if (f && strcmp(crm_customer_fields[i].name, "attrs") != 0)
			s.fields++;
		else if (f && strcmp(f, "{}") != 0)
			s.fields++;
	}
	if (count(db, "SELECT count(*) FROM events WHERE customer_id = ?1"
	    " AND (subject IS NOT NULL OR body IS NOT NULL)", id,
	    &s.events) == -1 ||
	    count(db, "SELECT count(*) FROM tags WHERE customer_id = ?1", id,
	    &s.tags) == -1 ||
	    count(db, "SELECT count(*) FROM consents WHERE customer_id = ?1",
	    id, &s.consents) == -1 ||
	    count(db, "SELECT count(*) FROM audit WHERE customer_id = ?1", id,
	    &s.audit) == -1 ||
	    count(db, "SELECT count(*) FROM batch_changes"
	    " WHERE customer_id = ?1", id, &s.changes) == -1)
		goto fail;
	if (st)
		*st = s;
	if (dry_run) {
		crm_customer_free(c);
		return 0;
	}

	if (crm_forgotten_remember(db, c->ref, c->email, c->phone) == -1)
		goto fail;
	/* ?1 is the customer in every statement below. */
	if (crm__find_keys_drop(db, id) == -1 ||
	    run(db, "UPDATE customers SET ref = NULL, first_name = NULL,"
	    " last_name = NULL, company = NULL, email = NULL, phone = NULL,"
	    " street = NULL, postal_code = NULL, city = NULL, country = NULL,"
	    " notes = NULL, attrs = '{}', erased_at = ?2, updated_at = ?2"
	    " WHERE id = ?1", id, crm_now()) == -1 ||
	    run(db, "UPDATE events SET subject = NULL, body = NULL,"
	    " ref = CASE WHEN kind IN ('email_in', 'email_out') THEN NULL"
	    " ELSE ref END WHERE customer_id = ?1", id, 0) == -1 ||
	    run(db, "DELETE FROM tags WHERE customer_id = ?1", id, 0) == -1 ||
	    run(db, "DELETE FROM consents WHERE customer_id = ?1", id, 0) == -1 ||
	    run(db, "DELETE FROM predictions WHERE customer_id = ?1", id,
	    0) == -1 ||
	    run(db, "DELETE FROM batch_changes WHERE customer_id = ?1", id,
	    0) == -1 ||
	    run(db, "UPDATE audit SET detail = NULL, command ="
	    " substr(command, 1, instr(command || ' ', ' ') - 1)"
	    " WHERE customer_id = ?1", id, 0) == -1)
		goto fail;
	crm_buf_adds(&d, "{\"reason\":");
	if (reason) crm_buf_addjson(&d, reason); else crm_buf_adds(&d, "null");
	crm_buf_addf(&d, ",\"fields\":%d,\"events\":%lld}", s.fields,
	    (long long)s.events);
	if (d.oom) {
		crm__error(db, CRM_EFAIL, "out of memory");
		goto fail;
	}
	/* The command line may name the person: record the program only. */
	if (crm_audit(db, "customer.forget", id, 0, d.s) == -1 ||
	    crm__exec(db, "UPDATE audit SET command = substr(command, 1,"
	    " instr(command || ' ', ' ') - 1) WHERE id = last_insert_rowid()")
	    == -1)
		goto fail;
	crm_buf_free(&d);
	crm_customer_free(c);
	return 0;
fail:
	crm_buf_free(&d);
	crm_customer_free(c);
	return -1;
}

/* is_time: columns holding Unix seconds. */
static int is_time(const char *col)
{
	size_t n = strlen(col);

	return strcmp(col, "at") == 0 || (n > 3 && strcmp(col + n - 3, "_at") == 0)
	    || strcmp(col, "next_purchase") == 0;
}

/* dump: append ,"name":[rows of sql for id as objects]; with single 1 one
 * object or null, with single 2 the first column's value alone. */
static int dump(struct crm_db *db, struct crm_buf *b, const char *name,
    const char *sql, int64_t id, int single)
{
	char t[CRM_TIMEBUF];
	sqlite3_stmt *st;
	int rc, i, n, rows = 0;
	const char *col;

	if ((st = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	crm_buf_addc(b, ',');
	crm_buf_addjson(b, name);
	crm_buf_adds(b, single ? ":" : ":[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (single != 2)
			crm_buf_adds(b, rows ? ",\n  {" : "\n  {");
		rows++;
		n = single == 2 ? 1 : sqlite3_column_count(st);
		for (i = 0; i < n; i++) {
			col = sqlite3_column_name(st, i);
			if (i)
				crm_buf_addc(b, ',');
			if (single != 2) {
				crm_buf_addjson(b, col);
				crm_buf_addc(b, ':');
			}
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				crm_buf_adds(b, "null");
				break;
			case SQLITE_INTEGER:
				if (is_time(col))
					crm_buf_addjson(b, crm_fmt_time(
					    sqlite3_column_int64(st, i), t));
				else
					crm_buf_addf(b, "%lld", (long long)
					    sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				crm_buf_addf(b, "%.17g",
				    sqlite3_column_double(st, i));
				break;
			default:
				crm_buf_addjson(b,
				    (const char *)sqlite3_column_text(st, i));
			}
		}
		if (single != 2)
			crm_buf_addc(b, '}');
	}
	if (single && rows == 0)
		crm_buf_adds(b, "null");
	else if (!single)
		crm_buf_addc(b, ']');
	if (rc != SQLITE_DONE)
		rc = crm__sqlerr(db, "cannot read customer data");
	else
		rc = 0;
	sqlite3_finalize(st);
	if (rc == 0 && b->oom)
		rc = crm__error(db, CRM_EFAIL, "out of memory");
	return rc;
}

/* segments_of: append ,"segments":[names of the saved segments that
 * customer id is in now]. The names are read first: running a segment
 * registers SQL functions, which SQLite refuses while a query is open. */
static int segments_of(struct crm_db *db, int64_t id, struct crm_buf *b)
{
	struct crm_buf names = {0};
	sqlite3_stmt *st;
	const char *name;
	int64_t now = crm_now();
	size_t i;
	int rc, n = 0;

	if ((st = crm__prepare(db, "SELECT name FROM segments"
	    " ORDER BY name")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_buf_add(&names, sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0) + 1);
	if (rc != SQLITE_DONE)
		crm__sqlerr(db, "cannot read segments");
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || names.oom) {
		crm_buf_free(&names);
		return names.oom ? crm__error(db, CRM_EFAIL, "out of memory") : -1;
	}
	crm_buf_adds(b, ",\"segments\":[");
	for (i = 0; i < names.len; i += strlen(name) + 1) {
		name = names.s + i;
		if ((rc = crm_segment_contains(db, name, id, now)) == -1) {
			crm_buf_free(&names);
			return -1;
		}
		if (rc) {
			if (n++)
				crm_buf_addc(b, ',');
			crm_buf_addjson(b, name);
		}
	}
	crm_buf_free(&names);
	return crm_buf_addc(b, ']');
}

int crm_subject_access(struct crm_db *db, int64_t id, struct crm_buf *json)
{
	if (segments_of(db, id, json) == -1)
		return -1;
	if (dump(db, json, "erased_at", "SELECT erased_at FROM customers"
	    " WHERE id = ?1", id, 2) == -1 ||
	    dump(db, json, "report_segments", "SELECT r.ran_at, s.segment"
	    " FROM report_segments s JOIN reports r ON r.id = s.report_id"
	    " WHERE s.customer_id = ?1 ORDER BY r.id", id, 0) == -1 ||
	    dump(db, json, "consent_history", "SELECT channel, granted, at,"
	    " source FROM consents WHERE customer_id = ?1 ORDER BY at, id",
	    id, 0) == -1 ||
	    dump(db, json, "prediction", "SELECT * FROM predictions"
	    " WHERE customer_id = ?1", id, 1) == -1 ||
	    dump(db, json, "audit", "SELECT at, user, command, action,"
	    " event_id, detail FROM audit WHERE customer_id = ?1 ORDER BY id",
	    id, 0) == -1 ||
	    dump(db, json, "import_changes", "SELECT b.file, b.started_at,"
	    " c.old FROM batch_changes c JOIN batches b ON b.id = c.batch_id"
	    " WHERE c.customer_id = ?1 ORDER BY b.id", id, 0) == -1)
		return -1;
	return 0;
}
