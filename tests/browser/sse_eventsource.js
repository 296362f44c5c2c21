// A browser's EventSource against the real daemon: headless Chromium opens a page (a file:
// URL, so the stream is cross-origin and its CORS headers are exercised too; a data: URL
// counts as a public page, which Chromium does not let reach a loopback address) whose
// EventSource subscribes to GET /v1/channels/{c}/stream; the test publishes over REST and
// fails unless the page received every event, in order, with its cursor as lastEventId --
// also across a daemon restart, which EventSource rides out by reconnecting with Last-Event-ID.
// Chromium is driven over the DevTools protocol with Node's own WebSocket, no npm package.
// Usage: node --experimental-websocket sse_eventsource.js   Env: SWITCHYARD_BIN, CHROMIUM.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const SECRET = 'browser-test-secret';
const API_KEY = 'browser-test-key';
const DEADLINE_MS = 40000;
const children = [];
const dirs = [];

// Kills what the test started and waits (bounded) for it to exit before removing its
// directories: Chromium writes into its profile until it is gone.
async function cleanup() {
  const exits = children.filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise((resolve) => {
      c.on('exit', resolve);
      setTimeout(resolve, 3000).unref();
      try { c.kill('SIGKILL'); } catch (e) { resolve(); }
    }));
  await Promise.all(exits);
  for (const d of dirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch (e) { /* best effort */ }
  }
}
// Reports once, cleans up, exits 1; throws so that the caller's flow stops here.
let failing = false;
function fail(msg) {
  if (!failing) {
    failing = true;
    console.error('FAIL: ' + msg);
    cleanup().finally(() => process.exit(1));
  }
  throw new Error('FAIL: ' + msg);
}
function failQuietly(msg) { // from timers and event handlers: nothing above to unwind
  try { fail(msg); } catch (e) { /* reported */ }
}
// Whatever happens, no browser or daemon outlives the test.
process.on('exit', () => {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch (e) { /* gone */ }
  }
});
setTimeout(() => failQuietly('did not finish within ' + DEADLINE_MS + ' ms'), DEADLINE_MS).unref();

function b64url(x) {
  return Buffer.from(x).toString('base64url');
}
function mintToken(sub) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.'
    + b64url(JSON.stringify({ sub, iat: now, exp: now + 3600 }));
  return head + '.' + crypto.createHmac('sha256', SECRET).update(head).digest('base64url');
}

