/* btyd.c: BG/NBD and Gamma-Gamma log-likelihoods with analytic gradients,
 * a small BFGS optimiser over log-parameters, and the conditional
 * expectations used for scoring. See btyd.h for the contracts. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btyd.h"
#include "btyd_int.h"

/* lngamma: lgamma without its write to the global signgam, so that the two
 * fits can run in two threads at once. */
double crm__lngamma(double x)
{
	int sign;

	return lgamma_r(x, &sign);
}


/* x values up to this are handled with per-x tables built once per call. */
#define XTAB_MAX 1000000

double crm_digamma(double x)
{
	double r = 0, f;

	if (!(x > 0) || !isfinite(x))
		return NAN;
	while (x < 10) {
		r -= 1 / x;
		x += 1;
	}
	f = 1 / (x * x);
	return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 -
	    f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

double crm_hyp2f1(double a, double b, double c, double z)
{
	double sum = 1, term = 1;
	long k;

	if (z == 0)
		return 1;
	for (k = 0; k < 10000000; k++) {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		if (fabs(term) <= 1e-15 * fabs(sum) || !isfinite(sum))
			break;
	}
	return sum;
}

long crm__btyd_xmax(const double *x, size_t n)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(x[i] >= 0) || x[i] > XTAB_MAX || x[i] != floor(x[i]))
			return -1;
		if (x[i] > m)
			m = x[i];
	}
	return (long)m;
}

/*
 * Per-x terms of the BG/NBD likelihood for integer x in [0, mx]:
 * lr = lgamma(r+x) - lgamma(r), dr = psi(r+x) - psi(r),
 * lb = lgamma(b+x) - lgamma(b) - lgamma(a+b+x) + lgamma(a+b),
 * dab = psi(a+b) - psi(a+b+x), db = psi(b+x) - psi(b),
 * by the recurrences lgamma(z+1) = lgamma(z) + ln z, psi(z+1) = psi(z) + 1/z.
 */
struct bgtab {
	double lr, dr, lb, dab, db;
};

static void bg_terms(const double *p, double x, struct bgtab *t)
{
	double r = p[0], a = p[2], b = p[3];

	t->lr = crm__lngamma(r + x) - crm__lngamma(r);
	t->dr = crm_digamma(r + x) - crm_digamma(r);
	t->lb = crm__lngamma(b + x) - crm__lngamma(b) - crm__lngamma(a + b + x) + crm__lngamma(a + b);
	t->dab = crm_digamma(a + b) - crm_digamma(a + b + x);
	t->db = crm_digamma(b + x) - crm_digamma(b);
}

static void bg_table(const double *p, long mx, struct bgtab *tab)
{
	double r = p[0], a = p[2], b = p[3];
	long k;

	tab[0].lr = tab[0].dr = tab[0].lb = tab[0].dab = tab[0].db = 0;
	for (k = 1; k <= mx; k++) {
		double j = (double)(k - 1);

		tab[k].lr = tab[k - 1].lr + log(r + j);
		tab[k].dr = tab[k - 1].dr + 1 / (r + j);
		tab[k].lb = tab[k - 1].lb + log(b + j) - log(a + b + j);
		tab[k].dab = tab[k - 1].dab - 1 / (a + b + j);
		tab[k].db = tab[k - 1].db + 1 / (b + j);
	}
}

double crm_bgnbd_ll(const double par[4], const double *x, const double *tx,
    const double *T, const double *w, size_t n, double grad[4])
{
	double r = par[0], al = par[1], a = par[2], b = par[3];
	double ll = 0, g[4] = { 0, 0, 0, 0 }, lal = log(al), la = log(a);
	struct bgtab *tab = NULL, one;
	long mx;
	size_t i;

	if (!(r > 0 && al > 0 && a > 0 && b > 0) || !isfinite(r + al + a + b))
		return NAN;
	if ((mx = crm__btyd_xmax(x, n)) >= 0 && mx < (long)n + 64 &&
	    (tab = malloc(((size_t)mx + 1) * sizeof(*tab))) != NULL)
		bg_table(par, mx, tab);
	for (i = 0; i < n; i++) {
		double xi = x[i], wi = w ? w[i] : 1, A3, A4, m, l, w3, w4;
		double lT = log(al + T[i]), lt = 0, lbx = 0;
		const struct bgtab *t;

		if (tab)
			t = &tab[(long)xi];
		else {
			bg_terms(par, xi, &one);
			t = &one;
		}
		A3 = -(r + xi) * lT;
		if (xi > 0) {
			lt = log(al + tx[i]);
			lbx = log(b + xi - 1);
			A4 = la - lbx - (r + xi) * lt;
			m = A3 > A4 ? A3 : A4;
			l = m + log(exp(A3 - m) + exp(A4 - m));
			w4 = exp(A4 - l);
			w3 = exp(A3 - l);
		} else {
			l = A3;
			w3 = 1;
			w4 = 0;
		}
		ll += wi * (t->lr + r * lal + t->lb + l);
		if (grad) {
			g[0] += wi * (t->dr + lal - w3 * lT - w4 * lt);
			g[1] += wi * (r / al - (r + xi) * (w3 / (al + T[i]) +
			    (xi > 0 ? w4 / (al + tx[i]) : 0)));
			g[2] += wi * (t->dab + (xi > 0 ? w4 / a : 0));
			g[3] += wi * (t->dab + t->db -
			    (xi > 0 ? w4 / (b + xi - 1) : 0));
		}
	}
	free(tab);
	if (grad)
		memcpy(grad, g, sizeof(g));
	return ll;
}

