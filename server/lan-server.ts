import { loadAddon } from './addon';
import { defaultServerOptions, resolveServerOptions, ServerOptionsError } from './options';
import type { RawServerOptions } from './options';
import { leaked } from './types';
import type {
  DisconnectReason,
  ListenInfo,
  NativeHandlers,
  NativeLanServer,
  ServerOptions,
  ServerStats,
} from './types';

/**
 * What `js` mode does with each complete packet; it answers through server.sendPacket. It runs on
 * the JS thread: one slower than the network holds the server's workers back (they stop receiving
 * once 1024 packets or 4 MiB wait for it, counted in stats().handlerWaits) instead of queueing
 * every packet without bound.
 */
export type JsHandler = (server: LanServer, id: bigint, payload: Buffer) => void;

/** The seed's virtual callbacks (OnAccept, OnClientLeave, OnError); events arrive in batches on the JS thread. */
export interface LanServerHooks {
  onAccept?: (id: bigint, ip: string, port: number) => void;
  onRelease?: (id: bigint, reason: DisconnectReason) => void;
  onError?: (code: string, message: string) => void;
}

export interface LanServerConfig {
  hooks?: LanServerHooks;
  /** js mode only; defaults to echoHandler. */
  handler?: JsHandler;
}

/** The js-mode handler that behaves like native echo, through the JS thread. */
export const echoHandler: JsHandler = (server, id, payload) => {
  server.sendPacket(id, payload);
};

type State = 'idle' | 'running' | 'stopped';

/**
 * A typed wrapper over the native LanServer. One instance serves once:
 * start() -> stop(); stop() is idempotent and returns the final stats each time.
 */
export class LanServer {
  readonly options: ServerOptions;
  private readonly native: NativeLanServer;
  private state: State = 'idle';
  private listenInfo: ListenInfo | undefined;
  private finalStats: ServerStats | undefined;

  /** Throws ServerOptionsError listing every bad option; missing options take the defaults. */
  constructor(options: RawServerOptions = {}, config: LanServerConfig = {}) {
    const resolved = resolveServerOptions(options, defaultServerOptions());
    if (!resolved.ok) throw new ServerOptionsError(resolved.problems);
    this.options = resolved.options;

    // Only the hooks a caller gave reach the native side, so an unused event costs no thread hop.
    const handlers: NativeHandlers = {};
    const { hooks = {} } = config;
    if (hooks.onAccept) handlers.onAccept = hooks.onAccept;
    if (hooks.onRelease) handlers.onRelease = hooks.onRelease;
    if (hooks.onError) handlers.onError = hooks.onError;
    if (this.options.mode === 'js') {
      const handler = config.handler ?? echoHandler;
      handlers.onRecv = (id, payload) => handler(this, id, payload);
    }
    const { LanServer: NativeClass } = loadAddon();
    this.native = new NativeClass(handlers);
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** The bound address once started (port resolved when 0 was asked, backend when auto). */
  get address(): ListenInfo | undefined {
    return this.listenInfo;
  }

  /** Binds and starts the workers. Native failures surface as Error with a string code (EADDRINUSE, ...). */
  start(): ListenInfo {
    if (this.state !== 'idle') {
      const err = new Error(`LanServer.start(): the server is already ${this.state}; create a new LanServer to serve again`);
      Object.assign(err, { code: 'ERR_SERVER_STATE' });
      throw err;
    }
    this.listenInfo = this.native.start(this.options);
    this.state = 'running';
    return this.listenInfo;
  }

  /**
   * Stops accepting, disconnects every session, waits until each is released and joins the threads.
   * Idempotent: later calls (and a call before start) do nothing and return the same final stats.
   */
  stop(): ServerStats {
    if (this.finalStats === undefined) {
      if (this.state === 'running') this.native.stop();
      this.state = 'stopped';
      this.finalStats = this.native.stats();
    }
    return this.finalStats;
  }

  /** False (and counted as staleIdCalls) when the id names a session already released. */
  sendPacket(id: bigint, payload: Uint8Array): boolean {
    return this.native.sendPacket(id, payload);
  }

  disconnect(id: bigint): boolean {
    return this.native.disconnect(id);
  }

  get sessionCount(): number {
    return this.native.sessionCount;
  }

  stats(): ServerStats {
    return this.finalStats ?? this.native.stats();
  }

  /** accepted - released - sessions: must be 0 at any quiet moment. */
  leaked(): number {
    return leaked(this.stats());
  }
}
