/* batch.c: the batches crm-import records: listing them and undoing one
 * (the events, consents and customers it added, the values it changed). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "customer.h"
#include "event.h"
#include "import.h"
#include "rfm.h"
#include "util.h"
#include "value.h"

/* ---- batches ---------------------------------------------------------- */

int crm_batch_each(struct crm_db *db,
    int (*fn)(void *arg, int64_t id, const char *file, const char *sha256,
    int64_t started, int64_t finished, const char *user, const char *stats,
    int64_t undone), void *arg)
{
	sqlite3_stmt *st;
	int rc, stop = 0;

	if ((st = crm__prepare(db, "SELECT id, file, sha256, started_at,"
	    " finished_at, user, stats, undone_at FROM batches ORDER BY id")) ==
	    NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stop = fn(arg, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    crm__col_int(st, 3), crm__col_int(st, 4),
		    (const char *)sqlite3_column_text(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    crm__col_int(st, 7));
		if (stop)
			break;
	}
	if (!stop && rc != SQLITE_DONE)
		stop = crm__sqlerr(db, "cannot read batches");
	sqlite3_finalize(st);
	return stop;
}

/* run1: a one-off statement with ?1 = id; its changes, or -1. */
static long run1(struct crm_db *db, const char *sql, int64_t id,
    const char *s2)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (s2)
		crm__bind_text(st, 2, s2);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot undo batch");
	return sqlite3_changes(db->sql);
}

/* restore: put the old values of one batch_changes row back. */
static int restore(struct crm_db *db, int64_t cid, const char *old)
{
	sqlite3_stmt *st, *up;
	char sql[128];
	const char *k;
	int rc, f;

	if ((st = crm__prepare(db, "SELECT key, value FROM json_each(?1)")) ==
	    NULL)
		return -1;
	crm__bind_text(st, 1, old);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(k, "+tag") == 0) {
			snprintf(sql, sizeof(sql), "DELETE FROM tags WHERE"
			    " customer_id = ?1 AND tag = ?2");
		} else {
			/* Column names from the fixed list only. */
			if ((f = crm_customer_field(k)) < 0)
				continue;
			snprintf(sql, sizeof(sql), "UPDATE customers SET %s ="
			    " coalesce(?2, CASE WHEN '%s' = 'attrs' THEN '{}'"
			    " END) WHERE id = ?1", crm_customer_fields[f].name,
			    crm_customer_fields[f].name);
		}
		if ((up = crm__prepare(db, sql)) == NULL) {
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_bind_int64(up, 1, cid);
		sqlite3_bind_value(up, 2, sqlite3_column_value(st, 1));
		rc = sqlite3_step(up);
		sqlite3_finalize(up);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return crm__sqlerr(db, "cannot undo batch");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot undo batch");
	return 0;
}

int crm_batch_undo(struct crm_db *db, int64_t id, long *customers_deleted,
    long *customers_restored, long *events_deleted)
{
	sqlite3_stmt *st;
	char src[48];
	int rc;
	int64_t undone = CRM_NONE, n;
	long k;

	*customers_deleted = *customers_restored = *events_deleted = 0;
	if (crm_db_begin(db) == -1)
		return -1;
	if ((st = crm__prepare(db, "SELECT undone_at FROM batches"
	    " WHERE id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		undone = crm__col_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		crm__error(db, CRM_EDATA, "no batch %lld (crm-import --list "
		    "shows them)", (long long)id);
		goto fail;
	}
	if (undone != CRM_NONE) {
		crm__error(db, CRM_EDATA, "batch %lld was undone already",
		    (long long)id);
		goto fail;
	}
	/* Restore updated customers, newest change first. */
	if ((st = crm__prepare(db, "SELECT customer_id, old FROM batch_changes"
	    " WHERE batch_id = ?1 ORDER BY rowid DESC")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (restore(db, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) == -1) {
			sqlite3_finalize(st);
			goto fail;
		}
		(*customers_restored)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot undo batch");
		goto fail;
	}
	if ((k = run1(db, "DELETE FROM events WHERE batch_id = ?1", id,
	    NULL)) < 0)
		goto fail;
	*events_deleted = k;
	/* The kept per-customer aggregates counted those events. */
	if (k > 0 && crm_stats_invalidate(db) == -1)
		goto fail;
	snprintf(src, sizeof(src), "crm-import batch %lld", (long long)id);
	if (run1(db, "DELETE FROM consents WHERE source = ?2", id, src) < 0)
		goto fail;
	if ((st = crm__prepare(db, "SELECT count(*) FROM events e JOIN"
	    " customers c ON c.id = e.customer_id WHERE c.batch_id = ?1")) ==
	    NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		crm__sqlerr(db, "cannot undo batch");
		goto fail;
	}
	if (n > 0) {
		crm__error(db, CRM_EDATA, "cannot undo batch %lld: customers "
		    "it created have %lld events from elsewhere (undo later "
		    "batches first)", (long long)id, (long long)n);
		goto fail;
	}
	if (run1(db, "DELETE FROM tags WHERE customer_id IN (SELECT id FROM"
	    " customers WHERE batch_id = ?1)", id, NULL) < 0 ||
	    run1(db, "DELETE FROM consents WHERE customer_id IN (SELECT id"
	    " FROM customers WHERE batch_id = ?1)", id, NULL) < 0 ||
	    (k = run1(db, "DELETE FROM customers WHERE batch_id = ?1", id,
	    NULL)) < 0)
		goto fail;
	*customers_deleted = k;
	if ((st = crm__prepare(db, "UPDATE batches SET undone_at = ?2"
	    " WHERE id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, crm_now());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot undo batch");
		goto fail;
	}
	snprintf(src, sizeof(src), "{\"batch\":%lld}", (long long)id);
	if (crm_audit(db, "import.undo", 0, 0, src) == -1 ||
	    crm_db_commit(db) == -1)
		goto fail;
	return 0;
fail:
	crm_db_rollback(db);
	return -1;
}
