/**
 * The chaos actions that cut a well-behaved connection on purpose (ChaosConfig): which one, and
 * when, drawn from (seed, serial) alone so a replay cuts the same connections; and what each does
 * to the socket. The connection (connection.ts) decides the moment and classifies what was in
 * flight as abandoned.
 */
import type { ChaosAction, FleetConfig } from './types';
import type { FleetSocket } from './transport';
import { ECHO_HEADER_BYTES, Prng, mix32 } from './codec';
import { frameTag, headerBytes, writeFrameHeader } from './framing';

/** Packets per chaos RST burst. */
export const RST_BURST = 4;
/** How long a half-closed or half-written connection may wait for the server to close it. */
export const CLOSING_GRACE_MS = 2000;
/**
 * A silent connection's quiet spell: longer than the server's releaseStalled threshold
 * (addon/src/core/prober.h, 3 s). A session the server disconnects from outside its I/O path (the
 * prober's kicks) while its client is silent is released only because the disconnect shuts the
 * socket down (I3); without that it waits for the client, and a spell this long makes the wait
 * show as releaseStalled. Shorter spells hid a server that never shuts down in about half the runs.
 */
export const SILENCE_MS = { min: 3000, max: 6000 };

/** Chaos plan of one connection, drawn from (seed, serial) alone so a replay cuts the same ones. */
export interface ChaosPlan {
  /** Life in ms at which the action fires; Infinity when never. */
  atLifeMs: number;
  action: ChaosAction | null;
  reconnectDelayMs: number;
  /** silence: how long the connection neither reads nor writes before it closes (SILENCE_MS). */
  silenceMs: number;
  /** closeMidPacket: stop inside the payload (true) or inside the 2-byte header (false). */
  partialPayload: boolean;
}

export function planChaos(config: FleetConfig, serial: number): ChaosPlan {
  const rng = new Prng(mix32((config.seed ^ mix32(serial ^ 0x0c4a05)) >>> 0));
  const { probability, actions, reconnectDelayMs } = config.chaos;
  const u = rng.next();
  const pick = rng.next();
  const delay = rng.next();
  const silence = rng.next();
  const mid = rng.next();
  const plan: ChaosPlan = {
    atLifeMs: Infinity,
    action: null,
    reconnectDelayMs: Math.round(reconnectDelayMs.min + delay * Math.max(0, reconnectDelayMs.max - reconnectDelayMs.min)),
    silenceMs: SILENCE_MS.min + Math.round(silence * (SILENCE_MS.max - SILENCE_MS.min)),
    partialPayload: mid < 0.5,
  };
  if (probability <= 0 || actions.length === 0) return plan;
  // The first second of life (1, 2, ...) in which a per-second draw with this probability hits.
  const second = probability >= 1 ? 1 : Math.max(1, Math.ceil(Math.log(1 - u) / Math.log(1 - probability)));
  plan.action = actions[Math.min(actions.length - 1, Math.floor(pick * actions.length))]!;
  // closeAfterConnect fires on connect when drawn for the first second; otherwise at that second.
  plan.atLifeMs = plan.action === 'closeAfterConnect' && second === 1 ? 0 : second * 1000;
  return plan;
}

/** closeMidPacket: a frame cut inside its payload, or a lone first byte of its header (raw: half a message, or one byte). */
function partialFrame(config: FleetConfig, plan: ChaosPlan): Buffer {
  const len = Math.max(config.payload.min, ECHO_HEADER_BYTES);
  const f = config.framing;
  const header = f.kind === 'raw' ? 0 : headerBytes(f);
  const partial = Buffer.alloc(plan.partialPayload ? header + (len >> 1) : 1, 0x5a);
  if (f.kind !== 'raw' && partial.length > 1) writeFrameHeader(f, partial, 0, len, frameTag(f, 0));
  return partial;
}

/**
 * Performs `action` on the socket of an open connection. rstMidBurst first writes a burst
 * (writeBurst: packets in flight on purpose, abandoned). Returns how many ms the connection may
 * now stay closing, waiting for the server's close; null when the socket is already destroyed.
 */
export function performChaosAction(
  s: FleetSocket,
  action: ChaosAction,
  plan: ChaosPlan,
  config: FleetConfig,
  writeBurst: (packets: number) => void,
): number | null {
  switch (action) {
    case 'rstMidBurst':
      writeBurst(RST_BURST);
      s.resetAndDestroy();
      return null;
    case 'finInFlight':
      // Half close: keep reading the echoes of what is in flight until the server closes.
      s.end();
      return CLOSING_GRACE_MS;
    case 'closeAfterConnect':
      s.destroy();
      return null;
    case 'closeMidPacket':
      s.end(partialFrame(config, plan));
      return CLOSING_GRACE_MS;
    case 'silence':
      s.pause();
      return plan.silenceMs;
  }
}
