/* rfm.c: per-customer aggregates (counted in stats.c, from the stored copy
 * or from one pass over the event history), RFM quintile scores and the
 * named segments of the grid and classic tables; segment.c offers them to
 * SQL as crm_stat(id, k). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "event.h"
#include "rfm.h"

/* The R x F grid: rows R 1..5, columns F 1..5; every cell named once. */
enum { CHAMPIONS, LOYAL, POTENTIAL, NEW, PROMISING, ATTENTION, SLEEP,
	AT_RISK, CANT_LOSE, HIBERNATING, LOST };

static const char *const segment_names[] = {
	"Champions", "Loyal Customers", "Potential Loyalists",
	"New Customers", "Promising", "Need Attention", "About To Sleep",
	"At Risk", "Can't Lose Them", "Hibernating", "Lost", NULL
};
/* The grid uses the first ten (no Lost). */
static const char *const grid_names[] = {
	"Champions", "Loyal Customers", "Potential Loyalists",
	"New Customers", "Promising", "Need Attention", "About To Sleep",
	"At Risk", "Can't Lose Them", "Hibernating", NULL
};

static const unsigned char grid[5][5] = {
	/* F:  1            2            3            4          5 */
	{ HIBERNATING, HIBERNATING, AT_RISK,   AT_RISK,   CANT_LOSE },  /* R1 */
	{ HIBERNATING, HIBERNATING, AT_RISK,   AT_RISK,   CANT_LOSE },  /* R2 */
	{ SLEEP,       SLEEP,       ATTENTION, LOYAL,     LOYAL },      /* R3 */
	{ PROMISING,   POTENTIAL,   POTENTIAL, LOYAL,     LOYAL },      /* R4 */
	{ NEW,         POTENTIAL,   POTENTIAL, CHAMPIONS, CHAMPIONS },  /* R5 */
};

/* The classic table: the first row whose ranges hold R, F and M wins. */
static const struct {
	unsigned char seg, rlo, rhi, flo, fhi, mlo, mhi;
} classic[] = {
	{ CHAMPIONS,   4, 5, 4, 5, 4, 5 },
	{ LOYAL,       3, 5, 3, 5, 1, 5 },
	{ CANT_LOSE,   1, 2, 4, 5, 4, 5 },
	{ AT_RISK,     1, 2, 3, 5, 1, 5 },
	{ NEW,         5, 5, 1, 1, 1, 5 },
	{ PROMISING,   4, 4, 1, 1, 1, 5 },
	{ POTENTIAL,   4, 5, 2, 2, 1, 5 },
	{ ATTENTION,   3, 3, 1, 2, 3, 5 },
	{ SLEEP,       3, 3, 1, 2, 1, 2 },
	{ HIBERNATING, 2, 2, 1, 2, 1, 5 },
	{ LOST,        1, 5, 1, 5, 1, 5 },
};

const char *const *crm_rfm_segments(enum crm_rfm_scheme scheme)
{
	return scheme == CRM_RFM_GRID ? grid_names : segment_names;
}

int crm_rfm_segment(enum crm_rfm_scheme scheme, int r, int f, int m)
{
	size_t i;

	if (r < 1 || r > 5 || f < 1 || f > 5 || m < 1 || m > 5)
		return -1;
	if (scheme == CRM_RFM_GRID)
		return grid[r - 1][f - 1];
	for (i = 0; i < sizeof(classic) / sizeof(classic[0]); i++)
		if (r >= classic[i].rlo && r <= classic[i].rhi &&
		    f >= classic[i].flo && f <= classic[i].fhi &&
		    m >= classic[i].mlo && m <= classic[i].mhi)
			return classic[i].seg;
	return LOST;
}

int crm_rfm_scheme_parse(const char *s, enum crm_rfm_scheme *out)
{
	if (strcmp(s, "grid") == 0)
		*out = CRM_RFM_GRID;
	else if (strcmp(s, "classic") == 0)
		*out = CRM_RFM_CLASSIC;
	else
		return -1;
	return 0;
}

int crm_ntile(size_t i, size_t n, int k)
{
	size_t q = n / (size_t)k, r = n % (size_t)k, big = r * (q + 1);

	if (i < big)
		return (int)(i / (q + 1)) + 1;
	return (int)(r + (i - big) / q) + 1;
}

/* localday: the number of the local calendar day t falls on. */
static int64_t localday(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int64_t s;

	if (localtime_r(&tt, &tm) == NULL)
		return t / 86400;
	s = t + tm.tm_gmtoff;
	return s >= 0 ? s / 86400 : (s - 86399) / 86400;
}

int64_t crm_day_end(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || tm.tm_hour || tm.tm_min ||
	    tm.tm_sec)
		return t;
	tm.tm_mday++;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t crm_cutoff(int64_t as_of)
{
	int64_t end = crm_day_end(as_of);

	return end != as_of ? end : as_of + 1;
}

struct crm_cstat *crm__stats_slot(const struct crm_stats *st, int64_t id)
{
	size_t lo = 0, hi = st->n, mid;

