/* test-stats: the per-customer aggregates of crm_stats_compute against a
 * reference written in SQL, computed fresh, from the stored copy
 * (customer_stats) brought up to date with appended events, after
 * crm_stats_invalidate, and for a past as-of time; crm_stats_sync and the
 * table it leaves. Random events of every kind, some in the future, some
 * closed later. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "db.h"
#include "event.h"
#include "rfm.h"
#include "stats.h"

#define NCUST 60
/* 2026-11-26T12:00:00Z: CRM_NOW below */
static const int64_t NOW = INT64_C(1795694400);

static char path[64];
static sqlite3 *raw;
static uint64_t seed = 42;

static uint32_t rnd(uint32_t n)
{
	seed = seed * 6364136223846793005u + 1442695040888963407u;
	return (uint32_t)(seed >> 33) % n;
}

/* add_events: n random events, at times up to 40 days after NOW. */
static void add_events(int n)
{
	static const char *const kinds[] = { "purchase", "purchase",
	    "purchase", "return", "review", "complaint", "service",
	    "callback", "cart_abandoned", "campaign_sent",
	    "campaign_response", "email_in", "letter_out", "call", "note" };
	sqlite3_stmt *s;
	int i;

	if (sqlite3_prepare_v2(raw, "INSERT INTO events (customer_id, at,"
	    " kind, amount_cents, rating, status, closed_at, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)", -1, &s, NULL) !=
	    SQLITE_OK)
		abort();
	for (i = 0; i < n; i++) {
		const char *k = kinds[rnd(sizeof(kinds) / sizeof(kinds[0]))];
		int64_t at = NOW - 400 * 86400 + (int64_t)rnd(440) * 86400 +
		    rnd(86400);

		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		sqlite3_bind_int64(s, 1, 1 + rnd(NCUST));
		sqlite3_bind_int64(s, 2, at);
		sqlite3_bind_text(s, 3, k, -1, SQLITE_STATIC);
		if (!strcmp(k, "purchase") || !strcmp(k, "return"))
			sqlite3_bind_int64(s, 4, 100 + rnd(20000));
		if (!strcmp(k, "review") && rnd(4))
			sqlite3_bind_int64(s, 5, 1 + rnd(5));
		if (!strcmp(k, "complaint") || !strcmp(k, "service") ||
		    !strcmp(k, "callback")) {
			if (rnd(2)) {
				sqlite3_bind_text(s, 6, "open", -1,
				    SQLITE_STATIC);
			} else {
				sqlite3_bind_text(s, 6, "closed", -1,
				    SQLITE_STATIC);
				sqlite3_bind_int64(s, 7, at + (int64_t)rnd(60) *
				    86400);
			}
		}
		if (sqlite3_step(s) != SQLITE_DONE)
			abort();
	}
	sqlite3_finalize(s);
}

/* The reference: the same aggregates in SQL, as of cutoff ?1. */
static const char refsql[] =
	"SELECT c.id,"
	" count(*) FILTER (WHERE kind = 'purchase'),"
	" coalesce(sum(CASE kind WHEN 'purchase' THEN amount_cents"
	"  WHEN 'return' THEN -abs(amount_cents) END), 0),"
	" min(at) FILTER (WHERE kind = 'purchase'),"
	" max(at) FILTER (WHERE kind = 'purchase'),"
	" count(*) FILTER (WHERE kind = 'return'),"
	" count(*) FILTER (WHERE kind = 'complaint'),"
	" count(*) FILTER (WHERE kind = 'complaint' AND (status = 'open'"
	"  OR closed_at >= ?1)),"
	" count(*) FILTER (WHERE kind = 'service' AND (status = 'open'"
	"  OR closed_at >= ?1)),"
	" count(*) FILTER (WHERE kind = 'callback' AND (status = 'open'"
	"  OR closed_at >= ?1)),"
	" count(*) FILTER (WHERE kind = 'review' AND rating IS NOT NULL),"
	" coalesce(sum(rating) FILTER (WHERE kind = 'review'), 0),"
	" count(*) FILTER (WHERE kind = 'cart_abandoned'),"
	" count(*) FILTER (WHERE kind = 'campaign_sent'),"
	" count(*) FILTER (WHERE kind = 'campaign_response'),"
	" max(at) FILTER (WHERE kind IN ('complaint', 'callback', 'service',"
	"  'campaign_response', 'call', 'survey', 'email_in', 'email_out',"
	"  'letter_in', 'letter_out'))"
	" FROM customers c LEFT JOIN events e ON e.customer_id = c.id"
	"  AND e.at < ?1"
	" GROUP BY c.id ORDER BY c.id";

