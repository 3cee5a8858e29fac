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
	struct crm_forget_stats st;
	struct crm_out *out = NULL;
	struct crm_db *db;
	const char *reason = NULL, *v[8];
	char num[7][24];
	int64_t id;
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

	db = cmd_open(&opts, CRM_DB_NOCREATE);
	if (!opts.quiet) {
		out = cmd_out(&opts);
		if (crm_out_header(out, cols, 8, "nsnnnnnn") == -1)
			err(CRM_EIO, "write error");
	}
	if (crm_db_begin(db) == -1)
		cmd_die(db);
	for (i = 0; i < argc; i++) {
		if (crm_customer_resolve(db, argv[i], &id) != 1 ||
		    crm_customer_forget(db, id, reason, dry, &st) == -1)
			cmd_die(db);
		if (out == NULL)
			continue;
		snprintf(num[0], sizeof(num[0]), "%lld", (long long)id);
		snprintf(num[1], sizeof(num[1]), "%d", st.fields);
		snprintf(num[2], sizeof(num[2]), "%lld", (long long)st.events);
		snprintf(num[3], sizeof(num[3]), "%lld", (long long)st.tags);
		snprintf(num[4], sizeof(num[4]), "%lld", (long long)st.consents);
		snprintf(num[5], sizeof(num[5]), "%lld", (long long)st.audit);
		snprintf(num[6], sizeof(num[6]), "%lld", (long long)st.changes);
		v[0] = num[0];
		v[1] = dry ? "would be" : "yes";
		v[2] = num[1]; v[3] = num[2]; v[4] = num[3];
		v[5] = num[4]; v[6] = num[5]; v[7] = num[6];
		if (crm_out_row(out, v, 8) == -1)
			err(CRM_EIO, "write error");
	}
	if (dry)
		crm_db_rollback(db);
	else if (crm_db_commit(db) == -1 || crm_db_checkpoint(db) == -1)
		cmd_die(db);
	if (out)
		cmd_out_done(out);
	cmd_exit(db, 0);
}
