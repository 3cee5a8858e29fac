/* crm-show: a customer's card and timeline, newest first, open items
 * marked; as text for people or CSV/TSV/JSON for scripts. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static struct cmd_opts opts;

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: crm-show [-qt] [-d db] [--history] [--format text|csv|tsv|json]\n"
	    "                [--excel] [--wait seconds] customer...\n"
	    "customer is a ref, an email address, a phone number or #id;\n"
	    "to search by name: crm find text.\n");
	exit(status);
}

/* safe: s as a terminal may show it (crm_buf_addterm: control and
 * bidirectional characters, invalid bytes replaced); NULL stays NULL.
 * Borrowed: from a ring of buffers, valid for the next seven calls. */
static const char *safe(const char *s)
{
	static struct crm_buf ring[8];
	static unsigned i;
	struct crm_buf *b;

	if (s == NULL)
		return NULL;
	b = &ring[i++ % 8];
	crm_buf_reset(b);
	if (crm_buf_addterm(b, s) == -1)
		err(CRM_EFAIL, NULL);
	return b->s;
}

/* line: one labelled line of the card, if v has a value. */
static void line(const char *label, const char *v)
{
	if (v && *v)
		printf("  %-10s%s\n", label, safe(v));
}

/* more: 1 if s holds anything but white space. */
static int more(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t')
			return 1;
	return 0;
}

/* text_event: one timeline line: marker, date, kind, what, id. */
static int text_event(const struct crm_event *ev, void *arg)
{
	char at[CRM_TIMEBUF], due[CRM_TIMEBUF], money[CRM_MONEYBUF];
	int open = ev->status && strcmp(ev->status, "open") == 0;
	const char *body;
	char *first;
	int n, more_;

	(void)arg;
	printf("%c %-10s  %-17s", open ? '*' : ' ', crm_fmt_day(ev->at, at),
	    safe(ev->kind));
	if (ev->amount_cents != CRM_NONE)
		printf(" %s %s", crm_fmt_money(ev->amount_cents, money),
		    ev->currency ? safe(ev->currency) : "");
	if (ev->discount_cents != CRM_NONE)
		printf(" (discount %s)", crm_fmt_money(ev->discount_cents,
		    money));
	if (ev->quantity != CRM_NONE)
		printf(" x%lld", (long long)ev->quantity);
	if (ev->product)
		printf(" %s", safe(ev->product));
	if (ev->category)
		printf(" [%s]", safe(ev->category));
	if (ev->rating != CRM_NONE)
		printf(" rating %lld/5", (long long)ev->rating);
	if (ev->channel)
		printf(" via %s", safe(ev->channel));
	if (ev->subject)
		printf(" \"%s\"", safe(ev->subject));
	if (ev->ref)
		printf(" ref %s", safe(ev->ref));
	if (ev->status)
		printf(" (%s", safe(ev->status));
	if (open && ev->due_at != CRM_NONE)
		printf(", due %s", crm_fmt_day(ev->due_at, due));
	if (ev->status)
		printf(")");
	printf("  #%lld\n", (long long)ev->id);
	if ((body = ev->body) != NULL && *body) {
		n = (int)strcspn(body, "\n");
		more_ = n > 64 || more(body + n);
		if ((first = strndup(body, (size_t)n)) == NULL)
			err(CRM_EFAIL, NULL);
		body = safe(first);
		free(first);
		if ((n = (int)strlen(body)) > 64)
			for (n = 64; (body[n] & 0xC0) == 0x80; n--)
				;       /* not inside a character */
		printf("%14s%.*s%s\n", "", n, body, more_ ? " …" : "");
	}
	return 0;
}

/* count_open: count events and open ones. */
static int count_open(const struct crm_event *ev, void *arg)
{
	int *n = arg;

	n[0]++;
	if (ev->status && strcmp(ev->status, "open") == 0)
		n[1]++;
	return 0;
}

