#!/usr/bin/env bats
# crm-add: adding and updating customers from options and from CSV/TSV.

load helper

HDR="id,ref,first_name,last_name,company,email,phone,street,postal_code,city,country,notes,tags,consents,attrs,created,updated"

@test "add a customer from options and print the stored row" {
	run crm-add --ref K123 --name "Anna Müller" --email Anna@Example.DE \
	    --phone "030 1234567" --street "Hauptstraße 1" --postal-code 10115 \
	    --city Berlin --country DE --company "Müller GmbH" --note "kommt freitags"
	[ "$status" -eq 0 ]
	expect_text "$HDR
1,K123,Anna,Müller,Müller GmbH,anna@example.de,+49301234567,Hauptstraße 1,10115,Berlin,DE,kommt freitags,,,{},2026-11-26T12:00:00,2026-11-26T12:00:00"
}

@test "--name is split sensibly, --first and --last win" {
	crm-add -q --ref A --name "Müller, Anna" >/dev/null
	crm-add -q --ref B --name "Ludwig van Beethoven" >/dev/null
	crm-add -q --ref C --name "Anna Maria Schmidt" --first Annemarie >/dev/null
	run sql "SELECT ref, first_name, last_name FROM customers ORDER BY ref"
	expect_text "A|Anna|Müller
B|Ludwig|van Beethoven
C|Annemarie|Schmidt"
}

@test "tags, consents and --set extra fields are stored" {
	run crm-add --ref K1 --tag VIP --tag stammkunde --consent newsletter=yes \
	    --consent post=nein --set kundenkarte=4711 --set "quelle=Messe 2026"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *',"stammkunde,vip","newsletter=yes,post=no","{""kundenkarte"":""4711"",""quelle"":""Messe 2026""}",'* ]]
	[ "$(sql "SELECT source FROM consents WHERE channel = 'post'")" = crm-add ]
}

@test "an existing ref is refused (65) naming the customer who has it" {
	add_anna
	run crm-add --ref K1 --name "Someone Else"
	[ "$status" -eq 65 ]
	[[ "$output" == *'customer #1 has ref "K1" already'* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 1 ]
}

@test "an existing email is refused whatever its case" {
	add_anna
	run crm-add --ref K2 --email ANNA@example.de
	[ "$status" -eq 65 ]
	[[ "$output" == *"customer #1 has email anna@example.de already"* ]]
}

@test "--update merges only the given fields" {
	add_anna
	run crm-add --update --ref K1 --city Hamburg --tag neu
	[ "$status" -eq 0 ]
	run sql "SELECT first_name, last_name, email, phone, city FROM customers"
	expect_text "Anna|Müller|anna@example.de|+49301234567|Hamburg"
	[ "$(sql 'SELECT tag FROM tags')" = neu ]
}

@test "--update finds the customer by email and may add a ref" {
	crm-add -q --email anna@example.de --name "Anna Müller" >/dev/null
	crm-add -q --update --email anna@example.de --ref K7 >/dev/null
	[ "$(sql 'SELECT id, ref FROM customers')" = "1|K7" ]
}

@test "--update with a ref and an email of two different customers is refused" {
	add_anna
	crm-add -q --ref K2 --email ben@example.de >/dev/null
	run crm-add --update --ref K1 --email ben@example.de
	[ "$status" -eq 65 ]
	[[ "$output" == *"ambiguous"* ]]
}

@test "--update of nobody creates the customer" {
	crm-add -q --update --ref K5 --name "Neu Kunde" >/dev/null
	[ "$(sql 'SELECT ref FROM customers')" = K5 ]
}

@test "invalid values are refused with what is wrong (65)" {
	run crm-add --ref K1 --email "x@"
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid email "x@"'* ]]
	run crm-add --ref K1 --phone "call me"
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid phone "call me"'* ]]
	run crm-add --ref "#5"
	[ "$status" -eq 65 ]
	run crm-add --ref K1 --consent newsletter=vielleicht
	[ "$status" -eq 64 ]
	run crm-add --ref K1 --consent fax=yes
	[ "$status" -eq 65 ]
	[[ "$output" == *"unknown consent channel"* ]]
	run crm-add --ref K1 --set novalue
	[ "$status" -eq 64 ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 0 ]
}

@test "nothing to add on a terminal is a usage error; extra arguments too" {
	run crm-add --ref K1 extra.csv
	[ "$status" -eq 64 ]
}

@test "customers from CSV on standard input; unknown columns go into attrs" {
	printf 'Ref,Name,E-Mail,City,Kundenkarte,tags,consent_newsletter\nK1,Anna Müller,anna@example.de,Berlin,4711,vip;neu,ja\nK2,Ben Weber,,Köln,,,\n' >in.csv
	run crm-add -q <in.csv
	[ "$status" -eq 0 ]
	run sql "SELECT ref, first_name, last_name, email, city, attrs FROM customers ORDER BY id"
	expect_text 'K1|Anna|Müller|anna@example.de|Berlin|{"Kundenkarte":"4711"}
K2|Ben|Weber||Köln|{}'
	[ "$(sql 'SELECT group_concat(tag) FROM tags')" = "neu,vip" ]
	[ "$(sql 'SELECT channel, granted FROM consents')" = "newsletter|1" ]
}

@test "a semicolon CSV file given as an argument is read, delimiter sniffed" {
	printf 'ref;last_name;city\nK1;Müller;Berlin\nK2;Weber;Köln\n' >in.csv
	run crm-add in.csv
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 2 ]
}

