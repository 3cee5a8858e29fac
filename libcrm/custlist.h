/* custlist.h: the customer-key reader: the customers a CSV or TSV file
 * names, one at a time, for every command that acts on customers given in
 * a file or on standard input. */
#ifndef CRM_CUSTLIST_H
#define CRM_CUSTLIST_H

#include <stdint.h>
#include <stdio.h>

struct crm_db;

/*
 * This is the one way libcrm reads a customer list, as mblaze's
 * blaze822_loop() is the one loop over messages that every mblaze tool
 * uses: crm_segment_read() (crm-segment FILE), crm-log - and crm-predict
 * FILE go through it, and a new command that takes customers from a file
 * follows the same pattern rather than reading the CSV itself:
 *
 *	struct crm_custlist *l;
 *	int64_t id;
 *	int rc;
 *
 *	if ((l = crm_custlist_open(db, fp, name)) == NULL)
 *		fail: out of memory (message on db);
 *	while ((rc = crm_custlist_next(l, &id)) == 1)
 *		use id (named on line crm_custlist_line(l));
 *	crm_custlist_close(l);
 *	if (rc == -1)
 *		fail: crm_errmsg(db) says "file:line: what", crm_errcode(db)
 *		the exit status;
 *
 * The rule (crm(5), "Customer lists"): the first line is a header that
 * names the key column: id, else customer_id, else ref, else email
 * (compared as crm_csv_column() does: ASCII case, spaces, '-' and '_'
 * ignored); other columns are ignored, so an event list (whose ref is an
 * order number and whose customer is customer_id) names its customers.
 * Keys are trimmed of white space; an id names a customer by id, a ref or
 * an email as crm_customer_resolve() does. Blank lines and lines of only
 * delimiters are skipped (crm_csv_read()); a row whose key is empty is an
 * error. Rows come in file order, duplicates included.
 */
struct crm_custlist;

/* crm_custlist_open: read the list in fp (not closed by the reader; name
 * for messages, "-" for standard input). Nothing is read yet. Returns
 * NULL only when out of memory (CRM_EFAIL message on db). Caller frees
 * with crm_custlist_close(). */
struct crm_custlist *crm_custlist_open(struct crm_db *db, FILE *fp,
    const char *name);

/*
 * crm_custlist_next: the next customer's id in *id. Returns 1, 0 at the
 * end of the list, or -1 with "name:line: what" on db: no header, no key
 * column, a row without a key, a broken file (CRM_EDATA); a customer that
 * does not exist (CRM_ENOUSER) or was erased (CRM_EDATA); a database error.
 * After -1 the list is done: further calls return -1 without a new message.
 */
int crm_custlist_next(struct crm_custlist *l, int64_t *id);

/* crm_custlist_line: the line of the row last returned (1 is the header).
 * crm_custlist_name: the file's name in messages ("<stdin>" for "-"),
 * borrowed until crm_custlist_close(). */
long crm_custlist_line(const struct crm_custlist *l);
const char *crm_custlist_name(const struct crm_custlist *l);

/* crm_custlist_close: free l; NULL is a no-op. Does not fclose(). */
void crm_custlist_close(struct crm_custlist *l);

#endif
