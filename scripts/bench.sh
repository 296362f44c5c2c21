#!/usr/bin/env bash
# Benchmarks Switchyard against Nchan (nginx module) and a Node `ws` broadcaster in one run.
#
#   scripts/bench.sh [--quick] [--only switchyard|nchan|ws] [--scenarios 1,3] [--baseline BIN]
#
# Installs missing packages (apt), builds Release (BUILD_DIR, default build/), then for each
# scenario starts every peer fresh on its own loopback port, drives it with
# build/tests/bench/sy_loadgen (or wrk for scenario 5) and stops it. Results:
#   bench/results/<UTC date-time>.json  every figure per peer per scenario + machine info
#   bench/results/<UTC date-time>.md    table (scenario × metric, peers, Switchyard/Nchan)
#   bench/results/<UTC date-time>.png   chart (deliveries/s, CPU µs/delivery, RSS/connection)
# The peers run in the same invocation, interleaved per scenario, because this machine is
# noisy: only figures from one run are compared. See BENCHMARKS.md.
#
# --baseline BIN adds a peer `baseline`: another Switchyard binary (e.g. the previous release's
# build/switchyard) started exactly like `switchyard` (same flags, keys, secrets, token), run
# interleaved with the others; the table gains a Switchyard/baseline column.
set -euo pipefail
CALLER_DIR="$(pwd)"  # relative --baseline paths are the caller's
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
PORT_BASE="${BENCH_PORT_BASE:-19100}"
# 16 loopback sources: S2/S4 hold 10,000 connections, and http.max_connections_per_ip (1,024
# by default) applies to each source address.
SOURCE_ADDRS="${BENCH_SOURCE_ADDRS:-16}"
JWT_SECRET="bench-secret-$$-$RANDOM"
API_KEY="bench-key-$$-$RANDOM"

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

quick=0
only=""
baseline=""
scenarios="1,2,3,4,5"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="${2:?--only needs a peer}"; shift ;;
    --scenarios) scenarios="${2:?--scenarios needs a list}"; shift ;;
    --baseline) baseline="${2:?--baseline needs a switchyard binary}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
peers=(switchyard nchan ws)
if [ -n "$only" ]; then
  case "$only" in
    switchyard | nchan | ws) peers=("$only") ;;
    *) echo "bench.sh: --only takes switchyard, nchan or ws" >&2; exit 2 ;;
  esac
