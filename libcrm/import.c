/* import.c: crm-import's engine: one file in one transaction: the header,
 * the batch it becomes, the events' indexes for a load into an empty
 * table, and the rows (import_row.c). Mapping files and --sniff are in
 * import_map.c, listing and undoing batches in batch.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "csv.h"
#include "event.h"
#include "import.h"
#include "import_int.h"
#include "util.h"
#include "value.h"

/* ---- files ------------------------------------------------------------ */

int crm__import_setup(struct imp *im, char **f, size_t n)
{
	size_t i, known = 0;
	int g;

	while (n > 0 && *crm_strtrim(f[n - 1]) == '\0')
		n--;                    /* trailing empty columns */
	im->nhdr = n;
	im->hdr = calloc(n + 1, sizeof(*im->hdr));
	im->colf = calloc(n + 1, sizeof(*im->colf));
	im->colkey = calloc(n + 1, sizeof(*im->colkey));
	if (!im->hdr || !im->colf || !im->colkey)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	for (i = 0; i < n; i++) {
		if ((im->hdr[i] = strdup(crm_strtrim(f[i]))) == NULL)
			return crm__error(im->db, CRM_EFAIL, "out of memory");
		im->colkey[i] = im->hdr[i];
		g = crm__map_column(im->m, im->hdr[i], &im->colkey[i]);
		if (im->hdr[i][0] == '\0' && g == CRM_I_NONE) {
			static char col[] = "column";
			im->colkey[i] = col;
		}
		im->colf[i] = g;
		if (g >= CRM_I_REF)
			known++;
		if (g >= CRM_I_AT)
			im->has_event = 1;
	}
	if (known == 0)
		return crm__error(im->db, CRM_EDATA, "%s:%ld: no column is "
		    "recognised (header \"%s\"...): name them as crm(5) lists "
		    "or give a mapping file (crm-import --sniff makes one)",
		    im->name, im->line, n ? im->hdr[0] : "");
	return 0;
}

/* batch_begin: the batch row. 0 or -1. */
static int batch_begin(struct imp *im)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = crm__prepare(im->db, "INSERT INTO batches (file,"
	    " started_at, user, command) VALUES (?1, ?2, ?3, ?4)")) == NULL)
		return -1;
	crm__bind_text(st, 1, im->name);
	sqlite3_bind_int64(st, 2, im->now);
	crm__bind_text(st, 3, crm_db_user(im->db));
	crm__bind_text(st, 4, im->db->source ? im->db->source : "crm-import");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm__sqlerr(im->db, "cannot record batch");
	im->batch = sqlite3_last_insert_rowid(im->db->sql);
	snprintf(im->source, sizeof(im->source), "crm-import batch %lld",
	    (long long)im->batch);
	return 0;
}

/* batch_end: record checksum, end time and figures; audit. 0 or -1. */
static int batch_end(struct imp *im)
{
	struct crm_import_stats *s = im->st;
	struct crm_buf d = {0};
	sqlite3_stmt *st;
	int rc;

	crm_buf_addf(&d, "{\"rows\":%ld,\"created\":%ld,\"updated\":%ld,"
	    "\"unchanged\":%ld,\"events_added\":%ld,\"events_present\":%ld,"
	    "\"rejected\":%ld}", s->rows, s->created, s->updated,
	    s->unchanged, s->events_added, s->events_present, s->rejected);
	if (d.oom)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	if ((st = crm__prepare(im->db, "UPDATE batches SET sha256 = ?2,"
	    " finished_at = ?3, stats = ?4 WHERE id = ?1")) == NULL) {
		crm_buf_free(&d);
		return -1;
	}
	sqlite3_bind_int64(st, 1, im->batch);
	crm__bind_text(st, 2, s->sha256);
	sqlite3_bind_int64(st, 3, crm_now());
	crm__bind_text(st, 4, d.s);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		crm_buf_free(&d);
		return crm__sqlerr(im->db, "cannot record batch");
	}
	crm_buf_reset(&d);
	crm_buf_addf(&d, "{\"batch\":%lld,\"file\":", (long long)im->batch);
	crm_buf_addjson(&d, im->name);
	crm_buf_addf(&d, ",\"rows\":%ld,\"rejected\":%ld}", s->rows,
	    s->rejected);
	rc = d.oom ? crm__error(im->db, CRM_EFAIL, "out of memory") :
	    crm_audit(im->db, "import.batch", 0, 0, d.s);
	crm_buf_free(&d);
	return rc;
}

