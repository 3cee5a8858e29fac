/* stats.c: the per-customer aggregates of the event history (orders,
 * spend, open complaints ...) that crm_stats_compute hands to segment
 * queries and reports (the container: customers, lookup, RFM ranks from
 * rfm.c), and their stored copy in the table customer_stats.
 *
 * Computing the aggregates means reading every event (10 million events
 * take seconds), so a copy is kept in customer_stats with a stamp in meta
 * (key "stats": {"event":N,"from":F,"until":U}). The copy holds every
 * event with id <= N, counted as of any cutoff C with F < C <= U: F is the
 * latest event time or closing time before the cutoff it was computed
 * for, U the earliest at or after it (events in the future, complaints
 * closed in the future), so no event changes sides between F and U.
 *
 * Writers stay as fast as they were: no triggers; the copy is brought up
 * to date by the reader, at query time, in one read transaction:
 *   - stamp present, cutoff inside (F, U], no event above N deleted (the
 *     largest event id is still >= N): fold in the events with id > N
 *     only (events are appended with growing ids) and store the customers
 *     that changed and the new stamp. crm_stats_sync, for queries that
 *     read the aggregates with SQL, loads only the rows of the customers
 *     of those events; crm_stats_compute (RFM ranks everyone; the
 *     fallback) loads them all into memory;
 *   - else (no stamp, a cutoff outside the window, events deleted): read
 *     every event as before and, unless the query is about the past,
 *     store the whole copy.
 * Storing is best effort: when another command is writing, or the file is
 * read-only, the aggregates computed for this query are used and nothing
 * is stored; the snapshot of the read transaction keeps them consistent.
 * Closing an event (crm_event_close) lowers the customer's open count in
 * its row and narrows the window to the cutoffs after the closing time
 * (crm__stats_closed), so that a day of closed complaints does not cost
 * the next query a rebuild. Anything else that changes or deletes
 * existing events calls crm_stats_invalidate() (one DELETE of the stamp);
 * the next query then recomputes everything. So an answer is always as current as the events
 * table: stale or missing aggregates are rebuilt before answering.
 */
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "internal.h"
#include "rfm.h"
#include "stats.h"
#include "util.h"
#include "value.h"

/* ---- the container: customers, lookup ---------------------------------- */

/* slot: the aggregates of customer id in st, erased or not, or NULL. */
static struct crm_cstat *slot(const struct crm_stats *st, int64_t id)
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
	const struct crm_cstat *c = slot(st, id);

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

/* add_customers: append the customers of s (columns: id, erased), which
 * it steps and finalises, to st->c with nothing counted. 0 or -1. */
