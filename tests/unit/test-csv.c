/* test-csv.c: unit tests for the CSV/TSV reader (libcrm/csv.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"
#include "tap.h"

static char *transcript;

/*
 * run: read all of in[0..len) with delim and return a transcript: one line
 * "L[f1][f2]..." per record (L its start line), then "E:message" if the
 * reader failed. Borrowed: valid until the next call.
 */
static const char *run(const char *in, size_t len, int delim)
{
	FILE *fp, *out;
	struct crm_csv *r;
	char **f;
	size_t n, i, tlen;
	int rc;

	free(transcript);
	fp = len > 0 ? fmemopen((void *)in, len, "r") : fopen("/dev/null", "r");
	out = open_memstream(&transcript, &tlen);
	if (fp == NULL || out == NULL)
		abort();
	r = crm_csv_open(fp, "t.csv", delim);
	if (r == NULL)
		abort();
	while ((rc = crm_csv_read(r, &f, &n)) == 1) {
		fprintf(out, "%ld", crm_csv_line(r));
		for (i = 0; i < n; i++)
			fprintf(out, "[%s]", f[i]);
		fputc('\n', out);
	}
	if (rc < 0)
		fprintf(out, "E:%s", crm_csv_errmsg(r));
	else if (strcmp(crm_csv_errmsg(r), "") != 0)
		fprintf(out, "errmsg set without error: %s", crm_csv_errmsg(r));
	crm_csv_close(r);
	fclose(fp);
	fclose(out);
	return transcript;
}

/* runs: run() on a C string. */
static const char *runs(const char *in, int delim)
{
	return run(in, strlen(in), delim);
}

/* delim_of: the delimiter the reader settles on for in. */
static int delim_of(const char *in)
{
	FILE *fp = fmemopen((void *)in, strlen(in), "r");
	struct crm_csv *r = crm_csv_open(fp, "t.csv", 0);
	char **f;
	size_t n;
	int d;

	(void)crm_csv_read(r, &f, &n);
	d = crm_csv_delim(r);
	crm_csv_close(r);
	fclose(fp);
	return d;
}

static void test_basic(void)
{
	is_str(runs("a,b,c\n1,2,3\n", 0), "1[a][b][c]\n2[1][2][3]\n",
	    "simple file");
	is_str(runs("a,b\n1,2", 0), "1[a][b]\n2[1][2]\n",
	    "last line without line end");
	is_str(runs("a,b\r\n1,2\r\n\r\n3,4\r\n", 0),
	    "1[a][b]\n2[1][2]\n4[3][4]\n", "CRLF line ends, blank CRLF line");
	is_str(runs("a,b\r1,2\r\r3,4\r", 0), "1[a][b]\n2[1][2]\n4[3][4]\n",
	    "CR-only line ends (old Mac) counted as lines");
	is_str(runs("a,b\n1,2\r3,4\n", 0), "1[a][b]\n2[1][2]\n2[3][4]\n",
	    "a lone CR in an LF file ends a record on the same line");
	is_str(runs("\"a\nb\"\rc\n", 0), "1[a\nb]\n2[c]\n",
	    "record after a lone CR that ended a multi-line record");
	is_str(runs("", 0), "", "empty input: no records");
	is_str(runs("\n\n\r\n", 0), "", "only blank lines: no records");
	is_str(runs("a\n\n\nb\n", 0), "1[a]\n4[b]\n",
	    "blank lines skipped, line numbers kept");
	is_str(runs("a;b\n;;\n;\n1;2\n", 0), "1[a][b]\n4[1][2]\n",
	    "lines of only delimiters skipped");
	is_str(runs("a,b\n   \n \t \n1,2\n", 0), "1[a][b]\n4[1][2]\n",
	    "lines of only spaces skipped");
	is_str(runs("a,b,c\n1\n1,2,3,4\n", 0),
	    "1[a][b][c]\n2[1]\n3[1][2][3][4]\n", "ragged rows as they are");
	is_str(runs(",a,\n", 0), "1[][a][]\n", "empty fields kept");
	is_str(runs(" a , b ,c \n", 0), "1[ a ][ b ][c ]\n",
	    "spaces around unquoted fields kept");
	is_str(runs("\"\",x\n", 0), "1[][x]\n", "empty quoted field");
}

