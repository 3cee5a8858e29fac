/* report.h: reports for people and scripts: the nightly summary and the
 * department reports (complaints, callbacks, campaigns, revenue, top
 * customers, audit), built from the database into tables and charts, then
 * written as text, Markdown, HTML, CSV, TSV or JSON. */
#ifndef CRM_REPORT_H
#define CRM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct crm_db;

enum crm_report_kind {
	CRM_REPORT_NIGHTLY,
	CRM_REPORT_COMPLAINTS,
	CRM_REPORT_CALLBACKS,
	CRM_REPORT_CAMPAIGNS,
	CRM_REPORT_REVENUE,
	CRM_REPORT_CUSTOMERS,
	CRM_REPORT_AUDIT
};

/* crm_report_kind_parse: "nightly", "complaints", ... to *kind; -1 if
 * unknown. crm_report_kind_name: the name of kind. crm_report_kind_list:
 * "nightly, complaints, ..." for messages. All strings static. */
int crm_report_kind_parse(const char *name, enum crm_report_kind *kind);
const char *crm_report_kind_name(enum crm_report_kind kind);
const char *crm_report_kind_list(void);

/* What to report. Zero-initialise, then set what the user asked for. */
struct crm_report_opts {
	enum crm_report_kind kind;
	int64_t since;          /* start of the period; CRM_NONE: default */
	int since_last;         /* --since last: the end of the last nightly */
	int64_t until;          /* end of the period (exclusive); CRM_NONE: now */
	const char *by;         /* complaints: category|product; revenue: day|
	                         * week|month|category; customers: spend|clv */
	int64_t top;            /* customers: how many (0: 10) */
	int64_t customer_id;    /* audit: only this customer (0: all) */
	int64_t now;            /* the clock (crm_now()) */
};

/*
 * The periods. nightly: [since, until) where since defaults to the end of
 * the last nightly report, else yesterday's local midnight, and until to
 * now; the previous period is the one of the same length just before, or,
 * when the period is a whole number of calendar months, as many calendar
 * months before. The department reports default to the 30 days before
 * until (customers and audit: all time; callbacks: what is open at until).
 */

/* A customer whose segment the record changes: the row written by
 * old_report (0: none) goes, a row with segment (NULL: none) comes. */
struct crm_segment_change {
	int64_t customer_id;
	int64_t old_report;
	const char *segment;
};

/* A table of formatted values; what every section holds. */
struct crm_rtable {
	char *name;             /* unique within the report: --section NAME */
	char *title;            /* for people, or NULL */
	size_t ncols;
	char **cols;
	char *types;            /* per column, see CRM_RT_* below */
	unsigned hide;          /* bit i: column i is for scripts only */
	int chart_only;         /* data of a chart: no table for people */
	size_t nrows, cap;
	char **cells;           /* nrows * ncols; NULL for no value */
};

/*
 * Column types: 's' text, 'n' count, 'm' money (1234.56), 'r' a number
 * with decimals, 'p' a percentage (12.5 for 12.5 %), 'c' a signed change
 * (written with its sign for people), 'P' a signed percentage change,
 * 'd' a date or time. Everything but 's' and 'd' is a JSON number.
 */

/* A bar chart of one numeric column of a table against a label column. */
struct crm_rchart {
	char *id;               /* "revenue", "segments", "response" */
	char *title;
	const struct crm_rtable *table;
	size_t label_col, value_col;
	int horizontal;         /* bars left to right (long labels) */
};

struct crm_rsection {
	char *name;             /* "sales", "complaints", ... */
	char *title;
	char *note;             /* a sentence for people, or NULL */
	size_t ntables;
	struct crm_rtable **tables;
	size_t ncharts;
	struct crm_rchart *charts;
	double seconds;         /* how long its queries took */
};

/* A built report. Everything is owned by it (crm_report_free). */
struct crm_report {
	enum crm_report_kind kind;
	char *title;
	int64_t ran_at;
	int64_t since, until;   /* CRM_NONE: no period (callbacks) */
	int64_t psince, puntil; /* previous period, CRM_NONE when none */
	size_t nsections;
	struct crm_rsection **sections;
	/* nightly: the RFM segments to record: all of them the first time,
	 * else only what changed since the last report (incremental) */
	size_t nsegs;
	struct crm_segment_of *segs;
	int incremental;
	size_t nchanges;
	struct crm_segment_change *changes;
	int oom;
};

