/* test-report.c: unit tests of libcrm's report module: names, formats, the
 * RFM segments (rfm.c's grid: NTILE(5), ties split), and a built report's
 * tables. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crm.h"
#include "tap.h"

static struct crm_db *db;

/* customer: add customer ref; returns its id. */
static int64_t customer(const char *ref)
{
	struct crm_customer c;

	memset(&c, 0, sizeof(c));
	c.ref = (char *)ref;
	if (crm_customer_create(db, &c) == -1) {
		printf("Bail out! %s\n", crm_errmsg(db));
		exit(1);
	}
	return c.id;
}

/* buy: a purchase of id at time at. */
static void buy(int64_t id, int64_t at)
{
	struct crm_event ev;

	crm_event_init(&ev);
	ev.customer_id = id;
	ev.at = at;
	ev.kind = (char *)"purchase";
	ev.amount_cents = 1000;
	if (crm_event_insert(db, &ev) == -1) {
		printf("Bail out! %s\n", crm_errmsg(db));
		exit(1);
	}
}

/*
 * many_ties: 3000 more buyers whose counts, spend and last purchase take a
 * few values each (most rank by id alone), some with returns, and
 * crm_report_rfm against SQL's NTILE(5) over the same measures: the R and
 * F of every buyer, through the grid's names.
 */
static void many_ties(const char *dbpath, int64_t t0)
{
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	struct crm_segment_of *seg;
	sqlite3 *raw;
	sqlite3_stmt *st;
	size_t n, i = 0, bad = 0;
	int64_t c, j, id, day = 86400, as_of = t0 + 40 * day;
	char sql[256];

	if (sqlite3_open(dbpath, &raw) != SQLITE_OK)
		abort();
	sqlite3_exec(raw, "BEGIN", NULL, NULL, NULL);
	for (c = 0; c < 3000; c++) {
		snprintf(sql, sizeof(sql), "INSERT INTO customers (ref,"
		    " created_at, updated_at) VALUES ('T%lld', 0, 0)",
		    (long long)c);
		sqlite3_exec(raw, sql, NULL, NULL, NULL);
		id = sqlite3_last_insert_rowid(raw);
		for (j = 0; j <= c % 3 + (c % 11 == 0); j++) {
			/* c % 11 == 0: a return as well */
			snprintf(sql, sizeof(sql), "INSERT INTO events"
			    " (customer_id, at, kind, amount_cents, created_at)"
			    " VALUES (%lld, %lld, '%s', %d, 0)", (long long)id,
			    (long long)(t0 + (c % 7 + j) * day),
			    j > c % 3 ? "return" : "purchase",
			    j > c % 3 ? -500 : c % 4 ? 1000 : 2000);
			sqlite3_exec(raw, sql, NULL, NULL, NULL);
		}
	}
	sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);
	ok(crm_report_rfm(db, as_of, &seg, &n) == 0, "rfm with many ties");
	if (sqlite3_prepare_v2(raw, "WITH a AS (SELECT customer_id AS id,"
	    " count(*) FILTER (WHERE kind = 'purchase') AS o,"
	    " coalesce(sum(amount_cents) FILTER (WHERE kind = 'purchase'), 0) -"
	    " coalesce(sum(abs(amount_cents)) FILTER (WHERE kind = 'return'),"
	    " 0) AS s, max(at) FILTER (WHERE kind = 'purchase') AS l"
	    " FROM events WHERE at < ?1 GROUP BY customer_id)"
	    " SELECT id, NTILE(5) OVER (ORDER BY l, o, s, id DESC),"
	    " NTILE(5) OVER (ORDER BY o, s, l, id DESC) FROM a WHERE o > 0"
	    " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_int64(st, 1, as_of);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int r = sqlite3_column_int(st, 1), f = sqlite3_column_int(st, 2);
		const char *want = names[crm_rfm_segment(CRM_RFM_GRID, r, f, 1)];

		if (i >= n || seg[i].customer_id != sqlite3_column_int64(st, 0) ||
		    strcmp(seg[i].segment, want) != 0)
			bad++;
		i++;
	}
	sqlite3_finalize(st);
	is_int((int64_t)i, (int64_t)n, "many ties: every buyer has a segment");
	is_int((int64_t)bad, 0, "many ties: the segments of SQL's NTILE(5)");
	free(seg);
	sqlite3_close(raw);
}

/* segment: the segment of customer id in seg, or NULL. */
static const char *segment(const struct crm_segment_of *seg, size_t n,
    int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seg[i].customer_id == id)
			return seg[i].segment;
	return NULL;
}

