/**
 * How a pooled connection ends, written once for the echo Connection (connection.ts) and a
 * protocol module's ProtocolConnection (protocol-connection.ts): the connect timeout, retiring
 * (stop sending, let what is awaited come back, then a FIN), a graceful close bounded by its
 * deadline, a chaos cut with the closing that follows it, and the socket's close. What differs is
 * the subclass's: what it still awaits and how that is classified, what a cut writes, a write under
 * way that completes first, and which closes by the server the scenario expects.
 */
import type { ChaosAction } from './types';
import { CLOSING_GRACE_MS } from './chaos-actions';
import type { ConnState, CutReason } from './connection';

/** What closing needs of a socket (Node's net and the native engine both have it). */
export interface ClosableSocket {
  end(): void;
  destroy(): void;
}

/** What closing needs of the pool. */
export interface LifeHost {
  readonly config: { readonly connectTimeoutMs: number };
  readonly chaosCounts: Record<ChaosAction, number>;
  nowNs(): number;
}

/** How often a retiring connection looks whether what it awaits has come back. */
const RETIRE_POLL_MS = 20;

export abstract class ConnectionLife<S extends ClosableSocket, H extends LifeHost> {
  state: ConnState = 'connecting';
  /** Set when the connection ended on purpose: what it still awaited is abandoned, not lost. */
  cutAction: CutReason | null = null;
  /** False once the connection must not send again (cut, retiring, stopping). */
  sending = true;
  /** Set once everything awaited is classified: later bytes are ignored. */
  finished = false;
  protected socket: S | null = null;
  protected connectStartNs = 0;
  protected closingDeadlineNs = Infinity;
  protected errorCode: string | null = null;

  constructor(protected readonly host: H) {}

  /** Nothing sent is awaited any more: a retiring connection closes now. */
  protected abstract drained(): boolean;
  /** The cut's own writes and close (chaos-actions.ts): ms until the socket must be closed, or null when it is already. */
  protected abstract performCut(s: S, action: ChaosAction, nowNs: number): number | null;
  protected abstract recordCut(action: ChaosAction): void;
  /** A close by the server the scenario expects (a cut on purpose), or null: then what is awaited is lost. */
  protected abstract expectedServerCut(): CutReason | null;
  /** Classifies everything still awaited: abandoned when cut on purpose, lost otherwise. */
  abstract finish(): void;
  /** Tells the pool the socket is gone (ConnectionHost.closed). */
  protected abstract reportClosed(connected: boolean): void;
  /** A write under way completes before a FIN or a cut (the echo connection's split write). */
  protected completeWrite(): void {}

  /**
   * housekeeping's first step: a connect that takes too long, or a close past its deadline, ends
   * the socket. True when the connection is open, so the rest of housekeeping applies.
   */
  protected endOverdue(nowNs: number): boolean {
    if (this.state === 'connecting') {
      // A SYN nobody answers (a full accept queue drops it) would hang for minutes of kernel retries.
      if (nowNs - this.connectStartNs > this.host.config.connectTimeoutMs * 1e6) {
        this.errorCode = 'ETIMEDOUT';
        this.socket?.destroy();
      }
      return false;
    }
    if (this.state === 'closing' && nowNs > this.closingDeadlineNs) {
      this.socket?.destroy();
      return false;
    }
    return this.state === 'open';
  }

  /** Churn, or the pool closing connections to follow a stage: stop sending, let what is awaited come back, then close gracefully. */
  retire(reason: 'lifetime' | 'scaleDown' = 'lifetime'): void {
    this.sending = false;
    this.cutAction = reason;
    this.closeWithin(CLOSING_GRACE_MS, this.host.nowNs());
    const poll = (): void => {
      if (this.socket === null) return;
      if (this.drained() || this.host.nowNs() > this.closingDeadlineNs) this.closeGracefully();
      else setTimeout(poll, RETIRE_POLL_MS).unref();
    };
    poll();
  }

  /** FIN, then wait for the server's close (bounded by housekeeping's deadline). */
  closeGracefully(): void {
    this.sending = false;
    this.completeWrite();
    const s = this.socket;
    if (s === null) return;
    this.closeWithin(CLOSING_GRACE_MS, this.host.nowNs());
    s.end();
  }

  destroy(): void {
    this.socket?.destroy();
  }

  /** Performs one chaos action now (chaos-actions.ts); what is awaited is abandoned. */
  cut(action: ChaosAction): void {
    const s = this.socket;
    if (s === null || this.state !== 'open') return;
    const now = this.host.nowNs();
    // A cut writes whole frames of its own (or a partial one on purpose): a write under way completes first.
    this.completeWrite();
    this.cutAction = action;
    this.sending = false;
    this.host.chaosCounts[action]++;
    const closingMs = this.performCut(s, action, now);
    this.recordCut(action);
    if (closingMs !== null) this.closeWithin(closingMs, now);
  }

  /** The socket closed, for whatever reason (net's 'close', the engine's Closed record). */
  protected socketClosed(): void {
    const connected = this.state !== 'connecting';
    if (connected && this.cutAction === null && !this.finished) this.cutAction = this.expectedServerCut();
    this.state = 'closed';
    this.sending = false;
    this.socket = null;
    this.finish();
    this.reportClosed(connected);
  }

  /** Closing: housekeeping destroys the socket if it is still open closingMs from nowNs. */
  private closeWithin(closingMs: number, nowNs: number): void {
    this.state = 'closing';
    this.closingDeadlineNs = nowNs + closingMs * 1e6;
  }
}
