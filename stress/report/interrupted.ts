/** How every output (terminal, HTML, JUnit, Markdown) says that a run stopped early. Pure. */
import type { Interruption } from './types';

export function interruptedText(i: Interruption): string {
  return `The run was interrupted after ${i.atSec.toFixed(1)} s (${i.reason}): its numbers cover part of the run only, and it does not pass.`;
}
