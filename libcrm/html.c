/* html.c: a report as one self-contained HTML page: inline CSS, inline SVG
 * bar charts, no scripts and nothing fetched, so that it can be mailed,
 * opened from disk and printed. The page is also well-formed XML. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "report.h"
#include "value.h"

static const char css[] =
	"body{margin:0;padding:16px;background:#ffffff;color:#1f2328;"
	"font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
	"font-size:14px;line-height:1.4}\n"
	".wrap{max-width:860px;margin:0 auto}\n"
	"h1{font-size:22px;margin:0 0 4px 0}\n"
	"p.period{color:#57606a;font-size:13px;margin:0 0 12px 0}\n"
	"h2{font-size:17px;margin:28px 0 8px 0;padding-bottom:4px;"
	"border-bottom:2px solid #0969da}\n"
	"h3{font-size:14px;margin:14px 0 6px 0}\n"
	"p.note{color:#57606a;font-size:13px;margin:4px 0 8px 0}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px;"
	"margin:0 0 8px 0}\n"
	"th,td{padding:4px 8px;border-bottom:1px solid #d8dee4;text-align:left;"
	"vertical-align:top}\n"
	"th{background:#f6f8fa;font-weight:600}\n"
	"td.n,th.n{text-align:right;white-space:nowrap;"
	"font-variant-numeric:tabular-nums}\n"
	"td.up{color:#1a7f37}td.down{color:#cf222e}\n"
	"p.none{color:#57606a;font-style:italic;margin:4px 0 8px 0}\n"
	"div.chart{margin:8px 0 12px 0}\n"
	"svg{max-width:100%;height:auto}\n"
	"p.foot{color:#57606a;font-size:12px;margin-top:24px}\n"
	"@media print{body{padding:0;font-size:11pt}div.section{"
	"break-inside:avoid-page}h2{break-after:avoid}"
	"div.chart{break-inside:avoid}}\n";

/* esc: s with & < > " ' as entities, control characters as spaces. */
static void esc(FILE *fp, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default:
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, fp);
		}
	}
}

static int numeric(char t)
{
	return t != 's' && t != 'd' && t != 'T';
}

/* cell: one value for people, as in the text report. */
static void cell(FILE *fp, const char *v, char t)
{
	if (v == NULL) {
		fputs("&#8211;", fp);
		return;
	}
	if ((t == 'c' || t == 'P') && v[0] != '-' && strtod(v, NULL) != 0)
		fputc('+', fp);
	if (v[0] == '-' && numeric(t))
		fputs("&#8722;", fp), v++;
	esc(fp, v);
	if (t == 'p' || t == 'P')
		fputc('%', fp);
}

static int figures(const struct crm_rtable *t)
{
	size_t n = strlen(t->name);

	return n > 8 && strcmp(t->name + n - 8, "_figures") == 0;
}

