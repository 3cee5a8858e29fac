/* report_fmt.c: writing a built report as text for a terminal or a mail
 * (80 columns), Markdown, CSV/TSV (one table) or JSON (everything);
 * HTML is in html.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "event.h"
#include "report.h"
#include "util.h"
#include "value.h"

#define WIDTH 80
#define MINCOL 6

int crm_report_fmt_parse(const char *name, enum crm_report_fmt *fmt)
{
	static const struct { const char *name; enum crm_report_fmt fmt; } f[] = {
		{ "text", CRM_RFMT_TEXT }, { "table", CRM_RFMT_TEXT },
		{ "md", CRM_RFMT_MD }, { "markdown", CRM_RFMT_MD },
		{ "html", CRM_RFMT_HTML }, { "csv", CRM_RFMT_CSV },
		{ "tsv", CRM_RFMT_TSV }, { "json", CRM_RFMT_JSON },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strcmp(name, f[i].name) == 0) {
			*fmt = f[i].fmt;
			return 0;
		}
	}
	return -1;
}

const struct crm_rsection *crm_report_find(const struct crm_report *r,
    const char *name, const struct crm_rtable **table)
{
	size_t i, j;

	*table = NULL;
	for (i = 0; i < r->nsections; i++)
		if (strcmp(r->sections[i]->name, name) == 0)
			return r->sections[i];
	for (i = 0; i < r->nsections; i++)
		for (j = 0; j < r->sections[i]->ntables; j++)
			if (strcmp(r->sections[i]->tables[j]->name, name) == 0) {
				*table = r->sections[i]->tables[j];
				return r->sections[i];
			}
	return NULL;
}

char *crm_report_names(const struct crm_report *r)
{
	struct crm_buf b = {0};
	size_t i, j;

	for (i = 0; i < r->nsections; i++) {
		crm_buf_addf(&b, "%s%s", i ? ", " : "", r->sections[i]->name);
		for (j = 0; j < r->sections[i]->ntables; j++)
			if (strcmp(r->sections[i]->tables[j]->name,
			    r->sections[i]->name) != 0)
				crm_buf_addf(&b, ", %s",
				    r->sections[i]->tables[j]->name);
	}
	return crm_buf_take(&b);
}

/* ------------------------------------------------------------------ */
/* Values for people                                                   */

/*
 * people: cell v of type t as people read it: "-" for none, a sign on
 * changes, "%" on percentages. Writes into buf (64 bytes) when it changes
 * anything; returns the text.
 */
static const char *people(const char *v, char t, char *buf)
{
	if (v == NULL)
		return "-";
	switch (t) {
	case 'c':
		snprintf(buf, 64, "%s%s", v[0] != '-' && strtod(v, NULL) != 0 ?
		    "+" : "", v);
		return buf;
	case 'P':
		snprintf(buf, 64, "%s%s%%", v[0] != '-' && strtod(v, NULL) != 0 ?
		    "+" : "", v);
		return buf;
	case 'p':
		snprintf(buf, 64, "%s%%", v);
		return buf;
	}
	return v;
}

/* The figures tables show a blank header over the label and "%" over the
 * change in percent. */
static const char *heading(const struct crm_rtable *t, size_t i)
{
	const char *c = t->cols[i];

	if (strcmp(c, "label") == 0)
		return "";
	if (strcmp(c, "change_pct") == 0)
		return "%";
	return c;
}

/* shown: whether column i is for people (figure tables hide "metric"). */
static int shown(const struct crm_rtable *t, size_t i)
{
	size_t n = strlen(t->name);

	return !(n > 8 && strcmp(t->name + n - 8, "_figures") == 0 && i == 0);
}

/* numeric: right-aligned types. */
static int numeric(char t)
{
	return t != 's' && t != 'd' && t != 'T';
}

/* chars: UTF-8 characters in s. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* put_char: write the byte at p, or a space for a control character: C0,
 * DEL, and (the whole character) C1 and the bidirectional controls (see
 * crm_term_char). Returns the number of bytes used. */
