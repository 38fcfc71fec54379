import type { Scenario } from './types';
import { STALL_LONG_BYTES } from '../dummy-client/chaos-traffic';
import { STALL_LONG_STARTED } from '../dummy-client/misbehaving';

/** The chaos server's send queue: small, so connections that stop reading hit it within a second or two. */
const CHAOS_SEND_QUEUE_LIMIT = 256 * 1024;
/** Asks the kernel for its smallest send buffer (the seed's SO_SNDBUF 0): sends go asynchronous and short. */
const CHAOS_SEND_BUFFER = 4096;

/** Kernel buffers a stalled connection's echoes fill before the server's queue does (loopback socket buffers, both ends). */
const STALL_KERNEL_SLACK = 1 << 20;
/**
 * When a long stall is sure to pass the send queue limit: the limit plus the kernel's buffers fit in
 * what it sends, and the packets that takes (maxPayload each) are few beside the 1/serverKick a
 * session lives under the per-packet kick, so a kick seldom comes first.
 */
const LIMIT_REACHABLE = `sendQueueLimit + ${STALL_KERNEL_SLACK} <= ${STALL_LONG_BYTES} && serverKick * (sendQueueLimit + ${STALL_KERNEL_SLACK}) / max(maxPayload, 1) <= 0.25`;

/** Server-side counters and knobs exist only when the run starts its own server. */
const EMBEDDED = "target == 'embedded'";

/**
 * Sessions die in the middle of I/O on purpose, from both ends, while the traffic reaches every
 * path of the server: the bugs a calm echo test never reaches (release with a send pending, double
 * release, a stale id on a reused slot, a lost send wake-up, a packet across the receive ring's
 * wrap, a short write, a full send queue). In-flight packets of cut connections are abandoned;
 * everything else must come back, and the server's own detectors (anomalies) must stay at 0.
 *
 * - traffic 'chaos' (dummy-client/chaos-traffic.ts): payloads of 0 bytes to exactly maxPayload and
 *   across the receive ring's wrap, coalesced bursts, split writes, connections that stop reading;
 * - a tiny server send buffer, so sends complete short and asynchronously (the re-post path);
 * - a small send queue limit, so stalled readers are cut (sendQueueFull);
 * - the server's probes: stale ids called from another thread while their slots are reused, and
 *   probe packets pushed into live sessions racing the workers' sends and releases;
 * - every backend, one run each: a fault in one backend's wake-ups or re-arming is invisible on another.
 */
export const chaos: Scenario = {
  name: 'chaos',
  description: 'clients cut connections mid-I/O and stall, the server kicks and probes stale ids, traffic hits every path; every backend',
  defaults: {
    chaos: 0.3,
    serverKick: 0.0005,
    payload: { min: 16, max: 512 },
    pipeline: 4,
    traffic: 'chaos',
    backend: 'all',
    sendQueueLimit: CHAOS_SEND_QUEUE_LIMIT,
    serverSendBuffer: CHAOS_SEND_BUFFER,
    serverProbes: true,
  },
  gates: [
    { metric: 'chaos.total', op: '>', value: 0, why: 'a chaos run that cut nothing tested nothing' },
    { metric: 'integrity.ok', op: '>', value: 0, why: 'connections nobody cut must still be echoed' },
    {
      metric: 'server.disconnects.peerReset',
      op: '>',
      value: 0,
      why: 'an RST in the middle of a send burst must reach the server as a reset',
      when: "chaos > 0 && 'rstMidBurst' in chaosActions",
      // Cuts fall on whole seconds of a connection's life: a small or short run may make none.
      given: { metric: 'chaos.rstMidBurst', op: '>=', value: 2 },
    },
    {
      metric: 'server.disconnects.kicked',
      op: '>',
      value: 0,
      why: 'the server was told to kick sessions itself',
      when: `serverKick > 0 && ${EMBEDDED}`,
    },
    {
      metric: 'server.disconnects.protocol',
      op: '==',
      value: 0,
      why: 'chaos traffic sends only legal frames (a cut mid-packet ends the stream, it is no violation): a protocol disconnect is the server misreading one',
      when: "traffic == 'chaos'",
    },
    {
      metric: 'server.disconnects.ioError',
      op: '==',
      value: 0,
      why: 'on loopback every socket error a peer can cause is a reset (peerReset): ioError is the server using a socket it should not',
    },
    {
      metric: 'server.disconnects.sendQueueFull',
      op: '>',
      value: 0,
      why: 'connections that stop reading must be cut by sendQueueLimit: a queue that never fills means the limit is not enforced',
      when: `traffic == 'chaos' && ${EMBEDDED} && ${LIMIT_REACHABLE}`,
      // One connection in twenty stalls long, and only if it lives to its stall: a small run may have none.
      given: { metric: `clientErrors.${STALL_LONG_STARTED}`, op: '>=', value: 2 },
    },
    {
      metric: 'server.probeCalls',
      op: '>',
      value: 0,
      why: 'the server was told to probe stale ids and live sessions from its watch thread',
      when: `serverProbes && ${EMBEDDED}`,
    },
    {
      metric: 'probesReceived',
      op: '>',
      value: 0,
      why: 'probe packets sent into live sessions from another thread must reach their clients intact',
      when: `serverProbes && ${EMBEDDED} && mode == 'echo'`,
    },
  ],
};
