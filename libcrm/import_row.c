/* import_row.c: one row of an import: its values parsed in the file's
 * dialect into an event, a customer matched by ref, email or phone and
 * created or merged, consents and tags; rejected rows into the reject
 * file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"
#include "privacy.h"
#include "csv.h"
#include "customer.h"
#include "event.h"
#include "import.h"
#include "import_int.h"
#include "util.h"
#include "value.h"

/* ---- one row --------------------------------------------------------- */

static const char *const stmt_sql[S_MAX] = {
	"SELECT id FROM customers WHERE ref = ?1",
	"SELECT id FROM customers WHERE email = ?1",
	"SELECT id, ref, email FROM customers WHERE phone = ?1 LIMIT 2",
	"SELECT " CRM__CUSTOMER_COLS ", batch_id FROM customers WHERE id = ?1",
	"INSERT INTO customers (" CRM__CUSTOMER_COLS ", created_at, updated_at,"
	" batch_id) VALUES (" CRM__CUSTOMER_VALUES ", ?13, ?13, ?14)",
	"UPDATE customers SET " CRM__CUSTOMER_SET ", updated_at = ?13"
	" WHERE id = ?14",
	"INSERT INTO batch_changes (batch_id, customer_id, old)"
	" VALUES (?1, ?2, ?3)",
	"SELECT granted FROM consents WHERE customer_id = ?1 AND channel = ?2"
	" ORDER BY at DESC, id DESC LIMIT 1",
	"INSERT INTO consents (customer_id, channel, granted, at, source)"
	" VALUES (?1, ?2, ?3, ?4, ?5)",
	"INSERT INTO tags (customer_id, tag) VALUES (?1, ?2)"
	" ON CONFLICT DO NOTHING",
	"INSERT INTO events (" CRM__EVENT_COLS ", source, created_at, dedupe,"
	" batch_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	" ?13, ?14, ?15, ?16, ?17, 'crm-import', ?18, ?19, ?20)"
	" ON CONFLICT (customer_id, dedupe) WHERE dedupe IS NOT NULL"
	" DO NOTHING",
	"SELECT batch_id FROM events WHERE customer_id = ?1 AND dedupe = ?2",
};

#define NCONSENT 5
static const char *const consent_channel[NCONSENT] = {
	"email", "newsletter", "post", "phone", "sms"
};

#define NDATES 4096             /* a power of two */

/* parse_date: crm_parse_date through a cache of absolute dates: an open
 * addressing table (linear probing) that is emptied when it is three
 * quarters full. A direct-mapped table evicted a third of the dates of a
 * file that spans two years, and each miss costs a mktime, which asks the
 * file system for /etc/localtime. */
static int parse_date(struct imp *im, const char *s, int64_t *t,
    const char **why)
{
	size_t n = strlen(s), h = 2166136261u, i;

	if (n >= sizeof(im->dates[0].s) || !isdigit((unsigned char)s[0]))
		return crm_parse_date(s, im->datefmt, im->now, t, why);
	if (im->dates == NULL &&
	    (im->dates = calloc(NDATES, sizeof(*im->dates))) == NULL)
		return crm_parse_date(s, im->datefmt, im->now, t, why);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	for (h &= NDATES - 1; im->dates[h].s[0]; h = (h + 1) & (NDATES - 1))
		if (strcmp(im->dates[h].s, s) == 0) {
			*t = im->dates[h].t;
			return 0;
		}
	if (crm_parse_date(s, im->datefmt, im->now, t, why) == -1)
		return -1;
	if (im->ndates >= NDATES / 4 * 3) {
		memset(im->dates, 0, NDATES * sizeof(*im->dates));
		im->ndates = 0;
		return 0;
	}
	memcpy(im->dates[h].s, s, n + 1);
	im->dates[h].t = *t;
	im->ndates++;
	return 0;
}

/* stmt: statement i, reset. */
static sqlite3_stmt *stmt(struct imp *im, int i)
{
	if (im->s[i] == NULL) {
		if (sqlite3_prepare_v3(im->db->sql, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &im->s[i], NULL) != SQLITE_OK) {
			crm__sqlerr(im->db, "cannot prepare statement");
			return NULL;
		}
	} else {
		sqlite3_reset(im->s[i]);
		sqlite3_clear_bindings(im->s[i]);
	}
	return im->s[i];
}

static int rejectf(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* rejectf: set the reason the row is rejected; returns 1. */
static int rejectf(struct imp *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->reason, sizeof(im->reason), fmt, ap);
	va_end(ap);
	return 1;
}

/* change: report a change when someone listens. */
static void change(struct imp *im, const char *action, const char *who,
    const char *field, const char *old, const char *new_)
{
	if (im->o->on_change)
		im->o->on_change(im->o->arg, im->line, action, who, field, old,
		    new_);
}

