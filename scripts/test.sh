#!/usr/bin/env bash
# Builds pgstage and runs the whole test suite: unit, integration (a private Postgres cluster the
# tests start themselves) and end-to-end (dockerd, HAProxy and load; started here or by the tests).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` for the fast set alone.
#
# With no arguments (CI) it also runs the unit and integration suites under AddressSanitizer and
# UndefinedBehaviorSanitizer and a 60 s libFuzzer run, both from one clang tree (build-fuzz: every
# library is built with -fsanitize=address,undefined,fuzzer-no-link, so the same objects serve the
# sanitizer suites and the fuzzer). To keep CI short on a 2-core machine: every tree compiles through
# ccache (scripts/deps.sh) with line tables only instead of full debug info (enough for sanitizer
# stack traces and backtraces with file:line), the clang tree links with lld, each stage builds only
# the targets it runs, and the clang tree is built at a low CPU priority (nice 10) while the tests of
# the GCC tree run (they mostly wait on Postgres, HAProxy and containers); the 60 s fuzz run, niced
# too, overlaps the sanitizer suites. Stage timings are printed at the end and written to
# build/ci-timings.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
install_deps test
setup_ccache
[ ${#CCACHE_LAUNCHER[@]} -gt 0 ] && ccache -z >/dev/null  # the summary shows this run's hits

# Warnings are errors in CI (the option defaults to OFF for users building from source).
CONFIGURE=(-G Ninja -DPGSTAGE_WERROR=ON "${CCACHE_LAUNCHER[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
# RelWithDebInfo with line tables only (CMake's default is -O2 -g): -g made most of the compile and
# link time and a 157 MB binary; users' own builds keep CMake's defaults.
GCC_FLAGS=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
CLANG_FLAGS=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG"
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG")
TEST_TARGETS=(pgstage pgstage_unit_tests pgstage_integration_tests pgstage_e2e_tests)
SANITIZE_TARGETS=(pgstage pgstage_unit_tests pgstage_integration_tests pgstage_lint_fuzz)
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1

T0=$(date +%s)
TIMINGS=()
# stage NAME COMMAND...: runs COMMAND in the foreground and records how long it took.
stage() {
  local name=$1 start=$(date +%s)
  shift
  echo "== $name"
  "$@"
  TIMINGS+=("$(printf '%-52s %5ds' "$name" $(($(date +%s) - start)))")
}

# A job run in the background while foreground tests run (a tree's build, the fuzz run): niced so
# that the tests keep the CPU they ask for.
BG_PID="" BG_NAME="" BG_LOG="" BG_START=0
background() {
  BG_NAME=$1 BG_LOG=$2 BG_START=$(date +%s)
  shift 2
  echo "== $BG_NAME, log: $BG_LOG"
  nice -n 10 "$@" >"$BG_LOG" 2>&1 &
  BG_PID=$!
}
background_build() {
  local dir=$1
  shift
  background "build $dir (in the background)" "$dir/ci-build.log" ninja -C "$dir" "$@"
}
wait_background() {
  local rc=0
  wait "$BG_PID" || rc=$?
  BG_PID=""
  TIMINGS+=("$(printf '%-52s %5ds' "$BG_NAME (until done)" $(($(date +%s) - BG_START)))")
  if [ $rc -ne 0 ]; then
    tail -n 60 "$BG_LOG" >&2
    echo "test.sh: $BG_NAME failed (exit $rc); full log: $BG_LOG" >&2
    exit $rc
  fi
}

report_timings() {
  local rc=$?
  [ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null
  stop_services
  if [ ${#TIMINGS[@]} -gt 0 ]; then
    TIMINGS+=("$(printf '%-52s %5ds' total $(($(date +%s) - T0)))")
    mkdir -p build
    printf '%s\n' "${TIMINGS[@]}" >build/ci-timings.txt
    echo "== stage timings (exit $rc)"
    printf '  %s\n' "${TIMINGS[@]}"
    command -v ccache >/dev/null 2>&1 && [ ${#CCACHE_LAUNCHER[@]} -gt 0 ] && ccache -s | sed -n '/Hits/,/Misses/p' | sed 's/^/  ccache /'
  fi
  return $rc
}
. scripts/services.sh
trap report_timings EXIT

stage "configure build" cmake -S . -B build "${CONFIGURE[@]}" "${GCC_FLAGS[@]}" >/dev/null
stage "build build (test targets)" ninja -C build "${TEST_TARGETS[@]}"
stage "start services" start_services

if [ $# -gt 0 ]; then
  stage "ctest $*" ctest --test-dir build --output-on-failure "$@"
  exit 0
fi

# One clang tree for the sanitizer suites and the fuzzer: PGSTAGE_FUZZ builds every library with
# ASan + UBSan + libFuzzer's coverage instrumentation (CMakeLists.txt); only pgstage_lint_fuzz links
# libFuzzer's main. Warnings are errors here too (clang's sanitizers do not cause the flow-warning
# false positives GCC's do).
stage "configure build-fuzz" cmake -S . -B build-fuzz "${CONFIGURE[@]}" "${CLANG_FLAGS[@]}" -DPGSTAGE_FUZZ=ON >/dev/null
stage "unit" ctest --test-dir build --output-on-failure -L unit
background_build build-fuzz "${SANITIZE_TARGETS[@]}"
stage "integration + e2e" ctest --test-dir build --output-on-failure -L 'integration|e2e'
wait_background
background "fuzz (60 s, in the background)" build-fuzz/ci-fuzz.log ctest --test-dir build-fuzz --output-on-failure -L fuzz
stage "ASan/UBSan unit + integration" ctest --test-dir build-fuzz --output-on-failure -L 'unit|integration'
wait_background
cat build-fuzz/ci-fuzz.log
