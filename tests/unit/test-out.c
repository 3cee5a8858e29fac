/* test-out.c: unit tests for the writers (libcrm/out.c), and round trips
 * through the reader (libcrm/csv.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "out.h"
#include "util.h"
#include "tap.h"

static char *outbuf;

/*
 * render: write a header of n columns (types as given) and nrows rows of
 * cells (row-major, NULL allowed) in fmt with flags; returns the output.
 * Borrowed: valid until the next call.
 */
static const char *render(enum crm_fmt fmt, unsigned flags, const char *types,
    size_t n, const char *const *hdr, size_t nrows, const char *const *cells)
{
	struct crm_out *o;
	size_t len, i;
	FILE *fp;

	free(outbuf);
	if ((fp = open_memstream(&outbuf, &len)) == NULL ||
	    (o = crm_out_new(fp, fmt, flags)) == NULL)
		abort();
	if (crm_out_header(o, hdr, n, types) < 0)
		printf("# crm_out_header failed\n");
	for (i = 0; i < nrows; i++)
		if (crm_out_row(o, cells + i * n, n) < 0)
			printf("# crm_out_row failed\n");
	if (crm_out_end(o) < 0)
		printf("# crm_out_end failed\n");
	crm_out_free(o);
	fclose(fp);
	return outbuf;
}

/* csv1: one CSV cell v under header "h", without the header row. */
static const char *csv1(unsigned flags, const char *v)
{
	const char *h[] = { "h" };
	const char *c[] = { v };

	return render(CRM_FMT_CSV, flags | CRM_OUT_NOHEADER, NULL, 1, h, 1, c);
}

static void test_fmt(void)
{
	enum crm_fmt f = CRM_FMT_JSON;
	FILE *fp;
	int m, s;

	ok(crm_fmt_parse("csv", &f) == 0 && f == CRM_FMT_CSV, "csv");
	ok(crm_fmt_parse("tsv", &f) == 0 && f == CRM_FMT_TSV, "tsv");
	ok(crm_fmt_parse("table", &f) == 0 && f == CRM_FMT_TABLE, "table");
	ok(crm_fmt_parse("json", &f) == 0 && f == CRM_FMT_JSON, "json");
	ok(crm_fmt_parse("xml", &f) == -1 && f == CRM_FMT_JSON,
	    "unknown: -1, fmt untouched");
	is_int(crm_fmt_parse("", &f), -1, "empty name");
	fp = fopen("/dev/null", "w");
	is_int(crm_fmt_default(fp), CRM_FMT_CSV, "not a terminal: csv");
	fclose(fp);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 &&
	    (s = open(ptsname(m), O_RDWR | O_NOCTTY)) >= 0) {
		fp = fdopen(s, "w");
		is_int(crm_fmt_default(fp), CRM_FMT_TABLE, "terminal: table");
		fclose(fp);
	} else {
		ok(1, "# skip no pseudo-terminal");
	}
	if (m >= 0)
		close(m);
}