static void test_quotes(void)
{
	is_str(runs("\"a,b\",\"c\"\"d\",\"e\nf\"\n", 0),
	    "1[a,b][c\"d][e\nf]\n", "quoted delimiter, doubled quote, newline");
	is_str(runs("\"a\"\"b\",c\n", 0), "1[a\"b][c]\n", "\"a\"\"b\",c");
	is_str(runs("a,24\" Monitor,b\n", 0), "1[a][24\" Monitor][b]\n",
	    "quote inside an unquoted field is text (Excel)");
	is_str(runs("x\"y\"z,\"q\"\n", 0), "1[x\"y\"z][q]\n",
	    "several quotes in an unquoted field, then a quoted field");
	is_str(runs("12\"\n3\",4\"\n", 0), "1[12\"]\n2[3\"][4\"]\n",
	    "quote at the end of unquoted fields and lines");
	is_str(runs("a,\"\"\"\"\n", 0), "1[a][\"]\n", "a field of one quote");
	is_str(runs(" \"a\" ,b\n", 0), "1[ \"a\" ][b]\n",
	    "space before a quote: unquoted field, quotes are text");
	is_str(runs("h\n\"a\nb\n\nc\",x\n\ny\n", 0),
	    "1[h]\n2[a\nb\n\nc][x]\n7[y]\n",
	    "multi-line field: record line is its first line, later lines counted");
	is_str(runs("a,\"b\r\nc\"\r\nd,e\r\n", 0), "1[a][b\r\nc]\n3[d][e]\n",
	    "CRLF inside a quoted field kept");
	is_str(runs("h\n1,\"abc\n2,def\n", 0),
	    "1[h]\nE:t.csv:2: quote never closed",
	    "unclosed quote to the end: error on the line it opened");
	is_str(runs("h\n\"a\nb\",\"c\nd\ne\n", 0),
	    "1[h]\nE:t.csv:3: quote never closed",
	    "second quoted field of a record never closed: its line");
	is_str(runs("h\n\"a\nb\nc\",\"d\n", 0),
	    "1[h]\nE:t.csv:4: quote never closed",
	    "quote closed and another opened on the same line");
	is_str(runs("a\n\"ab\"c,d\ne,f\n", 0),
	    "1[a]\nE:t.csv:2: text after a closing quote "
	    "(a quote in a quoted field must be doubled)",
	    "text after a closing quote is an error, not swallowed");
	is_str(runs("\"ab\" ,c\n", 0),
	    "E:t.csv:1: text after a closing quote "
	    "(a quote in a quoted field must be doubled)",
	    "space after a closing quote is an error too");
	is_str(runs("\"abc\"", 0), "1[abc]\n",
	    "closing quote at the very end of input");
}

