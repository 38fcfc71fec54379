/**
 * Flag parsing for the bench commands: a small table per command, every problem reported at
 * once naming its flag, exit 2 (the convention of the stress CLI). No yargs: the benches take
 * a handful of flags and their errors must name the flag exactly as typed.
 */

export interface FlagSpec {
  name: string;
  kind: 'int' | 'number' | 'string' | 'list' | 'switch';
  describe: string;
  /** smallest accepted value for int/number */
  min?: number;
  /** list only: the flag may be given more than once, its items accumulate in order */
  repeatable?: boolean;
}

export type FlagValues = Record<string, number | string | string[] | boolean>;

export class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'UsageError';
  }
}

function readValue(spec: FlagSpec, raw: string): { value?: number | string | string[]; problem?: string } {
  const flag = `--${spec.name}`;
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = Number(raw);
      const whole = spec.kind === 'int' ? Number.isInteger(n) : Number.isFinite(n);
      if (raw.trim() === '' || !whole) return { problem: `${flag} must be ${spec.kind === 'int' ? 'a whole number' : 'a number'} (got '${raw}')` };
      if (spec.min !== undefined && n < spec.min) return { problem: `${flag} must be at least ${spec.min} (got ${raw})` };
      return { value: n };
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (items.length === 0) return { problem: `${flag} needs at least one name` };
      return { value: items };
    }
    default:
      return { value: raw };
  }
}

/** Parses argv against specs; throws UsageError listing every problem found. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): FlagValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: FlagValues = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument '${arg}'`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) {
      problems.push(`unknown flag --${name} (known: ${specs.map((s) => `--${s.name}`).join(' ')})`);
      continue;
    }
    if (name in values && spec.repeatable !== true) problems.push(`--${name} given twice`);
    if (spec.kind === 'switch') {
      if (eq !== -1) problems.push(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    const raw = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || (eq === -1 && raw.startsWith('--'))) {
      problems.push(`--${name} needs a value`);
      if (raw !== undefined) i--;
      continue;
    }
    const read = readValue(spec, raw);
    if (read.problem !== undefined) problems.push(read.problem);
    else if (read.value !== undefined) {
      const before = values[name];
      values[name] = Array.isArray(before) && Array.isArray(read.value) ? [...before, ...read.value] : read.value;
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  return values;
}

export function helpText(usage: string, specs: readonly FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 4;
  return [usage, '', ...specs.map((s) => `  ${`--${s.name}`.padEnd(width)} ${s.describe}`)].join('\n');
}

/**
 * Runs a bench's main with the exit-code convention: 2 and the problems on stderr for bad
 * usage, 1 and the message for anything else that went wrong.
 */
export function runMain(command: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof UsageError) {
        for (const p of err.problems) process.stderr.write(`${command}: ${p}\n`);
        process.exit(2);
      }
      process.stderr.write(`${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
