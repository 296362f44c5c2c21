#!/usr/bin/env bash
# Builds Release in build/ and runs the daemon in the foreground with the embedded defaults
# (development credentials; durable history in ./switchyard-data), after printing a dev token
# and copy-paste examples (the switchyard CLI, the JavaScript client in clients/js, curl).
# Extra arguments are passed to `switchyard serve` (e.g. --set realtime.heartbeat_ms=5000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/deps.sh
source scripts/deps.sh

sy_configure build
cmake --build build -j"$(nproc)" --target switchyard
# Node and `ws` for the JavaScript client's example on Node < 22; the daemon starts without them.
sy_install_client_deps || echo "run.sh: node/npm unavailable: the JavaScript example below will not run" >&2

listen="${SWITCHYARD_LISTEN:-127.0.0.1:9009}"
host="${listen%:*}"
port="${listen##*:}"
# A wildcard bind is reachable through loopback; print an address curl can use.
case "$host" in
  "" | 0.0.0.0 | "::" | "[::]") host=127.0.0.1 ;;
esac
base="$host:$port"
# The CLI's publish and tail talk to 127.0.0.1:9009 unless told otherwise.
url_opt=""
[ "$base" = "127.0.0.1:9009" ] || url_opt=" --url http://$base"
api_key="${SWITCHYARD_API_KEY:-switchyard-dev-key}"
# Uses SWITCHYARD_JWT_SECRET when set, the embedded development secret otherwise.
token="$(build/switchyard token --sub dev --ttl 86400)"
# Grants workspace "default": the gateway's demo workspace and SnackBase's collections.
ws_token="$(build/switchyard token --sub dev --ttl 86400 --workspace default)"

cat <<INFO
Switchyard on http://$base  (development credentials; do not expose)

Development token (sub=dev, 24 h):
  $token

In another terminal, from this directory:

Follow channels, one JSON line per event (resumes where it stopped when the server restarts):
  build/switchyard tail demo log.event$url_opt

Publish (API key from SWITCHYARD_API_KEY, else the development key):
  build/switchyard publish demo '{"msg":"hi"}' --type hello$url_opt

The same subscription with the JavaScript client (clients/js, README there), in Node:
  SWITCHYARD_TOKEN=$token node clients/js/examples/tail.mjs --url ws://$base/realtime demo

Publish and read history with curl:
  curl -s -X POST http://$base/v1/channels/demo/events -H 'Authorization: Bearer $api_key' -H 'Content-Type: application/json' -d '{"type":"hello","data":{"msg":"hi"}}'
  curl -s 'http://$base/v1/channels/demo/events?limit=10' -H 'Authorization: Bearer $api_key'

Workspace gateway and SnackBase, token for workspace "default":
  $ws_token
  curl -s -X POST http://$base/api/v1/collections/posts/events -H 'Authorization: Bearer $api_key' -d '{"operation":"create","data":{"id":"p1","title":"hello"}}'
The collection posts is the channel ws.default.postgres:posts:
  build/switchyard tail ws.default.postgres:posts --token $ws_token$url_opt
In the gateway's and SnackBase's own frames (Node, with ws from clients/js):
  (cd clients/js && node -e "const W=require('ws');const w=new W('ws://$base/workspaces/default/realtime/connect',{headers:{Authorization:'Bearer $ws_token'}});w.on('open',()=>w.send(JSON.stringify({type:'subscribe',channel:'postgres:posts'})));w.on('message',m=>console.log(String(m)))")
  (cd clients/js && node -e "const W=require('ws');const w=new W('ws://$base/api/v1/realtime/ws?token=$ws_token');w.on('open',()=>w.send(JSON.stringify({action:'subscribe',collection:'posts'})));w.on('message',m=>console.log(String(m)))")

History is durable (storage.engine = rocksdb) in ${SWITCHYARD_DATA_DIR:-./switchyard-data}: it
survives restarts; --set storage.engine=memory keeps it in memory only (DURABILITY.md).

Cluster: add --cluster-port P [--join HOST:PORT] (README.md *Cluster* runs three nodes beside
this one; CLUSTER.md).

INFO

exec build/switchyard serve --listen "$listen" "$@"
