# Shared by tests/faults/test_*.sh: runs faults.py's smoke form of one
# scenario, its results appended to tests/run's file by faults.py itself.
# Within tests/run's time limit per suite (TETHER_SUITE_TIMEOUT, 300 s):
# runs past 120 s are not started, and faults.py says how many.
: "${TETHER_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export TETHER_ROOT

faults_smoke() {
	if [ -n "${TETHER_SANITIZED:-}" ]; then
		# The sanitizer runtime's own calls would be injected too: the
		# suite measures the static binaries.
		echo "SKIP ${TETHER_RESULT_PREFIX:-}faults/$1: fault injection runs on the static binaries only" \
			| tee -a "${TETHER_RESULTS:-/dev/null}"
		return 0
	fi
	python3 "$TETHER_ROOT/tests/faults/faults.py" --smoke --budget "${FAULTS_BUDGET:-120}" "$1"
}

# faults_only SCENARIO SYSCALL:ERRNO:N[:DELAY_US]: that one injection; a
# defect fails, and so does a line that does not name the errno (--strict).
faults_only() {
	[ -z "${TETHER_SANITIZED:-}" ] || { faults_smoke "$1"; return 0; }
	python3 "$TETHER_ROOT/tests/faults/faults.py" --strict --only "$2" "$1"
}
