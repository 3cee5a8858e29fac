/* csv.c: the CSV/TSV reader over libcsv: BOM, sep= line and delimiter
 * sniffing, Excel's literal quotes, line numbers, limits and UTF-8 checks. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libcsv's header is also called csv.h, and -Ilibcrm makes <csv.h> find
 * ours; "../include/" reaches it in the system include directory (with
 * -iquote libcrm in the Makefile, plain <csv.h> would do). */
#include <csv.h>

#include "csv.h"
#include "sha256.h"
#include "util.h"

/*
 * How it works
 *
 * Input is read with fread() in 64 KiB chunks and handed to libcsv one
 * physical line at a time (a chunk is cut after each line end; a line that
 * runs past the chunk is fed in pieces, libcsv keeps its state between
 * calls). So the callbacks that fire during one csv_parse() call belong to
 * the line r->line, which gives exact line numbers for records and errors
 * without libcsv's help. A file whose first chunk has CR but no LF is taken
 * as an old Mac file and cut at CR instead; in a file that mixes the two,
 * lone CRs still end records but the numbers count LFs only.
 *
 * libcsv runs with CSV_STRICT | CSV_STRICT_FINI: strict mode is the only way
 * to learn of text after a closing quote ("ab"c, which without it swallows
 * delimiters and lines until the next quote) and STRICT_FINI the only way to
 * learn of a quote never closed. But strict mode also rejects a quote inside
 * an unquoted field (24" Monitor), which spreadsheets write and read as
 * text. libcsv 3.0.3 has no option for "strict except that", so when it
 * stops with CSV_EPARSE on such a quote (the only strict error it raises
 * with p->quoted == 0), we put the quote into its field buffer ourselves,
 * clear the error and go on after it. This uses the fields of the public
 * struct csv_parser as libcsv 3.0.3's source defines them: on a strict
 * error it has saved its state and returns the offset of the bad byte, and
 * entry_buf has room for one more byte (it grows before reading a byte).
 * The same fields tell whether a quoted field is open at the end of a line
 * (pstate FIELD_BEGUN with quoted set). The #if below stops the build if
 * another libcsv turns up; check these assumptions against it.
 *
 * With a tab delimiter the input is TSV as our writer and Unix tools write
 * it: quotes are plain text (libcsv's quote character is set to NUL, which
 * never reaches it) and \t \n \r \\ are undone, so TSV output reads back.
 *
 * Records are collected into one growing char buffer (fields NUL-terminated,
 * found by offsets), so there is no malloc per field. Usually one record is
 * queued at a time; a line with lone CRs can queue several.
 */

#if CSV_MAJOR != 3 || CSV_MINOR != 0
#error "csv.c relies on libcsv 3.0.x internals; see the comment above"
#endif

#define CHUNK (64 * 1024)

/* libcsv's parser states (private to libcsv.c, stable in 3.0.x). */
#define PSTATE_ROW_NOT_BEGUN 0
#define PSTATE_FIELD_BEGUN   2

struct rec {
	size_t first;           /* index of its first field in off[] */
	size_t n;               /* number of fields */
	long line;              /* line on which it started */
};

struct crm_csv {
	FILE *fp;
	char *name;
	int delim;              /* 0 until sniffed */
	int eol;                /* '\n', or '\r' for a file with CR line ends */
	struct csv_parser p;
	int started;            /* BOM, sep= line and delimiter dealt with */
	int eof;                /* libcsv finished; nothing more to read */
	int failed;             /* an error was reported; reads return -1 */
	int cberr;              /* an error found in a callback (enum below) */

	unsigned char *in;      /* the chunk: in[inpos..inlen) still to feed */
	size_t inpos, inlen;
	unsigned char *raw;     /* bytes read but not yet converted into in */
	size_t rawlen;
	int rawpeek;            /* raw holds the first read, not yet used */
	enum crm_enc enc;       /* CRM_ENC_AUTO until the bytes decide */
	int autoenc;            /* detection was asked for */
	int tsv;                /* tab delimiter, TSV escapes, no quotes */
	int bom, crlf, sepline; /* what the file had (for writing it back) */
	long long offset;       /* input bytes read */
	struct crm_sha256 sha;

