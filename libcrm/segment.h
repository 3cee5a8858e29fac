/* segment.h: who is in a group: customers selected by RFM, by filter
 * expressions, by consent and reachability, and saved named segments. */
#ifndef CRM_SEGMENT_H
#define CRM_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rfm.h"

struct crm_db;
struct crm_out;

/* What to select. Zero-initialise, then set what is wanted. */
struct crm_segq {
	const char *where;      /* an expression (filter.h), or NULL */
	const char *name;       /* a saved segment, or NULL */
	const char *channel;    /* --for: email newsletter post phone sms */
	const char *columns;    /* "ref,email,spend", NULL: the defaults */
	int rfm;                /* only customers with purchases, RFM columns */
	enum crm_rfm_scheme scheme;
	int64_t as_of;          /* the present (crm_now()) or a past time */
	int count;              /* one row per segment: customers and spend */
	const int64_t *ids;     /* only these customers, in this order */
	size_t nids;
};

/*
 * crm_segment_run: select the customers q describes and write them to out
 * (header and rows; the caller ends out): never erased customers; with
 * rfm only those with purchases; with ids only those (the customers from
 * standard input), in their order, else in id order. The default columns
 * are id, ref, names, company and contact, or with rfm id, ref, names,
 * email, recency, frequency, monetary, r, f, m, rfm and segment; columns
 * may name any field of the expression language. With count: one row for
 * each RFM segment (rfm) or one for the selection, with the number of
 * customers and their spend.
 * Returns 0, or -1 with a message on db: CRM_EDATA for an invalid
 * expression (with the expression and a caret under the column), an
 * unknown column, channel or segment; CRM_EIO when writing fails.
 */
int crm_segment_run(struct crm_db *db, const struct crm_segq *q,
    struct crm_out *out);

/*
 * crm_segment_read: the customers named in the CSV/TSV fp (name for
 * messages, "-" for standard input), read by the customer-key reader
 * (custlist.h: an id, customer_id, ref or email column), as ids in a new
 * array (*ids, caller frees) of *n entries in file order, duplicates
 * included (crm_segment_run keeps the first). Fails (-1, message with
 * file and line) as crm_custlist_next() does.
 */
int crm_segment_read(struct crm_db *db, FILE *fp, const char *name,
    int64_t **ids, size_t *n);

/*
 * crm_segment_save: store (or replace) the segment name with the
 * expression expr (checked first) and note (may be NULL), and audit it.
 * Names are 1 to 64 letters, digits, '_', '-' or '.', not starting with
 * '-', and not rfm, save, list or drop. Call inside a transaction.
 * Returns 0 or -1 (CRM_EDATA for a bad name or expression).
 */
int crm_segment_save(struct crm_db *db, const char *name, const char *expr,
    const char *note);

/* crm_segment_drop: delete segment name and audit it. Returns 0, or -1
 * (CRM_EDATA when there is none). */
int crm_segment_drop(struct crm_db *db, const char *name);

/* crm_segment_list: write the saved segments to out (name, expr, note,
 * created, updated), by name. Returns 0 or -1. */
int crm_segment_list(struct crm_db *db, struct crm_out *out);

/* crm_segment_expr: the expression of segment name in a new string
 * (caller frees): 1 with *expr set, 0 if there is none (CRM_EDATA
 * message), -1 on error. */
int crm_segment_expr(struct crm_db *db, const char *name, char **expr);

/* crm_segment_name_ok: 1 if name can name a saved segment. */
int crm_segment_name_ok(const char *name);

#endif
