#!/usr/bin/env bats
# 8001-hostile.bats: hostile input through every command: the files of
# tests/data/bad/, huge fields and lines, very long and deeply nested
# filter expressions, SQL-looking text and terminal escapes. Each gives a
# clear message and the documented exit status, never a crash (no status
# of 128 or more), and leaves the database as it was.

load helper

BAD="$DATA/bad"

setup() {
	TMP=$(mktemp -d)
	cd "$TMP" || return 1
	export CRM_DB="$TMP/crm.db"
	export CRM_NOW=2026-11-26T12:00:00
	export CRM_USER=tester
	export LC_ALL=C TZ=UTC
	unset CRM_BUSY_TIMEOUT CRM_PHONE_COUNTRY XDG_DATA_HOME
	add_anna
	crm-log -q K1 purchase --amount 12.50 --product P1 >/dev/null
	crm-log -q K1 complaint --subject "late" --status open >/dev/null
	dump >before.sql
}

# dump: the database as SQL text, without the audit log's and batches'
# times (a refused import may record that it was tried) and without the
# aggregates crm-segment keeps as a cache (customer_stats and its stamp).
dump() {
	sqlite3 "$CRM_DB" .dump | grep -v -e '^INSERT INTO audit ' \
	    -e '^INSERT INTO batches ' -e '^INSERT INTO batch_changes ' \
	    -e '^INSERT INTO customer_stats ' -e "^INSERT INTO meta VALUES('stats',"
}

# unchanged: the database holds what it held before the test.
unchanged() {
	dump >after.sql
	diff -u before.sql after.sql
}

# no_crash: $status is not a signal and stderr is not empty.
no_crash() {
	[ "$status" -lt 128 ] || { echo "status $status: $output"; false; }
	[ -n "$output" ] || { echo "no message"; false; }
}

# no_escape: $output holds no ESC, BEL or 8-bit CSI.
no_escape() {
	! grep -q "$(printf '[\033\007]')" <<<"$output"
	! LC_ALL=C grep -q "$(printf '\302\233')" <<<"$output"
}

# each unreadable file: crm-import, crm-add - and crm-log - refuse it with
# 65 and a message naming the line.
@test "broken files: every command refuses them with 65, database unchanged" {
	local f
	for f in unbalanced-quote.csv text-after-quote.csv invalid-utf8.csv \
	    overlong-utf8.csv nul.csv binary.bin gzip.csv.gz utf16-broken.txt; do
		cp "$BAD/$f" .
		run crm-import "$f"
		no_crash
		[ "$status" -eq 65 ] || { echo "crm-import $f: $status $output"; false; }
		[[ "$output" == *"$f:"[0-9]*": "* ]] || { echo "$output"; false; }
		run crm-add - <"$f"
		no_crash
		[ "$status" -eq 65 ] || { echo "crm-add $f: $status $output"; false; }
		[[ "$output" == "crm-add: <stdin>:"[0-9]*": "* ]]
		run crm-log - note <"$f"
		no_crash
		[ "$status" -eq 65 ] || { echo "crm-log $f: $status $output"; false; }
		[[ "$output" == "crm-log: <stdin>:"[0-9]*": "* ]]
		run crm-segment - <"$f"
		no_crash
		[ "$status" -eq 65 ] || { echo "crm-segment $f: $status $output"; false; }
		run crm-show - <"$f"
		[ "$status" -lt 128 ]
	done
	unchanged
}

@test "messages name the problem" {
	run crm-import "$BAD/nul.csv"
	[[ "$output" == *"nul.csv:2: NUL byte (not a text file?)"* ]]
	run crm-import "$BAD/unbalanced-quote.csv"
	[[ "$output" == *"unbalanced-quote.csv:2: quote never closed"* ]]
	run crm-import "$BAD/utf16-broken.txt"
	[[ "$output" == *"utf16-broken.txt:1: invalid UTF-16"* ]]
	run crm-add - <"$BAD/binary.bin"
	[[ "$output" == *"<stdin>:1: invalid UTF-8"* ]]
}