	long line;              /* line of the next byte fed to libcsv */
	long start;             /* line on which the record being parsed started */
	long quote_line;        /* line on which the open quoted field started */
	long cberr_line;
	unsigned long nfield_cb;/* fields delivered so far (to see quotes close) */

	char *buf;              /* text of queued fields, each NUL-terminated */
	size_t buflen, bufcap;
	size_t *off;            /* start of each queued field in buf */
	size_t noff, offcap;
	size_t cur;             /* first field of the record being parsed */
	struct rec *recs;       /* complete records, recs[rechead..nrec) unread */
	size_t nrec, reccap, rechead;

	char **fields;          /* what crm_csv_read hands out */
	size_t fieldscap;
	long line_ret;          /* start line of the record last returned */
	char *err;              /* "name:line: what" or "" */
	size_t errsize;
};

enum { CBERR_NONE, CBERR_NOMEM, CBERR_TOOLONG };

static int fail(struct crm_csv *r, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fail: record "name:line: what" as the error; the reader is done. */
static int fail(struct crm_csv *r, long line, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (r->failed)
		return -1;
	r->failed = 1;
	k = snprintf(r->err, r->errsize, "%s:%ld: ", r->name, line);
	if (k < 0 || (size_t)k >= r->errsize)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + k, r->errsize - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

/* keep_space: libcsv's space function: no character is a space, so spaces
 * around unquoted fields are kept. */
static int keep_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* capped_realloc: libcsv's realloc: refuses to grow a field buffer beyond
 * CRM_CSV_FIELD_MAX + 2 (a quoted field keeps its closing quote until the
 * next byte, and the buffer grows before a byte is read), so a hostile file
 * cannot take all memory. libcsv then stops with CSV_ENOMEM. */
static void *capped_realloc(void *p, size_t n)
{
	if (n > (size_t)CRM_CSV_FIELD_MAX + 2)
		return NULL;
	return realloc(p, n);
}

/* utf8_valid: whether s[0..n) is well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, j, k;
	unsigned c, lo, hi;
	uint64_t w;

	while (i < n) {
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & UINT64_C(0x8080808080808080)) == 0) {
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			if (c == 0xE0)
				lo = 0xA0;      /* overlong */
			else if (c == 0xED)
				hi = 0x9F;      /* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			if (c == 0xF0)
				lo = 0x90;      /* overlong */
			else if (c == 0xF4)
				hi = 0x8F;      /* above U+10FFFF */
		} else {
			return 0;
		}
		if (n - i - 1 < k || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (j = 2; j <= k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* utf8_tail: how many bytes at the end of s[0..n) are the start of a UTF-8
 * character whose rest is not there yet (0 to 3). */
static size_t utf8_tail(const unsigned char *s, size_t n)
{
	size_t i, need;
	unsigned c;

	for (i = 1; i <= 3 && i <= n; i++) {
		c = s[n - i];
		if ((c & 0xC0) == 0x80)
			continue;
		if (c < 0xC2 || c > 0xF4)
			return 0;
		need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		return need > i ? i : 0;
	}
	return 0;
}

/* enlarge: p (holding *cap elements of size sz) reallocated to hold at
 * least need, *cap updated. Returns the new pointer, or NULL when out of
 * memory (p is then unchanged and still valid). */
static void *enlarge(void *p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 64;

	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n > SIZE_MAX / sz || (p = realloc(p, n * sz)) == NULL)
		return NULL;
	*cap = n;
	return p;
}

/* count_eol: the number of line ends (r->eol) in s[0..n). */
static long count_eol(const struct crm_csv *r, const char *s, size_t n)
{
	const char *e = s + n, *q;
	long k = 0;

	while (s < e && (q = memchr(s, r->eol, (size_t)(e - s))) != NULL) {
		k++;
		s = q + 1;
	}
	return k;
}

/* add_text: append s[0..len) to buf, undoing \t \n \r \\ when tsv. */
static void add_text(struct crm_csv *r, const char *s, size_t len, int tsv)
{
	char *d = r->buf + r->buflen;
	const char *e = s + len, *bs;

	if (!tsv) {
		memcpy(d, s, len);
		r->buflen += len;
		return;
	}
	while (s < e) {
		bs = memchr(s, '\\', (size_t)(e - s));
		if (bs == NULL || bs + 1 == e) {
			memcpy(d, s, (size_t)(e - s));
			d += e - s;
			break;
		}
		memcpy(d, s, (size_t)(bs - s));
		d += bs - s;
		switch (bs[1]) {
		case 't': *d++ = '\t'; break;
		case 'n': *d++ = '\n'; break;
		case 'r': *d++ = '\r'; break;
		case '\\': *d++ = '\\'; break;
		default:
			*d++ = '\\';
			s = bs + 1;
			continue;
		}
		s = bs + 2;
	}
	r->buflen = (size_t)(d - r->buf);
}

/* on_field: libcsv's field callback: append the field to the record. */
static void on_field(void *s, size_t len, void *data)
{
	struct crm_csv *r = data;

	r->nfield_cb++;
	if (r->cberr)
		return;
	if (len > CRM_CSV_FIELD_MAX) {
		/* The field ended on this line; it started that many lines up. */
		r->cberr = CBERR_TOOLONG;
		r->cberr_line = r->line - count_eol(r, s, len);
		return;
	}
	if (r->buflen + len + 1 > r->bufcap) {
		char *b = enlarge(r->buf, &r->bufcap, r->buflen + len + 1, 1);

		if (b == NULL) {
			r->cberr = CBERR_NOMEM;
			return;
		}
		r->buf = b;
	}
	if (r->noff == r->offcap) {
		size_t *o = enlarge(r->off, &r->offcap, r->noff + 1,
		    sizeof *o);

		if (o == NULL) {
			r->cberr = CBERR_NOMEM;
			return;
		}
		r->off = o;
	}
	r->off[r->noff++] = r->buflen;
	if (len > 0)
		add_text(r, s, len, r->tsv);
	r->buf[r->buflen++] = '\0';
}

/* blank: whether fields [first, noff) hold nothing but spaces and tabs. */
static int blank(const struct crm_csv *r, size_t first)
{
	size_t i;

	for (i = r->off[first]; i < r->buflen; i++)
		if (r->buf[i] != '\0' && r->buf[i] != ' ' && r->buf[i] != '\t')
			return 0;
	return 1;
}

/* on_record: libcsv's record callback: queue the record, or drop it when
 * it is blank (an empty line, only delimiters, only spaces). */
static void on_record(int c, void *data)
{
	struct crm_csv *r = data;

	(void)c;
	if (r->cberr)
		return;
	if (r->cur == r->noff || blank(r, r->cur)) {
		if (r->cur < r->noff)
			r->buflen = r->off[r->cur];
		r->noff = r->cur;
	} else {
		if (r->nrec == r->reccap) {
			struct rec *v = enlarge(r->recs, &r->reccap,
			    r->nrec + 1, sizeof *v);

			if (v == NULL) {
				r->cberr = CBERR_NOMEM;
				return;
			}
			r->recs = v;
		}
		r->recs[r->nrec].first = r->cur;
		r->recs[r->nrec].n = r->noff - r->cur;
		r->recs[r->nrec].line = r->start;
		r->nrec++;
		r->cur = r->noff;
	}
	/* A record after a lone CR starts on this same line. */
	r->start = r->line;
}

/* in_quote: whether libcsv is inside a quoted field not yet closed. */
static int in_quote(const struct csv_parser *p)
{
	return p->pstate == PSTATE_FIELD_BEGUN && p->quoted;
}

/* cb_fail: report an error a callback found. */
static int cb_fail(struct crm_csv *r)
{
	if (r->cberr == CBERR_TOOLONG)
		return fail(r, r->cberr_line, "field longer than 16 MiB");
	return fail(r, r->line, "out of memory");
}

/*
 * feed: give libcsv one line (or the part of one that is in the chunk),
 * after checking it for NUL bytes and invalid UTF-8. Returns 0 or -1.
 */
static int feed(struct crm_csv *r, const unsigned char *s, size_t len)
{
	struct csv_parser *p = &r->p;
	size_t done = 0;
	unsigned long nf = r->nfield_cb;
	int inq = in_quote(p);

	if (memchr(s, '\0', len) != NULL)
		return fail(r, r->line, "NUL byte (not a text file?)");
	if (!utf8_valid(s, len))
		return fail(r, r->line, "invalid UTF-8 (not a UTF-8 file? "
		    "save it as \"CSV UTF-8\"%s)", r->enc == CRM_ENC_UTF8 &&
		    r->autoenc ? " or give the encoding" : "");
	if (p->pstate == PSTATE_ROW_NOT_BEGUN)
		r->start = r->line;

	for (;;) {
		done += csv_parse(p, s + done, len - done, on_field, on_record,
		    r);
		if (done == len || csv_error(p) != CSV_EPARSE || p->quoted)
			break;
		/* A quote inside an unquoted field: text (see the top). */
		p->entry_buf[p->entry_pos++] = s[done++];
		p->status = CSV_SUCCESS;
	}
	if (r->cberr)
		return cb_fail(r);
	if (done < len) {
		if (csv_error(p) == CSV_EPARSE)
			return fail(r, r->line, "text after a closing quote "
			    "(a quote in a quoted field must be doubled)");
		if (p->entry_pos > CRM_CSV_FIELD_MAX)
			return fail(r, r->line - count_eol(r,
			    (const char *)p->entry_buf, p->entry_pos),
			    "field longer than 16 MiB");
		return fail(r, r->line, "out of memory");
	}
	/* A quoted field open now opened on this line if it was not open
	 * before or a field ended since. */
	if (in_quote(p) && (!inq || r->nfield_cb != nf))
		r->quote_line = r->line;
	if (s[len - 1] == r->eol)
		r->line++;
	return 0;
}

/* Windows-1252's 0x80..0x9F as Unicode; the five undefined bytes map to
 * the C1 controls of the same value, as ISO-8859-1 reads them. */
static const unsigned short cp1252_hi[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178
};

/* ISO-8859-15's differences from ISO-8859-1. */
static const struct { unsigned char b; unsigned short u; } latin9[8] = {
	{ 0xA4, 0x20AC }, { 0xA6, 0x0160 }, { 0xA8, 0x0161 },
	{ 0xB4, 0x017D }, { 0xB8, 0x017E }, { 0xBC, 0x0152 },
	{ 0xBD, 0x0153 }, { 0xBE, 0x0178 }
};

/* put_utf8: write code point u as UTF-8 at d; returns the bytes written. */
static size_t put_utf8(unsigned char *d, unsigned long u)
{
	if (u < 0x80) {
		d[0] = (unsigned char)u;
		return 1;
	}
	if (u < 0x800) {
		d[0] = (unsigned char)(0xC0 | u >> 6);
		d[1] = (unsigned char)(0x80 | (u & 0x3F));
		return 2;
	}
	if (u < 0x10000) {
		d[0] = (unsigned char)(0xE0 | u >> 12);
		d[1] = (unsigned char)(0x80 | (u >> 6 & 0x3F));
		d[2] = (unsigned char)(0x80 | (u & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | u >> 18);
	d[1] = (unsigned char)(0x80 | (u >> 12 & 0x3F));
	d[2] = (unsigned char)(0x80 | (u >> 6 & 0x3F));
	d[3] = (unsigned char)(0x80 | (u & 0x3F));
	return 4;
}

/* byte_to_ucs: the code point of byte c in the 8-bit encoding enc. */
static unsigned long byte_to_ucs(enum crm_enc enc, unsigned c)
{
	size_t i;

	if (c < 0x80)
		return c;
	if (enc == CRM_ENC_CP1252 && c < 0xA0)
		return cp1252_hi[c - 0x80];
	if (enc == CRM_ENC_LATIN9)
		for (i = 0; i < 8; i++)
			if (latin9[i].b == c)
				return latin9[i].u;
	return c;
}

/*
 * detect: decide the encoding of an AUTO file from s[0..n), the first
 * chunk with a byte above 0x7F: UTF-8 when every such byte is part of a
 * well-formed UTF-8 character, or when some are (a UTF-8 file with a bad
 * byte: the error is reported with its line); Windows-1252 otherwise. A
 * chunk of only ASCII decides nothing.
 */
static void detect(struct crm_csv *r, const unsigned char *s, size_t n)
{
	size_t i = 0, good = 0, bad = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : 2;
		if (s[i] >= 0xC2 && s[i] <= 0xF4 && k <= n - i &&
		    utf8_valid(s + i, k)) {
			good++;
			i += k;
		} else {
			bad++;
			i++;
		}
	}
	if (good > 0 || bad > 0)
		r->enc = bad == 0 || good > 0 ? CRM_ENC_UTF8 : CRM_ENC_CP1252;
}

/*
 * fill: turn the next chunk of input into UTF-8 in r->in. Bytes of a
 * character cut at the end of a read stay in r->raw for the next call.
 * Returns 1, 0 at the end of the input, -1 on an error.
 */
static int fill(struct crm_csv *r)
{
	unsigned char *d = r->in, *s = r->raw;
	size_t n = 0, i, keep = 0, len;
	unsigned long u, lo;
	int eof;

	if (r->rawpeek) {
		r->rawpeek = 0;
		n = r->rawlen;
	} else {
		n = fread(r->raw + r->rawlen, 1, CHUNK, r->fp);
		if (n == 0 && ferror(r->fp))
			return fail(r, r->line, "read error: %s",
			    strerror(errno));
		crm_sha256_update(&r->sha, r->raw + r->rawlen, n);
		r->offset += (long long)n;
		r->rawlen += n;
	}
	eof = n == 0;
	len = r->rawlen;
	r->inpos = 0;
	if (r->enc == CRM_ENC_AUTO)
		detect(r, s, eof ? len : len - utf8_tail(s, len));
	switch (r->enc) {
	case CRM_ENC_AUTO:
	case CRM_ENC_UTF8:
		keep = eof ? 0 : utf8_tail(s, len);
		memcpy(d, s, len - keep);
		d += len - keep;
		break;
	case CRM_ENC_UTF16LE:
		for (i = 0; i + 1 < len; i += 2) {
			u = (unsigned long)s[i] | (unsigned long)s[i + 1] << 8;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return fail(r, r->line, "invalid UTF-16 "
				    "(a low surrogate alone)");
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (i + 3 >= len)
					break;
				lo = (unsigned long)s[i + 2] |
				    (unsigned long)s[i + 3] << 8;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail(r, r->line, "invalid "
					    "UTF-16 (a high surrogate alone)");
				u = 0x10000 + ((u - 0xD800) << 10) +
				    (lo - 0xDC00);
				i += 2;
			}
			d += put_utf8(d, u);
		}
		keep = len - i;
		if (eof && keep > 0)
			return fail(r, r->line, "invalid UTF-16 (the file "
			    "ends inside a character)");
		break;
	default:
		for (i = 0; i < len; i++)
			d += put_utf8(d, byte_to_ucs(r->enc, s[i]));
		break;
	}
	memmove(s, s + len - keep, keep);
	r->rawlen = keep;
	r->inlen = (size_t)(d - r->in);
	return !eof || r->inlen > 0;
}

/* sep_line: the length of a first line "sep=X" or "\"sep=X\"" (X one of
 * , ; tab |, possibly followed by more X) with its line end, or 0; sets
 * *delim to X. */
static size_t sep_line(const unsigned char *s, size_t len, int *delim)
{
	size_t i = 0;
	int q = 0, c;

	if (len > 0 && s[0] == '"') {
		q = 1;
		i++;
	}
	if (len - i < 5 || strncasecmp((const char *)s + i, "sep=", 4) != 0)
		return 0;
	c = s[i + 4];
	if (c != ',' && c != ';' && c != '\t' && c != '|')
		return 0;
	i += 5;
	if (q) {
		if (i == len || s[i] != '"')
			return 0;
		i++;
	}
	while (i < len && s[i] == c)
		i++;
	if (i < len && s[i] == '\r')
		i++;
	if (i < len && s[i] == '\n')
		i++;
	else if (i < len && s[i - 1] != '\r')
		return 0;
	*delim = c;
	return i;
}

/* sniff: the candidate (, ; tab |) that occurs most often outside quotes in
 * the first line of s[0..len); ',' when none does or on a tie with it. */
static int sniff(const unsigned char *s, size_t len)
{
	static const char cand[] = ",;\t|";
	size_t count[4] = { 0 }, i, best = 0;
	const char *c;
	int q = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			q = !q;
		else if (q)
			continue;
		else if (s[i] == '\n' || s[i] == '\r')
			break;
		else if ((c = memchr(cand, s[i], 4)) != NULL)
			count[c - cand]++;
	}
	for (i = 1; i < 4; i++)
		if (count[i] > count[best])
			best = i;
	return cand[best];
}

/* start: read the first chunk; skip a BOM and a sep= line, sniff the
 * delimiter and the line ends; set libcsv up. Returns 0 or -1. */
static int start(struct crm_csv *r)
{
	const unsigned char *s;
	size_t len, k, n;
	int rc, d = 0;

	r->started = 1;
	n = fread(r->raw, 1, CHUNK, r->fp);
	if (n == 0 && ferror(r->fp))
		return fail(r, 1, "read error: %s", strerror(errno));
	crm_sha256_update(&r->sha, r->raw, n);
	r->offset = (long long)n;
	r->rawlen = n;
	r->rawpeek = 1;
	s = r->raw;
	if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE &&
	    r->enc != CRM_ENC_UTF8) {
		r->enc = CRM_ENC_UTF16LE;
		k = 2;
	} else if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) ||
	    (s[0] == 0xFE && s[1] == 0xFF))) {
		return fail(r, 1, r->enc == CRM_ENC_UTF8 && s[0] == 0xFF ?
		    "UTF-16 text (save it as \"CSV UTF-8\")" :
		    "UTF-16 big-endian text (save it as \"CSV UTF-8\")");
	} else if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
		if (r->enc == CRM_ENC_AUTO)
			r->enc = CRM_ENC_UTF8;
		k = 3;
	} else {
		k = 0;
	}
	if (k > 0) {
		r->bom = 1;
		memmove(r->raw, r->raw + k, n - k);
		r->rawlen -= k;
	}
	if ((rc = fill(r)) < 0)
		return -1;
	s = r->in;
	len = r->inlen;
	if ((k = sep_line(s, len, &d)) > 0) {
		r->inpos += k;
		r->line = 2;
		r->sepline = d;
		if (r->delim == 0)
			r->delim = d;
	}
	if (r->delim == 0)
		r->delim = sniff(s + r->inpos, len - r->inpos);
	if (memchr(s, '\n', len) == NULL && memchr(s, '\r', len) != NULL)
		r->eol = '\r';
	else if ((s = memchr(s + r->inpos, '\n', len - r->inpos)) != NULL &&
	    s > r->in + r->inpos && s[-1] == '\r')
		r->crlf = 1;
	r->tsv = r->delim == '\t' && r->enc != CRM_ENC_UTF16LE;

	csv_set_delim(&r->p, (unsigned char)r->delim);
	if (r->tsv)
		csv_set_quote(&r->p, '\0');
	csv_set_space_func(&r->p, keep_space);
	csv_set_realloc_func(&r->p, capped_realloc);
	csv_set_blk_size(&r->p, CHUNK);
	if (rc == 0)
		r->eof = 1;
	return 0;
}

