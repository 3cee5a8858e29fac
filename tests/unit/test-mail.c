/* test-mail.c: unit tests for libcrm/mail.c, reading email messages:
 * headers, RFC 2047 words, From forms, dates, MIME walking, charsets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "tap.h"

/* parse: crm_mail_parse on the string s; returns its result. */
static int parse(const char *s, struct crm_mail *m, const char **why)
{
	*why = NULL;
	return crm_mail_parse(s, strlen(s), m, why);
}

/* slurp: the contents of file path (tests run from the repository root),
 * in a malloc'd buffer with its length in *n; NULL when unreadable. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)len + 1)) &&
	    fread(s, 1, (size_t)len, f) == (size_t)len) {
		*n = (size_t)len;
		s[len] = '\0';
	} else {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* subject_of: the decoded subject of a message whose Subject: field value
 * is v; "(error)" when the message does not parse. Uses a static buffer. */
static const char *subject_of(const char *v)
{
	static char out[256];
	char msg[512];
	struct crm_mail m;
	const char *why;

	snprintf(msg, sizeof msg, "From: a@b.de\nSubject: %s\n\nx\n", v);
	if (parse(msg, &m, &why) == -1)
		return "(error)";
	snprintf(out, sizeof out, "%s", m.subject ? m.subject : "(null)");
	crm_mail_clear(&m);
	return out;
}

/* check_from: parse "From: v" and compare address and display name. */
static void check_from(const char *v, const char *addr, const char *name)
{
	char msg[512];
	struct crm_mail m;
	const char *why;

	snprintf(msg, sizeof msg, "From: %s\nSubject: x\n\nbody\n", v);
	if (!ok(parse(msg, &m, &why) == 0, "From: %s parses", v))
		return;
	is_str(m.from, addr, "  address of %s", v);
	is_str(m.from_name, name, "  name of %s", v);
	crm_mail_clear(&m);
}

/* date_of: the parsed date of a message with Date: v (NULL: no Date). */
static int64_t date_of(const char *v)
{
	char msg[512];
	struct crm_mail m;
	const char *why;
	int64_t d;

	if (v)
		snprintf(msg, sizeof msg, "From: a@b.de\nDate: %s\n\nx\n", v);
	else
		snprintf(msg, sizeof msg, "From: a@b.de\n\nx\n");
	if (parse(msg, &m, &why) == -1)
		return 0;
	d = m.date;
	crm_mail_clear(&m);
	return d;
}

/* body_of: the body of message s as a static copy ("(null)" if none). */
static const char *body_of(const char *s)
{
	static char out[1024];
	struct crm_mail m;
	const char *why;

	if (parse(s, &m, &why) == -1)
		return "(error)";
	snprintf(out, sizeof out, "%s", m.body ? m.body : "(null)");
	crm_mail_clear(&m);
	return out;
}

static void test_simple(void)
{
	struct crm_mail m;
	const char *why;

	is_int(parse("From: anna@example.de\r\n"
	    "To: service@shop.test\r\n"
	    "Subject: Lieferung\r\n"
	    "Date: Thu, 26 Nov 2026 10:15:00 +0100\r\n"
	    "Message-ID: <abc.123@example.de>\r\n"
	    "\r\n"
	    "Hallo,\r\n"
	    "wann kommt die Lieferung?\r\n", &m, &why), 0, "simple CRLF message");
	is_str(m.from, "anna@example.de", "simple: from");
	is_str(m.from_name, NULL, "simple: no display name");
	is_str(m.subject, "Lieferung", "simple: subject");
	is_str(m.message_id, "abc.123@example.de", "simple: message id");
	is_int(m.date, 1795684500, "simple: date");
	is_str(m.body, "Hallo,\nwann kommt die Lieferung?\n",
	    "simple: body with LF line ends");
	crm_mail_clear(&m);
	is_str(m.from, NULL, "crm_mail_clear zeroes");
	crm_mail_clear(NULL);
	ok(1, "crm_mail_clear(NULL) is a no-op");
}

