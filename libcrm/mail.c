/* mail.c: read one email message (RFC 5322 header, MIME body) into a
 * struct crm_mail: sender, date, subject, Message-ID and plain-text body. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail.h"
#include "util.h"

#define REPL "\xef\xbf\xbd"     /* U+FFFD REPLACEMENT CHARACTER */
#define MAXDEPTH 20             /* how deep multiparts may nest */

/* A MIME entity (the message or one part): its header block and body. */
struct part {
	const char *h, *b;
	size_t hn, bn;
};

/* The text parts found while walking the MIME tree. */
struct found {
	struct part plain, html;
	int has_plain, has_html;
};

/* take: the string of b (NULL, with *oom set, when b ran out of memory). */
static char *take(struct crm_buf *b, int *oom)
{
	char *s = crm_buf_take(b);

	if (s == NULL)
		*oom = 1;
	return s;
}

/* drop: free the scratch buffer b, noting in *oom whether it ran out. */
static void drop(struct crm_buf *b, int *oom)
{
	if (b->oom)
		*oom = 1;
	crm_buf_free(b);
}

/* eol: the start of the line after the one at p (past its LF), or e. */
static const char *eol(const char *p, const char *e)
{
	const char *q = memchr(p, '\n', (size_t)(e - p));

	return q ? q + 1 : e;
}

/* hexval: the value of hex digit c, or -1. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* add_utf8: append s[0..n) to out, each invalid UTF-8 byte as U+FFFD. */
static void add_utf8(struct crm_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t k;

	while (p < e) {
		if (*p == 0 || (k = crm_utf8_len((const char *)p,
		    (size_t)(e - p))) == 0) {
			crm_buf_adds(out, REPL);
			p++;
		} else {
			crm_buf_add(out, p, k);
			p += k;
		}
	}
}

/* add_cp: append code point cp as UTF-8 (U+FFFD when it is not one). */
static void add_cp(struct crm_buf *out, unsigned long cp)
{
	char u[4];
	int i, n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		crm_buf_adds(out, REPL);
		return;
	}
	for (i = n - 1; i > 0; i--, cp >>= 6)
		u[i] = (char)(0x80 | (cp & 0x3f));
	u[0] = (char)(n == 1 ? cp : (0xff00u >> n & 0xff) | cp);
	crm_buf_add(out, u, (size_t)n);
}

/* iconv_name: the iconv(3) name for MIME charset cs, or NULL when cs is
 * UTF-8, US-ASCII or not one we convert. ISO-8859-1 is read as
 * Windows-1252, as mail clients and browsers do: its 0x80-0x9f are C1
 * controls nobody means, while mislabelled 1252 text (€, quotes) is common. */
static const char *iconv_name(const char *cs)
{
	static const struct { const char *label, *name; } tab[] = {
		{ "iso88591", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
		{ "l1", "WINDOWS-1252" }, { "windows1252", "WINDOWS-1252" },
		{ "cp1252", "WINDOWS-1252" }, { "xcp1252", "WINDOWS-1252" },
		{ "iso885915", "ISO-8859-15" }, { "latin9", "ISO-8859-15" },
	};
	char norm[32];
	size_t i, n = 0;

	for (; cs && *cs && *cs != '*' && n < sizeof norm - 1; cs++)
		if (isalnum((unsigned char)*cs))
			norm[n++] = (char)tolower((unsigned char)*cs);
	norm[n] = '\0';
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(norm, tab[i].label) == 0)
			return tab[i].name;
	return NULL;
}

/* to_utf8: append s[0..n), written in charset cs (NULL: unknown), to out
 * as UTF-8. Bytes that do not convert become U+FFFD. */
