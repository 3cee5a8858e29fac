/* find.c: crm-find's search: one SQL query of prefix ranges over the
 * search keys (findkeys.c) and over the indexes of ref and email, then a
 * ranking in C. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "customer.h"
#include "find.h"
#include "fold.h"
#include "util.h"
#include "value.h"

/* The largest code point: a range [p, p MAXCHAR) holds every key that
 * starts with p (keys hold letters and digits, never U+10FFFF). */
#define MAXCHAR "\xf4\x8f\xbf\xbf"

/* The fields whose words are keys (findkeys.c), in the order of enum nf. */
enum nf { NF_FIRST, NF_LAST, NF_COMPANY, NF_CITY, NF_MAX };

/* row_customer: the fields of the current row of a SELECT id, first_name,
 * last_name, company, city, phone, email, ref into c (borrowed). */
static void row_customer(sqlite3_stmt *st, struct crm_customer *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->first_name = (char *)sqlite3_column_text(st, 1);
	c->last_name = (char *)sqlite3_column_text(st, 2);
	c->company = (char *)sqlite3_column_text(st, 3);
	c->city = (char *)sqlite3_column_text(st, 4);
	c->phone = (char *)sqlite3_column_text(st, 5);
	c->email = (char *)sqlite3_column_text(st, 6);
	c->ref = (char *)sqlite3_column_text(st, 7);
}

#define CUSTOMER_FIELDS "id, first_name, last_name, company, city, phone," \
	" email, ref"

int crm_find_phone(struct crm_db *db, const char *text, int64_t *id)
{
	char norm[CRM_PHONEBUF];
	const char *why;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (crm_parse_phone(text, NULL, norm, sizeof(norm), &why) == -1) {
		crm__error(db, CRM_ENOUSER, "no customer \"%s\"", text);
		return 0;
	}
	if ((st = crm__prepare(db, "SELECT id FROM customers WHERE phone = ?1"
	    " AND erased_at IS NULL ORDER BY id LIMIT 2")) == NULL)
		return -1;
	crm__bind_text(st, 1, norm);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ == 0)
			*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot look up customer");
	if (n == 1)
		return 1;
	if (n == 0)
		crm__error(db, CRM_ENOUSER, "no customer with phone %s", norm);
	else
		crm__error(db, CRM_EDATA, "several customers have phone %s",
		    norm);
	return 0;
}

/* ---- searching -------------------------------------------------------- */

/* One word of the search. */
struct word {
	char *text;             /* as typed */
	char lower[256];        /* ASCII lower-cased, for email */
	char upper[256];        /* ASCII upper-cased, for refs */
	struct crm_fold *part;  /* its folded words */
	size_t nparts;
	char phone[CRM_PHONEBUF + 1];  /* phone key, "" if not a number */
	int64_t count;          /* customers it matches alone */
};

/* A query under construction: SQL text and its parameters. */
struct q {
	struct crm_buf sql;
	char **param;
	size_t nparam, cap;
	int oom;
};

/* param: append "?N" for a copy of s, or s followed by MAXCHAR when
 * upper is set (the end of a prefix range). */
static void param(struct q *q, const char *s, int upper)
{
	char **p, *copy;

	if (q->nparam == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		if ((p = realloc(q->param, q->cap * sizeof(*p))) == NULL) {
			q->oom = 1;
			return;
		}
		q->param = p;
	}
	if (asprintf(&copy, "%s%s", s, upper ? MAXCHAR : "") < 0) {
		q->oom = 1;
		return;
	}
	q->param[q->nparam++] = copy;
	crm_buf_addf(&q->sql, "?%zu", q->nparam);
}

/* range: "col >= ?a AND col < ?b", the prefix range of s. */
static void range(struct q *q, const char *col, const char *s)
{
	crm_buf_addf(&q->sql, "%s >= ", col);
	param(q, s, 0);
	crm_buf_addf(&q->sql, " AND %s < ", col);
	param(q, s, 1);
}

