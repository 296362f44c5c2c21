#!/usr/bin/env bash
# Installs what is missing, builds Release in build/, runs every test; exits with ctest's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/deps.sh
source scripts/deps.sh
sy_install_client_deps

sy_configure build
cmake --build build -j"$(nproc)"

exec ctest --test-dir build --output-on-failure --timeout 300
