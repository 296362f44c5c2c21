#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (one per parser), each for a bounded time.
#
#   scripts/fuzz.sh [--build-dir DIR] [--seconds N] [target...]
#
# Installs clang and libFuzzer when missing (apt), configures DIR (default build-fuzz) as a
# clang build with ASan+UBSan and -DSY_FUZZ=ON unless it is configured already, builds the
# targets, then runs each for N seconds (default 300) on a copy of its seed corpus in
# DIR/fuzz/corpus/<target>: new inputs collect there, tests/fuzz/corpus is never written.
# Targets are the <name> of tests/fuzz/fuzz_<name>.cpp (default: all of them).
# Prints one line per target with its executions, then the total. Stops with exit status 1 at
# the first crash, leak, timeout, broken invariant or sanitizer report; the input that caused
# it is kept as DIR/fuzz/artifacts/<target>-*, the run's output as DIR/fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

build_dir=build-fuzz
seconds=300
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="${2:?--build-dir needs a directory}"; shift ;;
    --seconds) seconds="${2:?--seconds needs a number}"; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: --seconds takes a positive number" >&2
  exit 2
fi
all_targets=()
for f in tests/fuzz/fuzz_*.cpp; do
  n="${f#tests/fuzz/fuzz_}"
  all_targets+=("${n%.cpp}")
done
if [ "${#targets[@]}" -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
  if [ ! -f "tests/fuzz/fuzz_$t.cpp" ]; then
    echo "fuzz.sh: no target \"$t\" (have: ${all_targets[*]})" >&2
    exit 2
  fi
done

# shellcheck source=scripts/deps.sh
source scripts/deps.sh

# clang 14 and its libFuzzer/sanitizer runtimes (Debian 12's default clang).
SY_FUZZ_PACKAGES=(clang libfuzzer-14-dev libclang-rt-14-dev)
missing=()
for p in "${SY_FUZZ_PACKAGES[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "fuzz.sh: installing: ${missing[*]}" >&2
  sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
  sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" </dev/null >&2
fi

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSY_FUZZ=ON)
  if grep -q 'option(SY_SANITIZE' CMakeLists.txt; then
    args+=(-DSY_SANITIZE=ON)
  else
    args+=("-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined")
  fi
  command -v ccache >/dev/null 2>&1 && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  command -v ninja >/dev/null 2>&1 && args+=(-G Ninja)
  echo "fuzz.sh: configuring $build_dir (clang, ASan+UBSan, SY_FUZZ=ON)" >&2
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" "${args[@]}" >/dev/null
elif ! grep -q '^SY_FUZZ:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  echo "fuzz.sh: $build_dir is configured without -DSY_FUZZ=ON; pick another --build-dir" >&2
  exit 2
fi
build_targets=()
for t in "${targets[@]}"; do
  build_targets+=("fuzz_$t")
done
cmake --build "$build_dir" -j"$(nproc)" --target "${build_targets[@]}"

work="$build_dir/fuzz"
mkdir -p "$work/corpus" "$work/artifacts" "$work/logs"
# UBSan reports and carries on by default; a report must stop the run like a crash does.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

total=0
printf '%-22s %14s %10s %8s  %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  bin="$build_dir/tests/fuzz/fuzz_$t"
  corpus="$work/corpus/$t"
  log="$work/logs/$t.log"
  mkdir -p "$corpus"
  cp -R "tests/fuzz/corpus/$t/." "$corpus/" # the seeds, next to what earlier runs found
  flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
         -artifact_prefix="$work/artifacts/$t-")
  [ -f "tests/fuzz/$t.dict" ] && flags+=(-dict="tests/fuzz/$t.dict")
  rc=0
  "$bin" "${flags[@]}" "$corpus" >"$log" 2>&1 </dev/null || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  execs="${execs:-0}"
  total=$((total + execs))
  result=ok
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed' "$log"; then
    result="FAILED (exit $rc)"
  fi
  printf '%-22s %14s %10s %8s  %s\n' "fuzz_$t" "$execs" "$((execs / seconds))" \
    "$(find "$corpus" -type f | wc -l)" "$result"
  if [ "$result" != ok ]; then
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    echo "---- input(s) kept in $work/artifacts/ ----" >&2
    ls -1 "$work/artifacts/" | grep "^$t-" >&2 || true
    printf '%-22s %14s\n' total "$total"
    exit 1
  fi
done
printf '%-22s %14s\n' total "$total"
