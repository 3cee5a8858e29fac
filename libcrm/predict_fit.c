/* predict_fit.c: fitting a purchase model and the spend model on a
 * history; auto's choice of the purchase model by how well each predicts
 * the history's own later purchases, and crm-predict check's comparison
 * of the three on a holdout (AUCs, errors, churn classes). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "predict.h"
#include "predict_int.h"
#include "util.h"
#include "value.h"

/* ---- fitting ----------------------------------------------------------- */

/* warn: add a line to m->warning (cut when full). */
static void warn(struct crm_model *m, const char *fmt, ...)
{
	size_t len = strlen(m->warning);
	va_list ap;

	if (len && len + 1 < sizeof(m->warning))
		m->warning[len++] = '\n';
	if (len + 1 >= sizeof(m->warning))
		return;
	va_start(ap, fmt);
	vsnprintf(m->warning + len, sizeof(m->warning) - len, fmt, ap);
	va_end(ap);
}

/* A purchase-model fit and the spend fit, which run at once: they share
 * nothing. */
struct fitjob {
	int kind;                       /* -1: Gamma-Gamma */
	const double *x, *tx, *T, *w;   /* Gamma-Gamma: x, m = tx */
	size_t n;
	double *par;
	struct crm_fit_info *info;
	enum crm_fit_status st;
};

static void fit_job(void *arg)
{
	struct fitjob *j = arg;

	if (j->kind >= 0)
		j->st = crm_btyd_fit(j->kind, j->x, j->tx, j->T, j->w, j->n,
		    j->par, j->info, 0);
	else
		j->st = j->n >= CRM_FIT_MIN_REPEATERS ?
		    crm_gg_fit(j->x, j->tx, NULL, j->n, j->par, j->info) :
		    CRM_FIT_NODATA;
}

static const char *const kind_title[CRM_BTYD_NKIND] = { "BG/NBD", "MBG/NBD",
	"Pareto/NBD" };

/*
 * A split of the history for judging the models on later purchases: a
 * sample of the customers who bought by the split day, each summarised up
 * to it (x, tx, T in periods), with the purchase days after it up to the
 * end (hold) and the days from the last purchase to the split (rec).
 */
struct split {
	size_t n;
	double *x, *tx, *T, *hold, *rec;
	double *sq[CRM_BTYD_NKIND];     /* for judging: squared errors */
	double t;               /* the holdout, in periods */
};

static void split_free(struct split *sp)
{
	free(sp->x);
	memset(sp, 0, sizeof(*sp));
}

/* split_make: every step-th customer who bought by day, summarised up to
 * day, with the purchase days in (day, end]. Returns 0 or -1 (oom). */
static int split_make(const struct crm_history *h, int32_t day, int32_t end,
    size_t step, struct split *sp)
{
	double P = h->o.period_days;
	size_t c, k = 0, m = 0;
	int j;

	memset(sp, 0, sizeof(*sp));
	for (c = 0; c < h->n; c++)
		m += h->first[c] <= day;
	m = m / step + 1;
	if ((sp->x = malloc((5 + CRM_BTYD_NKIND) * m * sizeof(double))) ==
	    NULL)
		return -1;
	for (j = 0; j < CRM_BTYD_NKIND; j++)
		sp->sq[j] = sp->x + (5 + j) * m;
	sp->tx = sp->x + m;
	sp->T = sp->x + 2 * m;
	sp->hold = sp->x + 3 * m;
	sp->rec = sp->x + 4 * m;
	sp->t = (end - day) / P;
	for (c = 0; c < h->n && sp->n < m; c++) {
		const struct pev *e = h->ev + h->off_ev[c];
		size_t n = h->off_ev[c + 1] - h->off_ev[c], i;
		int32_t prev = INT32_MIN, first = e[0].day, last = e[0].day;
		double x = 0, hold = 0;

		if (h->first[c] > day || k++ % step)
			continue;
		for (i = 0; i < n && e[i].day <= end; i++) {
			if (e[i].day == prev)
				continue;
			if (e[i].day <= day) {
				x += i > 0;
				last = e[i].day;
			} else
				hold++;
			prev = e[i].day;
		}
		sp->x[sp->n] = x;
		sp->tx[sp->n] = (last - first) / P;
		sp->T[sp->n] = (day - first) / P;
		sp->hold[sp->n] = hold;
		sp->rec[sp->n] = day - last;
		sp->n++;
	}
	return 0;
}

