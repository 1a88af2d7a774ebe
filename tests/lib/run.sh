# The last line of every suite: hands the test_* functions to shunit2.
SHUNIT_COLOR=none
. /usr/bin/shunit2
