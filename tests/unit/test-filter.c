/* test-filter.c: unit tests for libcrm/filter.c (expression -> SQL and
 * parameters, or an error with its column) and the RFM tables and
 * quintiles of libcrm/rfm.c; prints TAP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "filter.h"
#include "rfm.h"
#include "stats.h"
#include "value.h"

/* NOW: 2026-11-26T12:00:00 UTC, the reference for relative dates. */
static const int64_t NOW = INT64_C(1795694400);

#define CONSENT(n) "coalesce((SELECT k.granted FROM consents k WHERE" \
	" k.customer_id = c.id AND k.channel = ?" #n " ORDER BY k.at DESC," \
	" k.id DESC LIMIT 1), 0) = 1"
#define TAG(n) "EXISTS (SELECT 1 FROM tags t WHERE t.customer_id = c.id" \
	" AND t.tag = ?" #n ")"
#define NAME "trim(coalesce(c.first_name, '') || ' ' ||" \
	" coalesce(c.last_name, ''))"

/* Expressions that compile: the SQL and the parameters ("i:3|t:Berlin"). */
static const struct {
	const char *expr, *sql, *params;
} good[] = {
	{ "orders >= 3", "(coalesce(crm_stat(c.id, 0) >= ?1, 0))", "i:3" },
	{ "orders>=3", "(coalesce(crm_stat(c.id, 0) >= ?1, 0))", "i:3" },
	{ "city = Berlin", "(coalesce(c.city = ?1 COLLATE NOCASE, 0))",
	    "t:Berlin" },
	{ "city == 'Berlin'", "(coalesce(c.city = ?1 COLLATE NOCASE, 0))",
	    "t:Berlin" },
	{ "city != Berlin", "(coalesce(c.city <> ?1 COLLATE NOCASE, 1))",
	    "t:Berlin" },
	{ "city <> Berlin", "(coalesce(c.city <> ?1 COLLATE NOCASE, 1))",
	    "t:Berlin" },
	{ "name ~ müller", "(coalesce(instr(lower(" NAME "), lower(?1)) > 0,"
	    " 0))", "t:müller" },
	{ "email = \"\"", "(coalesce((c.email IS NULL OR c.email = ''), 0))",
	    "" },
	{ "email != ''", "(coalesce((c.email IS NOT NULL AND c.email <> ''),"
	    " 1))", "" },
	{ "tag:VIP", "(" TAG(1) ")", "t:vip" },
	{ "tag:\"Summer Sale\"", "(" TAG(1) ")", "t:summer sale" },
	{ "consent:newsletter", "((" CONSENT(1) "))", "t:newsletter" },
	{ "reachable:post", "(((coalesce(c.street, '') <> '' AND"
	    " coalesce(c.postal_code, '') <> '' AND coalesce(c.city, '') <>"
	    " '')))", "" },
	{ "reachable:sms", "((coalesce(c.phone, '') <> ''))", "" },
	{ "not tag:vip and orders > 1 or city in (Berlin, 'Hamburg')",
	    "(NOT " TAG(1) " AND coalesce(crm_stat(c.id, 0) > ?2, 0) OR"
	    " (coalesce(c.city = ?3 COLLATE NOCASE, 0) OR"
	    " coalesce(c.city = ?4 COLLATE NOCASE, 0)))",
	    "t:vip|i:1|t:Berlin|t:Hamburg" },
	{ "NOT (orders > 1 OR r = 5) AND f <= 2",
	    "(NOT (coalesce(crm_stat(c.id, 0) > ?1, 0) OR"
	    " coalesce(crm_stat(c.id, 18) = ?2, 0)) AND"
	    " coalesce(crm_stat(c.id, 19) <= ?3, 0))", "i:1|i:5|i:2" },
	{ "city not in (a)", "(NOT (coalesce(c.city = ?1 COLLATE NOCASE, 0)))",
	    "t:a" },
	{ "spend > 12,50", "(coalesce(crm_stat(c.id, 1) > ?1, 0))", "i:1250" },
	{ "spend >= \"1.234,56 €\"", "(coalesce(crm_stat(c.id, 1) >= ?1, 0))",
	    "i:123456" },
	{ "aov < 20", "(coalesce(crm_stat(c.id, 2) < ?1, 0))", "i:2000" },
	{ "last_purchase < -90d", "(coalesce(crm_stat(c.id, 4) < ?1, 0))",
	    "i:1787875200" },
	{ "last_purchase = 2026-11-20", "(coalesce((crm_stat(c.id, 4) >= ?1"
	    " AND crm_stat(c.id, 4) < ?2), 0))", "i:1795132800|i:1795219200" },
	{ "last_purchase != 20.11.2026", "(coalesce(NOT (crm_stat(c.id, 4) >="
	    " ?1 AND crm_stat(c.id, 4) < ?2), 1))",
	    "i:1795132800|i:1795219200" },
	{ "last_purchase <= 2026-11-20", "(coalesce(crm_stat(c.id, 4) < ?1,"
	    " 0))", "i:1795219200" },
	{ "last_purchase > 2026-11-20", "(coalesce(crm_stat(c.id, 4) >= ?1,"
	    " 0))", "i:1795219200" },
	{ "created >= 2026-11-20T10:00:00Z", "(coalesce(c.created_at >= ?1,"
	    " 0))", "i:1795168800" },
	{ "attrs.size > 40", "(coalesce(CAST(json_extract(c.attrs, ?1) AS"
	    " REAL) > ?2, 0))", "t:$.\"size\"|r:40" },
	{ "attrs.size = 40", "(coalesce(CAST(json_extract(c.attrs, ?1) AS"
	    " TEXT) = ?2 COLLATE NOCASE, 0))", "t:$.\"size\"|t:40" },
	{ "p_alive < 0.5", "(coalesce((SELECT p.p_alive FROM predictions p"
	    " WHERE p.customer_id = c.id) < ?1, 0))", "r:0.5" },
	{ "channel = email", "(coalesce((SELECT p.preferred_channel FROM"
	    " predictions p WHERE p.customer_id = c.id) = ?1 COLLATE NOCASE,"
	    " 0))", "t:email" },
	{ "discount_buyer = yes", "(coalesce((SELECT p.discount_buyer FROM"
	    " predictions p WHERE p.customer_id = c.id) = ?1 COLLATE NOCASE,"
	    " 0))", "t:yes" },
	{ "discount_share >= 0.5", "(coalesce((SELECT p.discount_share FROM"
	    " predictions p WHERE p.customer_id = c.id) >= ?1, 0))", "r:0.5" },
	{ "segment = \"At Risk\"", "(coalesce(crm_stat(c.id, 22) = ?1 COLLATE"
	    " NOCASE, 0))", "t:At Risk" },
	{ "return_rate > 0.25", "(coalesce(crm_stat(c.id, 6) > ?1, 0))",
	    "r:0.25" },
	{ "zip = 10115", "(coalesce(c.postal_code = ?1 COLLATE NOCASE, 0))",
	    "t:10115" },
	{ "  ( ( orders > -1 ) )  ", "(((coalesce(crm_stat(c.id, 0) > ?1,"
	    " 0))))", "i:-1" },
	{ "city = 'O\\'Brien \\\\ Sons'", "(coalesce(c.city = ?1 COLLATE"
	    " NOCASE, 0))", "t:O'Brien \\ Sons" },
};

