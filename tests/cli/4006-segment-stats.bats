#!/usr/bin/env bats
# crm-segment's kept aggregates (customer_stats, libcrm/stats.c): the same
# answers whether they are computed fresh, loaded and brought up to date
# with appended events, marked stale and rebuilt, or computed for a past
# --as-of date. Each comparison is against a computation from all events
# (the kept aggregates dropped), and each test first checks that the path
# it is about was taken, so that a stale answer fails it.

load helper
load segment

# Every aggregate of every customer: without RFM fields, read from
# customer_stats with SQL when it is current; with them, from memory.
ALL=ref,orders,spend,aov,first_purchase,last_purchase,returns,return_rate,complaints,complaints_open,service_open,callbacks_open,reviews,avg_rating,cart_abandoned,campaigns_sent,campaigns_answered,last_contact

# answer [ARGS]: what the queries print.
answer() {
	crm-segment --columns "$ALL" "$@"
	crm-segment --columns "$ALL,recency,r,f,m,segment" "$@"
	crm-segment rfm "$@"
	crm-segment --count --where 'orders >= 2 and complaints_open = 0' "$@"
}

# fresh [ARGS]: the answer computed from all events, on a copy of the
# database without the kept aggregates (the database itself is unchanged).
fresh() {
	cp "$CRM_DB" "$TMP/fresh.db"
	sqlite3 "$TMP/fresh.db" "DELETE FROM customer_stats;
	    DELETE FROM meta WHERE key = 'stats'"
	CRM_DB="$TMP/fresh.db" answer "$@"
	rm -f "$TMP/fresh.db"*
}

stamp() {
	sql "SELECT value FROM meta WHERE key = 'stats'"
}

@test "stats: the first query stores them, the next uses them" {
	fixture
	[ -z "$(stamp)" ]
	[ "$(sql 'SELECT count(*) FROM customer_stats')" = 0 ]
	a=$(answer)
	[ "$(stamp)" = "{\"event\":$(sql 'SELECT max(id) FROM events'),\"from\":1795694400,\"until\":null}" ]
	# every customer with events (K12 erased but counted), none for K11's
	# neighbours without any
	[ "$(sql 'SELECT count(*) FROM customer_stats')" = 12 ]
	[ "$(sql "SELECT orders, spend, complaints_open, reviews, rating_sum FROM customer_stats WHERE customer_id = 1")" = "4|40000|1|1|5" ]
	b=$(answer)
	[ "$a" = "$b" ]
	[ "$a" = "$(fresh)" ]
	# the kept numbers are what is read: changed by hand, the answer changes
	sql "UPDATE customer_stats SET orders = 40 WHERE customer_id = 1"
	[[ "$(crm-segment --columns ref,orders --where 'ref = K01')" == *"K01,40" ]]
}

@test "stats: events appended with crm-log are folded in" {
	fixture
	before=$(answer)
	st=$(stamp)
	crm-log -q K11 purchase --amount 70 --at 2026-11-25
	crm-log -q K11 purchase --amount 30 --at 2026-10-01
	crm-log -q K03 return --amount 50 --at 2026-11-24
	crm-log -q K05 review --rating 2 --at 2026-11-23
	crm-log -q K05 complaint --at 2026-11-23
	crm-log -q K07 campaign_sent --ref winter
	crm-log -q K07 campaign_response --ref winter
	crm-log -q K09 cart_abandoned
	printf 'ref\nK02\nK04\nK11\n' | crm-log -q - purchase --amount 15
	after=$(answer)
	[ "$after" != "$before" ]
	# folded in, not rebuilt: the stamp moved to the last event
	[ "$(stamp)" != "$st" ]
	[ "$(stamp)" = "{\"event\":$(sql 'SELECT max(id) FROM events'),\"from\":1795694400,\"until\":null}" ]
	[ "$after" = "$(fresh)" ]
	[[ "$(crm-segment --columns ref,orders,spend --where 'ref = K11')" == *"K11,3,115.00" ]]
}

