/**
 * The one gate command the README recommends for a user's CI, and that our own CI runs: a chaos
 * run on every backend this machine has, judged by every gate. test/scenarios/fault-matrix.test.ts
 * proves it fails on every deliberate fault of addon/src/core/faults.h and passes on the clean
 * build; a test keeps README.md and .ci/run saying exactly this command.
 */
export const CI_GATE_ARGS: readonly string[] = ['chaos', '--clients', '1000', '--duration', '10', '--gate'];

/** As a user types it. */
export const CI_GATE_COMMAND = `npx stress ${CI_GATE_ARGS.join(' ')}`;