/* Per-x terms of the Gamma-Gamma likelihood. */
struct ggtab {
	double lg, dpq, dp;     /* lgamma(px+q) - lgamma(px), psi(px+q), psi(px) */
	int used;
};

double crm_gg_ll(const double par[3], const double *x, const double *m,
    const double *w, size_t n, double grad[3])
{
	double p = par[0], q = par[1], ga = par[2];
	double ll = 0, g[3] = { 0, 0, 0 }, lq = crm__lngamma(q), dq = crm_digamma(q);
	double lga = log(ga);
	struct ggtab *tab = NULL, one;
	long mx, k;
	size_t i;

	if (!(p > 0 && q > 0 && ga > 0) || !isfinite(p + q + ga))
		return NAN;
	if ((mx = crm__btyd_xmax(x, n)) >= 0 && mx < (long)n + 64 &&
	    (tab = calloc((size_t)mx + 1, sizeof(*tab))) != NULL) {
		for (i = 0; i < n; i++)
			tab[(long)x[i]].used = 1;
		for (k = 1; k <= mx; k++)
			if (tab[k].used) {
				double px = p * (double)k;

				tab[k].lg = crm__lngamma(px + q) - crm__lngamma(px);
				tab[k].dpq = crm_digamma(px + q);
				tab[k].dp = crm_digamma(px);
			}
	}
	for (i = 0; i < n; i++) {
		double xi = x[i], mi = m[i], wi = w ? w[i] : 1, px = p * xi;
		double lm, lx, ld;
		const struct ggtab *t;

		if (!(xi >= 1) || !(mi > 0)) {
			free(tab);
			return NAN;
		}
		if (tab)
			t = &tab[(long)xi];
		else {
			one.lg = crm__lngamma(px + q) - crm__lngamma(px);
			one.dpq = crm_digamma(px + q);
			one.dp = crm_digamma(px);
			t = &one;
		}
		lm = log(mi);
		lx = log(xi);
		ld = log(ga + xi * mi);
		ll += wi * (t->lg - lq + q * lga + (px - 1) * lm + px * lx -
		    (px + q) * ld);
		if (grad) {
			g[0] += wi * xi * (t->dpq - t->dp + lm + lx - ld);
			g[1] += wi * (t->dpq - dq + lga - ld);
			g[2] += wi * (q / ga - (px + q) / (ga + xi * mi));
		}
	}
	free(tab);
	if (grad)
		memcpy(grad, g, sizeof(g));
	return ll;
}

/* ---- prepared data sets -------------------------------------------------
 *
 * A fit evaluates the likelihood of the same data a few dozen times. The
 * prepared forms below do once what does not depend on the parameters, so
 * that an evaluation costs one exp and one log1p per BG/NBD row and one log
 * per Gamma-Gamma row:
 * - BG/NBD: T and tx take few distinct values in practice (whole days or
 *   weeks), so every row refers to its T and tx in a table of distinct
 *   values whose log(alpha + v) and 1 / (alpha + v) are taken once per
 *   evaluation; the terms that depend on x alone are summed once per
 *   distinct x with the total weight of its rows.
 * - Gamma-Gamma: log(m) and log(x) are taken once.
 * Both need integer x in [0, XTAB_MAX]; other data use the plain functions.
 */

struct bgset {
	size_t n;
	const double *w;        /* NULL: 1 */
	double *wown;           /* the sample's weights, if w is one */
	uint32_t *x;            /* per row */
	uint32_t *iT, *it;      /* per row: index of T and of tx in v */
	double *v;              /* distinct values of T and tx */
	size_t nv;
	long mx;                /* largest x */
	double *Wx;             /* total weight of the rows of each x */
	double W;
	double *lv, *iv;        /* per evaluation: log(alpha + v), 1 / (alpha + v) */
	struct bgtab *tab;      /* per evaluation, mx + 1 */
	double *lbx, *ibx;      /* per evaluation: log(b + x - 1), its inverse */
};

