/* btyd.c: BG/NBD and Gamma-Gamma log-likelihoods with analytic gradients,
 * a small BFGS optimiser over log-parameters, and the conditional
 * expectations used for scoring. See btyd.h for the contracts. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "btyd.h"

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

/* xmax: the largest x if all x are integers in [0, XTAB_MAX], else -1. */
static long xmax(const double *x, size_t n)
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

	t->lr = lgamma(r + x) - lgamma(r);
	t->dr = crm_digamma(r + x) - crm_digamma(r);
	t->lb = lgamma(b + x) - lgamma(b) - lgamma(a + b + x) + lgamma(a + b);
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
	if ((mx = xmax(x, n)) >= 0 && mx < (long)n + 64 &&
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
	double ll = 0, g[3] = { 0, 0, 0 }, lq = lgamma(q), dq = crm_digamma(q);
	double lga = log(ga);
	struct ggtab *tab = NULL, one;
	long mx, k;
	size_t i;

	if (!(p > 0 && q > 0 && ga > 0) || !isfinite(p + q + ga))
		return NAN;
	if ((mx = xmax(x, n)) >= 0 && mx < (long)n + 64 &&
	    (tab = calloc((size_t)mx + 1, sizeof(*tab))) != NULL) {
		for (i = 0; i < n; i++)
			tab[(long)x[i]].used = 1;
		for (k = 1; k <= mx; k++)
			if (tab[k].used) {
				double px = p * (double)k;

				tab[k].lg = lgamma(px + q) - lgamma(px);
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
			one.lg = lgamma(px + q) - lgamma(px);
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

/* An objective for the optimiser: the log-likelihood and its gradient. */
typedef double (*llfn)(const double *par, const void *data, double *grad);

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

/*
 * minimise: BFGS on theta (k <= 4) within [lo, hi] per coordinate: the
 * inverse Hessian approximation starts as the identity, steps are cut to at
 * most 2 in log space and projected into the box, and a backtracking line
 * search keeps the Armijo condition. Converged when the largest gradient
 * component is below 1e-8 per customer, or no step improves f any more
 * while it is below 1e-5.
 */
static enum crm_fit_status minimise(llfn fn, const void *d, double W, int k,
    double *theta, struct crm_fit_info *info)
{
	const double lo = log(CRM_BTYD_PMIN), hi = log(CRM_BTYD_PMAX);
	double H[16], g[4], gn[4], s[4], y[4], dir[4], tn[4], f, fn_, gmax;
	int it, i, j, evals = 0, fresh = 1, stall = 0;
	enum crm_fit_status st = CRM_FIT_MAXITER;

	memset(H, 0, sizeof(H));
	for (i = 0; i < k; i++)
		H[i * 4 + i] = 1;
	f = eval(fn, d, W, k, theta, g);
	evals++;
	if (!isfinite(f)) {
		st = CRM_FIT_NUMERIC;
		it = 0;
		goto out;
	}
	for (it = 0; it < 300; it++) {
		double gd = 0, step = 1, dmax = 0, sy = 0;
		int ok = 0;

		for (gmax = 0, i = 0; i < k; i++)
			gmax = fmax(gmax, fabs(g[i]));
		if (gmax < 1e-8) {
			st = CRM_FIT_OK;
			break;
		}
		for (i = 0; i < k; i++) {
			dir[i] = 0;
			for (j = 0; j < k; j++)
				dir[i] -= H[i * 4 + j] * g[j];
			gd += dir[i] * g[i];
			dmax = fmax(dmax, fabs(dir[i]));
		}
		if (!(gd < 0)) {        /* not a descent direction: restart */
			memset(H, 0, sizeof(H));
			for (i = 0; i < k; i++) {
				H[i * 4 + i] = 1;
				dir[i] = -g[i];
			}
			fresh = 1;
			continue;
		}
		if (dmax > 2)
			step = 2 / dmax;
		for (j = 0; j < 40; j++, step *= 0.5) {
			double dec = 0;

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
		}
		if (!ok) {
			if (!fresh) {   /* retry along the gradient */
				memset(H, 0, sizeof(H));
				for (i = 0; i < k; i++)
					H[i * 4 + i] = 1;
				fresh = 1;
				continue;
			}
			/* No improvement possible: a minimum to machine
			 * precision if the gradient is small. */
			st = gmax < 1e-5 ? CRM_FIT_OK : CRM_FIT_MAXITER;
			break;
		}
		fresh = 0;
		for (i = 0; i < k; i++) {
			s[i] = tn[i] - theta[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
		}
		if (sy > 1e-300) {
			/* H += (1 + y'Hy/sy) ss'/sy - (Hy s' + s y'H)/sy */
			double Hy[4], yHy = 0;

			for (i = 0; i < k; i++) {
				Hy[i] = 0;
				for (j = 0; j < k; j++)
					Hy[i] += H[i * 4 + j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (i = 0; i < k; i++)
				for (j = 0; j < k; j++)
					H[i * 4 + j] += (1 + yHy / sy) * s[i] * s[j] /
					    sy - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
		}
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
	if (st == CRM_FIT_OK)
		for (i = 0; i < k; i++)
			if (theta[i] - lo < 0.01 || hi - theta[i] < 0.01)
				st = CRM_FIT_BOUND;
out:
	if (info) {
		info->loglik = -f * W;
		for (gmax = 0, i = 0; i < k; i++)
			gmax = fmax(gmax, fabs(g[i]));
		info->gmax = gmax;
		info->iterations = it;
		info->evaluations = evals;
		info->status = st;
	}
	return st;
}

static int usable(double v)
{
	return v > CRM_BTYD_PMIN && v < CRM_BTYD_PMAX && isfinite(v);
}

enum crm_fit_status crm_bgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info)
{
	struct bgdata d = { x, tx, T, w, n };
	double W = 0, sx = 0, sT = 0, theta[4];
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1;

		W += wi;
		sx += wi * x[i];
		sT += wi * T[i];
	}
	if (info)
		memset(info, 0, sizeof(*info));
	if (!(W > 0)) {
		if (info)
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
	minimise(bg_obj, &d, W, 4, theta, info);
	for (k = 0; k < 4; k++)
		par[k] = exp(theta[k]);
	return info ? info->status : CRM_FIT_OK;
}

enum crm_fit_status crm_gg_fit(const double *x, const double *m,
    const double *w, size_t n, double par[3], struct crm_fit_info *info)
{
	struct bgdata d = { x, m, NULL, w, n };
	double W = 0, sm = 0, theta[3];
	size_t i;
	int k;
	struct crm_fit_info tmp;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1;

		W += wi;
		sm += wi * m[i];
	}
	if (!(W > 0) || !(sm > 0)) {
		info->status = CRM_FIT_NODATA;
		return CRM_FIT_NODATA;
	}
	/* Defaults: p = 2, q = 3 and gamma so that the population mean spend
	 * p gamma / (q - 1) equals the observed mean. */
	if (!usable(par[0]) || !usable(par[1]) || !usable(par[2])) {
		par[0] = 2;
		par[1] = 3;
		par[2] = fmin(1e5, fmax(1e-5, sm / W));
	}
	for (k = 0; k < 3; k++)
		theta[k] = log(par[k]);
	minimise(gg_obj, &d, W, 3, theta, info);
	for (k = 0; k < 3; k++)
		par[k] = exp(theta[k]);
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

double crm_bgnbd_expected(const double par[4], double x, double tx,
    double T, double t)
{
	double r = par[0], al = par[1], a = par[2], b = par[3];
	double lead, head, z, l, e;

	if (!(t > 0))
		return 0;
	if (fabs(a - 1) < 1e-7)         /* removable singularity at a = 1 */
		a = a < 1 ? 1 - 1e-7 : 1 + 1e-7;
	lead = (a + b + x - 1) / (a - 1);
	z = t / (al + T + t);
	head = exp((r + x) * (log(al + T) - log(al + T + t))) *
	    crm_hyp2f1(r + x, b + x, a + b + x - 1, z);
	e = lead * (1 - head);
	if (x > 0) {
		l = log(a) - log(b + x - 1) +
		    (r + x) * (log(al + T) - log(al + tx));
		e = l > 700 ? 0 : e / (1 + exp(l));
	}
	if (!isfinite(e) || e < 0)
		return 0;
	return e;
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
