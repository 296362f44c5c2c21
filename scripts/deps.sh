#!/usr/bin/env bash
# Installs the Debian packages Switchyard builds against, only when one is missing.
# Sourced by scripts/test.sh and scripts/run.sh; can also be run directly.
# Never add libboost-all-dev / libboost-dev / any 1.74 dev package: they conflict with 1.81 and
# apt would remove libboost1.81-dev.

# librocksdb-dev: the durable history store (actors/rocksdb_store.cpp); it ships its CMake config.
# libpq-dev: the client library of PostgreSQL change-capture sources (net/pg/replication_session);
# postgresql-15: the server the PostgreSQL tests and the bench start (tests/support/pg_server).
SY_DEB_PACKAGES=(build-essential cmake ninja-build pkg-config libcaf-dev libboost1.81-dev
                 libboost-json1.81-dev libspdlog-dev catch2 libssl-dev ca-certificates
                 librocksdb-dev
                 libpq-dev postgresql-15
                 openssl) # the openssl CLI makes the TLS tests' throwaway certificates

# Prints the packages that are not fully installed, one per line.
sy_missing_packages() {
  local p
  for p in "${SY_DEB_PACKAGES[@]}"; do
    # dpkg -s also succeeds for removed-but-configured packages: check the status line.
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed$' || echo "$p"
  done
}

# Runs a command as root: directly when root, else through non-interactive sudo (no stdin here).
sy_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    echo "deps.sh: not root and sudo is unavailable; cannot run: $*" >&2
    return 1
  fi
}

sy_install_deps() {
  local missing
  missing="$(sy_missing_packages | tr '\n' ' ')"
  if [ -z "${missing// /}" ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: missing packages and no apt-get: $missing" >&2
    return 1
  fi
  echo "deps.sh: installing: $missing" >&2
  # Word splitting of $missing is intended: one argument per package.
  # shellcheck disable=SC2086
  sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null &&
    sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      $missing </dev/null
}

# Node.js and the npm `ws` package for the client tests (tests/clients) and the JavaScript client's
# examples (clients/js): Debian's nodejs and npm when node is missing, then `npm ci` against the
# committed lock files.
sy_install_client_deps() {
  local missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps.sh: installing: ${missing[*]}" >&2
    sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2 &&
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" </dev/null >&2 || return 1
  fi
  local dir
  # clients/js: `ws` is its dev dependency, for its examples on Node < 22 (no global WebSocket).
  for dir in tests/clients clients/js; do
    if [ ! -f "$dir/node_modules/ws/package.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund </dev/null >&2) || return 1
    fi
  done
}

# Configures a Release build in directory $1 (default build), Ninja when available. An existing
# build dir keeps its generator (CMake refuses to switch).
# Further arguments go to cmake.
sy_configure() {
  local dir="${1:-build}"
  shift || true
  local generator=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
  fi
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
}

# What tests drive besides the daemon: headless Chromium (the browser tests of pages, SSE and the
# JavaScript client) and promtool from prometheus (checks the /metrics exposition format).
SY_TEST_PACKAGES=(chromium prometheus)
sy_install_test_deps() {
  local SY_DEB_PACKAGES=("${SY_TEST_PACKAGES[@]}")
  sy_install_deps
}

# clang with its sanitizer and libFuzzer runtimes, for the sanitizer job and the fuzz targets.
SY_SANITIZER_PACKAGES=(clang libclang-rt-14-dev libfuzzer-14-dev)
sy_install_sanitizer_deps() {
  local SY_DEB_PACKAGES=("${SY_SANITIZER_PACKAGES[@]}")
  sy_install_deps
}

# Configures the clang ASan + UBSan build (fuzz targets included) in directory $1; further
# arguments go to cmake. -O1 keeps the suite fast enough and stack traces readable; library
# debug assertions (Beast's BOOST_ASSERT) stay on, so misuse of a library fails here too.
sy_configure_sanitized() {
  local dir="$1"
  shift
  CC=clang CXX=clang++ sy_configure "$dir" -DSY_SANITIZE=ON -DSY_FUZZ=ON \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  sy_install_deps
else
  sy_install_deps || return 1
fi
