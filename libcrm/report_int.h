/* report_int.h: what the files that build a crm-report share (report.c,
 * report_table.c, report_sections.c, report_segments.c) and nothing else
 * sees: the state of one build and the helpers that fill its tables. */
#ifndef CRM_REPORT_INT_H
#define CRM_REPORT_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define DAY 86400
#define VALBUF 64               /* a formatted value (crm__rfmt_*) */

/* The state of one build. */
/* The state of one build. */
struct ctx {
	struct crm_db *db;
	struct crm_report *r;
	const struct crm_report_opts *o;
	struct crm_rsection *sec;       /* the section being built */
	int64_t s, u, ps, pu;           /* periods; ps = CRM_NONE: none */
	int64_t last_report;            /* id of the last nightly, 0 none */
	int64_t last_ran;
};

/* Building the report (report_table.c). Allocation failures set r->oom
 * (x->r->oom) instead of failing; the build checks it once at the end. */

/* crm__rstrdup, crm__rprintf: a copy of s (NULL for NULL), a printf string;
 * NULL (and r->oom) when out of memory. Owned by the caller. */
char *crm__rstrdup(struct crm_report *r, const char *s);
char *crm__rprintf(struct crm_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* crm__rsection: start a new section of the report; it becomes x->sec.
 * NULL when out of memory (then x->sec is NULL and what follows is
 * dropped). */
struct crm_rsection *crm__rsection(struct ctx *x, const char *name,
    const char *title);

/* crm__rnote: set the note of the current section (printf). */
void crm__rnote(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* crm__rtable: add a table to the current section: name, title, the
 * column names separated by ',' and one type letter per column ('s' text,
 * 'n' count, 'm' money in cents, 'r' decimal, 'p' 'P' percent, 'c' change,
 * 'd' day, 'T' time). Borrowed: the section owns it; NULL on failure. */
struct crm_rtable *crm__rtable(struct ctx *x, const char *name,
    const char *title, const char *cols, const char *types);

/* crm__rrow: append a row of t->ncols values (NULL for none), copied;
 * t NULL is a no-op. */
void crm__rrow(struct ctx *x, struct crm_rtable *t, const char *const *v);

/* crm__rchart: a bar chart of table t's column vcol against lcol. */
void crm__rchart(struct ctx *x, const char *id, const char *title,
    const struct crm_rtable *t, size_t lcol, size_t vcol, int horizontal);

/* crm__rfmt_int, crm__rfmt_num: v into buf (VALBUF bytes), as a whole
 * number, or as type t ('n' 'm' 'r' 'p' 'c' 'P', money in cents; NULL for
 * NAN). Return buf. */
const char *crm__rfmt_int(char *buf, int64_t v);
const char *crm__rfmt_num(char *buf, char t, double v);

/* crm__rfill: append the rows of statement st to t, each column formatted
 * by the table's type letter. 0 or -1. */
int crm__rfill(struct ctx *x, struct crm_rtable *t, sqlite3_stmt *st);

/* crm__rprep: prepare sql and bind ?1..?n from the int64 list (CRM_NONE
 * binds NULL). Returns the statement (caller finalises) or NULL. */
sqlite3_stmt *crm__rprep(struct ctx *x, const char *sql, int n, ...);

/* crm__rquery(x, t, sql, int64 values ...): prepare, bind, fill t and
 * finalise. 0 or -1. */
#define crm__rquery(x, t, sql, ...) crm__rquery_(x, t, sql, \
	(int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), \
	(int64_t[]){ __VA_ARGS__ })
int crm__rquery_(struct ctx *x, struct crm_rtable *t, const char *sql,
    int n, const int64_t *a);

/* crm__ragg: run a one-row query with ?1 ?2 bound to lo, hi (and ?3 ?4 to
 * lo2, hi2) and read n columns as doubles (NAN for NULL) into v. 0 or -1. */
int crm__ragg(struct ctx *x, const char *sql, int64_t lo, int64_t hi,
    int64_t lo2, int64_t hi2, double *v, int n);

/* crm__rfigures: the key-figure table of the current section.
 * crm__rfig: one key figure in it: current and previous value of type t
 * ('n' count, 'm' cents, 'r' decimal, 'p' percentage), the change, and
 * the change in percent (see report_table.c). */
struct crm_rtable *crm__rfigures(struct ctx *x);
void crm__rfig(struct ctx *x, struct crm_rtable *t, const char *metric,
    const char *label, char type, double cur, double prev);

/* The sections (report_sections.c, report_segments.c): each adds its
 * section to x->r; 0 or -1 with the message on x->db. */

/* crm__nightly_sections: the sections of the nightly report but the RFM
 * segments, in order, NULL-terminated. */
extern int (*const crm__nightly_sections[])(struct ctx *);

/* crm__sec_segments: the RFM segments and the moves since the last
 * report (into x->r->segs and changes, for crm_report_record). */
int crm__sec_segments(struct ctx *x);

/* crm__department: the sections of a department report (x->o->kind). */
int crm__department(struct ctx *x);

#endif
