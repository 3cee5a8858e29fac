/* crm-add: add customers to the directory, or update them with --update,
 * from options or as CSV/TSV rows on standard input. */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

enum { OPT_UPDATE = OPT_COMMON_LAST, OPT_FIRST, OPT_LAST, OPT_POSTAL,
	OPT_CONSENT, OPT_SET, OPT_NOTE, OPT_ALLOW, OPT_UNTAG };

static struct cmd_opts opts;
static int update, allow;
static struct crm_customer given;       /* from the options */
static const char *name;                /* --name, split into first/last */
static char **tags, **consents, **sets; /* repeatable options (argv) */
static size_t ntags, nconsents, nsets;
static char **untags;                   /* --untag: removed, and imply
                                           --update */
static size_t nuntags;
static int64_t *ids;                    /* what was stored, to print */
static size_t nids, capids;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-add [-qt] [-d db] [--update] [-r|--ref ref] [-n|--name name]\n"
	    "               [--first name] [--last name] [-c|--company name]\n"
	    "               [-e|--email addr] [-p|--phone number] [-s|--street street]\n"
	    "               [--postal-code code] [-C|--city city] [-N|--country country]\n"
	    "               [--note text] [-T|--tag tag]... [--untag tag]...\n"
	    "               [--consent channel=yes|no]...\n"
	    "               [--set key=value]... [--allow-forgotten]\n"
	    "               [--format csv|tsv|table|json] [--excel] [--wait seconds]\n"
	    "       crm-add [options] [--update] [file | -]\n");
	exit(status);
}

/* push: append p to a growing array of argv pointers. */
static void push(char ***a, size_t *n, char *p)
{
	char **t;

	if ((t = realloc(*a, (*n + 1) * sizeof(**a))) == NULL)
		err(CRM_EFAIL, NULL);
	t[(*n)++] = p;
	*a = t;
}

/* setstr: a field from an option, copied so it can be freed uniformly. */
static void setstr(char **f, const char *v)
{
	free(*f);
	if ((*f = strdup(v)) == NULL)
		err(CRM_EFAIL, NULL);
}

/* attrs_add: add "key":"value" to the attrs object under construction. */
static void attrs_add(struct crm_buf *a, const char *key, const char *val)
{
	crm_buf_addc(a, a->len > 1 ? ',' : '{');
	if (a->len == 1 && a->s[0] == ',')
		a->s[0] = '{';
	crm_buf_addjson(a, key);
	crm_buf_addc(a, ':');
	crm_buf_addjson(a, val);
}

/* split_name: fill first/last from a full name unless given. */
static void split_name(struct crm_customer *c, const char *full)
{
	char *first, *last;
	size_t n = strlen(full) + 1;

	if ((first = malloc(n)) == NULL || (last = malloc(n)) == NULL)
		err(CRM_EFAIL, NULL);
	crm_split_name(full, first, last);
	if (c->first_name == NULL && *first)
		setstr(&c->first_name, first);
	if (c->last_name == NULL && *last)
		setstr(&c->last_name, last);
	free(first);
	free(last);
}

/* store: create or (with --update) merge c, then its tags and consents.
 * tagv/consv are "tag" and "channel=yes" strings. Returns 0 or -1. */
