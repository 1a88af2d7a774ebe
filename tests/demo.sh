#!/bin/bash
# make demo: each part in tests/demo/ in order.
set -u
cd "$(dirname "$0")/.."
for part in tests/demo/*.sh; do
	bash "$part" || exit $?
done
