/* test-fold.c: unit tests for libcrm/fold.c (words folded for searching:
 * case, accents, the German ae/oe/ue and ß); prints TAP. */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "fold.h"

/* The forms of every word of a text, as "base/german/exact " each. */
struct acc {
	char s[512];
};

static int add(void *arg, const struct crm_fold *w)
{
	struct acc *a = arg;
	size_t n = strlen(a->s);

	snprintf(a->s + n, sizeof(a->s) - n, "%s%s/%s/%s", n ? " " : "",
	    w->base, w->german, w->exact);
	return 0;
}

/* folded: the forms of text's words, or "ERR" when folding failed. */
static const char *folded(const char *text)
{
	static struct acc a;

	a.s[0] = '\0';
	if (crm_fold_each(text, add, &a) == -1)
		return "ERR";
	return a.s;
}

/* base: the base form of the single word of text. */
static const char *base(const char *text)
{
	static char b[CRM_FOLD_MAX];
	char *slash;

	snprintf(b, sizeof(b), "%s", folded(text));
	if ((slash = strchr(b, '/')) != NULL)
		*slash = '\0';
	return b;
}

static int stop(void *arg, const struct crm_fold *w)
{
	(void)w;
	++*(int *)arg;
	return 7;
}

int main(void)
{
	char longw[200];
	int n = 0;

	/* case and accents */
	is_str(base("MÜLLER"), "muller", "MÜLLER folds to muller");
	is_str(base("müller"), "muller", "müller folds to muller");
	is_str(base("Muller"), "muller", "Muller folds to muller");
	is_str(base("Mueller"), "mueller", "Mueller stays mueller");
	is_str(folded("Müller"), "muller/mueller/mu\xcc\x88ller",
	    "Müller: base, German spelling, exact (decomposed)");
	is_str(folded("Mu\xcc\x88ller"), "muller/mueller/mu\xcc\x88ller",
	    "a decomposed ü is the same word");
	is_str(folded("Mueller"), "mueller/mueller/mueller",
	    "no umlaut: one spelling");
	is_str(folded("ÄRGER Öl Über"), "arger/aerger/a\xcc\x88rger "
	    "ol/oel/o\xcc\x88l uber/ueber/u\xcc\x88" "ber",
	    "Ä Ö Ü in capitals give ae oe ue");
	/* ß, full case folding */
	is_str(base("Weiß"), "weiss", "Weiß folds to weiss");
	is_str(base("WEISS"), "weiss", "WEISS folds to weiss");
	is_str(base("GROẞ"), "gross", "capital sharp s folds to ss");
	/* other accents: base only; no German spelling for them */
	is_str(folded("José"), "jose/jose/jose\xcc\x81",
	    "é loses its accent, no second spelling");
	is_str(base("Ångström"), "angstrom", "Å and ö lose their marks");
	is_str(base("ﬁnk"), "fink", "the fi ligature decomposes (NFKD)");
	is_str(base("İlhan"), "ilhan", "dotted capital I folds to i");
	is_str(base("ΣΟΦΊΑ"), "σοφια", "Greek: case folding and accents");
	/* words */
	is_str(folded("Müller-Lüdenscheidt"),
	    "muller/mueller/mu\xcc\x88ller "
	    "ludenscheidt/luedenscheidt/lu\xcc\x88""denscheidt",
	    "a hyphen separates words");
	is_str(folded("  O'Brien & Co. 4711 "),
	    "o/o/o brien/brien/brien co/co/co 4711/4711/4711",
	    "punctuation and spaces separate words; digits are words");
	is_str(folded(""), "", "no words in an empty text");
	is_str(folded("- / ."), "", "no words in punctuation");
	is_str(folded("\xcc\x88"), "", "a lone combining mark is no word");
	/* limits */
	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	is_int((int64_t)strlen(base(longw)), CRM_FOLD_MAX - 1,
	    "a long word is cut to CRM_FOLD_MAX - 1 bytes");
	is_str(folded("\xff" "abc"), "ERR", "invalid UTF-8 is refused");
	errno = 0;
	crm_fold_each("M\xc3", add, &n);
	is_int(errno, EILSEQ, "errno EILSEQ for a cut character");
	n = 0;
	is_int(crm_fold_each("one two three", stop, &n), 7,
	    "fn's non-zero return stops the walk and is returned");
	is_int(n, 1, "after the first word");
	return done();
}