/* yesno: 1, 0, or -1 for the consent words people write. */
static int yesno(const char *s)
{
	static const char *const yes[] = { "yes", "y", "ja", "j", "true", "1",
		"x", "granted", "wahr", NULL };
	static const char *const no[] = { "no", "n", "nein", "false", "0",
		"withdrawn", "falsch", NULL };
	size_t i;

	for (i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* mapped: map_value through a memo of the last value of each field: a
 * column of kinds or channels holds few different words, and mapping one
 * means normalising it and comparing it with the whole table. The memo
 * keeps the word and either the mapped word (from the mapping file or the
 * built-in table, which outlive the import) or that it maps to itself. */
static const char *mapped(struct imp *im, int f, const char *v)
{
	struct memo *mm = &im->memo[f];
	const char *to;
	size_t n;

	if (im->m->nvals == 0 && f != CRM_I_KIND && f != CRM_I_STATUS &&
	    f != CRM_I_CHANNEL)
		return v;
	if (mm->valid && strcmp(mm->from, v) == 0)
		return mm->same ? v : mm->to;
	to = crm__map_value(im->m, f, v);
	if ((n = strlen(v)) < sizeof(mm->from)) {
		memcpy(mm->from, v, n + 1);
		mm->same = to == v;
		mm->to = mm->same ? NULL : to;
		mm->valid = 1;
	}
	return to;
}

/* hash64: FNV-1a over the event's identifying values. */
static uint64_t hash_add(uint64_t h, const char *s)
{
	if (s)
		for (; *s; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (h ^ 0xff) * 1099511628211u;
}

static uint64_t hash_int(uint64_t h, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	if (v == CRM_NONE)
		return hash_add(h, NULL);
	for (i = 0; i < 8; i++, u >>= 8)
		h = (h ^ (u & 0xff)) * 1099511628211u;
	return (h ^ 0xfe) * 1099511628211u;
}

/* dedupe: the dedupe key of ev, occurrence k within the file. The
 * discount is not part of it: a file exported again with a discount
 * column added holds the same purchases, and they must not be added twice
 * (keys stored before discounts existed stay valid too). */
static int64_t dedupe(const struct crm_event *ev, int at_given, int k)
{
	uint64_t h = 14695981039346656037u;
	int64_t r;

	h = hash_add(h, ev->kind);
	h = hash_int(h, at_given ? ev->at : CRM_NONE);
	h = hash_add(h, ev->channel);
	h = hash_int(h, ev->amount_cents);
	h = hash_add(h, ev->currency);
	h = hash_int(h, ev->quantity);
	h = hash_add(h, ev->product);
	h = hash_add(h, ev->category);
	h = hash_int(h, ev->rating);
	h = hash_add(h, ev->subject);
	h = hash_add(h, ev->ref);
	h = hash_int(h, k);
	memcpy(&r, &h, sizeof(r));
	return r;
}

/* lookup: id for key with statement i; 0 none, 1 found, 2 several, -1. */
static int lookup(struct imp *im, int i, const char *key, int64_t *id)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if ((st = stmt(im, i)) == NULL)
		return -1;
	crm__bind_text(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot look up customer");
	return n;
}

/*
 * by_phone: the customer with c's phone whose ref and email do not differ
 * from c's (a phone is shared in families and offices: another ref or
 * email is another person). 0 none, 1 found, 2 several, -1 on error.
 */
static int by_phone(struct imp *im, const struct crm_customer *c,
    int64_t *id)
{
	sqlite3_stmt *st;
	const char *r, *e;
	int rc, n = 0;

	if ((st = stmt(im, S_PHONE)) == NULL)
		return -1;
	crm__bind_text(st, 1, c->phone);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(st, 1);
		e = (const char *)sqlite3_column_text(st, 2);
		if ((c->ref && r && strcmp(c->ref, r) != 0) ||
		    (c->email && e && strcmp(c->email, e) != 0))
			continue;
		*id = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot look up customer");
	return n;
}

/* who: how a customer is named in messages. */
static const char *who(const struct crm_customer *c, int64_t id, char *buf,
    size_t n)
{
	if (c->ref)
		return c->ref;
	if (c->email)
		return c->email;
	snprintf(buf, n, "#%lld", (long long)id);
	return buf;
}

/* find: the customer c is; *id 0 when new. Returns 0, 1 rejected, -1. */
static int find(struct imp *im, const struct crm_customer *c, int64_t *id)
{
	int64_t a = 0, b = 0, p = 0;
	int rc;

	*id = 0;
	if (c->ref && lookup(im, S_REF, c->ref, &a) < 0)
		return -1;
	if (c->email && lookup(im, S_EMAIL, c->email, &b) < 0)
		return -1;
	if ((im->match & CRM_MATCH_REF) && a)
		*id = a;
	if ((im->match & CRM_MATCH_EMAIL) && b) {
		if (*id && *id != b)
			return rejectf(im, "ambiguous: ref %s is customer "
			    "#%lld but email %s is customer #%lld", c->ref,
			    (long long)a, c->email, (long long)b);
		*id = b;
	}
	if (*id == 0 && (im->match & CRM_MATCH_PHONE) && c->phone) {
		if ((rc = by_phone(im, c, &p)) < 0)
			return -1;
		if (rc > 1)
			return rejectf(im, "ambiguous: phone %s belongs to "
			    "several customers", c->phone);
		*id = p;
	}
	if (a && a != *id)
		return rejectf(im, "ref %s belongs to customer #%lld", c->ref,
		    (long long)a);
	if (b && b != *id)
		return rejectf(im, "email %s belongs to customer #%lld",
		    c->email, (long long)b);
	return 0;
}

/* forgotten: reject a row that would bring back a person erased with
 * crm-forget (unless --allow-forgotten). 0, 1 rejected, or -1. */
static int forgotten(struct imp *im, const struct crm_customer *c)
{
	if (crm_forgotten_check(im->db, c) == 0)
		return 0;
	if (crm_errcode(im->db) != CRM_EDATA)
		return -1;
	return rejectf(im, "%s", crm_errmsg(im->db));
}

/* create: insert c as a new customer of this batch. 0 or -1. */
static int create(struct imp *im, struct crm_customer *c)
{
	sqlite3_stmt *st;
	char buf[32];
	size_t i;
	const char *w;

	if ((st = stmt(im, S_INS)) == NULL)
		return -1;
	crm__customer_bind(st, c);
	sqlite3_bind_int64(st, 13, im->now);
	sqlite3_bind_int64(st, 14, im->batch);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return crm__sqlerr(im->db, "cannot store customer");
	}
	sqlite3_reset(st);
	c->id = sqlite3_last_insert_rowid(im->db->sql);
	if (im->o->on_change) {
		w = who(c, c->id, buf, sizeof(buf));
		for (i = 0; i < crm_customer_nfields; i++)
			if (*crm_customer_str(c, i))
				change(im, "create", w,
				    crm_customer_fields[i].name, NULL,
				    *crm_customer_str(c, i));
	}
	return 0;
}

/* stored: customer id as stored (its text fields into *old, which the
 * caller clears) and the batch that created it (*batch, CRM_NONE if
 * none). 0 or -1. */
static int stored(struct imp *im, int64_t id, struct crm_customer *old,
    int64_t *batch)
{
	sqlite3_stmt *st;
	size_t i;
	int oom = 0;

	if ((st = stmt(im, S_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return crm__sqlerr(im->db, "cannot read customer");
	}
	for (i = 0; i < crm_customer_nfields; i++)
		*crm_customer_str(old, i) = crm__col_text(st, (int)i, &oom);
	*batch = crm__col_int(st, (int)i);
	sqlite3_reset(st);
	if (oom)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	return 0;
}

/* json_value: s as a JSON string, or null. */
static void json_value(struct crm_buf *b, const char *s)
{
	if (s)
		crm_buf_addjson(b, s);
	else
		crm_buf_adds(b, "null");
}

/*
 * patch: the non-empty fields of c over old (attrs merged key by key),
 * each change reported (w names the customer) and written down twice:
 * the old value into the object d (for undo: {"city":"Bonn",...}), old
 * and new into the object a (for the audit: {"city":{"old":..,"new":..}},
 * as crm-add writes it), both left open for the caller to close.
 * *changed set when something changed. 0 or -1.
 */
static int patch(struct imp *im, struct crm_customer *old,
    struct crm_customer *c, const char *w, struct crm_buf *d,
    struct crm_buf *a, int *changed)
{
	const char *name;
	char **o, *nv;
	const char *n;
	size_t i;

	for (i = 0; i < crm_customer_nfields; i++) {
		o = crm_customer_str(old, i);
		n = *crm_customer_str(c, i);
		name = crm_customer_fields[i].name;
		if (n == NULL)
			continue;
		if (strcmp(name, "attrs") == 0) {
			if ((nv = crm_json_patch(im->db, *o ? *o : "{}", n)) ==
			    NULL)
				return -1;
		} else if ((nv = strdup(n)) == NULL) {
			return crm__error(im->db, CRM_EFAIL, "out of memory");
		}
		if (*o && strcmp(*o, nv) == 0) {
			free(nv);
			continue;
		}
		crm_buf_addc(d, d->len ? ',' : '{');
		crm_buf_addjson(d, name);
		crm_buf_addc(d, ':');
		json_value(d, *o);
		crm_buf_addc(a, a->len ? ',' : '{');
		crm_buf_addjson(a, name);
		crm_buf_adds(a, ":{\"old\":");
		json_value(a, *o);
		crm_buf_adds(a, ",\"new\":");
		crm_buf_addjson(a, nv);
		crm_buf_addc(a, '}');
		change(im, "update", w, name, *o, nv);
		free(*o);
		*o = nv;
		*changed = 1;
	}
	return 0;
}

/* update: store the merged customer; for one from before this batch
 * (!mine), audit the change (a) and keep the old values (d) for undo. 0
 * or -1. */
static int update(struct imp *im, int64_t id, struct crm_customer *merged,
    const char *d, const char *a, int mine)
{
	sqlite3_stmt *st;

	if ((st = stmt(im, S_UPD)) == NULL)
		return -1;
	crm__customer_bind(st, merged);
	sqlite3_bind_int64(st, 13, im->now);
	sqlite3_bind_int64(st, 14, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return crm__sqlerr(im->db, "cannot store customer");
	}
	sqlite3_reset(st);
	if (mine)
		return 0;
	if (crm_audit(im->db, "customer.update", id, 0, a) == -1 ||
	    (st = stmt(im, S_CHANGE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, im->batch);
	sqlite3_bind_int64(st, 2, id);
	crm__bind_text(st, 3, d);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return crm__sqlerr(im->db, "cannot record change");
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * merge: update customer id with the non-empty fields of c. *changed set.
 * *mine is set when the customer was created by this batch. Returns 0,
 * 1 rejected, -1.
 */
static int merge(struct imp *im, int64_t id, struct crm_customer *c,
    int *changed, int *mine)
{
	struct crm_customer old = {0};
	struct crm_buf d = {0}, a = {0};
	char buf[32];
	int64_t batch = 0;
	int rc;

	*changed = 0;
	if ((rc = stored(im, id, &old, &batch)) != 0)
		goto out;
	*mine = batch == im->batch;
	if (im->o->mode == CRM_IMPORT_CREATE && !*mine) {
		rc = rejectf(im, "customer %s exists already (--mode create "
		    "only adds customers)", who(&old, id, buf, sizeof(buf)));
		goto out;
	}
	if (c->ref && old.ref && strcmp(c->ref, old.ref) != 0) {
		rc = rejectf(im, "customer #%lld found by email or phone has "
		    "ref %s, not %s", (long long)id, old.ref, c->ref);
		goto out;
	}
	if ((rc = forgotten(im, c)) != 0 ||
	    (rc = patch(im, &old, c, who(&old, id, buf, sizeof(buf)), &d, &a,
	    changed)) != 0 || !*changed)
		goto out;
	crm_buf_addc(&d, '}');
	crm_buf_addc(&a, '}');
	if (d.oom || a.oom)
		rc = crm__error(im->db, CRM_EFAIL, "out of memory");
	else
		rc = update(im, id, &old, d.s, a.s, *mine);
out:
	crm_customer_clear(&old);
	crm_buf_free(&d);
	crm_buf_free(&a);
	return rc;
}

/* consent: record a consent unless it is the current one. *changed set
 * when stored. 0 or -1. */
static int consent(struct imp *im, int64_t id, int isnew, int ch, int yes,
    int *changed)
{
	sqlite3_stmt *st;
	int cur = -1, rc;

	if (!isnew) {
		if ((st = stmt(im, S_CONS_GET)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		crm__bind_text(st, 2, consent_channel[ch]);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			cur = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return crm__sqlerr(im->db, "cannot read consent");
		if (cur == yes)
			return 0;
	}
	if ((st = stmt(im, S_CONS_INS)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	crm__bind_text(st, 2, consent_channel[ch]);
	sqlite3_bind_int(st, 3, yes);
	sqlite3_bind_int64(st, 4, im->now);
	crm__bind_text(st, 5, im->source);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot store consent");
	*changed = 1;
	return 0;
}

/* tag: add tag t (valid, lower-case) to customer id; for a customer from
 * before this batch, remember it for undo. *changed set when new. */
static int tag(struct imp *im, int64_t id, int mine, const char *t,
    int *changed)
{
	sqlite3_stmt *st;
	struct crm_buf d = {0};
	int rc;

	if ((st = stmt(im, S_TAG)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	crm__bind_text(st, 2, t);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot store tag");
	if (sqlite3_changes(im->db->sql) == 0)
		return 0;
	*changed = 1;
	if (mine)
		return 0;
	crm_buf_adds(&d, "{\"+tag\":");
	crm_buf_addjson(&d, t);
	crm_buf_addc(&d, '}');
	if ((st = stmt(im, S_CHANGE)) == NULL) {
		crm_buf_free(&d);
		return -1;
	}
	sqlite3_bind_int64(st, 1, im->batch);
	sqlite3_bind_int64(st, 2, id);
	crm__bind_text(st, 3, d.s);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	crm_buf_free(&d);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot record change");
	return 0;
}

/* evbit: whether this batch added an event for customer id. */
static int evbit(const struct imp *im, int64_t id)
{
	size_t i = (size_t)id >> 3;

	return id >= 0 && i < im->nevbits && (im->evbits[i] >> (id & 7) & 1);
}

/* set_evbit: remember that this batch added an event for customer id;
 * grows the bitmap (an eighth of a byte per customer id). 0 or -1. */
static int set_evbit(struct imp *im, int64_t id)
{
	size_t i = (size_t)id >> 3, n;
	unsigned char *p;

	if (id < 0)
		return 0;
	if (i >= im->nevbits) {
		n = im->nevbits ? im->nevbits : 4096;
		while (n <= i)
			n *= 2;
		if ((p = realloc(im->evbits, n)) == NULL)
			return crm__error(im->db, CRM_EFAIL, "out of memory");
		memset(p + im->nevbits, 0, n - im->nevbits);
		im->evbits = p;
		im->nevbits = n;
	}
	im->evbits[i] |= (unsigned char)(1u << (id & 7));
	return 0;
}

/* add_event: store ev for its customer unless it is there already.
 * *added set. 0 or -1. */
static int add_event(struct imp *im, struct crm_event *ev, int at_given,
    int *added)
{
	sqlite3_stmt *st;
	int64_t key, b;
	int k, rc;

	for (k = 0; ; k++) {
		key = dedupe(ev, at_given, k);
		if ((st = stmt(im, S_EV)) == NULL)
			return -1;
		crm__event_bind(st, ev, ev->at);        /* closed when made */
		sqlite3_bind_int64(st, 18, im->now);
		sqlite3_bind_int64(st, 19, key);
		sqlite3_bind_int64(st, 20, im->batch);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return crm__sqlerr(im->db, "cannot store event");
		if (sqlite3_changes(im->db->sql) > 0) {
			*added = 1;
			return set_evbit(im, ev->customer_id);
		}
		/* There already: from an earlier import, or the same event
		 * earlier in this file (then it is the next occurrence). When
		 * this batch added nothing for the customer, it is from an
		 * earlier import (the common case when a file is imported
		 * again): no need to read the stored event's batch. */
		if (!evbit(im, ev->customer_id)) {
			*added = 0;
			return 0;
		}
		if ((st = stmt(im, S_EV_BATCH)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, ev->customer_id);
		sqlite3_bind_int64(st, 2, key);
		b = 0;
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			b = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return crm__sqlerr(im->db, "cannot read events");
		if (b != im->batch) {
			*added = 0;
			return 0;
		}
	}
}

/* dup: strdup into the customer, or set oom. */
static char *dupstr(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

/* describe: a short text for an event in dry-run output. */
static void describe(struct imp *im, const struct crm_event *ev)
{
	char t[CRM_TIMEBUF], mny[CRM_MONEYBUF];

	crm_buf_reset(&im->tmp);
	crm_buf_addf(&im->tmp, "%s %s", ev->kind, crm_fmt_time(ev->at, t));
	if (ev->amount_cents != CRM_NONE)
		crm_buf_addf(&im->tmp, " %s", crm_fmt_money(ev->amount_cents,
		    mny));
	if (ev->discount_cents != CRM_NONE)
		crm_buf_addf(&im->tmp, " discount %s",
		    crm_fmt_money(ev->discount_cents, mny));
	if (ev->category)
		crm_buf_addf(&im->tmp, " %s", ev->category);
	if (ev->ref)
		crm_buf_addf(&im->tmp, " %s", ev->ref);
}

/*
 * A row on its way in: its values by field, then what they make: the
 * event, the consents and tags, the customer and where it was found.
 * crm__import_row takes it through a few steps, each of which returns 0
 * (go on), 1 (rejected: the reason in im->reason) or -1 (a database
 * error, or out of memory).
 */
struct row {
	const char *v[CRM_I_NFIELDS];   /* trimmed cell, mapped, or constant */
	int ev_cells;           /* the row has event cells: it is an event */
	struct crm_event ev;
	int at_given;
	char cur[4], dcur[4];   /* currencies written with amount, discount */
	int cons[NCONSENT];     /* 1, 0, -1 for none */
	char *tags[32], *tagbuf;
	size_t ntags;
	int marks;              /* consents or tags given */
	struct crm_customer c;
	int has_data;           /* customer data beyond the key that finds it */
	int64_t id;             /* the customer; 0 while new */
	int isnew, mine, changed;
	char wbuf[32];
};

/* row_values: the cells of f into r->v by field (value maps, the mapping
 * file's constants and --kind applied) and unrecognised ones into
 * im->attrs. A row longer than the header is rejected unless the extra
 * cells are empty. */
static int row_values(struct imp *im, struct row *r, char **f, size_t n)
{
	const char **v = r->v;
	char *s;
	size_t i;

	if (n < im->nhdr)
		return rejectf(im, "%zu fields, the header has %zu", n,
		    im->nhdr);
	for (i = im->nhdr; i < n; i++)
		if (*crm_strtrim(f[i]) != '\0')
			return rejectf(im, "%zu fields, the header has %zu",
			    n, im->nhdr);
	crm_buf_reset(&im->attrs);
	for (i = 0; i < im->nhdr; i++) {
		s = crm_strtrim(f[i]);
		/* A ' that a spreadsheet export put before = + - @. */
		if (s[0] == '\'' && s[1] && strchr("=+-@", s[1]))
			s++;
		if (*s == '\0' || im->colf[i] == CRM_I_IGNORE)
			continue;
		if (im->colf[i] == CRM_I_NONE || im->colf[i] == CRM_I_ATTR) {
			crm_buf_addc(&im->attrs, im->attrs.len ? ',' : '{');
			crm_buf_addjson(&im->attrs, im->colkey[i]);
			crm_buf_addc(&im->attrs, ':');
			crm_buf_addjson(&im->attrs, s);
			continue;
		}
		if (v[im->colf[i]] == NULL) {
			v[im->colf[i]] = s;
			if (im->colf[i] >= CRM_I_AT)
				r->ev_cells = 1;
		}
	}
	if (im->attrs.len)
		crm_buf_addc(&im->attrs, '}');
	for (i = CRM_I_REF; i < CRM_I_NFIELDS; i++) {
		if (v[i])
			v[i] = mapped(im, (int)i, v[i]);
		else if (im->m->consts[i])
			v[i] = im->m->consts[i];
	}
	if (v[CRM_I_KIND] == NULL)
		v[CRM_I_KIND] = im->kind;
	return 0;
}

/* row_event: the event of a row with event cells, parsed in the file's
 * dialect and checked before anything is written. */
static int row_event(struct imp *im, struct row *r)
{
	const char **v = r->v, *why;
	struct crm_event *ev = &r->ev;

	if (v[CRM_I_KIND] == NULL)
		return rejectf(im, "no kind: give a kind column or --kind");
	ev->kind = (char *)v[CRM_I_KIND];
	if (!crm_kind_valid(ev->kind))
		return rejectf(im, "unknown kind \"%s\"; kinds are: %s (or map "
		    "it in a mapping file)", ev->kind, crm_kind_list());
	ev->at = im->now;
	if (v[CRM_I_AT]) {
		if (parse_date(im, v[CRM_I_AT], &ev->at, &why) == -1)
			return rejectf(im, "invalid date \"%s\": %s%s",
			    v[CRM_I_AT], why, im->datefmt ? "" :
			    " (give date-format in a mapping file)");
		r->at_given = 1;
	}
	if (v[CRM_I_AMOUNT] && crm_parse_money(v[CRM_I_AMOUNT], im->decimal,
	    &ev->amount_cents, r->cur, &why) == -1)
		return rejectf(im, "invalid amount \"%s\": %s%s",
		    v[CRM_I_AMOUNT], why, im->decimal ? "" :
		    " (give decimal in a mapping file)");
	if (v[CRM_I_DISCOUNT] && crm_parse_money(v[CRM_I_DISCOUNT],
	    im->decimal, &ev->discount_cents, r->dcur, &why) == -1)
		return rejectf(im, "invalid discount \"%s\": %s (an amount such "
		    "as 5.00%s)", v[CRM_I_DISCOUNT], why, im->decimal ? "" :
		    "; give decimal in a mapping file");
	if (r->dcur[0] && (r->cur[0] || v[CRM_I_CURRENCY]) && strcmp(r->dcur,
	    v[CRM_I_CURRENCY] ? v[CRM_I_CURRENCY] : r->cur) != 0)
		return rejectf(im, "the discount \"%s\" is in %s, the amount in "
		    "%s", v[CRM_I_DISCOUNT], r->dcur,
		    v[CRM_I_CURRENCY] ? v[CRM_I_CURRENCY] : r->cur);
	if (v[CRM_I_QUANTITY] && crm_parse_int(v[CRM_I_QUANTITY], 0,
	    INT32_MAX, &ev->quantity, &why) == -1)
		return rejectf(im, "invalid quantity \"%s\": %s",
		    v[CRM_I_QUANTITY], why);
	if (v[CRM_I_RATING] && crm_parse_int(v[CRM_I_RATING], 1, 5,
	    &ev->rating, &why) == -1)
		return rejectf(im, "invalid rating \"%s\": a whole number from 1 "
		    "to 5", v[CRM_I_RATING]);
	if (v[CRM_I_DUE] && crm_parse_date(v[CRM_I_DUE], im->datefmt,
	    im->now, &ev->due_at, &why) == -1)
		return rejectf(im, "invalid due date \"%s\": %s", v[CRM_I_DUE],
		    why);
	ev->currency = (char *)(v[CRM_I_CURRENCY] ? v[CRM_I_CURRENCY] :
	    r->cur[0] ? r->cur : r->dcur[0] ? r->dcur : NULL);
	ev->channel = (char *)v[CRM_I_CHANNEL];
	ev->product = (char *)v[CRM_I_PRODUCT];
	ev->category = (char *)v[CRM_I_CATEGORY];
	ev->subject = (char *)v[CRM_I_SUBJECT];
	ev->body = (char *)v[CRM_I_BODY];
	ev->ref = (char *)v[CRM_I_EVREF];
	ev->status = (char *)v[CRM_I_STATUS];
	if (crm_event_check(im->db, ev) == -1)
		return rejectf(im, "%s", crm_errmsg(im->db));
	return 0;
}

/* row_marks: the consents and tags of the row, checked: yes or no in the
 * words spreadsheets use; at most 32 tags, each at most 127 bytes,
 * lower-cased. */
static int row_marks(struct imp *im, struct row *r)
{
	const char *s;
	char *t;
	size_t i;

	for (i = 0; i < NCONSENT; i++) {
		r->cons[i] = -1;
		if ((s = r->v[CRM_I_C_EMAIL + i]) == NULL)
			continue;
		if ((r->cons[i] = yesno(s)) == -1)
			return rejectf(im, "invalid %s \"%s\": yes or no (ja, "
			    "nein, 1, 0)", crm_ifield_name(CRM_I_C_EMAIL + i),
			    s);
		r->marks = 1;
	}
	if (r->v[CRM_I_TAGS] == NULL)
		return 0;
	if ((r->tagbuf = strdup(r->v[CRM_I_TAGS])) == NULL)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	for (t = strtok(r->tagbuf, ",;"); t && r->ntags < 32;
	    t = strtok(NULL, ",;")) {
		t = crm_strtrim(t);
		if (*t == '\0')
			continue;
		if (strlen(t) > 127)
			return rejectf(im, "tag longer than 127 bytes");
		for (char *p = t; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		r->tags[r->ntags++] = t;
		r->marks = 1;
	}
	return 0;
}

/* row_customer: the customer the row describes, from its fields (a full
 * name split into first and last where those are missing; street and
 * house number joined; unrecognised cells as attrs), normalised. */
static int row_customer(struct imp *im, struct row *r)
{
	struct crm_customer *c = &r->c;
	const char **v = r->v;
	char *first = NULL, *last = NULL;
	int oom = 0;

	c->ref = dupstr(v[CRM_I_REF], &oom);
	c->first_name = dupstr(v[CRM_I_FIRST], &oom);
	c->last_name = dupstr(v[CRM_I_LAST], &oom);
	if (v[CRM_I_NAME] && (!c->first_name || !c->last_name)) {
		size_t k = strlen(v[CRM_I_NAME]) + 1;

		if ((first = malloc(k)) == NULL || (last = malloc(k)) == NULL)
			oom = 1;
		else {
			crm_split_name(v[CRM_I_NAME], first, last);
			if (!c->first_name && *first)
				c->first_name = dupstr(first, &oom);
			if (!c->last_name && *last)
				c->last_name = dupstr(last, &oom);
		}
		free(first);
		free(last);
	}
	c->company = dupstr(v[CRM_I_COMPANY], &oom);
	c->email = dupstr(v[CRM_I_EMAIL], &oom);
	c->phone = dupstr(v[CRM_I_PHONE], &oom);
	if (v[CRM_I_STREET] && v[CRM_I_HOUSENO]) {
		crm_buf_reset(&im->tmp);
		crm_buf_addf(&im->tmp, "%s %s", v[CRM_I_STREET],
		    v[CRM_I_HOUSENO]);
		c->street = dupstr(im->tmp.oom ? NULL : im->tmp.s, &oom);
	} else {
		c->street = dupstr(v[CRM_I_STREET], &oom);
	}
	c->postal_code = dupstr(v[CRM_I_POSTAL], &oom);
	c->city = dupstr(v[CRM_I_CITY], &oom);
	c->country = dupstr(v[CRM_I_COUNTRY], &oom);
	c->notes = dupstr(v[CRM_I_NOTES], &oom);
	c->attrs = dupstr(im->attrs.len ? im->attrs.s : NULL, &oom);
	if (oom || im->attrs.oom)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	if (crm_customer_normalise(im->db, c) == -1)
		return crm_errcode(im->db) == CRM_EDATA ?
		    rejectf(im, "%s", crm_errmsg(im->db)) : -1;
	return 0;
}

/* nkeys: how many of ref, email and phone c has. */
static int nkeys(const struct crm_customer *c)
{
	return !!c->ref + !!c->email + !!c->phone;
}

/* row_find: the customer the row is (r->id, 0 for a new one). A row with
 * nothing but a ref, like the one before it, is taken for the same
 * customer without a lookup (files of events grouped by customer). */
static int row_find(struct imp *im, struct row *r)
{
	const struct crm_customer *c = &r->c;
	int rc;

	if (!r->has_data && nkeys(c) == 1 && c->ref && im->lastid &&
	    strcmp(c->ref, im->lastref) == 0 && (im->match & CRM_MATCH_REF)) {
		r->id = im->lastid;
		return 0;
	}
	if ((rc = find(im, c, &r->id)) != 0)
		return rc;
	im->lastid = 0;
	if (r->id && c->ref && strlen(c->ref) < sizeof(im->lastref)) {
		strcpy(im->lastref, c->ref);
		im->lastid = r->id;
	}
	return 0;
}

/* row_store_customer: create the customer (unless --mode update) or merge
 * the row's data into it (unless --mode create); a row with only a key
 * changes nothing. */
static int row_store_customer(struct imp *im, struct row *r)
{
	int rc;

	if (r->id == 0) {
		if (im->o->mode == CRM_IMPORT_UPDATE)
			return rejectf(im, "no customer %s (--mode update only "
			    "changes customers)", who(&r->c, 0, r->wbuf,
			    sizeof(r->wbuf)));
		if ((rc = forgotten(im, &r->c)) != 0 ||
		    (rc = create(im, &r->c)) != 0)
			return rc;
		r->id = r->c.id;
		r->isnew = r->mine = 1;
		im->st->created++;
	} else if (r->has_data) {
		if ((rc = merge(im, r->id, &r->c, &r->changed, &r->mine)) != 0)
			return rc;
	} else if (im->o->mode == CRM_IMPORT_CREATE) {
		return rejectf(im, "customer %s exists already (--mode create "
		    "only adds customers)", who(&r->c, r->id, r->wbuf,
		    sizeof(r->wbuf)));
	}
	return 0;
}

/* row_store_marks: the row's consents and tags, counted as a change. */
static int row_store_marks(struct imp *im, struct row *r)
{
	size_t i;

	for (i = 0; i < NCONSENT; i++)
		if (r->cons[i] >= 0 && consent(im, r->id, r->isnew, (int)i,
		    r->cons[i], &r->changed) == -1)
			return -1;
	for (i = 0; i < r->ntags; i++)
		if (tag(im, r->id, r->mine, r->tags[i], &r->changed) == -1)
			return -1;
	return 0;
}

/* row_store_event: the row's event for the customer, unless it is there
 * already (the same row imported before). */
static int row_store_event(struct imp *im, struct row *r)
{
	int added = 0;

	r->ev.customer_id = r->id;
	if (add_event(im, &r->ev, r->at_given, &added) == -1)
		return -1;
	if (added)
		im->st->events_added++;
	else
		im->st->events_present++;
	if (im->o->on_change) {
		describe(im, &r->ev);
		change(im, added ? "event" : "present", who(&r->c, r->id,
		    r->wbuf, sizeof(r->wbuf)), "", NULL, im->tmp.s);
	}
	return 0;
}

int crm__import_row(struct imp *im, char **f, size_t n)
{
	struct row r;
	size_t i;
	int rc, fields = 0;

	memset(&r, 0, sizeof(r));
	crm_event_init(&r.ev);
	if ((rc = row_values(im, &r, f, n)) != 0 ||
	    (r.ev_cells && (rc = row_event(im, &r)) != 0) ||
	    (rc = row_marks(im, &r)) != 0 ||
	    (rc = row_customer(im, &r)) != 0)
		goto out;
	/* Customer data: more than the one key that finds the customer. */
	for (i = 0; i < crm_customer_nfields; i++)
		fields += *crm_customer_str(&r.c, i) != NULL;
	fields += r.marks;
	r.has_data = fields > 1 || (fields == 1 && nkeys(&r.c) == 0);
	if (nkeys(&r.c) == 0) {
		/* A row of nothing (all its cells ignored or empty) is passed
		 * over; anything else needs a key. */
		if (r.has_data || r.ev_cells)
			rc = rejectf(im, "no ref, email or phone to recognise "
			    "the customer by");
		goto out;
	}
	if ((rc = row_find(im, &r)) != 0 ||
	    (rc = row_store_customer(im, &r)) != 0 ||
	    (rc = row_store_marks(im, &r)) != 0)
		goto out;
	if (!r.isnew && r.has_data && !r.mine) {
		if (r.changed)
			im->st->updated++;
		else
			im->st->unchanged++;
	}
	if (r.ev_cells)
		rc = row_store_event(im, &r);
out:
	free(r.tagbuf);
	crm_customer_clear(&r.c);
	return rc;
}

/* ---- reject files ----------------------------------------------------- */

/* rej_field: append one field to im->out, quoted or escaped as the
 * input's dialect needs. */
static void rej_field(struct imp *im, const char *s)
{
	struct crm_buf *b = &im->out;
	const char *p;

	if (im->dia.tsv) {
		for (p = s; *p; p++) {
			switch (*p) {
			case '\t': crm_buf_adds(b, "\\t"); break;
			case '\n': crm_buf_adds(b, "\\n"); break;
			case '\r': crm_buf_adds(b, "\\r"); break;
			case '\\': crm_buf_adds(b, "\\\\"); break;
			default: crm_buf_addc(b, *p);
			}
		}
		return;
	}
	if (*s == '\0' || (!strchr(s, im->dia.delim) && !strpbrk(s, "\"\r\n") &&
	    s[0] != ' ' && s[strlen(s) - 1] != ' ')) {
		crm_buf_adds(b, s);
		return;
	}
	crm_buf_addc(b, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			crm_buf_addc(b, '"');
		crm_buf_addc(b, *p);
	}
	crm_buf_addc(b, '"');
}

/* rej_line: write im->out (UTF-8) with the line end, in the encoding. */
static int rej_line(struct imp *im)
{
	struct crm_buf e = {0};
	int rc = 0;

	crm_buf_adds(&im->out, im->dia.crlf ? "\r\n" : im->dia.cr ? "\r" :
	    "\n");
	if (crm_csv_encode(im->dia.enc, im->out.s, im->out.len, &e) == -1 ||
	    fwrite(e.s, 1, e.len, im->rej) != e.len)
		rc = -1;
	crm_buf_free(&e);
	crm_buf_reset(&im->out);
	return rc;
}

int crm__import_reject(struct imp *im, char **f, size_t n)
{
	size_t i;
	char ln[24];
	char d[2] = { 0, 0 };

	im->st->rejected++;
	if (im->o->on_reject)
		im->o->on_reject(im->o->arg, im->name, im->line, im->reason);
	change(im, "reject", "", "", NULL, im->reason);
	if (im->o->rejects == NULL || im->rej_failed)
		return 0;
	d[0] = (char)im->dia.delim;
	if (im->rej == NULL) {
		/* It holds personal data: readable by its owner only. */
		int fd = open(im->o->rejects, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600);
		if (fd == -1 || (im->rej = fdopen(fd, "w")) == NULL) {
			if (fd != -1)
				close(fd);
			im->rej_failed = 1;
			return crm__error(im->db, CRM_ECANTCREAT, "cannot "
			    "create reject file %s: %s", im->o->rejects,
			    strerror(errno));
		}
		/* U+FEFF: encoded, the UTF-8 or the UTF-16LE BOM */
		if (im->dia.bom)
			crm_buf_adds(&im->out, "\xEF\xBB\xBF");
		if (im->dia.sepline) {
			crm_buf_addf(&im->out, "sep=%c", im->dia.sepline);
			if (rej_line(im) == -1)
				goto fail;
		}
		for (i = 0; i < im->nhdr; i++) {
			rej_field(im, im->hdr[i]);
			crm_buf_adds(&im->out, d);
		}
		crm_buf_adds(&im->out, "reject_line");
		crm_buf_adds(&im->out, d);
		crm_buf_adds(&im->out, "reject_reason");
		if (rej_line(im) == -1)
			goto fail;
	}
	for (i = 0; i < im->nhdr; i++) {
		rej_field(im, i < n ? f[i] : "");
		crm_buf_adds(&im->out, d);
	}
	snprintf(ln, sizeof(ln), "%ld", im->line);
	crm_buf_adds(&im->out, ln);
	crm_buf_adds(&im->out, d);
	rej_field(im, im->reason);
	/* Fields beyond the header stay, after the reason. */
	for (; i < n; i++) {
		crm_buf_adds(&im->out, d);
		rej_field(im, f[i]);
	}
	if (rej_line(im) == -1)
		goto fail;
	return 0;
fail:
	im->rej_failed = 1;
	return crm__error(im->db, CRM_EIO, "cannot write reject file %s: %s",
	    im->o->rejects, strerror(errno));
}