static void to_utf8(struct crm_buf *out, const char *cs, const char *s,
    size_t n)
{
	const char *name = iconv_name(cs);
	char tmp[512], *in = (char *)s, *o;
	size_t inleft = n, oleft, r;
	iconv_t cd;

	if (n == 0)
		return;
	if (name == NULL ||
	    (cd = iconv_open("UTF-8", name)) == (iconv_t)-1) {
		add_utf8(out, s, n);
		return;
	}
	while (inleft > 0) {
		o = tmp;
		oleft = sizeof tmp;
		r = iconv(cd, &in, &inleft, &o, &oleft);
		add_utf8(out, tmp, (size_t)(o - tmp));  /* whole chars; no NUL */
		if (r == (size_t)-1 && errno != E2BIG) {
			/* EILSEQ (e.g. 1252's unassigned 0x81) or EINVAL */
			crm_buf_adds(out, REPL);
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
}

/* qp: append s[0..n) decoded from quoted-printable to out; with q set,
 * the RFC 2047 "Q" variant (_ is a space, no soft line breaks). */
static void qp(struct crm_buf *out, const char *s, size_t n, int q)
{
	const char *e = s + n, *t;

	while (s < e) {
		if (*s == '_' && q) {
			crm_buf_addc(out, ' ');
			s++;
		} else if (*s != '=') {
			crm_buf_addc(out, *s++);
		} else if (e - s >= 3 && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			crm_buf_addc(out, hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
		} else {
			/* "=" then optional blanks then the line end: a soft break */
			for (t = s + 1; t < e && (*t == ' ' || *t == '\t' ||
			    *t == '\r'); t++)
				;
			if (!q && (t == e || *t == '\n'))
				s = t < e ? t + 1 : e;
			else
				crm_buf_addc(out, *s++);
		}
	}
}

/* b64: append s[0..n) decoded from base64 to out; other bytes (line ends,
 * padding) are skipped. */
static void b64(struct crm_buf *out, const char *s, size_t n)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long acc = 0;
	const char *d;
	int bits = 0;

	for (; n > 0; n--, s++) {
		if (*s == '\0' || (d = strchr(digits, *s)) == NULL)
			continue;
		acc = (acc << 6 | (unsigned long)(d - digits)) & 0x3fff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			crm_buf_addc(out, (int)(acc >> bits & 0xff));
		}
	}
}

/* field_name: the length of the header field name that starts line
 * p[0..e), or 0 when the line is not "name:". */
static size_t field_name(const char *p, const char *e)
{
	const char *q = p;
	size_t n;

	while (q < e && *q > ' ' && *q < 127 && *q != ':')
		q++;
	n = (size_t)(q - p);
	while (q < e && (*q == ' ' || *q == '\t'))   /* obsolete "Name :" */
		q++;
	return n > 0 && q < e && *q == ':' ? n : 0;
}

/* split: divide the entity p[0..n) into header block and body. The header
 * ends at an empty line, or at a line that is neither field nor fold. */
static void split(const char *p, size_t n, struct part *pt)
{
	const char *e = p + n, *line, *next;

	for (line = p; line < e; line = next) {
		next = eol(line, e);
		if (*line == '\n' || (*line == '\r' && next - line == 2 &&
		    line[1] == '\n')) {
			pt->h = p, pt->hn = (size_t)(line - p);
			pt->b = next, pt->bn = (size_t)(e - next);
			return;
		}
		if (line > p && (*line == ' ' || *line == '\t'))
			continue;
		if (field_name(line, next) == 0)
			break;
	}
	pt->h = p, pt->hn = (size_t)(line - p);
	pt->b = line, pt->bn = (size_t)(e - line);
}

/* oneline: make header text s one tidy line in place: control characters
 * and runs of white space become one space, both ends trimmed. */
static char *oneline(char *s)
{
	char *r = s, *w = s;

	for (; *r; r++) {
		if ((unsigned char)*r <= ' ' || *r == 0x7f) {
			if (w > s && w[-1] != ' ')
				*w++ = ' ';
		} else
			*w++ = *r;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

/* header: the value of the first field called name in pt's header block,
 * unfolded, made valid UTF-8 and trimmed. Returns a string the caller
 * frees, or NULL when there is no such field (or *oom is set). */
static char *header(const struct part *pt, const char *name, int *oom)
{
	const char *e = pt->h + pt->hn, *line, *next, *v;
	struct crm_buf raw = {0}, out = {0};
	size_t nl = strlen(name);
	char *s;

	for (line = pt->h; line < e; line = next) {
		next = eol(line, e);
		if (field_name(line, next) != nl ||
		    strncasecmp(line, name, nl) != 0)
			continue;
		v = (const char *)memchr(line, ':', (size_t)(next - line)) + 1;
		for (;;) {
			for (; v < next; v++)
				if (*v != '\r' && *v != '\n')
					crm_buf_addc(&raw, *v);
			if (next >= e || (*next != ' ' && *next != '\t'))
				break;
			v = next;
			next = eol(next, e);
		}
		add_utf8(&out, raw.s ? raw.s : "", raw.len);
		drop(&raw, oom);
		if ((s = take(&out, oom)) == NULL)
			return NULL;
		v = crm_strtrim(s);
		memmove(s, v, strlen(v) + 1);
		return s;
	}
	return NULL;
}

/* param: the value of parameter name in header value v ("text/plain;
 * charset=utf-8"), unquoted. Returns a string the caller frees, or NULL
 * when absent (or *oom is set). */
static char *param(const char *v, const char *name, int *oom)
{
	struct crm_buf b = {0};
	size_t al, nl = strlen(name);
	const char *a, *p = strchr(v, ';');

	for (; p != NULL; p = strchr(p, ';')) {
		for (p++; isspace((unsigned char)*p); p++)
			;
		for (a = p; *p && *p != '=' && *p != ';' &&
		    !isspace((unsigned char)*p); p++)
			;
		al = (size_t)(p - a);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		for (p++; isspace((unsigned char)*p); p++)
			;
		crm_buf_reset(&b);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				crm_buf_addc(&b, *p);
			}
		} else {
			for (; *p && *p != ';' && !isspace((unsigned char)*p); p++)
				crm_buf_addc(&b, *p);
		}
		if (al == nl && strncasecmp(a, name, nl) == 0)
			return take(&b, oom);
	}
	drop(&b, oom);
	return NULL;
}

/* encoded_word: if p starts an RFC 2047 encoded word "=?cs?e?text?=",
 * set its parts and return the byte after it; else return NULL. */
static const char *encoded_word(const char *p, char cs[40], int *enc,
    const char **text, size_t *tn)
{
	const char *q, *end;
	size_t n;

	if (p[0] != '=' || p[1] != '?')
		return NULL;
	for (q = p + 2; *q && *q != '?' && !isspace((unsigned char)*q); q++)
		;
	if ((n = (size_t)(q - p - 2)) == 0 || n >= 40 || *q != '?' ||
	    strchr("QqBb", q[1]) == NULL || q[1] == '\0' || q[2] != '?')
		return NULL;
	for (end = q + 3; *end && !(end[0] == '?' && end[1] == '='); end++)
		if (isspace((unsigned char)*end) || end - q > 1000)
			return NULL;    /* long words are garbage (RFC: 75) */
	if (*end == '\0')
		return NULL;
	memcpy(cs, p + 2, n);
	cs[n] = '\0';
	*enc = toupper((unsigned char)q[1]);
	*text = q + 3;
	*tn = (size_t)(end - *text);
	return end + 2;
}

/* decode_words: append header text s (valid UTF-8) to out with its RFC
 * 2047 encoded words decoded. White space between two encoded words is
 * dropped, and adjacent words in one charset are joined before converting,
 * so a character split between them survives. */
static void decode_words(struct crm_buf *out, const char *s, int *oom)
{
	struct crm_buf raw = {0};
	char cs[40], rawcs[40] = "";
	const char *p = s, *q, *next, *text;
	size_t tn;
	int enc;

	while (*p) {
		if ((next = encoded_word(p, cs, &enc, &text, &tn)) != NULL) {
			if (raw.len > 0 && !crm_streq_nocase(cs, rawcs)) {
				to_utf8(out, rawcs, raw.s, raw.len);
				crm_buf_reset(&raw);
			}
			memcpy(rawcs, cs, sizeof rawcs);
			if (enc == 'Q')
				qp(&raw, text, tn, 1);
			else
				b64(&raw, text, tn);
			/* skip white space up to another encoded word */
			for (q = next; *q == ' ' || *q == '\t'; q++)
				;
			p = encoded_word(q, cs, &enc, &text, &tn) ? q : next;
			continue;
		}
		if (raw.len > 0) {
			to_utf8(out, rawcs, raw.s, raw.len);
			crm_buf_reset(&raw);
		}
		crm_buf_addc(out, *p++);
	}
	if (raw.len > 0)
		to_utf8(out, rawcs, raw.s, raw.len);
	drop(&raw, oom);
}

/* decoded: s with encoded words decoded, made one line; NULL when that
 * leaves it empty. The caller frees the result. */
static char *decoded(const char *s, int *oom)
{
	struct crm_buf b = {0};
	char *r;

	decode_words(&b, s, oom);
	if ((r = take(&b, oom)) == NULL)
		return NULL;
	if (*oneline(r) == '\0') {
		free(r);
		return NULL;
	}
	return r;
}

/* parse_from: set m->from and m->from_name from the From: value v, which
 * is "Name <addr>", "addr (Name)" or "addr"; only the first mailbox of a
 * list counts. The address keeps its case, loses white space. */
static void parse_from(struct crm_mail *m, const char *v, int *oom)
{
	struct crm_buf phrase = {0}, addr = {0}, comment = {0};
	int angle = 0, at = 0, depth;
	const char *p;

	for (p = v; *p; p++) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (!angle)
					crm_buf_addc(&phrase, *p);
			}
			if (*p == '\0')
				break;
		} else if (*p == '(') {
			for (depth = 1, p++; *p; p++) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0)
					break;
				crm_buf_addc(&comment, *p);
			}
			crm_buf_addc(&comment, ' ');
			if (*p == '\0')
				break;
		} else if (*p == '<' && !angle) {
			for (p++; *p && *p != '>'; p++)
				if (!isspace((unsigned char)*p))
					crm_buf_addc(&addr, *p);
			angle = 1;
			if (*p == '\0')
				break;
		} else if (*p == ',' && (angle || at)) {
			break;  /* the next mailbox; an unquoted "Müller, Anna
			           <a@b.de>" keeps its comma in the name */
		} else if (!angle) {
			at |= *p == '@';
			crm_buf_addc(&phrase, *p);
		}
	}
	if (!angle) {               /* a bare address; any comment is the name */
		for (p = phrase.s; p && *p; p++)
			if (!isspace((unsigned char)*p))
				crm_buf_addc(&addr, *p);
		m->from_name = decoded(comment.s ? comment.s : "", oom);
	} else if ((m->from_name = decoded(phrase.s ? phrase.s : "", oom)) == NULL)
		m->from_name = decoded(comment.s ? comment.s : "", oom);
	if (addr.len > 0)
		m->from = take(&addr, oom);
	drop(&addr, oom);
	drop(&phrase, oom);
	drop(&comment, oom);
}