struct rank {
	double v;
	int pos;
};

static int cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	return (x->v > y->v) - (x->v < y->v);
}

/*
 * auc: the area under the ROC curve of score for "bought" (y > 0): the
 * probability that a buyer scores above a non-buyer, ties counting one
 * half (Mann-Whitney, by mid-ranks). NaN when either group is empty or
 * memory is short.
 */
static double auc(const double *score, const double *y, size_t n)
{
	struct rank *r = malloc((n + 1) * sizeof(*r));
	double sum = 0, npos = 0;
	size_t i, j;

	if (r == NULL)
		return NAN;
	for (i = 0; i < n; i++) {
		r[i].v = score[i];
		r[i].pos = y[i] > 0;
		npos += r[i].pos;
	}
	qsort(r, n, sizeof(*r), cmp_rank);
	for (i = 0; i < n; i = j) {
		double p = 0;

		for (j = i; j < n && r[j].v == r[i].v; j++)
			p += r[j].pos;
		sum += p * ((double)i + (double)j + 1) / 2;
	}
	free(r);
	if (npos == 0 || npos == (double)n)
		return NAN;
	return (sum - npos * (npos + 1) / 2) / (npos * ((double)n - npos));
}

/* The scores of one customer under a model for a horizon t: P(alive),
 * expected purchases, P(a purchase). */
static void scores3(int kind, const double *par, double x, double tx,
    double T, double t, double *pa, double *e, double *pb)
{
	*pa = crm_btyd_palive(kind, par, x, tx, T);
	*e = *pa * crm_btyd_expected_active(kind, par, x, T, t);
	*pb = *pa * crm_btyd_pbuy_active(kind, par, x, T, t);
}

/* judge: how the fitted model (kind, par) predicts sp's holdout: the
 * per-customer RMSE of the purchase days and the AUC of each score.
 * Returns 0 or -1 (oom). */
static int judge(int kind, const double *par, const struct split *sp,
    struct crm_check_model *cm, double *sq)
{
	double *pa = malloc((3 * sp->n + 1) * sizeof(double)), *e, *pb, se = 0;
	size_t i;

	if (pa == NULL)
		return -1;
	e = pa + sp->n;
	pb = pa + 2 * sp->n;
	for (i = 0; i < sp->n; i++) {
		scores3(kind, par, sp->x[i], sp->tx[i], sp->T[i], sp->t, &pa[i],
		    &e[i], &pb[i]);
		sq[i] = (e[i] - sp->hold[i]) * (e[i] - sp->hold[i]);
		se += sq[i];
	}
	cm->rmse = sqrt(se / (double)(sp->n ? sp->n : 1));
	cm->auc_alive = auc(pa, sp->hold, sp->n);
	cm->auc_expected = auc(e, sp->hold, sp->n);
	cm->auc_buy = auc(pb, sp->hold, sp->n);
	free(pa);
	return 0;
}

/*
 * pick: among the fitted kinds whose expected purchases rank the buyers
 * (AUC) within 0.01 of the best, the one with the smallest per-customer
 * error; but the first of BG/NBD, MBG/NBD, Pareto/NBD (cheapest first)
 * whose squared errors are not larger than that one's by more than noise
 * (the mean of the paired differences within two standard errors of 0)
 * or by more than 1 % is taken instead, and *tie set. sq[k] holds kind k's squared errors of
 * the n customers. -1 if none was fitted.
 */
