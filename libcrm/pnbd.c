/* pnbd.c: the Pareto/NBD model (Schmittlein, Morrison and Colombo 1987)
 * with a stable evaluation of its likelihood, the MBG/NBD model
 * (Batislam, Denizel and Filiztekin 2007), and what scoring needs of all
 * three purchase models: P(alive), expected purchases, the probability of
 * a purchase in a horizon and the median wait for it. See btyd.h. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btyd.h"
#include "btyd_int.h"

/* softplus(v) = log(1 + e^v), without overflow. */
static double softplus(double v)
{
	return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
}

/* log1mexp(d) = log(1 - e^d) for d <= 0 (Maechler 2012). */
static double log1mexp(double d)
{
	if (d >= 0)
		return -INFINITY;
	return d > -M_LN2 ? log(-expm1(d)) : log1p(-exp(d));
}

/* exprel(v) = (e^v - 1) / v, 1 at 0. */
static double exprel(double v)
{
	if (fabs(v) < 1e-9)
		return 1 + v / 2;
	return expm1(v) / v;
}

/* ---- the Pareto/NBD integral ---------------------------------------------
 *
 * The likelihood of (x, tx, T) given the purchase rate lambda and the
 * dropout rate mu is lambda^x e^-(lambda+mu)T (alive at T) plus
 * lambda^x mu int_tx^T e^-(lambda+mu)tau dtau (died between tx and T).
 * Over lambda ~ Gamma(r, alpha) and mu ~ Gamma(s, beta):
 *
 *   L = Gamma(r+x) alpha^r beta^s / Gamma(r) (E + s D),
 *   E = (alpha+T)^-(r+x) (beta+T)^-s,
 *   D = int_tx^T (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau = G(tx) - G(T),
 *
 * with G(u) the same integral from u to infinity. Put kappa the larger of
 * alpha and beta and y = (kappa+u)/(kappa+tau):
 *
 *   G(u) = (kappa+u)^-m J,  J = int_0^1 y^(m-1) (1 - z y)^-b dy,
 *
 * m = r+s+x, z = |alpha-beta| / (kappa+u) in [0, 1), b = s+1 when alpha >=
 * beta, else r+x. J = 2F1(m, b; m+1; z) / m, Fader, Hardie and Lee's
 * (2005 note) A0 term; choosing kappa as the larger scale is what keeps z
 * in [0, 1). Near z = 1 the series converges slowly (and (1 - z y)^-b
 * peaks sharply at y = 1): there J is integrated by the tanh-sinh rule,
 * which resolves endpoint peaks of any width, on whichever of two forms
 * has the smaller exponent at its peak. Everything is done in logarithms,
 * and D = G(tx) - G(T) as log G(tx) + log(1 - G(T)/G(tx)). The gradient
 * is analytic: J's derivatives in m, b and z come with J, from the same
 * terms or nodes.
 */

/* The series of J converges with the ratio z after about b z / (1 - z)
 * terms; beyond this many terms (a few nanoseconds each), tanh-sinh (a few
 * hundred nodes of about 100 ns) is cheaper. */
#define SERIES_MAX 8000

/* log J and its partial derivatives in m, b and z. */
struct jd {
	double lj, dm, db, dz;
};

/* log_J_series: log J by its series sum_k t_k, t_k = (b)_k / k! z^k /
 * (m+k), all terms positive, and the derivatives term by term: dt/dm =
 * -t / (m+k), dt/db = t sum_{j<k} 1 / (b+j), dt/dz = k t / z. Rescaled
 * so that nothing overflows. */
static void log_J_series(double m, double b, double z, struct jd *out)
{
	double term = 1, sum = 1 / m, scale = 0, hk = 0;
	double sm = -1 / (m * m), sb = 0, sz = 0;
	long k;

	for (k = 0; k < 100000; k++) {
		double kk = (double)k, t;

		hk += 1 / (b + kk);
		term *= (b + kk) / (kk + 1) * z;
		t = term / (m + kk + 1);
		sum += t;
		sm -= t / (m + kk + 1);
		sb += t * hk;
		sz += (kk + 1) * t;
		if (t * (kk + 2) <= 1e-17 * sum && kk + 1 > b * z / (1 - z))
			break;
		if (sum > 1e280) {
			sum *= 1e-280;
			term *= 1e-280;
			sm *= 1e-280;
			sb *= 1e-280;
			sz *= 1e-280;
			scale += 280 * M_LN10;
		}
	}
	out->lj = log(sum) + scale;
	out->dm = sm / sum;
	out->db = sb / sum;
	out->dz = sz / sum / z;
}

