import type { Scenario } from './types';

export const echoFlood: Scenario = {
  name: 'echo-flood',
  description: 'every client floods framed echo packets (closed loop), every echo checked byte for byte',
  defaults: { mode: 'echo', traffic: 'echo', chaos: 0 },
  gates: [
    { metric: 'integrity.ok', op: '>', value: 0, why: 'a flood that echoes nothing tested nothing' },
  ],
};
