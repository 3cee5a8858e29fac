/* crm-log: record what happened with a customer (a purchase, a complaint,
 * a callback ...), for one customer, for every customer on standard input,
 * or from an email message; close open complaints, requests and callbacks. */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

enum { OPT_AT = OPT_COMMON_LAST, OPT_AMOUNT, OPT_CURRENCY, OPT_QUANTITY,
	OPT_PRODUCT, OPT_CATEGORY, OPT_CHANNEL, OPT_RATING, OPT_SUBJECT,
	OPT_BODY, OPT_REF, OPT_STATUS, OPT_DUE, OPT_CLOSE, OPT_NOTE, OPT_MAIL,
	OPT_DATEFMT, OPT_GRANTED, OPT_SOURCE, OPT_DISCOUNT };

#define MAIL_MAX (64u << 20)

static struct cmd_opts opts;
static struct crm_event ev;
static const char *datefmt, *at_arg, *due_arg, *note;
static int consent = -1;        /* "consent" pseudo-kind: --granted 1/0 */
static int64_t *cids;           /* customers whose consent was recorded */
static size_t ncids, capcids;

/* kinds: the kinds, wrapped to fit 80 columns. */
static void kinds(FILE *fp)
{
	size_t i, col = 0, n;

	for (i = 0; crm_kinds[i]; i++) {
		n = strlen(crm_kinds[i]) + 1;
		if (col + n > 76) {
			fputc('\n', fp);
			col = 0;
		}
		col += fprintf(fp, "%s%s", col ? " " : "  ", crm_kinds[i]);
	}
	fputc('\n', fp);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-log [-qt] [-d db] customer kind [--at date] [--amount money]\n"
	    "               [--discount money] [--currency code] [--quantity n]\n"
	    "               [--product sku]\n"
	    "               [--category name] [--channel name] [--rating 1-5]\n"
	    "               [--subject text] [--body text|-] [--ref id]\n"
	    "               [--status open|closed] [--due date] [--date-format fmt]\n"
	    "               [--format csv|tsv|table|json] [--excel] [--wait seconds]\n"
	    "               [--source text]\n"
	    "       crm-log [options] - kind ...   (customers as CSV/TSV on stdin)\n"
	    "       crm-log [options] customer|- consent --channel ch --granted yes|no\n"
	    "               [--at date] [--source text]\n"
	    "       crm-log [-q] [-d db] --close event [--note text]\n"
	    "       crm-log [-q] [-d db] --mail    (one email message on stdin)\n"
	    "customer is a ref, an email address or #id. kinds:\n");
	kinds(status ? stderr : stdout);
	exit(status);
}

/* date: parse an option's date or exit 65 saying what is accepted. */
static int64_t date(const char *opt, const char *s)
{
	const char *why;
	int64_t t;

	if (crm_parse_date(s, datefmt, crm_now(), &t, &why) == -1)
		errx(CRM_EDATA, "invalid %s \"%s\": %s (use 2026-11-20, "
		    "20.11.2026, today, -30d or --date-format)", opt, s, why);
	return t;
}

/* slurp: all of fp into a new NUL-terminated buffer; *len its size. */
static char *slurp(FILE *fp, size_t *len)
{
	struct crm_buf b = {0};
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > MAIL_MAX) {
			crm_buf_free(&b);
			errx(CRM_EDATA, "standard input is larger than %u MiB",
			    MAIL_MAX >> 20);
		}
		crm_buf_add(&b, chunk, n);
	}
	if (ferror(fp))
		err(CRM_EIO, "standard input");
	*len = b.len;
	if ((b.s = crm_buf_take(&b)) == NULL)
		err(CRM_EFAIL, NULL);
	return b.s;
}

/* print: the events with ids lo..hi, as stored. */
static void print(struct crm_db *db, int64_t lo, int64_t hi)
{
	struct crm_out *out;

	if (opts.quiet)
		return;
	out = cmd_out(&opts);
	cmd_event_header(out);
	if (hi >= lo && crm_event_range(db, lo, hi, cmd_event_row, out) == -1)
		cmd_die(db);
	cmd_out_done(out);
}