static size_t put_char(FILE *fp, const unsigned char *p)
{
	size_t k;
	int repl;

	if (*p >= 0xC0) {
		k = crm_term_char((const char *)p, strnlen((const char *)p, 4),
		    &repl);
		if (repl == ' ') {
			fputc(' ', fp);
			return k;
		}
	}
	fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, fp);
	return 1;
}

/* put_cell: s cut to w characters (with "…") and padded, or right-aligned
 * when right; control characters as spaces (put_char). last: no padding after. */
static void put_cell(FILE *fp, const char *s, size_t w, int right, int last)
{
	size_t n = chars(s), keep = n > w ? w - 1 : n, k = 0;
	const unsigned char *p = (const unsigned char *)s;

	if (right && n < w)
		fprintf(fp, "%*s", (int)(w - n), "");
	while (*p) {
		if ((*p & 0xC0) != 0x80 && k++ == keep)
			break;
		p += put_char(fp, p);
	}
	if (n > w)
		fputs("\xE2\x80\xA6", fp);
	if (!right && !last && n < w)
		fprintf(fp, "%*s", (int)(w - n), "");
}

/* put_tail: a long last column on lines of its own under the row,
 * indented by 6, broken every WIDTH - 6 characters, at most TAIL_LINES
 * lines (then cut with "…"). */
#define TAIL_LINES 4
static void put_tail(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = WIDTH - 6, line = 0, k;

	while (*p && line < TAIL_LINES) {
		fputs("      ", fp);
		if (line == TAIL_LINES - 1) {
			put_cell(fp, (const char *)p, w, 0, 1);
		} else {
			for (k = 0; *p && !(k == w && (*p & 0xC0) != 0x80); ) {
				if ((*p & 0xC0) != 0x80)
					k++;
				p += put_char(fp, p);
			}
		}
		fputc('\n', fp);
		line++;
	}
}

/* text_wrap: s wrapped at WIDTH - indent, each line indented. */
static void text_wrap(FILE *fp, const char *s, int indent)
{
	const char *p = s, *sp;
	size_t col, w;

	while (*p) {
		col = (size_t)indent;
		fprintf(fp, "%*s", indent, "");
		for (;;) {
			sp = p + strcspn(p, " ");
			w = chars(p) - chars(sp);
			if (col > (size_t)indent && col + 1 + w > WIDTH)
				break;
			if (col > (size_t)indent) {
				fputc(' ', fp);
				col++;
			}
			fwrite(p, 1, (size_t)(sp - p), fp);
			col += w;
			p = sp;
			while (*p == ' ')
				p++;
			if (*p == '\0')
				break;
		}
		fputc('\n', fp);
	}
}

/* text_table: the table with columns padded to their widest value, two
 * spaces apart, fitted into 80 columns: when too wide and the last column
 * is text, that column goes on a line of its own under each row; then the
 * widest text columns give up one character at a time (cut with "…"). */
