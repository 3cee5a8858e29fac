/* predict.c: reading the purchase history into compact arrays, fitting and
 * storing the models, and scoring customers. See predict.h. */
#include <math.h>
#include <pthread.h>
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

/* One purchase: its day, amount (cents, saturated to int32), category
 * (index into cats, 0 = none) and quantity (saturated at QTY_MAX), with
 * PEV_DISC set in qty when the purchase had a discount. 12 bytes. */
struct pev {
	int32_t day;
	int32_t cents;
	uint16_t cat;
	uint16_t qty;
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
	double *fspend, *rspend;        /* cents of the first day, of the rest */
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

static int32_t sat32(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < -INT32_MAX ? -INT32_MAX :
	    (int32_t)v;
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
			e->e.cents = sat32(sqlite3_column_int64(st, 3));
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
		double v = e[j].cents > 0 ? e[j].cents : 0;

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
	    (h->fspend = malloc((n + 1) * sizeof(double))) == NULL ||
	    (h->rspend = malloc((n + 1) * sizeof(double))) == NULL)
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

/* The two fits, which run at once: they share nothing. */
struct fitjob {
	const double *x, *tx, *T, *w;   /* BG/NBD; Gamma-Gamma: x, m = tx */
	size_t n;
	double *par;
	struct crm_fit_info *info;
	enum crm_fit_status st;
};

static void bg_job(void *arg)
{
	struct fitjob *j = arg;

	j->st = crm_bgnbd_fit(j->x, j->tx, j->T, j->w, j->n, j->par, j->info);
}

static void gg_job(void *arg)
{
	struct fitjob *j = arg;

	j->st = j->n >= CRM_FIT_MIN_REPEATERS ?
	    crm_gg_fit(j->x, j->tx, NULL, j->n, j->par, j->info) :
	    CRM_FIT_NODATA;
}

int crm_model_fit(struct crm_db *db, const struct crm_history *h,
    struct crm_model *m)
{
	struct fitjob bj, gj;
	double *x = NULL, *tx = NULL, *T = NULL, *w = NULL, *gx = NULL,
	    *gm = NULL;
	double sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0, n;
	size_t i, c, rep = 0, cust = 0, ns = 0;
	enum crm_fit_status st;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	m->fitted_at = crm_now();
	m->as_of = h->o.as_of;
	m->period_days = h->o.period_days;
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
	m->bg[0] = m->bg[1] = m->bg[2] = m->bg[3] = 0;
	/* Gamma-Gamma on the repeat buyers with a positive mean spend */
	for (c = 0; c < h->n; c++)
		if (h->first[c] != INT32_MAX && h->x[c] > 0 &&
		    h->rspend[c] > 0) {
			gx[ns] = h->x[c];
			gm[ns] = h->rspend[c] / 100 / h->x[c];
			sx += gx[ns];
			sm += gm[ns];
			sxx += gx[ns] * gx[ns];
			smm += gm[ns] * gm[ns];
			sxm += gx[ns] * gm[ns];
			ns++;
		}
	bj = (struct fitjob){ x, tx, T, w, h->ntri, m->bg, &m->bginfo, 0 };
	gj = (struct fitjob){ gx, gm, NULL, NULL, ns, m->gg, &m->gginfo, 0 };
	both(bg_job, &bj, gg_job, &gj);
	st = bj.st;
	if (st == CRM_FIT_MAXITER || st == CRM_FIT_NUMERIC) {
		crm__error(db, CRM_EDATA, "the BG/NBD model did not converge "
		    "on %zu customers (%d iterations, gradient %.2g): the data "
		    "may not fit its assumptions", cust, m->bginfo.iterations,
		    m->bginfo.gmax);
		goto out;
	}
	if (st == CRM_FIT_BOUND)
		snprintf(m->warning, sizeof(m->warning), "a BG/NBD parameter "
		    "is at its bound (r %.3g, alpha %.3g, a %.3g, b %.3g): the "
		    "data hardly determine it", m->bg[0], m->bg[1], m->bg[2],
		    m->bg[3]);
	m->spenders = ns;
	n = (double)ns;
	if (ns >= 3) {
		double vx = sxx - sx * sx / n, vm = smm - sm * sm / n;

		m->spend_corr = vx > 0 && vm > 0 ?
		    (sxm - sx * sm / n) / sqrt(vx * vm) : 0;
	}
	if (ns < CRM_FIT_MIN_REPEATERS) {
		snprintf(m->warning, sizeof(m->warning), "no spend model: %zu "
		    "repeat buyers with amounts, at least %d are needed", ns,
		    CRM_FIT_MIN_REPEATERS);
	} else {
		st = gj.st;
		if (st == CRM_FIT_OK || st == CRM_FIT_BOUND)
			m->has_gg = 1;
		if (st != CRM_FIT_OK)
			snprintf(m->warning, sizeof(m->warning), "the "
			    "Gamma-Gamma spend model %s (p %.3g, q %.3g, "
			    "gamma %.3g)", st == CRM_FIT_BOUND ?
			    "has a parameter at its bound" : "did not converge",
			    m->gg[0], m->gg[1], m->gg[2]);
		else if (m->gg[1] <= 1) {
			m->has_gg = 0;
			snprintf(m->warning, sizeof(m->warning), "no spend "
			    "model: spend is so heavy-tailed (q %.3g <= 1) that "
			    "its mean does not exist", m->gg[1]);
		} else if (fabs(m->spend_corr) > 0.3)
			snprintf(m->warning, sizeof(m->warning), "spend per "
			    "purchase is correlated with the number of "
			    "purchases (r = %.2f); the Gamma-Gamma model assumes "
			    "they are independent, so spend and CLV may be "
			    "biased", m->spend_corr);
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

int crm_model_store(struct crm_db *db, struct crm_model *m)
{
	sqlite3_stmt *st;
	struct crm_buf p = {0}, d = {0};
	int k, rc = -1;

	if ((st = crm__prepare(db, "INSERT INTO models (kind, fitted_at, "
	    "as_of, period, params, loglik, customers, repeaters, detail) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return -1;
	if (crm_db_begin(db) == -1)
		goto out;
	for (k = 0; k < 1 + m->has_gg; k++) {
		const struct crm_fit_info *fi = k ? &m->gginfo : &m->bginfo;

		crm_buf_reset(&p);
		crm_buf_reset(&d);
		if (k == 0)
			crm_buf_addf(&p, "{\"r\":%.17g,\"alpha\":%.17g,"
			    "\"a\":%.17g,\"b\":%.17g}", m->bg[0], m->bg[1],
			    m->bg[2], m->bg[3]);
		else
			crm_buf_addf(&p, "{\"p\":%.17g,\"q\":%.17g,"
			    "\"gamma\":%.17g}", m->gg[0], m->gg[1], m->gg[2]);
		crm_buf_addf(&d, "{\"iterations\":%d,\"evaluations\":%d,"
		    "\"gradient\":%.3g,\"status\":%d,\"spenders\":%zu,"
		    "\"spend_corr\":%.4f,\"warning\":", fi->iterations,
		    fi->evaluations, fi->gmax, (int)fi->status, m->spenders,
		    m->spend_corr);
		crm_buf_addjson(&d, m->warning);
		crm_buf_addc(&d, '}');
		if (p.oom || d.oom) {
			oom(db);
			goto out;
		}
		sqlite3_reset(st);
		crm__bind_text(st, 1, k ? "gammagamma" : "bgnbd");
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
		if (crm_audit(db, k ? "model.fit.gammagamma" : "model.fit.bgnbd",
		    0, 0, p.s) == -1)
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
	if ((st = crm__prepare(db, "SELECT b.id, b.fitted_at, b.as_of, "
	    "b.period, json_extract(b.params, '$.r'), "
	    "json_extract(b.params, '$.alpha'), json_extract(b.params, '$.a'), "
	    "json_extract(b.params, '$.b'), b.loglik, b.customers, "
	    "b.repeaters, json_extract(g.params, '$.p'), "
	    "json_extract(g.params, '$.q'), json_extract(g.params, '$.gamma'), "
	    "g.loglik FROM models b LEFT JOIN models g ON g.id = b.id + 1 "
	    "AND g.kind = 'gammagamma' AND g.fitted_at = b.fitted_at "
	    "WHERE b.kind = 'bgnbd' ORDER BY b.id DESC LIMIT 1")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->id = sqlite3_column_int64(st, 0);
		m->fitted_at = sqlite3_column_int64(st, 1);
		m->as_of = sqlite3_column_int64(st, 2);
		m->period_days = strcmp((const char *)sqlite3_column_text(st, 3),
		    "day") == 0 ? 1 : 7;
		for (k = 0; k < 4; k++)
			m->bg[k] = sqlite3_column_double(st, 4 + k);
		m->bginfo.loglik = sqlite3_column_double(st, 8);
		m->customers = (size_t)sqlite3_column_int64(st, 9);
		m->repeaters = (size_t)sqlite3_column_int64(st, 10);
		m->has_gg = sqlite3_column_type(st, 11) != SQLITE_NULL;
		for (k = 0; k < 3; k++)
			m->gg[k] = sqlite3_column_double(st, 11 + k);
		m->gginfo.loglik = sqlite3_column_double(st, 14);
		for (k = 0; k < 4; k++)
			if (!(m->bg[k] > 0) || !isfinite(m->bg[k]))
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
	double e, disc;
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
	double df[121];
	struct xtval *xt;
	size_t i, nslot = 64;
	int steps, k;

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

				e = crm_bgnbd_expected_active(m->bg, t->x, t->T,
				    tk);
				xt[j].disc += (e - prev) / df[k];
				prev = e;
			}
			xt[j].e = e;
		}
		t->pa = crm_bgnbd_palive(m->bg, t->x, t->tx, t->T);
		t->e = xt[j].e * t->pa;
		t->disc = xt[j].disc * t->pa;
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
#define CAT_PRIOR 4.0
#define CAT_MIN 0.5
#define CHAN_PRIOR 4.0
#define DISC_PRIOR 4.0

static void favourite(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, best = 0;
	uint16_t cat[64];
	size_t cnt[64], nc = 0, i;
	double bs = -1;

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
	for (i = 0; i < nc; i++) {
		double sh = (cnt[i] + CAT_PRIOR * h->catshare[cat[i]]) /
		    ((double)n + CAT_PRIOR);

		if (sh > bs) {
			bs = sh;
			best = i;
		}
	}
	if (nc && bs >= CAT_MIN) {
		s->favourite = h->cats.s[cat[best]];
		ev_sep(ev);
		ev_adds(ev, s->favourite);
		ev_adds(ev, " ");
		ev_addfix(ev, (double)cnt[best] / (double)n, 2);
		ev_adds(ev, " of ");
		ev_addu(ev, n);
		ev_adds(ev, " purchases");
	}
}

static void price_band(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, lo = 0, hi = 0;

	for (j = 0; j < k && e[j].day <= h->endday; j++) {
		float u = unit(&e[j]), c1 = h->cut1[e[j].cat],
		    c2 = h->cut2[e[j].cat];

		if (e[j].cents <= 0 || c1 < 0)
			continue;
		n++;
		lo += u < c1;
		hi += u > c2;
	}
	if (n == 0)
		return;
	ev_sep(ev);
	if (2 * lo > n) {
		s->band = "budget";
		ev_adds(ev, "budget ");
		ev_addu(ev, lo);
	} else if (2 * hi > n) {
		s->band = "premium";
		ev_adds(ev, "premium ");
		ev_addu(ev, hi);
	} else {
		s->band = "mid";
		ev_adds(ev, "mid ");
		ev_addu(ev, n - lo - hi);
	}
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, s->band[0] == 'b' ? " below the category's lower third" :
	    s->band[0] == 'p' ? " above the category's upper third" :
	    " in the category's middle");
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
	s->discount_share = -1;
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
	if (m->has_gg) {
		double mean = h->x[c] > 0 ? h->rspend[c] / 100 / h->x[c] : 0;

		s->spend = crm_gg_expected(m->gg, h->x[c], mean);
		if (s->spend >= 0)
			s->clv = s->spend * t->disc;
	}
	s->churn = t->pa < 0.3 || t->e < 0.2 ? "high" :
	    t->pa < 0.7 || t->e < 0.5 ? "medium" : "low";
	if (t->pa >= 0.5) {
		/* Given alive, purchases are Poisson with the posterior mean
		 * rate (r + x) / (alpha + T): the expected wait is its inverse. */
		double wait = (m->bg[1] + t->T) / (m->bg[0] + t->x) * P;

		if (wait < 36500)
			s->next = midnight(h, h->endday + (int32_t)ceil(wait));
	}
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
		sqlite3_bind_double(st, 4, s->p_alive);
		sqlite3_bind_double(st, 5, s->expected);
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
		if (s->discount_share >= 0)
			sqlite3_bind_double(st, 15, s->discount_share);
		else
			sqlite3_bind_null(st, 15);
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
	    "discount_buyer, discount_share) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
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

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int crm_predict_due(struct crm_db *db, struct crm_history *h,
    int within_days, int (*fn)(const struct crm_due *d, void *arg),
    void *arg)
{
	size_t nc = h->cats.n, c, j, i, *cnt = NULL;
	struct { int32_t days; uint16_t cat; } *iv = NULL;
	int32_t *med = NULL, lastc[64];
	uint16_t cat[64];
	size_t niv = 0, cap = 0, *ofs = NULL;
	int rc = -1;

	/* every interval between two purchase days of one category */
	for (c = 0; c < h->n; c++) {
		const struct pev *e = h->ev + h->off_ev[c];
		size_t k = h->off_ev[c + 1] - h->off_ev[c], n = 0;

		for (j = 0; j < k && e[j].day <= h->endday; j++) {
			if (e[j].cat == 0)
				continue;
			for (i = 0; i < n && cat[i] != e[j].cat; i++)
				;
			if (i == n) {
				if (n == 64)
					continue;
				cat[n] = e[j].cat;
				lastc[n++] = e[j].day;
				continue;
			}
			if (e[j].day == lastc[i])
				continue;
			if (grow(&iv, &cap, niv, sizeof(*iv)) == -1) {
				oom(db);
				goto out;
			}
			iv[niv].days = e[j].day - lastc[i];
			iv[niv++].cat = e[j].cat;
			lastc[i] = e[j].day;
		}
	}
	/* median interval per category */
	if ((cnt = calloc(nc + 1, sizeof(size_t))) == NULL ||
	    (ofs = calloc(nc + 1, sizeof(size_t))) == NULL ||
	    (med = calloc(nc, sizeof(int32_t))) == NULL) {
		oom(db);
		goto out;
	}
	for (i = 0; i < niv; i++)
		cnt[iv[i].cat + 1]++;
	for (i = 0; i < nc; i++)
		cnt[i + 1] += cnt[i];
	memcpy(ofs, cnt, (nc + 1) * sizeof(size_t));
	{
		int32_t *sorted = malloc((niv + 1) * sizeof(int32_t));

		if (sorted == NULL) {
			oom(db);
			goto out;
		}
		for (i = 0; i < niv; i++)
			sorted[ofs[iv[i].cat]++] = iv[i].days;
		for (i = 0; i < nc; i++) {
			size_t k = cnt[i + 1] - cnt[i];

			med[i] = 0;
			if (k < 3)
				continue;
			qsort(sorted + cnt[i], k, sizeof(int32_t), cmp_i32);
			med[i] = sorted[cnt[i] + k / 2];
		}
		free(sorted);
	}
	/* due dates per customer and category */
	for (c = 0; c < h->n; c++) {
		const struct pev *e = h->ev + h->off_ev[c];
		size_t k = h->off_ev[c + 1] - h->off_ev[c], n = 0;

		for (j = 0; j < k && e[j].day <= h->endday; j++) {
			if (e[j].cat == 0)
				continue;
			for (i = 0; i < n && cat[i] != e[j].cat; i++)
				;
			if (i == n) {
				if (n == 64)
					continue;
				cat[n++] = e[j].cat;
			}
			lastc[i] = e[j].day;
		}
		for (i = 0; i < n; i++) {
			struct crm_due d;
			int32_t m = med[cat[i]], due = lastc[i] + m;

			if (m <= 0 || due < h->endday - m ||
			    due > h->endday + within_days)
				continue;
			d.customer_id = h->id[c];
			d.ref = h->ref[c];
			d.category = h->cats.s[cat[i]];
			d.last = midnight(h, lastc[i]);
			d.due = midnight(h, due);
			d.lasts_days = m;
			d.repeats = cnt[cat[i] + 1] - cnt[cat[i]];
			if ((rc = fn(&d, arg)) != 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(iv);
	free(cnt);
	free(ofs);
	free(med);
	return rc;
}
