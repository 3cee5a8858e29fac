#!/usr/bin/env bats
# Personal data: consent history, erasure with crm-forget, refusal of
# forgotten people, subject access, audit, file modes.

load helper

anna_with_history() {
	crm-add -q --ref K1 --name "Anna Müller" --email anna@example.de \
	    --phone "030 1234567" --street "Lindenallee 7" --postal-code 10115 \
	    --city Berlin --note "mag Rot" --tag vip --consent newsletter=yes \
	    --set geburtstag=1980-01-01 >/dev/null
	crm-add -q --ref K2 --name "Ben Weber" --email ben@example.de >/dev/null
	crm-log -q K1 purchase --amount 59,90 --category jeans --at 2026-11-20 >/dev/null
	crm-log -q K1 purchase --amount 20 --category socks --at 2026-11-21 >/dev/null
	crm-log -q K2 purchase --amount 5 --category socks --at 2026-11-21 >/dev/null
	crm-log -q K1 complaint --subject "Anna Müller: Naht gerissen" \
	    --body "Lindenallee 7 anrufen" --at 2026-11-22 >/dev/null
}

@test "consent is a history; the latest entry is the current state" {
	anna_with_history
	run crm-log K1 consent --channel newsletter --granted no --source "Anruf 26.11."
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *',newsletter=no,'* ]]
	run sql "SELECT channel, granted, source FROM consents ORDER BY id"
	expect_text "newsletter|1|crm-add
newsletter|0|Anruf 26.11."
	crm-log -q K1 consent --channel post --granted yes >/dev/null
	[ "$(sql "SELECT source FROM consents WHERE channel = 'post'")" = crm-log ]
	run sh -c 'crm-add --tsv --update --ref K1 | cut -f14'
	[ "${lines[1]}" = "newsletter=no,post=yes" ]
}

@test "withdraw consent for everyone on an unsubscribe list" {
	anna_with_history
	crm-add -q --update --ref K2 --consent newsletter=yes >/dev/null
	printf 'email\nanna@example.de\nBEN@example.de\n' >unsub.csv
	crm-log -q - consent --channel newsletter --granted no --source unsub.csv <unsub.csv
	[ "$(sql "SELECT count(*) FROM consents WHERE granted = 0 AND source = 'unsub.csv'")" = 2 ]
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'consent.set'")" = 4 ]
}

@test "consent needs a channel and yes or no, and takes no event options" {
	anna_with_history
	run crm-log K1 consent --granted yes
	[ "$status" -eq 64 ]
	run crm-log K1 consent --channel newsletter --granted vielleicht
	[ "$status" -eq 64 ]
	run crm-log K1 consent --channel fax --granted yes
	[ "$status" -eq 65 ]
	run crm-log K1 consent --channel post --granted yes --amount 5
	[ "$status" -eq 64 ]
	run crm-log K1 note --granted yes
	[ "$status" -eq 64 ]
	[ "$(sql 'SELECT count(*) FROM consents')" = 1 ]
}

@test "crm-forget erases the person and keeps the statistics" {
	anna_with_history
	before=$(sql "SELECT count(*), sum(amount_cents) FROM events")
	sql "INSERT INTO predictions (customer_id, computed_at, p_alive) VALUES (1, 1, 0.5)"
	run crm-forget --reason "Antrag nach Art. 17" K1
	[ "$status" -eq 0 ]
	expect_text "id,erased,fields,events,tags,consents,audit,import_changes
1,yes,10,1,1,1,6,0"
	[ "$(sql "SELECT count(*), sum(amount_cents) FROM events")" = "$before" ]
	[ "$(sql "SELECT group_concat(category) FROM (SELECT category FROM events WHERE customer_id = 1 ORDER BY id)")" = "jeans,socks" ]
	[ "$(sql "SELECT coalesce(ref, first_name, last_name, email, phone, street, postal_code, city, notes), attrs, erased_at IS NOT NULL FROM customers WHERE id = 1")" = "|{}|1" ]
	[ "$(sql "SELECT count(*) FROM events WHERE subject IS NOT NULL OR body IS NOT NULL")" = 0 ]
	[ "$(sql "SELECT count(*) FROM tags")" = 0 ]
	[ "$(sql "SELECT count(*) FROM consents")" = 0 ]
	[ "$(sql "SELECT count(*) FROM predictions")" = 0 ]
	[ "$(sql "SELECT detail FROM audit WHERE action = 'customer.forget'")" = '{"reason":"Antrag nach Art. 17","fields":10,"events":1}' ]
	[ "$(sql "SELECT count(*) FROM audit WHERE customer_id = 1 AND action != 'customer.forget' AND (detail IS NOT NULL OR command LIKE '% %')")" = 0 ]
	# Ben is untouched
	[ "$(sql "SELECT email FROM customers WHERE id = 2")" = ben@example.de ]
}

