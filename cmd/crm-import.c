/* crm-import: bulk import of customers and events from spreadsheet
 * exports (CSV, TSV, German Excel), idempotent, with reject files,
 * batches and undo. The work is libcrm/import*.c and batch.c; this is the
 * glue. */
#include <sys/stat.h>
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { OPT_KIND = OPT_COMMON_LAST, OPT_MATCH, OPT_MODE, OPT_STRICT,
	OPT_SNIFF, OPT_LIST, OPT_UNDO, OPT_ENCODING, OPT_DELIM, OPT_DECIMAL,
	OPT_DATEFMT, OPT_PROGRESS, OPT_NOPROGRESS, OPT_ALLOW };

#define SHOW_REJECTS 10         /* rejected rows named on stderr per file */

static struct cmd_opts opts;
static struct crm_out *out;     /* --dry-run report */
static long shown;
static int progress = -1;
static long long total;         /* size of the current file, 0 unknown */
static double t0;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-import [-nq] [-d db] [-m|--map file] [-r|--rejects file]\n"
	    "                  [--kind kind] [--match ref,email,phone]\n"
	    "                  [--mode upsert|create|update] [--strict] [--dry-run]\n"
	    "                  [--encoding name] [--delimiter c] [--decimal c]\n"
	    "                  [--date-format fmt] [--progress|--no-progress]\n"
	    "                  [--allow-forgotten]\n"
	    "                  [--format csv|tsv|table|json] [--excel] [--wait seconds]\n"
	    "                  file ... | -\n"
	    "       crm-import --sniff [-m file] [--encoding name] [--delimiter c] file\n"
	    "       crm-import --list [-d db]\n"
	    "       crm-import --undo batch [-d db]\n");
	exit(status);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_reject(void *arg, const char *file, long line,
    const char *reason)
{
	(void)arg;
	if (shown++ < SHOW_REJECTS)
		warnx("%s:%ld: %s", cmd_safe(file), line, cmd_safe(reason));
}

static void on_change(void *arg, long line, const char *action,
    const char *who, const char *field, const char *old, const char *new_)
{
	char ln[24];
	const char *v[6];

	(void)arg;
	snprintf(ln, sizeof(ln), "%ld", line);
	v[0] = ln; v[1] = action; v[2] = who; v[3] = field; v[4] = old;
	v[5] = new_;
	if (crm_out_row(out, v, 6) == -1)
		err(CRM_EIO, "stdout");
}

static void on_progress(void *arg, long rows, long long bytes)
{
	double t = seconds() - t0, rate = t > 0 ? (double)rows / t : 0;

	(void)arg;
	if (total > 0 && bytes > 0)
		fprintf(stderr, "\r%s: %ld rows, %.0f rows/s, %lld%%, %.0f s "
		    "left  ", program_invocation_short_name, rows, rate,
		    bytes * 100 / total, t * (double)(total - bytes) /
		    (double)bytes);
	else
		fprintf(stderr, "\r%s: %ld rows, %.0f rows/s  ",
		    program_invocation_short_name, rows, rate);
}

/* rejects_for: the default reject file beside path: "x.csv" gives
 * "x.rejects.csv"; NULL for standard input. Caller frees. */
static char *rejects_for(const char *path)
{
	struct crm_buf b = {0};
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (strcmp(path, "-") == 0)
		return NULL;
	if (dot == NULL || (slash && dot < slash) || dot == path)
		dot = path + strlen(path);
	crm_buf_add(&b, path, (size_t)(dot - path));
	crm_buf_adds(&b, ".rejects");
	crm_buf_adds(&b, *dot ? dot : ".csv");
	if (b.oom)
		err(CRM_EFAIL, NULL);
	return crm_buf_take(&b);
}

static void summary(const char *file, const struct crm_import_stats *s,
    const char *rej, double secs, int dry)
{
	if (opts.quiet)
		return;
	fprintf(stderr, "%s: %s: %ld rows (%s, '%s'%s): customers %ld "
	    "created, %ld updated, %ld unchanged; events %ld added, %ld "
	    "already present; %ld rejected", program_invocation_short_name,
	    strcmp(file, "-") ? file : "<stdin>", s->rows, s->encoding,
	    s->delim == '\t' ? "tab" : (char[2]){ (char)s->delim, 0 },
	    "", s->created, s->updated, s->unchanged, s->events_added,
	    s->events_present, s->rejected);
	if (s->rejected && rej)
		fprintf(stderr, " (in %s)", rej);
	if (dry)
		fprintf(stderr, "; dry run: nothing stored");
	else if (!s->committed)
		fprintf(stderr, "; --strict: nothing stored");
	else if (s->created + s->updated + s->events_added == 0)
		fprintf(stderr, "; nothing changed");
	if (s->committed)
		fprintf(stderr, "; batch %lld", (long long)s->batch);
	fprintf(stderr, "; %.1f s\n", secs);
}

