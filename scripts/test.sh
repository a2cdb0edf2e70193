#!/usr/bin/env bash
# Builds pgstage and runs the whole test suite: unit, integration (a private Postgres cluster the
# tests start themselves) and end-to-end (dockerd, HAProxy and load; started here or by the tests).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` for the fast set alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
install_deps test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPGSTAGE_WERROR=ON >/dev/null
ninja -C build
. scripts/services.sh
start_services
trap stop_services EXIT
ctest --test-dir build --output-on-failure "$@"

# With no arguments (CI): the unit and integration suites again under AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan), then a 60 s libFuzzer run (build-fuzz, clang).
if [ $# -eq 0 ]; then
  export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPGSTAGE_WERROR=ON -DPGSTAGE_SANITIZE=ON >/dev/null
  ninja -C build-asan pgstage pgstage_unit_tests pgstage_integration_tests
  ctest --test-dir build-asan --output-on-failure -L 'unit|integration'
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPGSTAGE_WERROR=ON -DPGSTAGE_FUZZ=ON >/dev/null
  ninja -C build-fuzz pgstage_lint_fuzz
  ctest --test-dir build-fuzz --output-on-failure -L fuzz
fi