/*
 * crm_report_build: run the queries of report o->kind and build it, all in
 * one read transaction (one consistent view of the database). Returns the
 * report (caller frees with crm_report_free) or NULL with the error on db
 * (CRM_EUSAGE for a bad --by, CRM_EDATA for since >= until).
 */
struct crm_report *crm_report_build(struct crm_db *db,
    const struct crm_report_opts *o);

/* crm_report_free: free r; NULL is a no-op. */
void crm_report_free(struct crm_report *r);

/*
 * crm_report_lock: take the report lock of db (a lock file beside the
 * database, "<db>-report.lock", mode 0600), waiting up to the handle's busy
 * timeout, so that two nightly reports started at once run one after the
 * other: the second then sees the first one's run for --since last.
 * Returns the lock, the caller's to release with crm_report_unlock() (NULL
 * is a no-op; the process ending releases it too), or NULL (CRM_ETEMPFAIL
 * when still locked after waiting).
 */
struct crm_report_lock;
struct crm_report_lock *crm_report_lock(struct crm_db *db);
void crm_report_unlock(struct crm_report_lock *lk);

/*
 * crm_report_record: store that report r ran (table reports: kind, ran_at,
 * since, until) and, for a nightly report, its RFM segments in
 * report_segments, which holds one row per customer: the segment at the
 * latest nightly report, with the id of the report that found it (since
 * when the customer has had it). Only the rows of customers who moved, are
 * new or have no segment any more are written. One write transaction.
 * Returns 0 or -1.
 */
int crm_report_record(struct crm_db *db, const struct crm_report *r);

/* Output formats of crm_report_write. */
enum crm_report_fmt {
	CRM_RFMT_TEXT,
	CRM_RFMT_MD,
	CRM_RFMT_HTML,
	CRM_RFMT_CSV,
	CRM_RFMT_TSV,
	CRM_RFMT_JSON
};

/* crm_report_fmt_parse: "text" "md" "html" "csv" "tsv" "json" (and
 * "table" for text, "markdown" for md); -1 if unknown. */
int crm_report_fmt_parse(const char *name, enum crm_report_fmt *fmt);

/*
 * crm_report_find: the section called name, or the section holding the
 * table called name (*table set to it, else NULL). NULL if neither.
 * crm_report_names: the section and table names for a message, in a new
 * string the caller frees (NULL when out of memory).
 */
const struct crm_rsection *crm_report_find(const struct crm_report *r,
    const char *name, const struct crm_rtable **table);
char *crm_report_names(const struct crm_report *r);

/*
 * crm_report_write: write r to fp. section, when not NULL, names a section
 * or table (crm_report_find; the caller has checked it exists) to write
 * alone. text fits 80 columns; md is GitHub-flavoured Markdown; html is one
 * self-contained page (inline CSS and SVG, no scripts, nothing fetched).
 * CSV and TSV hold one table: the named one, else the first table of the
 * named section, else the report's main table (nightly: every section's
 * figures with a section column). outflags are crm_out's (CRM_OUT_EXCEL).
 * Returns 0, or -1 on a write error or out of memory (errno set).
 */
int crm_report_write(const struct crm_report *r, FILE *fp,
    enum crm_report_fmt fmt, const char *section, unsigned outflags);

/* crm__html_write: the HTML writer (html.c), used by crm_report_write. */
int crm__html_write(const struct crm_report *r, FILE *fp,
    const struct crm_rsection *only);

/* One customer's RFM segment: the report's segment section and the record
 * in report_segments are written against this. */
struct crm_segment_of {
	int64_t customer_id;
	const char *segment;    /* static string */
};

/*
 * crm_report_rfm: the segment of every customer (not erased) with a
 * purchase before as_of (an exclusive end, as a period's), sorted by
 * customer_id, in *out (caller frees with free()) and *n. The segments are
 * those of libcrm/rfm.c's R x F grid (crm_stats_before with CRM_RFM_GRID;
 * names from crm_rfm_segments), the same as crm-segment rfm's.
 * Returns 0 or -1.
 */
int crm_report_rfm(struct crm_db *db, int64_t as_of,
    struct crm_segment_of **out, size_t *n);

#endif
