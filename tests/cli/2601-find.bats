#!/usr/bin/env bats
# crm-find: customers by name however spelled, by phone, email and ref;
# the search keys kept current by every write; crm-show's suggestion.

load helper

# people: the spellings of one name, and others.
people() {
	crm-add -q --ref K1 --name "Anna Müller" --email anna.mueller@example.de \
	    --phone "030 1234567" --city Köln >/dev/null
	crm-add -q --ref K2 --name "Bernd Mueller" --email bm@example.org \
	    --city Berlin >/dev/null
	crm-add -q --ref K3 --name "Dora Muller" --phone "+49 89 7654321" >/dev/null
	crm-add -q --ref K4 --name "Clara Weiß" --company "Weiss & Söhne GmbH" >/dev/null
	crm-add -q --ref K5 --name "Emil Schmidt" --email emil@shop.example.de \
	    --phone "0171 555 0123" >/dev/null
}

# refs ARGS...: the refs crm-find prints, one line, in its order.
refs() {
	crm-find -q --columns ref "$@" | tail -n +2 | tr '\n' ' ' | sed 's/ $//'
}

@test "MÜLLER, müller, Mueller and Muller all find Müller; the spelling typed first" {
	people
	[ "$(refs MÜLLER)" = "K1 K2 K3" ]
	[ "$(refs müller)" = "K1 K2 K3" ]
	[ "$(refs Mueller)" = "K2 K1" ]
	[ "$(refs Muller)" = "K3 K1" ]
	[ "$(refs MUELLER)" = "K2 K1" ]
	# a decomposed ü (u and U+0308) is the same letter
	[ "$(refs "$(printf 'Mu\314\210ller')")" = "K1 K2 K3" ]
}

@test "Weiss finds Weiß, and Weiß finds Weiss; a word may be the start of one" {
	people
	[ "$(refs Weiss)" = "K4" ]
	[ "$(refs weiß)" = "K4" ]
	[ "$(refs WEISS söhne)" = "K4" ]
	[ "$(refs mül)" = "K1 K2 K3" ]
	[ "$(refs muel)" = "K2 K1" ]
}

@test "every word must match: first and last name, city in German spelling" {
	people
	[ "$(refs anna müller)" = "K1" ]
	[ "$(refs 'Anna Mueller')" = "K1" ]
	[ "$(refs mueller koeln)" = "K1" ]
	[ "$(refs mueller berlin)" = "K2" ]
	[ "$(refs KÖLN)" = "K1" ]
	run crm-find anna schmidt
	[ "$status" -eq 67 ]
}

@test "a whole word ranks above the start of one; last name above first name" {
	crm-add -q --ref A1 --name "Paul Mannheim" >/dev/null
	crm-add -q --ref A2 --name "Mann Weber" >/dev/null
	crm-add -q --ref A3 --name "Tim Mann" >/dev/null
	[ "$(refs mann)" = "A3 A2 A1" ]
}

@test "phone numbers by their last digits, with or without the area code" {
	people
	[ "$(refs 1234567)" = "K1" ]
	[ "$(refs 030/1234567)" = "K1" ]
	[ "$(refs 030 1234567)" = "K1" ]
	[ "$(refs '+49 30 1234567')" = "K1" ]
	[ "$(refs 0049301234567)" = "K1" ]
	[ "$(refs 555-0123)" = "K5" ]
	[ "$(refs 7654321)" = "K3" ]
	# a number and a name: both must match
	[ "$(refs müller 7654321)" = "K3" ]
	run crm-find 9999999
	[ "$status" -eq 67 ]
}

@test "email fragments: the start of an address, or its domain after @" {
	people
	[ "$(refs anna.m)" = "K1" ]
	[ "$(refs ANNA.MUELLER@EXAMPLE.DE)" = "K1" ]
	[ "$(refs bm@)" = "K2" ]
	[ "$(refs @example.de)" = "K1" ]
	[ "$(refs @example)" = "K2 K1" ]
	[ "$(refs @shop)" = "K5" ]
	# % and _ are no wildcards
	run crm-find @exa_ple
	[ "$status" -eq 67 ]
}

@test "refs by their start, as typed or in capitals; ties by name" {
	people
	[ "$(refs K4)" = "K4" ]
	[ "$(refs k4)" = "K4" ]
	[ "$(refs k)" = "K2 K1 K3 K5 K4" ]
}

@test "no match: the header alone, a message, exit 67; -q keeps quiet" {
	people
	run crm-find --columns id,ref Nobody
	[ "$status" -eq 67 ]
	expect_text 'id,ref
crm-find: no customer matches "Nobody"'
	run crm-find -q --columns id,ref Nobody
	[ "$status" -eq 67 ]
	expect_text 'id,ref'
}

@test "bad arguments: no text is 64, an empty text 64, invalid UTF-8 65" {
	people
	run crm-find
	[ "$status" -eq 64 ]
	run crm-find '  '
	[ "$status" -eq 64 ]
	[[ "$output" == *"nothing to find"* ]]
	run crm-find "$(printf 'M\377ller')"
	[ "$status" -eq 65 ]
	run crm-find -n 0 Anna
	[ "$status" -eq 64 ]
}