/*
 * The tanh-sinh rule on [0, 1]: y = 1 / (1 + e^(-pi sinh t)) at t = k h,
 * with the weight dy/dt = pi cosh t y (1 - y). The nodes of the finest
 * step, TS_H, from -TS_T to TS_T, are computed once; a coarser step uses
 * every 2^j-th. Kept in logarithms: log y, log (1 - y), log weight.
 */
#define TS_LEVELS 7
#define TS_H (1.0 / 64)
#define TS_K 416                /* TS_T / TS_H, TS_T = 6.5 */

static struct tsnode {
	double ly, lyb, lw, y, yb;
} ts_node[2 * TS_K + 1];
static pthread_once_t ts_once = PTHREAD_ONCE_INIT;

static void ts_init(void)
{
	int k;

	for (k = -TS_K; k <= TS_K; k++) {
		double t = k * TS_H, s = M_PI * sinh(t);
		struct tsnode *n = &ts_node[k + TS_K];

		n->ly = -softplus(-s);
		n->lyb = -softplus(s);
		n->lw = log(M_PI * cosh(t)) + n->ly + n->lyb;
		n->y = exp(n->ly);
		n->yb = exp(n->lyb);
	}
}

/*
 * log_J_ts: log J by the tanh-sinh rule, the step halved from 1/2 until
 * two estimates agree to 3e-7 (the error then is about its square, some
 * 1e-13). In the y form the integrand is y^(m-1) (e + z (1-y))^-b with
 * e = 1 - z; in the v form (v = y / (1 - z y), scaled to [0, 1]) J =
 * e^-m int_0^1 y^(m-1) (1 + y z/e)^-(m+1-b) dy: the form with the smaller
 * exponent at its peak. After the first step, only the nodes between the
 * first and last whose term was within e^-46 of the largest are visited.
 * The derivatives are the integrand's, averaged over it.
 */
static void log_J_ts(double m, double b, double z, double e, struct jd *out)
{
	int vform = m + 1 - b < b, level, k, lo = -TS_K, hi = TS_K;
	double c = vform ? m + 1 - b : b, K = z / e, M = -INFINITY;
	double S = 0, Sm = 0, Sb = 0, Sz = 0, prev = NAN, res = NAN, h;

	pthread_once(&ts_once, ts_init);
	for (level = 0; level < TS_LEVELS; level++) {
		int stride = 1 << (TS_LEVELS - 1 - level), first = 1;
		int nlo = hi, nhi = lo;

		h = TS_H * stride;
		for (k = lo - lo % stride; k <= hi; k += stride) {
			const struct tsnode *n = &ts_node[k + TS_K];
			double L, lq, w, Lm, Lb, Lz;

			if (level > 0 && (k / stride) % 2 == 0)
				continue;
			if (vform) {
				lq = log1p(K * n->y);
				Lm = n->ly - lq;
				Lb = lq;
			} else {
				lq = log(e + z * n->yb);
				Lm = n->ly;
				Lb = -lq;
			}
			L = n->lw + (m - 1) * n->ly - c * lq;
			/* terms below e^-46 of the largest do not count (and
			 * an exp that underflows is slow) */
			if (L > M) {
				w = M - L > -46 ? exp(M - L) : 0;
				S *= w;
				Sm *= w;
				Sb *= w;
				Sz *= w;
				M = L;
				w = 1;
			} else
				w = L - M > -46 ? exp(L - M) : 0;
			if (w > 0) {
				/* y / (1 + K y) or y / (e + z (1-y)) */
				Lz = exp(n->ly - lq);
				S += w;
				Sm += w * Lm;
				Sb += w * Lb;
				Sz += w * Lz;
			}
			if (level == 0 && L > M - 46) {
				if (first)
					nlo = k;
				nhi = k;
				first = 0;
			}
		}
		if (level == 0) {
			/* a margin of two coarse steps on either side */
			lo = nlo - 2 * stride < -TS_K ? -TS_K : nlo - 2 * stride;
			hi = nhi + 2 * stride > TS_K ? TS_K : nhi + 2 * stride;
		}
		res = M + log(S * h);
		if (level > 1 && fabs(res - prev) < 3e-7)
			break;
		prev = res;
	}
	if (vform) {
		out->lj = res - m * log(e);
		out->dm = -log(e) + Sm / S;
		out->db = Sb / S;
		out->dz = m / e - c / (e * e) * Sz / S;
	} else {
		out->lj = res;
		out->dm = Sm / S;
		out->db = Sb / S;
		out->dz = b * Sz / S;
	}
}