	if (st->slot) {
		if (id < 1 || id > st->maxid || st->slot[id] == 0)
			return NULL;
		return (struct crm_cstat *)&st->c[st->slot[id] - 1];
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (st->c[mid].id < id)
			lo = mid + 1;
		else if (st->c[mid].id > id)
			hi = mid;
		else
			return (struct crm_cstat *)&st->c[mid];
	}
	return NULL;
}

const struct crm_cstat *crm_stats_find(const struct crm_stats *st,
    int64_t id)
{
	const struct crm_cstat *c = crm__stats_slot(st, id);

	return c && !c->erased ? c : NULL;
}

void crm_stats_free(struct crm_stats *st)
{
	if (st == NULL)
		return;
	free(st->c);
	free(st->slot);
	free(st);
}

int crm__stats_customers(struct crm_db *db, struct crm_stats *st,
    sqlite3_stmt *s)
{
	size_t cap = st->n;
	void *p;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (st->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((p = realloc(st->c, cap * sizeof(*st->c))) == NULL) {
				sqlite3_finalize(s);
				return crm__error(db, CRM_EFAIL, "out of memory");
			}
			st->c = p;
		}
		memset(&st->c[st->n], 0, sizeof(st->c[0]));
		st->c[st->n].id = sqlite3_column_int64(s, 0);
		st->c[st->n].erased = (uint8_t)sqlite3_column_int(s, 1);
		st->c[st->n].first_purchase = st->c[st->n].last_purchase =
		    st->c[st->n].last_contact = CRM_NONE;
		st->n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read customers");
	return 0;
}

/* load_customers: the ids of all customers, the erased ones flagged: their
 * aggregates are kept (stored, see stats.c) but never ranked or shown. */
static int load_customers(struct crm_db *db, struct crm_stats *st)
{
	sqlite3_stmt *s;

	if ((s = crm__prepare(db, "SELECT id, erased_at IS NOT NULL"
	    " FROM customers ORDER BY id")) == NULL ||
	    crm__stats_customers(db, st, s) == -1)
		return -1;
	st->maxid = st->n ? st->c[st->n - 1].id : 0;
	/* A direct table when ids are dense, as they are unless rows were
	 * inserted with made-up ids; else binary search. */
	if (st->n && st->c[0].id >= 1 && st->maxid <= (int64_t)(4 * st->n + 1024) &&
	    st->n < INT32_MAX) {
		if ((st->slot = calloc((size_t)st->maxid + 1,
		    sizeof(*st->slot))) == NULL)
			return crm__error(db, CRM_EFAIL, "out of memory");
		for (size_t i = 0; i < st->n; i++)
			st->slot[st->c[i].id] = (int32_t)i + 1;
	}
	return 0;
}

/* A sort key: three measures, then the id (lower id ranks higher); j is
 * the buyer's index in rank's array. */
struct key {
	int64_t a, b, c, id;
	uint32_t j;
};

/* less: whether x sorts before y by (a, b, c, -id). Keys are distinct (the
 * ids are). */
static inline int less(const struct key *x, const struct key *y)
{
	if (x->a != y->a)
		return x->a < y->a;
	if (x->b != y->b)
		return x->b < y->b;
	if (x->c != y->c)
		return x->c < y->c;
	return x->id > y->id;
}

/* select_nth: reorder k[lo, hi) so that k[nth] is the key that sorting
 * would put there, the keys before it smaller, those after it larger
 * (quickselect; a pseudo-random pivot keeps it linear on any input). */
