/* value.c: parsers and printers for the values users type and spreadsheets
 * hold: dates, money, email addresses, phone numbers and personal names. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"
#include "value.h"

#define DATEMAX 64	/* longest date text we look at */
#define MONEYMAX 64	/* longest amount body (digits and separators) */

/* isdig: an ASCII digit, whatever the locale. */
static int isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* isalph: an ASCII letter, whatever the locale. */
static int isalph(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* isblankc: ASCII white space. */
static int isblankc(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* trim: copy s without surrounding white space into buf; -1 if too long. */
static int trim(const char *s, char *buf, size_t bufsz)
{
	size_t len;

	while (isblankc(*s))
		s++;
	len = strlen(s);
	while (len > 0 && isblankc(s[len - 1]))
		len--;
	if (len >= bufsz)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

/* number: read min..max digits at *p into *v and advance; -1 if fewer. */
static int number(const char **p, int min, int max, int *v)
{
	int n;

	*v = 0;
	for (n = 0; n < max && isdig(**p); n++, (*p)++)
		*v = *v * 10 + (**p - '0');
	return n >= min ? 0 : -1;
}

/* mdays: the number of days in month mon (0..11) of year y. */
static int mdays(int y, int mon)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mon == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[mon];
}

/* check: reject a struct tm that names no real date or time of day. */
static int check(const struct tm *tm, const char **why)
{
	int y = tm->tm_year + 1900;

	if (y < 1000 || y > 9999)
		*why = "year out of range";
	else if (tm->tm_mon < 0 || tm->tm_mon > 11)
		*why = "no such month";
	else if (tm->tm_mday < 1 || tm->tm_mday > mdays(y, tm->tm_mon))
		*why = "no such day";
	else if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 ||
	    tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 59)
		*why = "no such time";
	else
		return 0;
	return -1;
}

/* totime: in to Unix seconds, as UTC minus *off seconds or, when off is
 * NULL, as local time; rejects local times that a DST change skips. */
static int totime(const struct tm *in, const long *off, int64_t *out,
    const char **why)
{
	struct tm tm = *in;
	time_t t;

	if (check(in, why) == -1)
		return -1;
	if (off != NULL) {
		*out = (int64_t)timegm(&tm) - *off;
		return 0;
	}
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (tm.tm_year != in->tm_year || tm.tm_mon != in->tm_mon ||
	    tm.tm_mday != in->tm_mday || tm.tm_hour != in->tm_hour ||
	    tm.tm_min != in->tm_min || tm.tm_sec != in->tm_sec) {
		*why = "no such local time";
		return -1;
	}
	*out = t;
	return 0;
}

/* clocktime: "HH:MM[:SS[.fff]]" at *p; fractions of a second are dropped. */
static int clocktime(const char **p, struct tm *tm)
{
	if (number(p, 1, 2, &tm->tm_hour) == -1 || *(*p)++ != ':' ||
	    number(p, 2, 2, &tm->tm_min) == -1)
		return -1;
	if (**p != ':')
		return 0;
	(*p)++;
	if (number(p, 2, 2, &tm->tm_sec) == -1)
		return -1;
	if (**p == '.' && isdig((*p)[1]))
		for ((*p)++; isdig(**p); (*p)++)
			;
	return 0;
}

/* zone: "Z", "+HH", "+HH:MM" or "+HHMM" at *p to seconds east of UTC. */
static int zone(const char **p, long *off)
{
	int sign, hh, mm = 0;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*off = 0;
		return 0;
	}
	sign = *(*p)++ == '-' ? -1 : 1;
	if (number(p, 2, 2, &hh) == -1)
		return -1;
	if (**p == ':')
		(*p)++;
	if (isdig(**p) && number(p, 2, 2, &mm) == -1)
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

/* absolute: the ISO and German forms, in a trimmed string. */
static int absolute(const char *s, int64_t *out, const char **why)
{
	struct tm tm;
	const char *p = s;
	long off, *zp = NULL;
	size_t n;
	int iso;

	memset(&tm, 0, sizeof(tm));
	n = strspn(s, "0123456789");
	if (n >= 1 && n <= 4 && s[n] == '/') {
		*why = "ambiguous date, use --date-format";
		return -1;
	}
	if ((iso = n == 4 && s[n] == '-')) {
		if (number(&p, 4, 4, &tm.tm_year) == -1 || *p++ != '-' ||
		    number(&p, 1, 2, &tm.tm_mon) == -1 || *p++ != '-' ||
		    number(&p, 1, 2, &tm.tm_mday) == -1)
			goto bad;
	} else if ((n == 1 || n == 2) && s[n] == '.') {
		if (number(&p, 1, 2, &tm.tm_mday) == -1 || *p++ != '.' ||
		    number(&p, 1, 2, &tm.tm_mon) == -1 || *p++ != '.' ||
		    number(&p, 4, 4, &tm.tm_year) == -1)
			goto bad;
	} else
		goto bad;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	if (*p == ' ' || (iso && (*p == 'T' || *p == 't'))) {
		p++;
		if (clocktime(&p, &tm) == -1)
			goto bad;
		if (iso && *p != '\0' && strchr("Zz+-", *p) != NULL) {
			if (zone(&p, &off) == -1)
				goto bad;
			zp = &off;
		}
	}
	if (*p != '\0') {
		*why = "unexpected text after date";
		return -1;
	}
	return totime(&tm, zp, out, why);
bad:
	*why = "not a date";
	return -1;
}

/* withfmt: a local time in the caller's strptime(3) format. */
static int withfmt(const char *s, const char *fmt, int64_t *out,
    const char **why)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, fmt, &tm)) == NULL) {
		*why = "date does not match the date format";
		return -1;
	}
	while (isblankc(*end))
		end++;
	if (*end != '\0') {
		*why = "unexpected text after date";
		return -1;
	}
	return totime(&tm, NULL, out, why);
}

