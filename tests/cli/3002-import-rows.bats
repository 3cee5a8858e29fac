#!/usr/bin/env bats
# crm-import: matching, modes, rejects and their round trip, idempotence,
# all or nothing, --strict, --dry-run, batches and --undo.

load helper

IMP="$DATA/import"

@test "rows that fail go to the reject file with line and reason; good rows commit; exit 65" {
	cp "$IMP/mixed.csv" .
	run crm-import mixed.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"mixed.csv:3: invalid email \"ben@\""* ]]
	[[ "$output" == *"1 added"*"6 rejected (in mixed.rejects.csv)"* ]]
	[ "$(sql 'SELECT ref FROM customers')" = K1 ]
	run cat mixed.rejects.csv
	expect_text 'ref,name,email,at,kind,amount,reject_line,reject_reason
K2,Ben Beck,ben@,2026-11-20,purchase,10,3,"invalid email ""ben@"": bad domain in email address"
K3,Cleo Cox,cleo@example.de,01/02/2026,purchase,10,4,"invalid date ""01/02/2026"": ambiguous date, use --date-format (give date-format in a mapping file)"
K4,Dora Dix,dora@example.de,2026-11-20,purchase,"1,234",5,"invalid amount ""1,234"": ambiguous amount, thousands or decimals (give decimal in a mapping file)"
K5,Emil Eck,emil@example.de,2026-11-20,purchse,5,6,"unknown kind ""purchse""; kinds are: purchase, return, complaint, service, callback, email_in, email_out, letter_in, letter_out, call, survey, review, cart_abandoned, campaign_sent, campaign_response, note (or map it in a mapping file)"
K6,Fred Fox,fred@example.de,2026-11-21,purchase,7.50,7,"7 fields, the header has 6",extra
K7,Gina Gul,,,,,8,"2 fields, the header has 6"'
}

@test "rejects round trip: fix the reject file and import it again" {
	cp "$IMP/mixed.csv" .
	run crm-import mixed.csv
	[ "$status" -eq 65 ]
	sed -e 's/ben@,/ben@example.de,/' -e 's|01/02/2026|2026-02-01|' \
	    -e 's/"1,234"/1234/' -e 's/purchse/purchase/' -e 's/,extra$//' \
	    -e 's/^K7,Gina Gul,,,,,/K7,Gina Gul,gina@example.de,2026-11-22,note,,/' \
	    mixed.rejects.csv >fixed.csv
	run crm-import --rejects again.csv fixed.csv
	[ "$status" -eq 0 ] || { echo "$output"; cat again.csv; false; }
	[ ! -e again.csv ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 7 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 7 ]
	[ "$(sql "SELECT attrs FROM customers WHERE ref = 'K2'")" = "{}" ]
}

@test "the reject file of a German Excel file is German Excel too" {
	printf 'Kundennummer;Name;E-Mail\r\nK1;J\366rg Wei\337;falsch\r\n' >de.csv
	run crm-import de.csv
	[ "$status" -eq 65 ]
	printf 'Kundennummer;Name;E-Mail;reject_line;reject_reason\r\nK1;J\366rg Wei\337;falsch;2;"invalid email ""falsch"": email address needs exactly one '"'"'@'"'"'"\r\n' >want.csv
	cmp want.csv de.rejects.csv || { od -c de.rejects.csv | head; false; }
}

@test "importing the same files twice changes nothing the second time" {
	scripts="$CRM_ROOT/scripts"
	"$scripts/gen-data" -c 30 -e 6 -s 3 .
	crm-import -q customers.csv events.csv
	sql "SELECT * FROM customers ORDER BY id; SELECT * FROM events ORDER BY id; SELECT * FROM consents ORDER BY id; SELECT * FROM tags" >before.txt
	run crm-import customers.csv events.csv
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"customers 0 created, 0 updated, 30 unchanged; events 0 added, 0 already present; 0 rejected; nothing changed"* ]]
	[[ "${lines[1]}" == *"customers 0 created, 0 updated, 0 unchanged; events 0 added, "*" already present; 0 rejected; nothing changed"* ]]
	sql "SELECT * FROM customers ORDER BY id; SELECT * FROM events ORDER BY id; SELECT * FROM consents ORDER BY id; SELECT * FROM tags" >after.txt
	diff before.txt after.txt
}

