/* btyd_int.h: what btyd.c shares with pnbd.c and nothing else sees: the
 * optimiser over log-parameters and the sampling rule of large fits. */
#ifndef CRM_BTYD_INT_H
#define CRM_BTYD_INT_H

#include <stddef.h>

#include "btyd.h"

/* An objective for the optimiser: the log-likelihood at par (k values),
 * and its gradient in grad when grad is not NULL. */
typedef double (*crm__llfn)(const double *par, const void *data,
    double *grad);

/*
 * crm__btyd_fit: maximise fn over d (total weight W, k <= 4 parameters)
 * by BFGS on theta = log(par), from theta; first on the sample ds (fn_s,
 * W_s) when ds is not NULL, then on all rows from the sample's estimate;
 * at most maxit iterations each (0: 300). theta receives the estimate,
 * info the outcome (btyd.c). Returns info->status.
 */
enum crm_fit_status crm__btyd_fit(crm__llfn fn, const void *d, double W,
    crm__llfn fn_s, const void *ds, double W_s, int k, double *theta,
    struct crm_fit_info *info, int maxit);

/* crm__bgnbd_fit: crm_bgnbd_fit with at most maxit iterations (0: the
 * default). */
enum crm_fit_status crm__bgnbd_fit(const double *x, const double *tx,
    const double *T, const double *w, size_t n, double par[4],
    struct crm_fit_info *info, int maxit);

/* crm__lngamma: ln |Gamma(x)| without touching the global signgam. */
double crm__lngamma(double x);

/* crm__btyd_xmax: the largest x if all x are integers in [0, 1,000,000]
 * (per-x tables can be used), else -1. */
long crm__btyd_xmax(const double *x, size_t n);

/* Fits on more rows than CRM__SAMPLE_MIN first fit every step-th row,
 * step = rows / CRM__SAMPLE_ROWS. */
#define CRM__SAMPLE_MIN 100000
#define CRM__SAMPLE_ROWS 25000

#endif
