import type { Scenario } from './types';

/**
 * Sessions die in the middle of I/O on purpose, from both ends: the bugs a calm echo test never
 * reaches (release with a send pending, double release, a stale id on a reused slot, a lost send
 * wake-up). In-flight packets of cut connections are abandoned; everything else must come back.
 */
export const chaos: Scenario = {
  name: 'chaos',
  description: 'clients cut connections mid-I/O (RST, FIN in flight, mid-packet, silence) and the server kicks sessions',
  // Every backend by default: a fault in one backend's wake-ups or re-arming is invisible on the other.
  defaults: { chaos: 0.3, serverKick: 0.0005, payload: { min: 16, max: 512 }, pipeline: 4, traffic: 'chaos', backend: 'all' },
  gates: [
    { metric: 'chaos.total', op: '>', value: 0, why: 'a chaos run that cut nothing tested nothing' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'connections nobody cut must still be echoed' },
    {
      metric: 'server.disconnects.peerReset',
      op: '>',
      value: 0,
      why: 'an RST in the middle of a send burst must reach the server as a reset',
      when: (o) => o.chaos > 0 && o.chaosActions.includes('rstMidBurst'),
    },
    {
      metric: 'server.disconnects.kicked',
      op: '>',
      value: 0,
      why: 'the server was told to kick sessions itself',
      when: (o) => o.serverKick > 0 && o.target.kind === 'embedded',
    },
  ],
};