static void html_table(FILE *fp, const struct crm_rtable *t)
{
	size_t i, j, j0 = figures(t) ? 1 : 0;
	const char *v;

	if (t->title) {
		fputs("<h3>", fp);
		esc(fp, t->title);
		fputs("</h3>\n", fp);
	}
	if (t->nrows == 0) {
		fputs("<p class=\"none\">None.</p>\n", fp);
		return;
	}
	fprintf(fp, "<table id=\"t-%s\">\n<tr>", t->name);
	for (j = j0; j < t->ncols; j++) {
		const char *h = t->cols[j];

		if (j0 && strcmp(h, "label") == 0)
			h = "";
		else if (strcmp(h, "change_pct") == 0)
			h = "%";
		fprintf(fp, "<th%s>", numeric(t->types[j]) ? " class=\"n\"" : "");
		for (; *h; h++)
			fputc(*h == '_' ? ' ' : *h, fp);
		fputs("</th>", fp);
	}
	fputs("</tr>\n", fp);
	for (i = 0; i < t->nrows; i++) {
		fputs("<tr>", fp);
		for (j = j0; j < t->ncols; j++) {
			v = t->cells[i * t->ncols + j];
			if (!numeric(t->types[j]))
				fputs("<td>", fp);
			else if ((t->types[j] == 'c' || t->types[j] == 'P') && v &&
			    strtod(v, NULL) != 0)
				fprintf(fp, "<td class=\"n %s\">", v[0] == '-' ?
				    "down" : "up");
			else
				fputs("<td class=\"n\">", fp);
			cell(fp, v, t->types[j]);
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* nice: the smallest 1, 2 or 5 times a power of ten at least v. */
static double nice(double v)
{
	double p, f;

	if (v <= 0)
		return 1;
	p = pow(10, floor(log10(v)));
	f = v / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* axis: a value for an axis label: 1200 -> "1200", 2.5 -> "2.5". */
static void axis(FILE *fp, double v)
{
	if (fabs(v - round(v)) < 1e-9)
		fprintf(fp, "%.0f", v);
	else
		fprintf(fp, "%g", v);
}

/* bar_title: the <title> of a bar: "label: value". */
static void bar_data(FILE *fp, const char *label, const char *value)
{
	fputs(" data-label=\"", fp);
	esc(fp, label);
	fputs("\" data-value=\"", fp);
	esc(fp, value ? value : "0");
	fputs("\"><title>", fp);
	esc(fp, label);
	fputs(": ", fp);
	esc(fp, value ? value : "0");
	fputs("</title></rect>\n", fp);
}

static void chart_vertical(FILE *fp, const struct crm_rchart *c)
{
	const struct crm_rtable *t = c->table;
	const double W = 760, H = 240, L = 56, R = 8, T = 12, B = 40;
	double max = 0, top, pw = W - L - R, ph = H - T - B, slot, bw, v, y;
	size_t i, n = t->nrows, every;
	int k;

	for (i = 0; i < n; i++) {
		const char *s = t->cells[i * t->ncols + c->value_col];

		if (s && (v = strtod(s, NULL)) > max)
			max = v;
	}
	top = nice(max);
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-%s\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"", c->id, W, H, W, H);
	esc(fp, c->title);
	fputs("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n",
	    fp);
	for (k = 0; k <= 4; k++) {
		y = T + ph - ph * k / 4;
		fprintf(fp, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
		    "stroke=\"#d8dee4\" stroke-width=\"1\"/>\n", L, y, W - R, y);
		fprintf(fp, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
		    "fill=\"#57606a\">", L - 6, y + 4);
		axis(fp, top * k / 4);
		fputs("</text>\n", fp);
	}
	if (n == 0) {
		fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" "
		    "fill=\"#57606a\">no data</text>\n", L + pw / 2, T + ph / 2);
		fputs("</svg>\n", fp);
		return;
	}
	slot = pw / (double)n;
	bw = slot * 0.75;
	every = n > 12 ? (n + 9) / 10 : 1;
	for (i = 0; i < n; i++) {
		const char *label = t->cells[i * t->ncols + c->label_col];
		const char *s = t->cells[i * t->ncols + c->value_col];
		double h;

		v = s ? strtod(s, NULL) : 0;
		h = v > 0 ? ph * v / top : 0;
		fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"#0969da\"", L + slot * (double)i +
		    (slot - bw) / 2, T + ph - h, bw, h);
		bar_data(fp, label ? label : "", s);
		if (n <= 12) {
			fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\" fill=\"#1f2328\">",
			    L + slot * ((double)i + 0.5), T + ph - h - 4);
			esc(fp, s ? s : "0");
			fputs("</text>\n", fp);
		}
		if (i % every == 0 && label) {
			/* dates as MM-DD to keep them short */
			const char *shown = strlen(label) == 10 &&
			    label[4] == '-' ? label + 5 : label;

			fprintf(fp, "<text x=\"%.1f\" y=\"%.0f\" "
			    "text-anchor=\"middle\" fill=\"#57606a\">",
			    L + slot * ((double)i + 0.5), H - B + 16);
			esc(fp, shown);
			fputs("</text>\n", fp);
		}
	}
	fputs("</svg>\n", fp);
}