static int64_t col(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? CRM_NONE :
	    sqlite3_column_int64(s, i);
}

/* differ: how many customers' aggregates in st differ from the rows of s
 * (the reference, or customer_stats; a customer st lacks counts nothing). */
static int differ(const struct crm_stats *st, sqlite3_stmt *s)
{
	const struct crm_cstat *c;
	int bad = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		struct crm_cstat z;

		if ((c = crm_stats_find(st, sqlite3_column_int64(s, 0))) ==
		    NULL) {
			memset(&z, 0, sizeof(z));
			z.first_purchase = z.last_purchase = z.last_contact =
			    CRM_NONE;
			c = &z;
		}
		if (c->orders != col(s, 1) || c->spend != col(s, 2) ||
		    c->first_purchase != col(s, 3) ||
		    c->last_purchase != col(s, 4) || c->returns != col(s, 5) ||
		    c->complaints != col(s, 6) ||
		    c->complaints_open != col(s, 7) ||
		    c->service_open != col(s, 8) ||
		    c->callbacks_open != col(s, 9) || c->reviews != col(s, 10) ||
		    c->rating_sum != col(s, 11) ||
		    c->cart_abandoned != col(s, 12) ||
		    c->campaigns_sent != col(s, 13) ||
		    c->campaigns_answered != col(s, 14) ||
		    c->last_contact != col(s, 15)) {
			if (bad++ == 0)
				printf("# customer %lld differs\n",
				    (long long)sqlite3_column_int64(s, 0));
		}
	}
	sqlite3_finalize(s);
	return bad;
}

/* check: st against the reference as of its cutoff. */
static void check(const struct crm_stats *st, const char *what)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(raw, refsql, -1, &s, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_int64(s, 1, st->cutoff);
	is_int(differ(st, s), 0, "%s: every customer as the SQL reference",
	    what);
}

/* compute: crm_stats_compute as of t, checked; *stored whether it came
 * from customer_stats. */
static struct crm_stats *compute(struct crm_db *db, int64_t t,
    const char *what)
{
	struct crm_stats *st = NULL;

	if (crm_stats_compute(db, t, CRM_RFM_GRID, 1, &st) == -1) {
		printf("# %s\n", crm_errmsg(db));
		abort();
	}
	check(st, what);
	return st;
}

static int has_stamp(void)
{
	sqlite3_stmt *s;
	int rc;

	sqlite3_prepare_v2(raw, "SELECT 1 FROM meta WHERE key = 'stats'", -1,
	    &s, NULL);
	rc = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return rc;
}