/* keys: the customers with a key starting with either spelling of w. */
static void keys(struct q *q, const struct crm_fold *w)
{
	crm_buf_adds(&q->sql, "SELECT customer_id FROM find_keys WHERE ");
	range(q, "key", w->base);
	if (strcmp(w->german, w->base) != 0) {
		crm_buf_adds(&q->sql, " UNION SELECT customer_id FROM find_keys"
		    " WHERE ");
		range(q, "key", w->german);
	}
}

/* like_escape: s for LIKE ... ESCAPE '\': % _ \ escaped. */
static char *like_escape(const char *s)
{
	struct crm_buf b = {0};

	crm_buf_addc(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			crm_buf_addc(&b, '\\');
		crm_buf_addc(&b, *s);
	}
	crm_buf_addc(&b, '%');
	return crm_buf_take(&b);
}

/* word_set: a compound SELECT of one column, id: the customers word w
 * matches. */
static void word_set(struct q *q, const struct word *w)
{
	size_t i;
	char *like;

	/* names: every folded part the start of a key; the customers of
	 * the longest part (the rarest, as a rule: "k4242" of "k4242.l")
	 * are read, the others looked up in ('+' keeps SQLite from reading
	 * every "l" through the index instead) */
	if (w->nparts > 0) {
		size_t longest = 0, more = 0;
		for (i = 1; i < w->nparts; i++)
			if (strlen(w->part[i].base) >
			    strlen(w->part[longest].base))
				longest = i;
		crm_buf_adds(&q->sql, "SELECT customer_id AS id FROM (");
		keys(q, &w->part[longest]);
		crm_buf_adds(&q->sql, ") n0");
		for (i = 0; i < w->nparts; i++) {
			if (i == longest)
				continue;
			crm_buf_adds(&q->sql, more++ ? " AND" : " WHERE");
			crm_buf_adds(&q->sql, " +customer_id IN (");
			keys(q, &w->part[i]);
			crm_buf_addc(&q->sql, ')');
		}
		crm_buf_adds(&q->sql, " UNION ");
	}
	/* the start of a ref, as typed or in capitals */
	crm_buf_adds(&q->sql, "SELECT id FROM customers WHERE ");
	range(q, "ref", w->text);
	if (strcmp(w->upper, w->text) != 0) {
		crm_buf_adds(&q->sql, " UNION SELECT id FROM customers WHERE ");
		range(q, "ref", w->upper);
	}
	/* the start of an email address, or a part of its domain */
	if (w->lower[0] == '@') {
		if ((like = like_escape(w->lower)) == NULL) {
			q->oom = 1;
			return;
		}
		crm_buf_adds(&q->sql, " UNION SELECT id FROM customers WHERE"
		    " email LIKE ");
		param(q, like, 0);
		crm_buf_adds(&q->sql, " ESCAPE '\\'");
		free(like);
	} else {
		crm_buf_adds(&q->sql, " UNION SELECT id FROM customers WHERE ");
		range(q, "email", w->lower);
	}
	/* the last digits of a phone number */
	if (w->phone[0]) {
		crm_buf_adds(&q->sql, " UNION SELECT customer_id FROM find_keys"
		    " WHERE ");
		range(q, "key", w->phone);
	}
}

/* q_free: free what q holds. */
static void q_free(struct q *q)
{
	size_t i;

	for (i = 0; i < q->nparam; i++)
		free(q->param[i]);
	free(q->param);
	crm_buf_free(&q->sql);
	memset(q, 0, sizeof(*q));
}

