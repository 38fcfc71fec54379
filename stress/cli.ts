#!/usr/bin/env node
/**
 * The `stress` command. `run` is the default, so `stress --clients 5000` works
 * without naming it. Usage errors exit 2 with a message naming the flag.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { compareCommand } from './commands/compare';
import { kneeCommand } from './commands/knee';
import { mergeCommand } from './commands/merge';
import { reportCommand } from './commands/report';
import { runCommandModule } from './commands/run';
import { scenariosCommand } from './commands/scenarios';
import { serverCommand } from './commands/server';
import { EXIT } from './run/exit-codes';

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('stress')
    .command(runCommandModule)
    .command(serverCommand)
    .command(scenariosCommand)
    .command(compareCommand)
    .command(reportCommand)
    .command(mergeCommand)
    .command(kneeCommand)
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err !== undefined && err !== null && msg === null) throw err;
      process.stderr.write(`stress: ${msg ?? err?.message}\nRun \`stress --help\` for usage.\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`stress: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