static void test_sniff(void)
{
	is_int(delim_of("a,b,c\n1,2,3\n"), ',', "sniff comma");
	is_int(delim_of("a;b;c\n1;2;3\n"), ';', "sniff semicolon");
	is_int(delim_of("a\tb\tc\n1\t2\t3\n"), '\t', "sniff tab");
	is_int(delim_of("a|b|c\n1|2|3\n"), '|', "sniff pipe");
	is_int(delim_of("name\nx;y;z\n"), ',', "none on first line: comma");
	is_int(delim_of("\"a;b;c;d\",e,f\n"), ',',
	    "delimiters inside quotes not counted");
	is_int(delim_of("a,b;c\n"), ',', "tie between , and ;: comma");
	is_int(delim_of("a;b|c|d\n"), '|', "most frequent wins");
	is_int(delim_of("a;b\n1,2,3,4,5\n"), ';', "only the first line counts");
	is_str(runs("a;b;c,d\n1;2,3\n", 0), "1[a][b][c,d]\n2[1][2,3]\n",
	    "sniffed ';': commas are text");
	is_int(delim_of("sep=;\na,b,c\n"), ';', "sep=; names the delimiter");
	is_str(runs("sep=;\na;b\n1;2\n", 0), "2[a][b]\n3[1][2]\n",
	    "sep= line skipped, counts as line 1");
	is_str(runs("\"sep=|\"\r\na|b\r\n", 0), "2[a][b]\n",
	    "quoted sep= line with CRLF");
	is_str(runs("\"sep=;\";;\na;b\n", 0), "2[a][b]\n",
	    "sep= line with empty cells after it");
	is_str(runs("SEP=\t\na\tb\n", 0), "2[a][b]\n", "SEP=<tab>");
	is_str(runs("sep=;", 0), "", "only a sep= line");
	is_str(runs("sep=;x\na;b\n", 0), "1[sep=][x]\n2[a][b]\n",
	    "sep= with more text is a header, not a sep= line");
	is_str(runs("sep=,\na;b\n", ';'), "2[a][b]\n",
	    "explicit delimiter wins over sep=, line still skipped");
	is_str(runs("a;b,c\n", ','), "1[a;b][c]\n", "explicit delimiter");
	is_str(runs("\xEF\xBB\xBF\"id\",name\n1,x\n", 0),
	    "1[id][name]\n2[1][x]\n", "UTF-8 BOM skipped before a quote");
	is_int(delim_of("\xEF\xBB\xBF" "a;b\n"), ';', "sniffing after a BOM");
	is_str(runs("\xEF\xBB\xBFsep=;\na;b\n", 0), "2[a][b]\n",
	    "BOM then sep= line");
	is_str(runs("\xEF\xBB\xBF", 0), "", "only a BOM");
	is_str(run("\xFF\xFE" "a\0,\0", 6, 0),
	    "E:t.csv:1: UTF-16 text (save it as \"CSV UTF-8\")",
	    "UTF-16 LE is reported as such");
}

static void test_tsv(void)
{
	is_str(runs("a\tb\n1\\t2\t3\\n4\\r\\\\5\n", 0),
	    "1[a][b]\n2[1\t2][3\n4\r\\5]\n", "TSV escapes undone");
	is_str(runs("a\tb\n\\x\\\t\\\\t\\\n", 0),
	    "1[a][b]\n2[\\x\\][\\t\\]\n",
	    "other and trailing backslashes stay; \\\\t is backslash t");
	is_str(runs("a\tb\n\"x\"\t24\" M\n", 0),
	    "1[a][b]\n2[\"x\"][24\" M]\n", "TSV: quotes are text");
	is_str(runs("a,b\n1\\t,2\n", 0), "1[a][b]\n2[1\\t][2]\n",
	    "no unescaping in CSV");
	is_str(runs("a\tb\n\t\n", '\t'), "1[a][b]\n", "TSV blank row skipped");
}

