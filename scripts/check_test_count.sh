#!/usr/bin/env bash
# Fails when ctest and Catch2 disagree on how many tests there are: a case name that ctest
# splits (a `;` in it) or a test binary that discovery missed would otherwise pass unnoticed.
# Usage: scripts/check_test_count.sh BUILD_DIR
set -euo pipefail
build="${1:?usage: check_test_count.sh BUILD_DIR}"

catch_count() { # binary -> number of test cases it holds (hidden [.] cases excluded, as ctest)
  "$1" --list-test-names-only | sed '/^[[:space:]]*$/d' | wc -l
}
ctest_count() { # label arguments -> number of ctest entries with those labels
  ctest --test-dir "$build" -N "$@" | sed -n 's/^Total Tests: \([0-9]*\)$/\1/p'
}

status=0
check() { # what catch ctest
  if [ "$2" -ne "$3" ] || [ "$2" -eq 0 ]; then
    echo "check_test_count: $1: $2 Catch2 cases but $3 ctest entries" >&2
    status=1
  else
    echo "check_test_count: $1: $2 Catch2 cases = $3 ctest entries"
  fi
}
check unit "$(catch_count "$build/tests/unit/sy_unit_tests")" "$(ctest_count -L '^unit$')"
check integration "$(catch_count "$build/tests/integration/sy_integration_tests")" \
  "$(ctest_count -L '^integration$' -LE '^clients$')"
exit "$status"