/* log_J: log J(m, b, z) and its derivatives, with e = 1 - z given apart
 * (accurate near 1). */
static void log_J(double m, double b, double z, double e, struct jd *out)
{
	if (!(z > 0)) {
		out->lj = -log(m);
		out->dm = -1 / m;
		out->db = 0;
		out->dz = b * m / (m + 1);
		return;
	}
	if (b * z / e - 36.9 / log(z) < SERIES_MAX)
		log_J_series(m, b, z, out);
	else
		log_J_ts(m, b, z, e, out);
}

/*
 * pnbd_logG: log G(u) of a customer with x repeat purchases, and when d
 * is not NULL its derivatives in r, alpha, s, beta: with kappa the larger
 * scale, log G = -m log(kappa+u) + log J(m, b, z), m = r+s+x, b = s+1 or
 * r+x, z = |alpha-beta| / (kappa+u), dz/dkappa = e / (kappa+u) and dz /
 * d(the other scale) = -1 / (kappa+u).
 */
static double pnbd_logG(const double par[4], double x, double u, double *d)
{
	double r = par[0], al = par[1], s = par[2], be = par[3];
	double m = r + s + x, k = al >= be ? al : be, lk = log(k + u);
	struct jd j;

	if (al >= be)
		log_J(m, s + 1, (al - be) / (al + u), (be + u) / (al + u), &j);
	else
		log_J(m, r + x, (be - al) / (be + u), (al + u) / (be + u), &j);
	if (d) {
		double e = al >= be ? (be + u) / (al + u) : (al + u) / (be + u);
		double dk = -m / (k + u) + j.dz * e / (k + u);
		double dother = -j.dz / (k + u);

		d[0] = -lk + j.dm + (al >= be ? 0 : j.db);
		d[2] = -lk + j.dm + (al >= be ? j.db : 0);
		d[1] = al >= be ? dk : dother;
		d[3] = al >= be ? dother : dk;
	}
	return -m * lk + j.lj;
}

/* 16-point Gauss-Legendre nodes and weights on [-1, 1], the positive half */
static const double gl_x[8] = { 0.0950125098376374, 0.2816035507792589,
	0.4580167776572274, 0.6178762444026438, 0.7554044083550030,
	0.8656312023878318, 0.9445750230732326, 0.9894009349916499 };
static const double gl_w[8] = { 0.1894506104550685, 0.1826034150449236,
	0.1691565193950025, 0.1495959888165767, 0.1246289712555339,
	0.0951585116824928, 0.0622535239386479, 0.0271524594117541 };

double crm_pnbd_logD(const double par[4], double x, double u1, double u2)
{
	double g1, g2, A = par[0] + x, B = par[2] + 1, al = par[1], be = par[3];

	if (!(u2 > u1))
		return -INFINITY;
	/* A short interval, over which the integrand changes by less than a
	 * factor e^0.5: G(u1) - G(u2) would lose digits, Gauss-Legendre
	 * does not (the integrand is analytic far around it). */
	if ((u2 - u1) * (A / (al + u1) + B / (be + u1)) < 0.5) {
		double c = (u1 + u2) / 2, hw = (u2 - u1) / 2, l0, sum = 0;
		int i, sg;

		l0 = -A * log(al + c) - B * log(be + c);
		for (i = 0; i < 8; i++)
			for (sg = -1; sg <= 1; sg += 2) {
				double t = c + sg * hw * gl_x[i];

				sum += gl_w[i] * exp(-A * log(al + t) -
				    B * log(be + t) - l0);
			}
		return l0 + log(sum * hw);
	}
	g1 = pnbd_logG(par, x, u1, NULL);
	g2 = pnbd_logG(par, x, u2, NULL);
	return g1 + log1mexp(g2 - g1);
}

/* pnbd_logE: log E(u) = -(r+x) log(alpha+u) - s log(beta+u). */
static double pnbd_logE(const double par[4], double x, double u)
{
	return -(par[0] + x) * log(par[1] + u) - par[2] * log(par[3] + u);
}

