/* filter.c: the segment expression language: a lexer and a recursive
 * descent parser that writes the SQL condition as it reads, with every
 * value from the expression as a bound parameter. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "customer.h"
#include "filter.h"
#include "stats.h"
#include "value.h"

/* A field of the language: its name, type and SQL over "c" (customers),
 * a subquery of predictions, or crm_stat(c.id, stat). */
struct field {
	const char *name;
	enum crm_ftype type;
	const char *sql;        /* NULL: crm_stat(c.id, stat) */
	int stat;
	unsigned needs;
};

#define COL(n, t, s) { n, t, s, -1, 0 }
#define STAT(n, t, k) { n, t, NULL, k, CRM_NEED_STATS }
#define RFM(n, t, k) { n, t, NULL, k, CRM_NEED_STATS | CRM_NEED_RFM }
#define PRED(n, t, col) { n, t, "(SELECT p." col " FROM predictions p" \
	" WHERE p.customer_id = c.id)", -1, CRM_NEED_PRED }
static const struct field fields[] = {
	COL("id", CRM_FT_INT, "c.id"),
	COL("ref", CRM_FT_TEXT, "c.ref"),
	COL("name", CRM_FT_TEXT, "trim(coalesce(c.first_name, '') || ' ' ||"
	    " coalesce(c.last_name, ''))"),
	COL("first_name", CRM_FT_TEXT, "c.first_name"),
	COL("last_name", CRM_FT_TEXT, "c.last_name"),
	COL("company", CRM_FT_TEXT, "c.company"),
	COL("email", CRM_FT_TEXT, "c.email"),
	COL("phone", CRM_FT_TEXT, "c.phone"),
	COL("street", CRM_FT_TEXT, "c.street"),
	COL("postal_code", CRM_FT_TEXT, "c.postal_code"),
	COL("city", CRM_FT_TEXT, "c.city"),
	COL("country", CRM_FT_TEXT, "c.country"),
	COL("notes", CRM_FT_TEXT, "c.notes"),
	COL("created", CRM_FT_DATE, "c.created_at"),
	COL("updated", CRM_FT_DATE, "c.updated_at"),
	COL("tags", CRM_FT_TEXT, "(SELECT group_concat(tag, ',') FROM"
	    " (SELECT tag FROM tags t WHERE t.customer_id = c.id ORDER BY tag))"),
	STAT("orders", CRM_FT_INT, CRM_STAT_ORDERS),
	STAT("spend", CRM_FT_MONEY, CRM_STAT_SPEND),
	STAT("aov", CRM_FT_MONEY, CRM_STAT_AOV),
	STAT("first_purchase", CRM_FT_DATE, CRM_STAT_FIRST_PURCHASE),
	STAT("last_purchase", CRM_FT_DATE, CRM_STAT_LAST_PURCHASE),
	STAT("returns", CRM_FT_INT, CRM_STAT_RETURNS),
	STAT("return_rate", CRM_FT_REAL, CRM_STAT_RETURN_RATE),
	STAT("complaints", CRM_FT_INT, CRM_STAT_COMPLAINTS),
	STAT("complaints_open", CRM_FT_INT, CRM_STAT_COMPLAINTS_OPEN),
	STAT("service_open", CRM_FT_INT, CRM_STAT_SERVICE_OPEN),
	STAT("callbacks_open", CRM_FT_INT, CRM_STAT_CALLBACKS_OPEN),
	STAT("reviews", CRM_FT_INT, CRM_STAT_REVIEWS),
	STAT("avg_rating", CRM_FT_REAL, CRM_STAT_AVG_RATING),
	STAT("cart_abandoned", CRM_FT_INT, CRM_STAT_CART_ABANDONED),
	STAT("campaigns_sent", CRM_FT_INT, CRM_STAT_CAMPAIGNS_SENT),
	STAT("campaigns_answered", CRM_FT_INT, CRM_STAT_CAMPAIGNS_ANSWERED),
	STAT("last_contact", CRM_FT_DATE, CRM_STAT_LAST_CONTACT),
	RFM("recency", CRM_FT_INT, CRM_STAT_RECENCY),
	STAT("frequency", CRM_FT_INT, CRM_STAT_ORDERS),
	STAT("monetary", CRM_FT_MONEY, CRM_STAT_SPEND),
	RFM("r", CRM_FT_INT, CRM_STAT_R),
	RFM("f", CRM_FT_INT, CRM_STAT_F),
	RFM("m", CRM_FT_INT, CRM_STAT_M),
	RFM("rfm", CRM_FT_TEXT, CRM_STAT_SCORE),
	RFM("segment", CRM_FT_TEXT, CRM_STAT_SEGMENT),
	PRED("p_alive", CRM_FT_REAL, "p_alive"),
	PRED("expected_purchases", CRM_FT_REAL, "expected_purchases"),
	PRED("clv", CRM_FT_MONEY, "clv_cents"),
	PRED("next_purchase", CRM_FT_DATE, "next_purchase"),
	PRED("favourite_category", CRM_FT_TEXT, "favourite_category"),
	PRED("favourite_share", CRM_FT_REAL, "favourite_share"),
	PRED("p_buy", CRM_FT_REAL, "p_buy"),
	PRED("price_band", CRM_FT_TEXT, "price_band"),
	PRED("channel", CRM_FT_TEXT, "preferred_channel"),
	PRED("discount_buyer", CRM_FT_TEXT, "discount_buyer"),
	PRED("discount_share", CRM_FT_REAL, "discount_share"),
	PRED("churn_risk", CRM_FT_TEXT, "churn_risk"),
};
#undef COL
#undef STAT
#undef RFM
#undef PRED
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

