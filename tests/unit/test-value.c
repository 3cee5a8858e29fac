/* test-value.c: unit tests for libcrm/value.c (dates, money, email, phone,
 * names, UTF-8, integers); prints TAP. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "value.h"

#define SENTINEL INT64_C(-4242)

/* NOW: 2026-01-31 15:45:00 UTC, the reference time for relative dates. */
static const int64_t NOW = INT64_C(1769874300);

/* vis: s as plain ASCII for a TAP line, other bytes as \xNN like in the
 * source; a static buffer, valid until the next call. */
static const char *vis(const char *s)
{
	static char buf[1024];
	size_t i = 0;

	for (; *s != '\0' && i < sizeof(buf) - 5; s++) {
		if ((unsigned char)*s >= ' ' && (unsigned char)*s < 0x7f)
			buf[i++] = *s;
		else
			i += (size_t)snprintf(buf + i, 5, "\\x%02x",
			    (unsigned char)*s);
	}
	buf[i] = '\0';
	return buf;
}

/* settz: switch the local time zone. */
static void settz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* date_at: parse s relative to now and check the result is want. */
static void date_at(const char *s, const char *fmt, int64_t now, int64_t want)
{
	int64_t t = SENTINEL;
	const char *why = NULL;
	int r;

	r = crm_parse_date(s, fmt, now, &t, &why);
	is_int(r == 0 ? t : SENTINEL, want, "date \"%s\"%s%s", vis(s),
	    fmt ? " with " : "", fmt ? fmt : "");
	if (r != 0)
		printf("#   why: %s\n", why);
}

/* date_is: date_at with the fixed NOW. */
static void date_is(const char *s, const char *fmt, int64_t want)
{
	date_at(s, fmt, NOW, want);
}

/* date_bad: s must be rejected, the output left alone and *why contain
 * sub (any reason when sub is NULL). */
static void date_bad(const char *s, const char *fmt, const char *sub)
{
	int64_t t = SENTINEL;
	const char *why = NULL;
	int r;

	r = crm_parse_date(s, fmt, NOW, &t, &why);
	ok(r == -1 && t == SENTINEL && why != NULL &&
	    (sub == NULL || strstr(why, sub) != NULL),
	    "date \"%s\"%s%s rejected (%s)", vis(s), fmt ? " with " : "",
	    fmt ? fmt : "", why ? why : "no reason");
}

/* money_is: parse s and check cents and currency. */
static void money_is(const char *s, int dec, int64_t want, const char *cur)
{
	int64_t c = SENTINEL;
	char code[4] = "XXX";
	const char *why = NULL;
	int r;

	r = crm_parse_money(s, dec, &c, code, &why);
	is_int(r == 0 ? c : SENTINEL, want, "money \"%s\" dec '%c'", vis(s),
	    dec ? dec : '0');
	if (r != 0)
		printf("#   why: %s\n", why);
	is_str(code, cur, "money \"%s\" currency", vis(s));
}

/* money_bad: s must be rejected with a reason containing sub. */
static void money_bad(const char *s, int dec, const char *sub)
{
	int64_t c = SENTINEL;
	char code[4] = "XXX";
	const char *why = NULL;
	int r;

	r = crm_parse_money(s, dec, &c, code, &why);
	ok(r == -1 && c == SENTINEL && strcmp(code, "XXX") == 0 &&
	    why != NULL && (sub == NULL || strstr(why, sub) != NULL),
	    "money \"%s\" dec '%c' rejected (%s)", vis(s), dec ? dec : '0',
	    why ? why : "no reason");
}

/* email_is: s normalises to want. */
static void email_is(const char *s, const char *want)
{
	char out[CRM_EMAILBUF] = "untouched";
	const char *why = NULL;

	if (crm_parse_email(s, out, sizeof(out), &why) != 0)
		printf("#   why: %s\n", why);
	is_str(out, want, "email \"%s\"", vis(s));
}

/* email_bad: s is rejected and out left alone. */
static void email_bad(const char *s)
{
	char out[CRM_EMAILBUF] = "untouched";
	const char *why = NULL;
	int r;

	r = crm_parse_email(s, out, sizeof(out), &why);
	ok(r == -1 && strcmp(out, "untouched") == 0 && why != NULL,
	    "email \"%s\" rejected (%s)", vis(s), why ? why : "no reason");
}

