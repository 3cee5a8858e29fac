#!/usr/bin/env bats
# crm-log: recording events for one customer, for many from standard
# input, closing open items, and filing mail.

load helper

EHDR="event,customer_id,at,kind,channel,amount,discount,currency,quantity,product,category,rating,subject,body,ref,status,due,closed,source"

@test "log a purchase and print the stored event" {
	add_anna
	run crm-log K1 purchase --amount 59,90 --category jeans --at 20.11.2026 \
	    --channel store --quantity 2 --product J-501 --ref B-1001
	[ "$status" -eq 0 ]
	expect_text "$EHDR
1,1,2026-11-20,purchase,store,59.90,,EUR,2,J-501,jeans,,,,B-1001,,,,crm-log"
	[ "$(sql 'SELECT amount_cents, currency, at FROM events')" = "5990|EUR|1795132800" ]
}

@test "the customer may be given by email or #id" {
	add_anna
	crm-log -q ANNA@example.de note --subject a >/dev/null
	crm-log -q '#1' note --subject b >/dev/null
	[ "$(sql 'SELECT count(*) FROM events WHERE customer_id = 1')" = 2 ]
}

@test "amounts with currency, thousands and negative values" {
	add_anna
	crm-log -q K1 purchase --amount "1.234,56 €" >/dev/null
	crm-log -q K1 return --amount "-12.50" --currency CHF >/dev/null
	crm-log -q K1 purchase --amount "USD 5" >/dev/null
	run sql "SELECT amount_cents, currency FROM events ORDER BY id"
	expect_text "123456|EUR
-1250|CHF
500|USD"
}

@test "--discount: the amount taken off; it may exceed what was paid; none is unknown" {
	add_anna
	run crm-log K1 purchase --amount 59,90 --discount 10 --category jeans --at 2026-11-20
	[ "$status" -eq 0 ]
	expect_text "$EHDR
1,1,2026-11-20,purchase,,59.90,10.00,EUR,,,jeans,,,,,,,,crm-log"
	# more than half off: the amount is what was paid, the price was 100.00
	crm-log -q K1 purchase --amount 30 --discount "70,00 €" >/dev/null
	crm-log -q K1 purchase --amount 30 --discount 0 >/dev/null
	crm-log -q K1 purchase --amount 30 >/dev/null
	# a discount alone brings the currency, as an amount does
	crm-log -q K1 purchase --discount "CHF 5" >/dev/null
	run sql "SELECT amount_cents, quote(discount_cents), currency FROM events ORDER BY id"
	expect_text "5990|1000|EUR
3000|7000|EUR
3000|0|EUR
3000|NULL|EUR
|500|CHF"
}

