#!/usr/bin/env bats
# crm-log --edit and --delete, crm-add --untag, crm-show --history:
# correcting mistakes, audited, and what follows from the correction.

load helper

# audit_of ACTION: the detail of the latest audit entry of ACTION.
audit_of() {
	sql "SELECT detail FROM audit WHERE action = '$1' ORDER BY id DESC LIMIT 1"
}

@test "--edit changes fields, prints the event, audits old and new" {
	add_anna
	crm-log -q K1 purchase --amount 59,90 --category jeans --at 2026-11-20
	run crm-log --edit 1 --amount 49,90 --category hosen --quantity 2 --at 2026-11-19
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "1,1,2026-11-19,purchase,,49.90,,EUR,2,,hosen,,,,,,,,crm-log" ]
	[ "$(audit_of event.edit)" = '{"at":{"old":"2026-11-20","new":"2026-11-19"},"amount":{"old":"59.90","new":"49.90"},"quantity":{"old":null,"new":"2"},"category":{"old":"jeans","new":"hosen"}}' ]
	[ "$(sql "SELECT customer_id || ' ' || event_id || ' ' || user FROM audit WHERE action = 'event.edit'")" = "1 1 tester" ]
}

@test "--edit: an empty value clears a field; the kind changes with --kind" {
	add_anna
	crm-log -q K1 purchase --amount 10 --quantity 3 --subject "x" --due 2026-12-01 --at 2026-11-20
	crm-log -q --edit 1 --quantity '' --subject '' --due ''
	[ "$(sql "SELECT quantity IS NULL AND subject IS NULL AND due_at IS NULL FROM events")" = 1 ]
	crm-log -q --edit 1 --kind return
	[ "$(sql 'SELECT kind FROM events')" = return ]
	# nothing given: unchanged, said so, no audit entry
	run crm-log -q --edit 1 --kind return
	[ "$status" -eq 0 ]
	run crm-log --edit 1 --kind return
	[[ "$output" == *"event 1 unchanged"* ]]
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'event.edit'")" = 2 ]
}

@test "--edit: status closed closes now, open reopens; invalid results are refused" {
	add_anna
	crm-log -q K1 complaint --subject Naht --at 2026-11-20
	crm-log -q --edit 1 --status closed
	[ "$(sql "SELECT status || ' ' || datetime(closed_at, 'unixepoch') FROM events")" = "closed 2026-11-26 12:00:00" ]
	crm-log -q --edit 1 --status open
	[ "$(sql "SELECT status || ' ' || coalesce(closed_at, '-') FROM events")" = "open -" ]
	run crm-log --edit 1 --kind purchase
	[ "$status" -eq 65 ]
	[[ "$output" == *"a purchase has no status"* ]]
	run crm-log --edit 1 --kind nonsense
	[ "$status" -eq 65 ]
	run crm-log --edit 1 --rating 9
	[ "$status" -eq 65 ]
	run crm-log --edit 1 --kind ''
	[ "$status" -eq 65 ]
	[ "$(sql 'SELECT kind FROM events')" = complaint ]
}

@test "--edit and --delete: bad arguments 64, no such event 65" {
	add_anna
	crm-log -q K1 note --at 2026-11-20
	run crm-log --edit x
	[ "$status" -eq 64 ]
	run crm-log --edit 1 K1 note
	[ "$status" -eq 64 ]
	run crm-log --edit 1 --delete 1 --reason r
	[ "$status" -eq 64 ]
	run crm-log --delete 1
	[ "$status" -eq 64 ]
	[[ "$output" == *"--delete needs --reason"* ]]
	run crm-log --delete 1 --reason r --amount 5
	[ "$status" -eq 64 ]
	run crm-log K1 note --reason r
	[ "$status" -eq 64 ]
	run crm-log K1 note --kind call
	[ "$status" -eq 64 ]
	run crm-log K1 purchase --amount ''
	[ "$status" -eq 64 ]
	run crm-log --edit 99 --subject x
	[ "$status" -eq 65 ]
	[[ "$output" == *"no event 99"* ]]
	run crm-log --delete 99 --reason r
	[ "$status" -eq 65 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 1 ]
}

@test "--delete removes the event and keeps every old value and the reason in the audit" {
	add_anna
	crm-log -q K1 purchase --amount 59,90 --category jeans --at 2026-11-20
	run crm-log --delete 1 --reason "doppelt erfasst"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
	[ "$(audit_of event.delete)" = '{"reason":"doppelt erfasst","old":{"at":"2026-11-20","kind":"purchase","amount":"59.90","currency":"EUR","category":"jeans"}}' ]
}

@test "edit, then the report and the segment see the new values (aggregates stale)" {
	add_anna
	crm-log -q K1 purchase --amount 500 --at 2026-11-20
	crm-log -q K1 complaint --subject Naht --category jeans --at 2026-11-22
	# the kept aggregates are made by this query
	[ "$(crm-segment --count --where 'spend >= 100' | tail -n 1)" = "spend >= 100,1,500.00" ]
	[ "$(sql "SELECT count(*) FROM meta WHERE key = 'stats'")" = 1 ]
	crm-log -q --edit 1 --amount 50
	[ "$(sql "SELECT count(*) FROM meta WHERE key = 'stats'")" = 0 ]
	[ "$(crm-segment --count --where 'spend >= 100' | tail -n 1)" = "spend >= 100,0,0.00" ]
	[ "$(crm-segment --columns ref,spend --where 'spend > 0' | tail -n 1)" = "K1,50.00" ]
	crm-log -q --edit 2 --category hosen
	run crm-report complaints --by category --format csv
	[ "$status" -eq 0 ]
	[[ "$output" == *"hosen,0,1,"* ]]
	[[ "$output" != *"jeans"* ]]
}

