/* findkeys.c: crm-find's search keys, kept current by every write of a
 * customer. Each customer's keys (table find_keys) are the folded words of
 * the first and last name, company and city (fold.c: both spellings of a
 * word with ä, ö or ü) and '#' with the phone number's digits reversed.
 * Below the customer module: it takes the names as strings, so that
 * customer.c and the import can call it (the search itself is find.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "findkeys.h"
#include "fold.h"
#include "util.h"
#include "value.h"

/* ---- keys ------------------------------------------------------------- */

/* put_key: store one key of customer id. 0 or -1. */
static int put_key(struct crm_db *db, int64_t id, const char *key)
{
	sqlite3_stmt *st;
	int rc;

	st = crm__stmt(db, STMT_FIND_KEY_INS, "INSERT INTO find_keys"
	    " (key, customer_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
	if (st == NULL)
		return -1;
	crm__bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot store search keys");
	return 0;
}

struct keyarg {
	struct crm_db *db;
	int64_t id;
	int failed;             /* storing failed (message on db) */
};

/* name_key: the keys of one folded word: both spellings. */
static int name_key(void *arg, const struct crm_fold *w)
{
	struct keyarg *k = arg;

	if (put_key(k->db, k->id, w->base) == -1 ||
	    (strcmp(w->german, w->base) != 0 &&
	    put_key(k->db, k->id, w->german) == -1)) {
		k->failed = 1;
		return -1;
	}
	return 0;
}

/* phone_key: '#' and the digits of phone reversed, leading zeros of the
 * number left out, into out (CRM_PHONEBUF + 1 bytes); "" for none. */
void crm__find_phone_key(const char *phone, char *out)
{
	char d[CRM_PHONEBUF];
	size_t n = 0, i;

	out[0] = '\0';
	for (; phone && *phone && n < sizeof(d) - 1; phone++)
		if (isdigit((unsigned char)*phone) && (n > 0 || *phone != '0'))
			d[n++] = *phone;
	if (n == 0)
		return;
	out[0] = '#';
	for (i = 0; i < n; i++)
		out[i + 1] = d[n - 1 - i];
	out[n + 1] = '\0';
}


int crm__find_keys(struct crm_db *db, int64_t id,
    const struct crm__names *n, int isnew)
{
	struct keyarg k = { db, id, 0 };
	const char *f[4];
	char pk[CRM_PHONEBUF + 1];
	sqlite3_stmt *st;
	int i, rc;

	if (!isnew) {
		st = crm__stmt(db, STMT_FIND_KEY_DEL, "DELETE FROM find_keys"
		    " WHERE customer_id = ?1");
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return crm__sqlerr(db, "cannot store search keys");
	}
	if (n == NULL)
		return 0;
	f[0] = n->first;
	f[1] = n->last;
	f[2] = n->company;
	f[3] = n->city;
	for (i = 0; i < 4; i++) {
		if (f[i] == NULL)
			continue;
		if (crm_fold_each(f[i], name_key, &k) == -1) {
			if (k.failed)
				return -1;
			if (errno == ENOMEM)
				return crm__error(db, CRM_EFAIL,
				    "out of memory");
			/* EILSEQ: text that is not UTF-8 (crm_text_check
			 * keeps it out) has no words to find */
		}
	}
	crm__find_phone_key(n->phone, pk);
	if (pk[0] && put_key(db, id, pk) == -1)
		return -1;
	return 0;
}

/* row_names: the names of the current row of a SELECT NAME_FIELDS into n
 * (borrowed). */
static void row_names(sqlite3_stmt *st, struct crm__names *n)
{
	n->first = (const char *)sqlite3_column_text(st, 1);
	n->last = (const char *)sqlite3_column_text(st, 2);
	n->company = (const char *)sqlite3_column_text(st, 3);
	n->city = (const char *)sqlite3_column_text(st, 4);
	n->phone = (const char *)sqlite3_column_text(st, 5);
}

#define NAME_FIELDS "id, first_name, last_name, company, city, phone"

int crm__find_keys_reload(struct crm_db *db, int64_t id)
{
	struct crm__names n;
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "SELECT " NAME_FIELDS ","
	    " coalesce(erased_at, 0) FROM customers WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_names(st, &n);
		rc = crm__find_keys(db, id, sqlite3_column_int64(st, 6) ? NULL :
		    &n, 0);
	} else if (rc == SQLITE_DONE) {
		rc = crm__find_keys_drop(db, id);
	} else {
		rc = crm__sqlerr(db, "cannot read customer");
	}
	sqlite3_finalize(st);
	return rc;
}

int crm__find_keys_drop(struct crm_db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "DELETE FROM find_keys"
	    " WHERE customer_id = ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot drop search keys");
	return 0;
}

int crm_find_reindex(struct crm_db *db, int64_t *customers)
{
	struct crm__names nm;
	sqlite3_stmt *st;
	char sql[64];
	int64_t n = 0;
	int rc;

	/* A million customers' keys go all over the index: with SQLite's
	 * small default page cache that is minutes of reading and writing
	 * pages, with the cache of a bulk load half a minute. */
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", CRM_BULK_CACHE_KIB);
	if (crm__exec(db, sql) == -1 ||
	    crm__exec(db, "DELETE FROM find_keys") == -1)
		return -1;
	if ((st = crm__prepare(db, "SELECT " NAME_FIELDS " FROM customers"
	    " WHERE erased_at IS NULL")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_names(st, &nm);
		if (crm__find_keys(db, sqlite3_column_int64(st, 0), &nm, 1) ==
		    -1) {
			sqlite3_finalize(st);
			return -1;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read customers");
	if (customers)
		*customers = n;
	return crm__exec(db, "DELETE FROM meta WHERE key = 'find_keys'");
}

int crm__find_stale(struct crm_db *db)
{
	sqlite3_stmt *st;
	int rc, stale;

	if ((st = crm__prepare(db, "SELECT 1 FROM meta"
	    " WHERE key = 'find_keys' AND value = 'stale'")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read meta");
	stale = rc == SQLITE_ROW;
	return stale ? crm_find_reindex(db, NULL) : 0;
}

