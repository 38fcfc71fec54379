/**
 * lanstress as a library: `import { run, LanServer } from 'lanstress'`.
 * - run(options): one load run (the `stress run` flags by camelCase name), resolved with its report.
 * - LanServer: the shipped native server, in-process; js mode hands each packet to a JavaScript handler.
 * The CLIs (`stress`, `lanserver`) are thin layers over the same code.
 */
export { run } from './stress/api/run';
export type { RunApiOptions, RunApiIo } from './stress/api/run';
export { UsageError, EXIT } from './stress/run/exit-codes';
export type { RunReport, GateVerdict, Interruption } from './stress/report/types';
export * from './server/index';
