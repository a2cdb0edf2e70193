#!/usr/bin/env bash
# Installs what is missing (Debian 12), builds pgstage, and lints the bundled sample migrations.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
install_deps build
setup_ccache
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${CCACHE_LAUNCHER[@]}" >/dev/null
ninja -C build pgstage
echo
echo "== pgstage lint samples/migrations"
# The samples contain unsafe migrations on purpose: exit status 1 (findings) is expected here.
build/cli/pgstage lint samples/migrations || [ $? -eq 1 ]