/* midnight: local midnight of the day of now, moved by months, then days;
 * a day past the end of the target month becomes its last day. */
static int midnight(int64_t now, int months, int days, int64_t *out,
    const char **why)
{
	struct tm tm;
	time_t t = (time_t)now;
	int y, mon;

	if (localtime_r(&t, &tm) == NULL) {
		*why = "date out of range";
		return -1;
	}
	mon = tm.tm_mon + months % 12;
	y = tm.tm_year + 1900 + months / 12 + (mon < 0 ? -1 : mon / 12);
	mon = (mon + 12) % 12;
	if (y < 1000 || y > 9999) {
		*why = "year out of range";
		return -1;
	}
	if (tm.tm_mday > mdays(y, mon))
		tm.tm_mday = mdays(y, mon);
	tm.tm_year = y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999) {
		*why = "year out of range";
		return -1;
	}
	*out = t;
	return 0;
}

/* relative: now, today, yesterday, tomorrow and [+-]N[hdwmy]. Returns 1
 * when s is none of these, else 0 or -1 as crm_parse_date(). */
static int relative(const char *s, int64_t now, int64_t *out,
    const char **why)
{
	const char *p = s + 1;
	int n;

	if (strcasecmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcasecmp(s, "today") == 0)
		return midnight(now, 0, 0, out, why);
	if (strcasecmp(s, "yesterday") == 0)
		return midnight(now, 0, -1, out, why);
	if (strcasecmp(s, "tomorrow") == 0)
		return midnight(now, 0, 1, out, why);
	if ((*s != '+' && *s != '-') || !isdig(s[1]))
		return 1;
	if (number(&p, 1, 6, &n) == -1 || *p == '\0' || p[1] != '\0') {
		*why = "bad relative date";
		return -1;
	}
	if (*s == '-')
		n = -n;
	switch (*p) {
	case 'h': case 'H':
		*out = now + (int64_t)n * 3600;
		return 0;
	case 'd': case 'D':
		return midnight(now, 0, n, out, why);
	case 'w': case 'W':
		return midnight(now, 0, n * 7, out, why);
	case 'm': case 'M':
		return midnight(now, n, 0, out, why);
	case 'y': case 'Y':
		return midnight(now, n * 12, 0, out, why);
	}
	*why = "bad relative date";
	return -1;
}

int64_t crm_now(void)
{
	char buf[DATEMAX];
	const char *s, *why;
	int64_t t;

	if ((s = getenv("CRM_NOW")) != NULL && trim(s, buf, sizeof(buf)) == 0 &&
	    absolute(buf, &t, &why) == 0)
		return t;
	return (int64_t)time(NULL);
}