@test "TSV on standard input" {
	printf 'ref\tlast_name\nK1\tMüller\n' | crm-add -q >/dev/null
	[ "$(sql 'SELECT last_name FROM customers')" = Müller ]
}

@test "a bad row fails the whole batch with file and line, nothing stored" {
	printf 'ref,email\nK1,a@example.de\nK2,b@example.de\nK3,not-an-email\nK4,d@example.de\n' >in.csv
	run crm-add in.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *'crm-add: in.csv:4: invalid email "not-an-email"'* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 0 ]
}

@test "a row with too many fields fails with its line" {
	printf 'ref,email\nK1,a@example.de\nK2,b@example.de,extra\n' >in.csv
	run crm-add in.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"in.csv:3: 3 fields, the header has 2"* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 0 ]
}

@test "an unclosed quote is malformed CSV (65) with the line" {
	printf 'ref,notes\nK1,"never closed\nK2,x\n' >in.csv
	run crm-add in.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"in.csv:2:"* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 0 ]
}

@test "a file that is not UTF-8 is refused with its line" {
	printf 'ref,city\nK1,K\xf6ln\n' >in.csv
	run crm-add in.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *"in.csv:2:"*"UTF-8"* ]]
}

@test "a missing input file is exit 66" {
	run crm-add nosuch.csv
	[ "$status" -eq 66 ]
	[[ "$output" == *"nosuch.csv"* ]]
}

@test "--update from CSV: empty cells never erase" {
	add_anna
	printf 'ref,email,city\nK1,,Hamburg\n' | crm-add -q --update >/dev/null
	[ "$(sql 'SELECT email, city FROM customers')" = "anna@example.de|Hamburg" ]
}

@test "--tsv output escapes tabs and newlines" {
	run crm-add --tsv --ref K1 --note "$(printf 'a\tb\nc')"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *'a\tb\nc'* ]]
}

@test "--excel output has a BOM, CRLF and neutralised formulas" {
	crm-add --excel --ref K1 --note "=HYPERLINK(\"http://x\")" >out.csv
	head -c 3 out.csv | od -An -tx1 | grep -q 'ef bb bf'
	grep -q $'\r$' out.csv
	grep -q "'=HYPERLINK" out.csv
}

@test "--format json prints an array of objects" {
	run crm-add --format json --ref K1 --last Müller
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >out.json
	[ "$(sqlite3 :memory: "SELECT json_extract(readfile('out.json'), '\$[0].last_name')")" = Müller ]
	[ "$(sqlite3 :memory: "SELECT json_extract(readfile('out.json'), '\$[0].id')")" = 1 ]
}