/* q_prepare: q's statement with its parameters bound, or NULL. */
static sqlite3_stmt *q_prepare(struct crm_db *db, struct q *q)
{
	sqlite3_stmt *st;
	size_t i;

	if (q->oom || q->sql.oom) {
		crm__error(db, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if ((st = crm__prepare(db, q->sql.s)) == NULL)
		return NULL;
	for (i = 0; i < q->nparam; i++)
		crm__bind_text(st, (int)i + 1, q->param[i]);
	return st;
}

/* count_words: how many customers each word matches alone, into
 * w[i].count, so that the query starts from the rarest (SQLite cannot
 * tell: it would fetch every Anna to find one Anna Mardingber). The
 * count reads only index entries. 0 or -1. */
static int count_words(struct crm_db *db, struct word *w, size_t nw)
{
	struct q q = {0};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < nw; i++) {
		crm_buf_adds(&q.sql, "SELECT count(*) FROM (");
		word_set(&q, &w[i]);
		crm_buf_adds(&q.sql, ") s");
		if ((st = q_prepare(db, &q)) == NULL) {
			q_free(&q);
			return -1;
		}
		rc = sqlite3_step(st);
		w[i].count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		q_free(&q);
		if (rc != SQLITE_ROW)
			return crm__sqlerr(db, "cannot search customers");
	}
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct word *x = a, *y = b;

	return (x->count > y->count) - (x->count < y->count);
}

/* is_phone: s has only phone characters and at least one digit. */
static int is_phone(const char *s)
{
	int digit = 0;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digit = 1;
		else if (!strchr("+/-().", *s))
			return 0;
	}
	return digit;
}

/* add_part: crm_fold_each's callback collecting a word's parts. */
static int add_part(void *arg, const struct crm_fold *f)
{
	struct word *w = arg;
	struct crm_fold *p;

	if ((p = realloc(w->part, (w->nparts + 1) * sizeof(*p))) == NULL)
		return -1;
	w->part = p;
	w->part[w->nparts++] = *f;
	return 0;
}

/* make_word: fill w from text (which it takes). 0 or -1. */
static int make_word(struct crm_db *db, struct word *w, char *text)
{
	char norm[CRM_PHONEBUF];
	const char *why;
	size_t i, n = 0;

	w->text = text;
	for (i = 0; text[i] && i < sizeof(w->lower) - 1; i++) {
		w->lower[i] = (char)tolower((unsigned char)text[i]);
		w->upper[i] = (char)toupper((unsigned char)text[i]);
	}
	if (crm_fold_each(text, add_part, w) == -1) {
		if (errno == EILSEQ)
			return crm__error(db, CRM_EDATA, "not UTF-8: \"%s\"",
			    text);
		return crm__error(db, CRM_EFAIL, "out of memory");
	}
	for (i = 0; text[i]; i++)
		n += isdigit((unsigned char)text[i]) != 0;
	if (n >= 4 && is_phone(text)) {
		/* "030/1234567" is +49301234567: the whole number */
		crm__find_phone_key(crm_parse_phone(text, NULL, norm, sizeof(norm),
		    &why) == 0 ? norm : text, w->phone);
	}
	return 0;
}

/* split: the words of args: white space separates them, and adjacent
 * ones of phone characters are one ("030 1234567"). Returns the number of
 * words in *words (caller frees them and their texts), or -1. */
static long split(struct crm_db *db, char *const *args, size_t nargs,
    struct word **words)
{
	struct word *w = NULL, *t;
	struct crm_buf tok = {0};
	const char *p, *e;
	size_t n = 0, a;
	int prev_phone = 0, ph;

	for (a = 0; a < nargs; a++) {
		for (p = args[a]; *p; p = e) {
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				p++;
			if (*p == '\0')
				break;
			e = p + strcspn(p, " \t\n\r");
			crm_buf_reset(&tok);
			crm_buf_add(&tok, p, (size_t)(e - p));
			crm_buf_addc(&tok, '\0');
			if (tok.oom)
				goto oom;
			ph = is_phone(tok.s);
			if (ph && prev_phone) {
				/* glue it to the previous word */
				char *g;
				if (asprintf(&g, "%s%s", w[n - 1].text, tok.s) < 0)
					goto oom;
				free(w[n - 1].text);
				w[n - 1].text = g;
				continue;
			}
			prev_phone = ph;
			if ((t = realloc(w, (n + 1) * sizeof(*w))) == NULL)
				goto oom;
			w = t;
			memset(&w[n], 0, sizeof(w[n]));
			if ((w[n++].text = strdup(tok.s)) == NULL)
				goto oom;
		}
	}
	crm_buf_free(&tok);
	*words = w;
	return (long)n;
oom:
	crm_buf_free(&tok);
	for (a = 0; a < n; a++)
		free(w[a].text);
	free(w);
	return crm__error(db, CRM_EFAIL, "out of memory");
}