/* message_id: the Message-ID value v without its angle brackets and white
 * space, or NULL when that is empty. */
static char *message_id(const char *v, int *oom)
{
	struct crm_buf b = {0};
	const char *p = strchr(v, '<'), *e;

	if (p == NULL || (e = strchr(p, '>')) == NULL)
		p = v, e = v + strlen(v);
	else
		p++;
	for (; p < e; p++)
		if (!isspace((unsigned char)*p))
			crm_buf_addc(&b, *p);
	if (b.len == 0) {
		drop(&b, oom);
		return NULL;
	}
	return take(&b, oom);
}

/* skip_cfws: p past white space and (nested) comments. */
static const char *skip_cfws(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !isspace((unsigned char)*p))
			break;
	}
	return p;
}

/* number: read up to max digits at *p into *v. Returns how many. */
static int number(const char **p, int max, int *v)
{
	int n = 0;

	for (*v = 0; n < max && isdigit((unsigned char)**p); n++, ++*p)
		*v = *v * 10 + (**p - '0');
	return n;
}

/* word: copy the run of letters at *p (at most n - 1) into w, lowercased,
 * skipping the rest of the run. Returns its length. */
static size_t word(const char **p, char *w, size_t n)
{
	size_t i = 0;

	for (; isalpha((unsigned char)**p); ++*p)
		if (i < n - 1)
			w[i++] = (char)tolower((unsigned char)**p);
	w[i] = '\0';
	return i;
}

