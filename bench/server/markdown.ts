/** The Markdown `npm run bench:server` prints and writes beside its JSON. */
import { fmt, fmtSpread } from '../lib/stats';
import type { ServerMeasurement } from './measure';
import type { ServerName } from './servers';
import { METRICS, RATIO_METRICS, type Ratios, type ServerSummary } from './summary';

export interface ServerMarkdownInput {
  servers: readonly ServerName[];
  repeats: number;
  clients: number;
  durationSec: number;
  latencyRate: number;
  cpuRate: number;
  size: number;
  floodSize: number;
  floodPipeline: number;
  syscallNote: string;
  /** what each build's rows ran: this tree's lanserver and every --lanserver-bin, by label */
  builds: ReadonlyArray<{ label: string; source: string; buildInfo: string }>;
  summary: ServerSummary;
  ratios: Ratios;
  measurements: readonly ServerMeasurement[];
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function labelFor(key: string, input: ServerMarkdownInput): string {
  const metric = METRICS.find((m) => m.key === key)!;
  return metric.label
    .replace('(high rate)', `(${input.clients} conns × ${input.cpuRate} msg/s)`)
    .replace('(low rate)', `(${input.clients} conns × ${input.latencyRate} msg/s)`)
    .replace('idle connections', `${input.clients} idle connections`)
    .replace('the flood', `the flood (${input.clients} conns × ${input.floodPipeline} × ${input.floodSize} B in flight)`);
}

export function serverMarkdown(input: ServerMarkdownInput): string {
  const lines: string[] = [];
  lines.push(`## bench:server — median (min–max) of ${input.repeats} repeat(s), ${input.durationSec} s windows, ${input.size}-byte messages`);
  lines.push('');
  lines.push(row(['', ...input.servers]));
  lines.push(row(['---', ...input.servers.map(() => '---')]));
  for (const metric of METRICS) {
    lines.push(row([labelFor(metric.key, input), ...input.servers.map((s) => fmtSpread(input.summary[s]![metric.key]!))]));
  }
  const ratioColumns = Object.keys(input.ratios);
  if (ratioColumns.length > 0) {
    lines.push('');
    lines.push('### ratio to the C epoll reference (per repeat, then median (min–max); < 1 is better than C)');
    lines.push('');
    lines.push(row(['', ...ratioColumns.map((c) => `${c}`)]));
    lines.push(row(['---', ...ratioColumns.map(() => '---')]));
    for (const key of RATIO_METRICS) {
      const cells = ratioColumns.map((c) => {
        const r = input.ratios[c]![key]!;
        const verdict = r.met === null ? '' : ` ${r.met ? 'meets' : 'misses'} ≤ ${r.target}`;
        return `${fmtSpread(r.spread)}${verdict}`;
      });
      lines.push(row([labelFor(key, input), ...cells]));
    }
  }
  lines.push('');
  lines.push(`syscalls: ${input.syscallNote}`);
  for (const b of input.builds) lines.push(`- lanserver${b.label === '' ? '' : `@${b.label}`}: ${b.source} (${b.buildInfo})`);
  const failed = input.measurements.filter((m) => m.error !== null);
  for (const m of failed) lines.push(`- ${m.server}, repeat ${m.repeat}: ${m.error}`);
  const behind = input.measurements.filter((m) => (m.latency?.skipped ?? 0) > 0);
  for (const m of behind) lines.push(`- ${m.server}, repeat ${m.repeat}: the client skipped ${fmt(m.latency!.skipped)} sends in the latency pass (64 echoes outstanding on a connection)`);
  lines.push('');
  return lines.join('\n');
}
