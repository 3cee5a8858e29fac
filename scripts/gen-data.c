/* gen-data.c: realistic synthetic customers and events, fast: plain CSV
 * (UTF-8, ISO dates) and German Excel CSV (';', Windows-1252, decimal
 * comma, DD.MM.YYYY, German headers and words, CRLF) of the same data.
 * Run through scripts/gen-data; see there for the usage. */
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t rs;

/* rnd: xorshift64*, uniform in [0, 1). */
static double rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (double)((rs * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int pick(int n)
{
	return (int)(rnd() * n);
}

static const char *first[] = { "Anna", "Ben", "Clara", "David", "Emma",
	"Felix", "Greta", "Hans", "Ida", "Jonas", "Karla", "Lukas", "Marie",
	"Noah", "Olga", "Paul", "Rita", "Sven", "Tina", "Uwe", "Vera",
	"Wilhelm", "Yvonne", "Zoe", "Jörg", "Günther", "Käthe", "Björn" };
static const char *firstmail[] = { "anna", "ben", "clara", "david", "emma",
	"felix", "greta", "hans", "ida", "jonas", "karla", "lukas", "marie",
	"noah", "olga", "paul", "rita", "sven", "tina", "uwe", "vera",
	"wilhelm", "yvonne", "zoe", "joerg", "guenther", "kaethe", "bjoern" };
static const char *last[] = { "Müller", "Schmidt", "Schneider", "Fischer",
	"Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch",
	"Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
	"Zimmermann", "Krüger", "Weiß", "Groß" };
static const char *city[] = { "Berlin", "Hamburg", "München", "Köln",
	"Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig", "Dortmund", "Essen",
	"Bremen", "Dresden" };
static const char *plz[] = { "10115", "20095", "80331", "50667", "60311",
	"70173", "40213", "04109", "44135", "45127", "28195", "01067" };
static const char *street[] = { "Hauptstraße", "Bahnhofstraße", "Gartenweg",
	"Schulstraße", "Lindenallee", "Bergstraße", "Kirchplatz", "Mühlenweg" };
#define NCAT 6
static const char *cat[NCAT] = { "jeans", "shirts", "shoes", "jackets",
	"socks", "accessories" };
static const int price[NCAT] = { 40, 20, 60, 90, 8, 25 };
/* With -y, how many days each category lasts (a customer's own cycle is
 * this times a log-normal factor of theirs). */
static const double lasts[NCAT] = { 90, 60, 120, 180, 30, 45 };
/* Purchases are made in a store, on the web or by phone (0..2);
 * campaigns go out by email, post or phone (camp[]). */
#define NCHAN 5
static const char *chan[NCHAN] = { "store", "web", "phone", "email", "post" };
static const char *chan_de[NCHAN] = { "Filiale", "Online", "Telefon", "email",
	"Brief" };
#define NCAMP 3
static const int camp[NCAMP] = { 3, 4, 2 };
/* Price levels: which part of each category's range a customer buys in. */
static const char *band_name[3] = { "budget", "mid", "premium" };
static const double band_level[3] = { 0.7, 1.0, 1.45 };
static const char *subj[] = { "Naht gerissen", "Falsche Größe geliefert",
	"Lieferung verspätet", "Farbe verblasst", "Reißverschluss defekt" };

#define T0 1735689600           /* 2025-01-01 UTC */
#define DAYS 690                /* until about 2026-11-20 */
static char iso[DAYS + 64][11], de[DAYS + 64][11];

/* cp1252: s (UTF-8, Latin-1 letters only) as Windows-1252 into out. */
static const char *cp1252(const char *s, char *out)
{
	char *d = out;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (p[0] == 0xC3 && p[1]) {
			*d++ = (char)(0xC0 + (p[1] & 0x3F));
			p += 2;
		} else if (p[0] == 0xE2 && p[1] == 0x82 && p[2] == 0xAC) {
			*d++ = (char)0x80;
			p += 3;
		} else {
			*d++ = (char)*p++;
		}
	}
	*d = '\0';
	return out;
}

/* money: cents as "1234.56" or, German, "1.234,56". */
static const char *money(long c, int german, char *b)
{
	long e = c / 100, r = c % 100;

	if (german && e >= 1000)
		sprintf(b, "%ld.%03ld,%02ld", e / 1000, e % 1000, r);
	else
		sprintf(b, german ? "%ld,%02ld" : "%ld.%02ld", e, r);
	return b;
}

static FILE *cf, *ef, *cd, *ed, *tf;

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(73);
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return fp;
}

