/* util.h: small helpers shared by libcrm and the commands: a growable
 * string buffer and string utilities. Nothing here prints or exits. */
#ifndef CRM_UTIL_H
#define CRM_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable NUL-terminated string. Zero-initialise it ({0}); s is NULL until
 * something is added. Once an allocation fails, the buffer remembers it
 * (oom = 1) and later calls do nothing, so a caller can check once at the end.
 * The caller frees s with crm_buf_free() or takes ownership with crm_buf_take().
 */
struct crm_buf {
	char *s;
	size_t len;
	size_t cap;
	int oom;
};

/* crm_buf_add: append n bytes of p. Returns 0, or -1 when out of memory. */
int crm_buf_add(struct crm_buf *b, const void *p, size_t n);
/* crm_buf_adds: append the string s. */
int crm_buf_adds(struct crm_buf *b, const char *s);
/* crm_buf_addc: append one byte. */
int crm_buf_addc(struct crm_buf *b, int c);
/* crm_buf_addf: append printf-style. */
int crm_buf_addf(struct crm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* crm_buf_addjson: append s as a JSON string literal, quotes included. */
int crm_buf_addjson(struct crm_buf *b, const char *s);
/* crm_buf_reset: make it empty, keeping the memory. */
void crm_buf_reset(struct crm_buf *b);
/* crm_buf_take: the string (never NULL unless oom; "" when nothing was
 * added), now the caller's to free(); the buffer is empty again. */
char *crm_buf_take(struct crm_buf *b);
/* crm_buf_free: free the memory; the buffer is empty again. */
void crm_buf_free(struct crm_buf *b);

/*
 * crm_fmt_fixed: v with decimals (0 to 6) digits after the point into buf,
 * exactly as snprintf(buf, CRM_FIXBUF, "%.*f", decimals, v) would, but
 * several times faster for the common case (non-negative v below 1e9 /
 * 10^decimals, not within a hair of a rounding tie), which it formats with
 * integers; every other value goes to snprintf. Returns buf.
 */
#define CRM_FIXBUF 352
char *crm_fmt_fixed(char *buf, double v, int decimals);

/* crm_utf8_len: the length of the well-formed UTF-8 character at s (n > 0
 * bytes left; no overlongs, surrogates or code points above U+10FFFF), or
 * 0 if none starts there. */
size_t crm_utf8_len(const char *s, size_t n);

/*
 * crm_term_char: look at the character at s (n > 0 bytes left) as a
 * terminal would. Returns its length in bytes (1 for a byte that does not
 * start well-formed UTF-8) and sets *repl to what a terminal should see
 * instead: ' ' for a control character (C0 including tab and newline, DEL,
 * C1 U+0080..U+009F, which holds the 8-bit CSI), a line or paragraph
 * separator or a bidirectional control (U+200E U+200F U+202A..U+202E
 * U+2066..U+2069, which can reorder what is shown); '?' for an invalid
 * byte; 0 when the character is safe to print as it is.
 */
size_t crm_term_char(const char *s, size_t n, int *repl);
/* crm_buf_addterm: append s (NULL as "") with every character that
 * crm_term_char() does not call safe replaced, for printing data on a
 * terminal. Returns 0, or -1 when out of memory. */
int crm_buf_addterm(struct crm_buf *b, const char *s);

/*
 * crm_text_check: whether s may be stored as text: well-formed UTF-8 and no
 * control character (C0, DEL, C1), except that multiline text may hold
 * tab, LF and CR. Returns NULL if so, else why: a phrase written into the
 * caller's buffer that names the problem and where it is without quoting
 * the text ("a control character at byte 4", "invalid UTF-8 at byte 2"):
 * the text may be hostile.
 */
#define CRM_WHYBUF 64
const char *crm_text_check(const char *s, int multiline,
    char why[CRM_WHYBUF]);

/* crm_strdup: strdup that accepts NULL (returns NULL). */
char *crm_strdup(const char *s);

/* crm_strtrim: s with leading and trailing ASCII white space removed, in
 * place (the returned pointer is inside s). */
char *crm_strtrim(char *s);

/* crm_streq_nocase: 1 if a and b are equal ignoring ASCII case. */
int crm_streq_nocase(const char *a, const char *b);

#endif