/* Expressions that do not: the column and a part of the message. */
static const struct {
	const char *expr;
	int col;
	const char *msg;
} bad[] = {
	{ "", 1, "expected a condition" },
	{ "   ", 4, "expected a condition" },
	{ "orders >=", 10, "expected a value after \">=\"" },
	{ "ordrs > 1", 1, "unknown field \"ordrs\"" },
	{ "orders > abc", 10, "expected a number for orders, not \"abc\"" },
	{ "last_purchase < 31.02.2026", 17, "invalid date \"31.02.2026\"" },
	{ "last_purchase < 01/02/2026", 17, "invalid date" },
	{ "spend > 1,234", 9, "invalid amount \"1,234\"" },
	{ "city = Berlin Hamburg", 15, "expected \"and\", \"or\" or the end" },
	{ "(orders > 1", 12, "expected \")\"" },
	{ "orders > 1)", 11, "expected \"and\", \"or\" or the end" },
	{ "city ~", 7, "expected a value after \"~\"" },
	{ "orders ~ 3", 10, "~ (contains) works on text" },
	{ "consent:fax", 9, "unknown channel \"fax\"" },
	{ "reachable:", 11, "expected a name after reachable:" },
	{ "city = 'Berlin", 8, "string is not closed" },
	{ "city", 5, "expected an operator after \"city\"" },
	{ "city Berlin", 6, "expected an operator" },
	{ "city in Berlin", 9, "expected \"(\" after \"in\"" },
	{ "city in ()", 10, "expected a value" },
	{ "city in (a b)", 12, "expected \",\" or \")\"" },
	{ "city not Berlin", 10, "expected \"in\" after \"not\"" },
	{ "orders ! 3", 8, "expected \"!=\"" },
	{ "and", 1, "expected a field" },
	{ "orders > 1 and", 15, "expected a field" },
	{ "orders > 1 or or", 15, "expected a field" },
	{ "city = and", 8, "expected a value" },
	{ "name = 'Müller' orders", 17, "expected \"and\"" },
	{ "attrs.x$y = 1", 7, "expected a key" },
	{ "attrs. = 1", 7, "expected a key" },
	{ "city = x; DROP TABLE customers", 11, "expected \"and\"" },
};

