/* segment.c: running a segment query (RFM, expression, consent, customers
 * from standard input) and writing its rows; saved segments. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "custlist.h"
#include "customer.h"
#include "event.h"
#include "filter.h"
#include "out.h"
#include "rfm.h"
#include "segment.h"
#include "util.h"
#include "value.h"

#define MAXCOLS 64

/* ---- crm_stat(id, k): the aggregates as an SQL function ---------------- */

static void stat_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct crm_stats *st = sqlite3_user_data(ctx);
	const struct crm_cstat *c;
	char score[4];
	int64_t v = CRM_NONE;

	(void)argc;
	c = crm_stats_find(st, sqlite3_value_int64(argv[0]));
	if (c == NULL)
		return;     /* NULL */
	switch (sqlite3_value_int(argv[1])) {
	case CRM_STAT_ORDERS: v = c->orders; break;
	case CRM_STAT_SPEND: v = c->spend; break;
	case CRM_STAT_AOV:
		if (c->orders)
			v = (int64_t)llround((double)c->spend / c->orders);
		break;
	case CRM_STAT_FIRST_PURCHASE: v = c->first_purchase; break;
	case CRM_STAT_LAST_PURCHASE: v = c->last_purchase; break;
	case CRM_STAT_RETURNS: v = c->returns; break;
	case CRM_STAT_RETURN_RATE:
		sqlite3_result_double(ctx, c->orders ?
		    (double)c->returns / c->orders : 0.0);
		return;
	case CRM_STAT_COMPLAINTS: v = c->complaints; break;
	case CRM_STAT_COMPLAINTS_OPEN: v = c->complaints_open; break;
	case CRM_STAT_SERVICE_OPEN: v = c->service_open; break;
	case CRM_STAT_CALLBACKS_OPEN: v = c->callbacks_open; break;
	case CRM_STAT_REVIEWS: v = c->reviews; break;
	case CRM_STAT_AVG_RATING:
		if (c->reviews)
			sqlite3_result_double(ctx,
			    (double)c->rating_sum / c->reviews);
		return;
	case CRM_STAT_CART_ABANDONED: v = c->cart_abandoned; break;
	case CRM_STAT_CAMPAIGNS_SENT: v = c->campaigns_sent; break;
	case CRM_STAT_CAMPAIGNS_ANSWERED: v = c->campaigns_answered; break;
	case CRM_STAT_LAST_CONTACT: v = c->last_contact; break;
	default:
		if (!c->orders)
			return;
		switch (sqlite3_value_int(argv[1])) {
		case CRM_STAT_RECENCY: v = c->recency; break;
		case CRM_STAT_R: v = c->r; break;
		case CRM_STAT_F: v = c->f; break;
		case CRM_STAT_M: v = c->m; break;
		case CRM_STAT_SCORE:
			snprintf(score, sizeof(score), "%d%d%d", c->r % 10,
			    c->f % 10, c->m % 10);
			sqlite3_result_text(ctx, score, -1, SQLITE_TRANSIENT);
			return;
		case CRM_STAT_SEGMENT:
			sqlite3_result_text(ctx,
			    crm_rfm_segments(st->scheme)[c->segment], -1,
			    SQLITE_STATIC);
			return;
		case CRM_STAT_SEGMENT_NO: v = c->segment + 1; break;
		}
	}
	if (v != CRM_NONE)
		sqlite3_result_int64(ctx, v);
}

/* attach: offer st to SQL as crm_stat(id, k); st NULL removes it. */
static int attach(struct crm_db *db, struct crm_stats *st)
{
	if (sqlite3_create_function(db->sql, "crm_stat", 2, SQLITE_UTF8, st,
	    st ? stat_fn : NULL, NULL, NULL) != SQLITE_OK)
		return crm__sqlerr(db, "cannot register crm_stat");
	return 0;
}

/* ---- customers from standard input --------------------------------------- */