@test "events into an empty table: the indexes are built again, the same as before; a repeated event is stored twice" {
	idx="SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
	printf 'ref\n' | crm-import -q -
	sql "$idx" >before.txt
	printf 'ref,at,kind,amount,status\nK1,2026-11-01,purchase,10,\nK1,2026-11-01,purchase,10,\nK1,2026-11-02,complaint,,\nK2,2026-11-03,complaint,,closed\n' >ev.csv
	run crm-import ev.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"events 4 added, 0 already present"* ]]
	sql "$idx" >after.txt
	diff before.txt after.txt
	[ "$(sql "PRAGMA integrity_check")" = ok ]
	[ "$(sql "SELECT count(*) FROM events INDEXED BY events_open WHERE status = 'open' AND due_at IS NULL")" = 1 ]
	run crm-import ev.csv
	[[ "$output" == *"events 0 added, 4 already present"* ]]
	[ "$(sql 'SELECT count(*) FROM events')" = 4 ]
}

@test "all or nothing: events killed in the middle of a load into an empty table leave the indexes" {
	"$CRM_ROOT/scripts/gen-data" -c 5000 -e 10 -s 6 .
	crm-import -q customers.csv
	idx="SELECT name, sql FROM sqlite_master ORDER BY name"
	sql "$idx" >before.txt
	crm-import --progress events.csv 2>progress.txt &
	pid=$!
	for i in $(seq 500); do
		[ -s progress.txt ] && break
		sleep 0.01
	done
	[ -s progress.txt ]
	kill -9 $pid
	wait $pid || true
	sql "$idx" >after.txt
	diff before.txt after.txt
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
	[ "$(sql "PRAGMA integrity_check")" = ok ]
}

@test "German Excel export of the generated data imports the same as plain CSV" {
	"$CRM_ROOT/scripts/gen-data" -c 20 -e 5 -s 4 .
	crm-import -q customers.csv events.csv
	crm-import -q -d de.db customers-de.csv events-de.csv
	q="SELECT c.ref, c.first_name, c.last_name, c.email, c.street, c.city, e.at, e.kind, e.amount_cents, e.category FROM events e JOIN customers c ON c.id = e.customer_id ORDER BY e.id"
	[ "$(sql "$q")" = "$(sqlite3 de.db "$q")" ]
	[ "$(sql 'SELECT count(*) FROM events')" -gt 20 ]
}

@test "discounts: English and German headers, a mapping file, bad ones rejected" {
	printf 'Kundennummer;Datum;Art;Betrag;Rabatt\r\nK1;20.11.2026;Kauf;49,90;10,00\r\nK1;21.11.2026;Kauf;49,90;\r\nK1;22.11.2026;Kauf;20,00;0\r\nK1;23.11.2026;Kauf;20,00;-5\r\nK1;24.11.2026;Kauf;20,00;viel\r\nK1;25.11.2026;Kauf;20,00 \200;2 USD\r\n' >de.csv
	run crm-import de.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *'de.csv:5: invalid discount -5.00: the amount taken off the price, not negative'* ]]
	[[ "$output" == *'de.csv:6: invalid discount "viel": not an amount'* ]]
	[[ "$output" == *'de.csv:7: the discount "2 USD" is in USD, the amount in EUR'* ]]
	[[ "$output" == *"events 3 added, 0 already present; 3 rejected"* ]]
	# an empty cell is not known, 0 is no discount
	[ "$(sql "SELECT date(at, 'unixepoch'), amount_cents, quote(discount_cents) FROM events ORDER BY id")" = "2026-11-20|4990|1000
2026-11-21|4990|NULL
2026-11-22|2000|0" ]
	printf 'ref,date,kind,amount,discount\nK2,2026-11-20,purchase,10.00,2.50\n' >en.csv
	printf 'ref,date,kind,amount,Nachlass\nK3,2026-11-20,purchase,10.00,1.50\n' >nl.csv
	printf 'ref,date,kind,amount,Preisnachlass\nK4,2026-11-20,purchase,10.00,0.50\n' >pn.csv
	printf 'ref,date,kind,amount,Abzug\nK5,2026-11-20,purchase,10.00,3\n' >map.csv
	printf 'column Abzug discount\n' >map.map
	crm-import -q en.csv nl.csv pn.csv
	crm-import -q --map map.map map.csv
	[ "$(sql "SELECT c.ref, e.discount_cents FROM events e JOIN customers c ON c.id = e.customer_id WHERE c.ref > 'K1' ORDER BY c.ref")" = "K2|250
K3|150
K4|50
K5|300" ]
	run crm-import --dry-run en.csv
	[[ "$output" == *"present,K2,,,purchase 2026-11-20 10.00 discount 2.50"* ]]
}

@test "a file imported again with a discount column added adds no purchase twice" {
	printf 'ref,date,kind,amount,event_ref\nK1,2026-11-20,purchase,10.00,B-1\nK1,2026-11-21,purchase,20.00,B-2\n' >old.csv
	crm-import -q old.csv
	printf 'ref,date,kind,amount,event_ref,discount\nK1,2026-11-20,purchase,10.00,B-1,1.00\nK1,2026-11-21,purchase,20.00,B-2,\nK1,2026-11-22,purchase,30.00,B-3,3.00\n' >new.csv
	run crm-import new.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"events 1 added, 2 already present"* ]]
	[ "$(sql "SELECT ref, quote(discount_cents) FROM events ORDER BY id")" = "B-1|NULL
B-2|NULL
B-3|300" ]
}