static int add_customers(struct crm_db *db, struct crm_stats *st,
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
 * aggregates are kept (stored, see above) but never ranked or shown. */
static int load_customers(struct crm_db *db, struct crm_stats *st)
{
	sqlite3_stmt *s;

	if ((s = crm__prepare(db, "SELECT id, erased_at IS NOT NULL"
	    " FROM customers ORDER BY id")) == NULL ||
	    add_customers(db, st, s) == -1)
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

/* ---- counting and the stored copy ------------------------------------- */

/* The window in which a set of aggregates is exact (see above). */
struct stamp {
	int64_t event;          /* events with id <= event are counted */
	int64_t from, until;    /* exact for cutoffs in (from, until] */
};

/* is_open: whether an event with this status and closing time was open at
 * the cutoff. */
static int is_open(sqlite3_stmt *s, int64_t cutoff)
{
	const char *status = (const char *)sqlite3_column_text(s, 5);

	if (status && strcmp(status, "open") == 0)
		return 1;
	return sqlite3_column_type(s, 6) != SQLITE_NULL &&
	    sqlite3_column_int64(s, 6) >= cutoff;
}

/* add_event: count the current row of the event scan into c. */
static void add_event(struct crm_cstat *c, sqlite3_stmt *s, int64_t at,
    int64_t cutoff)
{
	const char *k = (const char *)sqlite3_column_text(s, 2);
	int64_t amount;
	int contact = 0;

	if (k == NULL)
		return;
	switch (k[0]) {
	case 'p':
		if (strcmp(k, "purchase") != 0)
			return;
		c->orders++;
		c->spend += sqlite3_column_int64(s, 3);
		if (c->first_purchase == CRM_NONE || at < c->first_purchase)
			c->first_purchase = at;
		if (c->last_purchase == CRM_NONE || at > c->last_purchase)
			c->last_purchase = at;
		return;
	case 'r':
		if (strcmp(k, "return") == 0) {
			c->returns++;
			amount = sqlite3_column_int64(s, 3);
			c->spend -= amount < 0 ? -amount : amount;
		} else if (strcmp(k, "review") == 0 &&
		    sqlite3_column_type(s, 4) != SQLITE_NULL) {
			c->reviews++;
			c->rating_sum += sqlite3_column_int(s, 4);
		}
		return;
	case 'c':
		if (strcmp(k, "complaint") == 0) {
			c->complaints++;
			c->complaints_open += is_open(s, cutoff);
			contact = 1;
		} else if (strcmp(k, "callback") == 0) {
			c->callbacks_open += is_open(s, cutoff);
			contact = 1;
		} else if (strcmp(k, "cart_abandoned") == 0) {
			c->cart_abandoned++;
		} else if (strcmp(k, "campaign_sent") == 0) {
			c->campaigns_sent++;
		} else if (strcmp(k, "campaign_response") == 0) {
			c->campaigns_answered++;
			contact = 1;
		} else if (strcmp(k, "call") == 0) {
			contact = 1;
		}
		break;
	case 's':
		if (strcmp(k, "service") == 0) {
			c->service_open += is_open(s, cutoff);
			contact = 1;
		} else if (strcmp(k, "survey") == 0) {
			contact = 1;
		}
		break;
	case 'e':
	case 'l':
		contact = strcmp(k, "email_in") == 0 ||
		    strcmp(k, "email_out") == 0 || strcmp(k, "letter_in") == 0 ||
		    strcmp(k, "letter_out") == 0;
		break;
	}
	if (contact && (c->last_contact == CRM_NONE || at > c->last_contact))
		c->last_contact = at;
}


/* widen: note an event time t against the cutoff into w. */
static void note(struct stamp *w, int64_t t, int64_t cutoff)
{
	if (t < cutoff) {
		if (t > w->from)
			w->from = t;
	} else if (t < w->until) {
		w->until = t;
	}
}

/* fold: add the events with id > after to st; the stamp w follows them.
 * mark: flag the customers that change (for storing them). */
static int fold(struct crm_db *db, struct crm_stats *st, int64_t after,
    struct stamp *w, int mark)
{
	struct crm_cstat *c;
	sqlite3_stmt *s;
	int64_t at;
	int rc;

	if ((s = crm__prepare(db, "SELECT customer_id, at, kind, amount_cents,"
	    " rating, status, closed_at, id FROM events WHERE id > ?1")) ==
	    NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		w->event = sqlite3_column_int64(s, 7);
		c = slot(st, sqlite3_column_int64(s, 0));
		if (c == NULL)
			continue;       /* no such customer */
		at = sqlite3_column_int64(s, 1);
		note(w, at, st->cutoff);
		if (sqlite3_column_type(s, 6) != SQLITE_NULL)
			note(w, sqlite3_column_int64(s, 6), st->cutoff);
		if (at >= st->cutoff)
			continue;
		add_event(c, s, at, st->cutoff);
		if (mark)
			c->dirty = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read events");
	return 0;
}

/* read_stamp: the stored stamp: 1, 0 if there is none, -1 on error. */
static int read_stamp(struct crm_db *db, struct stamp *w)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = crm__prepare(db, "SELECT json_extract(value, '$.event'),"
	    " json_extract(value, '$.from'), json_extract(value, '$.until')"
	    " FROM meta WHERE key = 'stats' AND json_valid(value)")) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		w->event = sqlite3_column_int64(s, 0);
		w->from = sqlite3_column_type(s, 1) == SQLITE_NULL ? INT64_MIN :
		    sqlite3_column_int64(s, 1);
		w->until = sqlite3_column_type(s, 2) == SQLITE_NULL ? INT64_MAX :
		    sqlite3_column_int64(s, 2);
		if (sqlite3_column_type(s, 0) != SQLITE_INTEGER)
			rc = SQLITE_DONE;   /* not ours: rebuild */
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read meta");
	return rc == SQLITE_ROW;
}

/* max_event: the largest event id, 0 without events. */
static int max_event(struct crm_db *db, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = crm__prepare(db, "SELECT coalesce(max(id), 0) FROM events"))
	    == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : crm__sqlerr(db, "cannot read events");
}

