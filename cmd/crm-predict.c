/* crm-predict: fit a purchase model (BG/NBD, MBG/NBD or Pareto/NBD, or
 * the one that predicts the history's own later purchases best) and the
 * Gamma-Gamma spend model, score customers (P(alive), expected purchases,
 * the probability of a purchase, spend, CLV, churn risk, next purchase,
 * favourite category, price band, discount buying, channel), list who is
 * due to buy a category again, and check the models on a holdout. */
#include <err.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "predict.h"

enum {
	OPT_ASOF = OPT_COMMON_LAST,
	OPT_CAL,
	OPT_PERIOD,
	OPT_HORIZON,
	OPT_DISCOUNT,
	OPT_WITHIN,
	OPT_NOSTORE,
	OPT_FIT,
	OPT_MODEL,
	OPT_DUE
};

static struct cmd_opts opts;
static int64_t as_of, cal_end;
static int period = 7, nostore, refit, kind = CRM_MODEL_AUTO, duecheck,
    asof_given;
static double horizon_days = 364, discount = 0.1;
static int within = 14;

/* lap: with $CRM_PREDICT_TIMING set, report on standard error how long
 * the step that ends now took (for scripts/bench predict). */
static void lap(const char *what)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (what && getenv("CRM_PREDICT_TIMING"))
		fprintf(stderr, "crm-predict: timing: %s %.3f s\n", what,
		    (double)(t.tv_sec - t0.tv_sec) +
		    (double)(t.tv_nsec - t0.tv_nsec) / 1e9);
	t0 = t;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-predict [-qt] [-d db] [--format csv|tsv|table|json] [--excel]\n"
	    "                   [--as-of date] [--horizon span] [--discount rate]\n"
	    "                   [--fit [--period day|week]] [--no-store]\n"
	    "                   [--model model] [--wait seconds] [file]\n"
	    "       crm-predict fit [--as-of date] [--calibration-end date]\n"
	    "                   [--period day|week] [--model model]\n"
	    "       crm-predict due [--within span] [--as-of date]\n"
	    "       crm-predict check --calibration-end date --as-of date\n"
	    "                   [--period day|week] [--due [--within span]]\n"
	    "file (or - for standard input) names customers in a column id,\n"
	    "customer_id, ref or email; without it every customer who bought is\n"
	    "scored.\n"
	    "model: auto (the default), bgnbd, mbgnbd or pareto.\n"
	    "span: N followed by d (days), w (weeks), m (months) or y (years),\n"
	    "e.g. 52w, 14d, 6m, 1y; a plain number is days.\n");
	exit(status);
}

/* span: "14d" / "52w" / "12m" / "1y" (a plain number is days) in days. */
static double span(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v > 0) || v > 36500)
		goto bad;
	if (*end == '\0' || strcmp(end, "d") == 0)
		return v;
	if (strcmp(end, "w") == 0)
		return 7 * v;
	if (strcmp(end, "m") == 0)
		return 30.4375 * v;
	if (strcmp(end, "y") == 0)
		return 365.25 * v;
bad:
	errx(CRM_EUSAGE, "invalid %s \"%s\": a number of days, weeks, "
	    "months or years, e.g. 14d, 52w, 6m or 1y", opt, s);
}

static int64_t date(const char *opt, const char *s)
{
	const char *why;
	int64_t t;

	if (crm_parse_date(s, NULL, crm_now(), &t, &why) == -1)
		errx(CRM_EUSAGE, "invalid %s \"%s\": %s", opt, s, why);
	return t;
}

static struct crm_history *load(struct crm_db *db, int64_t end,
    int64_t holdout_end)
{
	struct crm_history_opts ho = { end, holdout_end, period };
	struct crm_history *h;

	lap(NULL);
	if (crm_history_load(db, &ho, &h) == -1)
		cmd_die(db);
	lap("read history");
	return h;
}