@test "matching: ref, else email, else phone; empty cells never erase; duplicates merged" {
	add_anna
	printf 'ref,email,phone,city,company\n,ANNA@example.de,,Hamburg,\n,,030/1234567,,Müller GmbH\nK1,,,,\n' >m.csv
	run crm-import m.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"customers 0 created, 2 updated, 0 unchanged"* ]]
	run sql "SELECT ref, email, phone, city, company FROM customers"
	expect_text "K1|anna@example.de|+49301234567|Hamburg|Müller GmbH"
	printf 'ref,name,email\nK9,Ina Iser,ina@example.de\nK9,,ina@example.de\nK9,Ina Iser-Neu,\n' >d.csv
	run crm-import d.csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"customers 1 created, 0 updated"* ]]
	[ "$(sql "SELECT first_name, last_name FROM customers WHERE ref = 'K9'")" = "Ina|Iser-Neu" ]
}

@test "a row matching two customers is rejected as ambiguous; --match limits the keys" {
	add_anna
	crm-add -q --ref K2 --email ben@example.de >/dev/null
	printf 'ref,email,city\nK1,ben@example.de,Bonn\n' >a.csv
	run crm-import a.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *'a.csv:2: ambiguous: ref K1 is customer #1 but email ben@example.de is customer #2'* ]]
	printf 'email,phone,city\n,030 1234567,Bonn\n' >p.csv
	run crm-import --match ref,email p.csv
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM customers WHERE phone = '+49301234567'")" = 2 ]
	printf 'ref,phone,city\n,030 1234567,Ulm\n' >q.csv
	run crm-import q.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"ambiguous: phone +49301234567 belongs to several customers"* ]]
	run crm-import --match nope p.csv
	[ "$status" -eq 64 ]
}

@test "consent columns read yes and no as people write them, and a spreadsheet's check marks" {
	printf 'ref;Newsletter;Werbung Post\nK1;x;falsch\nK2;WAHR;nein\nK3;ja;0\nK4;vielleicht;\n' >c.csv
	run crm-import c.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *'c.csv:5: invalid consent_newsletter "vielleicht": yes or no'* ]]
	[ "$(sql "SELECT group_concat(c.ref || ':' || k.channel || '=' || k.granted, ' ') FROM consents k JOIN customers c ON c.id = k.customer_id ORDER BY k.id")" = "K1:newsletter=1 K1:post=0 K2:newsletter=1 K2:post=0 K3:newsletter=1 K3:post=0" ]
	# the check marks are the import's: crm-log and crm-add want words
	run crm-log K1 consent --channel sms --granted x
	[ "$status" -eq 64 ]
	run crm-add --ref K1 --update --consent sms=wahr
	[ "$status" -eq 64 ]
}

@test "--mode create and --mode update" {
	add_anna
	printf 'ref,city\nK1,Bonn\nK5,Köln\n' >c.csv
	run crm-import --mode create c.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"c.csv:2: customer K1 exists already"* ]]
	[ "$(sql "SELECT city FROM customers WHERE ref = 'K1'")" = Berlin ]
	[ "$(sql "SELECT city FROM customers WHERE ref = 'K5'")" = Köln ]
	printf 'ref,city\nK1,Bonn\nK6,Ulm\n' >u.csv
	run crm-import --mode update u.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"u.csv:3: no customer K6"* ]]
	[ "$(sql "SELECT city FROM customers WHERE ref = 'K1'")" = Bonn ]
}

