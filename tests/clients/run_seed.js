// Runs one of the documented JavaScript client examples (seed/*.js, verbatim but for URL and
// token) against a real switchyard daemon, with the npm `ws` package as the WebSocket, and
// checks what the example's user would see. Usage: node run_seed.js <scenario>
// Env: SWITCHYARD_BIN (the daemon). Exit 0 = passed; any failure prints why and exits 1.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const WebSocket = require('ws');

const SECRET = 'client-test-secret';
const API_KEY = 'client-test-key';
const DEADLINE_MS = 25000;

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}
setTimeout(() => fail('scenario did not finish within ' + DEADLINE_MS + ' ms'), DEADLINE_MS).unref();

function b64url(x) {
  return Buffer.from(x).toString('base64url');
}

// HS256 token signed with the daemon's secret (what a Keycloak-style issuer would hand out).
function mintToken(claims) {
  const now = Math.floor(Date.now() / 1000);
  const body = { iat: now, exp: now + 3600, ...claims };
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' + b64url(JSON.stringify(body));
  return head + '.' + crypto.createHmac('sha256', SECRET).update(head).digest('base64url');
}

// Starts `switchyard serve` on an ephemeral loopback port; resolves with {base, stop}.
function startDaemon(sets) {
  const bin = process.env.SWITCHYARD_BIN;
  if (!bin) fail('SWITCHYARD_BIN is not set');
  const args = ['serve', '--listen', '127.0.0.1:0'];
  for (const s of sets) args.push('--set', s);
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SWITCHYARD_') && !k.startsWith('REALTIME_')) env[k] = v;
  env.SWITCHYARD_JWT_SECRET = SECRET;
  env.SWITCHYARD_API_KEY = API_KEY;
  // A store of its own (storage.engine = rocksdb is the default), removed when the run ends.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-seed-'));
  env.SWITCHYARD_DATA_DIR = path.join(dataDir, 'store');
  process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve) => {
    const onData = (d) => {
      log += d;
      const m = /switchyard listening on ([0-9.]+):(\d+)/.exec(log);
      if (m) {
        child.stdout.removeAllListeners('data');
        resolve({
          base: `${m[1]}:${m[2]}`,
          log: () => log,
          stop: () => child.kill('SIGTERM'),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { log += d; });
    child.on('exit', (code) => fail('daemon exited early (' + code + '):\n' + log));
  }).then((d) => {
    child.removeAllListeners('exit');
    process.on('exit', () => child.kill('SIGKILL'));
    return d;
  });
}

async function post(base, target, body) {
  const r = await fetch(`http://${base}${target}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 201) fail(`POST ${target} -> ${r.status} ${text}`);
  return JSON.parse(text);
}

// Evaluates an example file of seed/ with the given free variables. `ACCESS_TOKEN` is a
// variable of the evaluated scope, so the harness's refreshToken can replace it the way an app
// would.
function runSeed(file, scope) {
  const src = fs.readFileSync(path.join(__dirname, 'seed', file), 'utf8');
  const names = Object.keys(scope);
  const fn = new Function(...names, '__token',
    'let ACCESS_TOKEN = __token;\n' +
    'const __setToken = (t) => { ACCESS_TOKEN = t; };\n' + src +
    '\nreturn { ws: typeof ws !== "undefined" ? ws : undefined,' +
    ' connect: typeof connect !== "undefined" ? connect : undefined, setToken: __setToken };');
  return fn(...names.map((n) => scope[n]), scope.__token);
}

function waitFor(predicate, what, ms = 8000) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => {
      const v = predicate();
      if (v) return resolve(v);
      if (Date.now() - t0 > ms) return fail('timed out waiting for ' + what);
      setTimeout(tick, 20);
    };
    tick();
  });
}

function frames(ws, into) {
  ws.addEventListener('message', (e) => into.push(JSON.parse(String(e.data))));
}

const scenarios = {
  // Gateway, Node form: Bearer header on the upgrade, then the example's subscribe frame and event.
  async 'gateway-node-headers'() {
    const d = await startDaemon([]);
    const url = `ws://${d.base}/workspaces/acme/realtime/connect`;
    const got = [];
    const seed = runSeed('001-node-headers.js', {
      WebSocket, url, __token: mintToken({ sub: 'node-app', workspaces: ['acme'] }),
    });
    frames(seed.ws, got);
    await new Promise((res, rej) => { seed.ws.on('open', res); seed.ws.on('error', rej); });
    seed.ws.send(JSON.stringify({
      type: 'subscribe', channel: 'postgres:products',
      filter: { operations: ['INSERT', 'UPDATE', 'DELETE'], entity: 'products' },
    }));
    await waitFor(() => got.find((m) => m.type === 'subscribed'), 'the subscribe confirmation');
    await post(d.base, '/workspaces/acme/events', {
      channel: 'postgres:products', operation: 'INSERT', table: 'products',
      record: { id: '550e8400', name: 'New Product', price: 29.99 }, correlationId: 'corr-abc-123',
    });
    const ev = await waitFor(() => got.find((m) => m.type === 'event'), 'the event');
    const want = ['type', 'channel', 'operation', 'table', 'record', 'timestamp', 'correlationId'];
    if (JSON.stringify(Object.keys(ev)) !== JSON.stringify(want))
      fail('event keys ' + JSON.stringify(Object.keys(ev)));
    if (ev.channel !== 'postgres:products' || ev.operation !== 'INSERT' ||
        ev.record.price !== 29.99 || ev.correlationId !== 'corr-abc-123' ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(ev.timestamp))
      fail('event ' + JSON.stringify(ev));
    seed.ws.close();
    d.stop();
  },

  // Gateway, browser form inside the example's reconnect loop: first-message auth; when the
  // token expires the server closes with 4001, the loop refreshes the token and reconnects,
  // and events flow again on the new connection.
  async 'gateway-browser-reconnect'() {
    const d = await startDaemon(['auth.leeway_s=0']);
    const url = `ws://${d.base}/workspaces/acme/realtime/connect`;
    const sockets = [];
    const closes = [];
    let seed;
    const subscribe = (ws) => {
      const entry = { ws, got: [] };
      sockets.push(entry);
      frames(ws, entry.got);
      ws.addEventListener('close', (e) => closes.push(e.code));
      ws.send(JSON.stringify({ type: 'subscribe', channel: 'events:*' }));
    };
    const refreshToken = () => Promise.resolve().then(() =>
      seed.setToken(mintToken({ sub: 'browser-app', workspaces: ['acme'] })));
    const short = mintToken({ sub: 'browser-app', workspaces: ['acme'],
                              exp: Math.floor(Date.now() / 1000) + 2 });
    seed = runSeed('001-browser-reconnect.js', {
      WebSocket, url, subscribe, refreshToken, __token: short,
    });
    seed.connect();
    await waitFor(() => sockets[0] && sockets[0].got.find((m) => m.type === 'subscribed'),
                  'the first subscription');
    await post(d.base, '/workspaces/acme/events', { channel: 'events:orders', data: { n: 1 } });
    const e1 = await waitFor(() => sockets[0].got.find((m) => m.type === 'event'), 'event 1');
    if (e1.channel !== 'events:orders' || e1.data.n !== 1) fail('event 1 ' + JSON.stringify(e1));
    await waitFor(() => closes.includes(4001), 'close 4001 token_expired', 6000);
    await waitFor(() => sockets[1] && sockets[1].got.find((m) => m.type === 'subscribed'),
                  'the subscription after reconnecting');
    await post(d.base, '/workspaces/acme/events', { channel: 'events:orders', data: { n: 2 } });
    const e2 = await waitFor(() => sockets[1].got.find((m) => m.type === 'event'), 'event 2');
    if (e2.data.n !== 2) fail('event 2 ' + JSON.stringify(e2));
    sockets[1].ws.onclose = null; // stop the loop
    sockets[1].ws.close();
    d.stop();
  },

  // SnackBase's example: its own handlers log the posts.create event and the heartbeat.
  async 'snackbase-example'() {
    const d = await startDaemon(['realtime.heartbeat_ms=500']);
    const logs = [];
    const seedConsole = {
      log: (...a) => logs.push(a),
      error: (...a) => logs.push(['ERROR', ...a]),
    };
    const got = [];
    const seed = runSeed('002-example.js', {
      WebSocket, base: d.base, console: seedConsole,
      __token: mintToken({ sub: 'snack-app', workspaces: ['default'] }),
    });
    frames(seed.ws, got);
    const ack = await waitFor(() => got.find((m) => m.status === 'subscribed'), 'subscribed');
    if (ack.collection !== 'posts') fail('ack ' + JSON.stringify(ack));
    await post(d.base, '/api/v1/collections/posts/events', {
      operation: 'create', data: { id: '550e8400', title: 'New Post' },
    });
    const line = await waitFor(() => logs.find((a) => a[0] === 'New post created:'), 'the log line');
    if (line[1].title !== 'New Post') fail('logged ' + JSON.stringify(line));
    await waitFor(() => logs.find((a) => a[0] === 'Heartbeat received'), 'a heartbeat', 4000);
    if (logs.find((a) => a[0] === 'ERROR')) fail('errors logged ' + JSON.stringify(logs));
    seed.ws.close();
    await waitFor(() => logs.find((a) => a[0] === 'WebSocket connection closed'), 'the close log');
    d.stop();
  },
};

const name = process.argv[2];
if (!scenarios[name]) fail('unknown scenario ' + name + '; one of ' + Object.keys(scenarios));
scenarios[name]().then(() => { console.log('PASS ' + name); process.exit(0); },
                       (e) => fail(e && e.stack || String(e)));
