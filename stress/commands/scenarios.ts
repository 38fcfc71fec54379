/**
 * `stress scenarios`: one line per scenario, the default marked; `--print NAME` a scenario as a
 * scenario file (run it with `stress run FILE.json`); `--schema` the scenario file's JSON Schema.
 */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from '../../scenarios';
import type { Scenario } from '../../scenarios/types';
import { EXIT } from '../run/exit-codes';
import { scenarioToFile } from '../scenario-file/print';
import { scenarioFileSchema } from '../scenario-file/schema';

/** Pure: the listing as text. */
export function formatScenarioList(list: readonly Scenario[], defaultName: string): string {
  const width = Math.max(...list.map((s) => s.name.length));
  return list.map((s) => `${s.name.padEnd(width)}  ${s.description}${s.name === defaultName ? ' (default)' : ''}`).join('\n') + '\n';
}

type ScenariosArgs = { print?: string; schema?: boolean };

function scenarios(args: ScenariosArgs): number {
  if (args.schema === true) {
    process.stdout.write(`${JSON.stringify(scenarioFileSchema(), null, 2)}\n`);
    return EXIT.pass;
  }
  if (args.print === undefined) {
    process.stdout.write(formatScenarioList(SCENARIOS, DEFAULT_SCENARIO));
    return EXIT.pass;
  }
  const scenario = findScenario(args.print);
  if (scenario === undefined) {
    process.stderr.write(`stress: --print ${JSON.stringify(args.print)}: unknown scenario (known: ${SCENARIOS.map((s) => s.name).join(', ')})\n`);
    return EXIT.usage;
  }
  process.stdout.write(`${JSON.stringify(scenarioToFile(scenario), null, 2)}\n`);
  return EXIT.pass;
}

export const scenariosCommand: CommandModule<object, ScenariosArgs> = {
  command: 'scenarios',
  describe: 'list the named scenarios; --print NAME writes one as a scenario file',
  builder: (yargs: Argv<object>) =>
    yargs
      .option('print', { type: 'string', describe: 'print this scenario as a scenario file (JSON) to save, edit and run with `stress run FILE.json`' })
      .option('schema', { type: 'boolean', describe: "print the scenario file's JSON Schema (shipped as schema/scenario.schema.json)" })
      .strict() as unknown as Argv<ScenariosArgs>,
  handler: (args) => {
    process.exitCode = scenarios(args);
  },
};