static void bgset_free(struct bgset *s)
{
	free(s->wown);
	free(s->x);
	free(s->iT);
	free(s->it);
	free(s->v);
	free(s->Wx);
	free(s->lv);
	free(s->iv);
	free(s->tab);
	free(s->lbx);
	free(s->ibx);
	memset(s, 0, sizeof(*s));
}

/* dkey: the bits of a double, with -0 as 0, for hashing and equality. */
static uint64_t dkey(double v)
{
	uint64_t k;

	if (v == 0)
		v = 0;
	memcpy(&k, &v, sizeof(k));
	return k;
}

/*
 * bgset_init: the prepared form of rows [0, n) of x, tx, T, w, taking
 * every step-th row only (a systematic sample when step > 1). Returns 0,
 * or -1 when the data do not allow it (non-integer or negative x, values
 * that are not finite, tx > T) or memory is short: then use the plain path.
 */
static int bgset_init(struct bgset *s, const double *x, const double *tx,
    const double *T, const double *w, size_t n, size_t step)
{
	size_t i, j, m = (n + step - 1) / step, nslot = 64, *slot = NULL;
	long mx = 0;

	memset(s, 0, sizeof(*s));
	/* as in crm_bgnbd_ll: per-x tables only when no longer than the data */
	if ((mx = crm__btyd_xmax(x, n)) < 0 || mx >= (long)n + 64 || m == 0)
		return -1;
	while (nslot < 4 * m)
		nslot *= 2;
	if ((s->x = malloc(m * sizeof(*s->x))) == NULL ||
	    (s->iT = malloc(m * sizeof(*s->iT))) == NULL ||
	    (s->it = malloc(m * sizeof(*s->it))) == NULL ||
	    (s->v = malloc(2 * m * sizeof(*s->v))) == NULL ||
	    (s->Wx = calloc((size_t)mx + 1, sizeof(*s->Wx))) == NULL ||
	    (slot = malloc(nslot * sizeof(*slot))) == NULL)
		goto fail;
	memset(slot, 0xff, nslot * sizeof(*slot));
	/* w is only used in place when every row is taken */
	if (step > 1 && w) {
		double *ws = malloc(m * sizeof(*ws));

		if (ws == NULL)
			goto fail;
		for (i = 0, j = 0; i < n; i += step, j++)
			ws[j] = w[i];
		s->w = s->wown = ws;
	} else
		s->w = w;
	s->mx = mx;
	for (i = 0, j = 0; i < n; i += step, j++) {
		const double tv[2] = { T[i], tx[i] };
		uint32_t *dst[2] = { &s->iT[j], &s->it[j] };
		double wi = w ? w[i] : 1;
		int k;

		if (!isfinite(T[i]) || !isfinite(tx[i]) || !(tx[i] <= T[i]) ||
		    !(wi >= 0) || !isfinite(wi))
			goto fail;
		s->x[j] = (uint32_t)x[i];
		s->Wx[s->x[j]] += wi;
		s->W += wi;
		for (k = 0; k < 2; k++) {
			uint64_t key = dkey(tv[k]);
			size_t h = (size_t)((key * 0x9E3779B97F4A7C15u) >> 20) &
			    (nslot - 1);

			while (slot[h] != SIZE_MAX && dkey(s->v[slot[h]]) != key)
				h = (h + 1) & (nslot - 1);
			if (slot[h] == SIZE_MAX) {
				slot[h] = s->nv;
				s->v[s->nv++] = tv[k];
			}
			*dst[k] = (uint32_t)slot[h];
		}
	}
	s->n = m;
	free(slot);
	if ((s->lv = malloc(s->nv * sizeof(*s->lv))) == NULL ||
	    (s->iv = malloc(s->nv * sizeof(*s->iv))) == NULL ||
	    (s->tab = malloc(((size_t)mx + 1) * sizeof(*s->tab))) == NULL ||
	    (s->lbx = malloc(((size_t)mx + 1) * sizeof(*s->lbx))) == NULL ||
	    (s->ibx = malloc(((size_t)mx + 1) * sizeof(*s->ibx))) == NULL)
		goto fail;
	return 0;
fail:
	free(slot);
	bgset_free(s);
	return -1;
}

