/* crm-forget: erase a person (GDPR/DSGVO Art. 17): their personal data goes,
 * their purchases stay anonymous so the statistics remain right. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { OPT_REASON = OPT_COMMON_LAST, OPT_DRYRUN };

static struct cmd_opts opts;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-forget [-qt] [-d db] [--reason text] [--dry-run]\n"
	    "                  [--format csv|tsv|table|json] [--wait seconds]\n"
	    "                  customer...\n"
	    "customer is a ref, an email address or #id.\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "reason",  required_argument, NULL, OPT_REASON },
		{ "dry-run", no_argument,       NULL, OPT_DRYRUN },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const cols[] = { "id", "erased", "fields", "events",
	    "tags", "consents", "audit", "import_changes" };
	struct crm_forget_stats *st;
	struct crm_out *out = NULL;
	int64_t *ids;
	struct crm_db *db;
	const char *reason = NULL, *v[8];
	char num[7][24];
	int ch, i, dry = 0;

	cmd_init(&opts, argc, argv);
	while ((ch = getopt_long(argc, argv, COMMON_SHORT, longopts, NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		switch (ch) {
		case OPT_REASON: reason = optarg; break;
		case OPT_DRYRUN: dry = 1; break;
		default: usage(CRM_EUSAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(CRM_EUSAGE);

	if ((ids = calloc((size_t)argc, sizeof(*ids))) == NULL ||
	    (st = calloc((size_t)argc, sizeof(*st))) == NULL)
		err(CRM_EFAIL, NULL);
	db = cmd_open(&opts, CRM_DB_NOCREATE);
	crm_db_see_erased(db, 1);
	/* All or nothing: every customer erased in one transaction, and
	 * nothing printed before it committed. */
	if (crm_db_begin(db) == -1)
		cmd_die(db);
	for (i = 0; i < argc; i++)
		if (crm_customer_resolve(db, argv[i], &ids[i]) != 1 ||
		    crm_customer_forget(db, ids[i], reason, dry, &st[i]) == -1)
			cmd_die(db);
	if (dry)
		crm_db_rollback(db);
	else if (crm_db_commit(db) == -1)
		cmd_die(db);
	else if (crm_db_checkpoint(db) == -1)
		warnx("warning: erased, but %s; the old pages stay in %s-wal "
		    "until the next checkpoint", crm_errmsg(db), crm_db_file(db));
	if (!opts.quiet) {
		out = cmd_out(&opts);
		if (crm_out_header(out, cols, 8, "nsnnnnnn") == -1)
			err(CRM_EIO, "write error");
		for (i = 0; i < argc; i++) {
			snprintf(num[0], sizeof(num[0]), "%lld", (long long)ids[i]);
			snprintf(num[1], sizeof(num[1]), "%d", st[i].fields);
			snprintf(num[2], sizeof(num[2]), "%lld", (long long)st[i].events);
			snprintf(num[3], sizeof(num[3]), "%lld", (long long)st[i].tags);
			snprintf(num[4], sizeof(num[4]), "%lld", (long long)st[i].consents);
			snprintf(num[5], sizeof(num[5]), "%lld", (long long)st[i].audit);
			snprintf(num[6], sizeof(num[6]), "%lld", (long long)st[i].changes);
			v[0] = num[0];
			v[1] = dry ? "would be" : "yes";
			v[2] = num[1]; v[3] = num[2]; v[4] = num[3];
			v[5] = num[4]; v[6] = num[5]; v[7] = num[6];
			if (crm_out_row(out, v, 8) == -1)
				err(CRM_EIO, "write error");
		}
		cmd_out_done(out);
	}
	free(ids);
	free(st);
	cmd_exit(db, 0);
}