static void test_errors(void)
{
	FILE *fp;
	struct crm_csv *r;
	char **f;
	size_t n;

	is_str(run("a,b\n1,x\0y\n", 10, 0),
	    "1[a][b]\nE:t.csv:2: NUL byte (not a text file?)", "NUL byte");
	is_str(runs("a\nb\nM\xFCller\n", 0),
	    "1[a]\n2[b]\nE:t.csv:3: invalid UTF-8 (not a UTF-8 file? "
	    "save it as \"CSV UTF-8\")", "Latin-1 byte: invalid UTF-8");
	is_str(runs("a\n\"x\ny\xC0\xAF\"\n", 0),
	    "1[a]\nE:t.csv:3: invalid UTF-8 (not a UTF-8 file? "
	    "save it as \"CSV UTF-8\")", "overlong form, inside a quoted field");
	ok(strstr(runs("\xED\xA0\x80\n", 0), "invalid UTF-8") != NULL,
	    "surrogate rejected");
	ok(strstr(runs("\xE0\x80\xAF\n", 0), "invalid UTF-8") != NULL,
	    "overlong 3-byte form rejected");
	ok(strstr(runs("\xF0\x80\x80\xAF\n", 0), "invalid UTF-8") != NULL,
	    "overlong 4-byte form rejected");
	ok(strstr(runs("\xF4\x90\x80\x80\n", 0), "invalid UTF-8") != NULL,
	    "code point above U+10FFFF rejected");
	ok(strstr(runs("a,\xE2\x82", 0), "t.csv:1: invalid UTF-8") != NULL,
	    "character cut at the end of input");
	is_str(runs("M\xC3\xBCller,\xE2\x82\xAC,\xF0\x9D\x84\x9E\n", 0),
	    "1[M\xC3\xBCller][\xE2\x82\xAC][\xF0\x9D\x84\x9E]\n",
	    "valid 2-, 3- and 4-byte characters");

	/* After an error the reader is done. */
	fp = fmemopen((void *)"\"ab\"c\nd\n", 8, "r");
	r = crm_csv_open(fp, "-", 0);
	is_str(crm_csv_name(r), "<stdin>", "name \"-\" is <stdin>");
	is_str(crm_csv_errmsg(r), "", "no error yet");
	is_int(crm_csv_line(r), 0, "line 0 before the first record");
	is_int(crm_csv_read(r, &f, &n), -1, "error");
	ok(strncmp(crm_csv_errmsg(r), "<stdin>:1: ", 11) == 0,
	    "message starts with <stdin>:1:");
	is_int(crm_csv_read(r, &f, &n), -1, "still an error after one");
	crm_csv_close(r);
	fclose(fp);

	/* A read error. */
	fp = fopen("/dev/null", "w");
	r = crm_csv_open(fp, "w.csv", 0);
	is_int(crm_csv_read(r, &f, &n), -1, "read from a write-only stream");
	ok(strncmp(crm_csv_errmsg(r), "w.csv:1: read error: ", 21) == 0,
	    "read error message: %s", crm_csv_errmsg(r));
	crm_csv_close(r);
	fclose(fp);
	crm_csv_close(NULL);
	ok(1, "crm_csv_close(NULL) is a no-op");
}

/* big: "h\n" + pre + a field of len bytes of c (every 64th a newline if
 * nl) + post, malloc'ed. */
static char *big(const char *pre, size_t len, int c, int nl,
    const char *post, size_t *total)
{
	size_t a = strlen(pre), b = strlen(post), i;
	char *s = malloc(2 + a + len + b + 1);

	memcpy(s, "h\n", 2);
	memcpy(s + 2, pre, a);
	memset(s + 2 + a, c, len);
	for (i = 63; nl && i < len; i += 64)
		s[2 + a + i] = '\n';
	memcpy(s + 2 + a + len, post, b + 1);
	*total = 2 + a + len + b;
	return s;
}

/* second_len: the length of field 0 of the second record, or -1 and the
 * message in msg. */
static long second_len(const char *in, size_t len, char *msg, size_t msgsz)
{
	FILE *fp = fmemopen((void *)in, len, "r");
	struct crm_csv *r = crm_csv_open(fp, "big.csv", 0);
	char **f;
	size_t n;
	long got = -1;

	msg[0] = '\0';
	if (crm_csv_read(r, &f, &n) == 1 && crm_csv_read(r, &f, &n) == 1)
		got = (long)strlen(f[0]);
	else
		snprintf(msg, msgsz, "%s", crm_csv_errmsg(r));
	crm_csv_close(r);
	fclose(fp);
	return got;
}

