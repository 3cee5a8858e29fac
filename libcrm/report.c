/* report.c: building a crm-report: the kinds, the periods it covers, and
 * the run: one read transaction (two in the same state for the nightly
 * report, whose RFM segments run in a thread of their own). The sections
 * are in report_sections.c and report_segments.c, the tables they fill in
 * report_table.c, the lock and the record of runs in report_record.c;
 * rendering in report_fmt.c and html.c. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "event.h"
#include "report.h"
#include "report_int.h"
#include "util.h"
#include "value.h"

static const char *const kind_names[] = {
	[CRM_REPORT_NIGHTLY] = "nightly",
	[CRM_REPORT_COMPLAINTS] = "complaints",
	[CRM_REPORT_CALLBACKS] = "callbacks",
	[CRM_REPORT_CAMPAIGNS] = "campaigns",
	[CRM_REPORT_REVENUE] = "revenue",
	[CRM_REPORT_CUSTOMERS] = "customers",
	[CRM_REPORT_AUDIT] = "audit",
};

int crm_report_kind_parse(const char *name, enum crm_report_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*kind = (enum crm_report_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *crm_report_kind_name(enum crm_report_kind kind)
{
	return kind_names[kind];
}

const char *crm_report_kind_list(void)
{
	return "nightly, complaints, callbacks, campaigns, revenue, customers, "
	    "audit";
}


/* ------------------------------------------------------------------ */
/* Periods                                                             */

/* month_start: 1 if t is local midnight of the first of a month. */
static int month_start(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (localtime_r(&tt, tm) == NULL)
		return 0;
	return tm->tm_mday == 1 && tm->tm_hour == 0 && tm->tm_min == 0 &&
	    tm->tm_sec == 0;
}

/* add_months: local midnight of the first of the month k months from tm. */
static int64_t add_months(const struct tm *tm, int k)
{
	struct tm t = {0};

	t.tm_year = tm->tm_year;
	t.tm_mon = tm->tm_mon + k;
	t.tm_mday = 1;
	t.tm_isdst = -1;
	return (int64_t)mktime(&t);
}

/* previous: the period before [s, u): as many calendar months before when
 * both ends are month starts, else the same length before. */
static void previous(int64_t s, int64_t u, int64_t *ps, int64_t *pu)
{
	struct tm a, b;
	int months;

	*pu = s;
	if (month_start(s, &a) && month_start(u, &b)) {
		months = (b.tm_year - a.tm_year) * 12 + b.tm_mon - a.tm_mon;
		if (months > 0) {
			*ps = add_months(&a, -months);
			return;
		}
	}
	*ps = s - (u - s);
}

/* last_nightly: the id, end and time of the latest nightly report
 * (x->last_report 0 if none). */
static int last_nightly(struct ctx *x, int64_t *until)
{
	sqlite3_stmt *st;
	int rc;

	st = crm__rprep(x, "SELECT id, until, ran_at FROM reports WHERE kind = "
	    "'nightly' ORDER BY id DESC LIMIT 1", 0);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		x->last_report = sqlite3_column_int64(st, 0);
		*until = sqlite3_column_int64(st, 1);
		x->last_ran = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the report history");
	return 0;
}

#define ALL_TIME (INT64_MIN + 1)

/* periods: work out [s, u) and the previous period for the report. */
static int periods(struct ctx *x)
{
	const struct crm_report_opts *o = x->o;
	const char *why;
	int64_t last_until = CRM_NONE;

	x->u = o->until != CRM_NONE ? o->until : o->now;
	x->ps = x->pu = CRM_NONE;
	if (last_nightly(x, &last_until) == -1)
		return -1;
	if (o->kind == CRM_REPORT_CALLBACKS) {
		x->s = CRM_NONE;        /* what is open at until */
	} else if (o->since_last || (o->kind == CRM_REPORT_NIGHTLY &&
	    o->since == CRM_NONE)) {
		if (x->last_report)
			x->s = last_until;
		else if (crm_parse_date("yesterday", NULL, o->now, &x->s,
		    &why) == -1)
			return crm__error(x->db, CRM_EFAIL, "%s", why);
	} else if (o->since != CRM_NONE) {
		x->s = o->since;
	} else if (o->kind == CRM_REPORT_CUSTOMERS ||
	    o->kind == CRM_REPORT_AUDIT) {
		x->s = ALL_TIME;
	} else {
		x->s = x->u - 30 * (int64_t)DAY;
	}
	if (x->s != CRM_NONE && x->s > x->u)
		return crm__error(x->db, CRM_EDATA, "the period is empty: it "
		    "would start after it ends");
	/* only the nightly report compares with the period before */
	if (o->kind == CRM_REPORT_NIGHTLY)
		previous(x->s, x->u, &x->ps, &x->pu);
	x->r->since = x->s == ALL_TIME ? CRM_NONE : x->s;
	x->r->until = x->u;
	x->r->psince = x->ps;
	x->r->puntil = x->pu;
	return 0;
}

