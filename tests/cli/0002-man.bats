#!/usr/bin/env bats
# The manual pages agree with the programs: every option a command prints in
# --help or accepts in its option table is documented in its page, the page
# documents no option the command lacks, every command has a page, and the
# pages pass mandoc's lint.

load helper

MAN="$CRM_ROOT/man"
CMDS="crm-add crm-log crm-show crm-report"

# help_opts CMD: the long options CMD --help prints, one a line.
help_opts() {
	"$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# source_opts CMD: the long options in CMD's getopt_long table, including
# the COMMON_OPTIONS of cmd/common.h.
source_opts() {
	{
		sed -n '/struct option longopts/,/};/p' "$CRM_ROOT/cmd/$1.c"
		sed -n '/^#define COMMON_OPTIONS/,/^#define COMMON_SHORT/p' \
		    "$CRM_ROOT/cmd/common.h"
	} | grep -o '{ *"[a-z][a-z-]*"' | grep -o '[a-z][a-z-]*' |
	    sed 's/^/--/' | sort -u
}

# page_opts PAGE: the long options PAGE mentions anywhere, as "Fl -name".
page_opts() {
	grep -o 'Fl -[a-z][a-z-]*' "$1" | sed 's/^Fl /-/' | sort -u
}

# synopsis_opts PAGE: the long options in PAGE's SYNOPSIS.
synopsis_opts() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1" |
	    grep -o 'Fl -[a-z][a-z-]*' | sed 's/^Fl /-/' | sort -u
}

# listed_opts PAGE: the long options of the ".It Fl" items that document
# options in PAGE's DESCRIPTION.
listed_opts() {
	sed -n '/^\.Sh DESCRIPTION/,/^\.Sh /p' "$1" | grep '^\.It Fl' |
	    grep -o 'Fl -[a-z][a-z-]*' | sed 's/^Fl /-/' | sort -u
}

# missing A B: print the lines of file A that are not in file B; fail if any.
missing() {
	local m
	m=$(comm -23 "$1" "$2")
	[ -z "$m" ] || { printf '%s\n' "$m"; return 1; }
}

@test "every option in --help is documented in the man page" {
	for c in crm $CMDS; do
		page="$MAN/$c.1"
		[ -f "$page" ] || { echo "no $page"; false; }
		help_opts "$c" >help.txt
		[ -s help.txt ] || [ "$c" = crm ] ||
		    { echo "$c --help printed no options"; false; }
		page_opts "$page" >page.txt
		missing help.txt page.txt ||
		    { echo "^ in '$c --help' but not in man/$c.1"; false; }
	done
}

@test "every option in a command's option table has an item in its page" {
	for c in $CMDS; do
		source_opts "$c" >src.txt
		[ -s src.txt ] || { echo "no options found in cmd/$c.c"; false; }
		listed_opts "$MAN/$c.1" >page.txt
		missing src.txt page.txt ||
		    { echo "^ accepted by $c but without an .It item in man/$c.1"; false; }
	done
}

@test "the SYNOPSIS names only options that --help names" {
	for c in crm $CMDS; do
		synopsis_opts "$MAN/$c.1" >syn.txt
		help_opts "$c" >help.txt
		missing syn.txt help.txt ||
		    { echo "^ in the SYNOPSIS of man/$c.1 but not in '$c --help'"; false; }
	done
}

@test "the man pages document no option a command lacks" {
	for c in $CMDS; do
		listed_opts "$MAN/$c.1" >listed.txt
		source_opts "$c" >src.txt
		missing listed.txt src.txt ||
		    { echo "^ documented in man/$c.1 but not accepted by $c"; false; }
	done
}

@test "every command has a man page, and the overview and formats exist" {
	for f in "$CRM_ROOT"/cmd/crm-*.c; do
		c=${f##*/}
		c=${c%.c}
		[ -f "$MAN/$c.1" ] || { echo "no man/$c.1 for cmd/$c.c"; false; }
	done
	[ -f "$MAN/crm.1" ]
	[ -f "$MAN/crm.5" ]
	[ -f "$MAN/crm.7" ]
}

@test "the man pages pass mandoc -T lint -W warning" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	for p in "$MAN"/*.[157]; do
		run mandoc -T lint -W warning "$p"
		[ "$status" -eq 0 ] && [ -z "$output" ] ||
		    { echo "$output"; false; }
	done
}

@test "crm help add shows man/crm-add.1" {
	command -v man >/dev/null || skip "man is not installed"
	command -v nroff >/dev/null || skip "nroff is not installed"
	run man -l "$MAN/crm-add.1"
	[ "$status" -eq 0 ]
	[[ "$output" == *crm-add* ]]
	# The build tree's crm finds the page beside it, not an installed one.
	export MANPAGER=cat PAGER=cat MANWIDTH=80
	for c in add log show; do
		run "$CRM_ROOT/cmd/crm" help "$c"
		[ "$status" -eq 0 ]
		[[ "$output" == *"crm-$c"* ]]
	done
	run "$CRM_ROOT/cmd/crm" help
	[ "$status" -eq 0 ]
	[[ "$output" == *"CRM(7)"* ]]
	run "$CRM_ROOT/cmd/crm" help files
	[ "$status" -eq 0 ]
	[[ "$output" == *"CRM(5)"* ]]
}