static void test_csv(void)
{
	const char *h[] = { "id", "name" };
	const char *c[] = { "1", "Anna", "2", NULL, "", "" };

	is_str(render(CRM_FMT_CSV, 0, NULL, 2, h, 3, c),
	    "id,name\n1,Anna\n2,\n,\n", "header, rows, NULL and empty");
	is_str(render(CRM_FMT_CSV, CRM_OUT_NOHEADER, NULL, 2, h, 1, c),
	    "1,Anna\n", "NOHEADER");
	is_str(render(CRM_FMT_CSV, 0, NULL, 2, h, 0, c), "id,name\n",
	    "no rows: header only");
	is_str(csv1(0, "a,b"), "\"a,b\"\n", "comma quoted");
	is_str(csv1(0, "say \"hi\""), "\"say \"\"hi\"\"\"\n", "quotes doubled");
	is_str(csv1(0, "l1\nl2"), "\"l1\nl2\"\n", "LF quoted");
	is_str(csv1(0, "cr\r"), "\"cr\r\"\n", "CR quoted");
	is_str(csv1(0, " lead"), "\" lead\"\n", "leading space quoted");
	is_str(csv1(0, "trail "), "\"trail \"\n", "trailing space quoted");
	is_str(csv1(0, "\tx"), "\"\tx\"\n", "leading tab quoted");
	is_str(csv1(0, "in side"), "in side\n", "inner space not quoted");
	is_str(csv1(0, "a;b"), "a;b\n", "';' not quoted with ','");
	is_str(csv1(0, "=1+1"), "=1+1\n", "no neutralising without EXCEL");
	is_str(csv1(0, "M\xC3\xBCller"), "M\xC3\xBCller\n", "UTF-8 as is");
	is_str(csv1(CRM_OUT_SEMICOLON, "a;b"), "\"a;b\"\n",
	    "SEMICOLON: ';' quoted");
	is_str(csv1(CRM_OUT_SEMICOLON, "1,5"), "1,5\n",
	    "SEMICOLON: ',' not quoted");
	is_str(render(CRM_FMT_CSV, CRM_OUT_SEMICOLON, NULL, 2, h, 1, c),
	    "id;name\n1;Anna\n", "SEMICOLON delimiter");
}

static void test_excel(void)
{
	const char *h[] = { "id", "=h" };
	const char *c[] = { "1", "x" };

	is_str(render(CRM_FMT_CSV, CRM_OUT_EXCEL, NULL, 2, h, 1, c),
	    "\xEF\xBB\xBFid,'=h\r\n1,x\r\n", "EXCEL: BOM, CRLF, header too");
	is_str(render(CRM_FMT_CSV, CRM_OUT_EXCEL | CRM_OUT_NOHEADER, NULL, 2, h,
	    1, c), "\xEF\xBB\xBF" "1,x\r\n", "EXCEL NOHEADER: still a BOM");
	is_str(render(CRM_FMT_CSV, CRM_OUT_EXCEL | CRM_OUT_SEMICOLON, NULL, 2,
	    h, 1, c), "\xEF\xBB\xBFid;'=h\r\n1;x\r\n", "EXCEL and SEMICOLON");
	is_str(csv1(CRM_OUT_EXCEL, "=1+1"), "\xEF\xBB\xBF'=1+1\r\n", "=");
	is_str(csv1(CRM_OUT_EXCEL, "+49 30 1234"),
	    "\xEF\xBB\xBF'+49 30 1234\r\n", "+");
	is_str(csv1(CRM_OUT_EXCEL, "-5"), "\xEF\xBB\xBF'-5\r\n", "-");
	is_str(csv1(CRM_OUT_EXCEL, "@SUM(A1)"), "\xEF\xBB\xBF'@SUM(A1)\r\n",
	    "@");
	is_str(csv1(CRM_OUT_EXCEL, "\tx"), "\xEF\xBB\xBF'\tx\r\n",
	    "tab: neutralised, no longer leading so not quoted");
	is_str(csv1(CRM_OUT_EXCEL, "\rx"), "\xEF\xBB\xBF\"'\rx\"\r\n",
	    "CR: neutralised inside the quotes");
	is_str(csv1(CRM_OUT_EXCEL, "\n=x"), "\xEF\xBB\xBF\"'\n=x\"\r\n", "LF");
	is_str(csv1(CRM_OUT_EXCEL, "=HYPERLINK(\"x\",\"y\")"),
	    "\xEF\xBB\xBF\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n",
	    "neutralised and quoted");
	is_str(csv1(CRM_OUT_EXCEL, "a=b"), "\xEF\xBB\xBF" "a=b\r\n",
	    "= later in the cell is fine");
	is_str(csv1(CRM_OUT_EXCEL, " =x"), "\xEF\xBB\xBF\" =x\"\r\n",
	    "leading space: quoted, not neutralised");
	is_str(render(CRM_FMT_TSV, CRM_OUT_EXCEL | CRM_OUT_SEMICOLON, NULL, 2,
	    h, 1, c), "id\t=h\n1\tx\n", "EXCEL and SEMICOLON only for CSV");
}

