#!/usr/bin/env bats
# crm-report's RFM segments are crm-segment's: the segment sizes of the
# nightly report (--section segment_sizes) are those of
# `crm-segment rfm --count` on the same database at the same time, on the
# report fixture and on generated data (many purchases on the same day, so
# ties to split). The report's period ends before --until; crm-segment's
# --as-of date takes in its whole day, so --until D matches --as-of D-1.

load helper

# sizes ARGS...: "segment,customers" of the nightly report with ARGS.
sizes() {
	crm-report nightly --no-record --section segment_sizes --format csv "$@" |
	    cut -d, -f1,2
}

# counts ARGS...: "segment,customers" of crm-segment rfm --count with ARGS.
counts() {
	crm-segment rfm --count --format csv "$@" | cut -d, -f1,2
}

# agree UNTIL ASOF: both ways of counting agree, and name every segment.
agree() {
	sizes --since 2020-01-01 --until "$1" >report.csv
	counts --as-of "$2" >segment.csv
	diff -u segment.csv report.csv
	[ "$(wc -l <report.csv)" = 11 ]         # header and ten segments
}

@test "segment sizes: the report agrees with crm-segment rfm on the fixture" {
	CRM_USER=tester sh "$DATA/report/fixture.sh"
	agree 2026-11-26 2026-11-25
	# (tests/data/report/README: 1 Loyal Customers, 1 Potential
	# Loyalists, 1 New Customers, 1 Can't Lose Them, 1 Hibernating)
	grep -qx "Potential Loyalists,1" report.csv
	grep -qx "Promising,0" report.csv
	# the default: both as of now
	sizes >report.csv
	counts >segment.csv
	diff -u segment.csv report.csv
	# the day before, and before any purchase
	agree 2026-11-25 2026-11-24
	agree 2026-10-01 2026-09-30
}

@test "segment sizes: the report agrees with crm-segment rfm on generated data" {
	"$CRM_ROOT/scripts/gen-data" -c 300 -e 8 -s 7 -f plain .
	crm-import -q customers.csv events.csv
	[ "$(sql "SELECT count(DISTINCT customer_id) FROM events WHERE kind = 'purchase'")" -gt 200 ]
	sizes >report.csv
	counts >segment.csv
	diff -u segment.csv report.csv
	agree 2026-11-20 2026-11-19
	agree 2026-06-01 2026-05-31
	agree 2025-09-15 2025-09-14
	# and every buyer is in one segment
	[ "$(awk -F, 'NR > 1 { n += $2 } END { print n }' report.csv)" = \
	    "$(sql "SELECT count(DISTINCT customer_id) FROM events WHERE kind = 'purchase' AND at < strftime('%s', '2025-09-15')")" ]
}
