#!/usr/bin/env bats
# crm-segment --where: the expression suite of tests/data/segment/where.txt
# on the fixture of segment.bash; errors with a caret; hostile strings that
# must stay values; --columns.

load helper
load segment

@test "the --where suite: every expression selects what where.txt says" {
	fixture
	local n=0 bad=0 expr want got
	while IFS=$'\t' read -r expr want; do
		case $expr in '#'*|'') continue ;; esac
		n=$((n + 1))
		if [ "${want#!}" != "$want" ]; then
			got=$(crm-segment --where "$expr" 2>&1 >/dev/null) &&
			    rc=0 || rc=$?
			if [ $rc -ne 65 ] || [[ "$got" != *"${want#!}"* ]]; then
				echo "$expr: want 65 and '${want#!}', got $rc: $got"
				bad=$((bad + 1))
			fi
			continue
		fi
		got=$(refs --where "$expr") || { echo "$expr: failed"; bad=$((bad + 1)); continue; }
		[ -n "$got" ] || got=-
		if [ "$got" != "$want" ]; then
			echo "$expr: want '$want', got '$got'"
			bad=$((bad + 1))
		fi
	done <"$SEGDATA/where.txt"
	echo "$n cases, $bad failed"
	[ "$n" -ge 70 ]
	[ "$bad" -eq 0 ]
}

@test "a syntax error shows the expression with ^ under the column" {
	fixture
	run crm-segment --where 'orders >= 3 and last_purchase < '
	[ "$status" -eq 65 ]
	expect_text 'crm-segment: --where: column 33: expected a value after "<"
  orders >= 3 and last_purchase < 
                                  ^'
	run crm-segment --where 'city = Berlin Hamburg'
	[ "$status" -eq 65 ]
	[ "${lines[0]}" = 'crm-segment: --where: column 15: expected "and", "or" or the end, not "Hamburg"' ]
	[ "${lines[2]}" = '                ^' ]
}

@test "hostile strings are values: nothing is changed, nothing leaks" {
	fixture
	crm-add -q --ref K99 --name "Bobby Tables" \
	    --city "'; DROP TABLE customers; --" >/dev/null
	before=$(sql "SELECT count(*) FROM customers")
	while IFS= read -r h; do
		for form in "city = \"%s\"" "name ~ \"%s\"" "tag:\"%s\"" \
		    "ref in (\"%s\", K01)" "attrs.x = \"%s\""; do
			e=$(printf '%s' "$h" | sed 's/[\\"]/\\&/g')
			printf -v expr "$form" "$e"
			run crm-segment --columns ref --where "$expr"
			[ "$status" -eq 0 ] || { echo "$expr: $output"; false; }
		done
	done <<'EOF'
'; DROP TABLE customers; --
x' OR '1'='1
" OR 1=1 --
Robert'); DELETE FROM events; --
?1
%
1) OR (1=1
\"; DROP TABLE segments; --
EOF
	[ "$(sql "SELECT count(*) FROM customers")" = "$before" ]
	[ "$(sql "SELECT count(*) FROM events")" -gt 0 ]
	[ "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'segments'")" = 1 ]
	# a value that looks like SQL is compared, not run: it matches itself
	[ "$(refs --where "city = \"'; DROP TABLE customers; --\"")" = K99 ]
	[ "$(refs --where "city = \"x' OR '1'='1\"")" = "" ]
	[ "$(refs --where "ref in (\"x' OR '1'='1\", K01)")" = K01 ]
	# % and _ are not wildcards of ~
	[ "$(refs --where 'name ~ "%"')" = "" ]
	[ "$(refs --where 'name ~ "_"')" = "" ]
}

@test "--columns chooses any fields; money and dates are formatted" {
	fixture
	run crm-segment --where 'ref in (K01, K11)' \
	    --columns ref,name,spend,aov,last_purchase,avg_rating,tags,attrs.size,segment
	[ "$status" -eq 0 ]
	expect_text "ref,name,spend,aov,last_purchase,avg_rating,tags,attrs.size,segment
K01,Anna Müller,400.00,100.00,2026-11-20,5,vip,40,Champions
K11,Karla Neumann,0.00,,,,,,"
	run crm-segment --columns ref,nosuch
	[ "$status" -eq 65 ]
	[[ "$output" == *'unknown column "nosuch"'* ]]
	run crm-segment --columns ref --count
	[ "$status" -eq 64 ]
}

@test "--where with --as-of: aggregates and relative dates as of that day" {
	fixture
	[ "$(refs --as-of 2026-06-30 --where 'orders >= 3')" = "K02 K06" ]
	[ "$(refs --as-of 2026-06-30 --where 'returns > 0')" = "" ]
	# -30d counts from the as-of date: since 2026-05-31
	[ "$(refs --as-of 2026-06-30 --where 'last_purchase >= -30d')" = "K01 K07 K09" ]
	# the complaint of 2026-09-05 (closed later) was not yet there
	[ "$(refs --as-of 2026-06-30 --where 'complaints > 0')" = "" ]
	[ "$(refs --as-of 2026-09-06 --where 'complaints_open > 0')" = "K02" ]
}

@test "--count of a selection: one line, named after the expression" {
	fixture
	run crm-segment --count --where 'city = Berlin'
	[ "$status" -eq 0 ]
	expect_text "segment,customers,spend
city = Berlin,4,1000.00"
	run crm-segment --count
	expect_text "segment,customers,spend
all,11,3650.00"
}