@test "delete, then the segment and the report no longer count it" {
	add_anna
	crm-log -q K1 purchase --amount 500 --at 2026-11-20
	crm-log -q K1 purchase --amount 20 --at 2026-11-21
	[ "$(crm-segment --columns ref,orders,spend --where 'orders >= 1' | tail -n 1)" = "K1,2,520.00" ]
	crm-log -q --delete 1 --reason "falscher Kunde"
	[ "$(crm-segment --columns ref,orders,spend --where 'orders >= 1' | tail -n 1)" = "K1,1,20.00" ]
}

@test "delete an imported event, then import the file again: it stays deleted" {
	add_anna
	printf 'ref,at,kind,amount\nK1,2026-11-20,purchase,10\nK1,2026-11-21,purchase,20\nK1,2026-11-21,purchase,20\n' >ev.csv
	crm-import -q ev.csv
	[ "$(sql 'SELECT count(*) FROM events')" = 3 ]
	id=$(sql "SELECT id FROM events WHERE amount_cents = 1000")
	crm-log -q --delete "$id" --reason "storniert"
	second=$(sql "SELECT max(id) FROM events")
	crm-log -q --delete "$second" --reason "doppelt"
	[ "$(sql 'SELECT count(*) FROM deleted_events')" = 2 ]
	run crm-import ev.csv
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 1 ]
	[ "$(sql 'SELECT group_concat(amount_cents) FROM events')" = 2000 ]
	# an event logged by hand, deleted, has no import key to keep
	crm-log -q K1 note --at 2026-11-22
	crm-log -q --delete "$(sql 'SELECT max(id) FROM events')" --reason x
	[ "$(sql 'SELECT count(*) FROM deleted_events')" = 2 ]
}

@test "edit an imported event, then import the file again: the edit stays" {
	add_anna
	printf 'ref,at,kind,amount\nK1,2026-11-20,purchase,10\n' >ev.csv
	crm-import -q ev.csv
	crm-log -q --edit 1 --amount 12
	crm-import -q ev.csv
	[ "$(sql "SELECT count(*) || ' ' || sum(amount_cents) FROM events")" = "1 1200" ]
}

@test "events of an erased customer cannot be edited or deleted" {
	add_anna
	crm-log -q K1 purchase --amount 10 --at 2026-11-20
	crm-forget -q --reason test K1 >/dev/null
	run crm-log --edit 1 --amount 5
	[ "$status" -eq 65 ]
	[[ "$output" == *"erased"* ]]
	run crm-log --delete 1 --reason x
	[ "$status" -eq 65 ]
	[ "$(sql 'SELECT amount_cents FROM events')" = 1000 ]
}

@test "crm-add --untag removes a tag, audited; then segment --where tag no longer finds her" {
	add_anna
	crm-add -q --update --ref K1 --tag vip --tag stammkunde >/dev/null
	[ "$(crm-segment --columns ref --where 'tag:vip' | tail -n 1)" = K1 ]
	run crm-add --untag VIP --ref K1 --columns x
	[ "$status" -eq 64 ]
	run crm-add --untag " VIP " --ref K1
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *",stammkunde,"* ]]
	[ "$(sql 'SELECT group_concat(tag) FROM tags')" = stammkunde ]
	[ "$(audit_of tag.remove)" = '{"tag":"vip"}' ]
	[ "$(crm-segment --columns ref --where 'tag:vip' | wc -l)" = 1 ]
	# a tag she does not have: nothing to do, nothing audited
	crm-add -q --untag vip --email anna@example.de
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'tag.remove'")" = 1 ]
}

@test "crm-add --untag needs an existing customer" {
	add_anna
	run crm-add --untag vip
	[ "$status" -eq 64 ]
	run crm-add --untag vip --ref K9
	[ "$status" -eq 67 ]
	[[ "$output" == *"no customer K9 to untag"* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 1 ]
}

@test "crm-show --history: every change of a customer, oldest first" {
	add_anna
	crm-add -q --update --ref K1 --last Schmidt --tag vip
	crm-log -q K1 purchase --amount 10 --at 2026-11-20
	crm-log -q --edit 1 --amount 12
	crm-log -q --delete 1 --reason "falsch"
	crm-add -q --untag vip --ref K1
	run crm-show --history K1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "History of Anna Schmidt (K1, #1)" ]
	actions=$(printf '%s\n' "$output" | awk 'NR > 1 && $1 ~ /^2026/ { print $3 }' | tr '\n' ' ')
	[ "$actions" = "customer.create customer.update tag.add event.create event.edit event.delete tag.remove " ]
	[[ "$output" == *'{"last_name":{"old":"Müller","new":"Schmidt"}}'* ]]
	[[ "$output" == *"crm-log -q --delete 1 --reason falsch"* ]]
	run crm-show --history --format csv K1
	[ "${lines[0]}" = "customer_id,at,user,command,action,event,detail" ]
	[[ "${lines[5]}" == '1,2026-11-26T12:00:00,tester,crm-log -q --edit 1 --amount 12,event.edit,1,"{""amount"":{""old"":""10.00"",""new"":""12.00""}}"' ]]
	run crm-show --history Nobody
	[ "$status" -eq 67 ]
}
