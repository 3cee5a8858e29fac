/* import.c: crm-import's engine: header recognition and mapping files,
 * value parsing in the file's dialect, matching customers by ref, email or
 * phone, idempotent events, reject files, batches and undo. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "internal.h"
#include "privacy.h"
#include "rfm.h"
#include "csv.h"
#include "customer.h"
#include "event.h"
#include "import.h"
#include "util.h"
#include "value.h"

/* ---- fields and synonyms ---------------------------------------------- */

static const char *const field_names[CRM_I_NFIELDS] = {
	"", "ignore", "attrs", "ref", "first_name", "last_name", "name",
	"company", "email", "phone", "street", "house_number", "postal_code",
	"city", "country", "notes", "tags", "consent_email",
	"consent_newsletter", "consent_post", "consent_phone", "consent_sms",
	"at", "kind", "channel", "amount", "currency", "quantity", "product",
	"category", "rating", "subject", "body", "event_ref", "status", "due",
	"discount",
};

/* Header synonyms, normalised (see norm()). */
static const struct { const char *name; enum crm_ifield f; } synonyms[] = {
	{ "ref", CRM_I_REF }, { "customerref", CRM_I_REF },
	{ "customerid", CRM_I_REF }, { "customerno", CRM_I_REF },
	{ "customernumber", CRM_I_REF }, { "kundennummer", CRM_I_REF },
	{ "kundennr", CRM_I_REF }, { "kdnr", CRM_I_REF },
	{ "kundenid", CRM_I_REF }, { "kunde", CRM_I_REF },
	{ "firstname", CRM_I_FIRST }, { "first", CRM_I_FIRST },
	{ "givenname", CRM_I_FIRST }, { "vorname", CRM_I_FIRST },
	{ "lastname", CRM_I_LAST }, { "last", CRM_I_LAST },
	{ "surname", CRM_I_LAST }, { "familyname", CRM_I_LAST },
	{ "nachname", CRM_I_LAST }, { "familienname", CRM_I_LAST },
	{ "name", CRM_I_NAME }, { "fullname", CRM_I_NAME },
	{ "kundenname", CRM_I_NAME },
	{ "company", CRM_I_COMPANY }, { "firma", CRM_I_COMPANY },
	{ "unternehmen", CRM_I_COMPANY }, { "organisation", CRM_I_COMPANY },
	{ "organization", CRM_I_COMPANY },
	{ "email", CRM_I_EMAIL }, { "mail", CRM_I_EMAIL },
	{ "emailaddress", CRM_I_EMAIL }, { "emailadresse", CRM_I_EMAIL },
	{ "phone", CRM_I_PHONE }, { "telephone", CRM_I_PHONE },
	{ "phonenumber", CRM_I_PHONE }, { "mobile", CRM_I_PHONE },
	{ "telefon", CRM_I_PHONE }, { "tel", CRM_I_PHONE },
	{ "telefonnummer", CRM_I_PHONE }, { "mobil", CRM_I_PHONE },
	{ "handy", CRM_I_PHONE },
	{ "street", CRM_I_STREET }, { "address", CRM_I_STREET },
	{ "strasse", CRM_I_STREET }, { "str", CRM_I_STREET },
	{ "adresse", CRM_I_STREET }, { "anschrift", CRM_I_STREET },
	{ "housenumber", CRM_I_HOUSENO }, { "hausnummer", CRM_I_HOUSENO },
	{ "hausnr", CRM_I_HOUSENO },
	{ "postalcode", CRM_I_POSTAL }, { "zip", CRM_I_POSTAL },
	{ "zipcode", CRM_I_POSTAL }, { "postcode", CRM_I_POSTAL },
	{ "plz", CRM_I_POSTAL }, { "postleitzahl", CRM_I_POSTAL },
	{ "city", CRM_I_CITY }, { "town", CRM_I_CITY }, { "ort", CRM_I_CITY },
	{ "stadt", CRM_I_CITY }, { "wohnort", CRM_I_CITY },
	{ "country", CRM_I_COUNTRY }, { "land", CRM_I_COUNTRY },
	{ "notes", CRM_I_NOTES }, { "note", CRM_I_NOTES },
	{ "notiz", CRM_I_NOTES }, { "bemerkung", CRM_I_NOTES },
	{ "anmerkung", CRM_I_NOTES },
	{ "tags", CRM_I_TAGS }, { "tag", CRM_I_TAGS },
	{ "consentemail", CRM_I_C_EMAIL },
	{ "consentnewsletter", CRM_I_C_NEWSLETTER },
	{ "newsletter", CRM_I_C_NEWSLETTER },
	{ "consentpost", CRM_I_C_POST }, { "werbungpost", CRM_I_C_POST },
	{ "consentphone", CRM_I_C_PHONE }, { "consentsms", CRM_I_C_SMS },
	{ "at", CRM_I_AT }, { "date", CRM_I_AT }, { "orderdate", CRM_I_AT },
	{ "datum", CRM_I_AT }, { "bestelldatum", CRM_I_AT },
	{ "kaufdatum", CRM_I_AT }, { "zeitpunkt", CRM_I_AT },
	{ "kind", CRM_I_KIND }, { "type", CRM_I_KIND },
	{ "eventtype", CRM_I_KIND }, { "art", CRM_I_KIND },
	{ "typ", CRM_I_KIND }, { "vorgang", CRM_I_KIND },
	{ "channel", CRM_I_CHANNEL }, { "kanal", CRM_I_CHANNEL },
	{ "amount", CRM_I_AMOUNT }, { "total", CRM_I_AMOUNT },
	{ "price", CRM_I_AMOUNT }, { "betrag", CRM_I_AMOUNT },
	{ "summe", CRM_I_AMOUNT }, { "preis", CRM_I_AMOUNT },
	{ "gesamt", CRM_I_AMOUNT }, { "gesamtbetrag", CRM_I_AMOUNT },
	{ "umsatz", CRM_I_AMOUNT },
	{ "currency", CRM_I_CURRENCY }, { "waehrung", CRM_I_CURRENCY },
	{ "quantity", CRM_I_QUANTITY }, { "qty", CRM_I_QUANTITY },
	{ "menge", CRM_I_QUANTITY }, { "anzahl", CRM_I_QUANTITY },
	{ "product", CRM_I_PRODUCT }, { "item", CRM_I_PRODUCT },
	{ "sku", CRM_I_PRODUCT }, { "produkt", CRM_I_PRODUCT },
	{ "artikel", CRM_I_PRODUCT }, { "artikelnummer", CRM_I_PRODUCT },
	{ "artikelnr", CRM_I_PRODUCT },
	{ "category", CRM_I_CATEGORY }, { "kategorie", CRM_I_CATEGORY },
	{ "warengruppe", CRM_I_CATEGORY },
	{ "rating", CRM_I_RATING }, { "stars", CRM_I_RATING },
	{ "bewertung", CRM_I_RATING }, { "sterne", CRM_I_RATING },
	{ "subject", CRM_I_SUBJECT }, { "betreff", CRM_I_SUBJECT },
	{ "body", CRM_I_BODY }, { "text", CRM_I_BODY },
	{ "message", CRM_I_BODY }, { "nachricht", CRM_I_BODY },
	{ "beschreibung", CRM_I_BODY },
	{ "eventref", CRM_I_EVREF }, { "ordernumber", CRM_I_EVREF },
	{ "orderno", CRM_I_EVREF }, { "orderid", CRM_I_EVREF },
	{ "order", CRM_I_EVREF }, { "ticket", CRM_I_EVREF },
	{ "campaign", CRM_I_EVREF }, { "bestellnummer", CRM_I_EVREF },
	{ "bestellnr", CRM_I_EVREF }, { "auftragsnummer", CRM_I_EVREF },
	{ "belegnummer", CRM_I_EVREF }, { "rechnungsnummer", CRM_I_EVREF },
	{ "ticketnummer", CRM_I_EVREF }, { "kampagne", CRM_I_EVREF },
	{ "status", CRM_I_STATUS }, { "zustand", CRM_I_STATUS },
	{ "due", CRM_I_DUE }, { "duedate", CRM_I_DUE },
	{ "faellig", CRM_I_DUE }, { "faelligkeit", CRM_I_DUE },
	{ "faelligam", CRM_I_DUE },
	{ "discount", CRM_I_DISCOUNT }, { "discountamount", CRM_I_DISCOUNT },
	{ "rebate", CRM_I_DISCOUNT }, { "rabatt", CRM_I_DISCOUNT },
	{ "rabattbetrag", CRM_I_DISCOUNT }, { "nachlass", CRM_I_DISCOUNT },
	{ "preisnachlass", CRM_I_DISCOUNT }, { "ermaessigung", CRM_I_DISCOUNT },
	/* the columns crm-import adds to reject files */
	{ "rejectline", CRM_I_IGNORE }, { "rejectreason", CRM_I_IGNORE },
};