/* zone: the offset east of UTC in minutes of zone name w (RFC 5322's
 * obsolete zones plus CET/CEST/MEZ/MESZ); unknown zones count as UTC. */
static int zone(const char *w)
{
	static const struct { const char *name; int hours; } tab[] = {
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
		{ "cet", 1 }, { "cest", 2 }, { "mez", 1 }, { "mesz", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(w, tab[i].name) == 0)
			return tab[i].hours * 60;
	return 0;
}

/* days_from_civil: days since 1970-01-01 of the Gregorian y-m-d. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* parse_date: Unix seconds of RFC 5322 date s ("Thu, 26 Nov 2026
 * 10:15:00 +0100", day name and seconds optional), or INT64_MIN. */
static int64_t parse_date(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int day, mon, year, hh, mm, ss = 0, off = 0, n, zh;
	const char *p = skip_cfws(s), *mp;
	char w[8];

	if (isalpha((unsigned char)*p)) {                  /* day name */
		word(&p, w, sizeof w);
		p = skip_cfws(p);
		if (*p == ',')
			p = skip_cfws(p + 1);
	}
	if (number(&p, 2, &day) == 0)
		return INT64_MIN;
	p = skip_cfws(p);
	if (word(&p, w, sizeof w) < 3)
		return INT64_MIN;
	w[3] = '\0';
	if ((mp = strstr(months, w)) == NULL || (mp - months) % 3 != 0)
		return INT64_MIN;
	mon = (int)(mp - months) / 3 + 1;
	p = skip_cfws(p);
	if ((n = number(&p, 4, &year)) < 2)
		return INT64_MIN;
	if (n == 2)
		year += year < 50 ? 2000 : 1900;
	else if (n == 3)
		year += 1900;
	p = skip_cfws(p);
	if (number(&p, 2, &hh) == 0 || *p++ != ':' || number(&p, 2, &mm) != 2)
		return INT64_MIN;
	if (*p == ':' && (p++, number(&p, 2, &ss)) != 2)
		return INT64_MIN;
	p = skip_cfws(p);
	if ((*p == '+' || *p == '-') && (mp = p + 1, number(&mp, 4, &zh)) == 4) {
		off = (zh / 100 * 60 + zh % 100) * (*p == '-' ? -1 : 1);
	} else if (isalpha((unsigned char)*p)) {
		word(&p, w, sizeof w);
		off = zone(w);
	}
	if (day < 1 || day > mdays[mon - 1] || hh > 23 || mm > 59 || ss > 60 ||
	    (mon == 2 && day == 29 && (year % 4 != 0 ||
	    (year % 100 == 0 && year % 400 != 0))))
		return INT64_MIN;
	return days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 +
	    ss - (int64_t)off * 60;
}

/* is_type: 1 if Content-Type value ct (NULL: none, meaning text/plain) is
 * of type want; a want ending in '/' matches any subtype. */
static int is_type(const char *ct, const char *want)
{
	size_t n = strlen(want), t;

	if (ct == NULL || (t = strcspn(ct, ";/")) == 0 || ct[t] != '/')
		ct = "text/plain";
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	return want[n - 1] == '/' || ct[n] == '\0' || ct[n] == ';' ||
	    isspace((unsigned char)ct[n]) || ct[n] == '(';
}

/* walk: look through entity pt (and the parts of a multipart, at most
 * MAXDEPTH deep) for the first text/plain and the first text/html part
 * that are not attachments. Returns 1 once text/plain is found. */
static int walk(const struct part *pt, struct found *f, int depth, int *oom)
{
	char *ct = header(pt, "Content-Type", oom);
	char *disp = header(pt, "Content-Disposition", oom), *bd = NULL;
	const char *e = pt->b + pt->bn, *line, *next, *t, *start = NULL;
	struct part sub;
	size_t bl;
	int found = 0, last, attach;

	attach = disp != NULL && strncasecmp(disp, "attachment", 10) == 0;

	if (is_type(ct, "multipart/")) {
		if (depth >= MAXDEPTH || (bd = param(ct, "boundary", oom)) == NULL)
			goto out;
		bl = strlen(bd);
		for (line = pt->b; line < e && bl > 0; line = next) {
			next = eol(line, e);
			if (next - line < (ptrdiff_t)bl + 2 || line[0] != '-' ||
			    line[1] != '-' || memcmp(line + 2, bd, bl) != 0)
				continue;
			t = line + 2 + bl;
			last = next - t >= 2 && t[0] == '-' && t[1] == '-';
			while (!last && t < next && isspace((unsigned char)*t))
				t++;
			if (!last && t < next)
				continue;       /* a longer boundary */
			if (start != NULL) {    /* the CRLF before is the delimiter's */
				t = line;
				if (t > start && t[-1] == '\n')
					t--;
				if (t > start && t[-1] == '\r')
					t--;
				split(start, (size_t)(t - start), &sub);
				if ((found = walk(&sub, f, depth + 1, oom)))
					goto out;
			}
			if (last)
				goto out;
			start = next;
		}
		if (start != NULL) {            /* no closing delimiter */
			split(start, (size_t)(e - start), &sub);
			found = walk(&sub, f, depth + 1, oom);
		}
	} else if (!attach && is_type(ct, "text/plain")) {
		f->plain = *pt;
		f->has_plain = found = 1;
	} else if (!attach && is_type(ct, "text/html") && !f->has_html) {
		f->html = *pt;
		f->has_html = 1;
	}
out:
	free(ct);
	free(disp);
	free(bd);
	return found;
}

/* Where strip_html is: the output, how many line ends follow the text so
 * far (2 at the start, so that none lead), whether a space is pending, and
 * which skipped elements were found never to close. */
struct html {
	struct crm_buf *out;
	int nl, sp;
	unsigned unclosed;
};

/* html_break: end the line so that at least want line ends (1, or 2 for
 * a blank line) follow the text; want 0 (<br>) adds one, up to 2. */
static void html_break(struct html *h, int want)
{
	if (want == 0)
		want = h->nl < 2 ? h->nl + 1 : 2;
	for (h->sp = 0; h->nl < want; h->nl++)
		crm_buf_addc(h->out, '\n');
}

/* html_tag: handle the tag (or <!...>, <?...>) at s; returns the byte
 * after it, or after the end tag of an element whose content is no text. */
static const char *html_tag(struct html *h, const char *s)
{
	static const struct { const char *name; int lines; } tab[] = {
		{ "head", -1 }, { "style", -1 }, { "script", -1 }, { "title", -1 },
		{ "br", 0 }, { "div", 1 }, { "tr", 1 }, { "li", 1 }, { "hr", 1 },
		{ "dd", 1 }, { "dt", 1 }, { "p", 2 }, { "h1", 2 }, { "h2", 2 },
		{ "h3", 2 }, { "h4", 2 }, { "h5", 2 }, { "h6", 2 },
		{ "table", 2 }, { "ul", 2 }, { "ol", 2 }, { "blockquote", 2 },
		{ "pre", 2 },
	};
	const char *t = s + 1 + (s[1] == '/'), *q;
	char tag[12], quote = 0;
	int close = s[1] == '/';
	size_t i, n;

	for (n = 0; isalnum((unsigned char)*t); t++)
		if (n < sizeof tag - 1)
			tag[n++] = (char)tolower((unsigned char)*t);
	tag[n] = '\0';
	for (q = t; *q && (quote || *q != '>'); q++) {
		if (quote && *q == quote)
			quote = 0;      /* a quoted attribute value may hold '>' */
		else if (!quote && (*q == '"' || *q == '\'') && q[-1] == '=')
			quote = *q;
	}
	s = *q ? q + 1 : q;
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(tag, tab[i].name) == 0)
			break;
	if (i == sizeof tab / sizeof tab[0])
		return s;
	if (tab[i].lines >= 0) {
		html_break(h, tab[i].lines);
		return s;
	}
	if (close || (h->unclosed & 1u << i))
		return s;
	for (q = s; *q; q++)
		if (q[0] == '<' && q[1] == '/' && strncasecmp(q + 2, tag, n) == 0)
			return (q = strchr(q, '>')) ? q + 1 : s;
	if (strcmp(tag, "head") != 0)
		return q;       /* as in browsers, an unclosed <style> runs on */
	h->unclosed |= 1u << i;         /* </head> is optional: search once */
	return s;
}

