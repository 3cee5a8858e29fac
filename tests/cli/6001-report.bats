#!/usr/bin/env bats
# crm-report: every report and format against golden files made from the
# fixture tests/data/report/fixture.sh, whose figures are worked out by hand
# in tests/data/report/README; periods at month and year boundaries; the
# record of runs, --since last and the lock; empty databases; bad input.
# CRM_REGEN=1 rewrites the golden files instead of comparing (then read
# every diff against the README before committing).

load helper

# fixture: the fixture database as $CRM_DB (built once per run).
fixture() {
	local cache="$BATS_RUN_TMPDIR/report-fixture.db"
	if [ ! -f "$cache" ]; then
		CRM_DB="$cache.tmp" CRM_USER=tester sh "$DATA/report/fixture.sh"
		mv "$cache.tmp" "$cache"
	fi
	cp "$cache" "$CRM_DB"
}

# golden FILE ARGS...: crm-report ARGS must exit 0, print nothing on
# stderr, and print tests/data/report/FILE.
golden() {
	local f="$DATA/report/$1"
	shift
	crm-report "$@" >out 2>err || { cat err; return 1; }
	[ ! -s err ] || { echo "stderr:"; cat err; return 1; }
	if [ -n "${CRM_REGEN:-}" ]; then
		cp out "$f"
	fi
	diff -u "$f" out
}

# N: the nightly report of the fixture's period, not recorded.
N="nightly --since 2026-11-25 --until 2026-11-26 --no-record"

@test "nightly: text, md, html, csv, tsv and json of the fixture" {
	fixture
	golden nightly.txt $N
	golden nightly.md $N --format md
	golden nightly.html $N --format html
	golden nightly.csv $N --format csv
	golden nightly.tsv $N -t
	golden nightly.json $N --format json
	# nothing was recorded
	[ "$(sql 'SELECT count(*) FROM reports')" = 0 ]
}

@test "nightly text fits 80 columns" {
	fixture
	crm-report $N >out
	! awk 'length($0) > 80 { print; bad = 1 } END { exit !bad }' out
	[ "$(wc -L <out)" -le 80 ]
}

@test "nightly: one section or table with --section" {
	fixture
	golden section-callbacks.csv $N --section callbacks --format csv
	golden section-sales.md $N --section sales --format md
	golden section-sales.json $N --section sales_figures --format json
	run crm-report $N --section nosuch
	[ "$status" -eq 64 ]
	[[ "$output" == *'no section "nosuch"'*"sales"*"callbacks"* ]]
}

@test "the json report is valid and holds the hand-worked figures" {
	fixture
	crm-report $N --format json >r.json
	q() { sqlite3 :memory: "SELECT json_extract(readfile('r.json'), '$1')"; }
	[ "$(q '$.since')" = 2026-11-25 ]
	[ "$(q '$.previous_since')" = 2026-11-24 ]
	[ "$(q '$.sections[1].name')" = sales ]
	[ "$(q '$.sections[1].tables[0].rows[0].current')" = 210.0 ]
	[ "$(q '$.sections[1].tables[0].rows[0].previous')" = 100.0 ]
	[ "$(q '$.sections[1].charts[0].id')" = revenue ]
	[ "$(sqlite3 :memory: "SELECT json_valid(readfile('r.json'))")" = 1 ]
}

@test "complaints by category and by product" {
	fixture
	golden complaints.txt complaints --since 2026-11-24 --until 2026-11-26
	golden complaints.csv complaints --since 2026-11-24 --until 2026-11-26 --format csv
	golden complaints-product.csv complaints --by product --since 2026-11-24 --until 2026-11-26 --format csv
	run crm-report complaints --by colour
	[ "$status" -eq 64 ]
}

@test "callbacks: open items by due date, overdue first" {
	fixture
	golden callbacks.txt callbacks
	golden callbacks.csv callbacks --format csv
}

@test "campaigns: sent, answered, response rate, revenue after" {
	fixture
	golden campaigns.txt campaigns --since 2026-11-01 --until 2026-11-26
	golden campaigns.json campaigns --since 2026-11-01 --until 2026-11-26 --format json
}

@test "revenue by day, week, month and category" {
	fixture
	golden revenue-day.csv revenue --since 2026-11-20 --until 2026-11-26 --format csv
	golden revenue-week.txt revenue --by week --since 2026-07-01 --until 2026-11-26
	golden revenue-month.csv revenue --by month --since 2026-01-01 --until 2027-01-01 --format csv
	golden revenue-category.md revenue --by category --since 2026-01-01 --format md
	run crm-report revenue --by year
	[ "$status" -eq 64 ]
}

