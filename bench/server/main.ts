/**
 * `npm run bench:server`: the shipped lanserver on each backend against a minimal C epoll echo
 * server and Node's socket.pipe, all driven by one C load client, servers alternating within
 * each repeat. Writes reports/bench-server-<time>.json and .md and prints the Markdown.
 *
 *   node dist/bench/server/main.js [--repeats 3] [--duration 10] [--clients 5000]
 *       [--only c-epoll,lanserver-epoll] [--lanserver-bin LABEL=PATH[,LABEL=PATH]]...
 *       [--out reports] [--quick]
 *
 * --lanserver-bin (repeatable) runs another lanserver build beside this tree's: each chosen
 * lanserver-<backend> row is followed by a lanserver-<backend>@LABEL row started from PATH with
 * the same flags, alternating with the rest, so two builds' ratios to C come from one run. e.g.
 *   --only c-epoll,lanserver-epoll --lanserver-bin main=/tmp/lanserver-main
 */
import * as path from 'node:path';
import { helpText, parseFlags, runMain, UsageError, type FlagSpec } from '../lib/args';
import { buildAllC } from '../lib/build-c';
import { preflight } from '../lib/preflight';
import { machineMeta, writeResults } from '../lib/output';
import { chooseSyscallTool } from '../lib/syscalls';
import { measureServer, type ServerMeasurement, type ServerPlan } from './measure';
import { serverMarkdown } from './markdown';
import {
  expandRows,
  isLanserver,
  parseLanserverBins,
  SERVER_NAMES,
  serverDef,
  snapshotLanserver,
  type BaseServerName,
  type LanserverBin,
  type ServerDef,
  type ServerName,
} from './servers';
import { ratiosToReference, summarise } from './summary';

const FLAGS: readonly FlagSpec[] = [
  { name: 'repeats', kind: 'int', min: 1, describe: 'rounds of every server, alternating (default 3; --quick: 1)' },
  { name: 'duration', kind: 'number', min: 0.5, describe: 'seconds per measured window (default 10; --quick: 3)' },
  { name: 'clients', kind: 'int', min: 1, describe: 'connections per pass (default 5000; --quick: 1000)' },
  { name: 'only', kind: 'list', describe: `servers to run, comma list of: ${SERVER_NAMES.join(', ')} (default: all)` },
  { name: 'lanserver-bin', kind: 'list', repeatable: true, describe: 'LABEL=PATH: also run the chosen lanserver rows from another build as lanserver-<backend>@LABEL (repeatable, or a comma list)' },
  { name: 'out', kind: 'string', describe: 'directory for the JSON and Markdown (default reports)' },
  { name: 'quick', kind: 'switch', describe: 'a short smoke run: 1000 clients, 3 s windows, 1 repeat, short side passes' },
  { name: 'help', kind: 'switch', describe: 'this text' },
];

interface ServerBenchArgs {
  repeats: number;
  servers: ServerName[];
  others: LanserverBin[];
  out: string;
  plan: ServerPlan;
}