fi
if [ -n "$baseline" ]; then
  [[ "$baseline" == /* ]] || baseline="$CALLER_DIR/$baseline"
  [ -x "$baseline" ] && [ -f "$baseline" ] || { echo "bench.sh: --baseline $baseline is not an executable" >&2; exit 2; }
  baseline="$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")"
  # Right after switchyard (or first with --only), so the two builds run back to back.
  if [ "${peers[0]}" = switchyard ]; then peers=(switchyard baseline "${peers[@]:1}"); else peers=(baseline "${peers[@]}"); fi
fi
if ! [[ "$scenarios" =~ ^[1-5](,[1-5])*$ ]]; then
  echo "bench.sh: --scenarios takes a comma list of 1..5" >&2
  exit 2
fi
want_scenario() { [[ ",$scenarios," == *",$1,"* ]]; }

# ---- packages ---------------------------------------------------------------------------------
# shellcheck source=scripts/deps.sh
source scripts/deps.sh  # build dependencies, installed only when missing

pkg_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

install_bench_packages() {
  local missing=() installed_nginx=0
  if ! command -v nginx >/dev/null 2>&1; then
    missing+=(nginx-light)
    installed_nginx=1
  fi
  pkg_installed libnginx-mod-nchan || missing+=(libnginx-mod-nchan)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "bench.sh: installing: ${missing[*]}" >&2
    sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
    sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}" </dev/null >&2
  fi
  # Optional: perf for profiling by hand; never fail the benchmark over it.
  if [ "${BENCH_INSTALL_PERF:-0}" = 1 ] && ! command -v perf >/dev/null 2>&1; then
    sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      linux-perf </dev/null >&2 || true
  fi
  # Debian's nginx package may start a system nginx on port 80 (when policy-rc.d allows it):
  # stop that one only, by its own pid file, never by process name.
  if [ "$installed_nginx" = 1 ]; then
    sy_as_root service nginx stop </dev/null >/dev/null 2>&1 || true
    if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
      sy_as_root kill "$(cat /run/nginx.pid)" || true
    fi
  fi
  if [ ! -d bench/peers/node_modules/ws ]; then
    (cd bench/peers && npm install --no-audit --no-fund --prefix . </dev/null >&2)
  fi
}
install_bench_packages

NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
[ -f "$NCHAN_MODULE" ] || { echo "bench.sh: $NCHAN_MODULE missing" >&2; exit 1; }

# ---- build ------------------------------------------------------------------------------------
generator=()
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target switchyard sy_loadgen >&2
SWITCHYARD="$ROOT/$BUILD_DIR/switchyard"
LOADGEN="$ROOT/$BUILD_DIR/tests/bench/sy_loadgen"
BASELINE="$baseline"

# 10k subscribers per process need more than the usual 1024 descriptors (servers inherit this).
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 12000 ]; then
  echo "bench.sh: RLIMIT_NOFILE hard limit $(ulimit -n) is below the 10,000-connection scenarios" >&2
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p bench/results
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sy-bench.XXXXXX")"
RUNS="$WORK/runs.jsonl"
: >"$RUNS"

# ---- peers ------------------------------------------------------------------------------------
PEER_PIDS=""   # comma list sampled by the load client (nginx: master,worker)
PEER_MAIN=""   # the process we started and must stop
PEER_PORT=0
port_counter=0

wait_for_line() {  # file pattern seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_peer() {
  local peer="$1" dir
  port_counter=$((port_counter + 1))
  PEER_PORT=$((PORT_BASE + port_counter))
  dir="$WORK/$peer-$port_counter"
  mkdir -p "$dir"
  case "$peer" in
    switchyard | baseline)
      # A 64 MiB outbound queue: max-rate runs measure throughput, not slow-consumer closing.
      # The baseline gets the same flags: pass only keys every compared build understands.
      local bin="$SWITCHYARD"
      [ "$peer" = baseline ] && bin="$BASELINE"
      # A fresh store per run (storage.engine comes from the environment, rocksdb by default;
      # SWITCHYARD_STORAGE_ENGINE=memory compares the memory engine). Builds without a store
      # ignore the variable.
      SWITCHYARD_JWT_SECRET="$JWT_SECRET" SWITCHYARD_API_KEY="$API_KEY" \
        SWITCHYARD_DATA_DIR="$dir/data" \
        "$bin" serve --listen "127.0.0.1:$PEER_PORT" \
        --set realtime.outbound_queue_bytes=67108864 >"$dir/out.log" 2>"$dir/err.log" &
      PEER_MAIN=$!
      PEER_PIDS=$PEER_MAIN
      wait_for_line "$dir/out.log" "switchyard listening on" 20 || {
        echo "bench.sh: $peer did not start:" >&2; tail -5 "$dir/err.log" >&2; return 1; }
      ;;
    nchan)
      sed "s#@DIR@#$dir#g; s#@PORT@#$PEER_PORT#g" bench/nchan/nginx.conf >"$dir/nginx.conf"
      mkdir -p "$dir/client_body" "$dir/proxy" "$dir/fastcgi" "$dir/uwsgi" "$dir/scgi"
      # The worker drops to nobody when started as root: let it use its temp dirs.
      chmod -R a+rwx "$dir"
      nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/out.log" 2>&1 &
      PEER_MAIN=$!
      local worker="" i
      for ((i = 0; i < 100; i++)); do
        worker="$(pgrep -P "$PEER_MAIN" | head -n1 || true)"
        [ -n "$worker" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PEER_PORT") 2>/dev/null && break
        sleep 0.1
      done
      [ -n "$worker" ] || { echo "bench.sh: nginx did not start:" >&2; cat "$dir/out.log" "$dir/error.log" >&2 || true; return 1; }
      PEER_PIDS="$PEER_MAIN,$worker"
      ;;
    ws)
      node bench/peers/ws-broadcaster.js "127.0.0.1:$PEER_PORT" >"$dir/out.log" 2>&1 &
      PEER_MAIN=$!
      PEER_PIDS=$PEER_MAIN
      wait_for_line "$dir/out.log" "ws-broadcaster listening on" 20 || {
        echo "bench.sh: ws broadcaster did not start:" >&2; cat "$dir/out.log" >&2; return 1; }
      ;;
  esac
}

stop_peer() {
  [ -n "$PEER_MAIN" ] || return 0
  kill -TERM "$PEER_MAIN" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$PEER_MAIN" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$PEER_MAIN" 2>/dev/null || true
  wait "$PEER_MAIN" 2>/dev/null || true
  PEER_MAIN=""
  PEER_PIDS=""
}
trap 'stop_peer; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# ---- scenarios --------------------------------------------------------------------------------
TOKEN="$(SWITCHYARD_JWT_SECRET="$JWT_SECRET" "$SWITCHYARD" token --sub bench --ttl 86400)"

record() {  # scenario peer exit_code json_file extra_json
  local body="null"
  [ -s "$4" ] && body="$(tail -n1 "$4")"
  printf '{"scenario":"%s","peer":"%s","exit":%d,"params":%s,"result":%s}\n' \
    "$1" "$2" "$3" "$5" "$body" >>"$RUNS"
}

# scenario_id peer subscribers events concurrency rate idle_s deadline
run_loadgen() {
  local sc="$1" peer="$2" n="$3" m="$4" c="$5" rate="$6" idle="$7" deadline="$8"
  local out="$WORK/$sc-$peer.json" rc=0
  echo "bench.sh: scenario $sc on $peer: $n subscribers, $m events, C=$c rate=$rate idle=$idle" >&2
  if ! start_peer "$peer"; then
    stop_peer
    record "$sc" "$peer" 99 /dev/null "{}"
    return 0
  fi
  local target="$peer"
  [ "$peer" = baseline ] && target=switchyard  # same protocol, same token
  local args=(--target "$target" --port "$PEER_PORT" --subscribers "$n" --events "$m"
              --concurrency "$c" --rate "$rate" --source-addrs "$SOURCE_ADDRS"
              --deadline-s "$deadline" --server-pid "$PEER_PIDS")
  [ "$target" = switchyard ] && args+=(--token "$TOKEN" --api-key "$API_KEY")
  [ "$idle" != 0 ] && args+=(--idle-s "$idle")
  # The whole client run is bounded too, in case a phase bound is ever missed.
  timeout -k 5 $((deadline * 4 + 30)) "$LOADGEN" "${args[@]}" >"$out" 2>"$out.err" || rc=$?
  [ "$rc" = 0 ] || { echo "bench.sh: sy_loadgen exit $rc"; head -n5 "$out.err"; } >&2
  stop_peer
  record "$sc" "$peer" "$rc" "$out" \
    "{\"subscribers\":$n,\"events\":$m,\"concurrency\":$c,\"rate\":$rate,\"idle_s\":$idle}"
}

proc_ticks() {  # comma list of pids → utime+stime ticks summed
  local total=0 pid f
  for pid in ${1//,/ }; do
    f="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    f="${f##*) }"
    # shellcheck disable=SC2086
    set -- $f
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

run_wrk() {  # scenario peer seconds
  local sc="$1" peer="$2" secs="$3" path body data
  local lua="$WORK/$sc-$peer.lua" out="$WORK/$sc-$peer.wrk"
  # The same 100-byte data value as sy_loadgen sends (20 bytes of JSON + 80 of padding).
  data="{\"i\":0,\"t\":0,\"p\":\"$(printf 'x%.0s' {1..80})\"}"
  case "$peer" in
    switchyard | baseline) path="/v1/channels/bench/events"; body="{\"data\":$data}" ;;
    nchan) path="/pub/bench"; body="$data" ;;
    ws) path="/pub"; body="$data" ;;
  esac
  cat >"$lua" <<LUA
wrk.method = "POST"
wrk.path = "$path"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $API_KEY"
done = function(summary, latency, requests)
  local e = summary.errors
  local s = summary.duration / 1e6
  io.write(string.format('WRKJSON {"requests":%d,"duration_s":%.3f,"requests_per_s":%.1f,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d,"latency_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"p999":%.1f}}\n',
    summary.requests, s, summary.requests / s, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
LUA
  echo "bench.sh: scenario $sc on $peer: wrk 2 threads, 50 connections, ${secs}s" >&2
  if ! start_peer "$peer"; then
    stop_peer
    record "$sc" "$peer" 99 /dev/null "{}"
    return 0
  fi
  local t0 t1 rc=0 hz
  hz="$(getconf CLK_TCK)"
  t0="$(proc_ticks "$PEER_PIDS")"
  timeout -k 5 $((secs + 30)) wrk -t2 -c50 -d"${secs}s" --timeout 5s -s "$lua" \
    "http://127.0.0.1:$PEER_PORT$path" >"$out" 2>&1 || rc=$?
  t1="$(proc_ticks "$PEER_PIDS")"
  stop_peer
  local json
  json="$(sed -n 's/^WRKJSON //p' "$out" | tail -n1)"
  if [ -z "$json" ]; then
    echo "bench.sh: wrk failed (exit $rc):" >&2; tail -n5 "$out" >&2
    [ "$rc" != 0 ] || rc=98
    record "$sc" "$peer" "$rc" /dev/null "{}"
    return 0
  fi
  # Server CPU over the wrk run, appended to wrk's own figures.
  json="${json%\}},\"server_cpu_s\":$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN{printf "%.3f", (b-a)/hz}')}"
  echo "$json" >"$out.json"
  record "$sc" "$peer" "$rc" "$out.json" "{\"threads\":2,\"connections\":50,\"seconds\":$secs}"
}

if [ "$quick" = 1 ]; then
  S1=(300 300 32) S2=(2000 30 32) S3N=300 S3M20=60 S3M100=300 S4=(2000 2) S5=3 DL=30
else
  S1=(1000 1000 32) S2=(10000 100 32) S3N=1000 S3M20=400 S3M100=2000 S4=(10000 5) S5=10 DL=120
fi

if want_scenario 1; then
  for peer in "${peers[@]}"; do run_loadgen 1 "$peer" "${S1[0]}" "${S1[1]}" "${S1[2]}" 0 0 "$DL"; done
fi
if want_scenario 2; then
  for peer in "${peers[@]}"; do run_loadgen 2 "$peer" "${S2[0]}" "${S2[1]}" "${S2[2]}" 0 0 "$DL"; done
fi
if want_scenario 3; then
  # Fixed rates for 20 s each (quick: 3 s): latency under light load, not throughput.
  for peer in "${peers[@]}"; do run_loadgen 3a "$peer" "$S3N" "$S3M20" 4 20 0 "$DL"; done
  for peer in "${peers[@]}"; do run_loadgen 3b "$peer" "$S3N" "$S3M100" 4 100 0 "$DL"; done
fi
if want_scenario 4; then
  for peer in "${peers[@]}"; do run_loadgen 4 "$peer" "${S4[0]}" 0 1 0 "${S4[1]}" "$DL"; done
fi
if want_scenario 5; then
  for peer in "${peers[@]}"; do run_wrk 5 "$peer" "$S5"; done
fi

# ---- report -----------------------------------------------------------------------------------
nginx_version="$(nginx -v 2>&1 | sed 's/.*nginx\///')"
cat >"$WORK/machine.json" <<JSON
{"utc":"$stamp","quick":$([ "$quick" = 1 ] && echo true || echo false),
 "nproc":$(nproc),"kernel":"$(uname -r)",
 "cpu":"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)",
 "mem_kb":$(awk '/^MemTotal/{print $2}' /proc/meminfo),
 "rlimit_nofile":$(ulimit -n),"source_addrs":$SOURCE_ADDRS,
 "switchyard_git":"$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- 2>/dev/null || echo -dirty)",
 "baseline_git":"$(if [ -z "$BASELINE" ]; then echo none; else d="$(dirname "$BASELINE")"
   echo "$(git -C "$d" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$d" diff --quiet HEAD -- 2>/dev/null || echo -dirty)"; fi)",
 "compiler":"$(c++ --version | head -n1)",
 "nginx":"$nginx_version",
 "nchan":"$(dpkg-query -W -f='${Version}' libnginx-mod-nchan 2>/dev/null || echo unknown)",
 "node":"$(node -v)",
 "ws":"$(node -p "require('./bench/peers/node_modules/ws/package.json').version")",
 "wrk":"$(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo unknown)"}
JSON
node tests/bench/report.js "$WORK/machine.json" "$RUNS" "bench/results/$stamp"
if command -v gnuplot >/dev/null 2>&1 && [ -f "bench/results/$stamp.gp" ]; then
  gnuplot "bench/results/$stamp.gp" || echo "bench.sh: gnuplot failed" >&2
  rm -f "bench/results/$stamp.gp" "bench/results/$stamp.dat"
fi
cat "bench/results/$stamp.md"
echo "bench.sh: wrote bench/results/$stamp.{json,md,png}" >&2
