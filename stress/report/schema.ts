/**
 * JSON Schema (draft-07, checked with ajv) of RunReport schemaVersion 1
 * (stress/report/types.ts). Kept next to the type; a test builds a real
 * report and validates it, so the two cannot drift apart silently.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { SCHEMA_VERSION } from './types';
import { ANOMALIES, DISCONNECT_REASONS, NEWER_SERVER_COUNTERS, REJECT_REASONS, SERVER_COUNTERS } from '../../server/types';
import { CHAOS_ACTIONS, INTEGRITY_CLASSES } from '../../dummy-client/types';
import { COMPARE_OPS } from '../run/compare-op';

type JsonSchema = Record<string, unknown>;

const nonNeg = { type: 'number', minimum: 0 };
const count = { type: 'integer', minimum: 0 };
const nullableCount = { type: ['integer', 'null'], minimum: 0 };

/** Every property of `properties` is required; those of `optional` are checked when present (counters older reports lack). */
function object(properties: Record<string, JsonSchema>, extra = false, optional: Record<string, JsonSchema> = {}): JsonSchema & { properties: Record<string, JsonSchema> } {
  return { type: 'object', required: Object.keys(properties), properties: { ...properties, ...optional }, additionalProperties: extra };
}

function countsOf(names: readonly string[]): ReturnType<typeof object> {
  return object(Object.fromEntries(names.map((n) => [n, count])));
}

const percentiles = object({
  min: nonNeg, mean: nonNeg, p50: nonNeg, p90: nonNeg, p99: nonNeg, p999: nonNeg, max: nonNeg, count,
});

const clientLag = object({ p50: nonNeg, p99: nonNeg, max: nonNeg, count });

const clientBound = object({
  bound: { type: 'boolean' },
  reasons: { type: 'array', items: object({ rule: { enum: ['lag', 'saturated'] }, detail: { type: 'string' } }) },
  remedy: { type: ['string', 'null'] },
});

const tick = object({
  t: nonNeg,
  connections: count,
  connecting: count,
  sent: count,
  echoed: count,
  bytesSent: count,
  bytesEchoed: count,
  p50: { type: ['number', 'null'], minimum: 0 },
  p99: { type: ['number', 'null'], minimum: 0 },
  errors: count,
  lagMs: nonNeg,
  cpuPercent: nonNeg,
  behindSchedule: count,
}, false, { cuts: countsOf(CHAOS_ACTIONS) });

const serverStats = object(
  {
    ...countsOf(SERVER_COUNTERS).properties,
    rejected: countsOf(REJECT_REASONS),
    disconnects: countsOf(DISCONNECT_REASONS),
    anomalies: {
      // Every counter of ANOMALIES; reports from servers older than the probe and sweep counters lack those.
      ...countsOf(['doubleRelease', 'ioCountUnderflow', 'releaseWithPendingIo']),
      properties: Object.fromEntries(ANOMALIES.map((n) => [n, count])),
    },
  },
  // Newer servers may add counters; the named ones are what gates read.
  true,
  Object.fromEntries(NEWER_SERVER_COUNTERS.map((n) => [n, count])),
);

const gate = object({
  name: { type: 'string', minLength: 1 },
  kind: { enum: ['integrity', 'server', 'scenario', 'threshold'] },
  pass: { type: 'boolean' },
  actual: { type: ['number', 'null'] },
  expected: { type: 'string' },
  unknown: { type: 'boolean' },
}, false, { notJudged: { type: 'string', minLength: 1 } });

const optionValue = {
  anyOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array', items: { type: 'string' } }],
};

const sanitizerFindings = object({
  count,
  reports: {
    type: 'array',
    items: object({
      kind: { enum: ['AddressSanitizer', 'LeakSanitizer', 'ThreadSanitizer', 'UndefinedBehaviorSanitizer'] },
      lines: { type: 'array', items: { type: 'string' } },
    }),
  },
});

const serverSection = object({
  stats: { anyOf: [{ type: 'null' }, serverStats] },
  statsSeries: { type: 'array', items: object({ t: nonNeg, sessions: count, recvPackets: count, sendPackets: count }) },
  leaked: { type: ['integer', 'null'] },
  finalSessions: nullableCount,
  crashed: { type: 'boolean' },
  exitCode: { type: ['integer', 'null'] },
  signal: { type: ['string', 'null'] },
  stderrTail: { type: 'array', items: { type: 'string' } },
});

const interruption = object({
  signal: { type: ['string', 'null'] },
  atSec: nonNeg,
  reason: { type: 'string' },
});

