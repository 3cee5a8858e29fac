#!/usr/bin/env bats
# crm-segment rfm: scores and segments on the fixture of segment.bash,
# worked out by hand below; --as-of; the classic table; the same result as
# the plain-SQL NTILE reference; bad arguments.
#
# Today (2026-11-26): 10 customers with purchases (K11 has none, K12 is
# erased), so NTILE(5) puts two in each group. Ties are split by the other
# two measures, then by id (the lower id ranks higher).
#
# R: last purchase ascending (then F, M, -id):
#   K08 04-01, K09 06-15 | K07 06-15, K06 07-01 | K05 09-01, K04 10-15 |
#   K03 11-01 (F 1), K10 11-01 (F 2) | K01 11-20 (F 4), K02 11-20 (F 5)
#   K07 and K09 tie on everything: K09 (higher id) takes the lower score.
#   R = 1: K08 K09, 2: K07 K06, 3: K05 K04, 4: K03 K10, 5: K01 K02
# F: purchases ascending (then M, R, -id):
#   f=1: K09, K07 (20, tie -> id), K03 (300); f=2: K05 (80), K08 (120),
#   K10 (300); f=3: K04; f=4: K01 (400), K06 (2000); f=5: K02
#   F = 1: K09 K07, 2: K03 K05, 3: K08 K10, 4: K04 K01, 5: K06 K02
# M: spend net of returns ascending (then F, R, -id):
#   K09 20, K07 20 | K05 80, K08 120 | K04 160 (240 - 80), K02 250 |
#   K03 300 (F 1), K10 300 (F 2) | K01 400, K06 2000
# Grid (R, F): K01 5,4 Champions; K02 5,5 Champions; K03 4,2 Potential
#   Loyalists; K04 3,4 Loyal; K05 3,2 About To Sleep; K06 2,5 Can't Lose
#   Them; K07 2,1 Hibernating; K08 1,3 At Risk; K09 1,1 Hibernating;
#   K10 4,3 Potential Loyalists.
# Classic (first match): as the grid except K02 553 Loyal (M 3 is not a
#   Champion), K10 434 Loyal (R 3-5, F 3-5), K09 111 Lost (Hibernating
#   needs R 2).
#
# As of 2026-06-30: K03 has no purchase yet; 9 customers: groups of
# 2 2 2 2 1. K04's return (10-20) and K06's 07-01 purchase do not count.
#   R: K04 03-15, K05 04-01 (F1) | K08 04-01 (F2), K10 05-01 (F1) |
#      K02 05-01 (F3, 150), K06 05-01 (F3, 1500) | K01 06-01, K09 06-15 |
#      K07 06-15 (tie with K09: lower id ranks higher)
#   F: K09, K07 (1, 20) | K05 (1, 40), K04 (1, 80) | K10 (1, 200),
#      K08 (2, 120) | K01 (2, 200), K02 (3, 150) | K06 (3, 1500)
#   M: K09, K07 (20) | K05 40, K04 80 | K08 120, K02 150 |
#      K10 200 (F1), K01 200 (F2) | K06 1500
#   K01 444 Loyal; K02 343 Loyal; K04 122 Hibernating; K05 122
#   Hibernating; K06 355 Loyal; K07 511 New Customers; K08 233 At Risk;
#   K09 411 Promising; K10 234 At Risk. Recency counts to 06-30.

load helper
load segment

@test "rfm: scores and grid segments as worked out by hand" {
	fixture
	run crm-segment rfm
	[ "$status" -eq 0 ]
	expect segment/rfm-grid.csv
}

@test "rfm --scheme classic: the 11-segment table, first match" {
	fixture
	run crm-segment rfm --scheme classic --columns ref,rfm,segment
	[ "$status" -eq 0 ]
	expect segment/rfm-classic.csv
}

@test "rfm --as-of: as it was on 2026-06-30" {
	fixture
	run crm-segment rfm --as-of 2026-06-30 \
	    --columns ref,recency,frequency,monetary,rfm,segment
	[ "$status" -eq 0 ]
	expect segment/rfm-asof.csv
	# the same with the date written another way
	run crm-segment rfm --as-of 30.06.2026 \
	    --columns ref,recency,frequency,monetary,rfm,segment
	expect segment/rfm-asof.csv
}

