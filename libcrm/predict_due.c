/* predict_due.c: when each customer is due to buy each category again,
 * from the category's lasting time, the customer's own rhythm and
 * P(alive), and the backtest of that list against simpler rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "predict.h"
#include "predict_int.h"
#include "btyd.h"

/* ---- due --------------------------------------------------------------- */

/*
 * The intervals between two purchase days of one category by one
 * customer, on the log scale. Per customer and category: the last day,
 * the number of intervals, and their sum and sum of squares of logs.
 */
struct ccat {
	uint16_t cat;
	int32_t last;
	uint32_t n;
	double sum, ss;         /* of the logs */
	double days;            /* sum of the intervals */
};

/* cust_cats: c's categories up to day end (at most 64, in order of first
 * purchase); returns how many. */
static size_t cust_cats(const struct crm_history *h, size_t c, int32_t end,
    struct ccat *cc)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, i, n = 0;

	for (j = 0; j < k && e[j].day <= end; j++) {
		double l;

		if (e[j].cat == 0)
			continue;
		for (i = 0; i < n && cc[i].cat != e[j].cat; i++)
			;
		if (i == n) {
			if (n == 64)
				continue;
			cc[n].cat = e[j].cat;
			cc[n].last = e[j].day;
			cc[n].n = 0;
			cc[n].sum = cc[n].ss = cc[n].days = 0;
			n++;
			continue;
		}
		if (e[j].day == cc[i].last)
			continue;
		l = log((double)(e[j].day - cc[i].last));
		cc[i].days += e[j].day - cc[i].last;
		cc[i].n++;
		cc[i].sum += l;
		cc[i].ss += l * l;
		cc[i].last = e[j].day;
	}
	return n;
}

/* The category's log intervals: mu the mean of the customers' means, s2
 * the typical variance within a customer, t2 the variance between
 * customers' cycles; cnt the intervals (fewer than 3: no due dates). */
struct catlog {
	double mu, s2, t2;
	double q;               /* the chance of stopping after a purchase */
	size_t cnt;
};

/* Floors of the variances: a spread of 5 % within a customer, 3 % between
 * customers, so that identical intervals do not make certainties. */
#define DUE_S2_MIN 0.0025
#define DUE_T2_MIN 0.001

/* The weight, in intervals, of the category's spread within a customer
 * against the customer's own: some buy like clockwork, some at random,
 * and two intervals of one's own begin to tell which. */
#define DUE_NU 1.0

/* own_s2: the variance of cc's log intervals around their mean, blended
 * with the category's with the weight DUE_NU. */
static double own_s2(const struct catlog *cl, const struct ccat *cc)
{
	double ss = cc->n ? cc->ss - cc->sum * cc->sum / cc->n : 0;

	return fmax(DUE_S2_MIN, (fmax(ss, 0) + DUE_NU * cl->s2) /
	    ((cc->n ? cc->n - 1.0 : 0) + DUE_NU));
}

/*
 * cat_logs: the per-category estimates from every customer's intervals
 * up to the end: a pass for the mean and the typical spread within a
 * customer, a second for the spread between customers (the variance of
 * the customers' means less what their own spread explains). The typical
 * spread is the geometric mean of the customers' own variances (with two
 * intervals or more; each corrected for the bias of the log of a sample
 * variance, psi(df/2) - log(df/2)): where some buy like clockwork and
 * some at random, the pooled variance would be the random ones', and
 * would blur the clockwork. Returns the table (caller frees) or NULL on
 * oom.
 */
static struct catlog *cat_logs(const struct crm_history *h)
{
	size_t nc = h->cats.n, c, i;
	/* per category: customers with intervals, sum of their means, within
	 * SS and its degrees of freedom; then the sum of squares of the
	 * means about mu and of own s2 / n */
	double *a = calloc(6 * nc + 1, sizeof(double)), gss = 0, gdf = 0;
	struct catlog *cl = calloc(nc + 1, sizeof(*cl));
	struct ccat cc[64];
	int pass;

