/**
 * The socket under a Connection: Node's `net` (this file) or the native fleet engine
 * (native-socket.ts). Both show the same small surface, the part of a net.Socket the fleet uses
 * (net.Socket satisfies FleetSocket as it is), and report to the same SocketHandlers; the codec,
 * the integrity checks, latency and chaos plans stay the one JS source above them.
 */
import * as net from 'node:net';

export interface FleetSocket {
  /** Queues bytes; false when they could not all go to the kernel yet (wait for 'drain'). */
  write(bytes: Uint8Array): boolean;
  /** FIN (after bytes, if given, and whatever is queued); reading goes on until the peer closes. */
  end(): unknown;
  end(bytes: Uint8Array): unknown;
  /** Closed now, queued bytes dropped. */
  destroy(): unknown;
  /** Closed now with an RST (SO_LINGER 0). */
  resetAndDestroy(): unknown;
  /** Stops reading (the kernel buffer fills, the peer's sends stall) / reads again. */
  pause(): unknown;
  resume(): unknown;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

/** What a socket reports to its connection, once each in this order: connect, data..., error?, close. */
export interface SocketHandlers {
  onConnect(): void;
  /** buf[start, end) arrived; buf is shared: everything needed from it is taken before returning. */
  onData(buf: Buffer, start: number, end: number): void;
  /** Before onClose, when the socket failed: an errno name such as ECONNRESET. */
  onError(code: string): void;
  onClose(): void;
}

export interface ConnectTarget {
  host: string;
  port: number;
  localAddress: string | undefined;
}

/**
 * Every net socket of this thread reads into this one buffer (net's `onread`): a read is handled in
 * full (frames checked, a trailing partial frame copied by the decoder) before the next read. It
 * spares a Buffer per read and the Readable stream machinery, a tenth of a flooded worker's CPU.
 */
const readScratch = Buffer.allocUnsafe(64 * 1024);

export function connectNet(target: ConnectTarget, h: SocketHandlers): FleetSocket {
  // No explicit bind unless a source address is asked for: binding (even to port 0) picks the
  // source port before the destination is known, which keeps loopback TIME_WAIT ports from being reused.
  const opts: net.NetConnectOpts = {
    host: target.host,
    port: target.port,
    noDelay: true,
    onread: {
      buffer: readScratch,
      callback: (n: number): boolean => {
        h.onData(readScratch, 0, n);
        return true;
      },
    },
  };
  if (target.localAddress !== undefined) opts.localAddress = target.localAddress;
  const s = net.connect(opts);
  s.setNoDelay(true);
  s.on('connect', () => h.onConnect());
  s.on('error', (err: NodeJS.ErrnoException) => h.onError(err.code ?? 'ERROR'));
  s.on('close', () => h.onClose());
  return s;
}
