#!/usr/bin/env bash
# The container image lints a mounted directory: a .deb made by CPack from this build tree, the
# image built from it without a registry (scripts/build-image.sh: debootstrap base + Dockerfile, so
# apt must resolve the .deb's Depends on a clean Debian 12), then
#   docker run --rm -v samples/migrations:/m IMAGE lint /m
# must report the same findings as the build's own binary. Needs dockerd (scripts/services.sh
# starts it) and, for the first base image, the Debian mirror.
# Usage: image_test.sh BUILD_DIR PGSTAGE_BINARY
set -uo pipefail
build=${1:?build directory}
pgstage=${2:?pgstage binary}
src=$(cd "$(dirname "$0")/../.." && pwd)
docker=${DOCKER:-docker}
tag=pgstage-e2e-test:$$
if ! "$docker" info >/dev/null 2>&1; then
  echo "FAIL: docker is not available ($docker info fails): start dockerd (. scripts/services.sh; start_services)"
  exit 1
fi
work=$(mktemp -d)
cleanup() {
  "$docker" rmi -f "$tag" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; echo "FAIL: cpack -G DEB"; exit 1; }
deb=$(ls "$work"/pgstage_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "FAIL: cpack made no .deb in $work"; exit 1; }
dpkg-deb -f "$deb" Depends
"$src/scripts/build-image.sh" "$deb" "$tag" || { echo "FAIL: scripts/build-image.sh $deb $tag"; exit 1; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
version=$("$docker" run --rm "$tag" --version)
[ "$version" = "$("$pgstage" --version)" ] || fail "image --version: '$version', build: '$("$pgstage" --version)'"

rules_of() { grep -o '"rule":"[^"]*"' | sort; }
image_out=$("$docker" run --rm -v "$src/samples/migrations:/m:ro" "$tag" lint --no-config /m 2>&1)
rc=$?
echo "$image_out" | tail -n 3
[ $rc -eq 1 ] || fail "docker run ... lint /m: exit $rc, expected 1 (samples/migrations holds unsafe migrations)"
grep -q 'error\[renaming-column\]' <<<"$image_out" || fail "image lint: no renaming-column finding"
image_rules=$("$docker" run --rm -v "$src/samples/migrations:/m:ro" "$tag" lint --no-config --format json --json-style compact /m | rules_of)
build_rules=$("$pgstage" lint --no-config --format json --json-style compact "$src/samples/migrations" | rules_of)
[ -n "$build_rules" ] || fail "the build's pgstage reported no findings on samples/migrations"
[ "$image_rules" = "$build_rules" ] || fail "the image and the build disagree: $(diff <(echo "$image_rules") <(echo "$build_rules"))"

if [ $failures -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "image: $(wc -l <<<"$image_rules") findings, the same as the build's binary"
