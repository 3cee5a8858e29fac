/* report_table.c: what the report's sections are built with: sections,
 * tables, rows, charts and key figures, values formatted by their type,
 * and queries that fill a table. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "event.h"
#include "report.h"
#include "report_int.h"
#include "rfm.h"
#include "util.h"
#include "value.h"

/* ------------------------------------------------------------------ */
/* Building tables                                                     */


char *crm__rstrdup(struct crm_report *r, const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		r->oom = 1;
	return d;
}

char *crm__rprintf(struct crm_report *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		r->oom = 1;
	}
	va_end(ap);
	return s;
}

/* section: start a new section of the report; it becomes x->sec. */
struct crm_rsection *crm__rsection(struct ctx *x, const char *name,
    const char *title)
{
	struct crm_report *r = x->r;
	struct crm_rsection *sec, **v;

	if ((sec = calloc(1, sizeof(*sec))) == NULL ||
	    (v = realloc(r->sections, (r->nsections + 1) * sizeof(*v))) == NULL) {
		free(sec);
		r->oom = 1;
		x->sec = NULL;
		return NULL;
	}
	r->sections = v;
	v[r->nsections++] = sec;
	sec->name = crm__rstrdup(r, name);
	sec->title = crm__rstrdup(r, title);
	x->sec = sec;
	return sec;
}

/* note: set the note of the current section (printf). */
void crm__rnote(struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (x->sec == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		x->r->oom = 1;
	}
	va_end(ap);
	free(x->sec->note);
	x->sec->note = s;
}

/* table: add a table to the current section: name, title, the column names
 * separated by ',' and one type letter per column. */
struct crm_rtable *crm__rtable(struct ctx *x, const char *name,
    const char *title, const char *cols, const char *types)
{
	struct crm_rsection *sec = x->sec;
	struct crm_rtable *t, **v;
	const char *p, *q;
	size_t i, n = strlen(types);

	if (sec == NULL)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (v = realloc(sec->tables, (sec->ntables + 1) * sizeof(*v))) == NULL ||
	    (t->cols = calloc(n, sizeof(char *))) == NULL) {
		if (t)
			free(t->cols);
		free(t);
		x->r->oom = 1;
		return NULL;
	}
	sec->tables = v;
	v[sec->ntables++] = t;
	t->name = crm__rstrdup(x->r, name);
	t->title = crm__rstrdup(x->r, title);
	t->types = crm__rstrdup(x->r, types);
	t->ncols = n;
	for (i = 0, p = cols; i < n; i++) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if ((t->cols[i] = strndup(p, (size_t)(q - p))) == NULL)
			x->r->oom = 1;
		p = *q ? q + 1 : q;
	}
	return t;
}

/* row: append a row of t->ncols values (NULL for none), copied. */
void crm__rrow(struct ctx *x, struct crm_rtable *t, const char *const *v)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->nrows * t->ncols + t->ncols > t->cap * t->ncols) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));

		if (c == NULL) {
			x->r->oom = 1;
			return;
		}
		t->cells = c;
		t->cap = cap;
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = crm__rstrdup(x->r, v[i]);
	t->nrows++;
}

/* chart: a bar chart of table t's column vcol against lcol. */
void crm__rchart(struct ctx *x, const char *id, const char *title,
    const struct crm_rtable *t, size_t lcol, size_t vcol, int horizontal)
{
	struct crm_rsection *sec = x->sec;
	struct crm_rchart *c;

	if (sec == NULL || t == NULL)
		return;
	c = realloc(sec->charts, (sec->ncharts + 1) * sizeof(*c));
	if (c == NULL) {
		x->r->oom = 1;
		return;
	}
	sec->charts = c;
	c += sec->ncharts++;
	c->id = crm__rstrdup(x->r, id);
	c->title = crm__rstrdup(x->r, title);
	c->table = t;
	c->label_col = lcol;
	c->value_col = vcol;
	c->horizontal = horizontal;
}

/* ------------------------------------------------------------------ */
/* Formatting values                                                   */

const char *crm__rfmt_int(char *buf, int64_t v)
{
	snprintf(buf, VALBUF, "%lld", (long long)v);
	return buf;
}

/* fmt_num: v as type t ('n' 'm' 'r' 'p' 'c' 'P'), money in cents. */
const char *crm__rfmt_num(char *buf, char t, double v)
{
	char m[CRM_MONEYBUF];

	if (isnan(v))
		return NULL;
	switch (t) {
	case 'n':
		snprintf(buf, VALBUF, "%.0f", v);
		break;
	case 'm':
		snprintf(buf, VALBUF, "%s", crm_fmt_money((int64_t)llround(v), m));
		break;
	case 'p':
	case 'P':
		snprintf(buf, VALBUF, "%.1f", v);
		break;
	default:
		snprintf(buf, VALBUF, "%.2f", v);
	}
	if (strcmp(buf, "-0.0") == 0 || strcmp(buf, "-0.00") == 0 ||
	    strcmp(buf, "-0") == 0)
		memmove(buf, buf + 1, strlen(buf));
	return buf;
}