static void test_limits(void)
{
	char msg[256], *s;
	size_t len;

	s = big("", 1u << 20, 'x', 0, ",y\n", &len);
	is_int(second_len(s, len, msg, sizeof msg), 1 << 20, "1 MiB field");
	free(s);
	s = big("\"", CRM_CSV_FIELD_MAX, 'x', 1, "\",y\n", &len);
	is_int(second_len(s, len, msg, sizeof msg), CRM_CSV_FIELD_MAX,
	    "quoted multi-line field of exactly 16 MiB");
	free(s);
	s = big("", CRM_CSV_FIELD_MAX, 'x', 0, "", &len);
	is_int(second_len(s, len, msg, sizeof msg), CRM_CSV_FIELD_MAX,
	    "unquoted 16 MiB field at the end of input");
	free(s);
	s = big("", CRM_CSV_FIELD_MAX + 1, 'x', 0, ",y\n", &len);
	is_int(second_len(s, len, msg, sizeof msg), -1,
	    "unquoted field of 16 MiB + 1");
	is_str(msg, "big.csv:2: field longer than 16 MiB", "its message");
	free(s);
	s = big("\"", CRM_CSV_FIELD_MAX + 1, 'x', 1, "\"\n", &len);
	is_int(second_len(s, len, msg, sizeof msg), -1,
	    "quoted multi-line field of 16 MiB + 1");
	is_str(msg, "big.csv:2: field longer than 16 MiB",
	    "its message names the line the field started on");
	free(s);
	s = big("a,\"", 40u << 20, 'z', 1, "", &len);
	is_int(second_len(s, len, msg, sizeof msg), -1,
	    "unclosed quote with 40 MiB of lines after it");
	is_str(msg, "big.csv:2: field longer than 16 MiB",
	    "stops at the limit, names the line of the quote");
	free(s);
}

/*
 * test_chunks: a line end, a CRLF, a quoted newline or a UTF-8 character
 * cut by the 64 KiB chunk boundary must not matter.
 */
static void test_chunks(void)
{
	static const char rec[] = "\"a\xE2\x82\xAC\xF0\x9D\x84\x9E\r\nb\","
	    "c\"d\r\n";
	static const char last[] = "3[a\xE2\x82\xAC\xF0\x9D\x84\x9E\r\nb]"
	    "[c\"d]\n";
	size_t reclen = strlen(rec), pad, len, k, bad = 0;
	char *s, *want;
	const char *t;

	for (k = 0; k <= reclen + 1; k++) {
		/* "h\r\n" + padding line + rec, rec starting k bytes before
		 * the boundary at 65536. */
		pad = 65536 - 3 - k;
		len = 3 + pad + reclen;
		s = malloc(len + 1);
		memcpy(s, "h\r\n", 3);
		memset(s + 3, 'p', pad - 2);
		memcpy(s + 3 + pad - 2, "\r\n", 2);
		memcpy(s + 3 + pad, rec, reclen + 1);
		want = malloc(pad + sizeof last + 16);
		memcpy(want, "1[h]\n2[", 7);
		memset(want + 7, 'p', pad - 2);
		memcpy(want + 7 + pad - 2, "]\n", 2);
		memcpy(want + 7 + pad, last, sizeof last);
		t = run(s, len, 0);
		if (strcmp(t, want) != 0 && bad++ == 0)
			printf("# k=%zu: %s\n", k, t + 7 + pad);
		free(s);
		free(want);
	}
	is_int((long)bad, 0, "records cut by the chunk boundary in every place");
}

/*
 * test_many: a file of 20000 varied records, read back with the right
 * fields and line numbers.
 */
