/* filter.h: the segment expression language ("orders >= 3 and city = Berlin
 * and not tag:vip"), compiled to an SQL condition with bound parameters. */
#ifndef CRM_FILTER_H
#define CRM_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* What a field holds, which decides how values are read and printed. */
enum crm_ftype {
	CRM_FT_TEXT,
	CRM_FT_INT,
	CRM_FT_REAL,
	CRM_FT_MONEY,       /* integer cents */
	CRM_FT_DATE         /* Unix seconds */
};

/* What the compiled SQL needs besides the customers table "c". */
#define CRM_NEED_STATS 0x1  /* the function crm_stat(c.id, k) (crm_stats) */
#define CRM_NEED_PRED  0x2  /* the predictions table */
#define CRM_NEED_RFM   0x4  /* RFM scores among the stats */

/* A parameter of the compiled SQL, bound in order (?1, ?2, ...). */
struct crm_param {
	enum { CRM_P_INT, CRM_P_REAL, CRM_P_TEXT } type;
	int64_t i;
	double d;
	char *s;            /* owned */
};

/*
 * SQL text under construction and its parameters. Zero-initialise it; the
 * text refers to its parameters as ?N, N counted from 1 in the order they
 * were added. Free with crm_sql_free().
 */
struct crm_sql {
	struct crm_buf text;
	struct crm_param *param;
	size_t nparam, cap;
	unsigned needs;     /* CRM_NEED_* */
	int stored;         /* set before compiling: aggregates (not RFM)
	                     * from the table customer_stats as "cs" (joined
	                     * by the caller) instead of crm_stat(c.id, k) */
	int oom;
};

/* crm_sql_free: free text and parameters, leaving q empty. */
void crm_sql_free(struct crm_sql *q);

/* crm_sql_param_text / _int / _real: add a parameter and append its ?N to
 * the text. Return 0, or -1 when out of memory (q->oom set). */
int crm_sql_param_text(struct crm_sql *q, const char *s);
int crm_sql_param_int(struct crm_sql *q, int64_t v);
int crm_sql_param_real(struct crm_sql *q, double v);

/*
 * crm_filter_compile: compile expr into an SQL condition appended to q's
 * text (in parentheses), over the customers table as "c". Dates in the
 * expression are read relative to now (crm_now() or an as-of time).
 * Returns 0, or -1 with a message in err (errlen bytes) that names what was
 * expected and shows the expression with a '^' under the column where the
 * problem is: "column 17: expected a value after \"<\"\n  orders <\n ...".
 * The structure of the SQL depends on the expression's fields and
 * operators only; every value from the expression is a parameter.
 */
int crm_filter_compile(struct crm_sql *q, const char *expr, int64_t now,
    char *err, size_t errlen);

/*
 * crm_filter_column: append the SQL expression of the field name (as in
 * the language: "ref", "spend", "attrs.size", "segment" ...) to q's text
 * and set *type. Returns 0, or -1 with a message in err (unknown field).
 */
int crm_filter_column(struct crm_sql *q, const char *name,
    enum crm_ftype *type, char *err, size_t errlen);

/*
 * crm_filter_channel: append the condition "consented to channel and can
 * be reached on it" (email, newsletter: an email address; post: street,
 * postal code and city; phone, sms: a phone number). Returns 0, or -1 with
 * a message in err for an unknown channel.
 */
int crm_filter_channel(struct crm_sql *q, const char *channel, char *err,
    size_t errlen);

/* crm_filter_stat: append the SQL of aggregate k (enum crm_stat_id, not
 * an RFM one) for customer c: crm_stat(c.id, k), or with q->stored the
 * same value from customer_stats "cs". */
void crm_filter_stat(struct crm_sql *q, int k);

/* crm_filter_fields: the field names, NULL-terminated, for messages and
 * documentation. Static. */
const char *const *crm_filter_fields(void);

#endif