static void test_tsv(void)
{
	const char *h[] = { "a", "b" };
	const char *c[] = { "x\ty", "l1\nl2\r", "back\\slash", NULL,
	    "\"q\"", "a,b;c" };

	is_str(render(CRM_FMT_TSV, 0, NULL, 2, h, 3, c),
	    "a\tb\nx\\ty\tl1\\nl2\\r\nback\\\\slash\t\n\"q\"\ta,b;c\n",
	    "TSV escapes, no quoting");
	is_str(render(CRM_FMT_TSV, CRM_OUT_NOHEADER, NULL, 2, h, 1, c),
	    "x\\ty\tl1\\nl2\\r\n", "TSV NOHEADER");
}

static void test_table(void)
{
	const char *h[] = { "name", "city" };
	const char *c[] = { "M\xC3\xBCller", "K\xC3\xB6ln", "Li", "Berlin" };
	const char *c2[] = { "a\tb\nc\x7f", NULL, "x", "\xC2\x85y" };
	char long41[42], want[200];
	const char *c3[] = { long41, "x" };
	const char *h1[] = { "v" };
	const char *c4[] = {
		"\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
		"\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
		"\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
		"\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
		"\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC\xC3\xBC"
		"\xC3\xBC\xC3\xBC"
	};
	struct crm_out *o;
	FILE *fp;
	char *buf = NULL;
	size_t len;

	is_str(render(CRM_FMT_TABLE, 0, NULL, 2, h, 2, c),
	    "name    city\n"
	    "M\xC3\xBCller  K\xC3\xB6ln\n"
	    "Li      Berlin\n", "aligned by characters, not bytes (M\xC3\xBCller)");
	is_str(render(CRM_FMT_TABLE, CRM_OUT_NOHEADER, NULL, 2, h, 2, c),
	    "M\xC3\xBCller  K\xC3\xB6ln\nLi      Berlin\n", "NOHEADER");
	is_str(render(CRM_FMT_TABLE, 0, NULL, 2, h, 0, c), "name  city\n",
	    "no rows: header only");
	is_str(render(CRM_FMT_TABLE, 0, NULL, 2, h, 2, c2),
	    "name    city\na b c   \nx        y\n",
	    "control characters (C0, DEL, C1) as spaces, NULL empty");

	memset(long41, 'x', 40);
	long41[40] = '\0';
	{
		const char *hh[] = { "v", "w" };

		snprintf(want, sizeof want, "v%39s  w\n%s  x\n", "", long41);
		is_str(render(CRM_FMT_TABLE, 0, NULL, 2, hh, 1, c3), want,
		    "40 characters: not cut");
		long41[40] = 'y';
		long41[41] = '\0';
		snprintf(want, sizeof want, "v%39s  w\n%.39s\xE2\x80\xA6  x\n",
		    "", long41);
		is_str(render(CRM_FMT_TABLE, 0, NULL, 2, hh, 1, c3), want,
		    "41 characters: 39 and \xE2\x80\xA6, next column aligned");
	}
	snprintf(want, sizeof want, "v\n%.78s\xE2\x80\xA6\n", c4[0]);
	is_str(render(CRM_FMT_TABLE, 0, NULL, 1, h1, 1, c4), want,
	    "42 \xC3\xBC cut at a character boundary");

	{
		/* Terminal escapes, 8-bit CSI, bidi override, bad bytes. */
		const char *c5[] = { "\x1b]0;pwned\x07\x1b[2J" "a\xC2\x9B" "1m"
		    "\xE2\x80\xAE" "b\xE2\x81\xA6" "c\x9B\xFF" "d\xE2\x80\x94" };

		is_str(render(CRM_FMT_TABLE, CRM_OUT_NOHEADER, NULL, 1, h1, 1,
		    c5), " ]0;pwned  [2Ja 1m b c??d\xE2\x80\x94\n",
		    "no escape, CSI, bidi control or invalid byte reaches the "
		    "terminal; a dash does");
	}
	{
		struct crm_buf b = { 0 };
		int r;

		ok(crm_buf_addterm(&b, NULL) == 0 && strcmp(b.s, "") == 0,
		    "crm_buf_addterm(NULL): empty string");
		crm_buf_addterm(&b, "x\ny\xE2\x80\xA8z\xED\xA0\x80");
		is_str(b.s, "x y z???", "newline, U+2028, surrogate bytes");
		crm_buf_free(&b);
		is_int((int)crm_term_char("\xF0\x9F\x98\x80", 4, &r), 4,
		    "emoji: one character of four bytes");
		is_int(r, 0, "emoji is safe");
		is_int((int)crm_term_char("\xF0\x9F\x98", 3, &r), 1,
		    "cut sequence: one byte");
		is_int(r, '?', "shown as ?");
	}

	/* Nothing is written before crm_out_end. */
	fp = open_memstream(&buf, &len);
	o = crm_out_new(fp, CRM_FMT_TABLE, 0);
	crm_out_header(o, h, 2, NULL);
	crm_out_row(o, c, 2);
	fflush(fp);
	is_int((long)len, 0, "table: nothing written before the end");
	is_int(crm_out_end(o), 0, "crm_out_end ok");
	fflush(fp);
	ok(len > 0, "table written at the end");
	crm_out_free(o);
	fclose(fp);
	free(buf);
}

