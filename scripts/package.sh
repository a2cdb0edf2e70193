#!/usr/bin/env bash
# Builds the release packages in build-release, with the compiler flags the test suite runs
# (RelWithDebInfo: -O2; CPack strips the binary). Not CMAKE_BUILD_TYPE=Release: at -O3 GCC 12 reports
# a false -Wrestrict inside libstdc++'s std::string (an error under -Werror). The same flags also
# let ccache reuse the objects of scripts/test.sh's build tree.
#   build-release/pgstage_<version>-1_<arch>.deb   (Depends computed by dpkg-shlibdeps)
#   build-release/pgstage-<version>-linux-<arch>.tar.gz   (the same files under usr/)
# Build it on Debian 12 so that the .deb depends on Debian 12's library packages.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
install_deps package
setup_ccache
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  "${CCACHE_LAUNCHER[@]}" >/dev/null
ninja -C build-release pgstage
(cd build-release && cpack -G "DEB;TGZ" >/dev/null)
for f in build-release/pgstage*.deb build-release/pgstage*.tar.gz; do echo "$f"; done
