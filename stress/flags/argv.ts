/**
 * A look at the command line as typed, before yargs folds it: yargs turns a flag given twice
 * into an array, reads `--gate=maybe` as false and, when strict, stops at the first unknown
 * flag. This scan finds all of those at once, and the deprecated spellings to warn about.
 */
import type { Flag } from './table';

export interface ArgvScan {
  /** Unknown flags, flags given twice, switches given a value that is not true/false. */
  problems: string[];
  /** One line per deprecated spelling used, naming the new one. */
  warnings: string[];
}

/** Flags yargs itself answers (help, version), accepted anywhere. */
const BUILTIN = new Set(['help', 'h', 'version']);

function isValueToken(token: string): boolean {
  return !token.startsWith('-') || /^-\d|^-\.\d/.test(token) || token === '-';
}

function indexByName(table: readonly Flag[]): Map<string, { flag: Flag; spelling: string }> {
  const out = new Map<string, { flag: Flag; spelling: string }>();
  for (const flag of table) {
    out.set(flag.name, { flag, spelling: flag.name });
    for (const old of flag.deprecated ?? []) out.set(old, { flag, spelling: old });
  }
  return out;
}

/** `tokens` are the arguments after the program name (hideBin(process.argv)). */
export function scanArgv(tokens: readonly string[], table: readonly Flag[]): ArgvScan {
  const byName = indexByName(table);
  const problems: string[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--') break;
    if (isValueToken(token)) continue;
    const body = token.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const negated = name.startsWith('no-') ? byName.get(name.slice(3)) : undefined;
    const entry = byName.get(name) ?? (negated?.flag.type === 'bool' ? negated : undefined);
    if (BUILTIN.has(name)) continue;
    if (entry === undefined) {
      problems.push(`Unknown argument: ${token.startsWith('--') ? '--' : '-'}${name}`);
      if (eq < 0) while (i + 1 < tokens.length && isValueToken(tokens[i + 1]!)) i++;
      continue;
    }
    const { flag, spelling } = entry;
    if (spelling !== flag.name) warnings.push(`--${spelling} is deprecated, use --${flag.name} (the old spelling goes in the next version)`);
    seen.set(flag.name, (seen.get(flag.name) ?? 0) + 1);
    if (flag.type === 'bool') {
      const value = eq < 0 ? undefined : body.slice(eq + 1);
      if (value !== undefined && value !== 'true' && value !== 'false') problems.push(`--${flag.name} ${JSON.stringify(value)}: a switch takes no value (or true/false)`);
    } else if (eq < 0) {
      while (i + 1 < tokens.length && isValueToken(tokens[i + 1]!)) {
        i++;
        if (flag.repeatable !== true) break;
      }
    }
  }
  for (const [name, count] of seen) {
    const flag = byName.get(name)!.flag;
    if (count > 1 && flag.repeatable !== true) problems.push(`--${name} is given ${count} times: give it once`);
  }
  return { problems, warnings };
}
