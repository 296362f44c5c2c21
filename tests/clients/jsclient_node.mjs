// The JavaScript client (clients/js) in Node with the npm `ws` package against the real daemon.
// Usage: node jsclient_node.mjs <scenario>; env SWITCHYARD_BIN. Exit 0 = passed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Client } from '../../clients/js/src/index.js';
import { Daemon, checkExactlyOnce, deadline, fail, mintToken, sleep, waitFor } from './jsclient_support.mjs';

deadline(50000);

const scenarios = {
  // A stream of publishes; the daemon is SIGKILLed mid-stream and started again on the same
  // port and data dir. The application sees every event once, in order, and no gap is reported.
  // Tokens live 4 s, so the in-band refresh runs several times (and the server, with no
  // leeway, would close 4001 if one were missed).
  async restart() {
    const d = await new Daemon(['auth.leeway_s=0']).start();
    let provided = 0;
    const client = new Client({
      url: `ws://${d.base}/realtime`, WebSocket,
      token: async () => { provided++; return mintToken({ sub: 'node-app' }, 4); },
    });
    const got = [];
    const gaps = [];
    const closes = [];
    let refreshed = 0;
    client.on('close', (c) => closes.push(c.code));
    client.on('refreshed', () => refreshed++);
    const confirmed = [];
    client.subscribe('jsc.orders', {
      onEvent: (e) => got.push(e.data.n),
      onSubscribed: (i) => confirmed.push(i),
      onGap: (i) => gaps.push(i),
    });
    await waitFor(() => confirmed.length === 1, 'the first confirmation');
    const total = 120;
    for (let n = 1; n <= total; n++) {
      await d.publish('jsc.orders', n);
      if (n === 40) {
        await waitFor(() => got.length >= 20, 'events before the kill');
        await d.kill();
        await sleep(300); // publishes 41.. wait in the retry loop: the daemon is down
        await d.start();
      }
      await sleep(25);
    }
    await waitFor(() => got.length >= total, `all ${total} events (have ${got.length})`, 15000);
    await sleep(300); // a duplicate would arrive now
    checkExactlyOnce(got, total, 'node client');
    if (gaps.length) fail('gap reported ' + JSON.stringify(gaps));
    if (confirmed.length < 2 || !confirmed[1].resumed || confirmed[1].recovered !== true)
      fail('no recovered resume after the restart: ' + JSON.stringify(confirmed));
    if (closes.includes(4001)) fail('closed 4001: a token refresh was missed');
    if (refreshed < 1 || provided < 2) fail(`refreshes ${refreshed}, provider calls ${provided}`);
    client.close();
    console.log(`events ${got.length}, reconnects ${confirmed.length - 1}, refreshes ${refreshed}`);
  },

  // A cursor older than the history window: the client says so (onGap, recovered:false) and
  // delivers what is retained, oldest first.
  async gap() {
    const d = await new Daemon(['history.size=10']).start();
    const first = await d.publish('jsc.gap', 1);
    for (let n = 2; n <= 25; n++) await d.publish('jsc.gap', n);
    const client = new Client({ url: `http://${d.base}`.replace('http', 'ws'), WebSocket,
                                token: mintToken({ sub: 'node-app' }) });
    const got = [];
    const gaps = [];
    client.subscribe('jsc.gap', { since: first.id, onEvent: (e) => got.push(e.data.n),
                                  onGap: (i) => gaps.push(i) });
    await waitFor(() => got.length >= 10 && gaps.length, 'the replay and the gap report');
    if (gaps[0].recovered !== false || gaps[0].topic !== 'jsc.gap') fail('gap ' + JSON.stringify(gaps));
    if (got.join() !== [16, 17, 18, 19, 20, 21, 22, 23, 24, 25].join()) fail('replay ' + got);
    client.close();
  },

  // Unsubscribe stops delivery; a refused topic reaches onError and is not resubscribed.
  async unsubscribe() {
    const d = await new Daemon([]).start();
    const client = new Client({ url: `ws://${d.base}/realtime`, WebSocket, token: mintToken({ sub: 'a' }) });
    const got = [];
    const errors = [];
    const ok = [];
    const sub = client.subscribe('jsc.u', { onEvent: (e) => got.push(e.data.n), onSubscribed: () => ok.push(1) });
    client.subscribe('bad topic', { onError: (e) => errors.push(e) });
    await waitFor(() => ok.length && errors.length, 'confirmation and refusal');
    if (errors[0].code !== 'invalid_topic') fail('refusal ' + JSON.stringify(errors[0]));
    await d.publish('jsc.u', 1);
    await waitFor(() => got.length === 1, 'event 1');
    sub.unsubscribe();
    await d.publish('jsc.u', 2);
    await sleep(300);
    if (got.join() !== '1') fail('after unsubscribe ' + got);
    client.close();
  },

  // Rooms: two members see each other, state patches converge, a stale version is refused;
  // after a SIGKILL restart both join again and see each other again.
  async rooms() {
    const d = await new Daemon([]).start();
    const mk = (sub) => new Client({ url: `ws://${d.base}/realtime`, WebSocket, token: mintToken({ sub, publish: ['room.*'] }) });
    const a = mk('alice');
    const b = mk('bob');
    const ra = a.join('lobby', { info: { name: 'Ann' } });
    await ra.ready;
    const bEvents = [];
    const rb = b.join('lobby', { info: { name: 'Bob' }, onEvent: (e) => bEvents.push(e) });
    await rb.ready;
    await waitFor(() => ra.members.size === 2 && rb.members.size === 2, 'both members on both sides');
    const v = await ra.patchState({ title: 'hi', n: 1 });
    if (v !== 1) fail('version ' + v);
    await waitFor(() => rb.version === 1 && rb.state.title === 'hi', 'the state on bob');
    const conflict = await rb.patchState({ n: 2 }, 0).then(() => null, (e) => e);
    if (!conflict || conflict.message !== 'version_conflict') fail('stale patch ' + conflict);
    ra.setInfo({ name: 'Ann B.' });
    await waitFor(() => [...rb.members.values()].some((m) => m.info.name === 'Ann B.'), 'the info update');
    ra.publish('chat', { text: 'yo' });
    await waitFor(() => bEvents.some((e) => e.type === 'chat' && e.data.text === 'yo'), 'the room event');
    await d.kill();
    await d.start();
    await waitFor(() => ra.member !== null && rb.member !== null && ra.members.size === 2 &&
                        rb.members.size === 2, 'both members again after the restart', 15000);
    rb.leave();
    await waitFor(() => ra.members.size === 1, 'bob gone');
    a.close();
    b.close();
  },

  // The example scripts/run.sh and README.md print: clients/js/examples/tail.mjs prints each
  // event as one JSON line (with the global WebSocket of Node >= 22, `ws` from clients/js before).
  async example() {
    const d = await new Daemon([]).start();
    const script = fileURLToPath(new URL('../../clients/js/examples/tail.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, '--url', `ws://${d.base}/realtime`, 'jsc.ex'], {
      env: { ...process.env, SWITCHYARD_TOKEN: mintToken({ sub: 'example' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    process.on('exit', () => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { err += b; });
    child.on('exit', (code) => fail(`tail.mjs exited (${code}): ${err}`));
    await waitFor(() => err.includes('jsc.ex: subscribed'), 'the subscription: ' + err);
    for (let n = 1; n <= 3; n++) await d.publish('jsc.ex', n);
    await waitFor(() => out.split('\n').length > 3, 'three lines from tail.mjs: ' + out + err);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    if (lines.map((e) => e.data.n).join() !== '1,2,3' || lines[0].op !== 'event') fail('printed ' + out);
  },
};

const name = process.argv[2];
if (!scenarios[name]) fail('unknown scenario ' + name + '; one of ' + Object.keys(scenarios));
scenarios[name]().then(() => { console.log('PASS ' + name); process.exit(0); },
                       (e) => fail(e && e.stack || String(e)));
