// The JavaScript client in headless Chromium with the browser's WebSocket: a page served from
// loopback subscribes; the daemon is SIGKILLed mid-stream and started again on the same port and
// data dir; the page must see every event once, in order. Env: SWITCHYARD_BIN, CHROMIUM (default
// /usr/bin/chromium). Exit 0 = passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon, checkExactlyOnce, deadline, fail, mintToken, sleep, waitFor } from '../../clients/jsclient_support.mjs';

deadline(55000);
const here = path.dirname(fileURLToPath(import.meta.url));
const clientDir = path.resolve(here, '../../../clients/js/src');

const reports = [];

// Serves the page, the client module, tokens (6 s: refreshed in-band during the run) and takes
// the page's reports.
function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/report') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { reports.push(JSON.parse(body)); res.end(); });
      return;
    }
    if (url.pathname === '/token') return res.end(mintToken({ sub: 'browser-app' }, 6));
    let file = null;
    if (url.pathname === '/') file = path.join(here, 'page.html');
    else if (/^\/client\/[a-z_]+\.js$/.test(url.pathname)) file = path.join(clientDir, url.pathname.slice(8));
    if (!file || !fs.existsSync(file)) {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('Content-Type', file.endsWith('.js') ? 'text/javascript' : 'text/html');
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function startChromium(url) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-chromium-'));
  const child = spawn(process.env.CHROMIUM || '/usr/bin/chromium', [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--no-default-browser-check', `--user-data-dir=${profile}`, url,
  ], { stdio: 'ignore', detached: true });
  child.on('error', (e) => fail('chromium: ' + e.message));
  // The browser's own process group: its renderer and helpers go with it.
  process.on('exit', () => {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    fs.rmSync(profile, { recursive: true, force: true });
  });
}

const d = await new Daemon(['auth.leeway_s=0']).start();
const server = await serve();
const topic = 'jsc.browser';
startChromium(`http://127.0.0.1:${server.address().port}/?ws=${encodeURIComponent(`ws://${d.base}/realtime`)}&topic=${topic}`);
const kinds = (k) => reports.filter((r) => r.kind === k);
await waitFor(() => kinds('subscribed').length, 'the page to subscribe', 20000);
const total = 100;
for (let n = 1; n <= total; n++) {
  await d.publish(topic, n);
  if (n === 30) {
    await waitFor(() => kinds('event').length >= 15, 'events before the kill');
    await d.kill();
    await sleep(300);
    await d.start();
  }
  await sleep(40);
}
await waitFor(() => kinds('event').length >= total, `all ${total} events in the page`, 15000);
await sleep(300);
const got = kinds('event').sort((a, b) => a.i - b.i).map((r) => r.n);
checkExactlyOnce(got, total, 'browser client');
if (kinds('loaded')[0]?.webSocket !== 'function') fail('no browser WebSocket: ' + JSON.stringify(kinds('loaded')));
if (kinds('error').length) fail('page errors ' + JSON.stringify(kinds('error')));
if (kinds('gap').length) fail('gap reported ' + JSON.stringify(kinds('gap')));
const resumed = kinds('subscribed').filter((s) => s.resumed && s.recovered === true);
if (!resumed.length) fail('no recovered resume: ' + JSON.stringify(kinds('subscribed')));
if (kinds('close').some((c) => c.code === 4001)) fail('closed 4001: a token refresh was missed');
if (!kinds('refreshed').length) fail('no in-band token refresh');
console.log(`PASS browser: ${got.length} events, ${kinds('close').length} drops, ${kinds('refreshed').length} refreshes`);
process.exit(0);
