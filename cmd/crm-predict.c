/* crm-predict: fit the BG/NBD and Gamma-Gamma models on the purchase
 * history, score customers (P(alive), expected purchases and spend, CLV,
 * churn risk, next purchase, favourite category, price band, discount
 * buying, channel), list
 * who is due to buy a category again, and check the model on a holdout. */
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
	OPT_FIT
};

static struct cmd_opts opts;
static int64_t as_of, cal_end;
static int period = 7, nostore, refit;
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
	    "                   [--wait seconds] [file]\n"
	    "       crm-predict fit [--as-of date] [--calibration-end date]\n"
	    "                   [--period day|week]\n"
	    "       crm-predict due [--within span] [--as-of date]\n"
	    "       crm-predict check --calibration-end date [--as-of date]\n"
	    "                   [--period day|week]\n"
	    "file (or - for standard input) names customers in a column id,\n"
	    "customer_id, ref or email; without it every customer who bought is\n"
	    "scored.\n"
	    "span: N followed by d (days) or w (weeks), e.g. 52w, 14d.\n");
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
	errx(CRM_EUSAGE, "invalid %s \"%s\": a number of days or weeks, "
	    "e.g. 14d or 52w", opt, s);
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

static void fit(struct crm_db *db, struct crm_history *h, struct crm_model *m)
{
	if (crm_model_fit(db, h, m) == -1)
		cmd_die(db);
	lap("fit");
	if (m->warning[0] && !opts.quiet)
		warnx("%s", m->warning);
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
	struct crm_history *h = load(db, cal_end ? cal_end : as_of, 0);
	struct crm_model m;
	struct crm_out *o;

	fit(db, h, &m);
	if (crm_model_store(db, &m) == -1)
		cmd_die(db);
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 3, "ssn") == -1)
		err(CRM_EIO, "write error");
	row(o, "bgnbd", "r", m.bg[0], 4);
	row(o, "bgnbd", "alpha", m.bg[1], 4);
	row(o, "bgnbd", "a", m.bg[2], 4);
	row(o, "bgnbd", "b", m.bg[3], 4);
	row(o, "bgnbd", "loglik", m.bginfo.loglik, 2);
	row(o, "bgnbd", "customers", (double)m.customers, 0);
	row(o, "bgnbd", "repeaters", (double)m.repeaters, 0);
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

static void do_check(struct crm_db *db)
{
	static const char *const cols[] = { "calibration_repeats", "customers",
	    "actual", "predicted" };
	struct crm_history *h;
	struct crm_model m;
	struct crm_score_opts so;
	struct crm_score s;
	struct crm_out *o;
	double act[9] = { 0 }, pred[9] = { 0 }, cnt[9] = { 0 };
	size_t i;
	int g;

	h = load(db, cal_end, as_of);
	fit(db, h, &m);
	so.horizon = floor((double)(as_of - cal_end) / 86400 + 0.5) / period;
	so.discount = 0;
	if (crm_predict_prepare(db, h, &m, &so) == -1)
		cmd_die(db);
	for (i = 0; i < crm_predict_count(h); i++) {
		crm_predict_score(h, i, &s);
		if (!s.bought)
			continue;
		g = s.x >= 7 ? 7 : (int)s.x;
		cnt[g]++;
		act[g] += s.holdout;
		pred[g] += s.expected;
		cnt[8]++;
		act[8] += s.holdout;
		pred[8] += s.expected;
	}
	o = cmd_out(&opts);
	if (crm_out_header(o, cols, 4, "snnn") == -1)
		err(CRM_EIO, "write error");
	for (g = 0; g < 9; g++) {
		char k[16], n[24], a[32], p[32];
		const char *v[4] = { k, n, a, p };

		if (g == 8)
			snprintf(k, sizeof(k), "total");
		else
			snprintf(k, sizeof(k), "%d%s", g, g == 7 ? "+" : "");
		snprintf(n, sizeof(n), "%.0f", cnt[g]);
		if (g == 8) {   /* sums, not means */
			snprintf(a, sizeof(a), "%.0f", act[g]);
			snprintf(p, sizeof(p), "%.1f", pred[g]);
		} else {
			snprintf(a, sizeof(a), "%.4f", cnt[g] ? act[g] / cnt[g] : 0);
			snprintf(p, sizeof(p), "%.4f", cnt[g] ? pred[g] / cnt[g] : 0);
		}
		if (crm_out_row(o, v, 4) == -1)
			err(CRM_EIO, "write error");
	}
	cmd_out_done(o);
	crm_history_free(h);
}

