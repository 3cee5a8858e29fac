/* crm-report: the nightly report and the department reports (complaints,
 * callbacks, campaigns, revenue, top customers, audit) as text, Markdown,
 * HTML, CSV, TSV or JSON. The queries and the writers are in libcrm. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { OPT_SINCE = OPT_COMMON_LAST, OPT_UNTIL, OPT_BY, OPT_TOP, OPT_SECTION,
	OPT_CUSTOMER, OPT_NORECORD };

static struct cmd_opts opts;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-report [-q] [-d db] report [--since date|last] [--until date]\n"
	    "                  [--format text|md|html|csv|tsv|json] [-t] [--excel]\n"
	    "                  [--section name] [--no-record] [--wait seconds]\n"
	    "reports:\n"
	    "  nightly                              everything, for cron and mail\n"
	    "  complaints [--by category|product]   complaints and returns\n"
	    "  callbacks                            open service requests, callbacks\n"
	    "  campaigns                            sent, answered, revenue after\n"
	    "  revenue [--by day|week|month|category]\n"
	    "  customers [--top n] [--by spend|clv] the best customers\n"
	    "  audit [--customer customer]          who changed what\n");
	exit(status);
}

/* date: an option's date, or exit 65 saying what is accepted. */
static int64_t date(const char *opt, const char *s)
{
	const char *why;
	int64_t t;

	if (crm_parse_date(s, NULL, crm_now(), &t, &why) == -1)
		errx(CRM_EDATA, "invalid %s \"%s\": %s (use 2026-11-20, "
		    "20.11.2026, yesterday, -7d%s)", opt, s, why,
		    strcmp(opt, "--since") == 0 ? " or last" : "");
	return t;
}

/* timing: how long each section took, on stderr ($CRM_REPORT_TIMING, for
 * scripts/bench). */
static void timing(const struct crm_report *r)
{
	size_t i;

	for (i = 0; i < r->nsections; i++)
		fprintf(stderr, "crm-report: %-12s %.3f s\n",
		    r->sections[i]->name, r->sections[i]->seconds);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "since",     required_argument, NULL, OPT_SINCE },
		{ "until",     required_argument, NULL, OPT_UNTIL },
		{ "by",        required_argument, NULL, OPT_BY },
		{ "top",       required_argument, NULL, OPT_TOP },
		{ "section",   required_argument, NULL, OPT_SECTION },
		{ "customer",  required_argument, NULL, OPT_CUSTOMER },
		{ "no-record", no_argument,       NULL, OPT_NORECORD },
		{ NULL, 0, NULL, 0 }
	};
	struct crm_report_opts ro;
	enum crm_report_fmt fmt = CRM_RFMT_TEXT;
	const char *section = NULL, *customer = NULL, *why;
	const struct crm_rtable *t;
	struct crm_report *r;
	struct crm_db *db;
	struct crm_report_lock *lk = NULL;
	int ch, record = 1, lock;
	char *names;

	cmd_init(&opts, argc, argv);
	memset(&ro, 0, sizeof(ro));
	ro.since = ro.until = CRM_NONE;
	ro.now = crm_now();
	while ((ch = getopt_long(argc, argv, COMMON_SHORT, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_FORMAT:
			if (crm_report_fmt_parse(optarg, &fmt) == -1)
				errx(CRM_EUSAGE, "unknown format \"%s\" (text, md, "
				    "html, csv, tsv, json)", optarg);
			continue;
		case 't':
			fmt = CRM_RFMT_TSV;
			continue;
		case OPT_EXCEL:
			fmt = CRM_RFMT_CSV;
			opts.outflags |= CRM_OUT_EXCEL;
			continue;
		case OPT_SINCE:
			if (strcmp(optarg, "last") == 0)
				ro.since_last = 1;
			else
				ro.since = date("--since", optarg);
			continue;
		case OPT_UNTIL:
			ro.until = date("--until", optarg);
			continue;
		case OPT_BY:
			ro.by = optarg;
			continue;
		case OPT_TOP:
			if (crm_parse_int(optarg, 1, 1000000, &ro.top, &why) == -1)
				errx(CRM_EUSAGE, "invalid --top \"%s\": a number "
				    "from 1 to 1000000", optarg);
			continue;
		case OPT_SECTION:
			section = optarg;
			continue;
		case OPT_CUSTOMER:
			customer = optarg;
			continue;
		case OPT_NORECORD:
			record = 0;
			continue;
		}
		if (!cmd_option(&opts, ch, optarg, usage))
			usage(CRM_EUSAGE);
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage(CRM_EUSAGE);
	if (crm_report_kind_parse(argv[0], &ro.kind) == -1)
		errx(CRM_EUSAGE, "unknown report \"%s\" (%s)", argv[0],
		    crm_report_kind_list());
	if (ro.by && ro.kind != CRM_REPORT_COMPLAINTS &&
	    ro.kind != CRM_REPORT_REVENUE && ro.kind != CRM_REPORT_CUSTOMERS)
		errx(CRM_EUSAGE, "--by is for complaints, revenue and customers");
	if (ro.top && ro.kind != CRM_REPORT_CUSTOMERS)
		errx(CRM_EUSAGE, "--top is for the customers report");
	if (customer && ro.kind != CRM_REPORT_AUDIT)
		errx(CRM_EUSAGE, "--customer is for the audit report");

	db = cmd_open(&opts, CRM_DB_NOCREATE);
	if (customer && crm_customer_resolve(db, customer,
	    &ro.customer_id) != 1)
		cmd_die(db);
	/* A nightly report that records its run holds the report lock from
	 * reading the last run to recording this one. */
	lock = record && ro.kind == CRM_REPORT_NIGHTLY;
	if (lock && (lk = crm_report_lock(db)) == NULL)
		cmd_die(db);
	if ((r = crm_report_build(db, &ro)) == NULL)
		cmd_die(db);
	if (section && crm_report_find(r, section, &t) == NULL) {
		if ((names = crm_report_names(r)) == NULL)
			errx(CRM_EFAIL, "out of memory");
		errx(CRM_EUSAGE, "no section \"%s\" in the %s report (%s)",
		    section, argv[0], names);
	}
	if (crm_report_write(r, stdout, fmt, section, opts.outflags) == -1) {
		crm_db_close(db);
		err(CRM_EIO, "write error");
	}
	if (lock && crm_report_record(db, r) == -1)
		cmd_die(db);
	if (getenv("CRM_REPORT_TIMING"))
		timing(r);
	crm_report_unlock(lk);
	crm_report_free(r);
	cmd_exit(db, 0);
}