static int pick(const struct crm_check_model *cm, double *const *sq,
    size_t n, int *tie)
{
	double best = -1;
	int k, b = -1;
	size_t i;

	*tie = 0;
	for (k = 0; k < CRM_BTYD_NKIND; k++)
		if (cm[k].ok && cm[k].auc_expected > best)
			best = cm[k].auc_expected;
	for (k = 0; k < CRM_BTYD_NKIND; k++)
		if (cm[k].ok && !(cm[k].auc_expected < best - 0.01) &&
		    (b < 0 || cm[k].rmse < cm[b].rmse))
			b = k;
	for (k = 0; k < b; k++) {
		double sd = 0, sdd = 0, m, v, mse = cm[b].rmse * cm[b].rmse;

		if (!cm[k].ok || cm[k].auc_expected < best - 0.01 || n < 2)
			continue;
		for (i = 0; i < n; i++) {
			double d = sq[k][i] - sq[b][i];

			sd += d;
			sdd += d * d;
		}
		m = sd / (double)n;
		v = (sdd - sd * m) / (double)(n - 1);
		if (m <= 2 * sqrt(fmax(v, 0) / (double)n) || m <= 0.01 * mse) {
			*tie = 1;
			return k;
		}
	}
	return b;
}

/* fit_all: the three kinds on sp's calibration part, judged on its
 * holdout; the two BG/NBD kinds in one thread, the Pareto/NBD beside. */
struct fitall {
	const struct split *sp;
	struct crm_check_model *cm;
	double *const *sq;      /* per kind, the customers' squared errors */
	int k0, k1, rc;
	int maxit;              /* 0: converge; else a budget */
};

static void fitall_job(void *arg)
{
	struct fitall *f = arg;
	int k;

	for (k = f->k0; k < f->k1; k++) {
		struct crm_check_model *cm = &f->cm[k];
		struct crm_fit_info fi;
		enum crm_fit_status st;

		memset(cm->par, 0, sizeof(cm->par));
		st = crm_btyd_fit(k, f->sp->x, f->sp->tx, f->sp->T, NULL,
		    f->sp->n, cm->par, &fi, f->maxit);
		/* within a budget, a fit that used it up is judged too */
		cm->ok = st == CRM_FIT_OK || st == CRM_FIT_BOUND ||
		    (f->maxit > 0 && st == CRM_FIT_MAXITER &&
		    isfinite(fi.loglik));
		cm->loglik = fi.loglik;
		if (cm->ok && judge(k, cm->par, f->sp, cm, f->sq[k]) == -1)
			f->rc = -1;
	}
}

static int fit_all(const struct split *sp, struct crm_check_model *cm,
    double *const *sq, int maxit)
{
	struct fitall a = { sp, cm, sq, 0, CRM_BTYD_PARETO, 0, maxit };
	struct fitall b = { sp, cm, sq, CRM_BTYD_PARETO, CRM_BTYD_NKIND, 0,
	    maxit };

	crm__both(fitall_job, &a, fitall_job, &b);
	return a.rc == -1 || b.rc == -1 ? -1 : 0;
}

/* say: the reason of a choice among cm, into buf. */
static void say(char *buf, size_t len, const struct crm_check_model *cm,
    int kind, int tie, size_t n, const char *when)
{
	size_t o;
	int k;

	o = (size_t)snprintf(buf, len, "%s predicts the purchases of %s "
	    "%s (%zu customers): per-customer error (RMSE)",
	    kind_title[kind], when, tie ? "as well as the best within the "
	    "noise (its squared errors not significantly larger), and is the "
	    "simpler" : "best", n);
	for (k = 0; k < CRM_BTYD_NKIND && o < len; k++)
		if (cm[k].ok)
			o += (size_t)snprintf(buf + o, len - o, "%s %s %.3f",
			    k ? "," : "", crm_btyd_name(k), cm[k].rmse);
	for (k = 0; k < CRM_BTYD_NKIND && o < len; k++)
		if (cm[k].ok)
			o += (size_t)snprintf(buf + o, len - o, "%s %s %.3f",
			    k ? "," : "; ranking of the buyers (AUC)",
			    crm_btyd_name(k), cm[k].auc_expected);
}

/* The most customers auto judges the models on, and the iterations each
 * fit may take: the judgement is of predictions, for which a fit that
 * walks up a ridge of its likelihood towards a bound of its parameters
 * (a Pareto/NBD without dropout, say) need not reach it. */
#define AUTO_SAMPLE 1500
#define AUTO_MAXIT 25

/*
 * choose: the kind auto takes (see crm_model_fit), with the reason in
 * m->choice. Returns the kind, or -1 (out of memory). Touches neither the
 * database nor anything but m->choice, so that it can run beside a fit.
 */