/* pnbd_rest: log(E + s D) of a customer, and in *lpa log P(alive). */
static double pnbd_rest(const double par[4], double x, double tx, double T,
    double *lpa)
{
	double le = pnbd_logE(par, x, T), ld, l;

	ld = log(par[2]) + crm_pnbd_logD(par, x, tx, T);
	l = le > ld ? le + softplus(ld - le) : ld + softplus(le - ld);
	if (lpa)
		*lpa = le - l;
	return l;
}

/* valid: the parameters are positive and finite. */
static int valid(const double par[4])
{
	return par[0] > 0 && par[1] > 0 && par[2] > 0 && par[3] > 0 &&
	    isfinite(par[0] + par[1] + par[2] + par[3]);
}

/*
 * The terms log G(u) of a data set depend on (x, u) only, for u the
 * recency or the age: they are computed once per distinct pair (far fewer
 * than the customers when times are whole days or weeks) and looked up
 * per customer, in an open-addressing table of the pairs.
 */
struct gpair {
	double x, u, lg, d[4];
	int used;
};

static uint64_t gkey(double x, double u)
{
	uint64_t a, b;

	memcpy(&a, &x, sizeof(a));
	memcpy(&b, &u, sizeof(b));
	return (a * 0x9E3779B97F4A7C15u) ^ (b + 0x7F4A7C159E3779B9u +
	    (a << 6) + (a >> 2));
}

/* gpair_get: the slot of (x, u) in t (nslot a power of two), computing
 * its log G (and derivatives, with grad) when new. */
static const struct gpair *gpair_get(struct gpair *t, size_t nslot,
    const double par[4], double x, double u, int grad)
{
	size_t j = (size_t)(gkey(x, u) >> 17) & (nslot - 1);

	while (t[j].used && (t[j].x != x || t[j].u != u))
		j = (j + 1) & (nslot - 1);
	if (!t[j].used) {
		t[j].used = 1;
		t[j].x = x;
		t[j].u = u;
		t[j].lg = pnbd_logG(par, x, u, grad ? t[j].d : NULL);
	}
	return &t[j];
}

/*
 * crm_pnbd_ll: per customer ln Gamma(r+x) - ln Gamma(r) + r ln alpha +
 * s ln beta + log Q, Q = E + s D. The gradient of log Q is that of log E
 * and of log(s D) weighted by their shares of Q, where s D's is s (G1 dG1 -
 * G2 dG2) / Q, written so that no difference of two nearly equal G is
 * divided by (a short interval's D is a small share of Q).
 */
double crm_pnbd_ll(const double par[4], const double *x, const double *tx,
    const double *T, const double *w, size_t n, double grad[4])
{
	double r = par[0], al = par[1], s = par[2], be = par[3];
	double ll = 0, W = 0, *lr = NULL, *dr = NULL, ls, g[4] = { 0, 0, 0, 0 };
	size_t i, nslot = 64;
	long mx = -1, k;
	struct gpair *gt;

	if (!valid(par))
		return NAN;
	ls = log(s);
	while (nslot < 4 * n)
		nslot *= 2;
	if ((gt = calloc(nslot, sizeof(*gt))) == NULL)
		return NAN;
	/* lgamma(r+x) - lgamma(r) and psi(r+x) - psi(r) per integer x */
	if ((mx = crm__btyd_xmax(x, n)) >= 0 && mx < (long)n + 64 &&
	    (lr = malloc(2 * ((size_t)mx + 1) * sizeof(*lr))) != NULL) {
		dr = lr + mx + 1;
		lr[0] = dr[0] = 0;
		for (k = 1; k <= mx; k++) {
			lr[k] = lr[k - 1] + log(r + (double)(k - 1));
			dr[k] = dr[k - 1] + 1 / (r + (double)(k - 1));
		}
	}
	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1, xi = x[i], lg, dg, le, l;
		double de[4], dq[4];
		int j;

		if (!(xi >= 0) || !(tx[i] >= 0) || !(T[i] >= tx[i])) {
			ll = NAN;
			break;
		}
		if (lr) {
			lg = lr[(long)xi];
			dg = dr[(long)xi];
		} else {
			lg = crm__lngamma(r + xi) - crm__lngamma(r);
			dg = grad ? crm_digamma(r + xi) - crm_digamma(r) : 0;
		}
		le = pnbd_logE(par, xi, T[i]);
		de[0] = -log(al + T[i]);
		de[1] = -(r + xi) / (al + T[i]);
		de[2] = -log(be + T[i]);
		de[3] = -s / (be + T[i]);
		if (T[i] > tx[i]) {
			const struct gpair *p1 = gpair_get(gt, nslot, par, xi,
			    tx[i], grad != NULL);
			const struct gpair *p2 = gpair_get(gt, nslot, par, xi,
			    T[i], grad != NULL);
			double rho = exp(p2->lg - p1->lg);
			double ld = ls + p1->lg + log1mexp(p2->lg - p1->lg);

			l = le > ld ? le + softplus(ld - le) : ld +
			    softplus(le - ld);
			if (grad) {
				double we = exp(le - l), w1 = exp(ls + p1->lg - l);
				double wd = exp(ld - l);

				for (j = 0; j < 4; j++)
					dq[j] = we * de[j] + w1 * (p1->d[j] -
					    rho * p2->d[j]);
				dq[2] += wd / s;
			}
		} else {
			l = le;
			memcpy(dq, de, sizeof(dq));
		}
		ll += wi * (lg + l);
		W += wi;
		if (grad) {
			g[0] += wi * (dg + log(al) + dq[0]);
			g[1] += wi * (r / al + dq[1]);
			g[2] += wi * (log(be) + dq[2]);
			g[3] += wi * (s / be + dq[3]);
		}
	}
	free(lr);
	free(gt);
	if (grad)
		memcpy(grad, g, sizeof(g));
	return ll + W * (r * log(al) + s * log(be));
}