static void chart_horizontal(FILE *fp, const struct crm_rchart *c)
{
	const struct crm_rtable *t = c->table;
	const double W = 760, L = 160, R = 70, ROW = 22, T = 6;
	double max = 0, top, pw = W - L - R, v, H;
	size_t i, n = t->nrows;

	for (i = 0; i < n; i++) {
		const char *s = t->cells[i * t->ncols + c->value_col];

		if (s && (v = strtod(s, NULL)) > max)
			max = v;
	}
	top = max > 0 ? max : 1;
	H = T * 2 + ROW * (double)(n ? n : 1);
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-%s\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"", c->id, W, H, W, H);
	esc(fp, c->title);
	fputs("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
	    fp);
	if (n == 0)
		fprintf(fp, "<text x=\"%.0f\" y=\"%.0f\" fill=\"#57606a\">"
		    "no data</text>\n", L, T + 15);
	for (i = 0; i < n; i++) {
		const char *label = t->cells[i * t->ncols + c->label_col];
		const char *s = t->cells[i * t->ncols + c->value_col];
		double y = T + ROW * (double)i, w;

		v = s ? strtod(s, NULL) : 0;
		w = v > 0 ? pw * v / top : 0;
		fprintf(fp, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
		    "fill=\"#1f2328\">", L - 8, y + 15);
		esc(fp, label);
		fputs("</text>\n", fp);
		fprintf(fp, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.0f\" fill=\"#0969da\"", L, y + 3, w, ROW - 6);
		bar_data(fp, label ? label : "", s);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#1f2328\">",
		    L + w + 6, y + 15);
		esc(fp, s ? s : "0");
		fputs("</text>\n", fp);
	}
	fputs("</svg>\n", fp);
}

static void html_section(FILE *fp, const struct crm_rsection *s)
{
	size_t i;

	fprintf(fp, "<div class=\"section\" id=\"s-%s\">\n<h2>", s->name);
	esc(fp, s->title);
	fputs("</h2>\n", fp);
	if (s->note) {
		fputs("<p class=\"note\">", fp);
		esc(fp, s->note);
		fputs("</p>\n", fp);
	}
	for (i = 0; i < s->ntables; i++)
		if (!s->tables[i]->chart_only)
			html_table(fp, s->tables[i]);
	for (i = 0; i < s->ncharts; i++) {
		fputs("<div class=\"chart\">\n<h3>", fp);
		esc(fp, s->charts[i].title);
		fputs("</h3>\n", fp);
		if (s->charts[i].horizontal)
			chart_horizontal(fp, &s->charts[i]);
		else
			chart_vertical(fp, &s->charts[i]);
		fputs("</div>\n", fp);
	}
	fputs("</div>\n", fp);
}

int crm__html_write(const struct crm_report *r, FILE *fp,
    const struct crm_rsection *only)
{
	char a[CRM_TIMEBUF], b[CRM_TIMEBUF];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"/>\n<title>", fp);
	esc(fp, r->title);
	fprintf(fp, " %s</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<div class=\"wrap\">\n<h1>", crm_fmt_day(r->until, a), css);
	esc(fp, r->title);
	fputs("</h1>\n<p class=\"period\">", fp);
	if (r->since != CRM_NONE)
		fprintf(fp, "%s to %s", crm_fmt_time(r->since, a),
		    crm_fmt_time(r->until, b));
	else
		fprintf(fp, "until %s", crm_fmt_time(r->until, b));
	if (r->psince != CRM_NONE)
		fprintf(fp, "; compared with %s to %s",
		    crm_fmt_time(r->psince, a), crm_fmt_time(r->puntil, b));
	fputs("</p>\n", fp);
	for (i = 0; i < r->nsections; i++)
		if (only == NULL || only == r->sections[i])
			html_section(fp, r->sections[i]);
	fprintf(fp, "<p class=\"foot\">crm-report %s, %s.</p>\n</div>\n"
	    "</body>\n</html>\n", crm_report_kind_name(r->kind),
	    crm_fmt_time(r->ran_at, a));
	return ferror(fp) ? -1 : 0;
}
