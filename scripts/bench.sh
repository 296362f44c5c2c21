#!/usr/bin/env bash
# Benchmarks Switchyard against Nchan (nginx module) and a Node `ws` broadcaster in one run.
#
#   scripts/bench.sh [--quick] [--only switchyard|nchan|ws] [--scenarios 1,3] [--baseline BIN]
#   scripts/bench.sh --durability [--quick] [--repeat N] [--scenarios 1,2,5,6,7]
#   scripts/bench.sh --rooms [--quick] [--repeat N] [--baseline BIN] [--scenarios 8]
#   scripts/bench.sh --cdc [--quick] [--repeat N] [--baseline BIN] [--scenarios 9]
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
#
# --durability compares the durable store with the memory engine: peers `switchyard`
# (storage.engine=rocksdb, storage.sync=batch) and `memory` (the same binary with
# SWITCHYARD_STORAGE_ENGINE=memory) only, scenarios 1, 2, 5 repeated --repeat N times (default
# 3) interleaved (medians and a Switchyard/memory column), then 6 (retain >= 1 GB over 2,000
# channels: peak RSS, restart to serving) and 7 (64 KiB events with unique idempotency keys:
# peak RSS, both engines). nginx, nchan and npm `ws` are not needed for it. Without
# --durability, --repeat N (default 1) repeats scenarios 1-5 the same way.
#
# --rooms runs scenario 8, the room join storm: 2,000 members (quick: 500) join one room
# within 2 s (quick: 0.5 s) over already open Fabric connections; on switchyard (and
# --baseline) first with the default rooms.presence_window_ms (row 8a), then with 0 (8b: flush
# after each mailbox pass, the closest the server comes to per-join fan-out); then (8c) on
# `naive`, bench/peers/rooms-naive.js: Node + npm ws sending every join at once to every
# member. Targets: every member's view is the same full list within 1 s of the last join.
# nginx, nchan and wrk are not needed for it. BENCH_S8="members join_within_ms" overrides the size.
#
# --cdc runs scenario 9, PostgreSQL change capture: a PostgreSQL 15 of its own (initdb as the
# `postgres` user in the run's temp dir, wal_level=logical, loopback port), table
# products(n int primary key, name text, price numeric); per repetition a fresh switchyard
# (rocksdb, default sync) with one source on a fresh slot, driven by build/tests/bench/sy_cdcbench
# with one gateway WebSocket subscriber on postgres:products: 9a one INSERT ... SELECT
# generate_series transaction of 100,000 rows (quick: 20,000): changes/s first to last delivery,
# commit -> last delivery; 9b the same rows through POST /workspaces/acme/events (16 connections,
# closed loop), the peer; 9c 1,000 changes/s for 20 s (quick: 5 s) in single-row transactions
# (a few rows when catching up): commit (the event's timestamp) -> delivery p50/p99; 9d the
# same pace through REST. Server CPU per change for each. --repeat defaults to 3 (medians).
# Aims: 9a >= 20,000 changes/s, 9c p99 <= 50 ms. BENCH_S9="rows rate seconds" overrides sizes.
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
  sed -n '2,48p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

quick=0
only=""
baseline=""
scenarios=""
durability=0
rooms=0
cdc=0
repeat=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --durability) durability=1 ;;
    --rooms) rooms=1 ;;
    --cdc) cdc=1 ;;
    --repeat) repeat="${2:?--repeat needs a count}"; shift ;;
    --only) only="${2:?--only needs a peer}"; shift ;;
    --scenarios) scenarios="${2:?--scenarios needs a list}"; shift ;;
    --baseline) baseline="${2:?--baseline needs a switchyard binary}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ $((durability + rooms + cdc)) -gt 1 ]; then
  echo "bench.sh: --durability, --rooms and --cdc are separate runs" >&2
  exit 2
fi
if [ "$durability" = 1 ]; then
  if [ -n "$only" ] || [ -n "$baseline" ]; then
    echo "bench.sh: --durability runs switchyard and memory only (no --only, no --baseline)" >&2
    exit 2
  fi
  peers=(switchyard memory)
  scenarios="${scenarios:-1,2,5,6,7}"
  repeat="${repeat:-3}"
  scenario_re='^[1-7](,[1-7])*$'
