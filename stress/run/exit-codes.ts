/** SPEC 4: the process exit codes of `stress`. */
export const EXIT = { pass: 0, gateFailed: 1, usage: 2, serverCrashed: 3 } as const;

/** Bad input found after flag parsing (open-files limit, unreachable target): exit 2 with this message. */
export class UsageError extends Error {}
