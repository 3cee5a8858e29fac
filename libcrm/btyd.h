/* btyd.h: "buy till you die" models as pure functions over arrays: the
 * BG/NBD model of repeat purchases and dropout (Fader, Hardie and Lee 2005),
 * the MBG/NBD and Pareto/NBD models (pnbd.c) and the Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee
 * 2005, JMR; Colombo and Jiang 1999): log-likelihoods with analytic
 * gradients, maximum-likelihood fits, and the conditional expectations that
 * scoring needs. Nothing here touches the database, allocates per call
 * beyond small tables, prints or exits. */
#ifndef CRM_BTYD_H
#define CRM_BTYD_H

#include <stddef.h>

/* BG/NBD parameters, in this order in a double[4]: r, alpha (purchase rate
 * ~ Gamma(r, alpha), alpha in periods), a, b (dropout probability after
 * each purchase ~ Beta(a, b)). */
enum { CRM_BG_R, CRM_BG_ALPHA, CRM_BG_A, CRM_BG_B, CRM_BG_NPAR };

/* Gamma-Gamma parameters in a double[3]: p (shape of spend per purchase),
 * q and gamma (the customer's scale ~ Gamma(q, gamma)). */
enum { CRM_GG_P, CRM_GG_Q, CRM_GG_GAMMA, CRM_GG_NPAR };

/* Bounds of every parameter during a fit; a fitted value closer than 1 % to
 * one of them is reported as CRM_FIT_BOUND. */
#define CRM_BTYD_PMIN 1e-6
#define CRM_BTYD_PMAX 1e6

/* The outcome of a fit. */
enum crm_fit_status {
	CRM_FIT_OK = 0,
	CRM_FIT_MAXITER,        /* no convergence within the iteration limit */
	CRM_FIT_BOUND,          /* converged, but a parameter sits at a bound */
	CRM_FIT_NUMERIC,        /* the likelihood was not finite at the start */
	CRM_FIT_NODATA          /* nothing to fit (no rows, zero weight) */
};

struct crm_fit_info {
	double loglik;          /* at the returned parameters (weighted sum) */
	double gmax;            /* largest |d mean loglik / d log parameter| */
	int iterations;
	int evaluations;
	enum crm_fit_status status;
};

/*
 * crm_bgnbd_ll: the BG/NBD log-likelihood of n customers (FHL 2005 eq. 6,
 * which needs no hypergeometric function): x[i] repeat purchases (an
 * integer >= 0), tx[i] the time of the last purchase and T[i] the time of
 * the end of observation, both since the first purchase (0 <= tx <= T),
 * w[i] a weight (how many customers share these values; w NULL means 1).
 * par: r, alpha, a, b, all > 0. When grad is not NULL it receives the
 * gradient with respect to the four parameters. Returns the sum, or -inf /
 * NaN for parameters or data outside the domain.
 */
double crm_bgnbd_ll(const double par[4], const double *x, const double *tx,
    const double *T, const double *w, size_t n, double grad[4]);

/*
 * crm_gg_ll: the Gamma-Gamma log-likelihood of the mean spend m[i] > 0 of
 * x[i] >= 1 repeat purchases (the density of the average, JMR 2005), with
 * weights w (NULL: 1). par: p, q, gamma > 0; grad as above.
 */
double crm_gg_ll(const double par[3], const double *x, const double *m,
    const double *w, size_t n, double grad[3]);

/*
 * crm_bgnbd_fit / crm_gg_fit: maximum-likelihood estimates. par holds the
 * starting values on entry (any value <= 0 or not finite: the defaults
 * derived from the data) and the estimates on return. The optimiser is BFGS
 * on the logarithms of the parameters (so they stay positive), with the
 * analytic gradient, a backtracking Armijo line search and the box
 * [CRM_BTYD_PMIN, CRM_BTYD_PMAX] (for the Gamma-Gamma gamma, in units of
 * the mean spend m: p and q do not depend on the currency's unit, gamma
 * scales with it, and the log-likelihood is that of m in its own unit);
 * on more than 100,000 rows it first fits
 * a systematic sample of 25,000 and starts from that estimate (btyd.c).
 * info receives the log-likelihood and the diagnostics (may be NULL;
 * iterations and evaluations count the sample's too). Returns info's
 * status: CRM_FIT_OK or a reason.
 */
enum crm_fit_status crm_bgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info);
enum crm_fit_status crm_gg_fit(const double *x, const double *m,
    const double *w, size_t n, double par[3], struct crm_fit_info *info);

/*
 * crm_bgnbd_palive: probability that a customer with (x, tx, T) is still
 * active at T (FHL 2008 note "Computing P(alive)"): 1 when x = 0.
 */
double crm_bgnbd_palive(const double par[4], double x, double tx, double T);

/*
 * crm_bgnbd_expected: expected number of purchases in (T, T + t] of a
 * customer with (x, tx, T) (FHL 2005 eq. 10, with the Gauss hypergeometric
 * function by its series). Finite and >= 0 for valid parameters.
 */
double crm_bgnbd_expected(const double par[4], double x, double tx,
    double T, double t);