/* html_entity: append the character of the entity at s ("&amp;",
 * "&#228;", "&#xE4;") to out; returns the byte after it, or NULL when s
 * holds no entity known here. */
static const char *html_entity(struct crm_buf *out, const char *s)
{
	static const struct { const char *name, *text; } tab[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&apos;", "'" }, { "&nbsp;", " " },
	};
	int hex = s[1] == '#' && (s[2] == 'x' || s[2] == 'X');
	unsigned long cp;
	char *end;
	size_t i;

	if (s[1] == '#' && isxdigit((unsigned char)s[2 + hex])) {
		errno = 0;
		cp = hex ? strtoul(s + 3, &end, 16) : strtoul(s + 2, &end, 10);
		if (*end != ';' || errno != 0)
			return NULL;
		add_cp(out, cp);
		return end + 1;
	}
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strncmp(s, tab[i].name, strlen(tab[i].name)) == 0) {
			crm_buf_adds(out, tab[i].text);
			return s + strlen(tab[i].name);
		}
	return NULL;
}

/* strip_html: append the text of HTML s to out: tags and comments
 * dropped, head, style and script left out, blocks on lines of their
 * own, white space collapsed, the common entities decoded. */
static void strip_html(struct crm_buf *out, const char *s)
{
	struct html h = { out, 2, 0, 0 };
	const char *t;

	while (*s) {
		if (strncmp(s, "<!--", 4) == 0) {
			s = (t = strstr(s + 4, "-->")) ? t + 3 : s + strlen(s);
		} else if (*s == '<' && (isalpha((unsigned char)s[1]) ||
		    s[1] == '/' || s[1] == '!' || s[1] == '?')) {
			s = html_tag(&h, s);
		} else if (isspace((unsigned char)*s)) {
			h.sp = 1;
			s++;
		} else {
			if (h.sp && h.nl == 0)
				crm_buf_addc(out, ' ');
			h.sp = h.nl = 0;
			if (*s != '&' || (t = html_entity(out, s)) == NULL)
				crm_buf_addc(out, *s++);
			else
				s = t;
		}
	}
	while (out->len > 0 && out->s[out->len - 1] == '\n')
		out->s[--out->len] = '\0';
	if (out->len > 0)
		crm_buf_addc(out, '\n');
}