/* finish: end of input: let libcsv deliver a last record that has no line
 * end, or report a quote never closed. Returns 0 or -1. */
static int finish(struct crm_csv *r)
{
	r->eof = 1;
	if (csv_fini(&r->p, on_field, on_record, r) != 0)
		return fail(r, r->quote_line, "quote never closed");
	if (r->cberr)
		return cb_fail(r);
	return 0;
}

/* compact: all queued records were read: drop their text, keeping the
 * fields of a record still being parsed. */
static void compact(struct crm_csv *r)
{
	size_t base = r->cur < r->noff ? r->off[r->cur] : r->buflen, i;

	if (base < r->buflen)
		memmove(r->buf, r->buf + base, r->buflen - base);
	for (i = r->cur; i < r->noff; i++)
		r->off[i - r->cur] = r->off[i] - base;
	r->noff -= r->cur;
	r->buflen -= base;
	r->cur = 0;
	r->nrec = r->rechead = 0;
}

struct crm_csv *crm_csv_open(FILE *fp, const char *name, int delim)
{
	struct crm_csv *r;

	if (strcmp(name, "-") == 0)
		name = "<stdin>";
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->fp = fp;
	r->delim = delim;
	r->eol = '\n';
	r->line = 1;
	r->start = 1;
	r->quote_line = 1;
	r->name = strdup(name);
	r->errsize = strlen(name) + 160;
	r->err = calloc(1, r->errsize);
	r->enc = CRM_ENC_UTF8;
	crm_sha256_init(&r->sha);
	/* A byte becomes at most 3 bytes of UTF-8 (Windows-1252 0x80 is €);
	 * 4 bytes of UTF-16 become at most 4. */
	r->in = malloc(3 * (CHUNK + 8));
	r->raw = malloc(CHUNK + 8);
	if (r->name == NULL || r->err == NULL || r->in == NULL ||
	    r->raw == NULL ||
	    csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		crm_csv_close(r);
		return NULL;
	}
	return r;
}