@test "terminal escapes and C1 controls in names are refused, not quoted back" {
	local f
	for f in escape-name.csv c1-csi-name.csv; do
		run crm-import --rejects none.csv "$BAD/$f"
		[ "$status" -eq 65 ]
		[[ "$output" == *"$f:2: invalid last_name: a control character at byte 4"* ]]
		no_escape
		run crm-add - <"$BAD/$f"
		[ "$status" -eq 65 ]
		no_escape
	done
	run crm-add --ref K9 --name "$(printf 'Eve\033]0;owned\007')"
	[ "$status" -eq 65 ]
	[[ "$output" == *"invalid last_name: a control character"* ]]
	no_escape
	run crm-log K1 note --subject "$(printf 'hi\033[2J')"
	[ "$status" -eq 65 ]
	[[ "$output" == *"invalid subject: a control character at byte 3"* ]]
	run crm-import --kind note --rejects none.csv "$BAD/escape-subject.csv"
	[ "$status" -eq 65 ]
	no_escape
	unchanged
}

@test "a reject reason that quotes a value has its escapes blanked" {
	printf 'ref,at,kind\nK1,2026-11-01,"x\033[2Jy"\n' >kind.csv
	run crm-import --rejects none.csv kind.csv
	[ "$status" -eq 65 ]
	[[ "$output" == *'unknown kind "x [2Jy"'* ]]
	no_escape
	unchanged
}

@test "a field over 16 MiB and a 20 MiB line: 65, no crash" {
	{ printf 'ref,name\nK9,'; head -c $((17 << 20)) /dev/zero | tr '\0' x; printf '\n'; } >huge-field.csv
	run crm-import huge-field.csv
	no_crash
	[ "$status" -eq 65 ]
	[[ "$output" == *"huge-field.csv:2: "*"field"* ]]
	run crm-add - <huge-field.csv
	no_crash
	[ "$status" -eq 65 ]
	# a header of a million columns, no newline at all
	{ printf 'ref'; head -c $((20 << 20)) /dev/zero | tr '\0' ','; } >wide.csv
	run crm-import wide.csv
	no_crash
	run crm-log - note <wide.csv
	no_crash
	unchanged
}

@test "SQL in data is stored as text, and tables stay" {
	run crm-import --rejects none.csv "$BAD/sql-strings.csv"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(sql "SELECT first_name || ' ' || last_name FROM customers WHERE ref = 'K9'")" = "Robert'); DROP TABLE customers;--" ]
	[ "$(sql "SELECT city FROM customers WHERE ref = 'K9'")" = "Berlin' OR '1'='1" ]
	[ "$(sql 'SELECT count(*) FROM events')" = 2 ]
	run crm-segment --where "city = \"Berlin' OR '1'='1\"" --columns ref
	[ "$status" -eq 0 ]
	expect_text "ref
K9"
	run crm-segment --where "name = \"x'); DROP TABLE customers; --\"" --count
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *",0,0.00" ]]
	run crm-segment --where "city = Berlin; DROP TABLE customers"
	[ "$status" -eq 65 ]
	run crm-show "K1'; DROP TABLE customers; --"
	[ "$status" -eq 67 ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 2 ]
}

@test "very long and deeply nested filter expressions: 65 with a message" {
	local e
	e=$(printf '%.0s(' {1..1000})
	run crm-segment --where "${e}city = x"
	[ "$status" -eq 65 ]
	[[ "$output" == *"too deeply nested (at most 50)"* ]]
	e=$(printf '%.0snot ' {1..1000})
	run crm-segment --where "${e}city = x"
	[ "$status" -eq 65 ]
	e=$(printf 'city = x%.0s or ' {1..2000})
	run crm-segment --where "${e}city = y"
	[ "$status" -eq 65 ]
	[[ "$output" == *"too many conditions (at most 250)"* ]]
	e=$(printf 'x%.0s,' {1..1000})
	run crm-segment --where "city in (${e}y)"
	[ "$status" -eq 65 ]
	# a string of 100 000 characters is a value like any other
	e=$(head -c 100000 /dev/zero | tr '\0' a)
	run crm-segment --where "name ~ \"$e\"" --count
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *",0,0.00" ]]
	run crm-segment --where "$(printf 'city = \033[2J')"
	no_crash
	no_escape
	unchanged
}

@test "the limits of the language are within what SQLite parses" {
	local e
	# 47 parentheses, "not" and one more inside (50 levels), 250
	# conditions
	e=$(printf '%.0s(' {1..47})
	run crm-segment --where "${e}not (spend > 5 and last_purchase < -3d and city in (a, b))$(printf '%.0s)' {1..47})" --count
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	e=$(printf '(not tag:x and spend > %.0s1) or ' {1..124})
	run crm-segment --where "${e}(clv > 1 and spend > 2)" --count
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "${lines[1]}" == *",1,12.50" ]] || { echo "$output"; false; }
}

