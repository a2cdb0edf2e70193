# Sourced by setup.sh and test.sh: installs the Debian packages pgstage needs, once.
BUILD_PACKAGES=(cmake ninja-build g++ pkg-config libpg-query-dev libpqxx-dev libcli11-dev nlohmann-json3-dev
  libsimdjson-dev libmimalloc-dev doctest-dev libtomlplusplus-dev libcurl4-openssl-dev libcpp-httplib-dev libssl-dev)
TEST_PACKAGES=(postgresql-15 haproxy wrk clang libclang-rt-14-dev docker.io)

install_deps() {
  local pkgs=("${BUILD_PACKAGES[@]}")
  [ "${1:-build}" = test ] && pkgs+=("${TEST_PACKAGES[@]}")
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