double crm_pnbd_palive(const double par[4], double x, double tx, double T)
{
	double lpa;

	if (!valid(par) || !(T >= tx))
		return NAN;
	pnbd_rest(par, x, tx, T, &lpa);
	return exp(lpa);
}

double crm_pnbd_expected_active(const double par[4], double x, double T,
    double t)
{
	double r = par[0], al = par[1], s = par[2], be = par[3], L;

	if (!(t > 0))
		return 0;
	/* E[lambda] E[(1 - e^-mu t) / mu] under the posterior of the
	 * active: Gamma(r+x, alpha+T) and Gamma(s, beta+T) */
	L = log1p(t / (be + T));
	return (r + x) / (al + T) * (be + T) * L * exprel((1 - s) * L);
}

/* ---- MBG/NBD -------------------------------------------------------------
 *
 * As the BG/NBD, but a customer may also drop out right after the first
 * purchase, so that one without repeat purchases can be gone too:
 *   ll = ln Gamma(r+x) - ln Gamma(r) + r ln alpha
 *      + ln B(a, b+x+1) - ln B(a, b) - (r+x) ln(alpha+T) + softplus(A4),
 *   A4 = ln a - ln(b+x) + (r+x) (ln(alpha+T) - ln(alpha+tx)).
 */

/* Per-x terms: lr, dr as for the BG/NBD; lb = ln Gamma(b+x+1) -
 * ln Gamma(b) - ln Gamma(a+b+x+1) + ln Gamma(a+b); dab = psi(a+b) -
 * psi(a+b+x+1); db = psi(b+x+1) - psi(b). */
struct mbtab {
	double lr, dr, lb, dab, db;
};

static void mb_terms(const double *p, double x, struct mbtab *t)
{
	double r = p[0], a = p[2], b = p[3];

	t->lr = crm__lngamma(r + x) - crm__lngamma(r);
	t->dr = crm_digamma(r + x) - crm_digamma(r);
	t->lb = crm__lngamma(b + x + 1) - crm__lngamma(b) -
	    crm__lngamma(a + b + x + 1) + crm__lngamma(a + b);
	t->dab = crm_digamma(a + b) - crm_digamma(a + b + x + 1);
	t->db = crm_digamma(b + x + 1) - crm_digamma(b);
}

static struct mbtab *mb_table(const double *p, const double *x, size_t n)
{
	double r = p[0], a = p[2], b = p[3];
	long mx = crm__btyd_xmax(x, n), k;
	struct mbtab *t;