int crm_csv_read(struct crm_csv *r, char ***fields, size_t *n)
{
	const unsigned char *s, *e;
	struct rec *rec;
	size_t len, i;
	int rc;

	if (r->failed)
		return -1;
	if (!r->started && start(r) < 0)
		return -1;
	if (r->rechead == r->nrec)
		compact(r);
	while (r->rechead == r->nrec) {
		if (r->eof)
			return 0;
		if (r->inpos == r->inlen) {
			if ((rc = fill(r)) < 0)
				return -1;
			if (rc == 0 && finish(r) < 0)
				return -1;
			continue;
		}
		s = r->in + r->inpos;
		len = r->inlen - r->inpos;
		if ((e = memchr(s, r->eol, len)) != NULL)
			len = (size_t)(e - s) + 1;
		r->inpos += len;
		if (feed(r, s, len) < 0)
			return -1;
	}
	rec = &r->recs[r->rechead++];
	if (rec->n > r->fieldscap) {
		char **f = enlarge(r->fields, &r->fieldscap, rec->n, sizeof *f);

		if (f == NULL)
			return fail(r, rec->line, "out of memory");
		r->fields = f;
	}
	for (i = 0; i < rec->n; i++)
		r->fields[i] = r->buf + r->off[rec->first + i];
	r->line_ret = rec->line;
	*fields = r->fields;
	*n = rec->n;
	return 1;
}