static void test_subjects(void)
{
	is_str(subject_of("Ihre Bestellung\n  vom 3. November"),
	    "Ihre Bestellung vom 3. November", "folded subject");
	is_str(subject_of("Ihre\n\tBestellung"), "Ihre Bestellung",
	    "subject folded with a tab");
	is_str(subject_of("=?UTF-8?Q?Naht_gerissen_=C3=A4?="),
	    "Naht gerissen ä", "Q-encoded UTF-8");
	is_str(subject_of("=?ISO-8859-1?B?R3L832UgYXVzIEv2bG4=?="),
	    "Grüße aus Köln", "B-encoded ISO-8859-1");
	is_str(subject_of("=?utf-8?q?Naht_?= =?utf-8?q?gerissen?="),
	    "Naht gerissen", "adjacent encoded words joined without the space");
	is_str(subject_of("=?UTF-8?Q?Naht?=\n =?UTF-8?Q?gerissen?="),
	    "Nahtgerissen", "encoded words across a fold joined");
	is_str(subject_of("=?UTF-8?Q?K=C3?= =?UTF-8?Q?=BCche?="),
	    "Küche", "a character split between two encoded words");
	is_str(subject_of("Re: =?UTF-8?B?S8O8Y2hl?= kaputt, =?utf-8?q?bitte?= anrufen"),
	    "Re: Küche kaputt, bitte anrufen", "mixed plain and encoded");
	is_str(subject_of("=?windows-1252?Q?Preis_100_=80?="), "Preis 100 €",
	    "windows-1252 encoded word");
	is_str(subject_of("=?UTF-8*de?Q?Gr=C3=BC=C3=9Fe?="), "Grüße",
	    "RFC 2231 language suffix");
	is_str(subject_of("50% =?off"), "50% =?off",
	    "a broken encoded word stays as it is");
	is_str(subject_of("Gr\xfc\xdf" "e"), "Gr\xef\xbf\xbd\xef\xbf\xbd" "e",
	    "raw non-UTF-8 header bytes become U+FFFD");
	is_str(subject_of("Gr\xc3\xbc\xc3\x9f" "e"), "Grüße",
	    "raw UTF-8 header kept");
	is_str(subject_of(""), "(null)", "empty subject is NULL");
}

static void test_from(void)
{
	struct crm_mail m;
	const char *why;

	check_from("\"Anna Müller\" <Anna@Example.DE>", "Anna@Example.DE",
	    "Anna Müller");
	check_from("=?UTF-8?Q?Anna_M=C3=BCller?= <a@b.de>", "a@b.de",
	    "Anna Müller");
	check_from("anna@b.de (Anna)", "anna@b.de", "Anna");
	check_from("anna@b.de", "anna@b.de", NULL);
	check_from("<anna@b.de>", "anna@b.de", NULL);
	check_from("Anna Mueller <anna@b.de>", "anna@b.de", "Anna Mueller");
	check_from("\"M\\\"uller, Anna\" < anna@b.de >", "anna@b.de",
	    "M\"uller, Anna");
	check_from("Müller, Anna <anna@b.de>", "anna@b.de", "Müller, Anna");
	check_from("anna@b.de, bernd@c.de", "anna@b.de", NULL);
	check_from("\"A\" <a@b.de>, \"B\" <b@c.de>", "a@b.de", "A");
	check_from("\"=?iso-8859-1?q?J=F6rg?=\" <j@x.de>", "j@x.de", "Jörg");
	check_from("<anna@b.de> (Anna Amsel)", "anna@b.de", "Anna Amsel");

	is_int(parse("Subject: hi\n\nbody\n", &m, &why), -1, "missing From");
	is_str(why, "no From: header", "missing From: message");
	is_str(m.subject, NULL, "failure leaves m empty");
	is_int(parse("From: \nSubject: hi\n\nbody\n", &m, &why), -1,
	    "empty From");
	is_str(why, "no From: header", "empty From: message");
}

static void test_dates(void)
{
	is_int(date_of("Thu, 26 Nov 2026 10:15:00 +0100"), 1795684500,
	    "date with day name and +0100");
	is_int(date_of("26 Nov 2026 10:15:00 -0500"), 1795706100,
	    "date without day name, -0500");
	is_int(date_of("Fri, 27 Nov 2026 08:00:00 GMT"), 1795766400,
	    "date in GMT");
	is_int(date_of("Fri, 27 Nov 2026 08:00:00 UT"), 1795766400,
	    "date in UT");
	is_int(date_of("Thu, 26 Nov 2026 10:15:00 +0100 (CET)"), 1795684500,
	    "date with trailing comment");
	is_int(date_of("1 Mar 2024 00:00 +0000"), 1709251200,
	    "date without seconds");
	is_int(date_of("Thu,  29 Feb 2024 23:59:59 EST"), 1709269199,
	    "leap day, EST");
	is_int(date_of("5 Jan 99 12:00:00 +0000"), 915537600, "two-digit year");
	is_int(date_of("Thu, 26 November 2026 10:15:00 +0100"), 1795684500,
	    "full month name");
	is_int(date_of(NULL), INT64_MIN, "missing Date is INT64_MIN");
	is_int(date_of("gestern"), INT64_MIN, "garbage Date is INT64_MIN");
	is_int(date_of("30 Feb 2026 10:00:00 +0000"), INT64_MIN,
	    "impossible Date is INT64_MIN");
	is_int(date_of("29 Feb 2026 10:00:00 +0000"), INT64_MIN,
	    "29 Feb in a common year is INT64_MIN");
}