static int list_row(void *arg, int64_t id, const char *file,
    const char *sha, int64_t started, int64_t finished, const char *user,
    const char *stats, int64_t undone)
{
	char b[4][CRM_TIMEBUF], ids[24];
	const char *v[8];

	(void)arg;
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	v[0] = ids; v[1] = file; v[2] = sha;
	v[3] = crm_fmt_time(started, b[0]);
	v[4] = finished == CRM_NONE ? NULL : crm_fmt_time(finished, b[1]);
	v[5] = user; v[6] = stats;
	v[7] = undone == CRM_NONE ? NULL : crm_fmt_time(undone, b[2]);
	if (crm_out_row(out, v, 8) == -1)
		err(CRM_EIO, "stdout");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "map",         required_argument, NULL, 'm' },
		{ "rejects",     required_argument, NULL, 'r' },
		{ "dry-run",     no_argument,       NULL, 'n' },
		{ "kind",        required_argument, NULL, OPT_KIND },
		{ "match",       required_argument, NULL, OPT_MATCH },
		{ "mode",        required_argument, NULL, OPT_MODE },
		{ "strict",      no_argument,       NULL, OPT_STRICT },
		{ "sniff",       no_argument,       NULL, OPT_SNIFF },
		{ "list",        no_argument,       NULL, OPT_LIST },
		{ "undo",        required_argument, NULL, OPT_UNDO },
		{ "encoding",    required_argument, NULL, OPT_ENCODING },
		{ "delimiter",   required_argument, NULL, OPT_DELIM },
		{ "decimal",     required_argument, NULL, OPT_DECIMAL },
		{ "date-format", required_argument, NULL, OPT_DATEFMT },
		{ "progress",    no_argument,       NULL, OPT_PROGRESS },
		{ "no-progress", no_argument,       NULL, OPT_NOPROGRESS },
		{ "allow-forgotten", no_argument,   NULL, OPT_ALLOW },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const dryhdr[] = { "line", "action", "customer",
		"field", "old", "new" };
	static const char *const listhdr[] = { "batch", "file", "sha256",
		"started", "finished", "user", "stats", "undone" };
	struct crm_import_opts io = { 0 };
	struct crm_import_stats s;
	struct crm_map *map;
	struct crm_map_settings *ms;
	struct crm_db *db;
	struct stat sb;
	const char *mapfile = NULL, *rejects = NULL, *undo = NULL, *why;
	struct {                /* settings options, over the mapping file */
		const char *kind, *datefmt;
		enum crm_enc enc;
		int delim, decimal;
	} over = { 0 };
	char errbuf[1024], *p, *rej;
	int ch, allow = 0, sniff = 0, list = 0, status = 0, enc_set = 0, i;
	int64_t v;
	FILE *fp;

	cmd_init(&opts, argc, argv);
	if ((map = crm_map_new()) == NULL)
		err(CRM_EFAIL, NULL);
	ms = crm_map_settings(map);
	while ((ch = getopt_long(argc, argv, COMMON_SHORT "m:r:n", longopts,
	    NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'm': mapfile = optarg; break;
		case 'r': rejects = optarg; break;
		case 'n': io.dry_run = 1; break;
		case OPT_KIND:
			if (!crm_kind_valid(optarg))
				errx(CRM_EUSAGE, "unknown kind \"%s\"; kinds are: "
				    "%s", optarg, crm_kind_list());
			over.kind = optarg;
			break;
		case OPT_MATCH:
			for (p = strtok(optarg, ","); p; p = strtok(NULL, ","))
				if (strcmp(p, "ref") == 0)
					io.match |= CRM_MATCH_REF;
				else if (strcmp(p, "email") == 0)
					io.match |= CRM_MATCH_EMAIL;
				else if (strcmp(p, "phone") == 0)
					io.match |= CRM_MATCH_PHONE;
				else
					errx(CRM_EUSAGE, "--match takes ref, email "
					    "and phone, not \"%s\"", p);
			break;
		case OPT_MODE:
			if (strcmp(optarg, "upsert") == 0)
				io.mode = CRM_IMPORT_UPSERT;
			else if (strcmp(optarg, "create") == 0)
				io.mode = CRM_IMPORT_CREATE;
			else if (strcmp(optarg, "update") == 0)
				io.mode = CRM_IMPORT_UPDATE;
			else
				errx(CRM_EUSAGE, "--mode is upsert, create or "
				    "update");
			break;
		case OPT_STRICT: io.strict = 1; break;
		case OPT_SNIFF: sniff = 1; break;
		case OPT_LIST: list = 1; break;
		case OPT_UNDO: undo = optarg; break;
		case OPT_ENCODING:
			enc_set = 1;
			if (crm_enc_parse(optarg, &over.enc) == -1)
				errx(CRM_EUSAGE, "unknown encoding \"%s\" (utf-8, "
				    "windows-1252, iso-8859-1, iso-8859-15, "
				    "utf-16le, auto)", optarg);
			break;
		case OPT_DELIM:
			if (strcmp(optarg, "tab") == 0 ||
			    strcmp(optarg, "\\t") == 0)
				over.delim = '\t';
			else if (strlen(optarg) == 1 && strchr(",;|\t", *optarg))
				over.delim = *optarg;
			else
				errx(CRM_EUSAGE, "--delimiter is , ; | or tab");
			break;
		case OPT_DECIMAL:
			if (strcmp(optarg, ",") && strcmp(optarg, "."))
				errx(CRM_EUSAGE, "--decimal is , or .");
			over.decimal = *optarg;
			break;
		case OPT_DATEFMT:
			over.datefmt = optarg;
			break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NOPROGRESS: progress = 0; break;
		case OPT_ALLOW: allow = 1; break;
		default: usage(CRM_EUSAGE);
		}
	}
	argc -= optind;
	argv += optind;
	/* The mapping file, then the options that override what it says,
	 * wherever they stood on the command line. */
	if (mapfile && crm_map_load(map, mapfile, errbuf, sizeof(errbuf)) == -1)
		errx(CRM_EUSAGE, "%s", errbuf);
	if (enc_set)
		ms->enc = over.enc;
	if (over.delim)
		ms->delim = over.delim;
	if (over.decimal)
		ms->decimal = over.decimal;
	if (over.kind) {
		free(ms->kind);
		if ((ms->kind = strdup(over.kind)) == NULL)
			err(CRM_EFAIL, NULL);
	}
	if (over.datefmt) {
		free(ms->datefmt);
		if ((ms->datefmt = strdup(over.datefmt)) == NULL)
			err(CRM_EFAIL, NULL);
	}
	if (sniff + list + (undo != NULL) > 1 ||
	    ((list || undo) && argc != 0) || (sniff && argc != 1) ||
	    (!list && !undo && argc < 1))
		usage(CRM_EUSAGE);
	if (rejects && argc > 1)
		errx(CRM_EUSAGE, "--rejects names one file: import one file "
		    "at a time, or leave it out (each file's rejects go beside "
		    "it)");

	if (sniff) {
		struct crm_buf b = {0};

		db = cmd_open(&opts, 0);
		fp = cmd_fopen(argv[0]);
		if (crm_import_sniff(db, map, fp, argv[0], &b) == -1)
			cmd_die(db);
		fputs(b.s, stdout);
		crm_buf_free(&b);
		if (fp != stdin)
			fclose(fp);
		crm_map_free(map);
		cmd_exit(db, 0);
	}
	if (list) {
		db = cmd_open(&opts, CRM_DB_NOCREATE);
		out = cmd_out(&opts);
		if (crm_out_header(out, listhdr, 8, "nsssssss") == -1)
			err(CRM_EIO, "stdout");
		if (crm_batch_each(db, list_row, NULL) == -1)
			cmd_die(db);
		cmd_out_done(out);
		crm_map_free(map);
		cmd_exit(db, 0);
	}
	if (undo) {
		long cd, cr, ed;

		if (crm_parse_int(undo, 1, INT64_MAX, &v, &why) == -1)
			errx(CRM_EUSAGE, "invalid batch \"%s\": %s", undo, why);
		db = cmd_open(&opts, CRM_DB_NOCREATE);
		if (crm_batch_undo(db, v, &cd, &cr, &ed) == -1)
			cmd_die(db);
		if (!opts.quiet)
			fprintf(stderr, "%s: batch %lld undone: %ld customers "
			    "deleted, %ld changes restored, %ld events "
			    "deleted\n", program_invocation_short_name,
			    (long long)v, cd, cr, ed);
		crm_map_free(map);
		cmd_exit(db, 0);
	}

	if (progress == -1)
		progress = isatty(STDERR_FILENO) && !opts.quiet;
	io.on_reject = on_reject;
	if (progress)
		io.on_progress = on_progress;
	if (io.dry_run) {
		io.on_change = on_change;
		out = cmd_out(&opts);
		if (crm_out_header(out, dryhdr, 6, "nsssss") == -1)
			err(CRM_EIO, "stdout");
	}
	db = cmd_open(&opts, 0);
	crm_db_allow_forgotten(db, allow);
	for (i = 0; i < argc; i++) {
		fp = cmd_fopen(argv[i]);
		total = fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) ?
		    (long long)sb.st_size : 0;
		rej = rejects ? strdup(rejects) : rejects_for(argv[i]);
		io.rejects = io.dry_run ? NULL : rej;
		shown = 0;
		t0 = seconds();
		if (crm_import_file(db, map, &io, fp, argv[i], &s) == -1) {
			if (progress)
				fputc('\n', stderr);
			if (crm_errcode(db) != CRM_EDATA)
				cmd_die(db);
			warnx("%s", cmd_safe(crm_errmsg(db)));
			status = CRM_EDATA;
		} else {
			if (progress)
				fprintf(stderr, "\r\033[K");
			if (shown > SHOW_REJECTS)
				warnx("%s: and %ld more rejected rows",
				    strcmp(argv[i], "-") ? argv[i] : "<stdin>",
				    shown - SHOW_REJECTS);
			summary(argv[i], &s, io.rejects, seconds() - t0,
			    io.dry_run);
			if (s.rejected)
				status = CRM_EDATA;
		}
		free(rej);
		if (fp != stdin)
			fclose(fp);
	}
	if (out)
		cmd_out_done(out);
	crm_map_free(map);
	cmd_exit(db, status);
}
