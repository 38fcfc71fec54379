// A small chat server for examples/chat/protocol.mjs: one JSON object per line; `login` joins a
// room (answered by `welcome`), `say` is relayed to everyone in the room, the sender included.
//
//   node examples/chat/server.mjs [--port 9000]       (prints "listening 127.0.0.1:PORT")
//
// startChatServer() takes an optional `relay(line, toSender)` returning the lines to write in
// place of one relayed line: the tests break the server with it (drop, corrupt, duplicate).
import * as net from 'node:net';
import { pathToFileURL } from 'node:url';

export function startChatServer({ port = 0, host = '127.0.0.1', relay = (out) => [out] } = {}) {
  const rooms = new Map();
  const sockets = new Set();
  const server = net.createServer((socket) => {
    let pending = '';
    let me = null;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    const leave = () => {
      sockets.delete(socket);
      if (me !== null) rooms.get(me.room)?.delete(socket);
    };
    const onLine = (text) => {
      const m = JSON.parse(text);
      if (m.op === 'login') {
        me = { name: String(m.name), room: m.room };
        if (!rooms.has(me.room)) rooms.set(me.room, new Set());
        rooms.get(me.room).add(socket);
        socket.write(`${JSON.stringify({ op: 'welcome', name: me.name, room: me.room })}\n`);
      } else if (m.op === 'say' && me !== null) {
        const out = `${JSON.stringify({ op: 'msg', from: me.name, seq: m.seq, body: m.body, sum: m.sum })}\n`;
        for (const member of rooms.get(me.room)) for (const l of relay(out, member === socket)) member.write(l);
      }
    };
    socket.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      try {
        for (const l of lines) onLine(l);
      } catch {
        socket.destroy(); // not JSON: not a client of ours
      }
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
    socket.on('close', leave);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--port');
  const { port } = await startChatServer({ port: i > 0 ? Number(process.argv[i + 1]) : 0 });
  console.log(`listening 127.0.0.1:${port}`);
}