static void test_mime(void)
{
	char deep[4096];
	size_t n, i;

	/* 30 nested multiparts; the text inside is below the depth limit */
	n = (size_t)snprintf(deep, sizeof deep, "From: a@b.de\n");
	for (i = 0; i < 30; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n,
		    "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n",
		    i, i);
	snprintf(deep + n, sizeof deep - n, "\ntoo deep\n");

	is_str(body_of("From: a@b.de\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "\n"
	    "<p>HTML</p>\n"
	    "--b1\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n"
	    "Plain text.\n"
	    "--b1--\n"), "Plain text.",
	    "multipart/alternative: text/plain taken over text/html");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "Die K=C3=BCche ist sehr sch=\n"
	    "=C3=B6n, aber =3D teuer.=20\n"
	    "Zeile =\r\n"
	    "zwei=\n"), "Die Küche ist sehr schön, aber = teuer. \nZeile zwei",
	    "quoted-printable with soft line breaks");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: BASE64\n"
	    "\n"
	    "SGFsbG8gQW5uYSwNCmRpZSBMaWVmZXJ1bmcga29tbXQg\n"
	    "YW0gTW9udGFnLg0K\n"), "Hallo Anna,\ndie Lieferung kommt am Montag.\n",
	    "base64 body");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "Gr\xfc\xdf" "e, 5 \x80\n"), "Grüße, 5 €\n",
	    "iso-8859-1 to UTF-8 (0x80 read as in windows-1252)");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/plain; charset=\"Windows-1252\"\n"
	    "\n"
	    "\x80 \x84" "ja\x93 \x81\x8d\x8f\x90\x9d.\n"),
	    "€ „ja“ \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.\n",
	    "windows-1252, unassigned bytes become U+FFFD");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/plain; charset=iso-8859-15\n"
	    "\n"
	    "10 \xa4\n"), "10 €\n", "iso-8859-15");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/plain; charset=x-unknown\n"
	    "\n"
	    "K\xc3\xbc" "che K\xfc" "che\n"), "Küche K\xef\xbf\xbd" "che\n",
	    "unknown charset: valid UTF-8 kept, other bytes U+FFFD");
	is_str(body_of("From: a@b.de\n\nNUL\x01 ok\n"), "NUL  ok\n",
	    "no Content-Type is text/plain (a control character blanked)");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: multipart/mixed; boundary=x\n"
	    "\n"
	    "--x\n"
	    "Content-Type: text/plain\n"
	    "Content-Disposition: attachment; filename=a.txt\n"
	    "\n"
	    "attached\n"
	    "--x\n"
	    "\n"
	    "the body\n"
	    "--x--\n"), "the body",
	    "a text/plain attachment is skipped; a part without header is text");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: multipart/mixed; boundary=x\n"
	    "\n"
	    "--xy\n"
	    "--x\n"
	    "\n"
	    "--xy is not a delimiter\n"
	    "--x--\n"), "--xy is not a delimiter",
	    "a longer boundary is not a delimiter");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: multipart/mixed; boundary=x\n"
	    "\n"
	    "--x\n"
	    "\n"
	    "no closing delimiter\n"), "no closing delimiter\n",
	    "unterminated multipart");
	is_str(body_of(deep), "(null)", "multiparts nested too deep are ignored");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: application/pdf\n"
	    "\n"
	    "%PDF-1.4\n"), "(null)", "no text part: body is NULL");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<p>a &amp; b &lt;c&gt;&nbsp;d &#228;&#xFC; &foo;</p><p>x<br>y</p>"),
	    "a & b <c> d äü &foo;\n\nx\ny\n", "html entities and breaks");
	is_str(body_of("From: a@b.de\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<html><head><meta charset=utf-8><body>"
	    "<a href=\"x?a=1&amp;b=>2\">Link</a> &#12a; "
	    "<style>a{}<p>unclosed style</p>"),
	    "Link &#12a;\n", "html: unclosed head kept, unclosed style dropped");
}

