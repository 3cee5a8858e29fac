/* customer.c: the customer directory: lookup by ref, email or id; create;
 * merge; normalisation of what users type; tags and consents. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "customer.h"
#include "event.h"
#include "privacy.h"
#include "util.h"
#include "value.h"

#define F(m) { #m, offsetof(struct crm_customer, m) }
const struct crm_field crm_customer_fields[] = {
	F(ref), F(first_name), F(last_name), F(company), F(email), F(phone),
	F(street), F(postal_code), F(city), F(country), F(notes), F(attrs),
};
#undef F
const size_t crm_customer_nfields =
    sizeof(crm_customer_fields) / sizeof(crm_customer_fields[0]);

const char *const crm_consent_channels[] = {
	"email", "newsletter", "post", "phone", "sms", NULL
};

/* The SELECT list matching crm_customer_fields, then the times and id. */
#define CUSTOMER_COLS CRM__CUSTOMER_COLS ", created_at, updated_at, id," \
	" coalesce(erased_at, 0)"

char **crm_customer_str(struct crm_customer *c, size_t i)
{
	return (char **)((char *)c + crm_customer_fields[i].offset);
}

void crm__customer_bind(sqlite3_stmt *st, const struct crm_customer *c)
{
	size_t i;

	for (i = 0; i < crm_customer_nfields; i++)
		crm__bind_text(st, (int)i + 1, *(char *const *)((const char *)c +
		    crm_customer_fields[i].offset));
}

int crm_customer_field(const char *name)
{
	static const struct { const char *alias, *name; } alias[] = {
		{ "first", "first_name" }, { "last", "last_name" },
		{ "zip", "postal_code" }, { "postcode", "postal_code" },
	};
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(name, alias[i].alias) == 0)
			name = alias[i].name;
	for (i = 0; i < crm_customer_nfields; i++)
		if (strcmp(name, crm_customer_fields[i].name) == 0)
			return (int)i;
	return -1;
}

void crm_customer_clear(struct crm_customer *c)
{
	size_t i;

	for (i = 0; i < crm_customer_nfields; i++)
		free(*crm_customer_str(c, i));
	memset(c, 0, sizeof(*c));
}

void crm_customer_free(struct crm_customer *c)
{
	if (c == NULL)
		return;
	crm_customer_clear(c);
	free(c);
}

/* lookup: id of the row where the cached statement's ?1 matches key. */
static int lookup(struct crm_db *db, enum crm_stmt_id sid, const char *sql,
    const char *key, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__stmt(db, sid, sql)) == NULL)
		return -1;
	crm__bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot look up customer");
	return 0;
}

static int by_ref(struct crm_db *db, const char *ref, int64_t *id)
{
	return lookup(db, STMT_CUSTOMER_BY_REF,
	    "SELECT id FROM customers WHERE ref = ?1", ref, id);
}

static int by_email(struct crm_db *db, const char *email, int64_t *id)
{
	return lookup(db, STMT_CUSTOMER_BY_EMAIL,
	    "SELECT id FROM customers WHERE email = ?1", email, id);
}

int crm_customer_resolve(struct crm_db *db, const char *key, int64_t *id)
{
	char email[CRM_EMAILBUF];
	const char *why;
	int64_t n;
	sqlite3_stmt *st;
	int rc;

	if (key[0] == '#') {
		if (crm_parse_int(key + 1, 1, INT64_MAX, &n, &why) == -1)
			return crm__error(db, CRM_EDATA,
			    "invalid customer id \"%s\": %s", key, why);
		st = crm__stmt(db, STMT_CUSTOMER_BY_ID,
		    "SELECT erased_at FROM customers WHERE id = ?1");
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, n);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			int64_t erased = crm__col_int(st, 0);
			sqlite3_reset(st);
			if (erased != INT64_MIN && !db->see_erased) {
				char when[CRM_TIMEBUF];
				return crm__error(db, CRM_EDATA, "customer %s was "
				    "erased on %s (crm-forget)", key,
				    crm_fmt_day(erased, when));
			}
			*id = n;
			return 1;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return crm__sqlerr(db, "cannot look up customer");
		crm__error(db, CRM_ENOUSER, "no customer %s", key);
		return 0;
	}
	if (strchr(key, '@') != NULL) {
		if (crm_parse_email(key, email, sizeof(email), &why) == -1)
			return crm__error(db, CRM_EDATA,
			    "invalid email \"%s\": %s", key, why);
		rc = by_email(db, email, id);
	} else {
		rc = by_ref(db, key, id);
	}
	if (rc == 0)
		crm__error(db, CRM_ENOUSER, "no customer \"%s\"", key);
	return rc;
}