int main(void)
{
	char path[] = "/tmp/test-report-XXXXXX";
	char dbpath[64];
	enum crm_report_kind k;
	enum crm_report_fmt f;
	struct crm_segment_of *seg;
	struct crm_report_opts o;
	struct crm_report *r;
	const struct crm_rtable *t;
	const struct crm_rsection *s;
	int64_t id[10], day = 86400, t0 = 1790000000;
	size_t n, i;
	char *names;

	ok(crm_report_kind_parse("nightly", &k) == 0 && k == CRM_REPORT_NIGHTLY,
	    "nightly is a report");
	ok(crm_report_kind_parse("audit", &k) == 0 && k == CRM_REPORT_AUDIT,
	    "audit is a report");
	ok(crm_report_kind_parse("weekly", &k) == -1, "weekly is not");
	is_str(crm_report_kind_name(CRM_REPORT_CALLBACKS), "callbacks",
	    "kind names");
	ok(crm_report_fmt_parse("html", &f) == 0 && f == CRM_RFMT_HTML, "html");
	ok(crm_report_fmt_parse("table", &f) == 0 && f == CRM_RFMT_TEXT,
	    "table is text");
	ok(crm_report_fmt_parse("xml", &f) == -1, "xml is not a format");

	if (mkdtemp(path) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/crm.db", path);
	if (crm_db_open(&db, dbpath, "test-report", 0, 0) == -1) {
		printf("Bail out! %s\n", crm_errmsg(db));
		return 1;
	}
	ok(crm_report_rfm(db, t0, &seg, &n) == 0 && n == 0 && seg == NULL,
	    "no customers, no segments");
	/*
	 * Ten buyers: customer i (0..9) buys i + 1 times, the last time on
	 * day i, except that 8 and 9 buy as often as 7. NTILE(5) of ten: two
	 * to a score. recency: ranks 0..9 -> R = 1 1 2 2 3 3 4 4 5 5;
	 * frequency counts 1 2 3 4 5 6 7 8 8 8, the tie of 7, 8, 9 (same
	 * count, same spend) split by the last purchase, the later higher ->
	 * F = 1 1 2 2 3 3 4 4 5 5.
	 */
	for (i = 0; i < 10; i++) {
		char ref[8];
		size_t j, times = i < 8 ? i + 1 : 8;

		snprintf(ref, sizeof(ref), "K%zu", i);
		id[i] = customer(ref);
		for (j = 0; j < times; j++)
			buy(id[i], t0 + (int64_t)i * day - (int64_t)j * 1000);
	}
	customer("K-none");     /* no purchase: no segment */
	ok(crm_report_rfm(db, t0 + 20 * day, &seg, &n) == 0, "rfm");
	is_int((int64_t)n, 10, "ten buyers have a segment");
	ok(seg[0].customer_id < seg[9].customer_id, "sorted by customer id");
	is_str(segment(seg, n, id[0]), "Hibernating", "R1 F1");
	is_str(segment(seg, n, id[2]), "Hibernating", "R2 F2");
	is_str(segment(seg, n, id[4]), "Need Attention", "R3 F3");
	is_str(segment(seg, n, id[5]), "Need Attention", "R3 F3 too");
	is_str(segment(seg, n, id[6]), "Loyal Customers", "R4 F4");
	is_str(segment(seg, n, id[7]), "Loyal Customers", "R4 F4, a tie in F");
	is_str(segment(seg, n, id[9]), "Champions", "R5 F5, a tie in F");
	free(seg);
	/* as of an earlier date only the purchases before it count */
	ok(crm_report_rfm(db, t0, &seg, &n) == 0 && n == 0,
	    "as of: a purchase at as_of is not before it");
	ok(crm_report_rfm(db, t0 + 1, &seg, &n) == 0 && n == 1, "as of");
	/* nobody is below a lone buyer: R 1, F 1 */
	is_str(n ? seg[0].segment : NULL, "Hibernating", "a lone buyer");
	free(seg);

	/* a built report: sections, tables and find */
	memset(&o, 0, sizeof(o));
	o.kind = CRM_REPORT_NIGHTLY;
	o.since = t0;
	o.until = t0 + day;
	o.now = t0 + day;
	r = crm_report_build(db, &o);
	ok(r != NULL, "nightly report built");
	if (r) {
		is_int((int64_t)r->nsections, 9, "nine sections");
		s = crm_report_find(r, "sales", &t);
		ok(s != NULL && t == NULL, "find a section");
		s = crm_report_find(r, "callbacks", &t);
		ok(s != NULL && t != NULL && strcmp(s->name, "service") == 0,
		    "find a table and its section");
		ok(crm_report_find(r, "nosuch", &t) == NULL, "unknown name");
		names = crm_report_names(r);
		ok(names && strstr(names, "segment_sizes") != NULL, "names");
		free(names);
		is_int(r->psince, t0 - day, "previous period of a day");
		crm_report_free(r);
	}
	/* since after until is an error, not a crash */
	o.since = t0 + 2 * day;
	ok(crm_report_build(db, &o) == NULL && crm_errcode(db) == CRM_EDATA,
	    "since after until: CRM_EDATA");
	crm_report_free(NULL);
	many_ties(dbpath, t0);
	crm_db_close(db);
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/crm.db-wal", path);
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/crm.db-shm", path);
	unlink(dbpath);
	rmdir(path);
	return done();
}
