#!/bin/bash
# make test's bounded smoke form of the fault suite for one scenario
# (tests/faults/README.md): each system call the role makes in it fails
# at its first call with the first errno of the table; one PASS/FAIL line
# per syscall.  The full matrix is make test-faults.
. "$(dirname "$0")/lib.sh"
faults_smoke enter