/* fill: append the rows of statement st to t, each column formatted by the
 * table's type letter ('m' from cents, 'd' 'T' from Unix seconds). */
int crm__rfill(struct ctx *x, struct crm_rtable *t, sqlite3_stmt *st)
{
	char bufs[16][VALBUF], tb[CRM_TIMEBUF];
	const char *v[16];
	size_t i;
	int rc;

	if (t == NULL || t->ncols > 16)
		return crm__error(x->db, CRM_ESOFTWARE, "report table too wide");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < t->ncols; i++) {
			v[i] = NULL;
			if (sqlite3_column_type(st, (int)i) == SQLITE_NULL)
				continue;
			switch (t->types[i]) {
			case 's':
				v[i] = (const char *)sqlite3_column_text(st, (int)i);
				break;
			case 'd':
			case 'T':
				if (t->types[i] == 'd')
					crm_fmt_day(sqlite3_column_int64(st, (int)i), tb);
				else
					crm_fmt_time(sqlite3_column_int64(st, (int)i), tb);
				snprintf(bufs[i], VALBUF, "%s", tb);
				v[i] = bufs[i];
				break;
			case 'n':
				v[i] = crm__rfmt_int(bufs[i],
				    sqlite3_column_int64(st, (int)i));
				break;
			default:
				v[i] = crm__rfmt_num(bufs[i], t->types[i],
				    sqlite3_column_double(st, (int)i));
			}
		}
		crm__rrow(x, t, v);
	}
	if (rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the report");
	return 0;
}

/* prep: prepare sql and bind ?1..?n from the int64 list (CRM_NONE binds
 * NULL). Returns the statement or NULL (error on db). */
sqlite3_stmt *crm__rprep(struct ctx *x, const char *sql, int n, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i;

	if ((st = crm__prepare(x->db, sql)) == NULL)
		return NULL;
	va_start(ap, n);
	for (i = 1; i <= n; i++)
		crm__bind_int(st, i, va_arg(ap, int64_t));
	va_end(ap);
	return st;
}

int crm__rquery_(struct ctx *x, struct crm_rtable *t, const char *sql,
    int n, const int64_t *a)
{
	sqlite3_stmt *st;
	int i, rc;

	if ((st = crm__prepare(x->db, sql)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		crm__bind_int(st, i + 1, a[i]);
	rc = crm__rfill(x, t, st);
	sqlite3_finalize(st);
	return rc;
}

/* agg: run a one-row query with ?1 ?2 bound to lo, hi (and ?3 ?4 to lo2,
 * hi2) and read n columns as doubles (NAN for NULL) into v. */
int crm__ragg(struct ctx *x, const char *sql, int64_t lo, int64_t hi,
    int64_t lo2, int64_t hi2, double *v, int n)
{
	sqlite3_stmt *st;
	int i, rc;

	if ((st = crm__rprep(x, sql, 4, lo, hi, lo2, hi2)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	for (i = 0; i < n; i++)
		v[i] = rc == SQLITE_ROW && sqlite3_column_type(st, i) !=
		    SQLITE_NULL ? sqlite3_column_double(st, i) : NAN;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the report");
	return 0;
}

/* figures: the key-figure table of the current section. */
struct crm_rtable *crm__rfigures(struct ctx *x)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_figures", x->sec ? x->sec->name : "");
	return crm__rtable(x, name, NULL,
	    "metric,label,current,previous,change,change_pct", "ssrrcP");
}

/* fig: one key figure: current and previous value of type t ('n' count,
 * 'm' cents, 'r' decimal, 'p' percentage), the change, and the change in
 * percent (not for percentages, whose change is in points). prev NAN with
 * a previous period means "no value" (e.g. no orders); without a previous
 * period (x->ps == CRM_NONE) previous and change stay empty. */
void crm__rfig(struct ctx *x, struct crm_rtable *t, const char *metric,
    const char *label, char type, double cur, double prev)
{
	char b[4][VALBUF];
	const char *v[6];
	int hp = x->ps != CRM_NONE;

	if (type == 'n') {     /* a count of nothing is 0; an average is none */
		if (isnan(cur))
			cur = 0;
		if (hp && isnan(prev))
			prev = 0;
	}
	v[0] = metric;
	v[1] = label;
	v[2] = crm__rfmt_num(b[0], type, cur);
	v[3] = hp ? crm__rfmt_num(b[1], type, prev) : NULL;
	v[4] = hp && !isnan(cur) && !isnan(prev) ?
	    crm__rfmt_num(b[2], type, cur - prev) : NULL;
	v[5] = hp && type != 'p' && !isnan(cur) && !isnan(prev) && prev != 0 ?
	    crm__rfmt_num(b[3], 'P', (cur - prev) / fabs(prev) * 100) : NULL;
	crm__rrow(x, t, v);
}