/* json1: the JSON output for one value v of type t in column "v". */
static const char *json1(const char *t, const char *v)
{
	const char *h[] = { "v" };
	const char *c[] = { v };

	return render(CRM_FMT_JSON, 0, t, 1, h, 1, c);
}

static void test_json(void)
{
	const char *h[] = { "id", "name", "amount" };
	const char *c[] = {
		"1", "Anna", "12.50",
		"x", "B\"\\\n\r\t\b\f\x01\x1f\x7f", "1e5",
		NULL, NULL, "",
	};
	const char *hq[] = { "a\"b" };
	const char *cq[] = { "1" };
	static const char *const nums[] = {
		"0", "-0", "12", "-12.5", "1e5", "1E+5", "1.5e-3", "0.0",
	};
	static const char *const notnums[] = {
		"01", "1.", ".", ".5", "+1", "0x10", "NaN", "Infinity", "",
		"1e", "1e+", "- 1", " 1", "1 ", "--1", "1.5.5", "-",
	};
	char want[100];
	size_t i;

	is_str(render(CRM_FMT_JSON, 0, "nsn", 3, h, 0, c), "[]\n",
	    "no rows: []");
	is_str(render(CRM_FMT_JSON, 0, "nsn", 3, h, 3, c),
	    "[\n"
	    "{\"id\":1,\"name\":\"Anna\",\"amount\":12.50},\n"
	    "{\"id\":\"x\",\"name\":\"B\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\","
	    "\"amount\":1e5},\n"
	    "{\"id\":null,\"name\":null,\"amount\":\"\"}\n"
	    "]\n", "typing, escaping, null");
	is_str(render(CRM_FMT_JSON, 0, NULL, 3, h, 1, c),
	    "[\n{\"id\":\"1\",\"name\":\"Anna\",\"amount\":\"12.50\"}\n]\n",
	    "types NULL: all strings");
	is_str(render(CRM_FMT_JSON, 0, NULL, 1, hq, 1, cq),
	    "[\n{\"a\\\"b\":\"1\"}\n]\n", "keys escaped");
	is_str(render(CRM_FMT_JSON, CRM_OUT_NOHEADER, NULL, 1, hq, 1, cq),
	    "[\n{\"a\\\"b\":\"1\"}\n]\n", "NOHEADER does not matter");
	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		snprintf(want, sizeof want, "[\n{\"v\":%s}\n]\n", nums[i]);
		is_str(json1("n", nums[i]), want, "number %s", nums[i]);
	}
	for (i = 0; i < sizeof notnums / sizeof notnums[0]; i++) {
		snprintf(want, sizeof want, "[\n{\"v\":\"%s\"}\n]\n",
		    notnums[i]);
		is_str(json1("n", notnums[i]), want, "not a number: \"%s\"",
		    notnums[i]);
	}
	is_str(json1("s", "12"), "[\n{\"v\":\"12\"}\n]\n", "'s' stays a string");
	is_str(json1("n", NULL), "[\n{\"v\":null}\n]\n", "NULL number: null");
	is_str(json1("s", "M\xC3\xBCller \xE2\x82\xAC \xF0\x9D\x84\x9E"),
	    "[\n{\"v\":\"M\xC3\xBCller \xE2\x82\xAC \xF0\x9D\x84\x9E\"}\n]\n",
	    "UTF-8 as is");
	is_str(json1("s", "a\xFF" "b\xC3"), "[\n{\"v\":\"a\\ufffdb\\ufffd\"}\n]\n",
	    "bytes that are not UTF-8: U+FFFD");
}

