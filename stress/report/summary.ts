/**
 * The end-of-run summary. The printer returns a string (the caller decides
 * where it goes) and colours only when asked to, i.e. when the stream is a TTY
 * (as autocannon's lib/printResult.js does).
 *
 * The default is compact (under 40 lines for a passing run, so it fits a screen): the verdict
 * and any failure first, one latency table, then one line each for throughput, connections,
 * integrity, client errors, chaos and the server; gates as "N passed" plus only the failed and
 * unknown ones with their measured value in its unit. `verbose` prints every table in full.
 */
import { formatHostPort } from '../../server/loopback';
import chalk from 'chalk';
import Table from 'cli-table3';
import type { ServerStats } from '../../server/types';
import { isExpectedClientEvent } from '../../dummy-client/types';
import { interruptedText } from './interrupted';
import { clientBoundText } from './client-bound';
import { anomalyTotal } from '../run/metrics';
import { formatBytes, formatMsFixed, formatScaled } from '../format/units';
import { gateActual, unknownText } from '../format/gate-value';
import { sendModelText } from '../compare/settings';
import type { ClientBound, ClientLag, GateVerdict, Percentiles, RunReport } from './types';

export interface SummaryOptions {
  colors: boolean;
  reportPath: string | null;
  /** Every table in full (the gates one row each, every server counter); default: compact. */
  verbose?: boolean;
}

/** The machine-readable digest printed by --json next to the report path. */
export interface SummaryData {
  scenario: string;
  verdict: RunReport['verdict'];
  /** Why and when the run stopped early, or null when it ran its course. */
  interrupted: NonNullable<RunReport['interrupted']> | null;
  durationSec: number;
  echoesPerSec: number;
  bytesPerSec: number;
  /** --warm-up: the seconds left out of throughput and latency, or null when none. */
  warmUpSec: number | null;
  /** --protocol: correct messages another connection's request caused (a chat relay); null for lan-framing runs. */
  delivered: number | null;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  /** The fleet's own event-loop lag beside it, and whether it is a large part of it (null: an older report). */
  clientLagMs: { p50: number; p99: number; max: number } | null;
  clientBound: ClientBound | null;
  connections: RunReport['results']['connections'];
  integrity: RunReport['results']['integrity'];
  clientErrors: Record<string, number>;
  server: { crashed: boolean; leaked: number | null; finalSessions: number | null; anomalies: number | null; zombies: number | null };
  failedGates: string[];
  unknownGates: string[];
}

export function summaryData(r: RunReport): SummaryData {
  const c = r.results.latency.corrected;
  const lag = r.results.latency.clientLag;
  const an = r.server.stats?.anomalies;
  return {
    scenario: r.scenario.name,
    verdict: r.verdict,
    interrupted: r.interrupted ?? null,
    durationSec: r.meta.durationSec,
    echoesPerSec: r.results.throughput.echoesPerSec,
    bytesPerSec: r.results.throughput.bytesPerSec,
    warmUpSec: r.results.throughput.warmUpSec ?? null,
    delivered: typeof r.options.protocol === 'string' ? r.results.throughput.delivered ?? 0 : null,
    latencyMs: { p50: c.p50, p90: c.p90, p99: c.p99, p999: c.p999, max: c.max },
    clientLagMs: lag === undefined ? null : { p50: lag.p50, p99: lag.p99, max: lag.max },
    clientBound: r.results.latency.clientBound ?? null,
    connections: r.results.connections,
    integrity: r.results.integrity,
    clientErrors: r.results.clientErrors,
    server: {
      crashed: r.server.crashed,
      leaked: r.server.leaked,
      finalSessions: r.server.finalSessions,
      anomalies: an === undefined ? null : anomalyTotal(an),
      zombies: r.server.quiet?.disconnectingSessions ?? null,
    },
    failedGates: r.gates.filter((g) => !g.unknown && !g.pass).map((g) => g.name),
    unknownGates: r.gates.filter((g) => g.unknown).map((g) => g.name),
  };
}

function table(head: string[], colors: boolean, compact = false): Table.Table {
  return new Table({
    head,
    style: { head: colors ? ['cyan'] : [], border: colors ? ['grey'] : [], compact },
  });
}

function latencyRow(name: string, p: Percentiles): string[] {
  return [name, formatMsFixed(p.p50), formatMsFixed(p.p90), formatMsFixed(p.p99), formatMsFixed(p.p999), formatMsFixed(p.max), formatMsFixed(p.mean), String(p.count)];
}

