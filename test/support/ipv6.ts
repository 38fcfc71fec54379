/** Whether this kernel has IPv6 loopback: the IPv6 tests skip, saying why, where ::1 cannot be bound. */
import * as net from 'node:net';

/** null when ::1 can be bound, else the reason (for t.skip). */
export function ipv6LoopbackMissing(): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(`no IPv6 loopback here: binding ::1 failed with ${err.code ?? err.message}`));
    probe.listen(0, '::1', () => probe.close(() => resolve(null)));
  });
}
