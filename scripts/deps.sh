# Sourced by setup.sh and test.sh: installs the Debian packages pgstage needs, once.
BUILD_PACKAGES=(cmake ninja-build g++ pkg-config libpg-query-dev libpqxx-dev libcli11-dev nlohmann-json3-dev
  libsimdjson-dev libmimalloc-dev doctest-dev libtomlplusplus-dev libcurl4-openssl-dev libcpp-httplib-dev libssl-dev ccache)
# The clang (sanitizer + fuzz) tree's compiler, its sanitizer and libFuzzer runtimes, and lld to link it.
SANITIZER_PACKAGES=(clang libclang-rt-14-dev lld)
TEST_PACKAGES=(postgresql-15 haproxy wrk docker.io docker-registry debootstrap groff-base)
# debootstrap: the image test's Debian 12 base (scripts/base-image.sh); groff: the man page check.
# scripts/package.sh: dpkg-shlibdeps computes the .deb's Depends; CPack finds executables with file.
PACKAGE_PACKAGES=(dpkg-dev file)

# install_deps [build|compilers|test|package]: build = what builds pgstage with GCC; compilers =
# that and clang (the sanitizer tree); test = everything the whole suite needs; package = build and
# what scripts/package.sh needs.
install_deps() {
  local pkgs=("${BUILD_PACKAGES[@]}")
  case "${1:-build}" in
    compilers) pkgs+=("${SANITIZER_PACKAGES[@]}") ;;
    test) pkgs+=("${SANITIZER_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}") ;;
    package) pkgs+=("${PACKAGE_PACKAGES[@]}") ;;
  esac
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # The Debian postgresql package starts a cluster on 5432; the tests run their own, so stop it.
  if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster 15 main stop >/dev/null 2>&1 || true; fi
}

# Compiler cache shared by every build tree (build, build-fuzz, build-release, ...) and kept
# across CI runs and clones: CCACHE_DIR defaults to /var/cache/pgstage/ccache (or ~/.cache/ccache
# when that is not writable). Paths are made relative to the checkout, so another clone of the
# repository hits the same entries. Sets CCACHE_LAUNCHER to the cmake arguments that use it.
setup_ccache() {
  CCACHE_LAUNCHER=()
  command -v ccache >/dev/null 2>&1 || { echo "note: ccache not found; building without a compiler cache" >&2; return 0; }
  if [ -z "${CCACHE_DIR:-}" ]; then
    CCACHE_DIR=/var/cache/pgstage/ccache
    mkdir -p "$CCACHE_DIR" 2>/dev/null && [ -w "$CCACHE_DIR" ] || CCACHE_DIR=$HOME/.cache/ccache
  fi
  export CCACHE_DIR CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
  CCACHE_LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
}