static void show_text(struct crm_db *db, const struct crm_customer *c)
{
	char t[CRM_TIMEBUF];
	char *tags, *consents, *addr = NULL;
	int n[2] = { 0, 0 };

	if ((tags = crm_tags(db, c->id)) == NULL ||
	    (consents = crm_consents(db, c->id)) == NULL)
		cmd_die(db);
	printf("%s%s%s", c->first_name ? safe(c->first_name) : "",
	    c->first_name && c->last_name ? " " : "",
	    c->last_name ? safe(c->last_name) : "");
	if (c->erased_at)
		printf("(erased on %s)", crm_fmt_day(c->erased_at, t));
	else if (!c->first_name && !c->last_name)
		printf("%s", c->company ? safe(c->company) :
		    c->email ? safe(c->email) : "(no name)");
	printf(" (%s%s#%lld)\n", c->ref ? safe(c->ref) : "", c->ref ? ", " : "",
	    (long long)c->id);
	line("company", c->company);
	line("email", c->email);
	line("phone", c->phone);
	if (c->street || c->postal_code || c->city || c->country) {
		if (asprintf(&addr, "%s%s%s%s%s%s%s", c->street ? c->street : "",
		    c->street && (c->postal_code || c->city) ? ", " : "",
		    c->postal_code ? c->postal_code : "",
		    c->postal_code && c->city ? " " : "",
		    c->city ? c->city : "",
		    c->country ? ", " : "", c->country ? c->country : "") < 0)
			err(CRM_EFAIL, NULL);
	}
	line("address", addr);
	line("tags", tags);
	line("consents", consents);
	line("notes", c->notes);
	if (c->attrs && strcmp(c->attrs, "{}") != 0)
		line("attrs", c->attrs);
	line("since", crm_fmt_day(c->created_at, t));
	if (crm_event_each(db, c->id, count_open, n) == -1)
		cmd_die(db);
	printf("\n%d event%s, %d open%s\n", n[0], n[0] == 1 ? "" : "s", n[1],
	    n[0] ? ":" : "");
	if (crm_event_each(db, c->id, text_event, NULL) == -1)
		cmd_die(db);
	free(addr);
	free(tags);
	free(consents);
}

/* The customer being shown, for emit_customer. */
struct shown {
	struct crm_db *db;
	const struct crm_customer *c;
};

static void emit_customer(struct crm_out *o, const void *arg)
{
	const struct shown *sh = arg;

	cmd_customer_header(o);
	cmd_customer_row(sh->db, o, sh->c);
}

static void emit_event(struct crm_out *o, const void *arg)
{
	cmd_event_header(o);
	cmd_event_row(arg, o);
}

/* json_object: one row rendered by the JSON writer, as a bare object
 * "{...}" appended to b, so that JSON has one implementation. */
static void json_object(struct crm_buf *b,
    void (*emit)(struct crm_out *, const void *), const void *arg)
{
	struct crm_out *o;
	char *s = NULL, *open, *close;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&s, &len)) == NULL ||
	    (o = crm_out_new(fp, CRM_FMT_JSON, 0)) == NULL)
		err(CRM_EFAIL, NULL);
	emit(o, arg);
	if (crm_out_end(o) == -1 || fclose(fp) == EOF)
		err(CRM_EFAIL, NULL);
	crm_out_free(o);
	if ((open = strchr(s, '{')) == NULL || (close = strrchr(s, '}')) == NULL)
		errx(CRM_ESOFTWARE, "JSON writer gave no object");
	crm_buf_add(b, open, (size_t)(close - open) + 1);
	free(s);
}

/* json_event: append one event to the events array in arg. */
static int json_event(const struct crm_event *ev, void *arg)
{
	struct crm_buf *b = arg;

	if (b->s[b->len - 1] != '[')
		crm_buf_addc(b, ',');
	crm_buf_adds(b, "\n ");
	json_object(b, emit_event, ev);
	return 0;
}

/* show_json: the customer as an object with its events in "events". */
static void show_json(struct crm_db *db, const struct crm_customer *c,
    int first)
{
	struct shown sh = { db, c };
	struct crm_buf b = {0};

	crm_buf_adds(&b, first ? "[\n" : ",\n");
	json_object(&b, emit_customer, &sh);
	b.s[--b.len] = '\0';    /* reopen the object */
	crm_buf_adds(&b, ",\"events\":[");
	if (crm_event_each(db, c->id, json_event, &b) == -1)
		cmd_die(db);
	crm_buf_addc(&b, ']');
	if (crm_subject_access(db, c->id, &b) == -1)
		cmd_die(db);
	crm_buf_addc(&b, '}');
	if (b.oom)
		errx(CRM_EFAIL, "out of memory");
	fputs(b.s, stdout);
	crm_buf_free(&b);
}

/* resolve: the customer key names (a ref, an email address, #id or a
 * phone number), or exit: 67 for nobody, suggesting crm find. */
static void resolve(struct crm_db *db, const char *key, int64_t *id)
{
	int rc;

	if ((rc = crm_customer_resolve(db, key, id)) == 1)
		return;
	if (rc == 0 && key[0] != '#' && !strchr(key, '@') &&
	    (rc = crm_find_phone(db, key, id)) == 1)
		return;
	if (rc == 0 && crm_errcode(db) == CRM_ENOUSER) {
		warnx("no customer \"%s\" (a ref, an email address, a phone "
		    "number or #id); to search names: crm find %s",
		    cmd_safe(key), cmd_safe(key));
		cmd_exit(db, CRM_ENOUSER);
	}
	cmd_die(db);
}