/* The columns of customer_stats, in the order load and put use. */
#define STATS_COLS "customer_id, orders, spend, first_purchase," \
	" last_purchase, returns, complaints, complaints_open, service_open," \
	" callbacks_open, reviews, rating_sum, cart_abandoned," \
	" campaigns_sent, campaigns_answered, last_contact"

static int64_t col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? CRM_NONE :
	    sqlite3_column_int64(s, i);
}

/* load: the stored aggregates of st's customers: all rows (all), or
 * those of st's customers one by one (a few, see touched). */
static int load(struct crm_db *db, struct crm_stats *st, int all)
{
	struct crm_cstat *c;
	sqlite3_stmt *s;
	size_t i = 0;
	int rc = SQLITE_DONE;

	if ((s = crm__prepare(db, all ? "SELECT " STATS_COLS
	    " FROM customer_stats" : "SELECT " STATS_COLS
	    " FROM customer_stats WHERE customer_id = ?1")) == NULL)
		return -1;
	for (;;) {
		if (!all) {
			if (i == st->n) {
				rc = SQLITE_DONE;
				break;
			}
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, st->c[i++].id);
		}
		if ((rc = sqlite3_step(s)) == SQLITE_DONE && !all)
			continue;
		if (rc != SQLITE_ROW)
			break;
		c = slot(st, sqlite3_column_int64(s, 0));
		if (c == NULL)
			continue;       /* no such customer */
		c->orders = sqlite3_column_int(s, 1);
		c->spend = sqlite3_column_int64(s, 2);
		c->first_purchase = col_time(s, 3);
		c->last_purchase = col_time(s, 4);
		c->returns = sqlite3_column_int(s, 5);
		c->complaints = sqlite3_column_int(s, 6);
		c->complaints_open = sqlite3_column_int(s, 7);
		c->service_open = sqlite3_column_int(s, 8);
		c->callbacks_open = sqlite3_column_int(s, 9);
		c->reviews = sqlite3_column_int(s, 10);
		c->rating_sum = sqlite3_column_int(s, 11);
		c->cart_abandoned = sqlite3_column_int(s, 12);
		c->campaigns_sent = sqlite3_column_int(s, 13);
		c->campaigns_answered = sqlite3_column_int(s, 14);
		c->last_contact = col_time(s, 15);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read customer_stats");
	return 0;
}

/* empty: c counts nothing (no row is stored for it). */
static int empty(const struct crm_cstat *c)
{
	return !c->orders && !c->spend && !c->returns && !c->complaints &&
	    !c->complaints_open && !c->service_open && !c->callbacks_open &&
	    !c->reviews && !c->cart_abandoned && !c->campaigns_sent &&
	    !c->campaigns_answered && c->last_contact == CRM_NONE &&
	    c->first_purchase == CRM_NONE;
}

static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == CRM_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