/** The fleet's lag in the latency table's columns: p50, p99 and max are all it has. */
function clientLagRow(l: ClientLag): string[] {
  return ['client event-loop lag', formatMsFixed(l.p50), '', formatMsFixed(l.p99), '', formatMsFixed(l.max), '', String(l.count)];
}

function verdictCell(g: GateVerdict, c: chalk.Chalk): string {
  if (g.unknown) return c.yellow(unknownText(g));
  return g.pass ? c.green('pass') : c.red.bold('FAIL');
}

function headline(r: RunReport, c: chalk.Chalk): string {
  const cn = r.results.connections;
  const backend = r.meta.addon.backend === null ? '' : ` (${r.meta.addon.backend})`;
  const verdict = r.verdict === 'pass' ? c.green.bold('PASS') : r.verdict === 'fail' ? c.red.bold('FAIL') : c.yellow.bold('INTERRUPTED');
  return `${verdict}  ${c.bold(r.scenario.name)} · ${cn.target} clients · ${sendModelText(r)} · ${r.meta.durationSec.toFixed(1)} s · ${r.target.kind} ${formatHostPort(r.target.host, r.target.port)}${backend} · seed ${r.meta.seed}`;
}

/** "18 passed" and, when any, the failed and unknown gates with what they measured. */
function gateLines(r: RunReport, c: chalk.Chalk, colors: boolean): string[] {
  const failed = r.gates.filter((g) => !g.unknown && !g.pass);
  const unknown = r.gates.filter((g) => g.unknown);
  const passed = r.gates.length - failed.length - unknown.length;
  const counts = [`${passed} passed`, failed.length > 0 ? c.red.bold(`${failed.length} failed`) : '', unknown.length > 0 ? c.yellow(`${unknown.length} unknown`) : ''].filter((x) => x !== '');
  const out = [`Gates: ${counts.join(', ')}`];
  if (failed.length + unknown.length === 0) return out;
  const t = table(['Gate', 'kind', 'measured', 'expected', 'verdict'], colors, true);
  for (const g of [...failed, ...unknown]) t.push([g.name, g.kind, gateActual(g), g.expected, verdictCell(g, c)]);
  out.push(t.toString());
  return out;
}

