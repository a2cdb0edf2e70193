#!/usr/bin/env bash
# Builds pgstage and runs the whole test suite: unit, integration (a private Postgres cluster the
# tests start themselves) and end-to-end (dockerd, HAProxy and load; started here or by the tests).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` for the fast set alone.
#
# With no arguments (CI) it also runs the unit and integration suites under AddressSanitizer and
# UndefinedBehaviorSanitizer and a 60 s libFuzzer run, both from one clang tree (build-fuzz: every
# library is built with -fsanitize=address,undefined, and the code the fuzzer explores also with
# fuzzer-no-link, so the same objects serve the sanitizer suites and the fuzzer). To keep CI short on
# a 2-core machine: the GCC tree builds while the test packages install; a new tree is a unity
# build; every tree compiles through ccache (scripts/deps.sh) with line tables only instead of full
# debug info (enough for sanitizer stack traces and backtraces with file:line); the clang tree links
# with lld; each stage builds only the targets it runs; the integration and e2e suites each run as
# two processes at once (tests/CMakeLists.txt), e2e beside the image test; and everything off the
# GCC tree's path runs in niced background jobs: the image test's Debian base (debootstrap), and the
# sanitizer chain (build the clang tree on the cycles the GCC side leaves, run its suites beside the
# GCC tree's, then the fuzz run). Stage timings are printed at the end and written to
# build/ci-timings.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