/* Built-in value maps (after the mapping file's own). */
static const struct { enum crm_ifield f; const char *from, *to; } builtin_values[] = {
	{ CRM_I_KIND, "kauf", "purchase" }, { CRM_I_KIND, "bestellung", "purchase" },
	{ CRM_I_KIND, "order", "purchase" }, { CRM_I_KIND, "rueckgabe", "return" },
	{ CRM_I_KIND, "retoure", "return" }, { CRM_I_KIND, "reklamation", "complaint" },
	{ CRM_I_KIND, "beschwerde", "complaint" }, { CRM_I_KIND, "bewertung", "review" },
	{ CRM_I_KIND, "anruf", "call" }, { CRM_I_KIND, "rueckruf", "callback" },
	{ CRM_I_KIND, "notiz", "note" }, { CRM_I_KIND, "serviceanfrage", "service" },
	{ CRM_I_KIND, "umfrage", "survey" }, { CRM_I_KIND, "mailing", "campaign_sent" },
	{ CRM_I_KIND, "mailingreaktion", "campaign_response" },
	{ CRM_I_STATUS, "offen", "open" }, { CRM_I_STATUS, "erledigt", "closed" },
	{ CRM_I_STATUS, "geschlossen", "closed" }, { CRM_I_STATUS, "done", "closed" },
	{ CRM_I_CHANNEL, "laden", "store" }, { CRM_I_CHANNEL, "filiale", "store" },
	{ CRM_I_CHANNEL, "telefon", "phone" }, { CRM_I_CHANNEL, "brief", "post" },
	{ CRM_I_CHANNEL, "onlineshop", "web" }, { CRM_I_CHANNEL, "online", "web" },
};

const char *crm_ifield_name(enum crm_ifield f)
{
	return f < CRM_I_NFIELDS ? field_names[f] : "";
}

int crm_ifield_parse(const char *name)
{
	int i;

	for (i = 1; i < CRM_I_NFIELDS; i++)
		if (strcmp(name, field_names[i]) == 0)
			return i;
	if (strcmp(name, "date") == 0)
		return CRM_I_AT;
	return -1;
}

/* norm: header h lower-cased, without ' ' '-' '_' '.' '/' '(' ')' ':' '#',
 * German letters folded (ä ae, ö oe, ü ue, ß ss), into out (size n). */
static void norm(const char *h, char *out, size_t n)
{
	const unsigned char *s = (const unsigned char *)h;
	size_t k = 0;
	const char *fold;

	while (*s && k + 3 < n) {
		fold = NULL;
		if (s[0] == 0xC3 && s[1] != 0) {
			switch (s[1]) {
			case 0xA4: case 0x84: fold = "ae"; break;
			case 0xB6: case 0x96: fold = "oe"; break;
			case 0xBC: case 0x9C: fold = "ue"; break;
			case 0x9F: fold = "ss"; break;
			}
		}
		if (fold) {
			out[k++] = fold[0];
			out[k++] = fold[1];
			s += 2;
			continue;
		}
		if (!strchr(" -_./():#\t", *s))
			out[k++] = (char)tolower(*s);
		s++;
	}
	out[k] = '\0';
}

enum crm_ifield crm_ifield_guess(const char *header)
{
	char n[128];
	size_t i;

	norm(header, n, sizeof(n));
	for (i = 0; i < sizeof(synonyms) / sizeof(synonyms[0]); i++)
		if (strcmp(n, synonyms[i].name) == 0)
			return synonyms[i].f;
	return CRM_I_NONE;
}

/* ---- mapping files ---------------------------------------------------- */

struct mapcol { char *header; int f; char *key; };
struct mapval { int f; char *from, *to; };

struct crm_map {
	struct crm_map_settings set;
	struct mapcol *cols;
	size_t ncols;
	char *consts[CRM_I_NFIELDS];
	struct mapval *vals;
	size_t nvals;
};

struct crm_map *crm_map_new(void)
{
	struct crm_map *m = calloc(1, sizeof(*m));

	if (m)
		m->set.enc = CRM_ENC_AUTO;
	return m;
}

struct crm_map_settings *crm_map_settings(struct crm_map *m)
{
	return &m->set;
}

void crm_map_free(struct crm_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ncols; i++) {
		free(m->cols[i].header);
		free(m->cols[i].key);
	}
	for (i = 0; i < m->nvals; i++) {
		free(m->vals[i].from);
		free(m->vals[i].to);
	}
	for (i = 0; i < CRM_I_NFIELDS; i++)
		free(m->consts[i]);
	free(m->cols);
	free(m->vals);
	free(m->set.datefmt);
	free(m->set.kind);
	free(m);
}

/* words: split line into at most max words (spaces separate; "double
 * quotes" group, "" inside is a quote; # starts a comment), in place.
 * Returns the count, or -1 for an unclosed quote. */
static int words(char *line, char **w, int max)
{
	char *s = line, *d;
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return n + 1;
		w[n++] = d = s;
		if (*s == '"') {
			for (s++; ; s++) {
				if (*s == '\0')
					return -1;
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"')
					break;
				*d++ = *s;
			}
			s++;
		} else {
			while (*s && !strchr(" \t\r\n", *s))
				*d++ = *s++;
		}
		if (*s)
			s++;
		*d = '\0';
	}
}

/* field_arg: parse a target ("city", "attrs.KEY", "ignore"); sets *key. */
static int field_arg(const char *w, char **key)
{
	*key = NULL;
	if (strncmp(w, "attrs.", 6) == 0 && w[6]) {
		*key = strdup(w + 6);
		return *key ? CRM_I_ATTR : -1;
	}
	return crm_ifield_parse(w);
}

