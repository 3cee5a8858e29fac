#!/usr/bin/env bats
# crm-predict runs work side by side when two processors are online: the
# two fits at once, the halves of the scoring preparation, and storing the
# scores in a thread of its own while the next are scored. The results must
# not depend on it ($CRM_PREDICT_THREADS=1 does everything in one thread),
# and a store that fails half-way must leave the old predictions as they
# were.

load helper

# many [STEP]: 6000 customers (more than the 2048 scores handed to the
# storing thread at a time), most with repeat purchases in 20 categories,
# some buying on discount, and campaign events on two channels. Customer ids are STEP apart
# (default 1): 1000 makes them too sparse for a direct id table.
many() {
	local k=${1:-1}
	crm-add -q --ref seed >/dev/null
	sqlite3 "$CRM_DB" <<SQL
DELETE FROM customers; DELETE FROM audit;
INSERT INTO customers (id, ref, created_at, updated_at)
  SELECT value * $k, printf('K%05d', value), 0, 0 FROM generate_series(1, 6000);
INSERT INTO events (customer_id, at, kind, amount_cents, currency, quantity,
    category, discount_cents, created_at)
  SELECT (1 + (value * 7919) % 6000) * $k,
    1735689600 + 86400 * ((value * 104729 + (value / 6000) * 97) % 600),
    'purchase', 500 + (value * 31) % 9000, 'EUR', 1 + value % 3,
    'cat' || (value % 20),
    CASE WHEN value % 6000 < 1500 AND value % 4 > 0 THEN 100 ELSE 0 END, 0
  FROM generate_series(1, 30000);
INSERT INTO events (customer_id, at, kind, channel, created_at)
  SELECT (1 + value % 6000) * $k, 1735689600 + 86400 * (value % 500),
    CASE WHEN value % 3 = 0 THEN 'campaign_response' ELSE 'campaign_sent' END,
    CASE WHEN value / 6000 % 2 = 0 THEN 'email' ELSE 'letter' END, 0
  FROM generate_series(1, 60000);
-- erased customers are not scored: their events are passed over
UPDATE customers SET erased_at = 0 WHERE id % (97 * $k) = 0;
SQL
}

dump() {
	sql "SELECT customer_id, p_alive, expected_purchases,
	    expected_spend_cents, clv_cents, churn_risk, next_purchase,
	    favourite_category, price_band, preferred_channel, evidence,
	    discount_buyer, discount_share, p_buy, favourite_share
	    FROM predictions ORDER BY customer_id"
}

@test "one thread or two: the same model, scores and stored predictions" {
	many
	check_threads
}

@test "one thread or two, ids far apart: the same results" {
	many 1000
	check_threads
}

check_threads() {
	for v in 1 2; do
		CRM_PREDICT_THREADS=$v crm-predict -q --fit --as-of 2026-11-26 >"score$v.csv"
		dump >"stored$v.txt"
		sql "SELECT kind, params, loglik FROM models ORDER BY id DESC LIMIT 2" >"model$v.txt"
	done
	cmp score1.csv score2.csv
	cmp stored1.txt stored2.txt
	cmp model1.txt model2.txt
	# every buyer was stored, the chunks handed over in full and in part
	[ "$(wc -l <stored2.txt)" -eq "$(($(wc -l <score2.csv) - 1))" ]
	[ "$(wc -l <stored2.txt)" -gt 4096 ]
	! grep -q ',K00097,' score2.csv
	grep -q ',K00096,' score2.csv
	[ "$(sql "SELECT count(DISTINCT favourite_category) FROM predictions")" -gt 1 ]
	[ "$(sql "SELECT count(DISTINCT preferred_channel) FROM predictions")" -gt 1 ]
	[ "$(sql "SELECT count(DISTINCT discount_buyer) FROM predictions")" = 2 ]
	[ "$(sql "SELECT DISTINCT model_id = (SELECT max(id) FROM models WHERE kind IN ('bgnbd', 'mbgnbd', 'pareto')) FROM predictions")" = 1 ]
}

@test "a store that fails half-way keeps the old predictions, one thread or two" {
	many
	crm-predict -q --fit --as-of 2026-11-26 >/dev/null
	dump >before.txt
	[ "$(wc -l <before.txt)" -gt 4096 ]
	# the 3000th row stored fails: in the second chunk, while the first
	# ones are in
	sql "CREATE TABLE n (k INTEGER);
	    CREATE TRIGGER fail AFTER INSERT ON predictions
	    BEGIN
	      INSERT INTO n VALUES (1);
	      SELECT RAISE(ABORT, 'disk on fire')
	        WHERE (SELECT count(*) FROM n) >= 3000;
	    END;"
	for v in 1 2; do
		CRM_PREDICT_THREADS=$v run crm-predict --as-of 2026-11-26
		[ "$status" -eq 65 ]
		[[ "$output" == *"cannot store predictions"*"disk on fire"* ]]
		dump >after.txt
		cmp before.txt after.txt
		[ "$(sql "SELECT count(*) FROM n")" = 0 ]
		[ "$(sql "PRAGMA integrity_check")" = ok ]
	done
}