/** One row per latency kind; "none measured" instead of a table of zeros (broadcast measures no round trip). */
function latencyLines(r: RunReport, c: chalk.Chalk, colors: boolean): string[] {
  const res = r.results;
  if (res.latency.corrected.count === 0) {
    return [`Latency: none measured in this run (${r.results.throughput.echoed === 0 ? 'no echo came back' : `mode ${String(r.options.mode ?? 'echo')} measures delivery, not round trips`})`];
  }
  const lat = table(['Latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'samples'], colors, true);
  lat.push(latencyRow('echo (corrected)', res.latency.corrected), latencyRow('echo (uncorrected)', res.latency.uncorrected));
  if (res.latency.connect.count > 0) lat.push(latencyRow('connect', res.latency.connect));
  if (res.latency.clientLag !== undefined) lat.push(clientLagRow(res.latency.clientLag));
  const out = [lat.toString()];
  if (res.latency.clientBound?.bound === true) out.push(c.yellow.bold(clientBoundText(res.latency.clientBound)));
  return out;
}

/** "ok 1.77M, abandoned 143.7k (...)" when clean; the error classes in red when not. */
function integrityLine(r: RunReport, c: chalk.Chalk): string {
  const i = r.results.integrity;
  const errors = Object.entries(i).filter(([k, v]) => k !== 'ok' && k !== 'abandoned' && v > 0);
  const abandoned = i.abandoned > 0 ? `, abandoned ${formatScaled(i.abandoned)} (in flight on connections cut on purpose or sent by clients that never read: not checked)` : '';
  if (errors.length === 0) return `Integrity    ${c.green('clean')}: ok ${formatScaled(i.ok)}${abandoned}`;
  return `Integrity    ${c.red.bold(errors.map(([k, v]) => `${k} ${formatScaled(v)}`).join(', '))}; ok ${formatScaled(i.ok)}${abandoned}`;
}

function serverLine(r: RunReport, c: chalk.Chalk): string {
  const s = r.server;
  if (r.target.kind === 'external') return `Server       ${c.yellow('unknown (external target: its gates are unknown, not passed)')}`;
  if (s.crashed) return `Server       ${c.red.bold(`CRASHED (${s.signal ?? `exit ${s.exitCode}`})`)}`;
  const parts: string[] = [];
  const red = (label: string, v: number | null): string => (v === null ? `${label} -` : v > 0 ? c.red.bold(`${label} ${v}`) : `${label} ${v}`);
  if (s.stats !== null) {
    parts.push(`accepted ${s.stats.accepted} / released ${s.stats.released}`, `peak ${s.stats.peakSessions}`, red('anomalies', anomalyTotal(s.stats.anomalies)));
  }
  parts.push(red('leaked', s.leaked), red('sessions at end', s.finalSessions));
  if (s.quiet !== undefined && s.quiet !== null) parts.push(red('zombies', s.quiet.disconnectingSessions));
  if (s.memory !== undefined && s.memory !== null) parts.push(`RSS ${formatBytes(s.memory.rssAtListenKiB * 1024)} → peak ${formatBytes(s.memory.peakRssKiB * 1024)}`);
  if (s.sanitizer !== undefined && s.sanitizer.count > 0) parts.push(c.red.bold(`sanitizer reports ${s.sanitizer.count}`));
  const reasons = s.stats === null ? [] : Object.entries(s.stats.disconnects).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
  return `Server       ${parts.join(' · ')}${reasons.length > 0 ? `\n             disconnects: ${reasons.join(', ')}` : ''}`;
}

/** The compact summary (see the file comment). */
function compactSummary(r: RunReport, opts: SummaryOptions, c: chalk.Chalk): string {
  const res = r.results;
  const out: string[] = [headline(r, c)];
  if (r.interrupted !== undefined) out.push(c.yellow.bold(interruptedText(r.interrupted)));
  out.push(...gateLines(r, c, opts.colors));
  out.push(...latencyLines(r, c, opts.colors));
  const tp = res.throughput;
  const late = (tp.late ?? 0) > 0 ? ` · ${formatScaled(tp.late ?? 0)} late` : '';
  const probes = (tp.probes ?? 0) > 0 ? ` · ${formatScaled(tp.probes ?? 0)} server probes` : '';
  // --protocol: the "echoes" are the answers to this fleet's requests; pushes are counted apart.
  const protocol = typeof r.options.protocol === 'string';
  const echoes = protocol ? 'answers' : 'echoes';
  const delivered = protocol ? ` · ${formatScaled(tp.delivered ?? 0)} delivered` : '';
  out.push(`Throughput   ${formatScaled(tp.echoesPerSec)} ${echoes}/s · ${formatBytes(tp.bytesPerSec)}/s · ${formatScaled(tp.echoed)} ${echoes} of ${formatScaled(tp.sent)} sent${delivered} · ${formatScaled(tp.behindSchedule)} behind schedule${late}${probes}`);
  if (tp.warmUpSec !== undefined) out.push(warmUpText(tp.warmUpSec));
  const cn = res.connections;
  const connectErrors = cn.connectErrors > 0 ? c.red(`${cn.connectErrors} connect errors`) : '0 connect errors';
  out.push(`Connections  ${cn.target} target · ${cn.opened} opened · ${cn.peak} peak · ${cn.reconnects} reconnects · ${connectErrors}`);
  out.push(integrityLine(r, c));
  out.push(clientLine(res.clientErrors, c));
  const cuts = Object.entries(res.chaos.counts).filter(([, v]) => v > 0);
  if (cuts.length > 0) out.push(`Chaos        ${cuts.map(([k, v]) => `${k} ${v}`).join(', ')} (replay: --seed ${r.meta.seed})`);
  out.push(serverLine(r, c));
  out.push(...warnings(r, c));
  // Said again last: where a CI log's reader lands.
  out.push(verdictText(r.verdict, c));
  if (opts.reportPath !== null) out.push(`Report: ${opts.reportPath}`);
  return `${out.join('\n')}\n`;
}

/** Client errors, then what the scenario caused on purpose (refusals, offenders, stalls): one line, two counts. */
function clientLine(codes: Record<string, number>, c: chalk.Chalk): string {
  const list = (entries: Array<[string, number]>): string => entries.map(([k, v]) => `${k} ${formatScaled(v)}`).join(', ');
  const errors = Object.entries(codes).filter(([k]) => !isExpectedClientEvent(k));
  const expected = Object.entries(codes).filter(([k]) => isExpectedClientEvent(k));
  const total = errors.reduce((a, [, v]) => a + v, 0);
  const head = total === 0 ? 'errors 0' : c.yellow(`errors ${formatScaled(total)} (${list(errors)})`);
  return `Client       ${head}${expected.length > 0 ? ` · expected: ${list(expected)}` : ''}`;
}

/** What the numbers alone would leave a reader to guess. */
function warnings(r: RunReport, c: chalk.Chalk): string[] {
  const out: string[] = [];
  const cn = r.results.connections;
  // Refused (max-sessions) or cut (chaos) connections are the point of those runs, not a shortfall.
  const expectedShortfall = r.options.expectRefused === true || (typeof r.options.chaos === 'number' && r.options.chaos > 0);
  if (cn.peak < cn.target && !expectedShortfall) {
    out.push(c.yellow(`Only ${cn.peak} of ${cn.target} connections were open at once: the fleet could not open them all in time (see connect latency, --connect-rate, --ramp-up).`));
  }
  // Reports older than clientBound only have the bottleneck flag: said here, as before.
  if (r.results.client.bottleneck && r.results.latency.clientBound === undefined) {
    out.push(c.yellow(`The client itself may have limited this run (max event-loop lag ${r.results.client.maxLagMs} ms, CPU ${r.results.client.meanCpuPercent.toFixed(0)}% over ${r.results.client.workers} workers).`));
  }
  return out;
}

export function formatSummary(r: RunReport, opts: SummaryOptions): string {
  const c = new chalk.Instance({ level: opts.colors ? 1 : 0 });
  return opts.verbose === true ? verboseSummary(r, opts, c) : compactSummary(r, opts, c);
}

/** Every table in full: the summary before it was made compact, for --verbose. */
function verboseSummary(r: RunReport, opts: SummaryOptions, c: chalk.Chalk): string {
  const out: string[] = [];
  const res = r.results;
  out.push(c.bold(`Scenario ${r.scenario.name}: ${res.connections.target} clients, ${r.meta.durationSec.toFixed(1)} s, target ${r.target.kind} ${formatHostPort(r.target.host, r.target.port)}`));

  const lat = table(['Latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'samples'], opts.colors);
  lat.push(latencyRow('echo (corrected)', res.latency.corrected), latencyRow('echo (uncorrected)', res.latency.uncorrected), latencyRow('connect', res.latency.connect));
  if (res.latency.clientLag !== undefined) lat.push(clientLagRow(res.latency.clientLag));
  out.push(lat.toString());
  if (res.latency.clientBound?.bound === true) out.push(c.yellow.bold(clientBoundText(res.latency.clientBound)));

  const tp = res.throughput;
  const thr = table(['Throughput', 'total', 'per second'], opts.colors);
  thr.push(
    ['echoes', formatScaled(tp.echoed), formatScaled(tp.echoesPerSec)],
    ['bytes echoed', formatBytes(tp.bytesEchoed), `${formatBytes(tp.bytesPerSec)}/s`],
    ['packets sent', formatScaled(tp.sent), ''],
    ['behind schedule', formatScaled(tp.behindSchedule), ''],
    ['late (after echo timeout)', formatScaled(tp.late ?? 0), ''],
  );
  if ((tp.probes ?? 0) > 0) thr.push(['server probes received', formatScaled(tp.probes ?? 0), '']);
  if (typeof r.options.protocol === 'string') thr.push(['delivered (other connections\' messages)', formatScaled(tp.delivered ?? 0), '']);
  out.push(thr.toString());
  if (tp.warmUpSec !== undefined) out.push(warmUpText(tp.warmUpSec));

  const cn = res.connections;
  const con = table(['Connections', 'target', 'opened', 'peak', 'reconnects', 'connect errors'], opts.colors);
  con.push(['', String(cn.target), String(cn.opened), String(cn.peak), String(cn.reconnects), cn.connectErrors > 0 ? c.red(String(cn.connectErrors)) : '0']);
  out.push(con.toString());

  const integ = table(['Integrity', 'count'], opts.colors);
  for (const [k, v] of Object.entries(res.integrity)) {
    const isError = k !== 'ok' && k !== 'abandoned';
    integ.push([k, isError && v > 0 ? c.red.bold(String(v)) : String(v)]);
  }
  for (const [code, n] of Object.entries(res.clientErrors)) integ.push([`client error ${code}`, c.yellow(String(n))]);
  out.push(integ.toString());

  out.push(serverTable(r, c, opts.colors));

  const gates = table(['Gate', 'kind', 'actual', 'expected', 'verdict'], opts.colors);
  for (const g of r.gates) gates.push([g.name, g.kind, gateActual(g), g.expected, verdictCell(g, c)]);
  out.push(gates.toString());

  out.push(...warnings(r, c));
  if (r.interrupted !== undefined) out.push(c.yellow.bold(interruptedText(r.interrupted)));
  out.push(verdictText(r.verdict, c));
  if (opts.reportPath !== null) out.push(`Report: ${opts.reportPath}`);
  return `${out.join('\n')}\n`;
}

function verdictText(v: RunReport['verdict'], c: chalk.Chalk): string {
  switch (v) {
    case 'pass': return c.green.bold('Verdict: pass');
    case 'fail': return c.red.bold('Verdict: FAIL');
    case 'interrupted': return c.yellow.bold('Verdict: INTERRUPTED');
  }
}

function serverTable(r: RunReport, c: chalk.Chalk, colors: boolean): string {
  const s = r.server;
  const t = table(['Server', 'value'], colors);
  if (r.target.kind === 'external') {
    t.push(['stats', c.yellow('unknown (external target)')]);
    return t.toString();
  }
  const red = (v: number | null): string => (v === null ? '-' : v > 0 ? c.red.bold(String(v)) : String(v));
  t.push(['crashed', s.crashed ? c.red.bold(`yes (${s.signal ?? `exit ${s.exitCode}`})`) : 'no']);
  t.push(['leaked', red(s.leaked)], ['sessions at end', red(s.finalSessions)]);
  if (s.stats !== null) {
    t.push(['accepted / released', `${s.stats.accepted} / ${s.stats.released}`], ['peak sessions', String(s.stats.peakSessions)]);
    t.push(['rejected full / denied', `${s.stats.rejected.full} / ${s.stats.rejected.denied}`]);
    for (const [k, v] of Object.entries(s.stats.anomalies)) t.push([`anomaly ${k}`, red(v)]);
    const reasons = Object.entries(s.stats.disconnects).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
    t.push(['disconnects', reasons.length > 0 ? reasons.join(', ') : 'none']);
  }
  const q = s.quiet ?? null;
  if (q !== null) {
    t.push(['zombies (disconnecting at quiet)', red(q.disconnectingSessions)]);
    t.push(['at quiet: pending I/O / free slots', `${q.pendingIoSessions} / ${q.freeSlots}`]);
  }
  const ids = zombieIds(s.stats).concat(zombieIds(q));
  if (ids.length > 0) t.push(['zombie session ids', c.red([...new Set(ids)].join('\n'))]);
  if (s.memory !== undefined && s.memory !== null) {
    t.push(['RSS at listen / peak', `${formatBytes(s.memory.rssAtListenKiB * 1024)} / ${formatBytes(s.memory.peakRssKiB * 1024)}`]);
  }
  if (s.sanitizer !== undefined && s.sanitizer.count > 0) {
    const first = s.sanitizer.reports.map((rep) => rep.lines.slice(0, 6).join('\n')).slice(0, 3);
    t.push([c.red.bold(`sanitizer reports: ${s.sanitizer.count}`), first.join('\n--\n')]);
  }
  if (s.crashed && s.stderrTail.length > 0) t.push(['stderr (last lines)', s.stderrTail.slice(-10).join('\n')]);
  return t.toString();
}

/** The sessions a server names under `zombies` (ServerStats.zombies), as text: id and why it is stuck. */
function zombieIds(stats: ServerStats | null): string[] {
  const z = stats?.zombies;
  return Array.isArray(z) ? z.map((e) => `${e.id} (ioCount ${e.ioCount}${e.sendFlag ? ', send in flight' : ''}, ${e.reason ?? 'live'})`) : [];
}

/** The last lines of a command that ran once per backend: one line per backend, its verdict and exit code. */
export function formatBackendVerdicts(runs: ReadonlyArray<{ backend: string; report: RunReport | null; exitCode: number }>, colors: boolean): string {
  const c = new chalk.Instance({ level: colors ? 1 : 0 });
  const t = table(['Backend', 'verdict', 'exit', 'failed gates'], colors);
  for (const run of runs) {
    const r = run.report;
    const verdict = r === null ? (run.exitCode === 3 ? c.red.bold('server did not start') : c.yellow('not run (interrupted)')) : verdictText(r.verdict, c).replace('Verdict: ', '');
    const failed = r === null ? '-' : String(r.gates.filter((g) => !g.unknown && !g.pass).length);
    t.push([run.backend, verdict, String(run.exitCode), failed]);
  }
  return `${t.toString()}\n`;
}

/** The table printed under --gate when gates failed. */
export function formatFailedGates(gates: readonly GateVerdict[], colors: boolean): string {
  const c = new chalk.Instance({ level: colors ? 1 : 0 });
  const t = table(['Failed gate', 'actual', 'expected'], colors);
  for (const g of gates) t.push([c.red(g.name), gateActual(g), g.expected]);
  return `${t.toString()}\n`;
}

/** --warm-up: what the latency and throughput figures above leave out. */
function warmUpText(sec: number): string {
  return `Warm-up      the first ${sec} s are left out of latency and throughput (the series and integrity keep them)`;
}
