/* predict.h: predictions from the purchase history: reading it into a
 * compact per-customer summary, fitting and storing the BG/NBD and
 * Gamma-Gamma models (btyd.h), and scoring customers: P(alive), expected
 * purchases and spend, CLV, churn risk, next purchase, favourite category,
 * price band, discount buying, preferred channel, and when each bought
 * category is due. */
#ifndef CRM_PREDICT_H
#define CRM_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "btyd.h"

struct crm_db;

/* What to read. Days are local calendar days (the UTC offset at as_of). */
struct crm_history_opts {
	int64_t as_of;          /* end of observation (Unix s), its day included */
	int64_t holdout_end;    /* check: purchases in (as_of, holdout_end]
	                           count as holdout; 0 for none */
	int period_days;        /* 7 (weeks, the default) or 1 */
};

struct crm_history;

/*
 * crm_history_load: read every purchase (and campaign_sent/response) up to
 * the end into memory: per customer the repeat purchases x (distinct
 * purchase days - 1), recency and age T since the first purchase in
 * periods, spend per day, categories, prices and campaign answers. Memory
 * is about 12 bytes per purchase and 100 per customer, and 16 more per
 * purchase while reading. Large tables are read in two parts at once (two
 * connections, two threads) when two processors are online. Returns 0
 * with *out set (caller frees with crm_history_free), or -1 (message on
 * db).
 */
int crm_history_load(struct crm_db *db, const struct crm_history_opts *o,
    struct crm_history **out);

/* crm_history_free: NULL is a no-op. */
void crm_history_free(struct crm_history *h);

/* crm_history_customers: how many customers bought before the end. */
size_t crm_history_customers(const struct crm_history *h);

/* A fitted purchase model with its spend model, as stored in the models
 * table. */
struct crm_model {
	int64_t id;             /* models.id of the purchase model's row, 0
	                           if unstored */
	int64_t fitted_at, as_of;
	int period_days;
	int kind;               /* CRM_BTYD_BGNBD, _MBGNBD, _PARETO (btyd.h);
	                           -1: none (too few repeat buyers) */
	double par[4];          /* its parameters (btyd.h) */
	struct crm_fit_info info;
	int has_gg;             /* 0: no spend model (no amounts, too few) */
	double gg[3];           /* p, q, gamma (currency units) */
	struct crm_fit_info gginfo;
	size_t customers, repeaters, spenders;
	double spend_corr;      /* correlation of x and mean spend */
	char choice[512];       /* "" or how auto chose the kind, and why */
	char warning[1024];     /* "" or lines, each a reason to read a
	                           result with care */
};

/* The fewest repeat buyers a fit accepts. */
#define CRM_FIT_MIN_REPEATERS 10

/* crm_model_fit's kind that compares the three on the history's own later
 * purchases. */
#define CRM_MODEL_AUTO (-1)

/*
 * crm_model_fit: fit a purchase model of kind (btyd.h's CRM_BTYD_*, or
 * CRM_MODEL_AUTO) and the Gamma-Gamma spend model on h. Auto fits each
 * kind on a sample of the customers' purchases up to a split day (the
 * last third of the history, at most a year, is held out), predicts the
 * purchases after it, and takes the kind with the smallest per-customer
 * error among those that rank the buyers of the held-out part within 0.01
 * of the best (AUC); m->choice says which and why. Fails with CRM_EDATA
 * and a message when there are no purchases, too few repeat buyers, or the
 * fit does not converge. The Gamma-Gamma model is skipped (has_gg 0, a
 * warning) when fewer than CRM_FIT_MIN_REPEATERS repeat buyers have a
 * positive mean spend; a correlation of |r| > 0.3 between frequency and
 * spend, or a parameter at its bound, adds a warning. Returns 0 or -1.
 */
int crm_model_fit(struct crm_db *db, const struct crm_history *h, int kind,
    struct crm_model *m);

/* crm_model_none: m for scoring without a purchase model (kind -1): the
 * scores that need none (favourite, price band, channel ...) only. */
void crm_model_none(const struct crm_history *h, struct crm_model *m);

/* crm_model_store: insert m as its rows of models (the purchase model's
 * kind, "gammagamma") and set m->id. Returns 0 or -1. */
int crm_model_store(struct crm_db *db, struct crm_model *m);

/* crm_model_latest: the newest stored model: 1 with *m set, 0 if none,
 * -1 on error. */
int crm_model_latest(struct crm_db *db, struct crm_model *m);

/* How the three kinds do on a holdout (crm_predict_check). */
struct crm_check_model {
	int ok;                 /* fitted */
	double par[4];
	double loglik;
	double pred[9];         /* mean predicted holdout purchases by
	                           calibration repeats 0..6, 7+; [8] total */
	double rmse;            /* per customer, of the holdout purchases */
	double auc_alive, auc_expected, auc_buy; /* ranking of holdout buyers */
	double low, medium, high;       /* share of each churn class that
	                                   bought in the holdout */
	size_t nlow, nmedium, nhigh;
};

struct crm_check {
	size_t n[9];            /* customers by calibration repeats, total */
	double act[9];          /* mean actual holdout purchases; [8] sum */
	double auc_recency;     /* ranking by days since the last purchase */
	struct crm_check_model mod[CRM_BTYD_NKIND];
	int chosen;             /* the kind auto would take */
	char choice[512];
};

/*
 * crm_predict_check: fit the three kinds on h (loaded with a holdout:
 * crm_history_opts.holdout_end) and judge them on the holdout, its length
 * the horizon. Returns 0 or -1 (message on db).
 */
