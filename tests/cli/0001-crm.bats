#!/usr/bin/env bats
# The crm front end and what every command shares: --help, --version,
# bad options, exit codes.

load helper

@test "crm alone lists the commands" {
	run crm
	[ "$status" -eq 0 ]
	[[ "$output" == *"add "*"customers"* ]]
	[[ "$output" == *"log "* ]]
	[[ "$output" == *"show "* ]]
}

@test "crm add runs crm-add" {
	run crm add --ref K1 --name "Anna Müller"
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT last_name FROM customers')" = "Müller" ]
}

@test "crm with an unknown command exits 64" {
	run crm frobnicate
	[ "$status" -eq 64 ]
	[[ "$output" == *"'frobnicate' is not a crm command"* ]]
}

@test "every command has --help that fits a terminal and exits 0" {
	for c in crm $(cd "$CRM_ROOT/cmd" && ls crm-*.c | sed 's/\.c$//'); do
		run "$c" --help
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -le 24 ]
		while IFS= read -r l; do
			[ "${#l}" -le 80 ] || { echo "$c: long line: $l"; false; }
		done <<<"$output"
	done
}

@test "every command prints its version" {
	for c in crm $(cd "$CRM_ROOT/cmd" && ls crm-*.c | sed 's/\.c$//'); do
		run "$c" --version
		[ "$status" -eq 0 ]
		[[ "$output" =~ [0-9]+\.[0-9]+\.[0-9]+ ]]
	done
}

@test "an unknown option is a usage error (64) on stderr" {
	for c in crm-add crm-log crm-show crm-report; do
		run "$c" --no-such-option
		[ "$status" -eq 64 ]
		[[ "$output" == *"usage: $c"* ]]
	done
}

@test "a bad --format or --wait is a usage error" {
	run crm-show --format xml K1
	[ "$status" -eq 64 ]
	[[ "$output" == *'unknown format "xml"'* ]]
	run crm-log --wait soon K1 note
	[ "$status" -eq 64 ]
}

@test "writing to a full disk is an I/O error (74)" {
	[ -w /dev/full ] || skip "no /dev/full"
	add_anna
	run sh -c 'crm-show K1 >/dev/full'
	[ "$status" -eq 74 ]
}
