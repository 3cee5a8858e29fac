/* fold.c: words folded for searching (see fold.h). The Unicode work, case
 * folding, normalisation and character classes, is libunistring's; the
 * only rule written here is the German one, ä ö ü as ae oe ue. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "fold.h"

/* The combining diaeresis (U+0308) that NFKD splits off ä, ö and ü. */
#define DIAERESIS 0x0308

/* put: append the n bytes at p to the form s of length *len unless the
 * form is full; a form that was cut stays cut (*full). */
static void put(char *s, size_t *len, int *full, const uint8_t *p, size_t n)
{
	if (*full || *len + n >= CRM_FOLD_MAX) {
		*full = 1;
		return;
	}
	memcpy(s + *len, p, n);
	*len += n;
	s[*len] = '\0';
}

int crm_fold_each(const char *text,
    int (*fn)(void *arg, const struct crm_fold *w), void *arg)
{
	struct crm_fold w;
	size_t nb = 0, ng = 0, ne = 0, len, i;
	int fb = 0, fg = 0, fe = 0, inword = 0, rc = 0, k, alnum;
	uint8_t *f;
	ucs4_t uc, prev = 0;

	uint8_t buf[256];
	size_t n = strlen(text);

	if (u8_check((const uint8_t *)text, n) != NULL) {
		errno = EILSEQ;
		return -1;
	}
	/* Most names are ASCII, where case folding maps A-Z to a-z and
	 * nothing else and NFKD changes nothing (CaseFolding.txt, UAX #15):
	 * that much is done here, at a tenth of the cost. The rest goes
	 * through libunistring, into buf when the result fits. */
	for (i = 0; i < n && (unsigned char)text[i] < 0x80; i++)
		;
	if (i == n && n < sizeof(buf)) {
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)(text[i] >= 'A' && text[i] <= 'Z' ?
			    text[i] + ('a' - 'A') : text[i]);
		f = buf;
		len = n;
	} else {
		len = sizeof(buf);
		f = u8_casefold((const uint8_t *)text, n, NULL, UNINORM_NFKD,
		    buf, &len);
		if (f == NULL)
			return -1;
	}
	memset(&w, 0, sizeof(w));
	for (i = 0; i <= len && rc == 0; i += (size_t)k) {
		k = 1;
		uc = 0;
		if (i < len)
			k = u8_mbtouc(&uc, f + i, len - i);
		if (i < len && uc < 0x80) {
			/* ASCII: no marks; letters and digits are words */
			alnum = (uc >= 'a' && uc <= 'z') ||
			    (uc >= 'A' && uc <= 'Z') || (uc >= '0' && uc <= '9');
		} else if (i < len && uc_is_general_category(uc,
		    UC_CATEGORY_M)) {
			if (!inword)
				continue;       /* a mark with nothing to mark */
			put(w.exact, &ne, &fe, f + i, (size_t)k);
			if (uc == DIAERESIS &&
			    (prev == 'a' || prev == 'o' || prev == 'u'))
				put(w.german, &ng, &fg, (const uint8_t *)"e", 1);
			prev = 0;
			continue;
		} else {
			alnum = i < len && uc_is_alnum(uc);
		}
		if (alnum) {
			put(w.base, &nb, &fb, f + i, (size_t)k);
			put(w.german, &ng, &fg, f + i, (size_t)k);
			put(w.exact, &ne, &fe, f + i, (size_t)k);
			prev = uc;
			inword = 1;
			continue;
		}
		if (inword)
			rc = fn(arg, &w);
		memset(&w, 0, sizeof(w));
		nb = ng = ne = 0;
		fb = fg = fe = inword = 0;
		prev = 0;
	}
	if (f != buf)
		free(f);
	return rc;
}
