#!/usr/bin/env bats
# 8003-concurrency.bats: importers, loggers and readers at once on one
# database: no write lost, no "database is locked" within the busy
# timeout, readers never see half a batch; 75 with a clear message when
# the timeout is really exceeded.

load helper

SECS=${CRM_STRESS_SECS:-60}     # how long the writers keep writing
N=200                           # customers; every batch touches each

# writer_import W: import files of one purchase for every customer until
# the time is up; one line per run in import-W.log: the exit status.
writer_import() {
	local w=$1 j=0
	while [ "$(date +%s)" -lt "$end" ]; do
		j=$((j + 1))
		awk -v w="$w" -v j="$j" -v n="$N" 'BEGIN {
			print "ref,at,kind,amount,event_ref"
			for (i = 1; i <= n; i++)
				printf "C%d,2026-11-%02d,purchase,1.00,i%s-%d-%d\n", i, j % 28 + 1, w, j, i
		}' >"in-$w.csv"
		crm-import -q --rejects none.csv "in-$w.csv" 2>>errors.log
		echo $? >>"import-$w.log"
	done
}

# writer_log W: the same with crm-log - purchase batches.
writer_log() {
	local w=$1 j=0
	while [ "$(date +%s)" -lt "$end" ]; do
		j=$((j + 1))
		crm-log -q - purchase --amount 1 --ref "l$w-$j" <refs.csv \
		    >/dev/null 2>>errors.log
		echo $? >>"log-$w.log"
	done
}

# reader_segment R: every customer's order count must be the same at
# every moment, since every batch gives each customer one purchase.
reader_segment() {
	local r=$1
	while [ "$(date +%s)" -lt "$end" ]; do
		if crm-segment --format csv --columns orders >"seg-$r.out" 2>>errors.log; then
			n=$(sed 1d "seg-$r.out" | sort -u | wc -l)
			rows=$(sed 1d "seg-$r.out" | wc -l)
			if [ "$n" -ne 1 ] || [ "$rows" -ne "$N" ]; then
				echo "half a batch: $(sed 1d "seg-$r.out" | sort | uniq -c | tr '\n' ' ')" >>errors.log
			fi
			echo 0 >>"segment-$r.log"
		else
			echo $? >>"segment-$r.log"
		fi
	done
}

# reader_report: the nightly report, as cron would run it.
reader_report() {
	while [ "$(date +%s)" -lt "$end" ]; do
		crm-report --no-record nightly --format csv >/dev/null 2>>errors.log
		echo $? >>report.log
		sleep 0.2
	done
}

@test "2 importers, 2 loggers, 2 readers at once: nothing lost, never locked, never half a batch" {
	local runs events ok
	export CRM_BUSY_TIMEOUT=30
	awk -v n="$N" 'BEGIN { print "ref,name"; for (i = 1; i <= n; i++) printf "C%d,Name %d\n", i, i }' >people.csv
	crm-add -q - <people.csv
	awk -F, 'NR > 1 { print $1 } NR == 1 { print "ref" }' people.csv >refs.csv
	: >errors.log
	end=$(($(date +%s) + SECS))
	writer_import 1 & writer_import 2 &
	writer_log 1 & writer_log 2 &
	reader_segment 1 & reader_report &
	wait
	if [ -s errors.log ]; then
		sort errors.log | uniq -c | head -20
		false
	fi
	! grep -hv '^0$' import-*.log log-*.log segment-*.log report.log
	runs=$(cat import-*.log log-*.log | wc -l)
	events=$(sql 'SELECT count(*) FROM events')
	echo "# $runs batches of $N events in $SECS s; $(cat segment-*.log report.log | wc -l) reads" >&3
	[ "$runs" -ge 4 ]
	[ "$events" -eq $((runs * N)) ] || { echo "$events events, $runs batches"; false; }
	[ "$(sql 'SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM events GROUP BY customer_id)')" = 1 ]
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
}

@test "a lock held longer than --wait: 75 and a clear message, nothing stored" {
	add_anna
	hold_lock
	run crm-log --wait 1 K1 note --subject late
	[ "$status" -eq 75 ]
	[[ "$output" == *"database is busy"*"try again"* ]]
	run crm-import --wait 1 "$DATA/import/mixed.csv"
	[ "$status" -eq 75 ]
	release_lock
	[ "$(sql 'SELECT count(*) FROM events')" = 0 ]
}
