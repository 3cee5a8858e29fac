/* report.c: the queries behind crm-report: periods, the sections of the
 * nightly report and the department reports (the RFM segments from
 * rfm.c), the report lock and the record of runs. Rendering is in
 * report_fmt.c and html.c. */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
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
#include "rfm.h"
#include "util.h"
#include "value.h"

#define DAY 86400
#define NIGHTLY_LIST 20         /* oldest open complaints, lowest reviews ... */
#define WORKLIST_MAX 50         /* open callbacks in the nightly report */
#define DUE_DAYS 14             /* "due to buy": next purchase within */
#define CAMPAIGN_DAYS 30        /* nightly: campaigns sent in the last ... */
#define CHART_DAYS 30           /* nightly: revenue over at least ... days */

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
/* Building tables                                                     */

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

static char *xstrdup(struct crm_report *r, const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		r->oom = 1;
	return d;
}

static char *xprintf(struct crm_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *xprintf(struct crm_report *r, const char *fmt, ...)
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
static struct crm_rsection *section(struct ctx *x, const char *name,
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
	sec->name = xstrdup(r, name);
	sec->title = xstrdup(r, title);
	x->sec = sec;
	return sec;
}

/* note: set the note of the current section (printf). */
static void note(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct ctx *x, const char *fmt, ...)
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
static struct crm_rtable *table(struct ctx *x, const char *name,
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
	t->name = xstrdup(x->r, name);
	t->title = xstrdup(x->r, title);
	t->types = xstrdup(x->r, types);
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
static void row(struct ctx *x, struct crm_rtable *t, const char *const *v)
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
		t->cells[t->nrows * t->ncols + i] = xstrdup(x->r, v[i]);
	t->nrows++;
}

/* chart: a bar chart of table t's column vcol against lcol. */
static void chart(struct ctx *x, const char *id, const char *title,
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
	c->id = xstrdup(x->r, id);
	c->title = xstrdup(x->r, title);
	c->table = t;
	c->label_col = lcol;
	c->value_col = vcol;
	c->horizontal = horizontal;
}

/* ------------------------------------------------------------------ */
/* Formatting values                                                   */

#define VALBUF 64

static const char *fmt_int(char *buf, int64_t v)
{
	snprintf(buf, VALBUF, "%lld", (long long)v);
	return buf;
}

/* fmt_num: v as type t ('n' 'm' 'r' 'p' 'c' 'P'), money in cents. */
static const char *fmt_num(char *buf, char t, double v)
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
static int fill(struct ctx *x, struct crm_rtable *t, sqlite3_stmt *st)
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
				v[i] = fmt_int(bufs[i], sqlite3_column_int64(st, (int)i));
				break;
			default:
				v[i] = fmt_num(bufs[i], t->types[i],
				    sqlite3_column_double(st, (int)i));
			}
		}
		row(x, t, v);
	}
	if (rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the report");
	return 0;
}

/* prep: prepare sql and bind ?1..?n from the int64 list (CRM_NONE binds
 * NULL). Returns the statement or NULL (error on db). */
static sqlite3_stmt *prep(struct ctx *x, const char *sql, int n, ...)
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

/* query: prepare, bind, fill t and finalise. */
#define query(x, t, sql, ...) query_(x, t, sql, \
	(int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), \
	(int64_t[]){ __VA_ARGS__ })