static void test_many(void)
{
	FILE *gen, *fp;
	char *in = NULL, **f, want[200];
	size_t inlen, n, i, bad = 0, nrec = 0;
	struct crm_csv *r;
	long line = 1;
	int rc;

	gen = open_memstream(&in, &inlen);
	fputs("id,text,note\n", gen);
	line++;
	for (i = 0; i < 20000; i++) {
		if (i % 7 == 3) {
			fputs("\n", gen);
			line++;
		}
		fprintf(gen, "%zu,\"M\xC3\xBCller %zu\n\"\"x\"\", y\",24\" %zu\n",
		    i, i, i);
		line += 2;
	}
	fclose(gen);

	fp = fmemopen(in, inlen, "r");
	r = crm_csv_open(fp, "many.csv", 0);
	rc = crm_csv_read(r, &f, &n);
	ok(rc == 1 && n == 3 && strcmp(f[2], "note") == 0, "header");
	line = 2;
	while ((rc = crm_csv_read(r, &f, &n)) == 1) {
		if (nrec % 7 == 3)
			line++;
		snprintf(want, sizeof want, "%zu", nrec);
		if (n != 3 || strcmp(f[0], want) != 0 ||
		    crm_csv_line(r) != line)
			bad++;
		snprintf(want, sizeof want, "M\xC3\xBCller %zu\n\"x\", y", nrec);
		if (n == 3 && strcmp(f[1], want) != 0)
			bad++;
		snprintf(want, sizeof want, "24\" %zu", nrec);
		if (n == 3 && strcmp(f[2], want) != 0)
			bad++;
		line += 2;
		nrec++;
	}
	is_int(rc, 0, "many records: end without error %s", crm_csv_errmsg(r));
	is_int((long)nrec, 20000, "many records: all read");
	is_int((long)bad, 0, "many records: fields and lines right");
	crm_csv_close(r);
	fclose(fp);
	free(in);
}

static void test_column(void)
{
	char h0[] = "Kunden-Nr", h1[] = "E-Mail", h2[] = "first_name",
	    h3[] = "PLZ", h4[] = "email";
	char *hdr[] = { h0, h1, h2, h3, h4 };

	is_int(crm_csv_column(hdr, 5, "email"), 1, "E-Mail matches email");
	is_int(crm_csv_column(hdr, 5, "EMAIL"), 1, "case ignored");
	is_int(crm_csv_column(hdr, 5, "First Name"), 2, "space vs _");
	is_int(crm_csv_column(hdr, 5, "kundennr"), 0, "- ignored");
	is_int(crm_csv_column(hdr, 5, "plz"), 3, "PLZ");
	is_int(crm_csv_column(hdr, 5, "phone"), -1, "no match");
	is_int(crm_csv_column(hdr, 5, "e"), -1, "prefix is no match");
	is_int(crm_csv_column(hdr, 5, "emails"), -1, "longer is no match");
	is_int(crm_csv_column(hdr, 0, "email"), -1, "empty header");
	is_int(crm_csv_column(hdr, 2, "first_name"), -1, "only n columns");
}

/* run_enc: run() with encoding enc. */
static const char *run_enc(const char *in, size_t len, enum crm_enc enc,
    char *encname, size_t enclen)
{
	FILE *fp, *out;
	struct crm_csv *r;
	struct crm_dialect d;
	char **f;
	size_t n, i, tlen;
	int rc;

	free(transcript);
	fp = fmemopen((void *)in, len, "r");
	out = open_memstream(&transcript, &tlen);
	if (fp == NULL || out == NULL || (r = crm_csv_open(fp, "t.csv", 0)) == NULL)
		abort();
	crm_csv_set_encoding(r, enc);
	while ((rc = crm_csv_read(r, &f, &n)) == 1) {
		fprintf(out, "%ld", crm_csv_line(r));
		for (i = 0; i < n; i++)
			fprintf(out, "[%s]", f[i]);
		fputc('\n', out);
	}
	if (rc < 0)
		fprintf(out, "E:%s", crm_csv_errmsg(r));
	crm_csv_dialect(r, &d);
	snprintf(encname, enclen, "%s%s%s", crm_enc_name(d.enc),
	    d.bom ? "+bom" : "", d.crlf ? "+crlf" : "");
	crm_csv_close(r);
	fclose(fp);
	fclose(out);
	return transcript;
}

