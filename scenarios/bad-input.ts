import type { Scenario } from './types';

/**
 * A share of the clients send garbage, an oversize header or half a header, then stay silent.
 * docs/protocol.md: an oversize length is a protocol violation that disconnects that session only; the
 * well-behaved clients beside them must not notice.
 */
export const badInput: Scenario = {
  name: 'bad-input',
  description: 'a fifth of the clients send garbage / oversize / half headers; the server cuts them (protocol), others unaffected',
  defaults: { traffic: 'badInput', offenderFraction: 0.2 },
  gates: [
    { metric: 'server.disconnects.protocol', op: '>', value: 0, why: 'oversize and garbage headers are protocol violations' },
    { metric: 'clientErrors.badInput.ignored', op: '==', value: 0, why: 'every oversize or garbage header must be answered by a disconnect' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'well-behaved clients are still echoed' },
  ],
};