int crm_parse_date(const char *s, const char *fmt, int64_t now, int64_t *out,
    const char **why)
{
	char buf[DATEMAX];
	int r;

	if (trim(s, buf, sizeof(buf)) == -1) {
		*why = "not a date";
		return -1;
	}
	if (buf[0] == '\0') {
		*why = "empty date";
		return -1;
	}
	if ((r = relative(buf, now, out, why)) != 1)
		return r;
	if (fmt != NULL)
		return withfmt(buf, fmt, out, why);
	return absolute(buf, out, why);
}

/* printtime: print t in local time, with the time of day unless dateonly or
 * it is midnight; "" if t is beyond what the C library can represent. */
static char *printtime(int64_t t, char *buf, int dateonly)
{
	struct tm tm;
	time_t tt = (time_t)t;

	buf[0] = '\0';
	if (localtime_r(&tt, &tm) == NULL)
		return buf;
	if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		dateonly = 1;
	if (strftime(buf, CRM_TIMEBUF, dateonly ? "%Y-%m-%d" :
	    "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

char *crm_fmt_time(int64_t t, char *buf)
{
	return printtime(t, buf, 0);
}

char *crm_fmt_day(int64_t t, char *buf)
{
	return printtime(t, buf, 1);
}

int64_t crm_day_end(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || tm.tm_hour || tm.tm_min ||
	    tm.tm_sec)
		return t;
	tm.tm_mday++;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t crm_cutoff(int64_t as_of)
{
	int64_t end = crm_day_end(as_of);

	return end != as_of ? end : as_of + 1;
}

/* spacelen: bytes of the space at p (ASCII, no-break, narrow no-break or
 * thin space), or 0. */
static size_t spacelen(const char *p)
{
	if (*p == ' ' || *p == '\t')
		return 1;
	if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
		return 2;
	if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0xaf || (unsigned char)p[2] == 0x89))
		return 3;
	return 0;
}

/* currencylen: bytes of the currency symbol or code at p, with its ISO
 * code in *code, or 0. */
static size_t currencylen(const char *p, const char **code)
{
	static const struct {
		const char *text, *code;
	} tab[] = {
		{ "\xe2\x82\xac", "EUR" }, { "EUR", "EUR" },	/* euro sign */
		{ "$", "USD" }, { "USD", "USD" },
		{ "\xc2\xa3", "GBP" }, { "GBP", "GBP" },	/* pound sign */
		{ "CHF", "CHF" },
	};
	size_t i, n;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		n = strlen(tab[i].text);
		if (strncasecmp(p, tab[i].text, n) == 0) {
			*code = tab[i].code;
			return n;
		}
	}
	return 0;
}

/* affix: skip spaces, a sign and a currency around the number. */
static const char *affix(const char *p, int *sign, const char **code,
    const char **why)
{
	const char *c;
	size_t n;

	for (;;) {
		if ((n = spacelen(p)) > 0) {
			p += n;
		} else if (*p == '-' || *p == '+') {
			if (*sign != 0) {
				*why = "more than one sign";
				return NULL;
			}
			*sign = *p++ == '-' ? -1 : 1;
		} else if ((n = currencylen(p, &c)) > 0) {
			if (*code != NULL) {
				*why = "more than one currency";
				return NULL;
			}
			*code = c;
			p += n;
		} else
			return p;
	}
}

/* groups: check that body[0..len) is digits grouped in threes by one
 * kind of separator; the first group may be shorter, or longer when there
 * is no separator at all. Accumulates the value into *v. */
static int groups(const char *body, size_t len, int64_t *v, const char **why)
{
	size_t i, run = 0;
	int first = 1;
	char sep = 0;

	for (i = 0; i < len; i++) {
		if (isdig(body[i])) {
			if (*v > (INT64_MAX - 9) / 10) {
				*why = "amount too large";
				return -1;
			}
			*v = *v * 10 + (body[i] - '0');
			run++;
			continue;
		}
		if ((sep != 0 && body[i] != sep) || run == 0 ||
		    (first ? run > 3 : run != 3))
			goto bad;
		sep = body[i];
		first = 0;
		run = 0;
	}
	if (sep != 0 && run != 3)
		goto bad;
	return 0;
bad:
	*why = "bad digit grouping";
	return -1;
}

/* decimalpoint: the index of the decimal separator in body, -1 if there is
 * none, -2 (with *why) if it cannot be decided. */
