/* crm-segment: who is in a group: RFM scores and segments, filter
 * expressions, consent-aware lists for a channel, saved segments; the
 * output feeds crm-log - and other commands. */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

enum { OPT_WHERE = OPT_COMMON_LAST, OPT_FOR, OPT_COLUMNS, OPT_COUNT,
	OPT_ASOF, OPT_SCHEME, OPT_NOTE };

static struct cmd_opts opts;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-segment [-qt] [-d db] [--where expr] [--for channel]\n"
	    "                   [--columns a,b,...] [--count] [--as-of date]\n"
	    "                   [--format csv|tsv|table|json] [--excel]\n"
	    "                   [--wait seconds] [name] [file | -]\n"
	    "       crm-segment rfm [--as-of date] [--scheme grid|classic]\n"
	    "                   [options] [file | -]\n"
	    "       crm-segment save name --where expr [--note text]\n"
	    "       crm-segment list | drop name\n"
	    "name is a saved segment; file or - narrows to the customers in a\n"
	    "CSV/TSV with an id, customer_id, ref or email column. channel is\n"
	    "email, newsletter, post, phone or sms. expr, e.g.:\n"
	    "  'orders >= 3 and last_purchase < -90d and not tag:vip'\n"
	    "  'city in (Berlin, Hamburg) or spend > 500 or segment = \"At Risk\"'\n"
	    "fields: customer fields, attrs.X, tag:X, consent:X, reachable:X,\n"
	    "orders spend aov first_purchase last_purchase returns return_rate\n"
	    "complaints complaints_open service_open callbacks_open reviews\n"
	    "avg_rating cart_abandoned campaigns_sent campaigns_answered\n"
	    "last_contact recency r f m rfm segment p_alive p_buy clv\n"
	    "next_purchase favourite_category favourite_share price_band\n"
	    "discount_buyer discount_share channel;\n"
	    "see crm-segment(1).\n");
	exit(status);
}

/* input: the customers of file (or "-"), or exit. */
static void input(struct crm_db *db, const char *file, struct crm_segq *q)
{
	FILE *fp = cmd_fopen(file);
	int64_t *ids;
	size_t n;

	if (crm_segment_read(db, fp, file, &ids, &n) == -1)
		cmd_die(db);
	if (fp != stdin)
		fclose(fp);
	q->ids = ids;
	q->nids = n;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "where",   required_argument, NULL, OPT_WHERE },
		{ "for",     required_argument, NULL, OPT_FOR },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "count",   no_argument,       NULL, OPT_COUNT },
		{ "as-of",   required_argument, NULL, OPT_ASOF },
		{ "scheme",  required_argument, NULL, OPT_SCHEME },
		{ "note",    required_argument, NULL, OPT_NOTE },
		{ NULL, 0, NULL, 0 }
	};
	struct crm_segq q;
	struct crm_out *out;
	struct crm_db *db;
	const char *note = NULL, *asof = NULL, *why, *sub = NULL, *file = NULL;
	char *expr;
	int ch;

	cmd_init(&opts, argc, argv);
	memset(&q, 0, sizeof(q));
	while ((ch = getopt_long(argc, argv, COMMON_SHORT, longopts, NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		switch (ch) {
		case OPT_WHERE: q.where = optarg; break;
		case OPT_FOR: q.channel = optarg; break;
		case OPT_COLUMNS: q.columns = optarg; break;
		case OPT_COUNT: q.count = 1; break;
		case OPT_ASOF: asof = optarg; break;
		case OPT_NOTE: note = optarg; break;
		case OPT_SCHEME:
			if (crm_rfm_scheme_parse(optarg, &q.scheme) == -1)
				errx(CRM_EUSAGE, "unknown scheme \"%s\" (grid, "
				    "classic)", optarg);
			break;
		default: usage(CRM_EUSAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		sub = argv[0];
	if (q.count && q.columns)
		errx(CRM_EUSAGE, "--count prints its own columns; leave out "
		    "--columns");
	if (note && !(sub && strcmp(sub, "save") == 0))
		errx(CRM_EUSAGE, "--note goes with save");
	q.as_of = crm_now();
	if (asof && crm_parse_date(asof, NULL, q.as_of, &q.as_of, &why) == -1)
		errx(CRM_EDATA, "invalid --as-of \"%s\": %s (use 2026-11-20, "
		    "20.11.2026, today or -30d)", asof, why);

	db = cmd_open(&opts, CRM_DB_NOCREATE);
	if (sub && strcmp(sub, "save") == 0) {
		if (argc != 2 || q.where == NULL)
			usage(CRM_EUSAGE);
		if (crm_db_begin(db) == -1 ||
		    crm_segment_save(db, argv[1], q.where, note) == -1 ||
		    crm_db_commit(db) == -1)
			cmd_die(db);
		cmd_exit(db, 0);
	}
	if (sub && strcmp(sub, "drop") == 0) {
		if (argc != 2)
			usage(CRM_EUSAGE);
		if (crm_db_begin(db) == -1 ||
		    crm_segment_drop(db, argv[1]) == -1 ||
		    crm_db_commit(db) == -1)
			cmd_die(db);
		cmd_exit(db, 0);
	}
	out = cmd_out(&opts);
	if (sub && strcmp(sub, "list") == 0) {
		if (argc != 1)
			usage(CRM_EUSAGE);
		if (crm_segment_list(db, out) == -1)
			cmd_die(db);
		cmd_out_done(out);
		cmd_exit(db, 0);
	}
	if (sub && strcmp(sub, "rfm") == 0) {
		q.rfm = 1;
		argc--;
		argv++;
	} else if (sub && strcmp(sub, "-") != 0 && !strchr(sub, '/')) {
		/* a saved segment's name, else a file */
		switch (crm_segment_expr(db, sub, &expr)) {
		case 1:
			free(expr);
			q.name = sub;
			argc--;
			argv++;
			break;
		case 0:
			if (access(sub, F_OK) == 0)
				break;
			cmd_die(db);
		default:
			cmd_die(db);
		}
	}
	if (argc > 1)
		usage(CRM_EUSAGE);
	if (argc == 1)
		file = argv[0];
	if (file)
		input(db, file, &q);
	if (crm_segment_run(db, &q, out) == -1)
		cmd_die(db);
	free((void *)q.ids);
	cmd_out_done(out);
	cmd_exit(db, 0);
}