/*
 * crm_bgnbd_expected_active: the same for a customer with x repeat
 * purchases and age T who is known to be active at T; it does not depend
 * on the recency. crm_bgnbd_expected = this * crm_bgnbd_palive, so that
 * scoring computes the series once per distinct (x, T).
 */
double crm_bgnbd_expected_active(const double par[4], double x, double T,
    double t);

/*
 * crm_gg_expected: expected spend per purchase of a customer whose x >= 1
 * repeat purchases averaged m (JMR 2005 eq. 5); for x = 0 the population
 * mean p gamma / (q - 1). Returns -1 when that mean does not exist (q <= 1).
 */
double crm_gg_expected(const double par[3], double x, double m);

/* ---- Pareto/NBD and MBG/NBD (pnbd.c) ------------------------------------
 *
 * The three purchase models, by number, and their parameters in a
 * double[4]: BG/NBD and MBG/NBD r, alpha, a, b (as above); Pareto/NBD r,
 * alpha (purchase rate ~ Gamma(r, alpha)), s, beta (dropout rate ~
 * Gamma(s, beta)). */
enum { CRM_BTYD_BGNBD, CRM_BTYD_MBGNBD, CRM_BTYD_PARETO, CRM_BTYD_NKIND };

/* crm_btyd_name: "bgnbd", "mbgnbd", "pareto"; NULL for another number.
 * crm_btyd_kind: the number of such a name, or -1. */
const char *crm_btyd_name(int kind);
int crm_btyd_kind(const char *name);

/*
 * crm_pnbd_ll: the Pareto/NBD log-likelihood (Fader, Hardie and Lee 2005
 * note "Deriving the Pareto/NBD model", eq. 19-22) of n customers as for
 * crm_bgnbd_ll; its Gauss hypergeometric term by a series or, near its
 * singular point, by tanh-sinh quadrature, in logarithms (pnbd.c), with
 * its analytic gradient.
 * crm_mbgnbd_ll: the MBG/NBD log-likelihood (Batislam, Denizel and
 * Filiztekin 2007), analytic gradient. NaN outside the domain.
 */
double crm_pnbd_ll(const double par[4], const double *x, const double *tx,
    const double *T, const double *w, size_t n, double grad[4]);
double crm_mbgnbd_ll(const double par[4], const double *x, const double *tx,
    const double *T, const double *w, size_t n, double grad[4]);

/*
 * crm_pnbd_logD: log of int_u1^u2 (alpha+t)^-(r+x) (beta+t)^-(s+1) dt, the
 * term of the Pareto/NBD likelihood of a customer who died between the
 * last purchase u1 and the end u2; -inf when u2 <= u1.
 */
double crm_pnbd_logD(const double par[4], double x, double u1, double u2);

/* crm_pnbd_fit, crm_mbgnbd_fit: as crm_bgnbd_fit; but the Pareto/NBD,
 * whose likelihood costs far more, is fitted on a sample alone when there
 * are more than 100,000 rows (its log-likelihood is all rows' at the
 * sample's estimate). */
enum crm_fit_status crm_pnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info);
enum crm_fit_status crm_mbgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info);

/* P(alive) and the expected purchases in (T, T+t] of an active customer
 * (the expectation is this times P(alive)), as for the BG/NBD. */
double crm_pnbd_palive(const double par[4], double x, double tx, double T);
double crm_mbgnbd_palive(const double par[4], double x, double tx, double T);
double crm_pnbd_expected_active(const double par[4], double x, double T,
    double t);
double crm_mbgnbd_expected_active(const double par[4], double x, double T,
    double t);

/* The same for any of the three models, by kind. crm_btyd_ll has no
 * gradient; crm_btyd_fit does at most maxit iterations (0: as many as
 * the others). */
double crm_btyd_ll(int kind, const double par[4], const double *x,
    const double *tx, const double *T, const double *w, size_t n);
enum crm_fit_status crm_btyd_fit(int kind, const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info, int maxit);
double crm_btyd_palive(int kind, const double par[4], double x, double tx,
    double T);
double crm_btyd_expected_active(int kind, const double par[4], double x,
    double T, double t);

/*
 * crm_btyd_pbuy_active: the probability that a customer active at T with
 * x repeat purchases buys at least once in (T, T+t]; times P(alive), the
 * probability of a purchase in the horizon.
 */
double crm_btyd_pbuy_active(int kind, const double par[4], double x,
    double T, double t);

/*
 * crm_btyd_wait: the time t <= tmax after T by which an active customer
 * has bought with probability q (0 < q < 1), or -1 when that takes longer
 * than tmax. With q = 0.5 / P(alive), the median wait of a customer who
 * may have left.
 */
double crm_btyd_wait(int kind, const double par[4], double x, double T,
    double q, double tmax);

/* crm_digamma: the digamma function psi(x) = d ln Gamma(x) / dx, x > 0. */
double crm_digamma(double x);

/* crm_hyp2f1: Gauss's hypergeometric function 2F1(a, b; c; z) for
 * 0 <= z < 1 and c > 0 by its power series. */
double crm_hyp2f1(double a, double b, double c, double z);

#endif
