/* mail.h: reading one email message (RFC 5322, MIME) so that customer mail
 * can be filed as an event: sender, date, subject and plain-text body. */
#ifndef CRM_MAIL_H
#define CRM_MAIL_H

#include <stddef.h>
#include <stdint.h>

/* A parsed message. All strings are UTF-8, owned by the struct, freed with
 * crm_mail_clear(); a string is NULL when the message has no such part. */
struct crm_mail {
	char *from;        /* the sender's address only, "anna@example.de" */
	char *from_name;   /* the display name, decoded ("Anna Müller") */
	char *subject;     /* decoded (RFC 2047 encoded words) and unfolded */
	char *message_id;  /* without the angle brackets */
	char *body;        /* the first text/plain part, transfer-decoded
	                      (quoted-printable, base64) and converted to
	                      UTF-8 from its charset; CRLF made LF */
	int64_t date;      /* Unix seconds from Date:, or INT64_MIN */
};

/*
 * crm_mail_parse: parse the message msg[0..len). Header fields are unfolded;
 * names compared ignoring case. From: may be "Name <addr>", "addr (Name)" or
 * a bare address. Date: RFC 5322 ("Thu, 26 Nov 2026 10:15:00 +0100", day
 * name optional, obsolete zones such as GMT/UT/EST accepted). multipart
 * bodies (any subtype) are walked (nested too) for the first text/plain part; a message
 * with only text/html gets its tags stripped as a fallback. Charsets: UTF-8,
 * US-ASCII, ISO-8859-1/15, Windows-1252 (iconv(3)); others are kept as
 * they are when valid UTF-8, else bytes above 0x7f become U+FFFD.
 * Control characters (terminal escapes and the like: C0 and DEL, C1) in
 * the name, subject, message id and body become spaces; the body keeps
 * tab and newline.
 * Returns 0, or -1 with *why set (static text: "no From: header", "not a
 * mail message", "out of memory"). On failure m holds nothing to free.
 */
int crm_mail_parse(const char *msg, size_t len, struct crm_mail *m,
    const char **why);

/* crm_mail_clear: free the strings of m and zero it; NULL is a no-op. */
void crm_mail_clear(struct crm_mail *m);

#endif
