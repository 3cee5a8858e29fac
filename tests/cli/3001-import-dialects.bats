#!/usr/bin/env bats
# crm-import: the dialects spreadsheets write: delimiters, encodings, BOMs,
# sep= lines, line ends, quoting, trailing empty columns, German Excel.

load helper

IMP="$DATA/import"

# people: the customers as ref|first|last|email|city, one a line.
people() {
	sql "SELECT ref, first_name, last_name, email, city FROM customers ORDER BY ref"
}

EN="K1|Anna|Müller|anna@example.de|Berlin
K2|Zoë|Ångström|zoe@example.de|Köln"

@test "German Excel: ';', Windows-1252, CRLF, decimal comma, DD.MM.YYYY, German headers" {
	run crm-import --kind purchase "$IMP/excel-de.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 rows (windows-1252, ';'): customers 2 created"*"events 2 added"* ]]
	run sql "SELECT ref, first_name, last_name, email, phone, street, postal_code, city, attrs FROM customers ORDER BY id"
	expect_text 'K1|Anna|Müller|anna@example.de|+49301234567|Hauptstraße 5|10115|Berlin|{"Bemerkung intern":"Stammkundin"}
K2|Jörg|Weiß|joerg@example.de||Gartenweg 1a|04109|Leipzig|{}'
	run sql "SELECT customer_id, date(at, 'unixepoch'), kind, amount_cents, currency, category FROM events ORDER BY id"
	expect_text "1|2026-11-20|purchase|123456|EUR|Jacken
2|2026-11-21|purchase|5990|EUR|Jeans"
}

@test "a German Excel file without --kind: its rows are rejected with the reason" {
	run crm-import "$IMP/excel-de.csv"
	[ "$status" -eq 65 ]
	[[ "$output" == *"excel-de.csv:2: no kind: give a kind column or --kind"* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 0 ]
}

@test "UTF-8 with a BOM" {
	run crm-import "$IMP/utf8-bom.csv"
	[ "$status" -eq 0 ]
	run people
	expect_text "$EN"
}

@test "Excel Unicode Text: UTF-16LE with BOM, tabs, quoted tab and newline" {
	run crm-import "$IMP/unicode-text.txt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(utf-16le, 'tab')"* ]]
	run sql "SELECT ref, first_name, last_name, email, notes FROM customers ORDER BY ref"
	expect_text "K1|Anna|Müller|anna@example.de|Tab	here
K2|Hans|Müller|hans@example.de|zwei
Zeilen"
}

@test "a sep=; first line, a pipe, CR-only line ends" {
	for f in sep-line.csv pipe.csv cr-only.csv; do
		rm -f "$CRM_DB"*
		run crm-import "$IMP/$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; false; }
		run people
		expect_text "$EN"
	done
}

@test "trailing empty columns in a Windows-1252 file" {
	run crm-import "$IMP/trailing-empty.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(windows-1252, ';')"* ]]
	run people
	expect_text "$EN"
}

@test "quoted delimiters, doubled quotes, newlines and a literal 24\" quote" {
	run crm-import "$IMP/quoted.csv"
	[ "$status" -eq 0 ]
	run sql "SELECT ref, last_name, notes FROM customers ORDER BY ref"
	expect_text 'K1|Müller, Anna|sagt "hallo"
und tschüss
K2|24" Monitor|'
}

@test "--encoding iso-8859-15 reads the euro sign at 0xA4" {
	printf 'ref;notes\nK1;5 \244\n' >l9.csv
	run crm-import --encoding iso-8859-15 l9.csv
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT notes FROM customers')" = "5 €" ]
}

@test "German kinds and values; a duplicate row in one file is a second event" {
	run crm-import "$IMP/events-de.csv"
	[ "$status" -eq 0 ]
	run sql "SELECT c.ref, date(e.at, 'unixepoch'), e.kind, e.amount_cents, e.ref, e.status FROM events e JOIN customers c ON c.id = e.customer_id ORDER BY e.id"
	expect_text "K1|2026-11-20|purchase|5990|B-1|
K1|2026-11-22|complaint||T-1|open
K2|2026-11-20|purchase|1999|B-2|
K2|2026-11-20|purchase|1999|B-2|"
}

@test "a mapping file: columns, constants, value maps, date format, skip" {
	printf 'Export vom 26.11.2026\n\nKd;Wann;Was;Wert;Wo\nK1;11/20/2026;Bestellung;59.90;x\nK1;11/21/2026;Ärger;;y\n' >shop.csv
	cat >shop.map <<'MAP'
# the shop's export (skip counts non-blank lines)
skip 1
delimiter ;
decimal .
date-format %m/%d/%Y
column Kd ref
column Wann at
column Was kind
column Wert amount
column "Wo" attrs.where
value kind "Ärger" complaint
set channel web
MAP
	run crm-import -m shop.map shop.csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run sql "SELECT date(at, 'unixepoch'), kind, channel, amount_cents FROM events ORDER BY id"
	expect_text "2026-11-20|purchase|web|5990
2026-11-21|complaint|web|"
	[ "$(sql 'SELECT attrs FROM customers')" = '{"where":"y"}' ]
}

@test "the mapping file is read however -m is spelled, and options override it" {
	printf 'Kd;Wann;Wert\nK1;11/20/2026;59.90\n' >shop.csv
	printf 'column Kd ref\ncolumn Wann at\ncolumn Wert amount\ndate-format %%m/%%d/%%Y\ndecimal ,\nkind purchase\n' >shop.map
	# -mFILE (attached, as getopt takes it), -nmFILE, --map=FILE
	run crm-import -mshop.map --decimal . shop.csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(sql 'SELECT date(at, "unixepoch"), amount_cents FROM events')" = "2026-11-20|5990" ]
	run crm-import -nmshop.map --decimal . shop.csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"events 0 added, 1 already present; 0 rejected"* ]]
	# an option before the mapping file still wins over it
	run crm-import --decimal . --map=shop.map --dry-run shop.csv
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"events 0 added, 1 already present; 0 rejected"* ]]
}

@test "a bad mapping file is a usage error with file and line" {
	printf 'column a nosuchfield\n' >bad.map
	run crm-import -m bad.map "$IMP/pipe.csv"
	[ "$status" -eq 64 ]
	expect_text 'crm-import: bad.map:1: unknown field "nosuchfield" (see crm(5))'
}

@test "--sniff prints a mapping file that imports the file" {
	run crm-import --sniff "$IMP/excel-de.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *"encoding windows-1252"*"delimiter ;"*"decimal ,"* ]]
	[[ "$output" == *'column Kundennummer ref'* ]]
	[[ "$output" == *'#column "Bemerkung intern" attrs.Bemerkung intern'* ]]
	printf '%s\nkind purchase\n' "$output" >excel.map
	run crm-import -m excel.map "$IMP/excel-de.csv"
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 2 ]
}
