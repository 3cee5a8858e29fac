/* out.c: writing rows as CSV (RFC 4180, optionally spreadsheet-safe), TSV,
 * an aligned table for people, or JSON. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "util.h"

#define TABLE_MAX 40            /* widest table column, in characters */

struct crm_out {
	FILE *fp;
	enum crm_fmt fmt;
	unsigned flags;
	char **cols;            /* header, n names */
	char *types;            /* n letters, 's' or 'n' */
	size_t n;
	int have_header;
	int ended;
	unsigned long rows;     /* rows written (JSON) or buffered (table) */
	char **cells;           /* TABLE: rows * n copies, NULL for no value */
	size_t cellcap;
	int err;                /* errno of the first failure, 0 if none */
};

static const char *const fmt_names[] = {
	[CRM_FMT_CSV] = "csv",
	[CRM_FMT_TSV] = "tsv",
	[CRM_FMT_TABLE] = "table",
	[CRM_FMT_JSON] = "json",
};

int crm_fmt_parse(const char *name, enum crm_fmt *fmt)
{
	size_t i;

	for (i = 0; i < sizeof fmt_names / sizeof fmt_names[0]; i++) {
		if (strcmp(name, fmt_names[i]) == 0) {
			*fmt = (enum crm_fmt)i;
			return 0;
		}
	}
	return -1;
}

enum crm_fmt crm_fmt_default(FILE *fp)
{
	return isatty(fileno(fp)) ? CRM_FMT_TABLE : CRM_FMT_CSV;
}

/* failed: note the first failure (errno, or e when errno is 0). */
static int failed(struct crm_out *o, int e)
{
	if (o->err == 0)
		o->err = errno ? errno : e;
	return -1;
}

/* put: write s[0..len). Returns 0, or -1 on a write error (noted). */
static int put(struct crm_out *o, const char *s, size_t len)
{
	if (len > 0 && fwrite_unlocked(s, 1, len, o->fp) != len)
		return failed(o, EIO);
	return 0;
}

/* put_str: write the string s. */
static int put_str(struct crm_out *o, const char *s)
{
	return put(o, s, strlen(s));
}

/* put_ch: write the byte c. */
static int put_ch(struct crm_out *o, int c)
{
	if (putc_unlocked(c, o->fp) == EOF)
		return failed(o, EIO);
	return 0;
}

/* csv_delim: the CSV delimiter for o's flags. */
static int csv_delim(const struct crm_out *o)
{
	return (o->flags & CRM_OUT_SEMICOLON) ? ';' : ',';
}

/* put_csv: one CSV cell: quoted when it holds the delimiter, a quote, CR
 * or LF, or starts or ends with a space or tab; with EXCEL a cell that
 * starts with = + - @ tab CR or LF gets a leading ' first. */
static int put_csv(struct crm_out *o, const char *v)
{
	size_t len = strlen(v), i;
	int excel = (o->flags & CRM_OUT_EXCEL) != 0;
	int neut = excel && v[0] != '\0' && strchr("=+-@\t\r\n", v[0]) != NULL;
	int quote = 0, rc = 0;
	const char *special = (o->flags & CRM_OUT_SEMICOLON) ? ";\"\r\n" :
	    ",\"\r\n";

	if (len > 0 && (((v[0] == ' ' || v[0] == '\t') && !neut) ||
	    v[len - 1] == ' ' || v[len - 1] == '\t'))
		quote = 1;
	else if (v[strcspn(v, special)] != '\0')
		quote = 1;
	if (!quote && !neut)
		return put(o, v, len);
	if (quote)
		rc |= put_ch(o, '"');
	if (neut)
		rc |= put_ch(o, '\'');
	/* the runs between quotes in one write each, quotes doubled */
	for (i = 0; i < len; ) {
		size_t k = strcspn(v + i, "\"");

		rc |= put(o, v + i, k);
		i += k;
		if (i < len) {
			rc |= put(o, "\"\"", 2);
			i++;
		}
	}
	if (quote)
		rc |= put_ch(o, '"');
	return rc ? -1 : 0;
}

/* put_tsv: one TSV cell: tab, LF, CR and backslash as \t \n \r \\. */
static int put_tsv(struct crm_out *o, const char *v)
{
	const char *s;
	int rc = 0;

	while (*v) {
		s = v + strcspn(v, "\t\n\r\\");
		rc |= put(o, v, (size_t)(s - v));
		switch (*s) {
		case '\0': return rc ? -1 : 0;
		case '\t': rc |= put(o, "\\t", 2); break;
		case '\n': rc |= put(o, "\\n", 2); break;
		case '\r': rc |= put(o, "\\r", 2); break;
		default: rc |= put(o, "\\\\", 2); break;
		}
		v = s + 1;
	}
	return rc ? -1 : 0;
}

