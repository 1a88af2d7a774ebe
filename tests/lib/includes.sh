#!/bin/bash
# The include graph of the sources inside each folder, one unit a node: X.c
# with its own header X.h.  Prints "folder: X -> Y" for each X.c or X.h
# that includes Y.h of the same folder, then one line per fault:
#   folder/X.h declares NAME, which folder/X.c does not define
#     (a header that serves several .c: each .c should have its own), and
#   folder: a circle among UNITS
#     (an arrow that runs backwards inside the folder).
# Exit 1 if it printed a fault.  Run from anywhere:  tests/lib/includes.sh
# [FOLDER...]; SRC_ROOT names another tree (default: this one).
cd "${SRC_ROOT:-$(dirname "$0")/../..}" || exit 2
FOLDERS=${*:-lib init cgroup sockets supervisor images}
faults=0

# protos H: the names of the functions H declares at file scope (a line at
# column 0 with a '(' that is no macro, static inline or function pointer).
protos() {
	grep -E '^[a-z_].*[a-z0-9_]\(' "$1" | grep -vE '^(static|typedef|#)' |
		sed -E 's/^[^(]*[^a-zA-Z0-9_]([a-zA-Z_][a-zA-Z0-9_]*)\(.*/\1/'
}

for f in $FOLDERS; do
	edges=$(for src in "$f"/*.[ch]; do
		[ -e "$src" ] || continue
		u=$(basename "${src%.?}")
		sed -n 's/^#include "\([^"/]*\)\.h".*/\1/p' "$src" | while read -r h; do
			[ "$h" != "$u" ] && [ -e "$f/$h.h" ] && echo "$u $h"
		done
	done | sort -u)
	[ -n "$edges" ] && echo "$edges" | sed "s|^\(.*\) \(.*\)$|$f: \1 -> \2|"
	for h in "$f"/*.h; do
		c=${h%.h}.c
		[ -e "$h" ] && [ -e "$c" ] || continue
		for name in $(protos "$h"); do
			grep -qE "^([a-zA-Z].*[^a-zA-Z0-9_])?$name\(.*[^;]\$" "$c" && continue
			grep -qE "^([a-zA-Z].*[^a-zA-Z0-9_])?$name\([^;]*\$" "$c" && continue
			echo "$h declares $name, which $c does not define"
			faults=1
		done
	done
	# Each unit also as a node of its own, so that tsort sees them all.
	if ! loop=$( { echo "$edges"; for s in "$f"/*.[ch]; do n=$(basename "${s%.?}"); echo "$n $n"; done; } |
		     tsort 2>&1 >/dev/null); then
		echo "$f: a circle among $(echo "$loop" | grep -v 'input contains a loop' | sed 's/^tsort: //' | tr '\n' ' ')"
		faults=1
	fi
done
exit $faults