@test "--strict commits nothing when a row is bad" {
	cp "$IMP/mixed.csv" .
	run crm-import --strict mixed.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"--strict: nothing stored"* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 0 ]
	[ "$(sql 'SELECT count(*) FROM batches')" = 0 ]
}

@test "--dry-run shows field by field what would change and stores nothing" {
	add_anna
	printf 'ref,city,at,kind,amount\nK1,Hamburg,2026-11-20,purchase,5\nK2,Bonn,,,\n' >d.csv
	run crm-import -n -q d.csv
	[ "$status" -eq 0 ]
	expect_text "line,action,customer,field,old,new
2,update,K1,city,Berlin,Hamburg
2,event,K1,,,purchase 2026-11-20 5.00
3,create,K2,ref,,K2
3,create,K2,city,,Bonn"
	[ "$(sql "SELECT city FROM customers WHERE ref = 'K1'")" = Berlin ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM batches')" = 0 ]
}

@test "--list shows batches; --undo restores old values and removes what was added" {
	add_anna
	crm-log -q K1 note --subject keep >/dev/null
	sql "SELECT * FROM customers" >before.txt
	printf 'ref,city,tags,consent_newsletter,at,kind\nK1,Hamburg,vip,ja,2026-11-20,purchase\nK2,Bonn,,nein,2026-11-21,purchase\n' >u.csv
	run crm-import u.csv
	[ "$status" -eq 0 ]
	run crm-import --list --format csv
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "1,u.csv,"*",2026-11-26T12:00:00,2026-11-26T12:00:00,tester,"*'""created"":1,""updated"":1'* ]]
	run crm-import --undo 1
	[ "$status" -eq 0 ]
	expect_text "crm-import: batch 1 undone: 1 customers deleted, 2 changes restored, 2 events deleted"
	sql "SELECT * FROM customers" >after.txt
	diff before.txt after.txt
	[ "$(sql 'SELECT count(*) FROM events')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM tags')" = 0 ]
	[ "$(sql 'SELECT count(*) FROM consents')" = 0 ]
	run crm-import --undo 1
	[ "$status" -eq 65 ]
	[[ "$output" == *"batch 1 was undone already"* ]]
	run crm-import --undo 7
	[ "$status" -eq 65 ]
}

@test "all or nothing: a file killed in the middle leaves the database as before" {
	"$CRM_ROOT/scripts/gen-data" -c 40000 -e 1 -s 5 .
	crm-add -q --ref X1 --city Berlin >/dev/null
	sql "SELECT * FROM customers" >before.txt
	crm-import --progress customers.csv 2>progress.txt &
	pid=$!
	# progress is reported every 4096 rows, inside the transaction
	for i in $(seq 500); do
		[ -s progress.txt ] && break
		sleep 0.01
	done
	[ -s progress.txt ]
	kill -9 $pid
	wait $pid || true
	sql "SELECT * FROM customers" >after.txt
	diff before.txt after.txt
	[ "$(sql 'SELECT count(*) FROM batches')" = 0 ]
}

@test "a file that cannot be read to its end imports nothing; the other files still do" {
	printf 'ref,email\nK1,a@example.de\nK2,"b@example.de\n' >broken.csv
	run crm-import broken.csv "$IMP/pipe.csv"
	[ "$status" -eq 65 ]
	[[ "${lines[0]}" == "crm-import: broken.csv:3: quote never closed (nothing imported from this file)" ]]
	[ "$(sql 'SELECT group_concat(ref) FROM customers')" = "K1,K2" ]
	[ "$(sql 'SELECT count(*) FROM batches')" = 1 ]
}

@test "standard input, summary silent with -q, usage errors" {
	printf 'ref\nK1\n' | crm-import -q - 2>err.txt
	[ ! -s err.txt ]
	[ "$(sql 'SELECT ref FROM customers')" = K1 ]
	run crm-import
	[ "$status" -eq 64 ]
	run crm-import --rejects r.csv a.csv b.csv
	[ "$status" -eq 64 ]
	run crm-import --kind nope x.csv
	[ "$status" -eq 64 ]
	run crm-import nosuchfile.csv
	[ "$status" -eq 66 ]
}
