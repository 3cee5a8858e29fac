/* crm-find: the customers that match words however they are spelled:
 * names (case, accents, ae/oe/ue, ß), the last digits of a phone number,
 * the start of an email address or a ref; best first, as CSV/TSV/table/
 * JSON that pipes into crm-log - and the other commands. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { OPT_COLUMNS = OPT_COMMON_LAST, OPT_LIMIT, OPT_WHERE, OPT_FOR,
	OPT_REINDEX };

static struct cmd_opts opts;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-find [-qt] [-d db] [-n limit] [--columns a,b,...]\n"
	    "                [--where expr] [--for channel]\n"
	    "                [--format csv|tsv|table|json] [--excel]\n"
	    "                [--wait seconds] text...\n"
	    "       crm-find [-q] [-d db] --reindex\n"
	    "Every word must match: a name, company or city however spelled\n"
	    "(Müller, MUELLER, muller), the last digits of a phone number\n"
	    "(1234567, 030/1234567), the start of an email address (anna.m,\n"
	    "or @example.de for a domain) or of a ref. Best matches first.\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "limit",   required_argument, NULL, 'n' },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "where",   required_argument, NULL, OPT_WHERE },
		{ "for",     required_argument, NULL, OPT_FOR },
		{ "reindex", no_argument,       NULL, OPT_REINDEX },
		{ NULL, 0, NULL, 0 }
	};
	struct crm_segq q;
	struct crm_out *out;
	struct crm_db *db;
	const char *why;
	int64_t *ids, v;
	size_t n, limit = 0;
	int ch, reindex = 0;

	cmd_init(&opts, argc, argv);
	memset(&q, 0, sizeof(q));
	while ((ch = getopt_long(argc, argv, COMMON_SHORT "n:", longopts,
	    NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'n':
			if (crm_parse_int(optarg, 1, 100000000, &v, &why) == -1)
				errx(CRM_EUSAGE, "invalid --limit \"%s\": a whole "
				    "number from 1", optarg);
			limit = (size_t)v;
			break;
		case OPT_COLUMNS: q.columns = optarg; break;
		case OPT_WHERE: q.where = optarg; break;
		case OPT_FOR: q.channel = optarg; break;
		case OPT_REINDEX: reindex = 1; break;
		default: usage(CRM_EUSAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (reindex ? argc != 0 : argc == 0)
		usage(CRM_EUSAGE);

	db = cmd_open(&opts, CRM_DB_NOCREATE);
	if (reindex) {
		if (crm_db_begin(db) == -1 || crm_find_reindex(db, &v) == -1 ||
		    crm_audit(db, "find.reindex", 0, 0, NULL) == -1 ||
		    crm_db_commit(db) == -1)
			cmd_die(db);
		if (!opts.quiet)
			fprintf(stderr, "crm-find: search keys of %lld "
			    "customers computed\n", (long long)v);
		cmd_exit(db, 0);
	}
	if (crm_find(db, argv, (size_t)argc, limit, &ids, &n) == -1)
		cmd_die(db);
	out = cmd_out(&opts);
	/* no match: the header alone, so that a pipe reads an empty list */
	q.ids = ids ? ids : &v;
	q.nids = n;
	q.as_of = crm_now();
	if (crm_segment_run(db, &q, out) == -1)
		cmd_die(db);
	free(ids);
	cmd_out_done(out);
	if (n == 0 && !opts.quiet)
		warnx("no customer matches \"%s\"", cmd_safe(argv[0]));
	cmd_exit(db, n ? 0 : CRM_ENOUSER);
}