# Warnings are errors in CI (the option defaults to OFF for users building from source).
CONFIGURE=(-G Ninja -DPGSTAGE_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
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
TIMINGS=() CCACHE_LAUNCHER=() GCC_BUILD_PID=""
# stage NAME COMMAND...: runs COMMAND in the foreground and records how long it took.
stage() {
  local name=$1 start=$(date +%s)
  shift
  echo "== $name"
  "$@"
  TIMINGS+=("$(printf '%-52s %5ds' "$name" $(($(date +%s) - start)))")
}

# Jobs run in the background while the foreground builds and tests (the clang tree's chain, the
# image test's Debian base): niced so that the foreground keeps the CPU it asks for.
BG_PIDS=() BG_NAMES=() BG_LOGS=() BG_STARTS=()
background() {
  BG_NAMES+=("$1") BG_LOGS+=("$2") BG_STARTS+=("$(date +%s)")
  echo "== $1 (in the background), log: $2"
  shift 2
  # A subshell that lowers its own priority, so COMMAND may be a function of this script.
  # It writes the time it ended, for the timings (it may end long before it is waited for).
  ( renice -n 10 "$BASHPID" >/dev/null; rc=0; "$@" || rc=$?; date +%s >"${BG_LOGS[-1]}.end"; exit $rc ) \
    >"${BG_LOGS[-1]}" 2>&1 &
  BG_PIDS+=($!)
}
# Stops a background job with everything it started (ninja, ctest, the tests).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
# wait_background NAME: waits for the background job NAME; its failure fails the run.
wait_background() {
  local i rc=0
  for i in "${!BG_NAMES[@]}"; do
    [ "${BG_NAMES[$i]}" = "$1" ] && [ -n "${BG_PIDS[$i]}" ] || continue
    wait "${BG_PIDS[$i]}" || rc=$?
    BG_PIDS[$i]=""
    local end
    end=$(cat "${BG_LOGS[$i]}.end" 2>/dev/null || date +%s)
    TIMINGS+=("$(printf '%-52s %5ds' "${BG_NAMES[$i]}" $((end - BG_STARTS[$i])))")
    if [ $rc -ne 0 ]; then
      tail -n 60 "${BG_LOGS[$i]}" >&2
      echo "test.sh: ${BG_NAMES[$i]} failed (exit $rc); full log: ${BG_LOGS[$i]}" >&2
      exit $rc
    fi
  done
}

report_timings() {
  local rc=$?
  local pid
  for pid in "${BG_PIDS[@]}" $GCC_BUILD_PID; do [ -n "$pid" ] && kill_tree "$pid"; done
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

# The packages that build pgstage first; the GCC tree builds while the test packages (clang, docker.io,
# HAProxy, ...: most of the download on a fresh machine) install.
stage "install build packages" install_deps build
setup_ccache
[ ${#CCACHE_LAUNCHER[@]} -gt 0 ] && ccache -z >/dev/null  # the summary shows this run's hits
CONFIGURE+=("${CCACHE_LAUNCHER[@]}")

# Unity builds (several .cpp files compiled as one; CMAKE_UNITY_BUILD): each file's share of the big
# headers (CLI11, nlohmann/json, libpqxx, doctest) is parsed once per batch instead of once per file,
# which makes a build from scratch far cheaper. A tree configured before keeps its setting, so a
# developer's incremental `build` stays per file; a new tree (CI's) and the clang tree are unity.
UNITY=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
GCC_UNITY=()
[ -f build/CMakeCache.txt ] || GCC_UNITY=("${UNITY[@]}")
stage "configure build" cmake -S . -B build "${CONFIGURE[@]}" "${GCC_FLAGS[@]}" "${GCC_UNITY[@]}" >/dev/null
echo "== build build (test targets), while the test packages install"
GCC_BUILD_START=$(date +%s)
ninja -C build "${TEST_TARGETS[@]}" &
GCC_BUILD_PID=$!
stage "install test packages (beside the build)" install_deps test
# dockerd before the background jobs: the image test's Debian base is made while the trees build.
stage "start services" start_services

# The sanitizer side (no arguments, i.e. CI) runs as one background chain, started before the GCC
# tree is built so that the clang tree, the longest job, gets every cycle the GCC build and the
# GCC tree's tests leave: build the clang tree, run the ASan/UBSan unit and integration suites
# (two processes at once) beside whatever GCC suite runs then, then the 60 s fuzz run. Niced, so
# the foreground's build and load tests keep the CPU they ask for; the deploy tests stretch their
# deadlines in sanitized builds (tests/support/deploy_fixture.cpp).
#
# One clang tree for the sanitizer suites and the fuzzer: PGSTAGE_FUZZ builds every library with
# ASan + UBSan, and the code the fuzz target explores also with libFuzzer's coverage instrumentation
# (CMakeLists.txt); only pgstage_lint_fuzz links libFuzzer's main. Warnings are errors here too
# (clang's sanitizers do not cause the flow-warning false positives GCC's do).
sanitizer_chain() {
  local t
  t=$(date +%s)
  ninja -C build-fuzz "${SANITIZE_TARGETS[@]}" >build-fuzz/ci-build.log 2>&1 ||
    { tail -n 60 build-fuzz/ci-build.log; echo "test.sh: the build of build-fuzz failed; log: build-fuzz/ci-build.log"; return 1; }
  printf '%-52s %5ds\n' "  build build-fuzz" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
  t=$(date +%s)
  ctest --test-dir build-fuzz --output-on-failure -j2 -L 'unit|integration' || return 1
  printf '%-52s %5ds\n' "  ASan/UBSan unit + integration (-j2)" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
  t=$(date +%s)
  ctest --test-dir build-fuzz --output-on-failure -L fuzz || return 1
  printf '%-52s %5ds\n' "  fuzz (60 s)" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
}
CHAIN="sanitizer chain: build build-fuzz, ASan/UBSan unit + integration, fuzz"
BASE_IMAGE="the image test's Debian base (scripts/base-image.sh)"
if [ $# -eq 0 ]; then
  stage "configure build-fuzz" cmake -S . -B build-fuzz "${CONFIGURE[@]}" "${CLANG_FLAGS[@]}" "${UNITY[@]}" -DPGSTAGE_FUZZ=ON >/dev/null
  rm -f build-fuzz/ci-chain-timings.txt
  background "$CHAIN" build-fuzz/ci-chain.log sanitizer_chain
  # debootstrap from the Debian mirror: minutes of network and dpkg on a fresh machine, off the
  # critical path here (the image test would otherwise make it in the e2e stage).
  background "$BASE_IMAGE" build/base-image.log scripts/base-image.sh
fi

rc=0
wait "$GCC_BUILD_PID" || rc=$?
GCC_BUILD_PID=""
TIMINGS+=("$(printf '%-52s %5ds' "build build (test targets)" $(($(date +%s) - GCC_BUILD_START)))")
[ $rc -eq 0 ] || { echo "test.sh: the build of build failed (exit $rc)" >&2; exit $rc; }

if [ $# -gt 0 ]; then
  stage "ctest $*" ctest --test-dir build --output-on-failure "$@"
  exit 0
fi

stage "unit" ctest --test-dir build --output-on-failure -L unit
stage "integration (2 processes, ctest -j2)" ctest --test-dir build --output-on-failure -j2 -L integration
wait_background "$BASE_IMAGE"
stage "e2e + image (3 processes: swarm, containers, image; ctest -j3)" ctest --test-dir build --output-on-failure -j3 -L e2e
wait_background "$CHAIN"
cat build-fuzz/ci-chain.log
[ -f build-fuzz/ci-chain-timings.txt ] && while IFS= read -r line; do TIMINGS+=("$line"); done <build-fuzz/ci-chain-timings.txt
