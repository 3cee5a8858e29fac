/* custlist.c: the customer-key reader (custlist.h): the one way every
 * command reads the customers a CSV or TSV file names. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "csv.h"
#include "custlist.h"
#include "customer.h"
#include "util.h"

/* The customers remembered by key, so that a list naming the same
 * customers again and again looks each up once (bounded memory). */
#define KEYCACHE_MAX (1u << 20)

struct crm_custlist {
	struct crm_db *db;
	struct crm_csv *csv;
	struct crm_keycache *kc;
	struct crm_buf key;     /* "#" and the id, for an id column */
	int col;                /* the key column, -1 before the header */
	int isid;
	int failed;
};

/* The key columns, most preferred first; customer_id before ref because
 * an event's ref is its order, ticket or campaign, not a customer. */
static const char *const key_columns[] = { "id", "customer_id", "ref",
	"email" };

struct crm_custlist *crm_custlist_open(struct crm_db *db, FILE *fp,
    const char *name)
{
	struct crm_custlist *l;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->csv = crm_csv_open(fp, name, 0)) == NULL ||
	    (l->kc = crm_keycache_new(KEYCACHE_MAX)) == NULL) {
		crm_custlist_close(l);
		crm__error(db, CRM_EFAIL, "out of memory");
		return NULL;
	}
	l->db = db;
	l->col = -1;
	return l;
}

/* fail: the list is done; the message is on the handle already. */
static int fail(struct crm_custlist *l)
{
	l->failed = 1;
	return -1;
}

/* header: read the header and find the key column. 0 or -1. */
static int header(struct crm_custlist *l)
{
	char **f;
	size_t nf, i;
	int rc;

	if ((rc = crm_csv_read(l->csv, &f, &nf)) != 1) {
		if (rc == -1)
			crm__error(l->db, CRM_EDATA, "%s",
			    crm_csv_errmsg(l->csv));
		else
			crm__error(l->db, CRM_EDATA, "%s: no header: customers "
			    "need a header with id, customer_id, ref or email",
			    crm_csv_name(l->csv));
		return fail(l);
	}
	for (i = 0; i < sizeof(key_columns) / sizeof(key_columns[0]); i++)
		if ((l->col = crm_csv_column(f, nf, key_columns[i])) >= 0)
			break;
	if (l->col < 0) {
		crm__error(l->db, CRM_EDATA, "%s:%ld: the header names no id, "
		    "customer_id, ref or email column", crm_csv_name(l->csv),
		    crm_csv_line(l->csv));
		return fail(l);
	}
	l->isid = i < 2;
	return 0;
}

int crm_custlist_next(struct crm_custlist *l, int64_t *id)
{
	char **f, why[sizeof(l->db->msg)];
	const char *k;
	size_t nf;
	int rc;

	if (l->failed)
		return -1;
	if (l->col < 0 && header(l) == -1)
		return -1;
	if ((rc = crm_csv_read(l->csv, &f, &nf)) != 1) {
		if (rc == 0)
			return 0;
		crm__error(l->db, CRM_EDATA, "%s", crm_csv_errmsg(l->csv));
		return fail(l);
	}
	if ((size_t)l->col >= nf || *(k = crm_strtrim(f[l->col])) == '\0') {
		crm__error(l->db, CRM_EDATA, "%s:%ld: no customer in this row",
		    crm_csv_name(l->csv), crm_csv_line(l->csv));
		return fail(l);
	}
	if (l->isid) {
		crm_buf_reset(&l->key);
		crm_buf_addc(&l->key, '#');
		crm_buf_adds(&l->key, k);
		if (l->key.oom) {
			crm__error(l->db, CRM_EFAIL, "out of memory");
			return fail(l);
		}
		k = l->key.s;
	}
	if (crm_customer_resolve_cached(l->db, l->kc, k, id) != 1) {
		snprintf(why, sizeof(why), "%s", crm_errmsg(l->db));
		crm__error(l->db, crm_errcode(l->db), "%s:%ld: %s",
		    crm_csv_name(l->csv), crm_csv_line(l->csv), why);
		return fail(l);
	}
	return 1;
}

long crm_custlist_line(const struct crm_custlist *l)
{
	return crm_csv_line(l->csv);
}

const char *crm_custlist_name(const struct crm_custlist *l)
{
	return crm_csv_name(l->csv);
}

void crm_custlist_close(struct crm_custlist *l)
{
	if (l == NULL)
		return;
	crm_csv_close(l->csv);
	crm_keycache_free(l->kc);
	crm_buf_free(&l->key);
	free(l);
}
