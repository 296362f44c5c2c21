// A browser's EventSource against the real daemon: headless Chromium opens a page (a file:
// URL, so the stream is cross-origin and its CORS headers are exercised too; a data: URL
// counts as a public page, which Chromium does not let reach a loopback address) whose
// EventSource subscribes to GET /v1/channels/{c}/stream; the test publishes over REST and
// fails unless the page received every event, in order, with its cursor as lastEventId --
// also across a daemon restart, which EventSource rides out by reconnecting with Last-Event-ID.
// Chromium is driven over the DevTools protocol with Node's own WebSocket, no npm package.
// Usage: node --experimental-websocket sse_eventsource.mjs   Env: SWITCHYARD_BIN, CHROMIUM.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { harness } from './harness.mjs';

const SECRET = 'browser-test-secret';
const API_KEY = 'browser-test-key';
const { fail, failQuietly, cleanup, tempDir, startDaemon, startChromium, pageSession } =
  harness(40000);
const secrets = { SWITCHYARD_JWT_SECRET: SECRET, SWITCHYARD_API_KEY: API_KEY };

function b64url(x) {
  return Buffer.from(x).toString('base64url');
}
function mintToken(sub) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.'
    + b64url(JSON.stringify({ sub, iat: now, exp: now + 3600 }));
  return head + '.' + crypto.createHmac('sha256', SECRET).update(head).digest('base64url');
}

async function main() {
  // rocksdb (the default): the events survive the restart below.
  let daemon = await startDaemon({ env: secrets });
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
  const pageDir = tempDir('sy-page-');
  fs.writeFileSync(path.join(pageDir, 'sse.html'), page);
  const devtools = await startChromium('file://' + path.join(pageDir, 'sse.html'));
  const s = await pageSession(devtools, (t) => t.type === 'page' && t.url.startsWith('file:'));
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
  daemon = await startDaemon({ listen: daemon.listen, dataDir: daemon.dataDir, env: secrets });
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
