/* stats.h: the per-customer aggregates of the event history (orders,
 * spend, open complaints ...) as of a time, with RFM scores and segments
 * (rfm.h), kept in customer_stats between queries (stats.c explains how);
 * segment.c offers them to SQL as crm_stat(id, k). */
#ifndef CRM_STATS_H
#define CRM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "rfm.h"

struct crm_db;

/* The aggregates crm_stats computes, by number (the k of crm_stats_get and
 * of the SQL function crm_stat(id, k)). */
enum crm_stat_id {
	CRM_STAT_ORDERS,            /* purchases */
	CRM_STAT_SPEND,             /* cents: purchases minus returns */
	CRM_STAT_AOV,               /* cents: spend / orders, NULL if none */
	CRM_STAT_FIRST_PURCHASE,    /* time, NULL if none */
	CRM_STAT_LAST_PURCHASE,
	CRM_STAT_RETURNS,
	CRM_STAT_RETURN_RATE,       /* returns / orders (real), 0 if none */
	CRM_STAT_COMPLAINTS,
	CRM_STAT_COMPLAINTS_OPEN,   /* open at the as-of time */
	CRM_STAT_SERVICE_OPEN,
	CRM_STAT_CALLBACKS_OPEN,
	CRM_STAT_REVIEWS,
	CRM_STAT_AVG_RATING,        /* real, NULL without reviews */
	CRM_STAT_CART_ABANDONED,
	CRM_STAT_CAMPAIGNS_SENT,
	CRM_STAT_CAMPAIGNS_ANSWERED,
	CRM_STAT_LAST_CONTACT,      /* time, NULL if none */
	CRM_STAT_RECENCY,           /* days since the last purchase */
	CRM_STAT_R,                 /* scores 1-5; NULL without purchases */
	CRM_STAT_F,
	CRM_STAT_M,
	CRM_STAT_SCORE,             /* text "545" */
	CRM_STAT_SEGMENT,           /* text "Champions" */
	CRM_STAT_SEGMENT_NO,        /* the segment's place in its table, 1.. */
	CRM_STAT_MAX
};

/* One customer's aggregates. Times are Unix seconds, CRM_NONE when absent. */
struct crm_cstat {
	int64_t id;
	int64_t first_purchase, last_purchase, last_contact;
	int64_t spend;
	int32_t orders, returns, complaints, complaints_open, service_open,
	    callbacks_open, reviews, rating_sum, cart_abandoned,
	    campaigns_sent, campaigns_answered;
	int32_t recency;
	uint8_t r, f, m;            /* 0: no purchases */
	uint8_t segment;            /* index into crm_rfm_segments(scheme) */
	uint8_t dirty;              /* changed since loaded (stats.c) */
	uint8_t erased;             /* never ranked; crm_stats_find skips */
};

/* The result of crm_stats_compute: every customer, in id order; erased
 * customers are counted (for the stored copy) but flagged, not ranked. */
struct crm_stats {
	struct crm_cstat *c;
	size_t n;
	int64_t as_of;              /* events at or after cutoff are ignored */
	int64_t cutoff;
	enum crm_rfm_scheme scheme;
	int32_t *slot;              /* id -> index + 1, when ids are dense */
	int64_t maxid;
	size_t buyers;              /* customers with purchases */
	int stored;                 /* 1: from customer_stats, brought up to
	                             * date; 0: from all events */
};

/*
 * crm_stats_compute: read the customers and the whole event history once and
 * compute every customer's aggregates as of the time as_of (events at or
 * after crm_cutoff(as_of) ignored, so that a date includes its day and a
 * time includes that second), and the RFM scores:
 * recency, frequency and monetary value (spend net of returns) of the
 * customers with purchases ranked into five groups of equal size (the first
 * groups one larger when the count does not divide by five, as SQL's
 * NTILE(5)); ties are split by the other two measures, then by id, the
 * older customer (lower id) ranking higher; only when rfm is 1 (else the
 * scores stay 0). Erased customers are left out of the ranking and of
 * crm_stats_find. Unless the caller has a
 * transaction open, reads one snapshot in a transaction of its own, in
 * which it may store the aggregates (see crm_stats_invalidate).
 * Returns 0 with *out set (caller frees with crm_stats_free), or -1.
 */
int crm_stats_compute(struct crm_db *db, int64_t as_of,
    enum crm_rfm_scheme scheme, int rfm, struct crm_stats **out);

/*
 * crm_stats_before: crm_stats_compute of the events before until (an
 * exclusive end, as a report period's: cutoff = until, as_of = until - 1),
 * so that a period ending at midnight does not take in the day after it.
 * The same as crm_stats_compute(db, as_of, ...) when until is
 * crm_cutoff(as_of).
 */
int crm_stats_before(struct crm_db *db, int64_t until,
    enum crm_rfm_scheme scheme, int rfm, struct crm_stats **out);

/*
 * The aggregates are kept in the table customer_stats between queries
 * (stats.c explains how): crm_stats_compute uses them, brought up to date
 * with the events appended since, when they are exact for its as_of, else
 * reads every event and, unless as_of is in the past, stores the result.
 * Appending events needs nothing; closing one (crm_event_close) updates
 * the customer's kept row; whatever else changes or deletes existing
 * events (deleting an import's events) calls crm_stats_invalidate in the
 * same transaction: the next query then recomputes them from all events.
 * Returns 0 or -1.
 */
int crm_stats_invalidate(struct crm_db *db);

/*
 * crm_stats_sync: bring customer_stats up to date for as_of, so that a
 * query can read the aggregates (not the RFM scores) from it with SQL:
 * fold in the events appended since, or, when that cannot be done (no or
 * a stale stamp, a cutoff outside its window) and as_of is not in the
 * past, compute them from all events and store them. Returns 1 when
 * customer_stats is exact for as_of, 0 when not: then *computed holds the
 * aggregates if they were computed (not stored: another command was
 * writing; caller frees), else NULL; -1 on error.
 */
int crm_stats_sync(struct crm_db *db, int64_t as_of,
    struct crm_stats **computed);

/* crm_stats_free: NULL is a no-op. */
void crm_stats_free(struct crm_stats *st);

/* crm_stats_find: the aggregates of customer id, or NULL (also when the
 * customer is erased). Borrowed. */
const struct crm_cstat *crm_stats_find(const struct crm_stats *st,
    int64_t id);

#endif
