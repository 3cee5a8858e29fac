/* predict_int.h: what the files of crm-predict's engine share
 * (predict_load.c, predict_fit.c, predict_score.c, predict_store.c,
 * predict_due.c) and nothing else sees: the purchase history in compact
 * arrays, and a few helpers. */
#ifndef CRM_PREDICT_INT_H
#define CRM_PREDICT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "predict.h"

/* One purchase: its day, amount (cents), category (index into cats, 0 =
 * none) and quantity (saturated at QTY_MAX), with PEV_DISC set in qty when
 * the purchase had a discount. 16 bytes. */
struct pev {
	int32_t day;
	uint16_t cat;
	uint16_t qty;
	int64_t cents;
};

#define PEV_DISC 0x8000u
#define QTY_MAX 0x7fff

/* One campaign event of a customer. */
struct cev {
	uint32_t ci;
	uint16_t chan;
	uint16_t resp;
};

/* Interned strings: categories and channels. Index 0 is "" (none). */
struct intern {
	char **s;
	size_t n, cap, max;
	uint32_t *slot;         /* open addressing, index + 1, 0 empty */
	size_t nslot;
};

/* The model values of one distinct (x, recency, T). */
struct tri {
	double x, tx, T;
	uint32_t xi, Td;        /* x, and T in days */
	double w;               /* customers */
	double pa, e, disc;     /* P(alive), E[purchases in horizon], CLV factor */
	double pb;              /* P(a purchase in the horizon) */
	double wait;            /* periods to the median next purchase, or -1 */
};

struct crm_history {
	struct crm_history_opts o;
	long off;               /* seconds east of UTC */
	int32_t endday, holdday;
	size_t n;               /* customers */
	int64_t *id;
	char **ref;
	uint32_t *off_ev;       /* n + 1: events of customer i */
	struct pev *ev;
	size_t nev;
	int32_t *first, *last;  /* calibration; first INT32_MAX when none */
	int32_t *x, *hold;
	int64_t *fspend, *rspend;       /* cents of the first day, of the rest */
	uint32_t *tri_of;       /* customer -> triple */
	struct tri *tri;
	size_t ntri;
	struct cev *cev;
	size_t ncev;
	uint32_t *off_cev;
	struct intern cats, chans;
	/* prepared for scoring */
	const struct crm_model *m;
	double horizon;
	double *catshare;       /* population share of purchases per category */
	float *cut1, *cut2;     /* price thirds per category */
	double *chrate;         /* population response rate per channel */
	int32_t discday;        /* first day of a discount, INT32_MAX: none */
	double discshare;       /* population share of purchases on discount */
	int prepared;
};

/* crm__midnight: Unix time of the local midnight starting day d. */
static inline int64_t crm__midnight(const struct crm_history *h, int32_t d)
{
	return (int64_t)d * 86400 - h->off;
}

/* crm__oom: the handle's error "out of memory" (CRM_EFAIL); -1. */
static inline int crm__oom(struct crm_db *db)
{
	return crm__error(db, CRM_EFAIL, "out of memory");
}

/*
 * crm__threads (predict_load.c): 2 when work may run beside other
 * work (two processors online and it is worth a second thread), else 1;
 * $CRM_PREDICT_THREADS (1 or 2) says so whatever the work, for tests.
 */
int crm__threads(int worth);

/* crm__both (predict_load.c): fa(a) and fb(b), at once (fb in a
 * thread of its own) when threads allow, else one after the other. They
 * must not write what the other reads or writes, nor use a connection. */
void crm__both(void (*fa)(void *), void *a, void (*fb)(void *),
    void *b);

/* crm__grow (predict_load.c): make room for one more element in
 * *pp (an array of *cap elements of sz bytes, n used): 0, or -1 when out
 * of memory (*pp unchanged). */
int crm__grow(void *pp, size_t *cap, size_t n, size_t sz);

/*
 * crm__churn_class (predict_score.c): the churn risk of a customer
 * expected to buy e times in the horizon: "high", "medium" or "low".
 */
const char *crm__churn_class(double e);

#endif