int crm_segment_read(struct crm_db *db, FILE *fp, const char *name,
    int64_t **ids, size_t *n)
{
	struct crm_custlist *l;
	int64_t *v = NULL, id;
	size_t cap = 0, len = 0;
	int rc;

	if ((l = crm_custlist_open(db, fp, name)) == NULL)
		return -1;
	while ((rc = crm_custlist_next(l, &id)) == 1) {
		if (len == cap) {
			int64_t *p;

			cap = cap ? cap * 2 : 256;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = crm__error(db, CRM_EFAIL, "out of memory");
				break;
			}
			v = p;
		}
		v[len++] = id;
	}
	crm_custlist_close(l);
	if (rc == -1) {
		free(v);
		return -1;
	}
	*ids = v;
	*n = len;
	return 0;
}

/* load_input: the ids into temp.crm_input (id, seq), first one kept. */
static int load_input(struct crm_db *db, const int64_t *ids, size_t n)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (crm__exec(db, "CREATE TEMP TABLE IF NOT EXISTS crm_input"
	    " (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);"
	    " DELETE FROM temp.crm_input") == -1)
		return -1;
	if ((st = crm__prepare(db, "INSERT OR IGNORE INTO temp.crm_input"
	    " (id, seq) VALUES (?1, ?2)")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return crm__sqlerr(db, "cannot keep the input");
		}
	}
	sqlite3_finalize(st);
	return 0;
}

/* ---- running a query ------------------------------------------------------ */

/* A query under construction. */
struct run {
	struct crm_sql q;
	char *name[MAXCOLS];
	enum crm_ftype type[MAXCOLS];
	size_t ncol;
	char err[1024];
};

/* bind: the parameters of q. */
static int bind(struct crm_db *db, sqlite3_stmt *st, const struct crm_sql *q)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < q->nparam && rc == SQLITE_OK; i++) {
		const struct crm_param *p = &q->param[i];

		if (p->type == CRM_P_INT)
			rc = sqlite3_bind_int64(st, (int)i + 1, p->i);
		else if (p->type == CRM_P_REAL)
			rc = sqlite3_bind_double(st, (int)i + 1, p->d);
		else
			rc = sqlite3_bind_text(st, (int)i + 1, p->s, -1,
			    SQLITE_STATIC);
	}
	return rc == SQLITE_OK ? 0 : crm__sqlerr(db, "cannot bind");
}

