# helper.bash: shared by every bats file: the programs under test first in
# PATH, a fresh database in a temporary directory for each test, a fixed
# clock, and a few assertions that compare files.

CRM_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PATH="${CRM_BIN:-$CRM_ROOT/cmd}:$PATH"
DATA="$CRM_ROOT/tests/data"

setup() {
	TMP=$(mktemp -d)
	cd "$TMP" || return 1
	export CRM_DB="$TMP/crm.db"
	export CRM_NOW=2026-11-26T12:00:00
	export CRM_USER=tester
	export LC_ALL=C TZ=UTC
	unset CRM_BUSY_TIMEOUT CRM_PHONE_COUNTRY XDG_DATA_HOME
}

teardown() {
	[ ! -p "$TMP/lock.go" ] || release_lock     # a test failed holding it
	cd / && rm -rf "$TMP"
}

# expect FILE: compare $output with the contents of FILE (from tests/data
# if relative), showing a diff when they differ.
expect() {
	local f=$1
	[ "${f#/}" != "$f" ] || f="$DATA/$f"
	diff -u "$f" - <<<"$output"
}

# expect_text TEXT: compare $output with TEXT exactly.
expect_text() {
	diff -u <(printf '%s\n' "$1") - <<<"$output"
}

# sql QUERY: run a query on the test database with sqlite3 (for checking
# what was stored; the commands themselves never need it).
sql() {
	sqlite3 -batch -noheader "$CRM_DB" "$1"
}

# add_anna: a customer most tests use.
add_anna() {
	crm-add -q --ref K1 --name "Anna Müller" --email anna@example.de \
	    --phone "030 1234567" --city Berlin >/dev/null
}

# anna_with_history: Anna (K1) with contact data, a tag, a consent, extra
# fields, two purchases and a complaint; Ben (K2) with one purchase.
anna_with_history() {
	crm-add -q --ref K1 --name "Anna Müller" --email anna@example.de \
	    --phone "030 1234567" --street "Lindenallee 7" --postal-code 10115 \
	    --city Berlin --note "mag Rot" --tag vip --consent newsletter=yes \
	    --set geburtstag=1980-01-01 >/dev/null
	crm-add -q --ref K2 --name "Ben Weber" --email ben@example.de >/dev/null
	crm-log -q K1 purchase --amount 59,90 --category jeans --at 2026-11-20 >/dev/null
	crm-log -q K1 purchase --amount 20 --category socks --at 2026-11-21 >/dev/null
	crm-log -q K2 purchase --amount 5 --category socks --at 2026-11-21 >/dev/null
	crm-log -q K1 complaint --subject "Anna Müller: Naht gerissen" \
	    --body "Lindenallee 7 anrufen" --at 2026-11-22 >/dev/null
}

# hold_lock: take the database's write lock in a background sqlite3 and
# return once it is held; release_lock lets it go and waits for it. Held
# until released, not for a fixed time: under valgrind a command may take
# seconds to start.
hold_lock() {
	mkfifo "$TMP/lock.go"
	{ echo '.timeout 5000'; echo 'BEGIN IMMEDIATE;'; read -r _ <"$TMP/lock.go"; echo 'COMMIT;'; } |
	    sqlite3 "$CRM_DB" &
	LOCK_PID=$!
	while sqlite3 "$CRM_DB" 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null; do
		sleep 0.1
	done
}

release_lock() {
	echo >"$TMP/lock.go"
	wait "$LOCK_PID"
	rm -f "$TMP/lock.go"
}