static int store(struct crm_db *db, struct crm_customer *c,
    char *const *tagv, size_t ntag, char *const *consv, size_t ncons)
{
	int64_t id = 0;
	size_t i;
	int rc, yes;
	const char *why;
	char *eq;

	if (crm_customer_normalise(db, c) == -1)
		return -1;
	if (update && (rc = crm_customer_match(db, c, &id)) == -1)
		return -1;
	if (id) {
		if (crm_customer_merge(db, id, c, NULL) == -1)
			return -1;
	} else if (nuntags) {
		warnx("no customer %s%s%s to untag", c->ref ? c->ref : "",
		    c->ref && c->email ? " or " : "", c->email ? c->email : "");
		return -3;
	} else {
		if (crm_customer_create(db, c) == -1)
			return -1;
		id = c->id;
	}
	for (i = 0; i < ntag; i++)
		if (crm_tag_add(db, id, tagv[i]) == -1)
			return -1;
	for (i = 0; i < nuntags; i++)
		if (crm_tag_remove(db, id, untags[i], NULL) == -1)
			return -1;
	for (i = 0; i < ncons; i++) {
		if ((eq = strchr(consv[i], '=')) == NULL ||
		    crm_parse_yesno(eq + 1, 0, &yes, &why) == -1) {
			warnx("invalid consent \"%s\": channel=yes or "
			    "channel=no", consv[i]);
			return -2;
		}
		*eq = '\0';
		rc = crm_consent_set(db, id, consv[i], yes, crm_now(),
		    program_invocation_short_name);
		*eq = '=';
		if (rc == -1)
			return -1;
	}
	if (nids == capids) {
		capids = capids ? capids * 2 : 16;
		if ((ids = realloc(ids, capids * sizeof(*ids))) == NULL)
			err(CRM_EFAIL, NULL);
	}
	ids[nids++] = id;
	return 0;
}

/* add_row: one CSV row: known columns to fields, tags and consents to
 * tags and consents, an attrs column (JSON) and all other columns to attrs. */
static int add_row(struct crm_db *db, char **hdr, char **f, size_t n)
{
	struct crm_customer c = {0};
	struct crm_buf attrs = {0};
	char *tagv[64] = {0}, *cons[16] = {0}, *p, *tagcopy = NULL;
	const char *json = NULL;
	size_t i, ntag = 0, ncons = 0;
	int k, rc;

	for (i = 0; i < n; i++) {
		if (*f[i] == '\0')
			continue;   /* an empty cell never erases */
		if (strcmp(hdr[i], "attrs") == 0)
			json = f[i];
		else if ((k = crm_customer_field(hdr[i])) >= 0)
			setstr(crm_customer_str(&c, (size_t)k), f[i]);
		else if (strcmp(hdr[i], "name") == 0)
			;   /* below, once first/last are known */
		else if (strcmp(hdr[i], "tags") == 0 && tagcopy == NULL) {
			if ((tagcopy = strdup(f[i])) == NULL)
				err(CRM_EFAIL, NULL);
			for (p = strtok(tagcopy, ",;"); p && ntag < 64;
			    p = strtok(NULL, ",;"))
				tagv[ntag++] = p;
		} else if (strcmp(hdr[i], "consents") == 0) {
			/* as printed: "newsletter=yes,post=no" */
			char *copy, *save = NULL;
			if ((copy = strdup(f[i])) == NULL)
				err(CRM_EFAIL, NULL);
			for (p = strtok_r(copy, ",;", &save); p && ncons < 16;
			    p = strtok_r(NULL, ",;", &save))
				if ((cons[ncons++] = strdup(p)) == NULL)
					err(CRM_EFAIL, NULL);
			free(copy);
		} else if (strncmp(hdr[i], "consent_", 8) == 0 && ncons < 16) {
			if (asprintf(&cons[ncons++], "%s=%s", hdr[i] + 8,
			    f[i]) < 0)
				err(CRM_EFAIL, NULL);
		} else if (strcmp(hdr[i], "id") != 0 &&
		    strcmp(hdr[i], "created") != 0 &&
		    strcmp(hdr[i], "updated") != 0)
			attrs_add(&attrs, hdr[i], f[i]);
	}
	for (i = 0; i < n; i++)
		if (strcmp(hdr[i], "name") == 0 && *f[i])
			split_name(&c, f[i]);
	if (attrs.len)
		crm_buf_addc(&attrs, '}');
	if (json && attrs.len) {
		/* an attrs column and extra columns: the columns win */
		if ((c.attrs = crm_json_patch(db, json, attrs.s)) == NULL) {
			rc = -1;
			goto done;
		}
	} else if (json)
		setstr(&c.attrs, json);
	else if (attrs.len)
		c.attrs = crm_buf_take(&attrs);
	rc = store(db, &c, tagv, ntag, cons, ncons);
done:
	for (i = 0; i < ncons; i++)
		free(cons[i]);
	free(tagcopy);
	crm_buf_free(&attrs);
	crm_customer_clear(&c);
	return rc;
}