/* print_customers: the customers whose consent was recorded. */
static void print_customers(struct crm_db *db)
{
	struct crm_customer *c;
	struct crm_out *out;
	size_t i;

	if (opts.quiet)
		return;
	out = cmd_out(&opts);
	cmd_customer_header(out);
	for (i = 0; i < ncids; i++) {
		if (crm_customer_get(db, cids[i], &c) != 1)
			cmd_die(db);
		cmd_customer_row(db, out, c);
		crm_customer_free(c);
	}
	cmd_out_done(out);
}

/* store: the event for ev.customer_id, or with kind consent the consent
 * (whose history keeps who, when and from which source). 0 or -1. */
static int store(struct crm_db *db)
{
	if (consent < 0)
		return crm_event_insert(db, &ev);
	if (crm_consent_set(db, ev.customer_id, ev.channel, consent, ev.at,
	    ev.source) == -1)
		return -1;
	if (ncids == capcids) {
		capcids = capcids ? capcids * 2 : 16;
		if ((cids = realloc(cids, capcids * sizeof(*cids))) == NULL)
			err(CRM_EFAIL, NULL);
	}
	cids[ncids++] = ev.customer_id;
	return 0;
}

/* audit_event: one audit row for the events lo..hi. */
static void audit_event(struct crm_db *db, int64_t cid, int64_t lo, int64_t hi)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "{\"kind\":\"%s\",\"first\":%lld,"
	    "\"last\":%lld}", ev.kind, (long long)lo, (long long)hi);
	if (crm_audit(db, lo == hi ? "event.create" : "event.batch",
	    cid, lo == hi ? lo : 0, detail) == -1)
		cmd_die(db);
}

/* log_one: the event for one customer key. */
static void log_one(struct crm_db *db, const char *key)
{
	if (crm_db_begin(db) == -1)
		cmd_die(db);
	if (crm_customer_resolve(db, key, &ev.customer_id) != 1 ||
	    store(db) == -1)
		cmd_die(db);
	if (consent < 0)
		audit_event(db, ev.customer_id, ev.id, ev.id);
	if (crm_db_commit(db) == -1)
		cmd_die(db);
	if (consent < 0)
		print(db, ev.id, ev.id);
	else
		print_customers(db);
}

/* log_stdin: the same event for every customer in a CSV/TSV on stdin,
 * read by the customer-key reader (custlist.h); all or nothing. Returns 0
 * or the exit status, having said what went wrong. */
static int log_stdin(struct crm_db *db)
{
	struct crm_custlist *l;
	int64_t lo = 0, hi = -1;
	long nrows = 0;
	int rc;

	if ((l = crm_custlist_open(db, stdin, "-")) == NULL)
		err(CRM_EFAIL, NULL);
	if (crm_db_bulk(db) == -1 || crm_db_begin(db) == -1)
		goto fail;
	while ((rc = crm_custlist_next(l, &ev.customer_id)) == 1) {
		if (store(db) == -1) {
			warnx("%s:%ld: %s", crm_custlist_name(l),
			    crm_custlist_line(l), cmd_safe(crm_errmsg(db)));
			crm_custlist_close(l);
			return crm_errcode(db);
		}
		if (nrows++ == 0)
			lo = ev.id;
		hi = ev.id;
	}
	if (rc == -1)
		goto fail;
	if (nrows && consent < 0)
		audit_event(db, 0, lo, hi);
	if (crm_db_commit(db) == -1)
		goto fail;
	crm_custlist_close(l);
	if (consent < 0)
		print(db, lo, hi);
	else
		print_customers(db);
	return 0;
fail:
	warnx("%s", cmd_safe(crm_errmsg(db)));
	crm_custlist_close(l);
	return crm_errcode(db);
}