static void test_errors(void)
{
	const char *h[] = { "a", "b" };
	const char *c[] = { "1", "2" };
	static const enum crm_fmt fmts[] = {
		CRM_FMT_CSV, CRM_FMT_TSV, CRM_FMT_TABLE, CRM_FMT_JSON
	};
	struct crm_out *o;
	FILE *fp;
	size_t i;
	int rc;

	fp = fopen("/dev/null", "w");
	o = crm_out_new(fp, CRM_FMT_CSV, 0);
	errno = 0;
	is_int(crm_out_row(o, c, 2), -1, "row before header");
	is_int(errno, EINVAL, "EINVAL");
	is_int(crm_out_header(o, h, 2, NULL), 0, "header");
	errno = 0;
	is_int(crm_out_row(o, c, 1), -1, "row of the wrong size");
	is_int(errno, EINVAL, "EINVAL");
	is_int(crm_out_header(o, h, 2, NULL), -1, "second header");
	is_int(crm_out_row(o, c, 2), 0, "row");
	is_int(crm_out_end(o), 0, "end");
	crm_out_free(o);
	fclose(fp);
	crm_out_free(NULL);
	ok(1, "crm_out_free(NULL) is a no-op");

	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		fp = fopen("/dev/full", "w");
		o = crm_out_new(fp, fmts[i], 0);
		crm_out_header(o, h, 2, NULL);
		crm_out_row(o, c, 2);
		errno = 0;
		rc = crm_out_end(o);
		is_int(rc, -1, "/dev/full, format %zu: crm_out_end fails", i);
		is_int(errno, ENOSPC, "errno ENOSPC");
		crm_out_free(o);
		fclose(fp);
	}

	/* A write error that happens before the end is still reported. */
	fp = fopen("/dev/full", "w");
	setvbuf(fp, NULL, _IONBF, 0);
	o = crm_out_new(fp, CRM_FMT_CSV, 0);
	is_int(crm_out_header(o, h, 2, NULL), -1, "unbuffered: header fails");
	clearerr(fp);
	is_int(crm_out_end(o), -1, "and end still reports it");
	crm_out_free(o);
	fclose(fp);

	/* So is a failed write of the caller's to the same stream. */
	fp = fopen("/dev/full", "w");
	setvbuf(fp, NULL, _IONBF, 0);
	fputs("caller's own line\n", fp);
	o = crm_out_new(fp, CRM_FMT_CSV, CRM_OUT_NOHEADER);
	is_int(crm_out_header(o, h, 2, NULL), 0, "NOHEADER: nothing written");
	is_int(crm_out_end(o), -1, "end reports the caller's write error");
	crm_out_free(o);
	fclose(fp);
}

/*
 * roundtrip: write rows of vals (n columns, "id" first) in fmt/flags, read
 * them back; count the cells that differ from want (vals when NULL).
 */
