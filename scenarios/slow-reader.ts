import type { GateGiven, Scenario } from './types';
import { SLOW_READER_STARTED } from '../dummy-client/misbehaving';

const MIB = 1024 * 1024;
/** Per-session room beyond the send queue (receive ring, session, kernel bookkeeping seen in RSS). */
const SESSION_SLACK = 256 * 1024;
/** The process's own growth under load (allocator arenas, stats) that no session explains. */
const PROCESS_SLACK_MIB = 64;

/** What the server may hold at most if sendQueueLimit works: every client queued to its limit (MiB). */
const RSS_BOUND_MIB = `ceil(clients * (sendQueueLimit + ${SESSION_SLACK}) / ${MIB}) + ${PROCESS_SLACK_MIB}`;

/** Offenders are drawn per connection: a run of a few clients may have none. */
const SLOW_READER_BEGAN: GateGiven = { metric: `clientErrors.${SLOW_READER_STARTED}`, op: '>=', value: 1 };

/**
 * A share of the clients flood packets and never read: the echoes pile up in the server's send
 * queue until sendQueueLimit disconnects the session (sendQueueFull), so the server's memory stays
 * bounded; everyone else keeps being echoed.
 */
export const slowReader: Scenario = {
  name: 'slow-reader',
  description: 'a quarter of the clients never read; sendQueueLimit must cut them (sendQueueFull) and bound server memory',
  defaults: { traffic: 'slowReader', offenderFraction: 0.25, sendQueueLimit: 256 * 1024, payload: { min: 1024, max: 1024 } },
  gates: [
    { metric: 'server.disconnects.sendQueueFull', op: '>', value: 0, why: 'a reader that never reads must be cut by sendQueueLimit', given: SLOW_READER_BEGAN },
    { metric: 'clientErrors.slowReader.cutByServer', op: '>', value: 0, why: 'the slow readers saw the server cut them', given: SLOW_READER_BEGAN },
    { metric: 'server.rssGrowthMiB', op: '<', value: RSS_BOUND_MIB, why: 'sendQueueLimit bounds what slow readers make the server hold' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'the clients that do read are still echoed' },
  ],
};
