/* predict.c: reading the purchase history into compact arrays, fitting and
 * storing the models, and scoring customers. See predict.h. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "event.h"
#include "predict.h"
#include "util.h"
#include "value.h"

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

/* ---- interning --------------------------------------------------------- */

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* intern_get: the index of s, added if new; 0 for NULL/"" or when the
 * table is full (then the value is lumped with "none"); -1 out of memory. */
static long intern_get(struct intern *t, const char *s)
{
	uint32_t h;
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	if (t->nslot == 0 || (t->n + 1) * 2 > t->nslot) {
		size_t ns = t->nslot ? t->nslot * 2 : 64, k;
		uint32_t *sl = calloc(ns, sizeof(*sl));

		if (sl == NULL)
			return -1;
		for (k = 1; k < t->n; k++) {
			i = hash(t->s[k]) & (ns - 1);
			while (sl[i])
				i = (i + 1) & (ns - 1);
			sl[i] = (uint32_t)k + 1;
		}
		free(t->slot);
		t->slot = sl;
		t->nslot = ns;
	}
	h = hash(s);
	for (i = h & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1))
		if (strcmp(t->s[t->slot[i] - 1], s) == 0)
			return t->slot[i] - 1;
	if (t->n >= t->max)
		return 0;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **ns = realloc(t->s, nc * sizeof(*ns));

		if (ns == NULL)
			return -1;
		t->s = ns;
		t->cap = nc;
	}
	if ((t->s[t->n] = strdup(s)) == NULL)
		return -1;
	t->slot[i] = (uint32_t)t->n + 1;
	return (long)t->n++;
}

static int intern_init(struct intern *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	if ((t->s = malloc(16 * sizeof(*t->s))) == NULL ||
	    (t->s[0] = strdup("")) == NULL)
		return -1;
	t->cap = 16;
	t->n = 1;
	return 0;
}

static void intern_free(struct intern *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slot);
}

/* ---- loading ----------------------------------------------------------- */

void crm_history_free(struct crm_history *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->ref)
		for (i = 0; i < h->n; i++)
			free(h->ref[i]);
	free(h->ref);
	free(h->id);
	free(h->off_ev);
	free(h->ev);
	free(h->first);
	free(h->last);
	free(h->x);
	free(h->hold);
	free(h->fspend);
	free(h->rspend);
	free(h->tri_of);
	free(h->tri);
	free(h->cev);
	free(h->off_cev);
	free(h->catshare);
	free(h->cut1);
	free(h->cut2);
	free(h->chrate);
	intern_free(&h->cats);
	intern_free(&h->chans);
	free(h);
}

size_t crm_history_customers(const struct crm_history *h)
{
	size_t i, k = 0;

	for (i = 0; i < h->n; i++)
		k += h->first[i] != INT32_MAX;
	return k;
}

size_t crm_predict_count(const struct crm_history *h)
{
	return h->n;
}

/* dayof: the local day number of Unix time t. */
static int32_t dayof(const struct crm_history *h, int64_t t)
{
	int64_t s = t + h->off;

	return (int32_t)((s >= 0 ? s : s - 86399) / 86400);
}

/* midnight: Unix time of the local midnight starting day d. */
static int64_t midnight(const struct crm_history *h, int32_t d)
{
	return (int64_t)d * 86400 - h->off;
}

static int oom(struct crm_db *db)
{
	return crm__error(db, CRM_EFAIL, "out of memory");
}

/*
 * threads: 2 when work may run beside other work (two processors online
 * and it is worth a second thread), else 1; $CRM_PREDICT_THREADS (1 or 2)
 * says so whatever the work, for tests.
 */
static int threads(int worth)
{
	const char *env = getenv("CRM_PREDICT_THREADS");

	if (env && *env)
		return atoi(env) > 1 ? 2 : 1;
	return worth && sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
}

struct job {
	void (*fn)(void *);
	void *arg;
};

static void *job_run(void *p)
{
	struct job *j = p;

	j->fn(j->arg);
	return NULL;
}

/* both: fa(a) and fb(b), at once (fb in a thread of its own) when threads
 * allow, else one after the other. They must not write what the other
 * reads or writes, nor use a connection. */
static void both(void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
	struct job j = { fb, b };
	pthread_t th;

	if (threads(1) > 1 && pthread_create(&th, NULL, job_run, &j) == 0) {
		fa(a);
		pthread_join(th, NULL);
		return;
	}
	fa(a);
	fb(b);
}

/* grow: make room for one more element in *p (size *cap of sz bytes). */
static int grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void **p = pp, *np;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap + *cap / 2 : 1024;
	if ((np = realloc(*p, nc * sz)) == NULL)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

static int cmp_pev(const void *a, const void *b)
{
	const struct pev *x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}

static int cmp_cev(const void *a, const void *b)
{
	const struct cev *x = a, *y = b;

	return (x->ci > y->ci) - (x->ci < y->ci);
}

/* index_of: the customer index of id, or -1: a direct map when ids are
 * dense enough, else binary search in h->id (ascending). */
struct idmap {
	int32_t *map;
	int64_t max;
};

/* lower_bound: the first index of ascending v[0..n) whose value is at
 * least key (n if none). */
static size_t lower_bound(const int64_t *v, size_t n, int64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static long index_of(const struct crm_history *h, const struct idmap *im,
    int64_t id)
{
	size_t i;

	if (im->map)
		return id >= 0 && id <= im->max ? im->map[id] : -1;
	i = lower_bound(h->id, h->n, id);
	return i < h->n && h->id[i] == id ? (long)i : -1;
}

static int load_customers(struct crm_db *db, struct crm_history *h)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc, bad = 0;

	if ((st = crm__prepare(db, "SELECT id, ref FROM customers "
	    "WHERE erased_at IS NULL ORDER BY id")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t c2 = cap;

		if (grow(&h->id, &cap, h->n, sizeof(*h->id)) == -1 ||
		    grow(&h->ref, &c2, h->n, sizeof(*h->ref)) == -1) {
			bad = 1;
			break;
		}
		h->id[h->n] = sqlite3_column_int64(st, 0);
		h->ref[h->n] = crm__col_text(st, 1, &bad);
		if (bad)
			break;
		h->n++;
	}
	if (!bad && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		crm__sqlerr(db, "cannot read customers");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return bad ? oom(db) : 0;
}

/*
 * Purchases arrive in table order, customers mixed. They are put in
 * customer order without a sort of the whole array, and without a random
 * access per purchase to arrays as large as the customers (each would miss
 * the cache): while reading, each purchase is appended to the bucket of
 * its key >> shift, a few hundred buckets in all, where the key is the
 * customer id when ids map directly to indexes (else the index found by
 * binary search); indexes grow with ids, so a bucket holds a range of
 * customers. Then, bucket by bucket (each a region small enough for the
 * cache), keys become indexes and customers' purchases are counted, which
 * gives each customer's place in the final array, and the buckets are
 * spread into it.
 */
struct pevc {
	struct pev e;
	uint32_t key;
};

struct buckets {
	unsigned shift;
	size_t nb;
	struct pevc **b;
	size_t *len, *cap;
};

static void buckets_free(struct buckets *bk)
{
	size_t i;

	for (i = 0; i < bk->nb && bk->b; i++)
		free(bk->b[i]);
	free(bk->b);
	free(bk->len);
	free(bk->cap);
	memset(bk, 0, sizeof(*bk));
}

/* buckets_init: buckets for keys in [0, nkeys). */
static int buckets_init(struct buckets *bk, size_t nkeys)
{
	memset(bk, 0, sizeof(*bk));
	bk->shift = 12;         /* 4,096 customers, some 40,000 purchases */
	while ((nkeys >> bk->shift) >= 1024)
		bk->shift++;
	bk->nb = (nkeys >> bk->shift) + 1;
	if ((bk->b = calloc(bk->nb, sizeof(*bk->b))) == NULL ||
	    (bk->len = calloc(bk->nb, sizeof(*bk->len))) == NULL ||
	    (bk->cap = calloc(bk->nb, sizeof(*bk->cap))) == NULL) {
		buckets_free(bk);
		return -1;
	}
	return 0;
}

/*
 * One share of the scan of the events: the rows with ids in [lo, hi],
 * with what they give: purchases in buckets, campaign events, and the
 * categories and channels named (indexes valid within the part until
 * merge_parts()). Two parts are read at once on two connections when the
 * table is large and there are two processors (see crm_history_load).
 */
struct part {
	struct crm_db *db;      /* its connection and error */
	int64_t lo, hi;
	struct buckets bk;
	struct intern cats, chans;
	struct cev *cev;
	size_t ncev;
	const struct crm_history *h;
	const struct idmap *im;
	int rc;
};

static void part_free(struct part *p)
{
	buckets_free(&p->bk);
	intern_free(&p->cats);
	intern_free(&p->chans);
	free(p->cev);
	p->cev = NULL;
}

/*
 * disc_ids: the ids in [lo, hi] of the events with a discount, ascending,
 * from the partial index events_discounted (a few pages when discounts
 * are few). Reading events.discount_cents in the scan instead costs a
 * quarter more time: it is the last column of a wide row. *out is NULL
 * when there are none. Returns 0 or -1 (message on db).
 */
static int disc_ids(struct crm_db *db, int64_t lo, int64_t hi, int64_t **out,
    size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = crm__prepare(db, "SELECT id FROM events INDEXED BY "
	    "events_discounted WHERE discount_cents > 0 AND id BETWEEN ? AND ? "
	    "ORDER BY id")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(out, &cap, *n, sizeof(**out)) == -1) {
			sqlite3_finalize(st);
			return oom(db);
		}
		(*out)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read events");
	return 0;
}

/* load_events: the purchases (into the buckets) and campaign events up to
 * the last day, of the part's rows. Uses nothing of h but what loading
 * the customers set, so that two parts can run at once. */
static int load_events(struct part *p)
{
	struct crm_db *db = p->db;
	const struct crm_history *h = p->h;
	const struct idmap *im = p->im;
	struct buckets *bk = &p->bk;
	sqlite3_stmt *st;
	size_t ccap = 0, nrows = 0, nd, j = 0;
	int64_t *disc;
	int rc;
	int32_t lastday = h->holdday > h->endday ? h->holdday : h->endday;

	if (disc_ids(db, p->lo, p->hi, &disc, &nd) == -1)
		return -1;
	/* "+at": a full scan in table order; the index on at would cost a
	 * random lookup per row. The kinds as = ... OR: IN (...) costs a
	 * lookup in a temporary index per row (a fifth more time). In id
	 * order, as the table is stored, so that the discounted ids are met
	 * in the same order. NULL amounts and quantities read as 0: no
	 * purchase value, one item. */
	if ((st = crm__prepare(db, "SELECT customer_id, at, kind, "
	    "amount_cents, quantity, category, channel, id FROM events "
	    "WHERE id BETWEEN ? AND ? AND (kind = 'purchase' OR "
	    "kind = 'campaign_sent' OR kind = 'campaign_response') AND "
	    "+at < ? ORDER BY id")) == NULL) {
		free(disc);
		return -1;
	}
	sqlite3_bind_int64(st, 1, p->lo);
	sqlite3_bind_int64(st, 2, p->hi);
	sqlite3_bind_int64(st, 3, midnight(h, lastday + 1));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 2);
		int32_t day = dayof(h, sqlite3_column_int64(st, 1));
		long k;

		if (kind == NULL || day > lastday)
			continue;
		if (kind[0] == 'p') {
			struct pevc *e;
			size_t b;
			int64_t q;

			if (im->map) {  /* the index comes in group() */
				if (id < 0 || id > im->max)
					continue;
				k = (long)id;
			} else if ((k = index_of(h, im, id)) < 0)
				continue;
			if (++nrows >= UINT32_MAX - 1) {
				free(disc);
				sqlite3_finalize(st);
				return crm__error(db, CRM_EDATA, "too many "
				    "purchases to predict");
			}
			b = (size_t)k >> bk->shift;
			if (grow(&bk->b[b], &bk->cap[b], bk->len[b],
			    sizeof(**bk->b)) == -1)
				goto nomem;
			e = &bk->b[b][bk->len[b]++];
			e->key = (uint32_t)k;
			e->e.day = day;
			e->e.cents = sqlite3_column_int64(st, 3);
			q = sqlite3_column_int64(st, 4);
			e->e.qty = (uint16_t)(q < 1 ? 1 : q > QTY_MAX ? QTY_MAX : q);
			if (nd) {
				int64_t eid = sqlite3_column_int64(st, 7);

				while (j < nd && disc[j] < eid)
					j++;
				if (j < nd && disc[j] == eid)
					e->e.qty |= PEV_DISC;
			}
			if ((k = intern_get(&p->cats, (const char *)
			    sqlite3_column_text(st, 5))) < 0)
				goto nomem;
			e->e.cat = (uint16_t)k;
		} else if (day <= h->endday) {
			struct cev *c;
			long i = index_of(h, im, id);

			if (i < 0)
				continue;
			if ((k = intern_get(&p->chans, (const char *)
			    sqlite3_column_text(st, 6))) < 0)
				goto nomem;
			if (k == 0)     /* no channel named: cannot count it */
				continue;
			if (grow(&p->cev, &ccap, p->ncev, sizeof(*p->cev)) == -1)
				goto nomem;
			c = &p->cev[p->ncev++];
			c->ci = (uint32_t)i;
			c->chan = (uint16_t)k;
			c->resp = strcmp(kind, "campaign_response") == 0;
		}
	}
	free(disc);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot read events");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
