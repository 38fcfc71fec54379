export { toJUnit, xmlEscape } from './junit';
export { toMarkdown } from './markdown';
export { writeCiOutputs, type CiOutputPaths } from './write';
