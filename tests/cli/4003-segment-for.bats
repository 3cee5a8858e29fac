#!/usr/bin/env bats
# crm-segment --for: consent (the latest record per channel) and
# reachability (the address the channel needs); erased customers never.

load helper
load segment

@test "--for: consent and reachability for each channel" {
	fixture
	# newsletter: K01 K05 K11 consented; K05 has no email; K02 said no,
	# K08 withdrew, K12 is erased
	[ "$(refs --for newsletter)" = "K01 K11" ]
	# post: K01 K03 K04 consented; K03 lacks a postal code
	[ "$(refs --for post)" = "K01 K04" ]
	[ "$(refs --for email)" = "K06" ]
	[ "$(refs --for phone)" = "K05" ]
	[ "$(refs --for sms)" = "K04" ]
}

@test "--for: the latest consent counts, a withdrawal ends it" {
	fixture
	[[ " $(refs --for newsletter) " != *" K08 "* ]]
	crm-add -q --update --ref K08 --consent newsletter=yes >/dev/null
	[ "$(refs --for newsletter)" = "K01 K08 K11" ]
	crm-add -q --update --ref K01 --consent newsletter=no >/dev/null
	[ "$(refs --for newsletter)" = "K08 K11" ]
}

@test "--for: an address added later makes a customer reachable" {
	fixture
	crm-add -q --update --ref K03 --postal-code 10117 >/dev/null
	[ "$(refs --for post)" = "K01 K03 K04" ]
	crm-add -q --update --ref K05 --email k05@example.de >/dev/null
	[ "$(refs --for newsletter)" = "K01 K05 K11" ]
}

@test "--for combines with --where, rfm and saved segments" {
	fixture
	[ "$(refs --for newsletter --where 'city = Berlin')" = "K01 K11" ]
	[ "$(refs --for newsletter --where 'orders > 0')" = "K01" ]
	run crm-segment rfm --for post --columns ref,segment
	expect_text "ref,segment
K01,Champions
K04,Loyal Customers"
	crm-segment save berlin --where 'city = Berlin'
	[ "$(refs berlin --for newsletter)" = "K01 K11" ]
}

@test "an erased customer is never listed, whatever is asked" {
	fixture
	for args in "" "--for newsletter" "--where ref=K12" "--where city=Berlin" \
	    "rfm"; do
		run crm-segment $args --columns ref
		[[ "$output" != *K12* ]] || { echo "$args: $output"; false; }
	done
	run crm-segment --columns ref - <<<"ref
K12"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "--for an unknown channel is refused (65)" {
	fixture
	run crm-segment --for fax
	[ "$status" -eq 65 ]
	[[ "$output" == *'unknown channel "fax"'* ]]
}
