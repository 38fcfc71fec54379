// The shipped native server with a JavaScript packet handler (js mode): every packet it receives
// goes to onRecv on this thread, which answers through sendPacket. A handler slower than the
// network makes the server stop receiving (stats().handlerWaits) instead of queueing without bound.
//   node examples/js-server.mjs [--host ::1] [--port 9000]
//   then: npx stress --target 127.0.0.1:9000 --clients 100 --duration 5
import { LanServer } from 'lanstress';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' } } });

const server = new LanServer(
  { host: values.host, port: Number(values.port), mode: 'js', workers: 2 },
  {
    // Echo, as the fleet expects; a real handler would decode the payload here.
    handler: (srv, id, payload) => srv.sendPacket(id, payload),
    hooks: { onError: (code, message) => console.error(`lanserver ${code}: ${message}`) },
  },
);
const { host, port, backend } = server.start();
console.log(JSON.stringify({ event: 'listening', host, port, backend }));

const stop = () => {
  const stats = server.stop();
  console.log(JSON.stringify({ event: 'final', accepted: stats.accepted, recvPackets: stats.recvPackets, handlerWaits: stats.handlerWaits }));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