@test "no trace of the person's strings is left in the database file or WAL" {
	anna_with_history
	crm-forget -q K1
	for s in "Müller" "anna@example.de" "+49301234567" "Lindenallee" "mag Rot" "1980-01-01" "Naht gerissen"; do
		! grep -qaF "$s" "$CRM_DB" || { echo "found $s in the database"; false; }
		[ ! -s "$CRM_DB-wal" ] || ! grep -qaF "$s" "$CRM_DB-wal" || { echo "found $s in the WAL"; false; }
	done
	grep -qaF "ben@example.de" "$CRM_DB"
}

@test "a forgotten person is refused by ref, email and phone; --allow-forgotten overrides" {
	anna_with_history
	crm-forget -q K1
	run crm-add --ref K1 --name "Anna Neu"
	[ "$status" -eq 65 ]
	[[ "$output" == *"ref K1 belongs to a person who was forgotten on 2026-11-26"* ]]
	run crm-add --ref K7 --email ANNA@Example.de
	[ "$status" -eq 65 ]
	run crm-add --ref K7 --phone "+49 30 1234567"
	[ "$status" -eq 65 ]
	run crm-add --update --ref K2 --email anna@example.de
	[ "$status" -eq 65 ]
	printf 'ref,email\nK8,anna@example.de\n' >in.csv
	run crm-add in.csv
	[ "$status" -eq 65 ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 2 ]
	run crm-add --allow-forgotten --ref K7 --email anna@example.de
	[ "$status" -eq 0 ]
	# she is a customer again; her email mark is gone, the ref mark stays
	crm-add -q --update --email anna@example.de --city Köln >/dev/null
	run crm-add --ref K1
	[ "$status" -eq 65 ]
}

@test "--dry-run shows what would go and changes nothing" {
	anna_with_history
	cp "$CRM_DB" before.db
	run crm-forget --dry-run K1
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "1,would be,10,1,1,1,6,0" ]
	[ "$(sql 'SELECT email FROM customers WHERE id = 1')" = anna@example.de ]
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'customer.forget'")" = 0 ]
}

@test "forgetting twice, nobody, or without a database are errors" {
	anna_with_history
	crm-forget -q K1
	run crm-forget '#1'
	[ "$status" -eq 65 ]
	[[ "$output" == *"was forgotten already on 2026-11-26"* ]]
	run crm-forget K404
	[ "$status" -eq 67 ]
	run crm-forget
	[ "$status" -eq 64 ]
	run crm-forget -d "$TMP/none.db" K1
	[ "$status" -eq 66 ]
}

@test "the card of an erased customer says so" {
	anna_with_history
	crm-forget -q K1
	run crm-show '#1'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "(erased on 2026-11-26) (#1)" ]
}

@test "subject access: the JSON export holds every table's rows for the person" {
	anna_with_history
	crm-log -q K1 consent --channel post --granted yes --source Formular >/dev/null
	sql "INSERT INTO predictions (customer_id, computed_at, p_alive, clv_cents) VALUES (1, 1795694400, 0.8, 12345)"
	crm-segment save berlin --where 'city = Berlin' >/dev/null
	crm-segment save jeans --where 'spend > 50' >/dev/null
	crm-segment save koeln --where 'city = Köln' >/dev/null
	crm-show --format json K1 >out.json
	q() { sqlite3 :memory: "SELECT $1 FROM (SELECT readfile('out.json') AS j)"; }
	[ "$(q "json_extract(j, '\$[0].email')")" = anna@example.de ]
	[ "$(q "json_array_length(j, '\$[0].events')")" = 3 ]
	[ "$(q "json_array_length(j, '\$[0].consent_history')")" = 2 ]
	[ "$(q "json_extract(j, '\$[0].consent_history[1].source')")" = Formular ]
	[ "$(q "json_extract(j, '\$[0].prediction.clv_cents')")" = 12345 ]
	[ "$(q "json_extract(j, '\$[0].prediction.computed_at')")" = 2026-11-26T12:00:00 ]
	[ "$(q "json_array_length(j, '\$[0].audit')")" = "$(sql 'SELECT count(*) FROM audit WHERE customer_id = 1')" ]
	[ "$(q "json_extract(j, '\$[0].tags')")" = vip ]
	[ "$(q "json_type(j, '\$[0].import_changes')")" = array ]
	[ "$(q "json_extract(j, '\$[0].segments')")" = '["berlin","jeans"]' ]
}