/* ------------------------------------------------------------------ */

/* seconds: a monotonic clock, for the sections' timings. */
static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The nightly report in two threads. The RFM segments (crm_stats_before
 * over every customer, the snapshot of the last report) take about as long
 * as all other sections together, so they run in a thread of their own on
 * a second connection, beside the others on the first.
 *
 * Both connections must read the same state of the database. SQLite (as
 * built here, without SQLITE_ENABLE_SNAPSHOT) cannot hand a snapshot from
 * one connection to another, so a third one takes the write lock for a
 * moment: while it holds it nobody can commit, and the read transactions
 * both start then see the same state. Where the lock cannot be had (a
 * read-only file, a writer that does not finish within a second),
 * or with CRM_REPORT_THREADS=1, the segments run after the other sections
 * on the one connection, as they did before.
 */
static void report_clear(struct crm_report *r);

struct seg_job {
	struct ctx x;                   /* x.db: the second connection */
	struct crm_report r;            /* the section is built in here */
	int rc;
};

/* begin_read: start a read transaction on db now (BEGIN alone waits for
 * the first read). */
static int begin_read(struct crm_db *db)
{
	return crm__exec(db, "BEGIN; SELECT 1 FROM sqlite_master LIMIT 1");
}

/* second: a second handle on db's file. Not crm_db_open: that reads the
 * file's header with open() and close(), and closing any descriptor of the
 * file drops every POSIX lock this process holds on it, db's too (SQLite
 * then saw its WAL checkpointed away under a read: "database disk image
 * is malformed"). NULL on failure. */
static struct crm_db *second(struct crm_db *db)
{
	struct crm_db *db2 = calloc(1, sizeof(*db2));

	if (db2 == NULL)
		return NULL;
	db2->forgotten = -1;
	db2->wait_ms = db->wait_ms;
	if ((db2->path = strdup(db->path)) == NULL ||
	    (db2->progname = strdup(db->progname)) == NULL ||
	    sqlite3_open_v2(db->path, &db2->sql, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		crm_db_close(db2);
		return NULL;
	}
	sqlite3_extended_result_codes(db2->sql, 1);
	sqlite3_busy_timeout(db2->sql, db->wait_ms);
	/* it may rewrite customer_stats: zero what it frees, as db does */
	if (crm__exec(db2, "PRAGMA secure_delete=ON") == -1) {
		crm_db_close(db2);
		return NULL;
	}
	return db2;
}

/* pin: begin the read transactions of db and of a second connection to the
 * same file, in the same state. Returns the second handle (close with
 * crm_db_close), or NULL with db's transaction begun alone (see above), or
 * NULL with *failed set when db's could not begin. */
static struct crm_db *pin(struct crm_db *db, int *failed)
{
	const char *env = getenv("CRM_REPORT_THREADS");
	struct crm_db *db2 = NULL;
	sqlite3 *lock = NULL;
	int locked;

