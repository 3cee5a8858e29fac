/* value.h: parsers and printers for the values users type and spreadsheets
 * hold: dates, money, email addresses, phone numbers and personal names. */
#ifndef CRM_VALUE_H
#define CRM_VALUE_H

#include <stddef.h>
#include <stdint.h>

/* An absent integer value (an amount, a quantity, a rating, a time): SQL
 * NULL when stored. */
#define CRM_NONE INT64_MIN

/*
 * All parsers below share one contract: they return 0 and store the value,
 * or return -1, leave the output untouched and set *why to a static English
 * phrase (lowercase, no full stop) that names the problem, for example
 * "no such day: 31.02.2026". None of them allocates or prints.
 */

/*
 * crm_now: the current time in Unix seconds. When $CRM_NOW is set to a date
 * crm_parse_date() accepts (absolute forms only), that time is returned
 * instead, so that tests and backfills can pin "today".
 */
int64_t crm_now(void);

/*
 * crm_parse_date: parse a point in time into Unix seconds (UTC). Times without
 * a zone are local time (TZ). Accepted:
 *   2026-11-20, 2026-11-20T14:30, 2026-11-20 14:30:15, ...T14:30:15Z,
 *   ...T14:30:15+01:00, 20.11.2026, 20.11.2026 14:30, 1.2.2026;
 *   now; today, yesterday, tomorrow (local midnight);
 *   relative: [+-]N unit with unit h (hours, from now), d, w, m (months), y
 *   (local midnight of that day, calendar arithmetic), e.g. -30d, +2w.
 * fmt, when not NULL, is a strptime(3) format that is used instead of the
 * automatic forms (for ambiguous input such as 01/02/2026: "%d/%m/%Y").
 * Slash dates without fmt are rejected as ambiguous. Impossible dates
 * (31.02.2026, 2026-13-01, 24:00) are rejected. now is the reference time for
 * relative forms (pass crm_now()).
 */
int crm_parse_date(const char *s, const char *fmt, int64_t now, int64_t *out,
    const char **why);

/*
 * crm_fmt_time: print t as local ISO 8601: "2026-11-20" when t is local
 * midnight, else "2026-11-20T14:30:15". buf must hold CRM_TIMEBUF bytes.
 * Returns buf. crm_fmt_day prints the date part only.
 */
#define CRM_TIMEBUF 32
char *crm_fmt_time(int64_t t, char *buf);
char *crm_fmt_day(int64_t t, char *buf);

/* crm_day_end: the next local midnight when t is a local midnight (a date
 * written without a time stands for its whole day), else t. */
int64_t crm_day_end(int64_t t);

/* crm_cutoff: the exclusive end of as_of: the next local midnight when
 * as_of is a local midnight, else as_of + 1 (that second included). */
int64_t crm_cutoff(int64_t as_of);

/*
 * crm_parse_money: parse an amount into integer cents. Accepts an optional
 * sign (leading '-', or a trailing '-' as some exports write), spaces
 * (including no-break spaces) and a currency symbol or ISO code before or
 * after the number (€ EUR $ USD £ GBP CHF), e.g. "12.50", "12,50", "-3",
 * "1.234,56 €", "EUR 12.50", "1,234.56", "1 234,56".
 * decimal is the decimal separator the caller knows from the file's dialect:
 * '.' or ','; 0 means decide from the text, and then a value that could be
 * read two ways ("1,234", "1.234") is rejected as ambiguous. More than two
 * decimal places are rejected unless the extra digits are zeros; grouping
 * must be in threes. *currency receives the ISO code found ("EUR"), or ""
 * when the text names none; currency may be NULL.
 */
int crm_parse_money(const char *s, int decimal, int64_t *cents,
    char currency[4], const char **why);

/* crm_fmt_money: print cents as "1234.56" / "-0.50". buf: CRM_MONEYBUF. */
#define CRM_MONEYBUF 32
char *crm_fmt_money(int64_t cents, char *buf);

/*
 * crm_parse_email: trim and lower-case an address and check its shape: one
 * '@', a non-empty local part of at most 64 bytes without spaces, a domain of
 * dot-separated labels (letters, digits, '-', or non-ASCII), at least two
 * labels, no empty label, a top-level label of 2+ characters, 254 bytes in
 * all. "Anna <anna@x.de>" is not accepted here (see crm_mail_address).
 * out must hold outlen bytes (CRM_EMAILBUF is enough).
 */
#define CRM_EMAILBUF 256
int crm_parse_email(const char *s, char *out, size_t outlen, const char **why);

/*
 * crm_parse_phone: normalise a phone number. Separators (space, - / . ( ))
 * are dropped; "+49 (0)30 123" drops the "(0)"; a leading 00 becomes +; a
 * leading single 0 (national trunk prefix) becomes +CC where cc is the
 * default country calling code ("49"); a number with neither stays as its
 * digits (an extension without area code). The result is E.164 ("+4930123456")
 * where possible. Letters, too few (< 3) or too many (> 15) digits are
 * rejected. cc NULL means crm_default_cc(). out: CRM_PHONEBUF bytes.
 */
#define CRM_PHONEBUF 32
int crm_parse_phone(const char *s, const char *cc, char *out, size_t outlen,
    const char **why);

/* crm_default_cc: $CRM_PHONE_COUNTRY without '+' if set and all digits,
 * else "49", into cc. Returns cc. */
const char *crm_default_cc(char cc[4]);

/*
 * crm_split_name: split a full name into first and last name.
 * "Anna Müller" -> Anna / Müller; "Müller, Anna" -> Anna / Müller;
 * "Anna Maria Müller" -> "Anna Maria" / Müller; "Ludwig van Beethoven" ->
 * Ludwig / "van Beethoven" (particles von van de der den zu da di le la du
 * ten ter stay with the last name); a single word is a last name (first
 * empty). Surrounding and repeated spaces are dropped. first and last must
 * each hold strlen(name) + 1 bytes.
 */
void crm_split_name(const char *name, char *first, char *last);

/*
 * crm_utf8_valid: 1 if s[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF), else 0.
 */
int crm_utf8_valid(const char *s, size_t len);

/*
 * crm_parse_int: a whole decimal number in [min, max], surrounding spaces
 * allowed. -1 with *why on anything else.
 */
int crm_parse_int(const char *s, int64_t min, int64_t max, int64_t *out,
    const char **why);

/*
 * crm_parse_yesno: an answer as people write it, in any ASCII case, into
 * *yes (1 or 0): yes y ja j true 1 granted, or no n nein false 0
 * withdrawn (crm-add --consent, crm-log --granted). With CRM_YESNO_SHEET
 * it also takes what spreadsheets hold in a column of check marks: x and
 * wahr for yes, falsch for no (crm-import's consent columns, crm(5)).
 */
#define CRM_YESNO_SHEET 0x1u
int crm_parse_yesno(const char *s, unsigned flags, int *yes,
    const char **why);

/* How crm-import treats the customers of a file (--mode): create new ones
 * and update those it finds, only create, or only update. */
enum crm_import_mode { CRM_IMPORT_UPSERT, CRM_IMPORT_CREATE, CRM_IMPORT_UPDATE };

/* crm_parse_import_mode: "upsert", "create" or "update" into *mode. */
int crm_parse_import_mode(const char *s, enum crm_import_mode *mode,
    const char **why);

#endif
