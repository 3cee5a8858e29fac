/* import_int.h: what the files of the import share (import.c, import_row.c,
 * import_map.c) and nothing else sees: the mapping's insides and the state
 * of one import run. */
#ifndef CRM_IMPORT_INT_H
#define CRM_IMPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "internal.h"
#include "csv.h"
#include "import.h"
#include "util.h"

/* A mapping file (crm(5)): settings, columns, constants, value maps. */
struct mapcol { char *header; int f; char *key; };
struct mapval { int f; char *from, *to; };

struct crm_map {
	struct crm_map_settings set;
	struct mapcol *cols;
	size_t ncols;
	char *consts[CRM_I_NFIELDS];
	struct mapval *vals;
	size_t nvals;
};

/* The statements of a run, prepared once (import_row.c). */
enum { S_REF, S_EMAIL, S_PHONE, S_GET, S_INS, S_UPD, S_CHANGE, S_CONS_GET,
	S_CONS_INS, S_TAG, S_EV, S_EV_BATCH, S_MAX };

/* The state of one import run (crm_import_file) or sniff. */
struct imp {
	struct crm_db *db;
	struct crm_map *m;
	const struct crm_import_opts *o;
	struct crm_import_stats *st;
	struct crm_csv *r;
	const char *name;
	unsigned match;
	char **hdr;             /* header copy */
	size_t nhdr;
	int *colf;              /* field of each column */
	const char **colkey;    /* attrs key of each column (borrowed) */
	int has_event;          /* the file has event columns or a kind */
	int decimal;
	const char *datefmt, *kind;
	int64_t now, batch;
	char source[48];
	sqlite3_stmt *s[S_MAX];
	FILE *rej;
	int rej_failed;
	struct crm_dialect dia;
	struct crm_buf out, attrs, tmp;
	char reason[768];
	long line;
	/* the last customer found by ref alone, for files grouped by customer */
	char lastref[64];
	int64_t lastid;
	/* Secondary indexes of events dropped for a load into an empty events
	 * table and built again by sorting before the commit (see
	 * defer_indexes): DROP and CREATE statement of each, in turn. */
	char **defer_sql;
	size_t ndefer;
	/* One bit per customer id: set when this batch added an event for that
	 * customer. An event whose dedupe key is taken for a customer without
	 * the bit is there from an earlier import, without a second look. */
	unsigned char *evbits;
	size_t nevbits;
	/* the last value mapped for each field (see mapped) */
	struct memo { char from[32]; const char *to; int same, valid; }
	    memo[CRM_I_NFIELDS];
	/* parsed dates (see parse_date), NDATES of them, ndates used */
	struct date { char s[24]; int64_t t; } *dates;
	size_t ndates;
};

/* crm__map_value (import_map.c): v after the value maps for field f (the
 * mapping file's, then the built-in ones, compared ignoring case and
 * German letters). Borrowed: v itself or a string of the map or of a
 * static table. */
const char *crm__map_value(const struct crm_map *m, int f, const char *v);

/* crm__map_column (import_map.c): the field (enum crm_ifield) that the
 * column named header feeds: the mapping file's column line for it
 * (headers compared as crm_ifield_guess() does; *key set to its attrs key,
 * if it names one, else left alone), else the built-in synonyms. */
int crm__map_column(const struct crm_map *m, const char *header,
    const char **key);

/* crm__import_open (import.c): the CSV reader for fp with the map's
 * settings in im->r; skips the map's skip lines. 0 or -1. */
int crm__import_open(struct imp *im, FILE *fp);

/* crm__import_setup (import.c): from the header f[0..n), decide what each
 * column feeds (im->hdr, colf, colkey, has_event). 0, or -1 (CRM_EDATA
 * when no column is recognised). */
int crm__import_setup(struct imp *im, char **f, size_t n);

/* crm__import_free (import.c): free everything im holds but db. */
void crm__import_free(struct imp *im);

/* crm__import_row (import_row.c): import one data row. Returns 0 when
 * done, 1 when rejected (reason in im->reason), -1 on a database error. */
int crm__import_row(struct imp *im, char **f, size_t n);

/* crm__import_reject (import_row.c): count the rejected row, tell the
 * callbacks, and write it with its line and reason to the reject file
 * (created on the first). 0 or -1. */
int crm__import_reject(struct imp *im, char **f, size_t n);

#endif
