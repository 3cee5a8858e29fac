/* fuzz-import.c: libFuzzer target for the whole import of a file into a
 * database (libcrm/import.h). An input with a NUL byte is a mapping file
 * (before it) and a CSV file (after it); one without is a CSV file
 * imported with the default mapping. The first byte of the CSV part picks
 * the options. The database lives in a temporary directory and is made
 * afresh every few hundred runs so that it stays small. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/crm-fuzz-XXXXXX";
static char dbpath[64], rejpath[64];
static struct crm_db *db;
static int runs;

static void cleanup(void)
{
	char p[80];

	crm_db_close(db);
	db = NULL;
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	unlink(rejpath);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	setenv("CRM_NOW", "2026-11-26T12:00:00", 1);
	setenv("CRM_USER", "fuzz", 1);
	setenv("TZ", "UTC", 1);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(dbpath, sizeof(dbpath), "%s/crm.db", dir);
	snprintf(rejpath, sizeof(rejpath), "%s/rejects.csv", dir);
	atexit(cleanup);
	return 0;
}

/* load_map: read text[0..n) as a mapping file into m (through a memfd, as
 * crm_map_load takes a path). Returns 0 or -1. */
static int load_map(struct crm_map *m, const uint8_t *text, size_t n)
{
	char path[64], err[512];
	int fd, rc;

	if ((fd = memfd_create("map", 0)) == -1)
		return -1;
	if (n > 0 && write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = crm_map_load(m, path, err, sizeof(err));
	if (rc == -1 && strlen(err) == 0)
		__builtin_trap();       /* a failure must say why */
	close(fd);
	return rc;
}

static void on_reject(void *arg, const char *file, long line,
    const char *reason)
{
	(void)arg, (void)file, (void)line;
	(void)strlen(reason);
}

static void on_change(void *arg, long line, const char *action,
    const char *who, const char *field, const char *old, const char *new_)
{
	(void)arg, (void)line, (void)action, (void)who, (void)field;
	(void)old, (void)new_;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_import_opts o = { 0 };
	struct crm_import_stats st;
	struct crm_map *m;
	const uint8_t *nul;
	FILE *fp;
	int sel;

	if (db == NULL || ++runs % 500 == 0) {
		cleanup();
		if (mkdir(dir, 0700) == -1 ||
		    crm_db_open(&db, dbpath, "fuzz-import", 0, 0) == -1)
			abort();
	}
	if ((m = crm_map_new()) == NULL)
		return 0;
	if ((nul = memchr(data, '\0', size)) != NULL) {
		if (load_map(m, data, (size_t)(nul - data)) == -1) {
			crm_map_free(m);
			return 0;
		}
		size -= (size_t)(nul - data) + 1;
		data = nul + 1;
	}
	if (size < 1) {
		crm_map_free(m);
		return 0;
	}
	sel = data[0];
	data++, size--;
	o.match = sel & 0x7;
	o.mode = (enum crm_import_mode)((sel >> 3) % 3);
	o.strict = (sel >> 5) & 1;
	o.dry_run = (sel >> 6) & 1;
	o.rejects = (sel >> 7) & 1 ? rejpath : NULL;
	o.on_reject = on_reject;
	o.on_change = o.dry_run ? on_change : NULL;
	if ((fp = fmemopen(size ? (void *)data : (void *)"", size ? size : 1,
	    "r")) != NULL) {
		if (size == 0)
			fgetc(fp);
		/* Only the file may be at fault, never the database. */
		if (crm_import_file(db, m, &o, fp, "fuzz.csv", &st) == -1 &&
		    (crm_errcode(db) != CRM_EDATA || crm_errmsg(db)[0] == '\0'))
			__builtin_trap();
		fclose(fp);
	}
	crm_map_free(m);
	return 0;
}
