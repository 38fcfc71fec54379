import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { addonPath, standalonePath } from '../../server/addon';
import { LanServer } from '../../server/lan-server';
import type { LanServerConfig } from '../../server/lan-server';
import { LineSplitter, parseServerLine } from '../../server/lines';
import { OPTION_FLAGS } from '../../server/options';
import { anomalyTotal } from '../../stress/run/metrics';
import type { ListenInfo, ServerLine, ServerOptions, ServerStats } from '../../server/types';
import { Prng } from '../../dummy-client/codec';

export const HOST = '127.0.0.1';

/** lan framing: u16 little-endian length, then the payload. */
export function encodePacket(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + payload.length);
  out.writeUInt16LE(payload.length, 0);
  out.set(payload, 2);
  return out;
}

/** Reassembles packets from arbitrary TCP chunks (a chunk may hold part of one or many). */
export class PacketDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const packets: Buffer[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 2) {
      const length = this.pending.readUInt16LE(offset);
      if (this.pending.length - offset - 2 < length) break;
      packets.push(Buffer.from(this.pending.subarray(offset + 2, offset + 2 + length)));
      offset += 2 + length;
    }
    this.pending = this.pending.subarray(offset);
    return packets;
  }

  get buffered(): number {
    return this.pending.length;
  }
}

/** The fleet's seeded generator (mulberry32), so a failing random test can be replayed from its seed. */
export function rng(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

export function randomBytes(next: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until `done` holds or the deadline passes. The deadline bounds the test,
 * it is never the thing asserted: a slow machine only makes the wait longer.
 */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 15000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    }
    await sleep(20);
  }
}

/** A test peer: collects echoed packets (lan framing) and raw bytes, and records how it was closed. */
export class TestClient {
  readonly packets: Buffer[] = [];
  readonly chunks: Buffer[] = [];
  closed = false;
  errorCode: string | undefined;
  private readonly decoder = new PacketDecoder();

  /** Settles when the connect completes or fails (a server may reset a connection it refuses). */
  private readonly settled: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    this.settled = new Promise((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    });
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.packets.push(...this.decoder.push(chunk));
    });
    // Resets from the server are expected in several tests; record them instead of crashing.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.errorCode = err.code ?? err.message;
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects and fails if the connection does not open. */
  static async connect(port: number, host = HOST): Promise<TestClient> {
    const client = await TestClient.attempt(port, host);
    if (client.closed) throw new Error(`connect to ${host}:${port} failed: ${client.errorCode ?? 'closed at once'}`);
    return client;
  }

  /** Connects where the server may refuse: resolves either way, with `closed`/`errorCode` telling which. */
  static async attempt(port: number, host = HOST): Promise<TestClient> {
    const client = new TestClient(net.connect({ port, host, noDelay: true }));
    await client.settled;
    return client;
  }

  send(payload: Uint8Array): void {
    this.socket.write(encodePacket(payload));
  }

  get receivedBytes(): number {
    return this.chunks.reduce((sum, c) => sum + c.length, 0);
  }

  waitPackets(count: number, timeoutMs = 15000): Promise<Buffer[]> {
    return waitUntil(() => this.packets.length, (n) => n >= count || this.closed, `${count} packets`, timeoutMs).then(() => {
      if (this.packets.length < count) {
        throw new Error(`connection closed after ${this.packets.length} of ${count} packets`);
      }
      return this.packets.slice(0, count);
    });
  }

  waitBytes(count: number, timeoutMs = 15000): Promise<Buffer> {
    return waitUntil(() => this.receivedBytes, (n) => n >= count || this.closed, `${count} bytes`, timeoutMs).then(() =>
      Buffer.concat(this.chunks),
    );
  }

  waitClosed(timeoutMs = 15000): Promise<void> {
    return waitUntil(() => this.closed, Boolean, 'the connection to close', timeoutMs).then(() => undefined);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function closeAll(clients: TestClient[]): void {
  for (const c of clients) c.destroy();
}

/** The server under test, in-process (addon) or as a child process (standalone), seen the same way. */
export interface ServerTarget {
  readonly kind: TargetKind;
  readonly info: ListenInfo;
  /** A fresh snapshot (for the standalone: the next stats line printed after this call). */
  stats(): Promise<ServerStats>;
  /** stop() for the addon, SIGTERM for the standalone; resolves to the final stats. */
  stop(): Promise<ServerStats>;
  /** Teardown after a failed test: never throws, kills whatever is left. */
  dispose(): void;
}

export type TargetKind = 'addon' | 'standalone';

/** undefined when the target can run here, else why the tests must skip. */
export function skipReason(kind: TargetKind): string | undefined {
  const file = kind === 'addon' ? addonPath() : standalonePath();
  return fs.existsSync(file) ? undefined : `${file} is not built (run npm run build:native)`;
}

/** Small defaults so many servers can run at once on a 2-core machine. */
const TEST_DEFAULTS: Partial<ServerOptions> = { host: HOST, port: 0, workers: 2, maxSessions: 1000, backlog: 1024 };

export async function startTarget(
  kind: TargetKind,
  options: Partial<ServerOptions> = {},
  config: LanServerConfig = {},
): Promise<ServerTarget> {
  const merged = { ...TEST_DEFAULTS, ...options };
  return kind === 'addon' ? startAddon(merged, config) : startStandalone(merged);
}

function startAddon(options: Partial<ServerOptions>, config: LanServerConfig): ServerTarget {
  const server = new LanServer(options, config);
  const info = server.start();
  return {
    kind: 'addon',
    info,
    stats: () => Promise.resolve(server.stats()),
    stop: () => Promise.resolve(server.stop()),
    dispose: () => {
      server.stop();
    },
  };
}

export function standaloneArgs(options: Partial<ServerOptions>, statsIntervalMs = 50): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(options) as Array<[keyof ServerOptions, unknown]>) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) args.push(OPTION_FLAGS[key], String(item));
  }
  args.push('--stats-interval-ms', String(statsIntervalMs));
  return args;
}

