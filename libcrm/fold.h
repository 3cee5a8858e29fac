/* fold.h: words folded for searching, so that MÜLLER, müller, Mueller and
 * Muller find Müller: Unicode case folding and decomposition from
 * libunistring, plus the German rule that ä, ö, ü may be written ae, oe, ue. */
#ifndef CRM_FOLD_H
#define CRM_FOLD_H

#include <stddef.h>

/* The longest folded word kept, in bytes with the NUL; longer words are
 * cut at a character boundary. */
#define CRM_FOLD_MAX 64

/* The forms of one folded word. */
struct crm_fold {
	char base[CRM_FOLD_MAX];   /* case-folded, without accents: "muller" */
	char german[CRM_FOLD_MAX]; /* ä ö ü as ae oe ue: "mueller"; the same
	                              as base when the word has none */
	char exact[CRM_FOLD_MAX];  /* case-folded, accents kept (NFKD) */
};

/*
 * crm_fold_each: split text into words and fold each: full Unicode case
 * folding with compatibility decomposition (u8_casefold with NFKD; ß
 * becomes ss), then the combining marks dropped (base), or after a, o
 * and u a diaeresis written as e (german). A word is a run of letters and
 * digits (uc_is_alnum) with their marks; everything else separates words.
 * fn is called for each word in order with its forms (borrowed for the
 * call); a non-zero return from fn stops and is returned.
 * Returns 0 when done, fn's value, or -1 with errno set: EILSEQ when text
 * is not valid UTF-8, ENOMEM.
 */
int crm_fold_each(const char *text,
    int (*fn)(void *arg, const struct crm_fold *w), void *arg);

#endif