nomem:
	free(disc);
	sqlite3_finalize(st);
	return oom(db);
}

static void *load_events_thread(void *arg)
{
	struct part *p = arg;

	p->rc = load_events(p);
	return NULL;
}

/* remap: the index in t of each string of u (0 stays 0); NULL on oom. */
static uint16_t *remap(struct intern *t, const struct intern *u)
{
	uint16_t *m = calloc(u->n + 1, sizeof(*m));
	size_t i;

	for (i = 1; m && i < u->n; i++) {
		long k = intern_get(t, u->s[i]);

		if (k < 0) {
			free(m);
			return NULL;
		}
		m[i] = (uint16_t)k;
	}
	return m;
}

/*
 * merge_parts: the categories and channels of part 1 renumbered as in
 * part 0, whose tables become h's; the campaign events of both in h.
 * The purchases stay in the buckets of both, which group() reads part 0
 * first (the lower ids: the order of a single scan).
 */
static int merge_parts(struct crm_db *db, struct crm_history *h,
    struct part *pt, int np)
{
	uint16_t *mc = NULL, *mh = NULL;
	size_t i, b;

	intern_free(&h->cats);
	intern_free(&h->chans);
	h->cats = pt[0].cats;
	h->chans = pt[0].chans;
	memset(&pt[0].cats, 0, sizeof(pt[0].cats));
	memset(&pt[0].chans, 0, sizeof(pt[0].chans));
	h->cev = pt[0].cev;
	h->ncev = pt[0].ncev;
	pt[0].cev = NULL;
	if (np < 2)
		return 0;
	if ((mc = remap(&h->cats, &pt[1].cats)) == NULL ||
	    (mh = remap(&h->chans, &pt[1].chans)) == NULL) {
		free(mc);
		return oom(db);
	}
	for (b = 0; b < pt[1].bk.nb; b++)
		for (i = 0; i < pt[1].bk.len[b]; i++)
			pt[1].bk.b[b][i].e.cat = mc[pt[1].bk.b[b][i].e.cat];
	if (pt[1].ncev) {
		struct cev *c = realloc(h->cev,
		    (h->ncev + pt[1].ncev) * sizeof(*c));

		if (c == NULL) {
			free(mc);
			free(mh);
			return oom(db);
		}
		h->cev = c;
		for (i = 0; i < pt[1].ncev; i++) {
			c[h->ncev] = pt[1].cev[i];
			c[h->ncev++].chan = mh[pt[1].cev[i].chan];
		}
	}
	free(mc);
	free(mh);
	return 0;
}

/*
 * Grouping runs in two halves at once (see both()): the buckets below
 * and from a middle one, which hold disjoint ranges of customers (the
 * customers [c0, c1) of a half). Each half maps its keys to indexes and
 * counts its customers' purchases; after the offsets are summed, each
 * spreads its buckets into place, sorts each customer's purchases by day
 * and sums them up (summarise).
 */
struct grp {
	struct crm_history *h;
	const struct idmap *im;
	struct part *pt;
	int np;
	size_t b0, b1;          /* buckets */
	size_t c0, c1;          /* customers */
	uint32_t *next;         /* the next free place of each customer */
	size_t nev;
};

/* grp_count: keys to indexes (UINT32_MAX: an id of no customer), and
 * each customer's purchases counted in off_ev[index + 1]. */
static void grp_count(void *arg)
{
	struct grp *g = arg;
	size_t i, b;
	int q;

	for (q = 0; q < g->np; q++)
	for (b = g->b0; b < g->b1; b++) {
		struct pevc *e = g->pt[q].bk.b[b];

		for (i = 0; i < g->pt[q].bk.len[b]; i++) {
			if (g->im->map) {
				int32_t ci = g->im->map[e[i].key];

				if (ci < 0) {
					e[i].key = UINT32_MAX;
					continue;
				}
				e[i].key = (uint32_t)ci;
			}
			g->h->off_ev[e[i].key + 1]++;
			g->nev++;
		}
	}
}

/* summarise: x, recency, T, holdout days and spend of customer c. */
static void summarise(struct crm_history *h, size_t c)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j;
	int32_t prev = INT32_MIN;

	h->first[c] = h->last[c] = INT32_MAX;
	h->x[c] = h->hold[c] = 0;
	h->fspend[c] = h->rspend[c] = 0;
	if (k == 0 || e[0].day > h->endday)
		return;         /* no purchase in the calibration */
	h->first[c] = e[0].day;
	for (j = 0; j < k; j++) {
		int64_t v = e[j].cents > 0 ? e[j].cents : 0;

		if (e[j].day > h->endday) {
			h->hold[c] += e[j].day != prev;
		} else if (e[j].day == h->first[c]) {
			h->fspend[c] += v;
		} else {
			h->x[c] += e[j].day != prev;
			h->last[c] = e[j].day;
			h->rspend[c] += v;
		}
		prev = e[j].day;
	}
	if (h->x[c] == 0)
		h->last[c] = h->first[c];
}

/* grp_spread: the half's buckets into place (part 0 first: the order of
 * a single scan), each freed once spread; then each customer's purchases
 * by day, and summed up. */
static void grp_spread(void *arg)
{
	struct grp *g = arg;
	struct crm_history *h = g->h;
	size_t i, b, c;
	int q;

	for (b = g->b0; b < g->b1; b++)
		for (q = 0; q < g->np; q++) {
			const struct pevc *e = g->pt[q].bk.b[b];

			for (i = 0; i < g->pt[q].bk.len[b]; i++)
				if (e[i].key != UINT32_MAX)
					h->ev[g->next[e[i].key]++] = e[i].e;
			free(g->pt[q].bk.b[b]);
			g->pt[q].bk.b[b] = NULL;
		}
	for (c = g->c0; c < g->c1; c++) {
		struct pev *e = h->ev + h->off_ev[c];
		size_t k = h->off_ev[c + 1] - h->off_ev[c], a, j;

		if (k > 48) {
			qsort(e, k, sizeof(*e), cmp_pev);
		} else {
			for (a = 1; a < k; a++) {       /* insertion sort */
				struct pev t = e[a];

				for (j = a; j > 0 && e[j - 1].day > t.day; j--)
					e[j] = e[j - 1];
				e[j] = t;
			}
		}
		summarise(h, c);
	}
}

/* group: the purchases from the buckets in customer order, by day within
 * each, summed up per customer; the campaign events by customer. */
static int group(struct crm_db *db, struct crm_history *h,
    const struct idmap *im, struct part *pt, int np)
{
	struct grp g[2];
	uint32_t *next = NULL;
	size_t i, c, n = h->n, nb = pt[0].bk.nb, bmid;
	int64_t lo;

	if ((h->off_ev = calloc(n + 1, sizeof(*h->off_ev))) == NULL ||
	    (h->first = malloc((n + 1) * sizeof(int32_t))) == NULL ||
	    (h->last = malloc((n + 1) * sizeof(int32_t))) == NULL ||
	    (h->x = malloc((n + 1) * sizeof(int32_t))) == NULL ||
	    (h->hold = malloc((n + 1) * sizeof(int32_t))) == NULL ||
	    (h->fspend = malloc((n + 1) * sizeof(int64_t))) == NULL ||
	    (h->rspend = malloc((n + 1) * sizeof(int64_t))) == NULL)
		return oom(db);
	/* The middle bucket, and the first customer whose key falls in it:
	 * keys are ids when im->map is set (indexes grow with ids), else
	 * indexes. */
	bmid = nb / 2;
	lo = (int64_t)bmid << pt[0].bk.shift;
	if (im->map)
		c = lower_bound(h->id, n, lo);
	else
		c = (size_t)lo < n ? (size_t)lo : n;
	g[0] = (struct grp){ h, im, pt, np, 0, bmid, 0, c, NULL, 0 };
	g[1] = (struct grp){ h, im, pt, np, bmid, nb, c, n, NULL, 0 };
	both(grp_count, &g[0], grp_count, &g[1]);
	h->nev = g[0].nev + g[1].nev;
	for (c = 0; c < n; c++)
		h->off_ev[c + 1] += h->off_ev[c];
	if ((h->ev = malloc((h->nev + 1) * sizeof(*h->ev))) == NULL ||
	    (next = malloc((n + 1) * sizeof(*next))) == NULL)
		return oom(db);
	memcpy(next, h->off_ev, (n + 1) * sizeof(*next));
	g[0].next = g[1].next = next;
	both(grp_spread, &g[0], grp_spread, &g[1]);
	free(next);
	/* campaign events by customer */
	if (h->ncev)
		qsort(h->cev, h->ncev, sizeof(*h->cev), cmp_cev);
	if ((h->off_cev = calloc(n + 1, sizeof(*h->off_cev))) == NULL)
		return oom(db);
	for (i = 0; i < h->ncev; i++)
		h->off_cev[h->cev[i].ci + 1]++;
	for (c = 0; c < n; c++)
		h->off_cev[c + 1] += h->off_cev[c];
	return 0;
}

struct keyidx {
	uint64_t key;
	uint32_t ci;
};

