/* predict_load.c: reading the purchase history into compact arrays for
 * crm-predict (see predict.h): customers, purchases and campaign events,
 * in two parts at once, grouped per customer into the triples the models
 * take. */
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
#include "predict_int.h"
#include "util.h"
#include "value.h"

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

int crm__threads(int worth)
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

void crm__both(void (*fa)(void *), void *a, void (*fb)(void *),
    void *b)
{
	struct job j = { fb, b };
	pthread_t th;

	if (crm__threads(1) > 1 &&
	    pthread_create(&th, NULL, job_run, &j) == 0) {
		fa(a);
		pthread_join(th, NULL);
		return;
	}
	fa(a);
	fb(b);
}

int crm__grow(void *pp, size_t *cap, size_t n, size_t sz)
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

		if (crm__grow(&h->id, &cap, h->n, sizeof(*h->id)) == -1 ||
		    crm__grow(&h->ref, &c2, h->n, sizeof(*h->ref)) == -1) {
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
	return bad ? crm__oom(db) : 0;
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
		if (crm__grow(out, &cap, *n, sizeof(**out)) == -1) {
			sqlite3_finalize(st);
			return crm__oom(db);
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
	sqlite3_bind_int64(st, 3, crm__midnight(h, lastday + 1));
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
			if (crm__grow(&bk->b[b], &bk->cap[b], bk->len[b],
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
			if (crm__grow(&p->cev, &ccap, p->ncev,
			    sizeof(*p->cev)) == -1)
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
	return crm__oom(db);
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
		return crm__oom(db);
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
			return crm__oom(db);
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
 * Grouping runs in two halves at once (see crm__both()): the buckets below
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
		return crm__oom(db);
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
	crm__both(grp_count, &g[0], grp_count, &g[1]);
	h->nev = g[0].nev + g[1].nev;
	for (c = 0; c < n; c++)
		h->off_ev[c + 1] += h->off_ev[c];
	if ((h->ev = malloc((h->nev + 1) * sizeof(*h->ev))) == NULL ||
	    (next = malloc((n + 1) * sizeof(*next))) == NULL)
		return crm__oom(db);
	memcpy(next, h->off_ev, (n + 1) * sizeof(*next));
	g[0].next = g[1].next = next;
	crm__both(grp_spread, &g[0], grp_spread, &g[1]);
	free(next);
	/* campaign events by customer */
	if (h->ncev)
		qsort(h->cev, h->ncev, sizeof(*h->cev), cmp_cev);
	if ((h->off_cev = calloc(n + 1, sizeof(*h->off_cev))) == NULL)
		return crm__oom(db);
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
		return crm__oom(db);
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
		return crm__oom(db);
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
 * ranges; for 2 the second part's connection in *db2 (crm_db_peer, read
 * only; the caller closes it). Two when the table spans SPLIT_MIN ids or more and two
 * processors are online, or when $CRM_PREDICT_THREADS says so (1 or 2, for
 * tests). The parts are read in two read transactions, which SQLite takes
 * one after the other: a write committed in between is seen by the
 * second part only, as when the customers and the events were read by
 * two statements; rows added later have ids above hi and are not read.
 * Returns the number, or -1 (message on db).
 */
static int split(struct crm_db *db, struct crm_db **db2, struct part *pt)
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
	if (crm__threads(hi - lo >= SPLIT_MIN) < 2 || hi <= lo ||
	    (*db2 = crm_db_peer(db, CRM_DB_READONLY)) == NULL)
		return 1;               /* one scan will do */
	pt[0].hi = lo + (hi - lo) / 2;
	pt[1].db = *db2;
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
	struct crm_db *db2 = NULL;
	struct tm tm;
	time_t t = (time_t)o->as_of;
	size_t i;
	int np = 0, k;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return crm__oom(db);
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
		return crm__oom(db);
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
			crm__oom(db);
			goto fail;
		}
		memset(im.map, 0xff, ((size_t)im.max + 1) * sizeof(int32_t));
		for (i = 0; i < h->n; i++)
			im.map[h->id[i]] = (int32_t)i;
	}
	memset(pt, 0, sizeof(pt));
	if ((np = split(db, &db2, pt)) < 0)
		goto fail;
	for (k = 0; k < np; k++) {
		pt[k].h = h;
		pt[k].im = &im;
		if (buckets_init(&pt[k].bk, im.map ? (size_t)im.max + 1 :
		    h->n) == -1 || intern_init(&pt[k].cats, 65535) == -1 ||
		    intern_init(&pt[k].chans, 65535) == -1) {
			crm__oom(db);
			goto fail;
		}
	}
	if (scan(db, pt, np) == -1 || merge_parts(db, h, pt, np) == -1 ||
	    group(db, h, &im, pt, np) == -1 || triples(db, h) == -1)
		goto fail;
	for (k = 0; k < np; k++)
		part_free(&pt[k]);
	crm_db_close(db2);
	free(im.map);
	*out = h;
	return 0;
fail:
	for (k = 0; k < np; k++)
		part_free(&pt[k]);
	crm_db_close(db2);
	free(im.map);
	crm_history_free(h);
	return -1;
}

long crm_predict_find(const struct crm_history *h, int64_t customer_id)
{
	struct idmap im = { NULL, 0 };

	return index_of(h, &im, customer_id);
}
