/* util.c: the growable string buffer and small string helpers. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* grow: make room for n more bytes plus the NUL. */
static int grow(struct crm_buf *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1) {
		if (cap > ((size_t)-1) / 2)
			goto oom;
		cap *= 2;
	}
	if ((s = realloc(b->s, cap)) == NULL)
		goto oom;
	b->s = s;
	b->cap = cap;
	return 0;
oom:
	b->oom = 1;
	return -1;
}

int crm_buf_add(struct crm_buf *b, const void *p, size_t n)
{
	if (grow(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int crm_buf_adds(struct crm_buf *b, const char *s)
{
	return crm_buf_add(b, s, strlen(s));
}

int crm_buf_addc(struct crm_buf *b, int c)
{
	char ch = (char)c;

	return crm_buf_add(b, &ch, 1);
}

int crm_buf_addf(struct crm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int crm_buf_addjson(struct crm_buf *b, const char *s)
{
	const unsigned char *p;

	crm_buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  crm_buf_adds(b, "\\\""); break;
		case '\\': crm_buf_adds(b, "\\\\"); break;
		case '\n': crm_buf_adds(b, "\\n"); break;
		case '\r': crm_buf_adds(b, "\\r"); break;
		case '\t': crm_buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20)
				crm_buf_addf(b, "\\u%04x", *p);
			else
				crm_buf_addc(b, *p);
		}
	}
	return crm_buf_addc(b, '"');
}

void crm_buf_reset(struct crm_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

char *crm_buf_take(struct crm_buf *b)
{
	char *s;

	if (b->oom) {
		crm_buf_free(b);
		return NULL;
	}
	if (b->s == NULL && grow(b, 0) == -1)
		return NULL;
	s = b->s;
	s[b->len] = '\0';
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void crm_buf_free(struct crm_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

char *crm_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *crm_strtrim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int crm_streq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

char *crm_fmt_fixed(char *buf, double v, int decimals)
{
	static const double p10[7] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
	double sc, fl, fr;
	uint64_t r, ip, fp;
	char tmp[24], *t = tmp + sizeof(tmp);
	int k;

	if (decimals < 0 || decimals > 6 || !(v >= 0) || signbit(v) ||
	    !((sc = v * p10[decimals]) < 1e9))
		goto slow;
	/* sc is v * 10^d within half an ulp (below 2^-23 here); unless its
	 * fraction is that close to one half, rounding it to the nearest
	 * integer rounds the exact decimal value the same way. */
	fl = floor(sc);
	fr = sc - fl;
	if (fabs(fr - 0.5) < 1e-6)
		goto slow;
	r = (uint64_t)fl + (fr > 0.5);
	ip = r / (uint64_t)p10[decimals];
	fp = r % (uint64_t)p10[decimals];
	*--t = '\0';
	for (k = 0; k < decimals; k++, fp /= 10)
		*--t = (char)('0' + fp % 10);
	if (decimals)
		*--t = '.';
	do
		*--t = (char)('0' + ip % 10);
	while ((ip /= 10) != 0);
	memcpy(buf, t, (size_t)(tmp + sizeof(tmp) - t));
	return buf;
slow:
	snprintf(buf, CRM_FIXBUF, "%.*f", decimals, v);
	return buf;
}

size_t crm_utf8_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0], lo = 0x80, hi = 0xBF;
	size_t k, j;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		k = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < k + 1)
		return 0;
	for (j = 1; j <= k; j++) {
		if (s[j] < (j == 1 ? lo : 0x80) || s[j] > (j == 1 ? hi : 0xBF))
			return 0;
	}
	return k + 1;
}

size_t crm_term_char(const char *s, size_t n, int *repl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = crm_utf8_len(s, n);
	unsigned u;

	*repl = 0;
	if (k == 0) {
		*repl = '?';
		return 1;
	}
	if (k == 1) {
		if (p[0] < 0x20 || p[0] == 0x7F)
			*repl = ' ';
	} else if (k == 2) {
		if (p[0] == 0xC2 && p[1] < 0xA0)        /* C1 controls */
			*repl = ' ';
	} else if (k == 3 && p[0] == 0xE2) {
		u = ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);   /* U+2000 + u */
		if (u == 0x0E || u == 0x0F || (u >= 0x28 && u <= 0x2E) ||
		    (u >= 0x66 && u <= 0x69))
			*repl = ' ';
	}
	return k;
}

int crm_buf_addterm(struct crm_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0, k;
	int repl, rc = 0;

	while (n > 0) {
		k = crm_term_char(s, n, &repl);
		rc |= repl ? crm_buf_addc(b, repl) : crm_buf_add(b, s, k);
		s += k;
		n -= k;
	}
	if (b->s == NULL)
		rc |= crm_buf_add(b, "", 0);
	return rc ? -1 : 0;
}

const char *crm_text_check(const char *s, int multiline,
    char why[CRM_WHYBUF])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		if ((k = crm_utf8_len(s + i, n - i)) == 0) {
			snprintf(why, CRM_WHYBUF, "invalid UTF-8 at byte %zu",
			    i + 1);
			return why;
		}
		if ((k == 1 && (p[i] < 0x20 || p[i] == 0x7F) && !(multiline &&
		    (p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))) ||
		    (k == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)) {
			snprintf(why, CRM_WHYBUF, "a control character at "
			    "byte %zu", i + 1);
			return why;
		}
		i += k;
	}
	return NULL;
}
