// A chat protocol for `stress run --protocol examples/chat/protocol.mjs --target HOST:PORT`
// (the contract: dummy-client/protocol.ts; the server: server.mjs beside this file).
//
// One JSON object per line. A client logs in with a name and a room, then says things; the server
// relays every `say` to everyone in the room, the sender included. So:
//  - the `welcome` to a login, and the sender's own copy of its `say`, answer its requests;
//  - the copies other members get are pushes, checked by content: every message carries its
//    sender, a sequence number and a checksum over (seed, sender, sequence, body).

/** Connections per room, by slot: serials 0-9 share room 0, 10-19 room 1, ... */
const ROOM_SIZE = 10;
/** A line longer than this is not a chat message: the stream cannot be framed. */
const MAX_LINE = 64 * 1024;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz ';

const encoder = new TextEncoder();
const line = (obj) => encoder.encode(`${JSON.stringify(obj)}\n`);
const nameOf = (serial) => `u${serial}`;

/** FNV-1a, 32 bits: enough to catch a changed byte. */
function checksum(seed, from, seq, body) {
  let h = 0x811c9dc5;
  const text = `${seed}|${from}|${seq}|${body}`;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function frame(buf) {
  const nl = buf.indexOf(10);
  if (nl < 0) return buf.length > MAX_LINE ? -1 : 0;
  return nl + 1;
}

export function open(conn) {
  conn.state.seq = 0;
  conn.state.room = Math.floor((conn.serial % conn.clients) / ROOM_SIZE);
  // Tag 0 is the login; says are tagged by their sequence number, from 1.
  return [{ tag: 0, bytes: line({ op: 'login', name: nameOf(conn.serial), room: conn.state.room }) }];
}

export function request(conn) {
  const seq = ++conn.state.seq;
  let body = '';
  const len = conn.rng.int(8, 64);
  for (let i = 0; i < len; i++) body += LETTERS[conn.rng.int(0, LETTERS.length - 1)];
  const from = nameOf(conn.serial);
  return { tag: seq, bytes: line({ op: 'say', seq, body, sum: checksum(conn.seed, from, seq, body) }) };
}

export function check(conn, message) {
  // A line that is not JSON throws: the fleet counts it corrupted.
  const m = JSON.parse(message.toString('utf8'));
  const me = nameOf(conn.serial);
  if (m.op === 'welcome') return { kind: 'answer', tag: 0, ok: m.name === me && m.room === conn.state.room };
  if (m.op !== 'msg') return { kind: 'unexpected' };
  const ok = Number.isInteger(m.seq) && typeof m.body === 'string' && m.sum === checksum(conn.seed, m.from, m.seq, m.body);
  if (m.from === me) return { kind: 'answer', tag: m.seq, ok };
  return { kind: 'push', ok };
}
