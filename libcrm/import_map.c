/* import_map.c: what the columns of an import feed: the field names and
 * their English and German header synonyms, mapping files, value maps,
 * and --sniff, which writes a mapping file for a file. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "csv.h"
#include "event.h"
#include "import.h"
#include "import_int.h"
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

/* ---- value maps and columns ------------------------------------------- */

const char *crm__map_value(const struct crm_map *m, int f, const char *v)
{
	char a[128];
	size_t i;

	for (i = 0; i < m->nvals; i++)
		if (m->vals[i].f == f &&
		    strcasecmp(m->vals[i].from, v) == 0)
			return m->vals[i].to;
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

int crm__map_column(const struct crm_map *m, const char *header,
    const char **key)
{
	char a[128], b[128];
	size_t j;

	norm(header, b, sizeof(b));
	for (j = 0; j < m->ncols; j++) {
		norm(m->cols[j].header, a, sizeof(a));
		if (strcmp(a, b) == 0) {
			if (m->cols[j].key)
				*key = m->cols[j].key;
			return m->cols[j].f;
		}
	}
	return (int)crm_ifield_guess(header);
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
	if (crm__import_open(&im, fp) == -1)
		goto out;
	if ((rc = crm_csv_read(im.r, &f, &n)) != 1) {
		crm__error(db, CRM_EDATA, "%s", rc == -1 ?
		    crm_csv_errmsg(im.r) : "empty file: no header row");
		goto out;
	}
	im.line = crm_csv_line(im.r);
	if (crm__import_setup(&im, f, n) == -1 && crm_errcode(db) != CRM_EDATA)
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
	crm__import_free(&im);
	return ret;
}
