/* report_record.c: the report lock (one nightly report at a time) and the
 * record of runs (reports, and the segment snapshot the next one compares
 * with). */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "event.h"
#include "report.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Lock and record                                                     */

static int lock_fd = -1;

int crm_report_lock(struct crm_db *db)
{
	char path[PATH_MAX];
	int waited = 0;

	if (snprintf(path, sizeof(path), "%s-report.lock", db->path) >=
	    (int)sizeof(path))
		return crm__error(db, CRM_ECANTCREAT, "%s: path too long",
		    db->path);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd == -1)
		return crm__error(db, CRM_ECANTCREAT, "cannot create %s: %s",
		    path, strerror(errno));
	while (flock(lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return crm__error(db, CRM_EIO, "cannot lock %s: %s",
			    path, strerror(errno));
		if (waited >= db->wait_ms) {
			close(lock_fd);
			lock_fd = -1;
			return crm__error(db, CRM_ETEMPFAIL, "another report on "
			    "%s held the report lock for more than %d s; try "
			    "again", db->path, (db->wait_ms + 999) / 1000);
		}
		usleep(50 * 1000);
		waited += 50;
	}
	return 0;
}

void crm_report_unlock(void)
{
	if (lock_fd != -1) {
		close(lock_fd);
		lock_fd = -1;
	}
}

int crm_report_record(struct crm_db *db, const struct crm_report *r)
{
	sqlite3_stmt *st;
	int64_t id;
	size_t i;
	int rc;

	if (crm_db_begin(db) == -1)
		return -1;
	st = crm__prepare(db, "INSERT INTO reports (kind, ran_at, since, until)"
	    " VALUES (?1, ?2, ?3, ?4)");
	if (st == NULL)
		goto fail;
	crm__bind_text(st, 1, crm_report_kind_name(r->kind));
	sqlite3_bind_int64(st, 2, r->ran_at);
	crm__bind_int(st, 3, r->since);
	crm__bind_int(st, 4, r->until);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot record the report");
		goto fail;
	}
	id = sqlite3_last_insert_rowid(db->sql);
	{
		char detail[96];

		snprintf(detail, sizeof(detail), "{\"report\":%lld,\"kind\":"
		    "\"%s\"}", (long long)id, crm_report_kind_name(r->kind));
		if (crm_audit(db, "report.record", 0, 0, detail) == -1)
			goto fail;
	}
	if (r->kind == CRM_REPORT_NIGHTLY && !r->incremental) {
		/* the first snapshot: everyone */
		if (crm__exec(db, "DELETE FROM report_segments") == -1)
			goto fail;
		st = crm__prepare(db, "INSERT INTO report_segments (report_id,"
		    " customer_id, segment) VALUES (?1, ?2, ?3)");
		if (st == NULL)
			goto fail;
		for (i = 0; i < r->nsegs; i++) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, r->segs[i].customer_id);
			sqlite3_bind_text(st, 3, r->segs[i].segment, -1,
			    SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				sqlite3_finalize(st);
				crm__sqlerr(db, "cannot record the segments");
				goto fail;
			}
		}
		sqlite3_finalize(st);
	} else if (r->kind == CRM_REPORT_NIGHTLY) {
		/* what changed since the last report */
		sqlite3_stmt *del = crm__prepare(db, "DELETE FROM report_segments"
		    " WHERE report_id = ?1 AND customer_id = ?2");

		st = del ? crm__prepare(db, "INSERT INTO report_segments"
		    " (report_id, customer_id, segment) VALUES (?1, ?2, ?3)") :
		    NULL;
		if (st == NULL) {
			sqlite3_finalize(del);
			goto fail;
		}
		for (i = 0, rc = SQLITE_DONE; i < r->nchanges &&
		    rc == SQLITE_DONE; i++) {
			const struct crm_segment_change *c = r->changes + i;

			if (c->old_report) {
				sqlite3_bind_int64(del, 1, c->old_report);
				sqlite3_bind_int64(del, 2, c->customer_id);
				rc = sqlite3_step(del);
				sqlite3_reset(del);
			}
			if (rc == SQLITE_DONE && c->segment) {
				sqlite3_bind_int64(st, 1, id);
				sqlite3_bind_int64(st, 2, c->customer_id);
				sqlite3_bind_text(st, 3, c->segment, -1,
				    SQLITE_STATIC);
				rc = sqlite3_step(st);
				sqlite3_reset(st);
			}
		}
		sqlite3_finalize(st);
		sqlite3_finalize(del);
		if (rc != SQLITE_DONE) {
			crm__sqlerr(db, "cannot record the segments");
			goto fail;
		}
	}
	return crm_db_commit(db);
fail:
	crm_db_rollback(db);
	return -1;
}