static int cmp_key(const void *a, const void *b)
{
	const struct keyidx *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* triples: the distinct (x, recency, T) with their counts. */
static int triples(struct crm_db *db, struct crm_history *h)
{
	struct keyidx *k;
	size_t c, m = 0, i;
	double P = h->o.period_days;

	if ((h->tri_of = malloc(h->n * sizeof(*h->tri_of) + 1)) == NULL ||
	    (k = malloc(h->n * sizeof(*k) + 1)) == NULL)
		return oom(db);
	for (c = 0; c < h->n; c++) {
		h->tri_of[c] = UINT32_MAX;
		if (h->first[c] == INT32_MAX)
			continue;
		k[m].key = (uint64_t)(uint32_t)h->x[c] << 42 |
		    (uint64_t)(uint32_t)(h->last[c] - h->first[c]) << 21 |
		    (uint64_t)(uint32_t)(h->endday - h->first[c]);
		k[m++].ci = (uint32_t)c;
	}
	qsort(k, m, sizeof(*k), cmp_key);
	if ((h->tri = calloc(m + 1, sizeof(*h->tri))) == NULL) {
		free(k);
		return oom(db);
	}
	for (i = 0; i < m; i++) {
		size_t c2 = k[i].ci;

		if (i == 0 || k[i].key != k[i - 1].key) {
			struct tri *t = &h->tri[h->ntri++];

			t->x = h->x[c2];
			t->tx = (h->last[c2] - h->first[c2]) / P;
			t->T = (h->endday - h->first[c2]) / P;
			t->xi = (uint32_t)h->x[c2];
			t->Td = (uint32_t)(h->endday - h->first[c2]);
		}
		h->tri[h->ntri - 1].w++;
		h->tri_of[c2] = (uint32_t)(h->ntri - 1);
	}
	free(k);
	return 0;
}

/* Below this many event ids, one scan: a second one would not pay. */
#define SPLIT_MIN 1000000

/*
 * split: into how many parts to scan the events, 1 or 2, with their id
 * ranges; for 2 the second part's connection in db2 (read only, opened on
 * the same file). Two when the table spans SPLIT_MIN ids or more and two
 * processors are online, or when $CRM_PREDICT_THREADS says so (1 or 2, for
 * tests). The parts are read in two read transactions, which SQLite takes
 * one after the other: a write committed in between is seen by the
 * second part only, as when the customers and the events were read by
 * two statements; rows added later have ids above hi and are not read.
 * Returns the number, or -1 (message on db).
 */
static int split(struct crm_db *db, struct crm_db *db2, struct part *pt)
{
	sqlite3_stmt *st;
	int64_t lo = 0, hi = -1;
	/* two subqueries: min and max together would scan an index */
	if ((st = crm__prepare(db, "SELECT (SELECT min(id) FROM events), "
	    "(SELECT max(id) FROM events)")) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(st, 0);
		hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	pt[0].db = db;
	pt[0].lo = lo;
	pt[0].hi = hi;
	if (threads(hi - lo >= SPLIT_MIN) < 2 || hi <= lo || db->path == NULL)
		return 1;
	if (sqlite3_open_v2(db->path, &db2->sql, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db2->sql);        /* one scan will do */
		db2->sql = NULL;
		return 1;
	}
	sqlite3_busy_timeout(db2->sql, db->wait_ms);
	db2->path = db->path;
	db2->wait_ms = db->wait_ms;
	pt[0].hi = lo + (hi - lo) / 2;
	pt[1].db = db2;
	pt[1].lo = pt[0].hi + 1;
	pt[1].hi = hi;
	return 2;
}

/* scan: the parts, the second in a thread of its own. Returns 0 or -1
 * (message on db). */
static int scan(struct crm_db *db, struct part *pt, int np)
{
	pthread_t th;

	if (np < 2)
		return load_events(&pt[0]);
	if (pthread_create(&th, NULL, load_events_thread, &pt[1]) != 0) {
		pt[0].rc = load_events(&pt[0]);         /* in turn, then */
		pt[1].rc = pt[0].rc == 0 ? load_events(&pt[1]) : 0;
	} else {
		pt[0].rc = load_events(&pt[0]);
		pthread_join(th, NULL);
	}
	if (pt[0].rc == -1)
		return -1;
	if (pt[1].rc == -1)
		return crm__error(db, pt[1].db->code, "%s", pt[1].db->msg);
	return 0;
}

int crm_history_load(struct crm_db *db, const struct crm_history_opts *o,
    struct crm_history **out)
{
	struct crm_history *h;
	struct idmap im = { NULL, 0 };
	struct part pt[2];
	struct crm_db db2;
	struct tm tm;
	time_t t = (time_t)o->as_of;
	size_t i;
	int np = 0, k;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return oom(db);
	h->o = *o;
	if (h->o.period_days != 1)
		h->o.period_days = 7;
	localtime_r(&t, &tm);
	h->off = tm.tm_gmtoff;
	h->endday = dayof(h, o->as_of);
	h->holdday = o->holdout_end ? dayof(h, o->holdout_end) : h->endday;
	if (intern_init(&h->cats, 65535) == -1 ||
	    intern_init(&h->chans, 65535) == -1) {
		crm_history_free(h);
		return oom(db);
	}
	if (load_customers(db, h) == -1)
		goto fail;
	if (h->n >= UINT32_MAX - 1) {
		crm__error(db, CRM_EDATA, "too many customers to predict");
		goto fail;
	}
	if (h->n && h->id[h->n - 1] <= (int64_t)(4 * h->n + 1000000) &&
	    h->id[h->n - 1] < (int64_t)UINT32_MAX - 1 && h->id[0] >= 0) {
		im.max = h->id[h->n - 1];
		if ((im.map = malloc(((size_t)im.max + 1) * sizeof(int32_t))) ==
		    NULL) {
			oom(db);
			goto fail;
		}
		memset(im.map, 0xff, ((size_t)im.max + 1) * sizeof(int32_t));
		for (i = 0; i < h->n; i++)
			im.map[h->id[i]] = (int32_t)i;
	}
	memset(pt, 0, sizeof(pt));
	memset(&db2, 0, sizeof(db2));
	if ((np = split(db, &db2, pt)) < 0)
		goto fail;
	for (k = 0; k < np; k++) {
		pt[k].h = h;
		pt[k].im = &im;
		if (buckets_init(&pt[k].bk, im.map ? (size_t)im.max + 1 :
		    h->n) == -1 || intern_init(&pt[k].cats, 65535) == -1 ||
		    intern_init(&pt[k].chans, 65535) == -1) {
			oom(db);
			goto fail;
		}
	}
	if (scan(db, pt, np) == -1 || merge_parts(db, h, pt, np) == -1 ||
	    group(db, h, &im, pt, np) == -1 || triples(db, h) == -1)
		goto fail;
	for (k = 0; k < np; k++)
		part_free(&pt[k]);
	sqlite3_close(db2.sql);
	free(im.map);
	*out = h;
	return 0;
fail:
	for (k = 0; k < np; k++)
		part_free(&pt[k]);
	sqlite3_close(db2.sql);
	free(im.map);
	crm_history_free(h);
	return -1;
}

/* ---- fitting ----------------------------------------------------------- */

/* warn: add a line to m->warning (cut when full). */
static void warn(struct crm_model *m, const char *fmt, ...)
{
	size_t len = strlen(m->warning);
	va_list ap;

	if (len && len + 1 < sizeof(m->warning))
		m->warning[len++] = '\n';
	if (len + 1 >= sizeof(m->warning))
		return;
	va_start(ap, fmt);
	vsnprintf(m->warning + len, sizeof(m->warning) - len, fmt, ap);
	va_end(ap);
}

/* A purchase-model fit and the spend fit, which run at once: they share
 * nothing. */
struct fitjob {
	int kind;                       /* -1: Gamma-Gamma */
	const double *x, *tx, *T, *w;   /* Gamma-Gamma: x, m = tx */
	size_t n;
	double *par;
	struct crm_fit_info *info;
	enum crm_fit_status st;
};

static void fit_job(void *arg)
{
	struct fitjob *j = arg;

	if (j->kind >= 0)
		j->st = crm_btyd_fit(j->kind, j->x, j->tx, j->T, j->w, j->n,
		    j->par, j->info, 0);
	else
		j->st = j->n >= CRM_FIT_MIN_REPEATERS ?
		    crm_gg_fit(j->x, j->tx, NULL, j->n, j->par, j->info) :
		    CRM_FIT_NODATA;
}

/*
 * churn_class: the churn risk of a customer expected to buy e times in
 * the horizon: by q = 1 - e^-e (the chance of a purchase were they
 * Poisson), "high" below 0.2, "medium" below 0.5, else "low". The
 * expected purchases rank the buyers of the next period at least as well
 * as recency does (CDNOW: AUC 0.773 to 0.779 for the three models against
 * 0.771), where P(alive) alone ranks them worse (0.32 to 0.73) and even
 * the models' own P(a purchase) is a little worse (0.757 to 0.771): the
 * classes follow that ranking, so that "high" buys again least.
 */
static const char *churn_class(double e)
{
	double q = -expm1(-e);

	return q < 0.2 ? "high" : q < 0.5 ? "medium" : "low";
}

static const char *const kind_title[CRM_BTYD_NKIND] = { "BG/NBD", "MBG/NBD",
	"Pareto/NBD" };

/*
 * A split of the history for judging the models on later purchases: a
 * sample of the customers who bought by the split day, each summarised up
 * to it (x, tx, T in periods), with the purchase days after it up to the
 * end (hold) and the days from the last purchase to the split (rec).
 */
struct split {
	size_t n;
	double *x, *tx, *T, *hold, *rec;
	double *sq[CRM_BTYD_NKIND];     /* for judging: squared errors */
	double t;               /* the holdout, in periods */
};

static void split_free(struct split *sp)
{
	free(sp->x);
	memset(sp, 0, sizeof(*sp));
}

/* split_make: every step-th customer who bought by day, summarised up to
 * day, with the purchase days in (day, end]. Returns 0 or -1 (oom). */
static int split_make(const struct crm_history *h, int32_t day, int32_t end,
    size_t step, struct split *sp)
{
	double P = h->o.period_days;
	size_t c, k = 0, m = 0;
	int j;

	memset(sp, 0, sizeof(*sp));
	for (c = 0; c < h->n; c++)
		m += h->first[c] <= day;
	m = m / step + 1;
	if ((sp->x = malloc((5 + CRM_BTYD_NKIND) * m * sizeof(double))) ==
	    NULL)
		return -1;
	for (j = 0; j < CRM_BTYD_NKIND; j++)
		sp->sq[j] = sp->x + (5 + j) * m;
	sp->tx = sp->x + m;
	sp->T = sp->x + 2 * m;
	sp->hold = sp->x + 3 * m;
	sp->rec = sp->x + 4 * m;
	sp->t = (end - day) / P;
	for (c = 0; c < h->n && sp->n < m; c++) {
		const struct pev *e = h->ev + h->off_ev[c];
		size_t n = h->off_ev[c + 1] - h->off_ev[c], i;
		int32_t prev = INT32_MIN, first = e[0].day, last = e[0].day;
		double x = 0, hold = 0;

		if (h->first[c] > day || k++ % step)
			continue;
		for (i = 0; i < n && e[i].day <= end; i++) {
			if (e[i].day == prev)
				continue;
			if (e[i].day <= day) {
				x += i > 0;
				last = e[i].day;
			} else
				hold++;
			prev = e[i].day;
		}
		sp->x[sp->n] = x;
		sp->tx[sp->n] = (last - first) / P;
		sp->T[sp->n] = (day - first) / P;
		sp->hold[sp->n] = hold;
		sp->rec[sp->n] = day - last;
		sp->n++;
	}
	return 0;
}

struct rank {
	double v;
	int pos;
};

static int cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	return (x->v > y->v) - (x->v < y->v);
}

/*
 * auc: the area under the ROC curve of score for "bought" (y > 0): the
 * probability that a buyer scores above a non-buyer, ties counting one
 * half (Mann-Whitney, by mid-ranks). NaN when either group is empty or
 * memory is short.
 */
static double auc(const double *score, const double *y, size_t n)
{
	struct rank *r = malloc((n + 1) * sizeof(*r));
	double sum = 0, npos = 0;
	size_t i, j;

	if (r == NULL)
		return NAN;
	for (i = 0; i < n; i++) {
		r[i].v = score[i];
		r[i].pos = y[i] > 0;
		npos += r[i].pos;
	}
	qsort(r, n, sizeof(*r), cmp_rank);
	for (i = 0; i < n; i = j) {
		double p = 0;

		for (j = i; j < n && r[j].v == r[i].v; j++)
			p += r[j].pos;
		sum += p * ((double)i + (double)j + 1) / 2;
	}
	free(r);
	if (npos == 0 || npos == (double)n)
		return NAN;
	return (sum - npos * (npos + 1) / 2) / (npos * ((double)n - npos));
}

/* The scores of one customer under a model for a horizon t: P(alive),
 * expected purchases, P(a purchase). */
static void scores3(int kind, const double *par, double x, double tx,
    double T, double t, double *pa, double *e, double *pb)
{
	*pa = crm_btyd_palive(kind, par, x, tx, T);
	*e = *pa * crm_btyd_expected_active(kind, par, x, T, t);
	*pb = *pa * crm_btyd_pbuy_active(kind, par, x, T, t);
}

/* judge: how the fitted model (kind, par) predicts sp's holdout: the
 * per-customer RMSE of the purchase days and the AUC of each score.
 * Returns 0 or -1 (oom). */
static int judge(int kind, const double *par, const struct split *sp,
    struct crm_check_model *cm, double *sq)
{
	double *pa = malloc((3 * sp->n + 1) * sizeof(double)), *e, *pb, se = 0;
	size_t i;

	if (pa == NULL)
		return -1;
	e = pa + sp->n;
	pb = pa + 2 * sp->n;
	for (i = 0; i < sp->n; i++) {
		scores3(kind, par, sp->x[i], sp->tx[i], sp->T[i], sp->t, &pa[i],
		    &e[i], &pb[i]);
		sq[i] = (e[i] - sp->hold[i]) * (e[i] - sp->hold[i]);
		se += sq[i];
	}
	cm->rmse = sqrt(se / (double)(sp->n ? sp->n : 1));
	cm->auc_alive = auc(pa, sp->hold, sp->n);
	cm->auc_expected = auc(e, sp->hold, sp->n);
	cm->auc_buy = auc(pb, sp->hold, sp->n);
	free(pa);
	return 0;
}

/*
 * pick: among the fitted kinds whose expected purchases rank the buyers
 * (AUC) within 0.01 of the best, the one with the smallest per-customer
 * error; but the first of BG/NBD, MBG/NBD, Pareto/NBD (cheapest first)
 * whose squared errors are not larger than that one's by more than noise
 * (the mean of the paired differences within two standard errors of 0)
 * or by more than 1 % is taken instead, and *tie set. sq[k] holds kind k's squared errors of
 * the n customers. -1 if none was fitted.
 */
static int pick(const struct crm_check_model *cm, double *const *sq,
    size_t n, int *tie)
{
	double best = -1;
	int k, b = -1;
	size_t i;

	*tie = 0;
	for (k = 0; k < CRM_BTYD_NKIND; k++)
		if (cm[k].ok && cm[k].auc_expected > best)
			best = cm[k].auc_expected;
	for (k = 0; k < CRM_BTYD_NKIND; k++)
		if (cm[k].ok && !(cm[k].auc_expected < best - 0.01) &&
		    (b < 0 || cm[k].rmse < cm[b].rmse))
			b = k;
	for (k = 0; k < b; k++) {
		double sd = 0, sdd = 0, m, v, mse = cm[b].rmse * cm[b].rmse;

		if (!cm[k].ok || cm[k].auc_expected < best - 0.01 || n < 2)
			continue;
		for (i = 0; i < n; i++) {
			double d = sq[k][i] - sq[b][i];

			sd += d;
			sdd += d * d;
		}
		m = sd / (double)n;
		v = (sdd - sd * m) / (double)(n - 1);
		if (m <= 2 * sqrt(fmax(v, 0) / (double)n) || m <= 0.01 * mse) {
			*tie = 1;
			return k;
		}
	}
	return b;
}

/* fit_all: the three kinds on sp's calibration part, judged on its
 * holdout; the two BG/NBD kinds in one thread, the Pareto/NBD beside. */
struct fitall {
	const struct split *sp;
	struct crm_check_model *cm;
	double *const *sq;      /* per kind, the customers' squared errors */
	int k0, k1, rc;
	int maxit;              /* 0: converge; else a budget */
};

static void fitall_job(void *arg)
{
	struct fitall *f = arg;
	int k;

	for (k = f->k0; k < f->k1; k++) {
		struct crm_check_model *cm = &f->cm[k];
		struct crm_fit_info fi;
		enum crm_fit_status st;

		memset(cm->par, 0, sizeof(cm->par));
		st = crm_btyd_fit(k, f->sp->x, f->sp->tx, f->sp->T, NULL,
		    f->sp->n, cm->par, &fi, f->maxit);
		/* within a budget, a fit that used it up is judged too */
		cm->ok = st == CRM_FIT_OK || st == CRM_FIT_BOUND ||
		    (f->maxit > 0 && st == CRM_FIT_MAXITER &&
		    isfinite(fi.loglik));
		cm->loglik = fi.loglik;
		if (cm->ok && judge(k, cm->par, f->sp, cm, f->sq[k]) == -1)
			f->rc = -1;
	}
}

static int fit_all(const struct split *sp, struct crm_check_model *cm,
    double *const *sq, int maxit)
{
	struct fitall a = { sp, cm, sq, 0, CRM_BTYD_PARETO, 0, maxit };
	struct fitall b = { sp, cm, sq, CRM_BTYD_PARETO, CRM_BTYD_NKIND, 0,
	    maxit };

	both(fitall_job, &a, fitall_job, &b);
	return a.rc == -1 || b.rc == -1 ? -1 : 0;
}

/* say: the reason of a choice among cm, into buf. */
static void say(char *buf, size_t len, const struct crm_check_model *cm,
    int kind, int tie, size_t n, const char *when)
{
	size_t o;
	int k;

	o = (size_t)snprintf(buf, len, "%s predicts the purchases of %s "
	    "%s (%zu customers): per-customer error (RMSE)",
	    kind_title[kind], when, tie ? "as well as the best within the "
	    "noise (its squared errors not significantly larger), and is the "
	    "simpler" : "best", n);
	for (k = 0; k < CRM_BTYD_NKIND && o < len; k++)
		if (cm[k].ok)
			o += (size_t)snprintf(buf + o, len - o, "%s %s %.3f",
			    k ? "," : "", crm_btyd_name(k), cm[k].rmse);
	for (k = 0; k < CRM_BTYD_NKIND && o < len; k++)
		if (cm[k].ok)
			o += (size_t)snprintf(buf + o, len - o, "%s %s %.3f",
			    k ? "," : "; ranking of the buyers (AUC)",
			    crm_btyd_name(k), cm[k].auc_expected);
}

/* The most customers auto judges the models on, and the iterations each
 * fit may take: the judgement is of predictions, for which a fit that
 * walks up a ridge of its likelihood towards a bound of its parameters
 * (a Pareto/NBD without dropout, say) need not reach it. */
#define AUTO_SAMPLE 1500
#define AUTO_MAXIT 25

/*
 * choose: the kind auto takes (see crm_model_fit), with the reason in
 * m->choice. Returns the kind, or -1 (out of memory). Touches neither the
 * database nor anything but m->choice, so that it can run beside a fit.
 */
static int choose(const struct crm_history *h, struct crm_model *m)
{
	struct crm_check_model cm[CRM_BTYD_NKIND];
	struct split sp;
	int32_t f0 = INT32_MAX, day, H;
	size_t c, n = 0, rep = 0, i;
	char when[64], d1[CRM_TIMEBUF], d2[CRM_TIMEBUF];
	int kind, tie;

	for (c = 0; c < h->n; c++)
		if (h->first[c] < f0)
			f0 = h->first[c];
	H = (h->endday - f0) / 3;
	if (H > 365)
		H = 365;
	day = h->endday - H;
	for (c = 0; c < h->n; c++)
		n += h->first[c] <= day;
	memset(cm, 0, sizeof(cm));
	if (H < 14 || n == 0 ||
	    split_make(h, day, h->endday, n / AUTO_SAMPLE + 1, &sp) == -1) {
		if (H >= 14 && n)
			return -1;
		snprintf(m->choice, sizeof(m->choice), "BG/NBD: the history "
		    "is too short to judge the models on its later purchases");
		return CRM_BTYD_BGNBD;
	}
	for (i = 0; i < sp.n; i++)
		rep += sp.x[i] > 0;
	if (rep < CRM_FIT_MIN_REPEATERS) {
		split_free(&sp);
		snprintf(m->choice, sizeof(m->choice), "BG/NBD: too few repeat "
		    "buyers before %s to judge the models on later purchases",
		    crm_fmt_day(midnight(h, day), d1));
		return CRM_BTYD_BGNBD;
	}
	if (fit_all(&sp, cm, sp.sq, AUTO_MAXIT) == -1) {
		split_free(&sp);
		return -1;
	}
	if ((kind = pick(cm, sp.sq, sp.n, &tie)) < 0) {
		split_free(&sp);
		snprintf(m->choice, sizeof(m->choice), "BG/NBD: no model could "
		    "be fitted on the purchases before %s",
		    crm_fmt_day(midnight(h, day), d1));
		return CRM_BTYD_BGNBD;
	}
	snprintf(when, sizeof(when), "%s to %s from those before",
	    crm_fmt_day(midnight(h, day + 1), d1),
	    crm_fmt_day(midnight(h, h->endday), d2));
	say(m->choice, sizeof(m->choice), cm, kind, tie, sp.n, when);
	split_free(&sp);
	return kind;
}

/* auto's jobs: the choice beside a fit of the BG/NBD and the spend model
 * one after the other, so that the choice costs nothing more when it is
 * the BG/NBD, the most common. */
struct choosejob {
	const struct crm_history *h;
	struct crm_model *m;
	int kind;
};

static void choose_job(void *arg)
{
	struct choosejob *c = arg;

	c->kind = choose(c->h, c->m);
}

static void two_fits_job(void *arg)
{
	struct fitjob *const *j = arg;

	fit_job(j[0]);
	fit_job(j[1]);
}

int crm_model_fit(struct crm_db *db, const struct crm_history *h, int kind,
    struct crm_model *m)
{
	struct fitjob bj, gj, *fj[2] = { &bj, &gj };
	struct choosejob cj = { h, m, 0 };
	double *x = NULL, *tx = NULL, *T = NULL, *w = NULL, *gx = NULL,
	    *gm = NULL;
	double sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0, n;
	size_t i, c, rep = 0, cust = 0, ns = 0;
	enum crm_fit_status st;
	int rc = -1;

	crm_model_none(h, m);
	m->fitted_at = crm_now();
	for (i = 0; i < h->ntri; i++) {
		cust += (size_t)h->tri[i].w;
		if (h->tri[i].x > 0)
			rep += (size_t)h->tri[i].w;
	}
	m->customers = cust;
	m->repeaters = rep;
	if (cust == 0)
		return crm__error(db, CRM_EDATA, "no purchases to fit a model "
		    "on (crm-log CUSTOMER purchase --amount ...)");
	if (rep < CRM_FIT_MIN_REPEATERS)
		return crm__error(db, CRM_EDATA, "too few repeat buyers to fit "
		    "a model: %zu of %zu customers bought on more than one day; "
		    "at least %d are needed", rep, cust, CRM_FIT_MIN_REPEATERS);
	if ((x = malloc(h->ntri * sizeof(double))) == NULL ||
	    (tx = malloc(h->ntri * sizeof(double))) == NULL ||
	    (T = malloc(h->ntri * sizeof(double))) == NULL ||
	    (w = malloc(h->ntri * sizeof(double))) == NULL ||
	    (gx = malloc((rep + 1) * sizeof(double))) == NULL ||
	    (gm = malloc((rep + 1) * sizeof(double))) == NULL) {
		oom(db);
		goto out;
	}
	for (i = 0; i < h->ntri; i++) {
		x[i] = h->tri[i].x;
		tx[i] = h->tri[i].tx;
		T[i] = h->tri[i].T;
		w[i] = h->tri[i].w;
	}
	/* Gamma-Gamma on the repeat buyers with a positive mean spend */
	for (c = 0; c < h->n; c++)
		if (h->first[c] != INT32_MAX && h->x[c] > 0 &&
		    h->rspend[c] > 0) {
			gx[ns] = h->x[c];
			gm[ns] = (double)h->rspend[c] / 100 / h->x[c];
			sx += gx[ns];
			sm += gm[ns];
			sxx += gx[ns] * gx[ns];
			smm += gm[ns] * gm[ns];
			sxm += gx[ns] * gm[ns];
			ns++;
		}
	bj = (struct fitjob){ kind == CRM_MODEL_AUTO ? CRM_BTYD_BGNBD : kind, x,
	    tx, T, w, h->ntri, m->par, &m->info, 0 };
	gj = (struct fitjob){ -1, gx, gm, NULL, NULL, ns, m->gg, &m->gginfo,
	    0 };
	if (kind == CRM_MODEL_AUTO) {
		both(choose_job, &cj, two_fits_job, fj);
		if ((kind = cj.kind) < 0) {
			oom(db);
			goto out;
		}
		if (kind != CRM_BTYD_BGNBD) {   /* the BG/NBD fit was in vain */
			memset(m->par, 0, sizeof(m->par));
			bj.kind = kind;
			fit_job(&bj);
		}
	} else
		both(fit_job, &bj, fit_job, &gj);
	m->kind = kind;
	st = bj.st;
	if (st == CRM_FIT_MAXITER || st == CRM_FIT_NUMERIC) {
		crm__error(db, CRM_EDATA, "the %s model did not converge on %zu "
		    "customers (%d iterations, gradient %.2g): the data may not "
		    "fit its assumptions", kind_title[kind], cust,
		    m->info.iterations, m->info.gmax);
		goto out;
	}
	if (st == CRM_FIT_BOUND)
		warn(m, "a %s parameter is at its bound (%s %.3g, alpha %.3g, "
		    "%s %.3g, %s %.3g): the data hardly determine it",
		    kind_title[kind], "r", m->par[0], m->par[1],
		    kind == CRM_BTYD_PARETO ? "s" : "a", m->par[2],
		    kind == CRM_BTYD_PARETO ? "beta" : "b", m->par[3]);
	m->spenders = ns;
	n = (double)ns;
	if (ns >= 3) {
		double vx = sxx - sx * sx / n, vm = smm - sm * sm / n;

		m->spend_corr = vx > 0 && vm > 0 ?
		    (sxm - sx * sm / n) / sqrt(vx * vm) : 0;
	}
	if (ns < CRM_FIT_MIN_REPEATERS) {
		warn(m, "no spend model: %zu repeat buyers with amounts, at "
		    "least %d are needed", ns, CRM_FIT_MIN_REPEATERS);
	} else {
		st = gj.st;
		if (st == CRM_FIT_OK || st == CRM_FIT_BOUND)
			m->has_gg = 1;
		if (st != CRM_FIT_OK)
			warn(m, "the Gamma-Gamma spend model %s (p %.3g, q %.3g, "
			    "gamma %.3g)", st == CRM_FIT_BOUND ?
			    "has a parameter at its bound" : "did not converge",
			    m->gg[0], m->gg[1], m->gg[2]);
		else if (m->gg[1] <= 1) {
			m->has_gg = 0;
			warn(m, "no spend model: spend is so heavy-tailed (q %.3g "
			    "<= 1) that its mean does not exist", m->gg[1]);
		} else if (fabs(m->spend_corr) > 0.3)
			warn(m, "spend per purchase is correlated with the "
			    "number of purchases (r = %.2f); the Gamma-Gamma "
			    "model assumes they are independent, so spend and "
			    "CLV may be biased", m->spend_corr);
	}
	rc = 0;
out:
	free(x);
	free(tx);
	free(T);
	free(w);
	free(gx);
	free(gm);
	return rc;
}

void crm_model_none(const struct crm_history *h, struct crm_model *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = -1;
	m->as_of = h->o.as_of;
	m->period_days = h->o.period_days;
}

int crm_predict_check(struct crm_db *db, const struct crm_history *h,
    struct crm_check *ck)
{
	struct split sp;
	double *neg;
	size_t i;
	int k, g, tie;

	memset(ck, 0, sizeof(*ck));
	/* the calibration as loaded, every customer, with the holdout */
	if (split_make(h, h->endday, h->holdday, 1, &sp) == -1)
		return oom(db);
	for (i = 0; i < sp.n; i++) {
		g = sp.x[i] >= 7 ? 7 : (int)sp.x[i];
		ck->n[g]++;
		ck->n[8]++;
		ck->act[g] += sp.hold[i];
		ck->act[8] += sp.hold[i];
	}
	for (g = 0; g < 8; g++)
		ck->act[g] = ck->n[g] ? ck->act[g] / (double)ck->n[g] : 0;
	if ((neg = malloc((sp.n + 1) * sizeof(double))) == NULL) {
		split_free(&sp);
		return oom(db);
	}
	for (i = 0; i < sp.n; i++)
		neg[i] = -sp.rec[i];
	ck->auc_recency = auc(neg, sp.hold, sp.n);
	free(neg);
	if (fit_all(&sp, ck->mod, sp.sq, 0) == -1) {
		split_free(&sp);
		return oom(db);
	}
	for (k = 0; k < CRM_BTYD_NKIND; k++) {
		struct crm_check_model *cm = &ck->mod[k];
		size_t cnt[9] = { 0 };

		if (!cm->ok)
			continue;
		for (i = 0; i < sp.n; i++) {
			double pa, e, pb;
			const char *cl;

			scores3(k, cm->par, sp.x[i], sp.tx[i], sp.T[i], sp.t,
			    &pa, &e, &pb);
			g = sp.x[i] >= 7 ? 7 : (int)sp.x[i];
			cm->pred[g] += e;
			cm->pred[8] += e;
			cnt[g]++;
			cl = churn_class(e);
			if (cl[0] == 'l') {
				cm->nlow++;
				cm->low += sp.hold[i] > 0;
			} else if (cl[0] == 'm') {
				cm->nmedium++;
				cm->medium += sp.hold[i] > 0;
			} else {
				cm->nhigh++;
				cm->high += sp.hold[i] > 0;
			}
		}
		for (g = 0; g < 8; g++)
			cm->pred[g] = cnt[g] ? cm->pred[g] / (double)cnt[g] : 0;
		cm->low = cm->nlow ? cm->low / (double)cm->nlow : NAN;
		cm->medium = cm->nmedium ? cm->medium / (double)cm->nmedium : NAN;
		cm->high = cm->nhigh ? cm->high / (double)cm->nhigh : NAN;
	}
	ck->chosen = pick(ck->mod, sp.sq, sp.n, &tie);
	if (ck->chosen >= 0) {
		char when[64], d1[CRM_TIMEBUF], d2[CRM_TIMEBUF];

		snprintf(when, sizeof(when), "%s to %s",
		    crm_fmt_day(midnight(h, h->endday + 1), d1),
		    crm_fmt_day(midnight(h, h->holdday), d2));
		say(ck->choice, sizeof(ck->choice), ck->mod, ck->chosen, tie, sp.n,
		    when);
	}
	split_free(&sp);
	return 0;
}

int crm_model_store(struct crm_db *db, struct crm_model *m)
{
	sqlite3_stmt *st;
	struct crm_buf p = {0}, d = {0};
	int k, rc = -1;

	if (m->kind < 0)
		return crm__error(db, CRM_EDATA, "no model to store");
	if ((st = crm__prepare(db, "INSERT INTO models (kind, fitted_at, "
	    "as_of, period, params, loglik, customers, repeaters, detail) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return -1;
	if (crm_db_begin(db) == -1)
		goto out;
	for (k = 0; k < 1 + m->has_gg; k++) {
		const struct crm_fit_info *fi = k ? &m->gginfo : &m->info;
		const char *kind = k ? "gammagamma" : crm_btyd_name(m->kind);
		char what[64];

		crm_buf_reset(&p);
		crm_buf_reset(&d);
		if (k)
			crm_buf_addf(&p, "{\"p\":%.17g,\"q\":%.17g,"
			    "\"gamma\":%.17g}", m->gg[0], m->gg[1], m->gg[2]);
		else if (m->kind == CRM_BTYD_PARETO)
			crm_buf_addf(&p, "{\"r\":%.17g,\"alpha\":%.17g,"
			    "\"s\":%.17g,\"beta\":%.17g}", m->par[0], m->par[1],
			    m->par[2], m->par[3]);
		else
			crm_buf_addf(&p, "{\"r\":%.17g,\"alpha\":%.17g,"
			    "\"a\":%.17g,\"b\":%.17g}", m->par[0], m->par[1],
			    m->par[2], m->par[3]);
		crm_buf_addf(&d, "{\"iterations\":%d,\"evaluations\":%d,"
		    "\"gradient\":%.3g,\"status\":%d,\"spenders\":%zu,"
		    "\"spend_corr\":%.4f,\"warning\":", fi->iterations,
		    fi->evaluations, fi->gmax, (int)fi->status, m->spenders,
		    m->spend_corr);
		crm_buf_addjson(&d, m->warning);
		crm_buf_adds(&d, ",\"choice\":");
		crm_buf_addjson(&d, m->choice);
		crm_buf_addc(&d, '}');
		if (p.oom || d.oom) {
			oom(db);
			goto out;
		}
		sqlite3_reset(st);
		crm__bind_text(st, 1, kind);
		sqlite3_bind_int64(st, 2, m->fitted_at);
		sqlite3_bind_int64(st, 3, m->as_of);
		crm__bind_text(st, 4, m->period_days == 1 ? "day" : "week");
		crm__bind_text(st, 5, p.s);
		sqlite3_bind_double(st, 6, fi->loglik);
		sqlite3_bind_int64(st, 7, (int64_t)(k ? m->spenders : m->customers));
		sqlite3_bind_int64(st, 8, (int64_t)m->repeaters);
		crm__bind_text(st, 9, d.s);
		if (sqlite3_step(st) != SQLITE_DONE) {
			crm__sqlerr(db, "cannot store the model");
			goto out;
		}
		if (k == 0)
			m->id = sqlite3_last_insert_rowid(db->sql);
		snprintf(what, sizeof(what), "model.fit.%s", kind);
		if (crm_audit(db, what, 0, 0, p.s) == -1)
			goto out;
	}
	rc = crm_db_commit(db);
out:
	if (rc == -1)
		crm_db_rollback(db);
	sqlite3_finalize(st);
	crm_buf_free(&p);
	crm_buf_free(&d);
	return rc;
}

int crm_model_latest(struct crm_db *db, struct crm_model *m)
{
	sqlite3_stmt *st;
	int rc, k;

	memset(m, 0, sizeof(*m));
	m->kind = -1;
	/* the third and fourth parameter: a, b or s, beta */
	if ((st = crm__prepare(db, "SELECT b.id, b.fitted_at, b.as_of, "
	    "b.period, b.kind, json_extract(b.params, '$.r'), "
	    "json_extract(b.params, '$.alpha'), "
	    "coalesce(json_extract(b.params, '$.a'), "
	    "json_extract(b.params, '$.s')), "
	    "coalesce(json_extract(b.params, '$.b'), "
	    "json_extract(b.params, '$.beta')), b.loglik, b.customers, "
	    "b.repeaters, json_extract(g.params, '$.p'), "
	    "json_extract(g.params, '$.q'), json_extract(g.params, '$.gamma'), "
	    "g.loglik, json_extract(b.detail, '$.choice') "
	    "FROM models b LEFT JOIN models g ON g.id = b.id + 1 "
	    "AND g.kind = 'gammagamma' AND g.fitted_at = b.fitted_at "
	    "WHERE b.kind IN ('bgnbd', 'mbgnbd', 'pareto') "
	    "ORDER BY b.id DESC LIMIT 1")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(st, 16);

		m->id = sqlite3_column_int64(st, 0);
		m->fitted_at = sqlite3_column_int64(st, 1);
		m->as_of = sqlite3_column_int64(st, 2);
		m->period_days = strcmp((const char *)sqlite3_column_text(st, 3),
		    "day") == 0 ? 1 : 7;
		m->kind = crm_btyd_kind((const char *)sqlite3_column_text(st, 4));
		for (k = 0; k < 4; k++)
			m->par[k] = sqlite3_column_double(st, 5 + k);
		m->info.loglik = sqlite3_column_double(st, 9);
		m->customers = (size_t)sqlite3_column_int64(st, 10);
		m->repeaters = (size_t)sqlite3_column_int64(st, 11);
		m->has_gg = sqlite3_column_type(st, 12) != SQLITE_NULL;
		for (k = 0; k < 3; k++)
			m->gg[k] = sqlite3_column_double(st, 12 + k);
		m->gginfo.loglik = sqlite3_column_double(st, 15);
		snprintf(m->choice, sizeof(m->choice), "%s", ch ? ch : "");
		for (k = 0; k < 4; k++)
			if (!(m->par[k] > 0) || !isfinite(m->par[k]))
				rc = SQLITE_CORRUPT;
		if (m->has_gg && !(m->gg[0] > 0 && m->gg[1] > 1 && m->gg[2] > 0))
			m->has_gg = 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_CORRUPT)
		return crm__error(db, CRM_EDATA, "the stored model %lld has "
		    "invalid parameters; run crm-predict fit", (long long)m->id);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot read the model");
	return 1;
}

/* ---- scoring ----------------------------------------------------------- */

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* nth: the k-th smallest of v[0..n) (v is reordered): quickselect. */
static float nth(float *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	if (n < 64) {
		qsort(v, n, sizeof(*v), cmp_float);
		return v[k];
	}
	while (lo < hi) {
		float pv = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pv)
				i++;
			while (v[j] > pv)
				j--;
			if (i <= j) {
				float t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* unit: the price of one item of e in cents. */
static float unit(const struct pev *e)
{
	return (float)e->cents / (float)(e->qty & QTY_MAX);
}

/* price_thirds: per category the 1/3 and 2/3 quantiles of unit prices.
 * Returns 0 or -1 (out of memory). */
static int price_thirds(struct crm_history *h)
{
	size_t nc = h->cats.n, i, *cnt, *pos;
	float *v;

	if ((h->cut1 = calloc(nc, sizeof(float))) == NULL ||
	    (h->cut2 = calloc(nc, sizeof(float))) == NULL ||
	    (cnt = calloc(nc + 1, sizeof(size_t))) == NULL)
		return -1;
	if ((pos = calloc(nc + 1, sizeof(size_t))) == NULL ||
	    (v = malloc((h->nev + 1) * sizeof(float))) == NULL) {
		free(pos);
		free(cnt);
		return -1;
	}
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day <= h->endday && h->ev[i].cents > 0)
			cnt[h->ev[i].cat + 1]++;
	for (i = 0; i < nc; i++)
		cnt[i + 1] += cnt[i];
	memcpy(pos, cnt, (nc + 1) * sizeof(size_t));
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day <= h->endday && h->ev[i].cents > 0)
			v[pos[h->ev[i].cat]++] = unit(&h->ev[i]);
	for (i = 0; i < nc; i++) {
		size_t k = cnt[i + 1] - cnt[i];

		if (k < 3) {
			h->cut1[i] = h->cut2[i] = -1;   /* too few to judge */
			continue;
		}
		h->cut1[i] = nth(v + cnt[i], k, k / 3);
		h->cut2[i] = nth(v + cnt[i], k, 2 * k / 3);
	}
	free(v);
	free(pos);
	free(cnt);
	return 0;
}

/*
 * discount_prior: the first day up to the end of observation a purchase
 * had a discount, and the share of purchases from then on that had one. Discounts are counted from the
 * day they were first recorded: a purchase before it says nothing, one
 * after it without a discount counts as full price.
 */
static void discount_prior(struct crm_history *h)
{
	size_t i, n = 0, d = 0;

	h->discday = INT32_MAX;
	for (i = 0; i < h->nev; i++)
		if ((h->ev[i].qty & PEV_DISC) && h->ev[i].day < h->discday &&
		    h->ev[i].day <= h->endday)
			h->discday = h->ev[i].day;
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day >= h->discday && h->ev[i].day <= h->endday) {
			n++;
			d += (h->ev[i].qty & PEV_DISC) != 0;
		}
	h->discshare = n ? (double)d / (double)n : 0;
}

/*
 * The expected purchases of an active customer depend on x and T but not
 * on the recency (btyd.h): they and their discounted sum are computed
 * once per distinct (x, T), which are far fewer than the triples, and
 * kept in an open-addressing table keyed by x << 32 | T in days.
 */
struct xtval {
	uint64_t key;           /* UINT64_MAX: empty */
	double e, disc, pb;     /* of the active */
};

/* The two halves of crm_predict_prepare, which run at once: the model
 * values of the triples, and the tables that do not depend on the model. */
struct prep {
	struct crm_history *h;
	const struct crm_model *m;
	const struct crm_score_opts *so;
	int rc;                 /* -1: out of memory */
};

/* prep_model: the model values of every distinct (x, recency, T); CLV
 * discounts the expected purchases of each step of about a month at its
 * end. */
static void prep_model(void *arg)
{
	struct prep *pp = arg;
	struct crm_history *h = pp->h;
	const struct crm_model *m = pp->m;
	const struct crm_score_opts *so = pp->so;
	int kind = m->kind;
	double df[121];
	struct xtval *xt;
	size_t i, nslot = 64;
	int steps, k;

	if (kind < 0) {         /* no purchase model: nothing to compute */
		for (i = 0; i < h->ntri; i++) {
			struct tri *t = &h->tri[i];

			t->pa = t->e = t->disc = t->pb = NAN;
			t->wait = -1;
		}
		return;
	}
	steps = (int)ceil(so->horizon * h->o.period_days / 30.4375);
	if (steps < 1)
		steps = 1;
	if (steps > 120)
		steps = 120;
	for (k = 1; k <= steps; k++) {
		double tk = so->horizon * k / steps;

		df[k] = pow(1 + so->discount, tk * h->o.period_days / 365.25);
	}
	while (nslot < 2 * h->ntri)
		nslot *= 2;
	if ((xt = malloc(nslot * sizeof(*xt))) == NULL) {
		pp->rc = -1;
		return;
	}
	for (i = 0; i < nslot; i++)
		xt[i].key = UINT64_MAX;
	for (i = 0; i < h->ntri; i++) {
		struct tri *t = &h->tri[i];
		uint64_t key = (uint64_t)t->xi << 32 | t->Td;
		size_t j = (size_t)((key * 0x9E3779B97F4A7C15u) >> 32) &
		    (nslot - 1);

		while (xt[j].key != UINT64_MAX && xt[j].key != key)
			j = (j + 1) & (nslot - 1);
		if (xt[j].key == UINT64_MAX) {
			double prev = 0, e = 0;

			xt[j].key = key;
			xt[j].disc = 0;
			for (k = 1; k <= steps; k++) {
				double tk = so->horizon * k / steps;

				e = crm_btyd_expected_active(kind, m->par, t->x,
				    t->T, tk);
				xt[j].disc += (e - prev) / df[k];
				prev = e;
			}
			xt[j].e = e;
			xt[j].pb = crm_btyd_pbuy_active(kind, m->par, t->x, t->T,
			    so->horizon);
		}
		t->pa = crm_btyd_palive(kind, m->par, t->x, t->tx, t->T);
		t->e = xt[j].e * t->pa;
		t->disc = xt[j].disc * t->pa;
		t->pb = xt[j].pb * t->pa;
		/* the median wait, when a purchase within the horizon is more
		 * likely than not */
		t->wait = t->pb >= 0.5 ? crm_btyd_wait(kind, m->par, t->x, t->T,
		    0.5 / t->pa, so->horizon) : -1;
	}
	free(xt);
}

/* prep_tables: category shares, price thirds, channel response rates. */
static void prep_tables(void *arg)
{
	struct prep *pp = arg;
	struct crm_history *h = pp->h;
	double tot = 0, *sent;
	size_t i;

	if ((h->catshare = calloc(h->cats.n, sizeof(double))) == NULL) {
		pp->rc = -1;
		return;
	}
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day <= h->endday) {
			h->catshare[h->ev[i].cat]++;
			tot++;
		}
	for (i = 0; i < h->cats.n; i++)
		h->catshare[i] = tot > 0 ? h->catshare[i] / tot : 0;
	if (price_thirds(h) == -1 ||
	    (h->chrate = calloc(h->chans.n, sizeof(double))) == NULL ||
	    (sent = calloc(h->chans.n, sizeof(double))) == NULL) {
		pp->rc = -1;
		return;
	}
	for (i = 0; i < h->ncev; i++) {
		if (h->cev[i].resp)
			h->chrate[h->cev[i].chan]++;
		else
			sent[h->cev[i].chan]++;
	}
	for (i = 0; i < h->chans.n; i++)
		h->chrate[i] = sent[i] > 0 ? fmin(1, h->chrate[i] / sent[i]) : 0;
	free(sent);
	discount_prior(h);
}

int crm_predict_prepare(struct crm_db *db, struct crm_history *h,
    const struct crm_model *m, const struct crm_score_opts *so)
{
	struct prep a = { h, m, so, 0 }, b = { h, m, so, 0 };

	h->m = m;
	h->horizon = so->horizon;
	both(prep_model, &a, prep_tables, &b);
	if (a.rc == -1 || b.rc == -1)
		return oom(db);
	h->prepared = 1;
	return 0;
}

long crm_predict_find(const struct crm_history *h, int64_t customer_id)
{
	struct idmap im = { NULL, 0 };

	return index_of(h, &im, customer_id);
}

/* The evidence text, appended to in place: bounded by its array (cut
 * where snprintf would cut it), with the numbers formatted without printf
 * (a million customers' worth of printf was a noticeable part of
 * scoring). */
struct evb {
	char *s;
	size_t len, cap;
};

static void ev_adds(struct evb *b, const char *s)
{
	size_t n = strlen(s);

	if (n > b->cap - 1 - b->len)
		n = b->cap - 1 - b->len;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* ev_addfix: v with d decimals, as "%.*f". */
static void ev_addfix(struct evb *b, double v, int d)
{
	char buf[CRM_FIXBUF];

	ev_adds(b, crm_fmt_fixed(buf, v, d));
}

static void ev_addu(struct evb *b, size_t v)
{
	ev_addfix(b, (double)v, 0);
}

/* ev_sep: "; " between two pieces of evidence. */
static void ev_sep(struct evb *b)
{
	if (b->len)
		ev_adds(b, "; ");
}

/* Prior weights: how many purchases / mailings the population's share or
 * rate counts for when it is blended with a customer's own. */
#define CHAN_PRIOR 4.0
#define DISC_PRIOR 4.0

/* favourite: the category c bought most often up to the end, ties going
 * to the one more common among all customers: a best guess for every
 * buyer of a category, with its share of all their purchases. */
static void favourite(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, best = 0;
	uint16_t cat[64];
	size_t cnt[64], nc = 0, i;

	for (j = 0; j < k && e[j].day <= h->endday; j++) {
		n++;
		if (e[j].cat == 0)
			continue;
		for (i = 0; i < nc && cat[i] != e[j].cat; i++)
			;
		if (i == nc) {
			if (nc == 64)
				continue;
			cat[nc] = e[j].cat;
			cnt[nc++] = 0;
		}
		cnt[i]++;
	}
	if (nc == 0)
		return;
	for (i = 1; i < nc; i++)
		if (cnt[i] > cnt[best] || (cnt[i] == cnt[best] &&
		    h->catshare[cat[i]] > h->catshare[cat[best]]))
			best = i;
	s->favourite = h->cats.s[cat[best]];
	s->favourite_share = (double)cnt[best] / (double)n;
	ev_sep(ev);
	ev_adds(ev, s->favourite);
	ev_adds(ev, " ");
	ev_addfix(ev, s->favourite_share, 2);
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, n == 1 ? " purchase" : " purchases");
}

/*
 * price_band: the band (below the category's lower third of unit prices,
 * between, above the upper third) where most of c's priced purchases
 * fall. A tie goes to the tied band nearest the customer's mean position,
 * each price placed on a log scale where the thirds are -1 and 1 (the
 * bands' middles taken as -2, 0 and 2): one purchase below and one above
 * make a budget or premium buyer, hardly ever a mid one.
 */
static void price_band(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	static const char *const name[3] = { "budget", "mid", "premium" };
	static const char *const where[3] = {
	    " below the category's lower third", " in the category's middle",
	    " above the category's upper third" };
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, cnt[3] = { 0 };
	double pos = 0;
	int b, best = -1;

	for (j = 0; j < k && e[j].day <= h->endday; j++) {
		float u = unit(&e[j]), c1 = h->cut1[e[j].cat],
		    c2 = h->cut2[e[j].cat];

		if (e[j].cents <= 0 || c1 < 0)
			continue;
		n++;
		cnt[u < c1 ? 0 : u > c2 ? 2 : 1]++;
		if (c2 > c1 && c1 > 0)
			pos += log((double)u / sqrt((double)c1 * c2)) /
			    (log((double)c2 / c1) / 2);
	}
	if (n == 0)
		return;
	pos /= (double)n;
	for (b = 0; b < 3; b++)
		if (best < 0 || cnt[b] > cnt[best] || (cnt[b] == cnt[best] &&
		    fabs(pos - 2 * (b - 1)) < fabs(pos - 2 * (best - 1))))
			best = b;
	s->band = name[best];
	ev_sep(ev);
	ev_adds(ev, s->band);
	ev_adds(ev, " ");
	ev_addu(ev, cnt[best]);
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, where[best]);
}

/* discount: whether c buys mostly on discount: the share of purchases
 * with one since discounts were recorded, blended with the population's,
 * at least one half. Undecided when no purchase had a discount, and while
 * c has too few purchases to outweigh the population: until a discount
 * on every one of them would reach one half (with a population share of
 * 0.25, two purchases). */
static void discount(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, d = 0;

	for (j = 0; j < k && e[j].day <= h->endday; j++)
		if (e[j].day >= h->discday) {
			n++;
			d += (e[j].qty & PEV_DISC) != 0;
		}
	if (n == 0 || ((double)n + DISC_PRIOR * h->discshare) /
	    ((double)n + DISC_PRIOR) < 0.5)
		return;
	s->discount_share = ((double)d + DISC_PRIOR * h->discshare) /
	    ((double)n + DISC_PRIOR);
	s->discount = s->discount_share >= 0.5 ? "yes" : "no";
	ev_sep(ev);
	ev_adds(ev, "discount ");
	ev_addfix(ev, (double)d / (double)n, 2);
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, " purchases");
}

static void channel(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct cev *e = h->cev + h->off_cev[c];
	size_t k = h->off_cev[c + 1] - h->off_cev[c], j, i, nc = 0, best = 0;
	uint16_t ch[16];
	double sent[16], resp[16], bs = -1;

	for (j = 0; j < k; j++) {
		for (i = 0; i < nc && ch[i] != e[j].chan; i++)
			;
		if (i == nc) {
			if (nc == 16)
				continue;
			ch[nc] = e[j].chan;
			sent[nc] = resp[nc] = 0;
			nc++;
		}
		if (e[j].resp)
			resp[i]++;
		else
			sent[i]++;
	}
	for (i = 0; i < nc; i++) {
		double r;

		if (resp[i] > sent[i])
			sent[i] = resp[i];
		r = (resp[i] + CHAN_PRIOR * h->chrate[ch[i]]) /
		    (sent[i] + CHAN_PRIOR);
		if (resp[i] > 0 && r > bs) {
			bs = r;
			best = i;
		}
	}
	if (bs >= 0) {
		s->channel = h->chans.s[ch[best]];
		ev_sep(ev);
		ev_adds(ev, s->channel);
		ev_adds(ev, " ");
		ev_addfix(ev, resp[best], 0);
		ev_adds(ev, " of ");
		ev_addfix(ev, sent[best], 0);
		ev_adds(ev, " answered");
	}
}

void crm_predict_score(const struct crm_history *h, size_t c,
    struct crm_score *s)
{
	const struct crm_model *m = h->m;
	const struct tri *t;
	struct evb ev;
	double P = h->o.period_days;

	memset(s, 0, sizeof(*s));
	s->customer_id = h->id[c];
	s->ref = h->ref[c];
	s->next = CRM_NONE;
	s->spend = s->clv = -1;
	s->discount_share = s->favourite_share = -1;
	s->p_alive = s->expected = s->p_buy = NAN;
	if (h->tri_of[c] == UINT32_MAX)
		return;
	t = &h->tri[h->tri_of[c]];
	s->bought = 1;
	s->x = t->x;
	s->recency = t->tx;
	s->T = t->T;
	s->holdout = h->hold[c];
	s->p_alive = t->pa;
	s->expected = t->e;
	s->p_buy = t->pb;
	if (m->kind >= 0 && m->has_gg) {
		double mean = h->x[c] > 0 ? (double)h->rspend[c] / 100 / h->x[c] :
		    0;

		s->spend = crm_gg_expected(m->gg, h->x[c], mean);
		if (s->spend >= 0)
			s->clv = s->spend * t->disc;
	}
	if (m->kind >= 0)
		s->churn = churn_class(t->e);
	if (t->wait >= 0)
		s->next = midnight(h, h->endday + (int32_t)ceil(t->wait * P));
	ev.s = s->evidence;
	ev.len = 0;
	ev.cap = sizeof(s->evidence);
	ev_addfix(&ev, t->x, 0);
	ev_adds(&ev, " repeat purchases, last ");
	ev_addfix(&ev, t->T - t->tx, 1);
	ev_adds(&ev, P == 1 ? " days ago" : " weeks ago");
	favourite(h, c, s, &ev);
	price_band(h, c, s, &ev);
	discount(h, c, s, &ev);
	channel(h, c, s, &ev);
}

/* ---- storing ----------------------------------------------------------- */

/*
 * Storing runs beside scoring. crm_predict_store_put copies each score
 * into a chunk; a full chunk is handed to a thread of its own, which
 * inserts its rows while the caller scores and writes the next chunk. Two
 * chunks take turns: before handing one over, the caller waits until the
 * thread is done with the other. Inserting a million rows costs more than
 * scoring them (1.3 s against 0.9 s), so this hides the scoring. Between
 * begin and end only the storing thread uses the connection: the caller
 * must not touch db. With one processor, or when no thread can be made,
 * put inserts the chunk itself at the hand-over.
 *
 * The foreign key of predictions.customer_id is not checked while storing:
 * the ids were read from customers, whose rows are never deleted
 * (crm-forget erases them in place), and the lookup of each row cost
 * about a third of the time of a store of a million rows. It is turned
 * back on at the end. A full run replaces the whole table in one
 * transaction with the larger page cache of crm_db_bulk, which spares a
 * tenth of the page writes (pages spilled to the WAL and written again).
 */
#define STORE_CHUNK 2048

struct srow {
	struct crm_score s;
	int64_t now, model;
};

static struct store {
	struct crm_db *db;
	sqlite3_stmt *st;
	struct srow *rows[2];
	size_t len[2];
	int cur;                /* the chunk the caller fills */
	int todo;               /* the chunk handed to the thread, or -1 */
	int quit;               /* no more chunks will come */
	int rc;                 /* -1 once an insert failed */
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} store;

/* bind_real: v, or NULL when it is NaN (no value). */
static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

/* store_rows: insert the rows of chunk k, unless one failed before. */
static void store_rows(int k)
{
	sqlite3_stmt *st = store.st;
	size_t i;

	for (i = 0; i < store.len[k] && store.rc == 0; i++) {
		const struct srow *r = &store.rows[k][i];
		const struct crm_score *s = &r->s;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s->customer_id);
		sqlite3_bind_int64(st, 2, r->now);
		crm__bind_int(st, 3, r->model);
		bind_real(st, 4, s->p_alive);
		bind_real(st, 5, s->expected);
		crm__bind_int(st, 6, s->spend >= 0 ? llround(s->spend * 100) :
		    CRM_NONE);
		crm__bind_int(st, 7, s->clv >= 0 ? llround(s->clv * 100) :
		    CRM_NONE);
		crm__bind_text(st, 8, s->churn);
		crm__bind_int(st, 9, s->next);
		crm__bind_text(st, 10, s->favourite);
		crm__bind_text(st, 11, s->band);
		crm__bind_text(st, 12, s->channel);
		crm__bind_text(st, 13, s->evidence);
		crm__bind_text(st, 14, s->discount);
		bind_real(st, 15, s->discount_share >= 0 ? s->discount_share :
		    NAN);
		bind_real(st, 16, s->p_buy);
		bind_real(st, 17, s->favourite_share >= 0 ? s->favourite_share :
		    NAN);
		if (sqlite3_step(st) != SQLITE_DONE)
			store.rc = crm__sqlerr(store.db,
			    "cannot store predictions");
	}
	store.len[k] = 0;
}