/* part_text: the body of text part pt, transfer-decoded, converted to
 * UTF-8 with CRLF (or a lone CR) made LF, and with html set, stripped of
 * its markup. The caller frees it; NULL when out of memory. */
static char *part_text(const struct part *pt, int html, int *oom)
{
	struct crm_buf raw = {0}, utf = {0}, txt = {0};
	char *ct = header(pt, "Content-Type", oom), *cs = NULL, *r, *w, *s;
	char *cte = header(pt, "Content-Transfer-Encoding", oom);

	if (ct != NULL)
		cs = param(ct, "charset", oom);
	if (cte && crm_streq_nocase(cte, "base64"))
		b64(&raw, pt->b, pt->bn);
	else if (cte && crm_streq_nocase(cte, "quoted-printable"))
		qp(&raw, pt->b, pt->bn, 0);
	else
		crm_buf_add(&raw, pt->b, pt->bn);
	to_utf8(&utf, cs, raw.s, raw.len);
	if (html) {
		strip_html(&txt, utf.s ? utf.s : "");
		s = take(&txt, oom);
	} else
		s = take(&utf, oom);
	for (r = w = s; s && *r; r++) {
		if (*r == '\r' && r[1] == '\n')
			continue;
		*w++ = *r == '\r' ? '\n' : *r;
	}
	if (s)
		*w = '\0';
	drop(&raw, oom);
	drop(&utf, oom);
	drop(&txt, oom);
	free(ct);
	free(cs);
	free(cte);
	return s;
}

