#!/usr/bin/env bats
# crm-segment save, list, NAME, drop: saved segments.

load helper
load segment

@test "save, list, use and drop a segment" {
	fixture
	run crm-segment save berlin --where 'city = Berlin' --note "Berliner"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run crm-segment list
	expect_text "name,expr,note,created,updated
berlin,city = Berlin,Berliner,2026-11-26T12:00:00,2026-11-26T12:00:00"
	[ "$(refs berlin)" = "K01 K03 K10 K11" ]
	[ "$(refs berlin --where 'orders > 0')" = "K01 K03 K10" ]
	run crm-segment berlin --count
	expect_text "segment,customers,spend
berlin,4,1000.00"
	run crm-segment drop berlin
	[ "$status" -eq 0 ]
	run crm-segment list
	expect_text "name,expr,note,created,updated"
	[ "$(sql "SELECT action FROM audit WHERE action LIKE 'segment.%' ORDER BY id")" = "segment.save
segment.drop" ]
}

@test "saving again replaces the expression and keeps the creation time" {
	fixture
	crm-segment save vip --where 'tag:vip'
	CRM_NOW=2026-11-27T08:00:00 crm-segment save vip --where 'tag:vip and city = Hamburg'
	[ "$(refs vip)" = "K02" ]
	[ "$(sql "SELECT created_at < updated_at, count(*) FROM segments")" = "1|1" ]
}

@test "relative dates in a saved segment are read when it is used" {
	fixture
	crm-segment save recent --where 'last_purchase >= -7d'
	[ "$(refs recent)" = "K01 K02" ]
	CRM_NOW=2026-11-05T12:00:00 run refs recent
	[ "$output" = "K03 K10" ]
}

@test "a segment of RFM fields" {
	fixture
	crm-segment save best --where 'segment = Champions or rfm = 255'
	[ "$(refs best)" = "K01 K02 K06" ]
}

@test "an unknown segment is 65 and names the list" {
	fixture
	run crm-segment nosuch
	[ "$status" -eq 65 ]
	[[ "$output" == *'no segment "nosuch"'*'crm-segment list'* ]]
	run crm-segment drop nosuch
	[ "$status" -eq 65 ]
}

@test "an invalid expression or name is not saved (65)" {
	fixture
	run crm-segment save broken --where 'orders >'
	[ "$status" -eq 65 ]
	[[ "$output" == *"column 9: expected a value"* ]]
	for name in rfm list "-x" "a b" "x;y" ""; do
		run crm-segment save "$name" --where 'orders > 1'
		[ "$status" -eq 65 ] || [ "$status" -eq 64 ] || { echo "$name: $status"; false; }
	done
	[ "$(sql "SELECT count(*) FROM segments")" = 0 ]
}

@test "a hostile name or expression is stored as text" {
	fixture
	crm-segment save x --where "city = \"'; DROP TABLE segments; --\"" \
	    --note "'); DELETE FROM customers; --"
	[ "$(sql "SELECT count(*) FROM customers")" = 12 ]
	run crm-segment list --format tsv
	[[ "$output" == *"DROP TABLE segments"* ]]
	[ "$(refs x)" = "" ]
}

@test "save and drop need their arguments (64); --note only with save" {
	fixture
	run crm-segment save x
	[ "$status" -eq 64 ]
	run crm-segment save --where 'orders > 1'
	[ "$status" -eq 64 ]
	run crm-segment drop
	[ "$status" -eq 64 ]
	run crm-segment --note hello
	[ "$status" -eq 64 ]
	run crm-segment list extra
	[ "$status" -eq 64 ]
}
