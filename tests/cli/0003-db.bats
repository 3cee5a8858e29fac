#!/usr/bin/env bats
# The database: where it lives, how it is created, what is refused.

load helper

@test "the database is created with mode 0600 in a folder with mode 0700" {
	unset CRM_DB
	export XDG_DATA_HOME="$TMP/xdg"
	add_anna
	[ "$(stat -c %a "$TMP/xdg/crm/crm.db")" = 600 ]
	[ "$(stat -c %a "$TMP/xdg/crm")" = 700 ]
	[ "$(sqlite3 "$TMP/xdg/crm/crm.db" 'PRAGMA journal_mode')" = wal ]
}

@test "without CRM_DB and XDG_DATA_HOME the database is under HOME" {
	unset CRM_DB
	HOME="$TMP/home" add_anna
	[ -f "$TMP/home/.local/share/crm/crm.db" ]
}

@test "-d wins over CRM_DB" {
	crm-add -q -d "$TMP/other.db" --ref K9 >/dev/null
	[ -f "$TMP/other.db" ]
	[ ! -e "$CRM_DB" ]
}

@test "the schema version is recorded" {
	add_anna
	[ "$(sql 'PRAGMA user_version')" = 7 ]
}

@test "a database of schema 1 is upgraded in place: rows kept, the schema of a new one" {
	sqlite3 "$CRM_DB" <"$DATA/db/v1.sql"
	chmod 600 "$CRM_DB"
	[ "$(sql 'PRAGMA user_version')" = 1 ]
	for t in customers events predictions models audit consents tags batches; do
		sql "SELECT * FROM $t ORDER BY 1, 2"
	done >before.txt
	[ "$(sql 'SELECT count(*) FROM events')" = 113 ]
	run crm-log K000001 purchase --amount 20 --discount 5 --at 2026-11-25
	[ "$status" -eq 0 ]
	[ "$(sql 'PRAGMA user_version')" = 7 ]
	# every old row as it was; the new columns empty
	for t in customers events predictions models audit consents tags batches; do
		case $t in
		events) sql "SELECT * FROM events WHERE id <= 113 ORDER BY id" | sed 's/|$//' ;;
		predictions) sql "SELECT * FROM predictions ORDER BY 1, 2" | sed 's/||||$//' ;;
		audit) sql "SELECT * FROM audit WHERE action <> 'event.create' ORDER BY 1, 2" ;;
		*) sql "SELECT * FROM $t ORDER BY 1, 2" ;;
		esac
	done >after.txt
	diff before.txt after.txt
	[ "$(sql 'SELECT count(*) FROM events WHERE discount_cents IS NOT NULL')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM predictions WHERE discount_buyer IS NOT NULL OR discount_share IS NOT NULL')" = 0 ]
	[ "$(sql 'SELECT count(*) FROM predictions WHERE p_buy IS NOT NULL OR favourite_share IS NOT NULL')" = 0 ]
	# the tables and indexes are those of a database made new
	crm-add -q -d new.db --ref X >/dev/null
	q="SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
	diff <(sqlite3 new.db "$q") <(sql "$q")
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
}

@test "a schema 2 database gets the indexes of schemas 3 and 4, the tables of 5 and 6 and the columns of 7 when opened" {
	add_anna
	crm-log -q K1 complaint --at 2026-11-01
	# as schema 2 left it
	sql "DROP INDEX events_closed; DROP INDEX customers_created; DROP INDEX events_discounted;
	    DROP TABLE find_keys; DROP TABLE deleted_events;
	    ALTER TABLE predictions DROP COLUMN p_buy; ALTER TABLE predictions DROP COLUMN favourite_share;
	    PRAGMA user_version = 2"
	crm-add -q --ref K2
	[ "$(sql 'PRAGMA user_version')" = 7 ]
	[ "$(sql "SELECT count(*) FROM pragma_table_info('predictions') WHERE name IN ('p_buy', 'favourite_share')")" = 2 ]
	[ "$(sql "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name IN ('events_closed', 'customers_created', 'events_discounted') ORDER BY name)")" = "customers_created events_closed events_discounted" ]
	[ "$(sql 'SELECT count(*) FROM customers')" = 2 ]
	[ "$(sql 'SELECT count(*) FROM events')" = 1 ]
	# the search keys of the customer who was there (schema 5)
	[ "$(crm-find -q --columns ref mueller)" = "ref
K1" ]
}

@test "reading a missing database is an error (66), and creates nothing" {
	run crm-show K1
	[ "$status" -eq 66 ]
	[[ "$output" == *"no database at $CRM_DB"* ]]
	[ ! -e "$CRM_DB" ]
}