	if (mx < 0 || mx >= (long)n + 64 || (t = malloc(((size_t)mx + 1) *
	    sizeof(*t))) == NULL)
		return NULL;
	t[0].lr = t[0].dr = 0;
	t[0].lb = log(b) - log(a + b);
	t[0].dab = -1 / (a + b);
	t[0].db = 1 / b;
	for (k = 1; k <= mx; k++) {
		double j = (double)k;

		t[k].lr = t[k - 1].lr + log(r + j - 1);
		t[k].dr = t[k - 1].dr + 1 / (r + j - 1);
		t[k].lb = t[k - 1].lb + log(b + j) - log(a + b + j);
		t[k].dab = t[k - 1].dab - 1 / (a + b + j);
		t[k].db = t[k - 1].db + 1 / (b + j);
	}
	return t;
}

double crm_mbgnbd_ll(const double par[4], const double *x, const double *tx,
    const double *T, const double *w, size_t n, double grad[4])
{
	double r = par[0], al = par[1], a = par[2], b = par[3];
	double ll = 0, g[4] = { 0, 0, 0, 0 }, lal, la;
	struct mbtab *tab, one;
	size_t i;

	if (!valid(par))
		return NAN;
	lal = log(al);
	la = log(a);
	tab = mb_table(par, x, n);
	for (i = 0; i < n; i++) {
		double xi = x[i], wi = w ? w[i] : 1, lT, lt, A4, w4;
		const struct mbtab *t;

		if (!(xi >= 0) || !(tx[i] >= 0) || !(T[i] >= tx[i])) {
			free(tab);
			return NAN;
		}
		if (tab)
			t = &tab[(long)xi];
		else {
			mb_terms(par, xi, &one);
			t = &one;
		}
		lT = log(al + T[i]);
		lt = log(al + tx[i]);
		A4 = la - log(b + xi) + (r + xi) * (lT - lt);
		w4 = 1 / (1 + exp(-A4));
		ll += wi * (t->lr + r * lal + t->lb - (r + xi) * lT +
		    softplus(A4));
		if (grad) {
			g[0] += wi * (t->dr + lal - lT + w4 * (lT - lt));
			g[1] += wi * (r / al - (r + xi) / (al + T[i]) +
			    w4 * (r + xi) * (1 / (al + T[i]) -
			    1 / (al + tx[i])));
			g[2] += wi * (t->dab + w4 / a);
			g[3] += wi * (t->dab + t->db - w4 / (b + xi));
		}
	}
	free(tab);
	if (grad)
		memcpy(grad, g, sizeof(g));
	return ll;
}

double crm_mbgnbd_palive(const double par[4], double x, double tx, double T)
{
	double r = par[0], al = par[1], a = par[2], b = par[3], l;

	l = log(a) - log(b + x) + (r + x) * (log(al + T) - log(al + tx));
	if (l > 700)
		return 0;
	return 1 / (1 + exp(l));
}

double crm_mbgnbd_expected_active(const double par[4], double x, double T,
    double t)
{
	/* the BG/NBD's with b + 1 for b (Batislam et al. 2007, eq. 11) */
	double p[4] = { par[0], par[1], par[2], par[3] + 1 };

	return crm_bgnbd_expected_active(p, x, T, t);
}

/* ---- fitting ------------------------------------------------------------- */

struct rows {
	const double *x, *tx, *T, *w;
	size_t n;
	double *own;            /* a sample's copies, one block */
};

static double mb_obj(const double *par, const void *d, double *grad)
{
	const struct rows *r = d;

	return crm_mbgnbd_ll(par, r->x, r->tx, r->T, r->w, r->n, grad);
}

static double pn_obj(const double *par, const void *d, double *grad)
{
	const struct rows *r = d;

	return crm_pnbd_ll(par, r->x, r->tx, r->T, r->w, r->n, grad);
}

/* sample: every step-th row of all into s (copies). Returns 0 or -1. */
static int sample(const struct rows *all, size_t step, struct rows *s)
{
	size_t m = (all->n + step - 1) / step, i, j;
	double *b = malloc(4 * m * sizeof(double));

	memset(s, 0, sizeof(*s));
	if (b == NULL)
		return -1;
	for (i = 0, j = 0; i < all->n; i += step, j++) {
		b[j] = all->x[i];
		b[m + j] = all->tx[i];
		b[2 * m + j] = all->T[i];
		b[3 * m + j] = all->w ? all->w[i] : 1;
	}
	s->x = b;
	s->tx = b + m;
	s->T = b + 2 * m;
	s->w = b + 3 * m;
	s->n = m;
	s->own = b;
	return 0;
}

