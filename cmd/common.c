/* common.c: option handling, database opening and exit paths shared by all
 * crm commands, so each command file holds only its own logic. */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static struct crm_db *opened;   /* for cmd_die on the way out */
static const char *source;      /* argv joined, for the audit log */

void cmd_init(struct cmd_opts *o, int argc, char **argv)
{
	struct crm_buf b = {0};
	int i;

	memset(o, 0, sizeof(*o));
	o->wait_ms = -1;
	o->fmt = crm_fmt_default(stdout);
	/* The command line, cut at 200 bytes: enough to see what was done. */
	for (i = 0; i < argc && b.len < 200; i++) {
		if (i)
			crm_buf_addc(&b, ' ');
		crm_buf_adds(&b, i == 0 ? program_invocation_short_name : argv[i]);
	}
	source = crm_buf_take(&b);
}

int cmd_option(struct cmd_opts *o, int c, const char *arg,
    void (*usage)(int status))
{
	const char *why;
	int64_t v;

	switch (c) {
	case 'd':
		o->db = arg;
		return 1;
	case OPT_WAIT:
		if (crm_parse_int(arg, 0, 86400, &v, &why) == -1)
			errx(CRM_EUSAGE, "invalid --wait \"%s\": seconds, 0 to "
			    "86400", arg);
		o->wait_ms = (int)v * 1000;
		return 1;
	case 'q':
		o->quiet = 1;
		return 1;
	case 'h':
		usage(0);
		return 1;
	case 'V':
		printf("%s (crm) %s\n", program_invocation_short_name,
		    CRM_VERSION);
		exit(fflush(stdout) == 0 ? 0 : CRM_EIO);
	case OPT_FORMAT:
		if (crm_fmt_parse(arg, &o->fmt) == -1)
			errx(CRM_EUSAGE, "unknown format \"%s\" (csv, tsv, "
			    "table, json)", arg);
		o->fmt_set = 1;
		return 1;
	case 't':
		o->fmt = CRM_FMT_TSV;
		o->fmt_set = 1;
		return 1;
	case OPT_EXCEL:
		o->fmt = CRM_FMT_CSV;
		o->fmt_set = 1;
		o->outflags |= CRM_OUT_EXCEL;
		return 1;
	}
	return 0;
}

struct crm_db *cmd_open(struct cmd_opts *o, unsigned flags)
{
	struct crm_db *db;

	if (crm_db_open(&db, o->db, program_invocation_short_name,
	    o->wait_ms, flags) == -1)
		cmd_die(db);
	if (crm_db_warning(db))
		warnx("warning: %s", crm_db_warning(db));
	if (source)
		crm_db_set_source(db, source);
	opened = db;
	return db;
}

const char *cmd_safe(const char *msg)
{
	static struct crm_buf ring[4];
	static unsigned i;
	struct crm_buf *b = &ring[i++ % 4];
	const char *nl;
	char *line;

	crm_buf_reset(b);
	for (;;) {
		nl = strchr(msg, '\n');
		if ((line = strndup(msg, nl ? (size_t)(nl - msg) : strlen(msg))) ==
		    NULL || crm_buf_addterm(b, line) == -1)
			errx(CRM_EFAIL, "out of memory");
		free(line);
		if (nl == NULL)
			break;
		crm_buf_addc(b, '\n');
		msg = nl + 1;
	}
	return b->s;
}

void cmd_die(struct crm_db *db)
{
	int code = crm_errcode(db);

	warnx("%s", cmd_safe(crm_errmsg(db)));
	if (db)
		crm_db_rollback(db);
	crm_db_close(db);
	exit(code);
}

struct crm_out *cmd_out(struct cmd_opts *o)
{
	struct crm_out *out;

	if ((out = crm_out_new(stdout, o->fmt, o->outflags)) == NULL)
		errx(CRM_EFAIL, "out of memory");
	return out;
}

void cmd_out_done(struct crm_out *o)
{
	int rc = crm_out_end(o);

	crm_out_free(o);
	if (rc == -1) {
		crm_db_close(opened);
		err(CRM_EIO, "write error");
	}
}

