/**
 * The protocol-module contract (`stress run --protocol ./my-protocol.js`): how the fleet talks to
 * a request/response server that answers something other than an echo (a chat or game server).
 * A module exports these hooks (as named exports or as its default export); the fleet loads it in
 * every worker thread (protocol-load.ts) and drives one ProtocolConnection per socket with it.
 *
 * Every received message is one of:
 *  - an answer to one of this connection's requests (by the tag the module gave it): `ok` when
 *    correct, `corrupted` when wrong; an answer to a tag not outstanding (never sent, already
 *    answered as often as it expects, or given up on) is `unexpected`;
 *  - a push: a message another connection's request caused (a chat relay), judged by its content
 *    alone: correct ones are counted `delivered` (not an integrity class: no request of this
 *    connection waits for it), wrong ones `corrupted`;
 *  - unexpected (the module cannot place it), or corrupted (it cannot even be read).
 * A request whose responses do not all come is `lost` (one per missing response) once the echo
 * timeout passes or the run ends; `abandoned` when the connection was cut on purpose (chaos, churn).
 * Latency: from the request's send (its intended send time in open loop) to its first response.
 */

/** One message to send. */
export interface Request {
  /** The whole message, framed as the server expects it. */
  bytes: Uint8Array;
  /** The module's name for this request, unique among the connection's requests still awaited. */
  tag: number;
  /** How many responses it expects (default 1; 0: none, nothing is awaited). */
  responses?: number;
}

/** What the module is told about the connection it speaks for. */
export interface ProtocolConn {
  /** Fleet-wide unique connection serial (a reconnect gets a new one). */
  readonly serial: number;
  /** The run's --seed. */
  readonly seed: number;
  /** --clients: the fleet's size (to place connections in rooms, say). */
  readonly clients: number;
  /** The module's own per-connection state, empty at connect. */
  readonly state: Record<string, unknown>;
  /** Deterministic per connection: drawn from (seed, serial). */
  readonly rng: { next(): number; int(min: number, max: number): number };
}

/** How the module classifies one received message. */
export type Check =
  | { kind: 'answer'; tag: number; ok: boolean }
  | { kind: 'push'; ok: boolean }
  | { kind: 'unexpected' }
  | { kind: 'corrupted' };

export interface Protocol {
  /**
   * Bytes of the first whole message at the start of `buf`; 0 when more bytes are needed; negative
   * when the stream cannot be framed (counted corrupted, and the connection is cut).
   */
  frame(buf: Buffer): number;
  /** The first messages after connect (a login), sent before any request. */
  open?(conn: ProtocolConn): Request[];
  /** The connection's next request, or null when it has none to send now (asked again later). */
  request(conn: ProtocolConn): Request | null;
  /** Classifies one whole received message (exactly the bytes frame() measured). */
  check(conn: ProtocolConn, message: Buffer): Check;
}

/** The hooks a module must export, and the optional ones: what protocol-load.ts checks. */
export const REQUIRED_HOOKS = ['frame', 'request', 'check'] as const satisfies ReadonlyArray<keyof Protocol>;
export const OPTIONAL_HOOKS = ['open'] as const satisfies ReadonlyArray<keyof Protocol>;