elif [ "$rooms" = 1 ]; then
  if [ -n "$only" ]; then
    echo "bench.sh: --rooms runs switchyard and the naive peer (no --only)" >&2
    exit 2
  fi
  peers=(switchyard naive)
  scenarios="${scenarios:-8}"
  repeat="${repeat:-1}"
  scenario_re='^8$'
elif [ "$cdc" = 1 ]; then
  if [ -n "$only" ]; then
    echo "bench.sh: --cdc runs switchyard (and --baseline) only (no --only)" >&2
    exit 2
  fi
  peers=(switchyard)
  scenarios="${scenarios:-9}"
  repeat="${repeat:-3}"
  scenario_re='^9$'
else
  peers=(switchyard nchan ws)
  scenarios="${scenarios:-1,2,3,4,5}"
  repeat="${repeat:-1}"
  scenario_re='^[1-5](,[1-5])*$'
fi
if ! [[ "$repeat" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench.sh: --repeat takes a positive count" >&2
  exit 2
fi
if [ -n "$only" ]; then
  case "$only" in
    switchyard | nchan | ws) peers=("$only") ;;
    *) echo "bench.sh: --only takes switchyard, nchan or ws" >&2; exit 2 ;;
  esac
fi
if [ -n "$baseline" ]; then
  [[ "$baseline" == /* ]] || baseline="$CALLER_DIR/$baseline"
  if ! [ -x "$baseline" ] || ! [ -f "$baseline" ]; then
    echo "bench.sh: --baseline $baseline is not an executable" >&2
    exit 2
  fi
  baseline="$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")"
  # Right after switchyard (or first with --only), so the two builds run back to back.
  if [ "${peers[0]}" = switchyard ]; then peers=(switchyard baseline "${peers[@]:1}"); else peers=(baseline "${peers[@]}"); fi
fi
if ! [[ "$scenarios" =~ $scenario_re ]]; then
  echo "bench.sh: --scenarios takes a comma list of 1..5 (1..7 with --durability, 8 with --rooms, 9 with --cdc)" >&2
  exit 2
fi
want_scenario() { [[ ",$scenarios," == *",$1,"* ]]; }

# ---- packages ---------------------------------------------------------------------------------
# shellcheck source=scripts/deps.sh
source scripts/deps.sh  # build dependencies, installed only when missing

pkg_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

install_bench_packages() {
  local missing=() installed_nginx=0
  if [ "$cdc" = 1 ]; then
    # node writes the report; PostgreSQL 15 and libpq come with the build dependencies.
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    [ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
    if [ "${#missing[@]}" -gt 0 ]; then
      echo "bench.sh: installing: ${missing[*]}" >&2
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null >&2
    fi
    return 0
  fi
  if [ "$rooms" = 1 ]; then
    # node writes the report and runs the naive peer (npm ws).
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    if [ "${#missing[@]}" -gt 0 ]; then
      echo "bench.sh: installing: ${missing[*]}" >&2
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null >&2
    fi
    if [ ! -d bench/peers/node_modules/ws ]; then
      (cd bench/peers && npm install --no-audit --no-fund --prefix . </dev/null >&2)
    fi
    return 0
  fi
  if [ "$durability" = 1 ]; then
    # Switchyard against itself: wrk (S5), node (the report), curl (restart probe), gnuplot.
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
    if [ "${#missing[@]}" -gt 0 ]; then
      echo "bench.sh: installing: ${missing[*]}" >&2
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2
      sy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null >&2
    fi
    return 0
  fi
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
if [ "$durability" = 0 ] && [ "$rooms" = 0 ] && [ "$cdc" = 0 ] && [ ! -f "$NCHAN_MODULE" ]; then
  echo "bench.sh: $NCHAN_MODULE missing" >&2
  exit 1
fi

# ---- build ------------------------------------------------------------------------------------
generator=()
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
build_targets=(switchyard sy_loadgen)
[ "$cdc" = 1 ] && build_targets+=(sy_cdcbench)
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${build_targets[@]}" >&2
SWITCHYARD="$ROOT/$BUILD_DIR/switchyard"
LOADGEN="$ROOT/$BUILD_DIR/tests/bench/sy_loadgen"
CDCBENCH="$ROOT/$BUILD_DIR/tests/bench/sy_cdcbench"
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
PEER_DIR=""    # the peer's work dir (switchyard: its store is PEER_DIR/data)
PEER_EXTRA=()  # more `serve` arguments for the next start (scenarios 6, 7)
PEER_ENV=()    # more environment for the next switchyard start (scenario 9: its source)
PEER_REUSE=""  # start switchyard on this existing work dir (restart in scenario 6)
PEER_NOWAIT=0  # 1: return right after exec, without waiting for "listening on"
PEER_T0=0      # date +%s%N right before the last switchyard exec
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
  dir="${PEER_REUSE:-$WORK/$peer-$port_counter}"
  PEER_DIR="$dir"
  mkdir -p "$dir"
  case "$peer" in
    switchyard | baseline | memory)
      # A 64 MiB outbound queue: max-rate runs measure throughput, not slow-consumer closing.
      # The baseline gets the same flags: pass only keys every compared build understands.
      local bin="$SWITCHYARD" engine="${SWITCHYARD_STORAGE_ENGINE:-}"
      [ "$peer" = baseline ] && bin="$BASELINE"
      # A fresh store per run (storage.engine comes from the environment, rocksdb by default;
      # SWITCHYARD_STORAGE_ENGINE=memory compares the memory engine). Builds without a store
      # ignore the variable. --durability pins both: `switchyard` is the durable default.
      [ "$durability" = 1 ] && engine=rocksdb
      [ "$peer" = memory ] && engine=memory
      # An empty variable would be an invalid value: set it only when there is one.
      local envs=(SWITCHYARD_JWT_SECRET="$JWT_SECRET" SWITCHYARD_API_KEY="$API_KEY"
                  SWITCHYARD_DATA_DIR="$dir/data")
      [ -n "$engine" ] && envs+=(SWITCHYARD_STORAGE_ENGINE="$engine")
      envs+=("${PEER_ENV[@]}")
      PEER_T0="$(date +%s%N)"
      env "${envs[@]}" "$bin" serve --listen "127.0.0.1:$PEER_PORT" \
        --set realtime.outbound_queue_bytes=67108864 "${PEER_EXTRA[@]}" \
        >>"$dir/out.log" 2>>"$dir/err.log" &
      PEER_MAIN=$!
      PEER_PIDS=$PEER_MAIN
      [ "$PEER_NOWAIT" = 1 ] && return 0  # the caller probes it (restart time in scenario 6)
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
    naive)
      node bench/peers/rooms-naive.js "127.0.0.1:$PEER_PORT" >"$dir/out.log" 2>&1 &
      PEER_MAIN=$!
      PEER_PIDS=$PEER_MAIN
      wait_for_line "$dir/out.log" "rooms-naive listening on" 20 || {
        echo "bench.sh: rooms-naive did not start:" >&2; cat "$dir/out.log" >&2; return 1; }
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
# ---- PostgreSQL (--cdc) -----------------------------------------------------------------------
# The server runs as `postgres` (it refuses root) from a directory that user owns, on loopback.
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=""
PG_PORT=0
PG_DSN=""
pg_as() {  # command... as the postgres user when root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_q() {  # sql → first column, unaligned
  "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d postgres -c "$1"
}
pg_start() {
  PG_DIR="$WORK/pg"
  PG_PORT=$((PORT_BASE + 90))
  mkdir -p "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$WORK" "$PG_DIR"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/db" -A trust -U postgres >"$WORK/pg-initdb.log" 2>&1 || {
    echo "bench.sh: initdb failed:" >&2; tail -5 "$WORK/pg-initdb.log" >&2; return 1; }
  # Defaults otherwise (synchronous_commit on, fsync on): a commit is what an application sees.
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/db" -l "$PG_DIR/log" -w -t 60 -o "-p $PG_PORT -k $PG_DIR \
    -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_replication_slots=10 \
    -c max_wal_senders=10" start >/dev/null || {
    echo "bench.sh: PostgreSQL did not start:" >&2; tail -5 "$PG_DIR/log" >&2; return 1; }
  PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=postgres user=postgres"
  psql_q "CREATE TABLE products (n int PRIMARY KEY, name text NOT NULL, price numeric(12,2) NOT NULL)"
}
pg_stop() {
  [ -n "$PG_DIR" ] && [ -d "$PG_DIR/db" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/db" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  PG_DIR=""
}
trap 'stop_peer; pg_stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# ---- scenarios --------------------------------------------------------------------------------
TOKEN="$(SWITCHYARD_JWT_SECRET="$JWT_SECRET" "$SWITCHYARD" token --sub bench --ttl 86400)"

REP=1  # which repetition (--repeat) the next record belongs to
loadavg() { awk '{printf "[%s,%s,%s]", $1, $2, $3}' /proc/loadavg; }

record() {  # scenario peer exit_code json_file extra_json
  local body="null"
  [ -s "$4" ] && body="$(tail -n1 "$4")"
  # The load average after the run: the machine is shared, so every figure carries it.
  printf '{"scenario":"%s","peer":"%s","rep":%d,"loadavg":%s,"exit":%d,"params":%s,"result":%s}\n' \
    "$1" "$2" "$REP" "$(loadavg)" "$3" "$5" "$body" >>"$RUNS"
}

# scenario_id peer subscribers events concurrency rate idle_s deadline
run_loadgen() {
  local sc="$1" peer="$2" n="$3" m="$4" c="$5" rate="$6" idle="$7" deadline="$8"
  local out="$WORK/$sc-$peer-$REP.json" rc=0
  echo "bench.sh: scenario $sc on $peer: $n subscribers, $m events, C=$c rate=$rate idle=$idle" >&2
  if ! start_peer "$peer"; then
    stop_peer
    record "$sc" "$peer" 99 /dev/null "{}"
    return 0
  fi
  local target="$peer"
  case "$peer" in baseline | memory) target=switchyard ;; esac  # same protocol, same token
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
  local lua="$WORK/$sc-$peer-$REP.lua" out="$WORK/$sc-$peer-$REP.wrk"
  # The same 100-byte data value as sy_loadgen sends (20 bytes of JSON + 80 of padding).
  data="{\"i\":0,\"t\":0,\"p\":\"$(printf 'x%.0s' {1..80})\"}"
  case "$peer" in
    switchyard | baseline | memory) path="/v1/channels/bench/events"; body="{\"data\":$data}" ;;
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

# S6: channels, events per channel, data bytes per event, publishing connections (the full
# size retains 2,000 × 520 × 1 KiB = 1.06 GB). S7: channels, publishes, data bytes, connections
# (65,400 bytes of data: the largest event whose request body, with its idempotency key, fits
# http.max_body_bytes = 64 KiB).
# BENCH_S6 / BENCH_S7 ("a b c d") override them, e.g. for a reduced run on a busy machine.
vm_kb() {  # pid field → kB from /proc/<pid>/status (VmHWM: peak resident size)
  awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo -1
}

# The bounded-memory and restart figures of the durable store (--durability).
# scenario channels events_per_channel data_bytes connections
run_retention() {
  local sc="$1" nch="$2" per="$3" bytes="$4" conns="$5" rc=0
  local total=$((nch * per)) out="$WORK/$sc-switchyard.json"
  # history.size keeps every published event of a channel (at least the default 500).
  local hist=$((per > 500 ? per : 500))
  echo "bench.sh: scenario $sc on switchyard: $nch channels × $per events × $bytes B, C=$conns" >&2
  PEER_EXTRA=(--set "history.size=$hist")
  if ! start_peer switchyard; then
    stop_peer; PEER_EXTRA=(); record "$sc" switchyard 99 /dev/null "{}"; return 0
  fi
  local dir="$PEER_DIR"
  timeout -k 5 3600 "$LOADGEN" --target switchyard --port "$PEER_PORT" --token "$TOKEN" \
    --api-key "$API_KEY" --subscribers 0 --events "$total" --channels "$nch" --topic ret \
    --payload-bytes "$bytes" --concurrency "$conns" --deadline-s 900 \
    --server-pid "$PEER_PIDS" >"$out" 2>"$out.err" || rc=$?
  [ "$rc" = 0 ] || { echo "bench.sh: sy_loadgen exit $rc"; head -n5 "$out.err"; } >&2
  local hwm rss du_kb t_stop stop_ms
  hwm="$(vm_kb "$PEER_MAIN" VmHWM)"
  rss="$(vm_kb "$PEER_MAIN" VmRSS)"
  t_stop="$(date +%s%N)"
  stop_peer  # SIGTERM: the store syncs and closes
  stop_ms=$((($(date +%s%N) - t_stop) / 1000000))
  du_kb="$(du -sk "$dir/data" | cut -f1)"
  # Restart on the same directory: exec → the first GET of a channel's history that returns
  # its stored events.
  mv "$dir/out.log" "$dir/out.1.log"
  PEER_REUSE="$dir" PEER_NOWAIT=1
  start_peer switchyard
  PEER_REUSE="" PEER_NOWAIT=0
  local url="http://127.0.0.1:$PEER_PORT/v1/channels/ret.$((nch / 2))/events?limit=1000"
  local t_ready=0 status=000 got=0 i
  for ((i = 0; i < 3000; i++)); do
    status="$(curl -s -o "$WORK/restart.body" -w '%{http_code}' --max-time 2 \
      -H "Authorization: Bearer $API_KEY" "$url" || true)"
    if [ "$status" = 200 ] && grep -q '"seq":' "$WORK/restart.body"; then
      t_ready="$(date +%s%N)"
      break
    fi
    kill -0 "$PEER_MAIN" 2>/dev/null || break
    sleep 0.01
  done
  got="$(grep -o '"seq":' "$WORK/restart.body" 2>/dev/null | wc -l || true)"
  local restart_ms=-1
  [ "$t_ready" != 0 ] && restart_ms=$(((t_ready - PEER_T0) / 1000000))
  local hwm2
  hwm2="$(vm_kb "$PEER_MAIN" VmHWM)"
  stop_peer
  PEER_EXTRA=()
  local pub="null"
  [ -s "$out" ] && pub="$(tail -n1 "$out")"
  {
    printf '{"channels":%d,"events_per_channel":%d,"payload_bytes":%d,"retained_data_bytes":%d,' \
      "$nch" "$per" "$bytes" $((total * bytes))
    printf '"history_size":%d,"cache_bytes":%d,"rss_limit_kb":%d,"vmhwm_kb":%s,"vmrss_end_kb":%s,' \
      "$hist" "$CACHE_BYTES" "$RSS_LIMIT_KB" "$hwm" "$rss"
    printf '"store_dir_kb":%s,"sigterm_exit_ms":%d,"restart_serving_ms":%d,"restart_status":"%s",' \
      "$du_kb" "$stop_ms" "$restart_ms" "$status"
    printf '"restart_events_read":%d,"restart_expected_events":%d,"restart_vmhwm_kb":%s,"publish":%s}\n' \
      "$got" "$per" "$hwm2" "$pub"
  } >"$out.res"
  # A restart that never served, or served fewer events than published, fails the run.
  if [ "$rc" = 0 ] && { [ "$restart_ms" -lt 0 ] || [ "$got" != "$per" ]; }; then rc=97; fi
  record "$sc" switchyard "$rc" "$out.res" \
    "{\"channels\":$nch,\"events_per_channel\":$per,\"payload_bytes\":$bytes,\"concurrency\":$conns}"
}

# Many large events with unique idempotency keys (the abuse case): peak RSS against the bound.
# scenario peer channels publishes data_bytes connections
run_flood() {
  local sc="$1" peer="$2" nch="$3" total="$4" bytes="$5" conns="$6" rc=0
  local out="$WORK/$sc-$peer.json"
  echo "bench.sh: scenario $sc on $peer: $total × $bytes B over $nch channels, unique keys, C=$conns" >&2
  if ! start_peer "$peer"; then
    stop_peer; record "$sc" "$peer" 99 /dev/null "{}"; return 0
  fi
  local dir="$PEER_DIR"
  timeout -k 5 1900 "$LOADGEN" --target switchyard --port "$PEER_PORT" --token "$TOKEN" \
    --api-key "$API_KEY" --subscribers 0 --events "$total" --channels "$nch" --topic flood \
    --unique-keys 1 --payload-bytes "$bytes" --concurrency "$conns" --deadline-s 600 \
    --server-pid "$PEER_PIDS" >"$out" 2>"$out.err" || rc=$?
  [ "$rc" = 0 ] || { echo "bench.sh: sy_loadgen exit $rc"; head -n5 "$out.err"; } >&2
  local hwm rss du_kb=0
  hwm="$(vm_kb "$PEER_MAIN" VmHWM)"
  rss="$(vm_kb "$PEER_MAIN" VmRSS)"
  stop_peer
  [ -d "$dir/data" ] && du_kb="$(du -sk "$dir/data" | cut -f1)"
  local pub="null"
  [ -s "$out" ] && pub="$(tail -n1 "$out")"
  {
    printf '{"channels":%d,"publishes":%d,"payload_bytes":%d,"cache_bytes":%d,"rss_limit_kb":%d,' \
      "$nch" "$total" "$bytes" "$CACHE_BYTES" "$RSS_LIMIT_KB"
    printf '"vmhwm_kb":%s,"vmrss_end_kb":%s,"store_dir_kb":%s,"publish":%s}\n' \
      "$hwm" "$rss" "$du_kb" "$pub"
  } >"$out.res"
  record "$sc" "$peer" "$rc" "$out.res" \
    "{\"channels\":$nch,\"publishes\":$total,\"payload_bytes\":$bytes,\"concurrency\":$conns}"
}

# The room join storm (scenario 8): members join one room spread evenly over join_within_ms on
# connections opened before (so the server CPU sampled from the first join to the last view's
# convergence is joins and presence, not handshakes). window "" keeps the configured
# rooms.presence_window_ms (its value is recorded), a number sets it.
# scenario peer members join_within_ms window
run_room_storm() {
  local sc="$1" peer="$2" n="$3" within="$4" window="$5" rc=0
  local out="$WORK/$sc-$peer-$REP.json" effective=null
  if [ "$peer" != naive ]; then
    # rooms.max_members (1,000 by default) must admit the whole storm.
    PEER_EXTRA=(--set "rooms.max_members=$n")
    [ -n "$window" ] && PEER_EXTRA+=(--set "rooms.presence_window_ms=$window")
    local bin="$SWITCHYARD"
    [ "$peer" = baseline ] && bin="$BASELINE"
    effective="$(env SWITCHYARD_JWT_SECRET="$JWT_SECRET" "$bin" check-config "${PEER_EXTRA[@]}" 2>/dev/null |
      sed -n 's/.*"rooms.presence_window_ms":\([0-9-]*\).*/\1/p' | head -n1 || true)"
    effective="${effective:-null}"
  fi
  echo "bench.sh: scenario $sc on $peer: $n members join one room within $within ms," \
    "presence window ${effective} ms" >&2
  if ! start_peer "$peer"; then
    stop_peer; PEER_EXTRA=(); record "$sc" "$peer" 99 /dev/null "{}"; return 0
  fi
  # 30 s bounds the connect phase and, from the first join, the convergence.
  timeout -k 5 120 "$LOADGEN" --target switchyard --port "$PEER_PORT" --token "$TOKEN" \
    --room storm --members "$n" --join-within-ms "$within" --source-addrs "$SOURCE_ADDRS" \
    --deadline-s 30 --server-pid "$PEER_PIDS" >"$out" 2>"$out.err" || rc=$?
  [ "$rc" = 0 ] || { echo "bench.sh: sy_loadgen exit $rc"; head -n5 "$out.err"; } >&2
  stop_peer
  PEER_EXTRA=()
  record "$sc" "$peer" "$rc" "$out" \
    "{\"members\":$n,\"join_within_ms\":$within,\"presence_window_ms\":$effective}"
}

# Scenario 9 (--cdc): one switchyard with one PostgreSQL source on a fresh slot, sy_cdcbench
# against it; each of its four phases is recorded as its own row (9a-9d).
# scenario peer rows rate seconds
run_cdc() {
  local sc="$1" peer="$2" rows="$3" rate="$4" secs="$5" rc=0
  local out="$WORK/$sc-$peer-$REP.json" slot="sy_bench_${peer}_$REP"
  # Emptied before the slot exists, so the TRUNCATE is not captured.
  psql_q "TRUNCATE products" >/dev/null
  PEER_ENV=(SWITCHYARD_SOURCES="[{\"kind\":\"postgres\",\"workspace\":\"acme\",\"dsn\":\"$PG_DSN\",\"publication\":\"switchyard\",\"slot\":\"$slot\",\"tables\":[\"products\"],\"create_publication\":true,\"create_slot\":true}]")
  echo "bench.sh: scenario $sc on $peer: $rows-row transaction, $rate changes/s for $secs s," \
    "the same through REST" >&2
  local phases=(cdc_bulk rest_bulk cdc_steady rest_steady) ids=(9a 9b 9c 9d) i
  local params="{\"rows\":$rows,\"rate\":$rate,\"seconds\":$secs}"
  if ! start_peer "$peer"; then
    stop_peer; PEER_ENV=()
    for i in 0 1 2 3; do record "${ids[$i]}" "$peer" 99 /dev/null "$params"; done
    return 0
  fi
  # 4 phases, each bounded by the deadline (+ the steady phases' own seconds).
  timeout -k 5 $((4 * 60 + 2 * secs + 60)) "$CDCBENCH" --port "$PEER_PORT" --token "$WS_TOKEN" \
    --api-key "$API_KEY" --dsn "$PG_DSN" --slot "$slot" --rows "$rows" --rate "$rate" \
    --seconds "$secs" --deadline-s 60 --server-pid "$PEER_PIDS" >"$out" 2>"$out.err" || rc=$?
  [ "$rc" = 0 ] || { echo "bench.sh: sy_cdcbench exit $rc"; head -n5 "$out.err"; } >&2
  stop_peer
  PEER_ENV=()
  # The slot would keep WAL for ever once its consumer is gone.
  for ((i = 0; i < 50; i++)); do
    psql_q "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots
            WHERE slot_name = '$slot' AND NOT active" >/dev/null 2>&1 &&
      [ -z "$(psql_q "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot'")" ] && break
    sleep 0.1
  done
  for i in 0 1 2 3; do
    grep "\"phase\":\"${phases[$i]}\"" "$out" >"$out.${ids[$i]}" 2>/dev/null || true
    record "${ids[$i]}" "$peer" "$rc" "$out.${ids[$i]}" "$params"
  done
}

if [ "$quick" = 1 ]; then
  S1=(300 300 32) S2=(2000 30 32) S3N=300 S3M20=60 S3M100=300 S4=(2000 2) S5=3 DL=30
  S6=(200 100 1024 32) S7=(27 1350 65400 4) S8=(500 500) S9=(20000 1000 5)
else
  S1=(1000 1000 32) S2=(10000 100 32) S3N=1000 S3M20=400 S3M100=2000 S4=(10000 5) S5=10 DL=120
  S6=(2000 520 1024 64) S7=(27 13500 65400 4) S8=(2000 2000) S9=(100000 1000 20)
fi
# shellcheck disable=SC2206  # word splitting is the point
[ -n "${BENCH_S6:-}" ] && S6=(${BENCH_S6})
# shellcheck disable=SC2206
[ -n "${BENCH_S7:-}" ] && S7=(${BENCH_S7})
# shellcheck disable=SC2206
[ -n "${BENCH_S8:-}" ] && S8=(${BENCH_S8})
# shellcheck disable=SC2206
[ -n "${BENCH_S9:-}" ] && S9=(${BENCH_S9})
if [ "$cdc" = 1 ]; then
  pg_start
  # A gateway subscriber of workspace acme.
  WS_TOKEN="$(SWITCHYARD_JWT_SECRET="$JWT_SECRET" "$SWITCHYARD" token --sub bench --workspace acme --ttl 86400)"
fi
# The bound the issue sets: storage.cache_bytes (the default, 256 MiB) + 200 MB.
CACHE_BYTES=268435456
RSS_LIMIT_KB=$(((CACHE_BYTES + 200000000) / 1024))

LOADAVG_START="$(loadavg)"
# --repeat N: every scenario N times, the peers interleaved within each repetition, so each
# peer's median comes from runs spread over the same minutes.
for ((REP = 1; REP <= repeat; REP++)); do
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
  if want_scenario 8; then
    # Switchyard builds with the configured default window, then with 0; then the naive peer.
    for peer in "${peers[@]}"; do
      if [ "$peer" != naive ]; then run_room_storm 8a "$peer" "${S8[@]}" ""; fi
    done
    for peer in "${peers[@]}"; do
      if [ "$peer" != naive ]; then run_room_storm 8b "$peer" "${S8[@]}" 0; fi
    done
    if [[ " ${peers[*]} " == *" naive "* ]]; then run_room_storm 8c naive "${S8[@]}" ""; fi
  fi
  if want_scenario 9; then
    for peer in "${peers[@]}"; do run_cdc 9 "$peer" "${S9[@]}"; done
  fi
done
REP=1
# Scenarios 6 and 7 measure bounds (peak RSS, restart time), not rates: once per run.
if want_scenario 6; then
  run_retention 6 "${S6[@]}"
fi
if want_scenario 7; then
  for peer in "${peers[@]}"; do run_flood 7 "$peer" "${S7[@]}"; done
fi

# ---- report -----------------------------------------------------------------------------------
# --durability runs without nginx and npm ws: their versions are then "none".
nginx_version="$( (nginx -v 2>&1 || echo none) | sed 's/.*nginx\///')"
ws_version="$(node -p "require('./bench/peers/node_modules/ws/package.json').version" 2>/dev/null || echo none)"
cat >"$WORK/machine.json" <<JSON
{"utc":"$stamp","quick":$([ "$quick" = 1 ] && echo true || echo false),
 "durability":$([ "$durability" = 1 ] && echo true || echo false),"repeat":$repeat,
 "rooms":$([ "$rooms" = 1 ] && echo true || echo false),
 "cdc":$([ "$cdc" = 1 ] && echo true || echo false),
 "postgres":"$([ "$cdc" = 1 ] && "$PG_BIN/postgres" --version | sed 's/.*) //' || echo none)",
 "loadavg_start":$LOADAVG_START,"loadavg_end":$(loadavg),
 "storage_sync":"${SWITCHYARD_STORAGE_SYNC:-batch}","cache_bytes":$CACHE_BYTES,
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
 "ws":"$ws_version",
 "wrk":"$(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo unknown)"}
JSON
node tests/bench/report.js "$WORK/machine.json" "$RUNS" "bench/results/$stamp"
if command -v gnuplot >/dev/null 2>&1 && [ -f "bench/results/$stamp.gp" ]; then
  gnuplot "bench/results/$stamp.gp" || echo "bench.sh: gnuplot failed" >&2
  rm -f "bench/results/$stamp.gp" "bench/results/$stamp.dat"
fi
cat "bench/results/$stamp.md"
echo "bench.sh: wrote$(for f in bench/results/"$stamp".{json,md,png}; do [ -f "$f" ] && printf ' %s' "$f"; done)" >&2
