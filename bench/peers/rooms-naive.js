// Naive rooms peer for scripts/bench.sh --rooms (scenario 8c): the Fabric join subset that
// sy_loadgen --room speaks (join → joined snapshot, then presence frames), with per-join
// fan-out: every join goes at once, as its own presence frame, to every member already in the
// room — what a server without presence batching sends (a storm of N joins costs N(N−1)/2
// frames). Nothing else of rooms (leave frames, state, metadata, limits); the token is not
// checked. Prints "rooms-naive listening on HOST:PORT" once ready (bench.sh waits for it).
//   WS GET /realtime?token=…   {"op":"join","room":"R","info":{...}}
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const [host, port] = (process.argv[2] || '127.0.0.1:9012').split(':');
const rooms = new Map(); // room name → { next: member number, members: Map(id → {entry, ws}) }
const sockets = new Set();

const server = http.createServer((req, res) => {
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

function join(ws, joined, msg) {
  let room = rooms.get(msg.room);
  if (!room) {
    room = { next: 1, members: new Map() };
    rooms.set(msg.room, room);
  }
  const id = String(room.next++);
  const entry = { member: id, user: 'bench', info: msg.info || {}, joinedAt: new Date().toISOString() };
  // Per-join fan-out: one frame per existing member, right now, no window.
  const diff = JSON.stringify({ op: 'presence', room: msg.room, joins: [entry], leaves: [], updates: [] });
  for (const m of room.members.values()) m.ws.send(diff);
  room.members.set(id, { entry, ws });
  joined.set(msg.room, id);
  ws.send(JSON.stringify({
    op: 'joined', room: msg.room, member: id,
    members: Array.from(room.members.values(), (m) => m.entry), metadata: {}, state: {}, version: 0,
  }));
}

function leave_all(joined) {
  for (const [name, id] of joined) {
    const room = rooms.get(name);
    if (!room) continue; // stopping: the rooms are gone
    room.members.delete(id);
    const diff = JSON.stringify({ op: 'presence', room: name, joins: [], leaves: [id], updates: [] });
    for (const m of room.members.values()) m.ws.send(diff);
  }
  joined.clear();
}

server.on('upgrade', (req, socket, head) => {
  if (!req.url.startsWith('/realtime')) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    const joined = new Map(); // room name → this connection's member id
    sockets.add(ws);
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        return ws.send('{"op":"error","code":"bad_request"}');
      }
      if (msg.op !== 'join' || typeof msg.room !== 'string' || joined.has(msg.room))
        return ws.send('{"op":"error","code":"bad_request"}');
      join(ws, joined, msg);
    });
    ws.on('close', () => {
      sockets.delete(ws);
      leave_all(joined);
    });
    ws.on('error', () => {});
  });
});

server.listen(Number(port), host, 4096, () => {
  const a = server.address();
  console.log(`rooms-naive listening on ${a.address}:${a.port}`);
});
const stop = () => {
  rooms.clear(); // no leave storm on the way out
  for (const ws of sockets) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