/** Reads ServerLines from a child's stdout and keeps its stderr for failure messages. */
export class LineReader {
  readonly lines: ServerLine[] = [];
  stderr = '';
  stdoutText = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly listeners = new Set<(line: ServerLine) => void>();

  constructor(readonly child: ChildProcess) {
    const splitter = new LineSplitter();
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdoutText += text;
      for (const raw of splitter.push(text)) {
        const line = parseServerLine(raw);
        if (line === null) continue;
        this.lines.push(line);
        for (const listener of this.listeners) listener(line);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
    });
  }

  /** The first line (already seen or still to come) that matches. */
  next<T extends ServerLine>(match: (line: ServerLine) => line is T, what: string, timeoutMs = 15000, since = 0): Promise<T> {
    const seen = this.lines.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onExit = (): void => finish(new Error(`the server exited (${JSON.stringify(this.exit)}) before ${what}; stderr: ${this.stderr}`));
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)), timeoutMs);
      const listener = (line: ServerLine): void => {
        if (match(line)) finish(undefined, line as T);
      };
      const finish = (err: Error | undefined, line?: T): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(line as T);
      };
      this.listeners.add(listener);
      if (this.exit) onExit();
      else this.child.once('exit', onExit);
    });
  }

  waitExit(timeoutMs = 20000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return waitUntil(() => this.exit, (e) => e !== undefined, 'the process to exit', timeoutMs).then((e) => e!);
  }
}

export const isListening = (l: ServerLine): l is Extract<ServerLine, { event: 'listening' }> => l.event === 'listening';
export const isStats = (l: ServerLine): l is Extract<ServerLine, { event: 'stats' }> => l.event === 'stats';
export const isFinal = (l: ServerLine): l is Extract<ServerLine, { event: 'final' }> => l.event === 'final';

async function startStandalone(options: Partial<ServerOptions>): Promise<ServerTarget> {
  const child = spawn(standalonePath(), standaloneArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
  const reader = new LineReader(child);
  let listening: Extract<ServerLine, { event: 'listening' }>;
  try {
    listening = await reader.next(isListening, 'the listening line');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const info: ListenInfo = { host: listening.host, port: listening.port, backend: listening.backend };
  let final: Promise<ServerStats> | undefined;
  return {
    kind: 'standalone',
    info,
    stats: () => reader.next(isStats, 'a stats line', 15000, reader.lines.length),
    stop: () => {
      final ??= (async () => {
        child.kill('SIGTERM');
        const exit = await reader.waitExit();
        if (exit.code !== 0) throw new Error(`lanserver exited with ${JSON.stringify(exit)}; stderr: ${reader.stderr}`);
        const line = reader.lines.find(isFinal);
        if (!line) throw new Error(`lanserver printed no final line; stdout: ${reader.stdoutText}`);
        return line;
      })();
      return final;
    },
    dispose: () => {
      if (!reader.exit) child.kill('SIGKILL');
    },
  };
}

/** Describes each way `got` differs from `sent` (count, then per-packet bytes); empty when every echo matches. */
export function echoMismatches(sent: Buffer[], got: Buffer[], limit = 5): string[] {
  const out: string[] = [];
  if (got.length !== sent.length) out.push(`${got.length} packets echoed, ${sent.length} sent`);
  for (let i = 0; i < Math.min(sent.length, got.length) && out.length < limit; i++) {
    if (!got[i].equals(sent[i])) out.push(`packet ${i}: ${got[i].length} bytes echoed differ from the ${sent[i].length} sent`);
  }
  return out;
}

/** Every anomaly counter, which must stay 0 whatever the clients did. */
export function anomalies(stats: ServerStats): number {
  return anomalyTotal(stats.anomalies);
}

export function disconnectTotal(stats: ServerStats): number {
  return Object.values(stats.disconnects).reduce((a, b) => a + b, 0);
}

/** Waits for the quiet state every test ends in: no session left and none leaked. */
export function waitQuiet(target: ServerTarget, accepted?: number): Promise<ServerStats> {
  return waitUntil(
    () => target.stats(),
    (s) => s.sessions === 0 && s.released === s.accepted && (accepted === undefined || s.accepted === accepted),
    `sessions == 0 and released == accepted${accepted === undefined ? '' : ` == ${accepted}`}`,
  );
}