/* bgset_ll: crm_bgnbd_ll of the prepared rows (the same sums, grouped). */
static double bgset_ll(const struct bgset *s, const double par[4],
    double grad[4])
{
	double r = par[0], al = par[1], a = par[2], b = par[3];
	double ll = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0, lal = log(al);
	double la = log(a), W = s->W;
	size_t i;
	long k;

	if (!(r > 0 && al > 0 && a > 0 && b > 0) || !isfinite(r + al + a + b))
		return NAN;
	for (i = 0; i < s->nv; i++) {
		s->lv[i] = log(al + s->v[i]);
		s->iv[i] = 1 / (al + s->v[i]);
	}
	bg_table(par, s->mx, s->tab);
	s->lbx[0] = s->ibx[0] = 0;
	for (k = 1; k <= s->mx; k++) {
		s->lbx[k] = log(b + (double)(k - 1));
		s->ibx[k] = 1 / (b + (double)(k - 1));
	}
	/* the terms of each row that depend on T and tx */
	for (i = 0; i < s->n; i++) {
		uint32_t xi = s->x[i], jT = s->iT[i];
		double wi = s->w ? s->w[i] : 1, rx = r + xi, lT = s->lv[jT];
		double A3 = -rx * lT;

		if (xi == 0) {
			ll += wi * A3;
			g0 -= wi * lT;
			g1 -= wi * rx * s->iv[jT];
		} else {
			uint32_t jt = s->it[i];
			double lt = s->lv[jt], A4 = la - s->lbx[xi] - rx * lt;
			double d = A4 - A3, e, l, w3, w4;

			/* log(exp(A3) + exp(A4)) and the shares of both */
			if (d <= 0) {
				e = exp(d);
				l = A3 + log1p(e);
				w3 = 1 / (1 + e);
				w4 = e * w3;
			} else {
				e = exp(-d);
				l = A4 + log1p(e);
				w4 = 1 / (1 + e);
				w3 = e * w4;
			}
			ll += wi * l;
			g0 -= wi * (w3 * lT + w4 * lt);
			g1 -= wi * rx * (w3 * s->iv[jT] + w4 * s->iv[jt]);
			g2 += wi * w4;
			g3 -= wi * w4 * s->ibx[xi];
		}
	}
	/* the terms that depend on x alone */
	ll += W * r * lal;
	g0 += W * lal;
	g1 += W * r / al;
	g2 /= a;
	for (k = 0; k <= s->mx; k++) {
		const struct bgtab *t = &s->tab[k];
		double wk = s->Wx[k];

		if (wk == 0)
			continue;
		ll += wk * (t->lr + t->lb);
		g0 += wk * t->dr;
		g2 += wk * t->dab;
		g3 += wk * (t->dab + t->db);
	}
	if (grad) {
		grad[0] = g0;
		grad[1] = g1;
		grad[2] = g2;
		grad[3] = g3;
	}
	return ll;
}

struct ggset {
	size_t n;
	const double *w;        /* NULL: 1 */
	double *wown;           /* the sample's weights, if w is one */
	uint32_t *x;
	double *xm, *lm, *lx;   /* x m, log m, log x per row */
	long mx;
	double W;
	struct ggtab *tab;      /* mx + 1, used set once */
};

static void ggset_free(struct ggset *s)
{
	free(s->wown);
	free(s->x);
	free(s->xm);
	free(s->lm);
	free(s->lx);
	free(s->tab);
	memset(s, 0, sizeof(*s));
}

/* ggset_init: as bgset_init, for the Gamma-Gamma rows (x >= 1, m > 0). */
static int ggset_init(struct ggset *s, const double *x, const double *m,
    const double *w, size_t n, size_t step)
{
	size_t i, j, cnt = (n + step - 1) / step;
	long mx;

	memset(s, 0, sizeof(*s));
	if ((mx = crm__btyd_xmax(x, n)) < 0 || mx >= (long)n + 64 || cnt == 0)
		return -1;
	if ((s->x = malloc(cnt * sizeof(*s->x))) == NULL ||
	    (s->xm = malloc(cnt * sizeof(*s->xm))) == NULL ||
	    (s->lm = malloc(cnt * sizeof(*s->lm))) == NULL ||
	    (s->lx = malloc(cnt * sizeof(*s->lx))) == NULL ||
	    (s->tab = calloc((size_t)mx + 1, sizeof(*s->tab))) == NULL)
		goto fail;
	if (step > 1 && w) {
		double *ws = malloc(cnt * sizeof(*ws));

		if (ws == NULL)
			goto fail;
		for (i = 0, j = 0; i < n; i += step, j++)
			ws[j] = w[i];
		s->w = s->wown = ws;
	} else
		s->w = w;
	for (i = 0, j = 0; i < n; i += step, j++) {
		double wi = w ? w[i] : 1;

		if (!(x[i] >= 1) || !(m[i] > 0) || !isfinite(m[i]) ||
		    !(wi >= 0) || !isfinite(wi))
			goto fail;
		s->x[j] = (uint32_t)x[i];
		s->xm[j] = x[i] * m[i];
		s->lm[j] = log(m[i]);
		s->lx[j] = log(x[i]);
		s->tab[s->x[j]].used = 1;
		s->W += wi;
	}
	s->n = cnt;
	s->mx = mx;
	return 0;
fail:
	ggset_free(s);
	return -1;
}