@test "bad discounts are refused (65) and nothing is stored" {
	add_anna
	run crm-log K1 purchase --amount 10 --discount -5
	[ "$status" -eq 65 ]
	[[ "$output" == *"invalid discount -5.00: the amount taken off the price, not negative"* ]]
	run crm-log K1 purchase --amount 10 --discount 5-
	[ "$status" -eq 65 ]
	[[ "$output" == *"not negative"* ]]
	run crm-log K1 purchase --amount 10 --discount lots
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid discount "lots"'* ]]
	run crm-log K1 purchase --amount 10 --discount 10%
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid discount "10%"'* ]]
	run crm-log K1 purchase --amount 10 --discount 1,234
	[ "$status" -eq 65 ]
	[[ "$output" == *ambiguous* ]]
	run crm-log K1 purchase --amount "10 €" --discount "USD 2"
	[ "$status" -eq 65 ]
	[[ "$output" == *"the discount is in USD, the event in EUR"* ]]
	run crm-log K1 purchase --currency CHF --discount "2 €"
	[ "$status" -eq 65 ]
	run crm-log K1 consent --channel email --granted yes --discount 5
	[ "$status" -eq 64 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
}

@test "relative dates: --at yesterday, --due +2w" {
	add_anna
	crm-log -q K1 callback --at yesterday --due +2w --subject "Rückruf" >/dev/null
	[ "$(sql 'SELECT at, due_at, status FROM events')" = "1795564800|1796860800|open" ]
}

@test "an unknown kind is refused (65) and the kinds are listed" {
	add_anna
	run crm-log K1 purchse
	[ "$status" -eq 65 ]
	[[ "$output" == *'unknown kind "purchse"'*"purchase, return, complaint"*"campaign_response, note"* ]]
}

@test "bad amounts, dates, ratings and statuses say what is accepted" {
	add_anna
	run crm-log K1 purchase --amount 1,234
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid amount "1,234"'*ambiguous* ]]
	run crm-log K1 purchase --at 31.02.2026
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid --at "31.02.2026"'* ]]
	run crm-log K1 purchase --at 01/02/2026
	[ "$status" -eq 65 ]
	[[ "$output" == *"--date-format"* ]]
	run crm-log K1 review --rating 6
	[ "$status" -eq 65 ]
	[[ "$output" == *"1 to 5"* ]]
	run crm-log K1 purchase --status open
	[ "$status" -eq 65 ]
	[[ "$output" == *"has no status"* ]]
	run crm-log K1 complaint --status pending
	[ "$status" -eq 65 ]
	run crm-log K1 purchase --currency euro --amount 5
	[ "$status" -eq 65 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
}

@test "--date-format reads an ambiguous date" {
	add_anna
	crm-log -q K1 purchase --at 01/02/2026 --date-format %m/%d/%Y >/dev/null
	[ "$(sql 'SELECT date(at, "unixepoch") FROM events')" = 2026-01-02 ]
}

@test "an unknown customer is exit 67" {
	add_anna
	run crm-log K404 purchase --amount 5
	[ "$status" -eq 67 ]
	[[ "$output" == *'no customer "K404"'* ]]
}

@test "complaints start open and close once; purchases cannot be closed" {
	add_anna
	crm-log -q K1 complaint --subject "Naht gerissen" --category jeans >/dev/null
	crm-log -q K1 purchase --amount 5 >/dev/null
	[ "$(sql 'SELECT status FROM events WHERE id = 1')" = open ]
	run crm-log --close 1 --note "Ersatz geschickt"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *",closed,,2026-11-26T12:00:00,crm-log" ]]
	[ "$(sql 'SELECT status, closed_at, body FROM events WHERE id = 1')" = "closed|1795694400|Ersatz geschickt" ]
	run crm-log --close 1
	[ "$status" -eq 65 ]
	[[ "$output" == *"closed already"* ]]
	run crm-log --close 2
	[ "$status" -eq 65 ]
	[[ "$output" == *"only complaint, service and callback"* ]]
	run crm-log --close 99
	[ "$status" -eq 65 ]
	run crm-log --close abc
	[ "$status" -eq 64 ]
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'event.close'")" = 1 ]
}

@test "--body - reads the text from standard input" {
	add_anna
	printf 'Zeile 1\nZeile 2\n' | crm-log -q K1 letter_in --body - >/dev/null
	[ "$(sql 'SELECT body FROM events')" = "$(printf 'Zeile 1\nZeile 2\n')" ]
}

@test "log the same event for every customer on standard input" {
	printf 'ref,last_name\nK1,A\nK2,B\nK3,C\n' | crm-add -q >/dev/null
	run crm-log - campaign_sent --channel post --ref spring27 <<<"$(printf 'ref,x\nK1,1\nK3,3\n')"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(sql "SELECT group_concat(customer_id) FROM (SELECT customer_id FROM events WHERE ref = 'spring27' ORDER BY id)")" = "1,3" ]
	[ "$(sql "SELECT count(*) FROM audit WHERE action = 'event.batch'")" = 1 ]
}

@test "customers on standard input by id or email, in TSV" {
	printf 'ref,email\nK1,a@example.de\nK2,b@example.de\n' | crm-add -q >/dev/null
	printf 'email\tname\nB@example.de\tb\n' | crm-log -q - note >/dev/null
	printf 'id\n1\n' | crm-log -q - note >/dev/null
	[ "$(sql "SELECT group_concat(customer_id) FROM (SELECT customer_id FROM events ORDER BY id)")" = "2,1" ]
}

