/**
 * The shape of a command's flag table: one entry per flag, from which the yargs options,
 * the --help text, the raw arguments, the parsing and the defaults are all derived, so a
 * flag is declared once (as k6's metrics/builtin.go or autocannon's lib/defaultOptions.js).
 */
import type { Argv, Options } from 'yargs';
import type { DurationUnit } from './values';

export type FlagType = 'int' | 'number' | 'duration' | 'size' | 'enum' | 'list' | 'bool' | 'string';

/** Who the flag configures: the client fleet, the server, both, the run as a whole, or what it writes. */
export type FlagSide = 'fleet' | 'server' | 'both' | 'run' | 'output';

export interface Flag {
  /** The command-line spelling, without the dashes. */
  readonly name: string;
  readonly type: FlagType;
  /** int, number, duration (in `unit`) and size: the accepted interval. */
  readonly range?: readonly [number, number];
  /** enum and list: the accepted values. */
  readonly choices?: readonly string[];
  /** duration: what a bare number means (its old unit), and the unit the value is returned in. */
  readonly unit?: DurationUnit;
  /** The built-in default: a value, or a function of the machine (see the command's table). */
  readonly init?: unknown;
  /** What --help shows as the default when `init` does not say it (a function, an object). */
  readonly shown?: string;
  readonly describe: string;
  readonly side: FlagSide;
  /** May be given more than once (each occurrence is one more value). */
  readonly repeatable?: boolean;
  /** Old spellings still accepted for one version, each with a warning naming this flag. */
  readonly deprecated?: readonly string[];
}

const TYPE_LABEL: Record<FlagType, string> = {
  int: 'int',
  number: 'number',
  duration: 'duration',
  size: 'bytes',
  enum: 'choice',
  list: 'list',
  bool: 'switch',
  string: 'string',
};

/**
 * "[int 1..1000000, default: 1000]": the type and default yargs cannot show for a flag read as
 * text (its own tags are hidden, they would say [string]).
 */
export function typeLabel(flag: Flag): string {
  const parts = [TYPE_LABEL[flag.type]];
  if (flag.range !== undefined && flag.type !== 'duration') parts[0] += ` ${flag.range[0]}..${flag.range[1]}`;
  if (flag.type === 'duration') parts.push(`e.g. 500ms, 10s, 1m; bare number = ${flag.unit ?? 's'}`);
  if (flag.type === 'size') parts.push('k/m/g suffixes');
  if (flag.repeatable === true) parts.push('repeatable');
  const shown = defaultShown(flag);
  if (shown !== undefined) parts.push(`default: ${shown}`);
  return `[${parts.join(', ')}]`;
}

function helpText(flag: Flag): string {
  const choices = flag.choices === undefined ? '' : ` (${flag.type === 'list' ? 'comma list of' : 'one of'}: ${flag.choices.join(', ')})`;
  const old = flag.deprecated === undefined ? '' : ` (${flag.deprecated.map((d) => `--${d}`).join(', ')}: deprecated spelling)`;
  return `${flag.describe}${choices}${old} ${typeLabel(flag)}`;
}

/** The default as --help shows it, or nothing for a switch off by default and a flag with none. */
function defaultShown(flag: Flag): string | undefined {
  if (flag.shown !== undefined) return flag.shown;
  const init = flag.init;
  return typeof init === 'number' || typeof init === 'string' ? String(init) : undefined;
}

/**
 * The yargs view of a table. Values are read as text (or switches) so the table's own parser
 * sees what was typed and reports every bad value at once; the real type is in the help text.
 */
export function yargsOptions(table: readonly Flag[]): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const flag of table) {
    out[flag.name] = {
      type: flag.type === 'bool' ? 'boolean' : 'string',
      ...(flag.repeatable === true ? { array: true } : {}),
      ...(flag.deprecated === undefined ? {} : { alias: [...flag.deprecated] }),
      describe: helpText(flag),
    };
  }
  return out;
}

/** What one flag carried on the command line: text, a switch, every occurrence of a repeatable flag, or nothing. */
export type RawValue = string | boolean | string[] | undefined;

/**
 * Reads each flag of the table out of yargs' argv by its spelling (aliases land there too).
 * A flag given twice arrives as an array; the argv scan has already reported it, the last one stands.
 */
export function rawValues(table: readonly Flag[], argv: Readonly<Record<string, unknown>>): Map<string, RawValue> {
  const out = new Map<string, RawValue>();
  for (const flag of table) out.set(flag.name, oneValue(flag, argv[flag.name]));
  return out;
}

function oneValue(flag: Flag, value: unknown): RawValue {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'boolean' ? v : String(v)));
  if (flag.repeatable === true) return list.map(String);
  return list[list.length - 1];
}

/** yargs 17.7 has this at run time; its published types do not declare it yet. */
interface UsageConfigurable {
  usageConfiguration(config: { 'hide-types': boolean }): unknown;
}

/**
 * Hides yargs' own type and default tags: every table flag is read as text, so yargs would show
 * [string] for a number; the real type and the default are in each flag's help line (typeLabel).
 */
export function hideYargsTypes<T>(yargs: Argv<T>): Argv<T> {
  (yargs as unknown as UsageConfigurable).usageConfiguration({ 'hide-types': true });
  return yargs;
}
