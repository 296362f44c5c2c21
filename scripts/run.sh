#!/usr/bin/env bash
# Builds Release in build/ and runs the daemon in the foreground with the embedded defaults
# (development credentials; durable history in ./switchyard-data), after printing a dev token
# and copy-paste examples.
# Extra arguments are passed to `switchyard serve` (e.g. --set realtime.heartbeat_ms=5000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/deps.sh
source scripts/deps.sh

sy_configure build
cmake --build build -j"$(nproc)" --target switchyard

listen="${SWITCHYARD_LISTEN:-127.0.0.1:9009}"
host="${listen%:*}"
port="${listen##*:}"
# A wildcard bind is reachable through loopback; print an address curl can use.
case "$host" in
  "" | 0.0.0.0 | "::" | "[::]") host=127.0.0.1 ;;
esac
base="$host:$port"
api_key="${SWITCHYARD_API_KEY:-switchyard-dev-key}"
# Uses SWITCHYARD_JWT_SECRET when set, the embedded development secret otherwise.
token="$(build/switchyard token --sub dev --ttl 86400)"
# Grants workspace "default": the gateway's demo workspace and SnackBase's collections.
ws_token="$(build/switchyard token --sub dev --ttl 86400 --workspace default)"

cat <<INFO
Switchyard on http://$base  (development credentials; do not expose)

Development token (sub=dev, 24 h):
  $token

Publish:
  curl -s -X POST http://$base/v1/channels/demo/events -H 'Authorization: Bearer $api_key' -H 'Content-Type: application/json' -d '{"type":"hello","data":{"msg":"hi"}}'

History:
  curl -s 'http://$base/v1/channels/demo/events?limit=10' -H 'Authorization: Bearer $api_key'

Subscribe (websocat), then send the frame below:
  websocat 'ws://$base/realtime?token=$token'
  {"op":"subscribe","topics":["demo","log.event"]}

Subscribe (node, after 'npm install ws'):
  node -e "const W=require('ws');const w=new W('ws://$base/realtime?token=$token');w.on('open',()=>w.send(JSON.stringify({op:'subscribe',topics:['demo']})));w.on('message',m=>console.log(String(m)))"

Workspace gateway and SnackBase, token for workspace "default":
  $ws_token
  websocat -H 'Authorization: Bearer $ws_token' 'ws://$base/workspaces/default/realtime/connect'
  {"type":"subscribe","channel":"postgres:posts"}
  websocat 'ws://$base/api/v1/realtime/ws?token=$ws_token'
  {"action":"subscribe","collection":"posts"}
  curl -s -X POST http://$base/api/v1/collections/posts/events -H 'Authorization: Bearer $api_key' -d '{"operation":"create","data":{"id":"p1","title":"hello"}}'

History is durable (storage.engine = rocksdb) in ${SWITCHYARD_DATA_DIR:-./switchyard-data}: it
survives restarts; --set storage.engine=memory keeps it in memory only (DURABILITY.md).

Cluster: add --cluster-port P [--join HOST:PORT] (see CLUSTER.md).

INFO

exec build/switchyard serve --listen "$listen" "$@"