static int choose(const struct crm_history *h, struct crm_model *m)
{
	struct crm_check_model cm[CRM_BTYD_NKIND];
	struct split sp;
	int32_t f0 = INT32_MAX, day, H;
	size_t c, n = 0, rep = 0, i;
	char when[64], d1[CRM_TIMEBUF], d2[CRM_TIMEBUF];
	int kind, tie;

	for (c = 0; c < h->n; c++)
		if (h->first[c] < f0)
			f0 = h->first[c];
	H = (h->endday - f0) / 3;
	if (H > 365)
		H = 365;
	day = h->endday - H;
	for (c = 0; c < h->n; c++)
		n += h->first[c] <= day;
	memset(cm, 0, sizeof(cm));
	if (H < 14 || n == 0 ||
	    split_make(h, day, h->endday, n / AUTO_SAMPLE + 1, &sp) == -1) {
		if (H >= 14 && n)
			return -1;
		snprintf(m->choice, sizeof(m->choice), "BG/NBD: the history "
		    "is too short to judge the models on its later purchases");
		return CRM_BTYD_BGNBD;
	}
	for (i = 0; i < sp.n; i++)
		rep += sp.x[i] > 0;
	if (rep < CRM_FIT_MIN_REPEATERS) {
		split_free(&sp);
		snprintf(m->choice, sizeof(m->choice), "BG/NBD: too few repeat "
		    "buyers before %s to judge the models on later purchases",
		    crm_fmt_day(crm__midnight(h, day), d1));
		return CRM_BTYD_BGNBD;
	}
	if (fit_all(&sp, cm, sp.sq, AUTO_MAXIT) == -1) {
		split_free(&sp);
		return -1;
	}
	if ((kind = pick(cm, sp.sq, sp.n, &tie)) < 0) {
		split_free(&sp);
		snprintf(m->choice, sizeof(m->choice), "BG/NBD: no model could "
		    "be fitted on the purchases before %s",
		    crm_fmt_day(crm__midnight(h, day), d1));
		return CRM_BTYD_BGNBD;
	}
	snprintf(when, sizeof(when), "%s to %s from those before",
	    crm_fmt_day(crm__midnight(h, day + 1), d1),
	    crm_fmt_day(crm__midnight(h, h->endday), d2));
	say(m->choice, sizeof(m->choice), cm, kind, tie, sp.n, when);
	split_free(&sp);
	return kind;
}

/* auto's jobs: the choice beside a fit of the BG/NBD and the spend model
 * one after the other, so that the choice costs nothing more when it is
 * the BG/NBD, the most common. */
struct choosejob {
	const struct crm_history *h;
	struct crm_model *m;
	int kind;
};

static void choose_job(void *arg)
{
	struct choosejob *c = arg;

	c->kind = choose(c->h, c->m);
}

static void two_fits_job(void *arg)
{
	struct fitjob *const *j = arg;

	fit_job(j[0]);
	fit_job(j[1]);
}

int crm_model_fit(struct crm_db *db, const struct crm_history *h, int kind,
    struct crm_model *m)
{
	struct fitjob bj, gj, *fj[2] = { &bj, &gj };
	struct choosejob cj = { h, m, 0 };
	double *x = NULL, *tx = NULL, *T = NULL, *w = NULL, *gx = NULL,
	    *gm = NULL;
	double sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0, n;
	size_t i, c, rep = 0, cust = 0, ns = 0;
	enum crm_fit_status st;
	int rc = -1;