static void *store_thread(void *arg)
{
	int k;

	(void)arg;
	pthread_mutex_lock(&store.mu);
	for (;;) {
		while (store.todo < 0 && !store.quit)
			pthread_cond_wait(&store.cv, &store.mu);
		if (store.todo < 0)
			break;
		k = store.todo;
		pthread_mutex_unlock(&store.mu);
		store_rows(k);
		pthread_mutex_lock(&store.mu);
		store.todo = -1;
		pthread_cond_broadcast(&store.cv);
	}
	pthread_mutex_unlock(&store.mu);
	return NULL;
}

/* store_stop: wait for the thread to insert what it was given and end;
 * free the chunks. Returns 0, or -1 when an insert failed. */
static int store_stop(void)
{
	int rc;

	if (store.threaded) {
		pthread_mutex_lock(&store.mu);
		store.quit = 1;
		pthread_cond_broadcast(&store.cv);
		pthread_mutex_unlock(&store.mu);
		pthread_join(store.th, NULL);
		pthread_cond_destroy(&store.cv);
		pthread_mutex_destroy(&store.mu);
		store.threaded = 0;
	}
	rc = store.rc;
	sqlite3_finalize(store.st);
	free(store.rows[0]);
	free(store.rows[1]);
	memset(&store, 0, sizeof(store));
	return rc;
}