/* columns: the SELECT list from q->columns or the defaults. */
static int columns(struct crm_db *db, struct run *R, const struct crm_segq *q)
{
	static const char plain[] = "id,ref,first_name,last_name,company,"
	    "email,phone,street,postal_code,city,country";
	static const char rfm[] = "id,ref,first_name,last_name,email,"
	    "recency,frequency,monetary,r,f,m,rfm,segment";
	char *list, *tok, *save = NULL, *name;
	int rc = 0;

	if ((list = strdup(q->columns ? q->columns : q->rfm ? rfm : plain)) ==
	    NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	for (tok = strtok_r(list, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		name = crm_strtrim(tok);
		if (*name == '\0')
			continue;
		if (R->ncol == MAXCOLS) {
			rc = crm__error(db, CRM_EUSAGE, "too many columns (at "
			    "most %d)", MAXCOLS);
			break;
		}
		if (R->ncol)
			crm_buf_adds(&R->q.text, ", ");
		if (crm_filter_column(&R->q, name, &R->type[R->ncol], R->err,
		    sizeof(R->err)) == -1) {
			rc = crm__error(db, CRM_EDATA, "%s", R->err);
			break;
		}
		if ((R->name[R->ncol++] = strdup(name)) == NULL) {
			rc = crm__error(db, CRM_EFAIL, "out of memory");
			break;
		}
	}
	free(list);
	if (rc == 0 && R->ncol == 0)
		rc = crm__error(db, CRM_EUSAGE, "no columns");
	return rc;
}

/* condition: " AND (expr)", with the source named in errors. */
static int condition(struct crm_db *db, struct run *R, const char *expr,
    const char *what, int64_t now)
{
	crm_buf_adds(&R->q.text, " AND ");
	if (crm_filter_compile(&R->q, expr, now, R->err, sizeof(R->err)) == -1)
		return crm__error(db, CRM_EDATA, "%s: %s", what, R->err);
	return 0;
}

/* fmt_real: v with up to three decimals, trailing zeros dropped. */
static const char *fmt_real(double v, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "%.3f", v);
	if (strchr(buf, '.')) {
		p = buf + strlen(buf) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
	return buf;
}

/* cell: column i of the current row as text into buf (or borrowed). */
static const char *cell(sqlite3_stmt *st, int i, enum crm_ftype type,
    char *buf, size_t len)
{
	int t = sqlite3_column_type(st, i);

	if (t == SQLITE_NULL)
		return NULL;
	switch (type) {
	case CRM_FT_MONEY:
		if (t == SQLITE_INTEGER)
			return crm_fmt_money(sqlite3_column_int64(st, i), buf);
		break;
	case CRM_FT_DATE:
		if (t == SQLITE_INTEGER)
			return crm_fmt_time(sqlite3_column_int64(st, i), buf);
		break;
	case CRM_FT_REAL:
	case CRM_FT_INT:
		if (t == SQLITE_FLOAT)
			return fmt_real(sqlite3_column_double(st, i), buf, len);
		break;
	case CRM_FT_TEXT:
		break;
	}
	return (const char *)sqlite3_column_text(st, i);
}

/* out_err: a write error. */
static int out_err(struct crm_db *db)
{
	return crm__error(db, CRM_EIO, "write error: %s", strerror(errno));
}

/* emit_rows: step st and write its rows with R's columns. */
static int emit_rows(struct crm_db *db, struct run *R, sqlite3_stmt *st,
    struct crm_out *out)
{
	char buf[MAXCOLS][CRM_TIMEBUF + CRM_MONEYBUF];
	const char *v[MAXCOLS];
	char types[MAXCOLS + 1];
	size_t i;
	int rc;

	for (i = 0; i < R->ncol; i++)
		types[i] = R->type[i] == CRM_FT_TEXT ||
		    R->type[i] == CRM_FT_DATE ? 's' : 'n';
	types[i] = '\0';
	if (crm_out_header(out, (const char *const *)R->name, R->ncol,
	    types) == -1)
		return out_err(db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < R->ncol; i++)
			v[i] = cell(st, (int)i, R->type[i], buf[i],
			    sizeof(buf[i]));
		if (crm_out_row(out, v, R->ncol) == -1)
			return out_err(db);
	}
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot select customers");
	return 0;
}

/* emit_counts: the per-segment (or one) row of customers and spend. */
static int emit_counts(struct crm_db *db, const struct crm_segq *q,
    sqlite3_stmt *st, struct crm_out *out)
{
	static const char *const cols[] = { "segment", "customers", "spend" };
	const char *const *names = crm_rfm_segments(q->scheme);
	int64_t n[16] = { 0 }, spend[16] = { 0 };
	char nb[24], mb[CRM_MONEYBUF];
	const char *v[3];
	int rc, k, nseg = 0;

	while (names[nseg])
		nseg++;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = q->rfm ? sqlite3_column_int(st, 0) - 1 : 0;
		if (k < 0 || k >= nseg)
			continue;
		n[k] = sqlite3_column_int64(st, 1);
		spend[k] = sqlite3_column_int64(st, 2);
	}
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot count customers");
	if (crm_out_header(out, cols, 3, "snn") == -1)
		return out_err(db);
	for (k = 0; k < (q->rfm ? nseg : 1); k++) {
		v[0] = q->rfm ? names[k] : q->name ? q->name :
		    q->where ? q->where : q->channel ? q->channel : "all";
		snprintf(nb, sizeof(nb), "%lld", (long long)n[k]);
		v[1] = nb;
		v[2] = crm_fmt_money(spend[k], mb);
		if (crm_out_row(out, v, 3) == -1)
			return out_err(db);
	}
	return 0;
}

/* build: the query of q into R (saved: the saved segment's expression);
 * with R->q.stored set the aggregates come from customer_stats. */
