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

/* load_customers: the ids of all customers, the erased ones flagged: their
 * aggregates are kept (stored, see stats.c) but never ranked or shown. */
static int load_customers(struct crm_db *db, struct crm_stats *st)
{
	sqlite3_stmt *s;
	size_t cap = 1024;
	void *p;
	int rc;

	if ((st->c = malloc(cap * sizeof(*st->c))) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	if ((s = crm__prepare(db, "SELECT id, erased_at IS NOT NULL"
	    " FROM customers ORDER BY id")) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (st->n == cap) {
			cap *= 2;
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

/* A sort key: three measures, then the id (lower id ranks higher). */
struct key {
	int64_t a, b, c, id;
	uint32_t i;
};

static int keycmp(const void *pa, const void *pb)
{
	const struct key *x = pa, *y = pb;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	if (x->id != y->id)
		return x->id > y->id ? -1 : 1;
	return 0;
}

/* score: rank the buyers by (a, b, c, -id) into quintiles, into field. */
static void score(struct crm_stats *st, struct key *k, size_t nb, int which)
{
	struct crm_cstat *c;
	size_t i;
	int q;

	for (i = 0; i < nb; i++) {
		c = &st->c[k[i].i];
		switch (which) {
		case 'r':
			k[i].a = c->last_purchase; k[i].b = c->orders;
			k[i].c = c->spend;
			break;
		case 'f':
			k[i].a = c->orders; k[i].b = c->spend;
			k[i].c = c->last_purchase;
			break;
		default:
			k[i].a = c->spend; k[i].b = c->orders;
			k[i].c = c->last_purchase;
			break;
		}
	}
	qsort(k, nb, sizeof(*k), keycmp);
	for (i = 0; i < nb; i++) {
		c = &st->c[k[i].i];
		q = crm_ntile(i, nb, 5);
		if (which == 'r')
			c->r = (uint8_t)q;
		else if (which == 'f')
			c->f = (uint8_t)q;
		else
			c->m = (uint8_t)q;
	}
}

/* rank: the RFM scores and segments of the customers with purchases. */
static int rank(struct crm_db *db, struct crm_stats *st)
{
	int64_t today = localday(st->as_of);
	struct key *k;
	size_t i, nb = 0;

	for (i = 0; i < st->n; i++)
		if (st->c[i].orders && !st->c[i].erased)
			nb++;
	st->buyers = nb;
	if (nb == 0)
		return 0;
	if ((k = malloc(nb * sizeof(*k))) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	for (i = 0, nb = 0; i < st->n; i++) {
		if (!st->c[i].orders || st->c[i].erased)
			continue;
		st->c[i].recency = (int32_t)(today -
		    localday(st->c[i].last_purchase));
		k[nb].id = st->c[i].id;
		k[nb++].i = (uint32_t)i;
	}
	score(st, k, nb, 'r');
	score(st, k, nb, 'f');
	score(st, k, nb, 'm');
	free(k);
	for (i = 0; i < st->n; i++)
		if (st->c[i].orders && !st->c[i].erased)
			st->c[i].segment = (uint8_t)crm_rfm_segment(st->scheme,
			    st->c[i].r, st->c[i].f, st->c[i].m);
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
