/**
 * The embedded server under test: `stress server --stats-json` in a child
 * process on a free loopback port, or a native standalone `lanserver` given by
 * --server-bin (a sanitizer or fault build). Its stdout is the ServerLine JSON
 * stream; stderr is kept (last lines only) for the report when the child dies,
 * and scanned whole for sanitizer reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { ListenInfo, ServerLine, ServerMode, ServerStats } from '../../server/types';
import { parseServerLine } from '../../server/lines';
import { SanitizerScanner, type SanitizerFindings } from '../sanitize/scan';
import { sanitizerEnv, standaloneArgs } from '../sanitize/server-bin';

const STDERR_TAIL_LINES = 50;

export interface EmbeddedServerOptions {
  /** Soft open-files limit the child raises itself to before exec. */
  noFile: number;
  /** Arguments after `server` (the server's own flags). */
  serverArgs: string[];
  startTimeoutMs: number;
  /** A standalone `lanserver` to run instead of `stress server` (--server-bin), or null. */
  serverBin?: string | null;
  /**
   * A standalone `lanserver` run through a launcher (--server-cmd, e.g. ['wine', '.../lanserver.exe']),
   * or null. It is stopped with SIGINT: Wine turns SIGINT into a console Ctrl-C event, which the
   * Windows build's SetConsoleCtrlHandler answers with a clean stop and its `final` line, while
   * SIGTERM ends a Wine process outright.
   */
  serverCommand?: string[] | null;
}

export interface Listening extends ListenInfo {
  pid: number;
  mode: ServerMode;
  workers: number;
  /** Said by the standalone only: release | asan | tsan, and the fault switches compiled in. */
  build?: string;
  faults?: string[];
}

export interface StatsPoint {
  t: number;
  sessions: number;
  recvPackets: number;
  sendPackets: number;
}

export interface ServerExit {
  final: ServerStats | null;
  /** The last stats seen (final if there was one). */
  last: ServerStats | null;
  exitCode: number | null;
  signal: string | null;
  /** True when the child died on its own while we still needed it. */
  crashed: boolean;
  /** True when it ignored SIGTERM and had to be killed. */
  killed: boolean;
  stderrTail: string[];
  /** Sanitizer reports found in the server's stderr (count 0 when it printed none; absent when not scanned). */
  sanitizer?: SanitizerFindings;
}

/** The compiled CLI next to this file (dist/stress/run/embedded.js -> dist/stress/cli.js). */
export function cliPath(): string {
  return path.resolve(__dirname, '..', 'cli.js');
}

function stripLine(line: ServerLine): ServerStats {
  const { event: _event, t: _t, ...stats } = line as Extract<ServerLine, { event: 'stats' }>;
  return stats;
}

export class EmbeddedServer {
  readonly series: StatsPoint[] = [];
  private readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  private readonly scanner = new SanitizerScanner();
  private last: ServerStats | null = null;
  private final: ServerStats | null = null;
  private stopping = false;
  private exitInfo: { code: number | null; signal: string | null } | null = null;
  private readonly exited: Promise<void>;
  /** Every stdio stream drained too: a report printed just before exit (LSan, ASan) is all read. */
  private readonly closed: Promise<void>;
  private readonly statsWaiters = new Set<(s: ServerStats) => void>();
  private readonly listening: Promise<Listening>;
  private readonly crashListeners: Array<() => void> = [];
  /** What stop() sends first (SIGINT for a launched server, see serverCommand). */
  private readonly stopSignal: NodeJS.Signals;

