/**
 * `stress [run] [scenario]`: the default command. Numeric flags are strings
 * here so the validator can quote back what was typed, and so every bad flag
 * is reported at once by resolveRunOptions rather than yargs stopping at one.
 */
import * as os from 'node:os';
import { randomInt } from 'node:crypto';
import type { Argv, CommandModule, Options } from 'yargs';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from '../../scenarios';
import { THRESHOLD_HELP, validateThresholds } from '../thresholds';
import { EXIT, EXIT_CODES_HELP, UsageError } from '../run/exit-codes';
import { DEFAULT_CONNECT_TIMEOUT_MS, resolveRunOptions, type RawRunArgs } from '../run/options';
import { TRAFFIC_KINDS } from '../../dummy-client/types';

const runOptions = {
  clients: { type: 'string', describe: 'connections to open', defaultDescription: '1000' },
  duration: { type: 'string', describe: 'seconds of load after the ramp-up starts', defaultDescription: '10' },
  'ramp-up': { type: 'string', describe: 'spread opening the connections over S seconds', defaultDescription: '0' },
  'connect-rate': { type: 'string', describe: 'new connections per second, across the fleet', defaultDescription: '2000' },
  payload: { type: 'string', describe: 'payload bytes: N or MIN-MAX (min 16, max --max-payload)', defaultDescription: '16' },
  pipeline: { type: 'string', describe: 'closed loop: packets in flight per connection', defaultDescription: '1' },
  rate: { type: 'string', describe: 'open loop: packets per second per connection (excludes --pipeline)' },
  chaos: { type: 'string', describe: 'probability per connection-second of a chaos cut (RST, FIN, ...)', defaultDescription: '0' },
  'chaos-actions': { type: 'string', describe: 'comma list of chaos actions to draw from', defaultDescription: 'all' },
  seed: { type: 'string', describe: 'seed for payloads and chaos (printed in the report for replay)', defaultDescription: 'random' },
  target: { type: 'string', describe: "'embedded' (start the shipped server) or a loopback host:port", defaultDescription: 'embedded' },
  backend: {
    type: 'string',
    describe: 'embedded server backend: auto | epoll | io_uring | all (every backend this kernel has) | a comma list; several = one whole run per backend, one report each, the worst exit code',
    defaultDescription: 'auto (chaos: all)',
  },
  mode: { type: 'string', describe: 'embedded server mode: echo | broadcast | js', defaultDescription: 'echo' },
  'server-workers': { type: 'string', describe: 'embedded server worker threads', defaultDescription: 'CPU cores' },
  'max-payload': { type: 'string', describe: "embedded server's largest accepted payload", defaultDescription: '8192' },
  'max-sessions': { type: 'string', describe: "embedded server's session cap", defaultDescription: 'max(10000, clients)' },
  'server-kick': { type: 'string', describe: 'probability per packet that the embedded server kicks the session', defaultDescription: '0' },
  room: { type: 'string', describe: 'embedded server, broadcast mode: sessions per room (0 = one room of everyone)', defaultDescription: '0' },
  'server-echo-delay-us': { type: 'string', describe: 'embedded server waits this many microseconds before each echo (a slower build to compare)', defaultDescription: '0' },
  'server-bin': { type: 'string', describe: 'run this standalone lanserver (e.g. addon/out/asan/lanserver) as the embedded server; its sanitizer reports fail the server.sanitizer gate' },
  'server-send-buffer': { type: 'string', describe: "embedded server's SO_SNDBUF per accepted socket in bytes (0 = kernel default; small forces short, asynchronous sends)", defaultDescription: '0' },
  'server-probes': { type: 'boolean', describe: 'embedded server runs its probe thread: stale-id sendPacket/disconnect (staleIdAccepted) and probe packets to live echo sessions' },
  workers: { type: 'string', describe: 'client worker threads', defaultDescription: 'CPU cores' },
  traffic: { type: 'string', describe: `what the fleet sends: ${TRAFFIC_KINDS.join(' | ')}`, defaultDescription: 'echo (chaos: chaos)' },
  lifetime: { type: 'string', describe: 'churn: reconnect each connection after MS milliseconds (0 = keep)', defaultDescription: '0' },
  'source-ips': { type: 'string', describe: 'spread connections over loopback sources: a count, A-B range or comma list (past ~28k ports of one address)' },
  'send-queue-limit': { type: 'string', describe: "embedded server's bytes queued per session before a slow reader is cut", defaultDescription: '1048576' },
  offenders: { type: 'string', describe: 'badInput / slowReader traffic: share of connections that misbehave (0..1)', defaultDescription: '1' },
  out: { type: 'string', describe: 'directory for the JSON report', defaultDescription: 'reports' },
  gate: { type: 'boolean', describe: 'exit 1 when any gate fails (integrity, leaks, anomalies, thresholds)' },
  threshold: { type: 'string', array: true, describe: "user gate, repeatable: 'p99<20ms', 'throughput>100000', 'connectErrors==0'" },
  json: { type: 'boolean', describe: 'print {report, summary} as JSON and nothing else on stdout' },
  'abort-on-fail': { type: 'boolean', describe: 'stop the run as soon as a threshold is lost for good (errors, lost, max latency...)' },
  junit: { type: 'string', describe: 'also write JUnit XML here: one test case per gate and threshold' },
  markdown: { type: 'string', describe: 'also write a Markdown summary here (for a CI step summary)' },
  'echo-timeout': { type: 'string', describe: 'ms after which an echo never seen counts as lost', defaultDescription: '5000' },
  'drain-timeout': { type: 'string', describe: 'ms to wait for in-flight echoes at the end', defaultDescription: '5000' },
  'connect-timeout': { type: 'string', describe: 'ms after which a connect not yet complete counts as a connect error (ETIMEDOUT)', defaultDescription: String(DEFAULT_CONNECT_TIMEOUT_MS) },
} satisfies Record<string, Options>;

