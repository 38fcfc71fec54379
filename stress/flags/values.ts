/**
 * Reading one flag value by its table type. Each reader records a problem naming the flag and
 * what was typed instead of throwing, so a command line is checked whole and every problem
 * reported at once (k6 style).
 */
import type { Flag } from './table';

export type DurationUnit = 'us' | 'ms' | 's' | 'm';

/** Microseconds per unit; `h` is accepted on input only. */
const MICROS: Record<DurationUnit | 'h', number> = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };
const SIZE_SUFFIX: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Collects one message per bad flag instead of stopping at the first. */
export class Problems {
  readonly errors: string[] = [];
  add(flag: string, raw: string, why: string): void {
    this.errors.push(`--${flag} ${JSON.stringify(raw)}: ${why}`);
  }
}

/** Decimal text only: "1e3" yes, "0x10", "", "Infinity" no. */
export function parseNumber(text: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim())) return null;
  return Number(text);
}

/** "500ms", "10s", "1m", "1.5h", or a bare number in `unit` (the flag's old unit); the result is in `unit`. */
export function parseDuration(text: string, unit: DurationUnit): number | null {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*(us|ms|s|m|h)?\s*$/.exec(text);
  if (m === null) return null;
  const given = (m[2] ?? unit) as DurationUnit | 'h';
  return (Number(m[1]) * MICROS[given]) / MICROS[unit];
}

/** "4096", "64k", "1m" (binary multiples): bytes. */
export function parseSize(text: string): number | null {
  const m = /^\s*([+-]?\d+)\s*([kmg]?)i?b?\s*$/i.exec(text);
  if (m === null) return null;
  return Number(m[1]) * SIZE_SUFFIX[(m[2] ?? '').toLowerCase()]!;
}

function inRange(p: Problems, flag: Flag, raw: string, n: number): boolean {
  if (flag.range === undefined) return true;
  const [min, max] = flag.range;
  if (n >= min && n <= max) return true;
  p.add(flag.name, raw, `must be between ${min} and ${max}${flag.type === 'duration' ? ` ${flag.unit ?? 's'}` : ''}`);
  return false;
}

function notANumber(flag: Flag, whole: boolean): string {
  if (flag.type === 'duration') return `must be a ${whole ? `whole number of ${flag.unit}` : 'duration'} like 500ms, 10s or 1m (a bare number is ${flag.unit ?? 's'})`;
  if (flag.type === 'size') return 'must be a whole number of bytes (k, m, g allowed)';
  return whole ? 'must be a whole number' : 'must be a number';
}

/** An int, number, duration or size flag; undefined when absent or bad (the problem is recorded). */
export function readNumber(p: Problems, flag: Flag, raw: string): number | undefined {
  const n = flag.type === 'duration' ? parseDuration(raw, flag.unit ?? 's') : flag.type === 'size' ? parseSize(raw) : parseNumber(raw);
  // Timers below a second count whole units (ms); only a duration in seconds may be fractional.
  const whole = flag.type === 'int' || flag.type === 'size' || (flag.type === 'duration' && flag.unit !== undefined && flag.unit !== 's');
  if (n === null || !Number.isFinite(n) || (whole && !Number.isInteger(n))) {
    p.add(flag.name, raw, notANumber(flag, whole));
    return undefined;
  }
  return inRange(p, flag, raw, n) ? n : undefined;
}

/** One of the flag's choices; `renamed` maps an old spelling of a value to its new one (with a warning). */
export function readChoice(p: Problems, flag: Flag, raw: string, warn: (text: string) => void, renamed: Readonly<Record<string, string>> = {}): string | undefined {
  const choices = flag.choices ?? [];
  if (choices.includes(raw)) return raw;
  const now = renamed[raw];
  if (now !== undefined) {
    warn(`--${flag.name} ${raw} is deprecated, use --${flag.name} ${now}`);
    return now;
  }
  p.add(flag.name, raw, `must be one of ${choices.join(', ')}`);
  return undefined;
}

/** A comma list of the flag's choices, without repeats; undefined when empty or holding an unknown name. */
export function readList(p: Problems, flag: Flag, raw: string): string[] | undefined {
  const choices = flag.choices ?? [];
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0 || names.some((n) => !choices.includes(n))) {
    p.add(flag.name, raw, `must be a comma list of ${choices.join(', ')}`);
    return undefined;
  }
  return [...new Set(names)];
}

/** A path or name: anything but blank. */
export function readText(p: Problems, flag: Flag, raw: string, what: string): string | undefined {
  if (raw.trim() !== '') return raw;
  p.add(flag.name, raw, `must be ${what}`);
  return undefined;
}