/* phone_is: s with country code cc normalises to want. */
static void phone_is(const char *s, const char *cc, const char *want)
{
	char out[CRM_PHONEBUF] = "untouched";
	const char *why = NULL;

	if (crm_parse_phone(s, cc, out, sizeof(out), &why) != 0)
		printf("#   why: %s\n", why);
	is_str(out, want, "phone \"%s\" cc %s", vis(s), cc ? cc : "default");
}

/* phone_bad: s is rejected and out left alone. */
static void phone_bad(const char *s, const char *cc)
{
	char out[CRM_PHONEBUF] = "untouched";
	const char *why = NULL;
	int r;

	r = crm_parse_phone(s, cc, out, sizeof(out), &why);
	ok(r == -1 && strcmp(out, "untouched") == 0 && why != NULL,
	    "phone \"%s\" rejected (%s)", vis(s), why ? why : "no reason");
}

/* name_is: name splits into first and last. */
static void name_is(const char *name, const char *first, const char *last)
{
	char f[128], l[128];

	memset(f, 'x', sizeof(f));
	memset(l, 'x', sizeof(l));
	crm_split_name(name, f, l);
	is_str(f, first, "name \"%s\" first", vis(name));
	is_str(l, last, "name \"%s\" last", vis(name));
}

/* utf8_is: crm_utf8_valid over the first len bytes of s. */
static void utf8_is(const char *s, size_t len, int want, const char *what)
{
	is_int(crm_utf8_valid(s, len), want, "utf8 %s", what);
}

/* int_is: s parses within [min, max] to want. */
static void int_is(const char *s, int64_t min, int64_t max, int64_t want)
{
	int64_t v = SENTINEL;
	const char *why = NULL;

	is_int(crm_parse_int(s, min, max, &v, &why) == 0 ? v : SENTINEL, want,
	    "int \"%s\"", vis(s));
}

/* int_bad: s is rejected within [min, max] with a reason containing sub. */
static void int_bad(const char *s, int64_t min, int64_t max, const char *sub)
{
	int64_t v = SENTINEL;
	const char *why = NULL;
	int r;

	r = crm_parse_int(s, min, max, &v, &why);
	ok(r == -1 && v == SENTINEL && why != NULL && strstr(why, sub) != NULL,
	    "int \"%s\" in [%" PRId64 ", %" PRId64 "] rejected (%s)", vis(s),
	    min, max, why ? why : "no reason");
}

