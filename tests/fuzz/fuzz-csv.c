/* fuzz-csv.c: libFuzzer target for the CSV reader (libcrm/csv.h): the
 * first byte picks the encoding and delimiter, the rest is the file. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int delims[] = { 0, ',', ';', '\t', '|' };
	struct crm_buf b = { 0 };
	struct crm_dialect d;
	struct crm_csv *r;
	char **f, hex[65];
	size_t n, i;
	FILE *fp;
	int sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++, size--;
	if ((fp = fmemopen(size ? (void *)data : (void *)"", size ? size : 1,
	    "r")) == NULL)
		return 0;
	if (size == 0)
		fgetc(fp);      /* fmemopen cannot open zero bytes: eat one */
	r = crm_csv_open(fp, "fuzz.csv", delims[(sel & 0x7) % 5]);
	if (r == NULL) {
		fclose(fp);
		return 0;
	}
	crm_csv_set_encoding(r, (enum crm_enc)((sel >> 3) % 6));
	while (crm_csv_read(r, &f, &n) == 1) {
		/* Fields must be NUL-terminated strings. */
		for (i = 0; i < n; i++)
			(void)strlen(f[i]);
		if (crm_csv_line(r) < 1)
			__builtin_trap();
		crm_csv_column(f, n, "email");
		crm_csv_dialect(r, &d);
		crm_csv_encode(d.enc, f[0], strlen(f[0]), &b);
	}
	(void)crm_csv_errmsg(r);
	crm_csv_dialect(r, &d);
	(void)crm_csv_offset(r);
	crm_csv_sha256(r, hex);
	crm_csv_close(r);
	crm_buf_free(&b);
	fclose(fp);
	return 0;
}
