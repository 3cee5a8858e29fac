# segment.bash: the fixture of the crm-segment tests (4xxx), loaded after
# helper.bash: twelve customers built with crm-add and crm-log, so that RFM
# scores, aggregates, consents and reachability can be worked out by hand.
# It is built once per file (setup_file) and copied for each test.
#
# Purchases (P) and returns (R), today being 2026-11-26 (CRM_NOW):
#   K01  P 2026-01-10 100, 06-01 100, 10-01 100, 11-20 100
#   K02  P 2026-01-01 50, 02-01 50, 05-01 50, 09-01 50, 11-20 50
#   K03  P 2026-11-01 300
#   K04  P 2026-03-15 80, 08-15 80, 10-15 80; R 10-20 80
#   K05  P 2026-04-01 40, 09-01 40
#   K06  P 2026-01-15 500, 03-01 500, 05-01 500, 07-01 500
#   K07  P 2026-06-15 20
#   K08  P 2026-02-01 60, 04-01 60
#   K09  P 2026-06-15 20          (the same as K07: a complete tie)
#   K10  P 2026-05-01 200, 11-01 100
#   K11  no purchases
#   K12  P 2026-11-20 999, then erased: never listed, never ranked
# The RFM scores are worked out in tests/data/segment/rfm-grid.csv's
# companion, 4001-segment-rfm.bats.

SEGDATA="$DATA/segment"

# fixture_build DB: make the fixture database at DB.
fixture_build() {
	local db=$1
	(
	export CRM_DB=$db
	a() { crm-add -q "$@" >/dev/null; }
	a --ref K01 --name "Anna Müller" --email k01@example.de --city Berlin \
	    --street "Hauptstr. 1" --postal-code 10115 --phone "030 111111" \
	    --tag vip --consent newsletter=yes --consent post=yes --set size=40
	a --ref K02 --name "Ben Becker" --email k02@example.de --city Hamburg \
	    --tag vip --consent newsletter=no --set size=38
	a --ref K03 --name "Clara Schmidt" --email k03@example.de --city Berlin \
	    --street "Weg 2" --consent post=yes
	a --ref K04 --name "David O'Brien" --email k04@example.de \
	    --city München --street "Platz 3" --postal-code 80331 \
	    --phone "089 444444" --consent post=yes --consent sms=yes
	a --ref K05 --name "Emma Weber" --phone "040 555555" --city Hamburg \
	    --consent newsletter=yes --consent phone=yes
	a --ref K06 --name "Felix Wolf" --email k06@example.de \
	    --company "Weber GmbH" --consent email=yes
	a --ref K07 --name "Greta Klein" --email k07@example.de
	a --ref K08 --name "Hans Braun" --email k08@example.de \
	    --consent newsletter=yes
	a --update --ref K08 --consent newsletter=no
	a --ref K09 --name "Ida Koch" --email k09@example.de
	a --ref K10 --name "Jonas Wolf" --email k10@example.de --city Berlin
	a --ref K11 --name "Karla Neumann" --email k11@example.de --city Berlin \
	    --consent newsletter=yes
	a --ref K12 --name "Erased Person" --email k12@example.de \
	    --consent newsletter=yes --city Berlin
	p() { crm-log -q "$1" purchase --amount "$3" --at "$2" >/dev/null; }
	p K01 2026-01-10 100; p K01 2026-06-01 100; p K01 2026-10-01 100
	p K01 2026-11-20 100
	p K02 2026-01-01 50; p K02 2026-02-01 50; p K02 2026-05-01 50
	p K02 2026-09-01 50; p K02 2026-11-20 50
	p K03 2026-11-01 300
	p K04 2026-03-15 80; p K04 2026-08-15 80; p K04 2026-10-15 80
	crm-log -q K04 return --amount 80 --at 2026-10-20 >/dev/null
	p K05 2026-04-01 40; p K05 2026-09-01 40
	p K06 2026-01-15 500; p K06 2026-03-01 500; p K06 2026-05-01 500
	p K06 2026-07-01 500
	p K07 2026-06-15 20
	p K08 2026-02-01 60; p K08 2026-04-01 60
	p K09 2026-06-15 20
	p K10 2026-05-01 200; p K10 2026-11-01 100
	p K12 2026-11-20 999
	l() { crm-log -q "$@" >/dev/null; }
	l K01 complaint --subject Naht --at 2026-11-22
	l K01 review --rating 5 --at 2026-11-21
	l K01 campaign_sent --ref autumn --at 2026-10-01
	l K01 campaign_response --ref autumn --at 2026-10-03
	l K02 complaint --status closed --at 2026-09-05
	l K02 review --rating 3 --at 2026-09-10
	l K02 review --rating 4 --at 2026-09-12
	l K06 callback --due +2d
	l K06 service --subject Reparatur
	l K07 email_in --subject Frage --at 2026-11-10
	l K11 complaint --subject Lieferung --at 2026-11-25
	l K11 cart_abandoned --at 2026-11-24
	)
	sqlite3 "$db" "UPDATE customers SET erased_at = 1795000000 WHERE ref = 'K12'"
}

setup_file() {
	export CRM_NOW=2026-11-26T12:00:00 CRM_USER=tester LC_ALL=C TZ=UTC
	FIXTURE_DIR=$(mktemp -d)
	export FIXTURE_DB="$FIXTURE_DIR/fixture.db"
	fixture_build "$FIXTURE_DB"
	sqlite3 "$FIXTURE_DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
}

teardown_file() {
	rm -rf "$FIXTURE_DIR"
}

# fixture: the fixture as this test's database.
fixture() {
	cp "$FIXTURE_DB" "$CRM_DB"
}

# refs ARGS...: the refs crm-segment ARGS selects, on one line.
refs() {
	crm-segment --columns ref "$@" | tail -n +2 | tr '\n' ' ' | sed 's/ $//'
}