static int build(struct crm_db *db, struct run *R, const struct crm_segq *q,
    const char *saved)
{
	char what[128];

	crm_buf_adds(&R->q.text, "SELECT ");
	if (q->count) {
		/* the segment number (rfm), the customers, their spend */
		if (q->rfm)
			crm_buf_addf(&R->q.text, "crm_stat(c.id, %d)",
			    CRM_STAT_SEGMENT_NO);
		else
			crm_filter_stat(&R->q, CRM_STAT_ORDERS);
		crm_buf_adds(&R->q.text, ", count(*), coalesce(sum(");
		crm_filter_stat(&R->q, CRM_STAT_SPEND);
		crm_buf_adds(&R->q.text, "), 0)");
	} else if (columns(db, R, q) == -1) {
		return -1;
	}
	crm_buf_adds(&R->q.text, " FROM customers c");
	if (R->q.stored)
		crm_buf_adds(&R->q.text, " LEFT JOIN customer_stats cs"
		    " ON cs.customer_id = c.id");
	if (q->ids)
		crm_buf_adds(&R->q.text, " JOIN temp.crm_input i ON i.id = c.id");
	crm_buf_adds(&R->q.text, " WHERE c.erased_at IS NULL");
	if (q->rfm) {
		crm_buf_addf(&R->q.text, " AND crm_stat(c.id, %d) > 0",
		    CRM_STAT_ORDERS);
		R->q.needs |= CRM_NEED_STATS | CRM_NEED_RFM;
	}
	if (q->channel) {
		crm_buf_adds(&R->q.text, " AND ");
		if (crm_filter_channel(&R->q, q->channel, R->err,
		    sizeof(R->err)) == -1)
			return crm__error(db, CRM_EDATA, "%s", R->err);
	}
	if (saved) {
		snprintf(what, sizeof(what), "segment \"%.60s\"", q->name);
		if (condition(db, R, saved, what, q->as_of) == -1)
			return -1;
	}
	if (q->where && condition(db, R, q->where, "--where", q->as_of) == -1)
		return -1;
	if (q->count && q->rfm)
		crm_buf_addf(&R->q.text, " GROUP BY 1 ORDER BY 1");
	else if (!q->count)
		crm_buf_adds(&R->q.text, q->ids ? " ORDER BY i.seq" :
		    " ORDER BY c.id");
	if (R->q.oom || R->q.text.oom)
		return crm__error(db, CRM_EFAIL, "out of memory");
	return 0;
}

/* run_free: free what build made, leaving R empty. */
static void run_free(struct run *R)
{
	size_t i;

	for (i = 0; i < R->ncol; i++)
		free(R->name[i]);
	crm_sql_free(&R->q);
	memset(R, 0, sizeof(*R));
}

int crm_segment_run(struct crm_db *db, const struct crm_segq *q,
    struct crm_out *out)
{
	struct crm_stats *stats = NULL;
	struct run R;
	sqlite3_stmt *st = NULL;
	char *saved = NULL;
	int rc = -1, stored;

	memset(&R, 0, sizeof(R));
	if (q->name && crm_segment_expr(db, q->name, &saved) != 1)
		return -1;
	if (build(db, &R, q, saved) == -1)
		goto done;
	if (q->ids && load_input(db, q->ids, q->nids) == -1)
		goto done;
	/* Aggregates without RFM: read from customer_stats by SQL when that
	 * is exact for as_of after bringing it up to date (stats.c), which
	 * spares loading them all; else computed (or loaded) in memory and
	 * offered as crm_stat(). RFM ranks everyone, so it always needs them
	 * in memory. */
	if ((R.q.needs & (CRM_NEED_STATS | CRM_NEED_RFM)) == CRM_NEED_STATS) {
		if ((stored = crm_stats_sync(db, q->as_of, &stats)) == -1)
			goto done;
		if (stored) {
			run_free(&R);
			R.q.stored = 1;
			if (build(db, &R, q, saved) == -1)
				goto done;
		}
	}
	if ((R.q.needs & CRM_NEED_STATS) && !R.q.stored) {
		if ((stats == NULL && crm_stats_compute(db, q->as_of,
		    q->scheme, (R.q.needs & CRM_NEED_RFM) != 0, &stats) == -1) ||
		    attach(db, stats) == -1)
			goto done;
	}
	if ((st = crm__prepare(db, R.q.text.s)) == NULL ||
	    bind(db, st, &R.q) == -1)
		goto done;
	rc = q->count ? emit_counts(db, q, st, out) : emit_rows(db, &R, st, out);
done:
	sqlite3_finalize(st);
	if (stats) {
		if (!R.q.stored && attach(db, NULL) == -1)
			rc = -1;
		crm_stats_free(stats);
	}
	run_free(&R);
	free(saved);
	return rc;
}

/* ---- saved segments -------------------------------------------------------- */

