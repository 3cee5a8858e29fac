/* event.c: storing, reading and closing events, and the fixed vocabulary
 * of event kinds. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "event.h"
#include "stats.h"
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

/* ---- corrections ------------------------------------------------------ */

/* The fields of an event as text, named as crm-log's options. */
#define NEVF 16
static const char *const evf_name[NEVF] = {
	"at", "kind", "channel", "amount", "discount", "currency", "quantity",
	"product", "category", "rating", "subject", "body", "ref", "status",
	"due", "closed"
};

/* ev_fields: the fields of ev as text into v (NULL when absent), using
 * buf for numbers and times. */
static void ev_fields(const struct crm_event *ev, const char *v[NEVF],
    char buf[NEVF][CRM_TIMEBUF + CRM_MONEYBUF])
{
	int i;

	for (i = 0; i < NEVF; i++)
		v[i] = NULL;
	v[0] = crm_fmt_time(ev->at, buf[0]);
	v[1] = ev->kind;
	v[2] = ev->channel;
	if (ev->amount_cents != CRM_NONE)
		v[3] = crm_fmt_money(ev->amount_cents, buf[3]);
	if (ev->discount_cents != CRM_NONE)
		v[4] = crm_fmt_money(ev->discount_cents, buf[4]);
	v[5] = ev->currency;
	if (ev->quantity != CRM_NONE) {
		snprintf(buf[6], sizeof(buf[6]), "%lld", (long long)ev->quantity);
		v[6] = buf[6];
	}
	v[7] = ev->product;
	v[8] = ev->category;
	if (ev->rating != CRM_NONE) {
		snprintf(buf[9], sizeof(buf[9]), "%lld", (long long)ev->rating);
		v[9] = buf[9];
	}
	v[10] = ev->subject;
	v[11] = ev->body;
	v[12] = ev->ref;
	v[13] = ev->status;
	if (ev->due_at != CRM_NONE)
		v[14] = crm_fmt_time(ev->due_at, buf[14]);
	if (ev->closed_at != CRM_NONE)
		v[15] = crm_fmt_time(ev->closed_at, buf[15]);
}

/* addval: a JSON string or null. */
static void addval(struct crm_buf *b, const char *v)
{
	if (v)
		crm_buf_addjson(b, v);
	else
		crm_buf_adds(b, "null");
}

/* correctable: load event id into *ev unless its customer was erased.
 * 1, or -1 (message set). */
