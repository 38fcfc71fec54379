/** The process exit codes of `stress` (docs/report.md). */
export const EXIT = { pass: 0, gateFailed: 1, usage: 2, serverCrashed: 3, interrupted: 4 } as const;

export type RunExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Printed by `stress --help` and `stress run --help`; the README says the same. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  pass',
  '  1  a gate failed (--gate) or a --threshold broke',
  '  2  bad usage or input (the message names the flag or file)',
  '  3  the server under test crashed',
  '  4  the run was interrupted (SIGINT/SIGTERM): its verdict is interrupted, never pass',
  'With several backends (--backend all) the worst run decides: 3, then 4, then 1, then 0.',
].join('\n');

/** Most severe first: a crash outranks an interruption, which outranks a failed gate. */
const SEVERITY: readonly number[] = [EXIT.serverCrashed, EXIT.interrupted, EXIT.gateFailed, EXIT.pass];

/** The exit code of several runs: the most severe of theirs. */
export function worstExit(codes: readonly number[]): number {
  return SEVERITY.find((c) => codes.includes(c)) ?? EXIT.pass;
}

/**
 * Bad input: exit 2 with this message on the command line, thrown as is by the programmatic run()
 * (code ERR_LANSTRESS_USAGE, every problem in `problems`, each naming its flag as the CLI does).
 */
export class UsageError extends Error {
  readonly code = 'ERR_LANSTRESS_USAGE';
  readonly exitCode = EXIT.usage;
  readonly problems: string[];

  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.name = 'UsageError';
    this.problems = problems;
  }
}