static double weight(const struct rows *r)
{
	double W = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		W += r->w ? r->w[i] : 1;
	return W;
}

static int usable(double v)
{
	return v > CRM_BTYD_PMIN && v < CRM_BTYD_PMAX && isfinite(v);
}

/* fit4: a fit of a 4-parameter purchase model, sampled on many rows;
 * start values in par when usable, else def; at most maxit iterations
 * (0: the default). With sample_only, a fit on a sample is not polished
 * on all rows: its log-likelihood is that of all rows at its estimate. */
static enum crm_fit_status fit4(crm__llfn fn, const double *x,
    const double *tx, const double *T, const double *w, size_t n,
    double par[4], const double def[4], struct crm_fit_info *info,
    int maxit, int sample_only)
{
	struct rows all = { x, tx, T, w, n, NULL }, s;
	double W = weight(&all), theta[4];
	struct crm_fit_info tmp;
	int k, samp = 0;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if (!(W > 0)) {
		info->status = CRM_FIT_NODATA;
		return CRM_FIT_NODATA;
	}
	if (!usable(par[0]) || !usable(par[1]) || !usable(par[2]) ||
	    !usable(par[3]))
		memcpy(par, def, 4 * sizeof(double));
	for (k = 0; k < 4; k++)
		theta[k] = log(par[k]);
	if (n > CRM__SAMPLE_MIN && sample(&all, n / CRM__SAMPLE_ROWS, &s) == 0)
		samp = 1;
	if (samp && sample_only) {
		crm__btyd_fit(fn, &s, weight(&s), NULL, NULL, 0, 4, theta, info,
		    maxit);
		for (k = 0; k < 4; k++)
			par[k] = exp(theta[k]);
		info->loglik = fn(par, &all, NULL);
	} else
		crm__btyd_fit(fn, &all, W, fn, samp ? &s : NULL, samp ?
		    weight(&s) : 0, 4, theta, info, maxit);
	if (samp)
		free(s.own);
	for (k = 0; k < 4; k++)
		par[k] = exp(theta[k]);
	return info->status;
}

/* defaults: r = 1 and alpha from the mean purchase rate, as for the
 * BG/NBD; the dropout parameters say that a customer stays about as long
 * as the mean age. */
static void defaults(const double *x, const double *T, const double *w,
    size_t n, double def[4], int pareto)
{
	double W = 0, sx = 0, sT = 0, mT;
	size_t i;

	for (i = 0; i < n; i++) {
		double wi = w ? w[i] : 1;

		W += wi;
		sx += wi * x[i];
		sT += wi * T[i];
	}
	mT = W > 0 ? sT / W : 1;
	def[0] = 1;
	def[1] = fmin(1e5, fmax(1e-3, (mT + 1e-3) / (sx / (W > 0 ? W : 1) +
	    1e-3)));
	def[2] = 1;
	def[3] = pareto ? fmin(1e5, fmax(1e-3, mT)) : 3;
}

enum crm_fit_status crm_mbgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info)
{
	double def[4];

	defaults(x, T, w, n, def, 0);
	return fit4(mb_obj, x, tx, T, w, n, par, def, info, 0, 0);
}

enum crm_fit_status crm_pnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info)
{
	double def[4];

	defaults(x, T, w, n, def, 1);
	return fit4(pn_obj, x, tx, T, w, n, par, def, info, 0, 1);
}

/* ---- the three models for scoring ------------------------------------------ */

const char *crm_btyd_name(int kind)
{
	static const char *const names[CRM_BTYD_NKIND] = { "bgnbd", "mbgnbd",
	    "pareto" };

	return kind >= 0 && kind < CRM_BTYD_NKIND ? names[kind] : NULL;
}

int crm_btyd_kind(const char *name)
{
	int k;

	for (k = 0; k < CRM_BTYD_NKIND; k++)
		if (strcmp(crm_btyd_name(k), name) == 0)
			return k;
	return -1;
}

double crm_btyd_ll(int kind, const double par[4], const double *x,
    const double *tx, const double *T, const double *w, size_t n)
{
	switch (kind) {
	case CRM_BTYD_BGNBD:
		return crm_bgnbd_ll(par, x, tx, T, w, n, NULL);
	case CRM_BTYD_MBGNBD:
		return crm_mbgnbd_ll(par, x, tx, T, w, n, NULL);
	case CRM_BTYD_PARETO:
		return crm_pnbd_ll(par, x, tx, T, w, n, NULL);
	}
	return NAN;
}

