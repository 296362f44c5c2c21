// The JavaScript client's logic without a server: backoff bounds, the token provider's calls,
// resubscription from the last cursor and duplicate suppression, driven through a fake
// WebSocket. Run: node --test tests/clients/jsclient_unit.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import { Client, applyMergePatch, backoffDelay, tokenExpiry } from '../../clients/js/src/index.js';

// A WebSocket the test opens, feeds and closes by hand; sent frames are parsed into `sent`.
class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = new URL(url);
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(s) { this.sent.push(JSON.parse(s)); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen(); }
  frame(f) { this.onmessage({ data: JSON.stringify(f) }); }
  drop(code = 1006) { this.readyState = 3; this.onclose({ code, reason: '' }); }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
async function nextSocket(n) {
  for (let i = 0; i < 200 && FakeSocket.all.length < n; i++) await tick(2);
  assert.equal(FakeSocket.all.length, n, 'a connection attempt');
  return FakeSocket.all[n - 1];
}
function jwt(exp) {
  const b = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
  return `${b({ alg: 'HS256' })}.${b({ sub: 'u', exp })}.sig`;
}

test('backoff: 1 s doubling to 30 s, jittered between half and all of each step', () => {
  assert.equal(backoffDelay(0, {}, () => 0), 500);
  assert.equal(backoffDelay(0, {}, () => 1), 1000);
  assert.equal(backoffDelay(3, {}, () => 1), 8000);
  assert.equal(backoffDelay(5, {}, () => 1), 30000);
  assert.equal(backoffDelay(50, {}, () => 0), 15000);
});

test('merge patch and token expiry', () => {
  assert.deepEqual(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }),
                   { a: 'z', c: { d: 'e' } });
  assert.deepEqual(applyMergePatch({ a: [1] }, { a: [2], b: { c: null } }), { a: [2], b: {} });
  assert.equal(tokenExpiry(jwt(1234)), 1234);
  assert.equal(tokenExpiry('not a token'), null);
});

test('reconnects with growing delays, reset once a connection opens', async () => {
  FakeSocket.all = [];
  const c = new Client({ url: 'ws://h:1', token: 't', WebSocket: FakeSocket,
                         backoff: { initialMs: 4, maxMs: 64 } });
  const delays = [];
  c.on('close', (e) => delays.push(e.delayMs));
  c.connect();
  (await nextSocket(1)).drop();
  (await nextSocket(2)).drop();
  (await nextSocket(3)).drop();
  const s4 = await nextSocket(4);
  assert.equal(s4.url.pathname, '/realtime');
  assert.equal(s4.url.searchParams.get('token'), 't');
  s4.open();
  s4.drop();
  await nextSocket(5);
  c.close();
  assert.ok(delays[0] >= 2 && delays[0] <= 4, `first ${delays}`);
  assert.ok(delays[2] >= 8 && delays[2] <= 16, `third ${delays}`);
  assert.ok(delays[3] >= 2 && delays[3] <= 4, `after an open ${delays}`);
});

test('token provider: first connect, after 4001, after a failed handshake; not after a drop', async () => {
  FakeSocket.all = [];
  let calls = 0;
  const c = new Client({ url: 'ws://h:1/realtime', WebSocket: FakeSocket, backoff: { initialMs: 2 },
                         token: async () => jwt(Math.floor(Date.now() / 1000) + 3600 + calls++) });
  c.connect();
  const s1 = await nextSocket(1);
  assert.equal(calls, 1);
  s1.open();
  s1.drop(1006); // an opened connection dropped: the token is still good
  const s2 = await nextSocket(2);
  assert.equal(calls, 1);
  assert.equal(s2.url.searchParams.get('token'), s1.url.searchParams.get('token'));
  s2.open();
  s2.drop(4001);
  const s3 = await nextSocket(3);
  assert.equal(calls, 2);
  s3.drop(1006); // never opened: maybe a refused token
  await nextSocket(4);
  assert.equal(calls, 3);
  c.close();
});

test('resubscribes from the last delivered cursor and drops what it already delivered', async () => {
  FakeSocket.all = [];
  const c = new Client({ url: 'ws://h:1', token: 't', WebSocket: FakeSocket, backoff: { initialMs: 2 } });
  const got = [];
  const infos = [];
  c.subscribe('a', { scopes: { k: 'v' }, onEvent: (e) => got.push(e.seq), onSubscribed: (i) => infos.push(i) });
  const s1 = await nextSocket(1);
  s1.open();
  assert.deepEqual(s1.sent, [{ op: 'subscribe', topics: ['a'], scopes: { k: 'v' } }]);
  const ev = (seq) => ({ op: 'event', topic: 'a', channel: 'a', seq, id: `e-${seq}`, data: {} });
  s1.frame(ev(1)); // before the confirmation: not this subscription's
  s1.frame({ op: 'subscribed', topic: 'a', cursor: 'e-1', replay: 0 });
  s1.frame(ev(2));
  s1.frame(ev(3));
  s1.drop();
  const s2 = await nextSocket(2);
  s2.open();
  assert.deepEqual(s2.sent, [{ op: 'subscribe', topics: ['a'], scopes: { k: 'v' }, since: { a: 'e-3' } }]);
  s2.frame({ op: 'subscribed', topic: 'a', cursor: 'e-5', replay: 2, recovered: true });
  s2.frame(ev(3)); // already delivered
  s2.frame(ev(4));
  s2.frame(ev(5));
  assert.deepEqual(got, [2, 3, 4, 5]);
  assert.equal(infos[1].resumed, true);
  assert.equal(infos[1].recovered, true);
  c.close();
});

test('close() and connect() while the token provider is pending open one socket', async () => {
  FakeSocket.all = [];
  let release;
  const first = new Promise((r) => { release = r; });
  let calls = 0;
  const c = new Client({ url: 'ws://h:1', WebSocket: FakeSocket,
                         token: () => (calls++ === 0 ? first : Promise.resolve('t2')) });
  c.connect();
  c.close();
  c.connect();
  await nextSocket(1);
  release('t1');
  await tick(20);
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(FakeSocket.all[0].url.searchParams.get('token'), 't2');
  c.close();
});