int crm_map_load(struct crm_map *m, const char *path, char *err,
    size_t errlen)
{
	FILE *fp;
	char line[4096], *w[8], *key;
	long ln = 0;
	int n, f, rc = -1;
	void *p;

#define MAPERR(...) do { int k_ = snprintf(err, errlen, "%s:%ld: ", path, \
	ln); if (k_ > 0 && (size_t)k_ < errlen) snprintf(err + k_, \
	errlen - (size_t)k_, __VA_ARGS__); goto out; } while (0)

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		ln++;
		if ((n = words(line, w, 8)) < 0)
			MAPERR("quote never closed");
		if (n == 0)
			continue;
		if (strcmp(w[0], "encoding") == 0 && n == 2) {
			if (crm_enc_parse(w[1], &m->set.enc) == -1)
				MAPERR("unknown encoding \"%s\" (utf-8, "
				    "windows-1252, iso-8859-1, iso-8859-15, "
				    "utf-16le, auto)", w[1]);
		} else if (strcmp(w[0], "delimiter") == 0 && n == 2) {
			if (strcmp(w[1], "tab") == 0 || strcmp(w[1], "\\t") == 0)
				m->set.delim = '\t';
			else if (strlen(w[1]) == 1 && strchr(",;|", w[1][0]))
				m->set.delim = w[1][0];
			else
				MAPERR("delimiter is one of , ; | tab");
		} else if (strcmp(w[0], "decimal") == 0 && n == 2) {
			if (strcmp(w[1], ",") != 0 && strcmp(w[1], ".") != 0)
				MAPERR("decimal is , or .");
			m->set.decimal = w[1][0];
		} else if (strcmp(w[0], "date-format") == 0 && n == 2) {
			free(m->set.datefmt);
			if ((m->set.datefmt = strdup(w[1])) == NULL)
				MAPERR("out of memory");
		} else if (strcmp(w[0], "skip") == 0 && n == 2) {
			char *e;
			m->set.skip = strtol(w[1], &e, 10);
			if (*e || m->set.skip < 0)
				MAPERR("skip needs a number of lines");
		} else if (strcmp(w[0], "kind") == 0 && n == 2) {
			if (!crm_kind_valid(w[1]))
				MAPERR("unknown kind \"%s\"; kinds are: %s", w[1],
				    crm_kind_list());
			free(m->set.kind);
			if ((m->set.kind = strdup(w[1])) == NULL)
				MAPERR("out of memory");
		} else if (strcmp(w[0], "column") == 0 && n == 3) {
			if ((f = field_arg(w[2], &key)) < 0)
				MAPERR("unknown field \"%s\" (see crm(5))", w[2]);
			p = realloc(m->cols, (m->ncols + 1) * sizeof(*m->cols));
			if (p == NULL) {
				free(key);
				MAPERR("out of memory");
			}
			m->cols = p;
			m->cols[m->ncols].f = f;
			m->cols[m->ncols].key = key;
			if ((m->cols[m->ncols++].header = strdup(w[1])) == NULL)
				MAPERR("out of memory");
		} else if (strcmp(w[0], "set") == 0 && n == 3) {
			if ((f = crm_ifield_parse(w[1])) < CRM_I_REF)
				MAPERR("unknown field \"%s\" (see crm(5))", w[1]);
			free(m->consts[f]);
			if ((m->consts[f] = strdup(w[2])) == NULL)
				MAPERR("out of memory");
		} else if (strcmp(w[0], "value") == 0 && n == 4) {
			if ((f = crm_ifield_parse(w[1])) < CRM_I_REF)
				MAPERR("unknown field \"%s\" (see crm(5))", w[1]);
			p = realloc(m->vals, (m->nvals + 1) * sizeof(*m->vals));
			if (p == NULL)
				MAPERR("out of memory");
			m->vals = p;
			m->vals[m->nvals].f = f;
			m->vals[m->nvals].from = strdup(w[2]);
			m->vals[m->nvals].to = strdup(w[3]);
			if (m->vals[m->nvals++].to == NULL ||
			    m->vals[m->nvals - 1].from == NULL)
				MAPERR("out of memory");
		} else {
			MAPERR("cannot read \"%s\" (see crm(5) for mapping "
			    "files)", w[0]);
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
#undef MAPERR
}

/* ---- one import run --------------------------------------------------- */

enum { S_REF, S_EMAIL, S_PHONE, S_GET, S_INS, S_UPD, S_CHANGE, S_CONS_GET,
	S_CONS_INS, S_TAG, S_EV, S_EV_BATCH, S_DELETED, S_MAX };

static const char *const stmt_sql[S_MAX] = {
	"SELECT id FROM customers WHERE ref = ?1",
	"SELECT id FROM customers WHERE email = ?1",
	"SELECT id, ref, email FROM customers WHERE phone = ?1 LIMIT 2",
	"SELECT ref, first_name, last_name, company, email, phone, street,"
	" postal_code, city, country, notes, attrs, batch_id"
	" FROM customers WHERE id = ?1",
	"INSERT INTO customers (ref, first_name, last_name, company, email,"
	" phone, street, postal_code, city, country, notes, attrs, created_at,"
	" updated_at, batch_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	" ?10, ?11, coalesce(?12, '{}'), ?13, ?13, ?14)",
	"UPDATE customers SET ref = ?1, first_name = ?2, last_name = ?3,"
	" company = ?4, email = ?5, phone = ?6, street = ?7, postal_code = ?8,"
	" city = ?9, country = ?10, notes = ?11, attrs = coalesce(?12, '{}'),"
	" updated_at = ?13 WHERE id = ?14",
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
	"SELECT 1 FROM deleted_events WHERE customer_id = ?1 AND dedupe = ?2",
};

#define NCONSENT 5
static const char *const consent_channel[NCONSENT] = {
	"email", "newsletter", "post", "phone", "sms"
};

#define NDATES 4096             /* a power of two */

struct imp {
	struct crm_db *db;
	struct crm_map *m;
	const struct crm_import_opts *o;
	struct crm_import_stats *st;
	struct crm_csv *r;
	const char *name;
	unsigned match;
	char **hdr;             /* header copy */
	size_t nhdr;
	int *colf;              /* field of each column */
	const char **colkey;    /* attrs key of each column (borrowed) */
	int has_event;          /* the file has event columns or a kind */
	int decimal;
	const char *datefmt, *kind;
	int64_t now, batch;
	char source[48];
	sqlite3_stmt *s[S_MAX];
	FILE *rej;
	int rej_failed;
	struct crm_dialect dia;
	struct crm_buf out, attrs, tmp;
	char reason[768];
	long line;
	/* the last customer found by ref alone, for files grouped by customer */
	char lastref[64];
	int64_t lastid;
	/* Secondary indexes of events dropped for a load into an empty events
	 * table and built again by sorting before the commit (see
	 * defer_indexes): DROP and CREATE statement of each, in turn. */
	char **defer_sql;
	size_t ndefer;
	/* One bit per customer id: set when this batch added an event for that
	 * customer. An event whose dedupe key is taken for a customer without
	 * the bit is there from an earlier import, without a second look. */
	unsigned char *evbits;
	size_t nevbits;
	/* whether deleted_events has rows (crm-log --delete): events
	 * deleted are not imported again */
	int deleted;
	/* the last value mapped for each field (see mapped) */
	struct memo { char from[32]; const char *to; int same, valid; }
	    memo[CRM_I_NFIELDS];
	/* parsed dates (see parse_date), NDATES of them, ndates used */
	struct date { char s[24]; int64_t t; } *dates;
	size_t ndates;
};

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

/* map_value: v after the value maps for field f (the mapping file's, then
 * the built-in ones, compared ignoring case and German letters). */
