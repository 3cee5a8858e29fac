/* test-btyd.c: the BG/NBD and Gamma-Gamma models of libcrm/btyd.c against
 * the published CDNOW results, against data simulated from known
 * parameters, against finite differences, and on degenerate input. */
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btyd.h"
#include "tap.h"

/* is_3sig: pass when got and want agree to three significant figures. */
static int is_3sig(double got, double want, const char *what)
{
	char g[32], w[32];

	snprintf(g, sizeof(g), "%.3g", got);
	snprintf(w, sizeof(w), "%.3g", want);
	if (!ok(strcmp(g, w) == 0, "%s = %s (published %s)", what, g, w))
		printf("#   got %.6g\n", got);
	return strcmp(g, w) == 0;
}

/* days: days since 1970-01-01 of a proleptic Gregorian date. */
static long days(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

#define NCUST 2357
static double cx[NCUST], ctx[NCUST], cT[NCUST], cz[NCUST], chold[NCUST];

/*
 * load_cdnow: the calibration summary (weeks) of CDNOW_sample.txt, by the
 * rules of FHL 2005: one purchase per customer and day (amounts summed),
 * x = purchase days - 1, recency and T since the first purchase, the
 * calibration ending 1997-09-30; zbar the mean spend of the repeat days;
 * chold the purchase days in the holdout (to 1998-06-30).
 */
static int load_cdnow(const char *path)
{
	static long first[NCUST], last[NCUST], lastday[NCUST];
	static double spend[NCUST], fspend[NCUST];
	long cal = days(1997, 9, 30), end = days(1998, 6, 30);
	char line[256];
	FILE *fp;
	int rows = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	memset(first, 0, sizeof(first));
	while (fgets(line, sizeof(line), fp)) {
		long mid, id, ymd, cds, d;
		double usd;
		int i;

		if (sscanf(line, "%ld %ld %ld %ld %lf", &mid, &id, &ymd, &cds,
		    &usd) != 5 || id < 1 || id > NCUST)
			continue;
		rows++;
		i = (int)id - 1;
		d = days(ymd / 10000, ymd / 100 % 100, ymd % 100);
		/* The file is in date order within each customer. */
		if (d > end)
			continue;
		if (d > cal) {
			if (d != lastday[i])
				chold[i]++;
			lastday[i] = d;
			continue;
		}
		if (first[i] == 0) {
			first[i] = last[i] = d;
			fspend[i] = usd;
		} else if (d == first[i])
			fspend[i] += usd;
		else {
			if (d != last[i])
				cx[i]++;
			last[i] = d;
			spend[i] += usd;
		}
		lastday[i] = d;
	}
	fclose(fp);
	for (int i = 0; i < NCUST; i++) {
		ctx[i] = (double)(last[i] - first[i]) / 7;
		cT[i] = (double)(cal - first[i]) / 7;
		cz[i] = cx[i] > 0 ? spend[i] / cx[i] : 0;
	}
	return rows;
}

/* A small deterministic generator: splitmix64, uniform, gamma, beta. */
static uint64_t rng = 42;
static double unif(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double norm(void)
{
	return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}
/* gamma with shape k and rate 1 (Marsaglia and Tsang 2000). */
static double rgamma(double k)
{
	double d, c, x, v, u;

	if (k < 1)
		return rgamma(k + 1) * pow(unif(), 1 / k);
	d = k - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		do {
			x = norm();
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = unif();
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}
static double rbeta(double a, double b)
{
	double x = rgamma(a);

	return x / (x + rgamma(b));
}

/*
 * se: standard errors from the inverse of the observed information, the
 * Hessian of the log-likelihood by central differences of the analytic
 * gradient. k parameters; fn evaluates the gradient at par.
 */
static void se(int k, double *par, void (*grad)(const double *, double *),
    double *out)
{
	double Hm[4][4], inv[4][4], gp[4], gm[4];
	int i, j, c;

	for (j = 0; j < k; j++) {
		double h = 1e-5 * par[j], keep = par[j];

		par[j] = keep + h;
		grad(par, gp);
		par[j] = keep - h;
		grad(par, gm);
		par[j] = keep;
		for (i = 0; i < k; i++)
			Hm[i][j] = -(gp[i] - gm[i]) / (2 * h);
	}
	/* Gauss-Jordan inverse of the (positive definite) information */
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			inv[i][j] = i == j;
	for (c = 0; c < k; c++) {
		double p = Hm[c][c];

		for (j = 0; j < k; j++) {
			Hm[c][j] /= p;
			inv[c][j] /= p;
		}
		for (i = 0; i < k; i++)
			if (i != c) {
				double f = Hm[i][c];

				for (j = 0; j < k; j++) {
					Hm[i][j] -= f * Hm[c][j];
					inv[i][j] -= f * inv[c][j];
				}
			}
	}
	for (i = 0; i < k; i++)
		out[i] = sqrt(inv[i][i]);
}

#define NSIM 20000
static double sx[NSIM], stx[NSIM], sT[NSIM], sm[NSIM];
static size_t nrep;
static double rx[NSIM], rm[NSIM];

static void bg_grad(const double *p, double *g)
{
	crm_bgnbd_ll(p, sx, stx, sT, NULL, NSIM, g);
}
static void gg_grad(const double *p, double *g)
{
	crm_gg_ll(p, rx, rm, NULL, nrep, g);
}

/* simulate: NSIM customers from BG/NBD (truth bg) with T uniform in
 * [26, 52] weeks, and Gamma-Gamma spend (truth gg). */
static void simulate(const double *bg, const double *gg)
{
	size_t i;

	nrep = 0;
	for (i = 0; i < NSIM; i++) {
		double lam = rgamma(bg[0]) / bg[1], p = rbeta(bg[2], bg[3]);
		double T = 26 + 26 * unif(), t = 0, last = 0, nu, sum = 0;
		int x = 0;

		for (;;) {
			t += -log(unif()) / lam;
			if (t > T)
				break;
			x++;
			last = t;
			if (unif() < p)         /* drops out after this one */
				break;
		}
		sx[i] = x;
		stx[i] = last;
		sT[i] = T;
		nu = rgamma(gg[1]) / gg[2];
		for (int j = 0; j < x; j++)
			sum += rgamma(gg[0]) / nu;
		sm[i] = x ? sum / x : 0;
		if (x) {
			rx[nrep] = x;
			rm[nrep] = sm[i];
			nrep++;
		}
	}
}

static void test_cdnow(const char *dir)
{
	static const double pub_exp[8] = { 0.2251, 0.5231, 1.0441, 1.5203,
	    2.1638, 2.6538, 3.5040, 6.1570 };
	static const double pub_act[8] = { 0.2367, 0.6970, 1.3925, 1.5600,
	    2.5323, 2.9474, 3.8621, 6.3594 };
	static const int pub_n[8] = { 1411, 439, 214, 100, 62, 38, 29, 64 };
	double par[4] = { 0, 0, 0, 0 }, gg[3] = { 0, 0, 0 }, sumx = 0;
	double gx[NCUST], gz[NCUST], pred[8] = { 0 }, act[8] = { 0 };
	int n0 = 0, cnt[8] = { 0 }, ng = 0, i, g;
	struct crm_fit_info info;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/../data/predict/CDNOW_sample.txt", dir);
	is_int(load_cdnow(path), 6919, "CDNOW_sample.txt has 6919 rows");
	for (i = 0; i < NCUST; i++) {
		sumx += cx[i];
		n0 += cx[i] == 0;
	}
	is_int((int64_t)sumx, 2457, "2457 repeat purchases in the calibration");
	is_int(n0, 1411, "1411 customers without repeat purchase");

	crm_bgnbd_fit(cx, ctx, cT, NULL, NCUST, par, &info);
	ok(info.status == CRM_FIT_OK, "BG/NBD fit on CDNOW converges (%d iterations, %d evaluations, "
	    "max gradient %.1e)", info.iterations, info.evaluations, info.gmax);
	is_3sig(par[0], 0.243, "BG/NBD r");
	is_3sig(par[1], 4.414, "BG/NBD alpha");
	is_3sig(par[2], 0.793, "BG/NBD a");
	is_3sig(par[3], 2.426, "BG/NBD b");
	ok(fabs(info.loglik - -9582.4) < 0.05, "BG/NBD log-likelihood %.2f "
	    "(published -9582.4)", info.loglik);

	for (i = 0; i < NCUST; i++)
		if (cx[i] > 0) {
			gx[ng] = cx[i];
			gz[ng] = cz[i];
			ng++;
		}
	is_int(ng, 946, "946 repeat buyers for the Gamma-Gamma model");
	ok(crm_gg_fit(gx, gz, NULL, (size_t)ng, gg, &info) == CRM_FIT_OK,
	    "Gamma-Gamma fit converges (%d iterations)", info.iterations);
	is_3sig(gg[0], 6.25, "Gamma-Gamma p");
	is_3sig(gg[1], 3.74, "Gamma-Gamma q");
	is_3sig(gg[2], 15.44, "Gamma-Gamma gamma");
	ok(fabs(info.loglik - -4055.9) < 0.05, "Gamma-Gamma log-likelihood "
	    "%.2f (published -4055.9, density of the average)", info.loglik);

	/* Holdout: weeks 40-78, t* = 39, by calibration repeats 0..6, 7+ */
	for (i = 0; i < NCUST; i++) {
		g = cx[i] >= 7 ? 7 : (int)cx[i];
		cnt[g]++;
		act[g] += chold[i];
		pred[g] += crm_bgnbd_expected(par, cx[i], ctx[i], cT[i], 39);
	}
	for (g = 0; g < 8; g++) {
		char what[64];

		is_int(cnt[g], pub_n[g], "%d%s calibration repeats: customers",
		    g, g == 7 ? "+" : "");
		ok(fabs(act[g] / cnt[g] - pub_act[g]) < 5e-5, "%d%s: actual "
		    "mean %.4f (published %.4f)", g, g == 7 ? "+" : "",
		    act[g] / cnt[g], pub_act[g]);
		snprintf(what, sizeof(what), "%d%s: expected holdout repeats",
		    g, g == 7 ? "+" : "");
		is_3sig(pred[g] / cnt[g], pub_exp[g], what);
	}
	/*
	 * FHL 2005 fig. 1: the cumulative repeat purchases of the cohort by
	 * week 78 (calibration plus holdout), from the unconditional
	 * expectation E[X(t)] over each customer's 78-week horizon, are under-
	 * forecast by about 4 %.
	 */
	{
		double ta = 2457, tp = 0;

		for (g = 0; g < 8; g++)
			ta += act[g];
		for (i = 0; i < NCUST; i++)
			tp += crm_bgnbd_expected(par, 0, 0, 0, cT[i] + 39);
		ok(tp < ta && (ta - tp) / ta > 0.03 && (ta - tp) / ta < 0.05,
		    "cumulative repeat purchases by week 78 under-forecast by "
		    "about 4%% (%.0f expected, %.0f actual: %.1f%%)", tp, ta,
		    100 * (ta - tp) / ta);
	}
	/* P(alive) of a customer who bought often and then stopped is low,
	 * of a one-time buyer 1 (by the model's definition). */
	ok(crm_bgnbd_palive(par, 10, 10, 38) < 0.05 &&
	    crm_bgnbd_palive(par, 10, 37.5, 38) > 0.9 &&
	    crm_bgnbd_palive(par, 0, 0, 38) == 1,
	    "P(alive) falls with the time since the last purchase");
}

/*
 * direct_logD: log of int_u1^u2 (alpha+t)^-(r+x) (beta+t)^-(s+1) dt by
 * brute force, independent of pnbd.c's series and tanh-sinh: composite
 * 8-point Gauss-Legendre in long double on 4,000 panels of w = log(k + t),
 * k the smaller of alpha and beta (so that the peak at t = u1 of the
 * factor with the small scale is spread over many panels), summed
 * relative to the integrand's value at u1.
 */
static double direct_logD(const double *p, double x, double u1, double u2)
{
	static const long double gx[4] = { 0.1834346424956498L,
	    0.5255324099163290L, 0.7966664774136267L, 0.9602898564975363L };
	static const long double gw[4] = { 0.3626837833783620L,
	    0.3137066458778873L, 0.2223810344533745L, 0.1012285362903763L };
	long double A = p[0] + x, B = p[2] + 1, al = p[1], be = p[3];
	long double k = al < be ? al : be, lo = logl(k + u1), hi = logl(k + u2);
	long double l0 = -A * logl(al + u1) - B * logl(be + u1), sum = 0;
	const int panels = 4000;
	int i, j, sg;

	for (i = 0; i < panels; i++) {
		long double a = lo + (hi - lo) * i / panels;
		long double b = lo + (hi - lo) * (i + 1) / panels;
		long double c = (a + b) / 2, h = (b - a) / 2;

		for (j = 0; j < 4; j++)
			for (sg = -1; sg <= 1; sg += 2) {
				long double w = c + sg * h * gx[j];
				long double t = expl(w) - k;

				sum += h * gw[j] * expl(w - A * logl(al + t) -
				    B * logl(be + t) - l0);
			}
	}
	return (double)(l0 + logl(sum));
}

static void test_pareto_integral(void)
{
	/* r, alpha, s, beta, x, u1, u2: CDNOW's parameters; scales a
	 * thousand or more apart either way (the hypergeometric series'
	 * argument near 1, the tanh-sinh path); many purchases; a short
	 * interval; alpha close to beta */
	static const double c[][7] = {
		{ 0.553, 10.578, 0.606, 11.669, 0, 0, 38.86 },
		{ 0.553, 10.578, 0.606, 11.669, 2, 30.43, 38.86 },
		{ 0.553, 10.578, 0.606, 11.669, 20, 3, 38.86 },
		{ 0.5, 1, 0.6, 3000, 0, 0, 50 },
		{ 0.5, 1, 0.6, 3000, 50, 2, 50 },
		{ 0.5, 1, 0.6, 1e5, 100, 0.5, 300 },
		{ 0.5, 3000, 0.6, 1, 0, 0, 50 },
		{ 0.5, 3000, 2.6, 0.01, 40, 0, 50 },
		{ 0.1, 1e4, 0.05, 1e-3, 0, 0, 700 },
		{ 3, 0.01, 50, 1e3, 300, 1, 2 },
		{ 0.2, 4, 1.0, 4.0001, 5, 10, 30 },
		{ 1, 1, 1, 1e6, 0, 0, 1e-6 },
		{ 1.3, 1e-4, 7, 1e4, 1000, 699, 700 },
		{ 0.243, 4.414, 0.8, 40, 7, 37, 38.86 },
	};
	double worst = 0, err;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		double got = crm_pnbd_logD(c[i], c[i][4], c[i][5], c[i][6]);
		double want = direct_logD(c[i], c[i][4], c[i][5], c[i][6]);

		err = fabs(got - want) / fmax(1, fabs(want));

		if (!(err < 1e-12))
			printf("# r %g alpha %g s %g beta %g x %g [%g, %g]: "
			    "%.17g, direct %.17g\n", c[i][0], c[i][1], c[i][2],
			    c[i][3], c[i][4], c[i][5], c[i][6], got, want);
		worst = fmax(worst, isfinite(err) ? err : INFINITY);
	}
	ok(worst < 1e-12, "Pareto/NBD integral term against a direct numerical "
	    "integral, %zu cases: worst relative error %.1e (tolerance 1e-12)",
	    sizeof(c) / sizeof(c[0]), worst);
	/* the analytic gradient against central differences, on CDNOW at
	 * the published parameters and on each case's parameters (their
	 * x, u1 and u2 as one customer) */
	worst = 0;
	for (i = 0; i <= sizeof(c) / sizeof(c[0]); i++) {
		/* CDNOW away from the optimum, where the gradient is large */
		const double cd[4] = { 0.7, 8, 0.5, 15 };
		const double *p = i ? c[i - 1] : cd;
		const double *xs = i ? &c[i - 1][4] : cx;
		const double *t1 = i ? &c[i - 1][5] : ctx;
		const double *t2 = i ? &c[i - 1][6] : cT;
		size_t n = i ? 1 : NCUST;
		double g[4], q[4];
		int k;

		memcpy(q, p, sizeof(q));
		crm_pnbd_ll(q, xs, t1, t2, NULL, n, g);
		for (k = 0; k < 4; k++) {
			double h = 1e-5 * q[k], keep = q[k], lp, lm, fd;

			q[k] = keep + h;
			lp = crm_pnbd_ll(q, xs, t1, t2, NULL, n, NULL);
			q[k] = keep - h;
			lm = crm_pnbd_ll(q, xs, t1, t2, NULL, n, NULL);
			q[k] = keep;
			fd = (lp - lm) / (2 * h);
			err = fabs(fd - g[k]) / fmax(1, fabs(g[k]));
			if (!(err < 1e-5))
				printf("# case %zu, parameter %d: %.10g, central "
				    "differences %.10g\n", i, k, g[k], fd);
			worst = fmax(worst, isfinite(err) ? err : INFINITY);
		}
	}
	ok(worst < 1e-5, "Pareto/NBD gradient against central differences: "
	    "worst relative error %.1e", worst);
}

/*
 * mc_active: by simulation from the posterior of an active customer
 * (lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T)), the probability
 * of a purchase in (T, T+t] and the expected purchases, with standard
 * errors.
 */
static void mc_active(const double *p, double x, double T, double t,
    double *pb, double *pse, double *e, double *ese)
{
	const int N = 200000;
	double s1 = 0, s2 = 0, e1 = 0, e2 = 0;
	int i;

	for (i = 0; i < N; i++) {
		double la = rgamma(p[0] + x) / (p[1] + T);
		double mu = rgamma(p[2]) / (p[3] + T);
		double v = la / (la + mu) * -expm1(-(la + mu) * t);
		double ev = la / mu * -expm1(-mu * t);

		s1 += v;
		s2 += v * v;
		e1 += ev;
		e2 += ev * ev;
	}
	*pb = s1 / N;
	*pse = sqrt((s2 / N - *pb * *pb) / N);
	*e = e1 / N;
	*ese = sqrt((e2 / N - *e * *e) / N);
}

static void test_pareto(void)
{
	const double pub[4] = { 0.553, 10.578, 0.606, 11.669 };
	double par[4] = { 0, 0, 0, 0 }, mb[4] = { 0, 0, 0, 0 };
	struct crm_fit_info info;
	double ll = crm_pnbd_ll(pub, cx, ctx, cT, NULL, NCUST, NULL);
	int k, fine = 1;

	/* FHL 2005 (Marketing Science 24(2), p. 281): r 0.553, alpha 10.578,
	 * s 0.606, beta 11.669, LL -9595.0; to 3 significant figures and
	 * the log-likelihood to 0.05 */
	ok(fabs(ll - -9595.0) < 0.05, "Pareto/NBD log-likelihood at the "
	    "published parameters %.2f (published -9595.0)", ll);
	crm_pnbd_fit(cx, ctx, cT, NULL, NCUST, par, &info);
	ok(info.status == CRM_FIT_OK, "Pareto/NBD fit on CDNOW converges (%d "
	    "iterations, gradient %.1e)", info.iterations, info.gmax);
	is_3sig(par[0], 0.553, "Pareto/NBD r");
	is_3sig(par[1], 10.578, "Pareto/NBD alpha");
	is_3sig(par[2], 0.606, "Pareto/NBD s");
	is_3sig(par[3], 11.669, "Pareto/NBD beta");
	ok(fabs(info.loglik - -9595.0) < 0.05, "Pareto/NBD fitted "
	    "log-likelihood %.2f (published -9595.0)", info.loglik);
	/*
	 * MBG/NBD on CDNOW: not published; the reference is the SciPy fit of
	 * shared/data/cdnow/README.md (Nelder-Mead then BFGS): r 0.5248,
	 * alpha 6.1831, a 0.8914, b 1.6140, LL -9582.136 (Batislam et al.
	 * report -9582.1 for the same data set). To 3 significant figures,
	 * the log-likelihood to 0.05.
	 */
	crm_mbgnbd_fit(cx, ctx, cT, NULL, NCUST, mb, &info);
	ok(info.status == CRM_FIT_OK, "MBG/NBD fit on CDNOW converges (%d "
	    "iterations)", info.iterations);
	is_3sig(mb[0], 0.5248, "MBG/NBD r");
	is_3sig(mb[1], 6.1831, "MBG/NBD alpha");
	is_3sig(mb[2], 0.8914, "MBG/NBD a");
	is_3sig(mb[3], 1.6140, "MBG/NBD b");
	ok(fabs(info.loglik - -9582.136) < 0.05, "MBG/NBD log-likelihood %.3f "
	    "(reference -9582.136)", info.loglik);
	/* P(alive): one-time buyers can be gone in both (not 1 as in the
	 * BG/NBD), and it falls with the time since the last purchase */
	ok(crm_pnbd_palive(pub, 0, 0, 38) < 0.9 &&
	    crm_mbgnbd_palive(mb, 0, 0, 38) < 0.9 &&
	    crm_pnbd_palive(pub, 5, 37, 38) > crm_pnbd_palive(pub, 5, 10, 38) &&
	    crm_mbgnbd_palive(mb, 5, 37, 38) > crm_mbgnbd_palive(mb, 5, 10, 38),
	    "P(alive) below 1 for one-time buyers and falling with recency "
	    "(Pareto/NBD %.3f, MBG/NBD %.3f at x = 0, T = 38)",
	    crm_pnbd_palive(pub, 0, 0, 38), crm_mbgnbd_palive(mb, 0, 0, 38));
	/* The expected purchases and the probability of one in a horizon of
	 * an active customer against simulation from the posterior: within
	 * 4 standard errors */
	for (k = 0; k < 3; k++) {
		static const double xs[3] = { 0, 3, 15 }, ts[3] = { 39, 4, 52 };
		double pb, pse, e, ese, gp, ge;

		mc_active(pub, xs[k], 30, ts[k], &pb, &pse, &e, &ese);
		gp = crm_btyd_pbuy_active(CRM_BTYD_PARETO, pub, xs[k], 30, ts[k]);
		ge = crm_pnbd_expected_active(pub, xs[k], 30, ts[k]);
		if (fabs(gp - pb) > 4 * pse || fabs(ge - e) > 4 * ese) {
			printf("# x %g t %g: P(buy) %.5f, simulated %.5f (%.5f); "
			    "E %.5f, simulated %.5f (%.5f)\n", xs[k], ts[k], gp, pb,
			    pse, ge, e, ese);
			fine = 0;
		}
	}
	ok(fine, "Pareto/NBD P(purchase in the horizon) and expected "
	    "purchases of the active agree with simulation");
	/* the median wait: P(buy by then) = q, none beyond the horizon */
	fine = 1;
	for (k = 0; k < CRM_BTYD_NKIND; k++) {
		const double *p = k == CRM_BTYD_MBGNBD ? mb : pub;
		double bg[4] = { 0.243, 4.414, 0.793, 2.426 }, w;

		if (k == CRM_BTYD_BGNBD)
			p = bg;
		w = crm_btyd_wait(k, p, 4, 30, 0.6, 52);
		fine &= w > 0 && w < 52 && fabs(crm_btyd_pbuy_active(k, p, 4, 30,
		    w) - 0.6) < 1e-8;
		fine &= crm_btyd_wait(k, p, 0, 30, 0.99, 52) == -1;
	}
	ok(fine, "the wait until a purchase with probability q, for all "
	    "three models; none beyond the horizon");
}

/* Gamma-Gamma is fitted in units of the mean spend: the same data in
 * millions give the same p and q, and gamma a million times larger. */
static void test_gg_scale(void)
{
	double gx[NCUST], gz[NCUST], gm[NCUST], a[3] = { 0, 0, 0 };
	double b[3] = { 0, 0, 0 };
	struct crm_fit_info ia, ib;
	int i, ng = 0;

	for (i = 0; i < NCUST; i++)
		if (cx[i] > 0) {
			gx[ng] = cx[i];
			gz[ng] = cz[i];
			gm[ng++] = cz[i] * 1e6;
		}
	crm_gg_fit(gx, gz, NULL, (size_t)ng, a, &ia);
	crm_gg_fit(gx, gm, NULL, (size_t)ng, b, &ib);
	ok(ib.status == CRM_FIT_OK && fabs(b[0] / a[0] - 1) < 1e-6 &&
	    fabs(b[1] / a[1] - 1) < 1e-6 && fabs(b[2] / a[2] / 1e6 - 1) < 1e-6,
	    "Gamma-Gamma on CDNOW in millions: p %.4f, q %.4f, gamma %.4g "
	    "(in dollars p %.4f, q %.4f, gamma %.4f)", b[0], b[1], b[2], a[0],
	    a[1], a[2]);
	ok(fabs(ib.loglik - (ia.loglik - ng * log(1e6))) < 1e-6 * fabs(ia.loglik),
	    "its log-likelihood is the density's in the new unit");
}

static void test_gradient(void)
{
	double p[4] = { 0.3, 5.0, 0.9, 2.1 }, q[3] = { 4.0, 2.5, 12.0 };
	double g[4], h, lp, lm, worst = 0;
	double gx[5] = { 1, 2, 3, 7, 1 }, gm[5] = { 10, 25.5, 3.2, 80, 1.5 };
	int k;

	crm_bgnbd_ll(p, cx, ctx, cT, NULL, NCUST, g);
	for (k = 0; k < 4; k++) {
		double keep = p[k], fd;

		h = 1e-6 * keep;
		p[k] = keep + h;
		lp = crm_bgnbd_ll(p, cx, ctx, cT, NULL, NCUST, NULL);
		p[k] = keep - h;
		lm = crm_bgnbd_ll(p, cx, ctx, cT, NULL, NCUST, NULL);
		p[k] = keep;
		fd = (lp - lm) / (2 * h);
		worst = fmax(worst, fabs(fd - g[k]) / fmax(1, fabs(g[k])));
	}
	ok(worst < 1e-5, "BG/NBD gradient matches central differences "
	    "(worst relative error %.1e)", worst);
	worst = 0;
	crm_gg_ll(q, gx, gm, NULL, 5, g);
	for (k = 0; k < 3; k++) {
		double keep = q[k], fd;

		h = 1e-6 * keep;
		q[k] = keep + h;
		lp = crm_gg_ll(q, gx, gm, NULL, 5, NULL);
		q[k] = keep - h;
		lm = crm_gg_ll(q, gx, gm, NULL, 5, NULL);
		q[k] = keep;
		fd = (lp - lm) / (2 * h);
		worst = fmax(worst, fabs(fd - g[k]) / fmax(1, fabs(g[k])));
	}
	ok(worst < 1e-5, "Gamma-Gamma gradient matches central differences "
	    "(worst relative error %.1e)", worst);
	/* Non-integer x takes the direct path: same value as the tables. */
	{
		double x1[2] = { 3, 0 }, x2[2] = { 3, 0 }, t[2] = { 20, 0 };
		double T[2] = { 30, 30 }, a, b;

		a = crm_bgnbd_ll(p, x1, t, T, NULL, 2, NULL);
		x2[1] = 0.5;    /* forces the direct path for both rows */
		b = crm_bgnbd_ll(p, x2, t, T, NULL, 1, NULL);
		ok(fabs(crm_bgnbd_ll(p, x1, t, T, NULL, 1, NULL) - b) < 1e-9 &&
		    isfinite(a), "per-x tables and direct lgamma agree");
	}
	ok(fabs(crm_digamma(1) + 0.5772156649015329) < 1e-12 &&
	    fabs(crm_digamma(0.5) + 1.9635100260214235) < 1e-12 &&
	    fabs(crm_digamma(30) - 3.3844381326855246) < 1e-12,
	    "digamma at 1, 0.5 and 30");
	ok(fabs(crm_hyp2f1(1, 1, 2, 0.5) - 2 * log(2)) < 1e-12,
	    "2F1(1,1;2;z) = -ln(1-z)/z");
}

static void test_recovery(void)
{
	/* Truth close to CDNOW's, a shop with 20,000 customers. */
	const double bg[4] = { 0.5, 6.0, 0.8, 2.5 }, gg[3] = { 6.0, 4.0, 15.0 };
	const char *const bn[4] = { "r", "alpha", "a", "b" };
	const char *const gn[3] = { "p", "q", "gamma" };
	double par[4] = { 0, 0, 0, 0 }, gp[3] = { 0, 0, 0 }, s[4];
	struct crm_fit_info info;
	int k;

	simulate(bg, gg);
	ok(crm_bgnbd_fit(sx, stx, sT, NULL, NSIM, par, &info) == CRM_FIT_OK,
	    "BG/NBD fit of simulated data converges");
	/*
	 * Tolerance: 4 standard errors from the observed information at the
	 * estimate. A maximum-likelihood estimate is asymptotically normal
	 * around the truth with these standard errors, so each check fails by
	 * chance with probability 6e-5; the seed is fixed, so the test is
	 * deterministic. A bias in the likelihood or the optimiser of more
	 * than a few per cent of a parameter fails it.
	 */
	se(4, par, bg_grad, s);
	for (k = 0; k < 4; k++)
		ok(fabs(par[k] - bg[k]) < 4 * s[k], "simulated BG/NBD %s: "
		    "%.4f, truth %.4f, standard error %.4f", bn[k], par[k],
		    bg[k], s[k]);
	ok(crm_gg_fit(rx, rm, NULL, nrep, gp, &info) == CRM_FIT_OK,
	    "Gamma-Gamma fit of %zu simulated repeat buyers converges", nrep);
	se(3, gp, gg_grad, s);
	for (k = 0; k < 3; k++)
		ok(fabs(gp[k] - gg[k]) < 4 * s[k], "simulated Gamma-Gamma %s: "
		    "%.4f, truth %.4f, standard error %.4f", gn[k], gp[k],
		    gg[k], s[k]);
}

static void test_degenerate(void)
{
	double par[4] = { 0, 0, 0, 0 }, gp[3] = { 0, 0, 0 };
	double zero[3] = { 0, 0, 0 }, T[3] = { 10, 20, 30 };
	double one[1] = { 1 }, neg[2] = { -5, 10 }, x2[2] = { 2, 3 };
	double big[4] = { 1e6, 1e-6, 1e6, 1e-6 };
	struct crm_fit_info info;
	int i, fine = 1;

	ok(crm_bgnbd_fit(NULL, NULL, NULL, NULL, 0, par, &info) ==
	    CRM_FIT_NODATA, "no customers: nothing to fit");
	crm_bgnbd_fit(zero, zero, T, NULL, 3, par, &info);
	ok(info.status != CRM_FIT_OK || isfinite(info.loglik),
	    "everyone bought once: no NaN (status %d)", info.status);
	for (i = 0; i < 4; i++)
		fine &= isfinite(par[i]) && par[i] > 0;
	ok(fine, "everyone bought once: the parameters stay finite");
	ok(crm_bgnbd_fit(zero, zero, zero, NULL, 3, par, &info) != CRM_FIT_OK ||
	    isfinite(info.loglik), "all on one day (T = 0): no NaN");
	ok(isnan(crm_gg_ll(gp, x2, neg, NULL, 2, NULL)) ||
	    crm_gg_fit(x2, neg, NULL, 2, gp, &info) != CRM_FIT_OK,
	    "negative mean spend is refused by the Gamma-Gamma likelihood");
	ok(crm_gg_fit(one, one, NULL, 0, gp, &info) == CRM_FIT_NODATA,
	    "Gamma-Gamma with no repeat buyers: nothing to fit");
	/* Extreme parameters and data: finite answers. */
	fine = 1;
	for (i = 0; i < 4; i++) {
		double p[4] = { 0.2, 4, 0.8, 2.4 };

		p[i] = big[i];
		fine &= isfinite(crm_bgnbd_palive(p, 1e5, 1, 1e4));
		fine &= isfinite(crm_bgnbd_expected(p, 1e5, 1, 1e4, 1e4));
		fine &= isfinite(crm_bgnbd_expected(p, 0, 0, 0, 52));
		fine &= isfinite(crm_bgnbd_expected(p, 3, 0, 1e-9, 1e6));
	}
	{
		double p[4] = { 0.2, 4, 1.0, 2.4 }, a, b;

		a = crm_bgnbd_expected(p, 2, 10, 30, 52);
		p[2] = 1.001;
		b = crm_bgnbd_expected(p, 2, 10, 30, 52);
		fine &= isfinite(a) && fabs(a - b) < 0.01;
	}
	ok(fine, "P(alive) and expected purchases are finite at extreme "
	    "parameters and data, and continuous at a = 1");
	{
		double p3[3] = { 2, 0.5, 10 };

		ok(crm_gg_expected(p3, 0, 0) == -1, "no population mean spend "
		    "when q <= 1");
	}
}

/*
 * test_sampled: a fit on more than 100,000 rows first fits a systematic
 * sample and then polishes on all rows; the result must be the optimum of
 * all rows all the same. CDNOW repeated 120 times without weights (282,840
 * BG/NBD rows, 113,520 Gamma-Gamma rows: both sampled) against CDNOW
 * once with weights 120 (not sampled): the same parameters to 1e-6 and
 * 120 times the log-likelihood.
 */
static void test_sampled(void)
{
	enum { REP = 120 };
	size_t n = (size_t)NCUST * REP, i, k, ng = 0, ng1 = 0;
	double *x = malloc(n * sizeof(double)), *tx = malloc(n * sizeof(double));
	double *T = malloc(n * sizeof(double)), *m = malloc(n * sizeof(double));
	double w[NCUST], gw[NCUST], gx1[NCUST], gm1[NCUST];
	double p1[4] = { 0, 0, 0, 0 }, pn[4] = { 0, 0, 0, 0 };
	double q1[3] = { 0, 0, 0 }, qn[3] = { 0, 0, 0 }, worst = 0;
	struct crm_fit_info i1, in;

	if (!ok(x && tx && T && m, "memory for the repeated CDNOW"))
		goto out;
	for (k = 0; k < REP; k++)
		for (i = 0; i < NCUST; i++) {
			x[k * NCUST + i] = cx[i];
			tx[k * NCUST + i] = ctx[i];
			T[k * NCUST + i] = cT[i];
			if (k == 0 && cx[i] > 0) {
				gx1[ng1] = cx[i];
				gm1[ng1] = cz[i];
				gw[ng1++] = REP;
			}
		}
	for (i = 0; i < NCUST; i++)
		w[i] = REP;
	crm_bgnbd_fit(cx, ctx, cT, w, NCUST, p1, &i1);
	crm_bgnbd_fit(x, tx, T, NULL, n, pn, &in);
	for (k = 0; k < 4; k++)
		worst = fmax(worst, fabs(pn[k] - p1[k]) / p1[k]);
	ok(i1.status == CRM_FIT_OK && in.status == CRM_FIT_OK &&
	    worst < 1e-6 && fabs(in.loglik - i1.loglik) < 1e-6 * fabs(i1.loglik),
	    "BG/NBD on %zu rows (sample first, %d iterations) = on %d "
	    "weighted rows (%d iterations): worst relative difference %.1e",
	    n, in.iterations, NCUST, i1.iterations, worst);
	/* the Gamma-Gamma rows: x in tx, m in m, now that BG/NBD is done */
	for (k = 0; k < REP; k++)
		for (i = 0; i < ng1; i++) {
			tx[ng] = gx1[i];
			m[ng++] = gm1[i];
		}
	crm_gg_fit(gx1, gm1, gw, ng1, q1, &i1);
	crm_gg_fit(tx, m, NULL, ng, qn, &in);
	for (worst = 0, k = 0; k < 3; k++)
		worst = fmax(worst, fabs(qn[k] - q1[k]) / q1[k]);
	ok(i1.status == CRM_FIT_OK && in.status == CRM_FIT_OK &&
	    worst < 1e-6 && fabs(in.loglik - i1.loglik) < 1e-6 * fabs(i1.loglik),
	    "Gamma-Gamma on %zu rows (sample first) = on %zu weighted rows: "
	    "worst relative difference %.1e", ng, ng1, worst);
out:
	free(x);
	free(tx);
	free(T);
	free(m);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];

	(void)argc;
	snprintf(self, sizeof(self), "%s", argv[0]);
	test_cdnow(dirname(self));
	test_pareto();
	test_pareto_integral();
	test_gg_scale();
	test_sampled();
	test_gradient();
	test_recovery();
	test_degenerate();
	(void)is_str;
	return done();
}