@test "top customers by spend, and by clv without and with a model" {
	fixture
	golden customers.txt customers --top 3
	golden customers.tsv customers -t
	run crm-report customers --by clv
	[ "$status" -eq 0 ]
	[[ "$output" == *"No model has been fitted yet"* ]]
	add_predictions
	golden customers-clv.csv customers --by clv --top 2 --format csv
}

@test "audit: everything, since a date, one customer" {
	fixture
	golden audit.csv audit --format csv
	golden audit-k4.txt audit --customer K4
	crm-report audit --since 2026-11-25T12:00 --format csv >out
	[ "$(wc -l <out)" -eq 3 ]     # header, K4 created, K4's complaint closed
	run crm-report audit --customer K9
	[ "$status" -eq 67 ]
}

# add_predictions: a fitted model and predictions for three customers.
add_predictions() {
	sql "INSERT INTO models (kind, fitted_at, as_of, period, params)
	     VALUES ('bgnbd', $(date -d 2026-11-25T06:00Z +%s), $(date -d 2026-11-25Z +%s), 'day', '{}');
	     INSERT INTO predictions (customer_id, computed_at, model_id, p_alive,
	       expected_purchases, clv_cents, churn_risk, next_purchase,
	       favourite_category, preferred_channel) VALUES
	     (1, 0, 1, 0.35, 0.4, 41000, 'high', $(date -d 2026-12-20Z +%s), 'jackets', 'web'),
	     (2, 0, 1, 0.90, 1.5, 23000, 'low', $(date -d 2026-11-28Z +%s), 'jeans', 'store'),
	     (3, 0, 1, 0.40, 0.2, 5000, NULL, $(date -d 2026-12-02Z +%s), 'shirts', 'newsletter'),
	     (4, 0, 1, 0.95, 2.1, 30000, 'low', $(date -d 2026-11-26T12:00Z +%s), 'jackets', 'web');"
}

@test "predictions: the section says when no model has been fitted" {
	fixture
	crm-report $N --section predictions >out
	grep -q "No model has been fitted yet: run crm-predict fit" out
	crm-report $N --section predictions --format json >p.json
	[ "$(sqlite3 :memory: "SELECT json_array_length(json_extract(readfile('p.json'), '$.sections[0].tables'))")" = 0 ]
}

@test "predictions: due to buy and valuable customers at risk" {
	fixture
	add_predictions
	golden predictions.txt $N --section predictions
	golden predictions-risk.csv $N --section at_risk --format csv
}

@test "RFM segments: recorded with the run, moves counted next time" {
	fixture
	export CRM_NOW=2026-11-26T00:00:00
	crm-report nightly >/dev/null
	[ "$(sql 'SELECT count(*) FROM reports')" = 1 ]
	[ "$(sql 'SELECT group_concat(customer_id || "=" || segment, " ") FROM report_segments')" = \
	    "1=Can't Lose Them 2=Loyal Customers 3=Hibernating 4=Potential Loyalists 5=New Customers" ]
	CRM_NOW=2026-11-26T12:00:00 crm-log -q K2 purchase --amount 10 --at 2026-11-26T10:00 >/dev/null
	CRM_NOW=2026-11-26T12:00:00 crm-log -q K2 purchase --amount 10 --at 2026-11-26T11:00 >/dev/null
	export CRM_NOW=2026-11-27T00:00:00
	golden segments-moves.txt nightly --since last --section segments --no-record
	crm-report nightly --since last --section segment_moves --format csv >out
	[ "$(sql 'SELECT count(*) FROM reports')" = 2 ]
	# one row per customer; four moved and were rewritten, K5 (1) stays
	[ "$(sql 'SELECT count(*) FROM report_segments')" = 5 ]
	[ "$(sql 'SELECT group_concat(report_id, "") FROM report_segments')" = 12222 ]
	[ "$(sql 'SELECT segment FROM report_segments WHERE customer_id = 3')" = Champions ]
	# a night in which nobody moves writes nothing
	CRM_NOW=2026-11-27T00:00:01 crm-report nightly >/dev/null
	[ "$(sql 'SELECT group_concat(report_id, "") FROM report_segments')" = 12222 ]
	# one who moves is rewritten alone; a customer without a segment goes
	sql "INSERT INTO report_segments VALUES (3, 99, 'Loyal')"
	CRM_NOW=2026-11-27T12:00:00 crm-log -q K3 purchase --amount 10 --at 2026-11-27T10:00 >/dev/null
	run env CRM_NOW=2026-11-27T12:00:00 crm-report nightly --since last --section segment_moves --format csv
	# (README: as of 11-27 12:00 K5 stays Can't Lose Them, the others move)
	[ "$(sql 'SELECT group_concat(customer_id || ":" || report_id || ":" || segment, " ") FROM report_segments')" = \
	    "1:1:Can't Lose Them 2:4:Hibernating 3:4:Loyal Customers 4:4:Potential Loyalists 5:4:About To Sleep" ]
	expect_text "from,to,customers
Champions,Loyal Customers,1
Promising,About To Sleep,1
About To Sleep,Potential Loyalists,1
At Risk,Hibernating,1"
}