/* put_stamp: write the stamp w. Returns an SQLite result code. */
static int put_stamp(struct crm_db *db, const struct stamp *w)
{
	sqlite3_stmt *s;
	int rc;

	/* from and until: null when unbounded */
	if ((rc = sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO meta"
	    " (key, value) VALUES ('stats', json_object('event', ?1,"
	    " 'from', ?2, 'until', ?3))", -1, &s, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, w->event);
	bind_time(s, 2, w->from == INT64_MIN ? CRM_NONE : w->from);
	bind_time(s, 3, w->until == INT64_MAX ? CRM_NONE : w->until);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* put: write the customers of st (all, or the dirty ones) and the stamp.
 * Returns the SQLite result code of the first failure, or SQLITE_OK. */
static int put(struct crm_db *db, struct crm_stats *st,
    const struct stamp *w, int all)
{
	const struct crm_cstat *c;
	sqlite3_stmt *s = NULL;
	size_t i;
	int rc;

	if (all && (rc = sqlite3_exec(db->sql, "DELETE FROM customer_stats",
	    NULL, NULL, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO"
	    " customer_stats (" STATS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)", -1, &s, NULL))
	    != SQLITE_OK)
		return rc;
	for (i = 0; i < st->n && rc == SQLITE_OK; i++) {
		c = &st->c[i];
		if (all ? empty(c) : !c->dirty)
			continue;
		sqlite3_bind_int64(s, 1, c->id);
		sqlite3_bind_int(s, 2, c->orders);
		sqlite3_bind_int64(s, 3, c->spend);
		bind_time(s, 4, c->first_purchase);
		bind_time(s, 5, c->last_purchase);
		sqlite3_bind_int(s, 6, c->returns);
		sqlite3_bind_int(s, 7, c->complaints);
		sqlite3_bind_int(s, 8, c->complaints_open);
		sqlite3_bind_int(s, 9, c->service_open);
		sqlite3_bind_int(s, 10, c->callbacks_open);
		sqlite3_bind_int(s, 11, c->reviews);
		sqlite3_bind_int(s, 12, c->rating_sum);
		sqlite3_bind_int(s, 13, c->cart_abandoned);
		sqlite3_bind_int(s, 14, c->campaigns_sent);
		sqlite3_bind_int(s, 15, c->campaigns_answered);
		bind_time(s, 16, c->last_contact);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return rc;
	return put_stamp(db, w);
}

/* store: put in a savepoint, best effort: a busy or read-only database
 * leaves the stored copy as it was (the query goes on with st). Returns 1
 * when stored, 0 when not, -1 on error. */
static int store(struct crm_db *db, struct crm_stats *st,
    const struct stamp *w, int all)
{
	int rc;

	if (sqlite3_exec(db->sql, "SAVEPOINT crm_stats", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return crm__sqlerr(db, "cannot store customer_stats");
	/* do not wait for another writer: the next query stores them */
	sqlite3_busy_timeout(db->sql, 0);
	rc = put(db, st, w, all);
	sqlite3_busy_timeout(db->sql, db->wait_ms);
	if (rc == SQLITE_OK) {
		if (sqlite3_exec(db->sql, "RELEASE crm_stats", NULL, NULL,
		    NULL) != SQLITE_OK)
			return crm__sqlerr(db, "cannot store customer_stats");
		return 1;
	}
	if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED &&
	    (rc & 0xff) != SQLITE_READONLY)
		crm__sqlerr(db, "cannot store customer_stats");
	sqlite3_exec(db->sql, "ROLLBACK TO crm_stats; RELEASE crm_stats", NULL,
	    NULL, NULL);
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ||
	    (rc & 0xff) == SQLITE_READONLY ? 0 : -1;
}

/* fill: the aggregates of the customers in st (ids loaded, counters zero)
 * as of st->cutoff, from the stored copy in customer_stats brought up to
 * date, or from all events (and stored when st->as_of is not in the
 * past). Call inside a transaction. 0 or -1. */
static int fill(struct crm_db *db, struct crm_stats *st)
{
	struct stamp w = { 0, INT64_MIN, INT64_MAX }, old;
	int64_t last = 0;
	int rc;

	if ((rc = read_stamp(db, &old)) == -1)
		return -1;
	if (rc == 1 && old.from < st->cutoff && st->cutoff <= old.until) {
		if (max_event(db, &last) == -1)
			return -1;
		if (last >= old.event) {
			w = old;
			if (load(db, st, 1) == -1 || fold(db, st, old.event, &w,
			    1) == -1)
				return -1;
			st->stored = 1;
			if (w.event == old.event && w.from == old.from &&
			    w.until == old.until)
				return 0;
			return store(db, st, &w, 0) == -1 ? -1 : 0;
		}
		/* events were deleted without crm_stats_invalidate() */
		w.event = 0;
	}
	if (fold(db, st, 0, &w, 0) == -1)
		return -1;
	/* the present (or a future) time: keep them for the next query. A
	 * period that ends now (a report's, crm_stats_before) is the present
	 * too, though its as_of is a second before. */
	if (st->cutoff >= crm_now())
		return store(db, st, &w, 1) == -1 ? -1 : 0;
	return 0;
}

/* exact: 1 if the stamp is there and customer_stats is exact for cutoff
 * (no event deleted), 0 if not, -1 on error; *old the stamp and *last the
 * largest event id. */
static int exact(struct crm_db *db, int64_t cutoff, struct stamp *old,
    int64_t *last)
{
	int rc;

	if ((rc = read_stamp(db, old)) != 1)
		return rc;
	if (old->from >= cutoff || cutoff > old->until)
		return 0;
	if (max_event(db, last) == -1)
		return -1;
	return *last >= old->event;
}

/* touched: st->c for the customers of the events with id > after, in id
 * order (a crm_stats of those only, found by binary search). */
static int touched(struct crm_db *db, struct crm_stats *st, int64_t after)
{
	sqlite3_stmt *s;

	if ((s = crm__prepare(db, "SELECT c.id, c.erased_at IS NOT NULL"
	    " FROM customers c WHERE c.id IN (SELECT customer_id FROM events"
	    " WHERE id > ?1) ORDER BY c.id")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	return add_customers(db, st, s);
}

/* sync: bring customer_stats up to date for cutoff when it can be done by
 * folding in new events: 1 when it is exact for cutoff afterwards, 0 when
 * not (no stamp, outside the window, not stored), -1 on error. */
static int sync(struct crm_db *db, int64_t as_of)
{
	struct crm_stats *st;
	struct stamp old, w;
	int64_t last = 0;
	int rc;

	if ((rc = exact(db, crm_cutoff(as_of), &old, &last)) != 1)
		return rc;
	if (last == old.event)
		return 1;
	/* only the customers of the new events, loaded, folded, stored */
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	st->as_of = as_of;
	st->cutoff = crm_cutoff(as_of);
	w = old;
	if (touched(db, st, old.event) == -1 || load(db, st, 0) == -1 ||
	    fold(db, st, old.event, &w, 1) == -1)
		rc = -1;
	else
		rc = store(db, st, &w, 0);
	crm_stats_free(st);
	return rc;
}

int crm_stats_sync(struct crm_db *db, int64_t as_of,
    struct crm_stats **computed)
{
	struct stamp old;
	int64_t last;
	int own = sqlite3_get_autocommit(db->sql), rc, e;

	*computed = NULL;
	if (own && crm__exec(db, "BEGIN") == -1)
		return -1;
	rc = sync(db, as_of);
	if (own) {
		if (rc == 1 && (e = sqlite3_exec(db->sql, "COMMIT", NULL, NULL,
		    NULL)) != SQLITE_OK)
			rc = (e & 0xff) == SQLITE_BUSY ? 0 :
			    crm__sqlerr(db, "cannot store customer_stats");
		if (!sqlite3_get_autocommit(db->sql))
			sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc != 0 || as_of < crm_now())
		return rc;
	/* No stamp, stale, or outside its window: compute everything (and
	 * store it, stats.c); the caller uses that if it was not stored. */
	if (crm_stats_compute(db, as_of, CRM_RFM_GRID, 0, computed) == -1)
		return -1;
	/* stored (the stamp covers the last event), or use *computed */
	if ((rc = exact(db, crm_cutoff(as_of), &old, &last)) == 1 &&
	    last == old.event) {
		crm_stats_free(*computed);
		*computed = NULL;
		return 1;
	}
	return rc == -1 ? -1 : 0;
}

int crm_stats_invalidate(struct crm_db *db)
{
	return crm__exec(db, "DELETE FROM meta WHERE key = 'stats'");
}

int crm__stats_closed(struct crm_db *db, int64_t id, int64_t cid,
    const char *kind, int64_t made, int open, int64_t at)
{
	struct stamp w;
	sqlite3_stmt *s;
	const char *sql;
	int rc;

	if ((rc = read_stamp(db, &w)) != 1)
		return rc;      /* nothing kept, or an error */
	/* Not folded in yet (the fold will see it closed), or made after
	 * every cutoff of the window (counted for none): nothing changes.
	 * Otherwise it was made before every cutoff of the window (no event
	 * time lies inside it) and counted open. */
	if (id > w.event || made >= w.until)
		return 0;
	if (!open)
		return crm_stats_invalidate(db);
	if (at >= w.until)
		return 0;       /* still open at every cutoff of the window */
	if (strcmp(kind, "complaint") == 0)
		sql = "UPDATE customer_stats SET complaints_open ="
		    " complaints_open - 1 WHERE customer_id = ?1 AND"
		    " complaints_open > 0";
	else if (strcmp(kind, "service") == 0)
		sql = "UPDATE customer_stats SET service_open = service_open - 1"
		    " WHERE customer_id = ?1 AND service_open > 0";
	else if (strcmp(kind, "callback") == 0)
		sql = "UPDATE customer_stats SET callbacks_open ="
		    " callbacks_open - 1 WHERE customer_id = ?1 AND"
		    " callbacks_open > 0";
	else
		return crm_stats_invalidate(db);
	if ((s = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, cid);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot update customer_stats");
	if (sqlite3_changes(db->sql) != 1)
		return crm_stats_invalidate(db);        /* not as expected */
	/* Closed at every cutoff of the window when at is before it; else
	 * only at those after at, which the window shrinks to. */
	if (at > w.from)
		w.from = at;
	if ((rc = put_stamp(db, &w)) != SQLITE_OK)
		return crm__error(db, CRM_EFAIL, "cannot store the stamp of "
		    "customer_stats: %s", sqlite3_errstr(rc));
	return 0;
}

/* ---- computing: the container filled and ranked ---------------------- */

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

/* rank: the recency, RFM scores (crm_rfm_rank) and segments of the
 * customers with purchases. */
static int rank(struct crm_db *db, struct crm_stats *st)
{
	int64_t today = localday(st->as_of);
	struct crm_rfm_buyer *b;
	struct crm_cstat *c;
	uint8_t *q;
	size_t i, j, nb = 0;

	for (i = 0; i < st->n; i++)
		if (st->c[i].orders && !st->c[i].erased)
			nb++;
	st->buyers = nb;
	if (nb == 0)
		return 0;
	b = malloc(nb * sizeof(*b));
	q = malloc(nb * 3);
	if (b == NULL || q == NULL) {
		free(b);
		free(q);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	for (i = 0, j = 0; i < st->n; i++) {
		c = &st->c[i];
		if (!c->orders || c->erased)
			continue;
		c->recency = (int32_t)(today - localday(c->last_purchase));
		b[j++] = (struct crm_rfm_buyer){ c->last_purchase, c->orders,
		    c->spend, c->id };
	}
	if (crm_rfm_rank(b, nb, q, q + nb, q + 2 * nb) == -1) {
		free(b);
		free(q);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	/* the buyers in the order they were taken from st->c */
	for (i = 0, j = 0; i < st->n; i++) {
		c = &st->c[i];
		if (!c->orders || c->erased)
			continue;
		c->r = q[j];
		c->f = q[nb + j];
		c->m = q[2 * nb + j];
		c->segment = (uint8_t)crm_rfm_segment(st->scheme, c->r, c->f,
		    c->m);
		j++;
	}
	free(b);
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
	rc = load_customers(db, st) == -1 || fill(db, st) == -1 ?
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