static void text_table(FILE *fp, const struct crm_rtable *t)
{
	size_t w[16] = {0}, i, j, total, n = t->ncols < 16 ? t->ncols : 16;
	size_t last = n, tail = n;
	char buf[64];
	const char *v;
	int first;

	if (t->title)
		fprintf(fp, "\n%s\n", t->title);
	if (t->nrows == 0) {
		fputs("  (none)\n", fp);
		return;
	}
	total = 0;
	for (j = 0; j < n; j++) {
		if (!shown(t, j))
			continue;
		w[j] = chars(heading(t, j));
		for (i = 0; i < t->nrows; i++) {
			v = people(t->cells[i * t->ncols + j], t->types[j], buf);
			if (chars(v) > w[j])
				w[j] = chars(v);
		}
		total += w[j] + 2;
	}
	while (last > 0 && !shown(t, last - 1))
		last--;
	if (total > WIDTH && last > 1 && t->types[last - 1] == 's') {
		tail = last - 1;
		last = tail;
		while (last > 0 && !shown(t, last - 1))
			last--;
	}
	for (;;) {
		size_t wide = n;

		total = 2;
		for (j = 0; j < last; j++)
			if (shown(t, j))
				total += w[j] + 2;
		total -= 2;
		if (total <= WIDTH)
			break;
		for (j = 0; j < last; j++)
			if (shown(t, j) && t->types[j] == 's' && w[j] > MINCOL &&
			    (wide == n || w[j] > w[wide]))
				wide = j;
		if (wide == n)
			break;
		w[wide]--;
	}
	for (i = 0; i <= t->nrows; i++) {
		fputs("  ", fp);
		first = 1;
		for (j = 0; j < last; j++) {
			if (!shown(t, j))
				continue;
			if (!first)
				fputs("  ", fp);
			first = 0;
			v = i == 0 ? heading(t, j) :
			    people(t->cells[(i - 1) * t->ncols + j], t->types[j],
			    buf);
			put_cell(fp, v, w[j], numeric(t->types[j]),
			    j + 1 == last);
		}
		fputc('\n', fp);
		if (tail < n) {
			v = i == 0 ? t->cols[tail] : t->cells[(i - 1) * t->ncols +
			    tail];
			if (v)
				put_tail(fp, v);
		}
	}
}

/* period: "2026-11-25 to 2026-11-26" for people. */
static void period(FILE *fp, const struct crm_report *r, const char *pre)
{
	char a[CRM_TIMEBUF], b[CRM_TIMEBUF];

	if (r->since != CRM_NONE)
		fprintf(fp, "%s%s to %s", pre, crm_fmt_time(r->since, a),
		    crm_fmt_time(r->until, b));
	else if (r->kind == CRM_REPORT_CALLBACKS)
		fprintf(fp, "%sopen at %s", pre, crm_fmt_time(r->until, b));
	else
		fprintf(fp, "%suntil %s", pre, crm_fmt_time(r->until, b));
	if (r->psince != CRM_NONE)
		fprintf(fp, " (previous period %s to %s)",
		    crm_fmt_time(r->psince, a), crm_fmt_time(r->puntil, b));
}

static void text_section(FILE *fp, const struct crm_rsection *s,
    const struct crm_rtable *only)
{
	const char *p;
	size_t i;

	fputc('\n', fp);
	for (p = s->title; *p; p++)
		fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, fp);
	fputc('\n', fp);
	if (s->note)
		text_wrap(fp, s->note, 2);
	for (i = 0; i < s->ntables; i++)
		if ((only == NULL || only == s->tables[i]) &&
		    !s->tables[i]->chart_only)
			text_table(fp, s->tables[i]);
}

/* ------------------------------------------------------------------ */
/* Markdown                                                            */

static void md_text(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' ||
		    *s == '`' || *s == '<' || *s == '[')
			fputc('\\', fp);
		fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, fp);
	}
}

static void md_table(FILE *fp, const struct crm_rtable *t)
{
	size_t i, j;
	char buf[64];

	if (t->title)
		fprintf(fp, "### %s\n\n", t->title);
	if (t->nrows == 0) {
		fputs("(none)\n\n", fp);
		return;
	}
	for (i = 0; i < t->nrows + 2; i++) {
		for (j = 0; j < t->ncols; j++) {
			if (!shown(t, j))
				continue;
			fputs("| ", fp);
			if (i == 0)
				md_text(fp, heading(t, j));
			else if (i == 1)
				fputs(numeric(t->types[j]) ? "---:" : "---", fp);
			else
				md_text(fp, people(t->cells[(i - 2) * t->ncols + j],
				    t->types[j], buf));
			fputc(' ', fp);
		}
		fputs("|\n", fp);
	}
	fputc('\n', fp);
}