static double ggset_ll(const struct ggset *s, const double par[3],
    double grad[3])
{
	double p = par[0], q = par[1], ga = par[2];
	double ll = 0, g0 = 0, g1 = 0, g2 = 0, lga = log(ga), lq, dq;
	size_t i;
	long k;

	if (!(p > 0 && q > 0 && ga > 0) || !isfinite(p + q + ga))
		return NAN;
	lq = crm__lngamma(q);
	dq = crm_digamma(q);
	for (k = 1; k <= s->mx; k++)
		if (s->tab[k].used) {
			double px = p * (double)k;

			s->tab[k].lg = crm__lngamma(px + q) - crm__lngamma(px);
			s->tab[k].dpq = crm_digamma(px + q);
			s->tab[k].dp = crm_digamma(px);
		}
	for (i = 0; i < s->n; i++) {
		const struct ggtab *t = &s->tab[s->x[i]];
		double wi = s->w ? s->w[i] : 1, xi = s->x[i], px = p * xi;
		double lm = s->lm[i], lx = s->lx[i], ld = log(ga + s->xm[i]);

		ll += wi * (t->lg + (px - 1) * lm + px * lx - (px + q) * ld);
		g0 += wi * xi * (t->dpq - t->dp + lm + lx - ld);
		g1 += wi * (t->dpq + lga - ld);
		g2 -= wi * (px + q) / (ga + s->xm[i]);
	}
	ll += s->W * (q * lga - lq);
	g1 -= s->W * dq;
	g2 += s->W * q / ga;
	if (grad) {
		grad[0] = g0;
		grad[1] = g1;
		grad[2] = g2;
	}
	return ll;
}

/* ---- the optimiser ----------------------------------------------------- */

typedef crm__llfn llfn;

struct bgdata {
	const double *x, *tx, *T, *w;
	size_t n;
};

static double bg_obj(const double *par, const void *d, double *grad)
{
	const struct bgdata *b = d;

	return crm_bgnbd_ll(par, b->x, b->tx, b->T, b->w, b->n, grad);
}

static double gg_obj(const double *par, const void *d, double *grad)
{
	const struct bgdata *b = d;

	return crm_gg_ll(par, b->x, b->tx, b->w, b->n, grad);
}

static double bgset_obj(const double *par, const void *d, double *grad)
{
	return bgset_ll(d, par, grad);
}

static double ggset_obj(const double *par, const void *d, double *grad)
{
	return ggset_ll(d, par, grad);
}

/*
 * eval: f = -loglik / W at theta = log(par) and its gradient in theta.
 * Returns +inf when the likelihood is not finite.
 */
static double eval(llfn fn, const void *d, double W, int k,
    const double *theta, double *gth)
{
	double par[4] = { 0, 0, 0, 0 }, g[4] = { 0, 0, 0, 0 }, ll;
	int i;

	for (i = 0; i < k; i++)
		par[i] = exp(theta[i]);
	ll = fn(par, d, g);
	if (!isfinite(ll))
		return INFINITY;
	for (i = 0; i < k; i++) {
		gth[i] = -g[i] * par[i] / W;
		if (!isfinite(gth[i]))
			return INFINITY;
	}
	return -ll / W;
}

/* at_bound: whether a parameter is within 1 % of a bound of the box. */
static int at_bound(const double *theta, int k)
{
	const double lo = log(CRM_BTYD_PMIN), hi = log(CRM_BTYD_PMAX);
	int i;

	for (i = 0; i < k; i++)
		if (theta[i] - lo < 0.01 || hi - theta[i] < 0.01)
			return 1;
	return 0;
}

static void identity(double *H, int k)
{
	int i;

	memset(H, 0, 16 * sizeof(*H));
	for (i = 0; i < k; i++)
		H[i * 4 + i] = 1;
}

/* direction: the quasi-Newton direction -H g over the free coordinates
 * (act[i] 0; the others stay put), its slope *gd along g and its largest
 * component *dmax. */
static void direction(const double *H, const double *g, const int *act,
    int k, double *dir, double *gd, double *dmax)
{
	int i, j;

	*gd = 0;
	*dmax = 0;
	for (i = 0; i < k; i++) {
		dir[i] = 0;
		for (j = 0; j < k && !act[i]; j++)
			if (!act[j])
				dir[i] -= H[i * 4 + j] * g[j];
		*gd += dir[i] * g[i];
		*dmax = fmax(*dmax, fabs(dir[i]));
	}
}

/* bfgs_update: the BFGS update of the inverse Hessian approximation H
 * after the step from theta (gradient g) to tn (gradient gn); skipped
 * when the curvature s'y is not positive. */
