#!/usr/bin/env bash
# Builds the sample app's container image locally, without a registry: a root filesystem holding
# the binary and the shared libraries ldd finds for it, loaded with `docker import`.
# Usage: samples/app/build-image.sh [BINARY] [TAG]
#   BINARY defaults to build/samples/pgstage-sample-app, TAG to pgstage-sample-app:latest.
# Works with Podman too (DOCKER=podman samples/app/build-image.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/samples/pgstage-sample-app}
tag=${2:-pgstage-sample-app:latest}
docker=${DOCKER:-docker}
[ -x "$bin" ] || { echo "build-image.sh: $bin not found; build it first: ninja -C build pgstage_sample_app" >&2; exit 2; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/app" "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$bin" "$root/app/pgstage-sample-app"
# Every absolute path ldd prints: the libraries and the dynamic loader.
ldd "$bin" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
tar -C "$root" -c . | "$docker" import \
  -c 'CMD ["/app/pgstage-sample-app"]' -c 'USER 65534' -c 'ENV PORT=8080' \
  -m "pgstage sample app" - "$tag" >/dev/null
echo "built image $tag ($(du -sh "$root" | cut -f1) root filesystem)"