/* warnings: each line of m's warnings, unless -q. */
static void warnings(const struct crm_model *m)
{
	const char *p = m->warning, *nl;

	if (opts.quiet)
		return;
	while (*p) {
		nl = strchr(p, '\n');
		warnx("%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
}

/*
 * fit: fit m on h. With must_fit 0 (scoring), a history on which no
 * purchase model can be fitted (too few repeat buyers, no convergence)
 * is scored without one, with a warning; no purchases at all is still
 * an error.
 */
static int fit(struct crm_db *db, struct crm_history *h, struct crm_model *m,
    int must_fit)
{
	if (crm_model_fit(db, h, kind, m) == -1) {
		if (must_fit || m->customers == 0)
			cmd_die(db);
		if (!opts.quiet)
			warnx("%s; scoring without a purchase model: p_alive, "
			    "expected purchases, p_buy, clv, churn_risk and "
			    "next_purchase stay empty", crm_errmsg(db));
		crm_model_none(h, m);
		return 0;
	}
	lap("fit");
	warnings(m);
	return 1;
}

/* row: one model parameter, with decimals digits after the point. */
static void row(struct crm_out *o, const char *model, const char *param,
    double v, int decimals)
{
	char buf[64];
	const char *vals[3] = { model, param, buf };

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (crm_out_row(o, vals, 3) == -1)
		err(CRM_EIO, "write error");
}

static void do_fit(struct crm_db *db)
{
	static const char *const cols[] = { "model", "parameter", "value" };
	static const char *const names[2][4] = { { "r", "alpha", "a", "b" },
	    { "r", "alpha", "s", "beta" } };
	struct crm_history *h = load(db, cal_end ? cal_end : as_of, 0);
	const char *name;
	struct crm_model m;
	struct crm_out *o;
	int k;

	fit(db, h, &m, 1);
	if (m.choice[0] && !opts.quiet)
		warnx("auto: %s", m.choice);
	if (crm_model_store(db, &m) == -1)
		cmd_die(db);
	name = crm_btyd_name(m.kind);
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 3, "ssn") == -1)
		err(CRM_EIO, "write error");
	for (k = 0; k < 4; k++)
		row(o, name, names[m.kind == CRM_BTYD_PARETO][k], m.par[k], 4);
	row(o, name, "loglik", m.info.loglik, 2);
	row(o, name, "customers", (double)m.customers, 0);
	row(o, name, "repeaters", (double)m.repeaters, 0);
	if (m.has_gg) {
		row(o, "gammagamma", "p", m.gg[0], 4);
		row(o, "gammagamma", "q", m.gg[1], 4);
		row(o, "gammagamma", "gamma", m.gg[2], 4);
		row(o, "gammagamma", "loglik", m.gginfo.loglik, 2);
		row(o, "gammagamma", "customers", (double)m.spenders, 0);
	}
	cmd_out_done(o);
	crm_history_free(h);
}

/* cell: v with d decimals into buf, or "" when it is not a number. */
static const char *cell(char *buf, double v, int d)
{
	if (isnan(v))
		return "";
	return crm_fmt_fixed(buf, v, d);
}

/* check_row: a row of the check table: what, customers, actual and one
 * value per model (NaN: empty) with d decimals. */
static void check_row(struct crm_out *o, const char *what, double n,
    double act, const double *v, int d)
{
	char b[2 + CRM_BTYD_NKIND][CRM_FIXBUF];
	const char *vals[3 + CRM_BTYD_NKIND];
	int k;

	vals[0] = what;
	vals[1] = cell(b[0], n, 0);
	vals[2] = cell(b[1], act, 4);
	for (k = 0; k < CRM_BTYD_NKIND; k++)
		vals[3 + k] = cell(b[2 + k], v[k], d);
	if (crm_out_row(o, vals, 3 + CRM_BTYD_NKIND) == -1)
		err(CRM_EIO, "write error");
}

static void do_check_due(struct crm_db *db)
{
	static const char *const cols[] = { "list", "listed", "hits",
	    "precision", "recall" };
	static const char *const what[3] = { "due", "naive",
	    "expected_purchases" };
	struct crm_history *h = load(db, cal_end, as_of);
	struct crm_score_opts so = { within / (double)period, 0 };
	struct crm_due_check dc;
	struct crm_model m;
	struct crm_out *o;
	int k;

	fit(db, h, &m, 0);
	if (crm_predict_prepare(db, h, &m, &so) == -1 ||
	    crm_predict_due_check(db, h, within, &dc) == -1)
		cmd_die(db);
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 5, "snnnn") == -1)
		err(CRM_EIO, "write error");
	for (k = 0; k < 3; k++) {
		char l[24], hh[24], pr[CRM_FIXBUF], re[CRM_FIXBUF];
		const char *v[5] = { what[k], l, hh, NULL, NULL };

		if (!dc.have[k])
			continue;
		snprintf(l, sizeof(l), "%zu", dc.listed[k]);
		snprintf(hh, sizeof(hh), "%zu", dc.hits[k]);
		v[3] = cell(pr, dc.listed[k] ? (double)dc.hits[k] /
		    (double)dc.listed[k] : NAN, 3);
		v[4] = cell(re, dc.positives ? (double)dc.hits[k] /
		    (double)dc.positives : NAN, 3);
		if (crm_out_row(o, v, 5) == -1)
			err(CRM_EIO, "write error");
	}
	cmd_out_done(o);
	crm_history_free(h);
}