@test "a file that is not an SQLite database is refused (65) and not changed" {
	echo "ref,name" >"$CRM_DB"
	cp "$CRM_DB" before
	run crm-add --ref K1
	[ "$status" -eq 65 ]
	[[ "$output" == *"is not an SQLite database"* ]]
	cmp before "$CRM_DB"
}

@test "another program's SQLite database is refused and not changed" {
	sqlite3 "$CRM_DB" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
	run crm-add --ref K1
	[ "$status" -eq 65 ]
	[[ "$output" == *"not a crm database"* ]]
	[ "$(sqlite3 "$CRM_DB" 'SELECT count(*) FROM sqlite_master')" = 1 ]
}

@test "a database from a newer crm is refused with a clear message, unchanged" {
	add_anna
	sql 'PRAGMA user_version = 99'
	run crm-add --ref K2
	[ "$status" -eq 65 ]
	[[ "$output" == *"newer crm (schema 99"* ]]
	[ "$(sql 'SELECT count(*) FROM customers')" = 1 ]
}

@test "a database that cannot be created is exit 73" {
	mkdir ro && chmod 500 ro
	[ "$(id -u)" -ne 0 ] || skip "root can write anywhere"
	run crm-add -d ro/sub/crm.db --ref K1
	[ "$status" -eq 73 ]
}

@test "a database folder that is a file is exit 73" {
	touch notadir
	run crm-add -d notadir/crm.db --ref K1
	[ "$status" -eq 73 ]
	[[ "$output" == *"cannot create"* ]]
}

@test "a directory given as the database is refused (66)" {
	mkdir d
	run crm-show -d d K1
	[ "$status" -eq 66 ]
	[[ "$output" == *"is not a file"* ]]
}

@test "a database locked past the timeout exits 75 and says it is busy" {
	add_anna
	hold_lock
	run crm-log --wait 1 K1 note --subject hi
	release_lock
	[ "$status" -eq 75 ]
	[[ "$output" == *"database is busy"* ]]
	[ "$(sql "SELECT count(*) FROM events")" = 0 ]
}

@test "CRM_BUSY_TIMEOUT sets the wait as well" {
	add_anna
	hold_lock
	CRM_BUSY_TIMEOUT=1 run crm-log K1 note --subject hi
	release_lock
	[ "$status" -eq 75 ]
}

@test "a writer waits for a short lock instead of failing" {
	add_anna
	hold_lock
	crm-log -q --wait 30 K1 note --subject hi >out 2>&1 &
	sleep 1
	# still waiting, nothing stored yet
	kill -0 $!
	[ "$(sql "SELECT count(*) FROM events")" = 0 ]
	release_lock
	wait $!
	[ ! -s out ]
	[ "$(sql "SELECT count(*) FROM events")" = 1 ]
}

@test "four writers with 200 crm-log calls each store all of them" {
	local n=${CRM_STRESS_N:-200}
	add_anna
	for w in 1 2 3 4; do
		( for i in $(seq "$n"); do
			crm-log -q K1 note --subject "w$w $i" >/dev/null || echo "fail $w $i"
		done ) >"fail$w" 2>&1 &
	done
	wait
	cat fail1 fail2 fail3 fail4
	[ ! -s fail1 ] && [ ! -s fail2 ] && [ ! -s fail3 ] && [ ! -s fail4 ]
	[ "$(sql "SELECT count(*) FROM events")" = $((4 * n)) ]
	[ "$(sql "SELECT count(DISTINCT subject) FROM events")" = $((4 * n)) ]
}

@test "every change is in the audit log with user, command and time" {
	add_anna
	crm-log K1 purchase --amount 10 >/dev/null
	crm-add --update --ref K1 --city Hamburg >/dev/null
	run sql "SELECT user, action, command FROM audit ORDER BY id"
	[ "${lines[0]}" = "tester|customer.create|crm-add -q --ref K1 --name Anna Müller --email anna@example.de --phone 030 1234567 --city Berlin" ]
	[ "${lines[1]}" = "tester|event.create|crm-log K1 purchase --amount 10" ]
	[ "${lines[2]}" = "tester|customer.update|crm-add --update --ref K1 --city Hamburg" ]
	[ "$(sql "SELECT detail FROM audit WHERE action = 'customer.update'")" = '{"city":{"old":"Berlin","new":"Hamburg"}}' ]
	[ "$(sql "SELECT count(*) FROM audit WHERE at = 1795694400")" = 3 ]
}