@test "--since last and the default period follow the recorded runs" {
	fixture
	CRM_NOW=2026-11-26T06:00:00 crm-report nightly --format json >a.json
	q() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"; }
	# first run: since yesterday's midnight
	[ "$(q a.json '$.since')" = 2026-11-25 ]
	[ "$(q a.json '$.until')" = 2026-11-26T06:00:00 ]
	CRM_NOW=2026-11-27T06:00:00 crm-report nightly --since last --format json >b.json
	[ "$(q b.json '$.since')" = 2026-11-26T06:00:00 ]
	[ "$(q b.json '$.previous_since')" = 2026-11-25T06:00:00 ]
	CRM_NOW=2026-11-28T06:00:00 crm-report nightly --format json >c.json
	[ "$(q c.json '$.since')" = 2026-11-27T06:00:00 ]
	[ "$(sql 'SELECT group_concat(kind || " " || since || " " || until, ",") FROM reports')" = \
	    "nightly $(date -d 2026-11-25Z +%s) $(date -d 2026-11-26T06:00Z +%s),nightly $(date -d 2026-11-26T06:00Z +%s) $(date -d 2026-11-27T06:00Z +%s),nightly $(date -d 2026-11-27T06:00Z +%s) $(date -d 2026-11-28T06:00Z +%s)" ]
	# a report that could not be written is not recorded
	[ -w /dev/full ] || skip "no /dev/full"
	run sh -c 'CRM_NOW=2026-11-29T06:00:00 crm-report nightly >/dev/full'
	[ "$status" -eq 74 ]
	[ "$(sql 'SELECT count(*) FROM reports')" = 3 ]
}

@test "two reports started at once run one after the other" {
	fixture
	for i in 1 2 3 4 5; do
		crm-report nightly >out.$i 2>err.$i &
	done
	wait
	for i in 1 2 3 4 5; do
		[ ! -s err.$i ] || { cat err.$i; false; }
		grep -q "^Nightly report" out.$i
	done
	[ "$(sql 'SELECT count(*) FROM reports')" = 5 ]
	# each period starts where the one before ended
	[ "$(sql 'SELECT count(*) FROM reports a JOIN reports b ON b.id = a.id + 1 WHERE b.since != a.until')" = 0 ]
	[ "$(sql 'SELECT count(DISTINCT report_id) FROM report_segments')" = 1 ]
}

@test "a held report lock is waited for, and is busy (75) after --wait" {
	command -v flock >/dev/null || skip "no flock(1)"
	fixture
	CRM_NOW=2026-11-26T06:00:00 crm-report nightly >/dev/null    # creates the lock file
	[ "$(stat -c %a "$CRM_DB-report.lock")" = 600 ]
	# hold the lock until the file "hold" goes
	touch hold
	flock "$CRM_DB-report.lock" sh -c 'while [ -e hold ]; do sleep 0.05; done' &
	while flock -n "$CRM_DB-report.lock" true; do sleep 0.05; done
	run crm-report nightly --wait 0
	[ "$status" -eq 75 ]
	[[ "$output" == *"report lock"* ]]
	crm-report nightly --wait 60 >out 2>err &
	sleep 0.3
	[ ! -s out ]            # still waiting
	rm hold
	wait
	[ ! -s err ]
	grep -q "^Nightly report" out
	[ "$(sql 'SELECT count(*) FROM reports')" = 2 ]
}