struct crm_keycache {
	char **key;         /* NULL: free slot */
	int64_t *id;
	size_t cap;         /* a power of two */
	size_t n;
	size_t max;
};

struct crm_keycache *crm_keycache_new(size_t max)
{
	struct crm_keycache *kc;

	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return NULL;
	kc->cap = 1024;
	kc->max = max;
	kc->key = calloc(kc->cap, sizeof(*kc->key));
	kc->id = calloc(kc->cap, sizeof(*kc->id));
	if (kc->key == NULL || kc->id == NULL) {
		crm_keycache_free(kc);
		return NULL;
	}
	return kc;
}

void crm_keycache_free(struct crm_keycache *kc)
{
	size_t i;

	if (kc == NULL)
		return;
	for (i = 0; kc->key && i < kc->cap; i++)
		free(kc->key[i]);
	free(kc->key);
	free(kc->id);
	free(kc);
}

/* hash: FNV-1a of s. */
static size_t hash(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

/* slot: where key is in the table, or the free slot where it would go. */
static size_t slot(char **keys, size_t cap, const char *key)
{
	size_t i = hash(key) & (cap - 1);

	while (keys[i] && strcmp(keys[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* keycache_grow: double the table; 0, or -1 when out of memory. */
static int keycache_grow(struct crm_keycache *kc)
{
	size_t cap = kc->cap * 2, i, j;
	char **key = calloc(cap, sizeof(*key));
	int64_t *id = calloc(cap, sizeof(*id));

	if (key == NULL || id == NULL) {
		free(key);
		free(id);
		return -1;
	}
	for (i = 0; i < kc->cap; i++) {
		if (kc->key[i] == NULL)
			continue;
		j = slot(key, cap, kc->key[i]);
		key[j] = kc->key[i];
		id[j] = kc->id[i];
	}
	free(kc->key);
	free(kc->id);
	kc->key = key;
	kc->id = id;
	kc->cap = cap;
	return 0;
}

int crm_customer_resolve_cached(struct crm_db *db, struct crm_keycache *kc,
    const char *key, int64_t *id)
{
	size_t i;
	int rc;

	i = slot(kc->key, kc->cap, key);
	if (kc->key[i]) {
		*id = kc->id[i];
		return 1;
	}
	if ((rc = crm_customer_resolve(db, key, id)) != 1 || kc->n >= kc->max)
		return rc;
	/* Keep the table at most half full. */
	if ((kc->n + 1) * 2 > kc->cap) {
		if (keycache_grow(kc) == -1)
			return rc;
		i = slot(kc->key, kc->cap, key);
	}
	if ((kc->key[i] = strdup(key)) != NULL) {
		kc->id[i] = *id;
		kc->n++;
	}
	return rc;
}

int crm_customer_get(struct crm_db *db, int64_t id, struct crm_customer **out)
{
	struct crm_customer *c;
	sqlite3_stmt *st;
	int rc, oom = 0;
	size_t i;

	st = crm__prepare(db, "SELECT " CUSTOMER_COLS
	    " FROM customers WHERE id = ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE) {
			crm__error(db, CRM_ENOUSER, "no customer #%lld",
			    (long long)id);
			return 0;
		}
		return crm__sqlerr(db, "cannot read customer");
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sqlite3_finalize(st);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < crm_customer_nfields; i++)
		*crm_customer_str(c, i) = crm__col_text(st, (int)i, &oom);
	c->created_at = sqlite3_column_int64(st, (int)i);
	c->updated_at = sqlite3_column_int64(st, (int)i + 1);
	c->id = sqlite3_column_int64(st, (int)i + 2);
	c->erased_at = sqlite3_column_int64(st, (int)i + 3);
	sqlite3_finalize(st);
	if (oom) {
		crm_customer_free(c);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	*out = c;
	return 1;
}

int crm_customer_match(struct crm_db *db, const struct crm_customer *c,
    int64_t *id)
{
	int64_t a = 0, b = 0;
	int ra = 0, rb = 0;

	if (c->ref && (ra = by_ref(db, c->ref, &a)) == -1)
		return -1;
	if (c->email && (rb = by_email(db, c->email, &b)) == -1)
		return -1;
	if (ra && rb && a != b)
		return crm__error(db, CRM_EDATA, "ambiguous: ref \"%s\" is "
		    "customer #%lld but email %s is customer #%lld", c->ref,
		    (long long)a, c->email, (long long)b);
	if (ra || rb) {
		*id = ra ? a : b;
		return 1;
	}
	return 0;
}

/* set_null_if_empty: free and clear an empty string. */
static void set_null_if_empty(char **s)
{
	if (*s && **s == '\0') {
		free(*s);
		*s = NULL;
	}
}

/* replace: put a copy of v into *s. */
static int replace(struct crm_db *db, char **s, const char *v)
{
	char *copy;

	if ((copy = strdup(v)) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	free(*s);
	*s = copy;
	return 0;
}

/* check_attrs: attrs must be a JSON object. */
static int check_attrs(struct crm_db *db, const char *attrs)
{
	sqlite3_stmt *st;
	int rc, isobj = 0;

	if ((st = crm__prepare(db, "SELECT json_valid(?1) AND "
	    "json_type(?1) = 'object'")) == NULL)
		return -1;
	crm__bind_text(st, 1, attrs);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		isobj = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot check attrs");
	if (!isobj)
		return crm__error(db, CRM_EDATA, "attrs is not a JSON object: %s",
		    attrs);
	return 0;
}

int crm_customer_normalise(struct crm_db *db, struct crm_customer *c)
{
	char buf[CRM_EMAILBUF];
	const char *why;
	size_t i;
	char **s, *t;

	for (i = 0; i < crm_customer_nfields; i++) {
		s = crm_customer_str(c, i);
		if (*s == NULL)
			continue;
		t = crm_strtrim(*s);
		memmove(*s, t, strlen(t) + 1);
		set_null_if_empty(s);
		/* Names and addresses are one line; notes may be more. */
		if (*s && (why = crm_text_check(*s, s == &c->notes ||
		    s == &c->attrs)) != NULL)
			return crm__error(db, CRM_EDATA, "invalid %s: %s",
			    crm_customer_fields[i].name, why);
	}
	if (c->ref && (c->ref[0] == '#' || strchr(c->ref, '@')))
		return crm__error(db, CRM_EDATA, "invalid ref \"%s\": a ref may "
		    "not start with '#' or contain '@'", c->ref);
	if (c->email) {
		if (crm_parse_email(c->email, buf, sizeof(buf), &why) == -1)
			return crm__error(db, CRM_EDATA, "invalid email \"%s\": "
			    "%s", c->email, why);
		if (replace(db, &c->email, buf) == -1)
			return -1;
	}
	if (c->phone) {
		if (crm_parse_phone(c->phone, NULL, buf, sizeof(buf), &why) == -1)
			return crm__error(db, CRM_EDATA, "invalid phone \"%s\": "
			    "%s", c->phone, why);
		if (replace(db, &c->phone, buf) == -1)
			return -1;
	}
	if (c->attrs && check_attrs(db, c->attrs) == -1)
		return -1;
	return 0;
}

/* conflict: fail if ref or email belongs to a customer other than self. */
static int conflict(struct crm_db *db, const struct crm_customer *c,
    int64_t self)
{
	int64_t other;
	int rc;

	if (c->ref) {
		if ((rc = by_ref(db, c->ref, &other)) == -1)
			return -1;
		if (rc && other != self)
			return crm__error(db, CRM_EDATA, "customer #%lld has ref "
			    "\"%s\" already (use --update to change it)",
			    (long long)other, c->ref);
	}
	if (c->email) {
		if ((rc = by_email(db, c->email, &other)) == -1)
			return -1;
		if (rc && other != self)
			return crm__error(db, CRM_EDATA, "customer #%lld has email "
			    "%s already (use --update to change it)",
			    (long long)other, c->email);
	}
	return 0;
}

/* write_row: INSERT (id 0) or UPDATE customer c. */
static int write_row(struct crm_db *db, struct crm_customer *c, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	st = crm__prepare(db, id == 0 ?
	    "INSERT INTO customers (" CRM__CUSTOMER_COLS ", created_at,"
	    " updated_at) VALUES (" CRM__CUSTOMER_VALUES ", ?13, ?14)" :
	    "UPDATE customers SET " CRM__CUSTOMER_SET ", updated_at = ?14"
	    " WHERE id = ?15");
	if (st == NULL)
		return -1;
	crm__customer_bind(st, c);
	sqlite3_bind_int64(st, 13, c->created_at);
	sqlite3_bind_int64(st, 14, c->updated_at);
	if (id)
		sqlite3_bind_int64(st, 15, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot store customer");
	if (id == 0)
		c->id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

/* json_of: the customer's fields as a JSON object (caller frees). */
static char *json_of(const struct crm_customer *c)
{
	struct crm_buf b = {0};
	size_t i;
	const char *v;
	int first = 1;

	crm_buf_addc(&b, '{');
	for (i = 0; i < crm_customer_nfields; i++) {
		v = *crm_customer_str((struct crm_customer *)c, i);
		if (v == NULL)
			continue;
		if (!first)
			crm_buf_addc(&b, ',');
		first = 0;
		crm_buf_addjson(&b, crm_customer_fields[i].name);
		crm_buf_addc(&b, ':');
		crm_buf_addjson(&b, v);
	}
	crm_buf_addc(&b, '}');
	return crm_buf_take(&b);
}

int crm_customer_create(struct crm_db *db, struct crm_customer *c)
{
	char *detail;
	int rc;

	if (conflict(db, c, 0) == -1 || crm_forgotten_check(db, c) == -1)
		return -1;
	c->created_at = c->updated_at = crm_now();
	if (write_row(db, c, 0) == -1)
		return -1;
	if ((detail = json_of(c)) == NULL)
		return crm__error(db, CRM_EFAIL, "out of memory");
	rc = crm_audit(db, "customer.create", c->id, 0, detail);
	free(detail);
	return rc;
}

char *crm_json_patch(struct crm_db *db, const char *a, const char *b)
{
	sqlite3_stmt *st;
	char *r = NULL;
	int oom = 0;

	if ((st = crm__prepare(db, "SELECT json_patch(?1, ?2)")) == NULL)
		return NULL;
	crm__bind_text(st, 1, a);
	crm__bind_text(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW)
		r = crm__col_text(st, 0, &oom);
	else
		crm__sqlerr(db, "cannot merge attrs");
	sqlite3_finalize(st);
	if (oom)
		crm__error(db, CRM_EFAIL, "out of memory");
	return r;
}

int crm_customer_merge(struct crm_db *db, int64_t id,
    const struct crm_customer *c, int *changed)
{
	struct crm_customer *old;
	struct crm_buf d = {0};
	size_t i;
	char **o, *n, *nv;
	int rc, any = 0;

	if (changed)
		*changed = 0;
	if (conflict(db, c, id) == -1 || crm_forgotten_check(db, c) == -1)
		return -1;
	if ((rc = crm_customer_get(db, id, &old)) != 1)
		return rc == 0 ? -1 : rc;
	crm_buf_addc(&d, '{');
	for (i = 0; i < crm_customer_nfields; i++) {
		n = *crm_customer_str((struct crm_customer *)c, i);
		o = crm_customer_str(old, i);
		if (n == NULL)
			continue;
		if (strcmp(crm_customer_fields[i].name, "attrs") == 0) {
			if ((nv = crm_json_patch(db, *o ? *o : "{}", n)) == NULL)
				goto fail;
		} else if (*n == '\0') {
			nv = NULL;
		} else if ((nv = strdup(n)) == NULL) {
			crm__error(db, CRM_EFAIL, "out of memory");
			goto fail;
		}
		if ((*o == NULL && nv == NULL) ||
		    (*o && nv && strcmp(*o, nv) == 0)) {
			free(nv);
			continue;
		}
		crm_buf_addf(&d, "%s", any ? "," : "");
		crm_buf_addjson(&d, crm_customer_fields[i].name);
		crm_buf_adds(&d, ":{\"old\":");
		if (*o) crm_buf_addjson(&d, *o); else crm_buf_adds(&d, "null");
		crm_buf_adds(&d, ",\"new\":");
		if (nv) crm_buf_addjson(&d, nv); else crm_buf_adds(&d, "null");
		crm_buf_addc(&d, '}');
		free(*o);
		*o = nv;
		any = 1;
	}
	crm_buf_addc(&d, '}');
	if (d.oom) {
		crm__error(db, CRM_EFAIL, "out of memory");
		goto fail;
	}
	if (any) {
		old->updated_at = crm_now();
		if (write_row(db, old, id) == -1 ||
		    crm_audit(db, "customer.update", id, 0, d.s) == -1)
			goto fail;
	}
	if (changed)
		*changed = any;
	crm_customer_free(old);
	crm_buf_free(&d);
	return 0;
fail:
	crm_customer_free(old);
	crm_buf_free(&d);
	return -1;
}

int crm_tag_add(struct crm_db *db, int64_t id, const char *tag)
{
	char t[128];
	sqlite3_stmt *st;
	size_t i, n;
	int rc;

	while (isspace((unsigned char)*tag))
		tag++;
	n = strlen(tag);
	while (n > 0 && isspace((unsigned char)tag[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(t) || memchr(tag, ',', n))
		return crm__error(db, CRM_EDATA, "invalid tag \"%s\": a tag is "
		    "1 to 127 bytes without ','", tag);
	for (i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)tag[i]);
	t[n] = '\0';
	if ((st = crm__prepare(db, "INSERT INTO tags (customer_id, tag)"
	    " VALUES (?1, ?2) ON CONFLICT DO NOTHING")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	crm__bind_text(st, 2, t);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot store tag");
	if (sqlite3_changes(db->sql) > 0) {
		struct crm_buf d = {0};
		crm_buf_adds(&d, "{\"tag\":");
		crm_buf_addjson(&d, t);
		crm_buf_addc(&d, '}');
		rc = d.oom ? crm__error(db, CRM_EFAIL, "out of memory") :
		    crm_audit(db, "tag.add", id, 0, d.s);
		crm_buf_free(&d);
		return rc;
	}
	return 0;
}

/* joined: run a one-column query for id and join the rows with ','. */
static char *joined(struct crm_db *db, const char *sql, int64_t id)
{
	struct crm_buf b = {0};
	sqlite3_stmt *st;
	int rc, n = 0;

	if ((st = crm__prepare(db, sql)) == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			crm_buf_addc(&b, ',');
		crm_buf_adds(&b, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm_buf_free(&b);
		crm__sqlerr(db, "cannot read customer");
		return NULL;
	}
	if (b.oom)
		crm__error(db, CRM_EFAIL, "out of memory");
	return crm_buf_take(&b);
}

char *crm_tags(struct crm_db *db, int64_t id)
{
	return joined(db, "SELECT tag FROM tags WHERE customer_id = ?1"
	    " ORDER BY tag", id);
}

int crm_consent_set(struct crm_db *db, int64_t id, const char *channel,
    int granted, int64_t at, const char *source)
{
	struct crm_buf d = {0};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; crm_consent_channels[i]; i++)
		if (strcmp(channel, crm_consent_channels[i]) == 0)
			break;
	if (crm_consent_channels[i] == NULL)
		return crm__error(db, CRM_EDATA, "unknown consent channel "
		    "\"%s\" (email, newsletter, post, phone, sms)", channel);
	if ((st = crm__prepare(db, "INSERT INTO consents (customer_id, channel,"
	    " granted, at, source) VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	crm__bind_text(st, 2, channel);
	sqlite3_bind_int(st, 3, granted != 0);
	sqlite3_bind_int64(st, 4, at);
	crm__bind_text(st, 5, source);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot store consent");
	crm_buf_adds(&d, "{\"channel\":");
	crm_buf_addjson(&d, channel);
	crm_buf_addf(&d, ",\"granted\":%s}", granted ? "true" : "false");
	rc = d.oom ? crm__error(db, CRM_EFAIL, "out of memory") :
	    crm_audit(db, "consent.set", id, 0, d.s);
	crm_buf_free(&d);
	return rc;
}

char *crm_consents(struct crm_db *db, int64_t id)
{
	return joined(db, "SELECT channel || '=' || CASE granted WHEN 1"
	    " THEN 'yes' ELSE 'no' END FROM consents c WHERE customer_id = ?1"
	    " AND id = (SELECT id FROM consents d WHERE d.customer_id ="
	    " c.customer_id AND d.channel = c.channel ORDER BY at DESC,"
	    " id DESC LIMIT 1) ORDER BY channel", id);
}
