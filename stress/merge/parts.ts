/**
 * Which shard reports may be merged: the parts of one fleet, all of it, each once. Parts of
 * different builds, scenarios or settings measure different things and their sum would mean
 * nothing, so each difference is a problem naming the file (exit 2). Pure.
 */
import { formatHostPort } from '../../server/loopback';
import type { RunReport } from '../report/types';

export interface Part {
  file: string;
  report: RunReport;
}

/**
 * Options that differ between the parts of one fleet on purpose: the part itself, its source
 * addresses, where it writes and how it reports live. Every other option must be the same.
 */
export const PER_PART_OPTIONS: ReadonlySet<string> = new Set(['shard', 'sourceIps', 'out', 'junit', 'markdown', 'json', 'metricsPort', 'startAt']);

/** What must be equal across the parts besides the options: the build that ran and the server it ran against. */
const BUILD_SETTINGS: ReadonlyArray<{ label: string; read(r: RunReport): string }> = [
  { label: 'tool version', read: (r) => r.meta.tool.version },
  { label: 'git commit', read: (r) => `${r.meta.git.commit ?? 'none'}${r.meta.git.dirty === true ? ' (dirty)' : ''}` },
  { label: 'server build', read: (r) => `${r.meta.addon.buildType} ${r.meta.addon.flags}` },
  { label: 'server backend', read: (r) => r.meta.addon.backend ?? 'unknown' },
  { label: 'scenario', read: (r) => r.scenario.name },
  { label: 'target', read: (r) => (r.target.kind === 'external' ? formatHostPort(r.target.host, r.target.port) : 'embedded') },
];

function shown(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}

/** How `part` differs from the first part, one phrase per setting. */
function differences(first: RunReport, part: RunReport): string[] {
  const out = BUILD_SETTINGS.flatMap((s) => (s.read(first) === s.read(part) ? [] : [`${s.label} ${s.read(part)} (first part: ${s.read(first)})`]));
  const keys = new Set([...Object.keys(first.options), ...Object.keys(part.options)]);
  for (const k of keys) {
    if (PER_PART_OPTIONS.has(k)) continue;
    const a = shown(first.options[k]);
    const b = shown(part.options[k]);
    if (a !== b) out.push(`--${k} ${b} (first part: ${a})`);
  }
  return out;
}

/** Every reason these files are not the whole of one sharded fleet, each naming its file; [] when they are. */
export function partProblems(parts: readonly Part[]): string[] {
  const first = parts[0];
  if (first === undefined) return ['no shard reports given'];
  const problems: string[] = [];
  const count = first.report.shard?.count;
  const seen = new Map<number, string>();
  for (const { file, report } of parts) {
    if (report.shard === undefined) {
      problems.push(`${file}: not a shard report (run with --shard I/N)`);
      continue;
    }
    if (report.shard.count !== count) problems.push(`${file}: shard ${report.shard.index}/${report.shard.count}, but ${first.file} is a part of ${count ?? '?'}`);
    const twin = seen.get(report.shard.index);
    if (twin !== undefined) problems.push(`${file}: shard ${report.shard.index} is given twice (also ${twin})`);
    seen.set(report.shard.index, file);
    problems.push(...differences(first.report, report).map((d) => `${file}: not a part of the same fleet as ${first.file}: ${d}`));
  }
  if (count !== undefined && problems.length === 0) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    if (missing.length > 0) problems.push(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing: a merge of part of a fleet is not the fleet`);
  }
  return problems;
}
