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

/* A fitted model pair, as stored in the models table. */
struct crm_model {
	int64_t id;             /* models.id of the BG/NBD row, 0 if unstored */
	int64_t fitted_at, as_of;
	int period_days;
	double bg[4];           /* r, alpha, a, b */
	struct crm_fit_info bginfo;
	int has_gg;             /* 0: no spend model (no amounts, too few) */
	double gg[3];           /* p, q, gamma (currency units) */
	struct crm_fit_info gginfo;
	size_t customers, repeaters, spenders;
	double spend_corr;      /* correlation of x and mean spend */
	char warning[256];      /* "" or why a result should be read with care */
};

/* The fewest repeat buyers a fit accepts. */
#define CRM_FIT_MIN_REPEATERS 10

/*
 * crm_model_fit: fit both models on h. Fails with CRM_EDATA and a message
 * when there are no purchases, too few repeat buyers, or the BG/NBD fit
 * does not converge. The Gamma-Gamma model is skipped (has_gg 0, warning
 * set) when fewer than CRM_FIT_MIN_REPEATERS repeat buyers have a positive
 * mean spend; a correlation of |r| > 0.3 between frequency and spend, or a
 * parameter at its bound, sets warning. Returns 0 or -1.
 */
int crm_model_fit(struct crm_db *db, const struct crm_history *h,
    struct crm_model *m);

/* crm_model_store: insert m as two rows of models ("bgnbd", "gammagamma")
 * and set m->id. Returns 0 or -1. */
int crm_model_store(struct crm_db *db, struct crm_model *m);

/* crm_model_latest: the newest stored model: 1 with *m set, 0 if none,
 * -1 on error. */
int crm_model_latest(struct crm_db *db, struct crm_model *m);

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
	double p_alive, expected;       /* purchases in the horizon */
	double spend;           /* expected per purchase, currency; <0 none */
	double clv;             /* currency, discounted; <0 none */
	const char *churn;      /* "low", "medium", "high" */
	int64_t next;           /* Unix s of the expected next purchase, or
	                           CRM_NONE when the customer has likely left */
	const char *favourite, *band, *channel; /* NULL when undecided */
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
	int lasts_days;         /* the category's median repeat interval */
	size_t repeats;         /* intervals that median is taken from */
};

/*
 * crm_predict_due: call fn for every customer and category bought whose
 * due date (last purchase + the category's median interval between repeat
 * purchases, over all customers) falls in [as_of - that interval,
 * as_of + within_days]. Categories with fewer than 3 observed intervals
 * have no due date. Returns 0, fn's non-zero, or -1 (message on db).
 */
int crm_predict_due(struct crm_db *db, struct crm_history *h,
    int within_days, int (*fn)(const struct crm_due *d, void *arg),
    void *arg);

#endif