long crm_csv_line(const struct crm_csv *r)
{
	return r->line_ret;
}

int crm_csv_delim(const struct crm_csv *r)
{
	return r->delim;
}

const char *crm_csv_name(const struct crm_csv *r)
{
	return r->name;
}

const char *crm_csv_errmsg(const struct crm_csv *r)
{
	return r->failed ? r->err : "";
}

void crm_csv_close(struct crm_csv *r)
{
	if (r == NULL)
		return;
	csv_free(&r->p);
	free(r->name);
	free(r->err);
	free(r->in);
	free(r->raw);
	free(r->buf);
	free(r->off);
	free(r->recs);
	free(r->fields);
	free(r);
}

/* ignorable: characters crm_csv_column skips in names. */
static int ignorable(char c)
{
	return c == ' ' || c == '-' || c == '_';
}

/* lower: ASCII lower case, whatever the locale. */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* same_name: a and b are equal but for ASCII case, ' ', '-' and '_'. */
static int same_name(const char *a, const char *b)
{
	for (;;) {
		while (ignorable(*a))
			a++;
		while (ignorable(*b))
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (lower(*a) != lower(*b))
			return 0;
		a++;
		b++;
	}
}

int crm_csv_column(char *const *hdr, size_t n, const char *col)
{
	size_t i;

	for (i = 0; i < n && i <= INT_MAX; i++)
		if (same_name(hdr[i], col))
			return (int)i;
	return -1;
}

