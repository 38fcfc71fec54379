import type { Scenario } from './types';

/** Share of --clients the server's cap allows, unless --max-sessions is given. */
const SERVED_SHARE = 0.75;

/**
 * More clients than maxSessions: the excess is closed at once and counted rejected (full), the
 * rest are served as usual. The fleet expects the refusals (they are tallied as `refused`, their
 * packets abandoned) and keeps retrying them.
 */
export const maxSessions: Scenario = {
  name: 'max-sessions',
  description: 'a quarter more clients than the server allows: the excess is rejected (full), the rest served',
  defaults: { maxSessions: 750, expectRefused: true },
  derive: { maxSessions: `max(1, floor(clients * ${SERVED_SHARE}))` },
  gates: [
    { metric: 'server.rejected.full', op: '>', value: 0, why: 'clients past maxSessions must be rejected', when: 'clients > maxSessions' },
    { metric: 'server.peakSessions', op: '==', value: 'maxSessions', why: 'the server fills up to its cap and never past it' },
    { metric: 'clientErrors.refused', op: '>', value: 0, why: 'the fleet saw the refusals', when: 'clients > maxSessions' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'the sessions within the cap are served' },
  ],
};