static void test_dates_utc(void)
{
	settz("UTC");
	date_is("2026-11-20", NULL, 1795132800);
	date_is("2026-11-20T14:30", NULL, 1795185000);
	date_is("2026-11-20 14:30", NULL, 1795185000);
	date_is("2026-11-20t14:30", NULL, 1795185000);
	date_is("2026-11-20 14:30:15", NULL, 1795185015);
	date_is("2026-11-20T14:30:15Z", NULL, 1795185015);
	date_is("2026-11-20T14:30:15.250Z", NULL, 1795185015);
	date_is("2026-11-20T14:30:15+01:00", NULL, 1795181415);
	date_is("2026-11-20T14:30:15+0100", NULL, 1795181415);
	date_is("2026-11-20T14:30:15+01", NULL, 1795181415);
	date_is("2026-11-20T14:30:15-05:00", NULL, 1795203015);
	date_is("2026-11-20T14:30:15+05:30", NULL, 1795165215);
	date_is("2026-1-5", NULL, 1767571200);
	date_is("20.11.2026", NULL, 1795132800);
	date_is("20.11.2026 14:30", NULL, 1795185000);
	date_is("20.11.2026 14:30:15", NULL, 1795185015);
	date_is("1.2.2026", NULL, 1769904000);
	date_is("  2026-11-20\t", NULL, 1795132800);
	date_is("29.02.2024", NULL, 1709164800);
	date_is("29.02.2000", NULL, 951782400);
	date_is("1000-01-01", NULL, INT64_C(-30610224000));
	date_is("9999-12-31T23:59:59", NULL, INT64_C(253402300799));

	date_bad("29.02.2026", NULL, "no such day");
	date_bad("31.02.2026", NULL, "no such day");
	date_bad("29.02.1900", NULL, "no such day");
	date_bad("2100-02-29", NULL, "no such day");
	date_bad("2026-04-31", NULL, "no such day");
	date_bad("00.01.2026", NULL, "no such day");
	date_bad("2026-13-01", NULL, "no such month");
	date_bad("2026-00-10", NULL, "no such month");
	date_bad("2026-11-20 24:00", NULL, "no such time");
	date_bad("2026-11-20 12:60", NULL, "no such time");
	date_bad("2026-11-20T14:30:15+25:00", NULL, NULL);
	date_bad("0999-01-01", NULL, "year");
	date_bad("10000-01-01", NULL, NULL);
	date_bad("20.11.26", NULL, NULL);
	date_bad("01/02/2026", NULL, "ambiguous");
	date_bad("2026/02/01", NULL, "ambiguous");
	date_bad("", NULL, "empty");
	date_bad("   ", NULL, "empty");
	date_bad("garbage", NULL, "not a date");
	date_bad("2026-11-20x", NULL, "unexpected");
	date_bad("2026-11-20 14:30 junk", NULL, NULL);
	date_bad("2026-11-20Z", NULL, NULL);
	date_bad("20.11.2026T14:30", NULL, NULL);
	date_bad("2026-11-20T", NULL, NULL);
	date_bad("2026-11-20T14", NULL, NULL);
	date_bad("2026-11", NULL, NULL);
	date_bad("20261120", NULL, NULL);

	/* an explicit strptime format */
	date_is("01/02/2026", "%d/%m/%Y", 1769904000);
	date_is("01/02/2026", "%m/%d/%Y", 1767312000);
	date_is("01/02/2026  ", "%d/%m/%Y", 1769904000);
	date_is("20.11.2026 14:30", "%d.%m.%Y %H:%M", 1795185000);
	date_is("today", "%d/%m/%Y", 1769817600);
	date_bad("31/02/2026", "%d/%m/%Y", "no such day");
	date_bad("01/02/2026x", "%d/%m/%Y", "unexpected");
	date_bad("2026-11-20", "%d/%m/%Y", "format");
	date_bad("14:30", "%H:%M", "no such day");
}

static void test_dates_relative(void)
{
	settz("UTC");
	date_is("now", NULL, NOW);
	date_is("NOW", NULL, NOW);
	date_is("today", NULL, 1769817600);
	date_is("Today", NULL, 1769817600);
	date_is("yesterday", NULL, 1769731200);
	date_is("tomorrow", NULL, 1769904000);
	date_is("-3h", NULL, NOW - 3 * 3600);
	date_is("+2H", NULL, NOW + 2 * 3600);
	date_is("-30d", NULL, 1767225600);
	date_is("+0d", NULL, 1769817600);
	date_is("+2w", NULL, 1771027200);
	date_is("+1m", NULL, 1772236800);	/* 31 Jan -> 28 Feb */
	date_is("-1m", NULL, 1767139200);	/* -> 31 Dec 2025 */
	date_is("+12m", NULL, 1801353600);
	date_is("+13m", NULL, 1803772800);
	date_is("-13m", NULL, 1735603200);
	date_is("+1y", NULL, 1801353600);
	date_at("+1m", NULL, INT64_C(1706713200), 1709164800);	/* leap */
	date_at("+1y", NULL, 1709200800, 1740700800);	/* 29 Feb 2024 */
	date_at("-1y", NULL, 1709200800, 1677542400);
	date_at("+1d", NULL, 1709200800, 1709251200);
	date_bad("30d", NULL, NULL);
	date_bad("-30x", NULL, "relative");
	date_bad("-30dd", NULL, "relative");
	date_bad("-1234567d", NULL, "relative");
	date_bad("-d", NULL, NULL);
	date_bad("-", NULL, NULL);
	date_bad("+9999y", NULL, "year");
	date_bad("todayx", NULL, NULL);
}

static void test_dates_berlin(void)
{
	settz("Europe/Berlin");
	date_is("2026-07-01", NULL, 1782856800);
	date_is("01.07.2026", NULL, 1782856800);
	date_is("2026-07-01T14:30:15", NULL, 1782909015);
	date_is("2026-07-01T14:30:15Z", NULL, 1782916215);
	date_is("2026-11-20", NULL, 1795129200);
	date_is("2026-03-29 01:59:59", NULL, 1774745999);
	date_is("2026-03-29 03:30", NULL, 1774747800);
	date_bad("2026-03-29 02:30", NULL, "no such local time");
	/* relative days across both DST changes stay at local midnight */
	date_at("today", NULL, 1774864800, 1774821600);
	date_at("yesterday", NULL, 1774864800, 1774738800);
	date_at("tomorrow", NULL, 1774864800, 1774908000);
	date_at("+1d", NULL, 1792836000, 1792879200);
	date_at("+2d", NULL, 1792836000, 1792969200);
	date_at("-1h", NULL, 1774864800, 1774864800 - 3600);
	settz("UTC");
}