@test "every command that changes data leaves an audit entry" {
	anna_with_history
	crm-log -q --close 4 --note erledigt
	crm-log -q K1 consent --channel sms --granted yes
	crm-forget -q K2
	run sql "SELECT DISTINCT action FROM audit ORDER BY action"
	expect_text "consent.set
customer.create
customer.forget
event.close
event.create
tag.add"
	[ "$(sql "SELECT count(*) FROM audit WHERE user = 'tester'")" = "$(sql 'SELECT count(*) FROM audit')" ]
}

@test "a database that others may read is reported as a warning" {
	anna_with_history
	chmod 644 "$CRM_DB"
	run crm-show K1
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: $CRM_DB is readable or writable by others (mode 644)"* ]]
	chmod 600 "$CRM_DB"
	run crm-show K1
	[[ "$output" != *warning* ]]
}

@test "nothing can be recorded for an erased customer; crm-forget is all or nothing" {
	anna_with_history
	crm-forget -q K1
	run crm-log '#1' note --subject x
	[ "$status" -eq 65 ]
	[[ "$output" == *"customer #1 was erased on 2026-11-26"* ]]
	run crm-log '#1' consent --channel post --granted yes
	[ "$status" -eq 65 ]
	run crm-forget K2 K404
	[ "$status" -eq 67 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(sql 'SELECT email FROM customers WHERE id = 2')" = ben@example.de ]
}

@test "the export of an erased customer says when" {
	anna_with_history
	crm-forget -q K1
	crm-show --format json '#1' >out.json
	[ "$(sqlite3 :memory: "SELECT json_extract(readfile('out.json'), '\$[0].erased_at')")" = 2026-11-26T12:00:00 ]
	[ "$(sqlite3 :memory: "SELECT json_extract(readfile('out.json'), '\$[0].email')")" = "" ]
}

@test "crm-import refuses forgotten people, audits updates, writes rejects 0600" {
	anna_with_history
	crm-forget -q K1
	printf 'ref,email,city\nK1,x@example.de,Berlin\nK3,anna@example.de,Köln\nK2,ben@example.de,Ulm\n' >in.csv
	run crm-import in.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"in.csv:2: ref K1 belongs to a person who was forgotten"* ]]
	[[ "$output" == *"in.csv:3: email anna@example.de belongs to a person who was forgotten"* ]]
	[ "$(stat -c %a in.rejects.csv)" = 600 ]
	[ "$(sql "SELECT detail FROM audit WHERE action = 'customer.update' AND customer_id = 2")" = '{"city":{"old":null,"new":"Ulm"}}' ]
	run crm-import -q --allow-forgotten in.rejects.csv
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT count(*) FROM customers WHERE email = 'anna@example.de'")" = 1 ]
}

@test "fitting, scoring and recorded reports are in the audit log too" {
	"$CRM_ROOT/scripts/gen-data" -c 300 -e 8 -s 3 -f plain g >/dev/null
	crm-import -q g/customers.csv g/events.csv
	crm-predict -q --fit
	crm-report -q nightly >/dev/null
	run sql "SELECT action FROM audit WHERE action NOT IN ('import.batch') ORDER BY id"
	expect_text "model.fit.bgnbd
model.fit.gammagamma
predictions.store
report.record"
	[ "$(sql "SELECT user || ' ' || command FROM audit WHERE action = 'report.record'")" = "tester crm-report -q nightly" ]
}
