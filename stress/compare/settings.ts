/**
 * The settings that make two runs comparable, written once: `stress compare` lists every one
 * that differs between the base and a head (or between the repeats of one side) and refuses the
 * comparison (exit 2) unless --allow-different says it is on purpose. 500 clients in a closed
 * loop against 200 clients at --rate 50 is a different experiment, not a regression. Pure.
 */
import { formatHostPort } from '../../server/loopback';
import type { RunReport } from '../report/types';

interface Setting {
  label: string;
  read(r: RunReport): string;
}

const option = (r: RunReport, key: string): string => {
  const v = r.options[key];
  return v === undefined || v === null ? 'unset' : Array.isArray(v) ? v.join(',') : String(v);
};

/** The send model in words: stages, an open loop at a rate (per connection or across the fleet), or a closed loop with its pipeline. */
export function sendModelText(r: RunReport): string {
  const { rate, totalRate, stages, thinkTime } = r.options;
  if (typeof stages === 'string' && stages !== '') return `stages ${stages}`;
  if (typeof totalRate === 'number' && totalRate > 0) return `open loop at ${totalRate}/s across the fleet`;
  if (typeof rate === 'number' && rate > 0) return `open loop at ${rate}/s per connection`;
  const think = typeof thinkTime === 'number' && thinkTime > 0 ? `, think ${thinkTime} ms` : '';
  return `closed loop, pipeline ${option(r, 'pipeline')}${think}`;
}

export const COMPARED_SETTINGS: readonly Setting[] = [
  { label: 'scenario', read: (r) => r.scenario.name },
  { label: 'clients', read: (r) => option(r, 'clients') },
  { label: 'send model', read: sendModelText },
  { label: 'payload', read: (r) => (typeof r.options.mix === 'string' ? `mix ${r.options.mix}` : option(r, 'payload')) },
  { label: 'traffic', read: (r) => option(r, 'traffic') },
  { label: 'mode', read: (r) => option(r, 'mode') },
  // Reports from before --framing were all lan.
  { label: 'framing', read: (r) => (r.options.framing === undefined ? 'lan' : option(r, 'framing')) },
  { label: 'duration', read: (r) => `${option(r, 'duration')} s` },
  { label: 'warm-up', read: (r) => `${option(r, 'warmUp')} s` },
  { label: 'target', read: (r) => (r.target.kind === 'external' ? `external ${formatHostPort(r.target.host, r.target.port)}` : 'embedded') },
  { label: 'backend', read: (r) => r.meta.addon.backend ?? option(r, 'backend') },
];

/** "clients 500 → 200", one per setting that differs between a and b. */
export function settingDifferences(a: RunReport, b: RunReport): string[] {
  return COMPARED_SETTINGS.flatMap((s) => {
    const x = s.read(a);
    const y = s.read(b);
    return x === y ? [] : [`${s.label} ${x} → ${y}`];
  });
}
