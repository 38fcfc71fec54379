/**
 * A small Chrome DevTools Protocol client for the HTML report tests: headless
 * Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-terminated
 * JSON), so no WebSocket library and no port is needed. Bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { tempDir } from '../support/temp';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser to use, or null (tests then skip, saying why). */
export function findChromium(): string | null {
  const fromEnv = process.env.LANSTRESS_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((c) => existsSync(c)) ?? null;
}

export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

export class Browser {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private buffer = '';
  readonly events: CdpEvent[] = [];
  private waiters: Array<{ match: (e: CdpEvent) => boolean; resolve: (e: CdpEvent) => void }> = [];
  private readonly stderr: string[] = [];

  private constructor(private readonly child: ChildProcess, private readonly profile: string) {
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => this.onData(chunk));
    (child.stdio[2] as Readable).on('data', (b: Buffer) => {
      if (this.stderr.length < 200) this.stderr.push(b.toString());
    });
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}: ${this.stderr.join('').slice(-2000)}`));
      this.pending.clear();
    });
  }

  static launch(executable: string): Browser {
    const profile = tempDir('chromium');
    const child = spawn(
      executable,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--disable-extensions',
        '--disable-dev-shm-usage',
        `--user-data-dir=${profile}`,
        '--remote-debugging-pipe',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    return new Browser(child, profile);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\0')) >= 0) {
      const text = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 1);
      const msg = JSON.parse(text) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        const event: CdpEvent = { method: msg.method, params: msg.params ?? {}, ...(msg.sessionId ? { sessionId: msg.sessionId } : {}) };
        this.events.push(event);
        this.waiters = this.waiters.filter((w) => {
          if (!w.match(event)) return true;
          w.resolve(event);
          return false;
        });
      }
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      (this.child.stdio[3] as Writable).write(`${message}\0`);
    });
  }

  waitFor(match: (e: CdpEvent) => boolean, timeoutMs = 15_000, what = 'event'): Promise<CdpEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** A fresh page (its own session) with Runtime, Log, Network and Page events on. */
  async newPage(width: number, height: number): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await this.send(`${domain}.enable`, {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    return new Page(this, sessionId);
  }

  async close(): Promise<void> {
    try {
      await this.send('Browser.close', {}, undefined, 5000);
    } catch {
      // Already gone; the kill below makes sure.
    }
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, 5000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(private readonly browser: Browser, readonly sessionId: string) {}

  events(): CdpEvent[] {
    return this.browser.events.filter((e) => e.sessionId === this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const loaded = this.browser.waitFor((e) => e.sessionId === this.sessionId && e.method === 'Page.loadEventFired', 20_000, 'load event');
    await this.browser.send('Page.navigate', { url }, this.sessionId);
    await loaded;
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.browser.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId)) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Console errors, uncaught exceptions and error log entries seen so far. */
  errors(): string[] {
    const out: string[] = [];
    for (const e of this.events()) {
      if (e.method === 'Runtime.exceptionThrown') out.push(`exception: ${JSON.stringify(e.params)}`);
      if (e.method === 'Runtime.consoleAPICalled' && (e.params.type === 'error' || e.params.type === 'assert')) out.push(`console: ${JSON.stringify(e.params.args)}`);
      if (e.method === 'Log.entryAdded') {
        const entry = e.params.entry as { level?: string; text?: string; url?: string };
        if (entry.level === 'error') out.push(`log: ${entry.text ?? ''} ${entry.url ?? ''}`);
      }
    }
    return out;
  }

  /** URLs of every request the page made. */
  requests(): string[] {
    return this.events()
      .filter((e) => e.method === 'Network.requestWillBeSent')
      .map((e) => (e.params.request as { url: string }).url);
  }
}