@test "mail: not mail, no sender, deep multipart, escapes" {
	run crm-log --mail <"$BAD/not-mail.eml"
	[ "$status" -eq 65 ]
	[[ "$output" == *"not a mail message"* ]]
	run crm-log --mail <"$BAD/no-from.eml"
	[ "$status" -eq 65 ]
	[[ "$output" == *"no From: header"* ]]
	run crm-log --mail <"$BAD/binary.bin"
	no_crash
	[ "$status" -eq 65 ]
	unchanged
	sed 's/anna@example.de/nobody@example.org/' "$BAD/deep-multipart.eml" >deep.eml
	run crm-log --mail <deep.eml
	[ "$status" -eq 67 ]
	[[ "$output" == *"sender nobody@example.org is not a customer"* ]]
	unchanged
	run crm-log -q --mail <"$BAD/deep-multipart.eml"
	[ "$status" -eq 0 ]
	run crm-log --mail <"$BAD/escape-mail.eml"
	[ "$status" -eq 0 ]
	no_escape
	[ "$(sql "SELECT subject FROM events WHERE kind = 'email_in' ORDER BY id DESC LIMIT 1")" = "hi ]0;owned [2J" ]
}

@test "crm-show: hostile keys give 65 or 67 without escapes" {
	run crm-show "$(printf 'K1\033[2J')"
	[ "$status" -eq 67 ]
	no_escape
	run crm-show "$(printf 'a\033@b.de')"
	[ "$status" -eq 65 ]
	no_escape
	run crm-show "#99999999999999999999999"
	[ "$status" -eq 65 ]
	run crm-show "$(head -c 100000 /dev/zero | tr '\0' k)"
	[ "$status" -eq 67 ]
	[ "${#output}" -lt 2000 ] || [ "${#output}" -gt 0 ]
}

# Data stored before the checks existed (or written by other programs)
# can hold anything: what reaches a terminal is blanked.
@test "table output and the text card never pass control characters" {
	sql "UPDATE customers SET first_name = 'Eve' || char(27) || ']0;owned' || char(7),
	    last_name = 'R' || char(27) || '[31med' || char(155) || char(8238) || 'x',
	    city = char(27) || '[2J' WHERE ref = 'K1';
	    UPDATE events SET subject = 'hi' || char(27) || '[2J', product = char(27) || 'P',
	    body = 'line' || char(27) || '[1m one' || char(10) || 'two' WHERE customer_id = 1"
	run crm-segment --format table
	[ "$status" -eq 0 ]
	no_escape
	! grep -q "$(printf '\342\200\256')" <<<"$output"     # U+202E
	[[ "$output" == *"Eve ]0;owned "* ]]
	run crm-show K1
	[ "$status" -eq 0 ]
	no_escape
	! grep -q "$(printf '\342\200\256')" <<<"$output"
	[[ "${lines[0]}" == "Eve ]0;owned  R [31med  x (K1, #1)" ]] || { echo "${lines[0]}"; false; }
	[[ "$output" == *'"hi [2J"'* ]]
	[[ "$output" == *"line [1m one …"* ]]
	run crm-log --format table K1 note --subject ok
	[ "$status" -eq 0 ]
	no_escape
	crm-log -q K1 callback --subject "call back" >/dev/null
	sql "UPDATE customers SET first_name = 'E' || char(155) || char(127), last_name = 'R' || char(8238) || 'x' WHERE ref = 'K1'"
	run crm-report --no-record callbacks
	[ "$status" -eq 0 ]
	no_escape
	! grep -q "$(printf '\342\200\256')" <<<"$output"
	! grep -q "$(printf '\177')" <<<"$output"
	[[ "$output" == *"callback  K1   E   R x  "* ]] || { echo "$output"; false; }
	# on a real terminal too (script(1) gives the command a pty)
	if command -v script >/dev/null 2>&1; then
		run script -qec "crm-segment --columns ref,name,city" /dev/null
		[ "$status" -eq 0 ]
		no_escape
		[[ "$output" == *"K1   E   R x"* ]] || { echo "$output"; false; }
	fi
}
