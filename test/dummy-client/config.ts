/** A small, fast fleet config for tests; override what a test is about. */
import type { FleetConfig } from '../../dummy-client/types';
import { LAN_FRAMING } from '../../dummy-client/framing';

export function testConfig(port: number, over: Partial<FleetConfig> = {}): FleetConfig {
  return {
    host: '127.0.0.1',
    port,
    sourceIps: [],
    clients: 20,
    connectRate: 0,
    rampUpSec: 0,
    durationSec: 2,
    framing: LAN_FRAMING,
    payload: { min: 16, max: 200 },
    // The native server's default maxPayload (chaos traffic sends exactly this size).
    serverMaxPayload: 8192,
    connectTimeoutMs: 5000,
    sendModel: { kind: 'closed', pipeline: 4 },
    workers: 2,
    seed: 42,
    traffic: 'echo',
    chaos: { probability: 0, actions: [], reconnectDelayMs: { min: 50, max: 200 } },
    // Generous: the machine is shared, and an echo declared lost then arriving shows up as a transient error.
    echoTimeoutMs: 5000,
    drainTimeoutMs: 3000,
    connectionLifetimeMs: 0,
    ...over,
  };
}