/* Hostile values: the SQL must be the template, the value a parameter. */
static const char *const hostile[] = {
	"'; DROP TABLE customers; --",
	"x' OR '1'='1",
	"\" OR 1=1 --",
	"Robert'); DELETE FROM events; --",
	"?1",
	"%_\\",
	") OR (1=1",
};

/* params: q's parameters as "i:3|t:Berlin". */
static void params(const struct crm_sql *q, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < q->nparam && n < len; i++) {
		const struct crm_param *p = &q->param[i];

		if (p->type == CRM_P_INT)
			n += (size_t)snprintf(buf + n, len - n, "%si:%lld",
			    i ? "|" : "", (long long)p->i);
		else if (p->type == CRM_P_REAL)
			n += (size_t)snprintf(buf + n, len - n, "%sr:%g",
			    i ? "|" : "", p->d);
		else
			n += (size_t)snprintf(buf + n, len - n, "%st:%s",
			    i ? "|" : "", p->s);
	}
}

static void test_good(void)
{
	char err[1024], got[1024];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct crm_sql q = { 0 };
		int rc = crm_filter_compile(&q, good[i].expr, NOW, err,
		    sizeof(err));

		if (!ok(rc == 0, "compiles: %s", good[i].expr)) {
			printf("#   %s\n", err);
			continue;
		}
		is_str(q.text.s, good[i].sql, "sql of: %s", good[i].expr);
		params(&q, got, sizeof(got));
		is_str(got, good[i].params, "parameters of: %s", good[i].expr);
		crm_sql_free(&q);
	}
}

static void test_bad(void)
{
	char err[1024], want[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct crm_sql q = { 0 };
		int rc;

		err[0] = '\0';
		rc = crm_filter_compile(&q, bad[i].expr, NOW, err, sizeof(err));
		ok(rc == -1, "refused: %s", bad[i].expr);
		snprintf(want, sizeof(want), "column %d: ", bad[i].col);
		if (!ok(strncmp(err, want, strlen(want)) == 0,
		    "at column %d: %s", bad[i].col, bad[i].expr))
			printf("#   got: %s\n", err);
		if (!ok(strstr(err, bad[i].msg) != NULL, "says %s",
		    bad[i].msg))
			printf("#   got: %s\n", err);
		ok(q.text.len == 0 && q.nparam == 0, "nothing left in q");
		crm_sql_free(&q);
	}
}