static void select_nth(struct key *k, size_t lo, size_t hi, size_t nth,
    uint64_t *seed)
{
	struct key pivot, t;
	size_t i, j;

	while (hi - lo > 1) {
		*seed = *seed * 6364136223846793005u + 1442695040888963407u;
		/* not the last key: then lo <= j < hi - 1, both sides shrink */
		pivot = k[lo + (size_t)((*seed >> 33) % (hi - lo - 1))];
		/* Hoare's partition: [lo, j] <= pivot <= [j + 1, hi) */
		i = lo;
		j = hi - 1;
		for (;;) {
			while (less(&k[i], &pivot))
				i++;
			while (less(&pivot, &k[j]))
				j--;
			if (i >= j)
				break;
			t = k[i];
			k[i++] = k[j];
			k[j--] = t;
		}
		if (nth <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
}

/* groups: reorder k[lo, hi) so that the positions in bound[0, nb) (sorted,
 * inside [lo, hi)) hold what sorting would put there, and every key lies
 * between the bounds it would lie between when sorted. */
static void groups(struct key *k, size_t lo, size_t hi, const size_t *bound,
    size_t nb, uint64_t *seed)
{
	size_t mid = nb / 2;

	if (nb == 0)
		return;
	select_nth(k, lo, hi, bound[mid], seed);
	groups(k, lo, bound[mid], bound, mid, seed);
	groups(k, bound[mid] + 1, hi, bound + mid + 1, nb - mid - 1, seed);
}

/*
 * score: the quintile (as NTILE(5) over the buyers sorted by the key) of
 * every buyer into q[j]. Only which quintile a key falls in matters, not
 * its place within it: selecting the four keys at the quintiles' borders
 * leaves each quintile's keys between them, at a fraction of the cost of
 * sorting all (linear instead of n log n; a third of a second at a
 * million buyers).
 */
static void score(struct key *k, size_t nb, uint8_t *q)
{
	size_t start[6], i, g, size = nb / 5, big = nb % 5;
	uint64_t seed = 1;

	for (g = 0, start[0] = 0; g < 5; g++)
		start[g + 1] = start[g] + size + (g < big);
	/* the first key of quintiles 2..5 (those that exist) */
	for (g = 1; g < 5 && start[g] < nb; g++)
		;
	groups(k, 0, nb, start + 1, g - 1, &seed);
	for (g = 0; g < 5; g++)
		for (i = start[g]; i < start[g + 1]; i++)
			q[k[i].j] = (uint8_t)(g + 1);
}

/* A buyer's measures, read once from st->c (in id order). */
struct buyer {
	int64_t last, spend;
	int64_t orders;
	uint32_t i;
};

/* rank: the RFM scores and segments of the customers with purchases. */
static int rank(struct crm_db *db, struct crm_stats *st)
{
	int64_t today = localday(st->as_of);
	struct buyer *b;
	struct key *k;
	uint8_t *q;
	size_t i, j, nb = 0;
	struct crm_cstat *c;

	for (i = 0; i < st->n; i++)
		if (st->c[i].orders && !st->c[i].erased)
			nb++;
	st->buyers = nb;
	if (nb == 0)
		return 0;
	b = malloc(nb * sizeof(*b));
	k = malloc(nb * sizeof(*k));
	q = malloc(nb * 3);
	if (b == NULL || k == NULL || q == NULL) {
		free(b);
		free(k);
		free(q);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	for (i = 0, nb = 0; i < st->n; i++) {
		c = &st->c[i];
		if (!c->orders || c->erased)
			continue;
		c->recency = (int32_t)(today - localday(c->last_purchase));
		b[nb].last = c->last_purchase;
		b[nb].spend = c->spend;
		b[nb].orders = c->orders;
		b[nb++].i = (uint32_t)i;
	}
	/* the keys are made afresh from b in order each time: sequential
	 * reads, whatever order the last selection left k in */
	for (j = 0; j < nb; j++)
		k[j] = (struct key){ b[j].last, b[j].orders, b[j].spend,
		    st->c[b[j].i].id, (uint32_t)j };
	score(k, nb, q);
	for (j = 0; j < nb; j++)
		k[j] = (struct key){ b[j].orders, b[j].spend, b[j].last,
		    st->c[b[j].i].id, (uint32_t)j };
	score(k, nb, q + nb);
	for (j = 0; j < nb; j++)
		k[j] = (struct key){ b[j].spend, b[j].orders, b[j].last,
		    st->c[b[j].i].id, (uint32_t)j };
	score(k, nb, q + 2 * nb);
	for (j = 0; j < nb; j++) {
		c = &st->c[b[j].i];
		c->r = q[j];
		c->f = q[nb + j];
		c->m = q[2 * nb + j];
		c->segment = (uint8_t)crm_rfm_segment(st->scheme, c->r, c->f,
		    c->m);
	}
	free(b);
	free(k);
	free(q);
	return 0;
}

/* compute: crm_stats_compute with an explicit cutoff. */
static int compute(struct crm_db *db, int64_t as_of, int64_t cutoff,
    enum crm_rfm_scheme scheme, int rfm, struct crm_stats **out)
{
	struct crm_stats *st;
	int own = sqlite3_get_autocommit(db->sql), rc, e;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	st->as_of = as_of;
	st->cutoff = cutoff;
	st->scheme = scheme;
	/* One snapshot for the customers, the stored aggregates and the
	 * events (stats.c), unless the caller has a transaction open. */
	if (own && crm__exec(db, "BEGIN") == -1) {
		crm_stats_free(st);
		return -1;
	}
	rc = load_customers(db, st) == -1 || crm__stats_fill(db, st) == -1 ?
	    -1 : 0;
	if (own) {
		/* storing is best effort (stats.c): a busy commit drops it */
		if (rc == 0 && (e = sqlite3_exec(db->sql, "COMMIT", NULL, NULL,
		    NULL)) != SQLITE_OK && (e & 0xff) != SQLITE_BUSY)
			rc = crm__sqlerr(db, "cannot store customer_stats");
		if (!sqlite3_get_autocommit(db->sql))
			sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc == -1 || (rfm && rank(db, st) == -1)) {
		crm_stats_free(st);
		return -1;
	}
	*out = st;
	return 0;
}

int crm_stats_compute(struct crm_db *db, int64_t as_of,
    enum crm_rfm_scheme scheme, int rfm, struct crm_stats **out)
{
	return compute(db, as_of, crm_cutoff(as_of), scheme, rfm, out);
}

int crm_stats_before(struct crm_db *db, int64_t until,
    enum crm_rfm_scheme scheme, int rfm, struct crm_stats **out)
{
	return compute(db, until - 1, until, scheme, rfm, out);
}
