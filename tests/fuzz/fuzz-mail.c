/* fuzz-mail.c: libFuzzer target for the mail parser (libcrm/mail.h). */
#include <stdint.h>
#include <string.h>

#include "crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_mail m;
	const char *why;

	if (crm_mail_parse((const char *)data, size, &m, &why) == 0) {
		/* Every string must be a string. */
		if (m.from)
			(void)strlen(m.from);
		if (m.from_name)
			(void)strlen(m.from_name);
		if (m.subject)
			(void)strlen(m.subject);
		if (m.message_id)
			(void)strlen(m.message_id);
		if (m.body)
			(void)strlen(m.body);
		crm_mail_clear(&m);
	}
	return 0;
}