static const struct { const char *name; enum crm_enc enc; } enc_names[] = {
	{ "auto", CRM_ENC_AUTO }, { "utf-8", CRM_ENC_UTF8 },
	{ "utf8", CRM_ENC_UTF8 }, { "windows-1252", CRM_ENC_CP1252 },
	{ "cp1252", CRM_ENC_CP1252 }, { "iso-8859-1", CRM_ENC_LATIN1 },
	{ "latin1", CRM_ENC_LATIN1 }, { "iso-8859-15", CRM_ENC_LATIN9 },
	{ "latin9", CRM_ENC_LATIN9 }, { "utf-16le", CRM_ENC_UTF16LE },
	{ "utf-16", CRM_ENC_UTF16LE },
};

int crm_enc_parse(const char *name, enum crm_enc *enc)
{
	size_t i;

	for (i = 0; i < sizeof(enc_names) / sizeof(enc_names[0]); i++)
		if (strcasecmp(name, enc_names[i].name) == 0) {
			*enc = enc_names[i].enc;
			return 0;
		}
	return -1;
}

const char *crm_enc_name(enum crm_enc enc)
{
	switch (enc) {
	case CRM_ENC_AUTO: return "auto";
	case CRM_ENC_UTF8: return "utf-8";
	case CRM_ENC_CP1252: return "windows-1252";
	case CRM_ENC_LATIN1: return "iso-8859-1";
	case CRM_ENC_LATIN9: return "iso-8859-15";
	case CRM_ENC_UTF16LE: return "utf-16le";
	}
	return "?";
}