const char *const *crm_filter_fields(void)
{
	static const char *names[NFIELDS + 1];
	size_t i;

	if (names[0] == NULL)
		for (i = 0; i < NFIELDS; i++)
			names[i] = fields[i].name;
	return names;
}

void crm_sql_free(struct crm_sql *q)
{
	size_t i;

	crm_buf_free(&q->text);
	for (i = 0; i < q->nparam; i++)
		free(q->param[i].s);
	free(q->param);
	memset(q, 0, sizeof(*q));
}

/* newparam: a new parameter slot, its ?N appended to the text. */
static struct crm_param *newparam(struct crm_sql *q)
{
	struct crm_param *p;
	size_t cap;

	if (q->oom)
		return NULL;
	if (q->nparam == q->cap) {
		cap = q->cap ? q->cap * 2 : 8;
		if ((p = realloc(q->param, cap * sizeof(*p))) == NULL) {
			q->oom = 1;
			return NULL;
		}
		q->param = p;
		q->cap = cap;
	}
	p = &q->param[q->nparam++];
	memset(p, 0, sizeof(*p));
	if (crm_buf_addf(&q->text, "?%zu", q->nparam) == -1)
		q->oom = 1;
	return p;
}

int crm_sql_param_text(struct crm_sql *q, const char *s)
{
	struct crm_param *p = newparam(q);

	if (p == NULL)
		return -1;
	p->type = CRM_P_TEXT;
	if ((p->s = strdup(s)) == NULL) {
		q->oom = 1;
		return -1;
	}
	return 0;
}

int crm_sql_param_int(struct crm_sql *q, int64_t v)
{
	struct crm_param *p = newparam(q);

	if (p == NULL)
		return -1;
	p->type = CRM_P_INT;
	p->i = v;
	return 0;
}

int crm_sql_param_real(struct crm_sql *q, double v)
{
	struct crm_param *p = newparam(q);

	if (p == NULL)
		return -1;
	p->type = CRM_P_REAL;
	p->d = v;
	return 0;
}

/* add: append SQL text. */
static void add(struct crm_sql *q, const char *s)
{
	if (crm_buf_adds(&q->text, s) == -1)
		q->oom = 1;
}

/* ---- lexer ------------------------------------------------------------ */

enum tok { T_END, T_WORD, T_STRING, T_OP, T_LP, T_RP, T_COMMA, T_BAD };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_CONTAINS };
static const char *const opsql[] = { "=", "<>", "<", "<=", ">", ">=", "~" };

