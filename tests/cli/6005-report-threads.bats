#!/usr/bin/env bats
# crm-report nightly reads the RFM segments on a second connection in a
# thread of its own, both connections pinned to the same state of the
# database: the report and its record are the same as in one thread
# (CRM_REPORT_THREADS=1), night after night, and with the write lock held
# by another program it goes on in one thread.

load helper

# nights: two recorded nightly reports with purchases logged between them;
# prints both reports, the record and the kept aggregates.
nights() {
	CRM_NOW=2026-11-20T06:00:00 crm-report nightly --format json
	CRM_NOW=2026-11-20T12:00:00 crm-log -q K000001 purchase --amount 99 --at 2026-11-20T10:00 >/dev/null
	CRM_NOW=2026-11-20T12:00:00 crm-log -q K000002 return --amount 10 --at 2026-11-20T11:00 >/dev/null
	CRM_NOW=2026-11-21T06:00:00 crm-report nightly --since last
	sql "SELECT * FROM report_segments ORDER BY customer_id"
	sql "SELECT * FROM customer_stats ORDER BY customer_id"
	sql "SELECT value FROM meta WHERE key = 'stats'"
}

@test "nightly: the same report and record in two threads as in one" {
	"$CRM_ROOT/scripts/gen-data" -c 300 -e 8 -s 11 -f plain .
	crm-import -q customers.csv events.csv
	cp "$CRM_DB" one.db
	CRM_DB=one.db CRM_REPORT_THREADS=1 nights >one.out 2>one.err
	nights >two.out 2>two.err
	[ ! -s one.err ] && [ ! -s two.err ]
	[ "$(grep -c '^Nightly report' two.out)" = 1 ]
	grep -q 'Moves since the last report' two.out
	diff -u one.out two.out
}

@test "nightly: with the write lock held by another program, in one thread" {
	"$CRM_ROOT/scripts/gen-data" -c 100 -e 5 -s 3 -f plain .
	crm-import -q customers.csv events.csv
	export CRM_NOW=2026-11-20T06:00:00
	crm-report nightly --no-record >want
	hold_lock
	a=$(date +%s%N)
	crm-report nightly --no-record >got 2>err
	b=$(date +%s%N)
	release_lock
	[ ! -s err ]
	diff -u want got
	# it waited for the lock a second at most, not the busy timeout
	[ $(( (b - a) / 1000000 )) -lt 4000 ]
}
