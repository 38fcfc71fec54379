/**
 * Fleet sockets on the native engine (addon/src/fleet/): one engine per thread, its events
 * delivered in batches, one JS call per loop wake-up (see fleet_binding.cpp for the layout of the
 * records). An EngineSocket reports to its SocketHandlers as a net socket would: connect, data...,
 * error?, close; after destroy() or a Closed record it is gone and its id may be reused.
 */
import * as os from 'node:os';
import * as net from 'node:net';
import { loadAddon } from '../server/addon';
import type { NativeFleetEngine } from '../server/types';
import type { ConnectTarget, FleetSocket, SocketHandlers } from './transport';

/**
 * Received bytes and records (4 int32 each: id, kind, offset, value) one wake-up can deliver: room
 * for thousands of small echoes, so a worker's whole ready list is taken in one turn of its loop.
 * The engine reads at most 64 KiB from a socket per wake-up and keeps 2 KiB free per read.
 */
const BATCH_BYTES = 4 * 1024 * 1024;
const MAX_RECORDS = 16384;
/** EventKind in fleet_engine.h. */
const CONNECTED = 1;
const DATA = 2;
const DRAIN = 3;
const CLOSED = 4;

const errnoNames = new Map<number, string>(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

class Engine {
  readonly native: NativeFleetEngine;
  private readonly batch = Buffer.alloc(BATCH_BYTES);
  private readonly records = new Int32Array(4 * MAX_RECORDS);
  /** By connection id; undefined once closed or destroyed. */
  private readonly sockets: Array<EngineSocket | undefined> = [];

  constructor(ctor: NonNullable<ReturnType<typeof loadAddon>['FleetEngine']>) {
    this.native = new ctor(this.batch, this.records, this.onEvents);
  }

  add(s: EngineSocket): void {
    this.sockets[s.id] = s;
  }

  forget(id: number): void {
    this.sockets[id] = undefined;
  }

  private readonly onEvents = (count: number): void => {
    const r = this.records;
    const batch = this.batch;
    for (let i = 0; i < count * 4; i += 4) {
      const id = r[i]!;
      const s = this.sockets[id];
      if (s === undefined) continue;
      switch (r[i + 1]) {
        case DATA:
          s.handlers.onData(batch, r[i + 2]!, r[i + 2]! + r[i + 3]!);
          break;
        case CONNECTED:
          s.handlers.onConnect();
          break;
        case DRAIN:
          s.drained();
          break;
        case CLOSED:
          this.sockets[id] = undefined;
          s.closed(r[i + 3]!);
          break;
      }
    }
  };
}

let engine: Engine | null | undefined;

/** This thread's engine, or null where the addon has none (Windows, or an addon built before it). */
function threadEngine(): Engine | null {
  if (engine === undefined) {
    const ctor = loadAddon().FleetEngine;
    engine = ctor === undefined ? null : new Engine(ctor);
  }
  return engine;
}

/** Whether this process's addon has the engine (Linux builds). */
export function nativeIoAvailable(): boolean {
  return loadAddon().FleetEngine !== undefined;
}

/** The engine takes IP literals (no resolver in C++); the fleet's targets are loopback, so localhost is 127.0.0.1. */
function literal(host: string): string {
  return net.isIP(host) !== 0 ? host : host === 'localhost' ? '127.0.0.1' : host;
}

export function connectNative(target: ConnectTarget, h: SocketHandlers): FleetSocket {
  const e = threadEngine();
  if (e === null) throw new Error('the native fleet engine is not in this addon build (--io native needs Linux)');
  const s = new EngineSocket(e, e.native.connect(literal(target.host), target.port, target.localAddress), h);
  e.add(s);
  return s;
}

class EngineSocket implements FleetSocket {
  writableLength = 0;
  destroyed = false;
  private drainListeners: Array<() => void> = [];

  constructor(
    private readonly engine: Engine,
    readonly id: number,
    readonly handlers: SocketHandlers,
  ) {}

  get writableNeedDrain(): boolean {
    return this.writableLength > 0;
  }

  write(bytes: Uint8Array): boolean {
    if (this.destroyed) return false;
    const queued = this.engine.native.write(this.id, bytes);
    // -1: the write failed and closed the socket; its Closed record follows.
    if (queued < 0) return false;
    this.writableLength = queued;
    return queued === 0;
  }

  end(bytes?: Uint8Array): void {
    if (this.destroyed) return;
    if (bytes !== undefined) this.write(bytes);
    this.engine.native.end(this.id);
  }

  destroy(): void {
    this.close(false);
  }

  resetAndDestroy(): void {
    this.close(true);
  }

  pause(): void {
    if (!this.destroyed) this.engine.native.pause(this.id);
  }

  resume(): void {
    if (!this.destroyed) this.engine.native.resume(this.id);
  }

  on(_event: 'drain', listener: () => void): this {
    this.drainListeners.push(listener);
    return this;
  }

  off(_event: 'drain', listener: () => void): this {
    this.drainListeners = this.drainListeners.filter((l) => l !== listener);
    return this;
  }

  drained(): void {
    this.writableLength = 0;
    for (const l of this.drainListeners.slice()) l();
  }

  /** The engine's Closed record: value 0 after the peer's FIN, -errno on an error. */
  closed(value: number): void {
    this.destroyed = true;
    if (value < 0) this.handlers.onError(errnoNames.get(-value) ?? `ERRNO${-value}`);
    this.handlers.onClose();
  }

  private close(abortive: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.engine.native.destroy(this.id, abortive);
    this.engine.forget(this.id);
    // As net: 'close' comes on a later tick, never from inside destroy().
    process.nextTick(() => this.handlers.onClose());
  }
}
