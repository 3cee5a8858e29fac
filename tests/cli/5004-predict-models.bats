#!/usr/bin/env bats
# crm-predict without a purchase model, the favourite and price band as a
# best guess for every buyer, every warning of a fit, and the due list
# against the naive rule on data with planted replenishment cycles.

load helper

# once: customers K1..K12 who each bought once (no repeat buyer: no
# purchase model can be fitted), in categories and at prices; K1..K3
# answered a newsletter.
once() {
	local i
	for i in $(seq 1 12); do
		crm-add -q --ref "K$i" >/dev/null
		crm-log -q "K$i" purchase --at "2026-10-$((i + 10))" \
		    --amount "$((10 * i)).00" --category "$([ "$i" -le 8 ] && echo jeans || echo socks)" >/dev/null
	done
	for i in 1 2 3; do
		crm-log -q "K$i" campaign_sent --channel newsletter --ref n1 >/dev/null
		crm-log -q "K$i" campaign_response --channel newsletter --ref n1 >/dev/null
	done
}

@test "no purchase model can be fitted: favourite, price band and channel all the same, a warning, the model's columns empty" {
	once
	run crm-predict --as-of 2026-11-26
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "crm-predict: too few repeat buyers to fit a model: 0 of 12 customers bought on more than one day; at least 10 are needed; scoring without a purchase model: p_alive, expected purchases, p_buy, clv, churn_risk and next_purchase stay empty" ]]
	[ "${#lines[@]}" -eq 14 ]
	# K1: cheapest of 8 jeans, answered the newsletter
	[ "${lines[2]}" = '1,K1,0,,,,,,,,jeans,1.00,budget,,newsletter,"0 repeat purchases, last 6.6 weeks ago; jeans 1.00 of 1 purchase; budget 1 of 1 below the category'"'"'s lower third; newsletter 1 of 1 answered"' ]
	[ "$(sql 'SELECT count(*) FROM predictions')" = 12 ]
	[ "$(sql 'SELECT count(*) FROM predictions WHERE p_alive IS NULL AND p_buy IS NULL AND churn_risk IS NULL AND model_id IS NULL AND favourite_category IS NOT NULL AND favourite_share = 1')" = 12 ]
	[ "$(sql 'SELECT count(*) FROM models')" = 0 ]
	# fit itself still fails, and says why
	run crm-predict fit --as-of 2026-11-26
	[ "$status" -eq 65 ]
	[[ "$output" == *"too few repeat buyers"* ]]
	# -q: no warning
	run crm-predict -q --as-of 2026-11-26 --no-store
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == id,* ]]
}

@test "a favourite for every buyer with its share, and --where 'favourite_share >= 0.5'" {
	crm-add -q --ref A >/dev/null
	crm-add -q --ref B >/dev/null
	crm-add -q --ref C >/dev/null
	# A: 3 of 4 shoes; B: one shirt, one hat (a tie: the category more
	# common among all, shirts, 3 purchases against 1); C: nothing with a
	# category
	for d in 01 05 09; do
		crm-log -q A purchase --at "2026-10-$d" --amount 50 --category shoes >/dev/null
	done
	crm-log -q A purchase --at 2026-10-12 --amount 20 --category shirts >/dev/null
	crm-log -q B purchase --at 2026-10-02 --amount 20 --category hats >/dev/null
	crm-log -q B purchase --at 2026-10-03 --amount 20 --category shirts >/dev/null
	crm-log -q C purchase --at 2026-10-04 --amount 20 >/dev/null
	crm-log -q C purchase --at 2026-10-06 --amount 20 --category shirts >/dev/null
	run crm-predict -q --as-of 2026-11-26 -t
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | cut -f2,11,12)" = "ref	favourite_category	favourite_share
A	shoes	0.75
B	shirts	0.50
C	shirts	0.50" ]
	[[ "${lines[1]}" == *"shoes 0.75 of 4 purchases"* ]]
	run crm-segment --columns ref,favourite_category,favourite_share --where 'favourite_share >= 0.6'
	[ "$status" -eq 0 ]
	expect_text "ref,favourite_category,favourite_share
A,shoes,0.75"
	run crm-segment --columns ref --where 'favourite_share >= 0.5 and favourite_category = shirts'
	expect_text "ref
B
C"
}