/* A customer found, for ranking. */
struct hit {
	int64_t id;
	long score;
	char *name;             /* folded last and first name, for ties */
};

/* The folded words of a candidate's fields. */
struct cand {
	struct crm_fold *w[NF_MAX];
	size_t n[NF_MAX];
	struct crm_fold *cur;   /* for collect */
	size_t ncur;
};

static int collect(void *arg, const struct crm_fold *f)
{
	struct cand *c = arg;
	struct crm_fold *p;

	if ((p = realloc(c->cur, (c->ncur + 1) * sizeof(*p))) == NULL)
		return -1;
	c->cur = p;
	c->cur[c->ncur++] = *f;
	return 0;
}

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* part_score: how well the folded query word q matches a word of the
 * candidate's names: a whole word twice the start of one, weighted by
 * the field, and 5 more for the spelling as typed. */
static long part_score(const struct crm_fold *q, const struct cand *c)
{
	static const long weight[NF_MAX] = { 25, 30, 20, 10 };
	const struct crm_fold *w;
	long best = 0, s;
	size_t f, i;

	for (f = 0; f < NF_MAX; f++) {
		for (i = 0; i < c->n[f]; i++) {
			w = &c->w[f][i];
			s = 0;
			if (strcmp(w->base, q->base) == 0 ||
			    strcmp(w->german, q->base) == 0 ||
			    strcmp(w->base, q->german) == 0 ||
			    strcmp(w->german, q->german) == 0)
				s = 2 * weight[f] + (strcmp(w->exact,
				    q->exact) == 0 ? 5 : 0);
			else if (starts(w->base, q->base) ||
			    starts(w->german, q->base) ||
			    starts(w->base, q->german) ||
			    starts(w->german, q->german))
				s = weight[f] + (starts(w->exact, q->exact) ?
				    5 : 0);
			if (s > best)
				best = s;
		}
	}
	return best;
}

/* word_score: how well word w matches the candidate (row: the fields). */
static long word_score(const struct word *w, const struct cand *c,
    const struct crm_customer *row)
{
	char pk[CRM_PHONEBUF + 1];
	long best = 0, s = 0, p;
	size_t i;

	for (i = 0; i < w->nparts; i++) {
		if ((p = part_score(&w->part[i], c)) == 0) {
			s = 0;
			break;
		}
		s += p;
	}
	best = s;
	if (row->ref && (crm_streq_nocase(row->ref, w->text)))
		best = best > 100 ? best : 100;
	else if (row->ref && (starts(row->ref, w->text) ||
	    starts(row->ref, w->upper)))
		best = best > 40 ? best : 40;
	if (row->email && strcmp(row->email, w->lower) == 0)
		best = best > 90 ? best : 90;
	else if (row->email && w->lower[0] != '@' &&
	    starts(row->email, w->lower))
		best = best > 40 ? best : 40;
	else if (row->email && w->lower[0] == '@' &&
	    strstr(row->email, w->lower))
		best = best > 10 ? best : 10;
	if (w->phone[0] && row->phone) {
		crm__find_phone_key(row->phone, pk);
		if (strcmp(pk, w->phone) == 0)
			best = best > 90 ? best : 90;
		else if (starts(pk, w->phone))
			best = best > 50 ? best : 50;
	}
	return best;
}

