#!/usr/bin/env bats
# crm-segment in pipes: customers from standard input or a file, output
# formats, and the output fed to crm-log -.

load helper
load segment

@test "the output feeds crm-log - directly" {
	fixture
	crm-segment --for newsletter | crm-log -q - campaign_sent \
	    --channel newsletter --ref winter27
	[ "$(sql "SELECT group_concat(c.ref, ' ') FROM events e JOIN customers c
	    ON c.id = e.customer_id WHERE e.ref = 'winter27' ORDER BY c.id")" = "K01 K11" ]
	# and is counted by the next selection
	[ "$(refs --where 'campaigns_sent > 0')" = "K01 K11" ]
}

@test "rfm output feeds crm-log - too, also as TSV" {
	fixture
	crm-segment rfm --where 'segment = Champions' -t |
	    crm-log -q - letter_out --channel post --ref thanks
	[ "$(sql "SELECT count(*) FROM events WHERE ref = 'thanks'")" = 2 ]
}

@test "standard input narrows the selection, by id, ref or email, in its order" {
	fixture
	run crm-segment --columns ref --where 'city = Berlin' - <<<"ref
K11
K02
K01
K11"
	[ "$status" -eq 0 ]
	expect_text "ref
K11
K01"
	[ "$(printf 'email\nK10@example.de\nk03@example.de\n' | refs -)" = "K10 K03" ]
	[ "$(printf 'x;id\n1;4\n2;2\n' | refs --where 'tag:vip' -)" = "K02" ]
	[ "$(crm-segment --for post | refs --where 'orders >= 3' -)" = "K01 K04" ]
}

@test "an event list narrows to its customers (customer_id), not its refs" {
	fixture
	crm-log K03 letter_out --ref K01 >ev.csv
	[ "$(refs ev.csv)" = "K03" ]
	[ "$(crm-log K05 letter_out --ref K02 -t | refs -)" = "K05" ]
}

@test "a file argument narrows like standard input" {
	fixture
	printf 'ref,note\nK05,a\nK06,b\n' >list.csv
	[ "$(refs list.csv)" = "K05 K06" ]
	[ "$(refs rfm --where 'r >= 3' list.csv)" = "K05" ]
}

@test "bad customer lists: no key column 65, unknown customer 67, no file 66" {
	fixture
	run crm-segment - <<<"name
Anna"
	[ "$status" -eq 65 ]
	[[ "$output" == *"<stdin>:1: the header names no id, customer_id, ref or email column"* ]]
	run crm-segment - <<<"ref
K01
K404"
	[ "$status" -eq 67 ]
	[[ "$output" == *'<stdin>:3: no customer "K404"'* ]]
	run crm-segment - <<<"ref,x
K01,1
,2"
	[ "$status" -eq 65 ]
	[[ "$output" == *"no customer in this row"* ]]
	run crm-segment - </dev/null
	[ "$status" -eq 65 ]
	run crm-segment nosuchfile.csv
	[ "$status" -eq 65 ]
	run crm-segment ./nosuchfile.csv
	[ "$status" -eq 66 ]
}

@test "formats: TSV, table, JSON and spreadsheet CSV" {
	fixture
	run crm-segment -t --columns ref,name,spend --where 'ref = K01'
	expect_text "$(printf 'ref\tname\tspend\nK01\tAnna Müller\t400.00')"
	run crm-segment --format table --columns ref,spend --where 'ref in (K01, K06)'
	expect_text "ref  spend
K01  400.00
K06  2000.00"
	run crm-segment --format json --columns ref,orders,last_purchase --where 'ref = K01'
	expect_text '[
{"ref":"K01","orders":4,"last_purchase":"2026-11-20"}
]'
	run crm-segment --excel --columns ref --where 'ref = K01'
	[ "${lines[0]}" = $'\xef\xbb\xbfref\r' ]
}

@test "a missing database is 66 and is not created" {
	run crm-segment --where 'orders > 1'
	[ "$status" -eq 66 ]
	[ ! -e "$CRM_DB" ]
	run crm-segment list
	[ "$status" -eq 66 ]
}

@test "crm segment runs crm-segment" {
	fixture
	run crm segment --columns ref --where 'ref = K01'
	[ "$status" -eq 0 ]
	expect_text "ref
K01"
}