static long decimalpoint(const char *body, int decimal, const char **why)
{
	const char *dot, *comma, *last;
	size_t before;

	dot = strrchr(body, '.');
	comma = strrchr(body, ',');
	if (decimal == 0 && dot != NULL && comma != NULL)
		decimal = dot > comma ? '.' : ',';
	if (decimal != 0) {
		if ((last = strrchr(body, decimal)) == NULL)
			return -1;
		if (strchr(body, decimal) != last) {
			*why = "more than one decimal separator";
			return -2;
		}
		return last - body;
	}
	if ((last = dot != NULL ? dot : comma) == NULL ||
	    strchr(body, *last) != last)
		return -1;	/* none, or repeated: thousands separators */
	/* "1,234" or "12.500" could be either, "0.500" or "1 234,567" not */
	before = strspn(body, "0123456789");
	if (strlen(last + 1) == 3 && body + before == last && before >= 1 &&
	    before <= 3 && *body != '0') {
		*why = "ambiguous amount, thousands or decimals";
		return -2;
	}
	return last - body;
}

/* scan: copy the number at p (digits, '.' and ',', and a space or
 * apostrophe between digits, stored as ' ') into body; returns the end of
 * the number, or NULL when it does not fit. */
static const char *scan(const char *p, char *body, size_t bodysz)
{
	size_t len = 0, n;
	char c;

	for (;;) {
		n = spacelen(p);
		if (n == 0 && *p == '\'')
			n = 1;
		if (isdig(*p) || *p == '.' || *p == ',') {
			c = *p;
			n = 1;
		} else if (n > 0 && len > 0 && isdig(body[len - 1]) &&
		    isdig(p[n]))
			c = ' ';
		else
			break;
		if (len + 1 >= bodysz)
			return NULL;
		body[len++] = c;
		p += n;
	}
	body[len] = '\0';
	return p;
}

int crm_parse_money(const char *s, int decimal, int64_t *cents,
    char currency[4], const char **why)
{
	char body[MONEYMAX];
	const char *p, *code = NULL, *frac;
	size_t len, n;
	long dp;
	int64_t v = 0, f = 0;
	int sign = 0;

	if (decimal != 0 && decimal != '.' && decimal != ',') {
		*why = "bad decimal separator";
		return -1;
	}
	if ((p = affix(s, &sign, &code, why)) == NULL)
		return -1;
	if ((p = scan(p, body, sizeof(body))) == NULL) {
		*why = "amount too large";
		return -1;
	}
	if ((p = affix(p, &sign, &code, why)) == NULL)
		return -1;
	len = strlen(body);
	if (*p != '\0' || strpbrk(body, "0123456789") == NULL) {
		*why = "not an amount";
		return -1;
	}
	if ((dp = decimalpoint(body, decimal, why)) == -2)
		return -1;
	if (groups(body, dp < 0 ? len : (size_t)dp, &v, why) == -1)
		return -1;
	if (dp >= 0) {
		frac = body + dp + 1;
		n = strlen(frac);
		if (n == 0 || strspn(frac, "0123456789") != n) {
			*why = n == 0 ? "not an amount" : "bad digit grouping";
			return -1;
		}
		if (n > 2 && strspn(frac + 2, "0") != n - 2) {
			*why = "more than two decimal places";
			return -1;
		}
		f = (frac[0] - '0') * 10 + (n > 1 ? frac[1] - '0' : 0);
	}
	if (v > (INT64_MAX - f) / 100) {
		*why = "amount too large";
		return -1;
	}
	*cents = (sign < 0 ? -1 : 1) * (v * 100 + f);
	if (currency != NULL)
		snprintf(currency, 4, "%s", code != NULL ? code : "");
	return 0;
}

char *crm_fmt_money(int64_t cents, char *buf)
{
	uint64_t u;

	u = cents < 0 ? (uint64_t)-(cents + 1) + 1 : (uint64_t)cents;
	snprintf(buf, CRM_MONEYBUF, "%s%" PRIu64 ".%02u", cents < 0 ? "-" : "",
	    u / 100, (unsigned)(u % 100));
	return buf;
}

/* label: check one domain label: 1..63 bytes of letters, digits, '-' or
 * non-ASCII, not starting or ending with '-'. */
static int label(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || p[0] == '-' || p[len - 1] == '-')
		return -1;
	for (i = 0; i < len; i++)
		if (!isdig(p[i]) && !isalph(p[i]) &&
		    p[i] != '-' && (unsigned char)p[i] < 0x80)
			return -1;
	return 0;
}

/* domain: check a domain of two or more labels whose last label has two
 * or more characters. */
