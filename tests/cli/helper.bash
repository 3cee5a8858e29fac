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