static const char *map_value(struct imp *im, int f, const char *v)
{
	char a[128];
	size_t i;

	for (i = 0; i < im->m->nvals; i++)
		if (im->m->vals[i].f == f &&
		    strcasecmp(im->m->vals[i].from, v) == 0)
			return im->m->vals[i].to;
	if (f != CRM_I_KIND && f != CRM_I_STATUS && f != CRM_I_CHANNEL)
		return v;
	if (f == CRM_I_KIND && crm_kind_valid(v))
		return v;
	norm(v, a, sizeof(a));
	/* builtin_values[].from are written as norm() leaves them */
	for (i = 0; i < sizeof(builtin_values) / sizeof(builtin_values[0]); i++)
		if ((int)builtin_values[i].f == f &&
		    strcmp(a, builtin_values[i].from) == 0)
			return builtin_values[i].to;
	return v;
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
	to = map_value(im, f, v);
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

/* bind_customer: the 12 text fields as ?1..?12. */
static void bind_customer(sqlite3_stmt *st, struct crm_customer *c)
{
	size_t i;

	for (i = 0; i < crm_customer_nfields; i++)
		crm__bind_text(st, (int)i + 1, *crm_customer_str(c, i));
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
	bind_customer(st, c);
	sqlite3_bind_int64(st, 13, im->now);
	sqlite3_bind_int64(st, 14, im->batch);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return crm__sqlerr(im->db, "cannot store customer");
	}
	sqlite3_reset(st);
	c->id = sqlite3_last_insert_rowid(im->db->sql);
	if (crm__find_keys(im->db, c->id, c, 1) == -1)
		return -1;
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

/*
 * merge: update customer id with the non-empty fields of c. *changed set.
 * *mine is set when the customer was created by this batch. Returns 0,
 * 1 rejected, -1.
 */
static int merge(struct imp *im, int64_t id, struct crm_customer *c,
    int *changed, int *mine)
{
	char wb[32];

	struct crm_customer old = {0};
	struct crm_buf d = {0}, a = {0};
	sqlite3_stmt *st;
	char buf[32], *nv;
	const char *w;
	size_t i;
	int oom = 0, rc = -1;
	int64_t ob;

	*changed = 0;
	if ((st = stmt(im, S_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return crm__sqlerr(im->db, "cannot read customer");
	}
	for (i = 0; i < crm_customer_nfields; i++)
		*crm_customer_str(&old, i) = crm__col_text(st, (int)i, &oom);
	ob = crm__col_int(st, (int)i);
	sqlite3_reset(st);
	*mine = ob == im->batch;
	if (oom) {
		crm__error(im->db, CRM_EFAIL, "out of memory");
		goto out;
	}
	if (im->o->mode == CRM_IMPORT_CREATE && !*mine) {
		rc = rejectf(im, "customer %s exists already (--mode create "
		    "only adds customers)", who(&old, id, wb, sizeof(wb)));
		goto out;
	}
	if (c->ref && old.ref && strcmp(c->ref, old.ref) != 0) {
		rc = rejectf(im, "customer #%lld found by email or phone has "
		    "ref %s, not %s", (long long)id, old.ref, c->ref);
		goto out;
	}
	if ((rc = forgotten(im, c)) != 0)
		goto out;
	rc = -1;
	w = who(&old, id, buf, sizeof(buf));
	crm_buf_addc(&d, '{');
	for (i = 0; i < crm_customer_nfields; i++) {
		char **o = crm_customer_str(&old, i);
		const char *n = *crm_customer_str(c, i);

		if (n == NULL)
			continue;
		if (strcmp(crm_customer_fields[i].name, "attrs") == 0) {
			if ((nv = crm_json_patch(im->db, *o ? *o : "{}", n)) ==
			    NULL)
				goto out;
		} else if ((nv = strdup(n)) == NULL) {
			crm__error(im->db, CRM_EFAIL, "out of memory");
			goto out;
		}
		if (*o && strcmp(*o, nv) == 0) {
			free(nv);
			continue;
		}
		if (d.len > 1)
			crm_buf_addc(&d, ',');
		crm_buf_addjson(&d, crm_customer_fields[i].name);
		crm_buf_addc(&d, ':');
		if (*o)
			crm_buf_addjson(&d, *o);
		else
			crm_buf_adds(&d, "null");
		/* the audit entry: old and new, as crm-add writes it */
		crm_buf_adds(&a, a.len ? "," : "{");
		crm_buf_addjson(&a, crm_customer_fields[i].name);
		crm_buf_adds(&a, ":{\"old\":");
		if (*o)
			crm_buf_addjson(&a, *o);
		else
			crm_buf_adds(&a, "null");
		crm_buf_adds(&a, ",\"new\":");
		crm_buf_addjson(&a, nv);
		crm_buf_addc(&a, '}');
		change(im, "update", w, crm_customer_fields[i].name, *o, nv);
		free(*o);
		*o = nv;
		*changed = 1;
	}
	crm_buf_addc(&d, '}');
	if (d.oom) {
		crm__error(im->db, CRM_EFAIL, "out of memory");
		goto out;
	}
	if (*changed) {
		if ((st = stmt(im, S_UPD)) == NULL)
			goto out;
		bind_customer(st, &old);
		sqlite3_bind_int64(st, 13, im->now);
		sqlite3_bind_int64(st, 14, id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			crm__sqlerr(im->db, "cannot store customer");
			sqlite3_reset(st);
			goto out;
		}
		sqlite3_reset(st);
		if (crm__find_keys(im->db, id, &old, 0) == -1)
			goto out;
		if (!*mine) {
			crm_buf_addc(&a, '}');
			if (a.oom) {
				crm__error(im->db, CRM_EFAIL, "out of memory");
				goto out;
			}
			if (crm_audit(im->db, "customer.update", id, 0, a.s) == -1)
				goto out;
			if ((st = stmt(im, S_CHANGE)) == NULL)
				goto out;
			sqlite3_bind_int64(st, 1, im->batch);
			sqlite3_bind_int64(st, 2, id);
			crm__bind_text(st, 3, d.s);
			if (sqlite3_step(st) != SQLITE_DONE) {
				crm__sqlerr(im->db, "cannot record change");
				sqlite3_reset(st);
				goto out;
			}
			sqlite3_reset(st);
		}
	}
	rc = 0;
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
		if (im->deleted) {
			/* deleted with crm-log --delete: stays deleted */
			if ((st = stmt(im, S_DELETED)) == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, ev->customer_id);
			sqlite3_bind_int64(st, 2, key);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc == SQLITE_ROW) {
				*added = 0;
				return 0;
			}
			if (rc != SQLITE_DONE)
				return crm__sqlerr(im->db, "cannot read events");
		}
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
 * row: import one data row. Returns 0 when done, 1 when rejected (reason
 * in im->reason), -1 on a database error.
 */
static int row(struct imp *im, char **f, size_t n)
{
	const char *v[CRM_I_NFIELDS] = {0}, *why;
	struct crm_customer c = {0};
	struct crm_event ev;
	char *s, *tags[32], *tagbuf = NULL, *first = NULL, *last = NULL;
	char wbuf[32], cur[4] = "", dcur[4] = "";
	int cons[NCONSENT], ev_cells = 0, at_given = 0, oom = 0, rc = -1;
	int has_data = 0, nkeys = 0, changed = 0, mine = 0, added = 0, isnew = 0;
	size_t i, ntags = 0;
	int64_t id = 0;

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
				ev_cells = 1;
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

	/* The event, checked before anything is written. */
	crm_event_init(&ev);
	if (ev_cells) {
		if (v[CRM_I_KIND] == NULL)
			return rejectf(im, "no kind: give a kind column or "
			    "--kind");
		ev.kind = (char *)v[CRM_I_KIND];
		if (!crm_kind_valid(ev.kind))
			return rejectf(im, "unknown kind \"%s\"; kinds are: %s "
			    "(or map it in a mapping file)", ev.kind,
			    crm_kind_list());
		ev.at = im->now;
		if (v[CRM_I_AT]) {
			if (parse_date(im, v[CRM_I_AT], &ev.at, &why) == -1)
				return rejectf(im, "invalid date \"%s\": %s%s",
				    v[CRM_I_AT], why, im->datefmt ? "" :
				    " (give date-format in a mapping file)");
			at_given = 1;
		}
		if (v[CRM_I_AMOUNT] && crm_parse_money(v[CRM_I_AMOUNT],
		    im->decimal, &ev.amount_cents, cur, &why) == -1)
			return rejectf(im, "invalid amount \"%s\": %s%s",
			    v[CRM_I_AMOUNT], why, im->decimal ? "" :
			    " (give decimal in a mapping file)");
		if (v[CRM_I_DISCOUNT] && crm_parse_money(v[CRM_I_DISCOUNT],
		    im->decimal, &ev.discount_cents, dcur, &why) == -1)
			return rejectf(im, "invalid discount \"%s\": %s (an "
			    "amount such as 5.00%s)", v[CRM_I_DISCOUNT], why,
			    im->decimal ? "" : "; give decimal in a mapping file");
		if (dcur[0] && (cur[0] || v[CRM_I_CURRENCY]) && strcmp(dcur,
		    v[CRM_I_CURRENCY] ? v[CRM_I_CURRENCY] : cur) != 0)
			return rejectf(im, "the discount \"%s\" is in %s, the "
			    "amount in %s", v[CRM_I_DISCOUNT], dcur,
			    v[CRM_I_CURRENCY] ? v[CRM_I_CURRENCY] : cur);
		if (v[CRM_I_QUANTITY] && crm_parse_int(v[CRM_I_QUANTITY], 0,
		    INT32_MAX, &ev.quantity, &why) == -1)
			return rejectf(im, "invalid quantity \"%s\": %s",
			    v[CRM_I_QUANTITY], why);
		if (v[CRM_I_RATING] && crm_parse_int(v[CRM_I_RATING], 1, 5,
		    &ev.rating, &why) == -1)
			return rejectf(im, "invalid rating \"%s\": a whole "
			    "number from 1 to 5", v[CRM_I_RATING]);
		if (v[CRM_I_DUE] && crm_parse_date(v[CRM_I_DUE], im->datefmt,
		    im->now, &ev.due_at, &why) == -1)
			return rejectf(im, "invalid due date \"%s\": %s",
			    v[CRM_I_DUE], why);
		ev.currency = (char *)(v[CRM_I_CURRENCY] ? v[CRM_I_CURRENCY] :
		    cur[0] ? cur : dcur[0] ? dcur : NULL);
		ev.channel = (char *)v[CRM_I_CHANNEL];
		ev.product = (char *)v[CRM_I_PRODUCT];
		ev.category = (char *)v[CRM_I_CATEGORY];
		ev.subject = (char *)v[CRM_I_SUBJECT];
		ev.body = (char *)v[CRM_I_BODY];
		ev.ref = (char *)v[CRM_I_EVREF];
		ev.status = (char *)v[CRM_I_STATUS];
		if (crm_event_check(im->db, &ev) == -1)
			return rejectf(im, "%s", crm_errmsg(im->db));
	}

	/* Consents and tags, checked. */
	for (i = 0; i < NCONSENT; i++) {
		cons[i] = -1;
		if (v[CRM_I_C_EMAIL + i] == NULL)
			continue;
		if ((cons[i] = yesno(v[CRM_I_C_EMAIL + i])) == -1)
			return rejectf(im, "invalid %s \"%s\": yes or no (ja, "
			    "nein, 1, 0)", field_names[CRM_I_C_EMAIL + i],
			    v[CRM_I_C_EMAIL + i]);
		has_data = 1;
	}
	if (v[CRM_I_TAGS]) {
		if ((tagbuf = strdup(v[CRM_I_TAGS])) == NULL)
			return crm__error(im->db, CRM_EFAIL, "out of memory");
		for (s = strtok(tagbuf, ",;"); s && ntags < 32;
		    s = strtok(NULL, ",;")) {
			s = crm_strtrim(s);
			if (*s == '\0')
				continue;
			if (strlen(s) > 127) {
				free(tagbuf);
				return rejectf(im, "tag longer than 127 bytes");
			}
			for (char *p = s; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			tags[ntags++] = s;
			has_data = 1;
		}
	}

	/* The customer. */
	c.ref = dupstr(v[CRM_I_REF], &oom);
	c.first_name = dupstr(v[CRM_I_FIRST], &oom);
	c.last_name = dupstr(v[CRM_I_LAST], &oom);
	if (v[CRM_I_NAME] && (!c.first_name || !c.last_name)) {
		size_t k = strlen(v[CRM_I_NAME]) + 1;
		if ((first = malloc(k)) == NULL || (last = malloc(k)) == NULL)
			oom = 1;
		else {
			crm_split_name(v[CRM_I_NAME], first, last);
			if (!c.first_name && *first)
				c.first_name = dupstr(first, &oom);
			if (!c.last_name && *last)
				c.last_name = dupstr(last, &oom);
		}
		free(first);
		free(last);
	}
	c.company = dupstr(v[CRM_I_COMPANY], &oom);
	c.email = dupstr(v[CRM_I_EMAIL], &oom);
	c.phone = dupstr(v[CRM_I_PHONE], &oom);
	if (v[CRM_I_STREET] && v[CRM_I_HOUSENO]) {
		crm_buf_reset(&im->tmp);
		crm_buf_addf(&im->tmp, "%s %s", v[CRM_I_STREET],
		    v[CRM_I_HOUSENO]);
		c.street = dupstr(im->tmp.oom ? NULL : im->tmp.s, &oom);
	} else {
		c.street = dupstr(v[CRM_I_STREET], &oom);
	}
	c.postal_code = dupstr(v[CRM_I_POSTAL], &oom);
	c.city = dupstr(v[CRM_I_CITY], &oom);
	c.country = dupstr(v[CRM_I_COUNTRY], &oom);
	c.notes = dupstr(v[CRM_I_NOTES], &oom);
	c.attrs = dupstr(im->attrs.len ? im->attrs.s : NULL, &oom);
	if (oom || im->attrs.oom) {
		crm__error(im->db, CRM_EFAIL, "out of memory");
		goto out;
	}
	if (crm_customer_normalise(im->db, &c) == -1) {
		rc = crm_errcode(im->db) == CRM_EDATA ?
		    rejectf(im, "%s", crm_errmsg(im->db)) : -1;
		goto out;
	}
	nkeys = !!c.ref + !!c.email + !!c.phone;
	for (i = 0; i < crm_customer_nfields; i++)
		if (*crm_customer_str(&c, i))
			has_data++;
	has_data = has_data > 1 || (has_data == 1 && nkeys == 0);
	if (nkeys == 0) {
		rc = has_data || ev_cells ? rejectf(im, "no ref, email or "
		    "phone to recognise the customer by") : 2;
		goto out;
	}
	if (!has_data && nkeys == 1 && c.ref && im->lastid &&
	    strcmp(c.ref, im->lastref) == 0 && (im->match & CRM_MATCH_REF)) {
		id = im->lastid;
	} else {
		if ((rc = find(im, &c, &id)) != 0)
			goto out;
		im->lastid = 0;
		if (id && c.ref && strlen(c.ref) < sizeof(im->lastref)) {
			strcpy(im->lastref, c.ref);
			im->lastid = id;
		}
	}
	rc = -1;
	if (id == 0) {
		if (im->o->mode == CRM_IMPORT_UPDATE) {
			rc = rejectf(im, "no customer %s (--mode update only "
			    "changes customers)", who(&c, 0, wbuf, sizeof(wbuf)));
			goto out;
		}
		if ((rc = forgotten(im, &c)) != 0 || (rc = create(im, &c)) != 0)
			goto out;
		id = c.id;
		isnew = mine = 1;
		im->st->created++;
	} else if (has_data) {
		if ((rc = merge(im, id, &c, &changed, &mine)) != 0)
			goto out;
		rc = -1;
	} else if (im->o->mode == CRM_IMPORT_CREATE) {
		rc = rejectf(im, "customer %s exists already (--mode create "
		    "only adds customers)", who(&c, id, wbuf, sizeof(wbuf)));
		goto out;
	}
	for (i = 0; i < NCONSENT; i++)
		if (cons[i] >= 0 && consent(im, id, isnew, (int)i, cons[i],
		    &changed) == -1)
			goto out;
	for (i = 0; i < ntags; i++)
		if (tag(im, id, mine, tags[i], &changed) == -1)
			goto out;
	if (!isnew && has_data && !mine) {
		if (changed)
			im->st->updated++;
		else
			im->st->unchanged++;
	}
	if (ev_cells) {
		ev.customer_id = id;
		if (add_event(im, &ev, at_given, &added) == -1)
			goto out;
		if (added)
			im->st->events_added++;
		else
			im->st->events_present++;
		if (im->o->on_change) {
			describe(im, &ev);
			change(im, added ? "event" : "present",
			    who(&c, id, wbuf, sizeof(wbuf)), "", NULL,
			    im->tmp.s);
		}
	}
	rc = 0;
out:
	free(tagbuf);
	crm_customer_clear(&c);
	return rc == 2 ? 0 : rc;
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

/* reject_row: write the original row with its line and reason. 0 or -1. */
static int reject_row(struct imp *im, char **f, size_t n)
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

/* ---- files ------------------------------------------------------------ */

/* setup: read the header and decide what each column feeds. 0 or -1. */
static int setup(struct imp *im, char **f, size_t n)
{
	size_t i, j, known = 0;
	int g;

	while (n > 0 && *crm_strtrim(f[n - 1]) == '\0')
		n--;                    /* trailing empty columns */
	im->nhdr = n;
	im->hdr = calloc(n + 1, sizeof(*im->hdr));
	im->colf = calloc(n + 1, sizeof(*im->colf));
	im->colkey = calloc(n + 1, sizeof(*im->colkey));
	if (!im->hdr || !im->colf || !im->colkey)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	for (i = 0; i < n; i++) {
		if ((im->hdr[i] = strdup(crm_strtrim(f[i]))) == NULL)
			return crm__error(im->db, CRM_EFAIL, "out of memory");
		im->colkey[i] = im->hdr[i];
		g = -1;
		for (j = 0; j < im->m->ncols; j++) {
			char a[128], b[128];
			norm(im->m->cols[j].header, a, sizeof(a));
			norm(im->hdr[i], b, sizeof(b));
			if (strcmp(a, b) == 0) {
				g = im->m->cols[j].f;
				if (im->m->cols[j].key)
					im->colkey[i] = im->m->cols[j].key;
				break;
			}
		}
		if (g < 0)
			g = (int)crm_ifield_guess(im->hdr[i]);
		if (im->hdr[i][0] == '\0' && g == CRM_I_NONE) {
			static char col[] = "column";
			im->colkey[i] = col;
		}
		im->colf[i] = g;
		if (g >= CRM_I_REF)
			known++;
		if (g >= CRM_I_AT)
			im->has_event = 1;
	}
	if (known == 0)
		return crm__error(im->db, CRM_EDATA, "%s:%ld: no column is "
		    "recognised (header \"%s\"...): name them as crm(5) lists "
		    "or give a mapping file (crm-import --sniff makes one)",
		    im->name, im->line, n ? im->hdr[0] : "");
	return 0;
}

/* batch_begin: the batch row. 0 or -1. */
static int batch_begin(struct imp *im)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(im->db, "INSERT INTO batches (file,"
	    " started_at, user, command) VALUES (?1, ?2, ?3, ?4)")) == NULL)
		return -1;
	crm__bind_text(st, 1, im->name);
	sqlite3_bind_int64(st, 2, im->now);
	crm__bind_text(st, 3, crm_db_user(im->db));
	crm__bind_text(st, 4, im->db->source ? im->db->source : "crm-import");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot record batch");
	im->batch = sqlite3_last_insert_rowid(im->db->sql);
	snprintf(im->source, sizeof(im->source), "crm-import batch %lld",
	    (long long)im->batch);
	if ((st = crm__prepare(im->db, "SELECT EXISTS (SELECT 1"
	    " FROM deleted_events)")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	im->deleted = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(im->db, "cannot read deleted events");
	return 0;
}

/* batch_end: record checksum, end time and figures; audit. 0 or -1. */
static int batch_end(struct imp *im)
{
	struct crm_import_stats *s = im->st;
	struct crm_buf d = {0};
	sqlite3_stmt *st;
	int rc;

	crm_buf_addf(&d, "{\"rows\":%ld,\"created\":%ld,\"updated\":%ld,"
	    "\"unchanged\":%ld,\"events_added\":%ld,\"events_present\":%ld,"
	    "\"rejected\":%ld}", s->rows, s->created, s->updated,
	    s->unchanged, s->events_added, s->events_present, s->rejected);
	if (d.oom)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	if ((st = crm__prepare(im->db, "UPDATE batches SET sha256 = ?2,"
	    " finished_at = ?3, stats = ?4 WHERE id = ?1")) == NULL) {
		crm_buf_free(&d);
		return -1;
	}
	sqlite3_bind_int64(st, 1, im->batch);
	crm__bind_text(st, 2, s->sha256);
	sqlite3_bind_int64(st, 3, crm_now());
	crm__bind_text(st, 4, d.s);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm_buf_free(&d);
		return crm__sqlerr(im->db, "cannot record batch");
	}
	crm_buf_reset(&d);
	crm_buf_addf(&d, "{\"batch\":%lld,\"file\":", (long long)im->batch);
	crm_buf_addjson(&d, im->name);
	crm_buf_addf(&d, ",\"rows\":%ld,\"rejected\":%ld}", s->rows,
	    s->rejected);
	rc = d.oom ? crm__error(im->db, CRM_EFAIL, "out of memory") :
	    crm_audit(im->db, "import.batch", 0, 0, d.s);
	crm_buf_free(&d);
	return rc;
}

/*
 * defer_indexes: for a load into an empty events table, drop the secondary
 * (non-unique) indexes of events and keep their CREATE statements for
 * build_indexes, which makes them again before the commit. Adding rows one
 * by one to events_at and the like touches index pages all over the file
 * (with millions of events they do not fit in the page cache); CREATE INDEX
 * sorts once and writes each page once. The unique indexes stay: the
 * import relies on events_dedupe to recognise events. This happens in the
 * batch's transaction, so a failure or a crash rolls the drop back with
 * everything else, and other connections never see the table without its
 * indexes. 0 or -1.
 */
static int defer_indexes(struct imp *im)
{
	sqlite3_stmt *st;
	char **v;
	int rc, empty;
	size_t i;

	if (im->o->dry_run)
		return 0;
	if ((st = crm__prepare(im->db, "SELECT NOT EXISTS"
	    " (SELECT 1 FROM events)")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	empty = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(im->db, "cannot read events");
	if (!empty)
		return 0;
	if ((st = crm__prepare(im->db, "SELECT m.name, m.sql FROM sqlite_master"
	    " m JOIN pragma_index_list('events') l ON l.name = m.name"
	    " WHERE m.type = 'index' AND l.\"unique\" = 0 AND m.sql IS NOT NULL"
	    " ORDER BY m.rowid")) == NULL)
		return -1;
	/* Names and statements first: the schema cannot change while it is
	 * being read. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((v = realloc(im->defer_sql, (im->ndefer + 2) *
		    sizeof(*v))) == NULL)
			break;
		im->defer_sql = v;
		v[im->ndefer] = sqlite3_mprintf("DROP INDEX \"%w\"",
		    (const char *)sqlite3_column_text(st, 0));
		v[im->ndefer + 1] = sqlite3_mprintf("%s",
		    (const char *)sqlite3_column_text(st, 1));
		im->ndefer += 2;
		if (v[im->ndefer - 2] == NULL || v[im->ndefer - 1] == NULL)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return crm__sqlerr(im->db, "cannot read the schema");
	if (rc == SQLITE_ROW)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	for (i = 0; i < im->ndefer; i += 2)
		if (crm__exec(im->db, im->defer_sql[i]) == -1)
			return -1;
	for (i = 0; i < S_MAX; i++) {   /* prepared before the drop */
		sqlite3_finalize(im->s[i]);
		im->s[i] = NULL;
	}
	return 0;
}

/* build_indexes: make the indexes defer_indexes dropped. CREATE INDEX
 * sorts in memory as large as the page cache before it spills to temporary
 * files; with the bulk cache for both the peak went over 100 MiB. An eighth
 * of it (8 MiB) keeps the peak below that of the load, and the sort is no
 * slower (it reads the table once and writes the index in order). 0 or -1. */
static int build_indexes(struct imp *im)
{
	char sql[64];
	size_t i;

	if (im->ndefer == 0)
		return 0;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d",
	    CRM_BULK_CACHE_KIB / 8);
	if (crm__exec(im->db, sql) == -1)
		return -1;
	for (i = 1; i < im->ndefer; i += 2)
		if (crm__exec(im->db, im->defer_sql[i]) == -1)
			return -1;
	return crm_db_bulk(im->db);
}

/* imp_free: everything but db. */
static void imp_free(struct imp *im)
{
	size_t i;

	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(im->s[i]);
	for (i = 0; im->hdr && i < im->nhdr; i++)
		free(im->hdr[i]);
	free(im->hdr);
	free(im->colf);
	free(im->colkey);
	for (i = 0; i < im->ndefer; i++)
		sqlite3_free(im->defer_sql[i]);
	free(im->defer_sql);
	free(im->evbits);
	free(im->dates);
	crm_buf_free(&im->out);
	crm_buf_free(&im->attrs);
	crm_buf_free(&im->tmp);
	crm_csv_close(im->r);
	if (im->rej)
		fclose(im->rej);
}

/* open_reader: the CSV reader for fp with the map's settings; skips the
 * map's skip lines. 0 or -1. */
static int open_reader(struct imp *im, FILE *fp)
{
	struct crm_map_settings *ms = &im->m->set;
	char **f;
	size_t n;
	long k;
	int rc;

	if ((im->r = crm_csv_open(fp, im->name, ms->delim)) == NULL)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	crm_csv_set_encoding(im->r, ms->enc);
	for (k = 0; k < ms->skip; k++)
		if ((rc = crm_csv_read(im->r, &f, &n)) != 1)
			break;
	return 0;
}

int crm_import_file(struct crm_db *db, struct crm_map *m,
    const struct crm_import_opts *opts, FILE *fp, const char *name,
    struct crm_import_stats *st)
{
	struct imp im;
	struct crm_map_settings *ms = &m->set;
	char **f;
	size_t n;
	int rc, ret = -1;

	memset(&im, 0, sizeof(im));
	memset(st, 0, sizeof(*st));
	im.db = db;
	im.m = m;
	im.o = opts;
	im.st = st;
	im.name = strcmp(name, "-") == 0 ? "<stdin>" : name;
	im.match = opts->match ? opts->match :
	    CRM_MATCH_REF | CRM_MATCH_EMAIL | CRM_MATCH_PHONE;
	im.now = crm_now();
	im.kind = ms->kind;
	im.datefmt = ms->datefmt;
	if (open_reader(&im, fp) == -1)
		goto out;
	if (crm_db_bulk(db) == -1 || crm_db_begin(db) == -1)
		goto out;
	if (batch_begin(&im) == -1 || defer_indexes(&im) == -1)
		goto fail;
	if ((rc = crm_csv_read(im.r, &f, &n)) != 1) {
		if (rc == -1)
			crm__error(db, CRM_EDATA, "%s", crm_csv_errmsg(im.r));
		else
			crm__error(db, CRM_EDATA, "%s: empty file: no header "
			    "row", im.name);
		goto fail;
	}
	im.line = crm_csv_line(im.r);
	crm_csv_dialect(im.r, &im.dia);
	if (setup(&im, f, n) == -1)
		goto fail;
	im.decimal = ms->decimal ? ms->decimal : im.dia.delim == ';' ? ',' : 0;
	while ((rc = crm_csv_read(im.r, &f, &n)) == 1) {
		im.line = crm_csv_line(im.r);
		st->rows++;
		if ((rc = row(&im, f, n)) == -1)
			goto fail;
		if (rc == 1) {
			crm_csv_dialect(im.r, &im.dia);
			if (reject_row(&im, f, n) == -1)
				goto fail;
		}
		if (opts->on_progress && (st->rows & 4095) == 0)
			opts->on_progress(opts->arg, st->rows,
			    crm_csv_offset(im.r));
	}
	if (rc == -1) {
		crm__error(db, CRM_EDATA, "%s (nothing imported from this "
		    "file)", crm_csv_errmsg(im.r));
		goto fail;
	}
	crm_csv_sha256(im.r, st->sha256);
	crm_csv_dialect(im.r, &im.dia);
	snprintf(st->encoding, sizeof(st->encoding), "%s",
	    crm_enc_name(im.dia.enc));
	st->delim = im.dia.delim;
	if (im.rej && fflush(im.rej) == EOF) {
		crm__error(db, CRM_EIO, "cannot write reject file %s: %s",
		    opts->rejects, strerror(errno));
		goto fail;
	}
	if (build_indexes(&im) == -1 || batch_end(&im) == -1)
		goto fail;
	if (opts->dry_run || (opts->strict && st->rejected > 0)) {
		if (crm_db_rollback(db) == -1)
			goto out;
	} else {
		if (crm_db_commit(db) == -1)
			goto fail;
		st->committed = 1;
		st->batch = im.batch;
	}
	ret = 0;
	goto out;
fail:
	crm_db_rollback(db);
out:
	imp_free(&im);
	return ret;
}

/* ---- sniff ------------------------------------------------------------ */

/* map_quote: append w as a mapping-file word. */
static void map_quote(struct crm_buf *b, const char *w)
{
	const char *p;

	if (*w && !strpbrk(w, " \t\"#")) {
		crm_buf_adds(b, w);
		return;
	}
	crm_buf_addc(b, '"');
	for (p = w; *p; p++) {
		if (*p == '"')
			crm_buf_addc(b, '"');
		crm_buf_addc(b, *p);
	}
	crm_buf_addc(b, '"');
}

int crm_import_sniff(struct crm_db *db, struct crm_map *m, FILE *fp,
    const char *name, struct crm_buf *out)
{
	struct imp im;
	char **f, *sample[256] = {0};
	size_t n, i;
	long rows = 0, comma = 0, point = 0, dayfirst = 0, monthfirst = 0;
	int rc, ret = -1, a, b;

	memset(&im, 0, sizeof(im));
	im.db = db;
	im.m = m;
	im.name = strcmp(name, "-") == 0 ? "<stdin>" : name;
	if (open_reader(&im, fp) == -1)
		goto out;
	if ((rc = crm_csv_read(im.r, &f, &n)) != 1) {
		crm__error(db, CRM_EDATA, "%s", rc == -1 ?
		    crm_csv_errmsg(im.r) : "empty file: no header row");
		goto out;
	}
	im.line = crm_csv_line(im.r);
	if (setup(&im, f, n) == -1 && crm_errcode(db) != CRM_EDATA)
		goto out;
	while (rows < 1000 && (rc = crm_csv_read(im.r, &f, &n)) == 1) {
		rows++;
		for (i = 0; i < n && i < im.nhdr && i < 256; i++) {
			const char *s = crm_strtrim(f[i]);
			size_t k = strlen(s);
			if (*s && sample[i] == NULL)
				sample[i] = strdup(s);
			if ((im.colf[i] == CRM_I_AMOUNT ||
			    im.colf[i] == CRM_I_DISCOUNT) && k > 3) {
				if (s[k - 3] == ',' || strchr(s, ',') > strchr(s, '.'))
					comma += strchr(s, ',') != NULL;
				if (s[k - 3] == '.')
					point++;
			}
			if ((im.colf[i] == CRM_I_AT || im.colf[i] == CRM_I_DUE) &&
			    sscanf(s, "%d/%d/", &a, &b) == 2) {
				dayfirst += a > 12;
				monthfirst += b > 12;
			}
		}
	}
	if (rc == -1) {
		crm__error(db, CRM_EDATA, "%s", crm_csv_errmsg(im.r));
		goto out;
	}
	crm_csv_dialect(im.r, &im.dia);
	crm_buf_addf(out, "# crm-import mapping for %s (see crm(5))\n"
	    "# made by crm-import --sniff from %ld rows: check it, keep it "
	    "beside the file\n", im.name, rows);
	crm_buf_addf(out, "encoding %s\n", crm_enc_name(im.dia.enc));
	crm_buf_addf(out, "delimiter %s\n", im.dia.delim == '\t' ? "tab" :
	    im.dia.delim == ';' ? ";" : im.dia.delim == '|' ? "|" : ",");
	if (comma > point || (comma == point && im.dia.delim == ';'))
		crm_buf_adds(out, "decimal ,\n");
	else
		crm_buf_adds(out, "decimal .\n");
	if (dayfirst && !monthfirst)
		crm_buf_adds(out, "date-format %d/%m/%Y\n");
	else if (monthfirst && !dayfirst)
		crm_buf_adds(out, "date-format %m/%d/%Y\n");
	else if (dayfirst && monthfirst)
		crm_buf_adds(out, "# dates are both day-first and month-first: "
		    "check the date column\n");
	else
		crm_buf_adds(out, "# date-format %d.%m.%Y\n");
	if (m->set.skip)
		crm_buf_addf(out, "skip %ld\n", m->set.skip);
	if (m->set.kind)
		crm_buf_addf(out, "kind %s\n", m->set.kind);
	else if (im.has_event) {
		for (i = 0; i < im.nhdr && im.colf[i] != CRM_I_KIND; i++)
			;
		if (i == im.nhdr)
			crm_buf_adds(out, "# no kind column: set one, e.g.\n"
			    "kind purchase\n");
	}
	for (i = 0; i < im.nhdr; i++) {
		int fld = im.colf[i];
		if (fld == CRM_I_NONE)
			crm_buf_adds(out, "# not recognised, goes into attrs:\n#");
		crm_buf_adds(out, "column ");
		map_quote(out, im.hdr[i]);
		crm_buf_addc(out, ' ');
		if (fld == CRM_I_NONE || fld == CRM_I_ATTR) {
			crm_buf_adds(out, "attrs.");
			crm_buf_adds(out, im.colkey[i]);
		} else {
			crm_buf_adds(out, field_names[fld]);
		}
		if (i < 256 && sample[i]) {
			char *nl;
			crm_buf_adds(out, "\t# ");
			for (nl = sample[i]; *nl; nl++)
				if (*nl == '\n' || *nl == '\r')
					*nl = ' ';
			crm_buf_addf(out, "%.40s", sample[i]);
		}
		crm_buf_addc(out, '\n');
	}
	crm_buf_adds(out, "# value kind Kauf purchase\n"
	    "# set channel store\n");
	if (out->oom) {
		crm__error(db, CRM_EFAIL, "out of memory");
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < 256; i++)
		free(sample[i]);
	imp_free(&im);
	return ret;
}

/* ---- batches ---------------------------------------------------------- */

int crm_batch_each(struct crm_db *db,
    int (*fn)(void *arg, int64_t id, const char *file, const char *sha256,
    int64_t started, int64_t finished, const char *user, const char *stats,
    int64_t undone), void *arg)
{
	sqlite3_stmt *st;
	int rc, stop = 0;

	if ((st = crm__prepare(db, "SELECT id, file, sha256, started_at,"
	    " finished_at, user, stats, undone_at FROM batches ORDER BY id")) ==
	    NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stop = fn(arg, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    crm__col_int(st, 3), crm__col_int(st, 4),
		    (const char *)sqlite3_column_text(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    crm__col_int(st, 7));
		if (stop)
			break;
	}
	if (!stop && rc != SQLITE_DONE)
		stop = crm__sqlerr(db, "cannot read batches");
	sqlite3_finalize(st);
	return stop;
}

/* run1: a one-off statement with ?1 = id; its changes, or -1. */
static long run1(struct crm_db *db, const char *sql, int64_t id,
    const char *s2)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (s2)
		crm__bind_text(st, 2, s2);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot undo batch");
	return sqlite3_changes(db->sql);
}

/* restore: put the old values of one batch_changes row back. */
static int restore(struct crm_db *db, int64_t cid, const char *old)
{
	sqlite3_stmt *st, *up;
	char sql[128];
	const char *k;
	int rc, f;

	if ((st = crm__prepare(db, "SELECT key, value FROM json_each(?1)")) ==
	    NULL)
		return -1;
	crm__bind_text(st, 1, old);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(k, "+tag") == 0) {
			snprintf(sql, sizeof(sql), "DELETE FROM tags WHERE"
			    " customer_id = ?1 AND tag = ?2");
		} else {
			/* Column names from the fixed list only. */
			if ((f = crm_customer_field(k)) < 0)
				continue;
			snprintf(sql, sizeof(sql), "UPDATE customers SET %s ="
			    " coalesce(?2, CASE WHEN '%s' = 'attrs' THEN '{}'"
			    " END) WHERE id = ?1", crm_customer_fields[f].name,
			    crm_customer_fields[f].name);
		}
		if ((up = crm__prepare(db, sql)) == NULL) {
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_bind_int64(up, 1, cid);
		sqlite3_bind_value(up, 2, sqlite3_column_value(st, 1));
		rc = sqlite3_step(up);
		sqlite3_finalize(up);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return crm__sqlerr(db, "cannot undo batch");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot undo batch");
	return 0;
}

int crm_batch_undo(struct crm_db *db, int64_t id, long *customers_deleted,
    long *customers_restored, long *events_deleted)
{
	sqlite3_stmt *st;
	char src[48];
	int rc;
	int64_t undone = CRM_NONE, n;
	long k;

	*customers_deleted = *customers_restored = *events_deleted = 0;
	if (crm_db_begin(db) == -1)
		return -1;
	if ((st = crm__prepare(db, "SELECT undone_at FROM batches"
	    " WHERE id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		undone = crm__col_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		crm__error(db, CRM_EDATA, "no batch %lld (crm-import --list "
		    "shows them)", (long long)id);
		goto fail;
	}
	if (undone != CRM_NONE) {
		crm__error(db, CRM_EDATA, "batch %lld was undone already",
		    (long long)id);
		goto fail;
	}
	/* Restore updated customers, newest change first. */
	if ((st = crm__prepare(db, "SELECT customer_id, old FROM batch_changes"
	    " WHERE batch_id = ?1 ORDER BY rowid DESC")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (restore(db, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1)) == -1 ||
		    crm__find_keys_reload(db, sqlite3_column_int64(st, 0)) == -1) {
			sqlite3_finalize(st);
			goto fail;
		}
		(*customers_restored)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot undo batch");
		goto fail;
	}
	if ((k = run1(db, "DELETE FROM events WHERE batch_id = ?1", id,
	    NULL)) < 0)
		goto fail;
	*events_deleted = k;
	/* The kept per-customer aggregates counted those events. */
	if (k > 0 && crm_stats_invalidate(db) == -1)
		goto fail;
	snprintf(src, sizeof(src), "crm-import batch %lld", (long long)id);
	if (run1(db, "DELETE FROM consents WHERE source = ?2", id, src) < 0)
		goto fail;
	if ((st = crm__prepare(db, "SELECT count(*) FROM events e JOIN"
	    " customers c ON c.id = e.customer_id WHERE c.batch_id = ?1")) ==
	    NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		crm__sqlerr(db, "cannot undo batch");
		goto fail;
	}
	if (n > 0) {
		crm__error(db, CRM_EDATA, "cannot undo batch %lld: customers "
		    "it created have %lld events from elsewhere (undo later "
		    "batches first)", (long long)id, (long long)n);
		goto fail;
	}
	if (run1(db, "DELETE FROM tags WHERE customer_id IN (SELECT id FROM"
	    " customers WHERE batch_id = ?1)", id, NULL) < 0 ||
	    run1(db, "DELETE FROM find_keys WHERE customer_id IN (SELECT id"
	    " FROM customers WHERE batch_id = ?1)", id, NULL) < 0 ||
	    run1(db, "DELETE FROM consents WHERE customer_id IN (SELECT id"
	    " FROM customers WHERE batch_id = ?1)", id, NULL) < 0 ||
	    (k = run1(db, "DELETE FROM customers WHERE batch_id = ?1", id,
	    NULL)) < 0)
		goto fail;
	*customers_deleted = k;
	if ((st = crm__prepare(db, "UPDATE batches SET undone_at = ?2"
	    " WHERE id = ?1")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, crm_now());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm__sqlerr(db, "cannot undo batch");
		goto fail;
	}
	snprintf(src, sizeof(src), "{\"batch\":%lld}", (long long)id);
	if (crm_audit(db, "import.undo", 0, 0, src) == -1 ||
	    crm_db_commit(db) == -1)
		goto fail;
	return 0;
fail:
	crm_db_rollback(db);
	return -1;
}