void cmd_exit(struct crm_db *db, int status)
{
	if (crm_db_close(db) == -1 && status == 0)
		status = CRM_EIO;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("write error");
		status = CRM_EIO;
	}
	free((void *)source);
	exit(status);
}

FILE *cmd_fopen(const char *path)
{
	FILE *fp;

	if (strcmp(path, "-") == 0)
		return stdin;
	if ((fp = fopen(path, "r")) == NULL)
		err(CRM_ENOINPUT, "%s", path);
	return fp;
}

void cmd_customer_header(struct crm_out *o)
{
	static const char *const cols[] = {
		"id", "ref", "first_name", "last_name", "company", "email",
		"phone", "street", "postal_code", "city", "country", "notes",
		"tags", "consents", "attrs", "created", "updated"
	};
	static const char types[] = "nssssssssssssssss";

	if (crm_out_header(o, cols, sizeof(cols) / sizeof(cols[0]), types) == -1)
		err(CRM_EIO, "write error");
}

void cmd_customer_row(struct crm_db *db, struct crm_out *o,
    const struct crm_customer *c)
{
	char id[24], created[CRM_TIMEBUF], updated[CRM_TIMEBUF];
	const char *v[17];
	char *tags, *consents;
	size_t i;

	if ((tags = crm_tags(db, c->id)) == NULL ||
	    (consents = crm_consents(db, c->id)) == NULL)
		cmd_die(db);
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	v[0] = id;
	for (i = 0; i < 11; i++)
		v[i + 1] = *crm_customer_str((struct crm_customer *)c, i);
	v[12] = tags;
	v[13] = consents;
	v[14] = c->attrs;
	v[15] = crm_fmt_time(c->created_at, created);
	v[16] = crm_fmt_time(c->updated_at, updated);
	if (crm_out_row(o, v, 17) == -1)
		err(CRM_EIO, "write error");
	free(tags);
	free(consents);
}

void cmd_event_header(struct crm_out *o)
{
	static const char *const cols[] = {
		"event", "customer_id", "at", "kind", "channel", "amount",
		"discount", "currency", "quantity", "product", "category",
		"rating", "subject", "body", "ref", "status", "due", "closed",
		"source"
	};
	static const char types[] = "nnsssnnsnssnsssssss";

	if (crm_out_header(o, cols, sizeof(cols) / sizeof(cols[0]), types) == -1)
		err(CRM_EIO, "write error");
}

/* num: v as decimal into buf, or NULL for CRM_NONE. */
static const char *num(int64_t v, char *buf, size_t len)
{
	if (v == CRM_NONE)
		return NULL;
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

int cmd_event_row(const struct crm_event *ev, void *arg)
{
	char id[24], cid[24], qty[24], rating[24], amount[CRM_MONEYBUF];
	char disc[CRM_MONEYBUF], at[CRM_TIMEBUF], due[CRM_TIMEBUF];
	char closed[CRM_TIMEBUF];
	const char *v[19];

	v[0] = num(ev->id, id, sizeof(id));
	v[1] = num(ev->customer_id, cid, sizeof(cid));
	v[2] = crm_fmt_time(ev->at, at);
	v[3] = ev->kind;
	v[4] = ev->channel;
	v[5] = ev->amount_cents == CRM_NONE ? NULL :
	    crm_fmt_money(ev->amount_cents, amount);
	v[6] = ev->discount_cents == CRM_NONE ? NULL :
	    crm_fmt_money(ev->discount_cents, disc);
	v[7] = ev->currency;
	v[8] = num(ev->quantity, qty, sizeof(qty));
	v[9] = ev->product;
	v[10] = ev->category;
	v[11] = num(ev->rating, rating, sizeof(rating));
	v[12] = ev->subject;
	v[13] = ev->body;
	v[14] = ev->ref;
	v[15] = ev->status;
	v[16] = ev->due_at == CRM_NONE ? NULL : crm_fmt_time(ev->due_at, due);
	v[17] = ev->closed_at == CRM_NONE ? NULL :
	    crm_fmt_time(ev->closed_at, closed);
	v[18] = ev->source;
	if (crm_out_row(arg, v, 19) == -1)
		err(CRM_EIO, "write error");
	return 0;
}
