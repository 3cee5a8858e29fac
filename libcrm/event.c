/* event.c: storing, reading and closing events, and the fixed vocabulary
 * of event kinds. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "event.h"
#include "util.h"
#include "value.h"

const char *const crm_kinds[] = {
	"purchase", "return", "complaint", "service", "callback",
	"email_in", "email_out", "letter_in", "letter_out", "call",
	"survey", "review", "cart_abandoned", "campaign_sent",
	"campaign_response", "note", NULL
};

#define EVENT_COLS "id, customer_id, at, kind, channel, amount_cents," \
	" currency, quantity, product, category, rating, subject, body, ref," \
	" status, due_at, closed_at, source, created_at, discount_cents"

int crm_kind_valid(const char *kind)
{
	size_t i;

	for (i = 0; crm_kinds[i]; i++)
		if (strcmp(kind, crm_kinds[i]) == 0)
			return 1;
	return 0;
}

int crm_kind_closable(const char *kind)
{
	return strcmp(kind, "complaint") == 0 || strcmp(kind, "service") == 0 ||
	    strcmp(kind, "callback") == 0;
}

const char *crm_kind_list(void)
{
	return "purchase, return, complaint, service, callback, email_in, "
	    "email_out, letter_in, letter_out, call, survey, review, "
	    "cart_abandoned, campaign_sent, campaign_response, note";
}

void crm_event_init(struct crm_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->amount_cents = ev->discount_cents = CRM_NONE;
	ev->quantity = ev->rating = CRM_NONE;
	ev->due_at = ev->closed_at = CRM_NONE;
}

/* event_strs: the string members, for freeing. */
static char **event_str(struct crm_event *ev, int i)
{
	char **s[] = {
		&ev->kind, &ev->channel, &ev->currency, &ev->product,
		&ev->category, &ev->subject, &ev->body, &ev->ref, &ev->status,
		&ev->source,
	};
	return i < (int)(sizeof(s) / sizeof(s[0])) ? s[i] : NULL;
}

void crm_event_free(struct crm_event *ev)
{
	char **s;
	int i;

	if (ev == NULL)
		return;
	for (i = 0; (s = event_str(ev, i)) != NULL; i++)
		free(*s);
	free(ev);
}

int crm_event_check(struct crm_db *db, const struct crm_event *ev)
{
	static const char *const names[] = { "kind", "channel", "currency",
	    "product", "category", "subject", "body", "ref", "status",
	    "source" };
	char whybuf[CRM_WHYBUF];
	const char *why;
	char **s;
	size_t i;

	for (i = 0; (s = event_str((struct crm_event *)ev, (int)i)) != NULL;
	    i++)
		if (*s && s != &ev->source &&   /* the file it came from */
		    (why = crm_text_check(*s, s == &ev->subject ||
		    s == &ev->body, whybuf)) != NULL)
			return crm__error(db, CRM_EDATA, "invalid %s: %s",
			    names[i], why);

	if (ev->kind == NULL || !crm_kind_valid(ev->kind))
		return crm__error(db, CRM_EDATA, "unknown kind \"%s\"; kinds "
		    "are: %s", ev->kind ? ev->kind : "", crm_kind_list());
	if (ev->rating != CRM_NONE && (ev->rating < 1 || ev->rating > 5))
		return crm__error(db, CRM_EDATA, "invalid rating %lld: a rating "
		    "is a whole number from 1 to 5", (long long)ev->rating);
	if (ev->status) {
		if (strcmp(ev->status, "open") != 0 &&
		    strcmp(ev->status, "closed") != 0)
			return crm__error(db, CRM_EDATA, "invalid status \"%s\": "
			    "open or closed", ev->status);
		if (!crm_kind_closable(ev->kind))
			return crm__error(db, CRM_EDATA, "a %s has no status: "
			    "only complaint, service and callback are open or "
			    "closed", ev->kind);
	}
	if (ev->currency) {
		for (i = 0; i < 3; i++)
			if (!isupper((unsigned char)ev->currency[i]))
				break;
		if (i != 3 || ev->currency[3] != '\0')
			return crm__error(db, CRM_EDATA, "invalid currency "
			    "\"%s\": three capital letters such as EUR",
			    ev->currency);
	}
	if (ev->quantity != CRM_NONE && ev->quantity < 0)
		return crm__error(db, CRM_EDATA, "invalid quantity %lld: not "
		    "negative", (long long)ev->quantity);
	if (ev->discount_cents != CRM_NONE && ev->discount_cents < 0) {
		char m[CRM_MONEYBUF];

		return crm__error(db, CRM_EDATA, "invalid discount %s: the "
		    "amount taken off the price, not negative",
		    crm_fmt_money(ev->discount_cents, m));
	}
	return 0;
}

