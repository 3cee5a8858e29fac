/* fuzz-filter.c: libFuzzer target for the filter expression language
 * (libcrm/filter.h): compile the text; when it compiles, the SQL must
 * name exactly the parameters it has. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_sql q = { 0 };
	char *s, err[512], tag[32];
	enum crm_ftype t;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (crm_filter_compile(&q, s, 1795694400, err, sizeof(err)) == 0 &&
	    !q.oom) {
		/* Values are parameters: the last one is named in the text. */
		if (q.nparam > 0) {
			snprintf(tag, sizeof(tag), "?%zu", q.nparam);
			if (strstr(q.text.s, tag) == NULL)
				__builtin_trap();
		}
		for (i = 0; i < q.nparam; i++)
			if (q.param[i].type == CRM_P_TEXT)
				(void)strlen(q.param[i].s);
	} else {
		(void)strlen(err);
	}
	crm_sql_free(&q);
	crm_filter_column(&q, s, &t, err, sizeof(err));
	crm_sql_free(&q);
	crm_filter_channel(&q, s, err, sizeof(err));
	crm_sql_free(&q);
	free(s);
	return 0;
}