static void bfgs_update(double *H, const double *theta, const double *tn,
    const double *g, const double *gn, int k)
{
	double s[4], y[4], Hy[4], sy = 0, yHy = 0;
	int i, j;

	for (i = 0; i < k; i++) {
		s[i] = tn[i] - theta[i];
		y[i] = gn[i] - g[i];
		sy += s[i] * y[i];
	}
	if (!(sy > 1e-300))
		return;
	/* H += (1 + y'Hy/sy) ss'/sy - (Hy s' + s y'H)/sy */
	for (i = 0; i < k; i++) {
		Hy[i] = 0;
		for (j = 0; j < k; j++)
			Hy[i] += H[i * 4 + j] * y[j];
		yHy += y[i] * Hy[i];
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			H[i * 4 + j] += (1 + yHy / sy) * s[i] * s[j] / sy -
			    (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
}

/*
 * minimise: BFGS on theta (k <= 4) within [lo, hi] per coordinate: the
 * inverse Hessian approximation H (4 x 4, row-major) starts as given (the
 * identity, or what an earlier fit of a sample of the same data ended
 * with) and is left as it ends; steps are cut to at most 2 in log space
 * and projected into the box, and a backtracking line search keeps the
 * Armijo condition. Converged when the largest gradient component is
 * below gtol per customer, or no step improves f any more while it is
 * below 1e-5; CRM_FIT_MAXITER after maxit iterations.
 */
static enum crm_fit_status minimise(llfn fn, const void *d, double W, int k,
    double *theta, double *H, double gtol, int maxit,
    struct crm_fit_info *info)
{
	const double lo = log(CRM_BTYD_PMIN), hi = log(CRM_BTYD_PMAX);
	double g[4], gn[4], dir[4], tn[4], f, fn_, gmax;
	int it, i, j, evals = 0, fresh = 1, stall = 0, act[4];
	enum crm_fit_status st = CRM_FIT_MAXITER;

	f = eval(fn, d, W, k, theta, g);
	evals++;
	if (!isfinite(f)) {
		st = CRM_FIT_NUMERIC;
		it = 0;
		goto out;
	}
	for (it = 0; it < maxit; it++) {
		double gd, step = 1, dmax;
		int ok = 0;

		/* A parameter at a bound that the gradient pushes outwards
		 * stays there: it takes no part in the step nor in the test
		 * of convergence (the gradient projected onto the box). */
		for (i = 0; i < k; i++)
			act[i] = (theta[i] >= hi && g[i] < 0) ||
			    (theta[i] <= lo && g[i] > 0);
		for (gmax = 0, i = 0; i < k; i++)
			if (!act[i])
				gmax = fmax(gmax, fabs(g[i]));
		if (gmax < gtol) {
			st = CRM_FIT_OK;
			break;
		}
		direction(H, g, act, k, dir, &gd, &dmax);
		if (!(gd < 0)) {        /* not a descent direction: restart */
			identity(H, k);
			fresh = 1;
			continue;
		}
		if (dmax > 2)
			step = 2 / dmax;
		for (j = 0; j < 40; j++) {
			double dec = 0, cut = 0.5;

			for (i = 0; i < k; i++) {
				tn[i] = fmin(hi, fmax(lo, theta[i] + step * dir[i]));
				dec += g[i] * (tn[i] - theta[i]);
			}
			fn_ = eval(fn, d, W, k, tn, gn);
			evals++;
			if (isfinite(fn_) && fn_ <= f + 1e-4 * dec) {
				ok = 1;
				break;
			}
			/* Shorter: to the minimum of the parabola through f, the
			 * slope dec and fn_, by a factor of 0.1 to 0.5 (halving
			 * when fn_ is not finite), so that a step far too long
			 * costs a few evaluations rather than a dozen. */
			if (isfinite(fn_) && dec < 0 && fn_ - f - dec > 0)
				cut = fmin(0.5, fmax(0.1,
				    -dec / (2 * (fn_ - f - dec))));
			step *= cut;
		}
		if (!ok) {
			if (!fresh) {   /* retry along the gradient */
				identity(H, k);
				fresh = 1;
				continue;
			}
			/* No improvement possible: a minimum to machine
			 * precision if the gradient is small. */
			st = gmax < 1e-5 ? CRM_FIT_OK : CRM_FIT_MAXITER;
			break;
		}
		fresh = 0;
		bfgs_update(H, theta, tn, g, gn, k);
		memcpy(theta, tn, sizeof(double) * (size_t)k);
		memcpy(g, gn, sizeof(double) * (size_t)k);
		if (fabs(f - fn_) <= 1e-15 * fabs(f) && gmax < 1e-5) {
			f = fn_;
			st = CRM_FIT_OK;
			break;
		}
		/* A likelihood that keeps rising by next to nothing: a ridge
		 * along which a parameter runs off to a bound. */
		stall = f - fn_ < 1e-11 * fabs(f) ? stall + 1 : 0;
		f = fn_;
		if (stall >= 10) {
			st = CRM_FIT_BOUND;
			break;
		}
	}
	if (st == CRM_FIT_OK && at_bound(theta, k))
		st = CRM_FIT_BOUND;
out:
	if (info) {
		info->loglik = -f * W;
		for (gmax = 0, i = 0; i < k; i++)
			gmax = fmax(gmax, fabs(g[i]));
		info->gmax = gmax;
		info->iterations += it;
		info->evaluations += evals;
		info->status = st;
	}
	return st;
}

/* The gradient (per customer, in log parameters) at which a fit has
 * converged, and the looser one that is enough for a sample's fit, whose
 * estimate only serves as the starting point of the fit on all rows. */
#define GTOL 1e-8
#define GTOL_SAMPLE 1e-5

/* Iterations of a fit, and of the fit on all rows after a sample whose
 * optimum is at a bound. */
#define MAXIT 300
#define MAXIT_BOUND 5

/* Fits on more rows than SAMPLE_MIN first fit every step-th row only, for
 * step = rows / SAMPLE_ROWS: most iterations then run on the sample, and
 * the fit on all rows starts close to the optimum with the sample's
 * curvature (its inverse Hessian), so that a few iterations polish it. */
#define SAMPLE_MIN CRM__SAMPLE_MIN
#define SAMPLE_ROWS CRM__SAMPLE_ROWS

/*
 * fit: minimise fn over d (with W, k parameters) from theta, first on the
 * sample ds (fn_s, W_s; NULL for none) when there is one. The result is
 * that of the fit on all rows; a sample fit that fails, or that leads the
 * fit on all rows astray, is ignored and the fit restarts from theta.
 */
enum crm_fit_status crm__btyd_fit(llfn fn, const void *d, double W,
    llfn fn_s, const void *ds, double W_s, int k, double *theta,
    struct crm_fit_info *info, int maxit)
{
	double H[16], t0[4], ts[4];
	enum crm_fit_status st;
	struct crm_fit_info si;

	if (maxit <= 0)
		maxit = MAXIT;
	memcpy(t0, theta, sizeof(double) * (size_t)k);
	memset(info, 0, sizeof(*info));
	identity(H, k);
	if (ds) {
		memset(&si, 0, sizeof(si));
		memcpy(ts, theta, sizeof(double) * (size_t)k);
		st = minimise(fn_s, ds, W_s, k, ts, H, GTOL_SAMPLE, maxit, &si);
		if (st == CRM_FIT_OK || st == CRM_FIT_BOUND) {
			/* A sample whose optimum lies at a bound of the box
			 * (the likelihood rises along a ridge towards it)
			 * needs no long walk up that ridge on all rows: a few
			 * iterations, and it is reported as at its bound. */
			int bound = st == CRM_FIT_BOUND;

			memcpy(theta, ts, sizeof(double) * (size_t)k);
			st = minimise(fn, d, W, k, theta, H, GTOL,
			    bound ? MAXIT_BOUND : maxit, info);
			if (bound && st == CRM_FIT_MAXITER && at_bound(theta, k))
				st = info->status = CRM_FIT_BOUND;
			info->iterations += si.iterations;
			info->evaluations += si.evaluations;
			if (st == CRM_FIT_OK || st == CRM_FIT_BOUND)
				return st;
		} else {
			info->iterations += si.iterations;
			info->evaluations += si.evaluations;
		}
		/* start again without the sample */
		memcpy(theta, t0, sizeof(double) * (size_t)k);
		identity(H, k);
	}
	return minimise(fn, d, W, k, theta, H, GTOL, maxit, info);
}


static int usable(double v)
{
	return v > CRM_BTYD_PMIN && v < CRM_BTYD_PMAX && isfinite(v);
}

enum crm_fit_status crm_bgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info)
{
	return crm__bgnbd_fit(x, tx, T, w, n, par, info, 0);
}

enum crm_fit_status crm__bgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info, int maxit)
{
	struct bgdata d = { x, tx, T, w, n };
	struct bgset all, sample;
	double W = 0, sx = 0, sT = 0, theta[4];
	size_t i;
	int k, prep, samp = 0;
	struct crm_fit_info tmp;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1;

