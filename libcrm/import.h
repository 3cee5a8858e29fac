/* import.h: bulk import of customers and events from spreadsheet exports:
 * column recognition (English and German), mapping files, matching,
 * de-duplication, reject files, batches and their undo. */
#ifndef CRM_IMPORT_H
#define CRM_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "value.h"

struct crm_db;
struct crm_buf;

/* What a column can feed. Customer fields, then event fields. */
enum crm_ifield {
	CRM_I_NONE,             /* not recognised: goes into attrs */
	CRM_I_IGNORE,
	CRM_I_ATTR,             /* attrs under a given key */
	CRM_I_REF, CRM_I_FIRST, CRM_I_LAST, CRM_I_NAME, CRM_I_COMPANY,
	CRM_I_EMAIL, CRM_I_PHONE, CRM_I_STREET, CRM_I_HOUSENO, CRM_I_POSTAL,
	CRM_I_CITY, CRM_I_COUNTRY, CRM_I_NOTES, CRM_I_TAGS,
	CRM_I_C_EMAIL, CRM_I_C_NEWSLETTER, CRM_I_C_POST, CRM_I_C_PHONE,
	CRM_I_C_SMS,
	CRM_I_AT, CRM_I_KIND, CRM_I_CHANNEL, CRM_I_AMOUNT, CRM_I_CURRENCY,
	CRM_I_QUANTITY, CRM_I_PRODUCT, CRM_I_CATEGORY, CRM_I_RATING,
	CRM_I_SUBJECT, CRM_I_BODY, CRM_I_EVREF, CRM_I_STATUS, CRM_I_DUE,
	CRM_I_DISCOUNT,
	CRM_I_NFIELDS
};

/* crm_ifield_name: the field's name in mapping files ("postal_code").
 * crm_ifield_parse: the field for name, or -1. */
const char *crm_ifield_name(enum crm_ifield f);
int crm_ifield_parse(const char *name);

/* crm_ifield_guess: the field a header names, by the built-in English and
 * German synonyms (case, spaces, '-', '_', '.' ignored; ä = ae, ß = ss):
 * "Kunden-Nr." is ref, "E-Mail" email, "PLZ" postal_code. CRM_I_NONE if
 * none. */
enum crm_ifield crm_ifield_guess(const char *header);

/* Matching keys for crm_import_opts.match. */
#define CRM_MATCH_REF   0x1
#define CRM_MATCH_EMAIL 0x2
#define CRM_MATCH_PHONE 0x4

/* enum crm_import_mode, crm_parse_import_mode(): in value.h. */

/*
 * A mapping: what a mapping file (crm(5)) says, and what options override.
 * crm_map_new returns an empty one (NULL when out of memory);
 * crm_map_load reads a file into m: 0, or -1 with "file:line: what" in err.
 * crm_map_free(NULL) is a no-op.
 */
struct crm_map;
struct crm_map *crm_map_new(void);
int crm_map_load(struct crm_map *m, const char *path, char *err,
    size_t errlen);
void crm_map_free(struct crm_map *m);

/* Settings a mapping file may hold, which options override (0/NULL:
 * not set). Set by crm_map_load; the caller may change them. */
struct crm_map_settings {
	enum crm_enc enc;       /* CRM_ENC_AUTO unless set */
	int delim;              /* 0: sniffed */
	int decimal;            /* '.' or ',', 0: from the dialect */
	char *datefmt;          /* strptime(3) format, or NULL */
	long skip;              /* lines before the header */
	char *kind;             /* event kind for files without one */
};
struct crm_map_settings *crm_map_settings(struct crm_map *m);

/* Options of one import run. */
struct crm_import_opts {
	unsigned match;                 /* CRM_MATCH_*; 0 means all three */
	enum crm_import_mode mode;
	int strict;                     /* commit nothing if a row is bad */
	int dry_run;                    /* report, then roll back */
	const char *rejects;            /* reject file, or NULL for none */
	/* callbacks, each may be NULL; arg is passed through */
	void *arg;
	/* a rejected row: file name, line, reason */
	void (*on_reject)(void *arg, const char *file, long line,
	    const char *reason);
	/* a change (dry run): line, action ("create", "update", "event",
	 * "present", "reject"), customer (ref/email/#id), field, old, new */
	void (*on_change)(void *arg, long line, const char *action,
	    const char *who, const char *field, const char *old,
	    const char *new_);
	/* progress: rows so far, bytes read, called every 4096 rows */
	void (*on_progress)(void *arg, long rows, long long bytes);
};

/* What an import did. */
struct crm_import_stats {
	long rows;
	long created, updated, unchanged;
	long events_added, events_present;
	long rejected;
	int64_t batch;                  /* the batch id (0 for a dry run) */
	int committed;                  /* 1 if the file's rows were stored */
	char sha256[65];
	char encoding[16];
	int delim;
};

/*
 * crm_import_file: import one file from fp (name for messages and the
 * batch record) in one transaction: rows that fail validation are written
 * to opts->rejects (in the input's dialect, with reject_line and
 * reject_reason columns) and reported through on_reject; the others are
 * committed, unless opts->strict and a row was rejected, or dry_run.
 * A file that cannot be read to its end (broken quoting, invalid text, no
 * header) is not imported at all. Returns 0 (check st->rejected), or -1
 * with the message on db (CRM_EDATA for the file, others for the
 * database); the transaction is then rolled back.
 */
int crm_import_file(struct crm_db *db, struct crm_map *m,
    const struct crm_import_opts *opts, FILE *fp, const char *name,
    struct crm_import_stats *st);

/*
 * crm_import_sniff: read fp like crm_import_file would and append to out a
 * mapping file for it: the encoding, delimiter, decimal separator and date
 * format found, and one "column" line per header field (unrecognised ones
 * commented out, to go into attrs), with sample values. Returns 0, or -1
 * with the message on db.
 */
int crm_import_sniff(struct crm_db *db, struct crm_map *m, FILE *fp,
    const char *name, struct crm_buf *out);

/*
 * crm_batch_each: call fn for every batch, oldest first, with its id,
 * file, sha256, start and end times, user, stats (JSON) and undone time
 * (CRM_NONE if not undone); strings borrowed for the call, may be NULL.
 * fn's non-zero return stops and is returned; -1 on error.
 */
int crm_batch_each(struct crm_db *db,
    int (*fn)(void *arg, int64_t id, const char *file, const char *sha256,
    int64_t started, int64_t finished, const char *user, const char *stats,
    int64_t undone), void *arg);

/*
 * crm_batch_undo: revert batch id in one transaction: delete the events
 * and consents it added and the customers it created, and restore the old
 * values of the customers it changed (later changes to those fields are
 * overwritten). Fails with CRM_EDATA if the batch does not exist, was
 * undone already, or created customers that now have events from
 * elsewhere. *customers_deleted, *customers_restored, *events_deleted are
 * set. Returns 0 or -1.
 */
int crm_batch_undo(struct crm_db *db, int64_t id, long *customers_deleted,
    long *customers_restored, long *events_deleted);

#endif
