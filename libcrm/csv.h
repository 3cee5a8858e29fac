/* csv.h: reading CSV and TSV as spreadsheets and other tools write them,
 * over libcsv: header row, sniffed delimiter, line numbers for messages. */
#ifndef CRM_CSV_H
#define CRM_CSV_H

#include <stddef.h>
#include <stdio.h>

struct crm_buf;

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

/*
 * Encodings. crm_csv_open reads UTF-8 (a UTF-8 BOM skipped, anything else
 * an error). crm_csv_set_encoding, called before the first read, chooses
 * another: CRM_ENC_AUTO reads UTF-16LE when the file starts with its BOM
 * (Excel's "Unicode Text"), UTF-8 after a UTF-8 BOM or when the bytes are
 * UTF-8 (a file with well-formed UTF-8 characters and a bad byte is UTF-8
 * with an error), else Windows-1252 (which reads ISO-8859-1 text the same
 * but for 0x80..0x9F). An explicit 8-bit encoding or UTF-16LE is converted
 * to UTF-8 before parsing. With UTF-16 and a tab, quotes work as in CSV
 * (Excel writes them); UTF-8 TSV keeps the TSV rules above.
 */
enum crm_enc {
	CRM_ENC_AUTO,
	CRM_ENC_UTF8,
	CRM_ENC_CP1252,
	CRM_ENC_LATIN1,
	CRM_ENC_LATIN9,
	CRM_ENC_UTF16LE
};

/* crm_enc_parse: "auto" "utf-8" "windows-1252" "cp1252" "iso-8859-1"
 * "latin1" "iso-8859-15" "latin9" "utf-16le" "utf-16" (any case) to *enc;
 * 0, or -1 if unknown. crm_enc_name: the canonical name (static). */
int crm_enc_parse(const char *name, enum crm_enc *enc);
const char *crm_enc_name(enum crm_enc enc);

/* crm_csv_set_encoding: see above; before the first crm_csv_read. */
void crm_csv_set_encoding(struct crm_csv *r, enum crm_enc enc);

/* What a file looked like, so that rows can be written back in its
 * dialect: delimiter, encoding (as decided so far; UTF-8 while only ASCII
 * was read), a BOM, CRLF or CR-only line ends, a sep= line, TSV rules. */
struct crm_dialect {
	int delim;
	enum crm_enc enc;
	int bom, crlf, cr, sepline, tsv;
};

/* crm_csv_dialect: the reader's dialect (valid after the first read). */
void crm_csv_dialect(const struct crm_csv *r, struct crm_dialect *d);

/* crm_csv_offset: the number of input bytes read so far. */
long long crm_csv_offset(const struct crm_csv *r);

/* crm_csv_sha256: the SHA-256 of the input bytes read so far (all of them
 * once crm_csv_read returned 0) as hex; call once. */
void crm_csv_sha256(struct crm_csv *r, char hex[65]);

/*
 * crm_csv_encode: append UTF-8 text s[0..n) to b in encoding enc
 * (characters enc cannot hold become '?'; AUTO is UTF-8). Returns 0, or -1
 * when out of memory.
 */
int crm_csv_encode(enum crm_enc enc, const char *s, size_t n,
    struct crm_buf *b);

/* crm_csv_close: free the reader; NULL is a no-op. Does not fclose(). */
void crm_csv_close(struct crm_csv *r);

/*
 * crm_csv_column: index of the header field that names col (ASCII case,
 * spaces, '-' and '_' ignored: "E-Mail" matches "email"), or -1.
 */
int crm_csv_column(char *const *hdr, size_t n, const char *col);

#endif