static int by_rank(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int c;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* rank: score the candidate in the current row of st into h. 0 or -1. */
static int rank(sqlite3_stmt *st, const struct word *w, size_t nw,
    struct hit *h)
{
	struct crm_customer row;
	struct crm_buf name = {0};
	struct cand c;
	const char *f[NF_MAX];
	size_t i, k;
	int rc = 0;

	row_customer(st, &row);
	f[NF_FIRST] = row.first_name;
	f[NF_LAST] = row.last_name;
	f[NF_COMPANY] = row.company;
	f[NF_CITY] = row.city;
	memset(&c, 0, sizeof(c));
	for (i = 0; i < NF_MAX && rc == 0; i++) {
		c.cur = NULL;
		c.ncur = 0;
		if (f[i] && crm_fold_each(f[i], collect, &c) == -1 &&
		    errno == ENOMEM)
			rc = -1;
		c.w[i] = c.cur;
		c.n[i] = c.ncur;
	}
	h->id = row.id;
	h->score = 0;
	for (i = 0; i < nw && rc == 0; i++)
		h->score += word_score(&w[i], &c, &row);
	/* ties: by last name, first name, then company */
	for (k = 0; k < 3; k++) {
		size_t fi = k == 0 ? NF_LAST : k == 1 ? NF_FIRST : NF_COMPANY;
		for (i = 0; i < c.n[fi]; i++) {
			crm_buf_adds(&name, c.w[fi][i].base);
			crm_buf_addc(&name, ' ');
		}
		crm_buf_addc(&name, '\x01');
	}
	for (i = 0; i < NF_MAX; i++)
		free(c.w[i]);
	if ((h->name = crm_buf_take(&name)) == NULL)
		rc = -1;
	return rc;
}

/* words_free: free n words. */
static void words_free(struct word *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(w[i].text);
		free(w[i].part);
	}
	free(w);
}

int crm_find(struct crm_db *db, char *const *args, size_t nargs,
    size_t limit, int64_t **ids, size_t *n)
{
	struct word *w = NULL;
	struct hit *hit = NULL, *t;
	struct q q = {0};
	sqlite3_stmt *st = NULL;
	size_t i, nhit = 0, nall = 0, cap = 0;
	long nw;
	int rc = -1, r;

	*ids = NULL;
	*n = 0;
	if ((nw = split(db, args, nargs, &w)) < 0)
		return -1;
	if (nw == 0) {
		crm__error(db, CRM_EUSAGE, "nothing to find: give a name, "
		    "a phone number, an email address or a ref");
		goto out;
	}
	for (i = 0; i < (size_t)nw; i++)
		if (make_word(db, &w[i], w[i].text) == -1)
			goto out;
	/* the rarest word first: its customers are read, the others'
	 * are only looked up in */
	if (nw > 1) {
		if (count_words(db, w, (size_t)nw) == -1)
			goto out;
		qsort(w, (size_t)nw, sizeof(*w), by_count);
	}
	crm_buf_adds(&q.sql, "SELECT " CUSTOMER_FIELDS " FROM customers"
	    " WHERE erased_at IS NULL AND id IN (SELECT id FROM (");
	word_set(&q, &w[0]);
	crm_buf_adds(&q.sql, ") w0");
	for (i = 1; i < (size_t)nw; i++) {
		crm_buf_adds(&q.sql, i == 1 ? " WHERE id IN (" :
		    " AND id IN (");
		word_set(&q, &w[i]);
		crm_buf_addc(&q.sql, ')');
	}
	crm_buf_addc(&q.sql, ')');
	if ((st = q_prepare(db, &q)) == NULL)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (nhit == cap) {
			cap = cap ? cap * 2 : 64;
			if ((t = realloc(hit, cap * sizeof(*hit))) == NULL) {
				crm__error(db, CRM_EFAIL, "out of memory");
				goto out;
			}
			hit = t;
		}
		if (rank(st, w, (size_t)nw, &hit[nhit]) == -1) {
			crm__error(db, CRM_EFAIL, "out of memory");
			goto out;
		}
		nall = ++nhit;
	}
	if (r != SQLITE_DONE) {
		crm__sqlerr(db, "cannot search customers");
		goto out;
	}
	if (nhit > 1)
		qsort(hit, nhit, sizeof(*hit), by_rank);
	if (limit > 0 && nhit > limit)
		nhit = limit;
	if (nhit && (*ids = malloc(nhit * sizeof(**ids))) == NULL) {
		crm__error(db, CRM_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < nhit; i++)
		(*ids)[i] = hit[i].id;
	*n = nhit;
	rc = 0;
out:
	for (i = 0; i < nall; i++)
		free(hit[i].name);
	free(hit);
	sqlite3_finalize(st);
	q_free(&q);
	words_free(w, nw > 0 ? (size_t)nw : 0);
	return rc;
}