@test "stats: crm-log --close keeps them exact without a rebuild" {
	fixture
	answer >/dev/null
	st=$(stamp)
	[ -n "$st" ]
	id=$(sql "SELECT id FROM events WHERE kind = 'complaint' AND status = 'open' AND customer_id = 1")
	[[ "$(crm-segment --columns ref,complaints_open --where 'ref = K01')" == *"K01,1" ]]
	crm-log -q --close "$id"
	# the kept row changed, the stamp kept (its window now starts at the
	# closing), nothing else rebuilt
	[ "$(sql 'SELECT complaints_open FROM customer_stats WHERE customer_id = 1')" = 0 ]
	[ "$(stamp)" = "{\"event\":$(sql 'SELECT max(id) FROM events'),\"from\":$(sql "SELECT closed_at FROM events WHERE id = $id"),\"until\":null}" ]
	sql "UPDATE customer_stats SET orders = orders + 100 WHERE customer_id = 2"
	[[ "$(crm-segment --columns ref,orders --where 'ref = K02')" == *"K02,10"* ]]
	sql "UPDATE customer_stats SET orders = orders - 100 WHERE customer_id = 2"
	[[ "$(crm-segment --columns ref,complaints_open --where 'ref = K01')" == *"K01,0" ]]
	[ "$(answer)" = "$(fresh)" ]
	[ "$(answer --as-of 2026-06-30)" = "$(fresh --as-of 2026-06-30)" ]
	# a service closed before the window, a callback closed later than
	# it was logged; one logged after the stamp and closed before a
	# query (the fold sees it closed)
	crm-log -q K06 service --at 2026-11-01
	answer >/dev/null
	crm-log -q --close "$(sql "SELECT id FROM events WHERE kind = 'service' AND status = 'open' LIMIT 1")" --at 2026-11-02
	crm-log -q --close "$(sql "SELECT id FROM events WHERE kind = 'callback'")"
	crm-log -q K06 callback --due +1d
	crm-log -q --close "$(sql 'SELECT max(id) FROM events')"
	[ -n "$(stamp)" ]
	[ "$(answer)" = "$(fresh)" ]
	[ "$(sql 'SELECT sum(complaints_open + service_open + callbacks_open) FROM customer_stats')" = \
	    "$(sql "SELECT count(*) FROM events WHERE status = 'open' AND kind IN ('complaint', 'service', 'callback')")" ]
	# closed in the future: open until then, the kept copy exact after it
	crm-log -q K05 complaint --at 2026-11-20
	answer >/dev/null
	crm-log -q --close "$(sql 'SELECT max(id) FROM events')" --at 2026-12-01
	[[ "$(crm-segment --columns ref,complaints_open --where 'ref = K05')" == *"K05,1" ]]
	[ "$(answer)" = "$(fresh)" ]
	export CRM_NOW=2026-12-02T12:00:00
	[[ "$(crm-segment --columns ref,complaints_open --where 'ref = K05')" == *"K05,0" ]]
	[ "$(answer)" = "$(fresh)" ]
}

@test "stats: crm-forget leaves the others' numbers as they were" {
	fixture
	before=$(answer)
	crm-forget -q K03
	after=$(answer)
	[[ "$before" == *K03* ]]
	[[ "$after" != *K03* ]]
	[ "$after" = "$(fresh)" ]
	# RFM ranks one customer fewer
	[ "$(crm-segment rfm | wc -l)" -eq 10 ]
}

@test "stats: --as-of in the past is computed from all events and keeps the stored ones" {
	fixture
	answer >/dev/null
	st=$(stamp)
	rows=$(sql 'SELECT * FROM customer_stats ORDER BY 1')
	a=$(answer --as-of 2026-06-30)
	[ "$(stamp)" = "$st" ]
	[ "$(sql 'SELECT * FROM customer_stats ORDER BY 1')" = "$rows" ]
	[ "$a" = "$(fresh --as-of 2026-06-30)" ]
	[ "$a" != "$(answer)" ]
	# on a database without kept aggregates, a past query keeps none
	sql "DELETE FROM customer_stats; DELETE FROM meta WHERE key = 'stats'"
	crm-segment --count --where 'orders > 1' --as-of 2026-06-30 >/dev/null
	[ -z "$(stamp)" ]
	[ "$(sql 'SELECT count(*) FROM customer_stats')" = 0 ]
}

