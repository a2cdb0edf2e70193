#!/usr/bin/env bash
# Builds the pgstage container image here, without a registry: the repository's Dockerfile on a
# Debian 12 base made by debootstrap (scripts/base-image.sh) instead of the registry's
# debian:12-slim, with the .deb from scripts/package.sh. apt inside the build fetches the package's
# dependencies from the Debian mirror, so a wrong Depends fails here.
# Usage: scripts/build-image.sh [DEB] [TAG]
#   DEB defaults to the newest build-release/pgstage_*.deb, TAG to pgstage:latest.
# BASE=debian:12-slim uses the registry's image instead (then this is plain `docker build`).
set -euo pipefail
cd "$(dirname "$0")/.."
deb=${1:-$(ls -t build-release/pgstage_*.deb 2>/dev/null | head -n 1)}
tag=${2:-pgstage:latest}
base=${BASE:-pgstage-base:bookworm}
docker=${DOCKER:-docker}
[ -n "$deb" ] && [ -f "$deb" ] || { echo "build-image.sh: no .deb found; build it first: scripts/package.sh" >&2; exit 2; }
[ "$base" = pgstage-base:bookworm ] && scripts/base-image.sh "$base"
# A build context of two files (the repository's would send every build tree to the daemon).
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp Dockerfile "$ctx/"
cp "$deb" "$ctx/pgstage.deb"
"$docker" build -q --build-arg BASE="$base" --build-arg DEB=pgstage.deb -t "$tag" "$ctx" >/dev/null
echo "built image $tag from $deb on $base ($("$docker" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}'))"
