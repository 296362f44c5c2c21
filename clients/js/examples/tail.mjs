// Prints every event of the given channels as one JSON line, resuming across restarts of the
// server: the client in a dozen lines. Node >= 22 has a WebSocket; older Node uses the npm `ws`
// package (`npm install` in clients/js installs it).
//   node clients/js/examples/tail.mjs [--url ws://127.0.0.1:9009/realtime] [--token JWT] CHANNEL...
// The token defaults to SWITCHYARD_TOKEN (`build/switchyard token --sub me` prints one).
import { Client } from '../src/index.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args.splice(i, 2)[1];
};
const url = opt('--url', 'ws://127.0.0.1:9009/realtime');
const token = opt('--token', process.env.SWITCHYARD_TOKEN);
if (!token || args.length === 0) {
  console.error('usage: node tail.mjs [--url WS_URL] [--token JWT | env SWITCHYARD_TOKEN] CHANNEL...');
  process.exit(1);
}
let WebSocket = globalThis.WebSocket;
if (!WebSocket) {
  try {
    WebSocket = (await import('ws')).default;
  } catch {
    console.error('this Node has no WebSocket: run `npm install` in clients/js (installs ws)');
    process.exit(1);
  }
}

const client = new Client({ url, token, WebSocket });
client.on('close', (c) => console.error(`connection closed (${c.code}), retrying in ${c.delayMs} ms`));
for (const channel of args) {
  client.subscribe(channel, {
    onEvent: (e) => console.log(JSON.stringify(e)),
    onSubscribed: (i) => console.error(`${i.topic}: subscribed${i.resumed ? ', resumed' : ''}`),
    onGap: (i) => console.error(`${i.topic}: events missed (recovered:false), history resumes after the gap`),
    onError: (e) => console.error(`${channel}: refused: ${e.code} ${e.message ?? ''}`),
  });
}
