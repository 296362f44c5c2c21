// Measures what a cross-node hop costs in a 3-node cluster on loopback (CLUSTER.md):
//  - REST publish round trip sent to the channel's owner vs. to another node (forwarded);
//  - publish -> delivery latency for a subscriber on the owner vs. on a relay node.
// Usage: SWITCHYARD_BIN=build/switchyard [HOP_REPLICAS=0|1|2] [HOP_ENGINE=rocksdb|memory]
//        node tests/bench/cluster_hop.js [N]
// (needs the npm `ws` package: tests/clients/node_modules, installed by scripts/test.sh).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const WebSocket = require(path.join(__dirname, '../clients/node_modules/ws'));

const N = Number(process.argv[2] || 1000);
const KEY = 'hop-key';
const SECRET = 'hop-secret';
setTimeout(() => { console.error('timed out'); process.exit(1); }, 120000).unref();

function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function startNode(clusterPort, join) {
  const args = ['serve', '--listen', '127.0.0.1:0', '--cluster-port', String(clusterPort)];
  if (join) args.push('--join', join);
  args.push('--set', 'cluster.replicas=' + (process.env.HOP_REPLICAS || '1'));
  // Each node needs a store of its own (storage.engine, HOP_ENGINE: rocksdb by default).
  args.push('--set', 'storage.engine=' + (process.env.HOP_ENGINE || 'rocksdb'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-hop-'));
  process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, SWITCHYARD_API_KEY: KEY, SWITCHYARD_JWT_SECRET: SECRET,
                SWITCHYARD_LOG_LEVEL: 'warn', SWITCHYARD_DATA_DIR: path.join(dataDir, 'store') };
  const child = spawn(process.env.SWITCHYARD_BIN || 'build/switchyard', args,
                      { env, stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((res) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on [0-9.]+:(\d+)/.exec(out);
      if (m) res({ http: Number(m[1]), id: `127.0.0.1:${clusterPort}`, child });
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function token() {
  const crypto = require('crypto');
  const b = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
  const h = b({ alg: 'HS256', typ: 'JWT' }) + '.' +
            b({ sub: 'hop', exp: Math.floor(Date.now() / 1000) + 3600 });
  return h + '.' + crypto.createHmac('sha256', SECRET).update(h).digest('base64url');
}

async function publishTimes(port, channel, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await fetch(`http://127.0.0.1:${port}/v1/channels/${channel}/events`, {
      method: 'POST', headers: { Authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ data: { t: Number(process.hrtime.bigint()) } }),
    });
    await r.text();
    if (r.status !== 201) throw new Error('publish ' + r.status);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return times;
}

async function subscriber(port, channel) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime?token=${token()}`);
  const lat = [];
  await new Promise((r) => ws.on('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', topics: [channel] }));
  ws.on('message', (m) => {
    const f = JSON.parse(String(m));
    if (f.op === 'event') lat.push((Number(process.hrtime.bigint()) - f.data.t) / 1000);
  });
  await sleep(300);
  return { ws, lat };
}

(async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const a = await startNode(ports[0]);
  const b = await startNode(ports[1], a.id);
  const c = await startNode(ports[2], b.id);
  const nodes = [a, b, c];
  await sleep(2500);
  const channel = 'hop';
  const info = await (await fetch(`http://127.0.0.1:${a.http}/v1/cluster?channel=${channel}`)).json();
  const owner = nodes.find((n) => n.id === info.owner);
  const other = nodes.find((n) => n !== owner && !info.replicas.includes(n.id));
  const subOwner = await subscriber(owner.http, channel);
  const subRelay = await subscriber(other.http, channel);
  await publishTimes(owner.http, channel, 50); // warm-up
  subOwner.lat.length = 0;
  subRelay.lat.length = 0;
  const direct = await publishTimes(owner.http, channel, N);
  const forwarded = await publishTimes(other.http, channel, N);
  await sleep(500);
  const res = {
    n: N,
    replicas: Number(process.env.HOP_REPLICAS || '1'),
    publish_rtt_us_owner: { p50: pct(direct, 0.5), p99: pct(direct, 0.99) },
    publish_rtt_us_forwarded: { p50: pct(forwarded, 0.5), p99: pct(forwarded, 0.99) },
    deliver_us_on_owner: { p50: pct(subOwner.lat, 0.5), p99: pct(subOwner.lat, 0.99),
                           count: subOwner.lat.length },
    deliver_us_on_relay: { p50: pct(subRelay.lat, 0.5), p99: pct(subRelay.lat, 0.99),
                           count: subRelay.lat.length },
  };
  console.log(JSON.stringify(res, null, 1));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
