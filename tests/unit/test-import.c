/* test-import.c: unit tests for libcrm/import*.c and sha256.c: header
 * synonyms, mapping files, and a small import through the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm.h"
#include "tap.h"

static void test_guess(void)
{
	static const struct { const char *h; const char *f; } t[] = {
		{ "Kundennummer", "ref" }, { "Kunden-Nr.", "ref" },
		{ "E-Mail", "email" }, { "EMAIL", "email" }, { "Mail", "email" },
		{ "Tel.", "phone" }, { "Mobil", "phone" },
		{ "Stra\xC3\x9F" "e", "street" }, { "Strasse", "street" },
		{ "Hausnummer", "house_number" }, { "PLZ", "postal_code" },
		{ "Postleitzahl", "postal_code" }, { "Ort", "city" },
		{ "Stadt", "city" }, { "Datum", "at" }, { "Betrag", "amount" },
		{ "Summe", "amount" }, { "Preis", "amount" }, { "Menge", "quantity" },
		{ "Artikel", "product" }, { "Warengruppe", "category" },
		{ "Kanal", "channel" }, { "Betreff", "subject" },
		{ "Bewertung", "rating" }, { "Bestellnummer", "event_ref" },
		{ "W\xC3\xA4hrung", "currency" }, { "first_name", "first_name" },
		{ "Last Name", "last_name" }, { "Vorname", "first_name" },
		{ "Firma", "company" }, { "reject_reason", "ignore" },
		{ "Lieblingsfarbe", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(crm_ifield_name(crm_ifield_guess(t[i].h)), t[i].f,
		    "header \"%s\"", t[i].h);
	is_int(crm_ifield_parse("postal_code"), CRM_I_POSTAL, "field by name");
	is_int(crm_ifield_parse("nope"), -1, "unknown field");
}

static void test_map(void)
{
	char path[] = "/tmp/crm-map-XXXXXX", err[256];
	struct crm_map *m;
	FILE *fp;
	int fd;

	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fputs("# comment\nencoding windows-1252\ndelimiter ;\ndecimal ,\n"
	    "date-format %d/%m/%Y\nskip 2\nkind purchase\n"
	    "column \"Kd \"\"Nr\"\"\" ref\nvalue kind Kauf purchase\n"
	    "set channel web\n", fp);
	fclose(fp);
	m = crm_map_new();
	ok(crm_map_load(m, path, err, sizeof(err)) == 0, "mapping file loads");
	is_int(crm_map_settings(m)->enc, CRM_ENC_CP1252, "encoding");
	is_int(crm_map_settings(m)->delim, ';', "delimiter");
	is_int(crm_map_settings(m)->decimal, ',', "decimal");
	is_str(crm_map_settings(m)->datefmt, "%d/%m/%Y", "date format");
	is_int(crm_map_settings(m)->skip, 2, "skip");
	is_str(crm_map_settings(m)->kind, "purchase", "kind");
	crm_map_free(m);

	fp = fopen(path, "w");
	fputs("delimiter ;\ncolumn a b c\n", fp);
	fclose(fp);
	m = crm_map_new();
	ok(crm_map_load(m, path, err, sizeof(err)) == -1, "bad line fails");
	ok(strstr(err, ":2: cannot read \"column\"") != NULL,
	    "with file and line: %s", err);
	crm_map_free(m);
	fp = fopen(path, "w");
	fputs("kind purchse\n", fp);
	fclose(fp);
	m = crm_map_new();
	ok(crm_map_load(m, path, err, sizeof(err)) == -1 &&
	    strstr(err, "unknown kind") != NULL, "unknown kind: %s", err);
	crm_map_free(m);
	crm_map_free(NULL);
	unlink(path);
}

/* import: import text through the library into a fresh database. */
static int import(struct crm_db *db, const char *text,
    struct crm_import_stats *st)
{
	struct crm_import_opts o = { 0 };
	struct crm_map *m = crm_map_new();
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;

	rc = crm_import_file(db, m, &o, fp, "t.csv", st);
	fclose(fp);
	crm_map_free(m);
	return rc;
}

static void test_import(void)
{
	char path[] = "/tmp/crm-imp-XXXXXX", dbp[64];
	struct crm_db *db;
	struct crm_import_stats st;
	struct crm_customer *c;
	long a, b, e;
	int fd;

	setenv("CRM_NOW", "2026-11-26T12:00:00", 1);
	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	unlink(path);
	snprintf(dbp, sizeof(dbp), "%s.db", path);
	if (crm_db_open(&db, dbp, "test-import", 0, 0) == -1)
		abort();
	ok(import(db, "Kundennummer;Name;Ort;Datum;Art;Betrag\n"
	    "K1;Anna M\xC3\xBCller;Berlin;20.11.2026;Kauf;1.234,50\n"
	    "K1;;;21.11.2026;Kauf;5\n", &st) == 0, "import");
	is_int(st.created, 1, "one customer created");
	is_int(st.events_added, 2, "two events");
	is_int(st.delim, ';', "delimiter");
	ok(crm_customer_get(db, 1, &c) == 1 && strcmp(c->last_name,
	    "M\xC3\xBCller") == 0 && strcmp(c->city, "Berlin") == 0,
	    "name split, city stored");
	crm_customer_free(c);
	ok(import(db, "Kundennummer;Name;Ort;Datum;Art;Betrag\n"
	    "K1;Anna M\xC3\xBCller;Berlin;20.11.2026;Kauf;1.234,50\n"
	    "K1;;;21.11.2026;Kauf;5\n", &st) == 0, "import again");
	is_int(st.events_added, 0, "no event added the second time");
	is_int(st.events_present, 2, "both present");
	is_int(st.unchanged, 1, "customer unchanged");
	ok(import(db, "ref,city\nK1,Hamburg\n", &st) == 0, "update");
	is_int(st.updated, 1, "updated");
	ok(crm_batch_undo(db, st.batch, &a, &b, &e) == 0 && b == 1,
	    "undo restores one change");
	ok(crm_customer_get(db, 1, &c) == 1 && strcmp(c->city, "Berlin") == 0,
	    "city restored");
	crm_customer_free(c);
	ok(crm_batch_undo(db, 1, &a, &b, &e) == 0 && a == 1 && e == 2,
	    "undo of the first batch deletes its customer and events");
	ok(import(db, "ref\n", &st) == 0 && st.rows == 0, "header only");
	ok(import(db, "", &st) == -1 && crm_errcode(db) == CRM_EDATA,
	    "empty file: %s", crm_errmsg(db));
	crm_db_close(db);
	unlink(dbp);
	snprintf(dbp + strlen(dbp), 8, "-wal");
	unlink(dbp);
}

int main(void)
{
	test_guess();
	test_map();
	test_import();
	return done();
}