/* Lexing modes: a value may hold commas outside an in-list (12,50). */
enum { M_NORMAL, M_VALUE, M_LISTVALUE };

#define CONDS_MAX 250            /* conditions in one expression */
#define DEPTH_MAX 50             /* parentheses and "not" around one */

struct parser {
	const char *src, *p;
	struct crm_sql *q;
	int64_t now;
	char *err;
	size_t errlen;
	int failed;
	int depth;
	int conds;              /* conditions and list values so far */
	enum tok tok;           /* the current token */
	const char *start;      /* where it starts in src */
	enum op op;
	struct crm_buf val;     /* its text (word or unquoted string) */
};

/* column: the 1-based character column of position at in src. */
static int column(const char *src, const char *at)
{
	int col = 1;

	for (; src < at; src++)
		if (((unsigned char)*src & 0xc0) != 0x80)
			col++;
	return col;
}

/* fail: record the first error, at position at, with the expression and a
 * caret under the column. */
static int fail(struct parser *P, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parser *P, const char *at, const char *fmt, ...)
{
	char what[512], *shown, *s;
	va_list ap;
	int col;

	if (P->failed)
		return -1;
	P->failed = 1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	col = column(P->src, at);
	if ((shown = strdup(P->src)) != NULL)
		for (s = shown; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				*s = ' ';
	snprintf(P->err, P->errlen, "column %d: %s\n  %s\n  %*s^", col, what,
	    shown ? shown : P->src, col - 1, "");
	free(shown);
	return -1;
}

static int wordchar(int c, int mode)
{
	if (c == '\0' || isspace(c) || strchr("()\"'=!<>~", c))
		return 0;
	return c != ',' || mode == M_VALUE;
}

/* lex: read the next token in mode. */
static int lex(struct parser *P, int mode)
{
	const char *s = P->p;
	int quote;

	crm_buf_reset(&P->val);
	while (isspace((unsigned char)*s))
		s++;
	P->start = s;
	switch (*s) {
	case '\0':
		P->tok = T_END;
		P->p = s;
		return 0;
	case '(': P->tok = T_LP; P->p = s + 1; return 0;
	case ')': P->tok = T_RP; P->p = s + 1; return 0;
	case ',': if (mode != M_VALUE) {
			P->tok = T_COMMA; P->p = s + 1; return 0;
		}
		break;
	case '=':
		P->tok = T_OP; P->op = OP_EQ;
		P->p = s + (s[1] == '=' ? 2 : 1);
		return 0;
	case '!':
		if (s[1] != '=')
			return fail(P, s, "expected \"!=\"");
		P->tok = T_OP; P->op = OP_NE; P->p = s + 2;
		return 0;
	case '<':
		P->tok = T_OP;
		P->op = s[1] == '=' ? OP_LE : s[1] == '>' ? OP_NE : OP_LT;
		P->p = s + (P->op == OP_LT ? 1 : 2);
		return 0;
	case '>':
		P->tok = T_OP;
		P->op = s[1] == '=' ? OP_GE : OP_GT;
		P->p = s + (P->op == OP_GT ? 1 : 2);
		return 0;
	case '~': P->tok = T_OP; P->op = OP_CONTAINS; P->p = s + 1; return 0;
	case '"':
	case '\'':
		quote = *s++;
		for (; *s && *s != quote; s++) {
			if (*s == '\\' && (s[1] == quote || s[1] == '\\'))
				s++;
			crm_buf_addc(&P->val, *s);
		}
		if (*s != quote)
			return fail(P, P->start, "this string is not closed: "
			    "expected %c", quote);
		crm_buf_addc(&P->val, '\0');
		P->val.len--;
		P->tok = T_STRING;
		P->p = s + 1;
		return P->val.oom ? fail(P, P->start, "out of memory") : 0;
	}
	while (wordchar((unsigned char)*s, mode))
		s++;
	crm_buf_add(&P->val, P->start, (size_t)(s - P->start));
	P->tok = T_WORD;
	P->p = s;
	return P->val.oom ? fail(P, P->start, "out of memory") : 0;
}

/* is: the current token is the word kw (any case). */
static int is(struct parser *P, const char *kw)
{
	return P->tok == T_WORD && crm_streq_nocase(P->val.s, kw);
}

static int keyword(const char *s)
{
	return crm_streq_nocase(s, "and") || crm_streq_nocase(s, "or") ||
	    crm_streq_nocase(s, "not") || crm_streq_nocase(s, "in");
}

/* ---- fields and values -------------------------------------------------- */

/* lookup: the field called name, or NULL. attrs.X is handled by callers. */
static const struct field *lookup(const char *name)
{
	static const struct { const char *alias, *name; } alias[] = {
		{ "first", "first_name" }, { "last", "last_name" },
		{ "zip", "postal_code" }, { "postcode", "postal_code" },
		{ "preferred_channel", "channel" }, { "clv_cents", "clv" },
	};
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(name, alias[i].alias) == 0)
			name = alias[i].name;
	for (i = 0; i < NFIELDS; i++)
		if (strcmp(name, fields[i].name) == 0)
			return &fields[i];
	return NULL;
}

