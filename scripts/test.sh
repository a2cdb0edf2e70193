#!/usr/bin/env bash
# Builds pgstage and runs the whole test suite: unit, integration (a private Postgres cluster the
# tests start themselves) and end-to-end (dockerd, HAProxy and load; started here or by the tests).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` for the fast set alone.
#
# With no arguments (CI) it runs every suite once, each on the build that checks it most: the unit
# and integration suites under AddressSanitizer and UndefinedBehaviorSanitizer, and a 60 s libFuzzer
# run, from one clang tree (build-fuzz: every library built with -fsanitize=address,undefined, the
# code the fuzzer explores also with fuzzer-no-link, so the same objects serve the sanitizer suites
# and the fuzzer); the e2e, image and install suites from the GCC tree (build), built with the
# release flags. To keep CI short on a 2-core machine, where the CPU is the bound: the trees build
# one after the other with both cores (two compilers sharing a core cost more CPU than one after
# the other), while the test packages install and the image test's Debian base is made, the GCC
# tree only what its suites run; then every suite runs at once. A new tree is a unity build; test
# sources are not optimized (tests/CMakeLists.txt); every tree compiles through ccache
# (scripts/deps.sh) with line tables only instead of full debug info (enough for sanitizer stack
# traces and backtraces with file:line); the clang tree links with lld; the integration and e2e
# suites each run as two processes (tests/CMakeLists.txt). Stage timings are printed at the end and
# written to build/ci-timings.txt.
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
GCC_TARGETS=(pgstage pgstage_sample_app pgstage_e2e_tests)
# Unity builds (several .cpp files compiled as one; CMAKE_UNITY_BUILD): each file's share of the big
# headers (CLI11, nlohmann/json, libpqxx, doctest) is parsed once per batch instead of once per file,
# which makes a build from scratch far cheaper. A tree configured before keeps its setting, so a
# developer's incremental `build` stays per file; a new tree (CI's) and the clang tree are unity.
UNITY=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
SANITIZE_TARGETS=(pgstage pgstage_unit_tests pgstage_integration_tests pgstage_lint_fuzz)
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1

