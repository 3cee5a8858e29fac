#!/usr/bin/env bats
# The shape of libcrm: its modules depend on each other in layers, never in
# a cycle (scripts/check-modules, make check-modules), and no .c file is
# over 1,200 lines (scripts/check-size, make check-size).

load helper

@test "libcrm's modules form layers: no cycle of includes or symbols" {
	run "$CRM_ROOT/scripts/check-modules" "$CRM_ROOT/libcrm"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "no libcrm .c file over 1,200 lines" {
	run "$CRM_ROOT/scripts/check-size" "$CRM_ROOT/libcrm"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

# mod NAME INCLUDES...: NAME.h, and NAME.c that includes the headers given.
mod() {
	local n=$1 h
	shift
	printf '/* %s.h */\nint crm_%s(void);\n' "$n" "$n" >"lib/$n.h"
	{
		for h in "$@"; do
			printf '#include "%s"\n' "$h"
		done
		printf 'int crm_%s(void) { return 0; }\n' "$n"
	} >"lib/$n.c"
}

@test "a cycle of includes is found and each step named" {
	mkdir lib
	mod low
	mod customer low.h privacy.h
	mod privacy customer.h
	mod segment_run customer.h      # segment_run.c: the segment module
	printf 'int crm_segment(void);\n' >lib/segment.h
	run "$CRM_ROOT/scripts/check-modules" lib
	[ "$status" -eq 1 ]
	[[ "$output" == *"customer -> privacy: customer.c includes privacy.h"* ]]
	[[ "$output" == *"privacy -> customer: privacy.c includes customer.h"* ]]
	[[ "$output" != *low* && "$output" != *segment* ]]
	# layered, it passes
	mod privacy low.h
	run "$CRM_ROOT/scripts/check-modules" -v lib
	[ "$status" -eq 0 ]
	[[ "$output" == *"customer: low privacy"* ]]
}

@test "a private header and a file without a header belong to their module" {
	mkdir lib
	mod import
	printf 'struct imp;\n' >lib/import_int.h
	printf '#include "import_int.h"\n#include "stats.h"\n' >lib/import_row.c
	printf '#include "stats.h"\n#include "import.h"\nint crm_import(void) { return 1; }\n' >lib/batch.c
	mod stats import_int.h
	run "$CRM_ROOT/scripts/check-modules" lib
	[ "$status" -eq 1 ]
	[[ "$output" == *"import -> stats: "*"includes stats.h"* ]]
	[[ "$output" == *"stats -> import: stats.c includes import_int.h"* ]]
}

@test "a cycle of calls through a shared header is found in the objects" {
	command -v cc >/dev/null || skip "no C compiler"
	mkdir lib
	printf 'int crm_a(void);\nint crm_b(void);\n' >lib/internal.h
	printf 'int crm_a(void);\n' >lib/a.h
	printf 'int crm_b(void);\n' >lib/b.h
	printf '#include "internal.h"\nint crm_a(void) { return crm_b(); }\n' >lib/a.c
	printf '#include "internal.h"\nint crm_b(void) { return 1; }\n' >lib/b.c
	(cd lib && cc -c a.c b.c)
	run "$CRM_ROOT/scripts/check-modules" lib
	[ "$status" -eq 0 ]
	printf '#include "internal.h"\nint crm_b(void) { return crm_a(); }\n' >lib/b.c
	(cd lib && cc -c b.c)
	run "$CRM_ROOT/scripts/check-modules" lib
	[ "$status" -eq 1 ]
	[[ "$output" == *"a -> b: uses crm_b"* ]]
	[[ "$output" == *"b -> a: uses crm_a"* ]]
}

@test "a file over the limit is named" {
	mkdir lib
	seq 1 1201 | sed 's/.*/int x&;/' >lib/big.c
	seq 1 1200 | sed 's/.*/int y&;/' >lib/fits.c
	run "$CRM_ROOT/scripts/check-size" lib
	[ "$status" -eq 1 ]
	[[ "$output" == *"lib/big.c: 1201 lines, more than 1200"* ]]
	[[ "$output" != *fits.c* ]]
	run "$CRM_ROOT/scripts/check-size" -n 1300 lib
	[ "$status" -eq 0 ]
}
