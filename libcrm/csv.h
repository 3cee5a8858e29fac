/* csv.h: reading CSV and TSV as spreadsheets and other tools write them,
 * over libcsv: header row, sniffed delimiter, line numbers for messages. */
#ifndef CRM_CSV_H
#define CRM_CSV_H

#include <stddef.h>
#include <stdio.h>

struct crm_csv;

/* Maximum length of one field; longer fields are an error, not a crash. */
#define CRM_CSV_FIELD_MAX (16u << 20)

/*
 * crm_csv_open: start reading fp (not closed by the reader). name is used in
 * messages ("-" reads as "<stdin>"). delim is ',' ';' '\t' or '|', or 0 to
 * sniff it from the first line: a first line "sep=;" (possibly quoted) names
 * it and is skipped (skipped too when delim is given, which then wins);
 * otherwise the candidate (, ; tab |) that occurs most
 * often outside quotes in the first line wins, ',' when none occurs.
 * A UTF-8 byte order mark is skipped. Returns NULL only when out of memory.
 * Caller frees with crm_csv_close().
 */
struct crm_csv *crm_csv_open(FILE *fp, const char *name, int delim);

/*
 * crm_csv_read: read the next record. Returns 1 and sets *fields and *n (n >= 1),
 * 0 at end of input, -1 on error (message from crm_csv_errmsg()). Fields are
 * NUL-terminated and borrowed: valid until the next call. Blank lines and
 * lines of only delimiters (or spaces) are skipped. Quoted fields may hold
 * delimiters, doubled quotes and newlines (RFC 4180); spaces around unquoted
 * fields are kept; a quote inside an unquoted field (24" Monitor) is literal
 * text, as spreadsheets read it. With a tab delimiter quotes are plain text
 * and the escapes our TSV writer produces (\t \n \r \\) are turned back
 * into the characters, so TSV output reads back unchanged.
 * Errors (all with "name:line: "): a quote that is never closed, text after
 * a closing quote ("ab"c), a field longer than CRM_CSV_FIELD_MAX, a NUL
 * byte, invalid UTF-8 or UTF-16, a read error.
 * After an error the reader is done: further calls return -1.
 */
int crm_csv_read(struct crm_csv *r, char ***fields, size_t *n);

/* crm_csv_line: the line on which the last record returned started (1 is the
 * file's first line, counting a sep= line). */
long crm_csv_line(const struct crm_csv *r);

/* crm_csv_delim: the delimiter in use (after sniffing). */
int crm_csv_delim(const struct crm_csv *r);

/* crm_csv_name: the name given to crm_csv_open ("<stdin>" for "-"). */
const char *crm_csv_name(const struct crm_csv *r);

/* crm_csv_errmsg: the last error as "name:line: what", or "" if none.
 * Borrowed: valid until crm_csv_close(). */
const char *crm_csv_errmsg(const struct crm_csv *r);

/* crm_csv_close: free the reader; NULL is a no-op. Does not fclose(). */
void crm_csv_close(struct crm_csv *r);

/*
 * crm_csv_column: index of the header field that names col (ASCII case,
 * spaces, '-' and '_' ignored: "E-Mail" matches "email"), or -1.
 */
int crm_csv_column(char *const *hdr, size_t n, const char *col);

#endif