void crm_csv_set_encoding(struct crm_csv *r, enum crm_enc enc)
{
	r->enc = enc;
	r->autoenc = enc == CRM_ENC_AUTO;
}

void crm_csv_dialect(const struct crm_csv *r, struct crm_dialect *d)
{
	d->delim = r->delim;
	d->enc = r->enc == CRM_ENC_AUTO ? CRM_ENC_UTF8 : r->enc;
	d->bom = r->bom;
	d->crlf = r->crlf;
	d->cr = r->eol == '\r';
	d->sepline = r->sepline;
	d->tsv = r->tsv;
}

long long crm_csv_offset(const struct crm_csv *r)
{
	return r->offset;
}

void crm_csv_sha256(struct crm_csv *r, char hex[65])
{
	unsigned char d[32];

	crm_sha256_final(&r->sha, d);
	crm_sha256_hex(d, hex);
	crm_sha256_init(&r->sha);
}

/* ucs_to_byte: the byte for code point u in the 8-bit encoding enc, or
 * '?' when it has none. */
static int ucs_to_byte(enum crm_enc enc, unsigned long u)
{
	size_t i;

	if (u < 0x80)
		return (int)u;
	if (enc == CRM_ENC_CP1252) {
		for (i = 0; i < 32; i++)
			if (cp1252_hi[i] == u)
				return (int)(0x80 + i);
		return u >= 0xA0 && u <= 0xFF ? (int)u : '?';
	}
	if (enc == CRM_ENC_LATIN9) {
		for (i = 0; i < 8; i++) {
			if (latin9[i].u == u)
				return latin9[i].b;
			if (latin9[i].b == u)
				return '?';
		}
	}
	return u <= 0xFF ? (int)u : '?';
}

