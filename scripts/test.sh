#!/usr/bin/env bash
# Installs what is missing, builds Release in build/, runs every test; exits with ctest's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/deps.sh
source scripts/deps.sh

generator=()
# An existing build dir keeps its generator (CMake refuses to switch).
if [ ! -f build/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"

exec ctest --test-dir build --output-on-failure --timeout 300
