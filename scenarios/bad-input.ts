import type { Scenario } from './types';
import { BAD_INPUT_DETECTABLE } from '../dummy-client/misbehaving';

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
    {
      metric: 'server.disconnects.protocol',
      op: '>',
      value: 0,
      why: 'oversize and garbage headers are protocol violations',
      // Offenders are drawn per connection, and a half header is legal so far: a run of a few clients may send nothing detectable.
      given: { metric: `clientErrors.${BAD_INPUT_DETECTABLE}`, op: '>=', value: 1 },
    },
    { metric: 'clientErrors.badInput.ignored', op: '==', value: 0, why: 'every oversize or garbage header must be answered by a disconnect' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'well-behaved clients are still echoed' },
  ],
};