	*failed = 0;
	if ((env && strcmp(env, "1") == 0) || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    (db2 = second(db)) == NULL ||
	    sqlite3_open_v2(db->path, &lock, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		crm_db_close(db2);
		sqlite3_close(lock);
		*failed = begin_read(db) == -1;
		return NULL;
	}
	/* not worth waiting longer than the thread would save */
	sqlite3_busy_timeout(lock, db->wait_ms < 1000 ? db->wait_ms : 1000);
	locked = sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK;
	*failed = begin_read(db) == -1;
	if (!*failed && locked && begin_read(db2) == -1) {
		crm_db_close(db2);
		db2 = NULL;
		crm__exec(db, "ROLLBACK");
		*failed = begin_read(db) == -1;
	}
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	if (*failed || !locked) {
		crm_db_close(db2);
		return NULL;
	}
	return db2;
}

/* timed: run section function fn on x and note how long it took. */
static int timed(int (*fn)(struct ctx *), struct ctx *x)
{
	double t0 = seconds();
	int rc = fn(x);

	if (x->sec)
		x->sec->seconds = seconds() - t0;
	return rc;
}

static void *segments_thread(void *arg)
{
	struct seg_job *j = arg;

	j->rc = timed(crm__sec_segments, &j->x);
	/* keeps the aggregates crm_stats_before stored, if it could */
	sqlite3_exec(j->x.db->sql, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

/* nightly: the sections of the nightly report, the segments in a thread
 * on db2 when there is one. */
static int nightly(struct ctx *x, struct crm_db *db2)
{
	struct crm_report *r = x->r, *r2;
	struct crm_rsection **v;
	struct seg_job j;
	pthread_t th;
	size_t i;
	int rc = 0;

	memset(&j, 0, sizeof(j));
	if (db2) {
		j.x = *x;
		j.x.db = db2;
		j.x.r = &j.r;
		j.x.sec = NULL;
		if (pthread_create(&th, NULL, segments_thread, &j) != 0)
			db2 = NULL;     /* in turn, then */
	}
	for (i = 0; rc == 0 && crm__nightly_sections[i]; i++)
		rc = timed(crm__nightly_sections[i], x);
	if (db2 == NULL)
		return rc == 0 ? timed(crm__sec_segments, x) : rc;
	pthread_join(th, NULL);
	/* the thread's section and record into r */
	r2 = &j.r;
	r->oom |= r2->oom;
	r->segs = r2->segs;
	r->nsegs = r2->nsegs;
	r->changes = r2->changes;
	r->nchanges = r2->nchanges;
	r->incremental = r2->incremental;
	r2->segs = NULL;
	r2->changes = NULL;
	if ((v = realloc(r->sections, (r->nsections + r2->nsections) *
	    sizeof(*v))) == NULL) {
		r->oom = 1;
	} else {
		r->sections = v;
		for (i = 0; i < r2->nsections; i++)
			v[r->nsections++] = r2->sections[i];
		r2->nsections = 0;
	}
	report_clear(r2);
	if (rc == 0 && j.rc == -1)
		rc = crm__error(x->db, db2->code, "%s", db2->msg);
	return rc;
}

struct crm_report *crm_report_build(struct crm_db *db,
    const struct crm_report_opts *o)
{
	static const char *const titles[] = {
		[CRM_REPORT_NIGHTLY] = "Nightly report",
		[CRM_REPORT_COMPLAINTS] = "Complaints and returns",
		[CRM_REPORT_CALLBACKS] = "Open service requests and callbacks",
		[CRM_REPORT_CAMPAIGNS] = "Campaign results",
		[CRM_REPORT_REVENUE] = "Revenue",
		[CRM_REPORT_CUSTOMERS] = "Top customers",
		[CRM_REPORT_AUDIT] = "Audit log",
	};
	struct crm_db *db2 = NULL;
	struct crm_report *r;
	struct ctx x;
	int rc = 0, failed;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		crm__error(db, CRM_EFAIL, "out of memory");
		return NULL;
	}
	memset(&x, 0, sizeof(x));
	x.db = db;
	x.r = r;
	x.o = o;
	r->kind = o->kind;
	r->ran_at = o->now;
	r->title = crm__rstrdup(r, titles[o->kind]);
	/* No mmap: on a file of 10 million events it made no measurable
	 * difference, but the mapped pages counted in the resident size
	 * (over 1 GB instead of 150 MB). */
	/* one read transaction (two for the nightly one, in the same
	 * state): every figure from the same state */
	if (o->kind == CRM_REPORT_NIGHTLY)
		db2 = pin(db, &failed);
	else
		failed = crm__exec(db, "BEGIN") == -1;
	if (failed) {
		crm_report_free(r);
		return NULL;
	}
	if (periods(&x) == -1)
		rc = -1;
	else if (o->kind == CRM_REPORT_NIGHTLY)
		rc = nightly(&x, db2);
	else
		rc = crm__department(&x);
	if (rc == 0 && r->oom)
		rc = crm__error(db, CRM_EFAIL, "out of memory");
	sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
	crm_db_close(db2);      /* its transaction ended in the thread */
	if (rc == -1) {
		crm_report_free(r);
		return NULL;
	}
	return r;
}

static void table_free(struct crm_rtable *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	for (i = 0; i < t->ncols && t->cols; i++)
		free(t->cols[i]);
	free(t->cells);
	free(t->cols);
	free(t->types);
	free(t->name);
	free(t->title);
	free(t);
}

/* report_clear: free what r holds, not r. */
static void report_clear(struct crm_report *r)
{
	struct crm_rsection *s;
	size_t i, j;

	for (i = 0; i < r->nsections; i++) {
		s = r->sections[i];
		for (j = 0; j < s->ntables; j++)
			table_free(s->tables[j]);
		for (j = 0; j < s->ncharts; j++) {
			free(s->charts[j].id);
			free(s->charts[j].title);
		}
		free(s->charts);
		free(s->tables);
		free(s->name);
		free(s->title);
		free(s->note);
		free(s);
	}
	free(r->sections);
	free(r->segs);
	free(r->changes);
	free(r->title);
}

void crm_report_free(struct crm_report *r)
{
	if (r == NULL)
		return;
	report_clear(r);
	free(r);
}