static void test_caret(void)
{
	struct crm_sql q = { 0 };
	char err[1024];

	crm_filter_compile(&q, "orders >=", NOW, err, sizeof(err));
	is_str(err, "column 10: expected a value after \">=\"\n"
	    "  orders >=\n"
	    "           ^", "the expression with a caret under column 10");
	crm_filter_compile(&q, "name = 'Müller' orders", NOW, err,
	    sizeof(err));
	ok(strstr(err, "\n  name = 'Müller' orders\n                  ^") !=
	    NULL, "the caret counts characters, not bytes");
	crm_filter_compile(&q, "city =\tx y", NOW, err, sizeof(err));
	ok(strstr(err, "\n  city = x y\n") != NULL,
	    "control characters are shown as spaces");
	crm_sql_free(&q);
}

static void test_nesting(void)
{
	struct crm_sql q = { 0 };
	char expr[512], err[1024];
	int i;

	for (i = 0; i < 150; i++)
		expr[i] = '(';
	strcpy(expr + i, "orders > 1");
	ok(crm_filter_compile(&q, expr, NOW, err, sizeof(err)) == -1 &&
	    strstr(err, "too deeply nested") != NULL,
	    "deep nesting is refused, not a stack overflow");
	crm_sql_free(&q);

	/* Limits that keep the SQL within what SQLite parses (checked
	 * against SQLite by tests/cli/8001-hostile.bats). */
	for (i = 0; i < 49; i++)
		expr[i] = '(';
	strcpy(expr + i, "orders > 1");
	for (i = (int)strlen(expr); i < 49 + 10 + 49; i++)
		expr[i] = ')';
	expr[i] = '\0';
	ok(crm_filter_compile(&q, expr, NOW, err, sizeof(err)) == 0,
	    "49 parentheses around a condition (50 levels): compiled");
	crm_sql_free(&q);
	{
		struct crm_buf b = { 0 };

		for (i = 0; i < 251; i++)
			crm_buf_addf(&b, "%sorders > %d", i ? " or " : "", i);
		ok(crm_filter_compile(&q, b.s, NOW, err, sizeof(err)) == -1 &&
		    strstr(err, "too many conditions (at most 250)") != NULL,
		    "251 conditions: refused");
		crm_sql_free(&q);
		b.s[strlen(b.s) - strlen(" or orders > 250")] = '\0';
		ok(crm_filter_compile(&q, b.s, NOW, err, sizeof(err)) == 0,
		    "250 conditions: compiled");
		crm_sql_free(&q);
		crm_buf_reset(&b);
		crm_buf_adds(&b, "city in (a");
		for (i = 0; i < 250; i++)
			crm_buf_adds(&b, ",a");
		crm_buf_adds(&b, ")");
		ok(crm_filter_compile(&q, b.s, NOW, err, sizeof(err)) == -1 &&
		    strstr(err, "too many conditions") != NULL,
		    "251 values in a list: refused");
		crm_sql_free(&q);
		crm_buf_free(&b);
	}
}

/* fill: form with its '@' replaced by v. */
static void fill(char *buf, size_t len, const char *form, const char *v)
{
	const char *at = strchr(form, '@');
	size_t n = (size_t)(at - form);

	if (n + strlen(v) + strlen(at + 1) >= len)
		abort();
	memcpy(buf, form, n);
	strcpy(buf + n, v);
	strcat(buf, at + 1);
}

