#!/usr/bin/env bats
# Personal data: consent history, subject access, audit, file modes
# (erasure itself is in 7002-forget.bats).

load helper

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

@test "fitting, scoring and recorded reports are in the audit log too" {
	"$CRM_ROOT/scripts/gen-data" -c 300 -e 8 -s 3 -f plain g >/dev/null
	crm-import -q g/customers.csv g/events.csv
	crm-predict -q --fit --model bgnbd
	crm-report -q nightly >/dev/null
	run sql "SELECT action FROM audit WHERE action NOT IN ('import.batch') ORDER BY id"
	expect_text "model.fit.bgnbd
model.fit.gammagamma
predictions.store
report.record"
	[ "$(sql "SELECT user || ' ' || command FROM audit WHERE action = 'report.record'")" = "tester crm-report -q nightly" ]
}