static int domain(const char *p, const char **why)
{
	const char *dot;
	size_t len, chars;
	int nlabels = 0;

	for (;; p = dot + 1) {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (label(p, len) == -1) {
			*why = "bad domain in email address";
			return -1;
		}
		nlabels++;
		if (dot == NULL)
			break;
	}
	for (chars = 0; *p != '\0'; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			chars++;
	if (nlabels < 2 || chars < 2) {
		*why = "bad domain in email address";
		return -1;
	}
	return 0;
}

int crm_parse_email(const char *s, char *out, size_t outlen, const char **why)
{
	char buf[CRM_EMAILBUF];
	char *at, *p;
	size_t len;

	if (trim(s, buf, sizeof(buf)) == -1 || strlen(buf) > 254) {
		*why = "email address too long";
		return -1;
	}
	len = strlen(buf);
	if (len == 0) {
		*why = "empty email address";
		return -1;
	}
	if (!crm_utf8_valid(buf, len)) {
		*why = "invalid UTF-8 in email address";
		return -1;
	}
	if ((at = strchr(buf, '@')) == NULL || strchr(at + 1, '@') != NULL) {
		*why = "email address needs exactly one '@'";
		return -1;
	}
	*at = '\0';
	if (buf[0] == '\0' || at - buf > 64) {
		*why = buf[0] == '\0' ? "empty local part in email address" :
		    "local part of email address too long";
		return -1;
	}
	/* no spaces, controls or the specials RFC 5322 allows only quoted */
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f ||
		    strchr("()<>[]:;,\\\"", *p) != NULL) {
			*why = "bad character in email address";
			return -1;
		}
	if (buf[0] == '.' || at[-1] == '.' || strstr(buf, "..") != NULL) {
		*why = "bad dots in email address";
		return -1;
	}
	if (domain(at + 1, why) == -1)
		return -1;
	if (len >= outlen) {
		*why = "email address too long for buffer";
		return -1;
	}
	*at = '@';
	for (p = buf; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	memcpy(out, buf, len + 1);
	return 0;
}

/* ccdigits: a country calling code ("49", "+43") without its '+', or NULL
 * unless it is 1..3 digits not starting with 0. */
static const char *ccdigits(const char *s)
{
	size_t n;

	if (*s == '+')
		s++;
	n = strlen(s);
	if (n < 1 || n > 3 || strspn(s, "0123456789") != n || *s == '0')
		return NULL;
	return s;
}

const char *crm_default_cc(char cc[4])
{
	const char *s;

	if ((s = getenv("CRM_PHONE_COUNTRY")) == NULL ||
	    (s = ccdigits(s)) == NULL)
		s = "49";
	memcpy(cc, s, strlen(s) + 1);
	return cc;
}

int crm_parse_phone(const char *s, const char *cc, char *out, size_t outlen,
    const char **why)
{
	char digits[CRM_PHONEBUF], ccbuf[4];
	const char *p = s, *d, *pfx = NULL;
	size_t n = 0, ndig;
	int plus = 0;

	if ((cc = ccdigits(cc != NULL ? cc : crm_default_cc(ccbuf))) == NULL) {
		*why = "bad country code";
		return -1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+') {
		plus = 1;
		p++;
	}
	for (; *p != '\0'; p++) {
		if (isdig(*p)) {
			if (n + 1 >= sizeof(digits)) {
				*why = "too many digits in phone number";
				return -1;
			}
			digits[n++] = *p;
		} else if (strncmp(p, "(0)", 3) == 0 && (plus ||
		    (n >= 2 && digits[0] == '0' && digits[1] == '0'))) {
			p += 2;		/* "+49 (0)30": the 0 is not dialled */
		} else if (strchr(" \t-/.()", *p) == NULL) {
			*why = isalph(*p) ? "letters in phone number" :
			    "bad character in phone number";
			return -1;
		}
	}
	digits[n] = '\0';
	d = digits;
	if (!plus && d[0] == '0' && d[1] == '0') {
		plus = 1;
		d += 2;
	}
	if (plus && *d == '0') {
		*why = "bad country code";
		return -1;
	}
	if (plus)
		pfx = "";
	else if (*d == '0') {
		pfx = cc;
		d++;
	}
	ndig = (pfx != NULL ? strlen(pfx) : 0) + strlen(d);
	if (ndig < 3 || ndig > 15) {
		*why = ndig < 3 ? "too few digits in phone number" :
		    "too many digits in phone number";
		return -1;
	}
	if (ndig + (pfx != NULL) >= outlen) {
		*why = "phone number too long for buffer";
		return -1;
	}
	snprintf(out, outlen, "%s%s%s", pfx != NULL ? "+" : "",
	    pfx != NULL ? pfx : "", d);
	return 0;
}

/* particle: whether the word w[0..len) is a name particle ("von"). */
static int particle(const char *w, size_t len)
{
	static const char *const tab[] = {
		"von", "van", "de", "der", "den", "zu", "da", "di", "le", "la",
		"du", "ten", "ter",
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i]) == len && strncasecmp(w, tab[i], len) == 0)
			return 1;
	return 0;
}