static void do_check(struct crm_db *db)
{
	static const char *const cols[3 + CRM_BTYD_NKIND] = { "measure",
	    "customers", "actual", "bgnbd", "mbgnbd", "pareto" };
	struct crm_history *h;
	struct crm_check ck;
	struct crm_out *o;
	double v[CRM_BTYD_NKIND];
	int g, k;

	if (duecheck) {
		do_check_due(db);
		return;
	}
	h = load(db, cal_end, as_of);
	if (crm_predict_check(db, h, &ck) == -1)
		cmd_die(db);
	lap("check");
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 3 + CRM_BTYD_NKIND, "snnnnn") == -1)
		err(CRM_EIO, "write error");
#define EACH(expr) do { for (k = 0; k < CRM_BTYD_NKIND; k++) \
	v[k] = ck.mod[k].ok ? (expr) : NAN; } while (0)
	for (g = 0; g < 9; g++) {
		char what[16];

		if (g == 8)
			snprintf(what, sizeof(what), "total");
		else
			snprintf(what, sizeof(what), "%d%s", g, g == 7 ? "+" : "");
		EACH(ck.mod[k].pred[g]);
		check_row(o, what, (double)ck.n[g], ck.act[g], v, g == 8 ? 1 : 4);
	}
	EACH(ck.mod[k].loglik);
	check_row(o, "loglik", (double)ck.n[8], NAN, v, 2);
	EACH(ck.mod[k].rmse);
	check_row(o, "rmse", (double)ck.n[8], NAN, v, 4);
	/* AUCs: how well each score ranks the holdout's buyers; recency's,
	 * the baseline, under actual */
	EACH(ck.mod[k].auc_alive);
	check_row(o, "auc_p_alive", (double)ck.n[8], ck.auc_recency, v, 4);
	EACH(ck.mod[k].auc_buy);
	check_row(o, "auc_p_buy", (double)ck.n[8], ck.auc_recency, v, 4);
	/* churn_risk rests on the expected purchases */
	EACH(ck.mod[k].auc_expected);
	check_row(o, "auc_churn", (double)ck.n[8], ck.auc_recency, v, 4);
	/* the share of each churn class that bought in the holdout */
	EACH(ck.mod[k].low);
	check_row(o, "bought_low", NAN, NAN, v, 4);
	EACH(ck.mod[k].medium);
	check_row(o, "bought_medium", NAN, NAN, v, 4);
	EACH(ck.mod[k].high);
	check_row(o, "bought_high", NAN, NAN, v, 4);
	for (k = 0; k < CRM_BTYD_NKIND; k++)
		v[k] = ck.mod[k].ok ? (k == ck.chosen) : NAN;
	check_row(o, "auto", NAN, NAN, v, 0);
#undef EACH
	cmd_out_done(o);
	if (ck.chosen >= 0 && !opts.quiet)
		warnx("auto: %s", ck.choice);
	crm_history_free(h);
}

static int due_row(const struct crm_due *d, void *arg)
{
	char id[24], last[CRM_TIMEBUF], due[CRM_TIMEBUF], lasts[24], n[24];
	char p[CRM_FIXBUF];
	const char *v[8] = { id, d->ref, d->category, last, due, lasts, n, p };

	snprintf(id, sizeof(id), "%lld", (long long)d->customer_id);
	crm_fmt_day(d->last, last);
	crm_fmt_day(d->due, due);
	snprintf(lasts, sizeof(lasts), "%d", d->lasts_days);
	snprintf(n, sizeof(n), "%zu", d->repeats);
	crm_fmt_fixed(p, d->p, 3);
	if (crm_out_row(arg, v, 8) == -1)
		err(CRM_EIO, "write error");
	return 0;
}

static void do_due(struct crm_db *db)
{
	static const char *const cols[] = { "id", "ref", "category",
	    "last_purchase", "due", "lasts_days", "intervals", "probability" };
	struct crm_history *h;
	struct crm_score_opts so = { 0, 0 };
	struct crm_model m;
	struct crm_out *o;
	int have;

	/* P(alive) from the newest model, in its period; without one, from
	 * one fitted now and not stored */
	if ((have = crm_model_latest(db, &m)) == -1)
		cmd_die(db);
	if (have)
		period = m.period_days;
	h = load(db, as_of, 0);
	if (!have)
		fit(db, h, &m, 0);
	so.horizon = within / (double)period;
	if (crm_predict_prepare(db, h, &m, &so) == -1)
		cmd_die(db);
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 8, "nssssnnn") == -1)
		err(CRM_EIO, "write error");
	if (crm_predict_due(db, h, within, due_row, o) == -1)
		cmd_die(db);
	cmd_out_done(o);
	crm_history_free(h);
}