/* log_mail: an email_in from the message on stdin, for its sender. */
static void log_mail(struct crm_db *db)
{
	struct crm_mail m = {0};
	const char *why;
	char *msg;
	size_t len;
	int64_t id;
	int rc;

	msg = slurp(stdin, &len);
	rc = crm_mail_parse(msg, len, &m, &why);
	free(msg);              /* why is a static string */
	if (rc == -1)
		errx(CRM_EDATA, "<stdin>: %s", why);
	rc = crm_customer_resolve(db, m.from, &ev.customer_id);
	if (rc != 1) {
		if (rc == 0)
			warnx("sender %s is not a customer", cmd_safe(m.from));
		else
			warnx("%s", cmd_safe(crm_errmsg(db)));
		crm_mail_clear(&m);
		cmd_exit(db, rc == 0 ? CRM_ENOUSER : crm_errcode(db));
	}
	ev.kind = (char *)"email_in";
	if (ev.channel == NULL)
		ev.channel = (char *)"email";
	ev.at = m.date != INT64_MIN ? m.date : crm_now();
	ev.subject = m.subject;
	ev.body = m.body;
	ev.ref = m.message_id;
	/* The same message delivered twice is logged once. */
	if (m.message_id &&
	    (rc = crm_event_find(db, ev.customer_id, "email_in", m.message_id,
	    &id)) != 0) {
		if (rc == -1)
			cmd_die(db);
		print(db, id, id);
	} else {
		log_one(db, m.from);
	}
	crm_mail_clear(&m);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "at",          required_argument, NULL, OPT_AT },
		{ "amount",      required_argument, NULL, OPT_AMOUNT },
		{ "discount",    required_argument, NULL, OPT_DISCOUNT },
		{ "currency",    required_argument, NULL, OPT_CURRENCY },
		{ "quantity",    required_argument, NULL, OPT_QUANTITY },
		{ "product",     required_argument, NULL, OPT_PRODUCT },
		{ "category",    required_argument, NULL, OPT_CATEGORY },
		{ "channel",     required_argument, NULL, OPT_CHANNEL },
		{ "rating",      required_argument, NULL, OPT_RATING },
		{ "subject",     required_argument, NULL, OPT_SUBJECT },
		{ "body",        required_argument, NULL, OPT_BODY },
		{ "ref",         required_argument, NULL, OPT_REF },
		{ "status",      required_argument, NULL, OPT_STATUS },
		{ "due",         required_argument, NULL, OPT_DUE },
		{ "date-format", required_argument, NULL, OPT_DATEFMT },
		{ "close",       required_argument, NULL, OPT_CLOSE },
		{ "note",        required_argument, NULL, OPT_NOTE },
		{ "mail",        no_argument,       NULL, OPT_MAIL },
		{ "granted",     required_argument, NULL, OPT_GRANTED },
		{ "source",      required_argument, NULL, OPT_SOURCE },
		{ NULL, 0, NULL, 0 }
	};
	struct crm_db *db;
	const char *why, *close_arg = NULL, *body = NULL;
	char cur[4] = "", dcur[4] = "", *bodybuf = NULL;
	int64_t v;
	size_t len;
	int ch, rc, mail = 0, granted = -1;
	const char *source = NULL;

	cmd_init(&opts, argc, argv);
	crm_event_init(&ev);
	while ((ch = getopt_long(argc, argv, COMMON_SHORT, longopts, NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		switch (ch) {
		case OPT_AT: at_arg = optarg; break;
		case OPT_DUE: due_arg = optarg; break;
		case OPT_DATEFMT: datefmt = optarg; break;
		case OPT_AMOUNT:
			if (crm_parse_money(optarg, 0, &ev.amount_cents, cur,
			    &why) == -1)
				errx(CRM_EDATA, "invalid amount \"%s\": %s (use "
				    "59.90, 59,90 or 1.234,56 €)", optarg, why);
			break;
		case OPT_DISCOUNT:
			if (crm_parse_money(optarg, 0, &ev.discount_cents, dcur,
			    &why) == -1)
				errx(CRM_EDATA, "invalid discount \"%s\": %s (the "
				    "amount taken off, e.g. 10.00 or 10,00 €)",
				    optarg, why);
			break;
		case OPT_CURRENCY: ev.currency = optarg; break;
		case OPT_QUANTITY:
			if (crm_parse_int(optarg, 0, INT32_MAX, &ev.quantity,
			    &why) == -1)
				errx(CRM_EDATA, "invalid quantity \"%s\": %s",
				    optarg, why);
			break;
		case OPT_RATING:
			if (crm_parse_int(optarg, 1, 5, &v, &why) == -1)
				errx(CRM_EDATA, "invalid rating \"%s\": a whole "
				    "number from 1 to 5", optarg);
			ev.rating = v;
			break;
		case OPT_PRODUCT: ev.product = optarg; break;
		case OPT_CATEGORY: ev.category = optarg; break;
		case OPT_CHANNEL: ev.channel = optarg; break;
		case OPT_SUBJECT: ev.subject = optarg; break;
		case OPT_BODY: body = optarg; break;
		case OPT_REF: ev.ref = optarg; break;
		case OPT_STATUS: ev.status = optarg; break;
		case OPT_CLOSE: close_arg = optarg; break;
		case OPT_NOTE: note = optarg; break;
		case OPT_MAIL: mail = 1; break;
		case OPT_GRANTED:
			if ((granted = cmd_yesno(optarg)) == -1)
				errx(CRM_EUSAGE, "invalid --granted \"%s\": yes or "
				    "no", optarg);
			break;
		case OPT_SOURCE: source = optarg; break;
		default: usage(CRM_EUSAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (close_arg || mail) {
		if (argc != 0 || (close_arg && mail))
			usage(CRM_EUSAGE);
	} else if (argc != 2)
		usage(CRM_EUSAGE);
	if (mail && (at_arg || body || ev.subject || ev.ref))
		errx(CRM_EUSAGE, "--mail takes the date, subject, body and "
		    "Message-ID from the message; --at, --subject, --body and "
		    "--ref do not go with it");
	if (note && !close_arg)
		errx(CRM_EUSAGE, "--note goes with --close; use --body for an "
		    "event's text");
	if (ev.currency == NULL && cur[0])
		ev.currency = cur;
	if (ev.currency == NULL && dcur[0])
		ev.currency = dcur;
	if (dcur[0] && strcmp(dcur, ev.currency) != 0)
		errx(CRM_EDATA, "the discount is in %s, the event in %s",
		    dcur, ev.currency);
	ev.at = at_arg ? date("--at", at_arg) : crm_now();
	if (due_arg)
		ev.due_at = date("--due", due_arg);
	if (body && strcmp(body, "-") == 0) {
		if (mail || (argc == 2 && strcmp(argv[0], "-") == 0))
			errx(CRM_EUSAGE, "--body - needs standard input, which "
			    "holds the customers");
		body = bodybuf = slurp(stdin, &len);
	}
	ev.body = (char *)body;
	ev.source = (char *)(source ? source : program_invocation_short_name);
	if (argc == 2 && strcmp(argv[1], "consent") == 0) {
		if (ev.channel == NULL || granted == -1)
			errx(CRM_EUSAGE, "consent needs --channel (email, "
			    "newsletter, post, phone, sms) and --granted yes|no");
		if (ev.amount_cents != CRM_NONE || ev.currency || ev.subject || ev.body ||
		    ev.discount_cents != CRM_NONE ||
		    ev.ref || ev.status || due_arg || ev.product ||
		    ev.category || ev.rating != CRM_NONE ||
		    ev.quantity != CRM_NONE)
			errx(CRM_EUSAGE, "consent takes only --channel, "
			    "--granted, --at and --source");
		consent = granted;
	} else if (granted != -1) {
		errx(CRM_EUSAGE, "--granted goes with the kind consent");
	} else if (argc == 2) {
		ev.kind = argv[1];
		if (!crm_kind_valid(ev.kind))
			errx(CRM_EDATA, "unknown kind \"%s\"; kinds are: %s",
			    ev.kind, crm_kind_list());
	}

	db = cmd_open(&opts, close_arg ? CRM_DB_NOCREATE : 0);
	if (close_arg) {
		if (crm_parse_int(close_arg, 1, INT64_MAX, &v, &why) == -1)
			errx(CRM_EUSAGE, "invalid event id \"%s\"", close_arg);
		if (crm_db_begin(db) == -1 ||
		    crm_event_close(db, v, at_arg ? ev.at : crm_now(), note) == -1 ||
		    crm_db_commit(db) == -1)
			cmd_die(db);
		print(db, v, v);
	} else if (mail) {
		log_mail(db);
	} else {
		if (consent < 0 && crm_event_check(db, &ev) == -1)
			cmd_die(db);
		if (strcmp(argv[0], "-") == 0) {
			if ((rc = log_stdin(db)) != 0)
				cmd_exit(db, rc);
		} else
			log_one(db, argv[0]);
	}
	free(bodybuf);
	free(cids);
	cmd_exit(db, 0);
}