/* hand_over: give the caller's chunk to the thread (or insert it now) and
 * start on the other. Returns 0, or -1 when an insert failed (the thread
 * is then gone and the message on db). The thread's rc is read only while
 * it waits: under the lock, with nothing handed over. */
static int hand_over(void)
{
	int rc;

	if (!store.threaded) {
		store_rows(store.cur);
		rc = store.rc;
	} else {
		pthread_mutex_lock(&store.mu);
		while (store.todo >= 0)
			pthread_cond_wait(&store.cv, &store.mu);
		if ((rc = store.rc) == 0) {
			store.todo = store.cur;
			pthread_cond_broadcast(&store.cv);
		}
		pthread_mutex_unlock(&store.mu);
		store.cur ^= 1;
	}
	if (rc == -1)
		(void)store_stop();
	return rc;
}

int crm_predict_store_begin(struct crm_db *db, int all)
{
	(void)store_stop();
	if (crm__exec(db, "PRAGMA foreign_keys=OFF") == -1 ||
	    (all && crm_db_bulk(db) == -1) || crm_db_begin(db) == -1)
		return -1;
	if (all && crm__exec(db, "DELETE FROM predictions") == -1)
		return -1;
	store.db = db;
	store.todo = -1;
	if ((store.st = crm__prepare(db, "INSERT OR REPLACE INTO predictions "
	    "(customer_id, computed_at, model_id, p_alive, expected_purchases, "
	    "expected_spend_cents, clv_cents, churn_risk, next_purchase, "
	    "favourite_category, price_band, preferred_channel, evidence, "
	    "discount_buyer, discount_share, p_buy, favourite_share) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) ==
	    NULL)
		return -1;
	if ((store.rows[0] = malloc(STORE_CHUNK * sizeof(struct srow))) ==
	    NULL || (store.rows[1] = malloc(STORE_CHUNK *
	    sizeof(struct srow))) == NULL) {
		(void)store_stop();
		return oom(db);
	}
	if (threads(1) > 1 && pthread_mutex_init(&store.mu, NULL) == 0) {
		if (pthread_cond_init(&store.cv, NULL) != 0)
			pthread_mutex_destroy(&store.mu);
		else if (pthread_create(&store.th, NULL, store_thread, NULL) ==
		    0)
			store.threaded = 1;
		else {
			pthread_cond_destroy(&store.cv);
			pthread_mutex_destroy(&store.mu);
		}
	}
	return 0;
}

int crm_predict_store_put(struct crm_db *db, const struct crm_model *m,
    const struct crm_score *s, int64_t now)
{
	struct srow *r;

	if (!s->bought)
		return 0;
	if (store.rows[0] == NULL)      /* not begun, or failed before */
		return crm__error(db, CRM_EFAIL, "cannot store predictions");
	r = &store.rows[store.cur][store.len[store.cur]++];
	r->s = *s;
	r->now = now;
	r->model = m->id ? m->id : CRM_NONE;
	if (store.len[store.cur] == STORE_CHUNK)
		return hand_over();
	return 0;
}

int crm_predict_store_end(struct crm_db *db)
{
	char detail[64];

	if (store.rows[0] == NULL)
		return crm__error(db, CRM_EFAIL, "cannot store predictions");
	if (store.len[store.cur] && hand_over() == -1)
		return -1;
	if (store_stop() == -1) /* the last chunk is in, the thread gone */
		return -1;
	/* one entry for the run: what changed is every buyer's scores */
	snprintf(detail, sizeof(detail), "{\"changes\":%lld}",
	    (long long)sqlite3_total_changes(db->sql));
	if (crm_audit(db, "predictions.store", 0, 0, detail) == -1 ||
	    crm_db_commit(db) == -1)
		return -1;
	return crm__exec(db, "PRAGMA foreign_keys=ON");
}

/* ---- due --------------------------------------------------------------- */

/*
 * The intervals between two purchase days of one category by one
 * customer, on the log scale. Per customer and category: the last day,
 * the number of intervals, and their sum and sum of squares of logs.
 */
struct ccat {
	uint16_t cat;
	int32_t last;
	uint32_t n;
	double sum, ss;         /* of the logs */
	double days;            /* sum of the intervals */
};

/* cust_cats: c's categories up to day end (at most 64, in order of first
 * purchase); returns how many. */
static size_t cust_cats(const struct crm_history *h, size_t c, int32_t end,
    struct ccat *cc)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, i, n = 0;

	for (j = 0; j < k && e[j].day <= end; j++) {
		double l;

		if (e[j].cat == 0)
			continue;
		for (i = 0; i < n && cc[i].cat != e[j].cat; i++)
			;
		if (i == n) {
			if (n == 64)
				continue;
			cc[n].cat = e[j].cat;
			cc[n].last = e[j].day;
			cc[n].n = 0;
			cc[n].sum = cc[n].ss = cc[n].days = 0;
			n++;
			continue;
		}
		if (e[j].day == cc[i].last)
			continue;
		l = log((double)(e[j].day - cc[i].last));
		cc[i].days += e[j].day - cc[i].last;
		cc[i].n++;
		cc[i].sum += l;
		cc[i].ss += l * l;
		cc[i].last = e[j].day;
	}
	return n;
}

/* The category's log intervals: mu the mean of the customers' means, s2
 * the typical variance within a customer, t2 the variance between
 * customers' cycles; cnt the intervals (fewer than 3: no due dates). */
struct catlog {
	double mu, s2, t2;
	double q;               /* the chance of stopping after a purchase */
	size_t cnt;
};

/* Floors of the variances: a spread of 5 % within a customer, 3 % between
 * customers, so that identical intervals do not make certainties. */
#define DUE_S2_MIN 0.0025
#define DUE_T2_MIN 0.001

/* The weight, in intervals, of the category's spread within a customer
 * against the customer's own: some buy like clockwork, some at random,
 * and two intervals of one's own begin to tell which. */
#define DUE_NU 1.0

/* own_s2: the variance of cc's log intervals around their mean, blended
 * with the category's with the weight DUE_NU. */
static double own_s2(const struct catlog *cl, const struct ccat *cc)
{
	double ss = cc->n ? cc->ss - cc->sum * cc->sum / cc->n : 0;

	return fmax(DUE_S2_MIN, (fmax(ss, 0) + DUE_NU * cl->s2) /
	    ((cc->n ? cc->n - 1.0 : 0) + DUE_NU));
}

/*
 * cat_logs: the per-category estimates from every customer's intervals
 * up to the end: a pass for the mean and the typical spread within a
 * customer, a second for the spread between customers (the variance of
 * the customers' means less what their own spread explains). The typical
 * spread is the geometric mean of the customers' own variances (with two
 * intervals or more; each corrected for the bias of the log of a sample
 * variance, psi(df/2) - log(df/2)): where some buy like clockwork and
 * some at random, the pooled variance would be the random ones', and
 * would blur the clockwork. Returns the table (caller frees) or NULL on
 * oom.
 */
static struct catlog *cat_logs(const struct crm_history *h)
{
	size_t nc = h->cats.n, c, i;
	/* per category: customers with intervals, sum of their means, within
	 * SS and its degrees of freedom; then the sum of squares of the
	 * means about mu and of own s2 / n */
	double *a = calloc(6 * nc + 1, sizeof(double)), gss = 0, gdf = 0;
	struct catlog *cl = calloc(nc + 1, sizeof(*cl));
	struct ccat cc[64];
	int pass;

	if (a == NULL || cl == NULL) {
		free(a);
		free(cl);
		return NULL;
	}
	for (pass = 0; pass < 2; pass++) {
		for (c = 0; c < h->n; c++) {
			size_t n = cust_cats(h, c, h->endday, cc);

			for (i = 0; i < n; i++) {
				double *v = a + 6 * cc[i].cat, m;

				if (cc[i].n == 0)
					continue;
				m = cc[i].sum / cc[i].n;
				if (pass == 0) {
					double df = cc[i].n - 1.0, ss;

					cl[cc[i].cat].cnt += cc[i].n;
					v[0]++;
					v[1] += m;
					ss = cc[i].ss - cc[i].n * m * m;
					if (df >= 1) {
						v[2] += log(fmax(ss / df,
						    DUE_S2_MIN / 10)) -
						    (crm_digamma(df / 2) -
						    log(df / 2));
						v[3]++;
					}
				} else {
					v[4] += (m - cl[cc[i].cat].mu) *
					    (m - cl[cc[i].cat].mu);
					v[5] += own_s2(&cl[cc[i].cat], &cc[i]) /
					    cc[i].n;
				}
			}
		}
		if (pass == 0) {
			for (i = 0; i < nc; i++) {
				gss += a[6 * i + 2];
				gdf += a[6 * i + 3];
			}
			for (i = 0; i < nc; i++) {
				double *v = a + 6 * i, s2;

				if (v[0] == 0)
					continue;
				s2 = v[3] >= 2 ? exp(v[2] / v[3]) : gdf >= 2 ?
				    exp(gss / gdf) : 0.1;
				cl[i].s2 = fmax(DUE_S2_MIN, s2);
				cl[i].mu = v[1] / v[0];
			}
		}
	}
	for (i = 0; i < nc; i++) {
		double *v = a + 6 * i, k = v[0];

		cl[i].t2 = fmax(DUE_T2_MIN, k > 1 ? v[4] / (k - 1) - v[5] / k :
		    0);
		cl[i].q = k > 0 ? k / (k + (double)cl[i].cnt) : 0.5;
	}
	free(a);
	return cl;
}

/* Phi: the standard normal distribution function. */
static double Phi(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/*
 * due_pair: the due probability of one customer's category (see
 * crm_predict_due) from its last purchase to the end, for the window and
 * P(alive); *lasts receives the expected interval in days. After each
 * purchase of a category a customer stops buying it with the chance q
 * (the category's customers per purchase), so that a customer long past
 * the due date has more likely stopped than still to come:
 * p = P(alive) (1-q) (F(a+w) - F(a)) / (q + (1-q) (1 - F(a))), F the
 * log-normal distribution of the next interval, a the days since the
 * last purchase, w the window.
 */
static double due_pair(const struct catlog *cl, const struct ccat *cc,
    int32_t end, int window, double pa, double *lasts)
{
	double s2 = own_s2(cl, cc), prec = cc->n / s2 + 1 / cl->t2, m, sd;
	double a, f0, f1;

	m = ((cc->n ? cc->sum / s2 : 0) + cl->mu / cl->t2) / prec;
	sd = sqrt(s2 + 1 / prec);
	*lasts = exp(m);
	a = end - cc->last;
	f0 = a > 0 ? Phi((log(a) - m) / sd) : 0;
	f1 = Phi((log(a + window) - m) / sd);
	return (isnan(pa) ? 1 : pa) * (1 - cl->q) * (f1 - f0) /
	    (cl->q + (1 - cl->q) * (1 - f0));
}

/* The chance from which a category is listed as due: a letter or a call
 * is worth it at one in three. */
#define DUE_P 0.3

int crm_predict_due(struct crm_db *db, struct crm_history *h,
    int within_days, int (*fn)(const struct crm_due *d, void *arg),
    void *arg)
{
	struct catlog *cl = cat_logs(h);
	struct ccat cc[64];
	size_t c, i;
	int rc = 0;

	if (cl == NULL)
		return oom(db);
	for (c = 0; c < h->n && rc == 0; c++) {
		size_t n = cust_cats(h, c, h->endday, cc);
		double pa = h->tri_of[c] != UINT32_MAX && h->prepared ?
		    h->tri[h->tri_of[c]].pa : NAN;

		for (i = 0; i < n && rc == 0; i++) {
			const struct catlog *l = &cl[cc[i].cat];
			struct crm_due d;
			double lasts;

			if (l->cnt < 3)
				continue;
			d.p = due_pair(l, &cc[i], h->endday, within_days, pa,
			    &lasts);
			if (d.p < DUE_P)
				continue;
			d.customer_id = h->id[c];
			d.ref = h->ref[c];
			d.category = h->cats.s[cc[i].cat];
			d.last = midnight(h, cc[i].last);
			d.lasts_days = (int)floor(lasts + 0.5);
			d.due = midnight(h, cc[i].last + d.lasts_days);
			d.repeats = cc[i].n;
			rc = fn(&d, arg);
		}
	}
	free(cl);
	return rc;
}

/* One customer-category pair of the backtest, with each method's score. */
struct dpair {
	double score[3];        /* due, naive, expected: higher first */
	int hit;
};

/* cmp_dpair: by the score of method *arg, highest first. */
static int cmp_dpair(const void *a, const void *b, void *arg)
{
	const struct dpair *x = a, *y = b;
	int k = *(const int *)arg;
	double u = x->score[k], v = y->score[k];

	return (u < v) - (u > v);
}

/* bought_in: whether c bought category cat in (from, to]. */
static int bought_in(const struct crm_history *h, size_t c, uint16_t cat,
    int32_t from, int32_t to)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j;

	for (j = 0; j < k; j++)
		if (e[j].day > from && e[j].day <= to && e[j].cat == cat)
			return 1;
	return 0;
}

int crm_predict_due_check(struct crm_db *db, struct crm_history *h,
    int within_days, struct crm_due_check *dc)
{
	struct catlog *cl = cat_logs(h);
	struct dpair *p = NULL;
	struct ccat cc[64];
	size_t c, i, np = 0, cap = 0, nlist = 0;
	int32_t end = h->endday, wend = h->endday + within_days;
	int k, model = h->prepared && h->m->kind >= 0;

	memset(dc, 0, sizeof(*dc));
	if (cl == NULL)
		return oom(db);
	for (c = 0; c < h->n; c++) {
		size_t n = cust_cats(h, c, end, cc), tot = 0;
		const struct tri *t = h->tri_of[c] != UINT32_MAX ?
		    &h->tri[h->tri_of[c]] : NULL;
		const struct pev *e = h->ev + h->off_ev[c];

		for (i = 0; i < h->off_ev[c + 1] - h->off_ev[c]; i++)
			tot += e[i].day <= end;
		for (i = 0; i < n; i++) {
			const struct catlog *l = &cl[cc[i].cat];
			struct dpair *d;
			double lasts, gap, share;
			size_t j, nc = 0;

			if (grow(&p, &cap, np, sizeof(*p)) == -1) {
				free(cl);
				free(p);
				return oom(db);
			}
			d = &p[np++];
			d->hit = bought_in(h, c, cc[i].cat, end, wend);
			dc->positives += d->hit;
			d->score[0] = l->cnt < 3 ? -1 : due_pair(l, &cc[i], end,
			    within_days, t ? t->pa : NAN, &lasts);
			if (d->score[0] >= DUE_P)
				nlist++;
			/* naive: due at the last purchase plus the own mean
			 * interval; ranked by the days from the middle of the
			 * window (those due in it first, the surest first);
			 * no interval of its own: last */
			if (cc[i].n > 0) {
				double due = cc[i].last + cc[i].days / cc[i].n;

				gap = fabs(due - (end + wend) / 2.0);
				d->score[1] = -gap;
			} else
				d->score[1] = -1e9;
			/* expected purchases times the category's share */
			for (j = 0; j < h->off_ev[c + 1] - h->off_ev[c]; j++)
				nc += e[j].day <= end && e[j].cat == cc[i].cat;
			share = tot ? (double)nc / (double)tot : 0;
			d->score[2] = model && t ? t->e * share : 0;
		}
	}
	free(cl);
	dc->have[0] = 1;
	dc->have[1] = 1;
	dc->have[2] = model;
	for (k = 0; k < 3; k++) {
		if (!dc->have[k])
			continue;
		qsort_r(p, np, sizeof(*p), cmp_dpair, &k);
		dc->listed[k] = nlist < np ? nlist : np;
		for (i = 0; i < dc->listed[k]; i++)
			dc->hits[k] += p[i].hit;
	}
	free(p);
	return 0;
}