  constructor(opts: EmbeddedServerOptions) {
    // sh raises only the soft limit (-S) so the hard limit stays as it is; exec keeps the pid.
    const script = `ulimit -S -n ${Math.floor(opts.noFile)} && exec "$@"`;
    // detached: its own process group, so a Ctrl-C at the terminal reaches only us and the order
    // stays "fleet drains, then the server stops" (otherwise in-flight echoes die with the server
    // and count as lost). So that a run still stops by itself when we die without stopping it
    // (SIGKILL, SIGHUP), a watchdog below kills the server once we are gone.
    const bin = opts.serverBin ?? null;
    const launched = opts.serverCommand ?? null;
    this.stopSignal = launched === null ? 'SIGTERM' : 'SIGINT';
    const command =
      launched !== null ? [...launched, ...standaloneArgs(opts.serverArgs)]
      : bin !== null ? [bin, ...standaloneArgs(opts.serverArgs)]
      : [process.execPath, cliPath(), 'server', ...opts.serverArgs];
    this.child = spawn('/bin/sh', ['-c', script, 'lanstress-server', ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: bin === null && launched === null ? process.env : sanitizerEnv(process.env),
    });
    const killOnExit = (): void => {
      if (this.exitInfo === null) this.child.kill('SIGKILL');
    };
    process.on('exit', killOnExit);
    if (this.child.pid !== undefined) watchParent(this.child.pid);
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.scanner.push(line);
      this.stderr.push(line);
      if (this.stderr.length > STDERR_TAIL_LINES) this.stderr.shift();
    });
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
    const lines = readline.createInterface({ input: this.child.stdout! });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        process.off('exit', killOnExit);
        if (!this.stopping) for (const f of this.crashListeners) f();
        resolve();
      });
    });
    this.listening = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the embedded server did not report 'listening' within ${opts.startTimeoutMs} ms`));
        this.child.kill('SIGKILL');
      }, opts.startTimeoutMs);
      lines.on('line', (text) => {
        const line = parseServerLine(text);
        if (line === null) return;
        if (line.event === 'listening') {
          clearTimeout(timer);
          const { event: _e, ...info } = line;
          resolve(info);
        } else {
          const stats = stripLine(line);
          this.last = stats;
          if (line.event === 'final') this.final = stats;
          this.series.push({ t: line.t, sessions: stats.sessions, recvPackets: stats.recvPackets, sendPackets: stats.sendPackets });
          for (const w of this.statsWaiters) w(stats);
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the embedded server exited before listening (${this.describeExit()})`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== null;
  }

  get exitCode(): number | null {
    return this.exitInfo?.code ?? null;
  }

  get stderrTail(): string[] {
    return [...this.stderr];
  }

  waitListening(): Promise<Listening> {
    return this.listening;
  }

  /** Called once if the child exits before stop() was asked for. */
  onCrash(f: () => void): void {
    this.crashListeners.push(f);
  }

  latest(): ServerStats | null {
    return this.last;
  }

  /**
   * Waits until a stats line shows no session left (the quiet moment where
   * leaked and sessions are judged), or the timeout passes, or the child dies.
   */
  async waitQuiet(timeoutMs: number): Promise<ServerStats | null> {
    if (this.last !== null && this.last.sessions === 0) return this.last;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.statsWaiters.delete(waiter);
        resolve(this.last);
      };
      const waiter = (s: ServerStats): void => {
        if (s.sessions === 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.statsWaiters.add(waiter);
      void this.exited.then(done);
    });
  }

  kill(): void {
    if (this.exitInfo === null) this.child.kill('SIGKILL');
  }

  /** SIGTERM (SIGINT for --server-cmd), a bounded wait for the `final` line and exit, then SIGKILL. Never hangs. */
  async stop(timeoutMs: number): Promise<ServerExit> {
    const crashed = this.exitInfo !== null && !this.stopping;
    this.stopping = true;
    let killed = false;
    if (this.exitInfo === null) {
      this.child.kill(this.stopSignal);
      const inTime = await Promise.race([this.exited.then(() => true), delay(timeoutMs).then(() => false)]);
      if (!inTime) {
        killed = true;
        this.child.kill('SIGKILL');
        await Promise.race([this.exited, delay(2000)]);
      }
    }
    await Promise.race([this.closed, delay(2000)]);
    return {
      final: this.final,
      last: this.last,
      exitCode: this.exitInfo?.code ?? null,
      signal: this.exitInfo?.signal ?? null,
      crashed,
      killed,
      stderrTail: this.stderrTail,
      sanitizer: this.sanitizer(),
    };
  }

  sanitizer(): SanitizerFindings {
    return this.scanner.findings();
  }

  describeExit(): string {
    const e = this.exitInfo;
    const how = e === null ? 'still running' : e.signal !== null ? `killed by ${e.signal}` : `exit code ${e.code}`;
    const tail = this.stderr.slice(-5).join(' | ');
    return tail === '' ? how : `${how}; stderr: ${tail}`;
  }
}

/**
 * A tiny shell that outlives a SIGKILL of this process: it ignores the terminal's signals,
 * polls once a second, and SIGKILLs the server when this process is gone. It ends by itself
 * as soon as the server has exited.
 */
function watchParent(serverPid: number): void {
  const me = process.pid;
  const script = `trap '' INT HUP TERM; while kill -0 ${me} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 1; done; kill -0 ${me} 2>/dev/null || kill -KILL ${serverPid} 2>/dev/null`;
  spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: true }).unref();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
