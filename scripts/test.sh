#!/usr/bin/env bash
# Builds pgstage and runs the whole test suite: unit, integration (a private Postgres cluster the
# tests start themselves) and end-to-end (dockerd, HAProxy and load; started here or by the tests).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` for the fast set alone.
#
# With no arguments (CI) it also runs the unit and integration suites under AddressSanitizer and
# UndefinedBehaviorSanitizer and a 60 s libFuzzer run, both from one clang tree (build-fuzz: every
# library is built with -fsanitize=address,undefined, and the code the fuzzer explores also with
# fuzzer-no-link, so the same objects serve the sanitizer suites and the fuzzer). To keep CI short on
# a 2-core machine: every tree compiles through ccache (scripts/deps.sh) with line tables only
# instead of full debug info (enough for sanitizer stack traces and backtraces with file:line), the
# clang tree links with lld, each stage builds only the targets it runs, the integration suite runs
# as two processes at once (ctest -j2; tests/CMakeLists.txt), and the sanitizer side is one niced
# background chain started before the GCC build (build the clang tree on the cycles the GCC side
# leaves, then its suites once the GCC tree's suites are done, then the fuzz run). Stage timings
# are printed at the end and written to build/ci-timings.txt.
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
  # A subshell that lowers its own priority, so COMMAND may be a function of this script.
  ( renice -n 10 "$BASHPID" >/dev/null; "$@" ) >"$BG_LOG" 2>&1 &
  BG_PID=$!
}
# Stops a background job with everything it started (ninja, ctest, the tests).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
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
  [ -n "$BG_PID" ] && kill_tree "$BG_PID"
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

# The sanitizer side (no arguments, i.e. CI) runs as one background chain, started before the GCC
# tree is built so that the clang tree, the longest job, gets every cycle the GCC build and the
# GCC tree's tests leave: build the clang tree; once the GCC tree's suites are done, run the
# ASan/UBSan unit and integration suites (two processes at once); then the 60 s fuzz run. Not
# alongside the e2e suite: niced under its load, a sanitized deploy test missed its 3 s health
# deadline once. Niced, so the foreground's build and load tests keep the CPU they ask for.
#
# One clang tree for the sanitizer suites and the fuzzer: PGSTAGE_FUZZ builds every library with
# ASan + UBSan, and the code the fuzz target explores also with libFuzzer's coverage instrumentation
# (CMakeLists.txt); only pgstage_lint_fuzz links libFuzzer's main. Warnings are errors here too
# (clang's sanitizers do not cause the flow-warning false positives GCC's do).
GCC_TESTS_DONE=build-fuzz/.gcc-tests-done
sanitizer_chain() {
  local t
  t=$(date +%s)
  ninja -C build-fuzz "${SANITIZE_TARGETS[@]}" >build-fuzz/ci-build.log 2>&1 ||
    { tail -n 60 build-fuzz/ci-build.log; echo "test.sh: the build of build-fuzz failed; log: build-fuzz/ci-build.log"; return 1; }
  printf '%-52s %5ds\n' "  build build-fuzz" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
  t=$(date +%s)
  while [ ! -e "$GCC_TESTS_DONE" ]; do sleep 1; done
  printf '%-52s %5ds\n' "  wait for the GCC tree's suites" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
  t=$(date +%s)
  ctest --test-dir build-fuzz --output-on-failure -j2 -L 'unit|integration' || return 1
  printf '%-52s %5ds\n' "  ASan/UBSan unit + integration (-j2)" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
  t=$(date +%s)
  ctest --test-dir build-fuzz --output-on-failure -L fuzz || return 1
  printf '%-52s %5ds\n' "  fuzz (60 s)" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
}
if [ $# -eq 0 ]; then
  stage "configure build-fuzz" cmake -S . -B build-fuzz "${CONFIGURE[@]}" "${CLANG_FLAGS[@]}" -DPGSTAGE_FUZZ=ON >/dev/null
  rm -f "$GCC_TESTS_DONE" build-fuzz/ci-chain-timings.txt
  background "sanitizer chain: build build-fuzz, ASan/UBSan unit + integration, fuzz" build-fuzz/ci-chain.log \
    sanitizer_chain
fi

stage "build build (test targets)" ninja -C build "${TEST_TARGETS[@]}"
stage "start services" start_services

if [ $# -gt 0 ]; then
  stage "ctest $*" ctest --test-dir build --output-on-failure "$@"
  exit 0
fi

stage "unit" ctest --test-dir build --output-on-failure -L unit
stage "integration (2 processes, ctest -j2)" ctest --test-dir build --output-on-failure -j2 -L integration
stage "e2e + image" ctest --test-dir build --output-on-failure -L e2e
touch "$GCC_TESTS_DONE"
wait_background
cat build-fuzz/ci-chain.log
[ -f build-fuzz/ci-chain-timings.txt ] && while IFS= read -r line; do TIMINGS+=("$line"); done <build-fuzz/ci-chain-timings.txt
