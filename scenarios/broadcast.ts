import type { Scenario } from './types';

/**
 * Every packet goes to the K sessions of its room, from the server's worker threads, while
 * chaos releases sessions of that room: sendPacket races release across threads. Receivers check
 * each packet's checksum and that each sender's sequence only rises.
 */
export const broadcast: Scenario = {
  name: 'broadcast',
  description: 'server fans each packet out to a room of 8 sessions while chaos releases room members',
  defaults: { mode: 'broadcast', traffic: 'broadcast', room: 8, rate: 20, pipeline: null, payload: { min: 16, max: 128 }, chaos: 0.1 },
  gates: [
    { metric: 'integrity.ok', op: '>', value: 0, why: 'room members must receive intact broadcasts' },
    { metric: 'server.sendPackets', op: '>', value: 0, why: 'the server fanned packets out' },
  ],
};