/* event: one event row in both files. day is a day index; cents and
 * disc (the discount) < 0 for none. */
static void event(const char *ref, int day, const char *kind,
    const char *kind_de, int ch, long cents, long disc, int c, int product,
    int rating, int sub, int status, const char *eref)
{
	char m[32], m2[32], d[32], d2[32], s2[64];

	if (day >= DAYS + 60)
		day = DAYS + 59;
	if (ef)
		fprintf(ef, "%s,%s,%s,%s,%s,%s,%s,%s,%s%s%.0d,%s,%.0d,%s,%s,%s\n",
		    ref, iso[day], kind, ch >= 0 ? chan[ch] : "",
		    cents >= 0 ? money(cents, 0, m) : "",
		    disc >= 0 ? money(disc, 0, d) : "", cents >= 0 ? "EUR" : "",
		    c >= 0 ? cat[c] : "", product > 0 ? cat[c] : "",
		    product > 0 ? "-" : "", product, product > 0 ? "1" : "",
		    rating, sub >= 0 ? subj[sub] : "",
		    status < 0 ? "" : status ? "closed" : "open", eref);
	if (ed)
		fprintf(ed, "%s;%s;%s;%s;%s;%s;%s;%s;%s%s%.0d;%s;%.0d;%s;%s;%s\r\n",
		    ref, de[day], kind_de, ch >= 0 ? chan_de[ch] : "",
		    cents >= 0 ? money(cents, 1, m2) : "",
		    disc >= 0 ? money(disc, 1, d2) : "", cents >= 0 ? "EUR" : "",
		    c >= 0 ? cat[c] : "", product > 0 ? cat[c] : "",
		    product > 0 ? "-" : "", product, product > 0 ? "1" : "",
		    rating, sub >= 0 ? cp1252(subj[sub], s2) : "",
		    status < 0 ? "" : status ? "erledigt" : "offen", eref);
}