static void md_section(FILE *fp, const struct crm_rsection *s,
    const struct crm_rtable *only)
{
	size_t i;

	fprintf(fp, "## %s\n\n", s->title);
	if (s->note) {
		md_text(fp, s->note);
		fputs("\n\n", fp);
	}
	for (i = 0; i < s->ntables; i++)
		if ((only == NULL || only == s->tables[i]) &&
		    !s->tables[i]->chart_only)
			md_table(fp, s->tables[i]);
}

/* ------------------------------------------------------------------ */
/* CSV, TSV, JSON through out.c                                        */

/* out_table: write t with crm_out, with an extra leading column
 * first = value when first is not NULL. */
static int out_table(struct crm_out *o, const struct crm_rtable *t,
    const char *firstcol, const char *first, int header)
{
	const char *cols[17], *v[17];
	char types[18];
	size_t i, j, k = firstcol ? 1 : 0, n = t->ncols + k;

	if (n > 17) {
		errno = EINVAL;
		return -1;
	}
	if (header) {
		if (firstcol) {
			cols[0] = firstcol;
			types[0] = 's';
		}
		for (j = 0; j < t->ncols; j++) {
			cols[j + k] = t->cols[j];
			types[j + k] = strchr("snmrpcP", t->types[j]) &&
			    t->types[j] != 's' ? 'n' : 's';
		}
		types[n] = '\0';
		if (crm_out_header(o, cols, n, types) == -1)
			return -1;
	}
	for (i = 0; i < t->nrows; i++) {
		if (firstcol)
			v[0] = first;
		for (j = 0; j < t->ncols; j++)
			v[j + k] = t->cells[i * t->ncols + j];
		if (crm_out_row(o, v, n) == -1)
			return -1;
	}
	return 0;
}

/* main_table: what CSV/TSV write without --section. */
static int write_main(const struct crm_report *r, struct crm_out *o)
{
	const struct crm_rtable *t;
	size_t i, j, len;
	int header = 1;

	if (r->kind != CRM_REPORT_NIGHTLY) {
		if (r->nsections == 0 || r->sections[0]->ntables == 0)
			return 0;
		return out_table(o, r->sections[0]->tables[0], NULL, NULL, 1);
	}
	for (i = 0; i < r->nsections; i++)
		for (j = 0; j < r->sections[i]->ntables; j++) {
			t = r->sections[i]->tables[j];
			len = strlen(t->name);
			if (len < 8 || strcmp(t->name + len - 8, "_figures") != 0)
				continue;
			if (out_table(o, t, "section", r->sections[i]->name,
			    header) == -1)
				return -1;
			header = 0;
		}
	return 0;
}

static int write_flat(const struct crm_report *r, FILE *fp,
    enum crm_report_fmt fmt, const struct crm_rsection *s,
    const struct crm_rtable *t, unsigned flags)
{
	struct crm_out *o;
	int rc;

	if ((o = crm_out_new(fp, fmt == CRM_RFMT_TSV ? CRM_FMT_TSV :
	    CRM_FMT_CSV, flags)) == NULL)
		return -1;
	if (t == NULL && s != NULL)
		t = s->ntables ? s->tables[0] : NULL;
	if (s == NULL)
		rc = write_main(r, o);
	else
		rc = t ? out_table(o, t, NULL, NULL, 1) : 0;
	if (crm_out_end(o) == -1)
		rc = -1;
	crm_out_free(o);
	return rc;
}

static void json_str(FILE *fp, const char *s)
{
	struct crm_buf b = {0};

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	crm_buf_addjson(&b, s);
	if (b.s)
		fputs(b.s, fp);
	crm_buf_free(&b);
}

static void json_time(FILE *fp, int64_t t)
{
	char buf[CRM_TIMEBUF];

	if (t == CRM_NONE)
		fputs("null", fp);
	else
		fprintf(fp, "\"%s\"", crm_fmt_time(t, buf));
}