int crm_predict_check(struct crm_db *db, const struct crm_history *h,
    struct crm_check *c);

/* How to score. */
struct crm_score_opts {
	double horizon;         /* in periods of the history */
	double discount;        /* per year, e.g. 0.1 */
};

/* One customer's scores. Strings are borrowed from the history. */
struct crm_score {
	int64_t customer_id;
	const char *ref;
	int bought;             /* 0: no purchase before the end: rest empty */
	double x, recency, T;   /* periods */
	double p_alive, expected;       /* purchases in the horizon; NaN
	                                   without a purchase model */
	double p_buy;           /* P(a purchase in the horizon); NaN as above */
	double spend;           /* expected per purchase, currency; <0 none */
	double clv;             /* currency, discounted; <0 none */
	const char *churn;      /* "low", "medium", "high"; NULL without a
	                           purchase model */
	int64_t next;           /* Unix s of the median next purchase, or
	                           CRM_NONE when it is not likely within the
	                           horizon */
	const char *favourite, *band, *channel; /* NULL when undecided */
	double favourite_share; /* of the customer's purchases; <0 none */
	const char *discount;   /* "yes": buys mostly on discount, "no", or
	                           NULL when undecided (no discounts known) */
	double discount_share;  /* the blended share behind it; <0 undecided */
	char evidence[320];
	double holdout;         /* check: purchase days after the end */
};

/*
 * crm_predict_prepare: the per-history tables scoring needs (category
 * shares and price thirds, channel response rates, the share of purchases
 * on discount, and the model values
 * of each distinct (x, recency, T)). Call once before crm_predict_score.
 * Returns 0 or -1 (out of memory, message on db).
 */
int crm_predict_prepare(struct crm_db *db, struct crm_history *h,
    const struct crm_model *m, const struct crm_score_opts *so);

/* crm_predict_count: customers in h (with or without purchases). */
size_t crm_predict_count(const struct crm_history *h);

/* crm_predict_score: score the i-th customer of h (0 <= i < count).
 * crm_predict_find: the index of customer id, or -1. */
void crm_predict_score(const struct crm_history *h, size_t i,
    struct crm_score *s);
long crm_predict_find(const struct crm_history *h, int64_t customer_id);

/*
 * Storing scores in the predictions table, beside scoring (a thread of its
 * own inserts the rows while the caller scores the next ones).
 * crm_predict_store_begin starts a store on db in a transaction of its
 * own, the table cleared when all is set (a full run), and returns it (the
 * caller's, until end or free), or NULL. Until then db is the store's: the
 * caller does not use it. put inserts or replaces the row of score s (one
 * that bought). end commits (the audit entry with it) and frees the store;
 * free abandons one (NULL is a no-op; the caller rolls db back). put and
 * end return 0 or -1; every failure leaves the message on db.
 */
struct crm_predict_store;
struct crm_predict_store *crm_predict_store_begin(struct crm_db *db,
    int all);
int crm_predict_store_put(struct crm_predict_store *ps,
    const struct crm_model *m, const struct crm_score *s, int64_t now);
int crm_predict_store_end(struct crm_predict_store *ps);
void crm_predict_store_free(struct crm_predict_store *ps);

/* One row of crm_predict_due. Strings borrowed from the history. */
struct crm_due {
	int64_t customer_id;
	const char *ref, *category;
	int64_t last, due;      /* Unix s (local midnight) */
	int lasts_days;         /* the interval expected for this customer
	                           and category */
	size_t repeats;         /* the customer's own intervals behind it */
	double p;               /* probability of buying it in the window */
};

/*
 * crm_predict_due: call fn for every customer and category bought that
 * the customer buys again within within_days after the end with a chance
 * p of 0.3 or more, after crm_predict_prepare (whose model gives
 * P(alive); without one, it counts as 1). How long a category lasts for
 * a customer is estimated on the log scale: the category's mean interval
 * between two purchases of one customer, shrunk toward the customer's own
 * intervals by their number and their own spread against the spread
 * between customers (empirical Bayes); the next interval is log-normal
 * around it; after each purchase the customer may stop buying the
 * category (with the chance of the category's customers per purchase);
 * p = P(alive) P(the next purchase falls in the window | none since the
 * last). Categories with fewer than 3 intervals have no due date.
 * Returns 0, fn's non-zero, or -1 (message on db).
 */
int crm_predict_due(struct crm_db *db, struct crm_history *h,
    int within_days, int (*fn)(const struct crm_due *d, void *arg),
    void *arg);

/* A backtest of the due list (crm_predict_due_check). */
struct crm_due_check {
	size_t positives;       /* customer-category pairs bought in the
	                           window, of categories bought before */
	size_t listed[3];       /* due list, naive rule, expected purchases */
	size_t hits[3];
	int have[3];            /* 0: the method could not be applied */
};

/*
 * crm_predict_due_check: the due list of h (loaded with a holdout, and
 * prepared with the window as the horizon) against the purchases of the
 * window after the end, and at the same list size: the naive rule (due
 * at the last purchase plus the customer's own mean interval of the
 * category; pairs ranked by how far that lies from the middle of the
 * window) and the
 * expected purchases in the window times the category's share of the
 * customer's purchases. Returns 0 or -1 (message on db).
 */
int crm_predict_due_check(struct crm_db *db, struct crm_history *h,
    int within_days, struct crm_due_check *dc);

#endif
