#!/usr/bin/env bats
# crm-forget: erasing a person while the statistics stay right; refusing
# them afterwards; what an erased customer looks like.

load helper

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
