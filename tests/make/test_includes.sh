#!/bin/bash
# The sources' include graph (tests/lib/includes.sh prints it): inside each
# folder, each header is its own .c's alone, and no arrow runs backwards
# (no circle among a folder's units).  The check is shown to catch both on
# a made-up folder.
. "$(dirname "$0")/../lib/common.sh"

INCLUDES=$TETHER_ROOT/tests/lib/includes.sh

test_every_folder_has_one_header_per_source_and_no_circle() {
	local out rc
	out=$("$INCLUDES" 2>&1); rc=$?
	assertEquals "faults: $(echo "$out" | grep -v -- ' -> ')" 0 "$rc"
	assertContains "the graph is printed" "$out" "supervisor: run -> daemon"
}

test_a_shared_header_and_a_circle_are_caught() {
	mkdir "$T/f"
	printf 'int a_one(void);\nint b_two(void);\n' >"$T/f/a.h"
	printf '#include "a.h"\n#include "b.h"\nint a_one(void)\n{\n\treturn b_three();\n}\n' >"$T/f/a.c"
	printf '#include "a.h"\nint b_two(void)\n{\n\treturn 2;\n}\n' >"$T/f/b.c"
	printf 'int b_three(void);\n' >"$T/f/b.h"
	local out rc
	out=$(SRC_ROOT=$T "$INCLUDES" f 2>&1); rc=$?
	assertEquals "exit" 1 "$rc"
	assertContains "$out" "f/a.h declares b_two, which f/a.c does not define"
	assertContains "$out" "f: a circle among"
}

. "$TETHER_ROOT/tests/lib/run.sh"