	if (a == NULL || cl == NULL) {
		free(a);
		free(cl);
		return NULL;
	}
	for (pass = 0; pass < 2; pass++) {
		for (c = 0; c < h->n; c++) {
			size_t n = cust_cats(h, c, h->endday, cc);

			for (i = 0; i < n; i++) {
				double *v = a + 6 * cc[i].cat, m;

				if (cc[i].n == 0)
					continue;
				m = cc[i].sum / cc[i].n;
				if (pass == 0) {
					double df = cc[i].n - 1.0, ss;

					cl[cc[i].cat].cnt += cc[i].n;
					v[0]++;
					v[1] += m;
					ss = cc[i].ss - cc[i].n * m * m;
					if (df >= 1) {
						v[2] += log(fmax(ss / df,
						    DUE_S2_MIN / 10)) -
						    (crm_digamma(df / 2) -
						    log(df / 2));
						v[3]++;
					}
				} else {
					v[4] += (m - cl[cc[i].cat].mu) *
					    (m - cl[cc[i].cat].mu);
					v[5] += own_s2(&cl[cc[i].cat], &cc[i]) /
					    cc[i].n;
				}
			}
		}
		if (pass == 0) {
			for (i = 0; i < nc; i++) {
				gss += a[6 * i + 2];
				gdf += a[6 * i + 3];
			}
			for (i = 0; i < nc; i++) {
				double *v = a + 6 * i, s2;

				if (v[0] == 0)
					continue;
				s2 = v[3] >= 2 ? exp(v[2] / v[3]) : gdf >= 2 ?
				    exp(gss / gdf) : 0.1;
				cl[i].s2 = fmax(DUE_S2_MIN, s2);
				cl[i].mu = v[1] / v[0];
			}
		}
	}
	for (i = 0; i < nc; i++) {
		double *v = a + 6 * i, k = v[0];

		cl[i].t2 = fmax(DUE_T2_MIN, k > 1 ? v[4] / (k - 1) - v[5] / k :
		    0);
		cl[i].q = k > 0 ? k / (k + (double)cl[i].cnt) : 0.5;
	}
	free(a);
	return cl;
}

/* Phi: the standard normal distribution function. */
static double Phi(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/*
 * due_pair: the due probability of one customer's category (see
 * crm_predict_due) from its last purchase to the end, for the window and
 * P(alive); *lasts receives the expected interval in days. After each
 * purchase of a category a customer stops buying it with the chance q
 * (the category's customers per purchase), so that a customer long past
 * the due date has more likely stopped than still to come:
 * p = P(alive) (1-q) (F(a+w) - F(a)) / (q + (1-q) (1 - F(a))), F the
 * log-normal distribution of the next interval, a the days since the
 * last purchase, w the window.
 */
static double due_pair(const struct catlog *cl, const struct ccat *cc,
    int32_t end, int window, double pa, double *lasts)
{
	double s2 = own_s2(cl, cc), prec = cc->n / s2 + 1 / cl->t2, m, sd;
	double a, f0, f1;

	m = ((cc->n ? cc->sum / s2 : 0) + cl->mu / cl->t2) / prec;
	sd = sqrt(s2 + 1 / prec);
	*lasts = exp(m);
	a = end - cc->last;
	f0 = a > 0 ? Phi((log(a) - m) / sd) : 0;
	f1 = Phi((log(a + window) - m) / sd);
	return (isnan(pa) ? 1 : pa) * (1 - cl->q) * (f1 - f0) /
	    (cl->q + (1 - cl->q) * (1 - f0));
}

/* The chance from which a category is listed as due: a letter or a call
 * is worth it at one in three. */
#define DUE_P 0.3

int crm_predict_due(struct crm_db *db, struct crm_history *h,
    int within_days, int (*fn)(const struct crm_due *d, void *arg),
    void *arg)
{
	struct catlog *cl = cat_logs(h);
	struct ccat cc[64];
	size_t c, i;
	int rc = 0;

	if (cl == NULL)
		return crm__oom(db);
	for (c = 0; c < h->n && rc == 0; c++) {
		size_t n = cust_cats(h, c, h->endday, cc);
		double pa = h->tri_of[c] != UINT32_MAX && h->prepared ?
		    h->tri[h->tri_of[c]].pa : NAN;

		for (i = 0; i < n && rc == 0; i++) {
			const struct catlog *l = &cl[cc[i].cat];
			struct crm_due d;
			double lasts;

			if (l->cnt < 3)
				continue;
			d.p = due_pair(l, &cc[i], h->endday, within_days, pa,
			    &lasts);
			if (d.p < DUE_P)
				continue;
			d.customer_id = h->id[c];
			d.ref = h->ref[c];
			d.category = h->cats.s[cc[i].cat];
			d.last = crm__midnight(h, cc[i].last);
			d.lasts_days = (int)floor(lasts + 0.5);
			d.due = crm__midnight(h, cc[i].last + d.lasts_days);
			d.repeats = cc[i].n;
			rc = fn(&d, arg);
		}
	}
	free(cl);
	return rc;
}

/* One customer-category pair of the backtest, with each method's score. */
struct dpair {
	double score[3];        /* due, naive, expected: higher first */
	int hit;
};

/* cmp_dpair: by the score of method *arg, highest first. */
static int cmp_dpair(const void *a, const void *b, void *arg)
{
	const struct dpair *x = a, *y = b;
	int k = *(const int *)arg;
	double u = x->score[k], v = y->score[k];

	return (u < v) - (u > v);
}

/* bought_in: whether c bought category cat in (from, to]. */
static int bought_in(const struct crm_history *h, size_t c, uint16_t cat,
    int32_t from, int32_t to)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j;

	for (j = 0; j < k; j++)
		if (e[j].day > from && e[j].day <= to && e[j].cat == cat)
			return 1;
	return 0;
}

