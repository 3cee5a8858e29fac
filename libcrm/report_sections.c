/* report_sections.c: the sections of the nightly report (customers,
 * sales, complaints, service, carts, reviews, campaigns, predictions) and
 * the department reports. */
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

#define NIGHTLY_LIST 20         /* oldest open complaints, lowest reviews ... */
#define WORKLIST_MAX 50         /* open callbacks in the nightly report */
#define DUE_DAYS 14             /* "due to buy": next purchase within */
#define CAMPAIGN_DAYS 30        /* nightly: campaigns sent in the last ... */
#define CHART_DAYS 30           /* nightly: revenue over at least ... days */


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

	t = crm__rtable(x, name, by_clv ? "Top customers by lifetime value" :
	    "Top customers by spend",
	    "ref,name,email,orders,spend,last_purchase,clv", "sssnmdm");
	if (by_clv)
		return crm__rquery(x, t,
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
	return crm__rquery(x, t,
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

	crm__rsection(x, "customers", "Customers");
	t = crm__rfigures(x);
	if (crm__ragg(x, sql, x->s, x->u, x->ps, x->pu, v, 4) == -1)
		return -1;
	crm__rfig(x, t, "new_customers", "New customers", 'n', v[0], v[1]);
	crm__rfig(x, t, "customers", "Customers in all", 'n', v[2], v[3]);
	return top_customers(x, x->s, x->u, 5, 0, "top_customers");
}

/* The sales figures of [lo, hi): orders, revenue, returns, returned. */
static int sales_of(struct ctx *x, int64_t lo, int64_t hi, double *v)
{
	return crm__ragg(x, "SELECT count(*) FILTER (WHERE kind = 'purchase'),"
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

	t = crm__rtable(x, "revenue_by_day", "Revenue by day",
	    "day,orders,revenue", "snm");
	if (t == NULL)
		return 0;
	t->chart_only = 1;
	/* start at local midnight of lo's day */
	tt = (time_t)lo;
	localtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	d = (int64_t)mktime(&tm);
	st = crm__rprep(x, "SELECT count(*), coalesce(sum(amount_cents), 0)"
	    " FROM events WHERE kind = 'purchase' AND at >= ?1 AND at < ?2", 0);
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
			v[1] = crm__rfmt_int(b[0], sqlite3_column_int64(st, 0));
			v[2] = crm__rfmt_num(b[1], 'm',
			    (double)sqlite3_column_int64(st, 1));
			crm__rrow(x, t, v);
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
	t = crm__rtable(x, name, title, cols, "snmnmmm");
	sql = crm__rprintf(x->r, "SELECT %s AS k,"
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
	rc = crm__rquery(x, t, sql, lo, hi);
	free(sql);
	return rc;
}

static int sec_sales(struct ctx *x)
{
	struct crm_rtable *t;
	double c[4], p[4] = { NAN, NAN, NAN, NAN };
	int64_t lo;

	crm__rsection(x, "sales", "Sales");
	t = crm__rfigures(x);
	if (sales_of(x, x->s, x->u, c) == -1 ||
	    (x->ps != CRM_NONE && sales_of(x, x->ps, x->pu, p) == -1))
		return -1;
	crm__rfig(x, t, "revenue", "Revenue", 'm', c[1], p[1]);
	crm__rfig(x, t, "orders", "Orders", 'n', c[0], p[0]);
	crm__rfig(x, t, "average_order", "Average order", 'm',
	    c[0] > 0 ? c[1] / c[0] : NAN, p[0] > 0 ? p[1] / p[0] : NAN);
	crm__rfig(x, t, "returns", "Returns", 'n', c[2], p[2]);
	crm__rfig(x, t, "returned", "Returned value", 'm', c[3], p[3]);
	crm__rfig(x, t, "return_rate", "Return rate (% of orders)", 'p',
	    c[0] > 0 ? 100 * c[2] / c[0] : NAN,
	    p[0] > 0 ? 100 * p[2] / p[0] : NAN);
	crm__rfig(x, t, "net_revenue", "Net revenue", 'm', c[1] - c[3],
	    p[1] - p[3]);
	lo = x->u - CHART_DAYS * (int64_t)DAY;
	if (x->s < lo)
		lo = x->s;
	if (revenue_by_day(x, lo, x->u) == -1)
		return -1;
	crm__rchart(x, "revenue", "Revenue by day", x->sec->tables[1], 0, 2, 0);
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
	t = crm__rtable(x, name, title, cols, "snnpnps");
	if (t == NULL)
		return 0;
	sql = crm__rprintf(x->r, "WITH k AS (SELECT coalesce(%s, '(none)')"
	    " AS k, coalesce(sum(coalesce(quantity, 1)) FILTER (WHERE kind = "
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
	rc = crm__rquery(x, t, sql, lo, hi);
	free(sql);
	if (rc == -1)
		return -1;
	/* the three most frequent subjects of each row's complaints */
	sql = crm__rprintf(x->r, "SELECT coalesce(%s, '(none)') AS k, subject,"
	    " count(*) AS n FROM events WHERE kind = 'complaint'"
	    " AND at >= ?1 AND at < ?2 AND subject IS NOT NULL"
	    " GROUP BY k, subject ORDER BY k, n DESC, subject", by);
	if (sql == NULL || (st = crm__rprep(x, sql, 2, lo, hi)) == NULL) {
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
			key = crm__rstrdup(x->r, k);
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

	crm__rsection(x, "complaints", "Complaints");
	t = crm__rfigures(x);
	/* opened in each period: the index on at; closed: one pass */
	if (crm__ragg(x, "SELECT count(*) FILTER (WHERE at >= ?1 AND at < ?2),"
	    " count(*) FILTER (WHERE at >= ?3 AND at < ?4) FROM events"
	    " WHERE kind = 'complaint' AND ((at >= ?1 AND at < ?2) OR"
	    " (at >= ?3 AND at < ?4))", x->s, x->u, ps, pu, c, 2) == -1)
		return -1;
	/* closed in each period: the partial index on closed_at */
	if (crm__ragg(x, "SELECT count(*) FILTER (WHERE closed_at >= ?1"
	    " AND closed_at < ?2), count(*) FILTER (WHERE closed_at >= ?3"
	    " AND closed_at < ?4) FROM events WHERE kind = 'complaint'"
	    " AND ((closed_at >= ?1 AND closed_at < ?2) OR (closed_at >= ?3"
	    " AND closed_at < ?4))", x->s, x->u, ps, pu, cl, 2) == -1)
		return -1;
	/* +at: find the few open items through the partial index on open
	 * events, not every event before until through the index on at */
	if (crm__ragg(x, "SELECT count(*) FROM events WHERE status = 'open'"
	    " AND kind = 'complaint' AND +at < ?2", x->s, x->u, CRM_NONE,
	    CRM_NONE, open, 1) == -1)
		return -1;
	crm__rfig(x, t, "complaints_opened", "Complaints opened", 'n', c[0],
	    c[1]);
	crm__rfig(x, t, "complaints_closed", "Complaints closed", 'n', cl[0],
	    cl[1]);
	{
		int64_t keep = x->ps;

		x->ps = CRM_NONE;       /* a state, not a flow: no previous */
		crm__rfig(x, t, "complaints_open", "Complaints still open", 'n',
		    open[0], NAN);
		x->ps = keep;
	}
	t = crm__rtable(x, "complaints_open", "Oldest open complaints",
	    "opened,age_days,ref,name,category,product,event,subject",
	    "dnssssns");
	if (crm__rquery(x, t, "SELECT e.at, (?2 - e.at) / 86400, c.ref, "
	    NAME_SQL ", e.category, e.product, e.id, e.subject FROM events e"
	    " JOIN customers c ON c.id = e.customer_id"
	    " WHERE e.status = 'open' AND e.kind = 'complaint' AND +e.at < ?2"
	    " ORDER BY e.at, e.id LIMIT ?3", x->s, x->u,
	    (int64_t)NIGHTLY_LIST) == -1)
		return -1;
	if (open[0] > NIGHTLY_LIST)
		crm__rnote(x, "%.0f complaints are open; the %d oldest are "
		    "listed.", open[0], NIGHTLY_LIST);
	return complaints_table(x, "category", x->s, x->u);
}

/* The open service requests and callbacks, by due date (overdue first),
 * at most max (0: all). */
static int callbacks_table(struct ctx *x, int64_t max)
{
	struct crm_rtable *t;

	t = crm__rtable(x, "callbacks", "Open service requests and callbacks",
	    "due,overdue,kind,ref,name,phone,opened,event,subject",
	    "dnssssdns");
	return crm__rquery(x, t, "SELECT e.due_at,"
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

	crm__rsection(x, "service", "Service requests and callbacks");
	t = crm__rfigures(x);
	if (crm__ragg(x, "SELECT count(*) FILTER (WHERE kind = 'service'),"
	    " count(*) FILTER (WHERE kind = 'callback'),"
	    " count(*) FILTER (WHERE due_at < ?2) FROM events"
	    " WHERE status = 'open' AND kind IN ('service', 'callback')",
	    x->s, x->u, CRM_NONE, CRM_NONE, v, 3) == -1)
		return -1;
	x->ps = CRM_NONE;       /* states, not flows */
	crm__rfig(x, t, "service_open", "Open service requests", 'n', v[0],
	    NAN);
	crm__rfig(x, t, "callbacks_open", "Open callbacks", 'n', v[1], NAN);
	crm__rfig(x, t, "overdue", "Overdue", 'n', v[2], NAN);
	x->ps = keep;
	if (v[0] + v[1] > WORKLIST_MAX)
		crm__rnote(x, "%.0f items are open; the first %d by due date "
		    "are listed (crm-report callbacks lists all).",
		    v[0] + v[1], WORKLIST_MAX);
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

	crm__rsection(x, "carts", "Abandoned carts");
	t = crm__rfigures(x);
	if (crm__ragg(x, sql, x->s, x->u, CRM_NONE, CRM_NONE, c, 4) == -1 ||
	    (x->ps != CRM_NONE &&
	    crm__ragg(x, sql, x->ps, x->pu, CRM_NONE, CRM_NONE, p, 4) == -1))
		return -1;
	crm__rfig(x, t, "carts", "Abandoned carts", 'n', c[0], p[0]);
	crm__rfig(x, t, "cart_value", "Value of abandoned carts", 'm', c[1],
	    p[1]);
	crm__rfig(x, t, "cart_customers", "Customers", 'n', c[2], p[2]);
	crm__rfig(x, t, "cart_contactable", "Customers who may be emailed", 'n',
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

	crm__rsection(x, "reviews", "Reviews and questionnaires");
	t = crm__rfigures(x);
	if (crm__ragg(x, sql, x->s, x->u, CRM_NONE, CRM_NONE, c, 4) == -1 ||
	    (x->ps != CRM_NONE &&
	    crm__ragg(x, sql, x->ps, x->pu, CRM_NONE, CRM_NONE, p, 4) == -1))
		return -1;
	crm__rfig(x, t, "reviews", "Reviews", 'n', c[0], p[0]);
	crm__rfig(x, t, "review_rating", "Average review rating (1-5)", 'r',
	    c[1], p[1]);
	crm__rfig(x, t, "surveys", "Questionnaires", 'n', c[2], p[2]);
	crm__rfig(x, t, "survey_rating", "Average questionnaire rating (1-5)",
	    'r', c[3], p[3]);
	t = crm__rtable(x, "reviews_lowest", "Lowest ratings of the period",
	    "at,kind,rating,ref,name,about,text", "dsnssss");
	return crm__rquery(x, t, "SELECT e.at, e.kind, e.rating, c.ref, "
	    NAME_SQL ", coalesce(e.product, e.category),"
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

	c = crm__rtable(x, "campaigns_by_channel", "Response by channel",
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
		v[1] = crm__rfmt_num(b[0], 'n', sum[k * 3]);
		v[2] = crm__rfmt_num(b[1], 'n', sum[k * 3 + 1]);
		v[3] = crm__rfmt_num(b[2], 'p',
		    100 * sum[k * 3 + 1] / sum[k * 3]);
		v[4] = crm__rfmt_num(b[3], 'm', sum[k * 3 + 2]);
		crm__rrow(x, c, v);
	}
	free(ch);
	free(sum);
}

static int campaign_tables(struct ctx *x, int64_t lo, int64_t hi, int nightly)
{
	struct crm_rtable *t;

	t = crm__rtable(x, "campaigns", "Campaigns",
	    "campaign,channel,first_sent,sent,answered,response_pct,revenue_30d",
	    "ssdnnpm");
	if (crm__rquery(x, t, CAMPAIGN_SQL "SELECT coalesce(ref, '(none)'), ch,"
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
		crm__rchart(x, "response", "Response rate by channel (%)",
		    x->sec->tables[x->sec->ntables - 2], 0, 3, 0);
	}
	return 0;
}

static int sec_campaigns(struct ctx *x)
{
	char a[CRM_TIMEBUF], b[CRM_TIMEBUF];
	int64_t lo = x->u - CAMPAIGN_DAYS * (int64_t)DAY;

	crm__rsection(x, "campaigns", "Campaign response");
	crm__rnote(x, "Campaigns sent from %s to %s: answered means a "
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
	if ((st = crm__rprep(x, "SELECT kind, fitted_at, as_of FROM models"
	    " ORDER BY fitted_at DESC, id DESC LIMIT 1", 0)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*desc = crm__rprintf(x->r, "From the %s model fitted %s on the "
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
	st = crm__rprep(x, "SELECT customer_id, next_purchase, p_alive,"
	    " clv_cents, churn_risk FROM predictions", 0);
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
	rc = crm__rfill(x, t, st);
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

	crm__rsection(x, "predictions",
	    "Due to buy, and valuable customers at risk");
	if ((m = model(x, &desc)) == -1)
		return -1;
	if (m == 0) {
		crm__rnote(x, "No model has been fitted yet: run crm-predict "
		    "fit to see who is due to buy and which valuable customers "
		    "are at risk.");
		return 0;
	}
	if (x->sec) {
		free(x->sec->note);
		x->sec->note = desc;
	} else {
		free(desc);
	}
	t = crm__rfigures(x);
	if (predictions_pass(x, &pp) == -1)
		return -1;
	x->ps = CRM_NONE;
	crm__rfig(x, t, "due_to_buy", "Due to buy in the next 14 days", 'n',
	    (double)pp.due, NAN);
	crm__rfig(x, t, "at_risk", "Customers at risk", 'n', (double)pp.risk,
	    NAN);
	crm__rfig(x, t, "value_at_risk", "Lifetime value at risk", 'm',
	    (double)pp.risk_cents, NAN);
	x->ps = keep;
	t = crm__rtable(x, "due_to_buy", "Due to buy in the next 14 days",
	    "ref,name,next_purchase,p_alive,expected_purchases,category,channel",
	    "ssdrrss");
	if (listed(x, t, pp.due_ids, "SELECT c.ref, " NAME_SQL ", p.next_purchase,"
	    " p.p_alive, p.expected_purchases, p.favourite_category,"
	    " p.preferred_channel FROM predictions p"
	    " JOIN customers c ON c.id = p.customer_id"
	    " WHERE p.customer_id IN (SELECT value FROM json_each(?1))"
	    " ORDER BY p.next_purchase, c.id") == -1)
		return -1;
	t = crm__rtable(x, "at_risk", "Valuable customers at risk",
	    "ref,name,email,phone,clv,p_alive,churn_risk", "ssssmrs");
	return listed(x, t, pp.risk_ids, "SELECT c.ref, " NAME_SQL ", c.email,"
	    " c.phone, p.clv_cents, p.p_alive, p.churn_risk FROM predictions p"
	    " JOIN customers c ON c.id = p.customer_id"
	    " WHERE p.customer_id IN (SELECT value FROM json_each(?1))"
	    " ORDER BY p.clv_cents DESC, c.id");
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
	crm__rsection(x, "revenue", "Revenue");
	if (strcmp(by, "week") == 0)
		crm__rnote(x, "Weeks start on Monday and are named by that "
		    "day.");
	if (revenue_table(x, "revenue", NULL, by, key, x->s, x->u) == -1)
		return -1;
	t = x->sec ? x->sec->tables[0] : NULL;
	crm__rchart(x, "revenue", "Revenue", t, 0, 2,
	    strcmp(by, "category") == 0);
	return 0;
}

static int dept_audit(struct ctx *x)
{
	struct crm_rtable *t;

	crm__rsection(x, "audit", "Audit log");
	t = crm__rtable(x, "audit", NULL,
	    "at,user,command,action,ref,customer_id,event,detail", "Tsssssss");
	return crm__rquery(x, t, "SELECT a.at, a.user, a.command, a.action,"
	    " c.ref, a.customer_id, a.event_id, a.detail FROM audit a"
	    " LEFT JOIN customers c ON c.id = a.customer_id"
	    " WHERE a.at >= ?1 AND a.at < ?2"
	    " AND (?3 IS NULL OR a.customer_id = ?3) ORDER BY a.at, a.id",
	    x->s, x->u, x->o->customer_id ? x->o->customer_id : CRM_NONE);
}

int crm__department(struct ctx *x)
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
		crm__rsection(x, "complaints", "Complaints and returns");
		return complaints_table(x, by, x->s, x->u);
	case CRM_REPORT_CALLBACKS:
		crm__rsection(x, "callbacks",
		    "Open service requests and callbacks");
		return callbacks_table(x, 0);
	case CRM_REPORT_CAMPAIGNS:
		crm__rsection(x, "campaigns", "Campaigns");
		crm__rnote(x, "Answered means a campaign_response with the "
		    "campaign's ref; revenue is what those who answered bought "
		    "in the 30 days after.");
		return campaign_tables(x, x->s, x->u, 0);
	case CRM_REPORT_REVENUE:
		return dept_revenue(x);
	case CRM_REPORT_CUSTOMERS:
		by = o->by ? o->by : "spend";
		if (strcmp(by, "spend") != 0 && strcmp(by, "clv") != 0)
			return crm__error(x->db, CRM_EUSAGE, "invalid --by \"%s\""
			    " for customers (spend, clv)", by);
		crm__rsection(x, "customers", "Top customers");
		if (strcmp(by, "clv") == 0) {
			if ((m = model(x, &desc)) == -1)
				return -1;
			if (m == 0)
				crm__rnote(x, "No model has been fitted yet: "
				    "run crm-predict fit for lifetime values.");
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

int (*const crm__nightly_sections[])(struct ctx *) = {
	sec_customers, sec_sales, sec_complaints, sec_service,
	sec_carts, sec_reviews, sec_campaigns, sec_predictions, NULL
};
