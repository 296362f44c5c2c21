// What the headless-Chromium tests share: failing once (clean up, exit 1), a deadline, no child
// outliving the test, a daemon started with only the environment it is given, Chromium with a
// DevTools port, and one DevTools session on a page (Node's own WebSocket, no npm package).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One test's harness: everything it starts is stopped and everything it makes is removed when
// it ends, passes or fails, or when `deadlineMs` runs out.
export function harness(deadlineMs) {
  const children = [];
  const dirs = [];
  let failing = false;

  // Kills what the test started and waits (bounded) for it to exit before removing its
  // directories: Chromium writes into its profile until it is gone.
  async function cleanup() {
    const exits = children.filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((resolve) => {
        c.on('exit', resolve);
        setTimeout(resolve, 3000).unref();
        try { c.kill('SIGKILL'); } catch { resolve(); }
      }));
    await Promise.all(exits);
    for (const d of dirs) {
      try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  }
  // Reports once, cleans up, exits 1; throws so that the caller's flow stops here.
  function fail(msg) {
    if (!failing) {
      failing = true;
      console.error('FAIL: ' + msg);
      cleanup().finally(() => process.exit(1));
    }
    throw new Error('FAIL: ' + msg);
  }
  function failQuietly(msg) { // from timers and event handlers: nothing above to unwind
    try { fail(msg); } catch { /* reported */ }
  }
  process.on('exit', () => {
    for (const c of children) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
  });
  setTimeout(() => failQuietly('did not finish within ' + deadlineMs + ' ms'), deadlineMs).unref();

  function tempDir(prefix) {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  }

  // Resolves with the first match of `re` in what `stream` prints (15 s at most).
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

  // `switchyard serve --listen <listen> <args>` with none of the caller's SWITCHYARD_* or
  // REALTIME_* variables, only `env`, and its store in `dataDir`/store (a new directory unless
  // given: a restart passes the one it had, and the port).
  async function startDaemon({ listen = '127.0.0.1:0', env = {}, args = [], dataDir } = {}) {
    const bin = process.env.SWITCHYARD_BIN || fail('SWITCHYARD_BIN is not set');
    const childEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith('SWITCHYARD_') && !k.startsWith('REALTIME_')) childEnv[k] = v;
    Object.assign(childEnv, env);
    dataDir = dataDir || tempDir('sy-browser-');
    childEnv.SWITCHYARD_DATA_DIR = path.join(dataDir, 'store');
    const child = spawn(bin, ['serve', '--listen', listen, ...args],
      { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stderr.resume();
    const m = await waitFor(child.stdout, /switchyard listening on ([0-9.]+):(\d+)/, 'listening line');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return { base: `http://${m[1]}:${m[2]}`, listen: `${m[1]}:${m[2]}`, dataDir,
      stop: () => { child.kill('SIGTERM'); return exited; } };
  }

  // Headless Chromium on `url` with its own profile; resolves with its DevTools host:port.
  async function startChromium(url, extraArgs = []) {
    const bin = process.env.CHROMIUM || '/usr/bin/chromium';
    const profile = tempDir('sy-chromium-');
    const child = spawn(bin, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--no-default-browser-check', '--remote-debugging-port=0',
      '--remote-debugging-address=127.0.0.1', '--user-data-dir=' + profile, ...extraArgs, url],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    const m = await waitFor(child.stderr, /DevTools listening on ws:\/\/([0-9.:]+)\//, 'DevTools line');
    return m[1];
  }

  // One DevTools session on the first page target `pick` accepts. `problems` collects every
  // exception, console error and error log entry the page reports (once the caller enables
  // the Runtime and Log domains).
  async function pageSession(devtools, pick = (t) => t.type === 'page') {
    let target;
    for (let i = 0; i < 50 && !target; ++i) {
      const list = await (await fetch(`http://${devtools}/json/list`)).json();
      target = list.find(pick);
      if (!target) await sleep(100);
    }
    if (!target) fail('no page target');
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    let next = 1;
    const waiting = new Map();
    const problems = [];
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.id && waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
        return;
      }
      const p = msg.params || {};
      if (msg.method === 'Runtime.exceptionThrown')
        problems.push('exception: ' + JSON.stringify(p.exceptionDetails));
      else if (msg.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
        problems.push('console.' + p.type + ': ' + JSON.stringify(p.args));
      else if (msg.method === 'Log.entryAdded' && p.entry && p.entry.level === 'error')
        problems.push('log (' + p.entry.source + '): ' + p.entry.text + ' ' + (p.entry.url || ''));
    };
    const send = (method, params = {}) => {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => waiting.set(id, (msg) => {
        if (msg.error) return failQuietly(method + ' failed: ' + JSON.stringify(msg.error));
        resolve(msg.result);
      }));
    };
    return {
      send,
      problems,
      async evaluate(expression) {
        const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
        if (r.exceptionDetails) fail('evaluate failed: ' + JSON.stringify(r.exceptionDetails));
        return r.result.value;
      },
      close() { ws.close(); },
    };
  }

  return { fail, failQuietly, cleanup, tempDir, waitFor, startDaemon, startChromium, pageSession };
}
