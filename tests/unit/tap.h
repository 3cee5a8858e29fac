/* tap.h: a tiny TAP producer for the libcrm unit tests. Include once per
 * test program; call ok()/is_int()/is_str(), end main with done(). */
#ifndef CRM_TAP_H
#define CRM_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* Not every test program uses every check. */
#define TAP_UNUSED __attribute__((unused))

static void tap_vres(int pass, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void tap_vres(int pass, const char *fmt, va_list ap)
{
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
}

/* ok: pass when cond is true. */
static int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static TAP_UNUSED int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vres(cond, fmt, ap);
	va_end(ap);
	return cond;
}

/* is_int: pass when got == want; prints both on failure. */
static int is_int(int64_t got, int64_t want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static TAP_UNUSED int is_int(int64_t got, int64_t want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vres(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got %" PRId64 ", want %" PRId64 "\n", got, want);
	return got == want;
}

/* is_str: pass when both are NULL or equal strings. */
static int is_str(const char *got, const char *want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static TAP_UNUSED int is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	tap_vres(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

/* done: print the plan; exit status 1 if any test failed. */
static int done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