@test "erased customers are never found, by name, phone, email or ref" {
	people
	crm-forget -q --reason test K1 >/dev/null
	[ "$(refs müller)" = "K2 K3" ]
	for w in anna 1234567 anna.m @example.de K1 köln; do
		run crm-find -q "$w"
		[ "$status" -eq 67 ] || { echo "found by $w"; false; }
	done
	[ "$(sql 'SELECT count(*) FROM find_keys WHERE customer_id = 1')" = 0 ]
}

@test "the keys follow crm-add --update: a new name is found, the old one not" {
	people
	crm-add -q --update --ref K2 --last Groß --city Hamburg >/dev/null
	[ "$(refs gross hamburg)" = "K2" ]
	[ "$(refs mueller)" = "K1" ]
	crm-add -q --update --ref K3 --phone "040 111222" >/dev/null
	run crm-find -q 7654321
	[ "$status" -eq 67 ]
	[ "$(refs 111222)" = "K3" ]
}

@test "the keys follow crm-import, and the undo of its batch" {
	people
	printf 'ref,first_name,last_name,phone\nK9,Jörg,Schröder,0221 987654\nK2,Bernd,Brösel,\n' >c.csv
	crm-import -q c.csv >/dev/null
	[ "$(refs joerg schroeder)" = "K9" ]
	[ "$(refs 987654)" = "K9" ]
	[ "$(refs brösel)" = "K2" ]
	run crm-find -q bernd mueller
	[ "$status" -eq 67 ]
	crm-import -q --undo 1 >/dev/null
	run crm-find -q schröder
	[ "$status" -eq 67 ]
	[ "$(refs bernd mueller)" = "K2" ]
	run crm-find -q brösel
	[ "$status" -eq 67 ]
	[ "$(sql 'SELECT count(*) FROM find_keys WHERE customer_id NOT IN (SELECT id FROM customers)')" = 0 ]
}

@test "a database of schema 4 gets the keys of its customers when opened" {
	people
	sql "DROP TABLE find_keys; DROP TABLE deleted_events; DELETE FROM meta WHERE key = 'find_keys';
	    ALTER TABLE predictions DROP COLUMN p_buy; ALTER TABLE predictions DROP COLUMN favourite_share;
	    PRAGMA user_version = 4"
	[ "$(refs weiss)" = "K4" ]
	[ "$(sql 'PRAGMA user_version')" = 7 ]
	[ "$(sql "SELECT count(*) FROM meta WHERE key = 'find_keys'")" = 0 ]
	[ "$(refs 1234567)" = "K1" ]
}

@test "--reindex computes the keys again" {
	people
	sql "DELETE FROM find_keys"
	run crm-find -q müller
	[ "$status" -eq 67 ]
	run crm-find --reindex
	[ "$status" -eq 0 ]
	[[ "$output" == *"search keys of 5 customers computed"* ]]
	[ "$(refs müller)" = "K1 K2 K3" ]
	run crm-find --reindex müller
	[ "$status" -eq 64 ]
}

@test "output as crm-segment's: default columns, --limit, --where, --for, JSON" {
	people
	crm-log -q K2 purchase --amount 10 --at 2026-11-20 >/dev/null
	run crm-find müller
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "id,ref,first_name,last_name,company,email,phone,street,postal_code,city,country" ]
	[ "${lines[1]}" = "1,K1,Anna,Müller,,anna.mueller@example.de,+49301234567,,,Köln," ]
	[ "$(refs -n 2 müller)" = "K1 K2" ]
	[ "$(refs --where 'orders >= 1' müller)" = "K2" ]
	run crm-find --format json --columns ref,spend mueller berlin
	expect_text '[
{"ref":"K2","spend":10.00}
]'
	crm-add -q --update --ref K3 --consent post=yes --street "Weg 1" --postal-code 80331 --city München >/dev/null
	[ "$(refs --for post müller)" = "K3" ]
}

@test "crm-find pipes into crm-log -" {
	people
	crm-find -q --columns id mueller koeln |
	    crm-log -q - callback --subject "Rückruf" --at 2026-11-26
	[ "$(sql "SELECT customer_id || ' ' || kind FROM events")" = "1 callback" ]
}

@test "crm find runs crm-find" {
	people
	run crm find -q --columns ref weiss
	[ "$status" -eq 0 ]
	expect_text 'ref
K4'
	run crm
	[[ "$output" == *"find "* ]]
}

@test "crm-show: a phone number shows its customer; a name suggests crm find (67)" {
	people
	run crm-show "030 1234567"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Anna Müller (K1, #1)" ]]
	run crm-show Müller
	[ "$status" -eq 67 ]
	[[ "$output" == *'no customer "Müller"'*"crm find Müller"* ]]
	crm-add -q --ref K6 --name "Zweite Nummer" --phone "030 1234567" >/dev/null
	run crm-show 0301234567
	[ "$status" -eq 65 ]
	[[ "$output" == *"several customers have phone +49301234567"* ]]
}
