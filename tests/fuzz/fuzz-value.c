/* fuzz-value.c: libFuzzer target for the value parsers (libcrm/value.h)
 * and the text checks of util.h: the first byte picks the parser and its
 * options, the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_term: what crm_buf_addterm makes of s is valid UTF-8 without a
 * single control character. */
static void check_term(const char *s)
{
	struct crm_buf b = { 0 };
	char why[CRM_WHYBUF];
	size_t i;

	if (crm_buf_addterm(&b, s) == 0) {
		if (!crm_utf8_valid(b.s, b.len) ||
		    crm_text_check(b.s, 0, why) != NULL)
			__builtin_trap();
		for (i = 0; i + 2 < b.len; i++)         /* no bidi control */
			if ((unsigned char)b.s[i] == 0xE2 &&
			    (unsigned char)b.s[i + 1] == 0x80 &&
			    (unsigned char)b.s[i + 2] >= 0xAA &&
			    (unsigned char)b.s[i + 2] <= 0xAE)
				__builtin_trap();
	}
	crm_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = { "%d/%m/%Y", "%m/%d/%Y %H:%M",
	    "%Y%m%d", "%d.%m.%y" };
	char *s, *a, *b, cur[4], out[CRM_EMAILBUF], tb[CRM_TIMEBUF];
	char whybuf[CRM_WHYBUF];
	const char *why;
	int64_t v;
	int sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++, size--;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	switch (sel % 10) {
	case 0:
		if (crm_parse_date(s, NULL, 1795694400, &v, &why) == 0) {
			crm_fmt_time(v, tb);
			crm_fmt_day(v, tb);
		}
		break;
	case 1:
		if (crm_parse_date(s, fmts[(sel >> 3) % 4], 1795694400, &v,
		    &why) == 0)
			crm_fmt_time(v, tb);
		break;
	case 2:
		if (crm_parse_money(s, "\0.,"[(sel >> 3) % 3], &v, cur,
		    &why) == 0)
			crm_fmt_money(v, tb);
		break;
	case 3:
		crm_parse_email(s, out, (sel >> 3) ? sizeof(out) : 16, &why);
		break;
	case 4:
		crm_parse_phone(s, (sel >> 3) & 1 ? "1" : "49", out,
		    CRM_PHONEBUF, &why);
		break;
	case 5:
		a = malloc(size + 1);
		b = malloc(size + 1);
		if (a && b)
			crm_split_name(s, a, b);
		free(a);
		free(b);
		break;
	case 6:
		crm_utf8_valid((const char *)data, size);
		break;
	case 7:
		crm_parse_int(s, -1000, INT64_MAX, &v, &why);
		break;
	case 8:
		/* Text that passes is valid UTF-8. */
		if (crm_text_check(s, sel & 0x10, whybuf) == NULL &&
		    !crm_utf8_valid(s, strlen(s)))
			__builtin_trap();
		break;
	case 9:
		check_term(s);
		break;
	}
	free(s);
	return 0;
}