	crm_model_none(h, m);
	m->fitted_at = crm_now();
	for (i = 0; i < h->ntri; i++) {
		cust += (size_t)h->tri[i].w;
		if (h->tri[i].x > 0)
			rep += (size_t)h->tri[i].w;
	}
	m->customers = cust;
	m->repeaters = rep;
	if (cust == 0)
		return crm__error(db, CRM_EDATA, "no purchases to fit a model "
		    "on (crm-log CUSTOMER purchase --amount ...)");
	if (rep < CRM_FIT_MIN_REPEATERS)
		return crm__error(db, CRM_EDATA, "too few repeat buyers to fit "
		    "a model: %zu of %zu customers bought on more than one day; "
		    "at least %d are needed", rep, cust, CRM_FIT_MIN_REPEATERS);
	if ((x = malloc(h->ntri * sizeof(double))) == NULL ||
	    (tx = malloc(h->ntri * sizeof(double))) == NULL ||
	    (T = malloc(h->ntri * sizeof(double))) == NULL ||
	    (w = malloc(h->ntri * sizeof(double))) == NULL ||
	    (gx = malloc((rep + 1) * sizeof(double))) == NULL ||
	    (gm = malloc((rep + 1) * sizeof(double))) == NULL) {
		crm__oom(db);
		goto out;
	}
	for (i = 0; i < h->ntri; i++) {
		x[i] = h->tri[i].x;
		tx[i] = h->tri[i].tx;
		T[i] = h->tri[i].T;
		w[i] = h->tri[i].w;
	}
	/* Gamma-Gamma on the repeat buyers with a positive mean spend */
	for (c = 0; c < h->n; c++)
		if (h->first[c] != INT32_MAX && h->x[c] > 0 &&
		    h->rspend[c] > 0) {
			gx[ns] = h->x[c];
			gm[ns] = (double)h->rspend[c] / 100 / h->x[c];
			sx += gx[ns];
			sm += gm[ns];
			sxx += gx[ns] * gx[ns];
			smm += gm[ns] * gm[ns];
			sxm += gx[ns] * gm[ns];
			ns++;
		}
	bj = (struct fitjob){ kind == CRM_MODEL_AUTO ? CRM_BTYD_BGNBD : kind, x,
	    tx, T, w, h->ntri, m->par, &m->info, 0 };
	gj = (struct fitjob){ -1, gx, gm, NULL, NULL, ns, m->gg, &m->gginfo,
	    0 };
	if (kind == CRM_MODEL_AUTO) {
		crm__both(choose_job, &cj, two_fits_job, fj);
		if ((kind = cj.kind) < 0) {
			crm__oom(db);
			goto out;
		}
		if (kind != CRM_BTYD_BGNBD) {   /* the BG/NBD fit was in vain */
			memset(m->par, 0, sizeof(m->par));
			bj.kind = kind;
			fit_job(&bj);
		}
	} else
		crm__both(fit_job, &bj, fit_job, &gj);
	m->kind = kind;
	st = bj.st;
	if (st == CRM_FIT_MAXITER || st == CRM_FIT_NUMERIC) {
		crm__error(db, CRM_EDATA, "the %s model did not converge on %zu "
		    "customers (%d iterations, gradient %.2g): the data may not "
		    "fit its assumptions", kind_title[kind], cust,
		    m->info.iterations, m->info.gmax);
		goto out;
	}
	if (st == CRM_FIT_BOUND)
		warn(m, "a %s parameter is at its bound (%s %.3g, alpha %.3g, "
		    "%s %.3g, %s %.3g): the data hardly determine it",
		    kind_title[kind], "r", m->par[0], m->par[1],
		    kind == CRM_BTYD_PARETO ? "s" : "a", m->par[2],
		    kind == CRM_BTYD_PARETO ? "beta" : "b", m->par[3]);
	m->spenders = ns;
	n = (double)ns;
	if (ns >= 3) {
		double vx = sxx - sx * sx / n, vm = smm - sm * sm / n;

		m->spend_corr = vx > 0 && vm > 0 ?
		    (sxm - sx * sm / n) / sqrt(vx * vm) : 0;
	}
	if (ns < CRM_FIT_MIN_REPEATERS) {
		warn(m, "no spend model: %zu repeat buyers with amounts, at "
		    "least %d are needed", ns, CRM_FIT_MIN_REPEATERS);
	} else {
		st = gj.st;
		if (st == CRM_FIT_OK || st == CRM_FIT_BOUND)
			m->has_gg = 1;
		if (st != CRM_FIT_OK)
			warn(m, "the Gamma-Gamma spend model %s (p %.3g, q %.3g, "
			    "gamma %.3g)", st == CRM_FIT_BOUND ?
			    "has a parameter at its bound" : "did not converge",
			    m->gg[0], m->gg[1], m->gg[2]);
		else if (m->gg[1] <= 1) {
			m->has_gg = 0;
			warn(m, "no spend model: spend is so heavy-tailed (q %.3g "
			    "<= 1) that its mean does not exist", m->gg[1]);
		} else if (fabs(m->spend_corr) > 0.3)
			warn(m, "spend per purchase is correlated with the "
			    "number of purchases (r = %.2f); the Gamma-Gamma "
			    "model assumes they are independent, so spend and "
			    "CLV may be biased", m->spend_corr);
	}
	rc = 0;
out:
	free(x);
	free(tx);
	free(T);
	free(w);
	free(gx);
	free(gm);
	return rc;
}