/* put_line: a CSV or TSV row of n cells (NULL as empty) and its line end. */
static int put_line(struct crm_out *o, const char *const *v, size_t n)
{
	int tsv = o->fmt == CRM_FMT_TSV, rc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			rc |= put_ch(o, tsv ? '\t' : csv_delim(o));
		if (v[i] == NULL)
			continue;
		rc |= tsv ? put_tsv(o, v[i]) : put_csv(o, v[i]);
	}
	if (o->flags & CRM_OUT_EXCEL)   /* CSV only, see crm_out_new */
		rc |= put_ch(o, '\r');
	rc |= put_ch(o, '\n');
	return rc ? -1 : 0;
}

/* put_json_str: s as a JSON string; control characters escaped, bytes
 * that are not UTF-8 written as U+FFFD. */
static int put_json_str(struct crm_out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;
	char esc[8];
	int rc = put_ch(o, '"');

	while (n > 0) {
		k = 0;
		while (k < n && p[k] >= 0x20 && p[k] < 0x80 && p[k] != '"' &&
		    p[k] != '\\')
			k++;
		rc |= put(o, (const char *)p, k);
		p += k;
		n -= k;
		if (n == 0)
			break;
		switch (*p) {
		case '"': rc |= put(o, "\\\"", 2); break;
		case '\\': rc |= put(o, "\\\\", 2); break;
		case '\n': rc |= put(o, "\\n", 2); break;
		case '\r': rc |= put(o, "\\r", 2); break;
		case '\t': rc |= put(o, "\\t", 2); break;
		case '\b': rc |= put(o, "\\b", 2); break;
		case '\f': rc |= put(o, "\\f", 2); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04x", *p);
				rc |= put(o, esc, 6);
			} else if ((k = crm_utf8_len((const char *)p, n)) > 0) {
				rc |= put(o, (const char *)p, k);
				p += k;
				n -= k;
				continue;
			} else {
				rc |= put(o, "\\ufffd", 6);
			}
		}
		p++;
		n--;
	}
	rc |= put_ch(o, '"');
	return rc ? -1 : 0;
}

/* json_number: whether s is a number by JSON's grammar:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* put_json_row: {"col":value,...} after "[\n" or ",\n". */
static int put_json_row(struct crm_out *o, const char *const *v)
{
	size_t i;
	int rc = put_str(o, o->rows == 0 ? "[\n{" : ",\n{");

	for (i = 0; i < o->n; i++) {
		if (i > 0)
			rc |= put_ch(o, ',');
		rc |= put_json_str(o, o->cols[i]);
		rc |= put_ch(o, ':');
		if (v[i] == NULL)
			rc |= put_str(o, "null");
		else if (o->types[i] == 'n' && json_number(v[i]))
			rc |= put_str(o, v[i]);
		else
			rc |= put_json_str(o, v[i]);
	}
	rc |= put_ch(o, '}');
	return rc ? -1 : 0;
}

/* table_char: the length in bytes of the character at s (an invalid byte
 * counts as one character), and what to show instead if it is not safe on
 * a terminal (see crm_term_char). */
static size_t table_char(const unsigned char *s, size_t n, int *ctl)
{
	return crm_term_char((const char *)s, n, ctl);
}

/* table_chars: the number of characters in s, counting at most limit. */
static size_t table_chars(const char *s, size_t limit)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), c = 0, k;
	int ctl;

	while (n > 0 && c < limit) {
		k = table_char(p, n, &ctl);
		p += k;
		n -= k;
		c++;
	}
	return c;
}

/* put_table_cell: s (NULL as empty) with control characters as spaces,
 * cut to TABLE_MAX characters with "…" as the last one when longer, and
 * padded with spaces to width unless last. */
static int put_table_cell(struct crm_out *o, const char *s, size_t width,
    int last)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), w = 0, k, keep = TABLE_MAX;
	int ctl, rc = 0, cut = table_chars((const char *)p, TABLE_MAX + 1) >
	    TABLE_MAX;

	if (cut)
		keep = TABLE_MAX - 1;
	while (n > 0 && w < keep) {
		k = table_char(p, n, &ctl);
		rc |= ctl ? put_ch(o, ctl) : put(o, (const char *)p, k);
		p += k;
		n -= k;
		w++;
	}
	if (cut) {
		rc |= put_str(o, "\xE2\x80\xA6");       /* … */
		w++;
	}
	while (!last && w++ < width)
		rc |= put_ch(o, ' ');
	return rc ? -1 : 0;
}

/* put_table: print the buffered table: header, then rows, columns padded
 * to their widest value and two spaces apart. */
