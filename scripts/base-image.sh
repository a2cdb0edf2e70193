#!/usr/bin/env bash
# Builds a Debian 12 (bookworm) base image without a registry: debootstrap a minimal root filesystem
# from the Debian mirror apt already uses, then `docker import` it. scripts/build-image.sh and the
# package test build FROM it where `debian:12-slim` cannot be pulled.
# Usage: scripts/base-image.sh [TAG]        (TAG defaults to pgstage-base:bookworm)
# Needs root, debootstrap (apt-get install debootstrap) and the mirror (DEBIAN_MIRROR overrides it).
set -euo pipefail
tag=${1:-pgstage-base:bookworm}
docker=${DOCKER:-docker}
if "$docker" image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag exists"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { echo "base-image.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/pgstage-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 20 "$root.log" >&2
  echo "base-image.sh: debootstrap failed (log: $root.log)" >&2
  exit 1
}
rm -f "$root.log"
# Like the official slim image: no apt caches, no docs kept by later installs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
tar -C "$root" -c . | "$docker" import -c 'CMD ["bash"]' -m "debootstrap --variant=minbase bookworm $mirror" - "$tag" >/dev/null
echo "built base image $tag"
