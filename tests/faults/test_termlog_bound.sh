#!/bin/bash
# The termination log's bound during a trim, with the trim held open at
# its cut (tests/faults/termlog_bound.py; supervisor/README.md says the
# bound).
. "$(dirname "$0")/lib.sh"
if [ -n "${TETHER_SANITIZED:-}" ]; then
	echo "SKIP ${TETHER_RESULT_PREFIX:-}faults/termlog-bound: strace runs on the static binaries only" \
		| tee -a "${TETHER_RESULTS:-/dev/null}"
	exit 0
fi
python3 "$TETHER_ROOT/tests/faults/termlog_bound.py"
