/** `stress scenarios`: one line per scenario, the default marked. */
import type { CommandModule } from 'yargs';
import { DEFAULT_SCENARIO, SCENARIOS } from '../../scenarios';
import type { Scenario } from '../../scenarios/types';

/** Pure: the listing as text. */
export function formatScenarioList(list: readonly Scenario[], defaultName: string): string {
  const width = Math.max(...list.map((s) => s.name.length));
  return list.map((s) => `${s.name.padEnd(width)}  ${s.description}${s.name === defaultName ? ' (default)' : ''}`).join('\n') + '\n';
}

export const scenariosCommand: CommandModule = {
  command: 'scenarios',
  describe: 'list the named scenarios',
  handler: () => {
    process.stdout.write(formatScenarioList(SCENARIOS, DEFAULT_SCENARIO));
  },
};
