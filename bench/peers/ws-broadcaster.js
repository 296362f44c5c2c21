// Baseline peer for scripts/bench.sh: the simplest useful Node broadcaster built on npm `ws`.
//   WS   GET  /sub  → joins the broadcast set
//   HTTP POST /pub  → the raw body is sent as one text message to every connected client
// Prints "ws-broadcaster listening on HOST:PORT" once ready (bench.sh waits for it).
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const [host, port] = (process.argv[2] || '127.0.0.1:9011').split(':');
const clients = new Set();

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/pub') {
    res.writeHead(404, { 'Content-Length': '0' });
    return res.end();
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    // binary:false → text frames, like Nchan and Switchyard send; no per-message deflate.
    for (const ws of clients) ws.send(body, { binary: false });
    const out = `{"subscribers":${clients.size}}`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': out.length });
    res.end(out);
  });
});
// The load generator holds keep-alive connections for the whole run.
server.keepAliveTimeout = 120000;
server.headersTimeout = 125000;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/sub') return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
  });
});

server.listen(Number(port), host, 4096, () => {
  const a = server.address();
  console.log(`ws-broadcaster listening on ${a.address}:${a.port}`);
});
const stop = () => {
  // close() waits for keep-alive sockets; do not let a lingering client hold the exit.
  for (const ws of clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