static void test_fmt_time(void)
{
	char buf[CRM_TIMEBUF];

	settz("UTC");
	is_str(crm_fmt_time(1795132800, buf), "2026-11-20",
	    "fmt_time midnight");
	is_str(crm_fmt_time(1795185015, buf), "2026-11-20T14:30:15",
	    "fmt_time with time");
	is_str(crm_fmt_time(1795132801, buf), "2026-11-20T00:00:01",
	    "fmt_time one second past midnight");
	is_str(crm_fmt_day(1795185015, buf), "2026-11-20", "fmt_day");
	is_str(crm_fmt_time(0, buf), "1970-01-01", "fmt_time epoch");
	is_str(crm_fmt_time(1782856800, buf), "2026-06-30T22:00:00",
	    "fmt_time of Berlin midnight in UTC");
	ok(crm_fmt_time(0, buf) == buf, "fmt_time returns buf");
	settz("Europe/Berlin");
	is_str(crm_fmt_time(1782856800, buf), "2026-07-01",
	    "fmt_time Berlin midnight");
	is_str(crm_fmt_time(1782909015, buf), "2026-07-01T14:30:15",
	    "fmt_time Berlin summer");
	is_str(crm_fmt_day(1782909015, buf), "2026-07-01", "fmt_day Berlin");
	is_str(crm_fmt_time(1795129200, buf), "2026-11-20",
	    "fmt_time Berlin winter midnight");
	settz("UTC");
}

static void test_now(void)
{
	int64_t t;

	settz("UTC");
	setenv("CRM_NOW", "2026-01-31 15:45", 1);
	is_int(crm_now(), NOW, "crm_now from $CRM_NOW");
	setenv("CRM_NOW", "2026-11-20T14:30:15Z", 1);
	is_int(crm_now(), 1795185015, "crm_now from $CRM_NOW with zone");
	setenv("CRM_NOW", "today", 1);
	t = crm_now();
	ok(t >= (int64_t)time(NULL) - 2 && t <= (int64_t)time(NULL),
	    "crm_now ignores a relative $CRM_NOW");
	setenv("CRM_NOW", "31.02.2026", 1);
	t = crm_now();
	ok(t >= (int64_t)time(NULL) - 2 && t <= (int64_t)time(NULL),
	    "crm_now ignores an impossible $CRM_NOW");
	unsetenv("CRM_NOW");
	t = crm_now();
	ok(t >= (int64_t)time(NULL) - 2 && t <= (int64_t)time(NULL),
	    "crm_now without $CRM_NOW");
}