int main(void)
{
	struct crm_stats *st, *spare;
	struct crm_db *db;
	sqlite3_stmt *s;
	int i, rc;

	setenv("CRM_NOW", "2026-11-26T12:00:00", 1);
	setenv("TZ", "UTC", 1);
	snprintf(path, sizeof(path), "/tmp/crm-test-stats.%ld.db", (long)getpid());
	if (crm_db_open(&db, path, "test-stats", 0, 0) == -1)
		abort();
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		abort();
	for (i = 1; i <= NCUST; i++) {
		char sql[160];

		snprintf(sql, sizeof(sql), "INSERT INTO customers (id, ref,"
		    " created_at, updated_at) VALUES (%d, 'K%d', 0, 0)", i, i);
		sqlite3_exec(raw, sql, NULL, NULL, NULL);
	}
	add_events(3000);

	st = compute(db, NOW, "fresh");
	is_int(st->stored, 0, "fresh: from all events");
	ok(has_stamp(), "fresh: stored with a stamp");
	crm_stats_free(st);
	st = compute(db, NOW, "stored");
	is_int(st->stored, 1, "stored: from customer_stats");
	crm_stats_free(st);

	add_events(500);
	st = compute(db, NOW, "appended");
	is_int(st->stored, 1, "appended: folded into customer_stats");
	crm_stats_free(st);
	st = compute(db, NOW, "appended, again");
	is_int(st->stored, 1, "appended, again: from customer_stats");
	crm_stats_free(st);

	/* closing changes existing events: invalidated, recomputed */
	sqlite3_exec(raw, "UPDATE events SET status = 'closed', closed_at ="
	    " 1795000000 WHERE status = 'open'", NULL, NULL, NULL);
	is_int(crm_stats_invalidate(db), 0, "invalidate");
	ok(!has_stamp(), "invalidate: the stamp is gone");
	st = compute(db, NOW, "invalidated");
	is_int(st->stored, 0, "invalidated: from all events");
	crm_stats_free(st);

	/* a past as-of: from all events, nothing stored */
	st = compute(db, NOW - 100 * 86400, "as of 100 days ago");
	is_int(st->stored, 0, "as of 100 days ago: from all events");
	crm_stats_free(st);
	st = compute(db, NOW, "after the past");
	is_int(st->stored, 1, "after the past: the stored ones kept");
	crm_stats_free(st);

	/* a period that ends now (the nightly report's) is the present: the
	 * aggregates it computes are kept for the next night */
	is_int(crm_stats_invalidate(db), 0, "invalidate again");
	if (crm_stats_before(db, NOW, CRM_RFM_GRID, 1, &st) == -1)
		abort();
	check(st, "before now");
	is_int(st->stored, 0, "before now: from all events");
	crm_stats_free(st);
	ok(has_stamp(), "before now: stored with a stamp");

	/* later: events in the future come into the window */
	setenv("CRM_NOW", "2026-12-20T12:00:00", 1);
	st = compute(db, NOW + 24 * 86400, "24 days later");
	is_int(st->stored, 0, "24 days later: future events counted anew");
	crm_stats_free(st);

	/* crm_stats_sync: the table itself as the reference says */
	add_events(200);
	rc = crm_stats_sync(db, NOW + 24 * 86400, &spare);
	is_int(rc, 1, "sync: customer_stats exact");
	ok(spare == NULL, "sync: nothing computed in memory");
	st = calloc(1, sizeof(*st));    /* empty: every customer all zero */
	st->cutoff = crm_cutoff(NOW + 24 * 86400);
	sqlite3_prepare_v2(raw, "SELECT c.id, coalesce(orders, 0),"
	    " coalesce(spend, 0), first_purchase, last_purchase,"
	    " coalesce(returns, 0), coalesce(complaints, 0),"
	    " coalesce(complaints_open, 0), coalesce(service_open, 0),"
	    " coalesce(callbacks_open, 0), coalesce(reviews, 0),"
	    " coalesce(rating_sum, 0), coalesce(cart_abandoned, 0),"
	    " coalesce(campaigns_sent, 0), coalesce(campaigns_answered, 0),"
	    " last_contact FROM customers c LEFT JOIN customer_stats s"
	    " ON s.customer_id = c.id ORDER BY c.id", -1, &s, NULL);
	{
		/* compare table and reference row by row */
		sqlite3_stmt *r;
		int bad = 0, j;

		sqlite3_prepare_v2(raw, refsql, -1, &r, NULL);
		sqlite3_bind_int64(r, 1, st->cutoff);
		while (sqlite3_step(s) == SQLITE_ROW) {
			if (sqlite3_step(r) != SQLITE_ROW) {
				bad++;
				break;
			}
			for (j = 0; j < 16; j++)
				if (col(s, j) != col(r, j)) {
					bad++;
					break;
				}
		}
		sqlite3_finalize(r);
		sqlite3_finalize(s);
		is_int(bad, 0, "sync: customer_stats as the SQL reference");
	}
	free(st);
	rc = crm_stats_sync(db, NOW - 200 * 86400, &spare);
	is_int(rc, 0, "sync in the past: not from customer_stats");
	ok(spare == NULL, "sync in the past: nothing computed");

	sqlite3_close(raw);
	crm_db_close(db);
	unlink(path);
	strcat(path, "-wal");
	unlink(path);
	path[strlen(path) - 4] = '\0';
	strcat(path, "-shm");
	unlink(path);
	return done();
}