static int write_json(const struct crm_report *r, FILE *fp,
    const struct crm_rsection *only, const struct crm_rtable *tonly)
{
	const struct crm_rsection *s;
	const struct crm_rtable *t;
	struct crm_out *o;
	size_t i, j, n = 0, k;

	fputs("{\"report\":", fp);
	json_str(fp, crm_report_kind_name(r->kind));
	fputs(",\"title\":", fp);
	json_str(fp, r->title);
	fputs(",\"ran_at\":", fp);
	json_time(fp, r->ran_at);
	fputs(",\"since\":", fp);
	json_time(fp, r->since);
	fputs(",\"until\":", fp);
	json_time(fp, r->until);
	fputs(",\"previous_since\":", fp);
	json_time(fp, r->psince);
	fputs(",\"previous_until\":", fp);
	json_time(fp, r->puntil);
	fputs(",\"sections\":[", fp);
	for (i = 0; i < r->nsections; i++) {
		s = r->sections[i];
		if (only && only != s)
			continue;
		fputs(n++ ? ",\n{\"name\":" : "\n{\"name\":", fp);
		json_str(fp, s->name);
		fputs(",\"title\":", fp);
		json_str(fp, s->title);
		fputs(",\"note\":", fp);
		json_str(fp, s->note);
		fputs(",\"tables\":[", fp);
		for (j = 0, k = 0; j < s->ntables; j++) {
			t = s->tables[j];
			if (tonly && tonly != t)
				continue;
			fputs(k++ ? ",\n{\"name\":" : "\n{\"name\":", fp);
			json_str(fp, t->name);
			fputs(",\"title\":", fp);
			json_str(fp, t->title);
			fputs(",\"rows\":", fp);
			if ((o = crm_out_new(fp, CRM_FMT_JSON, 0)) == NULL)
				return -1;
			if (out_table(o, t, NULL, NULL, 1) == -1 ||
			    crm_out_end(o) == -1) {
				crm_out_free(o);
				return -1;
			}
			crm_out_free(o);
			fputs("}", fp);
		}
		fputs("],\"charts\":[", fp);
		for (j = 0; j < s->ncharts; j++) {
			fprintf(fp, "%s{\"id\":", j ? "," : "");
			json_str(fp, s->charts[j].id);
			fputs(",\"title\":", fp);
			json_str(fp, s->charts[j].title);
			fputs(",\"table\":", fp);
			json_str(fp, s->charts[j].table->name);
			fputs(",\"label\":", fp);
			json_str(fp, s->charts[j].table->cols[s->charts[j].label_col]);
			fputs(",\"value\":", fp);
			json_str(fp, s->charts[j].table->cols[s->charts[j].value_col]);
			fputs("}", fp);
		}
		fputs("]}", fp);
	}
	fputs("]}\n", fp);
	return 0;
}

int crm_report_write(const struct crm_report *r, FILE *fp,
    enum crm_report_fmt fmt, const char *section, unsigned outflags)
{
	const struct crm_rsection *only = NULL;
	const struct crm_rtable *tonly = NULL;
	size_t i;
	int rc = 0;

	if (section && (only = crm_report_find(r, section, &tonly)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	switch (fmt) {
	case CRM_RFMT_TEXT:
		fputs(r->title, fp);
		period(fp, r, "\n");
		fputc('\n', fp);
		for (i = 0; i < r->nsections; i++)
			if (only == NULL || only == r->sections[i])
				text_section(fp, r->sections[i], tonly);
		break;
	case CRM_RFMT_MD:
		fprintf(fp, "# %s\n\n", r->title);
		period(fp, r, "");
		fputs("\n\n", fp);
		for (i = 0; i < r->nsections; i++)
			if (only == NULL || only == r->sections[i])
				md_section(fp, r->sections[i], tonly);
		break;
	case CRM_RFMT_HTML:
		rc = crm__html_write(r, fp, only);
		break;
	case CRM_RFMT_CSV:
	case CRM_RFMT_TSV:
		rc = write_flat(r, fp, fmt, only, tonly, outflags);
		break;
	case CRM_RFMT_JSON:
		rc = write_json(r, fp, only, tonly);
		break;
	}
	if (fflush(fp) == EOF || ferror(fp))
		rc = -1;
	return rc;
}
