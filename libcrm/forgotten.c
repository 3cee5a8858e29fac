/* forgotten.c: the marks of forgotten people (crm-forget): keyed hashes of
 * the ref, email and phone of an erased customer, so that the person is
 * recognised when added again. Below customer.c: it takes the values, not
 * the customer. */
#include <sys/random.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "forgotten.h"
#include "sha256.h"
#include "util.h"
#include "value.h"

void crm_db_allow_forgotten(struct crm_db *db, int allow)
{
	db->allow_forgotten = allow;
}

/* forget_key: the database's random HMAC key (hex), made on first use. */
static int forget_key(struct crm_db *db, char hex[65])
{
	unsigned char raw[32];
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "SELECT value FROM meta"
	    " WHERE key = 'forget_key'")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 64) {
		memcpy(hex, sqlite3_column_text(st, 0), 65);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot read the forget key");
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return crm__error(db, CRM_EFAIL, "no random bytes: %s",
		    strerror(errno));
	crm_sha256_hex(raw, hex);
	if ((st = crm__prepare(db, "INSERT INTO meta (key, value)"
	    " VALUES ('forget_key', ?1)")) == NULL)
		return -1;
	crm__bind_text(st, 1, hex);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot store the forget key");
	return 0;
}

/* mark: the keyed hash of what:value (e.g. "email:anna@example.de"). */
static void mark(const char key[65], const char *what, const char *value,
    char out[65])
{
	struct crm_buf m = {0};
	unsigned char d[32];

	crm_buf_addf(&m, "%s:%s", what, value);
	crm_hmac_sha256(key, 64, m.s ? m.s : "", m.len, d);
	crm_sha256_hex(d, out);
	crm_buf_free(&m);
}

/* The identifying fields that are remembered as hashes. */
static const char *const marked[] = { "ref", "email", "phone" };

/* anyone: whether anybody was ever forgotten, into db->forgotten (asked
 * once per handle: the common case is nobody). 0 or -1. */
static int anyone(struct crm_db *db)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "SELECT EXISTS (SELECT 1 FROM forgotten)"))
	    == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		db->forgotten = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(db, "cannot count");
	return 0;
}

int crm_forgotten_check(struct crm_db *db, const char *ref,
    const char *email, const char *phone)
{
	const char *v[3] = { ref, email, phone };
	char key[65], h[65], when[CRM_TIMEBUF];
	sqlite3_stmt *st;
	int i, rc, any = 0;

	for (i = 0; i < 3; i++)
		any |= v[i] != NULL;
	if (!any)
		return 0;
	if (db->forgotten < 0 && anyone(db) == -1)
		return -1;
	if (db->forgotten == 0)
		return 0;      /* the common case: nobody was ever forgotten */
	if (forget_key(db, key) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if (v[i] == NULL)
			continue;
		mark(key, marked[i], v[i], h);
		st = crm__prepare(db, db->allow_forgotten ?
		    "DELETE FROM forgotten WHERE hash = ?1 RETURNING at" :
		    "SELECT at FROM forgotten WHERE hash = ?1");
		if (st == NULL)
			return -1;
		crm__bind_text(st, 1, h);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && !db->allow_forgotten) {
			crm_fmt_day(sqlite3_column_int64(st, 0), when);
			sqlite3_finalize(st);
			return crm__error(db, CRM_EDATA, "%s %s belongs to a "
			    "person who was forgotten on %s (crm-forget); add "
			    "them again only with --allow-forgotten, when they "
			    "came back and consented again", marked[i], v[i],
			    when);
		}
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return crm__sqlerr(db, "cannot check forgotten people");
	}
	return 0;
}

/* remember: keep the mark h of a forgotten value. */
static int remember(struct crm_db *db, const char *h, const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(db, "INSERT INTO forgotten (hash, what, at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")) == NULL)
		return -1;
	crm__bind_text(st, 1, h);
	crm__bind_text(st, 2, what);
	sqlite3_bind_int64(st, 3, crm_now());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(db, "cannot remember forgotten person");
	return 0;
}

int crm_forgotten_remember(struct crm_db *db, const char *ref,
    const char *email, const char *phone)
{
	const char *v[3] = { ref, email, phone };
	char key[65], h[65];
	int i;

	if (forget_key(db, key) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if (v[i] == NULL)
			continue;
		mark(key, marked[i], v[i], h);
		if (remember(db, h, marked[i]) == -1)
			return -1;
		db->forgotten = 1;
	}
	return 0;
}