/* text_change: one line of the history for people: when, who, what,
 * the event, the details, and the command on a line of its own. */
static int text_change(const struct crm_change *c, void *arg)
{
	char t[CRM_TIMEBUF];

	(void)arg;
	printf("%-19s  %-8s  %-15s", crm_fmt_time(c->at, t),
	    c->user ? safe(c->user) : "?", safe(c->action));
	if (c->event_id)
		printf("  #%lld", (long long)c->event_id);
	if (c->detail && strcmp(c->detail, "{}") != 0)
		printf("  %s", safe(c->detail));
	putchar('\n');
	if (c->command)
		printf("%21s%s\n", "", safe(c->command));
	return 0;
}

/* The writer and the customer, for row_change. */
struct rows {
	struct crm_out *out;
	int64_t id;
};

/* row_change: one row of the history for scripts. */
static int row_change(const struct crm_change *c, void *arg)
{
	const struct rows *r = arg;
	char t[CRM_TIMEBUF], ev[24], id[24];
	const char *v[7];

	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	v[0] = id;
	v[1] = crm_fmt_time(c->at, t);
	v[2] = c->user;
	v[3] = c->command;
	v[4] = c->action;
	snprintf(ev, sizeof(ev), "%lld", (long long)c->event_id);
	v[5] = c->event_id ? ev : NULL;
	v[6] = c->detail;
	if (crm_out_row(r->out, v, 7) == -1)
		err(CRM_EIO, "write error");
	return 0;
}

/* history: the changes of the customers named, oldest first: as text
 * under a title line for each, or one table of rows for scripts. */
static void history(struct crm_db *db, int text, char **keys, int n)
{
	static const char *const cols[] = { "customer_id", "at", "user",
	    "command", "action", "event", "detail" };
	struct rows r = { NULL, 0 };
	struct crm_customer *c;
	int64_t id;
	int i;

	if (!text) {
		r.out = cmd_out(&opts);
		if (crm_out_header(r.out, cols, 7, "nssssns") == -1)
			err(CRM_EIO, "write error");
	}
	for (i = 0; i < n; i++) {
		resolve(db, keys[i], &id);
		if (crm_customer_get(db, id, &c) != 1)
			cmd_die(db);
		if (text) {
			printf("%sHistory of %s%s%s (%s%s#%lld)\n", i ? "\n" : "",
			    c->first_name ? safe(c->first_name) : "",
			    c->first_name && c->last_name ? " " : "",
			    c->last_name ? safe(c->last_name) :
			    c->first_name ? "" : c->company ? safe(c->company) :
			    "customer", c->ref ? safe(c->ref) : "",
			    c->ref ? ", " : "", (long long)id);
		}
		r.id = id;
		if (crm_customer_history(db, id, text ? text_change :
		    row_change, &r) == -1)
			cmd_die(db);
		crm_customer_free(c);
	}
	if (r.out)
		cmd_out_done(r.out);
	cmd_exit(db, 0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_OPTIONS,
		{ "history", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct crm_customer *c;
	struct crm_out *out = NULL;
	struct crm_db *db;
	int64_t id;
	int ch, i, text, hist = 0;

	cmd_init(&opts, argc, argv);
	text = 1;
	while ((ch = getopt_long(argc, argv, COMMON_SHORT, longopts, NULL)) != -1) {
		if (ch == OPT_FORMAT && strcmp(optarg, "text") == 0)
			continue;
		if (ch == 'H') {
			hist = 1;
			continue;
		}
		if (cmd_option(&opts, ch, optarg, usage)) {
			text = !opts.fmt_set || opts.fmt == CRM_FMT_TABLE;
			continue;
		}
		usage(CRM_EUSAGE);
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(CRM_EUSAGE);

	db = cmd_open(&opts, CRM_DB_NOCREATE);
	crm_db_see_erased(db, 1);
	if (hist)
		history(db, text, argv, argc);
	if (!text && opts.fmt != CRM_FMT_JSON) {
		out = cmd_out(&opts);
		cmd_event_header(out);
	}
	for (i = 0; i < argc; i++) {
		resolve(db, argv[i], &id);
		if (crm_customer_get(db, id, &c) != 1)
			cmd_die(db);
		if (text) {
			if (i)
				putchar('\n');
			show_text(db, c);
		} else if (opts.fmt == CRM_FMT_JSON)
			show_json(db, c, i == 0);
		else if (crm_event_each(db, id, cmd_event_row, out) == -1)
			cmd_die(db);
		crm_customer_free(c);
	}
	if (out)
		cmd_out_done(out);
	else if (!text)
		puts("\n]");
	cmd_exit(db, 0);
}