@test "one unknown customer on standard input stores nothing" {
	printf 'ref\nK1\nK2\n' | crm-add -q >/dev/null
	run crm-log - campaign_sent <<<"$(printf 'ref\nK1\nK2\nK404\n')"
	[ "$status" -eq 67 ]
	[[ "$output" == *'<stdin>:4: no customer "K404"'* ]]
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
}

@test "standard input without an id, ref or email column is refused" {
	run crm-log - note <<<"$(printf 'name\nAnna\n')"
	[ "$status" -eq 65 ]
	[[ "$output" == *"<stdin>:1: the header names no id, customer_id, ref or email column"* ]]
}

@test "an event list names its customers by customer_id, not by its ref" {
	printf 'ref\nK1\nK2\nK3\n' | crm-add -q >/dev/null
	# the events' ref (K3, an order number that looks like a ref) is
	# not a customer: customer_id is read before it
	printf 'ref\nK1\nK2\n' | crm-log - campaign_sent --ref K3 |
	    crm-log -q - campaign_response --ref K3
	[ "$(sql "SELECT group_concat(customer_id) FROM (SELECT customer_id FROM events WHERE kind = 'campaign_response' ORDER BY id)")" = "1,2" ]
	# keys are trimmed; a row without a key is an error, nothing stored
	run crm-log - note <<<"$(printf 'customer_id,x\n 1 ,a\n,b\n')"
	[ "$status" -eq 65 ]
	[[ "$output" == *"<stdin>:3: no customer in this row"* ]]
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'note'")" = 0 ]
}

@test "crm-log output feeds crm-log: pipelines compose" {
	printf 'ref\nK1\nK2\n' | crm-add -q >/dev/null
	crm-add -q <<<"$(printf 'ref\nK3\n')" >/dev/null
	printf 'ref\nK1\nK2\n' | crm-log - campaign_sent --ref x | cut -d, -f2 |
	    sed 1s/.*/id/ | crm-log -q - campaign_response --ref x >/dev/null
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'campaign_response'")" = 2 ]
}

@test "--mail files a message from a customer as email_in" {
	add_anna
	run crm-log --mail <"$DATA/log/anna.eml"
	[ "$status" -eq 0 ]
	run sql "SELECT kind, channel, at, subject, body, ref FROM events"
	expect_text "email_in|email|1795684500|Naht gerissen – Umtausch?|Guten Tag,

die Naht meiner Jeans ist gerissen.

Anna Müller
|msg-1@example.de"
}

@test "--mail logs the same message only once" {
	add_anna
	crm-log -q --mail <"$DATA/log/anna.eml" >/dev/null
	run crm-log --mail <"$DATA/log/anna.eml"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == 1,1,2026-11-26T09:15:00,email_in,* ]]
	[ "$(sql 'SELECT count(*) FROM events')" = 1 ]
}

@test "--mail from a sender who is no customer exits 67" {
	add_anna
	run crm-log --mail <<<"$(printf 'From: stranger@example.com\nSubject: hi\n\nhello\n')"
	[ "$status" -eq 67 ]
	[[ "$output" == *"sender stranger@example.com is not a customer"* ]]
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
}

@test "--mail refuses options the message itself provides" {
	add_anna
	run crm-log --mail --subject x <"$DATA/log/anna.eml"
	[ "$status" -eq 64 ]
	[[ "$output" == *"--mail takes the date, subject"* ]]
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
}

@test "--mail with something that is not a message exits 65" {
	add_anna
	run crm-log --mail <<<"just some text"
	[ "$status" -eq 65 ]
}

@test "wrong numbers of arguments are usage errors" {
	run crm-log K1
	[ "$status" -eq 64 ]
	run crm-log K1 note extra
	[ "$status" -eq 64 ]
	run crm-log --close 1 K1
	[ "$status" -eq 64 ]
	run crm-log K1 note --note x
	[ "$status" -eq 64 ]
}
