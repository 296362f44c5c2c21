// The admin console (GET /admin) in headless Chromium against the real daemon: the page loads
// with its Content-Security-Policy, signs in with the API key, shows live numbers from
// console.stats over the router's WebSocket, publishes through its form, and the "Publishes"
// number grows within a bounded time; no console error, no exception, no CSP violation from
// start to end. It saves a screenshot of the overview (docs/admin-console.png is one such).
// Chromium is driven over the DevTools protocol with Node's own WebSocket (no npm package).
// Usage: node --experimental-websocket admin_console.mjs
// Env: SWITCHYARD_BIN, CHROMIUM (default /usr/bin/chromium), SCREENSHOT (default
// ./admin-console.png). Exit 0 = passed.
import fs from 'node:fs';
import path from 'node:path';

import { harness, sleep } from './harness.mjs';

const API_KEY = 'console-test-key';
const { fail, failQuietly, cleanup, startDaemon, startChromium, pageSession } = harness(60000);

async function main() {
  const { base } = await startDaemon({
    env: { SWITCHYARD_JWT_SECRET: 'console-test-secret', SWITCHYARD_API_KEY: API_KEY },
    args: ['--set', 'admin.stats_interval_ms=250'],
  });
  // The files come from the binary, with their types and a strict policy.
  const head = await fetch(base + '/admin');
  if (head.status !== 200) fail('GET /admin answered ' + head.status);
  const csp = head.headers.get('content-security-policy') || '';
  if (!/default-src 'none'/.test(csp) || !/script-src 'self'/.test(csp) || /unsafe-inline/.test(csp))
    fail('Content-Security-Policy is not strict: ' + csp);
  if (!/^text\/html/.test(head.headers.get('content-type'))) fail('index type ' + head.headers.get('content-type'));
  if (head.headers.get('cache-control') !== 'no-store') fail('cache-control ' + head.headers.get('cache-control'));
  const js = await fetch(base + '/admin/app.js');
  if (!/^text\/javascript/.test(js.headers.get('content-type'))) fail('app.js type ' + js.headers.get('content-type'));

  const s = await pageSession(await startChromium('about:blank',
    ['--hide-scrollbars', '--window-size=1200,820']));
  await s.send('Runtime.enable');
  await s.send('Log.enable');
  await s.send('Page.enable');
  await s.send('Page.navigate', { url: base + '/admin' });
  const poll = async (expr, what, ms = 10000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await s.evaluate(expr)) return;
      await sleep(100);
    }
    fail(what + '; problems: ' + JSON.stringify(s.problems) + '; live: '
      + await s.evaluate('document.body && document.body.dataset.live'));
  };
  const publishes = () => s.evaluate(
    "Number(document.querySelector('[data-stat=\"publishes\"]').dataset.value ?? -1)");

  await poll("document.getElementById('login') && !document.getElementById('login').hidden",
    'the sign-in form did not show');
  await s.evaluate(`document.getElementById('credential').value = ${JSON.stringify(API_KEY)};
    document.getElementById('login-form').requestSubmit(); true`);
  await poll("document.body.dataset.live === 'live'", 'the console did not go live');
  await poll("document.querySelector('[data-stat=\"publishes\"]').dataset.value !== undefined",
    'no console.stats event reached the page');
  const before = await publishes();
  if (before < 0) fail('no publishes number');

  // Publish through the form.
  await s.evaluate(`document.querySelector('[data-tab="publish"]').click();
    document.getElementById('pub-channel').value = 'orders.eu';
    document.getElementById('pub-type').value = 'order.created';
    document.getElementById('pub-data').value = '{"id": 1, "total": 42.5}';
    document.getElementById('publish-form').requestSubmit(); true`);
  await poll("/^Published orders\\.eu #1 /.test(document.getElementById('publish-result').textContent)",
    'the publish form did not report the stored event');
  await s.evaluate(`document.querySelector('[data-tab="overview"]').click(); true`);
  await poll(`Number(document.querySelector('[data-stat="publishes"]').dataset.value) > ${before}`,
    `"Publishes" did not grow past ${before} after the form's publish`, 5000);
  const after = await publishes();

  // A little traffic so the overview and its rate chart show something, then the picture.
  for (let i = 0; i < 40; ++i) {
    const r = await fetch(`${base}/v1/channels/orders.${i % 3 ? 'us' : 'eu'}/events`, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'order.created', data: { id: i + 2 } }),
    });
    if (r.status !== 201) fail('REST publish answered ' + r.status);
    await sleep(i * 4);
  }
  await poll(`Number(document.querySelector('[data-stat="publishes"]').dataset.value) >= ${after + 40}`,
    'the REST publishes did not show', 5000);
  // The picture is taken while publishes go on, so the rates are not zero.
  let publishing = true;
  const background = (async () => {
    for (let i = 0; publishing && i < 500; ++i) {
      await fetch(`${base}/v1/channels/orders.us/events`, {
        method: 'POST',
        headers: { authorization: 'Bearer ' + API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'order.created', data: { id: 100 + i } }),
      });
      await sleep(20);
    }
  })();
  await sleep(1200);
  const shot = await s.send('Page.captureScreenshot', { format: 'png' });
  publishing = false;
  await background;
  const out = process.env.SCREENSHOT || path.resolve('admin-console.png');
  fs.writeFileSync(out, Buffer.from(shot.data, 'base64'));

  // The cluster view needs no admin API.
  await s.evaluate(`document.querySelector('[data-tab="cluster"]').click(); true`);
  await poll("/Not clustered/.test(document.getElementById('cluster-summary').textContent)",
    'the cluster view did not load');
  if (s.problems.length) fail('the page reported errors: ' + JSON.stringify(s.problems));

  // The channel browser: with the admin API the list, the detail and the history; without it
  // (a node that does not serve GET /v1/channels) the server's answer is shown as it came, and
  // the history still reads. The browser logs those 404 loads as errors: only they may appear.
  const api = await fetch(base + '/v1/channels?prefix=orders.', { headers: { authorization: 'Bearer ' + API_KEY } });
  await s.evaluate(`document.querySelector('[data-tab="channels"]').click();
    document.getElementById('prefix').value = 'orders.';
    document.getElementById('channel-filter').requestSubmit(); true`);
  if (api.status === 200) {
    await poll("[...document.querySelectorAll('#channel-rows button')].some((b) => b.textContent === 'orders.eu')",
      'orders.eu is not listed');
    await s.evaluate(`[...document.querySelectorAll('#channel-rows button')].find((b) => b.textContent === 'orders.eu').click(); true`);
    await poll("/subscribers/.test(document.getElementById('detail-fields').textContent)",
      'the channel detail did not show');
  } else {
    await poll(`/→ ${api.status} /.test(document.getElementById('channels-error').textContent)`,
      `the list's ${api.status} is not shown`);
    await s.evaluate(`document.getElementById('open-name').value = 'orders.eu';
      document.getElementById('channel-open').requestSubmit(); true`);
    await poll(`/→ ${api.status} /.test(document.getElementById('detail-error').textContent)`,
      `the detail's ${api.status} is not shown`);
  }
  await poll("/order\\.created/.test(document.getElementById('history-rows').textContent)",
    'the history of orders.eu did not show');
  if (process.env.SCREENSHOT_CHANNELS) // the channel view, for a look by hand
    fs.writeFileSync(process.env.SCREENSHOT_CHANNELS,
      Buffer.from((await s.send('Page.captureScreenshot', { format: 'png' })).data, 'base64'));
  const unexpected = s.problems.filter((p) => api.status === 200
    || !(/^log \(network\)/.test(p) && /\/v1\/channels/.test(p)));
  if (unexpected.length) fail('the channel browser reported errors: ' + JSON.stringify(unexpected));
  s.close();
  console.log(`ok: publishes ${before} -> ${after} after the form's publish; screenshot ${out}`);
  await cleanup();
  process.exit(0);
}

main().catch((e) => failQuietly(e.stack || String(e)));