static void test_money(void)
{
	int64_t c = SENTINEL;
	const char *why = NULL;

	money_is("12.50", 0, 1250, "");
	money_is("12,50", 0, 1250, "");
	money_is("12.5", 0, 1250, "");
	money_is("12", 0, 1200, "");
	money_is("-3", 0, -300, "");
	money_is("+12.50", 0, 1250, "");
	money_is("0.5", 0, 50, "");
	money_is(",50", 0, 50, "");
	money_is(".50", 0, 50, "");
	money_is("0.500", 0, 50, "");
	money_is(".500", 0, 50, "");
	money_is("12.5000", 0, 1250, "");
	money_is("12.50-", 0, -1250, "");
	money_is("- 12.50", 0, -1250, "");
	money_is("1.234,56 \xe2\x82\xac", 0, 123456, "EUR");
	money_is("\xe2\x82\xac" "1.234,56", 0, 123456, "EUR");
	money_is("12.50\xe2\x82\xac", 0, 1250, "EUR");
	money_is("-\xe2\x82\xac" "12.50", 0, -1250, "EUR");
	money_is("\xe2\x82\xac -12.50", 0, -1250, "EUR");
	money_is("EUR 12.50", 0, 1250, "EUR");
	money_is("12.50 EUR", 0, 1250, "EUR");
	money_is("eur 12.50", 0, 1250, "EUR");
	money_is("$5", 0, 500, "USD");
	money_is("5 USD", 0, 500, "USD");
	money_is("\xc2\xa3" "3.20", 0, 320, "GBP");
	money_is("CHF 1'234.50", 0, 123450, "CHF");
	money_is("1,234.56", 0, 123456, "");
	money_is("1 234,56", 0, 123456, "");
	money_is("1\xc2\xa0" "234,56", 0, 123456, "");
	money_is("1\xe2\x80\xaf" "234,56", 0, 123456, "");
	money_is("1.234.567", 0, 123456700, "");
	money_is("1,234,567.89", 0, 123456789, "");
	money_is("12.345,6", 0, 1234560, "");
	money_is("1,234", '.', 123400, "");
	money_is("1.234", ',', 123400, "");
	money_is("12.500", '.', 1250, "");
	money_is("12,5", ',', 1250, "");
	money_is("1.234.567", ',', 123456700, "");
	money_is("007", 0, 700, "");
	money_is("92233720368547758.07", 0, INT64_MAX, "");
	money_is("-92233720368547758.07", 0, -INT64_MAX, "");

	money_bad("1,234", 0, "ambiguous");
	money_bad("1.234", 0, "ambiguous");
	money_bad("12.500", 0, "ambiguous");
	money_bad("1,234", ',', "decimal places");
	money_bad("1.234", '.', "decimal places");
	money_bad("12.505", '.', "decimal places");
	money_bad("1234,567", 0, "decimal places");
	money_bad("1.234.567", '.', "more than one decimal");
	money_bad("12,50", '.', "grouping");
	money_bad("1 234.567", ',', "grouping");
	money_bad("1,2,3", 0, "grouping");
	money_bad("1.23.4", 0, "grouping");
	money_bad("12 50", 0, "grouping");
	money_bad("1234.567,00", 0, "grouping");
	money_bad("1.234,5.6", 0, NULL);
	money_bad("12..5", 0, NULL);
	money_bad("12.", 0, NULL);
	money_bad("abc", 0, "not an amount");
	money_bad("", 0, "not an amount");
	money_bad("-", 0, "not an amount");
	money_bad("\xe2\x82\xac", 0, "not an amount");
	money_bad("12.50 EURO", 0, NULL);
	money_bad("12-50", 0, NULL);
	money_bad("--5", 0, "sign");
	money_bad("-5-", 0, "sign");
	money_bad("EUR 5 USD", 0, "currency");
	money_bad("99999999999999999999", 0, "too large");
	money_bad("92233720368547758.08", 0, "too large");
	money_bad("18446744073709551716", 0, "too large");	/* 2^64 + 100 */
	money_bad("123456789012345678901234567890123456789012345678901234567890"
	    "1234567890", 0, "too large");
	money_bad("5", 'x', "decimal separator");

	ok(crm_parse_money("EUR 7", 0, &c, NULL, &why) == 0 && c == 700,
	    "money with currency NULL");
}

static void test_fmt_money(void)
{
	char buf[CRM_MONEYBUF];

	is_str(crm_fmt_money(123456, buf), "1234.56", "fmt_money 1234.56");
	is_str(crm_fmt_money(-50, buf), "-0.50", "fmt_money -0.50");
	is_str(crm_fmt_money(0, buf), "0.00", "fmt_money 0.00");
	is_str(crm_fmt_money(5, buf), "0.05", "fmt_money 0.05");
	is_str(crm_fmt_money(-123456, buf), "-1234.56", "fmt_money negative");
	is_str(crm_fmt_money(INT64_MAX, buf), "92233720368547758.07",
	    "fmt_money INT64_MAX");
	is_str(crm_fmt_money(INT64_MIN, buf), "-92233720368547758.08",
	    "fmt_money INT64_MIN");
	ok(crm_fmt_money(1, buf) == buf, "fmt_money returns buf");
}