void crm__event_bind(sqlite3_stmt *st, const struct crm_event *ev,
    int64_t closed_at)
{
	const char *status = ev->status, *currency = ev->currency;

	if (status == NULL && crm_kind_closable(ev->kind))
		status = "open";
	if (currency == NULL && (ev->amount_cents != CRM_NONE ||
	    ev->discount_cents != CRM_NONE))
		currency = "EUR";
	sqlite3_bind_int64(st, 1, ev->customer_id);
	sqlite3_bind_int64(st, 2, ev->at);
	crm__bind_text(st, 3, ev->kind);
	crm__bind_text(st, 4, ev->channel);
	crm__bind_int(st, 5, ev->amount_cents);
	crm__bind_text(st, 6, currency);
	crm__bind_int(st, 7, ev->quantity);
	crm__bind_text(st, 8, ev->product);
	crm__bind_text(st, 9, ev->category);
	crm__bind_int(st, 10, ev->rating);
	crm__bind_text(st, 11, ev->subject);
	crm__bind_text(st, 12, ev->body);
	crm__bind_text(st, 13, ev->ref);
	crm__bind_text(st, 14, status);
	crm__bind_int(st, 15, ev->due_at);
	crm__bind_int(st, 16, status && strcmp(status, "closed") == 0 ?
	    closed_at : CRM_NONE);
	crm__bind_int(st, 17, ev->discount_cents);
}