/*
 * defer_indexes: for a load into an empty events table, drop the secondary
 * (non-unique) indexes of events and keep their CREATE statements for
 * build_indexes, which makes them again before the commit. Adding rows one
 * by one to events_at and the like touches index pages all over the file
 * (with millions of events they do not fit in the page cache); CREATE INDEX
 * sorts once and writes each page once. The unique indexes stay: the
 * import relies on events_dedupe to recognise events. This happens in the
 * batch's transaction, so a failure or a crash rolls the drop back with
 * everything else, and other connections never see the table without its
 * indexes. 0 or -1.
 */
static int defer_indexes(struct imp *im)
{
	sqlite3_stmt *st;
	char **v;
	int rc, empty;
	size_t i;

	if (im->o->dry_run)
		return 0;
	if ((st = crm__prepare(im->db, "SELECT NOT EXISTS"
	    " (SELECT 1 FROM events)")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	empty = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm__sqlerr(im->db, "cannot read events");
	if (!empty)
		return 0;
	if ((st = crm__prepare(im->db, "SELECT m.name, m.sql FROM sqlite_master"
	    " m JOIN pragma_index_list('events') l ON l.name = m.name"
	    " WHERE m.type = 'index' AND l.\"unique\" = 0 AND m.sql IS NOT NULL"
	    " ORDER BY m.rowid")) == NULL)
		return -1;
	/* Names and statements first: the schema cannot change while it is
	 * being read. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((v = realloc(im->defer_sql, (im->ndefer + 2) *
		    sizeof(*v))) == NULL)
			break;
		im->defer_sql = v;
		v[im->ndefer] = sqlite3_mprintf("DROP INDEX \"%w\"",
		    (const char *)sqlite3_column_text(st, 0));
		v[im->ndefer + 1] = sqlite3_mprintf("%s",
		    (const char *)sqlite3_column_text(st, 1));
		im->ndefer += 2;
		if (v[im->ndefer - 2] == NULL || v[im->ndefer - 1] == NULL)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return crm__sqlerr(im->db, "cannot read the schema");
	if (rc == SQLITE_ROW)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	for (i = 0; i < im->ndefer; i += 2)
		if (crm__exec(im->db, im->defer_sql[i]) == -1)
			return -1;
	for (i = 0; i < S_MAX; i++) {   /* prepared before the drop */
		sqlite3_finalize(im->s[i]);
		im->s[i] = NULL;
	}
	return 0;
}

/* build_indexes: make the indexes defer_indexes dropped. CREATE INDEX
 * sorts in memory as large as the page cache before it spills to temporary
 * files; with the bulk cache for both the peak went over 100 MiB. An eighth
 * of it (8 MiB) keeps the peak below that of the load, and the sort is no
 * slower (it reads the table once and writes the index in order). 0 or -1. */
static int build_indexes(struct imp *im)
{
	char sql[64];
	size_t i;

	if (im->ndefer == 0)
		return 0;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d",
	    CRM_BULK_CACHE_KIB / 8);
	if (crm__exec(im->db, sql) == -1)
		return -1;
	for (i = 1; i < im->ndefer; i += 2)
		if (crm__exec(im->db, im->defer_sql[i]) == -1)
			return -1;
	return crm_db_bulk(im->db);
}

void crm__import_free(struct imp *im)
{
	size_t i;

	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(im->s[i]);
	for (i = 0; im->hdr && i < im->nhdr; i++)
		free(im->hdr[i]);
	free(im->hdr);
	free(im->colf);
	free(im->colkey);
	for (i = 0; i < im->ndefer; i++)
		sqlite3_free(im->defer_sql[i]);
	free(im->defer_sql);
	free(im->evbits);
	free(im->dates);
	crm_buf_free(&im->out);
	crm_buf_free(&im->attrs);
	crm_buf_free(&im->tmp);
	crm_csv_close(im->r);
	if (im->rej)
		fclose(im->rej);
}

