#!/usr/bin/env bash
# Installs what is missing, builds Release in build/, runs every test through ctest.
#   --sanitize   also builds everything with clang + ASan + UBSan in build-san/ (with the fuzz
#                targets), runs the whole suite there, then each fuzz target for a short time.
#                Implied when CI=true. Any sanitizer report fails the run.
# Exits non-zero when any step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sanitize=0
[ "${CI:-}" = "true" ] && sanitize=1
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --no-sanitize) sanitize=0 ;;
    *) echo "usage: scripts/test.sh [--sanitize|--no-sanitize]" >&2; exit 2 ;;
  esac
done

# shellcheck source=scripts/deps.sh
source scripts/deps.sh
sy_install_client_deps
sy_install_test_deps

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

sy_configure build "${launcher[@]}"
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure --timeout 300

[ "$sanitize" -eq 1 ] || exit 0

echo "== sanitizer job: clang, ASan + UBSan, build-san/ ==" >&2
sy_install_sanitizer_deps
sy_configure_sanitized build-san "${launcher[@]}"
cmake --build build-san -j"$(nproc)"
reports="$PWD/build-san/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
# Every process of the suite (test binaries and the daemons they start) writes its reports here;
# an abort fails its test, and a report written at exit fails the job below.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
status=0
ctest --test-dir build-san --output-on-failure --timeout 600 || status=1
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitizer reports:" >&2
  head -n 60 "$reports"/* >&2
  status=1
fi
scripts/fuzz.sh --build-dir build-san --seconds "${SY_CI_FUZZ_SECONDS:-20}" || status=1
exit "$status"
