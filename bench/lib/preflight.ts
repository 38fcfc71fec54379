/** What every bench needs before it measures: a C compiler for bench/c/ and open files for its clients. */
import { raiseOwnLimit } from '../../stress/run/limits';
import { UsageError } from './args';
import { compilerVersion } from './build-c';

/** Returns the compiler's version line (for the results' machine block); throws when either is missing. */
export function preflight(bench: string, clients: number): string {
  const compiler = compilerVersion();
  if (compiler === null) throw new Error(`${bench} needs a C compiler (cc or gcc) to build bench/c/: apt-get install gcc`);
  const limit = raiseOwnLimit(clients + 512);
  if (!limit.ok) throw new UsageError([`--clients ${clients}: ${limit.message}`]);
  return compiler;
}
