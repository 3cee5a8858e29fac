/* predict_score.c: storing and reading the fitted models, and scoring
 * customers: P(alive), expected purchases, the probability of a purchase
 * and spend, CLV, churn risk, next purchase, favourite category, price
 * band, discount buying, channel, and the evidence for them. */
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

/* ---- models ----------------------------------------------------------- */

int crm_model_store(struct crm_db *db, struct crm_model *m)
{
	sqlite3_stmt *st;
	struct crm_buf p = {0}, d = {0};
	int k, rc = -1;

	if (m->kind < 0)
		return crm__error(db, CRM_EDATA, "no model to store");
	if ((st = crm__prepare(db, "INSERT INTO models (kind, fitted_at, "
	    "as_of, period, params, loglik, customers, repeaters, detail) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return -1;
	if (crm_db_begin(db) == -1)
		goto out;
	for (k = 0; k < 1 + m->has_gg; k++) {
		const struct crm_fit_info *fi = k ? &m->gginfo : &m->info;
		const char *kind = k ? "gammagamma" : crm_btyd_name(m->kind);
		char what[64];

		crm_buf_reset(&p);
		crm_buf_reset(&d);
		if (k)
			crm_buf_addf(&p, "{\"p\":%.17g,\"q\":%.17g,"
			    "\"gamma\":%.17g}", m->gg[0], m->gg[1], m->gg[2]);
		else if (m->kind == CRM_BTYD_PARETO)
			crm_buf_addf(&p, "{\"r\":%.17g,\"alpha\":%.17g,"
			    "\"s\":%.17g,\"beta\":%.17g}", m->par[0], m->par[1],
			    m->par[2], m->par[3]);
		else
			crm_buf_addf(&p, "{\"r\":%.17g,\"alpha\":%.17g,"
			    "\"a\":%.17g,\"b\":%.17g}", m->par[0], m->par[1],
			    m->par[2], m->par[3]);
		crm_buf_addf(&d, "{\"iterations\":%d,\"evaluations\":%d,"
		    "\"gradient\":%.3g,\"status\":%d,\"spenders\":%zu,"
		    "\"spend_corr\":%.4f,\"warning\":", fi->iterations,
		    fi->evaluations, fi->gmax, (int)fi->status, m->spenders,
		    m->spend_corr);
		crm_buf_addjson(&d, m->warning);
		crm_buf_adds(&d, ",\"choice\":");
		crm_buf_addjson(&d, m->choice);
		crm_buf_addc(&d, '}');
		if (p.oom || d.oom) {
			crm__oom(db);
			goto out;
		}
		sqlite3_reset(st);
		crm__bind_text(st, 1, kind);
		sqlite3_bind_int64(st, 2, m->fitted_at);
		sqlite3_bind_int64(st, 3, m->as_of);
		crm__bind_text(st, 4, m->period_days == 1 ? "day" : "week");
		crm__bind_text(st, 5, p.s);
		sqlite3_bind_double(st, 6, fi->loglik);
		sqlite3_bind_int64(st, 7, (int64_t)(k ? m->spenders : m->customers));
		sqlite3_bind_int64(st, 8, (int64_t)m->repeaters);
		crm__bind_text(st, 9, d.s);
		if (sqlite3_step(st) != SQLITE_DONE) {
			crm__sqlerr(db, "cannot store the model");
			goto out;
		}
		if (k == 0)
			m->id = sqlite3_last_insert_rowid(db->sql);
		snprintf(what, sizeof(what), "model.fit.%s", kind);
		if (crm_audit(db, what, 0, 0, p.s) == -1)
			goto out;
	}
	rc = crm_db_commit(db);
out:
	if (rc == -1)
		crm_db_rollback(db);
	sqlite3_finalize(st);
	crm_buf_free(&p);
	crm_buf_free(&d);
	return rc;
}

int crm_model_latest(struct crm_db *db, struct crm_model *m)
{
	sqlite3_stmt *st;
	int rc, k;

	memset(m, 0, sizeof(*m));
	m->kind = -1;
	/* the third and fourth parameter: a, b or s, beta */
	if ((st = crm__prepare(db, "SELECT b.id, b.fitted_at, b.as_of, "
	    "b.period, b.kind, json_extract(b.params, '$.r'), "
	    "json_extract(b.params, '$.alpha'), "
	    "coalesce(json_extract(b.params, '$.a'), "
	    "json_extract(b.params, '$.s')), "
	    "coalesce(json_extract(b.params, '$.b'), "
	    "json_extract(b.params, '$.beta')), b.loglik, b.customers, "
	    "b.repeaters, json_extract(g.params, '$.p'), "
	    "json_extract(g.params, '$.q'), json_extract(g.params, '$.gamma'), "
	    "g.loglik, json_extract(b.detail, '$.choice') "
	    "FROM models b LEFT JOIN models g ON g.id = b.id + 1 "
	    "AND g.kind = 'gammagamma' AND g.fitted_at = b.fitted_at "
	    "WHERE b.kind IN ('bgnbd', 'mbgnbd', 'pareto') "
	    "ORDER BY b.id DESC LIMIT 1")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *ch = (const char *)sqlite3_column_text(st, 16);

		m->id = sqlite3_column_int64(st, 0);
		m->fitted_at = sqlite3_column_int64(st, 1);
		m->as_of = sqlite3_column_int64(st, 2);
		m->period_days = strcmp((const char *)sqlite3_column_text(st, 3),
		    "day") == 0 ? 1 : 7;
		m->kind = crm_btyd_kind((const char *)sqlite3_column_text(st, 4));
		for (k = 0; k < 4; k++)
			m->par[k] = sqlite3_column_double(st, 5 + k);
		m->info.loglik = sqlite3_column_double(st, 9);
		m->customers = (size_t)sqlite3_column_int64(st, 10);
		m->repeaters = (size_t)sqlite3_column_int64(st, 11);
		m->has_gg = sqlite3_column_type(st, 12) != SQLITE_NULL;
		for (k = 0; k < 3; k++)
			m->gg[k] = sqlite3_column_double(st, 12 + k);
		m->gginfo.loglik = sqlite3_column_double(st, 15);
		snprintf(m->choice, sizeof(m->choice), "%s", ch ? ch : "");
		for (k = 0; k < 4; k++)
			if (!(m->par[k] > 0) || !isfinite(m->par[k]))
				rc = SQLITE_CORRUPT;
		if (m->has_gg && !(m->gg[0] > 0 && m->gg[1] > 1 && m->gg[2] > 0))
			m->has_gg = 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_CORRUPT)
		return crm__error(db, CRM_EDATA, "the stored model %lld has "
		    "invalid parameters; run crm-predict fit", (long long)m->id);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot read the model");
	return 1;
}

/* ---- scoring ----------------------------------------------------------- */

/*
 * crm__churn_class: the churn risk of a customer expected to buy e times in
 * the horizon: by q = 1 - e^-e (the chance of a purchase were they
 * Poisson), "high" below 0.2, "medium" below 0.5, else "low". The
 * expected purchases rank the buyers of the next period at least as well
 * as recency does (CDNOW: AUC 0.773 to 0.779 for the three models against
 * 0.771), where P(alive) alone ranks them worse (0.32 to 0.73) and even
 * the models' own P(a purchase) is a little worse (0.757 to 0.771): the
 * classes follow that ranking, so that "high" buys again least.
 */
const char *crm__churn_class(double e)
{
	double q = -expm1(-e);

	return q < 0.2 ? "high" : q < 0.5 ? "medium" : "low";
}


static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* nth: the k-th smallest of v[0..n) (v is reordered): quickselect. */
static float nth(float *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	if (n < 64) {
		qsort(v, n, sizeof(*v), cmp_float);
		return v[k];
	}
	while (lo < hi) {
		float pv = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pv)
				i++;
			while (v[j] > pv)
				j--;
			if (i <= j) {
				float t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* unit: the price of one item of e in cents. */
static float unit(const struct pev *e)
{
	return (float)e->cents / (float)(e->qty & QTY_MAX);
}

/* price_thirds: per category the 1/3 and 2/3 quantiles of unit prices.
 * Returns 0 or -1 (out of memory). */
static int price_thirds(struct crm_history *h)
{
	size_t nc = h->cats.n, i, *cnt, *pos;
	float *v;

	if ((h->cut1 = calloc(nc, sizeof(float))) == NULL ||
	    (h->cut2 = calloc(nc, sizeof(float))) == NULL ||
	    (cnt = calloc(nc + 1, sizeof(size_t))) == NULL)
		return -1;
	if ((pos = calloc(nc + 1, sizeof(size_t))) == NULL ||
	    (v = malloc((h->nev + 1) * sizeof(float))) == NULL) {
		free(pos);
		free(cnt);
		return -1;
	}
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day <= h->endday && h->ev[i].cents > 0)
			cnt[h->ev[i].cat + 1]++;
	for (i = 0; i < nc; i++)
		cnt[i + 1] += cnt[i];
	memcpy(pos, cnt, (nc + 1) * sizeof(size_t));
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day <= h->endday && h->ev[i].cents > 0)
			v[pos[h->ev[i].cat]++] = unit(&h->ev[i]);
	for (i = 0; i < nc; i++) {
		size_t k = cnt[i + 1] - cnt[i];

		if (k < 3) {
			h->cut1[i] = h->cut2[i] = -1;   /* too few to judge */
			continue;
		}
		h->cut1[i] = nth(v + cnt[i], k, k / 3);
		h->cut2[i] = nth(v + cnt[i], k, 2 * k / 3);
	}
	free(v);
	free(pos);
	free(cnt);
	return 0;
}

/*
 * discount_prior: the first day up to the end of observation a purchase
 * had a discount, and the share of purchases from then on that had one. Discounts are counted from the
 * day they were first recorded: a purchase before it says nothing, one
 * after it without a discount counts as full price.
 */
static void discount_prior(struct crm_history *h)
{
	size_t i, n = 0, d = 0;

	h->discday = INT32_MAX;
	for (i = 0; i < h->nev; i++)
		if ((h->ev[i].qty & PEV_DISC) && h->ev[i].day < h->discday &&
		    h->ev[i].day <= h->endday)
			h->discday = h->ev[i].day;
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day >= h->discday && h->ev[i].day <= h->endday) {
			n++;
			d += (h->ev[i].qty & PEV_DISC) != 0;
		}
	h->discshare = n ? (double)d / (double)n : 0;
}

/*
 * The expected purchases of an active customer depend on x and T but not
 * on the recency (btyd.h): they and their discounted sum are computed
 * once per distinct (x, T), which are far fewer than the triples, and
 * kept in an open-addressing table keyed by x << 32 | T in days.
 */
struct xtval {
	uint64_t key;           /* UINT64_MAX: empty */
	double e, disc, pb;     /* of the active */
};

/* The two halves of crm_predict_prepare, which run at once: the model
 * values of the triples, and the tables that do not depend on the model. */
struct prep {
	struct crm_history *h;
	const struct crm_model *m;
	const struct crm_score_opts *so;
	int rc;                 /* -1: out of memory */
};

/* prep_model: the model values of every distinct (x, recency, T); CLV
 * discounts the expected purchases of each step of about a month at its
 * end. */
static void prep_model(void *arg)
{
	struct prep *pp = arg;
	struct crm_history *h = pp->h;
	const struct crm_model *m = pp->m;
	const struct crm_score_opts *so = pp->so;
	int kind = m->kind;
	double df[121];
	struct xtval *xt;
	size_t i, nslot = 64;
	int steps, k;

	if (kind < 0) {         /* no purchase model: nothing to compute */
		for (i = 0; i < h->ntri; i++) {
			struct tri *t = &h->tri[i];

			t->pa = t->e = t->disc = t->pb = NAN;
			t->wait = -1;
		}
		return;
	}
	steps = (int)ceil(so->horizon * h->o.period_days / 30.4375);
	if (steps < 1)
		steps = 1;
	if (steps > 120)
		steps = 120;
	for (k = 1; k <= steps; k++) {
		double tk = so->horizon * k / steps;

		df[k] = pow(1 + so->discount, tk * h->o.period_days / 365.25);
	}
	while (nslot < 2 * h->ntri)
		nslot *= 2;
	if ((xt = malloc(nslot * sizeof(*xt))) == NULL) {
		pp->rc = -1;
		return;
	}
	for (i = 0; i < nslot; i++)
		xt[i].key = UINT64_MAX;
	for (i = 0; i < h->ntri; i++) {
		struct tri *t = &h->tri[i];
		uint64_t key = (uint64_t)t->xi << 32 | t->Td;
		size_t j = (size_t)((key * 0x9E3779B97F4A7C15u) >> 32) &
		    (nslot - 1);

		while (xt[j].key != UINT64_MAX && xt[j].key != key)
			j = (j + 1) & (nslot - 1);
		if (xt[j].key == UINT64_MAX) {
			double prev = 0, e = 0;

			xt[j].key = key;
			xt[j].disc = 0;
			for (k = 1; k <= steps; k++) {
				double tk = so->horizon * k / steps;

				e = crm_btyd_expected_active(kind, m->par, t->x,
				    t->T, tk);
				xt[j].disc += (e - prev) / df[k];
				prev = e;
			}
			xt[j].e = e;
			xt[j].pb = crm_btyd_pbuy_active(kind, m->par, t->x, t->T,
			    so->horizon);
		}
		t->pa = crm_btyd_palive(kind, m->par, t->x, t->tx, t->T);
		t->e = xt[j].e * t->pa;
		t->disc = xt[j].disc * t->pa;
		t->pb = xt[j].pb * t->pa;
		/* the median wait, when a purchase within the horizon is more
		 * likely than not */
		t->wait = t->pb >= 0.5 ? crm_btyd_wait(kind, m->par, t->x, t->T,
		    0.5 / t->pa, so->horizon) : -1;
	}
	free(xt);
}

/* prep_tables: category shares, price thirds, channel response rates. */
static void prep_tables(void *arg)
{
	struct prep *pp = arg;
	struct crm_history *h = pp->h;
	double tot = 0, *sent;
	size_t i;

	if ((h->catshare = calloc(h->cats.n, sizeof(double))) == NULL) {
		pp->rc = -1;
		return;
	}
	for (i = 0; i < h->nev; i++)
		if (h->ev[i].day <= h->endday) {
			h->catshare[h->ev[i].cat]++;
			tot++;
		}
	for (i = 0; i < h->cats.n; i++)
		h->catshare[i] = tot > 0 ? h->catshare[i] / tot : 0;
	if (price_thirds(h) == -1 ||
	    (h->chrate = calloc(h->chans.n, sizeof(double))) == NULL ||
	    (sent = calloc(h->chans.n, sizeof(double))) == NULL) {
		pp->rc = -1;
		return;
	}
	for (i = 0; i < h->ncev; i++) {
		if (h->cev[i].resp)
			h->chrate[h->cev[i].chan]++;
		else
			sent[h->cev[i].chan]++;
	}
	for (i = 0; i < h->chans.n; i++)
		h->chrate[i] = sent[i] > 0 ? fmin(1, h->chrate[i] / sent[i]) : 0;
	free(sent);
	discount_prior(h);
}

int crm_predict_prepare(struct crm_db *db, struct crm_history *h,
    const struct crm_model *m, const struct crm_score_opts *so)
{
	struct prep a = { h, m, so, 0 }, b = { h, m, so, 0 };

	h->m = m;
	h->horizon = so->horizon;
	crm__both(prep_model, &a, prep_tables, &b);
	if (a.rc == -1 || b.rc == -1)
		return crm__oom(db);
	h->prepared = 1;
	return 0;
}

/* The evidence text, appended to in place: bounded by its array (cut
 * where snprintf would cut it), with the numbers formatted without printf
 * (a million customers' worth of printf was a noticeable part of
 * scoring). */
struct evb {
	char *s;
	size_t len, cap;
};

static void ev_adds(struct evb *b, const char *s)
{
	size_t n = strlen(s);

	if (n > b->cap - 1 - b->len)
		n = b->cap - 1 - b->len;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* ev_addfix: v with d decimals, as "%.*f". */
static void ev_addfix(struct evb *b, double v, int d)
{
	char buf[CRM_FIXBUF];

	ev_adds(b, crm_fmt_fixed(buf, v, d));
}

static void ev_addu(struct evb *b, size_t v)
{
	ev_addfix(b, (double)v, 0);
}

/* ev_sep: "; " between two pieces of evidence. */
static void ev_sep(struct evb *b)
{
	if (b->len)
		ev_adds(b, "; ");
}

/* Prior weights: how many purchases / mailings the population's share or
 * rate counts for when it is blended with a customer's own. */
#define CHAN_PRIOR 4.0
#define DISC_PRIOR 4.0

/* favourite: the category c bought most often up to the end, ties going
 * to the one more common among all customers: a best guess for every
 * buyer of a category, with its share of all their purchases. */
static void favourite(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, best = 0;
	uint16_t cat[64];
	size_t cnt[64], nc = 0, i;

	for (j = 0; j < k && e[j].day <= h->endday; j++) {
		n++;
		if (e[j].cat == 0)
			continue;
		for (i = 0; i < nc && cat[i] != e[j].cat; i++)
			;
		if (i == nc) {
			if (nc == 64)
				continue;
			cat[nc] = e[j].cat;
			cnt[nc++] = 0;
		}
		cnt[i]++;
	}
	if (nc == 0)
		return;
	for (i = 1; i < nc; i++)
		if (cnt[i] > cnt[best] || (cnt[i] == cnt[best] &&
		    h->catshare[cat[i]] > h->catshare[cat[best]]))
			best = i;
	s->favourite = h->cats.s[cat[best]];
	s->favourite_share = (double)cnt[best] / (double)n;
	ev_sep(ev);
	ev_adds(ev, s->favourite);
	ev_adds(ev, " ");
	ev_addfix(ev, s->favourite_share, 2);
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, n == 1 ? " purchase" : " purchases");
}

/*
 * price_band: the band (below the category's lower third of unit prices,
 * between, above the upper third) where most of c's priced purchases
 * fall. A tie goes to the tied band nearest the customer's mean position,
 * each price placed on a log scale where the thirds are -1 and 1 (the
 * bands' middles taken as -2, 0 and 2): one purchase below and one above
 * make a budget or premium buyer, hardly ever a mid one.
 */
static void price_band(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	static const char *const name[3] = { "budget", "mid", "premium" };
	static const char *const where[3] = {
	    " below the category's lower third", " in the category's middle",
	    " above the category's upper third" };
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, cnt[3] = { 0 };
	double pos = 0;
	int b, best = -1;

	for (j = 0; j < k && e[j].day <= h->endday; j++) {
		float u = unit(&e[j]), c1 = h->cut1[e[j].cat],
		    c2 = h->cut2[e[j].cat];

		if (e[j].cents <= 0 || c1 < 0)
			continue;
		n++;
		cnt[u < c1 ? 0 : u > c2 ? 2 : 1]++;
		if (c2 > c1 && c1 > 0)
			pos += log((double)u / sqrt((double)c1 * c2)) /
			    (log((double)c2 / c1) / 2);
	}
	if (n == 0)
		return;
	pos /= (double)n;
	for (b = 0; b < 3; b++)
		if (best < 0 || cnt[b] > cnt[best] || (cnt[b] == cnt[best] &&
		    fabs(pos - 2 * (b - 1)) < fabs(pos - 2 * (best - 1))))
			best = b;
	s->band = name[best];
	ev_sep(ev);
	ev_adds(ev, s->band);
	ev_adds(ev, " ");
	ev_addu(ev, cnt[best]);
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, where[best]);
}

/* discount: whether c buys mostly on discount: the share of purchases
 * with one since discounts were recorded, blended with the population's,
 * at least one half. Undecided when no purchase had a discount, and while
 * c has too few purchases to outweigh the population: until a discount
 * on every one of them would reach one half (with a population share of
 * 0.25, two purchases). */
static void discount(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct pev *e = h->ev + h->off_ev[c];
	size_t k = h->off_ev[c + 1] - h->off_ev[c], j, n = 0, d = 0;

	for (j = 0; j < k && e[j].day <= h->endday; j++)
		if (e[j].day >= h->discday) {
			n++;
			d += (e[j].qty & PEV_DISC) != 0;
		}
	if (n == 0 || ((double)n + DISC_PRIOR * h->discshare) /
	    ((double)n + DISC_PRIOR) < 0.5)
		return;
	s->discount_share = ((double)d + DISC_PRIOR * h->discshare) /
	    ((double)n + DISC_PRIOR);
	s->discount = s->discount_share >= 0.5 ? "yes" : "no";
	ev_sep(ev);
	ev_adds(ev, "discount ");
	ev_addfix(ev, (double)d / (double)n, 2);
	ev_adds(ev, " of ");
	ev_addu(ev, n);
	ev_adds(ev, " purchases");
}

static void channel(const struct crm_history *h, size_t c,
    struct crm_score *s, struct evb *ev)
{
	const struct cev *e = h->cev + h->off_cev[c];
	size_t k = h->off_cev[c + 1] - h->off_cev[c], j, i, nc = 0, best = 0;
	uint16_t ch[16];
	double sent[16], resp[16], bs = -1;

	for (j = 0; j < k; j++) {
		for (i = 0; i < nc && ch[i] != e[j].chan; i++)
			;
		if (i == nc) {
			if (nc == 16)
				continue;
			ch[nc] = e[j].chan;
			sent[nc] = resp[nc] = 0;
			nc++;
		}
		if (e[j].resp)
			resp[i]++;
		else
			sent[i]++;
	}
	for (i = 0; i < nc; i++) {
		double r;

		if (resp[i] > sent[i])
			sent[i] = resp[i];
		r = (resp[i] + CHAN_PRIOR * h->chrate[ch[i]]) /
		    (sent[i] + CHAN_PRIOR);
		if (resp[i] > 0 && r > bs) {
			bs = r;
			best = i;
		}
	}
	if (bs >= 0) {
		s->channel = h->chans.s[ch[best]];
		ev_sep(ev);
		ev_adds(ev, s->channel);
		ev_adds(ev, " ");
		ev_addfix(ev, resp[best], 0);
		ev_adds(ev, " of ");
		ev_addfix(ev, sent[best], 0);
		ev_adds(ev, " answered");
	}
}

void crm_predict_score(const struct crm_history *h, size_t c,
    struct crm_score *s)
{
	const struct crm_model *m = h->m;
	const struct tri *t;
	struct evb ev;
	double P = h->o.period_days;

	memset(s, 0, sizeof(*s));
	s->customer_id = h->id[c];
	s->ref = h->ref[c];
	s->next = CRM_NONE;
	s->spend = s->clv = -1;
	s->discount_share = s->favourite_share = -1;
	s->p_alive = s->expected = s->p_buy = NAN;
	if (h->tri_of[c] == UINT32_MAX)
		return;
	t = &h->tri[h->tri_of[c]];
	s->bought = 1;
	s->x = t->x;
	s->recency = t->tx;
	s->T = t->T;
	s->holdout = h->hold[c];
	s->p_alive = t->pa;
	s->expected = t->e;
	s->p_buy = t->pb;
	if (m->kind >= 0 && m->has_gg) {
		double mean = h->x[c] > 0 ? (double)h->rspend[c] / 100 / h->x[c] :
		    0;

		s->spend = crm_gg_expected(m->gg, h->x[c], mean);
		if (s->spend >= 0)
			s->clv = s->spend * t->disc;
	}
	if (m->kind >= 0)
		s->churn = crm__churn_class(t->e);
	if (t->wait >= 0)
		s->next = crm__midnight(h, h->endday + (int32_t)ceil(t->wait * P));
	ev.s = s->evidence;
	ev.len = 0;
	ev.cap = sizeof(s->evidence);
	ev_addfix(&ev, t->x, 0);
	ev_adds(&ev, " repeat purchases, last ");
	ev_addfix(&ev, t->T - t->tx, 1);
	ev_adds(&ev, P == 1 ? " days ago" : " weeks ago");
	favourite(h, c, s, &ev);
	price_band(h, c, s, &ev);
	discount(h, c, s, &ev);
	channel(h, c, s, &ev);
}