int crm__import_open(struct imp *im, FILE *fp)
{
	struct crm_map_settings *ms = &im->m->set;
	char **f;
	size_t n;
	long k;
	int rc;

	if ((im->r = crm_csv_open(fp, im->name, ms->delim)) == NULL)
		return crm__error(im->db, CRM_EFAIL, "out of memory");
	crm_csv_set_encoding(im->r, ms->enc);
	for (k = 0; k < ms->skip; k++)
		if ((rc = crm_csv_read(im->r, &f, &n)) != 1)
			break;
	return 0;
}

int crm_import_file(struct crm_db *db, struct crm_map *m,
    const struct crm_import_opts *opts, FILE *fp, const char *name,
    struct crm_import_stats *st)
{
	struct imp im;
	struct crm_map_settings *ms = &m->set;
	char **f;
	size_t n;
	int rc, ret = -1;

	memset(&im, 0, sizeof(im));
	memset(st, 0, sizeof(*st));
	im.db = db;
	im.m = m;
	im.o = opts;
	im.st = st;
	im.name = strcmp(name, "-") == 0 ? "<stdin>" : name;
	im.match = opts->match ? opts->match :
	    CRM_MATCH_REF | CRM_MATCH_EMAIL | CRM_MATCH_PHONE;
	im.now = crm_now();
	im.kind = ms->kind;
	im.datefmt = ms->datefmt;
	if (crm__import_open(&im, fp) == -1)
		goto out;
	if (crm_db_bulk(db) == -1 || crm_db_begin(db) == -1)
		goto out;
	if (batch_begin(&im) == -1 || defer_indexes(&im) == -1)
		goto fail;
	if ((rc = crm_csv_read(im.r, &f, &n)) != 1) {
		if (rc == -1)
			crm__error(db, CRM_EDATA, "%s", crm_csv_errmsg(im.r));
		else
			crm__error(db, CRM_EDATA, "%s: empty file: no header "
			    "row", im.name);
		goto fail;
	}
	im.line = crm_csv_line(im.r);
	crm_csv_dialect(im.r, &im.dia);
	if (crm__import_setup(&im, f, n) == -1)
		goto fail;
	im.decimal = ms->decimal ? ms->decimal : im.dia.delim == ';' ? ',' : 0;
	while ((rc = crm_csv_read(im.r, &f, &n)) == 1) {
		im.line = crm_csv_line(im.r);
		st->rows++;
		if ((rc = crm__import_row(&im, f, n)) == -1)
			goto fail;
		if (rc == 1) {
			crm_csv_dialect(im.r, &im.dia);
			if (crm__import_reject(&im, f, n) == -1)
				goto fail;
		}
		if (opts->on_progress && (st->rows & 4095) == 0)
			opts->on_progress(opts->arg, st->rows,
			    crm_csv_offset(im.r));
	}
	if (rc == -1) {
		crm__error(db, CRM_EDATA, "%s (nothing imported from this "
		    "file)", crm_csv_errmsg(im.r));
		goto fail;
	}
	crm_csv_sha256(im.r, st->sha256);
	crm_csv_dialect(im.r, &im.dia);
	snprintf(st->encoding, sizeof(st->encoding), "%s",
	    crm_enc_name(im.dia.enc));
	st->delim = im.dia.delim;
	if (im.rej && fflush(im.rej) == EOF) {
		crm__error(db, CRM_EIO, "cannot write reject file %s: %s",
		    opts->rejects, strerror(errno));
		goto fail;
	}
	if (build_indexes(&im) == -1 || batch_end(&im) == -1)
		goto fail;
	if (opts->dry_run || (opts->strict && st->rejected > 0)) {
		if (crm_db_rollback(db) == -1)
			goto out;
	} else {
		if (crm_db_commit(db) == -1)
			goto fail;
		st->committed = 1;
		st->batch = im.batch;
	}
	ret = 0;
	goto out;
fail:
	crm_db_rollback(db);
out:
	crm__import_free(&im);
	return ret;
}