static void score_row(struct crm_out *o, const struct crm_score *s)
{
	char id[24], x[CRM_FIXBUF], pa[CRM_FIXBUF], e[CRM_FIXBUF];
	char pb[CRM_FIXBUF], sp[CRM_FIXBUF], clv[CRM_FIXBUF], fs[CRM_FIXBUF];
	char next[CRM_TIMEBUF];
	const char *v[16];

	snprintf(id, sizeof(id), "%lld", (long long)s->customer_id);
	v[0] = id;
	v[1] = s->ref;
	memset(v + 2, 0, sizeof(v) - 2 * sizeof(v[0]));
	if (s->bought) {
		/* crm_fmt_fixed: "%.Nf" without printf, for speed */
		v[2] = crm_fmt_fixed(x, s->x, 0);
		v[3] = cell(pa, s->p_alive, 4);
		v[4] = cell(e, s->expected, 4);
		v[5] = cell(pb, s->p_buy, 4);
		if (s->spend >= 0)
			v[6] = crm_fmt_fixed(sp, s->spend, 2);
		if (s->clv >= 0)
			v[7] = crm_fmt_fixed(clv, s->clv, 2);
		v[8] = s->churn;
		if (s->next != CRM_NONE)
			v[9] = crm_fmt_day(s->next, next);
		v[10] = s->favourite;
		if (s->favourite_share >= 0)
			v[11] = crm_fmt_fixed(fs, s->favourite_share, 2);
		v[12] = s->band;
		v[13] = s->discount;
		v[14] = s->channel;
		v[15] = s->evidence;
	} else
		v[15] = "no purchase";
	if (crm_out_row(o, v, 16) == -1)
		err(CRM_EIO, "write error");
}

/* named: the history indexes of the customers that file names (read by
 * the customer-key reader, custlist.h), in input order, leaving out those
 * without a history; *n receives the count. */
static long *named(struct crm_db *db, struct crm_history *h, const char *file,
    size_t *n)
{
	FILE *fp = cmd_fopen(file);
	struct crm_custlist *l;
	size_t cap = 0;
	long *idx = NULL, k;
	int64_t id;
	int rc;

	*n = 0;
	if ((l = crm_custlist_open(db, fp, file)) == NULL)
		cmd_die(db);
	while ((rc = crm_custlist_next(l, &id)) == 1) {
		if ((k = crm_predict_find(h, id)) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((idx = realloc(idx, cap * sizeof(*idx))) == NULL)
				errx(CRM_EFAIL, "out of memory");
		}
		idx[(*n)++] = k;
	}
	if (rc == -1)
		cmd_die(db);
	crm_custlist_close(l);
	if (fp != stdin)
		fclose(fp);
	return idx;
}

