/**
 * What the pool (pool.ts) needs of a connection, whatever it speaks: the lan-framing echo
 * Connection (connection.ts) or a protocol module's ProtocolConnection (protocol-connection.ts);
 * and what such a connection gets from the pool.
 */
import type { ChaosAction } from './types';
import type { ChaosPlan } from './chaos-actions';
import type { WheelItem } from './timing-wheel';
import type { ConnState, ConnectionHost, CutReason, PoolCounters } from './connection';

export interface PooledConnection extends WheelItem {
  readonly slot: number;
  readonly serial: number;
  readonly plan: ChaosPlan;
  readonly state: ConnState;
  readonly cutAction: CutReason | null;
  readonly sending: boolean;
  /** Messages still awaited (a drain waits for them). */
  readonly inFlight: number;
  /** badInput traffic only; -1 otherwise. */
  readonly detectableBadInputAtNs: number;
  /** What a chaos cut record says of the connection: next sequence, in flight, their bytes. */
  readonly checker: { readonly nextSeq: number; readonly inFlight: number; readonly bytesInFlight: number };
  /** Owned by the pool's deferred-pump queue (armedTick, armedDueNs: by its timing wheel). */
  pumpQueued: boolean;
  connect(): void;
  pump(nowNs: number): void;
  housekeeping(nowNs: number): void;
  stopSending(): void;
  /** Open loop: requests per second from now on (stages, a total rate); 0 pauses. */
  setRate(ratePerSec: number): void;
  /** Stop sending, let what is awaited come back, then close (churn, or a stage scaling down). */
  retire(reason: 'lifetime' | 'scaleDown'): void;
  finish(): void;
  closeGracefully(): void;
  destroy(): void;
}

/** The pool's counters: an echo connection's, and protocol pushes beside them. */
export interface FleetCounters extends PoolCounters {
  /** Protocol traffic: correct messages received that another connection's request caused (a chat relay). */
  delivered: number;
}

/** ConnectionHost for any pooled connection. */
export interface PoolHost extends Omit<ConnectionHost, 'counters' | 'arm' | 'requestPump' | 'recordCut' | 'closed'> {
  readonly counters: FleetCounters;
  arm(c: PooledConnection, dueNs: number): void;
  requestPump(c: PooledConnection): void;
  recordCut(c: PooledConnection, action: ChaosAction): void;
  closed(c: PooledConnection, connected: boolean, errorCode: string | null): void;
}