int crm_csv_encode(enum crm_enc enc, const char *str, size_t n,
    struct crm_buf *b)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long u;
	size_t i = 0, k;

	if (enc == CRM_ENC_UTF8 || enc == CRM_ENC_AUTO)
		return crm_buf_add(b, s, n);
	while (i < n) {
		u = s[i];
		k = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
		if (k > n - i)
			k = 1;
		if (k == 2)
			u &= 0x1F;
		else if (k == 3)
			u &= 0x0F;
		else if (k == 4)
			u &= 0x07;
		for (size_t j = 1; j < k; j++)
			u = u << 6 | (s[i + j] & 0x3F);
		i += k;
		if (enc == CRM_ENC_UTF16LE) {
			if (u >= 0x10000) {
				unsigned long v = u - 0x10000;
				unsigned hi = (unsigned)(0xD800 + (v >> 10));
				unsigned lo = (unsigned)(0xDC00 + (v & 0x3FF));
				crm_buf_addc(b, (int)(hi & 0xFF));
				crm_buf_addc(b, (int)(hi >> 8));
				crm_buf_addc(b, (int)(lo & 0xFF));
				crm_buf_addc(b, (int)(lo >> 8));
			} else {
				crm_buf_addc(b, (int)(u & 0xFF));
				crm_buf_addc(b, (int)(u >> 8));
			}
		} else {
			crm_buf_addc(b, ucs_to_byte(enc, u));
		}
	}
	return b->oom ? -1 : 0;
}