/* blank_controls: replace control characters in s (NULL is a no-op) in
 * place by a space each: C0 and DEL (but tab and newline when multiline)
 * and C1 U+0080..U+009F. Mail may hold terminal escapes (and ISO-2022
 * text we do not convert); they are not kept. */
static void blank_controls(char *s, int multiline)
{
	unsigned char *p = (unsigned char *)s, *q = p;

	if (s == NULL)
		return;
	for (; *p; p++) {
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			*q++ = ' ';
			p++;
		} else if ((*p < 0x20 || *p == 0x7F) &&
		    !(multiline && (*p == '\t' || *p == '\n'))) {
			*q++ = ' ';
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
}

int crm_mail_parse(const char *msg, size_t len, struct crm_mail *m,
    const char **why)
{
	const char *e, *dummy;
	struct found f = {0};
	struct part top;
	char *v;
	int oom = 0;

	if (why == NULL)
		why = &dummy;
	memset(m, 0, sizeof *m);
	m->date = INT64_MIN;
	if (msg == NULL || len == 0) {
		*why = "not a mail message";
		return -1;
	}
	e = msg + len;
	if (len > 5 && strncmp(msg, "From ", 5) == 0 &&
	    field_name(msg, eol(msg, e)) == 0) {        /* mbox envelope */
		msg = eol(msg, e);
		len = (size_t)(e - msg);
	}
	if (len == 0 || field_name(msg, eol(msg, e)) == 0) {
		*why = "not a mail message";
		return -1;
	}
	split(msg, len, &top);
	if (memchr(top.h, '\0', top.hn) != NULL) {
		*why = "not a mail message";
		return -1;
	}
	if ((v = header(&top, "From", &oom)) != NULL) {
		parse_from(m, v, &oom);
		free(v);
	}
	if (m->from == NULL && !oom) {
		crm_mail_clear(m);
		*why = "no From: header";
		return -1;
	}
	if ((v = header(&top, "Subject", &oom)) != NULL) {
		m->subject = decoded(v, &oom);
		free(v);
	}
	if ((v = header(&top, "Message-ID", &oom)) != NULL) {
		m->message_id = message_id(v, &oom);
		free(v);
	}
	if ((v = header(&top, "Date", &oom)) != NULL) {
		m->date = parse_date(v);
		free(v);
	}
	if (walk(&top, &f, 0, &oom))
		m->body = part_text(&f.plain, 0, &oom);
	else if (f.has_html)
		m->body = part_text(&f.html, 1, &oom);
	if (oom) {
		crm_mail_clear(m);
		*why = "out of memory";
		return -1;
	}
	blank_controls(m->from_name, 0);
	blank_controls(m->subject, 0);
	blank_controls(m->message_id, 0);
	blank_controls(m->body, 1);
	return 0;
}

void crm_mail_clear(struct crm_mail *m)
{
	if (m == NULL)
		return;
	free(m->from);
	free(m->from_name);
	free(m->subject);
	free(m->message_id);
	free(m->body);
	memset(m, 0, sizeof *m);
}
