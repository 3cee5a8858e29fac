/* report_segments.c: the RFM segments in the nightly report: the
 * customers of each of crm-segment's grid segments, and who moved between
 * them since the last report. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "event.h"
#include "report.h"
#include "report_int.h"
#include "rfm.h"
#include "util.h"
#include "value.h"

/* ------------------------------------------------------------------ */
/* RFM                                                                 */

/*
 * The segments are crm-segment's (libcrm/rfm.c, the R x F grid scheme):
 * the customers who bought before as_of scored 1-5 by NTILE(5), ties split
 * by the other measures then by id, and named by the grid, so that the
 * report and `crm-segment rfm --count` agree.
 */
int crm_report_rfm(struct crm_db *db, int64_t as_of,
    struct crm_segment_of **out, size_t *n)
{
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	struct crm_stats *st;
	struct crm_segment_of *seg;
	size_t i, k;

	*out = NULL;
	*n = 0;
	if (crm_stats_before(db, as_of, CRM_RFM_GRID, 1, &st) == -1)
		return -1;
	if (st->buyers == 0) {
		crm_stats_free(st);
		return 0;
	}
	if ((seg = malloc(st->buyers * sizeof(*seg))) == NULL) {
		crm_stats_free(st);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	for (i = 0, k = 0; i < st->n; i++) {    /* st->c is in id order */
		if (st->c[i].orders == 0)
			continue;
		seg[k].customer_id = st->c[i].id;
		seg[k++].segment = names[st->c[i].segment];
	}
	crm_stats_free(st);
	*out = seg;
	*n = k;
	return 0;
}

#define NSEG 16 /* room for the grid's names and "(other)" */

/* nseg_names: the number of the grid's segment names; "(other)", for a
 * name not among them, takes the index after the last. */
static size_t nseg_names(void)
{
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	size_t i;

	for (i = 0; names[i]; i++)
		;
	return i;
}

/* seg_name: the name of segment index i ("(other)" past the grid's). */
static const char *seg_name(size_t i)
{
	return i < nseg_names() ? crm_rfm_segments(CRM_RFM_GRID)[i] :
	    "(other)";
}

/* seg_index: the index of name among the grid's segments, or the index of
 * "(other)" for an unknown one. Rows written by the report's former
 * built-in grid read as the same cells under rfm.c's names. */
static size_t seg_index(const char *name)
{
	static const char *const alias[][2] = {
		{ "Loyal", "Loyal Customers" },
		{ "Cannot Lose Them", "Can't Lose Them" },
	};
	const char *const *names = crm_rfm_segments(CRM_RFM_GRID);
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(name, alias[i][0]) == 0)
			name = alias[i][1];
	for (i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return i;
}


/*
 * compare: read the segments as of the last nightly report from
 * report_segments (one row per customer: its segment then, and the report
 * that wrote it, i.e. since when it has that segment), count them by
 * segment into before[], the moves into moves[][] and *moved, and note in
 * the report what the record must change: the customers whose segment
 * changed or who are new, and those who have none any more. Unchanged rows
 * stay, so a night writes only what moved.
 */
static int compare(struct ctx *x, const struct crm_segment_of *seg,
    size_t nseg, int64_t *before, int64_t (*moves)[NSEG], int64_t *moved)
{
	enum { NONE = 0xff, SEEN = 0xfe };
	struct crm_report *r = x->r;
	sqlite3_stmt *st;
	unsigned char *old;
	int64_t *rid, maxid = nseg ? seg[nseg - 1].customer_id : 0, id;
	size_t i, cur, nch = 0;
	int rc;

	if ((st = crm__rprep(x, "SELECT max(customer_id) FROM report_segments",
	    0)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) > maxid)
		maxid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (maxid > (int64_t)1 << 28)
		return crm__error(x->db, CRM_EFAIL, "customer ids too large");
	old = malloc((size_t)maxid + 1);
	rid = malloc(((size_t)maxid + 1) * sizeof(*rid));
	if (old == NULL || rid == NULL) {
		free(old);
		free(rid);
		return crm__error(x->db, CRM_EFAIL, "out of memory");
	}
	memset(old, NONE, (size_t)maxid + 1);
	st = crm__rprep(x, "SELECT customer_id, segment, report_id FROM "
	    "report_segments", 0);
	if (st == NULL) {
		free(old);
		free(rid);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > maxid)
			continue;
		old[id] = (unsigned char)seg_index((const char *)
		    sqlite3_column_text(st, 1));
		rid[id] = sqlite3_column_int64(st, 2);
		before[old[id]]++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(old);
		free(rid);
		return crm__sqlerr(x->db, "cannot read the last report");
	}
	r->changes = malloc((nseg + (size_t)maxid + 1) * sizeof(*r->changes));
	if (r->changes == NULL) {
		free(old);
		free(rid);
		return crm__error(x->db, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < nseg; i++) {
		id = seg[i].customer_id;
		cur = seg_index(seg[i].segment);
		if (old[id] == NONE) {
			r->changes[nch].customer_id = id;
			r->changes[nch].old_report = 0;
			r->changes[nch++].segment = seg[i].segment;
			continue;
		}
		if (old[id] != cur) {
			moves[old[id]][cur]++;
			(*moved)++;
			r->changes[nch].customer_id = id;
			r->changes[nch].old_report = rid[id];
			r->changes[nch++].segment = seg[i].segment;
		}
		old[id] = SEEN;
	}
	for (id = 0; id <= maxid; id++) {
		if (old[id] == NONE || old[id] == SEEN)
			continue;
		r->changes[nch].customer_id = id;       /* no segment now */
		r->changes[nch].old_report = rid[id];
		r->changes[nch++].segment = NULL;
	}
	r->nchanges = nch;
	r->incremental = 1;
	free(old);
	free(rid);
	return 0;
}

int crm__sec_segments(struct ctx *x)
{
	struct crm_rtable *t, *sizes;
	struct crm_segment_of *seg = NULL;
	int64_t now[NSEG] = {0}, before[NSEG] = {0};
	int64_t moves[NSEG][NSEG] = {{0}};
	int64_t moved = 0;
	char b[4][VALBUF], when[CRM_TIMEBUF];
	const char *v[5];
	size_t nseg, i, j;
	size_t other = nseg_names();    /* the index of "(other)" */

	crm__rsection(x, "segments", "RFM segments");
	if (crm_report_rfm(x->db, x->u, &seg, &nseg) == -1)
		return -1;
	x->r->segs = seg;
	x->r->nsegs = nseg;
	for (i = 0; i < nseg; i++)
		now[seg_index(seg[i].segment)]++;
	/* the segments at the last nightly report, and what changed since */
	if (x->last_report && compare(x, seg, nseg, before, moves, &moved) == -1)
		return -1;
	t = crm__rfigures(x);
	{
		int64_t keep = x->ps;
		double prev_total = 0;

		for (i = 0; i < NSEG; i++)
			prev_total += (double)before[i];
		/* "previous" here is the last report's snapshot */
		x->ps = x->last_report ? 0 : CRM_NONE;
		crm__rfig(x, t, "segmented", "Customers with a segment", 'n',
		    (double)nseg, prev_total);
		x->ps = CRM_NONE;
		if (x->last_report)
			crm__rfig(x, t, "moved", "Moved between segments "
			    "since the last report", 'n', (double)moved, NAN);
		x->ps = keep;
	}
	sizes = crm__rtable(x, "segment_sizes", "Segment sizes",
	    "segment,customers,last_report,change", "snnc");
	for (i = 0; i <= other; i++) {
		if (i == other && now[i] == 0 && before[i] == 0)
			continue;
		v[0] = seg_name(i);
		v[1] = crm__rfmt_int(b[0], now[i]);
		v[2] = x->last_report ? crm__rfmt_int(b[1], before[i]) : NULL;
		v[3] = x->last_report ?
		    crm__rfmt_int(b[2], now[i] - before[i]) : NULL;
		crm__rrow(x, sizes, v);
	}
	crm__rchart(x, "segments", "Customers by RFM segment", sizes, 0, 1, 1);
	if (x->last_report) {
		t = crm__rtable(x, "segment_moves",
		    "Moves since the last report", "from,to,customers", "ssn");
		for (i = 0; i <= other; i++)
			for (j = 0; j <= other; j++) {
				if (moves[i][j] == 0)
					continue;
				v[0] = seg_name(i);
				v[1] = seg_name(j);
				v[2] = crm__rfmt_int(b[3], moves[i][j]);
				crm__rrow(x, t, v);
			}
		crm__rnote(x, "The R x F grid of crm-segment rfm over the "
		    "purchases before %s, compared with the report of %s.",
		    crm_fmt_time(x->u, b[0]), crm_fmt_time(x->last_ran, when));
	} else {
		crm__rnote(x, "The R x F grid of crm-segment rfm over the "
		    "purchases before %s; there is no earlier nightly report "
		    "to compare with.", crm_fmt_time(x->u, b[0]));
	}
	return 0;
}