/* attr_key: 1 if s is a valid attrs key: letters, digits, _ and -. */
static int attr_key(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* A field as used in one comparison. */
struct ref {
	const struct field *f;  /* NULL for attrs.X */
	const char *key;        /* the X of attrs.X */
	enum crm_ftype type;
};

/* emit_field: the field's SQL; attrs as text (cast) or number. */
static void emit_field(struct crm_sql *q, const struct ref *r, int asnum)
{
	char buf[64];

	if (r->f == NULL) {
		add(q, "CAST(json_extract(c.attrs, ");
		/* The path is bound too: '$."key"'. */
		snprintf(buf, sizeof(buf), "$.\"%.50s\"", r->key);
		crm_sql_param_text(q, buf);
		add(q, asnum ? ") AS REAL)" : ") AS TEXT)");
		return;
	}
	q->needs |= r->f->needs;
	if (r->f->sql) {
		add(q, r->f->sql);
		return;
	}
	if ((r->f->needs & CRM_NEED_RFM) == 0) {
		crm_filter_stat(q, r->f->stat);
		return;
	}
	snprintf(buf, sizeof(buf), "crm_stat(c.id, %d)", r->f->stat);
	add(q, buf);
}

void crm_filter_stat(struct crm_sql *q, int k)
{
	/* The values crm_stat(c.id, k) gives (segment.c), from the columns of
	 * customer_stats: no row means no events, so counts are 0 and times
	 * NULL; aov rounded half away from zero as llround(). */
	static const char *const col[CRM_STAT_RECENCY] = {
		[CRM_STAT_ORDERS] = "coalesce(cs.orders, 0)",
		[CRM_STAT_SPEND] = "coalesce(cs.spend, 0)",
		[CRM_STAT_AOV] = "CASE WHEN cs.orders > 0 THEN"
		    " CAST(round(cs.spend * 1.0 / cs.orders) AS INTEGER) END",
		[CRM_STAT_FIRST_PURCHASE] = "cs.first_purchase",
		[CRM_STAT_LAST_PURCHASE] = "cs.last_purchase",
		[CRM_STAT_RETURNS] = "coalesce(cs.returns, 0)",
		[CRM_STAT_RETURN_RATE] = "CASE WHEN cs.orders > 0 THEN"
		    " cs.returns * 1.0 / cs.orders ELSE 0.0 END",
		[CRM_STAT_COMPLAINTS] = "coalesce(cs.complaints, 0)",
		[CRM_STAT_COMPLAINTS_OPEN] = "coalesce(cs.complaints_open, 0)",
		[CRM_STAT_SERVICE_OPEN] = "coalesce(cs.service_open, 0)",
		[CRM_STAT_CALLBACKS_OPEN] = "coalesce(cs.callbacks_open, 0)",
		[CRM_STAT_REVIEWS] = "coalesce(cs.reviews, 0)",
		[CRM_STAT_AVG_RATING] = "CASE WHEN cs.reviews > 0 THEN"
		    " cs.rating_sum * 1.0 / cs.reviews END",
		[CRM_STAT_CART_ABANDONED] = "coalesce(cs.cart_abandoned, 0)",
		[CRM_STAT_CAMPAIGNS_SENT] = "coalesce(cs.campaigns_sent, 0)",
		[CRM_STAT_CAMPAIGNS_ANSWERED] =
		    "coalesce(cs.campaigns_answered, 0)",
		[CRM_STAT_LAST_CONTACT] = "cs.last_contact",
	};
	char buf[64];

	q->needs |= CRM_NEED_STATS;
	if (q->stored && k >= 0 && k < CRM_STAT_RECENCY) {
		add(q, col[k]);
		return;
	}
	snprintf(buf, sizeof(buf), "crm_stat(c.id, %d)", k);
	add(q, buf);
}

/* number: s as a finite number. */
static int number(const char *s, double *d)
{
	char *end;

	if (*s == '\0')
		return -1;
	*d = strtod(s, &end);
	return *end == '\0' && isfinite(*d) ? 0 : -1;
}

static const char *type_name(enum crm_ftype t)
{
	switch (t) {
	case CRM_FT_TEXT: return "text";
	case CRM_FT_INT:
	case CRM_FT_REAL: return "a number";
	case CRM_FT_MONEY: return "an amount of money";
	case CRM_FT_DATE: return "a date";
	}
	return "?";
}

/* compare: one comparison "field op value" (value in P->val, at vat). */
static int compare(struct parser *P, const struct ref *r, enum op op,
    const char *fname, const char *vat)
{
	struct crm_sql *q = P->q;
	const char *v = P->val.s ? P->val.s : "", *why;
	int64_t t, end, cents;
	double d;
	int ne = op == OP_NE;

	if (op == OP_CONTAINS && r->type != CRM_FT_TEXT)
		return fail(P, vat, "~ (contains) works on text, and %s is %s",
		    fname, type_name(r->type));
	add(q, "coalesce(");
	switch (r->type) {
	case CRM_FT_TEXT:
		if (*v == '\0' && (op == OP_EQ || op == OP_NE)) {
			/* = "" means no value, != "" any value */
			add(q, "(");
			emit_field(q, r, 0);
			add(q, ne ? " IS NOT NULL AND " : " IS NULL OR ");
			emit_field(q, r, 0);
			add(q, ne ? " <> '')" : " = '')");
			break;
		}
		if (op == OP_CONTAINS) {
			add(q, "instr(lower(");
			emit_field(q, r, 0);
			add(q, "), lower(");
			crm_sql_param_text(q, v);
			add(q, ")) > 0");
			break;
		}
		if (r->f == NULL && op != OP_EQ && op != OP_NE &&
		    number(v, &d) == 0) {
			emit_field(q, r, 1);
			add(q, " "); add(q, opsql[op]); add(q, " ");
			crm_sql_param_real(q, d);
			break;
		}
		emit_field(q, r, 0);
		add(q, " "); add(q, opsql[op]); add(q, " ");
		crm_sql_param_text(q, v);
		if (op == OP_EQ || op == OP_NE)
			add(q, " COLLATE NOCASE");
		break;
	case CRM_FT_INT:
	case CRM_FT_REAL:
		if (number(v, &d) == -1)
			return fail(P, vat, "expected a number for %s, not "
			    "\"%s\"", fname, v);
		emit_field(q, r, 0);
		add(q, " "); add(q, opsql[op]); add(q, " ");
		if (d == floor(d) && fabs(d) < 9e15)
			crm_sql_param_int(q, (int64_t)d);
		else
			crm_sql_param_real(q, d);
		break;
	case CRM_FT_MONEY:
		if (crm_parse_money(v, 0, &cents, NULL, &why) == -1)
			return fail(P, vat, "invalid amount \"%s\" for %s: %s "
			    "(use 12.50, 12,50 or 1.234,56)", v, fname, why);
		emit_field(q, r, 0);
		add(q, " "); add(q, opsql[op]); add(q, " ");
		crm_sql_param_int(q, cents);
		break;
	case CRM_FT_DATE:
		if (crm_parse_date(v, NULL, P->now, &t, &why) == -1)
			return fail(P, vat, "invalid date \"%s\" for %s: %s (use "
			    "2026-11-20, 20.11.2026, today or -90d)", v, fname,
			    why);
		end = crm_day_end(t);
		if (end != t && (op == OP_EQ || op == OP_NE)) {
			/* a day: the whole day */
			add(q, ne ? "NOT (" : "(");
			emit_field(q, r, 0);
			add(q, " >= ");
			crm_sql_param_int(q, t);
			add(q, " AND ");
			emit_field(q, r, 0);
			add(q, " < ");
			crm_sql_param_int(q, end);
			add(q, ")");
			break;
		}
		emit_field(q, r, 0);
		switch (op) {
		case OP_LE: add(q, " < "); t = end; break;
		case OP_GT: add(q, " >= "); t = end; break;
		default: add(q, " "); add(q, opsql[op]); add(q, " "); break;
		}
		crm_sql_param_int(q, t);
		break;
	}
	add(q, ne ? ", 1)" : ", 0)");
	return 0;
}

/* value: read a value token (word or string) in mode; leaves it in P->val
 * and its position in *at. */
static int value(struct parser *P, int mode, const char *after,
    const char **at)
{
	if (lex(P, mode) == -1)
		return -1;
	*at = P->start;
	if (P->tok == T_STRING || (P->tok == T_WORD && !keyword(P->val.s)))
		return 0;
	return fail(P, P->start, "expected a value after %s", after);
}

/* channel_ok: 1 if s is a consent channel. */
static int channel_ok(const char *s)
{
	size_t i;

	for (i = 0; crm_consent_channels[i]; i++)
		if (strcmp(s, crm_consent_channels[i]) == 0)
			return 1;
	return 0;
}

/* reach: the condition that a customer can be reached on channel. */
static void reach(struct crm_sql *q, const char *channel)
{
	if (strcmp(channel, "post") == 0)
		add(q, "(coalesce(c.street, '') <> '' AND"
		    " coalesce(c.postal_code, '') <> '' AND"
		    " coalesce(c.city, '') <> '')");
	else if (strcmp(channel, "phone") == 0 || strcmp(channel, "sms") == 0)
		add(q, "coalesce(c.phone, '') <> ''");
	else
		add(q, "coalesce(c.email, '') <> ''");
}

/* consent: the condition that the latest consent for channel is granted. */
static void consent(struct crm_sql *q, const char *channel)
{
	add(q, "coalesce((SELECT k.granted FROM consents k WHERE"
	    " k.customer_id = c.id AND k.channel = ");
	crm_sql_param_text(q, channel);
	add(q, " ORDER BY k.at DESC, k.id DESC LIMIT 1), 0) = 1");
}

/* special: tag:X, consent:X, reachable:X (the word in P->val). */
static int special(struct parser *P, const char *kind, const char *at)
{
	const char *v, *vat;
	char *tag, *s;

	if (P->val.s[strlen(kind)] == '\0') {
		/* tag:"summer sale" */
		if (lex(P, M_NORMAL) == -1)
			return -1;
		if (P->tok != T_STRING)
			return fail(P, P->start, "expected a name after %s",
			    kind);
		v = P->val.s;
		vat = P->start;
	} else {
		v = P->val.s + strlen(kind);
		vat = at + strlen(kind);
	}
	if (strcmp(kind, "tag:") == 0) {
		if ((tag = strdup(v)) == NULL)
			return fail(P, at, "out of memory");
		for (s = tag; *s; s++)
			*s = (char)tolower((unsigned char)*s);
		s = crm_strtrim(tag);
		add(P->q, "EXISTS (SELECT 1 FROM tags t WHERE t.customer_id ="
		    " c.id AND t.tag = ");
		crm_sql_param_text(P->q, s);
		add(P->q, ")");
		free(tag);
	} else {
		if (!channel_ok(v))
			return fail(P, vat, "unknown channel \"%s\": expected "
			    "email, newsletter, post, phone or sms", v);
		add(P->q, "(");
		if (strcmp(kind, "consent:") == 0)
			consent(P->q, v);
		else
			reach(P->q, v);
		add(P->q, ")");
	}
	return lex(P, M_NORMAL);
}

/* atom: a comparison, an in-list, tag:X, consent:X or reachable:X. */
static int atom(struct parser *P)
{
	static const char *const specials[] = { "tag:", "consent:",
	    "reachable:", NULL };
	const char *at = P->start, *vat;
	char fname[128];
	struct ref r = { 0 };
	enum op op;
	size_t i;
	int neg = 0, n;

	if (P->tok != T_WORD || keyword(P->val.s))
		return fail(P, at, "expected a field, tag:, consent:, "
		    "reachable:, \"not\" or \"(\"");
	for (i = 0; specials[i]; i++)
		if (strncmp(P->val.s, specials[i], strlen(specials[i])) == 0)
			return special(P, specials[i], at);
	snprintf(fname, sizeof(fname), "%s", P->val.s);
	if (strncmp(fname, "attrs.", 6) == 0) {
		if (!attr_key(fname + 6))
			return fail(P, at + 6, "expected a key of letters, "
			    "digits, _ or - after \"attrs.\"");
		r.key = fname + 6;
		r.type = CRM_FT_TEXT;
	} else if ((r.f = lookup(fname)) == NULL) {
		return fail(P, at, "unknown field \"%s\"; the fields are listed "
		    "in crm-segment(1)", fname);
	} else {
		r.type = r.f->type;
	}
	if (lex(P, M_NORMAL) == -1)
		return -1;
	if (is(P, "not")) {
		neg = 1;
		if (lex(P, M_NORMAL) == -1)
			return -1;
		if (!is(P, "in"))
			return fail(P, P->start, "expected \"in\" after \"not\"");
	}
	if (is(P, "in")) {
		if (lex(P, M_NORMAL) == -1)
			return -1;
		if (P->tok != T_LP)
			return fail(P, P->start, "expected \"(\" after \"in\"");
		add(P->q, neg ? "NOT (" : "(");
		for (n = 0; ; n++) {
			if (++P->conds > CONDS_MAX)
				return fail(P, P->start, "too many conditions "
				    "(at most %d)", CONDS_MAX);
			if (value(P, M_LISTVALUE, n ? "\",\"" : "\"(\"", &vat) == -1)
				return -1;
			if (n)
				add(P->q, " OR ");
			if (compare(P, &r, OP_EQ, fname, vat) == -1 ||
			    lex(P, M_NORMAL) == -1)
				return -1;
			if (P->tok == T_RP)
				break;
			if (P->tok != T_COMMA)
				return fail(P, P->start, "expected \",\" or \")\" "
				    "in the list after \"in\"");
		}
		add(P->q, ")");
		return lex(P, M_NORMAL);
	}
	if (P->tok != T_OP)
		return fail(P, P->start, "expected an operator after \"%s\" "
		    "(= != < <= > >= ~ in)", fname);
	op = P->op;
	if (value(P, M_VALUE, op == OP_CONTAINS ? "\"~\"" :
	    op == OP_EQ ? "\"=\"" : op == OP_NE ? "\"!=\"" :
	    op == OP_LT ? "\"<\"" : op == OP_LE ? "\"<=\"" :
	    op == OP_GT ? "\">\"" : "\">=\"", &vat) == -1)
		return -1;
	if (compare(P, &r, op, fname, vat) == -1)
		return -1;
	return lex(P, M_NORMAL);
}

static int expr_or(struct parser *P);

/* unary: "not" unary | "(" or ")" | atom */
static int unary(struct parser *P)
{
	int rc;

	/* SQLite's parser stack holds about 80 open parentheses. */
	if (++P->depth > DEPTH_MAX)
		return fail(P, P->start, "too deeply nested (at most %d)",
		    DEPTH_MAX);
	if (is(P, "not")) {
		add(P->q, "NOT ");
		rc = lex(P, M_NORMAL) == -1 ? -1 : unary(P);
	} else if (P->tok == T_LP) {
		add(P->q, "(");
		if ((rc = lex(P, M_NORMAL)) == 0 && (rc = expr_or(P)) == 0) {
			if (P->tok != T_RP)
				rc = fail(P, P->start, "expected \")\" or "
				    "\"and\"/\"or\"");
			else {
				add(P->q, ")");
				rc = lex(P, M_NORMAL);
			}
		}
	} else if (++P->conds > CONDS_MAX) {
		/* SQLite refuses expression trees deeper than 1000, and a
		 * chain of "or" is as deep as it is long. */
		rc = fail(P, P->start, "too many conditions (at most %d)",
		    CONDS_MAX);
	} else {
		rc = atom(P);
	}
	P->depth--;
	return rc;
}

static int expr_and(struct parser *P)
{
	if (unary(P) == -1)
		return -1;
	while (is(P, "and")) {
		add(P->q, " AND ");
		if (lex(P, M_NORMAL) == -1 || unary(P) == -1)
			return -1;
	}
	return 0;
}

static int expr_or(struct parser *P)
{
	if (expr_and(P) == -1)
		return -1;
	while (is(P, "or")) {
		add(P->q, " OR ");
		if (lex(P, M_NORMAL) == -1 || expr_and(P) == -1)
			return -1;
	}
	return 0;
}

int crm_filter_compile(struct crm_sql *q, const char *expr, int64_t now,
    char *err, size_t errlen)
{
	struct parser P;
	size_t len = q->text.len, np = q->nparam, i;
	int rc;

	memset(&P, 0, sizeof(P));
	P.src = P.p = expr;
	P.q = q;
	P.now = now;
	P.err = err;
	P.errlen = errlen;
	add(q, "(");
	if ((rc = lex(&P, M_NORMAL)) == 0) {
		if (P.tok == T_END)
			rc = fail(&P, P.start, "expected a condition, such as "
			    "orders >= 3");
		else if ((rc = expr_or(&P)) == 0 && P.tok != T_END)
			rc = fail(&P, P.start, "expected \"and\", \"or\" or the "
			    "end, not \"%.40s\"", P.start);
	}
	add(q, ")");
	crm_buf_free(&P.val);
	if (rc == 0 && q->oom)
		rc = fail(&P, expr, "out of memory");
	if (rc == -1) {
		/* leave q as it was */
		q->text.len = len;
		if (q->text.s)
			q->text.s[len] = '\0';
		for (i = np; i < q->nparam; i++)
			free(q->param[i].s);
		q->nparam = np;
	}
	return rc;
}

int crm_filter_column(struct crm_sql *q, const char *name,
    enum crm_ftype *type, char *err, size_t errlen)
{
	struct ref r = { 0 };

	if (strncmp(name, "attrs.", 6) == 0 && attr_key(name + 6)) {
		r.key = name + 6;
		r.type = CRM_FT_TEXT;
	} else if ((r.f = lookup(name)) == NULL) {
		snprintf(err, errlen, "unknown column \"%s\"; the fields are "
		    "listed in crm-segment(1)", name);
		return -1;
	} else {
		r.type = r.f->type;
	}
	if (r.f == NULL) {
		/* the value as stored, not cast */
		char path[64];

		snprintf(path, sizeof(path), "$.\"%.50s\"", r.key);
		add(q, "json_extract(c.attrs, ");
		crm_sql_param_text(q, path);
		add(q, ")");
	} else {
		emit_field(q, &r, 0);
	}
	*type = r.type;
	if (q->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int crm_filter_channel(struct crm_sql *q, const char *channel, char *err,
    size_t errlen)
{
	if (!channel_ok(channel)) {
		snprintf(err, errlen, "unknown channel \"%s\": email, "
		    "newsletter, post, phone or sms", channel);
		return -1;
	}
	add(q, "(");
	consent(q, channel);
	add(q, " AND ");
	reach(q, channel);
	add(q, ")");
	return 0;
}