void crm_model_none(const struct crm_history *h, struct crm_model *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = -1;
	m->as_of = h->o.as_of;
	m->period_days = h->o.period_days;
}

int crm_predict_check(struct crm_db *db, const struct crm_history *h,
    struct crm_check *ck)
{
	struct split sp;
	double *neg;
	size_t i;
	int k, g, tie;

	memset(ck, 0, sizeof(*ck));
	/* the calibration as loaded, every customer, with the holdout */
	if (split_make(h, h->endday, h->holdday, 1, &sp) == -1)
		return crm__oom(db);
	for (i = 0; i < sp.n; i++) {
		g = sp.x[i] >= 7 ? 7 : (int)sp.x[i];
		ck->n[g]++;
		ck->n[8]++;
		ck->act[g] += sp.hold[i];
		ck->act[8] += sp.hold[i];
	}
	for (g = 0; g < 8; g++)
		ck->act[g] = ck->n[g] ? ck->act[g] / (double)ck->n[g] : 0;
	if ((neg = malloc((sp.n + 1) * sizeof(double))) == NULL) {
		split_free(&sp);
		return crm__oom(db);
	}
	for (i = 0; i < sp.n; i++)
		neg[i] = -sp.rec[i];
	ck->auc_recency = auc(neg, sp.hold, sp.n);
	free(neg);
	if (fit_all(&sp, ck->mod, sp.sq, 0) == -1) {
		split_free(&sp);
		return crm__oom(db);
	}
	for (k = 0; k < CRM_BTYD_NKIND; k++) {
		struct crm_check_model *cm = &ck->mod[k];
		size_t cnt[9] = { 0 };

		if (!cm->ok)
			continue;
		for (i = 0; i < sp.n; i++) {
			double pa, e, pb;
			const char *cl;

			scores3(k, cm->par, sp.x[i], sp.tx[i], sp.T[i], sp.t,
			    &pa, &e, &pb);
			g = sp.x[i] >= 7 ? 7 : (int)sp.x[i];
			cm->pred[g] += e;
			cm->pred[8] += e;
			cnt[g]++;
			cl = crm__churn_class(e);
			if (cl[0] == 'l') {
				cm->nlow++;
				cm->low += sp.hold[i] > 0;
			} else if (cl[0] == 'm') {
				cm->nmedium++;
				cm->medium += sp.hold[i] > 0;
			} else {
				cm->nhigh++;
				cm->high += sp.hold[i] > 0;
			}
		}
		for (g = 0; g < 8; g++)
			cm->pred[g] = cnt[g] ? cm->pred[g] / (double)cnt[g] : 0;
		cm->low = cm->nlow ? cm->low / (double)cm->nlow : NAN;
		cm->medium = cm->nmedium ? cm->medium / (double)cm->nmedium : NAN;
		cm->high = cm->nhigh ? cm->high / (double)cm->nhigh : NAN;
	}
	ck->chosen = pick(ck->mod, sp.sq, sp.n, &tie);
	if (ck->chosen >= 0) {
		char when[64], d1[CRM_TIMEBUF], d2[CRM_TIMEBUF];

		snprintf(when, sizeof(when), "%s to %s",
		    crm_fmt_day(crm__midnight(h, h->endday + 1), d1),
		    crm_fmt_day(crm__midnight(h, h->holdday), d2));
		say(ck->choice, sizeof(ck->choice), ck->mod, ck->chosen, tie, sp.n,
		    when);
	}
	split_free(&sp);
	return 0;
}

