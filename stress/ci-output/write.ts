/** Writes the CI outputs asked for by --junit and --markdown. */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunReport } from '../report/types';
import { toJUnit } from './junit';
import { toMarkdown } from './markdown';

export interface CiOutputPaths {
  junit?: string | undefined;
  markdown?: string | undefined;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

/** Returns the paths written. */
export function writeCiOutputs(report: RunReport, paths: CiOutputPaths): string[] {
  const written: string[] = [];
  if (paths.junit) {
    write(paths.junit, toJUnit(report));
    written.push(paths.junit);
  }
  if (paths.markdown) {
    write(paths.markdown, toMarkdown(report));
    written.push(paths.markdown);
  }
  return written;
}