type RunArgs = {
  scenario?: string;
  clients?: string;
  duration?: string;
  'ramp-up'?: string;
  'connect-rate'?: string;
  payload?: string;
  pipeline?: string;
  rate?: string;
  chaos?: string;
  'chaos-actions'?: string;
  seed?: string;
  target?: string;
  backend?: string;
  mode?: string;
  'server-workers'?: string;
  'max-payload'?: string;
  'max-sessions'?: string;
  'server-kick'?: string;
  room?: string;
  'server-echo-delay-us'?: string;
  'server-bin'?: string;
  'server-send-buffer'?: string;
  'server-probes'?: boolean;
  workers?: string;
  traffic?: string;
  lifetime?: string;
  'source-ips'?: string;
  'send-queue-limit'?: string;
  offenders?: string;
  out?: string;
  gate?: boolean;
  threshold?: string[];
  json?: boolean;
  'abort-on-fail'?: boolean;
  junit?: string;
  markdown?: string;
  'echo-timeout'?: string;
  'drain-timeout'?: string;
  'connect-timeout'?: string;
};

function rawArgs(a: RunArgs): RawRunArgs {
  return {
    clients: a.clients,
    duration: a.duration,
    rampUp: a['ramp-up'],
    connectRate: a['connect-rate'],
    payload: a.payload,
    pipeline: a.pipeline,
    rate: a.rate,
    chaos: a.chaos,
    chaosActions: a['chaos-actions'],
    seed: a.seed,
    target: a.target,
    backend: a.backend,
    mode: a.mode,
    serverWorkers: a['server-workers'],
    maxPayload: a['max-payload'],
    maxSessions: a['max-sessions'],
    serverKick: a['server-kick'],
    room: a.room,
    serverEchoDelayUs: a['server-echo-delay-us'],
    serverBin: a['server-bin'],
    serverSendBuffer: a['server-send-buffer'],
    serverProbes: a['server-probes'],
    workers: a.workers,
    traffic: a.traffic,
    lifetime: a.lifetime,
    sourceIps: a['source-ips'],
    sendQueueLimit: a['send-queue-limit'],
    offenders: a.offenders,
    out: a.out,
    gate: a.gate,
    threshold: a.threshold,
    json: a.json,
    abortOnFail: a['abort-on-fail'],
    junit: a.junit,
    markdown: a.markdown,
    echoTimeout: a['echo-timeout'],
    drainTimeout: a['drain-timeout'],
    connectTimeout: a['connect-timeout'],
  };
}

function usage(errors: string[]): number {
  for (const e of errors) process.stderr.write(`stress: ${e}\n`);
  process.stderr.write('Run `stress --help` for the flags, `stress scenarios` for the scenarios.\n');
  return EXIT.usage;
}

export async function runCommand(args: RunArgs): Promise<number> {
  const name = args.scenario ?? DEFAULT_SCENARIO;
  const scenario = findScenario(name);
  const errors: string[] = [];
  if (scenario === undefined) {
    errors.push(`unknown scenario '${name}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  const resolved = resolveRunOptions(rawArgs(args), scenario?.defaults ?? {}, {
    cores: os.availableParallelism(),
    randomSeed: randomInt(0, 2 ** 32 - 1),
  });
  if (!resolved.ok) errors.push(...resolved.errors);
  errors.push(...validateThresholds(args.threshold ?? []));
  if (errors.length > 0 || scenario === undefined || !resolved.ok) return usage(errors);
  const options = scenario.adjust === undefined ? resolved.options : scenario.adjust(resolved.options, rawArgs(args));
  // Loaded here, not at the top: `stress server` (the embedded child) and `stress scenarios` need no fleet.
  const { runScenario } = await import('../run/orchestrate');
  try {
    return await runScenario(scenario, options, { stdout: process.stdout, stderr: process.stderr, argv: process.argv.slice(2) });
  } catch (err) {
    if (err instanceof UsageError) return usage([err.message]);
    throw err;
  }
}

export const runCommandModule: CommandModule<object, RunArgs> = {
  command: ['run [scenario]', '$0 [scenario]'],
  describe: 'load a server with a fleet of clients and check every echo (the default command)',
  builder: (yargs: Argv<object>) =>
    yargs
      .positional('scenario', { type: 'string', describe: `scenario name (see \`stress scenarios\`)`, default: undefined })
      .options(runOptions)
      .epilogue(`${THRESHOLD_HELP}\n\n${EXIT_CODES_HELP}`)
      .example('$0 --clients 5000 --duration 60', 'the default echo-flood scenario with 5000 connections for a minute')
      .example('$0 run echo-flood --payload 16-512 --pipeline 4', 'random payload sizes, 4 packets in flight per connection')
      .example('$0 --rate 100 --threshold "p99<20ms" --gate', 'open loop at 100 packets/s per connection; CI fails on any gate')
      .example('$0 --target 127.0.0.1:9000 --clients 200', 'load a server you started yourself (server checks unknown)')
      .example('$0 chaos --seed 7 --rate 50', 'random cuts mid-I/O, replayable with the same seed')
      .example('$0 chaos --backend all --gate', 'the chaos gate once per backend this kernel has (chaos defaults to all)')
      .example('$0 churn --source-ips 127.0.0.2-127.0.0.9 --duration 60', 'connect/close storm past one address\'s ephemeral ports') as unknown as Argv<RunArgs>,
  handler: async (args) => {
    process.exitCode = await runCommand(args);
  },
};
