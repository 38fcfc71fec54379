export { toJUnit, toJUnitRuns, xmlEscape } from './junit';
export { toMarkdown, toMarkdownRuns } from './markdown';
export { writeCiOutputs, type CiOutputPaths, type LabelledRun } from './write';
