/* rfm.c: RFM quintile scores (crm_rfm_rank, linear in the number of
 * buyers) and the named segments of the grid and classic tables. The
 * aggregates the scores are computed from are stats.c's. */
#include <stdlib.h>
#include <string.h>

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

int crm_rfm_rank(const struct crm_rfm_buyer *b, size_t n, uint8_t *r,
    uint8_t *f, uint8_t *m)
{
	struct key *k;
	size_t j;

	if (n == 0)
		return 0;
	if ((k = malloc(n * sizeof(*k))) == NULL)
		return -1;
	/* the keys are made afresh from b in order each time: sequential
	 * reads, whatever order the last selection left k in */
	for (j = 0; j < n; j++)
		k[j] = (struct key){ b[j].last, b[j].orders, b[j].spend,
		    b[j].id, (uint32_t)j };
	score(k, n, r);
	for (j = 0; j < n; j++)
		k[j] = (struct key){ b[j].orders, b[j].spend, b[j].last,
		    b[j].id, (uint32_t)j };
	score(k, n, f);
	for (j = 0; j < n; j++)
		k[j] = (struct key){ b[j].spend, b[j].orders, b[j].last,
		    b[j].id, (uint32_t)j };
	score(k, n, m);
	free(k);
	return 0;
}