function resolveArgs(argv: readonly string[]): ServerBenchArgs | 'help' {
  const v = parseFlags(argv, FLAGS);
  if (v.help === true) return 'help';
  const quick = v.quick === true;
  const only = (v.only as string[] | undefined) ?? [...SERVER_NAMES];
  const unknown = only.filter((s) => !(SERVER_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError([`--only: unknown server ${unknown.join(', ')} (known: ${SERVER_NAMES.join(', ')})`]);
  const others = parseLanserverBins((v['lanserver-bin'] as string[] | undefined) ?? []);
  const durationSec = (v.duration as number | undefined) ?? (quick ? 3 : 10);
  return {
    repeats: (v.repeats as number | undefined) ?? (quick ? 1 : 3),
    servers: expandRows(only as BaseServerName[], others),
    others,
    out: (v.out as string | undefined) ?? 'reports',
    plan: {
      clients: (v.clients as number | undefined) ?? (quick ? 1000 : 5000),
      durationSec,
      warmupSec: quick ? 0.5 : 1,
      latencyRate: 10,
      cpuRate: 100,
      size: 64,
      syscallSec: Math.min(durationSec, quick ? 1 : 3),
      floodSec: Math.min(durationSec, quick ? 1 : 3),
      floodSize: 1000,
      floodPipeline: 4,
      idleSettleMs: quick ? 500 : 1500,
      syscallTool: null,
    },
  };
}

/** Each repeat starts one server later in the list, so no server always runs first (or last). */
function orderFor(repeat: number, servers: readonly ServerName[]): ServerName[] {
  const shift = (repeat - 1) % servers.length;
  return [...servers.slice(shift), ...servers.slice(0, shift)];
}

function progress(text: string): void {
  process.stderr.write(`bench:server: ${text}\n`);
}

function describe(m: ServerMeasurement): string {
  const f = (v: number | undefined, d = 3): string => (v === undefined ? '–' : String(Number(v.toPrecision(d))));
  return `cpu ${f(m.cpu?.cpuSecPerMEchoes)} s/1M at ${f(m.cpu?.echoesPerSec)} echoes/s, p50/p99 ${f(m.latency?.p50Ms)}/${f(m.latency?.p99Ms)} ms, syscalls/echo ${f(m.syscalls?.perEcho)}, rss ${f((m.rssStartKb ?? NaN) / 1024)}→${f((m.idle?.rssKb ?? NaN) / 1024)} MB, flood peak ${f((m.flood?.peakRssKb ?? NaN) / 1024)} MB${m.error ? `; ERROR ${m.error}` : ''}`;
}

async function main(): Promise<void> {
  const args = resolveArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${helpText('usage: node dist/bench/server/main.js [flags]   (npm run bench:server -- [flags])', FLAGS)}\n`);
    return;
  }
  const compiler = preflight('bench:server', args.plan.clients);

  const binaries = buildAllC();
  const lanserver = args.servers.some(isLanserver) ? snapshotLanserver() : null;
  const others = args.others.map((b) => ({ label: b.label, ...snapshotLanserver(b.path, b.label) }));
  const otherBinaries = new Map(others.map((o) => [o.label, o.binary]));
  const defs = new Map<ServerName, ServerDef>(args.servers.map((name) => [name, serverDef(name, lanserver?.binary ?? '', binaries['echo-server'], otherBinaries)]));
  const def = (name: ServerName): ServerDef => defs.get(name)!;
  const syscallTool = chooseSyscallTool();
  const plan: ServerPlan = { ...args.plan, syscallTool: syscallTool.tool };
  const startedAt = new Date();
  progress(`${args.servers.join(', ')}; ${args.repeats} repeat(s) of ${plan.durationSec} s windows, ${plan.clients} connections; syscalls: ${syscallTool.note}`);

  const measurements: ServerMeasurement[] = [];
  for (let repeat = 1; repeat <= args.repeats; repeat++) {
    for (const name of orderFor(repeat, args.servers)) {
      const m = await measureServer(def(name), binaries['load-client'], plan, repeat);
      progress(`repeat ${repeat} ${name}: ${describe(m)}`);
      measurements.push(m);
    }
  }

  const summary = summarise(args.servers, measurements);
  const ratios = ratiosToReference(args.servers, measurements, args.repeats);
  const markdown = serverMarkdown({
    servers: args.servers,
    repeats: args.repeats,
    clients: plan.clients,
    durationSec: plan.durationSec,
    latencyRate: plan.latencyRate,
    cpuRate: plan.cpuRate,
    size: plan.size,
    floodSize: plan.floodSize,
    floodPipeline: plan.floodPipeline,
    syscallNote: syscallTool.note,
    builds: [
      ...(lanserver === null ? [] : [{ label: '', source: lanserver.source, buildInfo: lanserver.buildInfo }]),
      ...others.map((o) => ({ label: o.label, source: o.source, buildInfo: o.buildInfo })),
    ],
    summary,
    ratios,
    measurements,
  });
  const json = {
    bench: 'server',
    schemaVersion: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    machine: machineMeta(compiler),
    lanserver: lanserver === null ? null : { buildInfo: lanserver.buildInfo, source: lanserver.source, builtAt: lanserver.builtAt },
    lanserverBins: others.map((o) => ({ label: o.label, buildInfo: o.buildInfo, source: o.source, builtAt: o.builtAt })),
    plan,
    syscalls: syscallTool,
    servers: args.servers.map((name) => ({ name, command: [path.basename(def(name).command), ...def(name).args].join(' ') })),
    measurements,
    summary,
    ratios,
  };
  const written = writeResults(args.out, 'server', startedAt, json, markdown);
  process.stdout.write(markdown);
  progress(`wrote ${written.json} and ${written.markdown}`);
}

if (require.main === module) runMain('bench:server', main);