static void do_score(struct crm_db *db, const char *file)
{
	static const char *const cols[] = { "id", "ref", "repeats", "p_alive",
	    "expected_purchases", "p_buy", "expected_spend", "clv",
	    "churn_risk", "next_purchase", "favourite_category",
	    "favourite_share", "price_band", "discount_buyer",
	    "preferred_channel", "evidence" };
	struct crm_predict_store *ps = NULL;
	struct crm_history *h;
	struct crm_model m;
	struct crm_score_opts so;
	struct crm_score s;
	struct crm_out *o;
	long *idx = NULL;
	size_t i, n;
	int have = 0;
	int64_t now;

	/* --fit: a new model on the history read for scoring, so that
	 * fitting and scoring read it once */
	if (!refit && (have = crm_model_latest(db, &m)) == -1)
		cmd_die(db);
	if (!refit && have)
		period = m.period_days;
	h = load(db, as_of, 0);
	/* no model yet: fit one now; one that cannot be fitted still
	 * leaves the scores that need none */
	if ((refit || !have) && fit(db, h, &m, 0) && !nostore &&
	    crm_model_store(db, &m) == -1)
		cmd_die(db);
	so.horizon = horizon_days / period;
	so.discount = discount;
	if (crm_predict_prepare(db, h, &m, &so) == -1)
		cmd_die(db);
	lap("prepare scoring");
	if (file)
		idx = named(db, h, file, &n);
	else
		n = crm_predict_count(h);
	if (!nostore && (ps = crm_predict_store_begin(db, file == NULL)) ==
	    NULL)
		cmd_die(db);
	now = crm_now();        /* one time for the run's predictions */
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 16, "nsnnnnnnssssssss") == -1)
		err(CRM_EIO, "write error");
	for (i = 0; i < n; i++) {
		crm_predict_score(h, idx ? (size_t)idx[i] : i, &s);
		if (!s.bought && !file)
			continue;
		score_row(o, &s);
		if (ps && crm_predict_store_put(ps, &m, &s, now) == -1) {
			crm_predict_store_free(ps);
			cmd_die(db);
		}
	}
	if (ps && crm_predict_store_end(ps) == -1)
		cmd_die(db);
	cmd_out_done(o);
	lap("score, store and write");
	free(idx);
	crm_history_free(h);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "as-of",           required_argument, NULL, OPT_ASOF },
		{ "calibration-end", required_argument, NULL, OPT_CAL },
		{ "period",          required_argument, NULL, OPT_PERIOD },
		{ "horizon",         required_argument, NULL, OPT_HORIZON },
		{ "discount",        required_argument, NULL, OPT_DISCOUNT },
		{ "within",          required_argument, NULL, OPT_WITHIN },
		{ "no-store",        no_argument,       NULL, OPT_NOSTORE },
		{ "fit",             no_argument,       NULL, OPT_FIT },
		{ "model",           required_argument, NULL, OPT_MODEL },
		{ "due",             no_argument,       NULL, OPT_DUE },
		{ NULL, 0, NULL, 0 }
	};
	const char *verb = NULL;
	struct crm_db *db;
	char *end;
	int ch;

	cmd_init(&opts, argc, argv);
	as_of = crm_now();
	while ((ch = getopt_long(argc, argv, COMMON_SHORT, longopts, NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		switch (ch) {
		case OPT_ASOF:
			as_of = date("--as-of", optarg);
			asof_given = 1;
			break;
		case OPT_CAL:
			cal_end = date("--calibration-end", optarg);
			break;
		case OPT_PERIOD:
			if (strcmp(optarg, "day") == 0)
				period = 1;
			else if (strcmp(optarg, "week") == 0)
				period = 7;
			else
				errx(CRM_EUSAGE, "invalid --period \"%s\": day "
				    "or week", optarg);
			break;
		case OPT_HORIZON:
			horizon_days = span("--horizon", optarg);
			break;
		case OPT_DISCOUNT:
			discount = strtod(optarg, &end);
			if (end == optarg || *end || !(discount >= 0) ||
			    discount > 10)
				errx(CRM_EUSAGE, "invalid --discount \"%s\": a "
				    "yearly rate such as 0.1", optarg);
			break;
		case OPT_WITHIN:
			within = (int)ceil(span("--within", optarg));
			break;
		case OPT_NOSTORE:
			nostore = 1;
			break;
		case OPT_FIT:
			refit = 1;
			break;
		case OPT_MODEL:
			if (strcmp(optarg, "auto") == 0)
				kind = CRM_MODEL_AUTO;
			else if ((kind = crm_btyd_kind(optarg)) < 0)
				errx(CRM_EUSAGE, "invalid --model \"%s\": auto, "
				    "bgnbd, mbgnbd or pareto", optarg);
			break;
		case OPT_DUE:
			duecheck = 1;
			break;
		default:
			usage(CRM_EUSAGE);
		}
	}
	argc -= optind;
	argv += optind;
	/* getopt_long moved the operands to the end: a verb comes first */
	if (argc > 0 && (strcmp(argv[0], "fit") == 0 ||
	    strcmp(argv[0], "due") == 0 || strcmp(argv[0], "check") == 0)) {
		verb = argv[0];
		argc--;
		argv++;
	}
	if (argc > (verb ? 0 : 1))
		usage(CRM_EUSAGE);
	if (duecheck && !(verb && strcmp(verb, "check") == 0))
		errx(CRM_EUSAGE, "--due is an option of check");

	if (verb && strcmp(verb, "check") == 0) {
		if (!cal_end)
			errx(CRM_EUSAGE, "check needs --calibration-end date");
		/* today would make a holdout of whatever time has passed */
		if (!asof_given)
			errx(CRM_EUSAGE, "check needs --as-of date, the end of "
			    "the holdout that follows --calibration-end");
		if (as_of <= cal_end)
			errx(CRM_EUSAGE, "--as-of must be after "
			    "--calibration-end: the holdout lies between them");
	}
	db = cmd_open(&opts, CRM_DB_NOCREATE);
	if (verb == NULL)
		do_score(db, argc ? argv[0] : NULL);
	else if (strcmp(verb, "fit") == 0)
		do_fit(db);
	else if (strcmp(verb, "due") == 0)
		do_due(db);
	else
		do_check(db);
	cmd_exit(db, 0);
}
