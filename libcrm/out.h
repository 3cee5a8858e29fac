/* out.h: writing rows as CSV (RFC 4180), TSV, a table for people, or JSON;
 * spreadsheet-safe CSV with --excel. */
#ifndef CRM_OUT_H
#define CRM_OUT_H

#include <stddef.h>
#include <stdio.h>

enum crm_fmt {
	CRM_FMT_CSV,
	CRM_FMT_TSV,
	CRM_FMT_TABLE,
	CRM_FMT_JSON
};

#define CRM_OUT_EXCEL    0x1  /* CSV: UTF-8 BOM, CRLF, formulas neutralised */
#define CRM_OUT_NOHEADER 0x2  /* CSV/TSV/table: no header row */
#define CRM_OUT_SEMICOLON 0x4 /* CSV: ';' as delimiter (German Excel) */

struct crm_out;

/*
 * crm_fmt_parse: "csv" "tsv" "table" "json" to *fmt. -1 if unknown.
 */
int crm_fmt_parse(const char *name, enum crm_fmt *fmt);

/*
 * crm_fmt_default: CRM_FMT_TABLE when fp is a terminal, else CRM_FMT_CSV.
 */
enum crm_fmt crm_fmt_default(FILE *fp);

/*
 * crm_out_new: a writer to fp (not closed by it). Returns NULL only when out
 * of memory. Caller frees with crm_out_free().
 *
 * CSV: fields quoted only when needed (delimiter, quote, CR, LF, or leading/
 * trailing space), quotes doubled, LF line ends (CRLF with EXCEL). EXCEL also
 * writes a UTF-8 BOM first and prefixes a ' to cells that start with = + - @
 * tab CR or LF, so a spreadsheet shows them as text instead of evaluating.
 * TSV: no quoting; tab, LF, CR and backslash in a value are written as \t \n
 * \r \\ (crm_csv_read undoes this).
 * TABLE: rows are buffered until crm_out_end(), then printed with columns
 * padded to their widest value (counting UTF-8 characters, at most 40; longer
 * values are cut with "…"); what a terminal would not show as text (control
 * characters, bidirectional controls, bytes that are not UTF-8) is shown as
 * a space or '?' (see crm_term_char in util.h).
 * JSON: an array of objects, one per row, keys from the header; values are
 * strings, or numbers for columns typed 'n' whose value is a valid JSON
 * number, or null for NULL values.
 */
struct crm_out *crm_out_new(FILE *fp, enum crm_fmt fmt, unsigned flags);

/*
 * crm_out_header: set the columns; must be called once before any row.
 * types is NULL (all strings) or a string of n letters, 's' string, 'n'
 * number (used by JSON only). cols and types are copied.
 * Returns 0, or -1 on a write error or out of memory (errno set).
 */
int crm_out_header(struct crm_out *o, const char *const *cols, size_t n,
    const char *types);

/*
 * crm_out_row: write one row of n values (n must equal the header's), NULL
 * meaning no value (empty in CSV/TSV/table, null in JSON). Values are copied
 * when buffered. Returns 0, or -1 on a write error / out of memory (errno).
 */
int crm_out_row(struct crm_out *o, const char *const *vals, size_t n);

/*
 * crm_out_end: finish (print the buffered table, close the JSON array) and
 * fflush(fp). Returns 0, or -1 if anything written failed (errno set), so
 * that a full disk is reported.
 */
int crm_out_end(struct crm_out *o);

/* crm_out_free: free the writer; NULL is a no-op. Does not end it. */
void crm_out_free(struct crm_out *o);

#endif