enum crm_fit_status crm_btyd_fit(int kind, const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info, int maxit)
{
	double def[4];

	switch (kind) {
	case CRM_BTYD_MBGNBD:
		defaults(x, T, w, n, def, 0);
		return fit4(mb_obj, x, tx, T, w, n, par, def, info, maxit, 0);
	case CRM_BTYD_PARETO:
		defaults(x, T, w, n, def, 1);
		return fit4(pn_obj, x, tx, T, w, n, par, def, info, maxit, 1);
	default:
		return crm__bgnbd_fit(x, tx, T, w, n, par, info, maxit);
	}
}

double crm_btyd_palive(int kind, const double par[4], double x, double tx,
    double T)
{
	switch (kind) {
	case CRM_BTYD_MBGNBD:
		return crm_mbgnbd_palive(par, x, tx, T);
	case CRM_BTYD_PARETO:
		return crm_pnbd_palive(par, x, tx, T);
	default:
		return crm_bgnbd_palive(par, x, tx, T);
	}
}

double crm_btyd_expected_active(int kind, const double par[4], double x,
    double T, double t)
{
	switch (kind) {
	case CRM_BTYD_MBGNBD:
		return crm_mbgnbd_expected_active(par, x, T, t);
	case CRM_BTYD_PARETO:
		return crm_pnbd_expected_active(par, x, T, t);
	default:
		return crm_bgnbd_expected_active(par, x, T, t);
	}
}

/*
 * pbuy: P(no purchase in (T, T+t] | active at T) in logarithms. In the
 * BG/NBD and MBG/NBD a customer leaves only at a purchase, so this is
 * E[e^-lambda t] over the posterior Gamma(r+x, alpha+T) of the active.
 * In the Pareto/NBD the customer may also die first: E[e^-(lambda+mu)t] +
 * int_0^t E[mu e^-mu tau] E[e^-lambda tau] dtau, which is E(T+t) + s D(T,
 * T+t) over E(T), the likelihood's own terms.
 */
static double log_none(int kind, const double par[4], double x, double T,
    double t)
{
	double le, ld, l;

	if (kind != CRM_BTYD_PARETO)
		return -(par[0] + x) * log1p(t / (par[1] + T));
	le = pnbd_logE(par, x, T + t);
	ld = log(par[2]) + crm_pnbd_logD(par, x, T, T + t);
	l = le > ld ? le + softplus(ld - le) : ld + softplus(le - ld);
	return l - pnbd_logE(par, x, T);
}

double crm_btyd_pbuy_active(int kind, const double par[4], double x,
    double T, double t)
{
	if (!(t > 0))
		return 0;
	return -expm1(log_none(kind, par, x, T, t));
}

/* density of the first purchase after T at T+t, given active at T */
static double first_density(int kind, const double par[4], double x,
    double T, double t)
{
	double r = par[0], al = par[1], d;

	d = (r + x) / (al + T) * exp(-(r + x + 1) * log1p(t / (al + T)));
	if (kind == CRM_BTYD_PARETO)
		d *= exp(-par[2] * log1p(t / (par[3] + T)));
	return d;
}

double crm_btyd_wait(int kind, const double par[4], double x, double T,
    double q, double tmax)
{
	double lo = 0, hi = tmax, t;
	int i;

	if (!(q > 0) || !(q < 1) || !(tmax > 0) ||
	    crm_btyd_pbuy_active(kind, par, x, T, tmax) < q)
		return -1;
	if (kind != CRM_BTYD_PARETO) {
		/* 1 - ((alpha+T) / (alpha+T+t))^(r+x) = q */
		t = (par[1] + T) * expm1(-log1p(-q) / (par[0] + x));
		return fmin(t, tmax);
	}
	/* Newton's method, kept within a bisection bracket */
	t = tmax / 2;
	for (i = 0; i < 60; i++) {
		double f = crm_btyd_pbuy_active(kind, par, x, T, t) - q;
		double d = first_density(kind, par, x, T, t), tn;

		if (f > 0)
			hi = t;
		else
			lo = t;
		if (fabs(f) < 1e-10 || hi - lo < 1e-9 * tmax)
			break;
		tn = d > 0 ? t - f / d : NAN;
		t = tn > lo && tn < hi ? tn : (lo + hi) / 2;
	}
	return t;
}