static void test_email(void)
{
	char local[80], dom[200], addr[300], out[CRM_EMAILBUF];
	const char *why;

	email_is("Anna@Example.DE ", "anna@example.de");
	email_is("\t anna.mueller+crm@mail.example.com\n",
	    "anna.mueller+crm@mail.example.com");
	email_is("a@b.de", "a@b.de");
	email_is("o'brien@x-y.ie", "o'brien@x-y.ie");
	email_is("ANNA@M\xc3\x9cLLER.DE", "anna@m\xc3\x9cller.de");
	email_is("a@b.d\xc3\xa9", "a@b.d\xc3\xa9");
	email_bad("x@");
	email_bad("@x.de");
	email_bad("a@b");
	email_bad("a b@c.de");
	email_bad("a@@b.de");
	email_bad("a@b@c.de");
	ok(crm_parse_email("a@b@c.de", out, sizeof(out), &why) == -1 &&
	    strstr(why, "'@'") != NULL, "email with two '@' says so");
	email_bad("a@b..de");
	email_bad("a@.b.de");
	email_bad("a@b.de.");
	email_bad("a@-b.de");
	email_bad("a@b-.de");
	email_bad("a@b_c.de");
	email_bad("a@b.c");
	email_bad("a@b.\xc3\xa9");
	email_bad("a.@b.de");
	email_bad(".a@b.de");
	email_bad("a..b@c.de");
	email_bad("Anna <anna@x.de>");
	email_bad("<anna@x.de>");
	email_bad("anna,bob@x.de");
	email_bad("a@b.de\xff");
	email_bad("");
	email_bad("  ");
	email_bad("anna");

	/* lengths: local part 64, label 63, address 254 */
	memset(local, 'l', 64);
	local[64] = '\0';
	snprintf(addr, sizeof(addr), "%s@x.de", local);
	email_is(addr, addr);
	snprintf(addr, sizeof(addr), "l%s@x.de", local);
	email_bad(addr);
	memset(dom, 'd', 63);
	dom[63] = '\0';
	snprintf(addr, sizeof(addr), "a@%s.de", dom);
	email_is(addr, addr);
	snprintf(addr, sizeof(addr), "a@d%s.de", dom);
	email_bad(addr);
	/* 64 + 1 + 63 + 1 + 63 + 1 + 58 + 3 = 254 */
	snprintf(addr, sizeof(addr), "%.64s@%.63s.%.63s.%.58s.de", local, dom,
	    dom, dom);
	is_int((int64_t)strlen(addr), 254, "254-byte address built");
	email_is(addr, addr);
	snprintf(addr, sizeof(addr), "%.64s@%.63s.%.63s.%.59s.de", local, dom,
	    dom, dom);
	email_bad(addr);

	strcpy(out, "untouched");
	ok(crm_parse_email("a@b.de", out, 6, &why) == -1 &&
	    strcmp(out, "untouched") == 0, "email rejected when out is short");
	ok(crm_parse_email("a@b.de", out, 7, &why) == 0 &&
	    strcmp(out, "a@b.de") == 0, "email fits out exactly");
}

static void test_phone(void)
{
	char out[CRM_PHONEBUF], cc[4];
	const char *why;

	phone_is("030 1234567", NULL, "+49301234567");
	phone_is("+49 (0)30 123456", NULL, "+4930123456");
	phone_is("0049 30 123456", NULL, "+4930123456");
	phone_is("0049 (0)30 123456", NULL, "+4930123456");
	phone_is("(030) 123456", NULL, "+4930123456");
	phone_is("+1 (555) 123-4567", NULL, "+15551234567");
	phone_is("0171/1234567", NULL, "+491711234567");
	phone_is("030.123.456", NULL, "+4930123456");
	phone_is("0664 1234567", "43", "+436641234567");
	phone_is("0664 1234567", "+43", "+436641234567");
	phone_is("1234567", NULL, "1234567");
	phone_is("123", NULL, "123");
	phone_is("  +49 30 123456  ", NULL, "+4930123456");
	phone_is("+123456789012345", NULL, "+123456789012345");
	phone_bad("12ab", NULL);
	phone_bad("030 123 x", NULL);
	phone_bad("", NULL);
	phone_bad("   ", NULL);
	phone_bad("+", NULL);
	phone_bad("00", NULL);
	phone_bad("12", NULL);
	phone_bad("+1234567890123456", NULL);
	phone_bad("0301234567890123", NULL);
	phone_bad("12345678901234567890123456789012345", NULL);
	phone_bad("+49+30 123", NULL);
	phone_bad("+0 30 123", NULL);
	phone_bad("030 123", "4a");
	phone_bad("030 123", "");
	phone_bad("030 123", "1234");
	ok(crm_parse_phone("030 123456", NULL, out, 11, &why) == -1,
	    "phone rejected when out is short");
	ok(crm_parse_phone("030 123456", NULL, out, 12, &why) == 0 &&
	    strcmp(out, "+4930123456") == 0, "phone fits out exactly");

	setenv("CRM_PHONE_COUNTRY", "+43", 1);
	is_str(crm_default_cc(cc), "43", "default cc from +43");
	phone_is("0664 1234567", NULL, "+436641234567");
	setenv("CRM_PHONE_COUNTRY", "41", 1);
	is_str(crm_default_cc(cc), "41", "default cc from 41");
	setenv("CRM_PHONE_COUNTRY", "Austria", 1);
	is_str(crm_default_cc(cc), "49", "default cc ignores garbage");
	setenv("CRM_PHONE_COUNTRY", "1234", 1);
	is_str(crm_default_cc(cc), "49", "default cc ignores 4 digits");
	setenv("CRM_PHONE_COUNTRY", "049", 1);
	is_str(crm_default_cc(cc), "49", "default cc ignores a leading 0");
	setenv("CRM_PHONE_COUNTRY", "", 1);
	is_str(crm_default_cc(cc), "49", "default cc ignores empty");
	unsetenv("CRM_PHONE_COUNTRY");
	is_str(crm_default_cc(cc), "49", "default cc unset");
}