		W += wi;
		sx += wi * x[i];
		sT += wi * T[i];
	}
	if (!(W > 0)) {
		info->status = CRM_FIT_NODATA;
		return CRM_FIT_NODATA;
	}
	/* Defaults: r = 1 and alpha from the mean purchase rate (as if no
	 * one dropped out); a = 1, b = 3: a quarter drop out per purchase. */
	if (!usable(par[0]) || !usable(par[1]) || !usable(par[2]) ||
	    !usable(par[3])) {
		par[0] = 1;
		par[1] = fmin(1e5, fmax(1e-3, (sT / W + 1e-3) / (sx / W + 1e-3)));
		par[2] = 1;
		par[3] = 3;
	}
	for (k = 0; k < 4; k++)
		theta[k] = log(par[k]);
	prep = bgset_init(&all, x, tx, T, w, n, 1) == 0;
	if (prep && n > SAMPLE_MIN &&
	    bgset_init(&sample, x, tx, T, w, n, n / SAMPLE_ROWS) == 0 &&
	    !(samp = sample.W > 0))
		bgset_free(&sample);
	if (prep)
		crm__btyd_fit(bgset_obj, &all, W, bgset_obj, samp ? &sample : NULL,
		    samp ? sample.W : 0, 4, theta, info, maxit);
	else
		crm__btyd_fit(bg_obj, &d, W, NULL, NULL, 0, 4, theta, info,
		    maxit);
	if (samp)
		bgset_free(&sample);
	if (prep)
		bgset_free(&all);
	for (k = 0; k < 4; k++)
		par[k] = exp(theta[k]);
	return info->status;
}