int crm_predict_due_check(struct crm_db *db, struct crm_history *h,
    int within_days, struct crm_due_check *dc)
{
	struct catlog *cl = cat_logs(h);
	struct dpair *p = NULL;
	struct ccat cc[64];
	size_t c, i, np = 0, cap = 0, nlist = 0;
	int32_t end = h->endday, wend = h->endday + within_days;
	int k, model = h->prepared && h->m->kind >= 0;

	memset(dc, 0, sizeof(*dc));
	if (cl == NULL)
		return crm__oom(db);
	for (c = 0; c < h->n; c++) {
		size_t n = cust_cats(h, c, end, cc), tot = 0;
		const struct tri *t = h->tri_of[c] != UINT32_MAX ?
		    &h->tri[h->tri_of[c]] : NULL;
		const struct pev *e = h->ev + h->off_ev[c];

		for (i = 0; i < h->off_ev[c + 1] - h->off_ev[c]; i++)
			tot += e[i].day <= end;
		for (i = 0; i < n; i++) {
			const struct catlog *l = &cl[cc[i].cat];
			struct dpair *d;
			double lasts, gap, share;
			size_t j, nc = 0;

			if (crm__grow(&p, &cap, np, sizeof(*p)) == -1) {
				free(cl);
				free(p);
				return crm__oom(db);
			}
			d = &p[np++];
			d->hit = bought_in(h, c, cc[i].cat, end, wend);
			dc->positives += d->hit;
			d->score[0] = l->cnt < 3 ? -1 : due_pair(l, &cc[i], end,
			    within_days, t ? t->pa : NAN, &lasts);
			if (d->score[0] >= DUE_P)
				nlist++;
			/* naive: due at the last purchase plus the own mean
			 * interval; ranked by the days from the middle of the
			 * window (those due in it first, the surest first);
			 * no interval of its own: last */
			if (cc[i].n > 0) {
				double due = cc[i].last + cc[i].days / cc[i].n;

				gap = fabs(due - (end + wend) / 2.0);
				d->score[1] = -gap;
			} else
				d->score[1] = -1e9;
			/* expected purchases times the category's share */
			for (j = 0; j < h->off_ev[c + 1] - h->off_ev[c]; j++)
				nc += e[j].day <= end && e[j].cat == cc[i].cat;
			share = tot ? (double)nc / (double)tot : 0;
			d->score[2] = model && t ? t->e * share : 0;
		}
	}
	free(cl);
	dc->have[0] = 1;
	dc->have[1] = 1;
	dc->have[2] = model;
	for (k = 0; k < 3; k++) {
		if (!dc->have[k])
			continue;
		qsort_r(p, np, sizeof(*p), cmp_dpair, &k);
		dc->listed[k] = nlist < np ? nlist : np;
		for (i = 0; i < dc->listed[k]; i++)
			dc->hits[k] += p[i].hit;
	}
	free(p);
	return 0;
}