/* canon: the column name a header means: a field ("E-Mail" is email,
 * "Postal Code" postal_code), name, tags, consents, consent_<channel>,
 * attrs, id, created, updated; else the header as written, trimmed, which
 * becomes a key in attrs. Returns a new string. */
static char *canon(char *h)
{
	static const char *const other[] = { "name", "tags", "consents",
	    "attrs", "id", "created", "updated" };
	char key[64], *r, *p;
	size_t i, n = 0;

	h = crm_strtrim(h);
	for (i = 0; i < crm_customer_nfields; i++)
		if (crm_csv_column(&h, 1, crm_customer_fields[i].name) == 0)
			return strdup(crm_customer_fields[i].name);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (crm_csv_column(&h, 1, other[i]) == 0)
			return strdup(other[i]);
	for (p = h; *p && n < sizeof(key) - 1; p++)
		if (*p != ' ' && *p != '-' && *p != '_')
			key[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	key[n] = '\0';
	for (i = 0; crm_consent_channels[i]; i++)
		if (strncmp(key, "consent", 7) == 0 &&
		    strcmp(key + 7, crm_consent_channels[i]) == 0) {
			if (asprintf(&r, "consent_%s", key + 7) < 0)
				return NULL;
			return r;
		}
	return strdup(h);
}

/* add_file: every row of a CSV/TSV file; the first failure ends it.
 * Returns 0, or the exit status after reporting the failure. */
static int add_file(struct crm_db *db, const char *path)
{
	struct crm_csv *r;
	FILE *fp = cmd_fopen(path);
	char **f, **hdr = NULL;
	size_t n, nhdr = 0, i;
	int rc, status = 0;

	if ((r = crm_csv_open(fp, path, 0)) == NULL)
		err(CRM_EFAIL, NULL);
	while ((rc = crm_csv_read(r, &f, &n)) == 1) {
		if (hdr == NULL) {
			if ((hdr = calloc(n, sizeof(*hdr))) == NULL)
				err(CRM_EFAIL, NULL);
			for (i = 0, nhdr = n; i < n; i++)
				if ((hdr[i] = canon(f[i])) == NULL)
					err(CRM_EFAIL, NULL);
			continue;
		}
		if (n != nhdr) {
			warnx("%s:%ld: %zu fields, the header has %zu",
			    crm_csv_name(r), crm_csv_line(r), n, nhdr);
			status = CRM_EDATA;
			break;
		}
		if ((rc = add_row(db, hdr, f, n)) != 0) {
			if (rc == -1)
				warnx("%s:%ld: %s", crm_csv_name(r),
				    crm_csv_line(r), crm_errmsg(db));
			status = rc == -1 ? crm_errcode(db) : CRM_EDATA;
			break;
		}
	}
	if (rc == -1 && status == 0) {
		warnx("%s", crm_csv_errmsg(r));
		status = CRM_EDATA;
	}
	for (i = 0; i < nhdr; i++)
		free(hdr[i]);
	free(hdr);
	crm_csv_close(r);
	if (fp != stdin)
		fclose(fp);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "update",      no_argument,       NULL, OPT_UPDATE },
		{ "ref",         required_argument, NULL, 'r' },
		{ "name",        required_argument, NULL, 'n' },
		{ "first",       required_argument, NULL, OPT_FIRST },
		{ "last",        required_argument, NULL, OPT_LAST },
		{ "company",     required_argument, NULL, 'c' },
		{ "email",       required_argument, NULL, 'e' },
		{ "phone",       required_argument, NULL, 'p' },
		{ "street",      required_argument, NULL, 's' },
		{ "postal-code", required_argument, NULL, OPT_POSTAL },
		{ "city",        required_argument, NULL, 'C' },
		{ "country",     required_argument, NULL, 'N' },
		{ "note",        required_argument, NULL, OPT_NOTE },
		{ "tag",         required_argument, NULL, 'T' },
		{ "untag",       required_argument, NULL, OPT_UNTAG },
		{ "consent",     required_argument, NULL, OPT_CONSENT },
		{ "set",         required_argument, NULL, OPT_SET },
		{ "allow-forgotten", no_argument,   NULL, OPT_ALLOW },
		{ NULL, 0, NULL, 0 }
	};
	struct crm_customer *c;
	struct crm_buf attrs = {0};
	struct crm_out *out;
	struct crm_db *db;
	char **f, *eq;
	int ch, fields = 0, rc;
	size_t i;

	cmd_init(&opts, argc, argv);
	while ((ch = getopt_long(argc, argv, COMMON_SHORT "r:n:c:e:p:s:C:N:T:",
	    longopts, NULL)) != -1) {
		if (cmd_option(&opts, ch, optarg, usage))
			continue;
		f = NULL;
		switch (ch) {
		case OPT_UPDATE: update = 1; break;
		case OPT_ALLOW: allow = 1; break;
		case 'r': f = &given.ref; break;
		case 'n': name = optarg; fields = 1; break;
		case OPT_FIRST: f = &given.first_name; break;
		case OPT_LAST: f = &given.last_name; break;
		case 'c': f = &given.company; break;
		case 'e': f = &given.email; break;
		case 'p': f = &given.phone; break;
		case 's': f = &given.street; break;
		case OPT_POSTAL: f = &given.postal_code; break;
		case 'C': f = &given.city; break;
		case 'N': f = &given.country; break;
		case OPT_NOTE: f = &given.notes; break;
		case 'T': push(&tags, &ntags, optarg); fields = 1; break;
		case OPT_UNTAG:
			push(&untags, &nuntags, optarg);
			update = fields = 1;
			break;
		case OPT_CONSENT: push(&consents, &nconsents, optarg); fields = 1; break;
		case OPT_SET:
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg)
				errx(CRM_EUSAGE, "invalid --set \"%s\": key=value",
				    optarg);
			push(&sets, &nsets, optarg);
			fields = 1;
			break;
		default: usage(CRM_EUSAGE);
		}
		if (f) {
			setstr(f, optarg);
			fields = 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (fields && argc > 0))
		usage(CRM_EUSAGE);
	if (!fields && argc == 0 && isatty(STDIN_FILENO))
		errx(CRM_EUSAGE, "nothing to add: give --ref, --name, --email ... "
		    "or customers as CSV on standard input (see --help)");

	if (nuntags && !given.ref && !given.email)
		errx(CRM_EUSAGE, "--untag needs the customer: --ref or --email");

	db = cmd_open(&opts, 0);
	crm_db_allow_forgotten(db, allow);
	if (crm_db_begin(db) == -1)
		cmd_die(db);
	if (fields) {
		if (name)
			split_name(&given, name);
		for (i = 0; i < nsets; i++) {
			eq = strchr(sets[i], '=');
			*eq = '\0';
			attrs_add(&attrs, sets[i], eq + 1);
			*eq = '=';
		}
		if (attrs.len) {
			crm_buf_addc(&attrs, '}');
			given.attrs = crm_buf_take(&attrs);
		}
		if ((rc = store(db, &given, tags, ntags, consents, nconsents)) != 0) {
			if (rc == -2)
				cmd_exit(db, CRM_EUSAGE);
			if (rc == -3)
				cmd_exit(db, CRM_ENOUSER);
			cmd_die(db);
		}
	} else if ((rc = add_file(db, argc ? argv[0] : "-")) != 0) {
		free(ids);
		cmd_exit(db, rc);
	}
	if (crm_db_commit(db) == -1)
		cmd_die(db);

	if (!opts.quiet) {
		out = cmd_out(&opts);
		cmd_customer_header(out);
		for (i = 0; i < nids; i++) {
			if (crm_customer_get(db, ids[i], &c) != 1)
				cmd_die(db);
			cmd_customer_row(db, out, c);
			crm_customer_free(c);
		}
		cmd_out_done(out);
	}
	crm_customer_clear(&given);
	free(tags);
	free(untags);
	free(consents);
	free(sets);
	free(ids);
	cmd_exit(db, 0);
}