enum crm_fit_status crm_gg_fit(const double *x, const double *m,
    const double *w, size_t n, double par[3], struct crm_fit_info *info)
{
	struct bgdata d = { x, NULL, NULL, w, n };
	struct ggset all, sample;
	double W = 0, sm = 0, theta[3], S, *ms;
	size_t i;
	int k, prep, samp = 0;
	struct crm_fit_info tmp;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1;

		W += wi;
		sm += wi * m[i];
	}
	if (!(W > 0) || !(sm > 0) || !isfinite(sm)) {
		info->status = CRM_FIT_NODATA;
		return CRM_FIT_NODATA;
	}
	/*
	 * The fit is in units of the mean spend S: gamma scales with the
	 * currency and p and q do not, so that a currency whose amounts run
	 * to millions fits as well as one of cents, within the same bounds
	 * (gamma / S in [1e-6, 1e6]). The log-likelihood of the density of
	 * the mean is then that of the scaled data less W log S.
	 */
	S = sm / W;
	if ((ms = malloc((n + 1) * sizeof(*ms))) == NULL) {
		info->status = CRM_FIT_NUMERIC;
		return CRM_FIT_NUMERIC;
	}
	for (i = 0; i < n; i++)
		ms[i] = m[i] / S;
	d.tx = ms;
	/* Defaults: p = 2, q = 3 and gamma so that the population mean spend
	 * p gamma / (q - 1) equals the observed mean. */
	if (!usable(par[0]) || !usable(par[1]) || !usable(par[2] / S)) {
		par[0] = 2;
		par[1] = 3;
		par[2] = S;
	}
	theta[0] = log(par[0]);
	theta[1] = log(par[1]);
	theta[2] = log(par[2] / S);
	prep = ggset_init(&all, x, ms, w, n, 1) == 0;
	if (prep && n > SAMPLE_MIN &&
	    ggset_init(&sample, x, ms, w, n, n / SAMPLE_ROWS) == 0 &&
	    !(samp = sample.W > 0))
		ggset_free(&sample);
	if (prep)
		crm__btyd_fit(ggset_obj, &all, W, ggset_obj, samp ? &sample : NULL,
		    samp ? sample.W : 0, 3, theta, info, 0);
	else
		crm__btyd_fit(gg_obj, &d, W, NULL, NULL, 0, 3, theta, info, 0);
	if (samp)
		ggset_free(&sample);
	if (prep)
		ggset_free(&all);
	free(ms);
	for (k = 0; k < 3; k++)
		par[k] = exp(theta[k]);
	par[2] *= S;
	info->loglik -= W * log(S);
	return info->status;
}

double crm_bgnbd_palive(const double par[4], double x, double tx, double T)
{
	double r = par[0], al = par[1], a = par[2], b = par[3], l;

	if (!(x > 0))
		return 1;
	l = log(a) - log(b + x - 1) + (r + x) * (log(al + T) - log(al + tx));
	if (l > 700)
		return 0;
	return 1 / (1 + exp(l));
}

double crm_bgnbd_expected_active(const double par[4], double x, double T,
    double t)
{
	double r = par[0], al = par[1], a = par[2], b = par[3];
	double lead, head, z, e;

	if (!(t > 0))
		return 0;
	if (fabs(a - 1) < 1e-7)         /* removable singularity at a = 1 */
		a = a < 1 ? 1 - 1e-7 : 1 + 1e-7;
	lead = (a + b + x - 1) / (a - 1);
	z = t / (al + T + t);
	head = exp((r + x) * (log(al + T) - log(al + T + t))) *
	    crm_hyp2f1(r + x, b + x, a + b + x - 1, z);
	e = lead * (1 - head);
	if (!isfinite(e) || e < 0)
		return 0;
	return e;
}

double crm_bgnbd_expected(const double par[4], double x, double tx,
    double T, double t)
{
	return crm_bgnbd_expected_active(par, x, T, t) *
	    crm_bgnbd_palive(par, x, tx, T);
}

double crm_gg_expected(const double par[3], double x, double m)
{
	double p = par[0], q = par[1], ga = par[2];

	if (!(x >= 1) || !(m > 0)) {
		if (!(q > 1))
			return -1;
		return p * ga / (q - 1);
	}
	return p * (ga + x * m) / (p * x + q - 1);
}