static int due_row(const struct crm_due *d, void *arg)
{
	char id[24], last[CRM_TIMEBUF], due[CRM_TIMEBUF], lasts[24], n[24];
	const char *v[7] = { id, d->ref, d->category, last, due, lasts, n };

	snprintf(id, sizeof(id), "%lld", (long long)d->customer_id);
	crm_fmt_day(d->last, last);
	crm_fmt_day(d->due, due);
	snprintf(lasts, sizeof(lasts), "%d", d->lasts_days);
	snprintf(n, sizeof(n), "%zu", d->repeats);
	if (crm_out_row(arg, v, 7) == -1)
		err(CRM_EIO, "write error");
	return 0;
}

static void do_due(struct crm_db *db)
{
	static const char *const cols[] = { "id", "ref", "category",
	    "last_purchase", "due", "lasts_days", "intervals" };
	struct crm_history *h = load(db, as_of, 0);
	struct crm_out *o = cmd_out(&opts);

	if (crm_out_header(o, cols, 7, "nssssnn") == -1)
		err(CRM_EIO, "write error");
	if (crm_predict_due(db, h, within, due_row, o) == -1)
		cmd_die(db);
	cmd_out_done(o);
	crm_history_free(h);
}

static void score_row(struct crm_out *o, const struct crm_score *s)
{
	char id[24], x[CRM_FIXBUF], pa[CRM_FIXBUF], e[CRM_FIXBUF];
	char sp[CRM_FIXBUF], clv[CRM_FIXBUF], next[CRM_TIMEBUF];
	const char *v[14];

	snprintf(id, sizeof(id), "%lld", (long long)s->customer_id);
	v[0] = id;
	v[1] = s->ref;
	memset(v + 2, 0, sizeof(v) - 2 * sizeof(v[0]));
	if (s->bought) {
		/* crm_fmt_fixed: "%.Nf" without printf, for speed */
		v[2] = crm_fmt_fixed(x, s->x, 0);
		v[3] = crm_fmt_fixed(pa, s->p_alive, 4);
		v[4] = crm_fmt_fixed(e, s->expected, 4);
		if (s->spend >= 0)
			v[5] = crm_fmt_fixed(sp, s->spend, 2);
		if (s->clv >= 0)
			v[6] = crm_fmt_fixed(clv, s->clv, 2);
		v[7] = s->churn;
		if (s->next != CRM_NONE)
			v[8] = crm_fmt_day(s->next, next);
		v[9] = s->favourite;
		v[10] = s->band;
		v[11] = s->discount;
		v[12] = s->channel;
		v[13] = s->evidence;
	} else
		v[13] = "no purchase";
	if (crm_out_row(o, v, 14) == -1)
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
	    "expected_purchases", "expected_spend", "clv", "churn_risk",
	    "next_purchase", "favourite_category", "price_band",
	    "discount_buyer", "preferred_channel", "evidence" };
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
	if (refit || !have) {   /* no model yet: fit one now */
		fit(db, h, &m);
		if (!nostore && crm_model_store(db, &m) == -1)
			cmd_die(db);
	}
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
	if (crm_out_header(o, cols, 14, "nsnnnnnsssssss") == -1)
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

	if (verb && strcmp(verb, "check") == 0) {
		if (!cal_end)
			errx(CRM_EUSAGE, "check needs --calibration-end date");
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
