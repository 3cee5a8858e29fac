#!/usr/bin/env bats
# 8002-crash.bats: crash safety. crm-import and crm-log - are killed with
# SIGKILL at random moments; every time the database passes
# PRAGMA integrity_check and holds all of the file or none of it. A full
# disk (a file size limit) gives a clear error and an intact database.

load helper

# The file is big enough to take a second or two (fewer rows under
# valgrind, where everything is slower: the kills still land mid-run).
ROWS=${CRM_CRASH_ROWS:-30000}
[ -z "${CRM_BIN:-}" ] || ROWS=2000
KILLS=${CRM_CRASH_KILLS:-20}

# make_file: big.csv with ROWS customers and a purchase each, refs.csv
# with their refs.
make_file() {
	awk -v n="$ROWS" 'BEGIN {
		print "ref,name,email,city,at,kind,amount"
		for (i = 1; i <= n; i++)
			printf "K%d,Name %d,n%d@example.org,City %d,2026-%02d-%02d,purchase,%d.50\n",
			    i, i, i, i % 50, i % 12 + 1, i % 28 + 1, i % 300
	}' >big.csv
	awk -F, 'NR == 1 { print "ref"; next } { print $1 }' big.csv >refs.csv
}

# ms: the time in milliseconds.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# killed_at N CMD...: run CMD in the background, SIGKILL it after N ms
# (if it is still running), wait for it.
killed_at() {
	local n=$1 pid
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((n / 1000)) $((n % 1000)))"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# check DB TABLE EXPECT...: integrity ok and the count of TABLE one of
# EXPECT.
check() {
	local db=$1 table=$2 n ok
	shift 2
	ok=$(sqlite3 "$db" 'PRAGMA integrity_check')
	[ "$ok" = ok ] || { echo "integrity_check: $ok"; return 1; }
	n=$(sqlite3 "$db" "SELECT count(*) FROM $table")
	for e; do
		[ "$n" != "$e" ] || return 0
	done
	echo "$table holds $n rows, not one of: $*"
	return 1
}

@test "crm-import killed at random moments: all of the file or none" {
	local i t0 full at whole=0 none=0
	make_file
	crm-add -q --ref K0 --name Zero
	cp "$CRM_DB" base.db
	# one run to the end, to know how long it takes
	t0=$(ms)
	crm-import -q big.csv
	full=$(($(ms) - t0))
	check "$CRM_DB" customers $((ROWS + 1))
	for i in $(seq "$KILLS"); do
		rm -f k.db k.db-wal k.db-shm
		cp base.db k.db
		at=$((RANDOM % (full + 1)))
		killed_at "$at" crm-import -q -d k.db big.csv
		check k.db customers 1 $((ROWS + 1)) || { echo "kill $i at $at ms"; false; }
		check k.db events 0 "$ROWS"
		if [ "$(sqlite3 k.db 'SELECT count(*) FROM events')" = 0 ]; then
			none=$((none + 1))
			check k.db batches 0
		else
			whole=$((whole + 1))
		fi
	done
	echo "# $KILLS kills in ${full} ms runs: $none none, $whole whole" >&3
	# the database is still usable after the last kill
	run crm-import -q -d k.db big.csv
	[ "$status" -eq 0 ]
	check k.db events "$ROWS"
}

@test "crm-log - batches killed at random moments: all of the batch or none" {
	local i t0 full at
	make_file
	crm-import -q --kind note big.csv 2>/dev/null || true
	sqlite3 "$CRM_DB" 'DELETE FROM events'
	cp "$CRM_DB" base.db
	t0=$(ms)
	crm-log -q - note --subject batch <refs.csv
	full=$(($(ms) - t0))
	check "$CRM_DB" events "$ROWS"
	for i in $(seq "$KILLS"); do
		rm -f k.db k.db-wal k.db-shm
		cp base.db k.db
		at=$((RANDOM % (full + 1)))
		killed_at "$at" sh -c 'exec crm-log -q -d k.db - note --subject batch <refs.csv'
		check k.db events 0 "$ROWS" || { echo "kill $i at $at ms"; false; }
	done
}

@test "a full disk (file size limit): 74, a clear message, the database intact" {
	local size
	make_file
	add_anna
	dump() { sqlite3 "$CRM_DB" .dump; }
	dump >before.sql
	size=$(($(stat -c %s "$CRM_DB") / 1024 + 64))
	# SIGXFSZ ignored, so that writes fail with EFBIG instead
	run sh -c "trap '' XFSZ; ulimit -f $size; exec crm-import -q --rejects none.csv big.csv"
	[ "$status" -eq 74 ] || { echo "$status: $output"; false; }
	[[ "$output" == "crm-import: "*"disk I/O error"* ]]
	check "$CRM_DB" customers 1
	dump | diff -u before.sql -
	sed 's/^K/X/' big.csv | cut -d, -f1-4 >people.csv
	run sh -c "trap '' XFSZ; ulimit -f $size; exec crm-add - <people.csv"
	[ "$status" -eq 74 ] || { echo "$status: $output"; false; }
	[[ "$output" == "crm-add: "*"disk I/O error"* ]]
	check "$CRM_DB" customers 1
	dump | diff -u before.sql -
	# and afterwards, with room again, the same import works
	run crm-import -q --rejects none.csv big.csv
	[ "$status" -eq 0 ]
	check "$CRM_DB" customers "$ROWS"      # K1 is Anna
}
