#!/usr/bin/env bats
# crm-show: the customer card and timeline.

load helper

setup_anna_history() {
	add_anna
	crm-add -q --update --ref K1 --tag vip --consent newsletter=yes >/dev/null
	crm-log -q K1 purchase --amount 59,90 --category jeans --at 2026-11-20 >/dev/null
	crm-log -q K1 complaint --subject "Naht gerissen" --at 2026-11-22 --due 2026-11-29 >/dev/null
	crm-log -q K1 call --body "$(printf 'Rückruf erledigt\nzweite Zeile')" --at 2026-11-23T09:30 >/dev/null
}

@test "the card and the timeline, newest first, open items marked" {
	setup_anna_history
	run crm-show K1
	[ "$status" -eq 0 ]
	expect_text "Anna Müller (K1, #1)
  email     anna@example.de
  phone     +49301234567
  address   Berlin
  tags      vip
  consents  newsletter=yes
  since     2026-11-26

3 events, 1 open:
  2026-11-23  call               #3
              Rückruf erledigt …
* 2026-11-22  complaint         \"Naht gerissen\" (open, due 2026-11-29)  #2
  2026-11-20  purchase          59.90 EUR [jeans]  #1"
}

@test "a discount shows beside the amount, in the timeline and as a column" {
	add_anna
	crm-log -q K1 purchase --amount 30 --discount 70 --category jeans --at 2026-11-20 >/dev/null
	crm-log -q K1 purchase --discount 5 --at 2026-11-21 >/dev/null
	run crm-show K1
	[ "$status" -eq 0 ]
	[[ "$output" == *"  2026-11-21  purchase          (discount 5.00)  #2
  2026-11-20  purchase          30.00 EUR (discount 70.00) [jeans]  #1" ]]
	run crm-show --format csv K1
	[ "${lines[0]}" = "event,customer_id,at,kind,channel,amount,discount,currency,quantity,product,category,rating,subject,body,ref,status,due,closed,source" ]
	[[ "${lines[2]}" == "1,1,2026-11-20,purchase,,30.00,70.00,EUR,"* ]]
	crm-show --format json K1 >out.json
	[ "$(sqlite3 :memory: "SELECT json_extract(readfile('out.json'), '\$[0].events[1].discount')")" = 70.0 ]
}

@test "--format csv prints the timeline as event rows" {
	setup_anna_history
	run crm-show --format csv anna@example.de
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^[0-9],1,2026-11-2')" -eq 3 ]
	[[ "${lines[0]}" == event,customer_id,at,kind,* ]]
	[[ "${lines[1]}" == 3,1,2026-11-23T09:30:00,call,* ]]
}

@test "--format json prints the customer with its events" {
	setup_anna_history
	crm-show --format json K1 >out.json
	q() { sqlite3 :memory: "SELECT json_extract(readfile('out.json'), '$1')"; }
	[ "$(q '$[0].ref')" = K1 ]
	[ "$(q '$[0].tags')" = vip ]
	[ "$(q '$[0].events[2].amount')" = 59.9 ]
	[ "$(q '$[0].events[1].status')" = open ]
	[ "$(q '$[0].events[0].body')" = "$(printf 'Rückruf erledigt\nzweite Zeile')" ]
}

@test "several customers at once" {
	setup_anna_history
	crm-add -q --ref K2 --name "Ben Weber" >/dev/null
	run crm-show --format json K1 K2
	printf '%s\n' "$output" >out.json
	[ "$(sqlite3 :memory: "SELECT json_array_length(readfile('out.json'))")" = 2 ]
	run crm-show K2 K1
	[[ "$output" == "Ben Weber (K2, #2)"* ]]
}

@test "an unknown customer is exit 67, a bad id 65" {
	add_anna
	run crm-show K2
	[ "$status" -eq 67 ]
	run crm-show '#x'
	[ "$status" -eq 65 ]
	run crm-show
	[ "$status" -eq 64 ]
}