static void test_hostile(void)
{
	static const char *const forms[] = {
		"city = \"@\"", "name ~ \"@\"", "tag:\"@\"",
		"attrs.note = \"@\"", "segment in (\"@\", x)",
	};
	char expr[256], ref[256], err[1024], safe[256], *p;
	size_t i, j, k;

	for (j = 0; j < sizeof(forms) / sizeof(forms[0]); j++) {
		struct crm_sql r = { 0 };

		fill(ref, sizeof(ref), forms[j], "harmless");
		if (!ok(crm_filter_compile(&r, ref, NOW, err, sizeof(err)) == 0,
		    "compiles: %s", ref))
			continue;
		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
			struct crm_sql q = { 0 };
			int found = 0;

			/* escape quotes and backslashes for the string */
			for (p = safe, k = 0; hostile[i][k]; k++) {
				if (hostile[i][k] == '"' || hostile[i][k] == '\\')
					*p++ = '\\';
				*p++ = hostile[i][k];
			}
			*p = '\0';
			fill(expr, sizeof(expr), forms[j], safe);
			if (!ok(crm_filter_compile(&q, expr, NOW, err,
			    sizeof(err)) == 0, "compiles: %s", expr)) {
				printf("#   %s\n", err);
				continue;
			}
			is_str(q.text.s, r.text.s, "same SQL as a harmless "
			    "value: %s", expr);
			for (k = 0; k < q.nparam; k++)
				if (q.param[k].s && strcasestr(q.param[k].s,
				    hostile[i][0] == '?' ? "?1" : hostile[i]))
					found = 1;
			/* tags are lower-cased, nothing else is changed */
			ok(found, "the value is a parameter, verbatim");
			crm_sql_free(&q);
		}
		crm_sql_free(&r);
	}
}

static void test_columns_and_channel(void)
{
	struct crm_sql q = { 0 };
	enum crm_ftype t;
	char err[256];

	ok(crm_filter_column(&q, "spend", &t, err, sizeof(err)) == 0 &&
	    t == CRM_FT_MONEY && (q.needs & CRM_NEED_STATS),
	    "column spend: money, from the stats");
	ok(crm_filter_column(&q, "nosuch", &t, err, sizeof(err)) == -1 &&
	    strstr(err, "unknown column \"nosuch\"") != NULL,
	    "an unknown column is refused");
	crm_sql_free(&q);
	ok(crm_filter_column(&q, "attrs.size", &t, err, sizeof(err)) == 0 &&
	    q.nparam == 1 && strcmp(q.param[0].s, "$.\"size\"") == 0,
	    "column attrs.size: a bound path");
	crm_sql_free(&q);
	ok(crm_filter_channel(&q, "post", err, sizeof(err)) == 0 &&
	    strstr(q.text.s, "c.street") && strstr(q.text.s, "consents"),
	    "--for post: consent and a postal address");
	crm_sql_free(&q);
	ok(crm_filter_channel(&q, "fax", err, sizeof(err)) == -1,
	    "--for fax is refused");
	crm_sql_free(&q);
}

/* With q.stored the aggregates are columns of customer_stats "cs"; RFM
 * fields stay crm_stat(); values stay parameters. */
static void test_stored(void)
{
	struct crm_sql q = { 0 };
	char err[256];

	q.stored = 1;
	ok(crm_filter_compile(&q, "orders >= 3 and aov > 10 and "
	    "last_purchase < -90d and segment = Champions", NOW, err,
	    sizeof(err)) == 0, "stored: compiles");
	is_str(q.text.s, "(coalesce(coalesce(cs.orders, 0) >= ?1, 0) AND "
	    "coalesce(CASE WHEN cs.orders > 0 THEN CAST(round(cs.spend * 1.0 "
	    "/ cs.orders) AS INTEGER) END > ?2, 0) AND "
	    "coalesce(cs.last_purchase < ?3, 0) AND "
	    "coalesce(crm_stat(c.id, 22) = ?4 COLLATE NOCASE, 0))",
	    "stored: customer_stats columns, RFM from crm_stat");
	ok(q.needs == (CRM_NEED_STATS | CRM_NEED_RFM), "stored: needs RFM");
	crm_sql_free(&q);
	q.stored = 1;
	crm_filter_stat(&q, CRM_STAT_AVG_RATING);
	is_str(q.text.s, "CASE WHEN cs.reviews > 0 THEN cs.rating_sum * 1.0 / "
	    "cs.reviews END", "stored: avg_rating from rating_sum");
	crm_sql_free(&q);
	crm_filter_stat(&q, CRM_STAT_AVG_RATING);
	is_str(q.text.s, "crm_stat(c.id, 12)", "not stored: crm_stat");
	crm_sql_free(&q);
}