static void test_names(void)
{
	name_is("Anna M\xc3\xbcller", "Anna", "M\xc3\xbcller");
	name_is("M\xc3\xbcller, Anna", "Anna", "M\xc3\xbcller");
	name_is("M\xc3\xbcller,Anna Maria", "Anna Maria", "M\xc3\xbcller");
	name_is("Anna Maria M\xc3\xbcller", "Anna Maria", "M\xc3\xbcller");
	name_is("Ludwig van Beethoven", "Ludwig", "van Beethoven");
	name_is("Ursula von der Leyen", "Ursula", "von der Leyen");
	name_is("von der Leyen, Ursula", "Ursula", "von der Leyen");
	name_is("Anna VON M\xc3\xbcller", "Anna", "VON M\xc3\xbcller");
	name_is("Maria de la Cruz", "Maria", "de la Cruz");
	name_is("Van Morrison", "Van", "Morrison");
	name_is("de Gaulle", "de", "Gaulle");
	name_is("Anna  van   der   Berg", "Anna", "van der Berg");
	name_is("Cher", "", "Cher");
	name_is("  Anna   Maria \t M\xc3\xbcller  ", "Anna Maria",
	    "M\xc3\xbcller");
	name_is("Jos\xc3\xa9 Garc\xc3\xad" "a", "Jos\xc3\xa9",
	    "Garc\xc3\xad" "a");
	name_is("\xc3\x85sa Str\xc3\xb6m", "\xc3\x85sa", "Str\xc3\xb6m");
	name_is("", "", "");
	name_is("   ", "", "");
}

static void test_utf8(void)
{
	utf8_is("", 0, 1, "empty");
	utf8_is("plain", 5, 1, "ASCII");
	utf8_is("M\xc3\xbcller", 7, 1, "2-byte");
	utf8_is("\xe2\x82\xac", 3, 1, "3-byte euro");
	utf8_is("\xed\x9f\xbf", 3, 1, "U+D7FF");
	utf8_is("\xf0\x9f\x98\x80", 4, 1, "4-byte emoji");
	utf8_is("\xf4\x8f\xbf\xbf", 4, 1, "U+10FFFF");
	utf8_is("a\0b", 3, 1, "NUL inside len");
	utf8_is("\xc0\x80", 2, 0, "overlong C0 80");
	utf8_is("\xc1\xbf", 2, 0, "overlong C1 BF");
	utf8_is("\xe0\x80\x80", 3, 0, "overlong E0 80 80");
	utf8_is("\xf0\x80\x80\x80", 4, 0, "overlong F0 80 80 80");
	utf8_is("\xed\xa0\x80", 3, 0, "surrogate ED A0 80");
	utf8_is("\xf4\x90\x80\x80", 4, 0, "above U+10FFFF");
	utf8_is("\xf5\x80\x80\x80", 4, 0, "F5 lead byte");
	utf8_is("\xff", 1, 0, "FF byte");
	utf8_is("\x80", 1, 0, "lone continuation");
	utf8_is("\xc3", 1, 0, "truncated 2-byte");
	utf8_is("\xe2\x82", 2, 0, "truncated 3-byte");
	utf8_is("\xf0\x9f\x98", 3, 0, "truncated 4-byte");
	utf8_is("M\xc3\xbcller", 2, 0, "len cuts a sequence");
	utf8_is("\xe2\x28\xa1", 3, 0, "bad second byte");
	utf8_is("\xf0\x9f\x28\x80", 4, 0, "bad third byte");
}