static int query_(struct ctx *x, struct crm_rtable *t, const char *sql,
    int n, const int64_t *a)
{
	sqlite3_stmt *st;
	int i, rc;

	if ((st = crm__prepare(x->db, sql)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		crm__bind_int(st, i + 1, a[i]);
	rc = fill(x, t, st);
	sqlite3_finalize(st);
	return rc;
}

/* agg: run a one-row query with ?1 ?2 bound to lo, hi (and ?3 ?4 to lo2,
 * hi2) and read n columns as doubles (NAN for NULL) into v. */
static int agg(struct ctx *x, const char *sql, int64_t lo, int64_t hi,
    int64_t lo2, int64_t hi2, double *v, int n)
{
	sqlite3_stmt *st;
	int i, rc;

	if ((st = prep(x, sql, 4, lo, hi, lo2, hi2)) == NULL)
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
static struct crm_rtable *figures(struct ctx *x)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_figures", x->sec ? x->sec->name : "");
	return table(x, name, NULL,
	    "metric,label,current,previous,change,change_pct", "ssrrcP");
}

/* fig: one key figure: current and previous value of type t ('n' count,
 * 'm' cents, 'r' decimal, 'p' percentage), the change, and the change in
 * percent (not for percentages, whose change is in points). prev NAN with
 * a previous period means "no value" (e.g. no orders); without a previous
 * period (x->ps == CRM_NONE) previous and change stay empty. */
static void fig(struct ctx *x, struct crm_rtable *t, const char *metric,
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
	v[2] = fmt_num(b[0], type, cur);
	v[3] = hp ? fmt_num(b[1], type, prev) : NULL;
	v[4] = hp && !isnan(cur) && !isnan(prev) ?
	    fmt_num(b[2], type, cur - prev) : NULL;
	v[5] = hp && type != 'p' && !isnan(cur) && !isnan(prev) && prev != 0 ?
	    fmt_num(b[3], 'P', (cur - prev) / fabs(prev) * 100) : NULL;
	row(x, t, v);
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

	st = prep(x, "SELECT id, until, ran_at FROM reports WHERE kind = "
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
/* Sections                                                            */

/* SQL for a customer's display name. */
#define NAME_SQL "trim(coalesce(c.first_name || ' ', '') || " \
	"coalesce(c.last_name, '')) || CASE WHEN c.company IS NOT NULL AND " \
	"c.first_name IS NULL AND c.last_name IS NULL THEN c.company ELSE '' END"

/* The top customers table (customers section, nightly and department). */
static int top_customers(struct ctx *x, int64_t lo, int64_t hi, int64_t n,
    int by_clv, const char *name)
{
	struct crm_rtable *t;

	t = table(x, name, by_clv ? "Top customers by lifetime value" :
	    "Top customers by spend",
	    "ref,name,email,orders,spend,last_purchase,clv", "sssnmdm");
	if (by_clv)
		return query(x, t,
		    "SELECT c.ref, " NAME_SQL ", c.email,"
		    " (SELECT count(*) FROM events e WHERE e.customer_id = c.id"
		    "  AND e.kind = 'purchase' AND e.at >= ?1 AND e.at < ?2),"
		    " (SELECT coalesce(sum(e.amount_cents), 0) FROM events e"
		    "  WHERE e.customer_id = c.id AND e.kind = 'purchase'"
		    "  AND e.at >= ?1 AND e.at < ?2),"
		    " (SELECT max(e.at) FROM events e WHERE e.customer_id = c.id"
		    "  AND e.kind = 'purchase' AND e.at < ?2),"
		    " p.clv_cents"
		    " FROM predictions p JOIN customers c ON c.id = p.customer_id"
		    " WHERE p.clv_cents IS NOT NULL"
		    " ORDER BY p.clv_cents DESC, c.id LIMIT ?3", lo, hi, n);
	return query(x, t,
	    "WITH s AS (SELECT customer_id, count(*) AS n,"
	    " sum(amount_cents) AS spend, max(at) AS last FROM events"
	    " WHERE kind = 'purchase' AND at >= ?1 AND at < ?2"
	    " GROUP BY customer_id ORDER BY spend DESC, customer_id LIMIT ?3)"
	    " SELECT c.ref, " NAME_SQL ", c.email, s.n, s.spend, s.last,"
	    " p.clv_cents FROM s JOIN customers c ON c.id = s.customer_id"
	    " LEFT JOIN predictions p ON p.customer_id = c.id"
	    " ORDER BY s.spend DESC, c.id", lo, hi, n);
}

static int sec_customers(struct ctx *x)
{
	/* counts over ranges of the index on created_at; "in all" as
	 * everyone less those who came later, which are few (count(*) reads
	 * only the smallest index) */
	static const char sql[] = "SELECT"
	    " (SELECT count(*) FROM customers WHERE created_at >= ?1"
	    "  AND created_at < ?2),"
	    " CASE WHEN ?3 IS NOT NULL THEN (SELECT count(*) FROM customers"
	    "  WHERE created_at >= ?3 AND created_at < ?4) END,"
	    " (SELECT count(*) FROM customers) - (SELECT count(*) FROM"
	    "  customers WHERE created_at >= ?2),"
	    " CASE WHEN ?4 IS NOT NULL THEN (SELECT count(*) FROM customers) -"
	    "  (SELECT count(*) FROM customers WHERE created_at >= ?4) END";
	struct crm_rtable *t;
	double v[4];

	section(x, "customers", "Customers");
	t = figures(x);
	if (agg(x, sql, x->s, x->u, x->ps, x->pu, v, 4) == -1)
		return -1;
	fig(x, t, "new_customers", "New customers", 'n', v[0], v[1]);
	fig(x, t, "customers", "Customers in all", 'n', v[2], v[3]);
	return top_customers(x, x->s, x->u, 5, 0, "top_customers");
}

/* The sales figures of [lo, hi): orders, revenue, returns, returned. */
static int sales_of(struct ctx *x, int64_t lo, int64_t hi, double *v)
{
	return agg(x, "SELECT count(*) FILTER (WHERE kind = 'purchase'),"
	    " coalesce(sum(amount_cents) FILTER (WHERE kind = 'purchase'), 0),"
	    " count(*) FILTER (WHERE kind = 'return'),"
	    " coalesce(sum(abs(amount_cents)) FILTER (WHERE kind = 'return'), 0)"
	    " FROM events WHERE at >= ?1 AND at < ?2"
	    " AND kind IN ('purchase', 'return')", lo, hi, CRM_NONE, CRM_NONE,
	    v, 4);
}

/* revenue_by_day: a chart table of every local day in [lo, hi). One
 * range of the index on at for each day, found in C (mktime), rather than
 * date(at, 'localtime') of each purchase: that took twice as long as
 * reading the purchases. */
static int revenue_by_day(struct ctx *x, int64_t lo, int64_t hi)
{
	struct crm_rtable *t;
	sqlite3_stmt *st;
	char day[CRM_TIMEBUF], b[2][VALBUF];
	const char *v[3];
	int64_t d, next;
	struct tm tm;
	time_t tt;
	int rc = SQLITE_ROW;

	t = table(x, "revenue_by_day", "Revenue by day", "day,orders,revenue",
	    "snm");
	if (t == NULL)
		return 0;
	t->chart_only = 1;
	/* start at local midnight of lo's day */
	tt = (time_t)lo;
	localtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	d = (int64_t)mktime(&tm);
	st = prep(x, "SELECT count(*), coalesce(sum(amount_cents), 0) FROM"
	    " events WHERE kind = 'purchase' AND at >= ?1 AND at < ?2", 0);
	if (st == NULL)
		return -1;
	while (d < hi && rc == SQLITE_ROW) {
		tt = (time_t)d;
		localtime_r(&tt, &tm);
		tm.tm_mday++;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		next = (int64_t)mktime(&tm);
		sqlite3_bind_int64(st, 1, d);
		sqlite3_bind_int64(st, 2, next < hi ? next : hi);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			crm_fmt_day(d, day);
			v[0] = day;
			v[1] = fmt_int(b[0], sqlite3_column_int64(st, 0));
			v[2] = fmt_num(b[1], 'm',
			    (double)sqlite3_column_int64(st, 1));
			row(x, t, v);
		}
		sqlite3_reset(st);
		d = next;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(x->db, "cannot read the report");
	return 0;
}

/* The revenue table grouped by key (an SQL expression over events). */
static int revenue_table(struct ctx *x, const char *name, const char *title,
    const char *keycol, const char *keysql, int64_t lo, int64_t hi)
{
	struct crm_rtable *t;
	char cols[128], *sql;
	int rc;

	snprintf(cols, sizeof(cols), "%s,orders,revenue,returns,returned,net,"
	    "average_order", keycol);
	t = table(x, name, title, cols, "snmnmmm");
	sql = xprintf(x->r, "SELECT %s AS k,"
	    " count(*) FILTER (WHERE kind = 'purchase'),"
	    " coalesce(sum(amount_cents) FILTER (WHERE kind = 'purchase'), 0),"
	    " count(*) FILTER (WHERE kind = 'return'),"
	    " coalesce(sum(abs(amount_cents)) FILTER (WHERE kind = 'return'), 0),"
	    " coalesce(sum(amount_cents) FILTER (WHERE kind = 'purchase'), 0) -"
	    " coalesce(sum(abs(amount_cents)) FILTER (WHERE kind = 'return'), 0),"
	    " avg(amount_cents) FILTER (WHERE kind = 'purchase')"
	    " FROM events WHERE at >= ?1 AND at < ?2"
	    " AND kind IN ('purchase', 'return') GROUP BY k ORDER BY %s",
	    keysql, strcmp(keycol, "category") == 0 ? "3 DESC, k" : "k");
	if (sql == NULL)
		return -1;
	rc = query(x, t, sql, lo, hi);
	free(sql);
	return rc;
}

static int sec_sales(struct ctx *x)
{
	struct crm_rtable *t;
	double c[4], p[4] = { NAN, NAN, NAN, NAN };
	int64_t lo;

	section(x, "sales", "Sales");
	t = figures(x);
	if (sales_of(x, x->s, x->u, c) == -1 ||
	    (x->ps != CRM_NONE && sales_of(x, x->ps, x->pu, p) == -1))
		return -1;
	fig(x, t, "revenue", "Revenue", 'm', c[1], p[1]);
	fig(x, t, "orders", "Orders", 'n', c[0], p[0]);
	fig(x, t, "average_order", "Average order", 'm',
	    c[0] > 0 ? c[1] / c[0] : NAN, p[0] > 0 ? p[1] / p[0] : NAN);
	fig(x, t, "returns", "Returns", 'n', c[2], p[2]);
	fig(x, t, "returned", "Returned value", 'm', c[3], p[3]);
	fig(x, t, "return_rate", "Return rate (% of orders)", 'p',
	    c[0] > 0 ? 100 * c[2] / c[0] : NAN,
	    p[0] > 0 ? 100 * p[2] / p[0] : NAN);
	fig(x, t, "net_revenue", "Net revenue", 'm', c[1] - c[3], p[1] - p[3]);
	lo = x->u - CHART_DAYS * (int64_t)DAY;
	if (x->s < lo)
		lo = x->s;
	if (revenue_by_day(x, lo, x->u) == -1)
		return -1;
	chart(x, "revenue", "Revenue by day", x->sec->tables[1], 0, 2, 0);
	return revenue_table(x, "revenue_by_category", "Revenue by category",
	    "category", "coalesce(category, '(none)')", x->s, x->u);
}

/* The complaints and returns table by category or product. */
static int complaints_table(struct ctx *x, const char *by, int64_t lo,
    int64_t hi)
{
	struct crm_rtable *t;
	struct crm_buf b = {0};
	sqlite3_stmt *st;
	char name[64], title[96], cols[160], *sql, *key = NULL;
	size_t i, j;
	int rc, n = 0;

	snprintf(name, sizeof(name), "complaints_by_%s", by);
	snprintf(title, sizeof(title), "Complaints and returns by %s", by);
	snprintf(cols, sizeof(cols), "%s,units_sold,complaints,complaint_pct,"
	    "returns,return_pct,top_subjects", by);
	t = table(x, name, title, cols, "snnpnps");
	if (t == NULL)
		return 0;
	sql = xprintf(x->r, "WITH k AS (SELECT coalesce(%s, '(none)') AS k,"
	    " coalesce(sum(coalesce(quantity, 1)) FILTER (WHERE kind = "
	    "'purchase'), 0) AS units,"
	    " count(*) FILTER (WHERE kind = 'complaint') AS complaints,"
	    " coalesce(sum(coalesce(quantity, 1)) FILTER (WHERE kind = "
	    "'return'), 0) AS returns"
	    " FROM events WHERE at >= ?1 AND at < ?2"
	    " AND kind IN ('purchase', 'complaint', 'return') GROUP BY 1)"
	    " SELECT k, units, complaints,"
	    " CASE WHEN units > 0 THEN 100.0 * complaints / units END,"
	    " returns, CASE WHEN units > 0 THEN 100.0 * returns / units END,"
	    " NULL FROM k WHERE complaints > 0 OR returns > 0"
	    " ORDER BY complaints DESC, returns DESC, k", by);
	if (sql == NULL)
		return -1;
	rc = query(x, t, sql, lo, hi);
	free(sql);
	if (rc == -1)
		return -1;
	/* the three most frequent subjects of each row's complaints */
	sql = xprintf(x->r, "SELECT coalesce(%s, '(none)') AS k, subject,"
	    " count(*) AS n FROM events WHERE kind = 'complaint'"
	    " AND at >= ?1 AND at < ?2 AND subject IS NOT NULL"
	    " GROUP BY k, subject ORDER BY k, n DESC, subject", by);
	if (sql == NULL || (st = prep(x, sql, 2, lo, hi)) == NULL) {
		free(sql);
		return -1;
	}
	free(sql);
	for (;;) {
		const char *k = NULL;

		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			k = (const char *)sqlite3_column_text(st, 0);
		if (key && (k == NULL || strcmp(k, key) != 0)) {
			for (i = 0; i < t->nrows; i++) {
				j = i * t->ncols;
				if (strcmp(t->cells[j], key) == 0 && b.s) {
					free(t->cells[j + 6]);
					t->cells[j + 6] = crm_buf_take(&b);
				}
			}
			crm_buf_reset(&b);
			free(key);
			key = NULL;
			n = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		if (key == NULL)
			key = xstrdup(x->r, k);
		if (n++ < 3)
			crm_buf_addf(&b, "%s%s (%d)", n > 1 ? "; " : "",
			    (const char *)sqlite3_column_text(st, 1),
			    sqlite3_column_int(st, 2));
	}
	sqlite3_finalize(st);
	free(key);
	if (b.oom)
		x->r->oom = 1;
	crm_buf_free(&b);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the report");
	return 0;
}

static int sec_complaints(struct ctx *x)
{
	struct crm_rtable *t;
	double c[2], cl[2], open[1];
	int64_t ps = x->ps != CRM_NONE ? x->ps : 0, pu = x->pu != CRM_NONE ?
	    x->pu : 0;

	section(x, "complaints", "Complaints");
	t = figures(x);
	/* opened in each period: the index on at; closed: one pass */
	if (agg(x, "SELECT count(*) FILTER (WHERE at >= ?1 AND at < ?2),"
	    " count(*) FILTER (WHERE at >= ?3 AND at < ?4) FROM events"
	    " WHERE kind = 'complaint' AND ((at >= ?1 AND at < ?2) OR"
	    " (at >= ?3 AND at < ?4))", x->s, x->u, ps, pu, c, 2) == -1)
		return -1;
	/* closed in each period: the partial index on closed_at */
	if (agg(x, "SELECT count(*) FILTER (WHERE closed_at >= ?1"
	    " AND closed_at < ?2), count(*) FILTER (WHERE closed_at >= ?3"
	    " AND closed_at < ?4) FROM events WHERE kind = 'complaint'"
	    " AND ((closed_at >= ?1 AND closed_at < ?2) OR (closed_at >= ?3"
	    " AND closed_at < ?4))", x->s, x->u, ps, pu, cl, 2) == -1)
		return -1;
	/* +at: find the few open items through the partial index on open
	 * events, not every event before until through the index on at */
	if (agg(x, "SELECT count(*) FROM events WHERE status = 'open'"
	    " AND kind = 'complaint' AND +at < ?2", x->s, x->u, CRM_NONE,
	    CRM_NONE, open, 1) == -1)
		return -1;
	fig(x, t, "complaints_opened", "Complaints opened", 'n', c[0], c[1]);
	fig(x, t, "complaints_closed", "Complaints closed", 'n', cl[0], cl[1]);
	{
		int64_t keep = x->ps;

		x->ps = CRM_NONE;       /* a state, not a flow: no previous */
		fig(x, t, "complaints_open", "Complaints still open", 'n',
		    open[0], NAN);
		x->ps = keep;
	}
	t = table(x, "complaints_open", "Oldest open complaints",
	    "opened,age_days,ref,name,category,product,event,subject",
	    "dnssssns");
	if (query(x, t, "SELECT e.at, (?2 - e.at) / 86400, c.ref, " NAME_SQL
	    ", e.category, e.product, e.id, e.subject FROM events e"
	    " JOIN customers c ON c.id = e.customer_id"
	    " WHERE e.status = 'open' AND e.kind = 'complaint' AND +e.at < ?2"
	    " ORDER BY e.at, e.id LIMIT ?3", x->s, x->u,
	    (int64_t)NIGHTLY_LIST) == -1)
		return -1;
	if (open[0] > NIGHTLY_LIST)
		note(x, "%.0f complaints are open; the %d oldest are listed.",
		    open[0], NIGHTLY_LIST);
	return complaints_table(x, "category", x->s, x->u);
}

/* The open service requests and callbacks, by due date (overdue first),
 * at most max (0: all). */
static int callbacks_table(struct ctx *x, int64_t max)
{
	struct crm_rtable *t;

	t = table(x, "callbacks", "Open service requests and callbacks",
	    "due,overdue,kind,ref,name,phone,opened,event,subject",
	    "dnssssdns");
	return query(x, t, "SELECT e.due_at,"
	    " CASE WHEN e.due_at < ?1 THEN (?1 - e.due_at) / 86400 END,"
	    " e.kind, c.ref, " NAME_SQL ", c.phone, e.at, e.id,"
	    " coalesce(e.subject, substr(e.body, 1, 60))"
	    " FROM events e JOIN customers c ON c.id = e.customer_id"
	    " WHERE e.status = 'open' AND e.kind IN ('service', 'callback')"
	    " ORDER BY e.due_at IS NULL, e.due_at, e.at, e.id"
	    " LIMIT ?2", x->u, max > 0 ? max : INT64_MAX);
}

static int sec_service(struct ctx *x)
{
	struct crm_rtable *t;
	double v[3];
	int64_t keep = x->ps;

	section(x, "service", "Service requests and callbacks");
	t = figures(x);
	if (agg(x, "SELECT count(*) FILTER (WHERE kind = 'service'),"
	    " count(*) FILTER (WHERE kind = 'callback'),"
	    " count(*) FILTER (WHERE due_at < ?2) FROM events"
	    " WHERE status = 'open' AND kind IN ('service', 'callback')",
	    x->s, x->u, CRM_NONE, CRM_NONE, v, 3) == -1)
		return -1;
	x->ps = CRM_NONE;       /* states, not flows */
	fig(x, t, "service_open", "Open service requests", 'n', v[0], NAN);
	fig(x, t, "callbacks_open", "Open callbacks", 'n', v[1], NAN);
	fig(x, t, "overdue", "Overdue", 'n', v[2], NAN);
	x->ps = keep;
	if (v[0] + v[1] > WORKLIST_MAX)
		note(x, "%.0f items are open; the first %d by due date are "
		    "listed (crm-report callbacks lists all).", v[0] + v[1],
		    WORKLIST_MAX);
	return callbacks_table(x, WORKLIST_MAX);
}

static int sec_carts(struct ctx *x)
{
	static const char sql[] = "SELECT count(*),"
	    " coalesce(sum(e.amount_cents), 0), count(DISTINCT e.customer_id),"
	    " count(DISTINCT CASE WHEN c.email IS NOT NULL AND (SELECT k.granted"
	    "  FROM consents k WHERE k.customer_id = e.customer_id"
	    "  AND k.channel = 'email' ORDER BY k.at DESC, k.id DESC LIMIT 1) = 1"
	    "  THEN e.customer_id END)"
	    " FROM events e JOIN customers c ON c.id = e.customer_id"
	    " WHERE e.kind = 'cart_abandoned' AND e.at >= ?1 AND e.at < ?2";
	struct crm_rtable *t;
	double c[4], p[4] = { NAN, NAN, NAN, NAN };

	section(x, "carts", "Abandoned carts");
	t = figures(x);
	if (agg(x, sql, x->s, x->u, CRM_NONE, CRM_NONE, c, 4) == -1 ||
	    (x->ps != CRM_NONE &&
	    agg(x, sql, x->ps, x->pu, CRM_NONE, CRM_NONE, p, 4) == -1))
		return -1;
	fig(x, t, "carts", "Abandoned carts", 'n', c[0], p[0]);
	fig(x, t, "cart_value", "Value of abandoned carts", 'm', c[1], p[1]);
	fig(x, t, "cart_customers", "Customers", 'n', c[2], p[2]);
	fig(x, t, "cart_contactable", "Customers who may be emailed", 'n',
	    c[3], p[3]);
	return 0;
}

static int sec_reviews(struct ctx *x)
{
	static const char sql[] = "SELECT"
	    " count(*) FILTER (WHERE kind = 'review'),"
	    " avg(rating) FILTER (WHERE kind = 'review'),"
	    " count(*) FILTER (WHERE kind = 'survey'),"
	    " avg(rating) FILTER (WHERE kind = 'survey')"
	    " FROM events WHERE at >= ?1 AND at < ?2"
	    " AND kind IN ('review', 'survey')";
	struct crm_rtable *t;
	double c[4], p[4] = { NAN, NAN, NAN, NAN };

	section(x, "reviews", "Reviews and questionnaires");
	t = figures(x);
	if (agg(x, sql, x->s, x->u, CRM_NONE, CRM_NONE, c, 4) == -1 ||
	    (x->ps != CRM_NONE &&
	    agg(x, sql, x->ps, x->pu, CRM_NONE, CRM_NONE, p, 4) == -1))
		return -1;
	fig(x, t, "reviews", "Reviews", 'n', c[0], p[0]);
	fig(x, t, "review_rating", "Average review rating (1-5)", 'r', c[1],
	    p[1]);
	fig(x, t, "surveys", "Questionnaires", 'n', c[2], p[2]);
	fig(x, t, "survey_rating", "Average questionnaire rating (1-5)", 'r',
	    c[3], p[3]);
	t = table(x, "reviews_lowest", "Lowest ratings of the period",
	    "at,kind,rating,ref,name,about,text", "dsnssss");
	return query(x, t, "SELECT e.at, e.kind, e.rating, c.ref, " NAME_SQL
	    ", coalesce(e.product, e.category),"
	    " nullif(trim(coalesce(e.subject, '') || CASE WHEN e.subject IS NOT NULL"
	    "  AND e.body IS NOT NULL THEN ': ' ELSE '' END ||"
	    "  coalesce(replace(replace(e.body, char(13), ' '), char(10), ' '),"
	    "  '')), '')"
	    " FROM events e JOIN customers c ON c.id = e.customer_id"
	    " WHERE e.kind IN ('review', 'survey') AND e.rating IS NOT NULL"
	    " AND e.at >= ?1 AND e.at < ?2 ORDER BY e.rating, e.at, e.id"
	    " LIMIT 5", x->s, x->u);
}

/* The campaign cohort of sends in [?1, ?2): who answered (a
 * campaign_response with the same ref after the send, before ?2) and what
 * they bought in the 30 days after the answer. a is MATERIALIZED (SQLite
 * 3.35): folded into the outer query, the answer of each send was looked
 * up once for every use of answered, three times. */
#define CAMPAIGN_SQL \
	"WITH s AS (SELECT customer_id, ref, coalesce(channel, '(none)') AS ch," \
	" min(at) AS sent FROM events WHERE kind = 'campaign_sent'" \
	" AND at >= ?1 AND at < ?2 GROUP BY customer_id, ref, ch)," \
	" a AS MATERIALIZED (SELECT s.*, (SELECT min(e.at) FROM events e" \
	"  WHERE e.customer_id = s.customer_id AND e.kind = 'campaign_response'" \
	"  AND e.ref IS s.ref AND e.at >= s.sent AND e.at < ?2) AS answered" \
	"  FROM s)," \
	" v AS (SELECT a.*, CASE WHEN answered IS NOT NULL THEN" \
	"  (SELECT coalesce(sum(e.amount_cents), 0) FROM events e" \
	"  WHERE e.customer_id = a.customer_id AND e.kind = 'purchase'" \
	"  AND e.at >= a.answered AND e.at < a.answered + 30 * 86400) END" \
	"  AS revenue FROM a) "

/* by_channel: the campaigns table t added up by channel into a new table
 * (one query for both: the cohort query is the dear part). */
static void by_channel(struct ctx *x, const struct crm_rtable *t)
{
	struct crm_rtable *c;
	char b[4][VALBUF];
	const char *v[5];
	size_t i, j, k, nch = 0;
	const char **ch;
	double *sum;

	c = table(x, "campaigns_by_channel", "Response by channel",
	    "channel,sent,answered,response_pct,revenue_30d", "snnpm");
	if (c == NULL || t == NULL || t->nrows == 0)
		return;
	ch = calloc(t->nrows, sizeof(*ch));
	sum = calloc(t->nrows * 3, sizeof(*sum));
	if (ch == NULL || sum == NULL) {
		x->r->oom = 1;
		free(ch);
		free(sum);
		return;
	}
	for (i = 0; i < t->nrows; i++) {
		char **r = t->cells + i * t->ncols;

		for (k = 0; k < nch && strcmp(ch[k], r[1]) != 0; k++)
			;
		if (k == nch)
			ch[nch++] = r[1];
		sum[k * 3] += strtod(r[3], NULL);
		sum[k * 3 + 1] += strtod(r[4], NULL);
		sum[k * 3 + 2] += strtod(r[6], NULL) * 100;
	}
	/* channels in name order */
	for (i = 1; i < nch; i++)
		for (j = i; j > 0 && strcmp(ch[j - 1], ch[j]) > 0; j--) {
			const char *tc = ch[j];
			double ts[3];

			ch[j] = ch[j - 1];
			ch[j - 1] = tc;
			memcpy(ts, sum + j * 3, sizeof(ts));
			memcpy(sum + j * 3, sum + (j - 1) * 3, sizeof(ts));
			memcpy(sum + (j - 1) * 3, ts, sizeof(ts));
		}
	for (k = 0; k < nch; k++) {
		v[0] = ch[k];
		v[1] = fmt_num(b[0], 'n', sum[k * 3]);
		v[2] = fmt_num(b[1], 'n', sum[k * 3 + 1]);
		v[3] = fmt_num(b[2], 'p', 100 * sum[k * 3 + 1] / sum[k * 3]);
		v[4] = fmt_num(b[3], 'm', sum[k * 3 + 2]);
		row(x, c, v);
	}
	free(ch);
	free(sum);
}

static int campaign_tables(struct ctx *x, int64_t lo, int64_t hi, int nightly)
{
	struct crm_rtable *t;

	t = table(x, "campaigns", "Campaigns",
	    "campaign,channel,first_sent,sent,answered,response_pct,revenue_30d",
	    "ssdnnpm");
	if (query(x, t, CAMPAIGN_SQL "SELECT coalesce(ref, '(none)'), ch,"
	    " min(sent), count(*), count(answered),"
	    " 100.0 * count(answered) / count(*), coalesce(sum(revenue), 0)"
	    " FROM v GROUP BY ref, ch ORDER BY min(sent), ref, ch", lo, hi) == -1)
		return -1;
	if (nightly && x->sec) {
		by_channel(x, t);
		/* by channel first, as it was */
		if (x->sec->ntables >= 2) {
			struct crm_rtable **v = x->sec->tables + x->sec->ntables - 2;
			struct crm_rtable *tmp = v[0];

			v[0] = v[1];
			v[1] = tmp;
		}
		chart(x, "response", "Response rate by channel (%)",
		    x->sec->tables[x->sec->ntables - 2], 0, 3, 0);
	}
	return 0;
}

static int sec_campaigns(struct ctx *x)
{
	char a[CRM_TIMEBUF], b[CRM_TIMEBUF];
	int64_t lo = x->u - CAMPAIGN_DAYS * (int64_t)DAY;

	section(x, "campaigns", "Campaign response");
	note(x, "Campaigns sent from %s to %s: answered means a "
	    "campaign_response with the campaign's ref; revenue is what those "
	    "who answered bought in the 30 days after.", crm_fmt_time(lo, a),
	    crm_fmt_time(x->u, b));
	return campaign_tables(x, lo, x->u, 1);
}

/* The latest fitted model: 1 with a description in *desc, 0 if none. */
static int model(struct ctx *x, char **desc)
{
	sqlite3_stmt *st;
	char f[CRM_TIMEBUF], a[CRM_TIMEBUF];
	int rc;

	*desc = NULL;
	if ((st = prep(x, "SELECT kind, fitted_at, as_of FROM models"
	    " ORDER BY fitted_at DESC, id DESC LIMIT 1", 0)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*desc = xprintf(x->r, "From the %s model fitted %s on the "
		    "purchases to %s.", sqlite3_column_text(st, 0),
		    crm_fmt_time(sqlite3_column_int64(st, 1), f),
		    crm_fmt_time(sqlite3_column_int64(st, 2), a));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the models");
	return rc == SQLITE_ROW;
}

/* The predictions, read once: the counts of the figures and the ids of
 * the customers the two lists show (as JSON arrays for json_each). */
struct pred_pass {
	int64_t due, risk, risk_cents;
	char due_ids[NIGHTLY_LIST * 24 + 4], risk_ids[NIGHTLY_LIST * 24 + 4];
};

/* top: keep the n best (key, id) pairs in k[], ids in ids[], ascending by
 * key then id. */
static void top(double *k, int64_t *ids, size_t *n, double key, int64_t id)
{
	size_t i;

	if (*n == NIGHTLY_LIST && (key > k[*n - 1] ||
	    (key == k[*n - 1] && id > ids[*n - 1])))
		return;
	i = *n < NIGHTLY_LIST ? (*n)++ : *n - 1;
	for (; i > 0 && (k[i - 1] > key || (k[i - 1] == key &&
	    ids[i - 1] > id)); i--) {
		k[i] = k[i - 1];
		ids[i] = ids[i - 1];
	}
	k[i] = key;
	ids[i] = id;
}

/* json_ids: ids[0..n) as "[1,2,3]" into buf. */
static void json_ids(char *buf, size_t len, const int64_t *ids, size_t n)
{
	size_t i, o = 0;

	o += (size_t)snprintf(buf, len, "[");
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "," : "",
		    (long long)ids[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

static int predictions_pass(struct ctx *x, struct pred_pass *pp)
{
	double dk[NIGHTLY_LIST], rk[NIGHTLY_LIST];
	int64_t did[NIGHTLY_LIST], rid[NIGHTLY_LIST], id, next, lo = x->u,
	    hi = x->u + DUE_DAYS * (int64_t)DAY;
	size_t nd = 0, nr = 0;
	const unsigned char *risk;
	sqlite3_stmt *st;
	int rc, at_risk;

	memset(pp, 0, sizeof(*pp));
	st = prep(x, "SELECT customer_id, next_purchase, p_alive, clv_cents,"
	    " churn_risk FROM predictions", 0);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			next = sqlite3_column_int64(st, 1);
			if (next >= lo && next < hi) {
				pp->due++;
				top(dk, did, &nd, (double)next, id);
			}
		}
		risk = sqlite3_column_text(st, 4);
		/* at risk: churn_risk high, or none and p_alive below 0.5 */
		at_risk = risk ? strcmp((const char *)risk, "high") == 0 :
		    sqlite3_column_type(st, 2) != SQLITE_NULL &&
		    sqlite3_column_double(st, 2) < 0.5;
		if (at_risk) {
			pp->risk++;
			pp->risk_cents += sqlite3_column_int64(st, 3);
			top(rk, rid, &nr, -sqlite3_column_double(st, 3), id);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(x->db, "cannot read the predictions");
	json_ids(pp->due_ids, sizeof(pp->due_ids), did, nd);
	json_ids(pp->risk_ids, sizeof(pp->risk_ids), rid, nr);
	return 0;
}

/* listed: fill t from sql with ?1 bound to the JSON array of ids. */
static int listed(struct ctx *x, struct crm_rtable *t, const char *ids,
    const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(x->db, sql)) == NULL)
		return -1;
	crm__bind_text(st, 1, ids);
	rc = fill(x, t, st);
	sqlite3_finalize(st);
	return rc;
}

static int sec_predictions(struct ctx *x)
{
	struct crm_rtable *t;
	struct pred_pass pp;
	char *desc;
	int64_t keep = x->ps;
	int m;

	section(x, "predictions", "Due to buy, and valuable customers at risk");
	if ((m = model(x, &desc)) == -1)
		return -1;
	if (m == 0) {
		note(x, "No model has been fitted yet: run crm-predict fit to "
		    "see who is due to buy and which valuable customers are at "
		    "risk.");
		return 0;
	}
	if (x->sec) {
		free(x->sec->note);
		x->sec->note = desc;
	} else {
		free(desc);
	}
	t = figures(x);
	if (predictions_pass(x, &pp) == -1)
		return -1;
	x->ps = CRM_NONE;
	fig(x, t, "due_to_buy", "Due to buy in the next 14 days", 'n',
	    (double)pp.due, NAN);
	fig(x, t, "at_risk", "Customers at risk", 'n', (double)pp.risk, NAN);
	fig(x, t, "value_at_risk", "Lifetime value at risk", 'm',
	    (double)pp.risk_cents, NAN);
	x->ps = keep;
	t = table(x, "due_to_buy", "Due to buy in the next 14 days",
	    "ref,name,next_purchase,p_alive,expected_purchases,category,channel",
	    "ssdrrss");
	if (listed(x, t, pp.due_ids, "SELECT c.ref, " NAME_SQL ", p.next_purchase,"
	    " p.p_alive, p.expected_purchases, p.favourite_category,"
	    " p.preferred_channel FROM predictions p"
	    " JOIN customers c ON c.id = p.customer_id"
	    " WHERE p.customer_id IN (SELECT value FROM json_each(?1))"
	    " ORDER BY p.next_purchase, c.id") == -1)
		return -1;
	t = table(x, "at_risk", "Valuable customers at risk",
	    "ref,name,email,phone,clv,p_alive,churn_risk", "ssssmrs");
	return listed(x, t, pp.risk_ids, "SELECT c.ref, " NAME_SQL ", c.email,"
	    " c.phone, p.clv_cents, p.p_alive, p.churn_risk FROM predictions p"
	    " JOIN customers c ON c.id = p.customer_id"
	    " WHERE p.customer_id IN (SELECT value FROM json_each(?1))"
	    " ORDER BY p.clv_cents DESC, c.id");
}

/* ------------------------------------------------------------------ */
/* RFM                                                                 */

/*
 * The segments are crm-segment's (libcrm/rfm.c, the R x F grid scheme):
 * the customers who bought before as_of scored 1-5 by NTILE(5), ties split
 * by the other measures then by id, and named by the grid, so that the
 * report and `crm-segment rfm --count` agree.
 */
int crm_report_rfm(struct crm_db *db, int64_t as_of,
    struct crm_segment_of **out, size_t *n)
{
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	struct crm_stats *st;
	struct crm_segment_of *seg;
	size_t i, k;

	*out = NULL;
	*n = 0;
	if (crm_stats_before(db, as_of, CRM_RFM_GRID, 1, &st) == -1)
		return -1;
	if (st->buyers == 0) {
		crm_stats_free(st);
		return 0;
	}
	if ((seg = malloc(st->buyers * sizeof(*seg))) == NULL) {
		crm_stats_free(st);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	for (i = 0, k = 0; i < st->n; i++) {    /* st->c is in id order */
		if (st->c[i].orders == 0)
			continue;
		seg[k].customer_id = st->c[i].id;
		seg[k++].segment = names[st->c[i].segment];
	}
	crm_stats_free(st);
	*out = seg;
	*n = k;
	return 0;
}

#define NSEG 16 /* room for the grid's names and "(other)" */

/* nseg_names: the number of the grid's segment names; "(other)", for a
 * name not among them, takes the index after the last. */
static size_t nseg_names(void)
{
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	size_t i;

	for (i = 0; names[i]; i++)
		;
	return i;
}

/* seg_name: the name of segment index i ("(other)" past the grid's). */
static const char *seg_name(size_t i)
{
	return i < nseg_names() ? crm_rfm_segments(CRM_RFM_GRID)[i] :
	    "(other)";
}

/* seg_index: the index of name among the grid's segments, or the index of
 * "(other)" for an unknown one. Rows written by the report's former
 * built-in grid read as the same cells under rfm.c's names. */
static size_t seg_index(const char *name)
{
	static const char *const alias[][2] = {
		{ "Loyal", "Loyal Customers" },
		{ "Cannot Lose Them", "Can't Lose Them" },
	};
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(name, alias[i][0]) == 0)
			name = alias[i][1];
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return i;
}


/*
 * compare: read the segments as of the last nightly report from
 * report_segments (one row per customer: its segment then, and the report
 * that wrote it, i.e. since when it has that segment), count them by
 * segment into before[], the moves into moves[][] and *moved, and note in
 * the report what the record must change: the customers whose segment
 * changed or who are new, and those who have none any more. Unchanged rows
 * stay, so a night writes only what moved.
 */
static int compare(struct ctx *x, const struct crm_segment_of *seg,
    size_t nseg, int64_t *before, int64_t (*moves)[NSEG], int64_t *moved)
{
	enum { NONE = 0xff, SEEN = 0xfe };
	struct crm_report *r = x->r;
	sqlite3_stmt *st;
	unsigned char *old;
	int64_t *rid, maxid = nseg ? seg[nseg - 1].customer_id : 0, id;
	size_t i, cur, nch = 0;
	int rc;

	if ((st = prep(x, "SELECT max(customer_id) FROM report_segments", 0))
	    == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) > maxid)
		maxid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (maxid > (int64_t)1 << 28)
		return crm__error(x->db, CRM_EFAIL, "customer ids too large");
	old = malloc((size_t)maxid + 1);
	rid = malloc(((size_t)maxid + 1) * sizeof(*rid));
	if (old == NULL || rid == NULL) {
		free(old);
		free(rid);
		return crm__error(x->db, CRM_EFAIL, "out of memory");
	}
	memset(old, NONE, (size_t)maxid + 1);
	st = prep(x, "SELECT customer_id, segment, report_id FROM "
	    "report_segments", 0);
	if (st == NULL) {
		free(old);
		free(rid);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > maxid)
			continue;
		old[id] = (unsigned char)seg_index((const char *)
		    sqlite3_column_text(st, 1));
		rid[id] = sqlite3_column_int64(st, 2);
		before[old[id]]++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(old);
		free(rid);
		return crm__sqlerr(x->db, "cannot read the last report");
	}
	r->changes = malloc((nseg + (size_t)maxid + 1) * sizeof(*r->changes));
	if (r->changes == NULL) {
		free(old);
		free(rid);
		return crm__error(x->db, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < nseg; i++) {
		id = seg[i].customer_id;
		cur = seg_index(seg[i].segment);
		if (old[id] == NONE) {
			r->changes[nch].customer_id = id;
			r->changes[nch].old_report = 0;
			r->changes[nch++].segment = seg[i].segment;
			continue;
		}
		if (old[id] != cur) {
			moves[old[id]][cur]++;
			(*moved)++;
			r->changes[nch].customer_id = id;
			r->changes[nch].old_report = rid[id];
			r->changes[nch++].segment = seg[i].segment;
		}
		old[id] = SEEN;
	}
	for (id = 0; id <= maxid; id++) {
		if (old[id] == NONE || old[id] == SEEN)
			continue;
		r->changes[nch].customer_id = id;       /* no segment now */
		r->changes[nch].old_report = rid[id];
		r->changes[nch++].segment = NULL;
	}
	r->nchanges = nch;
	r->incremental = 1;
	free(old);
	free(rid);
	return 0;
}

static int sec_segments(struct ctx *x)
{
	struct crm_rtable *t, *sizes;
	struct crm_segment_of *seg = NULL;
	int64_t now[NSEG] = {0}, before[NSEG] = {0};
	int64_t moves[NSEG][NSEG] = {{0}};
	int64_t moved = 0;
	char b[4][VALBUF], when[CRM_TIMEBUF];
	const char *v[5];
	size_t nseg, i, j;
	size_t other = nseg_names();    /* the index of "(other)" */

	section(x, "segments", "RFM segments");
	if (crm_report_rfm(x->db, x->u, &seg, &nseg) == -1)
		return -1;
	x->r->segs = seg;
	x->r->nsegs = nseg;
	for (i = 0; i < nseg; i++)
		now[seg_index(seg[i].segment)]++;
	/* the segments at the last nightly report, and what changed since */
	if (x->last_report && compare(x, seg, nseg, before, moves, &moved) == -1)
		return -1;
	t = figures(x);
	{
		int64_t keep = x->ps;
		double prev_total = 0;

		for (i = 0; i < NSEG; i++)
			prev_total += (double)before[i];
		/* "previous" here is the last report's snapshot */
		x->ps = x->last_report ? 0 : CRM_NONE;
		fig(x, t, "segmented", "Customers with a segment", 'n',
		    (double)nseg, prev_total);
		x->ps = CRM_NONE;
		if (x->last_report)
			fig(x, t, "moved", "Moved between segments since the "
			    "last report", 'n', (double)moved, NAN);
		x->ps = keep;
	}
	sizes = table(x, "segment_sizes", "Segment sizes",
	    "segment,customers,last_report,change", "snnc");
	for (i = 0; i <= other; i++) {
		if (i == other && now[i] == 0 && before[i] == 0)
			continue;
		v[0] = seg_name(i);
		v[1] = fmt_int(b[0], now[i]);
		v[2] = x->last_report ? fmt_int(b[1], before[i]) : NULL;
		v[3] = x->last_report ? fmt_int(b[2], now[i] - before[i]) : NULL;
		row(x, sizes, v);
	}
	chart(x, "segments", "Customers by RFM segment", sizes, 0, 1, 1);
	if (x->last_report) {
		t = table(x, "segment_moves", "Moves since the last report",
		    "from,to,customers", "ssn");
		for (i = 0; i <= other; i++)
			for (j = 0; j <= other; j++) {
				if (moves[i][j] == 0)
					continue;
				v[0] = seg_name(i);
				v[1] = seg_name(j);
				v[2] = fmt_int(b[3], moves[i][j]);
				row(x, t, v);
			}
		note(x, "The R x F grid of crm-segment rfm over the purchases "
		    "before %s, compared with the report of %s.",
		    crm_fmt_time(x->u, b[0]), crm_fmt_time(x->last_ran, when));
	} else {
		note(x, "The R x F grid of crm-segment rfm over the purchases "
		    "before %s; there is no earlier nightly report to compare "
		    "with.", crm_fmt_time(x->u, b[0]));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Department reports                                                  */

static int dept_revenue(struct ctx *x)
{
	const char *by = x->o->by ? x->o->by : "day";
	const char *key;
	struct crm_rtable *t;

	if (strcmp(by, "day") == 0)
		key = "date(at, 'unixepoch', 'localtime')";
	else if (strcmp(by, "week") == 0)
		key = "date(at, 'unixepoch', 'localtime', '-6 days', "
		    "'weekday 1')";
	else if (strcmp(by, "month") == 0)
		key = "strftime('%Y-%m', at, 'unixepoch', 'localtime')";
	else if (strcmp(by, "category") == 0)
		key = "coalesce(category, '(none)')";
	else
		return crm__error(x->db, CRM_EUSAGE, "invalid --by \"%s\" for "
		    "revenue (day, week, month, category)", by);
	section(x, "revenue", "Revenue");
	if (strcmp(by, "week") == 0)
		note(x, "Weeks start on Monday and are named by that day.");
	if (revenue_table(x, "revenue", NULL, by, key, x->s, x->u) == -1)
		return -1;
	t = x->sec ? x->sec->tables[0] : NULL;
	chart(x, "revenue", "Revenue", t, 0, 2, strcmp(by, "category") == 0);
	return 0;
}

static int dept_audit(struct ctx *x)
{
	struct crm_rtable *t;

	section(x, "audit", "Audit log");
	t = table(x, "audit", NULL,
	    "at,user,command,action,ref,customer_id,event,detail", "Tsssssss");
	return query(x, t, "SELECT a.at, a.user, a.command, a.action, c.ref,"
	    " a.customer_id, a.event_id, a.detail FROM audit a"
	    " LEFT JOIN customers c ON c.id = a.customer_id"
	    " WHERE a.at >= ?1 AND a.at < ?2"
	    " AND (?3 IS NULL OR a.customer_id = ?3) ORDER BY a.at, a.id",
	    x->s, x->u, x->o->customer_id ? x->o->customer_id : CRM_NONE);
}

static int department(struct ctx *x)
{
	const struct crm_report_opts *o = x->o;
	const char *by;
	char *desc;
	int m;

	switch (o->kind) {
	case CRM_REPORT_COMPLAINTS:
		by = o->by ? o->by : "category";
		if (strcmp(by, "category") != 0 && strcmp(by, "product") != 0)
			return crm__error(x->db, CRM_EUSAGE, "invalid --by \"%s\""
			    " for complaints (category, product)", by);
		section(x, "complaints", "Complaints and returns");
		return complaints_table(x, by, x->s, x->u);
	case CRM_REPORT_CALLBACKS:
		section(x, "callbacks", "Open service requests and callbacks");
		return callbacks_table(x, 0);
	case CRM_REPORT_CAMPAIGNS:
		section(x, "campaigns", "Campaigns");
		note(x, "Answered means a campaign_response with the campaign's "
		    "ref; revenue is what those who answered bought in the 30 "
		    "days after.");
		return campaign_tables(x, x->s, x->u, 0);
	case CRM_REPORT_REVENUE:
		return dept_revenue(x);
	case CRM_REPORT_CUSTOMERS:
		by = o->by ? o->by : "spend";
		if (strcmp(by, "spend") != 0 && strcmp(by, "clv") != 0)
			return crm__error(x->db, CRM_EUSAGE, "invalid --by \"%s\""
			    " for customers (spend, clv)", by);
		section(x, "customers", "Top customers");
		if (strcmp(by, "clv") == 0) {
			if ((m = model(x, &desc)) == -1)
				return -1;
			if (m == 0)
				note(x, "No model has been fitted yet: run "
				    "crm-predict fit for lifetime values.");
			else if (x->sec) {
				free(x->sec->note);
				x->sec->note = desc;
				desc = NULL;
			}
			free(desc);
		}
		return top_customers(x, x->s, x->u, o->top > 0 ? o->top : 10,
		    strcmp(by, "clv") == 0, "top_customers");
	case CRM_REPORT_AUDIT:
		return dept_audit(x);
	default:
		return 0;
	}
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

	j->rc = timed(sec_segments, &j->x);
	/* keeps the aggregates crm_stats_before stored, if it could */
	sqlite3_exec(j->x.db->sql, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

/* nightly: the sections of the nightly report, the segments in a thread
 * on db2 when there is one. */
static int nightly(struct ctx *x, struct crm_db *db2)
{
	static int (*const sections[])(struct ctx *) = {
		sec_customers, sec_sales, sec_complaints, sec_service,
		sec_carts, sec_reviews, sec_campaigns, sec_predictions,
	};
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
	for (i = 0; rc == 0 && i < sizeof(sections) / sizeof(sections[0]); i++)
		rc = timed(sections[i], x);
	if (db2 == NULL)
		return rc == 0 ? timed(sec_segments, x) : rc;
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
	r->title = xstrdup(r, titles[o->kind]);
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
		rc = department(&x);
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