const reportBody = object({
  schemaVersion: { const: SCHEMA_VERSION },
  meta: object({
    tool: object({ name: { const: 'lanstress' }, version: { type: 'string' } }),
    git: object({ commit: { type: ['string', 'null'] }, dirty: { type: ['boolean', 'null'] } }),
    addon: {
      ...object({ buildType: { type: 'string' }, flags: { type: 'string' }, backend: { type: ['string', 'null'] } }),
      // Optional: only a --server-bin run names its binary and fault switches.
      properties: {
        buildType: { type: 'string' }, flags: { type: 'string' }, backend: { type: ['string', 'null'] },
        binary: { type: 'string' }, faults: { type: 'array', items: { type: 'string' } },
      },
    },
    node: { type: 'string' },
    os: object({ platform: { type: 'string' }, release: { type: 'string' }, arch: { type: 'string' } }),
    cpu: object({ model: { type: 'string' }, cores: { type: 'integer', minimum: 1 } }),
    seed: count,
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    durationSec: nonNeg,
    argv: { type: 'array', items: { type: 'string' } },
  }),
  scenario: object({ name: { type: 'string', minLength: 1 }, description: { type: 'string' } }, false, {
    gates: {
      type: 'array',
      items: object({ metric: { type: 'string' }, op: { enum: [...COMPARE_OPS] }, value: { type: ['number', 'string'] }, why: { type: 'string' } }, false, {
        when: { type: 'string' },
        given: object({ metric: { type: 'string' }, op: { enum: [...COMPARE_OPS] }, value: { type: 'number' } }),
      }),
    },
  }),
  options: { type: 'object', additionalProperties: optionValue },
  target: object({ kind: { enum: ['embedded', 'external'] }, host: { type: 'string' }, port: { type: 'integer', minimum: 0, maximum: 65535 } }),
  results: object({
    connections: countsOf(['target', 'opened', 'peak', 'reconnects', 'connectErrors']),
    throughput: {
      ...object({
        sent: count, echoed: count, bytesSent: count, bytesEchoed: count,
        echoesPerSec: nonNeg, bytesPerSec: nonNeg, behindSchedule: count,
      }),
      // Optional: reports written before late echoes were tallied lack it.
      properties: {
        sent: count, echoed: count, bytesSent: count, bytesEchoed: count,
        echoesPerSec: nonNeg, bytesPerSec: nonNeg, behindSchedule: count, late: count, probes: count, warmUpSec: count, delivered: count,
      },
    },
    series: { type: 'array', items: tick },
    latency: object(
      {
        corrected: percentiles,
        uncorrected: percentiles,
        connect: percentiles,
        histograms: object({ corrected: { type: 'string' }, uncorrected: { type: 'string' }, connect: { type: 'string' } }),
      },
      false,
      // Optional: reports written before they were recorded lack them.
      { clientLag, clientBound },
    ),
    integrity: countsOf(INTEGRITY_CLASSES),
    chaos: object({
      counts: countsOf(CHAOS_ACTIONS),
      cuts: {
        type: 'array',
        items: {
          ...object({ serial: count, action: { enum: [...CHAOS_ACTIONS] }, seq: count, inFlight: count, atMs: nonNeg }),
          // Optional: reports written before it was logged lack it.
          properties: { serial: count, action: { enum: [...CHAOS_ACTIONS] }, seq: count, inFlight: count, bytesInFlight: count, atMs: nonNeg },
        },
      },
    }),
    clientErrors: { type: 'object', additionalProperties: count },
    client: object({ maxLagMs: nonNeg, meanCpuPercent: nonNeg, workers: { type: 'integer', minimum: 1 }, bottleneck: { type: 'boolean' } }),
  }),
  server: {
    ...serverSection,
    // Optional: reports written before they were recorded lack them.
    properties: {
      ...(serverSection.properties as Record<string, JsonSchema>),
      quiet: { anyOf: [{ type: 'null' }, serverStats] },
      memory: { anyOf: [{ type: 'null' }, object({ rssAtListenKiB: count, peakRssKiB: count })] },
      sanitizer: sanitizerFindings,
    },
  },
  gates: { type: 'array', items: gate },
  verdict: { enum: ['pass', 'fail', 'interrupted'] },
});

const shardRecord = object({ index: count, count: { type: 'integer', minimum: 1 }, loadStartedAt: { type: 'string', format: 'date-time' } });

const mergeRecord = object({
  files: { type: 'array', items: { type: 'string' }, minItems: 1 },
  count: { type: 'integer', minimum: 1 },
  sharedServer: { type: 'boolean' },
  startSkewSec: nonNeg,
});

export const runReportSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://lanstress.invalid/schemas/run-report-1.json',
  title: 'lanstress RunReport',
  ...reportBody,
  // Optional: only a run stopped early carries `interrupted`, only a shard `shard`, only a merge `merged` (additions, so still schemaVersion 1).
  properties: { ...(reportBody.properties as Record<string, JsonSchema>), interrupted: interruption, shard: shardRecord, merged: mergeRecord },
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, formats: { 'date-time': isDateTime } });
const validate = ajv.compile(runReportSchema);

function isDateTime(text: string): boolean {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) && !Number.isNaN(Date.parse(text));
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'report' : e.instancePath.slice(1).replace(/\//g, '.');
  if (e.keyword === 'required') return `${where}: missing field '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'additionalProperties') {
    return `${where}: unexpected field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  }
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Every problem with `x` as a RunReport, each naming the field (dotted path); [] when valid. */
export function validateReport(x: unknown): string[] {
  if (validate(x)) return [];
  return (validate.errors ?? []).map(describe);
}