static int correctable(struct crm_db *db, int64_t id, struct crm_event **ev)
{
	sqlite3_stmt *st;
	int rc;
	int64_t erased = CRM_NONE;

	if ((rc = crm_event_get(db, id, ev)) != 1)
		return -1;
	if ((st = crm__prepare(db, "SELECT erased_at FROM customers"
	    " WHERE id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (*ev)->customer_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		erased = crm__col_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot read customer");
		goto fail;
	}
	if (erased != CRM_NONE) {
		crm__error(db, CRM_EDATA, "event %lld belongs to a customer "
		    "who was erased (crm-forget): it stays as it is",
		    (long long)id);
		goto fail;
	}
	return 1;
fail:
	crm_event_free(*ev);
	*ev = NULL;
	return -1;
}

/* set: a string field of an edit: NULL keeps, "" clears. */
static char *set(char *old, char *ch)
{
	if (ch == NULL)
		return old;
	return *ch ? ch : NULL;
}

int crm_event_edit(struct crm_db *db, int64_t id, const struct crm_event *ch,
    unsigned clear, int *changed)
{
	char bo[NEVF][CRM_TIMEBUF + CRM_MONEYBUF];
	char bn[NEVF][CRM_TIMEBUF + CRM_MONEYBUF];
	const char *vo[NEVF], *vn[NEVF];
	struct crm_event *old = NULL, *stored = NULL, nw;
	struct crm_buf d = {0};
	sqlite3_stmt *st;
	int64_t closed;
	int rc, i, any = 0;

	if (changed)
		*changed = 0;
	if (correctable(db, id, &old) == -1)
		return -1;
	nw = *old;
	if (ch->kind && *ch->kind == '\0') {
		crm__error(db, CRM_EDATA, "an event keeps a kind; kinds are: "
		    "%s", crm_kind_list());
		goto fail;
	}
	nw.kind = set(old->kind, ch->kind);
	nw.channel = set(old->channel, ch->channel);
	nw.currency = set(old->currency, ch->currency);
	nw.product = set(old->product, ch->product);
	nw.category = set(old->category, ch->category);
	nw.subject = set(old->subject, ch->subject);
	nw.body = set(old->body, ch->body);
	nw.ref = set(old->ref, ch->ref);
	nw.status = set(old->status, ch->status);
	if (ch->at != CRM_NONE)
		nw.at = ch->at;
	if (ch->amount_cents != CRM_NONE)
		nw.amount_cents = ch->amount_cents;
	if (ch->discount_cents != CRM_NONE)
		nw.discount_cents = ch->discount_cents;
	if (ch->quantity != CRM_NONE)
		nw.quantity = ch->quantity;
	if (ch->rating != CRM_NONE)
		nw.rating = ch->rating;
	if (ch->due_at != CRM_NONE)
		nw.due_at = ch->due_at;
	if (clear & CRM_EV_AMOUNT)
		nw.amount_cents = CRM_NONE;
	if (clear & CRM_EV_DISCOUNT)
		nw.discount_cents = CRM_NONE;
	if (clear & CRM_EV_QUANTITY)
		nw.quantity = CRM_NONE;
	if (clear & CRM_EV_RATING)
		nw.rating = CRM_NONE;
	if (clear & CRM_EV_DUE)
		nw.due_at = CRM_NONE;
	/* an amount without its currency gets one, none keeps none */
	if (nw.amount_cents == CRM_NONE && nw.discount_cents == CRM_NONE &&
	    ch->currency == NULL)
		nw.currency = NULL;
	if (crm_event_check(db, &nw) == -1)
		goto fail;
	/* closed already: its closing time stays; closed now: now */
	closed = old->status && strcmp(old->status, "closed") == 0 &&
	    old->closed_at != CRM_NONE ? old->closed_at : crm_now();
	st = crm__prepare(db, "UPDATE events SET customer_id = ?1, at = ?2,"
	    " kind = ?3, channel = ?4, amount_cents = ?5, currency = ?6,"
	    " quantity = ?7, product = ?8, category = ?9, rating = ?10,"
	    " subject = ?11, body = ?12, ref = ?13, status = ?14, due_at = ?15,"
	    " closed_at = ?16, discount_cents = ?17 WHERE id = ?18");
	if (st == NULL)
		goto fail;
	crm__event_bind(st, &nw, closed);
	sqlite3_bind_int64(st, 18, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot change event");
		goto fail;
	}
	/* what is stored now, with the defaults applied, against before */
	if (crm_event_get(db, id, &stored) != 1)
		goto fail;
	ev_fields(old, vo, bo);
	ev_fields(stored, vn, bn);
	crm_buf_addc(&d, '{');
	for (i = 0; i < NEVF; i++) {
		if ((vo[i] == NULL && vn[i] == NULL) ||
		    (vo[i] && vn[i] && strcmp(vo[i], vn[i]) == 0))
			continue;
		if (any++)
			crm_buf_addc(&d, ',');
		crm_buf_addjson(&d, evf_name[i]);
		crm_buf_adds(&d, ":{\"old\":");
		addval(&d, vo[i]);
		crm_buf_adds(&d, ",\"new\":");
		addval(&d, vn[i]);
		crm_buf_addc(&d, '}');
	}
	crm_buf_addc(&d, '}');
	if (d.oom) {
		crm__error(db, CRM_EFAIL, "out of memory");
		goto fail;
	}
	if (any && (crm_audit(db, "event.edit", old->customer_id, id, d.s) == -1 ||
	    crm_stats_invalidate(db) == -1))
		goto fail;
	if (changed)
		*changed = any != 0;
	crm_buf_free(&d);
	crm_event_free(old);
	crm_event_free(stored);
	return 0;
fail:
	crm_buf_free(&d);
	crm_event_free(old);
	crm_event_free(stored);
	return -1;
}

/* exec_id: run sql with ?1 = id (and ?2 = now, if it has one). 0 or -1. */
static int exec_id(struct crm_db *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, crm_now());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot delete event");
	return 0;
}

int crm_event_delete(struct crm_db *db, int64_t id, const char *reason)
{
	char b[NEVF][CRM_TIMEBUF + CRM_MONEYBUF];
	const char *v[NEVF];
	struct crm_event *old = NULL;
	struct crm_buf d = {0};
	int i;

	if (correctable(db, id, &old) == -1)
		return -1;
	/* an imported event's key, so that importing it again skips it */
	if (exec_id(db, "INSERT INTO deleted_events (customer_id, dedupe,"
	    " deleted_at) SELECT customer_id, dedupe, ?2 FROM events"
	    " WHERE id = ?1 AND dedupe IS NOT NULL ON CONFLICT DO NOTHING",
	    id) == -1 ||
	    exec_id(db, "DELETE FROM events WHERE id = ?1", id) == -1)
		goto fail;
	ev_fields(old, v, b);
	crm_buf_adds(&d, "{\"reason\":");
	addval(&d, reason);
	crm_buf_adds(&d, ",\"old\":{");
	for (i = 0; i < NEVF; i++) {
		if (v[i] == NULL)
			continue;
		if (d.s[d.len - 1] != '{')
			crm_buf_addc(&d, ',');
		crm_buf_addjson(&d, evf_name[i]);
		crm_buf_addc(&d, ':');
		crm_buf_addjson(&d, v[i]);
	}
	crm_buf_adds(&d, "}}");
	if (d.oom) {
		crm__error(db, CRM_EFAIL, "out of memory");
		goto fail;
	}
	if (crm_audit(db, "event.delete", old->customer_id, id, d.s) == -1 ||
	    crm_stats_invalidate(db) == -1)
		goto fail;
	crm_buf_free(&d);
	crm_event_free(old);
	return 0;
fail:
	crm_buf_free(&d);
	crm_event_free(old);
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