/* words: copy the words of s[0..len) into out, joined by single spaces;
 * returns the number of words. */
static int words(const char *s, size_t len, char *out)
{
	size_t i;
	int n = 0;

	for (i = 0; i < len; ) {
		if (isblankc(s[i])) {
			i++;
			continue;
		}
		if (n++ > 0)
			*out++ = ' ';
		while (i < len && !isblankc(s[i]))
			*out++ = s[i++];
	}
	*out = '\0';
	return n;
}

void crm_split_name(const char *name, char *first, char *last)
{
	const char *comma;
	char *p, *w;
	size_t len;

	if ((comma = strchr(name, ',')) != NULL) {
		words(name, (size_t)(comma - name), last);
		words(comma + 1, strlen(comma + 1), first);
		return;
	}
	/* normalise into last, then move all but the last name to first */
	first[0] = '\0';
	if (words(name, strlen(name), last) < 2)
		return;
	/* walk back over particles, but never take the first word */
	p = strrchr(last, ' ');
	for (;;) {
		for (w = p; w > last && w[-1] != ' '; w--)
			;
		if (w == last || !particle(w, (size_t)(p - w)))
			break;
		p = w - 1;
	}
	len = (size_t)(p - last);
	memcpy(first, last, len);
	first[len] = '\0';
	memmove(last, p + 1, strlen(p + 1) + 1);
}

int crm_utf8_valid(const char *s, size_t len)
{
	size_t i, k;

	for (i = 0; i < len; i += k)
		if ((k = crm_utf8_len(s + i, len - i)) == 0)
			return 0;
	return 1;
}

int crm_parse_int(const char *s, int64_t min, int64_t max, int64_t *out,
    const char **why)
{
	uint64_t v = 0, lim;
	int64_t x;
	int neg = 0;

	while (isblankc(*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (!isdig(*s)) {
		*why = "not a number";
		return -1;
	}
	for (; isdig(*s); s++) {
		if (v > (lim - (uint64_t)(*s - '0')) / 10) {
			*why = "number out of range";
			return -1;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (isblankc(*s))
		s++;
	if (*s != '\0') {
		*why = "not a number";
		return -1;
	}
	x = neg ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
	if (x < min || x > max) {
		*why = "number out of range";
		return -1;
	}
	*out = x;
	return 0;
}

int crm_parse_yesno(const char *s, unsigned flags, int *yes,
    const char **why)
{
	static const char *const words[2][8] = {
		{ "no", "n", "nein", "false", "0", "withdrawn", NULL },
		{ "yes", "y", "ja", "j", "true", "1", "granted", NULL },
	};
	static const char *const sheet[2][3] = {
		{ "falsch", NULL }, { "x", "wahr", NULL },
	};
	size_t i;
	int v;

	for (v = 0; v < 2; v++) {
		for (i = 0; words[v][i]; i++)
			if (crm_streq_nocase(s, words[v][i]))
				goto found;
		for (i = 0; (flags & CRM_YESNO_SHEET) && sheet[v][i]; i++)
			if (crm_streq_nocase(s, sheet[v][i]))
				goto found;
	}
	*why = "not yes or no";
	return -1;
found:
	*yes = v;
	return 0;
}

int crm_parse_import_mode(const char *s, enum crm_import_mode *mode,
    const char **why)
{
	static const char *const names[] = {
		[CRM_IMPORT_UPSERT] = "upsert",
		[CRM_IMPORT_CREATE] = "create",
		[CRM_IMPORT_UPDATE] = "update",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*mode = (enum crm_import_mode)i;
			return 0;
		}
	*why = "upsert, create or update";
	return -1;
}