static void test_rfm_tables(void)
{
	const char *const *grid = crm_rfm_segments(CRM_RFM_GRID);
	const char *const *classic = crm_rfm_segments(CRM_RFM_CLASSIC);
	/* cells per grid segment, in table order */
	static const int cells[] = { 2, 4, 4, 1, 1, 1, 2, 4, 2, 4 };
	int n[16] = { 0 }, r, f, m, s, all = 1, i;

	for (i = 0; grid[i]; i++)
		;
	is_int(i, 10, "the grid has 10 segments");
	for (i = 0; classic[i]; i++)
		;
	is_int(i, 11, "the classic table has 11 segments");
	is_str(classic[10], "Lost", "the last classic segment is Lost");
	for (r = 1; r <= 5; r++)
		for (f = 1; f <= 5; f++) {
			s = crm_rfm_segment(CRM_RFM_GRID, r, f, 1);
			if (s < 0 || s >= 10)
				all = 0;
			else
				n[s]++;
			for (m = 2; m <= 5; m++)
				if (crm_rfm_segment(CRM_RFM_GRID, r, f, m) != s)
					all = 0;
		}
	ok(all, "every grid cell has one segment, whatever M");
	for (i = 0; i < 10; i++)
		is_int(n[i], cells[i], "grid: %s has %d cells", grid[i],
		    cells[i]);
	is_str(grid[crm_rfm_segment(CRM_RFM_GRID, 5, 5, 1)], "Champions",
	    "grid 55: Champions");
	is_str(grid[crm_rfm_segment(CRM_RFM_GRID, 1, 5, 1)], "Can't Lose Them",
	    "grid 15: Can't Lose Them");
	is_str(grid[crm_rfm_segment(CRM_RFM_GRID, 3, 3, 1)], "Need Attention",
	    "grid 33: Need Attention");
	memset(n, 0, sizeof(n));
	for (r = 1; r <= 5; r++)
		for (f = 1; f <= 5; f++)
			for (m = 1; m <= 5; m++)
				n[crm_rfm_segment(CRM_RFM_CLASSIC, r, f, m)]++;
	for (i = 0, all = 1; i < 11; i++)
		if (n[i] == 0) {
			printf("#   %s is never reached\n", classic[i]);
			all = 0;
		}
	ok(all, "classic: every segment is reached by some R, F, M");
	is_str(classic[crm_rfm_segment(CRM_RFM_CLASSIC, 5, 5, 5)], "Champions",
	    "classic 555: Champions (first match)");
	is_str(classic[crm_rfm_segment(CRM_RFM_CLASSIC, 5, 5, 3)],
	    "Loyal Customers", "classic 553: Loyal Customers");
	is_str(classic[crm_rfm_segment(CRM_RFM_CLASSIC, 1, 5, 5)],
	    "Can't Lose Them", "classic 155: Can't Lose Them");
	is_str(classic[crm_rfm_segment(CRM_RFM_CLASSIC, 1, 3, 5)], "At Risk",
	    "classic 135: At Risk");
	is_str(classic[crm_rfm_segment(CRM_RFM_CLASSIC, 1, 1, 5)], "Lost",
	    "classic 115: Lost");
	is_str(classic[crm_rfm_segment(CRM_RFM_CLASSIC, 3, 2, 4)],
	    "Need Attention", "classic 324: Need Attention");
	is_int(crm_rfm_segment(CRM_RFM_GRID, 0, 1, 1), -1, "score 0 refused");
}