static void test_files(void)
{
	struct crm_mail m;
	const char *why;
	size_t n;
	char *s;

	s = slurp("tests/data/mail/mixed.eml", &n);
	if (ok(s != NULL, "read tests/data/mail/mixed.eml") &&
	    is_int(crm_mail_parse(s, n, &m, &why), 0, "mixed.eml parses")) {
		is_str(m.from, "Anna@Example.DE", "mixed: from");
		is_str(m.from_name, "Anna Müller", "mixed: from name");
		is_str(m.subject,
		    "Reklamation: Naht gerissen (Bestellung 4711) – Foto",
		    "mixed: folded encoded subject");
		is_str(m.message_id, "20261126101500.4711@example.de",
		    "mixed: message id");
		is_int(m.date, 1795684500, "mixed: date");
		is_str(m.body, "Guten Tag,\n\ndie Naht an der Tasche ist nach "
		    "zwei Wochen gerissen. Ich möchte sie umtauschen. Foto "
		    "anbei.\n\nGrüße\nAnna Müller\n",
		    "mixed: plain part of the nested alternative");
		crm_mail_clear(&m);
	}
	free(s);

	s = slurp("tests/data/mail/html-only.eml", &n);
	if (ok(s != NULL, "read tests/data/mail/html-only.eml") &&
	    is_int(crm_mail_parse(s, n, &m, &why), 0, "html-only.eml parses")) {
		is_str(m.from_name, "Bernd Schulz", "html: from name");
		is_int(m.date, 1796677331, "html: date -0500");
		is_str(m.body, "Sehr geehrte Damen und Herren,\n\ndie Rechnung "
		    "über 80 € ist falsch & zu hoch: Artikel <4711> kostet nur "
		    "60 €.\n\nMit freundlichen Grüßen\nBernd Schulz\n",
		    "html: tags stripped, entities decoded, windows-1252");
		crm_mail_clear(&m);
	}
	free(s);
}

static void test_bad(void)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
	static const char nul[] = "From: a@b.de\nX-Bad: a\0b\n\nbody\n";
	struct crm_mail m;
	const char *why;

	is_int(crm_mail_parse("", 0, &m, &why), -1, "empty input");
	is_str(why, "not a mail message", "empty input: message");
	is_int(crm_mail_parse(png, sizeof png - 1, &m, &why), -1,
	    "binary garbage");
	is_str(why, "not a mail message", "binary garbage: message");
	is_int(parse("hello world\nFrom: a@b.de\n", &m, &why), -1,
	    "plain text is not mail");
	is_int(parse("\nFrom: a@b.de\n", &m, &why), -1,
	    "leading empty line is not mail");
	is_int(crm_mail_parse(nul, sizeof nul - 1, &m, &why), -1,
	    "NUL in the header");
	is_str(why, "not a mail message", "NUL in the header: message");

	is_int(parse("From: a@b.de\r\nSubject: only a header\r\n", &m, &why),
	    0, "header-only message");
	ok(m.body == NULL || m.body[0] == '\0', "header-only: empty body");
	is_str(m.subject, "only a header", "header-only: subject");
	crm_mail_clear(&m);

	is_int(parse("From MAILER-DAEMON Thu Nov 26 10:15:00 2026\n"
	    "from: a@b.de\nSUBJECT: x\n\nbody\n", &m, &why), 0,
	    "mbox From_ line skipped, names ignore case");
	is_str(m.from, "a@b.de", "mbox: from");
	is_str(m.subject, "x", "mbox: subject");
	crm_mail_clear(&m);

	is_int(parse("From : a@b.de\n\nx\n", &m, &why), 0,
	    "obsolete \"From :\" is no mbox line");
	is_str(m.from, "a@b.de", "obsolete From: address");
	crm_mail_clear(&m);
	is_int(crm_mail_parse(NULL, 0, &m, NULL), -1, "NULL input, NULL why");

	/* the message need not end in NUL: parse a prefix of a longer string */
	is_int(crm_mail_parse("From: a@b.de\n\nbodyXXXX", 18, &m, &why), 0,
	    "length respected");
	is_str(m.body, "body", "length respected: body");
	crm_mail_clear(&m);
}

/* test_controls: terminal escapes in a message do not survive parsing. */
static void test_controls(void)
{
	struct crm_mail m;
	const char *why;

	if (is_int(parse("From: \"Eve \x1b[2J\" <eve@example.org>\n"
	    "Subject: =?utf-8?q?hi=1B]0;owned=07=C2=9B?=\n\n"
	    "a\tb\x1b[31m\nc\r\n", &m, &why), 0, "a message with escapes parses")) {
		is_str(m.from_name, "Eve [2J", "name: ESC blanked");
		is_str(m.subject, "hi ]0;owned  ", "subject: ESC, BEL, CSI blanked");
		is_str(m.body, "a\tb [31m\nc\n", "body: tab and newline kept");
		crm_mail_clear(&m);
	}
}

int main(void)
{
	test_controls();
	test_simple();
	test_subjects();
	test_from();
	test_dates();
	test_mime();
	test_files();
	test_bad();
	return done();
}