int main(int argc, char **argv)
{
	long n = 1000, per = 10, seed = 1, i;
	const char *dir, *fmt = "both", *truth = NULL;
	int o, d, cycles = 0;

	while ((o = getopt(argc, argv, "c:e:s:f:t:y")) != -1) {
		switch (o) {
		case 'c': n = atol(optarg); break;
		case 'e': per = atol(optarg); break;
		case 's': seed = atol(optarg); break;
		case 'f': fmt = optarg; break;
		case 't': truth = optarg; break;
		case 'y': cycles = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 1 || n < 0 || per < 0 || (strcmp(fmt, "both") &&
	    strcmp(fmt, "plain") && strcmp(fmt, "de")))
		goto usage;
	dir = argv[optind];
	mkdir(dir, 0777);
	rs = 0x9E3779B97F4A7C15ull ^ (uint64_t)seed * 0xBF58476D1CE4E5B9ull;
	if (rs == 0)
		rs = 1;
	for (d = 0; d < DAYS + 64; d++) {
		time_t t = T0 + (time_t)d * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(iso[d], sizeof(iso[d]), "%Y-%m-%d", &tm);
		strftime(de[d], sizeof(de[d]), "%d.%m.%Y", &tm);
	}
	if (strcmp(fmt, "de") != 0) {
		cf = open_out(dir, "customers.csv");
		ef = open_out(dir, "events.csv");
		fputs("ref,first_name,last_name,email,phone,street,postal_code,"
		    "city,country,tags,consent_newsletter,consent_post\n", cf);
		fputs("ref,at,kind,channel,amount,discount,currency,category,"
		    "product,quantity,rating,subject,status,event_ref\n", ef);
	}
	if (strcmp(fmt, "plain") != 0) {
		cd = open_out(dir, "customers-de.csv");
		ed = open_out(dir, "events-de.csv");
		fputs("Kundennummer;Vorname;Nachname;E-Mail;Telefon;Stra\xdf" "e;"
		    "PLZ;Ort;Land;Tags;Newsletter;Werbung Post\r\n", cd);
		fputs("Kundennummer;Datum;Art;Kanal;Betrag;Rabatt;W\xe4hrung;"
		    "Warengruppe;Artikel;Menge;Bewertung;Betreff;Status;"
		    "Bestellnummer\r\n", ed);
	}
	if (truth) {
		if ((tf = fopen(truth, "w")) == NULL) {
			perror(truth);
			return 73;
		}
		fputs(cycles ? "ref,favourite_category,price_band,channel,"
		    "discount_buyer,cycle_days\n" : "ref,favourite_category,"
		    "price_band,channel,discount_buyer\n", tf);
	}
	for (i = 1; i <= n; i++) {
		char ref[24], mail[64], phone[16], st[64], b1[64], b2[64], b3[64];
		char eref[48];
		int f = pick(28), l = pick(22), c = pick(12), k, day, ch;
		int nl = rnd() < 0.6, po = rnd() < 0.8, vip = rnd() < 0.1;
		int reach[NCAMP] = { nl, po, 1 };      /* email, post, phone */
		int fav = pick(NCAT), pch = pick(3), resp, band = pick(3);
		int deal = rnd() < 0.25;                /* buys mostly on discount */
		double rhythm = 20 + rnd() * 100;       /* days between purchases */
		int alive = rnd() < 0.7, slot = pick(NCAMP);
		long span = alive ? DAYS : (long)(DAYS * (0.2 + rnd() * 0.6));
		double t = rnd() * 120, next_camp = 20 + rnd() * 40;
		double cycle = 0, tfav = 0;
		long order = 0, m;

		/* the campaign channel they answer most, one that reaches them */
		while (!reach[resp = pick(NCAMP)])
			;
		/* -y: the favourite is bought on a cycle of the customer's own,
		 * the category's lasting time times exp(0.35 N(0, 1)), each time
		 * within 10 % of it; the other purchases come at half the rate
		 * of the customer's rhythm, in the other categories */
		if (cycles) {
			double u1 = rnd(), u2 = rnd();

			cycle = lasts[fav] * exp(0.35 * sqrt(-2 * log(1 - u1)) *
			    cos(6.283185307179586 * u2));
			tfav = t + rnd() * cycle;
		}
		if (tf && cycles)
			fprintf(tf, "K%06ld,%s,%s,%s,%s,%.0f\n", i, cat[fav],
			    band_name[band], chan[camp[resp]], deal ? "yes" : "no",
			    cycle);
		else if (tf)
			fprintf(tf, "K%06ld,%s,%s,%s,%s\n", i, cat[fav],
			    band_name[band], chan[camp[resp]], deal ? "yes" : "no");

		snprintf(ref, sizeof(ref), "K%06ld", i);
		snprintf(mail, sizeof(mail), "%s.%ld@example.org", firstmail[f], i);
		snprintf(phone, sizeof(phone), "030 %07d", pick(9999999));
		snprintf(st, sizeof(st), "%s %d", street[pick(8)], pick(120) + 1);
		if (cf)
			fprintf(cf, "%s,%s,%s,%s,%s,%s,%s,%s,DE,%s,%s,%s\n", ref,
			    first[f], last[l], mail, phone, st, plz[c], city[c],
			    vip ? "vip" : "", nl ? "yes" : "no", po ? "yes" : "no");
		if (cd)
			fprintf(cd, "%s;%s;%s;%s;%s;%s;%s;%s;DE;%s;%s;%s\r\n", ref,
			    cp1252(first[f], b1), cp1252(last[l], b2), mail, phone,
			    cp1252(st, b3), plz[c], cp1252(city[c], b1 + 32),
			    vip ? "vip" : "", nl ? "ja" : "nein", po ? "ja" : "nein");
		/* About per events on average, but customers differ as in real
		 * shops: many buy once, a few very often (an exponential number
		 * of repeat events); dead customers stop at the end of their
		 * span. The rhythm is scaled so that the events fit the span. */
		m = per > 0 ? 1 + (long)(-log(1 - rnd()) * (double)(per - 1)) : 0;
		if (m > 0 && rhythm * (double)m * 0.7 > (double)span)
			rhythm = (double)span / ((double)m * 0.7);
		/* Purchases: mostly the favourite category, mostly at the
		 * customer's price level (the list price, with some noise), a
		 * discount on most of a deal hunter's purchases and on a few
		 * of everybody else's. Campaigns: one every 45 days, by email,
		 * post and phone in turn, to those it reaches; answered more
		 * often on the customer's channel. */
		for (k = 0; k < m; ) {
			/* -y: the favourite when it is due, else another */
			int isfav = cycles && tfav <= t;
			int ct = !cycles ? (rnd() < 0.6 ? fav : pick(NCAT)) :
			    isfav ? fav : (fav + 1 + pick(NCAT - 1)) % NCAT;
			double now = isfav ? tfav : t;
			int b = rnd() < 0.85 ? band : pick(3);
			long list = (long)(price[ct] * band_level[b] *
			    (0.88 + rnd() * 0.24) * 100);
			long disc = rnd() < (deal ? 0.7 : 0.12) ?
			    (long)(list * (0.1 + rnd() * 0.15)) : 0;
			long cents = list - disc;
			double r;

			day = (int)now;
			if (now >= next_camp && k < m) {
				int cc = slot++ % NCAMP;

				next_camp += 45;
				if (!reach[cc])
					continue;
				snprintf(eref, sizeof(eref), "NL-%d",
				    (int)(next_camp - 45) / 45);
				event(ref, (int)next_camp - 45, "campaign_sent",
				    "Mailing", camp[cc], -1, -1, -1, 0, 0, -1, -1,
				    eref);
				k++;
				if (k < m && rnd() < (cc == resp ? 0.35 : 0.07)) {
					event(ref, (int)next_camp - 43,
					    "campaign_response", "Mailingreaktion",
					    camp[cc], -1, -1, -1, 0, 0, -1, -1, eref);
					k++;
				}
				continue;
			}
			if (k >= m)
				break;
			if (isfav)
				tfav += cycle * (0.9 + 0.2 * rnd());
			ch = rnd() < 0.7 ? pch : pick(NCHAN - 1);
			snprintf(eref, sizeof(eref), "B-%ld-%ld", i, ++order);
			event(ref, day, "purchase", "Kauf", ch, cents, disc, ct,
			    pick(20) + 1, 0, -1, -1, eref);
			k++;
			r = rnd();
			if (r < 0.06 && k < m) {
				event(ref, day + 5, "return", "Retoure", ch, cents, disc,
				    ct, 0, 0, -1, -1, eref);
				k++;
			} else if (r < 0.10 && k < m) {
				event(ref, day + 3, "complaint", "Reklamation", ch, -1,
				    -1, ct, 0, 0, pick(5), rnd() < 0.7, eref);
				k++;
			} else if (r < 0.16 && k < m) {
				event(ref, day + 10, "review", "Bewertung", 1, -1, -1, ct,
				    0, b == 2 ? 3 + pick(3) : 1 + pick(5), -1, -1, eref);
				k++;
			}
			if (!cycles)
				t += rhythm * (0.5 + rnd());
			else if (!isfav)
				t += 2 * rhythm * (0.5 + rnd());
			if ((cycles ? fmin(t, tfav) : t) >= span)
				break;
		}
	}
	if ((cf && fclose(cf)) || (ef && fclose(ef)) || (cd && fclose(cd)) ||
	    (ed && fclose(ed)) || (tf && fclose(tf))) {
		perror("gen-data");
		return 74;
	}
	return 0;
usage:
	fprintf(stderr, "usage: gen-data [-y] [-c customers] "
	    "[-e events-per-customer] [-s seed] [-f plain|de|both] "
	    "[-t truth.csv] dir\n");
	return 64;
}