static void test_encodings(void)
{
	char e[64];
	struct crm_buf b = {0};
	static const char u16[] = "\xFF\xFE" "a\0\t\0\xFC\0\r\0\n\0"
	    "\"\0x\0\t\0y\0\"\0\t\0\x3D\xD8\x00\xDE\r\0\n\0";

	is_str(run_enc("a;b\r\nM\xFCller;5 \x80\r\n", 16, CRM_ENC_AUTO, e,
	    sizeof(e)), "1[a][b]\n2[M\xC3\xBCller][5 \xE2\x82\xAC]\n",
	    "auto: Windows-1252 transcoded");
	is_str(e, "windows-1252+crlf", "detected as windows-1252, CRLF");
	is_str(run_enc("a\nb\nM\xC3\xBCller \xFF\n", 14, CRM_ENC_AUTO, e,
	    sizeof(e)), "1[a]\n2[b]\nE:t.csv:3: invalid UTF-8 (not a UTF-8 "
	    "file? save it as \"CSV UTF-8\" or give the encoding)",
	    "auto: UTF-8 with a bad byte is UTF-8 with an error");
	is_str(run_enc(u16, sizeof(u16) - 1, CRM_ENC_AUTO, e, sizeof(e)),
	    "1[a][\xC3\xBC]\n2[x\ty][\xF0\x9F\x98\x80]\n",
	    "auto: UTF-16LE with BOM, quotes with tab, surrogate pair");
	is_str(e, "utf-16le+bom+crlf", "detected as utf-16le");
	is_str(run_enc("\xFF\xFE" "a\0\x00\xDC", 6, CRM_ENC_AUTO, e, sizeof(e)),
	    "E:t.csv:1: invalid UTF-16 (a low surrogate alone)",
	    "a lone low surrogate");
	is_str(run_enc("\xFF\xFE" "a\0b", 5, CRM_ENC_AUTO, e, sizeof(e)),
	    "E:t.csv:1: invalid UTF-16 (the file ends inside a character)",
	    "an odd byte at the end");
	is_str(run_enc("x\n\xA4\n", 4, CRM_ENC_LATIN9, e, sizeof(e)),
	    "1[x]\n2[\xE2\x82\xAC]\n", "ISO-8859-15: 0xA4 is the euro");
	is_str(run_enc("x\n\xA4\n", 4, CRM_ENC_LATIN1, e, sizeof(e)),
	    "1[x]\n2[\xC2\xA4]\n", "ISO-8859-1: 0xA4 is the currency sign");
	is_str(run_enc("ab\n", 3, CRM_ENC_AUTO, e, sizeof(e)), "1[ab]\n",
	    "auto: ASCII");
	is_str(e, "utf-8", "ASCII counts as UTF-8");

	ok(crm_csv_encode(CRM_ENC_CP1252, "\xE2\x82\xAC\xC3\xBC\xE2\x98\x83", 8,
	    &b) == 0 && b.len == 3 && memcmp(b.s, "\x80\xFC?", 3) == 0,
	    "encode Windows-1252: euro, u-umlaut, ? for a snowman");
	crm_buf_reset(&b);
	ok(crm_csv_encode(CRM_ENC_UTF16LE, "a\xF0\x9F\x98\x80", 5, &b) == 0 &&
	    b.len == 6 && memcmp(b.s, "a\0\x3D\xD8\x00\xDE", 6) == 0,
	    "encode UTF-16LE with a surrogate pair");
	crm_buf_free(&b);
	{
		enum crm_enc x;
		ok(crm_enc_parse("Windows-1252", &x) == 0 && x == CRM_ENC_CP1252,
		    "encoding names");
		ok(crm_enc_parse("ebcdic", &x) == -1, "unknown encoding");
	}
}

int main(void)
{
	test_encodings();
	test_basic();
	test_quotes();
	test_sniff();
	test_tsv();
	test_errors();
	test_limits();
	test_chunks();
	test_many();
	test_column();
	free(transcript);
	return done();
}
