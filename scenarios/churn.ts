import type { Scenario } from './types';

/**
 * A connect/close storm: every connection lives a few packets and is replaced at once, so
 * accept, release and slot reuse run as fast as the machine allows. Past ~28k connections in a
 * TIME_WAIT period one source address runs out of ephemeral ports: `--source-ips` spreads the
 * fleet over more loopback addresses (more than 64k connections a run).
 */
export const churn: Scenario = {
  name: 'churn',
  description: 'connect/close storm: each connection lives 50 ms and reconnects at once (use --source-ips past ~28k ports)',
  defaults: { lifetimeMs: 50, connectRate: 1_000_000, pipeline: 1 },
  gates: [
    { metric: 'connections.reconnects', op: '>', value: 0, why: 'churn means connections were replaced' },
    { metric: 'connections.opened', op: '>', value: 'clients', why: 'every slot should open more than once' },
    { metric: 'connectErrors', op: '==', value: 0, why: 'a storm must not exhaust ports or the accept queue (see --source-ips)' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'short-lived connections still echo' },
  ],
};