@test "rfm --as-of ignores events recorded for later dates" {
	fixture
	before=$(crm-segment rfm --as-of 2026-06-30)
	crm-log -q K03 purchase --amount 5000 --at 2026-07-01 >/dev/null
	crm-log -q K07 return --amount 20 --at 2026-07-01 >/dev/null
	[ "$(crm-segment rfm --as-of 2026-06-30)" = "$before" ]
	# but not events on the day itself
	crm-log -q K03 purchase --amount 1 --at 2026-06-30T18:00 >/dev/null
	[ "$(crm-segment rfm --as-of 2026-06-30)" != "$before" ]
}

@test "rfm equals the NTILE(5) query in plain SQL" {
	fixture
	run crm-segment rfm --columns id,ref,frequency,monetary,recency,r,f,m,segment
	[ "$status" -eq 0 ]
	tail -n +2 <<<"$output" >crm.txt
	# cutoff: the end of 2026-11-26; today: its day number
	sqlite3 -list -separator , "$CRM_DB" ".param set :cutoff 1795737600" \
	    ".param set :today 20783" ".read $SEGDATA/rfm-ntile.sql" >sql.txt
	diff -u sql.txt crm.txt
	[ "$(wc -l <crm.txt)" -eq 10 ]
}

@test "rfm --count: every segment, customers and spend" {
	fixture
	run crm-segment rfm --count
	[ "$status" -eq 0 ]
	expect_text "segment,customers,spend
Champions,2,650.00
Loyal Customers,1,160.00
Potential Loyalists,2,600.00
New Customers,0,0.00
Promising,0,0.00
Need Attention,0,0.00
About To Sleep,1,80.00
At Risk,1,120.00
Can't Lose Them,1,2000.00
Hibernating,2,40.00"
	run crm-segment rfm --count --scheme classic
	[ "${lines[11]}" = "Lost,1,20.00" ]
}

@test "rfm: an erased customer is neither listed nor ranked" {
	fixture
	run crm-segment rfm --columns ref,rfm
	[[ "$output" != *K12* ]]
	before=$output
	# with K12 back, 11 are ranked, and the groups change
	sql "UPDATE customers SET erased_at = NULL WHERE ref = 'K12'"
	run crm-segment rfm --columns ref,rfm
	[[ "$output" == *"K12,"* ]]
	[ "${#lines[@]}" -eq 12 ]
	[ "$(grep -v K12 <<<"$output")" != "$before" ]
}

@test "rfm: the same database gives the same result every time" {
	fixture
	a=$(crm-segment rfm)
	b=$(crm-segment rfm --format csv)
	[ "$a" = "$b" ]
}

@test "rfm with fewer than five customers uses the lowest scores" {
	add_anna
	crm-log -q K1 purchase --amount 10 --at 2026-11-01 >/dev/null
	run crm-segment rfm --columns ref,rfm,segment
	[ "$status" -eq 0 ]
	expect_text "ref,rfm,segment
K1,111,Hibernating"
}

@test "rfm on a database without purchases prints only the header" {
	add_anna
	run crm-segment rfm
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "rfm: bad scheme 64, bad --as-of 65, no database 66" {
	fixture
	run crm-segment rfm --scheme fancy
	[ "$status" -eq 64 ]
	[[ "$output" == *'unknown scheme "fancy"'* ]]
	run crm-segment rfm --as-of 31.02.2026
	[ "$status" -eq 65 ]
	[[ "$output" == *'invalid --as-of "31.02.2026"'* ]]
	run crm-segment rfm --as-of 01/02/2026
	[ "$status" -eq 65 ]
	run crm-segment -d "$TMP/none.db" rfm
	[ "$status" -eq 66 ]
	[ ! -e "$TMP/none.db" ]
	run crm-segment rfm a.csv b.csv
	[ "$status" -eq 64 ]
}
