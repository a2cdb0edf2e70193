#!/usr/bin/env bash
# Builds pgstage and runs the whole test suite: unit, integration (a private Postgres cluster the
# tests start themselves) and end-to-end (dockerd, HAProxy and load; started here or by the tests).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` for the fast set alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
install_deps test
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
. scripts/services.sh
start_services
trap stop_services EXIT
ctest --test-dir build --output-on-failure "$@"
