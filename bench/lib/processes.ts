/**
 * Child processes of the benches: servers that announce their port in a JSON line on stdout,
 * and the C load client, whose stdout is a stream of JSON events ending in a result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

type Json = Record<string, unknown>;

function parseJsonLine(line: string): Json | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** Keeps the last few KiB a child wrote on stderr, for error messages. */
function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  return () => tail.trim();
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export interface RunningServer {
  pid: number;
  port: number;
  /** the server's first JSON line (lanserver's says which backend it chose) */
  hello: Json;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts a server and waits for the JSON line carrying its port; every later stdout line is read and dropped. */
export function startServer(command: string, args: readonly string[], timeoutMs = 15_000): Promise<RunningServer> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = stderrTail(child);
  const lines = readline.createInterface({ input: child.stdout! });
  const describe = `${command} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${describe}: ${why}${tail() ? `; stderr: ${tail()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no port announced within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal}) before announcing its port`));
    lines.on('line', (line) => {
      const json = parseJsonLine(line);
      if (settled || json === null || typeof json.port !== 'number') return;
      settled = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        pid: child.pid!,
        port: json.port,
        hello: json,
        alive: () => child.exitCode === null && child.signalCode === null,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited(child);
          clearTimeout(kill);
        },
      });
    });
  });
}

export interface ClientRun {
  /** resolves when the client has opened its connections (the "connected" event) */
  connected: Promise<Json>;
  /** resolves with the client's final "result" line */
  result: Promise<Json>;
  /** idle mode: close the client's stdin so it lets its connections go and exits */
  release(): void;
  kill(): void;
}

/**
 * Runs the C load client. onEvent sees every JSON line as it comes (the harness acts on
 * "window-start"/"window-end", e.g. to attach a syscall counter for exactly the window).
 */
export function runClient(binary: string, args: readonly string[], onEvent: (event: Json) => void = () => {}): ClientRun {
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const tail = stderrTail(child);
  const lines = readline.createInterface({ input: child.stdout! });
  let last: Json | null = null;
  let onConnected: (j: Json) => void = () => {};
  const connected = new Promise<Json>((resolve) => (onConnected = resolve));
  lines.on('line', (line) => {
    const json = parseJsonLine(line);
    if (json === null) return;
    last = json;
    if (json.event === 'connected') onConnected(json);
    onEvent(json);
  });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  const result = (async () => {
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
    const { code, signal } = await Promise.race([exited(child), spawnFailed]);
    await closed;
    if (code !== 0) throw new Error(`load-client ${args.join(' ')}: exit ${code ?? signal}${tail() ? `: ${tail()}` : ''}`);
    return last ?? {};
  })();
  // A client that dies before connecting must not leave `connected` pending forever.
  result.then(
    (r) => onConnected(r),
    () => onConnected({ event: 'connected', connected: 0 }),
  );
  return {
    connected,
    result,
    release: () => child.stdin?.end(),
    kill: () => child.kill('SIGKILL'),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
