/* findkeys.h: crm-find's search keys (findkeys.c), kept current by every
 * write of a customer; rebuilt on request. */
#ifndef CRM_FINDKEYS_H
#define CRM_FINDKEYS_H

#include <stdint.h>

struct crm_db;

/*
 * crm_find_reindex: compute the search keys of every customer again (they
 * are kept current by every write; this is for an upgrade of the Unicode
 * tables of libunistring, or a database written by other means). Call
 * inside a write transaction. *customers (may be NULL) is set to the
 * number indexed. Returns 0 or -1.
 */
int crm_find_reindex(struct crm_db *db, int64_t *customers);

#endif