@test "periods and deltas at month and year boundaries" {
	printf 'ref\n' | crm-add - >/dev/null
	crm-add -q --ref K1 --name "Anna Müller" >/dev/null
	for a in 2026-11-01T00:00:00:1000 2026-11-30T23:59:59:2000 \
	    2026-12-01T00:00:00:4000 2026-12-31T23:59:59:8000 \
	    2027-01-01T00:00:00:16000 2025-12-31T12:00:00:32000; do
		crm-log -q K1 purchase --amount "${a##*:}" --at "${a%:*}" >/dev/null
	done
	# December against November (calendar months, 31 against 30 days)
	crm-report nightly --no-record --since 2026-12-01 --until 2027-01-01 \
	    --section sales_figures --format csv >out
	grep -q '^revenue,Revenue,12000.00,3000.00,9000.00,300.0$' out
	grep -q '^orders,Orders,2,2,0,0.0$' out
	crm-report nightly --no-record --since 2026-12-01 --until 2027-01-01 --format json >m.json
	[ "$(sqlite3 :memory: "SELECT json_extract(readfile('m.json'), '$.previous_since')")" = 2026-11-01 ]
	# the year 2026 against 2025
	crm-report nightly --no-record --since 2026-01-01 --until 2027-01-01 \
	    --section sales_figures --format csv >out
	grep -q '^revenue,Revenue,15000.00,32000.00,-17000.00,-53.1$' out
	# the last day of the year against the day before; the new year's
	# first second belongs to the next period
	crm-report nightly --no-record --since 2026-12-31 --until 2027-01-01 \
	    --section sales_figures --format csv >out
	grep -q '^revenue,Revenue,8000.00,0.00,8000.00,$' out
	crm-report nightly --no-record --since 2027-01-01 --until 2027-01-02 \
	    --section sales_figures --format csv >out
	grep -q '^revenue,Revenue,16000.00,8000.00,8000.00,100.0$' out
	# weeks and months across the new year
	golden boundary-week.csv revenue --by week --since 2026-12-28 --until 2027-01-04 --format csv
	golden boundary-month.csv revenue --by month --since 2026-11-01 --until 2027-02-01 --format csv
}

@test "an empty database" {
	printf 'ref\n' | crm-add - >/dev/null
	golden empty.txt $N
	golden empty.csv $N --format csv
	crm-report $N --format html >e.html
	grep -q 'id="chart-segments"' e.html
	for r in complaints callbacks campaigns revenue customers audit; do
		crm-report "$r" >out 2>err
		[ ! -s err ]
	done
}

@test "a database with events but no purchases" {
	crm-add -q --ref K1 --name "Anna Müller" --email anna@example.de >/dev/null
	crm-log -q K1 complaint --subject "Naht gerissen" --category jeans --at 2026-11-25T10:00 >/dev/null
	crm-log -q K1 review --rating 1 --subject "Schlecht" --at 2026-11-25T11:00 >/dev/null
	crm-log -q K1 cart_abandoned --amount 12,50 --at 2026-11-25T12:00 >/dev/null
	golden nopurchases.txt $N
	crm-report $N --section sales_figures --format csv >out
	grep -q '^average_order,Average order,,,,$' out
	grep -q '^return_rate,Return rate (% of orders),,,,$' out
}

@test "bad input: unknown report, format, dates, missing database" {
	fixture
	run crm-report weekly
	[ "$status" -eq 64 ]
	[[ "$output" == *'unknown report "weekly"'* ]]
	run crm-report nightly --format xml
	[ "$status" -eq 64 ]
	[[ "$output" == *'unknown format "xml"'* ]]
	run crm-report nightly --since 31.02.2026
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid --since "31.02.2026"'* ]]
	run crm-report nightly --until soon
	[ "$status" -eq 65 ]
	run crm-report nightly --since 2026-11-27 --until 2026-11-26
	[ "$status" -eq 65 ]
	run crm-report
	[ "$status" -eq 64 ]
	run crm-report nightly extra
	[ "$status" -eq 64 ]
	run crm-report nightly --top 5
	[ "$status" -eq 64 ]
	run crm-report customers --top 0
	[ "$status" -eq 64 ]
	run crm-report -d "$TMP/none.db" nightly
	[ "$status" -eq 66 ]
	[ ! -e "$TMP/none.db" ]
	[ "$(sql 'SELECT count(*) FROM reports')" = 0 ]
}

@test "every department report in every format" {
	fixture
	add_predictions
	P="--since 2026-11-01 --until 2026-11-26"
	for f in text md html csv tsv json; do
		ext=$f
		[ "$f" = text ] && ext=txt
		golden "dept-complaints.$ext" complaints $P --format "$f"
		golden "dept-callbacks.$ext" callbacks --format "$f"
		golden "dept-campaigns.$ext" campaigns $P --format "$f"
		golden "dept-revenue.$ext" revenue --by month $P --format "$f"
		golden "dept-customers.$ext" customers --top 3 --by clv --format "$f"
		golden "dept-audit.$ext" audit --customer K3 --format "$f"
	done
	# the text ones fit 80 columns
	for r in complaints callbacks campaigns revenue customers; do
		[ "$(wc -L <"$DATA/report/dept-$r.txt")" -le 80 ]
	done
}