static int put_table(struct crm_out *o)
{
	size_t *width, i, j, w;
	int hdr = !(o->flags & CRM_OUT_NOHEADER), rc = 0;
	char **row;

	if (o->n == 0)
		return 0;
	width = calloc(o->n, sizeof *width);
	if (width == NULL)
		return failed(o, ENOMEM);
	for (j = 0; j < o->n; j++) {
		if (hdr)
			width[j] = table_chars(o->cols[j], TABLE_MAX);
		for (i = 0; i < o->rows; i++) {
			row = o->cells + i * o->n;
			if (row[j] != NULL &&
			    (w = table_chars(row[j], TABLE_MAX)) > width[j])
				width[j] = w;
		}
	}
	for (i = 0; i < o->rows + (size_t)hdr; i++) {
		row = hdr && i == 0 ? o->cols : o->cells + (i - (size_t)hdr) * o->n;
		for (j = 0; j < o->n; j++) {
			if (j > 0)
				rc |= put(o, "  ", 2);
			rc |= put_table_cell(o, row[j], width[j], j == o->n - 1);
		}
		rc |= put_ch(o, '\n');
	}
	free(width);
	return rc ? -1 : 0;
}

/* buffer_row: copy a row into the table buffer. */
static int buffer_row(struct crm_out *o, const char *const *v)
{
	size_t base = o->rows * o->n, i;
	char **c;

	if (base + o->n > o->cellcap) {
		size_t cap = o->cellcap ? o->cellcap : 64;

		while (cap < base + o->n)
			cap *= 2;
		if (cap > SIZE_MAX / sizeof *c ||
		    (c = realloc(o->cells, cap * sizeof *c)) == NULL)
			return failed(o, ENOMEM);
		o->cells = c;
		o->cellcap = cap;
	}
	for (i = 0; i < o->n; i++) {
		o->cells[base + i] = NULL;
		if (v[i] != NULL && (o->cells[base + i] = strdup(v[i])) == NULL) {
			while (i-- > 0)
				free(o->cells[base + i]);
			return failed(o, ENOMEM);
		}
	}
	o->rows++;
	return 0;
}

struct crm_out *crm_out_new(FILE *fp, enum crm_fmt fmt, unsigned flags)
{
	struct crm_out *o = calloc(1, sizeof *o);

	if (o == NULL)
		return NULL;
	o->fp = fp;
	o->fmt = fmt;
	/* EXCEL and SEMICOLON are about CSV only. */
	o->flags = fmt == CRM_FMT_CSV ? flags :
	    flags & ~(unsigned)(CRM_OUT_EXCEL | CRM_OUT_SEMICOLON);
	return o;
}

int crm_out_header(struct crm_out *o, const char *const *cols, size_t n,
    const char *types)
{
	size_t i, nt = types ? strlen(types) : 0;

	if (o->have_header) {
		errno = EINVAL;
		return -1;
	}
	o->cols = calloc(n ? n : 1, sizeof *o->cols);
	o->types = malloc(n + 1);
	if (o->cols == NULL || o->types == NULL)
		return failed(o, ENOMEM);
	o->n = n;               /* so that crm_out_free frees what is there */
	for (i = 0; i < n; i++) {
		if ((o->cols[i] = strdup(cols[i])) == NULL)
			return failed(o, ENOMEM);
		o->types[i] = i < nt ? types[i] : 's';
	}
	o->types[n] = '\0';
	o->have_header = 1;

	if (o->flags & CRM_OUT_EXCEL)
		put(o, "\xEF\xBB\xBF", 3);
	if ((o->fmt == CRM_FMT_CSV || o->fmt == CRM_FMT_TSV) &&
	    !(o->flags & CRM_OUT_NOHEADER))
		put_line(o, (const char *const *)o->cols, n);
	if (o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}

int crm_out_row(struct crm_out *o, const char *const *vals, size_t n)
{
	int rc = 0;

	if (!o->have_header || n != o->n || o->ended) {
		errno = EINVAL;
		return -1;
	}
	switch (o->fmt) {
	case CRM_FMT_CSV:
	case CRM_FMT_TSV:
		rc = put_line(o, vals, n);
		break;
	case CRM_FMT_TABLE:
		rc = buffer_row(o, vals);
		break;
	case CRM_FMT_JSON:
		rc = put_json_row(o, vals);
		o->rows++;
		break;
	}
	if (rc < 0 || o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}

int crm_out_end(struct crm_out *o)
{
	if (!o->ended) {
		o->ended = 1;
		if (o->fmt == CRM_FMT_TABLE)
			put_table(o);
		else if (o->fmt == CRM_FMT_JSON)
			put_str(o, o->rows == 0 ? "[]\n" : "\n]\n");
	}
	errno = 0;
	if (fflush(o->fp) == EOF)
		failed(o, EIO);
	if (ferror(o->fp))
		failed(o, EIO);
	if (o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}

void crm_out_free(struct crm_out *o)
{
	size_t i;

	if (o == NULL)
		return;
	if (o->cols != NULL)
		for (i = 0; i < o->n; i++)
			free(o->cols[i]);
	for (i = 0; i < o->rows * o->n && o->cells != NULL; i++)
		free(o->cells[i]);
	free(o->cols);
	free(o->types);
	free(o->cells);
	free(o);
}