static long roundtrip(enum crm_fmt fmt, unsigned flags, size_t n,
    const char *const *hdr, size_t nrows, const char *const *vals,
    const char *const *want, int *delim)
{
	char *buf = NULL, **f;
	size_t len, i, j, m;
	struct crm_out *o;
	struct crm_csv *r;
	long bad = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	o = crm_out_new(fp, fmt, flags);
	crm_out_header(o, hdr, n, NULL);
	for (i = 0; i < nrows; i++)
		crm_out_row(o, vals + i * n, n);
	crm_out_end(o);
	crm_out_free(o);
	fclose(fp);

	if (want == NULL)
		want = vals;
	fp = fmemopen(buf, len, "r");
	r = crm_csv_open(fp, "rt", 0);
	if (crm_csv_read(r, &f, &m) != 1 || m != n)
		bad++;
	for (j = 0; j < m && j < n; j++)
		bad += strcmp(f[j], hdr[j]) != 0;
	for (i = 0; i < nrows; i++) {
		if (crm_csv_read(r, &f, &m) != 1 || m != n) {
			printf("# row %zu: %s\n", i, crm_csv_errmsg(r));
			bad++;
			continue;
		}
		for (j = 0; j < n; j++) {
			if (strcmp(f[j], want[i * n + j]) != 0) {
				printf("# row %zu col %zu: got \"%s\"\n", i, j,
				    f[j]);
				bad++;
			}
		}
	}
	if (crm_csv_read(r, &f, &m) != 0)
		bad++;
	*delim = crm_csv_delim(r);
	crm_csv_close(r);
	fclose(fp);
	free(buf);
	return bad;
}

static void test_roundtrip(void)
{
	const char *h[] = { "id", "value" };
	const char *v[] = {
		"1", "plain",
		"2", "a,b;c|d",
		"3", "say \"hi\"",
		"4", "\"quoted\"",
		"5", "\"a\"b",
		"6", "24\" Monitor",
		"7", "line1\nline2\r\nline3\rend",
		"8", "  leading and trailing  ",
		"9", "M\xC3\xBCller, Stra\xC3\x9F" "e \xE2\x82\xAC \xF0\x9D\x84\x9E",
		"10", "tab\there \\ back\\slash \\t \\n",
		"11", "",
		"12", "'",
		"13", "=1+1",
		"14", "\n",
		"15", "\"",
		"16", "end\\",
		"17", "   ",
	};
	const char *excel[sizeof v / sizeof v[0]];
	size_t n = sizeof v / sizeof v[0] / 2, i;
	int d;

	is_int(roundtrip(CRM_FMT_CSV, 0, 2, h, n, v, NULL, &d), 0,
	    "CSV round trip");
	is_int(d, ',', "sniffed ','");
	is_int(roundtrip(CRM_FMT_CSV, CRM_OUT_SEMICOLON, 2, h, n, v, NULL, &d),
	    0, "CSV ';' round trip");
	is_int(d, ';', "sniffed ';'");
	is_int(roundtrip(CRM_FMT_TSV, 0, 2, h, n, v, NULL, &d), 0,
	    "TSV round trip");
	is_int(d, '\t', "sniffed tab");

	/* EXCEL: BOM and CRLF are read; neutralised cells come back with
	 * their ' (the importer may remove it). */
	for (i = 0; i < 2 * n; i++)
		excel[i] = v[i];
	excel[2 * 12 + 1] = "'=1+1";
	excel[2 * 13 + 1] = "'\n";
	is_int(roundtrip(CRM_FMT_CSV, CRM_OUT_EXCEL | CRM_OUT_SEMICOLON, 2, h,
	    n, v, excel, &d), 0, "EXCEL CSV round trip");
	is_int(d, ';', "sniffed ';' after the BOM");
}

int main(void)
{
	test_fmt();
	test_csv();
	test_excel();
	test_tsv();
	test_table();
	test_json();
	test_errors();
	test_roundtrip();
	free(outbuf);
	return done();
}