int crm_event_insert(struct crm_db *db, struct crm_event *ev)
{
	sqlite3_stmt *st;
	int64_t now;
	int rc;

	if (crm_event_check(db, ev) == -1)
		return -1;
	st = crm__stmt(db, STMT_EVENT_INSERT, "INSERT INTO events (" CRM__EVENT_COLS
	    ", source, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
	if (st == NULL)
		return -1;
	now = crm_now();
	crm__event_bind(st, ev, ev->closed_at != CRM_NONE ? ev->closed_at : now);
	crm__bind_text(st, 18, ev->source);
	sqlite3_bind_int64(st, 19, now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot store event");
	ev->id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

/* row_event: a new event from the current row of a SELECT EVENT_COLS. */
static struct crm_event *row_event(sqlite3_stmt *st)
{
	struct crm_event *ev;
	int oom = 0;

	if ((ev = malloc(sizeof(*ev))) == NULL)
		return NULL;
	crm_event_init(ev);
	ev->id = sqlite3_column_int64(st, 0);
	ev->customer_id = sqlite3_column_int64(st, 1);
	ev->at = sqlite3_column_int64(st, 2);
	ev->kind = crm__col_text(st, 3, &oom);
	ev->channel = crm__col_text(st, 4, &oom);
	ev->amount_cents = crm__col_int(st, 5);
	ev->currency = crm__col_text(st, 6, &oom);
	ev->quantity = crm__col_int(st, 7);
	ev->product = crm__col_text(st, 8, &oom);
	ev->category = crm__col_text(st, 9, &oom);
	ev->rating = crm__col_int(st, 10);
	ev->subject = crm__col_text(st, 11, &oom);
	ev->body = crm__col_text(st, 12, &oom);
	ev->ref = crm__col_text(st, 13, &oom);
	ev->status = crm__col_text(st, 14, &oom);
	ev->due_at = crm__col_int(st, 15);
	ev->closed_at = crm__col_int(st, 16);
	ev->source = crm__col_text(st, 17, &oom);
	ev->created_at = sqlite3_column_int64(st, 18);
	ev->discount_cents = crm__col_int(st, 19);
	if (oom) {
		crm_event_free(ev);
		return NULL;
	}
	return ev;
}

int crm_event_get(struct crm_db *db, int64_t id, struct crm_event **out)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "SELECT " EVENT_COLS
	    " FROM events WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = row_event(st);
		sqlite3_finalize(st);
		if (*out == NULL)
			return crm__error(db, CRM_EFAIL, "out of memory");
		return 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read event");
	crm__error(db, CRM_EDATA, "no event %lld", (long long)id);
	return 0;
}

int crm_event_close(struct crm_db *db, int64_t id, int64_t at,
    const char *note)
{
	struct crm_event *ev;
	struct crm_buf d = {0};
	sqlite3_stmt *st;
	int rc;

	if ((rc = crm_event_get(db, id, &ev)) != 1)
		return -1;
	if (!crm_kind_closable(ev->kind)) {
		crm__error(db, CRM_EDATA, "event %lld is a %s: only complaint, "
		    "service and callback can be closed", (long long)id,
		    ev->kind);
		goto fail;
	}
	if (ev->status && strcmp(ev->status, "closed") == 0) {
		crm__error(db, CRM_EDATA, "event %lld is closed already",
		    (long long)id);
		goto fail;
	}
	st = crm__prepare(db, "UPDATE events SET status = 'closed',"
	    " closed_at = ?2, body = CASE WHEN ?3 IS NULL THEN body"
	    " WHEN body IS NULL THEN ?3 ELSE body || char(10) || ?3 END"
	    " WHERE id = ?1");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	crm__bind_text(st, 3, note && *note ? note : NULL);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot close event");
		goto fail;
	}
	/* complaints_open and the like change: in the stored aggregates
	 * too, or they are recomputed by the next query */
	if (crm__stats_closed(db, id, ev->customer_id, ev->kind, ev->at,
	    ev->status && strcmp(ev->status, "open") == 0 &&
	    ev->closed_at == CRM_NONE, at) == -1)
		goto fail;
	crm_buf_adds(&d, "{\"note\":");
	if (note) crm_buf_addjson(&d, note); else crm_buf_adds(&d, "null");
	crm_buf_addc(&d, '}');
	rc = d.oom ? crm__error(db, CRM_EFAIL, "out of memory") :
	    crm_audit(db, "event.close", ev->customer_id, id, d.s);
	crm_buf_free(&d);
	crm_event_free(ev);
	return rc;
fail:
	crm_event_free(ev);
	return -1;
}

/* walk: call fn for each row of st, then finalise it. */
static int walk(struct crm_db *db, sqlite3_stmt *st,
    int (*fn)(const struct crm_event *ev, void *arg), void *arg)
{
	struct crm_event *ev;
	int rc, stop = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ev = row_event(st)) == NULL) {
			sqlite3_finalize(st);
			return crm__error(db, CRM_EFAIL, "out of memory");
		}
		stop = fn(ev, arg);
		crm_event_free(ev);
		if (stop)
			break;
	}
	if (!stop && rc != SQLITE_DONE)
		stop = crm__sqlerr(db, "cannot read events");
	sqlite3_finalize(st);
	return stop;
}

int crm_event_each(struct crm_db *db, int64_t customer_id,
    int (*fn)(const struct crm_event *ev, void *arg), void *arg)
{
	sqlite3_stmt *st;

	st = crm__prepare(db, customer_id ?
	    "SELECT " EVENT_COLS " FROM events WHERE customer_id = ?1"
	    " ORDER BY at DESC, id DESC" :
	    "SELECT " EVENT_COLS " FROM events ORDER BY at DESC, id DESC");
	if (st == NULL)
		return -1;
	if (customer_id)
		sqlite3_bind_int64(st, 1, customer_id);
	return walk(db, st, fn, arg);
}

int crm_event_range(struct crm_db *db, int64_t lo, int64_t hi,
    int (*fn)(const struct crm_event *ev, void *arg), void *arg)
{
	sqlite3_stmt *st;

	st = crm__prepare(db, "SELECT " EVENT_COLS " FROM events"
	    " WHERE id BETWEEN ?1 AND ?2 ORDER BY id");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	return walk(db, st, fn, arg);
}

int crm_event_find(struct crm_db *db, int64_t customer_id, const char *kind,
    const char *ref, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	st = crm__prepare(db, "SELECT id FROM events WHERE customer_id = ?1"
	    " AND kind = ?2 AND ref = ?3 ORDER BY at DESC, id DESC LIMIT 1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, customer_id);
	crm__bind_text(st, 2, kind);
	crm__bind_text(st, 3, ref);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read events");
	return rc == SQLITE_ROW;
}
