#!/usr/bin/python3
# bgnbd-ref.py: a plain reference implementation of the BG/NBD and
# Gamma-Gamma likelihoods (FHL 2005) with SciPy (Debian python3-scipy), fitted
# on the CDNOW sample, to compare with crm-predict fit. Not part of the build.
#   scripts/bgnbd-ref.py [tests/data/predict/CDNOW_sample.txt]
import sys, time, datetime
import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/predict/CDNOW_sample.txt"
cal = datetime.date(1997, 9, 30)
days = {}
for line in open(path):
    f = line.split()
    if len(f) != 5:
        continue
    d = datetime.date(int(f[2][:4]), int(f[2][4:6]), int(f[2][6:]))
    if d > cal:
        continue
    days.setdefault(f[1], {}).setdefault(d, 0.0)
    days[f[1]][d] += float(f[4])
x, tx, T, xs, ms = [], [], [], [], []
for c, dd in days.items():
    ds = sorted(dd)
    x.append(len(ds) - 1)
    tx.append((ds[-1] - ds[0]).days / 7)
    T.append((cal - ds[0]).days / 7)
    if len(ds) > 1:
        xs.append(len(ds) - 1)
        ms.append(sum(dd[d] for d in ds[1:]) / (len(ds) - 1))
x, tx, T, xs, ms = map(np.array, (x, tx, T, xs, ms))

def bg_nll(lp):
    r, al, a, b = np.exp(lp)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(al)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(al + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                  - (r + x) * np.log(al + tx), -np.inf)
    return -np.sum(A1 + A2 + np.logaddexp(A3, A4))

def gg_nll(lp):
    p, q, g = np.exp(lp)
    px = p * xs
    return -np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
                   + (px - 1) * np.log(ms) + px * np.log(xs)
                   - (px + q) * np.log(g + xs * ms))

t0 = time.perf_counter()
bg = minimize(bg_nll, np.zeros(4), method="Nelder-Mead",
              options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000})
t1 = time.perf_counter()
gg = minimize(gg_nll, np.zeros(3), method="Nelder-Mead",
              options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000})
t2 = time.perf_counter()
print("bgnbd r=%.4f alpha=%.4f a=%.4f b=%.4f loglik=%.2f (%d evaluations, %.3f s)"
      % (*np.exp(bg.x), -bg.fun, bg.nfev, t1 - t0))
print("gammagamma p=%.4f q=%.4f gamma=%.4f loglik=%.2f (%d evaluations, %.3f s)"
      % (*np.exp(gg.x), -gg.fun, gg.nfev, t2 - t1))