@test "stats: events in the future count once their time has come" {
	fixture
	crm-log -q K11 purchase --amount 500 --at 2026-12-24
	crm-log -q K06 complaint --at 2026-11-20
	crm-log -q --close "$(sql 'SELECT max(id) FROM events')" --at 2026-12-01
	a=$(answer)
	[[ "$(stamp)" == *'"until":1796083200}' ]]
	[[ "$(crm-segment --columns ref,orders,complaints_open --where 'ref in (K06, K11)')" == *"K06,4,1"*"K11,0,1" ]]
	[ "$a" = "$(fresh)" ]
	export CRM_NOW=2026-12-02T12:00:00
	b=$(answer)
	[[ "$(crm-segment --columns ref,orders,complaints_open --where 'ref in (K06, K11)')" == *"K06,4,0"*"K11,0,1" ]]
	[ "$b" = "$(fresh)" ]
	export CRM_NOW=2026-12-25T12:00:00
	[[ "$(crm-segment --columns ref,orders,complaints_open --where 'ref in (K06, K11)')" == *"K06,4,0"*"K11,1,1" ]]
	[ "$(answer)" = "$(fresh)" ]
	# and back: the present moved back before those events
	export CRM_NOW=2026-11-26T12:00:00
	[ "$(answer)" = "$a" ]
}

@test "stats: deleted events are noticed when the newest are gone" {
	fixture
	answer >/dev/null
	crm-log -q K11 purchase --amount 70
	answer >/dev/null
	# deleted by hand without marking them stale
	sql "DELETE FROM events WHERE id = (SELECT max(id) FROM events)"
	[ "$(answer)" = "$(fresh)" ]
	[[ "$(crm-segment --columns ref,orders --where 'ref = K11')" == *"K11,0" ]]
}

@test "stats: while another command writes, the answer is right and nothing is stored" {
	fixture
	crm-log -q K11 purchase --amount 70
	want=$(fresh)
	hold_lock
	start=$(date +%s)
	got=$(answer)
	end=$(date +%s)
	release_lock
	[ "$got" = "$want" ]
	# not waiting for the lock (5 s, the busy timeout)
	[ $((end - start)) -lt 5 ]
	[ -z "$(stamp)" ]
	[ "$(answer)" = "$want" ]
	[ -n "$(stamp)" ]
}

@test "stats: new events while another command writes are counted, in memory" {
	fixture
	answer >/dev/null
	st=$(stamp)
	crm-log -q K11 purchase --amount 70
	crm-log -q K01 complaint
	want=$(fresh)
	hold_lock
	got=$(answer)
	release_lock
	[ "$(stamp)" = "$st" ]
	[ "$got" = "$want" ]
	[[ "$(crm-segment --columns ref,orders --where 'ref = K11')" == *"K11,1" ]]
	[ "$(stamp)" != "$st" ]
}

@test "crm-import --undo of a batch's events brings the kept aggregates up to date" {
	printf 'ref,email\nK1,a@example.de\nK2,b@example.de\n' | crm-add -q
	printf 'ref,date,kind,amount\nK1,2026-11-01,purchase,10\nK1,2026-11-02,purchase,20\n' >ev.csv
	crm-import -q ev.csv
	run crm-segment --where 'orders >= 2' --columns ref
	[ "${lines[1]}" = K1 ]
	# a later event keeps the newest id above the stored stamp
	crm-log -q K2 purchase --amount 5 --at 2026-11-03
	run crm-segment --where 'orders >= 1' --columns ref
	[ "${#lines[@]}" -eq 3 ]
	crm-import -q --undo 1
	run crm-segment --where 'orders >= 1' --columns ref
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[1]}" = K2 ]
}