int crm_segment_name_ok(const char *name)
{
	static const char *const reserved[] = { "rfm", "save", "list", "drop",
	    NULL };
	size_t i, n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_-.", name[i]))
			return 0;
	for (i = 0; reserved[i]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 0;
	return 1;
}

int crm_segment_expr(struct crm_db *db, const char *name, char **expr)
{
	sqlite3_stmt *st;
	int rc, oom = 0;

	if ((st = crm__prepare(db, "SELECT expr FROM segments WHERE name = ?1"))
	    == NULL)
		return -1;
	crm__bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*expr = crm__col_text(st, 0, &oom);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return oom ? crm__error(db, CRM_EFAIL, "out of memory") : 1;
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read segments");
	crm__error(db, CRM_EDATA, "no segment \"%s\" (crm-segment list shows "
	    "the saved segments)", name);
	return 0;
}

int crm_segment_save(struct crm_db *db, const char *name, const char *expr,
    const char *note)
{
	struct crm_sql q = { 0 };
	struct crm_buf d = { 0 };
	sqlite3_stmt *st;
	char err[1024];
	int rc;

	if (!crm_segment_name_ok(name))
		return crm__error(db, CRM_EDATA, "invalid segment name \"%s\": "
		    "1 to 64 letters, digits, _ - or ., and not rfm, save, list "
		    "or drop", name);
	rc = crm_filter_compile(&q, expr, crm_now(), err, sizeof(err));
	crm_sql_free(&q);
	if (rc == -1)
		return crm__error(db, CRM_EDATA, "--where: %s", err);
	if ((st = crm__prepare(db, "INSERT INTO segments (name, expr, note,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)"
	    " ON CONFLICT (name) DO UPDATE SET expr = excluded.expr,"
	    " note = excluded.note, updated_at = excluded.updated_at")) == NULL)
		return -1;
	crm__bind_text(st, 1, name);
	crm__bind_text(st, 2, expr);
	crm__bind_text(st, 3, note);
	sqlite3_bind_int64(st, 4, crm_now());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot save segment");
	crm_buf_adds(&d, "{\"name\":");
	crm_buf_addjson(&d, name);
	crm_buf_adds(&d, ",\"expr\":");
	crm_buf_addjson(&d, expr);
	crm_buf_adds(&d, ",\"note\":");
	if (note)
		crm_buf_addjson(&d, note);
	else
		crm_buf_adds(&d, "null");
	crm_buf_addc(&d, '}');
	rc = d.oom ? crm__error(db, CRM_EFAIL, "out of memory") :
	    crm_audit(db, "segment.save", 0, 0, d.s);
	crm_buf_free(&d);
	return rc;
}

int crm_segment_drop(struct crm_db *db, const char *name)
{
	struct crm_buf d = { 0 };
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "DELETE FROM segments WHERE name = ?1")) ==
	    NULL)
		return -1;
	crm__bind_text(st, 1, name);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot drop segment");
	if (sqlite3_changes(db->sql) == 0)
		return crm__error(db, CRM_EDATA, "no segment \"%s\" "
		    "(crm-segment list shows the saved segments)", name);
	crm_buf_adds(&d, "{\"name\":");
	crm_buf_addjson(&d, name);
	crm_buf_addc(&d, '}');
	rc = d.oom ? crm__error(db, CRM_EFAIL, "out of memory") :
	    crm_audit(db, "segment.drop", 0, 0, d.s);
	crm_buf_free(&d);
	return rc;
}

int crm_segment_list(struct crm_db *db, struct crm_out *out)
{
	static const char *const cols[] = { "name", "expr", "note", "created",
	    "updated" };
	char c[CRM_TIMEBUF], u[CRM_TIMEBUF];
	const char *v[5];
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "SELECT name, expr, note, created_at,"
	    " updated_at FROM segments ORDER BY name")) == NULL)
		return -1;
	if (crm_out_header(out, cols, 5, NULL) == -1) {
		sqlite3_finalize(st);
		return out_err(db);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < 3; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		v[3] = crm_fmt_time(sqlite3_column_int64(st, 3), c);
		v[4] = crm_fmt_time(sqlite3_column_int64(st, 4), u);
		if (crm_out_row(out, v, 5) == -1) {
			sqlite3_finalize(st);
			return out_err(db);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read segments");
	return 0;
}