// Resolves with the first match of `re` in what `stream` prints.
function waitFor(stream, re, what) {
  let text = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => failQuietly(what + ' did not appear: ' + text.slice(-2000)), 15000);
    timer.unref();
    stream.on('data', (d) => {
      text += d;
      const m = re.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

// `listen` "127.0.0.1:0" the first time; a restart passes the port and data dir it had.
async function startDaemon(listen, dataDir) {
  const bin = process.env.SWITCHYARD_BIN || fail('SWITCHYARD_BIN is not set');
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SWITCHYARD_') && !k.startsWith('REALTIME_')) env[k] = v;
  env.SWITCHYARD_JWT_SECRET = SECRET;
  env.SWITCHYARD_API_KEY = API_KEY;
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-browser-'));
    dirs.push(dataDir);
  }
  env.SWITCHYARD_DATA_DIR = path.join(dataDir, 'store'); // rocksdb: events survive a restart
  const child = spawn(bin, ['serve', '--listen', listen], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stderr.resume();
  const m = await waitFor(child.stdout, /switchyard listening on ([0-9.]+):(\d+)/, 'listening line');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { base: `http://${m[1]}:${m[2]}`, listen: `${m[1]}:${m[2]}`, dataDir,
    stop: () => { child.kill('SIGTERM'); return exited; } };
}

async function startChromium(url) {
  const bin = process.env.CHROMIUM || '/usr/bin/chromium';
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-chromium-'));
  dirs.push(profile);
  const child = spawn(bin, ['--headless=new', '--no-sandbox', '--disable-gpu',
    '--no-first-run', '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1',
    '--user-data-dir=' + profile, url], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const m = await waitFor(child.stderr, /DevTools listening on ws:\/\/([0-9.:]+)\//, 'DevTools line');
  return m[1];
}

// One DevTools session on the page target.
async function pageSession(devtools) {
  let target;
  for (let i = 0; i < 50 && !target; ++i) {
    const list = await (await fetch(`http://${devtools}/json/list`)).json();
    target = list.find((t) => t.type === 'page' && t.url.startsWith('file:'));
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  if (!target) fail('no page target');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let next = 1;
  const waiting = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  };
  return {
    evaluate(expression) {
      const id = next++;
      ws.send(JSON.stringify({ id, method: 'Runtime.evaluate',
        params: { expression, awaitPromise: true, returnByValue: true } }));
      return new Promise((resolve) => waiting.set(id, (msg) => {
        if (msg.error || msg.result.exceptionDetails)
          return failQuietly('evaluate failed: ' + JSON.stringify(msg));
        resolve(msg.result.result.value);
      }));
    },
    close() { ws.close(); },
  };
}

async function main() {
  let daemon = await startDaemon('127.0.0.1:0');
  const base = daemon.base;
  const channel = 'browser.sse';
  const streamUrl = `${base}/v1/channels/${channel}/stream?token=${mintToken('browser')}`;
  // The page records every event it receives; `window.state` is read over DevTools.
  const page = `<!doctype html><title>sse</title><script>
window.state = { open: false, events: [], errors: 0 };
const es = new EventSource(${JSON.stringify(streamUrl)});
es.addEventListener('subscribed', (e) => {
  window.state.open = true;
  window.state.confirmations = (window.state.confirmations || 0) + 1;
  window.state.lastConfirmation = JSON.parse(e.data);
});
es.addEventListener('browser.test', (e) => {
  window.state.events.push({ id: e.lastEventId, seq: JSON.parse(e.data).seq });
});
es.onerror = () => { window.state.errors++; };
</script>`;
  const pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-page-'));
  dirs.push(pageDir);
  fs.writeFileSync(path.join(pageDir, 'sse.html'), page);
  const devtools = await startChromium('file://' + path.join(pageDir, 'sse.html'));
  const s = await pageSession(devtools);
  const poll = async (expr, what) => {
    for (let i = 0; i < 100; ++i) {
      if (await s.evaluate(expr)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    fail(what + '; page state: ' + JSON.stringify(await s.evaluate('window.state')));
  };
  await poll('window.state && window.state.open', 'the EventSource never got its confirmation');
  const ids = [];
  const publishSome = async (from, to) => {
    for (let i = from; i <= to; ++i) {
      const r = await fetch(`${base}/v1/channels/${channel}/events`, {
        method: 'POST',
        headers: { authorization: 'Bearer ' + API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'browser.test', data: { i } }),
      });
      if (r.status !== 201) fail('publish answered ' + r.status);
      ids.push((await r.json()).id);
    }
  };
  const check = async (n) => {
    await poll(`window.state.events.length >= ${n}`, `the page did not receive ${n} events`);
    const state = await s.evaluate('window.state');
    const got = state.events.map((e) => e.seq).join(',');
    const want = Array.from({ length: n }, (_, i) => i + 1).join(',');
    if (got !== want) fail('events missing, out of order or repeated: ' + got);
    const gotIds = state.events.map((e) => e.id).join(',');
    if (gotIds !== ids.join(',')) fail('lastEventId is not the cursor: ' + gotIds + ' vs ' + ids.join(','));
    return state;
  };
  await publishSome(1, 5);
  await check(5);
  // The daemon restarts on the same port and store: EventSource reconnects by itself with
  // Last-Event-ID, and the stream goes on after the last event it had -- the events published
  // while it was away first, none twice.
  await daemon.stop();
  daemon = await startDaemon(daemon.listen, daemon.dataDir);
  await publishSome(6, 8);
  await poll('window.state.confirmations >= 2', 'EventSource did not reconnect');
  const state = await check(8);
  if (state.lastConfirmation.recovered !== true)
    fail('the resume was not recovered: ' + JSON.stringify(state.lastConfirmation));
  const got = state.events.map((e) => e.seq).join(',');
  s.close();
  console.log('ok: EventSource in Chromium received ' + got);
  await cleanup();
  process.exit(0);
}

main().catch((e) => failQuietly(e.stack || String(e)));