static void test_ntile(void)
{
	/* NTILE(5) over 7 rows: 2 2 1 1 1; over 3: 1 2 3; over 10: 2 each */
	static const int n7[] = { 1, 1, 2, 2, 3, 4, 5 };
	static const int n3[] = { 1, 2, 3 };
	char got[64], want[64];
	size_t i;
	int ok7 = 1, ok10 = 1;

	for (i = 0; i < 7; i++)
		ok7 &= crm_ntile(i, 7, 5) == n7[i];
	ok(ok7, "ntile of 7 rows: 1 1 2 2 3 4 5");
	for (i = 0; i < 3; i++) {
		got[i] = (char)('0' + crm_ntile(i, 3, 5));
		want[i] = (char)('0' + n3[i]);
	}
	got[3] = want[3] = '\0';
	is_str(got, want, "ntile of 3 rows: 1 2 3");
	for (i = 0; i < 10; i++)
		ok10 &= crm_ntile(i, 10, 5) == (int)(i / 2) + 1;
	ok(ok10, "ntile of 10 rows: two each");
	is_int(crm_ntile(999999, 1000000, 5), 5, "the last of a million: 5");
	is_int(crm_ntile(200000, 1000001, 5), 1, "1000001 rows: the first group "
	    "holds one more");
}

static void test_cutoff(void)
{
	is_int(crm_cutoff(INT64_C(1795132800)), INT64_C(1795219200),
	    "a midnight includes its day");
	is_int(crm_cutoff(NOW), NOW + 1, "a time includes its second");
	is_int(crm_day_end(NOW), NOW, "a time is no day");
}

/* A buyer and which measure orders the reference sort (0 R, 1 F, 2 M). */
static int ref_measure;

/* ref_cmp: the order crm_rfm_rank documents: the measure, then the other
 * two (R: orders, spend; F: spend, last; M: orders, last), then the lower
 * id ranking higher (sorting after). */
static int ref_cmp(const void *pa, const void *pb)
{
	const struct crm_rfm_buyer *a = pa, *b = pb;
	int64_t ka[3], kb[3];
	int i;

	if (ref_measure == 0) {
		ka[0] = a->last; ka[1] = a->orders; ka[2] = a->spend;
		kb[0] = b->last; kb[1] = b->orders; kb[2] = b->spend;
	} else if (ref_measure == 1) {
		ka[0] = a->orders; ka[1] = a->spend; ka[2] = a->last;
		kb[0] = b->orders; kb[1] = b->spend; kb[2] = b->last;
	} else {
		ka[0] = a->spend; ka[1] = a->orders; ka[2] = a->last;
		kb[0] = b->spend; kb[1] = b->orders; kb[2] = b->last;
	}
	for (i = 0; i < 3; i++)
		if (ka[i] != kb[i])
			return ka[i] < kb[i] ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

/* test_rfm_rank: crm_rfm_rank against sorting and NTILE(5), on buyers
 * with many ties, for counts that do and do not divide by five. */
static void test_rfm_rank(void)
{
	static const size_t counts[] = { 1, 4, 5, 7, 13, 500 };
	struct crm_rfm_buyer b[500], sorted[500];
	uint8_t q[3][500];
	uint64_t seed = 7;
	size_t c, i, j, n;
	int k, same;

	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		n = counts[c];
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			b[i].last = (int64_t)(seed >> 60);      /* 16 values */
			b[i].orders = 1 + (int64_t)(seed >> 33) % 4;
			b[i].spend = 100 * ((int64_t)(seed >> 20) % 5);
			b[i].id = (int64_t)(i * 37 % n) + 1;    /* distinct */
		}
		ok(crm_rfm_rank(b, n, q[0], q[1], q[2]) == 0,
		    "rfm rank of %zu buyers", n);
		for (k = 0, same = 1; k < 3; k++) {
			ref_measure = k;
			memcpy(sorted, b, n * sizeof(b[0]));
			qsort(sorted, n, sizeof(sorted[0]), ref_cmp);
			for (j = 0; j < n; j++)
				for (i = 0; i < n; i++)
					if (b[i].id == sorted[j].id &&
					    q[k][i] != crm_ntile(j, n, 5))
						same = 0;
		}
		ok(same, "rfm rank of %zu buyers: as sorting and NTILE(5)", n);
	}
	ok(crm_rfm_rank(b, 0, q[0], q[1], q[2]) == 0, "rfm rank of nobody");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_good();
	test_bad();
	test_caret();
	test_nesting();
	test_hostile();
	test_columns_and_channel();
	test_stored();
	test_rfm_tables();
	test_ntile();
	test_rfm_rank();
	test_cutoff();
	return done();
}