static void test_int(void)
{
	int_is("5", 0, 10, 5);
	int_is(" 5 ", 0, 10, 5);
	int_is("\t42\n", 0, 100, 42);
	int_is("-3", -10, 10, -3);
	int_is("+7", 0, 10, 7);
	int_is("0", 0, 0, 0);
	int_is("10", 0, 10, 10);
	int_is("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);
	int_is("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
	int_bad("11", 0, 10, "range");
	int_bad("-1", 0, 10, "range");
	int_bad("9223372036854775808", INT64_MIN, INT64_MAX, "range");
	int_bad("-9223372036854775809", INT64_MIN, INT64_MAX, "range");
	int_bad("99999999999999999999", INT64_MIN, INT64_MAX, "range");
	int_bad("5x", 0, 10, "not a number");
	int_bad("1 2", 0, 100, "not a number");
	int_bad("0x10", 0, 100, "not a number");
	int_bad("", 0, 10, "not a number");
	int_bad("  ", 0, 10, "not a number");
	int_bad("-", 0, 10, "not a number");
	int_bad("--1", -10, 10, "not a number");
}

/* yesno_is: s reads as want (1, 0, or -1 for refused) with flags. */
static void yesno_is(const char *s, unsigned flags, int want)
{
	const char *why = NULL;
	int v = 7, rc = crm_parse_yesno(s, flags, &v, &why);

	if (want < 0)
		ok(rc == -1 && v == 7 && why != NULL, "yesno \"%s\" (flags %u) "
		    "refused, value untouched", s, flags);
	else
		ok(rc == 0 && v == want, "yesno \"%s\" (flags %u) is %d", s,
		    flags, want);
}

static void test_yesno(void)
{
	static const char *const yes[] = { "yes", "Y", "ja", "J", "TRUE",
		"1", "granted" };
	static const char *const no[] = { "no", "N", "Nein", "false", "0",
		"withdrawn" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		yesno_is(yes[i], 0, 1);
		yesno_is(yes[i], CRM_YESNO_SHEET, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		yesno_is(no[i], 0, 0);
		yesno_is(no[i], CRM_YESNO_SHEET, 0);
	}
	/* a spreadsheet's check marks only where asked for */
	yesno_is("x", 0, -1);
	yesno_is("X", CRM_YESNO_SHEET, 1);
	yesno_is("wahr", 0, -1);
	yesno_is("WAHR", CRM_YESNO_SHEET, 1);
	yesno_is("falsch", 0, -1);
	yesno_is("Falsch", CRM_YESNO_SHEET, 0);
	yesno_is("", CRM_YESNO_SHEET, -1);
	yesno_is("yes ", 0, -1);
	yesno_is("maybe", CRM_YESNO_SHEET, -1);
}

static void test_import_mode(void)
{
	enum crm_import_mode m = CRM_IMPORT_UPDATE;
	const char *why = NULL;

	ok(crm_parse_import_mode("upsert", &m, &why) == 0 &&
	    m == CRM_IMPORT_UPSERT, "import mode upsert");
	ok(crm_parse_import_mode("create", &m, &why) == 0 &&
	    m == CRM_IMPORT_CREATE, "import mode create");
	ok(crm_parse_import_mode("update", &m, &why) == 0 &&
	    m == CRM_IMPORT_UPDATE, "import mode update");
	ok(crm_parse_import_mode("Update", &m, &why) == -1 &&
	    m == CRM_IMPORT_UPDATE && why != NULL,
	    "import mode: other words refused, mode untouched");
}

int main(void)
{
	test_dates_utc();
	test_dates_relative();
	test_dates_berlin();
	test_fmt_time();
	test_now();
	test_money();
	test_fmt_money();
	test_email();
	test_phone();
	test_names();
	test_utf8();
	test_int();
	test_yesno();
	test_import_mode();
	return done();
}
