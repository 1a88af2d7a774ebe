# The last line of every suite: hands the test_* functions to shunit2.
SHUNIT_COLOR=none
# shunit2 finds test_* functions by reading the suite's file; the mode
# matrix's (both_modes) are made at run time, so a suite with any lists
# the file's own, then those.  A suite that lists its own (the e2e
# suites, whose tests are in a sourced file) keeps its suite().
if ! declare -F suite >/dev/null; then
	suite() {
		local f
		[ ${#MODE_TESTS[@]} -gt 0 ] || return 0
		for f in $(_shunit_extractTestFunctions "$0") "${MODE_TESTS[@]}"; do
			suite_addTest "$f"
		done
	}
fi
. /usr/bin/shunit2
