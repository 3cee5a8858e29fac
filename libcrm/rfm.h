/* rfm.h: RFM: scoring customers by the recency, frequency and monetary
 * value of their purchases (quintiles 1-5) and naming the segments of the
 * grid and classic tables. Pure functions: no database. The aggregates
 * they are computed from are stats.h's. */
#ifndef CRM_RFM_H
#define CRM_RFM_H

#include <stddef.h>
#include <stdint.h>

/* The segment tables: the R x F grid (10 segments) and the classic
 * R/F/M table (11 segments, first match). */
enum crm_rfm_scheme { CRM_RFM_GRID, CRM_RFM_CLASSIC };

/* One buyer for crm_rfm_rank: recency as the time of the last purchase,
 * frequency as the number of orders, monetary value as the spend, and the
 * id that breaks ties (the lower id, the older customer, ranks higher). */
struct crm_rfm_buyer {
	int64_t last, orders, spend, id;
};

/*
 * crm_rfm_rank: the R, F and M scores (1-5) of the n buyers b into r[i],
 * f[i] and m[i]: each measure ranks the buyers into five groups of equal
 * size (the first groups one larger when n does not divide by five, as
 * SQL's NTILE(5)), ties split by the other two measures, then by id. Reads
 * b, writes r, f and m, nothing else. Returns 0, or -1 when out of memory.
 */
int crm_rfm_rank(const struct crm_rfm_buyer *b, size_t n, uint8_t *r,
    uint8_t *f, uint8_t *m);

/* crm_rfm_segments: the segment names of a scheme, NULL-terminated, in
 * table order. Static. */
const char *const *crm_rfm_segments(enum crm_rfm_scheme scheme);

/* crm_rfm_segment: the index (into crm_rfm_segments) of the segment of
 * scores r, f, m (1-5 each) in scheme. */
int crm_rfm_segment(enum crm_rfm_scheme scheme, int r, int f, int m);

/* crm_ntile: the group (1..k) of position i (0-based) among n ordered
 * items divided into k groups as SQL's NTILE(k) does. */
int crm_ntile(size_t i, size_t n, int k);

/* crm_rfm_scheme_parse: "grid" / "classic"; -1 if unknown. */
int crm_rfm_scheme_parse(const char *s, enum crm_rfm_scheme *out);

#endif