T0=$(date +%s)
TIMINGS=() CCACHE_LAUNCHER=()
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
# background NAME LOG NICE COMMAND...: runs COMMAND (a function of this script or a program) in a
# subshell at priority NICE, output to LOG. It writes the time it ended, for the timings (it may end
# long before it is waited for).
background() {
  BG_NAMES+=("$1") BG_LOGS+=("$2") BG_STARTS+=("$(date +%s)")
  local level=$3
  echo "== $1 (in the background), log: $2"
  shift 3
  mkdir -p "$(dirname "${BG_LOGS[-1]}")"
  ( [ "$level" -eq 0 ] || renice -n "$level" "$BASHPID" >/dev/null; rc=0; "$@" || rc=$?
    date +%s >"${BG_LOGS[-1]}.end"; exit $rc ) >"${BG_LOGS[-1]}" 2>&1 &
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
  for pid in "${BG_PIDS[@]}"; do [ -n "$pid" ] && kill_tree "$pid"; done
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

# With arguments (a developer's `scripts/test.sh -L unit`): the GCC tree, every test target, then
# ctest with those arguments.
if [ $# -gt 0 ]; then
  stage "install packages" install_deps test
  setup_ccache
  CONFIGURE+=("${CCACHE_LAUNCHER[@]}")
  [ -f build/CMakeCache.txt ] || CONFIGURE+=("${UNITY[@]}")
  stage "configure build" cmake -S . -B build "${CONFIGURE[@]}" "${GCC_FLAGS[@]}" >/dev/null
  stage "build build (test targets)" ninja -C build "${TEST_TARGETS[@]}"
  stage "start services" start_services
  stage "ctest $*" ctest --test-dir build --output-on-failure "$@"
  exit 0
fi

# The whole suite (CI). Each suite runs once, on the build that checks it most:
#   build-fuzz (clang, ASan + UBSan, libFuzzer)     unit and integration under the sanitizers, the
#                                                   60 s fuzz run
#   build (GCC, the release flags: what ships)      e2e, image and install: the deploys under load,
#                                                   the container image, `cmake --install`
# The GCC tree builds only what its suites run (the binary, the sample app, the e2e tests), so the
# unit and integration tests are compiled once, not twice, and the integration suite (Postgres work
# that costs as much CPU in either tree) runs once. On two cores the CPU is the bound, and two
# compilers time-slicing one core each cost more CPU than one after the other (measured: the clang
# tree took 685 CPU-s built beside the GCC tree, 421 alone): so the trees build one after the other,
# each with both cores, while the test packages install and the image test's Debian base is made;
# then every suite runs at once: the sanitizer suites with the fuzz run (ctest -j3), the e2e pair
# (ctest -j2) and the image test once its base is there.
stage "install build packages and clang" install_deps compilers
setup_ccache
[ ${#CCACHE_LAUNCHER[@]} -gt 0 ] && ccache -z >/dev/null  # the summary shows this run's hits
CONFIGURE+=("${CCACHE_LAUNCHER[@]}")
GCC_UNITY=()
[ -f build/CMakeCache.txt ] || GCC_UNITY=("${UNITY[@]}")
stage "configure build, build-fuzz" eval \
  'cmake -S . -B build "${CONFIGURE[@]}" "${GCC_FLAGS[@]}" "${GCC_UNITY[@]}" >/dev/null &&
   cmake -S . -B build-fuzz "${CONFIGURE[@]}" "${CLANG_FLAGS[@]}" "${UNITY[@]}" -DPGSTAGE_FUZZ=ON >/dev/null'

# Markers between the background jobs: each tree's build writes its own when it ends (built or not).
CLANG_BUILT=build-fuzz/ci-build.done GCC_BUILT=build/ci-build.done BASE_MADE=build/base-image.log.end
rm -f "$CLANG_BUILT" "$GCC_BUILT" "$BASE_MADE" build-fuzz/ci-chain-timings.txt build-fuzz/ci-chain.log.end \
  build/ci-build.log.end build/image-test.log.end
await() { while [ ! -f "$1" ]; do sleep 1; done; }
# The clang tree's chain: build it; once the GCC tree is built too, the unit and integration suites
# under ASan and UBSan and the fuzz run, all at once (the deploy tests stretch their deadlines in
# sanitized builds, tests/support/deploy_fixture.cpp).
sanitizer_chain() {
  local t rc=0
  t=$(date +%s)
  ninja -C build-fuzz "${SANITIZE_TARGETS[@]}" >build-fuzz/ci-build.log 2>&1 || rc=$?
  touch "$CLANG_BUILT"
  [ $rc -eq 0 ] ||
    { tail -n 60 build-fuzz/ci-build.log; echo "test.sh: the build of build-fuzz failed; log: build-fuzz/ci-build.log"; return 1; }
  printf '%-52s %5ds\n' "  build build-fuzz" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
  await "$GCC_BUILT"
  t=$(date +%s)
  ctest --test-dir build-fuzz --output-on-failure -j3 -L 'unit|integration|fuzz' || return 1
  printf '%-52s %5ds\n' "  ASan/UBSan unit + integration, fuzz (ctest -j3)" $(($(date +%s) - t)) >>build-fuzz/ci-chain-timings.txt
}
gcc_build() {
  local rc=0
  await "$CLANG_BUILT"
  ninja -C build "${GCC_TARGETS[@]}" || rc=$?
  touch "$GCC_BUILT"
  return $rc
}
image_test() {
  await "$BASE_MADE"
  ctest --test-dir build --output-on-failure -R '^image$'
}
CHAIN="sanitizer chain: build build-fuzz, then (once build is built) ASan/UBSan unit + integration and fuzz"
GCC_BUILD="build build (pgstage, sample app, e2e tests), once build-fuzz is built"
BASE_IMAGE="the image test's Debian base (scripts/base-image.sh)"
IMAGE_TEST="image test (ctest -R image), once its base is made"
background "$CHAIN" build-fuzz/ci-chain.log 0 sanitizer_chain
background "$GCC_BUILD" build/ci-build.log 0 gcc_build
# The rest of the packages (docker.io, HAProxy, Postgres, ...: most of the download on a fresh
# machine) while the trees build.
stage "install test packages (beside the builds)" install_deps test
stage "start services" start_services
# debootstrap from the Debian mirror: minutes of network and dpkg on a fresh machine, beside the builds.
background "$BASE_IMAGE" build/base-image.log 5 scripts/base-image.sh

wait_background "$GCC_BUILD"
# The chain can only have ended by now if the clang tree failed to build: stop here with its log.
[ -f build-fuzz/ci-chain.log.end ] && wait_background "$CHAIN"
stage "install (cmake --install of build)" ctest --test-dir build --output-on-failure -R '^install$'
background "$IMAGE_TEST" build/image-test.log 0 image_test
stage "e2e (2 processes: swarm, containers; ctest -j2), beside the sanitizer suites" \
  ctest --test-dir build --output-on-failure -j2 -L e2e -E '^image$'
wait_background "$BASE_IMAGE"
wait_background "$IMAGE_TEST"
cat build/image-test.log
wait_background "$CHAIN"
cat build-fuzz/ci-chain.log
[ -f build-fuzz/ci-chain-timings.txt ] && while IFS= read -r line; do TIMINGS+=("$line"); done <build-fuzz/ci-chain-timings.txt