@test "price band: one purchase below the lower third and one above make budget or premium, not mid" {
	local i
	# jeans at 20, 30, ..., 100 from K1..K9, with D's and F's 13 prices,
	# thirds at 40 and 80 (their geometric middle 56.6). D buys one at
	# 21 and one at 95: one below, one above; by the mean position on the
	# log scale (21 at -2.86, 95 at 1.50) budget. F: 39 (-1.07) and 100
	# (1.64): premium.
	for i in $(seq 1 9); do
		crm-add -q --ref "K$i" >/dev/null
		crm-log -q "K$i" purchase --at 2026-10-01 --amount "$((10 + 10 * i))" --category jeans >/dev/null
	done
	crm-add -q --ref D >/dev/null
	crm-add -q --ref F >/dev/null
	crm-log -q D purchase --at 2026-10-02 --amount 21 --category jeans >/dev/null
	crm-log -q D purchase --at 2026-10-03 --amount 95 --category jeans >/dev/null
	crm-log -q F purchase --at 2026-10-02 --amount 39 --category jeans >/dev/null
	crm-log -q F purchase --at 2026-10-03 --amount 100 --category jeans >/dev/null
	run crm-predict -q --as-of 2026-11-26 --no-store -t - <<<"ref
D
F"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | cut -f2,13)" = "ref	price_band
D	budget
F	premium" ]
	[[ "${lines[1]}" == *"budget 1 of 2 below the category's lower third"* ]]
}

@test "every warning of a fit is printed, not only the last" {
	local i d
	# 12 customers buying every 30 days without amounts: the BG/NBD's
	# dropout runs to its bound, and there is no spend model
	for i in $(seq 1 12); do
		crm-add -q --ref "K$i" >/dev/null
		for d in 2026-06-01 2026-07-01 2026-07-31 2026-08-30 2026-09-29 2026-10-29; do
			crm-log -q "K$i" purchase --at "$d" >/dev/null
		done
	done
	run crm-predict fit --model bgnbd --as-of 2026-11-26
	[ "$status" -eq 0 ]
	[[ "$output" == *"crm-predict: a BG/NBD parameter is at its bound"* ]]
	[[ "$output" == *"crm-predict: no spend model: 0 repeat buyers with amounts, at least 10 are needed"* ]]
	[ "$(sql "SELECT json_extract(detail, '\$.warning') FROM models" | grep -c 'no spend model')" = 1 ]
	[ "$(sql "SELECT json_extract(detail, '\$.warning') FROM models" | grep -c 'at its bound')" = 1 ]
}

@test "gen-data -y: per-customer replenishment cycles in the truth file; without -y the same data as ever" {
	"$CRM_ROOT/scripts/gen-data" -y -c 50 -e 8 -s 2 -f plain -t t.csv a
	"$CRM_ROOT/scripts/gen-data" -c 50 -e 8 -s 2 -f plain b
	[ "$(head -1 t.csv)" = "ref,favourite_category,price_band,channel,discount_buyer,cycle_days" ]
	[ "$(tail -n +2 t.csv | grep -cvE '^K[0-9]{6},[a-z]+,(budget|mid|premium),(email|post|phone),(yes|no),[0-9]+$')" = 0 ]
	! cmp -s a/events.csv b/events.csv
	# K000001's favourite comes every cycle_days, within 10 %
	fav=$(sed -n 2p t.csv | cut -d, -f2)
	cyc=$(sed -n 2p t.csv | cut -d, -f6)
	grep "^K000001,.*,purchase,.*,$fav,$fav-" a/events.csv | cut -d, -f2 >days.txt
	[ "$(wc -l <days.txt)" -ge 2 ]
	date -u -f days.txt +%s |
	    awk -v c="$cyc" 'NR > 1 && (($1 - p) / 86400 < 0.85 * c || ($1 - p) / 86400 > 1.15 * c) { bad++ } { p = $1 } END { exit bad > 0 }'
}

@test "check --due: on planted cycles the due list beats the naive rule and the expected purchases at the same list size" {
	"$CRM_ROOT/scripts/gen-data" -y -c 2000 -e 12 -s 1 -f plain .
	crm-import -q customers.csv events.csv
	run crm-predict -q check --due --model bgnbd --within 30d --calibration-end 2026-03-31 --as-of 2026-11-30
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" >due.csv
	cat due.csv   # shown when the test fails
	[ "$(head -1 due.csv)" = "list,listed,hits,precision,recall" ]
	[ "$(cut -d, -f1 due.csv | tail -n +2 | tr '\n' ' ')" = "due naive expected_purchases " ]
	# the same list size for all three, and a list that is not tiny
	[ "$(cut -d, -f2 due.csv | tail -n +2 | sort -u | wc -l)" = 1 ]
	[ "$(sed -n 2p due.csv | cut -d, -f2)" -ge 50 ]
	awk -F, 'NR == 2 { d = $3 } NR > 2 && $3 >= d { exit 1 }' due.csv
	# check --due needs the holdout too
	run crm-predict check --due --calibration-end 2026-03-31
	[ "$status" -eq 64 ]
}
